/* text.c — a partner's text into SSML for eSpeak NG: the checks (UTF-8 only, naming the line;
 * no binary data; bounded by [speak] max_chars), then the structure a reader sees —
 * paragraphs, headings (Markdown '#', underlined with === or ---, lines in capitals), list
 * items, quotes and tables — spoken with pauses between them, each block's words rewritten
 * by inline.c.
 * Guarantees: the output is a function of the text and the options only; it is bounded by a
 * small multiple of the input; nothing the partner wrote can become SSML markup or phonemes
 * (text is escaped; brackets are dropped). */
#include "speak_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* ---- characters ---------------------------------------------------------------------------- */

uint32_t spk_cp(const char *s, size_t n, size_t *len)
{
    size_t l = cw_utf8_seq_len((const unsigned char *)s, n);
    const unsigned char *u = (const unsigned char *)s;
    if (l == 0) {
        *len = 1;
        return u[0];
    }
    *len = l;
    switch (l) {
    case 1:
        return u[0];
    case 2:
        return ((uint32_t)(u[0] & 0x1f) << 6) | (u[1] & 0x3f);
    case 3:
        return ((uint32_t)(u[0] & 0x0f) << 12) | ((uint32_t)(u[1] & 0x3f) << 6) | (u[2] & 0x3f);
    default:
        return ((uint32_t)(u[0] & 0x07) << 18) | ((uint32_t)(u[1] & 0x3f) << 12) |
               ((uint32_t)(u[2] & 0x3f) << 6) | (u[3] & 0x3f);
    }
}

void spk_put_cp(cw_buf *b, uint32_t cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        u[0] = (char)(0xf0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    cw_buf_append(b, u, n);
}

int spk_is_space(uint32_t cp)
{
    return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f' || cp == '\v' ||
           cp == 0xa0 || (cp >= 0x2000 && cp <= 0x200b) || cp == 0x202f || cp == 0x205f ||
           cp == 0x3000 || cp == 0xfeff;
}

int spk_is_digit(uint32_t cp)
{
    return cp >= '0' && cp <= '9';
}

int spk_is_upper(uint32_t cp)
{
    if (cp < 0x80)
        return cp >= 'A' && cp <= 'Z';
    if (cp >= 0xc0 && cp <= 0xde)
        return cp != 0xd7;
    if (cp >= 0x100 && cp <= 0x17f)
        return (cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17e) ? cp % 2 == 1
               : cp == 0x178 ? 1 : cp == 0x138 || cp == 0x149 || cp == 0x17f ? 0 : cp % 2 == 0;
    if (cp >= 0x391 && cp <= 0x3a9)
        return 1;
    if (cp >= 0x400 && cp <= 0x42f)
        return 1;
    return 0;
}

int spk_is_lower(uint32_t cp)
{
    if (cp < 0x80)
        return cp >= 'a' && cp <= 'z';
    if (cp >= 0xdf && cp <= 0xff)
        return cp != 0xf7;
    if (cp >= 0x100 && cp <= 0x17f)
        return !spk_is_upper(cp);
    if (cp >= 0x3b1 && cp <= 0x3c9)
        return 1;
    if (cp >= 0x430 && cp <= 0x45f)
        return 1;
    return 0;
}

uint32_t spk_to_lower(uint32_t cp)
{
    if (!spk_is_upper(cp))
        return cp;
    if (cp < 0x80 || (cp >= 0xc0 && cp <= 0xde) || (cp >= 0x391 && cp <= 0x3a9) ||
        (cp >= 0x410 && cp <= 0x42f))
        return cp + 0x20;
    if (cp >= 0x400 && cp <= 0x40f)
        return cp + 0x50;
    if (cp == 0x178)
        return 0xff;
    return cp + 1; /* Latin Extended-A pairs */
}

int spk_is_letter(uint32_t cp)
{
    if (cp < 0x80)
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
    if (cp < 0xc0)
        return cp == 0xaa || cp == 0xb5 || cp == 0xba;
    if (cp == 0xd7 || cp == 0xf7)
        return 0;
    if (spk_is_space(cp))
        return 0;
    /* punctuation and symbol blocks; Arabic punctuation */
    if ((cp >= 0x2010 && cp <= 0x2bff) || (cp >= 0x3000 && cp <= 0x303f) ||
        (cp >= 0xfe30 && cp <= 0xfe6f) || (cp >= 0xff00 && cp <= 0xff0f) ||
        cp == 0x60c || cp == 0x61b || cp == 0x61f || cp == 0x66a || cp == 0x66b || cp == 0x66c ||
        cp == 0x6d4 || (cp >= 0x1f000 && cp <= 0x1faff) || (cp >= 0xfe00 && cp <= 0xfe0f))
        return 0;
    return 1;
}

int spk_is_word(uint32_t cp)
{
    return spk_is_digit(cp) || spk_is_letter(cp);
}

void spk_lower(cw_buf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t l;
        uint32_t cp = spk_cp(s + i, n - i, &l);
        spk_put_cp(out, spk_to_lower(cp));
        i += l;
    }
    if (!out->data)
        cw_buf_puts(out, "");
}

/* ---- checks ---------------------------------------------------------------------------------- */

int cw_speak_check_size(uint64_t bytes, size_t max_chars, const char *source, cw_error *err)
{
    /* a character is at most 4 bytes; a BOM and CR line ends come on top */
    if (bytes > (uint64_t)max_chars * 4 + 3 + (uint64_t)max_chars)
        return cw_fail(err, CW_ELIMIT, source, 0, "the text is too long (%llu bytes; the "
                       "station speaks at most %zu characters: split it into several items, or "
                       "raise [speak] max_chars in station.conf)",
                       (unsigned long long)bytes, max_chars);
    return 0;
}

/* Valid UTF-8 without binary data; counts characters; *body skips a BOM. */
static int check_text(const char *t, size_t n, const cw_prep_opts *o, size_t *chars,
                      size_t *body, cw_error *err)
{
    const char *src = o->source ? o->source : "";
    *chars = 0;
    *body = 0;
    if (n >= 2 && (((unsigned char)t[0] == 0xff && (unsigned char)t[1] == 0xfe) ||
                   ((unsigned char)t[0] == 0xfe && (unsigned char)t[1] == 0xff)))
        return cw_fail(err, CW_EINVAL, src, 0, "the text is UTF-16 (save it as UTF-8 text: in "
                       "most editors, Save as > Encoding > UTF-8)");
    if (n >= 3 && !memcmp(t, "\xEF\xBB\xBF", 3))
        *body = 3;
    int line = o->first_line > 1 ? o->first_line : 1;
    size_t col = 0;
    for (size_t i = *body; i < n;) {
        unsigned char c = (unsigned char)t[i];
        if (c == 0)
            return cw_fail(err, CW_EINVAL, src, line, "line %d holds binary data (a NUL byte): "
                           "this is not a text file (give plain UTF-8 text)", line);
        if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f') || c == 0x7f)
            return cw_fail(err, CW_EINVAL, src, line, "line %d holds a control character "
                           "(byte 0x%02X): this is not plain text (give plain UTF-8 text)",
                           line, c);
        size_t l = cw_utf8_seq_len((const unsigned char *)t + i, n - i);
        if (l == 0) {
            /* a lone byte 0xA0..0xFF is what Latin-1 and Windows-1252 editors write */
            int latin = c >= 0xa0 && (i + 1 >= n || ((unsigned char)t[i + 1] & 0xc0) != 0x80);
            return cw_fail(err, CW_EINVAL, src, line, "line %d is not UTF-8 (byte 0x%02X at "
                           "column %zu%s): save the text as UTF-8 (in most editors: Save as > "
                           "Encoding > UTF-8)", line, c, col + 1,
                           latin ? ", as Latin-1 or Windows-1252 editors write" : "");
        }
        if (l == 2 && c == 0xc2 && (unsigned char)t[i + 1] < 0xa0)
            return cw_fail(err, CW_EINVAL, src, line, "line %d holds a control character "
                           "(U+%04X): this is not plain text (give plain UTF-8 text)", line,
                           (unsigned char)t[i + 1]);
        if (c == '\n') {
            line++;
            col = 0;
        } else {
            col++;
        }
        (*chars)++;
        i += l;
    }
    if (*chars > o->max_chars)
        return cw_fail(err, CW_ELIMIT, src, 0, "the text has %zu characters; the station "
                       "speaks at most %zu (split it into several items, or raise [speak] "
                       "max_chars in station.conf)", *chars, o->max_chars);
    return 0;
}

/* ---- blocks ---------------------------------------------------------------------------------- */

enum { GAP_NONE, GAP_SENTENCE, GAP_PARAGRAPH, GAP_HEADING };
enum { B_PARA, B_HEADING, B_ITEM };

typedef struct line_t {
    const char *s; /* trimmed */
    size_t n;
    int blank;
} line_t;

typedef struct prep {
    const cw_prep_opts *o;
    cw_prepared *out;
    spk_inline_ctx il;
    cw_buf block;  /* the current block's raw text */
    int kind;      /* B_* of the current block */
    int gap;       /* pause before the current block */
    int pending;   /* a block is open */
    int next_gap;  /* the pause before the next block */
    int emitted;   /* blocks spoken so far */
    int block_lines; /* lines in the open block */
    cw_buf spoken; /* scratch */
} prep;

static int ends_sentence(const char *s, size_t n)
{
    while (n && (s[n - 1] == ' ' || s[n - 1] == '"' || s[n - 1] == '\'' || s[n - 1] == ')'))
        n--;
    if (!n)
        return 1;
    if (strchr(".!?:;", s[n - 1]))
        return 1;
    /* …, Arabic question mark, Urdu/Arabic full stop, CJK full stop, closing quotes */
    static const char *const ends[] = {"\xE2\x80\xA6", "\xD8\x9F", "\xDB\x94", "\xE3\x80\x82",
                                       "\xC2\xBB", "\xE2\x80\x9D", "\xE2\x80\x99"};
    for (size_t k = 0; k < sizeof ends / sizeof ends[0]; k++) {
        size_t l = strlen(ends[k]);
        if (n >= l && !memcmp(s + n - l, ends[k], l))
            return strcmp(ends[k], "\xC2\xBB") && strcmp(ends[k], "\xE2\x80\x9D") &&
                           strcmp(ends[k], "\xE2\x80\x99")
                       ? 1
                       : ends_sentence(s, n - l);
    }
    return 0;
}

static size_t count_words(const char *s, size_t n)
{
    size_t w = 0;
    int in = 0;
    for (size_t i = 0; i < n;) {
        size_t l;
        int wc = spk_is_word(spk_cp(s + i, n - i, &l));
        w += wc && !in;
        in = wc;
        i += l;
    }
    return w;
}

static void put_escaped(cw_buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case '&':
            cw_buf_puts(b, "&amp;");
            break;
        case '<':
            cw_buf_puts(b, "&lt;");
            break;
        case '>':
            cw_buf_puts(b, "&gt;");
            break;
        default:
            cw_buf_append(b, s + i, 1);
        }
    }
}

static void emit_pause(prep *p, double seconds)
{
    if (seconds <= 0)
        return;
    cw_buf_printf(&p->out->ssml, "<break time=\"%dms\"/>", (int)(seconds * 1000 + 0.5));
    cw_buf_printf(&p->out->plain, "[pause %.1f s]\n", seconds);
}

/* Speak the open block. */
static void flush_block(prep *p)
{
    if (!p->pending)
        return;
    p->pending = 0;
    cw_buf *sp = &p->spoken;
    sp->len = 0;
    if (sp->data)
        sp->data[0] = 0;
    spk_inline(&p->il, p->block.data ? p->block.data : "", p->block.len, sp);
    p->block.len = 0;
    if (p->block.data)
        p->block.data[0] = 0;
    size_t words = count_words(sp->data ? sp->data : "", sp->len);
    if (!words)
        return; /* only markup or punctuation */
    if (p->emitted) {
        if (p->kind == B_HEADING || p->gap == GAP_HEADING)
            emit_pause(p, p->o->heading_pause);
        else if (p->gap == GAP_PARAGRAPH)
            emit_pause(p, p->o->paragraph_pause);
    }
    /* a heading, a list item or a paragraph ends as a sentence ends */
    if (!ends_sentence(sp->data, sp->len))
        cw_buf_puts(sp, ".");
    put_escaped(&p->out->ssml, sp->data, sp->len);
    cw_buf_puts(&p->out->ssml, "\n");
    cw_buf_append(&p->out->plain, sp->data, sp->len);
    cw_buf_puts(&p->out->plain, "\n");
    p->out->words += words;
    if (p->kind == B_HEADING)
        p->out->headings++;
    else
        p->out->paragraphs++;
    p->emitted++;
}

static void open_block(prep *p, int kind, int gap)
{
    flush_block(p);
    p->kind = kind;
    p->gap = gap > p->next_gap ? gap : p->next_gap;
    p->next_gap = GAP_NONE;
    p->pending = 1;
    p->block_lines = 0;
}

static void add_text(prep *p, const char *s, size_t n)
{
    p->block_lines++;
    if (p->block.len)
        cw_buf_puts(&p->block, " ");
    for (size_t i = 0; i < n; i++)
        cw_buf_append(&p->block, s[i] == '\t' ? " " : s + i, 1);
}

/* ---- line classes ------------------------------------------------------------------------------ */

/* "# Title" (1 to 6 '#'): the title's start, else NULL. */
static const char *atx_heading(const line_t *l, size_t *n)
{
    size_t h = 0;
    while (h < l->n && l->s[h] == '#')
        h++;
    if (h == 0 || h > 6 || (h < l->n && l->s[h] != ' ' && l->s[h] != '\t'))
        return NULL;
    size_t b = h, e = l->n;
    while (b < e && (l->s[b] == ' ' || l->s[b] == '\t'))
        b++;
    while (e > b && l->s[e - 1] == '#')
        e--;
    *n = e - b;
    return l->s + b;
}

/* "===" or "---" (2 or more, nothing else). */
static int underline(const line_t *l, char ch)
{
    if (l->n < 2)
        return 0;
    for (size_t i = 0; i < l->n; i++)
        if (l->s[i] != ch && l->s[i] != ' ')
            return 0;
    return 1;
}

/* "---", "***", "___", "- - -": a rule between sections. */
static int rule(const line_t *l)
{
    char ch = l->n ? l->s[0] : 0;
    if (ch != '-' && ch != '*' && ch != '_')
        return 0;
    size_t k = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (l->s[i] == ch)
            k++;
        else if (l->s[i] != ' ')
            return 0;
    }
    return k >= 3;
}

/* Letters all in capitals (at least three of them): a heading in plain text. */
static int all_caps(const line_t *l)
{
    size_t upper = 0;
    if (l->n > 120)
        return 0;
    for (size_t i = 0; i < l->n;) {
        size_t k;
        uint32_t cp = spk_cp(l->s + i, l->n - i, &k);
        if (spk_is_lower(cp))
            return 0;
        upper += spk_is_upper(cp);
        i += k;
    }
    return upper >= 3;
}

/* "- item", "* item", "+ item", "• item", "1. item", "2) item": the item's start. */
static const char *list_item(const line_t *l, size_t *n)
{
    size_t k = 0;
    if (l->n >= 2 && strchr("-*+", l->s[0]))
        k = 1;
    else if (l->n >= 4 && !memcmp(l->s, "\xE2\x80\xA2", 3)) /* • */
        k = 3;
    else {
        while (k < l->n && k < 3 && isdigit((unsigned char)l->s[k]))
            k++;
        if (!k || k >= l->n || (l->s[k] != '.' && l->s[k] != ')'))
            return NULL;
        k++; /* the number is kept: "1. wash hands" is read with its number */
        if (k >= l->n || l->s[k] != ' ')
            return NULL;
        *n = l->n;
        return l->s;
    }
    if (k >= l->n || l->s[k] != ' ')
        return NULL;
    while (k < l->n && l->s[k] == ' ')
        k++;
    *n = l->n - k;
    return l->s + k;
}

/* A table row "| a | b |": cells joined with commas; separator rows are skipped. */
static int table_row(prep *p, const line_t *l)
{
    if (l->n < 2 || l->s[0] != '|')
        return 0;
    int sep = 1;
    for (size_t i = 0; i < l->n; i++)
        sep &= strchr("|-: ", l->s[i]) != NULL;
    if (sep)
        return 1;
    open_block(p, B_ITEM, GAP_SENTENCE);
    size_t b = 1;
    for (size_t i = 1; i <= l->n; i++) {
        if (i == l->n || l->s[i] == '|') {
            size_t s = b, e = i;
            while (s < e && l->s[s] == ' ')
                s++;
            while (e > s && l->s[e - 1] == ' ')
                e--;
            if (e > s) {
                if (p->block.len)
                    cw_buf_puts(&p->block, ",");
                add_text(p, l->s + s, e - s);
            }
            b = i + 1;
        }
    }
    return 1;
}

/* One line of the text. `next` is the following line (NULL at the end). Returns 2 when the
 * next line was used too (a heading's underline). */
static int take_line(prep *p, const line_t *l, const line_t *next, int *in_fence)
{
    const char *t;
    size_t tn;
    if (l->n >= 3 && (!strncmp(l->s, "```", 3) || !strncmp(l->s, "~~~", 3))) {
        *in_fence = !*in_fence; /* the fence is not read; what is inside is */
        return 1;
    }
    if (l->blank) {
        flush_block(p);
        if (p->next_gap < GAP_PARAGRAPH)
            p->next_gap = GAP_PARAGRAPH;
        return 1;
    }
    line_t q = *l;
    while (q.n && q.s[0] == '>') { /* a quote reads as text */
        q.s++;
        q.n--;
        while (q.n && q.s[0] == ' ') {
            q.s++;
            q.n--;
        }
    }
    if (!*in_fence) {
        if (q.n >= 4 && q.s[0] == '[' && memchr(q.s, ']', q.n)) {
            const char *rb = memchr(q.s, ']', q.n);
            if ((size_t)(rb - q.s) + 1 < q.n && rb[1] == ':')
                return 1; /* a Markdown link definition "[1]: https://..." */
        }
        if ((t = atx_heading(&q, &tn))) {
            open_block(p, B_HEADING, GAP_HEADING);
            add_text(p, t, tn);
            flush_block(p);
            p->next_gap = GAP_PARAGRAPH;
            return 1;
        }
        int para_start = !p->pending;
        if (next && !next->blank && para_start && !list_item(&q, &tn) &&
            (underline(next, '=') || underline(next, '-'))) {
            open_block(p, B_HEADING, GAP_HEADING);
            add_text(p, q.s, q.n);
            flush_block(p);
            p->next_gap = GAP_PARAGRAPH;
            return 2;
        }
        if (rule(&q)) {
            flush_block(p);
            p->next_gap = GAP_HEADING;
            return 1;
        }
        if (table_row(p, &q))
            return 1;
        if ((t = list_item(&q, &tn))) {
            open_block(p, B_ITEM, GAP_SENTENCE);
            add_text(p, t, tn);
            return 1;
        }
        if (para_start && all_caps(&q)) {
            open_block(p, B_HEADING, GAP_HEADING);
            add_text(p, q.s, q.n);
            flush_block(p);
            p->next_gap = GAP_PARAGRAPH;
            return 1;
        }
    }
    if (!p->pending) {
        open_block(p, B_PARA, GAP_SENTENCE);
    } else if (p->kind == B_PARA && p->block_lines == 1 && p->block.len < 40 &&
               !ends_sentence(p->block.data, p->block.len) && q.n &&
               (isupper((unsigned char)q.s[0]) || isdigit((unsigned char)q.s[0]))) {
        /* a short line on its own ("Dear parents", a name, a date) is a sentence */
        open_block(p, B_PARA, GAP_SENTENCE);
    }
    add_text(p, q.s, q.n);
    return 1;
}

/* ---- preparation -------------------------------------------------------------------------------- */

void cw_prepared_free(cw_prepared *p)
{
    if (!p)
        return;
    cw_buf_free(&p->ssml);
    cw_buf_free(&p->plain);
    cw_buf_free(&p->text);
    memset(p, 0, sizeof *p);
}

/* The text as given, with LF line ends, no BOM, trimmed; for reading (fold_digits) other
 * digits folded to 0-9 (DESCRIPTION keeps the partner's own digits). */
static void normalise(const char *t, size_t n, int fold_digits, cw_buf *out)
{
    for (size_t i = 0; i < n;) {
        size_t l;
        uint32_t cp = spk_cp(t + i, n - i, &l);
        if (cp == '\r') {
            cw_buf_puts(out, "\n");
            if (i + 1 < n && t[i + 1] == '\n')
                l++;
        } else if (cp == '\f') {
            cw_buf_puts(out, "\n\n");
        } else if (cp == '\t') {
            cw_buf_puts(out, " "); /* DESCRIPTION holds no control characters */
        } else if (fold_digits && cp >= 0x660 && cp <= 0x669) {
            spk_put_cp(out, '0' + (cp - 0x660)); /* Arabic-Indic digits */
        } else if (fold_digits && cp >= 0x6f0 && cp <= 0x6f9) {
            spk_put_cp(out, '0' + (cp - 0x6f0)); /* Eastern Arabic-Indic digits */
        } else if (cp == 0xfeff || cp == 0x200b) {
            /* zero-width: nothing */
        } else {
            cw_buf_append(out, t + i, l);
        }
        i += l;
    }
    size_t b = 0;
    while (b < out->len && isspace((unsigned char)out->data[b]))
        b++;
    size_t e = out->len;
    while (e > b && isspace((unsigned char)out->data[e - 1]))
        e--;
    if (b || e < out->len) {
        memmove(out->data, out->data + b, e - b);
        out->len = e - b;
        if (out->data)
            out->data[out->len] = 0;
    }
    if (!out->data)
        cw_buf_puts(out, "");
}

int cw_speak_prepare(const char *text, size_t len, const cw_prep_opts *o, cw_prepared *out,
                     cw_error *err)
{
    memset(out, 0, sizeof *out);
    cw_buf_init(&out->ssml);
    cw_buf_init(&out->plain);
    cw_buf_init(&out->text);
    const char *src = o->source ? o->source : "";
    size_t body;
    int rc = cw_speak_check_size(len, o->max_chars, src, err);
    if (!rc)
        rc = check_text(text, len, o, &out->chars, &body, err);
    if (rc)
        return rc;
    normalise(text + body, len - body, 0, &out->text);
    cw_buf folded;
    cw_buf_init(&folded);
    normalise(text + body, len - body, 1, &folded);
    prep p = {.o = o, .out = out};
    p.il.o = o;
    p.il.L = spk_lang_find(o->language);
    cw_buf_init(&p.block);
    cw_buf_init(&p.spoken);
    cw_buf_puts(&out->ssml, "<speak>\n");
    /* line by line */
    const char *t = folded.data;
    size_t n = folded.len, nlines = 1;
    for (size_t i = 0; i < n; i++)
        nlines += t[i] == '\n';
    line_t *lines = malloc(nlines * sizeof *lines);
    if (!lines || folded.oom) {
        free(lines);
        cw_buf_free(&folded);
        cw_buf_free(&p.block);
        cw_buf_free(&p.spoken);
        cw_prepared_free(out);
        return cw_fail(err, CW_ENOMEM, src, 0, "out of memory");
    }
    for (size_t i = 0, k = 0; k < nlines; k++) {
        const char *nl = memchr(t + i, '\n', n - i);
        size_t e = nl ? (size_t)(nl - t) : n, b = i;
        while (b < e && (t[b] == ' ' || t[b] == '\t'))
            b++;
        size_t ee = e;
        while (ee > b && (t[ee - 1] == ' ' || t[ee - 1] == '\t'))
            ee--;
        lines[k] = (line_t){t + b, ee - b, ee == b};
        i = e + 1;
    }
    int in_fence = 0;
    for (size_t k = 0; k < nlines;)
        k += (size_t)take_line(&p, &lines[k], k + 1 < nlines ? &lines[k + 1] : NULL, &in_fence);
    free(lines);
    flush_block(&p);
    cw_buf_free(&folded);
    cw_buf_puts(&out->ssml, "</speak>\n");
    out->lexicon_hits = p.il.lexicon_hits;
    out->addresses = p.il.addresses;
    out->dates = p.il.dates;
    out->times = p.il.times;
    int oom = p.block.oom || p.spoken.oom || out->ssml.oom || out->plain.oom || out->text.oom;
    cw_buf_free(&p.block);
    cw_buf_free(&p.spoken);
    if (oom)
        rc = cw_fail(err, CW_ENOMEM, src, 0, "out of memory");
    else if (out->words == 0)
        rc = cw_fail(err, CW_EINVAL, src, 0, out->chars ? "the text has nothing to speak (only "
                     "markup, punctuation or addresses left out)" : "the text is empty "
                     "(nothing to speak)");
    if (rc)
        cw_prepared_free(out);
    return rc;
}
