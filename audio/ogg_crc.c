/* ogg_crc.c — the Ogg page checksum (CRC-32, polynomial 0x04c11db7, most significant bit
 * first, initial value 0, no final xor) at memory speed: on x86-64 with PCLMULQDQ the page
 * is folded 16 bytes at a time with carry-less multiplication (Intel's "Fast CRC
 * computation for generic polynomials using PCLMULQDQ", folding by one block), the last
 * bytes by table. Elsewhere a table, 8 bytes per step. The library scan checks the header
 * and last pages of every file with it: libogg's slice-by-8 took a quarter of the scan.
 * Guarantees: cw_audio_ogg_crc gives libogg's ogg_page_checksum_set value for any input
 * (the unit test compares them on random pages). */
#include "audio_int.h"

#include <pthread.h>
#include <string.h>

#define POLY 0x04c11db7u

static uint32_t table[8][256];
static uint64_t k192, k128; /* x^192 mod P, x^128 mod P */
static int use_clmul;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static uint64_t xpow_mod(int n)
{
    uint64_t r = 1;
    for (int i = 0; i < n; i++) {
        r <<= 1;
        if (r & 0x100000000ull)
            r ^= 0x100000000ull | POLY;
    }
    return r;
}

static void init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t r = i << 24;
        for (int j = 0; j < 8; j++)
            r = r & 0x80000000u ? (r << 1) ^ POLY : r << 1;
        table[0][i] = r;
    }
    for (int t = 1; t < 8; t++)
        for (int i = 0; i < 256; i++)
            table[t][i] = (table[t - 1][i] << 8) ^ table[0][table[t - 1][i] >> 24];
    k192 = xpow_mod(192);
    k128 = xpow_mod(128);
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    use_clmul = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("ssse3");
#endif
}

static uint32_t crc_table(uint32_t crc, const unsigned char *p, size_t n)
{
    while (n >= 8) {
        uint32_t a = crc ^ ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
                            (uint32_t)p[2] << 8 | p[3]);
        crc = table[7][a >> 24] ^ table[6][(a >> 16) & 255] ^ table[5][(a >> 8) & 255] ^
              table[4][a & 255] ^ table[3][p[4]] ^ table[2][p[5]] ^ table[1][p[6]] ^ table[0][p[7]];
        p += 8;
        n -= 8;
    }
    while (n--)
        crc = (crc << 8) ^ table[0][(crc >> 24) ^ *p++];
    return crc;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

__attribute__((target("pclmul,ssse3"))) static uint32_t crc_clmul(const unsigned char *p, size_t n)
{
    const __m128i rev = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m128i k = _mm_set_epi64x((long long)k192, (long long)k128);
    /* bit 127 of x = the first bit of the message (the highest power) */
    __m128i x = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)p), rev);
    p += 16;
    n -= 16;
    while (n >= 16) {
        __m128i hi = _mm_clmulepi64_si128(x, k, 0x11); /* x_hi * x^192 */
        __m128i lo = _mm_clmulepi64_si128(x, k, 0x00); /* x_lo * x^128 */
        x = _mm_xor_si128(_mm_xor_si128(hi, lo),
                          _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)p), rev));
        p += 16;
        n -= 16;
    }
    /* x is congruent to the message so far: its CRC is the register state to go on from */
    unsigned char b[16];
    _mm_storeu_si128((__m128i *)b, _mm_shuffle_epi8(x, rev));
    return crc_table(crc_table(0, b, 16), p, n);
}
#endif

uint32_t cw_audio_ogg_crc(const unsigned char *p, size_t n)
{
    pthread_once(&once, init);
#if defined(__x86_64__) && defined(__GNUC__)
    if (use_clmul && n >= 32)
        return crc_clmul(p, n);
#endif
    return crc_table(0, p, n);
}

int cw_audio_ogg_page_crc_ok(unsigned char *page, size_t len)
{
    if (len < 27)
        return 0;
    unsigned char saved[4];
    memcpy(saved, page + 22, 4);
    memset(page + 22, 0, 4);
    uint32_t crc = cw_audio_ogg_crc(page, len);
    memcpy(page + 22, saved, 4);
    return crc == ((uint32_t)saved[0] | (uint32_t)saved[1] << 8 | (uint32_t)saved[2] << 16 |
                   (uint32_t)saved[3] << 24);
}
