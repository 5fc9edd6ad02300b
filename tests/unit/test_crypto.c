/*  test_crypto.c - unit tests of mt5/crypto.h.
 *
 *  Every expected digest is a published vector (RFC 4231, FIPS 180-2), so a
 *  wrong primitive or a wrong use of libsodium cannot agree with itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mt5/crypto.h"
#include "mt5/error.h"

/* Hex of a 32-byte digest, for readable failures. */
static void s_hex32(char out[65], const uint8_t d[32])
{
    assert_int_equal(mt5_hex_encode(out, 65, d, 32), MT5_OK);
}

static void test_crypto__init_is_idempotent(void **state)
{
    (void)state;
    assert_int_equal(mt5_crypto_init(), MT5_OK);
    assert_int_equal(mt5_crypto_init(), MT5_OK);
}

static void test_crypto__hmac_rfc4231(void **state)
{
    (void)state;
    uint8_t mac[MT5_HMAC_LEN];
    char hex[65];

    /* RFC 4231 test case 2: a key shorter than the output. */
    static const char msg2[] = "what do ya want for nothing?";
    mt5_hmac_sha256(mac, (const uint8_t *)"Jefe", 4, msg2, sizeof msg2 - 1);
    s_hex32(hex, mac);
    assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");

    /* RFC 4231 test case 6: a 131-byte key, longer than one block, which
     * HMAC hashes first (the one-shot libsodium call could not take it). */
    uint8_t key6[131];
    memset(key6, 0xaa, sizeof key6);
    static const char msg6[] = "Test Using Larger Than Block-Size Key - Hash Key First";
    mt5_hmac_sha256(mac, key6, sizeof key6, msg6, sizeof msg6 - 1);
    s_hex32(hex, mac);
    assert_string_equal(hex, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

static void test_crypto__sha256_vectors(void **state)
{
    (void)state;
    static const struct {
        const char *msg;
        const char *hex;
    } cases[] = {
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t d[MT5_SHA256_LEN];
        char hex[65];
        mt5_sha256(d, cases[i].msg, strlen(cases[i].msg));
        s_hex32(hex, d);
        assert_string_equal(hex, cases[i].hex);
    }
}

static void test_crypto__sha256_streamed(void **state)
{
    (void)state;
    uint8_t d[MT5_SHA256_LEN];
    char hex[65];
    mt5_sha256_ctx ctx;

    /* "abc" in uneven pieces, an empty one included. */
    mt5_sha256_init(&ctx);
    mt5_sha256_update(&ctx, "a", 1);
    mt5_sha256_update(&ctx, "", 0);
    mt5_sha256_update(&ctx, "bc", 2);
    mt5_sha256_final(&ctx, d);
    s_hex32(hex, d);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

    /* The two-block FIPS vector one byte at a time, across block borders. */
    static const char msg[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    mt5_sha256_init(&ctx);
    for (size_t i = 0; i < sizeof msg - 1; i++)
        mt5_sha256_update(&ctx, msg + i, 1);
    mt5_sha256_final(&ctx, d);
    s_hex32(hex, d);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");

    /* A million 'a's in 1000-byte pieces (FIPS 180-2, appendix B.3). */
    char chunk[1000];
    memset(chunk, 'a', sizeof chunk);
    mt5_sha256_init(&ctx);
    for (int i = 0; i < 1000; i++)
        mt5_sha256_update(&ctx, chunk, sizeof chunk);
    mt5_sha256_final(&ctx, d);
    s_hex32(hex, d);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_crypto__equal(void **state)
{
    (void)state;
    uint8_t a[32], b[32];
    for (int i = 0; i < 32; i++)
        a[i] = b[i] = (uint8_t)i;
    assert_true(mt5_crypto_equal(a, b, sizeof a));
    b[31] ^= 0x01;
    assert_false(mt5_crypto_equal(a, b, sizeof a));
    assert_true(mt5_crypto_equal(a, b, 31));
    b[31] ^= 0x01;
    b[0] ^= 0x80;
    assert_false(mt5_crypto_equal(a, b, sizeof a));
    assert_true(mt5_crypto_equal(a, b, 0));
}

static void test_crypto__random_bytes_differ(void **state)
{
    (void)state;
    uint8_t zero[32] = {0}, a[32] = {0}, b[32] = {0};
    mt5_random_bytes(a, sizeof a);
    mt5_random_bytes(b, sizeof b);
    /* Each of these fails by chance with probability 2^-256. */
    assert_memory_not_equal(a, zero, sizeof a);
    assert_memory_not_equal(a, b, sizeof a);
    mt5_random_bytes(a, 0);
}

static void test_crypto__hex_encode(void **state)
{
    (void)state;
    static const uint8_t bin[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
    char hex[13];

    assert_int_equal(mt5_hex_encode(hex, sizeof hex, bin, sizeof bin), MT5_OK);
    assert_string_equal(hex, "00017f80abff");

    assert_int_equal(mt5_hex_encode(hex, 1, bin, 0), MT5_OK);
    assert_string_equal(hex, "");

    /* One byte short of room for the NUL: refused, buffer untouched. */
    memcpy(hex, "untouched", 10);
    assert_int_equal(mt5_hex_encode(hex, 12, bin, sizeof bin), MT5_EINVAL);
    assert_string_equal(hex, "untouched");
    assert_string_equal(mt5_error_detail(), "hex encode: 6 bytes need 13 bytes of buffer, got 12");

    assert_int_equal(mt5_hex_encode(NULL, 13, bin, sizeof bin), MT5_EINVAL);
    assert_int_equal(mt5_hex_encode(hex, sizeof hex, NULL, 1), MT5_EINVAL);
    assert_int_equal(mt5_hex_encode(hex, sizeof hex, bin, SIZE_MAX / 2), MT5_EINVAL);
    assert_int_equal(mt5_hex_encode(hex, sizeof hex, bin, SIZE_MAX / 2 + 1), MT5_EINVAL);
}

static void test_crypto__hex_decode_good(void **state)
{
    (void)state;
    static const struct {
        const char *hex;
        size_t n;
        uint8_t bin[4];
    } cases[] = {
        {"", 0, {0}},
        {"00", 1, {0x00}},
        {"ff", 1, {0xff}},
        {"FF", 1, {0xff}},
        {"DEADbeef", 4, {0xde, 0xad, 0xbe, 0xef}},
        {"0a1B2c3D", 4, {0x0a, 0x1b, 0x2c, 0x3d}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t bin[4] = {0x55, 0x55, 0x55, 0x55};
        size_t n = 99;
        assert_int_equal(mt5_hex_decode(bin, sizeof bin, &n, cases[i].hex, strlen(cases[i].hex)),
                         MT5_OK);
        assert_int_equal(n, cases[i].n);
        assert_memory_equal(bin, cases[i].bin, cases[i].n);
    }
}

static void test_crypto__hex_decode_bad(void **state)
{
    (void)state;
    static const struct {
        const char *hex;
        int rc;
        const char *detail;
    } cases[] = {
        {"0", MT5_EPARSE, "hex decode: odd number of hex digits (1)"},
        {"abc", MT5_EPARSE, "hex decode: odd number of hex digits (3)"},
        {"0g", MT5_EPARSE, "hex decode: character 2 is not a hex digit"},
        {"00 1", MT5_EPARSE, "hex decode: character 3 is not a hex digit"},
        {"0x00", MT5_EPARSE, "hex decode: character 2 is not a hex digit"},
        {"00:1", MT5_EPARSE, "hex decode: character 3 is not a hex digit"},
        /* a bad digit is reported before an odd length */
        {"0g0", MT5_EPARSE, "hex decode: character 2 is not a hex digit"},
        {"abz", MT5_EPARSE, "hex decode: character 3 is not a hex digit"},
        /* and before the size */
        {"00112233445z", MT5_EPARSE, "hex decode: character 12 is not a hex digit"},
        {"0011223344", MT5_ETOOLARGE, "hex decode: 5 bytes do not fit in 4"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t bin[4] = {0x55, 0x55, 0x55, 0x55};
        static const uint8_t same[4] = {0x55, 0x55, 0x55, 0x55};
        size_t n = 99;
        assert_int_equal(mt5_hex_decode(bin, sizeof bin, &n, cases[i].hex, strlen(cases[i].hex)),
                         cases[i].rc);
        assert_string_equal(mt5_error_detail(), cases[i].detail);
        assert_int_equal(n, 99);
        assert_memory_equal(bin, same, sizeof bin);
    }
    /* Only `len` digits are read: a bad digit past them does not matter. */
    uint8_t bin[1];
    size_t n = 0;
    assert_int_equal(mt5_hex_decode(bin, sizeof bin, &n, "7fzz", 2), MT5_OK);
    assert_int_equal(n, 1);
    assert_int_equal(bin[0], 0x7f);

    assert_int_equal(mt5_hex_decode(NULL, 1, &n, "00", 2), MT5_EINVAL);
    assert_int_equal(mt5_hex_decode(bin, 1, NULL, "00", 2), MT5_EINVAL);
    assert_int_equal(mt5_hex_decode(bin, 1, &n, NULL, 2), MT5_EINVAL);
}

static void test_crypto__secure_memory(void **state)
{
    (void)state;
    uint8_t zero[64] = {0};
    uint8_t *p = mt5_secure_alloc(64);
    assert_non_null(p);
    memset(p, 0xa5, 64);
    /* Only the n bytes asked for are zeroed, none before or after them. */
    mt5_secure_zero(p + 1, 62);
    assert_int_equal(p[0], 0xa5);
    assert_memory_equal(p + 1, zero, 62);
    assert_int_equal(p[63], 0xa5);
    mt5_secure_zero(p, 64);
    assert_memory_equal(p, zero, 64);
    mt5_secure_free(p);

    uint8_t stack[16];
    memset(stack, 0x5a, sizeof stack);
    mt5_secure_zero(stack, 8);
    assert_memory_equal(stack, zero, 8);
    assert_int_equal(stack[8], 0x5a);

    mt5_secure_free(NULL);
    mt5_secure_zero(NULL, 10);
    /* n == 0 writes nothing: stack[8] still holds the fill. */
    mt5_secure_zero(stack + 8, 0);
    assert_int_equal(stack[8], 0x5a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crypto__init_is_idempotent),
        cmocka_unit_test(test_crypto__hmac_rfc4231),
        cmocka_unit_test(test_crypto__sha256_vectors),
        cmocka_unit_test(test_crypto__sha256_streamed),
        cmocka_unit_test(test_crypto__equal),
        cmocka_unit_test(test_crypto__random_bytes_differ),
        cmocka_unit_test(test_crypto__hex_encode),
        cmocka_unit_test(test_crypto__hex_decode_good),
        cmocka_unit_test(test_crypto__hex_decode_bad),
        cmocka_unit_test(test_crypto__secure_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
