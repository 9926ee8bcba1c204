/* audio_int.h — internals shared by the audio module's files (decoder, stages, measuring,
 * header rewriting). Not a public interface: only the audio sources and the audio unit tests use it.
 * Guarantees: every function here follows the module's rules (no printing, cw_error on
 * failure, fixed-size blocks). */
#ifndef CW_AUDIO_INT_H
#define CW_AUDIO_INT_H

#include "audio.h"

#include <stdint.h>

/* Frames per processing block everywhere in the module. */
#define CW_AUDIO_BLOCK 4096

/* ---- encoder extras (encode.c) ----------------------------------------------------- */

/* The encoder's check of its own output (cw_audio_enc_spot_check). */
typedef struct cw_audio_vorbis_check {
    int64_t frames;   /* the decoded length (block sizes, end trimmed by the EOS granule) */
    int64_t decoded;  /* frames actually decoded */
    double true_peak; /* linear, of the decoded frames */
} cw_audio_vorbis_check;
/* Before the first write: decode, as the packets are made, those whose samples lie within
 * one long block of an input stretch peaking within window_db of the loudest input so far,
 * and measure their true peak (Vorbis moves peaks by about a decibel, so with a 6 dB window
 * this is the true peak of the whole decoded file). */
int cw_audio_enc_spot_check(cw_vorbis_enc *e, double window_db);
/* cw_vorbis_enc_finish, plus the check's result (fails if the packets do not decode to
 * exactly the frames written). */
int cw_audio_enc_finish_checked(cw_vorbis_enc *e, cw_audio_vorbis_check *chk, cw_error *err);
/* Bytes of header pages the encoder wrote at the start of its file. */
long cw_audio_enc_header_bytes(const cw_vorbis_enc *e);
/* Build the header pages (identification, comment, setup) exactly as cw_vorbis_enc_new
 * writes them, into *out (appended). Used to rewrite comments in place once the values are
 * known: with comment values of fixed width the pages keep their length. */
int cw_audio_vorbis_headers_build(cw_buf *out, int rate, int channels, double quality,
                            uint32_t serial, const cw_link_meta *meta, cw_error *err);

/* ---- Ogg page checksum (ogg_crc.c) -------------------------------------------------- */

/* The Ogg CRC of n bytes (libogg's ogg_page_checksum_set value when the page's checksum
 * field is zero), several times faster than libogg's. */
uint32_t cw_audio_ogg_crc(const unsigned char *p, size_t n);
/* Does the page (len bytes, header and body) carry its right checksum? The checksum field
 * is zeroed while computing and restored. */
int cw_audio_ogg_page_crc_ok(unsigned char *page, size_t len);

/* ---- true peak (truepeak.c) -------------------------------------------------------- */

/* 4x oversampled true-peak detector (BS.1770-4 Annex 2 style polyphase interpolation),
 * streaming, one state per channel. Blocks whose sample peak cannot reach the running
 * maximum are skipped, so the cost is small on normal programme. */
typedef struct cw_audio_truepeak cw_audio_truepeak;
int cw_audio_truepeak_new(cw_audio_truepeak **out, int channels);
void cw_audio_truepeak_free(cw_audio_truepeak *tp);
/* Interleaved frames. */
void cw_audio_truepeak_add(cw_audio_truepeak *tp, const float *frames, size_t n);
/* Linear true peak over everything added so far (max over channels), including the
 * interpolation past the last sample (as if followed by silence). Ends the input: call
 * it once, after the last cw_audio_truepeak_add. */
double cw_audio_truepeak_max(cw_audio_truepeak *tp);
/* End the current stretch (as if followed by silence) and start another that is preceded
 * by silence; the maximum carries on. */
void cw_audio_truepeak_restart(cw_audio_truepeak *tp);
/* Linear true peak of the interpolated signal between sample i-1 and i (inclusive of
 * sample i) for one channel of a history buffer: x points at sample i, with at least
 * CW_AUDIO_TP_TAPS/2 samples valid before and after. */
#define CW_AUDIO_TP_PHASES 4
#define CW_AUDIO_TP_TAPS 16 /* taps per phase */
float cw_audio_truepeak_at(const float *x, size_t stride);
/* Upper bound of |interpolated| / max|input| over the filter's support. */
double cw_audio_truepeak_gain_bound(void);

/* ---- decoding: the source and its decoders (src.c, dec_*.c) ----------------------- */

/* "12.3 s", "4:56" or "1:02:03". */
void cw_audio_fmt_duration(double seconds, char out[32]);

/* What a decoder found when it opened a file. */
typedef struct cw_audio_src_info {
    int rate, channels;
    int64_t frames;  /* length the container states, in output frames; -1 unknown or open */
    int frames_exact; /* 1: a shorter decode means the file is cut short; 0: an estimate */
    char format[48]; /* what the file is, for messages: "WAV", "M4A (AAC)", "MP4 video" */
} cw_audio_src_info;

/* Tags the file carries (UTF-8, control characters removed, "" when absent). */
typedef struct cw_audio_tags {
    char title[256], artist[256];
    char date[11]; /* YYYY-MM-DD or "" */
} cw_audio_tags;

/* One decoding library behind the source interface. A backend is one file (dec_NAME.c)
 * defining one of these, and one row in the registry (src.c). Every function reads from a
 * file descriptor the decoder owns (a dup, at offset 0), so files, pipes already saved to
 * disk and memory (memfd) are read alike. Decoders never print (their libraries are
 * silenced) and turn every failure into a sentence a teacher can act on. */
typedef struct cw_audio_decoder {
    const char *name;    /* "sndfile", "mpg123", "ffmpeg" */
    const char *formats; /* what it reads, for people: "WAV, AIFF, FLAC" */
    /* How much this decoder wants the file: 0 not at all, higher wins (the registry tries
     * decoders in that order). head holds the first n bytes (n <= CW_AUDIO_SNIFF_BYTES),
     * size is the file's size; fd may be read with pread for more. */
    int (*sniff)(const unsigned char *head, size_t n, int64_t size, int fd);
    /* Open; fd is the decoder's (it closes it in close, also when open fails). Returns
     * CW_EUNSUPPORTED with err set when the file is not one it can read after all (the
     * registry then tries the next decoder), another CW_E* for a file it can read but
     * refuses (damage, ...). */
    int (*open)(void **state, int fd, const char *path, cw_audio_src_info *info, cw_error *err);
    /* Up to `frames` interleaved float frames; *got == 0 at the end. */
    int (*read)(void *state, float *buf, size_t frames, size_t *got, cw_error *err);
    /* After the last read: refuse damage found only at the end (`decoded` frames were
     * read); tolerated problems become warnings in `notes` (may be NULL). */
    int (*check_end)(void *state, int64_t decoded, cw_diags *notes, cw_error *err);
    void (*tags)(void *state, cw_audio_tags *out);
    void (*close)(void *state);
} cw_audio_decoder;

#define CW_AUDIO_SNIFF_BYTES 4096


/* A teacher's file opened for reading through the decoder that wants it most. Refuses, in
 * one sentence each: a missing file, a folder, a pipe or device, an empty file, what is no
 * recording at all (a document, a picture, text: named), what no decoder reads (naming the
 * formats that are read), rates outside 8..192 kHz and more than 8 channels. */
typedef struct cw_audio_src cw_audio_src;
int cw_audio_src_open(cw_audio_src **out, const char *path, cw_error *err) CW_WARN_UNUSED;
/* The same from an open descriptor (dup'ed; the caller keeps fd): memory files for the
 * fuzzers and tests. `name` is used in messages. */
int cw_audio_src_open_fd(cw_audio_src **out, int fd, const char *name,
                         cw_error *err) CW_WARN_UNUSED;
/* Open with one decoder by name ("ffmpeg"), whatever the others would say: for the
 * decoder benchmark and tests. */
int cw_audio_src_open_with(cw_audio_src **out, const char *path, const char *decoder,
                           cw_error *err) CW_WARN_UNUSED;
int cw_audio_src_rate(const cw_audio_src *s);
int cw_audio_src_channels(const cw_audio_src *s);
int64_t cw_audio_src_frames(const cw_audio_src *s); /* as the container claims; -1 unknown */
const char *cw_audio_src_format(const cw_audio_src *s); /* "WAV", "M4A (AAC)", ... */
const char *cw_audio_src_decoder(const cw_audio_src *s); /* "sndfile", "ffmpeg", ... */
/* Up to `frames` interleaved frames; *got == 0 at the end. */
int cw_audio_src_read(cw_audio_src *s, float *buf, size_t frames, size_t *got, cw_error *err);
/* After reading to the end: refuse damage the decoder reported as success (fewer frames
 * than the container promises, errors in its log, undecodable packets beyond a small
 * tolerance). Tolerated problems are added to `notes` (may be NULL). */
int cw_audio_src_check_end(cw_audio_src *s, cw_diags *notes, cw_error *err);
/* The file's own tags (title, artist, recording date). */
void cw_audio_src_tags(cw_audio_src *s, cw_audio_tags *out);
void cw_audio_src_close(cw_audio_src *s);

/* Tag helpers for the decoders: copy a tag value cleaned (valid UTF-8 only, control
 * characters to spaces, trimmed, shortened at a character boundary) / a date tag's leading
 * YYYY-MM-DD. */
void cw_audio_tag_copy(char *dst, size_t cap, const char *value);
void cw_audio_tag_date(char out[11], const char *value);

/* ---- audio as a chain of stages (stages.c) ------------------------------------------ */

typedef struct cw_audio_fmt {
    int rate, channels;
} cw_audio_fmt;

#define CW_AUDIO_STAGE_SKIP 1 /* start: nothing to do here; the stage leaves the chain */
#define CW_AUDIO_STAGE_DONE 2 /* flow: no more input wanted (what it produced still flows) */

/* One stage (sox's effect handler): constructors below fill one; the chain owns it once
 * added (it calls stop, also when start was never called or failed). */
typedef struct cw_audio_stage cw_audio_stage;
struct cw_audio_stage {
    const char *name;
    /* `in` arrives; set *out (preset to in) and *out_max, the frames flow or drain may
     * produce from up to CW_AUDIO_BLOCK input frames (preset to CW_AUDIO_BLOCK). Returns
     * 0, CW_AUDIO_STAGE_SKIP or a CW_E* code. NULL: nothing to prepare. */
    int (*start)(cw_audio_stage *s, const cw_audio_fmt *in, cw_audio_fmt *out,
                 size_t *out_max, cw_error *err);
    /* *nin frames offered (<= CW_AUDIO_BLOCK), *nout frames of room; set both to what was
     * consumed and produced (a stage may consume less than offered, but must do something).
     * In-place stages get out == in and room *nin. 0, CW_AUDIO_STAGE_DONE or CW_E*. */
    int (*flow)(cw_audio_stage *s, const float *in, size_t *nin, float *out, size_t *nout,
                cw_error *err);
    /* After the input: produce what is held back; called until *nout == 0. May be NULL. */
    int (*drain)(cw_audio_stage *s, float *out, size_t *nout, cw_error *err);
    void (*stop)(cw_audio_stage *s); /* free everything; may be NULL */
    int inplace;   /* works on its input buffer (a tap, a gain): no buffer of its own */
    int wants_all; /* keeps reading the source after a later stage said DONE (a meter) */
    void *priv;
};

typedef struct cw_audio_chain cw_audio_chain;
typedef int (*cw_audio_read_fn)(void *user, float *buf, size_t frames, size_t *got,
                                cw_error *err);
/* Called after each source block with the frames read so far; non-zero cancels. */
typedef int (*cw_audio_progress_fn)(void *user, int64_t frames_read);

int cw_audio_chain_new(cw_audio_chain **out);
/* Append a stage (the chain takes it, also on failure: CW_ENOMEM for a stage whose
 * constructor could not allocate, and then cw_audio_chain_run fails: callers may add a
 * whole chain and check once). */
int cw_audio_chain_add(cw_audio_chain *c, const cw_audio_stage *s);
/* Read the source (`in` its format) in blocks through every stage, then drain them in
 * order. Stops at the first error; CW_ECANCELLED when `progress` asks. Runs once. */
int cw_audio_chain_run(cw_audio_chain *c, cw_audio_read_fn read, void *user,
                       const cw_audio_fmt *in, cw_audio_progress_fn progress,
                       void *progress_user, cw_error *err);
cw_audio_fmt cw_audio_chain_out_format(const cw_audio_chain *c);
void cw_audio_chain_free(cw_audio_chain *c); /* stops every stage; NULL is fine */

/* Results the measuring stages write when drained. */
typedef struct cw_audio_loudness {
    double lufs, lra; /* integrated loudness, loudness range */
} cw_audio_loudness;
typedef struct cw_audio_enc_result {
    int64_t frames;              /* written */
    long header_bytes;           /* of the header pages */
    cw_audio_vorbis_check check; /* the spot check (when asked) */
} cw_audio_enc_result;

/* The generic stages. Each leaves *s empty (chain_add refuses it) when out of memory. */
void cw_audio_stage_mix(cw_audio_stage *s, int out_channels); /* cw_audio_mix, the one rule */
void cw_audio_stage_trim(cw_audio_stage *s, int64_t lead, int64_t tail); /* keep [lead, tail) */
/* Raised-cosine fades over the first fade_in and last fade_out of a segment of len frames
 * (in place). */
void cw_audio_stage_fade(cw_audio_stage *s, int64_t fade_in, int64_t fade_out, int64_t len);
/* Exactly `samples` frames, the first fade_in faded in from zero and the last `fade` faded
 * out to zero (raised cosines); a shortfall up to pad_max frames is made up with silence,
 * more is refused naming `name`. */
void cw_audio_stage_cut(cw_audio_stage *s, int64_t samples, int64_t fade_in, int64_t fade,
                        int64_t pad_max, const char *name);
void cw_audio_stage_dc(cw_audio_stage *s, const double *offset, int channels); /* x - offset */
void cw_audio_stage_resample(cw_audio_stage *s, int rate); /* libsoxr HQ; skipped at the rate */
/* Gain, then the true-peak limiter (cw_audio_limiter); *min_gain (may be NULL) gets the
 * lowest gain it applied. */
void cw_audio_stage_limiter(cw_audio_stage *s, double gain, double ceiling, double lookahead,
                            double release, double *min_gain);
void cw_audio_stage_meter(cw_audio_stage *s, cw_audio_loudness *res); /* libebur128 I, LRA */
void cw_audio_stage_truepeak(cw_audio_stage *s, double *db); /* of everything, dBTP */
/* The Vorbis encoder writing Ogg pages to fp; spot_db > 0 turns on its own output check. */
void cw_audio_stage_encoder(cw_audio_stage *s, FILE *fp, int rate, int channels,
                            double quality, uint32_t serial, const cw_link_meta *meta,
                            double spot_db, cw_audio_enc_result *res);
/* `inner` (a sink or tap) on a thread of its own, fed through a ring of blocks. */
void cw_audio_stage_threaded(cw_audio_stage *s, const cw_audio_stage *inner,
                             const char *thread_name);

/* ---- processing stages (process.c) ------------------------------------------------- */

/* Channel mix of n frames from inch to outch (downmix folds centre/surrounds, drops LFE;
 * upmix copies mono to the first two channels). */
void cw_audio_mix(const float *in, int inch, float *out, int outch, size_t n);

/* True-peak-aware look-ahead limiter: out = in * gain * g(t) where g keeps the 4x
 * interpolated peak at or under `ceiling` (linear) with a smooth attack over `lookahead`
 * seconds and an exponential release. Output lags input by cw_audio_limiter_delay frames;
 * cw_audio_limiter_drain flushes them. */
typedef struct cw_audio_limiter cw_audio_limiter;
int cw_audio_limiter_new(cw_audio_limiter **out, int channels, int rate, double gain, double ceiling,
                   double lookahead, double release);
void cw_audio_limiter_free(cw_audio_limiter *l);
size_t cw_audio_limiter_delay(const cw_audio_limiter *l);
/* n <= CW_AUDIO_BLOCK; out has room for n + delay frames; *nout frames written. */
void cw_audio_limiter_process(cw_audio_limiter *l, const float *in, size_t n, float *out, size_t *nout);
void cw_audio_limiter_drain(cw_audio_limiter *l, float *out, size_t *nout);
double cw_audio_limiter_min_gain(const cw_audio_limiter *l); /* lowest g applied (1 = never limited) */

/* ---- containers read beside FFmpeg (containers.c) ---------------------------------------- */

/* The top-level boxes of an MP4-family file (ISO BMFF / QuickTime). */
typedef struct cw_audio_mp4_top {
    int is_mp4; /* starts with an ISO box (ftyp, moov, mdat, free, wide, skip) */
    int has_moov, has_mdat, has_moof;
    int64_t moov, moov_len;
    int cut; /* the last top-level box runs past the end of the file */
} cw_audio_mp4_top;
void cw_audio_mp4_scan(int fd, int64_t size, cw_audio_mp4_top *t);
/* The box at off (before end): its type and whole length, *hdr its header's length; 0 when
 * it is not a box that fits. */
int64_t cw_audio_mp4_box(int fd, int64_t off, int64_t end, char type[4], int64_t *hdr);
/* The handler type ("soun", "vide", ...) of the 'trak' box at trak; 0 when found. */
int cw_audio_mp4_handler(int fd, int64_t trak, int64_t trak_len, int64_t trak_hdr, char h[4]);
/* The tracks of the moov that are not sound (video, hint, text), or all of them when
 * `all`, provided it has a sound track: up to max file offsets of their 'trak' type
 * fields; *nvideo of them are video. */
int cw_audio_mp4_other_tracks(int fd, const cw_audio_mp4_top *t, int64_t *offsets, int max,
                              int *nvideo, int all);
/* Does the last complete Ogg page end a logical stream (EOS)? */
int cw_audio_ogg_has_end(int fd, int64_t size);
/* "MP4", "WebM/MKV", "Ogg", "WMA", "CAF", "AMR" from the first bytes, or NULL. */
const char *cw_audio_container_name(int fd);
/* 1 when the file is shorter than its container says (ASF, Matroska, CAF, MP4) or ends
 * inside a frame (ADTS, AMR); `demuxer` is FFmpeg's name for the format. */
int cw_audio_container_cut(int fd, int64_t size, const char *demuxer);

/* ---- the sound track of an MP4-family file, sample by sample (mp4walk.c) ---------------- */

typedef struct cw_audio_mp4_info {
    char fourcc[4];            /* the sample description's type: mp4a, alac, samr, sawb, .mp3 */
    unsigned char object_type; /* mp4a's: 0x40 AAC, 0x6B MP3, ... */
    unsigned char extra[256];  /* the decoder's configuration (AAC's AudioSpecificConfig, the
                                * whole 'alac' atom) */
    size_t extra_len;
    int channels, rate;        /* as the sample description says */
    uint32_t timescale;        /* of the track's times */
    int64_t duration;          /* the track's, in timescale units */
    int64_t skip;              /* the edit list: media time where playing starts (priming) */
    int64_t play;              /* and how long it plays, in timescale units; -1 to the end */
} cw_audio_mp4_info;
typedef struct cw_audio_mp4_track cw_audio_mp4_track;
/* The sound track to decode (the first enabled, else the first). 0 and *out; 1 when the
 * file is laid out otherwise (fragmented, several sample descriptions or edits, another
 * codec: libavformat's); CW_EINVAL for tables that contradict the file; CW_ENOMEM. */
int cw_audio_mp4_track_open(cw_audio_mp4_track **out, int fd, int64_t size,
                            const cw_audio_mp4_top *top);
const cw_audio_mp4_info *cw_audio_mp4_track_info(const cw_audio_mp4_track *t);
uint32_t cw_audio_mp4_track_samples(const cw_audio_mp4_track *t);
/* The next sample: 1 with its file offset, size and duration (timescale units); 0 after
 * the last; -1 when the tables are damaged. */
int cw_audio_mp4_track_next(cw_audio_mp4_track *t, int64_t *off, uint32_t *size,
                            uint32_t *duration);
void cw_audio_mp4_track_close(cw_audio_mp4_track *t);

/* ---- ingest's passes: measure (analyse.c), render and find the gain (render.c) --------- */

/* Progress of one pass: frames read of `total`, mapped to base + span * fraction; the
 * callback's non-zero return cancels. */
typedef struct cw_audio_pass_progress {
    int (*fn)(void *user, double fraction);
    void *user;
    double base, span;
    int64_t total; /* frames of the source; <= 0 unknown */
} cw_audio_pass_progress;
int cw_audio_pass_report(void *pass_progress, int64_t frames_read); /* a cw_audio_progress_fn */

/* What one decode of a source tells: integrated loudness of the source mixed to `outch`
 * channels (libebur128, mono as dual mono), true peak of the source channels (when asked),
 * clipping, the first and last sound above `silence_db` (10 ms windows), the longest inner
 * pause, a constant (DC) offset per mixed channel, how noise-like it is, its tags and what
 * the decoder tolerated. Refuses damaged files and NaN/Inf samples (see cw_audio_src_*). */
typedef struct cw_audio_analysis {
    int rate, channels, outch;
    int64_t frames;
    double lufs, lra, tp_db, clipped_pct;
    int64_t first_sound, sound_end; /* source frames; first_sound -1 when none */
    double longest_pause, longest_pause_at; /* seconds */
    double dc[8];       /* mean of each mixed channel */
    double noise_corr;  /* lag-1 autocorrelation of the mixed signal: ~0 for white noise */
    cw_audio_tags tags;
    char format[48];
    cw_diags notes;     /* what the decoder tolerated (owned: cw_audio_analysis_clear) */
} cw_audio_analysis;
int cw_audio_analyse(const char *path, int outch, double silence_db, cw_audio_analysis *out,
                     cw_error *err);
/* Pass 1 of ingest: the same without the source true peak (pass 2 measures it). */
int cw_audio_analyse_pass(const char *path, int outch, double silence_db, int want_tp,
                          cw_audio_analysis *out, cw_audio_pass_progress *pg, cw_error *err);
void cw_audio_analysis_clear(cw_audio_analysis *a);

/* Pass 2: decode again and render [lead, tail) of the source: mix, DC removal, fades,
 * resample, gain, limiter, loudness meter and (unless fp is NULL: a measuring pass) the
 * Vorbis encoder writing to fp, whose output then is checked (its own decode: true peak
 * and length; the written file's structure with cw_ogg_check at work_path). */
typedef struct cw_audio_render_plan {
    int64_t lead, tail;        /* source frames kept: [lead, tail) */
    int64_t fade_in, fade_out; /* source frames */
    double dc[8];              /* subtracted from the mixed channels (all 0: none) */
    double gain;               /* linear */
    double ceiling;            /* linear, margin included */
    int rate, channels;
    double quality;
    uint32_t serial;
    const cw_link_meta *meta;
    FILE *fp;                  /* NULL: measure only */
    const char *work_path;     /* the file fp writes */
    double *src_tp_db;         /* non-NULL: the source's true peak, measured on the way */
} cw_audio_render_plan;
typedef struct cw_audio_render_out {
    int64_t frames;          /* rendered */
    int64_t decoded_frames;  /* the encoded file's own length (== frames) */
    double min_gain;         /* lowest limiter gain */
    long header_bytes;       /* of the work file's header pages */
    double lufs, lra, tp_db; /* of the output (tp_db: the decoded file's, when encoded) */
} cw_audio_render_out;
int cw_audio_render(const char *path, const cw_audio_render_plan *p, cw_audio_render_out *o,
                    cw_audio_pass_progress *pg, cw_error *err);
/* The gain (dB, from *gain_db which gave loudness l0) that brings the limited signal to
 * `target` LUFS, by measuring passes only. *gain_db ends at the best gain seen. */
int cw_audio_find_gain(const char *path, const cw_audio_render_plan *p, double target,
                       double *gain_db, double l0, cw_audio_pass_progress *pg, cw_error *err);

/* ---- the bundle's re-encode (reencode.c) ------------------------------------------------ */

/* Decode the library file at path and encode exactly `samples` frames of it, starting
 * `from` frames in (at the output rate), at rate and channels into `out` (one Ogg Vorbis
 * stream, serial 1, no comments): faded in over fade_in seconds when it starts inside the
 * recording, the last fade_out seconds faded out when it ends before the recording does. */
int cw_audio_reencode(const char *path, FILE *out, int rate, int channels, double quality,
                      int64_t from, int64_t samples, double fade_in, double fade_out,
                      cw_error *err);

/* ---- loudness (analyse.c) ---------------------------------------------------------- */

double cw_audio_db_to_lin(double db);
double cw_audio_lin_to_db(double lin); /* -inf for 0 */

#endif
