/* out_icecast.c — the Icecast output: the bundle's Ogg pages sent as they are (no
 * re-encode), each page when the wall clock reaches its first sample, so every link (item)
 * leaves at its planned instant; Icecast shows each link's TITLE/ARTIST. Between windows
 * it sends digital silence links (or disconnects, `between = nothing`); when the bundle is
 * missing or damaged, the emergency filler's pages (new serials, the last page trimmed to
 * the segment's end). A failed connection is retried with back-off while the other outputs
 * go on; the stream rejoins the plan at the page that is on air when it is back.
 * Guarantees: only whole, checksummed pages are sent; a link that must be abandoned half-way
 * is closed with an empty EOS page; consecutive links never share a serial. */
#include "air_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PAGES_PER_PUMP 64
#define QUEUE_LIMIT (1L << 20)         /* bytes queued in libshout: the server is not reading */
#define QUEUE_STUCK_NS (15 * AIR_NS)   /* queue not drained for this long: the connection is dead */
#define PRECONNECT_NS (3 * AIR_NS)     /* `between = nothing`: connect this long before airtime */
#define SILENCE_SECONDS 10

typedef struct ice {
    air_out base;
    const air_shout_ops *ops;
    void *t;
    const cw_station *st;
    int connected, is_down, failures;
    int64_t retry_mono, stuck_since;
    /* what plays */
    int have_seg;
    air_seg seg;
    int fd;                 /* pages come from fd [pos, end) or from mem */
    int own_fd;             /* fd is ours (emergency file) */
    int64_t pos, end;
    const unsigned char *mem;
    size_t mem_len;
    int hdr_left;           /* header pages still to send before jumping to join_pos */
    int64_t join_pos, join_prev;
    air_page pg;
    int have_pg;
    int64_t link_start_ns;  /* wall instant of the current link's sample 0 */
    int64_t prev_granule;   /* end sample of the last audio page taken from the link */
    int in_link;
    uint32_t link_serial, last_serial, last_seq;
    int rewrite;            /* give the link's pages link_serial */
    int64_t trim_at;        /* GAP/EMERGENCY: end the link at this sample (-1: its own end) */
    int begun;              /* the current ITEM is in the as-run */
    int64_t begun_from;
    int64_t stream_end_ns;  /* wall instant up to which audio has been sent */
    int src_links;          /* links begun from the current filler source */
    unsigned char *sil;
    size_t sil_len;
    /* an item joined inside: its rest rendered exactly from the joined sample (a short
     * re-encoded head with a fade-in, then the recording's own packets: two links) */
    FILE *join_fp;
    int64_t join_off[4];    /* samples after seg.from where each of its links begins */
    int join_links, join_k;
    size_t emerg_next;
    uint32_t counter;
} ice;

/* ---- silence ---------------------------------------------------------------------------- */

static int make_silence(ice *o, cw_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    if (!fp)
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    char title[200];
    snprintf(title, sizeof title, "%s", o->st->name ? o->st->name : "chalkwave");
    cw_strlist extra = {0};
    cw_strlist_push(&extra, "CHALKWAVE_KIND=silence");
    cw_link_meta m = {.title = title, .genre = "silence", .extra = &extra};
    cw_vorbis_enc *e = NULL;
    int rc = cw_vorbis_enc_new(&e, fp, o->st->rate, o->st->channels, o->st->quality, 0x5111e7ceu, &m, err);
    size_t n = (size_t)o->st->rate * SILENCE_SECONDS;
    float *z = rc ? NULL : calloc((size_t)o->st->channels * 4096, sizeof *z);
    if (!rc && !z)
        rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    for (size_t done = 0; !rc && done < n; done += 4096)
        rc = cw_vorbis_enc_write(e, z, n - done < 4096 ? n - done : 4096, err);
    if (rc)
        cw_vorbis_enc_abort(e);
    else
        rc = cw_vorbis_enc_finish(e, err);
    free(z);
    cw_strlist_free(&extra);
    fclose(fp);
    if (rc) {
        free(buf);
        return rc;
    }
    o->sil = (unsigned char *)buf;
    o->sil_len = len;
    return 0;
}

/* ---- the as-run of the current item ------------------------------------------------------- */

/* Samples of the current item sent so far (counted from the item's start). */
static int64_t item_pos(const ice *o)
{
    if (o->join_links)
        return o->seg.from + (o->join_k > 0 ? o->join_off[o->join_k - 1] : 0) + o->prev_granule;
    return o->prev_granule;
}

static void item_end(ice *o, const char *reason)
{
    if (!o->begun)
        return;
    air_item_ref ref = air_ref(o->seg.day, o->seg.item);
    int64_t len = o->seg.day->plan->items[o->seg.item].length_samples;
    int64_t upto = reason ? item_pos(o) : len;
    air_asrun_end(o->base.asrun, &ref, o->base.name, upto - o->begun_from, reason);
    o->begun = 0;
}

/* ---- sending ---------------------------------------------------------------------------- */

static void go_down(ice *o, const air_now *now, const char *why);

static int send_page(ice *o, const air_now *now)
{
    cw_error err = {0};
    if (o->ops->send(o->t, o->pg.data, o->pg.len, &err) < 0) {
        go_down(o, now, err.text);
        return -1;
    }
    o->last_seq = air_page_seq(&o->pg);
    o->in_link = !o->pg.eos;
    if (o->pg.bos)
        o->last_serial = o->pg.serial;
    return 0;
}

/* Close a link left half-way (an empty EOS page) so the next BOS starts a clean link. */
static void abandon_link(ice *o, const air_now *now, const char *reason)
{
    item_end(o, reason);
    if (o->in_link && o->connected) {
        unsigned char buf[32];
        air_page saved = o->pg;
        o->pg.data = buf;
        air_page_empty_eos(&o->pg, o->link_serial, o->last_seq + 1, o->prev_granule);
        send_page(o, now);
        o->pg = saved;
    }
    o->in_link = 0;
    o->have_pg = 0;
}

static void drop_seg(ice *o)
{
    if (o->have_seg)
        air_prog_release(o->base.prog, &o->seg);
    o->have_seg = 0;
    o->have_pg = 0;
    if (o->own_fd && o->fd >= 0)
        close(o->fd);
    o->fd = -1;
    o->own_fd = 0;
    o->mem = NULL;
    if (o->join_fp)
        fclose(o->join_fp);
    o->join_fp = NULL;
    o->join_links = 0;
}

static void go_down(ice *o, const air_now *now, const char *why)
{
    item_end(o, "output down");
    o->in_link = 0;
    drop_seg(o);
    if (o->connected)
        o->ops->close(o->t);
    o->connected = 0;
    o->failures++;
    o->retry_mono = now->mono + air_backoff_ns(o->failures, o->base.retry_max);
    o->stuck_since = 0;
    if (!o->is_down) {
        o->is_down = 1;
        air_asrun_down(o->base.asrun, o->base.name, now->wall, why);
        air_logf(o->base.log, CW_DIAG_WARNING, "air.output-down", o->base.name,
                 "%s: %s (trying again with back-off; the other outputs go on)", o->base.name, why);
    }
}

/* ---- links -------------------------------------------------------------------------------- */

static uint32_t fresh_serial(ice *o, uint32_t want)
{
    while (want == o->last_serial) {
        o->counter++;
        want = cw_hash32(&o->counter, sizeof o->counter) ^ (o->counter * 0x9e3779b9u);
    }
    return want;
}

/* Begin the pages of a non-item link (silence or emergency file) at the stream's end. */
static void begin_filler_link(ice *o, const air_now *now)
{
    int64_t start = o->stream_end_ns > o->seg.start_ns ? o->stream_end_ns : o->seg.start_ns;
    if (start < now->wall - AIR_NS)
        start = now->wall; /* after a pause (a reconnection) the filler starts now */
    o->link_start_ns = start;
    o->prev_granule = 0;
    o->rewrite = 1;
    o->counter++;
    o->link_serial = fresh_serial(o, cw_hash32(o->base.name, strlen(o->base.name)) ^ (o->counter * 2654435761u));
    o->trim_at = o->seg.end_ns > start ? air_ns_to_samples(o->seg.end_ns - start, o->st->rate) : 1;
    o->hdr_left = 0;
    o->join_pos = -1;
    o->src_links = 0;
}

static void start_silence(ice *o, const air_now *now)
{
    o->fd = -1;
    o->mem = o->sil;
    o->mem_len = o->sil_len;
    o->pos = 0;
    o->end = (int64_t)o->sil_len;
    begin_filler_link(o, now);
}

static void start_emergency(ice *o, const air_now *now)
{
    const char *const *paths;
    size_t n = air_prog_emergency(o->base.prog, &paths);
    for (size_t k = 0; k < n; k++) {
        const char *path = paths[(o->emerg_next + k) % n];
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat sb;
        if (fd >= 0 && fstat(fd, &sb) == 0 && sb.st_size > 0) {
            o->emerg_next = (o->emerg_next + k + 1) % n;
            o->fd = fd;
            o->own_fd = 1;
            o->mem = NULL;
            o->pos = 0;
            o->end = sb.st_size;
            begin_filler_link(o, now);
            return;
        }
        if (fd >= 0)
            close(fd);
    }
    start_silence(o, now); /* no usable emergency file: silence */
}

typedef struct join_sink {
    FILE *fp;
    int64_t *off;
    int *n;
} join_sink;

static int js_link(void *user, const cw_ogg_link *l, cw_error *err)
{
    join_sink *j = user;
    if (*j->n >= 4)
        return cw_fail(err, CW_EINTERNAL, "", 0, "a join gave more than four links (please report)");
    j->off[(*j->n)++] = l->stream_offset;
    return 0;
}

static int js_page(void *user, const unsigned char *page, size_t len, int64_t granule, cw_error *err)
{
    (void)granule;
    join_sink *j = user;
    if (fwrite(page, 1, len, j->fp) != len)
        return cw_fail(err, CW_EIO, "", 0, "cannot write a temporary file: %s", strerror(errno));
    return 0;
}

/* The rest of the item from seg.from, rendered into a temporary file with the bundle's
 * own item file as the source. 0, or -1 (then the page holding seg.from is used). */
static int join_exact(ice *o)
{
    air_day *d = o->seg.day;
    size_t i = o->seg.item;
    const cw_plan_item *it = &d->plan->items[i];
    FILE *fp = tmpfile();
    if (!fp)
        return -1;
    o->join_links = 0;
    join_sink js = {fp, o->join_off, &o->join_links};
    cw_ogg_sink sink = {&js, js_link, js_page, NULL};
    cw_chain *c = NULL;
    cw_chain_format fmt = {d->plan->rate, d->plan->channels, o->st->quality};
    char key[64];
    int n = snprintf(key, sizeof key, "air join %zu %lld", i, (long long)o->seg.from);
    cw_error err = {0};
    cw_link_meta m = {.title = it->title, .artist = it->teacher && it->teacher[0] ? it->teacher : NULL,
                      .album = it->series && it->series[0] ? it->series : NULL, .genre = cw_kind_name(it->kind)};
    cw_link_spec spec = {.path = d->item_path[i], .from = o->seg.from, .samples = it->length_samples - o->seg.from,
                         .fade_in = o->st->fade > 0 ? o->st->fade : 0, .meta = &m, .item = it, .item_index = i};
    int re = 0, rc = cw_chain_open(&c, &sink, &fmt, cw_hash32(key, (size_t)n), &err);
    if (!rc)
        rc = cw_chain_add(c, &spec, &re, &err);
    if (c) {
        int rc2 = cw_chain_close(c, rc ? NULL : &err);
        rc = rc ? rc : rc2;
    }
    if (!rc && fflush(fp) != 0)
        rc = CW_EIO;
    if (rc || !o->join_links) {
        air_logf(o->base.log, CW_DIAG_WARNING, "air.join", o->base.name,
                 "%s: cannot join item %zu exactly (%s); it starts at the page on air", o->base.name, i + 1,
                 err.text[0] ? err.text : "no link");
        fclose(fp);
        o->join_links = 0;
        return -1;
    }
    o->join_fp = fp;
    o->fd = fileno(fp);
    o->own_fd = 0;
    o->mem = NULL;
    o->pos = 0;
    o->end = ftello(fp);
    o->join_k = 0;
    o->hdr_left = 0;
    o->join_pos = -1;
    return 0;
}

/* Position the reader for segment o->seg (ITEM: its link, joining at seg.from). */
static void start_seg(ice *o, const air_now *now)
{
    o->have_pg = 0;
    if (o->seg.kind == AIR_SEG_ITEM) {
        air_day *d = o->seg.day;
        size_t i = o->seg.item;
        o->fd = d->files[d->file[i]].fd;
        o->own_fd = 0;
        o->mem = NULL;
        o->pos = d->link_pos[i];
        o->end = d->link_end[i];
        o->link_start_ns = o->seg.start_ns;
        o->prev_granule = 0;
        o->trim_at = -1;
        o->hdr_left = d->link_headers[i];
        o->join_pos = -1;
        o->rewrite = 0;
        o->begun = 0;
        if (o->seg.from > 0 && join_exact(o) == 0)
            return;
        if (o->seg.from > 0) { /* the page holding seg.from: hop page headers to it */
            unsigned char buf[27 + 255];
            air_page pk = {buf, 0, 0, 0, 0, 0};
            int64_t p = o->pos, prev = 0;
            int k = 0;
            cw_error err = {0};
            while (p < o->end && air_page_peek(o->fd, p, &pk, &err) == 0) {
                if (k++ >= o->hdr_left && pk.granule >= 0) {
                    if (pk.granule > o->seg.from)
                        break;
                    prev = pk.granule;
                }
                p += (int64_t)pk.len;
            }
            o->join_pos = p;
            o->join_prev = prev;
        }
    } else if (o->seg.kind == AIR_SEG_EMERGENCY) {
        start_emergency(o, now);
    } else if (!o->base.between_nothing) {
        start_silence(o, now);
    } else {
        o->fd = -1;
        o->mem = NULL;
        o->pos = o->end = 0;
    }
}

/* Take the next page of the link into o->pg: 0, 1 at the link's end, <0 damage. */
static int next_page(ice *o, cw_error *err)
{
    if (o->hdr_left == 0 && o->join_pos >= 0) {
        o->pos = o->join_pos;
        o->prev_granule = o->join_prev;
        o->join_pos = -1;
    }
    if (o->pos >= o->end)
        return 1;
    int rc;
    if (o->mem) {
        rc = air_page_parse(o->mem + o->pos, (size_t)(o->end - o->pos), &o->pg) ? cw_fail(err, CW_EINVAL, "", 0, "bad page")
                                                                                 : 0;
    } else {
        rc = air_page_read(o->fd, o->pos, &o->pg, err);
        if (rc == 1)
            return 1;
    }
    if (rc)
        return rc;
    o->pos += (int64_t)o->pg.len;
    if (o->hdr_left > 0)
        o->hdr_left--;
    if (o->pg.bos && o->join_links) { /* the links of a joined item: each at its place */
        int k = o->join_k < o->join_links ? o->join_k : o->join_links - 1;
        o->link_start_ns = o->seg.start_ns + air_samples_to_ns(o->seg.from + o->join_off[k], o->st->rate);
        o->prev_granule = 0;
        o->join_k++;
        o->rewrite = 0;
    }
    if (o->pg.bos && o->seg.kind != AIR_SEG_ITEM && o->src_links++ > 0) {
        o->link_start_ns = o->stream_end_ns;
        o->prev_granule = 0;
        o->counter++;
        o->link_serial = fresh_serial(o, o->link_serial ^ (o->counter * 2654435761u));
        o->trim_at = o->seg.end_ns > o->link_start_ns ? air_ns_to_samples(o->seg.end_ns - o->link_start_ns, o->st->rate) : 1;
    }
    if (o->pg.bos) {
        o->link_serial = o->rewrite ? o->link_serial : fresh_serial(o, o->pg.serial);
        o->rewrite = o->rewrite || o->link_serial != o->pg.serial;
    }
    if (o->rewrite || o->trim_at >= 0) {
        int last = o->trim_at >= 0 && o->pg.granule >= o->trim_at && o->pg.granule > 0;
        if (last)
            air_page_set_granule(&o->pg, o->trim_at > o->prev_granule ? o->trim_at : o->pg.granule);
        air_page_set(&o->pg, o->link_serial, o->pg.eos || last);
        if (last)
            o->pos = o->end; /* the rest of this link is not sent */
    }
    o->have_pg = 1;
    return 0;
}

/* The current link has been sent to its end: what comes next. */
static void link_done(ice *o, const air_now *now)
{
    if (o->pos < o->end && (o->seg.kind != AIR_SEG_ITEM || o->join_links))
        return; /* the next link of the same source (a joined item, a chained filler file) */
    if (o->seg.kind == AIR_SEG_ITEM) {
        item_end(o, NULL);
    } else if (!(o->seg.kind == AIR_SEG_GAP && o->base.between_nothing) && o->stream_end_ns < o->seg.end_ns - AIR_NS / 1000) {
        /* the silence link or the emergency file ended before the segment: another one,
         * unless a bundle has appeared meanwhile (then it plays from where it is now) */
        if (o->own_fd)
            close(o->fd);
        o->own_fd = 0;
        o->fd = -1;
        if (o->seg.kind == AIR_SEG_EMERGENCY) {
            air_seg now_seg;
            air_prog_at(o->base.prog, o->stream_end_ns, &now_seg);
            if (now_seg.kind != AIR_SEG_EMERGENCY) {
                drop_seg(o);
                o->seg = now_seg;
                o->have_seg = 1;
                start_seg(o, now);
                return;
            }
            air_prog_release(o->base.prog, &now_seg);
            start_emergency(o, now);
        } else {
            start_silence(o, now);
        }
        return;
    }
    air_seg next;
    air_prog_next(o->base.prog, &o->seg, &next);
    drop_seg(o);
    o->seg = next;
    o->have_seg = 1;
    start_seg(o, now);
}

/* ---- pump --------------------------------------------------------------------------------- */

static int64_t connect_step(ice *o, const air_now *now)
{
    if (now->mono < o->retry_mono)
        return o->retry_mono;
    cw_error err = {0};
    int rc = o->ops->open(o->t, &err);
    if (rc == 1)
        return now->mono + 20000000;
    if (rc < 0) {
        o->connected = 1; /* so go_down closes the transport */
        go_down(o, now, err.text[0] ? err.text : "cannot connect");
        return o->retry_mono;
    }
    o->connected = 1;
    o->failures = 0;
    o->last_serial = 0;
    if (o->is_down) {
        o->is_down = 0;
        air_asrun_up(o->base.asrun, o->base.name, now->wall);
        air_logf(o->base.log, CW_DIAG_INFO, "air.output-up", o->base.name, "%s: connected again", o->base.name);
    } else {
        air_logf(o->base.log, CW_DIAG_INFO, "air.output-up", o->base.name, "%s: connected", o->base.name);
    }
    drop_seg(o); /* join the plan where it is now */
    return now->mono;
}

/* `between = nothing` in a gap: stay disconnected until shortly before airtime. Returns the
 * wake-up time, or 0 when the output should be connected. */
static int64_t idle_gap(ice *o, const air_now *now)
{
    if (!o->base.between_nothing || !o->have_seg || o->seg.kind != AIR_SEG_GAP)
        return 0;
    if (o->seg.end_ns - now->wall > PRECONNECT_NS)
        goto sleep;
    air_seg after;
    air_prog_at(o->base.prog, o->seg.end_ns, &after);
    int gap_again = after.kind == AIR_SEG_GAP;
    air_prog_release(o->base.prog, &after);
    if (!gap_again)
        return 0;
sleep:
    if (o->connected) {
        abandon_link(o, now, NULL);
        o->ops->close(o->t);
        o->connected = 0;
    }
    if (now->wall >= o->seg.end_ns) {
        link_done(o, now);
        return now->mono;
    }
    int64_t wake = o->seg.end_ns - PRECONNECT_NS;
    if (wake <= now->wall)
        wake = o->seg.end_ns;
    return now->mono + (wake - now->wall);
}

/* Send what is due; returns the mono time of the next due page. */
static int64_t send_due(ice *o, const air_now *now)
{
    air_out *base = &o->base;
    for (int n = 0; n < PAGES_PER_PUMP; n++) {
        if (!o->have_seg) {
            air_prog_at(base->prog, now->wall, &o->seg);
            o->have_seg = 1;
            start_seg(o, now);
        }
        if (o->seg.kind == AIR_SEG_GAP && base->between_nothing) {
            if (o->seg.end_ns - now->wall > PRECONNECT_NS)
                return now->mono; /* idle_gap releases the connection */
            if (now->wall < o->seg.end_ns)
                return now->mono + (o->seg.end_ns - now->wall);
            link_done(o, now);
            continue;
        }
        if (!o->have_pg) {
            cw_error err = {0};
            int rc = next_page(o, &err);
            if (rc == 1) {
                link_done(o, now);
                continue;
            }
            if (rc < 0) {
                if (o->seg.kind == AIR_SEG_ITEM)
                    air_prog_damaged(base->prog, o->seg.day, o->seg.item, err.text);
                abandon_link(o, now, "bundle damaged");
                drop_seg(o);
                continue;
            }
        }
        int64_t due = o->link_start_ns + air_samples_to_ns(o->prev_granule, o->st->rate);
        if (due > now->wall)
            return now->mono + (due - now->wall);
        int audio = o->pg.granule > 0 && !o->pg.bos;
        if (audio && o->seg.kind == AIR_SEG_ITEM && !o->begun) {
            air_item_ref ref = air_ref(o->seg.day, o->seg.item);
            o->begun = 1;
            o->begun_from = o->join_links ? o->seg.from : o->prev_granule;
            air_asrun_begin(base->asrun, &ref, base->name, now->wall, o->begun_from);
        }
        if (send_page(o, now) < 0)
            return o->retry_mono;
        o->have_pg = 0;
        if (o->pg.granule > 0) {
            o->prev_granule = o->pg.granule;
            o->stream_end_ns = o->link_start_ns + air_samples_to_ns(o->pg.granule, o->st->rate);
        }
        if (o->pg.eos)
            link_done(o, now);
    }
    return now->mono;
}

static int64_t ice_pump(air_out *base, const air_now *now)
{
    ice *o = (ice *)base;
    int64_t step = air_out_clock_step(base, now);
    if ((step > AIR_NS / 2 || step < -AIR_NS / 2) && o->have_seg) {
        char why[80];
        snprintf(why, sizeof why, "clock stepped by %+.1f s", (double)step / AIR_NS);
        abandon_link(o, now, why);
        drop_seg(o);
    }
    if (o->have_seg && !o->connected && now->wall >= o->seg.end_ns)
        drop_seg(o); /* while down, follow the programme so `between = nothing` still applies */
    if (!o->have_seg) {
        air_prog_at(base->prog, now->wall, &o->seg);
        o->have_seg = 1;
        start_seg(o, now);
    }
    int64_t idle = idle_gap(o, now);
    if (idle)
        return idle;
    if (!o->connected) {
        int64_t w = connect_step(o, now);
        if (!o->connected)
            return w;
    }
    if (o->ops->queued(o->t) > 0) { /* push what libshout still holds */
        cw_error err = {0};
        if (o->ops->send(o->t, NULL, 0, &err) < 0) {
            go_down(o, now, err.text);
            return o->retry_mono;
        }
    }
    int64_t wake = send_due(o, now);
    if (!o->connected)
        return o->retry_mono;
    /* the server takes what we send? */
    long q = o->ops->queued(o->t);
    if (q > 0) {
        if (!o->stuck_since)
            o->stuck_since = now->mono;
        if (q > QUEUE_LIMIT || now->mono - o->stuck_since > QUEUE_STUCK_NS) {
            go_down(o, now, "the server does not take the stream (nothing sent for 15 s)");
            return o->retry_mono;
        }
        if (wake > now->mono + 50000000)
            wake = now->mono + 50000000;
    } else {
        o->stuck_since = 0;
    }
    return wake;
}

static void ice_stop(air_out *base, const air_now *now)
{
    ice *o = (ice *)base;
    abandon_link(o, now, "chalkwave stopped");
    drop_seg(o);
    if (o->connected)
        o->ops->close(o->t);
    o->connected = 0;
}

static void ice_free(air_out *base)
{
    ice *o = (ice *)base;
    drop_seg(o);
    if (o->ops && o->t)
        o->ops->free(o->t);
    free(o->pg.data);
    free(o->sil);
    free(o);
}

static const air_out_ops ice_ops = {ice_pump, ice_stop, ice_free};

int air_out_icecast_new(air_out **out, const air_out_env *env, const char *name, const air_shout_ops *ops,
                        void *transport, cw_error *err)
{
    *out = NULL;
    ice *o = calloc(1, sizeof *o);
    unsigned char *buf = malloc(AIR_MAX_PAGE);
    if (!o || !buf) {
        free(o);
        free(buf);
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    }
    o->base.ops = &ice_ops;
    snprintf(o->base.name, sizeof o->base.name, "%s", name);
    o->base.prog = env->prog;
    o->base.asrun = env->asrun;
    o->base.log = env->log;
    o->base.clock = env->clock;
    o->base.retry_max = env->retry_max;
    o->base.between_nothing = env->between_nothing;
    o->ops = ops;
    o->t = transport;
    o->st = env->st;
    o->fd = -1;
    o->pg.data = buf;
    int rc = make_silence(o, err);
    if (rc) {
        o->t = NULL;
        ice_free(&o->base);
        return rc;
    }
    *out = &o->base;
    return 0;
}
