/* ffmpeg_lib.c — FFmpeg's libraries, loaded when first needed. libavcodec pulls in some
 * 140 shared libraries (video and image codecs among them): linked into the program they
 * cost every chalkwave command about 150 ms to start and 20 MB of memory, so they are
 * opened with dlopen the first time a file needs them, by the sonames the program was built
 * against (the headers' structures must match).
 * Guarantees: loaded at most once per process (pthread_once); FFmpeg never prints: its log
 * goes to a callback that only counts errors for the decoder calling on that thread. */
#include "ffmpeg_lib.h"
#include "common.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>

cw_audio_av av;
__thread int *cw_audio_av_errors;
static int loaded;
static char *audio_decoders;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void log_cb(void *avcl, int level, const char *fmt, va_list vl)
{
    (void)avcl;
    (void)fmt;
    (void)vl;
    if (cw_audio_av_errors && level <= AV_LOG_ERROR)
        (*cw_audio_av_errors)++;
}

static void load(void)
{
    static const char *const libs[] = {CW_LIBAVUTIL_SONAME, CW_LIBAVCODEC_SONAME,
                                       CW_LIBAVFORMAT_SONAME};
    void *h[3];
    for (int i = 0; i < 3; i++)
        if (!(h[i] = dlopen(libs[i], RTLD_NOW | RTLD_LOCAL)))
            return;
    int ok = 1;
#define CW_AV_SYM(f)                                                                       \
    if (!(*(void **)&av.f = dlsym(h[0], #f)) && !(*(void **)&av.f = dlsym(h[1], #f)) &&  \
        !(*(void **)&av.f = dlsym(h[2], #f)))                                             \
        ok = 0;
    CW_AV_FUNCS(CW_AV_SYM)
#undef CW_AV_SYM
    if (!ok)
        return; /* the libraries stay loaded for the life of the process */
    av.av_log_set_callback(log_cb);
    cw_buf b;
    cw_buf_init(&b);
    void *it = NULL;
    const AVCodec *c;
    while ((c = av.av_codec_iterate(&it)) != NULL)
        if (av.av_codec_is_decoder(c) && c->type == AVMEDIA_TYPE_AUDIO)
            cw_buf_printf(&b, "%s%s", b.len ? "," : "", c->name);
    audio_decoders = b.oom ? NULL : b.data; /* kept for the life of the process */
    loaded = 1;
}

int cw_audio_av_load(void)
{
    pthread_once(&once, load);
    return loaded;
}

const char *cw_audio_av_audio_decoders(void)
{
    return audio_decoders;
}
