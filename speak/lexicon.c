/* lexicon.c — the station's pronunciation fixes (speak.lexicon): names, places and
 * abbreviations eSpeak NG says wrongly, one `word = say it like this` per line, per language
 * in sections ([fr]) or with a prefix (fr: word = ...); a value in [[ ]] is phonemes.
 * Matching: whole words (a key may be several words; any run of blanks in the text matches
 * the blank in a key), the longest key first, then the most specific language.
 * Guarantees: a line that cannot be used is an error naming its line (a silently ignored fix
 * would air wrongly); bounded (CW_LEXICON_MAX_BYTES, CW_LEXICON_MAX_ENTRIES). */
#include "speak_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 100
#define SAY_MAX 300

typedef struct lex_entry {
    char *key, *lkey, *say; /* as written (blanks collapsed), lower-cased, replacement */
    char lang[40];          /* "" for every language */
    int exact;              /* the key has capitals: as written or in all capitals */
    int line;
} lex_entry;

struct cw_lexicon {
    lex_entry *v; /* sorted by lkey, then by language */
    size_t n;
};

static int cmp_entry(const void *a, const void *b)
{
    const lex_entry *x = a, *y = b;
    int c = strcmp(x->lkey, y->lkey);
    if (c)
        return c;
    c = strcmp(x->lang, y->lang);
    return c ? c : x->line - y->line;
}

void cw_lexicon_free(cw_lexicon *lx)
{
    if (!lx)
        return;
    for (size_t i = 0; i < lx->n; i++) {
        free(lx->v[i].key);
        free(lx->v[i].lkey);
        free(lx->v[i].say);
    }
    free(lx->v);
    free(lx);
}

/* A language tag: 2-3 letters, then -subtags of 1-8 letters or digits. */
static int lang_tag_ok(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && isalpha((unsigned char)s[i]))
        i++;
    if (i < 2 || i > 3)
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
    return n <= 35;
}

static void lower_tag(char *dst, size_t cap, const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < cap; i++)
        dst[k++] = s[i] == '_' ? '-' : (char)tolower((unsigned char)s[i]);
    dst[k] = 0;
}

static const char *trim(const char *s, const char *e, const char **end)
{
    while (s < e && (*s == ' ' || *s == '\t'))
        s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        e--;
    *end = e;
    return s;
}

typedef struct lex_parse {
    cw_lexicon *lx;
    size_t cap;
    const char *source;
    cw_diags *notes;
    cw_error *err;
    char section[40];
} lex_parse;

/* Blanks collapsed to one space. */
static char *collapse(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (!d)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ' ' || s[i] == '\t') {
            if (k && d[k - 1] != ' ')
                d[k++] = ' ';
        } else {
            d[k++] = s[i];
        }
    }
    while (k && d[k - 1] == ' ')
        k--;
    d[k] = 0;
    return d;
}

static int bad(lex_parse *p, int line, const char *what)
{
    return cw_fail(p->err, CW_EINVAL, p->source, line, "line %d: %s", line, what);
}

/* The value: [[phonemes]] (then only a comment may follow) or a respelling up to a " ;"
 * or " #" comment. */
static int parse_value(lex_parse *p, int line, const char *v, const char *e, char **out)
{
    *out = NULL;
    const char *ve;
    v = trim(v, e, &ve);
    if (ve - v >= 2 && v[0] == '[' && v[1] == '[') {
        const char *close = NULL;
        for (const char *q = v + 2; q + 1 < ve; q++)
            if (q[0] == ']' && q[1] == ']') {
                close = q;
                break;
            }
        if (!close)
            return bad(p, line, "the phonemes have no closing ']]' (write [[phonemes]])");
        const char *rest = close + 2, *re;
        rest = trim(rest, ve, &re);
        if (rest < re && *rest != ';' && *rest != '#')
            return bad(p, line, "text after the closing ']]' (put a comment after ';')");
        if (close == v + 2)
            return bad(p, line, "the phonemes are empty");
        for (const char *q = v + 2; q < close; q++)
            if ((unsigned char)*q < 0x20 || (unsigned char)*q > 0x7e || *q == '[' || *q == ']' ||
                *q == '<' || *q == '>' || *q == '&')
                return bad(p, line, "phonemes are written in eSpeak NG's ASCII notation "
                           "(no brackets, '<', '>' or '&'; see 'espeak-ng -x')");
        if (close + 2 - v > SAY_MAX)
            return bad(p, line, "the phonemes are longer than 300 characters");
        *out = collapse(v, (size_t)(close + 2 - v));
        return *out ? 0 : cw_fail(p->err, CW_ENOMEM, p->source, line, "out of memory");
    }
    for (const char *q = v; q < ve; q++)
        if ((*q == ';' || *q == '#') && (q == v || q[-1] == ' ' || q[-1] == '\t')) {
            ve = q;
            break;
        }
    v = trim(v, ve, &ve);
    if (v == ve)
        return bad(p, line, "nothing after '=' (write how to say the word)");
    if (ve - v > SAY_MAX)
        return bad(p, line, "the way to say it is longer than 300 characters");
    for (const char *q = v; q < ve; q++)
        if (*q == '[' || *q == ']' || *q == '<' || *q == '>')
            return bad(p, line, "brackets are not spoken: write the word as it sounds, or "
                       "phonemes as [[...]]");
    *out = collapse(v, (size_t)(ve - v));
    return *out ? 0 : cw_fail(p->err, CW_ENOMEM, p->source, line, "out of memory");
}

static int add_entry(lex_parse *p, int line, const char *lang, const char *k, const char *ke,
                     const char *v, const char *e)
{
    if (k == ke)
        return bad(p, line, "nothing before '=' (write 'word = how to say it')");
    if (ke - k > KEY_MAX)
        return bad(p, line, "the word is longer than 100 characters");
    for (const char *q = k; q < ke; q++)
        if (*q == '[' || *q == ']' || *q == '<' || *q == '>' || *q == '&')
            return bad(p, line, "brackets, '<', '>' and '&' cannot be part of a word");
    if (p->lx->n >= CW_LEXICON_MAX_ENTRIES)
        return cw_fail(p->err, CW_ELIMIT, p->source, line, "more than %d entries (keep the "
                       "lexicon to the words eSpeak NG says wrongly)", CW_LEXICON_MAX_ENTRIES);
    char *say;
    int rc = parse_value(p, line, v, e, &say);
    if (rc)
        return rc;
    lex_entry ent = {.key = collapse(k, (size_t)(ke - k)), .say = say, .line = line};
    snprintf(ent.lang, sizeof ent.lang, "%s", lang);
    cw_buf low;
    cw_buf_init(&low);
    if (ent.key)
        spk_lower(&low, ent.key, strlen(ent.key));
    ent.lkey = low.data;
    if (!ent.key || !ent.lkey || low.oom) {
        free(ent.key);
        free(ent.say);
        cw_buf_free(&low);
        return cw_fail(p->err, CW_ENOMEM, p->source, line, "out of memory");
    }
    ent.exact = strcmp(ent.key, ent.lkey) != 0;
    if (p->lx->n == p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 32;
        lex_entry *nv = realloc(p->lx->v, nc * sizeof *nv);
        if (!nv) {
            free(ent.key);
            free(ent.lkey);
            free(ent.say);
            return cw_fail(p->err, CW_ENOMEM, p->source, line, "out of memory");
        }
        p->lx->v = nv;
        p->cap = nc;
    }
    p->lx->v[p->lx->n++] = ent;
    return 0;
}

static int parse_line(lex_parse *p, int line, const char *s, const char *e)
{
    s = trim(s, e, &e);
    if (s == e || *s == ';' || *s == '#')
        return 0;
    if (*s == '[') {
        const char *close = memchr(s, ']', (size_t)(e - s));
        const char *ne, *name = trim(s + 1, close ? close : e, &ne);
        const char *after = close ? close + 1 : e, *ae;
        after = trim(after, e, &ae);
        if (!close || (after < ae && *after != ';' && *after != '#'))
            return bad(p, line, "a section is written [LANGUAGE], e.g. [fr] (or [*] for every "
                       "language)");
        if ((ne - name == 1 && *name == '*') || (ne - name == 3 && !strncmp(name, "all", 3))) {
            p->section[0] = 0;
            return 0;
        }
        if (!lang_tag_ok(name, (size_t)(ne - name)))
            return bad(p, line, "the section is not a language code (write e.g. [fr], [en-gb] "
                       "or [*])");
        lower_tag(p->section, sizeof p->section, name, (size_t)(ne - name));
        return 0;
    }
    const char *eq = memchr(s, '=', (size_t)(e - s));
    if (!eq)
        return bad(p, line, "not 'word = how to say it' (comments start with ';')");
    char lang[40];
    snprintf(lang, sizeof lang, "%s", p->section);
    const char *colon = memchr(s, ':', (size_t)(eq - s));
    const char *k = s;
    if (colon) {
        const char *te, *t = trim(s, colon, &te);
        if (lang_tag_ok(t, (size_t)(te - t))) {
            lower_tag(lang, sizeof lang, t, (size_t)(te - t));
            k = colon + 1;
        }
    }
    const char *ke;
    k = trim(k, eq, &ke);
    return add_entry(p, line, lang, k, ke, eq + 1, e);
}

int cw_lexicon_parse(cw_lexicon **out, const char *source, const char *text, size_t len,
                     cw_diags *notes, cw_error *err)
{
    *out = NULL;
    if (len > CW_LEXICON_MAX_BYTES)
        return cw_fail(err, CW_ELIMIT, source, 0, "the lexicon is larger than %d KB (keep it "
                       "to the words eSpeak NG says wrongly)", CW_LEXICON_MAX_BYTES / 1024);
    size_t off = len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3) ? 3 : 0;
    cw_lexicon *lx = calloc(1, sizeof *lx);
    if (!lx)
        return cw_fail(err, CW_ENOMEM, source, 0, "out of memory");
    lex_parse p = {.lx = lx, .source = source, .notes = notes, .err = err};
    int line = 1, rc = 0;
    for (size_t i = off; i < len && !rc; line++) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - text) : len;
        if (memchr(text + i, 0, e - i))
            rc = bad(&p, line, "holds a NUL byte (save the lexicon as plain UTF-8 text)");
        else if (!cw_utf8_valid(text + i, e - i))
            rc = bad(&p, line, "is not UTF-8 (save the lexicon as UTF-8 text)");
        else
            rc = parse_line(&p, line, text + i, text + e);
        i = e + 1;
    }
    if (rc) {
        cw_lexicon_free(lx);
        return rc;
    }
    if (lx->n)
        qsort(lx->v, lx->n, sizeof *lx->v, cmp_entry);
    /* the same word twice for one language: the later line wins */
    size_t w = 0;
    for (size_t i = 0; i < lx->n; i++) {
        if (w && !strcmp(lx->v[w - 1].lkey, lx->v[i].lkey) &&
            !strcmp(lx->v[w - 1].key, lx->v[i].key) && !strcmp(lx->v[w - 1].lang, lx->v[i].lang)) {
            if (notes)
                cw_diags_addf(notes, CW_DIAG_WARNING, "speak.lexicon-duplicate", source,
                              lx->v[i].line, lx->v[i].key, "'%s' is also on line %d; line %d "
                              "is used (keep one line)", lx->v[i].key, lx->v[w - 1].line,
                              lx->v[i].line);
            free(lx->v[w - 1].key);
            free(lx->v[w - 1].lkey);
            free(lx->v[w - 1].say);
            lx->v[w - 1] = lx->v[i];
            continue;
        }
        lx->v[w++] = lx->v[i];
    }
    lx->n = w;
    *out = lx;
    return 0;
}

int cw_lexicon_load(cw_lexicon **out, const char *path, cw_diags *notes, cw_error *err)
{
    *out = NULL;
    char *text = NULL;
    size_t len = 0;
    int rc = cw_read_file(path, CW_LEXICON_MAX_BYTES, &text, &len, err);
    if (rc == CW_ENOTFOUND)
        return 0;
    if (rc == CW_ELIMIT)
        return cw_fail(err, CW_ELIMIT, path, 0, "the lexicon is larger than %d KB (keep it to "
                       "the words eSpeak NG says wrongly)", CW_LEXICON_MAX_BYTES / 1024);
    if (rc)
        return rc;
    rc = cw_lexicon_parse(out, path, text, len, notes, err);
    free(text);
    return rc;
}

/* Does an entry's language apply to the item's language? 0 no, else 1 + its specificity. */
static int lang_applies(const char *entry, const char *item)
{
    if (!entry[0])
        return 1;
    size_t n = strlen(entry);
    for (size_t i = 0; i < n; i++) {
        char c = item[i] == '_' ? '-' : (char)tolower((unsigned char)item[i]);
        if (!item[i] || c != entry[i])
            return 0;
    }
    return (item[n] == 0 || item[n] == '-' || item[n] == '_') ? 2 + (int)n : 0;
}

size_t cw_lexicon_count(const cw_lexicon *lx, const char *language)
{
    size_t n = 0;
    for (size_t i = 0; lx && i < lx->n; i++)
        n += lang_applies(lx->v[i].lang, language ? language : "") > 0;
    return n;
}

/* Match key at s: returns the matched length, 0 when it does not match. */
static size_t match_key(const lex_entry *e, const char *s, size_t n)
{
    const char *k = e->exact ? e->key : e->lkey;
    size_t kl = strlen(k), i = 0, j = 0;
    int all_caps = 1; /* for exact keys: the text is the key in capitals */
    int as_written = 1;
    while (j < kl) {
        if (i >= n)
            return 0;
        if (k[j] == ' ') {
            if (s[i] != ' ')
                return 0;
            while (i < n && s[i] == ' ')
                i++;
            j++;
            continue;
        }
        size_t tl, kl2;
        uint32_t tc = spk_cp(s + i, n - i, &tl);
        uint32_t kc = spk_cp(k + j, kl - j, &kl2);
        if (e->exact) {
            as_written &= tc == kc;
            all_caps &= spk_to_lower(tc) == spk_to_lower(kc) && !spk_is_lower(tc);
            if (!as_written && !all_caps)
                return 0;
        } else if (spk_to_lower(tc) != kc) {
            return 0;
        }
        i += tl;
        j += kl2;
    }
    /* a whole word: no word character right after a key that ends in one */
    size_t l1, l2;
    uint32_t last = 0;
    for (size_t q = 0; q < kl;) {
        last = spk_cp(k + q, kl - q, &l1);
        q += l1;
    }
    if (i < n && spk_is_word(last) && spk_is_word(spk_cp(s + i, n - i, &l2)))
        return 0;
    return i;
}

const char *spk_lexicon_match(const cw_lexicon *lx, const char *lang, const char *s, size_t n,
                              size_t *len)
{
    if (!lx || !lx->n || !n)
        return NULL;
    /* the entries whose lower-cased key starts with the lower-cased first character */
    cw_buf first;
    cw_buf_init(&first);
    size_t fl;
    spk_cp(s, n, &fl);
    spk_lower(&first, s, fl);
    if (first.oom || !first.data) {
        cw_buf_free(&first);
        return NULL;
    }
    size_t lo = 0, hi = lx->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strncmp(lx->v[mid].lkey, first.data, first.len) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    const char *best = NULL;
    size_t best_len = 0;
    int best_spec = 0;
    for (size_t i = lo; i < lx->n && !strncmp(lx->v[i].lkey, first.data, first.len); i++) {
        int spec = lang_applies(lx->v[i].lang, lang ? lang : "");
        if (!spec)
            continue;
        size_t m = match_key(&lx->v[i], s, n);
        if (m && (m > best_len || (m == best_len && spec > best_spec))) {
            best = lx->v[i].say;
            best_len = m;
            best_spec = spec;
        }
    }
    cw_buf_free(&first);
    *len = best_len;
    return best;
}
