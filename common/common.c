/* common.c — errors, buffers, strings, dates, atomic files, hashing, the station lock.
 * Guarantees: nothing here prints or exits; atomic writes never leave a partial file under
 * its final name (temp name in the same directory, fsync, rename, fsync of the directory). */
#include "common.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- errors ------------------------------------------------------------------------ */

const char *cw_strerror(int code)
{
    switch (code) {
    case CW_OK: return "success";
    case CW_EINVAL: return "input refused";
    case CW_ELIMIT: return "input exceeds a limit";
    case CW_EEXIST: return "already exists";
    case CW_EUNSUPPORTED: return "unsupported";
    case CW_EUSAGE: return "usage error";
    case CW_EIO: return "input/output error";
    case CW_ENOMEM: return "out of memory";
    case CW_ENOTFOUND: return "not found";
    case CW_ELOCKED: return "station is busy";
    case CW_EINTERNAL: return "internal error";
    case CW_ECANCELLED: return "cancelled";
    default: return "unknown error";
    }
}

int cw_exit_code(int code)
{
    switch (code) {
    case CW_OK: return CW_EXIT_OK;
    case CW_EINVAL:
    case CW_ELIMIT:
    case CW_EEXIST:
    case CW_EUNSUPPORTED: return CW_EXIT_REFUSED;
    case CW_EUSAGE: return CW_EXIT_USAGE;
    default: return CW_EXIT_ENV;
    }
}

int cw_fail(cw_error *err, int code, const char *source, int line, const char *fmt, ...)
{
    if (err) {
        snprintf(err->source, sizeof err->source, "%s", source ? source : "");
        err->line = line;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->text, sizeof err->text, fmt, ap);
        va_end(ap);
    }
    return code;
}

void cw_error_clear(cw_error *err)
{
    if (err) memset(err, 0, sizeof *err);
}

/* ---- strings ----------------------------------------------------------------------- */

char *cw_strdup(const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s);
    char *p = malloc(n + 1);
    if (p) memcpy(p, s, n + 1);
    return p;
}

char *cw_strndup(const char *s, size_t n)
{
    if (!s) return NULL;
    size_t len = strnlen(s, n);
    char *p = malloc(len + 1);
    if (!p) return NULL;
    memcpy(p, s, len);
    p[len] = 0;
    return p;
}

char *cw_asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    char *p = malloc((size_t)n + 1);
    if (!p) return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void cw_buf_init(cw_buf *b) { memset(b, 0, sizeof *b); }

void cw_buf_free(cw_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

static int buf_reserve(cw_buf *b, size_t extra)
{
    if (b->oom) return -1;
    if (b->len + extra + 1 <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) {
        if (cap > SIZE_MAX / 2) { b->oom = 1; return -1; }
        cap *= 2;
    }
    char *p = realloc(b->data, cap);
    if (!p) { b->oom = 1; return -1; }
    b->data = p;
    b->cap = cap;
    return 0;
}

void cw_buf_append(cw_buf *b, const void *data, size_t n)
{
    if (buf_reserve(b, n)) return;
    if (n) memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = 0;
}

void cw_buf_puts(cw_buf *b, const char *s) { cw_buf_append(b, s, strlen(s)); }

void cw_buf_vprintf(cw_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) { b->oom = 1; return; }
    if (buf_reserve(b, (size_t)n)) return;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void cw_buf_printf(cw_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cw_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void cw_buf_put_xml(cw_buf *b, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&': cw_buf_puts(b, "&amp;"); break;
        case '<': cw_buf_puts(b, "&lt;"); break;
        case '>': cw_buf_puts(b, "&gt;"); break;
        case '"': cw_buf_puts(b, "&quot;"); break;
        case '\'': cw_buf_puts(b, "&#39;"); break;
        default:
            if (c < 0x20 || c == 0x7f) cw_buf_append(b, " ", 1);
            else cw_buf_append(b, s, 1);
        }
    }
}

void cw_shell_word(const char *s, char *out, size_t n)
{
    if (!n) return;
    int safe = *s != 0;
    for (const char *p = s; *p && safe; p++)
        safe = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
               strchr("._/-+@,:=%", *p) != NULL;
    size_t k = 0;
    if (!safe && k + 2 < n) out[k++] = '\'';
    for (const char *p = s; *p && k + 6 < n; p++) {
        if (*p == '\'' && !safe) {
            memcpy(out + k, "'\\''", 4);
            k += 4;
        } else {
            out[k++] = *p;
        }
    }
    if (!safe && k + 1 < n) out[k++] = '\'';
    out[k] = 0;
}

void cw_buf_put_oneline(cw_buf *b, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        cw_buf_append(b, (c < 0x20 || c == 0x7f) ? " " : s, 1);
    }
}

int cw_strlist_push(cw_strlist *l, const char *s)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        char **v = realloc(l->v, cap * sizeof *v);
        if (!v) return CW_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    char *c = cw_strdup(s ? s : "");
    if (!c) return CW_ENOMEM;
    l->v[l->n++] = c;
    return CW_OK;
}

int cw_strlist_pushf(cw_strlist *l, const char *fmt, ...)
{
    cw_buf b;
    cw_buf_init(&b);
    va_list ap;
    va_start(ap, fmt);
    cw_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    int rc = b.oom ? CW_ENOMEM : cw_strlist_push(l, b.data ? b.data : "");
    cw_buf_free(&b);
    return rc;
}

void cw_strlist_free(cw_strlist *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void cw_strlist_sort(cw_strlist *l)
{
    if (l->n > 1) qsort(l->v, l->n, sizeof *l->v, cmp_str);
}

size_t cw_utf8_seq_len(const unsigned char *s, size_t n)
{
    if (n == 0)
        return 0;
    unsigned c = s[0], cp, min;
    size_t need;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) { need = 2; cp = c & 0x1f; min = 0x80; }
    else if (c >= 0xe0 && c <= 0xef) { need = 3; cp = c & 0x0f; min = 0x800; }
    else if (c >= 0xf0 && c <= 0xf4) { need = 4; cp = c & 0x07; min = 0x10000; }
    else return 0;
    if (n < need)
        return 0;
    for (size_t k = 1; k < need; k++) {
        if ((s[k] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[k] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return need;
}

int cw_utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    for (size_t i = 0; i < n;) {
        size_t len = cw_utf8_seq_len(s + i, n - i);
        if (len == 0)
            return 0;
        i += len;
    }
    return 1;
}

void cw_slugify(const char *s, char *out, size_t maxlen)
{
    size_t o = 0;
    int dash = 0;
    if (maxlen == 0) return;
    for (; s && *s && o + 1 < maxlen; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c) && c < 0x80) {
            if (dash && o > 0) {
                if (o + 2 >= maxlen) break; /* no room for "-x": never run two words together */
                out[o++] = '-';
            }
            dash = 0;
            out[o++] = (char)tolower(c);
        } else {
            dash = 1;
        }
    }
    out[o] = 0;
    if (o == 0) snprintf(out, maxlen, "%s", "item");
}

/* ---- kinds ------------------------------------------------------------------------- */

const char *cw_kind_name(cw_kind k)
{
    switch (k) {
    case CW_KIND_LESSON: return "lesson";
    case CW_KIND_NEWSLETTER: return "newsletter";
    case CW_KIND_FILLER: return "filler";
    case CW_KIND_BLACKOUT: return "blackout";
    case CW_KIND_SILENCE: return "silence";
    default: return "";
    }
}

cw_kind cw_kind_parse(const char *s)
{
    static const cw_kind all[] = {CW_KIND_LESSON, CW_KIND_NEWSLETTER, CW_KIND_FILLER,
                                  CW_KIND_BLACKOUT, CW_KIND_SILENCE};
    if (!s) return CW_KIND_NONE;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcasecmp(s, cw_kind_name(all[i])) == 0) return all[i];
    if (strcasecmp(s, "holiday") == 0) return CW_KIND_BLACKOUT;
    return CW_KIND_NONE;
}

/* ---- dates (Howard Hinnant's civil-from-days algorithms) --------------------------- */

int64_t cw_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void cw_civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return dm[m - 1];
}

int cw_date_parse(const char *s, cw_date *out)
{
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-') return CW_EINVAL;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i])) return CW_EINVAL;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return CW_EINVAL;
    out->year = y;
    out->month = m;
    out->day = d;
    return CW_OK;
}

void cw_date_format(cw_date d, char out[11])
{
    unsigned y = (unsigned)d.year % 10000u, m = (unsigned)d.month % 100u, day = (unsigned)d.day % 100u;
    snprintf(out, 11, "%04u-%02u-%02u", y, m, day);
}

cw_date cw_date_add_days(cw_date d, int n)
{
    cw_date r;
    cw_civil_from_days(cw_days_from_civil(d.year, d.month, d.day) + n, &r.year, &r.month, &r.day);
    return r;
}

int cw_date_cmp(cw_date a, cw_date b)
{
    int64_t x = cw_days_from_civil(a.year, a.month, a.day);
    int64_t y = cw_days_from_civil(b.year, b.month, b.day);
    return (x > y) - (x < y);
}

int cw_weekday(cw_date d)
{
    int64_t z = cw_days_from_civil(d.year, d.month, d.day);
    /* 1970-01-01 was a Thursday (3 with Monday = 0). */
    int64_t w = (z + 3) % 7;
    return (int)(w < 0 ? w + 7 : w);
}

/* ---- files ------------------------------------------------------------------------- */

struct cw_atomic {
    char *path;
    char *tmp;
    FILE *fp;
};

static unsigned atomic_counter;

/* mode < 0: the file's own permission bits when it exists (a station.conf made private
 * stays private), else 0644 less the umask. */
static int atomic_open(cw_atomic **out, const char *path, int mode, cw_error *err)
{
    *out = NULL;
    cw_atomic *a = calloc(1, sizeof *a);
    if (!a) return cw_fail(err, CW_ENOMEM, path, 0, "out of memory");
    a->path = cw_strdup(path);
    const char *base = cw_path_base(path);
    size_t dirlen = (size_t)(base - path);
    unsigned n = __atomic_fetch_add(&atomic_counter, 1, __ATOMIC_RELAXED);
    a->tmp = cw_asprintf("%.*s.%s.tmp-%ld-%u", (int)dirlen, path, base, (long)getpid(), n);
    if (!a->path || !a->tmp) {
        cw_atomic_abort(a);
        return cw_fail(err, CW_ENOMEM, path, 0, "out of memory");
    }
    struct stat st;
    if (mode < 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode))
        mode = (int)(st.st_mode & 0777);
    /* created with no more than its final bits, so no other user can open it meanwhile;
     * then exactly those bits (the umask may have taken some) */
    int fd = open(a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode < 0 ? 0644 : (mode_t)mode);
    if (fd >= 0 && mode >= 0 && fchmod(fd, (mode_t)mode) != 0) {
        close(fd);
        unlink(a->tmp);
        fd = -1;
    }
    if (fd < 0 || !(a->fp = fdopen(fd, "wb"))) {
        int e = errno;
        if (fd >= 0) close(fd);
        free(a->tmp);
        a->tmp = NULL;
        cw_atomic_abort(a);
        return cw_fail(err, CW_EIO, path, 0, "cannot create '%s': %s (check the folder exists and is writable)",
                       path, strerror(e));
    }
    *out = a;
    return CW_OK;
}

int cw_atomic_open(cw_atomic **out, const char *path, cw_error *err)
{
    return atomic_open(out, path, -1, err);
}

int cw_atomic_open_mode(cw_atomic **out, const char *path, unsigned mode, cw_error *err)
{
    return atomic_open(out, path, (int)(mode & 0777), err);
}

FILE *cw_atomic_fp(cw_atomic *a) { return a->fp; }
const char *cw_atomic_tmp_path(const cw_atomic *a) { return a->tmp; }

int cw_fsync_dir(const char *dir)
{
    int fd = open(dir && *dir ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return CW_EIO;
    int rc = fsync(fd);
    close(fd);
    return rc == 0 ? CW_OK : CW_EIO;
}

static char *dir_of(const char *path)
{
    const char *base = cw_path_base(path);
    if (base == path) return cw_strdup(".");
    return cw_strndup(path, (size_t)(base - path - 1 > 0 ? base - path - 1 : 1));
}

int cw_atomic_commit(cw_atomic *a, cw_error *err)
{
    int rc = CW_OK;
    if (fflush(a->fp) != 0 || fsync(fileno(a->fp)) != 0) {
        rc = cw_fail(err, CW_EIO, a->path, 0, "cannot write '%s': %s (check free disk space)", a->path,
                     strerror(errno));
    }
    if (fclose(a->fp) != 0 && rc == CW_OK)
        rc = cw_fail(err, CW_EIO, a->path, 0, "cannot write '%s': %s (check free disk space)", a->path,
                     strerror(errno));
    a->fp = NULL;
    if (rc == CW_OK && rename(a->tmp, a->path) != 0)
        rc = cw_fail(err, CW_EIO, a->path, 0, "cannot rename into '%s': %s", a->path, strerror(errno));
    if (rc == CW_OK) {
        char *d = dir_of(a->path);
        cw_fsync_dir(d);
        free(d);
        free(a->tmp);
        a->tmp = NULL;
    }
    cw_atomic_abort(a);
    return rc;
}

void cw_atomic_abort(cw_atomic *a)
{
    if (!a) return;
    if (a->fp) fclose(a->fp);
    if (a->tmp) unlink(a->tmp);
    free(a->tmp);
    free(a->path);
    free(a);
}

static int write_file_atomic(const char *path, const void *data, size_t n, int mode, cw_error *err)
{
    cw_atomic *a;
    int rc = atomic_open(&a, path, mode, err);
    if (rc) return rc;
    if (n && fwrite(data, 1, n, cw_atomic_fp(a)) != n) {
        cw_atomic_abort(a);
        return cw_fail(err, CW_EIO, path, 0, "cannot write '%s': %s (check free disk space)", path,
                       strerror(errno));
    }
    return cw_atomic_commit(a, err);
}

int cw_write_file_atomic(const char *path, const void *data, size_t n, cw_error *err)
{
    return write_file_atomic(path, data, n, -1, err);
}

int cw_write_file_atomic_mode(const char *path, const void *data, size_t n, unsigned mode, cw_error *err)
{
    return write_file_atomic(path, data, n, (int)(mode & 0777), err);
}

/* Temporaries are ".NAME.tmp-PID-N" (files) or ".NAME.tmp-PID" (bundle dirs). */
static int remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) return -1;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
                char *p = cw_path_join(path, e->d_name);
                if (p) remove_tree(p);
                free(p);
            }
            closedir(d);
        }
        return rmdir(path);
    }
    return unlink(path);
}

void cw_cleanup_stale_tmp(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] != '.') continue;
        const char *t = strstr(e->d_name, ".tmp-");
        if (!t) continue;
        char *end;
        long pid = strtol(t + 5, &end, 10);
        if (pid <= 0 || (*end != '-' && *end != 0)) continue;
        if (pid == (long)getpid()) continue;
        if (kill((pid_t)pid, 0) == 0 || errno == EPERM) continue; /* still running */
        char *p = cw_path_join(dir, e->d_name);
        if (p) remove_tree(p);
        free(p);
    }
    closedir(d);
}

int cw_read_file(const char *path, size_t max, char **out, size_t *len, cw_error *err)
{
    *out = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return cw_fail(err, errno == ENOENT ? CW_ENOTFOUND : CW_EIO, path, 0, "cannot open '%s': %s",
                       path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return cw_fail(err, CW_EINVAL, path, 0, "'%s' is not a regular file (give a file, not a folder or device)",
                       path);
    }
    if ((uint64_t)st.st_size > max) {
        close(fd);
        return cw_fail(err, CW_ELIMIT, path, 0, "'%s' is too large (%lld bytes; the limit is %zu)", path,
                       (long long)st.st_size, max);
    }
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        close(fd);
        return cw_fail(err, CW_ENOMEM, path, 0, "out of memory reading '%s'", path);
    }
    for (;;) {
        if (n + 1 >= cap) {
            if (cap > max + 1) break;
            size_t nc = cap * 2 > max + 2 ? max + 2 : cap * 2;
            char *nb = realloc(buf, nc);
            if (!nb) { free(buf); close(fd); return cw_fail(err, CW_ENOMEM, path, 0, "out of memory"); }
            buf = nb;
            cap = nc;
        }
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            free(buf);
            close(fd);
            return cw_fail(err, CW_EIO, path, 0, "cannot read '%s': %s", path, strerror(e));
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    close(fd);
    if (n > max) {
        free(buf);
        return cw_fail(err, CW_ELIMIT, path, 0, "'%s' is too large (the limit is %zu bytes)", path, max);
    }
    buf[n] = 0;
    *out = buf;
    *len = n;
    return CW_OK;
}

int cw_mkdir_p(const char *path, cw_error *err)
{
    if (!path || !*path) return cw_fail(err, CW_EINVAL, "", 0, "no folder name given (name a folder)");
    char *p = cw_strdup(path);
    if (!p) return cw_fail(err, CW_ENOMEM, path, 0, "out of memory");
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = 0;
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            int e = errno;
            free(p);
            return cw_fail(err, CW_EIO, path, 0, "cannot create folder '%s': %s", path, strerror(e));
        }
        *s = '/';
    }
    if (mkdir(p, 0755) != 0 && errno != EEXIST) {
        int e = errno;
        free(p);
        return cw_fail(err, CW_EIO, path, 0, "cannot create folder '%s': %s", path, strerror(e));
    }
    free(p);
    if (!cw_is_dir(path))
        return cw_fail(err, CW_EIO, path, 0, "'%s' exists but is not a folder", path);
    return CW_OK;
}

int cw_path_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

int cw_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

char *cw_path_join(const char *a, const char *b)
{
    if (!a || !*a) return cw_strdup(b);
    size_t la = strlen(a);
    return cw_asprintf("%s%s%s", a, a[la - 1] == '/' ? "" : "/", b);
}

const char *cw_path_base(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

int cw_path_is_safe_relative(const char *rel)
{
    if (!rel || !*rel || rel[0] == '/' || strlen(rel) > 1024) return 0;
    const char *seg = rel;
    for (const char *s = rel;; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '/' || c == 0) {
            size_t n = (size_t)(s - seg);
            if (n == 0 || n > 255) return 0;
            if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.')) return 0;
            if (c == 0) break;
            seg = s + 1;
        } else if (c < 0x20 || c == 0x7f || c == '\\') {
            return 0;
        }
    }
    return 1;
}

int cw_path_resolves_inside(const char *root, const char *rel)
{
    if (!cw_path_is_safe_relative(rel)) return 0;
    char rroot[PATH_MAX], rfull[PATH_MAX];
    if (!realpath(root, rroot)) return 0;
    char *full = cw_path_join(root, rel);
    if (!full) return 0;
    int ok = realpath(full, rfull) != NULL;
    free(full);
    if (!ok) return 0;
    size_t n = strlen(rroot);
    if (strncmp(rfull, rroot, n) != 0 || (rfull[n] != '/' && rfull[n] != 0)) return 0;
    struct stat st;
    return stat(rfull, &st) == 0 && S_ISREG(st.st_mode);
}

/* ---- hashing ----------------------------------------------------------------------- */

struct cw_sha256 {
    EVP_MD_CTX *ctx;
};

cw_sha256 *cw_sha256_new(void)
{
    cw_sha256 *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    h->ctx = EVP_MD_CTX_new();
    if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(h->ctx);
        free(h);
        return NULL;
    }
    return h;
}

void cw_sha256_update(cw_sha256 *h, const void *data, size_t n)
{
    if (h && n) EVP_DigestUpdate(h->ctx, data, n);
}

void cw_sha256_final(cw_sha256 *h, char hex[65])
{
    unsigned char md[32];
    unsigned int len = 0;
    hex[0] = 0;
    if (!h) return;
    if (EVP_DigestFinal_ex(h->ctx, md, &len) == 1 && len == 32)
        for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
    EVP_MD_CTX_free(h->ctx);
    free(h);
}

int cw_sha256_file(const char *path, char hex[65], cw_error *err)
{
    /* Regular files only: a FIFO would block the open and /dev/zero would never end
     * (O_NONBLOCK only for the open; the check is on the opened file, not the name). */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return cw_fail(err, CW_EIO, path, 0, "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return cw_fail(err, CW_EINVAL, path, 0, "'%s' is not a regular file (give a file, not a folder or device)",
                       path);
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    FILE *fp = fdopen(fd, "rb");
    if (!fp) {
        close(fd);
        return cw_fail(err, CW_EIO, path, 0, "cannot open '%s': %s", path, strerror(errno));
    }
    cw_sha256 *h = cw_sha256_new();
    if (!h) {
        fclose(fp);
        return cw_fail(err, CW_ENOMEM, path, 0, "out of memory");
    }
    static __thread unsigned char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, fp)) > 0) cw_sha256_update(h, buf, n);
    int bad = ferror(fp);
    fclose(fp);
    cw_sha256_final(h, hex);
    if (bad) return cw_fail(err, CW_EIO, path, 0, "cannot read '%s'", path);
    return CW_OK;
}

uint32_t cw_hash32(const void *data, size_t n)
{
    /* FNV-1a, then a final avalanche; never 0 so serials are never the "unset" value. */
    const unsigned char *p = data;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    h ^= h >> 16;
    h *= 0x7feb352du;
    h ^= h >> 15;
    h *= 0x846ca68bu;
    h ^= h >> 16;
    return h ? h : 1;
}

/* ---- station lock ------------------------------------------------------------------ */

int cw_station_lock(const char *station_dir, int exclusive, int wait_seconds, int *out_fd,
                    cw_error *err)
{
    *out_fd = -1;
    char *p = cw_path_join(station_dir, ".chalkwave.lock");
    if (!p) return cw_fail(err, CW_ENOMEM, station_dir, 0, "out of memory");
    int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 && !exclusive && (errno == EROFS || errno == EACCES)) {
        /* A reader on a read-only station (a USB stick, a shared copy): use the lock file if
         * it exists; with no lock file nobody can be writing, so read without one. */
        fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            free(p);
            return CW_OK;
        }
    }
    if (fd < 0) {
        int e = errno;
        int rc = cw_fail(err, CW_EIO, p, 0, "cannot open the station lock '%s': %s (check the station folder is writable)",
                         p, strerror(e));
        free(p);
        return rc;
    }
    int op = exclusive ? LOCK_EX : LOCK_SH;
    struct timespec delay = {0, 50 * 1000 * 1000};
    for (long waited = 0;; waited += 50) {
        if (flock(fd, op | LOCK_NB) == 0) break;
        if (errno != EWOULDBLOCK && errno != EINTR) {
            int e = errno;
            close(fd);
            int rc = cw_fail(err, CW_EIO, p, 0, "cannot lock '%s': %s", p, strerror(e));
            free(p);
            return rc;
        }
        if (waited >= (long)wait_seconds * 1000) {
            close(fd);
            int rc = cw_fail(err, CW_ELOCKED, p, 0,
                             "another chalkwave is working on this station (try again when it has finished)");
            free(p);
            return rc;
        }
        nanosleep(&delay, NULL);
    }
    free(p);
    *out_fd = fd;
    return CW_OK;
}

void cw_station_unlock(int fd)
{
    if (fd >= 0) {
        flock(fd, LOCK_UN);
        close(fd);
    }
}
