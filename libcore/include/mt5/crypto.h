/*  mt5/crypto.h - the few primitives libcore needs, all from libsodium:
 *  HMAC-SHA256, SHA-256, constant-time compare, random bytes, hex and
 *  guarded memory for secrets. Nothing here is hand-rolled.
 */
#ifndef MT5_CRYPTO_H
#define MT5_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MT5_HMAC_LEN 32
#define MT5_SHA256_LEN 32

/* Initialise libsodium once; safe to call from any thread, any number of
 * times. Returns MT5_OK or MT5_EINTERNAL. Every other function here calls
 * it itself. */
int mt5_crypto_init(void);

void mt5_hmac_sha256(uint8_t out[MT5_HMAC_LEN], const uint8_t *key, size_t keylen, const void *msg,
                     size_t len);
void mt5_sha256(uint8_t out[MT5_SHA256_LEN], const void *data, size_t len);

/* Streaming SHA-256, for files of any size. */
typedef struct {
    uint8_t opaque[256] __attribute__((aligned(16)));
} mt5_sha256_ctx;
void mt5_sha256_init(mt5_sha256_ctx *ctx);
void mt5_sha256_update(mt5_sha256_ctx *ctx, const void *data, size_t len);
void mt5_sha256_final(mt5_sha256_ctx *ctx, uint8_t out[MT5_SHA256_LEN]);

/* Compare n bytes in time independent of their contents. */
bool mt5_crypto_equal(const void *a, const void *b, size_t n);

/* Fill buf with n bytes from the OS's CSPRNG. */
void mt5_random_bytes(void *buf, size_t n);

/* Lower-case hex of bin into hex (cap >= 2*n + 1). Returns MT5_OK or MT5_EINVAL. */
int mt5_hex_encode(char *hex, size_t cap, const uint8_t *bin, size_t n);

/* Decode exactly `len` hex digits (either case) into bin; *n gets the byte
 * count. Returns MT5_OK, MT5_EPARSE or MT5_ETOOLARGE (more than cap bytes),
 * checked in this order: every digit first (the detail gives the first bad
 * digit's 1-based position and never quotes the character), then an odd
 * length (EPARSE), then the size. On failure
 * bin and *n are untouched. */
int mt5_hex_decode(uint8_t *bin, size_t cap, size_t *n, const char *hex, size_t len);

/* Guarded memory for secrets (locked, zeroed on free). Caller owns, free
 * with mt5_secure_free(); NULL on failure. */
void *mt5_secure_alloc(size_t n);
void mt5_secure_free(void *p);
/* Zero memory in a way the compiler cannot remove. */
void mt5_secure_zero(void *p, size_t n);

#endif
