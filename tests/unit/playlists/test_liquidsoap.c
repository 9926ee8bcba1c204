/* test_liquidsoap.c — a bundle's liquidsoap.liq in real Liquidsoap (Debian's 2.1): a station
 * script includes it over its own source (a 220 Hz sine), two blocks whose instants are a
 * few seconds ahead play each at its instant (Liquidsoap takes each within 0.25 s of it by
 * the wall clock — its frames are 40 ms, a loaded machine delays it — and they are 3 s apart
 * in the output to 60 ms) and the station's source plays between and after them; titles with quotes,
 * backslashes and "#{...}" (Liquidsoap's string interpolation) stay text. Runs for about
 * 30 s of wall time. Exit 77 (skipped) when liquidsoap is not installed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "../peers.h"
#include "pl_test_util.h"
#include "playlists_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define RATE 22050

static char *dir;

static double now(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

/* The first 50 ms window from `from` whose zero crossings say `freq` (within 15%). */
static double onset(const short *a, size_t n, size_t from, double freq)
{
    const size_t w = RATE / 20;
    for (size_t k = from; k + w < n; k += RATE / 200) {
        int zc = 0;
        for (size_t i = k + 1; i < k + w; i++)
            zc += (a[i - 1] < 0) != (a[i] < 0);
        double f = zc * (double)RATE / (2.0 * (double)w);
        if (fabs(f - freq) < 0.15 * freq)
            return (double)k / RATE;
    }
    return -1;
}

static void test_blocks_at_their_instants(void **state)
{
    (void)state;
    cw_error err;
    char *lib = cw_path_join(dir, "library/lesson/t");
    assert_int_equal(cw_mkdir_p(lib, &err), 0);
    free(lib);
    char *a = cw_path_join(dir, "library/lesson/t/a.ogg"), *b = cw_path_join(dir, "library/lesson/t/b.ogg");
    assert_int_equal(pl_tone_file(a, RATE, 1, 880, RATE, 2, "a"), 0);
    assert_int_equal(pl_tone_file(b, RATE, 1, 1320, RATE, 2, "b"), 0);
    cw_station st = {0};
    st.dir = dir;
    st.name = (char *)"Radio \"#{shutdown()}\" \\ Test";
    st.timezone = (char *)"UTC";
    st.rate = RATE;
    st.channels = 1;
    st.quality = 2;
    st.fade = 0.5;

    /* block 1 at t0 (1 s of 880 Hz), block 2 three seconds later (1 s of 1320 Hz) */
    double t = now();
    int64_t t0 = (int64_t)t + 20; /* Liquidsoap takes ~5 s to start, more on a busy machine */
    cw_plan *p = calloc(1, sizeof *p);
    p->date = (cw_date){2027, 1, 13};
    p->timezone = cw_strdup("UTC");
    p->rate = RATE;
    p->channels = 1;
    p->mode = CW_BUNDLE_BLOCKS;
    p->window_start_utc = t0;
    p->window_end_utc = t0 + 4;
    p->n_items = 2;
    p->items = calloc(2, sizeof *p->items);
    const char *titles[2] = {"Maths \"#{shutdown()}\" \\", "Science #{1+1}"};
    for (int i = 0; i < 2; i++) {
        cw_plan_item *x = &p->items[i];
        x->offset_samples = i * 3 * RATE;
        x->length_samples = RATE;
        x->start_utc_ms = (t0 + i * 3) * 1000;
        x->kind = CW_KIND_LESSON;
        x->title = cw_strdup(titles[i]);
        x->teacher = cw_strdup("");
        x->language = cw_strdup("en");
        x->series = cw_strdup("t");
        x->recording = cw_strdup(i ? "library/lesson/t/b.ogg" : "library/lesson/t/a.ogg");
        x->recording_samples = RATE;
    }
    assert_int_equal(cw_plan_compute_blocks(p), 0);
    char *out = cw_path_join(dir, "out/2027-01-13");
    if (cw_bundle_build(&st, p, out, NULL, &err) != 0)
        fail_msg("build: %s", err.text);

    /* the station's script */
    char *main_liq = cw_path_join(dir, "station.liq"), *wav = cw_path_join(dir, "out.wav");
    char *log = cw_path_join(dir, "liq.log");
    FILE *fp = fopen(main_liq, "w");
    assert_non_null(fp);
    fprintf(fp,
            "settings.init.allow_root.set(true)\n"
            "settings.log.stdout.set(true)\n"
            "settings.log.file.set(false)\n"
            "settings.frame.audio.samplerate.set(%d)\n"
            "settings.frame.audio.channels.set(1)\n"
            "%%include \"%s/liquidsoap.liq\"\n"
            "radio = chalkwave_2027_01_13(sine(220.))\n"
            "radio.on_track(fun (m) -> print(\"TRACK #{time()} #{m['title']}\"))\n"
            "output.file(%%wav(mono, samplerate=%d), fallible=false,\n"
            "  on_start=fun () -> print(\"START #{time()}\"), \"%s\", radio)\n"
            "thread.run(delay=%.3f, shutdown)\n",
            RATE, out, RATE, wav, (double)(t0 + 6) - t);
    fclose(fp);
    char *cmd = cw_asprintf("timeout 60 liquidsoap '%s' >'%s' 2>&1", main_liq, log);
    int rc = system(cmd);
    free(cmd);
    char *logtext = NULL;
    size_t loglen = 0;
    assert_int_equal(cw_read_file(log, 1 << 24, &logtext, &loglen, &err), 0);
    if (rc != 0)
        fail_msg("liquidsoap exited %d:\n%s", rc, logtext);
    /* the titles stayed text: logged as written, no interpolation ran */
    if (!strstr(logtext, "Maths \"#{shutdown()}\" \\ starts") || !strstr(logtext, "Science #{1+1} starts"))
        fail_msg("a block did not start (or its title changed):\n%s", logtext);
    char *start = strstr(logtext, "START ");
    assert_non_null(start);
    double started = atof(start + 6);

    unsigned char *wb;
    size_t wn;
    assert_int_equal(pl_slurp(wav, &wb, &wn), 0);
    unsigned char *data = memmem(wb, wn, "data", 4);
    assert_non_null(data);
    const short *s = (const short *)(data + 8);
    size_t n = (wn - (size_t)(data + 8 - wb)) / 2;
    double o1 = onset(s, n, 0, 880), o2 = onset(s, n, 0, 1320);
    if (o1 <= 0 || o2 <= 0)
        fail_msg("a block is not in the output (onsets %.3f, %.3f):\n%s", o1, o2, logtext);
    /* when Liquidsoap's clock took each block (wall time), and where it is in the output */
    double w1 = 0, w2 = 0;
    for (char *l = strstr(logtext, "TRACK "); l; l = strstr(l + 1, "TRACK ")) {
        double w = atof(l + 6);
        if (strstr(l, "Maths") && strstr(l, "Maths") < strchr(l, '\n'))
            w1 = w;
        else if (strstr(l, "Science") && strstr(l, "Science") < strchr(l, '\n'))
            w2 = w;
    }
    /* where each block is in the output, against the output's start by the wall clock; and
     * when Liquidsoap's clock took it (its callbacks run a little after the frame) */
    double e1 = started + o1 - (double)t0, e2 = started + o2 - (double)(t0 + 3), gap = o2 - o1;
    double c1 = w1 - (double)t0, c2 = w2 - (double)(t0 + 3);
    printf("blocks start %+.3f s and %+.3f s from their instants in the output (taken %+.3f s, %+.3f s); "
           "%.3f s apart\n", e1, e2, c1, c2, gap);
    /* on time to Liquidsoap's 40 ms frame (a loaded machine can delay its clock a little) */
    if (fabs(e1) > 0.25 || fabs(e2) > 0.25 || fabs(c1) > 0.5 || fabs(c2) > 0.5)
        fail_msg("blocks off their instants\n%s", logtext);
    assert_true(fabs(gap - 3.0) < 0.06);
    /* the station's sine before, between and after */
    assert_true(onset(s, n, 0, 220) >= 0 && onset(s, n, 0, 220) < o1);
    double back = onset(s, n, (size_t)((o1 + 1.05) * RATE), 220);
    assert_true(back > o1 + 0.9 && back < o1 + 1.2);
    double after = onset(s, n, (size_t)((o2 + 1.05) * RATE), 220);
    assert_true(after > o2 + 0.9 && after < o2 + 1.2);

    free(wb);
    free(logtext);
    free(log);
    free(wav);
    free(main_liq);
    free(out);
    free(a);
    free(b);
    cw_plan_free(p);
}

int main(void)
{
    if (system("command -v liquidsoap >/dev/null 2>&1") != 0) {
        cw_peer_missing("liquidsoap");
        return cw_peer_exit(0);
    }
    dir = pl_scratch();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blocks_at_their_instants),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    pl_rmtree(dir);
    free(dir);
    return rc;
}
