/*  mt5/proto.h - the bridge wire protocol codec (docs/protocol.md, 2-4, 7).
 *
 *  Requests are decoded into an mt5_request_t with strict validation: every
 *  field's type and range is checked and a failure names the field. Replies
 *  and stream bodies are encoded from plain structs. Nothing here does I/O;
 *  the codec is the one place that knows the protocol's JSON shapes (mt5/json.h
 *  holds the JSON library itself).
 */
#ifndef MT5_PROTO_H
#define MT5_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MT5_PROTO_VERSION 1
#define MT5_HELLO "Hello"
#define MT5_HELLO_REPLY "OK_FROM_MT5"
#define MT5_MAX_REQUEST 65536       /* larger bodies are TOO_LARGE */
#define MT5_MAX_FRAME (1024 * 1024) /* larger frames drop the peer */
#define MT5_REQ_ID_MAX 64
#define MT5_SYMBOL_MAX 32
#define MT5_COMMENT_MAX 31
#define MT5_SIGNATURE_MAX 127 /* longer signatures cannot be valid */
#define MT5_MESSAGE_MAX 256

typedef enum {
    MT5_ACTION_NONE = 0,
    MT5_ACTION_HELLO, /* the raw "Hello" handshake, not JSON */
    MT5_ACTION_PING,
    MT5_ACTION_OPEN,
    MT5_ACTION_CLOSE,
    MT5_ACTION_GET_ACCOUNT,
    MT5_ACTION_GET_POSITIONS
} mt5_action;

/* The wire error codes of section 4; MT5_WIRE_OK means status "ok". */
typedef enum {
    MT5_WIRE_OK = 0,
    MT5_WIRE_BAD_REQUEST,
    MT5_WIRE_TOO_LARGE,
    MT5_WIRE_UNSUPPORTED_VERSION,
    MT5_WIRE_UNKNOWN_ACTION,
    MT5_WIRE_MISSING_SIGNATURE,
    MT5_WIRE_INVALID_SIGNATURE,
    MT5_WIRE_EXPIRED_SIGNATURE,
    MT5_WIRE_REQ_ID_REUSED,
    MT5_WIRE_RISK_REJECTED,
    MT5_WIRE_UNKNOWN_TICKET,
    MT5_WIRE_BACKEND_ERROR,
    MT5_WIRE_CODE_COUNT
} mt5_wire_code;

typedef enum { MT5_SIDE_NONE = 0, MT5_SIDE_BUY, MT5_SIDE_SELL } mt5_side;

/* Which optional fields a request carried (mt5_request_t.has). */
enum {
    MT5_HAS_REQ_ID = 1u << 0,
    MT5_HAS_TS = 1u << 1,
    MT5_HAS_VOLUME = 1u << 2,
    MT5_HAS_PRICE = 1u << 3,
    MT5_HAS_SL = 1u << 4,
    MT5_HAS_TP = 1u << 5,
    MT5_HAS_MAGIC = 1u << 6,
    MT5_HAS_COMMENT = 1u << 7,
    MT5_HAS_TICKET = 1u << 8,
    MT5_HAS_SIGNATURE = 1u << 9,
    MT5_HAS_SYMBOL = 1u << 10,
    MT5_HAS_SIDE = 1u << 11
};

/* One decoded request. Strings are NUL-terminated copies. */
typedef struct {
    mt5_action action;
    unsigned has; /* MT5_HAS_* bits */
    char req_id[MT5_REQ_ID_MAX + 1];
    int64_t ts; /* PING: client clock, ms */
    char symbol[MT5_SYMBOL_MAX + 1];
    mt5_side side;
    double volume; /* lots */
    double price;  /* 0 = market */
    double sl;
    double tp;
    int64_t magic;
    char comment[MT5_COMMENT_MAX + 1];
    int64_t ticket;
    /* Copy of the risk_signature string; "" when it was longer than
     * MT5_SIGNATURE_MAX (such a signature never parses). */
    char risk_signature[MT5_SIGNATURE_MAX + 1];
} mt5_request_t;

/* The data model of replies and stream bodies. */
typedef struct {
    int64_t ticket;
    char symbol[MT5_SYMBOL_MAX + 1];
    mt5_side side;
    double volume;
    double price; /* fill price */
    int64_t time_ms;
} mt5_fill_t;

typedef struct {
    int64_t ticket;
    double volume; /* closed volume */
    double price;
    double profit;
} mt5_close_t;

typedef struct {
    int64_t login;
    double balance;
    double equity;
    double margin;
    double free_margin;
    char currency[8];
    int64_t leverage;
} mt5_account_t;

typedef struct {
    int64_t ticket;
    char symbol[MT5_SYMBOL_MAX + 1];
    mt5_side side;
    double volume;
    double open_price;
    double sl;
    double tp;
    double profit;
} mt5_position_t;

/* Names: "PING", "BAD_REQUEST", "BUY"; NULL for NONE / out of range. */
const char *mt5_action_name(mt5_action action);
const char *mt5_wire_code_name(mt5_wire_code code);
const char *mt5_side_name(mt5_side side);

/* The reply status for a code: "ok", "REJECTED" (signature, risk, state:
 * MISSING/INVALID/EXPIRED_SIGNATURE, REQ_ID_REUSED, RISK_REJECTED,
 * UNKNOWN_TICKET) or "error" (everything else). */
const char *mt5_wire_status(mt5_wire_code code);

/* The symbol rule of section 3: 1-32 characters of [A-Za-z0-9._#-]. The
 * decoder applies it; backends use it for symbols from other sources. */
bool mt5_proto_symbol_valid(const char *symbol);

/* Parse a wire code name; MT5_OK or MT5_ENOTFOUND. */
int mt5_wire_code_parse(mt5_wire_code *out, const char *name);

/*  Decode one request frame of `len` bytes (not NUL-terminated).
 *
 *  Returns MT5_WIRE_OK and fills *req, or the wire code to answer with and a
 *  one-sentence message in msg (at most msgcap bytes incl. NUL) that names
 *  the offending field. Codes: TOO_LARGE (len > MT5_MAX_REQUEST),
 *  BAD_REQUEST, UNSUPPORTED_VERSION, UNKNOWN_ACTION. The exact 5 bytes
 *  "Hello" decode to MT5_ACTION_HELLO. On error, req->req_id (with
 *  MT5_HAS_REQ_ID) is still filled when a valid req_id was present, so the
 *  error reply can echo it. The signature is copied, not checked. */
mt5_wire_code mt5_proto_decode(mt5_request_t *req, const void *data, size_t len, char *msg,
                               size_t msgcap);

/*  Encode a request as one JSON object (client side). Fields are written
 *  when the action uses them and, for optional ones, when their MT5_HAS_*
 *  bit is set. Returns a NUL-terminated string, caller owns, free with
 *  free(); NULL on out of memory or an action that is not JSON. */
char *mt5_proto_encode_request(const mt5_request_t *req);

/* Reply encoders. Each returns a NUL-terminated JSON object, caller owns,
 * free with free(); NULL on out of memory. req_id may be NULL or "" (then
 * it is left out). */
char *mt5_proto_reply_error(mt5_wire_code code, const char *req_id, const char *message);
char *mt5_proto_reply_ping(const char *req_id, int64_t server_time_ms, const int64_t *ts);
char *mt5_proto_reply_open(const char *req_id, const mt5_fill_t *fill);
char *mt5_proto_reply_close(const char *req_id, const mt5_close_t *close);
char *mt5_proto_reply_account(const char *req_id, const mt5_account_t *account);
char *mt5_proto_reply_positions(const char *req_id, const mt5_position_t *positions, size_t count);

/* Return a copy of a stored reply with "duplicate": true added. Caller
 * owns, free with free(); NULL if `reply` is not a JSON object. */
char *mt5_proto_reply_mark_duplicate(const char *reply);

/* Stream (section 7). The header every body carries. */
typedef struct {
    uint64_t seq;
    char boot_id[33]; /* 32 lower-case hex digits */
    int64_t time_ms;
} mt5_stream_hdr_t;

/* Stream body encoders; caller owns, free with free(). FILL bodies carry
 * `event` ("OPEN" or "CLOSE"), `req_id`, `ticket`, `symbol`, `side`,
 * `volume`, `price` and, for CLOSE, `profit`. Of *fill only ticket, symbol,
 * side, volume and price are printed: fill->time_ms is not part of the body
 * (its `time_ms` is the header's, hdr->time_ms). POSITION bodies carry the
 * position and `state` ("open" or "closed"). */
char *mt5_proto_stream_heartbeat(const mt5_stream_hdr_t *hdr);
char *mt5_proto_stream_account(const mt5_stream_hdr_t *hdr, const mt5_account_t *account);
char *mt5_proto_stream_position(const mt5_stream_hdr_t *hdr, const mt5_position_t *position,
                                bool closed);
char *mt5_proto_stream_fill(const mt5_stream_hdr_t *hdr, mt5_action event, const char *req_id,
                            const mt5_fill_t *fill, const double *profit);

/* A decoded reply (client side). Fields the reply did not carry are 0/"". */
typedef struct {
    mt5_wire_code code;  /* MT5_WIRE_OK for status "ok" */
    char status[16];     /* "ok", "REJECTED", "error" */
    char error_code[32]; /* as sent, even if not a known code */
    char message[MT5_MESSAGE_MAX];
    char req_id[MT5_REQ_ID_MAX + 1];
    char action[24];
    bool duplicate;
    int64_t server_time_ms;
    int64_t ts;
    int64_t ticket;
    double volume;
    double price;
    double profit;
    int64_t time_ms;
    mt5_account_t account; /* GET_ACCOUNT */
    size_t position_count; /* GET_POSITIONS: array length */
} mt5_reply_t;

/*  Decode a reply frame. Returns MT5_OK, or MT5_EBADREPLY (with detail) when
 *  it is not a JSON object with a known `status`; *out is written only on
 *  success. */
int mt5_proto_decode_reply(mt5_reply_t *out, const void *data, size_t len);

#endif
