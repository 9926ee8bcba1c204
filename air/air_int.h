/* air_int.h — internals of playout shared by air/'s files and its unit tests: the time
 * snapshot, loaded day bundles, the programme (what plays at an instant), Ogg page reading,
 * the as-run aggregator and the output interface with its replaceable transports (libshout,
 * ALSA; capture doubles in tests).
 * Guarantees: every function here follows the module's rules (no printing, cw_error on
 * failure); objects shared between output threads (programme, as-run) lock themselves. */
#ifndef CW_AIR_INT_H
#define CW_AIR_INT_H

#include "air.h"
#include "calendars.h"

#include <jansson.h>

#include <pthread.h>
#include <stdint.h>
#include <sys/stat.h>

#define AIR_NS 1000000000LL
#define AIR_MAX_PAGE (27 + 255 + 255 * 255)

/* ---- time --------------------------------------------------------------------------- */

typedef struct air_now {
    int64_t wall; /* UTC ns */
    int64_t mono; /* monotonic ns */
} air_now;
air_now air_now_read(cw_air_clock *c);
/* Samples <-> ns, exact for any day length (no overflow). */
int64_t air_samples_to_ns(int64_t samples, int rate);
int64_t air_ns_to_samples(int64_t ns, int rate); /* floor */
/* "2026-03-16T08:00:00.000Z" and, with tz, "2026-03-16T09:00:00.000+01:00". */
void air_fmt_utc(int64_t wall_ns, char out[32]);
void air_fmt_local(const cw_tz *tz, int64_t wall_ns, char out[40]);
/* Parse what air_fmt_utc/air_fmt_local write (and whole seconds, any offset): 0 or -1. */
int air_parse_time(const char *s, int64_t *wall_ns);
cw_date air_local_date(const cw_tz *tz, int64_t wall_ns);

/* ---- Ogg pages ---------------------------------------------------------------------- */

typedef struct air_page {
    unsigned char *data; /* header + body, AIR_MAX_PAGE bytes of room */
    size_t len;
    int64_t granule;     /* -1: no packet ends on this page */
    uint32_t serial;
    int bos, eos;
} air_page;
/* Read the page at byte `pos` of fd; its checksum is verified. Returns 0, 1 at the end of
 * the file, CW_EINVAL for a damaged page (err says where). */
int air_page_read(int fd, int64_t pos, air_page *pg, cw_error *err);
/* Only the header fields (granule, serial, flags) and the page's length: no body read,
 * no checksum (indexing a day file costs a few hundred bytes a page). */
int air_page_peek(int fd, int64_t pos, air_page *pg, cw_error *err);
/* Change a page's serial / flags and recompute its checksum. */
void air_page_set(air_page *pg, uint32_t serial, int eos);
/* Set the granule position (end trimming on a link's last page) and the checksum. */
void air_page_set_granule(air_page *pg, int64_t granule);
/* Copy the page at the start of p (n bytes) into pg: 0, or -1 when p holds no whole page. */
int air_page_parse(const unsigned char *p, size_t n, air_page *pg);
uint32_t air_page_seq(const air_page *pg);
/* An empty page (no packets) that ends a link: how a link abandoned half-way is closed. */
void air_page_empty_eos(air_page *pg, uint32_t serial, uint32_t seq, int64_t granule);

/* ---- day bundles -------------------------------------------------------------------- */

typedef struct air_file { /* a chained Ogg file of the bundle: day.ogg or blocks/NAME.ogg */
    char *path;
    int fd;                /* read-only; stays valid when build swaps the bundle */
    struct stat st;
} air_file;

typedef struct air_day {
    int refs;              /* guarded by the programme's lock */
    cw_date date;
    char *dir;             /* out/DATE */
    cw_plan *plan;         /* from plan.json */
    air_file *files;
    size_t n_files;
    /* per item (n_items; start_ns has one more: the end of the last item) */
    int64_t *start_ns;     /* planned wall instants */
    size_t *file;          /* which file holds it */
    int64_t *link_pos;     /* byte offset of its link's first page in that file */
    int64_t *link_end;     /* byte offset just after its link's last page */
    int *link_headers;     /* pages of Vorbis headers at the start of its link (usually 3) */
    int64_t *chain_pos;    /* sample where its link starts in the file's decoded chain */
    char **item_path;      /* the item alone (items/...ogg), for joining inside it */
    char id[17];           /* the first 16 hex digits of plan.json's SHA-256 (SHA256SUMS) */
    struct stat plan_st;
    int damaged;           /* a page failed its checksum while playing */
} air_day;

/* Load out/DATE: plan.json (checked against SHA256SUMS), its audio files (day.ogg or
 * blocks/) indexed link by link: every item must be a link exactly as long as the item, at
 * the item's place. CW_ENOTFOUND when there is no bundle, CW_EINVAL (err says what) when it
 * is damaged. */
int air_day_load(air_day **out, const char *bundle_dir, cw_error *err);
void air_day_free(air_day *d);
/* 1 when the files of the bundle on disk are no longer the ones d was loaded from. */
int air_day_changed(const air_day *d);
/* Index of the item playing at wall_ns, or -1 (before, after, or in a gap between blocks). */
long air_day_item_at(const air_day *d, int64_t wall_ns);

/* ---- the programme: what plays when -------------------------------------------------- */

typedef enum { AIR_SEG_ITEM = 1, AIR_SEG_GAP, AIR_SEG_EMERGENCY } air_seg_kind;

typedef struct air_seg {
    air_seg_kind kind;
    air_day *day;      /* ITEM: a counted reference, dropped by air_prog_release */
    size_t item;
    int64_t start_ns;  /* ITEM: the item's planned start; else the segment's start */
    int64_t end_ns;    /* planned end (GAP/EMERGENCY: when to ask again) */
    int64_t from;      /* ITEM: first sample to play, counted from the item's start */
    char why[160];     /* GAP/EMERGENCY: why (for logs) */
} air_seg;

typedef struct air_prog air_prog;
typedef struct air_asrun air_asrun;
typedef struct air_log air_log;

int air_prog_new(air_prog **out, const cw_station *st, const cw_tz *tz, air_asrun *asrun, air_log *log,
                 cw_air_build_fn build, void *build_user, cw_error *err);
void air_prog_free(air_prog *p);
/* The segment playing at wall_ns (ITEM from the right sample, GAP, or EMERGENCY). */
void air_prog_at(air_prog *p, int64_t wall_ns, air_seg *out);
/* The segment after `cur` (at cur->end_ns): the next item of the same bundle when it is
 * unchanged, else whatever plays at that instant (a rebuilt bundle is picked up here). */
void air_prog_next(air_prog *p, const air_seg *cur, air_seg *out);
void air_prog_release(air_prog *p, air_seg *s);
/* An output found damage in day d while playing item: the bundle is not used again until
 * it is rebuilt (the emergency filler plays). Logged once. */
void air_prog_damaged(air_prog *p, air_day *d, size_t item, const char *what);
/* The emergency filler's files (absolute paths), in rotation order; n == 0: silence. */
size_t air_prog_emergency(air_prog *p, const char *const **paths);
/* Watcher: reload the bundles of yesterday, today and tomorrow that changed on disk (a
 * rebuild, a bundle that appeared or went). Called about once a second from air's heartbeat,
 * never from an output: loading a day file takes time. */
void air_prog_watch(air_prog *p, int64_t wall_ns);
/* Builder: build missing bundles of today and tomorrow (with a build function). Called
 * from the builder thread; returns when done. */
void air_prog_build_ahead(air_prog *p, int64_t wall_ns);
/* The station's on-air windows of date from its settings: [start[k], end[k]) in ns, k <
 * the count returned (at most CW_MAX_ON_AIR). */
size_t air_station_windows(const cw_station *st, const cw_tz *tz, cw_date date, int64_t *start, int64_t *end);
const cw_station *air_prog_station(const air_prog *p);

/* ---- operator log (thread-safe wrapper around the caller's callback) ------------------ */

struct air_log {
    pthread_mutex_t mu;
    cw_air_log_fn fn;
    void *user;
    cw_air_clock *clock;
};
void air_logf(air_log *l, cw_diag_severity sev, const char *code, const char *item, const char *fmt, ...)
    CW_PRINTF(5, 6);

/* ---- as-run aggregator --------------------------------------------------------------- */

/* Which item an output speaks of. `day` must be valid for air_asrun_begin (its metadata is
 * copied then); air_asrun_end needs only date, id and item. */
typedef struct air_item_ref {
    const air_day *day;
    size_t item;
    cw_date date;
    char id[17];
} air_item_ref;
air_item_ref air_ref(const air_day *d, size_t item);

/* Open STATION/asrun/ (created), recover what a killed run left (its open items become
 * records cut at the last heartbeat, plus a "chalkwave stopped" gap up to now). */
int air_asrun_open(air_asrun **out, const char *station_dir, const cw_tz *tz, cw_air_clock *clock,
                   air_log *log, cw_error *err);
/* From now on lines are written (and synced) by a thread of the as-run's own, so outputs
 * never wait for the disk. Without it (tests) they are written at once. 0 or CW_EIO. */
int air_asrun_start_writer(air_asrun *a);
/* Clean stop: open items are closed (cut, "chalkwave stopped"), a stop record written, the
 * writer thread drained and stopped. */
void air_asrun_close(air_asrun *a, int64_t wall_ns);
void air_asrun_free(air_asrun *a);
/* An output began airing item at actual_ns, `from` samples into it. */
void air_asrun_begin(air_asrun *a, const air_item_ref *ref, const char *output, int64_t actual_ns, int64_t from);
/* An output stopped airing it after `samples` samples; reason NULL when it reached the end. */
void air_asrun_end(air_asrun *a, const air_item_ref *ref, const char *output, int64_t samples, const char *reason);
/* A record of another kind ("start", "output", "clock", "bundle", "gap"): fields as a
 * JSON object to append after "record" and "time_utc" (may be NULL). Takes ownership. */
void air_asrun_event(air_asrun *a, const char *record, int64_t wall_ns, void *json_fields);
void air_asrun_gap(air_asrun *a, int64_t start_ns, int64_t end_ns, const char *reason, const char *output,
                   const char *detail);
/* An output went down at wall_ns (an "output" record now; the gap record when it is back,
 * or at the stop). */
void air_asrun_down(air_asrun *a, const char *output, int64_t wall_ns, const char *detail);
void air_asrun_up(air_asrun *a, const char *output, int64_t wall_ns);
/* Heartbeat: close items whose planned end has passed on every output, rewrite the state
 * file (what a restart after a kill needs). Called about once a second. */
void air_asrun_tick(air_asrun *a, int64_t wall_ns);
/* The fields an item record takes from its plan item (kind, title, teacher, series,
 * episode, event, recording...), and "KEY_utc"/"KEY_local" time stamps: shared by air's
 * records and imported ones, so both read the same. */
json_t *air_item_meta(const cw_plan *plan, size_t i);
json_t *air_time_pair(json_t *o, const cw_tz *tz, const char *key, int64_t ns);
/* Count of records written (tests). */
size_t air_asrun_records(air_asrun *a);

/* ---- outputs ------------------------------------------------------------------------- */

typedef struct air_out air_out;
typedef struct air_out_ops {
    /* Do what is due at `now`; return the mono time to be called again. */
    int64_t (*pump)(air_out *o, const air_now *now);
    /* Stop: close the current item in the as-run ("chalkwave stopped"), disconnect. */
    void (*stop)(air_out *o, const air_now *now);
    void (*free)(air_out *o);
} air_out_ops;

/* What every output shares. */
struct air_out {
    const air_out_ops *ops;
    char name[1024];         /* display URL, no password */
    air_prog *prog;
    air_asrun *asrun;
    air_log *log;
    cw_air_clock *clock;
    int retry_max;           /* seconds */
    int between_nothing;
    /* the wall clock's offset from mono when last seen; a step moves it */
    int64_t wall_minus_mono;
    int have_offset;
};

/* Transport of the Icecast output: libshout, or a capture in tests. */
typedef struct air_shout_ops {
    /* 0 connected, 1 still connecting (call again), <0 failed (text in err) */
    int (*open)(void *t, cw_error *err);
    /* queue bytes; <0 failed */
    int (*send)(void *t, const unsigned char *data, size_t len, cw_error *err);
    /* bytes still queued (not yet accepted by the socket) */
    long (*queued)(void *t);
    void (*close)(void *t);
    void (*free)(void *t);
} air_shout_ops;
int air_shout_libshout(void **out, const cw_air_output_spec *spec, const cw_station *st, cw_error *err);
extern const air_shout_ops air_shout_libshout_ops;

/* Sound card of the ALSA output: libasound, or a simulated card in tests. Frames are
 * interleaved float at the station's rate and channels. */
typedef struct air_card_ops {
    int (*open)(void *c, int rate, int channels, cw_error *err);
    /* write up to n frames without blocking; *done frames taken; 0 ok, 1 an underrun was
     * recovered (the card paused: re-join the plan), <0 the card failed */
    int (*write)(void *c, const float *frames, size_t n, size_t *done, cw_error *err);
    /* frames written but not yet played (the card's delay) and the mono time it was true at;
     * 0, 1 (an underrun was recovered), <0 failed */
    int (*delay)(void *c, int64_t *frames, int64_t *at_mono, cw_error *err);
    /* room for this many frames now */
    long (*avail)(void *c);
    long (*buffer)(void *c); /* frames the card's buffer holds */
    void (*close)(void *c);
    void (*free)(void *c);
} air_card_ops;
int air_card_alsa(void **out, const char *device, cw_error *err);
extern const air_card_ops air_card_alsa_ops;

typedef struct air_out_env {
    air_prog *prog;
    air_asrun *asrun;
    air_log *log;
    cw_air_clock *clock;
    const cw_station *st;
    int retry_max;
    int between_nothing;
} air_out_env;

int air_out_icecast_new(air_out **out, const air_out_env *env, const char *name, const air_shout_ops *ops,
                        void *transport, cw_error *err);
int air_out_alsa_new(air_out **out, const air_out_env *env, const char *name, const air_card_ops *ops, void *card,
                     cw_error *err);
double air_out_alsa_ratio(const air_out *o); /* the steering io ratio now (1: no correction) */

/* Shared by outputs: note the wall-mono offset; returns the step in ns (0: none) when the
 * wall clock jumped by more than 5 ms since the last call. */
int64_t air_out_clock_step(air_out *o, const air_now *now);
/* Back-off after the n-th failure in a row: 1, 2, 4 ... retry_max seconds. */
int64_t air_backoff_ns(int failures, int retry_max);

/* ---- the engine's test hook ----------------------------------------------------------- */

/* Run the outputs of `a` in this thread on its (virtual) clock until wall time `until_ns`:
 * each output is pumped when due, the heartbeat every second. For tests. */
int cw_air_run_until(cw_air *a, int64_t until_ns, cw_error *err);
/* Replace the outputs cw_air_new made with these (tests: capture transports). */
int cw_air_set_outputs(cw_air *a, air_out **outs, size_t n);
air_asrun *cw_air_asrun(cw_air *a);
air_prog *cw_air_prog(cw_air *a);
air_out_env cw_air_env(cw_air *a);

#endif
