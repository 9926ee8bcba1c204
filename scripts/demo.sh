#!/usr/bin/env bash
# demo.sh [--binary PATH] [--date YYYY-MM-DD] [--dir DIR] — a first day on air with the
# example station. Without --binary it first runs scripts/setup.sh (installs missing Debian
# packages, quiet when all are there, and builds ./build). Then it copies examples/station to
# a scratch folder (default ./demo/station, git-ignored, recreated on every run), drops the
# teachers' recordings and their sidecar notes into its inbox, runs chalkwave ingest --inbox,
# speaks the lesson and newsletter scripts (examples/station/scripts/) into the library, runs
# plan, build and verify, and says where the day is and how to listen to it.
# Guarantees: never writes into examples/; stops at the first failing step, names it, and
# exits with that step's exit code.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
binary=${CW_BINARY:-}
date=2027-01-13 # a Wednesday early in the example term: both lesson series and the news air
scratch=$root/demo

while [ $# -gt 0 ]; do
    case $1 in
        --binary) binary=$2; shift 2 ;;
        --binary=*) binary=${1#*=}; shift ;;
        --date) date=$2; shift 2 ;;
        --date=*) date=${1#*=}; shift ;;
        --dir) scratch=$2; shift 2 ;;
        --dir=*) scratch=${1#*=}; shift ;;
        -h|--help)
            sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
            exit 0 ;;
        *) echo "demo: unknown option '$1' (see 'scripts/demo.sh --help')" >&2; exit 2 ;;
    esac
done

if [ -z "$binary" ]; then
    echo "== 0. install what is missing and build (scripts/setup.sh)"
    bash "$root/scripts/setup.sh" || {
        rc=$?
        echo "demo: step 0 (install and build) failed with exit code $rc" >&2
        exit "$rc"
    }
    binary=$root/build/cli/chalkwave
fi
if [ ! -x "$binary" ]; then
    echo "demo: no chalkwave binary at '$binary' (build first: bash scripts/setup.sh)" >&2
    exit 3
fi

station=$scratch/station
step_no=0

# step TITLE COMMAND...: run one step, show its output indented, stop the demo if it fails.
step() {
    local title=$1
    shift
    step_no=$((step_no + 1))
    echo
    echo "== $step_no. $title"
    echo "   \$ chalkwave ${*}"
    "$binary" --station "$station" "$@" 2>&1 | sed 's/^/   /'
    local rc=${PIPESTATUS[0]}
    if [ "$rc" != 0 ]; then
        echo
        echo "demo: step $step_no ($title) failed with exit code $rc: 'chalkwave $*'" >&2
        exit "$rc"
    fi
}

echo "chalkwave demo: the example station, $date"
echo "   binary:  $binary ($("$binary" --version))"
echo "   station: $station (a fresh copy of examples/station)"

# A fresh copy every run: the demo never writes into examples/.
case $station in
    "$root/examples"*) echo "demo: refusing to work inside examples/" >&2; exit 2 ;;
esac
rm -rf "$station"
mkdir -p "$scratch" || exit 3
cp -R "$root/examples/station" "$station" || exit 3
rm -rf "$station/recordings" "$station/scripts"
mkdir -p "$station/library" "$station/inbox/accepted" "$station/inbox/rejected" "$station/out" || exit 3
# Teachers drop their files and notes into the inbox. Episode 2 of each lesson came as a
# script instead of a recording (examples/station/scripts/NAME.md replaces recordings/NAME.*).
for f in "$root"/examples/station/recordings/*; do
    stem=$(basename "$f")
    stem=${stem%%.*}
    [ -e "$root/examples/station/scripts/$stem.md" ] && continue
    cp "$f" "$station/inbox/" || exit 3
done
scripts=("$root"/examples/station/scripts/*.md)
echo "   inbox:   $(cd "$station/inbox" && ls -p | grep -v / | grep -vc '\.txt$') recordings with their notes"
echo "   scripts: ${#scripts[@]} lesson and newsletter texts to speak (examples/station/scripts/)"

step "check the partner calendar" calendar check "$station"/calendars/*.ics
step "ingest the teachers' recordings from the inbox" ingest --inbox

# speak_scripts FILE...: one step that speaks every script, two at a time (the machine's
# cores), and shows each result in order; stops the demo if one fails.
speak_scripts() {
    step_no=$((step_no + 1))
    echo
    echo "== $step_no. speak the lesson and newsletter scripts (eSpeak NG) into the library"
    local tmp pids=() i=0 rc=0 n
    tmp=$(mktemp -d) || exit 3
    n=$(nproc 2>/dev/null || echo 2)
    for f in "$@"; do
        "$binary" --station "$station" speak "$f" >"$tmp/$i.out" 2>&1 &
        pids+=($!)
        i=$((i + 1))
        if [ $((i % n)) = 0 ]; then wait "${pids[@]:$((i - n)):$n}" 2>/dev/null; fi
    done
    i=0
    for f in "$@"; do
        wait "${pids[$i]}"
        local r=$?
        echo "   \$ chalkwave speak ${f#"$root"/}"
        sed 's/^/   /' "$tmp/$i.out"
        [ "$r" = 0 ] || [ "$rc" != 0 ] || rc=$r
        i=$((i + 1))
    done
    rm -rf "$tmp"
    if [ "$rc" != 0 ]; then
        echo
        echo "demo: step $step_no (speak the scripts) failed with exit code $rc" >&2
        exit "$rc"
    fi
}
speak_scripts "${scripts[@]}"
step "list the library" library
step "plan the day" plan --date "$date"
step "build the day bundle" build --date "$date"
bundle=$station/out/$date
step "verify the bundle" verify "$bundle"

echo
echo "== done: the day bundle is $bundle"
if [ -f "$bundle/day.ogg" ]; then
    size=$(du -h "$bundle/day.ogg" | cut -f1)
    echo "   day file:  $bundle/day.ogg ($size)"
fi
echo "   guide:     $bundle/guide.html (open it in a browser) and $bundle/guide.txt"
echo "   playlists: $bundle/playlist.m3u8, $bundle/liquidsoap.m3u"
echo
echo "Listen to the day:"
echo "   ffplay -nodisp -autoexit '$bundle/day.ogg'"
echo "   vlc '$bundle/day.ogg'"
# Where the first lesson starts, so a listener can jump to it.
first=$(python3 - "$bundle/plan.json" 2>/dev/null <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
for i in d["items"]:
    if i["kind"] == "lesson":
        print("%d %s %s" % (i["offset_samples"] // d["rate"], i["start"][11:16], i["title"]))
        break
PYEOF
)
if [ -n "$first" ]; then
    read -r secs hhmm title <<<"$first"
    # (no 'ffplay -ss' hint: ffmpeg cannot seek reliably in chained Ogg files)
    echo "The first lesson, '$title', starts at $hhmm: $((secs / 60)) min $((secs % 60)) s into the file."
    echo "Each item is also its own file in $bundle/items/."
fi
