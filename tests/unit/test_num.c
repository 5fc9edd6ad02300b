/*  test_num.c - strict number and boolean parsing for outside text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
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
        {"0.5", MT5_OK, 0.5},     {"1e2", MT5_OK, 100},     {"-1", MT5_OK, -1},
        {"1e3", MT5_EINVAL, 0},   {"inf", MT5_EPARSE, 0},   {"nan", MT5_EPARSE, 0},
        {"0x1p3", MT5_EPARSE, 0}, {"1e999", MT5_EINVAL, 0}, {"", MT5_EPARSE, 0},
        {"0.5x", MT5_EPARSE, 0},  {" 1", MT5_EPARSE, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double v = -99;
        int rc = mt5_num_double(&v, cases[i].text, -1, 500);
        if (rc != cases[i].rc)
            fail_msg("'%s': rc %d, expected %d", cases[i].text, rc, cases[i].rc);
        assert_true(v == (rc == MT5_OK ? cases[i].value : -99));
    }
}

static void test_num__booleans(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        bool value;
    } good[] = {
        {"true", true}, {"True", true}, {"TRUE", true}, {"false", false}, {"FALSE", false},
        {"yes", true},  {"Yes", true},  {"no", false},  {"NO", false},    {"on", true},
        {"oN", true},   {"off", false}, {"Off", false},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        bool v = !good[i].value;
        if (mt5_num_bool(&v, good[i].text) != MT5_OK)
            fail_msg("'%s' not read as a boolean", good[i].text);
        assert_int_equal(v, good[i].value);
    }
    static const char *const bad[] = {"1",     "0",     "y",   "n", "",   " true",
                                      "true ", "truee", "tru", "o", "of", "yes\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bool v = true;
        if (mt5_num_bool(&v, bad[i]) != MT5_EPARSE)
            fail_msg("'%s' read as a boolean", bad[i]);
        assert_true(v);
        v = false;
        assert_int_equal(mt5_num_bool(&v, bad[i]), MT5_EPARSE);
        assert_false(v);
    }
    bool v = true;
    assert_int_equal(mt5_num_bool(&v, NULL), MT5_EPARSE);
    assert_true(v);
    assert_int_equal(mt5_num_bool(NULL, "true"), MT5_EPARSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_num__integers),
        cmocka_unit_test(test_num__doubles),
        cmocka_unit_test(test_num__booleans),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
