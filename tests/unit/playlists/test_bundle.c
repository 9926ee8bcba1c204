/* test_bundle.c — whole bundles from plans made in memory: every tone starts at its
 * planned sample (page-copied, cut, other-format and silence items, across the spring DST
 * jump), items/, SHA256SUMS, verify (and a flipped byte), byte-identical rebuilds, stale
 * leftovers removed, a killed build leaves the previous bundle untouched, hostile titles,
 * the guide's runs of fillers collapsed to one row (HTML) or line (text). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "../peers.h"
#include "pl_test_util.h"
#include "playlists_int.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RATE 22050

static const char *const HOSTILE =
    "Fractions </title><script>alert(1)</script> & \"more\" 'x'\n#EXTINF:1,fake\r\nFile9=evil\x01\x1b[31m\xff\xfe\\";

typedef struct fx {
    char *dir;     /* the station */
    cw_station st;
    char *out;     /* STATION/out/2026-03-29 */
} fx;

static void mkdirs(const char *p)
{
    cw_error err;
    assert_int_equal(cw_mkdir_p(p, &err), 0);
}

static char *lib_path(fx *f, const char *rel)
{
    return cw_path_join(f->dir, rel);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    f->dir = pl_scratch();
    assert_non_null(f->dir);
    char *d = lib_path(f, "library/lesson/maths");
    mkdirs(d);
    free(d);
    struct {
        const char *rel;
        int rate, ch;
        double freq, secs;
    } recs[] = {
        {"library/lesson/maths/001-a.ogg", RATE, 1, 440, 3.0},
        {"library/lesson/maths/002-b.ogg", RATE, 1, 880, 4.0},
        {"library/lesson/maths/003-c.ogg", 44100, 2, 660, 2.0},
        {"library/lesson/maths/004-d.ogg", RATE, 1, 1200, 1.0},
    };
    for (size_t i = 0; i < 4; i++) {
        char *p = lib_path(f, recs[i].rel);
        assert_int_equal(pl_tone_file(p, recs[i].rate, recs[i].ch, recs[i].freq,
                                      (int64_t)(recs[i].secs * recs[i].rate), 2, "lib"),
                         0);
        free(p);
    }
    f->st.dir = f->dir;
    f->st.name = (char *)"Radio <Test> & \"Co\"\n";
    f->st.timezone = (char *)"Europe/Berlin";
    f->st.rate = RATE;
    f->st.channels = 1;
    f->st.quality = 2;
    f->st.fade = 0.5;
    f->out = lib_path(f, "out/2026-03-29");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    pl_rmtree(f->dir);
    free(f->dir);
    free(f->out);
    free(f);
    return 0;
}

/* The plan: the window starts 01:59:55 CET on the spring-forward day (00:59:55Z); the
 * third item starts at 03:00:00.5 CEST. */

typedef struct spec {
    cw_kind kind;
    const char *rec;
    int64_t len, rec_len;
    int cut;
    const char *title, *teacher;
} spec;

static cw_plan *make_plan(const spec *s, size_t n)
{
    cw_plan *p = calloc(1, sizeof *p);
    p->date = (cw_date){2026, 3, 29};
    p->timezone = cw_strdup("Europe/Berlin");
    p->rate = RATE;
    p->channels = 1;
    p->window_start_utc = cw_days_from_civil(2026, 3, 29) * 86400 + 59 * 60 + 55; /* 00:59:55Z */
    p->start_offset = 3600;
    p->items = calloc(n, sizeof *p->items);
    p->n_items = n;
    int64_t at = 0;
    for (size_t i = 0; i < n; i++) {
        cw_plan_item *it = &p->items[i];
        it->offset_samples = at;
        it->length_samples = s[i].len;
        it->start_utc_ms = p->window_start_utc * 1000 + at * 1000 / RATE;
        it->kind = s[i].kind;
        it->hard_start = i == 0;
        it->cut = s[i].cut;
        it->fade_out = s[i].cut ? 0.5 : 0;
        it->title = cw_strdup(s[i].title ? s[i].title : "");
        it->teacher = cw_strdup(s[i].teacher ? s[i].teacher : "");
        it->language = cw_strdup("en");
        it->series = cw_strdup(s[i].kind == CW_KIND_SILENCE ? "" : "maths-5");
        it->episode = s[i].kind == CW_KIND_SILENCE ? 0 : (int)i + 1;
        it->recording = s[i].rec ? cw_strdup(s[i].rec) : NULL;
        it->recording_samples = s[i].rec_len;
        at += s[i].len;
    }
    p->window_end_utc = p->window_start_utc + at / RATE;
    p->end_offset = 7200;
    assert_int_equal(cw_plan_compute_blocks(p), 0);
    return p;
}

static const spec day_spec[] = {
    {CW_KIND_LESSON, "library/lesson/maths/001-a.ogg", 3 * RATE, 3 * RATE, 0, NULL, "Ms Ada \"Lovelace\""},
    {CW_KIND_LESSON, "library/lesson/maths/002-b.ogg", 5 * RATE / 2, 4 * RATE, 1, "Cut lesson", "Mr B"},
    {CW_KIND_NEWSLETTER, "library/lesson/maths/003-c.ogg", 2 * RATE, 2 * 44100, 0, "Other format", ""},
    {CW_KIND_SILENCE, NULL, 15 * RATE / 10, 0, 0, NULL, NULL}, /* the window: 10 s */
    {CW_KIND_FILLER, "library/lesson/maths/004-d.ogg", RATE, RATE, 0, "Jingle", "Station"},
};
#define N_ITEMS (sizeof day_spec / sizeof day_spec[0])

static cw_plan *day_plan(void)
{
    spec s[N_ITEMS];
    memcpy(s, day_spec, sizeof s);
    s[0].title = HOSTILE;
    return make_plan(s, N_ITEMS);
}

static char *bundle_file(fx *f, const char *rel)
{
    return cw_path_join(f->out, rel);
}

static char *read_text(fx *f, const char *rel)
{
    char *p = bundle_file(f, rel);
    unsigned char *b;
    size_t n;
    assert_int_equal(pl_slurp(p, &b, &n), 0);
    free(p);
    char *s = realloc(b, n + 1);
    s[n] = 0;
    return s;
}

static void build(fx *f, const cw_plan *plan, cw_bundle_report *rep)
{
    cw_error err;
    memset(&err, 0, sizeof err);
    int rc = cw_bundle_build(&f->st, plan, f->out, rep, &err);
    if (rc)
        fail_msg("build: %s: %s", err.source, err.text);
}

static void test_tones_at_planned_offsets(void **state)
{
    fx *f = *state;
    cw_plan *plan = day_plan();
    cw_bundle_report rep;
    build(f, plan, &rep);
    assert_int_equal(rep.items, N_ITEMS);
    assert_int_equal(rep.reencoded, 2); /* the cut one and the 44.1 kHz stereo one */
    int64_t total = 0;
    for (size_t i = 0; i < N_ITEMS; i++)
        total += plan->items[i].length_samples;
    assert_int_equal(rep.day_samples, total);
    cw_bundle_report_free(&rep);

    char *day = bundle_file(f, "day.ogg");
    int links;
    int64_t samples;
    cw_error err;
    assert_int_equal(cw_ogg_check(day, &links, &samples, &err), 0);
    assert_int_equal(links, (int)N_ITEMS);
    assert_int_equal(samples, total);

    float *d;
    int64_t nd, starts[16];
    int nl;
    assert_int_equal(pl_decode(day, &d, &nd, starts, 16, &nl), 0);
    assert_int_equal(nl, (int)N_ITEMS);
    assert_int_equal(nd, total);
    for (size_t i = 0; i < N_ITEMS; i++)
        assert_int_equal(starts[i], plan->items[i].offset_samples);

    /* whole items: bit-exact with the library recording at the planned offset */
    const size_t whole[] = {0, 4};
    for (size_t k = 0; k < 2; k++) {
        const cw_plan_item *it = &plan->items[whole[k]];
        char *lp = lib_path(f, it->recording);
        float *x;
        int64_t nx;
        assert_int_equal(pl_decode(lp, &x, &nx, NULL, 0, NULL), 0);
        assert_int_equal(nx, it->length_samples);
        assert_memory_equal(d + it->offset_samples, x, sizeof(float) * (size_t)nx);
        free(x);
        free(lp);
    }
    /* the cut item: in phase from its first sample, faded out at its last */
    {
        const cw_plan_item *it = &plan->items[1];
        char *lp = lib_path(f, it->recording);
        float *x;
        int64_t nx;
        assert_int_equal(pl_decode(lp, &x, &nx, NULL, 0, NULL), 0);
        int best_lag = 99;
        double best = 1e9;
        for (int lag = -3; lag <= 3; lag++) {
            double e = 0;
            for (int64_t i = 500; i < RATE; i++)
                e += fabs((double)d[it->offset_samples + i] - (double)x[i + lag]);
            if (e < best) {
                best = e;
                best_lag = lag;
            }
        }
        assert_int_equal(best_lag, 0);
        double tail = 0;
        for (int64_t i = it->length_samples - 32; i < it->length_samples; i++)
            tail = fmax(tail, fabs(d[it->offset_samples + i]));
        assert_true(tail < 0.05);
        free(x);
        free(lp);
    }
    /* other format: its tone, resampled; silence: nothing */
    assert_true(pl_tone_level(d + plan->items[2].offset_samples + 2000, 8000, RATE, 660) > 0.35);
    for (int64_t i = 0; i < plan->items[3].length_samples; i++)
        assert_true(fabs(d[plan->items[3].offset_samples + i]) < 1e-4);
    free(d);
    free(day);

    /* items/: one Ogg file per item, whole unchanged ones are hard links to the library */
    cw_pl_view *v;
    assert_int_equal(cw_pl_view_new(&v, &f->st, plan, f->out, &err), 0);
    for (size_t i = 0; i < N_ITEMS; i++) {
        char *ip = bundle_file(f, v->items[i].file);
        assert_int_equal(cw_ogg_check(ip, &links, &samples, &err), 0);
        assert_int_equal(links, 1);
        assert_int_equal(samples, plan->items[i].length_samples);
        if (i == 0 || i == 4) {
            char *lp = lib_path(f, plan->items[i].recording);
            struct stat a, b;
            assert_int_equal(stat(ip, &a), 0);
            assert_int_equal(stat(lp, &b), 0);
            assert_true(a.st_ino == b.st_ino);
            free(lp);
        }
        free(ip);
    }
    /* across the DST jump: 01:59:55 CET, 01:59:58, then 03:00:00 CEST */
    assert_string_equal(v->items[0].hhmm, "01:59");
    assert_string_equal(v->items[1].hhmm, "01:59");
    assert_string_equal(v->items[2].hhmm, "03:00");
    assert_string_equal(v->items[2].local_iso, "2026-03-29T03:00:00+02:00");
    assert_string_equal(v->items[0].local_iso, "2026-03-29T01:59:55+01:00");
    assert_non_null(strstr(v->items[2].file, "-0300-"));
    cw_pl_view_free(v);
    cw_plan_free(plan);
}

static void test_sums_verify_and_rebuild(void **state)
{
    fx *f = *state;
    cw_plan *plan = day_plan();
    cw_bundle_report rep;
    build(f, plan, &rep);
    cw_bundle_report_free(&rep);
    char *sums1 = read_text(f, "SHA256SUMS");
    /* every line is right and every file is listed */
    static const char *const files[] = {"day.ogg",      "playlist.m3u8", "playlist.xspf", "playlist.pls",
                                        "day.cue",      "liquidsoap.m3u", "plan.json",    "schedule.ics",
                                        "guide.html",   "guide.txt",     "events.csv",    "liquidsoap.liq"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char *p = bundle_file(f, files[i]);
        char hex[65], line[200];
        cw_error err;
        assert_int_equal(cw_sha256_file(p, hex, &err), 0);
        snprintf(line, sizeof line, "%s  %s\n", hex, files[i]);
        if (!strstr(sums1, line))
            fail_msg("SHA256SUMS lacks '%s'", line);
        free(p);
    }
    size_t lines = 0;
    for (const char *c = sums1; *c; c++)
        lines += *c == '\n';
    /* and the one block's chained Ogg (day.ogg's bytes: the day is one block) and M3U */
    assert_int_equal(lines, 12 + 2 + N_ITEMS);
    char *day_line = strstr(sums1, "  day.ogg\n"), *blk = strstr(sums1, "  blocks/");
    assert_non_null(day_line);
    assert_non_null(blk);
    while (blk && strncmp(strchr(blk, '\n') - 4, ".ogg", 4) != 0)
        blk = strstr(blk + 1, "  blocks/");
    assert_non_null(blk);
    assert_memory_equal(day_line - 64, blk - 64, 64);

    cw_strlist bad = {0};
    cw_error err;
    if (cw_bundle_verify(f->out, &bad, &err) != 0)
        fail_msg("verify: %s (%s)", err.text, bad.n ? bad.v[0] : "");
    assert_int_equal(bad.n, 0);

    /* one flipped byte in day.ogg: verify names it */
    char *day = bundle_file(f, "day.ogg");
    FILE *fp = fopen(day, "r+b");
    assert_non_null(fp);
    fseek(fp, 5000, SEEK_SET);
    int c = fgetc(fp);
    fseek(fp, 5000, SEEK_SET);
    fputc(c ^ 1, fp);
    fclose(fp);
    assert_int_equal(cw_bundle_verify(f->out, &bad, &err), CW_EINVAL);
    int found = 0;
    for (size_t i = 0; i < bad.n; i++)
        found |= !strcmp(bad.v[i], "day.ogg: checksum mismatch");
    assert_true(found);
    cw_strlist_free(&bad);

    /* an extra file is reported too */
    char *extra = bundle_file(f, "items/extra.ogg");
    fp = fopen(extra, "wb");
    fputs("x", fp);
    fclose(fp);
    memset(&bad, 0, sizeof bad);
    assert_int_equal(cw_bundle_verify(f->out, &bad, &err), CW_EINVAL);
    found = 0;
    for (size_t i = 0; i < bad.n; i++)
        found |= !strcmp(bad.v[i], "items/extra.ogg: not listed in SHA256SUMS");
    assert_true(found);
    cw_strlist_free(&bad);

    /* rebuild over it (swap): byte-identical, damage and extra file gone */
    build(f, plan, &rep);
    cw_bundle_report_free(&rep);
    char *sums2 = read_text(f, "SHA256SUMS");
    assert_string_equal(sums1, sums2);
    assert_false(cw_path_exists(extra));
    memset(&bad, 0, sizeof bad);
    assert_int_equal(cw_bundle_verify(f->out, &bad, &err), 0);
    free(sums1);
    free(sums2);
    free(extra);
    free(day);
    cw_plan_free(plan);
}

static int count_tmp(const char *parent)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "ls -a '%s' | grep -c '^\\.2026-03-29\\.tmp-'", parent);
    FILE *p = popen(cmd, "r");
    int n = 0;
    if (p) {
        if (fscanf(p, "%d", &n) != 1)
            n = 0;
        pclose(p);
    }
    return n;
}

static void test_killed_build_and_leftovers(void **state)
{
    fx *f = *state;
    cw_plan *plan = day_plan();
    cw_bundle_report rep;
    build(f, plan, &rep);
    cw_bundle_report_free(&rep);
    char *sums1 = read_text(f, "SHA256SUMS");
    char *parent = lib_path(f, "out");

    /* a leftover of a killed build whose process is gone */
    char *stale = lib_path(f, "out/.2026-03-29.tmp-999999999");
    mkdirs(stale);
    char *sf = cw_path_join(stale, "day.ogg");
    FILE *fp = fopen(sf, "wb");
    fputs("half", fp);
    fclose(fp);

    /* a build killed half-way: thousands of short silences (each encoded) keep it busy */
    enum { N_SLOW = 4000 };
    spec *s = calloc(N_SLOW, sizeof *s);
    s[0] = day_spec[0];
    for (size_t i = 1; i < N_SLOW; i++)
        s[i] = (spec){CW_KIND_SILENCE, NULL, RATE, 0, 0, "Short", ""};
    cw_plan *slow = make_plan(s, N_SLOW);
    free(s);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        cw_error err;
        cw_bundle_report r;
        _exit(cw_bundle_build(&f->st, slow, f->out, &r, &err) == 0 ? 0 : 1);
    }
    struct timespec ts = {0, 300 * 1000 * 1000};
    nanosleep(&ts, NULL);
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFSIGNALED(status)); /* it was still building */
    /* the killed build had removed the stale leftover when it started; its own remains */
    assert_false(cw_path_exists(stale));
    assert_int_equal(count_tmp(parent), 1);

    /* the previous bundle is untouched and still verifies */
    char *sums2 = read_text(f, "SHA256SUMS");
    assert_string_equal(sums1, sums2);
    cw_strlist bad = {0};
    cw_error err;
    assert_int_equal(cw_bundle_verify(f->out, &bad, &err), 0);

    /* the next build removes the killed one's leftover */
    build(f, plan, &rep);
    cw_bundle_report_free(&rep);
    assert_int_equal(count_tmp(parent), 0);
    free(sums1);
    free(sums2);
    free(sf);
    free(stale);
    free(parent);
    cw_plan_free(slow);
    cw_plan_free(plan);
}

static size_t count_of(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* No control characters except newline; valid UTF-8. */
static void assert_clean_text(const char *name, const char *s)
{
    assert_true(cw_utf8_valid(s, strlen(s)));
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && *p != '\n') || *p == 0x7f)
            fail_msg("%s: control character 0x%02x at byte %zu", name, *p, (size_t)(p - (const unsigned char *)s));
}

static void test_hostile_titles(void **state)
{
    fx *f = *state;
    cw_plan *plan = day_plan();
    cw_bundle_report rep;
    build(f, plan, &rep);
    cw_bundle_report_free(&rep);
    static const char *const texts[] = {"playlist.m3u8", "playlist.xspf", "playlist.pls", "day.cue",
                                        "liquidsoap.m3u", "guide.html", "guide.txt"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        char *t = read_text(f, texts[i]);
        assert_clean_text(texts[i], t);
        /* the title's visible words survive everywhere */
        if (!strstr(t, "Fractions"))
            fail_msg("%s lacks the title", texts[i]);
        free(t);
    }
    /* M3U8: exactly one path line per item, every other line a directive */
    char *m3u = read_text(f, "playlist.m3u8");
    size_t paths = 0;
    char *save, *line;
    for (line = strtok_r(m3u, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#')
            assert_true(!strncmp(line, "#EXTM3U", 7) || !strncmp(line, "#EXTINF:", 8) || !strncmp(line, "#PLAYLIST:", 10));
        else {
            assert_true(!strncmp(line, "items/", 6));
            paths++;
        }
    }
    assert_int_equal(paths, N_ITEMS);
    free(m3u);
    /* PLS: only known keys */
    char *pls = read_text(f, "playlist.pls");
    size_t files = 0;
    for (line = strtok_r(pls, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        assert_true(!strcmp(line, "[playlist]") || !strncmp(line, "File", 4) || !strncmp(line, "Title", 5) ||
                    !strncmp(line, "Length", 6) || !strncmp(line, "NumberOfEntries=", 16) || !strcmp(line, "Version=2"));
        if (!strncmp(line, "File", 4))
            files++;
    }
    assert_int_equal(files, N_ITEMS);
    free(pls);
    /* XSPF and HTML: markup escaped */
    const char *marked[] = {"playlist.xspf", "guide.html"};
    for (size_t i = 0; i < 2; i++) {
        char *t = read_text(f, marked[i]);
        assert_null(strstr(t, "<script>"));
        assert_non_null(strstr(t, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;more&quot; &#39;x&#39;"));
        free(t);
    }
    /* CUE: every quoted field has exactly two quotes */
    char *cue = read_text(f, "day.cue");
    for (line = strtok_r(cue, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        size_t q = 0;
        for (char *c = line; *c; c++)
            q += *c == '"';
        assert_true(q == 0 || q == 2 || (q == 4 && strstr(line, "REM COMMENT")));
    }
    free(cue);
    /* Liquidsoap: one annotate line per item, quotes and backslashes escaped, absolute path */
    char *liq = read_text(f, "liquidsoap.m3u");
    size_t ann = 0;
    for (line = strtok_r(liq, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#')
            continue;
        assert_true(!strncmp(line, "annotate:title=\"", 16));
        ann++;
        /* walk the quoted values: after each closing quote comes ',' or ':' */
        const char *c = line + 9;
        int in = 0;
        for (; *c; c++) {
            if (in && *c == '\\') {
                c++;
                continue;
            }
            if (*c == '"') {
                in = !in;
                if (!in)
                    assert_true(c[1] == ',' || c[1] == ':');
            } else if (!in && *c == ':') {
                break;
            }
        }
        assert_int_equal(*c, ':');
        assert_int_equal(c[1], '/');
        assert_non_null(strstr(c, "/out/2026-03-29/items/"));
    }
    assert_int_equal(ann, N_ITEMS);
    free(liq);
    /* guide.html: one row per programme, the closing silence + jingle as one row */
    char *gh = read_text(f, "guide.html");
    assert_int_equal(count_of(gh, "<tr class="), N_ITEMS - 1);
    assert_non_null(strstr(gh, "<tr class=\"r-fill\"><td class=\"time\">03:00&ndash;03:00</td>"));
    assert_non_null(strstr(gh, "Silence, Jingle (2 items)"));
    free(gh);
    /* the guide mentions every item and the DST-shifted times */
    char *guide = read_text(f, "guide.txt");
    assert_non_null(strstr(guide, "01:59  Fractions"));
    assert_non_null(strstr(guide, "03:00  Other format"));
    assert_non_null(strstr(guide, "Silence"));
    assert_non_null(strstr(guide, "Jingle"));
    free(guide);
    cw_plan_free(plan);
}

/* The guide collapses each run of two or more fillers/silences into one row (HTML) or one
 * line (text) spanning the run; programmes and a lone filler keep their own row. The
 * window starts 01:59:55 CET on the spring-forward day, so the first run starts 03:00. */
static void test_guide_collapses_filler_runs(void **state)
{
    fx *f = *state;
    const spec s[] = {
        {CW_KIND_LESSON, NULL, 5 * RATE, 0, 0, "Fractions", "Ms Ada"},      /* 01:59:55 */
        {CW_KIND_FILLER, NULL, 60 * RATE, 0, 0, "Jingle", "Station"},       /* 03:00 */
        {CW_KIND_FILLER, NULL, 60 * RATE, 0, 0, HOSTILE, "Station"},        /* 03:01 */
        {CW_KIND_FILLER, NULL, 60 * RATE, 0, 0, "Jingle", "Station"},       /* 03:02 */
        {CW_KIND_SILENCE, NULL, 60 * RATE, 0, 0, NULL, NULL},               /* 03:03 */
        {CW_KIND_FILLER, NULL, 60 * RATE, 0, 0, "Music bed", ""},           /* 03:04 */
        {CW_KIND_LESSON, NULL, 120 * RATE, 0, 0, "Plants", "Mr B"},         /* 03:05 */
        {CW_KIND_FILLER, NULL, 30 * RATE, 0, 0, "Lone ID", "Station"},      /* 03:07 */
        {CW_KIND_NEWSLETTER, NULL, 60 * RATE, 0, 0, "School news", ""},     /* 03:07:30 */
        {CW_KIND_FILLER, NULL, 45 * RATE, 0, 0, "Jingle", "Station"},       /* 03:08:30 */
        {CW_KIND_FILLER, NULL, 45 * RATE, 0, 0, "Music bed", ""},           /* 03:09:15 */
    };                                                                      /* end 03:10 */
    cw_plan *plan = make_plan(s, sizeof s / sizeof s[0]);
    cw_error err;
    cw_pl_view *v;
    assert_int_equal(cw_pl_view_new(&v, &f->st, plan, NULL, &err), 0);
    v->max_silence = 600; /* the minute of silence is not dead air here (test_guide.c) */
    cw_buf h, h2, t;
    cw_buf_init(&h);
    cw_buf_init(&h2);
    cw_buf_init(&t);
    cw_pl_write_guide_html(v, &h);
    cw_pl_write_guide_html(v, &h2);
    cw_pl_write_guide_txt(v, &t);
    assert_false(h.oom || t.oom);
    assert_int_equal(h.len, h2.len);
    assert_memory_equal(h.data, h2.data, h.len); /* deterministic */

    /* rows: lesson, run of 5, lesson, lone filler, newsletter, run of 2 */
    assert_int_equal(count_of(h.data, "<tr class="), 6);
    assert_int_equal(count_of(h.data, "<tr class=\"r-fill\">"), 2);
    assert_int_equal(count_of(h.data, "<tr class=\"r-lesson\">"), 2);
    assert_int_equal(count_of(h.data, "<tr class=\"r-newsletter\">"), 1);
    assert_int_equal(count_of(h.data, "<tr class=\"r-filler\">"), 1);
    assert_int_equal(count_of(h.data, "<tr class=\"r-silence\">"), 0);
    assert_non_null(strstr(h.data, "<tr class=\"r-filler\"><td class=\"time\">03:07</td><td><strong>Lone ID</strong>"));
    assert_non_null(strstr(h.data, "<tr class=\"r-lesson\"><td class=\"time\">01:59</td><td><strong>Fractions</strong>"));
    assert_non_null(strstr(h.data, "<tr class=\"r-lesson\"><td class=\"time\">03:05</td><td><strong>Plants</strong>"));
    /* the first run: 03:00 to the next lesson at 03:05, distinct titles in order (the
     * hostile one escaped), the count and the total length */
    const char *run1 = strstr(h.data, "<tr class=\"r-fill\">");
    assert_non_null(run1);
    const char *end1 = strstr(run1, "</tr>\n");
    assert_non_null(end1);
    char *row1 = cw_strndup(run1, (size_t)(end1 - run1));
    assert_non_null(strstr(row1, "<td class=\"time\">03:00&ndash;03:05</td><td colspan=\"4\">"
                                 "<strong>Between programmes</strong><br><span class=\"note\">Jingle, Fractions "));
    assert_non_null(strstr(row1, "&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;more&quot; &#39;x&#39;"));
    assert_null(strstr(row1, "<script"));
    assert_null(strstr(row1, "#EXTINF:1,fake\n"));
    assert_non_null(strstr(row1, ", Silence, Music bed (5 items)</span></td><td class=\"len\">5:00</td>"));
    assert_int_equal(count_of(row1, "Jingle"), 1);
    free(row1);
    /* the last run ends with the window */
    const char *run2 = strstr(run1 + 1, "<tr class=\"r-fill\">");
    assert_non_null(run2);
    assert_non_null(strstr(run2, "<td class=\"time\">03:08&ndash;03:10</td>"));
    assert_non_null(strstr(run2, "<span class=\"note\">Jingle, Music bed (2 items)</span></td><td class=\"len\">1:30</td></tr>\n"));
    assert_null(strstr(h.data, "<script>"));
    /* the printable stylesheet and the footer's item count are kept */
    assert_non_null(strstr(h.data, "@media print{@page{size:A4"));
    assert_non_null(strstr(h.data, "11 items."));

    /* guide.txt: the same runs as one line each, with the same start and count */
    assert_int_equal(count_of(t.data, "Between programmes: "), 2);
    assert_non_null(strstr(t.data, "\n03:00  Between programmes: Jingle, Fractions "));
    assert_non_null(strstr(t.data, ", Silence, Music bed (5 items, 5:00)\n"));
    assert_non_null(strstr(t.data, "\n03:07  Lone ID - Station (filler"));
    assert_non_null(strstr(t.data, "\n03:08  Between programmes: Jingle, Music bed (2 items, 1:30)\n"));

    /* a strict HTML parser accepts it (the hostile title inside a collapsed run too) */
    char *html = lib_path(f, "guide-runs.html");
    cw_error werr;
    assert_int_equal(cw_write_file_atomic(html, h.data, h.len, &werr), 0);
    if (system("command -v xmllint >/dev/null 2>&1") == 0) {
        char *cmd = cw_asprintf("xmllint --html --noout '%s' 2>&1 | head -c 1 | wc -c | grep -qx 0", html);
        assert_int_equal(system(cmd), 0);
        free(cmd);
    } else {
        cw_peer_missing("xmllint");
    }
    unlink(html);
    free(html);
    cw_buf_free(&h);
    cw_buf_free(&h2);
    cw_buf_free(&t);
    cw_pl_view_free(v);
    cw_plan_free(plan);
}

static void test_refuses_inconsistent_plan(void **state)
{
    fx *f = *state;
    spec s[2] = {day_spec[0], day_spec[4]};
    cw_plan *p = make_plan(s, 2);
    p->items[1].offset_samples -= 1; /* overlaps the first item by a sample */
    cw_error err;
    cw_bundle_report rep;
    char *other = lib_path(f, "out/other");
    assert_int_equal(cw_bundle_build(&f->st, p, other, &rep, &err), CW_EINTERNAL);
    assert_false(cw_path_exists(other));
    p->items[1].offset_samples += 1;
    p->items[1].length_samples = 2 * RATE; /* longer than its recording */
    p->items[1].recording_samples = RATE;
    assert_int_equal(cw_bundle_build(&f->st, p, other, &rep, &err), CW_EINVAL);
    assert_false(cw_path_exists(other));
    free(other);
    cw_plan_free(p);
}

/* SHA256SUMS that cannot be used: each says what is wrong (too large names the limit). */
static void test_verify_sums_problems(void **state)
{
    fx *f = *state;
    char *b = lib_path(f, "out/sums-check");
    mkdirs(b);
    char *sums = cw_path_join(b, "SHA256SUMS");
    cw_strlist bad = {0};
    cw_error err;
    /* missing */
    assert_int_equal(cw_bundle_verify(b, &bad, &err), CW_EINVAL);
    assert_string_equal(bad.v[0], "SHA256SUMS: missing");
    assert_non_null(strstr(err.text, "has no SHA256SUMS"));
    cw_strlist_free(&bad);
    /* over the 16 MB limit (sparse: no 17 MB written) */
    FILE *fp = fopen(sums, "w");
    assert_non_null(fp);
    assert_int_equal(ftruncate(fileno(fp), 17000000), 0);
    fclose(fp);
    assert_int_equal(cw_bundle_verify(b, &bad, &err), CW_ELIMIT);
    assert_string_equal(bad.v[0], "SHA256SUMS: too large (17000000 bytes; the limit is 16 MB)");
    assert_non_null(strstr(err.text, "SHA256SUMS is too large (17000000 bytes; the limit is 16 MB"));
    cw_strlist_free(&bad);
    /* a folder in its place */
    assert_int_equal(unlink(sums), 0);
    mkdirs(sums);
    assert_int_equal(cw_bundle_verify(b, &bad, &err), CW_EINVAL);
    assert_string_equal(bad.v[0], "SHA256SUMS: not a regular file");
    cw_strlist_free(&bad);
    assert_int_equal(rmdir(sums), 0);
    assert_int_equal(rmdir(b), 0);
    free(sums);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tones_at_planned_offsets),
        cmocka_unit_test(test_sums_verify_and_rebuild),
        cmocka_unit_test(test_killed_build_and_leftovers),
        cmocka_unit_test(test_hostile_titles),
        cmocka_unit_test(test_guide_collapses_filler_runs),
        cmocka_unit_test(test_refuses_inconsistent_plan),
        cmocka_unit_test(test_verify_sums_problems),
    };
    return cw_peer_exit(cmocka_run_group_tests(tests, setup, teardown));
}
