#!/usr/bin/env bash
# seeds.sh [REPO...] — real files written by other programs, as extra seeds for the fuzz
# targets: they go to build-fuzz/extra-seeds/TARGET/ (git-ignored, never committed: their
# licences differ from chalkwave's), which tests/fuzz/run.sh adds to each run.
# Sources (each used when present):
#   - git clones of other projects' test suites, given as REPO arguments or found under
#     $CW_FUZZ_REPOS (default /work/.mirror/*/repo, where this workplace's fetch tool puts
#     them; a clone with or without a work tree). The files are read with `git show`, so
#     nothing in the clone changes. Known layouts:
#       libical/libical            test-data/*.ics, *.ifb, *.vcs   (MPL-2.0 / LGPL-2.1)
#       kewisch/ical.js            samples/, test/parser/ *.ics    (MPL-2.0)
#       niccokunzmann/python-recurring-ical-events  .../test/calendars/*.ics (LGPL-3.0)
#       taglib/taglib              tests/data/*.ogg *.oga *.opus *.spx, and recordings of other formats (decode) (LGPL-2.1 / MPL-1.1)
#       quodlibet/mutagen          tests/data/*.ogg *.opus *.spx *.oggflac (GPL-2.0)
#       beetbox/beets              test/rsrc/*.ogg *.opus          (MIT)
#       nst/JSONTestSuite          test_parsing/*.json             (MIT)
#     Any other clone contributes its *.ics, *.ogg/.oga/.opus/.spx and (under a folder named
#     test*) *.json files the same way.
#   - Debian packages on this machine: python3-icalendar's test calendars (ical), INI-style
#     files (configuration, .desktop, systemd units) under /etc and /usr (station), Debian control paragraphs
#     from /var/lib/dpkg/status and DEP-5 copyright files (sidecar: "Key: value" notes).
# Derived seeds: vorbiscomment gets the comment-header body (after "\x03vorbis") of every
# Ogg Vorbis file found; chain uses the ogg seeds.
# Prints how many files each target got.
set -u
src=$(cd "$(dirname "$0")/../.." && pwd)
out=${CW_FUZZ_BUILD:-$src/build-fuzz}/extra-seeds
rm -rf "$out"
mkdir -p "$out"/{ical,ogg,vorbiscomment,plan,station,sidecar,decode}

repos=("$@")
if [ ${#repos[@]} -eq 0 ]; then
    for r in ${CW_FUZZ_REPOS:-/work/.mirror/*/repo}; do [ -d "$r" ] && repos+=("$r"); done
fi

# put TARGET NAME: stdin into $out/TARGET/NAME (names made unique and safe)
put() {
    local name=${2//[^A-Za-z0-9._-]/_}
    cat >"$out/$1/$name"
    [ -s "$out/$1/$name" ] || rm -f "$out/$1/$name"
}

for r in "${repos[@]}"; do
    tag=$(basename "$(dirname "$r")")
    [ "$tag" = . ] || [ "$tag" = / ] && tag=$(basename "$r")
    git -C "$r" rev-parse HEAD >/dev/null 2>&1 || { echo "seeds: $r is not a git clone; skipped" >&2; continue; }
    git -C "$r" ls-tree -r -z --name-only HEAD | tr '\0' '\n' | while IFS= read -r f; do
        lower=${f,,}
        case "$lower" in
            *zoneinfo*) continue ;; # thousands of VTIMEZONE-only files
            *.ics | *.ifb | *.vcs) target=ical ;;
            *.ogg | *.oga | *.opus | *.spx | *.oggflac | *.oggtheora) target=ogg ;;
            test*/*.json | */test*/*.json) target=plan ;;
            *.wav | *.flac | *.mp3 | *.m4a | *.m4b | *.mp4 | *.aif | *.aiff | *.aifc | *.wma | *.asf | \
                *.caf | *.w64 | *.amr | *.awb | *.3gp | *.aac | *.webm | *.mka | *.mkv | *.mov) target=decode ;;
            *) continue ;;
        esac
        git -C "$r" cat-file -s "HEAD:$f" 2>/dev/null | awk '{exit !($1 <= 1048576)}' || continue
        git -C "$r" show "HEAD:$f" 2>/dev/null | put "$target" "$tag--${f//\//--}"
        # every recording seeds the decoder target too (Ogg files included)
        [ "$target" = ogg ] && git -C "$r" show "HEAD:$f" 2>/dev/null | put decode "$tag--${f//\//--}"
    done
done

# Debian: python3-icalendar's test calendars
for f in /usr/lib/python3/dist-packages/icalendar/tests/*.ics; do
    [ -f "$f" ] && put ical "debian-python3-icalendar--$(basename "$f")" <"$f"
done
# Debian: INI-style files (a [section] and key = value lines), at most 150
find /etc /usr/share /usr/lib/systemd -xdev -type f \( -name '*.conf' -o -name '*.ini' -o -name '*.cfg' \
    -o -name '*.desktop' -o -name '*.service' \) -size -64k 2>/dev/null |
    LC_ALL=C sort | while IFS= read -r f; do
        grep -qE '^\[[^]]+\]' "$f" 2>/dev/null && grep -qE '^[A-Za-z_][A-Za-z0-9_.-]* *= *' "$f" 2>/dev/null && echo "$f"
    done | head -150 | while IFS= read -r f; do put station "debian--${f#/}" <"$f"; done
# Debian: control paragraphs and DEP-5 copyright files as "Key: value" notes, at most 150
if [ -r /var/lib/dpkg/status ]; then
    awk -v dir="$out/sidecar" 'BEGIN { RS = ""; n = 0 } n < 100 { f = sprintf("%s/dpkg-status-%03d", dir, n++); print > f; close(f) }' /var/lib/dpkg/status
fi
ls /usr/share/doc/*/copyright 2>/dev/null | head -50 | while IFS= read -r f; do
    head -c 4096 "$f" | put sidecar "debian-copyright--$(basename "$(dirname "$f")")"
done

# vorbiscomment: the comment header body of every Ogg Vorbis seed
/usr/bin/python3 - "$out/ogg" "$out/vorbiscomment" <<'PYEOF'
import os, struct, sys
src, dst = sys.argv[1], sys.argv[2]
def packets(data):
    """Packets of the first logical stream (enough for the headers)."""
    pos, serial, cur = 0, None, b""
    while True:
        i = data.find(b"OggS", pos)
        if i < 0 or i + 27 > len(data):
            return
        nseg = data[i + 26]
        if i + 27 + nseg > len(data):
            return
        sno = struct.unpack_from("<I", data, i + 14)[0]
        lace = data[i + 27:i + 27 + nseg]
        body = i + 27 + nseg
        pos = body + sum(lace)
        if serial is None:
            serial = sno
        if sno != serial:
            continue
        for l in lace:
            cur += data[body:body + l]
            body += l
            if l < 255:
                yield cur
                cur = b""
for name in sorted(os.listdir(src)):
    data = open(os.path.join(src, name), "rb").read()
    for k, p in enumerate(packets(data)):
        if k == 1 and p.startswith(b"\x03vorbis"):
            open(os.path.join(dst, name + ".comment"), "wb").write(p[7:])
        if k >= 1:
            break
PYEOF

# Seeds that take more than 0.2 s of CPU in the normal build's replay binary (40x that under
# the fuzzer's instrumentation) are renamed slow-*: run.sh does not start from them.
/usr/bin/python3 - "$out" "$src/build/tests/fuzz" <<'PYEOF'
import os, resource, subprocess, sys, tempfile
out, bins = sys.argv[1], sys.argv[2]
for target, dirname in [("ical", "ical"), ("ogg", "ogg"), ("chain", "ogg"), ("vorbiscomment", "vorbiscomment"),
                        ("plan", "plan"), ("station", "station"), ("sidecar", "sidecar"), ("decode", "decode")]:
    exe = os.path.join(bins, "replay_" + target)
    d = os.path.join(out, dirname)
    if not os.access(exe, os.X_OK):
        continue
    for name in sorted(os.listdir(d)):
        if name.startswith("slow-"):
            continue
        with tempfile.TemporaryDirectory() as one:
            os.link(os.path.join(d, name), os.path.join(one, name))
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
            subprocess.run([exe, one], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
            used = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - before
        if used > 0.2:
            os.rename(os.path.join(d, name), os.path.join(d, "slow-" + name))
            print("seeds: %s/%s takes %.2f s in replay_%s: renamed slow-*" % (dirname, name, used, target))
PYEOF

for t in ical ogg vorbiscomment plan station sidecar decode; do
    echo "seeds: $t: $(ls "$out/$t" | wc -l) files in $out/$t ($(ls "$out/$t" | grep -c '^slow-') slow-*)"
done
