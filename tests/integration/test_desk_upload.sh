#!/bin/bash
# test_desk_upload.sh — recordings in through the desk, against the real `chalkwave serve`:
#  - a teacher's page lists their missing episodes; an upload from the page's form is
#    accepted and the teacher reads when it airs; a broken file is refused in plain words
#    naming their file (never the desk's temporary); refusals of bad fields;
#  - an upload over [desk] max_upload is refused before it is all received (declared size:
#    before the body; chunked: cut while it streams), nothing stored;
#  - 50 concurrent uploads of distinct files: each stored exactly once;
#  - the same file from the desk and `chalkwave ingest --inbox` at once: stored once;
#  - kill -9 during an upload and during its ingest: nothing partial in the library or the
#    inbox, and the next start is clean (the interrupted upload says "upload it again");
#  - a slow-loris client (many connections sending headers a byte at a time) does not
#    block anyone else.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/desk_lib.sh"
command -v sox >/dev/null || { echo "sox is not installed"; exit 77; }

# max_length 900: the 10-minute recordings below must be accepted, so that their ingest (about 1 s
# here) is still running when the desk is killed or stopped; with the default 30 s it was refused
# after its analysis, in less than 0.3 s on a fast machine, and nothing was left to cancel
ST=$(small_station up "Upload Radio" 07:00-07:02 900)
cd "$CW_TMP" || exit 1
tomorrow=$(TZ=Africa/Lagos date -d tomorrow +%Y%m%d)
printf '%s\r\n' 'BEGIN:VCALENDAR' 'VERSION:2.0' 'PRODID:-//chalkwave tests//desk//EN' \
    'BEGIN:VEVENT' 'UID:maths@desk.test' 'DTSTAMP:20260101T000000Z' "DTSTART;TZID=Africa/Lagos:${tomorrow}T070000" \
    "DTEND;TZID=Africa/Lagos:${tomorrow}T070020" 'RRULE:FREQ=DAILY' 'SUMMARY:Maths' 'X-CHALKWAVE-SERIES:maths' 'END:VEVENT' \
    'END:VCALENDAR' >partner.ics
cw --station "$ST" calendar import partner.ics
expect_rc 0 "setup: a daily maths lesson from tomorrow"
desk_user "$ST" amina "amina's password"
TOKEN=$(desk_teacher "$ST" "Mrs Okafor" maths)
T50=$(desk_teacher "$ST" "Fifty" s50)
desk_start "$ST" || cw_finish

# ---- the teacher's page and an upload from its form ------------------------------------------
code=$(hcurl "$DESK_URL/t/$TOKEN")
expect_eq "$code" 200 "the teacher's page"
grep -q 'recording needed' body && ok "it lists the missing episodes" || not_ok "no missing episode on the page"
grep -q 'name="episode" value="1"' body && ok "an upload form for episode 1, pre-filled" || not_ok "no form for episode 1"
tone maths1.wav 3 440
code=$(hcurl -F series=maths -F episode=1 -F kind=lesson -F "title=Maths one" -F "file=@maths1.wav;filename=Maths 1 (final).wav" \
    "$DESK_URL/t/$TOKEN/upload")
expect_eq "$code" 303 "the form's upload answers with the page to follow"
follow=$(sed -n 's/^[Ll]ocation: \(.*\)\r$/\1/p' headers)
for _ in $(seq 100); do
    hcurl "$DESK_URL$follow" >/dev/null
    grep -q 'http-equiv="refresh"' body || break
    sleep 0.2
done
grep -q "Accepted: 'Maths one', 0:03 long, is waiting for the station&#39;s approval. Once the station approves it, it airs on" body &&
    ok "the teacher reads: accepted, its length, that it waits for approval and when it will air" ||
    not_ok "result page: $(sed -n '/<main/,/<\/main>/p' body | head -5)"
expect_file "$ST/pending/lesson/maths/001-maths-one.ogg" "the recording waits in pending/"
expect_no_path "$ST/library/lesson/maths/001-maths-one.ogg" "...not in the library"
hcurl "$DESK_URL/t/$TOKEN" >/dev/null
grep -q "episode 1 · <span class=\"tag\">waiting for the station's approval</span>" body &&
    ok "episode 1 waits for approval on the teacher's page" || not_ok "episode 1 not shown waiting"
desk_login amina "amina's password" || not_ok "staff login"
hcurl -b jar "$DESK_URL/api/missing" >/dev/null
expect_eq "$(json_get body '[m["status"] for m in d if m["episode"] == 1]')" '["pending"]' "the chase list says episode 1 awaits approval"
hcurl -b jar "$DESK_URL/api/inbox" >/dev/null
up1=$(json_get body '[u["id"] for u in d["uploads"] if u["episode"] == 1][0]')
expect_eq "$(json_get body '[u["status"] for u in d["uploads"] if u["episode"] == 1][0]')" pending "the inbox lists it as pending"
hcurl -b jar "$DESK_URL/staff/inbox" >/dev/null
grep -q 'src="/staff/audio/pending/lesson/maths/001-maths-one.ogg"' body && ok "staff can listen to it on the inbox page" ||
    not_ok "no player for the pending upload"
expect_eq "$(hcurl -b jar -r 0-9 "$DESK_URL/staff/audio/pending/lesson/maths/001-maths-one.ogg")" 206 "...through Range requests"
expect_eq "$(hcurl -b jar -X POST "$DESK_URL/api/inbox/$up1/approve")" 403 "approving needs the CSRF token"
expect_eq "$(hcurl -b jar -X POST -H "X-Chalkwave-CSRF: $CSRF" "$DESK_URL/api/inbox/$up1/approve")" 200 "approved"
expect_file "$ST/library/lesson/maths/001-maths-one.ogg" "the recording is in the library now"
expect_no_path "$ST/pending/lesson/maths/001-maths-one.ogg" "...and no longer pending"
expect_eq "$(hcurl -b jar -X POST -H "X-Chalkwave-CSRF: $CSRF" "$DESK_URL/api/inbox/$up1/approve")" 409 "approving twice: 409"
code=$(hcurl "$DESK_URL/t/$TOKEN")
grep -q "episode 1 · <span class=\"tag\">ready</span>" body && ok "episode 1 is ready on the teacher's page" || not_ok "episode 1 not shown ready"
# a rejection with a reason the teacher reads
tone maths2.wav 3 520
hcurl -H 'Accept: application/json' -F series=maths -F episode=2 -F "title=Maths two" -F "file=@maths2.wav" "$DESK_URL/t/$TOKEN/upload" >/dev/null
up2=$(json_get body 'd["upload"]')
expect_eq "$(json_get body 'd["pending"]')" True "a second upload waits for approval"
expect_eq "$(hcurl -b jar -X POST -H "X-Chalkwave-CSRF: $CSRF" "$DESK_URL/api/inbox/$up2/reject")" 400 "a rejection needs a reason"
expect_eq "$(hcurl -b jar -H "X-Chalkwave-CSRF: $CSRF" --data-urlencode "reason=$(head -c 1001 /dev/zero | tr '\0' x)" \
    "$DESK_URL/api/inbox/$up2/reject")" 400 "a reason over 1000 characters: 400"
expect_eq "$(hcurl -b jar -H "X-Chalkwave-CSRF: $CSRF" -d 'reason=Caf%E9%FF%FE' "$DESK_URL/api/inbox/$up2/reject")" 400 \
    "a reason that is not UTF-8 text: 400 (the form is refused as it is read)"
expect_eq "$(json_get "$ST/desk/uploads.json" '[u["status"] for u in d["uploads"] if u["id"] == "'"$up2"'"][0]')" pending "...and it still waits"
expect_eq "$(hcurl -b jar -X POST -H "X-Chalkwave-CSRF: $CSRF" "$DESK_URL/api/inbox/nosuch/approve")" 404 "an upload that is not there: 404"
expect_eq "$(hcurl -b jar -H "X-Chalkwave-CSRF: $CSRF" -d 'reason=The classroom noise drowns your voice: please record again somewhere quiet.' \
    "$DESK_URL/api/inbox/$up2/reject")" 200 "rejected with a reason"
expect_no_path "$ST/library/lesson/maths/002-maths-two.ogg" "a rejected upload never reaches the library"
hcurl "$DESK_URL/t/$TOKEN" >/dev/null
grep -q "rejected</strong>: The classroom noise drowns your voice" body && ok "the teacher reads the rejection and its reason" ||
    not_ok "rejection not on the teacher's page"
grep -q 'name="episode" value="2"' body && ok "episode 2 can be uploaded again" || not_ok "no form for episode 2 after the rejection"

# decided from the terminal (`chalkwave library approve` / `reject`): the desk's inbox and the
# teacher's page follow
tone maths3.wav 3 610
hcurl -H 'Accept: application/json' -F series=maths -F episode=3 -F "title=Maths three" -F "file=@maths3.wav" "$DESK_URL/t/$TOKEN/upload" >/dev/null
up3=$(json_get body 'd["upload"]'); p3=$(json_get body 'd["recording"]["path"]')
tone maths4.wav 3 660
hcurl -H 'Accept: application/json' -F series=maths -F episode=4 -F "title=Maths four" -F "file=@maths4.wav" "$DESK_URL/t/$TOKEN/upload" >/dev/null
up4=$(json_get body 'd["upload"]'); p4=$(json_get body 'd["recording"]["path"]')
cw --station "$ST" library approve "$p3"
expect_rc 0 "chalkwave library approve from the terminal"
cw --station "$ST" library reject --reason "Episode 4 is the wrong lesson: it repeats episode 3." "$p4"
expect_rc 0 "chalkwave library reject from the terminal"
hcurl -b jar "$DESK_URL/api/inbox" >/dev/null
expect_eq "$(json_get body '[u["status"] + " " + u["recording"] for u in d["uploads"] if u["id"] == "'"$up3"'"][0]')" \
    "approved library/${p3#pending/}" "the inbox follows an approval made in the terminal"
expect_eq "$(json_get body '[u["status"] + ": " + u["reason"] for u in d["uploads"] if u["id"] == "'"$up4"'"][0]')" \
    "rejected: Episode 4 is the wrong lesson: it repeats episode 3." "...and a rejection, with its reason"
expect_eq "$(hcurl -b jar -X POST -H "X-Chalkwave-CSRF: $CSRF" "$DESK_URL/api/inbox/$up3/approve")" 409 \
    "approving on the desk what the terminal approved: 409"
hcurl "$DESK_URL/t/$TOKEN" >/dev/null
grep -q "Maths three</a> · [^<]* · <strong>approved: it will air</strong>" body && ok "the teacher reads that episode 3 was approved" ||
    not_ok "episode 3 not shown approved: $(grep -o 'Maths three</a>[^<]*<strong>[^<]*' body)"
grep -q "<strong>rejected</strong>: Episode 4 is the wrong lesson" body && ok "...and why episode 4 was rejected" ||
    not_ok "episode 4's rejection not shown"

# the same episode sent again and rejected again: the inbox reads the second reason (the
# rejected file is kept under a numbered name beside the first)
tone maths4b.wav 3 680
hcurl -H 'Accept: application/json' -F series=maths -F episode=4 -F "title=Maths four" -F "file=@maths4b.wav" "$DESK_URL/t/$TOKEN/upload" >/dev/null
up4b=$(json_get body 'd["upload"]')
cw --station "$ST" library reject --reason "Still episode 3, sorry." "$(json_get body 'd["recording"]["path"]')"
expect_rc 0 "the second try rejected from the terminal"
hcurl -b jar "$DESK_URL/api/inbox" >/dev/null
expect_eq "$(json_get body '[u["reason"] for u in d["uploads"] if u["id"] == "'"$up4b"'"][0]')" "Still episode 3, sorry." \
    "...and the inbox has its own reason, not the first one's"

# what people type and their browsers send is shown, never run: markup in the title, the
# file name and a rejection's reason is escaped on every page that shows it
tone xss.wav 3 740
hcurl -H 'Accept: application/json' -F series=maths -F episode=6 --form-string 'title=<img src=x onerror=alert(1)>' \
    -F 'file=@xss.wav;filename=a"><svg onload=alert(2)>.wav' "$DESK_URL/t/$TOKEN/upload" >/dev/null
up6=$(json_get body 'd["upload"]')
expect_eq "$(hcurl -b jar -H "X-Chalkwave-CSRF: $CSRF" --data-urlencode 'reason=<b onmouseover=alert(3)>louder</b> & again' \
    "$DESK_URL/api/inbox/$up6/reject")" 200 "rejected with markup in the reason"
for page in "/t/$TOKEN" "/t/$TOKEN/uploads/$up6" /staff/inbox; do
    hcurl -b jar "$DESK_URL$page" >/dev/null
    if grep -qE '<img src=x|<svg onload|<b onmouseover' body; then not_ok "$page shows markup unescaped"
    elif grep -q '&lt;img src=x onerror=alert(1)&gt;' body && grep -q '&lt;b onmouseover=alert(3)&gt;louder&lt;/b&gt; &amp; again' body; then
        ok "$page: the title and the reason escaped"
    else not_ok "$page: escaped text not found"; fi
done
grep -qE 'a(&quot;|%22)&gt;&lt;svg onload=alert\(2\)&gt;\.wav' body && ok "the inbox shows the browser's file name escaped" ||
    not_ok "file name not shown escaped: $(grep -o "file [^<]*alert(2[^<]*" body | head -2)"

# a series key no calendar uses: stored, and the uploader is told, with the key it looks like
tone typo.wav 3 700
expect_eq "$(hcurl -b jar -H 'Accept: application/json' -H "X-Chalkwave-CSRF: $CSRF" -F series=mahts -F episode=1 \
    -F "file=@typo.wav;filename=typo lesson.wav" "$DESK_URL/api/upload")" 200 "a staff upload with a mistyped series key is stored"
expect_eq "$(json_get body '[w["code"] for w in d["warnings"]]')" "[\"ingest.series-unknown\"]" "...with the ingest's warning"
[[ "$(json_get body 'd["warnings"][0]["text"]')" == *"did you mean maths"* ]] && ok "...that names the key it looks like" ||
    not_ok "warning: $(json_get body 'd["warnings"]')"
hcurl -b jar "$DESK_URL/staff/inbox" >/dev/null
grep -q '<p class="warn">no calendar uses mahts - did you mean maths?' body && ok "the inbox page shows the warning" ||
    not_ok "no warning on the inbox page"

# a broken file: refused in plain words, never naming the desk's temporary
head -c 20000 /dev/urandom >memo.m4a
code=$(hcurl -H 'Accept: application/json' -F series=maths -F episode=2 -F "file=@memo.m4a" "$DESK_URL/t/$TOKEN/upload")
expect_eq "$code" 422 "a broken recording: 422"
expect_eq "$(json_get body 'd["accepted"]')" False "accepted: false"
reason=$(json_get body 'd["reason"]')
[[ "$reason" == *"send "* || "$reason" == *memo.m4a* ]] && ok "the reason says what to do: $reason" || not_ok "reason: $reason"
[[ "$reason" == *" in-"* || "$reason" == *"'in-"* || "$reason" == */desk/* ]] && not_ok "the reason shows the desk's temporary: $reason" ||
    ok "the reason never shows a desk path"
hcurl "$DESK_URL/t/$TOKEN" >/dev/null
grep -q 'refused' body && ok "the refusal is on the teacher's page" || not_ok "the refusal is not listed"
[ -z "$(ls "$ST/desk/uploads")" ] && ok "nothing left in desk/uploads" || not_ok "left: $(ls "$ST/desk/uploads")"

# fields
expect_eq "$(hcurl -F series=maths -F kind=lesson -F "file=@maths1.wav" "$DESK_URL/t/$TOKEN/upload")" 422 "a lesson without an episode: 422"
grep -q 'needs its series and episode' body && ok "...said in plain words" || not_ok "$(grep problem body)"
expect_eq "$(hcurl -F series=english -F episode=1 -F "file=@maths1.wav" "$DESK_URL/t/$TOKEN/upload")" 422 "another teacher's series: 422"
expect_eq "$(hcurl -F series=maths -F episode=1000 -F "file=@maths1.wav" "$DESK_URL/t/$TOKEN/upload")" 422 "episode 1000: 422"
expect_eq "$(hcurl -F series=maths -F episode=2 "$DESK_URL/t/$TOKEN/upload")" 400 "no file: 400"
expect_eq "$(hcurl -d series=maths "$DESK_URL/t/$TOKEN/upload")" 415 "not multipart: 415"
# the same recording again: refused, not stored twice
code=$(hcurl -H 'Accept: application/json' -F series=maths -F episode=1 -F "file=@maths1.wav" "$DESK_URL/t/$TOKEN/upload")
expect_eq "$code" 422 "the same recording again is refused"
expect_eq "$(find "$ST/library" "$ST/pending" -name '*.ogg' | grep -c maths/001)" 1 "still one recording of episode 1"

# a new take of an episode the library has: it waits beside it, and replaces it once approved
tone maths1b.wav 3 450
expect_eq "$(hcurl -H 'Accept: application/json' -F series=maths -F episode=1 -F "title=Maths one again" -F "file=@maths1b.wav" \
    "$DESK_URL/t/$TOKEN/upload")" 200 "a teacher's new take of a ready episode is accepted"
upb=$(json_get body 'd["upload"]')
expect_eq "$(json_get body '[d["pending"], d["replaces"]]')" '[true, "library/lesson/maths/001-maths-one.ogg"]' \
    "...to wait for approval, naming the recording it would replace"
[[ "$(json_get body 'd["airs"]')" == "Once approved it replaces the recording of episode 1 the station has now."* ]] &&
    ok "...and the teacher is told so" || not_ok "airs: $(json_get body 'd["airs"]')"
tone maths1c.wav 3 455
expect_eq "$(hcurl -H 'Accept: application/json' -F series=maths -F episode=1 -F "file=@maths1c.wav" "$DESK_URL/t/$TOKEN/upload")" 422 \
    "a third take while the second waits: refused"
[[ "$(json_get body 'd["reason"]')" == "episode 1 of maths already waits for the station's approval ('Maths one again')"* ]] &&
    ok "...because one already waits" ||
    not_ok "reason: $(json_get body 'd["reason"]')"
hcurl -b jar "$DESK_URL/staff/inbox" >/dev/null
grep -q 'name="replace" value="1"><button type="submit">Approve: it replaces the library&#39;s recording</button>' body &&
    ok "the inbox offers to approve it in place of the old one" || not_ok "no replacing approval on the inbox page"
old_sum=$(sha256sum <"$ST/library/lesson/maths/001-maths-one.ogg")
expect_eq "$(hcurl -b jar -X POST -H "X-Chalkwave-CSRF: $CSRF" "$DESK_URL/api/inbox/$upb/approve")" 409 \
    "approving it without replace=1: 409 (the library has episode 1)"
expect_eq "$(hcurl -b jar -H "X-Chalkwave-CSRF: $CSRF" -d replace=1 "$DESK_URL/api/inbox/$upb/approve")" 200 "approved with replace=1"
expect_eq "$(cd "$ST/library/lesson/maths" && ls 001-*)" 001-maths-one-again.ogg "the new take is episode 1 now, the old one gone"
[ "$(sha256sum <"$ST/library/lesson/maths/001-maths-one-again.ogg")" != "$old_sum" ] && ok "...with the new take's sound" ||
    not_ok "the old recording is still there"

# ---- over the size limit ------------------------------------------------------------------------------
desk_stop
printf '\n[desk]\nmax_upload = 1M\n' >>"$ST/station.conf"
desk_start "$ST" || cw_finish
head -c 5000000 /dev/urandom >big.wav
sum_before=$(tree_sum "$ST/library")
out=$(curl -s -o body -w '%{http_code} %{size_upload}' -F series=maths -F episode=2 -F "file=@big.wav" "$DESK_URL/t/$TOKEN/upload")
expect_eq "${out% *}" 413 "a 5 MB upload with a 1 MB limit: 413"
[ "${out#* }" -lt 1000000 ] && ok "refused before the body was sent (${out#* } bytes went)" || not_ok "${out#* } bytes were sent"
grep -q '1 MB at most' body && ok "the answer says the limit" || not_ok "$(grep problem body)"
out=$(curl -s -o body -w '%{http_code} %{size_upload}' -H 'Transfer-Encoding: chunked' -H 'Expect:' -F series=maths \
    -F episode=2 -F "file=@big.wav" "$DESK_URL/t/$TOKEN/upload")
sent=${out#* }
[ "$sent" -lt 5000000 ] && ok "a chunked upload is cut while it streams (${out% *}, $sent of 5000000 bytes sent)" ||
    not_ok "the chunked upload went through whole: $out"
expect_eq "$(tree_sum "$ST/library")" "$sum_before" "nothing stored"
for _ in $(seq 50); do [ -z "$(ls "$ST/desk/uploads")" ] && break; sleep 0.1; done # the desk tidies up as the cut ends
[ -z "$(ls "$ST/desk/uploads")" ] && ok "nothing left in desk/uploads" || not_ok "left: $(ls "$ST/desk/uploads")"
expect_eq "$(hcurl "$DESK_URL/t/$TOKEN")" 200 "the desk answers after the cut"
# the limit is the largest size accepted: a file of exactly 1 MB (1048576 bytes) passes it
# (this one is then refused as not a recording: 422), one byte more does not (413)
head -c 1048576 /dev/urandom >exact.m4a
expect_eq "$(hcurl -H 'Accept: application/json' -F series=maths -F episode=2 -F "file=@exact.m4a" "$DESK_URL/t/$TOKEN/upload")" \
    422 "a file of exactly max_upload passes the limit (then refused as not a recording)"
grep -q 'at most' body && not_ok "...but the answer is about its size: $(cat body)" || ok "...the answer is not about its size"
head -c 1 /dev/urandom >>exact.m4a
# (the desk answers 413 and closes while the body still comes: curl may see the cut, 000)
code=$(hcurl -H 'Expect:' -H 'Accept: application/json' -F series=maths -F episode=2 -F "file=@exact.m4a" "$DESK_URL/t/$TOKEN/upload")
[[ "$code" == 413 || "$code" == 000 ]] && ok "one byte over max_upload: refused for its size ($code)" ||
    not_ok "one byte over max_upload: $code (want 413, or the connection cut)"
expect_eq "$(tree_sum "$ST/library")" "$sum_before" "nothing stored"
desk_stop
sed -i '/^max_upload = 1M$/d' "$ST/station.conf"

# ---- approve = no: a teacher's new episode airs at once, a new take of one the library has waits ------------
sed -i '/^\[desk\]$/a approve = no' "$ST/station.conf"
desk_start "$ST" || cw_finish
tone maths10.wav 3 610
expect_eq "$(hcurl -H 'Accept: application/json' -F series=maths -F episode=10 -F "title=Maths ten" -F "file=@maths10.wav" \
    "$DESK_URL/t/$TOKEN/upload")" 200 "approve = no: a teacher's upload is accepted"
expect_eq "$(json_get body '[d["pending"], d["recording"]["path"]]')" '[false, "library/lesson/maths/010-maths-ten.ogg"]' \
    "...straight into the library"
tone maths10b.wav 3 620
expect_eq "$(hcurl -H 'Accept: application/json' -F series=maths -F episode=10 -F "title=Maths ten again" -F "file=@maths10b.wav" \
    "$DESK_URL/t/$TOKEN/upload")" 200 "approve = no: the teacher's new take of it is accepted too (not refused as 'already there')"
expect_eq "$(json_get body '[d["pending"], d["replaces"]]')" '[true, "library/lesson/maths/010-maths-ten.ogg"]' \
    "...to wait for staff, naming the recording it would replace: a link never overwrites the library"
expect_eq "$(cd "$ST/library/lesson/maths" && ls 010-*)" 010-maths-ten.ogg "...and the library still has the first take"
desk_stop
sed -i '/^approve = no$/d' "$ST/station.conf"

# ---- 50 at once ----------------------------------------------------------------------------------------
desk_start "$ST" || cw_finish
for i in $(seq 50); do tone "s50-$i.wav" 2 $((300 + 17 * i)); done
pids=()
for i in $(seq 50); do
    curl -s -o "r50-$i.json" -w '%{http_code}' -H 'Accept: application/json' -F series=s50 -F "episode=$i" \
        -F "title=Part $i" -F "file=@s50-$i.wav" "$DESK_URL/t/$T50/upload" >"c50-$i" &
    pids+=($!)
done
wait "${pids[@]}" # (a plain `wait` would wait for the desk too)
good=0
for i in $(seq 50); do [ "$(cat "c50-$i")" = 200 ] && [ "$(json_get "r50-$i.json" 'd["accepted"]')" = True ] && good=$((good + 1)); done
expect_eq "$good" 50 "50 concurrent uploads: all accepted"
expect_eq "$(json_get r50-7.json 'd["warnings"][0]["code"]')" ingest.series-unknown "a teacher's series no calendar uses: the answer warns"
hcurl "$DESK_URL/t/$T50" >/dev/null
grep -q 'please note: no calendar uses s50' body && ok "...and the teacher's page says so" || not_ok "no note on the teacher's page"
expect_eq "$(find "$ST/pending/lesson/s50" -name '*.ogg' | wc -l)" 50 "50 recordings awaiting approval"
expect_eq "$(ls "$ST/pending/lesson/s50" | cut -c1-3 | sort -u | wc -l)" 50 "each episode exactly once"
expect_eq "$(json_get "$ST/desk/uploads.json" 'len([u for u in d["uploads"] if u["series"] == "s50" and u["status"] == "pending"])')" 50 \
    "50 pending entries in the inbox"
cw --station "$ST" library --pending --format json
expect_eq "$(json_get "$CW_OUT" 'len([r for r in d if r["series"] == "s50"])')" 50 "chalkwave library --pending sees them"

# ---- the desk and `ingest --inbox` with the same file ------------------------------------------------
tone same.wav 3 777
cp same.wav "$ST/inbox/same.wav"
printf 'Series: maths\nEpisode: 5\nTitle: Same\n' >"$ST/inbox/same.txt"
curl -s -o same.json -H 'Accept: application/json' -F series=maths -F episode=5 -F title=Same -F "file=@same.wav" \
    "$DESK_URL/t/$TOKEN/upload" &
SAME=$!
cw --station "$ST" ingest --inbox
wait $SAME
expect_eq "$(find "$ST/library/lesson/maths" "$ST/pending/lesson/maths" -name '005-*.ogg' | wc -l)" 1 \
    "the same lesson from the desk and the inbox: stored once"

# ---- slow-loris ------------------------------------------------------------------------------------------
"$CW_PYTHON" - "${DESK_URL#http://}" 150 20 >loris.log 2>&1 <<'PYEOF' &
import socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
socks = []
for i in range(int(sys.argv[2])):
    s = socket.create_connection((host, int(port)))
    s.sendall(b"GET /login HTTP/1.1\r\nHost: x\r\n")
    socks.append(s)
end = time.time() + int(sys.argv[3])
while time.time() < end:  # one header byte per connection every second
    for s in socks:
        try:
            s.sendall(b"X")
        except OSError:
            pass
    time.sleep(1)
PYEOF
LORIS=$!
sleep 2
t0=$(date +%s%N)
code=$(hcurl "$DESK_URL/login")
ms=$((($(date +%s%N) - t0) / 1000000))
expect_eq "$code" 200 "with 150 slow-loris connections open, a page still loads"
[ "$ms" -lt 2000 ] && ok "...in $ms ms" || not_ok "it took $ms ms"
tone loris.wav 2 1234
code=$(hcurl -F series=maths -F episode=6 -F "file=@loris.wav" -H 'Accept: application/json' "$DESK_URL/t/$TOKEN/upload")
expect_eq "$code" 200 "and an upload goes through"
kill $LORIS 2>/dev/null
wait $LORIS 2>/dev/null

# ---- kill -9 during an upload ------------------------------------------------------------------------------
sox -n -r 8000 -c 1 -b 16 long.wav synth 180 sine 500 vol 0.3
lib_before=$(tree_sum "$ST/library")
inbox_before=$(json_get "$ST/desk/uploads.json" 'len(d["uploads"])')
curl -s -o /dev/null --limit-rate 300k -F series=maths -F episode=7 -F "file=@long.wav" "$DESK_URL/t/$TOKEN/upload" &
CURL=$!
for _ in $(seq 100); do ls "$ST/desk/uploads" | grep -q part && break; sleep 0.05; done
ls "$ST/desk/uploads" | grep -q part && ok "an upload is streaming to disk" || not_ok "no part file appeared"
kill -KILL "$DESK_PID"
wait "$DESK_PID" 2>/dev/null
wait $CURL 2>/dev/null
expect_eq "$(tree_sum "$ST/library")" "$lib_before" "kill -9 mid-upload: the library is unchanged"
expect_eq "$(json_get "$ST/desk/uploads.json" 'len(d["uploads"])')" "$inbox_before" "...and the inbox too"
desk_start "$ST" || cw_finish
[ -z "$(ls "$ST/desk/uploads")" ] && ok "the next start removes the partial upload" || not_ok "left: $(ls "$ST/desk/uploads")"

# ---- kill -9 during the ingest of an upload ------------------------------------------------------------------
sox -n -r 44100 -c 2 -b 16 long2.wav synth 600 sine 500 vol 0.3
curl -s -o /dev/null -H 'Accept: application/json' -F series=maths -F episode=8 -F "file=@long2.wav" \
    "$DESK_URL/t/$TOKEN/upload" &
CURL=$!
for _ in $(seq 200); do ls "$ST/desk/uploads" | grep -q '^in-' && break; sleep 0.05; done
ls "$ST/desk/uploads" | grep -q '^in-' && ok "the ingest of an upload has started" || not_ok "no ingest started"
sleep 0.1
kill -KILL "$DESK_PID"
wait "$DESK_PID" 2>/dev/null
wait $CURL 2>/dev/null
expect_no_path "$ST/library/lesson/maths/008-long2.ogg" "kill -9 mid-ingest: no recording under its final name"
expect_no_path "$ST/pending/lesson/maths/008-long2.ogg" "...in pending/ either"
cw --station "$ST" library
expect_rc 0 "the library reads cleanly"
expect_empty_err "no damaged file in the library"
desk_start "$ST" || cw_finish
[ -z "$(ls "$ST/desk/uploads")" ] && ok "the next start removes the interrupted upload's file" || not_ok "left: $(ls "$ST/desk/uploads")"
st=$(json_get "$ST/desk/uploads.json" '[u["status"] + ": " + u["reason"] for u in d["uploads"] if u["episode"] == 8][0]')
[[ "$st" == "refused: "*"upload it again"* ]] && ok "the interrupted upload says: $st" || not_ok "the interrupted upload: $st"
tone after.wav 2 1500
code=$(hcurl -H 'Accept: application/json' -F series=maths -F episode=8 -F "file=@after.wav" "$DESK_URL/t/$TOKEN/upload")
expect_eq "$code" 200 "after the restart an upload of the same episode works"

# ---- SIGTERM during an ingest: the ingest is cancelled, the desk stops at once ---------------------------
curl -s -o term.json -H 'Accept: application/json' -F series=maths -F episode=9 -F "file=@long2.wav" \
    "$DESK_URL/t/$TOKEN/upload" &
CURL=$!
for _ in $(seq 200); do ls "$ST/desk/uploads" | grep -q '^in-' && break; sleep 0.05; done
sleep 0.1
t0=$(date +%s%N)
desk_stop
ms=$((($(date +%s%N) - t0) / 1000000))
wait $CURL 2>/dev/null
expect_eq "$DESK_RC" 0 "SIGTERM during an ingest: a clean stop"
[ "$ms" -lt 5000 ] && ok "...in $ms ms (the ingest is cancelled, not waited for)" || not_ok "the stop took $ms ms"
expect_no_path "$ST/pending/lesson/maths/009-long2.ogg" "the cancelled ingest stored nothing"
expect_eq "$(json_get term.json 'd["accepted"]')" False "the waiting client is told it was not stored"
st=$(json_get "$ST/desk/uploads.json" '[u["status"] + ": " + u["reason"] for u in d["uploads"] if u["episode"] == 9][0]')
[[ "$st" == "refused: "*"upload it again"* ]] && ok "the inbox says: $st" || not_ok "the cancelled upload: $st"
[ -z "$(ls "$ST/desk/uploads")" ] && ok "nothing left in desk/uploads" || not_ok "left: $(ls "$ST/desk/uploads")"
desk_start "$ST" || cw_finish
desk_stop
expect_eq "$DESK_RC" 0 "the desk stops cleanly"
cw_finish
