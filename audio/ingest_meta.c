/* ingest_meta.c — metadata for an ingest: where it comes from (options, a teacher's note
 * NAME.txt, the file name SERIES_EPISODE_TITLE.ext; the file's own tags are read by
 * cw_ingest itself), series keys (trimmed, lower-cased, checked against the calendars'
 * keys), and the extra Vorbis comments callers may add.
 * Guarantees: a field is set by the strongest source that gives it and never overwritten
 * by a weaker one; every string kept is owned and valid UTF-8 (notes are decoded by
 * cw_sidecar_parse); warnings are cw_diags with codes ingest.*, each naming the note or
 * file. */
#include "audio_int.h"
#include "ingest_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* ---- series keys ---------------------------------------------------------------------- */

void cw_series_key_normalise(char *key)
{
    if (!key)
        return;
    size_t n = strlen(key), a = 0;
    while (a < n && (key[a] == ' ' || key[a] == '\t' || key[a] == '\r' || key[a] == '\n'))
        a++;
    while (n > a && (key[n - 1] == ' ' || key[n - 1] == '\t' || key[n - 1] == '\r' ||
                     key[n - 1] == '\n'))
        n--;
    for (size_t i = a; i < n; i++)
        key[i - a] = key[i] >= 'A' && key[i] <= 'Z' ? (char)(key[i] + 32) : key[i];
    key[n - a] = 0;
}

int cw_audio_ingest_key_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64 || s[0] == '.' || s[0] == '-')
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') &&
            c != '-' && c != '_' && c != '.')
            return 0;
    }
    return 1;
}

/* Levenshtein distance, capped at 9 (only small ones matter). */
static int distance(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    if (na > 64 || nb > 64)
        return 9;
    int row[65];
    for (size_t j = 0; j <= nb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= na; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= nb; j++) {
            int up = row[j];
            int best = diag + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[nb] > 9 ? 9 : row[nb];
}

/* Do a and b differ only in digits (maths-g5, maths-g6: two series, not a typo)? */
static int only_digits_differ(const char *a, const char *b)
{
    if (strlen(a) != strlen(b))
        return 0;
    for (; *a; a++, b++)
        if (*a != *b && !((*a >= '0' && *a <= '9') && (*b >= '0' && *b <= '9')))
            return 0;
    return 1;
}

void cw_audio_ingest_check_series(const char *series, const cw_ingest_opts *o, const char *name,
                                  cw_diags *d)
{
    const cw_strlist *known = o->known_series;
    if (!series || !series[0])
        return;
    const char *near = NULL;
    if (o->series_known) {
        if (o->series_known(o->series_known_user, series, &near))
            return;
        known = NULL;
    } else {
        if (!known || known->n == 0)
            return;
        int best = 9;
        for (size_t i = 0; i < known->n; i++) {
            if (strcasecmp(known->v[i], series) == 0)
                return;
            int k = distance(series, known->v[i]);
            if (k < best && !only_digits_differ(series, known->v[i])) {
                best = k;
                near = known->v[i];
            }
        }
        size_t len = strlen(series);
        if (best > (len < 6 ? 1 : len < 12 ? 2 : 3))
            near = NULL;
    }
    if (near)
        cw_diags_addf(d, CW_DIAG_WARNING, "ingest.series-unknown", name, 0, series,
                      "no calendar uses %s - did you mean %s? (stored, but no slot plays it "
                      "until a calendar uses the key)", series, near);
    else if (known)
        cw_diags_addf(d, CW_DIAG_WARNING, "ingest.series-unknown", name, 0, series,
                      "no calendar uses %s (stored, but no slot plays it until a calendar "
                      "uses the key; the calendars use %s%s%s%s)", series, known->v[0],
                      known->n > 1 ? ", " : "", known->n > 1 ? known->v[1] : "",
                      known->n > 2 ? ", ..." : "");
    else
        cw_diags_addf(d, CW_DIAG_WARNING, "ingest.series-unknown", name, 0, series,
                      "no calendar uses %s (stored, but no slot plays it until a calendar "
                      "uses the key)", series);
}

/* ---- extra comments -------------------------------------------------------------------- */

/* The keys ingest writes itself. */
static const char *const reserved[] = {
    "TITLE", "ARTIST", "ALBUM", "GENRE", "LANGUAGE", "TRACKNUMBER", "DATE",
    "CHALKWAVE_SERIES", "CHALKWAVE_KIND", "CHALKWAVE_EPISODE", "CHALKWAVE_VALID_FROM",
    "CHALKWAVE_VALID_UNTIL", "CHALKWAVE_SOURCE_SHA256", "CHALKWAVE_LUFS_IN",
    "CHALKWAVE_LUFS_OUT", "CHALKWAVE_LRA_IN", "CHALKWAVE_LRA", "CHALKWAVE_TRUE_PEAK_IN",
    "CHALKWAVE_TRUE_PEAK_OUT",
};

int cw_audio_ingest_extra_ok(const cw_strlist *extra, int has_description, const char *name,
                       cw_error *err)
{
    for (size_t i = 0; extra && i < extra->n; i++) {
        const char *c = extra->v[i], *eq = strchr(c, '=');
        size_t kl = eq ? (size_t)(eq - c) : 0;
        int key_ok = kl > 0;
        for (size_t k = 0; k < kl; k++)
            key_ok &= c[k] >= 0x20 && c[k] <= 0x7D;
        if (!key_ok)
            return cw_fail(err, CW_EINVAL, name, 0, "comment '%.40s' is not KEY=value (the "
                           "key in plain letters)", c);
        for (size_t r = 0; r < sizeof reserved / sizeof reserved[0]; r++)
            if (strlen(reserved[r]) == kl && strncasecmp(c, reserved[r], kl) == 0)
                return cw_fail(err, CW_EINVAL, name, 0, "comment %.*s is set by chalkwave "
                               "itself (give it as metadata instead)", (int)kl, c);
        if (kl == 11 && strncasecmp(c, "DESCRIPTION", 11) == 0 && has_description)
            return cw_fail(err, CW_EINVAL, name, 0, "a description is given twice (as "
                           "metadata and as a DESCRIPTION comment)");
        const char *v = eq + 1;
        size_t vl = strlen(v);
        if (!cw_utf8_valid(v, vl))
            return cw_fail(err, CW_EINVAL, name, 0, "comment %.*s is not valid UTF-8 text",
                           (int)kl, c);
        for (size_t k = 0; k < vl; k++)
            if ((unsigned char)v[k] < 0x20 && v[k] != '\n')
                return cw_fail(err, CW_EINVAL, name, 0, "comment %.*s contains control "
                               "characters", (int)kl, c);
    }
    return 0;
}

/* ---- gathering metadata ---------------------------------------------------------------- */

void cw_meta_clear(cw_meta *m)
{
    if (!m)
        return;
    free(m->series);
    free(m->title);
    free(m->teacher);
    free(m->language);
    free(m->description);
    free(m->valid_from);
    free(m->valid_until);
    free(m->date);
    memset(m, 0, sizeof *m);
}

/* Set *dst to a copy of v when nothing stronger set it. -1 when out of memory. */
static int fill(char **dst, const char *v)
{
    if (*dst || !v || !v[0])
        return 0;
    return (*dst = cw_strdup(v)) ? 0 : -1;
}

static int fill_series(cw_meta *m, const char *v)
{
    if (fill(&m->series, v))
        return -1;
    cw_series_key_normalise(m->series);
    if (m->series && !m->series[0]) { /* only spaces: not given */
        free(m->series);
        m->series = NULL;
    }
    return 0;
}

int cw_meta_fill(cw_meta *m, const cw_ingest_meta *o, int episode_offset)
{
    int bad = fill_series(m, o->series) | fill(&m->title, o->title) |
              fill(&m->teacher, o->teacher) | fill(&m->language, o->language) |
              fill(&m->description, o->description) | fill(&m->valid_from, o->valid_from) |
              fill(&m->valid_until, o->valid_until) | fill(&m->date, o->date);
    if (!m->episode && o->episode)
        m->episode = o->episode + episode_offset;
    if (m->kind == CW_KIND_NONE)
        m->kind = o->kind;
    return bad ? CW_ENOMEM : 0;
}

char *cw_meta_note_path(const char *path)
{
    const char *base = cw_path_base(path);
    const char *dot = strrchr(base, '.');
    struct stat sb;
    char *a = dot && dot != base ? cw_asprintf("%.*s.txt", (int)(dot - path), path) : NULL;
    if (a && lstat(a, &sb) == 0)
        return a;
    free(a);
    a = cw_asprintf("%s.txt", path);
    if (a && lstat(a, &sb) == 0)
        return a;
    free(a);
    return NULL;
}

int cw_meta_read_note(cw_meta *m, const char *sc, cw_diags *notes, cw_error *err)
{
    char *text = NULL;
    size_t len = 0;
    cw_error e = {0};
    const char *base = cw_path_base(sc);
    int rc = cw_read_file(sc, CW_SIDECAR_MAX_BYTES, &text, &len, &e);
    if (rc == CW_ELIMIT)
        return cw_fail(err, CW_EINVAL, sc, 0, "the note '%s' is too large (the limit is %d KB; "
                       "keep only the 'Key: value' lines)", base, CW_SIDECAR_MAX_BYTES / 1024);
    if (rc)
        return cw_fail(err, rc, sc, 0, "cannot read the note '%s': %s", base, e.text);
    cw_sidecar sm;
    cw_strlist w = {0};
    rc = cw_sidecar_parse(text, len, &sm, &w, &e);
    free(text);
    for (size_t i = 0; i < w.n; i++) {
        int line = !strncmp(w.v[i], "line ", 5) ? atoi(w.v[i] + 5) : 0;
        cw_diags_addf(notes, CW_DIAG_WARNING, "ingest.note", base, line, NULL, "%s%s%s", base,
                      line ? " " : ": ", w.v[i]);
    }
    cw_strlist_free(&w);
    if (rc)
        return cw_fail(err, rc == CW_ENOMEM ? CW_ENOMEM : CW_EINVAL, sc, e.line, "%s%s%s", base,
                       e.line ? " " : ": ", e.text);
    cw_ingest_meta o = {.series = sm.series, .title = sm.title, .teacher = sm.teacher,
                        .language = sm.language, .description = sm.description,
                        .valid_from = sm.valid_from, .valid_until = sm.valid_until,
                        .episode = sm.episode, .kind = sm.kind, .date = sm.date};
    rc = cw_meta_fill(m, &o, 0);
    if (!m->replace)
        m->replace = sm.replace;
    cw_sidecar_clear(&sm);
    return rc ? cw_fail(err, rc, sc, 0, "out of memory") : 0;
}

/* Titles taken from a file name are ours to shorten (a title the user typed is refused
 * when too long): cut at a UTF-8 character boundary. Returns 1 when it cut. */
static int shorten_title(char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max)
        return 0;
    size_t cut = max;
    for (int k = 0; k < 3 && cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80; k++)
        cut--;
    if (((unsigned char)s[cut] & 0xC0) == 0x80)
        cut = max; /* not UTF-8 there: the title check reports it */
    while (cut > 0 && s[cut - 1] == ' ')
        cut--;
    s[cut] = 0;
    return 1;
}

void cw_meta_from_name(cw_meta *m, const char *name, cw_diags *notes)
{
    name = cw_path_base(name);
    const char *dot = strrchr(name, '.');
    size_t n = dot && dot != name ? (size_t)(dot - name) : strlen(name);
    char stem[512];
    if (n >= sizeof stem)
        return;
    memcpy(stem, name, n);
    stem[n] = 0;
    char *u1 = strchr(stem, '_');
    if (!u1 || u1 == stem)
        return;
    char *u2 = strchr(u1 + 1, '_');
    size_t el = u2 ? (size_t)(u2 - u1 - 1) : strlen(u1 + 1);
    if (el == 0 || el > 7)
        return;
    int e = 0;
    for (size_t i = 0; i < el; i++) {
        if (u1[1 + i] < '0' || u1[1 + i] > '9')
            return;
        e = e * 10 + (u1[1 + i] - '0');
    }
    if (e < 1 || e > 999)
        return;
    *u1 = 0;
    for (char *q = stem; *q; q++)
        if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
              *q == '-' || *q == '.'))
            return;
    if (fill_series(m, stem))
        return;
    if (!m->episode)
        m->episode = e;
    if (u2 && u2[1] && !m->title) {
        for (char *q = u2 + 1; *q; q++)
            if (*q == '_')
                *q = ' ';
        if (shorten_title(u2 + 1, CW_TITLE_MAX_BYTES))
            cw_diags_addf(notes, CW_DIAG_WARNING, "ingest.title-shortened", name, 0, NULL,
                          "the title from the file name is longer than %d bytes; shortened to "
                          "'%s' (give a title or a note to choose another)",
                          CW_TITLE_MAX_BYTES, u2 + 1);
        (void)fill(&m->title, u2 + 1);
    }
}

cw_ingest_meta cw_meta_view(const cw_meta *m)
{
    return (cw_ingest_meta){.series = m->series, .title = m->title, .teacher = m->teacher,
                            .language = m->language, .description = m->description,
                            .valid_from = m->valid_from, .valid_until = m->valid_until,
                            .episode = m->episode, .kind = m->kind, .date = m->date};
}
