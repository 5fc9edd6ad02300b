/*  crypto.c - the cryptographic primitives of libcore, all from libsodium.
 *
 *  This is the only libcore file that includes <sodium.h>: everything else
 *  (the risk signature, idempotency digests, boot ids) goes through the small
 *  interface of mt5/crypto.h, so the library could be swapped without
 *  touching them. Nothing here is hand-rolled; the only logic of our own is
 *  argument checking and the strict hex rules, so that a malformed key or
 *  signature is refused before any byte of it reaches an output buffer.
 */
#include <pthread.h>
#include <stdalign.h>
#include <string.h>

#include <sodium.h>

#include "mt5/crypto.h"
#include "mt5/error.h"

/* The streaming context lives in the caller's mt5_sha256_ctx, whose opaque
 * bytes must be able to hold libsodium's state. */
_Static_assert(sizeof(crypto_hash_sha256_state) <= sizeof(((mt5_sha256_ctx *)0)->opaque),
               "mt5_sha256_ctx is too small for crypto_hash_sha256_state");
_Static_assert(alignof(crypto_hash_sha256_state) <= 16,
               "mt5_sha256_ctx is not aligned enough for crypto_hash_sha256_state");

static pthread_once_t s_init_once = PTHREAD_ONCE_INIT;
static int s_init_result = MT5_EINTERNAL; /* written once, under s_init_once */

static void s_init(void)
{
    /* sodium_init() returns 1 when something else in the process already
     * initialised it; that is as good as 0. */
    s_init_result = sodium_init() < 0 ? MT5_EINTERNAL : MT5_OK;
}

int mt5_crypto_init(void)
{
    if (pthread_once(&s_init_once, s_init) != 0)
        return mt5_error_set(MT5_EINTERNAL, "crypto: pthread_once failed");
    if (s_init_result != MT5_OK)
        return mt5_error_set(MT5_EINTERNAL, "crypto: libsodium failed to initialise");
    return MT5_OK;
}

void mt5_hmac_sha256(uint8_t out[MT5_HMAC_LEN], const uint8_t *key, size_t keylen, const void *msg,
                     size_t len)
{
    /* The _init/_update/_final form takes a key of any length (longer than
     * a block, it is hashed first, as RFC 2104 says); the one-shot
     * crypto_auth_hmacsha256() insists on exactly 32 bytes. */
    crypto_auth_hmacsha256_state st;
    (void)mt5_crypto_init();
    crypto_auth_hmacsha256_init(&st, key, keylen);
    crypto_auth_hmacsha256_update(&st, msg, len);
    crypto_auth_hmacsha256_final(&st, out);
    /* The state holds the key xor'ed into the pads: as secret as the key. */
    sodium_memzero(&st, sizeof st);
}

void mt5_sha256(uint8_t out[MT5_SHA256_LEN], const void *data, size_t len)
{
    (void)mt5_crypto_init();
    crypto_hash_sha256(out, data, len);
}

/* The opaque bytes are copied in and out rather than cast, so no object is
 * ever accessed through a type it was not declared with. */
void mt5_sha256_init(mt5_sha256_ctx *ctx)
{
    crypto_hash_sha256_state st;
    (void)mt5_crypto_init();
    crypto_hash_sha256_init(&st);
    memset(ctx->opaque, 0, sizeof ctx->opaque);
    memcpy(ctx->opaque, &st, sizeof st);
}

void mt5_sha256_update(mt5_sha256_ctx *ctx, const void *data, size_t len)
{
    crypto_hash_sha256_state st;
    memcpy(&st, ctx->opaque, sizeof st);
    crypto_hash_sha256_update(&st, data, len);
    memcpy(ctx->opaque, &st, sizeof st);
}

void mt5_sha256_final(mt5_sha256_ctx *ctx, uint8_t out[MT5_SHA256_LEN])
{
    crypto_hash_sha256_state st;
    memcpy(&st, ctx->opaque, sizeof st);
    crypto_hash_sha256_final(&st, out);
    sodium_memzero(ctx->opaque, sizeof ctx->opaque);
}

bool mt5_crypto_equal(const void *a, const void *b, size_t n)
{
    if (n == 0)
        return true;
    (void)mt5_crypto_init();
    return sodium_memcmp(a, b, n) == 0;
}

void mt5_random_bytes(void *buf, size_t n)
{
    (void)mt5_crypto_init();
    randombytes_buf(buf, n);
}

int mt5_hex_encode(char *hex, size_t cap, const uint8_t *bin, size_t n)
{
    if (!hex || (n > 0 && !bin))
        return mt5_error_set(MT5_EINVAL, "hex encode: NULL buffer");
    if (n > (SIZE_MAX - 1) / 2 || cap < 2 * n + 1)
        return mt5_error_set(MT5_EINVAL, "hex encode: %zu bytes need %zu bytes of buffer, got %zu",
                             n, n > (SIZE_MAX - 1) / 2 ? SIZE_MAX : 2 * n + 1, cap);
    (void)mt5_crypto_init();
    sodium_bin2hex(hex, cap, bin, n);
    return MT5_OK;
}

static bool s_is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int mt5_hex_decode(uint8_t *bin, size_t cap, size_t *n, const char *hex, size_t len)
{
    if (!bin || !n || (len > 0 && !hex))
        return mt5_error_set(MT5_EINVAL, "hex decode: NULL argument");
    /* Check every digit first, so that a bad string leaves bin untouched
     * (sodium_hex2bin would have written the bytes before the bad digit),
     * and before the parity, so that a bad digit is always the one reported.
     * The position is reported, never the character: it may be a secret's. */
    for (size_t i = 0; i < len; i++) {
        if (!s_is_hex(hex[i]))
            return mt5_error_set(MT5_EPARSE, "hex decode: character %zu is not a hex digit", i + 1);
    }
    if (len % 2 != 0)
        return mt5_error_set(MT5_EPARSE, "hex decode: odd number of hex digits (%zu)", len);
    if (len / 2 > cap)
        return mt5_error_set(MT5_ETOOLARGE, "hex decode: %zu bytes do not fit in %zu", len / 2,
                             cap);
    size_t got = 0;
    (void)mt5_crypto_init();
    if (len > 0 && (sodium_hex2bin(bin, cap, hex, len, NULL, &got, NULL) != 0 || got != len / 2))
        return mt5_error_set(MT5_EINTERNAL, "hex decode: libsodium refused checked hex");
    *n = len / 2;
    return MT5_OK;
}

void *mt5_secure_alloc(size_t n)
{
    if (mt5_crypto_init() != MT5_OK)
        return NULL;
    return sodium_malloc(n);
}

void mt5_secure_free(void *p)
{
    /* sodium_free() zeroes the whole region and accepts NULL. */
    sodium_free(p);
}

void mt5_secure_zero(void *p, size_t n)
{
    if (p && n > 0)
        sodium_memzero(p, n);
}
