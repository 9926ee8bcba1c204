/* playlists_int.h — internals of the playlists module shared by its files and its unit
 * tests: the per-item view of a plan that every writer uses, and the text writers.
 * Not a public interface. Guarantees: writers are pure (plan view in, text out), escape
 * every outside string for their format, and never pass control characters through. */
#ifndef CW_PLAYLISTS_INT_H
#define CW_PLAYLISTS_INT_H

#include "playlists.h"

/* One plan item as the writers see it. */
typedef struct cw_pl_item {
    const cw_plan_item *pi;
    size_t index;          /* 1-based */
    char file[160];        /* "items/001-0900-slug.ogg" */
    char hhmm[6];          /* local start "09:00" */
    char local_iso[32];    /* "2026-03-16T09:00:00+01:00" */
    char *title;           /* display title (never empty), UTF-8 cleaned, one line */
    char *teacher;         /* cleaned, "" when none */
    char *language, *series; /* cleaned */
    double seconds;        /* length */
} cw_pl_item;

/* A block (README "Bundle modes"): items that play back to back; its own chained Ogg in
 * blocks/, its M3U, its row in events.csv, its line in liquidsoap.liq. */
typedef struct cw_pl_block {
    size_t first, n;         /* items[first .. first + n) */
    int64_t offset, length;  /* samples */
    int64_t start_ms, end_ms; /* UTC, milliseconds */
    char name[80];           /* "0730-maths-p5": local start and first programme, unique */
    char start_hms[9], end_hms[9];   /* local "07:30:00" (start rounded down, end to the second) */
    char start_utc[21], end_utc[21]; /* "2027-01-13T06:30:00Z" */
    char *titles;            /* its programmes, "; " between them ("Fill" when none), cleaned */
} cw_pl_block;

typedef struct cw_pl_view {
    const cw_station *st;
    const cw_plan *plan;
    char *station_name;    /* cleaned */
    char date[11];
    char weekday[10];      /* "Monday" */
    char start_hhmm[6], end_hhmm[6];
    char utc_offset[8];    /* "+01:00" at the window start */
    char *abs_dir;         /* the bundle's final absolute path (liquidsoap.m3u) */
    cw_pl_item *items;
    size_t n;
    cw_pl_block *blocks;   /* derived from the items as cw_plan_compute_blocks does */
    size_t n_blocks;
    int day_ogg;           /* 1: the bundle has day.ogg (day mode with items) */
    double max_silence;    /* seconds: a longer run of silence is dead air (guide) */
    size_t *slot_of;       /* per item: 1 + the index of the missing or pending slot whose
                            * fallback it plays, 0 for none */
    char **slot_title;     /* per plan slot: "SUMMARY, episode N", cleaned */
} cw_pl_view;

/* Dead air: silence longer than this is a warning in the guide (the [schedule] max_silence
 * default; README "Dead air"). */
#define CW_PL_MAX_SILENCE 10.0

/* Build the view; abs_dir may be NULL (then liquidsoap paths are relative). */
int cw_pl_view_new(cw_pl_view **out, const cw_station *st, const cw_plan *plan,
                   const char *abs_dir, cw_error *err);
void cw_pl_view_free(cw_pl_view *v);

/* Valid UTF-8 (invalid bytes -> U+FFFD), control characters -> space. malloc'd. */
char *cw_pl_clean(const char *s);
/* "teacher - title" or "title". */
void cw_pl_put_display(cw_buf *b, const cw_pl_item *it);

/* "1:05" / "1:02:03"; the item's kind as its CSS class and label ("lesson", ...). */
void cw_pl_put_duration(cw_buf *b, double seconds);
const char *cw_pl_kind_label(const cw_plan_item *pi);

/* The writers (append to out). */
void cw_pl_write_m3u8(const cw_pl_view *v, cw_buf *out);
void cw_pl_write_xspf(const cw_pl_view *v, cw_buf *out);
void cw_pl_write_pls(const cw_pl_view *v, cw_buf *out);
void cw_pl_write_cue(const cw_pl_view *v, cw_buf *out);
void cw_pl_write_liquidsoap(const cw_pl_view *v, cw_buf *out);
void cw_pl_write_guide_html(const cw_pl_view *v, cw_buf *out);
void cw_pl_write_guide_txt(const cw_pl_view *v, cw_buf *out);

/* The comments of an item's link: title, teacher, series, kind, language, track number,
 * PLANNED_START and ORGANIZATION. Strings are borrowed from the view; free `extra`. */
typedef struct cw_pl_meta {
    cw_link_meta m;
    cw_strlist extra;
} cw_pl_meta;
int cw_pl_link_meta(cw_pl_meta *s, const cw_pl_view *v, const cw_pl_item *it);
/* The serial seed of a stream rendered from `first_item` of the plan. */
uint32_t cw_pl_render_seed(const cw_plan *plan, size_t first_item);

/* The bundle's block files and event list (blocks.c). */
void cw_pl_write_events_csv(const cw_pl_view *v, cw_buf *out);
void cw_pl_write_block_m3u8(const cw_pl_view *v, const cw_pl_block *b, cw_buf *out);
void cw_pl_write_liquidsoap_script(const cw_pl_view *v, cw_buf *out);
/* Fill v->blocks from v->items; 0 or CW_ENOMEM. */
int cw_pl_view_blocks(cw_pl_view *v, const cw_tz *tz);

/* The bundle's files (bundle_audio.c): day.ogg, blocks/ and items/ rendered into the build
 * folder `tmp` in one pass (one per block in blocks mode), each file's "HEX  path" line
 * added to sums; a text file written and hashed; a SHA256SUMS line. */
int cw_pl_bundle_audio(const cw_station *st, const cw_pl_view *v, const char *tmp, cw_bundle_report *report,
                       cw_strlist *sums, cw_error *err);
int cw_pl_write_text(const char *dir, const char *name, const cw_buf *b, char hex[65], cw_error *err);
int cw_pl_sums_add(cw_strlist *sums, const char *hex, const char *path, cw_error *err);

/* Remove a directory tree (no symlink following). 0 or -1. */
int cw_pl_rmtree(const char *path);

#endif
