/* test_subscriptions.c — calendars/subscriptions.conf and the helpers that keep a link
 * secret: the file read back to the same values after writing (ETags with ';', '#', quotes),
 * every refusal naming its line, links normalised (webcal:// as https://) or refused,
 * redacted (scheme, host, short hash; never path, query or user), scrubbed out of
 * library-style error texts, the calendar's own name read from folded/escaped X-WR-CALNAME,
 * pins checked and computed from a PEM certificate and public key (the expected value made
 * by the openssl command line). */
#include "cal_test_util.h"

#include <sys/stat.h>
#include <unistd.h>

#define SECRET "private-7f3e9a1b2c4d5e6f7a8b9c0d1e2f3a4b"
#define GOOGLE "https://calendar.google.com/calendar/ical/abc%40group.calendar.google.com/" SECRET "/basic.ics"

static int parse(const char *text, cw_subs *s, cw_error *err)
{
    memset(err, 0, sizeof *err);
    return cw_subs_parse(s, "subscriptions.conf", text, strlen(text), err);
}

static void test_round_trip(void **state)
{
    (void)state;
    const char *text = "# a comment\n"
                       "; another\n"
                       "\n"
                       "[county.ics]\n"
                       "url = webcal://Example.org/cal.ics?token=abc123def456ghi\n"
                       "etag = W/\"a;b #c\"\n"
                       "last_modified = Tue, 03 Mar 2026 08:00:00 GMT\n"
                       "sha256 = 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
                       "checked = 2026-03-02T08:00:00Z\n"
                       "result = failed: cannot connect to example.org (no network, or the server is down)\n"
                       "good = 2026-03-01T07:59:59Z\r\n"
                       "changed = 1970-01-02T00:00:00Z\n"
                       "[a.ics]\n"
                       "url = " GOOGLE "\n"
                       "tls = self-signed\n"
                       "pin = sha256//15/JTDNGuyRuq7EoBFrPw2cqEwn7gyAa+3Q/TLuqLss=\n";
    cw_subs s;
    cw_error err;
    assert_int_equal(parse(text, &s, &err), 0);
    assert_int_equal(s.n, 2);
    cw_subscription *c = cw_subs_find(&s, "county.ics");
    assert_non_null(c);
    assert_string_equal(c->url, "https://Example.org/cal.ics?token=abc123def456ghi");
    assert_string_equal(c->etag, "W/\"a;b #c\"");
    assert_string_equal(c->last_modified, "Tue, 03 Mar 2026 08:00:00 GMT");
    assert_int_equal(c->checked, T(2026, 3, 2, 8, 0));
    assert_int_equal(c->good, T(2026, 3, 1, 7, 59) + 59);
    assert_int_equal(c->changed, 86400);
    assert_string_equal(c->sha256, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    assert_int_equal(c->line, 4);
    assert_int_equal(c->self_signed, 0);
    cw_subscription *a = cw_subs_find(&s, "a.ics");
    assert_int_equal(a->self_signed, 1);
    assert_string_equal(a->pin, "sha256//15/JTDNGuyRuq7EoBFrPw2cqEwn7gyAa+3Q/TLuqLss=");

    /* written and read back: the same values, sorted by name */
    cw_buf b;
    cw_buf_init(&b);
    assert_int_equal(cw_subs_format(&s, &b), 0);
    assert_true(strstr(b.data, "[a.ics]") < strstr(b.data, "[county.ics]"));
    cw_subs s2;
    assert_int_equal(cw_subs_parse(&s2, "x", b.data, b.len, &err), 0);
    assert_int_equal(s2.n, 2);
    for (size_t i = 0; i < s.n; i++) {
        cw_subscription *x = &s.v[i], *y = cw_subs_find(&s2, x->name);
        assert_non_null(y);
        assert_string_equal(x->url, y->url);
        assert_int_equal(x->self_signed, y->self_signed);
        assert_true((!x->pin && !y->pin) || !strcmp(x->pin, y->pin));
        assert_true((!x->etag && !y->etag) || !strcmp(x->etag, y->etag));
        assert_true((!x->sha256 && !y->sha256) || !strcmp(x->sha256, y->sha256));
        assert_true((!x->result && !y->result) || !strcmp(x->result, y->result));
        assert_int_equal(x->checked, y->checked);
        assert_int_equal(x->good, y->good);
        assert_int_equal(x->changed, y->changed);
    }
    /* put replaces by name, remove takes out */
    cw_subscription n = {0};
    n.name = "county.ics";
    n.url = "https://example.org/new.ics";
    assert_int_equal(cw_subs_put(&s2, &n), 0);
    assert_int_equal(s2.n, 2);
    assert_string_equal(cw_subs_find(&s2, "county.ics")->url, "https://example.org/new.ics");
    assert_null(cw_subs_find(&s2, "county.ics")->etag);
    assert_int_equal(cw_subs_remove(&s2, "a.ics"), 0);
    assert_int_equal(cw_subs_remove(&s2, "a.ics"), CW_ENOTFOUND);
    assert_int_equal(s2.n, 1);
    cw_buf_free(&b);
    cw_subs_free(&s);
    cw_subs_free(&s2);
    cw_subs_free(NULL);
}

static void test_refusals(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int rc, line;
        const char *says;
    } cases[] = {
        {"[a.ics]\nurl = https://x.org/a.ics\ncolour = red\n", CW_EINVAL, 3, "unknown key 'colour'"},
        {"url = https://x.org/a.ics\n", CW_EINVAL, 1, "before any [NAME.ics] section"},
        {"[a.ics]\nurl = https://x.org/a\n[a.ics]\nurl = https://x.org/b\n", CW_EINVAL, 3, "there twice"},
        {"[a.ics]\netag = \"x\"\n\n", CW_EINVAL, 1, "has no url"},
        {"[a.ics]\netag = \"x\"\n[b.ics]\nurl = https://x.org/b\n", CW_EINVAL, 1, "[a.ics] has no url"},
        {"[a.ics]\nurl = ftp://x.org/a.ics\n", CW_EINVAL, 2, "not an https://, http:// or webcal:// link"},
        {"[a.ics]\nurl = https://x.org/a\nchecked = yesterday\n", CW_EINVAL, 3, "UTC time"},
        {"[a.ics]\nurl = https://x.org/a\nchecked = 2026-02-30T08:00:00Z\n", CW_EINVAL, 3, "UTC time"},
        {"[a.ics]\nurl = https://x.org/a\ntls = maybe\n", CW_EINVAL, 3, "verify or self-signed"},
        {"[a.ics]\nurl = https://x.org/a\nsha256 = ABC\n", CW_EINVAL, 3, "64 lower-case hex digits"},
        {"[a.ics]\nurl = https://x.org/a\ntls = self-signed\n", CW_EINVAL, 1, "without a pin"},
        {"[a.ics]\nurl = https://x.org/a\npin = sha256//short=\n", CW_EINVAL, 3, "sha256//BASE64"},
        {"[a.ics]\nurl = https://x.org/a\nurl = https://x.org/b\n", CW_EINVAL, 3, "given twice"},
        {"[../a.ics]\nurl = https://x.org/a\n", CW_EINVAL, 1, "not a calendar name"},
        {"[a.txt]\nurl = https://x.org/a\n", CW_EINVAL, 1, "not a calendar name"},
        {"[a.ics\nurl = https://x.org/a\n", CW_EINVAL, 1, "not a [NAME.ics] section"},
        {"[a.ics]\nurl https://x.org/a/" SECRET "\n", CW_EINVAL, 2, "is not 'key = value'"},
        {"[a.ics]\nurl = https://x.org/a\netag = a\x01" "b\n", CW_EINVAL, 3, "control character"},
        {"[a.ics]\nurl = https://x.org/a\netag = \xff\n", CW_EINVAL, 3, "not UTF-8"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cw_subs s;
        cw_error err;
        int rc = parse(cases[i].text, &s, &err);
        if (rc != cases[i].rc || err.line != cases[i].line || !strstr(err.text, cases[i].says))
            fail_msg("case %zu: rc %d line %d text '%s'", i, rc, err.line, err.text);
        assert_string_equal(err.source, "subscriptions.conf");
        assert_int_equal(s.n, 0);
        assert_null(strstr(err.text, SECRET)); /* a pasted link is never quoted whole */
    }
    /* a NUL byte, a long line, too big, too many */
    cw_subs s;
    cw_error err;
    assert_int_equal(cw_subs_parse(&s, "f", "[a.ics]\nurl = https://x\0.org\n", 27, &err), CW_EINVAL);
    assert_int_equal(err.line, 2);
    char *big = malloc(CW_SUBS_MAX_BYTES + 2);
    memset(big, '#', CW_SUBS_MAX_BYTES + 1);
    big[CW_SUBS_MAX_BYTES + 1] = 0;
    assert_int_equal(cw_subs_parse(&s, "f", big, CW_SUBS_MAX_BYTES + 1, &err), CW_ELIMIT);
    assert_int_equal(cw_subs_parse(&s, "f", big, 9000, &err), CW_ELIMIT);
    assert_int_equal(err.line, 1);
    free(big);
    cw_buf b;
    cw_buf_init(&b);
    for (int i = 0; i <= CW_SUBS_MAX; i++)
        cw_buf_printf(&b, "[c%d.ics]\nurl = https://x.org/%d\n", i, i);
    assert_int_equal(cw_subs_parse(&s, "f", b.data, b.len, &err), CW_ELIMIT);
    assert_int_equal(err.line, 2 * CW_SUBS_MAX + 1);
    cw_buf_free(&b);
    /* empty and comment-only files are no subscriptions */
    assert_int_equal(parse("", &s, &err), 0);
    assert_int_equal(s.n, 0);
    assert_int_equal(parse("\xEF\xBB\xBF# only a comment\n", &s, &err), 0);
    assert_int_equal(s.n, 0);
}

static void test_save_load(void **state)
{
    (void)state;
    char dir[] = "/tmp/cw-test-subs-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = cw_path_join(dir, "subscriptions.conf");
    cw_subs s;
    cw_error err;
    assert_int_equal(cw_subs_load(&s, path, &err), 0); /* missing: none */
    assert_int_equal(s.n, 0);
    cw_subscription x = {0};
    x.name = "county.ics";
    x.url = GOOGLE;
    x.etag = "\"1\"";
    x.result = "ok";
    x.checked = x.good = x.changed = T(2026, 3, 2, 8, 0);
    assert_int_equal(cw_subs_put(&s, &x), 0);
    assert_int_equal(cw_subs_save(&s, path, &err), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    cw_subs r;
    assert_int_equal(cw_subs_load(&r, path, &err), 0);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.v[0].url, GOOGLE);
    assert_int_equal(r.v[0].good, x.good);
    cw_subs_free(&r);
    /* a file someone made readable is private again at the next write */
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(cw_subs_save(&s, path, &err), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    cw_subs_free(&s);
    unlink(path);
    rmdir(dir);
    free(path);
}

/* What the desk and `calendar list` may show: the states of a station's subscriptions, sorted
 * by name, each outcome classified, and nothing that holds the link's secret. */
static void test_states(void **state)
{
    (void)state;
    char dir[] = "/tmp/cw-test-states-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *cal = cw_path_join(dir, "calendars");
    assert_int_equal(mkdir(cal, 0755), 0);
    cw_sub_state *v;
    size_t n;
    cw_error err;
    assert_int_equal(cw_subs_states(dir, &v, &n, &err), 0); /* no file: none */
    assert_int_equal(n, 0);
    assert_null(v);
    char *path = cw_subs_path(dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("[z-unreachable.ics]\nurl = " GOOGLE "\ntls = verify\nchecked = 2026-03-05T08:00:00Z\n"
          "result = failed: not reachable (cannot connect to calendar.google.com)\ngood = 2026-03-02T08:00:00Z\n"
          "\n[m-refused.ics]\nurl = http://partner.example:8080/" SECRET "/c.ics\nchecked = 2026-03-05T08:00:00Z\n"
          "result = failed: the server sent a web page, not a calendar\n"
          "\n[a-ok.ics]\nurl = https://cloud.example/remote.php/dav/" SECRET "?export\ntls = self-signed\n"
          "pin = sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nchecked = 2026-03-05T08:00:00Z\n"
          "result = unchanged\ngood = 2026-03-05T08:00:00Z\nchanged = 2026-03-01T08:00:00Z\n"
          "\n[b-never.ics]\nurl = https://p.example/" SECRET ".ics\npin = sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
          f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(cw_subs_states(dir, &v, &n, &err), 0);
    assert_int_equal(n, 4);
    assert_string_equal(v[0].name, "a-ok.ics");
    assert_int_equal(v[0].status, CW_SUB_OK);
    assert_string_equal(v[0].tls, "self-signed, pinned");
    assert_string_equal(v[0].host, "cloud.example");
    assert_string_equal(v[0].result, "unchanged");
    assert_int_equal(v[0].last_change, T(2026, 3, 1, 8, 0));
    assert_int_equal(v[0].last_good, T(2026, 3, 5, 8, 0));
    assert_string_equal(v[1].name, "b-never.ics");
    assert_int_equal(v[1].status, CW_SUB_NEVER);
    assert_string_equal(v[1].tls, "verified, pinned");
    assert_int_equal(v[1].last_fetch, 0);
    assert_string_equal(v[2].name, "m-refused.ics");
    assert_int_equal(v[2].status, CW_SUB_FAILED);
    assert_string_equal(v[2].tls, "none");
    assert_string_equal(v[2].host, "partner.example:8080");
    assert_string_equal(v[3].name, "z-unreachable.ics");
    assert_int_equal(v[3].status, CW_SUB_UNREACHABLE);
    assert_string_equal(v[3].tls, "verified");
    assert_int_equal(v[3].last_fetch, T(2026, 3, 5, 8, 0));
    char hash[9];
    cw_sub_url_hash(GOOGLE, hash);
    assert_string_equal(v[3].link_hash, hash);
    char want[128];
    snprintf(want, sizeof want, "https://calendar.google.com (link %s)", hash);
    assert_string_equal(v[3].link, want);
    assert_string_equal(cw_sub_status_name(v[3].status), "unreachable");
    /* no byte of any state holds the secret */
    assert_null(memmem(v, n * sizeof *v, "private-", 8));
    free(v);
    /* a damaged file: the error names its line, states stay empty */
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("[x.ics]\nurl = https://p.example/" SECRET "\ncolour = blue\n", f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(cw_subs_states(dir, &v, &n, &err), CW_EINVAL);
    assert_null(v);
    assert_int_equal(n, 0);
    assert_int_equal(err.line, 3);
    assert_null(strstr(err.text, SECRET));
    assert_null(strstr(err.source, SECRET));
    unlink(path);
    rmdir(cal);
    rmdir(dir);
    free(path);
    free(cal);
}

static void test_links(void **state)
{
    (void)state;
    char *u;
    cw_error err;
    assert_int_equal(cw_sub_url_normalise("webcal://p.org/a.ics", &u, &err), 0);
    assert_string_equal(u, "https://p.org/a.ics");
    free(u);
    assert_int_equal(cw_sub_url_normalise("WEBCALS://p.org/a.ics", &u, &err), 0);
    assert_string_equal(u, "https://p.org/a.ics");
    free(u);
    assert_int_equal(cw_sub_url_normalise("HTTP://p.org:8080/a.ics", &u, &err), 0);
    assert_string_equal(u, "http://p.org:8080/a.ics");
    free(u);
    const char *bad[] = {"ftp://p.org/a.ics", "file:///etc/passwd", "p.org/a.ics", "https://", "https:///a.ics",
                         "https://p.org/a b.ics", "https://p.org/\n", "", "javascript:alert(1)", "https://:80/x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        u = (char *)1;
        if (cw_sub_url_normalise(bad[i], &u, &err) != CW_EINVAL)
            fail_msg("accepted '%s'", bad[i]);
        assert_null(u);
    }
    char *longu = malloc(CW_SUB_URL_MAX + 20);
    snprintf(longu, CW_SUB_URL_MAX + 20, "https://p.org/%0*d", CW_SUB_URL_MAX, 0);
    assert_int_equal(cw_sub_url_normalise(longu, &u, &err), CW_EINVAL);
    free(longu);

    char r[300], h[9], host[100];
    cw_sub_url_redact(GOOGLE, r, sizeof r);
    cw_sub_url_hash(GOOGLE, h);
    assert_int_equal(strlen(h), 8);
    char want[300];
    snprintf(want, sizeof want, "https://calendar.google.com (link %s)", h);
    assert_string_equal(r, want);
    cw_sub_url_redact("http://user:pass@Cal.Example.org:8443/x?token=s3cr3t", r, sizeof r);
    assert_non_null(strstr(r, "http://cal.example.org:8443 (link "));
    assert_null(strstr(r, "pass"));
    assert_null(strstr(r, "s3cr3t"));
    cw_sub_url_host("https://a@b.org/x", host, sizeof host);
    assert_string_equal(host, "b.org");
    /* the hash tells two links of one host apart, and is stable */
    char h2[9];
    cw_sub_url_hash("https://calendar.google.com/other", h2);
    assert_string_not_equal(h, h2);
    cw_sub_url_hash(GOOGLE, h2);
    assert_string_equal(h, h2);
}

static void test_scrub(void **state)
{
    (void)state;
    char t[600];
    /* libcurl's texts that carry the URL or a piece of it, and a redirect's target */
    const char *texts[] = {
        "Could not resolve host: calendar.google.com; url " GOOGLE,
        "Protocol \"ftp\" not supported for /calendar/ical/abc%40group.calendar.google.com/" SECRET "/basic.ics",
        "Issue another request to this URL: 'https://accounts.google.com/login?continue=" SECRET "'",
        "token " SECRET " in the middle",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        snprintf(t, sizeof t, "%s", texts[i]);
        cw_sub_scrub(t, GOOGLE);
        if (strstr(t, SECRET) || strstr(t, "basic.ics"))
            fail_msg("case %zu kept a secret: %s", i, t);
    }
    snprintf(t, sizeof t, "%s", texts[0]);
    cw_sub_scrub(t, GOOGLE);
    assert_non_null(strstr(t, "Could not resolve host: calendar.google.com"));
    assert_non_null(strstr(t, "https://calendar.google.com (link "));
    snprintf(t, sizeof t, "%s", texts[2]);
    cw_sub_scrub(t, NULL);
    assert_string_equal(t, "Issue another request to this URL: 'https://accounts.google.com'");
    /* our own words are left alone: short path segments and words are not secrets */
    snprintf(t, sizeof t, "cannot find the server calendar.google.com (no network)");
    cw_sub_scrub(t, GOOGLE);
    assert_string_equal(t, "cannot find the server calendar.google.com (no network)");
    /* a link shorter than its redacted form is replaced without overflowing */
    snprintf(t, sizeof t, "at https://a.b/9z9z9z9z9z9z9z end");
    cw_sub_scrub(t, "https://a.b/9z9z9z9z9z9z9z");
    assert_null(strstr(t, "9z9z9z9z9z9z9z"));
}

static void test_calname(void **state)
{
    (void)state;
    char n[64];
    const char *ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-WR-CALNAME;VALUE=TEXT:County \\, Education\r\n"
                      " Office\r\nEND:VCALENDAR\r\n";
    cw_cal_data_name(ics, strlen(ics), n, sizeof n);
    assert_string_equal(n, "County , EducationOffice");
    const char *lf = "BEGIN:VCALENDAR\nx-wr-calname:  Maths\\nP5 \n";
    cw_cal_data_name(lf, strlen(lf), n, sizeof n);
    assert_string_equal(n, "Maths P5");
    const char *none = "BEGIN:VCALENDAR\r\nSUMMARY:X-WR-CALNAME:no\r\n";
    cw_cal_data_name(none, strlen(none), n, sizeof n);
    assert_string_equal(n, "");
    /* a UTF-8 name cut to fit is cut before a whole character */
    const char *utf = "X-WR-CALNAME:\xc3\xa9\xc3\xa9\xc3\xa9\r\n";
    char small[6];
    cw_cal_data_name(utf, strlen(utf), small, sizeof small);
    assert_string_equal(small, "\xc3\xa9\xc3\xa9");
    cw_cal_data_name("X-WR-CALNAME", 12, n, sizeof n);
    assert_string_equal(n, "");
}

static void test_pins(void **state)
{
    (void)state;
    const char *pin = "sha256//15/JTDNGuyRuq7EoBFrPw2cqEwn7gyAa+3Q/TLuqLss=";
    assert_true(cw_fetch_pin_valid(pin));
    char two[200];
    snprintf(two, sizeof two, "%s;%s", pin, pin);
    assert_true(cw_fetch_pin_valid(two));
    snprintf(two, sizeof two, "%s;", pin);
    assert_false(cw_fetch_pin_valid(two));
    assert_false(cw_fetch_pin_valid("sha256//15/JTDNGuyRuq7EoBFrPw2cqEwn7gyAa+3Q/TLuqLss"));
    assert_false(cw_fetch_pin_valid("md5//15/JTDNGuyRuq7EoBFrPw2cqEwn7gyAa+3Q/TLuqLss="));
    assert_false(cw_fetch_pin_valid(""));
    /* made with: openssl req -x509 -newkey ec ... ; the pin by
     * openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64 */
    static const char cert[] = "-----BEGIN CERTIFICATE-----\n"
                               "MIIBhTCCASugAwIBAgIUb7ncaiXWcQdwqgB4eMaGHERWX2AwCgYIKoZIzj0EAwIw\n"
                               "FzEVMBMGA1UEAwwMcGFydG5lci50ZXN0MCAXDTI2MTIwNzA2NTkwNVoYDzIxMjYx\n"
                               "MTEzMDY1OTA1WjAXMRUwEwYDVQQDDAxwYXJ0bmVyLnRlc3QwWTATBgcqhkjOPQIB\n"
                               "BggqhkjOPQMBBwNCAAQCcc/L4y0EkYz76A9gUQrqvCWi5Dwb+86XU86e9X7aN3If\n"
                               "YJB1Rg10Rnmoe0yjcvf4Ya+15AX4faEdS3ngvbmEo1MwUTAdBgNVHQ4EFgQUXNS0\n"
                               "TW7C0IjtO3ckVoIrct+4vNgwHwYDVR0jBBgwFoAUXNS0TW7C0IjtO3ckVoIrct+4\n"
                               "vNgwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiEAyTzIGXgE+lId\n"
                               "JafB82J0mhPiz+HBMCQOR2E2u6wP9y8CIAfM3kH74yP1eUnQOuJsOBOBWSOILMeR\n"
                               "EmK4Pun+VkNX\n"
                               "-----END CERTIFICATE-----\n";
    static const char pub[] = "-----BEGIN PUBLIC KEY-----\n"
                              "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEAnHPy+MtBJGM++gPYFEK6rwlouQ8\n"
                              "G/vOl1POnvV+2jdyH2CQdUYNdEZ5qHtMo3L3+GGvteQF+H2hHUt54L25hA==\n"
                              "-----END PUBLIC KEY-----\n";
    char dir[] = "/tmp/cw-test-pin-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *cp = cw_path_join(dir, "c.pem"), *pp = cw_path_join(dir, "p.pem"), *bp = cw_path_join(dir, "b.pem");
    cw_error err;
    assert_int_equal(cw_write_file_atomic(cp, cert, strlen(cert), &err), 0);
    assert_int_equal(cw_write_file_atomic(pp, pub, strlen(pub), &err), 0);
    assert_int_equal(cw_write_file_atomic(bp, "not a pem\n", 10, &err), 0);
    char *got;
    assert_int_equal(cw_fetch_pin_from_pem(cp, &got, &err), 0);
    assert_string_equal(got, pin);
    free(got);
    assert_int_equal(cw_fetch_pin_from_pem(pp, &got, &err), 0);
    assert_string_equal(got, pin);
    free(got);
    assert_int_equal(cw_fetch_pin_from_pem(bp, &got, &err), CW_EINVAL);
    assert_null(got);
    assert_non_null(strstr(err.text, "no PEM certificate or public key"));
    unlink(cp);
    unlink(pp);
    unlink(bp);
    rmdir(dir);
    free(cp);
    free(pp);
    free(bp);
}

/* Fetching from a port nothing listens on: unreachable, said without the link; an empty
 * request list does nothing. */
static void test_fetch_unreachable(void **state)
{
    (void)state;
    cw_fetch_req req[2] = {{0}};
    req[0].url = "http://127.0.0.1:9/" SECRET "/basic.ics";
    req[0].timeout = 5;
    req[1].url = "http://127.0.0.1:9/other.ics";
    req[1].timeout = 5;
    cw_fetch_res res[2];
    cw_error err;
    assert_int_equal(cw_fetch_run(req, res, 2, 0, &err), 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(res[i].status, CW_FETCH_UNREACHABLE);
        assert_non_null(strstr(res[i].text, "cannot connect to 127.0.0.1:9"));
        assert_null(strstr(res[i].text, SECRET));
        assert_null(res[i].body);
        cw_fetch_res_free(&res[i]);
    }
    assert_int_equal(cw_fetch_run(NULL, NULL, 0, 0, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip), cmocka_unit_test(test_refusals), cmocka_unit_test(test_save_load), cmocka_unit_test(test_states),
        cmocka_unit_test(test_links),      cmocka_unit_test(test_scrub),    cmocka_unit_test(test_calname),
        cmocka_unit_test(test_pins),       cmocka_unit_test(test_fetch_unreachable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
