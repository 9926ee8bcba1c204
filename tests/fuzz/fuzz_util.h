/* fuzz_util.h — helpers shared by the fuzz targets: hand bytes to APIs that take a path
 * (through an anonymous memory file, so fuzzing never touches the disk).
 * Guarantees: every helper cleans up after itself; nothing here prints. */
#ifndef CW_FUZZ_UTIL_H
#define CW_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* A memory-backed file holding `data`, reachable by the path written to `path`.
 * Returns the fd (close it when done) or -1. */
static inline int fuzz_memfile(const void *data, size_t size, char path[64])
{
    int fd = memfd_create("cw-fuzz", MFD_CLOEXEC);
    if (fd < 0) return -1;
    const unsigned char *p = data;
    size_t done = 0;
    while (done < size) {
        ssize_t w = write(fd, p + done, size - done);
        if (w <= 0) {
            close(fd);
            return -1;
        }
        done += (size_t)w;
    }
    snprintf(path, 64, "/proc/self/fd/%d", fd);
    return fd;
}

#endif
