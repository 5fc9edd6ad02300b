/*  test_clock.c - wall and monotonic clocks, and ISO 8601 UTC times:
 *  known instants both ways, a long round trip over leap and non-leap
 *  years, every malformed form, every field out of range.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mt5/clock.h"
#include "mt5/error.h"

#define MAX_MS 253402300799999LL /* 9999-12-31T23:59:59.999Z */

static const struct {
    int64_t ms;
    const char *iso;
} s_known[] = {
    {0, "1970-01-01T00:00:00.000Z"},
    {1, "1970-01-01T00:00:00.001Z"},
    {999, "1970-01-01T00:00:00.999Z"},
    {86399999, "1970-01-01T23:59:59.999Z"},
    {68169600000LL, "1972-02-29T00:00:00.000Z"},  /* first leap day after the epoch */
    {951825600001LL, "2000-02-29T12:00:00.001Z"}, /* 2000: divisible by 400, leap */
    {951868800000LL, "2000-03-01T00:00:00.000Z"},
    {1709251199999LL, "2024-02-29T23:59:59.999Z"},
    {1735787045678LL, "2025-01-02T03:04:05.678Z"},
    {4107542400000LL, "2100-03-01T00:00:00.000Z"}, /* 2100: century, not leap */
    {4107542399999LL, "2100-02-28T23:59:59.999Z"}, /* ...so March follows the 28th */
    {MAX_MS, "9999-12-31T23:59:59.999Z"},
};

static void test_clock__format_known_instants(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof s_known / sizeof s_known[0]; i++) {
        char buf[MT5_ISO_TIME_LEN + 1];
        assert_int_equal(mt5_clock_format_iso(buf, sizeof buf, s_known[i].ms), MT5_OK);
        assert_string_equal(buf, s_known[i].iso);
    }
}

static void test_clock__parse_known_instants(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof s_known / sizeof s_known[0]; i++) {
        int64_t ms = -1;
        assert_int_equal(mt5_clock_parse_iso(&ms, s_known[i].iso, MT5_ISO_TIME_LEN), MT5_OK);
        assert_int_equal(ms, s_known[i].ms);
    }
    /* The text need not be NUL-terminated: only len bytes are read. */
    int64_t ms = -1;
    assert_int_equal(mt5_clock_parse_iso(&ms, "2025-01-02T03:04:05.678Z INFO x: y", 24), MT5_OK);
    assert_int_equal(ms, 1735787045678LL);
}

static void test_clock__round_trip_across_leap_years(void **state)
{
    (void)state;
    /* Every 7 h 13 min 17.011 s from 1970 to 2110: each instant formats and
     * parses back to itself. */
    const int64_t step = ((7 * 60 + 13) * 60 + 17) * 1000LL + 11;
    for (int64_t ms = 0; ms < 4417977600000LL; ms += step) {
        char buf[MT5_ISO_TIME_LEN + 1];
        int64_t back = -1;
        assert_int_equal(mt5_clock_format_iso(buf, sizeof buf, ms), MT5_OK);
        assert_int_equal(mt5_clock_parse_iso(&back, buf, strlen(buf)), MT5_OK);
        if (back != ms)
            fail_msg("%lld -> %s -> %lld", (long long)ms, buf, (long long)back);
    }
    /* Every day of a leap and a non-leap year at noon. */
    for (int64_t day = 19358; day < 19358 + 366 + 365; day++) { /* 2023-01-01 .. 2024-12-31 */
        char buf[MT5_ISO_TIME_LEN + 1];
        int64_t ms = day * 86400000 + 43200000, back = -1;
        assert_int_equal(mt5_clock_format_iso(buf, sizeof buf, ms), MT5_OK);
        assert_int_equal(mt5_clock_parse_iso(&back, buf, MT5_ISO_TIME_LEN), MT5_OK);
        assert_int_equal(back, ms);
    }
}

static void test_clock__format_refuses_bad_arguments(void **state)
{
    (void)state;
    char buf[MT5_ISO_TIME_LEN + 1];
    memset(buf, 'x', sizeof buf);
    assert_int_equal(mt5_clock_format_iso(NULL, sizeof buf, 0), MT5_EINVAL);
    assert_int_equal(mt5_clock_format_iso(buf, MT5_ISO_TIME_LEN, 0), MT5_EINVAL);
    assert_int_equal(mt5_clock_format_iso(buf, sizeof buf, -1), MT5_EINVAL);
    assert_int_equal(mt5_clock_format_iso(buf, sizeof buf, MAX_MS + 1), MT5_EINVAL);
    assert_int_equal(mt5_clock_format_iso(buf, sizeof buf, INT64_MAX), MT5_EINVAL);
    assert_memory_equal(buf, "xxxxxxxxxxxxxxxxxxxxxxxxx", sizeof buf);
}

static void test_clock__parse_refuses_malformed_forms(void **state)
{
    (void)state;
    static const char *const bad[] = {
        /* shape */
        "",
        "2025-01-02T03:04:05.678",
        "2025-01-02T03:04:05.678Z ",
        "2025-01-02 03:04:05.678Z",
        "2025-01-02t03:04:05.678Z",
        "2025-01-02T03:04:05.678z",
        "2025-01-02T03:04:05,678Z",
        "2025/01-02T03:04:05.678Z",
        "2025-01/02T03:04:05.678Z",
        "2025-01-02T03-04:05.678Z",
        "2025-01-02T03:04-05.678Z",
        "2025-01-02T03:04:05.678+",
        "25-01-02T03:04:05.678Z",
        "2025-1-02T03:04:05.6789Z",
        "2025-01-02T03:04:05.67Z",
        "2025-01-02T03:04:05Z",
        "+025-01-02T03:04:05.678Z",
        "2025-01-02T03:04:05.-78Z",
        "2025-01-02T03:04: 5.678Z",
        /* non-digits in every field */
        "2O25-01-02T03:04:05.678Z",
        "2025-0a-02T03:04:05.678Z",
        "2025-01-0bT03:04:05.678Z",
        "2025-01-02T0c:04:05.678Z",
        "2025-01-02T03:0d:05.678Z",
        "2025-01-02T03:04:0e.678Z",
        "2025-01-02T03:04:05.67fZ",
        /* ranges */
        "1969-12-31T23:59:59.999Z",
        "2025-00-02T03:04:05.678Z",
        "2025-13-02T03:04:05.678Z",
        "2025-01-00T03:04:05.678Z",
        "2025-01-32T03:04:05.678Z",
        "2025-04-31T03:04:05.678Z",
        "2025-06-31T03:04:05.678Z",
        "2025-09-31T03:04:05.678Z",
        "2025-11-31T03:04:05.678Z",
        "2023-02-29T03:04:05.678Z", /* not a leap year */
        "2100-02-29T03:04:05.678Z", /* century: not a leap year */
        "2024-02-30T03:04:05.678Z",
        "2025-01-02T24:00:00.000Z",
        "2025-01-02T03:60:05.678Z",
        "2025-01-02T03:04:60.000Z", /* no leap seconds in Unix time */
        "2025-01-02T03:04:99.678Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ms = 4242;
        if (mt5_clock_parse_iso(&ms, bad[i], strlen(bad[i])) != MT5_EPARSE)
            fail_msg("case %zu '%s' parsed", i, bad[i]);
        assert_int_equal(ms, 4242);
    }
    int64_t ms = 4242;
    /* A NUL where the 'Z' belongs, with the full length: not a time. */
    assert_int_equal(mt5_clock_parse_iso(&ms, "2025-01-02T03:04:05.678\0", MT5_ISO_TIME_LEN),
                     MT5_EPARSE);
    assert_int_equal(ms, 4242);
    assert_int_equal(mt5_clock_parse_iso(NULL, s_known[0].iso, MT5_ISO_TIME_LEN), MT5_EPARSE);
    assert_int_equal(mt5_clock_parse_iso(&ms, NULL, MT5_ISO_TIME_LEN), MT5_EPARSE);
    /* The right bytes with the wrong length are refused too. */
    assert_int_equal(mt5_clock_parse_iso(&ms, s_known[0].iso, MT5_ISO_TIME_LEN - 1), MT5_EPARSE);
    assert_int_equal(ms, 4242);
}

static void test_clock__parse_accepts_each_month_end(void **state)
{
    (void)state;
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t prev = -1;
    for (int leap = 0; leap < 2; leap++) {
        for (int m = 1; m <= 12; m++) {
            char buf[64];
            int d = days[m - 1] + (leap && m == 2);
            snprintf(buf, sizeof buf, "%04d-%02d-%02dT23:59:59.999Z", leap ? 2024 : 2023, m, d);
            int64_t ms = -1;
            assert_int_equal(mt5_clock_parse_iso(&ms, buf, MT5_ISO_TIME_LEN), MT5_OK);
            /* One ms later is the first instant of the next month. */
            char next[MT5_ISO_TIME_LEN + 1];
            assert_int_equal(mt5_clock_format_iso(next, sizeof next, ms + 1), MT5_OK);
            char want[64];
            snprintf(want, sizeof want, "%04d-%02d-01T00:00:00.000Z",
                     (leap ? 2024 : 2023) + (m == 12), m == 12 ? 1 : m + 1);
            assert_string_equal(next, want);
            assert_true(ms > prev);
            prev = ms;
        }
    }
}

static void test_clock__clocks_move_forward(void **state)
{
    (void)state;
    int64_t wall = mt5_clock_wall_ms();
    assert_true(wall > 1704067200000LL); /* after 2024-01-01: the clock is in ms, not s */
    assert_true(wall < MAX_MS);
    int64_t a = mt5_clock_mono_us();
    int64_t b = mt5_clock_mono_us();
    assert_true(a >= 0);
    assert_true(b >= a);
    /* Wall and monotonic agree on how long a short sleep took. */
    struct timespec ts = {0, 20 * 1000 * 1000};
    int64_t w0 = mt5_clock_wall_ms(), m0 = mt5_clock_mono_us();
    nanosleep(&ts, NULL);
    int64_t w1 = mt5_clock_wall_ms(), m1 = mt5_clock_mono_us();
    assert_true(m1 - m0 >= 20000);
    assert_true(w1 - w0 >= 19 && w1 - w0 < 5000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clock__format_known_instants),
        cmocka_unit_test(test_clock__parse_known_instants),
        cmocka_unit_test(test_clock__round_trip_across_leap_years),
        cmocka_unit_test(test_clock__format_refuses_bad_arguments),
        cmocka_unit_test(test_clock__parse_refuses_malformed_forms),
        cmocka_unit_test(test_clock__parse_accepts_each_month_end),
        cmocka_unit_test(test_clock__clocks_move_forward),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
