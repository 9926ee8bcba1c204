#!/usr/bin/python3
"""Parse an .ics with Debian's python3-icalendar and print one line per VEVENT:
UID<TAB>START_UTC<TAB>END_UTC<TAB>SUMMARY (times as 2026-03-16T07:00:00Z), sorted.
Fails (exit 1) when a DTSTART/DTEND is not zone-aware, its TZID is not the file's VTIMEZONE,
or a time without TZID is not UTC."""
import datetime as dt
import sys

import icalendar

cal = icalendar.Calendar.from_ical(open(sys.argv[1], "rb").read())
tzids = [str(c["TZID"]) for c in cal.walk("VTIMEZONE")]
rows = []
for ev in cal.walk("VEVENT"):
    s, e = ev["DTSTART"].dt, ev["DTEND"].dt
    for p in (ev["DTSTART"], ev["DTEND"]):
        tzid = p.params.get("TZID")
        if tzid is None and p.dt.utcoffset() != dt.timedelta(0):
            sys.exit("a time without TZID that is not UTC in %s" % ev["UID"])
        if tzid is not None and tzid not in tzids:
            sys.exit("TZID %r is not one of the file's VTIMEZONEs %r" % (tzid, tzids))
    if s.tzinfo is None or e.tzinfo is None:
        sys.exit("naive time for %s" % ev["UID"])
    f = lambda t: t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    rows.append("%s\t%s\t%s\t%s" % (ev["UID"], f(s), f(e), ev["SUMMARY"]))
print("\n".join(sorted(rows)))
