#!/usr/bin/env python3
"""subs_server.py — the partner's web server for the subscription tests: a real HTTP(S)
server on 127.0.0.1 (a free port, written to --port-file) serving the calendars of --root.

GET /cal/NAME (any prefix before /cal/, e.g. /secret/TOKEN/cal/NAME, and any query string,
are accepted: links carry secrets there) answers with the file ROOT/NAME, with an ETag (a hash
of the bytes) and Last-Modified (its mtime), and 304 for If-None-Match / If-Modified-Since
that match. ROOT/NAME.mode, when present, changes the answer (read at every request):
  status N      answer N with a small HTML body
  html          200 text/html: a sign-in page
  html-as-ics   200 text/calendar whose body is an HTML page
  ics-as-html   200 text/html whose body is the calendar (a misconfigured web server)
  portal        302 to /login (a captive portal), which answers a sign-in page
  truncate      Content-Length of the whole file, half of it sent, then the connection closed
  slow S        wait S seconds, then answer normally
  big           20 MB of calendar-looking text without Content-Length (ends at close)
  biglen        the same with Content-Length
  redirect N    302 N times (to /cal/NAME?hop=k), then the file
  to-http URL   302 to URL (an https server sending the client to plain http)
  plain         200 without ETag or Last-Modified (a server without validators)
  restamp       as plain, every DTSTAMP line set to the time of the request (as Google's
                and Outlook's published calendars do), one of them folded
  gzip          the file gzip-compressed (Content-Encoding: gzip)
  empty         200 with no body
Every request is logged to --log as "METHOD PATH STATUS" (PATH without the query), flushed.
With --tls CERT KEY the server speaks TLS only. With --proxy it is instead a forwarding
HTTP proxy (a school network's): GET http://HOST:PORT/PATH is sent on to that server with
the request's headers and its answer relayed, logged as "PROXY HOST:PORT PATH STATUS".
Runs until killed.
"""
import argparse
import email.utils
import gzip
import http.client
import hashlib
import http.server
import os
import ssl
import sys
import threading
import time
import urllib.parse

ap = argparse.ArgumentParser()
ap.add_argument("--root", required=True)
ap.add_argument("--log", required=True)
ap.add_argument("--port-file", required=True)
ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
ap.add_argument("--proxy", action="store_true")
args = ap.parse_args()
log_lock = threading.Lock()
restamps = 0

LOGIN = (b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>"
         b"<form method=post><input name=user><input type=password name=pw></form></body></html>\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):  # quiet: our own log only
        pass

    def note(self, status):
        path = urllib.parse.urlsplit(self.path).path
        with log_lock, open(args.log, "a") as f:
            f.write("%s %s %d\n" % (self.command, path, status))

    def send(self, status, body=b"", ctype="text/calendar; charset=utf-8", headers=(), length=True):
        self.note(status)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for k, v in headers:
            self.send_header(k, v)
        if length:
            self.send_header("Content-Length", str(len(body)))
        else:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def forward(self):
        url = urllib.parse.urlsplit(self.path)
        if url.scheme != "http" or not url.netloc:
            return self.send(400, b"<h1>not a proxy request</h1>", "text/html")
        hop = ("connection", "proxy-connection", "keep-alive", "proxy-authorization", "te", "upgrade")
        headers = {k: v for k, v in self.headers.items() if k.lower() not in hop}
        path = url.path + ("?" + url.query if url.query else "")
        try:
            conn = http.client.HTTPConnection(url.netloc, timeout=30)
            conn.request(self.command, path, headers=headers)
            r = conn.getresponse()
            body = r.read()
        except OSError:
            return self.send(502, b"<h1>bad gateway</h1>", "text/html")
        with log_lock, open(args.log, "a") as f:
            f.write("PROXY %s %s %d\n" % (url.netloc, url.path, r.status))
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in hop + ("transfer-encoding", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def do_GET(self):
        if args.proxy:
            return self.forward()
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        if url.path == "/login":
            return self.send(200, LOGIN, "text/html; charset=utf-8")
        if "/cal/" not in url.path:
            return self.send(404, b"<h1>not found</h1>", "text/html")
        name = url.path.rsplit("/cal/", 1)[1]
        path = os.path.join(args.root, name)
        if "/" in name or not os.path.isfile(path):
            return self.send(404, b"<h1>not found</h1>", "text/html")
        mode = ""
        if os.path.exists(path + ".mode"):
            mode = open(path + ".mode").read().strip()
        word, _, arg = mode.partition(" ")
        data = open(path, "rb").read()
        if word == "status":
            return self.send(int(arg), b"<h1>error</h1>", "text/html")
        if word == "html":
            return self.send(200, LOGIN, "text/html; charset=utf-8")
        if word == "html-as-ics":
            return self.send(200, LOGIN)
        if word == "portal":
            return self.send(302, b"", "text/html", [("Location", "/login")])
        if word == "to-http":
            return self.send(302, b"", "text/html", [("Location", arg)])
        if word == "empty":
            return self.send(200, b"")
        if word == "slow":
            time.sleep(float(arg))
        if word == "redirect":
            hop = int(query.get("hop", ["0"])[0])
            if hop < int(arg):
                return self.send(302, b"", "text/html", [("Location", "/cal/%s?hop=%d" % (name, hop + 1))])
        if word in ("big", "biglen"):
            line = b"X-PADDING:" + b"x" * 90 + b"\r\n"
            n = 20 * 1024 * 1024 // len(line)
            self.note(200)
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar")
            if word == "biglen":
                self.send_header("Content-Length", str(len(b"BEGIN:VCALENDAR\r\n") + n * len(line)))
            else:
                self.send_header("Connection", "close")
            self.end_headers()
            try:
                self.wfile.write(b"BEGIN:VCALENDAR\r\n")
                for _ in range(n // 1000):
                    self.wfile.write(line * 1000)
            except (BrokenPipeError, ConnectionResetError):
                pass
            self.close_connection = True
            return
        if word == "truncate":
            self.note(200)
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        st = os.stat(path)
        etag = '"%s"' % hashlib.sha256(data).hexdigest()[:16]
        lastmod = email.utils.formatdate(int(st.st_mtime), usegmt=True)
        plain = word in ("plain", "restamp")
        validators = [] if plain else [("ETag", etag), ("Last-Modified", lastmod)]
        if not plain:
            inm = self.headers.get("If-None-Match")
            ims = self.headers.get("If-Modified-Since")
            if inm is not None:
                if etag in [t.strip() for t in inm.split(",")]:
                    return self.send(304, b"", headers=validators)
            elif ims is not None:
                try:
                    if email.utils.parsedate_to_datetime(ims).timestamp() >= int(st.st_mtime):
                        return self.send(304, b"", headers=validators)
                except (TypeError, ValueError):
                    pass
        if word == "restamp":
            global restamps
            restamps += 1  # another stamp at every request, even two in one second
            stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() + 61 * restamps)).encode()
            lines = data.split(b"\r\n")
            out, folded = [], False
            for line in lines:
                if line.upper().startswith(b"DTSTAMP:"):
                    line = b"DTSTAMP:" + stamp[:16]
                    if not folded:  # a folded one: the line goes on after CRLF + space
                        line, folded = line[:10] + b"\r\n " + line[10:], True
                out.append(line)
            return self.send(200, b"\r\n".join(out))
        if word == "ics-as-html":
            return self.send(200, data, "text/html; charset=utf-8", headers=validators)
        if word == "gzip":
            return self.send(200, gzip.compress(data), headers=validators + [("Content-Encoding", "gzip")])
        return self.send(200, data, headers=validators)

    do_HEAD = do_GET


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


srv = Server(("127.0.0.1", 0), Handler)
if args.tls:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.tls[0], args.tls[1])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
tmp = args.port_file + ".tmp"
with open(tmp, "w") as f:
    f.write("%d\n" % srv.server_address[1])
os.rename(tmp, args.port_file)
try:
    srv.serve_forever()
except KeyboardInterrupt:
    sys.exit(0)
