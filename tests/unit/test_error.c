/*  test_error.c - error names and the per-thread detail. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mt5/error.h"

static void test_error__every_code_has_a_name(void **state)
{
    (void)state;
    assert_string_equal(mt5_strerror(MT5_OK), "ok");
    assert_string_equal(mt5_strerror(MT5_ETIMEOUT), "timeout");
    assert_string_equal(mt5_strerror(MT5_EREFUSED), "connection refused");
    assert_string_equal(mt5_strerror(MT5_EREJECTED), "rejected");
    for (int code = MT5_OK; code <= MT5_EREJECTED; code++)
        assert_string_not_equal(mt5_strerror(code), "unknown error");
    assert_string_equal(mt5_strerror(-1), "unknown error");
    assert_string_equal(mt5_strerror(MT5_EREJECTED + 1), "unknown error");
}

static void test_error__detail_can_wrap_itself(void **state)
{
    (void)state;
    assert_int_equal(mt5_error_set(MT5_EIO, "%s: %s", "/x", "gone"), MT5_EIO);
    assert_string_equal(mt5_error_detail(), "/x: gone");
    mt5_error_set(MT5_EIO, "cannot open %s", mt5_error_detail());
    assert_string_equal(mt5_error_detail(), "cannot open /x: gone");
    mt5_error_clear();
    assert_string_equal(mt5_error_detail(), "");
}

static void *s_other_thread(void *arg)
{
    (void)arg;
    mt5_error_set(MT5_EPARSE, "other thread");
    return NULL;
}

static void test_error__detail_is_per_thread(void **state)
{
    (void)state;
    mt5_error_set(MT5_EIO, "main thread");
    pthread_t t;
    pthread_create(&t, NULL, s_other_thread, NULL);
    pthread_join(t, NULL);
    assert_string_equal(mt5_error_detail(), "main thread");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error__every_code_has_a_name),
        cmocka_unit_test(test_error__detail_can_wrap_itself),
        cmocka_unit_test(test_error__detail_is_per_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
