/*  test_check.c - what the check kinds share (check.c): kind, status and
 *  operator names, mt5_cmp_holds, version comparison, paths resolved
 *  inside the root (lexical "..", symlinks out of and inside the root,
 *  missing and absolute paths), the escaping and cutting of evidence, the
 *  deadline helpers and mt5_check_run's argument and deadline handling.
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
#include <unistd.h>

#include "check_impl.h"
#include "mt5/check.h"
#include "mt5/clock.h"
#include "mt5/error.h"
#include "unit/check_sandbox.h"

static int s_setup(void **state)
{
    (void)state;
    if (s_sandbox_make("mt5-check") != 0)
        return -1;
    /* sub/f, in -> sub, out -> /tmp, sub/up -> .., sub/abs-in -> <root>/sub/f */
    s_mkdir("sub");
    s_puts("sub/f", "");
    s_symlink("sub", "in");
    s_symlink("/tmp", "out");
    s_symlink("..", "sub/up");
    char target[PATH_MAX];
    s_path(target, sizeof target, "sub/f");
    s_symlink(target, "sub/abs-in");
    return 0;
}

/* ---- names ------------------------------------------------------------- */

static void test_check__kind_names_round_trip(void **state)
{
    (void)state;
    static const char *const names[] = {"file",      "contains", "sections", "log",
                                        "handshake", "command",  "version",  "port"};
    for (int i = 0; i < MT5_CHECK_KIND_COUNT; i++) {
        assert_string_equal(mt5_check_kind_name((mt5_check_kind)i), names[i]);
        mt5_check_kind k = MT5_CHECK_KIND_COUNT;
        assert_int_equal(mt5_check_kind_parse(&k, names[i]), MT5_OK);
        assert_int_equal(k, i);
    }
    assert_null(mt5_check_kind_name(MT5_CHECK_KIND_COUNT));
    assert_null(mt5_check_kind_name((mt5_check_kind)-1));
    mt5_check_kind k = MT5_CHECK_PORT;
    assert_int_equal(mt5_check_kind_parse(&k, "File"), MT5_ENOTFOUND);
    assert_int_equal(mt5_check_kind_parse(&k, ""), MT5_ENOTFOUND);
    assert_int_equal(mt5_check_kind_parse(&k, "files"), MT5_ENOTFOUND);
    assert_int_equal(mt5_check_kind_parse(&k, NULL), MT5_ENOTFOUND);
    assert_int_equal(k, MT5_CHECK_PORT); /* untouched on failure */
}

static void test_check__status_names(void **state)
{
    (void)state;
    assert_string_equal(mt5_status_name(MT5_STATUS_PASS), "pass");
    assert_string_equal(mt5_status_name(MT5_STATUS_FAIL), "fail");
    assert_string_equal(mt5_status_name(MT5_STATUS_ERROR), "error");
    assert_string_equal(mt5_status_name(MT5_STATUS_SKIP), "skip");
    assert_string_equal(mt5_status_name(MT5_STATUS_WAIVED), "waived");
    assert_string_equal(mt5_status_name(MT5_STATUS_COUNT), "error");
    assert_string_equal(mt5_status_name((mt5_status)-3), "error");
}

static void test_check__cmp_names_and_parse(void **state)
{
    (void)state;
    static const char *const names[] = {">=", ">", "<=", "<", "==", "!="};
    for (int i = 0; i <= MT5_CMP_NE; i++) {
        assert_string_equal(mt5_cmp_name((mt5_cmp)i), names[i]);
        mt5_cmp op = (mt5_cmp)-1;
        assert_int_equal(mt5_cmp_parse(&op, names[i]), MT5_OK);
        assert_int_equal(op, i);
    }
    assert_string_equal(mt5_cmp_name((mt5_cmp)6), "?");
    static const char *const bad[] = {"=>", "=", "", " >=", ">= ", "=<", "<>", "!", "ge"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mt5_cmp op = MT5_CMP_LT;
        assert_int_equal(mt5_cmp_parse(&op, bad[i]), MT5_EPARSE);
        assert_int_equal(op, MT5_CMP_LT);
    }
    mt5_cmp op = MT5_CMP_LT;
    assert_int_equal(mt5_cmp_parse(&op, "=>"), MT5_EPARSE);
    assert_string_equal(mt5_error_detail(), "'=>' is not one of >=, >, <=, <, ==, !=");
    assert_int_equal(mt5_cmp_parse(&op, NULL), MT5_EPARSE);
}

static void test_check__cmp_holds_for_every_order(void **state)
{
    (void)state;
    /* Expected for order -1, 0, +1. */
    static const struct {
        mt5_cmp op;
        bool lt, eq, gt;
    } table[] = {
        {MT5_CMP_GE, false, true, true},  {MT5_CMP_GT, false, false, true},
        {MT5_CMP_LE, true, true, false},  {MT5_CMP_LT, true, false, false},
        {MT5_CMP_EQ, false, true, false}, {MT5_CMP_NE, true, false, true},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        assert_int_equal(mt5_cmp_holds(table[i].op, -1), table[i].lt);
        assert_int_equal(mt5_cmp_holds(table[i].op, -42), table[i].lt);
        assert_int_equal(mt5_cmp_holds(table[i].op, 0), table[i].eq);
        assert_int_equal(mt5_cmp_holds(table[i].op, 1), table[i].gt);
        assert_int_equal(mt5_cmp_holds(table[i].op, 7), table[i].gt);
    }
    assert_false(mt5_cmp_holds((mt5_cmp)99, 0));
}

/* ---- versions ------------------------------------------------------------ */

static int s_vcmp(const char *a, const char *b)
{
    int order = 99;
    assert_int_equal(mt5_version_compare(&order, a, b), MT5_OK);
    assert_true(order >= -1 && order <= 1);
    /* Antisymmetric. */
    int back = 99;
    assert_int_equal(mt5_version_compare(&back, b, a), MT5_OK);
    assert_int_equal(back, -order);
    return order;
}

static void test_check__version_compare_orders_as_versions(void **state)
{
    (void)state;
    assert_int_equal(s_vcmp("4.10", "4.9"), 1);
    assert_int_equal(s_vcmp("1.0", "1.0.0"), 0);
    assert_int_equal(s_vcmp("1.0rc1", "1.0"), -1);
    assert_int_equal(s_vcmp("25.1.2", "24.0"), 1);
    assert_true(mt5_cmp_holds(MT5_CMP_GE, s_vcmp("25.1.2", "24.0")));
    assert_int_equal(s_vcmp("4.3.4", "4.3.4"), 0);
    assert_int_equal(s_vcmp("4.3.4", "4.3"), 1);
    assert_int_equal(s_vcmp("4.3", "4.3.0.0"), 0);
    assert_int_equal(s_vcmp("10", "9.99"), 1);
    assert_int_equal(s_vcmp("1.0rc1", "1.0rc2"), -1);
    assert_int_equal(s_vcmp("1.0a", "1.0b"), -1);
    assert_int_equal(s_vcmp("1.0rc1", "1.0.1"), -1);
    assert_int_equal(s_vcmp("2.0rc1", "1.9"), 1);
    assert_int_equal(s_vcmp("1.02", "1.2"), 0);
    /* A space ends the version. */
    assert_int_equal(s_vcmp("4.3.4 (build 7)", "4.3.4"), 0);
    assert_int_equal(s_vcmp("12.2.0 x", "12.10"), -1);
}

static void test_check__version_compare_refuses_non_versions(void **state)
{
    (void)state;
    static const char *const bad[] = {"", "v1.0", ".1", " 1.0", "x", "-1", "+1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int order = 42;
        assert_int_equal(mt5_version_compare(&order, bad[i], "1.0"), MT5_EPARSE);
        assert_int_equal(mt5_version_compare(&order, "1.0", bad[i]), MT5_EPARSE);
        assert_int_equal(order, 42);
    }
    int order = 42;
    assert_int_equal(mt5_version_compare(&order, NULL, "1"), MT5_EPARSE);
    assert_int_equal(mt5_version_compare(&order, "1", NULL), MT5_EPARSE);
    assert_int_equal(mt5_version_compare(&order, "v2", "1"), MT5_EPARSE);
    assert_string_equal(mt5_error_detail(), "'v2' or '1' is not a version");
    assert_int_equal(order, 42);
}

/* ---- paths --------------------------------------------------------------- */

static void s_resolves(const char *rel, const char *expect_rel)
{
    char *abs = NULL;
    assert_int_equal(mt5_check_resolve(&abs, s_root, rel), MT5_OK);
    char want[PATH_MAX];
    snprintf(want, sizeof want, "%s%s%s", s_root, *expect_rel ? "/" : "", expect_rel);
    assert_string_equal(abs, want);
    free(abs);
}

static void s_leaves(const char *rel)
{
    char *abs = (char *)"untouched";
    assert_int_equal(mt5_check_resolve(&abs, s_root, rel), MT5_EINVAL);
    assert_string_equal(abs, "untouched");
    char want[PATH_MAX];
    snprintf(want, sizeof want, "%s: leaves the root", rel);
    assert_string_equal(mt5_error_detail(), want);
}

static void test_check__resolve_stays_inside_the_root(void **state)
{
    (void)state;
    s_resolves("sub/f", "sub/f");
    s_resolves("./sub//f", "sub/f");
    s_resolves("sub/../sub/f", "sub/f");
    s_resolves(".", "");
    s_resolves("", "");
    s_resolves("sub/..", "");
    /* Symlinks inside the root resolve to their target. */
    s_resolves("in/f", "sub/f");
    s_resolves("in", "sub");
    s_resolves("sub/up/sub/f", "sub/f");
    s_resolves("sub/abs-in", "sub/f");
    /* What does not exist resolves as far as it exists. */
    s_resolves("new.txt", "new.txt");
    s_resolves("sub/new/deeper/x.log", "sub/new/deeper/x.log");
    s_resolves("in/new.txt", "sub/new.txt");
}

static void test_check__resolve_refuses_leaving_the_root(void **state)
{
    (void)state;
    s_leaves("..");
    s_leaves("../x");
    s_leaves("a/../..");
    s_leaves("a/../../b");
    s_leaves("sub/../../etc/passwd");
    s_leaves("./..");
    /* Through symlinks, existing or not below them. */
    s_leaves("out");
    s_leaves("out/x/y");
    s_leaves("sub/up/..");

    char *abs = NULL;
    assert_int_equal(mt5_check_resolve(&abs, s_root, "/etc/passwd"), MT5_EINVAL);
    assert_string_equal(mt5_error_detail(), "/etc/passwd: absolute paths are not allowed");
    assert_int_equal(mt5_check_resolve(&abs, "/nonexistent-mt5-root", "x"), MT5_EIO);
    assert_int_equal(mt5_check_resolve(NULL, s_root, "x"), MT5_EINVAL);
    assert_int_equal(mt5_check_resolve(&abs, NULL, "x"), MT5_EINVAL);
    assert_int_equal(mt5_check_resolve(&abs, s_root, NULL), MT5_EINVAL);
    assert_null(abs);
}

/* A dangling symlink to a place outside the root leaves it just as much:
 * whoever creates or appends to the path would write outside. One that
 * points inside is accepted. */
static void test_check__resolve_refuses_a_dangling_symlink_out(void **state)
{
    (void)state;
    char p[PATH_MAX];
    s_path(p, sizeof p, "dangling-out");
    assert_int_equal(symlink("/tmp/mt5-check-nonexistent-target/x.log", p), 0);
    s_leaves("dangling-out");
    s_leaves("dangling-out/y");
    unlink(p);
    /* One whose target would be inside resolves to that target: what was
     * checked is what gets opened. */
    s_path(p, sizeof p, "sub/dangling-in");
    assert_int_equal(symlink("../new-target.log", p), 0);
    s_resolves("sub/dangling-in", "new-target.log");
    unlink(p);
}

/* Dangling links are followed to the end: a chain of them, or one whose
 * target runs through a real link, may not lead out either. */
static void test_check__resolve_follows_dangling_chains(void **state)
{
    (void)state;
    char a[PATH_MAX], b[PATH_MAX], log[PATH_MAX];
    s_path(a, sizeof a, "chain-a");
    s_path(b, sizeof b, "chain-b");
    assert_int_equal(symlink("chain-b", a), 0);
    assert_int_equal(symlink("/tmp/mt5-check-nonexistent-target/outside.log", b), 0);
    s_leaves("chain-a");
    unlink(b);
    assert_int_equal(symlink("sub/chained.log", b), 0); /* now inside */
    s_resolves("chain-a", "sub/chained.log");
    unlink(a);
    unlink(b);

    /* "out" is the sandbox's link to /tmp (s_setup). */
    s_path(log, sizeof log, "log");
    assert_int_equal(symlink("out/mt5-check-VERIFY_LOG.log", log), 0);
    s_leaves("log");
    unlink(log);

    /* A loop of dangling links ends with an error, not a hang. */
    assert_int_equal(symlink("chain-b", a), 0);
    assert_int_equal(symlink("chain-a", b), 0);
    char *abs = (char *)"untouched";
    assert_int_equal(mt5_check_resolve(&abs, s_root, "chain-a"), MT5_EINVAL);
    assert_string_equal(mt5_error_detail(), "chain-a: too many symbolic links");
    unlink(a);
    unlink(b);
}

static void test_check__resolve_accepts_a_root_given_through_a_symlink(void **state)
{
    (void)state;
    char link[PATH_MAX];
    snprintf(link, sizeof link, "%s-link", s_root);
    assert_int_equal(symlink(s_root, link), 0);
    char *abs = NULL;
    assert_int_equal(mt5_check_resolve(&abs, link, "in/f"), MT5_OK);
    char want[PATH_MAX];
    s_path(want, sizeof want, "sub/f");
    assert_string_equal(abs, want);
    free(abs);
    unlink(link);
}

/* ---- evidence and verdicts ------------------------------------------------ */

static void s_escapes(const char *in, size_t len, const char *want)
{
    mt5_check_result_t r;
    memset(&r, 0, sizeof r);
    check_evidence_bytes(&r, in, len);
    assert_string_equal(r.evidence, want);
}

static void test_check__evidence_bytes_escape_control_and_invalid_utf8(void **state)
{
    (void)state;
    s_escapes("plain text", 10, "plain text");
    s_escapes("a\nb\tc", 5, "a\nb\tc");
    s_escapes("a\rb", 3, "a\\x0Db");
    s_escapes("\x01\x1f\x7f", 3, "\\x01\\x1F\\x7F");
    s_escapes("a\0b", 3, "a\\x00b");
    s_escapes("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14,
              "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    s_escapes("\xc3(", 2, "\\xC3(");
    s_escapes("\x80", 1, "\\x80");
    s_escapes("\xc0\xaf", 2, "\\xC0\\xAF");                   /* overlong '/' */
    s_escapes("\xe0\x80\xaf", 3, "\\xE0\\x80\\xAF");          /* overlong */
    s_escapes("\xed\xa0\x80", 3, "\\xED\\xA0\\x80");          /* surrogate */
    s_escapes("\xf4\x90\x80\x80", 4, "\\xF4\\x90\\x80\\x80"); /* above U+10FFFF */
    s_escapes("\xe2\x82", 2, "\\xE2\\x82");                   /* cut short at the end */
    s_escapes("", 0, "");

    /* Appends to what is there. */
    mt5_check_result_t r;
    memset(&r, 0, sizeof r);
    check_evidence(&r, "line %d: ", 3);
    check_evidence_bytes(&r, "x\x02", 2);
    assert_string_equal(r.evidence, "line 3: x\\x02");
}

/* Bytes F5..FF never start a UTF-8 sequence (nor do C0 and C1). */
static void test_check__evidence_bytes_escape_bytes_that_start_no_utf8(void **state)
{
    (void)state;
    s_escapes("\xc1\xbf", 2, "\\xC1\\xBF");
    s_escapes("\xf5\x80\x80\x80", 4, "\\xF5\\x80\\x80\\x80");
    s_escapes("\xf8\x88\x80\x80\x80", 5, "\\xF8\\x88\\x80\\x80\\x80");
    s_escapes("\xfe\xff", 2, "\\xFE\\xFF");
    s_escapes("\xff\x80\x80 ok", 6, "\\xFF\\x80\\x80 ok");
}

static void test_check__evidence_bytes_cut_at_the_buffer_never_inside_an_escape(void **state)
{
    (void)state;
    const size_t cap = MT5_CHECK_EVIDENCE_MAX;
    char *big = malloc(3 * cap);
    assert_non_null(big);
    memset(big, 'a', 3 * cap);
    mt5_check_result_t r;
    memset(&r, 0, sizeof r);
    check_evidence_bytes(&r, big, 3 * cap);
    assert_int_equal(strlen(r.evidence), cap - 1);

    /* Room for 2 more bytes: a 4-byte escape does not go in at all. */
    memset(&r, 0, sizeof r);
    big[cap - 3] = '\x01';
    check_evidence_bytes(&r, big, cap);
    assert_int_equal(strlen(r.evidence), cap - 3);
    assert_int_equal(r.evidence[cap - 4], 'a');

    /* Nor is a UTF-8 character cut in half. */
    memset(&r, 0, sizeof r);
    memset(big, 'a', cap);
    memcpy(big + cap - 3, "\xe2\x82\xac", 3); /* needs cap-3..cap-1, one too many */
    check_evidence_bytes(&r, big, cap);
    assert_int_equal(strlen(r.evidence), cap - 3);
    memset(&r, 0, sizeof r);
    memcpy(big + cap - 4, "\xe2\x82\xac", 3); /* fits exactly */
    check_evidence_bytes(&r, big, cap - 1);
    assert_int_equal(strlen(r.evidence), cap - 1);
    assert_memory_equal(r.evidence + cap - 4, "\xe2\x82\xac", 3);
    free(big);
}

static void test_check__verdicts_and_timeouts(void **state)
{
    (void)state;
    mt5_check_result_t r;
    memset(&r, 0, sizeof r);
    assert_int_equal(check_verdict(&r, MT5_STATUS_FAIL, "exit code %d, expected %d", 2, 0), MT5_OK);
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    assert_string_equal(r.message, "exit code 2, expected 0");
    assert_false(r.timed_out);

    char longer[MT5_CHECK_MESSAGE_MAX * 2];
    memset(longer, 'm', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    check_verdict(&r, MT5_STATUS_PASS, "%s", longer);
    assert_int_equal(strlen(r.message), MT5_CHECK_MESSAGE_MAX - 1);
    check_evidence(&r, "%s", longer);
    assert_int_equal(strlen(r.evidence), MT5_CHECK_MESSAGE_MAX * 2 - 1);

    mt5_check_t c;
    memset(&c, 0, sizeof c);
    c.timeout_ms = 1500;
    assert_int_equal(check_timeout(&r, &c), MT5_OK);
    s_expect_timed_out(&r, "timed out after 1500 ms");

    mt5_check_ctx_t ctx = {0};
    ctx.root = s_root;
    ctx.deadline_us = mt5_clock_mono_us() - 1;
    assert_true(check_expired(&ctx));
    assert_int_equal(check_remaining_ms(&ctx), 0);
    ctx.deadline_us = mt5_clock_mono_us() + 10 * 1000 * 1000;
    assert_false(check_expired(&ctx));
    int64_t left = check_remaining_ms(&ctx);
    assert_true(left > 9000 && left <= 10000);
}

/* mt5_check_run: a bad call says so; a passed deadline runs nothing. */
static void test_check__run_refuses_bad_arguments_and_passed_deadlines(void **state)
{
    (void)state;
    mt5_check_t c;
    memset(&c, 0, sizeof c);
    c.kind = MT5_CHECK_COMMAND;
    c.timeout_ms = 250;
    c.u.command.shell = true;
    c.u.command.argv.items = calloc(1, sizeof(char *));
    assert_non_null(c.u.command.argv.items);
    c.u.command.argv.items[0] = strdup("touch ran");
    c.u.command.argv.count = 1;
    c.id = strdup("c");

    mt5_check_ctx_t ctx = {0};
    ctx.root = s_root;
    ctx.deadline_us = mt5_clock_mono_us() - 1000;
    mt5_check_result_t r;
    memset(&r, 0x5a, sizeof r);
    assert_int_equal(mt5_check_run(&r, &c, &ctx), MT5_OK);
    s_expect_timed_out(&r, "timed out after 250 ms");
    assert_string_equal(r.evidence, "");
    char p[PATH_MAX];
    s_path(p, sizeof p, "ran");
    assert_int_equal(access(p, F_OK), -1);

    assert_int_equal(mt5_check_run(NULL, &c, &ctx), MT5_EINVAL);
    assert_int_equal(mt5_check_run(&r, NULL, &ctx), MT5_EINVAL);
    assert_int_equal(r.status, MT5_STATUS_ERROR);
    assert_string_equal(r.message, "the check is malformed");
    assert_int_equal(mt5_check_run(&r, &c, NULL), MT5_EINVAL);
    ctx.root = NULL;
    assert_int_equal(mt5_check_run(&r, &c, &ctx), MT5_EINVAL);
    ctx.root = s_root;
    c.kind = MT5_CHECK_KIND_COUNT;
    assert_int_equal(mt5_check_run(&r, &c, &ctx), MT5_EINVAL);
    c.kind = MT5_CHECK_COMMAND;

    mt5_check_free(&c);
    assert_null(c.id);
    assert_null(c.u.command.argv.items);
    assert_int_equal(c.u.command.argv.count, 0);
    mt5_check_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check__kind_names_round_trip),
        cmocka_unit_test(test_check__status_names),
        cmocka_unit_test(test_check__cmp_names_and_parse),
        cmocka_unit_test(test_check__cmp_holds_for_every_order),
        cmocka_unit_test(test_check__version_compare_orders_as_versions),
        cmocka_unit_test(test_check__version_compare_refuses_non_versions),
        cmocka_unit_test(test_check__resolve_stays_inside_the_root),
        cmocka_unit_test(test_check__resolve_refuses_leaving_the_root),
        cmocka_unit_test(test_check__resolve_refuses_a_dangling_symlink_out),
        cmocka_unit_test(test_check__resolve_follows_dangling_chains),
        cmocka_unit_test(test_check__resolve_accepts_a_root_given_through_a_symlink),
        cmocka_unit_test(test_check__evidence_bytes_escape_control_and_invalid_utf8),
        cmocka_unit_test(test_check__evidence_bytes_escape_bytes_that_start_no_utf8),
        cmocka_unit_test(test_check__evidence_bytes_cut_at_the_buffer_never_inside_an_escape),
        cmocka_unit_test(test_check__verdicts_and_timeouts),
        cmocka_unit_test(test_check__run_refuses_bad_arguments_and_passed_deadlines),
    };
    return cmocka_run_group_tests(tests, s_setup, s_sandbox_teardown);
}
