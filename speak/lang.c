/* lang.c — how each language reads what eSpeak NG 1.51 does not read well by itself, found
 * with `espeak-ng -x` (phonemes) on each voice:
 *   - dates: "2026-03-16" is read "two thousand and twenty six dash zero three dash sixteen"
 *     (en), "16/03/2026" with "slash"; so dates become "the 16th of March 2026" (en),
 *     "16 mars 2026" (fr), "tarehe 16 Machi 2026" (sw), "16 مارس 2026" (ar), ...
 *   - times: "14:00" is "fourteen zero zero" in every voice, "9h30" is "nine aitch thirty"
 *     in French; Swahili counts the hours from 6 a.m. ("saa tatu asubuhi" is 09:00);
 *   - money: "$5" is "dollar five" (en), "₦500" loses the naira, "KSh 1,000" is spelled;
 *   - addresses: "https://www.health.gov.ng" is spelled letter by letter.
 *   - fractions: "1/2" is "one slash two" (en), "un deux" (fr), "moja slash mbili" (sw); so
 *     "3/4" becomes "3 quarters", "3 quarts", "robo 3", "ثلاثة أرباع", ...
 * Numbers, ordinals ("2nd", "1er"), percentages and decimals each voice reads well in its
 * own conventions, so they are left as digits. Languages without a table here keep
 * eSpeak NG's own reading.
 * Guarantees: pure functions of their arguments; output is plain text (no markup). */
#include "speak_int.h"

#include <string.h>
#include <strings.h>

static const spk_lang langs[] = {
    {"en",
     {"January", "February", "March", "April", "May", "June", "July", "August", "September",
      "October", "November", "December"},
     "dot", "at", "slash", "dash", "underscore",
     {"dollars", "euros", "pounds", "naira", "shillings", "cedis", "CFA francs", "rand"}, 0},
    {"fr",
     {"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
      "octobre", "novembre", "décembre"},
     "point", "arobase", "slash", "tiret", "tiret bas",
     {"dollars", "euros", "livres", "nairas", "shillings", "cédis", "francs CFA", "rands"}, 0},
    {"sw",
     {"Januari", "Februari", "Machi", "Aprili", "Mei", "Juni", "Julai", "Agosti", "Septemba",
      "Oktoba", "Novemba", "Desemba"},
     "dot", "at", "slash", "dash", "underscore",
     {"dola", "yuro", "pauni", "naira", "shilingi", "sedi", "faranga za CFA", "randi"}, 1},
    {"ar",
     {"يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر",
      "أكتوبر", "نوفمبر", "ديسمبر"},
     "دوت", "آت", "سلاش", "داش", "أندرسكور",
     {"دولار", "يورو", "جنيه", "نيرة", "شلن", "سيدي", "فرنك", "راند"}, 0},
    {"pt",
     {"janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro",
      "outubro", "novembro", "dezembro"},
     "ponto", "arroba", "barra", "hífen", "sublinhado",
     {"dólares", "euros", "libras", "nairas", "xelins", "cedis", "francos CFA", "rands"}, 0},
    {"es",
     {"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
      "octubre", "noviembre", "diciembre"},
     "punto", "arroba", "barra", "guion", "guion bajo",
     {"dólares", "euros", "libras", "nairas", "chelines", "cedis", "francos CFA", "rands"}, 0},
};

/* singular names, for "1" (languages that mark the plural) */
static const char *const singular_en[SPK_CUR_N] = {"dollar", "euro", "pound", "naira",
                                                   "shilling", "cedi", "CFA franc", "rand"};
static const char *const singular_fr[SPK_CUR_N] = {"dollar", "euro", "livre", "naira",
                                                   "shilling", "cédi", "franc CFA", "rand"};
static const char *const singular_pt[SPK_CUR_N] = {"dólar", "euro", "libra", "naira",
                                                   "xelim", "cedi", "franco CFA", "rand"};
static const char *const singular_es[SPK_CUR_N] = {"dólar", "euro", "libra", "naira",
                                                   "chelín", "cedi", "franco CFA", "rand"};

static int primary_is(const char *tag, const char *code)
{
    size_t n = strlen(code);
    return tag && !strncasecmp(tag, code, n) && (tag[n] == 0 || tag[n] == '-' || tag[n] == '_');
}

const spk_lang *spk_lang_find(const char *tag)
{
    for (size_t i = 0; i < sizeof langs / sizeof langs[0]; i++)
        if (primary_is(tag, langs[i].code))
            return &langs[i];
    /* ISO 639-2/3 codes of the same languages */
    static const struct {
        const char *code3, *code;
    } three[] = {{"eng", "en"}, {"fra", "fr"}, {"fre", "fr"}, {"swa", "sw"}, {"swh", "sw"},
                 {"ara", "ar"}, {"por", "pt"}, {"spa", "es"}};
    for (size_t i = 0; i < sizeof three / sizeof three[0]; i++)
        if (primary_is(tag, three[i].code3))
            return spk_lang_find(three[i].code);
    return NULL;
}

int spk_lang_month_first(const char *tag)
{
    return tag && (!strncasecmp(tag, "en-us", 5) || !strncasecmp(tag, "en_us", 5));
}

static const char *ordinal_en(int d)
{
    if (d % 100 >= 11 && d % 100 <= 13)
        return "th";
    switch (d % 10) {
    case 1:
        return "st";
    case 2:
        return "nd";
    case 3:
        return "rd";
    default:
        return "th";
    }
}

void spk_say_date(cw_buf *out, const spk_lang *L, const char *tag, int y, int m, int d,
                  const char *prev)
{
    const char *month = L->months[m - 1];
    if (!strcmp(L->code, "en")) {
        if (spk_lang_month_first(tag))
            cw_buf_printf(out, "%s %d%s, %d", month, d, ordinal_en(d), y);
        else
            cw_buf_printf(out, "%s%d%s of %s %d", strcmp(prev, "the") ? "the " : "", d,
                          ordinal_en(d), month, y);
    } else if (!strcmp(L->code, "fr")) {
        if (d == 1)
            cw_buf_printf(out, "1er %s %d", month, y);
        else
            cw_buf_printf(out, "%d %s %d", d, month, y);
    } else if (!strcmp(L->code, "sw")) {
        cw_buf_printf(out, "%s%d %s %d", strcmp(prev, "tarehe") ? "tarehe " : "", d, month, y);
    } else if (!strcmp(L->code, "pt") || !strcmp(L->code, "es")) {
        cw_buf_printf(out, "%d de %s de %d", d, month, y);
    } else {
        cw_buf_printf(out, "%d %s %d", d, month, y);
    }
}

static const char *const sw_hours[13] = {"", "moja", "mbili", "tatu", "nne", "tano", "sita",
                                          "saba", "nane", "tisa", "kumi", "kumi na moja",
                                          "kumi na mbili"};

/* Swahili time counts the hours from sunrise: 07:00 is "saa moja asubuhi". */
static void say_time_sw(cw_buf *out, int h, int m, const char *prev)
{
    const char *period = h < 4 ? "usiku" : h < 6 ? "alfajiri" : h < 12 ? "asubuhi"
                       : h < 16 ? "mchana" : h < 19 ? "jioni" : "usiku";
    int hh = m == 45 ? h + 1 : h; /* "kasorobo": a quarter to the next hour */
    int sh = (hh + 6) % 12;
    if (sh == 0)
        sh = 12;
    cw_buf_printf(out, "%s%s", strcmp(prev, "saa") ? "saa " : "", sw_hours[sh]);
    if (m == 15)
        cw_buf_puts(out, " na robo");
    else if (m == 30)
        cw_buf_puts(out, " na nusu");
    else if (m == 45)
        cw_buf_puts(out, " kasorobo");
    else if (m > 0)
        cw_buf_printf(out, " na dakika %d", m);
    cw_buf_printf(out, " %s", period);
}

void spk_say_time(cw_buf *out, const spk_lang *L, const char *tag, int h, int m, int ampm,
                  const char *prev)
{
    (void)tag;
    if (ampm) /* h is 1..12 as written */
        h = h % 12 + (ampm == 2 ? 12 : 0);
    if (!strcmp(L->code, "en")) {
        if (h == 0 && m == 0) {
            cw_buf_puts(out, "midnight");
            return;
        }
        if (h == 12 && m == 0) {
            cw_buf_puts(out, "12 noon");
            return;
        }
        int h12 = h % 12 ? h % 12 : 12;
        if (m == 0)
            cw_buf_printf(out, "%d %s", h12, h < 12 ? "AM" : "PM");
        else if (m < 10)
            cw_buf_printf(out, "%d oh %d %s", h12, m, h < 12 ? "AM" : "PM");
        else
            cw_buf_printf(out, "%d %d %s", h12, m, h < 12 ? "AM" : "PM");
    } else if (!strcmp(L->code, "fr")) {
        if (h == 0)
            cw_buf_puts(out, "minuit");
        else if (h == 12 && m == 0)
            cw_buf_puts(out, "midi");
        else if (h == 1)
            cw_buf_puts(out, "une heure");
        else
            cw_buf_printf(out, "%d heures", h);
        if (m > 0)
            cw_buf_printf(out, " %d", m);
    } else if (!strcmp(L->code, "sw")) {
        say_time_sw(out, h, m, prev);
    } else if (!strcmp(L->code, "ar")) {
        cw_buf_printf(out, "%s%d", strcmp(prev, "الساعة") ? "الساعة " : "", h);
        if (m > 0)
            cw_buf_printf(out, " و %d دقيقة", m);
    } else if (!strcmp(L->code, "pt")) {
        if (h == 0 && m == 0)
            cw_buf_puts(out, "meia-noite");
        else if (h == 12 && m == 0)
            cw_buf_puts(out, "meio-dia");
        else if (h == 1)
            cw_buf_puts(out, "uma hora");
        else
            cw_buf_printf(out, "%d horas", h);
        if (m > 0)
            cw_buf_printf(out, " e %d", m);
    } else if (!strcmp(L->code, "es")) {
        if (h == 0 && m == 0)
            cw_buf_puts(out, "medianoche");
        else if (h == 12 && m == 0)
            cw_buf_puts(out, "mediodía");
        else if (h == 1 && m == 0)
            cw_buf_puts(out, "una hora");
        else if (m == 0)
            cw_buf_printf(out, "%d horas", h);
        else if (h == 1)
            cw_buf_printf(out, "una y %d", m);
        else
            cw_buf_printf(out, "%d y %d", h, m);
    } else {
        cw_buf_printf(out, "%d %d", h, m);
    }
}

void spk_say_money(cw_buf *out, const spk_lang *L, int cur, const char *number, size_t nlen)
{
    const char *name = L->currency[cur];
    int one = nlen == 1 && number[0] == '1';
    if (one && !strcmp(L->code, "en"))
        name = singular_en[cur];
    else if (one && !strcmp(L->code, "fr"))
        name = singular_fr[cur];
    else if (one && !strcmp(L->code, "pt"))
        name = singular_pt[cur];
    else if (one && !strcmp(L->code, "es"))
        name = singular_es[cur];
    if (L->currency_first)
        cw_buf_printf(out, "%s %.*s", name, (int)nlen, number);
    else
        cw_buf_printf(out, "%.*s %s", (int)nlen, number, name);
}

/* Symbols and codes. `where`: 1 only before a number, 2 only after, 3 either. */
static const struct {
    const char *text;
    int cur, where, word; /* word: must end at a word boundary (letters) */
} money[] = {
    {"US$", SPK_CUR_DOLLAR, 3, 0},   {"$", SPK_CUR_DOLLAR, 3, 0},
    {"USD", SPK_CUR_DOLLAR, 3, 1},   {"€", SPK_CUR_EURO, 3, 0},
    {"EUR", SPK_CUR_EURO, 3, 1},     {"£", SPK_CUR_POUND, 3, 0},
    {"GBP", SPK_CUR_POUND, 3, 1},    {"₦", SPK_CUR_NAIRA, 3, 0},
    {"NGN", SPK_CUR_NAIRA, 3, 1},    {"KShs", SPK_CUR_SHILLING, 1, 1},
    {"KSh", SPK_CUR_SHILLING, 1, 1}, {"Ksh", SPK_CUR_SHILLING, 1, 1},
    {"KES", SPK_CUR_SHILLING, 3, 1}, {"TSh", SPK_CUR_SHILLING, 1, 1},
    {"TZS", SPK_CUR_SHILLING, 3, 1}, {"USh", SPK_CUR_SHILLING, 1, 1},
    {"UGX", SPK_CUR_SHILLING, 3, 1}, {"Sh", SPK_CUR_SHILLING, 1, 1},
    {"GH₵", SPK_CUR_CEDI, 3, 0},     {"₵", SPK_CUR_CEDI, 3, 0},
    {"GHS", SPK_CUR_CEDI, 3, 1},     {"FCFA", SPK_CUR_CFA, 3, 1},
    {"F CFA", SPK_CUR_CFA, 2, 1},    {"CFA", SPK_CUR_CFA, 3, 1},
    {"XOF", SPK_CUR_CFA, 3, 1},      {"XAF", SPK_CUR_CFA, 3, 1},
    {"ZAR", SPK_CUR_RAND, 3, 1},
};

int spk_currency_at(const char *s, size_t n, int before, size_t *len)
{
    for (size_t i = 0; i < sizeof money / sizeof money[0]; i++) {
        size_t k = strlen(money[i].text);
        if (k > n || memcmp(s, money[i].text, k) || !(money[i].where & (before ? 1 : 2)))
            continue;
        if (money[i].word && k < n) {
            size_t cl;
            uint32_t next = spk_cp(s + k, n - k, &cl);
            if (spk_is_letter(next))
                continue;
        }
        *len = k;
        return money[i].cur;
    }
    return -1;
}

int spk_month_at(const spk_lang *L, const char *s, size_t n, size_t *len)
{
    for (int m = 0; m < 12; m++) {
        size_t k = strlen(L->months[m]);
        size_t cl;
        if (k <= n && !strncasecmp(s, L->months[m], k) &&
            (k == n || !spk_is_letter(spk_cp(s + k, n - k, &cl)))) {
            *len = k;
            return m + 1;
        }
    }
    return 0;
}

/* ---- fractions ---------------------------------------------------------------------------- */

/* Denominators 2..12 as ordinal nouns, singular and plural. */
static const char *const frac_en[11][2] = {
    {"half", "halves"},   {"third", "thirds"},       {"quarter", "quarters"},
    {"fifth", "fifths"},  {"sixth", "sixths"},       {"seventh", "sevenths"},
    {"eighth", "eighths"}, {"ninth", "ninths"},      {"tenth", "tenths"},
    {"eleventh", "elevenths"}, {"twelfth", "twelfths"}};
static const char *const frac_fr[11][2] = {
    {"demi", "demis"},         {"tiers", "tiers"},         {"quart", "quarts"},
    {"cinquième", "cinquièmes"}, {"sixième", "sixièmes"},   {"septième", "septièmes"},
    {"huitième", "huitièmes"}, {"neuvième", "neuvièmes"}, {"dixième", "dixièmes"},
    {"onzième", "onzièmes"},   {"douzième", "douzièmes"}};
static const char *const frac_pt[11][2] = {
    {"meio", "meios"},   {"terço", "terços"},   {"quarto", "quartos"}, {"quinto", "quintos"},
    {"sexto", "sextos"}, {"sétimo", "sétimos"}, {"oitavo", "oitavos"}, {"nono", "nonos"},
    {"décimo", "décimos"}, {"onze avos", "onze avos"}, {"doze avos", "doze avos"}};
static const char *const frac_es[11][2] = {
    {"medio", "medios"},     {"tercio", "tercios"},     {"cuarto", "cuartos"},
    {"quinto", "quintos"},   {"sexto", "sextos"},       {"séptimo", "séptimos"},
    {"octavo", "octavos"},   {"noveno", "novenos"},     {"décimo", "décimos"},
    {"onceavo", "onceavos"}, {"doceavo", "doceavos"}};

int spk_say_fraction(cw_buf *out, const spk_lang *L, int n, int d, int whole)
{
    if (d < 2 || d > 12 || n < 1)
        return 0;
    const char *and_ = !strcmp(L->code, "en") ? "and" : !strcmp(L->code, "fr") ? "et"
                     : !strcmp(L->code, "sw") ? "na" : !strcmp(L->code, "ar") ? "و"
                     : !strcmp(L->code, "pt") ? "e" : "y";
    const char *const(*tab)[2] = !strcmp(L->code, "en") ? frac_en : !strcmp(L->code, "fr") ? frac_fr
                              : !strcmp(L->code, "pt") ? frac_pt : !strcmp(L->code, "es") ? frac_es
                              : NULL;
    if (tab) {
        if (whole)
            cw_buf_printf(out, "%s ", and_);
        if (!strcmp(L->code, "en") && n == 1 && d == 2 && whole)
            cw_buf_puts(out, "a half");
        else if (n == 1)
            cw_buf_printf(out, "%s %s", !strcmp(L->code, "en") ? "one" : !strcmp(L->code, "fr") ? "un"
                          : !strcmp(L->code, "pt") ? "um" : "un", tab[d - 2][0]);
        else
            cw_buf_printf(out, "%d %s", n, tab[d - 2][1]);
        return 1;
    }
    if (!strcmp(L->code, "sw")) {
        if (whole)
            cw_buf_printf(out, "%s ", and_);
        if (d == 2 && n == 1)
            cw_buf_puts(out, "nusu");
        else if (d == 4)
            cw_buf_printf(out, n == 1 ? "robo" : "robo %d", n);
        else if (d == 3)
            cw_buf_printf(out, "theluthi %d", n);
        else
            cw_buf_printf(out, "sehemu %d kati ya %d", n, d);
        return 1;
    }
    if (!strcmp(L->code, "ar")) {
        const char *w = d == 2 && n == 1 ? "نصف" : d == 3 && n == 1 ? "ثلث" : d == 3 && n == 2 ? "ثلثان"
                      : d == 4 && n == 1 ? "ربع" : d == 4 && n == 3 ? "ثلاثة أرباع" : NULL;
        if (!w)
            return 0;
        if (whole)
            cw_buf_printf(out, "%s ", and_);
        cw_buf_puts(out, w);
        return 1;
    }
    return 0;
}
