#!/usr/bin/env bash
# test_cli_help.sh — the command contract of issue #2: --help lists every command, each
# command's --help shows its contract flags and the exit codes, `help COMMAND` is the same
# text, --version matches the project version, unknown commands and flags are usage errors
# (exit 2) with a suggestion, bad option values are usage errors, and unwritable output is
# exit 3.
. "$(dirname "$0")/lib.sh"

commands="init calendar ingest library plan build verify export serve user teacher"

cw --help
expect_rc 0 "chalkwave --help"
for c in $commands; do
    expect_out_re "^  $c " "--help lists the '$c' command"
done
expect_out "Exit codes: 0 success, 1 the input was refused" "--help documents the exit codes"
expect_out "--station DIR" "--help documents --station"
expect_empty_err "--help prints nothing on stderr"
cp "$CW_OUT" "$CW_TMP/help.txt"
cw -h
expect_rc 0 "chalkwave -h"
check "-h prints the same as --help" cmp -s "$CW_OUT" "$CW_TMP/help.txt"
cw help
expect_rc 0 "chalkwave help"
check "'help' prints the same as --help" cmp -s "$CW_OUT" "$CW_TMP/help.txt"

version=$(sed -n 's/^project(chalkwave VERSION \([0-9.]*\).*/\1/p' "$CW_SOURCE_DIR/CMakeLists.txt")
cw --version
expect_rc 0 "chalkwave --version"
expect_eq "$(cat "$CW_OUT")" "chalkwave $version" "--version prints the project version"

# Every command: --help works without a station, prints usage + the exit codes, and
# 'help COMMAND' prints the same text.
for c in $commands; do
    cw "$c" --help
    expect_rc 0 "chalkwave $c --help"
    expect_out_re "^usage: chalkwave $c" "$c --help starts with its usage line"
    expect_out "Exit codes: 0 success" "$c --help documents the exit codes"
    cp "$CW_OUT" "$CW_TMP/help-$c.txt"
    subs=
    case "$c" in
    calendar) subs="check expand import" ;;
    user) subs="add passwd remove list" ;;
    teacher) subs="add relink revoke list" ;;
    esac
    if [ -n "$subs" ]; then
        # 'calendar --help' summarises its subcommands; each subcommand has the full help.
        for sub in $subs; do
            cw "$c" "$sub" --help
            expect_rc 0 "chalkwave $c $sub --help"
            expect_out_re "^usage: chalkwave $c $sub" "$c $sub --help starts with its usage line"
            expect_out "--station DIR" "$c $sub --help documents --station"
        done
    else
        expect_out "--station DIR" "$c --help documents --station"
    fi
    cw help "$c"
    expect_rc 0 "chalkwave help $c"
    cp "$CW_OUT" "$CW_TMP/help-$c-2.txt"
    check "'help $c' prints the same as '$c --help'" cmp -s "$CW_TMP/help-$c-2.txt" "$CW_TMP/help-$c.txt"
done

# The flags of the contract (issue #2 point 4) appear in each command's help.
flags_of() {
    case $1 in
        calendar) echo "check expand import --from --to --tz --format --priority" ;;
        ingest) echo "--series --episode --title --teacher --language --kind --inbox" ;;
        library) echo "--format" ;;
        plan) echo "--date --format" ;;
        build) echo "--date --out" ;;
        export) echo "--from --to" ;;
        verify) echo "BUNDLE" ;;
        init) echo "DIR" ;;
    esac
}
for c in $commands; do
    for f in $(flags_of "$c"); do
        if grep -qF -- "$f" "$CW_TMP/help-$c.txt"; then ok "$c --help mentions '$f'"; else not_ok "$c --help does not mention '$f'"; fi
    done
done

# Unknown commands: exit 2, one line, a suggestion when one is close.
cw plna
expect_rc 2 "unknown command 'plna'"
expect_one_line_err "unknown command is one line"
expect_err "did you mean 'plan'?" "'plna' suggests 'plan'"
cw ingset --inbox
expect_rc 2 "unknown command 'ingset'"
expect_err "did you mean 'ingest'?" "'ingset' suggests 'ingest'"
cw calender check x.ics
expect_rc 2 "unknown command 'calender'"
expect_err "did you mean 'calendar'?" "'calender' suggests 'calendar'"
cw xyzzy
expect_rc 2 "unknown command 'xyzzy'"
expect_err "see 'chalkwave --help'" "a far-off command points to --help"
cw help nosuch
expect_rc 2 "help for an unknown command"
cw
expect_rc 2 "no command at all"
expect_err "usage: chalkwave" "no command prints the usage on stderr"

# Unknown global options.
cw --versoin
expect_rc 2 "unknown global option --versoin"
expect_err "did you mean --version?" "--versoin suggests --version"
cw --station
expect_rc 2 "--station without a folder"
expect_err "--station needs a folder"

# Unknown options of each command: exit 2, one line naming the option, a suggestion.
unknown_flag() { # COMMAND... -- BAD SUGGESTED
    local bad=$1 want=$2
    shift 2
    cw "$@" "$bad"
    expect_rc 2 "chalkwave $* $bad"
    expect_one_line_err "$* $bad: one error line"
    expect_err "unknown option '$bad'" "$* names the unknown option '$bad'"
    [ -z "$want" ] || expect_err "did you mean --$want?" "$* $bad suggests --$want"
}
unknown_flag --dat date plan
unknown_flag --fromat format plan
unknown_flag --ot out build
unknown_flag --seires series ingest
unknown_flag --episod episode ingest
unknown_flag --teachr teacher ingest
unknown_flag --tilte title ingest
unknown_flag --form format library
unknown_flag --fro from export
unknown_flag --prority priority calendar import
unknown_flag --zz "" verify
unknown_flag -q "" init
cw ingest -lesson.wav
expect_rc 2 "a file name starting with '-' without '--'"
expect_err "put '--' before file names that start with '-'" "the error explains '--'"

# Bad option values are usage errors too.
cw plan --date 2027-02-30
expect_rc 2 "plan --date 2027-02-30 (no such day)"
expect_err "2027-02-30 is not a date (February 2027 has 28 days)" "a bad date says why it is not one"
cw plan --date 13/01/2027
expect_rc 2 "plan --date 13/01/2027"
cw plan --date
expect_rc 2 "plan --date without a value"
expect_err "--date needs a value"
cw ingest --episode two x.wav
expect_rc 2 "ingest --episode two"
expect_err "--episode needs a whole number"
cw ingest --inbox=yes
expect_rc 2 "a flag given a value"
cw build --date=2027-01-13 --date=2027-13-01
expect_rc 2 "build with --date=VALUE form, bad second value"
cw init
expect_rc 2 "init without a folder"
cw init "$CW_TMP/a" "$CW_TMP/b"
expect_rc 2 "init with two folders"
expect_no_path "$CW_TMP/a" "a refused init creates nothing"

# Output that cannot be written is an environment failure, never a silent success.
for args in "--help" "--version" "help plan" "plan --help"; do
    # shellcheck disable=SC2086
    "$CW_BINARY" $args >/dev/full 2>"$CW_ERR"
    rc=$?
    expect_eq "$rc" 3 "chalkwave $args >/dev/full exits 3"
done

cw_finish
