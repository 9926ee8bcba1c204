/* inbox.c — texts dropped in the station's inbox: the speech hook of cw_inbox_process
 * (audio.h), which tells a text to speak from a note whose recording has not come yet, and
 * speaks the text into the library as `chalkwave speak` would.
 * Guarantees: a text is spoken only when it says what it is (a header or a note); a note
 * is never spoken nor refused (it goes back into the inbox); any other text is refused with
 * one sentence saying what to add; nothing is stored on a refusal. */
#include "speak_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Nothing but 'Key: value' lines (a header without text after it): a teacher's note. A
 * header whose value is refused counts too when nothing follows its first blank line. */
static int only_header(const char *text, size_t len, const cw_speak_header *h, int parse_rc)
{
    size_t i = 0;
    if (parse_rc == 0) {
        if (!h->present)
            return 0;
        i = h->body;
    } else {
        const char *p = text;
        while ((p = memchr(p, '\n', (size_t)(text + len - p))) != NULL) {
            size_t k = (size_t)(++p - text);
            while (k < len && (text[k] == ' ' || text[k] == '\t' || text[k] == '\r'))
                k++;
            if (k < len && text[k] == '\n') {
                i = k;
                break;
            }
        }
        if (!p)
            return 1; /* one block only */
    }
    while (i < len && isspace((unsigned char)text[i]))
        i++;
    return i == len;
}

/* Why a text with no header and no note is not spoken: what is wrong with it as text (not
 * UTF-8, binary, empty: cw_speak_prepare's sentence, naming the line), else what to add. */
static int refuse_unlabelled(const cw_station *st, const char *name, const char *text,
                             size_t len, cw_error *err)
{
    cw_prep_opts po = {.source = name, .first_line = 1, .language = st->language,
                       .max_chars = st->speak.max_chars};
    cw_prepared p;
    int rc = cw_speak_prepare(text, len, &po, &p, err);
    if (rc)
        return rc;
    cw_prepared_free(&p);
    size_t n = strlen(name);
    if (n > 4 && !strcasecmp(name + n - 4, ".txt"))
        return cw_fail(err, CW_EINVAL, name, 0, "the text has no header and no note, so it could "
                       "be a note whose recording has not come: to have it spoken, start it "
                       "with 'Kind: newsletter', 'Title: ...' and 'Language: ...' lines and a "
                       "blank line; a note goes beside its recording (NAME.txt beside "
                       "NAME.wav)");
    return cw_fail(err, CW_EINVAL, name, 0, "the text has no header and no note saying what it "
                   "is: to have it spoken, start it with 'Kind: newsletter', 'Title: ...' and "
                   "'Language: ...' lines and a blank line, or put a note beside it");
}

int cw_speak_inbox_text(void *user, const cw_station *st, const cw_inbox_text *t,
                        cw_inbox_result *r, cw_error *err)
{
    (void)user;
    char *text = NULL;
    size_t len = 0;
    int rc = cw_speak_read_text(t->path, t->name, st->speak.max_chars, &text, &len, err);
    if (rc)
        return rc;
    if (!t->note_path) {
        cw_speak_header h;
        cw_error e;
        memset(&e, 0, sizeof e);
        int hrc = cw_speak_header_parse(text, len, &h, NULL, &e);
        size_t tl = strlen(t->name);
        int is_txt = tl > 4 && !strcasecmp(t->name + tl - 4, ".txt");
        if (is_txt && only_header(text, len, &h, hrc))
            rc = CW_INBOX_NOT_TEXT;
        else if (hrc == 0 && !h.present)
            rc = refuse_unlabelled(st, t->name, text, len, err);
        cw_speak_header_clear(&h);
    }
    free(text);
    if (rc)
        return rc;
    const cw_ingest_meta *m = &t->opts->defaults;
    cw_speak_opts d = {.display_name = t->name, .language = m->language, .kind = m->kind,
                       .series = m->series, .title = m->title, .teacher = m->teacher,
                       .valid_from = m->valid_from, .valid_until = m->valid_until,
                       .date = m->date, .episode = m->episode, .replace = t->opts->replace,
                       .pending = t->opts->pending, .progress = t->opts->progress,
                       .progress_user = t->opts->progress_user,
                       .series_known = t->opts->series_known,
                       .series_known_user = t->opts->series_known_user};
    cw_speak_result sr;
    rc = cw_speak_file(st, t->path, &d, t->note_path, &sr, err);
    /* the result moves to r: the ingest's as it is, the speech's words and voice */
    r->ingest = sr.ingest;
    memset(&sr.ingest, 0, sizeof sr.ingest);
    cw_diags_extend(&r->notes, &sr.notes);
    snprintf(r->voice, sizeof r->voice, "%s", sr.voice);
    r->words = sr.words;
    snprintf(r->series, sizeof r->series, "%s", sr.series);
    r->episode = sr.episode;
    cw_speak_result_free(&sr);
    return rc;
}
