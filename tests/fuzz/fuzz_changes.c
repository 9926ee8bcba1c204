/* fuzz_changes.c — libFuzzer target for calendars/station.ics (cw_station_changes_parse):
 * any bytes give either a list of changes or one error naming the source, never a crash,
 * leak or hang. A list that parses is written back and read again: same list, same bytes. */
#include "scheduler.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cw_station_changes ch;
    cw_error err;
    memset(&err, 0, sizeof err);
    if (cw_station_changes_parse(&ch, (const char *)data, size, "station.ics", &err) != CW_OK) {
        if (ch.n || !err.text[0] || strcmp(err.source, "station.ics") != 0) abort();
        return 0;
    }
    cw_buf a, b;
    cw_buf_init(&a);
    cw_buf_init(&b);
    if (cw_station_changes_to_ics(&ch, "Africa/Nairobi", &a) != CW_OK) abort();
    cw_station_changes back;
    if (cw_station_changes_parse(&back, a.data, a.len, "station.ics", &err) != CW_OK) {
        fprintf(stderr, "station.ics written by chalkwave does not read back: %s\n", err.text);
        abort();
    }
    if (back.n != ch.n || cw_station_changes_to_ics(&back, "Africa/Nairobi", &b) != CW_OK || a.len != b.len ||
        memcmp(a.data, b.data, a.len) != 0) {
        fprintf(stderr, "station.ics round trip differs\n");
        abort();
    }
    for (size_t i = 0; i < ch.n; i++)
        if (!ch.v[i].id || !ch.v[i].id[0] || ch.v[i].action < CW_CHANGE_HOLD || ch.v[i].action > CW_CHANGE_CANCEL) abort();
    cw_station_changes_free(&back);
    cw_station_changes_free(&ch);
    cw_buf_free(&a);
    cw_buf_free(&b);
    return 0;
}
