/* cmd_calendar.h — what the two files of `chalkwave calendar` share (cli-internal). */
#ifndef CW_CMD_CALENDAR_H
#define CW_CMD_CALENDAR_H

#include <stdio.h>

#include "cli.h"

/* Each diagnostic as `FILE:LINE: error|warning: TEXT` (the format of `calendar check`). */
void cal_cli_print_diags(FILE *fp, const cw_diags *d);
/* The station's zone when a station folder is found (option, environment or cwd); NULL
 * when there is none. Returns an exit code when one was asked for and cannot be loaded. */
int cal_cli_station_zone(cw_cli *cli, const char *cmd, const char **zone);

int cal_import(cw_cli *cli, int argc, char **argv);
int cal_list(cw_cli *cli, int argc, char **argv);
int cal_remove(cw_cli *cli, int argc, char **argv);

#endif
