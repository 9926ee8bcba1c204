/* fuzz_speak.c — libFuzzer target for text preparation (cw_speak_prepare), the station
 * lexicon (cw_lexicon_parse) and speech scripts (cw_speech_script_check): any bytes give
 * SSML or one refusal, never a crash, leak or hang. The input is split at the first
 * "\n====\n": before it a lexicon, after it the text; the first byte picks the language and
 * whether addresses are read. Also checks the promises: the SSML is "<speak>...</speak>",
 * valid UTF-8, bounded by a small multiple of the input, holds only the markup we write
 * (breaks) and only the phoneme spans the lexicon asked for; a refusal is a sentence of
 * text; the same input gives the same SSML. Nothing is synthesised (that is espeak.c's
 * unit test). */
#include "speak.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_error(int rc, const cw_error *err)
{
    if (rc != CW_EINVAL && rc != CW_ELIMIT && rc != CW_ENOMEM)
        abort();
    if (!err->text[0] || !cw_utf8_valid(err->text, strlen(err->text)))
        abort();
    for (const unsigned char *c = (const unsigned char *)err->text; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            abort();
}

/* Only "<speak>", "</speak>" and "<break time=...>" tags; "[[" only when the lexicon
 * has phonemes. */
static void check_ssml(const cw_prepared *p, size_t in_len, int lexicon_has_phonemes, int lexicon)
{
    const char *s = p->ssml.data;
    if (!s || strncmp(s, "<speak>\n", 8) || p->ssml.len < 18 ||
        strcmp(s + p->ssml.len - 9, "</speak>\n"))
        abort();
    if (!cw_utf8_valid(s, p->ssml.len) || memchr(s, 0, p->ssml.len))
        abort();
    /* addresses and dates at most triple a text; a lexicon entry may say 300 bytes for one */
    if (p->ssml.len > 64 + in_len * (lexicon ? 310 : 24))
        abort();
    for (const char *t = strchr(s, '<'); t; t = strchr(t + 1, '<')) {
        if (strncmp(t, "<speak>", 7) && strncmp(t, "</speak>", 8) &&
            strncmp(t, "<break time=\"", 13))
            abort();
    }
    if (!lexicon_has_phonemes && strstr(s, "[["))
        abort();
    if (p->words == 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const langs[] = {"en", "en-US", "fr", "sw", "ar", "pt", "es", "de"};
    const char *in = (const char *)data;
    const char *sep = size > 6 ? memmem(in, size, "\n====\n", 6) : NULL;
    const char *text = sep ? sep + 6 : in;
    size_t tlen = sep ? size - (size_t)(sep + 6 - in) : size;
    cw_error err;
    memset(&err, 0, sizeof err);

    cw_lexicon *lx = NULL;
    int has_phonemes = 0;
    if (sep) {
        cw_diags notes = {0};
        int rc = cw_lexicon_parse(&lx, "speak.lexicon", in, (size_t)(sep - in), &notes, &err);
        if (rc) {
            check_error(rc, &err);
            if (lx)
                abort();
        }
        has_phonemes = memmem(in, (size_t)(sep - in), "[[", 2) != NULL;
        cw_diags_free(&notes);
    }
    unsigned sel = size ? data[0] : 0;
    cw_prep_opts o = {.source = "news.txt", .language = langs[sel % 8], .lexicon = lx,
                      .drop_addresses = (sel >> 3) & 1, .paragraph_pause = 0.6,
                      .heading_pause = 1.2, .max_chars = 4000};
    cw_prepared p, q;
    int rc = cw_speak_prepare(text, tlen, &o, &p, &err);
    if (rc) {
        check_error(rc, &err);
    } else {
        check_ssml(&p, tlen, has_phonemes, lx != NULL);
        int rc2 = cw_speak_prepare(text, tlen, &o, &q, &err);
        if (rc2 || q.ssml.len != p.ssml.len || memcmp(q.ssml.data, p.ssml.data, p.ssml.len))
            abort();
        cw_prepared_free(&q);
    }
    cw_prepared_free(&p);
    cw_lexicon_free(lx);

    /* the same bytes as a speech script */
    size_t parts = 0;
    rc = cw_speech_script_check(in, size, &parts, &err);
    if (rc)
        check_error(rc, &err);
    else if (parts < 1 || parts > 16)
        abort();
    return 0;
}
