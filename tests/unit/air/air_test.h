/* air_test.h — what the playout tests share: stations and bundles made in code (tone and
 * beep recordings, plans of any length, built by the real bundle writer), a virtual clock
 * (hours pass in milliseconds; the wall clock can be stepped), a capturing Icecast transport
 * that records when each link's pages left, and a simulated sound card whose clock runs off
 * by a given number of ppm and that notes when each beep leaves it. */
#ifndef AIR_TEST_H
#define AIR_TEST_H

#include "air_int.h"
#include "playlists.h"

#include <stdint.h>

/* ---- stations and bundles ------------------------------------------------------------ */

typedef struct at_station {
    char *dir;
    cw_station *st;
} at_station;
/* A station in a scratch folder; `extra` is appended to station.conf (e.g. "[air]\n..."). */
at_station *at_station_new(const char *zone, int rate, const char *on_air, const char *extra);
void at_station_free(at_station *s);
char *at_path(const at_station *s, const char *rel); /* caller frees */

/* An Ogg Vorbis file: `beep_s` of a sine at freq (amplitude 0.5, 5 ms fades) then silence
 * up to total_s. Returns 0. */
int at_beep_file(const char *path, int rate, int channels, double freq, double beep_s, double total_s,
                 const char *title);

typedef struct at_item {
    cw_kind kind;
    const char *rec; /* relative to the station; NULL: silence */
    int64_t len;     /* samples */
    const char *title, *series, *uid;
} at_item;
/* A contiguous plan of the items from window_start_utc (seconds). */
cw_plan *at_plan(cw_date date, const char *zone, int rate, int channels, int64_t window_start_utc, const at_item *items,
                 size_t n);
/* Build it into STATION/out/DATE with cw_bundle_build (fails the test on error). */
void at_build(at_station *s, const cw_plan *p);

/* ---- virtual clock ------------------------------------------------------------------------ */

typedef struct at_vclock {
    cw_air_clock c;
    int64_t mono, offset; /* wall = mono + offset */
} at_vclock;
void at_vclock_init(at_vclock *v, int64_t wall_ns);
void at_vclock_step(at_vclock *v, int64_t step_ns); /* an NTP step of the wall clock */

/* ---- capturing Icecast transport ----------------------------------------------------------- */

typedef struct at_link {
    int64_t bos_ns;         /* when the link's first page left */
    int64_t audio_ns;       /* when its first audio page left */
    int64_t first_granule;  /* granule of its first audio page */
    int64_t last_granule;
    uint32_t serial;
    int eos;
    int connection;         /* which connection carried it */
    char title[128];
} at_link;

typedef struct at_capture {
    at_vclock *clock;
    int connected, connects, opens;
    int refuse;             /* open fails while set */
    int fail_next_send;     /* the next send fails (a server restart) */
    at_link *links;
    size_t n, cap;
    int bad_pages;          /* pages that failed to parse or came out of order */
    int keep;               /* keep the bytes of connection 1 in `bytes` */
    cw_buf bytes;
} at_capture;
extern const air_shout_ops at_capture_ops;
at_capture *at_capture_new(at_vclock *clock);
void at_capture_free(at_capture *c);
void at_capture_dump(const at_capture *c); /* debugging */

/* ---- simulated sound card -------------------------------------------------------------------- */

typedef struct at_card {
    at_vclock *clock;
    int rate, channels;
    double ppm;            /* how fast its clock runs: +200 plays 1.0002 s of audio per second */
    long buffer;
    int open, running, opens, xruns;
    int64_t start_mono;    /* when it started playing */
    int64_t written;       /* frames written since it started */
    int quiet;             /* onset detector: frames since the last loud one */
    int64_t *onsets;       /* frame index (since start) of each beep's first loud sample */
    size_t n_onsets, cap;
    int64_t *onset_wall;   /* wall ns at which each onset left the card */
    int fail;              /* writes fail (a card unplugged) while set */
    int null_sink;         /* no clock of its own: takes every frame at once (ALSA's null) */
} at_card;
extern const air_card_ops at_card_ops;
at_card *at_card_new(at_vclock *clock, double ppm);
void at_card_free(at_card *c);

/* Run `a` (on v) until wall time until_ns. */
void at_run(cw_air *a, int64_t until_ns);
void cw_air_stop_outputs(cw_air *a);

/* Every line of STATION/asrun/DATE.jsonl with "record" == type, in file then line order, as
 * JSON strings; returns the count. */
size_t at_asrun_lines(const at_station *s, const char *type, char ***out);
void at_lines_free(char **v, size_t n);

#endif
