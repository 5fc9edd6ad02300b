/*  test_check_handshake.c - the `handshake` check kind against a gateway
 *  served by mt5_server_run in a thread on tcp://127.0.0.1:*: pass, a
 *  wrong expected reply, a refused port, a silent peer (a FAIL, not a
 *  runner timeout), the run appended to a VERIFY_LOG inside the root (also
 *  through a symlink whose target does not exist yet), log paths that are
 *  refused before anything is sent, and a log that cannot be written.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mt5/check.h"
#include "mt5/clock.h"
#include "mt5/error.h"
#include "mt5/paper.h"
#include "mt5/server.h"
#include "mt5/sock.h"
#include "mt5/vlog.h"
#include "unit/check_sandbox.h"

static int s_setup(void **state)
{
    (void)state;
    if (s_sandbox_make("mt5-checkhs") != 0)
        return -1;
    s_mkdir("reports");
    return 0;
}

/* ---- an in-process gateway ------------------------------------------------ */

typedef struct {
    mt5_server_t *server;
    pthread_t thread;
    volatile sig_atomic_t stop;
    int rc;
} s_running;

static void *s_serve(void *arg)
{
    s_running *r = arg;
    r->rc = mt5_server_run(r->server, &r->stop);
    return NULL;
}

static void s_start(s_running *r)
{
    memset(r, 0, sizeof *r);
    mt5_server_options opts = MT5_SERVER_OPTIONS_INIT;
    opts.bind = "tcp://127.0.0.1:*";
    opts.stream = NULL;
    mt5_backend_t *backend = mt5_paper_new(NULL);
    r->server = mt5_server_new(&opts, &backend);
    assert_non_null(r->server);
    assert_int_equal(mt5_server_bind(r->server), MT5_OK);
    assert_int_equal(pthread_create(&r->thread, NULL, s_serve, r), 0);
}

static void s_stop(s_running *r)
{
    r->stop = 1;
    pthread_join(r->thread, NULL);
    assert_int_equal(r->rc, MT5_OK);
    mt5_server_destroy(&r->server);
}

/* ---- helpers -------------------------------------------------------------- */

static mt5_check_t s_hs(const char *endpoint, const char *log)
{
    mt5_check_t c = s_check_init(MT5_CHECK_HANDSHAKE, "hs", 3000);
    c.u.handshake.endpoint = endpoint ? strdup(endpoint) : NULL;
    c.u.handshake.log = log ? strdup(log) : NULL;
    return c;
}

static void s_suffix(const char *text, const char *suffix)
{
    size_t n = strlen(text), m = strlen(suffix);
    if (n < m || strcmp(text + n - m, suffix) != 0)
        print_error("'%s' does not end with '%s'\n", text, suffix);
    assert_true(n >= m);
    assert_string_equal(text + n - m, suffix);
}

/* Lines of the file, and how many of them hold " RESULT ". */
static int s_lines(const char *rel, int *results)
{
    char p[PATH_MAX];
    s_path(p, sizeof p, rel);
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    char line[1024];
    int n = 0;
    *results = 0;
    while (fgets(line, sizeof line, f)) {
        n++;
        if (strstr(line, " RESULT "))
            (*results)++;
    }
    fclose(f);
    return n;
}

/* An endpoint nothing listens on: bind, note, close. */
static void s_closed_endpoint(char *buf, size_t cap)
{
    mt5_sock_t *s = mt5_sock_new(MT5_SOCK_REP);
    assert_non_null(s);
    assert_int_equal(mt5_sock_bind(s, "tcp://127.0.0.1:*"), MT5_OK);
    snprintf(buf, cap, "%s", mt5_sock_endpoint(s));
    mt5_sock_destroy(&s);
}

/* ---- tests --------------------------------------------------------------- */

static void test_check_handshake__gateway_passes_and_is_logged(void **state)
{
    (void)state;
    s_running g;
    s_start(&g);
    const char *ep = mt5_server_endpoint(g.server);
    char want[512];

    mt5_check_t c = s_hs(ep, NULL);
    mt5_check_result_t r = s_run(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    snprintf(want, sizeof want, "%s answered OK_FROM_MT5 in ", ep);
    s_prefix(r.message, want);
    snprintf(want, sizeof want, "endpoint=%s rtt_us=", ep);
    s_prefix(r.evidence, want);
    s_suffix(r.evidence, " reply=OK_FROM_MT5");
    mt5_check_free(&c);

    /* With a log: each run appends its start line and its RESULT line. */
    c = s_hs(ep, "reports/VERIFY_LOG.log");
    r = s_run(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    r = s_run(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    int results = 0;
    assert_int_equal(s_lines("reports/VERIFY_LOG.log", &results), 4);
    assert_int_equal(results, 2);
    char path[PATH_MAX];
    s_path(path, sizeof path, "reports/VERIFY_LOG.log");
    mt5_vlog_entry_t e;
    assert_int_equal(mt5_vlog_last_result(&e, path, 0), MT5_OK);
    assert_true(e.pass);
    assert_string_equal(e.component, "audit");
    assert_string_equal(e.endpoint, ep);
    assert_string_equal(e.reply, "OK_FROM_MT5");
    assert_true(e.rtt_us > 0);
    snprintf(want, sizeof want, "endpoint=%s rtt_us=%lld reply=OK_FROM_MT5", ep,
             (long long)e.rtt_us);
    assert_string_equal(r.evidence, want);
    mt5_check_free(&c);

    /* Another expected reply: the same gateway fails, with what it said. */
    c = s_hs(ep, "reports/VERIFY_LOG.log");
    c.u.handshake.expect = strdup("SOMETHING_ELSE");
    r = s_run(&c);
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    snprintf(want, sizeof want,
             "%s answered \"OK_FROM_MT5\", expected \"SOMETHING_ELSE\" (the gateway answered, but "
             "not with the handshake string)",
             ep);
    assert_string_equal(r.message, want);
    s_suffix(r.evidence, " reply=OK_FROM_MT5");
    assert_int_equal(mt5_vlog_last_result(&e, path, 0), MT5_OK);
    assert_false(e.pass);
    assert_string_equal(e.error, "BAD_REPLY");
    assert_string_equal(e.component, "audit");
    mt5_check_free(&c);

    /* A custom message reaches the gateway: a JSON PING is answered, but
     * not with the handshake string. */
    c = s_hs(ep, NULL);
    c.u.handshake.message = strdup("{\"action\":\"PING\",\"ts\":1}");
    r = s_run(&c);
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    assert_non_null(strstr(r.evidence, "\"status\":\"ok\""));
    mt5_check_free(&c);
    s_stop(&g);
}

static void test_check_handshake__refused_port_fails(void **state)
{
    (void)state;
    char ep[128], want[512];
    s_closed_endpoint(ep, sizeof ep);
    mt5_check_t c = s_hs(ep, "reports/refused.log");
    int64_t t0 = mt5_clock_mono_us();
    mt5_check_result_t r = s_run(&c);
    assert_true(mt5_clock_mono_us() - t0 < 2500 * 1000);
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    assert_false(r.timed_out);
    snprintf(want, sizeof want,
             "connection to %s refused (the connection was refused: nothing listens on that "
             "port, or a firewall rejects it)",
             ep);
    assert_string_equal(r.message, want);
    snprintf(want, sizeof want, "endpoint=%s error=REFUSED", ep);
    assert_string_equal(r.evidence, want);

    char path[PATH_MAX];
    s_path(path, sizeof path, "reports/refused.log");
    mt5_vlog_entry_t e;
    assert_int_equal(mt5_vlog_last_result(&e, path, 0), MT5_OK);
    assert_false(e.pass);
    assert_string_equal(e.error, "REFUSED");
    assert_string_equal(e.endpoint, ep);
    mt5_check_free(&c);
}

static void test_check_handshake__silent_peer_fails_within_the_deadline(void **state)
{
    (void)state;
    mt5_sock_t *silent = mt5_sock_new(MT5_SOCK_ROUTER);
    assert_int_equal(mt5_sock_bind(silent, "tcp://127.0.0.1:*"), MT5_OK);
    const char *ep = mt5_sock_endpoint(silent);
    mt5_check_t c = s_hs(ep, NULL);
    c.timeout_ms = 300;
    int64_t t0 = mt5_clock_mono_us();
    mt5_check_result_t r = s_run(&c);
    int64_t took_ms = (mt5_clock_mono_us() - t0) / 1000;
    assert_true(took_ms >= 250 && took_ms < 300 + 1000);
    /* The check decided: nothing answered. Not a runner timeout. */
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    assert_false(r.timed_out);
    char want[512];
    snprintf(want, sizeof want, "no reply from %s within ", ep);
    s_prefix(r.message, want);
    s_suffix(r.message, " ms (no response from the MT5 gateway within the timeout)");
    snprintf(want, sizeof want, "endpoint=%s error=TIMEOUT", ep);
    assert_string_equal(r.evidence, want);
    mt5_check_free(&c);
    mt5_sock_destroy(&silent);
}

static void test_check_handshake__bad_log_paths_send_nothing(void **state)
{
    (void)state;
    mt5_sock_t *silent = mt5_sock_new(MT5_SOCK_ROUTER);
    assert_int_equal(mt5_sock_bind(silent, "tcp://127.0.0.1:*"), MT5_OK);
    const char *ep = mt5_sock_endpoint(silent);

    mt5_check_t c = s_hs(ep, "../escape.log");
    mt5_check_result_t r = s_run(&c);
    assert_int_equal(r.status, MT5_STATUS_ERROR);
    assert_string_equal(r.message, "log ../escape.log: leaves the root");
    mt5_check_free(&c);

    c = s_hs(ep, "/tmp/abs.log");
    r = s_run(&c);
    assert_int_equal(r.status, MT5_STATUS_ERROR);
    assert_string_equal(r.message, "log /tmp/abs.log: absolute paths are not allowed");
    mt5_check_free(&c);

    /* A dangling symlink would make the append create a file outside. */
    char outside[] = "/tmp/mt5-checkhs-outside-XXXXXX";
    int fd = mkstemp(outside);
    assert_true(fd >= 0);
    close(fd);
    unlink(outside);
    s_symlink(outside, "reports/evil.log");
    c = s_hs(ep, "reports/evil.log");
    r = s_run(&c);
    assert_int_equal(r.status, MT5_STATUS_ERROR);
    assert_string_equal(r.message, "log reports/evil.log: leaves the root");
    assert_int_equal(access(outside, F_OK), -1);
    mt5_check_free(&c);

    /* Nothing reached the peer. */
    mt5_msg_t msg = {0};
    assert_int_equal(mt5_sock_recv(silent, &msg, 200), MT5_ETIMEOUT);
    mt5_sock_destroy(&silent);
}

static void test_check_handshake__log_through_a_symlink_inside_and_an_unwritable_log(void **state)
{
    (void)state;
    s_running g;
    s_start(&g);
    /* A dangling symlink inside the root is fine: the append creates its
     * target there. */
    s_symlink("VERIFY_LOG-2025.log", "reports/current.log");
    mt5_check_t ok = s_hs(mt5_server_endpoint(g.server), "reports/current.log");
    mt5_check_result_t okr = s_run(&ok);
    assert_int_equal(okr.status, MT5_STATUS_PASS);
    char target[PATH_MAX];
    s_path(target, sizeof target, "reports/VERIFY_LOG-2025.log");
    mt5_vlog_entry_t e;
    assert_int_equal(mt5_vlog_last_result(&e, target, 0), MT5_OK);
    assert_true(e.pass);
    mt5_check_free(&ok);

    mt5_check_t c = s_hs(mt5_server_endpoint(g.server), "nodir/VERIFY_LOG.log");
    mt5_check_result_t r = s_run(&c);
    assert_int_equal(r.status, MT5_STATUS_ERROR);
    s_prefix(r.message, "cannot append to nodir/VERIFY_LOG.log: ");
    /* The evidence still says what the handshake saw. */
    s_suffix(r.evidence, " reply=OK_FROM_MT5");
    mt5_check_free(&c);
    s_stop(&g);
}

static void test_check_handshake__malformed_endpoints_are_errors(void **state)
{
    (void)state;
    mt5_check_t c = s_hs(NULL, NULL);
    mt5_check_result_t r = s_run(&c);
    assert_int_equal(r.status, MT5_STATUS_ERROR);
    assert_string_equal(r.message, "the handshake check has no endpoint");
    mt5_check_free(&c);

    c = s_hs("not-an-endpoint", NULL);
    r = s_run(&c);
    assert_int_equal(r.status, MT5_STATUS_ERROR);
    assert_false(r.timed_out);
    assert_string_equal(r.evidence, "endpoint=not-an-endpoint error=ERROR");
    mt5_check_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_handshake__gateway_passes_and_is_logged),
        cmocka_unit_test(test_check_handshake__refused_port_fails),
        cmocka_unit_test(test_check_handshake__silent_peer_fails_within_the_deadline),
        cmocka_unit_test(test_check_handshake__bad_log_paths_send_nothing),
        cmocka_unit_test(test_check_handshake__log_through_a_symlink_inside_and_an_unwritable_log),
        cmocka_unit_test(test_check_handshake__malformed_endpoints_are_errors),
    };
    return cmocka_run_group_tests(tests, s_setup, s_sandbox_teardown);
}
