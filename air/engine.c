/* engine.c — `chalkwave air` put together: the station's air lock, the as-run log, the
 * programme and one thread per output, a heartbeat (as-run state, clock steps) and a builder
 * for --build-ahead; and a single-threaded runner on an injected clock for tests.
 * Guarantees: two `air` processes on one station refuse (an flock on .chalkwave-air.lock,
 * released by the kernel however the process ends); a stop request ends every output's
 * current item in the as-run log before cw_air_run returns. */
#include "air_int.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <shout/shout.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#if defined(__SSE2__)
#include <pmmintrin.h>
#endif

#define SLEEP_CHUNK_NS (200 * 1000000LL) /* outputs look at the stop flag this often */
#define BUILD_EVERY_NS (60 * AIR_NS)

struct cw_air {
    const cw_station *st;
    cw_tz *tz;
    cw_air_clock *clock;
    air_log log;
    air_asrun *asrun;
    air_prog *prog;
    air_out **outs;
    size_t n_outs;
    int lock_fd;
    int between_nothing, retry_max;
    volatile sig_atomic_t *stop;
    int64_t wall_minus_mono;
};

static int air_lock(cw_air *a, cw_error *err)
{
    char *path = cw_path_join(a->st->dir, ".chalkwave-air.lock");
    if (!path)
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        int rc = cw_fail(err, CW_EIO, path, 0, "cannot open the air lock '%s': %s (check the station folder is writable)",
                         path, strerror(errno));
        free(path);
        return rc;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char pid[32] = "";
        ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
        pid[n > 0 ? n : 0] = 0;
        pid[strcspn(pid, "\n")] = 0;
        close(fd);
        int rc = cw_fail(err, CW_ELOCKED, path, 0,
                         "another 'chalkwave air' is playing this station%s%s%s (stop it first; two players on one "
                         "station would air everything twice)",
                         pid[0] ? " (process " : "", pid, pid[0] ? ")" : "");
        free(path);
        return rc;
    }
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)n, 0) != n) {
        /* the pid is only for the message a second air prints */
    }
    a->lock_fd = fd;
    free(path);
    return 0;
}

static int make_output(cw_air *a, const cw_air_output_spec *spec, air_out **out, cw_error *err)
{
    air_out_env env = cw_air_env(a);
    void *t = NULL;
    int rc;
    if (spec->type == CW_AIR_OUT_ICECAST) {
        if ((rc = air_shout_libshout(&t, spec, a->st, err)) != 0)
            return rc;
        rc = air_out_icecast_new(out, &env, spec->display, &air_shout_libshout_ops, t, err);
        if (rc)
            air_shout_libshout_ops.free(t);
        return rc;
    }
    if ((rc = air_card_alsa(&t, spec->device, err)) != 0)
        return rc;
    rc = air_out_alsa_new(out, &env, spec->display, &air_card_alsa_ops, t, err);
    if (rc)
        air_card_alsa_ops.free(t);
    return rc;
}

int cw_air_new(cw_air **out, const cw_station *st, const cw_air_opts *opts, cw_error *err)
{
    *out = NULL;
    cw_air *a = calloc(1, sizeof *a);
    if (!a)
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    a->st = st;
    a->lock_fd = -1;
    a->clock = opts->clock ? opts->clock : cw_air_clock_system();
    a->between_nothing = opts->between_nothing;
    a->retry_max = opts->retry_max > 0 ? opts->retry_max : 60;
    pthread_mutex_init(&a->log.mu, NULL);
    a->log.fn = opts->log;
    a->log.user = opts->log_user;
    a->log.clock = a->clock;
    shout_init();
    int rc = cw_tz_open(&a->tz, st->timezone ? st->timezone : "UTC", err);
    if (!rc)
        rc = air_lock(a, err);
    if (!rc)
        rc = air_asrun_open(&a->asrun, st->dir, a->tz, a->clock, &a->log, err);
    if (!rc)
        rc = air_prog_new(&a->prog, st, a->tz, a->asrun, &a->log, opts->build, opts->build_user, err);
    if (!rc && opts->n_outputs) {
        a->outs = calloc(opts->n_outputs, sizeof *a->outs);
        if (!a->outs)
            rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        for (size_t i = 0; !rc && i < opts->n_outputs; i++) {
            rc = make_output(a, &opts->outputs[i], &a->outs[i], err);
            if (!rc)
                a->n_outs++;
        }
    }
    if (rc) {
        cw_air_free(a);
        return rc;
    }
    *out = a;
    return 0;
}

void cw_air_free(cw_air *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n_outs; i++)
        if (a->outs[i])
            a->outs[i]->ops->free(a->outs[i]);
    free(a->outs);
    air_prog_free(a->prog);
    air_asrun_free(a->asrun);
    cw_tz_free(a->tz);
    if (a->lock_fd >= 0)
        close(a->lock_fd);
    pthread_mutex_destroy(&a->log.mu);
    shout_shutdown();
    free(a);
}

/* ---- test hooks ---------------------------------------------------------------------- */

air_out_env cw_air_env(cw_air *a)
{
    air_out_env env = {a->prog, a->asrun, &a->log, a->clock, a->st, a->retry_max, a->between_nothing};
    return env;
}

air_asrun *cw_air_asrun(cw_air *a)
{
    return a->asrun;
}

air_prog *cw_air_prog(cw_air *a)
{
    return a->prog;
}

int cw_air_set_outputs(cw_air *a, air_out **outs, size_t n)
{
    for (size_t i = 0; i < a->n_outs; i++)
        a->outs[i]->ops->free(a->outs[i]);
    free(a->outs);
    a->outs = calloc(n ? n : 1, sizeof *a->outs);
    if (!a->outs)
        return CW_ENOMEM;
    memcpy(a->outs, outs, n * sizeof *outs);
    a->n_outs = n;
    return 0;
}

/* ---- running -------------------------------------------------------------------------- */

static void start_record(cw_air *a, int64_t wall)
{
    json_t *o = json_object(), *outs = json_array();
    json_object_set_new(o, "pid", json_integer((json_int_t)getpid()));
    json_object_set_new(o, "version", json_string(CW_VERSION));
    for (size_t i = 0; i < a->n_outs; i++)
        json_array_append_new(outs, json_string(a->outs[i]->name));
    json_object_set_new(o, "outputs", outs);
    air_asrun_event(a->asrun, "start", wall, o);
    air_logf(&a->log, CW_DIAG_INFO, "air.start", NULL, "playing %s to %zu output%s", a->st->name ? a->st->name : "the station",
             a->n_outs, a->n_outs == 1 ? "" : "s");
}

/* The heartbeat notices wall-clock steps for the log (each output re-joins on its own). */
static void clock_check(cw_air *a, const air_now *now)
{
    int64_t off = now->wall - now->mono;
    if (a->wall_minus_mono) {
        int64_t step = off - a->wall_minus_mono;
        if (step > 5000000 || step < -5000000) {
            json_t *o = json_object();
            json_object_set_new(o, "step_s", json_real((double)step / AIR_NS));
            air_asrun_event(a->asrun, "clock", now->wall, o);
            air_logf(&a->log, CW_DIAG_WARNING, "air.clock-step", NULL,
                     "the system clock stepped by %+.3f s; outputs follow the new time", (double)step / AIR_NS);
        }
    }
    a->wall_minus_mono = off;
}

typedef struct thread_arg {
    cw_air *a;
    air_out *o;
} thread_arg;

static void sleep_until(cw_air *a, int64_t mono)
{
    for (;;) {
        int64_t now = a->clock->mono_ns(a->clock);
        if (now >= mono || *a->stop)
            return;
        a->clock->sleep_until(a->clock, mono - now > SLEEP_CHUNK_NS ? now + SLEEP_CHUNK_NS : mono);
    }
}

/* Denormal floats (the resampler's filter ringing out into silence) cost fifty times more
 * than normal ones: flush them to zero in the threads that process audio. */
static void fp_setup(void)
{
#if defined(__SSE2__)
    _MM_SET_FLUSH_ZERO_MODE(_MM_FLUSH_ZERO_ON);
    _MM_SET_DENORMALS_ZERO_MODE(_MM_DENORMALS_ZERO_ON);
#endif
}

static void *output_thread(void *p)
{
    thread_arg *t = p;
    fp_setup();
    while (!*t->a->stop) {
        air_now now = air_now_read(t->a->clock);
        int64_t next = t->o->ops->pump(t->o, &now);
        sleep_until(t->a, next);
    }
    air_now now = air_now_read(t->a->clock);
    t->o->ops->stop(t->o, &now);
    return NULL;
}

static void *builder_thread(void *p)
{
    cw_air *a = p;
    int64_t next = 0;
    while (!*a->stop) {
        int64_t mono = a->clock->mono_ns(a->clock);
        if (mono >= next) {
            air_prog_build_ahead(a->prog, a->clock->wall_ns(a->clock));
            next = a->clock->mono_ns(a->clock) + BUILD_EVERY_NS;
        }
        sleep_until(a, next);
    }
    return NULL;
}

int cw_air_run(cw_air *a, volatile sig_atomic_t *stop, cw_error *err)
{
    a->stop = stop;
    if (air_asrun_start_writer(a->asrun) != 0)
        return cw_fail(err, CW_EIO, "", 0, "cannot start the as-run writer");
    air_now now = air_now_read(a->clock);
    start_record(a, now.wall);
    thread_arg *args = calloc(a->n_outs ? a->n_outs : 1, sizeof *args);
    pthread_t *th = calloc(a->n_outs ? a->n_outs : 1, sizeof *th);
    pthread_t builder;
    int have_builder = 0;
    size_t started = 0;
    if (!args || !th) {
        free(args);
        free(th);
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    }
    for (size_t i = 0; i < a->n_outs; i++) {
        args[i].a = a;
        args[i].o = a->outs[i];
        if (pthread_create(&th[i], NULL, output_thread, &args[i]) != 0)
            break;
        started++;
    }
    have_builder = pthread_create(&builder, NULL, builder_thread, a) == 0;
    int rc = started == a->n_outs ? 0 : cw_fail(err, CW_EIO, "", 0, "cannot start the output threads");
    if (rc)
        *stop = 1;
    while (!*stop) {
        now = air_now_read(a->clock);
        clock_check(a, &now);
        air_asrun_tick(a->asrun, now.wall);
        air_prog_watch(a->prog, now.wall);
        sleep_until(a, now.mono + AIR_NS);
    }
    for (size_t i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    if (have_builder)
        pthread_join(builder, NULL);
    now = air_now_read(a->clock);
    air_asrun_close(a->asrun, now.wall);
    air_logf(&a->log, CW_DIAG_INFO, "air.stop", NULL, "stopped; the as-run log says where");
    free(args);
    free(th);
    return rc;
}

int cw_air_run_until(cw_air *a, int64_t until_ns, cw_error *err)
{
    (void)err;
    fp_setup();
    static volatile sig_atomic_t never = 0;
    if (!a->stop)
        a->stop = &never;
    air_now now = air_now_read(a->clock);
    if (!a->wall_minus_mono)
        start_record(a, now.wall);
    int64_t *due = calloc(a->n_outs ? a->n_outs : 1, sizeof *due);
    if (!due)
        return CW_ENOMEM;
    int64_t next_tick = now.mono, next_build = now.mono, next_watch = now.mono;
    for (;;) {
        now = air_now_read(a->clock);
        if (now.wall >= until_ns)
            break;
        if (now.mono >= next_watch) {
            clock_check(a, &now);
            air_prog_watch(a->prog, now.wall);
            next_watch = now.mono + AIR_NS;
        }
        if (now.mono >= next_tick) {
            air_asrun_tick(a->asrun, now.wall);
            next_tick = now.mono + 30 * AIR_NS; /* virtual days: the state file need not move every second */
        }
        if (now.mono >= next_build) {
            air_prog_build_ahead(a->prog, now.wall);
            next_build = now.mono + BUILD_EVERY_NS;
        }
        int64_t soonest = next_tick < next_build ? next_tick : next_build;
        if (next_watch < soonest)
            soonest = next_watch;
        for (size_t i = 0; i < a->n_outs; i++) {
            if (due[i] <= now.mono)
                due[i] = a->outs[i]->ops->pump(a->outs[i], &now);
            if (due[i] < soonest)
                soonest = due[i];
        }
        int64_t limit = now.mono + (until_ns - now.wall);
        if (soonest > limit)
            soonest = limit;
        if (soonest > now.mono)
            a->clock->sleep_until(a->clock, soonest);
    }
    free(due);
    return 0;
}

/* Stop every output (tests: the end of a virtual run). */
void cw_air_stop_outputs(cw_air *a);
void cw_air_stop_outputs(cw_air *a)
{
    air_now now = air_now_read(a->clock);
    for (size_t i = 0; i < a->n_outs; i++)
        a->outs[i]->ops->stop(a->outs[i], &now);
    air_asrun_close(a->asrun, now.wall);
}
