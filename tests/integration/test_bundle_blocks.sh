#!/usr/bin/env bash
# test_bundle_blocks.sh — the blocks of a real bundle (the example station's Wednesday, built
# by the binary), checked with peers: events.csv read by Python's csv module (RFC 4180, one
# row per block, its files there, local times and UTC instants agreeing with plan.json),
# each block's M3U through Liquidsoap's playlist parser (every item, in order, resolvable),
# each block's Ogg through ogginfo and libvorbisfile (its items' lengths), liquidsoap.liq
# type-checked by Liquidsoap inside a station script; verify on a copy that Windows and
# macOS have been at (desktop.ini, Thumbs.db, .DS_Store, ._*, System Volume Information):
# exit 0 with a note for each, and an unlisted file of anyone else still fails.
. "$(dirname "$0")/lib.sh"

cw_need liquidsoap
date=2027-01-13
st=$(example_station blocks)
rm -rf "$st/recordings"
cp "$CW_SOURCE_DIR"/examples/station/recordings/* "$st/inbox/"
cw --station "$st" ingest --inbox
expect_rc 0 "ingest the example recordings"
cw --station "$st" build --date $date
expect_rc 0 "build the example Wednesday"
bundle=$st/out/$date

# ---- events.csv --------------------------------------------------------------------------
"$CW_PYTHON" - "$bundle" >"$CW_TMP/events.check" <<'PYEOF'
import csv, datetime, json, os, sys, zoneinfo
b = sys.argv[1]
raw = open(os.path.join(b, "events.csv"), "rb").read()
print("bom", raw.startswith(b"\xef\xbb\xbf"))
print("crlf", raw.count(b"\r\n") == raw.count(b"\n"))
rows = list(csv.DictReader(open(os.path.join(b, "events.csv"), encoding="utf-8-sig", newline="")))
plan = json.load(open(os.path.join(b, "plan.json"), encoding="utf-8"))
tz = zoneinfo.ZoneInfo(plan["timezone"])
items = plan["items"]
# blocks: runs of items that follow each other without a gap
blocks, cur = [], None
for it in items:
    if cur and it["offset_samples"] == cur[-1]["offset_samples"] + cur[-1]["length_samples"]:
        cur.append(it)
    else:
        cur = [it]
        blocks.append(cur)
print("rows", len(rows), "blocks", len(blocks))
bad = 0
for r, blk in zip(rows, blocks):
    start = datetime.datetime.fromisoformat(r["start_utc"].replace("Z", "+00:00"))
    local = start.astimezone(tz)
    want_start = datetime.datetime.fromisoformat(blk[0]["start_utc"].replace("Z", "+00:00"))
    secs = sum(i["length_samples"] for i in blk) / plan["rate"]
    ok = (r["date"] == plan["date"] and r["start"] == local.strftime("%H:%M:%S")
          and abs((start - want_start).total_seconds()) < 1 and abs(float(r["duration"]) - secs) < 0.001
          and os.path.isfile(os.path.join(b, r["file"])) and os.path.isfile(os.path.join(b, r["playlist"])))
    if not ok:
        bad += 1
        print("BAD", r)
print("bad", bad)
for r in rows:
    print("BLOCK", r["playlist"], r["file"])
PYEOF
expect_eq "$(sed -n 's/^bom //p' "$CW_TMP/events.check")" True "events.csv starts with a UTF-8 byte order mark"
expect_eq "$(sed -n 's/^crlf //p' "$CW_TMP/events.check")" True "events.csv ends every line with CRLF"
n_blocks=$(sed -n 's/^rows \([0-9]*\) blocks \([0-9]*\)$/\2/p' "$CW_TMP/events.check")
expect_eq "$(sed -n 's/^rows \([0-9]*\) .*/\1/p' "$CW_TMP/events.check")" "$n_blocks" "events.csv: one row per block of the plan"
expect_eq "$(sed -n 's/^bad //p' "$CW_TMP/events.check")" 0 "events.csv: local start, UTC instant, duration and files agree with plan.json"
grep '^BAD' "$CW_TMP/events.check" | head -3

# ---- the blocks' files ---------------------------------------------------------------------
root_ok=""
[ "$(id -u)" = 0 ] && root_ok='settings.init.allow_root.set(true)'
while read -r _ m3u ogg; do
    cat >"$CW_TMP/parse.liq" <<EOF
$root_ok
l = playlist.parse(argv(1))
list.iter(fun (x) -> begin let (_, u) = x; print("M3U\t#{u}") end, l)
shutdown()
EOF
    timeout 120 liquidsoap "$CW_TMP/parse.liq" -- "$bundle/$m3u" >"$CW_TMP/parse.log" 2>&1
    grep '^M3U' "$CW_TMP/parse.log" | cut -f2 >"$CW_TMP/entries"
    n=$(wc -l <"$CW_TMP/entries")
    missing=0
    while read -r u; do [ -f "$u" ] || missing=$((missing + 1)); done <"$CW_TMP/entries"
    check "$m3u: Liquidsoap reads $n entries, every one a file of the bundle" test "$n" -gt 0 -a "$missing" = 0
    if ogginfo_check "$bundle/$ogg" >"$CW_TMP/oi.txt"; then
        ok "ogginfo: nothing but its report on $ogg"
    else
        not_ok "ogginfo complains about $ogg: $(head -2 "$CW_TMP/oi.txt")"
    fi
    vorbis_links "$bundle/$ogg" >"$CW_TMP/links.txt"
    expect_eq "$(sed -n 's/^links //p' "$CW_TMP/links.txt")" "$n" "libvorbisfile: $ogg has one link per entry of its M3U"
done < <(grep '^BLOCK' "$CW_TMP/events.check")

# ---- liquidsoap.liq in a station's script ----------------------------------------------------
fn="chalkwave_${date//-/_}"
cat >"$CW_TMP/station.liq" <<EOF
$root_ok
%include "$bundle/liquidsoap.liq"
radio = $fn(sine(220.))
output.dummy(fallible=true, radio)
EOF
timeout 120 liquidsoap --check "$CW_TMP/station.liq" >"$CW_TMP/check.log" 2>&1
expect_eq "$?" 0 "liquidsoap --check accepts a station script that includes liquidsoap.liq"
head -5 "$CW_TMP/check.log" | grep -i error

# ---- verify after Windows and macOS had the folder ------------------------------------------
usb=$CW_TMP/usb/$date
mkdir -p "$CW_TMP/usb"
cp -R "$bundle" "$usb"
touch "$usb/desktop.ini" "$usb/Thumbs.db" "$usb/.DS_Store" "$usb/items/._001-0725-morning-music-bed.ogg"
mkdir -p "$usb/System Volume Information" && touch "$usb/System Volume Information/IndexerVolumeGuid"
cw verify "$usb"
expect_rc 0 "verify passes a copy with what Windows and macOS add"
expect_eq "$(grep -c '^note: ' "$CW_OUT")" 5 "verify notes each of the five"
expect_out "note: desktop.ini: added by Windows, not part of the bundle (ignored)" "the note names the file and who added it"
expect_out "$usb: ok" "verify says ok"
echo "a teacher's file" >"$usb/notes.txt"
cw verify "$usb"
expect_rc 1 "an unlisted file of anyone else still fails verify"
expect_out "notes.txt: not listed in SHA256SUMS" "verify names it"

cw_finish
