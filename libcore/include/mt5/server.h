/*  mt5/server.h - the gateway: ROUTER for commands, PUB for the stream.
 *
 *  Answers every request with exactly one frame (docs/protocol.md 1-7):
 *  the Hello handshake, PING, OPEN, CLOSE, GET_ACCOUNT and GET_POSITIONS.
 *  Orders go through the fixed order of checks: validate, verify the MAC,
 *  look the req_id up, check the TTL, apply the gateway's own risk limits,
 *  execute on the backend. Single-threaded: one poll loop serves requests
 *  and sends the heartbeat.
 */
#ifndef MT5_SERVER_H
#define MT5_SERVER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "mt5/backend.h"
#include "mt5/sig.h"

typedef struct {
    int version;              /* MT5_SERVER_OPTIONS_VERSION */
    const char *bind;         /* command endpoint (ROUTER) */
    const char *stream;       /* stream endpoint (PUB); NULL or "" = no stream */
    const mt5_key_t *key;     /* borrowed, must outlive the server; NULL = refuse orders */
    int64_t signature_ttl_ms; /* default 2000 */
    int64_t heartbeat_ms;     /* default 500 */
    double max_volume;        /* per order, lots; default 100 */
    int64_t max_positions;    /* open at once; default 200 */
} mt5_server_options;

#define MT5_SERVER_OPTIONS_VERSION 1
#define MT5_SERVER_OPTIONS_INIT                                                                    \
    {                                                                                              \
        MT5_SERVER_OPTIONS_VERSION, "tcp://127.0.0.1:5555", "tcp://127.0.0.1:5556", NULL, 2000,    \
            500, 100.0, 200                                                                        \
    }

typedef struct mt5_server_t mt5_server_t;

/* New gateway over *backend, which it takes (and sets *backend to NULL).
 * Nothing is bound yet. Caller owns, destroy with mt5_server_destroy(). */
mt5_server_t *mt5_server_new(const mt5_server_options *options, mt5_backend_t **backend);
void mt5_server_destroy(mt5_server_t **self);

/* Bind the ROUTER (and the PUB, if any). MT5_OK or MT5_EZMQ with detail. */
int mt5_server_bind(mt5_server_t *self);

/* Resolved endpoints after bind ("" before); borrowed. */
const char *mt5_server_endpoint(const mt5_server_t *self);
const char *mt5_server_stream_endpoint(const mt5_server_t *self);
/* 32 hex digits, fixed for this server's life; borrowed. */
const char *mt5_server_boot_id(const mt5_server_t *self);

/* Serve until *stop becomes non-zero (checked at least every 100 ms).
 * MT5_OK on a requested stop, else an error. */
int mt5_server_run(mt5_server_t *self, volatile sig_atomic_t *stop);

/*  Answer one request body: the protocol logic without the transport.
 *  *reply is caller-owned (free with free()), *reply_len its length. Stream
 *  messages it causes are published when bound. MT5_OK or MT5_ENOMEM. */
int mt5_server_handle(mt5_server_t *self, const void *body, size_t len, char **reply,
                      size_t *reply_len);

/* Replace the wall clock (tests of the TTL edges). */
void mt5_server_set_clock(mt5_server_t *self, int64_t (*now_ms)(void *arg), void *arg);

/* Requests answered so far (malformed ones included). */
uint64_t mt5_server_requests(const mt5_server_t *self);

/* Publish a heartbeat now (the run loop does this every heartbeat_ms). */
int mt5_server_heartbeat(mt5_server_t *self);

#endif
