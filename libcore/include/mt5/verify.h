/*  mt5/verify.h - the connection check of seed 000 / Gate 1.
 *
 *  Send the handshake (`Hello`), expect `OK_FROM_MT5` within the timeout,
 *  classify what happened (PASS, TIMEOUT, REFUSED, BAD_REPLY) and record it
 *  as VERIFY_LOG lines (docs/protocol.md section 8). verify-connection and
 *  the gate runner's handshake check are both this class.
 */
#ifndef MT5_VERIFY_H
#define MT5_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    MT5_VERIFY_PASS = 0,
    MT5_VERIFY_TIMEOUT,   /* connected or not, no reply in time */
    MT5_VERIFY_REFUSED,   /* the connection was refused */
    MT5_VERIFY_BAD_REPLY, /* a reply, but not the expected one */
    MT5_VERIFY_ERROR      /* a local failure (bad endpoint, out of memory) */
} mt5_verify_status;

typedef struct {
    int version;          /* MT5_VERIFY_OPTIONS_VERSION */
    const char *endpoint; /* required */
    const char *message;  /* sent; default "Hello" */
    const char *expect;   /* expected reply; default "OK_FROM_MT5" */
    int timeout_ms;       /* default 5000 */
} mt5_verify_options;

#define MT5_VERIFY_OPTIONS_VERSION 1
#define MT5_VERIFY_OPTIONS_INIT                                                                    \
    {                                                                                              \
        MT5_VERIFY_OPTIONS_VERSION, NULL, NULL, NULL, 5000                                         \
    }

typedef struct {
    mt5_verify_status status;
    char endpoint[256];
    char expect[64];
    int timeout_ms;
    int64_t started_ms;    /* wall clock at the start */
    int64_t rtt_us;        /* PASS and BAD_REPLY: the round trip */
    char reply[128];       /* the reply for display: printable ASCII, the rest escaped */
    unsigned char raw[64]; /* its first bytes as received */
    size_t reply_len;      /* its full length */
    char detail[512];      /* one sentence on what happened */
} mt5_verify_result_t;

/*  Run the check once. Always fills *out (on bad options too, as ERROR).
 *  Returns MT5_OK when the check ran, whatever its verdict; MT5_EINVAL on
 *  bad options. */
int mt5_verify_run(mt5_verify_result_t *out, const mt5_verify_options *options);

/* "PASS", "TIMEOUT", "REFUSED", "BAD_REPLY", "ERROR". */
const char *mt5_verify_status_name(mt5_verify_status status);

/* Troubleshooting hints for a failure (seed 000's), lines separated by
 * '\n'; "" for PASS. Constant. */
const char *mt5_verify_hint(mt5_verify_status status);

/* Append the run to a VERIFY_LOG: a start line and the result line.
 * MT5_OK or the vlog error. */
int mt5_verify_log(const mt5_verify_result_t *result, const char *path, const char *component);

/* The result as one JSON object: result, endpoint, expected, reply,
 * rtt_us, timeout_ms, error, detail, time. Caller owns, free with free(). */
char *mt5_verify_json(const mt5_verify_result_t *result);

#endif
