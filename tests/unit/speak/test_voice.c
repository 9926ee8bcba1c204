/* test_voice.c — choosing the voice (speak/voice.c) and a text's own header (speak.c):
 * --voice over [speak] LANG.voice over eSpeak NG's choice; speed and pitch per language;
 * variants; languages without a voice refused naming close voices by family and the
 * languages spoken alongside them; 3-letter codes; headers of known keys only, with line
 * numbers kept, Voice:, values refused with their line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "speak.h"

static cw_station *station(const char *speak)
{
    cw_buf b;
    cw_buf_init(&b);
    cw_buf_puts(&b, "[station]\nname = T\ntimezone = UTC\non_air = 06:00-22:00\n[audio]\n"
                    "rate = 44100\nchannels = 1\nquality = 3\nloudness = -23\ntrue_peak = -1\n");
    cw_buf_puts(&b, speak);
    cw_station *st = NULL;
    cw_error err;
    if (cw_station_parse(&st, "/tmp", "station.conf", b.data, b.len, &err))
        fail_msg("station: %s", err.text);
    cw_buf_free(&b);
    return st;
}

static void test_choose(void **state)
{
    (void)state;
    cw_voices vs;
    cw_error err;
    assert_int_equal(cw_tts_voices(&vs, &err), 0);
    cw_station *st = station("[speak]\nspeed = 140\nfr.voice = fr-be\nfr.speed = 120\nha.voice = sw\n"
                             "ha.pitch = 40\nen.voice = en-us+f3\n");
    cw_speak_voice v;
    assert_int_equal(cw_speak_voice_choose(st, &vs, "fr", NULL, &v, &err), 0);
    assert_string_equal(v.name, "fr-be");
    assert_int_equal(v.speed, 120);
    assert_int_equal(v.pitch, 50);
    assert_int_equal(cw_speak_voice_choose(st, &vs, "fr-CA", NULL, &v, &err), 0);
    assert_string_equal(v.name, "fr-be");
    /* --voice wins */
    assert_int_equal(cw_speak_voice_choose(st, &vs, "fr", "fr-fr", &v, &err), 0);
    assert_string_equal(v.name, "fr-fr");
    assert_string_equal(v.spec, "roa/fr");
    assert_int_equal(cw_speak_voice_choose(st, &vs, "ha", NULL, &v, &err), 0);
    assert_string_equal(v.name, "sw");
    assert_int_equal(v.pitch, 40);
    assert_int_equal(v.speed, 140);
    assert_int_equal(cw_speak_voice_choose(st, &vs, "en", NULL, &v, &err), 0);
    assert_string_equal(v.name, "en-us+f3");
    assert_string_equal(v.spec, "gmw/en-US+f3");
    /* eSpeak NG's own choice, 3-letter codes, voice titles */
    assert_int_equal(cw_speak_voice_choose(st, &vs, "sw", NULL, &v, &err), 0);
    assert_string_equal(v.spec, "bnt/sw");
    assert_int_equal(cw_speak_voice_choose(st, &vs, "swa", NULL, &v, &err), 0);
    assert_string_equal(v.spec, "bnt/sw");
    assert_int_equal(cw_speak_voice_choose(st, &vs, "ar", "Arabic", &v, &err), 0);
    assert_string_equal(v.spec, "sem/ar");
    /* refusals */
    assert_int_equal(cw_speak_voice_choose(st, &vs, "yo", NULL, &v, &err), CW_EINVAL);
    assert_non_null(strstr(err.text, "no voice for 'yo' (Yoruba); in its family: sw (Swahili), tn"));
    assert_non_null(strstr(err.text, "spoken alongside it: en-gb"));
    assert_non_null(strstr(err.text, "set yo.voice in [speak]"));
    assert_int_equal(cw_speak_voice_choose(st, &vs, "zu", NULL, &v, &err), CW_EINVAL);
    assert_non_null(strstr(err.text, "(Zulu)"));
    assert_non_null(strstr(err.text, "af (Afrikaans)"));
    assert_int_equal(cw_speak_voice_choose(st, &vs, "en", "swahili-ish", &v, &err), CW_EINVAL);
    assert_non_null(strstr(err.text, "no voice 'swahili-ish'"));
    assert_int_equal(cw_speak_voice_choose(st, &vs, "en", "Swahil", &v, &err), CW_EINVAL);
    assert_non_null(strstr(err.text, "similar: sw (Swahili)"));
    assert_int_equal(cw_speak_voice_choose(st, &vs, "en", "en-gb+f9", &v, &err), CW_EINVAL);
    assert_non_null(strstr(err.text, "no variant 'f9'"));
    assert_int_equal(cw_speak_voice_choose(st, &vs, "english", NULL, &v, &err), CW_EINVAL);
    assert_non_null(strstr(err.text, "not a language code"));
    assert_false(cw_speak_language_ok("e"));
    assert_false(cw_speak_language_ok("en-"));
    assert_true(cw_speak_language_ok("en_GB"));
    assert_true(cw_speak_language_ok("zh-Hant-TW"));
    cw_station_free(st);
    cw_voices_free(&vs);
}

static void test_header(void **state)
{
    (void)state;
    cw_speak_header h;
    cw_error err;
    const char *t = "\xEF\xBB\xBFTitle: Clean water\r\nlanguage: fr\nVALID_FROM: 2027-01-11\n"
                    "Voice: fr-be+f2\nKind: Newsletter\n\n\n# Eau propre\nTexte.\n";
    assert_int_equal(cw_speak_header_parse(t, strlen(t), &h, NULL, &err), 0);
    assert_true(h.present);
    assert_string_equal(h.meta.title, "Clean water");
    assert_string_equal(h.meta.language, "fr");
    assert_string_equal(h.meta.valid_from, "2027-01-11");
    assert_int_equal(h.meta.kind, CW_KIND_NEWSLETTER);
    assert_string_equal(h.voice, "fr-be+f2");
    assert_string_equal(t + h.body, "# Eau propre\nTexte.\n");
    assert_int_equal(h.first_line, 8);
    cw_speak_opts o = {.title = "From the option"};
    cw_speak_opts_from_header(&o, &h);
    assert_string_equal(o.title, "From the option");
    assert_string_equal(o.language, "fr");
    assert_string_equal(o.voice, "fr-be+f2");
    assert_int_equal(o.kind, CW_KIND_NEWSLETTER);
    cw_speak_header_clear(&h);
    /* not headers: text first, an unknown key, no blank line needed at the end */
    const char *no[] = {"Dear parents: the school opens.\n\nMore.", "Note: bring water\n\nText",
                        "Title: x\nthe text starts here\n", "", "\n\nTitle: x\n\nText"};
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        assert_int_equal(cw_speak_header_parse(no[i], strlen(no[i]), &h, NULL, &err), 0);
        assert_false(h.present);
        assert_int_equal(h.body, 0);
        cw_speak_header_clear(&h);
    }
    /* only a header: no text left */
    assert_int_equal(cw_speak_header_parse("Title: x\nLanguage: en", 21, &h, NULL, &err), 0);
    assert_true(h.present);
    assert_int_equal(h.body, 21);
    cw_speak_header_clear(&h);
    /* a value that cannot be used, with its line */
    const char *bad = "Title: x\nEpisode: 1000\n\nText.";
    assert_int_equal(cw_speak_header_parse(bad, strlen(bad), &h, NULL, &err), CW_EINVAL);
    assert_int_equal(err.line, 2);
    assert_false(h.present);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_choose),
        cmocka_unit_test(test_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
