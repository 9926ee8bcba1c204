/* alsa_cwclock.c — a sound card for the air tests, as an ALSA external plugin (ioplug):
 * it plays at `rate` x (1 + ppm/1e6) frames per second of the monotonic clock, like a card
 * whose crystal is off by that many ppm, and writes every frame it is given to `file`
 * (raw, the format ALSA negotiated), with FILE.start saying when it started:
 *   "REALTIME_NS MONO_NS RATE CHANNELS FORMAT PPM"
 * so a test can tell the wall-clock instant each frame left the "card". Underruns (the
 * card ran out of frames) are counted in FILE.xruns.
 *   pcm_type.cwclock { lib "/path/libasound_module_pcm_cwclock.so" }
 *   pcm.card200 { type cwclock file "/tmp/out.raw" ppm 200 }
 * Test code only: built with the tests, never installed. */
#include <alsa/asoundlib.h>
#include <alsa/pcm_external.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct cwclock {
    snd_pcm_ioplug_t io;
    char *path;
    double ppm;
    FILE *fp;
    int pipefd[2];
    int running;
    long long t0_mono, t0_real;
    snd_pcm_uframes_t written, consumed, xruns;
    FILE *xlog; /* FILE.xruns.log: one line per underrun */
    unsigned frame_bytes;
} cwclock;

static long long now_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void update(cwclock *c)
{
    if (!c->running)
        return;
    double f = (double)(now_ns(CLOCK_MONOTONIC) - c->t0_mono) / 1e9 * c->io.rate * (1.0 + c->ppm * 1e-6);
    snd_pcm_uframes_t want = (snd_pcm_uframes_t)floor(f);
    if (want > c->written) { /* it ran dry: the frames it lacked are a pause */
        if (c->written > c->consumed) {
            c->xruns++;
            if (c->xlog) /* when, how many frames into the run, how many frames short */
                fprintf(c->xlog, "%lld %lu %lu\n", now_ns(CLOCK_REALTIME), (unsigned long)c->written,
                        (unsigned long)(want - c->written));
        }
        want = c->written;
    }
    if (want > c->consumed)
        c->consumed = want;
}

static int cw_start(snd_pcm_ioplug_t *io)
{
    cwclock *c = io->private_data;
    c->running = 1;
    if (!c->xlog) {
        char *x = malloc(strlen(c->path) + 16);
        sprintf(x, "%s.xruns.log", c->path);
        c->xlog = fopen(x, "a");
        free(x);
    }
    c->t0_mono = now_ns(CLOCK_MONOTONIC);
    c->t0_real = now_ns(CLOCK_REALTIME);
    char *p = malloc(strlen(c->path) + 8);
    sprintf(p, "%s.start", c->path);
    FILE *fp = fopen(p, "w");
    if (fp) {
        fprintf(fp, "%lld %lld %u %u %s %.3f\n", c->t0_real, c->t0_mono, io->rate, io->channels,
                snd_pcm_format_name(io->format), c->ppm);
        fclose(fp);
    }
    free(p);
    return 0;
}

static int cw_stop(snd_pcm_ioplug_t *io)
{
    cwclock *c = io->private_data;
    update(c);
    c->running = 0;
    return 0;
}

static snd_pcm_sframes_t cw_pointer(snd_pcm_ioplug_t *io)
{
    cwclock *c = io->private_data;
    update(c);
    return (snd_pcm_sframes_t)(c->consumed % io->buffer_size);
}

static snd_pcm_sframes_t cw_transfer(snd_pcm_ioplug_t *io, const snd_pcm_channel_area_t *areas, snd_pcm_uframes_t offset,
                                     snd_pcm_uframes_t size)
{
    cwclock *c = io->private_data;
    const char *buf = (const char *)areas[0].addr + (areas[0].first + areas[0].step * offset) / 8;
    if (c->fp)
        fwrite(buf, c->frame_bytes, size, c->fp);
    c->written += size;
    return (snd_pcm_sframes_t)size;
}

static int cw_prepare(snd_pcm_ioplug_t *io)
{
    cwclock *c = io->private_data;
    c->running = 0;
    c->written = c->consumed = 0;
    return 0;
}

static int cw_hw_params(snd_pcm_ioplug_t *io, snd_pcm_hw_params_t *params)
{
    (void)params;
    cwclock *c = io->private_data;
    c->frame_bytes = (unsigned)(snd_pcm_format_physical_width(io->format) / 8 * io->channels);
    return 0;
}

static int cw_close(snd_pcm_ioplug_t *io)
{
    cwclock *c = io->private_data;
    if (c->fp)
        fclose(c->fp);
    if (c->xlog)
        fclose(c->xlog);
    char *p = malloc(strlen(c->path) + 8);
    sprintf(p, "%s.xruns", c->path);
    FILE *fp = fopen(p, "w");
    if (fp) {
        fprintf(fp, "%lu\n", (unsigned long)c->xruns);
        fclose(fp);
    }
    free(p);
    close(c->pipefd[0]);
    close(c->pipefd[1]);
    free(c->path);
    free(c);
    return 0;
}

static const snd_pcm_ioplug_callback_t callbacks = {
    .start = cw_start,
    .stop = cw_stop,
    .pointer = cw_pointer,
    .transfer = cw_transfer,
    .close = cw_close,
    .hw_params = cw_hw_params,
    .prepare = cw_prepare,
};

SND_PCM_PLUGIN_DEFINE_FUNC(cwclock)
{
    (void)root;
    snd_config_iterator_t i, next;
    const char *path = NULL;
    double ppm = 0;
    snd_config_for_each(i, next, conf)
    {
        snd_config_t *n = snd_config_iterator_entry(i);
        const char *id;
        if (snd_config_get_id(n, &id) < 0)
            continue;
        if (!strcmp(id, "comment") || !strcmp(id, "type") || !strcmp(id, "hint"))
            continue;
        if (!strcmp(id, "file")) {
            snd_config_get_string(n, &path);
            continue;
        }
        if (!strcmp(id, "ppm")) {
            long l;
            if (snd_config_get_real(n, &ppm) < 0 && snd_config_get_integer(n, &l) == 0)
                ppm = (double)l;
            continue;
        }
        SNDERR("cwclock: unknown field %s", id);
        return -EINVAL;
    }
    if (!path || stream != SND_PCM_STREAM_PLAYBACK)
        return -EINVAL;
    cwclock *c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    c->path = strdup(path);
    c->ppm = ppm;
    c->fp = fopen(path, "wb");
    if (pipe(c->pipefd) != 0) {
        free(c);
        return -errno;
    }
    c->io.version = SND_PCM_IOPLUG_VERSION;
    c->io.name = "chalkwave test card";
    c->io.callback = &callbacks;
    c->io.private_data = c;
    c->io.poll_fd = c->pipefd[1];
    c->io.poll_events = POLLOUT;
    int err = snd_pcm_ioplug_create(&c->io, name, stream, mode);
    if (err < 0) {
        free(c);
        return err;
    }
    static const unsigned int access[] = {SND_PCM_ACCESS_RW_INTERLEAVED};
    static const unsigned int formats[] = {SND_PCM_FORMAT_FLOAT_LE, SND_PCM_FORMAT_S16_LE};
    snd_pcm_ioplug_set_param_list(&c->io, SND_PCM_IOPLUG_HW_ACCESS, 1, access);
    snd_pcm_ioplug_set_param_list(&c->io, SND_PCM_IOPLUG_HW_FORMAT, 2, formats);
    snd_pcm_ioplug_set_param_minmax(&c->io, SND_PCM_IOPLUG_HW_CHANNELS, 1, 2);
    snd_pcm_ioplug_set_param_minmax(&c->io, SND_PCM_IOPLUG_HW_RATE, 8000, 192000);
    snd_pcm_ioplug_set_param_minmax(&c->io, SND_PCM_IOPLUG_HW_PERIOD_BYTES, 256, 1 << 20);
    snd_pcm_ioplug_set_param_minmax(&c->io, SND_PCM_IOPLUG_HW_PERIODS, 2, 64);
    *pcmp = c->io.pcm;
    return 0;
}

SND_PCM_PLUGIN_SYMBOL(cwclock);
