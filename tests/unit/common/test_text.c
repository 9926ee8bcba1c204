/* test_text.c — common/ text helpers: error codes and exit codes, cw_fail, buffers and their
 * escapers, string lists, UTF-8 validation, slugs and kinds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common.h"

static void test_exit_codes(void **state)
{
    (void)state;
    assert_int_equal(cw_exit_code(CW_OK), 0);
    assert_int_equal(cw_exit_code(CW_EINVAL), 1);
    assert_int_equal(cw_exit_code(CW_ELIMIT), 1);
    assert_int_equal(cw_exit_code(CW_EEXIST), 1);
    assert_int_equal(cw_exit_code(CW_EUNSUPPORTED), 1);
    assert_int_equal(cw_exit_code(CW_EUSAGE), 2);
    assert_int_equal(cw_exit_code(CW_EIO), 3);
    assert_int_equal(cw_exit_code(CW_ENOMEM), 3);
    assert_int_equal(cw_exit_code(CW_ENOTFOUND), 3);
    assert_int_equal(cw_exit_code(CW_ELOCKED), 3);
    assert_int_equal(cw_exit_code(CW_EINTERNAL), 3);
    assert_int_equal(cw_exit_code(-999), 3);
    for (int c = CW_EINTERNAL; c <= CW_OK; c++) {
        const char *s = cw_strerror(c);
        assert_non_null(s);
        assert_true(strlen(s) > 0);
        assert_string_not_equal(s, "unknown error");
    }
    assert_string_equal(cw_strerror(42), "unknown error");
}

static void test_fail(void **state)
{
    (void)state;
    cw_error err;
    memset(&err, 0x55, sizeof err);
    int rc = cw_fail(&err, CW_EINVAL, "a.ics", 12, "bad thing '%s' (%d)", "x", 7);
    assert_int_equal(rc, CW_EINVAL);
    assert_string_equal(err.source, "a.ics");
    assert_int_equal(err.line, 12);
    assert_string_equal(err.text, "bad thing 'x' (7)");
    /* NULL err is fine, NULL source gives "" */
    assert_int_equal(cw_fail(NULL, CW_EIO, "x", 1, "y"), CW_EIO);
    assert_int_equal(cw_fail(&err, CW_EIO, NULL, 0, "z"), CW_EIO);
    assert_string_equal(err.source, "");
    /* very long text is truncated, still terminated */
    char big[3000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    cw_fail(&err, CW_EINVAL, big, 1, "%s", big);
    assert_int_equal(strlen(err.text), sizeof err.text - 1);
    assert_int_equal(strlen(err.source), sizeof err.source - 1);
    cw_error_clear(&err);
    assert_string_equal(err.text, "");
    assert_int_equal(err.line, 0);
    cw_error_clear(NULL);
}

static void test_buf(void **state)
{
    (void)state;
    cw_buf b;
    cw_buf_init(&b);
    assert_int_equal(b.len, 0);
    cw_buf_append(&b, "", 0);
    assert_non_null(b.data);
    assert_string_equal(b.data, "");
    for (int i = 0; i < 1000; i++) cw_buf_printf(&b, "%d,", i);
    assert_false(b.oom);
    assert_int_equal(strlen(b.data), b.len);
    assert_memory_equal(b.data, "0,1,2,3,", 8);
    assert_non_null(strstr(b.data, ",999,"));
    cw_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);

    cw_buf_init(&b);
    cw_buf_put_xml(&b, "Tom & Jerry <b>\"hi\"</b> it's\x01\t\x7f!");
    assert_string_equal(b.data, "Tom &amp; Jerry &lt;b&gt;&quot;hi&quot;&lt;/b&gt; it&#39;s   !");
    cw_buf_free(&b);

    cw_buf_init(&b);
    cw_buf_put_oneline(&b, "line1\nline2\r\tend\x1b");
    assert_string_equal(b.data, "line1 line2  end ");
    /* UTF-8 passes through untouched */
    cw_buf_put_xml(&b, "\xc3\xa9");
    assert_string_equal(b.data + strlen("line1 line2  end "), "\xc3\xa9");
    cw_buf_put_xml(&b, NULL);
    cw_buf_free(&b);
}

static void test_strlist(void **state)
{
    (void)state;
    cw_strlist l = {0};
    assert_int_equal(cw_strlist_push(&l, "pear"), CW_OK);
    assert_int_equal(cw_strlist_push(&l, "apple"), CW_OK);
    assert_int_equal(cw_strlist_pushf(&l, "%s-%02d", "fig", 7), CW_OK);
    assert_int_equal(cw_strlist_push(&l, NULL), CW_OK);
    for (int i = 0; i < 100; i++) assert_int_equal(cw_strlist_pushf(&l, "z%03d", i), CW_OK);
    assert_int_equal(l.n, 104);
    cw_strlist_sort(&l);
    assert_string_equal(l.v[0], "");
    assert_string_equal(l.v[1], "apple");
    assert_string_equal(l.v[2], "fig-07");
    assert_string_equal(l.v[3], "pear");
    assert_string_equal(l.v[103], "z099");
    cw_strlist_free(&l);
    assert_int_equal(l.n, 0);
    assert_null(l.v);

    char *s = cw_asprintf("%s=%d", "k", 5);
    assert_string_equal(s, "k=5");
    free(s);
    s = cw_strndup("abcdef", 3);
    assert_string_equal(s, "abc");
    free(s);
    s = cw_strndup("ab", 10);
    assert_string_equal(s, "ab");
    free(s);
    assert_null(cw_strdup(NULL));
    assert_null(cw_strndup(NULL, 3));
}

static void test_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int ok;
    } cases[] = {
        {"", 1},
        {"plain ascii", 1},
        {"caf\xc3\xa9", 1},                 /* é */
        {"\xe2\x82\xac", 1},                /* € */
        {"\xf0\x9f\x93\xbb radio", 1},      /* 📻 */
        {"\xef\xbb\xbf" "bom", 1},           /* BOM is valid UTF-8 */
        {"\xc3", 0},                        /* truncated */
        {"\xe2\x82", 0},                    /* truncated */
        {"\xc0\xaf", 0},                    /* overlong '/' */
        {"\xc1\xbf", 0},                    /* overlong */
        {"\xe0\x80\xaf", 0},                /* overlong 3-byte */
        {"\xf0\x80\x80\xaf", 0},            /* overlong 4-byte */
        {"\xed\xa0\x80", 0},                /* surrogate D800 */
        {"\xed\xbf\xbf", 0},                /* surrogate DFFF */
        {"\xf4\x90\x80\x80", 0},            /* > U+10FFFF */
        {"\xf5\x80\x80\x80", 0},            /* invalid lead */
        {"\xff", 0},
        {"\x80", 0},                        /* lone continuation */
        {"a\xc3(b", 0},                     /* bad continuation */
        {"Latin-1 caf\xe9", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = cw_utf8_valid(cases[i].s, strlen(cases[i].s));
        if (got != cases[i].ok) fail_msg("case %zu: '%s' expected %d got %d", i, cases[i].s, cases[i].ok, got);
    }
    /* embedded NUL is just a byte; length is what counts */
    assert_true(cw_utf8_valid("a\0b", 3));
    /* a valid prefix of an invalid string */
    assert_true(cw_utf8_valid("ok\xff", 2));
    assert_true(cw_utf8_valid("\xed\x9f\xbf", 3)); /* U+D7FF, just below surrogates */
    assert_true(cw_utf8_valid("\xf4\x8f\xbf\xbf", 4)); /* U+10FFFF */
}

static void test_slugify(void **state)
{
    (void)state;
    char out[64];
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"Fractions: halves and quarters", "fractions-halves-and-quarters"},
        {"  Leading and trailing  ", "leading-and-trailing"},
        {"A--B__C", "a-b-c"},
        {"Caf\xc3\xa9 du monde", "caf-du-monde"},
        {"100% Maths!", "100-maths"},
        {"", "item"},
        {"!!!", "item"},
        {"\xe2\x82\xac\xe2\x82\xac", "item"},
        {"../../etc/passwd", "etc-passwd"},
        {"UPPER lower 123", "upper-lower-123"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cw_slugify(cases[i].in, out, sizeof out);
        assert_string_equal(out, cases[i].out);
    }
    cw_slugify(NULL, out, sizeof out);
    assert_string_equal(out, "item");
    /* bounded: at most maxlen-1 bytes, a prefix of the full slug that never ends with '-'
     * (words are never run together when the slug is cut short) */
    const char *full = "ab-cd-ef-gh-ij-kl-mn-op";
    for (size_t max = 2; max < 30; max++) {
        char small[32];
        memset(small, 'X', sizeof small);
        cw_slugify("ab cd ef gh ij kl mn op", small, max);
        size_t n = strlen(small);
        if (n > max - 1 || strncmp(small, full, n) != 0 || (n && small[n - 1] == '-'))
            fail_msg("maxlen %zu gave '%s'", max, small);
        assert_true(n + 1 >= max - 1 || n == strlen(full)); /* uses the room it has, less a word break */
    }
    cw_slugify("abc", out, 0); /* must not write */
}

static void test_kinds(void **state)
{
    (void)state;
    assert_string_equal(cw_kind_name(CW_KIND_LESSON), "lesson");
    assert_string_equal(cw_kind_name(CW_KIND_NEWSLETTER), "newsletter");
    assert_string_equal(cw_kind_name(CW_KIND_FILLER), "filler");
    assert_string_equal(cw_kind_name(CW_KIND_BLACKOUT), "blackout");
    assert_string_equal(cw_kind_name(CW_KIND_SILENCE), "silence");
    assert_string_equal(cw_kind_name(CW_KIND_NONE), "");
    assert_int_equal(cw_kind_parse("lesson"), CW_KIND_LESSON);
    assert_int_equal(cw_kind_parse("LESSON"), CW_KIND_LESSON);
    assert_int_equal(cw_kind_parse("Newsletter"), CW_KIND_NEWSLETTER);
    assert_int_equal(cw_kind_parse("filler"), CW_KIND_FILLER);
    assert_int_equal(cw_kind_parse("blackout"), CW_KIND_BLACKOUT);
    assert_int_equal(cw_kind_parse("Holiday"), CW_KIND_BLACKOUT);
    assert_int_equal(cw_kind_parse("silence"), CW_KIND_SILENCE);
    assert_int_equal(cw_kind_parse("lessons"), CW_KIND_NONE);
    assert_int_equal(cw_kind_parse(""), CW_KIND_NONE);
    assert_int_equal(cw_kind_parse(NULL), CW_KIND_NONE);
}

static void test_hash32(void **state)
{
    (void)state;
    uint32_t a = cw_hash32("maths-p5/2", 10), b = cw_hash32("maths-p5/2", 10), c = cw_hash32("maths-p5/3", 10);
    assert_int_equal(a, b);
    assert_int_not_equal(a, c);
    assert_int_not_equal(cw_hash32("", 0), 0);
    /* spread: 1000 consecutive inputs give 1000 distinct values */
    uint32_t seen[1000];
    for (int i = 0; i < 1000; i++) {
        char k[16];
        int n = snprintf(k, sizeof k, "link-%d", i);
        seen[i] = cw_hash32(k, (size_t)n);
        assert_int_not_equal(seen[i], 0);
        for (int j = 0; j < i; j++) assert_int_not_equal(seen[i], seen[j]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exit_codes), cmocka_unit_test(test_fail),    cmocka_unit_test(test_buf),
        cmocka_unit_test(test_strlist),    cmocka_unit_test(test_utf8),    cmocka_unit_test(test_slugify),
        cmocka_unit_test(test_kinds),      cmocka_unit_test(test_hash32),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
