/* read_int.h — what the reading files of the calendars module share (not public): the state
 * of one file being read (cal_load: normalised text, line table, the file's zones, the events
 * being built) and the steps text.c -> rawcheck.c -> event.c (with zones.c, meaning.c) ->
 * group.c that read.c runs. Every problem becomes one cw_diag with a stable `cal.*` code. */
#ifndef CW_CAL_READ_INT_H
#define CW_CAL_READ_INT_H

#include "calendars_int.h"

/* How a TZID of the file was resolved (zones.c). */
typedef struct cal_tzid_use {
    char *tzid;
    const cw_tz *tz;   /* NULL: unknown (an error at each use) */
    int compared;      /* the VTIMEZONE/system difference was reported */
    size_t uses;       /* DTSTARTs of events in it (which zone the file is written for) */
} cal_tzid_use;

typedef struct cal_load {
    cw_calset *set;
    const char *source; /* file name shown in diagnostics */
    cw_diags *diags;
    size_t errors, warnings;
    char *text;          /* normalised text, LF line ends */
    size_t len;
    size_t *line_off;    /* start offset of each line (0-based index = line - 1) */
    size_t n_lines;
    /* VEVENTs at calendar level, in file order: begin/end line */
    int *ev_begin, *ev_end;
    size_t n_ev, cap_ev;
    /* zones declared in the file */
    char **ztzid;
    cw_tz **zone;
    size_t n_zones;
    cal_file *file;
    int oom;
    /* lines of the current VEVENT whose impossible date was reported from the raw text
     * (cal_raw_dates): cal_make_time does not report them a second time */
    int bad_line[16];
    int n_bad_line;
    const char *item;    /* UID of the event being read: the `item` of its diagnostics */
    cal_comp *cur;       /* the event being read: an error skips it (cal_diag) */
    /* libical's copy of the text (repair.c): lines left out, lines rewritten */
    unsigned char *drop; /* [line]: 1 when the line is not given to libical */
    char **repl;         /* [line]: the unfolded content line that replaces it, or NULL */
    char *lic;           /* the text libical parses */
    int nested_warned;
    int wrapped;         /* bare components: libical gets them inside a VCALENDAR */
    char *x_wr_tz;       /* X-WR-TIMEZONE of the calendar (NULL none) and its line */
    int x_wr_line;
    int x_wr_warned, x_wr_floating_warned;
    cal_tzid_use *resolved; /* each TZID met, once */
    size_t n_resolved, cap_resolved;
} cal_load;

typedef struct cal_raw_comp {
    cal_comp *k;
    cal_time rid;    /* override: RECURRENCE-ID as written */
    int has_rid;
    int end_line;
} cal_raw_comp;

/* One diagnostic of the file being read (FILE:LINE, lower-case "what (what to do)"). */
void cal_diag(cal_load *c, cw_diag_severity sev, const char *code, int line, const char *fmt, ...)
    CW_PRINTF(5, 6);

void cal_line_span(const cal_load *c, int line, const char **s, size_t *n);
int cal_normalise(cal_load *c, const char *data, size_t len);
int cal_scan_structure(cal_load *c);
int cal_block_next(const cal_load *c, int *ln, int b, int *depth, const char **s, size_t *sl);
int cal_is_prop(const char *s, size_t sl, const char *name, size_t nl);
int cal_prop_line(const cal_load *c, int a, int b, const char *name, int nth);
int cal_raw_dates(cal_load *c, int a, int b);
int64_t cal_wall_of(struct icaltimetype t);
int cal_make_time(cal_load *c, icalproperty *p, struct icaltimetype t, int line,
                     const char *prop, cal_time *out);
int cal_load_zones(cal_load *c, icalcomponent *cal);
void cal_inherit_str(char **dst, const char *master);
void cal_meaning(cal_load *c, icalcomponent *ev, cal_comp *k, int line);
/* Defaults of what the partner did not state (lesson, not a repeat, "" texts); in a
 * holidays calendar every all-day component is a blackout. */
void cal_finish_meaning(cal_comp *k, int holidays);
/* Text of a DESCRIPTION without HTML: tags removed (block tags and <br> become line
 * breaks), entities decoded, no-break spaces made spaces. malloc'd; NULL when out of memory. */
char *cal_html_to_text(const char *s);
void cal_comp_free(cal_comp *k);
/* libical's X-LIC-ERRORs of component `ev` (lines a..b) as diagnostics: errors when
 * `in_event` (the event is skipped), warnings at the calendar level. */
void cal_lic_errors(cal_load *c, icalcomponent *ev, int a, int b, int in_event);
int cal_push_ptr(void ***v, size_t *n, size_t *cap, void *p);
cal_comp *cal_read_event(cal_load *c, icalcomponent *ev, int a, int b, cal_raw_comp *rc);
int cal_group_events(cal_load *c, cal_raw_comp *rcs, size_t n);
void cal_check_dtstart_on_rule(cal_load *c, cal_comp *m);

int cal_repair(cal_load *c);
/* Which zone the file is written for (c->file->zone), and the `cal.zone-differs` warning
 * when the set has a station zone that differs from it. */
void cal_file_zone(cal_load *c);
void cal_sort_diags(cw_diags *d, size_t first);

#endif
