/* ics.c — the station's broadcast schedule as iCalendar (export command, schedule.ics).
 * Lessons and newsletters become events (fillers and silence are station sound, not
 * programmes); serialisation is cw_cal_export's.
 * Guarantees: UIDs depend only on station, date, start and recording; DTSTAMP is the
 * earliest window start of the plans, so the same plans give the same bytes. */
#include "playlists_int.h"

#include <stdlib.h>
#include <string.h>

static int wanted(const cw_plan_item *pi)
{
    return pi->kind == CW_KIND_LESSON || pi->kind == CW_KIND_NEWSLETTER;
}

int cw_plans_to_ics(const cw_station *st, cw_plan *const *plans, size_t n, char **out,
                    size_t *out_len, cw_error *err)
{
    *out = NULL;
    *out_len = 0;
    size_t total = 0;
    int64_t dtstamp = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < plans[i]->n_items; j++)
            total += wanted(&plans[i]->items[j]);
        if (i == 0 || plans[i]->window_start_utc < dtstamp)
            dtstamp = plans[i]->window_start_utc;
    }
    cw_export_event *ev = calloc(total ? total : 1, sizeof *ev);
    cw_strlist strings = {0}; /* owns every string the events point to */
    if (!ev)
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    const char *zone = n && plans[0]->timezone && plans[0]->timezone[0] ? plans[0]->timezone
                       : st && st->timezone                              ? st->timezone
                                                                        : "UTC";
    char *station = cw_pl_clean(st && st->name ? st->name : "chalkwave");
    int rc = station ? 0 : cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    size_t k = 0;
    /* strings are pushed first and their pointers taken after: the list may move them */
    size_t *first_str = calloc(total ? total : 1, sizeof *first_str);
    if (!first_str)
        rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    for (size_t i = 0; !rc && i < n; i++) {
        const cw_plan *p = plans[i];
        char date[11];
        cw_date_format(p->date, date);
        for (size_t j = 0; !rc && j < p->n_items; j++) {
            const cw_plan_item *pi = &p->items[j];
            if (!wanted(pi))
                continue;
            cw_export_event *e = &ev[k];
            e->start = pi->start_utc_ms >= 0 ? pi->start_utc_ms / 1000 : -((-pi->start_utc_ms + 999) / 1000);
            e->end = e->start + (pi->length_samples + p->rate - 1) / p->rate;
            e->episode = pi->episode;
            /* UID: a hash of what identifies this broadcast */
            char key[2048];
            snprintf(key, sizeof key, "%s\n%s\n%lld\n%s", st && st->name ? st->name : "", date,
                     (long long)pi->start_utc_ms, pi->recording ? pi->recording : "");
            cw_sha256 *h = cw_sha256_new();
            char hex[65];
            if (!h) {
                rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
                break;
            }
            cw_sha256_update(h, key, strlen(key));
            cw_sha256_final(h, hex);
            hex[24] = 0;
            char *title = cw_pl_clean(pi->title && pi->title[0] ? pi->title : pi->series);
            char *teacher = cw_pl_clean(pi->teacher);
            char *series = cw_pl_clean(pi->series);
            char *lang = cw_pl_clean(pi->language);
            if (!title || !teacher || !series || !lang) {
                rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
            } else {
                first_str[k] = strings.n;
                cw_strlist_pushf(&strings, "%s@chalkwave", hex);                      /* uid */
                cw_strlist_push(&strings, title[0] ? title : cw_kind_name(pi->kind)); /* summary */
                cw_strlist_pushf(&strings, "%s on %s%s%s", cw_kind_name(pi->kind), station,
                                 pi->repeat ? " (repeat)" : "",
                                 pi->cut ? " (shortened to fit)" : ""); /* description */
                cw_strlist_push(&strings, cw_kind_name(pi->kind));                    /* categories */
                cw_strlist_push(&strings, series);
                cw_strlist_push(&strings, teacher);
                cw_strlist_push(&strings, lang);
                if (strings.n != first_str[k] + 7)
                    rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
                k++;
            }
            free(title);
            free(teacher);
            free(series);
            free(lang);
        }
    }
    for (size_t i = 0; !rc && i < k; i++) {
        char **s = strings.v + first_str[i];
        ev[i].uid = s[0];
        ev[i].summary = s[1];
        ev[i].description = s[2];
        ev[i].categories = s[3];
        ev[i].series = s[4][0] ? s[4] : NULL;
        ev[i].teacher = s[5][0] ? s[5] : NULL;
        ev[i].language = s[6][0] ? s[6] : NULL;
    }
    if (!rc) {
        char calname[512];
        snprintf(calname, sizeof calname, "%s broadcast schedule", station);
        rc = cw_cal_export(ev, k, zone, calname, dtstamp, out, out_len, err);
    }
    free(first_str);
    free(station);
    cw_strlist_free(&strings);
    free(ev);
    return rc;
}
