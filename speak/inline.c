/* inline.c — one block of a partner's text into the words that are spoken: one left-to-right
 * pass that, at each position, reads a web or e-mail address, a lexicon word, a date, a
 * time, a phone number or an amount of money (lang.c says how each language reads them),
 * drops markup (Markdown emphasis, links, images, HTML tags and entities), and copies
 * everything else.
 * Guarantees: every step consumes at least one byte, so the pass is linear in the block;
 * the output is plain text with whitespace collapsed, and the only brackets in it are the
 * "[[...]]" phoneme spans the lexicon asked for. */
#include "speak_int.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#define MAX_ADDR 512 /* bytes: a longer "address" is read as text */

typedef struct scan {
    spk_inline_ctx *c;
    const char *s;
    size_t n;
    cw_buf *out;
    size_t skip_at, skip_to; /* a link's "](url)": jump from skip_at to skip_to */
} scan;

/* ---- output ---------------------------------------------------------------------------- */

static int out_ends_space(const cw_buf *o)
{
    return o->len == 0 || o->data[o->len - 1] == ' ';
}

static void put_space(cw_buf *o)
{
    if (!out_ends_space(o))
        cw_buf_puts(o, " ");
}

/* Append text as its own word(s): a space before it when the output does not end in one. */
static void put_word(cw_buf *o, const char *w)
{
    put_space(o);
    cw_buf_puts(o, w);
}

/* The last word of the output, lower-cased (ASCII and Latin letters), for "the the". */
static void prev_word(const cw_buf *o, char *w, size_t cap)
{
    w[0] = 0;
    if (!o->len)
        return;
    size_t e = o->len;
    while (e > 0 && o->data[e - 1] == ' ')
        e--;
    size_t b = e;
    while (b > 0 && o->data[b - 1] != ' ')
        b--;
    cw_buf tmp;
    cw_buf_init(&tmp);
    spk_lower(&tmp, o->data + b, e - b);
    if (tmp.data && tmp.len < cap)
        memcpy(w, tmp.data, tmp.len + 1);
    cw_buf_free(&tmp);
}

/* ---- character tests at a position ------------------------------------------------------ */

static uint32_t cp_at(const scan *z, size_t i, size_t *len)
{
    if (i >= z->n) {
        *len = 0;
        return 0;
    }
    return spk_cp(z->s + i, z->n - i, len);
}

/* The code point before i (0 at the start). */
static uint32_t cp_before(const scan *z, size_t i)
{
    if (i == 0)
        return 0;
    size_t b = i - 1;
    while (b > 0 && ((unsigned char)z->s[b] & 0xC0) == 0x80)
        b--;
    size_t len;
    return spk_cp(z->s + b, z->n - b, &len);
}

static int in_set(char ch, const char *set)
{
    return ch && strchr(set, ch);
}

static int digit(const scan *z, size_t i)
{
    return i < z->n && z->s[i] >= '0' && z->s[i] <= '9';
}

static int word_at(const scan *z, size_t i)
{
    size_t l;
    return i < z->n && spk_is_word(cp_at(z, i, &l));
}

static int word_start(const scan *z, size_t i)
{
    return !spk_is_word(cp_before(z, i));
}

/* Digits at i: count, value (capped). */
static size_t digits(const scan *z, size_t i, int *value)
{
    size_t k = 0;
    long v = 0;
    while (digit(z, i + k)) {
        if (v < 100000)
            v = v * 10 + (z->s[i + k] - '0');
        k++;
    }
    *value = (int)v;
    return k;
}

/* ---- addresses --------------------------------------------------------------------------- */

static const char *const tlds[] = {
    "com", "org", "net", "edu", "gov", "int", "info", "io", "africa", "news", "ng", "ke", "tz",
    "ug", "gh", "sn", "ci", "cm", "za", "rw", "et", "eg", "ma", "tn", "dz", "ml", "bf", "ne",
    "td", "bj", "tg", "cd", "cg", "ga", "mg", "mz", "zm", "zw", "mw", "so", "sd", "ss", "lr",
    "sl", "gm", "gn", "fr", "uk", "be", "ch", "ca", "us", "de", "pt", "es", "br", "in", "ae",
    "sa", "qa", "jo", "lb", "eu", "co", "ac", "go", "or",
};

static int host_char(char ch)
{
    return isalnum((unsigned char)ch) || ch == '-' || ch == '.';
}

/* A host name at i: labels of [A-Za-z0-9-] joined by dots, at least two, the last a known
 * top-level domain (or any when `any_tld`). Returns its length (0 when none). */
static size_t host_at(const scan *z, size_t i, int any_tld)
{
    size_t k = i;
    while (k < z->n && host_char(z->s[k]) && k - i < MAX_ADDR)
        k++;
    while (k > i && (z->s[k - 1] == '.' || z->s[k - 1] == '-'))
        k--;
    size_t len = k - i;
    if (len < 3 || !memchr(z->s + i, '.', len) || z->s[i] == '.' || z->s[i] == '-')
        return 0;
    for (size_t j = i; j + 1 < k; j++)
        if (z->s[j] == '.' && z->s[j + 1] == '.')
            return 0;
    /* the last label */
    size_t d = k;
    while (d > i && z->s[d - 1] != '.')
        d--;
    size_t tl = k - d;
    if (tl < 2)
        return 0;
    for (size_t j = d; j < k; j++)
        if (!isalpha((unsigned char)z->s[j]))
            return 0;
    if (any_tld)
        return len;
    for (size_t t = 0; t < sizeof tlds / sizeof tlds[0]; t++)
        if (strlen(tlds[t]) == tl && !strncasecmp(z->s + d, tlds[t], tl))
            return len;
    return 0;
}

/* Read n bytes of an address part: '.', '-', '_', '/' as words, the rest as it is. */
static void say_addr_part(scan *z, const char *p, size_t n)
{
    const spk_lang *L = z->c->L;
    const char *dot = L ? L->dot : "dot", *dash = L ? L->dash : "dash",
               *under = L ? L->underscore : "underscore", *slash = L ? L->slash : "slash";
    put_space(z->out);
    for (size_t j = 0; j < n; j++) {
        const char *w = p[j] == '.' ? dot : p[j] == '-' ? dash : p[j] == '_' ? under
                      : p[j] == '/' ? slash : NULL;
        if (w) {
            put_word(z->out, w);
            cw_buf_puts(z->out, " ");
        } else if (isalnum((unsigned char)p[j])) {
            cw_buf_append(z->out, p + j, 1);
        }
    }
}

static void say_host(scan *z, const char *h, size_t n)
{
    if (n > 4 && !strncasecmp(h, "www.", 4)) {
        h += 4;
        n -= 4;
    }
    say_addr_part(z, h, n);
}

/* An e-mail address at i (a word start): local@host. */
static size_t email_at(scan *z, size_t i)
{
    size_t k = i;
    while (k < z->n && k - i < 64 &&
           (isalnum((unsigned char)z->s[k]) || in_set(z->s[k], "._%+-")))
        k++;
    if (k == i || k >= z->n || z->s[k] != '@' || z->s[i] == '.')
        return 0;
    size_t h = host_at(z, k + 1, 1);
    if (!h || word_at(z, k + 1 + h))
        return 0;
    if (!z->c->o->drop_addresses) {
        say_addr_part(z, z->s + i, k - i);
        put_word(z->out, z->c->L ? z->c->L->at : "at");
        say_host(z, z->s + k + 1, h);
    }
    z->c->addresses++;
    return k + 1 + h - i;
}

/* A web address at i: http(s)://..., www...., or a bare name with a known top-level
 * domain. Scheme, "www.", queries and long paths are not read. */
static size_t url_at(scan *z, size_t i)
{
    size_t p = i;
    int scheme = 0;
    if (z->n - i > 8 && !strncasecmp(z->s + i, "https://", 8))
        p += 8, scheme = 1;
    else if (z->n - i > 7 && !strncasecmp(z->s + i, "http://", 7))
        p += 7, scheme = 1;
    size_t h = host_at(z, p, scheme || (z->n - p > 4 && !strncasecmp(z->s + p, "www.", 4)));
    if (!h)
        return 0;
    size_t e = p + h;
    if (e < z->n && (z->s[e] == '@' || (z->s[e] == '.' && word_at(z, e + 1))))
        return 0;
    /* path, query, fragment: up to a blank or a closing bracket or quote */
    size_t path = e, pe = e;
    if (e < z->n && (z->s[e] == '/' || z->s[e] == '?' || z->s[e] == '#' || z->s[e] == ':')) {
        while (pe < z->n && pe - i < MAX_ADDR && !isspace((unsigned char)z->s[pe]) &&
               !in_set(z->s[pe], "<>\"')]") && (unsigned char)z->s[pe] < 0x80)
            pe++;
        while (pe > e && in_set(z->s[pe - 1], ".,;:!?"))
            pe--;
    } else if (word_at(z, e)) {
        return 0;
    }
    if (!z->c->o->drop_addresses) {
        say_host(z, z->s + p, h);
        /* a short path is read; queries, fragments, ports and long paths are not */
        size_t q = path;
        if (q < pe && z->s[q] == '/') {
            size_t end = q;
            while (end < pe && z->s[end] != '?' && z->s[end] != '#')
                end++;
            while (end > q && z->s[end - 1] == '/')
                end--;
            int segs = 0;
            for (size_t j = q; j < end; j++)
                segs += z->s[j] == '/';
            if (end > q && segs <= 3 && end - q <= 40)
                say_addr_part(z, z->s + q, end - q);
        }
    }
    z->c->addresses++;
    return pe - i;
}

/* ---- numbers: dates, times, phones, money ------------------------------------------------ */

static int valid_date(int y, int m, int d)
{
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || y > 2199 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return 0;
    return !(m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
}

/* A number ends here: no digit, no separator followed by a digit. */
static int number_ends(const scan *z, size_t i)
{
    if (digit(z, i))
        return 0;
    if (i < z->n && in_set(z->s[i], "-/.:") && digit(z, i + 1))
        return 0;
    return !word_at(z, i);
}

static size_t date_at(scan *z, size_t i)
{
    const spk_lang *L = z->c->L;
    if (!L)
        return 0;
    int a, b, c;
    size_t na = digits(z, i, &a);
    if (!na || i + na >= z->n)
        return 0;
    char sep = z->s[i + na];
    if (sep != '-' && sep != '/' && sep != '.')
        return 0;
    size_t nb = digits(z, i + na + 1, &b);
    if (!nb || nb > 2 || i + na + 1 + nb >= z->n || z->s[i + na + 1 + nb] != sep)
        return 0;
    size_t nc = digits(z, i + na + 2 + nb, &c);
    size_t end = i + na + 2 + nb + nc;
    if (!nc || !number_ends(z, end))
        return 0;
    int y, m, d;
    if (na == 4 && nc <= 2) {
        y = a, m = b, d = c;
    } else if (na <= 2 && (nc == 4 || (nc == 2 && sep != '-'))) {
        y = nc == 2 ? 2000 + c : c;
        int month_first = spk_lang_month_first(z->c->o->language);
        if (a > 12)
            month_first = 0;
        else if (b > 12)
            month_first = 1;
        d = month_first ? b : a;
        m = month_first ? a : b;
    } else {
        return 0;
    }
    if (!valid_date(y, m, d))
        return 0;
    char prev[64];
    prev_word(z->out, prev, sizeof prev);
    put_space(z->out);
    spk_say_date(z->out, L, z->c->o->language, y, m, d, prev);
    z->c->dates++;
    return end - i;
}

/* am/pm after a time (optional blank first): 1 a.m., 2 p.m.; *len bytes. */
static int ampm_at(const scan *z, size_t i, size_t *len)
{
    size_t k = i;
    if (k < z->n && z->s[k] == ' ')
        k++;
    static const char *const forms[] = {"a.m.", "p.m.", "am", "pm", "a.m", "p.m"};
    for (size_t f = 0; f < sizeof forms / sizeof forms[0]; f++) {
        size_t fl = strlen(forms[f]);
        if (z->n - k >= fl && !strncasecmp(z->s + k, forms[f], fl) && !word_at(z, k + fl) &&
            !(forms[f][fl - 1] != '.' && k + fl < z->n && z->s[k + fl] == '.' && word_at(z, k + fl + 1))) {
            *len = k + fl - i;
            return tolower((unsigned char)forms[f][0]) == 'a' ? 1 : 2;
        }
    }
    return 0;
}

static int time_context(const char *w)
{
    char t[64];
    size_t n = strlen(w);
    while (n && strchr(":,;", w[n - 1]))
        n--;
    snprintf(t, sizeof t, "%.*s", (int)n, w);
    w = t;
    static const char *const ctx[] = {"at", "from", "to", "until", "till", "by", "before",
                                      "after", "between", "and", "à", "a", "de", "vers", "dès",
                                      "et", "jusqu'à", "saa", "kuanzia", "hadi", "mpaka", "na",
                                      "às", "das", "até", "e", "las", "desde", "hasta", "y",
                                      "الساعة", "-", "–", "time", "heure", "hora", "horario", "horário", "muda"};
    for (size_t k = 0; k < sizeof ctx / sizeof ctx[0]; k++)
        if (!strcmp(w, ctx[k]))
            return 1;
    return 0;
}

/* Is the word before i capitalised (a name: "John 3:16", "Luke 10:25")? Then an hour
 * without "at" or am/pm is left to eSpeak NG, which reads it as two numbers. */
static int after_name(const scan *z, size_t i)
{
    size_t k = i;
    while (k > 0 && z->s[k - 1] == ' ')
        k--;
    size_t e = k;
    while (k > 0 && z->s[k - 1] != ' ')
        k--;
    if (k == e)
        return 0;
    size_t l;
    return spk_is_upper(spk_cp(z->s + k, e - k, &l));
}

static size_t time_at(scan *z, size_t i)
{
    const spk_lang *L = z->c->L;
    if (!L)
        return 0;
    int h, m = 0;
    size_t nh = digits(z, i, &h), k = i + nh, al = 0;
    if (!nh || nh > 2 || h > 23)
        return 0;
    int sep = 0; /* ':' or '.', 'h' */
    if (k + 2 < z->n && (z->s[k] == ':' || z->s[k] == '.') && digit(z, k + 1) && digit(z, k + 2) &&
        !digit(z, k + 3)) {
        sep = z->s[k];
        m = (z->s[k + 1] - '0') * 10 + (z->s[k + 2] - '0');
        k += 3;
        if (sep == ':' && k + 2 < z->n && z->s[k] == ':' && digit(z, k + 1) && digit(z, k + 2))
            k += 3; /* seconds are not read */
    } else if (!strcmp(L->code, "fr") || !strcmp(L->code, "pt") || !strcmp(L->code, "es")) {
        /* "9h30", "14 h 00", "20h" */
        size_t hk = k + (k < z->n && z->s[k] == ' ');
        if (hk < z->n && (z->s[hk] == 'h' || z->s[hk] == 'H')) {
            size_t mk = hk + 1 + (hk + 1 < z->n && z->s[hk + 1] == ' ');
            if (digit(z, mk) && digit(z, mk + 1) && !digit(z, mk + 2) && !word_at(z, mk + 2)) {
                sep = 'h';
                m = (z->s[mk] - '0') * 10 + (z->s[mk + 1] - '0');
                k = mk + 2;
            } else if (!word_at(z, hk + 1)) {
                sep = 'h';
                k = hk + 1;
            }
        }
    }
    if (m > 59)
        return 0;
    int ampm = ampm_at(z, k, &al);
    if (ampm && (h < 1 || h > 12))
        ampm = 0;
    if (!ampm && sep != 'h' && sep != ':')
        return 0; /* "9.30" alone is a number */
    if (!ampm && word_at(z, k))
        return 0;
    char prev[64];
    prev_word(z->out, prev, sizeof prev);
    if (!ampm && sep == ':' && !time_context(prev) && (nh < 2 || after_name(z, i)))
        return 0; /* "John 3:16", "Luke 10:25": eSpeak NG reads them as numbers */
    put_space(z->out);
    spk_say_time(z->out, L, z->c->o->language, h, m, ampm, prev);
    z->c->times++;
    return k + (ampm ? al : 0) - i;
}

/* A phone number: '+' or '0' then digits in groups (blank, '-', '.'), 7 to 15 digits,
 * read digit by digit, a short pause between groups. */
static size_t phone_at(scan *z, size_t i)
{
    size_t k = i;
    if (z->s[k] == '+')
        k++;
    if (!digit(z, k) || (z->s[i] != '+' && z->s[k] != '0') || !digit(z, k + 1))
        return 0;
    size_t nd = 0, e = k;
    while (e < z->n) {
        if (digit(z, e)) {
            nd++;
            e++;
        } else if (in_set(z->s[e], " -.") && digit(z, e + 1) && e > k && digit(z, e - 1)) {
            e++;
        } else {
            break;
        }
    }
    if (nd < 7 || nd > 15 || word_at(z, e))
        return 0;
    put_space(z->out);
    if (z->s[i] == '+')
        cw_buf_puts(z->out, "+");
    int first = 1;
    for (size_t j = k; j < e; j++) {
        if (digit(z, j)) {
            if (!first)
                cw_buf_puts(z->out, " ");
            cw_buf_append(z->out, z->s + j, 1);
            first = 0;
        } else {
            cw_buf_puts(z->out, ",");
        }
    }
    z->c->numbers++;
    return e - i;
}

/* A number with group separators and decimals: "1,000", "1 250", "3.5", "12,50". */
static size_t number_len(const scan *z, size_t i)
{
    int v;
    size_t k = i + digits(z, i, &v);
    for (;;) {
        if (k < z->n && in_set(z->s[k], ",. '") && digit(z, k + 1) &&
            digit(z, k + 2) && digit(z, k + 3) && !digit(z, k + 4)) {
            k += 4;
            continue;
        }
        /* U+00A0 and U+202F (no-break spaces) between groups */
        if (k + 1 < z->n && (unsigned char)z->s[k] == 0xC2 && (unsigned char)z->s[k + 1] == 0xA0 &&
            digit(z, k + 2) && digit(z, k + 3) && digit(z, k + 4) && !digit(z, k + 5)) {
            k += 5;
            continue;
        }
        break;
    }
    if (k + 1 < z->n && (z->s[k] == '.' || z->s[k] == ',') && digit(z, k + 1)) {
        k++;
        while (digit(z, k))
            k++;
    }
    return k - i;
}

/* "million", "m", "bn", ... after an amount: part of the number ("$5 million" is "5 million
 * dollars"). */
static size_t multiplier_at(const scan *z, size_t i, const char **word)
{
    static const struct {
        const char *text, *say;
    } mult[] = {{"million", "million"}, {"millions", "millions"}, {"billion", "billion"},
                {"thousand", "thousand"}, {"milliard", "milliard"}, {"milliards", "milliards"},
                {"milioni", "milioni"}, {"bilioni", "bilioni"}, {"bn", "billion"},
                {"m", "million"}, {"k", "thousand"}};
    for (size_t s = 0; s < 2; s++) {
        size_t k = i + s;
        if (s && (k > z->n || z->s[i] != ' '))
            break;
        for (size_t j = 0; j < sizeof mult / sizeof mult[0]; j++) {
            size_t l = strlen(mult[j].text);
            if (l == 1 && s)
                continue; /* "5 m" is metres */
            if (z->n - k >= l && !strncasecmp(z->s + k, mult[j].text, l) && !word_at(z, k + l)) {
                *word = mult[j].say;
                return k + l - i;
            }
        }
    }
    return 0;
}

static void say_amount(scan *z, int cur, size_t ni, size_t nl, const char *mult)
{
    cw_buf num;
    cw_buf_init(&num);
    cw_buf_append(&num, z->s + ni, nl);
    if (mult) {
        cw_buf_puts(&num, " ");
        cw_buf_puts(&num, mult);
    }
    put_space(z->out);
    if (!num.oom)
        spk_say_money(z->out, z->c->L, cur, num.data, num.len);
    cw_buf_free(&num);
    z->c->numbers++;
}

/* "$5", "₦ 500", "KSh 1,000", "US$20 million". */
static size_t money_before_at(scan *z, size_t i)
{
    if (!z->c->L)
        return 0;
    size_t cl;
    int cur = spk_currency_at(z->s + i, z->n - i, 1, &cl);
    if (cur < 0)
        return 0;
    size_t ni = i + cl + (i + cl < z->n && z->s[i + cl] == ' ');
    if (!digit(z, ni))
        return 0;
    size_t nl = number_len(z, ni);
    const char *mult = NULL;
    size_t ml = multiplier_at(z, ni + nl, &mult);
    if (!ml && word_at(z, ni + nl))
        return 0;
    say_amount(z, cur, ni, nl, mult);
    return ni + nl + ml - i;
}

/* "5 000 FCFA", "20 €", "5m USD". */
static size_t money_after_at(scan *z, size_t i)
{
    if (!z->c->L)
        return 0;
    size_t nl = number_len(z, i);
    const char *mult = NULL;
    size_t ml = multiplier_at(z, i + nl, &mult);
    size_t ci = i + nl + ml;
    ci += ci < z->n && z->s[ci] == ' ';
    size_t cl;
    int cur = ci < z->n ? spk_currency_at(z->s + ci, z->n - ci, 0, &cl) : -1;
    if (cur < 0)
        return 0;
    say_amount(z, cur, i, nl, mult);
    return ci + cl - i;
}

/* "3/4" -> "3 quarters", "2 1/2" -> "2 and a half", "½" -> "one half": proper fractions
 * and improper ones up to 20 over 2 to 4 ("24/7" is not a fraction). */
static size_t fraction_at(scan *z, size_t i)
{
    const spk_lang *L = z->c->L;
    if (!L)
        return 0;
    int n, d;
    size_t nn = digits(z, i, &n);
    if (!nn || nn > 2 || i + nn >= z->n || z->s[i + nn] != '/')
        return 0;
    size_t nd = digits(z, i + nn + 1, &d);
    size_t e = i + nn + 1 + nd;
    if (!nd || nd > 2 || d < 2 || d > 12 || n < 1 || (n >= d && (d > 4 || n > 20)))
        return 0;
    if (word_at(z, e) || (e < z->n && in_set(z->s[e], "/.-") && digit(z, e + 1)))
        return 0;
    /* after a whole number: "2 1/2" */
    int whole = i >= 2 && z->s[i - 1] == ' ' && digit(z, i - 2);
    size_t mark = z->out->len;
    put_space(z->out);
    if (!spk_say_fraction(z->out, L, n, d, whole)) {
        z->out->len = mark;
        if (z->out->data)
            z->out->data[mark] = 0;
        return 0;
    }
    z->c->numbers++;
    return e - i;
}

/* "½", "¼", "¾". */
static size_t vulgar_at(scan *z, size_t i)
{
    static const struct {
        const char *ch;
        int n, d;
    } v[] = {{"\xC2\xBD", 1, 2}, {"\xC2\xBC", 1, 4}, {"\xC2\xBE", 3, 4},
             {"\xE2\x85\x93", 1, 3}, {"\xE2\x85\x94", 2, 3}};
    if (!z->c->L)
        return 0;
    for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
        size_t l = strlen(v[k].ch);
        if (z->n - i >= l && !memcmp(z->s + i, v[k].ch, l)) {
            int whole = i >= 1 && digit(z, i - 1);
            size_t mark = z->out->len;
            put_space(z->out);
            if (!spk_say_fraction(z->out, z->c->L, v[k].n, v[k].d, whole)) {
                z->out->len = mark;
                if (z->out->data)
                    z->out->data[mark] = 0;
                return 0;
            }
            return l;
        }
    }
    return 0;
}

/* "16 March" -> "the 16th of March" (en), "1 mars" -> "1er mars" (fr). */
static size_t day_month_at(scan *z, size_t i)
{
    const spk_lang *L = z->c->L;
    if (!L || (strcmp(L->code, "en") && strcmp(L->code, "fr")))
        return 0;
    int d;
    size_t nd = digits(z, i, &d), k = i + nd;
    if (!nd || nd > 2 || d < 1 || d > 31)
        return 0;
    if (!strcmp(L->code, "en") && z->n - k >= 2 &&
        (!strncmp(z->s + k, "st", 2) || !strncmp(z->s + k, "nd", 2) ||
         !strncmp(z->s + k, "rd", 2) || !strncmp(z->s + k, "th", 2)))
        k += 2;
    if (k >= z->n || z->s[k] != ' ')
        return 0;
    size_t ml;
    int m = spk_month_at(L, z->s + k + 1, z->n - k - 1, &ml);
    if (!m || (!strcmp(L->code, "en") && !isupper((unsigned char)z->s[k + 1])))
        return 0;
    char prev[64];
    prev_word(z->out, prev, sizeof prev);
    put_space(z->out);
    if (!strcmp(L->code, "fr")) {
        if (d != 1)
            return 0;
        cw_buf_printf(z->out, "1er %.*s", (int)ml, z->s + k + 1);
    } else {
        static const char *const suf[] = {"th", "st", "nd", "rd"};
        int s = (d % 100 >= 11 && d % 100 <= 13) || d % 10 > 3 ? 0 : d % 10;
        cw_buf_printf(z->out, "%s%d%s of %.*s", strcmp(prev, "the") ? "the " : "", d, suf[s],
                      (int)ml, z->s + k + 1);
    }
    z->c->dates++;
    return k + 1 + ml - i;
}

/* "March 16" -> "March 16th" (en). */
static size_t month_day_at(scan *z, size_t i)
{
    const spk_lang *L = z->c->L;
    if (!L || strcmp(L->code, "en") || !isupper((unsigned char)z->s[i]))
        return 0;
    size_t ml;
    int m = spk_month_at(L, z->s + i, z->n - i, &ml);
    if (!m || i + ml + 1 >= z->n || z->s[i + ml] != ' ' || !digit(z, i + ml + 1))
        return 0;
    int d;
    size_t k = i + ml + 1, nd = digits(z, k, &d);
    if (nd > 2 || d < 1 || d > 31)
        return 0;
    size_t e = k + nd;
    if (z->n - e >= 2 && (!strncmp(z->s + e, "st", 2) || !strncmp(z->s + e, "nd", 2) ||
                          !strncmp(z->s + e, "rd", 2) || !strncmp(z->s + e, "th", 2)))
        e += 2;
    if (word_at(z, e) || (e < z->n && in_set(z->s[e], ":.") && digit(z, e + 1)))
        return 0;
    static const char *const suf[] = {"th", "st", "nd", "rd"};
    int sx = (d % 100 >= 11 && d % 100 <= 13) || d % 10 > 3 ? 0 : d % 10;
    put_space(z->out);
    cw_buf_printf(z->out, "%.*s %d%s", (int)ml, z->s + i, d, suf[sx]);
    z->c->dates++;
    return e - i;
}

/* ---- markup ------------------------------------------------------------------------------- */

/* "[text](url)" or "![alt](url)" at i: where the text starts, and the "](url)" to skip. */
static int link_at(scan *z, size_t i)
{
    size_t open = i + (z->s[i] == '!');
    if (open >= z->n || z->s[open] != '[' || z->skip_to)
        return 0;
    size_t close = open + 1;
    while (close < z->n && z->s[close] != ']' && z->s[close] != '[' && close - open < 1000)
        close++;
    if (close + 1 >= z->n || z->s[close] != ']' || z->s[close + 1] != '(')
        return 0;
    size_t end = close + 2;
    int depth = 1;
    while (end < z->n && depth && end - close < 2000) {
        depth += z->s[end] == '(';
        depth -= z->s[end] == ')';
        end++;
    }
    if (depth)
        return 0;
    z->skip_at = close;
    z->skip_to = end;
    return (int)(open + 1 - i);
}

/* An HTML tag (<b>, </p>, <br/>, <a href=...>) or comment: its length, else 0. */
static size_t tag_at(const scan *z, size_t i)
{
    if (z->s[i] != '<' || i + 1 >= z->n)
        return 0;
    if (z->n - i >= 4 && !strncmp(z->s + i, "<!--", 4)) {
        const char *e = NULL;
        for (size_t k = i + 4; k + 2 < z->n; k++)
            if (!strncmp(z->s + k, "-->", 3)) {
                e = z->s + k + 3;
                break;
            }
        return e ? (size_t)(e - (z->s + i)) : 0;
    }
    size_t k = i + 1 + (z->s[i + 1] == '/');
    if (k >= z->n || !isalpha((unsigned char)z->s[k]))
        return 0;
    while (k < z->n && z->s[k] != '>' && z->s[k] != '<' && k - i < 500)
        k++;
    return k < z->n && z->s[k] == '>' ? k + 1 - i : 0;
}

/* An HTML entity: &amp; &lt; &gt; &quot; &apos; &nbsp; &#NN; &#xHH;. */
static size_t entity_at(scan *z, size_t i)
{
    static const struct {
        const char *name;
        uint32_t cp;
    } ents[] = {{"&amp;", '&'},       {"&lt;", '<'},        {"&gt;", '>'},
                {"&quot;", '"'},      {"&apos;", '\''},     {"&nbsp;", ' '},
                {"&eacute;", 0xe9},   {"&egrave;", 0xe8},   {"&ecirc;", 0xea},
                {"&agrave;", 0xe0},   {"&acirc;", 0xe2},    {"&ccedil;", 0xe7},
                {"&ocirc;", 0xf4},    {"&ucirc;", 0xfb},    {"&ugrave;", 0xf9},
                {"&icirc;", 0xee},    {"&iuml;", 0xef},     {"&euml;", 0xeb},
                {"&ouml;", 0xf6},     {"&uuml;", 0xfc},     {"&auml;", 0xe4},
                {"&Eacute;", 0xc9},   {"&Agrave;", 0xc0},   {"&Ccedil;", 0xc7},
                {"&atilde;", 0xe3},   {"&otilde;", 0xf5},   {"&ntilde;", 0xf1},
                {"&aacute;", 0xe1},   {"&iacute;", 0xed},   {"&oacute;", 0xf3},
                {"&uacute;", 0xfa},   {"&laquo;", 0xab},    {"&raquo;", 0xbb},
                {"&lsquo;", 0x2018},  {"&rsquo;", 0x2019},  {"&ldquo;", 0x201c},
                {"&rdquo;", 0x201d},  {"&ndash;", 0x2013},  {"&mdash;", 0x2014},
                {"&hellip;", 0x2026}, {"&euro;", 0x20ac},   {"&pound;", 0xa3},
                {"&copy;", 0xa9},     {"&deg;", 0xb0}};
    for (size_t k = 0; k < sizeof ents / sizeof ents[0]; k++) {
        size_t l = strlen(ents[k].name);
        if (z->n - i >= l && !strncmp(z->s + i, ents[k].name, l)) {
            if (ents[k].cp == ' ')
                put_space(z->out);
            else
                spk_put_cp(z->out, ents[k].cp);
            return l;
        }
    }
    if (z->n - i >= 4 && isalpha((unsigned char)z->s[i + 1])) {
        /* another named entity: not read */
        size_t k = i + 1;
        while (k < z->n && k - i <= 12 && isalnum((unsigned char)z->s[k]))
            k++;
        return k < z->n && z->s[k] == ';' && k - i >= 3 ? k + 1 - i : 0;
    }
    if (z->n - i < 4 || z->s[i + 1] != '#')
        return 0;
    size_t k = i + 2;
    int hex = k < z->n && (z->s[k] == 'x' || z->s[k] == 'X');
    k += hex;
    uint32_t v = 0;
    size_t start = k;
    while (k < z->n && k - start < 7 && (hex ? isxdigit((unsigned char)z->s[k]) : digit(z, k))) {
        int dv = isdigit((unsigned char)z->s[k]) ? z->s[k] - '0'
                                                  : (tolower((unsigned char)z->s[k]) - 'a' + 10);
        v = v * (hex ? 16 : 10) + (uint32_t)dv;
        k++;
    }
    if (k == start || k >= z->n || z->s[k] != ';')
        return 0;
    /* only characters that are text: no controls, surrogates or brackets */
    if (v >= 0x20 && v != 0x7f && !(v >= 0x80 && v < 0xa0) && !(v >= 0xd800 && v < 0xe000) &&
        v <= 0x10ffff && v != '[' && v != ']' && v != '<' && v != '>' && v != '&')
        spk_put_cp(z->out, v);
    return k + 1 - i;
}

/* ---- the pass ------------------------------------------------------------------------------ */

static size_t step(scan *z, size_t i)
{
    const char ch = z->s[i];
    size_t r;
    if (z->skip_to && i == z->skip_at) {
        size_t to = z->skip_to;
        z->skip_at = z->skip_to = 0;
        put_space(z->out);
        return to - i;
    }
    if (ch == ' ' || ch == '\t' || ch == '\n') {
        put_space(z->out);
        return 1;
    }
    int ws = word_start(z, i);
    if (ws && isalnum((unsigned char)ch) &&
        ((r = url_at(z, i)) || (r = email_at(z, i)) || (r = month_day_at(z, i))))
        return r;
    if (ch == '<' && i + 1 < z->n && isalnum((unsigned char)z->s[i + 1]) &&
        ((r = url_at(z, i + 1)) || (r = email_at(z, i + 1)))) {
        /* <https://...>, <name@host>: the address is read, the brackets are not */
        return r + 1 + (i + 1 + r < z->n && z->s[i + 1 + r] == '>');
    }
    if (ws && z->c->o->lexicon && spk_is_word(cp_at(z, i, &r))) {
        size_t ml;
        const char *say = spk_lexicon_match(z->c->o->lexicon, z->c->o->language, z->s + i,
                                            z->n - i, &ml);
        if (say) {
            put_word(z->out, say);
            if (word_at(z, i + ml))
                put_space(z->out); /* "Dr.Ada" */
            z->c->lexicon_hits++;
            return ml;
        }
    }
    if (digit(z, i) && (i == 0 || !digit(z, i - 1))) {
        int in_decimal = i >= 2 && (z->s[i - 1] == '.' || z->s[i - 1] == ',') && digit(z, i - 2);
        if (!in_decimal && ((r = date_at(z, i)) || (r = time_at(z, i)) || (r = phone_at(z, i)) ||
                            (r = money_after_at(z, i)) || (r = fraction_at(z, i)) ||
                            (r = day_month_at(z, i))))
            return r;
    }
    if ((unsigned char)ch >= 0xC2 && (r = vulgar_at(z, i)))
        return r;
    if (ch == '+' && ws && (r = phone_at(z, i)))
        return r;
    if ((r = money_before_at(z, i)))
        return r;
    if ((ch == '[' || ch == '!') && (r = (size_t)link_at(z, i))) {
        put_space(z->out);
        return r;
    }
    if (ch == '<' && (r = tag_at(z, i))) {
        put_space(z->out);
        return r;
    }
    if (ch == '&' && (r = entity_at(z, i)))
        return r;
    /* emphasis and code markers, brackets, hashtags: not spoken */
    if (ch == '*' || ch == '`' || ch == '[' || ch == ']' || ch == '{' || ch == '}' ||
        ch == '|' || ch == '\\') {
        if (!out_ends_space(z->out) && (ch == '[' || ch == ']' || ch == '|'))
            put_space(z->out);
        return 1;
    }
    if (ch == '~' && i + 1 < z->n && z->s[i + 1] == '~')
        return 2;
    if (ch == '_') {
        if (word_at(z, i + 1) && i > 0 && spk_is_word(cp_before(z, i)))
            put_space(z->out); /* snake_case: two words */
        return 1;
    }
    if (ch == '#' && word_at(z, i + 1))
        return 1;
    /* one character as it is */
    size_t l;
    spk_cp(z->s + i, z->n - i, &l);
    cw_buf_append(z->out, z->s + i, l);
    return l;
}

void spk_inline(spk_inline_ctx *c, const char *s, size_t n, cw_buf *out)
{
    scan z = {.c = c, .s = s, .n = n, .out = out};
    size_t start = out->len;
    for (size_t i = 0; i < n;) {
        size_t k = step(&z, i);
        i += k ? k : 1;
    }
    /* no blank at the end */
    while (out->len > start && out->data[out->len - 1] == ' ')
        out->data[--out->len] = 0;
}
