#!/usr/bin/python3
"""gen_partners.py OUTDIR [SERIES] — 50 partner calendars with 5 years of history each, for
bench_plan.sh: per partner four weekly lesson series (one since 2021, three since November
2025; EXDATEs each January), a repeat slot, a weekly newsletter slot since 2021, yearly
holidays and a mid-term break every year (blackouts). SERIES > 4 adds series 4..SERIES-1 per
partner, twice a week since January 2021 with DTSTART on the rule (a heavy station: with 20,
one year of the 50 calendars holds more occurrences than one expansion may; see
tests/integration/test_plan_history.sh). Deterministic: the same files every run."""
import os
import sys

out = sys.argv[1]
n_series = int(sys.argv[2]) if len(sys.argv) > 2 else 4
os.makedirs(out, exist_ok=True)
DAYS = ["MO", "TU", "WE", "TH", "FR"]


def ev(lines):
    return ["BEGIN:VEVENT"] + lines + ["DTSTAMP:20210101T000000Z", "END:VEVENT"]


for p in range(50):
    L = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//chalkwave bench//partner %02d//EN" % p]
    tz = "Africa/Lagos" if p % 3 else "Europe/London"
    for s in range(4):
        key = "p%02d-s%d" % (p, s)
        # series 0 runs since 2021 (its episodes are long gone from the library: missing);
        # the others started this school year, so the library has their episodes
        year, md = (2021, "0104") if s == 0 else (2025, "%02d%02d" % (11, 3 + (p % 4) * 7))
        start_min = 6 * 60 + ((p * 37 + s * 211) % (15 * 60))
        hh, mm = divmod(start_min, 60)
        d1, d2 = DAYS[(p + s) % 5], DAYS[(p + s + 2) % 5]
        dt = "%d%sT%02d%02d00" % (year, md, hh, mm)  # the rule moves it to its weekday
        end_min = start_min + 30
        eh, em = divmod(end_min, 60)
        uid = "%s@partner%02d" % (key, p)
        body = [
            "UID:" + uid,
            "DTSTART;TZID=%s:%s" % (tz, dt),
            "DTEND;TZID=%s:%d%sT%02d%02d00" % (tz, year, md, eh, em),
            "RRULE:FREQ=WEEKLY;BYDAY=%s,%s" % (d1, d2),
            "SUMMARY:Lesson %s" % key,
            "DESCRIPTION:Series: %s\\nTeacher: Teacher %d" % (key, s),
        ]
        # EXDATEs: the first weeks of January every year
        for y in range(year + 1, 2027):
            body.append("EXDATE;TZID=%s:%d0105T%02d%02d00" % (tz, y, hh, mm))
        L += ev(body)
        if s == 0:
            L += ev([
                "UID:%s-repeat@partner%02d" % (key, p),
                "DTSTART;TZID=%s:%d%sT%02d%02d00" % (tz, year, md, hh + 6 if hh + 6 < 22 else 21, mm),
                "DURATION:PT30M",
                "RRULE:FREQ=WEEKLY;BYDAY=%s" % d1,
                "SUMMARY:Repeat %s" % key,
                "CATEGORIES:repeat",
                "DESCRIPTION:Series: %s" % key,
            ])
    for s in range(4, n_series):
        key = "p%02d-s%d" % (p, s)
        i1, i2 = (p + s) % 5, (p + s + 2) % 5
        first = 4 + min(i1, i2)  # the week of Monday 2021-01-04: DTSTART is on the rule
        start_min = 6 * 60 + ((p * 53 + s * 97) % (15 * 60))
        hh, mm = divmod(start_min, 60)
        eh, em = divmod(start_min + 30, 60)
        L += ev([
            "UID:%s@partner%02d" % (key, p),
            "DTSTART;TZID=%s:202101%02dT%02d%02d00" % (tz, first, hh, mm),
            "DTEND;TZID=%s:202101%02dT%02d%02d00" % (tz, first, eh, em),
            "RRULE:FREQ=WEEKLY;BYDAY=%s,%s" % (DAYS[i1], DAYS[i2]),
            "SUMMARY:Lesson %s" % key,
            "DESCRIPTION:Series: %s\\nTeacher: Teacher %d" % (key, s),
        ])
    L += ev([
        "UID:news@partner%02d" % p,
        "DTSTART;TZID=%s:20210101T%02d%02d00" % (tz, 7 + p % 14, (p * 13) % 60),
        "DURATION:PT10M",
        "RRULE:FREQ=WEEKLY;BYDAY=%s" % DAYS[p % 5],
        "SUMMARY:Partner %02d news" % p,
        "DESCRIPTION:Kind: newsletter",
    ])
    for name, md in (("New Year", "0101"), ("Workers Day", "0501"), ("Independence", "1001")):
        L += ev([
            "UID:%s@partner%02d" % (name.replace(" ", "-").lower(), p),
            "DTSTART;VALUE=DATE:2021%s" % md,
            "RRULE:FREQ=YEARLY",
            "SUMMARY:" + name,
            "CATEGORIES:holiday",
        ])
    for y in range(2021, 2027):
        L += ev([
            "UID:midterm-%d@partner%02d" % (y, p),
            "DTSTART;VALUE=DATE:%d0215" % y,
            "DTEND;VALUE=DATE:%d0220" % y,
            "SUMMARY:Mid-term break %d" % y,
            "CATEGORIES:holiday",
        ])
    L.append("END:VCALENDAR")
    with open(os.path.join(out, "partner-%02d.ics" % p), "w", newline="") as f:
        f.write("\r\n".join(L) + "\r\n")
