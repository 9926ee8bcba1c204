/* station_setup.c — making and finding a station: `chalkwave init`'s folder and commented
 * station.conf (in the station's time zone), the machine's time zone, the station a folder
 * is inside (as git finds its repository), and the on-air windows of a loaded station.
 * Guarantees: init never touches a folder that holds a station and writes station.conf
 * atomically; an unknown zone creates nothing; discovery never crosses a mount point. */
#include "station.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- init -------------------------------------------------------------------------- */

static const char default_conf[] =
    "; chalkwave station settings. Lines starting with ';' are comments.\n"
    "; Every key is documented in 'man chalkwave' and the README.\n"
    "\n"
    "[station]\n"
    "name = Radio Example\n"
    "timezone = Africa/Lagos        ; IANA zone (see /usr/share/zoneinfo)\n"
    "on_air = 06:00-22:00           ; local time; may cross midnight (20:00-02:00); several: 06:00-09:00, 16:00-18:00\n"
    "language = en                  ; default language of items without one\n"
    "\n"
    "[audio]\n"
    "rate = 44100                   ; Hz, every library file and day file uses it\n"
    "channels = 1                   ; 1 mono (speech), 2 stereo\n"
    "quality = 3                    ; Vorbis VBR quality, -1 (small) .. 10 (large)\n"
    "loudness = -23                 ; target LUFS (EBU R128)\n"
    "true_peak = -1                 ; ceiling dBTP\n"
    "min_length = 3                 ; seconds; shorter recordings are refused\n"
    "max_length = 14400             ; seconds; longer recordings are refused\n"
    "silence_threshold = -50        ; dBFS; quieter lead-in and tail are trimmed\n"
    "silence_margin = 0.25          ; seconds of silence kept before and after speech\n"
    "min_pause = 0.5                ; seconds; shorter silence at the start or end is left alone\n"
    "fade = 0.5                     ; seconds of fade where an item is cut\n"
    "\n"
    "[schedule]\n"
    "missing = filler               ; a lesson not in the library: filler, announcement or silence\n"
    "unavailable = unavailable      ; series key of the 'lesson unavailable' announcement\n"
    "overrun = cut                  ; a lesson longer than its slot: cut (with a fade) or push\n"
    "newsletters_fill_gaps = no     ; may newsletter items fill gaps between lessons?\n"
    "fillers =                      ; filler series in rotation, comma-separated (empty: all fillers)\n"
    "max_silence = 10               ; seconds; longer silence in a plan is a dead-air warning\n"
    "missed = skip                  ; a lesson that did not air: skip (the series moves on) or hold\n"
    "\n"
    "[bundle]\n"
    "mode = day                     ; day: whole on-air windows; blocks: only the partner events\n"
    "\n"
    "[desk]\n"
    "; the web desk, 'chalkwave serve'\n"
    "listen = 127.0.0.1:8070        ; 0.0.0.0:8070 lets phones on the station's network reach it\n"
    "url =                          ; base of teachers' links, e.g. http://192.168.1.10:8070 (empty: from listen)\n"
    "approve = yes                  ; teachers' uploads wait for staff approval before they air\n"
    "max_upload = 1G                ; largest upload\n"
    "login_hours = 12               ; a staff login ends after this long without use\n"
    "trust_proxy = no               ; yes behind a reverse proxy: rate limits use X-Forwarded-For\n"
    "[air]\n"
    "; 'chalkwave air' plays the days by the clock to these outputs (or those given with --output)\n"
    "outputs =                      ; e.g. alsa:default icecast://source:PASSWORD@127.0.0.1:8000/radio.ogg\n"
    "between = silence              ; between on-air windows: silence, or nothing (release the outputs)\n"
    "emergency =                    ; Ogg Vorbis file played when a day's bundle is missing (empty: fillers)\n"
    "build_ahead = no               ; build a missing day's bundle before it is needed\n"
    "\n"
    "[speak]\n"
    "; texts spoken with eSpeak NG ('chalkwave speak', .txt/.md in the inbox)\n"
    "max_chars = 20000              ; longest text spoken, in characters\n"
    "addresses = read               ; web and e-mail addresses: read or drop\n"
    "speed = 150                    ; words a minute (80-450)\n"
    "pitch = 50                     ; 0-99\n"
    "; per language: LANG.voice, LANG.speed, LANG.pitch, LANG.intro, LANG.outro, e.g.\n"
    "; fr.voice = fr-fr\n"
    "; ha.voice = sw                ; no Hausa voice in eSpeak NG: read Hausa with the Swahili one\n"
    "; pronunciation fixes: speak.lexicon in the station folder (word = say it like this)\n"
    "\n"
    "[calendars]\n"
    "; partner calendar file in calendars/ = priority (a higher number wins a conflict),\n"
    "; then ', holidays' for a public-holidays calendar (its all-day events are blackouts)\n"
    "; and ', from SOURCE' (what it was imported from).\n"
    "; 'chalkwave calendar import FILE --priority N [--holidays]' adds lines here.\n";

/* The template with `timezone` in its [station] line. */
static char *conf_with_zone(const char *tz)
{
    static const char key[] = "timezone = Africa/Lagos        ;";
    const char *at = strstr(default_conf, key);
    if (!at) return NULL;
    char line[160];
    snprintf(line, sizeof line, "timezone = %-19s ;", tz);
    return cw_asprintf("%.*s%s%s", (int)(at - default_conf), default_conf, line, at + sizeof key - 1);
}

int cw_station_init_tz(const char *dir, const char *timezone, cw_error *err)
{
    if (!timezone || strlen(timezone) > 100 || !cw_station_timezone_known(timezone))
        return cw_fail(err, CW_EINVAL, "", 0,
                       "'%s' is not an IANA time zone (use a name like Africa/Nairobi; see /usr/share/zoneinfo)",
                       timezone ? timezone : "");
    char *text = conf_with_zone(timezone);
    if (!text) return cw_fail(err, CW_ENOMEM, dir, 0, "out of memory");
    int rc = cw_mkdir_p(dir, err);
    char *conf = rc ? NULL : cw_path_join(dir, "station.conf");
    if (!rc && !conf) rc = cw_fail(err, CW_ENOMEM, dir, 0, "out of memory");
    if (!rc && cw_path_exists(conf))
        rc = cw_fail(err, CW_EEXIST, conf, 0, "'%s' already holds a station (choose an empty folder)", dir);
    static const char *subdirs[] = {"calendars", "library", "inbox", "inbox/accepted", "inbox/rejected", "out"};
    for (size_t i = 0; i < sizeof subdirs / sizeof subdirs[0] && rc == CW_OK; i++) {
        char *p = cw_path_join(dir, subdirs[i]);
        rc = p ? cw_mkdir_p(p, err) : cw_fail(err, CW_ENOMEM, dir, 0, "out of memory");
        free(p);
    }
    if (rc == CW_OK) rc = cw_write_file_atomic(conf, text, strlen(text), err);
    free(conf);
    free(text);
    return rc;
}

int cw_station_init(const char *dir, cw_error *err) { return cw_station_init_tz(dir, "Africa/Lagos", err); }

/* ---- the machine's zone, the station's windows, finding a station ------------------- */

/* "Area/City" from a zoneinfo path ".../zoneinfo/Area/City" (also "posix/" and "right/"
 * trees); NULL when the path holds no zoneinfo part. */
static char *zone_from_path(const char *path)
{
    const char *z = strstr(path, "zoneinfo/");
    if (!z) return NULL;
    z += 9;
    if (!strncmp(z, "posix/", 6)) z += 6;
    else if (!strncmp(z, "right/", 6)) z += 6;
    return cw_strdup(z);
}

static char *known_or_free(char *tz)
{
    if (tz && cw_station_timezone_known(tz)) return tz;
    free(tz);
    return NULL;
}

char *cw_station_machine_timezone(const char *etc, const char **from)
{
    const char *dummy;
    if (!from) from = &dummy;
    *from = NULL;
    const char *env = getenv("TZ");
    if (env && *env) {
        const char *name = env[0] == ':' ? env + 1 : env;
        char *tz = name[0] == '/' ? zone_from_path(name) : cw_strdup(name);
        if ((tz = known_or_free(tz)) != NULL) {
            *from = "TZ";
            return tz;
        }
    }
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/timezone", etc ? etc : "/etc");
    char *text = NULL;
    size_t len = 0;
    cw_error e;
    if (!cw_read_file(path, 4096, &text, &len, &e)) {
        size_t a = 0;
        while (a < len && isspace((unsigned char)text[a])) a++;
        size_t b = a;
        while (b < len && !isspace((unsigned char)text[b])) b++;
        char *tz = known_or_free(b > a ? cw_strndup(text + a, b - a) : NULL);
        free(text);
        if (tz) {
            *from = "/etc/timezone";
            return tz;
        }
    }
    snprintf(path, sizeof path, "%s/localtime", etc ? etc : "/etc");
    char target[PATH_MAX];
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n > 0) {
        target[n] = 0;
        char *tz = known_or_free(zone_from_path(target));
        if (tz) {
            *from = "/etc/localtime";
            return tz;
        }
    }
    return NULL;
}

size_t cw_station_windows(const cw_station *st, cw_on_air out[CW_MAX_ON_AIR])
{
    if (st->n_on_air == 0 || st->n_on_air > CW_MAX_ON_AIR) {
        out[0] = (cw_on_air){st->on_air_start, st->on_air_end};
        return 1;
    }
    memcpy(out, st->on_air, st->n_on_air * sizeof *out);
    return st->n_on_air;
}

char *cw_station_discover(const char *start)
{
    char dir[PATH_MAX];
    if (!realpath(start ? start : ".", dir)) return NULL;
    struct stat first;
    if (stat(dir, &first)) return NULL;
    for (;;) {
        char conf[PATH_MAX + 16];
        snprintf(conf, sizeof conf, "%s/station.conf", strcmp(dir, "/") ? dir : "");
        struct stat cs;
        if (!stat(conf, &cs) && S_ISREG(cs.st_mode)) return cw_strdup(dir);
        if (!strcmp(dir, "/")) return NULL;
        char *slash = strrchr(dir, '/');
        if (slash == dir) slash[1] = 0;
        else *slash = 0;
        struct stat up;
        /* a mount point ends the search, as git's GIT_DISCOVERY_ACROSS_FILESYSTEM default */
        if (stat(dir, &up) || up.st_dev != first.st_dev) return NULL;
    }
}

