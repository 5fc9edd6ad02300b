/*  proto.c - the bridge wire protocol codec (docs/protocol.md, sections 2-4, 7).
 *
 *  This is the one place in libcore that knows the wire protocol's JSON.
 *  Requests come from the network, so decoding is strict and
 *  deterministic: a raw-byte scan first (size, NUL, strict UTF-8, the parts of
 *  the JSON grammar the parser is lenient about), then mt5/json.h, then the
 *  checks of the protocol in one fixed order, so the same bad frame always
 *  gets the same code and the same message naming the same field. The decoder
 *  sits on the gateway's hot path: it makes a fixed number of passes over the
 *  parsed object's few keys and copies only the strings the request struct
 *  keeps. Besides the parsed tree it allocates only for an object of more
 *  than S_DUP_PAIRWISE_MAX keys (never a valid request), whose duplicate-key
 *  check sorts a malloc'ed array of the keys.
 *
 *  Encoders build a throw-away JSON tree whose keys and string values point
 *  at the caller's memory (the *_ref builders: no copies), print it
 *  unformatted and free it.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mt5/error.h"
#include "mt5/json.h"
#include "mt5/proto.h"

/* Integers travel as JSON numbers, i.e. doubles: beyond 2^53 a double no
 * longer holds every integer, so a larger value could silently change. */
#define S_INT_LIMIT 9007199254740992.0
#define S_INT_LIMIT_TEXT "9007199254740992"

/* Objects with at most this many keys are checked for duplicate keys by
 * comparing every pair; larger ones (always invalid, but a 64 KiB frame holds
 * thousands of keys) are sorted, so a hostile frame costs n log n. */
#define S_DUP_PAIRWISE_MAX 64

/* Field names echoed into messages are cut to this many bytes. */
#define S_ECHO_MAX 32

/* ---- names ------------------------------------------------------------- */

static const char *const s_action_names[] = {
    [MT5_ACTION_NONE] = NULL,
    [MT5_ACTION_HELLO] = "HELLO",
    [MT5_ACTION_PING] = "PING",
    [MT5_ACTION_OPEN] = "OPEN",
    [MT5_ACTION_CLOSE] = "CLOSE",
    [MT5_ACTION_GET_ACCOUNT] = "GET_ACCOUNT",
    [MT5_ACTION_GET_POSITIONS] = "GET_POSITIONS",
};

static const char *const s_code_names[MT5_WIRE_CODE_COUNT] = {
    [MT5_WIRE_OK] = NULL,
    [MT5_WIRE_BAD_REQUEST] = "BAD_REQUEST",
    [MT5_WIRE_TOO_LARGE] = "TOO_LARGE",
    [MT5_WIRE_UNSUPPORTED_VERSION] = "UNSUPPORTED_VERSION",
    [MT5_WIRE_UNKNOWN_ACTION] = "UNKNOWN_ACTION",
    [MT5_WIRE_MISSING_SIGNATURE] = "MISSING_SIGNATURE",
    [MT5_WIRE_INVALID_SIGNATURE] = "INVALID_SIGNATURE",
    [MT5_WIRE_EXPIRED_SIGNATURE] = "EXPIRED_SIGNATURE",
    [MT5_WIRE_REQ_ID_REUSED] = "REQ_ID_REUSED",
    [MT5_WIRE_RISK_REJECTED] = "RISK_REJECTED",
    [MT5_WIRE_UNKNOWN_TICKET] = "UNKNOWN_TICKET",
    [MT5_WIRE_BACKEND_ERROR] = "BACKEND_ERROR",
};

const char *mt5_action_name(mt5_action action)
{
    if ((unsigned)action >= sizeof s_action_names / sizeof s_action_names[0])
        return NULL;
    return s_action_names[action];
}

const char *mt5_wire_code_name(mt5_wire_code code)
{
    if ((unsigned)code >= MT5_WIRE_CODE_COUNT)
        return NULL;
    return s_code_names[code];
}

const char *mt5_side_name(mt5_side side)
{
    switch (side) {
    case MT5_SIDE_BUY:
        return "BUY";
    case MT5_SIDE_SELL:
        return "SELL";
    default:
        return NULL;
    }
}

const char *mt5_wire_status(mt5_wire_code code)
{
    switch (code) {
    case MT5_WIRE_OK:
        return "ok";
    case MT5_WIRE_MISSING_SIGNATURE:
    case MT5_WIRE_INVALID_SIGNATURE:
    case MT5_WIRE_EXPIRED_SIGNATURE:
    case MT5_WIRE_REQ_ID_REUSED:
    case MT5_WIRE_RISK_REJECTED:
    case MT5_WIRE_UNKNOWN_TICKET:
        return "REJECTED";
    default:
        return "error";
    }
}

int mt5_wire_code_parse(mt5_wire_code *out, const char *name)
{
    if (name) {
        for (int code = MT5_WIRE_BAD_REQUEST; code < MT5_WIRE_CODE_COUNT; code++) {
            if (strcmp(name, s_code_names[code]) == 0) {
                *out = (mt5_wire_code)code;
                return MT5_OK;
            }
        }
    }
    return mt5_error_set(MT5_ENOTFOUND, "unknown wire error code '%.32s'", name ? name : "");
}

/* ---- the request fields ---------------------------------------------------
 *
 * The order of this enum is the order in which the decoder checks fields, so
 * it decides which message a frame with several faults gets: the common
 * fields, then each action's own fields in the order of section 3's table.
 * (One order serves every action: OPEN's fields and CLOSE's fields, each
 * taken in this order, follow the table.)
 */
typedef enum {
    F_V,
    F_ACTION,
    F_REQ_ID,
    F_TS,
    F_SYMBOL,
    F_SIDE,
    F_TICKET,
    F_VOLUME,
    F_PRICE,
    F_SL,
    F_TP,
    F_MAGIC,
    F_COMMENT,
    F_SIGNATURE,
    F_COUNT
} s_field;

#define S_BIT(f) (1u << (f))

static const struct {
    const char *name; /* the JSON key */
    unsigned has;     /* the MT5_HAS_* bit it sets, 0 for none */
    const char *rule; /* completes "field 'x' must be ..." */
} s_fields[F_COUNT] = {
    [F_V] = {"v", 0, "an integer"},
    [F_ACTION] = {"action", 0, "a string"},
    [F_REQ_ID] = {"req_id", MT5_HAS_REQ_ID, "a string of 1-64 characters [A-Za-z0-9_.:-]"},
    [F_TS] = {"ts", MT5_HAS_TS, "an integer from 0 to " S_INT_LIMIT_TEXT},
    [F_SYMBOL] = {"symbol", MT5_HAS_SYMBOL, "a string of 1-32 characters [A-Za-z0-9._#-]"},
    [F_SIDE] = {"side", MT5_HAS_SIDE, "BUY or SELL"},
    [F_TICKET] = {"ticket", MT5_HAS_TICKET, "an integer from 1 to " S_INT_LIMIT_TEXT},
    [F_VOLUME] = {"volume", MT5_HAS_VOLUME, "a number > 0"},
    [F_PRICE] = {"price", MT5_HAS_PRICE, "a number >= 0"},
    [F_SL] = {"sl", MT5_HAS_SL, "a number >= 0"},
    [F_TP] = {"tp", MT5_HAS_TP, "a number >= 0"},
    [F_MAGIC] = {"magic", MT5_HAS_MAGIC, "an integer from 0 to " S_INT_LIMIT_TEXT},
    [F_COMMENT] = {"comment", MT5_HAS_COMMENT, "a string of at most 31 bytes"},
    [F_SIGNATURE] = {"risk_signature", MT5_HAS_SIGNATURE, "a string"},
};

#define S_COMMON (S_BIT(F_V) | S_BIT(F_ACTION) | S_BIT(F_REQ_ID))

/* What each JSON action accepts and needs (indexed by mt5_action). */
static const struct {
    unsigned allowed;
    unsigned required;
} s_specs[] = {
    [MT5_ACTION_PING] = {S_COMMON | S_BIT(F_TS), 0},
    [MT5_ACTION_OPEN] = {S_COMMON | S_BIT(F_SYMBOL) | S_BIT(F_SIDE) | S_BIT(F_VOLUME) |
                             S_BIT(F_PRICE) | S_BIT(F_SL) | S_BIT(F_TP) | S_BIT(F_MAGIC) |
                             S_BIT(F_COMMENT) | S_BIT(F_SIGNATURE),
                         S_BIT(F_REQ_ID) | S_BIT(F_SYMBOL) | S_BIT(F_SIDE) | S_BIT(F_VOLUME)},
    [MT5_ACTION_CLOSE] = {S_COMMON | S_BIT(F_TICKET) | S_BIT(F_VOLUME) | S_BIT(F_SIGNATURE),
                          S_BIT(F_REQ_ID) | S_BIT(F_TICKET)},
    [MT5_ACTION_GET_ACCOUNT] = {S_COMMON, 0},
    [MT5_ACTION_GET_POSITIONS] = {S_COMMON, 0},
};

static s_field s_field_lookup(const char *key)
{
    for (int f = 0; f < F_COUNT; f++)
        if (strcmp(key, s_fields[f].name) == 0)
            return (s_field)f;
    return F_COUNT;
}

/* Only these are JSON actions; "HELLO" is the raw handshake, never a value. */
static mt5_action s_action_lookup(const char *name)
{
    for (int a = MT5_ACTION_PING; a <= MT5_ACTION_GET_POSITIONS; a++)
        if (strcmp(name, s_action_names[a]) == 0)
            return (mt5_action)a;
    return MT5_ACTION_NONE;
}

/* ---- messages ------------------------------------------------------------ */

/* Cut a NUL-terminated UTF-8 string of n bytes back to a character boundary,
 * so truncation never leaves half a character for the JSON encoder. */
static void s_utf8_trim(char *s, size_t n)
{
    size_t start = n;
    while (start > 0 && ((unsigned char)s[start - 1] & 0xC0) == 0x80)
        start--;
    if (start == 0)
        return;
    unsigned char lead = (unsigned char)s[start - 1];
    size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (n - (start - 1) < want)
        s[start - 1] = '\0';
}

/* Format the failure message into msg and return code. */
__attribute__((format(printf, 4, 5))) static mt5_wire_code
s_fail(char *msg, size_t cap, mt5_wire_code code, const char *fmt, ...)
{
    if (msg && cap) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(msg, cap, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n >= cap)
            s_utf8_trim(msg, cap - 1);
    }
    return code;
}

/* Copy a client-chosen name into a message: at most S_ECHO_MAX bytes, cut at
 * a character boundary and marked with "...", control characters shown as
 * '?' so a key cannot forge a line in a log that prints the message. */
static const char *s_echo(char buf[S_ECHO_MAX + 4], const char *name)
{
    size_t n = strlen(name);
    bool cut = n > S_ECHO_MAX;
    if (cut)
        n = S_ECHO_MAX;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        buf[i] = (c < 0x20 || c == 0x7F) ? '?' : (char)c;
    }
    buf[n] = '\0';
    if (cut) {
        s_utf8_trim(buf, n);
        n = strlen(buf);
        memcpy(buf + n, "...", 4);
    }
    return buf;
}

/* ---- the raw-byte scan ----------------------------------------------------- */

typedef enum { S_SCAN_OK, S_SCAN_NUL, S_SCAN_UTF8, S_SCAN_JSON } s_scan_result;

static bool s_is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* True if p[0..n) is exactly one number of the JSON grammar:
 * -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?  (cJSON also takes 01, 1., .5) */
static bool s_json_number_ok(const unsigned char *p, size_t n)
{
    size_t i = 0;
    if (i < n && p[i] == '-')
        i++;
    if (i < n && p[i] == '0')
        i++;
    else if (i < n && s_is_digit(p[i]))
        while (i < n && s_is_digit(p[i]))
            i++;
    else
        return false;
    if (i < n && p[i] == '.') {
        size_t first = ++i;
        while (i < n && s_is_digit(p[i]))
            i++;
        if (i == first)
            return false;
    }
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        if (i < n && (p[i] == '+' || p[i] == '-'))
            i++;
        size_t first = i;
        while (i < n && s_is_digit(p[i]))
            i++;
        if (i == first)
            return false;
    }
    return i == n;
}

static bool s_is_number_char(unsigned char c)
{
    return s_is_digit(c) || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

/*  One pass over the raw bytes, before the parser (cJSON, behind mt5/json.h)
 *  sees them. It checks what cJSON does not: strict UTF-8 (Unicode table 3-7:
 *  no overlong forms, surrogates, code points above U+10FFFF, truncated
 *  sequences or stray continuation bytes), control characters (cJSON skips
 *  any byte <= 0x20 as whitespace and takes them raw inside strings), a
 *  leading byte order mark (cJSON skips it), the number grammar, and the
 *  escape \u0000, which cJSON decodes into a NUL that silently cuts the C
 *  string short ("EURUSD\u0000x" would read as "EURUSD"). It tracks just
 *  enough state (inside a string or not) to tell where each rule applies; for
 *  a frame that is not JSON at all the state may be wrong, but cJSON rejects
 *  such a frame anyway. */
static s_scan_result s_scan(const unsigned char *p, size_t len)
{
    if (memchr(p, 0, len))
        return S_SCAN_NUL;
    bool in_string = false;
    bool nul_escape = false;
    bool bad_json = len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF;
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        if (c < 0x80) {
            if (c < 0x20) {
                if (in_string || (c != '\t' && c != '\n' && c != '\r'))
                    bad_json = true;
                i++;
            } else if (in_string) {
                if (c == '"') {
                    in_string = false;
                } else if (c == '\\' && i + 1 < len && p[i + 1] < 0x80) {
                    if (p[i + 1] == 'u' && len - i >= 6 && memcmp(p + i + 2, "0000", 4) == 0)
                        nul_escape = true;
                    i++; /* the escaped character is no string delimiter */
                }
                i++;
            } else if (c == '"') {
                in_string = true;
                i++;
            } else if (c == '-' || s_is_digit(c)) {
                size_t start = i;
                while (i < len && s_is_number_char(p[i]))
                    i++;
                if (!s_json_number_ok(p + start, i - start))
                    bad_json = true;
            } else {
                i++;
            }
            continue;
        }
        size_t more;                        /* continuation bytes that follow */
        unsigned char lo = 0x80, hi = 0xBF; /* range of the first of them */
        if (c >= 0xC2 && c <= 0xDF) {
            more = 1;
        } else if (c == 0xE0) {
            more = 2;
            lo = 0xA0; /* below: overlong */
        } else if (c == 0xED) {
            more = 2;
            hi = 0x9F; /* above: surrogates D800-DFFF */
        } else if (c >= 0xE1 && c <= 0xEF) {
            more = 2;
        } else if (c == 0xF0) {
            more = 3;
            lo = 0x90; /* below: overlong */
        } else if (c >= 0xF1 && c <= 0xF3) {
            more = 3;
        } else if (c == 0xF4) {
            more = 3;
            hi = 0x8F; /* above: beyond U+10FFFF */
        } else {
            return S_SCAN_UTF8; /* continuation byte, C0, C1, F5-FF */
        }
        if (len - i - 1 < more || p[i + 1] < lo || p[i + 1] > hi)
            return S_SCAN_UTF8;
        for (size_t k = 2; k <= more; k++)
            if ((p[i + k] & 0xC0) != 0x80)
                return S_SCAN_UTF8;
        if (!in_string)
            bad_json = true; /* only strings may hold non-ASCII */
        i += more + 1;
    }
    if (nul_escape)
        return S_SCAN_NUL;
    return bad_json ? S_SCAN_JSON : S_SCAN_OK;
}

/* Scan, then parse exactly len bytes: one JSON value and nothing after it but
 * JSON whitespace. Returns the tree (caller destroys) or NULL with *why set. */
static mt5_json_t *s_parse(const void *data, size_t len, s_scan_result *why)
{
    *why = s_scan(data, len);
    if (*why != S_SCAN_OK)
        return NULL;
    mt5_json_t *root = mt5_json_parse(data, len);
    if (!root)
        *why = S_SCAN_JSON;
    return root;
}

/* ---- duplicate keys ------------------------------------------------------------ */

typedef struct {
    const char *name;
    size_t index; /* position in the object */
} s_key;

static int s_key_cmp(const void *a, const void *b)
{
    const s_key *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

/*  Find the key whose repetition comes first in the object, so the message
 *  is the same whichever way it is searched. Returns 1 and sets *name, 0 if
 *  all keys differ, -1 if out of memory. */
static int s_find_duplicate(const mt5_json_t *object, const char **name)
{
    size_t n = mt5_json_size(object);
    const mt5_json_t *head = mt5_json_first(object);
    if (n <= S_DUP_PAIRWISE_MAX) {
        for (const mt5_json_t *c = head; c; c = mt5_json_next(c)) {
            const char *key = mt5_json_key(c);
            for (const mt5_json_t *e = head; e != c; e = mt5_json_next(e))
                if (strcmp(mt5_json_key(e), key) == 0) {
                    *name = key;
                    return 1;
                }
        }
        return 0;
    }
    s_key *keys = malloc(n * sizeof *keys);
    if (!keys)
        return -1;
    size_t i = 0;
    for (const mt5_json_t *c = head; c; c = mt5_json_next(c), i++)
        keys[i] = (s_key){mt5_json_key(c), i};
    qsort(keys, n, sizeof *keys, s_key_cmp);
    /* In a run of equal names sorted by position, every entry after the
     * first is a repetition; the earliest repetition overall wins. */
    const s_key *first = NULL;
    for (i = 1; i < n; i++)
        if (strcmp(keys[i].name, keys[i - 1].name) == 0 && (!first || keys[i].index < first->index))
            first = &keys[i];
    if (first)
        *name = first->name;
    free(keys);
    return first != NULL;
}

/* ---- field values ---------------------------------------------------------------- */

/* An integral JSON number within +-2^53. */
static bool s_get_int(const mt5_json_t *item, int64_t *out)
{
    double d = mt5_json_number(item); /* NAN, failing the test below, if not a number */
    if (!(fabs(d) <= S_INT_LIMIT) || (double)(int64_t)d != d)
        return false;
    *out = (int64_t)d;
    return true;
}

/* A finite JSON number (the parser turns 1e999 into infinity). */
static bool s_get_number(const mt5_json_t *item, double *out)
{
    double d = mt5_json_number(item);
    if (!isfinite(d))
        return false;
    *out = d;
    return true;
}

/* 1 to max ASCII characters, each a letter, a digit or one of extra. */
static bool s_is_token(const char *s, size_t max, const char *extra)
{
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  strchr(extra, c) != NULL;
        if (!ok || n == max)
            return false;
    }
    return n > 0;
}

bool mt5_proto_symbol_valid(const char *symbol)
{
    return symbol && s_is_token(symbol, MT5_SYMBOL_MAX, "._#-");
}

/* Check one action field and store it in req; false if it breaks its rule. */
static bool s_take_field(mt5_request_t *req, s_field f, const mt5_json_t *item)
{
    const char *s = mt5_json_string(item);
    size_t n;
    switch (f) {
    case F_TS:
        return s_get_int(item, &req->ts) && req->ts >= 0;
    case F_SYMBOL:
        if (!s || !mt5_proto_symbol_valid(s))
            return false;
        memcpy(req->symbol, s, strlen(s) + 1);
        return true;
    case F_SIDE:
        if (s && strcmp(s, "BUY") == 0)
            req->side = MT5_SIDE_BUY;
        else if (s && strcmp(s, "SELL") == 0)
            req->side = MT5_SIDE_SELL;
        return req->side != MT5_SIDE_NONE;
    case F_TICKET:
        return s_get_int(item, &req->ticket) && req->ticket > 0;
    case F_VOLUME:
        return s_get_number(item, &req->volume) && req->volume > 0;
    case F_PRICE:
        return s_get_number(item, &req->price) && req->price >= 0;
    case F_SL:
        return s_get_number(item, &req->sl) && req->sl >= 0;
    case F_TP:
        return s_get_number(item, &req->tp) && req->tp >= 0;
    case F_MAGIC:
        return s_get_int(item, &req->magic) && req->magic >= 0;
    case F_COMMENT:
        if (!s || (n = strlen(s)) > MT5_COMMENT_MAX)
            return false;
        memcpy(req->comment, s, n + 1);
        return true;
    case F_SIGNATURE:
        if (!s)
            return false;
        /* An over-long signature can never be valid; keeping "" (with the
         * HAS bit) lets the gateway answer INVALID_SIGNATURE, not MISSING. */
        n = strlen(s);
        if (n <= MT5_SIGNATURE_MAX)
            memcpy(req->risk_signature, s, n + 1);
        return true;
    default:
        return false; /* common fields are checked by the caller */
    }
}

/* ---- decode ------------------------------------------------------------------------ */

/*  The checks after parsing, in the documented order. root is an object. */
static mt5_wire_code s_decode_object(mt5_request_t *req, const mt5_json_t *root, char *msg,
                                     size_t cap)
{
    char echo[S_ECHO_MAX + 4];
    const char *name = NULL;
    int dup = s_find_duplicate(root, &name);
    if (dup < 0)
        return s_fail(msg, cap, MT5_WIRE_BACKEND_ERROR, "out of memory");
    if (dup > 0)
        return s_fail(msg, cap, MT5_WIRE_BAD_REQUEST, "duplicate field '%s'", s_echo(echo, name));

    const mt5_json_t *f[F_COUNT] = {0};
    for (const mt5_json_t *c = mt5_json_first(root); c; c = mt5_json_next(c)) {
        s_field id = s_field_lookup(mt5_json_key(c));
        if (id != F_COUNT)
            f[id] = c;
    }

    if (f[F_REQ_ID]) {
        const char *s = mt5_json_string(f[F_REQ_ID]);
        if (!s || !s_is_token(s, MT5_REQ_ID_MAX, "_.:-"))
            return s_fail(msg, cap, MT5_WIRE_BAD_REQUEST, "field 'req_id' must be %s",
                          s_fields[F_REQ_ID].rule);
        memcpy(req->req_id, s, strlen(s) + 1);
        req->has |= MT5_HAS_REQ_ID;
    }

    if (f[F_V]) {
        int64_t v;
        if (!s_get_int(f[F_V], &v))
            return s_fail(msg, cap, MT5_WIRE_BAD_REQUEST, "field 'v' must be an integer");
        if (v != MT5_PROTO_VERSION)
            return s_fail(msg, cap, MT5_WIRE_UNSUPPORTED_VERSION,
                          "unsupported protocol version %lld (this gateway speaks %d)",
                          (long long)v, MT5_PROTO_VERSION);
    }

    if (!f[F_ACTION])
        return s_fail(msg, cap, MT5_WIRE_BAD_REQUEST, "missing field 'action'");
    const char *action_text = mt5_json_string(f[F_ACTION]);
    if (!action_text)
        return s_fail(msg, cap, MT5_WIRE_BAD_REQUEST, "field 'action' must be a string");
    mt5_action action = s_action_lookup(action_text);
    if (action == MT5_ACTION_NONE)
        return s_fail(msg, cap, MT5_WIRE_UNKNOWN_ACTION, "unknown action '%s'",
                      s_echo(echo, action_text));
    const char *aname = s_action_names[action];

    unsigned allowed = s_specs[action].allowed;
    for (const mt5_json_t *c = mt5_json_first(root); c; c = mt5_json_next(c)) {
        s_field id = s_field_lookup(mt5_json_key(c));
        if (id == F_COUNT || !(allowed & S_BIT(id)))
            return s_fail(msg, cap, MT5_WIRE_BAD_REQUEST, "unknown field '%s' for %s",
                          s_echo(echo, mt5_json_key(c)), aname);
    }

    unsigned required = s_specs[action].required;
    for (int id = F_REQ_ID; id < F_COUNT; id++) {
        if (!(allowed & S_BIT(id)))
            continue;
        if (!f[id]) {
            if (required & S_BIT(id))
                return s_fail(msg, cap, MT5_WIRE_BAD_REQUEST, "missing field '%s' for %s",
                              s_fields[id].name, aname);
            continue;
        }
        if (id == F_REQ_ID)
            continue; /* already checked and stored */
        if (!s_take_field(req, (s_field)id, f[id]))
            return s_fail(msg, cap, MT5_WIRE_BAD_REQUEST, "field '%s' must be %s",
                          s_fields[id].name, s_fields[id].rule);
        req->has |= s_fields[id].has;
    }
    req->action = action;
    return MT5_WIRE_OK;
}

mt5_wire_code mt5_proto_decode(mt5_request_t *req, const void *data, size_t len, char *msg,
                               size_t msgcap)
{
    if (msg && msgcap)
        msg[0] = '\0';
    if (!req)
        return s_fail(msg, msgcap, MT5_WIRE_BACKEND_ERROR, "no request to decode into");
    memset(req, 0, sizeof *req);
    if (len > MT5_MAX_REQUEST)
        return s_fail(msg, msgcap, MT5_WIRE_TOO_LARGE, "request is larger than %d bytes",
                      MT5_MAX_REQUEST);
    if (len == 0 || !data)
        return s_fail(msg, msgcap, MT5_WIRE_BAD_REQUEST, "empty request");
    if (len == sizeof MT5_HELLO - 1 && memcmp(data, MT5_HELLO, len) == 0) {
        req->action = MT5_ACTION_HELLO;
        return MT5_WIRE_OK;
    }

    s_scan_result why;
    mt5_json_t *root = s_parse(data, len, &why);
    if (why == S_SCAN_NUL)
        return s_fail(msg, msgcap, MT5_WIRE_BAD_REQUEST, "request contains a NUL character");
    if (why == S_SCAN_UTF8)
        return s_fail(msg, msgcap, MT5_WIRE_BAD_REQUEST, "request is not valid UTF-8");
    if (!root)
        return s_fail(msg, msgcap, MT5_WIRE_BAD_REQUEST, "request is not valid JSON");

    mt5_wire_code code;
    if (mt5_json_kind_of(root) == MT5_JSON_OBJECT)
        code = s_decode_object(req, root, msg, msgcap);
    else
        code = s_fail(msg, msgcap, MT5_WIRE_BAD_REQUEST, "request is not a JSON object");
    mt5_json_destroy(&root);

    if (code != MT5_WIRE_OK) {
        /* Keep only what the error reply echoes, so no half-decoded field
         * can be mistaken for a checked one. */
        char req_id[MT5_REQ_ID_MAX + 1];
        unsigned has = req->has & MT5_HAS_REQ_ID;
        memcpy(req_id, req->req_id, sizeof req_id);
        memset(req, 0, sizeof *req);
        memcpy(req->req_id, req_id, sizeof req_id);
        req->has = has;
    }
    return code;
}

/* ---- encode helpers ------------------------------------------------------------
 *
 * Keys are string literals and string values are the caller's memory, which
 * outlives the tree: it is printed and freed before the encoder returns, so
 * both are attached by reference (the *_ref builders), never copied.
 */

static bool s_str(mt5_json_t *object, const char *key, const char *value)
{
    return mt5_json_add_string_ref(object, key, value ? value : "") == MT5_OK;
}

static bool s_num(mt5_json_t *object, const char *key, double value)
{
    return mt5_json_add_number_ref(object, key, value) == MT5_OK;
}

/* Exact at every size, also past 15 digits (see mt5/json.h). */
static bool s_int(mt5_json_t *object, const char *key, int64_t value)
{
    return mt5_json_add_int_ref(object, key, value) == MT5_OK;
}

/* A side the caller left unset is written as "", never as a valid side. */
static const char *s_side(mt5_side side)
{
    const char *name = mt5_side_name(side);
    return name ? name : "";
}

/* Print and free the tree; NULL (and the tree freed) if building failed. */
static char *s_finish(mt5_json_t *root, bool ok)
{
    char *out = ok ? mt5_json_print(root, false) : NULL;
    mt5_json_destroy(&root);
    return out;
}

/* The head every reply starts with: status, error_code and message for a
 * non-ok reply, then req_id when there is one. */
static mt5_json_t *s_reply_head(mt5_wire_code code, const char *req_id, const char *message)
{
    mt5_json_t *root = mt5_json_object();
    bool ok = root && s_str(root, "status", mt5_wire_status(code));
    if (ok && code != MT5_WIRE_OK)
        ok = s_str(root, "error_code", mt5_wire_code_name(code)) && s_str(root, "message", message);
    if (ok && req_id && req_id[0])
        ok = s_str(root, "req_id", req_id);
    if (!ok)
        mt5_json_destroy(&root);
    return root;
}

static bool s_add_account(mt5_json_t *o, const mt5_account_t *a)
{
    return s_int(o, "login", a->login) && s_num(o, "balance", a->balance) &&
           s_num(o, "equity", a->equity) && s_num(o, "margin", a->margin) &&
           s_num(o, "free_margin", a->free_margin) && s_str(o, "currency", a->currency) &&
           s_int(o, "leverage", a->leverage);
}

static bool s_add_position(mt5_json_t *o, const mt5_position_t *p)
{
    return s_int(o, "ticket", p->ticket) && s_str(o, "symbol", p->symbol) &&
           s_str(o, "side", s_side(p->side)) && s_num(o, "volume", p->volume) &&
           s_num(o, "open_price", p->open_price) && s_num(o, "sl", p->sl) &&
           s_num(o, "tp", p->tp) && s_num(o, "profit", p->profit);
}

/* ---- request encoder -------------------------------------------------------------- */

char *mt5_proto_encode_request(const mt5_request_t *req)
{
    if (!req || req->action < MT5_ACTION_PING || req->action > MT5_ACTION_GET_POSITIONS)
        return NULL;
    mt5_json_t *root = mt5_json_object();
    bool ok = root && s_str(root, "action", s_action_names[req->action]);
    if (ok && (req->has & MT5_HAS_REQ_ID))
        ok = s_str(root, "req_id", req->req_id);
    unsigned allowed = s_specs[req->action].allowed;
    unsigned required = s_specs[req->action].required;
    for (int id = F_TS; ok && id < F_COUNT; id++) {
        if (!(allowed & S_BIT(id)) || (!(required & S_BIT(id)) && !(req->has & s_fields[id].has)))
            continue;
        const char *key = s_fields[id].name;
        switch ((s_field)id) {
        case F_TS:
            ok = s_int(root, key, req->ts);
            break;
        case F_SYMBOL:
            ok = s_str(root, key, req->symbol);
            break;
        case F_SIDE:
            ok = s_str(root, key, s_side(req->side));
            break;
        case F_TICKET:
            ok = s_int(root, key, req->ticket);
            break;
        case F_VOLUME:
            ok = s_num(root, key, req->volume);
            break;
        case F_PRICE:
            ok = s_num(root, key, req->price);
            break;
        case F_SL:
            ok = s_num(root, key, req->sl);
            break;
        case F_TP:
            ok = s_num(root, key, req->tp);
            break;
        case F_MAGIC:
            ok = s_int(root, key, req->magic);
            break;
        case F_COMMENT:
            ok = s_str(root, key, req->comment);
            break;
        default: /* F_SIGNATURE, the last field */
            ok = s_str(root, key, req->risk_signature);
            break;
        }
    }
    return root ? s_finish(root, ok) : NULL;
}

/* ---- reply encoders ----------------------------------------------------------------- */

char *mt5_proto_reply_error(mt5_wire_code code, const char *req_id, const char *message)
{
    if (code <= MT5_WIRE_OK || code >= MT5_WIRE_CODE_COUNT)
        return NULL; /* not an error code: a caller bug, not a reply */
    mt5_json_t *root = s_reply_head(code, req_id, message);
    return root ? s_finish(root, true) : NULL;
}

char *mt5_proto_reply_ping(const char *req_id, int64_t server_time_ms, const int64_t *ts)
{
    mt5_json_t *root = s_reply_head(MT5_WIRE_OK, req_id, NULL);
    if (!root)
        return NULL;
    bool ok = s_str(root, "action", "PING") && s_int(root, "server_time_ms", server_time_ms);
    if (ok && ts)
        ok = s_int(root, "ts", *ts);
    return s_finish(root, ok);
}

char *mt5_proto_reply_open(const char *req_id, const mt5_fill_t *fill)
{
    mt5_json_t *root = fill ? s_reply_head(MT5_WIRE_OK, req_id, NULL) : NULL;
    if (!root)
        return NULL;
    bool ok = s_int(root, "ticket", fill->ticket) && s_str(root, "symbol", fill->symbol) &&
              s_str(root, "side", s_side(fill->side)) && s_num(root, "volume", fill->volume) &&
              s_num(root, "price", fill->price) && s_int(root, "time_ms", fill->time_ms);
    return s_finish(root, ok);
}

char *mt5_proto_reply_close(const char *req_id, const mt5_close_t *close)
{
    mt5_json_t *root = close ? s_reply_head(MT5_WIRE_OK, req_id, NULL) : NULL;
    if (!root)
        return NULL;
    bool ok = s_int(root, "ticket", close->ticket) && s_num(root, "volume", close->volume) &&
              s_num(root, "price", close->price) && s_num(root, "profit", close->profit);
    return s_finish(root, ok);
}

char *mt5_proto_reply_account(const char *req_id, const mt5_account_t *account)
{
    mt5_json_t *root = account ? s_reply_head(MT5_WIRE_OK, req_id, NULL) : NULL;
    if (!root)
        return NULL;
    return s_finish(root, s_add_account(root, account));
}

char *mt5_proto_reply_positions(const char *req_id, const mt5_position_t *positions, size_t count)
{
    if (!positions && count)
        return NULL;
    mt5_json_t *root = s_reply_head(MT5_WIRE_OK, req_id, NULL);
    if (!root)
        return NULL;
    /* Each part is filled before it is attached: attaching takes it. */
    mt5_json_t *array = mt5_json_array();
    bool ok = array != NULL;
    for (size_t i = 0; ok && i < count; i++) {
        mt5_json_t *item = mt5_json_object();
        ok = item && s_add_position(item, &positions[i]) &&
             mt5_json_add_ref(array, NULL, &item) == MT5_OK;
        mt5_json_destroy(&item); /* left over only when it was not attached */
    }
    ok = ok && mt5_json_add_ref(root, "positions", &array) == MT5_OK;
    mt5_json_destroy(&array);
    return s_finish(root, ok);
}

char *mt5_proto_reply_mark_duplicate(const char *reply)
{
    if (!reply) {
        mt5_error_set(MT5_EINVAL, "no reply to mark as duplicate");
        return NULL;
    }
    /* Trailing bytes up to 0x20 are taken as white space, as cJSON does for
     * a NUL-terminated text; mt5_json_parse allows only JSON's four. */
    size_t len = strlen(reply);
    while (len > 0 && (unsigned char)reply[len - 1] <= 0x20)
        len--;
    mt5_json_t *root = mt5_json_parse(reply, len);
    if (mt5_json_kind_of(root) != MT5_JSON_OBJECT) {
        mt5_json_destroy(&root);
        mt5_error_set(MT5_EPARSE, "stored reply is not a JSON object");
        return NULL;
    }
    /* Always last, and never twice. */
    mt5_json_remove(root, "duplicate");
    return s_finish(root, mt5_json_add_bool_ref(root, "duplicate", true) == MT5_OK);
}

/* ---- stream encoders ------------------------------------------------------------ */

static mt5_json_t *s_stream_head(const mt5_stream_hdr_t *hdr)
{
    mt5_json_t *root = hdr ? mt5_json_object() : NULL;
    if (root && !(mt5_json_add_uint_ref(root, "seq", hdr->seq) == MT5_OK &&
                  s_str(root, "boot_id", hdr->boot_id) && s_int(root, "time_ms", hdr->time_ms)))
        mt5_json_destroy(&root);
    return root;
}

char *mt5_proto_stream_heartbeat(const mt5_stream_hdr_t *hdr)
{
    mt5_json_t *root = s_stream_head(hdr);
    return root ? s_finish(root, true) : NULL;
}

char *mt5_proto_stream_account(const mt5_stream_hdr_t *hdr, const mt5_account_t *account)
{
    mt5_json_t *root = account ? s_stream_head(hdr) : NULL;
    return root ? s_finish(root, s_add_account(root, account)) : NULL;
}

char *mt5_proto_stream_position(const mt5_stream_hdr_t *hdr, const mt5_position_t *position,
                                bool closed)
{
    mt5_json_t *root = position ? s_stream_head(hdr) : NULL;
    if (!root)
        return NULL;
    bool ok = s_add_position(root, position) && s_str(root, "state", closed ? "closed" : "open");
    return s_finish(root, ok);
}

char *mt5_proto_stream_fill(const mt5_stream_hdr_t *hdr, mt5_action event, const char *req_id,
                            const mt5_fill_t *fill, const double *profit)
{
    if (event != MT5_ACTION_OPEN && event != MT5_ACTION_CLOSE)
        return NULL;
    mt5_json_t *root = fill ? s_stream_head(hdr) : NULL;
    if (!root)
        return NULL;
    /* req_id is always written (a subscriber matches fills to orders by it);
     * profit only on CLOSE, 0 when the caller has none. */
    bool ok = s_str(root, "event", s_action_names[event]) && s_str(root, "req_id", req_id) &&
              s_int(root, "ticket", fill->ticket) && s_str(root, "symbol", fill->symbol) &&
              s_str(root, "side", s_side(fill->side)) && s_num(root, "volume", fill->volume) &&
              s_num(root, "price", fill->price);
    if (ok && event == MT5_ACTION_CLOSE)
        ok = s_num(root, "profit", profit ? *profit : 0.0);
    return s_finish(root, ok);
}

/* ---- reply decoder ------------------------------------------------------------- */

typedef enum { S_R_STR, S_R_INT, S_R_NUM, S_R_BOOL, S_R_ARRAY } s_reply_kind;

/* The size of a field of mt5_reply_t, so the table follows proto.h. */
#define S_REPLY_SIZE(field) sizeof(((mt5_reply_t *)0)->field)

/* The reply fields the client reads, where they go and what they must be. */
static const struct {
    const char *name;
    s_reply_kind kind;
    size_t offset;
    size_t size; /* S_R_STR: the buffer size */
} s_reply_fields[] = {
    {"error_code", S_R_STR, offsetof(mt5_reply_t, error_code), S_REPLY_SIZE(error_code)},
    {"message", S_R_STR, offsetof(mt5_reply_t, message), S_REPLY_SIZE(message)},
    {"req_id", S_R_STR, offsetof(mt5_reply_t, req_id), S_REPLY_SIZE(req_id)},
    {"action", S_R_STR, offsetof(mt5_reply_t, action), S_REPLY_SIZE(action)},
    {"duplicate", S_R_BOOL, offsetof(mt5_reply_t, duplicate), 0},
    {"server_time_ms", S_R_INT, offsetof(mt5_reply_t, server_time_ms), 0},
    {"ts", S_R_INT, offsetof(mt5_reply_t, ts), 0},
    {"ticket", S_R_INT, offsetof(mt5_reply_t, ticket), 0},
    {"volume", S_R_NUM, offsetof(mt5_reply_t, volume), 0},
    {"price", S_R_NUM, offsetof(mt5_reply_t, price), 0},
    {"profit", S_R_NUM, offsetof(mt5_reply_t, profit), 0},
    {"time_ms", S_R_INT, offsetof(mt5_reply_t, time_ms), 0},
    {"login", S_R_INT, offsetof(mt5_reply_t, account.login), 0},
    {"balance", S_R_NUM, offsetof(mt5_reply_t, account.balance), 0},
    {"equity", S_R_NUM, offsetof(mt5_reply_t, account.equity), 0},
    {"margin", S_R_NUM, offsetof(mt5_reply_t, account.margin), 0},
    {"free_margin", S_R_NUM, offsetof(mt5_reply_t, account.free_margin), 0},
    {"currency", S_R_STR, offsetof(mt5_reply_t, account.currency), S_REPLY_SIZE(account.currency)},
    {"leverage", S_R_INT, offsetof(mt5_reply_t, account.leverage), 0},
    {"positions", S_R_ARRAY, offsetof(mt5_reply_t, position_count), 0},
};

/* Copy at most cap - 1 bytes, cut at a character boundary. */
static void s_copy_text(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n < cap) {
        memcpy(dst, src, n + 1);
        return;
    }
    memcpy(dst, src, cap - 1);
    dst[cap - 1] = '\0';
    s_utf8_trim(dst, cap - 1);
}

/* Store one known reply field; false if it has the wrong type. */
static bool s_reply_take(mt5_reply_t *r, size_t k, const mt5_json_t *item)
{
    char *at = (char *)r + s_reply_fields[k].offset;
    const char *s = mt5_json_string(item);
    switch (s_reply_fields[k].kind) {
    case S_R_STR:
        if (!s)
            return false;
        s_copy_text(at, s_reply_fields[k].size, s);
        return true;
    case S_R_INT:
        return s_get_int(item, (int64_t *)(void *)at);
    case S_R_NUM:
        return s_get_number(item, (double *)(void *)at);
    case S_R_BOOL:
        if (mt5_json_kind_of(item) != MT5_JSON_BOOL)
            return false;
        *(bool *)at = mt5_json_true(item);
        return true;
    default: /* S_R_ARRAY */
        if (mt5_json_kind_of(item) != MT5_JSON_ARRAY)
            return false;
        *(size_t *)(void *)at = mt5_json_size(item);
        return true;
    }
}

int mt5_proto_decode_reply(mt5_reply_t *out, const void *data, size_t len)
{
    if (!out || !data || len == 0)
        return mt5_error_set(MT5_EBADREPLY, "empty reply");
    if (len > MT5_MAX_FRAME)
        return mt5_error_set(MT5_EBADREPLY, "reply is larger than %d bytes", MT5_MAX_FRAME);
    s_scan_result why;
    mt5_json_t *root = s_parse(data, len, &why);
    if (!root)
        return mt5_error_set(MT5_EBADREPLY, "reply %s",
                             why == S_SCAN_NUL    ? "contains a NUL character"
                             : why == S_SCAN_UTF8 ? "is not valid UTF-8"
                                                  : "is not valid JSON");
    mt5_reply_t r;
    memset(&r, 0, sizeof r);
    int rc = MT5_OK;
    if (mt5_json_kind_of(root) != MT5_JSON_OBJECT) {
        rc = mt5_error_set(MT5_EBADREPLY, "reply is not a JSON object");
        goto done;
    }
    const char *status = mt5_json_string(mt5_json_get(root, "status"));
    if (!status ||
        (strcmp(status, "ok") && strcmp(status, "REJECTED") && strcmp(status, "error"))) {
        rc = mt5_error_set(MT5_EBADREPLY, "reply has no status \"ok\", \"REJECTED\" or \"error\"");
        goto done;
    }
    s_copy_text(r.status, sizeof r.status, status);
    for (const mt5_json_t *c = mt5_json_first(root); c; c = mt5_json_next(c)) {
        const char *key = mt5_json_key(c);
        for (size_t k = 0; k < sizeof s_reply_fields / sizeof s_reply_fields[0]; k++) {
            if (strcmp(key, s_reply_fields[k].name) != 0)
                continue;
            if (!s_reply_take(&r, k, c)) {
                rc = mt5_error_set(MT5_EBADREPLY, "reply field '%s' has the wrong type",
                                   s_reply_fields[k].name);
                goto done;
            }
            break;
        }
    }
    /* A non-ok reply always carries a failure code: an unknown or missing
     * error_code reads as BACKEND_ERROR (the text is kept as sent). */
    r.code = MT5_WIRE_OK;
    if (strcmp(status, "ok") != 0 && mt5_wire_code_parse(&r.code, r.error_code) != MT5_OK)
        r.code = MT5_WIRE_BACKEND_ERROR;
    mt5_error_clear();
    *out = r;
done:
    mt5_json_destroy(&root);
    return rc;
}
