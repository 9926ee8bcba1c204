/* cmd_library.c — `chalkwave library [--format text|json]`: what the library holds, read
 * from each file's Vorbis comments and last Ogg page (no decoding).
 * Guarantees: sorted by path; the same library gives the same output; files that cannot be
 * read are reported as warnings on stderr and left out. */
#include "audio.h"
#include "cli.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const CMD = "library";

static json_t *jstr(const char *s)
{
    return s && s[0] ? json_string(s) : json_null();
}

static json_t *jnum(double v)
{
    return isfinite(v) ? json_real(round(v * 100.0) / 100.0) : json_null();
}

/* reasons_from: the station, to add each rejected upload's reason; NULL otherwise */
static void to_json(const cw_library *lib, const char *reasons_from, cw_buf *b)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < lib->n; i++) {
        const cw_recording *r = &lib->v[i];
        json_t *o = json_object();
        json_object_set_new(o, "path", json_string(r->path));
        json_object_set_new(o, "kind", jstr(cw_kind_name(r->kind)));
        json_object_set_new(o, "series", jstr(r->series));
        json_object_set_new(o, "episode", r->episode > 0 ? json_integer(r->episode) : json_null());
        json_object_set_new(o, "title", jstr(r->title));
        json_object_set_new(o, "teacher", jstr(r->teacher));
        json_object_set_new(o, "language", jstr(r->language));
        json_object_set_new(o, "date", jstr(r->date));
        json_object_set_new(o, "valid_from", jstr(r->valid_from));
        json_object_set_new(o, "valid_until", jstr(r->valid_until));
        json_object_set_new(o, "rate", json_integer(r->rate));
        json_object_set_new(o, "channels", json_integer(r->channels));
        json_object_set_new(o, "samples", json_integer((json_int_t)r->length_samples));
        json_object_set_new(o, "seconds",
                            jnum(r->rate > 0 ? (double)r->length_samples / r->rate : NAN));
        json_object_set_new(o, "lufs_in", jnum(r->lufs_in));
        json_object_set_new(o, "lufs", jnum(r->lufs_out));
        json_object_set_new(o, "lra", jnum(r->lra_out));
        json_object_set_new(o, "true_peak", jnum(r->true_peak_out));
        json_object_set_new(o, "source_sha256", jstr(r->source_sha256));
        char *why = NULL;
        cw_error e = {0};
        if (reasons_from && cw_library_rejection(reasons_from, r->path, &why, &e) == 0)
            json_object_set_new(o, "reason", json_string(why));
        free(why);
        json_array_append_new(arr, o);
    }
    char *s = json_dumps(arr, JSON_PRESERVE_ORDER | JSON_INDENT(2) | JSON_REAL_PRECISION(8));
    json_decref(arr);
    if (!s) {
        b->oom = 1;
        return;
    }
    cw_buf_puts(b, s);
    cw_buf_puts(b, "\n");
    free(s);
}

/* Drop a UTF-8 sequence cut in half at the end of s (after a byte-count truncation). */
static void utf8_cut(char *s)
{
    size_t n = strlen(s), c = 0;
    while (c < 3 && c < n && ((unsigned char)s[n - 1 - c] & 0xc0) == 0x80)
        c++;
    if (c == n)
        return;
    unsigned char lead = (unsigned char)s[n - 1 - c];
    size_t want = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    if (want > c + 1)
        s[n - 1 - c] = 0;
}

static void to_text(const cw_library *lib, cw_buf *b)
{
    if (lib->n == 0) {
        cw_buf_puts(b, "the library is empty (add recordings with 'chalkwave ingest')\n");
        return;
    }
    cw_buf_printf(b, "%-10s %-16s %4s  %-30s %-18s %-4s %8s %7s  %s\n", "KIND", "SERIES", "EP",
                  "TITLE", "TEACHER", "LANG", "LENGTH", "LUFS", "VALID");
    double total = 0;
    for (size_t i = 0; i < lib->n; i++) {
        const cw_recording *r = &lib->v[i];
        char len[32], ep[16], valid[40], lufs[16];
        double secs = r->rate > 0 ? (double)r->length_samples / r->rate : 0;
        total += secs;
        cw_cli_fmt_length(secs, len);
        if (r->episode > 0)
            snprintf(ep, sizeof ep, "%d", r->episode);
        else
            snprintf(ep, sizeof ep, "-");
        if (r->valid_from[0] || r->valid_until[0])
            snprintf(valid, sizeof valid, "%s..%s", r->valid_from[0] ? r->valid_from : "",
                     r->valid_until[0] ? r->valid_until : "");
        else
            snprintf(valid, sizeof valid, "always");
        if (isfinite(r->lufs_out))
            snprintf(lufs, sizeof lufs, "%.1f", r->lufs_out);
        else
            snprintf(lufs, sizeof lufs, "?");
        cw_buf_printf(b, "%-10s %-16.16s %4s  ", cw_kind_name(r->kind)[0] ? cw_kind_name(r->kind) : "?",
                      r->series[0] ? r->series : "-", ep);
        /* titles and names may be UTF-8: pad by bytes, cut cleanly at 30/18 bytes */
        char t[64], who[64];
        cw_buf tb;
        cw_buf_init(&tb);
        cw_buf_put_oneline(&tb, r->title);
        snprintf(t, sizeof t, "%.30s", tb.data ? tb.data : "");
        cw_buf_free(&tb);
        cw_buf_init(&tb);
        cw_buf_put_oneline(&tb, r->teacher);
        snprintf(who, sizeof who, "%.18s", tb.data && tb.data[0] ? tb.data : "-");
        cw_buf_free(&tb);
        utf8_cut(t);
        utf8_cut(who);
        cw_buf_printf(b, "%-30s %-18s %-4.4s %8s %7s  %s\n", t, who,
                      r->language[0] ? r->language : "-", len, lufs, valid);
    }
    char tl[32];
    cw_cli_fmt_length(total, tl);
    cw_buf_printf(b, "%zu recording%s, %s in all\n", lib->n, lib->n == 1 ? "" : "s", tl);
}

/* `library approve PATH...` / `library reject --reason TEXT PATH...` */
static int decide(cw_cli *cli, const char *what, const char **paths, int n, int replace,
                  const char *reason)
{
    if (n == 0)
        return cw_cli_usagef(CMD, "%s: give the uploads (paths under pending/, as 'chalkwave "
                             "library --pending' lists them)", what);
    if (!strcmp(what, "reject") && (!reason || !reason[0]))
        return cw_cli_usagef(CMD, "reject: give --reason TEXT (the teacher sees it)");
    int rc = cw_cli_lock(cli, CMD, 0);
    if (rc)
        return rc;
    int worst = CW_EXIT_OK;
    for (int i = 0; i < n; i++) {
        cw_error err = {0};
        char lp[1100] = "";
        int code = !strcmp(what, "approve")
                       ? cw_library_approve(cli->station->dir, paths[i], replace, lp, sizeof lp, &err)
                       : cw_library_reject(cli->station->dir, paths[i], reason, &err);
        if (code) {
            cw_cli_errorf(CMD, "%s: %s: %s", what, paths[i], err.text);
            int e = cw_exit_code(code);
            worst = e > worst ? e : worst;
        } else if (lp[0]) {
            printf("approved %s -> %s\n", paths[i], lp);
        } else {
            printf("rejected %s\n", paths[i]);
        }
    }
    fflush(stdout);
    return worst;
}

int cmd_library(cw_cli *cli, int argc, char **argv)
{
    const char *format = "text", *reason = NULL;
    int pending = 0, rejected = 0, replace = 0;
    const cw_opt opts[] = {
        {"format", 0, CW_OPT_STRING, &format, "FMT", "text (a table) or json"},
        {"pending", 0, CW_OPT_FLAG, &pending, NULL, "list the uploads awaiting approval (pending/)"},
        {"rejected", 0, CW_OPT_FLAG, &rejected, NULL, "list the rejected uploads (pending/rejected/)"},
        {"replace", 0, CW_OPT_FLAG, &replace, NULL, "approve: put it in place of the same episode"},
        {"reason", 0, CW_OPT_STRING, &reason, "TEXT", "reject: why (kept beside it for the teacher)"},
        {0},
    };
    const char **pos;
    int npos, rc;
    if (cw_cli_opts(cli, CMD, argc, argv, &pos, &npos, &rc,
                    "chalkwave library [--pending|--rejected] [--format text|json]\n"
                    "       chalkwave library approve [--replace] PATH...\n"
                    "       chalkwave library reject --reason TEXT PATH...",
                    "List the recordings in the station's library: kind, series, episode, title,\n"
                    "teacher, language, length, loudness and the dates between which they may air.\n"
                    "Files that cannot be read are named on stderr and left out.\n\n"
                    "Uploads awaiting approval (ingest --pending, the desk's teacher links) are in\n"
                    "pending/ and do not air: --pending lists them; 'approve PATH' moves one into\n"
                    "the library (refused when the library has the same recording, or the same\n"
                    "episode unless --replace); 'reject --reason TEXT PATH' moves it to\n"
                    "pending/rejected/ with the reason beside it (--rejected lists those).",
                    opts))
        return rc;
    if (npos > 0 && (!strcmp(pos[0], "approve") || !strcmp(pos[0], "reject")))
        return decide(cli, pos[0], pos + 1, npos - 1, replace, reason);
    if (npos > 0)
        return cw_cli_usagef(CMD, "unknown '%s' (give approve PATH, reject PATH, or no "
                             "arguments to list; did you mean 'chalkwave ingest %s'?)", pos[0], pos[0]);
    if (replace || reason)
        return cw_cli_usagef(CMD, "--replace and --reason go with approve and reject");
    if (pending && rejected)
        return cw_cli_usagef(CMD, "give --pending or --rejected, not both");
    int json = !strcmp(format, "json");
    if (!json && strcmp(format, "text") != 0)
        return cw_cli_usagef(CMD, "--format must be text or json, not '%s'", format);
    rc = cw_cli_lock(cli, CMD, 0);
    if (rc)
        return rc;
    cw_library *lib = NULL;
    cw_error err = {0};
    int code = cw_library_scan_at(&lib, cli->station->dir,
                                  pending ? "pending" : rejected ? "pending/rejected" : "library",
                                  &err);
    if (code)
        return cw_cli_report(CMD, code, &err);
    for (size_t i = 0; i < lib->warnings.n; i++)
        cw_cli_warnf(CMD, "%s", lib->warnings.v[i]);
    cw_buf b;
    cw_buf_init(&b);
    if (json)
        to_json(lib, rejected ? cli->station->dir : NULL, &b);
    else if (lib->n == 0 && (pending || rejected))
        cw_buf_puts(&b, pending ? "no uploads are waiting for approval\n"
                                : "no uploads were rejected\n");
    else
        to_text(lib, &b);
    rc = cw_cli_write_stdout(CMD, &b);
    cw_buf_free(&b);
    cw_library_free(lib);
    return rc;
}
