/* ingest.c — the ingest workflow: one teacher's file -> one broadcast-ready Ogg Vorbis file
 * in the library (or pending/), or a reason. The steps, each a function: validate the
 * metadata; the source checksum and the library's conflicts (beside pass 1); measure (pass
 * 1, analyse.c); plan the trim; render (pass 2, render.c) until the decoded file is under
 * the ceiling and on target (more limiter margin, or a gain found by measuring passes);
 * commit under the library lock.
 * Guarantees: memory does not grow with the recording; the library is touched only at the
 * end, under a lock, by renaming a complete file into place (a refusal or a cancellation
 * leaves it as it was); the same source and settings give the same bytes (serial from the
 * source's SHA-256 and the settings; DATE from the caller or the file's own tags, never
 * the clock). */
#include "audio_int.h"
#include "ingest_int.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define FIRST_MARGIN 0.5   /* dB under the ceiling the limiter aims at first */
#define MAX_ATTEMPTS 4
#define LUFS_TOLERANCE 0.3 /* LU: re-run pass 2 with corrected gain beyond this */
#define LONG_PAUSE 20.0    /* s: inner pauses this long are reported */
#define DC_LIMIT 0.01      /* a constant offset above this (1%, -40 dBFS) is removed */
#define NOISE_CORR 0.05    /* |lag-1 autocorrelation| under this, and loud: only noise */
#define NOISE_LUFS -20.0

void cw_ingest_result_free(cw_ingest_result *r)
{
    if (r)
        cw_diags_free(&r->diags);
}

/* ---- one ingest ---------------------------------------------------------------------- */

typedef struct job {
    const cw_station *st;
    const char *src, *name;  /* the file, and its name for messages */
    const cw_ingest_opts *o;
    cw_ingest_meta m;        /* resolved: defaults and tags filled in */
    char series[80];         /* the normalised key m.series points to */
    char title[CW_TITLE_MAX_BYTES + 1];
    char date[11];
    cw_ingest_result *res;
    cw_audio_analysis a;
    int64_t lead, tail;
    double fade_in_s;
    cw_audio_render_plan plan;
    cw_audio_render_out out;
    cw_strlist comments;     /* the final extra comments */
    cw_audio_ingest_conflicts q;   /* checksum and library conflicts */
} job;

static int progress_fn(void *user, double f)
{
    const cw_ingest_opts *o = user;
    return o->progress ? o->progress(o->progress_user, f) : 0;
}

/* ---- validate: the metadata given (cheap, first) ------------------------------------- */

static int text_ok(const char *name, const char *what, const char *s, size_t max,
                   cw_error *err)
{
    if (!s)
        return 0;
    size_t n = strlen(s);
    if (n > max)
        return cw_fail(err, CW_EINVAL, name, 0, "the %s is longer than %zu bytes (shorten it)",
                       what, max);
    if (!cw_utf8_valid(s, n))
        return cw_fail(err, CW_EINVAL, name, 0, "the %s is not valid UTF-8 text (retype it)",
                       what);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 && !(s[i] == '\n' && max > 1000))
            return cw_fail(err, CW_EINVAL, name, 0, "the %s contains control characters "
                           "(retype it)", what);
    return 0;
}

static int dates_ok(const job *j, cw_error *err)
{
    const cw_ingest_meta *m = &j->m;
    cw_date d1, d2;
    int has_from = m->valid_from && m->valid_from[0], has_until = m->valid_until && m->valid_until[0];
    if (has_from && cw_date_parse(m->valid_from, &d1))
        return cw_fail(err, CW_EINVAL, j->name, 0, "valid-from '%.40s' is not a date (use "
                       "YYYY-MM-DD)", m->valid_from);
    if (has_until && cw_date_parse(m->valid_until, &d2))
        return cw_fail(err, CW_EINVAL, j->name, 0, "valid-until '%.40s' is not a date (use "
                       "YYYY-MM-DD)", m->valid_until);
    if (has_from && has_until && cw_date_cmp(d1, d2) > 0)
        return cw_fail(err, CW_EINVAL, j->name, 0, "valid-from %s is after valid-until %s "
                       "(swap them)", m->valid_from, m->valid_until);
    if (m->date && m->date[0] && cw_date_parse(m->date, &d1))
        return cw_fail(err, CW_EINVAL, j->name, 0, "date '%.40s' is not a date (use "
                       "YYYY-MM-DD)", m->date);
    return 0;
}

/* Everything about the metadata that can be refused without reading the recording. */
static int validate(job *j, cw_error *err)
{
    cw_ingest_meta *m = &j->m;
    *m = j->o->meta;
    snprintf(j->series, sizeof j->series, "%s", m->series ? m->series : "");
    if (m->series && strlen(m->series) >= sizeof j->series)
        return cw_fail(err, CW_EINVAL, j->name, 0, "series key '%.40s...' is longer than 64 "
                       "characters (use a short key, e.g. maths-5)", m->series);
    cw_series_key_normalise(j->series);
    m->series = j->series;
    if (m->kind == CW_KIND_NONE)
        m->kind = m->series[0] ? CW_KIND_LESSON : CW_KIND_FILLER;
    if (m->kind != CW_KIND_LESSON && m->kind != CW_KIND_NEWSLETTER && m->kind != CW_KIND_FILLER)
        return cw_fail(err, CW_EINVAL, j->name, 0, "kind must be lesson, newsletter or filler");
    if (m->series[0] && !cw_audio_ingest_key_ok(m->series))
        return cw_fail(err, CW_EINVAL, j->name, 0, "series key '%.80s' may use only letters, "
                       "digits, '-', '_' and '.', up to 64 (e.g. maths-5)", m->series);
    if (m->episode < 0 || m->episode > 999)
        return cw_fail(err, CW_EINVAL, j->name, 0, "episode %d is out of range (1 to 999)",
                       m->episode);
    if (m->kind == CW_KIND_LESSON && (!m->series[0] || m->episode <= 0))
        return cw_fail(err, CW_EINVAL, j->name, 0, "no series and episode for this lesson: "
                       "give them (e.g. --series maths-5 --episode 3), add a note with "
                       "'Series: maths-5' and 'Episode: 3' lines, or name the file like "
                       "maths-5_003_fractions.wav");
    int rc;
    if ((rc = text_ok(j->name, "title", m->title, CW_TITLE_MAX_BYTES, err)) ||
        (rc = text_ok(j->name, "teacher", m->teacher, CW_TITLE_MAX_BYTES, err)) ||
        (rc = text_ok(j->name, "language", m->language, 35, err)) ||
        (rc = text_ok(j->name, "description", m->description, CW_DESCRIPTION_MAX_BYTES, err)) ||
        (rc = dates_ok(j, err)))
        return rc;
    if (!m->language || !m->language[0])
        m->language = j->st->language;
    return cw_audio_ingest_extra_ok(j->o->extra_comments, m->description != NULL && m->description[0],
                              j->name, err);
}

/* ---- measure: pass 1 and the refusals it decides -------------------------------------- */

static int measure(job *j, cw_error *err)
{
    const cw_station *st = j->st;
    cw_audio_pass_progress pg = {progress_fn, (void *)j->o, 0.0, 0.25, 0};
    int rc = cw_audio_analyse_pass(j->src, st->channels, st->silence_threshold, 0, &j->a, &pg,
                                   err);
    if (rc)
        return rc;
    const cw_audio_analysis *a = &j->a;
    snprintf(j->res->format, sizeof j->res->format, "%s", a->format);
    cw_diags_extend(&j->res->diags, &a->notes);
    double total = (double)a->frames / a->rate;
    char dur[32], lim[32];
    if (a->first_sound < 0 || !(a->lufs > -70.0)) {
        cw_audio_fmt_duration(total, dur);
        if (total < st->min_length) {
            cw_audio_fmt_duration(st->min_length, lim);
            return cw_fail(err, CW_EINVAL, j->name, 0, "the recording is too short: %s (at "
                           "least %s of speech are needed)", dur, lim);
        }
        return cw_fail(err, CW_EINVAL, j->name, 0, "the recording is silent (nothing louder "
                       "than %.0f dBFS in %s): check the microphone was on and record again",
                       st->silence_threshold, dur);
    }
    if (fabs(a->noise_corr) < NOISE_CORR && a->lufs > NOISE_LUFS)
        return cw_fail(err, CW_EINVAL, j->name, 0, "the recording is only loud noise (a hiss "
                       "like random data, no speech): the file is damaged or is not a "
                       "recording; copy it again from the recorder or phone");
    return 0;
}

/* ---- plan: what is trimmed, faded and corrected --------------------------------------- */

static int plan(job *j, cw_error *err)
{
    const cw_station *st = j->st;
    const cw_audio_analysis *a = &j->a;
    int64_t margin = (int64_t)(st->silence_margin * a->rate + 0.5);
    int64_t min_pause = (int64_t)(st->min_pause * a->rate + 0.5);
    int64_t lead = a->first_sound > margin ? a->first_sound - margin : 0;
    int64_t tail = a->sound_end + margin < a->frames ? a->sound_end + margin : a->frames;
    if (a->first_sound < min_pause)
        lead = 0; /* a breath before the first word is not a gap to cut */
    if (a->frames - a->sound_end < min_pause)
        tail = a->frames;
    double kept = (double)(tail - lead) / a->rate;
    char dur[32], lim[32];
    cw_audio_fmt_duration(kept, dur);
    if (kept < st->min_length) {
        cw_audio_fmt_duration(st->min_length, lim);
        return cw_fail(err, CW_EINVAL, j->name, 0, "the recording is too short: %s of sound "
                       "after removing silence at the ends (at least %s are needed)", dur, lim);
    }
    if (kept > st->max_length) {
        cw_audio_fmt_duration(st->max_length, lim);
        return cw_fail(err, CW_ELIMIT, j->name, 0, "the recording is too long: %s (the "
                       "station takes at most %s; split it into parts)", dur, lim);
    }
    cw_ingest_result *res = j->res;
    res->lufs_in = a->lufs;
    res->clipped_percent = a->clipped_pct;
    res->trimmed_lead = (double)lead / a->rate;
    res->trimmed_tail = (double)(a->frames - tail) / a->rate;
    if (a->clipped_pct >= 0.1)
        cw_diags_addf(&res->diags, CW_DIAG_WARNING, "ingest.clipped", j->name, 0, NULL,
                      "the recording is clipped (distorted by being too loud) in %.1f%% of its "
                      "samples: it will sound rough; next time record a little further from "
                      "the microphone", a->clipped_pct);
    if (a->longest_pause >= LONG_PAUSE) {
        cw_audio_fmt_duration(a->longest_pause_at, lim);
        cw_diags_addf(&res->diags, CW_DIAG_WARNING, "ingest.long-pause", j->name, 0, NULL,
                      "there is a pause of %.0f s at %s (kept; check nothing is missing)",
                      a->longest_pause, lim);
    }
    /* the render plan */
    cw_audio_render_plan *p = &j->plan;
    memset(p, 0, sizeof *p);
    p->lead = lead;
    p->tail = tail;
    double fade_s = st->fade < st->silence_margin ? st->fade : st->silence_margin;
    int64_t fade_max = (int64_t)(fade_s * a->rate + 0.5);
    int64_t short_fade = (int64_t)(0.005 * a->rate + 0.5); /* de-click even when not trimmed */
    p->fade_in = lead > 0 ? (fade_max < a->first_sound - lead ? fade_max : a->first_sound - lead)
                          : short_fade;
    p->fade_out = tail < a->frames
                      ? (fade_max < tail - a->sound_end ? fade_max : tail - a->sound_end)
                      : short_fade;
    if (p->fade_in < short_fade)
        p->fade_in = short_fade;
    if (p->fade_out < short_fade)
        p->fade_out = short_fade;
    double worst = 0;
    for (int c = 0; c < a->outch && c < 8; c++)
        if (fabs(a->dc[c]) > worst)
            worst = fabs(a->dc[c]);
    if (worst > DC_LIMIT) {
        memcpy(p->dc, a->dc, sizeof p->dc);
        cw_diags_addf(&res->diags, CW_DIAG_WARNING, "ingest.dc-offset", j->name, 0, NULL,
                      "the recording is shifted by a constant offset (%.1f%% of full scale; "
                      "often a fault of the recorder or its cable); removed", 100.0 * worst);
    }
    p->rate = st->rate;
    p->channels = st->channels;
    p->quality = st->quality;
    return 0;
}

/* ---- render: pass 2 until the decoded file is under the ceiling and on target -------- */

static int render(job *j, cw_audio_ingest_work *w, const cw_link_meta *lm, cw_error *err)
{
    const cw_station *st = j->st;
    cw_audio_render_plan *p = &j->plan;
    cw_audio_render_out *o = &j->out;
    double gain_db = st->loudness - j->a.lufs, margin_db = FIRST_MARGIN, src_tp = NAN;
    int ok = 0;
    for (int attempt = 0; attempt < MAX_ATTEMPTS && !ok; attempt++) {
        int rc = cw_audio_ingest_work_reset(w, err);
        if (rc)
            return rc;
        p->fp = w->fp;
        p->work_path = w->path;
        p->meta = lm;
        p->gain = cw_audio_db_to_lin(gain_db);
        p->ceiling = cw_audio_db_to_lin(st->true_peak - margin_db);
        p->src_tp_db = attempt == 0 ? &src_tp : NULL;
        cw_audio_pass_progress pg = {progress_fn, (void *)j->o,
                                     0.25 + 0.6 * attempt / MAX_ATTEMPTS,
                                     attempt == 0 ? 0.6 : 0.6 / MAX_ATTEMPTS, 0};
        if ((rc = cw_audio_render(j->src, p, o, &pg, err)) != 0)
            return rc;
        if (attempt == 0)
            j->a.tp_db = src_tp;
        int peak_ok = o->tp_db <= st->true_peak;
        int loud_ok = fabs(o->lufs - st->loudness) <= LUFS_TOLERANCE;
        ok = peak_ok && loud_ok;
        if (!peak_ok)
            margin_db += o->tp_db - st->true_peak + 0.2;
        if (!loud_ok && isfinite(o->lufs) &&
            (rc = cw_audio_find_gain(j->src, p, st->loudness, &gain_db, o->lufs, &pg, err)) != 0)
            return rc;
        if (!ok && attempt == MAX_ATTEMPTS - 1 && peak_ok && fabs(o->lufs - st->loudness) <= 0.5)
            ok = 1; /* within EBU R128's +-0.5 LU: good enough after the last try */
    }
    if (!ok)
        return cw_fail(err, CW_EINVAL, j->name, 0, "cannot bring this recording to %.1f LUFS "
                       "under %.1f dBTP (it reaches %.1f LUFS at %.1f dBTP with its peaks "
                       "turned down by %.0f dB): its loudest moments are far louder than the "
                       "rest (clicks, knocks or distortion); record it again with the phone "
                       "held still, not too close", st->loudness, st->true_peak, o->lufs,
                       o->tp_db, -cw_audio_lin_to_db(o->min_gain));
    cw_ingest_result *res = j->res;
    res->true_peak_in = j->a.tp_db;
    res->seconds = (double)o->frames / st->rate;
    res->lufs_out = o->lufs;
    res->lra_in = j->a.lra;
    res->lra_out = o->lra;
    res->true_peak_out = o->tp_db;
    if (o->min_gain < cw_audio_db_to_lin(-6.0))
        cw_diags_addf(&res->diags, CW_DIAG_WARNING, "ingest.peaks-reduced", j->name, 0, NULL,
                      "loud peaks were reduced by up to %.0f dB to stay under the ceiling",
                      -cw_audio_lin_to_db(o->min_gain));
    return 0;
}

/* ---- after pass 1: what the file's tags give, and the names ---------------------------- */

static void resolve_from_tags(job *j)
{
    cw_ingest_meta *m = &j->m;
    const cw_audio_tags *t = &j->a.tags;
    if (!m->title || !m->title[0]) {
        if (t->title[0]) {
            cw_audio_tag_copy(j->title, sizeof j->title, t->title);
        } else if (cw_default_title(j->name, j->title, sizeof j->title, CW_TITLE_MAX_BYTES)) {
            cw_diags_addf(&j->res->diags, CW_DIAG_WARNING, "ingest.title-shortened", j->name, 0,
                          NULL, "the file name is longer than %d bytes; the title is shortened "
                          "to '%s' (give a title to choose another)", CW_TITLE_MAX_BYTES,
                          j->title);
        }
        m->title = j->title;
    }
    if ((!m->teacher || !m->teacher[0]) && t->artist[0])
        m->teacher = t->artist;
    snprintf(j->date, sizeof j->date, "%s", m->date && m->date[0] ? m->date : t->date);
    m->date = j->date;
}

static void library_path(job *j)
{
    char slug[64], dir[80];
    cw_slugify(j->m.title, slug, 48);
    if (j->m.series[0]) {
        snprintf(dir, sizeof dir, "%s", j->m.series);
    } else {
        char stem[256];
        cw_default_title(j->name, stem, sizeof stem, sizeof stem - 1);
        cw_slugify(stem, dir, 48);
    }
    snprintf(j->res->library_path, sizeof j->res->library_path, "%s/%s/%s/%03d-%s.ogg",
             j->o->pending ? "pending" : "library", cw_kind_name(j->m.kind), dir, j->m.episode,
             slug);
}

static uint32_t serial_of(const job *j)
{
    const cw_station *st = j->st;
    char settings[512];
    snprintf(settings, sizeof settings, "%s|%d|%d|%.3f|%.3f|%.3f|%.3f|%.3f|%.3f|%.3f|%.3f|%.3f",
             j->q.sha, st->rate, st->channels, st->quality, st->loudness, st->true_peak,
             st->silence_threshold, st->silence_margin, st->fade, st->min_length,
             st->max_length, st->min_pause);
    return cw_hash32(settings, strlen(settings));
}

static void fmt2(cw_strlist *l, const char *key, double v)
{
    if (isfinite(v))
        cw_strlist_pushf(l, "%s=%.2f", key, v);
}

/* The comments that go with the metadata: stored, then measured. */
static void final_comments(job *j)
{
    const cw_ingest_meta *m = &j->m;
    cw_strlist *l = &j->comments;
    if (m->date[0])
        cw_strlist_pushf(l, "DATE=%s", m->date);
    if (m->series[0])
        cw_strlist_pushf(l, "CHALKWAVE_SERIES=%s", m->series);
    cw_strlist_pushf(l, "CHALKWAVE_KIND=%s", cw_kind_name(m->kind));
    if (m->episode > 0)
        cw_strlist_pushf(l, "CHALKWAVE_EPISODE=%d", m->episode);
    if (m->valid_from && m->valid_from[0])
        cw_strlist_pushf(l, "CHALKWAVE_VALID_FROM=%s", m->valid_from);
    if (m->valid_until && m->valid_until[0])
        cw_strlist_pushf(l, "CHALKWAVE_VALID_UNTIL=%s", m->valid_until);
    cw_strlist_pushf(l, "CHALKWAVE_SOURCE_SHA256=%s", j->q.sha);
    const cw_strlist *x = j->o->extra_comments;
    for (size_t i = 0; x && i < x->n; i++)
        cw_strlist_push(l, x->v[i]);
    fmt2(l, "CHALKWAVE_LUFS_IN", j->a.lufs);
    fmt2(l, "CHALKWAVE_LUFS_OUT", j->out.lufs);
    fmt2(l, "CHALKWAVE_LRA_IN", j->a.lra);
    fmt2(l, "CHALKWAVE_LRA", j->out.lra);
    fmt2(l, "CHALKWAVE_TRUE_PEAK_IN", j->a.tp_db);
    fmt2(l, "CHALKWAVE_TRUE_PEAK_OUT", j->out.tp_db);
}

/* ---- commit: the final header, then rename into place under the library lock ------------ */

static int commit(job *j, cw_audio_ingest_work *w, cw_link_meta *lm, cw_error *err)
{
    const cw_station *st = j->st;
    final_comments(j);
    lm->extra = &j->comments;
    cw_buf hdr;
    cw_buf_init(&hdr);
    int rc = cw_audio_vorbis_headers_build(&hdr, st->rate, st->channels, st->quality,
                                           j->plan.serial, lm, err);
    if (rc == 0 && hdr.len > 60000) /* the header pages must keep their number */
        rc = cw_fail(err, CW_EINVAL, j->name, 0, "the description is too long for the file "
                     "header (shorten it)");
    if (rc == 0 && progress_fn((void *)j->o, 0.95))
        rc = cw_fail(err, CW_ECANCELLED, j->name, 0, "cancelled");
    int lockfd = -1;
    cw_atomic *final = NULL;
    if (rc == 0)
        rc = cw_audio_ingest_lock(st->dir, &lockfd, err);
    if (rc == 0 && (rc = cw_audio_ingest_conflicts_check(&j->q, err)) != 0)
        cw_audio_ingest_report_dup(j->res, &j->q);
    if (rc == 0 && !j->o->replace && cw_path_exists(w->final_abs))
        rc = cw_fail(err, CW_EEXIST, j->name, 0, "'%s' is already in the library (give "
                     "another title, or replace it)", j->res->library_path);
    if (rc == 0)
        rc = cw_atomic_open(&final, w->final_abs, err);
    if (rc == 0) {
        FILE *ffp = cw_atomic_fp(final);
        if (fwrite(hdr.data, 1, hdr.len, ffp) != hdr.len)
            rc = cw_fail(err, CW_EIO, w->final_abs, 0, "cannot write (disk full?)");
        else
            rc = cw_audio_ingest_copy_tail(w->path, j->out.header_bytes, ffp, err);
        if (rc == 0) {
            rc = cw_atomic_commit(final, err);
            final = NULL;
        }
    }
    cw_atomic_abort(final);
    cw_buf_free(&hdr);
    const char *old = j->q.replace_path;
    if (rc == 0 && old[0] && strcmp(old, j->res->library_path) != 0) {
        char *abs = cw_path_join(st->dir, old);
        if (abs && unlink(abs) != 0)
            cw_diags_addf(&j->res->diags, CW_DIAG_WARNING, "ingest.replace-failed", j->name, 0,
                          NULL, "could not remove the replaced '%s': %s", old, strerror(errno));
        free(abs);
    }
    cw_audio_ingest_unlock(lockfd);
    return rc;
}

static int render_and_commit(job *j, cw_error *err)
{
    const cw_ingest_meta *m = &j->m;
    cw_link_meta lm = {.title = m->title, .artist = m->teacher,
                       .album = m->series[0] ? m->series : NULL, .genre = cw_kind_name(m->kind),
                       .language = m->language, .description = m->description,
                       .tracknumber = m->episode, .extra = NULL};
    cw_audio_ingest_work w;
    int rc = cw_audio_ingest_work_open(&w, j->st->dir, j->res->library_path, err);
    if (rc == 0)
        rc = render(j, &w, &lm, err);
    if (rc == 0)
        rc = commit(j, &w, &lm, err);
    cw_audio_ingest_work_close(&w);
    return rc;
}

/* ---- the whole thing ------------------------------------------------------------------ */

/* A refusal of the metadata: unless the same recording is already stored (then that is
 * what the sender needs to hear, whatever the file is called). */
static int refuse_meta(job *j, int rc, cw_error *err)
{
    struct stat sb;
    cw_error e2;
    if (rc != CW_EINVAL || stat(j->src, &sb) != 0 || !S_ISREG(sb.st_mode))
        return rc;
    cw_audio_ingest_conflicts q;
    memset(&q, 0, sizeof q);
    q.station_dir = j->st->dir;
    q.src = j->src;
    q.name = j->name;
    q.any_episode = 1;
    if (cw_audio_ingest_precheck(&q, &e2) == CW_EEXIST && q.dup_path[0]) {
        cw_audio_ingest_report_dup(j->res, &q);
        if (err)
            *err = e2;
        return CW_EEXIST;
    }
    return rc;
}

static int run(job *j, cw_error *err)
{
    const cw_station *st = j->st;
    int rc = validate(j, err);
    if (rc)
        return refuse_meta(j, rc, err);
    struct stat sb;
    if (stat(j->src, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        cw_audio_src *s = NULL; /* not a file: the source says what it is */
        rc = cw_audio_src_open(&s, j->src, err);
        cw_audio_src_close(s);
        return rc ? rc : cw_fail(err, CW_EINVAL, j->name, 0, "not a regular file");
    }
    /* the checksum and the library's conflicts beside pass 1; their refusals come first,
     * as if they had run before it */
    cw_audio_ingest_conflicts *q = &j->q;
    q->station_dir = st->dir;
    q->src = j->src;
    q->name = j->name;
    q->series = j->m.series;
    q->episode = j->m.episode;
    q->replace = j->o->replace;
    q->pending = j->o->pending;
    pthread_t qt;
    int threaded = pthread_create(&qt, NULL, cw_audio_ingest_precheck_main, q) == 0;
    if (!threaded)
        cw_audio_ingest_precheck_main(q);
    cw_error e1;
    e1.text[0] = 0;
    rc = measure(j, &e1);
    if (threaded)
        pthread_join(qt, NULL);
    if (q->rc) {
        cw_audio_ingest_report_dup(j->res, q);
        if (err)
            *err = q->err;
        return q->rc;
    }
    if (rc) {
        if (err)
            *err = e1;
        return rc;
    }
    if ((rc = plan(j, err)) != 0)
        return rc;
    resolve_from_tags(j);
    cw_audio_ingest_check_series(j->m.series, j->o, j->name, &j->res->diags);
    library_path(j);
    j->plan.serial = serial_of(j);
    return render_and_commit(j, err);
}

int cw_ingest(const cw_station *st, const char *src_path, const cw_ingest_opts *opts,
              cw_ingest_result *res, cw_error *err)
{
    memset(res, 0, sizeof *res);
    job *j = calloc(1, sizeof *j);
    if (!j)
        return cw_fail(err, CW_ENOMEM, src_path, 0, "out of memory");
    j->st = st;
    j->src = src_path;
    j->name = opts->display_name && opts->display_name[0] ? opts->display_name : src_path;
    j->o = opts;
    j->res = res;
    int rc = run(j, err);
    if (rc == 0)
        progress_fn((void *)opts, 1.0);
    else
        res->library_path[0] = 0;
    cw_audio_analysis_clear(&j->a);
    cw_strlist_free(&j->comments);
    free(j);
    return rc;
}
