#!/bin/bash
# test_desk_cli.sh — `chalkwave user` and `chalkwave teacher`: passwords from stdin or a
# terminal (asked twice, never echoed), refusals with one line and the right exit code, the
# files they write (0600 in a 0700 folder, no password or token in them), teachers' links
# and their QR code, read back by a real QR decoder (zbarimg), [desk] settings in the link.
. "$(dirname "$0")/lib.sh"

ST=$(small_station cli "CLI Radio" 07:00-07:01)
cd "$CW_TMP" || exit 1

# ---- users -------------------------------------------------------------------------------
echo "a long password" | "$CW_BINARY" --station "$ST" user add amina --password-stdin >"$CW_OUT" 2>"$CW_ERR"
CW_RC=$?
expect_rc 0 "user add with --password-stdin"
expect_out "added user 'amina'"
echo "another password" | "$CW_BINARY" --station "$ST" user add amina --password-stdin >"$CW_OUT" 2>"$CW_ERR"
CW_RC=$?
expect_rc 1 "a second user of the same name is refused"
expect_one_line_err "one line for a taken name"
echo "short" | "$CW_BINARY" --station "$ST" user add bob --password-stdin >"$CW_OUT" 2>"$CW_ERR"
CW_RC=$?
expect_rc 1 "a short password is refused"
expect_err "shorter than 8 characters"
printf '' | "$CW_BINARY" --station "$ST" user add bob --password-stdin >"$CW_OUT" 2>"$CW_ERR"
CW_RC=$?
expect_rc 1 "no password on stdin is refused"
cw --station "$ST" user add bob
expect_rc 2 "without a terminal and without --password-stdin: usage error"
expect_err "--password-stdin"
cw --station "$ST" user add "bad/name" --password-stdin
expect_rc 1 "a name with '/' is refused"
cw --station "$ST" user list
expect_rc 0 "user list"
expect_out "amina"
expect_no_out "bob"
if grep -q "a long password" "$ST/desk/users.json"; then not_ok "the password is not in users.json"; else ok "the password is not in users.json"; fi
expect_eq "$(stat -c %a "$ST/desk")" 700 "desk/ is 0700"
expect_eq "$(stat -c %a "$ST/desk/users.json")" 600 "users.json is 0600"

# the terminal path: a pseudo-terminal answers the prompts (typed after each prompt, as a
# person would); the password must be asked twice and never echoed
tty_run() { # PASSWORD1 PASSWORD2 ARGS...: run chalkwave on a pty, print what the terminal showed
    "$CW_PYTHON" - "$CW_BINARY" "$@" <<'PYEOF'
import os, pty, sys, time
binary, p1, p2, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(binary, [binary] + args)
out, answers, deadline = b"", [p1, p2], time.time() + 30
while time.time() < deadline:
    try:
        chunk = os.read(fd, 1024)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
    if answers and out.rstrip().endswith(b":"):
        time.sleep(0.1)
        os.write(fd, (answers.pop(0) + "\n").encode())
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
PYEOF
}
tty_run "terminal pass 1" "terminal pass 1" --station "$ST" user add carol >"$CW_OUT" 2>&1
CW_RC=$?
expect_rc 0 "user add asks on the terminal"
expect_out "password for carol:"
expect_out "the same password again:"
expect_no_out "terminal pass 1" "the password is not echoed"
tty_run "terminal pass 1" "something else" --station "$ST" user passwd carol >"$CW_OUT" 2>&1
CW_RC=$?
expect_rc 1 "two different passwords are refused"
expect_out "the two passwords differ"
echo "new password 2" | "$CW_BINARY" --station "$ST" user passwd amina --password-stdin >"$CW_OUT" 2>"$CW_ERR"
CW_RC=$?
expect_rc 0 "user passwd"
cw --station "$ST" user remove nobody
expect_rc 3 "removing a user that is not there"
expect_one_line_err
cw --station "$ST" user remove carol
expect_rc 0 "user remove"

# ---- teachers ------------------------------------------------------------------------------
cw --station "$ST" teacher add "Mrs Okafor" --series maths-p5,english-p4 --language en --no-qr
expect_rc 0 "teacher add"
expect_out_re '^http://127\.0\.0\.1:8070/t/[A-Za-z0-9_-]{22}$'
expect_err "works only on this computer"
TOKEN=$(sed -n 's#.*/t/##p' "$CW_OUT")
if grep -q "$TOKEN" "$ST/desk/teachers.json"; then not_ok "the token is not stored"; else ok "only the token's hash is stored"; fi
cw --station "$ST" teacher add "mrs okafor" --no-qr
expect_rc 1 "a teacher name taken (ignoring case) is refused"
cw --station "$ST" teacher add "Mr Bello" --series "a,,b" --no-qr
expect_rc 0 "empty series between commas are ignored"
cw --station "$ST" teacher list --format json
expect_rc 0 "teacher list --format json"
expect_eq "$(json_get "$CW_OUT" '[t["name"] for t in d]')" '["Mr Bello", "Mrs Okafor"]' "both teachers, by name"
expect_eq "$(json_get "$CW_OUT" 'd[1]["series"]')" '["maths-p5", "english-p4"]' "their series"
cw --station "$ST" teacher relink "Mrs Okafor" --no-qr
expect_rc 0 "teacher relink"
NEW=$(sed -n 's#.*/t/##p' "$CW_OUT")
[ "$NEW" != "$TOKEN" ] && ok "relink makes a new token" || not_ok "relink kept the token"
cw --station "$ST" teacher revoke "Mrs Okafor"
expect_rc 0 "teacher revoke"
cw --station "$ST" teacher list
expect_out_re 'Mrs Okafor.*revoked'
cw --station "$ST" teacher revoke "Nobody"
expect_rc 3 "revoking a teacher that is not there"

# [desk] url and listen shape the link
printf '\n[desk]\nurl = https://radio.example.org/desk/\n' >>"$ST/station.conf"
cw --station "$ST" teacher add "Ms Url" --no-qr
expect_out_re '^https://radio\.example\.org/desk/t/[A-Za-z0-9_-]{22}$'
expect_empty_err "no warning with a public url"

# ---- the QR code, decoded by zbarimg ------------------------------------------------------
if command -v zbarimg >/dev/null && command -v convert >/dev/null || command -v zbarimg >/dev/null; then
    cw --station "$ST" teacher relink "Ms Url" --qr
    LINK=$(grep -m1 '^https://' "$CW_OUT")
    # the half blocks back into pixels (light modules drawn; 8 pixels per module), as PGM
    "$CW_PYTHON" - "$CW_OUT" qr.pgm <<'PYEOF'
import sys
lines = [l.rstrip("\n") for l in open(sys.argv[1], encoding="utf-8") if l and l[0] in " \u2580\u2584\u2588"]
rows = []
for l in lines:
    top = [1 if c in "\u2580\u2588" else 0 for c in l]   # 1 = light drawn
    bot = [1 if c in "\u2584\u2588" else 0 for c in l]
    rows += [top, bot]
S = 8
w = max(len(r) for r in rows) * S
with open(sys.argv[2], "wb") as f:
    f.write(b"P5 %d %d 255\n" % (w, len(rows) * S))
    for r in rows:
        line = bytes(255 if v else 0 for v in r for _ in range(S)).ljust(w, b"\xff")
        f.write(line * S)
PYEOF
    got=$(zbarimg -q --raw qr.pgm 2>/dev/null)
    expect_eq "$got" "$LINK" "zbarimg reads the terminal QR code as the link"
else
    echo "SKIP: zbarimg (zbar-tools) is not installed: the QR code is not decoded"
fi

cw --station "$ST" teacher
expect_rc 2 "teacher without a subcommand"
cw --station "$ST" user frob
expect_rc 2 "an unknown user subcommand"
cw_finish
