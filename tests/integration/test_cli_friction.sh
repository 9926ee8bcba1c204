#!/usr/bin/env bash
# test_cli_friction.sh — the small things of issue #14 item 9, on the real binary: `init`
# takes the machine's time zone ($TZ, /etc/timezone, /etc/localtime) or --timezone, and asks
# on a terminal (a pty made by `script`) when the machine says only UTC; DATE options take
# today, tomorrow, yesterday, +N and -N in the station's zone; wrong dates get specific
# answers; commands run from a folder inside a station find it, as git finds its repository.
. "$(dirname "$0")/lib.sh"

# ---- init and the time zone --------------------------------------------------------------
TZ=Africa/Nairobi cw init "$CW_TMP/nbo"
expect_rc 0 "init with TZ=Africa/Nairobi"
expect_out "time zone: Africa/Nairobi (from TZ; change it in station.conf)" "init says where the zone came from"
check "station.conf has the machine's zone" grep -q '^timezone = Africa/Nairobi ' "$CW_TMP/nbo/station.conf"

cw init "$CW_TMP/kla" --timezone Africa/Kampala
expect_rc 0 "init --timezone"
check "station.conf has the zone given" grep -q '^timezone = Africa/Kampala ' "$CW_TMP/kla/station.conf"

cw init "$CW_TMP/bad" --timezone Mars/Olympus
expect_rc 2 "init --timezone with an unknown zone"
expect_one_line_err "one line"
expect_err "'Mars/Olympus' is not an IANA time zone" "the error names the zone"
expect_no_path "$CW_TMP/bad" "nothing was created"

# The machine's own files (no TZ): what /etc/timezone or the /etc/localtime link says.
want=""
if [ -r /etc/timezone ] && [ -e "/usr/share/zoneinfo/$(tr -d ' \n' </etc/timezone)" ]; then
    want=$(tr -d ' \n' </etc/timezone)
elif [ -L /etc/localtime ]; then
    want=$(readlink /etc/localtime | sed -e 's|.*zoneinfo/||' -e 's|^posix/||' -e 's|^right/||')
fi
env -u TZ "$CW_BINARY" init "$CW_TMP/machine" >"$CW_OUT" 2>"$CW_ERR" </dev/null
CW_RC=$?
expect_rc 0 "init with the machine's zone"
if [ -n "$want" ]; then
    check "station.conf has the machine's zone ($want)" grep -q "^timezone = $want " "$CW_TMP/machine/station.conf"
else
    check "no machine zone: UTC, said so" grep -q "the machine names none" "$CW_OUT"
fi

# On a terminal, a machine that says only UTC is asked about; Enter keeps UTC.
if command -v script >/dev/null; then
    printf 'Africa/Lusaka\n' | TZ=UTC script -qec "'$CW_BINARY' init '$CW_TMP/asked'" /dev/null >"$CW_OUT" 2>&1
    check "on a terminal the zone is asked for" grep -q "Time zone of the station" "$CW_OUT"
    check "the answer is written" grep -q '^timezone = Africa/Lusaka ' "$CW_TMP/asked/station.conf"
    printf 'Nowhere/Here\n\n' | TZ=UTC script -qec "'$CW_BINARY' init '$CW_TMP/asked2'" /dev/null >"$CW_OUT" 2>&1
    check "a wrong answer is refused and asked again" grep -q "'Nowhere/Here' is not a time zone" "$CW_OUT"
    check "Enter keeps UTC" grep -q '^timezone = UTC ' "$CW_TMP/asked2/station.conf"
else
    echo "# script(1) is missing: the terminal question is not checked"
fi
# Not a terminal (stdin /dev/null, as in CI): never asks, never waits.
TZ=UTC cw init "$CW_TMP/quiet"
expect_rc 0 "init with TZ=UTC and no terminal"
check "no question without a terminal" test ! -s "$CW_ERR"
check "UTC written" grep -q '^timezone = UTC ' "$CW_TMP/quiet/station.conf"

# ---- dates ---------------------------------------------------------------------------------
ST=$(minimal_station dates) # Africa/Lagos, on air 07:00-09:00
today=$(TZ=Africa/Lagos date +%F)
day() { TZ=Africa/Lagos date -d "$today $1 days" +%F; }
plan_date() { # WORD: the date `plan --date WORD --format json` planned
    cw --station "$ST" plan --date "$1" --format json
    json_get "$CW_OUT" 'd["date"]'
}
expect_eq "$(plan_date today)" "$today" "--date today is today in the station's zone"
expect_eq "$(plan_date tomorrow)" "$(day +1)" "--date tomorrow"
expect_eq "$(plan_date yesterday)" "$(day -1)" "--date yesterday"
expect_eq "$(plan_date +3)" "$(day +3)" "--date +3"
expect_eq "$(plan_date -7)" "$(day -7)" "--date -7"
expect_eq "$(plan_date TODAY)" "$today" "words in any case"
cw --station "$ST" plan --missing --from today --to +6 --format json
expect_rc 0 "--from today --to +6"

bad_date() { # VALUE EXPECTED-TEXT
    cw --station "$ST" plan --date "$1"
    expect_rc 2 "--date $1 is a usage error"
    expect_one_line_err "--date $1: one line"
    expect_err "$2" "--date $1: says '$2'"
}
bad_date 07/12/2026 "07/12/2026: write it as 2026-12-07"
bad_date 07/12/2026 "for July 12 write 2026-07-12"
bad_date 25/12/2026 "25/12/2026: write it as 2026-12-25 (YYYY-MM-DD)"
bad_date 12/25/2026 "12/25/2026: write it as 2026-12-25 (YYYY-MM-DD)"
bad_date 7.12.26 "7.12.26: write it as 2026-12-07"
bad_date 20261207 "20261207: write it as 2026-12-07"
bad_date 2026/12/07 "2026/12/07: write it as 2026-12-07"
bad_date 2026-12-7 "2026-12-7: write it as 2026-12-07"
bad_date 2026-02-30 "2026-02-30 is not a date (February 2026 has 28 days)"
bad_date 2028-02-30 "2028-02-30 is not a date (February 2028 has 29 days)"
bad_date 2026-13-01 "2026-13-01 is not a date (months go from 01 to 12)"
bad_date "next week" "'next week' is not a date (write YYYY-MM-DD"
bad_date +99999 "too far"
cw --station "$ST" calendar expand --from 2026-02-30 --to 2026-03-01 "$ST/station.conf"
expect_rc 2 "every DATE option explains (calendar expand)"
expect_err "2026-02-30 is not a date" "calendar expand --from says why"

# ---- finding the station -------------------------------------------------------------------
mkdir -p "$ST/inbox/accepted/deep"
cw_in "$ST/inbox" plan --date 2027-03-01 --format json
expect_rc 0 "plan from inside inbox/ finds the station"
expect_eq "$(json_get "$CW_OUT" 'd["timezone"]')" "Africa/Lagos" "it planned that station"
cw_in "$ST/inbox/accepted/deep" library
expect_rc 0 "library from three folders down"
cw_in "$ST/calendars" change list
expect_rc 0 "change list from calendars/"
expect_out "no station changes"
# an explicit station and the environment still win
OTHER=$(minimal_station other)
sed -i 's/^timezone = .*/timezone = Africa\/Nairobi/' "$OTHER/station.conf"
cw_in "$ST/inbox" --station "$OTHER" plan --date 2027-03-01 --format json
expect_eq "$(json_get "$CW_OUT" 'd["timezone"]')" "Africa/Nairobi" "--station wins over the folder"
(cd "$ST/inbox" && CHALKWAVE_STATION="$OTHER" "$CW_BINARY" plan --date 2027-03-01 --format json >"$CW_OUT" 2>"$CW_ERR" </dev/null)
expect_eq "$(json_get "$CW_OUT" 'd["timezone"]')" "Africa/Nairobi" "\$CHALKWAVE_STATION wins over the folder"
# outside any station: the same refusal as before
mkdir -p "$CW_TMP/nowhere"
cw_in "$CW_TMP/nowhere" plan --date 2027-03-01
expect_rc 3 "outside a station"
expect_one_line_err "one line"
expect_err "no station.conf in" "says there is no station here"

cw_finish
