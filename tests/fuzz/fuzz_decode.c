/* fuzz_decode.c — libFuzzer target for everything a teacher's file meets before the chain
 * (issue #12): the decoder registry's checks and sniffing (src.c), the three decoders
 * (libsndfile, libmpg123, FFmpeg: dec_*.c), what chalkwave reads of containers itself
 * (containers.c: MP4 boxes and tracks, Ogg ends, ASF/Matroska/CAF sizes, ADTS/AMR frames),
 * then ingest's measuring pass (analyse.c, the stage chain) on the same bytes.
 * Any input gives a source or one error with text, never a crash, leak or hang; an opened
 * source has a rate and channel count in chalkwave's bounds and tags that are UTF-8
 * without control characters. */
#include "audio_int.h"
#include "fuzz_util.h"

#include <string.h>

static void check_tag(const char *s)
{
    if (!cw_utf8_valid(s, strlen(s)))
        abort();
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_memfile(data, size, path);
    if (fd < 0)
        return 0;
    cw_audio_src *s = NULL;
    cw_error err;
    memset(&err, 0, sizeof err);
    int rc = cw_audio_src_open_fd(&s, fd, "fuzz.bin", &err);
    if (rc == 0) {
        int rate = cw_audio_src_rate(s), ch = cw_audio_src_channels(s);
        if (rate < 8000 || rate > 192000 || ch < 1 || ch > 8 || !cw_audio_src_format(s)[0])
            abort();
        static float buf[4096 * 8];
        size_t got = 0;
        int64_t total = 0;
        while ((rc = cw_audio_src_read(s, buf, 4096, &got, &err)) == 0 && got > 0)
            total += (int64_t)got;
        cw_diags notes = {0};
        if (rc == 0)
            rc = cw_audio_src_check_end(s, &notes, &err);
        cw_diags_free(&notes);
        cw_audio_tags t;
        cw_audio_src_tags(s, &t);
        check_tag(t.title);
        check_tag(t.artist);
        if (t.date[0] && strlen(t.date) != 10)
            abort();
        (void)total;
        cw_audio_src_close(s);
    }
    if (rc != 0 && !err.text[0])
        abort();
    /* the measuring pass: the same bytes through the stage chain */
    cw_audio_analysis a;
    memset(&err, 0, sizeof err);
    rc = cw_audio_analyse(path, 1, -50.0, &a, &err);
    if (rc == 0) {
        if (a.frames < 0 || a.rate < 8000)
            abort();
        cw_audio_analysis_clear(&a);
    } else if (!err.text[0]) {
        abort();
    }
    close(fd);
    return 0;
}
