/* cache.c — the mutable caches of a calendar set: interned RECURRENCE-ID texts and series
 * position lists. Guarantees: freed with the set; never shared between threads unlocked. */
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "expand_int.h"

/* ---- caches of the set: interned recurrence ids, series positions ------------------ */

int cal_cache_new(cw_calset *set)
{
    set->cache = calloc(1, sizeof *set->cache);
    return set->cache ? 0 : -1;
}

void cal_cache_free(cw_calset *set)
{
    cal_cache *c = set->cache;
    if (!c)
        return;
    for (size_t i = 0; i < c->rid_cap; i++)
        free(c->rid[i].text);
    free(c->rid);
    for (size_t i = 0; i < c->n_series; i++) {
        free(c->series[i].key);
        free(c->series[i].t);
        free(c->series[i].uid);
        free(c->series[i].fast);
    }
    free(c->series);
    free(c);
    set->cache = NULL;
}

static size_t rid_hash(int64_t key, int is_date, size_t cap)
{
    uint64_t h = (uint64_t)key * 0x9E3779B97F4A7C15ull ^ (uint64_t)is_date;
    h ^= h >> 29;
    return (size_t)(h & (cap - 1));
}

const char *cal_rid_intern(const cw_calset *set, int64_t key, int is_date)
{
    cal_cache *c = set->cache;
    if (c->rid_n * 2 >= c->rid_cap) {
        size_t nc = c->rid_cap ? c->rid_cap * 2 : 1024;
        cal_rid_entry *nv = calloc(nc, sizeof *nv);
        if (!nv)
            return NULL;
        for (size_t i = 0; i < c->rid_cap; i++) {
            if (!c->rid[i].text)
                continue;
            size_t h = rid_hash(c->rid[i].key, c->rid[i].is_date, nc);
            while (nv[h].text)
                h = (h + 1) & (nc - 1);
            nv[h] = c->rid[i];
        }
        free(c->rid);
        c->rid = nv;
        c->rid_cap = nc;
    }
    size_t h = rid_hash(key, is_date, c->rid_cap);
    while (c->rid[h].text) {
        if (c->rid[h].key == key && c->rid[h].is_date == is_date)
            return c->rid[h].text;
        h = (h + 1) & (c->rid_cap - 1);
    }
    cw_civil cv;
    cw_civil_from_wall(is_date ? key * 86400 : key, &cv);
    if (cv.year < 0 || cv.year > 9999)
        cv.year = cv.year < 0 ? 0 : 9999; /* outside what a calendar can hold */
    /* by hand: snprintf was a fifth of a year's expansion */
    char *t = malloc(is_date ? 9 : 17);
    if (!t)
        return NULL;
    int v[6] = {cv.year, cv.month, cv.day, cv.hour, cv.minute, cv.second};
    char *p = t;
    for (int d = 1000; d; d /= 10)
        *p++ = (char)('0' + v[0] / d % 10);
    for (int i = 1; i < (is_date ? 3 : 6); i++) {
        if (i == 3)
            *p++ = 'T';
        *p++ = (char)('0' + v[i] / 10);
        *p++ = (char)('0' + v[i] % 10);
    }
    if (!is_date)
        *p++ = 'Z';
    *p = 0;
    c->rid[h].key = key;
    c->rid[h].is_date = is_date;
    c->rid[h].text = t;
    c->rid_n++;
    return t;
}
