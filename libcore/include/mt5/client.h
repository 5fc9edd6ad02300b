/*  mt5/client.h - a reliable request client (the zguide's Lazy Pirate).
 *
 *  One REQ socket to one endpoint. Each request waits at most timeout_ms
 *  for its reply; on a timeout the socket is closed (LINGER 0) and a new
 *  one connected, and the same bytes are sent again, at most `retries`
 *  more times. Requests are therefore at-least-once: OPEN and CLOSE carry a
 *  req_id so the gateway executes each once (docs/protocol.md section 6).
 */
#ifndef MT5_CLIENT_H
#define MT5_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mt5_client_t mt5_client_t;

typedef struct {
    int version;          /* MT5_CLIENT_OPTIONS_VERSION */
    int timeout_ms;       /* per attempt; default 5000 */
    int retries;          /* extra attempts after the first; default 0 */
    bool fail_on_refused; /* return MT5_EREFUSED as soon as a connect is refused */
} mt5_client_options;

#define MT5_CLIENT_OPTIONS_VERSION 1
#define MT5_CLIENT_OPTIONS_INIT                                                                    \
    {                                                                                              \
        MT5_CLIENT_OPTIONS_VERSION, 5000, 0, false                                                 \
    }

/* New client for `endpoint` (options may be NULL for the defaults). The
 * socket connects lazily. Caller owns, destroy with mt5_client_destroy();
 * NULL with detail on a bad endpoint or options. */
mt5_client_t *mt5_client_new(const char *endpoint, const mt5_client_options *options);
void mt5_client_destroy(mt5_client_t **self);

/*  Send one request frame and wait for its one-frame reply, with retries.
 *  On MT5_OK, *reply is a NUL-terminated copy (caller owns, free with
 *  free()), *reply_len its length, and *rtt_us (if not NULL) the round
 *  trip of the attempt that succeeded. Errors: MT5_ETIMEOUT (every attempt
 *  timed out), MT5_EREFUSED (no connection was ever made and it was
 *  refused), MT5_EBADREPLY (the reply had more than one frame), MT5_EZMQ. */
int mt5_client_request(mt5_client_t *self, const void *req, size_t len, char **reply,
                       size_t *reply_len, int64_t *rtt_us);

/* Attempts made by the last request (1 + retries used). */
int mt5_client_attempts(const mt5_client_t *self);

const char *mt5_client_endpoint(const mt5_client_t *self);

#endif
