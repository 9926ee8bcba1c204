/* store.c — the desk's folder and JSON files under STATION/desk/, their locks and the
 * token helpers (store.h).
 * Guarantees: files are written to a temporary, fsynced, renamed (mode 0600); a file that
 * does not parse is reported with its path, never replaced by an empty one. */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STORE_MAX_BYTES (16 * 1024 * 1024)

char *desk_store_path(const char *station_dir, const char *name)
{
    if (!name || !*name) return cw_asprintf("%s/desk", station_dir);
    return cw_asprintf("%s/desk/%s", station_dir, name);
}

static int ensure_dir(const char *path, cw_error *err)
{
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return cw_fail(err, CW_EIO, path, 0, "cannot create '%s': %s (check the station folder is writable)", path,
                       strerror(errno));
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return cw_fail(err, CW_EIO, path, 0, "'%s' is not a folder (move it away; the desk keeps its accounts there)",
                       path);
    if ((st.st_mode & 0077) && chmod(path, 0700) != 0)
        return cw_fail(err, CW_EIO, path, 0, "cannot make '%s' private: %s", path, strerror(errno));
    return 0;
}

int desk_store_ensure(const char *station_dir, cw_error *err)
{
    char *d = desk_store_path(station_dir, "");
    char *u = desk_store_path(station_dir, "uploads");
    int rc = (!d || !u) ? cw_fail(err, CW_ENOMEM, "", 0, "out of memory") : ensure_dir(d, err);
    if (rc == 0) rc = ensure_dir(u, err);
    free(d);
    free(u);
    return rc;
}

int desk_store_lock(const char *station_dir, int *fd, cw_error *err)
{
    *fd = -1;
    int rc = desk_store_ensure(station_dir, err);
    if (rc) return rc;
    char *p = desk_store_path(station_dir, ".lock");
    if (!p) return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    int f = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (f < 0) {
        rc = cw_fail(err, CW_EIO, p, 0, "cannot open '%s': %s", p, strerror(errno));
        free(p);
        return rc;
    }
    /* changes are small and quick: wait up to 10 s for another writer */
    for (int i = 0;; i++) {
        if (flock(f, LOCK_EX | LOCK_NB) == 0) break;
        if ((errno != EWOULDBLOCK && errno != EINTR) || i >= 200) {
            close(f);
            rc = cw_fail(err, CW_ELOCKED, p, 0, "the desk's accounts are busy (try again in a moment)");
            free(p);
            return rc;
        }
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    free(p);
    *fd = f;
    return 0;
}

void desk_store_unlock(int fd)
{
    if (fd >= 0) close(fd); /* closing releases the flock */
}

int desk_store_load(const char *station_dir, const char *name, const char *key, json_t **out, cw_error *err)
{
    *out = NULL;
    char *p = desk_store_path(station_dir, name);
    if (!p) return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    char *text = NULL;
    size_t len = 0;
    cw_error e2 = {0};
    int rc = cw_read_file(p, STORE_MAX_BYTES, &text, &len, &e2);
    json_t *obj = NULL;
    if (rc == CW_ENOTFOUND) {
        obj = json_object();
        if (obj) json_object_set_new(obj, key, json_array());
        rc = 0;
    } else if (rc) {
        *err = e2;
    } else {
        json_error_t je;
        obj = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
        if (!obj || !json_is_object(obj) || !json_is_array(json_object_get(obj, key))) {
            rc = cw_fail(err, CW_EIO, p, obj ? 0 : je.line,
                         "'%s' is not the desk's %s file (restore it from a backup or move it away)", p, name);
            json_decref(obj);
            obj = NULL;
        }
    }
    free(text);
    free(p);
    if (rc == 0 && !obj) rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    *out = obj;
    return rc;
}

int desk_store_save(const char *station_dir, const char *name, json_t *obj, cw_error *err)
{
    char *p = desk_store_path(station_dir, name);
    if (!p) return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    char *s = json_dumps(obj, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    if (!s) {
        free(p);
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    }
    cw_atomic *a = NULL;
    int rc = cw_atomic_open(&a, p, err);
    if (rc == 0) {
        FILE *fp = cw_atomic_fp(a);
        if (fchmod(fileno(fp), 0600) != 0 || fputs(s, fp) < 0 || fputc('\n', fp) < 0) {
            cw_atomic_abort(a);
            rc = cw_fail(err, CW_EIO, p, 0, "cannot write '%s': %s", p, strerror(errno));
        } else {
            rc = cw_atomic_commit(a, err);
        }
    }
    free(s);
    free(p);
    return rc;
}

desk_stamp desk_stamp_of(const char *path)
{
    desk_stamp s = {0, 0, 0};
    struct stat st;
    if (path && stat(path, &st) == 0) {
        s.ino = (uint64_t)st.st_ino;
        s.size = (uint64_t)st.st_size;
        s.mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    }
    return s;
}

int desk_stamp_eq(desk_stamp a, desk_stamp b)
{
    return a.ino == b.ino && a.size == b.size && a.mtime_ns == b.mtime_ns;
}

void desk_iso_time(int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void desk_token_hash(const char *token, char hex[65])
{
    cw_sha256 *h = cw_sha256_new();
    if (!h) {
        memset(hex, '0', 64);
        hex[64] = 0;
        return;
    }
    cw_sha256_update(h, token, strlen(token));
    cw_sha256_final(h, hex);
}

void desk_token_new(char *out, size_t cap, size_t bytes)
{
    unsigned char raw[64];
    if (bytes > sizeof raw) bytes = sizeof raw;
    randombytes_buf(raw, bytes);
    sodium_bin2base64(out, cap, raw, bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
}

int desk_secret_eq(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb || la == 0) return 0;
    return sodium_memcmp(a, b, la) == 0;
}
