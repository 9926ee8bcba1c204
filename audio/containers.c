/* containers.c — what chalkwave reads of containers itself, beside FFmpeg: the top-level
 * boxes of MP4-family files (is the index 'moov' there, which tracks are not sound), whether
 * an Ogg file ends its stream, and whether a file holds as many bytes as its container
 * says (ASF/WMA, Matroska/WebM, CAF, MP4) or ends in the middle of a frame (ADTS AAC, AMR):
 * the damage FFmpeg's demuxers pass over in silence.
 * Guarantees: reads with pread only, a bounded number of bytes per structure (frame walks
 * read in 64 KB blocks); never trusts a size field to allocate; undecidable means "not
 * cut" (a length a container leaves open is not damage). */
#include "audio_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int pread_all(int fd, int64_t off, unsigned char *b, size_t n)
{
    ssize_t got;
    while ((got = pread(fd, b, n, (off_t)off)) < 0 && errno == EINTR) {
    }
    return got == (ssize_t)n ? 0 : -1;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* One ISO box header at off: its type and whole size (0 when it does not fit in `end`). */
int64_t cw_audio_mp4_box(int fd, int64_t off, int64_t end, char type[4], int64_t *hdr)
{
    unsigned char h[16];
    if (off + 8 > end || pread_all(fd, off, h, 8))
        return 0;
    int64_t len = be32(h);
    *hdr = 8;
    if (len == 1) {
        if (off + 16 > end || pread_all(fd, off + 8, h + 8, 8))
            return 0;
        len = (int64_t)((uint64_t)be32(h + 8) << 32 | be32(h + 12));
        *hdr = 16;
    } else if (len == 0) {
        len = end - off; /* to the end */
    }
    memcpy(type, h + 4, 4);
    return len >= *hdr && len <= end - off ? len : 0;
}

/* ---- MP4 family: the index ('moov') and its tracks ------------------------------------- */

void cw_audio_mp4_scan(int fd, int64_t size, cw_audio_mp4_top *t)
{
    memset(t, 0, sizeof *t);
    int64_t off = 0;
    for (int k = 0; k < 4096 && off < size; k++) {
        char type[4];
        unsigned char raw[8];
        if (off + 8 <= size && pread_all(fd, off, raw, 8) == 0 && be32(raw) == 0) {
            /* a box "to the end of the file" (an mdat written last, its size never set) */
            t->has_mdat |= !memcmp(raw + 4, "mdat", 4);
            break;
        }
        int64_t hdr, len = cw_audio_mp4_box(fd, off, INT64_MAX, type, &hdr);
        if (len == 0) {
            unsigned char h[8];
            if (k > 0 && off + 8 <= size && pread_all(fd, off, h, 8) == 0)
                t->cut = 1;
            break;
        }
        if (k == 0)
            t->is_mp4 = !memcmp(type, "ftyp", 4) || !memcmp(type, "moov", 4) ||
                        !memcmp(type, "mdat", 4) || !memcmp(type, "wide", 4) ||
                        !memcmp(type, "free", 4) || !memcmp(type, "skip", 4);
        if (!t->is_mp4)
            return;
        if (!memcmp(type, "moov", 4) && off + len <= size) {
            t->has_moov = 1;
            t->moov = off;
            t->moov_len = len;
        }
        t->has_mdat |= !memcmp(type, "mdat", 4);
        t->has_moof |= !memcmp(type, "moof", 4);
        if (off + len > size)
            t->cut = 1;
        off += len;
    }
}

/* The handler type of a 'trak' box ("soun", "vide", ...) into h; 0 when found. */
int cw_audio_mp4_handler(int fd, int64_t trak, int64_t trak_len, int64_t trak_hdr, char h[4])
{
    int64_t off = trak + trak_hdr, end = trak + trak_len;
    while (off < end) {
        char type[4];
        int64_t hdr, len = cw_audio_mp4_box(fd, off, end, type, &hdr);
        if (!len)
            return -1;
        if (!memcmp(type, "mdia", 4)) {
            int64_t o2 = off + hdr, e2 = off + len;
            while (o2 < e2) {
                int64_t hdr2, len2 = cw_audio_mp4_box(fd, o2, e2, type, &hdr2);
                if (!len2)
                    return -1;
                if (!memcmp(type, "hdlr", 4)) {
                    unsigned char b[12];
                    if (len2 < hdr2 + 12 || pread_all(fd, o2 + hdr2, b, 12))
                        return -1;
                    memcpy(h, b + 8, 4); /* version/flags, pre_defined, handler_type */
                    return 0;
                }
                o2 += len2;
            }
            return -1;
        }
        off += len;
    }
    return -1;
}

/* Every track that is not sound (video, hint, text, timecode) is shown to libavformat as
 * a 'free' box: it is never indexed, so a long video costs no more memory than its sound.
 * Only when the file also has a sound track; otherwise the tracks stay (for the message
 * "this video has no sound"). */
int cw_audio_mp4_other_tracks(int fd, const cw_audio_mp4_top *t, int64_t *offsets, int max,
                              int *nvideo, int all)
{
    int64_t off = t->moov + 8, end = t->moov + t->moov_len;
    int nother = 0, nsound = 0;
    *nvideo = 0;
    while (off < end) {
        char type[4], h[4];
        int64_t hdr, len = cw_audio_mp4_box(fd, off, end, type, &hdr);
        if (!len)
            break;
        if (!memcmp(type, "trak", 4) && cw_audio_mp4_handler(fd, off, len, hdr, h) == 0) {
            if (!memcmp(h, "soun", 4))
                nsound++;
            if ((all || memcmp(h, "soun", 4) != 0) && nother < max)
                offsets[nother++] = off + 4;
            *nvideo += !memcmp(h, "vide", 4);
        }
        off += len;
    }
    if (nsound == 0) {
        *nvideo = 0;
        return 0; /* nothing to hide: the tracks stay, for "this video has no sound" */
    }
    return nother;
}

/* ---- Ogg: does the stream end with its EOS page? ------------------------------------- */

/* The last complete page of the file ends a logical stream (EOS); a file cut short, even
 * at a page boundary, does not. Chained and multiplexed files end with an EOS page too. */
int cw_audio_ogg_has_end(int fd, int64_t size)
{
    enum { WIN = 1 << 17 };
    int64_t start = size > WIN ? size - WIN : 0;
    size_t n = (size_t)(size - start);
    unsigned char *b = malloc(n);
    if (!b)
        return 1; /* cannot tell: do not refuse */
    int ok = 1;
    if (n >= 27 && pread_all(fd, start, b, n) == 0) {
        ok = 0;
        for (size_t i = n - 27;; i--) {
            if (!memcmp(b + i, "OggS", 4) && b[i + 4] == 0) {
                size_t nseg = b[i + 26], body = 0;
                if (i + 27 + nseg <= n) {
                    for (size_t k = 0; k < nseg; k++)
                        body += b[i + 27 + k];
                    if (i + 27 + nseg + body <= n) {
                        ok = (b[i + 5] & 4) != 0;
                        break;
                    }
                }
            }
            if (i == 0)
                break;
        }
    }
    free(b);
    return ok;
}

/* The container a file's first bytes name, or NULL. */
const char *cw_audio_container_name(int fd)
{
    unsigned char b[16];
    if (pread_all(fd, 0, b, sizeof b))
        return NULL;
    static const unsigned char asf[16] = {0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11,
                                          0xa6, 0xd9, 0x00, 0xaa, 0x00, 0x62, 0xce, 0x6c};
    if (!memcmp(b, "\x1a\x45\xdf\xa3", 4))
        return "WebM/MKV";
    if (!memcmp(b, "OggS", 4))
        return "Ogg";
    if (!memcmp(b + 4, "ftyp", 4))
        return "MP4";
    if (!memcmp(b, asf, 16))
        return "WMA";
    if (!memcmp(b, "caff", 4))
        return "CAF";
    if (!memcmp(b, "riff\x2e\x91\xcf\x11", 8))
        return "Wave64";
    if (!memcmp(b, "#!AMR", 5))
        return "AMR";
    return NULL;
}


/* ---- does the file hold what its container says? ------------------------------------- */

static uint64_t le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* ASF: the File Properties Object's file size (unless the broadcast flag says it is not
 * known). */
static int asf_cut(int fd, int64_t size)
{
    static const unsigned char props[16] = {0xA1, 0xDC, 0xAB, 0x8C, 0x47, 0xA9, 0xCF, 0x11,
                                            0x8E, 0xE4, 0x00, 0xC0, 0x0C, 0x20, 0x53, 0x65};
    unsigned char h[30];
    if (pread_all(fd, 0, h, 30))
        return 0;
    int64_t hsize = (int64_t)le64(h + 16), off = 30;
    for (int k = 0; k < 64 && off + 24 <= hsize && off + 24 <= size; k++) {
        unsigned char o[104];
        if (pread_all(fd, off, o, 24))
            return 0;
        int64_t olen = (int64_t)le64(o + 16);
        if (olen < 24)
            return 0;
        if (!memcmp(o, props, 16)) {
            if (olen < 104 || pread_all(fd, off, o, 104))
                return 0;
            uint64_t fsize = le64(o + 40);
            uint32_t flags = (uint32_t)o[88] | (uint32_t)o[89] << 8 | (uint32_t)o[90] << 16 |
                             (uint32_t)o[91] << 24;
            return !(flags & 1) && fsize > 0 && (int64_t)fsize > size;
        }
        off += olen;
    }
    return 0;
}

/* Matroska/WebM: the Segment's size, unless unknown (a live recorder's). */
static int mkv_cut(int fd, int64_t size)
{
    unsigned char b[64];
    if (pread_all(fd, 0, b, sizeof b < (size_t)size ? sizeof b : (size_t)size))
        return 0;
    /* the EBML header: ID (4 bytes), size vint, then the Segment ID 18 53 80 67 */
    int64_t off = 4;
    int w = 1;
    while (w <= 8 && !(b[off] & (0x80 >> (w - 1))))
        w++;
    if (w > 8)
        return 0;
    uint64_t hlen = b[off] & (0xFF >> w);
    for (int i = 1; i < w; i++)
        hlen = hlen << 8 | b[off + i];
    off += w + (int64_t)hlen;
    unsigned char s[12];
    if (off + 12 > size || pread_all(fd, off, s, 12) || memcmp(s, "\x18\x53\x80\x67", 4))
        return 0;
    w = 1;
    while (w <= 8 && !(s[4] & (0x80 >> (w - 1))))
        w++;
    if (w > 8)
        return 0;
    uint64_t slen = s[4] & (0xFF >> w), all = (1ull << (7 * w)) - 1;
    for (int i = 1; i < w; i++)
        slen = slen << 8 | s[4 + i];
    if (slen == all)
        return 0; /* unknown size: a live recording, the length is open */
    return off + 4 + w + (int64_t)slen > size;
}

/* CAF: the 'data' chunk's size, unless -1 (left open). */
static int caf_cut(int fd, int64_t size)
{
    int64_t off = 8;
    for (int k = 0; k < 64 && off + 12 <= size; k++) {
        unsigned char c[12];
        if (pread_all(fd, off, c, 12))
            return 0;
        int64_t len = (int64_t)((uint64_t)be32(c + 4) << 32 | be32(c + 8));
        if (!memcmp(c, "data", 4))
            return len >= 0 && off + 12 + len > size;
        if (len < 0)
            return 0;
        off += 12 + len;
    }
    return 0;
}

/* Sony Wave64: every chunk is a 16-byte GUID and a 64-bit size counting its own 24-byte
 * header, padded to 8 bytes. Cut when the 'data' chunk ends past the end of the file
 * (FFmpeg's demuxer shortens the stated length to the file's, so its length says nothing). */
static int w64_cut(int fd, int64_t size)
{
    static const unsigned char data_guid[16] = {'d', 'a', 't', 'a', 0xF3, 0xAC, 0xD3, 0x11,
                                                0x8C, 0xD1, 0x00, 0xC0, 0x4F, 0x8E, 0xDB, 0x8A};
    int64_t off = 40; /* 'riff' GUID and size, 'wave' GUID */
    for (int k = 0; k < 64 && off + 24 <= size; k++) {
        unsigned char c[24];
        if (pread_all(fd, off, c, 24))
            return 0;
        uint64_t len = le64(c + 16);
        if (!memcmp(c, data_guid, 16))
            return len >= 24 && len <= (uint64_t)INT64_MAX - (uint64_t)off &&
                   off + (int64_t)len > size;
        if (len < 24 || len > (uint64_t)(size - off))
            return 0;
        off += (int64_t)((len + 7) & ~(uint64_t)7);
    }
    return 0;
}

/* Frames one after another (ADTS, AMR): does the last one end exactly at the end? `len`
 * gives a frame's length from its first bytes (0: not a frame there). */
static int frames_cut(int fd, int64_t start, int64_t size, int64_t (*len)(const unsigned char *))
{
    enum { BLK = 65536 };
    unsigned char *b = malloc(BLK);
    if (!b)
        return 0;
    int64_t off = start, have_at = -1, have = 0;
    int cut = 0;
    while (off < size) {
        if (have_at < 0 || off < have_at || off + 8 > have_at + have) {
            have = size - off < BLK ? size - off : BLK;
            ssize_t g;
            while ((g = pread(fd, b, (size_t)have, (off_t)off)) < 0 && errno == EINTR) {
            }
            if (g <= 0)
                break;
            have = g;
            have_at = off;
        }
        if (off + 8 > have_at + have && size - off < 8) {
            cut = 1; /* a few bytes of a header */
            break;
        }
        int64_t n = len(b + (off - have_at));
        if (n <= 0)
            break; /* not a frame here (trailing tags): the decoder judged what came before */
        if (off + n > size) {
            cut = 1;
            break;
        }
        off += n;
    }
    free(b);
    return cut;
}

static int64_t adts_len(const unsigned char *p)
{
    if (p[0] != 0xFF || (p[1] & 0xF6) != 0xF0)
        return 0;
    return (int64_t)((p[3] & 3) << 11 | p[4] << 3 | p[5] >> 5);
}

static int64_t amr_nb_len(const unsigned char *p)
{
    static const int bytes[16] = {12, 13, 15, 17, 19, 20, 26, 31, 5, 6, 5, 5, 0, 0, 0, 0};
    return 1 + bytes[(p[0] >> 3) & 15];
}

static int64_t amr_wb_len(const unsigned char *p)
{
    static const int bytes[16] = {17, 23, 32, 36, 40, 46, 50, 58, 60, 5, 0, 0, 0, 0, 0, 0};
    return 1 + bytes[(p[0] >> 3) & 15];
}

int cw_audio_container_cut(int fd, int64_t size, const char *demuxer)
{
    if (!strcmp(demuxer, "asf"))
        return asf_cut(fd, size);
    if (strstr(demuxer, "matroska"))
        return mkv_cut(fd, size);
    if (!strcmp(demuxer, "caf"))
        return caf_cut(fd, size);
    if (!strcmp(demuxer, "w64"))
        return w64_cut(fd, size);
    if (strstr(demuxer, "mp4")) {
        cw_audio_mp4_top t;
        cw_audio_mp4_scan(fd, size, &t);
        return t.cut;
    }
    unsigned char h[10];
    if (pread_all(fd, 0, h, sizeof h))
        return 0;
    if (!strcmp(demuxer, "aac") && memcmp(h, "ID3", 3) != 0)
        return frames_cut(fd, 0, size, adts_len);
    if (!strcmp(demuxer, "amr") && !memcmp(h, "#!AMR-WB\n", 9))
        return frames_cut(fd, 9, size, amr_wb_len);
    if (!strcmp(demuxer, "amr") && !memcmp(h, "#!AMR\n", 6))
        return frames_cut(fd, 6, size, amr_nb_len);
    return 0;
}
