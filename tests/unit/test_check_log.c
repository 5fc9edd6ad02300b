/*  test_check_log.c - the `log` check kind. RESULT mode: the last result
 *  line decides (a PASS, a FAIL after an earlier PASS, a wrong reply, a
 *  stale PASS, a free-form log with no result line, CRLF lines, since_run).
 *  TOKEN mode: lines holding the token like `grep -c -F` (one count per
 *  line, a last line without newline, a token split by the reader's block
 *  boundary, since_run). Both: missing file, directory, leaving the root,
 *  a deadline that already passed.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mt5/check.h"
#include "mt5/clock.h"
#include "mt5/error.h"
#include "unit/check_sandbox.h"

/* The kind's entry point (libcore/src/check_impl.h), called directly to
 * reach its own deadline checks. */
int mt5_check_log_run(mt5_check_result_t *out, const mt5_check_t *check,
                      const mt5_check_ctx_t *ctx);

#define T0 "2025-01-02T03:04:05.678Z"
#define T0_MS 1735787045678LL
#define T1 "2025-01-02T03:05:00.000Z"
#define EP "tcp://127.0.0.1:5555"
#define PASS_AT(t) t " INFO verify: RESULT PASS endpoint=" EP " rtt_us=812 reply=OK_FROM_MT5\n"
#define FAIL_AT(t) t " ERROR verify: RESULT FAIL endpoint=" EP " error=TIMEOUT\n"
#define SEED "[\xE2\x9C\x93] Received: OK_FROM_MT5\n"

static uint64_t s_offset;      /* what the log_offset callback answers */
static char s_asked[PATH_MAX]; /* the path it was asked about */

static int s_setup(void **state)
{
    (void)state;
    return s_sandbox_make("mt5-checklog");
}

static uint64_t s_log_offset(void *arg, const char *abs_path)
{
    assert_ptr_equal(arg, &s_offset);
    snprintf(s_asked, sizeof s_asked, "%s", abs_path);
    return s_offset;
}

/* The sandbox context with a log's own clock and log_offset callback. */
static mt5_check_ctx_t s_ctx(void)
{
    mt5_check_ctx_t ctx = s_sandbox_ctx(10000);
    ctx.now_ms = T0_MS + 60000; /* a minute after T0 */
    ctx.log_offset = s_log_offset;
    ctx.log_offset_arg = &s_offset;
    return ctx;
}

static mt5_check_t s_check(const char *path, mt5_log_mode mode)
{
    mt5_check_t c = s_check_init(MT5_CHECK_LOG, "log", 10000);
    c.u.log.path = strdup(path);
    c.u.log.mode = mode;
    c.u.log.expect = strdup("OK_FROM_MT5");
    c.u.log.max_age_ms = -1;
    c.u.log.min_count = 1;
    return c;
}

/* Run c under ctx, then free it. */
static mt5_check_result_t s_run_ctx(mt5_check_t *c, const mt5_check_ctx_t *ctx)
{
    mt5_check_result_t r = s_run_in(c, ctx);
    mt5_check_free(c);
    return r;
}

/* Run c under s_ctx(), then free it. */
static mt5_check_result_t s_run_log(mt5_check_t *c)
{
    mt5_check_ctx_t ctx = s_ctx();
    return s_run_ctx(c, &ctx);
}

/* ---- RESULT mode ------------------------------------------------------- */

static void test_check_log__result_last_pass_passes(void **state)
{
    (void)state;
    s_puts("VERIFY_LOG.log", T0 " INFO verify: sending Hello\n" PASS_AT(T0));
    mt5_check_t c = s_check("VERIFY_LOG.log", MT5_LOG_RESULT);
    mt5_check_result_t r = s_run_log(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    assert_string_equal(r.message, "last run passed at " T0 " with reply OK_FROM_MT5");
    assert_string_equal(r.evidence, "time=" T0 " endpoint=" EP " rtt_us=812 reply=OK_FROM_MT5");
}

static void test_check_log__result_fail_after_pass_fails(void **state)
{
    (void)state;
    s_puts("VERIFY_LOG.log", PASS_AT(T0) FAIL_AT(T1) "2025-01-02T03:05:01.000Z INFO x: later\n");
    mt5_check_t c = s_check("VERIFY_LOG.log", MT5_LOG_RESULT);
    mt5_check_result_t r = s_run_log(&c);
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    assert_string_equal(r.message, "last run failed: error=TIMEOUT at " T1);
    assert_string_equal(r.evidence, "time=" T1 " endpoint=" EP " error=TIMEOUT");
}

static void test_check_log__result_wrong_reply_fails(void **state)
{
    (void)state;
    s_puts("VERIFY_LOG.log",
           T0 " INFO verify: RESULT PASS endpoint=" EP " rtt_us=5 reply=OK_FROM_MT4\n");
    mt5_check_t c = s_check("VERIFY_LOG.log", MT5_LOG_RESULT);
    mt5_check_result_t r = s_run_log(&c);
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    assert_string_equal(r.message, "reply was OK_FROM_MT4, expected OK_FROM_MT5");

    /* The expected reply is compared escaped, as the log holds it. */
    s_puts("VERIFY_LOG.log", T0 " INFO verify: RESULT PASS endpoint=" EP " rtt_us=5 reply=a\\tb\n");
    c = s_check("VERIFY_LOG.log", MT5_LOG_RESULT);
    free(c.u.log.expect);
    c.u.log.expect = strdup("a\tb");
    r = s_run_log(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    assert_string_equal(r.message, "last run passed at " T0 " with reply a\\tb");
}

static void test_check_log__result_stale_pass_fails(void **state)
{
    (void)state;
    s_puts("VERIFY_LOG.log", PASS_AT(T0));
    static const struct {
        int64_t age, max;
        const char *msg;
    } cases[] = {
        {2 * 3600000 + 5 * 60000, 3600000, "last PASS is 2h 5m old (max 1h)"},
        {3 * 86400000LL, 86400000, "last PASS is 3d old (max 1d)"},
        {1500, 500, "last PASS is 1.500s old (max 500ms)"},
        {61000, 60000, "last PASS is 1m 1s old (max 1m)"},
        {45000, 1000, "last PASS is 45s old (max 1s)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mt5_check_t c = s_check("VERIFY_LOG.log", MT5_LOG_RESULT);
        c.u.log.max_age_ms = cases[i].max;
        mt5_check_ctx_t ctx = s_ctx();
        ctx.now_ms = T0_MS + cases[i].age;
        mt5_check_result_t r = s_run_ctx(&c, &ctx);
        assert_int_equal(r.status, MT5_STATUS_FAIL);
        assert_string_equal(r.message, cases[i].msg);
    }
    /* Exactly max_age old still passes; so does any age without a bound. */
    mt5_check_t c = s_check("VERIFY_LOG.log", MT5_LOG_RESULT);
    c.u.log.max_age_ms = 60000;
    mt5_check_result_t r = s_run_log(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    c = s_check("VERIFY_LOG.log", MT5_LOG_RESULT);
    mt5_check_ctx_t ctx = s_ctx();
    ctx.now_ms = T0_MS + 400 * 86400000LL;
    r = s_run_ctx(&c, &ctx);
    assert_int_equal(r.status, MT5_STATUS_PASS);
}

static void test_check_log__free_form_log_fails_result_passes_token(void **state)
{
    (void)state;
    s_puts("seed.log", "starting\n" SEED "done\n");
    mt5_check_t c = s_check("seed.log", MT5_LOG_RESULT);
    mt5_check_result_t r = s_run_log(&c);
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    assert_string_equal(r.message, "no RESULT line in seed.log");
    c = s_check("seed.log", MT5_LOG_TOKEN);
    r = s_run_log(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    assert_string_equal(r.message, "seed.log has 1 line with 'OK_FROM_MT5'");
    assert_string_equal(r.evidence, "count=1 since=0 last: [\xE2\x9C\x93] Received: OK_FROM_MT5");
}

static void test_check_log__crlf_lines(void **state)
{
    (void)state;
    s_puts("crlf.log", T0 " INFO verify: RESULT PASS endpoint=" EP " rtt_us=9 reply=OK_FROM_MT5\r\n"
                          "x OK_FROM_MT5\r\n");
    mt5_check_t c = s_check("crlf.log", MT5_LOG_RESULT);
    mt5_check_result_t r = s_run_log(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    assert_string_equal(r.evidence, "time=" T0 " endpoint=" EP " rtt_us=9 reply=OK_FROM_MT5");
    c = s_check("crlf.log", MT5_LOG_TOKEN);
    r = s_run_log(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    assert_string_equal(r.message, "crlf.log has 2 lines with 'OK_FROM_MT5'");
    assert_string_equal(r.evidence, "count=2 since=0 last: x OK_FROM_MT5");
}

static void test_check_log__result_since_run(void **state)
{
    (void)state;
    const char *before = PASS_AT(T0);
    s_puts("VERIFY_LOG.log", before);
    s_offset = strlen(before);
    mt5_check_t c = s_check("VERIFY_LOG.log", MT5_LOG_RESULT);
    c.u.log.since_run = true;
    mt5_check_result_t r = s_run_log(&c);
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    assert_string_equal(r.message, "no RESULT line in VERIFY_LOG.log since the run started");
    char want[PATH_MAX];
    s_path(want, sizeof want, "VERIFY_LOG.log");
    assert_string_equal(s_asked, want);

    /* A failure appended during the run decides; the old PASS does not. */
    s_puts("VERIFY_LOG.log", PASS_AT(T0) FAIL_AT(T1));
    c = s_check("VERIFY_LOG.log", MT5_LOG_RESULT);
    c.u.log.since_run = true;
    r = s_run_log(&c);
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    assert_string_equal(r.message, "last run failed: error=TIMEOUT at " T1);

    /* Without since_run the callback is not asked and the whole log counts. */
    s_puts("VERIFY_LOG.log", PASS_AT(T0));
    s_asked[0] = '\0';
    c = s_check("VERIFY_LOG.log", MT5_LOG_RESULT);
    r = s_run_log(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    assert_string_equal(s_asked, "");

    /* No callback: offset 0. */
    c = s_check("VERIFY_LOG.log", MT5_LOG_RESULT);
    c.u.log.since_run = true;
    mt5_check_ctx_t ctx = s_ctx();
    ctx.log_offset = NULL;
    r = s_run_ctx(&c, &ctx);
    assert_int_equal(r.status, MT5_STATUS_PASS);

    /* A log shorter than the offset was rotated: all of it is new. */
    s_offset = 1u << 20;
    c = s_check("VERIFY_LOG.log", MT5_LOG_RESULT);
    c.u.log.since_run = true;
    r = s_run_log(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    s_offset = 0;
}

/* ---- TOKEN mode -------------------------------------------------------- */

static void test_check_log__token_counts_lines_not_tokens(void **state)
{
    (void)state;
    /* Two tokens on one line count once; a last line without newline counts. */
    s_puts("t.log", "OK_FROM_MT5 OK_FROM_MT5\nnothing\nOK_FROM_MT\n5\nend OK_FROM_MT5");
    mt5_check_t c = s_check("t.log", MT5_LOG_TOKEN);
    c.u.log.min_count = 2;
    mt5_check_result_t r = s_run_log(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    assert_string_equal(r.message, "t.log has 2 lines with 'OK_FROM_MT5'");
    assert_string_equal(r.evidence, "count=2 since=0 last: end OK_FROM_MT5");
    c = s_check("t.log", MT5_LOG_TOKEN);
    c.u.log.min_count = 3;
    r = s_run_log(&c);
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    assert_string_equal(r.message, "t.log has 2 lines with 'OK_FROM_MT5', need at least 3");

    /* Near misses: the token's first and last bytes at the right distance
     * with other bytes between (vector candidates that memcmp rejects), on
     * lines long enough for the vector loop. */
    s_puts("near.log", "OABCDEFGHI5 OK_FROM_MT4 OK_FROM_MT 5 OK_FROM_MT55 padding padding\n"
                       "OK_FROM_MT4 OABCDEFGHI5 OK_FROM_MT padding padding padding padding\n"
                       "padding padding padding padding padding OABCDEFGHI5OK_FROM_MT5\n");
    c = s_check("near.log", MT5_LOG_TOKEN);
    r = s_run_log(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    assert_string_equal(r.message, "near.log has 2 lines with 'OK_FROM_MT5'");

    /* A one-byte token, and binary bytes around it. */
    s_write("b.log", "a\0Z\n\xFF\n\0\0Z", 9);
    c = s_check("b.log", MT5_LOG_TOKEN);
    free(c.u.log.expect);
    c.u.log.expect = strdup("Z");
    r = s_run_log(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    assert_string_equal(r.message, "b.log has 2 lines with 'Z'");
    assert_string_equal(r.evidence, "count=2 since=0 last: \\x00\\x00Z");

    /* An empty file has no lines. */
    s_puts("e.log", "");
    c = s_check("e.log", MT5_LOG_TOKEN);
    r = s_run_log(&c);
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    assert_string_equal(r.message, "e.log has 0 lines with 'OK_FROM_MT5', need at least 1");
    assert_string_equal(r.evidence, "count=0 since=0");
}

/* Reference count: lines holding the token, one line at a time. */
static uint64_t s_naive(const char *buf, size_t len, const char *tok)
{
    uint64_t n = 0;
    for (size_t s = 0; s < len;) {
        const char *nl = memchr(buf + s, '\n', len - s);
        size_t e = nl ? (size_t)(nl - buf) : len;
        if (memmem(buf + s, e - s, tok, strlen(tok)))
            n++;
        s = e + 1;
    }
    return n;
}

static void test_check_log__token_across_block_boundaries(void **state)
{
    (void)state;
    const size_t mib = 1u << 20, len = 3 * mib + 77;
    char *buf = malloc(len);
    assert_non_null(buf);
    for (size_t i = 0; i < len; i++)
        buf[i] = i % 100 == 99 ? '\n' : 'x';
    /* Split by the first boundary, in a line of its own. */
    memcpy(buf + mib - 5, "OK_FROM_MT5", 11);
    /* Before the second boundary, in a line that ends after it; a second
     * token of that line lies beyond the boundary, and the next line has
     * one of its own. */
    size_t b2 = 2 * mib;
    for (size_t i = b2 - 200; i < b2 + 20; i++)
        buf[i] = 'y';
    memcpy(buf + b2 - 150, "OK_FROM_MT5", 11);
    memcpy(buf + b2 + 5, "OK_FROM_MT5", 11);
    buf[b2 + 20] = '\n';
    memcpy(buf + b2 + 30, "OK_FROM_MT5", 11);
    /* Split as "O" | "K_FROM_MT5" at the third, and the last byte. */
    memcpy(buf + 3 * mib - 1, "OK_FROM_MT5", 11);
    buf[len - 12] = '\n';
    memcpy(buf + len - 11, "OK_FROM_MT5", 11);
    uint64_t want = s_naive(buf, len, "OK_FROM_MT5");
    assert_int_equal(want, 5);
    s_write("big.log", buf, len);

    mt5_check_t c = s_check("big.log", MT5_LOG_TOKEN);
    c.u.log.min_count = 5;
    mt5_check_result_t r = s_run_log(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    assert_string_equal(r.message, "big.log has 5 lines with 'OK_FROM_MT5'");

    /* since_run shifts the blocks; only lines after the offset count. */
    s_offset = mib + 10;
    c = s_check("big.log", MT5_LOG_TOKEN);
    c.u.log.since_run = true;
    c.u.log.min_count = 5;
    r = s_run_log(&c);
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    assert_string_equal(r.message,
                        "big.log has 4 lines with 'OK_FROM_MT5' since the run started, need at "
                        "least 5");
    assert_string_equal(r.evidence, "count=4 since=1048586 last: OK_FROM_MT5");
    s_offset = 0;
    free(buf);
}

static void test_check_log__token_since_run(void **state)
{
    (void)state;
    const char *before = SEED SEED SEED;
    s_puts("seed.log", before);
    s_offset = strlen(before);
    mt5_check_t c = s_check("seed.log", MT5_LOG_TOKEN);
    c.u.log.since_run = true;
    mt5_check_result_t r = s_run_log(&c);
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    assert_string_equal(r.message,
                        "seed.log has 0 lines with 'OK_FROM_MT5' since the run started, need at "
                        "least 1");
    s_puts("seed.log", SEED SEED SEED "other\n" SEED);
    c = s_check("seed.log", MT5_LOG_TOKEN);
    c.u.log.since_run = true;
    r = s_run_log(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    assert_string_equal(r.message, "seed.log has 1 line with 'OK_FROM_MT5' since the run started");
    s_offset = 0;
}

static void test_check_log__bad_token_is_an_error(void **state)
{
    (void)state;
    s_puts("t.log", "x\n");
    mt5_check_t c = s_check("t.log", MT5_LOG_TOKEN);
    free(c.u.log.expect);
    c.u.log.expect = strdup("");
    mt5_check_result_t r = s_run_log(&c);
    assert_int_equal(r.status, MT5_STATUS_ERROR);
    assert_string_equal(r.message, "the token must be 1 to 1024 bytes without a newline");
    c = s_check("t.log", MT5_LOG_TOKEN);
    free(c.u.log.expect);
    c.u.log.expect = strdup("a\nb");
    r = s_run_log(&c);
    assert_int_equal(r.status, MT5_STATUS_ERROR);
}

/* ---- both -------------------------------------------------------------- */

static void test_check_log__missing_directory_and_outside(void **state)
{
    (void)state;
    for (int mode = MT5_LOG_RESULT; mode <= MT5_LOG_TOKEN; mode++) {
        mt5_check_t c = s_check("logs/VERIFY_LOG.log", (mt5_log_mode)mode);
        mt5_check_result_t r = s_run_log(&c);
        assert_int_equal(r.status, MT5_STATUS_FAIL);
        assert_string_equal(r.message, "logs/VERIFY_LOG.log does not exist");
    }
    s_mkdir("adir");
    mt5_check_t c = s_check("adir", MT5_LOG_TOKEN);
    mt5_check_result_t r = s_run_log(&c);
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    assert_string_equal(r.message, "adir is not a regular file");
    c = s_check("../x.log", MT5_LOG_RESULT);
    r = s_run_log(&c);
    assert_int_equal(r.status, MT5_STATUS_ERROR);
    assert_string_equal(r.message, "../x.log: leaves the root");
    c = s_check("x", MT5_LOG_RESULT);
    free(c.u.log.path);
    c.u.log.path = NULL;
    r = s_run_log(&c);
    assert_int_equal(r.status, MT5_STATUS_ERROR);
    assert_string_equal(r.message, "the check has no path");
}

static void test_check_log__expired_deadline_times_out(void **state)
{
    (void)state;
    s_puts("seed.log", SEED);
    for (int mode = MT5_LOG_RESULT; mode <= MT5_LOG_TOKEN; mode++) {
        mt5_check_t c = s_check("seed.log", (mt5_log_mode)mode);
        mt5_check_ctx_t ctx = s_ctx();
        ctx.deadline_us = mt5_clock_mono_us() - 1;
        mt5_check_result_t r = s_run_in(&c, &ctx);
        s_expect_timed_out(&r, "timed out after 10000 ms");
        /* The kind checks the deadline itself, too. */
        memset(&r, 0, sizeof r);
        assert_int_equal(mt5_check_log_run(&r, &c, &ctx), MT5_OK);
        s_expect_timed_out(&r, NULL);
        mt5_check_free(&c);
    }
}

/* A big log without RESULT lines is read backwards only until the
 * deadline: the check gives up within it instead of reading to the start. */
static void test_check_log__result_mode_stops_at_the_deadline(void **state)
{
    (void)state;
    s_sparse("huge.log", (off_t)2 << 30, "2026-01-15 [INFO] no result line here\n");
    mt5_check_t c = s_check("huge.log", MT5_LOG_RESULT);
    mt5_check_ctx_t ctx = s_ctx();
    int64_t t0 = mt5_clock_mono_us();
    ctx.deadline_us = t0 + 50 * 1000;
    mt5_check_result_t r;
    assert_int_equal(mt5_check_log_run(&r, &c, &ctx), MT5_OK);
    int64_t took_ms = (mt5_clock_mono_us() - t0) / 1000;
    s_expect_timed_out(&r, NULL);
    if (took_ms > 500)
        fail_msg("gave up after %lld ms, deadline 50 ms", (long long)took_ms);
    mt5_check_free(&c);
    char p[PATH_MAX];
    s_path(p, sizeof p, "huge.log");
    unlink(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_log__result_last_pass_passes),
        cmocka_unit_test(test_check_log__result_fail_after_pass_fails),
        cmocka_unit_test(test_check_log__result_wrong_reply_fails),
        cmocka_unit_test(test_check_log__result_stale_pass_fails),
        cmocka_unit_test(test_check_log__free_form_log_fails_result_passes_token),
        cmocka_unit_test(test_check_log__crlf_lines),
        cmocka_unit_test(test_check_log__result_since_run),
        cmocka_unit_test(test_check_log__token_counts_lines_not_tokens),
        cmocka_unit_test(test_check_log__token_across_block_boundaries),
        cmocka_unit_test(test_check_log__token_since_run),
        cmocka_unit_test(test_check_log__bad_token_is_an_error),
        cmocka_unit_test(test_check_log__missing_directory_and_outside),
        cmocka_unit_test(test_check_log__expired_deadline_times_out),
        cmocka_unit_test(test_check_log__result_mode_stops_at_the_deadline),
    };
    return cmocka_run_group_tests(tests, s_setup, s_sandbox_teardown);
}
