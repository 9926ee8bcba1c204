#!/usr/bin/env bash
# test_bundle_peers.sh — `chalkwave build` on a station of sine-tone recordings, checked with
# real peers: ogginfo (nothing but its report), libvorbisfile through ctypes (one link per
# plan item, each exactly its planned length, the window's length in samples, every tone at
# its planned offset — after a cut too), ffmpeg decodes every link, sha256sum -c, a flipped
# byte fails `verify`, guide.html parses strictly (python html.parser with a nesting check,
# and xmllint --html) and names every item, hostile titles stay inside their fields in every
# playlist, a rebuild is byte-identical, kill -9 during a build leaves the bundle intact.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/test_bundle_station.inc"
cw_need sox ffmpeg ogginfo
cw_skip_if_missing

date=2027-01-13
rate=22050
window=$((5 * 60 * rate)) # on_air 07:00-07:05

st=$(tone_station tones Africa/Lagos 07:00-07:05 $rate $date) || { not_ok "make the tone station"; cw_finish; }
bundle=$st/out/$date

cw --station "$st" build --date $date
expect_rc 0 "build the tone day"
expect_out "built $bundle" "build names the bundle folder"
expect_out "ffplay -nodisp '$bundle/day.ogg'" "build says how to listen"
expect_out_re "note: item [0-9]+ cut to 60.000 s with a 0.50 s fade" "build reports the cut item"

# ---- plan.json is the plan the bundle was built from -------------------------------------
n_items=$(json_get "$bundle/plan.json" 'len(d["items"])')
check "plan.json has items" test "$n_items" -gt 5
plan_total=$(json_get "$bundle/plan.json" 'sum(i["length_samples"] for i in d["items"])')
expect_eq "$plan_total" "$window" "plan items cover the window exactly"

# ---- ogginfo ------------------------------------------------------------------------------
# every line but ogginfo's report is a complaint (ogginfo_check in lib.sh: only its one
# proven false positive on chains of 19+ streams is dropped)
if ogginfo_check "$bundle/day.ogg" >"$CW_TMP/ogginfo.bad"; then
    ok "ogginfo reports no warnings or errors about the stream"
else
    not_ok "ogginfo complains: $(head -3 "$CW_TMP/ogginfo.bad")"
fi
ogginfo "$bundle/day.ogg" >"$CW_TMP/ogginfo.txt" 2>&1
expect_eq "$(grep -c '^New logical stream' "$CW_TMP/ogginfo.txt")" "$n_items" "ogginfo sees one logical stream per item"
expect_eq "$(grep -o 'serial: [0-9a-f]*' "$CW_TMP/ogginfo.txt" | sort -u | wc -l)" "$n_items" "serial numbers are unique"

# ---- libvorbisfile ------------------------------------------------------------------------
vorbis_links "$bundle/day.ogg" --decode >"$CW_TMP/links.txt"
expect_eq "$(sed -n 's/^links //p' "$CW_TMP/links.txt")" "$n_items" "libvorbisfile: one link per plan item"
expect_eq "$(sed -n 's/^total //p' "$CW_TMP/links.txt")" "$window" "libvorbisfile: exactly the window in samples"
want=$(json_get "$bundle/plan.json" '" ".join(str(i["length_samples"]) for i in d["items"])')
got=$(awk '$1=="link"{printf "%s%s", sep, $3; sep=" "}' "$CW_TMP/links.txt")
expect_eq "$got" "$want" "libvorbisfile: every link has its planned length"
got=$(awk '$1=="decoded"{printf "%s%s", sep, $3; sep=" "}' "$CW_TMP/links.txt")
expect_eq "$got" "$want" "libvorbisfile: every link decodes to its planned length"
check "libvorbisfile: no holes" bash -c "! grep -q '^holes' '$CW_TMP/links.txt'"

# ---- tones at their planned offsets (libvorbisfile, sample-exact seeking) ------------------
tone_check "$bundle" >"$CW_TMP/tones.txt"
expect_eq "$(sed -n 's/^bad //p' "$CW_TMP/tones.txt")" 0 "every item's tone starts at its planned offset ($(grep -c '^ok' "$CW_TMP/tones.txt") items)"
grep '^BAD' "$CW_TMP/tones.txt" | head -5

# ---- ffmpeg decodes every link -------------------------------------------------------------
ffmpeg -nostdin -v error -i "$bundle/day.ogg" -ac 1 -ar $rate -f s16le - 2>"$CW_TMP/ffmpeg.err" >"$CW_TMP/ffmpeg.raw"
expect_eq "$?" 0 "ffmpeg decodes day.ogg"
# ffmpeg 5.1 complains about any chained Ogg (cat of two oggenc files too): its muxer's
# timestamp note at each link change, and "failed to create or replace stream" when its
# duration probe near the end of the file lands inside a link it has not seen begin.
# Anything else is a decoding error.
expect_eq "$(grep -v -e 'non monotonically increasing dts' -e 'failed to create or replace stream' \
    "$CW_TMP/ffmpeg.err" | wc -l)" 0 "ffmpeg reports no decoding errors"
ff_samples=$(($(stat -c %s "$CW_TMP/ffmpeg.raw") / 2))
diff=$((ff_samples - window)); diff=${diff#-}
# ffmpeg adds a few hundred samples at each link boundary; a link it skipped would be
# missing seconds (the shortest filler here is 10 s)
check "ffmpeg decodes all links: $ff_samples samples of $window (+-512 per link)" test "$diff" -le $((512 * n_items))
for f in "$bundle"/items/*.ogg; do
    ffmpeg -nostdin -v error -i "$f" -f null - 2>>"$CW_TMP/ffmpeg-items.err"
done
expect_eq "$(wc -c <"$CW_TMP/ffmpeg-items.err")" 0 "ffmpeg decodes every items/ file without errors"

# ---- items/ ------------------------------------------------------------------------------
expect_eq "$(ls "$bundle/items" | wc -l)" "$n_items" "one file per item in items/"
check "item names are NNN-HHMM-slug.ogg" bash -c "ls '$bundle/items' | grep -vqE '^[0-9]{3}-[0-9]{4}-[a-z0-9-]+\.ogg$' && exit 1 || exit 0"
lib_a=$(find "$st/library/lesson/maths-5" -name '*.ogg')
item_a=$(ls "$bundle"/items/001-0700-*.ogg)
expect_eq "$(stat -c %i "$item_a")" "$(stat -c %i "$lib_a")" "an unchanged item is a hard link of its library file"

# ---- checksums and verify ------------------------------------------------------------------
(cd "$bundle" && sha256sum -c --quiet SHA256SUMS) >"$CW_TMP/sums.txt" 2>&1
expect_eq "$?" 0 "sha256sum -c SHA256SUMS passes in the bundle"
listed=$(wc -l <"$bundle/SHA256SUMS")
files=$(cd "$bundle" && find . -type f ! -name SHA256SUMS | wc -l)
expect_eq "$listed" "$files" "SHA256SUMS lists every other file"
check "SHA256SUMS is sorted" bash -c "LC_ALL=C sort -c -k2 '$bundle/SHA256SUMS'"
cw verify "$bundle"
expect_rc 0 "verify on the fresh bundle"

copy=$CW_TMP/copy
cp -a "$bundle" "$copy"
printf '\x55' | dd of="$copy/items/$(basename "$item_a")" bs=1 seek=4000 conv=notrunc status=none
cw verify "$copy"
expect_rc 1 "verify after one flipped byte"
expect_out "items/$(basename "$item_a"): checksum mismatch" "verify names the damaged file"
rm -rf "$copy"; cp -a "$bundle" "$copy"
truncate -s -100 "$copy/day.ogg"
cw verify "$copy"
expect_rc 1 "verify after truncating day.ogg"
expect_out "day.ogg: checksum mismatch" "verify names day.ogg"

# ---- guide.html ------------------------------------------------------------------------------
"$CW_PYTHON" - "$bundle/guide.html" "$bundle/plan.json" >"$CW_TMP/html.txt" <<'PYEOF'
import html, html.parser, json, sys
VOID = {"meta", "br", "img", "link", "hr", "input", "col", "wbr", "source", "area", "base"}
class Strict(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.text, self.external = [], [], [], []
    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("src", "href") or (v or "").lstrip().startswith(("http:", "https:", "//")):
                self.external.append((tag, k, v))
        if tag not in VOID:
            self.stack.append(tag)
    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()
    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append("unexpected </%s> (open: %s)" % (tag, self.stack[-3:]))
        else:
            self.stack.pop()
    def handle_data(self, d):
        self.text.append(d)
src = open(sys.argv[1], encoding="utf-8").read()
p = Strict(); p.feed(src); p.close()
if p.stack: p.errors.append("unclosed: %s" % p.stack)
text = "".join(p.text)
plan = json.load(open(sys.argv[2], encoding="utf-8"))
missing = [i["title"] for i in plan["items"] if i["kind"] != "silence" and i["title"] not in text]
print("errors %d" % len(p.errors)); [print("  " + e) for e in p.errors[:5]]
print("external %d" % len(p.external))
print("missing %d" % len(missing)); [print("  " + m) for m in missing[:5]]
print("doctype %d" % src.startswith("<!DOCTYPE html>"))
print("viewport %d" % ('name="viewport"' in src))
print("print %d" % ("@media print" in src))
# rows: one per programme (and per lone filler); each run of 2+ fillers/silences is one
# "Between programmes" row spanning the run, with its item count and distinct titles
import re
FILL = ("filler", "silence")
its, want = plan["items"], []
i = 0
while i < len(its):
    j = i
    while j < len(its) and its[j]["kind"] in FILL:
        j += 1
    if j - i >= 2:
        titles = []
        for it in its[i:j]:
            t = it["title"] or ("Silence" if it["kind"] == "silence" else "")
            if t not in titles:
                titles.append(t)
        want.append(("r-fill", its[i]["start"][11:16] + "\u2013" + its[j - 1]["end"][11:16],
                     "Between programmes" + ", ".join(titles) + " (%d items)" % (j - i)))
        i = j
    else:
        it = its[i]
        want.append(("r-" + it["kind"], it["start"][11:16], it["title"]))
        i += 1
got = [(c, html.unescape(re.sub(r"<[^>]+>", "", t)), html.unescape(re.sub(r"<[^>]+>", "", g)))
       for c, t, g in re.findall(r'<tr class="([^"]+)"><td class="time">(.*?)</td>(.*?)</tr>', src)]
bad = [(w, g) for w, g in zip(want, got) if w[0] != g[0] or w[1] != g[1] or w[2] not in g[2]]
print("rows %d" % src.count("<tr class="))
print("want_rows %d" % len(want))
print("fill_rows %d" % sum(1 for w in want if w[0] == "r-fill"))
print("fill_items %d" % sum(1 for it in its if it["kind"] in FILL))
print("rows_bad %d" % (len(bad) + abs(len(want) - len(got)))); [print("  want %r got %r" % b) for b in bad[:3]]
PYEOF
expect_eq "$(sed -n 's/^errors //p' "$CW_TMP/html.txt")" 0 "guide.html: every tag nests and closes (strict parse)"
expect_eq "$(sed -n 's/^external //p' "$CW_TMP/html.txt")" 0 "guide.html: no external resources"
expect_eq "$(sed -n 's/^missing //p' "$CW_TMP/html.txt")" 0 "guide.html names every planned item"
# guide.html collapses each run of fillers/silence into one row (like guide.txt's lines)
check "the tone day has runs of fillers to collapse" test "$(sed -n 's/^fill_rows //p' "$CW_TMP/html.txt")" -ge 2
check "guide.html has fewer rows than items" test "$(sed -n 's/^rows //p' "$CW_TMP/html.txt")" -lt "$n_items"
expect_eq "$(sed -n 's/^rows //p' "$CW_TMP/html.txt")" "$(sed -n 's/^want_rows //p' "$CW_TMP/html.txt")" "guide.html: one row per programme and one per run of fillers"
expect_eq "$(sed -n 's/^rows_bad //p' "$CW_TMP/html.txt")" 0 "guide.html rows: kind, time (a run: start-end), title (a run: its titles and item count)"
expect_eq "$(grep -c '<tr class="r-fill">' "$bundle/guide.html")" "$(grep -c 'Between programmes: ' "$bundle/guide.txt")" "guide.html and guide.txt collapse the same runs"
expect_eq "$(sed -n 's/^viewport //p;s/^print //p;s/^doctype //p' "$CW_TMP/html.txt" | tr -d '\n')" 111 "guide.html: doctype, phone viewport, print stylesheet"
if cw_need xmllint; then
    xmllint --html --noout "$bundle/guide.html" >"$CW_TMP/xmllint.txt" 2>&1
    expect_eq "$(wc -c <"$CW_TMP/xmllint.txt")" 0 "xmllint --html finds nothing to report in guide.html"
    xmllint --noout "$bundle/playlist.xspf" >"$CW_TMP/xmllint.txt" 2>&1
    expect_eq "$?" 0 "playlist.xspf is well-formed XML"
fi

# ---- hostile title in every writer -----------------------------------------------------------
"$CW_PYTHON" - "$bundle" <<'PYEOF' >"$CW_TMP/hostile.txt"
import configparser, os, re, sys, xml.etree.ElementTree as ET
b = sys.argv[1]
title = '<b>Fractions</b> & "quotes" \\ back'
res = []
x = ET.parse(os.path.join(b, "playlist.xspf")).getroot()
ns = {"x": "http://xspf.org/ns/0/"}
res.append(("xspf title", x.find("x:trackList/x:track/x:title", ns).text == title))
res.append(("xspf creator", x.find("x:trackList/x:track/x:creator", ns).text == 'Mrs "A" <Ade>'))
m3u = open(os.path.join(b, "playlist.m3u8"), encoding="utf-8").read().splitlines()
res.append(("m3u8 extinf", m3u[2] == '#EXTINF:40,Mrs "A" <Ade> - ' + title))
res.append(("m3u8 path", m3u[3].startswith("items/001-0700-")))
pls = configparser.RawConfigParser(); pls.optionxform = str
pls.read(os.path.join(b, "playlist.pls"), encoding="utf-8")
res.append(("pls title", pls["playlist"]["Title1"] == 'Mrs "A" <Ade> - ' + title))
cue = open(os.path.join(b, "day.cue"), encoding="utf-8").read()
res.append(("cue title", "TITLE \"<b>Fractions</b> & 'quotes' / back\"" in cue))
liq = open(os.path.join(b, "liquidsoap.m3u"), encoding="utf-8").read().splitlines()
res.append(("liquidsoap", liq[1].startswith('annotate:title="<b>Fractions</b> & \\"quotes\\" \\\\ back",artist="Mrs \\"A\\" <Ade>"')))
res.append(("liquidsoap abs path", liq[1].split('":')[-1].startswith(b)))
g = open(os.path.join(b, "guide.html"), encoding="utf-8").read()
res.append(("html", "&lt;b&gt;Fractions&lt;/b&gt; &amp; &quot;quotes&quot; \\ back" in g and "<b>Fractions" not in g))
t = open(os.path.join(b, "guide.txt"), encoding="utf-8").read()
res.append(("txt", "07:00  " + title + " - Mrs \"A\" <Ade>" in t))
for name, ok in res:
    print("%s %s" % ("ok" if ok else "BAD", name))
PYEOF
while read -r status name; do
    if [ "$status" = ok ]; then ok "hostile title kept in its field: $name"; else not_ok "hostile title: $name"; fi
done <"$CW_TMP/hostile.txt"

# ---- rebuild: byte-identical --------------------------------------------------------------------
sums1=$(sha256sum <"$bundle/SHA256SUMS")
cp "$bundle/day.ogg" "$CW_TMP/day1.ogg"
cw --station "$st" build --date $date
expect_rc 0 "rebuild the same day"
expect_eq "$(sha256sum <"$bundle/SHA256SUMS")" "$sums1" "the rebuild has the same SHA256SUMS"
check "the rebuilt day.ogg is byte-identical" cmp -s "$CW_TMP/day1.ogg" "$bundle/day.ogg"

# ---- kill -9 during a build: the previous bundle stays whole -------------------------------------
before=$(tree_sum "$bundle")
for delay in 0.05 0.2 0.5; do
    "$CW_BINARY" --station "$st" build --date $date >/dev/null 2>&1 &
    pid=$!
    sleep $delay
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
    if [ -e "$bundle/SHA256SUMS" ] && (cd "$bundle" && sha256sum -c --quiet SHA256SUMS >/dev/null 2>&1); then
        ok "bundle intact after kill -9 at ${delay}s"
    else
        not_ok "bundle damaged after kill -9 at ${delay}s"
    fi
done
expect_eq "$(tree_sum "$bundle")" "$before" "the bundle is the same as before the killed builds"
cw --station "$st" build --date $date
expect_rc 0 "a build after the killed ones"
expect_eq "$(ls -a "$st/out" | grep -c 'tmp-')" 0 "no leftovers of killed builds after the next build"

# ---- --out elsewhere ----------------------------------------------------------------------------
cw --station "$st" build --date $date --out "$CW_TMP/elsewhere/day"
expect_rc 0 "build --out to another folder"
check "the bundle in --out verifies" "$CW_BINARY" verify "$CW_TMP/elsewhere/day"
expect_eq "$(grep -c "$CW_TMP/elsewhere/day/items/" "$CW_TMP/elsewhere/day/liquidsoap.m3u")" "$n_items" "liquidsoap.m3u uses the --out folder's absolute paths"

cw_finish
