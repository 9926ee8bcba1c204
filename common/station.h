/* station.h — the station directory and its settings file, station.conf (INI, read with
 * inih). Every module receives a loaded cw_station; nothing else reads station.conf.
 * Guarantees: a missing or invalid key is an error naming the file, the line and the key;
 * `cw_station_init` writes a complete, commented station.conf and the directory layout. */
#ifndef CW_STATION_H
#define CW_STATION_H

#include "common.h"

/* One line of [calendars]: FILE = PRIORITY[, holidays][, from SOURCE] */
typedef struct cw_partner_calendar {
    char *file;   /* file name inside calendars/ (no directory part) */
    int priority; /* higher wins a conflict; default 0 */
    int line;     /* line in station.conf, 0 if not listed there */
    int holidays; /* a public-holidays calendar: its all-day events are blackouts */
    char *source; /* what it was imported from (a path as given), NULL when not recorded;
                     subscriptions keep their URL in calendars/subscriptions.conf */
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

/* [speak]: how text is spoken (speak/). Per language (`fr.voice = fr-fr`): */
typedef struct cw_speak_lang {
    char *language;      /* lower case: "fr", "en-gb", "ha" */
    char *voice;         /* NULL: eSpeak NG's own voice for the language */
    int speed;           /* words a minute; 0: the [speak] speed */
    int pitch;           /* 0..99; -1: the [speak] pitch */
    char *intro, *outro; /* NULL: the [speak] intro/outro; "": none */
    int line;            /* where the language first appears in station.conf */
} cw_speak_lang;

typedef struct cw_speak_settings {
    size_t max_chars;       /* longer texts are refused (default 20000) */
    int drop_addresses;     /* addresses = drop (1) or read (0, default) */
    double paragraph_pause; /* seconds (0.6) */
    double heading_pause;   /* seconds (1.2) */
    int speed, pitch;       /* words a minute (150), 0..99 (50) */
    char *lexicon;          /* file in the station folder; NULL: speak.lexicon */
    char *intro, *outro;    /* files in the station folder; NULL or "": none */
    cw_speak_lang *langs;
    size_t n_langs;
} cw_speak_settings;

void cw_speak_settings_defaults(cw_speak_settings *sp);
void cw_speak_settings_clear(cw_speak_settings *sp);
/* One `name = value` of [speak]: 0, or -1 with the reason in why (one sentence naming the
 * key). */
int cw_speak_settings_key(cw_speak_settings *sp, const char *name, const char *value, int line,
                          char *why, size_t whylen);
/* The most specific per-language entry for a language tag ("fr-ca" -> fr.*), or NULL. */
const cw_speak_lang *cw_speak_settings_lang(const cw_speak_settings *sp, const char *language);

/* What a lesson whose episode did not air (its recording was missing) does to its series. */
typedef enum cw_missed_policy {
    CW_MISSED_SKIP = 0, /* the series moves on: the next lesson plays the next episode */
    CW_MISSED_HOLD      /* the series waits: the next lesson plays the episode that did not air */
} cw_missed_policy;

/* What the plan covers: the whole on-air windows, or only the partner events inside them. */
typedef enum cw_bundle_mode {
    CW_BUNDLE_DAY = 0, /* every on-air window is one block, gaps filled (fillers, then silence) */
    CW_BUNDLE_BLOCKS   /* only partner events are planned; the station's own programming airs between */
} cw_bundle_mode;

/* One on-air window in local minutes after midnight. end <= start: it ends on the next day
 * (only the day's last window may). */
typedef struct cw_on_air {
    int start, end;
} cw_on_air;
#define CW_MAX_ON_AIR 8

typedef struct cw_station {
    char *dir;       /* station directory as given (absolute after load) */
    char *conf_path; /* DIR/station.conf */

    /* [station] */
    char *name;
    char *timezone;      /* IANA zone name */
    int on_air_start;    /* the first window's start, minutes after local midnight */
    int on_air_end;      /* the first window's end; <= start means the window crosses midnight */
    cw_on_air on_air[CW_MAX_ON_AIR]; /* every window in the day's order (on_air = A-B, C-D) */
    size_t n_on_air;     /* 0 in hand-made stations: one window, on_air_start..on_air_end */
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
    double max_silence;          /* seconds; longer silence in a plan is a plan.dead-air warning (10;
                                    0 in a hand-made station means that default) */
    cw_missed_policy missed;     /* a lesson that did not air: skip (default) or hold its episode */

    /* [bundle] */
    cw_bundle_mode bundle_mode;  /* day (default) or blocks */

    /* [desk] (the web desk, `chalkwave serve`) */
    char *desk_listen;        /* ADDR:PORT the desk listens on (default 127.0.0.1:8070) */
    char *desk_url;           /* base of teachers' links, e.g. http://192.168.1.10:8070 ("" = from listen) */
    int desk_approve;         /* 1: teachers' uploads wait for staff approval (default yes) */
    int64_t desk_max_upload;  /* bytes of one upload (default 1 GiB) */
    int desk_login_hours;     /* a staff login lasts this long without use (default 12) */
    int desk_trust_proxy;     /* 1: the client address is the last X-Forwarded-For hop (default no) */
    /* [air]  playout (chalkwave air) */
    cw_strlist air_outputs;      /* output URLs used when no --output is given */
    int air_between_nothing;     /* 1: outputs fall silent between windows (Icecast: disconnect,
                                  * ALSA: release the card); 0 (default): digital silence */
    char *air_emergency;         /* Ogg Vorbis file (relative to the station) played when a
                                  * day's bundle is missing or damaged; NULL: library fillers */
    int air_build_ahead;         /* 1: build a missing day's bundle before it is needed */
    int air_retry_max;           /* seconds: longest wait between reconnection attempts (60) */
    /* [speak] */
    cw_speak_settings speak;

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
 * library/, inbox/, inbox/accepted/, inbox/rejected/, out/. cw_station_init writes the
 * template's zone (Africa/Lagos); cw_station_init_tz writes `timezone` (an IANA name the
 * system knows, else CW_EINVAL and nothing is created). */
int cw_station_init(const char *dir, cw_error *err);
int cw_station_init_tz(const char *dir, const char *timezone, cw_error *err);

/* The machine's time zone as an IANA name: $TZ when it names a zone (":Area/City" or
 * "Area/City"), else ETC/timezone (Debian), else the target of the ETC/localtime link
 * (".../zoneinfo/Area/City"). `etc` is "/etc" (another folder in tests). Returns a malloc'd
 * name and sets *from to where it came from ("TZ", "/etc/timezone", "/etc/localtime"), or
 * NULL when none of them names a zone the system knows. */
char *cw_station_machine_timezone(const char *etc, const char **from);
/* 1 when `tz` names a zone of the system's zoneinfo ("UTC" too). */
int cw_station_timezone_known(const char *tz);

/* The station's on-air windows (n_on_air of them, or the one on_air_start..on_air_end of a
 * hand-made station). Returns how many were written to out. */
size_t cw_station_windows(const cw_station *st, cw_on_air out[CW_MAX_ON_AIR]);

/* 1 when FILE can be a key in [calendars] (a plain file name: no '/', '=', ':', ';', '[',
 * no leading '#', no blank at either end, at most 120 bytes). `calendar import` checks this
 * before copying anything into calendars/. */
int cw_station_calendar_name_valid(const char *file);
/* Record FILE = PRIORITY in [calendars] of station.conf, atomically, keeping comments (and
 * the holidays flag and source the line had). A FILE that fails
 * cw_station_calendar_name_valid is refused (CW_EINVAL), nothing written. */
int cw_station_set_calendar(cw_station *st, const char *file, int priority, cw_error *err);
/* Priority of a calendar file name (0 when not listed). */
int cw_station_calendar_priority(const cw_station *st, const char *file);
/* The [calendars] entry of a file name, or NULL when it is not listed. Borrowed. */
const cw_partner_calendar *cw_station_calendar(const cw_station *st, const char *file);
/* Record the whole entry c (file, priority, holidays, source) in [calendars], atomically,
 * replacing the file's line if there is one. Same checks as cw_station_set_calendar. */
int cw_station_put_calendar(cw_station *st, const cw_partner_calendar *c, cw_error *err);
/* Remove FILE's line from [calendars], atomically (CW_ENOTFOUND when it has none). */
int cw_station_remove_calendar(cw_station *st, const char *file, cw_error *err);

/* Resolve the station directory: explicit option, else $CHALKWAVE_STATION, else ".". */
const char *cw_station_dir_default(const char *option);
/* Find the station a folder belongs to, as git finds its repository: `start` itself when it
 * holds a station.conf, else the nearest parent that does (stopping at the file system's
 * root or at a mount point). Returns a malloc'd absolute path, or NULL when none. */
char *cw_station_discover(const char *start);

#endif
