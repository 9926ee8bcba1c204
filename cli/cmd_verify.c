/* cmd_verify.c — `chalkwave verify BUNDLE_DIR`: check a bundle's SHA256SUMS, its unlisted
 * files and every Ogg file's structure and headers (e.g. after copying to a USB stick).
 * Guarantees: exit 0 when everything checks out, 1 with one line per bad file otherwise;
 * what an operating system added to the copied folder is a "note:" line, never a failure. */
#include "cli.h"
#include "playlists.h"

int cmd_verify(cw_cli *cli, int argc, char **argv)
{
    const char *cmd = "verify";
    int quiet = 0;
    const cw_opt opts[] = {
        {"quiet", 'q', CW_OPT_FLAG, &quiet, NULL, "print nothing when the bundle is good"},
        {0},
    };
    const char **pos;
    int npos, rc;
    if (cw_cli_opts(cli, cmd, argc, argv, &pos, &npos, &rc, "chalkwave verify BUNDLE_DIR",
                    "Check a day bundle: every checksum in SHA256SUMS, files not listed there, the\n"
                    "pages, serial numbers and Vorbis headers of every Ogg file, and day.ogg and\n"
                    "blocks/ against plan.json (one link per item, the planned length). Prints each\n"
                    "bad file. What Windows or macOS adds to a copied folder (desktop.ini,\n"
                    "Thumbs.db, .DS_Store, ._*, System Volume Information) is ignored with a note.\n"
                    "Needs no station.",
                    opts))
        return rc;
    if (npos != 1)
        return cw_cli_usagef(cmd, "give exactly one bundle folder (e.g. 'chalkwave verify out/2026-03-16')");
    cw_strlist bad = {0}, notes = {0};
    cw_error err = {0};
    int code = cw_bundle_verify_notes(pos[0], &bad, &notes, &err);
    for (size_t i = 0; i < bad.n; i++)
        printf("%s\n", bad.v[i]);
    for (size_t i = 0; i < notes.n && (code || !quiet); i++)
        printf("note: %s\n", notes.v[i]);
    cw_strlist_free(&bad);
    cw_strlist_free(&notes);
    if (code)
        return cw_cli_report(cmd, code, &err);
    if (!quiet)
        printf("%s: ok\n", pos[0]);
    return 0;
}
