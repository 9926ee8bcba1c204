/* peers.h — for unit tests that compare with a peer program (xmllint, python3-icalendar,
 * ical.js...): a missing peer makes the test SKIPPED to ctest (exit 77, SKIP_RETURN_CODE
 * in tests/CMakeLists.txt), never passed; with CW_REQUIRE_PEERS=1 (CI, which installs every
 * peer) it makes the test fail. Use: cw_peer_missing("xmllint") where the comparison is
 * left out, and `return cw_peer_exit(cmocka_run_group_tests(...));` in main. */
#ifndef CW_TEST_PEERS_H
#define CW_TEST_PEERS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cw_peers_missing;

static inline void cw_peer_missing(const char *what)
{
    printf("# SKIP: %s is missing (scripts/deps.txt installs it)\n", what);
    cw_peers_missing++;
}

/* 0 when every check passed and every peer was there; the failure count when a check
 * failed; 77 (skipped) — or 1 under CW_REQUIRE_PEERS=1 — when a peer was missing. */
static inline int cw_peer_exit(int failed)
{
    if (failed || !cw_peers_missing)
        return failed;
    const char *req = getenv("CW_REQUIRE_PEERS");
    if (req && !strcmp(req, "1")) {
        printf("# FAILED: %d peer(s) missing and CW_REQUIRE_PEERS=1\n", cw_peers_missing);
        return 1;
    }
    printf("# SKIPPED: %d peer(s) missing\n", cw_peers_missing);
    return 77;
}

#endif
