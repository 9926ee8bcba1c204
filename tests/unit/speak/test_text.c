/* test_text.c — text preparation (speak/text.c, inline.c, lang.c): what is spoken for
 * paragraphs, headings (#, underlined, capitals), lists, tables and quotes; dates, times,
 * money, phone numbers and addresses in English, French, Swahili, Arabic, Portuguese and
 * Spanish, and untouched in a language without rules; markup dropped; SSML escaped (no
 * markup or phonemes can come from the text); refusals (not UTF-8 with the line, binary,
 * UTF-16, empty, too long); bounded output; the same input gives the same output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "speak.h"

static cw_prep_opts opts(const char *lang)
{
    cw_prep_opts o = {.source = "news.txt", .language = lang, .paragraph_pause = 0.6,
                      .heading_pause = 1.2, .max_chars = 20000};
    return o;
}

/* The plain output (pause lines included) of text, or NULL on refusal (err filled). */
static char *prep_o(const char *text, const cw_prep_opts *o, cw_error *err, cw_prepared *keep)
{
    cw_prepared p;
    memset(err, 0, sizeof *err);
    int rc = cw_speak_prepare(text, strlen(text), o, &p, err);
    char *s = rc ? NULL : strdup(p.plain.data);
    if (keep && !rc)
        *keep = p;
    else
        cw_prepared_free(&p);
    return s;
}

static char *prep(const char *text, const char *lang)
{
    cw_error err;
    cw_prep_opts o = opts(lang);
    char *s = prep_o(text, &o, &err, NULL);
    if (!s)
        fail_msg("refused: %s", err.text);
    return s;
}

#define SAYS(text, lang, want)                                                                 \
    do {                                                                                       \
        char *got_ = prep((text), (lang));                                                     \
        if (!strstr(got_, (want)))                                                             \
            fail_msg("for %s (%s)\n  want: %s\n  got:  %s", (text), (lang), (want), got_);      \
        free(got_);                                                                            \
    } while (0)

#define NOT_SAYS(text, lang, bad)                                                              \
    do {                                                                                       \
        char *got_ = prep((text), (lang));                                                     \
        if (strstr(got_, (bad)))                                                               \
            fail_msg("for %s (%s)\n  must not say: %s\n  got: %s", (text), (lang), (bad), got_); \
        free(got_);                                                                            \
    } while (0)

static void test_structure(void **state)
{
    (void)state;
    char *s = prep("# Health news\n\nFirst paragraph\nwraps here.\n\nSecond one!\n\n"
                   "SCHOOL NOTICES\nFees are due.\n\nTerm dates\n----------\n\n- one\n- two\n"
                   "1. wash hands\n\n---\n\nAfter the rule.\n", "en");
    assert_string_equal(s, "Health news.\n"
                           "[pause 0.6 s]\n"
                           "First paragraph wraps here.\n"
                           "[pause 0.6 s]\n"
                           "Second one!\n"
                           "[pause 1.2 s]\n"
                           "SCHOOL NOTICES.\n"
                           "[pause 0.6 s]\n"
                           "Fees are due.\n"
                           "[pause 1.2 s]\n"
                           "Term dates.\n"
                           "[pause 0.6 s]\n"
                           "one.\n"
                           "two.\n"
                           "1. wash hands.\n"
                           "[pause 1.2 s]\n"
                           "After the rule.\n");
    free(s);
    /* CRLF and CR line ends, a BOM, blanks at the ends */
    s = prep("\xEF\xBB\xBF  Dear parents\r\nThe school opens.\r\rBye.\r\n\r\n", "en");
    assert_string_equal(s, "Dear parents.\nThe school opens.\n[pause 0.6 s]\nBye.\n");
    free(s);
    /* quotes, tables, link definitions, code fences */
    s = prep("> Quoted words here.\n\n| Name | Phone |\n|---|---|\n| Ada | 123 |\n\n"
             "[1]: https://example.org\n\n```\nkept text\n```\n", "en");
    assert_string_equal(s, "Quoted words here.\n[pause 0.6 s]\nName, Phone.\nAda, 123.\n"
                           "[pause 0.6 s]\nkept text.\n");
    free(s);
    /* an all-capitals line inside a paragraph is not a heading; "WHO and UNICEF" is not */
    s = prep("WHO and UNICEF said so.\nNEXT LINE HERE\n", "en");
    assert_string_equal(s, "WHO and UNICEF said so. NEXT LINE HERE.\n");
    free(s);
}

static void test_markup(void **state)
{
    (void)state;
    SAYS("The **Ministry** of _Health_ said *so* and ~~not~~ `this`.", "en",
         "The Ministry of Health said so and not this.");
    SAYS("[Read more](https://example.org/a_(b)) and ![logo](x.png) here", "en",
         "Read more and logo here.");
    SAYS("<p>Hello <b>world</b><br/>again</p> <!-- hidden --> end", "en", "Hello world again end.");
    SAYS("Fish &amp; chips &eacute;t&eacute; &#233; &#x41; &nosuch; &#0; ok", "en",
         "Fish & chips été é A ok.");
    SAYS("#health and snake_case and [sic] {x} a|b back\\slash", "en",
         "health and snake case and sic x a b backslash.");
}

static void test_dates(void **state)
{
    (void)state;
    SAYS("On 2026-03-16 we meet.", "en", "On the 16th of March 2026 we meet.");
    SAYS("On 16/03/2026 and 1.2.2027 and 23-03-2026.", "en",
         "On the 16th of March 2026 and the 1st of February 2027 and the 23rd of March 2026.");
    SAYS("the 2026-03-22 meeting", "en", "the 22nd of March 2026 meeting");
    SAYS("On 03/16/2026 and 2026-03-02.", "en-US", "On March 16th, 2026 and March 2nd, 2026.");
    SAYS("On 16/03/26.", "en", "the 16th of March 2026");
    SAYS("The 16 March meeting, March 16 at noon, 11 May.", "en",
         "The 16th of March meeting, March 16th at noon, the 11th of May.");
    SAYS("Le 2026-03-16 et le 2026-03-01, le 1 mars.", "fr",
         "Le 16 mars 2026 et le 1er mars 2026, le 1er mars.");
    SAYS("Mkutano 2026-03-16 na tarehe 2026-04-01.", "sw",
         "Mkutano tarehe 16 Machi 2026 na tarehe 1 Aprili 2026.");
    SAYS("في ٢٠٢٦-٠٣-١٦", "ar", "في 16 مارس 2026");
    {
        /* read with the digits folded, kept as written for DESCRIPTION */
        cw_error err;
        cw_prepared p;
        cw_prep_opts o = opts("ar");
        char *s = prep_o("\xEF\xBB\xBF في ٢٠٢٦-٠٣-١٦\r\n", &o, &err, &p);
        assert_non_null(s);
        assert_string_equal(p.text.data, "في ٢٠٢٦-٠٣-١٦");
        free(s);
        cw_prepared_free(&p);
    }
    SAYS("Em 2026-03-16.", "pt", "Em 16 de março de 2026.");
    SAYS("El 2026-12-25.", "es", "El 25 de diciembre de 2026.");
    /* not dates: invalid days, version numbers, more digits, other languages */
    SAYS("2026-02-30 and 1.2.3 and 12345-01-01", "en", "2026-02-30 and 1.2.3 and 12345-01-01");
    SAYS("Am 2026-03-16.", "de", "Am 2026-03-16.");
    SAYS("2024-02-29 2023-02-29", "en", "the 29th of February 2024 2023-02-29");
}

static void test_times(void **state)
{
    (void)state;
    SAYS("at 09:30, 14:00, 12:00, 00:00, 7:05 pm, 11am, 9.30 a.m. and 23:59:30", "en",
         "at 9 30 AM, 2 PM, 12 noon, midnight, 7 oh 5 PM, 11 AM, 9 30 AM and 11 59 PM");
    /* verses and scores keep eSpeak NG's reading */
    SAYS("John 3:16 and Luke 10:25 but at 10:25", "en", "John 3:16 and Luke 10:25 but at 10 25 AM");
    SAYS("à 9h30, 14h, 16 h 45, 12:00, à 0:15 et 1:00", "fr",
         "à 9 heures 30, 14 heures, 16 heures 45, midi, à minuit 15 et une heure");
    SAYS("saa 09:30, 14:00, 16:45, 21:15, 05:00, 00:00", "sw",
         "saa tatu na nusu asubuhi, saa nane mchana, saa kumi na moja kasorobo jioni, "
         "saa tatu na robo usiku, saa kumi na moja alfajiri, saa sita usiku");
    SAYS("من 14:00 إلى 16:45", "ar", "من الساعة 14 إلى الساعة 16 و 45 دقيقة");
    SAYS("às 9:30 e 13:00", "pt", "às 9 horas e 30 e 13 horas");
    SAYS("a las 9:30 y 13:00", "es", "a las 9 y 30 y 13 horas");
    NOT_SAYS("score 3:2, 25:61 and 9h30", "en", "AM");
}

static void test_money_phone_numbers(void **state)
{
    (void)state;
    SAYS("Bring $5, ₦500, KSh 1,000, US$20 million, 5 000 FCFA, €20, 20 € and $1.", "en",
         "Bring 5 dollars, 500 naira, 1,000 shillings, 20 million dollars, 5 000 CFA francs, "
         "20 euros, 20 euros and 1 dollar.");
    SAYS("Apportez 5 000 F CFA, 1 250,50 FCFA ou 1 €.", "fr",
         "Apportez 5 000 francs CFA, 1 250,50 francs CFA ou 1 euro.");
    SAYS("Leta KSh 1,000 au $5.", "sw", "Leta shilingi 1,000 au dola 5.");
    SAYS("Call 0803 123 4567, +234 803 123 4567 or 0803-123-4567.", "en",
         "Call 0 8 0 3, 1 2 3, 4 5 6 7, +2 3 4, 8 0 3, 1 2 3, 4 5 6 7 or 0 8 0 3, 1 2 3, 4 5 6 7.");
    /* numbers eSpeak NG reads well stay as they are */
    SAYS("It rose 3.5% to 1,250 and 0.5, 2nd place, 100 m.", "en",
         "It rose 3.5% to 1,250 and 0.5, 2nd place, 100 m.");
    /* not phone numbers: too few digits; dates first */
    SAYS("Room 012 34 and 01/02/2026.", "en", "Room 012 34 and the 1st of February 2026.");
}

static void test_fractions(void **state)
{
    (void)state;
    SAYS("Add 1/2 and 3/4 to get 5/4; 2 1/2 cups, ½ cup, 1½ hours, 2/3.", "en",
         "Add one half and 3 quarters to get 5 quarters; 2 and a half cups, one half cup, 1 and a "
         "half hours, 2 thirds.");
    SAYS("1/2 et 3/4, 2 1/2, 7/10", "fr", "un demi et 3 quarts, 2 et un demi, 7 dixièmes");
    SAYS("1/2, 3/4, 1/4, 2/3, 3/5", "sw", "nusu, robo 3, robo, theluthi 2, sehemu 3 kati ya 5");
    SAYS("1/2 و 3/4", "ar", "نصف و ثلاثة أرباع");
    SAYS("1/3 e 5/8", "pt", "um terço e 5 oitavos");
    /* not fractions: 24/7, dates, units, big denominators, a language without rules */
    SAYS("24/7 help, 1/2/2026, km/h, 3/100, 12/13", "en",
         "24/7 help, the 1st of February 2026, km/h, 3/100, 12/13");
    SAYS("1/2", "de", "1/2");
}

static void test_addresses(void **state)
{
    (void)state;
    SAYS("See https://www.health.gov.ng/vaccines/children?x=1#top, www.afya.go.ke, "
         "school.org and <http://x.example.com/a>.", "en",
         "See health dot gov dot ng slash vaccines slash children, afya dot go dot ke, school dot "
         "org and x dot example dot com slash a.");
    SAYS("Write to info.desk@health-ng.org now.", "en",
         "Write to info dot desk at health dash ng dot org now.");
    SAYS("Écrivez à info@sante.gouv.sn.", "fr", "Écrivez à info arobase sante point gouv point sn.");
    /* long paths are not read; file names and abbreviations are not addresses */
    SAYS("https://a.org/one/two/three/four/five and report.pdf, e.g. this", "en",
         "a dot org and report.pdf, e.g. this.");
    cw_prep_opts o = opts("en");
    o.drop_addresses = 1;
    cw_error err;
    char *s = prep_o("See https://health.gov.ng or mail info@health.gov.ng today.", &o, &err, NULL);
    assert_non_null(s);
    assert_string_equal(s, "See or mail today.\n");
    free(s);
    s = prep_o("https://health.gov.ng", &o, &err, NULL);
    assert_null(s);
    assert_non_null(strstr(err.text, "nothing to speak"));
}

static void test_ssml_is_safe(void **state)
{
    (void)state;
    cw_prep_opts o = opts("en");
    cw_error err;
    cw_prepared p;
    const char *t = "A <break time=\"9s\"/> & [[h@l'oU]] <speak> </speak> &lt;tag&gt; x\n\n# Head\n";
    assert_int_equal(cw_speak_prepare(t, strlen(t), &o, &p, &err), 0);
    assert_null(strstr(p.ssml.data, "<break time=\"9s\""));
    assert_null(strstr(p.ssml.data, "[["));
    assert_null(strstr(p.ssml.data, "<speak> </speak>"));
    assert_non_null(strstr(p.ssml.data, "&amp;"));
    assert_non_null(strstr(p.ssml.data, "&lt;tag&gt;"));
    assert_non_null(strstr(p.ssml.data, "<break time=\"1200ms\"/>Head."));
    assert_true(!strncmp(p.ssml.data, "<speak>\n", 8));
    assert_int_equal(p.headings, 1);
    assert_int_equal(p.paragraphs, 1);
    cw_prepared_free(&p);
}

static void test_refusals(void **state)
{
    (void)state;
    cw_prep_opts o = opts("en");
    cw_error err;
    cw_prepared p;
    /* Latin-1: the line and byte */
    const char *l1 = "Good line\nCaf\xe9 au lait\n";
    assert_int_equal(cw_speak_prepare(l1, strlen(l1), &o, &p, &err), CW_EINVAL);
    assert_int_equal(err.line, 2);
    assert_string_equal(err.source, "news.txt");
    assert_non_null(strstr(err.text, "line 2 is not UTF-8 (byte 0xE9 at column 4, as Latin-1"));
    cw_prepared_free(&p);
    /* binary: NUL, control characters, C1 controls */
    assert_int_equal(cw_speak_prepare("ab\ncd\0ef", 8, &o, &p, &err), CW_EINVAL);
    assert_non_null(strstr(err.text, "line 2 holds binary data"));
    assert_int_equal(cw_speak_prepare("ab\x1b[0m", 7, &o, &p, &err), CW_EINVAL);
    assert_non_null(strstr(err.text, "control character (byte 0x1B)"));
    assert_int_equal(cw_speak_prepare("ab\xc2\x85", 4, &o, &p, &err), CW_EINVAL);
    /* UTF-16 */
    assert_int_equal(cw_speak_prepare("\xff\xfeh\0i\0", 6, &o, &p, &err), CW_EINVAL);
    assert_non_null(strstr(err.text, "UTF-16"));
    /* empty, blank, only markup */
    assert_int_equal(cw_speak_prepare("", 0, &o, &p, &err), CW_EINVAL);
    assert_non_null(strstr(err.text, "the text is empty"));
    assert_int_equal(cw_speak_prepare(" \n\t\n", 4, &o, &p, &err), CW_EINVAL);
    assert_int_equal(cw_speak_prepare("** --- ** |", 11, &o, &p, &err), CW_EINVAL);
    assert_non_null(strstr(err.text, "nothing to speak"));
    /* too long: counted in characters, not bytes */
    o.max_chars = 10;
    assert_int_equal(cw_speak_prepare("ééééééééé.", strlen("ééééééééé."), &o, &p, &err), 0);
    cw_prepared_free(&p);
    assert_int_equal(cw_speak_prepare("ééééééééé..", strlen("ééééééééé.."), &o, &p, &err),
                     CW_ELIMIT);
    assert_non_null(strstr(err.text, "11 characters; the station speaks at most 10"));
    /* a big input is refused by its size before it is read */
    assert_int_equal(cw_speak_check_size(10u << 20, 20000, "big.txt", &err), CW_ELIMIT);
    assert_string_equal(err.source, "big.txt");
    assert_int_equal(cw_speak_check_size(80000, 20000, "ok.txt", &err), 0);
}

static void test_bounded_and_deterministic(void **state)
{
    (void)state;
    /* the worst expansions (addresses, phone numbers) stay within a small factor */
    cw_buf b;
    cw_buf_init(&b);
    for (int i = 0; i < 400; i++)
        cw_buf_puts(&b, "a.b.c.d.e.f.g.h.i.j.k.l.com +1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 ");
    cw_prep_opts o = opts("en");
    o.max_chars = 100000;
    cw_error err;
    cw_prepared p, q;
    assert_int_equal(cw_speak_prepare(b.data, b.len, &o, &p, &err), 0);
    assert_true(p.ssml.len < b.len * 8);
    assert_int_equal(cw_speak_prepare(b.data, b.len, &o, &q, &err), 0);
    assert_int_equal(p.ssml.len, q.ssml.len);
    assert_memory_equal(p.ssml.data, q.ssml.data, p.ssml.len);
    assert_true(p.addresses == 400);
    cw_prepared_free(&p);
    cw_prepared_free(&q);
    cw_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_structure),
        cmocka_unit_test(test_markup),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_money_phone_numbers),
        cmocka_unit_test(test_fractions),
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_ssml_is_safe),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_bounded_and_deterministic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
