/* cmd_speak.c — `chalkwave speak`: a partner's text spoken by eSpeak NG in the item's
 * language and filed in the library like a recording; `--list-voices`; `--prepared` and
 * `--phonemes` to check what will be said (numbers, dates, the lexicon) without filing.
 * Guarantees: a refusal is one line naming the text (and its line when it is about one),
 * exit 1, nothing in the library changed; the text is read bounded by [speak] max_chars. */
#include "cli.h"
#include "speak.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const CMD = "speak";

/* ---- --list-voices ---------------------------------------------------------------------- */

static int list_voices(cw_cli *cli, const char *language, const char *voice, int json)
{
    cw_voices vs;
    cw_error err = {0};
    int rc = cw_tts_voices(&vs, &err);
    if (rc)
        return cw_cli_report(CMD, rc, &err);
    /* the station's choices, when there is a station */
    cw_station *st = NULL;
    if (cw_station_load(&st, cw_station_dir_default(cli->station_opt), &err) != 0)
        st = NULL;
    if (language || voice) {
        /* what an item in LANGUAGE (or with VOICE) gets */
        cw_station none;
        memset(&none, 0, sizeof none);
        cw_speak_settings_defaults(&none.speak);
        cw_speak_voice v;
        rc = cw_speak_voice_choose(st ? st : &none, &vs, language ? language : "en", voice, &v,
                                   &err);
        cw_voices_free(&vs);
        cw_station_free(st);
        if (rc)
            return cw_cli_report(CMD, rc, &err);
        if (json) {
            json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:i}", "language",
                                  language ? language : "", "voice", v.name, "espeak", v.spec,
                                  "speed", v.speed, "pitch", v.pitch);
            char *s = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
            if (s)
                printf("%s\n", s);
            free(s);
            json_decref(o);
        } else {
            printf("%s: voice %s (eSpeak NG %s), %d words a minute, pitch %d\n",
                   language ? language : "-", v.name, v.spec, v.speed, v.pitch);
        }
        return CW_EXIT_OK;
    }
    if (json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < vs.n; i++)
            json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s}", "name", vs.v[i].name,
                                                 "title", vs.v[i].title, "languages",
                                                 vs.v[i].languages, "espeak", vs.v[i].id));
        json_t *var = json_array();
        for (size_t i = 0; i < vs.variants.n; i++)
            json_array_append_new(var, json_string(vs.variants.v[i]));
        json_t *o = json_pack("{s:o, s:o}", "voices", arr, "variants", var);
        char *s = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
        if (s)
            printf("%s\n", s);
        free(s);
        json_decref(o);
    } else {
        printf("%-22s %-34s %s\n", "VOICE", "LANGUAGE", "READS");
        for (size_t i = 0; i < vs.n; i++)
            printf("%-22s %-34s %s\n", vs.v[i].name, vs.v[i].title, vs.v[i].languages);
        printf("\n%zu voices. Variants (VOICE+VARIANT, e.g. en-gb+f3):", vs.n);
        for (size_t i = 0; i < vs.variants.n; i++)
            printf(" %s", vs.variants.v[i]);
        printf("\n");
        if (st && st->speak.n_langs) {
            printf("\nThis station ([speak] in station.conf):\n");
            for (size_t i = 0; i < st->speak.n_langs; i++) {
                const cw_speak_lang *l = &st->speak.langs[i];
                cw_speak_voice v;
                if (cw_speak_voice_choose(st, &vs, l->language, NULL, &v, &err) == 0)
                    printf("  %-8s %s, %d words a minute, pitch %d\n", l->language, v.name,
                           v.speed, v.pitch);
                else
                    printf("  %-8s cannot be spoken: %s\n", l->language, err.text);
            }
        }
    }
    cw_voices_free(&vs);
    cw_station_free(st);
    return CW_EXIT_OK;
}

/* ---- reading the text ------------------------------------------------------------------- */

/* The whole text of FILE or standard input ("-"), refused early when it cannot fit. */
static int read_text(const cw_station *st, const char *arg, char **out, size_t *len,
                     cw_error *err)
{
    *out = NULL;
    *len = 0;
    size_t max = st->speak.max_chars * 5 + 8; /* cw_speak_check_size's bound */
    int fd = strcmp(arg, "-") ? open(arg, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
                              : STDIN_FILENO;
    const char *name = strcmp(arg, "-") ? arg : "standard input";
    if (fd < 0)
        return cw_fail(err, errno == ENOENT ? CW_ENOTFOUND : CW_EIO, name, 0,
                       "cannot open: %s", errno == ENOENT ? "no such file (check the name and "
                       "folder)" : strerror(errno));
    struct stat sb;
    int rc = 0;
    if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode))
        rc = cw_fail(err, CW_EINVAL, name, 0, "this is a folder, not a text (give a .txt file)");
    else if (fd != STDIN_FILENO && fstat(fd, &sb) == 0 && !S_ISREG(sb.st_mode))
        rc = cw_fail(err, CW_EINVAL, name, 0, "this is not a regular file (give a .txt file, or "
                     "- for standard input)");
    else if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode))
        rc = cw_speak_check_size((uint64_t)sb.st_size, st->speak.max_chars, name, err);
    if (!rc && fd != STDIN_FILENO) {
        int fl = fcntl(fd, F_GETFL);
        if (fl >= 0)
            (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    }
    cw_buf b;
    cw_buf_init(&b);
    char chunk[65536];
    while (!rc) {
        ssize_t r = read(fd, chunk, sizeof chunk);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = cw_fail(err, CW_EIO, name, 0, "cannot read: %s", strerror(errno));
            break;
        }
        if (r == 0)
            break;
        if (b.len + (size_t)r > max) {
            rc = cw_speak_check_size(b.len + (size_t)r, st->speak.max_chars, name, err);
            break;
        }
        cw_buf_append(&b, chunk, (size_t)r);
        if (b.oom)
            rc = cw_fail(err, CW_ENOMEM, name, 0, "out of memory");
    }
    if (fd != STDIN_FILENO)
        close(fd);
    if (rc) {
        cw_buf_free(&b);
        return rc;
    }
    *out = b.data ? b.data : cw_strdup("");
    *len = b.len;
    return *out ? 0 : cw_fail(err, CW_ENOMEM, name, 0, "out of memory");
}

/* ---- the command ------------------------------------------------------------------------- */

static void print_json(const char *name, int code, const cw_error *err, const cw_speak_result *r)
{
    json_t *o;
    if (code == 0)
        o = json_pack("{s:s, s:s, s:s, s:s, s:f, s:i, s:i, s:i, s:f, s:f, s:f, s:f}", "file", name,
                      "status", "accepted", "library_path", r->ingest.library_path, "voice",
                      r->voice, "seconds", r->ingest.seconds, "characters", (int)r->chars,
                      "words", (int)r->words, "lexicon_hits", (int)r->lexicon_hits, "lufs_in",
                      r->ingest.lufs_in, "lufs_out", r->ingest.lufs_out, "true_peak_out",
                      r->ingest.true_peak_out, "lra_out", r->ingest.lra_out);
    else
        o = json_pack("{s:s, s:s, s:s, s:i}", "file", name, "status", "refused", "reason",
                      err->text, "line", err->line);
    char *s = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
    if (s)
        printf("%s\n", s);
    free(s);
    json_decref(o);
}

int cmd_speak(cw_cli *cli, int argc, char **argv)
{
    const char *series = NULL, *title = NULL, *teacher = NULL, *language = NULL, *kind = NULL,
               *voice = NULL, *format = "text";
    cw_date vfrom = {0}, vuntil = {0}, date = {0};
    int episode = 0, replace = 0, list = 0, phonemes = 0, prepared = 0;
    const cw_opt opts[] = {
        {"title", 0, CW_OPT_STRING, &title, "T", "title of the item (or Title: in the text's header)"},
        {"language", 0, CW_OPT_STRING, &language, "L", "the text's language: en, fr, sw, ar, en-gb, ... (or Language:)"},
        {"voice", 0, CW_OPT_STRING, &voice, "V", "eSpeak NG voice (default: [speak] L.voice, else the language's)"},
        {"kind", 0, CW_OPT_STRING, &kind, "KIND", "newsletter (default), filler or lesson"},
        {"series", 0, CW_OPT_STRING, &series, "KEY", "series key, e.g. health-news"},
        {"episode", 0, CW_OPT_INT, &episode, "N", "episode number 1..999"},
        {"teacher", 0, CW_OPT_STRING, &teacher, "NAME", "who the item is from (stored as ARTIST)"},
        {"date", 0, CW_OPT_DATE, &date, "DATE", "DATE comment (default: none)"},
        {"valid-from", 0, CW_OPT_DATE, &vfrom, "DATE", "not to be aired before DATE"},
        {"valid-until", 0, CW_OPT_DATE, &vuntil, "DATE", "not to be aired after DATE"},
        {"replace", 0, CW_OPT_FLAG, &replace, NULL, "overwrite an existing series/episode"},
        {"prepared", 0, CW_OPT_FLAG, &prepared, NULL, "print what will be said (nothing is filed)"},
        {"phonemes", 0, CW_OPT_FLAG, &phonemes, NULL, "print eSpeak NG's phonemes (nothing is filed)"},
        {"list-voices", 0, CW_OPT_FLAG, &list, NULL, "list the installed voices (with --language: the one used)"},
        {"format", 0, CW_OPT_STRING, &format, "FMT", "text or json (results on stdout)"},
        {0},
    };
    const char **pos;
    int npos, rc;
    if (cw_cli_opts(cli, CMD, argc, argv, &pos, &npos, &rc,
                    "chalkwave speak [--title T] [--language L] [OPTIONS] FILE.txt|-\n"
                    "       chalkwave speak --list-voices [--language L]",
                    "Speak a text with eSpeak NG in its language and store the speech in the library\n"
                    "like a recording (trimmed, brought to the station's loudness under its true-peak\n"
                    "ceiling, Ogg Vorbis), with the text as its DESCRIPTION. The same text and\n"
                    "settings always give the same bytes.\n\n"
                    "The text is UTF-8 (.txt or Markdown .md; '-' reads standard input). Paragraphs\n"
                    "become pauses and headings ('# Title', a line underlined with === or ---, a line\n"
                    "in capitals) longer ones; dates (2026-03-16, 16/03/2026), times (09:30, 9h30),\n"
                    "money ($5, KSh 1,000, 5 000 FCFA) and phone numbers are read in the language;\n"
                    "web and e-mail addresses are read or left out ([speak] addresses); emphasis,\n"
                    "links and HTML tags are not read. speak.lexicon in the station folder fixes\n"
                    "names ('Okafor = Oh-kah-for', per language under [fr], phonemes as [[...]]).\n"
                    "Voice, speed and pitch per language come from [speak] in station.conf\n"
                    "(fr.voice = fr-fr, ha.voice = sw); intro and outro recordings are joined\n"
                    "around the speech ([speak] intro, outro).\n\n"
                    "The text may start with a header of 'Key: value' lines and a blank line\n"
                    "(Title, Language, Series, Episode, Kind, Teacher, Valid-From, Valid-Until,\n"
                    "Voice); the options win over it. Title and language are required.\n\n"
                    "Refused: a text that is not UTF-8 (the line is named), binary data, an empty\n"
                    "text, more than [speak] max_chars characters, a language no voice reads (the\n"
                    "closest voices are named).",
                    opts))
        return rc;
    int json = !strcmp(format, "json");
    if (!json && strcmp(format, "text"))
        return cw_cli_usagef(CMD, "--format must be text or json, not '%s'", format);
    if (list) {
        if (npos)
            return cw_cli_usagef(CMD, "--list-voices takes no file");
        return list_voices(cli, language, voice, json);
    }
    if (npos != 1)
        return cw_cli_usagef(CMD, npos ? "give one text at a time" : "give the text to speak "
                             "(e.g. 'chalkwave speak --title \"Health news\" --language en "
                             "news.txt', or - for standard input)");
    if (prepared && phonemes)
        return cw_cli_usagef(CMD, "give --prepared or --phonemes, not both");
    if (language && !cw_speak_language_ok(language))
        return cw_cli_usagef(CMD, "--language '%s' is not a language code (write e.g. en, fr, "
                             "sw, ar or en-gb)", language);
    if (episode < 0 || episode > 999)
        return cw_cli_usagef(CMD, "--episode must be 1 to 999");
    cw_kind k = CW_KIND_NONE;
    if (kind) {
        k = cw_kind_parse(kind);
        if (k != CW_KIND_LESSON && k != CW_KIND_NEWSLETTER && k != CW_KIND_FILLER)
            return cw_cli_usagef(CMD, "--kind must be newsletter, filler or lesson, not '%s'",
                                 kind);
    }
    rc = (prepared || phonemes) ? cw_cli_station(cli, CMD) : cw_cli_lock(cli, CMD, 0);
    if (rc)
        return rc;
    const cw_station *st = cli->station;
    char vf[11] = "", vu[11] = "", dt[11] = "";
    if (vfrom.year)
        cw_date_format(vfrom, vf);
    if (vuntil.year)
        cw_date_format(vuntil, vu);
    if (date.year)
        cw_date_format(date, dt);
    const char *name = strcmp(pos[0], "-") ? pos[0] : "standard input";
    cw_speak_opts so = {.display_name = name, .language = language, .voice = voice, .kind = k,
                        .series = series, .title = title, .teacher = teacher,
                        .valid_from = vf[0] ? vf : NULL, .valid_until = vu[0] ? vu : NULL,
                        .date = dt[0] ? dt : NULL, .episode = episode, .replace = replace};
    char *text = NULL;
    size_t len = 0;
    cw_error err = {0};
    rc = read_text(st, pos[0], &text, &len, &err);
    if (rc)
        return cw_cli_report(CMD, rc, &err);
    /* a header at the top of the text ("Title: ...", "Language: fr") gives what the options
     * do not */
    cw_speak_header hdr;
    cw_strlist hnotes = {0};
    rc = cw_speak_header_parse(text, len, &hdr, &hnotes, &err);
    for (size_t i = 0; i < hnotes.n; i++)
        cw_cli_warnf(CMD, "%s: %s", name, hnotes.v[i]);
    cw_strlist_free(&hnotes);
    if (rc) {
        free(text);
        if (!err.source[0])
            snprintf(err.source, sizeof err.source, "%s", name);
        return cw_cli_report(CMD, rc, &err);
    }
    cw_speak_opts_from_header(&so, &hdr);
    so.first_line = hdr.first_line;
    const char *body = text + hdr.body;
    size_t blen = len - hdr.body;
    if (!so.language || (!so.title && !prepared && !phonemes)) {
        cw_speak_header_clear(&hdr);
        free(text);
        return cw_cli_usagef(CMD, !so.language ? "give the text's language with --language "
                             "(e.g. en, fr, sw; see 'chalkwave speak --list-voices') or a "
                             "'Language:' line at the top of the text"
                             : "give the item's title with --title or a 'Title:' line at the "
                               "top of the text");
    }
    if (!cw_speak_language_ok(so.language)) {
        cw_speak_header_clear(&hdr);
        free(text);
        return cw_cli_usagef(CMD, "the language '%s' is not a language code (write e.g. en, "
                             "fr, sw, ar or en-gb)", so.language);
    }
    if (prepared || phonemes) {
        cw_buf out;
        cw_buf_init(&out);
        rc = cw_speak_preview(st, body, blen, &so, phonemes, &out, &err);
        if (!rc)
            rc = cw_cli_write_stdout(CMD, &out) ? CW_EIO : 0;
        cw_buf_free(&out);
        cw_speak_header_clear(&hdr);
        free(text);
        if (rc == CW_EIO && !err.text[0])
            return CW_EXIT_ENV;
        if (rc && !err.source[0])
            snprintf(err.source, sizeof err.source, "%s", name);
        return rc ? cw_cli_report(CMD, rc, &err) : CW_EXIT_OK;
    }
    cw_speak_result res;
    memset(&res, 0, sizeof res);
    rc = cw_speak_text(st, body, blen, &so, &res, &err);
    cw_speak_header_clear(&hdr);
    free(text);
    for (size_t i = 0; i < res.notes.n; i++)
        cw_cli_warnf(CMD, "%s:%d: %s", res.notes.v[i].file ? res.notes.v[i].file : "",
                     res.notes.v[i].line, res.notes.v[i].text);
    if (rc && !err.source[0])
        snprintf(err.source, sizeof err.source, "%s", name);
    if (json)
        print_json(name, rc, &err, &res);
    if (!json && !rc) {
        char t[32];
        cw_cli_fmt_length(res.ingest.seconds, t);
        printf("spoken %s -> %s (%s, voice %s, %zu words; %.1f LUFS, %.1f dBTP)\n", name,
               res.ingest.library_path, t, res.voice, res.words, res.ingest.lufs_out,
               res.ingest.true_peak_out);
        for (size_t i = 0; i < res.ingest.diags.n; i++)
            cw_cli_warnf(CMD, "%s: %s", name, res.ingest.diags.v[i].text);
    }
    cw_speak_result_free(&res);
    return rc ? cw_cli_report(CMD, rc, &err) : CW_EXIT_OK;
}
