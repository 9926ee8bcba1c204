/* station.c — station.conf: parsing (inih, with our own line counting so every error names
 * file, line and key), defaults, `chalkwave init`, and the [calendars] priority editor.
 * Guarantees: unknown keys, missing required keys and out-of-range values are errors; the
 * file is only ever rewritten atomically and its comments are kept. */
#include "station.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONF_MAX_BYTES (256 * 1024)
#define CONF_MAX_LINE 190
#define CONF_MAX_CALENDARS 1000

const char *cw_station_dir_default(const char *option)
{
    if (option && *option) return option;
    const char *env = getenv("CHALKWAVE_STATION");
    if (env && *env) return env;
    return ".";
}

/* ---- parsing ----------------------------------------------------------------------- */

enum {
    SEEN_NAME = 1 << 0,
    SEEN_TZ = 1 << 1,
    SEEN_ONAIR = 1 << 2,
    SEEN_RATE = 1 << 3,
    SEEN_CHANNELS = 1 << 4,
    SEEN_QUALITY = 1 << 5,
    SEEN_LOUDNESS = 1 << 6,
    SEEN_TRUEPEAK = 1 << 7,
};

typedef struct parse_ctx {
    cw_station *st;
    const char *source;
    const char *text, *end, *pos;
    int line;        /* line most recently handed to inih */
    int seen;
    int failed;
    cw_error *err;
    int rc;
    cw_strlist keys;  /* "section\nkey" of every single-valued key seen, with its line */
} parse_ctx;

static char *mem_reader(char *str, int num, void *stream)
{
    parse_ctx *c = stream;
    if (c->pos >= c->end || num <= 1) return NULL;
    int n = 0;
    /* Leading blanks are dropped: an indented "  timezone = UTC" is a key like any other
     * (inih would read it as the continuation of the previous value). */
    while (c->pos < c->end && (*c->pos == ' ' || *c->pos == '\t')) c->pos++;
    while (c->pos < c->end && n < num - 1) {
        char ch = *c->pos++;
        str[n++] = ch;
        if (ch == '\n') break;
    }
    str[n] = 0;
    c->line++;
    return str;
}

static int perr(parse_ctx *c, const char *fmt, ...) CW_PRINTF(2, 3);
static int perr(parse_ctx *c, const char *fmt, ...)
{
    if (!c->failed) {
        c->failed = 1;
        char text[900];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(text, sizeof text, fmt, ap);
        va_end(ap);
        c->rc = cw_fail(c->err, CW_EINVAL, c->source, c->line, "%s", text);
    }
    return 0;
}

static int parse_int(const char *v, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < lo || x > hi) return -1;
    *out = x;
    return 0;
}

static int parse_double(const char *v, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || end == v || *end || !isfinite(x) || x < lo || x > hi) return -1;
    *out = x;
    return 0;
}

static int parse_bool(const char *v, int *out)
{
    if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "on")) {
        *out = 1;
        return 0;
    }
    if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "off")) {
        *out = 0;
        return 0;
    }
    return -1;
}

static int parse_hhmm(const char *s, int *out)
{
    if (strlen(s) != 5 || s[2] != ':' || !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
        !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
        return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 24 || m > 59 || (h == 24 && m != 0)) return -1;
    *out = h * 60 + m;
    return 0;
}

static int timezone_known(const char *tz)
{
    if (!strcmp(tz, "UTC")) return 1;
    if (!cw_path_is_safe_relative(tz)) return 0;
    for (const char *p = tz; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("/_-+", *p)) return 0;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", tz);
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int set_str(parse_ctx *c, char **dst, const char *v)
{
    char *d = cw_strdup(v);
    if (!d) {
        c->rc = cw_fail(c->err, CW_ENOMEM, c->source, c->line, "out of memory");
        c->failed = 1;
        return 0;
    }
    free(*dst);
    *dst = d;
    return 1;
}

/* "HH:MM-HH:MM[, HH:MM-HH:MM]...": windows in the day's order, not overlapping; only the
 * last may cross midnight (or end at 24:00), and then it must end by the first one's start
 * (a day's windows never overlap the next day's). "00:00-24:00" is the whole day; a window
 * whose end equals its start is refused. On failure *why says what is wrong (it follows
 * the quoted value in the message). */
static int parse_windows(const char *value, cw_station *st, const char **why)
{
    static const char shape[] = "is not a window (write it as HH:MM-HH:MM, e.g. 06:00-22:00, or several "
                                "separated by commas: 06:00-09:00, 16:00-16:15)";
    cw_on_air w[CW_MAX_ON_AIR];
    size_t n = 0;
    const char *p = value;
    *why = shape;
    for (;;) {
        while (*p == ' ' || *p == '\t') p++;
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t')) len--;
        char a[8], b[8];
        const char *dash = memchr(p, '-', len);
        if (!dash || dash - p != 5 || len != 11) return -1;
        memcpy(a, p, 5), a[5] = 0;
        memcpy(b, dash + 1, 5), b[5] = 0;
        int s0, e0;
        if (parse_hhmm(a, &s0) || parse_hhmm(b, &e0) || s0 == 24 * 60) return -1;
        if (e0 == s0) {
            *why = "is empty (a window's end must differ from its start)";
            return -1;
        }
        if (n == CW_MAX_ON_AIR) {
            *why = "has more than 8 windows (merge some)";
            return -1;
        }
        /* "00:00-24:00" is a whole day: end == start, which (like any end <= start) the
         * scheduler reads as "ends on the next day". */
        w[n].start = s0;
        w[n].end = e0 == 24 * 60 ? 0 : e0;
        n++;
        if (!end) break;
        p = end + 1;
    }
    for (size_t i = 0; i + 1 < n; i++) {
        if (w[i].end <= w[i].start) {
            *why = "has a window that crosses midnight before another one (only the day's last window may "
                   "end after midnight)";
            return -1;
        }
        if (w[i + 1].start < w[i].end) {
            *why = w[i + 1].start < w[i].start
                       ? "lists windows out of order (write them in the order of the day, e.g. 06:00-09:00, "
                         "16:00-16:15)"
                       : "has overlapping windows (one window must end before the next starts)";
            return -1;
        }
    }
    if (n > 1 && w[n - 1].end <= w[n - 1].start && w[n - 1].end > w[0].start) {
        *why = "has a last window that runs into the next day's first one (end it earlier)";
        return -1;
    }
    memcpy(st->on_air, w, n * sizeof *w);
    st->n_on_air = n;
    st->on_air_start = w[0].start;
    st->on_air_end = w[0].end;
    return 0;
}

static int handle_station(parse_ctx *c, const char *name, const char *value)
{
    cw_station *st = c->st;
    if (!strcmp(name, "name")) {
        if (!*value || strlen(value) > 120 || !cw_utf8_valid(value, strlen(value)))
            return perr(c, "key 'name' in [station]: give the station's name (1-120 characters of UTF-8 text)");
        c->seen |= SEEN_NAME;
        return set_str(c, &st->name, value);
    }
    if (!strcmp(name, "timezone")) {
        if (!timezone_known(value))
            return perr(c, "key 'timezone' in [station]: '%s' is not an IANA time zone (use a name like Africa/Lagos; see /usr/share/zoneinfo)",
                        value);
        c->seen |= SEEN_TZ;
        return set_str(c, &st->timezone, value);
    }
    if (!strcmp(name, "on_air")) {
        const char *why = NULL;
        if (parse_windows(value, st, &why))
            return perr(c, "key 'on_air' in [station]: '%s' %s", value, why);
        c->seen |= SEEN_ONAIR;
        return 1;
    }
    if (!strcmp(name, "language")) {
        if (!*value || strlen(value) > 35)
            return perr(c, "key 'language' in [station]: give a language code such as 'en' or 'ha'");
        return set_str(c, &st->language, value);
    }
    return perr(c, "unknown key '%s' in [station] (known keys: name, timezone, on_air, language)", name);
}

static int handle_audio(parse_ctx *c, const char *name, const char *value)
{
    cw_station *st = c->st;
    long l;
    double d;
    if (!strcmp(name, "rate")) {
        if (parse_int(value, 8000, 192000, &l))
            return perr(c, "key 'rate' in [audio]: '%s' is not a sample rate (use a whole number of Hz from 8000 to 192000, e.g. 44100)", value);
        st->rate = (int)l;
        c->seen |= SEEN_RATE;
        return 1;
    }
    if (!strcmp(name, "channels")) {
        if (parse_int(value, 1, 8, &l))
            return perr(c, "key 'channels' in [audio]: '%s' is not a channel count (use 1 for mono or 2 for stereo)", value);
        st->channels = (int)l;
        c->seen |= SEEN_CHANNELS;
        return 1;
    }
    struct {
        const char *key;
        double *dst;
        double lo, hi;
        int seen;
        const char *hint;
    } nums[] = {
        {"quality", &st->quality, -1, 10, SEEN_QUALITY, "a Vorbis quality from -1 to 10, e.g. 3"},
        {"loudness", &st->loudness, -40, -5, SEEN_LOUDNESS, "a target in LUFS from -40 to -5, e.g. -23"},
        {"true_peak", &st->true_peak, -12, 0, SEEN_TRUEPEAK, "a ceiling in dBTP from -12 to 0, e.g. -1"},
        {"min_length", &st->min_length, 0, 3600, 0, "seconds from 0 to 3600, e.g. 3"},
        {"max_length", &st->max_length, 1, 86400, 0, "seconds from 1 to 86400, e.g. 14400"},
        {"silence_threshold", &st->silence_threshold, -90, -20, 0, "dBFS from -90 to -20, e.g. -50"},
        {"silence_margin", &st->silence_margin, 0, 5, 0, "seconds from 0 to 5, e.g. 0.25"},
        {"min_pause", &st->min_pause, 0, 60, 0, "seconds from 0 to 60, e.g. 0.5"},
        {"fade", &st->fade, 0, 10, 0, "seconds from 0 to 10, e.g. 0.5"},
    };
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        if (strcmp(name, nums[i].key)) continue;
        if (parse_double(value, nums[i].lo, nums[i].hi, &d))
            return perr(c, "key '%s' in [audio]: '%s' is out of range (use %s)", name, value, nums[i].hint);
        *nums[i].dst = d;
        c->seen |= nums[i].seen;
        return 1;
    }
    return perr(c, "unknown key '%s' in [audio] (known keys: rate, channels, quality, loudness, true_peak, min_length, max_length, silence_threshold, silence_margin, min_pause, fade)",
                name);
}

static int handle_schedule(parse_ctx *c, const char *name, const char *value)
{
    cw_station *st = c->st;
    if (!strcmp(name, "missing")) {
        if (!strcasecmp(value, "filler")) st->missing = CW_MISSING_FILLER;
        else if (!strcasecmp(value, "announcement")) st->missing = CW_MISSING_ANNOUNCEMENT;
        else if (!strcasecmp(value, "silence")) st->missing = CW_MISSING_SILENCE;
        else return perr(c, "key 'missing' in [schedule]: '%s' is not a policy (use filler, announcement or silence)", value);
        return 1;
    }
    if (!strcmp(name, "unavailable")) {
        if (strlen(value) > 100) return perr(c, "key 'unavailable' in [schedule]: give a series key of at most 100 characters");
        return set_str(c, &st->unavailable, value);
    }
    if (!strcmp(name, "overrun")) {
        if (!strcasecmp(value, "cut")) st->overrun = CW_OVERRUN_CUT;
        else if (!strcasecmp(value, "push")) st->overrun = CW_OVERRUN_PUSH;
        else return perr(c, "key 'overrun' in [schedule]: '%s' is not a policy (use cut or push)", value);
        return 1;
    }
    if (!strcmp(name, "newsletters_fill_gaps")) {
        if (parse_bool(value, &st->newsletters_fill_gaps))
            return perr(c, "key 'newsletters_fill_gaps' in [schedule]: '%s' is not yes or no", value);
        return 1;
    }
    if (!strcmp(name, "fillers")) {
        cw_strlist_free(&st->fillers);
        char *copy = cw_strdup(value), *save = NULL;
        if (!copy) return perr(c, "out of memory");
        for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            while (isspace((unsigned char)*tok)) tok++;
            size_t n = strlen(tok);
            while (n && isspace((unsigned char)tok[n - 1])) tok[--n] = 0;
            if (n && cw_strlist_push(&st->fillers, tok)) {
                free(copy);
                return perr(c, "out of memory");
            }
        }
        free(copy);
        return 1;
    }
    if (!strcmp(name, "max_silence")) {
        if (parse_double(value, 0.1, 86400, &st->max_silence))
            return perr(c, "key 'max_silence' in [schedule]: '%s' is out of range (use seconds from 0.1 to 86400, e.g. 10)",
                        value);
        return 1;
    }
    if (!strcmp(name, "missed")) {
        if (!strcasecmp(value, "skip")) st->missed = CW_MISSED_SKIP;
        else if (!strcasecmp(value, "hold")) st->missed = CW_MISSED_HOLD;
        else return perr(c, "key 'missed' in [schedule]: '%s' is not a policy (use skip or hold)", value);
        return 1;
    }
    return perr(c, "unknown key '%s' in [schedule] (known keys: missing, unavailable, overrun, newsletters_fill_gaps, fillers, max_silence, missed)",
                name);
}

/* A byte size: a whole number with an optional K, M, G or T (powers of 1024; "KiB", "MB"
 * and the like are read the same way). */
static int parse_size(const char *v, int64_t lo, int64_t hi, int64_t *out)
{
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || end == v || x < 0) return -1;
    while (*end == ' ') end++;
    int shift = 0;
    switch (toupper((unsigned char)*end)) {
    case 'K': shift = 10; break;
    case 'M': shift = 20; break;
    case 'G': shift = 30; break;
    case 'T': shift = 40; break;
    case 0: break;
    default: return -1;
    }
    if (shift) {
        end++;
        if (*end == 'i' || *end == 'I') end++;
        if (*end == 'B' || *end == 'b') end++;
    } else if (*end == 'B' || *end == 'b') {
        end++;
    }
    if (*end || x > (hi >> shift)) return -1;
    x <<= shift;
    if (x < lo || x > hi) return -1;
    *out = x;
    return 0;
}

static int handle_desk(parse_ctx *c, const char *name, const char *value)
{
    cw_station *st = c->st;
    long l;
    if (!strcmp(name, "listen")) {
        const char *colon = strrchr(value, ':');
        if (!colon || colon == value || parse_int(colon + 1, 1, 65535, &l) || strlen(value) > 100)
            return perr(c, "key 'listen' in [desk]: '%s' is not ADDR:PORT (e.g. 127.0.0.1:8070, or 0.0.0.0:8070 for the whole network)", value);
        return set_str(c, &st->desk_listen, value);
    }
    if (!strcmp(name, "url")) {
        size_t n = strlen(value);
        int ok = n == 0 || ((!strncmp(value, "http://", 7) || !strncmp(value, "https://", 8)) && n <= 150);
        for (const char *p = value; ok && *p; p++)
            if ((unsigned char)*p <= ' ' || *p == '"' || *p == '<' || *p == '>' || *p == '\\' || (unsigned char)*p >= 0x7f) ok = 0;
        if (!ok)
            return perr(c, "key 'url' in [desk]: '%s' is not an http:// or https:// address (e.g. http://192.168.1.10:8070; the base of teachers' links)", value);
        if (!set_str(c, &st->desk_url, value)) return 0;
        n = strlen(st->desk_url);
        while (n && st->desk_url[n - 1] == '/') st->desk_url[--n] = 0;
        return 1;
    }
    if (!strcmp(name, "approve")) {
        if (parse_bool(value, &st->desk_approve))
            return perr(c, "key 'approve' in [desk]: '%s' is not yes or no", value);
        return 1;
    }
    if (!strcmp(name, "max_upload")) {
        if (parse_size(value, 1024, (int64_t)1 << 40, &st->desk_max_upload))
            return perr(c, "key 'max_upload' in [desk]: '%s' is not a size from 1K to 1T (write e.g. 1G or 500M)", value);
        return 1;
    }
    if (!strcmp(name, "login_hours")) {
        if (parse_int(value, 1, 24 * 90, &l))
            return perr(c, "key 'login_hours' in [desk]: '%s' is not a number of hours from 1 to 2160", value);
        st->desk_login_hours = (int)l;
        return 1;
    }
    if (!strcmp(name, "trust_proxy")) {
        if (parse_bool(value, &st->desk_trust_proxy))
            return perr(c, "key 'trust_proxy' in [desk]: '%s' is not yes or no", value);
        return 1;
    }
    return perr(c, "unknown key '%s' in [desk] (known keys: listen, url, approve, max_upload, login_hours, trust_proxy)",
                name);
}

static int handle_air(parse_ctx *c, const char *name, const char *value)
{
    cw_station *st = c->st;
    long l;
    if (!strcmp(name, "outputs")) {
        cw_strlist_free(&st->air_outputs);
        char *copy = cw_strdup(value), *save = NULL;
        if (!copy) return perr(c, "out of memory");
        for (char *tok = strtok_r(copy, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
            if (strncmp(tok, "icecast://", 10) && strncmp(tok, "icy://", 6) && strncmp(tok, "alsa:", 5)) {
                perr(c, "key 'outputs' in [air]: '%s' is not an output (write icecast://USER:PASS@HOST:PORT/MOUNT or alsa:DEVICE)", tok);
                free(copy); /* after the message: tok points into it */
                return 0;
            }
            if (cw_strlist_push(&st->air_outputs, tok)) {
                free(copy);
                return perr(c, "out of memory");
            }
        }
        free(copy);
        return 1;
    }
    if (!strcmp(name, "between")) {
        if (!strcasecmp(value, "silence")) st->air_between_nothing = 0;
        else if (!strcasecmp(value, "nothing")) st->air_between_nothing = 1;
        else return perr(c, "key 'between' in [air]: '%s' is not a choice (use silence or nothing)", value);
        return 1;
    }
    if (!strcmp(name, "emergency")) {
        if (!*value) {
            free(st->air_emergency);
            st->air_emergency = NULL;
            return 1;
        }
        if (!cw_path_is_safe_relative(value))
            return perr(c, "key 'emergency' in [air]: '%s' is not a file inside the station (give a path such as library/filler/station-id/000-id.ogg)", value);
        return set_str(c, &st->air_emergency, value);
    }
    if (!strcmp(name, "build_ahead")) {
        if (parse_bool(value, &st->air_build_ahead))
            return perr(c, "key 'build_ahead' in [air]: '%s' is not yes or no", value);
        return 1;
    }
    if (!strcmp(name, "retry_max")) {
        if (parse_int(value, 1, 3600, &l))
            return perr(c, "key 'retry_max' in [air]: '%s' is out of range (use seconds from 1 to 3600, e.g. 60)", value);
        st->air_retry_max = (int)l;
        return 1;
    }
    return perr(c, "unknown key '%s' in [air] (known keys: outputs, between, emergency, build_ahead, retry_max)", name);
}

static int handle_bundle(parse_ctx *c, const char *name, const char *value)
{
    cw_station *st = c->st;
    if (!strcmp(name, "mode")) {
        if (!strcasecmp(value, "day")) st->bundle_mode = CW_BUNDLE_DAY;
        else if (!strcasecmp(value, "blocks")) st->bundle_mode = CW_BUNDLE_BLOCKS;
        else return perr(c, "key 'mode' in [bundle]: '%s' is not a mode (use day or blocks)", value);
        return 1;
    }
    return perr(c, "unknown key '%s' in [bundle] (known keys: mode)", name);
}

/* A [calendars] value: PRIORITY[, holidays][, from SOURCE] (SOURCE is the rest). */
static int calendar_value(const char *value, long *prio, int *holidays, const char **source)
{
    char num[32];
    size_t n = strcspn(value, ",");
    while (n > 0 && isspace((unsigned char)value[n - 1])) n--;
    if (n == 0 || n >= sizeof num) return -1;
    memcpy(num, value, n);
    num[n] = 0;
    if (parse_int(num, -1000000, 1000000, prio)) return -1;
    *holidays = 0;
    *source = NULL;
    for (const char *p = strchr(value, ','); p; p = strchr(p, ',')) {
        p++;
        while (isspace((unsigned char)*p)) p++;
        size_t tl = strcspn(p, ",");
        while (tl > 0 && isspace((unsigned char)p[tl - 1])) tl--;
        if (tl == 8 && !strncasecmp(p, "holidays", 8)) {
            *holidays = 1;
        } else if (!strncasecmp(p, "from ", 5)) {
            *source = p + 5;
            return 0;
        } else {
            return -1;
        }
    }
    return 0;
}

static int handle_calendars(parse_ctx *c, const char *name, const char *value)
{
    cw_station *st = c->st;
    long prio;
    int holidays;
    const char *source;
    if (!cw_path_is_safe_relative(name) || strchr(name, '/'))
        return perr(c, "[calendars]: '%s' is not a file name inside calendars/ (write just the file name, e.g. ministry.ics = 10)", name);
    if (calendar_value(value, &prio, &holidays, &source))
        return perr(c, "[calendars]: '%s = %s' is not PRIORITY[, holidays][, from SOURCE] (e.g. ministry.ics = 10, or holidays.ics = 0, holidays)", name, value);
    for (size_t i = 0; i < st->n_calendars; i++)
        if (!strcmp(st->calendars[i].file, name))
            return perr(c, "[calendars]: '%s' is listed twice (keep one line per calendar)", name);
    if (st->n_calendars >= CONF_MAX_CALENDARS)
        return perr(c, "[calendars]: more than %d calendars (merge some partner calendars)", CONF_MAX_CALENDARS);
    cw_partner_calendar *v = realloc(st->calendars, (st->n_calendars + 1) * sizeof *v);
    if (!v) return perr(c, "out of memory");
    st->calendars = v;
    cw_partner_calendar *pc = &v[st->n_calendars];
    memset(pc, 0, sizeof *pc);
    pc->file = cw_strdup(name);
    pc->priority = (int)prio;
    pc->line = c->line;
    pc->holidays = holidays;
    pc->source = source && *source ? cw_strdup(source) : NULL;
    st->n_calendars++;
    if (!pc->file || (source && *source && !pc->source)) return perr(c, "out of memory");
    return 1;
}

static int handle_speak(parse_ctx *c, const char *name, const char *value)
{
    char why[600];
    if (cw_speak_settings_key(&c->st->speak, name, value, c->line, why, sizeof why))
        return perr(c, "%s", why);
    return 1;
}

/* A key set twice in one section is an error: a volunteer who adds a second "on_air" at the
 * end of the file must not wonder which one counts. */
static int duplicate_key(parse_ctx *c, const char *section, const char *name)
{
    size_t sl = strlen(section), nl = strlen(name);
    for (size_t i = 0; i < c->keys.n; i++) {
        const char *k = c->keys.v[i];
        if (!strncmp(k, section, sl) && k[sl] == '\n' && !strncmp(k + sl + 1, name, nl) && k[sl + 1 + nl] == '\n')
            return perr(c, "key '%s' in [%s] is set twice (first on line %s; keep one line)", name, section,
                        k + sl + nl + 2) || 1;
    }
    if (cw_strlist_pushf(&c->keys, "%s\n%s\n%d", section, name, c->line)) return perr(c, "out of memory") || 1;
    return 0;
}

static int conf_handler(void *user, const char *section, const char *name, const char *value)
{
    parse_ctx *c = user;
    if (c->failed) return 0;
    if ((!strcmp(section, "station") || !strcmp(section, "audio") || !strcmp(section, "schedule") ||
         !strcmp(section, "bundle") || !strcmp(section, "desk") || !strcmp(section, "air") || !strcmp(section, "speak")) &&
        duplicate_key(c, section, name))
        return 0;
    if (!strcmp(section, "station")) return handle_station(c, name, value);
    if (!strcmp(section, "audio")) return handle_audio(c, name, value);
    if (!strcmp(section, "schedule")) return handle_schedule(c, name, value);
    if (!strcmp(section, "bundle")) return handle_bundle(c, name, value);
    if (!strcmp(section, "calendars")) return handle_calendars(c, name, value);
    if (!strcmp(section, "desk")) return handle_desk(c, name, value);
    if (!strcmp(section, "air")) return handle_air(c, name, value);
    if (!strcmp(section, "speak")) return handle_speak(c, name, value);
    if (!*section) return perr(c, "key '%s' is outside any section (put it under [station], [audio], [schedule], [bundle], [desk], [air], [calendars] or [speak])", name);
    return perr(c, "unknown section [%s] (use [station], [audio], [schedule], [bundle], [desk], [air], [calendars] or [speak])", section);
}

/* Line of the "[name]" header in text (where a missing key belongs), else `fallback` (the
 * last line: the key would be added at the end). */
static int section_line(const char *text, size_t len, const char *name, int fallback)
{
    int line = 1;
    size_t n = strlen(name);
    for (size_t i = 0; i < len; line++) {
        size_t j = i;
        while (j < len && (text[j] == ' ' || text[j] == '\t')) j++;
        if (j + n + 2 <= len && text[j] == '[' && !memcmp(text + j + 1, name, n) && text[j + 1 + n] == ']')
            return line;
        const char *nl = memchr(text + i, '\n', len - i);
        if (!nl) break;
        i = (size_t)(nl - text) + 1;
    }
    return fallback > 0 ? fallback : 1;
}

static void station_defaults(cw_station *st)
{
    st->on_air_start = 6 * 60;
    st->on_air_end = 22 * 60;
    st->rate = 44100;
    st->channels = 1;
    st->quality = 3;
    st->loudness = -23;
    st->true_peak = -1;
    st->min_length = 3;
    st->max_length = 4 * 3600;
    st->silence_threshold = -50;
    st->silence_margin = 0.25;
    st->min_pause = 0.5;
    st->fade = 0.5;
    st->missing = CW_MISSING_FILLER;
    st->overrun = CW_OVERRUN_CUT;
    st->desk_approve = 1;
    st->desk_max_upload = (int64_t)1 << 30;
    st->desk_login_hours = 12;
    st->air_retry_max = 60;
    cw_speak_settings_defaults(&st->speak);
    st->max_silence = 10;
    st->missed = CW_MISSED_SKIP;
    st->bundle_mode = CW_BUNDLE_DAY;
    st->on_air[0] = (cw_on_air){st->on_air_start, st->on_air_end};
    st->n_on_air = 1;
}

int cw_station_parse(cw_station **out, const char *dir, const char *source, const char *text, size_t len,
                     cw_error *err)
{
    *out = NULL;
    if (len > CONF_MAX_BYTES)
        return cw_fail(err, CW_ELIMIT, source, 0, "station settings are larger than %d bytes (this is not a station.conf)",
                       CONF_MAX_BYTES);
    /* Checks inih cannot do: NUL bytes, long lines, non-UTF-8. */
    int line = 1;
    size_t col = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == 0)
            return cw_fail(err, CW_EINVAL, source, line, "line %d contains a NUL byte (save the file as plain UTF-8 text)", line);
        if (text[i] == '\n') {
            line++;
            col = 0;
        } else if (++col > CONF_MAX_LINE) {
            return cw_fail(err, CW_EINVAL, source, line, "line %d is longer than %d characters (shorten it)", line,
                           CONF_MAX_LINE);
        }
    }
    if (!cw_utf8_valid(text, len))
        return cw_fail(err, CW_EINVAL, source, 0, "the file is not valid UTF-8 (save it as UTF-8 text)");
    /* A section header must be closed on its line: inih would report it only after the keys
     * that follow it, blaming the wrong line. */
    line = 1;
    for (size_t i = 0; i < len; line++) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - text) : len, j = i;
        while (j < end && (text[j] == ' ' || text[j] == '\t')) j++;
        if (j < end && text[j] == '[' && !memchr(text + j, ']', end - j))
            return cw_fail(err, CW_EINVAL, source, line,
                           "line %d starts a section but has no closing ']' (write it like [station])", line);
        i = end + 1;
    }

    cw_station *st = calloc(1, sizeof *st);
    if (!st) return cw_fail(err, CW_ENOMEM, source, 0, "out of memory");
    station_defaults(st);
    st->dir = cw_strdup(dir ? dir : ".");
    st->conf_path = cw_path_join(st->dir, "station.conf");
    st->language = cw_strdup("en");
    st->desk_listen = cw_strdup("127.0.0.1:8070");
    st->desk_url = cw_strdup("");
    if (!st->dir || !st->conf_path || !st->language || !st->desk_listen || !st->desk_url) {
        cw_station_free(st);
        return cw_fail(err, CW_ENOMEM, source, 0, "out of memory");
    }
    parse_ctx c = {.st = st, .source = source, .text = text, .end = text + len, .pos = text, .err = err};
    int r = ini_parse_stream(mem_reader, &c, conf_handler, &c);
    cw_strlist_free(&c.keys);
    if (c.failed) {
        cw_station_free(st);
        return c.rc;
    }
    if (r != 0) {
        cw_station_free(st);
        return cw_fail(err, CW_EINVAL, source, r > 0 ? r : 0,
                       "line %d is not 'key = value' or a [section] (fix or comment it out with ';')", r);
    }
    static const struct {
        int bit;
        const char *section, *key, *example;
    } req[] = {
        {SEEN_NAME, "station", "name", "name = Radio Example"},
        {SEEN_TZ, "station", "timezone", "timezone = Africa/Lagos"},
        {SEEN_ONAIR, "station", "on_air", "on_air = 06:00-22:00"},
        {SEEN_RATE, "audio", "rate", "rate = 44100"},
        {SEEN_CHANNELS, "audio", "channels", "channels = 1"},
        {SEEN_QUALITY, "audio", "quality", "quality = 3"},
        {SEEN_LOUDNESS, "audio", "loudness", "loudness = -23"},
        {SEEN_TRUEPEAK, "audio", "true_peak", "true_peak = -1"},
    };
    for (size_t i = 0; i < sizeof req / sizeof req[0]; i++) {
        if (c.seen & req[i].bit) continue;
        cw_station_free(st);
        return cw_fail(err, CW_EINVAL, source, section_line(text, len, req[i].section, c.line),
                       "missing key '%s' in [%s] (add a line such as '%s')",
                       req[i].key, req[i].section, req[i].example);
    }
    if (st->min_length >= st->max_length) {
        cw_station_free(st);
        return cw_fail(err, CW_EINVAL, source, 0, "key 'min_length' in [audio] must be below max_length");
    }
    *out = st;
    return CW_OK;
}

int cw_station_load(cw_station **out, const char *dir, cw_error *err)
{
    *out = NULL;
    char abs[PATH_MAX];
    if (!realpath(dir, abs))
        return cw_fail(err, CW_ENOTFOUND, dir, 0,
                       "station folder '%s' does not exist (create one with 'chalkwave init DIR' or pass --station DIR)", dir);
    char *path = cw_path_join(abs, "station.conf");
    if (!path) return cw_fail(err, CW_ENOMEM, dir, 0, "out of memory");
    char *text;
    size_t len;
    int rc = cw_read_file(path, CONF_MAX_BYTES, &text, &len, err);
    if (rc == CW_ENOTFOUND) {
        rc = cw_fail(err, CW_ENOTFOUND, path, 0,
                     "no station.conf in '%s' (create a station with 'chalkwave init DIR', or pass --station DIR or set CHALKWAVE_STATION)",
                     abs);
    }
    if (rc) {
        free(path);
        return rc;
    }
    rc = cw_station_parse(out, abs, path, text, len, err);
    free(text);
    free(path);
    return rc;
}

void cw_station_free(cw_station *st)
{
    if (!st) return;
    free(st->dir);
    free(st->conf_path);
    free(st->name);
    free(st->timezone);
    free(st->language);
    free(st->unavailable);
    free(st->desk_listen);
    free(st->desk_url);
    cw_strlist_free(&st->fillers);
    cw_strlist_free(&st->air_outputs);
    free(st->air_emergency);
    cw_speak_settings_clear(&st->speak);
    for (size_t i = 0; i < st->n_calendars; i++) {
        free(st->calendars[i].file);
        free(st->calendars[i].source);
    }
    free(st->calendars);
    free(st);
}

int cw_station_calendar_priority(const cw_station *st, const char *file)
{
    for (size_t i = 0; i < st->n_calendars; i++)
        if (!strcmp(st->calendars[i].file, file)) return st->calendars[i].priority;
    return 0;
}

int cw_station_timezone_known(const char *tz) { return tz && timezone_known(tz); }

/* ---- [calendars] editor ------------------------------------------------------------ */

/* Key of a "key = value" line, trimmed, or NULL for comments, blanks and sections. */
static int line_key(const char *line, size_t n, char *key, size_t keysz)
{
    size_t i = 0;
    while (i < n && isspace((unsigned char)line[i])) i++;
    if (i == n || line[i] == ';' || line[i] == '#' || line[i] == '[') return 0;
    size_t start = i;
    while (i < n && line[i] != '=' && line[i] != ':') i++;
    if (i == n) return 0;
    size_t end = i;
    while (end > start && isspace((unsigned char)line[end - 1])) end--;
    if (end - start >= keysz) return 0;
    memcpy(key, line + start, end - start);
    key[end - start] = 0;
    return 1;
}

static int line_section(const char *line, size_t n, char *sec, size_t secsz)
{
    size_t i = 0;
    while (i < n && isspace((unsigned char)line[i])) i++;
    if (i == n || line[i] != '[') return 0;
    const char *close = memchr(line + i, ']', n - i);
    if (!close) return 0;
    size_t len = (size_t)(close - line - i - 1);
    if (len >= secsz) len = secsz - 1;
    memcpy(sec, line + i + 1, len);
    sec[len] = 0;
    return 1;
}

int cw_station_calendar_name_valid(const char *file)
{
    /* The name becomes an INI key: no '=' or ':' (inih's delimiters), no ';', no '[', no
     * leading '#' (a comment) and no leading or trailing blank (a leading blank would make
     * the line a continuation of the one before it). */
    if (!file || !cw_path_is_safe_relative(file)) return 0;
    size_t flen = strlen(file);
    return !strchr(file, '/') && !strchr(file, '=') && !strchr(file, ':') && !strchr(file, ';') &&
           !strchr(file, '[') && flen <= 120 && file[0] != '#' && !isspace((unsigned char)file[0]) &&
           !isspace((unsigned char)file[flen - 1]);
}

const cw_partner_calendar *cw_station_calendar(const cw_station *st, const char *file)
{
    for (size_t i = 0; i < st->n_calendars; i++)
        if (!strcmp(st->calendars[i].file, file)) return &st->calendars[i];
    return NULL;
}

/* Rewrite [calendars] with FILE's line replaced by `line` (NULL: removed), keeping every other
 * line and comment; re-parse before writing so a bad edit never reaches the disk, then adopt
 * the new calendar list. *found says whether FILE had a line. */
static int edit_calendars(cw_station *st, const char *file, const char *line, int *found, cw_error *err)
{
    char *text;
    size_t len;
    int rc = cw_read_file(st->conf_path, CONF_MAX_BYTES, &text, &len, err);
    if (rc) return rc;
    cw_buf out;
    cw_buf_init(&out);
    char section[64] = "";
    int in_cal = 0, done = line == NULL, have_section = 0;
    *found = 0;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        char key[256];
        if (line_section(p, n, section, sizeof section)) {
            if (in_cal && !done) {
                cw_buf_printf(&out, "%s\n", line);
                done = 1;
            }
            in_cal = !strcmp(section, "calendars");
            have_section |= in_cal;
            cw_buf_append(&out, p, n);
            cw_buf_puts(&out, "\n");
        } else if (in_cal && line_key(p, n, key, sizeof key) && !strcmp(key, file)) {
            if (!done) cw_buf_printf(&out, "%s\n", line);
            done = 1;
            *found = 1;
        } else {
            cw_buf_append(&out, p, n);
            if (nl) cw_buf_puts(&out, "\n");
        }
        p = nl ? nl + 1 : end;
    }
    if (!done) {
        /* Either we are still inside [calendars] at the end of the file, or there is none:
         * leaving [calendars] for another section already inserted the line above. */
        if (out.len && out.data[out.len - 1] != '\n') cw_buf_puts(&out, "\n");
        if (!have_section) cw_buf_puts(&out, "\n[calendars]\n");
        cw_buf_printf(&out, "%s\n", line);
    }
    free(text);
    if (out.oom) {
        cw_buf_free(&out);
        return cw_fail(err, CW_ENOMEM, st->conf_path, 0, "out of memory");
    }
    cw_station *check;
    rc = cw_station_parse(&check, st->dir, st->conf_path, out.data ? out.data : "", out.len, err);
    if (rc == CW_OK) {
        rc = cw_write_file_atomic(st->conf_path, out.data, out.len, err);
        if (rc == CW_OK) {
            cw_partner_calendar *old = st->calendars;
            size_t n_old = st->n_calendars;
            st->calendars = check->calendars;
            st->n_calendars = check->n_calendars;
            check->calendars = old;
            check->n_calendars = n_old;
        }
        cw_station_free(check);
    }
    cw_buf_free(&out);
    return rc;
}

int cw_station_put_calendar(cw_station *st, const cw_partner_calendar *c, cw_error *err)
{
    if (!cw_station_calendar_name_valid(c->file))
        return cw_fail(err, CW_EINVAL, c->file, 0,
                       "'%s' cannot be a calendar name (rename the file to letters, digits, '-', '_' and '.ics')", c->file);
    cw_buf line;
    cw_buf_init(&line);
    cw_buf_printf(&line, "%s = %d", c->file, c->priority);
    if (c->holidays) cw_buf_puts(&line, ", holidays");
    if (c->source && *c->source) {
        cw_buf_puts(&line, ", from ");
        /* one line, no inline comment (" ;"), no other value separators */
        for (const char *q = c->source; *q; q++)
            cw_buf_append(&line, (*q == ';' || *q == '#' || *q == '\n' || *q == '\r') ? "_" : q, 1);
    }
    if (line.oom) {
        cw_buf_free(&line);
        return cw_fail(err, CW_ENOMEM, st->conf_path, 0, "out of memory");
    }
    int found;
    int rc = edit_calendars(st, c->file, line.data, &found, err);
    cw_buf_free(&line);
    return rc;
}

int cw_station_remove_calendar(cw_station *st, const char *file, cw_error *err)
{
    if (!cw_station_calendar(st, file))
        return cw_fail(err, CW_ENOTFOUND, st->conf_path, 0, "no calendar '%s' in [calendars]", file);
    int found;
    return edit_calendars(st, file, NULL, &found, err);
}

int cw_station_set_calendar(cw_station *st, const char *file, int priority, cw_error *err)
{
    const cw_partner_calendar *old = cw_station_calendar(st, file);
    cw_partner_calendar c = {(char *)file, priority, 0, old ? old->holidays : 0, old ? old->source : NULL};
    char *keep = c.source ? cw_strdup(c.source) : NULL; /* `old` goes with the list */
    c.source = keep;
    int rc = cw_station_put_calendar(st, &c, err);
    free(keep);
    return rc;
}
