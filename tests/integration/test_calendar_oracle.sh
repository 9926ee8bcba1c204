#!/bin/bash
# test_calendar_oracle.sh — differential test of `chalkwave calendar expand --format tsv` on
# the calendar corpus (tests/fixtures/calendars/, cases.tsv): `oracle` cases must equal Debian's
# python3-recurring-ical-events (tests/oracle/expand.py, run once for the whole corpus);
# `expected` cases must equal NAME.expected.tsv (RFC 5545 behaviour where the oracle is known
# wrong, see EXPECTED.md). Every case must also pass `calendar check`. Without the oracle
# the expected cases still run and the test reports SKIPPED, never passed.
. "$(dirname "$0")/lib.sh"

FIX=$CW_SOURCE_DIR/tests/fixtures/calendars
ORACLE_OUT=$CW_TMP/oracle
mkdir -p "$ORACLE_OUT"
# without the oracle the expected cases still run, and the test reports SKIPPED (not passed)
have_oracle=0
if cw_have_python_module recurring_ical_events icalendar; then
    have_oracle=1
    "$CW_PYTHON" "$CW_SOURCE_DIR/tests/oracle/expand.py" --cases "$FIX/cases.tsv" --dir "$FIX" \
        --outdir "$ORACLE_OUT" --limit 10
fi

n_cases=0
n_oracle=0
n_expected=0
while IFS=$'\t' read -r name from to tz mode; do
    case "$name" in '#'* | '') continue ;; esac
    n_cases=$((n_cases + 1))
    cw calendar check "$FIX/$name.ics"
    expect_rc 0 "$name: calendar check accepts it"
    cw calendar expand --format tsv --from "$from" --to "$to" --tz "$tz" "$FIX/$name.ics"
    expect_rc 0 "$name: expand $from..$to in $tz"
    if [ "$mode" = expected ]; then
        n_expected=$((n_expected + 1))
        if cmp -s "$CW_OUT" "$FIX/$name.expected.tsv"; then
            ok "$name: $(wc -l <"$CW_OUT") occurrences equal $name.expected.tsv (RFC 5545)"
        else
            not_ok "$name: differs from $name.expected.tsv"
            diff "$FIX/$name.expected.tsv" "$CW_OUT" | head -n 20 | sed 's/^/    /'
        fi
    elif [ $have_oracle = 1 ]; then
        n_oracle=$((n_oracle + 1))
        if [ -f "$ORACLE_OUT/$name.failed" ]; then
            not_ok "$name: the oracle failed: $(cat "$ORACLE_OUT/$name.failed")"
        elif cmp -s "$CW_OUT" "$ORACLE_OUT/$name.tsv"; then
            ok "$name: $(wc -l <"$CW_OUT") occurrences equal the oracle's"
        else
            not_ok "$name: differs from the oracle (< oracle, > chalkwave)"
            diff "$ORACLE_OUT/$name.tsv" "$CW_OUT" | head -n 20 | sed 's/^/    /'
        fi
    fi
done <"$FIX/cases.tsv"

if [ "$n_cases" -ge 40 ]; then ok "corpus has $n_cases calendars (>= 40)"; else not_ok "corpus has only $n_cases calendars"; fi
echo "# compared $n_oracle cases with the oracle and $n_expected with expected files"
cw_finish
