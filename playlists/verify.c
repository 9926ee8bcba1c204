/* verify.c — check a bundle (e.g. on a USB stick): every line of SHA256SUMS, files that
 * are not listed, and the structure and headers of every Ogg file; day.ogg and blocks/
 * against plan.json (one link per item, a silence link per gap between blocks, the planned
 * length in samples). What operating systems add to a copied folder (desktop.ini,
 * Thumbs.db, .DS_Store, ._*, System Volume Information, ...) is a note, never a problem.
 * Guarantees: never follows a listed path outside the bundle; compares all 64 hex digits
 * of every digest (either case); reports every problem, one line each, "path: what" — a
 * digest of the wrong length, a file listed twice (even with the same digest) and a
 * plan.json that is not a readable plan are problems, since build lists each file once
 * with a full digest and writes a plan the Ogg files are checked against. */
#include "playlists_int.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SUMS_MAX (16 * 1024 * 1024)

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* One line of SHA256SUMS: "HEX  path" (text mode) or "HEX *path" (binary mode), as
 * sha256sum writes them; upper-case digits are accepted (sha256sum -c accepts them too).
 * Returns the path (inside `line`) or NULL after pushing what is wrong. A digest of the
 * wrong length still names its path, so the file counts as listed (one problem, one line). */
static const char *parse_line(char *line, int lineno, cw_strlist *bad, int *digest_ok)
{
    size_t n = 0;
    while (is_hex(line[n]))
        n++;
    *digest_ok = n == 64;
    if (n == 0 || line[n] != ' ' || (line[n + 1] != ' ' && line[n + 1] != '*') || !line[n + 2]) {
        cw_strlist_pushf(bad, "SHA256SUMS: line %d is not 'sha256  path'", lineno);
        return NULL;
    }
    const char *rel = line + n + 2;
    if (!cw_path_is_safe_relative(rel) || !strcmp(rel, "SHA256SUMS")) {
        cw_strlist_pushf(bad, "SHA256SUMS: line %d names an unsafe path", lineno);
        return NULL;
    }
    if (n != 64)
        cw_strlist_pushf(bad, "%s: its checksum on line %d of SHA256SUMS has %zu hex digits, not 64", rel, lineno, n);
    return rel;
}

/* Line number where `rel` was listed before, 0 when it was not. */
static int listed_at(const cw_strlist *names, const int *lines, const char *rel)
{
    for (size_t i = 0; i < names->n; i++)
        if (!strcmp(names->v[i], rel))
            return lines[i];
    return 0;
}

static int listed(const cw_strlist *names, const char *rel)
{
    for (size_t i = 0; i < names->n; i++)
        if (!strcmp(names->v[i], rel))
            return 1;
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* What Windows, macOS and Linux desktops leave in a folder they show or copy; `what`
 * names who. Matched case-insensitively (FAT and NTFS ignore case). */
static const char *os_file(const char *name, int is_dir)
{
    static const struct {
        const char *name;
        int dir;
        const char *who;
    } known[] = {
        {"desktop.ini", 0, "Windows"},        {"thumbs.db", 0, "Windows"},
        {"ehthumbs.db", 0, "Windows"},        {"System Volume Information", 1, "Windows"},
        {"$RECYCLE.BIN", 1, "Windows"},       {".DS_Store", 0, "macOS"},
        {".Spotlight-V100", 1, "macOS"},      {".Trashes", 1, "macOS"},
        {".fseventsd", 1, "macOS"},           {".TemporaryItems", 1, "macOS"},
        {".apdisk", 0, "macOS"},              {".directory", 0, "the Linux desktop"},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!strcasecmp(name, known[i].name) && known[i].dir == is_dir)
            return known[i].who;
    if (!strncmp(name, "._", 2))
        return "macOS"; /* AppleDouble: a resource fork beside each copied file */
    if (!strncmp(name, ".Trash-", 7) && is_dir)
        return "the Linux desktop";
    return NULL;
}

/* Files under dir/sub not in `names`: a problem, but for what an operating system adds
 * (and other hidden files: USB sticks collect them), which is a note. */
static void unlisted(const char *dir, const char *sub, const cw_strlist *names, cw_strlist *bad, cw_strlist *notes,
                     int depth)
{
    char *path = sub[0] ? cw_path_join(dir, sub) : cw_strdup(dir);
    DIR *d = path ? opendir(path) : NULL;
    if (!d) {
        free(path);
        return;
    }
    cw_strlist ents = {0}; /* sorted below: notes and problems in a stable order */
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            cw_strlist_push(&ents, e->d_name);
    closedir(d);
    if (ents.n)
        qsort(ents.v, ents.n, sizeof *ents.v, by_name);
    for (size_t i = 0; i < ents.n; i++) {
        const char *name = ents.v[i];
        char *rel = sub[0] ? cw_asprintf("%s/%s", sub, name) : cw_strdup(name);
        char *full = rel ? cw_path_join(dir, rel) : NULL;
        struct stat sb;
        if (rel && full && lstat(full, &sb) == 0) {
            int is_dir = S_ISDIR(sb.st_mode);
            const char *who = os_file(name, is_dir);
            if (who) {
                if (notes)
                    cw_strlist_pushf(notes, "%s%s: added by %s, not part of the bundle (ignored)", rel,
                                     is_dir ? "/" : "", who);
            } else if (name[0] == '.') {
                if (notes)
                    cw_strlist_pushf(notes, "%s%s: a hidden %s, not part of the bundle (ignored)", rel,
                                     is_dir ? "/" : "", is_dir ? "folder" : "file");
            } else if (is_dir) {
                if (depth < 4)
                    unlisted(dir, rel, names, bad, notes, depth + 1);
            } else if (strcmp(rel, "SHA256SUMS") != 0 && !listed(names, rel)) {
                cw_strlist_pushf(bad, "%s: not listed in SHA256SUMS", rel);
            }
        }
        free(rel);
        free(full);
    }
    cw_strlist_free(&ents);
    free(path);
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

/* What plan.json says day.ogg and each blocks/ file hold: links and samples. */
typedef struct expect {
    cw_plan *plan;
    cw_pl_view *view;
    int tried;
    cw_strlist *bad;
} expect;

/* A plan.json that is there but cannot be read as a plan is a problem of its own (its
 * checksum may still match: the list can be edited too), never a reason to skip the
 * comparison silently; a missing one is reported by the list checks. */
static void expect_load(expect *x, const char *dir)
{
    if (x->tried)
        return;
    x->tried = 1;
    char *pj = cw_path_join(dir, "plan.json");
    char *json = NULL;
    size_t jl = 0;
    cw_error perr = {0};
    const char *what = NULL;
    if (!pj)
        what = "out of memory";
    else if (!cw_path_exists(pj))
        ;
    else if (cw_read_file(pj, SUMS_MAX, &json, &jl, &perr) != 0)
        what = "cannot be read";
    else if (cw_plan_from_json(&x->plan, json, jl, &perr) != 0 || cw_pl_view_new(&x->view, NULL, x->plan, NULL, &perr) != 0)
        what = "not a chalkwave plan";
    if (what)
        cw_strlist_pushf(x->bad, "plan.json: %s (%s), so the Ogg files cannot be checked against it", what, perr.text);
    if (!x->view) {
        cw_plan_free(x->plan);
        x->plan = NULL;
    }
    free(json);
    free(pj);
}

/* 1, with the links and samples plan.json says `rel` holds. */
static int expect_for(expect *x, const char *dir, const char *rel, int *links, int64_t *samples)
{
    if (strcmp(rel, "day.ogg") != 0 && strncmp(rel, "blocks/", 7) != 0)
        return 0;
    expect_load(x, dir);
    const cw_pl_view *v = x->view;
    if (!v)
        return 0;
    if (!strcmp(rel, "day.ogg")) {
        if (!v->n)
            return 0;
        /* one link per item, one per gap between blocks; from the first item's start to
         * the last one's end */
        *links = (int)(v->n + (v->n_blocks ? v->n_blocks - 1 : 0));
        const cw_plan_item *a = &x->plan->items[0], *z = &x->plan->items[v->n - 1];
        *samples = z->offset_samples + z->length_samples - a->offset_samples;
        return 1;
    }
    for (size_t k = 0; k < v->n_blocks; k++) {
        char name[200];
        snprintf(name, sizeof name, "blocks/%s.ogg", v->blocks[k].name);
        if (!strcmp(rel, name)) {
            *links = (int)v->blocks[k].n;
            *samples = v->blocks[k].length;
            return 1;
        }
    }
    return 0;
}

int cw_bundle_verify(const char *dir, cw_strlist *bad, cw_error *err)
{
    return cw_bundle_verify_notes(dir, bad, NULL, err);
}

/* Check one listed file: present, inside, its digest; an Ogg file's structure and what
 * plan.json says it holds. */
static void check_listed(const char *dir, const char *rel, const char *hexline, expect *x, cw_strlist *bad)
{
    char *full = cw_path_join(dir, rel);
    if (!full) {
        cw_strlist_pushf(bad, "%s: out of memory", rel);
        return;
    }
    char hex[65];
    cw_error herr;
    if (!cw_path_exists(full)) {
        cw_strlist_pushf(bad, "%s: missing", rel);
    } else if (!cw_path_resolves_inside(dir, rel)) {
        cw_strlist_pushf(bad, "%s: not a regular file inside the bundle", rel);
    } else if (cw_sha256_file(full, hex, &herr) != 0) {
        cw_strlist_pushf(bad, "%s: unreadable (%s)", rel, herr.text);
    } else if (strncasecmp(hex, hexline, 64) != 0) {
        cw_strlist_pushf(bad, "%s: checksum mismatch", rel);
    } else if (ends_with(rel, ".ogg")) {
        int links = 0, want_links = 0;
        int64_t samples = 0, want = 0;
        cw_error oerr;
        if (cw_ogg_check(full, &links, &samples, &oerr) != 0)
            cw_strlist_pushf(bad, "%s: %s", rel, oerr.text);
        else if (expect_for(x, dir, rel, &want_links, &want) && (links != want_links || samples != want))
            cw_strlist_pushf(bad, "%s: %d links and %lld samples, plan.json says %d links and %lld samples", rel, links,
                             (long long)samples, want_links, (long long)want);
    }
    free(full);
}

/* Read SHA256SUMS; on failure push the one line that says why and return the error. */
static int read_sums(const char *dir, char **text, cw_strlist *bad, cw_error *err)
{
    char *sums_path = cw_path_join(dir, "SHA256SUMS");
    size_t len = 0;
    cw_error rerr;
    if (!sums_path)
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    int rc = cw_read_file(sums_path, SUMS_MAX, text, &len, &rerr);
    struct stat sb;
    int have = rc && lstat(sums_path, &sb) == 0;
    free(sums_path);
    if (rc == CW_ELIMIT && have) {
        /* a bundle's list is a few KB: this one is damaged or not chalkwave's */
        cw_strlist_pushf(bad, "SHA256SUMS: too large (%lld bytes; the limit is %d MB)", (long long)sb.st_size,
                         SUMS_MAX / (1024 * 1024));
        return cw_fail(err, CW_ELIMIT, dir, 0, "the bundle's SHA256SUMS is too large (%lld bytes; the limit is %d MB; "
                       "rebuild the bundle)", (long long)sb.st_size, SUMS_MAX / (1024 * 1024));
    }
    if (rc && !have) {
        cw_strlist_push(bad, "SHA256SUMS: missing");
        return cw_fail(err, CW_EINVAL, dir, 0, "the bundle has no SHA256SUMS (rebuild it)");
    }
    if (rc) {
        cw_strlist_push(bad, S_ISREG(sb.st_mode) ? "SHA256SUMS: unreadable" : "SHA256SUMS: not a regular file");
        return cw_fail(err, CW_EINVAL, dir, 0, "the bundle's SHA256SUMS %s (rebuild the bundle)",
                       S_ISREG(sb.st_mode) ? "cannot be read" : "is not a regular file");
    }
    return 0;
}

int cw_bundle_verify_notes(const char *dir, cw_strlist *bad, cw_strlist *notes, cw_error *err)
{
    size_t bad_before = bad->n;
    if (!cw_is_dir(dir))
        return cw_fail(err, CW_ENOTFOUND, dir, 0, "not a folder (give the bundle folder, e.g. out/2026-03-16)");
    char *text = NULL;
    int rc = read_sums(dir, &text, bad, err);
    if (rc)
        return rc;
    cw_strlist names = {0};
    int *name_lines = NULL; /* the SHA256SUMS line of each name */
    expect x = {.bad = bad};
    char *save = NULL;
    int lineno = 0;
    for (char *line = strtok_r(text, "\n", &save); line && !rc; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        size_t ll = strlen(line);
        if (ll && line[ll - 1] == '\r')
            line[--ll] = 0;
        if (ll == 0)
            continue;
        int digest_ok;
        const char *rel = parse_line(line, lineno, bad, &digest_ok);
        if (!rel)
            continue;
        /* build lists each file once: a second line means the list was edited */
        int before = listed_at(&names, name_lines, rel);
        if (before)
            cw_strlist_pushf(bad, "%s: listed twice in SHA256SUMS (lines %d and %d)", rel, before, lineno);
        if (names.n % 64 == 0) {
            int *nl = realloc(name_lines, (names.n + 64) * sizeof *nl);
            if (!nl) {
                rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
                break;
            }
            name_lines = nl;
        }
        name_lines[names.n] = lineno;
        if (cw_strlist_push(&names, rel))
            rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        else if (digest_ok)
            check_listed(dir, rel, line, &x, bad);
    }
    free(text);
    free(name_lines);
    if (rc) {
        cw_strlist_free(&names);
        cw_pl_view_free(x.view);
        cw_plan_free(x.plan);
        return rc;
    }
    /* day.ogg is there in day mode; a blocks-mode bundle has blocks/ files instead */
    static const char *const required[] = {"plan.json", "playlist.m3u8", "events.csv"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (!listed(&names, required[i]))
            cw_strlist_pushf(bad, "%s: not listed in SHA256SUMS", required[i]);
    expect_load(&x, dir);
    int blocks_listed = 1;
    for (size_t k = 0; x.view && k < x.view->n_blocks; k++) {
        char name[200];
        snprintf(name, sizeof name, "blocks/%s.ogg", x.view->blocks[k].name);
        if (!listed(&names, name)) {
            cw_strlist_pushf(bad, "%s: not listed in SHA256SUMS", name);
            blocks_listed = 0;
        }
    }
    /* a plan.json without "mode" reads as day mode: a bundle whose blocks are all there
     * and that lists no day.ogg is then taken for a blocks-mode bundle */
    if (x.view && x.view->day_ogg && !listed(&names, "day.ogg") && !blocks_listed)
        cw_strlist_push(bad, "day.ogg: not listed in SHA256SUMS");
    unlisted(dir, "", &names, bad, notes, 0);
    cw_pl_view_free(x.view);
    cw_plan_free(x.plan);
    cw_strlist_free(&names);
    if (bad->n > bad_before)
        return cw_fail(err, CW_EINVAL, dir, 0, "%zu problem%s found (rebuild the bundle or copy it again)",
                       bad->n - bad_before, bad->n - bad_before == 1 ? "" : "s");
    return 0;
}
