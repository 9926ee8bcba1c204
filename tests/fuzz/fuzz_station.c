/* fuzz_station.c — libFuzzer target for station.conf (cw_station_parse): any bytes give
 * either a station or one error naming the source, never a crash, leak or hang.
 * Also checks the parser's promises: on error *out is NULL and the text is non-empty. */
#include "station.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cw_station *st = (cw_station *)1;
    cw_error err;
    memset(&err, 0, sizeof err);
    int rc = cw_station_parse(&st, "/nonexistent-station", "station.conf", (const char *)data, size, &err);
    if (rc != CW_OK) {
        if (st != NULL || !err.text[0] || strcmp(err.source, "station.conf") != 0) abort();
        return 0;
    }
    /* a parsed station must satisfy the documented ranges */
    if (!st || !st->name || !st->timezone || st->rate < 8000 || st->rate > 192000 || st->channels < 1 ||
        st->channels > 8 || st->on_air_start < 0 || st->on_air_start >= 24 * 60 || st->on_air_end < 0 ||
        st->on_air_end >= 24 * 60 || (st->on_air_start == st->on_air_end && st->on_air_start != 0) ||
        st->min_length >= st->max_length) /* start == end only for 00:00-24:00, round the clock */
        abort();
    for (size_t i = 0; i < st->n_calendars; i++) {
        if (!cw_path_is_safe_relative(st->calendars[i].file) || strchr(st->calendars[i].file, '/')) abort();
        (void)cw_station_calendar_priority(st, st->calendars[i].file);
    }
    cw_station_free(st);
    return 0;
}
