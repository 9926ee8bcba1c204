/* inbox.c — the station's drop folder (STATION/inbox/): list what waits, claim a file for
 * one run, settle it into accepted/ or rejected/ (with the reason beside it), and put back
 * what runs that died had claimed.
 * Guarantees: each file is processed by exactly one run, even when several run at once (a
 * file is claimed by renaming it into inbox/.processing-PID/, which only one rename can
 * win); a rejected file never sits without its reason (written first); an original moves
 * only after its result is committed; claims of dead runs go back to the inbox on the next
 * open; symbolic links are refused, never followed (the inbox is written by others). */
#include "audio.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

struct cw_inbox {
    char *dir;   /* STATION/inbox */
    char *claim; /* STATION/inbox/.processing-PID */
};

/* Claims of runs that died: put their files back into the inbox. */
static void recover(const char *inbox)
{
    DIR *d = opendir(inbox);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, ".processing-", 12) != 0)
            continue;
        long pid = strtol(de->d_name + 12, NULL, 10);
        if (pid == (long)getpid())
            continue; /* our own claims */
        if (pid > 0 && !(kill((pid_t)pid, 0) != 0 && errno == ESRCH))
            continue; /* a run still working */
        char *cd = cw_path_join(inbox, de->d_name);
        DIR *e = cd ? opendir(cd) : NULL;
        struct dirent *f;
        while (e && (f = readdir(e)) != NULL) {
            if (f->d_name[0] == '.')
                continue;
            char *from = cw_path_join(cd, f->d_name), *to = cw_path_join(inbox, f->d_name);
            if (from && to && !cw_path_exists(to))
                (void)rename(from, to);
            free(from);
            free(to);
        }
        if (e)
            closedir(e);
        if (cd)
            (void)rmdir(cd);
        free(cd);
    }
    closedir(d);
}

int cw_inbox_open(cw_inbox **out, const char *station_dir, cw_error *err)
{
    *out = NULL;
    cw_inbox *ib = calloc(1, sizeof *ib);
    if (!ib || !(ib->dir = cw_path_join(station_dir, "inbox")) ||
        !(ib->claim = cw_asprintf("%s/.processing-%ld", ib->dir, (long)getpid()))) {
        cw_inbox_close(ib);
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    }
    int rc = cw_mkdir_p(ib->claim, err);
    if (rc) {
        cw_inbox_close(ib);
        return rc;
    }
    recover(ib->dir);
    *out = ib;
    return 0;
}

void cw_inbox_close(cw_inbox *ib)
{
    if (!ib)
        return;
    if (ib->claim)
        (void)rmdir(ib->claim); /* empty unless a move failed: then the next run recovers */
    free(ib->claim);
    free(ib->dir);
    free(ib);
}

int cw_inbox_is_text_name(const char *name)
{
    const char *dot = name ? strrchr(name, '.') : NULL;
    return dot && dot != name && (!strcasecmp(dot, ".txt") || !strcasecmp(dot, ".md") ||
                                  !strcasecmp(dot, ".markdown"));
}

int cw_inbox_list(cw_inbox *ib, cw_strlist *names, cw_error *err)
{
    DIR *d = opendir(ib->dir);
    if (!d)
        return cw_fail(err, CW_EIO, ib->dir, 0, "cannot read the inbox: %s", strerror(errno));
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || cw_inbox_is_text_name(de->d_name))
            continue;
        char *p = cw_path_join(ib->dir, de->d_name);
        struct stat sb;
        /* links are listed (and refused with a reason), other non-files are left alone */
        if (p && lstat(p, &sb) == 0 && (S_ISREG(sb.st_mode) || S_ISLNK(sb.st_mode)) &&
            cw_strlist_push(names, de->d_name))
            rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        free(p);
    }
    closedir(d);
    cw_strlist_sort(names);
    return rc;
}

/* The names in dir (hidden ones left out), appended to names; a missing dir adds none. */
static int names_in(const char *dir, cw_strlist *names)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d)) != NULL)
        if (de->d_name[0] != '.' && cw_strlist_push(names, de->d_name))
            rc = CW_ENOMEM;
    closedir(d);
    return rc;
}

/* Is `text` the note of some other name in `all`: NAME.ext for NAME.txt, or NAME for
 * NAME.txt (a note is always .txt; a .md is never one)? */
static int is_a_note(const char *text, const cw_strlist *all)
{
    size_t tl = strlen(text);
    if (tl < 4 || strcasecmp(text + tl - 4, ".txt") != 0)
        return 0;
    size_t stem = tl - 4;
    for (size_t i = 0; i < all->n; i++) {
        const char *o = all->v[i];
        size_t ol = strlen(o);
        if (ol == tl && !strcmp(o, text))
            continue;
        const char *dot = strrchr(o, '.');
        if ((ol == stem && !strncmp(o, text, stem)) ||
            (dot && dot != o && (size_t)(dot - o) == stem && !strncmp(o, text, stem)))
            return 1;
    }
    return 0;
}

int cw_inbox_list_texts(cw_inbox *ib, cw_strlist *names, cw_error *err)
{
    cw_strlist all = {0}, claims = {0};
    DIR *d = opendir(ib->dir);
    if (!d)
        return cw_fail(err, CW_EIO, ib->dir, 0, "cannot read the inbox: %s", strerror(errno));
    closedir(d);
    int rc = names_in(ib->dir, &all);
    /* recordings other runs hold: their notes wait in the inbox until they are settled */
    d = rc ? NULL : opendir(ib->dir);
    struct dirent *de;
    while (d && rc == 0 && (de = readdir(d)) != NULL)
        if (!strncmp(de->d_name, ".processing-", 12) && cw_strlist_push(&claims, de->d_name))
            rc = CW_ENOMEM;
    if (d)
        closedir(d);
    for (size_t i = 0; rc == 0 && i < claims.n; i++) {
        char *cd = cw_path_join(ib->dir, claims.v[i]);
        rc = cd ? names_in(cd, &all) : CW_ENOMEM;
        free(cd);
    }
    for (size_t i = 0; rc == 0 && i < all.n; i++) {
        const char *n = all.v[i];
        if (!cw_inbox_is_text_name(n) || is_a_note(n, &all))
            continue;
        char *p = cw_path_join(ib->dir, n);
        struct stat sb;
        if (p && lstat(p, &sb) == 0 && (S_ISREG(sb.st_mode) || S_ISLNK(sb.st_mode)) &&
            cw_strlist_push(names, n))
            rc = CW_ENOMEM;
        free(p);
    }
    cw_strlist_free(&all);
    cw_strlist_free(&claims);
    cw_strlist_sort(names);
    return rc ? cw_fail(err, CW_ENOMEM, "", 0, "out of memory") : 0;
}

int cw_inbox_claim(cw_inbox *ib, const char *name, char **path, char **note, cw_error *err)
{
    *path = *note = NULL;
    char *from = cw_path_join(ib->dir, name), *to = cw_path_join(ib->claim, name);
    int won = from && to && rename(from, to) == 0;
    if (!won) {
        free(from);
        free(to);
        return from && to ? 1 : cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    }
    *path = to;
    *note = cw_meta_note_path(from);
    free(from);
    struct stat lb;
    if (lstat(to, &lb) == 0 && S_ISLNK(lb.st_mode))
        return cw_fail(err, CW_EINVAL, name, 0, "'%s' is a symbolic link; refused (put the "
                       "recording itself into the inbox, not a link to it)", name);
    if (*note && lstat(*note, &lb) == 0 && S_ISLNK(lb.st_mode))
        return cw_fail(err, CW_EINVAL, name, 0, "the note '%s' is a symbolic link; refused "
                       "(put the note itself into the inbox)", cw_path_base(*note));
    return 0;
}

/* A free name in dir for `name`: name, then "stem (2).ext", ... */
static char *free_name(const char *dir, const char *name)
{
    for (int i = 1; i < 1000; i++) {
        char *p;
        if (i == 1) {
            p = cw_asprintf("%s/%s", dir, name);
        } else {
            const char *dot = strrchr(name, '.');
            int sl = dot && dot != name ? (int)(dot - name) : (int)strlen(name);
            p = cw_asprintf("%s/%.*s (%d)%s", dir, sl, name, i, dot && dot != name ? dot : "");
        }
        if (!p || !cw_path_exists(p))
            return p;
        free(p);
    }
    return NULL;
}

void cw_inbox_settle(cw_inbox *ib, const char *name, cw_inbox_outcome how, const char *reason,
                     cw_diags *notes)
{
    char *claimed = cw_path_join(ib->claim, name), *in = cw_path_join(ib->dir, name);
    char *note = in ? cw_meta_note_path(in) : NULL;
    const char *sub = how == CW_INBOX_ACCEPTED ? "accepted" : how == CW_INBOX_REJECTED
                                                                  ? "rejected" : NULL;
    char *dir = sub ? cw_path_join(ib->dir, sub) : cw_strdup(ib->dir);
    cw_error err = {0};
    char *dst = NULL;
    if (!claimed || !dir || cw_mkdir_p(dir, &err))
        goto done; /* the file stays claimed; the next run puts it back */
    dst = free_name(dir, name);
    if (dst && how == CW_INBOX_REJECTED) {
        /* the reason first, so a rejected file never sits without one */
        char *rp = cw_asprintf("%s.reason.txt", dst);
        char *txt = cw_asprintf("%s was not added to the library.\n\nWhy: %s\n\nWhat to do: fix "
                                "the %s or its note and put it into the inbox again.\n",
                                name, reason && reason[0] ? reason : "it was refused",
                                cw_inbox_is_text_name(name) ? "text" : "recording");
        if (rp && txt)
            (void)cw_write_file_atomic(rp, txt, strlen(txt), &err);
        free(rp);
        free(txt);
    }
    if (dst && rename(claimed, dst) != 0)
        cw_diags_addf(notes, CW_DIAG_WARNING, "ingest.inbox-move", name, 0, NULL,
                      "could not move the original to %s: %s", dir, strerror(errno));
    if (dst && note) {
        char *sdst = free_name(dir, cw_path_base(note));
        if (sdst)
            (void)rename(note, sdst);
        free(sdst);
    }
done:
    free(dst);
    free(dir);
    free(note);
    free(in);
    free(claimed);
}
