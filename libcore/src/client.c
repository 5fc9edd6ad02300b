/*  client.c - the Lazy Pirate request client (zguide, chapter 4).
 *
 *  A REQ socket is strict: after a send it will only receive, so a lost
 *  request or reply would wedge it forever. Lazy Pirate keeps it simple:
 *  poll for the reply with a deadline, and when none comes close the
 *  socket (LINGER 0 throws the pending request away), open a new one and
 *  send the same bytes again, a bounded number of times.
 *
 *  Each socket is watched by the connection monitor, which lets the client
 *  tell "nobody listens there" (refused) from "somebody listens but did
 *  not answer" (timeout); with fail_on_refused the first is reported at
 *  once instead of after the whole timeout. The socket is connected on the
 *  first request, not in mt5_client_new, and kept between successful
 *  requests, so a caller sending many (a heartbeat, an order flow) pays the
 *  TCP and ZMTP handshakes once, not per request.
 */
#include <stdlib.h>
#include <string.h>

#include "mt5/client.h"
#include "mt5/clock.h"
#include "mt5/error.h"
#include "mt5/sock.h"

/* Longest poll in one go, ms. Between slices the deadline is re-measured
 * and the connection state looked at, even if no monitor event woke us. */
#define S_SLICE_MS 100

#define S_RETRIES_MAX 100

struct mt5_client_t {
    char *endpoint;             /* server endpoint, owned copy */
    mt5_client_options options; /* validated copy of the caller's options */
    mt5_sock_t *sock;           /* REQ socket, NULL until first used and after a failure */
    int attempts;               /* attempts made by the last request */
};

mt5_client_t *mt5_client_new(const char *endpoint, const mt5_client_options *options)
{
    static const mt5_client_options defaults = MT5_CLIENT_OPTIONS_INIT;
    if (!options)
        options = &defaults;
    if (mt5_sock_endpoint_check(endpoint) != MT5_OK) {
        mt5_error_set(MT5_EINVAL, "client endpoint '%.64s': %s", endpoint ? endpoint : "",
                      mt5_error_detail());
        return NULL;
    }
    if (options->version != MT5_CLIENT_OPTIONS_VERSION) {
        mt5_error_set(MT5_EINVAL, "client options version %d, expected %d", options->version,
                      MT5_CLIENT_OPTIONS_VERSION);
        return NULL;
    }
    if (options->timeout_ms <= 0) {
        mt5_error_set(MT5_EINVAL, "client timeout_ms %d, must be > 0", options->timeout_ms);
        return NULL;
    }
    if (options->retries < 0 || options->retries > S_RETRIES_MAX) {
        mt5_error_set(MT5_EINVAL, "client retries %d, must be 0 to %d", options->retries,
                      S_RETRIES_MAX);
        return NULL;
    }
    mt5_client_t *self = calloc(1, sizeof *self);
    if (self)
        self->endpoint = strdup(endpoint);
    if (!self || !self->endpoint) {
        free(self);
        mt5_error_set(MT5_ENOMEM, "cannot allocate a client");
        return NULL;
    }
    self->options = *options;
    return self;
}

void mt5_client_destroy(mt5_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    mt5_client_t *self = *self_p;
    mt5_sock_destroy(&self->sock);
    free(self->endpoint);
    free(self);
    *self_p = NULL;
}

/* Make sure there is a watched REQ socket connected to the endpoint. A
 * kept socket whose connection has gone down since the last request is
 * replaced: libzmq would reconnect it too, but only a fresh socket's
 * monitor can tell this request that the server now refuses. */
static int s_connect(mt5_client_t *self)
{
    if (self->sock && mt5_sock_conn_state(self->sock) != MT5_CONN_DOWN)
        return MT5_OK;
    mt5_sock_destroy(&self->sock);
    mt5_sock_t *sock = mt5_sock_new(MT5_SOCK_REQ);
    if (!sock)
        return MT5_EZMQ;
    int rc = mt5_sock_watch(sock);
    if (rc == MT5_OK)
        rc = mt5_sock_connect(sock, self->endpoint);
    if (rc != MT5_OK) {
        mt5_sock_destroy(&sock);
        return rc;
    }
    self->sock = sock;
    return MT5_OK;
}

/* Fold the monitor's view of this attempt into the request's. Returns
 * MT5_EREFUSED when the caller asked to fail on the first refusal. */
static int s_check_conn(mt5_client_t *self, bool *refused, bool *was_up)
{
    mt5_conn_state state = mt5_sock_conn_state(self->sock);
    if (state == MT5_CONN_UP || state == MT5_CONN_DOWN)
        *was_up = true;
    if (state == MT5_CONN_REFUSED) {
        *refused = true;
        if (self->options.fail_on_refused)
            return mt5_error_set(MT5_EREFUSED, "connection refused by %s", self->endpoint);
    }
    return MT5_OK;
}

/* One attempt: send, then wait for the reply until the deadline. On any
 * outcome but MT5_OK the socket is closed, because a REQ socket that is
 * still waiting for a reply cannot send the next request. Returns
 * MT5_ETIMEOUT without a detail; the caller words it after the last try. */
static int s_attempt(mt5_client_t *self, const void *req, size_t len, mt5_msg_t *msg,
                     int64_t *rtt_us, bool *refused, bool *was_up)
{
    int rc = s_connect(self);
    if (rc != MT5_OK)
        return rc;
    int64_t sent_us = mt5_clock_mono_us();
    int64_t deadline = sent_us + (int64_t)self->options.timeout_ms * 1000;
    rc = mt5_sock_send_buf(self->sock, req, len);
    mt5_sock_t *socks[2] = {self->sock, mt5_sock_monitor(self->sock)};
    while (rc == MT5_OK) {
        int64_t left_us = deadline - mt5_clock_mono_us();
        if (left_us <= 0) {
            rc = s_check_conn(self, refused, was_up);
            if (rc == MT5_OK)
                rc = MT5_ETIMEOUT;
            break;
        }
        int slice = left_us > S_SLICE_MS * 1000 ? S_SLICE_MS : (int)((left_us + 999) / 1000);
        /* mt5_sock_poll writes ready[] only when something is ready; after
         * a quiet slice the monitor is looked at anyway. */
        bool ready[2] = {false, true};
        rc = mt5_sock_poll(socks, 2, slice, ready);
        if (rc == MT5_ETIMEOUT)
            rc = MT5_OK;
        if (rc == MT5_OK && ready[0]) {
            rc = mt5_sock_recv(self->sock, msg, 0);
            if (rc == MT5_OK) {
                *rtt_us = mt5_clock_mono_us() - sent_us;
                return MT5_OK;
            }
            if (rc == MT5_ETIMEOUT) /* a discarded out-of-sequence reply */
                rc = MT5_OK;
        }
        if (rc == MT5_OK && ready[1])
            rc = s_check_conn(self, refused, was_up);
    }
    mt5_sock_destroy(&self->sock);
    return rc;
}

int mt5_client_request(mt5_client_t *self, const void *req, size_t len, char **reply,
                       size_t *reply_len, int64_t *rtt_us)
{
    if (!self || (!req && len > 0) || !reply || !reply_len)
        return mt5_error_set(MT5_EINVAL, "client request: missing client, request or reply");
    self->attempts = 0;
    bool refused = false; /* some attempt saw its connection refused */
    bool was_up = false;  /* some attempt saw a connection established */
    int max_attempts = 1 + self->options.retries;
    for (int attempt = 1; attempt <= max_attempts; attempt++) {
        self->attempts = attempt;
        mt5_msg_t msg = {0};
        int64_t rtt = 0;
        int rc = s_attempt(self, req, len, &msg, &rtt, &refused, &was_up);
        if (rc == MT5_ETIMEOUT)
            continue;
        if (rc != MT5_OK)
            return rc;
        if (msg.total != 1) {
            /* The exchange is complete, but a peer that breaks the
             * one-frame rule gets a fresh socket next time. */
            size_t frames = msg.total;
            mt5_msg_clear(&msg);
            mt5_sock_destroy(&self->sock);
            return mt5_error_set(MT5_EBADREPLY, "reply from %s has %zu frames, expected 1",
                                 self->endpoint, frames);
        }
        /* The frame is already a NUL-terminated malloc: hand it over. */
        *reply = (char *)msg.frames[0].data;
        *reply_len = msg.frames[0].size;
        if (rtt_us)
            *rtt_us = rtt;
        return MT5_OK;
    }
    if (refused && !was_up)
        return mt5_error_set(MT5_EREFUSED, "connection refused by %s", self->endpoint);
    return mt5_error_set(MT5_ETIMEOUT, "no reply from %s within %d ms after %d attempts",
                         self->endpoint, self->options.timeout_ms, max_attempts);
}

int mt5_client_attempts(const mt5_client_t *self)
{
    return self ? self->attempts : 0;
}

const char *mt5_client_endpoint(const mt5_client_t *self)
{
    return self ? self->endpoint : "";
}
