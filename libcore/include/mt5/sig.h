/*  mt5/sig.h - the risk signature of docs/protocol.md section 5.
 *
 *      risk_signature = "RISK_PASS:" + hex(HMAC-SHA256(key, canonical)) + ":" + ts_ms
 *
 *  The key lives in guarded memory inside an opaque mt5_key_t and is never
 *  printed, logged or put into an error detail. The gateway checks in the
 *  order the protocol fixes: the MAC (mt5_sig_verify), then idempotency, then
 *  freshness (mt5_sig_fresh), so the pieces are separate functions.
 */
#ifndef MT5_SIG_H
#define MT5_SIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mt5/proto.h"

#define MT5_KEY_MIN 32  /* bytes */
#define MT5_KEY_MAX 512 /* bytes */
#define MT5_DEFAULT_TTL_MS 2000
#define MT5_CANONICAL_MAX 512 /* the canonical string always fits */
#define MT5_SIG_PREFIX "RISK_PASS:"

typedef struct mt5_key_t mt5_key_t;

/*  Load a key file: hex digits (at least 64, at most 2*MT5_KEY_MAX),
 *  optionally followed by one newline ("\n" or "\r\n"), nothing else.
 *  Refuses (MT5_EKEY) a file that is readable or writable by group or
 *  others, is not a regular file, is too short, or is not hex; MT5_EIO when
 *  it cannot be read. On success *out is caller-owned, destroy with
 *  mt5_key_destroy(). Error details name the file, never its contents. */
int mt5_key_load_file(mt5_key_t **out, const char *path);

/*  Build a key from hex text (e.g. an environment variable's value), same
 *  rules as the file minus the permission check. */
int mt5_key_from_hex(mt5_key_t **out, const char *hex);

/*  Read the key from environment variable `var` (hex). MT5_ENOTFOUND when
 *  unset or empty. */
int mt5_key_from_env(mt5_key_t **out, const char *var);

/* Length of the key in bytes. */
size_t mt5_key_size(const mt5_key_t *key);

/* Zero and free the key; accepts NULL and *key == NULL; sets *key to NULL. */
void mt5_key_destroy(mt5_key_t **key);

/*  Write the canonical string of req at ts_ms into buf (cap bytes incl. NUL):
 *  "v1", action, req_id, symbol, side, volume, price, sl, tp, ticket, ts_ms
 *  joined by "\n". Numbers "%.8f", ticket "%lld", absent fields "". Returns
 *  the length (>= 0) or -MT5_EINVAL when it does not fit or the action is
 *  not OPEN/CLOSE. */
int mt5_sig_canonical(char *buf, size_t cap, const mt5_request_t *req, int64_t ts_ms);

/*  Sign req at ts_ms: writes "RISK_PASS:<64 hex>:<ts_ms>" into out (cap >=
 *  MT5_SIGNATURE_MAX + 1). Returns MT5_OK or MT5_EINVAL. */
int mt5_sig_sign(char *out, size_t cap, const mt5_key_t *key, const mt5_request_t *req,
                 int64_t ts_ms);

/*  Parse "RISK_PASS:<64 lower-case hex>:<decimal ts_ms>" strictly (no sign,
 *  no spaces, 1-18 digits). Returns MT5_OK, or MT5_ESIGNATURE and leaves the
 *  out-parameters alone. */
int mt5_sig_parse(uint8_t mac[32], int64_t *ts_ms, const char *sig);

/*  Check req->risk_signature against the key, in constant time. Returns
 *  MT5_WIRE_OK (and *ts_ms, *canonical_digest = SHA-256 of the canonical
 *  string, for idempotency), MT5_WIRE_MISSING_SIGNATURE (field absent) or
 *  MT5_WIRE_INVALID_SIGNATURE (does not parse, or wrong MAC). Out-params
 *  may be NULL. */
mt5_wire_code mt5_sig_verify(const mt5_key_t *key, const mt5_request_t *req, int64_t *ts_ms,
                             uint8_t canonical_digest[32]);

/* True when |now_ms - ts_ms| <= ttl_ms. */
bool mt5_sig_fresh(int64_t ts_ms, int64_t now_ms, int64_t ttl_ms);

#endif
