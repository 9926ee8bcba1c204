/* ogg_chain_int.h — internals shared by the chain writer's files (ogg_chain.c: streams,
 * sinks, page copy, re-encode; ogg_silence.c: silence links; ogg_join.c: links that start
 * inside a recording). Not a public interface.
 * Guarantees: every page of a chain goes to its sink through chn_emit; every link is
 * announced with chn_begin_link before its first page and counted with chn_end_link. */
#ifndef CW_OGG_CHAIN_INT_H
#define CW_OGG_CHAIN_INT_H

#include "audio.h"

#include <ogg/ogg.h>

#define OGG_MAX_PAGE (27 + 255 + 255 * 255)

struct cw_chain {
    const cw_ogg_sink *sink;
    cw_chain_format fmt;
    uint32_t seed;
    uint32_t *serials; /* one per link: the only state that grows, and with links, not length */
    size_t n_links, cap_links;
    int64_t samples;
    int failed; /* a link was left half-written: the stream is unusable */
    struct silence_tmpl *silence; /* built on the first silence; NULL before */
    unsigned char *pagebuf;       /* a page assembled from header and body */
    /* the spec being written (for link_begin) */
    const cw_link_spec *spec;
    int part, reencoded;
};

/* ---- ogg_pages.c ---- */

typedef struct page_reader {
    FILE *fp;
    ogg_sync_state oy;
    int64_t offset; /* file offset of the next page */
} page_reader;

/* What the header pages of a library file told us. */
typedef struct src_info {
    int rate, channels;
    long serial;
    int64_t length; /* last granule - begin */
    int copyable;   /* headers framed on their own pages, audio starts at granule 0 */
} src_info;

/* Read the three headers of path. On success the packets are returned in hdr[] (owned by
 * the caller, free with free(hdr[i].packet)) and rd is positioned at the first audio page,
 * which is returned in *first (copied into firstbuf). */
typedef struct header_state {
    ogg_packet hdr[3];
    unsigned char *firstbuf; /* the first audio page, copied; NULL when none */
    ogg_page first;
    int has_first;
} header_state;

/* 1: a page; 0: end of file; CW_EINVAL: garbage or a bad CRC; CW_EIO: read error. */
int chn_read_page(page_reader *r, ogg_page *og);
/* The final granule of the stream with `serial`, from the file's last pages. */
int chn_last_granule(FILE *fp, long serial, int64_t *granule);
/* Read the three headers of a file (rd at its start); see header_state. */
int chn_read_headers(page_reader *rd, const char *path, src_info *si, header_state *hs, cw_error *err);
void chn_header_state_clear(header_state *h);
/* Copy the file's pages behind our own header pages as one link of `samples` samples (its
 * final granule). rd is positioned after hs->first. */
int chn_page_copy(cw_chain *c, page_reader *rd, const char *path, const src_info *si, header_state *hs,
                  const cw_link_meta *meta, int64_t samples, cw_error *err);

/* The serial of the next link (unique in the stream). */
uint32_t chn_next_serial(cw_chain *c);
/* Announce a link of `samples` samples with `serial` to the sink (c->spec, c->part and
 * c->reencoded describe it). */
int chn_begin_link(cw_chain *c, uint32_t serial, int64_t samples, cw_error *err);
/* A link is complete: record its serial and add its samples to the stream. */
int chn_end_link(cw_chain *c, uint32_t serial, int64_t samples, cw_error *err);
/* Send one page to the sink: `page` holds header and body contiguously. */
int chn_emit(cw_chain *c, const unsigned char *page, size_t len, cw_error *err);
int chn_emit_page(cw_chain *c, const ogg_page *og, cw_error *err);
/* The granule position of a link's first audio page when it holds the link's first two
 * packets (block sizes bs0, bs1) of `packets`: where the second packet ends, or the link's
 * final granule when the link is shorter than that or has only two packets (decoders then
 * trim the start; the samples are exact either way). Always > 0 for a link of > 0 samples:
 * ogginfo calls an audio page that completes a packet at granule 0 a buggy encoder's. */
int64_t chn_split_granule(long bs0, long bs1, int packets, int64_t final_granule);
/* An end-of-stream page with no packets (the rest of a two-packet link). */
int chn_emit_empty_eos(cw_chain *c, uint32_t serial, long seq, int64_t granule, cw_error *err);
/* The comment header packet for meta; clear *op with ogg_packet_clear. */
int chn_comment_packet(const cw_link_meta *meta, ogg_packet *op, cw_error *err);
/* Write the three header packets of a link on their pages (identification alone, comment
 * and setup together) with sequence numbers from 0; *os is initialised with serial and
 * left positioned for the audio packets (packetno 3 next). */
int chn_write_headers(cw_chain *c, ogg_stream_state *os, uint32_t serial, const ogg_packet *ident,
                      const ogg_packet *setup, const cw_link_meta *meta, cw_error *err);

/* Append a link our encoder wrote to tmp (rewound here) through the page copy, so every
 * link gets the chain's serial, comment header and page layout. */
int chn_append_encoded(cw_chain *c, FILE *tmp, int64_t samples, const cw_link_meta *meta,
                       cw_error *err);

/* Decode sp->path from sp->from, convert to the chain's format, apply the fades and encode
 * sp->samples samples as one link (c->part and c->reencoded describe it to the sink). */
int chn_reencode(cw_chain *c, const cw_link_spec *sp, cw_error *err);

/* Links that start inside a recording (ogg_join.c): the spec plays a file in the chain's
 * format from sp->from to its end (`length`); hdr are its three header packets, serial its
 * stream's. Writes a re-encoded head with the fade-in and a page-copied rest and sets *done,
 * or writes nothing and leaves *done 0 when the rest would be too short to copy. */
int chn_join(cw_chain *c, const cw_link_spec *sp, long serial, const ogg_packet hdr[3], int64_t length,
             int *done, cw_error *err);

/* Silence links (ogg_silence.c). */
int chn_silence(cw_chain *c, int64_t samples, const cw_link_meta *meta, cw_error *err);
void chn_silence_free(struct silence_tmpl *t);

#endif
