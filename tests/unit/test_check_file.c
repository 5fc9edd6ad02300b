/*  test_check_file.c - the `file` check kind: a missing, empty, directory
 *  or FIFO path, size and line bounds (with and without a final newline),
 *  SHA-256 match and mismatch, paths that leave the root lexically or
 *  through a symlink, a large sparse file in bounded time, and a deadline
 *  that has already passed.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mt5/check.h"
#include "mt5/clock.h"
#include "mt5/error.h"
#include "unit/check_sandbox.h"

/* sha256("hello\n") */
#define HELLO_SHA "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"

/* The kind's entry point (libcore/src/check_impl.h), called directly to
 * reach its own deadline checks. */
int mt5_check_file_run(mt5_check_result_t *out, const mt5_check_t *check,
                       const mt5_check_ctx_t *ctx);

static int s_setup(void **state)
{
    (void)state;
    return s_sandbox_make("mt5-checkfile");
}

static mt5_check_t s_check(const char *path)
{
    mt5_check_t c = s_check_init(MT5_CHECK_FILE, "deliverable", 10000);
    c.u.file.path = strdup(path);
    c.u.file.min_lines = -1;
    c.u.file.max_lines = -1;
    c.u.file.max_bytes = -1;
    return c;
}

static void test_check_file__present_passes_with_evidence(void **state)
{
    (void)state;
    s_write("a.txt", "hello\n", 6);
    mt5_check_t c = s_check("a.txt");
    mt5_check_result_t r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    assert_false(r.timed_out);
    assert_string_equal(r.message, "a.txt is present (6 bytes, 1 line)");
    assert_string_equal(r.evidence, "size=6 lines=1 sha256=" HELLO_SHA);
}

static void test_check_file__missing_fails(void **state)
{
    (void)state;
    mt5_check_t c = s_check("docs/none.md");
    mt5_check_result_t r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    assert_string_equal(r.message, "docs/none.md does not exist");
}

static void test_check_file__empty_file(void **state)
{
    (void)state;
    s_write("empty", "", 0);
    mt5_check_t c = s_check("empty");
    mt5_check_result_t r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    assert_string_equal(r.message, "empty is present (0 bytes, 0 lines)");
    c = s_check("empty");
    c.u.file.non_empty = true;
    r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    assert_string_equal(r.message, "empty is empty");
    assert_string_equal(r.evidence, "size=0");
}

static void test_check_file__max_bytes(void **state)
{
    (void)state;
    s_write("b", "0123456789", 10);
    mt5_check_t c = s_check("b");
    c.u.file.max_bytes = 9;
    mt5_check_result_t r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    assert_string_equal(r.message, "b is 10 bytes, more than the maximum 9");
    c = s_check("b");
    c.u.file.max_bytes = 10;
    r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
}

static void test_check_file__line_bounds_with_and_without_final_newline(void **state)
{
    (void)state;
    s_write("nl", "a\nb\nc\n", 6);
    s_write("nonl", "a\nb\nc", 5);
    s_write("blank", "\n\n", 2);
    const char *names[] = {"nl", "nonl"};
    for (int i = 0; i < 2; i++) {
        mt5_check_t c = s_check(names[i]);
        c.u.file.min_lines = 3;
        c.u.file.max_lines = 3;
        mt5_check_result_t r = s_run_free(&c);
        assert_int_equal(r.status, MT5_STATUS_PASS);
        c = s_check(names[i]);
        c.u.file.min_lines = 4;
        r = s_run_free(&c);
        assert_int_equal(r.status, MT5_STATUS_FAIL);
        char want[128];
        snprintf(want, sizeof want, "%s has 3 lines, fewer than the minimum 4", names[i]);
        assert_string_equal(r.message, want);
        c = s_check(names[i]);
        c.u.file.max_lines = 2;
        r = s_run_free(&c);
        assert_int_equal(r.status, MT5_STATUS_FAIL);
        snprintf(want, sizeof want, "%s has 3 lines, more than the maximum 2", names[i]);
        assert_string_equal(r.message, want);
    }
    mt5_check_t c = s_check("blank");
    c.u.file.max_lines = 1;
    mt5_check_result_t r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    assert_string_equal(r.message, "blank has 2 lines, more than the maximum 1");
}

static void test_check_file__sha256_match_and_mismatch(void **state)
{
    (void)state;
    s_write("h", "hello\n", 6);
    mt5_check_t c = s_check("h");
    c.u.file.sha256 = strdup(HELLO_SHA);
    mt5_check_result_t r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    s_write("h", "hello!\n", 7);
    c = s_check("h");
    c.u.file.sha256 = strdup(HELLO_SHA);
    r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    assert_string_equal(r.message,
                        "h has sha256 "
                        "c8a31cb076b21999bd2cdcfa5f446a7a6644de88037087112fa18bd90cc13984"
                        ", expected " HELLO_SHA);
}

static void test_check_file__directory_and_fifo_are_not_regular(void **state)
{
    (void)state;
    s_mkdir("dir");
    mt5_check_t c = s_check("dir");
    mt5_check_result_t r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    assert_string_equal(r.message, "dir is not a regular file");

    s_mkfifo("fifo");
    int64_t t0 = mt5_clock_mono_us();
    c = s_check("fifo");
    r = s_run_free(&c);
    assert_true(mt5_clock_mono_us() - t0 < 2 * 1000 * 1000);
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    assert_string_equal(r.message, "fifo is not a regular file");
}

static void test_check_file__leaving_the_root_is_an_error(void **state)
{
    (void)state;
    mt5_check_t c = s_check("../etc/passwd");
    mt5_check_result_t r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_ERROR);
    assert_false(r.timed_out);
    assert_string_equal(r.message, "../etc/passwd: leaves the root");

    s_symlink("/etc/hostname", "out");
    c = s_check("out");
    r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_ERROR);
    assert_string_equal(r.message, "out: leaves the root");

    /* A symlink that stays inside is followed. */
    s_write("target", "x\n", 2);
    s_symlink("target", "in");
    c = s_check("in");
    r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    assert_string_equal(r.message, "in is present (2 bytes, 1 line)");
}

static void test_check_file__large_sparse_file_in_bounded_time(void **state)
{
    (void)state;
    s_sparse("big", 64ll * 1024 * 1024, "end\n");
    int64_t t0 = mt5_clock_mono_us();
    mt5_check_t c = s_check("big");
    c.u.file.min_lines = 1;
    c.u.file.max_lines = 1;
    mt5_check_result_t r = s_run_free(&c);
    assert_true(mt5_clock_mono_us() - t0 < 8 * 1000 * 1000);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    assert_string_equal(r.message, "big is present (67108868 bytes, 1 line)");
    /* No bound needs the content of a file this big: fstat suffices. */
    c = s_check("big");
    r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    assert_string_equal(r.message, "big is present (67108868 bytes)");
    assert_string_equal(r.evidence, "size=67108868");
}

static void test_check_file__expired_deadline_times_out(void **state)
{
    (void)state;
    s_write("t", "x\n", 2);
    mt5_check_t c = s_check("t");
    mt5_check_ctx_t ctx = s_sandbox_ctx(10000);
    ctx.deadline_us = mt5_clock_mono_us() - 1;
    mt5_check_result_t r = s_run_in(&c, &ctx);
    s_expect_timed_out(&r, "timed out after 10000 ms");
    /* The kind itself checks the deadline between blocks (mt5_check_run
     * only checks it before starting). */
    c.u.file.min_lines = 1;
    memset(&r, 0, sizeof r);
    assert_int_equal(mt5_check_file_run(&r, &c, &ctx), MT5_OK);
    s_expect_timed_out(&r, "timed out after 10000 ms");
    mt5_check_free(&c);
}

static void test_check_file__no_path_is_an_error(void **state)
{
    (void)state;
    mt5_check_t c = s_check("x");
    free(c.u.file.path);
    c.u.file.path = NULL;
    mt5_check_result_t r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_ERROR);
    assert_string_equal(r.message, "the check has no path");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_file__present_passes_with_evidence),
        cmocka_unit_test(test_check_file__missing_fails),
        cmocka_unit_test(test_check_file__empty_file),
        cmocka_unit_test(test_check_file__max_bytes),
        cmocka_unit_test(test_check_file__line_bounds_with_and_without_final_newline),
        cmocka_unit_test(test_check_file__sha256_match_and_mismatch),
        cmocka_unit_test(test_check_file__directory_and_fifo_are_not_regular),
        cmocka_unit_test(test_check_file__leaving_the_root_is_an_error),
        cmocka_unit_test(test_check_file__large_sparse_file_in_bounded_time),
        cmocka_unit_test(test_check_file__expired_deadline_times_out),
        cmocka_unit_test(test_check_file__no_path_is_an_error),
    };
    return cmocka_run_group_tests(tests, s_setup, s_sandbox_teardown);
}
