#!/usr/bin/env bash
# test_air_liquidsoap.sh — the example Liquidsoap playout (examples/liquidsoap/air.liq) in
# real time (about a minute and a half; labelled slow) and `chalkwave asrun import` of its log:
#   1. started inside the first lesson it joins there (a cue-in at the right second), plays
#      the next lessons at their planned instants (within Liquidsoap's ~0.5 s of latency),
#      and the recording it makes has each lesson's tone where the plan puts it;
#   2. stopped and started again in the middle of a lesson, it joins that lesson again;
#   3. the import gives the same as-run records `chalkwave air` writes: the joined lesson cut
#      ("joined"), the one interrupted by the stop, the gap while Liquidsoap was not running,
#      the lessons that aired in full; importing again adds nothing; a log without any
#      chalkwave-asrun line is refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/air_lib.inc"

for peer in liquidsoap sox; do
    if ! command -v $peer >/dev/null; then
        echo "SKIPPED: $peer is not installed (apt-get install $peer; it is in scripts/deps.txt)"
        exit 77
    fi
done

zone=Africa/Lagos
W=$(( $(date +%s) + 30 ))
st=$(air_station liq "$zone" "$W" "0 20 440 18 Fractions" "20 50 880 28 Words" "50 65 1320 12 Plants") ||
    { not_ok "make the tone station"; cw_finish; }
date=$(TZ=$zone date -d "@$W" +%F)
cw --station "$st" build --date "$date" --quiet
expect_rc 0 "build the day"

liq=$CW_TMP/air.liq
if [ "$(id -u)" = 0 ]; then # Liquidsoap refuses root unless told
    sed 's/^# settings.init.allow_root.set(true).*/settings.init.allow_root.set(true)/' \
        "$CW_SOURCE_DIR/examples/liquidsoap/air.liq" >"$liq"
else
    cp "$CW_SOURCE_DIR/examples/liquidsoap/air.liq" "$liq"
fi
cleanup_liq() {
    [ -n "${LIQ_PID:-}" ] && kill -9 "$LIQ_PID" 2>/dev/null
    cw_cleanup
}
trap cleanup_liq EXIT
log=$CW_TMP/liquidsoap.log

# Liquidsoap takes a few seconds to start: started at W-1 it plays from about W+5
sleep_until $((W - 1))
liquidsoap "$liq" -- "$st" "$CW_TMP/run1.wav" >>"$log" 2>&1 &
LIQ_PID=$!
sleep_until $((W + 28)) # 8 s into "Words": stop, start again at once (it plays again inside it)
kill -TERM "$LIQ_PID"
wait "$LIQ_PID"
liquidsoap "$liq" -- "$st" "$CW_TMP/run2.wav" >>"$log" 2>&1 &
LIQ_PID=$!
sleep_until $((W + 68))
kill -TERM "$LIQ_PID"
wait "$LIQ_PID"
LIQ_PID=""
check "liquidsoap logged its tracks" grep -q "chalkwave-asrun:.*start" "$log"
grep -E '\[[a-z0-9._-]+:[12]\]' "$log" | grep -v -e 'Decoding .* ended' >"$CW_TMP/liq.err"
expect_eq "$(wc -l <"$CW_TMP/liq.err")" 0 "liquidsoap reported no errors $(head -2 "$CW_TMP/liq.err")"


cw --station "$st" asrun import "$log"
expect_rc 0 "import the log"
expect_out "items added to the as-run log, 0 already there"
cw --station "$st" asrun import "$log"
expect_rc 0 "import it again"
expect_out " 0 items added to the as-run log"

# the proof of broadcast from what the import wrote (and the plan's slots)
cw --station "$st" report --from "$date" --to "$date" --format json --out "$CW_TMP/report.json"
expect_rc 0 "report on the day"
cw --station "$st" report --from "$date" --to "$date" --calendar partner.ics --out "$CW_TMP/report.html"
expect_rc 0 "report on the day as HTML for the partner's calendar"
if command -v xmllint >/dev/null; then
    xmllint --noout "$CW_TMP/report.html" >"$CW_TMP/xmllint.txt" 2>&1 && xmllint --html --noout "$CW_TMP/report.html" >>"$CW_TMP/xmllint.txt" 2>&1
    expect_eq "$?:$(wc -c <"$CW_TMP/xmllint.txt")" "0:0" "xmllint finds nothing to report in the report (XML and HTML)"
fi
cw --station "$st" report --from "$date" --to "$date" --format csv
expect_rc 0 "report as CSV"
"$CW_PYTHON" - "$CW_OUT" <<'PYEOF' >"$CW_TMP/csv.txt" 2>&1
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
print(";".join("%s=%s" % (r["title"], r["result"]) for r in rows))
PYEOF
expect_eq "$(cat "$CW_TMP/csv.txt")" "Fractions=aired, cut short;Words=aired, cut short;Plants=aired" "Python's csv reads the three lessons and their results"

printf 'just a log\n' >"$CW_TMP/other.log"
cw --station "$st" asrun import "$CW_TMP/other.log"
expect_rc 1 "a log without chalkwave-asrun lines is refused"
expect_one_line_err "no chalkwave-asrun lines"

"$CW_PYTHON" - "$st" "$st/out/$date/plan.json" "$log" "$CW_TMP/run2.wav" "$W" >"$CW_TMP/check.out" 2>&1 <<'PYEOF'
import glob, json, math, os, sys, wave, struct
from datetime import datetime
st, plan_path, log, wav, W = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])
def epoch(s): return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
plan = json.load(open(plan_path))
starts = {it["title"]: epoch(it["start_utc"]) for it in plan["items"] if it["kind"] == "lesson"}
recs = []
for f in sorted(glob.glob(os.path.join(st, "asrun", "*.jsonl"))):
    recs += [json.loads(l) for l in open(f) if l.strip()]
items = [r for r in recs if r["record"] == "item" and r["kind"] == "lesson"]
fails = 0
def check(ok, what):
    global fails
    print(("ok - " if ok else "FAIL - ") + what)
    fails += 0 if ok else 1
by = {}
for r in items:
    by.setdefault(r["title"], []).append(r)
check(sorted(by) == ["Fractions", "Plants", "Words"], "lessons in the as-run log: %s" % sorted(by))
f = by.get("Fractions", [])
check(len(f) == 1 and not f[0]["complete"] and "joined" in (f[0]["cut_reason"] or ""),
      "Fractions was joined late (%s)" % [(r["from_s"], r["cut_reason"]) for r in f])
if f:
    pos = epoch(f[0]["actual_start_utc"]) - starts["Fractions"]
    check(abs(f[0]["from_s"] - pos) < 0.6, "it joined at the second the clock said (cue %.2f s, clock %.2f s)" % (f[0]["from_s"], pos))
w = by.get("Words", [])
check(len(w) == 2, "Words has two records (stopped, then joined again): %d" % len(w))
if len(w) == 2:
    check("liquidsoap stopped" in (w[0]["cut_reason"] or ""), "the first ends with the stop: %s" % w[0]["cut_reason"])
    check(abs(epoch(w[0]["actual_start_utc"]) - starts["Words"]) < 0.6, "Words began on time (%s)" % w[0]["actual_start_utc"])
    pos = epoch(w[1]["actual_start_utc"]) - starts["Words"]
    check(10 < w[1]["from_s"] < 27 and abs(w[1]["from_s"] - pos) < 0.6,
          "the restart joined it %.2f s in (the clock said %.2f s)" % (w[1]["from_s"], pos))
p = by.get("Plants", [])
check(len(p) == 1 and p[0]["complete"], "Plants aired complete")
if p:
    late = epoch(p[0]["actual_start_utc"]) - starts["Plants"]
    check(abs(late) < 0.6, "Plants began at its planned instant (%+.3f s)" % late)
    check(p[0]["outputs"][0]["output"] == "liquidsoap" and p[0]["source"].startswith("liquidsoap:"), "marked as imported")
    check(p[0]["event_uid"] == "lesson3@air-test" and p[0]["series"] == "s3", "with the plan's event and series")
gaps = [r for r in recs if r["record"] == "gap"]
rep = json.load(open(os.path.join(os.path.dirname(wav), "report.json")))
res = {r["title"]: (r["result"], r["reason"] or "") for r in rep["lessons"]}
check(res.get("Plants", ("",))[0] == "aired", "report: Plants aired (%s)" % (res.get("Plants"),))
check(res.get("Fractions", ("",))[0] == "cut" and "started" in res["Fractions"][1], "report: Fractions cut, joined late (%s)" % (res.get("Fractions"),))
check(res.get("Words", ("",))[0] == "cut" and "liquidsoap stopped" in res["Words"][1], "report: Words cut by the stop (%s)" % (res.get("Words"),))
tot = {t["series"]: t for t in rep["totals"]}
check(tot.get("s3", {}).get("aired") == 1 and tot.get("s1", {}).get("cut") == 1, "report totals per series: %s" % sorted(tot))
check(len(gaps) == 1 and gaps[0]["reason"] == "liquidsoap stopped" and 1 < gaps[0]["length_s"] < 15,
      "one gap while liquidsoap was stopped (%s)" % [(g["reason"], g["length_s"]) for g in gaps])
# the recording of the second run: Plants' tone where the plan puts it
begin = [int(l.split("\t")[1]) / 1000 for l in open(log) if "chalkwave-asrun:" in l and "] begin\t" in l]
wf = wave.open(wav)
rate, ch, n = wf.getframerate(), wf.getnchannels(), wf.getnframes()
raw = wf.readframes(n)
x = struct.unpack("<%dh" % (len(raw) // 2), raw)[::ch]
def level(seg, freq):
    w_ = 2 * math.pi * freq / rate; c = 2 * math.cos(w_); s1 = s2 = 0.0
    for v in seg:
        s0 = v / 32768 + c * s1 - s2; s2 = s1; s1 = s0
    return 2 * math.sqrt(max(s1 * s1 + s2 * s2 - c * s1 * s2, 0)) / max(len(seg), 1)
t_plants = starts["Plants"] - begin[1]
k0 = int(t_plants * rate)
onset = None
for k in range(max(k0 - rate, 0), min(k0 + rate, len(x))):
    if abs(x[k]) > 800:
        onset = k
        break
check(onset is not None, "the recording has a tone near Plants' planned start (%.2f s into it, peak there %d)"
      % (t_plants, max([abs(v) for v in x[max(k0 - rate, 0):k0 + rate]] or [0])))
if onset is not None:
    seg = x[onset + 500: onset + 2500]
    check(level(seg, 1320) > 5 * level(seg, 880), "and it is Plants' 1320 Hz")
    check(abs(onset / rate - t_plants) < 0.6, "%+.3f s from the planned instant in the recording" % (onset / rate - t_plants))
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
if [ "$CW_FAILED" != 0 ]; then
    grep "chalkwave" "$log" | tail -20 | sed 's/^/    /'
fi
cw_finish
