/* amr_encode.c — makes AMR test recordings (phones' voice-note format), which Debian's
 * ffmpeg cannot encode: reads a 16-bit mono WAV (8 kHz for AMR-NB, 16 kHz for AMR-WB) and
 * writes the raw .amr / .awb storage format (RFC 4867 section 5: "#!AMR\n" or
 * "#!AMR-WB\n", then one frame after another) with opencore-amrnb's and vo-amrwbenc's
 * encoders. Usage: amr_encode nb|wb IN.wav OUT.amr  (exit 0, 1 on any error). Test tool;
 * not part of chalkwave. */
#include <opencore-amrnb/interf_enc.h>
#include <vo-amrwbenc/enc_if.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The 'data' chunk of a canonical 16-bit mono WAV: *n samples, at *rate. */
static int16_t *read_wav(const char *path, size_t *n, unsigned *rate)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned char h[12], c[8];
    int16_t *s = NULL;
    unsigned ch = 0, bits = 0;
    if (fread(h, 1, 12, f) != 12 || memcmp(h, "RIFF", 4) || memcmp(h + 8, "WAVE", 4))
        goto done;
    while (fread(c, 1, 8, f) == 8) {
        uint32_t len = c[4] | c[5] << 8 | c[6] << 16 | (uint32_t)c[7] << 24;
        if (!memcmp(c, "fmt ", 4)) {
            unsigned char fm[16];
            if (len < 16 || fread(fm, 1, 16, f) != 16)
                goto done;
            ch = fm[2] | fm[3] << 8;
            *rate = fm[4] | fm[5] << 8 | fm[6] << 16 | (unsigned)fm[7] << 24;
            bits = fm[14] | fm[15] << 8;
            fseek(f, (long)(len - 16 + (len & 1)), SEEK_CUR);
        } else if (!memcmp(c, "data", 4)) {
            if (ch != 1 || bits != 16)
                goto done;
            *n = len / 2;
            s = malloc(len + 2);
            if (s && fread(s, 1, len, f) != len) {
                free(s);
                s = NULL;
            }
            goto done;
        } else {
            fseek(f, (long)(len + (len & 1)), SEEK_CUR);
        }
    }
done:
    fclose(f);
    return s;
}

int main(int argc, char **argv)
{
    if (argc != 4 || (strcmp(argv[1], "nb") && strcmp(argv[1], "wb"))) {
        fprintf(stderr, "usage: amr_encode nb|wb IN.wav OUT.amr\n");
        return 1;
    }
    int wb = !strcmp(argv[1], "wb");
    size_t n = 0;
    unsigned rate = 0;
    int16_t *pcm = read_wav(argv[2], &n, &rate);
    if (!pcm || rate != (wb ? 16000u : 8000u)) {
        fprintf(stderr, "amr_encode: %s: need a 16-bit mono WAV at %u Hz\n", argv[2],
                wb ? 16000u : 8000u);
        return 1;
    }
    FILE *out = fopen(argv[3], "wb");
    if (!out)
        return 1;
    fputs(wb ? "#!AMR-WB\n" : "#!AMR\n", out);
    const size_t fr = wb ? 320 : 160;
    void *st = wb ? E_IF_init() : Encoder_Interface_init(0);
    int16_t frame[320];
    unsigned char buf[128];
    for (size_t i = 0; i < n; i += fr) {
        size_t m = n - i < fr ? n - i : fr;
        memset(frame, 0, sizeof frame);
        memcpy(frame, pcm + i, m * sizeof(int16_t));
        int len = wb ? E_IF_encode(st, 8 /* 23.85 kbit/s */, frame, buf, 0)
                     : Encoder_Interface_Encode(st, MR122, frame, buf, 0);
        if (len <= 0 || fwrite(buf, 1, (size_t)len, out) != (size_t)len) {
            fprintf(stderr, "amr_encode: encoding failed\n");
            return 1;
        }
    }
    if (wb)
        E_IF_exit(st);
    else
        Encoder_Interface_exit(st);
    free(pcm);
    return fclose(out) == 0 ? 0 : 1;
}
