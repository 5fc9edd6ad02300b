/*  test_idem.c - the idempotency store: a stored req_id gives back its
 *  exact reply for the same digest, REQ_ID_REUSED (MT5_ESTATE) for another,
 *  and nothing is ever overwritten or lost, through many growths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mt5/error.h"
#include "mt5/idem.h"

/* A digest that differs for every seed (and in more than one byte). */
static void s_digest(uint8_t digest[32], uint32_t seed)
{
    for (int i = 0; i < 32; i++)
        digest[i] = (uint8_t)((seed >> (8 * (i % 4))) ^ (uint32_t)(i * 37));
}

static void test_idem__store_then_lookup(void **state)
{
    (void)state;
    mt5_idem_t *idem = mt5_idem_new();
    assert_non_null(idem);
    assert_int_equal(mt5_idem_count(idem), 0);
    uint8_t digest[32];
    s_digest(digest, 1);
    const char *stored = "{\"status\":\"ok\",\"req_id\":\"ord-1\",\"ticket\":1}";
    assert_int_equal(mt5_idem_store(idem, "ord-1", digest, stored), MT5_OK);
    assert_int_equal(mt5_idem_count(idem), 1);

    const char *reply = NULL;
    assert_int_equal(mt5_idem_lookup(idem, "ord-1", digest, &reply), MT5_OK);
    assert_string_equal(reply, stored);
    assert_ptr_not_equal(reply, stored); /* a copy, not the caller's buffer */
    /* The caller may only want to know. */
    assert_int_equal(mt5_idem_lookup(idem, "ord-1", digest, NULL), MT5_OK);
    mt5_idem_destroy(&idem);
    assert_null(idem);
    mt5_idem_destroy(&idem);
    mt5_idem_destroy(NULL);
}

static void test_idem__different_digest_is_reuse(void **state)
{
    (void)state;
    mt5_idem_t *idem = mt5_idem_new();
    assert_non_null(idem);
    uint8_t digest[32], other[32];
    s_digest(digest, 7);
    memcpy(other, digest, sizeof other);
    other[31] ^= 1; /* one bit is enough */
    assert_int_equal(mt5_idem_store(idem, "ord-7", digest, "first"), MT5_OK);
    const char *reply = "untouched";
    assert_int_equal(mt5_idem_lookup(idem, "ord-7", other, &reply), MT5_ESTATE);
    assert_string_equal(reply, "untouched");
    assert_string_equal(mt5_error_detail(), "idem: req_id ord-7 was used for a different request");
    mt5_idem_destroy(&idem);
}

static void test_idem__unknown_is_not_found(void **state)
{
    (void)state;
    mt5_idem_t *idem = mt5_idem_new();
    assert_non_null(idem);
    uint8_t digest[32];
    s_digest(digest, 3);
    const char *reply = "untouched";
    assert_int_equal(mt5_idem_lookup(idem, "never", digest, &reply), MT5_ENOTFOUND);
    assert_string_equal(reply, "untouched");
    assert_string_equal(mt5_error_detail(), "idem: req_id never was never executed");
    /* A prefix or an extension of a stored req_id is another req_id. */
    assert_int_equal(mt5_idem_store(idem, "abc", digest, "r"), MT5_OK);
    assert_int_equal(mt5_idem_lookup(idem, "ab", digest, &reply), MT5_ENOTFOUND);
    assert_int_equal(mt5_idem_lookup(idem, "abcd", digest, &reply), MT5_ENOTFOUND);
    assert_int_equal(mt5_idem_lookup(idem, "ABC", digest, &reply), MT5_ENOTFOUND);
    mt5_idem_destroy(&idem);
}

static void test_idem__store_twice_keeps_first(void **state)
{
    (void)state;
    mt5_idem_t *idem = mt5_idem_new();
    assert_non_null(idem);
    uint8_t digest[32], other[32];
    s_digest(digest, 11);
    s_digest(other, 12);
    assert_int_equal(mt5_idem_store(idem, "twice", digest, "first reply"), MT5_OK);
    assert_int_equal(mt5_idem_store(idem, "twice", digest, "second reply"), MT5_ESTATE);
    assert_string_equal(mt5_error_detail(), "idem: req_id twice is already stored");
    assert_int_equal(mt5_idem_store(idem, "twice", other, "third reply"), MT5_ESTATE);
    assert_int_equal(mt5_idem_count(idem), 1);
    const char *reply = NULL;
    assert_int_equal(mt5_idem_lookup(idem, "twice", digest, &reply), MT5_OK);
    assert_string_equal(reply, "first reply");
    mt5_idem_destroy(&idem);
}

static void test_idem__many_entries_survive_growth(void **state)
{
    (void)state;
    enum { N = 100000 };
    mt5_idem_t *idem = mt5_idem_new();
    assert_non_null(idem);
    char req_id[32], text[48];
    uint8_t digest[32];
    const char *first = NULL;
    for (uint32_t i = 0; i < N; i++) {
        snprintf(req_id, sizeof req_id, "req-%u", (unsigned)i);
        snprintf(text, sizeof text, "{\"ticket\":%u}", (unsigned)i);
        s_digest(digest, i);
        assert_int_equal(mt5_idem_store(idem, req_id, digest, text), MT5_OK);
        if (i == 0)
            assert_int_equal(mt5_idem_lookup(idem, "req-0", digest, &first), MT5_OK);
    }
    assert_int_equal(mt5_idem_count(idem), N);
    /* A reply handed out before the table grew is still valid. */
    assert_string_equal(first, "{\"ticket\":0}");
    for (uint32_t i = 0; i < N; i++) {
        snprintf(req_id, sizeof req_id, "req-%u", (unsigned)i);
        snprintf(text, sizeof text, "{\"ticket\":%u}", (unsigned)i);
        s_digest(digest, i);
        const char *reply = NULL;
        assert_int_equal(mt5_idem_lookup(idem, req_id, digest, &reply), MT5_OK);
        assert_string_equal(reply, text);
        /* Every entry kept its own digest, not a neighbour's. */
        s_digest(digest, i + 1);
        assert_int_equal(mt5_idem_lookup(idem, req_id, digest, &reply), MT5_ESTATE);
    }
    assert_int_equal(mt5_idem_lookup(idem, "req-100000", digest, NULL), MT5_ENOTFOUND);
    mt5_idem_destroy(&idem);
}

static void test_idem__bad_arguments(void **state)
{
    (void)state;
    mt5_idem_t *idem = mt5_idem_new();
    assert_non_null(idem);
    uint8_t digest[32];
    s_digest(digest, 5);
    char longest[66];
    memset(longest, 'x', 65);
    longest[65] = '\0';
    const char *reply = "untouched";

    struct {
        const char *req_id;
        const char *detail;
    } rows[] = {
        {NULL, "req_id must be 1 to 64 characters"},
        {"", "req_id must be 1 to 64 characters"},
        {longest, "req_id must be 1 to 64 characters"}, /* 65 characters */
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char expected[128];
        assert_int_equal(mt5_idem_store(idem, rows[i].req_id, digest, "r"), MT5_EINVAL);
        snprintf(expected, sizeof expected, "idem store: %s", rows[i].detail);
        assert_string_equal(mt5_error_detail(), expected);
        assert_int_equal(mt5_idem_lookup(idem, rows[i].req_id, digest, &reply), MT5_EINVAL);
        snprintf(expected, sizeof expected, "idem lookup: %s", rows[i].detail);
        assert_string_equal(mt5_error_detail(), expected);
    }
    assert_int_equal(mt5_idem_count(idem), 0);
    assert_string_equal(reply, "untouched");

    /* 64 characters is the limit, and fine. */
    longest[64] = '\0';
    assert_int_equal(mt5_idem_store(idem, longest, digest, "r64"), MT5_OK);
    assert_int_equal(mt5_idem_lookup(idem, longest, digest, &reply), MT5_OK);
    assert_string_equal(reply, "r64");

    assert_int_equal(mt5_idem_store(NULL, "a", digest, "r"), MT5_EINVAL);
    assert_int_equal(mt5_idem_store(idem, "a", NULL, "r"), MT5_EINVAL);
    assert_int_equal(mt5_idem_store(idem, "a", digest, NULL), MT5_EINVAL);
    assert_string_equal(mt5_error_detail(), "idem store: NULL table, digest or reply");
    assert_int_equal(mt5_idem_lookup(NULL, "a", digest, &reply), MT5_EINVAL);
    assert_int_equal(mt5_idem_lookup(idem, "a", NULL, &reply), MT5_EINVAL);
    assert_string_equal(mt5_error_detail(), "idem lookup: NULL table or digest");
    assert_int_equal(mt5_idem_count(idem), 1);
    assert_int_equal(mt5_idem_count(NULL), 0);
    mt5_idem_destroy(&idem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idem__store_then_lookup),
        cmocka_unit_test(test_idem__different_digest_is_reuse),
        cmocka_unit_test(test_idem__unknown_is_not_found),
        cmocka_unit_test(test_idem__store_twice_keeps_first),
        cmocka_unit_test(test_idem__many_entries_survive_growth),
        cmocka_unit_test(test_idem__bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
