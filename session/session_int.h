/* session_int.h — the session's parts and snapshots, shared by session.c (loading,
 * reloading, locks, views), session_calls.c (plan, slots, build, changes) and records.c
 * (what aired, from the day bundles' plans). Private to session/. */
#ifndef CW_SESSION_INT_H
#define CW_SESSION_INT_H

#include "session.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <time.h>

/* A part of a snapshot, shared by the snapshots that did not reload it. */
typedef struct cw_ss_part {
    atomic_int refs;
    unsigned char sig[32];      /* what it was loaded from (stat fields, hashed) */
    cw_station *st;             /* STATION part */
    cw_calset *cals;            /* CALENDARS part (with its diagnostics and its mutex) */
    cw_diags diags;
    pthread_mutex_t cal_mu;
    int has_mu;
    cw_library *lib;            /* LIBRARY / PENDING part */
    cw_station_changes changes; /* CHANGES part */
} cw_ss_part;

enum { SS_STATION, SS_CALENDARS, SS_CHANGES, SS_LIBRARY, SS_PENDING, SS_NPARTS };

struct cw_session_view {
    atomic_int refs;
    cw_ss_part *part[SS_NPARTS]; /* PENDING may be NULL */
};

/* What aired, from out/DATE/plan.json (records.c). */
typedef struct cw_ss_records cw_ss_records;
cw_ss_records *cw_ss_records_new(const char *station_dir);
void cw_ss_records_free(cw_ss_records *r);
/* The history source over the records (valid while r lives). */
cw_air_history cw_ss_records_history(cw_ss_records *r);

/* The library's folders as the last full walk saw them: when none of them changed (a file
 * added, removed or renamed changes its folder), the files need not be looked at. */
typedef struct cw_ss_dir {
    char *path;
    dev_t dev;
    ino_t ino;
    struct timespec mtime;
} cw_ss_dir;

/* A full walk (every file's stat fields) at least this often by default: catches a
 * recording rewritten in place by another program, which changes no folder. */
#define CW_SS_FULL_WALK_SECONDS 5.0

struct cw_session {
    char *dir;
    cw_session_opts opts;
    pthread_mutex_t mu;    /* guards cur, the lock fields and reloading */
    cw_session_view *cur;  /* NULL before the first full load */
    cw_station *opened;    /* the station read by cw_session_open, until the first load */
    unsigned char opened_sig[32];
    int lock_fd, lock_held, lock_excl;
    cw_ss_records *records;
    cw_diags load_diags;   /* the last attempt to load the calendars (kept after a failure) */
    cw_ss_dir *lib_dirs;   /* the library's folders at the last full walk */
    size_t n_lib_dirs, cap_lib_dirs;
    double lib_walked_at;  /* CLOCK_MONOTONIC seconds of that walk */
};

/* Per-call locking: take the lock the call needs unless the session holds one (then check it
 * is enough). *fd gets the descriptor to release with cw_ss_unlock_call (-1 when none). */
int cw_ss_lock_call(cw_session *s, int exclusive, int *fd, cw_error *err);
void cw_ss_unlock_call(int fd);
/* Refresh (the caller holds a station lock) and return a new reference to the snapshot. */
int cw_ss_current(cw_session *s, cw_session_view **out, unsigned *changed, cw_error *err);

#endif
