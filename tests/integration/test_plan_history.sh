#!/usr/bin/env bash
# test_plan_history.sh — `chalkwave plan` on a heavy station: 50 partner calendars with 24
# weekly series each, 20 of them twice a week since January 2021, yearly holidays and a
# mid-term break every year (tests/bench/gen_partners.py 24). One year of these calendars
# holds more occurrences than one expansion may (the blackout correction used to expand a
# year at a time: exit 1). Checks that days in 2023, 2024 and 2026 plan, that the plan is
# whole and byte-identical on a rerun, and that the episode numbers of the to-do list (the
# library is empty, so every lesson that airs is missing) equal an independent count by
# python3-recurring-ical-events: the series' instances before the lesson, less those that
# start inside a holiday of any calendar.
. "$(dirname "$0")/lib.sh"

ST=$(minimal_station heavy "[schedule]
missing = silence
[calendars]")
sed -i 's/^on_air = .*/on_air = 06:00-22:00/; s/^rate = .*/rate = 8000/' "$ST/station.conf"
"$CW_PYTHON" "$CW_SOURCE_DIR/tests/bench/gen_partners.py" "$ST/calendars" 24
for i in $(seq -w 0 49); do echo "partner-$i.ics = $((10#$i % 5))"; done >>"$ST/station.conf"

# without the oracle the episode numbers are not checked: the test reports SKIPPED
have_oracle=0
cw_have_python_module recurring_ical_events icalendar && have_oracle=1

# the oracle over the to-do lists of the days: "DATE checked N" per day, and one line per
# disagreement (at most 12 lessons a day, spread over it: python is slow)
oracle() {
    "$CW_PYTHON" - "$ST/calendars" "$@" <<'PYEOF'
import bisect, datetime as dt, glob, json, os, sys, zoneinfo
import icalendar, recurring_ical_events

caldir, missing = sys.argv[1], []
for f in sys.argv[2:]:
    day = json.load(open(f))
    missing += [m for m in day if int(m["series"].split("-s")[1]) >= 4][:: max(1, len(day) // 12)]
tz = zoneinfo.ZoneInfo("Africa/Lagos")  # the station's zone: all-day holidays are its days
begin = dt.datetime(2020, 12, 1, tzinfo=tz)

def only(cal, keep):
    out = icalendar.Calendar()
    for c in cal.walk("VEVENT"):
        if keep(c):
            out.add_component(c)
    return out

def text(c, name):
    return c.get(name).to_ical().decode() if c.get(name) is not None else ""

cals = {os.path.basename(p): icalendar.Calendar.from_ical(open(p, "rb").read())
        for p in sorted(glob.glob(os.path.join(caldir, "*.ics")))}
last = max(dt.date.fromisoformat(m["date"]) for m in missing) + dt.timedelta(days=1)
end = dt.datetime(last.year, last.month, last.day, tzinfo=tz)
spans = []
for cal in cals.values():
    hol = only(cal, lambda c: "holiday" in text(c, "CATEGORIES"))
    for e in recurring_ical_events.of(hol).between(begin, end):
        s, f = e["DTSTART"].dt, e["DTEND"].dt if e.get("DTEND") else None
        if not isinstance(s, dt.datetime):
            if not f or f <= s:  # a DATE without DTEND is one day (the library says 0)
                f = s + dt.timedelta(days=1)
            s = dt.datetime(s.year, s.month, s.day, tzinfo=tz)
            f = dt.datetime(f.year, f.month, f.day, tzinfo=tz)
        spans.append((s, f))

spans.sort()
merged = []  # 50 calendars have the same holidays: merge them
for a, b in spans:
    if merged and a <= merged[-1][1]:
        merged[-1][1] = max(merged[-1][1], b)
    else:
        merged.append([a, b])
starts = [a for a, b in merged]

def in_holiday(t):
    i = bisect.bisect_right(starts, t)
    return i > 0 and t < merged[i - 1][1]

bad, checked = [], {}
for m in missing:
    key = m["series"]
    p, s = int(key[1:3]), int(key.split("-s")[1])
    if s < 4:
        continue  # series 0-3 have a DTSTART off their rule, which chalkwave does not schedule
    when = dt.datetime.fromisoformat(m["date"] + "T" + m["time"]).replace(tzinfo=tz)
    cal = cals["partner-%02d.ics" % p]
    series = only(cal, lambda c: ("Series: %s\\n" % key) in text(c, "DESCRIPTION") + "\\n"
                  and "repeat" not in text(c, "CATEGORIES"))
    n = 0
    for e in recurring_ical_events.of(series).between(begin, when):
        t = e["DTSTART"].dt
        if t < when and not in_holiday(t):
            n += 1
    checked[m["date"]] = checked.get(m["date"], 0) + 1
    if m["episode"] != n + 1:
        bad.append("%s %s %s: chalkwave plans episode %d, the count says %d" % (m["date"], m["time"], key, m["episode"], n + 1))
print("\n".join(["%s checked %d" % kv for kv in sorted(checked.items())] + bad))
PYEOF
}

for d in 2026-03-16 2024-02-20 2023-10-02; do
    cw --station "$ST" plan --date "$d" --format json
    expect_rc 0 "plan $d on 50 calendars x 24 series"
    if grep -q "expansion bounds" "$CW_ERR"; then not_ok "$d: no expansion bound is hit"; else ok "$d: no expansion bound is hit"; fi
    cp "$CW_OUT" "$CW_TMP/plan-$d.json"
    whole=$("$CW_PYTHON" - "$CW_TMP/plan-$d.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
pos, ok = 0, True
for it in d["items"]:
    ok = ok and it["offset_samples"] == pos
    pos += it["length_samples"]
print("whole" if ok and pos == 16 * 3600 * d["rate"] and sum(i["kind"] == "lesson" for i in d["items"]) == 0 else "gaps")
PYEOF
)
    expect_eq "$whole" whole "$d: items cover 06:00-22:00 without gaps (no recordings: no lesson items)"
    cw --station "$ST" plan --date "$d" --format json
    if cmp -s "$CW_OUT" "$CW_TMP/plan-$d.json"; then ok "$d: rerun gives the same bytes"; else not_ok "$d: rerun differs"; fi
    cw --station "$ST" plan --date "$d" --missing --format json
    expect_rc 0 "$d: --missing"
    cp "$CW_OUT" "$CW_TMP/missing-$d.json"
    n=$("$CW_PYTHON" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$CW_TMP/missing-$d.json")
    if [ "$n" -ge 10 ]; then ok "$d: $n lessons to record"; else not_ok "$d: only $n lessons in the to-do list"; fi
done
if [ $have_oracle = 1 ]; then
    res=$(oracle "$CW_TMP"/missing-*.json)
    for d in 2026-03-16 2024-02-20 2023-10-02; do
        k=$(sed -n "s/^$d checked //p" <<<"$res")
        if [ "${k:-0}" -ge 5 ]; then ok "$d: the numbers of $k lessons equal recurring-ical-events' count"; else not_ok "$d: only ${k:-0} numbers checked"; fi
    done
    if grep -v ' checked ' <<<"$res" | grep -q .; then
        not_ok "episode numbers differ from the count:"
        grep -v ' checked ' <<<"$res" | head -5 | sed 's/^/    /'
    else
        ok "every episode number checked equals the count"
    fi
fi
cw_finish
