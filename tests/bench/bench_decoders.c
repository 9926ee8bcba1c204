/* bench_decoders.c — decode a file with one of chalkwave's decoders (or the one the
 * registry picks) and print what came out: decoder, format, rate, channels, frames, the
 * container's stated length, CPU seconds and a checksum of the samples (as 16-bit), so
 * decoders can be compared for exactness and speed on the same file
 * (tests/bench/bench_decoders.sh). Usage: bench_decoders FILE [sndfile|mpg123|ffmpeg] */
#include "audio_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_decoders FILE [DECODER]\n");
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
    cw_audio_src *s = NULL;
    cw_error err = {0};
    int rc = argc > 2 ? cw_audio_src_open_with(&s, argv[1], argv[2], &err)
                      : cw_audio_src_open(&s, argv[1], &err);
    if (rc) {
        printf("error %s\n", err.text);
        return 1;
    }
    int ch = cw_audio_src_channels(s);
    float *buf = malloc(sizeof(float) * 4096 * (size_t)ch);
    int64_t frames = 0;
    uint64_t sum = 1469598103934665603ull;
    size_t got;
    while ((rc = cw_audio_src_read(s, buf, 4096, &got, &err)) == 0 && got > 0) {
        for (size_t i = 0; i < got * (size_t)ch; i++) {
            float v = buf[i] * 32768.0f;
            int q = v >= 32767.0f ? 32767 : v <= -32768.0f ? -32768 : (int)(v + (v >= 0 ? 0.5f : -0.5f));
            sum = (sum ^ (uint16_t)q) * 1099511628211ull;
        }
        frames += (int64_t)got;
    }
    cw_diags notes = {0};
    if (rc == 0)
        rc = cw_audio_src_check_end(s, &notes, &err);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
    double cpu = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    cw_audio_tags tg;
    cw_audio_src_tags(s, &tg);
    printf("%s\t%s\trate=%d\tch=%d\tframes=%lld\tstated=%lld\tcpu=%.3f\tsum=%016llx\t%s%s\n",
           cw_audio_src_decoder(s), cw_audio_src_format(s), cw_audio_src_rate(s), ch,
           (long long)frames, (long long)cw_audio_src_frames(s), cpu, (unsigned long long)sum,
           rc ? "error " : "ok", rc ? err.text : "");
    for (size_t i = 0; i < notes.n; i++)
        printf("note %s: %s\n", notes.v[i].code, notes.v[i].text);
    if (tg.title[0] || tg.artist[0] || tg.date[0])
        printf("tags title=%s artist=%s date=%s\n", tg.title, tg.artist, tg.date);
    cw_diags_free(&notes);
    free(buf);
    cw_audio_src_close(s);
    return rc ? 1 : 0;
}
