# lib.sh — shared helpers for the integration scripts (tests/integration/test_*.sh).
# Source it first:   . "$(dirname "$0")/lib.sh"
# It gives every script: a private scratch folder ($CW_TMP, removed at exit), `cw` to run the
# real binary ($CW_BINARY) capturing exit code, stdout and stderr, assertion helpers that
# print one line per check ("ok - ..." or "FAIL - ..." with what was seen), station makers,
# and `cw_finish`, which prints "NAME: N passed, N failed" and sets the exit status.
# Guarantees: a failed check never stops the script (all checks run and are counted); the
# examples/ folder is never written (stations are copies).
# Note: pipefail is on, so `producer | grep -q X` can fail when grep stops reading early and
# the producer dies of SIGPIPE; write `grep -q X <<<"$(producer)"` or grep a file instead.

set -uo pipefail

CW_TEST_NAME=$(basename "${BASH_SOURCE[1]:-$0}" .sh)
CW_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${CW_SOURCE_DIR:=$(cd "$CW_LIB_DIR/../.." && pwd)}"
: "${CW_BUILD_DIR:=$CW_SOURCE_DIR/build}"
: "${CW_BINARY:=$CW_BUILD_DIR/cli/chalkwave}"
export CW_SOURCE_DIR CW_BUILD_DIR CW_BINARY
# Commands must not pick up a station from the caller's environment.
unset CHALKWAVE_STATION

if [ ! -x "$CW_BINARY" ]; then
    echo "$CW_TEST_NAME: the chalkwave binary '$CW_BINARY' is missing (build it first)" >&2
    exit 1
fi

CW_TMP=$(mktemp -d "${TMPDIR:-/tmp}/cw-$CW_TEST_NAME-XXXXXX")
cw_cleanup() { [ -n "${CW_KEEP_TMP:-}" ] || rm -rf "$CW_TMP"; }
trap cw_cleanup EXIT

CW_PASSED=0
CW_FAILED=0
CW_RC=0
CW_OUT=$CW_TMP/.out
CW_ERR=$CW_TMP/.err
: >"$CW_OUT"
: >"$CW_ERR"

# ---- running --------------------------------------------------------------------------

# CW_WRAPPER, when set, is put in front of every chalkwave run (word-split), e.g.
# CW_WRAPPER="valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
# (scripts/valgrind-tests.sh sets it for the whole integration suite).
CW_WRAPPER=${CW_WRAPPER:-}

# cw ARGS...: run chalkwave; exit code in $CW_RC, stdout in file $CW_OUT, stderr in $CW_ERR.
# Never fails the script. Standard input is /dev/null (as in CI).
cw() {
    CW_LAST="chalkwave $*"
    $CW_WRAPPER "$CW_BINARY" "$@" >"$CW_OUT" 2>"$CW_ERR" </dev/null
    CW_RC=$?
    return 0
}

# cw_in DIR ARGS...: like cw, run with DIR as the working directory.
cw_in() {
    local dir=$1
    shift
    CW_LAST="(cd $dir) chalkwave $*"
    (cd "$dir" && $CW_WRAPPER "$CW_BINARY" "$@" >"$CW_OUT" 2>"$CW_ERR" </dev/null)
    CW_RC=$?
    return 0
}

# ---- assertions -----------------------------------------------------------------------

ok() {
    CW_PASSED=$((CW_PASSED + 1))
    echo "ok - $*"
}

not_ok() {
    CW_FAILED=$((CW_FAILED + 1))
    echo "FAIL - $*"
}

# Show what the last command printed (indented), after a failed check.
cw_show_last() {
    echo "    command: ${CW_LAST:-?} (exit $CW_RC)"
    if [ -s "$CW_OUT" ]; then
        echo "    stdout:"
        head -n 20 "$CW_OUT" | sed 's/^/      /'
    fi
    if [ -s "$CW_ERR" ]; then
        echo "    stderr:"
        head -n 20 "$CW_ERR" | sed 's/^/      /'
    fi
}

# check DESCRIPTION COMMAND...: passes when COMMAND succeeds.
check() {
    local desc=$1
    shift
    if "$@" >/dev/null 2>&1; then ok "$desc"; else not_ok "$desc (failed: $*)"; fi
}

# expect_rc N DESCRIPTION: the last `cw` exited with N.
expect_rc() {
    if [ "$CW_RC" = "$1" ]; then
        ok "$2 (exit $1)"
    else
        not_ok "$2: expected exit $1, got $CW_RC"
        cw_show_last
    fi
}

# expect_out TEXT [DESCRIPTION]: stdout of the last `cw` contains TEXT (fixed string).
expect_out() {
    if grep -qF -- "$1" "$CW_OUT"; then
        ok "${2:-stdout has '$1'}"
    else
        not_ok "${2:-stdout has '$1'}: not found"
        cw_show_last
    fi
}

# expect_err TEXT [DESCRIPTION]: stderr of the last `cw` contains TEXT (fixed string).
expect_err() {
    if grep -qF -- "$1" "$CW_ERR"; then
        ok "${2:-stderr has '$1'}"
    else
        not_ok "${2:-stderr has '$1'}: not found"
        cw_show_last
    fi
}

# expect_err_re REGEX [DESCRIPTION]: stderr matches the extended regular expression.
expect_err_re() {
    if grep -qE -- "$1" "$CW_ERR"; then
        ok "${2:-stderr matches /$1/}"
    else
        not_ok "${2:-stderr matches /$1/}: no match"
        cw_show_last
    fi
}

# expect_out_re REGEX [DESCRIPTION]: stdout matches the extended regular expression.
expect_out_re() {
    if grep -qE -- "$1" "$CW_OUT"; then
        ok "${2:-stdout matches /$1/}"
    else
        not_ok "${2:-stdout matches /$1/}: no match"
        cw_show_last
    fi
}

# expect_no_out TEXT [DESCRIPTION]: stdout does not contain TEXT.
expect_no_out() {
    if grep -qF -- "$1" "$CW_OUT"; then
        not_ok "${2:-stdout has no '$1'}: found"
        cw_show_last
    else
        ok "${2:-stdout has no '$1'}"
    fi
}

# expect_one_line_err [DESCRIPTION]: stderr is exactly one line starting "chalkwave: ".
expect_one_line_err() {
    local n
    n=$(wc -l <"$CW_ERR")
    if [ "$n" = 1 ] && grep -q '^chalkwave: ' "$CW_ERR"; then
        ok "${1:-one error line}: $(cat "$CW_ERR")"
    else
        not_ok "${1:-one error line}: stderr has $n lines"
        cw_show_last
    fi
}

# expect_empty_err [DESCRIPTION]: nothing on stderr.
expect_empty_err() {
    if [ ! -s "$CW_ERR" ]; then ok "${1:-nothing on stderr}"; else
        not_ok "${1:-nothing on stderr}"
        cw_show_last
    fi
}

# expect_eq ACTUAL EXPECTED DESCRIPTION
expect_eq() {
    if [ "$1" = "$2" ]; then ok "$3 ($1)"; else not_ok "$3: expected '$2', got '$1'"; fi
}

# expect_file PATH [DESCRIPTION] / expect_dir PATH / expect_no_path PATH
expect_file() { if [ -f "$1" ]; then ok "${2:-file $1 exists}"; else not_ok "${2:-file $1 exists}: missing"; fi; }
expect_dir() { if [ -d "$1" ]; then ok "${2:-folder $1 exists}"; else not_ok "${2:-folder $1 exists}: missing"; fi; }
expect_no_path() { if [ ! -e "$1" ] && [ ! -L "$1" ]; then ok "${2:-$1 does not exist}"; else not_ok "${2:-$1 does not exist}: it does"; fi; }

# tree_sum DIR: one checksum over the names and contents of every file under DIR, to show
# that a refused command changed nothing.
tree_sum() {
    (cd "$1" && find . -type f ! -name '.chalkwave.lock' -print0 | LC_ALL=C sort -z |
        xargs -0 -r sha256sum | sha256sum | cut -c1-64)
}

# ---- stations -------------------------------------------------------------------------

# example_station NAME: a private copy of examples/station at $CW_TMP/NAME, with the
# folders a station has (library/, inbox/, out/); prints its path.
example_station() {
    local dst=$CW_TMP/$1
    rm -rf "$dst"
    cp -R "$CW_SOURCE_DIR/examples/station" "$dst"
    mkdir -p "$dst/library" "$dst/inbox/accepted" "$dst/inbox/rejected" "$dst/out"
    echo "$dst"
}

# minimal_station NAME [EXTRA_CONF_LINES]: a station with only the required keys (plus any
# extra lines appended verbatim) and the standard folders; prints its path.
minimal_station() {
    local dst=$CW_TMP/$1
    rm -rf "$dst"
    mkdir -p "$dst/calendars" "$dst/library" "$dst/inbox/accepted" "$dst/inbox/rejected" "$dst/out"
    cat >"$dst/station.conf" <<'EOF'
[station]
name = Test Radio
timezone = Africa/Lagos
on_air = 07:00-09:00

[audio]
rate = 44100
channels = 1
quality = 3
loudness = -23
true_peak = -1
EOF
    if [ $# -ge 2 ]; then printf '%s\n' "$2" >>"$dst/station.conf"; fi
    echo "$dst"
}

# small_station NAME TITLE ON_AIR [MAX_LENGTH]: a minimal_station for fast runs, called TITLE,
# on air ON_AIR (e.g. 07:00-07:02), audio 8000 Hz mono at quality 0, recordings 1 to
# MAX_LENGTH (default 30) seconds; prints its path.
small_station() {
    local st
    st=$(minimal_station "$1") || return 1
    cat >"$st/station.conf" <<EOF
[station]
name = $2
timezone = Africa/Lagos
on_air = $3

[audio]
rate = 8000
channels = 1
quality = 0
loudness = -23
true_peak = -1
min_length = 1
max_length = ${4:-30}
EOF
    echo "$st"
}

# ---- peers ----------------------------------------------------------------------------

# Debian's python3 (the one with the Debian python3-* packages), else whatever is on PATH.
if [ -x /usr/bin/python3 ]; then CW_PYTHON=/usr/bin/python3; else CW_PYTHON=python3; fi

# vorbis_links FILE [--decode]: what libvorbisfile (the reference decoder, through ctypes)
# sees in an Ogg Vorbis file, one line each:
#   links N
#   link I SAMPLES RATE CHANNELS      (I from 0; SAMPLES from ov_pcm_total)
#   total SAMPLES
#   decoded I SAMPLES SHA1            (with --decode: samples actually decoded per link, and
#                                      a SHA-1 of its first channel as float32, so a link can
#                                      be compared with the library file it was copied from)
# Exits 1 when libvorbisfile refuses the file. Never use ffprobe or libsndfile for chained
# files: both report wrong lengths (shared/notes/audio-libs.md).
vorbis_links() {
    "$CW_PYTHON" - "$@" <<'PYEOF'
import ctypes, hashlib, sys
path = sys.argv[1].encode()
decode = "--decode" in sys.argv[2:]
lib = ctypes.CDLL("libvorbisfile.so.3")
class VorbisInfo(ctypes.Structure):
    _fields_ = [("version", ctypes.c_int), ("channels", ctypes.c_int), ("rate", ctypes.c_long)]
lib.ov_fopen.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
lib.ov_streams.argtypes = [ctypes.c_void_p]
lib.ov_streams.restype = ctypes.c_long
lib.ov_pcm_total.argtypes = [ctypes.c_void_p, ctypes.c_int]
lib.ov_pcm_total.restype = ctypes.c_int64
lib.ov_info.argtypes = [ctypes.c_void_p, ctypes.c_int]
lib.ov_info.restype = ctypes.POINTER(VorbisInfo)
lib.ov_read_float.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
lib.ov_read_float.restype = ctypes.c_long
lib.ov_clear.argtypes = [ctypes.c_void_p]
vf = ctypes.create_string_buffer(16384)  # larger than OggVorbis_File
rc = lib.ov_fopen(path, vf)
if rc != 0:
    print("error ov_fopen %d" % rc)
    sys.exit(1)
n = lib.ov_streams(vf)
print("links %d" % n)
for i in range(n):
    info = lib.ov_info(vf, i).contents
    print("link %d %d %d %d" % (i, lib.ov_pcm_total(vf, i), info.rate, info.channels))
print("total %d" % lib.ov_pcm_total(vf, -1))
if decode:
    pcm = ctypes.POINTER(ctypes.POINTER(ctypes.c_float))()
    bs = ctypes.c_int(-1)
    counts = {}
    hashes = {}
    holes = 0
    while True:
        r = lib.ov_read_float(vf, ctypes.byref(pcm), 65536, ctypes.byref(bs))
        if r == 0:
            break
        if r < 0:
            holes += 1
            if holes > 100:
                break
            continue
        counts[bs.value] = counts.get(bs.value, 0) + r
        hashes.setdefault(bs.value, hashlib.sha1()).update(ctypes.string_at(pcm[0], r * 4))
    for i in range(n):
        print("decoded %d %d %s" % (i, counts.get(i, 0), hashes[i].hexdigest() if i in hashes else "-"))
    if holes:
        print("holes %d" % holes)
lib.ov_clear(vf)
PYEOF
}

# ogginfo_check FILE: run ogginfo (vorbis-tools) on FILE; succeeds when it exits 0 and
# prints nothing but its report (stream headers, comments, lengths: every other line is a
# complaint, whatever its wording: "Negative or zero granulepos ..." has no WARNING in it),
# and every logical stream has its own serial number. Prints the complaints otherwise.
# One false positive of ogginfo 1.4.2 (Debian 12) is ignored: in a file of 19 or more
# chained streams it always reports "WARNING: sequence number gap in stream 19. Got page 0
# when expecting page <garbage>" and exits 1 (it reads an uninitialised field after growing
# its stream table). test_render_peers.sh shows a plain `cat` of 19 oggenc files gets
# exactly that line and 18 get none; only that line, at stream 19, in such a file, is
# dropped.
ogginfo_check() {
    local out rc
    out=$(ogginfo "$1" 2>&1)
    rc=$?
    OGGINFO_STREAMS=$(grep -c '^New logical stream' <<<"$out")
    local bad known=0
    bad=$(ogginfo_complaints <<<"$out")
    if [ "$OGGINFO_STREAMS" -ge 19 ] &&
        grep -qxE 'WARNING: sequence number gap in stream 19\. Got page 0 when expecting page -?[0-9]+\. Indicates missing data\.' <<<"$bad"; then
        known=1
        bad=$(grep -vxE 'WARNING: sequence number gap in stream 19\. Got page 0 when expecting page -?[0-9]+\. Indicates missing data\.' <<<"$bad")
    fi
    local dup
    dup=$(sed -n 's/^New logical stream (#[0-9]*, serial: \([0-9a-f]*\)).*/\1/p' <<<"$out" | sort | uniq -d)
    if { [ "$rc" = 0 ] || [ "$known" = 1 ]; } && [ -z "$bad" ] && [ -z "$dup" ]; then return 0; fi
    [ "$rc" = 0 ] || [ -n "$bad" ] || echo "ogginfo exited $rc"
    [ -z "$bad" ] || printf '%s\n' "$bad" | head -5
    [ -z "$dup" ] || echo "serial numbers used twice: $dup"
    return 1
}

# ogginfo_complaints: the lines of ogginfo's output (stdin) that are not its report.
ogginfo_complaints() {
    grep -vE '^(Processing file ".*"\.\.\.|New logical stream \(#[0-9]+, serial: [0-9a-f]+\): type vorbis|Vorbis headers parsed for stream [0-9]+, information follows\.\.\.|Version: [0-9]+|Vendor: .*|Channels: [0-9]+|Rate: [0-9]+|(Nominal|Upper|Lower) bitrate( not set|: [0-9.]+ kb/s)|User comments section follows\.\.\.|Vorbis stream [0-9]+:|Logical stream [0-9]+ ended|'$'\t''.*|)$'
}

# json_get FILE EXPRESSION: evaluate a Python expression over the JSON document `d` in FILE
# and print the result (lists and dicts as JSON), e.g. json_get plan.json 'len(d["items"])'.
# On a missing file, bad JSON or a failing expression it prints '<json_get: ...>' and fails.
json_get() {
    "$CW_PYTHON" - "$1" "$2" <<'PYEOF'
import json, sys
try:
    d = json.load(open(sys.argv[1], encoding="utf-8"))
    v = eval(sys.argv[2], {"d": d, "len": len, "sum": sum, "all": all, "any": any, "sorted": sorted,
                           "set": set, "zip": zip})
except Exception as e:  # one line, so a failed check shows what went wrong
    print("<json_get: %s: %s>" % (type(e).__name__, str(e).splitlines()[0] if str(e) else ""))
    sys.exit(1)
print(json.dumps(v) if isinstance(v, (list, dict)) else v)
PYEOF
}

# ---- missing peers -----------------------------------------------------------------------

# A test whose peer (a program or Python module it compares against) is missing is SKIPPED,
# never passed: cw_skip_peer notes it, the checks that need the peer are left out, and
# cw_finish exits 77 (ctest's SKIP_RETURN_CODE, set in tests/CMakeLists.txt) unless a check
# failed. With CW_REQUIRE_PEERS=1 (scripts/test.sh, i.e. CI, which installs every peer) a
# missing peer is a failure instead.
CW_MISSING_PEERS=()

# cw_skip_peer WHAT: WHAT (e.g. "liquidsoap") is missing.
cw_skip_peer() {
    CW_MISSING_PEERS+=("$1")
    echo "# SKIP: $1 is missing (scripts/deps.txt installs it)"
}

# cw_need PROGRAM...: every PROGRAM is on the PATH (else cw_skip_peer for each missing one);
# returns non-zero when one is missing.
cw_need() {
    local p rc=0
    for p in "$@"; do
        command -v "$p" >/dev/null 2>&1 || { cw_skip_peer "$p"; rc=1; }
    done
    return $rc
}

# cw_have_python_module MODULE...: Debian's python3 imports every MODULE (else cw_skip_peer).
cw_have_python_module() {
    local m
    for m in "$@"; do
        if ! "$CW_PYTHON" -c "import $m" 2>/dev/null; then
            cw_skip_peer "python module $m"
            return 1
        fi
    done
    return 0
}

# cw_skip_if_missing: a peer the whole test needs is missing: finish now (SKIPPED).
cw_skip_if_missing() {
    [ ${#CW_MISSING_PEERS[@]} -eq 0 ] || cw_finish
}

# ---- the end --------------------------------------------------------------------------

# cw_finish: print the count line; exit 1 when any check failed, 77 (skipped) when none did
# but a peer was missing, 0 otherwise.
cw_finish() {
    echo "$CW_TEST_NAME: $CW_PASSED passed, $CW_FAILED failed"
    if [ "$CW_FAILED" = 0 ] && [ ${#CW_MISSING_PEERS[@]} -gt 0 ]; then
        if [ "${CW_REQUIRE_PEERS:-0}" = 1 ]; then
            echo "$CW_TEST_NAME: FAILED: missing ${CW_MISSING_PEERS[*]} (CW_REQUIRE_PEERS=1: every peer must be installed)" >&2
            exit 1
        fi
        echo "$CW_TEST_NAME: SKIPPED (missing: ${CW_MISSING_PEERS[*]})"
        exit 77
    fi
    if [ "$CW_PASSED" = 0 ] && [ "$CW_FAILED" = 0 ]; then
        echo "$CW_TEST_NAME: no check ran" >&2
        exit 1
    fi
    [ "$CW_FAILED" = 0 ]
    exit $?
}
