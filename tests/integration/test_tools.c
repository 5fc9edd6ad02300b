/*  test_tools.c - the tools' command lines: --help agrees with
 *  docs/tools/<tool>.md, usage errors exit 2, and mt5-gateway refuses
 *  unsafe key files and stops cleanly on a signal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness/harness.h"

#define GATEWAY MT5_BIN_DIR "/mt5-gateway"

static char *s_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot read %s", path);
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static void s_help_in_doc(const char *tool)
{
    char bin[512], doc[512];
    snprintf(bin, sizeof bin, "%s/%s", MT5_BIN_DIR, tool);
    snprintf(doc, sizeof doc, "%s/docs/tools/%s.md", MT5_SOURCE_DIR, tool);
    const char *argv[] = {bin, "--help", NULL};
    h_run r;
    assert_int_equal(h_run_cmd(&r, argv, NULL, 5000), 0);
    assert_int_equal(r.status, 0);
    if (!strstr(s_slurp(doc), r.out))
        fail_msg("%s does not contain the output of %s --help", doc, tool);
}

static void test_tools__help_matches_the_docs(void **state)
{
    (void)state;
    s_help_in_doc("mt5-gateway");
    s_help_in_doc("verify-connection");
    s_help_in_doc("gate1");
    s_help_in_doc("audit-task-004");
    s_help_in_doc("audit-task-106");
    s_help_in_doc("audit-current-task");
}

static void test_tools__gateway_usage_errors_exit_2(void **state)
{
    (void)state;
    static const char *const cases[][3] = {
        {"--bogus", NULL, NULL},
        {"--backend", "mt5", NULL},
        {"--heartbeat-ms", "0", NULL},
        {"--heartbeat-ms", "fast", NULL},
        {"--signature-ttl-ms", "-1", NULL},
        {"--max-volume", "0", NULL},
        {"--max-positions", "1e3", NULL},
        {"--disable-symbol", "not a symbol", NULL},
        {"--bind", "nonsense", NULL},
        {"--stream", "udp://127.0.0.1:1", NULL},
        {"extra", NULL, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *argv[5] = {GATEWAY, "--bind", "tcp://127.0.0.1:*"};
        argv[3] = cases[i][0];
        argv[4] = cases[i][1];
        const char *full[6] = {argv[0], argv[1], argv[2], argv[3], argv[4], NULL};
        h_run r;
        assert_int_equal(h_run_cmd(&r, full, NULL, 5000), 0);
        if (r.status != 2)
            fail_msg("case %s: exit %d, stderr %s", cases[i][0], r.status, r.err);
        assert_non_null(strstr(r.err, "mt5-gateway:"));
    }
}

static void test_tools__gateway_refuses_unsafe_or_bad_keys(void **state)
{
    (void)state;
    char dir[] = "/tmp/mt5-tools-XXXXXX";
    assert_non_null(mkdtemp(dir));
    uint8_t key[32];
    memset(key, 7, sizeof key);
    char open_key[256], short_key[256];
    assert_int_equal(h_write_key(open_key, sizeof open_key, dir, "open.key", key, 0644), 0);
    snprintf(short_key, sizeof short_key, "%s/short.key", dir);
    FILE *f = fopen(short_key, "w");
    fputs("abcdef\n", f);
    fclose(f);
    const char *cases[] = {open_key, short_key, "/nonexistent/risk.key"};
    const char *why[] = {"group or others", "short", "nonexistent"};
    for (size_t i = 0; i < 3; i++) {
        const char *argv[] = {GATEWAY, "--bind", "tcp://127.0.0.1:*", "--key-file", cases[i], NULL};
        h_run r;
        assert_int_equal(h_run_cmd(&r, argv, NULL, 5000), 0);
        assert_int_equal(r.status, 1);
        if (!strstr(r.err, why[i]))
            fail_msg("stderr '%s' lacks '%s'", r.err, why[i]);
        /* The key's text never appears in what the tool prints. */
        assert_null(strstr(r.err, "0707070707"));
    }
    /* Binding a port that is taken fails with exit 1. */
    h_gateway gw;
    assert_int_equal(h_gateway_start(&gw, NULL), 0);
    const char *taken[] = {GATEWAY, "--bind", gw.endpoint, "--stream", "none", NULL};
    h_run r;
    assert_int_equal(h_run_cmd(&r, taken, NULL, 5000), 0);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "cannot start"));
    assert_int_equal(h_gateway_stop(&gw), 0);
    unlink(open_key);
    unlink(short_key);
    rmdir(dir);
}

static void test_tools__gateway_stops_cleanly_on_sigterm(void **state)
{
    (void)state;
    h_gateway gw;
    const char *args[] = {"--stream", "none", NULL};
    assert_int_equal(h_gateway_start(&gw, args), 0);
    assert_string_equal(gw.stream, "none");
    size_t n;
    char *reply = h_request(gw.endpoint, "Hello", 5, &n, 3000);
    assert_string_equal(reply, "OK_FROM_MT5");
    free(reply);
    assert_int_equal(h_gateway_stop(&gw), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tools__help_matches_the_docs),
        cmocka_unit_test(test_tools__gateway_usage_errors_exit_2),
        cmocka_unit_test(test_tools__gateway_refuses_unsafe_or_bad_keys),
        cmocka_unit_test(test_tools__gateway_stops_cleanly_on_sigterm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
