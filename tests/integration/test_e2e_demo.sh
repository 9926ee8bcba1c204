#!/usr/bin/env bash
# test_e2e_demo.sh — scripts/demo.sh (README command 1 ends with it): on a scratch folder it
# ingests the example recordings, plans, builds and verifies the demo day, prints where the
# bundle is and how to listen, and never writes into examples/; when a step fails it stops
# there, names the step and exits with that step's code.
. "$(dirname "$0")/lib.sh"
cw_need ogginfo
cw_skip_if_missing

demo=$CW_SOURCE_DIR/scripts/demo.sh
examples_sum=$(tree_sum "$CW_SOURCE_DIR/examples")

bash "$demo" --binary "$CW_BINARY" --dir "$CW_TMP/demo" >"$CW_OUT" 2>"$CW_ERR"
CW_RC=$? CW_LAST="scripts/demo.sh --dir $CW_TMP/demo"
expect_rc 0 "the demo runs to the end"
bundle=$CW_TMP/demo/station/out/2027-01-13
expect_file "$bundle/day.ogg" "the demo built day.ogg"
expect_out "the day bundle is $bundle" "the demo says where the bundle is"
expect_out "ffplay" "the demo says how to listen (ffplay)"
expect_out "vlc" "the demo says how to listen (vlc)"
for s in "ingest the teachers' recordings" "speak the lesson and newsletter scripts" "plan the day" "build the day bundle" "verify the bundle"; do
    expect_out "$s" "the demo ran step '$s'"
done
if [ -f "$bundle/day.ogg" ]; then
    if ogginfo_check "$bundle/day.ogg" >"$CW_TMP/ogginfo.txt"; then
        ok "ogginfo: the demo's day.ogg has no errors"
    else
        not_ok "ogginfo complains about the demo's day.ogg: $(head -3 "$CW_TMP/ogginfo.txt")"
    fi
    plan_len=$(json_get "$bundle/plan.json" 'sum(i["length_samples"] for i in d["items"])')
    vorbis_links "$bundle/day.ogg" >"$CW_TMP/links.txt"
    expect_eq "$(sed -n 's/^total //p' "$CW_TMP/links.txt")" "$plan_len" "libvorbisfile length of day.ogg == the plan's length"
    # a believable day: the spoken lessons fill most of their 15-minute slots, and the
    # newsletter slot carries news in two languages
    rate=$(json_get "$bundle/plan.json" 'd["rate"]')
    expect_eq "$(json_get "$bundle/plan.json" "sorted(i['series'] for i in d['items'] if i['kind'] == 'lesson' and i['length_samples'] >= 10 * 60 * $rate)")" \
        '["english-p4", "maths-p5"]' "both lessons of the day last 10 minutes or more"
    expect_eq "$(json_get "$bundle/plan.json" "sorted(set(i['language'] for i in d['items'] if i['kind'] == 'newsletter'))")" \
        '["en", "fr"]' "the newsletter slot carries English and French news"
    comments=$(vorbiscomment -l "$CW_TMP/demo/station/library/lesson/maths-p5/002-adding-fractions.ogg" 2>&1)
    check "the spoken maths lesson keeps its script as DESCRIPTION" grep -q "^DESCRIPTION=# Maths for Primary Five" <<<"$comments"
fi
expect_no_path "$CW_TMP/demo/station/recordings" "the station copy has no recordings/ folder (they went through the inbox)"

# Running it again starts from a fresh copy and succeeds again.
echo junk >"$CW_TMP/demo/station/inbox/stray.wav"
bash "$demo" --binary "$CW_BINARY" --dir "$CW_TMP/demo" >"$CW_OUT" 2>"$CW_ERR"
CW_RC=$?
expect_rc 0 "a second demo run (fresh copy: the stray file is gone)"

# A failing step stops the demo, named, with its exit code.
fake=$CW_TMP/fake-chalkwave
cat >"$fake" <<FAKE
#!/usr/bin/env bash
for a in "\$@"; do
    if [ "\$a" = ingest ]; then echo "chalkwave: ingest: pretend failure" >&2; exit 3; fi
done
exec "$CW_BINARY" "\$@"
FAKE
chmod +x "$fake"
bash "$demo" --binary "$fake" --dir "$CW_TMP/demo2" >"$CW_OUT" 2>"$CW_ERR"
CW_RC=$? CW_LAST="scripts/demo.sh --binary fake"
expect_rc 3 "the demo exits with the failing step's code"
expect_err "(ingest the teachers' recordings from the inbox) failed with exit code 3" "the demo names the failing step"
expect_out "pretend failure" "the demo shows the failing command's message"
expect_no_out "the day bundle is" "the demo does not claim success"
bash "$demo" --binary "$CW_TMP/nonexistent" >"$CW_OUT" 2>"$CW_ERR"
CW_RC=$?
expect_rc 3 "the demo without a binary"
expect_err "no chalkwave binary" "the demo says the binary is missing"
bash "$demo" --bogus >"$CW_OUT" 2>"$CW_ERR"
CW_RC=$?
expect_rc 2 "the demo with an unknown option"

expect_eq "$(tree_sum "$CW_SOURCE_DIR/examples")" "$examples_sum" "examples/ is unchanged by the demo"

cw_finish
