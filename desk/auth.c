/* auth.c — who is asking: staff logins (a random cookie, HttpOnly and SameSite=Strict,
 * Secure under TLS; only its SHA-256 is kept, in memory and in sessions.json), CSRF tokens,
 * teachers' link tokens, and the rate limiter for failed logins and link tries.
 * Guarantees: secrets are compared in constant time; a login ends after [desk]
 * login_hours without use, on logout, and when its user is removed or given a new
 * password; an address with DESK_LIMIT_TRIES failures in DESK_LIMIT_WINDOW seconds is
 * refused (429) until the window has passed. */
#include "desk_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define COOKIE "cw_session"
#define MAX_SESSIONS 4096

/* ---- sessions ------------------------------------------------------------------------------- */

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

static const char *jstr(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static void sessions_save_locked(cw_desk *d)
{
    json_t *arr = json_array();
    int64_t now = now_s();
    for (size_t i = 0; arr && i < d->n_sessions; i++) {
        desk_session *s = &d->sessions[i];
        if (s->last_seen + d->login_seconds < now) continue;
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:I}", "id_sha256", s->id_hash, "user", s->user,
                                             "csrf", s->csrf, "epoch", s->epoch, "last_seen", (json_int_t)s->last_seen));
    }
    json_t *doc = json_pack("{s:o}", "sessions", arr);
    cw_error err = {0};
    int fd;
    if (doc && desk_store_lock(d->station_dir, &fd, &err) == 0) {
        if (desk_store_save(d->station_dir, "sessions.json", doc, &err) != 0 && d->log)
            d->log(d->log_user, err.text);
        desk_store_unlock(fd);
    }
    json_decref(doc);
}

int desk_sessions_load(cw_desk *d, cw_error *err)
{
    json_t *doc;
    int rc = desk_store_load(d->station_dir, "sessions.json", "sessions", &doc, err);
    if (rc) return rc;
    size_t i;
    json_t *v;
    int64_t now = now_s();
    json_array_foreach(json_object_get(doc, "sessions"), i, v) {
        desk_session s;
        memset(&s, 0, sizeof s);
        snprintf(s.id_hash, sizeof s.id_hash, "%s", jstr(v, "id_sha256"));
        snprintf(s.user, sizeof s.user, "%s", jstr(v, "user"));
        snprintf(s.csrf, sizeof s.csrf, "%s", jstr(v, "csrf"));
        snprintf(s.epoch, sizeof s.epoch, "%s", jstr(v, "epoch"));
        s.last_seen = json_integer_value(json_object_get(v, "last_seen"));
        if (strlen(s.id_hash) != 64 || !s.user[0] || strlen(s.csrf) < 16 || s.last_seen + d->login_seconds < now)
            continue;
        if (d->n_sessions == d->cap_sessions) {
            size_t cap = d->cap_sessions ? d->cap_sessions * 2 : 16;
            desk_session *nv = realloc(d->sessions, cap * sizeof *nv);
            if (!nv) break;
            d->sessions = nv;
            d->cap_sessions = cap;
        }
        d->sessions[d->n_sessions++] = s;
        if (d->n_sessions >= MAX_SESSIONS) break;
    }
    json_decref(doc);
    return 0;
}

void desk_auth_staff(desk_req *r)
{
    r->staff = 0;
    const char *h = desk_header(r, "Cookie");
    char tok[128];
    if (!h || !desk_cookie_value(h, COOKIE, tok, sizeof tok) || strlen(tok) != 43) return;
    char hash[65];
    desk_token_hash(tok, hash);
    cw_desk *d = r->d;
    int64_t now = now_s();
    desk_session found;
    int hit = 0;
    pthread_mutex_lock(&d->sess_mu);
    for (size_t i = 0; i < d->n_sessions; i++) {
        if (!desk_secret_eq(d->sessions[i].id_hash, hash)) continue;
        if (d->sessions[i].last_seen + d->login_seconds < now) break;
        d->sessions[i].last_seen = now;
        found = d->sessions[i];
        hit = 1;
        break;
    }
    pthread_mutex_unlock(&d->sess_mu);
    if (!hit) return;
    /* the user must still exist, with the password the login was made with */
    char epoch[17];
    if (!desk_user_exists(d->station_dir, found.user, epoch) || strcmp(epoch, found.epoch) != 0) return;
    r->sess = found;
    r->staff = 1;
}

int desk_auth_csrf_ok(desk_req *r)
{
    if (!r->staff) return 0;
    const char *t = desk_header(r, "X-Chalkwave-CSRF");
    if (!t) t = desk_field(r, "csrf");
    return t && desk_secret_eq(t, r->sess.csrf);
}

static void set_cookie(desk_req *r, const char *value, int64_t max_age)
{
    char c[256];
    snprintf(c, sizeof c, COOKIE "=%s; Path=/; Max-Age=%lld; HttpOnly; SameSite=Strict%s", value,
             (long long)max_age, r->d->tls ? "; Secure" : "");
    desk_add_header(r, "Set-Cookie", c);
}

int desk_login(desk_req *r, const char *user, const char *password, desk_session *sess, cw_error *err)
{
    cw_desk *d = r->d;
    int wait = desk_limiter_blocked(d->limiter, "login", r->client);
    if (wait > 0)
        return cw_fail(err, CW_ELIMIT, "", wait, "too many failed logins from this address: wait %d minute%s and try again",
                       (wait + 59) / 60, (wait + 59) / 60 == 1 ? "" : "s");
    int rc = desk_user_verify(d->station_dir, user ? user : "", password ? password : "", err);
    if (rc) {
        if (rc == CW_EINVAL) desk_limiter_fail(d->limiter, "login", r->client);
        return rc;
    }
    desk_limiter_success(d->limiter, "login", r->client);
    char tok[64];
    desk_token_new(tok, sizeof tok, 32);
    desk_session s;
    memset(&s, 0, sizeof s);
    desk_token_hash(tok, s.id_hash);
    snprintf(s.user, sizeof s.user, "%s", user);
    desk_token_new(s.csrf, sizeof s.csrf, 24);
    desk_user_exists(d->station_dir, user, s.epoch);
    s.last_seen = now_s();
    pthread_mutex_lock(&d->sess_mu);
    /* drop ended logins; the oldest goes when the table is full */
    size_t o = 0;
    for (size_t i = 0; i < d->n_sessions; i++)
        if (d->sessions[i].last_seen + d->login_seconds >= s.last_seen) d->sessions[o++] = d->sessions[i];
    d->n_sessions = o;
    if (d->n_sessions == MAX_SESSIONS) {
        memmove(d->sessions, d->sessions + 1, (d->n_sessions - 1) * sizeof *d->sessions);
        d->n_sessions--;
    }
    if (d->n_sessions == d->cap_sessions) {
        size_t cap = d->cap_sessions ? d->cap_sessions * 2 : 16;
        desk_session *nv = realloc(d->sessions, cap * sizeof *nv);
        if (!nv) {
            pthread_mutex_unlock(&d->sess_mu);
            return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        }
        d->sessions = nv;
        d->cap_sessions = cap;
    }
    d->sessions[d->n_sessions++] = s;
    sessions_save_locked(d);
    pthread_mutex_unlock(&d->sess_mu);
    set_cookie(r, tok, d->login_seconds);
    *sess = s;
    return 0;
}

void desk_logout(desk_req *r)
{
    cw_desk *d = r->d;
    if (r->staff) {
        pthread_mutex_lock(&d->sess_mu);
        for (size_t i = 0; i < d->n_sessions; i++)
            if (!strcmp(d->sessions[i].id_hash, r->sess.id_hash)) {
                d->sessions[i] = d->sessions[--d->n_sessions];
                break;
            }
        sessions_save_locked(d);
        pthread_mutex_unlock(&d->sess_mu);
    }
    set_cookie(r, "", 0);
    r->staff = 0;
}

/* ---- teachers -------------------------------------------------------------------------------- */

int desk_auth_teacher(desk_req *r, const char *token)
{
    cw_desk *d = r->d;
    char *path = desk_store_path(d->station_dir, "teachers.json");
    desk_stamp now = desk_stamp_of(path);
    free(path);
    int ok = 0;
    pthread_mutex_lock(&d->teach_mu);
    if (!desk_stamp_eq(now, d->teachers_stamp) || !d->teachers) {
        desk_teacher *v;
        size_t n;
        cw_error err = {0};
        if (desk_teachers_load(d->station_dir, &v, &n, &err) == 0) {
            desk_teachers_free(d->teachers, d->n_teachers);
            d->teachers = v;
            d->n_teachers = n;
            d->teachers_stamp = now;
        } else if (d->log) {
            d->log(d->log_user, err.text);
        }
    }
    const desk_teacher *t = desk_teacher_by_token(d->teachers, d->n_teachers, token);
    if (t) {
        desk_teacher *c = calloc(1, sizeof *c);
        if (c) {
            c->t.name = cw_strdup(t->t.name);
            c->t.language = cw_strdup(t->t.language);
            c->t.created = cw_strdup(t->t.created);
            for (size_t i = 0; i < t->t.series.n; i++) cw_strlist_push(&c->t.series, t->t.series.v[i]);
            memcpy(c->token_hash, t->token_hash, sizeof c->token_hash);
            ok = c->t.name && c->t.language && c->t.created;
            if (ok) r->teacher = c;
            else desk_teachers_free(c, 1);
        }
    }
    pthread_mutex_unlock(&d->teach_mu);
    return ok;
}

/* ---- rate limiting ----------------------------------------------------------------------------- */

#define LIMIT_SLOTS 1024

typedef struct limit_slot {
    char key[96]; /* kind + ' ' + address */
    int failures;
    int64_t window_start;
} limit_slot;

struct desk_limiter {
    pthread_mutex_t mu;
    limit_slot slots[LIMIT_SLOTS];
};

int desk_limiter_new(desk_limiter **out)
{
    desk_limiter *l = calloc(1, sizeof *l);
    if (!l) return CW_ENOMEM;
    pthread_mutex_init(&l->mu, NULL);
    *out = l;
    return 0;
}

void desk_limiter_free(desk_limiter *l)
{
    if (!l) return;
    pthread_mutex_destroy(&l->mu);
    free(l);
}

/* The slot of key, or (create) the emptiest/oldest one. Caller holds mu. */
static limit_slot *slot_for(desk_limiter *l, const char *key, int create, int64_t now)
{
    uint32_t h = cw_hash32(key, strlen(key));
    limit_slot *victim = NULL;
    int victim_free = 0;
    for (int i = 0; i < 8; i++) { /* 8-way probing */
        limit_slot *s = &l->slots[(h + (uint32_t)i) % LIMIT_SLOTS];
        if (!strcmp(s->key, key)) return s;
        int is_free = !s->key[0] || s->window_start + DESK_LIMIT_WINDOW <= now;
        if (!victim || (is_free && !victim_free) ||
            (!is_free && !victim_free && s->window_start < victim->window_start)) {
            victim = s;
            victim_free = is_free;
        }
    }
    if (!create) return NULL;
    memset(victim, 0, sizeof *victim);
    snprintf(victim->key, sizeof victim->key, "%s", key);
    victim->window_start = now;
    return victim;
}

int desk_limiter_blocked(desk_limiter *l, const char *kind, const char *client)
{
    char key[96];
    snprintf(key, sizeof key, "%s %s", kind, client);
    int64_t now = now_s();
    int wait = 0;
    pthread_mutex_lock(&l->mu);
    limit_slot *s = slot_for(l, key, 0, now);
    if (s && s->failures >= DESK_LIMIT_TRIES && s->window_start + DESK_LIMIT_WINDOW > now)
        wait = (int)(s->window_start + DESK_LIMIT_WINDOW - now);
    pthread_mutex_unlock(&l->mu);
    return wait;
}

void desk_limiter_fail(desk_limiter *l, const char *kind, const char *client)
{
    char key[96];
    snprintf(key, sizeof key, "%s %s", kind, client);
    int64_t now = now_s();
    pthread_mutex_lock(&l->mu);
    limit_slot *s = slot_for(l, key, 1, now);
    if (s->window_start + DESK_LIMIT_WINDOW <= now) {
        s->window_start = now;
        s->failures = 0;
    }
    s->failures++;
    pthread_mutex_unlock(&l->mu);
}

void desk_limiter_success(desk_limiter *l, const char *kind, const char *client)
{
    char key[96];
    snprintf(key, sizeof key, "%s %s", kind, client);
    pthread_mutex_lock(&l->mu);
    limit_slot *s = slot_for(l, key, 0, now_s());
    if (s) memset(s, 0, sizeof *s);
    pthread_mutex_unlock(&l->mu);
}
