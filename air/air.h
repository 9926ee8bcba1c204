/* air.h — playout by the clock: `chalkwave air` plays the station's day bundles at their
 * planned instants to Icecast (libshout, the bundle's Ogg pages as they are) and to sound
 * cards (ALSA, decoded with libvorbisfile, the card's clock steered against the system
 * clock), writes the as-run log, reads Liquidsoap's as-run log, and builds the proof of
 * broadcast (`report`) from as-run logs and plans.
 * Guarantees: the library never prints and never exits; operator messages go through a
 * callback as cw_diag entries (codes "air.*"); one output failing never stops the others;
 * a missing or damaged bundle never stops playout (the emergency filler plays, logged);
 * every as-run line is appended whole and fsync'd, never rewritten. */
#ifndef CW_AIR_H
#define CW_AIR_H

#include <signal.h>

#include "common.h"
#include "scheduler.h"
#include "station.h"

/* ---- the clock ---------------------------------------------------------------------- */

/* What air reads the time from. The system clock takes the plan's wall time from
 * CLOCK_REALTIME and paces with CLOCK_MONOTONIC; a step of the wall clock (NTP, an operator
 * setting the date) shows as a jump of wall - mono and is handled by re-joining the plan.
 * Tests inject a virtual clock (tests/unit/air). */
typedef struct cw_air_clock cw_air_clock;
struct cw_air_clock {
    int64_t (*wall_ns)(cw_air_clock *c); /* UTC nanoseconds since 1970 */
    int64_t (*mono_ns)(cw_air_clock *c); /* monotonic nanoseconds, for pacing */
    /* Sleep until mono_ns (may return early; callers re-check). */
    void (*sleep_until)(cw_air_clock *c, int64_t mono_ns);
};
cw_air_clock *cw_air_clock_system(void); /* static; never freed */

/* ---- outputs ------------------------------------------------------------------------ */

typedef enum { CW_AIR_OUT_ICECAST = 1, CW_AIR_OUT_ALSA } cw_air_out_type;

/* A parsed output URL:
 *   icecast://[USER[:PASS]@]HOST[:PORT]/MOUNT   (HTTP source protocol; USER default
 *                                                "source", PORT 8000; an empty PASS is
 *                                                read from $CHALKWAVE_ICECAST_PASSWORD)
 *   icy://[USER[:PASS]@]HOST[:PORT]/MOUNT       (the ICY source protocol, Shoutcast style)
 *   alsa:DEVICE                                 (an ALSA PCM name: default, plughw:0,0, ...) */
typedef struct cw_air_output_spec {
    cw_air_out_type type;
    int icy;            /* icy:// */
    char host[256];
    int port;
    char user[128], password[256];
    char mount[512];    /* starts with '/' */
    char device[256];   /* ALSA PCM name */
    char display[1024]; /* the URL without its password, for logs and the as-run */
} cw_air_output_spec;
/* Parse one output URL. CW_EUSAGE with err naming what is wrong. */
int cw_air_output_parse(cw_air_output_spec *out, const char *url, cw_error *err);

/* ---- playout ------------------------------------------------------------------------ */

typedef struct cw_air cw_air;

/* Builds the bundle of `date` into STATION/out/DATE (plan + build); called from air's
 * builder thread (never from an output's). Returns 0 or a CW_E* code with err filled. */
typedef int (*cw_air_build_fn)(void *user, cw_date date, cw_error *err);
/* An operator message (one line: d->text; d->code "air.*"). Called from any of air's
 * threads, serialised by air. */
typedef void (*cw_air_log_fn)(void *user, int64_t wall_ns, const cw_diag *d);

typedef struct cw_air_opts {
    const cw_air_output_spec *outputs;
    size_t n_outputs;
    int between_nothing;      /* station [air] between = nothing */
    int retry_max;            /* seconds, longest back-off between reconnection attempts */
    cw_air_build_fn build;    /* NULL: never build (a missing bundle plays the emergency filler) */
    void *build_user;
    cw_air_log_fn log;        /* NULL: silent */
    void *log_user;
    cw_air_clock *clock;      /* NULL: cw_air_clock_system() */
} cw_air_opts;

/* Prepare playout for a station: checks the outputs' settings, opens the as-run log
 * (recovering what a killed run left: the item it was playing and the gap), takes the
 * station's air lock (a second `air` on the station gets CW_ELOCKED). Nothing is
 * connected yet. */
int cw_air_new(cw_air **out, const cw_station *st, const cw_air_opts *opts, cw_error *err) CW_WARN_UNUSED;
/* Play until *stop becomes non-zero (a signal handler sets it): one thread per output, one
 * for the as-run log's heartbeat, one for building ahead. Returns 0 after a clean stop (the
 * as-run log then says where it stopped), or a CW_E* code when air cannot go on at all
 * (the as-run folder cannot be written). */
int cw_air_run(cw_air *a, volatile sig_atomic_t *stop, cw_error *err);
void cw_air_free(cw_air *a);

/* ---- as-run logs -------------------------------------------------------------------- */

/* STATION/asrun/YYYY-MM-DD.jsonl: one JSON object per line, "record" says which:
 *   "item"    an item as it aired (README "As-run log" lists the fields)
 *   "gap"     a stretch when something that should have aired did not (chalkwave stopped,
 *             an output down, a bundle missing), with start_utc, end_utc, reason
 *   "start", "stop", "output", "clock", "bundle"  what air did and saw
 * The file of a record is the station-local date of its start. */

/* Import a Liquidsoap log written by the example script (examples/liquidsoap/air.liq):
 * each "chalkwave-asrun" line names a track's planned start and when it began; items are
 * matched with the bundles' plans (out/DATE/plan.json) by planned start and appended to
 * the as-run logs. Lines already imported are skipped, so importing twice adds nothing.
 * *n_items / *n_skipped count what was added / was there already; diags gets one warning
 * per log line that matches no plan item. */
int cw_asrun_import_liquidsoap(const cw_station *st, const char *log_path, size_t *n_items,
                               size_t *n_skipped, cw_diags *diags, cw_error *err) CW_WARN_UNUSED;

/* ---- proof of broadcast ------------------------------------------------------------- */

/* The plan of a day, for the report (the CLI plans it from the station's calendars and
 * library; tests hand in literals). *out is owned by the caller. */
typedef int (*cw_report_plan_fn)(void *user, cw_date date, cw_plan **out, cw_error *err);

typedef enum { CW_REPORT_HTML = 0, CW_REPORT_CSV, CW_REPORT_JSON } cw_report_format;

typedef struct cw_report_opts {
    cw_date from, to;          /* inclusive, station-local plan days */
    const char *calendar;      /* only this partner calendar (its file name), NULL: all */
    cw_report_plan_fn plan;
    void *plan_user;
} cw_report_opts;

typedef struct cw_report cw_report;
/* Read the as-run logs of the range (and the day on each side, for windows that cross
 * midnight) and the plans, and match every planned partner event instance with what aired.
 * Warnings (an unreadable as-run line, a day without an as-run log) go to diags. */
int cw_report_build(cw_report **out, const cw_station *st, const cw_report_opts *opts, cw_diags *diags,
                    cw_error *err) CW_WARN_UNUSED;
int cw_report_write(const cw_report *r, cw_report_format fmt, cw_buf *out);
void cw_report_free(cw_report *r);

#endif
