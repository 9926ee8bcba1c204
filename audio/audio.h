/* audio.h — recordings in (decode, check, trim, normalise to EBU R128, encode Ogg Vorbis),
 * the station library (scan by Ogg headers only), and Ogg page tools for day files (a
 * chain writer that copies pages with new serials or re-encodes only where it must).
 * Guarantees: audio flows in fixed-size blocks, memory never grows with a recording's
 * length; outputs are written to temporary names and renamed; the same input and
 * settings give byte-identical Ogg files (serial numbers derived from content). */
#ifndef CW_AUDIO_H
#define CW_AUDIO_H

#include "common.h"
#include "station.h"

/* ---- the library ------------------------------------------------------------------- */

/* One stored recording: library/<kind>/<series>/<episode>-<slug>.ogg (episode "000" and
 * the file stem for items without one). Metadata lives in its Vorbis comments. */
typedef struct cw_recording {
    char *path;         /* relative to the station dir, e.g. "library/lesson/maths-5/003-fractions.ogg" */
    cw_kind kind;
    char *series;       /* series key ("" none) */
    int episode;        /* 0 none */
    char *title, *teacher, *language, *description;
    char *date;         /* DATE comment (ingest day, YYYY-MM-DD) */
    char *valid_from, *valid_until; /* YYYY-MM-DD or "" */
    char *source_sha256; /* of the teacher's original file */
    int rate, channels;
    int64_t length_samples; /* exact, from the final granule position */
    double lufs_in, lufs_out, lra_out, true_peak_out; /* as measured at ingest */
} cw_recording;

typedef struct cw_library_index cw_library_index;
typedef struct cw_library {
    cw_recording *v;
    size_t n;
    cw_strlist warnings; /* unreadable files found while scanning (skipped) */
    /* Lookup index built by cw_library_scan (sorted arrays, binary search); NULL or stale
     * (v or n changed since the scan) means the cw_library_find_* fall back to a linear
     * search, so a hand-made {v, n} works too. Freed by cw_library_free. */
    cw_library_index *index;
} cw_library;

/* Scan STATION/library: reads only the pages holding the identification and comment
 * headers and the last page of each file (one open, a pread or two). Sorted by path. Files
 * that are not valid Ogg Vorbis are skipped with a warning, as are second claims on one
 * series/episode (the first by path wins). The setup header is not decoded: `verify`
 * (cw_ogg_check) checks whole files. */
int cw_library_scan(cw_library **out, const char *station_dir, cw_error *err) CW_WARN_UNUSED;
/* The same for STATION/pending/ (uploads awaiting approval, paths "pending/..."; the
 * rejected ones under pending/rejected/ are left out) and for any folder of the station
 * laid out like the library (root "pending/rejected": the rejected uploads). */
int cw_library_scan_pending(cw_library **out, const char *station_dir,
                            cw_error *err) CW_WARN_UNUSED;
int cw_library_scan_at(cw_library **out, const char *station_dir, const char *root,
                       cw_error *err) CW_WARN_UNUSED;
void cw_library_free(cw_library *lib);
/* Uploads awaiting approval (ingest with cw_ingest_opts.pending): approve moves
 * pending/KIND/SERIES/FILE into library/ (a rename under the library lock; *library_path
 * gets the new path, may be NULL), refused when the library holds the same recording or,
 * without `replace`, the same series and episode (with replace the old one goes). reject
 * moves it to pending/rejected/... and keeps `reason` (UTF-8, <= 4000 bytes, for the
 * teacher) beside it as FILE.reason.txt, written first; cw_library_rejection reads it back
 * (caller frees). Paths are relative to the station, as the scans give them. */
int cw_library_approve(const char *station_dir, const char *pending_path, int replace,
                       char *library_path, size_t cap, cw_error *err) CW_WARN_UNUSED;
int cw_library_reject(const char *station_dir, const char *pending_path, const char *reason,
                      cw_error *err) CW_WARN_UNUSED;
int cw_library_rejection(const char *station_dir, const char *rejected_path, char **reason,
                         cw_error *err) CW_WARN_UNUSED;
/* Borrowed pointers into lib; NULL when absent. The first match by path; O(log n) after
 * cw_library_scan. Series keys (stored lower-case) and checksums compare
 * case-insensitively. */
const cw_recording *cw_library_find_episode(const cw_library *lib, const char *series,
                                            int episode);
const cw_recording *cw_library_find_path(const cw_library *lib, const char *relpath);
const cw_recording *cw_library_find_source(const cw_library *lib, const char *sha256);
/* Read one file's header metadata (used by the scan, tests and fuzzing). */
int cw_recording_read(cw_recording *out, const char *path, cw_error *err);
void cw_recording_clear(cw_recording *r);

/* ---- ingest ------------------------------------------------------------------------ */

/* What ingest reads, for people ("WAV, AIFF, FLAC, MP3, M4A, ... or videos with sound"):
 * built from the decoder registry. Static storage; safe from any thread. */
const char *cw_audio_formats(void);

/* DESCRIPTION: a teacher's note, or the whole text of a spoken item ([speak] max_chars is at
 * most 200000 characters, 800 kB of UTF-8). */
#define CW_DESCRIPTION_MAX_BYTES (1024 * 1024)

typedef struct cw_ingest_meta {
    const char *series, *title, *teacher, *language, *description;
    const char *valid_from, *valid_until; /* YYYY-MM-DD or NULL */
    int episode;  /* 0 none */
    cw_kind kind; /* NONE -> lesson if series given, else filler */
    /* DATE comment (YYYY-MM-DD); NULL or "" = the file's own date tag (WAV/FLAC/Vorbis
     * DATE, ID3 year, MP4 date or creation time) when it holds a YYYY-MM-DD, else no DATE
     * at all. Never the clock: the same input and settings must give the same bytes on any
     * day. A NULL title or teacher is taken from the file's tags (title, artist), else the
     * title is the file name. */
    const char *date;
} cw_ingest_meta;

/* Progress of one ingest, 0..1; a non-zero return cancels it (CW_ECANCELLED, nothing
 * stored). Called from the ingesting thread, often (every block of audio). */
typedef int (*cw_ingest_progress_fn)(void *user, double fraction);

typedef struct cw_ingest_opts {
    cw_ingest_meta meta;
    int replace;              /* overwrite an existing series/episode */
    /* File under STATION/pending/ (the library's layout) as an upload awaiting approval
     * (cw_library_approve / cw_library_reject), instead of library/. */
    int pending;
    /* The name the file had for its sender (messages, default title), when src_path is a
     * temporary (a web upload); NULL: src_path's base name. */
    const char *display_name;
    /* "KEY=value" Vorbis comments stored as well (e.g. "CHALKWAVE_SYNTHESISED=espeak-ng
     * en", "DESCRIPTION=..."); keys chalkwave sets itself are refused, except DESCRIPTION
     * when meta.description is not given. May be NULL. */
    const cw_strlist *extra_comments;
    /* Does a calendar use the series key? A recording whose key none uses gets a warning
     * (ingest.series-unknown) naming the key it looks like a typo of. Either a callback
     * (the calendars' own rule, e.g. cw_calset_series_known: 1 known, else 0 with
     * *suggestion or NULL) or the list of keys the calendars use; neither: no check. */
    int (*series_known)(void *user, const char *key, const char **suggestion);
    void *series_known_user;
    const cw_strlist *known_series;
    cw_ingest_progress_fn progress;
    void *progress_user;
} cw_ingest_opts;

typedef struct cw_ingest_result {
    char library_path[1024]; /* relative to the station: library/... or pending/... */
    char format[48];         /* what the file was: "WAV", "M4A (AAC)", "MP4 video (AAC sound)" */
    double seconds;          /* stored duration */
    double lufs_in, lufs_out, true_peak_in, true_peak_out, lra_in, lra_out;
    double trimmed_lead, trimmed_tail; /* seconds */
    double clipped_percent;
    cw_diags diags; /* warnings (codes ingest.*), also on refusal */
    /* On CW_EEXIST for the same source: the recording already stored (path relative to the
     * station, its series or "", its episode or 0); "" otherwise. */
    char duplicate_of[1024];
    char duplicate_series[80];
    int duplicate_episode;
} cw_ingest_result;
void cw_ingest_result_free(cw_ingest_result *r);

/* Decode, validate, process and store one file, the path every caller takes (the CLI, the
 * desk's uploads, speech): the source is measured, trimmed, brought to the station's
 * loudness under its true-peak ceiling and encoded, then renamed into library/ (or
 * pending/) under the library lock. Series keys are trimmed and lower-cased. On refusal
 * (CW_EINVAL, CW_EUNSUPPORTED, CW_EEXIST, CW_ELIMIT) err->text is one sentence a teacher
 * can act on and nothing is stored; CW_ECANCELLED when the progress callback asked. A
 * source already stored is refused whatever it is called: "already in the library as ...
 * (sent on DATE)" (res->duplicate_of). Thread-safe: ingests may run side by side. */
int cw_ingest(const cw_station *st, const char *src_path, const cw_ingest_opts *opts,
              cw_ingest_result *res, cw_error *err);

/* Trim and lower-case a series key in place (every entry point does this). */
void cw_series_key_normalise(char *key);

/* ---- where metadata comes from (ingest_meta.c) ----------------------------------------- */

/* Metadata being gathered for one recording: owned strings, NULL when not given. Each
 * source fills only the fields stronger ones left unset (strongest first: for `ingest
 * FILE` the options, the note, the file name; for the inbox the note, the file name, then
 * the options as defaults; cw_ingest then takes the file's own tags, then defaults). */
typedef struct cw_meta {
    char *series, *title, *teacher, *language, *description, *valid_from, *valid_until, *date;
    int episode;
    cw_kind kind;
    int replace; /* a note said "Replace: yes" (1) or "no" (-1); 0 not said */
} cw_meta;
void cw_meta_clear(cw_meta *m); /* frees and zeroes; NULL is fine */
/* Unset fields from src (options, a web form); its episode, when set, plus episode_offset
 * (the i-th of several files gets N+i). Series keys are normalised. CW_ENOMEM or 0. */
int cw_meta_fill(cw_meta *m, const cw_ingest_meta *src, int episode_offset);
/* The note for the recording at `path`: "lesson.wav" -> "lesson.txt", else
 * "lesson.wav.txt", whichever exists (caller frees); NULL when none. */
char *cw_meta_note_path(const char *path);
/* Read the note at note_path into the unset fields. Its warnings are added to `notes`
 * (code ingest.note, file = the note's name, line). A note that cannot be used (too large,
 * unreadable, a value refused) returns CW_EINVAL/CW_EIO/CW_ELIMIT with err->text naming the
 * note ("lesson.txt line 3: ..."); m is then unchanged. */
int cw_meta_read_note(cw_meta *m, const char *note_path, cw_diags *notes, cw_error *err);
/* SERIES_EPISODE[_TITLE].ext (maths-5_003_fractions.wav): fills unset fields; a title
 * longer than CW_TITLE_MAX_BYTES is shortened (warning ingest.title-shortened). */
void cw_meta_from_name(cw_meta *m, const char *name, cw_diags *notes);
/* The metadata as cw_ingest takes it, borrowing m's strings (valid while m is). */
cw_ingest_meta cw_meta_view(const cw_meta *m);

/* ---- the inbox: STATION/inbox/, the drop folder (inbox.c) -------------------------------- */

typedef struct cw_inbox cw_inbox;
/* Open the inbox for one run: its claim folder inbox/.processing-PID is made, and what
 * runs that died had claimed is put back first. */
int cw_inbox_open(cw_inbox **out, const char *station_dir, cw_error *err) CW_WARN_UNUSED;
/* The recordings waiting, sorted by name (texts and notes "*.txt", "*.md", "*.markdown",
 * hidden names and folders left out; symbolic links listed, for cw_inbox_claim to refuse).
 * Appended to names. */
int cw_inbox_list(cw_inbox *ib, cw_strlist *names, cw_error *err);
/* 1 for the names of texts: .txt, .md, .markdown (any case). */
int cw_inbox_is_text_name(const char *name);
/* The texts waiting to be spoken, sorted by name: "*.txt", "*.md", "*.markdown" that are
 * no recording's note, i.e. no other file of the same name before its extension (NAME.wav
 * for NAME.txt) and no file NAME for NAME.txt lies in the inbox or in a run's claim folder.
 * Whether such a text is spoken is the speech hook's rule (cw_inbox_opts.speak).
 * Appended to names. */
int cw_inbox_list_texts(cw_inbox *ib, cw_strlist *names, cw_error *err);
/* Claim `name` for this run (a rename only one run can win). 0: *path is the claimed file
 * to read, *note the note beside it in the inbox or NULL (both the caller's to free). 1:
 * another run took it first. CW_EINVAL: claimed but refused (a symbolic link; err says so):
 * settle it as rejected with that reason. */
int cw_inbox_claim(cw_inbox *ib, const char *name, char **path, char **note, cw_error *err);
typedef enum cw_inbox_outcome {
    CW_INBOX_ACCEPTED, /* -> inbox/accepted/ */
    CW_INBOX_REJECTED, /* -> inbox/rejected/, NAME.reason.txt beside it holds `reason` */
    CW_INBOX_RETRY     /* back into the inbox: the machine failed, not the file */
} cw_inbox_outcome;
/* Settle a claimed file (and move its note along). Problems moving become warnings in notes
 * (code ingest.inbox-move); the next run recovers what stays claimed. */
void cw_inbox_settle(cw_inbox *ib, const char *name, cw_inbox_outcome how, const char *reason,
                     cw_diags *notes);
void cw_inbox_close(cw_inbox *ib); /* removes the empty claim folder; NULL is fine */

/* ---- one inbox file, start to end (inbox_run.c) ---------------------------------------- */

typedef struct cw_inbox_opts cw_inbox_opts;
typedef struct cw_inbox_result cw_inbox_result;
/* A text claimed from the inbox, for the speech hook. */
typedef struct cw_inbox_text {
    const char *path;           /* the claimed text, to read */
    const char *name;           /* its name in the inbox (messages, default title) */
    const char *note_path;      /* its note (NAME.txt beside NAME.md, NAME.txt.txt), or NULL */
    const cw_inbox_opts *opts;  /* the run's defaults, replace, pending, check, progress */
} cw_inbox_text;
#define CW_INBOX_NOT_TEXT 1 /* the hook's answer for a note waiting for its recording */
/* Speak a text and file it: 0 and r->ingest (and r->voice, r->words, r->series,
 * r->episode) filled; CW_INBOX_NOT_TEXT when it is no text to speak but a note whose
 * recording has not come yet (it goes back into the inbox, untouched); else a refusal as
 * cw_ingest's (err one sentence). Warnings go to r->notes. The audio library knows no
 * speech: the caller sets the hook (speak.h cw_speak_inbox_text). */
typedef int (*cw_inbox_text_fn)(void *user, const cw_station *st, const cw_inbox_text *t,
                                cw_inbox_result *r, cw_error *err);

struct cw_inbox_opts {
    cw_ingest_meta defaults; /* the weakest metadata: after the note and the file's name */
    int replace, pending;    /* as cw_ingest_opts */
    int (*series_known)(void *user, const char *key, const char **suggestion);
    void *series_known_user;
    cw_ingest_progress_fn progress;
    void *progress_user;
    cw_inbox_text_fn speak;  /* texts: NULL leaves them in the inbox */
    void *speak_user;
};

typedef enum cw_inbox_status {
    CW_INBOX_TAKEN,    /* another run claimed it first: nothing done here */
    CW_INBOX_FILED,    /* in the library (or pending/), the original in accepted/ */
    CW_INBOX_ALREADY,  /* stored before as what it says it is: the original in accepted/ */
    CW_INBOX_REFUSED,  /* in rejected/ with NAME.reason.txt (r->code, r->err) */
    CW_INBOX_PUT_BACK, /* the machine failed, not the file (r->code, r->err): back in inbox/ */
    CW_INBOX_WAITING   /* a note whose recording has not come: left in inbox/ (r->notes) */
} cw_inbox_status;

struct cw_inbox_result {
    cw_inbox_status status;
    int code;                /* 0, or the refusal or failure (err) */
    cw_error err;
    cw_ingest_result ingest; /* where it was filed, measures, ingest's warnings */
    cw_diags notes;          /* warnings about its note, its name, moving it */
    int spoken;              /* a text, spoken by the hook */
    char voice[112];         /* the voice that spoke it */
    size_t words;
    char series[80];         /* what it was to be stored as ("", 0: not said) */
    int episode;
};
void cw_inbox_result_free(cw_inbox_result *r); /* NULL is fine */

/* Claim `name` (from cw_inbox_list or cw_inbox_list_texts), gather its metadata (its note,
 * its name, then opts->defaults; an unlabelled recording is a lesson, never filler), ingest
 * it or hand a text to opts->speak, and settle it: accepted/ when filed or stored before as
 * the same series and episode, rejected/ with the reason, or back into the inbox when the
 * machine failed. Returns r->code; r->status says what happened. Thread-safe for
 * different names; several runs may work on one inbox at once. */
int cw_inbox_process(cw_inbox *ib, const cw_station *st, const char *name,
                     const cw_inbox_opts *opts, cw_inbox_result *r);

/* ---- inbox notes (sidecars) and default titles ------------------------------------- */

/* A teacher's note NAME.txt beside a recording: "Key: value" lines (Series, Episode, Title,
 * Teacher/Artist, Language, Kind, Description, Date, Valid-From, Valid-Until, Replace; keys
 * are case-insensitive, ' ' or '_' may stand for '-'). Owned strings, NULL when not given. */
typedef struct cw_sidecar {
    char *series, *title, *teacher, *language, *description, *date, *valid_from, *valid_until;
    int episode;  /* 1..999, 0 when not given */
    cw_kind kind; /* LESSON, NEWSLETTER, FILLER, or NONE when not given */
    int replace;  /* "Replace: yes" 1, "no" -1, not given 0 */
} cw_sidecar;

#define CW_SIDECAR_MAX_BYTES (64 * 1024) /* a larger note is refused by the caller */
#define CW_SIDECAR_MAX_NOTES 20          /* warnings per note; then one "... more" line */

/* Parse the `len` bytes of a note (any bytes: UTF-8 with or without BOM, UTF-16 with BOM,
 * Windows-1252, LF/CRLF/CR line ends). Every returned string is valid UTF-8 without line
 * breaks; values are trimmed; an empty value counts as not given; the first occurrence of
 * a key wins. `notes` (may be NULL) receives warnings, each "line N: what (what to do)",
 * for lines that were ignored or repaired. Returns 0, or CW_EINVAL with err->line and
 * err->text ("line N: ...": the caller names the file) for a value that cannot be used
 * (an episode that is not 1..999, a kind that is not lesson/newsletter/filler, a NUL byte);
 * then *out is cleared. CW_ENOMEM on allocation failure. *out is overwritten (not freed):
 * release it with cw_sidecar_clear. */
int cw_sidecar_parse(const char *text, size_t len, cw_sidecar *out, cw_strlist *notes,
                     cw_error *err) CW_WARN_UNUSED;
void cw_sidecar_clear(cw_sidecar *s); /* frees the strings and zeroes *s; NULL is fine */

#define CW_TITLE_MAX_BYTES 200 /* titles and teachers (cw_ingest refuses longer ones) */

/* The title a recording gets when nobody gave one: the stem of the file's base name with
 * '_' shown as a space, shortened to at most `max` bytes at a UTF-8 character boundary
 * (never inside a multi-byte character; a stem that is not UTF-8 is cut at a byte).
 * Writes at most max+1 bytes to out (cap must be > max). Returns 1 when it shortened. */
int cw_default_title(const char *path, char *out, size_t cap, size_t max);

/* ---- Vorbis encoder (used by ingest and by the chain writer) ----------------------- */

/* Streaming libvorbis encoder writing Ogg pages to fp. Comments from meta. Deterministic:
 * the same samples, format, meta and serial give the same bytes. */
typedef struct cw_vorbis_enc cw_vorbis_enc;
typedef struct cw_link_meta cw_link_meta;
int cw_vorbis_enc_new(cw_vorbis_enc **out, FILE *fp, int rate, int channels, double quality,
                      uint32_t serial, const cw_link_meta *meta, cw_error *err) CW_WARN_UNUSED;
/* Interleaved float frames in [-1, 1]. */
int cw_vorbis_enc_write(cw_vorbis_enc *e, const float *frames, size_t n, cw_error *err);
/* Write the last pages (EOS, final granule = samples written) and free e. */
int cw_vorbis_enc_finish(cw_vorbis_enc *e, cw_error *err);
void cw_vorbis_enc_abort(cw_vorbis_enc *e); /* free without finishing; NULL is fine */

/* ---- Ogg page sinks and the chain writer (day files, blocks, items, playout) -------- */

/* Comments for a link; NULL fields are left out. Extra "KEY=value" strings in `extra`. */
struct cw_link_meta {
    const char *title, *artist, *album, *genre, *language, *description;
    int tracknumber; /* 0 none */
    const cw_strlist *extra;
};

/* One link of a chained stream: what plays, from where, for how long (cf. libopusenc's
 * per-chain comments). */
typedef struct cw_link_spec {
    const char *path;     /* an Ogg Vorbis file; NULL: digital silence */
    int64_t from;         /* first sample of the file to play, at the stream's rate (0: its start) */
    int64_t samples;      /* samples the link plays (> 0; from + samples <= the file's length) */
    double fade_in;       /* seconds of fade-in where the link starts inside its recording
                           * (from > 0: playout joining late); 0 none */
    double fade_out;      /* seconds of fade-out where the link ends before its recording
                           * does (a cut); 0 none */
    const cw_link_meta *meta; /* comments (may be NULL) */
    const void *item;     /* the caller's, passed back to the sink (the plan renderer: the
                           * const cw_plan_item *, NULL for the silence of a gap) */
    size_t item_index;    /* the caller's (the plan renderer: the item's index in the plan) */
} cw_link_spec;

/* What a sink is told when a link begins, before its first page. */
typedef struct cw_ogg_link {
    size_t index;          /* link number in the stream, from 0 */
    uint32_t serial;
    int64_t stream_offset; /* samples of the stream before this link */
    int64_t samples;       /* this link's length (its final granule position) */
    int part;              /* 0; 1 for the page-copied rest of a spec joined inside a recording
                            * (`from` > 0: a short re-encoded head with the fade-in, then the
                            * recording's own packets — two links, one spec) */
    int reencoded;         /* 1 when the link's audio was decoded and encoded again */
    const cw_link_spec *spec; /* borrowed: valid until the link's last page; copy what you keep */
} cw_ogg_link;

/* Where a stream's pages go (cf. libopusenc's OpusEncCallbacks). Every function returns 0
 * or a negative CW_E* with err set; a failure stops the writer. `page` gets one whole page
 * (header and body, CRC set) and its granule position (link-relative; -1 when no packet
 * ends on it; 0 on header pages). Pages of a link follow its link_begin. link_begin and
 * close may be NULL. `close` is called once by whoever drives the sink (cw_render_plan),
 * with failed = 1 when the stream is incomplete. */
typedef struct cw_ogg_sink {
    void *user;
    int (*link_begin)(void *user, const cw_ogg_link *link, cw_error *err);
    int (*page)(void *user, const unsigned char *page, size_t len, int64_t granule, cw_error *err);
    int (*close)(void *user, int failed, cw_error *err);
} cw_ogg_sink;

/* A sink writing to an open FILE* (tests, tools); close does not close fp. */
void cw_ogg_sink_stdio(cw_ogg_sink *s, FILE *fp);

/* A stream of links written to a sink. Each link gets a serial number derived from `seed`
 * and the link index, unique within the stream. */
typedef struct cw_chain cw_chain;

typedef struct cw_chain_format {
    int rate, channels;
    double quality; /* oggenc scale, for links that must be encoded */
} cw_chain_format;

/* The sink is borrowed and must outlive the chain. */
int cw_chain_open(cw_chain **out, const cw_ogg_sink *sink, const cw_chain_format *fmt,
                  uint32_t seed, cw_error *err) CW_WARN_UNUSED;
/* Append spec as a link of exactly spec->samples samples. A whole file in the chain's
 * format is page-copied (new serial, renumbered pages, recomputed CRCs, comments replaced
 * by spec->meta); a cut or another format is decoded and encoded (*reencoded = 1); a spec starting inside a file (`from` > 0) in the chain's format is a short encoded
 * head with the fade-in, then the file's own packets from there on (two links, see
 * cw_ogg_link.part). Silence is built from libvorbis's silent packets. */
int cw_chain_add(cw_chain *c, const cw_link_spec *spec, int *reencoded, cw_error *err);
/* Shorthands for cw_chain_add: a file from its start with a fade-out; silence. */
int cw_chain_add_file(cw_chain *c, const char *ogg_path, int64_t samples, double fade_seconds,
                      const cw_link_meta *meta, int *reencoded, cw_error *err);
int cw_chain_add_silence(cw_chain *c, int64_t samples, const cw_link_meta *meta, cw_error *err);
/* Free the chain; CW_EINTERNAL when a link was left incomplete. The sink is not closed. */
int cw_chain_close(cw_chain *c, cw_error *err);
/* Total samples written so far across links; links written so far. */
int64_t cw_chain_samples(const cw_chain *c);
size_t cw_chain_links(const cw_chain *c);
/* The serial the chain gives link `index` of a stream seeded with `seed`, skipping the
 * n_used serials in `used` (the stream's earlier links). Re-serialising sinks use it so
 * that a link copied into another stream gets that stream's own serial. */
uint32_t cw_chain_serial(uint32_t seed, uint64_t index, const uint32_t *used, size_t n_used);

/* Check an Ogg Vorbis file's structure and headers (verify): every page's CRC, BOS/EOS,
 * unique serials, three Vorbis headers per link. Fills *links and *samples. */
int cw_ogg_check(const char *path, int *links, int64_t *samples, cw_error *err);


/* ---- speech synthesis (espeak.c, libespeak-ng) ------------------------------------- */

/* One installed eSpeak NG voice (mbrola voices, which need the separate mbrola program,
 * are left out). */
typedef struct cw_voice {
    char name[64];       /* what users write: its language code ("en-gb", "sw"), or its file
                          * ("sit/yue") when two voices share a code */
    char id[64];         /* eSpeak NG's voice file: "gmw/en" */
    char title[64];      /* "English (Great Britain)" */
    char languages[128]; /* every language it reads, best first: "en-gb en" */
    char family[8];      /* ISO 639-5 family from the file's folder ("gmw", "bnt"); "" none */
    int gender;          /* 0 unknown, 1 male, 2 female */
} cw_voice;
typedef struct cw_voices {
    cw_voice *v; /* sorted by name */
    size_t n;
    cw_strlist variants; /* timbres applied as VOICE+VARIANT ("f3", "klatt"), sorted */
} cw_voices;
int cw_tts_voices(cw_voices *out, cw_error *err) CW_WARN_UNUSED;
void cw_voices_free(cw_voices *vs); /* NULL is fine */
/* A voice by name, file or title (case-insensitive, '_' = ' '); NULL when none. Borrowed. */
const cw_voice *cw_tts_find_voice(const cw_voices *vs, const char *name);
/* The voice eSpeak NG picks for a language tag ("fr-ca" -> French (France)); NULL when no
 * voice reads it. Borrowed from vs. */
const cw_voice *cw_tts_voice_for_language(const cw_voices *vs, const char *language);

typedef struct cw_tts_params {
    const char *voice; /* eSpeak NG voice file with an optional variant: "gmw/en+f3" */
    int speed;         /* words a minute, 80..450 */
    int pitch;         /* 0..99 (50 is the voice's own) */
} cw_tts_params;

/* A rendering of SSML text (len bytes, NUL-terminated at len) as mono frames at
 * cw_tts_rate (22050 Hz), produced by a child process as they are read. The same text and
 * params give the same samples every time, in any process. Errors: CW_EINVAL (no such
 * voice, eSpeak NG failed or crashed on the text), CW_EIO (cannot start it; its data is
 * missing). */
typedef struct cw_tts cw_tts;
int cw_tts_open(cw_tts **out, const char *ssml, size_t len, const cw_tts_params *p,
                cw_error *err) CW_WARN_UNUSED;
int cw_tts_rate(const cw_tts *t);
/* Up to `frames` frames; *got == 0 at the end (then the synthesis is known to have ended
 * cleanly). */
int cw_tts_read(cw_tts *t, float *buf, size_t frames, size_t *got, cw_error *err);
void cw_tts_close(cw_tts *t); /* stops the synthesis if it is still running; NULL is fine */
/* Render every later synthesis in `EXE ARG` (a new program, the job on its standard input)
 * instead of a fork of this process: for programs that run threads (a fork taken while
 * another thread holds a lock can hang). EXE ARG must call cw_tts_helper_main and exit with
 * its result. Call it before starting threads; NULL goes back to forking. */
void cw_tts_use_helper(const char *exe, const char *arg);
/* The helper's side: reads one job on standard input, writes the speech on standard output.
 * Returns (or exits with) the helper's exit status. */
int cw_tts_helper_main(void);
/* eSpeak NG's phonemes for the text (as `espeak-ng -x` prints them), appended to out. */
int cw_tts_phonemes(const char *ssml, size_t len, const cw_tts_params *p, cw_buf *out,
                    cw_error *err) CW_WARN_UNUSED;


/* ---- spoken items as a source (dec_espeak.c) ----------------------------------------- */

/* A speech script: parts played one after the other, each fitted to the script's rate and
 * channels and given a gain: SSML spoken by eSpeak NG, or a recording (a jingle). */
typedef struct cw_speech_part {
    const char *ssml;   /* speech (NUL-terminated at ssml_len), or NULL for a recording */
    size_t ssml_len;
    cw_tts_params tts;
    const char *path;   /* a recording any decoder reads (when ssml is NULL) */
    double gain_db;     /* -60..60 */
} cw_speech_part;
typedef struct cw_speech_script {
    int rate, channels; /* of the stream */
    const cw_speech_part *parts;
    size_t n;           /* 1..16 */
} cw_speech_script;
#define CW_SPEECH_SCRIPT_MAX (16u << 20) /* bytes */

/* Write a script (a binary signature, then lines; deterministic). */
int cw_speech_script_write(FILE *fp, const cw_speech_script *s, cw_error *err) CW_WARN_UNUSED;
/* Check n bytes of a script (the fuzz target); *parts gets the number of parts. */
int cw_speech_script_check(const char *b, size_t n, size_t *parts, cw_error *err);

/* A script read as one stream of interleaved float frames. */
typedef struct cw_speech cw_speech;
int cw_speech_open(cw_speech **out, const char *path, cw_error *err) CW_WARN_UNUSED;
int cw_speech_rate(const cw_speech *s);
int cw_speech_channels(const cw_speech *s);
/* *got == 0 at the end (every part ended cleanly). */
int cw_speech_read(cw_speech *s, float *buf, size_t frames, size_t *got, cw_error *err);
void cw_speech_close(cw_speech *s); /* NULL is fine */
/* Integrated loudness (LUFS, mono as dual mono, as ingest measures) and length of a
 * script's stream. */
int cw_speech_loudness(const char *path, double *lufs, int64_t *frames, cw_error *err);
/* Render a script once into a float WAV written to fp (deterministic bytes), with `date`
 * (YYYY-MM-DD, may be NULL) as its date tag: the same speech on another day is another
 * source. */
int cw_speech_render_wav(const char *script_path, FILE *fp, const char *date, int64_t *frames,
                         cw_error *err);

#endif
