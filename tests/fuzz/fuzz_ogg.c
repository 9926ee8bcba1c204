/* fuzz_ogg.c — libFuzzer target for the Ogg page reader: `verify`'s structure check
 * (cw_ogg_check) and the library's header reader (cw_recording_read) on arbitrary bytes.
 * Any input gives success or one error, never a crash, leak or hang; the structure check's
 * promises (links >= 1 and samples >= 0 on success) are asserted. */
#include "audio.h"
#include "fuzz_util.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_memfile(data, size, path);
    if (fd < 0) return 0;
    cw_error err;
    memset(&err, 0, sizeof err);
    int links = -1;
    int64_t samples = -1;
    int rc = cw_ogg_check(path, &links, &samples, &err);
    if (rc == CW_OK && (links < 1 || samples < 0)) abort();
    if (rc != CW_OK && !err.text[0]) abort();

    cw_recording rec;
    memset(&rec, 0, sizeof rec);
    memset(&err, 0, sizeof err);
    rc = cw_recording_read(&rec, path, &err);
    if (rc == CW_OK) {
        if (rec.length_samples < 0 || rec.channels < 1 || rec.rate < 1) abort();
    } else if (!err.text[0]) {
        abort();
    }
    cw_recording_clear(&rec);
    close(fd);
    return 0;
}
