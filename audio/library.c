/* library.c — the station library: one Ogg Vorbis file per recording, metadata in its
 * Vorbis comments. Reading a recording touches only its header pages and its last page
 * (the final granule position gives the exact length), so scanning a library of hours of
 * audio costs a few kilobytes of I/O per file.
 * Guarantees: the scan is sorted by path; temporaries of writers in progress ("." names)
 * are ignored; unreadable files are skipped with a warning, never fatal. */
#include "audio_int.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <ogg/ogg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <vorbis/codec.h>

#define HEADER_READ_MAX (4 << 20) /* bytes we read looking for the three headers */
#define TAIL_SCAN_MAX (1 << 20)   /* bytes we scan backwards looking for the last page */
#define TAIL_CHUNK 65536

static char *dup_or_empty(const char *s)
{
    return cw_strdup(s ? s : "");
}

void cw_recording_clear(cw_recording *r)
{
    if (!r)
        return;
    free(r->path);
    free(r->series);
    free(r->title);
    free(r->teacher);
    free(r->language);
    free(r->description);
    free(r->date);
    free(r->valid_from);
    free(r->valid_until);
    free(r->source_sha256);
    memset(r, 0, sizeof *r);
}

/* The value of KEY in vc (first occurrence, case-insensitive key), or NULL. */
static const char *comment_get(vorbis_comment *vc, const char *key)
{
    size_t kl = strlen(key);
    for (int i = 0; i < vc->comments; i++) {
        const char *c = vc->user_comments[i];
        if ((size_t)vc->comment_lengths[i] > kl && strncasecmp(c, key, kl) == 0 && c[kl] == '=')
            return c + kl + 1;
    }
    return NULL;
}

static double comment_double(vorbis_comment *vc, const char *key)
{
    const char *v = comment_get(vc, key);
    if (!v || !v[0])
        return NAN;
    char *end;
    double d = strtod(v, &end);
    return end == v ? NAN : d;
}

static int comment_int(vorbis_comment *vc, const char *key)
{
    const char *v = comment_get(vc, key);
    if (!v)
        return 0;
    char *end;
    long n = strtol(v, &end, 10);
    if (end == v || n < 0 || n > 1000000)
        return 0;
    return (int)n;
}

/* Read pages from fp until the first logical stream's three Vorbis headers are in. */
static int read_headers(FILE *fp, const char *path, vorbis_info *vi, vorbis_comment *vc,
                        int *serial, cw_error *err)
{
    ogg_sync_state oy;
    ogg_stream_state os;
    int have_stream = 0, npackets = 0, rc = 0;
    size_t total = 0;
    ogg_sync_init(&oy);
    while (npackets < 3) {
        ogg_page pg;
        int r = ogg_sync_pageout(&oy, &pg);
        if (r == 0) {
            if (total >= HEADER_READ_MAX) {
                rc = cw_fail(err, CW_EINVAL, path, 0, "no vorbis headers in the first %d MB "
                             "(not an ogg vorbis file)", HEADER_READ_MAX >> 20);
                break;
            }
            char *b = ogg_sync_buffer(&oy, 8192);
            size_t got = fread(b, 1, 8192, fp);
            if (got == 0) {
                rc = cw_fail(err, CW_EINVAL, path, 0, "%s before the vorbis headers "
                             "(not an ogg vorbis file, or truncated)",
                             ferror(fp) ? "read error" : "file ends");
                break;
            }
            ogg_sync_wrote(&oy, (long)got);
            total += got;
            continue;
        }
        if (r < 0)
            continue; /* bytes skipped before a page: libogg resynchronises */
        if (!have_stream) {
            if (!ogg_page_bos(&pg)) {
                rc = cw_fail(err, CW_EINVAL, path, 0, "first ogg page is not a stream start "
                             "(damaged file)");
                break;
            }
            *serial = ogg_page_serialno(&pg);
            ogg_stream_init(&os, *serial);
            have_stream = 1;
        }
        if (ogg_page_serialno(&pg) != *serial)
            continue; /* another multiplexed stream */
        ogg_stream_pagein(&os, &pg);
        ogg_packet op;
        while (npackets < 3 && (r = ogg_stream_packetout(&os, &op)) != 0) {
            if (r < 0 || vorbis_synthesis_headerin(vi, vc, &op) != 0) {
                rc = cw_fail(err, CW_EINVAL, path, 0, "vorbis header %d is invalid "
                             "(not an ogg vorbis file, or damaged)", npackets + 1);
                goto done;
            }
            npackets++;
        }
    }
done:
    if (have_stream)
        ogg_stream_clear(&os);
    ogg_sync_clear(&oy);
    return rc;
}

/* Granule position of the last page of `serial` (scan backwards from the end). */
static int read_last_granule(FILE *fp, const char *path, int serial, int64_t *granule,
                             cw_error *err)
{
    if (fseeko(fp, 0, SEEK_END) != 0)
        return cw_fail(err, CW_EIO, path, 0, "cannot seek: %s", strerror(errno));
    off_t size = ftello(fp);
    off_t end = size; /* we look for pages starting before `end` */
    unsigned char *buf = malloc(TAIL_CHUNK + 65307);
    if (!buf)
        return cw_fail(err, CW_ENOMEM, path, 0, "out of memory");
    while (end > 0 && size - end < TAIL_SCAN_MAX) {
        off_t start = end > TAIL_CHUNK ? end - TAIL_CHUNK : 0;
        /* read [start, min(size, end + max page size)) so a page starting before `end`
         * is complete in the buffer */
        off_t stop = end + 65307 < size ? end + 65307 : size;
        size_t want = (size_t)(stop - start);
        if (fseeko(fp, start, SEEK_SET) != 0 || fread(buf, 1, want, fp) != want) {
            free(buf);
            return cw_fail(err, CW_EIO, path, 0, "cannot read the end of the file");
        }
        /* scan backwards for a capture pattern whose page checks out */
        for (off_t p = end - start - 1; p >= 0; p--) {
            size_t i = (size_t)p;
            if (buf[i] != 'O' || i + 27 > want || memcmp(buf + i, "OggS", 4) != 0)
                continue;
            size_t nseg = buf[i + 26];
            if (i + 27 + nseg > want)
                continue;
            size_t body = 0;
            for (size_t s = 0; s < nseg; s++)
                body += buf[i + 27 + s];
            size_t len = 27 + nseg + body;
            if (i + len > want)
                continue;
            /* verify the CRC with libogg */
            ogg_sync_state oy;
            ogg_sync_init(&oy);
            char *sb = ogg_sync_buffer(&oy, (long)len);
            memcpy(sb, buf + i, len);
            ogg_sync_wrote(&oy, (long)len);
            ogg_page pg;
            int ok = ogg_sync_pageout(&oy, &pg) == 1;
            if (ok && ogg_page_serialno(&pg) == serial) {
                /* the last page of a complete stream carries EOS and the exact length */
                int eos = ogg_page_eos(&pg);
                *granule = ogg_page_granulepos(&pg);
                ogg_sync_clear(&oy);
                free(buf);
                if (!eos || *granule < 0)
                    return cw_fail(err, CW_EINVAL, path, 0, "the file is truncated (its last "
                                   "ogg page does not end the stream; ingest the original again)");
                return 0;
            }
            ogg_sync_clear(&oy);
        }
        end = start;
    }
    free(buf);
    return cw_fail(err, CW_EINVAL, path, 0, "no final ogg page found near the end "
                   "(damaged file; ingest the original again)");
}

int cw_recording_read(cw_recording *out, const char *path, cw_error *err)
{
    memset(out, 0, sizeof *out);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return cw_fail(err, errno == ENOENT ? CW_ENOTFOUND : CW_EIO, path, 0,
                       "cannot open: %s", strerror(errno));
    vorbis_info vi;
    vorbis_comment vc;
    vorbis_info_init(&vi);
    vorbis_comment_init(&vc);
    int serial = 0;
    int64_t granule = 0;
    int rc = read_headers(fp, path, &vi, &vc, &serial, err);
    if (rc == 0)
        rc = read_last_granule(fp, path, serial, &granule, err);
    fclose(fp);
    if (rc == 0) {
        const char *kind = comment_get(&vc, "CHALKWAVE_KIND");
        if (!kind)
            kind = comment_get(&vc, "GENRE");
        out->kind = kind ? cw_kind_parse(kind) : CW_KIND_NONE;
        out->path = cw_strdup(path);
        out->series = dup_or_empty(comment_get(&vc, "CHALKWAVE_SERIES"));
        out->episode = comment_int(&vc, "CHALKWAVE_EPISODE");
        if (out->episode == 0)
            out->episode = comment_int(&vc, "TRACKNUMBER");
        out->title = dup_or_empty(comment_get(&vc, "TITLE"));
        out->teacher = dup_or_empty(comment_get(&vc, "ARTIST"));
        out->language = dup_or_empty(comment_get(&vc, "LANGUAGE"));
        out->description = dup_or_empty(comment_get(&vc, "DESCRIPTION"));
        out->date = dup_or_empty(comment_get(&vc, "DATE"));
        out->valid_from = dup_or_empty(comment_get(&vc, "CHALKWAVE_VALID_FROM"));
        out->valid_until = dup_or_empty(comment_get(&vc, "CHALKWAVE_VALID_UNTIL"));
        out->source_sha256 = dup_or_empty(comment_get(&vc, "CHALKWAVE_SOURCE_SHA256"));
        out->rate = (int)vi.rate;
        out->channels = vi.channels;
        out->length_samples = granule;
        out->lufs_in = comment_double(&vc, "CHALKWAVE_LUFS_IN");
        out->lufs_out = comment_double(&vc, "CHALKWAVE_LUFS_OUT");
        out->lra_out = comment_double(&vc, "CHALKWAVE_LRA");
        out->true_peak_out = comment_double(&vc, "CHALKWAVE_TRUE_PEAK_OUT");
        if (!out->path || !out->series || !out->title || !out->teacher || !out->language ||
            !out->description || !out->date || !out->valid_from || !out->valid_until ||
            !out->source_sha256) {
            cw_recording_clear(out);
            rc = cw_fail(err, CW_ENOMEM, path, 0, "out of memory");
        }
    }
    vorbis_comment_clear(&vc);
    vorbis_info_clear(&vi);
    return rc;
}

/* ---- scanning ---------------------------------------------------------------------- */

static int push_rec(cw_library *lib, size_t *cap, cw_recording *r)
{
    if (lib->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 32;
        cw_recording *v = realloc(lib->v, nc * sizeof *v);
        if (!v)
            return -1;
        lib->v = v;
        *cap = nc;
    }
    lib->v[lib->n++] = *r;
    return 0;
}

static int has_suffix(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcasecmp(s + a - b, suf) == 0;
}

/* Walk root/rel recursively. Depth is bounded: the layout is library/KIND/SERIES/FILE. */
static int scan_dir(cw_library *lib, size_t *cap, const char *station_dir, const char *rel,
                    int depth, cw_error *err)
{
    char *dir = cw_path_join(station_dir, rel);
    if (!dir)
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    DIR *d = opendir(dir);
    if (!d) {
        int e = errno;
        free(dir);
        if (e == ENOENT && depth == 0)
            return 0; /* no library yet: empty */
        if (cw_strlist_pushf(&lib->warnings, "%s: cannot read directory: %s", rel, strerror(e)))
            return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        return 0;
    }
    cw_strlist names = {0};
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue; /* ".", "..", hidden files and writers' temporaries */
        if (cw_strlist_push(&names, de->d_name)) {
            rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
            break;
        }
    }
    closedir(d);
    cw_strlist_sort(&names);
    for (size_t i = 0; rc == 0 && i < names.n; i++) {
        char *relp = cw_path_join(rel, names.v[i]);
        char *full = relp ? cw_path_join(station_dir, relp) : NULL;
        if (!full) {
            free(relp);
            rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
            break;
        }
        struct stat sb;
        if (lstat(full, &sb) != 0) {
            /* removed while we scan: ignore */
        } else if (S_ISDIR(sb.st_mode)) {
            if (depth < 8)
                rc = scan_dir(lib, cap, station_dir, relp, depth + 1, err);
            else if (cw_strlist_pushf(&lib->warnings, "%s: directory nested too deep, skipped",
                                      relp))
                rc = CW_ENOMEM;
        } else if (!S_ISREG(sb.st_mode)) {
            if (cw_strlist_pushf(&lib->warnings, "%s: not a regular file, skipped", relp))
                rc = CW_ENOMEM;
        } else if (!has_suffix(names.v[i], ".ogg")) {
            if (cw_strlist_pushf(&lib->warnings, "%s: not an .ogg file, skipped", relp))
                rc = CW_ENOMEM;
        } else {
            cw_recording r;
            cw_error e2;
            cw_error_clear(&e2);
            int r2 = cw_recording_read(&r, full, &e2);
            if (r2 == CW_ENOMEM) {
                rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
            } else if (r2) {
                if (cw_strlist_pushf(&lib->warnings, "%s: %s, skipped", relp, e2.text))
                    rc = CW_ENOMEM;
            } else {
                free(r.path);
                r.path = relp;
                relp = NULL;
                if (push_rec(lib, cap, &r)) {
                    cw_recording_clear(&r);
                    rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
                }
            }
        }
        if (rc == CW_ENOMEM && err && !err->text[0])
            cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        free(relp);
        free(full);
    }
    cw_strlist_free(&names);
    free(dir);
    return rc;
}

static int cmp_rec(const void *a, const void *b)
{
    return strcmp(((const cw_recording *)a)->path, ((const cw_recording *)b)->path);
}

int cw_library_scan(cw_library **out, const char *station_dir, cw_error *err)
{
    *out = NULL;
    cw_library *lib = calloc(1, sizeof *lib);
    if (!lib)
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    size_t cap = 0;
    int rc = scan_dir(lib, &cap, station_dir, "library", 0, err);
    if (rc) {
        cw_library_free(lib);
        return rc;
    }
    if (lib->n > 1)
        qsort(lib->v, lib->n, sizeof *lib->v, cmp_rec);
    /* Two files claiming one series/episode: the first (by path) wins; say so. */
    for (size_t i = 0; i < lib->n; i++) {
        const cw_recording *r = &lib->v[i];
        if (!r->series[0] || r->episode <= 0)
            continue;
        const cw_recording *first = cw_library_find_episode(lib, r->series, r->episode);
        if (first != r &&
            cw_strlist_pushf(&lib->warnings, "%s: series '%s' episode %d is also '%s'; "
                             "using '%s' (remove one of them)", r->path, r->series,
                             r->episode, first->path, first->path)) {
            cw_library_free(lib);
            return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        }
    }
    *out = lib;
    return 0;
}

void cw_library_free(cw_library *lib)
{
    if (!lib)
        return;
    for (size_t i = 0; i < lib->n; i++)
        cw_recording_clear(&lib->v[i]);
    free(lib->v);
    cw_strlist_free(&lib->warnings);
    free(lib);
}

const cw_recording *cw_library_find_episode(const cw_library *lib, const char *series,
                                            int episode)
{
    if (!lib || !series)
        return NULL;
    for (size_t i = 0; i < lib->n; i++)
        if (lib->v[i].episode == episode && strcmp(lib->v[i].series, series) == 0)
            return &lib->v[i];
    return NULL;
}

const cw_recording *cw_library_find_path(const cw_library *lib, const char *relpath)
{
    if (!lib || !relpath)
        return NULL;
    for (size_t i = 0; i < lib->n; i++)
        if (strcmp(lib->v[i].path, relpath) == 0)
            return &lib->v[i];
    return NULL;
}

const cw_recording *cw_library_find_source(const cw_library *lib, const char *sha256)
{
    if (!lib || !sha256 || !sha256[0])
        return NULL;
    for (size_t i = 0; i < lib->n; i++)
        if (strcasecmp(lib->v[i].source_sha256, sha256) == 0)
            return &lib->v[i];
    return NULL;
}
