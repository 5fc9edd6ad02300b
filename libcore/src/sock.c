/*  sock.c - the ZeroMQ socket class, the only file that includes <zmq.h>.
 *
 *  Every mt5_sock_t wraps one libzmq socket. The sockets share one
 *  process-wide context that is created with the first socket and
 *  terminated with the last, under a mutex-protected count: a process that
 *  has closed all its sockets has no libzmq threads left (valgrind sees no
 *  leak), and a client that closes and reopens its only socket simply gets
 *  a fresh context. Every socket starts with LINGER 0, because a request
 *  that nobody took must not hold the process up when it exits.
 *
 *  The gateway's hot path is ROUTER recv, ROUTER send, PUB send and poll.
 *  Receiving copies each frame once, out of a zmq_msg_t into one malloc of
 *  its own (a ROUTER request is three: identity, delimiter, body); the
 *  benchmark in docs/performance.md holds the whole path within about 1.1x
 *  of bare libzmq, so buffer reuse has not been worth its complexity.
 *
 *  The connection monitor is libzmq's own (zmq_socket_monitor): events go
 *  over an inproc PAIR to a second mt5_sock_t owned by the watched one and
 *  are folded, when asked, into one state (unknown, up, refused, down).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "mt5/clock.h"
#include "mt5/error.h"
#include "mt5/sock.h"

/* Longest endpoint accepted, NUL included. Resolved endpoints are read
 * back into a buffer of this size, so longer requests are refused up
 * front rather than truncated afterwards. */

/* zmq_poll items kept on the stack; more sockets than this cost a malloc. */
#define S_POLL_LOCAL 8

/* Monitor events we fold into mt5_conn_state. CLOSED and CONNECT_DELAYED
 * carry no state of their own (CLOSED follows every failed connect attempt
 * too), but they wake a poller so the caller looks again promptly. */
#define S_MONITOR_EVENTS                                                                           \
    (ZMQ_EVENT_CONNECTED | ZMQ_EVENT_CONNECT_DELAYED | ZMQ_EVENT_CONNECT_RETRIED |                 \
     ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_CLOSED)

struct mt5_sock_t {
    void *handle;                    /* the libzmq socket */
    mt5_sock_type type;              /* what it was created as */
    char endpoint[MT5_ENDPOINT_MAX]; /* resolved endpoint of the last bind, "" before */
    mt5_sock_t *monitor;             /* PAIR receiving monitor events, NULL unless watched */
    int live;                        /* connections up now (CONNECTED minus DISCONNECTED) */
    bool was_up;                     /* a connection has been up at some point */
    bool retried;                    /* a connect attempt failed and is being retried */
};

static pthread_mutex_t s_ctx_lock = PTHREAD_MUTEX_INITIALIZER;
static void *s_ctx;            /* the shared context, NULL when no socket exists */
static size_t s_ctx_users;     /* sockets alive in s_ctx */
static unsigned s_monitor_seq; /* makes every monitor endpoint name unique */

static const int s_zmq_types[] = {
    [MT5_SOCK_REQ] = ZMQ_REQ,       [MT5_SOCK_REP] = ZMQ_REP, [MT5_SOCK_DEALER] = ZMQ_DEALER,
    [MT5_SOCK_ROUTER] = ZMQ_ROUTER, [MT5_SOCK_PUB] = ZMQ_PUB, [MT5_SOCK_SUB] = ZMQ_SUB,
    [MT5_SOCK_PAIR] = ZMQ_PAIR,
};

static const struct {
    int zmq_opt;      /* libzmq option */
    const char *name; /* for error details */
} s_opts[] = {
    [MT5_SOCKOPT_LINGER] = {ZMQ_LINGER, "LINGER"},
    [MT5_SOCKOPT_SNDTIMEO] = {ZMQ_SNDTIMEO, "SNDTIMEO"},
    [MT5_SOCKOPT_RCVTIMEO] = {ZMQ_RCVTIMEO, "RCVTIMEO"},
    [MT5_SOCKOPT_MAXMSGSIZE] = {ZMQ_MAXMSGSIZE, "MAXMSGSIZE"},
    [MT5_SOCKOPT_SNDHWM] = {ZMQ_SNDHWM, "SNDHWM"},
    [MT5_SOCKOPT_RCVHWM] = {ZMQ_RCVHWM, "RCVHWM"},
    [MT5_SOCKOPT_IMMEDIATE] = {ZMQ_IMMEDIATE, "IMMEDIATE"},
    [MT5_SOCKOPT_RECONNECT_IVL] = {ZMQ_RECONNECT_IVL, "RECONNECT_IVL"},
    [MT5_SOCKOPT_ROUTER_MANDATORY] = {ZMQ_ROUTER_MANDATORY, "ROUTER_MANDATORY"},
};

/* Take a reference on the shared context, creating it if needed. */
static void *s_ctx_acquire(void)
{
    pthread_mutex_lock(&s_ctx_lock);
    if (!s_ctx)
        s_ctx = zmq_ctx_new();
    void *ctx = s_ctx;
    if (ctx)
        s_ctx_users++;
    pthread_mutex_unlock(&s_ctx_lock);
    return ctx;
}

/* Drop a reference; the last one terminates the context. Every socket has
 * been closed with LINGER 0 by then, so zmq_ctx_term returns at once. */
static void s_ctx_release(void)
{
    pthread_mutex_lock(&s_ctx_lock);
    if (--s_ctx_users == 0) {
        while (zmq_ctx_term(s_ctx) == -1 && zmq_errno() == EINTR)
            ;
        s_ctx = NULL;
    }
    pthread_mutex_unlock(&s_ctx_lock);
}

/* Turn a libzmq errno into a code and a detail "<what>: <reason>".
 * EINTR gets the fixed detail "interrupted" so callers can recognise a
 * signal and check their stop flag. */
static int s_fail(int err, const char *what)
{
    if (err == EINTR)
        return mt5_error_set(MT5_EZMQ, "interrupted");
    return mt5_error_set(MT5_EZMQ, "%s: %s", what, zmq_strerror(err));
}

void mt5_msg_clear(mt5_msg_t *msg)
{
    if (!msg)
        return;
    for (size_t i = 0; i < msg->count && i < MT5_MSG_MAX_FRAMES; i++)
        free(msg->frames[i].data);
    memset(msg, 0, sizeof *msg);
}

mt5_sock_t *mt5_sock_new(mt5_sock_type type)
{
    if (type < MT5_SOCK_REQ || type > MT5_SOCK_PAIR) {
        mt5_error_set(MT5_EINVAL, "unknown socket type %d", (int)type);
        return NULL;
    }
    mt5_sock_t *self = calloc(1, sizeof *self);
    if (!self) {
        mt5_error_set(MT5_ENOMEM, "cannot allocate a socket");
        return NULL;
    }
    void *ctx = s_ctx_acquire();
    if (!ctx) {
        s_fail(zmq_errno(), "cannot create the ZeroMQ context");
        free(self);
        return NULL;
    }
    self->type = type;
    self->handle = zmq_socket(ctx, s_zmq_types[type]);
    int linger = 0;
    if (!self->handle || zmq_setsockopt(self->handle, ZMQ_LINGER, &linger, sizeof linger) == -1) {
        s_fail(zmq_errno(), "cannot create a socket");
        if (self->handle)
            zmq_close(self->handle);
        free(self);
        s_ctx_release();
        return NULL;
    }
    return self;
}

void mt5_sock_destroy(mt5_sock_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    mt5_sock_t *self = *self_p;
    if (self->monitor) {
        /* Stop the monitor first so libzmq closes its end of the pair. */
        zmq_socket_monitor(self->handle, NULL, 0);
        mt5_sock_destroy(&self->monitor);
    }
    zmq_close(self->handle);
    free(self);
    s_ctx_release();
    *self_p = NULL;
}

int mt5_sock_endpoint_check(const char *endpoint)
{
    static const char *const schemes[] = {"tcp://", "ipc://", "inproc://"};
    if (!endpoint)
        return mt5_error_set(MT5_EINVAL, "no endpoint");
    size_t len = strlen(endpoint), scheme = 0;
    if (len >= MT5_ENDPOINT_MAX)
        return mt5_error_set(MT5_EINVAL, "endpoint longer than %d bytes", MT5_ENDPOINT_MAX - 1);
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
        if (strncmp(endpoint, schemes[i], strlen(schemes[i])) == 0)
            scheme = strlen(schemes[i]);
    }
    if (!scheme || len == scheme)
        return mt5_error_set(MT5_EINVAL, "not tcp://, ipc:// or inproc:// followed by an address");
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)endpoint[i] <= ' ' || (unsigned char)endpoint[i] > '~')
            return mt5_error_set(MT5_EINVAL, "blanks, control characters or non-ASCII bytes");
    }
    /* libzmq reads a TCP port into 16 bits without a range check, so
     * tcp://host:99999 would silently bind port 34463. */
    const char *colon = scheme == 6 ? strrchr(endpoint, ':') : NULL;
    if (colon && colon > endpoint + 5 && strcmp(colon, ":*") != 0) {
        char *end = NULL;
        long port = strtol(colon + 1, &end, 10);
        if (end == colon + 1 || *end != '\0' || port < 0 || port > 65535)
            return mt5_error_set(MT5_EINVAL, "the port must be 0-65535 or *");
    }
    return MT5_OK;
}

static int s_check_endpoint(const mt5_sock_t *self, const char *endpoint, const char *verb)
{
    if (!self || !endpoint)
        return mt5_error_set(MT5_EINVAL, "cannot %s: no socket or no endpoint", verb);
    if (mt5_sock_endpoint_check(endpoint) != MT5_OK)
        return mt5_error_set(MT5_EINVAL, "cannot %s %.40s%s: %s", verb, endpoint,
                             strlen(endpoint) > 40 ? "..." : "", mt5_error_detail());
    return MT5_OK;
}

int mt5_sock_bind(mt5_sock_t *self, const char *endpoint)
{
    int rc = s_check_endpoint(self, endpoint, "bind");
    if (rc != MT5_OK)
        return rc;
    if (zmq_bind(self->handle, endpoint) == -1)
        return mt5_error_set(MT5_EZMQ, "cannot bind %s: %s", endpoint, zmq_strerror(zmq_errno()));
    size_t len = sizeof self->endpoint;
    if (zmq_getsockopt(self->handle, ZMQ_LAST_ENDPOINT, self->endpoint, &len) == -1)
        snprintf(self->endpoint, sizeof self->endpoint, "%s", endpoint);
    return MT5_OK;
}

int mt5_sock_connect(mt5_sock_t *self, const char *endpoint)
{
    int rc = s_check_endpoint(self, endpoint, "connect");
    if (rc != MT5_OK)
        return rc;
    if (zmq_connect(self->handle, endpoint) == -1)
        return mt5_error_set(MT5_EZMQ, "cannot connect %s: %s", endpoint,
                             zmq_strerror(zmq_errno()));
    return MT5_OK;
}

const char *mt5_sock_endpoint(const mt5_sock_t *self)
{
    return self ? self->endpoint : "";
}

int mt5_sock_set(mt5_sock_t *self, mt5_sockopt opt, int value)
{
    if (!self)
        return mt5_error_set(MT5_EINVAL, "cannot set an option: no socket");
    if (opt < MT5_SOCKOPT_LINGER || opt > MT5_SOCKOPT_ROUTER_MANDATORY)
        return mt5_error_set(MT5_EINVAL, "unknown socket option %d", (int)opt);
    int rc;
    if (opt == MT5_SOCKOPT_MAXMSGSIZE) {
        int64_t wide = value;
        rc = zmq_setsockopt(self->handle, ZMQ_MAXMSGSIZE, &wide, sizeof wide);
    } else {
        rc = zmq_setsockopt(self->handle, s_opts[opt].zmq_opt, &value, sizeof value);
    }
    if (rc == -1)
        return mt5_error_set(MT5_EINVAL, "cannot set option %s to %d: %s", s_opts[opt].name, value,
                             zmq_strerror(zmq_errno()));
    return MT5_OK;
}

int mt5_sock_subscribe(mt5_sock_t *self, const char *prefix)
{
    if (!self || !prefix || self->type != MT5_SOCK_SUB)
        return mt5_error_set(MT5_EINVAL, "cannot subscribe: not a SUB socket or no prefix");
    if (zmq_setsockopt(self->handle, ZMQ_SUBSCRIBE, prefix, strlen(prefix)) == -1)
        return s_fail(zmq_errno(), "cannot subscribe");
    return MT5_OK;
}

int mt5_sock_send(mt5_sock_t *self, const mt5_frame_t *frames, size_t n)
{
    if (!self || !frames || n == 0)
        return mt5_error_set(MT5_EINVAL, "cannot send: no socket or no frames");
    for (size_t i = 0; i < n; i++)
        if (!frames[i].data && frames[i].size > 0)
            return mt5_error_set(MT5_EINVAL, "cannot send: frame %zu has no data", i);
    for (size_t i = 0; i < n; i++) {
        int flags = i + 1 < n ? ZMQ_SNDMORE : 0;
        if (zmq_send(self->handle, frames[i].data, frames[i].size, flags) == -1) {
            int err = zmq_errno();
            if (err == EAGAIN)
                return mt5_error_set(MT5_ETIMEOUT, "cannot send: would block past SNDTIMEO");
            return s_fail(err, "cannot send");
        }
    }
    return MT5_OK;
}

int mt5_sock_send_buf(mt5_sock_t *self, const void *data, size_t size)
{
    mt5_frame_t frame = {(unsigned char *)data, size};
    return mt5_sock_send(self, &frame, 1);
}

/* Receive every part of one message into *msg (empty on entry), keeping
 * the first MT5_MSG_MAX_FRAMES. `flags` applies to the first part only:
 * the rest of a message arrives with it, so those never wait. Returns
 * MT5_ETIMEOUT without a detail when nothing is waiting (EAGAIN), so a
 * caller can retry or word its own detail. On failure *msg is empty. */
static int s_recv_parts(mt5_sock_t *self, mt5_msg_t *msg, int flags)
{
    bool nomem = false;
    int more = 1;
    while (more) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, self->handle, msg->total == 0 ? flags : 0) == -1) {
            int err = zmq_errno();
            zmq_msg_close(&part);
            mt5_msg_clear(msg);
            return err == EAGAIN ? MT5_ETIMEOUT : s_fail(err, "cannot receive");
        }
        more = zmq_msg_more(&part);
        /* After a failed malloc keep reading, so the rest of the message
         * does not turn up later as a message of its own. */
        if (msg->count < MT5_MSG_MAX_FRAMES && !nomem) {
            size_t size = zmq_msg_size(&part);
            unsigned char *data = malloc(size + 1);
            if (data) {
                if (size > 0)
                    memcpy(data, zmq_msg_data(&part), size);
                data[size] = '\0';
                msg->frames[msg->count].data = data;
                msg->frames[msg->count].size = size;
                msg->count++;
            } else {
                nomem = true;
            }
        }
        msg->total++;
        zmq_msg_close(&part);
    }
    if (nomem) {
        mt5_msg_clear(msg);
        return mt5_error_set(MT5_ENOMEM, "cannot allocate a received frame");
    }
    return MT5_OK;
}

int mt5_sock_recv(mt5_sock_t *self, mt5_msg_t *msg, int timeout_ms)
{
    if (!msg)
        return mt5_error_set(MT5_EINVAL, "cannot receive: no message");
    mt5_msg_clear(msg);
    if (!self)
        return mt5_error_set(MT5_EINVAL, "cannot receive: no socket");
    if (timeout_ms < 0) {
        /* Blocking; RCVTIMEO, if set, still bounds the wait. */
        int rc = s_recv_parts(self, msg, 0);
        if (rc == MT5_ETIMEOUT)
            return mt5_error_set(MT5_ETIMEOUT, "no message within RCVTIMEO");
        return rc;
    }
    /* Try first and poll only when nothing is waiting: a message already
     * queued (a busy gateway, a reply that came back fast) costs no poll.
     * The loop also survives a poll that reports a message a REQ socket
     * then discards (a reply out of sequence). */
    int64_t deadline = timeout_ms > 0 ? mt5_clock_mono_us() + (int64_t)timeout_ms * 1000 : 0;
    for (;;) {
        int rc = s_recv_parts(self, msg, ZMQ_DONTWAIT);
        if (rc != MT5_ETIMEOUT)
            return rc;
        int64_t left_us = timeout_ms > 0 ? deadline - mt5_clock_mono_us() : 0;
        if (left_us <= 0)
            return mt5_error_set(MT5_ETIMEOUT, "no message within %d ms", timeout_ms);
        zmq_pollitem_t item = {self->handle, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, (long)((left_us + 999) / 1000)) == -1)
            return s_fail(zmq_errno(), "cannot poll");
    }
}

int mt5_sock_poll(mt5_sock_t *const *socks, size_t n, int timeout_ms, bool *ready)
{
    if (!socks || n == 0 || n > INT_MAX)
        return mt5_error_set(MT5_EINVAL, "cannot poll: no sockets");
    for (size_t i = 0; i < n; i++)
        if (!socks[i])
            return mt5_error_set(MT5_EINVAL, "cannot poll: socket %zu is NULL", i);
    zmq_pollitem_t local[S_POLL_LOCAL];
    zmq_pollitem_t *items = n <= S_POLL_LOCAL ? local : malloc(n * sizeof *items);
    if (!items)
        return mt5_error_set(MT5_ENOMEM, "cannot poll %zu sockets", n);
    for (size_t i = 0; i < n; i++)
        items[i] = (zmq_pollitem_t){socks[i]->handle, 0, ZMQ_POLLIN, 0};
    int rc = MT5_OK;
    int got = zmq_poll(items, (int)n, timeout_ms);
    if (got == -1)
        rc = s_fail(zmq_errno(), "cannot poll");
    else if (got == 0)
        rc = mt5_error_set(MT5_ETIMEOUT, "no socket ready within %d ms", timeout_ms);
    else if (ready)
        for (size_t i = 0; i < n; i++)
            ready[i] = (items[i].revents & ZMQ_POLLIN) != 0;
    if (items != local)
        free(items);
    return rc;
}

int mt5_sock_watch(mt5_sock_t *self)
{
    if (!self)
        return mt5_error_set(MT5_EINVAL, "cannot watch: no socket");
    if (self->monitor)
        return MT5_OK;
    pthread_mutex_lock(&s_ctx_lock);
    unsigned seq = ++s_monitor_seq;
    pthread_mutex_unlock(&s_ctx_lock);
    char addr[64];
    snprintf(addr, sizeof addr, "inproc://mt5-monitor-%u", seq);
    if (zmq_socket_monitor(self->handle, addr, S_MONITOR_EVENTS) == -1)
        return s_fail(zmq_errno(), "cannot start the connection monitor");
    mt5_sock_t *pair = mt5_sock_new(MT5_SOCK_PAIR);
    int rc = pair ? mt5_sock_connect(pair, addr) : MT5_EZMQ;
    if (rc != MT5_OK) {
        zmq_socket_monitor(self->handle, NULL, 0);
        mt5_sock_destroy(&pair);
        return rc;
    }
    self->monitor = pair;
    return MT5_OK;
}

mt5_sock_t *mt5_sock_monitor(mt5_sock_t *self)
{
    return self ? self->monitor : NULL;
}

mt5_conn_state mt5_sock_conn_state(mt5_sock_t *self)
{
    if (!self || !self->monitor)
        return MT5_CONN_UNKNOWN;
    /* Each event is [uint16 event, uint32 value][address], host order. */
    mt5_msg_t msg = {0};
    while (s_recv_parts(self->monitor, &msg, ZMQ_DONTWAIT) == MT5_OK) {
        uint16_t event = 0;
        if (msg.count > 0 && msg.frames[0].size >= 6)
            memcpy(&event, msg.frames[0].data, sizeof event);
        if (event == ZMQ_EVENT_CONNECTED) {
            self->live++;
            self->was_up = true;
        } else if (event == ZMQ_EVENT_DISCONNECTED && self->live > 0) {
            self->live--;
        } else if (event == ZMQ_EVENT_CONNECT_RETRIED) {
            self->retried = true;
        }
        mt5_msg_clear(&msg);
    }
    if (self->live > 0)
        return MT5_CONN_UP;
    if (self->was_up)
        return MT5_CONN_DOWN;
    return self->retried ? MT5_CONN_REFUSED : MT5_CONN_UNKNOWN;
}
