/* asrun_int.h — the as-run aggregator's own state, shared by asrun.c (records) and
 * asrun_state.c (the heartbeat file and recovery after a kill). Not a public interface. */
#ifndef CW_ASRUN_INT_H
#define CW_ASRUN_INT_H

#include "air_int.h"

#include <jansson.h>

#define MAX_OUTS 8
#define MAX_PARTS 16

typedef struct part {
    int64_t start_ns, from, samples;
    int open;
    char reason[80];
} part;

typedef struct out_entry {
    char *name;
    part parts[MAX_PARTS];
    int n;
} out_entry;

typedef struct entry {
    cw_date date;
    size_t item;
    char id[17];
    int64_t planned_ns, length_samples;
    int rate;
    json_t *meta; /* kind, title, ... copied from the plan item */
    out_entry outs[MAX_OUTS];
    int n_outs;
} entry;

typedef struct down {
    char *name, *detail;
    int64_t since;
} down;

typedef struct qline {
    struct qline *next;
    cw_date date;
    size_t len;
    char text[]; /* the line with its newline */
} qline;

struct air_asrun {
    pthread_mutex_t mu;
    /* lines wait here for the writer thread, so no output thread ever waits for a disk */
    pthread_mutex_t qmu;
    pthread_cond_t qcv;
    qline *qhead, *qtail;
    int writer_on, writer_stop;
    pthread_t writer;
    char *dir;
    const cw_tz *tz;
    cw_air_clock *clock;
    air_log *log;
    int fd;
    cw_date fd_date;
    entry *e;
    size_t n_e, cap_e;
    down downs[MAX_OUTS];
    int n_down;
    size_t records;
    int write_failed;
};

/* Helpers of asrun.c the state code uses (all under a->mu). */
void asr_put(air_asrun *a, int64_t when_ns, json_t *o);
void asr_flush_entries(air_asrun *a, int64_t now, int force, const char *why);
void asr_gap_locked(air_asrun *a, int64_t start_ns, int64_t end_ns, const char *reason, const char *output,
                    const char *detail);
out_entry *asr_find_out(entry *e, const char *name, int create);
/* The heartbeat file: written each tick (clean = 0) and at a clean stop (clean = 1). */
void asr_save_state(air_asrun *a, int64_t now, int clean);
/* What a previous run left in the heartbeat file, recorded (items cut, gaps). */
void asr_recover(air_asrun *a, int64_t now);

#endif
