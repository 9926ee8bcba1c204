/* test_accounts.c — desk/accounts.c and store.c: staff users (add, verify, new password,
 * remove, refusals), teachers (tokens stored only as hashes, lookup, relink, revoke), the
 * files' modes (0600 in a 0700 folder), no lost update when two processes add teachers at
 * once, and a damaged file reported rather than reset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "desk_int.h"

static int setup_dir(void **state)
{
    char tmpl[] = "/tmp/cw-test-desk-XXXXXX";
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

static char *read_all(const char *dir, const char *name)
{
    char *p = desk_store_path(dir, name), *text = NULL;
    size_t len;
    cw_error err = {0};
    if (cw_read_file(p, 1 << 20, &text, &len, &err)) text = NULL;
    free(p);
    return text;
}

static void test_users(void **state)
{
    const char *dir = *state;
    cw_error err = {0};
    assert_int_equal(cw_desk_user_add(dir, "amina", "correct horse", &err), 0);
    assert_int_equal(cw_desk_user_add(dir, "Amina", "another one", &err), CW_EEXIST); /* names differ in case only */
    assert_int_equal(cw_desk_user_add(dir, "bob", "short", &err), CW_EINVAL);
    assert_non_null(strstr(err.text, "shorter than 8"));
    assert_int_equal(cw_desk_user_add(dir, "a/b", "long enough", &err), CW_EINVAL);
    assert_int_equal(desk_user_verify(dir, "amina", "correct horse", &err), 0);
    assert_int_equal(desk_user_verify(dir, "amina", "wrong horse!", &err), CW_EINVAL);
    assert_int_equal(desk_user_verify(dir, "nobody", "correct horse", &err), CW_EINVAL);
    assert_int_equal(desk_user_verify(dir, "amina", "", &err), CW_EINVAL);
    /* the password is not in the file; the hash is libsodium's argon2id string */
    char *text = read_all(dir, "users.json");
    assert_non_null(text);
    assert_null(strstr(text, "correct horse"));
    assert_non_null(strstr(text, "$argon2id$"));
    free(text);
    char e1[17], e2[17];
    assert_true(desk_user_exists(dir, "amina", e1));
    assert_int_equal(cw_desk_user_passwd(dir, "amina", "battery staple", &err), 0);
    assert_true(desk_user_exists(dir, "amina", e2));
    assert_string_not_equal(e1, e2); /* a new password ends old logins */
    assert_int_equal(desk_user_verify(dir, "amina", "correct horse", &err), CW_EINVAL);
    assert_int_equal(desk_user_verify(dir, "amina", "battery staple", &err), 0);
    assert_int_equal(cw_desk_user_add(dir, "bob", "bob's password", &err), 0);
    cw_desk_user *v;
    size_t n;
    assert_int_equal(cw_desk_user_list(dir, &v, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(v[0].name, "amina");
    assert_string_equal(v[1].name, "bob");
    cw_desk_users_free(v, n);
    assert_int_equal(cw_desk_user_remove(dir, "amina", &err), 0);
    assert_int_equal(cw_desk_user_remove(dir, "amina", &err), CW_ENOTFOUND);
    assert_false(desk_user_exists(dir, "amina", e1));
    /* modes: 0700 folder, 0600 files */
    struct stat st;
    char *p = desk_store_path(dir, "");
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    free(p);
    p = desk_store_path(dir, "users.json");
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    free(p);
}

static void test_teachers(void **state)
{
    const char *dir = *state;
    cw_error err = {0};
    cw_strlist series = {0};
    cw_strlist_push(&series, "maths-p5");
    cw_strlist_push(&series, "english-p4");
    char tok[CW_DESK_TOKEN_CHARS + 1], tok2[CW_DESK_TOKEN_CHARS + 1];
    assert_int_equal(cw_desk_teacher_add(dir, "Mrs Okafor", &series, "en", tok, &err), 0);
    assert_int_equal(strlen(tok), CW_DESK_TOKEN_CHARS);
    assert_int_equal(strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), CW_DESK_TOKEN_CHARS);
    assert_int_equal(cw_desk_teacher_add(dir, "MRS OKAFOR", NULL, NULL, tok2, &err), CW_EEXIST);
    cw_strlist bad = {0};
    cw_strlist_push(&bad, "a,b");
    assert_int_equal(cw_desk_teacher_add(dir, "Mr X", &bad, NULL, tok2, &err), CW_EINVAL);
    cw_strlist_free(&bad);
    assert_int_equal(cw_desk_teacher_add(dir, "Mr X", NULL, "en gb", tok2, &err), CW_EINVAL);
    /* only the hash is stored */
    char *text = read_all(dir, "teachers.json");
    assert_null(strstr(text, tok));
    char h[65];
    desk_token_hash(tok, h);
    assert_non_null(strstr(text, h));
    free(text);
    desk_teacher *v;
    size_t n;
    assert_int_equal(desk_teachers_load(dir, &v, &n, &err), 0);
    assert_int_equal(n, 1);
    const desk_teacher *t = desk_teacher_by_token(v, n, tok);
    assert_non_null(t);
    assert_string_equal(t->t.name, "Mrs Okafor");
    assert_int_equal(t->t.series.n, 2);
    assert_null(desk_teacher_by_token(v, n, "AAAAAAAAAAAAAAAAAAAAAA"));
    assert_null(desk_teacher_by_token(v, n, ""));
    desk_teachers_free(v, n);
    /* relink: the old token stops working, the new one works */
    assert_int_equal(cw_desk_teacher_relink(dir, "Mrs Okafor", tok2, &err), 0);
    assert_string_not_equal(tok, tok2);
    assert_int_equal(desk_teachers_load(dir, &v, &n, &err), 0);
    assert_null(desk_teacher_by_token(v, n, tok));
    assert_non_null(desk_teacher_by_token(v, n, tok2));
    desk_teachers_free(v, n);
    /* revoke: nothing works until a relink */
    assert_int_equal(cw_desk_teacher_revoke(dir, "Mrs Okafor", &err), 0);
    assert_int_equal(desk_teachers_load(dir, &v, &n, &err), 0);
    assert_null(desk_teacher_by_token(v, n, tok2));
    desk_teachers_free(v, n);
    assert_int_equal(cw_desk_teacher_revoke(dir, "nobody", &err), CW_ENOTFOUND);
    cw_desk_teacher *pub;
    assert_int_equal(cw_desk_teacher_list(dir, &pub, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_true(pub[0].revoked);
    assert_string_equal(pub[0].language, "en");
    cw_desk_teachers_free(pub, n);
    cw_strlist_free(&series);
}

/* Two processes add 20 teachers each at the same time: all 40 are there afterwards. */
static void test_no_lost_update(void **state)
{
    const char *dir = *state;
    pid_t kids[2];
    for (int k = 0; k < 2; k++) {
        kids[k] = fork();
        if (kids[k] == 0) {
            for (int i = 0; i < 20; i++) {
                char name[32], tok[CW_DESK_TOKEN_CHARS + 1];
                snprintf(name, sizeof name, "t%d-%d", k, i);
                cw_error err = {0};
                if (cw_desk_teacher_add(dir, name, NULL, NULL, tok, &err)) _exit(1);
            }
            _exit(0);
        }
    }
    for (int k = 0; k < 2; k++) {
        int st;
        waitpid(kids[k], &st, 0);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    cw_desk_teacher *v;
    size_t n;
    cw_error err = {0};
    assert_int_equal(cw_desk_teacher_list(dir, &v, &n, &err), 0);
    assert_int_equal(n, 40);
    cw_desk_teachers_free(v, n);
}

static void test_damaged_file(void **state)
{
    const char *dir = *state;
    cw_error err = {0};
    assert_int_equal(desk_store_ensure(dir, &err), 0);
    char *p = desk_store_path(dir, "users.json");
    assert_int_equal(cw_write_file_atomic(p, "{\"users\": [", 11, &err), 0);
    assert_int_equal(cw_desk_user_add(dir, "amina", "long enough", &err), CW_EIO);
    assert_non_null(strstr(err.text, "users.json"));
    /* the damaged file is still there for the station to look at */
    char *text = read_all(dir, "users.json");
    assert_string_equal(text, "{\"users\": [");
    free(text);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_users, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_teachers, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_no_lost_update, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_damaged_file, setup_dir, teardown_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
