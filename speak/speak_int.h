/* speak_int.h — internals shared by the speech module's files: UTF-8 and character classes,
 * the per-language reading rules (lang.c), the inline rewriter (inline.c) and the lexicon
 * matcher (lexicon.c). Not a public interface: only speak/ and its unit tests use it.
 * Guarantees: every function here takes text already checked to be valid UTF-8. */
#ifndef CW_SPEAK_INT_H
#define CW_SPEAK_INT_H

#include "speak.h"

#include <stdint.h>

/* ---- characters (text.c) ------------------------------------------------------------ */

/* Decode the code point at s (valid UTF-8, n > 0 bytes available); *len gets its length. */
uint32_t spk_cp(const char *s, size_t n, size_t *len);
void spk_put_cp(cw_buf *b, uint32_t cp);
int spk_is_space(uint32_t cp);  /* blanks, no-break and typographic spaces */
int spk_is_letter(uint32_t cp); /* letters of any script (approximate outside Latin) */
int spk_is_digit(uint32_t cp);  /* 0-9 only (other digits are folded to them first) */
int spk_is_word(uint32_t cp);   /* letter, digit, combining mark, apostrophe-less word char */
int spk_is_upper(uint32_t cp);  /* cased scripts: Latin, Greek, Cyrillic */
int spk_is_lower(uint32_t cp);
uint32_t spk_to_lower(uint32_t cp);
/* Lower-case copy of n bytes of s appended to out. */
void spk_lower(cw_buf *out, const char *s, size_t n);

/* ---- languages (lang.c) ------------------------------------------------------------- */

enum { SPK_CUR_DOLLAR, SPK_CUR_EURO, SPK_CUR_POUND, SPK_CUR_NAIRA, SPK_CUR_SHILLING,
       SPK_CUR_CEDI, SPK_CUR_CFA, SPK_CUR_RAND, SPK_CUR_N };

/* How one language reads what eSpeak NG does not read well by itself. */
typedef struct spk_lang {
    const char *code;           /* primary subtag: "en" */
    const char *months[12];     /* January .. December */
    const char *dot, *at, *slash, *dash, *underscore; /* reading addresses */
    const char *currency[SPK_CUR_N];
    int currency_first;         /* 1: "shilingi 500" (Swahili); 0: "500 shillings" */
} spk_lang;

/* The rules for a language tag ("fr-CA" -> French); NULL when chalkwave has none (then
 * dates are read as numbers and times and money are left to eSpeak NG). */
const spk_lang *spk_lang_find(const char *tag);
/* 1 when the tag asks for month-first dates (en-US). */
int spk_lang_month_first(const char *tag);

/* Spoken forms, appended to out. `prev` is the lower-cased word before (to avoid "the the"),
 * may be "". */
void spk_say_date(cw_buf *out, const spk_lang *L, const char *tag, int y, int m, int d,
                  const char *prev);
/* h 0..23, m 0..59; ampm: 0 none given (24-hour), 1 a.m., 2 p.m. */
void spk_say_time(cw_buf *out, const spk_lang *L, const char *tag, int h, int m, int ampm,
                  const char *prev);
/* n/d (d 2..12) as words; `whole`: after a whole number ("2 and a half"). 0 when the
 * language has no words for it (then the digits are left to eSpeak NG). */
int spk_say_fraction(cw_buf *out, const spk_lang *L, int n, int d, int whole);
void spk_say_money(cw_buf *out, const spk_lang *L, int currency, const char *number,
                   size_t nlen);
/* A currency symbol or code at s (n bytes): its id and length, or -1. `before` says the
 * text stands before a number ("$5") rather than after it ("5 000 FCFA"). */
int spk_currency_at(const char *s, size_t n, int before, size_t *len);
/* A month name at s in the language (full or 3-letter, any case): 1..12, or 0. */
int spk_month_at(const spk_lang *L, const char *s, size_t n, size_t *len);

/* ---- the lexicon (lexicon.c) -------------------------------------------------------- */

/* The longest entry for `lang` matching at s (a word start; n bytes to the end of the
 * text), ending at a word boundary: its replacement and matched length; NULL when none. */
const char *spk_lexicon_match(const cw_lexicon *lx, const char *lang, const char *s, size_t n,
                              size_t *len);

/* ---- inline text (inline.c) --------------------------------------------------------- */

typedef struct spk_inline {
    const cw_prep_opts *o;
    const spk_lang *L;
    size_t lexicon_hits, addresses, dates, times, numbers;
} spk_inline_ctx;

/* Rewrite one block of text (its lines joined by spaces, markup still in) into what is
 * spoken: markup dropped, addresses, dates, times, phone numbers and money read, the
 * lexicon applied. Appends plain text (no SSML) to out, whitespace collapsed. Phoneme
 * spans from the lexicon come out as "[[...]]"; other brackets are dropped. */
void spk_inline(spk_inline_ctx *ctx, const char *s, size_t n, cw_buf *out);

#endif
