/* inbox_run.c — one file of the station's inbox, start to end: claim it, gather its
 * metadata (its note, its name, the run's defaults), ingest it — or hand a text to the
 * caller's speech hook — and settle it into accepted/, rejected/ (with the reason) or back
 * into the inbox. `chalkwave ingest --inbox` and the desk take this one path.
 * Guarantees: as inbox.c (each file claimed by exactly one run; the original moves only
 * after its result is committed or its refusal written); the audio library knows no
 * speech: a text goes to opts->speak, and a note whose recording has not come yet is put
 * back untouched. */
#include "audio.h"

#include <stdlib.h>
#include <string.h>

void cw_inbox_result_free(cw_inbox_result *r)
{
    if (!r)
        return;
    cw_ingest_result_free(&r->ingest);
    cw_diags_free(&r->notes);
    memset(r, 0, sizeof *r);
}

/* A recording's metadata, strongest first: its note, its name, the run's defaults. An
 * unlabelled inbox recording is taken for a lesson: never put on air as filler. */
static int gather(cw_meta *m, const char *name, const char *note, const cw_inbox_opts *o,
                  cw_diags *notes, cw_error *err)
{
    int rc = note ? cw_meta_read_note(m, note, notes, err) : 0;
    if (rc)
        return rc;
    cw_meta_from_name(m, name, notes);
    if (cw_meta_fill(m, &o->defaults, 0))
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    if (m->kind == CW_KIND_NONE && !m->series)
        m->kind = CW_KIND_LESSON;
    return 0;
}

static int ingest_recording(const cw_station *st, const char *name, const char *path,
                            const char *note, const cw_inbox_opts *o, cw_inbox_result *r)
{
    cw_meta m;
    memset(&m, 0, sizeof m);
    int rc = gather(&m, name, note, o, &r->notes, &r->err);
    if (m.series)
        snprintf(r->series, sizeof r->series, "%s", m.series);
    r->episode = m.episode;
    if (!rc) {
        cw_ingest_opts io = {.meta = cw_meta_view(&m), .replace = o->replace || m.replace == 1,
                             .pending = o->pending, .display_name = name,
                             .series_known = o->series_known,
                             .series_known_user = o->series_known_user,
                             .progress = o->progress, .progress_user = o->progress_user};
        rc = cw_ingest(st, path, &io, &r->ingest, &r->err);
    }
    cw_meta_clear(&m);
    return rc;
}

/* Sent again: the library holds exactly this source as what its note or name says (or
 * they say nothing): the earlier send did the work. */
static int already_done(const cw_inbox_result *r)
{
    if (r->code != CW_EEXIST || !r->ingest.duplicate_of[0])
        return 0;
    if (!r->series[0])
        return 1;
    return !strcmp(r->ingest.duplicate_series, r->series) &&
           r->ingest.duplicate_episode == r->episode;
}

int cw_inbox_process(cw_inbox *ib, const cw_station *st, const char *name,
                     const cw_inbox_opts *o, cw_inbox_result *r)
{
    memset(r, 0, sizeof *r);
    char *path = NULL, *note = NULL;
    int rc = cw_inbox_claim(ib, name, &path, &note, &r->err);
    if (rc == 1) {
        r->status = CW_INBOX_TAKEN;
        return 0;
    }
    if (rc == 0 && cw_inbox_is_text_name(name)) {
        cw_inbox_text t = {.path = path, .name = name, .note_path = note, .opts = o};
        rc = o->speak ? o->speak(o->speak_user, st, &t, r, &r->err) : CW_INBOX_NOT_TEXT;
        r->spoken = rc == 0;
    } else if (rc == 0) {
        rc = ingest_recording(st, name, path, note, o, r);
    }
    if (rc == CW_INBOX_NOT_TEXT) {
        r->status = CW_INBOX_WAITING;
        cw_diags_addf(&r->notes, CW_DIAG_INFO, "ingest.inbox-note-waiting", name, 0, NULL,
                      "holds only 'Key: value' lines, so it is taken for the note of a "
                      "recording that has not come yet: left in the inbox (a text to speak "
                      "needs a blank line and its text after those lines)");
        cw_inbox_settle(ib, name, CW_INBOX_RETRY, NULL, &r->notes);
        free(path);
        free(note);
        return 0;
    }
    r->code = rc;
    int retry = rc == CW_EIO || rc == CW_ENOMEM || rc == CW_EINTERNAL || rc == CW_ELOCKED ||
                rc == CW_ECANCELLED;
    if (already_done(r)) {
        r->status = CW_INBOX_ALREADY;
        cw_diags_addf(&r->notes, CW_DIAG_INFO, "ingest.already-stored", name, 0, NULL,
                      "%s; filed as accepted", r->err.text);
    } else {
        r->status = rc == 0 ? CW_INBOX_FILED : retry ? CW_INBOX_PUT_BACK : CW_INBOX_REFUSED;
    }
    cw_inbox_settle(ib, name, r->status == CW_INBOX_PUT_BACK ? CW_INBOX_RETRY
                              : r->status == CW_INBOX_REFUSED ? CW_INBOX_REJECTED
                                                              : CW_INBOX_ACCEPTED,
                    r->err.text[0] ? r->err.text : cw_strerror(rc), &r->notes);
    free(path);
    free(note);
    return rc;
}
