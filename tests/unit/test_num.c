/*  test_num.c - strict number parsing for outside text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mt5/error.h"
#include "mt5/num.h"

static void test_num__integers(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int rc;
        int64_t value;
    } cases[] = {
        {"0", MT5_OK, 0},       {"42", MT5_OK, 42},     {"-7", MT5_OK, -7},
        {"+9", MT5_OK, 9},      {"100", MT5_OK, 100},   {"101", MT5_EINVAL, 0},
        {"-11", MT5_EINVAL, 0}, {"", MT5_EPARSE, 0},    {" 5", MT5_EPARSE, 0},
        {"\t5", MT5_EPARSE, 0}, {"5 ", MT5_EPARSE, 0},  {"12x", MT5_EPARSE, 0},
        {"x", MT5_EPARSE, 0},   {"1.5", MT5_EPARSE, 0}, {"99999999999999999999", MT5_EINVAL, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t v = -12345;
        int rc = mt5_num_int(&v, cases[i].text, -10, 100);
        if (rc != cases[i].rc)
            fail_msg("'%s': rc %d, expected %d", cases[i].text, rc, cases[i].rc);
        assert_int_equal(v, rc == MT5_OK ? cases[i].value : -12345);
    }
    assert_int_equal(mt5_num_int(NULL, "1", 0, 1), MT5_EPARSE);
    int64_t v;
    assert_int_equal(mt5_num_int(&v, NULL, 0, 1), MT5_EPARSE);
}

static void test_num__doubles(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int rc;
        double value;
    } cases[] = {
        {"0.5", MT5_OK, 0.5},     {"1e2", MT5_OK, 100},   {"-1", MT5_OK, -1},
        {"1e3", MT5_EINVAL, 0},   {"inf", MT5_EPARSE, 0}, {"nan", MT5_EPARSE, 0},
        {"0x1p3", MT5_EPARSE, 0},
        {"1e999", MT5_EINVAL, 0}, {"", MT5_EPARSE, 0},    {"0.5x", MT5_EPARSE, 0},
        {" 1", MT5_EPARSE, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double v = -99;
        int rc = mt5_num_double(&v, cases[i].text, -1, 500);
        if (rc != cases[i].rc)
            fail_msg("'%s': rc %d, expected %d", cases[i].text, rc, cases[i].rc);
        assert_true(v == (rc == MT5_OK ? cases[i].value : -99));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_num__integers),
        cmocka_unit_test(test_num__doubles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
