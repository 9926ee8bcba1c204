#!/usr/bin/env python3
"""air_ffmpeg_listen.py — ffmpeg as a second, independent listener for the air tests: ffmpeg
reads the Icecast mount (a chained Ogg Vorbis stream, one link per item) and decodes it to
mono 16-bit PCM on a pipe, flushed per packet; this script notes when each decoded chunk
arrived, so a sample's arrival time is known to within a packet.

usage: air_ffmpeg_listen.py URL RATE OUTDIR STOPFILE
OUTDIR gets ff.raw (the PCM), arrivals.tsv (arrival time, samples so far) and ffmpeg.err.
Runs until the stream ends (the source went away) or STOPFILE exists; retries the first
connection for 10 s (the mount may not be up yet)."""
import os
import subprocess
import sys
import time

url, rate, outdir, stopfile = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
os.makedirs(outdir, exist_ok=True)
raw = open(os.path.join(outdir, "ff.raw"), "wb")
arr = open(os.path.join(outdir, "arrivals.tsv"), "w")
err = open(os.path.join(outdir, "ffmpeg.err"), "wb")
deadline = time.time() + 10
total = nbytes = 0
while total == 0 and time.time() < deadline and not os.path.exists(stopfile):
    p = subprocess.Popen(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "warning", "-i", url, "-vn", "-ac", "1",
                          "-ar", str(rate), "-f", "s16le", "-flush_packets", "1", "pipe:1"],
                         stdout=subprocess.PIPE, stderr=err, bufsize=0)
    while not os.path.exists(stopfile):
        b = p.stdout.read(4096)
        if not b:
            break
        t = time.time()
        raw.write(b)
        nbytes += len(b)
        total = nbytes // 2
        arr.write("%.6f\t%d\n" % (t, total))
    p.terminate()
    p.wait()
    if total == 0:
        time.sleep(0.5)
raw.close()
arr.close()
