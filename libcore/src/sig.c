/*  sig.c - the risk signature of docs/protocol.md section 5, and its key.
 *
 *  The risk monitor signs an order with HMAC-SHA256 over a canonical string
 *  of its fields; the gateway recomputes the MAC and compares in constant
 *  time. Both sides must build byte-for-byte the same canonical string, so
 *  it is written here once, with its own names for actions and sides: the
 *  signed text is part of the wire contract and must not follow a rename
 *  elsewhere in the codec.
 *
 *  The key is a secret. Its bytes live only in guarded memory
 *  (mt5_secure_alloc), every buffer that held its hex text is zeroed before
 *  it is released, and no error detail ever quotes it: details name the
 *  file or variable and a position, never a character. The key file must be
 *  private to its owner (mode 0600 or stricter), like an ssh key.
 *
 *  All primitives come from mt5/crypto.h; this file never sees libsodium.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mt5/crypto.h"
#include "mt5/error.h"
#include "mt5/file.h"
#include "mt5/sig.h"

#define SIG_HEX_LEN (2 * MT5_HMAC_LEN)
#define SIG_TS_DIGITS_MAX 18
#define SIG_TS_MAX INT64_C(999999999999999999) /* 18 digits */
#define KEY_HEX_MIN (2 * MT5_KEY_MIN)
#define KEY_HEX_MAX (2 * MT5_KEY_MAX)
/* The longest valid key file: all digits plus "\r\n". Reading one byte more
 * than that tells a too-long file from a valid one without reading it all. */
#define KEY_FILE_READ (KEY_HEX_MAX + 3)

struct mt5_key_t {
    uint8_t *bytes; /* the key, in mt5_secure_alloc memory */
    size_t len;     /* its length in bytes, MT5_KEY_MIN..MT5_KEY_MAX */
};

/* ---- keys ---------------------------------------------------------------- */

/*  Turn key text (hex, optionally one trailing "\n" or "\r\n") into a key.
 *  `what` names the source for error details ("key file /etc/k"). The text
 *  is the caller's to zero. A text with several faults always gets the same
 *  detail: empty, then the first non-hex digit, an odd count, too short and
 *  too long, which after the first is mt5_hex_decode's own order. */
static int s_key_from_text(mt5_key_t **out, const char *text, size_t len, const char *what)
{
    if (len >= 2 && text[len - 2] == '\r' && text[len - 1] == '\n')
        len -= 2;
    else if (len >= 1 && text[len - 1] == '\n')
        len -= 1;
    if (len == 0)
        return mt5_error_set(MT5_EKEY, "%s is empty; it must hold at least %d hex digits", what,
                             KEY_HEX_MIN);

    /* Decoded straight into guarded memory, sized for the longest key: the
     * length is judged by the decoder, after the digits. */
    uint8_t *bytes = mt5_secure_alloc(MT5_KEY_MAX);
    if (!bytes)
        return mt5_error_set(MT5_ENOMEM, "%s: cannot allocate guarded memory", what);
    size_t n = 0;
    int rc = mt5_hex_decode(bytes, MT5_KEY_MAX, &n, text, len);
    /* Each decoder detail is replaced by one that names the key's source;
     * neither quotes a character of the key. The decoder checks every digit
     * before the length, so with a non-hex character its error is that. */
    size_t digits = 0;
    while (digits < len && isxdigit((unsigned char)text[digits]))
        digits++;
    if (rc == MT5_EPARSE && digits < len)
        rc = mt5_error_set(MT5_EKEY,
                           "%s: character %zu is not a hex digit (only hex digits and "
                           "one trailing newline are allowed)",
                           what, digits + 1);
    else if (rc == MT5_EPARSE)
        rc = mt5_error_set(MT5_EKEY, "%s has an odd number of hex digits (%zu)", what, len);
    else if (rc == MT5_ETOOLARGE)
        rc = mt5_error_set(MT5_EKEY, "%s is too long: %zu hex digits, at most %d", what, len,
                           KEY_HEX_MAX);
    else if (rc == MT5_OK && n < MT5_KEY_MIN)
        rc = mt5_error_set(MT5_EKEY, "%s is too short: %zu hex digits, need at least %d", what, len,
                           KEY_HEX_MIN);
    mt5_key_t *key = rc == MT5_OK ? calloc(1, sizeof *key) : NULL;
    if (rc == MT5_OK && !key)
        rc = mt5_error_set(MT5_ENOMEM, "%s: out of memory", what);
    if (rc != MT5_OK) {
        mt5_secure_free(bytes); /* zeroes what was decoded */
        return rc;
    }
    key->bytes = bytes;
    key->len = n;
    *out = key;
    return MT5_OK;
}

int mt5_key_load_file(mt5_key_t **out, const char *path)
{
    if (!out || !path)
        return mt5_error_set(MT5_EINVAL, "key file: NULL argument");

    char what[384]; /* a very long path is cut short in details only */
    snprintf(what, sizeof what, "key file %s", path);

    /* Symlinks are followed (keys are often linked from a secrets mount),
     * but the checks are on the opened file itself, so nothing can be
     * swapped between check and read. */
    int fd = -1;
    mt5_file_info_t info;
    int rc = mt5_file_open_regular(&fd, &info, path);
    if (rc == MT5_EINVAL)
        return mt5_error_set(MT5_EKEY, "%s is not a regular file", what);
    if (rc != MT5_OK)
        return mt5_error_set(MT5_EIO, "cannot open key file %s", mt5_error_detail());

    char *text = NULL;
    size_t len = 0;
    if ((info.mode & 077) != 0) {
        rc = mt5_error_set(MT5_EKEY,
                           "%s is readable or writable by group or others (mode %04o); "
                           "chmod 600 it",
                           what, info.mode);
        goto done;
    }
    text = mt5_secure_alloc(KEY_FILE_READ);
    if (!text) {
        rc = mt5_error_set(MT5_ENOMEM, "%s: cannot allocate guarded memory", what);
        goto done;
    }
    while (len < KEY_FILE_READ) {
        ssize_t got = read(fd, text + len, KEY_FILE_READ - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            rc = mt5_error_set(MT5_EIO, "cannot read %s: %s", what, strerror(errno));
            goto done;
        }
        if (got == 0)
            break;
        len += (size_t)got;
    }
    if (len == KEY_FILE_READ) {
        rc = mt5_error_set(MT5_EKEY, "%s is too long: more than %d hex digits and a newline", what,
                           KEY_HEX_MAX);
        goto done;
    }
    rc = s_key_from_text(out, text, len, what);
done:
    if (text) {
        mt5_secure_zero(text, KEY_FILE_READ);
        mt5_secure_free(text);
    }
    close(fd);
    return rc;
}

int mt5_key_from_hex(mt5_key_t **out, const char *hex)
{
    if (!out || !hex)
        return mt5_error_set(MT5_EINVAL, "hex key: NULL argument");
    return s_key_from_text(out, hex, strlen(hex), "hex key");
}

int mt5_key_from_env(mt5_key_t **out, const char *var)
{
    if (!out || !var || !*var)
        return mt5_error_set(MT5_EINVAL, "key from environment: no variable name");
    const char *value = getenv(var);
    if (!value || !*value)
        return mt5_error_set(MT5_ENOTFOUND, "environment variable %s is not set or empty", var);
    char what[128];
    snprintf(what, sizeof what, "environment variable %s", var);
    return s_key_from_text(out, value, strlen(value), what);
}

size_t mt5_key_size(const mt5_key_t *key)
{
    return key ? key->len : 0;
}

void mt5_key_destroy(mt5_key_t **key)
{
    if (!key || !*key)
        return;
    mt5_key_t *self = *key;
    /* mt5_secure_free() zeroes too; this keeps the promise explicit. */
    mt5_secure_zero(self->bytes, self->len);
    mt5_secure_free(self->bytes);
    free(self);
    *key = NULL;
}

/* ---- the canonical string ------------------------------------------------ */

static const char *s_action_name(mt5_action action)
{
    switch (action) {
    case MT5_ACTION_OPEN:
        return "OPEN";
    case MT5_ACTION_CLOSE:
        return "CLOSE";
    default:
        return NULL;
    }
}

static const char *s_side_name(mt5_side side)
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

/* Append "\n" and, when present, the value formatted "%.8f". */
static int s_put_double(char *buf, size_t cap, size_t *pos, bool present, double v)
{
    if (present && !isfinite(v))
        return -1;
    int n = present ? snprintf(buf + *pos, cap - *pos, "\n%.8f", v)
                    : snprintf(buf + *pos, cap - *pos, "\n");
    if (n < 0 || (size_t)n >= cap - *pos)
        return -1;
    *pos += (size_t)n;
    return 0;
}

int mt5_sig_canonical(char *buf, size_t cap, const mt5_request_t *req, int64_t ts_ms)
{
    if (!buf || cap == 0 || !req)
        return -mt5_error_set(MT5_EINVAL, "canonical: NULL argument");
    const char *action = s_action_name(req->action);
    if (!action)
        return -mt5_error_set(MT5_EINVAL, "canonical: only OPEN and CLOSE are signed");
    const char *side = "";
    if (req->has & MT5_HAS_SIDE) {
        side = s_side_name(req->side);
        if (!side)
            return -mt5_error_set(MT5_EINVAL, "canonical: side is neither BUY nor SELL");
    }
    /* The decoder NUL-terminates both, but a hand-built request may not. */
    if (memchr(req->req_id, '\0', sizeof req->req_id) == NULL ||
        memchr(req->symbol, '\0', sizeof req->symbol) == NULL)
        return -mt5_error_set(MT5_EINVAL, "canonical: req_id or symbol not terminated");

    size_t pos = 0;
    int n = snprintf(buf, cap, "v1\n%s\n%s\n%s\n%s", action,
                     (req->has & MT5_HAS_REQ_ID) ? req->req_id : "",
                     (req->has & MT5_HAS_SYMBOL) ? req->symbol : "", side);
    if (n < 0 || (size_t)n >= cap)
        goto too_small;
    pos = (size_t)n;
    if (s_put_double(buf, cap, &pos, req->has & MT5_HAS_VOLUME, req->volume) ||
        s_put_double(buf, cap, &pos, req->has & MT5_HAS_PRICE, req->price) ||
        s_put_double(buf, cap, &pos, req->has & MT5_HAS_SL, req->sl) ||
        s_put_double(buf, cap, &pos, req->has & MT5_HAS_TP, req->tp))
        goto too_small;
    if (req->has & MT5_HAS_TICKET)
        n = snprintf(buf + pos, cap - pos, "\n%lld\n%lld", (long long)req->ticket,
                     (long long)ts_ms);
    else
        n = snprintf(buf + pos, cap - pos, "\n\n%lld", (long long)ts_ms);
    if (n < 0 || (size_t)n >= cap - pos)
        goto too_small;
    pos += (size_t)n;
    return (int)pos;
too_small:
    /* Leave no half-written string behind for a caller that ignores rc. */
    buf[0] = '\0';
    return -mt5_error_set(MT5_EINVAL,
                          "canonical: does not fit in %zu bytes, or a number "
                          "is not finite",
                          cap);
}

/* ---- sign, parse, verify ------------------------------------------------- */

int mt5_sig_sign(char *out, size_t cap, const mt5_key_t *key, const mt5_request_t *req,
                 int64_t ts_ms)
{
    if (!out || !key || !req)
        return mt5_error_set(MT5_EINVAL, "sign: NULL argument");
    /* Anything else could not be parsed back by mt5_sig_parse(). */
    if (ts_ms < 0 || ts_ms > SIG_TS_MAX)
        return mt5_error_set(MT5_EINVAL, "sign: ts_ms %lld is outside 0..%lld", (long long)ts_ms,
                             (long long)SIG_TS_MAX);
    char canon[MT5_CANONICAL_MAX];
    int clen = mt5_sig_canonical(canon, sizeof canon, req, ts_ms);
    if (clen < 0)
        return -clen;

    uint8_t mac[MT5_HMAC_LEN];
    char hex[SIG_HEX_LEN + 1];
    mt5_hmac_sha256(mac, key->bytes, key->len, canon, (size_t)clen);
    mt5_hex_encode(hex, sizeof hex, mac, sizeof mac);

    char sig[MT5_SIGNATURE_MAX + 1];
    int n = snprintf(sig, sizeof sig, "%s%s:%lld", MT5_SIG_PREFIX, hex, (long long)ts_ms);
    if (n < 0 || (size_t)n >= cap)
        return mt5_error_set(MT5_EINVAL, "sign: signature needs %d bytes, buffer has %zu", n + 1,
                             cap);
    memcpy(out, sig, (size_t)n + 1);
    return MT5_OK;
}

int mt5_sig_parse(uint8_t mac[32], int64_t *ts_ms, const char *sig)
{
    static const size_t prefix_len = sizeof MT5_SIG_PREFIX - 1;
    if (!sig)
        return mt5_error_set(MT5_ESIGNATURE, "risk_signature: absent");
    if (strncmp(sig, MT5_SIG_PREFIX, prefix_len) != 0)
        return mt5_error_set(MT5_ESIGNATURE, "risk_signature: does not start with \"%s\"",
                             MT5_SIG_PREFIX);
    const char *hex = sig + prefix_len;
    for (size_t i = 0; i < SIG_HEX_LEN; i++) {
        char c = hex[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return mt5_error_set(MT5_ESIGNATURE,
                                 "risk_signature: MAC must be %d lower-case hex digits",
                                 SIG_HEX_LEN);
    }
    const char *p = hex + SIG_HEX_LEN;
    if (*p != ':')
        return mt5_error_set(MT5_ESIGNATURE, "risk_signature: expected ':' after %d hex digits",
                             SIG_HEX_LEN);
    p++;
    int64_t ts = 0;
    size_t digits = 0;
    for (; *p >= '0' && *p <= '9'; p++, digits++) {
        if (digits == SIG_TS_DIGITS_MAX)
            break;
        ts = ts * 10 + (*p - '0');
    }
    if (digits == 0 || *p != '\0')
        return mt5_error_set(MT5_ESIGNATURE,
                             "risk_signature: ts_ms must be 1 to %d decimal digits and end "
                             "the signature",
                             SIG_TS_DIGITS_MAX);

    uint8_t tmp[MT5_HMAC_LEN];
    size_t n = 0;
    if (mt5_hex_decode(tmp, sizeof tmp, &n, hex, SIG_HEX_LEN) != MT5_OK)
        return mt5_error_set(MT5_EINTERNAL, "risk_signature: checked hex did not decode");
    if (mac)
        memcpy(mac, tmp, sizeof tmp);
    if (ts_ms)
        *ts_ms = ts;
    return MT5_OK;
}

mt5_wire_code mt5_sig_verify(const mt5_key_t *key, const mt5_request_t *req, int64_t *ts_ms,
                             uint8_t canonical_digest[32])
{
    if (!req)
        return MT5_WIRE_INVALID_SIGNATURE;
    if (!(req->has & MT5_HAS_SIGNATURE)) {
        mt5_error_set(MT5_ESIGNATURE, "risk_signature: missing");
        return MT5_WIRE_MISSING_SIGNATURE;
    }
    if (!key) {
        mt5_error_set(MT5_EKEY, "risk_signature: no key to verify it with");
        return MT5_WIRE_INVALID_SIGNATURE;
    }
    if (memchr(req->risk_signature, '\0', sizeof req->risk_signature) == NULL) {
        mt5_error_set(MT5_ESIGNATURE, "risk_signature: not terminated");
        return MT5_WIRE_INVALID_SIGNATURE;
    }
    uint8_t got[MT5_HMAC_LEN];
    int64_t ts = 0;
    if (mt5_sig_parse(got, &ts, req->risk_signature) != MT5_OK)
        return MT5_WIRE_INVALID_SIGNATURE;

    char canon[MT5_CANONICAL_MAX];
    int clen = mt5_sig_canonical(canon, sizeof canon, req, ts);
    if (clen < 0)
        return MT5_WIRE_INVALID_SIGNATURE;
    uint8_t want[MT5_HMAC_LEN];
    mt5_hmac_sha256(want, key->bytes, key->len, canon, (size_t)clen);
    if (!mt5_crypto_equal(got, want, sizeof want)) {
        mt5_error_set(MT5_ESIGNATURE, "risk_signature: MAC does not match the request");
        return MT5_WIRE_INVALID_SIGNATURE;
    }
    if (ts_ms)
        *ts_ms = ts;
    if (canonical_digest)
        mt5_sha256(canonical_digest, canon, (size_t)clen);
    return MT5_WIRE_OK;
}

bool mt5_sig_fresh(int64_t ts_ms, int64_t now_ms, int64_t ttl_ms)
{
    if (ttl_ms < 0)
        return false;
    /* The distance as an unsigned number: both operands converted, the
     * modular difference of the larger minus the smaller is exact for any
     * two int64_t, where now_ms - ts_ms itself could overflow. */
    uint64_t diff =
        now_ms >= ts_ms ? (uint64_t)now_ms - (uint64_t)ts_ms : (uint64_t)ts_ms - (uint64_t)now_ms;
    return diff <= (uint64_t)ttl_ms;
}
