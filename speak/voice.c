/* voice.c — which eSpeak NG voice speaks an item: --voice, else [speak] LANG.voice, else the
 * voice eSpeak NG itself picks for the language; and, for a language no voice reads (eSpeak
 * NG 1.51 has no Hausa, Yoruba, Igbo, Wolof, ...), the closest voices: same language family
 * (ISO 639-5, the folders of eSpeak NG's voice files) and the languages spoken alongside it,
 * so a station can choose one (`ha.voice = sw`).
 * Guarantees: a refusal is one sentence listing voices that are installed; the choice is a
 * function of the settings and the installed voices only. */
#include "speak_int.h"
#include "audio.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* Languages without an eSpeak NG 1.51 voice that stations broadcast in: their family
 * (ISO 639-5, most specific first) and languages of wider use where they are spoken. */
static const struct {
    const char *code, *name, *families, *alongside;
} nearby[] = {
    {"ha", "Hausa", "cdc afa", "en fr ar"},    {"yo", "Yoruba", "alv nic", "en fr"},
    {"ig", "Igbo", "alv nic", "en"},           {"ff", "Fula", "alv nic", "fr en ar"},
    {"wo", "Wolof", "alv nic", "fr"},          {"ak", "Akan", "alv nic", "en"},
    {"tw", "Twi", "alv nic", "en"},            {"ee", "Ewe", "alv nic", "en fr"},
    {"bm", "Bambara", "dmn nic", "fr"},        {"mos", "Mossi", "alv nic", "fr"},
    {"kr", "Kanuri", "ssa", "en fr ar"},       {"so", "Somali", "cus afa", "ar en"},
    {"ti", "Tigrinya", "sem afa", "am ar en"}, {"rw", "Kinyarwanda", "bnt alv nic", "fr en sw"},
    {"rn", "Kirundi", "bnt alv nic", "fr sw"}, {"lg", "Luganda", "bnt alv nic", "en sw"},
    {"ln", "Lingala", "bnt alv nic", "fr"},    {"kg", "Kongo", "bnt alv nic", "fr pt"},
    {"sn", "Shona", "bnt alv nic", "en"},      {"zu", "Zulu", "bnt alv nic", "en af"},
    {"xh", "Xhosa", "bnt alv nic", "en af"},   {"st", "Sesotho", "bnt alv nic", "en tn"},
    {"ny", "Chichewa", "bnt alv nic", "en"},   {"ki", "Kikuyu", "bnt alv nic", "sw en"},
    {"luo", "Dholuo", "sdv ssa", "sw en"},     {"mg", "Malagasy", "poz map", "fr"},
    {"kab", "Kabyle", "ber afa", "fr ar"},     {"ber", "Berber", "ber afa", "ar fr"},
    {"ps", "Pashto", "ira iir ine", "fa ur"},  {"ful", "Fula", "alv nic", "fr en ar"},
    {"hau", "Hausa", "cdc afa", "en fr ar"},   {"yor", "Yoruba", "alv nic", "en fr"},
    {"ibo", "Igbo", "alv nic", "en"},          {"wol", "Wolof", "alv nic", "fr"},
};

/* The families above each eSpeak NG voice folder. */
static const struct {
    const char *family, *ancestors;
} tree[] = {
    {"bnt", "alv nic"}, {"sem", "afa"},     {"cus", "afa"},     {"gmw", "gem ine"},
    {"gmq", "gem ine"}, {"roa", "itc ine"}, {"itc", "ine"},     {"zle", "sla ine"},
    {"zls", "sla ine"}, {"zlw", "sla ine"}, {"inc", "iir ine"}, {"ira", "iir ine"},
    {"cel", "ine"},     {"grk", "ine"},     {"bat", "ine"},     {"ine", ""},
    {"poz", "map"},     {"map", ""},
};

/* ISO 639-2/3 codes people write for languages eSpeak NG knows by their 639-1 code. */
static const struct {
    const char *three, *two;
} codes3[] = {{"eng", "en"}, {"fra", "fr"}, {"fre", "fr"}, {"swa", "sw"}, {"swh", "sw"},
              {"ara", "ar"}, {"arb", "ar"}, {"por", "pt"}, {"spa", "es"}, {"deu", "de"},
              {"ger", "de"}, {"amh", "am"}, {"orm", "om"}, {"tsn", "tn"}, {"afr", "af"},
              {"ita", "it"}, {"nld", "nl"}, {"dut", "nl"}, {"hin", "hi"}, {"urd", "ur"},
              {"fas", "fa"}, {"per", "fa"}, {"tur", "tr"}, {"rus", "ru"}, {"zho", "cmn"},
              {"chi", "cmn"}, {"ind", "id"}, {"msa", "ms"}, {"may", "ms"}};

int cw_speak_language_ok(const char *s)
{
    if (!s)
        return 0;
    size_t n = strlen(s), i = 0;
    while (i < n && isalpha((unsigned char)s[i]))
        i++;
    if (i < 2 || i > 3 || n > 35)
        return 0;
    while (i < n) {
        if (s[i] != '-' && s[i] != '_')
            return 0;
        size_t j = ++i;
        while (i < n && isalnum((unsigned char)s[i]))
            i++;
        if (i == j || i - j > 8)
            return 0;
    }
    return 1;
}

static int has_word(const char *list, const char *w, size_t wn)
{
    for (const char *p = list; *p;) {
        while (*p == ' ')
            p++;
        const char *e = p;
        while (*e && *e != ' ')
            e++;
        if ((size_t)(e - p) == wn && !strncmp(p, w, wn))
            return 1;
        p = e;
    }
    return 0;
}

/* The voice for a language tag: eSpeak NG's choice, else the same for its 639-1 code. */
static const cw_voice *voice_for(const cw_voices *vs, const char *language)
{
    const cw_voice *v = cw_tts_voice_for_language(vs, language);
    if (v)
        return v;
    size_t n = strcspn(language, "-_");
    for (size_t i = 0; i < sizeof codes3 / sizeof codes3[0]; i++)
        if (n == 3 && !strncasecmp(language, codes3[i].three, 3))
            return cw_tts_voice_for_language(vs, codes3[i].two);
    return NULL;
}

/* "ar (Arabic), am (Amharic)" for voices in or under `families`; at most `max`. */
static size_t list_family(const cw_voices *vs, const char *families, cw_buf *out, size_t max)
{
    size_t k = 0;
    for (size_t i = 0; i < vs->n && k < max; i++) {
        const cw_voice *v = &vs->v[i];
        int close = v->family[0] && has_word(families, v->family, strlen(v->family));
        for (size_t t = 0; !close && t < sizeof tree / sizeof tree[0]; t++)
            if (!strcmp(tree[t].family, v->family))
                for (const char *a = tree[t].ancestors; *a && !close;) {
                    size_t al = strcspn(a, " ");
                    close = has_word(families, a, al);
                    a += al + (a[al] == ' ');
                }
        if (!close)
            continue;
        cw_buf_printf(out, "%s%s (%s)", k ? ", " : "", v->name, v->title);
        k++;
    }
    return k;
}

/* Edit distance of two short strings, case-insensitive (99 when either is long). */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 30 || lb > 30)
        return 99;
    size_t prev[32], cur[32];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, (lb + 1) * sizeof prev[0]);
    }
    return prev[lb];
}

/* Voices whose name is one edit from what was asked, or whose title starts with it
 * ("Swahili", "french"). */
static size_t list_similar(const cw_voices *vs, const char *asked, cw_buf *out, size_t max)
{
    size_t k = 0, n = strlen(asked);
    for (size_t i = 0; i < vs->n && k < max; i++) {
        const cw_voice *v = &vs->v[i];
        if ((n >= 3 && !strncasecmp(v->title, asked, n)) || distance(v->name, asked) <= 1) {
            cw_buf_printf(out, "%s%s (%s)", k ? ", " : "", v->name, v->title);
            k++;
        }
    }
    return k;
}

void cw_speak_close_voices(const cw_voices *vs, const char *language, cw_buf *out)
{
    size_t n = strcspn(language, "-_");
    for (size_t i = 0; i < sizeof nearby / sizeof nearby[0]; i++) {
        if (strlen(nearby[i].code) != n || strncasecmp(language, nearby[i].code, n))
            continue;
        cw_buf_printf(out, " (%s); in its family: ", nearby[i].name);
        if (!list_family(vs, nearby[i].families, out, 6))
            cw_buf_puts(out, "none");
        cw_buf_puts(out, "; spoken alongside it: ");
        size_t k = 0;
        for (const char *a = nearby[i].alongside; *a;) {
            size_t al = strcspn(a, " ");
            char code[8];
            snprintf(code, sizeof code, "%.*s", (int)al, a);
            const cw_voice *v = cw_tts_voice_for_language(vs, code);
            if (v)
                cw_buf_printf(out, "%s%s (%s)", k++ ? ", " : "", v->name, v->title);
            a += al + (a[al] == ' ');
        }
        if (!k)
            cw_buf_puts(out, "none");
        return;
    }
    cw_buf tmp;
    cw_buf_init(&tmp);
    if (list_similar(vs, language, &tmp, 6) && tmp.data)
        cw_buf_printf(out, "; similar: %s", tmp.data);
    cw_buf_free(&tmp);
}

int cw_speak_voice_choose(const cw_station *st, const cw_voices *vs, const char *language,
                          const char *voice, cw_speak_voice *out, cw_error *err)
{
    memset(out, 0, sizeof *out);
    if (!cw_speak_language_ok(language))
        return cw_fail(err, CW_EINVAL, "", 0, "'%s' is not a language code (write e.g. en, fr, "
                       "sw, ar or en-gb)", language ? language : "");
    const cw_speak_lang *sl = cw_speak_settings_lang(&st->speak, language);
    out->speed = sl && sl->speed ? sl->speed : st->speak.speed;
    out->pitch = sl && sl->pitch >= 0 ? sl->pitch : st->speak.pitch;
    const char *want = voice && *voice ? voice : sl ? sl->voice : NULL;
    const cw_voice *v = NULL;
    char variant[40] = "";
    if (want) {
        char base[96];
        const char *plus = strchr(want, '+');
        size_t bl = plus ? (size_t)(plus - want) : strlen(want);
        if (bl >= sizeof base || (plus && strlen(plus + 1) >= sizeof variant))
            return cw_fail(err, CW_EINVAL, "", 0, "'%s' is not a voice (see 'chalkwave speak "
                           "--list-voices')", want);
        memcpy(base, want, bl);
        base[bl] = 0;
        v = cw_tts_find_voice(vs, base);
        if (!v && cw_speak_language_ok(base))
            v = voice_for(vs, base);
        if (!v) {
            cw_buf near;
            cw_buf_init(&near);
            list_similar(vs, base, &near, 6);
            int rc = cw_fail(err, CW_EINVAL, "", 0, "eSpeak NG has no voice '%s'%s%s (see "
                             "'chalkwave speak --list-voices')", base,
                             near.len ? "; similar: " : "", near.len ? near.data : "");
            cw_buf_free(&near);
            return rc;
        }
        if (plus) {
            const char *var = plus + 1;
            size_t k = 0;
            while (k < vs->variants.n && strcasecmp(vs->variants.v[k], var))
                k++;
            if (k == vs->variants.n)
                return cw_fail(err, CW_EINVAL, "", 0, "eSpeak NG has no variant '%s' (variants "
                               "change the timbre: f1 to f5, m1 to m7, croak, klatt, ...; see "
                               "'chalkwave speak --list-voices')", var);
            snprintf(variant, sizeof variant, "+%s", vs->variants.v[k]);
        }
    } else {
        v = voice_for(vs, language);
        if (!v) {
            cw_buf close;
            cw_buf_init(&close);
            cw_speak_close_voices(vs, language, &close);
            int rc = cw_fail(err, CW_EINVAL, "", 0, "eSpeak NG has no voice for '%s'%s (choose "
                             "one with --voice or a 'Voice:' line at the top of the text, or set %.*s.voice in "
                             "[speak] of station.conf; "
                             "all voices: chalkwave speak --list-voices)", language,
                             close.len ? close.data : "", (int)strcspn(language, "-_"), language);
            cw_buf_free(&close);
            return rc;
        }
    }
    snprintf(out->name, sizeof out->name, "%s%s", v->name, variant);
    snprintf(out->spec, sizeof out->spec, "%s%s", v->id, variant);
    return 0;
}
