#!/usr/bin/env bash
# test_air_alsa.sh — `chalkwave air` to three ALSA devices at once, in real time (about
# three minutes; labelled slow), each defined in an .asoundrc the test writes:
#   card_fast  a card whose clock runs 200 ppm fast (tests/integration/alsa_cwclock.c, an
#              ioplug plugin that plays by the monotonic clock and records what it plays)
#   card_slow  one 200 ppm slow
#   sink       ALSA's file plugin over the null device (no clock of its own)
# Checks: on both cards every lesson's tone leaves the card at its planned wall-clock
# instant (within 20 ms; within 5 ms once the steering has settled, where uncorrected
# drift would be 24-34 ms), no underruns, and air reports the cards' rates; the null sink
# gets as many samples as wall time elapsed and the tones exactly 30 s apart; the as-run
# log lists all three outputs for every lesson.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/air_lib.inc"

plugin=$CW_BUILD_DIR/tests/integration/libasound_module_pcm_cwclock.so
if ! command -v sox >/dev/null || [ ! -f "$plugin" ]; then
    echo "SKIPPED: sox or the test card plugin ($plugin) is missing"
    exit 77
fi

zone=Africa/Lagos
W=$(next_minute 30)
st=$(air_station alsa "$zone" "$W" "0 30 440 5 One" "30 60 660 5 Two" "60 90 880 5 Three" "90 120 1100 5 Four" \
    "120 150 1320 5 Five" "150 180 1540 5 Six") || { not_ok "make the tone station"; cw_finish; }
date=$(TZ=$zone date -d "@$W" +%F)
cw --station "$st" build --date "$date" --quiet
expect_rc 0 "build the day"

home=$CW_TMP/home
mkdir -p "$home"
cat >"$home/.asoundrc" <<EOF
pcm_type.cwclock { lib "$plugin" }
pcm.card_fast { type cwclock file "$CW_TMP/fast.raw" ppm 200 }
pcm.card_slow { type cwclock file "$CW_TMP/slow.raw" ppm -200 }
pcm.sink { type file slave.pcm "null" file "$CW_TMP/sink.raw" format "raw" }
EOF

sleep_until $((W - 10))
T0=$("$CW_PYTHON" -c 'import time; print("%.3f" % time.time())')
HOME=$home "${AIR_RT[@]}" "$CW_BINARY" --station "$st" air --output alsa:card_fast --output alsa:card_slow --output alsa:sink \
    >"$CW_TMP/air.log" 2>&1 </dev/null &
AIR_PID=$!
trap '[ -n "${AIR_PID:-}" ] && kill -9 "$AIR_PID" 2>/dev/null; cw_cleanup' EXIT
sleep_until $((W + 170))
kill -TERM "$AIR_PID"
wait "$AIR_PID"
expect_eq "$?" 0 "air stops with exit 0"
T1=$("$CW_PYTHON" -c 'import time; print("%.3f" % time.time())')
AIR_PID=""
for c in fast slow; do
    expect_eq "$(cat "$CW_TMP/$c.raw.xruns" 2>/dev/null)" 0 "card_$c never ran dry"
    [ -s "$CW_TMP/$c.raw.xruns.log" ] && echo "    card_$c ran dry (wall ns, frames into the run, frames short; air stopped at $T1):" &&
        sed 's/^/      /' "$CW_TMP/$c.raw.xruns.log"
done
grep -q "alsa:card_fast: the card's clock runs +\(18[5-9]\|19[0-9]\|20[0-9]\|21[0-5]\) ppm" "$CW_TMP/air.log" &&
    ok "air reports card_fast's clock +200 ppm" || not_ok "air reports card_fast's clock: $(grep "clock runs" "$CW_TMP/air.log")"
grep -q "alsa:card_slow: the card's clock runs -\(18[5-9]\|19[0-9]\|20[0-9]\|21[0-5]\) ppm" "$CW_TMP/air.log" &&
    ok "air reports card_slow's clock -200 ppm" || not_ok "air reports card_slow's clock: $(grep "clock runs" "$CW_TMP/air.log")"
grep -q "alsa:sink takes audio as fast as it is given" "$CW_TMP/air.log" && ok "air sees the null sink has no clock" ||
    not_ok "air did not notice the null sink has no clock"

"$CW_PYTHON" - "$CW_TMP" "$st/out/$date/plan.json" "$T0" "$T1" "$st/asrun" >"$CW_TMP/check.out" 2>&1 <<'PYEOF'
import array, glob, json, os, sys
from datetime import datetime
tmp, plan_path, T0, T1, asrun = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
def epoch(s): return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
plan = json.load(open(plan_path))
starts = [epoch(it["start_utc"]) for it in plan["items"] if it["kind"] == "lesson"]
fails = 0
def check(ok, what):
    global fails
    print(("ok - " if ok else "FAIL - ") + what)
    fails += 0 if ok else 1
def onsets(x, rate):
    # the tones fade in over 20 ms: the first sample over -50 dBFS after half a second of
    # silence is their start (to about a millisecond)
    out, quiet = [], rate
    for k, v in enumerate(x):
        if abs(v) > 0.003 and quiet > rate // 2:
            out.append(k)
        quiet = 0 if abs(v) > 0.003 else quiet + 1
    return out
for card, ppm in (("fast", 200), ("slow", -200)):
    real, mono, rate, ch, fmt, _ = open(os.path.join(tmp, card + ".raw.start")).read().split()
    rate, ch = int(rate), int(ch)
    x = array.array("f" if fmt.startswith("FLOAT") else "h")
    x.frombytes(open(os.path.join(tmp, card + ".raw"), "rb").read())
    if fmt.startswith("S16"):
        x = array.array("f", (v / 32768 for v in x))
    x = x[::ch]
    t0 = int(real) / 1e9
    heard = [t0 + k / (rate * (1 + ppm * 1e-6)) for k in onsets(x, rate)]
    errs = []
    for s in starts:
        near = [h for h in heard if abs(h - s) < 1.0]
        errs.append((near[0] - s) if near else None)
    print("card_%s: onsets vs plan (ms): %s" % (card, ["%+.1f" % (e * 1000) if e is not None else "missing" for e in errs]))
    check(all(e is not None for e in errs), "card_%s: every lesson's tone was heard" % card)
    got = [abs(e) for e in errs if e is not None]
    check(got and max(got) < 0.020, "card_%s: every tone within 20 ms of its planned instant (worst %.1f ms)" % (card, 1000 * max(got or [9])))
    late = [abs(e) for e in errs[2:] if e is not None]
    check(late and max(late) < 0.005, "card_%s: within 5 ms once settled (worst %.1f ms; uncorrected: %.0f ms by the end)"
          % (card, 1000 * max(late or [9]), abs(ppm) * 1e-6 * (starts[-1] - T0) * 1000))
# the null sink: no clock of its own; air paces it
x = array.array("f")
x.frombytes(open(os.path.join(tmp, "sink.raw"), "rb").read())
rate = plan["rate"]
n = len(x)  # mono float
check(abs(n / rate - (T1 - T0)) < 0.6, "sink: %.2f s of samples for %.2f s of wall time" % (n / rate, T1 - T0))
on = onsets(x, rate)
gaps = [(b - a) / rate for a, b in zip(on, on[1:])]
check(len(on) == len(starts) and all(abs(g - 30) < 0.002 for g in gaps), "sink: the tones are 30 s apart (%s)" % ["%.4f" % g for g in gaps])
recs = []
for f in sorted(glob.glob(os.path.join(asrun, "*.jsonl"))):
    recs += [json.loads(l) for l in open(f) if l.strip()]
items = [r for r in recs if r["record"] == "item" and r["kind"] == "lesson"]
check(len(items) == 6, "six lessons in the as-run log (%d)" % len(items))
for r in items:
    outs = sorted(o["output"] for o in r["outputs"])
    ok_ = outs == ["alsa:card_fast", "alsa:card_slow", "alsa:sink"] and r["complete"] and all(o["complete"] for o in r["outputs"])
    check(ok_, "%s: complete on all three outputs (%s)" % (r["title"], outs))
print("fails %d" % fails)
PYEOF
while IFS= read -r line; do
    case "$line" in
    "ok - "*) ok "${line#ok - }" ;;
    "FAIL - "*) not_ok "${line#FAIL - }" ;;
    *) echo "    $line" ;;
    esac
done <"$CW_TMP/check.out"
grep -q "Traceback" "$CW_TMP/check.out" && not_ok "the analysis ran"
[ "$CW_FAILED" != 0 ] && sed 's/^/    /' "$CW_TMP/air.log" | tail -20
cw_finish
