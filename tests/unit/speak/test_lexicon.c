/* test_lexicon.c — the station lexicon (speak/lexicon.c): entries for every language and
 * per language (sections, prefixes, [*]), the most specific language wins, whole words
 * only, several-word keys over any blanks, case rules (lower case: any case; capitals: as
 * written or all capitals), phonemes, duplicates (the later line, with a warning), comments,
 * and every malformed line refused with its line number. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "speak.h"

static const char LEX[] = "\xEF\xBB\xBF; the station's fixes\n"
                          "# also a comment\n"
                          "Okafor = Oh-kah-for ; the teacher\n"
                          "WHO = W H O\n"
                          "ministry of health = the health ministry\n"
                          "Dr. = Doctor\n"
                          "\n"
                          "[fr]\n"
                          "Okafor = Okafore\n"
                          "Abuja = [[a'bu:dZa]]   ; phonemes\n"
                          "sw: Kisumu = Kisoomoo\n"
                          "[fr-ca]\n"
                          "Okafor = Okafaure\n"
                          "[*]\n"
                          "Lagos = Lay-goss\n"
                          "Lagos = Lah-goss\n";

static char *spoken(const cw_lexicon *lx, const char *lang, const char *text, size_t *hits)
{
    cw_prep_opts o = {.source = "t", .language = lang, .lexicon = lx, .paragraph_pause = 0.5,
                      .heading_pause = 1, .max_chars = 10000};
    cw_prepared p;
    cw_error err;
    if (cw_speak_prepare(text, strlen(text), &o, &p, &err))
        fail_msg("refused: %s", err.text);
    char *s = strdup(p.plain.data);
    if (hits)
        *hits = p.lexicon_hits;
    cw_prepared_free(&p);
    s[strcspn(s, "\n")] = 0;
    return s;
}

#define SAYS(lx, lang, text, want)                                                             \
    do {                                                                                       \
        char *g_ = spoken((lx), (lang), (text), NULL);                                         \
        if (strcmp(g_, (want)))                                                                \
            fail_msg("%s (%s)\n  want: %s\n  got:  %s", (text), (lang), (want), g_);            \
        free(g_);                                                                              \
    } while (0)

static void test_entries(void **state)
{
    (void)state;
    cw_lexicon *lx = NULL;
    cw_diags notes = {0};
    cw_error err;
    assert_int_equal(cw_lexicon_parse(&lx, "speak.lexicon", LEX, strlen(LEX), &notes, &err), 0);
    assert_non_null(lx);
    /* the duplicate "Lagos" is reported and the later line wins */
    assert_int_equal(notes.n, 1);
    assert_int_equal(notes.v[0].line, 16);
    assert_string_equal(notes.v[0].code, "speak.lexicon-duplicate");
    assert_int_equal(cw_lexicon_count(lx, "en"), 5);
    assert_int_equal(cw_lexicon_count(lx, "fr-fr"), 7);
    assert_int_equal(cw_lexicon_count(lx, "fr-CA"), 8);
    assert_int_equal(cw_lexicon_count(lx, "sw"), 6);

    SAYS(lx, "en", "Mrs Okafor of the WHO, who is OKAFOR, not okafor.",
         "Mrs Oh-kah-for of the W H O, who is Oh-kah-for, not okafor.");
    SAYS(lx, "en", "The Ministry   of\nhealth and the ministry of healthcare in Lagos.",
         "The the health ministry and the ministry of healthcare in Lah-goss.");
    SAYS(lx, "en", "Dr. Ada and Dr.Ada", "Doctor Ada and Doctor Ada.");
    SAYS(lx, "fr", "Mme Okafor à Abuja et Kisumu.", "Mme Okafore à [[a'bu:dZa]] et Kisumu.");
    SAYS(lx, "fr-CA", "Mme Okafor.", "Mme Okafaure.");
    SAYS(lx, "fr-BE", "Mme Okafor.", "Mme Okafore.");
    SAYS(lx, "sw", "Bi Okafor, Kisumu.", "Bi Oh-kah-for, Kisoomoo.");
    /* whole words only */
    SAYS(lx, "en", "Okafors and WHOM and Lagosian", "Okafors and WHOM and Lagosian.");
    size_t hits = 0;
    free(spoken(lx, "en", "Okafor, Okafor and WHO", &hits));
    assert_int_equal(hits, 3);
    /* the phonemes reach the SSML as phonemes */
    cw_prep_opts o = {.language = "fr", .lexicon = lx, .max_chars = 100};
    cw_prepared p;
    assert_int_equal(cw_speak_prepare("Abuja", 5, &o, &p, &err), 0);
    assert_non_null(strstr(p.ssml.data, "[[a'bu:dZa]]."));
    cw_prepared_free(&p);
    cw_lexicon_free(lx);
    cw_diags_free(&notes);
}

static void test_bad_lines(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int line;
        const char *what;
    } cases[] = {
        {"ok = fine\nno equals sign\n", 2, "not 'word = how to say it'"},
        {" = nothing\n", 1, "nothing before '='"},
        {"word =   \n", 1, "nothing after '='"},
        {"word = ; only a comment\n", 1, "nothing after '='"},
        {"a = b\n[fr\n", 2, "a section is written [LANGUAGE]"},
        {"[french!]\n", 1, "not a language code"},
        {"x = [[abc\n", 1, "no closing ']]'"},
        {"x = [[]]\n", 1, "the phonemes are empty"},
        {"x = [[a<b]]\n", 1, "ASCII notation"},
        {"x = [[ab]] more\n", 1, "text after the closing ']]'"},
        {"x = say [this]\n", 1, "brackets are not spoken"},
        {"a[b] = c\n", 1, "cannot be part of a word"},
        {"ok = yes\ncaf\xe9 = cafay\n", 2, "is not UTF-8"},
        {"a = b\nc\0 = d\n", 2, "NUL byte"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cw_lexicon *lx = (cw_lexicon *)1;
        cw_error err;
        memset(&err, 0, sizeof err);
        size_t len = strlen(cases[i].text);
        if (i == sizeof cases / sizeof cases[0] - 1)
            len = 12;
        int rc = cw_lexicon_parse(&lx, "speak.lexicon", cases[i].text, len, NULL, &err);
        if (rc != CW_EINVAL || err.line != cases[i].line || !strstr(err.text, cases[i].what))
            fail_msg("case %zu: rc %d line %d text '%s'", i, rc, err.line, err.text);
        assert_null(lx);
        assert_string_equal(err.source, "speak.lexicon");
    }
    /* a long key, a long value */
    char big[400];
    memset(big, 'a', 150);
    strcpy(big + 150, " = b\n");
    cw_lexicon *lx;
    cw_error err;
    assert_int_equal(cw_lexicon_parse(&lx, "l", big, strlen(big), NULL, &err), CW_EINVAL);
    assert_non_null(strstr(err.text, "longer than 100"));
}

static void test_load(void **state)
{
    (void)state;
    cw_lexicon *lx = (cw_lexicon *)1;
    cw_error err;
    /* no file: no lexicon, no error */
    assert_int_equal(cw_lexicon_load(&lx, "/nonexistent/speak.lexicon", NULL, &err), 0);
    assert_null(lx);
    assert_int_equal(cw_lexicon_count(NULL, "en"), 0);
    char path[] = "/tmp/cw-lexicon-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "Okafor = Okafaw\n", 16), 16);
    close(fd);
    assert_int_equal(cw_lexicon_load(&lx, path, NULL, &err), 0);
    assert_int_equal(cw_lexicon_count(lx, "en"), 1);
    cw_lexicon_free(lx);
    unlink(path);
    cw_lexicon_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entries),
        cmocka_unit_test(test_bad_lines),
        cmocka_unit_test(test_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
