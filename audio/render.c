/* render.c — pass 2 of ingest and the gain search, chain configurations: source ->
 * [true peak of the source] -> trim -> mix -> DC removal -> fades -> resample (libsoxr) ->
 * gain + true-peak limiter -> loudness meter -> Vorbis encoder on a thread of its own (or
 * nothing: a measuring pass). The encoder is the slow stage; everything before it runs
 * beside it on another core.
 * Guarantees: memory independent of the recording; what the encoder wrote is checked: its
 * own decode (the spot check: the decoded true peak where it can matter, and the decoded
 * length) and the file's structure (cw_ogg_check: page CRCs, framing, headers, length)
 * must agree with the frames rendered. */
#include "audio_int.h"

#include <math.h>
#include <string.h>

#define LOOKAHEAD 0.005      /* s: limiter attack */
#define RELEASE 0.080        /* s: limiter release time constant */
#define SPOT_WINDOW_DB 3.0   /* dB: the decoded check covers input within this of its peak */
#define GAIN_SEARCH 12       /* measuring passes to find the gain when limiting costs loudness */
#define MAX_GAIN_DB 60.0     /* dB: no recording is brought up by more */

static int src_read(void *user, float *buf, size_t frames, size_t *got, cw_error *err)
{
    return cw_audio_src_read(user, buf, frames, got, err);
}

/* The chain for plan p (stages in order; see the file comment). */
static void build(cw_audio_chain *c, const cw_audio_render_plan *p, int src_channels,
                  cw_audio_render_out *o, cw_audio_loudness *loud, cw_audio_enc_result *enc)
{
    cw_audio_stage st, inner;
    if (p->src_tp_db) { /* the whole source, trimmed ends included */
        cw_audio_stage_truepeak(&st, p->src_tp_db);
        cw_audio_chain_add(c, &st);
    }
    cw_audio_stage_trim(&st, p->lead, p->tail);
    cw_audio_chain_add(c, &st);
    cw_audio_stage_mix(&st, p->channels);
    cw_audio_chain_add(c, &st);
    cw_audio_stage_dc(&st, p->dc, p->channels);
    cw_audio_chain_add(c, &st);
    /* fades at the cut points, in the source domain */
    cw_audio_stage_fade(&st, p->fade_in, p->fade_out, p->tail - p->lead);
    cw_audio_chain_add(c, &st);
    cw_audio_stage_resample(&st, p->rate);
    cw_audio_chain_add(c, &st);
    cw_audio_stage_limiter(&st, p->gain, p->ceiling, LOOKAHEAD, RELEASE, &o->min_gain);
    cw_audio_chain_add(c, &st);
    cw_audio_stage_meter(&st, loud);
    cw_audio_chain_add(c, &st);
    if (p->fp) {
        cw_audio_stage_encoder(&inner, p->fp, p->rate, p->channels, p->quality, p->serial,
                               p->meta, SPOT_WINDOW_DB, enc);
        cw_audio_stage_threaded(&st, &inner, "cw-encoder");
        cw_audio_chain_add(c, &st);
    }
}

int cw_audio_render(const char *path, const cw_audio_render_plan *p, cw_audio_render_out *o,
                    cw_audio_pass_progress *pg, cw_error *err)
{
    memset(o, 0, sizeof *o);
    o->min_gain = 1.0;
    cw_audio_src *s = NULL;
    int rc = cw_audio_src_open(&s, path, err);
    if (rc)
        return rc;
    cw_audio_chain *c = NULL;
    cw_audio_loudness loud = {-HUGE_VAL, 0};
    cw_audio_enc_result enc;
    memset(&enc, 0, sizeof enc);
    if (cw_audio_chain_new(&c)) {
        cw_audio_src_close(s);
        return cw_fail(err, CW_ENOMEM, path, 0, "out of memory");
    }
    build(c, p, cw_audio_src_channels(s), o, &loud, &enc);
    cw_audio_fmt fmt = {cw_audio_src_rate(s), cw_audio_src_channels(s)};
    if (pg)
        pg->total = p->src_tp_db ? cw_audio_src_frames(s) : p->tail;
    rc = cw_audio_chain_run(c, src_read, s, &fmt, pg ? cw_audio_pass_report : NULL, pg, err);
    if (rc == 0 && p->fp) {
        o->frames = enc.frames;
        o->header_bytes = enc.header_bytes;
        o->decoded_frames = enc.check.frames;
        o->tp_db = cw_audio_lin_to_db(enc.check.true_peak);
    }
    cw_audio_chain_free(c);
    cw_audio_src_close(s);
    if (rc)
        return rc;
    o->lufs = loud.lufs;
    o->lra = loud.lra;
    if (!p->fp)
        return 0;
    /* what was written: the file's own structure (page CRCs, framing, headers, sample
     * count from the block sizes) must agree with the encoder's account */
    int links = 0;
    int64_t samples = 0;
    rc = cw_ogg_check(p->work_path, &links, &samples, err);
    if (rc == 0 && (links != 1 || samples != o->frames || o->decoded_frames != o->frames))
        rc = cw_fail(err, CW_EINTERNAL, path, 0, "encoded %lld frames but the file holds "
                     "%lld (please report this)", (long long)o->frames, (long long)samples);
    return rc;
}

/* The limiter makes loudness grow slower than the gain (and a file whose loudness comes
 * from clicks can even get quieter at first), so the steps are secant steps, at most twice
 * the shortfall each; a measuring pass costs a seventh of an encoding one. */
int cw_audio_find_gain(const char *path, const cw_audio_render_plan *p0, double target,
                       double *gain_db, double l0, cw_audio_pass_progress *pg, cw_error *err)
{
    cw_audio_render_plan p = *p0;
    p.fp = NULL;
    p.src_tp_db = NULL;
    cw_audio_pass_progress quiet; /* the bar holds still (the callback may still cancel) */
    if (pg) {
        quiet = *pg;
        quiet.span = 0.0;
        pg = &quiet;
    }
    double g0 = *gain_db, g1 = g0 + (target - l0), best = fabs(l0 - target);
    for (int i = 0; i < GAIN_SEARCH; i++) {
        if (g1 > MAX_GAIN_DB)
            g1 = MAX_GAIN_DB;
        if (g1 == g0)
            break;
        p.gain = cw_audio_db_to_lin(g1);
        cw_audio_render_out o;
        int rc = cw_audio_render(path, &p, &o, pg, err);
        if (rc)
            return rc;
        double l1 = o.lufs;
        if (!isfinite(l1))
            break;
        if (fabs(l1 - target) < best) {
            best = fabs(l1 - target);
            *gain_db = g1;
        }
        if (fabs(l1 - target) <= 0.1)
            break;
        double slope = (l1 - l0) / (g1 - g0), step = target - l1, most = 2.0 * fabs(step);
        if (slope > 0.2 && slope < 1.5)
            step /= slope;
        if (fabs(step) > most)
            step = step > 0 ? most : -most;
        g0 = g1;
        l0 = l1;
        g1 += step;
    }
    return 0;
}
