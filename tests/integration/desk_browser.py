#!/usr/bin/env python3
"""desk_browser.py — the desk in a real browser (Debian's headless Chromium through
chromedriver and python3-selenium), driven as a teacher on a phone and as staff on a laptop.

Usage: desk_browser.py DESK_URL TOKEN USER PASSWORD WORKDIR SHOTS CALENDAR WEBM_OK
Prints one "ok - ..." or "FAIL - ..." line per check (the integration lib's format) and
saves a screenshot after each step into SHOTS. Exits 0 when every check passed.
"""
import json
import os
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

URL, TOKEN, USER, PASSWORD, WORK, SHOTS, CALENDAR, WEBM_OK = sys.argv[1:9]
failed = 0
passed = 0


T0 = time.time()


def ok(msg):
    global passed
    passed += 1
    print("ok - %s [%.0f s]" % (msg, time.time() - T0), flush=True)


def fail(msg):
    global failed
    failed += 1
    print("FAIL - %s [%.0f s]" % (msg, time.time() - T0), flush=True)


def check(cond, msg):
    (ok if cond else fail)(msg)
    return cond


def browser(width, height, mobile=False, javascript=True, downloads=None):
    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--disable-dev-shm-usage", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
              "--user-data-dir=" + os.path.join(WORK, "profile-%d-%d" % (width, int(javascript))),
              "--window-size=%d,%d" % (width, height)):
        o.add_argument(a)
    if mobile:
        o.add_experimental_option("mobileEmulation", {
            "deviceMetrics": {"width": width, "height": height, "pixelRatio": 2.0, "touch": True},
            "userAgent": "Mozilla/5.0 (Linux; Android 12; Tecno Spark) AppleWebKit/537.36 (KHTML, like Gecko) "
                         "Chrome/120.0 Mobile Safari/537.36"})
    if not javascript:
        o.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
    d.set_page_load_timeout(60)
    if downloads:
        d.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})
    return d


def shot(d, name):
    d.save_screenshot(os.path.join(SHOTS, name + ".png"))


def wait_for(d, cond, timeout=60):
    try:
        # a page being replaced (a redirect, a refresh) is waited through, not an error
        WebDriverWait(d, timeout, poll_frequency=0.2,
                      ignored_exceptions=(StaleElementReferenceException, NoSuchElementException)).until(lambda x: cond(x))
        return True
    except TimeoutException:
        return False


def text(d):
    return d.find_element(By.TAG_NAME, "main").text


def accessibility(d, page):
    """Every visible form control has a label; the page has a language, a title and one h1;
    nothing can only be reached with a mouse (no positive tabindex); no inline script ran."""
    r = d.execute_script("""
        var bad = [];
        document.querySelectorAll('input, select, textarea').forEach(function (e) {
            if (e.type === 'hidden' || e.closest('[hidden]')) return;
            if (!(e.id && document.querySelector('label[for="' + e.id + '"]')) && !e.closest('label') &&
                !e.getAttribute('aria-label')) bad.push((e.name || e.type) + ' has no label');
        });
        if (!document.documentElement.lang) bad.push('no lang');
        if (!document.title) bad.push('no title');
        if (document.querySelectorAll('h1').length !== 1) bad.push(document.querySelectorAll('h1').length + ' h1');
        document.querySelectorAll('[tabindex]').forEach(function (e) {
            if (+e.getAttribute('tabindex') > 0) bad.push('positive tabindex');
        });
        return bad;""")
    check(not r, "%s: labelled controls, lang, title, one h1%s" % (page, (": " + "; ".join(r)) if r else ""))
    # WCAG 2.1 AA contrast of every visible text against the background it is drawn on
    # (the nearest opaque background up the tree): 4.5:1, 3:1 for large text
    low = d.execute_script("""
        function rgb(c) { var m = c.match(/[0-9.]+/g); return m ? m.map(Number) : [0, 0, 0, 0]; }
        function lum(c) { return [0, 1, 2].map(function (i) { var v = c[i] / 255;
            return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); })
            .reduce(function (s, v, i) { return s + v * [0.2126, 0.7152, 0.0722][i]; }, 0); }
        function bg(e) { for (; e; e = e.parentElement) { var c = rgb(getComputedStyle(e).backgroundColor);
            if (c.length < 4 || c[3] > 0.99) return c; } return [255, 255, 255]; }
        var bad = [];
        document.querySelectorAll('body *').forEach(function (e) {
            var own = Array.prototype.some.call(e.childNodes, function (n) { return n.nodeType === 3 && n.textContent.trim(); });
            if (!own || !e.offsetParent && getComputedStyle(e).position !== 'fixed') return;
            var st = getComputedStyle(e), r = e.getBoundingClientRect();
            if (r.width === 0 || r.height === 0 || r.right < 0) return; /* off screen: the skip link until focused */
            var fg = rgb(st.color), b = bg(e), a = fg.length > 3 ? fg[3] : 1;
            fg = [0, 1, 2].map(function (i) { return fg[i] * a + b[i] * (1 - a); });
            var l1 = lum(fg), l2 = lum(b), ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
            var size = parseFloat(st.fontSize), large = size >= 24 || (size >= 18.66 && +st.fontWeight >= 700);
            if (ratio < (large ? 3 : 4.5)) bad.push(e.tagName.toLowerCase() + ' "' + e.textContent.trim().slice(0, 30) + '" ' + ratio.toFixed(2));
        });
        return bad;""")
    check(not low, "%s: text contrast at least WCAG AA%s" % (page, (": " + "; ".join(low[:5])) if low else ""))
    logs = [l for l in d.get_log("browser") if l.get("level") == "SEVERE" and "favicon" not in l.get("message", "")]
    check(not logs, "%s: no errors in the browser console%s" % (page, (": " + logs[0]["message"]) if logs else ""))


def keyboard(d, page):
    """Tab from the top: every visible link, button and control is reached in turn (no
    trap, nothing mouse-only), and each shows a focus outline."""
    wanted = d.execute_script("""
        var all = document.querySelectorAll('*');
        return Array.prototype.filter.call(document.querySelectorAll('a[href], button, input, select, textarea, summary'),
            function (e) { var shut = e.closest('details:not([open])');  /* folded away until opened */
                           if (shut && e.parentElement !== shut) return false;
                           return e.type !== 'hidden' && !e.disabled && e.getClientRects().length &&
                                  getComputedStyle(e).visibility !== 'hidden'; })
            .map(function (e) { return [e.tagName + '#' + Array.prototype.indexOf.call(all, e),
                                        (e.textContent || e.name || e.href || '').trim().slice(0, 30)]; });""")
    want = len(wanted)
    d.execute_script("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0);")
    seen, no_ring, last = set(), [], None
    for _ in range(want * 6 + 5):  # an <audio> player takes several tabs through its own buttons
        ActionChains(d).send_keys(Keys.TAB).perform()
        info = d.execute_script("""
            var e = document.activeElement; if (!e || e === document.body) return null;
            var s = getComputedStyle(e);
            return [e.tagName + '#' + Array.prototype.indexOf.call(document.querySelectorAll('*'), e),
                    s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2, (e.textContent || e.name || '').trim().slice(0, 30)];""")
        if info and info[0] == last:
            continue  # inside a player's own controls (they draw their own focus)
        if not info or info[0] in seen:
            break
        seen.add(info[0])
        last = info[0]
        if not info[1] and not info[0].startswith(("AUDIO#", "VIDEO#")):
            no_ring.append(info[2])
    missed = [w[1] or w[0] for w in wanted if w[0] not in seen]
    check(not missed, "%s: the keyboard reaches all %d controls%s" % (page, want, (": not " + ", ".join(missed[:4])) if missed else ""))
    check(not no_ring, "%s: each shows where the focus is%s" % (page, (": not " + ", ".join(no_ring[:3])) if no_ring else ""))


def result_text(d):
    """Wait until the upload's page stops refreshing itself; return its main text."""
    wait_for(d, lambda x: "/uploads/" in x.current_url, 60)
    for _ in range(300):
        if not d.find_elements(By.CSS_SELECTOR, 'meta[http-equiv="refresh"]'):
            break
        time.sleep(0.3)
        d.refresh()
    return text(d)


# ---- the teacher, on a phone ------------------------------------------------------------------------
t = browser(390, 844, mobile=True)
try:
    t.get(URL + "/t/" + TOKEN)
    shot(t, "01-teacher-page")
    check("Hello, Mrs Okafor" in text(t), "the teacher's page greets the teacher")
    check("recording needed" in text(t), "it shows the episodes still needed")
    accessibility(t, "teacher page")
    keyboard(t, "teacher page")
    width = t.execute_script("return document.documentElement.scrollWidth")
    check(width <= 390, "the page fits a 390-pixel phone screen (%d px wide)" % width)
    forms = t.find_elements(By.CSS_SELECTOR, "ol.slots form.upload")
    check(len(forms) >= 1, "an upload form per missing episode (%d)" % len(forms))
    forms[0].find_element(By.CSS_SELECTOR, 'input[type="file"]').send_keys(os.path.join(WORK, "good.wav"))
    forms[0].find_element(By.CSS_SELECTOR, 'button[type="submit"]').click()
    res = result_text(t)
    shot(t, "02-teacher-accepted")
    check(res.startswith("Accepted") or "Accepted:" in res, "a good recording: 'Accepted', with when it airs (%s)" % res.splitlines()[1:2])
    check("waiting for the station's approval" in res and "it airs on" in res,
          "...that it waits for the station's approval, and when it will air")
    t.get(URL + "/t/" + TOKEN)
    free = t.find_element(By.ID, "free-upload")
    free.find_element(By.NAME, "episode").send_keys("2")
    free.find_element(By.NAME, "file").send_keys(os.path.join(WORK, "broken.m4a"))
    free.find_element(By.CSS_SELECTOR, 'button[type="submit"]').click()
    res = result_text(t)
    shot(t, "03-teacher-refused")
    check("Refused" in res and "send" in res, "a broken recording: 'Refused' and what to send instead")
    # recording in the browser (a fake microphone), then uploading it
    t.get(URL + "/t/" + TOKEN)
    rec = t.find_elements(By.CSS_SELECTOR, ".recorder button.record")
    if check(len(rec) == 1, "JavaScript offers recording in the browser"):
        free = t.find_element(By.ID, "free-upload")
        free.find_element(By.NAME, "episode").send_keys("3")
        free.find_element(By.NAME, "title").send_keys("Recorded in the browser")
        rec[0].click()
        time.sleep(4)
        t.find_element(By.CSS_SELECTOR, ".recorder button.stop").click()
        check(wait_for(t, lambda x: x.execute_script(
            "return document.getElementById('file').files.length === 1 && "
            "document.getElementById('file').files[0].size > 1000"), 20), "the recording fills the file field")
        shot(t, "04-teacher-recorded")
        free.find_element(By.CSS_SELECTOR, 'button[type="submit"]').click()
        res = result_text(t)
        shot(t, "05-teacher-recording-uploaded")
        if WEBM_OK == "1":
            check("Accepted" in res, "the browser's recording is accepted")
        else:
            check("Refused" in res and ("WebM" in res or "webm" in res), "this build cannot read the browser's WebM "
                  "recording and says so (%s)" % res.splitlines()[1:2])
finally:
    t.quit()

# ---- the same upload without JavaScript -------------------------------------------------------------
n = browser(390, 844, mobile=True, javascript=False)
try:
    n.get(URL + "/t/" + TOKEN)
    check(not n.find_elements(By.CSS_SELECTOR, ".recorder button"), "without JavaScript: no recorder, the page still works")
    forms = n.find_elements(By.CSS_SELECTOR, "ol.slots form.upload")
    forms[0].find_element(By.CSS_SELECTOR, 'input[type="file"]').send_keys(os.path.join(WORK, "nojs.wav"))
    # the keyboard, not a click: chromedriver's touch emulation needs JavaScript to click
    forms[0].find_element(By.CSS_SELECTOR, 'button[type="submit"]').send_keys(Keys.ENTER)
    wait_for(n, lambda x: "/uploads/" in x.current_url)
    wait_for(n, lambda x: "Accepted" in text(x) or "Refused" in text(x), 90)  # the page refreshes itself
    shot(n, "06-teacher-nojs-accepted")
    check("Accepted" in text(n), "without JavaScript: uploaded, and the page refreshed itself to 'Accepted'")
finally:
    n.quit()

# ---- staff, on a laptop -------------------------------------------------------------------------------
dl = os.path.join(WORK, "downloads")
os.makedirs(dl, exist_ok=True)
s = browser(1280, 900, downloads=dl)
try:
    s.get(URL + "/staff/week")
    check("/login" in s.current_url, "the week without a login leads to the login page")
    accessibility(s, "login page")
    s.find_element(By.ID, "user").send_keys(USER)
    s.find_element(By.ID, "password").send_keys(PASSWORD)
    s.find_element(By.CSS_SELECTOR, 'form button[type="submit"]').click()
    wait_for(s, lambda x: "/staff/week" in x.current_url)
    check("The week from" in text(s), "after logging in: the week")
    # the teacher's uploads wait for approval: listen, then approve the first
    s.get(URL + "/staff/inbox")
    shot(s, "10-staff-inbox")
    players = s.find_elements(By.CSS_SELECTOR, "article.s-pending audio")
    check(len(players) >= 1, "the inbox offers the uploads awaiting approval with a player (%d)" % len(players))
    accessibility(s, "inbox")
    keyboard(s, "inbox")
    ok_src = s.execute_script("var a = arguments[0]; a.preload = 'auto'; a.load(); return a.currentSrc;", players[-1])
    check(wait_for(s, lambda x: x.execute_script("return arguments[0].readyState >= 1", players[-1]), 20),
          "the browser loads the pending recording to listen (%s)" % ok_src.rsplit("/", 1)[-1])
    s.find_elements(By.CSS_SELECTOR, 'article.s-pending form[action$="/approve"] button')[-1].click()
    wait_for(s, lambda x: "Approved" in text(x))
    shot(s, "10-staff-approved")
    check("Approved" in text(s), "approved from the inbox")
    # reject another with a reason, typed into the form; the teacher's page shows it
    forms = s.find_elements(By.CSS_SELECTOR, 'article.s-pending form[action$="/reject"]')
    if check(len(forms) >= 1, "another upload awaits approval, with a form to reject it (%d)" % len(forms)):
        why = "Please record again without the radio playing behind you."
        forms[0].find_element(By.TAG_NAME, "textarea").send_keys(why)
        forms[0].find_element(By.CSS_SELECTOR, "button").click()
        wait_for(s, lambda x: "Rejected" in text(x))
        shot(s, "10-staff-rejected")
        check("Rejected: the teacher sees why." in text(s), "rejected from the inbox")
        s.get(URL + "/t/" + TOKEN)
        check("rejected: " + why in text(s), "the teacher's page shows the rejection and its reason")
    s.get(URL + "/staff/week")
    shot(s, "10-staff-week")
    check("maths ep. 1" in text(s), "the week shows the approved lesson")
    accessibility(s, "week")
    s.get(URL + "/staff/missing")
    shot(s, "11-staff-missing")
    missing_text = text(s)
    check("Mrs Okafor" in missing_text, "the missing list names the teacher to chase")
    before = json.loads(open(os.path.join(WORK, "missing-before.json")).read())
    rows = len(s.find_elements(By.CSS_SELECTOR, "table.list tbody tr"))
    check(rows < before, "the missing list shrank after the upload (%d -> %d)" % (before, rows))
    accessibility(s, "missing")
    # a calendar: check, then import with a priority
    s.get(URL + "/staff/calendars")
    s.find_element(By.ID, "ics").send_keys(CALENDAR)
    s.find_element(By.CSS_SELECTOR, "form.upload button").click()
    wait_for(s, lambda x: "can be used" in text(x) or "cannot be used" in text(x))
    shot(s, "12-staff-calendar-checked")
    check("The calendar can be used" in text(s), "the calendar is checked")
    prio = s.find_element(By.ID, "priority")
    prio.clear()
    prio.send_keys("5")
    s.find_element(By.CSS_SELECTOR, 'form[action="/staff/calendars/import"] button').click()
    wait_for(s, lambda x: "Imported" in text(x))
    shot(s, "13-staff-calendar-imported")
    check("Imported" in text(s), "...and imported with priority 5")
    accessibility(s, "calendars")
    # build a day and download it
    day = open(os.path.join(WORK, "day.txt")).read().strip()
    s.get(URL + "/staff/days/" + day)
    s.find_element(By.XPATH, "//button[contains(., 'Build')]").click()
    wait_for(s, lambda x: "/staff/jobs/" in x.current_url)
    check(wait_for(s, lambda x: "Built" in text(x) or "could not" in text(x), 300), "the build finishes (its page updates itself)")
    shot(s, "14-staff-built")
    check("Built" in text(s), "the day is built: " + text(s).splitlines()[1] if len(text(s).splitlines()) > 1 else "")
    s.get(URL + "/staff/days/" + day)
    shot(s, "15-staff-day")
    accessibility(s, "day")
    s.find_element(By.PARTIAL_LINK_TEXT, "Download the bundle").click()
    tar = os.path.join(dl, "chalkwave-%s.tar" % day)
    check(wait_for(s, lambda x: os.path.exists(tar) and not os.path.exists(tar + ".crdownload"), 120),
          "the bundle downloads as one .tar")
    for page in ("library", "teachers", "settings", "days"):
        s.get(URL + "/staff/" + page)
        shot(s, "16-staff-" + page)
        accessibility(s, page)
finally:
    s.quit()

print("browser: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
