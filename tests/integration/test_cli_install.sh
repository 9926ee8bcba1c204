#!/usr/bin/env bash
# test_cli_install.sh — `cmake --install` (issue #2 point 2) puts the chalkwave binary and the
# chalkwave(1) man page under the chosen prefix (and under DESTDIR), the installed binary
# runs, and the man page renders without groff warnings and documents every command, every
# station.conf key the parser knows, and the exit codes.
. "$(dirname "$0")/lib.sh"

if [ ! -f "$CW_BUILD_DIR/CMakeCache.txt" ]; then
    not_ok "no CMake build folder at '$CW_BUILD_DIR' (CW_BUILD_DIR)"
    cw_finish
fi

prefix=$CW_TMP/prefix
cmake --install "$CW_BUILD_DIR" --prefix "$prefix" >"$CW_TMP/install.log" 2>&1
expect_eq "$?" 0 "cmake --install --prefix \$TMP/prefix"
expect_file "$prefix/bin/chalkwave" "the binary is installed in PREFIX/bin"
expect_file "$prefix/share/man/man1/chalkwave.1" "the man page is installed in PREFIX/share/man/man1"
if grep -v "^-- Install" "$CW_TMP/install.log" | grep -q .; then
    not_ok "cmake --install printed something unexpected: $(grep -v '^-- Install' "$CW_TMP/install.log" | head -2)"
fi
if grep -q "Installing: /usr" "$CW_TMP/install.log"; then
    not_ok "cmake --install wrote outside the prefix: $(grep 'Installing: /usr' "$CW_TMP/install.log")"
else
    ok "nothing was installed outside the prefix"
fi
"$prefix/bin/chalkwave" --version >"$CW_OUT" 2>&1
expect_eq "$(cut -d' ' -f1 "$CW_OUT")" chalkwave "the installed binary runs (--version)"

DESTDIR=$CW_TMP/stage cmake --install "$CW_BUILD_DIR" --prefix /usr >/dev/null 2>&1
expect_file "$CW_TMP/stage/usr/bin/chalkwave" "DESTDIR staging: the binary"
expect_file "$CW_TMP/stage/usr/share/man/man1/chalkwave.1" "DESTDIR staging: the man page"

man1=$prefix/share/man/man1/chalkwave.1
if cw_need groff; then
    warnings=$(groff -man -ww -z "$man1" 2>&1)
    expect_eq "$warnings" "" "groff renders the man page without warnings"
    groff -man -Tutf8 -P-cbou "$man1" 2>/dev/null >"$CW_TMP/man.txt"
else
    # no groff: read the source (roff escapes removed) instead of the rendering
    # (font macros such as '.BR key " (required)"' become '    key (required)')
    sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/^\.\(B\|I\|BR\|BI\|IR\|RB\) /    /' -e 's/"//g' \
        "$man1" >"$CW_TMP/man.txt"
fi
for c in init "calendar check" "calendar expand" "calendar import" ingest "ingest --inbox" library plan build verify export; do
    if grep -q -- "$c" "$CW_TMP/man.txt"; then ok "the man page documents '$c'"; else not_ok "the man page lacks '$c'"; fi
done
# every key the station.conf parser knows (from its 'known keys' lists) is documented
keys=$(sed -n 's/.*known keys: \([a-z_, ]*\)).*/\1/p' "$CW_SOURCE_DIR/common/station.c" | tr ',' '\n' | tr -d ' ' | sort -u)
n=0
for k in $keys; do
    n=$((n + 1))
    if grep -qE "^ *$k( |$)" "$CW_TMP/man.txt"; then ok "the man page documents the key '$k'"; else not_ok "the man page lacks the key '$k'"; fi
done
if [ "$n" -ge 15 ]; then ok "$n station.conf keys checked"; else not_ok "only $n keys found in station.c"; fi
for section in '\[station\]' '\[audio\]' '\[schedule\]' '\[calendars\]' 'EXIT STATUS' 'CHALKWAVE_STATION' 'EXAMPLES'; do
    if grep -q "$section" "$CW_TMP/man.txt"; then ok "the man page has $section"; else not_ok "the man page lacks $section"; fi
done
for code in 0 1 2 3; do
    if grep -qE "^ {4,}$code +[A-Z]" "$CW_TMP/man.txt" || grep -qE "^\.B $code$" "$man1"; then ok "exit code $code is documented"; else not_ok "exit code $code is not documented"; fi
done

cw_finish
