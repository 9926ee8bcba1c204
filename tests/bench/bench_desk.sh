#!/bin/bash
# bench_desk.sh — the desk's speed goals (issue #15). Never run in CI.
#  1. a 10-minute WAV uploaded over loopback and ingested (POST /t/TOKEN/upload, answered
#     when the ingest ends) against `chalkwave ingest` of the same file: goal <= 1.1x;
#  2. the week page and the library page of a station with 50 partner calendars (5 years of
#     history) and 10,000 recordings: p95 under 50 ms (warm: the desk keeps the library
#     index and the plans; the first, cold request is shown too);
#  3. 200 idle keep-alive connections: the server's resident memory under 50 MB;
#  4. the inbox page at its cap of 2,000 uploads (no goal in the issue: a figure to watch).
# usage: tests/bench/bench_desk.sh [BUILD_DIR]   (default: build; use an optimised build)
#   BENCH_STATION=DIR keeps the generated 10,000-recording station there and reuses it;
#   RUNS=N uploads and ingests per side (default 3, medians).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
bin=$build/cli/chalkwave
runs=${RUNS:-3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cw-bench-desk-XXXXXX")
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
for t in cc pkg-config bc curl sox /usr/bin/python3; do
    command -v "$t" >/dev/null || { echo "bench_desk: needs '$t'" >&2; exit 2; }
done

# serve STATION: start the desk on a free port; sets url and pid
serve() {
    "$bin" --station "$1" serve --listen 127.0.0.1:0 --quiet >"$tmp/serve.out" 2>"$tmp/serve.err" &
    pid=$!
    pids+=("$pid")
    for _ in $(seq 100); do
        url=$(sed -n 's/^the desk is at \([^ ]*\) .*/\1/p' "$tmp/serve.out")
        [ -n "$url" ] && return 0
        sleep 0.1
    done
    echo "bench_desk: the desk did not start: $(cat "$tmp/serve.err")" >&2
    exit 1
}
stop() { kill -TERM "$pid"; wait "$pid" || true; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# ---- 1. upload + ingest vs ingest --------------------------------------------------------------------
if [ -z "${SKIP_UPLOAD:-}" ]; then # SKIP_UPLOAD=1: only parts 2 and 3
echo "--- 1. a 10-minute WAV: upload over loopback + ingest vs chalkwave ingest (median of $runs) ---"
sox -n -r 44100 -c 2 -b 16 "$tmp/talk.wav" synth 600 pinknoise tremolo 2.5 90 lowpass 3500 vol 0.4
printf 'file: %s MB\n' "$(($(stat -c %s "$tmp/talk.wav") / 1048576))"
: >"$tmp/cli.t"
: >"$tmp/web.t"
: >"$tmp/cli.c"
: >"$tmp/web.c"
: >"$tmp/cli.m"
: >"$tmp/web.m"
# CPU seconds (user + system) of a running process
cpu_of() { awk '{print ($14 + $15) / 100}' "/proc/$1/stat"; }
cli_run() {
    t0=$(date +%s.%N)
    /usr/bin/time -f '%U %S %M' -o "$tmp/cli.time" \
        "$bin" --station "$tmp/a" ingest --series talk --episode 1 --title Talk --teacher T "$tmp/talk.wav" >/dev/null
    echo "$(date +%s.%N) - $t0" | bc >>"$tmp/cli.t"
    read -r u s m <"$tmp/cli.time"
    echo "$u + $s" | bc >>"$tmp/cli.c"
    echo "$m" >>"$tmp/cli.m"
}
web_run() {
    tok=$("$bin" --station "$tmp/b" teacher add T --series talk --no-qr 2>/dev/null | sed -n 's#.*/t/##p')
    serve "$tmp/b"
    c0=$(cpu_of "$pid")
    t0=$(date +%s.%N)
    /usr/bin/time -f '%U %S' -o "$tmp/curl.time" curl -s -o "$tmp/up.json" -w '%{http_code}' -H 'Accept: application/json' \
        -F series=talk -F episode=1 -F title=Talk -F "file=@$tmp/talk.wav" "$url/t/$tok/upload" >"$tmp/code"
    code=$(cat "$tmp/code")
    echo "$(date +%s.%N) - $t0" | bc >>"$tmp/web.t"
    read -r u s <"$tmp/curl.time"
    echo "$(cpu_of "$pid") - $c0 + $u + $s" | bc >>"$tmp/web.c"
    awk '/VmHWM/ {print $2}' "/proc/$pid/status" >>"$tmp/web.m" # the desk's peak resident memory
    stop
    [ "$code" = 200 ] || { echo "bench_desk: the upload failed ($code): $(cat "$tmp/up.json")" >&2; exit 1; }
}
for i in $(seq "$runs"); do # the order alternates, so a busy moment of the machine hits both sides
    rm -rf "$tmp/a" "$tmp/b"
    "$bin" init "$tmp/a" >/dev/null
    "$bin" init "$tmp/b" >/dev/null
    if [ $((i % 2)) = 1 ]; then cli_run; web_run; else web_run; cli_run; fi
    # a teacher's upload waits for approval ([desk] approve = yes): pending/, the same bytes
    cmp -s "$tmp/a/library/lesson/talk/001-talk.ogg" "$tmp/b/pending/lesson/talk/001-talk.ogg" ||
        { echo "bench_desk: the desk's file differs from the CLI's" >&2; exit 1; }
done
cli=$(median <"$tmp/cli.t")
web=$(median <"$tmp/web.t")
printf 'wall: chalkwave ingest %.2f s, upload + ingest through the desk %.2f s: ratio %.3f (goal <= 1.1); same bytes\n' \
    "$cli" "$web" "$(echo "$web / $cli" | bc -l)"
clic=$(median <"$tmp/cli.c")
webc=$(median <"$tmp/web.c")
printf 'CPU:  chalkwave ingest %.2f s, the desk + curl %.2f s: ratio %.3f (wall ratios swing on a shared machine)\n' \
    "$clic" "$webc" "$(echo "$webc / $clic" | bc -l)"
printf 'peak RSS: chalkwave ingest %.1f MB, the desk (start, upload streamed to disk, ingest) %.1f MB for a %s MB upload\n' \
    "$(median <"$tmp/cli.m" | awk '{print $1/1024}')" "$(median <"$tmp/web.m" | awk '{print $1/1024}')" \
    "$(($(stat -c %s "$tmp/talk.wav") / 1048576))"
fi

# ---- 2. the week and the library of a 10,000-recording station --------------------------------------------
echo "--- 2. week and library pages, 50 partner calendars, 10,000 recordings ---"
cc -O2 -std=c11 -D_GNU_SOURCE -I"$src/common" -I"$src/calendars" -I"$src/audio" -I"$src/scheduler" \
    "$here/bench_plan.c" -o "$tmp/bench_plan" \
    "$build/scheduler/libcw_scheduler.a" "$build/calendars/libcw_calendars.a" "$build/audio/libcw_audio.a" \
    "$build/common/libcw_common.a" \
    $(pkg-config --libs jansson libical vorbis vorbisenc vorbisfile ogg sndfile libebur128 soxr libmpg123 inih libcrypto) \
    -lpthread -lm
st=${BENCH_STATION:-$tmp/big}
if [ ! -f "$st/.bench-desk" ]; then
    rm -rf "$st"
    "$bin" init "$st" >/dev/null
    sed -i 's/^rate = .*/rate = 8000/; s/^on_air = .*/on_air = 06:00-22:00/; s/^fillers = .*/fillers =/' "$st/station.conf"
    /usr/bin/python3 "$here/gen_partners.py" "$st/calendars" 4
    { echo "[calendars]"; for i in $(seq -w 0 49); do echo "partner-$i.ics = $((10#$i % 5))"; done; } >>"$st/station.conf"
    "$tmp/bench_plan" gen "$st" 10000
    touch "$st/.bench-desk"
fi
rm -rf "$st/desk"
printf 'benchmark pass\n' | "$bin" --station "$st" user add bench --password-stdin >/dev/null
serve "$st"
echo "RSS after start: $(awk '/VmRSS/ {printf "%.1f MB", $2/1024}' "/proc/$pid/status")"
/usr/bin/python3 - "$url" <<'PYEOF'
import http.client, json, sys, time, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
c = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
c.request("POST", "/api/login", json.dumps({"user": "bench", "password": "benchmark pass"}),
          {"Content-Type": "application/json"})
r = c.getresponse()
cookie = r.getheader("Set-Cookie").split(";")[0]
r.read()
def get(path):
    t = time.perf_counter()
    c.request("GET", path, headers={"Cookie": cookie})
    r = c.getresponse()
    body = r.read()
    assert r.status == 200, (path, r.status)
    return (time.perf_counter() - t) * 1000, len(body)
for name, path in (("week", "/staff/week?from=2026-03-16"), ("library", "/staff/library"),
                   ("library search", "/staff/library?q=lesson&page=3"), ("missing (14 days)", "/staff/missing?from=2026-03-16")):
    cold, size = get(path)
    ms = sorted(get(path)[0] for _ in range(100))
    print("%-18s cold %6.1f ms; warm p50 %5.1f ms, p95 %5.1f ms, max %5.1f ms (%d requests, %d KB)"
          % (name, cold, ms[49], ms[94], ms[-1], len(ms), size // 1024))
PYEOF
echo "RSS with the plans cached: $(awk '/VmRSS/ {printf "%.1f MB", $2/1024}' "/proc/$pid/status")"

# ---- 3. 200 idle keep-alive connections ----------------------------------------------------------------------
echo "--- 3. 200 idle keep-alive connections ---"
/usr/bin/python3 - "$url" "$pid" <<'PYEOF'
import socket, sys, time, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
def rss():
    for l in open("/proc/%s/status" % sys.argv[2]):
        if l.startswith("VmRSS"):
            return int(l.split()[1]) / 1024
before = rss()
socks = []
for i in range(200):
    s = socket.create_connection((u.hostname, u.port))
    s.sendall(b"GET /login HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n")
    data = b""
    while b"</html>" not in data:
        data += s.recv(65536)
    socks.append(s)
time.sleep(1)
after = rss()
alive = 0
for s in socks:  # still open: each answers another request
    s.sendall(b"GET /assets/desk.css HTTP/1.1\r\nHost: x\r\n\r\n")
    alive += b"200 OK" in s.recv(65536)
print("RSS %.1f MB before, %.1f MB with 200 idle keep-alive connections (goal < 50 MB); %d of 200 still answer"
      % (before, after, alive))
PYEOF
stop

# ---- 4. the inbox at its cap: 2,000 uploads, 1,000 of them approved from the terminal -------------------------
# The desk keeps the newest 2,000 uploads. Each inbox page looks whether the recordings still
# waiting are still in pending/; 1,000 that `chalkwave library approve` moved meanwhile are
# followed (each one a read-modify-write of desk/uploads.json) on the first page, once.
echo "--- 4. the inbox page with 2,000 uploads (1,000 approved from the terminal since) ---"
ib=$tmp/inbox
"$bin" init "$ib" >/dev/null
mkdir -p "$ib/desk" "$ib/library/lesson/s" "$ib/pending/lesson/s"
/usr/bin/python3 - "$ib" <<'PYEOF'
import json, os, sys
st = sys.argv[1]
ups = []
for i in range(2000):
    pend = i < 1000
    rec = "pending/lesson/s/%03d-part-%d.ogg" % (i % 999 + 1, i) if pend else "library/lesson/s/%03d-done-%d.ogg" % (i % 999 + 1, i)
    if pend:  # approved in the terminal: the file is in library/ now
        open(os.path.join(st, "library/lesson/s/%03d-part-%d.ogg" % (i % 999 + 1, i)), "w").close()
    ups.append({"id": "u%05d" % i, "teacher": "T%d" % (i % 40), "by": "T%d" % (i % 40), "file": "part %d.m4a" % i,
                "size": 123456, "received": "2026-03-%02dT08:00:00Z" % (i % 28 + 1), "title": "Part %d" % i,
                "series": "s", "kind": "lesson", "episode": i % 999 + 1,
                "status": "pending" if pend else "accepted", "reason": "", "recording": rec, "seconds": 612.5,
                "job": "", "airs": "It airs on Monday 16 March at 09:00."})
json.dump({"uploads": ups}, open(os.path.join(st, "desk/uploads.json"), "w"))
PYEOF
printf 'benchmark pass\n' | "$bin" --station "$ib" user add bench --password-stdin >/dev/null
serve "$ib"
/usr/bin/python3 - "$url" <<'PYEOF'
import http.client, json, sys, time, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
c = http.client.HTTPConnection(u.hostname, u.port, timeout=300)
c.request("POST", "/api/login", json.dumps({"user": "bench", "password": "benchmark pass"}),
          {"Content-Type": "application/json"})
r = c.getresponse()
cookie = r.getheader("Set-Cookie").split(";")[0]
r.read()
def get(path):
    t = time.perf_counter()
    c.request("GET", path, headers={"Cookie": cookie})
    r = c.getresponse()
    body = r.read()
    assert r.status == 200, (path, r.status)
    return (time.perf_counter() - t) * 1000, body
first, body = get("/staff/inbox")
approved = body.count(b"approved")
ms = sorted(get("/staff/inbox")[0] for _ in range(50))
print("inbox: first page (following 1,000 approvals) %.0f ms; then p50 %.1f ms, p95 %.1f ms (50 requests, %d KB); "
      "'approved' shown %d times" % (first, ms[24], ms[47], len(body) // 1024, approved))
PYEOF
stop
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
