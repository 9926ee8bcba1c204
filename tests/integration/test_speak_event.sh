#!/usr/bin/env bash
# test_speak_event.sh — a partner's newsletter event whose DESCRIPTION carries "Text:" and
# no recording: `plan` says it will be synthesised, `build` speaks it into the library for
# that day and the slot airs it (the bundle's item is the text, spoken in the event's
# language), a second build is byte-identical and speaks nothing again, the next week's
# instance is a new item, and an event with a recording attached or a lesson with a Text:
# line is left alone.
. "$(dirname "$0")/lib.sh"

for tool in vorbiscomment ffprobe; do
    command -v "$tool" >/dev/null || { echo "SKIPPED: $tool is not installed (scripts/deps.txt)"; exit 77; }
done

S=$(minimal_station st)
mkdir -p "$S/calendars"
printf '%s\r\n' 'BEGIN:VCALENDAR' 'VERSION:2.0' 'PRODID:-//chalkwave tests//speak-event//EN' \
    'BEGIN:VEVENT' 'UID:news-weekly@partner.test' 'DTSTAMP:20260101T000000Z' \
    'DTSTART;TZID=Africa/Lagos:20260316T073000' 'DTEND;TZID=Africa/Lagos:20260316T074000' \
    'RRULE:FREQ=WEEKLY;COUNT=4' 'SUMMARY:Nouvelles du centre de santé' \
    'DESCRIPTION:Kind: newsletter\nLanguage: fr\nTeacher: Centre de santé\nText: Bonjour à tous. La vaccination contre la rougeole a lieu samedi 2026-03-21 à 9h30 dans toutes les écoles.\n\nApportez le carnet de santé de votre enfant. Merci et à la semaine prochaine.' \
    'END:VEVENT' \
    'BEGIN:VEVENT' 'UID:lesson@partner.test' 'DTSTAMP:20260101T000000Z' \
    'DTSTART;TZID=Africa/Lagos:20260316T080000' 'DTEND;TZID=Africa/Lagos:20260316T081500' \
    'SUMMARY:Bible studies' 'DESCRIPTION:Series: bible\nText: 1 Corinthians 13' 'END:VEVENT' \
    'END:VCALENDAR' >"$CW_TMP/partner.ics"
cw --station "$S" calendar import "$CW_TMP/partner.ics" --priority 5
expect_rc 0 "the partner calendar is imported"

cw --station "$S" plan --date 2026-03-16
expect_rc 0 "plan for the day"
expect_out "note: newsletter 'Nouvelles du centre de santé' has no recording: its text (189 characters) is synthesised when the day is built [speak.event-text]" \
    "plan says the newsletter will be synthesised from its text"
expect_no_out "plan.newsletter-empty" "... instead of warning that the slot is empty"
expect_no_out "Bible studies' has no recording" "a lesson's Text: line is not a newsletter"
expect_eq "$(find "$S/library" -name '*.ogg' | wc -l)" 0 "plan speaks nothing (the library is unchanged)"

cw --station "$S" build --date 2026-03-16
expect_rc 0 "build the day"
expect_out "note: synthesised 1 newsletter from its calendar event's text" "build speaks the event's text"
bundle=$S/out/2026-03-16
plan=$bundle/plan.json
item=$(json_get "$plan" "[i['recording'] for i in d['items'] if i['kind'] == 'newsletter']")
expect_eq "$(json_get "$plan" "len([i for i in d['items'] if i['kind'] == 'newsletter'])")" 1 \
    "the newsletter slot airs one item"
rec=$(json_get "$plan" "[i['recording'] for i in d['items'] if i['kind'] == 'newsletter'][0]")
if [ -f "$S/$rec" ]; then
    comments=$(vorbiscomment -l "$S/$rec")
    check "the item is the event's text (DESCRIPTION)" grep -q "^DESCRIPTION=Bonjour à tous. La vaccination" <<<"$comments"
    check "in the event's language" grep -qx "LANGUAGE=fr" <<<"$comments"
    check "spoken by the French voice (CHALKWAVE_SYNTHESISED)" grep -qx "CHALKWAVE_SYNTHESISED=espeak-ng fr-fr" <<<"$comments"
    check "valid on that day only" grep -qx "CHALKWAVE_VALID_UNTIL=2026-03-16" <<<"$comments"
    check "titled with its day" grep -qx "TITLE=Nouvelles du centre de santé, 2026-03-16" <<<"$comments"
    secs=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$S/$rec")
    check "the speech lasts $secs s (5 to 60)" awk -v v="$secs" 'BEGIN {exit !(v >= 5 && v <= 60)}'
else
    not_ok "the newsletter item '$rec' is not in the library"
fi

cw --station "$S" plan --date 2026-03-16
expect_out "is synthesised from its event's text (library/newsletter/event-" "plan then names the spoken item"
expect_out "! note: synthesised from its calendar event's text [speak.synthesised]" "... and marks the item that airs it"
cw --station "$S" plan --date 2026-03-16 --format json
expect_eq "$(json_get "$CW_OUT" "[w['code'] for i in d['items'] if i['kind'] == 'newsletter' for w in i['warnings']]")" \
    '["speak.synthesised"]' "the plan JSON marks the item as synthesised"
first=$(tree_sum "$bundle")
lib=$(tree_sum "$S/library")
cw --station "$S" build --date 2026-03-16
expect_rc 0 "build the day again"
expect_no_out "synthesised 1" "nothing is spoken twice"
expect_eq "$(tree_sum "$bundle")" "$first" "the rebuilt bundle is byte-identical"
expect_eq "$(tree_sum "$S/library")" "$lib" "the library is unchanged by the second build"

cw --station "$S" build --date 2026-03-23
expect_rc 0 "build the next week"
expect_out "note: synthesised 1 newsletter" "the next week's instance is spoken too"
expect_eq "$(find "$S/library" -name '*.ogg' | wc -l)" 2 "two items, one per week"
cw --station "$S" plan --date 2026-03-23 --format json
expect_eq "$(json_get "$CW_OUT" "[i['title'] for i in d['items'] if i['kind'] == 'newsletter']")" \
    '["Nouvelles du centre de sant\u00e9, 2026-03-23"]' "the second week airs its own item, not the first week's"

# ---- the same from the desk: a build in the threaded server speaks through the helper process ---------------
# (speech never forks the server: a fork taken while another thread holds a lock can hang)
. "$(dirname "$0")/desk_lib.sh"
desk_user "$S" amina "amina's password"
desk_start "$S" || cw_finish
desk_login amina "amina's password" && ok "staff log in to the desk" || not_ok "no desk login"
code=$(hcurl -b "$CW_TMP/jar" -X POST -H "X-Chalkwave-CSRF: $CSRF" "$DESK_URL/api/days/2026-03-30/build")
expect_eq "$code" 202 "the desk builds the fourth week's day"
job=$(json_get "$CW_TMP/body" 'd["url"]')
state=
for _ in $(seq 600); do
    hcurl -b "$CW_TMP/jar" "$DESK_URL$job" >/dev/null
    state=$(json_get "$CW_TMP/body" 'd["state"]')
    [ "$state" = done ] || [ "$state" = failed ] && break
    sleep 0.2
done
expect_eq "$state" done "the desk's build job ends: $(json_get "$CW_TMP/body" 'd["message"]')"
rec=$(json_get "$S/out/2026-03-30/plan.json" "[i['recording'] for i in d['items'] if i['kind'] == 'newsletter'][0]")
check "the desk's build spoke the event's text, by the French voice" \
    bash -c "vorbiscomment -l '$S/$rec' | grep -qx 'CHALKWAVE_SYNTHESISED=espeak-ng fr-fr'"
expect_eq "$(find "$S/library" -name '*.ogg' | wc -l)" 3 "a third item, for the fourth week"
desk_stop
expect_eq "$DESK_RC" 0 "the desk stops cleanly"

cw_finish
