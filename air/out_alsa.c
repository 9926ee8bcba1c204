/* out_alsa.c — the sound-card output: the day's chain decoded with libvorbisfile (joining
 * at the exact sample), through a libsoxr variable-rate resampler whose ratio a PI
 * controller steers so that the sample leaving the card is the one the plan gives for that
 * wall-clock instant (a card 200 ppm off is held within a few milliseconds). Between windows
 * it plays digital silence or releases the card (`between = nothing`); a missing or damaged
 * bundle plays the emergency filler (converted to the station's rate and channels).
 * Guarantees: never blocks; an item's as-run end is recorded when its last sample leaves the
 * card (or, if the card fails first, with what had been played); errors over 100 ms (a
 * clock step, an underrun) re-join the plan instead of steering. */
#include "air_int.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <soxr.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vorbis/vorbisfile.h>

#define CHUNK 1024
#define MAX_CH 8
#define HARD_NS (100 * 1000000LL)   /* an error this large re-joins the plan */
#define KP (1.0 / 15.0)             /* steering: ppm per ns of error, per second */
#define KI (KP * KP / 4.0)          /* critically damped */
#define U_MAX 0.002                 /* at most 2000 ppm (3.5 cents): inaudible on speech */
#define PENDING 8

typedef struct pending_end {
    air_item_ref ref;
    int64_t prog_end_ns; /* programme instant after its last sample */
    int64_t samples;     /* samples fed from it */
} pending_end;

typedef struct reader { /* libvorbisfile over pread, so outputs share a day's descriptor */
    int fd;
    int64_t off, size;
} reader;

typedef struct pcm_out {
    air_out base;
    const air_card_ops *ops;
    void *card;
    const cw_station *st;
    int rate, ch;
    int open, is_down, failures;
    int64_t retry_mono;
    /* programme */
    int have_seg;
    air_seg seg;
    int64_t seg_pos, seg_len, seg_t0; /* fed samples, samples to play, wall ns of sample 0 */
    /* decoder */
    OggVorbis_File vf;
    int vf_open;
    const air_day *vf_day;            /* the day vf reads (the seg holds its reference) */
    size_t vf_file;                   /* and which of its files */
    reader rd;
    int own_fd;
    soxr_t conv;                      /* the emergency file's rate to the station's */
    int src_rate, src_ch;
    size_t emerg_next;
    /* feeding and steering */
    int64_t prog_ns;                  /* programme instant after the last frame fed */
    int64_t out_base;                 /* programme instant of the first frame out of the resampler */
    double out_off;                   /* ns after out_base of the next frame out of it */
    soxr_t rs;
    double integ, u, err_ns;
    int have_err;
    int64_t settle_mono;              /* no steering before the card plays post-jump audio */
    int64_t seen_dac, seen_wall;      /* the last measurement: programme instant leaving the card then */
    int64_t written;                  /* frames written since the card was opened */
    int unpaced;                      /* the device takes frames at once (a null or file sink):
                                       * paced by the clock alone, nothing to steer */
    int empty_seen;                   /* measurements in a row that found it empty after writing */
    int paced;                        /* it was seen holding what it was given: it has a clock */
    int64_t wrote_last;               /* frames written in the last pump */
    int64_t ppm_logged_mono;          /* when the card's rate was last reported */
    int64_t rate_frames0, rate_wall0; /* frames the card had played, and when: its rate since */
    int64_t last_mono;
    float *in, *out, *tmp;
    size_t pend_n, pend_off;
    /* as-run */
    int begun;
    int64_t begun_from;
    pending_end ends[PENDING];
    int n_ends;
} pcm_out;

/* ---- libvorbisfile I/O ---------------------------------------------------------------- */

static size_t rd_read(void *ptr, size_t size, size_t nmemb, void *ds)
{
    reader *r = ds;
    size_t want = size * nmemb;
    if (r->off >= r->size || !want)
        return 0;
    if ((int64_t)want > r->size - r->off)
        want = (size_t)(r->size - r->off);
    ssize_t n;
    do
        n = pread(r->fd, ptr, want, (off_t)r->off);
    while (n < 0 && errno == EINTR);
    if (n <= 0)
        return 0;
    r->off += n;
    return (size_t)n / (size ? size : 1);
}

static int rd_seek(void *ds, ogg_int64_t off, int whence)
{
    reader *r = ds;
    int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? r->off : r->size;
    if (base + off < 0)
        return -1;
    r->off = base + off;
    return 0;
}

static long rd_tell(void *ds)
{
    return (long)((reader *)ds)->off;
}

static const ov_callbacks rd_callbacks = {rd_read, rd_seek, NULL, rd_tell};

static void close_decoder(pcm_out *o)
{
    if (o->vf_open)
        ov_clear(&o->vf);
    o->vf_open = 0;
    o->vf_day = NULL;
    if (o->own_fd && o->rd.fd >= 0)
        close(o->rd.fd);
    o->own_fd = 0;
    o->rd.fd = -1;
    if (o->conv)
        soxr_delete(o->conv);
    o->conv = NULL;
}

static int open_decoder(pcm_out *o, int fd, int own, cw_error *err)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        if (own)
            close(fd);
        return cw_fail(err, CW_EIO, "", 0, "cannot read: %s", strerror(errno));
    }
    o->rd.fd = fd;
    o->rd.off = 0;
    o->rd.size = sb.st_size;
    o->own_fd = own;
    int rc = ov_open_callbacks(&o->rd, &o->vf, NULL, 0, rd_callbacks);
    if (rc != 0) {
        if (own)
            close(fd);
        o->own_fd = 0;
        o->rd.fd = -1;
        return cw_fail(err, CW_EINVAL, "", 0, "not a readable Ogg Vorbis stream (libvorbisfile error %d)", rc);
    }
    o->vf_open = 1;
    return 0;
}

/* ---- the as-run ------------------------------------------------------------------------- */

/* Programme instant of the sample leaving the card at mono time `at`, as last measured. */
static void settle_ends(pcm_out *o, int64_t dac_prog_ns)
{
    int k = 0;
    for (int i = 0; i < o->n_ends; i++) {
        pending_end *p = &o->ends[i];
        if (p->prog_end_ns <= dac_prog_ns)
            air_asrun_end(o->base.asrun, &p->ref, o->base.name, p->samples, NULL);
        else
            o->ends[k++] = *p;
    }
    o->n_ends = k;
}

/* The card stops playing at programme instant dac_prog_ns (a failure, a stop, a jump):
 * everything fed after it did not air. */
static void cut_items(pcm_out *o, int64_t dac_prog_ns, const char *reason)
{
    settle_ends(o, dac_prog_ns);
    for (int i = 0; i < o->n_ends; i++) {
        pending_end *p = &o->ends[i];
        int64_t lost = air_ns_to_samples(p->prog_end_ns - dac_prog_ns, o->rate);
        int64_t s = p->samples - lost;
        air_asrun_end(o->base.asrun, &p->ref, o->base.name, s > 0 ? s : 0, reason);
    }
    o->n_ends = 0;
    if (o->begun && o->have_seg && o->seg.kind == AIR_SEG_ITEM) {
        air_item_ref ref = air_ref(o->seg.day, o->seg.item);
        int64_t lost = air_ns_to_samples(o->prog_ns - dac_prog_ns, o->rate);
        int64_t s = o->seg_pos - o->begun_from - (lost > 0 ? lost : 0);
        air_asrun_end(o->base.asrun, &ref, o->base.name, s > 0 ? s : 0, reason);
    }
    o->begun = 0;
}

/* ---- segments -------------------------------------------------------------------------------- */

static void drop_seg(pcm_out *o)
{
    if (o->have_seg)
        air_prog_release(o->base.prog, &o->seg);
    o->have_seg = 0;
}

static int start_emergency(pcm_out *o)
{
    close_decoder(o);
    const char *const *paths;
    size_t n = air_prog_emergency(o->base.prog, &paths);
    for (size_t k = 0; k < n; k++) {
        const char *path = paths[(o->emerg_next + k) % n];
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        cw_error err = {0};
        if (fd < 0 || open_decoder(o, fd, 1, &err) != 0)
            continue;
        vorbis_info *vi = ov_info(&o->vf, -1);
        o->src_rate = vi ? (int)vi->rate : o->rate;
        o->src_ch = vi ? vi->channels : o->ch;
        o->emerg_next = (o->emerg_next + k + 1) % n;
        if (o->src_rate != o->rate) {
            soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
            soxr_error_t e = NULL;
            o->conv = soxr_create(o->src_rate, o->rate, (unsigned)o->src_ch, &e, &io, NULL, NULL);
            if (e) {
                close_decoder(o);
                continue;
            }
        }
        return 0;
    }
    return -1; /* none usable: silence */
}

/* Set up for o->seg, which starts at programme instant o->prog_ns. */
static void start_seg(pcm_out *o)
{
    o->begun = 0;
    if (o->seg.kind == AIR_SEG_ITEM) {
        air_day *d = o->seg.day;
        o->seg_t0 = o->seg.start_ns;
        o->seg_len = d->plan->items[o->seg.item].length_samples;
        int64_t want = d->chain_pos[o->seg.item] + o->seg.from;
        int continues = o->vf_open && o->vf_day == d && o->vf_file == d->file[o->seg.item] && ov_pcm_tell(&o->vf) == want;
        o->seg_pos = o->seg.from;
        if (continues)
            return;
        close_decoder(o);
        cw_error err = {0};
        int fd = dup(d->files[d->file[o->seg.item]].fd);
        if (fd < 0 || open_decoder(o, fd, 1, &err) != 0 || ov_pcm_seek(&o->vf, want) != 0) {
            air_prog_damaged(o->base.prog, d, o->seg.item, err.text[0] ? err.text : "day.ogg cannot be decoded there");
            close_decoder(o);
            drop_seg(o);
            return;
        }
        o->vf_day = d;
        o->vf_file = d->file[o->seg.item];
        o->src_rate = o->rate;
        o->src_ch = o->ch;
        return;
    }
    o->seg_t0 = o->seg.start_ns;
    o->seg_pos = air_ns_to_samples(o->prog_ns - o->seg.start_ns, o->rate);
    if (o->seg_pos < 0)
        o->seg_pos = 0;
    o->seg_len = air_ns_to_samples(o->seg.end_ns - o->seg.start_ns + air_samples_to_ns(1, o->rate) - 1, o->rate);
    if (o->seg.kind == AIR_SEG_EMERGENCY)
        start_emergency(o);
    else
        close_decoder(o);
}

static void next_seg(pcm_out *o)
{
    if (o->seg.kind == AIR_SEG_ITEM && o->begun) {
        if (o->n_ends < PENDING) {
            pending_end *p = &o->ends[o->n_ends++];
            p->ref = air_ref(o->seg.day, o->seg.item);
            p->prog_end_ns = o->prog_ns;
            p->samples = o->seg_pos - o->begun_from;
        }
        o->begun = 0;
    }
    /* the next segment begins exactly where this one ends (never a nanosecond before it:
     * sample counts round down, and the programme would answer with this one again) */
    if (o->prog_ns < o->seg.end_ns)
        o->prog_ns = o->seg.end_ns;
    air_seg nx;
    air_prog_at(o->base.prog, o->prog_ns, &nx);
    drop_seg(o);
    o->seg = nx;
    o->have_seg = 1;
    start_seg(o);
}

/* ---- producing frames ------------------------------------------------------------------------ */

static void mix_into(const float *const *pcm, int src_ch, float *dst, int ch, long n)
{
    for (long i = 0; i < n; i++)
        for (int c = 0; c < ch; c++) {
            float v;
            if (src_ch == ch)
                v = pcm[c][i];
            else if (ch == 1) {
                v = 0;
                for (int k = 0; k < src_ch; k++)
                    v += pcm[k][i];
                v /= (float)src_ch;
            } else
                v = c < src_ch ? pcm[c][i] : src_ch == 1 ? pcm[0][i] : 0.0f;
            dst[i * ch + c] = v;
        }
}

/* Up to CHUNK frames of the programme at prog_ns into o->in (interleaved, station format).
 * Returns the count (0 only when a segment has just ended: call again). */
static long decode(pcm_out *o)
{
    if (!o->have_seg) {
        air_prog_at(o->base.prog, o->prog_ns, &o->seg);
        o->have_seg = 1;
        start_seg(o);
        if (!o->have_seg)
            return 0;
    }
    int64_t left = o->seg_len - o->seg_pos;
    if (left <= 0) {
        if (o->seg.kind == AIR_SEG_EMERGENCY && o->vf_open)
            close_decoder(o);
        next_seg(o);
        return 0;
    }
    long want = left < CHUNK ? (long)left : CHUNK;
    if (o->seg.kind == AIR_SEG_ITEM) {
        float **pcm;
        int link = -1;
        long n = ov_read_float(&o->vf, &pcm, (int)want, &link);
        if (n <= 0 || link != (int)o->seg.item) {
            air_prog_damaged(o->base.prog, o->seg.day, o->seg.item,
                             n < 0 ? "day.ogg does not decode (a hole or a damaged page)" : "day.ogg ends early");
            close_decoder(o);
            /* the rest of this item's time: the programme decides (the emergency filler) */
            drop_seg(o);
            return 0;
        }
        mix_into((const float *const *)pcm, o->ch, o->in, o->ch, n);
        return n;
    }
    if (o->seg.kind == AIR_SEG_EMERGENCY && o->vf_open) {
        float **pcm;
        int link;
        long n = ov_read_float(&o->vf, &pcm, o->conv ? CHUNK / 2 : (int)want, &link);
        if (n <= 0 && o->conv) { /* what the rate converter still holds */
            float *res = o->tmp + CHUNK * MAX_CH;
            size_t odone = 0;
            soxr_process(o->conv, NULL, 0, NULL, res, (size_t)want, &odone);
            if (odone > 0) {
                int sch = o->src_ch > MAX_CH ? MAX_CH : o->src_ch;
                float *plan_buf = o->out;
                const float *planes[MAX_CH];
                for (int c = 0; c < sch; c++) {
                    planes[c] = plan_buf + (size_t)c * CHUNK;
                    for (size_t i = 0; i < odone; i++)
                        plan_buf[(size_t)c * CHUNK + i] = res[i * (size_t)sch + (size_t)c];
                }
                mix_into(planes, sch, o->in, o->ch, (long)odone);
                return (long)odone;
            }
        }
        if (n <= 0) { /* this file is over: the next one, unless a bundle appeared */
            close_decoder(o);
            air_seg nx;
            air_prog_at(o->base.prog, o->prog_ns, &nx);
            if (nx.kind != AIR_SEG_EMERGENCY) {
                drop_seg(o);
                o->seg = nx;
                o->have_seg = 1;
                start_seg(o);
            } else {
                air_prog_release(o->base.prog, &nx);
                start_emergency(o);
            }
            return 0;
        }
        vorbis_info *vi = ov_info(&o->vf, link);
        int sch = vi ? vi->channels : o->src_ch;
        if (sch > MAX_CH)
            sch = MAX_CH;
        if (!o->conv) {
            mix_into((const float *const *)pcm, sch, o->in, o->ch, n);
            return n;
        }
        /* rate conversion at the file's channel count, then the mix */
        float *src = o->tmp, *res = o->tmp + CHUNK * MAX_CH;
        for (long i = 0; i < n; i++)
            for (int c = 0; c < sch; c++)
                src[i * sch + c] = pcm[c][i];
        size_t idone = 0, odone = 0;
        soxr_process(o->conv, src, (size_t)n, &idone, res, (size_t)want, &odone);
        const float *planes[MAX_CH];
        float *plan_buf = o->out; /* scratch: planar copy */
        for (int c = 0; c < sch; c++) {
            planes[c] = plan_buf + (size_t)c * CHUNK;
            for (size_t i = 0; i < odone; i++)
                plan_buf[(size_t)c * CHUNK + i] = res[i * (size_t)sch + (size_t)c];
        }
        mix_into(planes, sch, o->in, o->ch, (long)odone);
        return (long)odone;
    }
    memset(o->in, 0, sizeof(float) * (size_t)want * (size_t)o->ch); /* silence */
    return want;
}

/* Decode a chunk, record what starts, and run it through the steering resampler into the
 * pending output. */
static void produce(pcm_out *o, const air_now *now)
{
    long n = 0;
    for (int tries = 0; tries < 8 && n == 0; tries++)
        n = decode(o);
    if (n <= 0)
        return;
    if (o->seg.kind == AIR_SEG_ITEM && !o->begun) {
        air_item_ref ref = air_ref(o->seg.day, o->seg.item);
        int64_t frame_ns = o->seg_t0 + air_samples_to_ns(o->seg_pos, o->rate);
        int64_t actual = frame_ns - (o->have_err ? (int64_t)o->err_ns : 0);
        (void)now;
        o->begun = 1;
        o->begun_from = o->seg_pos;
        air_asrun_begin(o->base.asrun, &ref, o->base.name, actual, o->seg_pos);
    }
    o->seg_pos += n;
    o->prog_ns = o->seg_t0 + air_samples_to_ns(o->seg_pos, o->rate);
    /* the decoder leaves denormal dust in silence; it makes the resampler 50 times slower */
    for (long i = 0; i < n * o->ch; i++)
        if (fabsf(o->in[i]) < 1e-20f)
            o->in[i] = 0.0f;
    size_t idone = 0, odone = 0;
    soxr_process(o->rs, o->in, (size_t)n, &idone, o->out, CHUNK * 2, &odone);
    o->pend_n = odone;
    o->pend_off = 0;
    /* soxr's output is aligned with its input (it holds frames back, it does not delay
     * them): output frame k is input frame k at ratio 1, and each output frame moves the
     * programme by ratio / rate seconds (the ratio changes without a slew: exact) */
    o->out_off += (double)odone * ((double)AIR_NS / o->rate) * (1.0 - o->u);
}

/* ---- steering --------------------------------------------------------------------------------- */

static int64_t dac_prog(pcm_out *o, int64_t card_delay)
{
    int64_t queued = card_delay + (int64_t)(o->pend_n - o->pend_off);
    return o->out_base + (int64_t)llround(o->out_off) - air_samples_to_ns(queued, o->rate);
}

/* Start (again) at the programme instant that will leave the card next. */
static void rejoin(pcm_out *o, const air_now *now, int64_t card_delay)
{
    drop_seg(o);
    soxr_clear(o->rs);
    soxr_set_io_ratio(o->rs, 1.0 - o->u, 0);
    o->pend_n = o->pend_off = 0;
    o->prog_ns = now->wall + air_samples_to_ns(card_delay, o->rate);
    o->out_base = o->prog_ns;
    o->out_off = 0;
    o->settle_mono = now->mono + air_samples_to_ns(card_delay, o->rate) + 50000000;
    o->have_err = 0;
}

static void go_down(pcm_out *o, const air_now *now, int64_t dac, const char *why)
{
    cut_items(o, dac, "output down");
    if (o->open)
        o->ops->close(o->card);
    o->open = 0;
    o->seen_wall = 0;
    drop_seg(o);
    close_decoder(o);
    o->failures++;
    o->retry_mono = now->mono + air_backoff_ns(o->failures, o->base.retry_max);
    if (!o->is_down) {
        o->is_down = 1;
        air_asrun_down(o->base.asrun, o->base.name, now->wall, why);
        air_logf(o->base.log, CW_DIAG_WARNING, "air.output-down", o->base.name,
                 "%s: %s (trying again with back-off; the other outputs go on)", o->base.name, why);
    }
}

static void steer(pcm_out *o, const air_now *now, int64_t e)
{
    double dt = o->last_mono ? (double)(now->mono - o->last_mono) / AIR_NS : 0;
    o->last_mono = now->mono;
    if (dt <= 0 || dt > 5)
        dt = 0;
    double es = (double)e / AIR_NS; /* seconds the card is ahead of the plan */
    double u = KP * es + KI * (o->integ + es * dt);
    if (u > -U_MAX && u < U_MAX)
        o->integ += es * dt; /* no wind-up while saturated */
    u = KP * es + KI * o->integ;
    if (u > U_MAX)
        u = U_MAX;
    if (u < -U_MAX)
        u = -U_MAX;
    if (fabs(u - o->u) > 1e-7) {
        o->u = u;
        soxr_set_io_ratio(o->rs, 1.0 - u, 0);
    }
}

/* ---- pump -------------------------------------------------------------------------------------- */

/* Open the card (again): 0 when open, else the mono time to try again. */
static int64_t open_card(pcm_out *o, const air_now *now)
{
    air_out *base = &o->base;
    if (now->mono < o->retry_mono)
        return o->retry_mono;
    if (base->between_nothing) { /* stay released in a gap until shortly before airtime */
        air_seg s;
        air_prog_at(base->prog, now->wall + AIR_NS, &s);
        int gap = s.kind == AIR_SEG_GAP;
        int64_t end = s.end_ns;
        air_prog_release(base->prog, &s);
        if (gap)
            return now->mono + (end - now->wall - AIR_NS > AIR_NS / 10 ? end - now->wall - AIR_NS : AIR_NS / 10);
    }
    cw_error err = {0};
    if (o->ops->open(o->card, o->rate, o->ch, &err) != 0) {
        o->open = 0;
        go_down(o, now, o->prog_ns, err.text);
        return o->retry_mono;
    }
    o->open = 1;
    o->failures = 0;
    o->written = 0;
    o->unpaced = 0;
    o->paced = 0;
    o->empty_seen = 0;
    o->rate_wall0 = 0;
    if (o->is_down) {
        o->is_down = 0;
        air_asrun_up(base->asrun, base->name, now->wall);
        air_logf(base->log, CW_DIAG_INFO, "air.output-up", base->name, "%s: playing again", base->name);
    }
    rejoin(o, now, 0);
    return 0;
}

/* Every ten minutes, what the card's own clock does (frames it played per second). */
static void report_rate(pcm_out *o, const air_now *now, int64_t delay, int64_t wall_at, int64_t e)
{
    int64_t played = o->written - delay;
    if (!o->rate_wall0) {
        o->rate_frames0 = played;
        o->rate_wall0 = wall_at;
    } else if (now->mono - o->ppm_logged_mono > 600 * AIR_NS && wall_at - o->rate_wall0 > 100 * AIR_NS) {
        o->ppm_logged_mono = now->mono;
        double secs = (double)(wall_at - o->rate_wall0) / AIR_NS;
        double ppm = ((double)(played - o->rate_frames0) / o->rate / secs - 1.0) * 1e6;
        air_logf(o->base.log, CW_DIAG_INFO, "air.card-clock", o->base.name,
                 "%s: the card's clock runs %+.0f ppm against the system clock; corrected (now %+.1f ms off the plan)",
                 o->base.name, ppm, (double)e / 1e6);
    }
}

/* Where the card is against the plan, and what to do about it: steer, or re-join after a
 * clock step, an underrun or an error too large to steer. *dac is updated. */
static void track(pcm_out *o, const air_now *now, int rc, int64_t step, int64_t delay, int64_t wall_at, int64_t *dac)
{
    air_out *base = &o->base;
    long buffer = o->ops->buffer(o->card);
    int64_t e = *dac - wall_at;
    o->empty_seen = o->written >= (int64_t)buffer && o->wrote_last >= buffer / 8 && delay < buffer / 16 && rc == 0
                        ? o->empty_seen + 1
                        : 0;
    if (o->written >= (int64_t)buffer && delay >= buffer / 4)
        o->paced = 1;
    /* a real card holds what we keep in it; this one swallowed it. One seen holding audio
     * keeps its clock: a starved process finds a real card nearly empty too. */
    if (!o->unpaced && !o->paced && o->empty_seen >= 3) {
        o->unpaced = 1;
        air_logf(base->log, CW_DIAG_INFO, "air.unpaced", base->name,
                 "%s takes audio as fast as it is given (no clock of its own): paced by the system clock", base->name);
    }
    int stepped = step > AIR_NS / 2 || step < -AIR_NS / 2;
    if (o->unpaced) {
        if (stepped) {
            cut_items(o, dac_prog(o, 0), "clock stepped");
            rejoin(o, now, 0);
        }
        *dac = dac_prog(o, 0);
    } else if (rc == 1 || stepped || (o->paced && now->mono >= o->settle_mono && (e > HARD_NS || e < -HARD_NS))) {
        char why[96];
        if (rc == 1)
            snprintf(why, sizeof why, "the sound card ran dry (underrun)");
        else if (stepped)
            snprintf(why, sizeof why, "clock stepped by %+.1f s", (double)step / AIR_NS);
        else
            snprintf(why, sizeof why, "%.0f ms off the plan: re-joined", (double)e / 1e6);
        air_logf(base->log, CW_DIAG_WARNING, "air.resync", base->name, "%s: %s", base->name, why);
        cut_items(o, dac_prog(o, 0), why); /* what the card holds still plays */
        rejoin(o, now, rc == 1 ? 0 : delay);
        *dac = dac_prog(o, rc == 1 ? 0 : delay);
    } else if (o->paced && now->mono >= o->settle_mono) {
        o->err_ns = (double)e;
        o->have_err = 1;
        steer(o, now, e);
        report_rate(o, now, delay, wall_at, e);
    }
}

/* Fill the card, never more than a buffer ahead of the clock (a device without a clock of
 * its own would take everything at once). 0, or the mono time to retry after a failure. */
static int64_t fill(pcm_out *o, const air_now *now, int64_t dac)
{
    long buffer = o->ops->buffer(o->card), avail = o->ops->avail(o->card);
    int64_t written_before = o->written;
    int64_t ahead_max = now->wall + (o->unpaced ? 50000000 : air_samples_to_ns(buffer, o->rate) + 20000000);
    cw_error err = {0};
    for (int guard = 0; avail > 0 && guard < 256; guard++) {
        if (dac_prog(o, 0) >= ahead_max)
            break;
        if (o->pend_off >= o->pend_n) {
            produce(o, now);
            if (o->pend_n == 0)
                continue;
        }
        size_t n = o->pend_n - o->pend_off, done = 0;
        if ((long)n > avail)
            n = (size_t)avail;
        int rc = o->ops->write(o->card, o->out + o->pend_off * (size_t)o->ch, n, &done, &err);
        if (rc < 0) {
            go_down(o, now, dac < dac_prog(o, 0) ? dac : dac_prog(o, 0), err.text);
            return o->retry_mono;
        }
        if (rc == 1) { /* an underrun while writing: measured and re-joined next time */
            o->settle_mono = 0;
            break;
        }
        o->pend_off += done;
        o->written += (int64_t)done;
        avail -= (long)done;
        if (done < n)
            break;
    }
    o->wrote_last = o->written - written_before;
    return 0;
}

static int64_t pcm_pump(air_out *base, const air_now *now)
{
    pcm_out *o = (pcm_out *)base;
    int64_t step = air_out_clock_step(base, now);
    if (!o->open) {
        int64_t wait = open_card(o, now);
        if (wait)
            return wait;
    }
    int64_t delay = 0, at_mono = now->mono;
    cw_error err = {0};
    int rc = o->ops->delay(o->card, &delay, &at_mono, &err);
    if (rc < 0) { /* what it held is lost: it played until about now */
        int64_t est = o->seen_wall ? o->seen_dac + (now->wall - o->seen_wall) : dac_prog(o, 0);
        go_down(o, now, est < dac_prog(o, 0) ? est : dac_prog(o, 0), err.text);
        return o->retry_mono;
    }
    int64_t dac = dac_prog(o, delay);
    int64_t wall_at = now->wall + (at_mono - now->mono);
    o->seen_dac = dac;
    o->seen_wall = wall_at;
    if (o->have_seg || o->n_ends)
        settle_ends(o, dac);
    track(o, now, rc, step, delay, wall_at, &dac);
    /* `between = nothing`: in a gap, let the card play out what it holds, then release it */
    if (base->between_nothing && o->have_seg && o->seg.kind == AIR_SEG_GAP && o->seg_len - o->seg_pos > 2 * o->rate &&
        o->n_ends == 0) {
        if (delay <= 0 || dac >= o->seg.start_ns) {
            o->ops->close(o->card);
            o->open = 0;
            drop_seg(o);
            return now->mono;
        }
        return now->mono + air_samples_to_ns(delay, o->rate) / 2 + 1000000;
    }
    int64_t retry = fill(o, now, dac);
    if (retry)
        return retry;
    long buffer = o->ops->buffer(o->card);
    int64_t wait = o->unpaced ? 20000000 : air_samples_to_ns(buffer / 4, o->rate);
    if (wait < 20000000)
        wait = 20000000;
    if (wait > 200000000)
        wait = 200000000;
    return now->mono + wait;
}

static void pcm_stop(air_out *base, const air_now *now)
{
    pcm_out *o = (pcm_out *)base;
    int64_t delay = 0, at = now->mono;
    cw_error err = {0};
    int64_t dac = now->wall;
    if (o->open && o->ops->delay(o->card, &delay, &at, &err) >= 0)
        dac = dac_prog(o, delay);
    cut_items(o, dac, "chalkwave stopped");
    if (o->open)
        o->ops->close(o->card);
    o->open = 0;
    drop_seg(o);
    close_decoder(o);
}

static void pcm_free(air_out *base)
{
    pcm_out *o = (pcm_out *)base;
    drop_seg(o);
    close_decoder(o);
    if (o->rs)
        soxr_delete(o->rs);
    if (o->ops && o->card)
        o->ops->free(o->card);
    free(o->in);
    free(o->out);
    free(o->tmp);
    free(o);
}

static const air_out_ops pcm_ops = {pcm_pump, pcm_stop, pcm_free};

double air_out_alsa_ratio(const air_out *base)
{
    return 1.0 - ((const pcm_out *)base)->u;
}

int air_out_alsa_new(air_out **out, const air_out_env *env, const char *name, const air_card_ops *ops, void *card,
                     cw_error *err)
{
    *out = NULL;
    pcm_out *o = calloc(1, sizeof *o);
    if (!o)
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    o->base.ops = &pcm_ops;
    snprintf(o->base.name, sizeof o->base.name, "%s", name);
    o->base.prog = env->prog;
    o->base.asrun = env->asrun;
    o->base.log = env->log;
    o->base.clock = env->clock;
    o->base.retry_max = env->retry_max;
    o->base.between_nothing = env->between_nothing;
    o->ops = ops;
    o->card = card;
    o->st = env->st;
    o->rate = env->st->rate;
    o->ch = env->st->channels > MAX_CH ? MAX_CH : env->st->channels;
    o->rd.fd = -1;
    o->in = malloc(sizeof(float) * CHUNK * (size_t)o->ch);
    o->out = malloc(sizeof(float) * CHUNK * 2 * MAX_CH);
    o->tmp = malloc(sizeof(float) * CHUNK * MAX_CH * 2);
    soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
    soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, SOXR_VR);
    soxr_error_t e = NULL;
    o->rs = soxr_create(1.01, 1.0, (unsigned)o->ch, &e, &io, &q, NULL);
    if (!o->in || !o->out || !o->tmp || e || !o->rs) {
        o->card = NULL;
        pcm_free(&o->base);
        return cw_fail(err, CW_ENOMEM, "", 0, "cannot set up the resampler: %s", e ? e : "out of memory");
    }
    soxr_set_io_ratio(o->rs, 1.0, 0);
    *out = &o->base;
    return 0;
}
