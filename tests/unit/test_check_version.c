/*  test_check_version.c - the `version` check kind: a version printed by a
 *  command (stdout first, then stderr; the default pattern and a custom
 *  one), compared with every operator; pkg-config, real (libzmq, which the
 *  build needs) and faked through PATH; no version, not a version, a
 *  failing command, one that cannot run or runs too long, malformed
 *  checks, and secrets redacted from the output before it is searched.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "mt5/check.h"
#include "mt5/clock.h"
#include "mt5/error.h"
#include "unit/check_sandbox.h"

static int s_setup(void **state)
{
    (void)state;
    if (s_sandbox_make("mt5-checkver") != 0)
        return -1;
    s_mkdir("bin");
    return 0;
}

/* A version check of argv (NULL-terminated; none = pkg_config set later). */
static mt5_check_t s_ver(mt5_cmp op, const char *want, const char *arg, ...)
{
    mt5_check_t c = s_check_init(MT5_CHECK_VERSION, "ver", 10000);
    c.u.version.op = op;
    c.u.version.want = want ? strdup(want) : NULL;
    va_list ap;
    va_start(ap, arg);
    for (const char *a = arg; a; a = va_arg(ap, const char *))
        s_strv_add(&c.u.version.argv, a);
    va_end(ap);
    return c;
}

static mt5_check_t s_pkg(const char *module, mt5_cmp op, const char *want)
{
    mt5_check_t c = s_ver(op, want, NULL);
    c.u.version.pkg_config = strdup(module);
    return c;
}

/* Run c once and free it. */
static void s_once(mt5_check_t c, mt5_status status, const char *message, const char *evidence)
{
    mt5_check_result_t r = s_run(&c);
    s_expect(&r, status, message);
    if (evidence)
        assert_string_equal(r.evidence, evidence);
    mt5_check_free(&c);
}

/* ---- a command's version --------------------------------------------------- */

static void test_check_version__from_stdout_then_stderr(void **state)
{
    (void)state;
    s_script("fake-python", "echo 'Python 3.11.2'");
    s_once(s_ver(MT5_CMP_GE, "3.9", "./fake-python", "--version", NULL), MT5_STATUS_PASS,
           "'./fake-python --version' reports 3.11.2, which satisfies >= 3.9",
           "stdout: Python 3.11.2");
    s_once(s_ver(MT5_CMP_GE, "3.12", "./fake-python", "--version", NULL), MT5_STATUS_FAIL,
           "'./fake-python --version' reports 3.11.2, which does not satisfy >= 3.12",
           "stdout: Python 3.11.2");

    /* Python 2 printed its version on stderr. */
    s_script("old-python", "echo 'Python 2.7.18' >&2");
    s_once(s_ver(MT5_CMP_GE, "3.0", "./old-python", "-V", NULL), MT5_STATUS_FAIL,
           "'./old-python -V' reports 2.7.18, which does not satisfy >= 3.0",
           "stderr: Python 2.7.18");

    /* stdout is searched first, whatever was printed first. */
    s_script("both", "echo 'warning: 9.9 is deprecated' >&2\necho 'tool 1.2'");
    s_once(s_ver(MT5_CMP_EQ, "1.2", "./both", NULL), MT5_STATUS_PASS,
           "'./both' reports 1.2, which satisfies == 1.2", "stdout: tool 1.2");

    /* The default pattern skips words and a leading 'v'. */
    s_script("git", "echo 'git version 2.39.2'");
    s_once(s_ver(MT5_CMP_GE, "2.30", "./git", "--version", NULL), MT5_STATUS_PASS,
           "'./git --version' reports 2.39.2, which satisfies >= 2.30", NULL);
    s_script("vtool", "echo 'vtool v10.4'");
    s_once(s_ver(MT5_CMP_GT, "9.10", "./vtool", NULL), MT5_STATUS_PASS,
           "'./vtool' reports 10.4, which satisfies > 9.10", NULL);
}

static void test_check_version__custom_capture(void **state)
{
    (void)state;
    s_script("zmq-versions", "echo 'pyzmq 23.2.0, libzmq 4.3.4'");
    mt5_check_t c = s_ver(MT5_CMP_GE, "4.0", "./zmq-versions", NULL);
    c.u.version.capture = strdup("libzmq ([0-9.]+)");
    s_once(c, MT5_STATUS_PASS, "'./zmq-versions' reports 4.3.4, which satisfies >= 4.0",
           "stdout: pyzmq 23.2.0, libzmq 4.3.4");
    c = s_ver(MT5_CMP_GE, "24.0", "./zmq-versions", NULL);
    c.u.version.capture = strdup("pyzmq ([0-9.]+)");
    s_once(c, MT5_STATUS_FAIL, "'./zmq-versions' reports 23.2.0, which does not satisfy >= 24.0",
           NULL);
    /* A capture keeps a pre-release suffix, which sorts first. */
    s_script("rc", "echo 'release 2.0rc1'");
    c = s_ver(MT5_CMP_LT, "2.0", "./rc", NULL);
    c.u.version.capture = strdup("release (\\S+)");
    s_once(c, MT5_STATUS_PASS, "'./rc' reports 2.0rc1, which satisfies < 2.0", NULL);

    c = s_ver(MT5_CMP_GE, "1.0", "./rc", NULL);
    c.u.version.capture = strdup("release (");
    mt5_check_result_t r = s_run(&c);
    assert_int_equal(r.status, MT5_STATUS_ERROR);
    assert_non_null(strstr(r.message, "capture /release (/ does not compile: at offset "));
    mt5_check_free(&c);
}

static void test_check_version__every_operator(void **state)
{
    (void)state;
    s_script("v434", "echo 4.3.4");
    static const struct {
        mt5_cmp op;
        const char *want;
        bool holds;
    } table[] = {
        {MT5_CMP_GE, "4.3.4", true},    {MT5_CMP_GE, "4.10", false},  {MT5_CMP_GT, "4.3", true},
        {MT5_CMP_GT, "4.3.4.0", false}, {MT5_CMP_LE, "4.3.4", true},  {MT5_CMP_LE, "4.3.3", false},
        {MT5_CMP_LT, "5", true},        {MT5_CMP_LT, "4.3.4", false}, {MT5_CMP_EQ, "4.3.4.0", true},
        {MT5_CMP_EQ, "4.3", false},     {MT5_CMP_NE, "4.3.5", true},  {MT5_CMP_NE, "4.3.4", false},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        char msg[128];
        snprintf(msg, sizeof msg, "'./v434' reports 4.3.4, which %s %s %s",
                 table[i].holds ? "satisfies" : "does not satisfy", mt5_cmp_name(table[i].op),
                 table[i].want);
        s_once(s_ver(table[i].op, table[i].want, "./v434", NULL),
               table[i].holds ? MT5_STATUS_PASS : MT5_STATUS_FAIL, msg, "stdout: 4.3.4");
    }
}

static void test_check_version__no_version_or_a_failing_command(void **state)
{
    (void)state;
    s_script("noversion", "echo unknown\necho 'no idea' >&2");
    s_once(s_ver(MT5_CMP_GE, "1.0", "./noversion", NULL), MT5_STATUS_FAIL,
           "no version in the output of './noversion'",
           "--- stdout ---\nunknown\n--- stderr ---\nno idea");

    s_script("beta", "echo 'version beta'");
    mt5_check_t c = s_ver(MT5_CMP_GE, "1.0", "./beta", NULL);
    c.u.version.capture = strdup("version (\\S+)");
    s_once(c, MT5_STATUS_FAIL, "no version in the output of './beta' ('beta' is not one)",
           "stdout: version beta");

    s_script("broken", "echo 'Python 3.11.2'\necho 'fatal: cannot start' >&2\nexit 3");
    s_once(s_ver(MT5_CMP_GE, "3.0", "./broken", "--version", NULL), MT5_STATUS_FAIL,
           "'./broken --version' failed with exit code 3",
           "--- stdout ---\nPython 3.11.2\n--- stderr ---\nfatal: cannot start");

    s_once(s_ver(MT5_CMP_GE, "1.0", "mt5-no-such-tool", "--version", NULL), MT5_STATUS_ERROR,
           "cannot run 'mt5-no-such-tool': No such file or directory", NULL);

    mt5_check_t slow = s_ver(MT5_CMP_GE, "1.0", "sleep", "20", NULL);
    slow.timeout_ms = 200;
    int64_t t0 = mt5_clock_mono_us();
    mt5_check_result_t r = s_run(&slow);
    assert_true(mt5_clock_mono_us() - t0 < 1200 * 1000);
    s_expect(&r, MT5_STATUS_ERROR, "timed out after 200 ms");
    assert_true(r.timed_out);
    mt5_check_free(&slow);
    errno = 0;
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

static void test_check_version__malformed_checks_are_errors(void **state)
{
    (void)state;
    s_script("v1", "echo 1.0");
    s_once(s_ver(MT5_CMP_GE, "latest", "./v1", NULL), MT5_STATUS_ERROR,
           "want 'latest' is not a version", NULL);
    s_once(s_ver(MT5_CMP_GE, NULL, "./v1", NULL), MT5_STATUS_ERROR, "want '' is not a version",
           NULL);
    mt5_check_t c = s_ver(MT5_CMP_GE, "1.0", "./v1", NULL);
    c.u.version.pkg_config = strdup("libzmq");
    s_once(c, MT5_STATUS_ERROR, "a version check needs exactly one of argv and pkg_config", NULL);
    s_once(s_ver(MT5_CMP_GE, "1.0", NULL), MT5_STATUS_ERROR,
           "a version check needs exactly one of argv and pkg_config", NULL);
    s_once(s_pkg("--help", MT5_CMP_GE, "1.0"), MT5_STATUS_ERROR,
           "'--help' is not a pkg-config module name", NULL);
}

static void test_check_version__secrets_are_redacted_before_the_search(void **state)
{
    (void)state;
    s_script("keyed", "echo 'key-9.9.9 tool 1.2'\necho 'key-9.9.9' >&2\nexit $1");
    mt5_check_t c = s_ver(MT5_CMP_GE, "1.0", "./keyed", "0", NULL);
    /* Without the secret the first dotted number is in it. */
    mt5_check_result_t r = s_run(&c);
    s_expect(&r, MT5_STATUS_PASS, "'./keyed 0' reports 9.9.9, which satisfies >= 1.0");
    assert_string_equal(r.evidence, "stdout: key-9.9.9 tool 1.2");

    mt5_strv_t secrets = {0};
    s_strv_add(&secrets, "key-9.9.9");
    mt5_check_ctx_t ctx = s_sandbox_ctx(c.timeout_ms);
    ctx.secrets = &secrets;
    r = s_run_in(&c, &ctx);
    s_expect(&r, MT5_STATUS_PASS, "'./keyed 0' reports 1.2, which satisfies >= 1.0");
    assert_string_equal(r.evidence, "stdout: *** tool 1.2");
    mt5_check_free(&c);

    /* And from the tail of a command that failed. */
    c = s_ver(MT5_CMP_GE, "1.0", "./keyed", "3", NULL);
    ctx = s_sandbox_ctx(c.timeout_ms);
    ctx.secrets = &secrets;
    r = s_run_in(&c, &ctx);
    s_expect(&r, MT5_STATUS_FAIL, "'./keyed 3' failed with exit code 3");
    assert_string_equal(r.evidence, "--- stdout ---\n*** tool 1.2\n--- stderr ---\n***");
    mt5_check_free(&c);
    mt5_strv_free(&secrets);
}

/* ---- pkg-config ------------------------------------------------------------- */

static void test_check_version__real_pkg_config_knows_libzmq(void **state)
{
    (void)state;
    /* The build itself needs libzmq >= 4.3 through pkg-config. */
    mt5_check_t c = s_pkg("libzmq", MT5_CMP_GE, "4.3");
    mt5_check_result_t r = s_run(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    assert_memory_equal(r.message, "libzmq 4.", 9);
    assert_non_null(strstr(r.message, " satisfies >= 4.3"));
    assert_memory_equal(r.evidence, "stdout: 4.", 10);
    mt5_check_free(&c);
}

static void test_check_version__fake_pkg_config_through_path(void **state)
{
    (void)state;
    s_script("bin/pkg-config", "[ \"$1\" = --modversion ] || exit 2\n"
                               "case \"$2\" in\n"
                               "libzmq) echo 4.3.4 ;;\n"
                               "*) echo \"Package $2 was not found in the pkg-config search "
                               "path.\" >&2; exit 1 ;;\n"
                               "esac");
    const char *old = getenv("PATH");
    char *saved = strdup(old ? old : "");
    char path[PATH_MAX * 2];
    snprintf(path, sizeof path, "%s/bin:%s", s_root, saved);
    assert_int_equal(setenv("PATH", path, 1), 0);

    s_once(s_pkg("libzmq", MT5_CMP_GE, "4.0"), MT5_STATUS_PASS, "libzmq 4.3.4 satisfies >= 4.0",
           "stdout: 4.3.4");
    s_once(s_pkg("libzmq", MT5_CMP_GE, "4.10"), MT5_STATUS_FAIL,
           "libzmq 4.3.4 does not satisfy >= 4.10", "stdout: 4.3.4");
    s_once(s_pkg("mt5-missing", MT5_CMP_GE, "1.0"), MT5_STATUS_FAIL,
           "'pkg-config --modversion mt5-missing' failed with exit code 1",
           "--- stderr ---\nPackage mt5-missing was not found in the pkg-config search path.");

    /* No pkg-config at all. */
    s_path(path, sizeof path, "nonexistent");
    assert_int_equal(setenv("PATH", path, 1), 0);
    s_once(s_pkg("libzmq", MT5_CMP_GE, "4.0"), MT5_STATUS_ERROR,
           "cannot run 'pkg-config': No such file or directory", NULL);
    assert_int_equal(setenv("PATH", saved, 1), 0);
    free(saved);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_version__from_stdout_then_stderr),
        cmocka_unit_test(test_check_version__custom_capture),
        cmocka_unit_test(test_check_version__every_operator),
        cmocka_unit_test(test_check_version__no_version_or_a_failing_command),
        cmocka_unit_test(test_check_version__malformed_checks_are_errors),
        cmocka_unit_test(test_check_version__secrets_are_redacted_before_the_search),
        cmocka_unit_test(test_check_version__real_pkg_config_knows_libzmq),
        cmocka_unit_test(test_check_version__fake_pkg_config_through_path),
    };
    return cmocka_run_group_tests(tests, s_setup, s_sandbox_teardown);
}
