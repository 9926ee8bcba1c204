/* verify.c — check a bundle (e.g. on a USB stick): every line of SHA256SUMS, files that
 * are not listed, and the structure and headers of every Ogg file; day.ogg against
 * plan.json (one link per item, the window's length in samples).
 * Guarantees: never follows a listed path outside the bundle; compares all 64 hex digits
 * of every digest (either case); reports every problem, one line each, "path: what" — a
 * digest of the wrong length and a file listed twice (even with the same digest) are
 * problems, since build lists each file once with a full digest. */
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

/* Files under dir/sub not in `names` (hidden files are ignored: USB sticks collect them). */
static void unlisted(const char *dir, const char *sub, const cw_strlist *names, cw_strlist *bad, int depth)
{
    char *path = sub[0] ? cw_path_join(dir, sub) : cw_strdup(dir);
    DIR *d = path ? opendir(path) : NULL;
    if (!d) {
        free(path);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *rel = sub[0] ? cw_asprintf("%s/%s", sub, e->d_name) : cw_strdup(e->d_name);
        char *full = rel ? cw_path_join(dir, rel) : NULL;
        struct stat sb;
        if (rel && full && lstat(full, &sb) == 0) {
            if (S_ISDIR(sb.st_mode)) {
                if (depth < 4)
                    unlisted(dir, rel, names, bad, depth + 1);
            } else if (strcmp(rel, "SHA256SUMS") != 0 && !listed(names, rel)) {
                cw_strlist_pushf(bad, "%s: not listed in SHA256SUMS", rel);
            }
        }
        free(rel);
        free(full);
    }
    closedir(d);
    free(path);
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

/* day.ogg against plan.json: one link per planned item, the planned length in samples. A
 * plan.json that cannot be read as a plan is a problem of its own (its checksum may still
 * match: the list can be edited too), never a reason to skip the comparison silently. */
static void check_day(const char *dir, int links, int64_t samples, cw_strlist *bad)
{
    char *pj = cw_path_join(dir, "plan.json");
    char *json = NULL;
    size_t jl = 0;
    cw_plan *plan = NULL;
    cw_error perr = {0};
    if (!pj) {
        cw_strlist_push(bad, "plan.json: out of memory");
    } else if (cw_read_file(pj, SUMS_MAX, &json, &jl, &perr) != 0) {
        cw_strlist_pushf(bad, "plan.json: cannot be read (%s), so day.ogg cannot be checked against it", perr.text);
    } else if (cw_plan_from_json(&plan, json, jl, &perr) != 0) {
        cw_strlist_pushf(bad, "plan.json: not a chalkwave plan (%s), so day.ogg cannot be checked against it",
                         perr.text);
    } else {
        int64_t want = 0;
        for (size_t i = 0; i < plan->n_items; i++)
            want += plan->items[i].length_samples;
        if ((size_t)links != plan->n_items || samples != want)
            cw_strlist_pushf(bad, "day.ogg: %d links and %lld samples, plan.json has %zu items and %lld samples", links,
                             (long long)samples, plan->n_items, (long long)want);
    }
    cw_plan_free(plan);
    free(json);
    free(pj);
}

/* One listed file: there, inside the bundle, its whole 64-digit digest equal, and (Ogg)
 * sound in structure. Returns 0 or CW_ENOMEM. */
static int check_listed(const char *dir, const char *rel, const char *digest, cw_strlist *bad, cw_error *err)
{
    char *full = cw_path_join(dir, rel);
    if (!full)
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    char hex[65];
    cw_error herr;
    if (!cw_path_exists(full)) {
        cw_strlist_pushf(bad, "%s: missing", rel);
    } else if (!cw_path_resolves_inside(dir, rel)) {
        cw_strlist_pushf(bad, "%s: not a regular file inside the bundle", rel);
    } else if (cw_sha256_file(full, hex, &herr) != 0) {
        cw_strlist_pushf(bad, "%s: unreadable (%s)", rel, herr.text);
    } else if (strncasecmp(hex, digest, 64) != 0) {
        cw_strlist_pushf(bad, "%s: checksum mismatch", rel);
    } else if (ends_with(rel, ".ogg")) {
        int links = 0;
        int64_t samples = 0;
        cw_error oerr;
        if (cw_ogg_check(full, &links, &samples, &oerr) != 0)
            cw_strlist_pushf(bad, "%s: %s", rel, oerr.text);
        else if (!strcmp(rel, "day.ogg"))
            check_day(dir, links, samples, bad);
    }
    free(full);
    return 0;
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

int cw_bundle_verify(const char *dir, cw_strlist *bad, cw_error *err)
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
            rc = check_listed(dir, rel, line, bad, err);
    }
    free(text);
    if (!rc) {
        static const char *const required[] = {"day.ogg", "plan.json", "playlist.m3u8"};
        for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
            if (!listed(&names, required[i]))
                cw_strlist_pushf(bad, "%s: not listed in SHA256SUMS", required[i]);
        unlisted(dir, "", &names, bad, 0);
    }
    cw_strlist_free(&names);
    free(name_lines);
    if (rc)
        return rc;
    if (bad->n > bad_before)
        return cw_fail(err, CW_EINVAL, dir, 0, "%zu problem%s found (rebuild the bundle or copy it again)",
                       bad->n - bad_before, bad->n - bad_before == 1 ? "" : "s");
    return 0;
}
