/* ffmpeg_lib.h — FFmpeg's functions as dec_ffmpeg.c and mp4 reading use them, through a
 * table filled by dlopen/dlsym (ffmpeg_lib.c). Internal to the audio module. */
#ifndef CW_FFMPEG_LIB_H
#define CW_FFMPEG_LIB_H

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>

#define CW_AV_FUNCS(X)                                                                     \
    X(av_log_set_callback) X(av_malloc) X(av_free) X(av_freep) X(av_strdup)                \
    X(av_sample_fmt_is_planar) X(av_get_packed_sample_fmt) X(av_rescale_q) X(av_rescale)  \
    X(av_dict_get) X(av_frame_alloc) X(av_frame_free) X(av_frame_unref) X(av_codec_iterate)\
    X(av_codec_is_decoder) X(avcodec_find_decoder) X(avcodec_alloc_context3)               \
    X(avcodec_parameters_to_context) X(avcodec_open2) X(avcodec_free_context)               \
    X(av_packet_alloc) X(av_packet_free) X(av_packet_unref) X(avcodec_send_packet)         \
    X(avcodec_receive_frame) X(avcodec_descriptor_get) X(avio_alloc_context)               \
    X(avio_context_free) X(avformat_alloc_context) X(avformat_open_input)                  \
    X(avformat_find_stream_info) X(avformat_close_input) X(av_read_frame) X(av_new_packet)

typedef struct cw_audio_av {
#define CW_AV_DECL(f) __typeof__(f) *f;
    CW_AV_FUNCS(CW_AV_DECL)
#undef CW_AV_DECL
} cw_audio_av;

/* The table, once cw_audio_av_load() has returned 1 (else untouched). */
extern cw_audio_av av;

/* Load FFmpeg's libraries (once per process, thread-safe) and route their log to
 * cw_audio_av_errors. 1 when every function was found, 0 when FFmpeg is not installed. */
int cw_audio_av_load(void);
/* Every audio decoder's name, comma-separated (the only decoders stream probing may
 * open); NULL when out of memory. */
const char *cw_audio_av_audio_decoders(void);
/* While a decoder calls into FFmpeg on this thread, it points this at its own counter:
 * each error FFmpeg logs adds one (nothing is ever printed). */
extern __thread int *cw_audio_av_errors;

#endif
