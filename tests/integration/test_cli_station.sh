#!/usr/bin/env bash
# test_cli_station.sh — how commands find and load the station: --station DIR (before or
# after the command), $CHALKWAVE_STATION, else the current folder; and station.conf errors
# printed as one line naming the file, the line and the key, with the documented exit code.
# `library` is the read-only command used to load the station.
. "$(dirname "$0")/lib.sh"

good=$(minimal_station good)
empty=$CW_TMP/empty
mkdir -p "$empty"

# Where the station comes from.
cw --station "$good" library
expect_rc 0 "--station DIR before the command"
cw library --station "$good"
expect_rc 0 "--station DIR after the command"
cw library --station="$good"
expect_rc 0 "--station=DIR"
cw_in "$good" library
expect_rc 0 "the current folder is the default station"
CHALKWAVE_STATION=$good cw_in "$empty" library
expect_rc 0 "\$CHALKWAVE_STATION is used when there is no --station"
CHALKWAVE_STATION=$empty cw library --station "$good"
expect_rc 0 "--station wins over \$CHALKWAVE_STATION"

# No station at all.
cw_in "$empty" library
expect_rc 3 "no station.conf in the current folder"
expect_one_line_err "no station: one line"
expect_err "no station.conf in" "the error says station.conf is missing"
expect_err "chalkwave init" "the error says how to make a station"
cw --station "$CW_TMP/nowhere" library
expect_rc 3 "a station folder that does not exist"
expect_err "does not exist" "the error says the folder does not exist"

# station.conf errors: file, line and key.
# bad_conf NAME 'sed expression' EXIT 'expected text' LINE
bad_conf() {
    local name=$1 sedexpr=$2 want_rc=$3 want=$4 line=$5
    local st
    st=$(minimal_station "$name")
    sed -i "$sedexpr" "$st/station.conf"
    cw --station "$st" library
    expect_rc "$want_rc" "$name"
    expect_one_line_err "$name: one line"
    if [ -n "$line" ]; then
        expect_err "$st/station.conf:$line: " "$name: the error names station.conf and line $line"
    else
        expect_err "$st/station.conf" "$name: the error names station.conf"
    fi
    expect_err "$want" "$name: the error says '$want'"
}
bad_conf "rate not a number" 's/^rate = 44100/rate = fast/' 1 "key 'rate' in [audio]" 7
bad_conf "rate too high" 's/^rate = 44100/rate = 400000/' 1 "key 'rate' in [audio]" 7
bad_conf "unknown zone" 's|^timezone = .*|timezone = Lagos|' 1 "key 'timezone' in [station]" 3
bad_conf "window without end" 's/^on_air = .*/on_air = 07:00/' 1 "key 'on_air' in [station]" 4
bad_conf "empty window" 's/^on_air = .*/on_air = 07:00-07:00/' 1 "is empty" 4
bad_conf "channels zero" 's/^channels = 1/channels = 0/' 1 "key 'channels' in [audio]" 8
bad_conf "quality too high" 's/^quality = 3/quality = 42/' 1 "key 'quality' in [audio]" 9
bad_conf "loudness positive" 's/^loudness = -23/loudness = 3/' 1 "key 'loudness' in [audio]" 10
bad_conf "true peak above 0" 's/^true_peak = -1/true_peak = 2/' 1 "key 'true_peak' in [audio]" 11
bad_conf "misspelt key" 's/^channels = 1/chanels = 1/' 1 "unknown key 'chanels' in [audio]" 8
bad_conf "unknown section" 's/^\[audio\]/[audoi]/' 1 "unknown section [audoi]" 7
bad_conf "missing name" '/^name = /d' 1 "missing key 'name' in [station]" 1
bad_conf "missing timezone" '/^timezone = /d' 1 "missing key 'timezone' in [station]" 1
bad_conf "missing true_peak" '/^true_peak = /d' 1 "missing key 'true_peak' in [audio]" 6
bad_conf "garbage line" 's/^\[audio\]/[audio]\nthis is not a setting/' 1 "is not 'key = value'" 7

# A station.conf that cannot be read as a file: exit 3 (environment).
st=$(minimal_station conf-is-dir)
rm "$st/station.conf" && mkdir "$st/station.conf"
cw --station "$st" library
expect_rc 1 "station.conf is a folder (not a regular file: refused)"
expect_one_line_err "station.conf is a folder: one line"

# Round the clock: on_air = 00:00-24:00 is a whole day (23 hours on a spring-forward day).
st=$(minimal_station allday)
sed -i 's/^on_air = .*/on_air = 00:00-24:00/; s|^timezone = .*|timezone = Europe/London|' "$st/station.conf"
cw --station "$st" plan --date 2027-01-13 --format json
expect_rc 0 "on_air = 00:00-24:00 loads and plans"
cp "$CW_OUT" "$CW_TMP/allday.json"
expect_eq "$(json_get "$CW_TMP/allday.json" '[d["window"]["start"], d["window"]["end"]]')" '["2027-01-13T00:00:00+00:00", "2027-01-14T00:00:00+00:00"]' "the window is the whole day"
cw --station "$st" plan --date 2027-03-28 --format json
cp "$CW_OUT" "$CW_TMP/allday-dst.json"
expect_eq "$(json_get "$CW_TMP/allday-dst.json" 'sum(i["length_samples"] for i in d["items"])')" $((23 * 3600 * 44100)) "on the spring-forward day the whole day is 23 hours of samples"

# The example station loads.
ex=$(example_station example)
cw --station "$ex" library
expect_rc 0 "the example station loads"

cw_finish
