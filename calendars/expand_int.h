/* expand_int.h — what the expansion files of the calendars module share (not public): a
 * master's instances before overrides (instances.c), the set's caches (cache.c), arithmetic
 * counting of rules (count.c) and series positions (series.c). */
#ifndef CW_CAL_EXPAND_INT_H
#define CW_CAL_EXPAND_INT_H

#include "rules_int.h"

typedef struct cal_rid_entry {
    int64_t key;
    int is_date;
    char *text;
} cal_rid_entry;

typedef struct cal_series_cache {
    const cal_file *file;
    char *key;             /* series key, or UID when the event has none */
    int64_t horizon;       /* instances with original start < horizon are listed */
    int64_t *t;            /* original starts of counted instances, sorted (events that are
                              materialised) */
    char **uid;            /* parallel: uid (borrowed) */
    size_t n;
    const cal_event **fast; /* events counted arithmetically (cal_fast_count) at each call */
    size_t n_fast;
} cal_series_cache;

struct cal_cache {
    cal_rid_entry *rid;        /* open addressing */
    size_t rid_cap, rid_n;
    cal_series_cache *series;
    size_t n_series;
    size_t ranked_files;   /* cal_event.rank is set for the first this many files */
};

typedef struct cal_inst {
    int64_t key;         /* instance id: UTC instant, or days for DATE masters */
    int64_t start, end;  /* UTC */
    int64_t wall;        /* start in the master's frame */
    int period;          /* from an RDATE PERIOD (explicit end) */
} cal_inst;

typedef struct cal_inst_list {
    cal_inst *v;
    size_t n, cap;
} cal_inst_list;

typedef struct cal_budget {
    long steps;
    const cal_comp *comp;
} cal_budget;

int64_t cal_max_span(const cw_calset *set, const cal_comp *k);
/* End (UTC) of an instance of k starting at wall `w` in k's frame / UTC `s`, from k's DTEND
 * (the same exact length every time) or DURATION (days nominal, hours exact). */
int64_t cal_comp_end(const cw_calset *set, const cal_comp *k, int64_t w, int64_t s);
int cal_is_excluded(const cal_comp *m, const cal_inst *x);
const cal_comp *cal_find_override(const cal_event *e, int64_t key);
int cal_master_instances(const cw_calset *set, const cal_event *ev, int64_t ulo, int64_t uhi,
                            cal_inst_list *out, cal_budget *b);
void cal_rdate_inst(const cw_calset *set, const cal_comp *m, size_t i, int64_t *start, int64_t *wall);
int64_t cal_master_first_start(const cw_calset *set, const cal_comp *m);
void cal_override_times(const cw_calset *set, const cal_comp *o, int64_t *s, int64_t *e,
                           int64_t *sday, int64_t *eday);

const char *cal_rid_intern(const cw_calset *set, int64_t key, int is_date);
int cal_limit_error(cw_error *err, const cal_file *f, const cal_comp *k, int rc);
int cal_raw_eligible(const cw_calset *set, const cal_comp *m);
int cal_key_matches(const cal_comp *k, const char *key, int by_uid);
int cal_fast_count(const cw_calset *set, const cal_event *ev, const char *key, int by_uid,
                      int64_t bound, long long *out);

/* The RANGE=THISANDFUTURE override that governs the master's instance `key` (the latest one
 * before it), or NULL. */
const cal_comp *cal_future_for(const cal_event *ev, int64_t key);

#endif
