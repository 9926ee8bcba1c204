/* test_files.c — common/ file helpers: atomic writes never show a partial file under the
 * final name and leave no temporary behind; stale temporaries of dead processes are cleaned
 * (live ones are kept); bounded reads refuse folders, devices and FIFOs; path safety; SHA-256
 * against known vectors. Each test works in its own mkdtemp folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static int setup_dir(void **state)
{
    char tmpl[] = "/tmp/cw-test-files-XXXXXX";
    char *d = mkdtemp(tmpl);
    if (!d) return -1;
    *state = strdup(d);
    return *state ? 0 : -1;
}

static int rm_rf(const char *path)
{
    char *cmd = cw_asprintf("rm -rf '%s'", path);
    int rc = system(cmd);
    free(cmd);
    return rc;
}

static int teardown_dir(void **state)
{
    rm_rf(*state);
    free(*state);
    return 0;
}

static char *at(void **state, const char *name) { return cw_path_join(*state, name); }

static size_t count_entries(const char *dir, const char *contains)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && (!contains || strstr(e->d_name, contains))) n++;
    if (d) closedir(d);
    return n;
}

static char *slurp(const char *path, size_t *len)
{
    char *data;
    cw_error err;
    if (cw_read_file(path, 1 << 20, &data, len, &err)) return NULL;
    return data;
}

static void test_atomic_write(void **state)
{
    char *path = at(state, "plan.json");
    cw_error err = {0};
    assert_int_equal(cw_write_file_atomic(path, "first\n", 6, &err), CW_OK);
    size_t len;
    char *got = slurp(path, &len);
    assert_non_null(got);
    assert_int_equal(len, 6);
    assert_memory_equal(got, "first\n", 6);
    free(got);
    /* replaces an existing file; an empty write gives an empty file */
    assert_int_equal(cw_write_file_atomic(path, "", 0, &err), CW_OK);
    got = slurp(path, &len);
    assert_int_equal(len, 0);
    free(got);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    assert_int_equal(count_entries(*state, NULL), 1); /* no temporary left */
    free(path);
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

/* A replaced file keeps its permission bits (station.conf made private stays private); the
 * _mode variants give exactly the bits asked for, the temporary included, from its creation. */
static void test_atomic_modes(void **state)
{
    char *path = at(state, "station.conf"), *secret = at(state, "subscriptions.conf");
    cw_error err = {0};
    assert_int_equal(cw_write_file_atomic(path, "a\n", 2, &err), CW_OK);
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(cw_write_file_atomic(path, "b\n", 2, &err), CW_OK);
    assert_int_equal(mode_of(path), 0600);
    assert_int_equal(chmod(path, 0640), 0);
    assert_int_equal(cw_write_file_atomic(path, "c\n", 2, &err), CW_OK);
    assert_int_equal(mode_of(path), 0640);
    /* a file that was readable by everyone and is now written with secrets: exactly 0600 */
    assert_int_equal(cw_write_file_atomic(secret, "x\n", 2, &err), CW_OK);
    assert_int_equal(mode_of(secret), 0644);
    cw_atomic *a;
    assert_int_equal(cw_atomic_open_mode(&a, secret, 0600, &err), CW_OK);
    assert_int_equal(mode_of(cw_atomic_tmp_path(a)), 0600);
    fputs("url = https://example.org/private-token/basic.ics\n", cw_atomic_fp(a));
    assert_int_equal(cw_atomic_commit(a, &err), CW_OK);
    assert_int_equal(mode_of(secret), 0600);
    assert_int_equal(cw_write_file_atomic_mode(secret, "y\n", 2, 0600, &err), CW_OK);
    assert_int_equal(mode_of(secret), 0600);
    unlink(secret);
    assert_int_equal(cw_write_file_atomic_mode(secret, "z\n", 2, 0600, &err), CW_OK);
    assert_int_equal(mode_of(secret), 0600);
    assert_int_equal(count_entries(*state, ".tmp-"), 0);
    free(path);
    free(secret);
}

static void test_atomic_partial_invisible(void **state)
{
    char *path = at(state, "day.ogg");
    cw_error err = {0};
    assert_int_equal(cw_write_file_atomic(path, "OLD", 3, &err), CW_OK);
    cw_atomic *a;
    assert_int_equal(cw_atomic_open(&a, path, &err), CW_OK);
    const char *tmp = cw_atomic_tmp_path(a);
    /* the temporary is in the same folder, hidden, named after the target */
    assert_non_null(strstr(tmp, "/.day.ogg.tmp-"));
    assert_int_equal(strncmp(tmp, *state, strlen(*state)), 0);
    char big[65536];
    memset(big, 'N', sizeof big);
    for (int i = 0; i < 16; i++) assert_int_equal(fwrite(big, 1, sizeof big, cw_atomic_fp(a)), sizeof big);
    fflush(cw_atomic_fp(a));
    /* while writing, the final name still holds the old content */
    size_t len;
    char *got = slurp(path, &len);
    assert_int_equal(len, 3);
    assert_memory_equal(got, "OLD", 3);
    free(got);
    assert_int_equal(count_entries(*state, ".tmp-"), 1);
    assert_int_equal(cw_atomic_commit(a, &err), CW_OK);
    got = slurp(path, &len);
    assert_int_equal(len, 16 * sizeof big);
    assert_int_equal(got[0], 'N');
    free(got);
    assert_int_equal(count_entries(*state, ".tmp-"), 0);

    /* abort removes the temporary and keeps the old file */
    assert_int_equal(cw_atomic_open(&a, path, &err), CW_OK);
    fputs("half", cw_atomic_fp(a));
    cw_atomic_abort(a);
    got = slurp(path, &len);
    assert_int_equal(len, 16 * sizeof big);
    free(got);
    assert_int_equal(count_entries(*state, NULL), 1);
    cw_atomic_abort(NULL);
    free(path);
}

static void test_atomic_killed_writer(void **state)
{
    /* A writer killed between open and commit leaves only a hidden temporary; the final
     * name keeps the old bytes, and cleanup removes the temporary of the dead PID. */
    char *path = at(state, "station.conf");
    cw_error err = {0};
    assert_int_equal(cw_write_file_atomic(path, "OLD", 3, &err), CW_OK);
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        cw_atomic *a;
        if (cw_atomic_open(&a, path, NULL)) _exit(1);
        fputs("NEW BUT UNFINISHED", cw_atomic_fp(a));
        fflush(cw_atomic_fp(a));
        if (write(pfd[1], "x", 1) != 1) _exit(1);
        pause();
        _exit(0);
    }
    char c;
    assert_int_equal(read(pfd[0], &c, 1), 1);
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    close(pfd[0]);
    close(pfd[1]);
    size_t len;
    char *got = slurp(path, &len);
    assert_int_equal(len, 3);
    assert_memory_equal(got, "OLD", 3);
    free(got);
    assert_int_equal(count_entries(*state, ".tmp-"), 1);
    cw_cleanup_stale_tmp(*state);
    assert_int_equal(count_entries(*state, ".tmp-"), 0);
    assert_int_equal(count_entries(*state, NULL), 1);
    free(path);
}

static void test_atomic_errors(void **state)
{
    cw_error err = {0};
    cw_atomic *a = (cw_atomic *)1;
    char *path = at(state, "no/such/dir/file");
    assert_int_equal(cw_atomic_open(&a, path, &err), CW_EIO);
    assert_null(a);
    assert_non_null(strstr(err.text, "cannot create"));
    assert_int_equal(cw_write_file_atomic(path, "x", 1, &err), CW_EIO);
    free(path);
}

static void make_file(const char *dir, const char *name, const char *content)
{
    char *p = cw_path_join(dir, name);
    FILE *fp = fopen(p, "w");
    assert_non_null(fp);
    fputs(content, fp);
    fclose(fp);
    free(p);
}

static void test_stale_tmp_cleanup(void **state)
{
    /* find a PID that is not running */
    pid_t dead = fork();
    assert_true(dead >= 0);
    if (dead == 0) _exit(0);
    waitpid(dead, NULL, 0);
    char name[128];
    snprintf(name, sizeof name, ".plan.json.tmp-%ld-3", (long)dead);
    make_file(*state, name, "stale");
    snprintf(name, sizeof name, ".plan.json.tmp-%ld-0", (long)getpid()); /* ours: kept */
    make_file(*state, name, "mine");
    snprintf(name, sizeof name, ".plan.json.tmp-%ld-0", (long)getppid()); /* live parent: kept */
    make_file(*state, name, "live");
    /* a stale bundle directory ".DATE.tmp-PID" with content */
    snprintf(name, sizeof name, "%s/.2027-01-13.tmp-%ld", (char *)*state, (long)dead);
    assert_int_equal(mkdir(name, 0755), 0);
    make_file(name, "day.ogg", "partial");
    /* look-alikes that are not ours: kept */
    make_file(*state, "plan.json", "final");
    make_file(*state, ".hidden", "x");
    make_file(*state, ".x.tmp-abc", "x");
    make_file(*state, ".x.tmp-12x", "x");
    make_file(*state, "notes.tmp-1-1", "x"); /* not hidden */
    assert_int_equal(count_entries(*state, NULL), 9);
    cw_cleanup_stale_tmp(*state);
    assert_int_equal(count_entries(*state, NULL), 7);
    snprintf(name, sizeof name, ".plan.json.tmp-%ld-3", (long)dead);
    char *p = at(state, name);
    assert_false(cw_path_exists(p));
    free(p);
    snprintf(name, sizeof name, ".2027-01-13.tmp-%ld", (long)dead);
    p = at(state, name);
    assert_false(cw_path_exists(p));
    free(p);
    p = at(state, "plan.json");
    assert_true(cw_path_exists(p));
    free(p);
    cw_cleanup_stale_tmp("/nonexistent/cw-test"); /* no crash */
}

static void test_read_file(void **state)
{
    cw_error err = {0};
    char *data = (char *)1;
    size_t len = 99;
    make_file(*state, "small.txt", "hello\n");
    char *p = at(state, "small.txt");
    assert_int_equal(cw_read_file(p, 100, &data, &len, &err), CW_OK);
    assert_int_equal(len, 6);
    assert_string_equal(data, "hello\n");
    free(data);
    /* exactly at the limit is fine, one over is refused */
    assert_int_equal(cw_read_file(p, 6, &data, &len, &err), CW_OK);
    free(data);
    assert_int_equal(cw_read_file(p, 5, &data, &len, &err), CW_ELIMIT);
    assert_null(data);
    assert_non_null(strstr(err.text, "too large"));
    free(p);
    /* missing file */
    p = at(state, "missing.txt");
    assert_int_equal(cw_read_file(p, 100, &data, &len, &err), CW_ENOTFOUND);
    assert_string_equal(err.source, p);
    free(p);
    /* a folder, a device, a FIFO: refused without blocking */
    assert_int_equal(cw_read_file(*state, 100, &data, &len, &err), CW_EINVAL);
    assert_non_null(strstr(err.text, "not a regular file"));
    assert_int_equal(cw_read_file("/dev/zero", 100, &data, &len, &err), CW_EINVAL);
    p = at(state, "fifo");
    assert_int_equal(mkfifo(p, 0644), 0);
    assert_int_equal(cw_read_file(p, 100, &data, &len, &err), CW_EINVAL);
    free(p);
    /* a symlink to a regular file is followed */
    p = at(state, "link.txt");
    assert_int_equal(symlink("small.txt", p), 0);
    assert_int_equal(cw_read_file(p, 100, &data, &len, &err), CW_OK);
    assert_int_equal(len, 6);
    free(data);
    free(p);
}

static void test_mkdir_p(void **state)
{
    cw_error err = {0};
    char *p = at(state, "a/b/c/d");
    assert_int_equal(cw_mkdir_p(p, &err), CW_OK);
    assert_true(cw_is_dir(p));
    assert_int_equal(cw_mkdir_p(p, &err), CW_OK); /* idempotent */
    free(p);
    p = at(state, "x/y/");
    assert_int_equal(cw_mkdir_p(p, &err), CW_OK);
    assert_true(cw_is_dir(p));
    free(p);
    make_file(*state, "file", "x");
    p = at(state, "file");
    assert_int_equal(cw_mkdir_p(p, &err), CW_EIO);
    assert_non_null(strstr(err.text, "not a folder"));
    free(p);
    p = at(state, "file/sub");
    assert_int_equal(cw_mkdir_p(p, &err), CW_EIO);
    free(p);
    /* an empty name is refused (it read past the end of its copy) */
    assert_int_equal(cw_mkdir_p("", &err), CW_EINVAL);
    assert_int_equal(cw_mkdir_p(NULL, &err), CW_EINVAL);
}

static void test_paths(void **state)
{
    (void)state;
    char *j = cw_path_join("a", "b");
    assert_string_equal(j, "a/b");
    free(j);
    j = cw_path_join("a/", "b");
    assert_string_equal(j, "a/b");
    free(j);
    j = cw_path_join("", "b");
    assert_string_equal(j, "b");
    free(j);
    j = cw_path_join(NULL, "b");
    assert_string_equal(j, "b");
    free(j);
    assert_string_equal(cw_path_base("/x/y/z.ogg"), "z.ogg");
    assert_string_equal(cw_path_base("z.ogg"), "z.ogg");
    assert_string_equal(cw_path_base("dir/"), "");

    static const char *safe[] = {"a", "library/lesson/maths-p5/002-adding.ogg", "a/b.c/d", ".hidden", "...",
                                 "a..b", "x/..y", "caf\xc3\xa9.ogg"};
    for (size_t i = 0; i < sizeof safe / sizeof safe[0]; i++)
        if (!cw_path_is_safe_relative(safe[i])) fail_msg("'%s' should be safe", safe[i]);
    static const char *unsafe[] = {"", "/etc/passwd", "..", "../x", "a/../../x", "a/..", "./a", "a/./b", "a//b",
                                   "a/", "a\\b", "..\\x", "a\nb", "a\tb", "a\x7f", "a\x1b[31m"};
    for (size_t i = 0; i < sizeof unsafe / sizeof unsafe[0]; i++)
        if (cw_path_is_safe_relative(unsafe[i])) fail_msg("'%s' should be unsafe", unsafe[i]);
    assert_false(cw_path_is_safe_relative(NULL));
    char seg[300];
    memset(seg, 'a', 256);
    seg[256] = 0;
    assert_false(cw_path_is_safe_relative(seg)); /* a 256-byte segment */
    seg[255] = 0;
    assert_true(cw_path_is_safe_relative(seg));
    char longp[1100];
    for (int i = 0; i < 1030; i++) longp[i] = (i % 10 == 9) ? '/' : 'b';
    longp[1030] = 0;
    assert_false(cw_path_is_safe_relative(longp)); /* longer than 1024 */
    longp[1019] = 0;
    assert_true(cw_path_is_safe_relative(longp));
}

static void test_resolves_inside(void **state)
{
    char *lib = at(state, "station/library");
    cw_error err = {0};
    assert_int_equal(cw_mkdir_p(lib, &err), CW_OK);
    make_file(lib, "ok.ogg", "x");
    char *outside = at(state, "secret.txt");
    make_file(*state, "secret.txt", "s");
    char *link = cw_path_join(lib, "escape.ogg");
    assert_int_equal(symlink(outside, link), 0);
    char *inlink = cw_path_join(lib, "alias.ogg");
    assert_int_equal(symlink("ok.ogg", inlink), 0);
    char *dirlink = cw_path_join(lib, "out");
    assert_int_equal(symlink(*state, dirlink), 0); /* a folder link to outside the station */
    char *sub = cw_path_join(lib, "sub");
    assert_int_equal(mkdir(sub, 0755), 0);

    assert_true(cw_path_resolves_inside(lib, "ok.ogg"));
    assert_true(cw_path_resolves_inside(lib, "alias.ogg")); /* symlink that stays inside */
    assert_false(cw_path_resolves_inside(lib, "escape.ogg"));
    assert_false(cw_path_resolves_inside(lib, "out/secret.txt")); /* leaves through a folder link */
    assert_false(cw_path_resolves_inside(lib, "../secret.txt"));
    assert_false(cw_path_resolves_inside(lib, outside));
    assert_false(cw_path_resolves_inside(lib, "missing.ogg"));
    assert_false(cw_path_resolves_inside(lib, "sub")); /* not a regular file */
    /* a root that is a prefix of a sibling: library-evil/ is not inside library/ */
    char *evil = at(state, "station/library-evil");
    assert_int_equal(mkdir(evil, 0755), 0);
    make_file(evil, "x.ogg", "x");
    char *evlink = cw_path_join(lib, "sib.ogg");
    assert_int_equal(symlink("../library-evil/x.ogg", evlink), 0);
    assert_false(cw_path_resolves_inside(lib, "sib.ogg"));
    free(lib), free(outside), free(link), free(inlink), free(dirlink), free(sub), free(evil), free(evlink);
}

static void test_sha256(void **state)
{
    char hex[65];
    cw_sha256 *h = cw_sha256_new();
    assert_non_null(h);
    cw_sha256_final(h, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    h = cw_sha256_new();
    cw_sha256_update(h, "a", 1);
    cw_sha256_update(h, "bc", 2);
    cw_sha256_final(h, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    /* a file of one million 'a' (FIPS 180-2 vector), read in blocks */
    char *p = at(state, "million");
    FILE *fp = fopen(p, "w");
    for (int i = 0; i < 1000000; i++) fputc('a', fp);
    fclose(fp);
    cw_error err = {0};
    assert_int_equal(cw_sha256_file(p, hex, &err), CW_OK);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(p);
    p = at(state, "nope");
    assert_int_equal(cw_sha256_file(p, hex, &err), CW_EIO);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_atomic_write, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_atomic_partial_invisible, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_atomic_modes, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_atomic_killed_writer, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_atomic_errors, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_stale_tmp_cleanup, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_read_file, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_mkdir_p, setup_dir, teardown_dir),
        cmocka_unit_test(test_paths),
        cmocka_unit_test_setup_teardown(test_resolves_inside, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_sha256, setup_dir, teardown_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
