/*  test_check_sections.c - the `sections` check kind: ATX headings found
 *  and compared (trimmed, case-insensitive, closing #s, section numbers),
 *  lines in ``` and ~~~ fences ignored, things that look like headings but
 *  are not, min_sections at one level or any, CRLF and a byte order mark,
 *  a missing file, a directory, a path outside the root, a document over
 *  the size limit and a deadline that has passed.
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

/* The kind's entry point (libcore/src/check_impl.h), called directly to
 * reach its own deadline checks. */
int mt5_check_sections_run(mt5_check_result_t *out, const mt5_check_t *check,
                           const mt5_check_ctx_t *ctx);

static const char s_doc[] = "# Task 004 Report\n"
                            "Intro text\n"
                            "## 1. Overview\n"
                            "text\n"
                            "```bash\n"
                            "# not a heading\n"
                            "## Also not\n"
                            "```\n"
                            "## 2.1 Architecture Overview ##\n"
                            "~~~~\n"
                            "# inside tilde\n"
                            "```\n"
                            "# still inside\n"
                            "~~~\n"
                            "# short fence does not close\n"
                            "~~~~~  \n"
                            "###\tTests\n"
                            "####### seven is not a heading\n"
                            "#hashtag is not a heading\n"
                            "    # indented code is not a heading\n"
                            "   ## Risks #not-closing\n"
                            "## 3) Next steps\n"
                            "##\n";

#define DOC_EVIDENCE                                                                               \
    "1: # Task 004 Report\n"                                                                       \
    "3: ## 1. Overview\n"                                                                          \
    "9: ## 2.1 Architecture Overview\n"                                                            \
    "17: ### Tests\n"                                                                              \
    "21: ## Risks #not-closing\n"                                                                  \
    "22: ## 3) Next steps\n"                                                                       \
    "23: ## "

static int s_setup(void **state)
{
    (void)state;
    return s_sandbox_make("mt5-checksec");
}

/* A check of `path` requiring the NULL-terminated headings. */
static mt5_check_t s_check(const char *path, int64_t min_sections, int level, ...)
{
    mt5_check_t c = s_check_init(MT5_CHECK_SECTIONS, "doc", 10000);
    c.u.sections.path = strdup(path);
    c.u.sections.min_sections = min_sections;
    c.u.sections.level = level;
    va_list ap;
    va_start(ap, level);
    for (const char *h; (h = va_arg(ap, const char *));)
        s_strv_add(&c.u.sections.headings, h);
    va_end(ap);
    return c;
}

static void test_check_sections__required_headings_found(void **state)
{
    (void)state;
    s_puts("report.md", s_doc);
    mt5_check_t c = s_check("report.md", -1, 0, "overview", " Architecture Overview ", "TESTS",
                            "Risks #not-closing", "Next Steps", "task 004 report", NULL);
    mt5_check_result_t r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    assert_string_equal(r.message, "report.md has the 6 required headings");
    assert_string_equal(r.evidence, DOC_EVIDENCE);
}

static void test_check_sections__fenced_and_false_headings_do_not_count(void **state)
{
    (void)state;
    s_puts("report.md", s_doc);
    const char *fakes[] = {"not a heading",
                           "Also not",
                           "inside tilde",
                           "still inside",
                           "short fence does not close",
                           "seven is not a heading",
                           "hashtag is not a heading",
                           "indented code is not a heading",
                           "Risks"};
    for (size_t i = 0; i < sizeof fakes / sizeof fakes[0]; i++) {
        mt5_check_t c = s_check("report.md", -1, 0, "Overview", fakes[i], NULL);
        mt5_check_result_t r = s_run_free(&c);
        assert_int_equal(r.status, MT5_STATUS_FAIL);
        char want[256];
        snprintf(want, sizeof want, "report.md is missing 1 of 2 required headings: '%s'",
                 fakes[i]);
        assert_string_equal(r.message, want);
    }
}

static void test_check_sections__missing_headings_are_listed(void **state)
{
    (void)state;
    s_puts("report.md", s_doc);
    mt5_check_t c = s_check("report.md", 3, 2, "Overview", "Design", "Architecture", "Tests",
                            "Rollback Plan ", NULL);
    mt5_check_result_t r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    assert_string_equal(r.message, "report.md is missing 3 of 5 required headings: 'Design', "
                                   "'Architecture', 'Rollback Plan'");
}

static void test_check_sections__section_numbers_and_near_misses(void **state)
{
    (void)state;
    s_puts("n.md", "# 1.Overview\n"
                   "# Architecture Overview (v2)\n"
                   "## 10.2.3. Deep\n"
                   "## 7 Seven\n"
                   "## 2024Plan\n");
    mt5_check_t c = s_check("n.md", -1, 0, "Deep", "Seven", "1.Overview", NULL);
    mt5_check_result_t r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    c = s_check("n.md", -1, 0, "Overview", "Architecture Overview", "Plan", NULL);
    r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    assert_string_equal(r.message, "n.md is missing 3 of 3 required headings: 'Overview', "
                                   "'Architecture Overview', 'Plan'");
}

static void test_check_sections__min_sections_by_level(void **state)
{
    (void)state;
    s_puts("report.md", s_doc);
    /* Level 2: Overview, Architecture, Risks, Next steps and the empty one. */
    mt5_check_t c = s_check("report.md", 5, 2, NULL);
    mt5_check_result_t r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    assert_string_equal(r.message, "report.md has 5 level-2 headings (need 5)");
    c = s_check("report.md", 6, 2, NULL);
    r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    assert_string_equal(r.message, "report.md has 5 level-2 headings, need at least 6");
    c = s_check("report.md", 8, 0, NULL);
    r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    assert_string_equal(r.message, "report.md has 7 headings, need at least 8");
    c = s_check("report.md", 1, 3, "Tests", NULL);
    r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    assert_string_equal(r.message,
                        "report.md has the 1 required heading and 1 level-3 heading (need 1)");
    /* Headings found but too few sections: the count decides. */
    c = s_check("report.md", 2, 3, "Tests", NULL);
    r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    assert_string_equal(r.message, "report.md has 1 level-3 heading, need at least 2");
}

static void test_check_sections__crlf_bom_and_unclosed_fence(void **state)
{
    (void)state;
    s_puts("w.md", "\xEF\xBB\xBF# Title\r\n## Scope ##\r\n```\r\n## Hidden\r\n");
    mt5_check_t c = s_check("w.md", 2, 0, "Title", "Scope", NULL);
    mt5_check_result_t r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    assert_string_equal(r.evidence, "1: # Title\n2: ## Scope");
    c = s_check("w.md", -1, 0, "Hidden", NULL);
    r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_FAIL);

    /* An empty document has no headings; binary bytes are no trouble. */
    s_puts("e.md", "");
    c = s_check("e.md", 1, 0, NULL);
    r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    assert_string_equal(r.message, "e.md has 0 headings, need at least 1");
    s_puts("bin.md", "\xFF\xFE# \x01\x80X\n");
    c = s_check("bin.md", 1, 0, NULL);
    r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    s_puts("bin.md", "# \x01\x80X\n");
    c = s_check("bin.md", 1, 0, NULL);
    r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    assert_string_equal(r.evidence, "1: # \\x01\\x80X");
}

static void test_check_sections__bad_paths(void **state)
{
    (void)state;
    mt5_check_t c = s_check("docs/none.md", 1, 0, NULL);
    mt5_check_result_t r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    assert_string_equal(r.message, "docs/none.md does not exist");
    s_mkdir("d.md");
    c = s_check("d.md", 1, 0, NULL);
    r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    assert_string_equal(r.message, "d.md is not a regular file");
    s_mkfifo("fifo.md");
    c = s_check("fifo.md", 1, 0, NULL);
    r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    assert_string_equal(r.message, "fifo.md is not a regular file");
    c = s_check("a/../../x.md", 1, 0, NULL);
    r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_ERROR);
    assert_string_equal(r.message, "a/../../x.md: leaves the root");
    c = s_check("x", 1, 0, NULL);
    free(c.u.sections.path);
    c.u.sections.path = NULL;
    r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_ERROR);
    assert_string_equal(r.message, "the check has no path");
}

static void test_check_sections__too_large_is_an_error(void **state)
{
    (void)state;
    s_sparse("big.md", 16 * 1024 * 1024 + 1, "");
    mt5_check_t c = s_check("big.md", 1, 0, NULL);
    mt5_check_result_t r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_ERROR);
    assert_string_equal(r.message, "big.md is too large (more than 16 MiB)");
    /* Exactly the limit is read (in blocks), and a heading at its end found. */
    s_sparse("big.md", 16 * 1024 * 1024 - 7, "\n# End\n");
    c = s_check("big.md", -1, 0, "End", NULL);
    r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
}

static void test_check_sections__expired_deadline_times_out(void **state)
{
    (void)state;
    s_puts("t.md", "# T\n");
    mt5_check_t c = s_check("t.md", 1, 0, NULL);
    mt5_check_ctx_t ctx = s_sandbox_ctx(10000);
    ctx.deadline_us = mt5_clock_mono_us() - 1;
    mt5_check_result_t r = s_run_in(&c, &ctx);
    s_expect_timed_out(&r, "timed out after 10000 ms");
    memset(&r, 0, sizeof r);
    assert_int_equal(mt5_check_sections_run(&r, &c, &ctx), MT5_OK);
    s_expect_timed_out(&r, NULL);
    mt5_check_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_sections__required_headings_found),
        cmocka_unit_test(test_check_sections__fenced_and_false_headings_do_not_count),
        cmocka_unit_test(test_check_sections__missing_headings_are_listed),
        cmocka_unit_test(test_check_sections__section_numbers_and_near_misses),
        cmocka_unit_test(test_check_sections__min_sections_by_level),
        cmocka_unit_test(test_check_sections__crlf_bom_and_unclosed_fence),
        cmocka_unit_test(test_check_sections__bad_paths),
        cmocka_unit_test(test_check_sections__too_large_is_an_error),
        cmocka_unit_test(test_check_sections__expired_deadline_times_out),
    };
    return cmocka_run_group_tests(tests, s_setup, s_sandbox_teardown);
}
