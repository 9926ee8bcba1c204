/* playlists.h — a day plan -> a self-contained bundle: day.ogg (one chained Ogg Vorbis
 * stream), items/, M3U8/XSPF/PLS/CUE and Liquidsoap playlists, plan.json, schedule.ics,
 * guide.html/guide.txt, SHA256SUMS; and `verify` for a bundle on a USB stick.
 * Guarantees: the bundle is built beside the target and swapped in atomically
 * (renameat2 RENAME_EXCHANGE); a failed or killed build leaves any previous bundle
 * untouched; the same inputs give byte-identical bundles. */
#ifndef CW_PLAYLISTS_H
#define CW_PLAYLISTS_H

#include "common.h"
#include "scheduler.h"
#include "station.h"

typedef struct cw_bundle_report {
    char dir[1024];         /* the finished bundle */
    size_t items;
    size_t reencoded;       /* items re-encoded (cut or other format) */
    int64_t day_samples;    /* airtime: the samples of every item (gaps between blocks not counted) */
    cw_strlist notes;       /* "item 3 re-encoded: library file is 48000 Hz" ... */
} cw_bundle_report;
void cw_bundle_report_free(cw_bundle_report *r);

/* Write the bundle for `plan` to out_dir (usually STATION/out/YYYY-MM-DD). */
int cw_bundle_build(const cw_station *st, const cw_plan *plan, const char *out_dir,
                    cw_bundle_report *report, cw_error *err) CW_WARN_UNUSED;

/* ---- rendering a plan (the bundle and playout) ------------------------------------ */

typedef struct cw_render_report {
    size_t links;      /* Ogg links written (gaps and joins included) */
    size_t reencoded;  /* items whose audio was decoded and encoded again (cut, other format,
                        * joined inside) */
    int64_t samples;   /* samples written */
} cw_render_report;

/* Render plan items [first_item, to_item) as chained Ogg Vorbis through `sink`, starting
 * from_sample samples into the first item (playout joining late: the rest of that item is
 * a short re-encoded head with the station's fade as a fade-in, then the recording's own
 * packets). Each item is one link (two when joined) of exactly its planned samples; a gap
 * between items (between blocks) becomes a silence link titled "Off air" whose spec has no
 * item. The sink's link_begin sees each link's spec: spec->item is the `const cw_plan_item *`
 * and spec->item_index its index in plan->items. The stream's serials derive from the
 * plan's date and first_item: the same call gives the same bytes. The sink is closed by
 * every call, once, at the end (failed = 1 after an error, a refused argument included).
 * Recordings are read from st->dir; Vorbis quality and
 * the fade from st. */
int cw_render_plan(const cw_station *st, const cw_plan *plan, size_t first_item, int64_t from_sample,
                   size_t to_item, const cw_ogg_sink *sink, cw_render_report *report,
                   cw_error *err) CW_WARN_UNUSED;

/* ---- a bundle's layout (for playout) ----------------------------------------------- */

/* A chained Ogg file of a bundle and the plan items it holds, back to back (day.ogg also
 * holds an "Off air" silence link in each gap between blocks). */
typedef struct cw_bundle_file {
    char rel[100];             /* "day.ogg" or "blocks/0730-maths-p5.ogg" */
    size_t first_item, n_items;
    int64_t offset;            /* samples from the plan's window start to the file's first sample */
} cw_bundle_file;

typedef struct cw_bundle_layout {
    cw_bundle_file *files;
    size_t n_files;
    size_t n_items;
    char (*item_file)[160];    /* per item: "items/003-0900-fractions.ogg" (the item alone) */
    size_t *item_in;           /* per item: the index in files of the file that holds it */
} cw_bundle_layout;

/* Where the bundle built from `plan` keeps each item's audio, named exactly as
 * cw_bundle_build names it. */
int cw_bundle_layout_new(cw_bundle_layout **out, const cw_plan *plan, cw_error *err) CW_WARN_UNUSED;
void cw_bundle_layout_free(cw_bundle_layout *l);

/* Check SHA256SUMS and decode the headers of every Ogg file; day.ogg and blocks/ against
 * plan.json. `bad` receives one line per problem ("items/003-0900-x.ogg: checksum
 * mismatch"). CW_EINVAL when anything is bad. cw_bundle_verify_notes also fills `notes`
 * (may be NULL) with what was ignored: files an operating system added to the copied
 * folder ("desktop.ini: added by Windows, ...") and other hidden files. */
int cw_bundle_verify(const char *dir, cw_strlist *bad, cw_error *err);
int cw_bundle_verify_notes(const char *dir, cw_strlist *bad, cw_strlist *notes, cw_error *err);

/* The broadcast schedule of one or more plans as RFC 5545 text (export command and the
 * bundle's schedule.ics): stable UIDs derived from station, date, start and recording;
 * DTSTAMP derived from the plans. *out malloc'd. */
int cw_plans_to_ics(const cw_station *st, cw_plan *const *plans, size_t n, char **out,
                    size_t *out_len, cw_error *err);

#endif
