#!/usr/bin/env python3
"""air_listen.py — a listener for the air tests: connects to an Icecast mount (and again
whenever the stream ends: a source restart), saves what arrives per connection, and notes
when every Ogg page arrived; a second thread polls status-json.xsl for the mount's title.

usage: air_listen.py HOST PORT MOUNT OUTDIR STOPFILE
OUTDIR gets conn-N.ogg (the bytes of connection N), pages.tsv (arrival time, connection,
byte offset, granule, serial, bos, eos) and titles.tsv (time, title). Runs until STOPFILE
exists."""
import json
import os
import socket
import struct
import sys
import threading
import time
import urllib.request

host, port, mount, outdir, stopfile = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
os.makedirs(outdir, exist_ok=True)
pages = open(os.path.join(outdir, "pages.tsv"), "w")
titles = open(os.path.join(outdir, "titles.tsv"), "w")
lock = threading.Lock()


def stopping():
    return os.path.exists(stopfile)


def poll_titles():
    last = None
    while not stopping():
        try:
            with urllib.request.urlopen("http://%s:%d/status-json.xsl" % (host, port), timeout=2) as r:
                st = json.loads(r.read().decode("utf-8", "replace"))
            src = st.get("icestats", {}).get("source")
            if isinstance(src, dict):
                src = [src]
            t = None
            for s in src or []:
                if s.get("listenurl", "").endswith(mount):
                    t = "%s" % (s.get("title") or "")
            if t is not None and t != last:
                with lock:
                    titles.write("%.6f\t%s\n" % (time.time(), t))
                    titles.flush()
                last = t
        except Exception:
            pass
        time.sleep(0.25)


def listen(conn_no):
    s = socket.create_connection((host, port), timeout=5)
    s.sendall(("GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: air_listen\r\n\r\n" % (mount, host)).encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(4096)
        if not d:
            return False
        buf += d
    head, buf = buf.split(b"\r\n\r\n", 1)
    if b" 200 " not in head.split(b"\r\n")[0]:
        return False
    out = open(os.path.join(outdir, "conn-%d.ogg" % conn_no), "wb")
    offset = 0
    s.settimeout(0.5)
    while not stopping():
        # whole pages in buf: note each as it completes
        while len(buf) >= 27:
            if buf[:4] != b"OggS":
                k = buf.find(b"OggS", 1)
                buf = buf[k:] if k > 0 else b""
                continue
            nseg = buf[26]
            if len(buf) < 27 + nseg:
                break
            blen = sum(buf[27:27 + nseg])
            plen = 27 + nseg + blen
            if len(buf) < plen:
                break
            page, buf = buf[:plen], buf[plen:]
            now = time.time()
            flags = page[5]
            granule = struct.unpack("<q", page[6:14])[0]
            serial = struct.unpack("<I", page[14:18])[0]
            out.write(page)
            out.flush()
            with lock:
                pages.write("%.6f\t%d\t%d\t%d\t%d\t%d\t%d\n" % (now, conn_no, offset, granule, serial, 1 if flags & 2 else 0,
                                                                1 if flags & 4 else 0))
                pages.flush()
            offset += plen
        try:
            d = s.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            break
        if not d:
            break
        buf += d
    out.close()
    s.close()
    return True


threading.Thread(target=poll_titles, daemon=True).start()
conn = 0
while not stopping():
    try:
        if listen(conn + 1):
            conn += 1
    except OSError:
        pass
    time.sleep(0.1)
