#!/usr/bin/python3
"""Reference expansion with Debian's python3-recurring-ical-events (the oracle of the
differential test). Prints the same tsv as `chalkwave calendar expand --format tsv`:
START<TAB>END<TAB>UID<TAB>SUMMARY, UTC times (or dates for all-day events, end exclusive),
sorted by start then UID; cancelled instances are left out.
usage: expand.py --from DATE --to DATE [--tz ZONE] FILE...
Floating times are read in ZONE (chalkwave reads them in the station zone; the test gives
the same zone to both)."""
import argparse
import datetime as dt
import sys

import icalendar
import recurring_ical_events

try:
    import zoneinfo
except ImportError:  # pragma: no cover
    from backports import zoneinfo


def expand(frm, to, tzname, files, out):
    tz = zoneinfo.ZoneInfo(tzname)
    start = dt.datetime.combine(dt.date.fromisoformat(frm), dt.time(), tz)
    end = dt.datetime.combine(dt.date.fromisoformat(to), dt.time(), tz)
    rows = []
    for path in files:
        with open(path, "rb") as f:
            cal = icalendar.Calendar.from_ical(f.read())
        for ev in recurring_ical_events.of(cal).between(start, end):
            if str(ev.get("STATUS", "")).upper() == "CANCELLED":
                continue
            s = ev["DTSTART"].dt
            e = ev["DTEND"].dt if "DTEND" in ev else None
            if e is None and "DURATION" in ev:
                e = s + ev["DURATION"].dt
            if e is None:
                e = s
            uid = str(ev.get("UID", ""))
            summ = " ".join(str(ev.get("SUMMARY", "")).split("\t")).replace("\n", " ")
            if isinstance(s, dt.datetime):
                if s.tzinfo is None:
                    s = s.replace(tzinfo=tz)
                if not isinstance(e, dt.datetime):
                    e = dt.datetime.combine(e, dt.time(), tz)
                if e.tzinfo is None:
                    e = e.replace(tzinfo=tz)
                su = s.astimezone(dt.timezone.utc)
                eu = e.astimezone(dt.timezone.utc)
                # overlap with [start, end); a zero-length event at the start counts
                if not (su < end and (eu > start or (su == eu and su >= start))):
                    continue
                key = su
                rows.append((key, uid, su.strftime("%Y-%m-%dT%H:%M:%SZ"),
                             eu.strftime("%Y-%m-%dT%H:%M:%SZ"), summ))
            else:
                ls = dt.datetime.combine(s, dt.time(), tz)
                le = dt.datetime.combine(e, dt.time(), tz)
                if not (ls < end and (le > start or (ls == le and ls >= start))):
                    continue
                rows.append((ls.astimezone(dt.timezone.utc), uid, s.isoformat(),
                             e.isoformat(), summ))
    rows.sort(key=lambda r: (r[0], r[1]))
    for r in rows:
        out.write("%s\t%s\t%s\t%s\n" % (r[2], r[3], r[1], r[4]))


class Timeout(Exception):
    pass


def batch(cases, srcdir, outdir, limit):
    """One process for the whole corpus: OUTDIR/NAME.tsv per case, or NAME.failed with the
    oracle's exception (it crashes or hangs on some RFC features; see the notes)."""
    import io
    import os
    import signal

    def alarm(signum, frame):
        raise Timeout("no answer within %d s" % limit)

    signal.signal(signal.SIGALRM, alarm)
    with open(cases) as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            name, frm, to, tzname = line.rstrip("\n").split("\t")[:4]
            buf = io.StringIO()
            signal.alarm(limit)
            try:
                expand(frm, to, tzname, [os.path.join(srcdir, name + ".ics")], buf)
                signal.alarm(0)
                with open(os.path.join(outdir, name + ".tsv"), "w") as o:
                    o.write(buf.getvalue())
            except BaseException as e:  # the oracle's own failures are data here
                signal.alarm(0)
                with open(os.path.join(outdir, name + ".failed"), "w") as o:
                    o.write("%s: %s\n" % (type(e).__name__, str(e)[:300]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--from", dest="frm")
    ap.add_argument("--to")
    ap.add_argument("--tz", default="UTC")
    ap.add_argument("--cases", help="batch mode: cases.tsv of the corpus")
    ap.add_argument("--dir", help="batch mode: folder of the .ics files")
    ap.add_argument("--outdir", help="batch mode: where NAME.tsv / NAME.failed go")
    ap.add_argument("--limit", type=int, default=10, help="batch mode: seconds per case")
    ap.add_argument("files", nargs="*")
    a = ap.parse_args()
    if a.cases:
        batch(a.cases, a.dir, a.outdir, a.limit)
        return
    if not a.frm or not a.to or not a.files:
        ap.error("give --from, --to and files (or --cases/--dir/--outdir)")
    expand(a.frm, a.to, a.tz, a.files, sys.stdout)


if __name__ == "__main__":
    main()
