/* speak.h — spoken items from text: preparing a partner's text the way a reader would say
 * it (paragraphs and headings as pauses; dates, times, money, phone numbers and addresses
 * read in the item's language; markup ignored; the station lexicon applied), choosing the
 * voice for a language, and filing the speech in the library through the same ingest as a
 * recording.
 * Guarantees: text is UTF-8 or refused naming the line; the work is bounded by the
 * station's [speak] max_chars (memory never grows with the length of the speech); the same
 * text, settings and lexicon give the same SSML and the same library file. */
#ifndef CW_SPEAK_H
#define CW_SPEAK_H

#include "audio.h"
#include "calendars.h"
#include "common.h"
#include "station.h"

/* ---- the station lexicon (speak.lexicon) -------------------------------------------- */

/* `word = say it like this`, one per line; `;` or `#` start a comment; `[fr]` starts the
 * entries for a language (`[*]` for all again), or a line starts with `fr:`. A value in
 * [[ ]] is eSpeak NG phonemes. A key in lower case matches in any case; a key with capitals
 * matches as written or in all capitals. Keys may be several words. */
typedef struct cw_lexicon cw_lexicon;
#define CW_LEXICON_MAX_BYTES (1024 * 1024)
#define CW_LEXICON_MAX_ENTRIES 20000
/* Parse `len` bytes; `source` names the text in errors (err->line is set). Problems that
 * make an entry unusable are errors; a later entry for the same word and language replaces
 * the earlier one with a warning in `notes` (may be NULL). */
int cw_lexicon_parse(cw_lexicon **out, const char *source, const char *text, size_t len,
                     cw_diags *notes, cw_error *err) CW_WARN_UNUSED;
/* Read a lexicon file; a missing file is an empty lexicon (*out NULL, returns 0). */
int cw_lexicon_load(cw_lexicon **out, const char *path, cw_diags *notes,
                    cw_error *err) CW_WARN_UNUSED;
void cw_lexicon_free(cw_lexicon *lx);
/* Entries that apply to a language tag (all-language entries included). */
size_t cw_lexicon_count(const cw_lexicon *lx, const char *language);

/* ---- text preparation --------------------------------------------------------------- */

typedef struct cw_prep_opts {
    const char *source;        /* names the text in errors (a file name); may be NULL */
    int first_line;            /* the line number of the text's first line (0 or 1: 1) */
    const char *language;      /* the item's language tag: "en", "fr-fr", "sw" */
    const cw_lexicon *lexicon; /* may be NULL */
    int drop_addresses;        /* 1: web and e-mail addresses are left out, 0: read */
    double paragraph_pause;    /* seconds between paragraphs */
    double heading_pause;      /* seconds before a heading */
    size_t max_chars;          /* longer text is refused (CW_ELIMIT) */
} cw_prep_opts;

typedef struct cw_prepared {
    cw_buf ssml;   /* "<speak>...</speak>": the input of the synthesis */
    cw_buf plain;  /* the same as plain text: a block per line, "[pause 1.2 s]" lines */
    cw_buf text;   /* the input as given: BOM dropped, line ends as LF, trimmed */
    size_t chars;  /* characters of the input */
    size_t words;  /* words spoken */
    size_t headings, paragraphs, lexicon_hits, addresses, dates, times;
} cw_prepared;

/* Check and prepare text. Refusals (one sentence; err->line when it is about a line):
 * CW_EINVAL for text that is not UTF-8 (names the line and byte), holds binary data (a NUL
 * or control bytes), is UTF-16, or has nothing to speak; CW_ELIMIT for more than max_chars
 * characters. On success free *out with cw_prepared_free; on a refusal it is empty. */
int cw_speak_prepare(const char *text, size_t len, const cw_prep_opts *o, cw_prepared *out,
                     cw_error *err) CW_WARN_UNUSED;
void cw_prepared_free(cw_prepared *p);

/* Quick refusals before reading a whole text: `bytes` of input cannot hold more than
 * max_chars characters when it is larger than 4 * max_chars (+ a BOM). */
int cw_speak_check_size(uint64_t bytes, size_t max_chars, const char *source, cw_error *err);

/* ---- voices ------------------------------------------------------------------------ */

/* 1 when s is a language tag: 2-3 letters, then -subtags ("en", "fr-CA", "ha", "swa"). */
int cw_speak_language_ok(const char *s);

typedef struct cw_speak_voice {
    char name[112]; /* as people write it and the item records: "en-gb", "en-gb+f3", "sw" */
    char spec[128]; /* for eSpeak NG: "gmw/en+f3" */
    int speed, pitch;
} cw_speak_voice;
/* The voice for an item in `language`: `voice` (--voice) when given, else [speak]
 * LANG.voice, else eSpeak NG's voice for the language; speed and pitch from [speak]. A
 * language no installed voice reads, an unknown voice or variant: CW_EINVAL, one sentence
 * naming the closest installed voices. */
int cw_speak_voice_choose(const cw_station *st, const cw_voices *vs, const char *language,
                          const char *voice, cw_speak_voice *out, cw_error *err) CW_WARN_UNUSED;
/* For a language without a voice: " (Hausa); in its family: ...; spoken alongside it: ..."
 * appended to out (nothing when chalkwave knows nothing about the language). */
void cw_speak_close_voices(const cw_voices *vs, const char *language, cw_buf *out);

/* ---- spoken items in the library ------------------------------------------------------ */

typedef struct cw_speak_opts {
    const char *display_name; /* the text's name in messages ("notice.txt"; "-": stdin) */
    int first_line;           /* the line number of the text's first line (after a header) */
    const char *language;     /* the item's language (required) */
    const char *voice;        /* NULL: [speak] LANG.voice, else the language's voice */
    /* metadata, as for a recording (cw_ingest_meta) */
    cw_kind kind;             /* NONE: newsletter */
    const char *series, *title, *teacher, *valid_from, *valid_until, *date;
    int episode;
    int replace;              /* may replace the series/episode already in the library */
    int pending;              /* file under pending/, awaiting approval (cw_ingest_opts) */
    cw_ingest_progress_fn progress; /* may be NULL; non-zero cancels (CW_ECANCELLED) */
    void *progress_user;
    /* warn about a series key no calendar uses (cw_ingest_opts); may be NULL */
    int (*series_known)(void *user, const char *key, const char **suggestion);
    void *series_known_user;
} cw_speak_opts;

typedef struct cw_speak_result {
    cw_ingest_result ingest; /* where it was filed, length, loudness, peaks */
    char voice[112];         /* the voice that spoke it ("en-gb") */
    size_t chars, words, lexicon_hits;
    cw_diags notes;          /* warnings (lexicon duplicates, ...) */
    char series[80];         /* the series it was filed as ("" none), and its episode */
    int episode;
    int already;             /* cw_speak_event: it was in the library already */
} cw_speak_result;
void cw_speak_result_free(cw_speak_result *r);

/* Speak `len` bytes of text and file the speech in the library (the text becomes its
 * DESCRIPTION). Refusals as cw_speak_prepare and cw_speak_voice_choose, a lexicon line that
 * cannot be used (its file and line), a missing intro/outro, and every ingest refusal; the
 * library is unchanged then. */
int cw_speak_text(const cw_station *st, const char *text, size_t len, const cw_speak_opts *o,
                  cw_speak_result *res, cw_error *err) CW_WARN_UNUSED;
/* What would be spoken, appended to out: the prepared text (pauses as "[pause 0.6 s]"
 * lines), or eSpeak NG's phonemes for it when `phonemes` (to check the lexicon). */
int cw_speak_preview(const cw_station *st, const char *text, size_t len, const cw_speak_opts *o,
                     int phonemes, cw_buf *out, cw_error *err) CW_WARN_UNUSED;
/* A text's own header: "Key: value" lines at its top with the keys of a teacher's note
 * (Series, Episode, Title, Teacher, Language, Kind, Date, Valid-From, Valid-Until, ...)
 * and Voice, ended by a blank line. A first block with any other line is no header. */
typedef struct cw_speak_header {
    int present;
    cw_sidecar meta; /* as cw_sidecar_parse gives it */
    char *voice;     /* Voice: (NULL when not given) */
    size_t body;     /* offset of the text after the header and its blank lines */
    int first_line;  /* line number of the text's first line */
} cw_speak_header;
/* 0 (out->present says whether there was one), or a refusal of a value (an episode that
 * is not 1..999, ...: err->line names the line). notes (may be NULL) gets warnings. */
int cw_speak_header_parse(const char *text, size_t len, cw_speak_header *out, cw_strlist *notes,
                          cw_error *err) CW_WARN_UNUSED;
void cw_speak_header_clear(cw_speak_header *h);
/* Fill what o leaves open (NULL, 0, NONE) from the header. Borrowed strings. */
void cw_speak_opts_from_header(cw_speak_opts *o, const cw_speak_header *h);

/* 1 for the names of texts to speak: .txt, .md, .markdown (any case). */
int cw_speak_is_text_name(const char *name);
/* Read a text file, refused by its size first when it cannot fit max_chars (CW_ELIMIT);
 * `name` names it in errors. */
int cw_speak_read_text(const char *path, const char *name, size_t max_chars, char **out,
                       size_t *len, cw_error *err) CW_WARN_UNUSED;
/* Speak a text file (the inbox, a web upload): metadata from, strongest first, the text's
 * header, the note at note_path (may be NULL; NAME.txt beside NAME.md), `defaults` (may be
 * NULL; also its display_name, replace and progress), then the station's language and a
 * title from the file name. Refusals as cw_speak_text, and a note that cannot be used. */
int cw_speak_file(const cw_station *st, const char *path, const cw_speak_opts *defaults,
                  const char *note_path, cw_speak_result *res, cw_error *err) CW_WARN_UNUSED;

/* The inbox's speech hook (audio.h cw_inbox_text_fn; the CLI and the desk set it): a text
 * in inbox/ is spoken (cw_speak_file, the run's options as defaults) when it says what it
 * is: a header ("Kind: newsletter", "Title: ...", ... then a blank line and the text) or a
 * note (NAME.txt beside NAME.md, NAME.txt.txt beside NAME.txt). A .txt of 'Key: value'
 * lines only is a note whose recording has not come: CW_INBOX_NOT_TEXT (left in the
 * inbox). Any other text is refused (CW_EINVAL): not UTF-8, binary or empty with that
 * reason and line, else "no header and no note" saying what to add. */
int cw_speak_inbox_text(void *user, const cw_station *st, const cw_inbox_text *t,
                        cw_inbox_result *r, cw_error *err);

/* A partner's newsletter event whose DESCRIPTION carries "Text:" paragraphs, on one day. */
typedef struct cw_speak_event_in {
    const char *file;     /* the calendar's label (messages) */
    const char *uid;      /* the event's UID */
    const char *summary;  /* its SUMMARY: the item's title */
    const char *series;   /* its series key, "" or NULL: one derived from the UID */
    const char *teacher;  /* Teacher: (may be NULL) */
    const char *language; /* Language: (NULL: the station's) */
    const char *text;     /* the Text: paragraphs (NUL-terminated) */
    cw_date date;         /* the day it airs: the item is valid that day only */
} cw_speak_event_in;
/* Speak an event's text into the library as a newsletter for its day (series from the
 * event, else cw_speak_event_series; DATE, Valid-From and Valid-Until the day), so the
 * planner puts it in the event's slot. Already spoken (the same text and settings give the
 * same speech): 0 with res->already set. Refusals as cw_speak_text. */
int cw_speak_event(const cw_station *st, const cw_speak_event_in *ev, cw_speak_result *res,
                   cw_error *err) CW_WARN_UNUSED;
/* "event-" and 12 hex digits of the UID's SHA-256: the series of an event without one. */
void cw_speak_event_series(const char *uid, char out[40]);

/* What cw_speak_day_events did. */
typedef struct cw_speak_day_report {
    size_t events;  /* newsletter events of the day with a text and no recording attached */
    size_t spoken;  /* spoken into the library now */
    size_t already; /* found spoken already */
    size_t refused; /* whose text could not be spoken (a warning each) */
    cw_strlist paths; /* the library paths of the day's spoken items (spoken now or before) */
} cw_speak_day_report;
void cw_speak_day_report_free(cw_speak_day_report *r);
/* Speak the texts of the day's newsletter events (kind newsletter, a "Text:", no ATTACH)
 * into the library (cw_speak_event), so the plan of `date` (the station's local day) puts
 * them in their slots. dry_run: only report them (an info each: speak.event-text when not
 * spoken yet, speak.event-synthesised naming the item when it is), for `plan`, which
 * changes nothing; `lib` (may be NULL: scanned) is the library to look in. A text that
 * cannot be spoken is a warning (speak.event-refused), not a failure: the slot gets what
 * the planner gives it. The caller holds the station lock (shared, as ingest) unless
 * dry_run. Free *rep with cw_speak_day_report_free. */
int cw_speak_day_events(const cw_station *st, const cw_calset *cals, const cw_library *lib,
                        cw_date date, int dry_run, cw_speak_day_report *rep, cw_diags *diags,
                        cw_error *err) CW_WARN_UNUSED;

/* The station's lexicon ([speak] lexicon, default speak.lexicon); *out NULL when none. */
int cw_speak_load_lexicon(const cw_station *st, cw_lexicon **out, cw_diags *notes,
                          cw_error *err) CW_WARN_UNUSED;

#endif
