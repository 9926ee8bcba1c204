/* session.c — opening a station once, noticing what changed on disk and reloading only
 * that, the station lock per call, and reference-counted snapshots (views) for threads.
 * Guarantees: a part (station.conf, the partner calendars, station.ics, the library) is
 * reloaded exactly when the stat fields of its files change (device, inode, size, mtime in
 * nanoseconds); for the library a call looks at its folders (0.1 ms for 10,000 recordings
 * in 200 folders) and walks every file every walk_seconds (40 ms), so a recording added,
 * removed or replaced shows at once and one rewritten in place by another program within
 * walk_seconds; a failed reload leaves the previous snapshot in place and says which file
 * is wrong; snapshots are freed by their last holder. */
#include "session_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- parts and views ----------------------------------------------------------------- */

static void part_put(cw_ss_part *p)
{
    if (!p || atomic_fetch_sub(&p->refs, 1) != 1) return;
    cw_station_free(p->st);
    cw_calset_free(p->cals);
    cw_diags_free(&p->diags);
    if (p->has_mu) pthread_mutex_destroy(&p->cal_mu);
    cw_library_free(p->lib);
    cw_station_changes_free(&p->changes);
    free(p);
}

static cw_ss_part *part_new(const unsigned char sig[32])
{
    cw_ss_part *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    atomic_init(&p->refs, 1);
    if (sig) memcpy(p->sig, sig, 32);
    return p;
}

void cw_session_view_put(cw_session_view *v)
{
    if (!v || atomic_fetch_sub(&v->refs, 1) != 1) return;
    for (int i = 0; i < SS_NPARTS; i++) part_put(v->part[i]);
    free(v);
}

static cw_session_view *view_ref(cw_session_view *v)
{
    if (v) atomic_fetch_add(&v->refs, 1);
    return v;
}

const cw_station *cw_view_station(const cw_session_view *v) { return v->part[SS_STATION]->st; }
const cw_library *cw_view_library(const cw_session_view *v) { return v->part[SS_LIBRARY]->lib; }
const cw_library *cw_view_pending(const cw_session_view *v) { return v->part[SS_PENDING] ? v->part[SS_PENDING]->lib : NULL; }
const cw_station_changes *cw_view_changes(const cw_session_view *v) { return &v->part[SS_CHANGES]->changes; }
const cw_diags *cw_view_diags(const cw_session_view *v) { return &v->part[SS_CALENDARS]->diags; }

const cw_calset *cw_view_calendars_lock(cw_session_view *v)
{
    pthread_mutex_lock(&v->part[SS_CALENDARS]->cal_mu);
    return v->part[SS_CALENDARS]->cals;
}

void cw_view_calendars_unlock(cw_session_view *v) { pthread_mutex_unlock(&v->part[SS_CALENDARS]->cal_mu); }

/* ---- signatures: what a part was loaded from ----------------------------------------- */

typedef struct sig {
    cw_sha256 *h;
    uint64_t sum, xr, n; /* order-free combination for directory walks */
} sig;

static void sig_stat(cw_sha256 *h, const char *name, const struct stat *st)
{
    int64_t f[6] = {(int64_t)st->st_dev, (int64_t)st->st_ino, (int64_t)st->st_size, (int64_t)st->st_mtim.tv_sec,
                    (int64_t)st->st_mtim.tv_nsec, (int64_t)st->st_mode};
    cw_sha256_update(h, name, strlen(name) + 1);
    cw_sha256_update(h, f, sizeof f);
}

/* One file's stat fields into the signature; "missing" when it is not there. */
static void sig_file(cw_sha256 *h, const char *path)
{
    struct stat st;
    if (stat(path, &st)) cw_sha256_update(h, "missing", 8);
    else sig_stat(h, path, &st);
}

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33, x *= 0xff51afd7ed558ccdULL, x ^= x >> 33, x *= 0xc4ceb3fe1a85ec53ULL, x ^= x >> 33;
    return x;
}

static double mono_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void dirs_clear(cw_session *s)
{
    for (size_t i = 0; i < s->n_lib_dirs; i++) free(s->lib_dirs[i].path);
    s->n_lib_dirs = 0;
}

/* Keep a folder for the quick check; when it cannot be kept, the quick check is off until
 * the next full walk (the walk's own clock makes that at most 5 s). */
static void dirs_add(cw_session *s, const char *path, const struct stat *st)
{
    char *p = cw_strdup(path);
    if (s->n_lib_dirs == s->cap_lib_dirs) {
        size_t cap = s->cap_lib_dirs ? s->cap_lib_dirs * 2 : 64;
        cw_ss_dir *v = realloc(s->lib_dirs, cap * sizeof *v);
        if (v) s->lib_dirs = v, s->cap_lib_dirs = cap;
    }
    if (!p || s->n_lib_dirs == s->cap_lib_dirs) {
        free(p);
        s->lib_walked_at = -1e9; /* force the next walk */
        return;
    }
    s->lib_dirs[s->n_lib_dirs++] = (cw_ss_dir){p, st->st_dev, st->st_ino, st->st_mtim};
}

/* Every directory and file under `dir` (names, inodes, sizes, times), in any order: a
 * change anywhere (added, removed, renamed, rewritten) changes the signature. The folders
 * are kept in the session for the quick check (when ss is not NULL). */
static void walk(cw_session *ss, sig *s, const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (!d || depth > 16) {
        if (d) closedir(d);
        s->sum += 0x9e3779b97f4a7c15ULL * (uint64_t)(depth + 1);
        return;
    }
    struct stat self;
    if (ss && !fstat(dirfd(d), &self)) dirs_add(ss, dir, &self);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW)) continue;
        uint64_t h = 1469598103934665603ULL;
        for (const char *p = dir; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ULL;
        h = (h ^ '/') * 1099511628211ULL;
        for (const char *p = e->d_name; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ULL;
        uint64_t f[5] = {(uint64_t)st.st_ino, (uint64_t)st.st_size, (uint64_t)st.st_mtim.tv_sec,
                         (uint64_t)st.st_mtim.tv_nsec, (uint64_t)st.st_mode};
        for (int i = 0; i < 5; i++) h = mix(h ^ f[i]);
        s->sum += h;
        s->xr ^= mix(h + 0x632be59bd9b4e019ULL);
        s->n++;
        if (S_ISDIR(st.st_mode)) {
            char *sub = cw_path_join(dir, e->d_name);
            if (sub) walk(ss, s, sub, depth + 1);
            free(sub);
        }
    }
    closedir(d);
}

static void sig_hex(const char hex[65], unsigned char out[32])
{
    for (int i = 0; i < 32; i++) {
        unsigned hi = (unsigned)(hex[2 * i] <= '9' ? hex[2 * i] - '0' : hex[2 * i] - 'a' + 10);
        unsigned lo = (unsigned)(hex[2 * i + 1] <= '9' ? hex[2 * i + 1] - '0' : hex[2 * i + 1] - 'a' + 10);
        out[i] = (unsigned char)(hi << 4 | lo);
    }
}

static void sig_tree(cw_session *ss, const char *dir, unsigned char out[32])
{
    sig s = {cw_sha256_new(), 0, 0, 0};
    if (!s.h) {
        memset(out, 0xff, 32); /* out of memory: count as changed */
        return;
    }
    dirs_clear(ss);
    ss->lib_walked_at = mono_now();
    sig_file(s.h, dir);
    walk(ss, &s, dir, 0);
    uint64_t v[3] = {s.sum, s.xr, s.n};
    cw_sha256_update(s.h, v, sizeof v);
    char hex[65];
    cw_sha256_final(s.h, hex);
    sig_hex(hex, out);
}

/* 1 when every folder of the last full walk is still there unchanged (and the walk is
 * recent): no file was added, removed or renamed, so the library need not be walked. */
static int dirs_unchanged(const cw_session *s)
{
    if (!s->n_lib_dirs || s->opts.walk_seconds < 0 || mono_now() - s->lib_walked_at > s->opts.walk_seconds) return 0;
    for (size_t i = 0; i < s->n_lib_dirs; i++) {
        const cw_ss_dir *d = &s->lib_dirs[i];
        struct stat st;
        if (stat(d->path, &st) || st.st_dev != d->dev || st.st_ino != d->ino || st.st_mtim.tv_sec != d->mtime.tv_sec ||
            st.st_mtim.tv_nsec != d->mtime.tv_nsec)
            return 0;
    }
    return 1;
}

/* pending/ (and pending/rejected/, whose changes a teacher's page shows): a full walk each
 * time — it holds the few uploads awaiting a decision. Its folders are not kept for the
 * library's quick check (walk with no session). */
static void sig_pending(const char *dir, unsigned char out[32])
{
    sig s = {cw_sha256_new(), 0, 0, 0};
    if (!s.h || !dir) {
        if (s.h) cw_sha256_final(s.h, (char[65]){0});
        memset(out, 0xff, 32);
        return;
    }
    sig_file(s.h, dir);
    walk(NULL, &s, dir, 0);
    uint64_t v[3] = {s.sum, s.xr, s.n};
    cw_sha256_update(s.h, v, sizeof v);
    char hex[65];
    cw_sha256_final(s.h, hex);
    sig_hex(hex, out);
}

static void sig_done(cw_sha256 *h, unsigned char out[32])
{
    char hex[65];
    cw_sha256_final(h, hex);
    sig_hex(hex, out);
}

static int sig_one_file(const char *path, unsigned char out[32])
{
    cw_sha256 *h = cw_sha256_new();
    if (!h) return -1;
    sig_file(h, path);
    sig_done(h, out);
    return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The partner calendars: every calendars/ *.ics but station.ics, by name, plus station.conf
 * (priorities live there) — its signature is `conf_sig`. */
static int sig_calendars(const char *dir, const unsigned char conf_sig[32], unsigned char out[32])
{
    cw_sha256 *h = cw_sha256_new();
    if (!h) return -1;
    cw_sha256_update(h, conf_sig, 32);
    char *cal = cw_path_join(dir, "calendars");
    cw_strlist names = {0};
    DIR *d = cal ? opendir(cal) : NULL; /* its own mtime moves with station.ics: not used */
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (e->d_name[0] == '.' || n < 5 || strcmp(e->d_name + n - 4, ".ics") || !strcmp(e->d_name, CW_STATION_CHANGES_FILE))
            continue;
        cw_strlist_push(&names, e->d_name);
    }
    if (d) closedir(d);
    if (names.n > 1) qsort(names.v, names.n, sizeof *names.v, cmp_str);
    for (size_t i = 0; i < names.n; i++) {
        char *p = cw_path_join(cal, names.v[i]);
        if (p) sig_file(h, p);
        free(p);
    }
    cw_strlist_free(&names);
    free(cal);
    sig_done(h, out);
    return 0;
}

/* ---- loading parts ------------------------------------------------------------------- */

static int load_station(cw_session *s, const unsigned char sg[32], cw_ss_part **out, cw_error *err)
{
    cw_ss_part *p = part_new(sg);
    if (!p) return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    int rc = cw_station_load(&p->st, s->dir, err);
    if (rc) {
        part_put(p);
        return rc;
    }
    *out = p;
    return 0;
}

static int load_calendars(cw_session *s, const cw_station *st, const unsigned char sg[32], cw_ss_part **out,
                          cw_error *err)
{
    cw_ss_part *p = part_new(sg);
    if (!p) return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    if (pthread_mutex_init(&p->cal_mu, NULL)) {
        part_put(p);
        return cw_fail(err, CW_ENOMEM, "", 0, "cannot create a mutex");
    }
    p->has_mu = 1;
    int rc = cw_station_calendars(&p->cals, st, &p->diags, err);
    cw_diags_free(&s->load_diags);
    if (cw_diags_extend(&s->load_diags, &p->diags) && !rc) rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    if (rc) {
        part_put(p);
        return rc;
    }
    *out = p;
    return 0;
}

static int load_changes(const char *dir, const unsigned char sg[32], cw_ss_part **out, cw_error *err)
{
    cw_ss_part *p = part_new(sg);
    if (!p) return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    int rc = cw_station_changes_load(&p->changes, dir, err);
    if (rc) {
        part_put(p);
        return rc;
    }
    *out = p;
    return 0;
}

static int load_library(const char *dir, const unsigned char sg[32], cw_ss_part **out, cw_error *err)
{
    cw_ss_part *p = part_new(sg);
    if (!p) return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    int rc = cw_library_scan(&p->lib, dir, err);
    if (rc) {
        part_put(p);
        return rc;
    }
    *out = p;
    return 0;
}

static int load_pending(const char *dir, const unsigned char sg[32], cw_ss_part **out, cw_error *err)
{
    cw_ss_part *p = part_new(sg);
    if (!p) return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    int rc = cw_library_scan_pending(&p->lib, dir, err);
    if (rc) {
        part_put(p);
        return rc;
    }
    *out = p;
    return 0;
}

/* Build the next snapshot from the current one, reloading the parts whose signature moved.
 * Called with s->mu held and a station lock taken. */
static int reload(cw_session *s, unsigned *changed, cw_error *err)
{
    unsigned ch = 0;
    cw_session_view *old = s->cur;
    cw_session_view *v = calloc(1, sizeof *v);
    if (!v) return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    atomic_init(&v->refs, 1);
    unsigned char sg[32];
    char *conf = cw_path_join(s->dir, "station.conf"), *lib = cw_path_join(s->dir, "library"),
         *changes = cw_asprintf("%s/calendars/%s", s->dir, CW_STATION_CHANGES_FILE),
         *pend = cw_path_join(s->dir, "pending");
    int rc = conf && lib && changes ? 0 : cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    /* station.conf: the one cw_session_open read, while it has not changed */
    if (!rc && sig_one_file(conf, sg)) rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    if (!rc) {
        if (old && !memcmp(old->part[SS_STATION]->sig, sg, 32)) {
            v->part[SS_STATION] = old->part[SS_STATION];
            atomic_fetch_add(&v->part[SS_STATION]->refs, 1);
        } else if (!old && s->opened && !memcmp(s->opened_sig, sg, 32)) {
            if (!(v->part[SS_STATION] = part_new(sg))) rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
            else v->part[SS_STATION]->st = s->opened, s->opened = NULL, ch |= CW_SESSION_STATION;
        } else {
            rc = load_station(s, sg, &v->part[SS_STATION], err);
            ch |= CW_SESSION_STATION;
        }
    }
    unsigned char conf_sig[32];
    memcpy(conf_sig, sg, 32);
    if (!rc && sig_calendars(s->dir, conf_sig, sg)) rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    if (!rc) {
        if (old && !memcmp(old->part[SS_CALENDARS]->sig, sg, 32)) {
            v->part[SS_CALENDARS] = old->part[SS_CALENDARS];
            atomic_fetch_add(&v->part[SS_CALENDARS]->refs, 1);
        } else {
            rc = load_calendars(s, v->part[SS_STATION]->st, sg, &v->part[SS_CALENDARS], err);
            ch |= CW_SESSION_CALENDARS;
        }
    }
    if (!rc && sig_one_file(changes, sg)) rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    if (!rc) {
        if (old && !memcmp(old->part[SS_CHANGES]->sig, sg, 32)) {
            v->part[SS_CHANGES] = old->part[SS_CHANGES];
            atomic_fetch_add(&v->part[SS_CHANGES]->refs, 1);
        } else {
            rc = load_changes(s->dir, sg, &v->part[SS_CHANGES], err);
            ch |= CW_SESSION_CHANGES;
        }
    }
    if (!rc) {
        if (old && dirs_unchanged(s)) memcpy(sg, old->part[SS_LIBRARY]->sig, 32);
        else sig_tree(s, lib, sg);
        if (old && !memcmp(old->part[SS_LIBRARY]->sig, sg, 32)) {
            v->part[SS_LIBRARY] = old->part[SS_LIBRARY];
            atomic_fetch_add(&v->part[SS_LIBRARY]->refs, 1);
        } else {
            rc = load_library(s->dir, sg, &v->part[SS_LIBRARY], err);
            ch |= CW_SESSION_LIBRARY;
        }
    }
    /* pending/ (uploads awaiting approval): few files, walked every time */
    if (!rc) {
        sig_pending(pend, sg);
        if (old && old->part[SS_PENDING] && !memcmp(old->part[SS_PENDING]->sig, sg, 32)) {
            v->part[SS_PENDING] = old->part[SS_PENDING];
            atomic_fetch_add(&v->part[SS_PENDING]->refs, 1);
        } else {
            rc = load_pending(s->dir, sg, &v->part[SS_PENDING], err);
            ch |= CW_SESSION_PENDING;
        }
    }
    free(pend);
    free(conf);
    free(lib);
    free(changes);
    if (rc) {
        cw_session_view_put(v);
        return rc;
    }
    if (!ch) { /* nothing moved: keep the snapshot (and its readers' pointers) */
        cw_session_view_put(v);
    } else {
        s->cur = v;
        cw_session_view_put(old);
    }
    if (changed) *changed = ch;
    return 0;
}

/* ---- opening, locks ------------------------------------------------------------------ */

/* libical keeps its error state and buffers per thread and locks its zone cache, but the
 * first load of its built-in zone table can race (libical #1029) and chalkwave's own
 * one-time setup of it is not atomic: do both once, before any session is shared. */
static pthread_once_t libical_once = PTHREAD_ONCE_INIT;

static void libical_warm_up(void)
{
    char *ics = NULL;
    size_t n = 0;
    cw_error e;
    if (!cw_cal_export(NULL, 0, "Africa/Lagos", "warm-up", 0, &ics, &n, &e)) free(ics);
}

int cw_session_open(cw_session **out, const char *dir, const cw_session_opts *opts, cw_error *err)
{
    *out = NULL;
    pthread_once(&libical_once, libical_warm_up);
    cw_station *st = NULL;
    int rc = cw_station_load(&st, dir, err); /* the folder, station.conf and its settings */
    if (rc) return rc;
    cw_session *s = calloc(1, sizeof *s);
    if (!s || pthread_mutex_init(&s->mu, NULL)) {
        free(s);
        cw_station_free(st);
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    }
    s->dir = cw_strdup(st->dir);
    s->opts.lock_wait = !opts ? 600 : opts->lock_wait > 0 ? opts->lock_wait : 0;
    s->opts.walk_seconds = !opts || opts->walk_seconds == 0 ? CW_SS_FULL_WALK_SECONDS : opts->walk_seconds;
    s->lock_fd = -1;
    s->opened = st;
    char *conf = cw_path_join(st->dir, "station.conf");
    /* the signature is taken after reading: a change in between is seen as a change later,
     * the safe direction */
    if (!s->dir || !conf || sig_one_file(conf, s->opened_sig)) {
        free(conf);
        cw_session_free(s);
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    }
    free(conf);
    s->records = cw_ss_records_new(s->dir);
    if (!s->records) {
        cw_session_free(s);
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    }
    *out = s;
    return 0;
}

void cw_session_free(cw_session *s)
{
    if (!s) return;
    cw_session_unlock(s);
    cw_session_view_put(s->cur);
    cw_station_free(s->opened);
    cw_ss_records_free(s->records);
    cw_diags_free(&s->load_diags);
    dirs_clear(s);
    free(s->lib_dirs);
    pthread_mutex_destroy(&s->mu);
    free(s->dir);
    free(s);
}

const char *cw_session_dir(const cw_session *s) { return s->dir; }

int cw_session_lock(cw_session *s, int exclusive, cw_error *err)
{
    pthread_mutex_lock(&s->mu);
    int rc = 0;
    if (!s->lock_held) {
        rc = cw_station_lock(s->dir, exclusive, s->opts.lock_wait, &s->lock_fd, err);
        if (!rc) s->lock_held = 1, s->lock_excl = exclusive;
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

void cw_session_unlock(cw_session *s)
{
    pthread_mutex_lock(&s->mu);
    if (s->lock_held) cw_station_unlock(s->lock_fd);
    s->lock_fd = -1;
    s->lock_held = s->lock_excl = 0;
    pthread_mutex_unlock(&s->mu);
}

int cw_ss_lock_call(cw_session *s, int exclusive, int *fd, cw_error *err)
{
    *fd = -1;
    pthread_mutex_lock(&s->mu);
    int held = s->lock_held, excl = s->lock_excl;
    pthread_mutex_unlock(&s->mu);
    if (held) {
        if (exclusive && !excl)
            return cw_fail(err, CW_EINTERNAL, "", 0, "a write was asked under a shared station lock (please report)");
        return 0;
    }
    return cw_station_lock(s->dir, exclusive, s->opts.lock_wait, fd, err);
}

void cw_ss_unlock_call(int fd)
{
    if (fd >= 0) cw_station_unlock(fd);
}

int cw_ss_current(cw_session *s, cw_session_view **out, unsigned *changed, cw_error *err)
{
    pthread_mutex_lock(&s->mu);
    int rc = reload(s, changed, err);
    *out = rc ? NULL : view_ref(s->cur);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int cw_session_refresh(cw_session *s, unsigned *changed, cw_error *err)
{
    int fd;
    int rc = cw_ss_lock_call(s, 0, &fd, err);
    if (rc) return rc;
    cw_session_view *v = NULL;
    rc = cw_ss_current(s, &v, changed, err);
    cw_session_view_put(v);
    cw_ss_unlock_call(fd);
    return rc;
}

int cw_session_view_get(cw_session *s, cw_session_view **out, cw_error *err)
{
    *out = NULL;
    int fd;
    int rc = cw_ss_lock_call(s, 0, &fd, err);
    if (rc) return rc;
    rc = cw_ss_current(s, out, NULL, err);
    cw_ss_unlock_call(fd);
    return rc;
}

/* ---- borrowed accessors ------------------------------------------------------------ */

const cw_station *cw_session_station(cw_session *s) { return s->cur ? cw_view_station(s->cur) : s->opened; }
const cw_calset *cw_session_calendars(cw_session *s) { return s->cur ? s->cur->part[SS_CALENDARS]->cals : NULL; }
const cw_library *cw_session_library(cw_session *s) { return s->cur ? cw_view_library(s->cur) : NULL; }
const cw_station_changes *cw_session_changes(cw_session *s) { return s->cur ? cw_view_changes(s->cur) : NULL; }
const cw_diags *cw_session_diags(cw_session *s) { return s->cur ? cw_view_diags(s->cur) : NULL; }
const cw_diags *cw_session_load_diags(cw_session *s) { return &s->load_diags; }
