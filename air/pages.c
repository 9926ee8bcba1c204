/* pages.c — Ogg pages of a day file read one at a time with pread (no stdio buffering, so
 * several outputs and a rebuilt bundle never disturb each other), checked with libogg's
 * checksum, and re-serialised when a link must get a new serial number.
 * Guarantees: a page is handed on only when its checksum is right; a short or malformed
 * page is CW_EINVAL naming the byte offset. */
#include "air_int.h"

#include <errno.h>
#include <ogg/ogg.h>
#include <string.h>
#include <unistd.h>

static int read_full(int fd, int64_t pos, unsigned char *buf, size_t n, size_t *got)
{
    *got = 0;
    while (*got < n) {
        ssize_t r = pread(fd, buf + *got, n - *got, (off_t)(pos + (int64_t)*got));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0)
            break;
        *got += (size_t)r;
    }
    return 0;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int header(int fd, int64_t pos, air_page *pg, size_t *body, cw_error *err)
{
    size_t got;
    if (read_full(fd, pos, pg->data, 27, &got) != 0)
        return cw_fail(err, CW_EIO, "", 0, "cannot read at byte %lld: %s", (long long)pos, strerror(errno));
    if (got == 0)
        return 1;
    if (got < 27 || memcmp(pg->data, "OggS", 4) != 0 || pg->data[4] != 0)
        return cw_fail(err, CW_EINVAL, "", 0, "no Ogg page at byte %lld (the file is damaged)", (long long)pos);
    size_t nseg = pg->data[26];
    if (read_full(fd, pos + 27, pg->data + 27, nseg, &got) != 0 || got < nseg)
        return cw_fail(err, CW_EINVAL, "", 0, "the Ogg page at byte %lld is cut short (the file is damaged)",
                       (long long)pos);
    size_t b = 0;
    for (size_t i = 0; i < nseg; i++)
        b += pg->data[27 + i];
    uint64_t g = (uint64_t)le32(pg->data + 6) | (uint64_t)le32(pg->data + 10) << 32;
    pg->granule = (int64_t)g;
    pg->serial = le32(pg->data + 14);
    pg->bos = (pg->data[5] & 2) != 0;
    pg->eos = (pg->data[5] & 4) != 0;
    pg->len = 27 + nseg + b;
    *body = b;
    return 0;
}

int air_page_peek(int fd, int64_t pos, air_page *pg, cw_error *err)
{
    size_t body;
    return header(fd, pos, pg, &body, err);
}

int air_page_read(int fd, int64_t pos, air_page *pg, cw_error *err)
{
    size_t body, got;
    int rc = header(fd, pos, pg, &body, err);
    if (rc)
        return rc;
    size_t hl = pg->len - body;
    if (read_full(fd, pos + (int64_t)hl, pg->data + hl, body, &got) != 0 || got < body)
        return cw_fail(err, CW_EINVAL, "", 0, "the Ogg page at byte %lld is cut short (the file is damaged)",
                       (long long)pos);
    unsigned char crc[4];
    memcpy(crc, pg->data + 22, 4);
    ogg_page op = {pg->data, (long)hl, pg->data + hl, (long)body};
    ogg_page_checksum_set(&op);
    if (memcmp(crc, pg->data + 22, 4) != 0)
        return cw_fail(err, CW_EINVAL, "", 0, "the Ogg page at byte %lld fails its checksum (the file is damaged)",
                       (long long)pos);
    return 0;
}

void air_page_set(air_page *pg, uint32_t serial, int eos)
{
    pg->data[14] = (unsigned char)serial;
    pg->data[15] = (unsigned char)(serial >> 8);
    pg->data[16] = (unsigned char)(serial >> 16);
    pg->data[17] = (unsigned char)(serial >> 24);
    if (eos)
        pg->data[5] |= 4;
    else
        pg->data[5] &= (unsigned char)~4;
    pg->serial = serial;
    pg->eos = eos;
    size_t nseg = pg->data[26], hl = 27 + nseg;
    ogg_page op = {pg->data, (long)hl, pg->data + hl, (long)(pg->len - hl)};
    ogg_page_checksum_set(&op);
}

int air_page_parse(const unsigned char *p, size_t n, air_page *pg)
{
    if (n < 27 || memcmp(p, "OggS", 4) != 0)
        return -1;
    size_t nseg = p[26];
    if (n < 27 + nseg)
        return -1;
    size_t b = 0;
    for (size_t i = 0; i < nseg; i++)
        b += p[27 + i];
    if (n < 27 + nseg + b)
        return -1;
    pg->len = 27 + nseg + b;
    memcpy(pg->data, p, pg->len);
    uint64_t g = (uint64_t)le32(p + 6) | (uint64_t)le32(p + 10) << 32;
    pg->granule = (int64_t)g;
    pg->serial = le32(p + 14);
    pg->bos = (p[5] & 2) != 0;
    pg->eos = (p[5] & 4) != 0;
    return 0;
}

void air_page_set_granule(air_page *pg, int64_t granule)
{
    uint64_t g = (uint64_t)granule;
    for (int i = 0; i < 8; i++)
        pg->data[6 + i] = (unsigned char)(g >> (8 * i));
    pg->granule = granule;
    size_t nseg = pg->data[26], hl = 27 + nseg;
    ogg_page op = {pg->data, (long)hl, pg->data + hl, (long)(pg->len - hl)};
    ogg_page_checksum_set(&op);
}

uint32_t air_page_seq(const air_page *pg)
{
    return le32(pg->data + 18);
}

void air_page_empty_eos(air_page *pg, uint32_t serial, uint32_t seq, int64_t granule)
{
    memset(pg->data, 0, 27);
    memcpy(pg->data, "OggS", 4);
    pg->data[5] = 4;
    uint64_t g = (uint64_t)granule;
    for (int i = 0; i < 8; i++)
        pg->data[6 + i] = (unsigned char)(g >> (8 * i));
    for (int i = 0; i < 4; i++) {
        pg->data[14 + i] = (unsigned char)(serial >> (8 * i));
        pg->data[18 + i] = (unsigned char)(seq >> (8 * i));
    }
    pg->data[26] = 0;
    pg->len = 27;
    pg->granule = granule;
    pg->serial = serial;
    pg->bos = 0;
    pg->eos = 1;
    ogg_page op = {pg->data, 27, pg->data + 27, 0};
    ogg_page_checksum_set(&op);
}
