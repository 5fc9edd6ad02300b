/*  harness.h - what integration tests and benchmarks share: start and stop
 *  the real mt5-gateway process, run a tool and capture its output, and an
 *  independent wire client (raw libzmq + libsodium), so the tests check the
 *  protocol as someone else's client would see it, not through libcore.
 */
#ifndef MT5_HARNESS_H
#define MT5_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct {
    pid_t pid;
    int out_fd;         /* the gateway's stdout, after the listening line */
    char endpoint[256]; /* resolved command endpoint */
    char stream[256];   /* resolved stream endpoint, or "none" */
    char boot_id[64];
} h_gateway;

/* Start MT5_BIN_DIR/mt5-gateway on ephemeral loopback ports with the extra
 * arguments (NULL-terminated list, may be NULL) and wait up to 5 s for its
 * listening line (30 s under $MT5_TEST_WRAPPER, e.g. valgrind). 0 or -1
 * (with a message on stderr). */
int h_gateway_start(h_gateway *gw, const char *const *extra);

/* SIGTERM, then wait up to 30 s (SIGKILL after). Returns the exit status,
 * or -1 when it did not exit by itself. */
int h_gateway_stop(h_gateway *gw);

/* Run argv (argv[0] a path), with extra "NAME=VALUE" environment entries
 * (NULL-terminated, may be NULL; "NAME=" with nothing after unsets NAME),
 * capturing stdout and stderr through pipes (cut to the buffer sizes).
 * Kills it after timeout_ms. Returns 0 and fills the result, -1 on a
 * harness failure. */
typedef struct {
    int status; /* exit status, or 128+signal */
    int64_t wall_us;
    long maxrss_kib; /* the child's peak resident set (wait4's ru_maxrss) */
    char out[32768];
    char err[32768];
} h_run;
int h_run_cmd(h_run *r, const char *const *argv, const char *const *env, int timeout_ms);

/* One request over a fresh REQ socket to endpoint: returns the malloc'd
 * reply (NUL-terminated, length in *len) or NULL after timeout_ms. */
char *h_request(const char *endpoint, const void *req, size_t len, size_t *reply_len,
                int timeout_ms);

/* Write 32 key bytes as hex to dir/name with the given mode. Path out. */
int h_write_key(char *path, size_t cap, const char *dir, const char *name, const uint8_t key[32],
                unsigned mode);

/* "RISK_PASS:" + hex(HMAC-SHA256(key, canonical)) + ":" + ts. */
void h_sign(char *out, size_t cap, const uint8_t key[32], const char *canonical, long long ts);

/* Unix time in ms. */
int64_t h_now_ms(void);

/* A free loopback TCP port that nothing listens on (bound, then closed). */
int h_closed_port(void);

#endif
