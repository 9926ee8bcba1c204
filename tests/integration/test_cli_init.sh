#!/usr/bin/env bash
# test_cli_init.sh — `chalkwave init DIR`: creates the station layout and a complete,
# commented station.conf that the other commands load; refuses a folder that already holds a
# station without touching it; creates missing parents; refuses a path that is a file.
. "$(dirname "$0")/lib.sh"

st=$CW_TMP/radio
cw init "$st"
expect_rc 0 "chalkwave init $st"
expect_out "created station in '$st'" "init says where the station is"
for d in calendars library inbox inbox/accepted inbox/rejected out; do
    expect_dir "$st/$d" "init created $d/"
done
expect_file "$st/station.conf" "init wrote station.conf"
for key in name timezone on_air rate channels quality loudness true_peak; do
    if grep -qE "^$key = " "$st/station.conf"; then ok "station.conf sets '$key'"; else not_ok "station.conf lacks '$key'"; fi
done
for sec in station audio schedule calendars; do
    if grep -qx "\[$sec\]" "$st/station.conf"; then ok "station.conf has [$sec]"; else not_ok "station.conf lacks [$sec]"; fi
done
n=$(grep -c ';' "$st/station.conf")
if [ "$n" -ge 15 ]; then ok "station.conf is commented ($n comment marks)"; else not_ok "station.conf has only $n comments"; fi
if grep -q 'tmp' <<<"$(ls -A "$st")"; then not_ok "init left a temporary file"; else ok "init left no temporary file"; fi

# The new station loads: commands that read it work (library is the simplest reader).
cw --station "$st" library
expect_rc 0 "the new station loads (chalkwave --station DIR library)"

# A second init refuses and changes nothing.
echo "; my own note" >>"$st/station.conf"
before=$(tree_sum "$st")
cw init "$st"
expect_rc 1 "init on an existing station is refused"
expect_one_line_err "the refusal is one line"
expect_err "already holds a station" "the refusal says why"
expect_eq "$(tree_sum "$st")" "$before" "the existing station is unchanged"

# An existing empty folder is fine; missing parents are created.
mkdir "$CW_TMP/empty"
cw init "$CW_TMP/empty"
expect_rc 0 "init into an existing empty folder"
cw init "$CW_TMP/deep/er/radio"
expect_rc 0 "init creates missing parent folders"
expect_file "$CW_TMP/deep/er/radio/station.conf"

# A path that is a file: environment failure, the file untouched.
echo "not a folder" >"$CW_TMP/afile"
cw init "$CW_TMP/afile"
expect_rc 3 "init onto a regular file"
expect_err "not a folder" "the error says it is not a folder"
expect_eq "$(cat "$CW_TMP/afile")" "not a folder" "the file is untouched"

# An empty folder name is refused (it used to read past the end of a string).
cw_in "$CW_TMP" init ""
expect_rc 1 "init '' is refused"
expect_one_line_err "init '': one line"

# Relative paths work from the current folder, and the hint names the folder.
cw_in "$CW_TMP" init rel-radio
expect_rc 0 "init with a relative folder"
expect_file "$CW_TMP/rel-radio/station.conf"
expect_out "chalkwave --station rel-radio" "init prints the next step with the folder"

cw_finish
