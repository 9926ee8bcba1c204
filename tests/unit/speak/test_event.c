/* test_event.c — filing spoken text (speak/speak.c) in a real station folder: a partner's
 * newsletter event with Text: becomes a newsletter valid on its day only, in a series of
 * its own (derived from the UID when the event has none); speaking it again finds it in the
 * library; a text file with a header and a note beside it (cw_speak_file) takes its
 * metadata from both, the header first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "speak.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/cw-speak-event-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    char st[128];
    snprintf(st, sizeof st, "%s/st", dir);
    cw_error err;
    return cw_station_init(st, &err);
}

static int teardown(void **state)
{
    (void)state;
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

static cw_station *load(void)
{
    char st[128];
    snprintf(st, sizeof st, "%s/st", dir);
    cw_station *s = NULL;
    cw_error err;
    if (cw_station_load(&s, st, &err))
        fail_msg("station: %s", err.text);
    return s;
}

static void test_event(void **state)
{
    (void)state;
    cw_station *st = load();
    cw_speak_event_in ev = {.file = "partner.ics", .uid = "news-42@partner.example",
                            .summary = "Health news", .language = "fr",
                            .text = "La vaccination a lieu le 2027-01-16 à 9h30 dans toutes les "
                                    "écoles. Apportez le carnet de santé de votre enfant.",
                            .date = {2027, 1, 13}};
    cw_speak_result res;
    cw_error err;
    int rc = cw_speak_event(st, &ev, &res, &err);
    if (rc)
        fail_msg("refused: %s", err.text);
    assert_false(res.already);
    char series[40];
    cw_speak_event_series(ev.uid, series);
    assert_int_equal(strncmp(series, "event-", 6), 0);
    assert_int_equal(strlen(series), 18);
    assert_non_null(strstr(res.ingest.library_path, series));
    assert_string_equal(res.voice, "fr-fr");
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", st->dir, res.ingest.library_path);
    cw_recording r;
    assert_int_equal(cw_recording_read(&r, path, &err), 0);
    assert_int_equal(r.kind, CW_KIND_NEWSLETTER);
    assert_string_equal(r.title, "Health news, 2027-01-13");
    assert_string_equal(r.language, "fr");
    assert_string_equal(r.valid_from, "2027-01-13");
    assert_string_equal(r.valid_until, "2027-01-13");
    assert_string_equal(r.date, "2027-01-13");
    assert_non_null(strstr(r.description, "La vaccination a lieu le 2027-01-16"));
    cw_recording_clear(&r);
    cw_speak_result_free(&res);
    /* again: in the library already */
    rc = cw_speak_event(st, &ev, &res, &err);
    assert_int_equal(rc, 0);
    assert_true(res.already);
    cw_speak_result_free(&res);
    /* an event with a series keeps it */
    ev.series = "health-news";
    ev.text = "Le centre de santé est ouvert samedi de 8h00 à 16h00 pour la vaccination des enfants.";
    assert_int_equal(cw_speak_event(st, &ev, &res, &err), 0);
    assert_non_null(strstr(res.ingest.library_path, "/health-news/"));
    cw_speak_result_free(&res);
    cw_station_free(st);
}

static void test_file_with_note(void **state)
{
    (void)state;
    cw_station *st = load();
    char text[160], note[160];
    snprintf(text, sizeof text, "%s/water_news.md", dir);
    snprintf(note, sizeof note, "%s/water_news.txt", dir);
    FILE *f = fopen(text, "w");
    fputs("Title: Clean water\nLanguage: sw\n\nMaji safi ni muhimu kwa afya ya watoto. Chemsha "
          "maji ya kunywa kila siku kabla ya kuyatumia nyumbani.\n", f);
    fclose(f);
    f = fopen(note, "w");
    fputs("Title: From the note\nSeries: afya\nEpisode: 4\nTeacher: Wizara ya Afya\n", f);
    fclose(f);
    cw_speak_result res;
    cw_error err;
    int rc = cw_speak_file(st, text, NULL, note, &res, &err);
    if (rc)
        fail_msg("refused: %s", err.text);
    assert_string_equal(res.ingest.library_path, "library/newsletter/afya/004-clean-water.ogg");
    assert_string_equal(res.voice, "sw");
    cw_speak_result_free(&res);
    /* no header, no note: a title from the file name, the station's language */
    f = fopen(text, "w");
    fputs("The market opens early on Saturday for the school fair, and every family is "
          "welcome to come and buy.\n", f);
    fclose(f);
    rc = cw_speak_file(st, text, NULL, NULL, &res, &err);
    if (rc)
        fail_msg("refused: %s", err.text);
    assert_non_null(strstr(res.ingest.library_path, "water-news"));
    assert_string_equal(res.voice, "en-gb");
    cw_speak_result_free(&res);
    /* a note that cannot be used is named */
    f = fopen(note, "w");
    fputs("Episode: 5000\n", f);
    fclose(f);
    assert_int_equal(cw_speak_file(st, text, NULL, note, &res, &err), CW_EINVAL);
    assert_string_equal(err.source, "water_news.txt");
    cw_speak_result_free(&res);
    assert_true(cw_speak_is_text_name("a.TXT") && cw_speak_is_text_name("b.md") &&
                !cw_speak_is_text_name("c.wav") && !cw_speak_is_text_name(".md"));
    cw_station_free(st);
}

static const char ICS[] =
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n"
    /* a weekly newsletter with a text (the series' text) */
    "BEGIN:VEVENT\r\nUID:weekly@t\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Community news\r\n"
    "DTSTART:20270113T070000Z\r\nDTEND:20270113T071000Z\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\n"
    "DESCRIPTION:Kind: newsletter\\nLanguage: sw\\nText: Soko litafunguliwa mapema Jumamosi "
    "kwa maonyesho ya shule. Familia zote mnakaribishwa kununua na kuuza.\r\nEND:VEVENT\r\n"
    /* one with a recording attached: not spoken */
    "BEGIN:VEVENT\r\nUID:attached@t\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Attached\r\n"
    "DTSTART:20270113T080000Z\r\nDTEND:20270113T081000Z\r\nX-CHALKWAVE-ATTACH:news.ogg\r\n"
    "DESCRIPTION:Kind: newsletter\\nText: Not spoken.\r\nEND:VEVENT\r\n"
    /* a lesson with a Text: label: not a newsletter */
    "BEGIN:VEVENT\r\nUID:lesson@t\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Lesson\r\n"
    "DTSTART:20270113T090000Z\r\nDTEND:20270113T091500Z\r\n"
    "DESCRIPTION:Series: maths\\nText: 1 Corinthians 13\r\nEND:VEVENT\r\n"
    /* a text that cannot be spoken (no voice for Hausa): a warning */
    "BEGIN:VEVENT\r\nUID:hausa@t\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Labarai\r\n"
    "DTSTART:20270113T100000Z\r\nDTEND:20270113T101000Z\r\n"
    "DESCRIPTION:Kind: newsletter\\nLanguage: ha\\nText: Labarai na lafiya ga kowa da kowa.\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n";

static void test_day_events(void **state)
{
    (void)state;
    cw_station *st = load();
    cw_calset *set = cw_calset_new(st->timezone);
    cw_diags d = {0};
    cw_error err;
    assert_int_equal(cw_calset_add_data(set, ICS, strlen(ICS), "partner.ics", 1, &d, &err), 0);
    cw_diags_free(&d);
    cw_speak_day_report rep;
    /* plan: reported, nothing spoken */
    assert_int_equal(cw_speak_day_events(st, set, NULL, (cw_date){2027, 1, 13}, 1, &rep, &d, &err), 0);
    assert_int_equal(rep.events, 2);
    assert_int_equal(rep.spoken, 0);
    assert_int_equal(rep.paths.n, 0);
    assert_int_equal(d.n, 2);
    assert_string_equal(d.v[0].code, "speak.event-text");
    assert_non_null(strstr(d.v[0].text, "newsletter 'Community news' has no recording"));
    cw_diags_free(&d);
    /* build: spoken, the Hausa one refused with a warning */
    assert_int_equal(cw_speak_day_events(st, set, NULL, (cw_date){2027, 1, 13}, 0, &rep, &d, &err), 0);
    assert_int_equal(rep.events, 2);
    assert_int_equal(rep.spoken, 1);
    assert_int_equal(rep.refused, 1);
    cw_speak_day_report_free(&rep);
    int warned = 0;
    for (size_t i = 0; i < d.n; i++)
        warned |= !strcmp(d.v[i].code, "speak.event-refused") && strstr(d.v[i].text, "'ha'");
    assert_true(warned);
    cw_diags_free(&d);
    /* built again: found */
    assert_int_equal(cw_speak_day_events(st, set, NULL, (cw_date){2027, 1, 13}, 0, &rep, &d, &err), 0);
    assert_int_equal(rep.spoken, 0);
    assert_int_equal(rep.already, 1);
    assert_int_equal(rep.paths.n, 1);
    assert_non_null(strstr(rep.paths.v[0], "library/newsletter/event-"));
    cw_speak_day_report_free(&rep);
    cw_diags_free(&d);
    /* plan then names the item */
    assert_int_equal(cw_speak_day_events(st, set, NULL, (cw_date){2027, 1, 13}, 1, &rep, &d, &err), 0);
    assert_int_equal(rep.paths.n, 1);
    int named = 0;
    for (size_t i = 0; i < d.n; i++)
        named |= !strcmp(d.v[i].code, "speak.event-synthesised");
    assert_true(named);
    cw_speak_day_report_free(&rep);
    cw_diags_free(&d);
    /* the next week: another item, valid that day */
    assert_int_equal(cw_speak_day_events(st, set, NULL, (cw_date){2027, 1, 20}, 0, &rep, &d, &err), 0);
    assert_int_equal(rep.spoken, 1);
    cw_speak_day_report_free(&rep);
    cw_diags_free(&d);
    cw_library *lib = NULL;
    assert_int_equal(cw_library_scan(&lib, st->dir, &err), 0);
    size_t n = 0;
    char weekly[40];
    cw_speak_event_series("weekly@t", weekly);
    for (size_t i = 0; i < lib->n; i++)
        if (lib->v[i].series && !strcmp(lib->v[i].series, weekly)) {
            n++;
            assert_string_equal(lib->v[i].language, "sw");
            assert_string_equal(lib->v[i].valid_from, lib->v[i].valid_until);
        }
    assert_int_equal(n, 2);
    cw_library_free(lib);
    cw_calset_free(set);
    cw_station_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event),
        cmocka_unit_test(test_day_events),
        cmocka_unit_test(test_file_with_note),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
