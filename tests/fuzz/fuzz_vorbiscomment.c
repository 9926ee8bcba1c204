/* fuzz_vorbiscomment.c — libFuzzer target for Vorbis comment parsing: the input is the body
 * of a comment header packet (after "\x03vorbis"), wrapped between a real identification
 * header and a real setup header and a few real audio packets, and read back as a library
 * recording (cw_recording_read). Whatever a tagging tool wrote, chalkwave reads metadata
 * or refuses the file with one error; it never crashes, leaks or hangs. */
#include "audio.h"
#include "fuzz_util.h"

#include <ogg/ogg.h>
#include <string.h>
#include <vorbis/codec.h>
#include <vorbis/vorbisenc.h>

typedef struct pkt {
    unsigned char *data;
    long bytes;
    int64_t granule;
} pkt;

static pkt ident, setup;
static pkt audio[64];
static int naudio;

static void keep(pkt *dst, const ogg_packet *op)
{
    dst->data = malloc((size_t)op->bytes);
    if (!dst->data) abort();
    memcpy(dst->data, op->packet, (size_t)op->bytes);
    dst->bytes = op->bytes;
    dst->granule = op->granulepos;
}

/* Encode 0.1 s of a quiet tone once; keep the headers and audio packets. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    vorbis_info vi;
    vorbis_comment vc;
    vorbis_dsp_state vd;
    vorbis_block vb;
    vorbis_info_init(&vi);
    if (vorbis_encode_init_vbr(&vi, 1, 8000, 0.1f) != 0) abort();
    vorbis_comment_init(&vc);
    vorbis_analysis_init(&vd, &vi);
    vorbis_block_init(&vd, &vb);
    ogg_packet h0, h1, h2;
    vorbis_analysis_headerout(&vd, &vc, &h0, &h1, &h2);
    keep(&ident, &h0);
    keep(&setup, &h2);
    for (int round = 0; round < 2; round++) {
        if (round == 0) {
            float **buf = vorbis_analysis_buffer(&vd, 800);
            for (int i = 0; i < 800; i++) buf[0][i] = (float)((i % 40) - 20) / 400.0f;
            vorbis_analysis_wrote(&vd, 800);
        } else {
            vorbis_analysis_wrote(&vd, 0);
        }
        while (vorbis_analysis_blockout(&vd, &vb) == 1) {
            vorbis_analysis(&vb, NULL);
            vorbis_bitrate_addblock(&vb);
            ogg_packet op;
            while (vorbis_bitrate_flushpacket(&vd, &op) == 1 && naudio < 64) keep(&audio[naudio++], &op);
        }
    }
    vorbis_block_clear(&vb);
    vorbis_dsp_clear(&vd);
    vorbis_comment_clear(&vc);
    vorbis_info_clear(&vi);
    return 0;
}

static void put(FILE *fp, ogg_stream_state *os, unsigned char *data, long bytes, int b_o_s, int e_o_s,
                int64_t granule, long packetno)
{
    ogg_packet op = {.packet = data, .bytes = bytes, .b_o_s = b_o_s, .e_o_s = e_o_s,
                     .granulepos = granule, .packetno = packetno};
    ogg_stream_packetin(os, &op);
}

static void flush(FILE *fp, ogg_stream_state *os)
{
    ogg_page og;
    while (ogg_stream_flush(os, &og)) {
        fwrite(og.header, 1, (size_t)og.header_len, fp);
        fwrite(og.body, 1, (size_t)og.body_len, fp);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 200000) return 0;
    int fd = memfd_create("cw-fuzz-vc", MFD_CLOEXEC);
    if (fd < 0) return 0;
    FILE *fp = fdopen(fd, "w+b");
    if (!fp) {
        close(fd);
        return 0;
    }
    unsigned char *comment = malloc(size + 7);
    if (!comment) abort();
    memcpy(comment, "\x03vorbis", 7);
    memcpy(comment + 7, data, size);

    ogg_stream_state os;
    ogg_stream_init(&os, 0x1234);
    put(fp, &os, ident.data, ident.bytes, 1, 0, 0, 0);
    flush(fp, &os);
    put(fp, &os, comment, (long)size + 7, 0, 0, 0, 1);
    put(fp, &os, setup.data, setup.bytes, 0, 0, 0, 2);
    flush(fp, &os);
    for (int i = 0; i < naudio; i++)
        put(fp, &os, audio[i].data, audio[i].bytes, 0, i == naudio - 1, audio[i].granule, 3 + i);
    flush(fp, &os);
    ogg_stream_clear(&os);
    free(comment);
    fflush(fp);

    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    cw_recording rec;
    cw_error err;
    memset(&err, 0, sizeof err);
    int rc = cw_recording_read(&rec, path, &err);
    if (rc == CW_OK) {
        /* every string field is present (possibly empty) and the audio facts are the
         * encoder's, whatever the comments claim */
        if (!rec.title || !rec.teacher || !rec.series || !rec.language || !rec.description || !rec.date ||
            !rec.valid_from || !rec.valid_until || !rec.source_sha256 || rec.rate != 8000 || rec.channels != 1 ||
            rec.episode < 0)
            abort();
        cw_recording_clear(&rec);
    } else if (!err.text[0]) {
        abort();
    }
    int links = 0;
    int64_t samples = 0;
    memset(&err, 0, sizeof err);
    rc = cw_ogg_check(path, &links, &samples, &err);
    if (rc == CW_OK && links != 1) abort();
    fclose(fp);
    return 0;
}
