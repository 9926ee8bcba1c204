/* asrun_import.c — `chalkwave asrun import`: the as-run log of a station that plays with
 * Liquidsoap (examples/liquidsoap/air.liq logs one "chalkwave-asrun" line per track) turned
 * into the same records `chalkwave air` writes, matched with the bundles' plans through the
 * item file and its planned start.
 * Guarantees: appends only (each line written whole and synced); importing the same log
 * twice adds nothing (a record already there, same planned and actual start, is skipped);
 * a log line that matches no plan item is a warning naming the line, never a guess. */
#include "air_int.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct ev {
    int kind;     /* 0 begin, 1 start, 2 stop */
    int64_t ns;
    char *planned, *title, *file;
    double cue;
    int line;
} ev;

enum { EV_BEGIN = 0, EV_START, EV_STOP };

static void ev_clear(ev *e)
{
    free(e->planned);
    free(e->title);
    free(e->file);
}

static void ev_free(ev *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ev_clear(&v[i]);
    free(v);
}

/* "... [chalkwave-asrun:3] start\t1796626540282\tPLANNED\tTITLE\tFILE\tCUE" */
static int parse_line(const char *line, int ln, ev *out)
{
    const char *p = strstr(line, "[chalkwave-asrun:");
    if (!p || !(p = strstr(p, "] ")))
        return 0;
    p += 2;
    char *copy = cw_strdup(p), *f[6] = {0};
    if (!copy)
        return -1;
    copy[strcspn(copy, "\r\n")] = 0;
    int n = 0;
    for (char *s = copy; n < 6;) {
        f[n++] = s;
        char *t = strchr(s, '\t');
        if (!t)
            break;
        *t = 0;
        s = t + 1;
    }
    memset(out, 0, sizeof *out);
    out->line = ln;
    int rc = 1;
    if (n >= 2 && (!strcmp(f[0], "begin") || !strcmp(f[0], "stop") || !strcmp(f[0], "start"))) {
        char *end;
        long long ms = strtoll(f[1], &end, 10);
        if (*end || ms <= 0 || ms > 9000000000000LL) { /* milliseconds since 1970, before 2255 */
            rc = 0;
        } else {
            out->ns = ms * 1000000LL;
            out->kind = !strcmp(f[0], "begin") ? EV_BEGIN : !strcmp(f[0], "stop") ? EV_STOP : EV_START;
            if (out->kind == EV_START) {
                out->planned = cw_strdup(n > 2 ? f[2] : "");
                out->title = cw_strdup(n > 3 ? f[3] : "");
                out->file = cw_strdup(n > 4 ? f[4] : "");
                out->cue = n > 5 && f[5][0] ? strtod(f[5], NULL) : 0;
                if (!out->planned || !out->title || !out->file)
                    rc = -1;
            }
        }
    } else {
        rc = 0;
    }
    free(copy);
    return rc;
}

/* The plan item an event played: out/DATE/items/NNN-... names the bundle and the item;
 * its planned start must agree with the log's (to the second, as liquidsoap.m3u writes
 * it). *plan is loaded (or kept, when already the right date). */
static int match(const cw_station *st, const ev *e, cw_plan **plan, cw_date *pdate, size_t *item, char why[200])
{
    const char *items = strstr(e->file, "/items/");
    const char *out = strstr(e->file, "/out/");
    int64_t want;
    if (air_parse_time(e->planned, &want) != 0) {
        snprintf(why, 200, "its planned start '%.40s' is not a time", e->planned);
        return -1;
    }
    cw_date date;
    char ds[11] = "";
    if (!items || !out || items - out != 15 || cw_date_parse(memcpy(ds, out + 5, 10), &date) != 0) {
        snprintf(why, 200, "'%.80s' is not an item file of a bundle (out/DATE/items/...)", e->file);
        return -1;
    }
    long idx = strtol(items + 7, NULL, 10);
    if (!*plan || cw_date_cmp(*pdate, date) != 0) {
        cw_plan_free(*plan);
        *plan = NULL;
        char *path = cw_asprintf("%s/out/%s/plan.json", st->dir, ds);
        char *json = NULL;
        size_t len = 0;
        cw_error err = {0};
        int rc = path ? cw_read_file(path, 64u << 20, &json, &len, &err) : CW_ENOMEM;
        if (!rc)
            rc = cw_plan_from_json(plan, json, len, &err);
        free(json);
        free(path);
        if (rc) {
            snprintf(why, 200, "the bundle of %s is not in this station's out/ (%.120s)", ds, err.text);
            return -1;
        }
        *pdate = date;
    }
    if (idx < 1 || (size_t)idx > (*plan)->n_items) {
        snprintf(why, 200, "the bundle of %s has no item %ld", ds, idx);
        return -1;
    }
    const cw_plan *p = *plan;
    int64_t at = p->window_start_utc * AIR_NS + air_samples_to_ns(p->items[idx - 1].offset_samples, p->rate);
    if (at / AIR_NS != want / AIR_NS && (at - want > AIR_NS || want - at > AIR_NS)) {
        snprintf(why, 200, "item %ld of %s was planned for another time (the bundle was rebuilt since?)", idx, ds);
        return -1;
    }
    *item = (size_t)idx - 1;
    return 0;
}

/* Is a line holding both k1 and k2 already in the as-run file of the day of ns? */
static int already_has(const cw_station *st, const cw_tz *tz, int64_t ns, const char *k1, const char *k2)
{
    cw_date d = air_local_date(tz, ns);
    char ds[11];
    cw_date_format(d, ds);
    char *path = cw_asprintf("%s/asrun/%s.jsonl", st->dir, ds);
    FILE *fp = path ? fopen(path, "r") : NULL;
    free(path);
    if (!fp)
        return 0;
    char *line = NULL;
    size_t cap = 0;
    int found = 0;
    while (!found && getline(&line, &cap, fp) > 0)
        found = strstr(line, k1) && strstr(line, k2);
    free(line);
    fclose(fp);
    return found;
}

static int already(const cw_station *st, const cw_tz *tz, int64_t actual_ns, const char *planned_utc, const char *actual_utc)
{
    char k1[64], k2[64];
    snprintf(k1, sizeof k1, "\"planned_start_utc\":\"%s\"", planned_utc);
    snprintf(k2, sizeof k2, "\"actual_start_utc\":\"%s\"", actual_utc);
    return already_has(st, tz, actual_ns, k1, k2);
}

static int append(const cw_station *st, const cw_tz *tz, int64_t ns, json_t *o, cw_error *err)
{
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
    cw_date d = air_local_date(tz, ns);
    char ds[11];
    cw_date_format(d, ds);
    char *dir = cw_path_join(st->dir, "asrun"), *path = cw_asprintf("%s/asrun/%s.jsonl", st->dir, ds);
    int rc = text && dir && path ? cw_mkdir_p(dir, err) : cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    if (!rc) {
        int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        size_t n = strlen(text);
        text[n] = '\n';
        char last = '\n';
        off_t end = fd >= 0 ? lseek(fd, 0, SEEK_END) : -1;
        int rfd = end > 0 ? open(path, O_RDONLY | O_CLOEXEC) : -1;
        if (rfd >= 0) {
            if (pread(rfd, &last, 1, end - 1) != 1)
                last = '\n';
            close(rfd);
        }
        if (fd < 0 || (last != '\n' && write(fd, "\n", 1) != 1) || write(fd, text, n + 1) != (ssize_t)(n + 1) ||
            fdatasync(fd) != 0)
            rc = cw_fail(err, CW_EIO, path, 0, "cannot write the as-run log: %s (check free space)", strerror(errno));
        if (fd >= 0)
            close(fd);
    }
    free(text);
    free(dir);
    free(path);
    return rc;
}

static json_t *item_record(const cw_tz *tz, const cw_plan *p, size_t i, const ev *e, int64_t end_ns, const char *source,
                           const char *end_why, int64_t *planned_out)
{
    const cw_plan_item *it = &p->items[i];
    int64_t planned = p->window_start_utc * AIR_NS + air_samples_to_ns(it->offset_samples, p->rate);
    double plen = (double)it->length_samples / p->rate;
    double from = e->cue > 0 ? e->cue : 0;
    double len = (double)(end_ns - e->ns) / AIR_NS;
    if (len > plen - from)
        len = plen - from;
    if (len < 0)
        len = 0;
    int complete = from < 0.05 && len >= plen - 0.5; /* Liquidsoap's frames are 40 ms */
    json_t *o = json_object();
    char ds[11];
    cw_date_format(p->date, ds);
    json_object_set_new(o, "record", json_string("item"));
    json_object_set_new(o, "date", json_string(ds));
    json_object_set_new(o, "item", json_integer((json_int_t)i + 1));
    air_time_pair(o, tz, "planned_start", planned);
    air_time_pair(o, tz, "actual_start", e->ns);
    json_object_set_new(o, "planned_length_s", json_real(plen));
    json_object_set_new(o, "actual_length_s", json_real((double)llround(len * 1000) / 1000));
    json_object_set_new(o, "from_s", json_real((double)llround(from * 1000) / 1000));
    json_object_set_new(o, "complete", json_boolean(complete));
    char why[160] = "";
    if (!complete) {
        if (from >= 0.05)
            snprintf(why, sizeof why, "joined %.1f s into the item", from);
        if (len < plen - from - 0.5)
            snprintf(why + strlen(why), sizeof why - strlen(why), "%s%s", why[0] ? "; " : "", end_why);
    }
    json_object_set_new(o, "cut_reason", complete ? json_null() : json_string(why[0] ? why : "interrupted"));
    json_t *meta = air_item_meta(p, i);
    json_object_update(o, meta);
    json_decref(meta);
    json_t *outs = json_array(), *oj = json_object();
    json_object_set_new(oj, "output", json_string("liquidsoap"));
    json_object_set_new(oj, "actual_start_utc", json_object_get(o, "actual_start_utc") ? json_deep_copy(json_object_get(o, "actual_start_utc")) : json_null());
    json_object_set_new(oj, "actual_length_s", json_real((double)llround(len * 1000) / 1000));
    json_object_set_new(oj, "complete", json_boolean(complete));
    json_array_append_new(outs, oj);
    json_object_set_new(o, "outputs", outs);
    json_object_set_new(o, "source", json_string(source));
    *planned_out = planned;
    return o;
}

int cw_asrun_import_liquidsoap(const cw_station *st, const char *log_path, size_t *n_items, size_t *n_skipped,
                               cw_diags *diags, cw_error *err)
{
    *n_items = *n_skipped = 0;
    FILE *fp = fopen(log_path, "r");
    if (!fp)
        return cw_fail(err, errno == ENOENT ? CW_ENOTFOUND : CW_EIO, log_path, 0, "cannot open '%s': %s", log_path,
                       strerror(errno));
    ev *v = NULL;
    size_t n = 0, cap = 0;
    char *line = NULL;
    size_t lcap = 0;
    int ln = 0, rc = 0;
    while (!rc && getline(&line, &lcap, fp) > 0) {
        ln++;
        ev e;
        int r = parse_line(line, ln, &e);
        if (r < 0)
            rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        if (r <= 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            ev *nv = realloc(v, cap * sizeof *nv);
            if (!nv) {
                ev_clear(&e);
                rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
                break;
            }
            v = nv;
        }
        v[n++] = e;
    }
    free(line);
    fclose(fp);
    if (!rc && n == 0)
        rc = cw_fail(err, CW_EINVAL, log_path, 0,
                     "no chalkwave-asrun lines in '%s' (is it the log of examples/liquidsoap/air.liq?)", log_path);
    cw_tz *tz = NULL;
    if (!rc)
        rc = cw_tz_open(&tz, st->timezone ? st->timezone : "UTC", err);
    char *source = cw_asprintf("liquidsoap:%s", cw_path_base(log_path));
    cw_plan *plan = NULL;
    cw_date pdate = {0, 0, 0};
    for (size_t i = 0; !rc && i < n; i++) {
        const ev *e = &v[i];
        if (e->kind == EV_BEGIN && i > 0) { /* Liquidsoap was (re)started: the time it was not playing */
            const ev *prev = &v[i - 1];
            int64_t from = prev->ns;
            char a[32], b[32];
            air_fmt_utc(from, a);
            air_fmt_utc(e->ns, b);
            json_t *g = json_object();
            json_object_set_new(g, "record", json_string("gap"));
            air_time_pair(g, tz, "start", from);
            air_time_pair(g, tz, "end", e->ns);
            json_object_set_new(g, "length_s", json_real((double)(e->ns - from) / AIR_NS));
            json_object_set_new(g, "reason", json_string("liquidsoap stopped"));
            json_object_set_new(g, "output", json_string("liquidsoap"));
            json_object_set_new(g, "detail", json_string(prev->kind == EV_STOP ? "stopped" : "its log ends without a stop (killed?)"));
            json_object_set_new(g, "source", json_string(source));
            char k1[64];
            snprintf(k1, sizeof k1, "\"start_utc\":\"%s\"", a);
            (void)b;
            if (!already_has(st, tz, from, k1, "\"reason\":\"liquidsoap stopped\"") && e->ns > from)
                rc = append(st, tz, from, g, err);
            json_decref(g);
            continue;
        }
        if (e->kind != EV_START || !e->planned[0])
            continue; /* silence between blocks */
        size_t item;
        char why[200];
        if (match(st, e, &plan, &pdate, &item, why) != 0) {
            cw_diags_addf(diags, CW_DIAG_WARNING, "asrun.no-match", log_path, e->line, NULL,
                          "the track '%s' matches no plan item: %s (left out)", e->title, why);
            continue;
        }
        /* it played until the next event of the log (the next track, a stop, a restart) */
        int64_t end = i + 1 < n ? v[i + 1].ns : e->ns;
        const char *end_why = i + 1 >= n ? "the log ends here" : v[i + 1].kind == EV_STOP ? "liquidsoap stopped"
                                                               : v[i + 1].kind == EV_BEGIN ? "liquidsoap was restarted"
                                                                                           : "the next track began early";
        int64_t planned;
        json_t *o = item_record(tz, plan, item, e, end, source ? source : "liquidsoap", end_why, &planned);
        char pu[32], au[32];
        air_fmt_utc(planned, pu);
        air_fmt_utc(e->ns, au);
        if (already(st, tz, e->ns, pu, au)) {
            (*n_skipped)++;
        } else {
            rc = append(st, tz, e->ns, o, err);
            if (!rc)
                (*n_items)++;
        }
        json_decref(o);
    }
    cw_plan_free(plan);
    cw_tz_free(tz);
    free(source);
    ev_free(v, n);
    return rc;
}
