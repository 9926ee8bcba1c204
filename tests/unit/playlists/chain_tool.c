/* chain_tool.c — a test tool (not installed): writes Ogg Vorbis chains with the chain writer
 * from a description on the command line, so the integration tests can hand links of any
 * shape (a few samples of silence, a cut, a join inside a recording) to real peers
 * (ogginfo, libvorbisfile, ffmpeg, Liquidsoap).
 *   chain_tool tone OUT RATE CHANNELS FREQ FRAMES      a sine through the ingest encoder
 *   chain_tool chain OUT RATE CHANNELS SEED LINK...    LINK: silence:N
 *                                                       or file:PATH:FROM:N[:FADE_IN:FADE_OUT]
 * `chain` prints one line per link the sink sees: "link INDEX SERIAL OFFSET SAMPLES PART
 * REENCODED". Exit 0, or 1 with the error on stderr. */
#include "pl_test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int on_link(void *user, const cw_ogg_link *l, cw_error *err)
{
    (void)user;
    (void)err;
    printf("link %zu %08x %lld %lld %d %d\n", l->index, (unsigned)l->serial, (long long)l->stream_offset,
           (long long)l->samples, l->part, l->reencoded);
    return 0;
}

static int chain(int argc, char **argv)
{
    FILE *fp = fopen(argv[2], "wb");
    if (!fp) {
        perror(argv[2]);
        return 1;
    }
    cw_ogg_sink sink;
    cw_ogg_sink_stdio(&sink, fp);
    sink.link_begin = on_link;
    cw_chain_format fmt = {atoi(argv[3]), atoi(argv[4]), 2};
    cw_chain *c = NULL;
    cw_error err = {0};
    int rc = cw_chain_open(&c, &sink, &fmt, (uint32_t)strtoul(argv[5], NULL, 10), &err);
    for (int i = 6; !rc && i < argc; i++) {
        char buf[1024];
        snprintf(buf, sizeof buf, "%s", argv[i]);
        char title[32];
        snprintf(title, sizeof title, "link %d", i - 5);
        cw_link_meta m = {.title = title};
        cw_link_spec sp = {.meta = &m};
        if (!strncmp(buf, "silence:", 8)) {
            sp.samples = atoll(buf + 8);
        } else if (!strncmp(buf, "file:", 5)) {
            char *save = NULL;
            sp.path = strtok_r(buf + 5, ":", &save);
            char *f = strtok_r(NULL, ":", &save), *n = strtok_r(NULL, ":", &save);
            char *fi = strtok_r(NULL, ":", &save), *fo = strtok_r(NULL, ":", &save);
            if (!sp.path || !f || !n) {
                fprintf(stderr, "chain_tool: bad link '%s'\n", argv[i]);
                return 1;
            }
            sp.from = atoll(f);
            sp.samples = atoll(n);
            sp.fade_in = fi ? atof(fi) : 0;
            sp.fade_out = fo ? atof(fo) : 0;
        } else {
            fprintf(stderr, "chain_tool: bad link '%s'\n", argv[i]);
            return 1;
        }
        rc = cw_chain_add(c, &sp, NULL, &err);
    }
    int rc2 = cw_chain_close(c, &err);
    if (fclose(fp) != 0 && !rc)
        rc = CW_EIO;
    if (rc || rc2) {
        fprintf(stderr, "chain_tool: %s\n", err.text);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 7 && !strcmp(argv[1], "tone"))
        return pl_tone_file(argv[2], atoi(argv[3]), atoi(argv[4]), atof(argv[5]), atoll(argv[6]), 2, "tone") ? 1 : 0;
    if (argc >= 6 && !strcmp(argv[1], "chain"))
        return chain(argc, argv);
    fprintf(stderr, "usage: chain_tool tone OUT RATE CHANNELS FREQ FRAMES\n"
                    "       chain_tool chain OUT RATE CHANNELS SEED LINK...\n");
    return 2;
}
