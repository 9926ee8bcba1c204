/* ingest_int.h — what the ingest workflow (ingest.c) shares with its helpers: the library
 * side (ingest_lib.c: checksum, conflicts with what is stored, the library lock, the work
 * file) and the checks of keys and comments (ingest_meta.c). Not a public interface.
 * Guarantees: as audio_int.h (no printing, cw_error on failure). */
#ifndef CW_INGEST_INT_H
#define CW_INGEST_INT_H

#include "audio.h"

#include <stdio.h>

/* ---- the source against the library and pending/ (ingest_lib.c) -------------------- */

typedef struct cw_audio_ingest_conflicts {
    /* in */
    const char *station_dir, *src, *name, *series;
    int episode, replace, pending;
    int any_episode; /* only whether the source is stored already (the metadata was refused) */
    /* out */
    char sha[65];                   /* of the source */
    int rc;                         /* cw_audio_ingest_precheck_main's result */
    cw_error err;
    char replace_path[1024];        /* the stored recording this one replaces; "" none */
    char dup_path[1024], dup_series[80]; /* the same source, stored */
    int dup_episode;
} cw_audio_ingest_conflicts;

/* The source's checksum, then cw_audio_ingest_conflicts_check. */
int cw_audio_ingest_precheck(cw_audio_ingest_conflicts *q, cw_error *err);
void *cw_audio_ingest_precheck_main(void *q); /* the same on a thread: result in q->rc, q->err */
/* Refusals that depend on what is stored (library/ and pending/): the same source (whatever
 * it is called: "already in the library as ... (sent on DATE)"), or the same series and
 * episode without replace. Sets replace_path. q->sha must be set. */
int cw_audio_ingest_conflicts_check(cw_audio_ingest_conflicts *q, cw_error *err);
void cw_audio_ingest_report_dup(cw_ingest_result *res, const cw_audio_ingest_conflicts *q);

/* Serialises the final check-and-rename of every ingest, approval and rejection (threads
 * and processes): flock on STATION/library/.ingest.lock, held for milliseconds. */
int cw_audio_ingest_lock(const char *station_dir, int *fd, cw_error *err);
void cw_audio_ingest_unlock(int fd); /* -1 is fine */

/* The work file beside the final one (".NAME.ogg.work.tmp-..."): opened (or emptied) per
 * attempt, removed at close. */
typedef struct cw_audio_ingest_work {
    cw_atomic *a;
    FILE *fp;
    const char *path; /* the temporary's path */
    char *final_abs;  /* where the recording goes */
} cw_audio_ingest_work;
int cw_audio_ingest_work_open(cw_audio_ingest_work *w, const char *station_dir, const char *rel,
                        cw_error *err);
int cw_audio_ingest_work_reset(cw_audio_ingest_work *w, cw_error *err);
void cw_audio_ingest_work_close(cw_audio_ingest_work *w);
/* Copy src_path from offset to its end into dst. */
int cw_audio_ingest_copy_tail(const char *src_path, long offset, FILE *dst, cw_error *err);

/* ---- keys and comments (ingest_meta.c) ------------------------------------------------- */

int cw_audio_ingest_key_ok(const char *key); /* letters, digits, '-', '_', '.'; 1..64; not . or - first */
/* "KEY=value" comments a caller adds: valid keys, UTF-8 values, none that chalkwave sets
 * (DESCRIPTION only when the metadata has none). */
int cw_audio_ingest_extra_ok(const cw_strlist *extra, int has_description, const char *name,
                       cw_error *err);
/* Warn (ingest.series-unknown) when no calendar uses the key, naming the nearest. */
void cw_audio_ingest_check_series(const char *series, const cw_ingest_opts *o,
                                  const char *name, cw_diags *d);

#endif
