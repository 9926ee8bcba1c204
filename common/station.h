/* station.h — the station directory and its settings file, station.conf (INI, read with
 * inih). Every module receives a loaded cw_station; nothing else reads station.conf.
 * Guarantees: a missing or invalid key is an error naming the file, the line and the key;
 * `cw_station_init` writes a complete, commented station.conf and the directory layout. */
#ifndef CW_STATION_H
#define CW_STATION_H

#include "common.h"

typedef struct cw_partner_calendar {
    char *file;   /* file name inside calendars/ (no directory part) */
    int priority; /* higher wins a conflict; default 0 */
    int line;     /* line in station.conf, 0 if not listed there */
} cw_partner_calendar;

typedef enum cw_missing_policy {
    CW_MISSING_FILLER = 0,  /* play fillers in rotation */
    CW_MISSING_ANNOUNCEMENT, /* play the "lesson unavailable" recording, then fill */
    CW_MISSING_SILENCE
} cw_missing_policy;

typedef enum cw_overrun_policy {
    CW_OVERRUN_CUT = 0, /* cut at the next hard start with a fade */
    CW_OVERRUN_PUSH     /* run on and push soft items (never past a hard start) */
} cw_overrun_policy;

/* What the plan covers: the whole on-air windows, or only the partner events inside them. */
typedef enum cw_bundle_mode {
    CW_BUNDLE_DAY = 0, /* every on-air window is one block, gaps filled (fillers, then silence) */
    CW_BUNDLE_BLOCKS   /* only partner events are planned; the station's own programming airs between */
} cw_bundle_mode;

typedef struct cw_station {
    char *dir;       /* station directory as given (absolute after load) */
    char *conf_path; /* DIR/station.conf */

    /* [station] */
    char *name;
    char *timezone;      /* IANA zone name */
    int on_air_start;    /* minutes after local midnight */
    int on_air_end;      /* minutes; <= start means the window crosses midnight */
    char *language;      /* default language code for items without one ("en") */

    /* [audio] */
    int rate;             /* Hz, 8000..192000 */
    int channels;         /* 1..8 */
    double quality;       /* Vorbis VBR quality on oggenc's scale -1..10 (libvorbis: /10) */
    double loudness;      /* target LUFS, e.g. -23 */
    double true_peak;     /* ceiling dBTP, e.g. -1 */
    double min_length;    /* seconds after trimming; shorter is refused (default 3) */
    double max_length;    /* seconds; longer is refused (default 4 h) */
    double silence_threshold; /* dBFS; below is silence for trimming (default -50) */
    double silence_margin;    /* seconds kept before/after speech (default 0.25) */
    double min_pause;         /* seconds: shorter silence at either end is not trimmed (0.5) */
    double fade;          /* seconds of fade at cut points (default 0.5) */

    /* [schedule] */
    cw_missing_policy missing;   /* what a slot gets when its episode is missing */
    char *unavailable;           /* series key of the "lesson unavailable" announcement */
    cw_overrun_policy overrun;
    int newsletters_fill_gaps;   /* 1: newsletter items may fill gaps (default 0) */
    cw_strlist fillers;          /* filler series keys in rotation order; empty = all fillers */

    /* [air]  playout (chalkwave air) */
    cw_strlist air_outputs;      /* output URLs used when no --output is given */
    int air_between_nothing;     /* 1: outputs fall silent between windows (Icecast: disconnect,
                                  * ALSA: release the card); 0 (default): digital silence */
    char *air_emergency;         /* Ogg Vorbis file (relative to the station) played when a
                                  * day's bundle is missing or damaged; NULL: library fillers */
    int air_build_ahead;         /* 1: build a missing day's bundle before it is needed */
    int air_retry_max;           /* seconds: longest wait between reconnection attempts (60) */

    /* [calendars]  FILE = PRIORITY */
    cw_partner_calendar *calendars;
    size_t n_calendars;
} cw_station;

/* Load DIR/station.conf. On error *out is NULL and err names file, line and key. */
int cw_station_load(cw_station **out, const char *dir, cw_error *err) CW_WARN_UNUSED;
void cw_station_free(cw_station *st);
/* Parse settings from text (used by the loader, tests and the fuzzer); `source` names the
 * text in errors. The station dir is taken as given. */
int cw_station_parse(cw_station **out, const char *dir, const char *source, const char *text,
                     size_t len, cw_error *err) CW_WARN_UNUSED;

/* Create DIR (must not hold a station.conf already) with station.conf, calendars/,
 * library/, inbox/, inbox/accepted/, inbox/rejected/, out/. */
int cw_station_init(const char *dir, cw_error *err);

/* 1 when FILE can be a key in [calendars] (a plain file name: no '/', '=', ':', ';', '[',
 * no leading '#', no blank at either end, at most 120 bytes). `calendar import` checks this
 * before copying anything into calendars/. */
int cw_station_calendar_name_valid(const char *file);
/* Record FILE = PRIORITY in [calendars] of station.conf, atomically, keeping comments.
 * A FILE that fails cw_station_calendar_name_valid is refused (CW_EINVAL), nothing written. */
int cw_station_set_calendar(cw_station *st, const char *file, int priority, cw_error *err);
/* Priority of a calendar file name (0 when not listed). */
int cw_station_calendar_priority(const cw_station *st, const char *file);

/* Resolve the station directory: explicit option, else $CHALKWAVE_STATION, else ".". */
const char *cw_station_dir_default(const char *option);

#endif
