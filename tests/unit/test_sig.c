/*  test_sig.c - unit tests of mt5/sig.h: keys, the canonical string, the
 *  risk signature and its time to live.
 *
 *  The expected MACs and digests below were computed independently of
 *  libcore and libsodium, with Python's standard library:
 *
 *      import hmac, hashlib
 *      key = bytes(range(32))                  # 000102...1f
 *      hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()
 *      hashlib.sha256(canonical.encode()).hexdigest()
 *
 *  where `canonical` was built as protocol.md section 5 says ("%.8f" % x for
 *  numbers, "" for absent fields, "\n".join of the 11 lines).
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "mt5/crypto.h"
#include "mt5/error.h"
#include "mt5/sig.h"

/* The fixed test key, bytes 0x00..0x1f. */
#define KEY_HEX "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
/* A piece of it that must never show up in an error detail. */
#define KEY_PIECE "0001020304050607"

/* ---- the four vectors ---------------------------------------------------- */

#define OPEN_FULL_CANON                                                                            \
    "v1\nOPEN\nord-42\nXAUUSD\nSELL\n0.25000000\n2345.67000000\n2360.50000000\n"                   \
    "2300.00000000\n\n1700000001234"
#define OPEN_FULL_MAC "171859f0653e2291e423ba1c498d7a7b3b5fde3602ff21d4fbc830f4e4a58b07"
#define OPEN_FULL_SHA "2aaacf2be2493b8c3a7ef5ee60566f06974afcb4d1d3588396074d1e11b45beb"

#define OPEN_MIN_CANON "v1\nOPEN\nr-1\nEURUSD\nBUY\n0.10000000\n\n\n\n\n1700000000000"
#define OPEN_MIN_MAC "2e650eaf4a5d57bb3576f4f8911e862ecaa79399c27a7609785650cb4fda1917"
#define OPEN_MIN_SHA "bbedf4606919a095244408a6000d2d7f9060b75cb5fdc17239113ffcf1d0eca2"

#define CLOSE_WHOLE_CANON "v1\nCLOSE\nc-7\n\n\n\n\n\n\n123456789\n1700000005000"
#define CLOSE_WHOLE_MAC "a2370020c08a4cb237fa52cfe87507cf8d2d6fa694642a657874f365e77ce051"
#define CLOSE_WHOLE_SHA "531a6d1194a7239788df0c09d349c5ec3d152e4e5b73dd5a71cac1d6a8247745"

#define CLOSE_PART_CANON "v1\nCLOSE\nc-8\n\n\n0.05000000\n\n\n\n987654321012\n1700000009999"
#define CLOSE_PART_MAC "00bf74a7f39a93cf8e2233476bb9b8fbff655bd44c1089a6b1268b0248472064"
#define CLOSE_PART_SHA "0860c855fc67ff1c6d4d7c55bbe6ca906f74420ae1fe38c99267db27d22e1b64"

static mt5_request_t s_open_full(void)
{
    mt5_request_t r;
    memset(&r, 0, sizeof r);
    r.action = MT5_ACTION_OPEN;
    r.has = MT5_HAS_REQ_ID | MT5_HAS_SYMBOL | MT5_HAS_SIDE | MT5_HAS_VOLUME | MT5_HAS_PRICE |
            MT5_HAS_SL | MT5_HAS_TP | MT5_HAS_MAGIC | MT5_HAS_COMMENT;
    memcpy(r.req_id, "ord-42", 7);
    memcpy(r.symbol, "XAUUSD", 7);
    r.side = MT5_SIDE_SELL;
    r.volume = 0.25;
    r.price = 2345.67;
    r.sl = 2360.5;
    r.tp = 2300.0;
    r.magic = 77; /* not signed */
    memcpy(r.comment, "not signed", 11);
    return r;
}

static mt5_request_t s_open_min(void)
{
    mt5_request_t r;
    memset(&r, 0, sizeof r);
    r.action = MT5_ACTION_OPEN;
    r.has = MT5_HAS_REQ_ID | MT5_HAS_SYMBOL | MT5_HAS_SIDE | MT5_HAS_VOLUME;
    memcpy(r.req_id, "r-1", 4);
    memcpy(r.symbol, "EURUSD", 7);
    r.side = MT5_SIDE_BUY;
    r.volume = 0.1;
    r.price = 1.5; /* no MT5_HAS_PRICE: must not be signed */
    return r;
}

static mt5_request_t s_close_whole(void)
{
    mt5_request_t r;
    memset(&r, 0, sizeof r);
    r.action = MT5_ACTION_CLOSE;
    r.has = MT5_HAS_REQ_ID | MT5_HAS_TICKET;
    memcpy(r.req_id, "c-7", 4);
    r.ticket = 123456789;
    return r;
}

static mt5_request_t s_close_part(void)
{
    mt5_request_t r;
    memset(&r, 0, sizeof r);
    r.action = MT5_ACTION_CLOSE;
    r.has = MT5_HAS_REQ_ID | MT5_HAS_TICKET | MT5_HAS_VOLUME;
    memcpy(r.req_id, "c-8", 4);
    r.ticket = 987654321012;
    r.volume = 0.05;
    return r;
}

typedef struct {
    mt5_request_t (*make)(void);
    int64_t ts;
    const char *canon;
    const char *mac;
    const char *sha;
} vector_t;

static const vector_t s_vectors[] = {
    {s_open_full, 1700000001234, OPEN_FULL_CANON, OPEN_FULL_MAC, OPEN_FULL_SHA},
    {s_open_min, 1700000000000, OPEN_MIN_CANON, OPEN_MIN_MAC, OPEN_MIN_SHA},
    {s_close_whole, 1700000005000, CLOSE_WHOLE_CANON, CLOSE_WHOLE_MAC, CLOSE_WHOLE_SHA},
    {s_close_part, 1700000009999, CLOSE_PART_CANON, CLOSE_PART_MAC, CLOSE_PART_SHA},
};
#define N_VECTORS (sizeof s_vectors / sizeof s_vectors[0])

static void s_set_sig(mt5_request_t *r, const char *sig)
{
    size_t n = strlen(sig);
    assert_true(n < sizeof r->risk_signature);
    memcpy(r->risk_signature, sig, n + 1);
    r->has |= MT5_HAS_SIGNATURE;
}

static mt5_key_t *s_test_key(void)
{
    mt5_key_t *key = NULL;
    assert_int_equal(mt5_key_from_hex(&key, KEY_HEX), MT5_OK);
    assert_int_equal(mt5_key_size(key), 32);
    return key;
}

/* ---- sandbox for key files ----------------------------------------------- */

typedef struct {
    char dir[64];
} sandbox_t;

static int s_setup(void **state)
{
    sandbox_t *sb = calloc(1, sizeof *sb);
    if (!sb)
        return -1;
    memcpy(sb->dir, "/tmp/mt5-test-sig-XXXXXX", 25);
    if (!mkdtemp(sb->dir)) {
        free(sb);
        return -1;
    }
    *state = sb;
    return 0;
}

static int s_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int s_teardown(void **state)
{
    sandbox_t *sb = *state;
    int rc = nftw(sb->dir, s_rm, 8, FTW_DEPTH | FTW_PHYS);
    free(sb);
    return rc;
}

/* Write `len` bytes to sandbox file `name` with `mode`; return its path. */
static const char *s_write(sandbox_t *sb, const char *name, const char *data, size_t len,
                           mode_t mode)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", sb->dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
    assert_int_equal(chmod(path, mode), 0); /* exact, whatever the umask */
    return path;
}

static void s_no_key_in_detail(void)
{
    assert_null(strstr(mt5_error_detail(), KEY_PIECE));
}

/* ---- key files ----------------------------------------------------------- */

static void test_sig__key_file_good(void **state)
{
    sandbox_t *sb = *state;
    static const struct {
        const char *text;
        mode_t mode;
    } cases[] = {
        {KEY_HEX, 0600},      {KEY_HEX "\n", 0600}, {KEY_HEX "\r\n", 0600},
        {KEY_HEX "\n", 0400}, {KEY_HEX, 0700},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *path = s_write(sb, "key", cases[i].text, strlen(cases[i].text), cases[i].mode);
        mt5_key_t *key = NULL;
        assert_int_equal(mt5_key_load_file(&key, path), MT5_OK);
        assert_int_equal(mt5_key_size(key), 32);

        /* The file key is the test key: it signs the Python vector. */
        mt5_request_t r = s_open_min();
        char sig[MT5_SIGNATURE_MAX + 1];
        assert_int_equal(mt5_sig_sign(sig, sizeof sig, key, &r, 1700000000000), MT5_OK);
        assert_string_equal(sig, "RISK_PASS:" OPEN_MIN_MAC ":1700000000000");
        mt5_key_destroy(&key);
        assert_null(key);
    }
}

static void test_sig__key_file_upper_case_and_longest(void **state)
{
    sandbox_t *sb = *state;
    /* 1024 upper-case digits and "\r\n": the longest file that is a key. */
    char text[2 * MT5_KEY_MAX + 2];
    for (size_t i = 0; i < 2 * MT5_KEY_MAX; i++)
        text[i] = "0123456789ABCDEF"[i % 16];
    text[2 * MT5_KEY_MAX] = '\r';
    text[2 * MT5_KEY_MAX + 1] = '\n';
    const char *path = s_write(sb, "long", text, sizeof text, 0600);
    mt5_key_t *key = NULL;
    assert_int_equal(mt5_key_load_file(&key, path), MT5_OK);
    assert_int_equal(mt5_key_size(key), MT5_KEY_MAX);
    mt5_key_destroy(&key);
}

static void test_sig__key_file_follows_symlink(void **state)
{
    sandbox_t *sb = *state;
    char target[128], link[128];
    snprintf(target, sizeof target, "%s", s_write(sb, "real", KEY_HEX "\n", 65, 0600));
    snprintf(link, sizeof link, "%s/link", sb->dir);
    assert_int_equal(symlink(target, link), 0);
    mt5_key_t *key = NULL;
    assert_int_equal(mt5_key_load_file(&key, link), MT5_OK);
    assert_int_equal(mt5_key_size(key), 32);
    mt5_key_destroy(&key);

    /* The target's mode is what counts, not the link's 0777. */
    assert_int_equal(chmod(target, 0644), 0);
    assert_int_equal(mt5_key_load_file(&key, link), MT5_EKEY);
    assert_null(key);
}

static void test_sig__key_file_mode(void **state)
{
    sandbox_t *sb = *state;
    static const struct {
        mode_t mode;
        const char *shown;
    } cases[] = {
        {0644, "0644"}, {0640, "0640"}, {0604, "0604"}, {0620, "0620"},
        {0602, "0602"}, {0610, "0610"}, {0601, "0601"}, {0666, "0666"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *path = s_write(sb, "key", KEY_HEX "\n", 65, cases[i].mode);
        mt5_key_t *key = NULL;
        assert_int_equal(mt5_key_load_file(&key, path), MT5_EKEY);
        assert_null(key);
        char want[256];
        snprintf(want, sizeof want,
                 "key file %s is readable or writable by group or others (mode %s); "
                 "chmod 600 it",
                 path, cases[i].shown);
        assert_string_equal(mt5_error_detail(), want);
    }
}

static void test_sig__key_file_bad_content(void **state)
{
    sandbox_t *sb = *state;
    static const char hex63[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1";
    static const char hex62[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e";
    static const struct {
        const char *text;
        const char *detail; /* after "key file <path>" */
    } cases[] = {
        {"", " is empty; it must hold at least 64 hex digits"},
        {"\n", " is empty; it must hold at least 64 hex digits"},
        {"\r\n", " is empty; it must hold at least 64 hex digits"},
        {hex63, " has an odd number of hex digits (63)"},
        {hex62, " is too short: 62 hex digits, need at least 64"},
        {KEY_HEX "0", " has an odd number of hex digits (65)"},
        {KEY_HEX "\n\n", ": character 65 is not a hex digit (only hex digits and one "
                         "trailing newline are allowed)"},
        {KEY_HEX "\nab", ": character 65 is not a hex digit (only hex digits and one "
                         "trailing newline are allowed)"},
        {KEY_HEX " ", ": character 65 is not a hex digit (only hex digits and one "
                      "trailing newline are allowed)"},
        {KEY_HEX "\r", ": character 65 is not a hex digit (only hex digits and one "
                       "trailing newline are allowed)"},
        {KEY_HEX "\n\r\n", ": character 65 is not a hex digit (only hex digits and one "
                           "trailing newline are allowed)"},
        {" " KEY_HEX, ": character 1 is not a hex digit (only hex digits and one "
                      "trailing newline are allowed)"},
        {"0x" KEY_HEX, ": character 2 is not a hex digit (only hex digits and one "
                       "trailing newline are allowed)"},
        {"00010203g405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
         ": character 9 is not a hex digit (only hex digits and one "
         "trailing newline are allowed)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *path = s_write(sb, "key", cases[i].text, strlen(cases[i].text), 0600);
        mt5_key_t *key = NULL;
        assert_int_equal(mt5_key_load_file(&key, path), MT5_EKEY);
        assert_null(key);
        char want[512];
        snprintf(want, sizeof want, "key file %s%s", path, cases[i].detail);
        assert_string_equal(mt5_error_detail(), want);
        s_no_key_in_detail();
    }
}

static void test_sig__key_file_too_long(void **state)
{
    sandbox_t *sb = *state;
    static char text[4096];
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = "0123456789abcdef"[i % 16];
    char want[512];
    mt5_key_t *key = NULL;

    /* 1026 digits: read whole, refused by count. */
    const char *path = s_write(sb, "key", text, 2 * MT5_KEY_MAX + 2, 0600);
    assert_int_equal(mt5_key_load_file(&key, path), MT5_EKEY);
    snprintf(want, sizeof want, "key file %s is too long: 1026 hex digits, at most 1024", path);
    assert_string_equal(mt5_error_detail(), want);

    /* A bad digit, then an odd count, are reported before the length. */
    text[2 * MT5_KEY_MAX + 1] = 'z';
    path = s_write(sb, "key", text, 2 * MT5_KEY_MAX + 2, 0600);
    assert_int_equal(mt5_key_load_file(&key, path), MT5_EKEY);
    snprintf(want, sizeof want,
             "key file %s: character 1026 is not a hex digit (only hex digits and one trailing "
             "newline are allowed)",
             path);
    assert_string_equal(mt5_error_detail(), want);
    text[2 * MT5_KEY_MAX + 1] = "0123456789abcdef"[(2 * MT5_KEY_MAX + 1) % 16];
    path = s_write(sb, "key", text, 2 * MT5_KEY_MAX + 1, 0600);
    assert_int_equal(mt5_key_load_file(&key, path), MT5_EKEY);
    snprintf(want, sizeof want, "key file %s has an odd number of hex digits (1025)", path);
    assert_string_equal(mt5_error_detail(), want);

    /* 1024 digits and "\n\n", and 4096 digits: refused by size, unread. */
    memcpy(text + 2 * MT5_KEY_MAX, "\n\n", 2);
    path = s_write(sb, "key", text, 2 * MT5_KEY_MAX + 3, 0600);
    assert_int_equal(mt5_key_load_file(&key, path), MT5_EKEY);
    snprintf(want, sizeof want, "key file %s is too long: more than 1024 hex digits and a newline",
             path);
    assert_string_equal(mt5_error_detail(), want);
    memcpy(text + 2 * MT5_KEY_MAX, "01", 2);
    path = s_write(sb, "key", text, sizeof text, 0600);
    assert_int_equal(mt5_key_load_file(&key, path), MT5_EKEY);
    assert_string_equal(mt5_error_detail(), want);
    assert_null(key);
}

static void test_sig__key_file_not_regular(void **state)
{
    sandbox_t *sb = *state;
    char path[128], want[256];
    mt5_key_t *key = NULL;

    snprintf(path, sizeof path, "%s/dir", sb->dir);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(mt5_key_load_file(&key, path), MT5_EKEY);
    snprintf(want, sizeof want, "key file %s is not a regular file", path);
    assert_string_equal(mt5_error_detail(), want);

    /* A FIFO must be refused, not block the open waiting for a writer. */
    snprintf(path, sizeof path, "%s/fifo", sb->dir);
    assert_int_equal(mkfifo(path, 0600), 0);
    assert_int_equal(mt5_key_load_file(&key, path), MT5_EKEY);
    snprintf(want, sizeof want, "key file %s is not a regular file", path);
    assert_string_equal(mt5_error_detail(), want);
    assert_null(key);
}

static void test_sig__key_file_missing(void **state)
{
    sandbox_t *sb = *state;
    char path[128], want[256];
    mt5_key_t *key = NULL;
    snprintf(path, sizeof path, "%s/absent", sb->dir);
    assert_int_equal(mt5_key_load_file(&key, path), MT5_EIO);
    snprintf(want, sizeof want, "cannot open key file %s: %s", path, strerror(ENOENT));
    assert_string_equal(mt5_error_detail(), want);
    assert_null(key);

    assert_int_equal(mt5_key_load_file(&key, NULL), MT5_EINVAL);
    assert_int_equal(mt5_key_load_file(NULL, path), MT5_EINVAL);
}

/* ---- keys from hex and from the environment ------------------------------ */

static void test_sig__key_from_hex(void **state)
{
    (void)state;
    static const struct {
        const char *hex;
        int rc;
        size_t size;
        const char *detail;
    } cases[] = {
        {KEY_HEX, MT5_OK, 32, NULL},
        {KEY_HEX "\n", MT5_OK, 32, NULL},
        {KEY_HEX "\r\n", MT5_OK, 32, NULL},
        {"000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F", MT5_OK, 32, NULL},
        {KEY_HEX KEY_HEX, MT5_OK, 64, NULL},
        {"", MT5_EKEY, 0, "hex key is empty; it must hold at least 64 hex digits"},
        {"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1", MT5_EKEY, 0,
         "hex key has an odd number of hex digits (63)"},
        {"00", MT5_EKEY, 0, "hex key is too short: 2 hex digits, need at least 64"},
        {KEY_HEX "\n\n", MT5_EKEY, 0,
         "hex key: character 65 is not a hex digit (only hex "
         "digits and one trailing newline are allowed)"},
        {KEY_HEX "zz", MT5_EKEY, 0,
         "hex key: character 65 is not a hex digit (only hex "
         "digits and one trailing newline are allowed)"},
        /* a bad digit before an odd count before the length */
        {"0g", MT5_EKEY, 0,
         "hex key: character 2 is not a hex digit (only hex "
         "digits and one trailing newline are allowed)"},
        {"abc", MT5_EKEY, 0, "hex key has an odd number of hex digits (3)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mt5_key_t *key = NULL;
        assert_int_equal(mt5_key_from_hex(&key, cases[i].hex), cases[i].rc);
        assert_int_equal(mt5_key_size(key), cases[i].size);
        if (cases[i].detail)
            assert_string_equal(mt5_error_detail(), cases[i].detail);
        s_no_key_in_detail();
        mt5_key_destroy(&key);
        assert_null(key);
    }
    mt5_key_t *key = NULL;
    assert_int_equal(mt5_key_from_hex(&key, NULL), MT5_EINVAL);
    assert_int_equal(mt5_key_from_hex(NULL, KEY_HEX), MT5_EINVAL);
}

static void test_sig__key_from_env(void **state)
{
    (void)state;
    static const char var[] = "MT5_TEST_SIG_KEY";
    mt5_key_t *key = NULL;

    assert_int_equal(setenv(var, KEY_HEX, 1), 0);
    assert_int_equal(mt5_key_from_env(&key, var), MT5_OK);
    assert_int_equal(mt5_key_size(key), 32);
    mt5_request_t r = s_close_part();
    char sig[MT5_SIGNATURE_MAX + 1];
    assert_int_equal(mt5_sig_sign(sig, sizeof sig, key, &r, 1700000009999), MT5_OK);
    assert_string_equal(sig, "RISK_PASS:" CLOSE_PART_MAC ":1700000009999");
    mt5_key_destroy(&key);

    assert_int_equal(setenv(var, "", 1), 0);
    assert_int_equal(mt5_key_from_env(&key, var), MT5_ENOTFOUND);
    assert_string_equal(mt5_error_detail(),
                        "environment variable MT5_TEST_SIG_KEY is not set or empty");

    assert_int_equal(unsetenv(var), 0);
    assert_int_equal(mt5_key_from_env(&key, var), MT5_ENOTFOUND);

    assert_int_equal(setenv(var, "0001020304050607 is not hex", 1), 0);
    assert_int_equal(mt5_key_from_env(&key, var), MT5_EKEY);
    assert_string_equal(mt5_error_detail(),
                        "environment variable MT5_TEST_SIG_KEY: character 17 is not a hex "
                        "digit (only hex digits and one trailing newline are allowed)");
    s_no_key_in_detail();
    assert_int_equal(unsetenv(var), 0);
    assert_null(key);

    assert_int_equal(mt5_key_from_env(&key, NULL), MT5_EINVAL);
    assert_int_equal(mt5_key_from_env(&key, ""), MT5_EINVAL);
    assert_int_equal(mt5_key_from_env(NULL, var), MT5_EINVAL);
}

static void test_sig__key_destroy_null(void **state)
{
    (void)state;
    mt5_key_t *key = NULL;
    mt5_key_destroy(&key);
    mt5_key_destroy(NULL);
    assert_null(key);
    assert_int_equal(mt5_key_size(NULL), 0);
}

/* ---- canonical string ---------------------------------------------------- */

static void test_sig__canonical_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_VECTORS; i++) {
        mt5_request_t r = s_vectors[i].make();
        char buf[MT5_CANONICAL_MAX];
        int n = mt5_sig_canonical(buf, sizeof buf, &r, s_vectors[i].ts);
        assert_int_equal(n, (int)strlen(s_vectors[i].canon));
        assert_string_equal(buf, s_vectors[i].canon);
    }
}

static void test_sig__canonical_buffer_edges(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_VECTORS; i++) {
        mt5_request_t r = s_vectors[i].make();
        size_t len = strlen(s_vectors[i].canon);
        char buf[MT5_CANONICAL_MAX];
        /* Every size short of len + 1 fails, whichever field runs out. */
        for (size_t cap = 1; cap <= len; cap++) {
            memset(buf, 'x', sizeof buf);
            assert_int_equal(mt5_sig_canonical(buf, cap, &r, s_vectors[i].ts), -MT5_EINVAL);
            assert_int_equal(buf[0], '\0');
        }
        assert_int_equal(mt5_sig_canonical(buf, len + 1, &r, s_vectors[i].ts), (int)len);
        assert_string_equal(buf, s_vectors[i].canon);
    }
}

static void test_sig__canonical_bad_requests(void **state)
{
    (void)state;
    char buf[MT5_CANONICAL_MAX];
    static const mt5_action bad_actions[] = {
        MT5_ACTION_NONE,        MT5_ACTION_HELLO,         MT5_ACTION_PING,
        MT5_ACTION_GET_ACCOUNT, MT5_ACTION_GET_POSITIONS, (mt5_action)99,
    };
    for (size_t i = 0; i < sizeof bad_actions / sizeof bad_actions[0]; i++) {
        mt5_request_t r = s_open_min();
        r.action = bad_actions[i];
        assert_int_equal(mt5_sig_canonical(buf, sizeof buf, &r, 1), -MT5_EINVAL);
        assert_string_equal(mt5_error_detail(), "canonical: only OPEN and CLOSE are signed");
    }

    mt5_request_t r = s_open_min();
    r.side = MT5_SIDE_NONE;
    assert_int_equal(mt5_sig_canonical(buf, sizeof buf, &r, 1), -MT5_EINVAL);
    assert_string_equal(mt5_error_detail(), "canonical: side is neither BUY nor SELL");
    r.has &= ~(unsigned)MT5_HAS_SIDE; /* no side: written as "" */
    assert_int_equal(mt5_sig_canonical(buf, sizeof buf, &r, 1),
                     (int)strlen("v1\nOPEN\nr-1\nEURUSD\n\n0.10000000\n\n\n\n\n1"));
    assert_string_equal(buf, "v1\nOPEN\nr-1\nEURUSD\n\n0.10000000\n\n\n\n\n1");

    static const double bad_numbers[] = {NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < 3; i++) {
        r = s_open_full();
        r.sl = bad_numbers[i];
        assert_int_equal(mt5_sig_canonical(buf, sizeof buf, &r, 1), -MT5_EINVAL);
    }

    r = s_open_min();
    memset(r.req_id, 'a', sizeof r.req_id);
    assert_int_equal(mt5_sig_canonical(buf, sizeof buf, &r, 1), -MT5_EINVAL);
    r = s_open_min();
    memset(r.symbol, 'a', sizeof r.symbol);
    assert_int_equal(mt5_sig_canonical(buf, sizeof buf, &r, 1), -MT5_EINVAL);

    r = s_open_min();
    assert_int_equal(mt5_sig_canonical(NULL, sizeof buf, &r, 1), -MT5_EINVAL);
    assert_int_equal(mt5_sig_canonical(buf, 0, &r, 1), -MT5_EINVAL);
    assert_int_equal(mt5_sig_canonical(buf, sizeof buf, NULL, 1), -MT5_EINVAL);
}

static void test_sig__canonical_numbers(void **state)
{
    (void)state;
    static const struct {
        double v;
        const char *text;
    } cases[] = {
        {0.1, "0.10000000"},
        {1.0, "1.00000000"},
        {0.0, "0.00000000"},
        {123456.789, "123456.78900000"},
        {1e-9, "0.00000000"},
        {0.000000015, "0.00000001"},
        {100000000000.0, "100000000000.00000000"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mt5_request_t r = s_close_whole();
        r.has |= MT5_HAS_VOLUME;
        r.volume = cases[i].v;
        char buf[MT5_CANONICAL_MAX], want[MT5_CANONICAL_MAX];
        snprintf(want, sizeof want, "v1\nCLOSE\nc-7\n\n\n%s\n\n\n\n123456789\n42", cases[i].text);
        assert_int_equal(mt5_sig_canonical(buf, sizeof buf, &r, 42), (int)strlen(want));
        assert_string_equal(buf, want);
    }
}

/* ---- sign ---------------------------------------------------------------- */

static void test_sig__sign_vectors(void **state)
{
    (void)state;
    mt5_key_t *key = s_test_key();
    for (size_t i = 0; i < N_VECTORS; i++) {
        mt5_request_t r = s_vectors[i].make();
        char sig[MT5_SIGNATURE_MAX + 1], want[MT5_SIGNATURE_MAX + 1];
        snprintf(want, sizeof want, "RISK_PASS:%s:%lld", s_vectors[i].mac,
                 (long long)s_vectors[i].ts);
        assert_int_equal(mt5_sig_sign(sig, sizeof sig, key, &r, s_vectors[i].ts), MT5_OK);
        assert_string_equal(sig, want);
    }
    mt5_key_destroy(&key);
}

static void test_sig__sign_bad_arguments(void **state)
{
    (void)state;
    mt5_key_t *key = s_test_key();
    mt5_request_t r = s_open_min();
    char sig[MT5_SIGNATURE_MAX + 1];

    /* The exact fit: 10 + 64 + 1 + 13 characters and the NUL. */
    assert_int_equal(mt5_sig_sign(sig, 89, key, &r, 1700000000000), MT5_OK);
    assert_string_equal(sig, "RISK_PASS:" OPEN_MIN_MAC ":1700000000000");
    memcpy(sig, "untouched", 10);
    assert_int_equal(mt5_sig_sign(sig, 88, key, &r, 1700000000000), MT5_EINVAL);
    assert_string_equal(sig, "untouched");
    assert_string_equal(mt5_error_detail(), "sign: signature needs 89 bytes, buffer has 88");

    /* Timestamps the parser would refuse are not signed. */
    assert_int_equal(mt5_sig_sign(sig, sizeof sig, key, &r, -1), MT5_EINVAL);
    assert_string_equal(mt5_error_detail(), "sign: ts_ms -1 is outside 0..999999999999999999");
    assert_int_equal(mt5_sig_sign(sig, sizeof sig, key, &r, 1000000000000000000), MT5_EINVAL);
    assert_int_equal(mt5_sig_sign(sig, sizeof sig, key, &r, 999999999999999999), MT5_OK);
    int64_t ts = 0;
    assert_int_equal(mt5_sig_parse(NULL, &ts, sig), MT5_OK);
    assert_int_equal(ts, 999999999999999999);
    assert_int_equal(mt5_sig_sign(sig, sizeof sig, key, &r, 0), MT5_OK);
    assert_int_equal(mt5_sig_parse(NULL, &ts, sig), MT5_OK);
    assert_int_equal(ts, 0);

    r.action = MT5_ACTION_PING;
    assert_int_equal(mt5_sig_sign(sig, sizeof sig, key, &r, 1), MT5_EINVAL);
    r = s_open_min();
    assert_int_equal(mt5_sig_sign(NULL, sizeof sig, key, &r, 1), MT5_EINVAL);
    assert_int_equal(mt5_sig_sign(sig, sizeof sig, NULL, &r, 1), MT5_EINVAL);
    assert_int_equal(mt5_sig_sign(sig, sizeof sig, key, NULL, 1), MT5_EINVAL);
    mt5_key_destroy(&key);
}

/* ---- parse --------------------------------------------------------------- */

static void test_sig__parse_table(void **state)
{
    (void)state;
    static const char mac_hex[] = OPEN_MIN_MAC;
    static const struct {
        const char *sig;
        int rc;
        int64_t ts;
    } cases[] = {
        {"RISK_PASS:" OPEN_MIN_MAC ":1700000000000", MT5_OK, 1700000000000},
        {"RISK_PASS:" OPEN_MIN_MAC ":0", MT5_OK, 0},
        {"RISK_PASS:" OPEN_MIN_MAC ":000000000000000001", MT5_OK, 1},
        {"RISK_PASS:" OPEN_MIN_MAC ":999999999999999999", MT5_OK, 999999999999999999},
        {"RISK_PASS:2E650EAF4A5D57BB3576F4F8911E862ECAA79399C27A7609785650CB4FDA1917:1",
         MT5_ESIGNATURE, 0},
        {"RISK_PASS:2e650eaf4a5d57bb3576f4f8911e862ecaa79399c27a7609785650cb4fda191:1",
         MT5_ESIGNATURE, 0}, /* 63 digits */
        {"RISK_PASS:2e650eaf4a5d57bb3576f4f8911e862ecaa79399c27a7609785650cb4fda19170:1",
         MT5_ESIGNATURE, 0}, /* 65 digits */
        {OPEN_MIN_MAC ":1", MT5_ESIGNATURE, 0},
        {":" OPEN_MIN_MAC ":1", MT5_ESIGNATURE, 0},
        {"risk_pass:" OPEN_MIN_MAC ":1", MT5_ESIGNATURE, 0},
        {"RISK_PASS " OPEN_MIN_MAC ":1", MT5_ESIGNATURE, 0},
        {"RISK_PASS:" OPEN_MIN_MAC, MT5_ESIGNATURE, 0},
        {"RISK_PASS:" OPEN_MIN_MAC ":", MT5_ESIGNATURE, 0},
        {"RISK_PASS:" OPEN_MIN_MAC ":+123", MT5_ESIGNATURE, 0},
        {"RISK_PASS:" OPEN_MIN_MAC ":-1", MT5_ESIGNATURE, 0},
        {"RISK_PASS:" OPEN_MIN_MAC ":1000000000000000000", MT5_ESIGNATURE, 0},
        {"RISK_PASS:" OPEN_MIN_MAC ":1700000000000 ", MT5_ESIGNATURE, 0},
        {"RISK_PASS:" OPEN_MIN_MAC ": 1700000000000", MT5_ESIGNATURE, 0},
        {"RISK_PASS:" OPEN_MIN_MAC ":1700000000000\n", MT5_ESIGNATURE, 0},
        {"RISK_PASS:" OPEN_MIN_MAC ":1700000000000:1", MT5_ESIGNATURE, 0},
        {"RISK_PASS:" OPEN_MIN_MAC "::1700000000000", MT5_ESIGNATURE, 0},
        {"RISK_PASS:" OPEN_MIN_MAC ":0x10", MT5_ESIGNATURE, 0},
        {" RISK_PASS:" OPEN_MIN_MAC ":1", MT5_ESIGNATURE, 0},
        {"RISK_PASS:", MT5_ESIGNATURE, 0},
        {"", MT5_ESIGNATURE, 0},
    };
    uint8_t want_mac[32];
    size_t n = 0;
    assert_int_equal(mt5_hex_decode(want_mac, sizeof want_mac, &n, mac_hex, 64), MT5_OK);

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t mac[32];
        memset(mac, 0xee, sizeof mac);
        int64_t ts = -7;
        int rc = mt5_sig_parse(mac, &ts, cases[i].sig);
        if (rc != cases[i].rc)
            fail_msg("case %zu \"%s\": rc %d, want %d", i, cases[i].sig, rc, cases[i].rc);
        if (cases[i].rc == MT5_OK) {
            assert_memory_equal(mac, want_mac, sizeof mac);
            assert_int_equal(ts, cases[i].ts);
        } else {
            /* Out-parameters are left alone. */
            uint8_t same[32];
            memset(same, 0xee, sizeof same);
            assert_memory_equal(mac, same, sizeof mac);
            assert_int_equal(ts, -7);
        }
    }
    assert_int_equal(mt5_sig_parse(NULL, NULL, NULL), MT5_ESIGNATURE);
    assert_int_equal(mt5_sig_parse(NULL, NULL, "RISK_PASS:" OPEN_MIN_MAC ":5"), MT5_OK);
}

static void test_sig__parse_details(void **state)
{
    (void)state;
    static const struct {
        const char *sig;
        const char *detail;
    } cases[] = {
        {"RISK:" OPEN_MIN_MAC ":1", "risk_signature: does not start with \"RISK_PASS:\""},
        {"RISK_PASS:" OPEN_MIN_MAC "A:1", "risk_signature: expected ':' after 64 hex digits"},
        {"RISK_PASS:ABC", "risk_signature: MAC must be 64 lower-case hex digits"},
        {"RISK_PASS:" OPEN_MIN_MAC ":1 ",
         "risk_signature: ts_ms must be 1 to 18 decimal digits and end the signature"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(mt5_sig_parse(NULL, NULL, cases[i].sig), MT5_ESIGNATURE);
        assert_string_equal(mt5_error_detail(), cases[i].detail);
    }
}

/* ---- verify -------------------------------------------------------------- */

static void test_sig__verify_python_vectors(void **state)
{
    (void)state;
    mt5_key_t *key = s_test_key();
    for (size_t i = 0; i < N_VECTORS; i++) {
        mt5_request_t r = s_vectors[i].make();
        char sig[MT5_SIGNATURE_MAX + 1];
        snprintf(sig, sizeof sig, "RISK_PASS:%s:%lld", s_vectors[i].mac,
                 (long long)s_vectors[i].ts);
        s_set_sig(&r, sig);

        int64_t ts = -1;
        uint8_t digest[32];
        char digest_hex[65];
        assert_int_equal(mt5_sig_verify(key, &r, &ts, digest), MT5_WIRE_OK);
        assert_int_equal(ts, s_vectors[i].ts);
        assert_int_equal(mt5_hex_encode(digest_hex, sizeof digest_hex, digest, 32), MT5_OK);
        assert_string_equal(digest_hex, s_vectors[i].sha);

        assert_int_equal(mt5_sig_verify(key, &r, NULL, NULL), MT5_WIRE_OK);
    }
    mt5_key_destroy(&key);
}

static void test_sig__verify_missing(void **state)
{
    (void)state;
    mt5_key_t *key = s_test_key();
    mt5_request_t r = s_open_min();
    /* Even a correct signature string counts for nothing without its bit. */
    memcpy(r.risk_signature, "RISK_PASS:" OPEN_MIN_MAC ":1700000000000",
           sizeof "RISK_PASS:" OPEN_MIN_MAC ":1700000000000");
    int64_t ts = -5;
    assert_int_equal(mt5_sig_verify(key, &r, &ts, NULL), MT5_WIRE_MISSING_SIGNATURE);
    assert_int_equal(ts, -5);
    assert_int_equal(mt5_sig_verify(NULL, &r, &ts, NULL), MT5_WIRE_MISSING_SIGNATURE);
    mt5_key_destroy(&key);
}

static void test_sig__verify_invalid(void **state)
{
    (void)state;
    mt5_key_t *key = s_test_key();
    mt5_key_t *other = NULL;
    assert_int_equal(
        mt5_key_from_hex(&other,
                         "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"),
        MT5_OK);
    static const char good[] = "RISK_PASS:" OPEN_FULL_MAC ":1700000001234";
    mt5_request_t r = s_open_full();
    s_set_sig(&r, good);
    assert_int_equal(mt5_sig_verify(key, &r, NULL, NULL), MT5_WIRE_OK);

    int64_t ts = -5;
    uint8_t digest[32], same[32];
    memset(digest, 0xee, sizeof digest);
    memset(same, 0xee, sizeof same);

    /* Wrong key. */
    assert_int_equal(mt5_sig_verify(other, &r, &ts, digest), MT5_WIRE_INVALID_SIGNATURE);
    assert_string_equal(mt5_error_detail(), "risk_signature: MAC does not match the request");
    /* No key at all. */
    assert_int_equal(mt5_sig_verify(NULL, &r, &ts, digest), MT5_WIRE_INVALID_SIGNATURE);

    /* Tampered volume, by the smallest step "%.8f" shows. */
    r.volume = 0.25000001;
    assert_int_equal(mt5_sig_verify(key, &r, &ts, digest), MT5_WIRE_INVALID_SIGNATURE);
    /* A field the signature covers, dropped. */
    r = s_open_full();
    s_set_sig(&r, good);
    r.has &= ~(unsigned)MT5_HAS_SL;
    assert_int_equal(mt5_sig_verify(key, &r, &ts, digest), MT5_WIRE_INVALID_SIGNATURE);
    /* Tampered side, ticket added. */
    r = s_open_full();
    s_set_sig(&r, good);
    r.side = MT5_SIDE_BUY;
    assert_int_equal(mt5_sig_verify(key, &r, &ts, digest), MT5_WIRE_INVALID_SIGNATURE);
    r = s_open_full();
    s_set_sig(&r, good);
    r.has |= MT5_HAS_TICKET;
    assert_int_equal(mt5_sig_verify(key, &r, &ts, digest), MT5_WIRE_INVALID_SIGNATURE);

    /* Tampered ts: the MAC covers it, so a fresher time cannot be claimed. */
    r = s_open_full();
    s_set_sig(&r, "RISK_PASS:" OPEN_FULL_MAC ":1700000001235");
    assert_int_equal(mt5_sig_verify(key, &r, &ts, digest), MT5_WIRE_INVALID_SIGNATURE);
    /* One flipped MAC digit. */
    s_set_sig(&r, "RISK_PASS:071859f0653e2291e423ba1c498d7a7b3b5fde3602ff21d4fbc830f4e4a58b07"
                  ":1700000001234");
    assert_int_equal(mt5_sig_verify(key, &r, &ts, digest), MT5_WIRE_INVALID_SIGNATURE);

    /* Unparseable: upper-case, empty (what the decoder leaves for an
     * over-long one), trailing newline. */
    s_set_sig(&r, "RISK_PASS:171859F0653E2291E423BA1C498D7A7B3B5FDE3602FF21D4FBC830F4E4A58B07"
                  ":1700000001234");
    assert_int_equal(mt5_sig_verify(key, &r, &ts, digest), MT5_WIRE_INVALID_SIGNATURE);
    s_set_sig(&r, "");
    assert_int_equal(mt5_sig_verify(key, &r, &ts, digest), MT5_WIRE_INVALID_SIGNATURE);
    s_set_sig(&r, "RISK_PASS:" OPEN_FULL_MAC ":1700000001234\n");
    assert_int_equal(mt5_sig_verify(key, &r, &ts, digest), MT5_WIRE_INVALID_SIGNATURE);

    /* Not terminated, and not a signed action. */
    r = s_open_full();
    s_set_sig(&r, good);
    memset(r.risk_signature, 'a', sizeof r.risk_signature);
    assert_int_equal(mt5_sig_verify(key, &r, &ts, digest), MT5_WIRE_INVALID_SIGNATURE);
    r = s_open_full();
    s_set_sig(&r, good);
    r.action = MT5_ACTION_PING;
    assert_int_equal(mt5_sig_verify(key, &r, &ts, digest), MT5_WIRE_INVALID_SIGNATURE);
    assert_int_equal(mt5_sig_verify(key, NULL, &ts, digest), MT5_WIRE_INVALID_SIGNATURE);

    /* No failure wrote an out-parameter. */
    assert_int_equal(ts, -5);
    assert_memory_equal(digest, same, sizeof digest);
    mt5_key_destroy(&other);
    mt5_key_destroy(&key);
}

static void test_sig__sign_then_verify_round_trip(void **state)
{
    (void)state;
    mt5_key_t *key = s_test_key();
    mt5_request_t r = s_open_full();
    char sig[MT5_SIGNATURE_MAX + 1];
    assert_int_equal(mt5_sig_sign(sig, sizeof sig, key, &r, 1234567890123), MT5_OK);
    s_set_sig(&r, sig);
    int64_t ts = 0;
    uint8_t digest[32], want[32];
    assert_int_equal(mt5_sig_verify(key, &r, &ts, digest), MT5_WIRE_OK);
    assert_int_equal(ts, 1234567890123);
    char canon[MT5_CANONICAL_MAX];
    int n = mt5_sig_canonical(canon, sizeof canon, &r, ts);
    assert_true(n > 0);
    mt5_sha256(want, canon, (size_t)n);
    assert_memory_equal(digest, want, sizeof digest);
    mt5_key_destroy(&key);
}

/* ---- freshness ----------------------------------------------------------- */

static void test_sig__fresh_edges(void **state)
{
    (void)state;
    static const struct {
        int64_t ts, now, ttl;
        bool fresh;
    } cases[] = {
        {1000000, 1000000, 2000, true},
        {1000000, 1002000, 2000, true},  /* signed exactly ttl ago */
        {1000000, 1002001, 2000, false}, /* ttl + 1 ago */
        {1002000, 1000000, 2000, true},  /* exactly ttl in the future */
        {1002001, 1000000, 2000, false}, /* ttl + 1 in the future */
        {5, 5, 0, true},
        {5, 6, 0, false},
        {6, 5, 0, false},
        {5, 5, -1, false},
        {0, INT64_MAX, INT64_MAX, true},
        {-1, INT64_MAX, INT64_MAX, false}, /* difference 2^63: no overflow */
        {INT64_MIN, INT64_MAX, INT64_MAX, false},
        {INT64_MAX, INT64_MIN, INT64_MAX, false},
        {INT64_MIN, -1, INT64_MAX, true},
        {INT64_MAX, 0, INT64_MAX, true},
        {1700000000000, 1700000002000, MT5_DEFAULT_TTL_MS, true},
        {1700000000000, 1700000002001, MT5_DEFAULT_TTL_MS, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (mt5_sig_fresh(cases[i].ts, cases[i].now, cases[i].ttl) != cases[i].fresh)
            fail_msg("case %zu: ts %lld now %lld ttl %lld: want %s", i, (long long)cases[i].ts,
                     (long long)cases[i].now, (long long)cases[i].ttl,
                     cases[i].fresh ? "fresh" : "stale");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sig__key_file_good, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_sig__key_file_upper_case_and_longest, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_sig__key_file_follows_symlink, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_sig__key_file_mode, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_sig__key_file_bad_content, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_sig__key_file_too_long, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_sig__key_file_not_regular, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_sig__key_file_missing, s_setup, s_teardown),
        cmocka_unit_test(test_sig__key_from_hex),
        cmocka_unit_test(test_sig__key_from_env),
        cmocka_unit_test(test_sig__key_destroy_null),
        cmocka_unit_test(test_sig__canonical_vectors),
        cmocka_unit_test(test_sig__canonical_buffer_edges),
        cmocka_unit_test(test_sig__canonical_bad_requests),
        cmocka_unit_test(test_sig__canonical_numbers),
        cmocka_unit_test(test_sig__sign_vectors),
        cmocka_unit_test(test_sig__sign_bad_arguments),
        cmocka_unit_test(test_sig__parse_table),
        cmocka_unit_test(test_sig__parse_details),
        cmocka_unit_test(test_sig__verify_python_vectors),
        cmocka_unit_test(test_sig__verify_missing),
        cmocka_unit_test(test_sig__verify_invalid),
        cmocka_unit_test(test_sig__sign_then_verify_round_trip),
        cmocka_unit_test(test_sig__fresh_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
