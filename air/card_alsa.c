/* card_alsa.c — a sound card through libasound: opened non-blocking with a half-second
 * buffer (float samples where the device takes them, else 16-bit), its delay read with the
 * monotonic time stamp of the last hardware pointer update, so the output can steer the
 * card's clock against the system clock without the period-size jitter of a bare delay.
 * Guarantees: never blocks; an underrun is recovered and reported (the output re-joins the
 * plan); a card that disappears is an error the output retries; ALSA prints nothing. */
#include "air_int.h"

#include <alsa/asoundlib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct alsa_card {
    snd_pcm_t *pcm;
    char dev[256];
    int channels, s16, tstamp_mono;
    long buffer;
    short *conv;
} alsa_card;

#define LATENCY_US 500000
#define CONV_FRAMES 4096

static void quiet_alsa(const char *file, int line, const char *function, int err, const char *fmt, ...)
{
    (void)file;
    (void)line;
    (void)function;
    (void)err;
    (void)fmt;
}

static int card_open(void *cp, int rate, int channels, cw_error *err)
{
    alsa_card *c = cp;
    snd_lib_error_set_handler(quiet_alsa);
    int rc = snd_pcm_open(&c->pcm, c->dev, SND_PCM_STREAM_PLAYBACK, SND_PCM_NONBLOCK);
    if (rc < 0) {
        c->pcm = NULL;
        return cw_fail(err, CW_EIO, "", 0, "cannot open sound card 'alsa:%s': %s (see aplay -L for the names)", c->dev,
                       snd_strerror(rc));
    }
    c->s16 = 0;
    rc = snd_pcm_set_params(c->pcm, SND_PCM_FORMAT_FLOAT, SND_PCM_ACCESS_RW_INTERLEAVED, (unsigned)channels,
                            (unsigned)rate, 1, LATENCY_US);
    if (rc < 0) {
        c->s16 = 1;
        rc = snd_pcm_set_params(c->pcm, SND_PCM_FORMAT_S16, SND_PCM_ACCESS_RW_INTERLEAVED, (unsigned)channels,
                                (unsigned)rate, 1, LATENCY_US);
    }
    if (rc < 0) {
        snd_pcm_close(c->pcm);
        c->pcm = NULL;
        return cw_fail(err, CW_EIO, "", 0,
                       "sound card 'alsa:%s' cannot play %d Hz, %d channel%s: %s (try alsa:plughw:N,0 or alsa:default)",
                       c->dev, rate, channels, channels == 1 ? "" : "s", snd_strerror(rc));
    }
    snd_pcm_uframes_t bsize = 0, psize = 0;
    snd_pcm_get_params(c->pcm, &bsize, &psize);
    c->buffer = (long)bsize;
    c->channels = channels;
    /* time stamps of hardware pointer updates, on the monotonic clock */
    snd_pcm_sw_params_t *sw;
    snd_pcm_sw_params_alloca(&sw);
    c->tstamp_mono = 0;
    if (snd_pcm_sw_params_current(c->pcm, sw) == 0 &&
        snd_pcm_sw_params_set_tstamp_mode(c->pcm, sw, SND_PCM_TSTAMP_ENABLE) == 0 &&
        snd_pcm_sw_params_set_tstamp_type(c->pcm, sw, SND_PCM_TSTAMP_TYPE_MONOTONIC) == 0 &&
        snd_pcm_sw_params(c->pcm, sw) == 0)
        c->tstamp_mono = 1;
    if (c->s16 && !c->conv) {
        c->conv = malloc(sizeof(short) * CONV_FRAMES * (size_t)channels);
        if (!c->conv) {
            snd_pcm_close(c->pcm);
            c->pcm = NULL;
            return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        }
    }
    return 0;
}

/* 0: ok; 1: an underrun or suspend was recovered (the card paused); <0: the card is gone. */
static int recover(alsa_card *c, int rc, cw_error *err)
{
    if (rc == -EPIPE || rc == -ESTRPIPE) {
        if (rc == -ESTRPIPE && snd_pcm_resume(c->pcm) == 0)
            return 1;
        if (snd_pcm_prepare(c->pcm) == 0)
            return 1;
    }
    return cw_fail(err, CW_EIO, "", 0, "sound card 'alsa:%s' failed: %s", c->dev, snd_strerror(rc));
}

static int card_write(void *cp, const float *frames, size_t n, size_t *done, cw_error *err)
{
    alsa_card *c = cp;
    *done = 0;
    if (!c->pcm)
        return cw_fail(err, CW_EIO, "", 0, "sound card 'alsa:%s' is closed", c->dev);
    snd_pcm_sframes_t w;
    if (c->s16) {
        size_t k = n > CONV_FRAMES ? CONV_FRAMES : n;
        for (size_t i = 0; i < k * (size_t)c->channels; i++) {
            float v = frames[i] * 32768.0f;
            c->conv[i] = (short)(v > 32767.0f ? 32767 : v < -32768.0f ? -32768 : (int)lrintf(v));
        }
        w = snd_pcm_writei(c->pcm, c->conv, k);
    } else {
        w = snd_pcm_writei(c->pcm, frames, n);
    }
    if (w == -EAGAIN)
        return 0;
    if (w < 0)
        return recover(c, (int)w, err);
    *done = (size_t)w;
    return 0;
}

static int card_delay(void *cp, int64_t *frames, int64_t *at_mono, cw_error *err)
{
    alsa_card *c = cp;
    snd_pcm_status_t *st;
    snd_pcm_status_alloca(&st);
    int rc = snd_pcm_status(c->pcm, st);
    if (rc < 0)
        return recover(c, rc, err);
    snd_pcm_state_t s = snd_pcm_status_get_state(st);
    if (s == SND_PCM_STATE_XRUN)
        return recover(c, -EPIPE, err);
    *frames = (int64_t)snd_pcm_status_get_delay(st);
    snd_htimestamp_t ts;
    snd_pcm_status_get_htstamp(st, &ts);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t now_ns = (int64_t)now.tv_sec * AIR_NS + now.tv_nsec;
    int64_t ts_ns = (int64_t)ts.tv_sec * AIR_NS + ts.tv_nsec;
    /* a stamp from another clock, or none, or stale: the delay is taken as of now */
    *at_mono = c->tstamp_mono && s == SND_PCM_STATE_RUNNING && ts_ns > 0 && ts_ns <= now_ns && now_ns - ts_ns < AIR_NS
                   ? ts_ns
                   : now_ns;
    if (s != SND_PCM_STATE_RUNNING && *frames <= 0) {
        snd_pcm_sframes_t avail = snd_pcm_avail_update(c->pcm);
        *frames = avail >= 0 ? c->buffer - avail : 0;
    }
    return 0;
}

static long card_avail(void *cp)
{
    alsa_card *c = cp;
    snd_pcm_sframes_t a = c->pcm ? snd_pcm_avail_update(c->pcm) : 0;
    if (a == -EPIPE || a == -ESTRPIPE)
        return c->buffer; /* the output writes, and the write recovers */
    return a > 0 ? (long)a : 0;
}

static long card_buffer(void *cp)
{
    return ((alsa_card *)cp)->buffer;
}

static void card_close(void *cp)
{
    alsa_card *c = cp;
    if (c->pcm) {
        snd_pcm_drop(c->pcm);
        snd_pcm_close(c->pcm);
    }
    c->pcm = NULL;
}

static void card_free(void *cp)
{
    alsa_card *c = cp;
    card_close(c);
    free(c->conv);
    free(c);
}

const air_card_ops air_card_alsa_ops = {card_open, card_write, card_delay, card_avail, card_buffer, card_close, card_free};

int air_card_alsa(void **out, const char *device, cw_error *err)
{
    *out = NULL;
    alsa_card *c = calloc(1, sizeof *c);
    if (!c)
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    snprintf(c->dev, sizeof c->dev, "%s", device);
    *out = c;
    return 0;
}
