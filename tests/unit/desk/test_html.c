/* test_html.c — desk/html.c, the one templating path: every %s is escaped for HTML, URL
 * parts are percent-encoded, invalid UTF-8 becomes U+FFFD, control characters vanish. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "html.h"

static void test_escape(void **state)
{
    (void)state;
    cw_buf b;
    cw_buf_init(&b);
    desk_html(&b, "<p title=\"%s\">%s</p>", "\"><script>alert(1)</script>", "Tom & 'Jerry' <b>\x01\x7f");
    assert_string_equal(b.data, "<p title=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\">Tom &amp; &#39;Jerry&#39; "
                                "&lt;b&gt;</p>");
    b.len = 0;
    desk_html(&b, "%s|%s", "caf\xe9", "\xc3\xa9\xf0\x9f\x93\xbb"); /* Latin-1 byte; valid UTF-8 kept */
    assert_string_equal(b.data, "caf\xef\xbf\xbd|\xc3\xa9\xf0\x9f\x93\xbb");
    b.len = 0;
    desk_html(&b, "%s", NULL);
    assert_int_equal(b.len, 0);
    cw_buf_free(&b);
}

static void test_urls(void **state)
{
    (void)state;
    cw_buf b;
    cw_buf_init(&b);
    desk_html(&b, "<a href=\"/t/%U/x?q=%Q\">", "a/b c\"<", "x&y=z #");
    assert_string_equal(b.data, "<a href=\"/t/a%2Fb%20c%22%3C/x?q=x%26y%3Dz%20%23\">");
    b.len = 0;
    desk_html(&b, "%P", "library/lesson/m p/001-\xc3\xa9.ogg");
    assert_string_equal(b.data, "library/lesson/m%20p/001-%C3%A9.ogg");
    cw_buf_free(&b);
}

static void test_numbers(void **state)
{
    (void)state;
    cw_buf b;
    cw_buf_init(&b);
    desk_html(&b, "%d %l %z %1 %2 %1 %% %H", -3, (int64_t)1 << 40, (size_t)7, 2.25, -23.456, NAN, "<b>raw</b>");
    assert_string_equal(b.data, "-3 1099511627776 7 2.2 -23.46 - % <b>raw</b>");
    cw_buf_free(&b);
    char t[32];
    desk_fmt_length(59.6, t);
    assert_string_equal(t, "1:00");
    desk_fmt_length(3725, t);
    assert_string_equal(t, "1:02:05");
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_escape), cmocka_unit_test(test_urls),
                                       cmocka_unit_test(test_numbers)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
