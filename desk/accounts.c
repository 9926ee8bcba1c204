/* accounts.c — staff users (users.json: name, crypto_pwhash string, created) and teachers
 * (teachers.json: name, SHA-256 of the link token, series, language, created, revoked).
 * Guarantees: passwords and tokens are never written in the clear; every change is a
 * read-modify-write under the store lock; names are validated before anything is written. */
#include "parse.h"
#include "store.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static int sodium_ready(cw_error *err)
{
    if (sodium_init() < 0) return cw_fail(err, CW_EINTERNAL, "", 0, "libsodium could not start (no random source?)");
    return 0;
}

static const char *jstr(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* Index of the entry of array `arr` whose "name" is `name` (exact), or -1. With `fold`,
 * the first entry equal ignoring ASCII case. */
static long find_name(json_t *arr, const char *name, int fold)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        const char *n = jstr(v, "name");
        if (fold ? !strcasecmp(n, name) : !strcmp(n, name)) return (long)i;
    }
    return -1;
}

static int check_password(const char *password, cw_error *err)
{
    size_t n = password ? strlen(password) : 0;
    if (n < CW_DESK_PASSWORD_MIN)
        return cw_fail(err, CW_EINVAL, "", 0, "the password is shorter than %d characters (choose a longer one)",
                       CW_DESK_PASSWORD_MIN);
    if (n > CW_DESK_PASSWORD_MAX)
        return cw_fail(err, CW_EINVAL, "", 0, "the password is longer than %d bytes", CW_DESK_PASSWORD_MAX);
    return 0;
}

static int hash_password(const char *password, char out[crypto_pwhash_STRBYTES], cw_error *err)
{
    if (crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return cw_fail(err, CW_ENOMEM, "", 0, "not enough memory to hash the password (crypto_pwhash needs 64 MiB)");
    return 0;
}

static int bad_name(const char *what, const char *name, cw_error *err)
{
    return cw_fail(err, CW_EINVAL, "", 0,
                   "'%s' cannot be a %s name (use 1-64 characters, no control characters and none of / \\ \" < >)",
                   name ? name : "", what);
}

int cw_desk_name_valid(const char *name)
{
    return desk_valid_name(name);
}

/* ---- users ------------------------------------------------------------------------------ */

typedef enum { U_ADD, U_PASSWD, U_REMOVE } user_op;

static int user_change(const char *station_dir, user_op op, const char *name, const char *password, cw_error *err)
{
    if (!desk_valid_name(name)) return bad_name("user", name, err);
    int rc = sodium_ready(err);
    if (rc == 0 && op != U_REMOVE) rc = check_password(password, err);
    char hash[crypto_pwhash_STRBYTES];
    /* hash before taking the lock: it takes a while and needs no file */
    if (rc == 0 && op != U_REMOVE) rc = hash_password(password, hash, err);
    if (rc) return rc;
    int fd;
    if ((rc = desk_store_lock(station_dir, &fd, err)) != 0) return rc;
    json_t *doc = NULL;
    if ((rc = desk_store_load(station_dir, "users.json", "users", &doc, err)) == 0) {
        json_t *arr = json_object_get(doc, "users");
        long at = find_name(arr, name, op == U_ADD);
        if (op == U_ADD && at >= 0) {
            rc = cw_fail(err, CW_EEXIST, "", 0, "there is already a user '%s' (choose another name, or 'chalkwave user passwd %s')",
                         jstr(json_array_get(arr, (size_t)at), "name"), name);
        } else if (op != U_ADD && at < 0) {
            rc = cw_fail(err, CW_ENOTFOUND, "", 0, "there is no user '%s' (see 'chalkwave user list')", name);
        } else if (op == U_REMOVE) {
            json_array_remove(arr, (size_t)at);
        } else if (op == U_PASSWD) {
            json_object_set_new(json_array_get(arr, (size_t)at), "hash", json_string(hash));
        } else {
            char now[32];
            desk_iso_time((int64_t)time(NULL), now);
            json_t *u = json_pack("{s:s, s:s, s:s}", "name", name, "hash", hash, "created", now);
            if (!u || json_array_append_new(arr, u)) rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        }
        if (rc == 0) rc = desk_store_save(station_dir, "users.json", doc, err);
    }
    json_decref(doc);
    desk_store_unlock(fd);
    sodium_memzero(hash, sizeof hash);
    return rc;
}

int cw_desk_user_add(const char *station_dir, const char *name, const char *password, cw_error *err)
{
    return user_change(station_dir, U_ADD, name, password, err);
}

int cw_desk_user_passwd(const char *station_dir, const char *name, const char *password, cw_error *err)
{
    return user_change(station_dir, U_PASSWD, name, password, err);
}

int cw_desk_user_remove(const char *station_dir, const char *name, cw_error *err)
{
    return user_change(station_dir, U_REMOVE, name, NULL, err);
}

void cw_desk_users_free(cw_desk_user *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        free(v[i].name);
        free(v[i].created);
    }
    free(v);
}

static int by_user_name(const void *a, const void *b)
{
    return strcmp(((const cw_desk_user *)a)->name, ((const cw_desk_user *)b)->name);
}

int cw_desk_user_list(const char *station_dir, cw_desk_user **out, size_t *n, cw_error *err)
{
    *out = NULL;
    *n = 0;
    json_t *doc;
    int rc = desk_store_load(station_dir, "users.json", "users", &doc, err);
    if (rc) return rc;
    json_t *arr = json_object_get(doc, "users");
    size_t cnt = json_array_size(arr);
    cw_desk_user *v = calloc(cnt ? cnt : 1, sizeof *v);
    if (!v) rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    for (size_t i = 0; rc == 0 && i < cnt; i++) {
        json_t *u = json_array_get(arr, i);
        v[i].name = cw_strdup(jstr(u, "name"));
        v[i].created = cw_strdup(jstr(u, "created"));
        if (!v[i].name || !v[i].created) rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    }
    json_decref(doc);
    if (rc) {
        cw_desk_users_free(v, cnt);
        return rc;
    }
    qsort(v, cnt, sizeof *v, by_user_name);
    *out = v;
    *n = cnt;
    return 0;
}

int desk_user_verify(const char *station_dir, const char *name, const char *password, cw_error *err)
{
    int rc = sodium_ready(err);
    if (rc) return rc;
    /* a hash of a password nobody knows, so an unknown name costs the same time */
    static char dummy[crypto_pwhash_STRBYTES];
    static int have_dummy;
    if (!__atomic_load_n(&have_dummy, __ATOMIC_ACQUIRE)) {
        char tmp[crypto_pwhash_STRBYTES], pw[33];
        desk_token_new(pw, sizeof pw, 16);
        if (hash_password(pw, tmp, err) == 0) {
            memcpy(dummy, tmp, sizeof tmp);
            __atomic_store_n(&have_dummy, 1, __ATOMIC_RELEASE);
        }
    }
    json_t *doc;
    if ((rc = desk_store_load(station_dir, "users.json", "users", &doc, err)) != 0) return rc;
    json_t *arr = json_object_get(doc, "users");
    long at = desk_valid_name(name) ? find_name(arr, name, 0) : -1;
    const char *hash = at >= 0 ? jstr(json_array_get(arr, (size_t)at), "hash") : dummy;
    size_t plen = password ? strlen(password) : 0;
    int ok = plen > 0 && plen <= CW_DESK_PASSWORD_MAX && hash[0] &&
             crypto_pwhash_str_verify(hash, password, plen) == 0 && at >= 0;
    json_decref(doc);
    return ok ? 0 : cw_fail(err, CW_EINVAL, "", 0, "wrong user name or password");
}

int desk_user_exists(const char *station_dir, const char *name, char epoch[17])
{
    epoch[0] = 0;
    json_t *doc;
    cw_error err = {0};
    if (desk_store_load(station_dir, "users.json", "users", &doc, &err)) return 0;
    json_t *arr = json_object_get(doc, "users");
    long at = find_name(arr, name, 0);
    if (at >= 0) {
        const char *h = jstr(json_array_get(arr, (size_t)at), "hash");
        size_t hl = strlen(h);
        snprintf(epoch, 17, "%s", hl > 16 ? h + hl - 16 : h);
    }
    json_decref(doc);
    return at >= 0;
}

/* ---- teachers --------------------------------------------------------------------------- */

void desk_teachers_free(desk_teacher *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        free(v[i].t.name);
        free(v[i].t.language);
        free(v[i].t.created);
        cw_strlist_free(&v[i].t.series);
    }
    free(v);
}

void cw_desk_teachers_free(cw_desk_teacher *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        free(v[i].name);
        free(v[i].language);
        free(v[i].created);
        cw_strlist_free(&v[i].series);
    }
    free(v);
}

int desk_teachers_load(const char *station_dir, desk_teacher **out, size_t *n, cw_error *err)
{
    *out = NULL;
    *n = 0;
    json_t *doc;
    int rc = desk_store_load(station_dir, "teachers.json", "teachers", &doc, err);
    if (rc) return rc;
    json_t *arr = json_object_get(doc, "teachers");
    size_t cnt = json_array_size(arr);
    desk_teacher *v = calloc(cnt ? cnt : 1, sizeof *v);
    if (!v) rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    for (size_t i = 0; rc == 0 && i < cnt; i++) {
        json_t *t = json_array_get(arr, i);
        v[i].t.name = cw_strdup(jstr(t, "name"));
        v[i].t.language = cw_strdup(jstr(t, "language"));
        v[i].t.created = cw_strdup(jstr(t, "created"));
        v[i].t.revoked = json_is_true(json_object_get(t, "revoked"));
        snprintf(v[i].token_hash, sizeof v[i].token_hash, "%s", jstr(t, "token_sha256"));
        size_t k;
        json_t *s;
        json_array_foreach(json_object_get(t, "series"), k, s)
            if (json_is_string(s) && cw_strlist_push(&v[i].t.series, json_string_value(s))) rc = CW_ENOMEM;
        if (!v[i].t.name || !v[i].t.language || !v[i].t.created || rc)
            rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    }
    json_decref(doc);
    if (rc) {
        desk_teachers_free(v, cnt);
        return rc;
    }
    *out = v;
    *n = cnt;
    return 0;
}

const desk_teacher *desk_teacher_by_token(const desk_teacher *v, size_t n, const char *token)
{
    if (!token || strlen(token) != CW_DESK_TOKEN_CHARS) return NULL;
    char h[65];
    desk_token_hash(token, h);
    const desk_teacher *hit = NULL;
    for (size_t i = 0; i < n; i++) /* no early exit: the time does not tell which matched */
        if (desk_secret_eq(v[i].token_hash, h) && !v[i].t.revoked) hit = &v[i];
    return hit;
}

static int by_teacher_name(const void *a, const void *b)
{
    return strcmp(((const cw_desk_teacher *)a)->name, ((const cw_desk_teacher *)b)->name);
}

int cw_desk_teacher_list(const char *station_dir, cw_desk_teacher **out, size_t *n, cw_error *err)
{
    *out = NULL;
    *n = 0;
    desk_teacher *v;
    size_t cnt;
    int rc = desk_teachers_load(station_dir, &v, &cnt, err);
    if (rc) return rc;
    cw_desk_teacher *pub = calloc(cnt ? cnt : 1, sizeof *pub);
    if (!pub) {
        desk_teachers_free(v, cnt);
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    }
    for (size_t i = 0; i < cnt; i++) {
        pub[i] = v[i].t; /* moved */
        memset(&v[i].t, 0, sizeof v[i].t);
    }
    desk_teachers_free(v, cnt);
    qsort(pub, cnt, sizeof *pub, by_teacher_name);
    *out = pub;
    *n = cnt;
    return 0;
}

typedef enum { T_ADD, T_RELINK, T_REVOKE } teacher_op;

static int teacher_change(const char *station_dir, teacher_op op, const char *name, const cw_strlist *series,
                          const char *language, char *token, cw_error *err)
{
    if (!desk_valid_name(name)) return bad_name("teacher", name, err);
    for (size_t i = 0; series && i < series->n; i++)
        if (!desk_valid_series(series->v[i]))
            return cw_fail(err, CW_EINVAL, "", 0, "'%s' cannot be a series key (1-100 characters, no commas)",
                           series->v[i]);
    if (language && (strlen(language) > 35 || strpbrk(language, " ,/\\\"<>")))
        return cw_fail(err, CW_EINVAL, "", 0, "'%s' is not a language code (e.g. en, sw, ha)", language);
    int rc = sodium_ready(err);
    if (rc) return rc;
    int fd;
    if ((rc = desk_store_lock(station_dir, &fd, err)) != 0) return rc;
    json_t *doc = NULL;
    char hash[65] = "";
    if (op != T_REVOKE) {
        desk_token_new(token, CW_DESK_TOKEN_CHARS + 1, 16);
        desk_token_hash(token, hash);
    }
    if ((rc = desk_store_load(station_dir, "teachers.json", "teachers", &doc, err)) == 0) {
        json_t *arr = json_object_get(doc, "teachers");
        long at = find_name(arr, name, op == T_ADD);
        json_t *t = at >= 0 ? json_array_get(arr, (size_t)at) : NULL;
        if (op == T_ADD && t) {
            rc = cw_fail(err, CW_EEXIST, "", 0,
                         "there is already a teacher '%s' (choose another name, or 'chalkwave teacher relink %s' for a new link)",
                         jstr(t, "name"), name);
        } else if (op != T_ADD && !t) {
            rc = cw_fail(err, CW_ENOTFOUND, "", 0, "there is no teacher '%s' (see 'chalkwave teacher list')", name);
        } else if (op == T_ADD) {
            char now[32];
            desk_iso_time((int64_t)time(NULL), now);
            json_t *ser = json_array();
            for (size_t i = 0; ser && series && i < series->n; i++) json_array_append_new(ser, json_string(series->v[i]));
            t = json_pack("{s:s, s:s, s:o, s:s, s:s, s:b}", "name", name, "token_sha256", hash, "series", ser,
                          "language", language ? language : "", "created", now, "revoked", 0);
            if (!t || json_array_append_new(arr, t)) rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        } else if (op == T_RELINK) {
            json_object_set_new(t, "token_sha256", json_string(hash));
            json_object_set_new(t, "revoked", json_false());
        } else {
            json_object_set_new(t, "revoked", json_true());
        }
        if (rc == 0) rc = desk_store_save(station_dir, "teachers.json", doc, err);
    }
    json_decref(doc);
    desk_store_unlock(fd);
    if (rc && token) token[0] = 0;
    return rc;
}

int cw_desk_teacher_add(const char *station_dir, const char *name, const cw_strlist *series, const char *language,
                        char token[CW_DESK_TOKEN_CHARS + 1], cw_error *err)
{
    return teacher_change(station_dir, T_ADD, name, series, language, token, err);
}

int cw_desk_teacher_relink(const char *station_dir, const char *name, char token[CW_DESK_TOKEN_CHARS + 1],
                           cw_error *err)
{
    return teacher_change(station_dir, T_RELINK, name, NULL, NULL, token, err);
}

int cw_desk_teacher_revoke(const char *station_dir, const char *name, cw_error *err)
{
    return teacher_change(station_dir, T_REVOKE, name, NULL, NULL, NULL, err);
}

/* The first IPv4 address of an interface that is up and not loopback ("" when none): what a
 * phone on the station's network reaches when the desk listens on every address. */
static void lan_address(char out[INET_ADDRSTRLEN])
{
    out[0] = 0;
    struct ifaddrs *ifs = NULL;
    if (getifaddrs(&ifs) != 0) return;
    for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !(i->ifa_flags & IFF_UP) ||
            (i->ifa_flags & IFF_LOOPBACK))
            continue;
        inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr, out, INET_ADDRSTRLEN);
        break;
    }
    freeifaddrs(ifs);
}

char *cw_desk_teacher_link(const cw_station *st, const char *listen_override, const char *token)
{
    if (st->desk_url && st->desk_url[0]) return cw_asprintf("%s/t/%s", st->desk_url, token);
    const char *listen = listen_override && *listen_override ? listen_override : st->desk_listen;
    if (!listen) listen = "127.0.0.1:8070";
    const char *colon = strrchr(listen, ':');
    if (colon && (!strncmp(listen, "0.0.0.0:", 8) || !strncmp(listen, "[::]:", 5))) {
        char ip[INET_ADDRSTRLEN];
        lan_address(ip);
        if (ip[0]) return cw_asprintf("http://%s%s/t/%s", ip, colon, token);
    }
    return cw_asprintf("http://%s/t/%s", listen, token);
}
