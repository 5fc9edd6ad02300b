/*  server.c - the gateway: one ROUTER for commands, one PUB for the stream.
 *
 *  Every request gets exactly one reply frame, malformed ones included, so a
 *  REQ client is never left waiting (docs/protocol.md section 1). Orders go
 *  through the order of checks the protocol fixes: validate, verify the MAC,
 *  look the req_id up, check the TTL, apply the gateway's own limits,
 *  execute. Looking the req_id up before the TTL is what lets a client retry
 *  a timed-out order after its signature has expired without doubling it.
 *
 *  The loop is single-threaded: requests and heartbeats are served from one
 *  poll, so the backend never needs a lock.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mt5/clock.h"
#include "mt5/crypto.h"
#include "mt5/error.h"
#include "mt5/idem.h"
#include "mt5/server.h"
#include "mt5/sock.h"

struct mt5_server_t {
    mt5_server_options opts;      /* copy; endpoint pointers re-aimed below */
    char bind[256];               /* requested command endpoint */
    char stream[256];             /* requested stream endpoint ("" = none) */
    mt5_backend_t *backend;       /* owned */
    mt5_idem_t *idem;             /* owned: executed req_ids */
    mt5_sock_t *router;           /* owned, NULL until bound */
    mt5_sock_t *pub;              /* owned, NULL without a stream */
    char boot_id[33];             /* random, fixed for this run */
    uint64_t seq;                 /* last stream sequence number sent */
    int64_t (*now_ms)(void *arg); /* wall clock, replaceable by tests */
    void *now_arg;
    uint64_t requests; /* requests answered */
};

static int64_t s_wall_clock(void *arg)
{
    (void)arg;
    return mt5_clock_wall_ms();
}

mt5_server_t *mt5_server_new(const mt5_server_options *options, mt5_backend_t **backend)
{
    mt5_server_options defaults = MT5_SERVER_OPTIONS_INIT;
    if (!backend || !*backend) {
        mt5_error_set(MT5_EINVAL, "gateway needs a backend");
        return NULL;
    }
    if (!options)
        options = &defaults;
    if (options->version != MT5_SERVER_OPTIONS_VERSION || !options->bind || !*options->bind ||
        options->signature_ttl_ms <= 0 || options->heartbeat_ms <= 0 ||
        !(options->max_volume > 0) || options->max_positions <= 0) {
        mt5_error_set(MT5_EINVAL, "invalid gateway options");
        return NULL;
    }
    if (strlen(options->bind) >= 256 || (options->stream && strlen(options->stream) >= 256)) {
        mt5_error_set(MT5_EINVAL, "endpoint too long");
        return NULL;
    }
    mt5_server_t *self = calloc(1, sizeof *self);
    if (!self) {
        mt5_error_set(MT5_ENOMEM, "out of memory");
        return NULL;
    }
    self->idem = mt5_idem_new();
    if (!self->idem) {
        free(self);
        mt5_error_set(MT5_ENOMEM, "out of memory");
        return NULL;
    }
    self->opts = *options;
    snprintf(self->bind, sizeof self->bind, "%s", options->bind);
    snprintf(self->stream, sizeof self->stream, "%s", options->stream ? options->stream : "");
    self->opts.bind = self->bind;
    self->opts.stream = self->stream;
    self->backend = *backend;
    *backend = NULL;
    uint8_t raw[16];
    mt5_random_bytes(raw, sizeof raw);
    mt5_hex_encode(self->boot_id, sizeof self->boot_id, raw, sizeof raw);
    self->now_ms = s_wall_clock;
    return self;
}

void mt5_server_destroy(mt5_server_t **pself)
{
    if (!pself || !*pself)
        return;
    mt5_server_t *self = *pself;
    mt5_sock_destroy(&self->router);
    mt5_sock_destroy(&self->pub);
    mt5_idem_destroy(&self->idem);
    mt5_backend_destroy(&self->backend);
    free(self);
    *pself = NULL;
}

int mt5_server_bind(mt5_server_t *self)
{
    if (!self || self->router)
        return mt5_error_set(MT5_ESTATE, "gateway already bound");
    self->router = mt5_sock_new(MT5_SOCK_ROUTER);
    if (!self->router)
        return MT5_EZMQ;
    /* Frames above 1 MiB drop the peer (section 1); bodies above 64 KiB
     * still get their TOO_LARGE reply. */
    int rc = mt5_sock_set(self->router, MT5_SOCKOPT_MAXMSGSIZE, MT5_MAX_FRAME);
    if (rc == MT5_OK)
        rc = mt5_sock_bind(self->router, self->bind);
    if (rc == MT5_OK && *self->stream) {
        self->pub = mt5_sock_new(MT5_SOCK_PUB);
        rc = self->pub ? mt5_sock_bind(self->pub, self->stream) : MT5_EZMQ;
    }
    if (rc != MT5_OK) {
        mt5_sock_destroy(&self->router);
        mt5_sock_destroy(&self->pub);
    }
    return rc;
}

const char *mt5_server_endpoint(const mt5_server_t *self)
{
    return self && self->router ? mt5_sock_endpoint(self->router) : "";
}

const char *mt5_server_stream_endpoint(const mt5_server_t *self)
{
    return self && self->pub ? mt5_sock_endpoint(self->pub) : "";
}

const char *mt5_server_boot_id(const mt5_server_t *self)
{
    return self ? self->boot_id : "";
}

void mt5_server_set_clock(mt5_server_t *self, int64_t (*now_ms)(void *arg), void *arg)
{
    if (!self)
        return;
    self->now_ms = now_ms ? now_ms : s_wall_clock;
    self->now_arg = now_ms ? arg : NULL;
}

/* ---- stream ------------------------------------------------------------ */

static mt5_stream_hdr_t s_next_hdr(mt5_server_t *self)
{
    mt5_stream_hdr_t hdr;
    hdr.seq = ++self->seq;
    memcpy(hdr.boot_id, self->boot_id, sizeof hdr.boot_id);
    hdr.time_ms = self->now_ms(self->now_arg);
    return hdr;
}

/* Publish one message. The body is consumed. A stream hiccup never fails
 * the request that caused it: the reply is what the client waits for. */
static void s_publish(mt5_server_t *self, const char *topic, char *body)
{
    if (body && self->pub) {
        mt5_frame_t frames[2] = {{(unsigned char *)topic, strlen(topic)},
                                 {(unsigned char *)body, strlen(body)}};
        mt5_sock_send(self->pub, frames, 2);
    }
    free(body);
}

int mt5_server_heartbeat(mt5_server_t *self)
{
    if (!self)
        return MT5_EINVAL;
    if (!self->pub)
        return MT5_OK;
    mt5_stream_hdr_t hdr = s_next_hdr(self);
    char *body = mt5_proto_stream_heartbeat(&hdr);
    if (!body)
        return MT5_ENOMEM;
    s_publish(self, "HEARTBEAT", body);
    return MT5_OK;
}

static void s_publish_account(mt5_server_t *self)
{
    mt5_account_t account;
    if (!self->pub || mt5_backend_account(self->backend, &account) != MT5_OK)
        return;
    mt5_stream_hdr_t hdr = s_next_hdr(self);
    s_publish(self, "ACCOUNT", mt5_proto_stream_account(&hdr, &account));
}

/* Copy the open position `ticket` into *out; false when it is not open. */
static bool s_find_position(mt5_server_t *self, int64_t ticket, mt5_position_t *out)
{
    const mt5_position_t *list;
    size_t count;
    if (mt5_backend_positions(self->backend, &list, &count) != MT5_OK)
        return false;
    for (size_t i = 0; i < count; i++) {
        if (list[i].ticket == ticket) {
            *out = list[i];
            return true;
        }
    }
    return false;
}

/* After an executed order: FILL, then the position as it now stands, then
 * the account (docs/protocol.md A.6). `closed` marks a position that the
 * order closed entirely. */
static void s_publish_order(mt5_server_t *self, mt5_action event, const mt5_request_t *req,
                            const mt5_fill_t *fill, const double *profit, const mt5_position_t *pos,
                            bool closed)
{
    mt5_stream_hdr_t hdr = s_next_hdr(self);
    s_publish(self, "FILL", mt5_proto_stream_fill(&hdr, event, req->req_id, fill, profit));
    hdr = s_next_hdr(self);
    s_publish(self, "POSITION", mt5_proto_stream_position(&hdr, pos, closed));
    s_publish_account(self);
}

/* ---- requests ---------------------------------------------------------- */

static const char *s_req_id(const mt5_request_t *req)
{
    return (req->has & MT5_HAS_REQ_ID) ? req->req_id : NULL;
}

static char *s_reject(mt5_wire_code code, const mt5_request_t *req, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static char *s_reject(mt5_wire_code code, const mt5_request_t *req, const char *fmt, ...)
{
    char msg[MT5_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return mt5_proto_reply_error(code, s_req_id(req), msg);
}

/* The gateway's own limits, applied after the signature and before the
 * backend: they hold whatever the risk monitor on the other side signed. */
static char *s_check_limits(mt5_server_t *self, const mt5_request_t *req)
{
    if (req->action != MT5_ACTION_OPEN)
        return NULL;
    if (req->volume > self->opts.max_volume + 1e-9)
        return s_reject(MT5_WIRE_RISK_REJECTED, req,
                        "volume %.2f exceeds the gateway limit of %.2f lots", req->volume,
                        self->opts.max_volume);
    const mt5_position_t *list;
    size_t count = 0;
    if (mt5_backend_positions(self->backend, &list, &count) != MT5_OK)
        return s_reject(MT5_WIRE_BACKEND_ERROR, req, "backend cannot list positions");
    if ((int64_t)count >= self->opts.max_positions)
        return s_reject(MT5_WIRE_RISK_REJECTED, req,
                        "%zu positions are open; the gateway limit is %lld", count,
                        (long long)self->opts.max_positions);
    return NULL;
}

/* Execute a checked order on the backend; the reply and whether it ran.
 * The position snapshots are taken only when there is a stream to tell. */
static char *s_execute(mt5_server_t *self, const mt5_request_t *req, bool *executed)
{
    char msg[MT5_MESSAGE_MAX] = "";
    mt5_wire_code code;
    mt5_position_t pos;
    *executed = false;
    if (req->action == MT5_ACTION_OPEN) {
        mt5_fill_t fill;
        code = mt5_backend_open(self->backend, req, &fill, msg, sizeof msg);
        if (code != MT5_WIRE_OK)
            return mt5_proto_reply_error(code, s_req_id(req), msg);
        *executed = true;
        if (self->pub && s_find_position(self, fill.ticket, &pos))
            s_publish_order(self, MT5_ACTION_OPEN, req, &fill, NULL, &pos, false);
        return mt5_proto_reply_open(s_req_id(req), &fill);
    }
    mt5_position_t before;
    bool tell = self->pub && s_find_position(self, req->ticket, &before);
    mt5_close_t closed;
    code = mt5_backend_close(self->backend, req, &closed, msg, sizeof msg);
    if (code != MT5_WIRE_OK)
        return mt5_proto_reply_error(code, s_req_id(req), msg);
    *executed = true;
    if (tell) {
        mt5_fill_t fill = {.ticket = closed.ticket,
                           .side = before.side,
                           .volume = closed.volume,
                           .price = closed.price};
        memcpy(fill.symbol, before.symbol, sizeof fill.symbol);
        bool gone = !s_find_position(self, closed.ticket, &pos);
        if (gone) {
            pos = before;
            pos.volume = 0;
            pos.profit = closed.profit;
        }
        s_publish_order(self, MT5_ACTION_CLOSE, req, &fill, &closed.profit, &pos, gone);
    }
    return mt5_proto_reply_close(s_req_id(req), &closed);
}

static char *s_order(mt5_server_t *self, const mt5_request_t *req)
{
    /* Missing, malformed or wrong signatures, and a gateway without a key:
     * the verifier's detail says which, and never holds key material. */
    uint8_t digest[32];
    int64_t ts_ms = 0;
    mt5_wire_code code = mt5_sig_verify(self->opts.key, req, &ts_ms, digest);
    if (code != MT5_WIRE_OK)
        return s_reject(code, req, "%s", mt5_error_detail());

    const char *stored = NULL;
    int found = mt5_idem_lookup(self->idem, req->req_id, digest, &stored);
    if (found == MT5_OK)
        return mt5_proto_reply_mark_duplicate(stored);
    if (found == MT5_ESTATE)
        return s_reject(MT5_WIRE_REQ_ID_REUSED, req,
                        "req_id '%s' was already used for a different order", req->req_id);

    int64_t now = self->now_ms(self->now_arg);
    if (!mt5_sig_fresh(ts_ms, now, self->opts.signature_ttl_ms))
        return s_reject(
            MT5_WIRE_EXPIRED_SIGNATURE, req,
            "risk_signature time is %lld ms from the gateway clock; the limit is %lld ms",
            (long long)llabs(now - ts_ms), (long long)self->opts.signature_ttl_ms);

    char *reply = s_check_limits(self, req);
    if (reply)
        return reply;
    bool executed;
    reply = s_execute(self, req, &executed);
    /* Only executed orders are remembered: a refused one changed nothing,
     * so deciding it afresh on a retry can never double it. The reply is
     * stored before it is sent. */
    if (reply && executed && mt5_idem_store(self->idem, req->req_id, digest, reply) != MT5_OK) {
        free(reply);
        return s_reject(MT5_WIRE_BACKEND_ERROR, req, "gateway could not record the order");
    }
    return reply;
}

static char *s_dispatch(mt5_server_t *self, const mt5_request_t *req)
{
    switch (req->action) {
    case MT5_ACTION_HELLO:
        return strdup(MT5_HELLO_REPLY);
    case MT5_ACTION_PING:
        return mt5_proto_reply_ping(s_req_id(req), self->now_ms(self->now_arg),
                                    (req->has & MT5_HAS_TS) ? &req->ts : NULL);
    case MT5_ACTION_GET_ACCOUNT: {
        mt5_account_t account;
        if (mt5_backend_account(self->backend, &account) != MT5_OK)
            return s_reject(MT5_WIRE_BACKEND_ERROR, req, "backend cannot read the account");
        return mt5_proto_reply_account(s_req_id(req), &account);
    }
    case MT5_ACTION_GET_POSITIONS: {
        const mt5_position_t *list;
        size_t count;
        if (mt5_backend_positions(self->backend, &list, &count) != MT5_OK)
            return s_reject(MT5_WIRE_BACKEND_ERROR, req, "backend cannot list positions");
        return mt5_proto_reply_positions(s_req_id(req), list, count);
    }
    case MT5_ACTION_OPEN:
    case MT5_ACTION_CLOSE:
        return s_order(self, req);
    default:
        return s_reject(MT5_WIRE_BACKEND_ERROR, req, "gateway cannot serve this action");
    }
}

int mt5_server_handle(mt5_server_t *self, const void *body, size_t len, char **reply,
                      size_t *reply_len)
{
    if (!self || !reply || !reply_len || (!body && len))
        return MT5_EINVAL;
    mt5_request_t req;
    char msg[MT5_MESSAGE_MAX];
    mt5_wire_code code = mt5_proto_decode(&req, body, len, msg, sizeof msg);
    char *out = code == MT5_WIRE_OK ? s_dispatch(self, &req)
                                    : mt5_proto_reply_error(code, s_req_id(&req), msg);
    if (!out)
        return mt5_error_set(MT5_ENOMEM, "out of memory building a reply");
    self->requests++;
    *reply = out;
    *reply_len = strlen(out);
    return MT5_OK;
}

/* ---- transport --------------------------------------------------------- */

/* Answer one ROUTER message: [identity, "", body] from REQ, or
 * [identity, body] from a DEALER that sends no delimiter. */
static void s_serve(mt5_server_t *self, const mt5_msg_t *msg)
{
    if (msg->count < 1)
        return;
    bool delimited = msg->count >= 2 && msg->frames[1].size == 0;
    size_t first = delimited ? 2 : 1;
    size_t parts = msg->total - first;
    char *reply = NULL;
    size_t reply_len = 0;
    if (parts <= 1) {
        /* No body frame is the empty request: the codec answers it. */
        const void *body = parts ? (const void *)msg->frames[first].data : "";
        size_t len = parts ? msg->frames[first].size : 0;
        if (mt5_server_handle(self, body, len, &reply, &reply_len) != MT5_OK)
            return;
    } else {
        reply = mt5_proto_reply_error(MT5_WIRE_BAD_REQUEST, NULL, "a request is exactly one frame");
        if (!reply)
            return;
        reply_len = strlen(reply);
        self->requests++;
    }
    mt5_frame_t out[3];
    size_t n = 0;
    out[n++] = msg->frames[0];
    if (delimited)
        out[n++] = (mt5_frame_t){(unsigned char *)"", 0};
    out[n++] = (mt5_frame_t){(unsigned char *)reply, reply_len};
    mt5_sock_send(self->router, out, n);
    free(reply);
}

int mt5_server_run(mt5_server_t *self, volatile sig_atomic_t *stop)
{
    if (!self || !self->router)
        return mt5_error_set(MT5_ESTATE, "gateway is not bound");
    const int64_t beat_us = self->opts.heartbeat_ms * 1000;
    int64_t next_beat = mt5_clock_mono_us();
    mt5_msg_t msg = {0};
    while (!stop || !*stop) {
        int64_t now = mt5_clock_mono_us();
        if (self->pub && now >= next_beat) {
            mt5_server_heartbeat(self);
            next_beat += beat_us;
            if (next_beat <= now) /* fell behind: do not send a burst */
                next_beat = now + beat_us;
        }
        int64_t wait_us = 100000;
        if (self->pub && next_beat - now < wait_us)
            wait_us = next_beat - now;
        /* A timeout, a signal (the stop flag is checked above) or a
         * transient libzmq error all mean: go round again. */
        if (mt5_sock_recv(self->router, &msg, (int)((wait_us + 999) / 1000)) == MT5_OK) {
            s_serve(self, &msg);
            mt5_msg_clear(&msg);
        }
    }
    mt5_msg_clear(&msg);
    return MT5_OK;
}

uint64_t mt5_server_requests(const mt5_server_t *self)
{
    return self ? self->requests : 0;
}
