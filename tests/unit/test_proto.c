/*  test_proto.c - the wire protocol codec (libcore/src/proto.c).
 *
 *  Decoding is tested with tables of good frames (exact decoded values) and
 *  bad frames (exact wire code and exact message), every frame copied into
 *  a buffer of exactly its length so valgrind sees any read past the end.
 *  Encoders are tested on their exact output strings, and under injected
 *  out-of-memory failures (mt5_json_set_allocator) for clean NULL returns.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mt5/error.h"
#include "mt5/json.h"
#include "mt5/proto.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Bytes with an explicit length, so a frame may hold NUL bytes. */
#define BYTES(s) s, sizeof(s) - 1

#define assert_double_exact(a, b)                                                                  \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (a_ != b_)                                                                              \
            fail_msg("%s: %.17g != %.17g", #a, a_, b_);                                            \
    } while (0)

/* Decode len bytes from an exactly sized heap copy. */
static mt5_wire_code s_decode(mt5_request_t *req, const char *data, size_t len, char *msg,
                              size_t msgcap)
{
    char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, data, len);
    mt5_wire_code code = mt5_proto_decode(req, copy, len, msg, msgcap);
    free(copy);
    return code;
}

static mt5_wire_code s_decode_text(mt5_request_t *req, const char *json, char *msg)
{
    return s_decode(req, json, strlen(json), msg, MT5_MESSAGE_MAX);
}

/* A buffer of `len` bytes holding `head`, spaces, then `tail`. */
static char *s_padded(const char *head, const char *tail, size_t len)
{
    char *buf = malloc(len);
    assert_non_null(buf);
    size_t h = strlen(head), t = strlen(tail);
    assert_true(h + t <= len);
    memcpy(buf, head, h);
    memset(buf + h, ' ', len - h - t);
    memcpy(buf + len - t, tail, t);
    return buf;
}

/* ---- names ----------------------------------------------------------------- */

static void test_proto__names(void **state)
{
    (void)state;
    static const struct {
        mt5_action action;
        const char *name;
    } actions[] = {
        {MT5_ACTION_NONE, NULL},
        {MT5_ACTION_HELLO, "HELLO"},
        {MT5_ACTION_PING, "PING"},
        {MT5_ACTION_OPEN, "OPEN"},
        {MT5_ACTION_CLOSE, "CLOSE"},
        {MT5_ACTION_GET_ACCOUNT, "GET_ACCOUNT"},
        {MT5_ACTION_GET_POSITIONS, "GET_POSITIONS"},
        {(mt5_action)7, NULL},
        {(mt5_action)-1, NULL},
    };
    for (size_t i = 0; i < N_ELEMS(actions); i++) {
        const char *name = mt5_action_name(actions[i].action);
        if (actions[i].name)
            assert_string_equal(name, actions[i].name);
        else
            assert_null(name);
    }

    static const struct {
        mt5_wire_code code;
        const char *name;
        const char *status;
    } codes[] = {
        {MT5_WIRE_OK, NULL, "ok"},
        {MT5_WIRE_BAD_REQUEST, "BAD_REQUEST", "error"},
        {MT5_WIRE_TOO_LARGE, "TOO_LARGE", "error"},
        {MT5_WIRE_UNSUPPORTED_VERSION, "UNSUPPORTED_VERSION", "error"},
        {MT5_WIRE_UNKNOWN_ACTION, "UNKNOWN_ACTION", "error"},
        {MT5_WIRE_MISSING_SIGNATURE, "MISSING_SIGNATURE", "REJECTED"},
        {MT5_WIRE_INVALID_SIGNATURE, "INVALID_SIGNATURE", "REJECTED"},
        {MT5_WIRE_EXPIRED_SIGNATURE, "EXPIRED_SIGNATURE", "REJECTED"},
        {MT5_WIRE_REQ_ID_REUSED, "REQ_ID_REUSED", "REJECTED"},
        {MT5_WIRE_RISK_REJECTED, "RISK_REJECTED", "REJECTED"},
        {MT5_WIRE_UNKNOWN_TICKET, "UNKNOWN_TICKET", "REJECTED"},
        {MT5_WIRE_BACKEND_ERROR, "BACKEND_ERROR", "error"},
        {MT5_WIRE_CODE_COUNT, NULL, "error"},
        {(mt5_wire_code)-1, NULL, "error"},
    };
    for (size_t i = 0; i < N_ELEMS(codes); i++) {
        const char *name = mt5_wire_code_name(codes[i].code);
        if (codes[i].name)
            assert_string_equal(name, codes[i].name);
        else
            assert_null(name);
        assert_string_equal(mt5_wire_status(codes[i].code), codes[i].status);
    }

    assert_null(mt5_side_name(MT5_SIDE_NONE));
    assert_string_equal(mt5_side_name(MT5_SIDE_BUY), "BUY");
    assert_string_equal(mt5_side_name(MT5_SIDE_SELL), "SELL");
    assert_null(mt5_side_name((mt5_side)3));
}

static void test_proto__wire_code_parse(void **state)
{
    (void)state;
    for (int code = MT5_WIRE_BAD_REQUEST; code < MT5_WIRE_CODE_COUNT; code++) {
        mt5_wire_code out = MT5_WIRE_OK;
        assert_int_equal(mt5_wire_code_parse(&out, mt5_wire_code_name((mt5_wire_code)code)),
                         MT5_OK);
        assert_int_equal(out, code);
    }
    static const struct {
        const char *name;
        const char *detail;
    } bad[] = {
        {"OK", "unknown wire error code 'OK'"},
        {"", "unknown wire error code ''"},
        {"bad_request", "unknown wire error code 'bad_request'"},
        {"BAD_REQUEST ", "unknown wire error code 'BAD_REQUEST '"},
        {"CIRCUIT_OPEN", "unknown wire error code 'CIRCUIT_OPEN'"},
        {"TIMEOUT", "unknown wire error code 'TIMEOUT'"},
        {NULL, "unknown wire error code ''"},
    };
    for (size_t i = 0; i < N_ELEMS(bad); i++) {
        mt5_wire_code out = MT5_WIRE_UNKNOWN_TICKET;
        assert_int_equal(mt5_wire_code_parse(&out, bad[i].name), MT5_ENOTFOUND);
        assert_int_equal(out, MT5_WIRE_UNKNOWN_TICKET); /* untouched */
        assert_string_equal(mt5_error_detail(), bad[i].detail);
    }
}

/* ---- decode: good frames ------------------------------------------------------ */

typedef struct {
    const char *json;
    mt5_action action;
    unsigned has;
    const char *req_id;
    int64_t ts;
    const char *symbol;
    mt5_side side;
    double volume, price, sl, tp;
    int64_t magic;
    const char *comment;
    int64_t ticket;
    const char *sig;
} s_good;

#define S_REQ_ID_64 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_."
#define S_SYMBOL_32 "EUR.USD_m#-ABCDEFGHIJKLMNOPQRSTU"
#define S_COMMENT_31 "grid \xC3\xA9 \xC3\xBC \xE6\xBC\xA2\xE5\xAD\x97 0123456789abc"
#define S_SIG                                                                                      \
    "RISK_PASS:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef:1700000000000"

static const s_good s_goods[] = {
    {.json = "{\"action\":\"PING\"}", .action = MT5_ACTION_PING},
    {.json = "{\"v\":1,\"action\":\"PING\",\"req_id\":\"a\",\"ts\":0}",
     .action = MT5_ACTION_PING,
     .has = MT5_HAS_REQ_ID | MT5_HAS_TS,
     .req_id = "a"},
    {.json = " \r\n\t{ \"ts\" : 1700000000123 , \"action\" : \"PING\" }\t\r\n ",
     .action = MT5_ACTION_PING,
     .has = MT5_HAS_TS,
     .ts = 1700000000123},
    {.json = "{\"action\":\"PING\",\"ts\":9007199254740992,\"v\":1.0}",
     .action = MT5_ACTION_PING,
     .has = MT5_HAS_TS,
     .ts = 9007199254740992},
    {.json = "{\"action\":\"PING\",\"ts\":-0,\"v\":1e0}",
     .action = MT5_ACTION_PING,
     .has = MT5_HAS_TS,
     .ts = 0},
    {.json = "{\"action\":\"PING\",\"req_id\":\"" S_REQ_ID_64 "\"}",
     .action = MT5_ACTION_PING,
     .has = MT5_HAS_REQ_ID,
     .req_id = S_REQ_ID_64},
    {.json = "{\"action\":\"GET_ACCOUNT\",\"req_id\":\"a:b-c\",\"v\":1}",
     .action = MT5_ACTION_GET_ACCOUNT,
     .has = MT5_HAS_REQ_ID,
     .req_id = "a:b-c"},
    {.json = "{\"action\":\"GET_POSITIONS\"}", .action = MT5_ACTION_GET_POSITIONS},
    {.json = "{\"action\":\"OPEN\",\"req_id\":\"o-1\",\"symbol\":\"EURUSD\",\"side\":\"BUY\","
             "\"volume\":0.01}",
     .action = MT5_ACTION_OPEN,
     .has = MT5_HAS_REQ_ID | MT5_HAS_SYMBOL | MT5_HAS_SIDE | MT5_HAS_VOLUME,
     .req_id = "o-1",
     .symbol = "EURUSD",
     .side = MT5_SIDE_BUY,
     .volume = 0.01},
    {.json = "{\"v\":1,\"action\":\"OPEN\",\"req_id\":\"o-2\",\"symbol\":\"" S_SYMBOL_32 "\","
             "\"side\":\"SELL\",\"volume\":2.5,\"price\":0,\"sl\":1.05,\"tp\":1.2,\"magic\":0,"
             "\"comment\":\"" S_COMMENT_31 "\",\"risk_signature\":\"" S_SIG "\"}",
     .action = MT5_ACTION_OPEN,
     .has = MT5_HAS_REQ_ID | MT5_HAS_SYMBOL | MT5_HAS_SIDE | MT5_HAS_VOLUME | MT5_HAS_PRICE |
            MT5_HAS_SL | MT5_HAS_TP | MT5_HAS_MAGIC | MT5_HAS_COMMENT | MT5_HAS_SIGNATURE,
     .req_id = "o-2",
     .symbol = S_SYMBOL_32,
     .side = MT5_SIDE_SELL,
     .volume = 2.5,
     .price = 0,
     .sl = 1.05,
     .tp = 1.2,
     .magic = 0,
     .comment = S_COMMENT_31,
     .sig = S_SIG},
    /* escapes are decoded; code points at the edges of UTF-8's ranges */
    {.json =
         "{\"action\":\"OPEN\",\"req_id\":\"o-3\",\"symbol\":\"EUR\\u0055SD\",\"side\":\"BUY\","
         "\"volume\":1e-2,\"price\":1.0875,\"magic\":9007199254740992,"
         "\"comment\":\"\xF4\x8F\xBF\xBF\xED\x9F\xBF\xEE\x80\x80\xF1\x80\x80\x80\\u00e9\\\"\\\\\"}",
     .action = MT5_ACTION_OPEN,
     .has = MT5_HAS_REQ_ID | MT5_HAS_SYMBOL | MT5_HAS_SIDE | MT5_HAS_VOLUME | MT5_HAS_PRICE |
            MT5_HAS_MAGIC | MT5_HAS_COMMENT,
     .req_id = "o-3",
     .symbol = "EURUSD",
     .side = MT5_SIDE_BUY,
     .volume = 0.01,
     .price = 1.0875,
     .magic = 9007199254740992,
     .comment = "\xF4\x8F\xBF\xBF\xED\x9F\xBF\xEE\x80\x80\xF1\x80\x80\x80\xC3\xA9\"\\"},
    {.json = "{\"action\":\"OPEN\",\"req_id\":\"o-4\",\"symbol\":\"X\",\"side\":\"SELL\","
             "\"volume\":100,\"comment\":\"\",\"risk_signature\":\"\"}",
     .action = MT5_ACTION_OPEN,
     .has = MT5_HAS_REQ_ID | MT5_HAS_SYMBOL | MT5_HAS_SIDE | MT5_HAS_VOLUME | MT5_HAS_COMMENT |
            MT5_HAS_SIGNATURE,
     .req_id = "o-4",
     .symbol = "X",
     .side = MT5_SIDE_SELL,
     .volume = 100},
    {.json = "{\"action\":\"CLOSE\",\"req_id\":\"c-1\",\"ticket\":1}",
     .action = MT5_ACTION_CLOSE,
     .has = MT5_HAS_REQ_ID | MT5_HAS_TICKET,
     .req_id = "c-1",
     .ticket = 1},
    {.json = "{\"risk_signature\":\"sig\",\"volume\":0.5,\"ticket\":9007199254740992,"
             "\"req_id\":\"c-2\",\"action\":\"CLOSE\"}",
     .action = MT5_ACTION_CLOSE,
     .has = MT5_HAS_REQ_ID | MT5_HAS_TICKET | MT5_HAS_VOLUME | MT5_HAS_SIGNATURE,
     .req_id = "c-2",
     .ticket = 9007199254740992,
     .volume = 0.5,
     .sig = "sig"},
    {.json = "{\"action\":\"CLOSE\",\"req_id\":\"c-3\",\"ticket\":5.0E+0}",
     .action = MT5_ACTION_CLOSE,
     .has = MT5_HAS_REQ_ID | MT5_HAS_TICKET,
     .req_id = "c-3",
     .ticket = 5},
};

static void s_assert_request(const mt5_request_t *req, const s_good *want)
{
    assert_int_equal(req->action, want->action);
    assert_int_equal(req->has, want->has);
    assert_string_equal(req->req_id, want->req_id ? want->req_id : "");
    assert_int_equal(req->ts, want->ts);
    assert_string_equal(req->symbol, want->symbol ? want->symbol : "");
    assert_int_equal(req->side, want->side);
    assert_double_exact(req->volume, want->volume);
    assert_double_exact(req->price, want->price);
    assert_double_exact(req->sl, want->sl);
    assert_double_exact(req->tp, want->tp);
    assert_int_equal(req->magic, want->magic);
    assert_string_equal(req->comment, want->comment ? want->comment : "");
    assert_int_equal(req->ticket, want->ticket);
    assert_string_equal(req->risk_signature, want->sig ? want->sig : "");
}

static void test_proto__decode_accepts_good_requests(void **state)
{
    (void)state;
    assert_int_equal(strlen(S_REQ_ID_64), 64);
    assert_int_equal(strlen(S_SYMBOL_32), 32);
    assert_int_equal(strlen(S_COMMENT_31), 31);
    for (size_t i = 0; i < N_ELEMS(s_goods); i++) {
        mt5_request_t req;
        memset(&req, 0x5A, sizeof req); /* decode must zero what it does not set */
        char msg[MT5_MESSAGE_MAX] = "stale";
        mt5_wire_code code = s_decode_text(&req, s_goods[i].json, msg);
        if (code != MT5_WIRE_OK)
            fail_msg("row %zu %s: code %d '%s'", i, s_goods[i].json, code, msg);
        assert_string_equal(msg, "");
        s_assert_request(&req, &s_goods[i]);
    }
}

static void test_proto__decode_hello(void **state)
{
    (void)state;
    mt5_request_t req;
    memset(&req, 0x5A, sizeof req);
    char msg[64] = "stale";
    assert_int_equal(s_decode(&req, BYTES("Hello"), msg, sizeof msg), MT5_WIRE_OK);
    assert_string_equal(msg, "");
    s_good want = {.action = MT5_ACTION_HELLO};
    s_assert_request(&req, &want);
}

static void test_proto__decode_signature_length(void **state)
{
    (void)state;
    char sig[MT5_SIGNATURE_MAX + 2];
    char json[512];
    for (size_t n = MT5_SIGNATURE_MAX - 1; n <= MT5_SIGNATURE_MAX + 1; n++) {
        memset(sig, 'a', n);
        sig[n] = '\0';
        snprintf(json, sizeof json,
                 "{\"action\":\"CLOSE\",\"req_id\":\"c\",\"ticket\":7,\"risk_signature\":\"%s\"}",
                 sig);
        mt5_request_t req;
        char msg[MT5_MESSAGE_MAX];
        assert_int_equal(s_decode_text(&req, json, msg), MT5_WIRE_OK);
        assert_int_equal(req.has, MT5_HAS_REQ_ID | MT5_HAS_TICKET | MT5_HAS_SIGNATURE);
        /* too long to be valid: kept as "" so the gateway says INVALID, not MISSING */
        assert_string_equal(req.risk_signature, n <= MT5_SIGNATURE_MAX ? sig : "");
    }
}

/* ---- decode: bad frames ------------------------------------------------------- */

typedef struct {
    const char *data;
    size_t len;
    mt5_wire_code code;
    const char *msg;
    const char *echo; /* req_id kept for the error reply, NULL for none */
} s_bad;

#define BAD_REQ(json, text)                                                                        \
    {                                                                                              \
        BYTES(json), MT5_WIRE_BAD_REQUEST, text, NULL                                              \
    }
#define BAD_ECHO(json, text)                                                                       \
    {                                                                                              \
        BYTES(json), MT5_WIRE_BAD_REQUEST, text, "r1"                                              \
    }
#define NOT_JSON(json) BAD_REQ(json, "request is not valid JSON")
#define NOT_UTF8(json) BAD_REQ(json, "request is not valid UTF-8")
#define HAS_NUL(json) BAD_REQ(json, "request contains a NUL character")
#define NOT_OBJECT(json) BAD_REQ(json, "request is not a JSON object")

#define OPEN_HEAD "{\"action\":\"OPEN\",\"req_id\":\"r1\","
#define OPEN_OK OPEN_HEAD "\"symbol\":\"EURUSD\",\"side\":\"BUY\",\"volume\":0.1,"
#define CLOSE_HEAD "{\"action\":\"CLOSE\",\"req_id\":\"r1\","
#define PING_HEAD "{\"action\":\"PING\",\"req_id\":\"r1\","

#define INT_RULE(f, lo) "field '" f "' must be an integer from " lo " to 9007199254740992"

static const s_bad s_bads[] = {
    /* rule 1: size and handshake */
    {"", 0, MT5_WIRE_BAD_REQUEST, "empty request", NULL},
    NOT_JSON("hello"),
    NOT_JSON("Hello\n"),
    NOT_JSON(" Hello"),
    NOT_JSON("Hell"),
    NOT_JSON("HelloHello"),
    HAS_NUL("Hello\0"),
    /* rule 2: NUL bytes and strict UTF-8 */
    HAS_NUL("\0"),
    HAS_NUL("{\"action\":\"PING\"}\0"),
    HAS_NUL("{\"action\":\"PI\0NG\"}"),
    HAS_NUL("\xC0\0"),                                  /* NUL outranks bad UTF-8 */
    HAS_NUL("{\"action\":\"PING\",\"x\":\"\\u0000\"}"), /* escaped NUL cuts C strings */
    HAS_NUL("{\"action\":\"PING\\u0000x\"}"),
    NOT_UTF8("{\"action\":\"PING\",\"x\":\"\xC0\x80\"}"),         /* overlong NUL */
    NOT_UTF8("{\"action\":\"PING\",\"x\":\"\xC1\xBF\"}"),         /* overlong 2-byte */
    NOT_UTF8("{\"action\":\"PING\",\"x\":\"\xE0\x80\xAF\"}"),     /* overlong 3-byte */
    NOT_UTF8("{\"action\":\"PING\",\"x\":\"\xF0\x8F\xBF\xBF\"}"), /* overlong 4-byte */
    NOT_UTF8("{\"action\":\"PING\",\"x\":\"\xED\xA0\x80\"}"),     /* surrogate D800 */
    NOT_UTF8("{\"action\":\"PING\",\"x\":\"\xED\xBF\xBF\"}"),     /* surrogate DFFF */
    NOT_UTF8("{\"action\":\"PING\",\"x\":\"\xF4\x90\x80\x80\"}"), /* U+110000 */
    NOT_UTF8("{\"action\":\"PING\",\"x\":\"\xF5\x80\x80\x80\"}"),
    NOT_UTF8("{\"action\":\"PING\",\"x\":\"\xFF\"}"),
    NOT_UTF8("{\"action\":\"PING\",\"x\":\"\x80\"}"),     /* lone continuation */
    NOT_UTF8("{\"action\":\"PING\",\"x\":\"\xE2\x82\"}"), /* truncated */
    NOT_UTF8("{\"action\":\"PING\",\"x\":\"\xF0\x9F\x98\"}"),
    NOT_UTF8("{\"action\":\"PING\",\"x\":\"\xF1\x80\x80\"}"),
    NOT_UTF8("{\"action\":\"PING\",\"x\":\"\xC3\"}"),
    NOT_UTF8("{\"action\":\"PING\",\"x\":\"\xC3\xC3\xA9\"}"),
    NOT_UTF8("{\"action\":\"PING\",\"x\":\"\xE2\x28\xA1\"}"),
    NOT_UTF8("{\"action\":\"PING\"}\xE2\x82"), /* truncated at the end */
    NOT_UTF8("{\"action\":\"PING\"}\xF0"),
    NOT_UTF8("\x89PNG\r\n\x1a\n"), /* binary garbage */
    HAS_NUL("\xFF\xFE{\0\"\0}\0"), /* UTF-16: NUL outranks */
    /* rule 3: JSON, and nothing after it */
    NOT_JSON("\x01\x02\x03\x04"),
    NOT_JSON("{"),
    NOT_JSON("}"),
    NOT_JSON("{}x"),
    NOT_JSON("{} {}"),
    NOT_JSON("{}\x01"),
    NOT_JSON("\x01{}"),
    NOT_JSON("\xEF\xBB\xBF{\"action\":\"PING\"}"), /* byte order mark */
    NOT_JSON("{\"action\":\"PING\",}"),
    NOT_JSON("{'action':'PING'}"),
    NOT_JSON("{action:\"PING\"}"),
    NOT_JSON("{\"action\":\"PI\tNG\"}"), /* raw control in a string */
    NOT_JSON("{\"action\":\"PING\",\"ts\":01}"),
    NOT_JSON("{\"action\":\"PING\",\"ts\":1.}"),
    NOT_JSON("{\"action\":\"PING\",\"ts\":-.5}"),
    NOT_JSON("{\"action\":\"PING\",\"ts\":.5}"),
    NOT_JSON("{\"action\":\"PING\",\"ts\":+1}"),
    NOT_JSON("{\"action\":\"PING\",\"ts\":1e}"),
    NOT_JSON("{\"action\":\"PING\",\"ts\":1e+}"),
    NOT_JSON("{\"action\":\"PING\",\"ts\":-}"),
    NOT_JSON("{\"action\":\"PING\",\"ts\":1-2}"),
    NOT_JSON("{\"action\":\"PING\",\"ts\":0x10}"),
    NOT_JSON("{\"action\":\"PING\",\"ts\":NaN}"),
    NOT_JSON("{\"action\":\"PING\",\"ts\":Infinity}"),
    NOT_JSON("{\"action\":\"PING\",\"x\":\"\\x\"}"),        /* bad escape */
    NOT_JSON("{\"action\":\"PING\",\"x\":\"\\ud800\"}"),    /* lone surrogate escape */
    NOT_JSON("{\"action\":\"PING\",\"x\":\"\\\xC3\xA9\"}"), /* escaped non-ASCII */
    NOT_JSON("{\"action\":\"PING\",\xC3\xA9:1}"),           /* non-ASCII outside a string */
    NOT_JSON("{\"action\":\"PING\""),
    NOT_JSON("{\"action\":\"PING"),
    NOT_OBJECT("[]"),
    NOT_OBJECT("\"x\""),
    NOT_OBJECT("42"),
    NOT_OBJECT("-0.5e3"),
    NOT_OBJECT("null"),
    NOT_OBJECT("true"),
    NOT_OBJECT(" [{\"action\":\"PING\"}] "),
    /* rule 4: duplicate keys, before anything else is read */
    BAD_REQ("{\"action\":\"PING\",\"action\":\"PING\"}", "duplicate field 'action'"),
    BAD_REQ("{\"x\":1,\"y\":2,\"x\":3,\"y\":4}", "duplicate field 'x'"),
    BAD_REQ("{\"y\":1,\"x\":2,\"x\":3,\"y\":4}", "duplicate field 'x'"),
    BAD_REQ("{\"req_id\":\"r1\",\"v\":2,\"v\":2}", "duplicate field 'v'"),
    BAD_REQ("{\"action\":\"PING\",\"\":1,\"\":2}", "duplicate field ''"),
    BAD_REQ("{\"action\":\"PING\",\"a\\u0062\":1,\"ab\":2}", "duplicate field 'ab'"),
    /* rule 5: req_id, checked before v and action */
    BAD_REQ("{\"action\":\"PING\",\"req_id\":\"\"}",
            "field 'req_id' must be a string of 1-64 characters [A-Za-z0-9_.:-]"),
    BAD_REQ("{\"action\":\"PING\",\"req_id\":\"" S_REQ_ID_64 "-\"}",
            "field 'req_id' must be a string of 1-64 characters [A-Za-z0-9_.:-]"),
    BAD_REQ("{\"action\":\"PING\",\"req_id\":\"a b\"}",
            "field 'req_id' must be a string of 1-64 characters [A-Za-z0-9_.:-]"),
    BAD_REQ("{\"action\":\"PING\",\"req_id\":\"a/b\"}",
            "field 'req_id' must be a string of 1-64 characters [A-Za-z0-9_.:-]"),
    BAD_REQ("{\"action\":\"PING\",\"req_id\":\"\xC3\xA9\"}",
            "field 'req_id' must be a string of 1-64 characters [A-Za-z0-9_.:-]"),
    BAD_REQ("{\"action\":\"PING\",\"req_id\":\"\\\\u0000\"}", /* escaped backslash, no NUL */
            "field 'req_id' must be a string of 1-64 characters [A-Za-z0-9_.:-]"),
    BAD_REQ("{\"action\":\"PING\",\"req_id\":123}",
            "field 'req_id' must be a string of 1-64 characters [A-Za-z0-9_.:-]"),
    BAD_REQ("{\"action\":\"PING\",\"req_id\":null}",
            "field 'req_id' must be a string of 1-64 characters [A-Za-z0-9_.:-]"),
    BAD_REQ("{\"action\":\"PING\",\"req_id\":[\"a\"]}",
            "field 'req_id' must be a string of 1-64 characters [A-Za-z0-9_.:-]"),
    BAD_REQ("{\"v\":2,\"req_id\":5}",
            "field 'req_id' must be a string of 1-64 characters [A-Za-z0-9_.:-]"),
    /* rule 6: v */
    {BYTES(PING_HEAD "\"v\":2}"), MT5_WIRE_UNSUPPORTED_VERSION,
     "unsupported protocol version 2 (this gateway speaks 1)", "r1"},
    {BYTES(PING_HEAD "\"v\":0}"), MT5_WIRE_UNSUPPORTED_VERSION,
     "unsupported protocol version 0 (this gateway speaks 1)", "r1"},
    {BYTES("{\"v\":-1}"), MT5_WIRE_UNSUPPORTED_VERSION,
     "unsupported protocol version -1 (this gateway speaks 1)", NULL},
    {BYTES("{\"v\":9007199254740992,\"action\":1}"), MT5_WIRE_UNSUPPORTED_VERSION,
     "unsupported protocol version 9007199254740992 (this gateway speaks 1)", NULL},
    BAD_ECHO(PING_HEAD "\"v\":\"1\"}", "field 'v' must be an integer"),
    BAD_ECHO(PING_HEAD "\"v\":1.5}", "field 'v' must be an integer"),
    BAD_ECHO(PING_HEAD "\"v\":null}", "field 'v' must be an integer"),
    BAD_ECHO(PING_HEAD "\"v\":true}", "field 'v' must be an integer"),
    BAD_ECHO(PING_HEAD "\"v\":[1]}", "field 'v' must be an integer"),
    BAD_ECHO(PING_HEAD "\"v\":1e999}", "field 'v' must be an integer"),
    BAD_ECHO(PING_HEAD "\"v\":9007199254740994}", "field 'v' must be an integer"),
    BAD_REQ("{\"v\":\"2\"}", "field 'v' must be an integer"), /* before 'action' */
    /* rule 7: action */
    BAD_REQ("{}", "missing field 'action'"),
    BAD_ECHO("{\"req_id\":\"r1\",\"ts\":1}", "missing field 'action'"),
    BAD_ECHO("{\"req_id\":\"r1\",\"action\":1}", "field 'action' must be a string"),
    BAD_ECHO("{\"req_id\":\"r1\",\"action\":null}", "field 'action' must be a string"),
    BAD_REQ("{\"action\":[\"PING\"]}", "field 'action' must be a string"),
    {BYTES("{\"req_id\":\"r1\",\"action\":\"ping\"}"), MT5_WIRE_UNKNOWN_ACTION,
     "unknown action 'ping'", "r1"},
    {BYTES("{\"action\":\"HELLO\"}"), MT5_WIRE_UNKNOWN_ACTION, "unknown action 'HELLO'", NULL},
    {BYTES("{\"action\":\"Hello\"}"), MT5_WIRE_UNKNOWN_ACTION, "unknown action 'Hello'", NULL},
    {BYTES("{\"action\":\"PING \"}"), MT5_WIRE_UNKNOWN_ACTION, "unknown action 'PING '", NULL},
    {BYTES("{\"action\":\"\"}"), MT5_WIRE_UNKNOWN_ACTION, "unknown action ''", NULL},
    {BYTES("{\"action\":\"BUY\"}"), MT5_WIRE_UNKNOWN_ACTION, "unknown action 'BUY'", NULL},
    {BYTES("{\"action\":\"OPEN_EVERYTHING_NOW_AND_DO_NOT_ASK_AGAIN\"}"), MT5_WIRE_UNKNOWN_ACTION,
     "unknown action 'OPEN_EVERYTHING_NOW_AND_DO_NOT_A...'", NULL},
    {BYTES("{\"action\":\"A\\nB\\u007f\"}"), MT5_WIRE_UNKNOWN_ACTION, "unknown action 'A?B?'",
     NULL},
    /* rule 8: unknown fields, first in document order */
    BAD_ECHO(PING_HEAD "\"symbol\":\"EURUSD\"}", "unknown field 'symbol' for PING"),
    BAD_REQ("{\"action\":\"GET_ACCOUNT\",\"ts\":1}", "unknown field 'ts' for GET_ACCOUNT"),
    BAD_REQ("{\"action\":\"GET_POSITIONS\",\"Action\":1}",
            "unknown field 'Action' for GET_POSITIONS"),
    BAD_ECHO(OPEN_OK "\"ticket\":5}", "unknown field 'ticket' for OPEN"),
    BAD_ECHO(CLOSE_HEAD "\"ticket\":5,\"symbol\":\"X\"}", "unknown field 'symbol' for CLOSE"),
    BAD_ECHO(CLOSE_HEAD "\"ticket\":5,\"price\":1}", "unknown field 'price' for CLOSE"),
    BAD_REQ("{\"zz\":1,\"action\":\"OPEN\",\"aa\":2}", "unknown field 'zz' for OPEN"),
    BAD_ECHO(OPEN_HEAD "\"volume\":-1,\"foo\":1}", "unknown field 'foo' for OPEN"),
    BAD_REQ("{\"action\":\"PING\",\"a\\nb\":1}", "unknown field 'a?b' for PING"),
    BAD_REQ("{\"action\":\"PING\",\"\xC3\xA9t\xC3\xA9\":1}",
            "unknown field '\xC3\xA9t\xC3\xA9' for PING"),
    /* rule 9: required fields */
    BAD_REQ("{\"action\":\"OPEN\",\"symbol\":\"EURUSD\",\"side\":\"BUY\",\"volume\":1}",
            "missing field 'req_id' for OPEN"),
    BAD_REQ("{\"action\":\"CLOSE\",\"ticket\":1}", "missing field 'req_id' for CLOSE"),
    BAD_ECHO(OPEN_HEAD "\"side\":\"BUY\",\"volume\":1}", "missing field 'symbol' for OPEN"),
    BAD_ECHO(OPEN_HEAD "\"symbol\":\"EURUSD\",\"volume\":1}", "missing field 'side' for OPEN"),
    BAD_ECHO(OPEN_HEAD "\"symbol\":\"EURUSD\",\"side\":\"BUY\"}",
             "missing field 'volume' for OPEN"),
    BAD_ECHO(CLOSE_HEAD "\"volume\":1}", "missing field 'ticket' for CLOSE"),
    /* rule 9: ts */
    BAD_ECHO(PING_HEAD "\"ts\":-1}", INT_RULE("ts", "0")),
    BAD_ECHO(PING_HEAD "\"ts\":1.5}", INT_RULE("ts", "0")),
    BAD_ECHO(PING_HEAD "\"ts\":\"5\"}", INT_RULE("ts", "0")),
    BAD_ECHO(PING_HEAD "\"ts\":null}", INT_RULE("ts", "0")),
    BAD_ECHO(PING_HEAD "\"ts\":9007199254740994}", INT_RULE("ts", "0")),
    BAD_ECHO(PING_HEAD "\"ts\":1e999}", INT_RULE("ts", "0")),
    BAD_ECHO(PING_HEAD "\"ts\":{}}", INT_RULE("ts", "0")),
    /* rule 9: symbol */
    BAD_ECHO(OPEN_HEAD "\"symbol\":\"\",\"side\":\"BUY\",\"volume\":1}",
             "field 'symbol' must be a string of 1-32 characters [A-Za-z0-9._#-]"),
    BAD_ECHO(OPEN_HEAD "\"symbol\":\"" S_SYMBOL_32 "V\",\"side\":\"BUY\",\"volume\":1}",
             "field 'symbol' must be a string of 1-32 characters [A-Za-z0-9._#-]"),
    BAD_ECHO(OPEN_HEAD "\"symbol\":\"EUR/USD\",\"side\":\"BUY\",\"volume\":1}",
             "field 'symbol' must be a string of 1-32 characters [A-Za-z0-9._#-]"),
    BAD_ECHO(OPEN_HEAD "\"symbol\":\"EUR USD\",\"side\":\"BUY\",\"volume\":1}",
             "field 'symbol' must be a string of 1-32 characters [A-Za-z0-9._#-]"),
    BAD_ECHO(OPEN_HEAD "\"symbol\":\"\xC3\x89UR\",\"side\":\"BUY\",\"volume\":1}",
             "field 'symbol' must be a string of 1-32 characters [A-Za-z0-9._#-]"),
    BAD_ECHO(OPEN_HEAD "\"symbol\":5,\"side\":\"BUY\",\"volume\":1}",
             "field 'symbol' must be a string of 1-32 characters [A-Za-z0-9._#-]"),
    BAD_ECHO(OPEN_HEAD "\"symbol\":null,\"side\":\"BUY\",\"volume\":1}",
             "field 'symbol' must be a string of 1-32 characters [A-Za-z0-9._#-]"),
    /* rule 9: side */
    BAD_ECHO(OPEN_HEAD "\"symbol\":\"X\",\"side\":\"buy\",\"volume\":1}",
             "field 'side' must be BUY or SELL"),
    BAD_ECHO(OPEN_HEAD "\"symbol\":\"X\",\"side\":\"BUY \",\"volume\":1}",
             "field 'side' must be BUY or SELL"),
    BAD_ECHO(OPEN_HEAD "\"symbol\":\"X\",\"side\":\"\",\"volume\":1}",
             "field 'side' must be BUY or SELL"),
    BAD_ECHO(OPEN_HEAD "\"symbol\":\"X\",\"side\":1,\"volume\":1}",
             "field 'side' must be BUY or SELL"),
    BAD_ECHO(OPEN_HEAD "\"symbol\":\"X\",\"side\":null,\"volume\":1}",
             "field 'side' must be BUY or SELL"),
    /* rule 9: volume */
    BAD_ECHO(OPEN_HEAD "\"symbol\":\"X\",\"side\":\"BUY\",\"volume\":0}",
             "field 'volume' must be a number > 0"),
    BAD_ECHO(OPEN_HEAD "\"symbol\":\"X\",\"side\":\"BUY\",\"volume\":-0.1}",
             "field 'volume' must be a number > 0"),
    BAD_ECHO(OPEN_HEAD "\"symbol\":\"X\",\"side\":\"BUY\",\"volume\":\"0.1\"}",
             "field 'volume' must be a number > 0"),
    BAD_ECHO(OPEN_HEAD "\"symbol\":\"X\",\"side\":\"BUY\",\"volume\":null}",
             "field 'volume' must be a number > 0"),
    BAD_ECHO(OPEN_HEAD "\"symbol\":\"X\",\"side\":\"BUY\",\"volume\":true}",
             "field 'volume' must be a number > 0"),
    BAD_ECHO(OPEN_HEAD "\"symbol\":\"X\",\"side\":\"BUY\",\"volume\":1e999}",
             "field 'volume' must be a number > 0"),
    BAD_ECHO(CLOSE_HEAD "\"ticket\":5,\"volume\":0}", "field 'volume' must be a number > 0"),
    /* rule 9: price, sl, tp */
    BAD_ECHO(OPEN_OK "\"price\":-0.0001}", "field 'price' must be a number >= 0"),
    BAD_ECHO(OPEN_OK "\"price\":\"1\"}", "field 'price' must be a number >= 0"),
    BAD_ECHO(OPEN_OK "\"price\":null}", "field 'price' must be a number >= 0"),
    BAD_ECHO(OPEN_OK "\"price\":1e999}", "field 'price' must be a number >= 0"),
    BAD_ECHO(OPEN_OK "\"price\":-1e999}", "field 'price' must be a number >= 0"),
    BAD_ECHO(OPEN_OK "\"sl\":-1}", "field 'sl' must be a number >= 0"),
    BAD_ECHO(OPEN_OK "\"sl\":null}", "field 'sl' must be a number >= 0"),
    BAD_ECHO(OPEN_OK "\"tp\":-1}", "field 'tp' must be a number >= 0"),
    BAD_ECHO(OPEN_OK "\"tp\":[]}", "field 'tp' must be a number >= 0"),
    /* rule 9: magic, comment, risk_signature */
    BAD_ECHO(OPEN_OK "\"magic\":-1}", INT_RULE("magic", "0")),
    BAD_ECHO(OPEN_OK "\"magic\":1.5}", INT_RULE("magic", "0")),
    BAD_ECHO(OPEN_OK "\"magic\":\"1\"}", INT_RULE("magic", "0")),
    BAD_ECHO(OPEN_OK "\"magic\":null}", INT_RULE("magic", "0")),
    BAD_ECHO(OPEN_OK "\"comment\":\"0123456789abcdef0123456789abcdef\"}",
             "field 'comment' must be a string of at most 31 bytes"),
    BAD_ECHO(OPEN_OK "\"comment\":\"012345678901234567890123456789\xC3\xA9\"}",
             "field 'comment' must be a string of at most 31 bytes"),
    BAD_ECHO(OPEN_OK "\"comment\":5}", "field 'comment' must be a string of at most 31 bytes"),
    BAD_ECHO(OPEN_OK "\"comment\":null}", "field 'comment' must be a string of at most 31 bytes"),
    BAD_ECHO(OPEN_OK "\"risk_signature\":5}", "field 'risk_signature' must be a string"),
    BAD_ECHO(OPEN_OK "\"risk_signature\":null}", "field 'risk_signature' must be a string"),
    BAD_ECHO(CLOSE_HEAD "\"ticket\":5,\"risk_signature\":[]}",
             "field 'risk_signature' must be a string"),
    /* rule 9: ticket */
    BAD_ECHO(CLOSE_HEAD "\"ticket\":0}", INT_RULE("ticket", "1")),
    BAD_ECHO(CLOSE_HEAD "\"ticket\":-1}", INT_RULE("ticket", "1")),
    BAD_ECHO(CLOSE_HEAD "\"ticket\":1.5}", INT_RULE("ticket", "1")),
    BAD_ECHO(CLOSE_HEAD "\"ticket\":\"1\"}", INT_RULE("ticket", "1")),
    BAD_ECHO(CLOSE_HEAD "\"ticket\":null}", INT_RULE("ticket", "1")),
    BAD_ECHO(CLOSE_HEAD "\"ticket\":9007199254740994}", INT_RULE("ticket", "1")),
    /* the order of checks decides which fault is named */
    BAD_ECHO(OPEN_HEAD "\"volume\":0,\"side\":\"X\",\"symbol\":\"\"}",
             "field 'symbol' must be a string of 1-32 characters [A-Za-z0-9._#-]"),
    BAD_ECHO(OPEN_HEAD "\"price\":-1,\"side\":\"X\",\"symbol\":\"EURUSD\",\"volume\":1}",
             "field 'side' must be BUY or SELL"),
    BAD_ECHO(OPEN_HEAD "\"comment\":5,\"tp\":-1,\"symbol\":\"EURUSD\",\"side\":\"BUY\"}",
             "missing field 'volume' for OPEN"),
    BAD_ECHO(CLOSE_HEAD "\"risk_signature\":5,\"volume\":0,\"ticket\":0}", INT_RULE("ticket", "1")),
    BAD_REQ("{\"v\":\"x\",\"req_id\":\"\",\"action\":\"NOPE\"}",
            "field 'req_id' must be a string of 1-64 characters [A-Za-z0-9_.:-]"),
    {BYTES("{\"v\":7,\"action\":\"NOPE\",\"foo\":1}"), MT5_WIRE_UNSUPPORTED_VERSION,
     "unsupported protocol version 7 (this gateway speaks 1)", NULL},
    {BYTES("{\"foo\":1,\"action\":\"NOPE\"}"), MT5_WIRE_UNKNOWN_ACTION, "unknown action 'NOPE'",
     NULL},
};

static void s_check_bad(const s_bad *bad, size_t row)
{
    mt5_request_t req;
    memset(&req, 0x5A, sizeof req);
    char msg[MT5_MESSAGE_MAX] = "stale";
    mt5_wire_code code = s_decode(&req, bad->data, bad->len, msg, sizeof msg);
    if (code != bad->code || strcmp(msg, bad->msg) != 0)
        fail_msg("row %zu %.*s: got %d '%s', want %d '%s'", row, (int)bad->len, bad->data, code,
                 msg, bad->code, bad->msg);
    /* only the req_id survives a failure, for the error reply to echo */
    s_good want = {.has = bad->echo ? MT5_HAS_REQ_ID : 0, .req_id = bad->echo};
    s_assert_request(&req, &want);
}

static void test_proto__decode_rejects_bad_requests(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(s_bads); i++)
        s_check_bad(&s_bads[i], i);
}

static void test_proto__decode_size_limit(void **state)
{
    (void)state;
    /* 65,536 bytes of valid JSON (padded with spaces) is within the limit */
    char *ok = s_padded("{\"action\":\"PING\",\"ts\":7", "}", MT5_MAX_REQUEST);
    mt5_request_t req;
    char msg[MT5_MESSAGE_MAX];
    assert_int_equal(s_decode(&req, ok, MT5_MAX_REQUEST, msg, sizeof msg), MT5_WIRE_OK);
    assert_int_equal(req.action, MT5_ACTION_PING);
    assert_int_equal(req.ts, 7);
    free(ok);

    /* one byte more is TOO_LARGE, valid or not, before anything else */
    char *big = s_padded("{\"action\":\"PING\",\"req_id\":\"r1\"", "}", MT5_MAX_REQUEST + 1);
    assert_int_equal(s_decode(&req, big, MT5_MAX_REQUEST + 1, msg, sizeof msg), MT5_WIRE_TOO_LARGE);
    assert_string_equal(msg, "request is larger than 65536 bytes");
    assert_int_equal(req.has, 0);
    big[10] = '\0';
    assert_int_equal(s_decode(&req, big, MT5_MAX_REQUEST + 1, msg, sizeof msg), MT5_WIRE_TOO_LARGE);
    free(big);

    /* 65,536 bytes that are not JSON are judged on content, not size */
    char *junk = s_padded("x", "", MT5_MAX_REQUEST);
    assert_int_equal(s_decode(&req, junk, MT5_MAX_REQUEST, msg, sizeof msg), MT5_WIRE_BAD_REQUEST);
    assert_string_equal(msg, "request is not valid JSON");
    free(junk);
}

static void test_proto__decode_deep_nesting(void **state)
{
    (void)state;
    static const struct {
        const char *head;
        char open;
        size_t depth;
        const char *msg;
    } rows[] = {
        {"", '[', 2000, "request is not valid JSON"},
        {"", '{', 2000, "request is not valid JSON"},
        {"{\"action\":\"PING\",\"x\":", '[', 60000, "request is not valid JSON"},
    };
    for (size_t i = 0; i < N_ELEMS(rows); i++) {
        size_t h = strlen(rows[i].head);
        size_t len = h + rows[i].depth;
        char *buf = malloc(len);
        assert_non_null(buf);
        memcpy(buf, rows[i].head, h);
        memset(buf + h, rows[i].open, rows[i].depth);
        mt5_request_t req;
        char msg[MT5_MESSAGE_MAX];
        assert_int_equal(s_decode(&req, buf, len, msg, sizeof msg), MT5_WIRE_BAD_REQUEST);
        assert_string_equal(msg, rows[i].msg);
        free(buf);
    }
    /* nesting cJSON accepts is still a well-formed request with a bad field */
    char json[4096];
    size_t n = (size_t)snprintf(json, sizeof json, "{\"action\":\"PING\",\"ts\":");
    for (int d = 0; d < 500; d++)
        json[n++] = '[';
    for (int d = 0; d < 500; d++)
        json[n++] = ']';
    memcpy(json + n, "}", 2);
    mt5_request_t req;
    char msg[MT5_MESSAGE_MAX];
    assert_int_equal(s_decode_text(&req, json, msg), MT5_WIRE_BAD_REQUEST);
    assert_string_equal(msg, INT_RULE("ts", "0"));
}

/* Objects with many keys take the sorting path of the duplicate check. */
static void test_proto__decode_many_keys(void **state)
{
    (void)state;
    static const struct {
        size_t keys;      /* k0 .. k<keys-1> after "action" */
        int dup_a, dup_b; /* append copies of these keys, -1 for none */
        const char *msg;
    } rows[] = {
        {10, -1, -1, "unknown field 'k0' for PING"},
        {63, -1, -1, "unknown field 'k0' for PING"}, /* 64 keys: pairwise */
        {64, -1, -1, "unknown field 'k0' for PING"}, /* 65 keys: sorted */
        {62, 5, -1, "duplicate field 'k5'"},
        {63, 5, -1, "duplicate field 'k5'"},
        {2000, -1, -1, "unknown field 'k0' for PING"},
        {10, 7, 3, "duplicate field 'k7'"},
        {100, 70, 3, "duplicate field 'k70'"},
        {100, 3, 70, "duplicate field 'k3'"},
        {2000, 1999, 0, "duplicate field 'k1999'"},
        {2000, -2, -1, "duplicate field 'action'"}, /* -2: repeat "action" */
    };
    size_t cap = 64 * 1024;
    char *json = malloc(cap);
    assert_non_null(json);
    for (size_t i = 0; i < N_ELEMS(rows); i++) {
        size_t n = (size_t)snprintf(json, cap, "{\"action\":\"PING\"");
        for (size_t k = 0; k < rows[i].keys; k++)
            n += (size_t)snprintf(json + n, cap - n, ",\"k%zu\":%zu", k, k);
        int extra[2] = {rows[i].dup_a, rows[i].dup_b};
        for (int e = 0; e < 2; e++) {
            if (extra[e] >= 0)
                n += (size_t)snprintf(json + n, cap - n, ",\"k%d\":0", extra[e]);
            else if (extra[e] == -2)
                n += (size_t)snprintf(json + n, cap - n, ",\"action\":\"PING\"");
        }
        n += (size_t)snprintf(json + n, cap - n, "}");
        assert_true(n < MT5_MAX_REQUEST);
        mt5_request_t req;
        char msg[MT5_MESSAGE_MAX];
        assert_int_equal(s_decode(&req, json, n, msg, sizeof msg), MT5_WIRE_BAD_REQUEST);
        if (strcmp(msg, rows[i].msg) != 0)
            fail_msg("row %zu: '%s' != '%s'", i, msg, rows[i].msg);
    }
    free(json);
}

static void test_proto__decode_message_buffer(void **state)
{
    (void)state;
    mt5_request_t req;
    const char *json = "{\"action\":\"PING\",\"\xC3\xA9\xC3\xA9\xC3\xA9\":1}";
    /* "unknown field '" is 15 bytes; a cut inside an e-acute drops the half */
    static const struct {
        size_t cap;
        const char *msg;
    } cuts[] = {
        {8, "unknown"},
        {16, "unknown field '"},
        {17, "unknown field '"},
        {18, "unknown field '\xC3\xA9"},
        {19, "unknown field '\xC3\xA9"},
        {20, "unknown field '\xC3\xA9\xC3\xA9"},
    };
    char msg[32];
    for (size_t i = 0; i < N_ELEMS(cuts); i++) {
        assert_int_equal(s_decode(&req, json, strlen(json), msg, cuts[i].cap),
                         MT5_WIRE_BAD_REQUEST);
        assert_string_equal(msg, cuts[i].msg);
    }
    /* a long multibyte key is cut at a character boundary, then marked */
    char key[64] = "abc", longkey[128], want[128];
    for (int k = 0; k < 11; k++)
        memcpy(key + 3 + 3 * k, "\xE6\xBC\xA2", 4); /* 3 + 33 bytes */
    snprintf(longkey, sizeof longkey, "{\"action\":\"PING\",\"%s\":1}", key);
    snprintf(want, sizeof want, "unknown field '%.30s...' for PING", key); /* 3 + 9 chars */
    char big[MT5_MESSAGE_MAX];
    assert_int_equal(s_decode(&req, longkey, strlen(longkey), big, sizeof big),
                     MT5_WIRE_BAD_REQUEST);
    assert_string_equal(big, want);
    /* no message buffer is fine; the code still tells what happened */
    assert_int_equal(s_decode(&req, BYTES("{}"), NULL, 0), MT5_WIRE_BAD_REQUEST);
    msg[0] = 'x';
    assert_int_equal(s_decode(&req, BYTES("{}"), msg, 0), MT5_WIRE_BAD_REQUEST);
    assert_int_equal(msg[0], 'x');
    assert_int_equal(s_decode(&req, BYTES("Hello"), NULL, 0), MT5_WIRE_OK);
    /* a missing request struct or data is a caller bug, answered, not crashed on */
    assert_int_equal(mt5_proto_decode(NULL, "{}", 2, msg, sizeof msg), MT5_WIRE_BACKEND_ERROR);
    assert_string_equal(msg, "no request to decode into");
    assert_int_equal(mt5_proto_decode(&req, NULL, 5, msg, sizeof msg), MT5_WIRE_BAD_REQUEST);
    assert_string_equal(msg, "empty request");
}

/* ---- encode_request and round trips --------------------------------------------- */

static void test_proto__encode_request_round_trip(void **state)
{
    (void)state;
    static const struct {
        mt5_request_t req;
        const char *json;
    } rows[] = {
        {{.action = MT5_ACTION_PING}, "{\"action\":\"PING\"}"},
        {{.action = MT5_ACTION_PING,
          .has = MT5_HAS_REQ_ID | MT5_HAS_TS,
          .req_id = "p-1",
          .ts = 1700000000123},
         "{\"action\":\"PING\",\"req_id\":\"p-1\",\"ts\":1700000000123}"},
        {{.action = MT5_ACTION_PING, .has = MT5_HAS_TS, .ts = 9007199254740992},
         "{\"action\":\"PING\",\"ts\":9007199254740992}"},
        {{.action = MT5_ACTION_OPEN,
          .has = MT5_HAS_REQ_ID | MT5_HAS_SYMBOL | MT5_HAS_SIDE | MT5_HAS_VOLUME,
          .req_id = "o-1",
          .symbol = "XAUUSD",
          .side = MT5_SIDE_BUY,
          .volume = 1},
         "{\"action\":\"OPEN\",\"req_id\":\"o-1\",\"symbol\":\"XAUUSD\",\"side\":\"BUY\","
         "\"volume\":1}"},
        {{.action = MT5_ACTION_OPEN,
          .has = MT5_HAS_REQ_ID | MT5_HAS_SYMBOL | MT5_HAS_SIDE | MT5_HAS_VOLUME | MT5_HAS_PRICE |
                 MT5_HAS_SL | MT5_HAS_TP | MT5_HAS_MAGIC | MT5_HAS_COMMENT | MT5_HAS_SIGNATURE,
          .req_id = "o-2",
          .symbol = "EURUSD",
          .side = MT5_SIDE_SELL,
          .volume = 0.01,
          .price = 1.0875,
          .sl = 1.09,
          .tp = 1.08,
          .magic = 42,
          .comment = "grid \xC3\xA9 \"q\"",
          .risk_signature = "RISK_PASS:ab:1"},
         "{\"action\":\"OPEN\",\"req_id\":\"o-2\",\"symbol\":\"EURUSD\",\"side\":\"SELL\","
         "\"volume\":0.01,\"price\":1.0875,\"sl\":1.09,\"tp\":1.08,\"magic\":42,"
         "\"comment\":\"grid \xC3\xA9 \\\"q\\\"\",\"risk_signature\":\"RISK_PASS:ab:1\"}"},
        {{.action = MT5_ACTION_OPEN,
          .has = MT5_HAS_REQ_ID | MT5_HAS_SYMBOL | MT5_HAS_SIDE | MT5_HAS_VOLUME | MT5_HAS_PRICE |
                 MT5_HAS_SIGNATURE,
          .req_id = "o-3",
          .symbol = "GBPUSD",
          .side = MT5_SIDE_BUY,
          .volume = 0.1,
          .price = 0},
         "{\"action\":\"OPEN\",\"req_id\":\"o-3\",\"symbol\":\"GBPUSD\",\"side\":\"BUY\","
         "\"volume\":0.1,\"price\":0,\"risk_signature\":\"\"}"},
        {{.action = MT5_ACTION_CLOSE,
          .has = MT5_HAS_REQ_ID | MT5_HAS_TICKET | MT5_HAS_VOLUME | MT5_HAS_SIGNATURE,
          .req_id = "c-1",
          .ticket = 123456789,
          .volume = 0.5,
          .risk_signature = "x"},
         "{\"action\":\"CLOSE\",\"req_id\":\"c-1\",\"ticket\":123456789,\"volume\":0.5,"
         "\"risk_signature\":\"x\"}"},
        {{.action = MT5_ACTION_CLOSE,
          .has = MT5_HAS_REQ_ID | MT5_HAS_TICKET,
          .req_id = "c-2",
          .ticket = 1},
         "{\"action\":\"CLOSE\",\"req_id\":\"c-2\",\"ticket\":1}"},
        {{.action = MT5_ACTION_GET_ACCOUNT, .has = MT5_HAS_REQ_ID, .req_id = "g"},
         "{\"action\":\"GET_ACCOUNT\",\"req_id\":\"g\"}"},
        {{.action = MT5_ACTION_GET_POSITIONS}, "{\"action\":\"GET_POSITIONS\"}"},
    };
    for (size_t i = 0; i < N_ELEMS(rows); i++) {
        char *json = mt5_proto_encode_request(&rows[i].req);
        assert_non_null(json);
        assert_string_equal(json, rows[i].json);
        mt5_request_t back;
        char msg[MT5_MESSAGE_MAX];
        assert_int_equal(s_decode_text(&back, json, msg), MT5_WIRE_OK);
        assert_memory_equal(&back, &rows[i].req, sizeof back);
        free(json);
    }
}

static void test_proto__encode_request_fields_by_action(void **state)
{
    (void)state;
    /* fields of another action are never written, required ones always are */
    mt5_request_t req = {.action = MT5_ACTION_PING,
                         .has = 0xFFFFu & ~MT5_HAS_REQ_ID,
                         .ts = 5,
                         .volume = 1,
                         .ticket = 9};
    char *json = mt5_proto_encode_request(&req);
    assert_string_equal(json, "{\"action\":\"PING\",\"ts\":5}");
    free(json);
    mt5_request_t open = {.action = MT5_ACTION_OPEN, .ticket = 9};
    json = mt5_proto_encode_request(&open);
    assert_string_equal(json, "{\"action\":\"OPEN\",\"symbol\":\"\",\"side\":\"\",\"volume\":0}");
    free(json);
    mt5_request_t close = {.action = MT5_ACTION_CLOSE, .has = MT5_HAS_TS, .ts = 3};
    json = mt5_proto_encode_request(&close);
    assert_string_equal(json, "{\"action\":\"CLOSE\",\"ticket\":0}");
    free(json);

    static const mt5_action not_json[] = {MT5_ACTION_NONE, MT5_ACTION_HELLO, (mt5_action)7,
                                          (mt5_action)-1};
    for (size_t i = 0; i < N_ELEMS(not_json); i++) {
        mt5_request_t r = {.action = not_json[i]};
        assert_null(mt5_proto_encode_request(&r));
    }
    assert_null(mt5_proto_encode_request(NULL));
}

/* ---- reply encoders ------------------------------------------------------------- */

static const mt5_fill_t s_fill = {.ticket = 123456789,
                                  .symbol = "EURUSD",
                                  .side = MT5_SIDE_BUY,
                                  .volume = 0.1,
                                  .price = 1.08765,
                                  .time_ms = 1700000000123};
static const mt5_close_t s_close = {
    .ticket = 123456789, .volume = 0.05, .price = 1.0901, .profit = -12.5};
static const mt5_account_t s_account = {.login = 5001234,
                                        .balance = 10000,
                                        .equity = 10012.5,
                                        .margin = 108.77,
                                        .free_margin = 9903.73,
                                        .currency = "USD",
                                        .leverage = 100};
static const mt5_position_t s_positions[] = {
    {.ticket = 11,
     .symbol = "EURUSD",
     .side = MT5_SIDE_BUY,
     .volume = 0.1,
     .open_price = 1.0875,
     .sl = 1.08,
     .tp = 1.1,
     .profit = 3.25},
    {.ticket = 12,
     .symbol = "XAUUSD",
     .side = MT5_SIDE_SELL,
     .volume = 1,
     .open_price = 2034.5,
     .sl = 0,
     .tp = 0,
     .profit = -40},
};
static const mt5_stream_hdr_t s_hdr = {
    .seq = 1, .boot_id = "0123456789abcdef0123456789abcdef", .time_ms = 1700000000123};

#define HDR_JSON                                                                                   \
    "\"seq\":1,\"boot_id\":\"0123456789abcdef0123456789abcdef\",\"time_ms\":1700000000123"
#define FILL_JSON                                                                                  \
    "\"ticket\":123456789,\"symbol\":\"EURUSD\",\"side\":\"BUY\",\"volume\":0.1,\"price\":1.08765"
#define ACCOUNT_JSON                                                                               \
    "\"login\":5001234,\"balance\":10000,\"equity\":10012.5,\"margin\":108.77,"                    \
    "\"free_margin\":9903.73,\"currency\":\"USD\",\"leverage\":100"
#define POS0_JSON                                                                                  \
    "\"ticket\":11,\"symbol\":\"EURUSD\",\"side\":\"BUY\",\"volume\":0.1,\"open_price\":1.0875,"   \
    "\"sl\":1.08,\"tp\":1.1,\"profit\":3.25"
#define POS1_JSON                                                                                  \
    "\"ticket\":12,\"symbol\":\"XAUUSD\",\"side\":\"SELL\",\"volume\":1,\"open_price\":2034.5,"    \
    "\"sl\":0,\"tp\":0,\"profit\":-40"

static void s_expect(char *got, const char *want)
{
    if (!got)
        fail_msg("encoder returned NULL, want %s", want);
    assert_string_equal(got, want);
    free(got);
}

static void test_proto__reply_error(void **state)
{
    (void)state;
    s_expect(
        mt5_proto_reply_error(MT5_WIRE_BAD_REQUEST, "r-1", "field 'volume' must be a number > 0"),
        "{\"status\":\"error\",\"error_code\":\"BAD_REQUEST\","
        "\"message\":\"field 'volume' must be a number > 0\",\"req_id\":\"r-1\"}");
    s_expect(mt5_proto_reply_error(MT5_WIRE_INVALID_SIGNATURE, NULL, "bad MAC"),
             "{\"status\":\"REJECTED\",\"error_code\":\"INVALID_SIGNATURE\","
             "\"message\":\"bad MAC\"}");
    s_expect(mt5_proto_reply_error(MT5_WIRE_UNKNOWN_TICKET, "", "no \"such\" ticket\n"),
             "{\"status\":\"REJECTED\",\"error_code\":\"UNKNOWN_TICKET\","
             "\"message\":\"no \\\"such\\\" ticket\\n\"}");
    s_expect(mt5_proto_reply_error(MT5_WIRE_BACKEND_ERROR, "x", NULL),
             "{\"status\":\"error\",\"error_code\":\"BACKEND_ERROR\",\"message\":\"\","
             "\"req_id\":\"x\"}");
    for (int code = MT5_WIRE_BAD_REQUEST; code < MT5_WIRE_CODE_COUNT; code++) {
        char want[256];
        snprintf(want, sizeof want, "{\"status\":\"%s\",\"error_code\":\"%s\",\"message\":\"m\"}",
                 mt5_wire_status((mt5_wire_code)code), mt5_wire_code_name((mt5_wire_code)code));
        s_expect(mt5_proto_reply_error((mt5_wire_code)code, NULL, "m"), want);
    }
    assert_null(mt5_proto_reply_error(MT5_WIRE_OK, "r", "m"));
    assert_null(mt5_proto_reply_error(MT5_WIRE_CODE_COUNT, "r", "m"));
    assert_null(mt5_proto_reply_error((mt5_wire_code)-1, "r", "m"));
}

static void test_proto__reply_ok(void **state)
{
    (void)state;
    int64_t ts = 1700000000100;
    s_expect(mt5_proto_reply_ping("p1", 1700000000123, &ts),
             "{\"status\":\"ok\",\"req_id\":\"p1\",\"action\":\"PING\","
             "\"server_time_ms\":1700000000123,\"ts\":1700000000100}");
    s_expect(mt5_proto_reply_ping(NULL, 5, NULL),
             "{\"status\":\"ok\",\"action\":\"PING\",\"server_time_ms\":5}");
    s_expect(mt5_proto_reply_open("o-1", &s_fill),
             "{\"status\":\"ok\",\"req_id\":\"o-1\"," FILL_JSON ",\"time_ms\":1700000000123}");
    s_expect(mt5_proto_reply_close("c-1", &s_close),
             "{\"status\":\"ok\",\"req_id\":\"c-1\",\"ticket\":123456789,\"volume\":0.05,"
             "\"price\":1.0901,\"profit\":-12.5}");
    s_expect(mt5_proto_reply_account(NULL, &s_account), "{\"status\":\"ok\"," ACCOUNT_JSON "}");
    s_expect(mt5_proto_reply_positions("g", s_positions, 2),
             "{\"status\":\"ok\",\"req_id\":\"g\",\"positions\":[{" POS0_JSON "},{" POS1_JSON
             "}]}");
    s_expect(mt5_proto_reply_positions(NULL, NULL, 0), "{\"status\":\"ok\",\"positions\":[]}");

    assert_null(mt5_proto_reply_open("o", NULL));
    assert_null(mt5_proto_reply_close("c", NULL));
    assert_null(mt5_proto_reply_account("a", NULL));
    assert_null(mt5_proto_reply_positions("g", NULL, 1));
}

/* Integers print as integers at every size, also past 15 digits. */
static void test_proto__reply_integers_exact(void **state)
{
    (void)state;
    static const struct {
        int64_t value;
        const char *text;
    } rows[] = {
        {0, "0"},
        {-1, "-1"},
        {2147483647, "2147483647"},
        {2147483648, "2147483648"},
        {1700000000123, "1700000000123"},
        {-1700000000123, "-1700000000123"},
        {999999999999999, "999999999999999"},
        {1000000000000000, "1000000000000000"},
        {-1000000000000000, "-1000000000000000"},
        {9007199254740992, "9007199254740992"},
        {9007199254740993, "9007199254740993"},
        {INT64_MAX, "9223372036854775807"},
        {INT64_MIN, "-9223372036854775808"},
    };
    for (size_t i = 0; i < N_ELEMS(rows); i++) {
        char want[128];
        snprintf(want, sizeof want, "{\"status\":\"ok\",\"action\":\"PING\",\"server_time_ms\":%s}",
                 rows[i].text);
        s_expect(mt5_proto_reply_ping(NULL, rows[i].value, NULL), want);
    }
    mt5_stream_hdr_t hdr = s_hdr;
    hdr.seq = UINT64_MAX;
    s_expect(mt5_proto_stream_heartbeat(&hdr),
             "{\"seq\":18446744073709551615,\"boot_id\":\"0123456789abcdef0123456789abcdef\","
             "\"time_ms\":1700000000123}");
    hdr.seq = (uint64_t)INT64_MAX;
    s_expect(mt5_proto_stream_heartbeat(&hdr),
             "{\"seq\":9223372036854775807,\"boot_id\":\"0123456789abcdef0123456789abcdef\","
             "\"time_ms\":1700000000123}");
}

static void test_proto__reply_mark_duplicate(void **state)
{
    (void)state;
    char *reply = mt5_proto_reply_close("c-1", &s_close);
    s_expect(mt5_proto_reply_mark_duplicate(reply),
             "{\"status\":\"ok\",\"req_id\":\"c-1\",\"ticket\":123456789,\"volume\":0.05,"
             "\"price\":1.0901,\"profit\":-12.5,\"duplicate\":true}");
    free(reply);
    /* an existing flag is replaced, never repeated, and always last */
    s_expect(mt5_proto_reply_mark_duplicate("{\"duplicate\":false,\"status\":\"ok\"}"),
             "{\"status\":\"ok\",\"duplicate\":true}");
    s_expect(mt5_proto_reply_mark_duplicate(" {\"status\":\"ok\",\"duplicate\":true} \n"),
             "{\"status\":\"ok\",\"duplicate\":true}");

    static const struct {
        const char *reply;
        const char *detail;
    } bad[] = {
        {"", "stored reply is not a JSON object"},
        {"[]", "stored reply is not a JSON object"},
        {"{", "stored reply is not a JSON object"},
        {"{}x", "stored reply is not a JSON object"},
        {"OK_FROM_MT5", "stored reply is not a JSON object"},
        {NULL, "no reply to mark as duplicate"},
    };
    for (size_t i = 0; i < N_ELEMS(bad); i++) {
        assert_null(mt5_proto_reply_mark_duplicate(bad[i].reply));
        assert_string_equal(mt5_error_detail(), bad[i].detail);
    }
}

static void test_proto__stream_bodies(void **state)
{
    (void)state;
    double profit = 7.5;
    s_expect(mt5_proto_stream_heartbeat(&s_hdr), "{" HDR_JSON "}");
    s_expect(mt5_proto_stream_account(&s_hdr, &s_account), "{" HDR_JSON "," ACCOUNT_JSON "}");
    s_expect(mt5_proto_stream_position(&s_hdr, &s_positions[0], false),
             "{" HDR_JSON "," POS0_JSON ",\"state\":\"open\"}");
    s_expect(mt5_proto_stream_position(&s_hdr, &s_positions[1], true),
             "{" HDR_JSON "," POS1_JSON ",\"state\":\"closed\"}");
    s_expect(mt5_proto_stream_fill(&s_hdr, MT5_ACTION_OPEN, "o-1", &s_fill, &profit),
             "{" HDR_JSON ",\"event\":\"OPEN\",\"req_id\":\"o-1\"," FILL_JSON "}");
    s_expect(mt5_proto_stream_fill(&s_hdr, MT5_ACTION_CLOSE, "c-1", &s_fill, &profit),
             "{" HDR_JSON ",\"event\":\"CLOSE\",\"req_id\":\"c-1\"," FILL_JSON ",\"profit\":7.5}");
    s_expect(mt5_proto_stream_fill(&s_hdr, MT5_ACTION_CLOSE, NULL, &s_fill, NULL),
             "{" HDR_JSON ",\"event\":\"CLOSE\",\"req_id\":\"\"," FILL_JSON ",\"profit\":0}");
    /* fill->time_ms is not printed: the body's time_ms is the header's. */
    mt5_fill_t later = s_fill;
    later.time_ms = 42;
    s_expect(mt5_proto_stream_fill(&s_hdr, MT5_ACTION_OPEN, "o-1", &later, NULL),
             "{" HDR_JSON ",\"event\":\"OPEN\",\"req_id\":\"o-1\"," FILL_JSON "}");
    mt5_position_t unset = {.ticket = 1, .symbol = "X"};
    s_expect(mt5_proto_stream_position(&s_hdr, &unset, false),
             "{" HDR_JSON ",\"ticket\":1,\"symbol\":\"X\",\"side\":\"\",\"volume\":0,"
             "\"open_price\":0,\"sl\":0,\"tp\":0,\"profit\":0,\"state\":\"open\"}");

    assert_null(mt5_proto_stream_fill(&s_hdr, MT5_ACTION_PING, "p", &s_fill, NULL));
    assert_null(mt5_proto_stream_fill(&s_hdr, MT5_ACTION_OPEN, "p", NULL, NULL));
    assert_null(mt5_proto_stream_fill(NULL, MT5_ACTION_OPEN, "p", &s_fill, NULL));
    assert_null(mt5_proto_stream_heartbeat(NULL));
    assert_null(mt5_proto_stream_account(&s_hdr, NULL));
    assert_null(mt5_proto_stream_account(NULL, &s_account));
    assert_null(mt5_proto_stream_position(&s_hdr, NULL, false));
}

/* ---- reply decoder ------------------------------------------------------------- */

static void s_decode_reply_ok(mt5_reply_t *out, const char *json)
{
    size_t len = strlen(json);
    char *copy = malloc(len);
    assert_non_null(copy);
    memcpy(copy, json, len);
    int rc = mt5_proto_decode_reply(out, copy, len);
    free(copy);
    if (rc != MT5_OK)
        fail_msg("decode_reply(%s): %d %s", json, rc, mt5_error_detail());
}

static void test_proto__decode_reply_kinds(void **state)
{
    (void)state;
    mt5_reply_t r;
    int64_t ts = 1700000000100;
    char *json = mt5_proto_reply_ping("p1", 1700000000123, &ts);
    s_decode_reply_ok(&r, json);
    free(json);
    assert_int_equal(r.code, MT5_WIRE_OK);
    assert_string_equal(r.status, "ok");
    assert_string_equal(r.error_code, "");
    assert_string_equal(r.message, "");
    assert_string_equal(r.req_id, "p1");
    assert_string_equal(r.action, "PING");
    assert_false(r.duplicate);
    assert_int_equal(r.server_time_ms, 1700000000123);
    assert_int_equal(r.ts, 1700000000100);

    json = mt5_proto_reply_open("o-1", &s_fill);
    s_decode_reply_ok(&r, json);
    free(json);
    assert_string_equal(r.req_id, "o-1");
    assert_int_equal(r.ticket, 123456789);
    assert_double_exact(r.volume, 0.1);
    assert_double_exact(r.price, 1.08765);
    assert_int_equal(r.time_ms, 1700000000123);
    assert_string_equal(r.action, "");

    char *stored = mt5_proto_reply_close("c-1", &s_close);
    json = mt5_proto_reply_mark_duplicate(stored);
    s_decode_reply_ok(&r, json);
    free(stored);
    free(json);
    assert_true(r.duplicate);
    assert_int_equal(r.ticket, 123456789);
    assert_double_exact(r.volume, 0.05);
    assert_double_exact(r.price, 1.0901);
    assert_double_exact(r.profit, -12.5);

    json = mt5_proto_reply_account("a", &s_account);
    s_decode_reply_ok(&r, json);
    free(json);
    assert_int_equal(r.account.login, 5001234);
    assert_double_exact(r.account.balance, 10000);
    assert_double_exact(r.account.equity, 10012.5);
    assert_double_exact(r.account.margin, 108.77);
    assert_double_exact(r.account.free_margin, 9903.73);
    assert_string_equal(r.account.currency, "USD");
    assert_int_equal(r.account.leverage, 100);

    json = mt5_proto_reply_positions("g", s_positions, 2);
    s_decode_reply_ok(&r, json);
    free(json);
    assert_int_equal(r.position_count, 2);
    json = mt5_proto_reply_positions("g", s_positions, 0);
    s_decode_reply_ok(&r, json);
    free(json);
    assert_int_equal(r.position_count, 0);

    json = mt5_proto_reply_error(MT5_WIRE_INVALID_SIGNATURE, "o-9", "MAC mismatch");
    s_decode_reply_ok(&r, json);
    free(json);
    assert_int_equal(r.code, MT5_WIRE_INVALID_SIGNATURE);
    assert_string_equal(r.status, "REJECTED");
    assert_string_equal(r.error_code, "INVALID_SIGNATURE");
    assert_string_equal(r.message, "MAC mismatch");
    assert_string_equal(r.req_id, "o-9");
}

static void test_proto__decode_reply_lenient_parts(void **state)
{
    (void)state;
    mt5_reply_t r;
    /* unknown codes read as BACKEND_ERROR, the text kept as sent */
    s_decode_reply_ok(&r, "{\"status\":\"error\",\"error_code\":\"NEW_THING\",\"message\":\"m\"}");
    assert_int_equal(r.code, MT5_WIRE_BACKEND_ERROR);
    assert_string_equal(r.error_code, "NEW_THING");
    s_decode_reply_ok(&r, "{\"status\":\"REJECTED\"}");
    assert_int_equal(r.code, MT5_WIRE_BACKEND_ERROR);
    assert_string_equal(r.error_code, "");
    s_decode_reply_ok(&r, "{\"status\":\"error\",\"error_code\":\"TOO_LARGE\"}");
    assert_int_equal(r.code, MT5_WIRE_TOO_LARGE);
    /* status ok wins over a stray error_code; unknown fields are skipped */
    s_decode_reply_ok(&r, "{\"extra\":[1,{}],\"status\":\"ok\",\"error_code\":\"TOO_LARGE\"}");
    assert_int_equal(r.code, MT5_WIRE_OK);
    assert_string_equal(r.error_code, "TOO_LARGE");

    /* long strings are cut at a character boundary to fit */
    char json[1024];
    char text[400];
    memset(text, 'a', 300);
    text[300] = '\0';
    snprintf(json, sizeof json, "{\"status\":\"error\",\"message\":\"%s\"}", text);
    s_decode_reply_ok(&r, json);
    assert_int_equal(strlen(r.message), MT5_MESSAGE_MAX - 1);
    memset(text, 'a', 254);
    memcpy(text + 254, "\xC3\xA9\xC3\xA9", 5);
    snprintf(json, sizeof json, "{\"status\":\"error\",\"message\":\"%s\"}", text);
    s_decode_reply_ok(&r, json);
    assert_int_equal(strlen(r.message), 254);
    memcpy(text, "aaaaaa\xE6\xBC\xA2", 10);
    snprintf(json, sizeof json, "{\"status\":\"error\",\"currency\":\"%.9s\"}", text);
    s_decode_reply_ok(&r, json);
    assert_string_equal(r.account.currency, "aaaaaa");
    /* every string field is cut to its own size in proto.h */
    memset(text, 'b', 300);
    text[300] = '\0';
    snprintf(json, sizeof json,
             "{\"status\":\"error\",\"error_code\":\"%s\",\"action\":\"%s\","
             "\"req_id\":\"%s\",\"currency\":\"%s\"}",
             text + 200, text + 200, text + 200, text + 200);
    s_decode_reply_ok(&r, json);
    assert_int_equal(strlen(r.error_code), sizeof r.error_code - 1);
    assert_int_equal(strlen(r.action), sizeof r.action - 1);
    assert_int_equal(strlen(r.req_id), sizeof r.req_id - 1);
    assert_int_equal(strlen(r.account.currency), sizeof r.account.currency - 1);
    assert_int_equal(r.code, MT5_WIRE_BACKEND_ERROR);
}

static void test_proto__decode_reply_rejects(void **state)
{
    (void)state;
    static const struct {
        const char *data;
        size_t len;
        const char *detail;
    } bad[] = {
        {BYTES(""), "empty reply"},
        {BYTES("OK_FROM_MT5"), "reply is not valid JSON"},
        {BYTES("{\"status\":\"ok\"}x"), "reply is not valid JSON"},
        {BYTES("{\"status\":\"ok\"\0}"), "reply contains a NUL character"},
        {BYTES("{\"status\":\"ok\",\"message\":\"\xC0\xAF\"}"), "reply is not valid UTF-8"},
        {BYTES("[]"), "reply is not a JSON object"},
        {BYTES("{}"), "reply has no status \"ok\", \"REJECTED\" or \"error\""},
        {BYTES("{\"status\":\"OK\"}"), "reply has no status \"ok\", \"REJECTED\" or \"error\""},
        {BYTES("{\"status\":\"rejected\"}"),
         "reply has no status \"ok\", \"REJECTED\" or \"error\""},
        {BYTES("{\"status\":1}"), "reply has no status \"ok\", \"REJECTED\" or \"error\""},
        {BYTES("{\"status\":\"ok\",\"ticket\":\"1\"}"), "reply field 'ticket' has the wrong type"},
        {BYTES("{\"status\":\"ok\",\"ticket\":1.5}"), "reply field 'ticket' has the wrong type"},
        {BYTES("{\"status\":\"ok\",\"volume\":1e999}"), "reply field 'volume' has the wrong type"},
        {BYTES("{\"status\":\"ok\",\"volume\":null}"), "reply field 'volume' has the wrong type"},
        {BYTES("{\"status\":\"ok\",\"message\":5}"), "reply field 'message' has the wrong type"},
        {BYTES("{\"status\":\"ok\",\"duplicate\":1}"),
         "reply field 'duplicate' has the wrong type"},
        {BYTES("{\"status\":\"ok\",\"positions\":{}}"),
         "reply field 'positions' has the wrong type"},
    };
    for (size_t i = 0; i < N_ELEMS(bad); i++) {
        mt5_reply_t r, before;
        memset(&r, 0xAB, sizeof r);
        before = r;
        char *copy = malloc(bad[i].len + 1);
        memcpy(copy, bad[i].data, bad[i].len);
        int rc = mt5_proto_decode_reply(&r, copy, bad[i].len);
        free(copy);
        if (rc != MT5_EBADREPLY || strcmp(mt5_error_detail(), bad[i].detail) != 0)
            fail_msg("row %zu: %d '%s'", i, rc, mt5_error_detail());
        assert_memory_equal(&r, &before, sizeof r); /* untouched on failure */
    }
    mt5_reply_t r;
    assert_int_equal(mt5_proto_decode_reply(&r, NULL, 5), MT5_EBADREPLY);
    assert_int_equal(mt5_proto_decode_reply(NULL, "{}", 2), MT5_EBADREPLY);
    char *huge = s_padded("{\"status\":\"ok\"", "}", MT5_MAX_FRAME + 1);
    assert_int_equal(mt5_proto_decode_reply(&r, huge, MT5_MAX_FRAME + 1), MT5_EBADREPLY);
    assert_string_equal(mt5_error_detail(), "reply is larger than 1048576 bytes");
    huge[MT5_MAX_FRAME - 1] = '}';
    assert_int_equal(mt5_proto_decode_reply(&r, huge, MT5_MAX_FRAME), MT5_OK);
    assert_string_equal(r.status, "ok");
    free(huge);
}

/* ---- out of memory ----------------------------------------------------------- */

static long s_alloc_budget = -1; /* allocations left before failing; -1 = no limit */

static void *s_failing_malloc(size_t size)
{
    if (s_alloc_budget == 0)
        return NULL;
    if (s_alloc_budget > 0)
        s_alloc_budget--;
    return malloc(size);
}

static char *s_oom_request(void)
{
    mt5_request_t req = {.action = MT5_ACTION_OPEN,
                         .has =
                             MT5_HAS_REQ_ID | MT5_HAS_COMMENT | MT5_HAS_SIGNATURE | MT5_HAS_MAGIC,
                         .req_id = "o",
                         .symbol = "EURUSD",
                         .side = MT5_SIDE_BUY,
                         .volume = 1,
                         .magic = 1000000000000000,
                         .comment = "c",
                         .risk_signature = "s"};
    return mt5_proto_encode_request(&req);
}
static char *s_oom_error(void)
{
    return mt5_proto_reply_error(MT5_WIRE_RISK_REJECTED, "r", "m");
}
static char *s_oom_ping(void)
{
    int64_t ts = 1;
    return mt5_proto_reply_ping("p", 2, &ts);
}
static char *s_oom_open(void)
{
    return mt5_proto_reply_open("o", &s_fill);
}
static char *s_oom_close(void)
{
    return mt5_proto_reply_close("c", &s_close);
}
static char *s_oom_account(void)
{
    return mt5_proto_reply_account("a", &s_account);
}
static char *s_oom_positions(void)
{
    return mt5_proto_reply_positions("g", s_positions, 2);
}
static char *s_oom_duplicate(void)
{
    return mt5_proto_reply_mark_duplicate("{\"status\":\"ok\",\"ticket\":5}");
}
static char *s_oom_heartbeat(void)
{
    mt5_stream_hdr_t hdr = s_hdr;
    hdr.seq = UINT64_MAX;
    return mt5_proto_stream_heartbeat(&hdr);
}
static char *s_oom_stream_account(void)
{
    return mt5_proto_stream_account(&s_hdr, &s_account);
}
static char *s_oom_stream_position(void)
{
    return mt5_proto_stream_position(&s_hdr, &s_positions[0], true);
}
static char *s_oom_stream_fill(void)
{
    double profit = 1;
    return mt5_proto_stream_fill(&s_hdr, MT5_ACTION_CLOSE, "c", &s_fill, &profit);
}

static void test_proto__encoders_out_of_memory(void **state)
{
    (void)state;
    static const struct {
        char *(*make)(void);
        const char *want;
    } rows[] = {
        {s_oom_request, "{\"action\":\"OPEN\",\"req_id\":\"o\",\"symbol\":\"EURUSD\","
                        "\"side\":\"BUY\",\"volume\":1,\"magic\":1000000000000000,"
                        "\"comment\":\"c\",\"risk_signature\":\"s\"}"},
        {s_oom_error, "{\"status\":\"REJECTED\",\"error_code\":\"RISK_REJECTED\","
                      "\"message\":\"m\",\"req_id\":\"r\"}"},
        {s_oom_ping, "{\"status\":\"ok\",\"req_id\":\"p\",\"action\":\"PING\","
                     "\"server_time_ms\":2,\"ts\":1}"},
        {s_oom_open,
         "{\"status\":\"ok\",\"req_id\":\"o\"," FILL_JSON ",\"time_ms\":1700000000123}"},
        {s_oom_close, "{\"status\":\"ok\",\"req_id\":\"c\",\"ticket\":123456789,\"volume\":0.05,"
                      "\"price\":1.0901,\"profit\":-12.5}"},
        {s_oom_account, "{\"status\":\"ok\",\"req_id\":\"a\"," ACCOUNT_JSON "}"},
        {s_oom_positions,
         "{\"status\":\"ok\",\"req_id\":\"g\",\"positions\":[{" POS0_JSON "},{" POS1_JSON "}]}"},
        {s_oom_duplicate, "{\"status\":\"ok\",\"ticket\":5,\"duplicate\":true}"},
        {s_oom_heartbeat, "{\"seq\":18446744073709551615,"
                          "\"boot_id\":\"0123456789abcdef0123456789abcdef\","
                          "\"time_ms\":1700000000123}"},
        {s_oom_stream_account, "{" HDR_JSON "," ACCOUNT_JSON "}"},
        {s_oom_stream_position, "{" HDR_JSON "," POS0_JSON ",\"state\":\"closed\"}"},
        {s_oom_stream_fill,
         "{" HDR_JSON ",\"event\":\"CLOSE\",\"req_id\":\"c\"," FILL_JSON ",\"profit\":1}"},
    };
    mt5_json_set_allocator(s_failing_malloc, free);
    for (size_t i = 0; i < N_ELEMS(rows); i++) {
        long budget = 0;
        char *out = NULL;
        for (; budget < 200; budget++) {
            s_alloc_budget = budget;
            out = rows[i].make();
            if (out)
                break;
        }
        s_alloc_budget = -1;
        if (!out)
            fail_msg("row %zu never succeeded", i);
        assert_true(budget > 0); /* at least one failure was injected and survived */
        assert_string_equal(out, rows[i].want);
        free(out);
    }

    /* the decoders fail cleanly too */
    const char *json = "{\"action\":\"PING\",\"req_id\":\"r1\"}";
    mt5_request_t req;
    char msg[MT5_MESSAGE_MAX];
    s_alloc_budget = 0;
    assert_int_equal(s_decode_text(&req, json, msg), MT5_WIRE_BAD_REQUEST);
    assert_string_equal(msg, "request is not valid JSON");
    mt5_reply_t r;
    assert_int_equal(mt5_proto_decode_reply(&r, "{\"status\":\"ok\"}", 15), MT5_EBADREPLY);
    s_alloc_budget = -1;
    mt5_json_set_allocator(NULL, NULL);
    assert_int_equal(s_decode_text(&req, json, msg), MT5_WIRE_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proto__names),
        cmocka_unit_test(test_proto__wire_code_parse),
        cmocka_unit_test(test_proto__decode_accepts_good_requests),
        cmocka_unit_test(test_proto__decode_hello),
        cmocka_unit_test(test_proto__decode_signature_length),
        cmocka_unit_test(test_proto__decode_rejects_bad_requests),
        cmocka_unit_test(test_proto__decode_size_limit),
        cmocka_unit_test(test_proto__decode_deep_nesting),
        cmocka_unit_test(test_proto__decode_many_keys),
        cmocka_unit_test(test_proto__decode_message_buffer),
        cmocka_unit_test(test_proto__encode_request_round_trip),
        cmocka_unit_test(test_proto__encode_request_fields_by_action),
        cmocka_unit_test(test_proto__reply_error),
        cmocka_unit_test(test_proto__reply_ok),
        cmocka_unit_test(test_proto__reply_integers_exact),
        cmocka_unit_test(test_proto__reply_mark_duplicate),
        cmocka_unit_test(test_proto__stream_bodies),
        cmocka_unit_test(test_proto__decode_reply_kinds),
        cmocka_unit_test(test_proto__decode_reply_lenient_parts),
        cmocka_unit_test(test_proto__decode_reply_rejects),
        cmocka_unit_test(test_proto__encoders_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
