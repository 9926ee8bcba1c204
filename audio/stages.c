/* stages.c — the generic audio stages chains are built from (chain.c runs them): channel
 * mix (the one downmix rule, cw_audio_mix), trim, fades, cut with a fade-out, DC removal,
 * resampler (libsoxr), gain with the true-peak limiter, loudness meter (libebur128),
 * true-peak meter and the Vorbis encoder sink.
 * Guarantees: each stage's memory is fixed at start; measuring stages pass the signal on
 * unchanged (in place); results are written where the caller asked when the stage is
 * drained. */
#include "audio_int.h"

#include <ebur128.h>
#include <math.h>
#include <soxr.h>
#include <stdlib.h>
#include <string.h>

#define B CW_AUDIO_BLOCK

/* ---- stages: small helpers -------------------------------------------------------------- */

static size_t min_sz(size_t a, size_t b)
{
    return a < b ? a : b;
}

static void stop_free(cw_audio_stage *s)
{
    free(s->priv);
    s->priv = NULL;
}

/* A stage whose constructor could not allocate: cw_audio_chain_add refuses it. */
static void failed(cw_audio_stage *s)
{
    memset(s, 0, sizeof *s);
}

/* ---- mix ---------------------------------------------------------------------------------- */

typedef struct mix_st {
    int out_ch, in_ch;
} mix_st;

static int mix_start(cw_audio_stage *s, const cw_audio_fmt *in, cw_audio_fmt *out,
                     size_t *out_max, cw_error *err)
{
    (void)out_max;
    (void)err;
    mix_st *m = s->priv;
    if (in->channels == m->out_ch)
        return CW_AUDIO_STAGE_SKIP;
    m->in_ch = in->channels;
    out->channels = m->out_ch;
    return 0;
}

static int mix_flow(cw_audio_stage *s, const float *in, size_t *nin, float *out, size_t *nout,
                    cw_error *err)
{
    (void)err;
    mix_st *m = s->priv;
    size_t n = min_sz(*nin, *nout);
    cw_audio_mix(in, m->in_ch, out, m->out_ch, n);
    *nin = *nout = n;
    return 0;
}

void cw_audio_stage_mix(cw_audio_stage *s, int out_channels)
{
    memset(s, 0, sizeof *s);
    mix_st *m = calloc(1, sizeof *m);
    if (!m)
        return failed(s);
    m->out_ch = out_channels;
    *s = (cw_audio_stage){.name = "mix", .start = mix_start, .flow = mix_flow,
                          .stop = stop_free, .priv = m};
}

/* ---- trim: keep source frames [lead, tail) -------------------------------------------------- */

typedef struct trim_st {
    int64_t lead, tail, pos;
    int ch;
} trim_st;

static int trim_start(cw_audio_stage *s, const cw_audio_fmt *in, cw_audio_fmt *out,
                      size_t *out_max, cw_error *err)
{
    (void)out;
    (void)out_max;
    (void)err;
    ((trim_st *)s->priv)->ch = in->channels;
    return 0;
}

static int trim_flow(cw_audio_stage *s, const float *in, size_t *nin, float *out, size_t *nout,
                     cw_error *err)
{
    (void)err;
    trim_st *t = s->priv;
    size_t n = *nin, skip = 0, keep;
    if (t->pos < t->lead)
        skip = (size_t)(t->lead - t->pos < (int64_t)n ? t->lead - t->pos : (int64_t)n);
    int64_t from = t->pos + (int64_t)skip;
    keep = from < t->tail ? (size_t)(t->tail - from < (int64_t)(n - skip) ? t->tail - from
                                                                          : (int64_t)(n - skip))
                          : 0;
    if (skip) /* in place: only the block that holds the lead moves */
        memmove(out, in + skip * (size_t)t->ch, keep * (size_t)t->ch * sizeof(float));
    t->pos += (int64_t)n;
    *nin = n;
    *nout = keep;
    return t->pos >= t->tail ? CW_AUDIO_STAGE_DONE : 0;
}

void cw_audio_stage_trim(cw_audio_stage *s, int64_t lead, int64_t tail)
{
    memset(s, 0, sizeof *s);
    trim_st *t = calloc(1, sizeof *t);
    if (!t)
        return failed(s);
    t->lead = lead;
    t->tail = tail;
    *s = (cw_audio_stage){.name = "trim", .start = trim_start, .flow = trim_flow,
                          .stop = stop_free, .priv = t, .inplace = 1};
}

/* ---- fades at the ends of a segment of known length (in place) ------------------------------ */

typedef struct fade_st {
    int64_t fade_in, fade_out, len, pos;
    int ch;
} fade_st;

static float fade_gain(int64_t t, int64_t len)
{
    if (t >= len)
        return 1.0f;
    if (t <= 0)
        return 0.0f;
    return (float)(0.5 - 0.5 * cos(M_PI * (double)t / (double)len));
}

static int fade_start(cw_audio_stage *s, const cw_audio_fmt *in, cw_audio_fmt *out,
                      size_t *out_max, cw_error *err)
{
    (void)out;
    (void)out_max;
    (void)err;
    fade_st *f = s->priv;
    f->ch = in->channels;
    return f->fade_in <= 0 && f->fade_out <= 0 ? CW_AUDIO_STAGE_SKIP : 0;
}

static int fade_flow(cw_audio_stage *s, const float *in, size_t *nin, float *out, size_t *nout,
                     cw_error *err)
{
    (void)in;
    (void)err;
    fade_st *f = s->priv;
    size_t n = *nin;
    const size_t ch = (size_t)f->ch;
    int64_t t0 = f->pos;
    if (t0 < f->fade_in || t0 + (int64_t)n > f->len - f->fade_out) {
        for (size_t i = 0; i < n; i++) {
            int64_t t = t0 + (int64_t)i;
            float g = fade_gain(t, f->fade_in) * fade_gain(f->len - 1 - t, f->fade_out);
            for (size_t c = 0; c < ch; c++)
                out[i * ch + c] *= g;
        }
    }
    f->pos += (int64_t)n;
    *nout = n;
    return 0;
}

void cw_audio_stage_fade(cw_audio_stage *s, int64_t fade_in, int64_t fade_out, int64_t len)
{
    memset(s, 0, sizeof *s);
    fade_st *f = calloc(1, sizeof *f);
    if (!f)
        return failed(s);
    f->fade_in = fade_in;
    f->fade_out = fade_out;
    f->len = len;
    *s = (cw_audio_stage){.name = "fade", .start = fade_start, .flow = fade_flow,
                          .stop = stop_free, .priv = f, .inplace = 1};
}

/* ---- cut: exactly `samples` frames, the last ones faded out ------------------------------- */

typedef struct cut_st {
    int64_t samples, fade_from, pos;
    int64_t fade_in; /* frames faded in at the start */
    int64_t pad_max; /* frames of silence that may make up a shortfall (resampling rounds) */
    int ch;
    const char *name;
} cut_st;

static int cut_start(cw_audio_stage *s, const cw_audio_fmt *in, cw_audio_fmt *out,
                     size_t *out_max, cw_error *err)
{
    (void)out;
    (void)out_max;
    (void)err;
    ((cut_st *)s->priv)->ch = in->channels;
    return 0;
}

static void cut_fade(cut_st *c, float *frames, size_t n)
{
    int64_t len = c->samples - c->fade_from;
    for (size_t f = 0; f < n; f++) {
        int64_t pos = c->pos + (int64_t)f;
        if (pos < c->fade_in) {
            /* raised cosine from 0 up to 1 at the fade's last sample */
            double x = (double)(pos + 1) / (double)c->fade_in;
            float g = (float)(0.5 * (1.0 - cos(M_PI * x)));
            for (int ch = 0; ch < c->ch; ch++)
                frames[f * (size_t)c->ch + (size_t)ch] *= g;
        }
        if (pos < c->fade_from)
            continue;
        /* raised cosine from 1 down to 0 at the last sample */
        double x = (double)(pos - c->fade_from + 1) / (double)len;
        float g = (float)(0.5 * (1.0 + cos(M_PI * x)));
        for (int ch = 0; ch < c->ch; ch++)
            frames[f * (size_t)c->ch + (size_t)ch] *= g;
    }
}

static int cut_flow(cw_audio_stage *s, const float *in, size_t *nin, float *out, size_t *nout,
                    cw_error *err)
{
    (void)err;
    cut_st *c = s->priv;
    size_t n = min_sz(*nin, *nout), keep = n;
    if ((int64_t)keep > c->samples - c->pos)
        keep = c->pos < c->samples ? (size_t)(c->samples - c->pos) : 0;
    memcpy(out, in, keep * (size_t)c->ch * sizeof(float));
    cut_fade(c, out, keep);
    c->pos += (int64_t)keep;
    *nin = n;
    *nout = keep;
    return c->pos >= c->samples ? CW_AUDIO_STAGE_DONE : 0;
}

/* A shortfall of a few frames (resampling rounds the length) is made up with silence;
 * more is a request the recording cannot meet. */
static int cut_drain(cw_audio_stage *s, float *out, size_t *nout, cw_error *err)
{
    cut_st *c = s->priv;
    int64_t missing = c->samples - c->pos;
    if (missing <= 0) {
        *nout = 0;
        return 0;
    }
    if (missing > c->pad_max)
        return cw_fail(err, CW_EINVAL, c->name, 0, "the recording has %lld samples, %lld were "
                       "asked for (rescan the library)", (long long)c->pos, (long long)c->samples);
    size_t n = min_sz((size_t)missing, *nout);
    memset(out, 0, n * (size_t)c->ch * sizeof(float));
    c->pos += (int64_t)n;
    *nout = n;
    return 0;
}

void cw_audio_stage_cut(cw_audio_stage *s, int64_t samples, int64_t fade_in, int64_t fade,
                        int64_t pad_max, const char *name)
{
    memset(s, 0, sizeof *s);
    cut_st *c = calloc(1, sizeof *c);
    if (!c)
        return failed(s);
    c->samples = samples;
    c->fade_in = fade_in < samples ? fade_in : samples;
    c->fade_from = fade > 0 ? samples - (fade < samples ? fade : samples) : samples;
    c->pad_max = pad_max;
    c->name = name;
    *s = (cw_audio_stage){.name = "cut", .start = cut_start, .flow = cut_flow,
                          .drain = cut_drain, .stop = stop_free, .priv = c};
}

/* ---- DC removal: subtract a constant per channel (measured by the pass before) -------------- */

typedef struct dc_st {
    float off[8];
    int ch;
} dc_st;

static int dc_start(cw_audio_stage *s, const cw_audio_fmt *in, cw_audio_fmt *out,
                    size_t *out_max, cw_error *err)
{
    (void)out;
    (void)out_max;
    dc_st *d = s->priv;
    if (in->channels > 8)
        return cw_fail(err, CW_EINTERNAL, "", 0, "DC removal takes at most 8 channels");
    d->ch = in->channels;
    for (int c = 0; c < d->ch; c++)
        if (d->off[c] != 0.0f)
            return 0;
    return CW_AUDIO_STAGE_SKIP;
}

static int dc_flow(cw_audio_stage *s, const float *in, size_t *nin, float *out, size_t *nout,
                   cw_error *err)
{
    (void)in;
    (void)err;
    dc_st *d = s->priv;
    const size_t ch = (size_t)d->ch;
    for (size_t i = 0; i < *nin; i++)
        for (size_t c = 0; c < ch; c++)
            out[i * ch + c] -= d->off[c];
    *nout = *nin;
    return 0;
}

void cw_audio_stage_dc(cw_audio_stage *s, const double *offset, int channels)
{
    memset(s, 0, sizeof *s);
    dc_st *d = calloc(1, sizeof *d);
    if (!d)
        return failed(s);
    for (int c = 0; c < channels && c < 8; c++)
        d->off[c] = (float)offset[c];
    *s = (cw_audio_stage){.name = "dc", .start = dc_start, .flow = dc_flow, .stop = stop_free,
                          .priv = d, .inplace = 1};
}

/* ---- resample (libsoxr, high quality) ---------------------------------------------------- */

typedef struct rs_st {
    int rate;
    soxr_t sx;
} rs_st;

static int rs_start(cw_audio_stage *s, const cw_audio_fmt *in, cw_audio_fmt *out,
                    size_t *out_max, cw_error *err)
{
    rs_st *r = s->priv;
    if (in->rate == r->rate)
        return CW_AUDIO_STAGE_SKIP;
    soxr_error_t se = NULL;
    soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
    r->sx = soxr_create(in->rate, r->rate, (unsigned)in->channels, &se, NULL, &q, NULL);
    if (!r->sx || se)
        return cw_fail(err, CW_EINTERNAL, "", 0, "cannot resample %d -> %d Hz: %s", in->rate,
                       r->rate, se ? se : "?");
    out->rate = r->rate;
    *out_max = (size_t)ceil(B * (double)r->rate / in->rate) + 256;
    return 0;
}

static int rs_flow(cw_audio_stage *s, const float *in, size_t *nin, float *out, size_t *nout,
                   cw_error *err)
{
    rs_st *r = s->priv;
    size_t idone = 0, odone = 0;
    soxr_error_t se = soxr_process(r->sx, in, *nin, &idone, out, *nout, &odone);
    if (se)
        return cw_fail(err, CW_EINTERNAL, "", 0, "resampler failed: %s", se);
    *nin = idone;
    *nout = odone;
    return 0;
}

static int rs_drain(cw_audio_stage *s, float *out, size_t *nout, cw_error *err)
{
    rs_st *r = s->priv;
    size_t odone = 0;
    soxr_error_t se = soxr_process(r->sx, NULL, 0, NULL, out, *nout, &odone);
    if (se)
        return cw_fail(err, CW_EINTERNAL, "", 0, "resampler failed: %s", se);
    *nout = odone;
    return 0;
}

static void rs_stop(cw_audio_stage *s)
{
    rs_st *r = s->priv;
    if (r && r->sx)
        soxr_delete(r->sx);
    stop_free(s);
}

void cw_audio_stage_resample(cw_audio_stage *s, int rate)
{
    memset(s, 0, sizeof *s);
    rs_st *r = calloc(1, sizeof *r);
    if (!r)
        return failed(s);
    r->rate = rate;
    *s = (cw_audio_stage){.name = "resample", .start = rs_start, .flow = rs_flow,
                          .drain = rs_drain, .stop = rs_stop, .priv = r};
}

/* ---- gain and the true-peak limiter ------------------------------------------------------- */

typedef struct lim_st {
    double gain, ceiling, lookahead, release;
    cw_audio_limiter *l;
    int drained;
    double *min_gain;
} lim_st;

static int lim_start(cw_audio_stage *s, const cw_audio_fmt *in, cw_audio_fmt *out,
                     size_t *out_max, cw_error *err)
{
    (void)out;
    lim_st *l = s->priv;
    if (cw_audio_limiter_new(&l->l, in->channels, in->rate, l->gain, l->ceiling, l->lookahead,
                             l->release))
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    *out_max = B + cw_audio_limiter_delay(l->l) + 1;
    return 0;
}

static int lim_flow(cw_audio_stage *s, const float *in, size_t *nin, float *out, size_t *nout,
                    cw_error *err)
{
    (void)err;
    lim_st *l = s->priv;
    cw_audio_limiter_process(l->l, in, *nin, out, nout);
    return 0;
}

static int lim_drain(cw_audio_stage *s, float *out, size_t *nout, cw_error *err)
{
    (void)err;
    lim_st *l = s->priv;
    if (l->drained) {
        *nout = 0;
        return 0;
    }
    l->drained = 1;
    cw_audio_limiter_drain(l->l, out, nout);
    if (l->min_gain)
        *l->min_gain = cw_audio_limiter_min_gain(l->l);
    return 0;
}

static void lim_stop(cw_audio_stage *s)
{
    lim_st *l = s->priv;
    if (l)
        cw_audio_limiter_free(l->l);
    stop_free(s);
}

void cw_audio_stage_limiter(cw_audio_stage *s, double gain, double ceiling, double lookahead,
                            double release, double *min_gain)
{
    memset(s, 0, sizeof *s);
    lim_st *l = calloc(1, sizeof *l);
    if (!l)
        return failed(s);
    l->gain = gain;
    l->ceiling = ceiling;
    l->lookahead = lookahead;
    l->release = release;
    l->min_gain = min_gain;
    *s = (cw_audio_stage){.name = "limiter", .start = lim_start, .flow = lim_flow,
                          .drain = lim_drain, .stop = lim_stop, .priv = l};
}

/* ---- loudness meter (libebur128: integrated and range; mono as dual mono) ----------------- */

typedef struct meter_st {
    ebur128_state *eb;
    cw_audio_loudness *res;
} meter_st;

static int meter_start(cw_audio_stage *s, const cw_audio_fmt *in, cw_audio_fmt *out,
                       size_t *out_max, cw_error *err)
{
    (void)out;
    (void)out_max;
    meter_st *m = s->priv;
    /* histogram mode: the meter's memory is fixed however long the recording */
    m->eb = ebur128_init((unsigned)in->channels, (unsigned long)in->rate,
                         EBUR128_MODE_I | EBUR128_MODE_LRA | EBUR128_MODE_HISTOGRAM);
    if (!m->eb)
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    if (in->channels == 1)
        ebur128_set_channel(m->eb, 0, EBUR128_DUAL_MONO);
    return 0;
}

static int meter_flow(cw_audio_stage *s, const float *in, size_t *nin, float *out, size_t *nout,
                      cw_error *err)
{
    (void)out;
    (void)err;
    meter_st *m = s->priv;
    ebur128_add_frames_float(m->eb, in, *nin);
    *nout = *nin;
    return 0;
}

static int meter_drain(cw_audio_stage *s, float *out, size_t *nout, cw_error *err)
{
    (void)out;
    (void)err;
    meter_st *m = s->priv;
    m->res->lufs = -HUGE_VAL;
    m->res->lra = 0.0;
    ebur128_loudness_global(m->eb, &m->res->lufs);
    ebur128_loudness_range(m->eb, &m->res->lra);
    *nout = 0;
    return 0;
}

static void meter_stop(cw_audio_stage *s)
{
    meter_st *m = s->priv;
    if (m && m->eb)
        ebur128_destroy(&m->eb);
    stop_free(s);
}

void cw_audio_stage_meter(cw_audio_stage *s, cw_audio_loudness *res)
{
    memset(s, 0, sizeof *s);
    meter_st *m = calloc(1, sizeof *m);
    if (!m)
        return failed(s);
    m->res = res;
    *s = (cw_audio_stage){.name = "meter", .start = meter_start, .flow = meter_flow,
                          .drain = meter_drain, .stop = meter_stop, .priv = m, .inplace = 1};
}

/* ---- true-peak meter of everything that passes (the whole source: wants_all) --------------- */

typedef struct tp_st {
    cw_audio_truepeak *tp;
    double *res; /* dBTP */
} tp_st;

static int tp_start(cw_audio_stage *s, const cw_audio_fmt *in, cw_audio_fmt *out,
                    size_t *out_max, cw_error *err)
{
    (void)out;
    (void)out_max;
    tp_st *t = s->priv;
    if (cw_audio_truepeak_new(&t->tp, in->channels))
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    return 0;
}

static int tp_flow(cw_audio_stage *s, const float *in, size_t *nin, float *out, size_t *nout,
                   cw_error *err)
{
    (void)out;
    (void)err;
    cw_audio_truepeak_add(((tp_st *)s->priv)->tp, in, *nin);
    *nout = *nin;
    return 0;
}

static int tp_drain(cw_audio_stage *s, float *out, size_t *nout, cw_error *err)
{
    (void)out;
    (void)err;
    tp_st *t = s->priv;
    *t->res = cw_audio_lin_to_db(cw_audio_truepeak_max(t->tp));
    *nout = 0;
    return 0;
}

static void tp_stop(cw_audio_stage *s)
{
    tp_st *t = s->priv;
    if (t)
        cw_audio_truepeak_free(t->tp);
    stop_free(s);
}

void cw_audio_stage_truepeak(cw_audio_stage *s, double *db)
{
    memset(s, 0, sizeof *s);
    tp_st *t = calloc(1, sizeof *t);
    if (!t)
        return failed(s);
    t->res = db;
    *s = (cw_audio_stage){.name = "truepeak", .start = tp_start, .flow = tp_flow,
                          .drain = tp_drain, .stop = tp_stop, .priv = t, .inplace = 1,
                          .wants_all = 1};
}

/* ---- Vorbis encoder sink -------------------------------------------------------------------- */

typedef struct enc_st {
    FILE *fp;
    cw_audio_fmt fmt;
    double quality;
    uint32_t serial;
    const cw_link_meta *meta;
    double spot_db; /* > 0: the encoder checks its own output (cw_audio_enc_spot_check) */
    cw_vorbis_enc *enc;
    cw_audio_enc_result *res;
} enc_st;

static int enc_start(cw_audio_stage *s, const cw_audio_fmt *in, cw_audio_fmt *out,
                     size_t *out_max, cw_error *err)
{
    (void)out;
    (void)out_max;
    enc_st *e = s->priv;
    if (in->rate != e->fmt.rate || in->channels != e->fmt.channels)
        return cw_fail(err, CW_EINTERNAL, "", 0, "the encoder was given %d Hz %d channels, "
                       "not %d Hz %d channels (please report this)", in->rate, in->channels,
                       e->fmt.rate, e->fmt.channels);
    int rc = cw_vorbis_enc_new(&e->enc, e->fp, in->rate, in->channels, e->quality, e->serial,
                               e->meta, err);
    if (rc)
        return rc;
    e->res->header_bytes = cw_audio_enc_header_bytes(e->enc);
    if (e->spot_db > 0 && (rc = cw_audio_enc_spot_check(e->enc, e->spot_db)) != 0)
        return cw_fail(err, rc, "", 0, "cannot set up the check of the encoded file");
    return 0;
}

static int enc_flow(cw_audio_stage *s, const float *in, size_t *nin, float *out, size_t *nout,
                    cw_error *err)
{
    (void)out;
    enc_st *e = s->priv;
    *nout = 0;
    e->res->frames += (int64_t)*nin;
    return cw_vorbis_enc_write(e->enc, in, *nin, err);
}

static int enc_drain(cw_audio_stage *s, float *out, size_t *nout, cw_error *err)
{
    (void)out;
    enc_st *e = s->priv;
    *nout = 0;
    if (!e->enc)
        return 0;
    cw_vorbis_enc *enc = e->enc;
    e->enc = NULL; /* finished or failed, it is freed */
    if (e->spot_db > 0)
        return cw_audio_enc_finish_checked(enc, &e->res->check, err);
    return cw_vorbis_enc_finish(enc, err);
}

static void enc_stop(cw_audio_stage *s)
{
    enc_st *e = s->priv;
    if (e)
        cw_vorbis_enc_abort(e->enc);
    stop_free(s);
}

void cw_audio_stage_encoder(cw_audio_stage *s, FILE *fp, int rate, int channels,
                            double quality, uint32_t serial, const cw_link_meta *meta,
                            double spot_db, cw_audio_enc_result *res)
{
    memset(s, 0, sizeof *s);
    enc_st *e = calloc(1, sizeof *e);
    if (!e)
        return failed(s);
    memset(res, 0, sizeof *res);
    *e = (enc_st){.fp = fp, .fmt = {rate, channels}, .quality = quality, .serial = serial,
                  .meta = meta, .spot_db = spot_db, .res = res};
    *s = (cw_audio_stage){.name = "encoder", .start = enc_start, .flow = enc_flow,
                          .drain = enc_drain, .stop = enc_stop, .priv = e};
}

