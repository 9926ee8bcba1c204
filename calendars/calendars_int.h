/* calendars_int.h — internals shared by the calendars module's files (not public).
 * Data model: a cw_calset holds files; a file holds events grouped by UID (one master and
 * its RECURRENCE-ID overrides); every time value is kept as a wall-clock time plus the frame
 * it is read in (date, floating, UTC, or a zone), and converted by chalkwave's own tz code. */
#ifndef CW_CALENDARS_INT_H
#define CW_CALENDARS_INT_H

#include <libical/ical.h>

#include "calendars.h"

/* ---- time zones (tz.c) ------------------------------------------------------------- */

struct cw_tz {
    char *name;     /* IANA name or the TZID of an embedded VTIMEZONE */
    int64_t *utc;   /* sorted transition instants */
    int *off;       /* offset (s east of UTC) from utc[i] on */
    size_t n;
    int off0;       /* offset before the first transition */
    size_t hint;    /* last span found (a lookup cache) */
};

/* Build a zone from a VTIMEZONE component (embedded or libical's system copy). */
int cw_tz_from_vtimezone(cw_tz **out, const char *name, icalcomponent *vtz, cw_error *err);
/* Local wall seconds (days since 1970 * 86400 + seconds of day) -> UTC, RFC 5545 §3.3.5. */
int64_t cw_tz_wall_to_utc(const cw_tz *tz, int64_t wall);
int64_t cw_tz_utc_to_wall(const cw_tz *tz, int64_t utc);
/* True when the local wall time happens twice (a fall-back overlap). */
int cw_tz_wall_ambiguous(const cw_tz *tz, int64_t wall);
/* Map a Windows zone name ("W. Europe Standard Time", CLDR's table) or an Outlook display
 * name ("(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna") to IANA; NULL if
 * unknown. */
const char *cw_tz_windows_to_iana(const char *windows_name);
/* A zone at a fixed offset (s east of UTC), named "UTC+01:00". 0 or CW_ENOMEM. */
int cal_tz_fixed(cw_tz **out, int offset);
/* Initialise libical's error handling once (non-fatal errors). */
void cw_cal_lib_init(void);

/* Wall seconds helpers. */
int64_t cw_wall_from_civil(const cw_civil *c);
void cw_civil_from_wall(int64_t wall, cw_civil *out);
int64_t cw_floor_div(int64_t a, int64_t b);
/* Gregorian calendar: 1 for a leap year; the number of days of month m (1..12) of year y.
 * Inline: the rule generators call them once a day or period. */
static inline int cal_leap_year(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static inline int cal_month_len(int64_t y, int m)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return mdays[m - 1] + (m == 2 && cal_leap_year(y));
}

/* Room for one more element in a full growable array (expand.c): `arr` is the address of the
 * array pointer (any T **), *cap its capacity in elements of `size` bytes. Doubles *cap (0 ->
 * `first`) and moves the array; 0, or -1 when out of memory (array and *cap unchanged). */
int cal_grow(void *arr, size_t *cap, size_t size, size_t first);
/* Room for element n of an array grown one at a time (n elements now): 0 or -1. */
int cal_grow_one(void *arr, const size_t *n, size_t size);
/* The name a zone was opened or defined with (without the set's '@' marker). */
const char *cal_zone_name(const cw_tz *tz);

/* The libical time of civil c (expand.c): a DATE when is_date (no time of day), else a
 * DATE-TIME read in `zone` (NULL: floating). */
struct icaltimetype cal_icaltime(const cw_civil *c, int is_date, icaltimezone *zone);

/* ---- time values ------------------------------------------------------------------- */

typedef enum { CT_NONE = 0, CT_DATE, CT_FLOAT, CT_UTC, CT_ZONED } cal_time_kind;

typedef struct cal_time {
    cal_time_kind kind;
    int64_t wall;   /* wall seconds in its frame (DATE: midnight) */
    const cw_tz *tz; /* CT_ZONED only; borrowed from the set's zone cache */
} cal_time;

/* ---- recurrence rules (expand.c) --------------------------------------------------- */

typedef struct cal_rrule {
    struct icalrecurrencetype r; /* as parsed; until cleared, handled by chalkwave; r.rscale
                                    is this rule's own copy (NULL: Gregorian), freed with it */
    int has_until;
    cal_time until;
    /* lazily filled cache of every generated wall time from DTSTART on, in order */
    int64_t *cache;
    size_t n_cache, cap_cache;
    void *iter;      /* generator positioned after the last cached value */
    int exhausted;   /* the rule has no more instances */
    int limited;     /* the cache hit its bound */
    long steps;
} cal_rrule;

typedef struct cal_rdate {
    cal_time t;
    int is_period;
    cal_time end;         /* period with explicit end */
    int has_dur;
    int dur_days;         /* period with a duration */
    int64_t dur_secs;
} cal_rdate;

typedef struct cal_exdate {
    int is_date;
    int64_t key;          /* UTC instant, or days since 1970 for dates */
} cal_exdate;

/* One VEVENT: a master or a RECURRENCE-ID override. */
typedef struct cal_comp {
    int line;
    char *uid, *summary, *description, *categories, *location, *attach;
    char *series, *teacher, *language;
    char *text;           /* DESCRIPTION from its "Text:" label on (a newsletter to speak) */
    cw_kind kind;
    int episode, repeat;
    int cancelled;
    int sequence;
    cal_time dtstart;
    int has_start;        /* DTSTART was read (always, unless skipped) */
    int has_dtend;
    cal_time dtend;
    int has_duration;
    int dur_days;         /* nominal part (weeks*7 + days) */
    int64_t dur_secs;     /* exact part */
    /* master only */
    cal_rrule *rrules;
    size_t n_rrules;
    cal_rdate *rdates;
    size_t n_rdates;
    cal_exdate *exdates;
    size_t n_exdates;
    int until_before_start; /* repaired: RRULE ignored, DTSTART only */
    int dtstart_added;    /* DTSTART is no instance of its rules: added as the first one
                             (an RDATE, RFC 5545 §3.3.10), COUNT reduced by one */
    int kind_stated;      /* the partner said what it is (Kind:, a category, X-CHALKWAVE-KIND) */
    /* override only */
    int is_override;
    int range_future;     /* RECURRENCE-ID;RANGE=THISANDFUTURE: applies to later instances too */
    int64_t future_shift; /* its time shift (wall seconds in the master's frame) */
    int64_t rid_key;      /* UTC instant or days (DATE masters) */
    char rid_text[32];
    /* an event with errors is skipped: never aired, its instances are reported instead
     * (cw_calset_expand_skipped) where a start can be read */
    int skipped;
    int placeable;        /* skipped, but DTSTART (or RECURRENCE-ID) was read */
    char *skip_code, *skip_text; /* its first error */
} cal_comp;

struct cal_file;

typedef struct cal_event {
    struct cal_file *file;
    cal_comp *master;     /* NULL for orphan overrides */
    cal_comp **ovr;       /* sorted by rid_key */
    size_t n_ovr;
    cal_comp **fut;       /* the overrides with RANGE=THISANDFUTURE, sorted by rid_key */
    size_t n_fut;
    int64_t max_shift;    /* the largest |time shift| of those (s), for search windows */
    uint32_t rank;        /* order by (UID, file label) in the set (expand.c, a cache) */
} cal_event;

typedef struct cal_file {
    char *label;
    int priority;
    int holidays;         /* every all-day event is a blackout (calendar import --holidays) */
    cal_event *events;
    size_t n_events;
    cw_cal_skipped *skipped; /* events skipped for errors, in file order (strings owned) */
    size_t n_skipped;
    cal_comp **limbo;     /* skipped components that cannot be placed (freed with the file) */
    size_t n_limbo;
    char *zone;           /* the zone the file is written for (X-WR-TIMEZONE, else its
                             DTSTARTs' most common TZID), NULL when floating or UTC only */
} cal_file;

typedef struct cal_cache cal_cache; /* expand.c: interned ids and series positions */

struct cw_calset {
    cw_tz *deftz;          /* floating times and all-day midnights */
    int station_zone;      /* deftz is a station's zone (cw_calset_new got one): files
                              written for another zone are warned about */
    cw_tz **zones;         /* owned zones (system by name, embedded per file) */
    size_t n_zones;
    cal_file **files;
    size_t n_files;
    cal_cache *cache;      /* mutable caches, also used through a const set */
};

/* Instant of a time value (floating and dates in the set's default zone). */
int64_t cal_time_utc(const cw_calset *set, const cal_time *t);
/* Frame helpers for a master's DTSTART frame. */
int64_t cal_frame_wall_to_utc(const cw_calset *set, const cal_time *frame, int64_t wall);
int64_t cal_frame_utc_to_wall(const cw_calset *set, const cal_time *frame, int64_t utc);
/* Find or open a system zone by name; borrowed from the set. NULL when unknown. */
const cw_tz *cal_set_system_zone(cw_calset *set, const char *name);
int cal_set_adopt_zone(cw_calset *set, cw_tz *tz);

/* The first wall time the rule yields (for the "DTSTART not on its rule" check):
 * returns 1 and *first when there is one, 0 when none (within bounds). */
int cal_rrule_first(const cal_comp *master, cal_rrule *rr, int64_t *first);
/* The first `max` wall times of the rule from DTSTART (no COUNT/UNTIL applied beyond the
 * generator's own COUNT), from chalkwave's generator or, with `libical`, from libical's
 * iterator: for tests comparing the two. Returns how many, -1 on OOM. */
int cal_rule_walls(const cal_comp *m, const cal_rrule *rr, int libical, int64_t *out, size_t max);
void cal_rrule_release(cal_rrule *rr);
int cal_cache_new(cw_calset *set);
/* cw_calset_series_position by materialising every event's history (no arithmetic counting,
 * no cache): the reference the fast path is tested against. */
int cal_series_position_reference(const cw_calset *set, const cw_occurrence *occ, long *out,
                                  cw_error *err);
void cal_cache_free(cw_calset *set);

#define CAL_STEP_BUDGET 400000L   /* generator steps per event per expansion */
#define CAL_CACHE_MAX 200000      /* cached instances per rule */
#define CAL_MAX_YEAR 2582         /* libical's iterator stops here too */

#endif
