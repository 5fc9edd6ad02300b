/*  test_check_contains.c - the `contains` check kind: patterns found (with
 *  the first matching line as evidence) or missing, min_count across the
 *  files of a glob, globs matching 0 or 2 files, min_files, forbidden
 *  patterns, ignore_case, binary and invalid UTF-8 subjects, catastrophic
 *  backtracking (an error, fast), a pattern that does not compile, paths
 *  leaving the root lexically or through a symlink, non-regular matches
 *  (a FIFO must not hang), line numbers across 1 MiB chunks, a 64 MiB
 *  sparse file, a root whose name holds glob characters and a deadline
 *  that has passed.
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
int mt5_check_contains_run(mt5_check_result_t *out, const mt5_check_t *check,
                           const mt5_check_ctx_t *ctx);

static int s_setup(void **state)
{
    (void)state;
    return s_sandbox_make("mt5-checkcont");
}

/* A check of `path`: patterns, then NULL, then absent patterns, then NULL. */
static mt5_check_t s_check(const char *path, ...)
{
    mt5_check_t c = s_check_init(MT5_CHECK_CONTAINS, "contains", 10000);
    c.u.contains.path = strdup(path);
    c.u.contains.min_count = 1;
    c.u.contains.min_files = 1;
    va_list ap;
    va_start(ap, path);
    for (const char *p; (p = va_arg(ap, const char *));)
        s_strv_add(&c.u.contains.patterns, p);
    for (const char *p; (p = va_arg(ap, const char *));)
        s_strv_add(&c.u.contains.absent, p);
    va_end(ap);
    return c;
}

static void test_check_contains__patterns_found_in_one_file(void **state)
{
    (void)state;
    s_mkdir("one");
    s_puts("one/a.md", "# Title\n\n## Overview\ntext\r\ngot OK_FROM_MT5 at last\r\n");
    mt5_check_t c = s_check("one/a.md", "^## Overview$", "OK_FROM_MT5 at last$", NULL, NULL);
    mt5_check_result_t r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    assert_string_equal(r.message, "2 patterns found in 1 file");
    assert_string_equal(r.evidence, "one/a.md:3: ## Overview\n"
                                    "one/a.md:5: got OK_FROM_MT5 at last");
}

static void test_check_contains__missing_file_and_empty_file(void **state)
{
    (void)state;
    mt5_check_t c = s_check("docs/none.md", "x", NULL, NULL);
    mt5_check_result_t r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    assert_string_equal(r.message, "docs/none.md does not exist");

    /* With min_files 0 a missing file is no file: forbidden patterns pass. */
    c = s_check("docs/none.md", NULL, "secret", NULL);
    c.u.contains.min_files = 0;
    r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    assert_string_equal(r.message, "1 forbidden pattern absent in 0 files");

    /* An empty file has no lines, not even an empty one. */
    s_puts("empty.txt", "");
    c = s_check("empty.txt", "^$", NULL, NULL);
    r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    assert_string_equal(r.message, "pattern '^$' found 0 times in 1 file, need 1");
    assert_string_equal(r.evidence, "'^$': 0 of 1");
}

static void test_check_contains__glob_zero_and_two_files(void **state)
{
    (void)state;
    s_mkdir("g");
    s_puts("g/b1.md", "TODO one\nfine\nTODO two TODO three\n");
    s_puts("g/b2.md", "x\ny\nTODO four\n");
    s_puts("g/notes.txt", "TODO not searched\n");

    mt5_check_t c = s_check("g/*.txt.bak", "TODO", NULL, NULL);
    mt5_check_result_t r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    assert_string_equal(r.message, "g/*.txt.bak matches 0 files, need at least 1");

    /* min_count across files: b1 holds 3 matches on 2 lines, b2 one. */
    c = s_check("g/*.md", "TODO", NULL, NULL);
    c.u.contains.min_count = 4;
    r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    assert_string_equal(r.message, "1 pattern found in 2 files");
    assert_string_equal(r.evidence, "g/b1.md:1: TODO one");

    c = s_check("g/*.md", "TODO", "^y$", "absent pattern", NULL, NULL);
    c.u.contains.min_count = 5;
    r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    assert_string_equal(r.message, "pattern 'TODO' found 4 times in 2 files, need 5 (and 2 more "
                                   "patterns missing)");
    assert_string_equal(r.evidence, "'TODO': 4 of 5\n'^y$': 1 of 5\n'absent pattern': 0 of 5");

    c = s_check("g/b?.md", "TODO", NULL, NULL);
    c.u.contains.min_files = 3;
    r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    assert_string_equal(r.message, "g/b?.md matches 2 files, need at least 3");

    c = s_check("g/b[2]*", "TODO", NULL, NULL);
    r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    assert_string_equal(r.evidence, "g/b2.md:3: TODO four");
}

static void test_check_contains__forbidden_patterns(void **state)
{
    (void)state;
    s_mkdir("f");
    s_puts("f/a.cfg", "user = bob\n");
    s_puts("f/b.cfg", "1\n2\n3\n4\n5\n6\npassword = hunter2\n");
    mt5_check_t c = s_check("f/*.cfg", "user", NULL, "password\\s*=", NULL);
    mt5_check_result_t r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    assert_string_equal(r.message, "forbidden pattern 'password\\s*=' found at f/b.cfg:7");
    assert_string_equal(r.evidence, "f/b.cfg:7: password = hunter2");

    c = s_check("f/*.cfg", "user", NULL, "token\\s*=", "^secret", NULL);
    r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    assert_string_equal(r.message, "1 pattern found and 2 forbidden patterns absent in 2 files");
    assert_string_equal(r.evidence, "f/a.cfg:1: user = bob");

    c = s_check("f/a.cfg", NULL, "password", NULL);
    r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    assert_string_equal(r.message, "1 forbidden pattern absent in 1 file");
}

static void test_check_contains__ignore_case(void **state)
{
    (void)state;
    s_puts("case.log", "Reply: Ok_From_Mt5\n");
    mt5_check_t c = s_check("case.log", "OK_FROM_MT5", NULL, NULL);
    mt5_check_result_t r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    assert_string_equal(r.message, "pattern 'OK_FROM_MT5' found 0 times in 1 file, need 1");
    c = s_check("case.log", "OK_FROM_MT5", NULL, NULL);
    c.u.contains.ignore_case = true;
    r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    assert_string_equal(r.evidence, "case.log:1: Reply: Ok_From_Mt5");
}

static void test_check_contains__binary_and_invalid_utf8(void **state)
{
    (void)state;
    static const char bin[] = "\x7F"
                              "ELF\x00\x01\xFF\xFE\n\xC3\x28 \x00 OK_FROM_MT5 \xE2\x82\n";
    s_write("blob.bin", bin, sizeof bin - 1);
    mt5_check_t c = s_check("blob.bin", "OK_FROM_MT5", "^.ELF", NULL, "\\x{FFFD}", NULL);
    mt5_check_result_t r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    assert_string_equal(r.evidence, "blob.bin:2: \\xC3( \\x00 OK_FROM_MT5 \\xE2\\x82\n"
                                    "blob.bin:1: \\x7FELF\\x00\\x01\\xFF\\xFE");
}

static void test_check_contains__catastrophic_pattern_is_an_error(void **state)
{
    (void)state;
    char line[128];
    memset(line, 'a', sizeof line);
    line[sizeof line - 3] = 'b';
    line[sizeof line - 2] = '\n';
    line[sizeof line - 1] = '\0';
    s_puts("cat.txt", line);
    int64_t t0 = mt5_clock_mono_us();
    mt5_check_t c = s_check("cat.txt", "(a+)+$", NULL, NULL);
    mt5_check_result_t r = s_run_free(&c);
    assert_true(mt5_clock_mono_us() - t0 < 5 * 1000 * 1000);
    assert_int_equal(r.status, MT5_STATUS_ERROR);
    assert_false(r.timed_out);
    assert_string_equal(r.message,
                        "pattern '(a+)+$': match limit exceeded (backtracking) in cat.txt");
    /* The same as a forbidden pattern. */
    c = s_check("cat.txt", NULL, "(a+)+$", NULL);
    r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_ERROR);
}

static void test_check_contains__bad_pattern_is_an_error(void **state)
{
    (void)state;
    s_puts("p.txt", "x\n");
    mt5_check_t c = s_check("p.txt", "ok", "a(", NULL, NULL);
    mt5_check_result_t r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_ERROR);
    assert_string_equal(r.message,
                        "pattern 'a(' does not compile: at offset 2: missing closing parenthesis");
    c = s_check("x", NULL, NULL);
    free(c.u.contains.path);
    c.u.contains.path = NULL;
    r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_ERROR);
    assert_string_equal(r.message, "the check has no path");
}

static void test_check_contains__leaving_the_root_is_an_error(void **state)
{
    (void)state;
    s_mkdir("s");
    s_puts("s/a.md", "fine\n");
    s_symlink("/etc/hostname", "s/evil.md");
    mt5_check_t c = s_check("s/*.md", "fine", NULL, NULL);
    mt5_check_result_t r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_ERROR);
    assert_string_equal(r.message, "s/evil.md: leaves the root");

    c = s_check("s/evil.md", "x", NULL, NULL);
    r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_ERROR);
    assert_string_equal(r.message, "s/evil.md: leaves the root");

    c = s_check("../*.md", "x", NULL, NULL);
    r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_ERROR);
    assert_string_equal(r.message, "../*.md: leaves the root"); /* the pattern as written */

    c = s_check("s/../../etc/hostname", "x", NULL, NULL);
    r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_ERROR);
    assert_string_equal(r.message, "s/../../etc/hostname: leaves the root");

    /* A directory symlinked out, with the wildcard past it. */
    s_symlink("/etc", "etc-link");
    c = s_check("etc-link/host*", "x", NULL, NULL);
    r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_ERROR);
    assert_string_equal(r.message, "etc-link/host*: leaves the root");
}

static void test_check_contains__non_regular_matches_are_ignored(void **state)
{
    (void)state;
    s_mkdir("n");
    s_mkdir("n/sub.md");
    s_mkfifo("n/pipe.md");
    s_symlink("nowhere", "n/dangling.md");
    s_puts("n/real.md", "here\n");
    int64_t t0 = mt5_clock_mono_us();
    mt5_check_t c = s_check("n/*.md", "here", NULL, NULL);
    mt5_check_result_t r = s_run_free(&c);
    assert_true(mt5_clock_mono_us() - t0 < 2 * 1000 * 1000);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    assert_string_equal(r.message, "1 pattern found in 1 file");

    c = s_check("n/pipe.md", "here", NULL, NULL);
    r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    assert_string_equal(r.message, "n/pipe.md is not a regular file");
}

static void test_check_contains__line_numbers_across_chunks(void **state)
{
    (void)state;
    /* 300000 lines, about 3.2 MiB: several 1 MiB chunks. */
    size_t cap = 4u << 20, len = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    for (int i = 1; i <= 300000; i++)
        len += (size_t)snprintf(buf + len, cap - len, "line %d\n", i);
    s_write("lines.txt", buf, len);
    free(buf);
    mt5_check_t c = s_check("lines.txt", "^line 299999$", "^line 1$", NULL, "^line 300001$", NULL);
    mt5_check_result_t r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    assert_string_equal(r.evidence, "lines.txt:299999: line 299999\nlines.txt:1: line 1");
    /* min_count counts matches in every chunk. */
    c = s_check("lines.txt", "^line [0-9]*7$", NULL, NULL);
    c.u.contains.min_count = 30000;
    r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    c = s_check("lines.txt", "^line [0-9]*7$", NULL, NULL);
    c.u.contains.min_count = 30001;
    r = s_run_free(&c);
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    assert_string_equal(r.message,
                        "pattern '^line [0-9]*7$' found 30000 times in 1 file, need 30001");
}

static void test_check_contains__huge_sparse_file(void **state)
{
    (void)state;
    s_sparse("huge.bin", 64ll * 1024 * 1024, "\nTHE_END\n");
    int64_t t0 = mt5_clock_mono_us();
    mt5_check_t c = s_check("huge.bin", "^THE_END$", NULL, NULL);
    mt5_check_result_t r = s_run_free(&c);
    assert_true(mt5_clock_mono_us() - t0 < 8 * 1000 * 1000);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    assert_string_equal(r.evidence, "huge.bin:2: THE_END");
}

static void test_check_contains__root_with_glob_characters(void **state)
{
    (void)state;
    s_mkdir("r[1]*?");
    s_mkdir("r[1]*?/d");
    s_puts("r[1]*?/d/x.md", "inside\n");
    s_puts("r1zz.md", "decoy\n");
    char root[PATH_MAX];
    s_path(root, sizeof root, "r[1]*?");
    mt5_check_t c = s_check("d/*.md", "inside", NULL, NULL);
    mt5_check_ctx_t ctx = s_sandbox_ctx(10000);
    ctx.root = root;
    mt5_check_result_t r = s_run_in(&c, &ctx);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    assert_string_equal(r.evidence, "d/x.md:1: inside");
    mt5_check_free(&c);
}

static void test_check_contains__expired_deadline_times_out(void **state)
{
    (void)state;
    s_puts("t.txt", "x\n");
    mt5_check_t c = s_check("t.txt", "x", NULL, NULL);
    mt5_check_ctx_t ctx = s_sandbox_ctx(10000);
    ctx.deadline_us = mt5_clock_mono_us() - 1;
    mt5_check_result_t r = s_run_in(&c, &ctx);
    s_expect_timed_out(&r, "timed out after 10000 ms");
    memset(&r, 0, sizeof r);
    assert_int_equal(mt5_check_contains_run(&r, &c, &ctx), MT5_OK);
    s_expect_timed_out(&r, "timed out after 10000 ms");
    mt5_check_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_contains__patterns_found_in_one_file),
        cmocka_unit_test(test_check_contains__missing_file_and_empty_file),
        cmocka_unit_test(test_check_contains__glob_zero_and_two_files),
        cmocka_unit_test(test_check_contains__forbidden_patterns),
        cmocka_unit_test(test_check_contains__ignore_case),
        cmocka_unit_test(test_check_contains__binary_and_invalid_utf8),
        cmocka_unit_test(test_check_contains__catastrophic_pattern_is_an_error),
        cmocka_unit_test(test_check_contains__bad_pattern_is_an_error),
        cmocka_unit_test(test_check_contains__leaving_the_root_is_an_error),
        cmocka_unit_test(test_check_contains__non_regular_matches_are_ignored),
        cmocka_unit_test(test_check_contains__line_numbers_across_chunks),
        cmocka_unit_test(test_check_contains__huge_sparse_file),
        cmocka_unit_test(test_check_contains__root_with_glob_characters),
        cmocka_unit_test(test_check_contains__expired_deadline_times_out),
    };
    return cmocka_run_group_tests(tests, s_setup, s_sandbox_teardown);
}
