/* test_ingest.c — the ingest workflow as the library offers it (cw_ingest and its
 * options), the metadata gathering (cw_meta_*), the inbox (cw_inbox_*) and approvals
 * (cw_library_approve/reject), on a station made in a temporary folder and recordings
 * synthesised here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vorbis/vorbisfile.h>

#include "audio_int.h"
#include "audio_test_util.h"

typedef struct fixture {
    char *dir;
    cw_station *st;
    char wav[700], wav2[700];
} fixture;

/* 4 s of a 300 Hz (or 450 Hz) tone with a syllable-rate tremolo between 0.5 s silences. */
static void write_tone(const char *path, double freq)
{
    SF_INFO info = {.samplerate = 16000, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    assert_non_null(sf);
    static float buf[16000 * 5];
    for (int i = 0; i < 16000 * 5; i++) {
        double t = i / 16000.0;
        buf[i] = t < 0.5 || t >= 4.5 ? 0.0f
                                     : (float)(0.3 * sin(2 * M_PI * freq * t) *
                                               (0.6 + 0.4 * sin(2 * M_PI * 4 * t)));
    }
    assert_int_equal(sf_writef_float(sf, buf, 16000 * 5), 16000 * 5);
    sf_close(sf);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->dir = tu_tmpdir();
    char p[700];
    snprintf(p, sizeof p, "%s/station.conf", f->dir);
    FILE *fp = fopen(p, "w");
    fprintf(fp, "[station]\nname = Unit Radio\ntimezone = Africa/Lagos\non_air = 07:00-08:00\n"
                "[audio]\nrate = 16000\nchannels = 1\nquality = 0\nloudness = -23\ntrue_peak = -1\n"
                "min_length = 1\n");
    fclose(fp);
    cw_error err = {0};
    int rc = cw_station_load(&f->st, f->dir, &err);
    if (rc)
        fprintf(stderr, "station: %s\n", err.text);
    assert_int_equal(rc, 0);
    snprintf(f->wav, sizeof f->wav, "%s/tone.wav", f->dir);
    snprintf(f->wav2, sizeof f->wav2, "%s/tmp-upload-1234", f->dir);
    write_tone(f->wav, 300);
    write_tone(f->wav2, 450);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    cw_station_free(f->st);
    tu_rmrf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* The value of a comment KEY in an Ogg Vorbis file, or "" (static buffer). */
static const char *comment(const char *path, const char *key)
{
    static char out[4096];
    out[0] = 0;
    OggVorbis_File vf;
    if (ov_fopen(path, &vf) != 0)
        return out;
    const char *v = vorbis_comment_query(ov_comment(&vf, -1), key, 0);
    snprintf(out, sizeof out, "%s", v ? v : "");
    ov_clear(&vf);
    return out;
}

static int count_files(const char *dir)
{
    char cmd[800];
    snprintf(cmd, sizeof cmd, "find '%s' -type f ! -name '.ingest.lock' 2>/dev/null | wc -l", dir);
    FILE *p = popen(cmd, "r");
    int n = -1;
    assert_int_equal(fscanf(p, "%d", &n), 1);
    pclose(p);
    return n;
}

static void test_options(void **state)
{
    fixture *f = *state;
    cw_strlist extra = {0};
    cw_strlist_push(&extra, "CHALKWAVE_SYNTHESISED=espeak-ng en");
    cw_strlist_push(&extra, "DESCRIPTION=A bulletin read by a voice.");
    cw_ingest_opts o = {.meta = {.series = "  Maths-5 ", .episode = 3},
                        .pending = 1,
                        .display_name = "Fractions lesson.m4a",
                        .extra_comments = &extra};
    cw_ingest_result res;
    cw_error err = {0};
    assert_int_equal(cw_ingest(f->st, f->wav2, &o, &res, &err), 0);
    /* the key trimmed and lower-cased; the title from the display name; pending/ */
    assert_string_equal(res.library_path, "pending/lesson/maths-5/003-fractions-lesson.ogg");
    assert_string_equal(res.format, "WAV");
    char p[1100];
    snprintf(p, sizeof p, "%s/%s", f->dir, res.library_path);
    assert_string_equal(comment(p, "CHALKWAVE_SERIES"), "maths-5");
    assert_string_equal(comment(p, "TITLE"), "Fractions lesson");
    assert_string_equal(comment(p, "CHALKWAVE_SYNTHESISED"), "espeak-ng en");
    assert_string_equal(comment(p, "DESCRIPTION"), "A bulletin read by a voice.");
    assert_true(fabs(res.lufs_out - f->st->loudness) < 0.5);
    assert_true(res.seconds > 4.0 && res.seconds < 4.6);
    cw_ingest_result_free(&res);
    /* the library itself is untouched; the scan of pending/ finds it */
    cw_library *lib = NULL;
    assert_int_equal(cw_library_scan(&lib, f->dir, &err), 0);
    assert_int_equal(lib->n, 0);
    cw_library_free(lib);
    assert_int_equal(cw_library_scan_pending(&lib, f->dir, &err), 0);
    assert_int_equal(lib->n, 1);
    assert_string_equal(lib->v[0].series, "maths-5");
    cw_library_free(lib);
    /* a comment chalkwave sets itself is refused, before anything is read */
    cw_strlist bad = {0};
    cw_strlist_push(&bad, "CHALKWAVE_LUFS_OUT=-10");
    cw_ingest_opts o2 = {.meta = {.kind = CW_KIND_FILLER}, .extra_comments = &bad};
    assert_int_equal(cw_ingest(f->st, f->wav, &o2, &res, &err), CW_EINVAL);
    assert_non_null(strstr(err.text, "CHALKWAVE_LUFS_OUT is set by chalkwave itself"));
    cw_ingest_result_free(&res);
    cw_strlist_free(&bad);
    cw_strlist_free(&extra);
}

typedef struct prog {
    int calls;
    double last;
    double cancel_at;
} prog;

static int on_progress(void *user, double frac)
{
    prog *p = user;
    p->calls++;
    assert_true(frac >= p->last - 1e-9); /* never backwards */
    p->last = frac;
    return p->cancel_at > 0 && frac >= p->cancel_at;
}

static void test_progress_and_cancel(void **state)
{
    fixture *f = *state;
    char lib[800];
    snprintf(lib, sizeof lib, "%s/library", f->dir);
    int before = count_files(lib);
    prog pg = {.cancel_at = 0.5};
    cw_ingest_opts o = {.meta = {.kind = CW_KIND_FILLER}, .progress = on_progress,
                        .progress_user = &pg};
    cw_ingest_result res;
    cw_error err = {0};
    assert_int_equal(cw_ingest(f->st, f->wav, &o, &res, &err), CW_ECANCELLED);
    assert_string_equal(res.library_path, "");
    assert_int_equal(count_files(lib), before); /* nothing stored, no temporaries */
    cw_ingest_result_free(&res);
    pg = (prog){0};
    assert_int_equal(cw_ingest(f->st, f->wav, &o, &res, &err), 0);
    assert_true(pg.calls > 10);
    assert_true(pg.last == 1.0);
    cw_ingest_result_free(&res);
}

static void test_duplicates_and_keys(void **state)
{
    fixture *f = *state;
    cw_strlist known = {0};
    cw_strlist_push(&known, "maths-g5");
    cw_strlist_push(&known, "english-g4");
    cw_ingest_opts o = {.meta = {.series = "MATH-G5", .episode = 1, .title = "One"},
                        .known_series = &known};
    cw_ingest_result res;
    cw_error err = {0};
    assert_int_equal(cw_ingest(f->st, f->wav, &o, &res, &err), 0);
    int warned = 0;
    for (size_t i = 0; i < res.diags.n; i++)
        if (!strcmp(res.diags.v[i].code, "ingest.series-unknown")) {
            warned = 1;
            assert_non_null(strstr(res.diags.v[i].text, "no calendar uses math-g5 - did you "
                                                        "mean maths-g5?"));
            assert_string_equal(res.diags.v[i].item, "math-g5");
        }
    assert_true(warned);
    char first[1024];
    snprintf(first, sizeof first, "%s", res.library_path);
    cw_ingest_result_free(&res);
    /* the same bytes again with no metadata at all (a lesson without series): told it is
     * stored, not that it lacks a series */
    cw_ingest_opts o2 = {.meta = {.kind = CW_KIND_LESSON}, .display_name = "copy.wav"};
    assert_int_equal(cw_ingest(f->st, f->wav, &o2, &res, &err), CW_EEXIST);
    assert_string_equal(res.duplicate_of, first);
    assert_string_equal(res.duplicate_series, "math-g5");
    assert_int_equal(res.duplicate_episode, 1);
    assert_non_null(strstr(err.text, "already in the library as"));
    assert_non_null(strstr(err.text, "sent on "));
    cw_ingest_result_free(&res);
    cw_strlist_free(&known);
}

static void test_meta_sources(void **state)
{
    fixture *f = *state;
    char note[800];
    snprintf(note, sizeof note, "%s/maths-5_007_shapes.txt", f->dir);
    FILE *fp = fopen(note, "w");
    fprintf(fp, "Series: SCIENCE\nTitle: From the note\nReplace: yes\nColour: red\n");
    fclose(fp);
    char rec[800];
    snprintf(rec, sizeof rec, "%s/maths-5_007_shapes.wav", f->dir);
    char *found = cw_meta_note_path(rec);
    assert_string_equal(found, note);
    cw_meta m = {0};
    cw_diags notes = {0};
    cw_error err = {0};
    cw_ingest_meta opts = {.teacher = "Ms Ada", .episode = 2};
    assert_int_equal(cw_meta_fill(&m, &opts, 1), 0); /* the second of several files: 2 + 1 */
    assert_int_equal(cw_meta_read_note(&m, found, &notes, &err), 0);
    cw_meta_from_name(&m, rec, &notes);
    assert_string_equal(m.series, "science");   /* the note's, lower-cased */
    assert_string_equal(m.title, "From the note");
    assert_string_equal(m.teacher, "Ms Ada");
    assert_int_equal(m.episode, 3);              /* the options' (strongest here) */
    assert_int_equal(m.replace, 1);
    assert_int_equal(notes.n, 1);                /* the unknown key */
    assert_string_equal(notes.v[0].code, "ingest.note");
    assert_int_equal(notes.v[0].line, 4);
    cw_ingest_meta v = cw_meta_view(&m);
    assert_string_equal(v.series, "science");
    cw_meta_clear(&m);
    cw_diags_free(&notes);
    free(found);
    cw_meta_from_name(&m, "/x/Maths-5_012_long_division.flac", NULL);
    assert_string_equal(m.series, "maths-5");
    assert_int_equal(m.episode, 12);
    assert_string_equal(m.title, "long division");
    cw_meta_clear(&m);
}

static void test_inbox(void **state)
{
    fixture *f = *state;
    char inbox[800], p[900];
    snprintf(inbox, sizeof inbox, "%s/inbox", f->dir);
    mkdir(inbox, 0755);
    snprintf(p, sizeof p, "%s/a.wav", inbox);
    write_tone(p, 500);
    snprintf(p, sizeof p, "%s/a.txt", inbox);
    FILE *fp = fopen(p, "w");
    fprintf(fp, "Series: x\n");
    fclose(fp);
    snprintf(p, sizeof p, "%s/b.wav", inbox);
    write_tone(p, 550);
    /* a dead run's claim goes back */
    snprintf(p, sizeof p, "%s/.processing-999999999", inbox);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/.processing-999999999/c.wav", inbox);
    write_tone(p, 600);
    cw_inbox *ib = NULL;
    cw_error err = {0};
    assert_int_equal(cw_inbox_open(&ib, f->dir, &err), 0);
    cw_strlist names = {0};
    assert_int_equal(cw_inbox_list(ib, &names, &err), 0);
    assert_int_equal(names.n, 3);
    assert_string_equal(names.v[0], "a.wav");
    assert_string_equal(names.v[2], "c.wav");
    char *path = NULL, *note = NULL;
    assert_int_equal(cw_inbox_claim(ib, "a.wav", &path, &note, &err), 0);
    assert_non_null(strstr(note, "/inbox/a.txt"));
    char *p2 = NULL, *n2 = NULL;
    assert_int_equal(cw_inbox_claim(ib, "a.wav", &p2, &n2, &err), 1); /* taken already */
    assert_null(p2);
    cw_diags d = {0};
    cw_inbox_settle(ib, "a.wav", CW_INBOX_REJECTED, "it is too quiet", &d);
    assert_int_equal(d.n, 0);
    snprintf(p, sizeof p, "%s/rejected/a.wav.reason.txt", inbox);
    char *txt = NULL;
    size_t len = 0;
    assert_int_equal(cw_read_file(p, 4096, &txt, &len, &err), 0);
    assert_non_null(strstr(txt, "Why: it is too quiet"));
    free(txt);
    snprintf(p, sizeof p, "%s/rejected/a.txt", inbox);
    assert_int_equal(access(p, F_OK), 0); /* the note moved along */
    free(path);
    free(note);
    assert_int_equal(cw_inbox_claim(ib, "b.wav", &path, &note, &err), 0);
    assert_null(note);
    cw_inbox_settle(ib, "b.wav", CW_INBOX_RETRY, NULL, &d);
    snprintf(p, sizeof p, "%s/b.wav", inbox);
    assert_int_equal(access(p, F_OK), 0); /* back in the inbox */
    free(path);
    cw_inbox_close(ib);
    cw_strlist_free(&names);
    cw_diags_free(&d);
}

/* A speech hook for the test: "wait" texts are notes, "bad" ones refused, others filed. */
static int fake_speak(void *user, const cw_station *st, const cw_inbox_text *t,
                      cw_inbox_result *r, cw_error *err)
{
    (void)st;
    char *seen = user;
    snprintf(seen, 900, "%s|%s", t->name, t->note_path ? cw_path_base(t->note_path) : "-");
    if (strstr(t->name, "wait"))
        return CW_INBOX_NOT_TEXT;
    if (strstr(t->name, "bad"))
        return cw_fail(err, CW_EINVAL, t->name, 0, "line 2 is not UTF-8");
    snprintf(r->ingest.library_path, sizeof r->ingest.library_path, "library/x.ogg");
    snprintf(r->voice, sizeof r->voice, "en-gb");
    return 0;
}

static void put(const char *dir, const char *name, const char *text)
{
    char p[1100];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *fp = fopen(p, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void test_inbox_texts(void **state)
{
    fixture *f = *state;
    char inbox[800], p[1100], seen[900] = "";
    snprintf(inbox, sizeof inbox, "%s/inbox", f->dir);
    mkdir(inbox, 0755);
    snprintf(p, sizeof p, "%s/rec.wav", inbox);
    write_tone(p, 500);
    put(inbox, "rec.txt", "Series: x\nEpisode: 2\n"); /* rec.wav's note */
    put(inbox, "news.md", "# News\n\nText.\n");
    put(inbox, "news.txt", "Language: fr\n");        /* news.md's note */
    put(inbox, "wait.txt", "Series: y\n");           /* a note whose recording has not come */
    put(inbox, "bad.txt", "Kind: newsletter\n\nx\n");
    put(inbox, "bad.txt.txt", "Title: Bad\n");       /* bad.txt's note */
    put(inbox, "held.txt", "Series: z\n");           /* the note of a recording a live run holds */
    snprintf(p, sizeof p, "%s/.processing-%ld", inbox, (long)getppid());
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/.processing-%ld/held.wav", inbox, (long)getppid());
    write_tone(p, 520);
    cw_inbox *ib = NULL;
    cw_error err = {0};
    assert_int_equal(cw_inbox_open(&ib, f->dir, &err), 0);
    cw_strlist rec = {0}, texts = {0};
    assert_int_equal(cw_inbox_list(ib, &rec, &err), 0);
    assert_int_equal(rec.n, 1);
    assert_string_equal(rec.v[0], "rec.wav");
    assert_int_equal(cw_inbox_list_texts(ib, &texts, &err), 0);
    assert_int_equal(texts.n, 3);
    assert_string_equal(texts.v[0], "bad.txt");
    assert_string_equal(texts.v[1], "news.md");
    assert_string_equal(texts.v[2], "wait.txt");

    cw_inbox_opts o = {.speak = fake_speak, .speak_user = seen};
    cw_inbox_result r;
    assert_int_equal(cw_inbox_process(ib, f->st, "news.md", &o, &r), 0);
    assert_int_equal(r.status, CW_INBOX_FILED);
    assert_true(r.spoken);
    assert_string_equal(seen, "news.md|news.txt");
    cw_inbox_result_free(&r);
    snprintf(p, sizeof p, "%s/accepted/news.txt", inbox);
    assert_int_equal(access(p, F_OK), 0); /* the note moved along */

    assert_int_equal(cw_inbox_process(ib, f->st, "bad.txt", &o, &r), CW_EINVAL);
    assert_int_equal(r.status, CW_INBOX_REFUSED);
    assert_string_equal(seen, "bad.txt|bad.txt.txt");
    cw_inbox_result_free(&r);
    char *txt = NULL;
    size_t len = 0;
    snprintf(p, sizeof p, "%s/rejected/bad.txt.reason.txt", inbox);
    assert_int_equal(cw_read_file(p, 4096, &txt, &len, &err), 0);
    assert_non_null(strstr(txt, "Why: line 2 is not UTF-8"));
    assert_non_null(strstr(txt, "fix the text or its note"));
    free(txt);
    snprintf(p, sizeof p, "%s/rejected/bad.txt.txt", inbox);
    assert_int_equal(access(p, F_OK), 0);

    assert_int_equal(cw_inbox_process(ib, f->st, "wait.txt", &o, &r), 0);
    assert_int_equal(r.status, CW_INBOX_WAITING);
    assert_int_equal(r.notes.n, 1);
    assert_string_equal(r.notes.v[0].code, "ingest.inbox-note-waiting");
    cw_inbox_result_free(&r);
    snprintf(p, sizeof p, "%s/wait.txt", inbox);
    assert_int_equal(access(p, F_OK), 0); /* back, untouched */
    /* no hook: texts stay in the inbox */
    cw_inbox_opts none = {0};
    assert_int_equal(cw_inbox_process(ib, f->st, "wait.txt", &none, &r), 0);
    assert_int_equal(r.status, CW_INBOX_WAITING);
    cw_inbox_result_free(&r);
    assert_int_equal(access(p, F_OK), 0);
    /* the recording takes its note: an unlabelled-kind recording with a series is a lesson */
    if (cw_inbox_process(ib, f->st, "rec.wav", &o, &r) != 0)
        fail_msg("rec.wav refused: %s", r.err.text);
    assert_int_equal(r.status, CW_INBOX_FILED);
    assert_false(r.spoken);
    assert_string_equal(r.series, "x");
    cw_inbox_result_free(&r);
    snprintf(p, sizeof p, "%s/accepted/rec.txt", inbox);
    assert_int_equal(access(p, F_OK), 0);
    cw_inbox_close(ib);
    snprintf(p, sizeof p, "%s/.processing-%ld/held.wav", inbox, (long)getppid());
    unlink(p);
    snprintf(p, sizeof p, "%s/.processing-%ld", inbox, (long)getppid());
    rmdir(p);
    cw_strlist_free(&rec);
    cw_strlist_free(&texts);
}

static void test_approve_reject(void **state)
{
    fixture *f = *state;
    char up[800];
    snprintf(up, sizeof up, "%s/up.wav", f->dir);
    write_tone(up, 650);
    cw_ingest_opts o = {.meta = {.series = "hist", .episode = 1, .title = "Kings"}, .pending = 1};
    cw_ingest_result res;
    cw_error err = {0};
    assert_int_equal(cw_ingest(f->st, up, &o, &res, &err), 0);
    cw_ingest_result_free(&res);
    char lp[1100];
    assert_int_equal(cw_library_approve(f->dir, "library/lesson/hist/001-kings.ogg", 0, lp,
                                        sizeof lp, &err), CW_EINVAL); /* not under pending/ */
    assert_int_equal(cw_library_approve(f->dir, "pending/../library/x.ogg", 0, lp, sizeof lp,
                                        &err), CW_EINVAL);
    assert_int_equal(cw_library_approve(f->dir, "pending/lesson/hist/001-kings.ogg", 0, lp,
                                        sizeof lp, &err), 0);
    assert_string_equal(lp, "library/lesson/hist/001-kings.ogg");
    /* a second upload of the same episode: approving needs replace; reject keeps a reason */
    snprintf(up, sizeof up, "%s/up2.wav", f->dir);
    write_tone(up, 700);
    cw_ingest_opts o2 = {.meta = {.series = "hist", .episode = 1, .title = "Kings again"},
                         .pending = 1, .replace = 1};
    assert_int_equal(cw_ingest(f->st, up, &o2, &res, &err), 0);
    cw_ingest_result_free(&res);
    assert_int_equal(cw_library_approve(f->dir, "pending/lesson/hist/001-kings-again.ogg", 0,
                                        lp, sizeof lp, &err), CW_EEXIST);
    assert_int_equal(cw_library_reject(f->dir, "pending/lesson/hist/001-kings-again.ogg", "",
                                       &err), CW_EINVAL);
    assert_int_equal(cw_library_reject(f->dir, "pending/lesson/hist/001-kings-again.ogg",
                                       "noisy", &err), 0);
    char *why = NULL;
    assert_int_equal(cw_library_rejection(f->dir, "pending/rejected/lesson/hist/001-kings-again.ogg",
                                          &why, &err), 0);
    assert_string_equal(why, "noisy");
    free(why);
    cw_library *lib = NULL;
    assert_int_equal(cw_library_scan_pending(&lib, f->dir, &err), 0);
    assert_int_equal(lib->n, 0); /* rejected ones are not pending */
    cw_library_free(lib);
    assert_int_equal(cw_library_scan_at(&lib, f->dir, "pending/rejected", &err), 0);
    assert_int_equal(lib->n, 1);
    assert_int_equal(lib->warnings.n, 0); /* the reason file is not a stray */
    cw_library_free(lib);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_progress_and_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicates_and_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_meta_sources, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inbox, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inbox_texts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_approve_reject, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
