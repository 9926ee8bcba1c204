/* test_tts.c — speech synthesis on libespeak-ng (audio/espeak.c): the voice list and
 * lookups, renderings that are the same samples every time (also after other renderings in
 * the same process, which eSpeak NG alone does not give), longer text -> longer speech,
 * a reader that stops early, unknown voices, phonemes, parameters out of range; the same
 * samples from a helper program (cw_tts_use_helper: this test binary run as one) as from a
 * fork, also while other threads allocate, and a helper that cannot start or is not one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/sha.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "audio.h"

/* Render text; the SHA-256 of the float samples and the frame count. */
static int render(const char *text, const char *voice, int speed, int pitch, unsigned char sha[32],
                  size_t *frames, cw_error *err)
{
    cw_tts_params p = {.voice = voice, .speed = speed, .pitch = pitch};
    cw_tts *t = NULL;
    memset(err, 0, sizeof *err);
    int rc = cw_tts_open(&t, text, strlen(text), &p, err);
    if (rc)
        return rc;
    assert_int_equal(cw_tts_rate(t), 22050);
    SHA256_CTX c;
    SHA256_Init(&c);
    float buf[3001]; /* an odd size: reads do not line up with the child's writes */
    *frames = 0;
    for (;;) {
        size_t got = 0;
        rc = cw_tts_read(t, buf, 3001, &got, err);
        if (rc || got == 0)
            break;
        SHA256_Update(&c, buf, got * sizeof(float));
        *frames += got;
    }
    SHA256_Final(sha, &c);
    cw_tts_close(t);
    return rc;
}

static const char *EN = "<speak>Good morning. Today the ministry of health reminds every family "
                        "that clean water keeps children well.<break time=\"700ms\"/>The school "
                        "term starts on Monday.</speak>";

static void test_same_samples_every_time(void **state)
{
    (void)state;
    unsigned char a[32], b[32], c[32], d[32];
    size_t na, nb, nc, nd;
    cw_error err;
    assert_int_equal(render(EN, "gmw/en", 150, 50, a, &na, &err), 0);
    assert_true(na > 22050 * 3); /* several seconds of speech */
    assert_int_equal(render(EN, "gmw/en", 150, 50, b, &nb, &err), 0);
    /* a different rendering in between: eSpeak NG's globals would carry over in-process */
    assert_int_equal(render("<speak>Bonjour à tous.</speak>", "roa/fr", 170, 40, c, &nc, &err), 0);
    assert_int_equal(render(EN, "gmw/en", 150, 50, d, &nd, &err), 0);
    assert_int_equal(na, nb);
    assert_int_equal(na, nd);
    assert_memory_equal(a, b, 32);
    assert_memory_equal(a, d, 32);
    /* the settings matter */
    assert_int_equal(render(EN, "gmw/en", 200, 50, c, &nc, &err), 0);
    assert_true(nc < na);
    assert_int_equal(render(EN, "gmw/en", 150, 70, c, &nc, &err), 0);
    assert_memory_not_equal(a, c, 32);
    assert_int_equal(render(EN, "gmw/en+f3", 150, 50, c, &nc, &err), 0);
    assert_memory_not_equal(a, c, 32);
}

static void test_longer_text_longer_speech(void **state)
{
    (void)state;
    unsigned char s[32];
    size_t n1, n2, n3;
    cw_error err;
    assert_int_equal(render("<speak>One sentence for the radio.</speak>", "bnt/sw", 150, 50, s, &n1, &err), 0);
    assert_int_equal(render("<speak>One sentence for the radio. And a second sentence, somewhat "
                            "longer than the first one.</speak>", "bnt/sw", 150, 50, s, &n2, &err), 0);
    assert_int_equal(render("<speak>One sentence for the radio.<break time=\"2s\"/></speak>", "bnt/sw",
                            150, 50, s, &n3, &err), 0);
    assert_true(n2 > n1 + 22050);
    /* a 2 s break adds 2 s (give or take the sentence's end pause) */
    assert_true(n3 > n1 + 22050 * 3 / 2 && n3 < n1 + 22050 * 5 / 2);
}

static void test_stop_early(void **state)
{
    (void)state;
    /* a long text, closed after the first block: the child is stopped, nothing hangs */
    cw_buf b;
    cw_buf_init(&b);
    cw_buf_puts(&b, "<speak>");
    for (int i = 0; i < 400; i++)
        cw_buf_puts(&b, "The health ministry reminds every family to boil drinking water. ");
    cw_buf_puts(&b, "</speak>");
    cw_tts_params p = {.voice = "gmw/en", .speed = 175, .pitch = 50};
    cw_tts *t = NULL;
    cw_error err;
    assert_int_equal(cw_tts_open(&t, b.data, b.len, &p, &err), 0);
    float buf[1024];
    size_t got = 0;
    assert_int_equal(cw_tts_read(t, buf, 1024, &got, &err), 0);
    assert_int_equal(got, 1024);
    cw_tts_close(t);
    cw_buf_free(&b);
}

static void test_bad_voice_and_params(void **state)
{
    (void)state;
    cw_tts *t = NULL;
    cw_error err;
    cw_tts_params p = {.voice = "no/such-voice", .speed = 150, .pitch = 50};
    assert_int_equal(cw_tts_open(&t, "<speak>x</speak>", 16, &p, &err), CW_EINVAL);
    assert_null(t);
    assert_non_null(strstr(err.text, "no voice 'no/such-voice'"));
    p.voice = "gmw/en";
    p.speed = 20;
    assert_int_equal(cw_tts_open(&t, "<speak>x</speak>", 16, &p, &err), CW_EINVAL);
    p.speed = 150;
    p.pitch = 100;
    assert_int_equal(cw_tts_open(&t, "<speak>x</speak>", 16, &p, &err), CW_EINVAL);
    p.pitch = 50;
    /* a NUL inside the text */
    assert_int_equal(cw_tts_open(&t, "ab\0cd", 5, &p, &err), CW_EINVAL);
}

static void test_voices(void **state)
{
    (void)state;
    cw_voices vs;
    cw_error err;
    assert_int_equal(cw_tts_voices(&vs, &err), 0);
    assert_true(vs.n > 50);
    const char *want[] = {"en-gb", "fr-fr", "sw", "ar"};
    for (size_t i = 0; i < 4; i++) {
        const cw_voice *v = cw_tts_find_voice(&vs, want[i]);
        assert_non_null(v);
        assert_string_equal(v->name, want[i]);
    }
    const cw_voice *v = cw_tts_find_voice(&vs, "gmw/en");
    assert_non_null(v);
    assert_string_equal(v->name, "en-gb");
    assert_string_equal(v->family, "gmw");
    assert_non_null(cw_tts_find_voice(&vs, "english_(great_britain)"));
    assert_non_null(cw_tts_find_voice(&vs, "Swahili"));
    assert_null(cw_tts_find_voice(&vs, "ha"));
    /* no mbrola voices (they need a program Debian does not install with eSpeak NG) */
    for (size_t i = 0; i < vs.n; i++)
        assert_true(strncmp(vs.v[i].id, "mb/", 3) != 0);
    /* names are unique */
    for (size_t i = 0; i + 1 < vs.n; i++)
        assert_true(strcmp(vs.v[i].name, vs.v[i + 1].name) < 0);
    /* language lookup follows eSpeak NG */
    v = cw_tts_voice_for_language(&vs, "en");
    assert_non_null(v);
    assert_string_equal(v->id, "gmw/en");
    v = cw_tts_voice_for_language(&vs, "fr-CA");
    assert_non_null(v);
    assert_string_equal(v->family, "roa");
    v = cw_tts_voice_for_language(&vs, "sw");
    assert_non_null(v);
    assert_string_equal(v->id, "bnt/sw");
    assert_null(cw_tts_voice_for_language(&vs, "ha"));
    assert_null(cw_tts_voice_for_language(&vs, "yo"));
    assert_null(cw_tts_voice_for_language(&vs, ""));
    int f3 = 0;
    for (size_t i = 0; i < vs.variants.n; i++)
        f3 |= !strcmp(vs.variants.v[i], "f3");
    assert_true(f3);
    cw_voices_free(&vs);
    cw_voices_free(&vs); /* twice is fine */
}

static void test_phonemes(void **state)
{
    (void)state;
    cw_tts_params p = {.voice = "gmw/en", .speed = 150, .pitch = 50};
    cw_buf out;
    cw_buf_init(&out);
    cw_error err;
    assert_int_equal(cw_tts_phonemes("<speak>hello world</speak>", strlen("<speak>hello world</speak>"), &p, &out, &err), 0);
    assert_non_null(out.data);
    assert_non_null(strstr(out.data, "h@l'oU w'3:ld"));
    cw_buf_free(&out);
    /* phonemes given in [[ ]] are spoken as such */
    cw_buf_init(&out);
    const char *t = "<speak>say [[k'a:Ro]] now</speak>";
    assert_int_equal(cw_tts_phonemes(t, strlen(t), &p, &out, &err), 0);
    assert_non_null(strstr(out.data, "k'a:Ro"));
    cw_buf_free(&out);
}

#define HELPER_ARG "__speech-helper"

static atomic_int churn_stop;

/* Another thread of the process, busy in malloc while the speech is rendered. */
static void *churn(void *arg)
{
    (void)arg;
    while (!atomic_load(&churn_stop)) {
        void *p = malloc(1000);
        free(p);
    }
    return NULL;
}

static void test_helper(void **state)
{
    (void)state;
    unsigned char forked[32], helped[32];
    size_t nf, nh;
    cw_error err;
    cw_tts_use_helper(NULL, NULL);
    assert_int_equal(render(EN, "gmw/en", 150, 50, forked, &nf, &err), 0);
    cw_tts_use_helper("/proc/self/exe", HELPER_ARG);
    pthread_t th[3];
    atomic_store(&churn_stop, 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&th[i], NULL, churn, NULL), 0);
    for (int k = 0; k < 3; k++) {
        assert_int_equal(render(EN, "gmw/en", 150, 50, helped, &nh, &err), 0);
        assert_int_equal(nh, nf);
        assert_memory_equal(forked, helped, 32);
    }
    atomic_store(&churn_stop, 1);
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    /* refusals come back from the helper as from a fork */
    cw_tts_params p = {.voice = "no/such-voice", .speed = 150, .pitch = 50};
    cw_tts *t = NULL;
    assert_int_equal(cw_tts_open(&t, "<speak>x</speak>", 16, &p, &err), CW_EINVAL);
    assert_non_null(strstr(err.text, "no voice 'no/such-voice'"));
    /* phonemes through the helper */
    p.voice = "gmw/en";
    cw_buf out;
    cw_buf_init(&out);
    assert_int_equal(cw_tts_phonemes("<speak>hello world</speak>", 26, &p, &out, &err), 0);
    assert_non_null(out.data);
    assert_non_null(strstr(out.data, "h@l'oU w'3:ld"));
    cw_buf_free(&out);
    /* a long text: the helper reads it whole before it speaks, the reader stops early */
    cw_buf b;
    cw_buf_init(&b);
    cw_buf_puts(&b, "<speak>");
    for (int i = 0; i < 4000; i++)
        cw_buf_puts(&b, "The health ministry reminds every family to boil drinking water. ");
    cw_buf_puts(&b, "</speak>");
    assert_int_equal(cw_tts_open(&t, b.data, b.len, &p, &err), 0);
    float buf[1024];
    size_t got = 0;
    assert_int_equal(cw_tts_read(t, buf, 1024, &got, &err), 0);
    assert_int_equal(got, 1024);
    cw_tts_close(t);
    cw_buf_free(&b);
    /* a helper that is not there, and a program that is not a helper */
    cw_tts_use_helper("/nonexistent/chalkwave", HELPER_ARG);
    assert_int_equal(cw_tts_open(&t, "<speak>x</speak>", 16, &p, &err), CW_EIO);
    assert_non_null(strstr(err.text, "cannot start the speech synthesiser (/nonexistent/chalkwave)"));
    cw_tts_use_helper("/bin/true", HELPER_ARG);
    assert_int_not_equal(cw_tts_open(&t, "<speak>x</speak>", 16, &p, &err), 0);
    assert_null(t);
    assert_non_null(strstr(err.text, "speech synthesiser"));
    cw_tts_use_helper(NULL, NULL);
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], HELPER_ARG))
        return cw_tts_helper_main();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_samples_every_time),
        cmocka_unit_test(test_longer_text_longer_speech),
        cmocka_unit_test(test_stop_early),
        cmocka_unit_test(test_bad_voice_and_params),
        cmocka_unit_test(test_voices),
        cmocka_unit_test(test_phonemes),
        cmocka_unit_test(test_helper),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
