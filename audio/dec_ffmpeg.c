/* dec_ffmpeg.c — the FFmpeg decoder (libavformat demuxes, libavcodec decodes; nothing
 * else of FFmpeg is used): M4A/MP4/MOV/3GP (AAC, HE-AAC, ALAC, AMR), raw AMR and ADTS AAC,
 * WebM/Matroska (Opus, Vorbis), Ogg (Vorbis, Opus, FLAC, Speex; with or without video),
 * WMA, CAF, and every other audio stream FFmpeg decodes cleanly — also what libsndfile and
 * libmpg123 are not given: WAVs written to a pipe or holding MP3, FLAC without a length.
 * Guarantees: one audio stream is decoded (the default one, else the first); other streams
 * are demuxed and dropped, never decoded (video tracks of MP4-family files are not even
 * indexed: see hide_tracks); FFmpeg prints nothing (its log goes to a counter); damage is
 * refused with a reason: an MP4 without its index ("moov", a recording never finished), a
 * file shorter than its container says, more undecodable packets than a small tolerance
 * (fewer are replaced by silence of their length and reported), an Ogg stream without its
 * end; lengths a container leaves open or only estimates are not damage. */
#include "audio_int.h"
#include "ffmpeg_lib.h"

#include <errno.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/channel_layout.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define IO_BUF 65536
#define MAX_HIDDEN 16        /* MP4 tracks hidden from libavformat */
#define BAD_TOLERANCE 0.002  /* share of packets that may be undecodable */
#define BAD_MAX 10           /* and at most this many */
#define PRIME_MAX 64         /* undecodable packets before the first sound: refused */

typedef struct ffdec {
    int fd;
    int64_t size, pos;
    const char *name;
    AVIOContext *avio;
    AVFormatContext *fmt;
    AVCodecContext *dec;
    AVStream *st;              /* the stream libavformat demuxes (NULL when walking) */
    cw_audio_mp4_track *walk;  /* MP4's sound track read sample by sample (mp4walk.c) */
    enum AVCodecID codec_id;
    AVRational tb;             /* time base of packet durations */
    int64_t skip_left;         /* decoded frames still to drop (MP4's edit list: priming) */
    unsigned char *wbuf;       /* AMR in MP4: a sample of several frames, handed out one by */
    size_t wcap, wlen, wpos;   /* one */
    AVPacket *pkt;
    AVFrame *frame;
    int rate, channels;
    float *buf; /* decoded samples not yet handed out */
    size_t cap, len, rpos; /* in samples */
    int demux_eof, dec_eof, demux_failed;
    int64_t packets, bad, bad_first_frame, silence, produced;
    int log_errors;           /* error lines FFmpeg logged during our calls */
    int64_t claimed;          /* frames the container states, -1 none */
    int64_t last;             /* frames after which the rest is encoder padding: MP4's edit
                               * list states the length exactly; -1 none */
    int64_t given;            /* frames handed out */
    int is_ogg;
    int64_t hidden[MAX_HIDDEN]; /* file offsets of 'trak' type fields shown as 'free' (see
                                 * open_ff: a long video costs no more memory than its sound) */
    int nhidden, hidden_video;
    char format[48];
} ffdec;

/* ---- reading through our descriptor ---------------------------------------------------- */

static int io_read(void *opaque, uint8_t *buf, int n)
{
    ffdec *d = opaque;
    ssize_t got;
    while ((got = pread(d->fd, buf, (size_t)n, (off_t)d->pos)) < 0 && errno == EINTR) {
    }
    if (got < 0)
        return AVERROR(errno);
    if (got == 0)
        return AVERROR_EOF;
    /* hidden tracks: their 'trak' box type reads 'free', so the demuxer skips them */
    for (int i = 0; i < d->nhidden; i++) {
        int64_t at = d->hidden[i];
        for (int k = 0; k < 4; k++)
            if (at + k >= d->pos && at + k < d->pos + got)
                buf[at + k - d->pos] = (uint8_t)"free"[k];
    }
    d->pos += got;
    return (int)got;
}

static int64_t io_seek(void *opaque, int64_t off, int whence)
{
    ffdec *d = opaque;
    switch (whence & ~AVSEEK_FORCE) {
    case AVSEEK_SIZE:
        return d->size;
    case SEEK_SET:
        break;
    case SEEK_CUR:
        off += d->pos;
        break;
    case SEEK_END:
        off += d->size;
        break;
    default:
        return AVERROR(EINVAL);
    }
    if (off < 0)
        return AVERROR(EINVAL);
    d->pos = off;
    return off;
}

/* ---- names ----------------------------------------------------------------------------- */

static const char *codec_label(enum AVCodecID id)
{
    switch (id) {
    case AV_CODEC_ID_AAC:
        return "AAC";
    case AV_CODEC_ID_ALAC:
        return "ALAC";
    case AV_CODEC_ID_AMR_NB:
        return "AMR";
    case AV_CODEC_ID_AMR_WB:
        return "AMR-WB";
    case AV_CODEC_ID_OPUS:
        return "Opus";
    case AV_CODEC_ID_VORBIS:
        return "Vorbis";
    case AV_CODEC_ID_FLAC:
        return "FLAC";
    case AV_CODEC_ID_SPEEX:
        return "Speex";
    case AV_CODEC_ID_MP3:
        return "MP3";
    case AV_CODEC_ID_WMAV1:
    case AV_CODEC_ID_WMAV2:
    case AV_CODEC_ID_WMAPRO:
    case AV_CODEC_ID_WMAVOICE:
    case AV_CODEC_ID_WMALOSSLESS:
        return "WMA";
    default: {
        const AVCodecDescriptor *cd = av.avcodec_descriptor_get(id);
        return cd ? cd->name : "unknown";
    }
    }
}

/* "M4A (AAC)", "MP4 video (AAC)", "WebM (Opus)", "WMA", ... */
static void describe(ffdec *d, int has_video)
{
    const char *fmt = d->fmt->iformat->name, *codec = codec_label(d->codec_id);
    const char *c = NULL;
    if (strstr(fmt, "mp4")) {
        const AVDictionaryEntry *b = av.av_dict_get(d->fmt->metadata, "major_brand", NULL, 0);
        const char *brand = b ? b->value : "";
        c = !strncmp(brand, "3g", 2) ? "3GP" : !strncmp(brand, "qt", 2) ? "MOV"
            : !strncmp(brand, "M4A", 3) ? "M4A" : "MP4";
    } else if (strstr(fmt, "matroska")) {
        c = "WebM/MKV";
    } else if (!strcmp(fmt, "ogg")) {
        c = "Ogg";
    } else if (!strcmp(fmt, "asf")) {
        c = NULL;
        codec = d->codec_id == AV_CODEC_ID_WMAV2 || d->codec_id == AV_CODEC_ID_WMAV1 ? "WMA" : codec;
    } else if (!strcmp(fmt, "caf")) {
        c = "CAF";
    } else if (!strcmp(fmt, "wav")) {
        c = "WAV";
    } else if (!strcmp(fmt, "w64")) {
        c = "Wave64";
    } else if (!strcmp(fmt, "aiff")) {
        c = "AIFF";
    } else if (!strcmp(fmt, "amr") || !strcmp(fmt, "flac") || !strcmp(fmt, "aac") ||
               !strcmp(fmt, "mp3")) {
        c = NULL; /* the codec is the format */
    } else {
        c = fmt;
    }
    if (c && has_video)
        snprintf(d->format, sizeof d->format, "%s video (%s sound)", c, codec);
    else if (c)
        snprintf(d->format, sizeof d->format, "%s (%s)", c, codec);
    else
        snprintf(d->format, sizeof d->format, "%s", codec);
}

/* ---- decoding -------------------------------------------------------------------------- */

static int grow(ffdec *d, size_t need)
{
    if (d->len + need <= d->cap)
        return 0;
    if (d->rpos > 0) {
        memmove(d->buf, d->buf + d->rpos, (d->len - d->rpos) * sizeof(float));
        d->len -= d->rpos;
        d->rpos = 0;
        if (d->len + need <= d->cap)
            return 0;
    }
    size_t nc = d->cap ? d->cap : 16384;
    while (nc < d->len + need)
        nc *= 2;
    float *nb = realloc(d->buf, nc * sizeof(float));
    if (!nb)
        return -1;
    d->buf = nb;
    d->cap = nc;
    return 0;
}

/* Append a decoded frame as interleaved float. */
static int take_frame(ffdec *d, const AVFrame *f, cw_error *err)
{
    int ch = f->ch_layout.nb_channels, n = f->nb_samples;
    if (d->rate == 0) {
        d->rate = f->sample_rate;
        d->channels = ch;
        if (d->walk && d->rate > 0) { /* the edit list's start (priming), at this rate */
            const cw_audio_mp4_info *i = cw_audio_mp4_track_info(d->walk);
            d->skip_left = av.av_rescale(i->skip, d->rate, i->timescale);
        }
    } else if (f->sample_rate != d->rate || ch != d->channels) {
        return cw_fail(err, CW_EUNSUPPORTED, d->name, 0, "the recording changes its sample rate "
                       "or number of channels part way (export it again as one recording)");
    }
    if (n <= 0 || ch <= 0)
        return 0;
    /* frames before the edit list's start (encoder priming) are not the recording's */
    int from = 0;
    if (d->skip_left > 0) {
        from = d->skip_left < n ? (int)d->skip_left : n;
        d->skip_left -= from;
        if (from == n)
            return 0;
    }
    n -= from;
    if (grow(d, (size_t)n * (size_t)ch))
        return cw_fail(err, CW_ENOMEM, d->name, 0, "out of memory");
    float *o = d->buf + d->len;
    enum AVSampleFormat sf = (enum AVSampleFormat)f->format;
    int planar = av.av_sample_fmt_is_planar(sf);
    for (int c = 0; c < ch; c++) {
        const uint8_t *p = planar ? f->extended_data[c] : f->extended_data[0];
        size_t step = planar ? 1 : (size_t)ch, first = (planar ? 0 : (size_t)c) + (size_t)from * step;
        float *q = o + c;
        switch (av.av_get_packed_sample_fmt(sf)) {
        case AV_SAMPLE_FMT_U8:
            for (int i = 0; i < n; i++)
                q[(size_t)i * ch] = ((float)p[first + i * step] - 128.0f) / 128.0f;
            break;
        case AV_SAMPLE_FMT_S16:
            for (int i = 0; i < n; i++)
                q[(size_t)i * ch] = (float)((const int16_t *)p)[first + i * step] / 32768.0f;
            break;
        case AV_SAMPLE_FMT_S32:
            for (int i = 0; i < n; i++)
                q[(size_t)i * ch] = (float)((double)((const int32_t *)p)[first + i * step] /
                                            2147483648.0);
            break;
        case AV_SAMPLE_FMT_S64:
            for (int i = 0; i < n; i++)
                q[(size_t)i * ch] = (float)((double)((const int64_t *)p)[first + i * step] /
                                            9223372036854775808.0);
            break;
        case AV_SAMPLE_FMT_FLT:
            for (int i = 0; i < n; i++)
                q[(size_t)i * ch] = ((const float *)p)[first + i * step];
            break;
        case AV_SAMPLE_FMT_DBL:
            for (int i = 0; i < n; i++)
                q[(size_t)i * ch] = (float)((const double *)p)[first + i * step];
            break;
        default:
            return cw_fail(err, CW_EUNSUPPORTED, d->name, 0, "the decoder gives samples in a "
                           "form chalkwave does not know (please report this)");
        }
    }
    d->len += (size_t)n * (size_t)ch;
    d->produced += n;
    return 0;
}

/* A packet that could not be decoded: counted, and replaced by silence of its length so
 * what follows keeps its time. */
static int bad_packet(ffdec *d, const AVPacket *pkt, cw_error *err)
{
    if (d->bad++ == 0)
        d->bad_first_frame = d->produced;
    if (d->rate <= 0 || pkt->duration <= 0)
        return 0;
    int64_t n = av.av_rescale_q(pkt->duration, d->tb, (AVRational){1, d->rate});
    if (n <= 0 || n > d->rate) /* over a second for one packet: not believable */
        return 0;
    if (grow(d, (size_t)n * (size_t)d->channels))
        return cw_fail(err, CW_ENOMEM, d->name, 0, "out of memory");
    memset(d->buf + d->len, 0, (size_t)n * (size_t)d->channels * sizeof(float));
    d->len += (size_t)n * (size_t)d->channels;
    d->produced += n;
    d->silence += n;
    return 0;
}

/* Bytes of the AMR frame whose header byte is h (storage format), 0 for none. */
static size_t amr_frame_bytes(unsigned char h, int wb)
{
    static const unsigned char nb[16] = {12, 13, 15, 17, 19, 20, 26, 31, 5, 6, 5, 5, 0, 0, 0, 0};
    static const unsigned char w[16] = {17, 23, 32, 36, 40, 46, 50, 58, 60, 5, 0, 0, 0, 0, 0, 0};
    return 1 + (wb ? w : nb)[(h >> 3) & 15];
}

/* The next packet of the MP4 sound track (mp4walk.c): a sample, or one AMR frame of it.
 * AVERROR_EOF at the end; AVERROR_INVALIDDATA when the tables or the file end early. */
static int walk_packet(ffdec *d)
{
    int amr = d->codec_id == AV_CODEC_ID_AMR_NB || d->codec_id == AV_CODEC_ID_AMR_WB;
    for (;;) {
        if (d->wpos < d->wlen) {
            size_t n = amr_frame_bytes(d->wbuf[d->wpos], d->codec_id == AV_CODEC_ID_AMR_WB);
            if (n > d->wlen - d->wpos)
                n = d->wlen - d->wpos; /* the decoder judges a frame cut short */
            if (av.av_new_packet(d->pkt, (int)n) < 0)
                return AVERROR(ENOMEM);
            memcpy(d->pkt->data, d->wbuf + d->wpos, n);
            d->wpos += n;
            return 0;
        }
        int64_t off;
        uint32_t size, dur = 0;
        int r = cw_audio_mp4_track_next(d->walk, &off, &size, &dur);
        if (r == 0)
            return AVERROR_EOF;
        if (r < 0 || size == 0 || size > (1u << 24) || off < 0 || off > d->size - (int64_t)size)
            return AVERROR_INVALIDDATA; /* the file ends before this sample: cut short */
        unsigned char *dst;
        if (amr) {
            if (size > d->wcap) {
                unsigned char *nb = realloc(d->wbuf, size);
                if (!nb)
                    return AVERROR(ENOMEM);
                d->wbuf = nb;
                d->wcap = size;
            }
            dst = d->wbuf;
        } else {
            if (av.av_new_packet(d->pkt, (int)size) < 0)
                return AVERROR(ENOMEM);
            dst = d->pkt->data;
            d->pkt->duration = dur;
        }
        ssize_t got;
        while ((got = pread(d->fd, dst, size, (off_t)off)) < 0 && errno == EINTR) {
        }
        if (got != (ssize_t)size) {
            if (!amr)
                av.av_packet_unref(d->pkt);
            return AVERROR_INVALIDDATA;
        }
        if (!amr)
            return 0;
        d->wlen = size;
        d->wpos = 0;
    }
}

/* Decode until at least one frame is buffered or the stream ends. */
static int decode_more(ffdec *d, cw_error *err)
{
    for (;;) {
        int r = av.avcodec_receive_frame(d->dec, d->frame);
        if (r == 0) {
            int rc = take_frame(d, d->frame, err);
            av.av_frame_unref(d->frame);
            return rc;
        }
        if (r == AVERROR_EOF) {
            d->dec_eof = 1;
            return 0;
        }
        if (r != AVERROR(EAGAIN)) {
            /* an error surfacing on output: counted like an undecodable packet; then more
             * input (never the same call again: it could answer the same forever) */
            if (d->bad++ == 0)
                d->bad_first_frame = d->produced;
            if (d->demux_eof) {
                d->dec_eof = 1;
                return 0;
            }
        }
        if (d->demux_eof) {
            av.avcodec_send_packet(d->dec, NULL);
            continue;
        }
        r = d->walk ? walk_packet(d) : av.av_read_frame(d->fmt, d->pkt);
        if (r < 0) {
            if (r != AVERROR_EOF)
                d->demux_failed = 1; /* a read error or damage: the rest is lost */
            d->demux_eof = 1;
            continue;
        }
        if (!d->walk && d->pkt->stream_index != d->st->index) {
            av.av_packet_unref(d->pkt);
            continue;
        }
        d->packets++;
        int before = d->log_errors;
        r = av.avcodec_send_packet(d->dec, d->pkt);
        if (r < 0 && r != AVERROR(EAGAIN)) {
            int rc = bad_packet(d, d->pkt, err);
            av.av_packet_unref(d->pkt);
            if (rc)
                return rc;
            continue;
        }
        if (d->log_errors > before) /* decoded with concealment: counted, kept */
            if (d->bad++ == 0)
                d->bad_first_frame = d->produced;
        av.av_packet_unref(d->pkt);
    }
}

/* ---- the decoder interface ----------------------------------------------------------- */

static void dec_close(void *state)
{
    ffdec *d = state;
    if (!d)
        return;
    av.avcodec_free_context(&d->dec);
    if (d->fmt)
        av.avformat_close_input(&d->fmt);
    if (d->avio) {
        av.av_freep(&d->avio->buffer);
        av.avio_context_free(&d->avio);
    }
    av.av_packet_free(&d->pkt);
    av.av_frame_free(&d->frame);
    if (d->fd >= 0)
        close(d->fd);
    cw_audio_mp4_track_close(d->walk);
    free(d->wbuf);
    free(d->buf);
    free(d);
}

static int sniff(const unsigned char *b, size_t n, int64_t size, int fd)
{
    (void)size;
    (void)fd;
    if (n >= 8 && (!memcmp(b + 4, "ftyp", 4) || !memcmp(b + 4, "moov", 4) ||
                   !memcmp(b + 4, "mdat", 4) || !memcmp(b + 4, "wide", 4)))
        return 90;
    if (n >= 4 && (!memcmp(b, "\x1a\x45\xdf\xa3", 4) || !memcmp(b, "OggS", 4) ||
                   !memcmp(b, "caff", 4) || !memcmp(b, "#!AMR", 5)))
        return 90;
    static const unsigned char asf[16] = {0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11,
                                          0xa6, 0xd9, 0x00, 0xaa, 0x00, 0x62, 0xce, 0x6c};
    if (n >= 16 && !memcmp(b, asf, 16))
        return 90;
    return 10; /* anything else: FFmpeg's own probe decides */
}

/* The stream to decode: the default audio stream, else the first. */
static AVStream *pick_stream(AVFormatContext *fmt, int *has_video)
{
    AVStream *first = NULL, *def = NULL;
    *has_video = 0;
    for (unsigned i = 0; i < fmt->nb_streams; i++) {
        AVStream *s = fmt->streams[i];
        if (s->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
            !(s->disposition & AV_DISPOSITION_ATTACHED_PIC))
            *has_video = 1;
        if (s->codecpar->codec_type != AVMEDIA_TYPE_AUDIO)
            continue;
        if (!first)
            first = s;
        if (!def && (s->disposition & AV_DISPOSITION_DEFAULT))
            def = s;
    }
    return def ? def : first;
}

static int refuse_unreadable(ffdec *d, const cw_audio_mp4_top *t, int averr, cw_error *err)
{
    if (averr == AVERROR(ENOMEM))
        return cw_fail(err, CW_ENOMEM, d->name, 0, "out of memory");
    if (t->is_mp4 && !t->has_moov && !t->has_moof)
        return cw_fail(err, CW_EINVAL, d->name, 0, "the recording was not finished - the phone "
                       "stopped before saving it (its index, 'moov', is missing); record it "
                       "again, or copy it again if it plays on the phone");
    const char *c = t->is_mp4 ? "MP4" : cw_audio_container_name(d->fd);
    if (!c)
        return CW_EUNSUPPORTED; /* not a format FFmpeg knows: the registry words the refusal */
    /* a header FFmpeg cannot read: often a file cut before its end (Ogg and the like read
     * their end at open) */
    static const char *const demuxer[][2] = {{"WebM/MKV", "matroska"}, {"WMA", "asf"},
                                             {"CAF", "caf"}, {"AMR", "amr"}, {"Wave64", "w64"}};
    int cut = !strcmp(c, "Ogg") ? !cw_audio_ogg_has_end(d->fd, d->size) : t->cut;
    for (size_t i = 0; i < sizeof demuxer / sizeof demuxer[0]; i++)
        if (!strcmp(c, demuxer[i][0]))
            cut |= cw_audio_container_cut(d->fd, d->size, demuxer[i][1]);
    if (cut)
        return cw_fail(err, CW_EINVAL, d->name, 0, "the %s file is cut short: its end is "
                       "missing (copy it again from the recorder or phone)", c);
    return cw_fail(err, CW_EINVAL, d->name, 0, "the %s file is damaged: its beginning "
                   "cannot be read (copy it again from the recorder or phone)", c);
}

/* The container's own statement of the stream's length, in output frames; -1 when it
 * leaves the length open. */
static int64_t stated_frames(ffdec *d)
{
    if (d->walk) { /* the edit list's length, else the track's less its priming */
        const cw_audio_mp4_info *i = cw_audio_mp4_track_info(d->walk);
        int64_t units = i->play >= 0 ? i->play : i->duration - i->skip;
        return units > 0 ? av.av_rescale(units, d->rate, i->timescale) : -1;
    }
    if (d->st->duration > 0 && d->st->duration != AV_NOPTS_VALUE)
        return av.av_rescale_q(d->st->duration, d->st->time_base, (AVRational){1, d->rate});
    if (d->fmt->duration > 0 && d->fmt->duration != AV_NOPTS_VALUE &&
        d->fmt->duration_estimation_method != AVFMT_DURATION_FROM_BITRATE &&
        d->fmt->nb_streams == 1 && strcmp(d->fmt->iformat->name, "mp3") != 0 &&
        strcmp(d->fmt->iformat->name, "aac") != 0)
        return av.av_rescale(d->fmt->duration, d->rate, AV_TIME_BASE);
    return -1;
}

/* libavformat's path: the default (else first) audio stream; the others dropped unread. */
static int setup_stream(ffdec *d, AVCodecParameters **par, cw_error *err)
{
    int has_video = 0;
    d->st = pick_stream(d->fmt, &has_video);
    if (!d->st && (d->fmt->ctx_flags & AVFMTCTX_NOHEADER)) {
        /* streams appear only while reading (MPEG-TS and the like): look, decoding no
         * video (only audio decoders may be opened) */
        const char *wl = cw_audio_av_audio_decoders();
        if (wl && !(d->fmt->codec_whitelist = av.av_strdup(wl)))
            return cw_fail(err, CW_ENOMEM, d->name, 0, "out of memory");
        if (d->fmt->codec_whitelist && av.avformat_find_stream_info(d->fmt, NULL) >= 0)
            d->st = pick_stream(d->fmt, &has_video);
    }
    if (!d->st) {
        if (has_video)
            return cw_fail(err, CW_EINVAL, d->name, 0, "this video has no sound (film it again "
                           "with the microphone on, or send the sound as its own recording)");
        return cw_fail(err, CW_EINVAL, d->name, 0, "this file holds no sound (send the "
                       "recording itself)");
    }
    for (unsigned i = 0; i < d->fmt->nb_streams; i++)
        if (d->fmt->streams[i] != d->st)
            d->fmt->streams[i]->discard = AVDISCARD_ALL;
    d->codec_id = d->st->codecpar->codec_id;
    d->tb = d->st->time_base;
    describe(d, has_video || d->hidden_video > 0);
    *par = d->st->codecpar;
    return 0;
}

/* The MP4 walker's path: the codec and its configuration from the sample description. */
static void setup_walk(ffdec *d)
{
    const cw_audio_mp4_info *i = cw_audio_mp4_track_info(d->walk);
    const char *f = i->fourcc;
    d->codec_id = !memcmp(f, "alac", 4) ? AV_CODEC_ID_ALAC
                  : !memcmp(f, "samr", 4) ? AV_CODEC_ID_AMR_NB
                  : !memcmp(f, "sawb", 4) ? AV_CODEC_ID_AMR_WB
                  : !memcmp(f, ".mp3", 4) || i->object_type == 0x69 || i->object_type == 0x6B
                      ? AV_CODEC_ID_MP3 : AV_CODEC_ID_AAC;
    d->tb = (AVRational){1, (int)i->timescale};
    describe(d, d->hidden_video > 0);
}

/* The decoder, and the first sound: it decides the rate and channels (HE-AAC doubles the
 * stated rate). */
static int open_decoder(ffdec *d, const AVCodecParameters *par, cw_error *err)
{
    const AVCodec *codec = av.avcodec_find_decoder(d->codec_id);
    if (!codec)
        return cw_fail(err, CW_EUNSUPPORTED, d->name, 0, "this is %s, whose sound chalkwave "
                       "cannot decode (send %s)", d->format, cw_audio_formats());
    if (!(d->dec = av.avcodec_alloc_context3(codec)) ||
        (par && av.avcodec_parameters_to_context(d->dec, par) < 0))
        return cw_fail(err, CW_ENOMEM, d->name, 0, "out of memory");
    if (d->walk) {
        const cw_audio_mp4_info *i = cw_audio_mp4_track_info(d->walk);
        if (i->extra_len) {
            d->dec->extradata = av.av_malloc(i->extra_len + AV_INPUT_BUFFER_PADDING_SIZE);
            if (!d->dec->extradata)
                return cw_fail(err, CW_ENOMEM, d->name, 0, "out of memory");
            memset(d->dec->extradata, 0, i->extra_len + AV_INPUT_BUFFER_PADDING_SIZE);
            memcpy(d->dec->extradata, i->extra, i->extra_len);
            d->dec->extradata_size = (int)i->extra_len;
        }
        d->dec->sample_rate = i->rate;
    }
    d->dec->thread_count = 1;
    d->dec->err_recognition |= AV_EF_CRCCHECK;
    d->dec->pkt_timebase = d->tb;
    if (av.avcodec_open2(d->dec, codec, NULL) < 0)
        return cw_fail(err, CW_EINVAL, d->name, 0, "the %s sound cannot be decoded: its "
                       "settings are damaged (copy it again from the recorder or phone)",
                       d->format);
    if (!(d->pkt = av.av_packet_alloc()) || !(d->frame = av.av_frame_alloc()))
        return cw_fail(err, CW_ENOMEM, d->name, 0, "out of memory");
    while (d->rate == 0 && !d->dec_eof) {
        int rc = decode_more(d, err);
        if (rc)
            return rc;
        if (d->bad > PRIME_MAX)
            break;
    }
    if (d->rate == 0) {
        if (d->bad || d->demux_failed)
            return cw_fail(err, CW_EINVAL, d->name, 0, "the %s file is damaged: its sound "
                           "cannot be decoded (copy it again from the recorder or phone)",
                           d->format);
        return cw_fail(err, CW_EINVAL, d->name, 0, "the %s file holds no sound (it is empty; "
                       "record it again)", d->format);
    }
    return 0;
}

static int open_ff(ffdec *d, cw_audio_src_info *info, cw_error *err)
{
    cw_audio_mp4_top t;
    cw_audio_mp4_scan(d->fd, d->size, &t);
    if (t.is_mp4 && t.has_moov) {
        /* the sound track read here (memory independent of its length), or by libavformat;
         * either way every track libavformat need not read is shown to it as a 'free' box:
         * never indexed (with the walker, all of them: it reads only the tags) */
        if (cw_audio_mp4_track_open(&d->walk, d->fd, d->size, &t) != 0)
            d->walk = NULL;
        d->nhidden = cw_audio_mp4_other_tracks(d->fd, &t, d->hidden, MAX_HIDDEN,
                                               &d->hidden_video, d->walk != NULL);
    }
    unsigned char *iob = av.av_malloc(IO_BUF);
    if (!iob || !(d->avio = av.avio_alloc_context(iob, IO_BUF, 0, d, io_read, NULL, io_seek))) {
        av.av_free(iob);
        return cw_fail(err, CW_ENOMEM, d->name, 0, "out of memory");
    }
    if (!(d->fmt = av.avformat_alloc_context()))
        return cw_fail(err, CW_ENOMEM, d->name, 0, "out of memory");
    d->fmt->pb = d->avio;
    d->fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
    int r = av.avformat_open_input(&d->fmt, "", NULL, NULL);
    if (r < 0) {
        d->fmt = NULL; /* freed by avformat_open_input */
        return refuse_unreadable(d, &t, r, err);
    }
    AVCodecParameters *par = NULL;
    int rc = 0;
    if (d->walk)
        setup_walk(d);
    else
        rc = setup_stream(d, &par, err);
    if (rc || (rc = open_decoder(d, par, err)) != 0)
        return rc;
    d->is_ogg = !strcmp(d->fmt->iformat->name, "ogg");
    d->claimed = stated_frames(d);
    /* MP4's stated length is exact (its edit list): what a player plays; AAC's padding
     * after it is not part of the recording */
    d->last = strstr(d->fmt->iformat->name, "mp4") && d->claimed > 0 ? d->claimed : -1;
    info->rate = d->rate;
    info->channels = d->channels;
    info->frames = d->claimed;
    info->frames_exact = d->claimed >= 0;
    snprintf(info->format, sizeof info->format, "%s", d->format);
    return 0;
}

static int dec_open(void **state, int fd, const char *name, cw_audio_src_info *info,
                    cw_error *err)
{
    *state = NULL;
    if (!cw_audio_av_load()) {
        const char *c = cw_audio_container_name(fd);
        close(fd);
        return cw_fail(err, CW_EUNSUPPORTED, name, 0, "this is %s; reading it needs FFmpeg's "
                       "libraries (%s, %s), which are not installed (install them, or send "
                       "WAV, FLAC or MP3)", c ? c : "a recording in a format only FFmpeg reads",
                       CW_LIBAVFORMAT_SONAME, CW_LIBAVCODEC_SONAME);
    }
    ffdec *d = calloc(1, sizeof *d);
    if (!d) {
        close(fd);
        return cw_fail(err, CW_ENOMEM, name, 0, "out of memory");
    }
    d->fd = fd;
    d->name = name;
    d->claimed = -1;
    d->last = -1;
    off_t end = lseek(fd, 0, SEEK_END);
    d->size = end > 0 ? (int64_t)end : 0;
    cw_audio_av_errors = &d->log_errors;
    int rc = open_ff(d, info, err);
    cw_audio_av_errors = NULL;
    if (rc)
        dec_close(d);
    else
        *state = d;
    return rc;
}

static int dec_read(void *state, float *buf, size_t frames, size_t *got, cw_error *err)
{
    ffdec *d = state;
    const size_t ch = (size_t)d->channels, want = frames * ch;
    size_t have = 0;
    int rc = 0;
    cw_audio_av_errors = &d->log_errors;
    while (have < want) {
        if (d->rpos < d->len) {
            size_t m = d->len - d->rpos;
            if (m > want - have)
                m = want - have;
            memcpy(buf + have, d->buf + d->rpos, m * sizeof(float));
            d->rpos += m;
            have += m;
            continue;
        }
        d->len = d->rpos = 0;
        if (d->dec_eof)
            break;
        if ((rc = decode_more(d, err)) != 0)
            break;
    }
    cw_audio_av_errors = NULL;
    *got = have / ch;
    if (d->last >= 0 && d->given + (int64_t)*got > d->last)
        *got = d->given < d->last ? (size_t)(d->last - d->given) : 0;
    d->given += (int64_t)*got;
    return rc;
}

static int dec_check_end(void *state, int64_t decoded, cw_diags *notes, cw_error *err)
{
    ffdec *d = state;
    char a[32], b[32];
    /* a stated length counts only beyond rounding and encoder priming: 0.1 s */
    if (d->claimed > 0 && decoded + d->rate / 10 < d->claimed) {
        cw_audio_fmt_duration((double)decoded / d->rate, a);
        cw_audio_fmt_duration((double)d->claimed / d->rate, b);
        return cw_fail(err, CW_EINVAL, d->name, 0, "the %s file is cut short or damaged: it "
                       "stops at %s of %s (copy it again from the recorder or phone)",
                       d->format, a, b);
    }
    if (d->demux_failed || cw_audio_container_cut(d->fd, d->size, d->fmt->iformat->name))
        return cw_fail(err, CW_EINVAL, d->name, 0, "the %s file is cut short or damaged: its "
                       "end is missing (copy it again from the recorder or phone)", d->format);
    if (d->is_ogg && !cw_audio_ogg_has_end(d->fd, d->size))
        return cw_fail(err, CW_EINVAL, d->name, 0, "the %s file is incomplete (its end is "
                       "missing; copy it again from the recorder or phone)", d->format);
    /* a few undecodable parts are tolerated (replaced by silence of their length) */
    int64_t limit = (int64_t)((double)d->packets * BAD_TOLERANCE);
    limit = limit < 1 ? 1 : limit > BAD_MAX ? BAD_MAX : limit;
    if (d->bad > limit) {
        cw_audio_fmt_duration((double)d->bad_first_frame / d->rate, a);
        return cw_fail(err, CW_EINVAL, d->name, 0, "the %s file is damaged: %lld of its %lld "
                       "parts cannot be decoded (the first at %s); copy it again from the "
                       "recorder or phone", d->format, (long long)d->bad, (long long)d->packets, a);
    }
    if (d->bad > 0 && notes) {
        cw_audio_fmt_duration((double)d->bad_first_frame / d->rate, a);
        cw_diags_addf(notes, CW_DIAG_WARNING, "ingest.decode-errors", d->name, 0, NULL,
                      "%lld damaged part%s of the recording (the first at %s, %.2f s in all) "
                      "%s replaced by silence; listen to it", (long long)d->bad,
                      d->bad == 1 ? "" : "s", a, (double)d->silence / d->rate,
                      d->bad == 1 ? "was" : "were");
    }
    return 0;
}

static const char *tag(const ffdec *d, const char *key)
{
    const AVDictionaryEntry *e = av.av_dict_get(d->fmt->metadata, key, NULL, AV_DICT_IGNORE_SUFFIX);
    if ((!e || !e->value[0]) && d->st)
        e = av.av_dict_get(d->st->metadata, key, NULL, AV_DICT_IGNORE_SUFFIX);
    return e && e->value[0] ? e->value : NULL;
}

static const char *tag_exact(const ffdec *d, const char *key)
{
    const AVDictionaryEntry *e = av.av_dict_get(d->fmt->metadata, key, NULL, 0);
    if ((!e || !e->value[0]) && d->st)
        e = av.av_dict_get(d->st->metadata, key, NULL, 0);
    return e && e->value[0] ? e->value : NULL;
}

static void dec_tags(void *state, cw_audio_tags *out)
{
    ffdec *d = state;
    cw_audio_tag_copy(out->title, sizeof out->title, tag_exact(d, "title"));
    cw_audio_tag_copy(out->artist, sizeof out->artist, tag_exact(d, "artist"));
    /* the date as the phone wrote it (local), else the creation time (UTC) */
    const char *date = tag_exact(d, "date");
    if (!date)
        date = tag(d, "com.apple.quicktime.creationdate");
    cw_audio_tag_date(out->date, date);
    if (!out->date[0])
        cw_audio_tag_date(out->date, tag_exact(d, "creation_time"));
}

const cw_audio_decoder cw_audio_dec_ffmpeg = {
    .name = "ffmpeg",
    .formats = "M4A, MP4, MOV, 3GP, AMR, AAC, WebM, Ogg, Opus, WMA, CAF, videos with sound",
    .sniff = sniff,
    .open = dec_open,
    .read = dec_read,
    .check_end = dec_check_end,
    .tags = dec_tags,
    .close = dec_close,
};
