/* air_test.c — see air_test.h. */
#include "air_test.h"

#include <dirent.h>
#include <ftw.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/* ---- stations --------------------------------------------------------------------------- */

at_station *at_station_new(const char *zone, int rate, const char *on_air, const char *extra)
{
    at_station *s = calloc(1, sizeof *s);
    const char *t = getenv("TMPDIR");
    char *tmpl = cw_asprintf("%s/cw-air-XXXXXX", t && *t ? t : "/tmp");
    assert_non_null(mkdtemp(tmpl));
    s->dir = tmpl;
    char *conf = cw_asprintf("[station]\nname = Test Radio\ntimezone = %s\non_air = %s\nlanguage = en\n\n"
                             "[audio]\nrate = %d\nchannels = 1\nquality = 1\nloudness = -23\ntrue_peak = -1\n\n%s",
                             zone, on_air, rate, extra ? extra : "");
    cw_error err = {0};
    char *p = cw_path_join(s->dir, "station.conf");
    assert_int_equal(cw_write_file_atomic(p, conf, strlen(conf), &err), 0);
    free(p);
    free(conf);
    const char *sub[] = {"library/lesson/t", "library/filler/f", "out", "calendars"};
    for (size_t i = 0; i < 4; i++) {
        char *d = cw_path_join(s->dir, sub[i]);
        assert_int_equal(cw_mkdir_p(d, &err), 0);
        free(d);
    }
    if (cw_station_load(&s->st, s->dir, &err))
        fail_msg("station: %s", err.text);
    return s;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    return flag == FTW_DP ? rmdir(p) : unlink(p);
}

void at_station_free(at_station *s)
{
    if (!s)
        return;
    if (!getenv("CW_KEEP_TMP"))
        nftw(s->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    cw_station_free(s->st);
    free(s->dir);
    free(s);
}

char *at_path(const at_station *s, const char *rel)
{
    return cw_path_join(s->st->dir, rel);
}

int at_beep_file(const char *path, int rate, int channels, double freq, double beep_s, double total_s, const char *title)
{
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return -1;
    cw_vorbis_enc *e = NULL;
    cw_error err;
    cw_link_meta m = {.title = title, .artist = "Test Teacher"};
    if (cw_vorbis_enc_new(&e, fp, rate, channels, 0.1, cw_hash32(path, strlen(path)), &m, &err)) {
        fclose(fp);
        return -1;
    }
    float buf[1024 * 2];
    int64_t n = (int64_t)llround(total_s * rate), beep = (int64_t)llround(beep_s * rate);
    int64_t fade = rate / 200;
    int rc = 0;
    for (int64_t done = 0; done < n && !rc;) {
        size_t k = (size_t)(n - done > 1024 ? 1024 : n - done);
        for (size_t i = 0; i < k; i++) {
            int64_t j = done + (int64_t)i;
            double g = j >= beep ? 0 : j < fade ? (double)j / fade : beep - j < fade ? (double)(beep - j) / fade : 1.0;
            float v = (float)(0.5 * g * sin(2 * M_PI * freq * (double)j / rate));
            for (int c = 0; c < channels; c++)
                buf[i * (size_t)channels + (size_t)c] = v;
        }
        rc = cw_vorbis_enc_write(e, buf, k, &err);
        done += (int64_t)k;
    }
    if (rc) {
        cw_vorbis_enc_abort(e);
        fclose(fp);
        return -1;
    }
    rc = cw_vorbis_enc_finish(e, &err);
    return fclose(fp) || rc ? -1 : 0;
}

cw_plan *at_plan(cw_date date, const char *zone, int rate, int channels, int64_t window_start_utc, const at_item *items,
                 size_t n)
{
    cw_plan *p = calloc(1, sizeof *p);
    p->date = date;
    p->timezone = cw_strdup(zone);
    p->rate = rate;
    p->channels = channels;
    p->window_start_utc = window_start_utc;
    p->items = calloc(n ? n : 1, sizeof *p->items);
    p->n_items = n;
    cw_tz *tz = NULL;
    cw_error err;
    assert_int_equal(cw_tz_open(&tz, zone, &err), 0);
    p->start_offset = cw_tz_offset_at(tz, window_start_utc);
    int64_t at = 0;
    for (size_t i = 0; i < n; i++) {
        cw_plan_item *it = &p->items[i];
        it->offset_samples = at;
        it->length_samples = items[i].len;
        it->start_utc_ms = p->window_start_utc * 1000 + at * 1000 / rate;
        it->kind = items[i].kind;
        it->hard_start = items[i].kind == CW_KIND_LESSON;
        it->title = cw_strdup(items[i].title ? items[i].title : "");
        it->teacher = cw_strdup("Test Teacher");
        it->language = cw_strdup("en");
        it->series = cw_strdup(items[i].series ? items[i].series : "");
        it->episode = items[i].series ? (int)i + 1 : 0;
        it->recording = items[i].rec ? cw_strdup(items[i].rec) : NULL;
        it->recording_samples = items[i].rec ? items[i].len : 0;
        it->event_uid = items[i].uid ? cw_strdup(items[i].uid) : NULL;
        it->event_file = items[i].uid ? cw_strdup("partner.ics") : NULL;
        at += items[i].len;
    }
    p->window_end_utc = p->window_start_utc + at / rate;
    p->end_offset = cw_tz_offset_at(tz, p->window_end_utc);
    cw_tz_free(tz);
    assert_int_equal(cw_plan_compute_blocks(p), 0);
    return p;
}

void at_build(at_station *s, const cw_plan *p)
{
    char ds[11];
    cw_date_format(p->date, ds);
    char *rel = cw_asprintf("out/%s", ds), *out = at_path(s, rel);
    cw_error err = {0};
    cw_bundle_report rep;
    if (cw_bundle_build(s->st, p, out, &rep, &err))
        fail_msg("build %s: %s: %s", ds, err.source, err.text);
    cw_bundle_report_free(&rep);
    free(rel);
    free(out);
}

/* ---- virtual clock --------------------------------------------------------------------------- */

static int64_t v_wall(cw_air_clock *c)
{
    at_vclock *v = (at_vclock *)c;
    return v->mono + v->offset;
}

static int64_t v_mono(cw_air_clock *c)
{
    return ((at_vclock *)c)->mono;
}

static void v_sleep(cw_air_clock *c, int64_t mono)
{
    at_vclock *v = (at_vclock *)c;
    if (mono > v->mono)
        v->mono = mono;
}

void at_vclock_init(at_vclock *v, int64_t wall_ns)
{
    v->c.wall_ns = v_wall;
    v->c.mono_ns = v_mono;
    v->c.sleep_until = v_sleep;
    v->mono = 1000 * AIR_NS;
    v->offset = wall_ns - v->mono;
}

void at_vclock_step(at_vclock *v, int64_t step_ns)
{
    v->offset += step_ns;
}

/* ---- capture transport ----------------------------------------------------------------------- */

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int cap_open(void *t, cw_error *err)
{
    at_capture *c = t;
    c->opens++;
    if (c->refuse)
        return cw_fail(err, CW_EIO, "", 0, "connection refused (test)");
    c->connected = 1;
    c->connects++;
    return 0;
}

static void title_from(at_link *l, const unsigned char *body, size_t n)
{
    for (size_t i = 4; i + 6 <= n; i++)
        if (!memcmp(body + i, "TITLE=", 6) || !memcmp(body + i, "title=", 6)) {
            uint32_t len = le32(body + i - 4);
            if (len >= 6 && i + len <= n) {
                size_t k = len - 6 < sizeof l->title - 1 ? len - 6 : sizeof l->title - 1;
                memcpy(l->title, body + i + 6, k);
                l->title[k] = 0;
            }
            return;
        }
}

static int cap_send(void *t, const unsigned char *data, size_t len, cw_error *err)
{
    at_capture *c = t;
    if (!c->connected)
        return cw_fail(err, CW_EIO, "", 0, "not connected (test)");
    if (!data || !len)
        return 0;
    if (c->fail_next_send) {
        c->fail_next_send = 0;
        c->connected = 0;
        return cw_fail(err, CW_EIO, "", 0, "connection reset by peer (test)");
    }
    if (c->keep && c->connects == 1)
        cw_buf_append(&c->bytes, data, len);
    int64_t now = c->clock->mono + c->clock->offset;
    for (size_t off = 0; off < len;) {
        if (len - off < 27 || memcmp(data + off, "OggS", 4) != 0) {
            c->bad_pages++;
            return 0;
        }
        const unsigned char *p = data + off;
        size_t nseg = p[26], body = 0;
        for (size_t i = 0; i < nseg; i++)
            body += p[27 + i];
        size_t plen = 27 + nseg + body;
        int64_t g = (int64_t)((uint64_t)le32(p + 6) | (uint64_t)le32(p + 10) << 32);
        uint32_t serial = le32(p + 14);
        if (p[5] & 2) {
            if (c->n == c->cap) {
                c->cap = c->cap ? c->cap * 2 : 64;
                c->links = realloc(c->links, c->cap * sizeof *c->links);
            }
            at_link *l = &c->links[c->n++];
            memset(l, 0, sizeof *l);
            l->bos_ns = now;
            l->audio_ns = -1;
            l->serial = serial;
            l->connection = c->connects;
        } else if (!c->n || c->links[c->n - 1].serial != serial) {
            c->bad_pages++;
        } else {
            at_link *l = &c->links[c->n - 1];
            if (!l->title[0])
                title_from(l, p + 27 + nseg, body);
            if (g > 0 && l->audio_ns < 0) {
                l->audio_ns = now;
                l->first_granule = g;
            }
            if (g >= 0)
                l->last_granule = g;
            if (p[5] & 4)
                l->eos = 1;
        }
        off += plen;
    }
    return 0;
}

static long cap_queued(void *t)
{
    (void)t;
    return 0;
}

static void cap_close(void *t)
{
    ((at_capture *)t)->connected = 0;
}

static void cap_free(void *t)
{
    (void)t; /* the test owns it */
}

const air_shout_ops at_capture_ops = {cap_open, cap_send, cap_queued, cap_close, cap_free};

at_capture *at_capture_new(at_vclock *clock)
{
    at_capture *c = calloc(1, sizeof *c);
    c->clock = clock;
    cw_buf_init(&c->bytes);
    return c;
}

void at_capture_free(at_capture *c)
{
    if (!c)
        return;
    free(c->links);
    cw_buf_free(&c->bytes);
    free(c);
}

/* ---- simulated card ------------------------------------------------------------------------------ */

static int64_t consumed(at_card *c, int64_t mono)
{
    if (c->null_sink)
        return c->written;
    if (!c->running)
        return 0;
    double f = (double)(mono - c->start_mono) / AIR_NS * c->rate * (1.0 + c->ppm * 1e-6);
    int64_t n = (int64_t)floor(f);
    return n;
}

static int card_open(void *t, int rate, int channels, cw_error *err)
{
    at_card *c = t;
    if (c->fail)
        return cw_fail(err, CW_EIO, "", 0, "no such card (test)");
    c->rate = rate;
    c->channels = channels;
    c->buffer = rate / 2;
    c->open = 1;
    c->opens++;
    c->running = 0;
    c->written = 0;
    c->quiet = rate; /* as if silence came before */
    return 0;
}

/* An underrun: the card ran out of frames before now. */
static int underrun(at_card *c)
{
    if (c->running && consumed(c, c->clock->mono) > c->written) {
        c->xruns++;
        c->running = 0;
        c->written = 0;
        return 1;
    }
    return 0;
}

static void note_onset(at_card *c, int64_t idx)
{
    if (c->n_onsets == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 256;
        c->onsets = realloc(c->onsets, c->cap * sizeof *c->onsets);
        c->onset_wall = realloc(c->onset_wall, c->cap * sizeof *c->onset_wall);
    }
    c->onsets[c->n_onsets] = idx;
    c->onset_wall[c->n_onsets] = c->running ? 0 : -1; /* filled when it plays */
    if (c->null_sink) {
        c->onset_wall[c->n_onsets] = c->clock->mono + c->clock->offset; /* it "plays" as it is written */
    } else if (c->running) {
        int64_t mono = c->start_mono + (int64_t)llround((double)idx * AIR_NS / (c->rate * (1.0 + c->ppm * 1e-6)));
        c->onset_wall[c->n_onsets] = mono + c->clock->offset;
    }
    c->n_onsets++;
}

static int card_write(void *t, const float *frames, size_t n, size_t *done, cw_error *err)
{
    at_card *c = t;
    *done = 0;
    if (c->fail)
        return cw_fail(err, CW_EIO, "", 0, "card unplugged (test)");
    if (underrun(c))
        return 1;
    int64_t room = c->buffer - (c->written - consumed(c, c->clock->mono));
    size_t k = room < (int64_t)n ? (size_t)(room > 0 ? room : 0) : n;
    if (getenv("CW_CARD_DEBUG")) {
        float mx = 0;
        for (size_t i = 0; i < k; i++)
            mx = fabsf(frames[i]) > mx ? fabsf(frames[i]) : mx;
        fprintf(stderr, "card write %zu/%zu max %.3f written %lld\n", k, n, mx, (long long)c->written);
    }
    for (size_t i = 0; i < k; i++) {
        float v = fabsf(frames[i * (size_t)c->channels]);
        /* a beep: loud after a fifth of a second without a loud sample */
        if (v > 0.1f && c->quiet > c->rate / 5)
            note_onset(c, c->written + (int64_t)i);
        c->quiet = v <= 0.1f ? c->quiet + 1 : 0;
    }
    c->written += (int64_t)k;
    *done = k;
    if (!c->running && c->written >= c->buffer) { /* starts when full, as ALSA's default threshold */
        c->running = 1;
        c->start_mono = c->clock->mono;
        for (size_t i = 0; i < c->n_onsets; i++)
            if (c->onset_wall[i] == -1)
                c->onset_wall[i] = c->start_mono +
                                   (int64_t)llround((double)c->onsets[i] * AIR_NS / (c->rate * (1.0 + c->ppm * 1e-6))) +
                                   c->clock->offset;
    }
    return 0;
}

static int card_delay(void *t, int64_t *frames, int64_t *at, cw_error *err)
{
    at_card *c = t;
    if (c->fail)
        return cw_fail(err, CW_EIO, "", 0, "card unplugged (test)");
    if (underrun(c)) {
        *frames = 0;
        *at = c->clock->mono;
        return 1;
    }
    *frames = c->written - consumed(c, c->clock->mono);
    *at = c->clock->mono;
    return 0;
}

static long card_avail(void *t)
{
    at_card *c = t;
    int64_t a = c->buffer - (c->written - consumed(c, c->clock->mono));
    return a > 0 ? (long)a : 0;
}

static long card_buffer(void *t)
{
    return ((at_card *)t)->buffer;
}

static void card_close(void *t)
{
    at_card *c = t;
    c->open = 0;
    c->running = 0;
    c->written = 0;
}

static void card_free(void *t)
{
    (void)t;
}

const air_card_ops at_card_ops = {card_open, card_write, card_delay, card_avail, card_buffer, card_close, card_free};

at_card *at_card_new(at_vclock *clock, double ppm)
{
    at_card *c = calloc(1, sizeof *c);
    c->clock = clock;
    c->ppm = ppm;
    return c;
}

void at_card_free(at_card *c)
{
    if (!c)
        return;
    free(c->onsets);
    free(c->onset_wall);
    free(c);
}

void at_run(cw_air *a, int64_t until_ns)
{
    cw_error err = {0};
    assert_int_equal(cw_air_run_until(a, until_ns, &err), 0);
}

/* ---- as-run lines ---------------------------------------------------------------------------------- */

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

size_t at_asrun_lines(const at_station *s, const char *type, char ***out)
{
    char *dir = at_path(s, "asrun");
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, by_name);
    size_t cnt = 0, cap = 0;
    char **v = NULL;
    char want[64];
    snprintf(want, sizeof want, "{\"record\":\"%s\"", type);
    for (int i = 0; i < n; i++) {
        const char *nm = names[i]->d_name;
        size_t L = strlen(nm);
        if (L > 6 && !strcmp(nm + L - 6, ".jsonl") && nm[0] != '.') {
            char *p = cw_path_join(dir, nm);
            FILE *fp = fopen(p, "r");
            char *line = NULL;
            size_t lcap = 0;
            ssize_t got;
            while (fp && (got = getline(&line, &lcap, fp)) > 0) {
                if (strncmp(line, want, strlen(want)) != 0)
                    continue;
                if (cnt == cap) {
                    cap = cap ? cap * 2 : 64;
                    v = realloc(v, cap * sizeof *v);
                }
                v[cnt++] = cw_strdup(line);
            }
            free(line);
            if (fp)
                fclose(fp);
            free(p);
        }
        free(names[i]);
    }
    free(names);
    free(dir);
    *out = v;
    return cnt;
}

void at_lines_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void at_capture_dump(const at_capture *c)
{
    for (size_t i = 0; i < c->n; i++)
        fprintf(stderr, "link %zu: conn %d bos %lld audio %lld g %lld..%lld eos %d serial %u '%s'\n", i, c->links[i].connection,
                (long long)(c->links[i].bos_ns / 1000000 % 10000000), (long long)(c->links[i].audio_ns / 1000000 % 10000000),
                (long long)c->links[i].first_granule, (long long)c->links[i].last_granule, c->links[i].eos, c->links[i].serial,
                c->links[i].title);
}
