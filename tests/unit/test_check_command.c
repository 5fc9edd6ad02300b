/*  test_check_command.c - the `command` check kind, with /bin/sh scripts
 *  written into a sandbox as the programs under test: exit codes (a
 *  mismatch, any code), programs that cannot run, argv never read by a
 *  shell unless shell is true, env items, cwd inside the root, captured
 *  numbers (first, last, per stream, none, every operator), output over
 *  1 MiB, a child that ignores SIGTERM, the deadline, background children,
 *  signals, stdin, secrets redacted from the raw output (control bytes in
 *  them, one across an evidence cut), several threads at once, and no
 *  zombie or descriptor left behind. The spawner (check_spawn.c) is also tested directly for
 *  how it cuts long output.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_impl.h"
#include "check_spawn.h"
#include "mt5/check.h"
#include "mt5/clock.h"
#include "mt5/error.h"
#include "unit/check_sandbox.h"

static int s_setup(void **state)
{
    (void)state;
    if (s_sandbox_make("mt5-checkcmd") != 0)
        return -1;
    s_mkdir("sub");
    s_mkdir("bin");
    s_symlink("sub", "in");
    return 0;
}

/* ---- helpers ------------------------------------------------------------ */

static bool s_exists(const char *rel)
{
    char p[PATH_MAX];
    s_path(p, sizeof p, rel);
    return access(p, F_OK) == 0;
}

/* A command check of argv (NULL-terminated), timeout 10 s, exit 0. */
static mt5_check_t s_cmd(const char *arg, ...)
{
    mt5_check_t c = s_check_init(MT5_CHECK_COMMAND, "cmd", 10000);
    va_list ap;
    va_start(ap, arg);
    for (const char *a = arg; a; a = va_arg(ap, const char *))
        s_strv_add(&c.u.command.argv, a);
    va_end(ap);
    return c;
}

static void s_capture(mt5_check_t *c, const char *pattern, mt5_cmp op, double threshold)
{
    c->u.command.capture = strdup(pattern);
    c->u.command.op = op;
    c->u.command.threshold = threshold;
}

/* No child of ours is left, running or unreaped. */
static void s_no_children(void)
{
    errno = 0;
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

/* As subreaper, orphans of our children become ours: reap them all within
 * 2 s and check that each was killed by SIGKILL. Returns how many. */
static int s_reap_orphans_killed(void)
{
    int n = 0, status = 0;
    int64_t until = mt5_clock_mono_us() + 2000 * 1000;
    for (;;) {
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid > 0) {
            assert_true(WIFSIGNALED(status));
            assert_int_equal(WTERMSIG(status), SIGKILL);
            n++;
            continue;
        }
        if (pid < 0 && errno == ECHILD)
            return n;
        assert_true(mt5_clock_mono_us() < until);
        usleep(10000);
    }
}

/* ---- exit codes ---------------------------------------------------------- */

static void test_check_command__exit_zero_passes_with_the_output_as_evidence(void **state)
{
    (void)state;
    s_script("ok.sh", "echo hello\necho oops >&2\nexit 0");
    mt5_check_t c = s_cmd("./ok.sh", NULL);
    mt5_check_result_t r = s_run(&c);
    s_expect(&r, MT5_STATUS_PASS, "exit code 0 as expected");
    assert_false(r.timed_out);
    assert_string_equal(r.evidence, "--- stdout ---\nhello\n--- stderr ---\noops");
    mt5_check_free(&c);
    s_no_children();
}

static void test_check_command__exit_code_mismatch_fails(void **state)
{
    (void)state;
    s_script("two.sh", "echo 'lint: 3 problems' >&2\nexit 2");
    mt5_check_t c = s_cmd("./two.sh", NULL);
    mt5_check_result_t r = s_run(&c);
    s_expect(&r, MT5_STATUS_FAIL, "exit code 2, expected 0");
    assert_string_equal(r.evidence, "--- stderr ---\nlint: 3 problems");

    /* Expecting 2 and getting 0 is as wrong. */
    s_script("zero.sh", "exit 0");
    mt5_check_t z = s_cmd("./zero.sh", NULL);
    z.u.command.expect_exit = 2;
    r = s_run(&z);
    s_expect(&r, MT5_STATUS_FAIL, "exit code 0, expected 2");
    assert_string_equal(r.evidence, "(no output)");
    mt5_check_free(&c);
    mt5_check_free(&z);
    s_no_children();
}

static void test_check_command__expect_exit_any_and_a_specific_code(void **state)
{
    (void)state;
    s_script("three.sh", "exit 3");
    mt5_check_t c = s_cmd("./three.sh", NULL);
    c.u.command.expect_exit = -1;
    mt5_check_result_t r = s_run(&c);
    s_expect(&r, MT5_STATUS_PASS, "exit code 3 (any code accepted)");
    c.u.command.expect_exit = 3;
    r = s_run(&c);
    s_expect(&r, MT5_STATUS_PASS, "exit code 3 as expected");
    c.u.command.expect_exit = 255;
    r = s_run(&c);
    s_expect(&r, MT5_STATUS_FAIL, "exit code 3, expected 255");
    mt5_check_free(&c);
}

static void test_check_command__not_found_and_not_executable_are_errors(void **state)
{
    (void)state;
    mt5_check_t c = s_cmd("mt5-no-such-program-here", "--version", NULL);
    mt5_check_result_t r = s_run(&c);
    s_expect(&r, MT5_STATUS_ERROR,
             "cannot run 'mt5-no-such-program-here': No such file or directory");
    assert_false(r.timed_out);
    mt5_check_free(&c);

    c = s_cmd("./missing.sh", NULL);
    r = s_run(&c);
    s_expect(&r, MT5_STATUS_ERROR, "cannot run './missing.sh': No such file or directory");
    mt5_check_free(&c);

    s_puts_mode("plain.txt", "not a program\n", 0644);
    c = s_cmd("./plain.txt", NULL);
    r = s_run(&c);
    s_expect(&r, MT5_STATUS_ERROR, "cannot run './plain.txt': Permission denied");
    mt5_check_free(&c);

    c = s_cmd("./sub", NULL);
    r = s_run(&c);
    s_expect(&r, MT5_STATUS_ERROR, "cannot run './sub': Permission denied");
    mt5_check_free(&c);

    /* Found in PATH but not executable, and nothing better later: EACCES. */
    s_puts_mode("bin/mt5-noexec-tool", "#!/bin/sh\n", 0644);
    c = s_cmd("mt5-noexec-tool", NULL);
    char path_item[PATH_MAX + 8];
    snprintf(path_item, sizeof path_item, "PATH=%s/bin", s_root);
    s_strv_add(&c.u.command.env, path_item);
    r = s_run(&c);
    s_expect(&r, MT5_STATUS_ERROR, "cannot run 'mt5-noexec-tool': Permission denied");
    mt5_check_free(&c);
    s_no_children();
}

static void test_check_command__argv_is_never_a_shell_but_shell_true_is(void **state)
{
    (void)state;
    mt5_check_t c = s_cmd("/bin/echo", "a;touch pwned", "$HOME", "*", "`id`", NULL);
    mt5_check_result_t r = s_run(&c);
    s_expect(&r, MT5_STATUS_PASS, "exit code 0 as expected");
    assert_string_equal(r.evidence, "--- stdout ---\na;touch pwned $HOME * `id`");
    assert_false(s_exists("pwned"));
    mt5_check_free(&c);

    c = s_cmd("echo a; touch pwned; exit 4", NULL);
    c.u.command.shell = true;
    c.u.command.expect_exit = 4;
    r = s_run(&c);
    s_expect(&r, MT5_STATUS_PASS, "exit code 4 as expected");
    assert_string_equal(r.evidence, "--- stdout ---\na");
    assert_true(s_exists("pwned"));
    mt5_check_free(&c);

    /* shell: true takes exactly one string. */
    c = s_cmd("echo", "a", NULL);
    c.u.command.shell = true;
    r = s_run(&c);
    s_expect(&r, MT5_STATUS_ERROR, "a shell command is one string");
    mt5_check_free(&c);
    memset(&c, 0, sizeof c);
    c.kind = MT5_CHECK_COMMAND;
    c.timeout_ms = 1000;
    r = s_run(&c);
    s_expect(&r, MT5_STATUS_ERROR, "the command has no argv");
    s_no_children();
}

static void test_check_command__env_items_override_and_add(void **state)
{
    (void)state;
    assert_int_equal(setenv("MT5_CMD_TEST_A", "inherited", 1), 0);
    assert_int_equal(setenv("MT5_CMD_TEST_B", "original", 1), 0);
    unsetenv("MT5_CMD_TEST_C");
    s_script("bin/mt5-fake-tool", "echo \"$MT5_CMD_TEST_A $MT5_CMD_TEST_B $MT5_CMD_TEST_C\"");

    /* Not in our PATH: not found. */
    mt5_check_t c = s_cmd("mt5-fake-tool", NULL);
    mt5_check_result_t r = s_run(&c);
    s_expect(&r, MT5_STATUS_ERROR, "cannot run 'mt5-fake-tool': No such file or directory");

    /* The env item's PATH is the one searched; B is replaced, C added, and
     * a repeated name takes its last value. */
    char path_item[PATH_MAX + 32];
    snprintf(path_item, sizeof path_item, "PATH=/nonexistent-mt5:%s/bin:/usr/bin:/bin", s_root);
    s_strv_add(&c.u.command.env, "MT5_CMD_TEST_B=first");
    s_strv_add(&c.u.command.env, path_item);
    s_strv_add(&c.u.command.env, "MT5_CMD_TEST_C=added");
    s_strv_add(&c.u.command.env, "MT5_CMD_TEST_B=override");
    r = s_run(&c);
    s_expect(&r, MT5_STATUS_PASS, "exit code 0 as expected");
    assert_string_equal(r.evidence, "--- stdout ---\ninherited override added");
    /* Our own environment is untouched. */
    assert_string_equal(getenv("MT5_CMD_TEST_B"), "original");
    assert_null(getenv("MT5_CMD_TEST_C"));

    s_strv_add(&c.u.command.env, "NOEQUALS");
    r = s_run(&c);
    s_expect(&r, MT5_STATUS_ERROR,
             "cannot run 'mt5-fake-tool': env item 'NOEQUALS' is not "
             "NAME=value");
    mt5_check_free(&c);
    unsetenv("MT5_CMD_TEST_A");
    unsetenv("MT5_CMD_TEST_B");
    s_no_children();
}

static void test_check_command__cwd_is_resolved_inside_the_root(void **state)
{
    (void)state;
    char want[PATH_MAX + 32];
    snprintf(want, sizeof want, "--- stdout ---\n%s/sub", s_root);
    mt5_check_t c = s_cmd("/bin/sh", "-c", "pwd -P", NULL);
    c.u.command.cwd = strdup("sub");
    mt5_check_result_t r = s_run(&c);
    s_expect(&r, MT5_STATUS_PASS, "exit code 0 as expected");
    assert_string_equal(r.evidence, want);
    /* Through a symlink inside the root. */
    free(c.u.command.cwd);
    c.u.command.cwd = strdup("in");
    r = s_run(&c);
    assert_string_equal(r.evidence, want);
    /* Default: the root. */
    free(c.u.command.cwd);
    c.u.command.cwd = NULL;
    r = s_run(&c);
    snprintf(want, sizeof want, "--- stdout ---\n%s", s_root);
    assert_string_equal(r.evidence, want);

    free(c.u.command.cwd);
    c.u.command.cwd = strdup("../");
    r = s_run(&c);
    s_expect(&r, MT5_STATUS_ERROR, "cannot run '/bin/sh': ../: leaves the root");
    free(c.u.command.cwd);
    c.u.command.cwd = strdup("missing");
    r = s_run(&c);
    s_expect(&r, MT5_STATUS_ERROR, "cannot run '/bin/sh': cwd 'missing' does not exist");
    s_puts_mode("file.txt", "x\n", 0644);
    free(c.u.command.cwd);
    c.u.command.cwd = strdup("file.txt");
    r = s_run(&c);
    s_expect(&r, MT5_STATUS_ERROR, "cannot run '/bin/sh': cwd 'file.txt' is not a directory");
    mt5_check_free(&c);

    /* A relative argv[0] with a '/' is relative to the cwd. */
    s_script("sub/here.sh", "echo here");
    c = s_cmd("./here.sh", NULL);
    c.u.command.cwd = strdup("sub");
    r = s_run(&c);
    s_expect(&r, MT5_STATUS_PASS, "exit code 0 as expected");
    assert_string_equal(r.evidence, "--- stdout ---\nhere");
    mt5_check_free(&c);
    s_no_children();
}

/* ---- captured numbers ---------------------------------------------------- */

static void s_scores(mt5_stream stream, bool last, const char *message, const char *evidence)
{
    mt5_check_t c = s_cmd("./scores.sh", NULL);
    s_capture(&c, "^score ([0-9.]+)$", MT5_CMP_GE, 0);
    c.u.command.stream = stream;
    c.u.command.capture_last = last;
    mt5_check_result_t r = s_run(&c);
    s_expect(&r, MT5_STATUS_PASS, message);
    assert_string_equal(r.evidence, evidence);
    mt5_check_free(&c);
}

static void test_check_command__capture_first_and_last_per_stream(void **state)
{
    (void)state;
    s_script("scores.sh", "echo 'score 1.5'\necho 'score 2.5'\n"
                          "echo 'score 3.5' >&2\necho 'score 4.5' >&2");
    s_scores(MT5_STREAM_BOTH, false, "captured 1.5 (>= 0)", "stdout: score 1.5");
    s_scores(MT5_STREAM_BOTH, true, "captured 4.5 (>= 0)", "stderr: score 4.5");
    s_scores(MT5_STREAM_STDOUT, false, "captured 1.5 (>= 0)", "stdout: score 1.5");
    s_scores(MT5_STREAM_STDOUT, true, "captured 2.5 (>= 0)", "stdout: score 2.5");
    s_scores(MT5_STREAM_STDERR, false, "captured 3.5 (>= 0)", "stderr: score 3.5");
    s_scores(MT5_STREAM_STDERR, true, "captured 4.5 (>= 0)", "stderr: score 4.5");

    /* both: stderr is searched when stdout has no match. */
    s_script("err-only.sh", "echo 'nothing here'\necho 'coverage: 81.25%' >&2");
    mt5_check_t c = s_cmd("./err-only.sh", NULL);
    s_capture(&c, "coverage: ([0-9.]+)%", MT5_CMP_GE, 80);
    mt5_check_result_t r = s_run(&c);
    s_expect(&r, MT5_STATUS_PASS, "captured 81.25 (>= 80)");
    assert_string_equal(r.evidence, "stderr: coverage: 81.25%");
    /* Without a group, the whole match is the number. */
    free(c.u.command.capture);
    c.u.command.capture = strdup("[0-9]+\\.[0-9]+(?=%)");
    r = s_run(&c);
    s_expect(&r, MT5_STATUS_PASS, "captured 81.25 (>= 80)");
    /* A negative number. */
    s_script("neg.sh", "echo 'delta -2.5'");
    mt5_check_t n = s_cmd("./neg.sh", NULL);
    s_capture(&n, "delta (\\S+)", MT5_CMP_LT, 0);
    r = s_run(&n);
    s_expect(&r, MT5_STATUS_PASS, "captured -2.5 (< 0)");
    mt5_check_free(&c);
    mt5_check_free(&n);
}

static void test_check_command__capture_without_a_number_fails(void **state)
{
    (void)state;
    s_script("norating.sh", "echo 'no rating today'\necho 'warning: x' >&2");
    mt5_check_t c = s_cmd("./norating.sh", NULL);
    s_capture(&c, "rated at ([0-9.]+)/10", MT5_CMP_GE, 8);
    mt5_check_result_t r = s_run(&c);
    s_expect(&r, MT5_STATUS_FAIL, "no number matched /rated at ([0-9.]+)/10/ in the output");
    assert_string_equal(r.evidence, "--- stdout ---\nno rating today\n--- stderr ---\nwarning: x");
    c.u.command.stream = MT5_STREAM_STDOUT;
    r = s_run(&c);
    s_expect(&r, MT5_STATUS_FAIL, "no number matched /rated at ([0-9.]+)/10/ in stdout");
    assert_string_equal(r.evidence, "--- stdout ---\nno rating today");
    mt5_check_free(&c);

    static const struct {
        const char *line, *message;
    } bad[] = {
        {"rated at abc/10", "no number matched /rated at (\\S+)/10/ in the output ('abc' is not "
                            "a number)"},
        {"rated at +5/10", "no number matched /rated at (\\S+)/10/ in the output ('+5' is not a "
                           "number)"},
        {"rated at nan/10", "no number matched /rated at (\\S+)/10/ in the output ('nan' is not "
                            "a number)"},
        {"rated at 7.5.1/10", "no number matched /rated at (\\S+)/10/ in the output ('7.5.1' is "
                              "not a number)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char body[128];
        snprintf(body, sizeof body, "echo '%s'", bad[i].line);
        s_script("bad.sh", body);
        c = s_cmd("./bad.sh", NULL);
        s_capture(&c, "rated at (\\S+)/10", MT5_CMP_GE, 8);
        r = s_run(&c);
        s_expect(&r, MT5_STATUS_FAIL, bad[i].message);
        char ev[128];
        snprintf(ev, sizeof ev, "stdout: %s", bad[i].line);
        assert_string_equal(r.evidence, ev);
        mt5_check_free(&c);
    }

    /* An empty last match (x* matches everywhere) ends the search and is
     * no number; multi-byte output does not trip the stepping. */
    s_script("utf8.sh", "printf 'caf\\303\\251 \\342\\202\\254\\n'");
    c = s_cmd("./utf8.sh", NULL);
    s_capture(&c, "x*", MT5_CMP_GE, 0);
    c.u.command.capture_last = true;
    r = s_run(&c);
    s_expect(&r, MT5_STATUS_FAIL, "no number matched /x*/ in the output ('' is not a number)");
    mt5_check_free(&c);
}

static void test_check_command__threshold_each_operator(void **state)
{
    (void)state;
    s_script("pylint", "echo '************* Module app'\n"
                       "echo 'app.py:1:0: C0114: Missing module docstring'\n"
                       "echo\n"
                       "echo 'Your code has been rated at 7.50/10 (previous run: 7.00/10, "
                       "+0.50)'\n"
                       "exit 16");
    static const struct {
        mt5_cmp op;
        double threshold;
        mt5_status status;
        const char *message;
    } table[] = {
        {MT5_CMP_GE, 8, MT5_STATUS_FAIL, "7.50 does not satisfy >= 8"},
        {MT5_CMP_GE, 7.5, MT5_STATUS_PASS, "captured 7.50 (>= 7.5)"},
        {MT5_CMP_GT, 7.5, MT5_STATUS_FAIL, "7.50 does not satisfy > 7.5"},
        {MT5_CMP_GT, 7, MT5_STATUS_PASS, "captured 7.50 (> 7)"},
        {MT5_CMP_LE, 7.5, MT5_STATUS_PASS, "captured 7.50 (<= 7.5)"},
        {MT5_CMP_LE, 7.25, MT5_STATUS_FAIL, "7.50 does not satisfy <= 7.25"},
        {MT5_CMP_LT, 8, MT5_STATUS_PASS, "captured 7.50 (< 8)"},
        {MT5_CMP_LT, 7.5, MT5_STATUS_FAIL, "7.50 does not satisfy < 7.5"},
        {MT5_CMP_EQ, 7.5, MT5_STATUS_PASS, "captured 7.50 (== 7.5)"},
        {MT5_CMP_EQ, 7.51, MT5_STATUS_FAIL, "7.50 does not satisfy == 7.51"},
        {MT5_CMP_NE, 7.5, MT5_STATUS_FAIL, "7.50 does not satisfy != 7.5"},
        {MT5_CMP_NE, 10, MT5_STATUS_PASS, "captured 7.50 (!= 10)"},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        mt5_check_t c = s_cmd("./pylint", "app", NULL);
        c.u.command.expect_exit = -1; /* pylint's exit code is a bit mask */
        s_capture(&c, "rated at ([0-9.]+)/10", table[i].op, table[i].threshold);
        mt5_check_result_t r = s_run(&c);
        s_expect(&r, table[i].status, table[i].message);
        assert_string_equal(r.evidence, "stdout: Your code has been rated at 7.50/10 (previous "
                                        "run: 7.00/10, +0.50)");
        mt5_check_free(&c);
    }
    /* The exit code is judged first: a wrong one is reported, not the score. */
    mt5_check_t c = s_cmd("./pylint", NULL);
    s_capture(&c, "rated at ([0-9.]+)/10", MT5_CMP_GE, 5);
    mt5_check_result_t r = s_run(&c);
    s_expect(&r, MT5_STATUS_FAIL, "exit code 16, expected 0");
    mt5_check_free(&c);
}

static void test_check_command__bad_capture_pattern_runs_nothing(void **state)
{
    (void)state;
    mt5_check_t c = s_cmd("touch ran-anyway", NULL);
    c.u.command.shell = true;
    s_capture(&c, "rated at (", MT5_CMP_GE, 8);
    mt5_check_result_t r = s_run(&c);
    assert_int_equal(r.status, MT5_STATUS_ERROR);
    assert_non_null(strstr(r.message, "capture /rated at (/ does not compile: at offset "));
    assert_false(s_exists("ran-anyway"));
    mt5_check_free(&c);
}

/* ---- big output, deadlines, signals ---------------------------------------- */

#define BIG_SCRIPT                                                                                 \
    "yes 'err line' | head -n 222222 >&2\n"                                                        \
    "echo 'first 7'\n"                                                                             \
    "yes abcdefghijklmnopqrstuvwxyz | head -c 3000000\n"                                           \
    "echo\n"                                                                                       \
    "echo 'final 42'"
#define BIG_STDOUT (8 + 3000000 + 1 + 9)

static void test_check_command__output_over_one_mib_is_drained_and_cut(void **state)
{
    (void)state;
    /* stderr is written first and is larger than any pipe: a reader that
     * waited on stdout alone would hang until the deadline. */
    s_script("big.sh", BIG_SCRIPT);
    mt5_check_t c = s_cmd("./big.sh", NULL);
    s_capture(&c, "^final ([0-9]+)$", MT5_CMP_EQ, 42);
    c.u.command.capture_last = true;
    int64_t t0 = mt5_clock_mono_us();
    mt5_check_result_t r = s_run(&c);
    assert_true(mt5_clock_mono_us() - t0 < 8 * 1000 * 1000);
    s_expect(&r, MT5_STATUS_PASS, "captured 42 (== 42)");
    char ev[128];
    snprintf(ev, sizeof ev, "stdout: final 42\n(stdout: %d bytes, the middle dropped)", BIG_STDOUT);
    assert_string_equal(r.evidence, ev);
    /* The first match is in the head that was kept. */
    c.u.command.capture_last = false;
    free(c.u.command.capture);
    c.u.command.capture = strdup("^first ([0-9]+)$");
    c.u.command.threshold = 7;
    r = s_run(&c);
    s_expect(&r, MT5_STATUS_PASS, "captured 7 (== 7)");
    mt5_check_free(&c);

    /* Without a capture the tail is the evidence, and says it was cut. */
    c = s_cmd("./big.sh", NULL);
    r = s_run(&c);
    s_expect(&r, MT5_STATUS_PASS, "exit code 0 as expected");
    snprintf(ev, sizeof ev, "--- stdout (%d bytes, the middle dropped) ---\n", BIG_STDOUT);
    assert_memory_equal(r.evidence, ev, strlen(ev));
    assert_non_null(strstr(r.evidence, "\nfinal 42\n--- stderr (1999998 bytes, the middle "
                                       "dropped) ---\nerr line\n"));
    assert_true(strlen(r.evidence) < MT5_CHECK_EVIDENCE_MAX);
    mt5_check_free(&c);
    s_no_children();
}

/* The spawner itself: what is kept of long output is whole lines. */
static void test_check_command__spawn_keeps_head_and_tail_in_whole_lines(void **state)
{
    (void)state;
    s_script("big.sh", BIG_SCRIPT);
    char script[PATH_MAX];
    s_path(script, sizeof script, "big.sh");
    const char *argv[] = {script};
    mt5_spawn_options o = {.argv = argv, .argc = 1};
    o.deadline_us = mt5_clock_mono_us() + 10 * 1000 * 1000;
    mt5_spawn_result_t res;
    assert_int_equal(mt5_spawn_run(&res, &o), MT5_OK);
    assert_true(res.exited);
    assert_int_equal(res.exit_code, 0);
    assert_int_equal(res.out.total, BIG_STDOUT);
    assert_true(res.out.truncated);
    assert_true(res.out.len <= MT5_SPAWN_KEEP_MAX);
    assert_true(res.out.len > MT5_SPAWN_KEEP_MAX - 64);
    assert_int_equal(res.err.total, 222222 * 9);
    assert_true(res.err.truncated);
    assert_int_equal(res.out.data[res.out.len], '\0');
    assert_memory_equal(res.out.data, "first 7\n", 8);
    assert_memory_equal(res.out.data + res.out.len - 9, "final 42\n", 9);
    /* Every line is the alphabet, whole, except the one the script itself
     * cut short (head -c) and the two markers. */
    const char *alpha = "abcdefghijklmnopqrstuvwxyz";
    int short_lines = 0;
    for (size_t i = 8; i < res.out.len - 9;) {
        const char *nl = memchr(res.out.data + i, '\n', res.out.len - i);
        assert_non_null(nl);
        size_t n = (size_t)(nl - (res.out.data + i));
        assert_true(n <= 26);
        assert_memory_equal(res.out.data + i, alpha, n);
        if (n != 26)
            short_lines++;
        i += n + 1;
    }
    assert_int_equal(short_lines, 1);
    for (size_t i = 0; i < res.err.len; i += 9)
        assert_memory_equal(res.err.data + i, "err line\n", 9);
    mt5_spawn_free(&res);
    assert_null(res.out.data);

    /* Short output is kept whole and is not marked cut. */
    const char *echo[] = {"/bin/echo", "short"};
    o.argv = echo;
    o.argc = 2;
    assert_int_equal(mt5_spawn_run(&res, &o), MT5_OK);
    assert_string_equal(res.out.data, "short\n");
    assert_int_equal(res.out.len, 6);
    assert_int_equal(res.out.total, 6);
    assert_false(res.out.truncated);
    assert_string_equal(res.err.data, "");
    mt5_spawn_free(&res);

    /* Bad options. */
    o.argc = 0;
    assert_int_equal(mt5_spawn_run(&res, &o), MT5_EINVAL);
    o.argc = 2;
    o.shell = true;
    assert_int_equal(mt5_spawn_run(&res, &o), MT5_EINVAL);
    assert_int_equal(mt5_spawn_run(NULL, &o), MT5_EINVAL);
    assert_int_equal(mt5_spawn_run(&res, NULL), MT5_EINVAL);
    char disp[16];
    const char *words[] = {"pkg-config", "--modversion", "libzmq"};
    assert_string_equal(mt5_spawn_display(disp, sizeof disp, words, 1), "pkg-config");
    assert_string_equal(mt5_spawn_display(disp, sizeof disp, words, 3), "pkg-config -...");
    assert_int_equal(strlen(disp), sizeof disp - 1);
    s_no_children();
}

static void test_check_command__child_ignoring_sigterm_is_killed(void **state)
{
    (void)state;
    /* As subreaper we inherit the orphans and can see how they died. */
    assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
    /* The sleep exists before "started" is printed, and ignores SIGTERM
     * too (an ignored signal stays ignored across exec). */
    s_script("stubborn.sh", "trap '' TERM\nsleep 30 &\necho started\nwhile :; do wait; done");
    mt5_check_t c = s_cmd("./stubborn.sh", NULL);
    c.timeout_ms = 500;
    int64_t t0 = mt5_clock_mono_us();
    mt5_check_result_t r = s_run(&c);
    int64_t took_ms = (mt5_clock_mono_us() - t0) / 1000;
    s_expect(&r, MT5_STATUS_ERROR, "timed out after 500 ms");
    assert_true(r.timed_out);
    assert_string_equal(r.evidence, "--- stdout ---\nstarted");
    assert_true(took_ms >= 490);
    assert_true(took_ms < 500 + 1000);
    /* The sleep it left running was in its group: SIGKILLed too. */
    assert_int_equal(s_reap_orphans_killed(), 1);
    assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0), 0);
    mt5_check_free(&c);
    s_no_children();
}

static void test_check_command__deadline_stops_a_sleeping_child(void **state)
{
    (void)state;
    mt5_check_t c = s_cmd("sleep", "30", NULL);
    c.timeout_ms = 250;
    int64_t t0 = mt5_clock_mono_us();
    mt5_check_result_t r = s_run(&c);
    int64_t took_ms = (mt5_clock_mono_us() - t0) / 1000;
    s_expect(&r, MT5_STATUS_ERROR, "timed out after 250 ms");
    assert_true(r.timed_out);
    assert_string_equal(r.evidence, "(no output)");
    assert_true(took_ms >= 240);
    assert_true(took_ms < 250 + 1000);
    mt5_check_free(&c);
    s_no_children();
}

static void test_check_command__background_child_does_not_hold_the_check(void **state)
{
    (void)state;
    assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
    /* The background sleep holds stdout open after the script exits. */
    s_script("daemon.sh", "sleep 30 &\necho started");
    mt5_check_t c = s_cmd("./daemon.sh", NULL);
    int64_t t0 = mt5_clock_mono_us();
    mt5_check_result_t r = s_run(&c);
    s_expect(&r, MT5_STATUS_PASS, "exit code 0 as expected");
    assert_string_equal(r.evidence, "--- stdout ---\nstarted");
    assert_true(mt5_clock_mono_us() - t0 < 1000 * 1000);
    assert_int_equal(s_reap_orphans_killed(), 1);
    assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0), 0);
    mt5_check_free(&c);
    s_no_children();
}

static void test_check_command__killed_by_a_signal_fails(void **state)
{
    (void)state;
    s_script("killself.sh", "echo going\nkill -KILL $$");
    mt5_check_t c = s_cmd("./killself.sh", NULL);
    c.u.command.expect_exit = -1; /* still must exit, not be killed */
    mt5_check_result_t r = s_run(&c);
    s_expect(&r, MT5_STATUS_FAIL, "killed by signal 9 (SIGKILL)");
    assert_false(r.timed_out);
    assert_string_equal(r.evidence, "--- stdout ---\ngoing");
    mt5_check_free(&c);

    /* Our SIGTERM disposition does not reach the child. */
    struct sigaction ign = {.sa_handler = SIG_IGN}, old;
    sigemptyset(&ign.sa_mask);
    assert_int_equal(sigaction(SIGTERM, &ign, &old), 0);
    c = s_cmd("kill -TERM $$", NULL);
    c.u.command.shell = true;
    r = s_run(&c);
    assert_int_equal(sigaction(SIGTERM, &old, NULL), 0);
    s_expect(&r, MT5_STATUS_FAIL, "killed by signal 15 (SIGTERM)");
    mt5_check_free(&c);
    s_no_children();
}

static void test_check_command__stdin_is_dev_null(void **state)
{
    (void)state;
    /* Our stdin is a pipe holding a line, its write end still open: a
     * child reading our stdin would print "leak" and then wait for more
     * until the deadline. */
    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_int_equal(write(p[1], "leak\n", 5), 5);
    int saved = fcntl(0, F_DUPFD_CLOEXEC, 3); /* -1 when our stdin is closed */
    assert_int_equal(dup2(p[0], 0), 0);
    mt5_check_t c = s_cmd("cat", NULL);
    c.timeout_ms = 2000;
    mt5_check_result_t r = s_run(&c);
    if (saved >= 0) {
        assert_int_equal(dup2(saved, 0), 0);
        close(saved);
    } else
        close(0);
    close(p[0]);
    close(p[1]);
    s_expect(&r, MT5_STATUS_PASS, "exit code 0 as expected");
    assert_false(r.timed_out);
    assert_string_equal(r.evidence, "(no output)");
    mt5_check_free(&c);
    s_no_children();
}

/* ---- secrets --------------------------------------------------------------- */

#define S_KEY "tok\rEN-4711-secret"                                              /* a '\r' inside */
#define S_LONG_KEY "SECRET-0123456789-ABCDEFGHIJKLMNOPQRSTUVWX-abcdefghijklmnop" /* no y, no z */

/* Run c in the sandbox with one secret (none when NULL). */
static mt5_check_result_t s_run_secret(const mt5_check_t *c, const char *secret)
{
    mt5_strv_t secrets = {0};
    if (secret)
        s_strv_add(&secrets, secret);
    mt5_check_ctx_t ctx = s_sandbox_ctx(c->timeout_ms);
    ctx.secrets = &secrets;
    mt5_check_result_t r = s_run_in(c, &ctx);
    mt5_strv_free(&secrets);
    return r;
}

/* Whether text holds any piece of 4 bytes or more of secret. */
static bool s_has_piece_of(const char *text, const char *secret)
{
    for (size_t i = 0; i + 4 <= strlen(secret); i++)
        if (memmem(text, strlen(text), secret + i, 4))
            return true;
    return false;
}

static void test_check_command__secret_with_a_control_byte_is_redacted(void **state)
{
    (void)state;
    s_script("key.sh", "printf 'key=tok\\rEN-4711-secret\\n'\n"
                       "printf 'err tok\\rEN-4711-secret!\\n' >&2");
    /* Unredacted, the evidence shows the secret escaped ("\x0D"), where
     * the raw secret can no longer be found. */
    mt5_check_t c = s_cmd("./key.sh", NULL);
    mt5_check_result_t r = s_run_secret(&c, NULL);
    assert_string_equal(r.evidence, "--- stdout ---\nkey=tok\\x0DEN-4711-secret\n"
                                    "--- stderr ---\nerr tok\\x0DEN-4711-secret!");
    r = s_run_secret(&c, S_KEY);
    s_expect(&r, MT5_STATUS_PASS, "exit code 0 as expected");
    assert_string_equal(r.evidence, "--- stdout ---\nkey=***\n--- stderr ---\nerr ***!");

    /* The capture searches the redacted text: the group is "***", not
     * "tok" (where '.' would stop at the '\r'). */
    s_capture(&c, "key=(.*)", MT5_CMP_GE, 0);
    r = s_run_secret(&c, S_KEY);
    s_expect(&r, MT5_STATUS_FAIL,
             "no number matched /key=(.*)/ in the output ('***' is not a number)");
    assert_string_equal(r.evidence, "stdout: key=***");
    assert_false(s_has_piece_of(r.evidence, S_KEY));
    assert_false(s_has_piece_of(r.message, S_KEY));
    mt5_check_free(&c);

    /* The tail of a run that timed out is redacted too. */
    s_script("key-hang.sh", "printf 'key=tok\\rEN-4711-secret\\n'\nexec sleep 30");
    c = s_cmd("./key-hang.sh", NULL);
    c.timeout_ms = 300;
    r = s_run_secret(&c, S_KEY);
    s_expect(&r, MT5_STATUS_ERROR, "timed out after 300 ms");
    assert_string_equal(r.evidence, "--- stdout ---\nkey=***");
    mt5_check_free(&c);
    s_no_children();
}

static void test_check_command__secret_across_an_evidence_cut_is_redacted(void **state)
{
    (void)state;
    /* One line: 2000 'y', the secret, 2100 'z'. The line shown for a
     * capture starts at the 'y's and is cut at the evidence's end, 39
     * bytes into the secret. */
    s_script("long-key.sh", "head -c 2000 /dev/zero | tr '\\0' y\n"
                            "printf '%s' '" S_LONG_KEY "'\n"
                            "head -c 2100 /dev/zero | tr '\\0' z\necho");
    mt5_check_t c = s_cmd("./long-key.sh", NULL);
    s_capture(&c, "^(y)", MT5_CMP_GE, 0);
    char want[MT5_CHECK_EVIDENCE_MAX];
    size_t w = (size_t)snprintf(want, sizeof want, "stdout: ");
    memset(want + w, 'y', 2000);
    w += 2000;

    /* Unredacted, a piece of the secret is in the evidence, which no
     * redaction of the evidence would recognise any more. */
    mt5_check_result_t r = s_run_secret(&c, NULL);
    s_expect(&r, MT5_STATUS_FAIL, "no number matched /^(y)/ in the output ('y' is not a number)");
    memcpy(want + w, S_LONG_KEY, sizeof want - 1 - w);
    want[sizeof want - 1] = '\0';
    assert_string_equal(r.evidence, want);
    mt5_strv_t list = {0};
    s_strv_add(&list, S_LONG_KEY);
    mt5_redact(r.evidence, &list);
    assert_string_equal(r.evidence, want);
    mt5_strv_free(&list);

    r = s_run_secret(&c, S_LONG_KEY);
    s_expect(&r, MT5_STATUS_FAIL, "no number matched /^(y)/ in the output ('y' is not a number)");
    memcpy(want + w, "***", 3);
    memset(want + w + 3, 'z', sizeof want - 1 - w - 3);
    assert_string_equal(r.evidence, want);
    assert_int_equal(strlen(r.evidence), MT5_CHECK_EVIDENCE_MAX - 1);
    assert_false(s_has_piece_of(r.evidence, S_LONG_KEY));
    mt5_check_free(&c);

    /* The tail shown without a capture: 2100 'y', the secret, 1990 'z'
     * would be cut 17 bytes into the secret. Redacted, the line is 56
     * bytes shorter and the cut falls in the 'y's. */
    s_script("long-key.sh", "head -c 2100 /dev/zero | tr '\\0' y\n"
                            "printf '%s' '" S_LONG_KEY "'\n"
                            "head -c 1990 /dev/zero | tr '\\0' z\necho");
    c = s_cmd("./long-key.sh", NULL);
    r = s_run_secret(&c, NULL);
    assert_true(s_has_piece_of(r.evidence, S_LONG_KEY));
    assert_null(strstr(r.evidence, S_LONG_KEY));
    r = s_run_secret(&c, S_LONG_KEY);
    s_expect(&r, MT5_STATUS_PASS, "exit code 0 as expected");
    w = (size_t)snprintf(want, sizeof want, "--- stdout ---\n");
    memset(want + w, 'y', 39);
    memcpy(want + w + 39, "***", 3);
    memset(want + w + 42, 'z', 1990);
    want[w + 42 + 1990] = '\0';
    assert_string_equal(r.evidence, want);
    assert_false(s_has_piece_of(r.evidence, S_LONG_KEY));
    mt5_check_free(&c);
}

static void test_check_command__capture_works_around_a_redacted_secret(void **state)
{
    (void)state;
    s_script("scored.sh", "echo 'token=" S_LONG_KEY " score 8.5'\n"
                          "echo '" S_LONG_KEY "9.25' >&2");
    mt5_check_t c = s_cmd("./scored.sh", NULL);
    s_capture(&c, "score ([0-9.]+)", MT5_CMP_GE, 8);
    mt5_check_result_t r = s_run_secret(&c, S_LONG_KEY);
    s_expect(&r, MT5_STATUS_PASS, "captured 8.5 (>= 8)");
    assert_string_equal(r.evidence, "stdout: token=*** score 8.5");

    /* The offsets are those of the redacted text: the number right after
     * the secret, the last match, in stderr. */
    free(c.u.command.capture);
    c.u.command.capture = strdup("^\\*\\*\\*([0-9.]+)$");
    c.u.command.capture_last = true;
    c.u.command.threshold = 9;
    r = s_run_secret(&c, S_LONG_KEY);
    s_expect(&r, MT5_STATUS_PASS, "captured 9.25 (>= 9)");
    assert_string_equal(r.evidence, "stderr: ***9.25");
    /* Unredacted there is no "***" to find. */
    r = s_run_secret(&c, NULL);
    s_expect(&r, MT5_STATUS_FAIL, "no number matched /^\\*\\*\\*([0-9.]+)$/ in the output");
    mt5_check_free(&c);
}

/* Every way a run can end leaves the descriptor table as it was. */
static void test_check_command__no_descriptor_or_zombie_left(void **state)
{
    (void)state;
    s_script("ok.sh", "echo fine");
    s_script("big.sh", BIG_SCRIPT);
    int before = s_fd_count();
    for (int round = 0; round < 3; round++) {
        mt5_check_t c = s_cmd("./ok.sh", NULL);
        mt5_check_result_t r = s_run(&c);
        assert_int_equal(r.status, MT5_STATUS_PASS);
        mt5_check_free(&c);
        c = s_cmd("mt5-no-such-program-here", NULL);
        r = s_run(&c);
        assert_int_equal(r.status, MT5_STATUS_ERROR);
        mt5_check_free(&c);
        c = s_cmd("sleep", "10", NULL);
        c.timeout_ms = 50;
        r = s_run(&c);
        assert_true(r.timed_out);
        mt5_check_free(&c);
        c = s_cmd("./ok.sh", NULL);
        c.u.command.cwd = strdup("missing");
        r = s_run(&c);
        assert_int_equal(r.status, MT5_STATUS_ERROR);
        mt5_check_free(&c);
    }
    mt5_check_t c = s_cmd("./big.sh", NULL);
    mt5_check_result_t r = s_run(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    mt5_check_free(&c);
    assert_int_equal(s_fd_count(), before);
    s_no_children();

    /* The child gets 0, 1, 2 and nothing else of ours: ls lists those and
     * the descriptor of the directory it reads. */
    int spare = dup(0); /* a descriptor without close-on-exec */
    assert_true(spare > 2);
    c = s_cmd("ls", "/proc/self/fd", NULL);
    r = s_run(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    assert_string_equal(r.evidence, "--- stdout ---\n0\n1\n2\n3");
    close(spare);
    mt5_check_free(&c);
}

typedef struct {
    int n;
    int rc;
    mt5_check_result_t r;
} s_job;

/* One command, the same text for every thread: only its env tells it n. */
static void *s_thread(void *arg)
{
    s_job *job = arg;
    mt5_check_t c = s_cmd("sleep 0.5; echo value $MT5_JOB", NULL);
    c.u.command.shell = true;
    s_capture(&c, "value ([0-9]+)", MT5_CMP_EQ, job->n);
    char env[32];
    snprintf(env, sizeof env, "MT5_JOB=%d", job->n);
    s_strv_add(&c.u.command.env, env);
    mt5_check_ctx_t ctx = s_sandbox_ctx(10000);
    job->rc = mt5_check_run(&job->r, &c, &ctx);
    mt5_check_free(&c);
    return NULL;
}

static void test_check_command__threads_run_checks_at_once(void **state)
{
    (void)state;
    enum { N = 6 };
    s_job jobs[N];
    pthread_t threads[N];
    int64_t t0 = mt5_clock_mono_us();
    for (int i = 0; i < N; i++) {
        jobs[i] = (s_job){.n = 100 + i, .rc = -1};
        assert_int_equal(pthread_create(&threads[i], NULL, s_thread, &jobs[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        assert_int_equal(pthread_join(threads[i], NULL), 0);
        assert_int_equal(jobs[i].rc, MT5_OK);
        char want[64];
        snprintf(want, sizeof want, "captured %d (== %d)", 100 + i, 100 + i);
        s_expect(&jobs[i].r, MT5_STATUS_PASS, want);
        snprintf(want, sizeof want, "stdout: value %d", 100 + i);
        assert_string_equal(jobs[i].r.evidence, want);
    }
    /* The six half-second sleeps overlapped: one after another they
     * would take 3 s. */
    assert_true(mt5_clock_mono_us() - t0 < 2500 * 1000);
    s_no_children();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_command__exit_zero_passes_with_the_output_as_evidence),
        cmocka_unit_test(test_check_command__exit_code_mismatch_fails),
        cmocka_unit_test(test_check_command__expect_exit_any_and_a_specific_code),
        cmocka_unit_test(test_check_command__not_found_and_not_executable_are_errors),
        cmocka_unit_test(test_check_command__argv_is_never_a_shell_but_shell_true_is),
        cmocka_unit_test(test_check_command__env_items_override_and_add),
        cmocka_unit_test(test_check_command__cwd_is_resolved_inside_the_root),
        cmocka_unit_test(test_check_command__capture_first_and_last_per_stream),
        cmocka_unit_test(test_check_command__capture_without_a_number_fails),
        cmocka_unit_test(test_check_command__threshold_each_operator),
        cmocka_unit_test(test_check_command__bad_capture_pattern_runs_nothing),
        cmocka_unit_test(test_check_command__output_over_one_mib_is_drained_and_cut),
        cmocka_unit_test(test_check_command__spawn_keeps_head_and_tail_in_whole_lines),
        cmocka_unit_test(test_check_command__child_ignoring_sigterm_is_killed),
        cmocka_unit_test(test_check_command__deadline_stops_a_sleeping_child),
        cmocka_unit_test(test_check_command__background_child_does_not_hold_the_check),
        cmocka_unit_test(test_check_command__killed_by_a_signal_fails),
        cmocka_unit_test(test_check_command__stdin_is_dev_null),
        cmocka_unit_test(test_check_command__secret_with_a_control_byte_is_redacted),
        cmocka_unit_test(test_check_command__secret_across_an_evidence_cut_is_redacted),
        cmocka_unit_test(test_check_command__capture_works_around_a_redacted_secret),
        cmocka_unit_test(test_check_command__no_descriptor_or_zombie_left),
        cmocka_unit_test(test_check_command__threads_run_checks_at_once),
    };
    return cmocka_run_group_tests(tests, s_setup, s_sandbox_teardown);
}
