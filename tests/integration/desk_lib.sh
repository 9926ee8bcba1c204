# desk_lib.sh — helpers for the desk's integration tests (test_desk_*.sh), sourced after
# lib.sh: start and stop `chalkwave serve` on a free port, log in, make a teacher, make
# small recordings. Every server started here is stopped at exit (SIGTERM, then SIGKILL).
# Requires curl; a test whose peer is missing exits 77 (SKIPPED in ctest).

command -v curl >/dev/null || { echo "$CW_TEST_NAME: curl is not installed (apt-get install curl)"; exit 77; }

DESK_PIDS=()
desk_cleanup() {
    local p
    for p in "${DESK_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${DESK_PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null
    done
    cw_cleanup
}
trap desk_cleanup EXIT

# desk_start STATION [SERVE ARGS...]: start the desk on 127.0.0.1 (a free port unless
# --listen is given); sets DESK_URL, DESK_PID, DESK_LOG (stderr) and DESK_OUT (stdout).
desk_start() {
    local st=$1
    shift
    DESK_OUT=$CW_TMP/desk-$RANDOM.out
    DESK_LOG=${DESK_OUT%.out}.log
    local listen=(--listen 127.0.0.1:0)
    case " $* " in *" --listen "*) listen=() ;; esac
    $CW_WRAPPER "$CW_BINARY" --station "$st" serve "${listen[@]}" "$@" >"$DESK_OUT" 2>"$DESK_LOG" </dev/null &
    DESK_PID=$!
    DESK_PIDS+=("$DESK_PID")
    DESK_URL=
    for _ in $(seq 300); do
        DESK_URL=$(sed -n 's/^the desk is at \([^ ]*\) .*/\1/p' "$DESK_OUT")
        [ -n "$DESK_URL" ] && return 0
        kill -0 "$DESK_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "desk did not start:"; cat "$DESK_LOG"
    return 1
}

# desk_stop: SIGTERM the last desk and wait; DESK_RC is its exit code.
desk_stop() {
    kill -TERM "$DESK_PID" 2>/dev/null
    wait "$DESK_PID"
    DESK_RC=$?
}

# hcurl ARGS...: curl against the desk quietly; prints the status code only (the body goes
# to $CW_TMP/body, headers to $CW_TMP/headers).
hcurl() {
    curl -s -o "$CW_TMP/body" -D "$CW_TMP/headers" -w '%{http_code}' --max-time 60 "$@"
}

# desk_user STATION NAME PASSWORD: add a staff user.
desk_user() {
    printf '%s\n' "$3" | $CW_WRAPPER "$CW_BINARY" --station "$1" user add "$2" --password-stdin >/dev/null
}

# desk_login NAME PASSWORD: log in through the API; the cookie jar is $CW_TMP/jar and the
# CSRF token is in $CSRF.
desk_login() {
    rm -f "$CW_TMP/jar"
    curl -s -c "$CW_TMP/jar" -H 'Content-Type: application/json' \
        -d "{\"user\": \"$1\", \"password\": \"$2\"}" "$DESK_URL/api/login" >"$CW_TMP/login.json"
    CSRF=$("$CW_PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1])).get("csrf",""))' "$CW_TMP/login.json" 2>/dev/null)
    [ -n "$CSRF" ]
}

# desk_teacher STATION NAME SERIES: add a teacher; prints the token.
desk_teacher() {
    "$CW_BINARY" --station "$1" teacher add "$2" --series "$3" --no-qr 2>/dev/null | sed -n 's#.*/t/\([A-Za-z0-9_-]*\)$#\1#p'
}

# tone FILE SECONDS FREQ: a mono 8 kHz WAV tone.
tone() {
    sox -n -r 8000 -c 1 -b 16 "$1" synth "$2" sine "$3" vol 0.3
}
