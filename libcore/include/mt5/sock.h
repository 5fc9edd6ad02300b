/*  mt5/sock.h - the ZeroMQ socket, the only door to libzmq.
 *
 *  A thin class over one libzmq socket: bind/connect with errors that say
 *  which endpoint failed, multi-frame send and receive, poll, and a
 *  connection monitor so a client can tell "refused" from "no reply". All
 *  sockets share one process-wide context, created with the first socket
 *  and terminated with the last.
 */
#ifndef MT5_SOCK_H
#define MT5_SOCK_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    MT5_SOCK_REQ = 1,
    MT5_SOCK_REP,
    MT5_SOCK_DEALER,
    MT5_SOCK_ROUTER,
    MT5_SOCK_PUB,
    MT5_SOCK_SUB,
    MT5_SOCK_PAIR
} mt5_sock_type;

typedef enum {
    MT5_SOCKOPT_LINGER = 1, /* ms; libcore sets 0 on every socket by default */
    MT5_SOCKOPT_SNDTIMEO,   /* ms */
    MT5_SOCKOPT_RCVTIMEO,   /* ms */
    MT5_SOCKOPT_MAXMSGSIZE, /* bytes; larger inbound frames drop the peer */
    MT5_SOCKOPT_SNDHWM,
    MT5_SOCKOPT_RCVHWM,
    MT5_SOCKOPT_IMMEDIATE,       /* 0/1 */
    MT5_SOCKOPT_RECONNECT_IVL,   /* ms */
    MT5_SOCKOPT_ROUTER_MANDATORY /* 0/1 */
} mt5_sockopt;

#define MT5_MSG_MAX_FRAMES 8
#define MT5_ENDPOINT_MAX 256 /* bytes with the NUL */

/*  Check an endpoint before libzmq sees it: "tcp://", "ipc://" or
 *  "inproc://" followed by an address, visible ASCII only, shorter than
 *  MT5_ENDPOINT_MAX, and for tcp:// a port of 0-65535 or "*" (libzmq would
 *  silently wrap 99999 to 34463). MT5_OK, or MT5_EINVAL with the reason as
 *  detail ("the port must be 0-65535 or *"). Every endpoint libcore binds,
 *  connects or accepts in its configuration passes through here. */
int mt5_sock_endpoint_check(const char *endpoint);

/* One frame: malloc'd bytes (a NUL is appended after `size` bytes, not
 * counted, so text frames can be read as strings). */
typedef struct {
    unsigned char *data;
    size_t size;
} mt5_frame_t;

/* A received multi-frame message. The first MT5_MSG_MAX_FRAMES frames are
 * kept; `total` counts every frame received, kept or not. */
typedef struct {
    mt5_frame_t frames[MT5_MSG_MAX_FRAMES];
    size_t count;
    size_t total;
} mt5_msg_t;

/* Free the frames of *msg and zero it; accepts an empty msg. */
void mt5_msg_clear(mt5_msg_t *msg);

typedef struct mt5_sock_t mt5_sock_t;

/* New socket of `type` with LINGER 0. Caller owns, destroy with
 * mt5_sock_destroy(); NULL with detail on failure. */
mt5_sock_t *mt5_sock_new(mt5_sock_type type);
void mt5_sock_destroy(mt5_sock_t **self);

/* Bind / connect. MT5_OK or MT5_EZMQ with detail naming the endpoint.
 * After bind, mt5_sock_endpoint() gives the resolved endpoint (the real
 * port when bound to "tcp://127.0.0.1:*"). */
int mt5_sock_bind(mt5_sock_t *self, const char *endpoint);
int mt5_sock_connect(mt5_sock_t *self, const char *endpoint);
/* Borrowed; "" before the first bind. */
const char *mt5_sock_endpoint(const mt5_sock_t *self);

int mt5_sock_set(mt5_sock_t *self, mt5_sockopt opt, int value);
/* SUB only: subscribe to a topic prefix ("" = everything). */
int mt5_sock_subscribe(mt5_sock_t *self, const char *prefix);

/* Send n frames as one message. MT5_OK, MT5_ETIMEOUT (would block past
 * SNDTIMEO), MT5_EZMQ. */
int mt5_sock_send(mt5_sock_t *self, const mt5_frame_t *frames, size_t n);
/* Convenience: send one frame. */
int mt5_sock_send_buf(mt5_sock_t *self, const void *data, size_t size);

/* Receive one whole message into *msg (cleared first). timeout_ms < 0
 * waits forever, 0 does not wait. MT5_OK, MT5_ETIMEOUT, MT5_EZMQ. On
 * failure *msg is empty. */
int mt5_sock_recv(mt5_sock_t *self, mt5_msg_t *msg, int timeout_ms);

/* Wait until one of socks[0..n) is readable. ready[i] says which.
 * MT5_OK (something ready), MT5_ETIMEOUT, MT5_EZMQ (EINTR included, so a
 * signal handler's flag can be checked). */
int mt5_sock_poll(mt5_sock_t *const *socks, size_t n, int timeout_ms, bool *ready);

/* Connection monitor. After mt5_sock_watch(), mt5_sock_conn_state()
 * reports what the socket's connections have done so far; call it after
 * polls. */
typedef enum {
    MT5_CONN_UNKNOWN = 0, /* nothing seen yet */
    MT5_CONN_UP,          /* a connection is established */
    MT5_CONN_REFUSED,     /* connect attempts failed, never up */
    MT5_CONN_DOWN         /* was up, then closed */
} mt5_conn_state;
int mt5_sock_watch(mt5_sock_t *self);
mt5_conn_state mt5_sock_conn_state(mt5_sock_t *self);
/* The PAIR socket that receives the monitor's events, so it can be given to
 * mt5_sock_poll() next to the watched socket; call mt5_sock_conn_state()
 * when it is ready. Borrowed, valid until mt5_sock_destroy(self); NULL
 * before mt5_sock_watch(). */
mt5_sock_t *mt5_sock_monitor(mt5_sock_t *self);

#endif
