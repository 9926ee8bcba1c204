/* test_lock.c — the station lock (flock on DIR/.chalkwave.lock), across real processes:
 * exclusive excludes everything, shared admits shared, waiting gives up with CW_ELOCKED,
 * a waiter gets the lock as soon as it is released, and a killed holder releases it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static int setup_dir(void **state)
{
    char tmpl[] = "/tmp/cw-test-lock-XXXXXX";
    char *d = mkdtemp(tmpl);
    *state = d ? strdup(d) : NULL;
    return d ? 0 : -1;
}

static int teardown_dir(void **state)
{
    char *cmd = cw_asprintf("rm -rf '%s'", (char *)*state);
    int rc = system(cmd);
    (void)rc;
    free(cmd);
    free(*state);
    return 0;
}

/* A child that takes the lock (exclusive or shared), reports on a pipe, and holds it until
 * killed or until it reads a byte from its control pipe. */
typedef struct holder {
    pid_t pid;
    int ctl; /* write end: one byte = release and exit */
} holder;

static holder spawn_holder(const char *dir, int exclusive)
{
    int ready[2], ctl[2];
    holder h = {-1, -1};
    if (pipe(ready) || pipe(ctl)) return h;
    pid_t pid = fork();
    if (pid == 0) {
        close(ready[0]);
        close(ctl[1]);
        int fd;
        char ok = cw_station_lock(dir, exclusive, 0, &fd, NULL) == CW_OK ? 'y' : 'n';
        if (write(ready[1], &ok, 1) != 1) _exit(2);
        char c;
        if (read(ctl[0], &c, 1) < 0) _exit(2);
        cw_station_unlock(fd);
        _exit(0);
    }
    close(ready[1]);
    close(ctl[0]);
    char ok = 0;
    if (read(ready[0], &ok, 1) != 1 || ok != 'y') {
        close(ready[0]);
        return h;
    }
    close(ready[0]);
    h.pid = pid;
    h.ctl = ctl[1];
    return h;
}

static void release(holder *h)
{
    if (write(h->ctl, "x", 1) != 1) {}
    close(h->ctl);
    int status;
    waitpid(h->pid, &status, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_exclusive_blocks_all(void **state)
{
    const char *dir = *state;
    holder h = spawn_holder(dir, 1);
    assert_true(h.pid > 0);
    int fd;
    cw_error err = {0};
    assert_int_equal(cw_station_lock(dir, 1, 0, &fd, &err), CW_ELOCKED);
    assert_int_equal(fd, -1);
    assert_non_null(strstr(err.text, "another chalkwave"));
    assert_int_equal(cw_exit_code(CW_ELOCKED), 3);
    assert_int_equal(cw_station_lock(dir, 0, 0, &fd, &err), CW_ELOCKED);
    /* waiting a second still fails, and takes about that long (not forever, not zero) */
    double t0 = now();
    assert_int_equal(cw_station_lock(dir, 0, 1, &fd, &err), CW_ELOCKED);
    double waited = now() - t0;
    assert_true(waited >= 0.9 && waited < 5);
    release(&h);
    assert_int_equal(cw_station_lock(dir, 1, 0, &fd, &err), CW_OK);
    assert_true(fd >= 0);
    cw_station_unlock(fd);
}

static void test_shared_admits_shared(void **state)
{
    const char *dir = *state;
    holder a = spawn_holder(dir, 0);
    holder b = spawn_holder(dir, 0);
    assert_true(a.pid > 0);
    assert_true(b.pid > 0); /* two readers at once */
    int fd;
    cw_error err = {0};
    assert_int_equal(cw_station_lock(dir, 0, 0, &fd, &err), CW_OK);
    cw_station_unlock(fd);
    assert_int_equal(cw_station_lock(dir, 1, 0, &fd, &err), CW_ELOCKED); /* a writer waits */
    release(&a);
    assert_int_equal(cw_station_lock(dir, 1, 0, &fd, &err), CW_ELOCKED); /* still one reader */
    release(&b);
    assert_int_equal(cw_station_lock(dir, 1, 0, &fd, &err), CW_OK);
    /* while we write, a reader in another process is refused */
    holder c = spawn_holder(dir, 0);
    assert_int_equal(c.pid, -1);
    cw_station_unlock(fd);
    cw_station_unlock(-1); /* no-op */
}

static void test_waiter_gets_lock_on_release(void **state)
{
    const char *dir = *state;
    holder h = spawn_holder(dir, 1);
    assert_true(h.pid > 0);
    pid_t releaser = fork();
    if (releaser == 0) {
        struct timespec d = {0, 300 * 1000 * 1000};
        nanosleep(&d, NULL);
        if (write(h.ctl, "x", 1) != 1) _exit(1);
        _exit(0);
    }
    int fd;
    cw_error err = {0};
    double t0 = now();
    assert_int_equal(cw_station_lock(dir, 1, 10, &fd, &err), CW_OK);
    double waited = now() - t0;
    assert_true(waited >= 0.2 && waited < 3);
    cw_station_unlock(fd);
    waitpid(releaser, NULL, 0);
    close(h.ctl);
    waitpid(h.pid, NULL, 0);
}

static void test_killed_holder_releases(void **state)
{
    const char *dir = *state;
    holder h = spawn_holder(dir, 1);
    assert_true(h.pid > 0);
    kill(h.pid, SIGKILL);
    waitpid(h.pid, NULL, 0);
    close(h.ctl);
    int fd;
    cw_error err = {0};
    assert_int_equal(cw_station_lock(dir, 1, 0, &fd, &err), CW_OK);
    cw_station_unlock(fd);
}

static void test_lock_errors(void **state)
{
    (void)state;
    int fd;
    cw_error err = {0};
    assert_int_equal(cw_station_lock("/nonexistent/cw-station", 1, 0, &fd, &err), CW_EIO);
    assert_int_equal(fd, -1);
    assert_non_null(strstr(err.text, "cannot open the station lock"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_exclusive_blocks_all, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_shared_admits_shared, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_waiter_gets_lock_on_release, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_killed_holder_releases, setup_dir, teardown_dir),
        cmocka_unit_test(test_lock_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
