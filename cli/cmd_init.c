/* cmd_init.c — `chalkwave init DIR [--timezone ZONE]`: create a station folder with
 * commented default settings in the station's time zone — the one given, else the
 * machine's ($TZ, /etc/timezone, the /etc/localtime link), asked for on a terminal when the
 * machine says only UTC. Guarantees: an existing station is never touched; an unknown zone
 * creates nothing; exit codes as documented in --help. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Ask on the terminal; "" keeps `dflt`. Returns a malloc'd zone the system knows, or NULL
 * after three wrong answers or the end of input. */
static char *ask_zone(const char *dflt)
{
    for (int tries = 0; tries < 3; tries++) {
        fprintf(stderr, "Time zone of the station, an IANA name such as Africa/Nairobi [%s]: ", dflt);
        fflush(stderr);
        char line[256];
        if (!fgets(line, sizeof line, stdin)) return NULL;
        size_t n = strcspn(line, "\r\n");
        line[n] = 0;
        char *a = line;
        while (*a == ' ' || *a == '\t') a++;
        n = strlen(a);
        while (n && (a[n - 1] == ' ' || a[n - 1] == '\t')) a[--n] = 0;
        if (!*a) return cw_strdup(dflt);
        if (cw_station_timezone_known(a)) return cw_strdup(a);
        fprintf(stderr, "chalkwave: init: '%s' is not a time zone this machine knows (see /usr/share/zoneinfo)\n", a);
    }
    return NULL;
}

int cmd_init(cw_cli *cli, int argc, char **argv)
{
    const char *zone = NULL;
    const cw_opt opts[] = {
        {"timezone", 't', CW_OPT_STRING, &zone, "ZONE",
         "the station's IANA time zone (default: the machine's; asked on a terminal when it is UTC)"},
        {0},
    };
    const char **pos;
    int npos, rc;
    if (cw_cli_opts(cli, "init", argc, argv, &pos, &npos, &rc, "chalkwave init DIR [--timezone ZONE]",
                    "Create a station folder: station.conf with commented defaults, and the folders\n"
                    "calendars/, library/, inbox/ (accepted/, rejected/) and out/. The station's time\n"
                    "zone is --timezone, else the machine's ($TZ, /etc/timezone, the /etc/localtime\n"
                    "link); on a terminal chalkwave asks when the machine says only UTC.",
                    opts))
        return rc;
    if (npos != 1)
        return cw_cli_usagef("init", "give exactly one folder (e.g. 'chalkwave init /srv/radio')");
    const char *from = "--timezone";
    char *tz = NULL;
    if (zone) {
        if (!cw_station_timezone_known(zone))
            return cw_cli_usagef("init", "--timezone '%s' is not an IANA time zone (use a name like Africa/Nairobi; "
                                 "see /usr/share/zoneinfo)", zone);
        tz = cw_strdup(zone);
    } else {
        tz = cw_station_machine_timezone("/etc", &from);
        int only_utc = !tz || !strcmp(tz, "UTC") || !strcmp(tz, "Etc/UTC") || !strcmp(tz, "Etc/Universal");
        if (only_utc && isatty(STDIN_FILENO)) {
            char *asked = ask_zone(tz ? tz : "UTC");
            free(tz);
            if (!asked) {
                cw_cli_errorf("init", "no time zone given (run 'chalkwave init DIR --timezone ZONE')");
                return CW_EXIT_USAGE;
            }
            tz = asked;
            from = "your answer";
        } else if (!tz) {
            tz = cw_strdup("UTC");
            from = NULL;
        }
    }
    if (!tz) {
        cw_cli_errorf("init", "out of memory");
        return CW_EXIT_ENV;
    }
    cw_error err = {0};
    rc = cw_station_init_tz(pos[0], tz, &err);
    if (rc) {
        free(tz);
        return cw_cli_report("init", rc, &err);
    }
    printf("created station in '%s'\n", pos[0]);
    if (from)
        printf("time zone: %s (from %s; change it in station.conf)\n", tz, from);
    else
        printf("time zone: UTC (the machine names none; set timezone in %s/station.conf)\n", pos[0]);
    printf("next: edit %s/station.conf, then 'chalkwave --station %s calendar import FILE.ics'\n", pos[0], pos[0]);
    free(tz);
    return 0;
}
