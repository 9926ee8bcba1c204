/* report_int.h — the report's rows and totals, shared by report.c (matching) and
 * report_out.c (HTML, CSV, JSON). Not a public interface. */
#ifndef CW_REPORT_INT_H
#define CW_REPORT_INT_H

#include "air.h"
#include "calendars.h"

enum { REP_AIRED = 0, REP_CUT, REP_NOT_AIRED };

typedef struct rep_row {
    cw_date date;            /* the plan day */
    int64_t start, end;      /* the partner's event, UTC seconds */
    cw_kind kind;
    char *calendar, *uid, *rid, *series, *title, *teacher;
    int episode;
    int state;               /* REP_* */
    int why;                 /* cw_slot_status when not aired by the plan's decision, else -1 */
    int64_t aired_ns;        /* actual start (when aired) */
    double aired_s, planned_s;
    char *reason;            /* "" when aired in full */
    char *outputs;           /* NULL when not aired */
} rep_row;

typedef struct rep_total {
    char *series;
    size_t planned, aired, cut, not_aired, excused; /* excused: holidays and cancellations */
    double planned_s, aired_s;
} rep_total;

struct cw_report {
    char *station, *zone, *calendar;
    cw_tz *tz;
    cw_date from, to;
    rep_row *rows;
    size_t n, cap;
    rep_total *totals;
    size_t n_totals;
    cw_strlist files; /* the as-run logs read */
};

#endif
