/* test_timetable.c — the guide and the exported schedule from the plan's slots (issue #14
 * points 2 and 3), from a plan made in memory: a lesson whose recording has not arrived is
 * its own guide row saying so and what plays instead (also when no item plays for it);
 * silence longer than the limit is a dead-air row and a warning at the top; cancelled,
 * holiday-blocked and held lessons are listed with why; the export holds every lesson and
 * newsletter slot planned to air titled by the partner's event with its episode (the
 * missing ones included, cancelled ones not) and the repeat outside any slot, and does not
 * change when the missing recording arrives. python3-icalendar reads the export back
 * (test_playlists_ics_peer; exit 77 when it is not installed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "../peers.h"
#include "playlists_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RATE 22050

static const char *PY_CHECK;

typedef struct it_lit {
    int64_t at_s, len_s; /* from 07:00 */
    cw_kind kind;
    const char *title, *series;
    int episode, repeat;
} it_lit;

typedef struct sl_lit {
    cw_kind kind;
    cw_slot_status status;
    int64_t start_s, end_s; /* from 07:00 */
    const char *summary, *series, *teacher;
    int episode;
    size_t first, n;
    const char *reason, *uid;
} sl_lit;

static const it_lit items[] = {
    {0, 60, CW_KIND_LESSON, "Fractions", "maths-g5", 1, 0},
    {60, 30, CW_KIND_FILLER, "Station ID", "station-id", 0, 0},
    {90, 30, CW_KIND_FILLER, "Music bed", "music-bed", 0, 0},
    {120, 15, CW_KIND_SILENCE, "", "", 0, 0},
    {135, 45, CW_KIND_FILLER, "Music bed", "music-bed", 0, 0},
    {180, 5, CW_KIND_SILENCE, "", "", 0, 0},
    {185, 55, CW_KIND_NEWSLETTER, "Reading competition", "school-news", 0, 0},
    {240, 60, CW_KIND_LESSON, "Fractions", "maths-g5", 1, 1},
};
#define N_ITEMS (sizeof items / sizeof items[0])

static const sl_lit slots[] = {
    {CW_KIND_LESSON, CW_SLOT_AIRS, 0, 60, "Maths Grade 5", "maths-g5", "Mrs A", 1, 0, 1, "", "m@x"},
    {CW_KIND_LESSON, CW_SLOT_MISSING, 60, 120, "English Grade 4", "english-g4", "Mr B", 2, 1, 2, "", "e@x"},
    {CW_KIND_NEWSLETTER, CW_SLOT_AIRS, 185, 240, "School news", "school-news", "", 0, 6, 1, "", "n@x"},
    {CW_KIND_LESSON, CW_SLOT_CANCELLED, 300, 360, "Science Grade 6", "science-g6", "Ms C", 3, 0, 0,
     "the partner cancelled it (STATUS:CANCELLED)", "s@x"},
    {CW_KIND_BLACKOUT, CW_SLOT_AIRS, 0, 86400, "Staff training", "", "", 0, 0, 0, "", "b@x"},
    {CW_KIND_LESSON, CW_SLOT_HELD, 360, 420, "History <7>", "history-7", "", 4, 0, 0, "the station holds the series",
     "h@x"},
    {CW_KIND_LESSON, CW_SLOT_MISSING, 480, 540, "Kiswahili & \"Swahili\"", "kiswahili", "Bi D", 1, 0, 0, "", "k@x"},
};
#define N_SLOTS (sizeof slots / sizeof slots[0])

static cw_plan *timetable_plan(void)
{
    cw_plan *p = calloc(1, sizeof *p);
    p->date = (cw_date){2027, 1, 13};
    p->timezone = cw_strdup("Africa/Lagos");
    p->rate = RATE;
    p->channels = 1;
    int64_t t0 = cw_days_from_civil(2027, 1, 13) * 86400 + 6 * 3600; /* 07:00 Lagos */
    p->window_start_utc = t0;
    p->window_end_utc = t0 + 300;
    p->start_offset = p->end_offset = 3600;
    p->n_items = N_ITEMS;
    p->items = calloc(N_ITEMS, sizeof *p->items);
    for (size_t i = 0; i < N_ITEMS; i++) {
        cw_plan_item *x = &p->items[i];
        x->offset_samples = items[i].at_s * RATE;
        x->length_samples = items[i].len_s * RATE;
        x->start_utc_ms = (t0 + items[i].at_s) * 1000;
        x->kind = items[i].kind;
        x->title = cw_strdup(items[i].title);
        x->teacher = cw_strdup("");
        x->language = cw_strdup("en");
        x->series = cw_strdup(items[i].series);
        x->episode = items[i].episode;
        x->repeat = items[i].repeat;
        x->recording = items[i].kind == CW_KIND_SILENCE ? NULL : cw_strdup("library/x.ogg");
    }
    p->n_slots = N_SLOTS;
    p->slots = calloc(N_SLOTS, sizeof *p->slots);
    for (size_t k = 0; k < N_SLOTS; k++) {
        cw_plan_slot *s = &p->slots[k];
        s->kind = slots[k].kind;
        s->status = slots[k].status;
        s->start_utc = t0 + slots[k].start_s;
        s->end_utc = t0 + slots[k].end_s;
        s->summary = cw_strdup(slots[k].summary);
        s->series = cw_strdup(slots[k].series);
        s->teacher = cw_strdup(slots[k].teacher);
        s->language = cw_strdup("en");
        s->episode = slots[k].episode;
        s->first_item = slots[k].first;
        s->n_items = slots[k].n;
        s->reason = cw_strdup(slots[k].reason);
        s->event_file = cw_strdup("partner.ics");
        s->event_uid = cw_strdup(slots[k].uid);
    }
    assert_int_equal(cw_plan_compute_blocks(p), 0);
    return p;
}

static size_t count_of(const char *h, const char *needle)
{
    size_t n = 0;
    for (const char *c = h; (c = strstr(c, needle)) != NULL; c++)
        n++;
    return n;
}

static void test_guide_rows(void **state)
{
    (void)state;
    cw_plan *p = timetable_plan();
    cw_station st = {0};
    st.name = (char *)"Radio Kisumu";
    st.timezone = (char *)"Africa/Lagos";
    cw_pl_view *v;
    cw_error err;
    assert_int_equal(cw_pl_view_new(&v, &st, p, NULL, &err), 0);
    cw_buf h, t;
    cw_buf_init(&h);
    cw_buf_init(&t);
    cw_pl_write_guide_html(v, &h);
    cw_pl_write_guide_txt(v, &t);
    cw_buf_append(&h, "", 0);
    cw_buf_append(&t, "", 0);
    assert_false(h.oom || t.oom);

    /* rows: lesson, missing (English), dead air, between programmes (2), newsletter,
     * repeat, missing without items (Kiswahili) */
    assert_int_equal(count_of(h.data, "<tr class="), 7);
    assert_int_equal(count_of(h.data, "<tr class=\"r-missing\">"), 2);
    assert_int_equal(count_of(h.data, "<tr class=\"r-dead\">"), 1);
    assert_int_equal(count_of(h.data, "<tr class=\"r-fill\">"), 1);
    assert_non_null(strstr(h.data, "<tr class=\"r-missing\"><td class=\"time\">07:01</td><td><strong>English Grade 4, "
                                   "episode 2</strong><br><span class=\"note\">lesson: the recording has not arrived; "
                                   "instead: Station ID, Music bed</span></td><td>Mr B</td><td>english-g4</td>"
                                   "<td>en</td><td class=\"len\">1:00</td></tr>"));
    assert_non_null(strstr(h.data, "<tr class=\"r-dead\"><td class=\"time\">07:02&ndash;07:02</td><td colspan=\"4\">"
                                   "<strong>Dead air</strong><br><span class=\"note\">Silence (1 item)</span></td>"
                                   "<td class=\"len\">0:15</td></tr>"));
    assert_non_null(strstr(h.data, "<p class=\"warn\"><strong>Dead air</strong> 07:02&ndash;07:02: 0:15 of silence"));
    assert_non_null(strstr(h.data, "Music bed, Silence (2 items)"));
    /* the lesson with no item of its own comes last, at its own time, escaped */
    const char *kis = strstr(h.data, "<tr class=\"r-missing\"><td class=\"time\">07:08</td><td><strong>Kiswahili &amp; "
                                     "&quot;Swahili&quot;, episode 1</strong>");
    assert_non_null(kis);
    assert_true(kis > strstr(h.data, "<tr class=\"r-lesson\"><td class=\"time\">07:04</td>"));
    /* not broadcast today: cancelled and held, with why; the holiday event itself is not a lesson */
    assert_non_null(strstr(h.data, "<h2>Not broadcast today</h2>\n<ul>\n<li><strong>07:05</strong> Science Grade 6, "
                                   "episode 3 &mdash; cancelled: the partner cancelled it (STATUS:CANCELLED)</li>\n"
                                   "<li><strong>07:06</strong> History &lt;7&gt;, episode 4 &mdash; series held by the "
                                   "station: the station holds the series</li>\n</ul>\n"));
    assert_null(strstr(h.data, "Staff training"));
    if (system("command -v xmllint >/dev/null 2>&1") == 0) {
        FILE *fp = fopen("guide-timetable.html", "w");
        fputs(h.data, fp);
        fclose(fp);
        assert_int_equal(system("xmllint --html --noout guide-timetable.html 2>&1 | head -c 1 | wc -c | grep -qx 0"), 0);
        remove("guide-timetable.html");
    }

    /* the text guide says the same */
    assert_non_null(strstr(t.data, "WARNING: dead air 07:02-07:02: 0:15 of silence (the station's limit is 10 s)\n\n"));
    assert_non_null(strstr(t.data, "07:01  English Grade 4, episode 2 (lesson) - MISSING: the recording has not "
                                   "arrived; instead: Station ID, Music bed\n"));
    assert_non_null(strstr(t.data, "07:02  DEAD AIR: Silence (1 item, 0:15)\n"));
    assert_non_null(strstr(t.data, "07:08  Kiswahili & \"Swahili\", episode 1 (lesson) - MISSING"));
    assert_non_null(strstr(t.data, "\nNot broadcast today:\n07:05  Science Grade 6, episode 3 - cancelled: the partner "
                                   "cancelled it (STATUS:CANCELLED)\n07:06  History <7>, episode 4 - series held by the "
                                   "station: the station holds the series\n"));
    cw_buf_free(&h);
    cw_buf_free(&t);
    cw_pl_view_free(v);
    cw_plan_free(p);
}

static char *export(cw_plan *p, size_t *len)
{
    cw_station st = {0};
    st.name = (char *)"Radio Kisumu";
    st.timezone = (char *)"Africa/Lagos";
    char *ics = NULL;
    cw_error err;
    cw_plan *const plans[1] = {p};
    assert_int_equal(cw_plans_to_ics(&st, plans, 1, &ics, len, &err), 0);
    return ics;
}

static void test_export_from_slots(void **state)
{
    (void)state;
    cw_plan *p = timetable_plan();
    size_t len = 0;
    char *ics = export(p, &len);
    /* five events: three slots with items, the slot with none, the repeat */
    assert_int_equal(count_of(ics, "BEGIN:VEVENT"), 5);
    assert_non_null(strstr(ics, "SUMMARY:Maths Grade 5\\, episode 1\r\n"));
    assert_non_null(strstr(ics, "SUMMARY:English Grade 4\\, episode 2\r\n"));
    assert_non_null(strstr(ics, "SUMMARY:School news\r\n"));
    assert_non_null(strstr(ics, "SUMMARY:Kiswahili & \"Swahili\"\\, episode 1\r\n"));
    assert_non_null(strstr(ics, "SUMMARY:Fractions\r\n")); /* the repeat, titled by its recording */
    assert_null(strstr(ics, "Science"));
    assert_null(strstr(ics, "History"));
    assert_null(strstr(ics, "Staff training"));
    assert_null(strstr(ics, "Station ID"));
    assert_non_null(strstr(ics, "DTSTART;TZID=Africa/Lagos:20270113T070100\r\n"));
    /* the English recording arrives: the export does not change */
    cw_plan_slot *en = &p->slots[1];
    en->status = CW_SLOT_AIRS;
    free(p->items[1].title);
    p->items[1].title = cw_strdup("Nouns");
    p->items[1].kind = CW_KIND_LESSON;
    size_t len2 = 0;
    char *ics2 = export(p, &len2);
    assert_int_equal(len, len2);
    assert_memory_equal(ics, ics2, len);
    free(ics2);
    /* a plan without slots (an older plan.json) still exports what airs */
    for (size_t k = 0; k < p->n_slots; k++) {
        free(p->slots[k].summary);
        free(p->slots[k].series);
        free(p->slots[k].teacher);
        free(p->slots[k].language);
        free(p->slots[k].reason);
        free(p->slots[k].event_file);
        free(p->slots[k].event_uid);
    }
    p->n_slots = 0;
    char *ics3 = export(p, &len2);
    assert_int_equal(count_of(ics3, "BEGIN:VEVENT"), 4); /* Fractions, Nouns, the newsletter, the repeat */
    free(ics3);
    free(ics);
    cw_plan_free(p);
}

/* python3-icalendar reads the export back: every event, its summary and start. */
static void test_export_read_back(void **state)
{
    (void)state;
    cw_plan *p = timetable_plan();
    size_t len = 0;
    char *ics = export(p, &len);
    FILE *fp = fopen("timetable.ics", "wb");
    assert_non_null(fp);
    fwrite(ics, 1, len, fp);
    fclose(fp);
    char *cmd = cw_asprintf("%s - timetable.ics > timetable.txt <<'EOF'\n"
                            "import sys, icalendar\n"
                            "cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())\n"
                            "for e in sorted(cal.walk('VEVENT'), key=lambda e: e.decoded('dtstart')):\n"
                            "    print('%%s|%%s|%%s|%%s' %% (e.decoded('dtstart').strftime('%%H:%%M'),\n"
                            "          e.decoded('dtend').strftime('%%H:%%M'), e.get('summary'), e.get('categories').to_ical().decode()))\n"
                            "EOF",
                            PY_CHECK);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    char *out = NULL;
    size_t n = 0;
    cw_error err;
    assert_int_equal(cw_read_file("timetable.txt", 1 << 20, &out, &n, &err), 0);
    assert_string_equal(out, "07:00|07:01|Maths Grade 5, episode 1|lesson\n"
                             "07:01|07:02|English Grade 4, episode 2|lesson\n"
                             "07:03|07:04|School news|newsletter\n"
                             "07:04|07:05|Fractions|lesson\n"
                             "07:08|07:09|Kiswahili & \"Swahili\", episode 1|lesson\n");
    free(out);
    remove("timetable.ics");
    remove("timetable.txt");
    free(ics);
    cw_plan_free(p);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--icalendar")) {
        /* the peer check alone: skipped (77) without python3-icalendar */
        PY_CHECK = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
        char *probe = cw_asprintf("%s -c 'import icalendar' >/dev/null 2>&1", PY_CHECK);
        int have = system(probe) == 0;
        free(probe);
        if (!have) {
            cw_peer_missing("python3-icalendar");
            return cw_peer_exit(0);
        }
        const struct CMUnitTest peer[] = {cmocka_unit_test(test_export_read_back)};
        return cmocka_run_group_tests(peer, NULL, NULL);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_guide_rows),
        cmocka_unit_test(test_export_from_slots),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
