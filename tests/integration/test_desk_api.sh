#!/bin/bash
# test_desk_api.sh — the staff side of the desk and its JSON API on the example station,
# checked with real peers: POST /api/login; GET /api/plan (the same JSON as `chalkwave plan
# --format json`), /api/missing, /api/library; a partner calendar checked line by line and
# imported with a priority (pages and POST /api/calendars); a day built as a job, its
# bundle downloaded as one .tar that GNU tar lists and `chalkwave verify` accepts, day.ogg
# served with Range (206) and read by ogginfo; the library page's search and paging;
# listening to a recording through Range requests; the teachers page's link and QR code.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/desk_lib.sh"

ST=$(example_station api)
cd "$CW_TMP" || exit 1
cw --station "$ST" ingest "$ST"/recordings/*.wav "$ST"/recordings/*.flac "$ST"/recordings/*.mp3 "$ST"/recordings/*.ogg \
    "$ST"/recordings/*.opus
expect_rc 0 "setup: the example recordings are in the library"
DAY=2027-01-11
desk_user "$ST" amina "amina's password"
desk_start "$ST" || cw_finish
desk_login amina "amina's password" && ok "POST /api/login" || not_ok "login: $(cat login.json)"
expect_eq "$(hcurl -H 'Content-Type: application/json' -d '{"user":"amina","password":"nope"}' "$DESK_URL/api/login")" 403 \
    "a wrong password: 403"
expect_eq "$(json_get body 'd["error"]')" "wrong user name or password" "...in words"
expect_eq "$(hcurl -H 'Content-Type: application/json' -d '{"user":' "$DESK_URL/api/login")" 400 "a broken JSON body: 400"

# ---- the plan, as the CLI writes it ---------------------------------------------------------------------
expect_eq "$(hcurl -b jar "$DESK_URL/api/plan?date=$DAY")" 200 "GET /api/plan"
cp body api-plan.json
cw --station "$ST" plan --date "$DAY" --format json
cmp -s api-plan.json "$CW_OUT" && ok "the API's plan is byte-identical to 'chalkwave plan --format json'" ||
    not_ok "the API's plan differs from the CLI's: $(diff <(head -c 2000 api-plan.json) <(head -c 2000 "$CW_OUT") | head -5)"
expect_eq "$(hcurl -b jar "$DESK_URL/api/plan?date=2027-02-30")" 400 "a date that does not exist: 400"
expect_eq "$(hcurl -b jar "$DESK_URL/api/missing?from=$DAY&to=2027-01-15")" 200 "GET /api/missing"
cw --station "$ST" plan --from "$DAY" --to 2027-01-15 --missing --format json
cmp -s body "$CW_OUT" && ok "GET /api/missing is byte-identical to 'plan --missing --format json' ($(json_get body 'len(d)') lessons)" ||
    not_ok "the API's chase list differs from the CLI's: $(diff <(head -c 1500 body) <(head -c 1500 "$CW_OUT") | head -5)"
expect_eq "$(hcurl -b jar "$DESK_URL/api/missing?from=$DAY&to=2027-06-30")" 400 "more than 62 days: 400"
expect_eq "$(hcurl -b jar "$DESK_URL/api/library")" 200 "GET /api/library"
cw --station "$ST" library --format json
expect_eq "$(json_get body 'sorted(r["path"] for r in d["recordings"])')" "$(json_get "$CW_OUT" 'sorted(r["path"] for r in d)')" \
    "the API's library is the CLI's"
hcurl -b jar "$DESK_URL/api/library?q=fraction" >/dev/null
expect_eq "$(json_get body 'len(d["recordings"])')" 2 "search: two recordings about fractions"

# ---- pages ---------------------------------------------------------------------------------------------------
expect_eq "$(hcurl -b jar "$DESK_URL/staff/week?from=$DAY")" 200 "the week page"
grep -q 'Fractions: halves and quarters' body && ok "the week shows the lesson" || not_ok "no lesson on the week page"
expect_eq "$(hcurl -b jar "$DESK_URL/staff/missing?from=$DAY&to=2027-01-15")" 200 "the missing page"
expect_eq "$(hcurl -b jar "$DESK_URL/staff/library?q=fractions")" 200 "the library page"
rec=$(grep -o 'href="/staff/recording/[^"]*"' body | head -1 | sed 's/href="\/staff\/recording\///; s/"$//')
[ -n "$rec" ] && ok "a recording is linked: $rec" || not_ok "no recording link"
expect_eq "$(hcurl -b jar "$DESK_URL/staff/recording/$rec")" 200 "the recording's page"
grep -q "<audio controls preload=\"none\" src=\"/staff/audio/$rec\"" body && ok "with a player" || not_ok "no player"
size=$(stat -c %s "$ST/$rec")
expect_eq "$(hcurl -b jar -r 0-99 "$DESK_URL/staff/audio/$rec")" 206 "listening uses Range requests (206)"
grep -qi "^content-range: bytes 0-99/$size" headers && ok "Content-Range 0-99/$size" || not_ok "$(grep -i content-range headers)"
cmp -s body <(head -c 100 "$ST/$rec") && ok "the right bytes" || not_ok "wrong bytes"
expect_eq "$(hcurl -b jar -r "$size-" "$DESK_URL/staff/audio/$rec")" 416 "a range after the end: 416"
expect_eq "$(hcurl -b jar "$DESK_URL/staff/audio/library/lesson/maths-p5/999-none.ogg")" 404 "a recording the index does not know: 404"

# ---- calendars: check line by line, then import with a priority -------------------------------------------------
printf '%s\r\n' 'BEGIN:VCALENDAR' 'VERSION:2.0' 'PRODID:-//chalkwave tests//api//EN' 'BEGIN:VEVENT' 'UID:bad@api.test' \
    'DTSTAMP:20260101T000000Z' 'DTSTART:20270112T080000Z' 'DTEND:20270112T070000Z' 'SUMMARY:Backwards' 'END:VEVENT' \
    'END:VCALENDAR' >bad.ics
code=$(hcurl -b jar -F "csrf=$CSRF" -F "file=@bad.ics;filename=Ministry term 2.ics" "$DESK_URL/staff/calendars/check")
expect_eq "$code" 422 "a calendar with an error: 422"
grep -q '<li class="error"><strong>error</strong> line' body && ok "the errors are listed line by line" || not_ok "no line-by-line errors"
grep -q 'action="/staff/calendars/import"' body && not_ok "an import form for a calendar with errors" || ok "no import offered"
sed -e 's/UID:maths-p5-term2@lagos.example.org/UID:extra-maths@api.test/' "$CW_SOURCE_DIR/examples/station/calendars/lagos-primary-term2.ics" >good.ics
code=$(hcurl -b jar -F "csrf=$CSRF" -F "file=@good.ics;filename=Term 2.ics" "$DESK_URL/staff/calendars/check")
expect_eq "$code" 200 "a good calendar: checked"
grep -q 'name="name" value="Term 2.ics"' body && ok "the name is suggested from the file" || not_ok "no name suggestion"
upload=$(grep -o 'name="upload" value="[^"]*"' body | sed 's/.*value="//; s/"$//')
source=$(grep -o 'name="source" value="[^"]*"' body | sed 's/.*value="//; s/"$//')
expect_eq "$source" "Term 2.ics" "the import form keeps the uploaded file's name"
code=$(hcurl -b jar -d "csrf=$CSRF&upload=$upload&name=term2.ics&priority=7&source=Term+2.ics" "$DESK_URL/staff/calendars/import")
expect_eq "$code" 303 "imported"
expect_file "$ST/calendars/term2.ics"
grep -q '^term2.ics = 7, from desk upload Term 2.ics$' "$ST/station.conf" && ok "station.conf records priority 7 and where it came from" ||
    not_ok "[calendars] line: $(grep term2 "$ST/station.conf")"
code=$(hcurl -b jar -d "csrf=$CSRF&upload=$upload&name=term2.ics&priority=7" "$DESK_URL/staff/calendars/import")
expect_eq "$code" 404 "the same checked upload cannot be imported twice"
code=$(hcurl -b jar -d "csrf=$CSRF&upload=$upload&name=../station.conf&priority=1" "$DESK_URL/staff/calendars/import")
expect_eq "$code" 422 "a calendar name with a path: 422"
sed -e 's/UID:/UID:hol-/' good.ics >hol.ics
code=$(hcurl -b jar -H "X-Chalkwave-CSRF: $CSRF" -F "file=@hol.ics" -F priority=3 -F name=api.ics -F holidays=yes "$DESK_URL/api/calendars")
expect_eq "$code" 200 "POST /api/calendars"
expect_eq "$(json_get body 'd["imported"]')" True "imported: true"
grep -q '^api.ics = 3, holidays, from desk upload hol.ics$' "$ST/station.conf" && ok "as a holidays calendar" ||
    not_ok "[calendars] line: $(grep api.ics "$ST/station.conf")"
code=$(hcurl -b jar -H "X-Chalkwave-CSRF: $CSRF" -F "file=@bad.ics" -F name=bad.ics "$DESK_URL/api/calendars")
expect_eq "$code" 422 "POST /api/calendars with a bad calendar: 422"
expect_eq "$(json_get body '[x["severity"] for x in d["diagnostics"]].count("error") >= 1')" True "with its diagnostics"
expect_no_path "$ST/calendars/bad.ics" "nothing imported"
expect_eq "$(hcurl -b jar "$DESK_URL/staff/calendars?imported=term2.ics")" 200 "the calendars page"
grep -q '<td>term2.ics</td><td>7</td><td>0</td><td>desk upload Term 2.ics</td>' body && ok "lists term2.ics with priority 7" || not_ok "calendar not listed"

# ---- a day: build (a job), download, verify ---------------------------------------------------------------------
code=$(hcurl -b jar -X POST -H "X-Chalkwave-CSRF: $CSRF" "$DESK_URL/api/days/$DAY/build")
expect_eq "$code" 202 "POST /api/days/DAY/build starts a job"
job=$(json_get body 'd["url"]')
for _ in $(seq 600); do
    hcurl -b jar "$DESK_URL$job" >/dev/null
    state=$(json_get body 'd["state"]')
    [ "$state" = done ] || [ "$state" = failed ] && break
    sleep 0.2
done
expect_eq "$state" done "the build job ends: $(json_get body 'd["message"]')"
expect_eq "$(hcurl -b jar "$DESK_URL/staff/days/$DAY")" 200 "the day's page"
grep -q "/staff/days/$DAY/bundle.tar" body && ok "offers the .tar" || not_ok "no .tar link"
code=$(curl -s -b jar -o bundle.tar -w '%{http_code}' -D headers "$DESK_URL/staff/days/$DAY/bundle.tar")
expect_eq "$code" 200 "the bundle as one .tar"
expect_eq "$(sed -n 's/^[Cc]ontent-[Ll]ength: \([0-9]*\)\r$/\1/p' headers)" "$(stat -c %s bundle.tar)" "Content-Length is exact"
tar -tf bundle.tar >tar.list 2>tar.err && ok "GNU tar reads it ($(wc -l <tar.list) files)" || not_ok "tar: $(cat tar.err)"
grep -q "^$DAY/day.ogg$" tar.list && grep -q "^$DAY/SHA256SUMS$" tar.list && ok "day.ogg and SHA256SUMS are in it" || not_ok "tar list: $(head tar.list)"
mkdir x && tar -xf bundle.tar -C x
cw verify "x/$DAY"
expect_rc 0 "chalkwave verify accepts the downloaded bundle"
diff -r "x/$DAY" "$ST/out/$DAY" >/dev/null && ok "the archive holds exactly the bundle" || not_ok "archive and bundle differ"
code=$(curl -s -b jar -o day.ogg -w '%{http_code}' "$DESK_URL/staff/days/$DAY/files/day.ogg?download=1")
expect_eq "$code" 200 "day.ogg alone"
cmp -s day.ogg "$ST/out/$DAY/day.ogg" && ok "byte for byte" || not_ok "day.ogg differs"
if command -v ogginfo >/dev/null; then ogginfo_check day.ogg && ok "ogginfo reads the downloaded day.ogg" || not_ok "ogginfo complains"; fi
expect_eq "$(hcurl -b jar -r 1000-1999 "$DESK_URL/staff/days/$DAY/files/day.ogg")" 206 "day.ogg with a Range: 206"
expect_eq "$(hcurl -b jar "$DESK_URL/staff/days/$DAY/files/items")" 404 "a folder is not a file"
code=$(hcurl -b jar -X POST -H "X-Chalkwave-CSRF: $CSRF" "$DESK_URL/staff/days/$DAY/verify")
expect_eq "$code" 303 "verify from the page starts a job"
loc=$(sed -n 's/^[Ll]ocation: \(.*\)\r$/\1/p' headers)
for _ in $(seq 100); do hcurl -b jar "$DESK_URL$loc" >/dev/null; grep -q 'http-equiv="refresh"' body || break; sleep 0.2; done
grep -q 'is intact' body && ok "the desk's verify says the bundle is intact" || not_ok "verify page: $(grep -o 'class="[a-z]*" role="status">[^<]*' body)"
echo garbage >>"$ST/out/$DAY/guide.txt"
hcurl -b jar -X POST -H "X-Chalkwave-CSRF: $CSRF" "$DESK_URL/staff/days/$DAY/verify" >/dev/null
loc=$(sed -n 's/^[Ll]ocation: \(.*\)\r$/\1/p' headers)
for _ in $(seq 100); do hcurl -b jar "$DESK_URL$loc" >/dev/null; grep -q 'http-equiv="refresh"' body || break; sleep 0.2; done
grep -q 'guide.txt' body && ok "a damaged bundle: verify names the file" || not_ok "verify missed the damage"
expect_eq "$(hcurl -b jar "$DESK_URL/staff/days/2027-01-12/bundle.tar")" 404 "a day without a bundle has no .tar"

# ---- the CLI and the desk at once: a build from the terminal while pages show the week ------------------------
"$CW_BINARY" --station "$ST" build --date 2027-01-12 >cli-build.out 2>&1 &
CLIB=$!
codes=""
for _ in $(seq 10); do codes+="$(hcurl -b jar "$DESK_URL/staff/week?from=$DAY") "; done
wait $CLIB
expect_eq "$?" 0 "chalkwave build from the terminal while the desk serves the week"
[ "$codes" = "$(printf '200 %.0s' $(seq 10))" ] && ok "the week answered 200 throughout" || not_ok "week answers: $codes"
cw verify "$ST/out/2027-01-12"
expect_rc 0 "and the CLI's bundle verifies"

# ---- teachers from the page ---------------------------------------------------------------------------------------
code=$(hcurl -b jar -d "csrf=$CSRF&name=Mr+Okafor&series=english-p4&language=en" "$DESK_URL/staff/teachers/add")
expect_eq "$code" 200 "a teacher added from the page"
link=$(grep -o '<code>http[^<]*/t/[A-Za-z0-9_-]*</code>' body | sed 's/<[^>]*>//g')
[ -n "$link" ] && ok "the page shows the link once: $link" || not_ok "no link shown"
grep -q '<svg xmlns="http://www.w3.org/2000/svg"' body && ok "with its QR code" || not_ok "no QR code"
if command -v zbarimg >/dev/null; then
    sed -n 's/.*\(<svg.*<\/svg>\).*/\1/p' body >qr.svg
    "$CW_PYTHON" - qr.svg qr.pgm <<'PYEOF'
import re, sys
svg = open(sys.argv[1]).read()
w = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))
dark = set((int(x), int(y)) for x, y in re.findall(r"M(\d+) (\d+)h1v1h-1z", svg))
S = 6
with open(sys.argv[2], "wb") as f:
    f.write(b"P5 %d %d 255\n" % (w * S, w * S))
    for y in range(w):
        f.write(bytes(0 if (x, y) in dark else 255 for x in range(w) for _ in range(S)) * S)
PYEOF
    expect_eq "$(zbarimg -q --raw qr.pgm 2>/dev/null)" "$link" "zbarimg reads the page's QR code as the link"
fi
tok=${link##*/}
expect_eq "$(hcurl "$DESK_URL/t/$tok")" 200 "the new link opens the teacher's page"
expect_eq "$(hcurl -b jar -d "csrf=$CSRF" "$DESK_URL/staff/teachers/Mr%20Okafor/revoke")" 303 "revoked from the page"
expect_eq "$(hcurl "$DESK_URL/t/$tok")" 404 "the revoked link no longer works"
expect_eq "$(hcurl -b jar "$DESK_URL/staff/settings")" 200 "the settings page"
grep -q 'Radio Example' body && ok "shows station.conf" || not_ok "no station.conf on the settings page"
desk_stop
expect_eq "$DESK_RC" 0 "the desk stops cleanly"
cw_finish
