#!/usr/bin/python3
"""Generate a partner calendar of 1,000 recurring events for one school year (deterministic):
mixed rules (weekly BYDAY lists, daily, every other day with COUNT, monthly by ordinal weekday
and by day of month, yearly), six zones, EXDATEs and RECURRENCE-ID overrides. Every DTSTART
lies on its rule, so the oracle and chalkwave agree (see tests/fixtures/calendars/EXPECTED.md).
usage: gen_year.py > year.ics"""
import datetime as dt
import random

rnd = random.Random(20260316)
zones = ["Europe/Paris", "Africa/Lagos", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "UTC"]
days = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
out = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//chalkwave//bench//EN"]


def fmt(d):
    return d.strftime("%Y%m%dT%H%M%S")


for i in range(1000):
    tz = zones[i % len(zones)]
    start = dt.datetime(2026, 1, 5) + dt.timedelta(days=rnd.randrange(0, 14), hours=rnd.randrange(6, 20),
                                                   minutes=rnd.choice([0, 15, 30, 45]))
    kind = rnd.random()
    wd = days[start.weekday()]
    if kind < 0.6:
        others = rnd.sample([d for d in days[:5] if d != wd], rnd.randrange(0, 2))
        rule = "FREQ=WEEKLY;BYDAY=" + ",".join([wd] + others)
    elif kind < 0.64:
        rule = "FREQ=DAILY"
    elif kind < 0.8:
        rule = "FREQ=DAILY;INTERVAL=2;COUNT=%d" % rnd.randrange(30, 120)
    elif kind < 0.88:
        first = start.replace(day=1)
        nth = rnd.randrange(1, 4)
        d = first + dt.timedelta(days=(start.weekday() - first.weekday()) % 7 + 7 * (nth - 1))
        start = d.replace(hour=start.hour, minute=start.minute)
        rule = "FREQ=MONTHLY;BYDAY=%d%s" % (nth, days[start.weekday()])
    elif kind < 0.96:
        rule = "FREQ=MONTHLY;BYMONTHDAY=%d" % start.day
    else:
        rule = "FREQ=YEARLY"
    if rnd.random() < 0.3 and "COUNT" not in rule:
        rule += ";UNTIL=" + (dt.datetime(2026, 7, 1) + dt.timedelta(days=rnd.randrange(0, 120))).strftime("%Y%m%dT000000Z")
    uid = "bench-%04d@chalkwave" % i
    ev = ["BEGIN:VEVENT", "UID:" + uid, "DTSTAMP:20260101T000000Z", "SUMMARY:Lesson %d" % i,
          "DTSTART;TZID=%s:%s" % (tz, fmt(start)) if tz != "UTC" else "DTSTART:%sZ" % fmt(start),
          "DURATION:PT%dM" % rnd.choice([15, 20, 30, 45, 60]), "RRULE:" + rule,
          "DESCRIPTION:Series: s%d" % (i % 40)]
    if rnd.random() < 0.5:
        ex = start + dt.timedelta(days=7 * rnd.randrange(1, 20))
        if rule.startswith("FREQ=WEEKLY") or rule == "FREQ=DAILY":
            ev.append("EXDATE;TZID=%s:%s" % (tz, fmt(ex)) if tz != "UTC" else "EXDATE:%sZ" % fmt(ex))
    ev.append("END:VEVENT")
    out += ev
    if rnd.random() < 0.1 and (rule.startswith("FREQ=WEEKLY") or rule == "FREQ=DAILY"):
        rid = start + dt.timedelta(days=7 * rnd.randrange(1, 20))
        new = rid + dt.timedelta(hours=rnd.choice([-2, 1, 3, 24]))
        t = (lambda d: "TZID=%s:%s" % (tz, fmt(d))) if tz != "UTC" else (lambda d: ":%sZ" % fmt(d))
        out += ["BEGIN:VEVENT", "UID:" + uid, "DTSTAMP:20260101T000000Z", "SUMMARY:Lesson %d moved" % i,
                "RECURRENCE-ID;" + t(rid) if tz != "UTC" else "RECURRENCE-ID" + t(rid),
                "DTSTART;" + t(new) if tz != "UTC" else "DTSTART" + t(new),
                "DURATION:PT30M", "SEQUENCE:1", "END:VEVENT"]
out.append("END:VCALENDAR")
print("\r\n".join(out), end="\r\n")
