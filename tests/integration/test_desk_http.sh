#!/bin/bash
# test_desk_http.sh — the desk as an attack surface, against the real `chalkwave serve`:
#  - every staff route of the route table (`serve --routes`, so a new route is checked
#    without editing this test): no login -> 303 to /login (pages) or 401 (API, POSTs);
#    logged in, every state-changing staff route without or with a wrong CSRF token -> 403;
#  - security headers on every answer (CSP without inline script, nosniff, frame-ancestors
#    none, Referrer-Policy), cookies HttpOnly + SameSite=Strict (+ Secure under TLS);
#  - ../ and its encodings in every path parameter and query value never serve a file
#    outside the desk's own, and never the station's settings;
#  - wrong teacher tokens -> 404, then 429 after DESK_LIMIT_TRIES; wrong passwords likewise;
#  - HEAD, 405, keep-alive, a second server on the same station refused, SIGTERM stops
#    cleanly (exit 0), HTTPS with --cert/--key (openssl makes the certificate).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/desk_lib.sh"

ST=$(small_station http "HTTP Radio" 07:00-07:01)
cd "$CW_TMP" || exit 1
desk_user "$ST" amina "amina's password"
TOKEN=$(desk_teacher "$ST" "Mrs Okafor" maths)
[ -n "$TOKEN" ] && ok "a teacher with a token" || not_ok "teacher add printed no token"
desk_start "$ST" || { cw_finish; }
ok "the desk started at $DESK_URL"

# ---- the route table -------------------------------------------------------------------------
cw serve --routes
expect_rc 0 "serve --routes"
cp "$CW_OUT" routes.txt
nstaff=$(grep -c ' staff' routes.txt)
[ "$nstaff" -ge 20 ] && ok "$nstaff staff routes in the table" || not_ok "only $nstaff staff routes listed"
# a concrete path for a pattern
concrete() { sed -e 's#:date#2026-03-16#g' -e 's#:token#'"$TOKEN"'#g' -e 's#:[a-z]*#x1#g' -e 's#\*#library/lesson/maths/001-x.ogg#'; }

bad=0
while read -r method pattern auth rest; do
    [ "$auth" = staff ] || continue
    path=$(concrete <<<"$pattern")
    if [ "$method" = GET ]; then
        code=$(hcurl "$DESK_URL$path")
        if [[ "$path" == /api/* ]]; then want=401; else want=303; fi
        if [ "$code" != "$want" ]; then bad=1; echo "    GET $path without a login: $code (want $want)"; fi
        if [ "$want" = 303 ] && ! grep -qi '^location: /login?next=' headers; then bad=1; echo "    GET $path: no redirect to /login"; fi
    else
        code=$(hcurl -X POST -d 'csrf=x' "$DESK_URL$path")
        if [ "$code" != 401 ]; then bad=1; echo "    POST $path without a login: $code (want 401)"; fi
    fi
done <routes.txt
[ $bad = 0 ] && ok "every staff route refuses a request without a login" || not_ok "a staff route answered without a login"

desk_login amina "amina's password" && ok "API login" || not_ok "API login failed: $(cat login.json)"
grep -q 'HttpOnly; SameSite=Strict' jar 2>/dev/null || grep -q '#HttpOnly_' jar && ok "the session cookie is HttpOnly" || not_ok "the cookie jar: $(cat jar)"
bad=0
while read -r method pattern auth rest; do
    [ "$auth" = staff ] && [ "$method" = POST ] || continue
    path=$(concrete <<<"$pattern")
    for variant in none wrong; do
        if [ $variant = none ]; then
            code=$(hcurl -b jar -X POST -d 'x=1' "$DESK_URL$path")
        else
            code=$(hcurl -b jar -X POST -H "X-Chalkwave-CSRF: ${CSRF}x" -d "csrf=${CSRF%?}" "$DESK_URL$path")
        fi
        if [ "$code" != 403 ]; then bad=1; echo "    POST $path with $variant CSRF token: $code (want 403)"; fi
    done
    # multipart forms: the token must come before the file (no file is written without it)
    if [[ "$rest" == *upload* ]]; then
        code=$(hcurl -b jar -F "file=@routes.txt" -F "csrf=$CSRF" "$DESK_URL$path")
        if [ "$code" != 403 ]; then bad=1; echo "    POST $path with the token after the file: $code (want 403)"; fi
    fi
done <routes.txt
[ $bad = 0 ] && ok "every state-changing staff route needs the CSRF token" || not_ok "a staff POST went through without its token"
ls "$ST/desk/uploads" | grep -q . && not_ok "refused uploads left files: $(ls "$ST/desk/uploads")" || ok "refused uploads left nothing in desk/uploads"
# the right token works (logout is harmless to test last, so check a job-free route)
code=$(hcurl -b jar -H "X-Chalkwave-CSRF: $CSRF" -X POST "$DESK_URL/staff/days/2026-03-16/verify")
expect_eq "$code" 303 "with the token, a POST goes through"

# ---- security headers on every kind of answer ------------------------------------------------
bad=0
for u in / /login /assets/desk.css /assets/nope /staff/week "/t/$TOKEN" /t/nottherightone /api/plan /nothing; do
    hcurl -b jar "$DESK_URL$u" >/dev/null
    for h in "content-security-policy: default-src 'none'; script-src 'self'" "x-content-type-options: nosniff" \
        "frame-ancestors 'none'" "referrer-policy: no-referrer"; do
        grep -qiF "$h" headers || { bad=1; echo "    $u: no '$h'"; }
    done
    grep -qi "unsafe-inline" headers && { bad=1; echo "    $u: CSP allows inline code"; }
done
[ $bad = 0 ] && ok "security headers on every answer" || not_ok "a response without its security headers"
# no inline script or style in any page
bad=0
for u in /staff/week /staff/missing /staff/library /staff/inbox /staff/calendars /staff/days /staff/teachers \
    /staff/settings "/t/$TOKEN"; do
    code=$(hcurl -b jar "$DESK_URL$u")
    [ "$code" = 200 ] || { bad=1; echo "    $u: $code"; }
    grep -qiE '<script>|<script [^>]*>[^<]|style=|onclick=|onload=|javascript:' body && { bad=1; echo "    $u has inline code or style"; }
    if command -v xmllint >/dev/null; then
        # libxml2's HTML parser knows HTML 4 only: its complaints about HTML5 element names
        # are not errors in the page; anything else (unclosed or misnested tags) is
        xmllint --html --noout body 2>&1 | grep 'error' | grep -v 'Tag [a-z]* invalid' >xmllint.err
        [ -s xmllint.err ] && { bad=1; echo "    $u: xmllint: $(head -3 xmllint.err)"; }
    fi
done
[ $bad = 0 ] && ok "every page: 200, no inline code, well-formed HTML" || not_ok "a page failed"

# ---- traversal in every parameter ---------------------------------------------------------------
printf '; secret-settings-marker\n' >>"$ST/station.conf" # a comment, so the station still loads
bad=0
for t in '..%2f..%2fstation.conf' '..%2F..%2Fstation.conf' '%2e%2e%2f%2e%2e%2fstation.conf' '..%5c..%5cstation.conf' \
    '%c0%ae%c0%ae%2fstation.conf' '....%2f%2fstation.conf' '%252e%252e%252fstation.conf' '..' '.%2e' 'library%2f..%2f..%2fstation.conf'; do
    for pat in "/staff/audio/$t" "/staff/audio/library/$t" "/staff/recording/$t" "/staff/days/2026-03-16/files/$t" \
        "/staff/days/$t/files/day.ogg" "/staff/days/$t" "/assets/$t" "/t/$t" "/t/$TOKEN/uploads/$t" "/staff/jobs/$t" \
        "/staff/week?from=$t" "/api/plan?date=$t" "/api/missing?from=$t&to=$t" "/staff/library?q=$t&page=$t" \
        "/login?next=$t"; do
        code=$(hcurl -b jar --path-as-is "$DESK_URL$pat")
        if grep -q "secret-settings-marker\|^\[station\]" body; then bad=1; echo "    $pat served the settings ($code)"; fi
        case "$code" in 200 | 303 | 400 | 404) ;; *) bad=1; echo "    $pat: $code" ;; esac
    done
done
# the same with literal ../ (no normalisation by curl)
for pat in "/staff/audio/../../station.conf" "/staff/days/2026-03-16/files/../../station.conf" "/assets/../desk.c" "/t/../staff/week"; do
    code=$(hcurl -b jar --path-as-is "$DESK_URL$pat")
    [ "$code" = 400 ] || { bad=1; echo "    $pat: $code (want 400)"; }
done
[ $bad = 0 ] && ok "no parameter reaches outside the station" || not_ok "a traversal got through"
# a real file is served only through the index (the settings page shows station.conf on purpose)
code=$(hcurl "$DESK_URL/login?next=//evil.example/")
grep -q 'name="next" value="/staff/week"' body && ok "a login never sends elsewhere (next=//evil)" || not_ok "the login form kept next=//evil.example"
code=$(hcurl -d "user=amina&password=amina's password&next=https://evil.example/" "$DESK_URL/login")
grep -qi '^location: /staff/week' headers && ok "nor after logging in" || not_ok "login redirected to: $(grep -i location headers)"

# ---- methods, HEAD, keep-alive ---------------------------------------------------------------------
expect_eq "$(hcurl -X PUT "$DESK_URL/login")" 405 "PUT is refused with 405"
expect_eq "$(hcurl -X DELETE "$DESK_URL/staff/week")" 405 "DELETE is refused with 405"
expect_eq "$(hcurl -I "$DESK_URL/login")" 200 "HEAD works"
curl -sv -o /dev/null -o /dev/null "$DESK_URL/login" "$DESK_URL/assets/desk.css" 2>curl.err
grep -q 'Re-using existing connection' curl.err && ok "keep-alive: two requests on one connection" || not_ok "no connection reuse"
etag=$(curl -sI "$DESK_URL/assets/desk.js" | sed -n 's/^[Ee][Tt]ag: \(.*\)\r$/\1/p')
expect_eq "$(hcurl -H "If-None-Match: $etag" "$DESK_URL/assets/desk.js")" 304 "assets answer 304 to their ETag"
expect_eq "$(hcurl "$DESK_URL/%zz")" 400 "a bad escape in the path: 400"
long=$(printf 'a%.0s' $(seq 5000))
code=$(hcurl "$DESK_URL/$long")
case "$code" in 400 | 414 | 404) ok "a 5000-byte target is refused ($code)" ;; *) not_ok "a 5000-byte target: $code" ;; esac

# ---- a second server on the same station ------------------------------------------------------------
cw --station "$ST" serve --listen 127.0.0.1:0
expect_rc 3 "a second desk on the same station is refused"
expect_err "another 'chalkwave serve' is running"

# ---- a restart keeps logins (sessions.json), and starts the rate limits afresh -------------------------
desk_stop
expect_eq "$DESK_RC" 0 "SIGTERM stops the desk with exit 0"
desk_start "$ST" || cw_finish
expect_eq "$(hcurl -b jar "$DESK_URL/staff/week")" 200 "a login outlives a restart of the desk"
grep -q "$CSRF" "$ST/desk/sessions.json" && ok "sessions.json keeps the CSRF token" || not_ok "no CSRF in sessions.json"
grep -q "$(sed -n 's/.*cw_session\t//p' jar)" "$ST/desk/sessions.json" && not_ok "sessions.json holds the cookie itself" ||
    ok "sessions.json holds only the cookie's hash"
expect_eq "$(stat -c %a "$ST/desk/sessions.json")" 600 "sessions.json is 0600"

# ---- logins: wrong passwords are rate-limited ---------------------------------------------------------
for i in $(seq 10); do code=$(hcurl -d 'user=amina&password=wrong' "$DESK_URL/login"); done
expect_eq "$code" 403 "a wrong password: 403"
expect_eq "$(hcurl -d "user=amina&password=amina's password" "$DESK_URL/login")" 429 "after 10 wrong passwords even the right one waits (429)"
grep -qi '^retry-after: [0-9]' headers && ok "Retry-After is given" || not_ok "no Retry-After"

# ---- teacher tokens: 404, then 429 ----------------------------------------------------------------------
codes=""
for i in $(seq 10); do codes+="$(hcurl "$DESK_URL/t/AAAAAAAAAAAAAAAAAAAA$i") "; done
[ "$codes" = "$(printf '404 %.0s' $(seq 10))" ] && ok "wrong tokens: 404 each" || not_ok "wrong tokens: $codes"
expect_eq "$(hcurl "$DESK_URL/t/$TOKEN")" 429 "after 10 wrong tokens the address waits, even with a good token (429)"
expect_eq "$(hcurl -F file=@routes.txt "$DESK_URL/t/$TOKEN/upload")" 429 "uploads from that address wait too"
expect_eq "$(hcurl -H 'X-Forwarded-For: 10.9.8.7' "$DESK_URL/t/$TOKEN")" 429 "a forged X-Forwarded-For does not escape the limit (trust_proxy = no)"

# ---- SIGTERM ------------------------------------------------------------------------------------------
desk_stop
expect_eq "$DESK_RC" 0 "SIGTERM stops the desk with exit 0"
grep -q "the desk has stopped" "$DESK_OUT" && ok "it says it stopped" || not_ok "no stop message"
grep -q "$TOKEN" "$DESK_LOG" && not_ok "the request log holds a teacher's token" || ok "the request log never holds a token"

# ---- HTTPS ----------------------------------------------------------------------------------------------
if command -v openssl >/dev/null; then
    openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 -subj /CN=127.0.0.1 >/dev/null 2>&1
    desk_start "$ST" --cert cert.pem --key key.pem
    case "$DESK_URL" in https://*) ok "--cert/--key serve https ($DESK_URL)" ;; *) not_ok "not https: $DESK_URL" ;; esac
    expect_eq "$(hcurl --cacert cert.pem "$DESK_URL/login")" 200 "the login page over TLS, certificate verified"
    grep -qi '^strict-transport-security:' headers && ok "HSTS under TLS" || not_ok "no HSTS"
    code=$(hcurl --cacert cert.pem -d "user=amina&password=amina's password" "$DESK_URL/login")
    expect_eq "$code" 303 "login over TLS"
    grep -qi '^set-cookie: cw_session=.*; Secure' headers && ok "the cookie is Secure under TLS" || not_ok "cookie: $(grep -i set-cookie headers)"
    expect_eq "$(hcurl "${DESK_URL/https/http}/login")" 000 "plain http to the TLS port gets no page"
    kill -INT "$DESK_PID"
    wait "$DESK_PID"
    expect_eq "$?" 0 "SIGINT stops the TLS desk cleanly"
    cw --station "$ST" serve --listen 127.0.0.1:0 --cert cert.pem
    expect_rc 2 "--cert without --key is a usage error"
    cw --station "$ST" serve --listen 127.0.0.1:0 --cert routes.txt --key routes.txt
    expect_rc 1 "a file that is not PEM is refused"
fi
cw --station "$ST" serve --listen nowhere
expect_rc 2 "--listen without a port is a usage error"
cw_finish
