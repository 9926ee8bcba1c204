/* test_sidecar.c — teachers' notes (cw_sidecar_parse) and default titles (cw_default_title):
 * every key, the first occurrence wins, empty values, line numbers with blank lines, LF/CRLF/
 * CR line ends, BOMs, UTF-16, Windows-1252, NUL bytes, refused values, warnings capped, text
 * quoted without control characters, titles cut at UTF-8 boundaries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "audio.h"

static int parse(const char *text, size_t len, cw_sidecar *sm, cw_strlist *notes, cw_error *err)
{
    memset(err, 0, sizeof *err);
    return cw_sidecar_parse(text, len, sm, notes, err);
}

#define PARSE_S(s, sm, notes, err) parse((s), strlen(s), (sm), (notes), (err))

static int notes_contain(const cw_strlist *l, const char *needle)
{
    for (size_t i = 0; i < l->n; i++)
        if (strstr(l->v[i], needle))
            return 1;
    return 0;
}

static void test_every_key(void **state)
{
    (void)state;
    const char *t = "Series: maths-5\n"
                    "Episode: 003\n"
                    "Title: Fractions: halves and quarters\n"
                    "Teacher: Ms Ada\n"
                    "Language: en\n"
                    "Kind: Newsletter\n"
                    "Description: a longer text\n"
                    "Date: 2026-01-06\n"
                    "Valid From: 2026-01-01\n"
                    "valid_until: 2026-06-30\n";
    cw_sidecar sm;
    cw_strlist notes = {0};
    cw_error err;
    assert_int_equal(PARSE_S(t, &sm, &notes, &err), 0);
    assert_string_equal(sm.series, "maths-5");
    assert_int_equal(sm.episode, 3);
    /* only the first colon separates key and value */
    assert_string_equal(sm.title, "Fractions: halves and quarters");
    assert_string_equal(sm.teacher, "Ms Ada");
    assert_string_equal(sm.language, "en");
    assert_int_equal(sm.kind, CW_KIND_NEWSLETTER);
    assert_string_equal(sm.description, "a longer text");
    assert_string_equal(sm.date, "2026-01-06");
    assert_string_equal(sm.valid_from, "2026-01-01");
    assert_string_equal(sm.valid_until, "2026-06-30");
    assert_int_equal(notes.n, 0);
    cw_sidecar_clear(&sm);
    assert_null(sm.series);
    cw_sidecar_clear(NULL);
    cw_strlist_free(&notes);
}

static void test_first_wins_and_empty_values(void **state)
{
    (void)state;
    const char *t = "Title:\n"              /* empty: not given */
                    "Artist: First\n"
                    "Teacher: Second\n"     /* same field as Artist */
                    "Title:   Real title  \t\n"
                    "TITLE: Other\n"
                    "Episode:\n";           /* empty: not given, not an error */
    cw_sidecar sm;
    cw_strlist notes = {0};
    cw_error err;
    assert_int_equal(PARSE_S(t, &sm, &notes, &err), 0);
    assert_string_equal(sm.teacher, "First");
    assert_string_equal(sm.title, "Real title");
    assert_int_equal(sm.episode, 0);
    assert_true(notes_contain(&notes, "line 3: 'Teacher' is given again"));
    assert_true(notes_contain(&notes, "line 5: 'TITLE' is given again, ignored (line 4's"));
    cw_sidecar_clear(&sm);
    cw_strlist_free(&notes);
}

static void test_line_numbers_and_line_ends(void **state)
{
    (void)state;
    /* blank lines and comments count (the old strtok parser skipped them) */
    const char *lf = "# a note\n\n\nSeries: maths\n\nEpisode: three\n";
    const char *crlf = "# a note\r\n\r\n\r\nSeries: maths\r\n\r\nEpisode: three\r\n";
    const char *cr = "# a note\r\r\rSeries: maths\r\rEpisode: three\r";
    const char *texts[] = {lf, crlf, cr};
    for (int i = 0; i < 3; i++) {
        cw_sidecar sm;
        cw_error err;
        assert_int_equal(PARSE_S(texts[i], &sm, NULL, &err), CW_EINVAL);
        assert_int_equal(err.line, 6);
        assert_non_null(strstr(err.text, "line 6: episode 'three' is not a number from 1 to 999"));
        /* on error nothing is handed back */
        assert_null(sm.series);
    }
    /* CR-only lines are lines, not one long line */
    cw_sidecar sm;
    cw_error err;
    assert_int_equal(PARSE_S("Series: a\rEpisode: 2\rTitle: T", &sm, NULL, &err), 0);
    assert_string_equal(sm.series, "a");
    assert_int_equal(sm.episode, 2);
    assert_string_equal(sm.title, "T");
    cw_sidecar_clear(&sm);
}

static void test_refused_values(void **state)
{
    (void)state;
    const char *bad_episodes[] = {"0", "-3", "1000", "3b", "+3", "99999999999999999999", "three", "3.0"};
    for (size_t i = 0; i < sizeof bad_episodes / sizeof *bad_episodes; i++) {
        char t[128];
        snprintf(t, sizeof t, "Series: maths\nEpisode: %s\n", bad_episodes[i]);
        cw_sidecar sm;
        cw_error err;
        assert_int_equal(PARSE_S(t, &sm, NULL, &err), CW_EINVAL);
        assert_int_equal(err.line, 2);
        assert_non_null(strstr(err.text, "episode"));
        assert_null(sm.series);
    }
    const char *bad_kinds[] = {"blackout", "podcast", "silence"};
    for (size_t i = 0; i < 3; i++) {
        char t[128];
        snprintf(t, sizeof t, "Kind: %s\n", bad_kinds[i]);
        cw_sidecar sm;
        cw_error err;
        assert_int_equal(PARSE_S(t, &sm, NULL, &err), CW_EINVAL);
        assert_non_null(strstr(err.text, "kind"));
    }
    cw_sidecar sm;
    cw_error err;
    assert_int_equal(PARSE_S("Episode: 999\nKind: filler\n", &sm, NULL, &err), 0);
    assert_int_equal(sm.episode, 999);
    assert_int_equal(sm.kind, CW_KIND_FILLER);
    cw_sidecar_clear(&sm);
}

static void test_encodings(void **state)
{
    (void)state;
    cw_sidecar sm;
    cw_strlist notes = {0};
    cw_error err;
    /* UTF-8 BOM: dropped silently */
    assert_int_equal(PARSE_S("\xef\xbb\xbfSeries: m\n", &sm, &notes, &err), 0);
    assert_string_equal(sm.series, "m");
    assert_int_equal(notes.n, 0);
    cw_sidecar_clear(&sm);
    /* Windows-1252: "Leçon – 1" read and warned about */
    assert_int_equal(PARSE_S("Series: m\nTitle: Le\xe7on \x96 1\n", &sm, &notes, &err), 0);
    assert_string_equal(sm.title, "Le\xc3\xa7on \xe2\x80\x93 1");
    assert_true(notes_contain(&notes, "line 2: text that is not UTF-8, read as Windows-1252"));
    cw_sidecar_clear(&sm);
    cw_strlist_free(&notes);
    /* UTF-16LE and BE with BOM (Notepad's "Unicode"), with a non-BMP character */
    static const char le[] = "\xff\xfe" "T\0i\0t\0l\0e\0:\0 \0\xe9\0\x3d\xd8\x00\xde\r\0\n\0"
                             "E\0p\0i\0s\0o\0d\0e\0:\0 \0" "7\0";
    assert_int_equal(parse(le, sizeof le - 1, &sm, &notes, &err), 0);
    assert_string_equal(sm.title, "\xc3\xa9\xf0\x9f\x98\x80");
    assert_int_equal(sm.episode, 7);
    assert_int_equal(notes.n, 0);
    cw_sidecar_clear(&sm);
    static const char be[] = "\xfe\xff" "\0S\0e\0r\0i\0e\0s\0:\0 \0x\0\n\xd8\x3d"; /* lone surrogate */
    assert_int_equal(parse(be, sizeof be - 1, &sm, &notes, &err), 0);
    assert_string_equal(sm.series, "x");
    assert_true(notes_contain(&notes, "broken UTF-16"));
    cw_sidecar_clear(&sm);
    cw_strlist_free(&notes);
    /* a NUL byte without a UTF-16 BOM: binary, refused with its line */
    static const char nul[] = "Series: m\nTitle: a\0b\n";
    assert_int_equal(parse(nul, sizeof nul - 1, &sm, NULL, &err), CW_EINVAL);
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.text, "NUL byte"));
    /* nothing at all */
    assert_int_equal(parse(NULL, 0, &sm, NULL, &err), 0);
    assert_null(sm.title);
    assert_int_equal(parse("", 0, &sm, NULL, &err), 0);
}

static void test_warnings_capped_and_quoted(void **state)
{
    (void)state;
    cw_buf b;
    cw_buf_init(&b);
    cw_buf_puts(&b, "Nonsense\x1b[2J\n"); /* a terminal escape in an ignored line */
    for (int i = 0; i < 500; i++)
        cw_buf_printf(&b, "Colour%d: blue\n", i);
    cw_buf_puts(&b, "Series: m\n");
    cw_sidecar sm;
    cw_strlist notes = {0};
    cw_error err;
    assert_int_equal(parse(b.data, b.len, &sm, &notes, &err), 0);
    assert_string_equal(sm.series, "m");
    assert_int_equal(notes.n, CW_SIDECAR_MAX_NOTES + 1);
    assert_non_null(strstr(notes.v[0], "line 1: 'Nonsense?[2J' is not a 'Key: value' line"));
    assert_non_null(strstr(notes.v[1], "line 2: unknown key 'Colour0' ignored"));
    assert_non_null(strstr(notes.v[notes.n - 1], "and 481 more lines"));
    for (size_t i = 0; i < notes.n; i++)
        for (const char *c = notes.v[i]; *c; c++)
            assert_true((unsigned char)*c >= 0x20);
    cw_sidecar_clear(&sm);
    cw_strlist_free(&notes);
    cw_buf_free(&b);
    /* a long key is quoted cut at a character boundary (here inside "é" repeated) */
    cw_buf_init(&b);
    for (int i = 0; i < 60; i++)
        cw_buf_puts(&b, "\xc3\xa9");
    cw_buf_puts(&b, ": x\n");
    assert_int_equal(parse(b.data, b.len, &sm, &notes, &err), 0);
    assert_int_equal(notes.n, 1);
    assert_true(cw_utf8_valid(notes.v[0], strlen(notes.v[0])));
    assert_non_null(strstr(notes.v[0], "...'"));
    cw_strlist_free(&notes);
    cw_buf_free(&b);
}

static void test_default_title(void **state)
{
    (void)state;
    char out[CW_TITLE_MAX_BYTES + 1];
    assert_int_equal(cw_default_title("/in/box/my_first_lesson.wav", out, sizeof out, CW_TITLE_MAX_BYTES), 0);
    assert_string_equal(out, "my first lesson");
    assert_int_equal(cw_default_title(".hidden", out, sizeof out, CW_TITLE_MAX_BYTES), 0);
    assert_string_equal(out, ".hidden");
    /* 250 bytes of "é" (2 bytes each) then ".wav": cut to 200 bytes = 100 characters */
    char name[300];
    size_t o = 0;
    for (int i = 0; i < 125; i++) {
        name[o++] = '\xc3';
        name[o++] = '\xa9';
    }
    memcpy(name + o, ".wav", 5);
    assert_int_equal(cw_default_title(name, out, sizeof out, CW_TITLE_MAX_BYTES), 1);
    assert_int_equal(strlen(out), 200);
    assert_true(cw_utf8_valid(out, strlen(out)));
    /* one ASCII byte first: the 200th byte would split a character, so 199 bytes */
    name[0] = 'a';
    memmove(name + 1, name + 2, strlen(name + 2) + 1);
    assert_int_equal(cw_default_title(name, out, sizeof out, CW_TITLE_MAX_BYTES), 1);
    assert_int_equal(strlen(out), 199);
    assert_true(cw_utf8_valid(out, strlen(out)));
    /* four-byte characters: every cut lands on a boundary */
    for (size_t max = 1; max <= 12; max++) {
        char n4[64];
        for (int i = 0; i < 5; i++)
            memcpy(n4 + 4 * i, "\xf0\x9f\x98\x80", 4);
        n4[20] = 0;
        char small[16];
        assert_int_equal(cw_default_title(n4, small, sizeof small, max), 1);
        assert_int_equal(strlen(small), max / 4 * 4);
    }
    /* an underscore at the cut does not leave a trailing space */
    char us[260];
    memset(us, 'a', 199);
    us[199] = '_';
    memset(us + 200, 'b', 50);
    us[250] = 0;
    assert_int_equal(cw_default_title(us, out, sizeof out, CW_TITLE_MAX_BYTES), 1);
    assert_int_equal(strlen(out), 199);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_key),
        cmocka_unit_test(test_first_wins_and_empty_values),
        cmocka_unit_test(test_line_numbers_and_line_ends),
        cmocka_unit_test(test_refused_values),
        cmocka_unit_test(test_encodings),
        cmocka_unit_test(test_warnings_capped_and_quoted),
        cmocka_unit_test(test_default_title),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
