#!/usr/bin/python3
"""The differential corpus (tests/fixtures/calendars/corpus/): every file of other calendar
projects' test suites is read by chalkwave and, where both can, expanded by chalkwave and by
Debian's python3-recurring-ical-events (tests/oracle/expand.py) over the same window.

Each file gets one status, recorded with a reason in corpus/MANIFEST.tsv:
  identical     chalkwave's occurrences equal the oracle's (start, end, UID)
  differs       they differ; the reason says why chalkwave is right (EXPECTED.md categories)
  oracle-fails  the oracle raises or hangs; chalkwave's output is pinned by its hash
  refused       chalkwave refuses the whole file (not a calendar, malformed): its error
  no-events     nothing to expand (no event with a start); `calendar check` accepts the file
A file whose broken events chalkwave skips (each named in an error) keeps the status of the
rest; the `skipped` column counts them. chalkwave's output is pinned by a hash for every file,
so a change in behaviour shows up even where the oracle is missing.

usage: corpus.py --binary CHALKWAVE --dir CORPUS [--no-oracle] [--update]
Prints the counts (files read, identical, differing with a reason, refused with a reason) and
every file whose outcome is not the recorded one; exit 1 then. --update rewrites MANIFEST.tsv
(reasons of unchanged outcomes are kept; new differences get 'TODO', which fails the check)."""
import argparse
import datetime as dt
import hashlib
import io
import os
import re
import signal
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def window(path):
    """[first DTSTART - 1 day, last DTSTART + 400 days), at most 3 years; None without one."""
    raw = open(path, "rb").read().decode("utf-8", "replace")
    days = []
    for d in re.findall(r"^DTSTART[^:\n]*:(\d{8})", raw, re.M):
        y, m, dd = int(d[:4]), int(d[4:6]), int(d[6:8])
        if 1900 <= y <= 2100 and 1 <= m <= 12 and 1 <= dd <= 28:
            days.append(dt.date(y, m, dd))
    if not days:
        return None
    a = min(days) - dt.timedelta(days=1)
    b = min(max(days) + dt.timedelta(days=400), a + dt.timedelta(days=3 * 366))
    return a.isoformat(), b.isoformat()


def key(tsv):
    """Occurrences as (start, end, UID): a UID chalkwave made up for an event without one
    (line-N@FILE) counts as none, and a duplicate kept under "UID#LN" as its UID."""
    out = []
    for line in tsv.splitlines():
        p = line.split("\t")
        uid = p[2] if len(p) > 2 else ""
        if re.match(r"^line-[0-9]+@", uid):
            uid = ""
        out.append((p[0], p[1] if len(p) > 1 else "", re.sub(r"#L[0-9]+$", "", uid).strip()))
    return sorted(out)


def first_error(stderr):
    for line in stderr.splitlines():
        m = re.search(r": error: (.*)$", line)
        if m:
            return re.sub(r"^event '.*?' \(UID .*?\) skipped: ", "", m.group(1))[:160]
    return stderr.strip().splitlines()[0][:160] if stderr.strip() else "?"


class Timeout(Exception):
    pass


# The oracle hangs on some rules (SECONDLY, huge COUNT): a file it does not answer for in this
# time is "oracle-fails". On a loaded machine a slow answer may come late: an outcome that
# differs from the recorded one only by such a timeout is noted, not failed (the hash of
# chalkwave's output is still checked).
ORACLE_SECONDS = 20


def timeout_only(old, status, detail):
    """The recorded and the new outcome differ only because the oracle timed out once."""
    return (status == "oracle-fails" and detail.startswith("Timeout") and
            old["status"] in ("identical", "differs")) or \
        (old["status"] == "oracle-fails" and old["reason"].startswith("Timeout") and
         status in ("identical", "differs"))


def run_oracle(path, w):
    import expand as oracle  # python3-recurring-ical-events and python3-icalendar

    def alarm(signum, frame):
        raise Timeout("no answer within %d s" % ORACLE_SECONDS)

    signal.signal(signal.SIGALRM, alarm)
    buf = io.StringIO()
    signal.alarm(ORACLE_SECONDS)
    try:
        oracle.expand(w[0], w[1], "UTC", [path], buf)
        signal.alarm(0)
        return buf.getvalue(), None
    except BaseException as e:  # the oracle's own failures are data here
        signal.alarm(0)
        return None, "%s: %s" % (type(e).__name__, " ".join(str(e).split())[:100])


def classify(binary, path, use_oracle):
    """(status, skipped, hash, detail) of one file."""
    w = window(path)
    if not w:
        p = subprocess.run([binary, "calendar", "check", path], capture_output=True, text=True,
                           errors="replace")
        if p.returncode not in (0, 1) or re.search(r"\(the file cannot be used\)", p.stdout):
            return "refused", 0, "-", first_error(p.stdout + p.stderr)
        return "no-events", p.stdout.count(" skipped: "), "-", ""
    p = subprocess.run([binary, "calendar", "expand", "--format", "tsv", "--tz", "UTC", "--from", w[0],
                        "--to", w[1], path], capture_output=True, text=True, errors="replace")
    if p.returncode != 0:
        return "refused", 0, "-", first_error(p.stderr)
    skipped = len(re.findall(r": error: event .* skipped: ", p.stderr))
    digest = hashlib.sha256(p.stdout.encode()).hexdigest()[:16]
    if not use_oracle:
        return None, skipped, digest, ""
    out, fail = run_oracle(path, w)
    if fail:
        return "oracle-fails", skipped, digest, fail
    return ("identical" if key(out) == key(p.stdout) else "differs"), skipped, digest, ""


def load_manifest(path):
    rows = {}
    if os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            if line.startswith("#") or not line.strip():
                continue
            f = line.rstrip("\n").split("\t")
            rows[f[0]] = {"status": f[1], "skipped": int(f[2]), "hash": f[3], "reason": f[4] if len(f) > 4 else ""}
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--no-oracle", action="store_true")
    ap.add_argument("--update", action="store_true")
    a = ap.parse_args()
    use_oracle = not a.no_oracle
    manifest_path = os.path.join(a.dir, "MANIFEST.tsv")
    manifest = load_manifest(manifest_path)
    files = sorted(os.path.relpath(os.path.join(d, f), a.dir) for d, _, fs in os.walk(a.dir)
                   for f in fs if f.lower().endswith(".ics"))
    counts, problems, rows, notes = {}, [], {}, []
    skipped_events = skipped_files = 0
    for rel in files:
        status, skipped, digest, detail = classify(a.binary, os.path.join(a.dir, rel), use_oracle)
        old = manifest.get(rel)
        if status is None:  # no oracle: the recorded comparison stands if the output does
            status = old["status"] if old else "unknown"
        reason = detail if status in ("refused", "oracle-fails") else ""
        if status == "differs":
            reason = old["reason"] if old and old["status"] == "differs" else "TODO"
        rows[rel] = (status, skipped, digest, reason)
        counts[status] = counts.get(status, 0) + 1
        skipped_events += skipped
        skipped_files += skipped > 0
        if a.update:
            continue
        if not old:
            problems.append("%s: not in MANIFEST.tsv (run corpus.py --update)" % rel)
        elif (old["skipped"], old["hash"]) == (skipped, digest) and timeout_only(old, status, detail):
            notes.append("%s: the oracle's answer came %s this time (%s); chalkwave's output is unchanged" % (
                rel, "too late" if status == "oracle-fails" else "in time", detail or old["reason"]))
        elif (old["status"], old["skipped"], old["hash"]) != (status, skipped, digest):
            problems.append("%s: %s, %d skipped, output %s; recorded %s, %d skipped, output %s (%s)" % (
                rel, status, skipped, digest, old["status"], old["skipped"], old["hash"], old["reason"]))
        elif status == "differs" and (not old["reason"] or old["reason"] == "TODO"):
            problems.append("%s: differs from the oracle without a reason in MANIFEST.tsv" % rel)
    if a.update:
        with open(manifest_path, "w", encoding="utf-8") as o:
            o.write("# path\tstatus\tskipped events\tsha256 of chalkwave's tsv (16 hex)\treason "
                    "(written by corpus.py --update; reasons of 'differs' by hand, see ../EXPECTED.md)\n")
            for rel in files:
                s = rows[rel]
                o.write("%s\t%s\t%d\t%s\t%s\n" % (rel, s[0], s[1], s[2], s[3]))
    n = len(files)
    differ = counts.get("differs", 0) + counts.get("oracle-fails", 0)
    print("files read: %d" % n)
    print("identical to python3-recurring-ical-events: %d" % counts.get("identical", 0))
    print("differing, with a reason: %d (%d where chalkwave differs from the oracle, %d where the "
          "oracle fails)" % (differ, counts.get("differs", 0), counts.get("oracle-fails", 0)))
    print("refused, with a reason: %d (not a calendar or malformed as a whole)" % counts.get("refused", 0))
    print("nothing to compare (no event with a start): %d" % counts.get("no-events", 0))
    print("events skipped with an error naming them (the rest of their file used): %d in %d files" %
          (skipped_events, skipped_files))
    if not use_oracle:
        print("# the oracle was not run: outcomes are the recorded ones where chalkwave's output is")
    for n in notes:
        print("# note: " + n)
    for p in problems:
        print("MISMATCH " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
