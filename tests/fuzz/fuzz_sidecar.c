/* fuzz_sidecar.c — libFuzzer target for teachers' notes (cw_sidecar_parse) and the default
 * title from a file name (cw_default_title): any bytes give metadata or one error naming a
 * line, never a crash, leak or hang. Also checks the parser's promises: on error *out is
 * empty and the text is non-empty; on success every string is valid UTF-8 with no line
 * break and no edge blanks, the episode is 0..999, the kind lesson/newsletter/filler/none;
 * notes are capped, valid UTF-8 and free of control characters. */
#include "audio.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_str(const char *s)
{
    if (!s)
        return;
    size_t n = strlen(s);
    if (n == 0 || !cw_utf8_valid(s, n) || strchr(s, '\n') || strchr(s, '\r'))
        abort();
    if (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t')
        abort();
}

static void check_title(const uint8_t *data, size_t size)
{
    /* the bytes as a file name (up to the first NUL), with a limit from the first byte */
    if (size == 0)
        return;
    size_t max = 1 + data[0] % 64;
    char *name = cw_strndup((const char *)data + 1, size - 1);
    if (!name)
        return;
    char out[80];
    int cut = cw_default_title(name, out, sizeof out, max);
    size_t n = strlen(out);
    if (n > max || (cut != 0 && cut != 1))
        abort();
    /* a UTF-8 name is never cut inside a character */
    if (cw_utf8_valid(name, strlen(name)) && !cw_utf8_valid(out, n))
        abort();
    free(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cw_sidecar sm;
    cw_strlist notes = {0};
    cw_error err;
    memset(&err, 0, sizeof err);
    memset(&sm, 0x5a, sizeof sm); /* the parser must overwrite whatever was there */
    int rc = cw_sidecar_parse((const char *)data, size, &sm, &notes, &err);
    if (rc != CW_OK) {
        if ((rc != CW_EINVAL && rc != CW_ENOMEM) || !err.text[0] || err.line < 0)
            abort();
        if (sm.series || sm.title || sm.teacher || sm.language || sm.description || sm.date ||
            sm.valid_from || sm.valid_until || sm.episode || sm.kind)
            abort();
        if (!cw_utf8_valid(err.text, strlen(err.text)))
            abort();
        for (const unsigned char *c = (const unsigned char *)err.text; *c; c++)
            if (*c < 0x20 || *c == 0x7f)
                abort();
    } else {
        check_str(sm.series);
        check_str(sm.title);
        check_str(sm.teacher);
        check_str(sm.language);
        check_str(sm.description);
        check_str(sm.date);
        check_str(sm.valid_from);
        check_str(sm.valid_until);
        if (sm.episode < 0 || sm.episode > 999)
            abort();
        if (sm.kind != CW_KIND_NONE && sm.kind != CW_KIND_LESSON && sm.kind != CW_KIND_NEWSLETTER &&
            sm.kind != CW_KIND_FILLER)
            abort();
    }
    if (notes.n > CW_SIDECAR_MAX_NOTES + 1)
        abort();
    for (size_t i = 0; i < notes.n; i++) {
        const unsigned char *c = (const unsigned char *)notes.v[i];
        if (!cw_utf8_valid(notes.v[i], strlen(notes.v[i])))
            abort();
        for (; *c; c++)
            if (*c < 0x20 || *c == 0x7f)
                abort();
    }
    cw_sidecar_clear(&sm);
    cw_strlist_free(&notes);
    check_title(data, size);
    return 0;
}
