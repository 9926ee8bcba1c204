/* fuzz_ical.c — libFuzzer target for partner calendars (cw_calset_add_data + expansion +
 * series positions): any bytes give a loaded file or diagnostics, never a crash, leak or
 * hang. Checks the promises: a refused file has at least one error diagnostic; every
 * occurrence lies in the window and the list is sorted; the skipped events' occurrences (and
 * the set's information) are computed as boundedly as the others. */
#include "calendars.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cw_calset *set = cw_calset_new("Europe/Paris");
    if (!set) abort();
    cw_diags d;
    memset(&d, 0, sizeof d);
    cw_error err;
    memset(&err, 0, sizeof err);
    int rc = cw_calset_add_data(set, (const char *)data, size, "fuzz.ics", 0, &d, &err);
    if (rc == CW_EINVAL && d.errors == 0) abort();
    if (rc == 0) {
        /* 2026-03-01 .. 2026-04-01 and a DST week in the autumn */
        int64_t wins[2][2] = {{1772323200, 1775001600}, {1792800000, 1793404800}};
        for (int w = 0; w < 2; w++) {
            cw_occurrences o;
            if (cw_calset_expand(set, wins[w][0], wins[w][1], w, &o, &err) == 0) {
                for (size_t i = 0; i < o.n; i++) {
                    if (o.v[i].start >= wins[w][1]) abort();
                    if (i && o.v[i - 1].start > o.v[i].start) abort();
                    long pos;
                    if (i < 8) (void)cw_calset_series_position(set, &o.v[i], &pos, &err);
                }
                cw_occurrences_free(&o);
            }
            if (cw_calset_expand_skipped(set, wins[w][0], wins[w][1], &o, &err) == 0) {
                for (size_t i = 0; i < o.n; i++)
                    if (o.v[i].start >= wins[w][1] || !o.v[i].skipped) abort();
                cw_occurrences_free(&o);
            }
        }
        cw_cal_file_info info;
        if (cw_calset_file_info(set, 0, &info) != 0) abort();
        for (size_t i = 0; i < cw_calset_n_skipped(set); i++)
            if (!cw_calset_skipped(set, i)) abort();
        (void)cw_calset_check_series_keys(set, 0, &d);
    }
    cw_diags_free(&d);
    cw_calset_free(set);
    return 0;
}
