#!/bin/bash
# test_calendar_corpus.sh — the differential corpus (tests/fixtures/calendars/corpus/: 692
# files of other calendar projects' test suites, SOURCES.md): chalkwave reads every file, and
# tests/oracle/corpus.py compares its occurrences with Debian's python3-recurring-ical-events
# over the same window. Every outcome must be the one recorded in corpus/MANIFEST.tsv: identical
# to the oracle, differing with a reason (../EXPECTED.md), the oracle failing, refused with the
# error, or nothing to compare; chalkwave's output is pinned by a hash for every file. Prints the
# counts. Without the oracle only the hashes are checked and the test reports SKIPPED.
. "$(dirname "$0")/lib.sh"

CORPUS=$CW_SOURCE_DIR/tests/fixtures/calendars/corpus
have_oracle=0
cw_have_python_module recurring_ical_events icalendar && have_oracle=1
args=()
[ $have_oracle = 1 ] || args=(--no-oracle)
"$CW_PYTHON" "$CW_SOURCE_DIR/tests/oracle/corpus.py" --binary "$CW_BINARY" --dir "$CORPUS" "${args[@]}" >"$CW_OUT" 2>"$CW_ERR"
rc=$?
sed 's/^/# /' "$CW_OUT" | grep -v '^# MISMATCH'
if [ $rc = 0 ]; then
    ok "every corpus file has its recorded outcome ($(sed -n 's/^files read: //p' "$CW_OUT") files)"
else
    not_ok "some corpus files changed outcome (fix, or review and run tests/oracle/corpus.py --update):"
    grep '^MISMATCH' "$CW_OUT" | head -n 20 | sed 's/^/    /'
    sed 's/^/    /' "$CW_ERR" | head -n 5
fi
n_read=$(sed -n 's/^files read: //p' "$CW_OUT")
if [ "${n_read:-0}" -ge 600 ]; then ok "the corpus has $n_read files (>= 600)"; else not_ok "the corpus has only ${n_read:-0} files"; fi
[ $have_oracle = 1 ] || echo "# only chalkwave's outputs were checked (the oracle is missing)"
cw_finish
