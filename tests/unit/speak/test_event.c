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
    assert_string_equal(r.title, "Health news");
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event),
        cmocka_unit_test(test_file_with_note),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
