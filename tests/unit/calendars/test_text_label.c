/* test_text_label.c — a newsletter event's "Text:" (calendars/meaning.c): everything in
 * DESCRIPTION from that label on is the text a slot without a recording speaks, paragraphs
 * and lines that look like labels included; labels before it still count; HTML (Google's
 * editor) is read as text; a moved instance with its own description has its own text (or
 * none), one without keeps the series' text. */
#include "cal_test_util.h"

#define EV(uid, ...) "BEGIN:VEVENT\nUID:" uid "\nDTSTAMP:20260101T000000Z\n" __VA_ARGS__ "END:VEVENT\n"

static void text_label(void **state)
{
    (void)state;
    static const struct {
        const char *desc, *text, *teacher;
    } cases[] = {
        {"Kind: newsletter\\nTeacher: Clinic\\nText: Vaccination on Saturday.\\n\\nBring the card.",
         "Vaccination on Saturday.\n\nBring the card.", "Clinic"},
        {"Kind: newsletter\\ntext:\\nFirst paragraph.\\nNote: this line is part of it.\\nTeacher: not a label",
         "First paragraph.\nNote: this line is part of it.\nTeacher: not a label", ""},
        {"<div>Kind: newsletter</div><div>Text: Bonjour &amp; bienvenue.</div><div>Deuxième ligne.</div>",
         "Bonjour & bienvenue.\n\nDeuxième ligne.", ""},
        {"Kind: newsletter\\nContext: not the text label\\nSeries: news", "", ""},
        {"Textbook: page 12\\nKind: newsletter", "", ""},
        {"  TEXT : spaced label  ", "spaced label", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char body[1024];
        snprintf(body, sizeof body, EV("n@t", "SUMMARY:News\nDTSTART:20260302T090000Z\nDESCRIPTION:%s\n"),
                 cases[i].desc);
        cw_diags d;
        cw_calset *set = load_ok(NULL, body, &d);
        cw_occurrences o = expand_all(set, T(2026, 1, 1, 0, 0), T(2027, 1, 1, 0, 0));
        assert_int_equal(o.n, 1);
        if (strcmp(o.v[0].text, cases[i].text) || strcmp(o.v[0].teacher, cases[i].teacher))
            fail_msg("[%s]: text '%s' teacher '%s'", cases[i].desc, o.v[0].text, o.v[0].teacher);
        cw_occurrences_free(&o);
        cw_diags_free(&d);
        cw_calset_free(set);
    }
}

static void overrides(void **state)
{
    (void)state;
    cw_diags d;
    cw_calset *set = load_ok(NULL,
        EV("w@t", "SUMMARY:News\nDTSTART:20260302T090000Z\nRRULE:FREQ=WEEKLY;COUNT=3\n"
                  "DESCRIPTION:Kind: newsletter\\nText: The weekly news.\n")
        EV("w@t", "SUMMARY:News\nRECURRENCE-ID:20260309T090000Z\nDTSTART:20260309T100000Z\n")
        EV("w@t", "SUMMARY:News\nRECURRENCE-ID:20260316T090000Z\nDTSTART:20260316T090000Z\n"
                  "DESCRIPTION:Kind: newsletter\\nText: A special edition.\n"),
        &d);
    cw_occurrences o = expand_all(set, T(2026, 1, 1, 0, 0), T(2027, 1, 1, 0, 0));
    assert_int_equal(o.n, 3);
    assert_string_equal(o.v[0].text, "The weekly news.");
    assert_string_equal(o.v[1].text, "The weekly news."); /* moved, same description */
    assert_string_equal(o.v[2].text, "A special edition.");
    cw_occurrences_free(&o);
    cw_diags_free(&d);
    cw_calset_free(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_label),
        cmocka_unit_test(overrides),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
