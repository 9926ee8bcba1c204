/* fuzz_asrun.c — libFuzzer target for the two readers of playout logs: the first byte picks
 *   even: the bytes are a day's as-run log (asrun/DATE.jsonl) read by `chalkwave report`,
 *         written out as HTML, CSV and JSON (the JSON must parse again);
 *   odd:  the bytes are a Liquidsoap log read by `chalkwave asrun import` (lines naming
 *         bundle items of a day that has no bundle: warnings, never a write; a restart line
 *         makes a gap record, which must parse as JSON).
 * Any bytes: a result or one error, never a crash, leak or hang. A scratch station in
 * $TMPDIR (or /tmp) is made once and removed at exit. */
#include "air.h"

#include <dirent.h>
#include <ftw.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *dir;
static cw_station *st;

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    return flag == FTW_DP ? rmdir(p) : unlink(p);
}

static void cleanup(void)
{
    if (dir)
        nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
    cw_station_free(st);
    free(dir);
}

static void setup(void)
{
    if (st)
        return;
    const char *t = getenv("TMPDIR");
    dir = cw_asprintf("%s/cw-fuzz-asrun-XXXXXX", t && *t ? t : "/tmp");
    if (!dir || !mkdtemp(dir))
        abort();
    static const char conf[] = "[station]\nname = Fuzz\ntimezone = Africa/Lagos\non_air = 06:00-22:00\n\n"
                               "[audio]\nrate = 8000\nchannels = 1\nquality = 1\nloudness = -23\ntrue_peak = -1\n";
    char *p = cw_path_join(dir, "station.conf"), *a = cw_path_join(dir, "asrun");
    cw_error err = {0};
    if (cw_write_file_atomic(p, conf, sizeof conf - 1, &err) || cw_mkdir_p(a, &err) || cw_station_load(&st, dir, &err))
        abort();
    free(p);
    free(a);
    atexit(cleanup);
}

/* Two lessons on 2027-01-11 (09:00 and 10:00 Lagos), one of them missing. */
static int plan_for(void *user, cw_date date, cw_plan **out, cw_error *err)
{
    (void)user;
    (void)err;
    cw_plan *p = calloc(1, sizeof *p);
    p->date = date;
    p->timezone = cw_strdup("Africa/Lagos");
    p->rate = 8000;
    p->channels = 1;
    p->slots = calloc(2, sizeof *p->slots);
    for (int i = 0; i < 2; i++) {
        cw_plan_slot *s = &p->slots[p->n_slots++];
        s->kind = CW_KIND_LESSON;
        s->status = i ? CW_SLOT_MISSING : CW_SLOT_AIRS;
        s->start_utc = (cw_days_from_civil(2027, 1, 11) * 86400) + (8 + i) * 3600;
        s->end_utc = s->start_utc + 1800;
        s->summary = cw_strdup(i ? "English" : "Maths");
        s->series = cw_strdup(i ? "english-4" : "maths-5");
        s->teacher = cw_strdup("");
        s->language = cw_strdup("en");
        s->event_file = cw_strdup("ministry.ics");
        s->event_uid = cw_strdup(i ? "english@m" : "maths@m");
        s->reason = cw_strdup(i ? "episode 2 has not arrived" : "");
    }
    *out = p;
    return 0;
}

static void clear_asrun(void)
{
    char *a = cw_path_join(dir, "asrun");
    DIR *d = opendir(a);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *f = cw_path_join(a, e->d_name);
        unlink(f);
        free(f);
    }
    if (d)
        closedir(d);
    free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup();
    if (size < 1)
        return 0;
    int mode = data[0] & 1;
    data++;
    size--;
    clear_asrun(); /* each input on its own: a report's day file is not left for the import's check */
    cw_error err = {0};
    char *path = cw_path_join(dir, mode ? "air.log" : "asrun/2027-01-11.jsonl");
    if (!path || cw_write_file_atomic(path, data, size, &err))
        abort();
    if (!mode) {
        cw_report *r = NULL;
        cw_diags d = {0};
        cw_report_opts o = {{2027, 1, 11}, {2027, 1, 11}, NULL, plan_for, NULL};
        if (cw_report_build(&r, st, &o, &d, &err) == 0) {
            for (int f = 0; f < 3; f++) {
                cw_buf b;
                cw_buf_init(&b);
                if (cw_report_write(r, (cw_report_format)f, &b) != 0)
                    abort();
                if (f == CW_REPORT_JSON) {
                    json_error_t je;
                    json_t *j = json_loadb(b.data, b.len, 0, &je);
                    if (!j)
                        abort();
                    json_decref(j);
                }
                cw_buf_free(&b);
            }
        }
        cw_report_free(r);
        cw_diags_free(&d);
    } else {
        size_t added = 0, skipped = 0;
        cw_diags d = {0};
        int rc = cw_asrun_import_liquidsoap(st, path, &added, &skipped, &d, &err);
        if (added) /* there is no bundle: nothing can match */
            abort();
        if (rc == 0) {
            /* what it wrote (gaps) is JSON, one object a line */
            char *a = cw_path_join(dir, "asrun");
            DIR *dd = opendir(a);
            struct dirent *e;
            while (dd && (e = readdir(dd)) != NULL) {
                if (e->d_name[0] == '.')
                    continue;
                char *f = cw_path_join(a, e->d_name);
                FILE *fp = fopen(f, "r");
                char *line = NULL;
                size_t cap = 0;
                while (fp && getline(&line, &cap, fp) > 0) {
                    json_error_t je;
                    json_t *j = json_loads(line, 0, &je);
                    if (!json_is_object(j))
                        abort();
                    json_decref(j);
                }
                free(line);
                if (fp)
                    fclose(fp);
                free(f);
            }
            if (dd)
                closedir(dd);
            free(a);
        }
        cw_diags_free(&d);
        clear_asrun();
    }
    free(path);
    return 0;
}
