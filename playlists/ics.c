/* ics.c — the station's broadcast schedule as iCalendar (export command, schedule.ics): a
 * timetable schools can subscribe to before the recordings exist. Every partner lesson and
 * newsletter slot planned to air is an event titled by the partner's event (SUMMARY, with
 * the episode), whether or not its recording has arrived; lessons and newsletters the
 * plan places outside any slot (repeats, newsletters in gaps) are events too, titled by the
 * recording. Fillers and silence are station sound, not programmes; cancelled lessons,
 * holidays, conflicts lost and held series do not air and are left out. Serialisation is
 * cw_cal_export's. A plan without slots (read from an older plan.json) exports its items.
 * Guarantees: UIDs of slot events depend on the station and the partner's event instance
 * (UID and RECURRENCE-ID, else its start), so they survive the recording arriving; those
 * of item events on station, date, start and recording; DTSTAMP is the earliest window
 * start of the plans, so the same plans give the same bytes. */
#include "playlists_int.h"

#include <stdlib.h>
#include <string.h>

static int wanted(const cw_plan_item *pi)
{
    return pi->kind == CW_KIND_LESSON || pi->kind == CW_KIND_NEWSLETTER;
}

static int slot_airs(const cw_plan_slot *sl)
{
    return (sl->kind == CW_KIND_LESSON || sl->kind == CW_KIND_NEWSLETTER) &&
           (sl->status == CW_SLOT_AIRS || sl->status == CW_SLOT_MISSING || sl->status == CW_SLOT_PENDING);
}

/* Item j of p is what a slot planned to air plays: it is exported as that slot. */
static int in_slot(const cw_plan *p, size_t j)
{
    for (size_t k = 0; k < p->n_slots; k++)
        if (slot_airs(&p->slots[k]) && j >= p->slots[k].first_item && j < p->slots[k].first_item + p->slots[k].n_items)
            return 1;
    return 0;
}

static void uid_of(const char *key, char out[64])
{
    cw_sha256 *h = cw_sha256_new();
    char hex[65] = {0};
    if (h) {
        cw_sha256_update(h, key, strlen(key));
        cw_sha256_final(h, hex);
    }
    hex[24] = 0;
    snprintf(out, 64, "%.24s@chalkwave", hex);
}

/* The strings of one event, pushed to `strings` in the order take_event reads them. */
typedef struct ev_text {
    const char *uid_key, *summary, *series, *teacher, *language;
    cw_kind kind;
    int repeat, cut;
} ev_text;

static int push_event(cw_strlist *strings, const char *station, const ev_text *t)
{
    char uid[64];
    uid_of(t->uid_key, uid);
    char *summary = cw_pl_clean(t->summary), *series = cw_pl_clean(t->series);
    char *teacher = cw_pl_clean(t->teacher), *lang = cw_pl_clean(t->language);
    size_t before = strings->n;
    if (summary && series && teacher && lang) {
        cw_strlist_push(strings, uid);
        cw_strlist_push(strings, summary[0] ? summary : cw_kind_name(t->kind));
        cw_strlist_pushf(strings, "%s on %s%s%s", cw_kind_name(t->kind), station, t->repeat ? " (repeat)" : "",
                         t->cut ? " (shortened to fit)" : ""); /* description */
        cw_strlist_push(strings, cw_kind_name(t->kind));     /* categories */
        cw_strlist_push(strings, series);
        cw_strlist_push(strings, teacher);
        cw_strlist_push(strings, lang);
    }
    free(summary);
    free(series);
    free(teacher);
    free(lang);
    return strings->n == before + 7 ? 0 : CW_ENOMEM;
}

static void take_event(cw_export_event *e, char **s)
{
    e->uid = s[0];
    e->summary = s[1];
    e->description = s[2];
    e->categories = s[3];
    e->series = s[4][0] ? s[4] : NULL;
    e->teacher = s[5][0] ? s[5] : NULL;
    e->language = s[6][0] ? s[6] : NULL;
}

/* The events of one plan, appended to ev[*k] (times and episode) and strings. */
static int plan_events(const cw_station *st, const cw_plan *p, const char *station, cw_export_event *ev, size_t *k,
                       size_t *first_str, cw_strlist *strings)
{
    char date[11];
    cw_date_format(p->date, date);
    const char *sname = st && st->name ? st->name : "";
    int rc = 0;
    for (size_t j = 0; !rc && j < p->n_slots; j++) {
        const cw_plan_slot *sl = &p->slots[j];
        if (!slot_airs(sl))
            continue;
        const char *name = sl->summary && sl->summary[0] ? sl->summary : sl->series ? sl->series : "";
        char *title = sl->episode > 0 ? cw_asprintf("%s, episode %d", name, sl->episode) : cw_strdup(name);
        char *key = cw_asprintf("%s\nslot\n%s\n%s\n%lld", sname, sl->event_uid ? sl->event_uid : "",
                                sl->event_recurrence_id ? sl->event_recurrence_id : "", (long long)sl->start_utc);
        ev[*k].start = sl->start_utc;
        ev[*k].end = sl->end_utc > sl->start_utc ? sl->end_utc : sl->start_utc + 1;
        ev[*k].episode = sl->episode;
        first_str[*k] = strings->n;
        ev_text t = {key, title, sl->series, sl->teacher, sl->language, sl->kind, 0, 0};
        rc = title && key ? push_event(strings, station, &t) : CW_ENOMEM;
        (*k)++;
        free(title);
        free(key);
    }
    for (size_t j = 0; !rc && j < p->n_items; j++) {
        const cw_plan_item *pi = &p->items[j];
        if (!wanted(pi) || in_slot(p, j))
            continue;
        cw_export_event *e = &ev[*k];
        e->start = pi->start_utc_ms >= 0 ? pi->start_utc_ms / 1000 : -((-pi->start_utc_ms + 999) / 1000);
        e->end = e->start + (pi->length_samples + p->rate - 1) / p->rate;
        e->episode = pi->episode;
        /* UID: a hash of what identifies this broadcast */
        char key[2048];
        snprintf(key, sizeof key, "%s\n%s\n%lld\n%s", sname, date, (long long)pi->start_utc_ms,
                 pi->recording ? pi->recording : "");
        first_str[*k] = strings->n;
        ev_text t = {key, pi->title && pi->title[0] ? pi->title : pi->series, pi->series, pi->teacher, pi->language,
                     pi->kind, pi->repeat, pi->cut};
        rc = push_event(strings, station, &t);
        (*k)++;
    }
    return rc;
}

int cw_plans_to_ics(const cw_station *st, cw_plan *const *plans, size_t n, char **out,
                    size_t *out_len, cw_error *err)
{
    *out = NULL;
    *out_len = 0;
    size_t total = 0;
    int64_t dtstamp = 0;
    for (size_t i = 0; i < n; i++) {
        total += plans[i]->n_items + plans[i]->n_slots;
        if (i == 0 || plans[i]->window_start_utc < dtstamp)
            dtstamp = plans[i]->window_start_utc;
    }
    cw_export_event *ev = calloc(total ? total : 1, sizeof *ev);
    size_t *first_str = calloc(total ? total : 1, sizeof *first_str);
    cw_strlist strings = {0}; /* owns every string the events point to */
    char *station = cw_pl_clean(st && st->name ? st->name : "chalkwave");
    const char *zone = n && plans[0]->timezone && plans[0]->timezone[0] ? plans[0]->timezone
                       : st && st->timezone                              ? st->timezone
                                                                        : "UTC";
    int rc = ev && first_str && station ? 0 : CW_ENOMEM;
    size_t k = 0;
    /* strings are pushed first and their pointers taken after: the list may move them */
    for (size_t i = 0; !rc && i < n; i++)
        rc = plan_events(st, plans[i], station, ev, &k, first_str, &strings);
    if (rc)
        rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    for (size_t i = 0; !rc && i < k; i++)
        take_event(&ev[i], strings.v + first_str[i]);
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
