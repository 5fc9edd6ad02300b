/*  test_verify.c - the connection check, against a gateway served by
 *  mt5_server_run in a thread: verdicts, VERIFY_LOG lines, JSON.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mt5/error.h"
#include "mt5/json.h"
#include "mt5/paper.h"
#include "mt5/server.h"
#include "mt5/sock.h"
#include "mt5/verify.h"
#include "mt5/vlog.h"

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
    opts.stream = "tcp://127.0.0.1:*";
    opts.heartbeat_ms = 20;
    mt5_backend_t *backend = mt5_paper_new(NULL);
    r->server = mt5_server_new(&opts, &backend);
    assert_non_null(r->server);
    assert_int_equal(mt5_server_bind(r->server), MT5_OK);
    pthread_create(&r->thread, NULL, s_serve, r);
}

static void s_stop(s_running *r)
{
    r->stop = 1;
    pthread_join(r->thread, NULL);
    assert_int_equal(r->rc, MT5_OK);
    mt5_server_destroy(&r->server);
}

static void test_verify__pass_logs_and_json(void **state)
{
    (void)state;
    s_running r;
    s_start(&r);
    mt5_verify_options opts = MT5_VERIFY_OPTIONS_INIT;
    opts.endpoint = mt5_server_endpoint(r.server);
    opts.timeout_ms = 3000;
    mt5_verify_result_t res;
    assert_int_equal(mt5_verify_run(&res, &opts), MT5_OK);
    assert_int_equal(res.status, MT5_VERIFY_PASS);
    assert_string_equal(res.reply, "OK_FROM_MT5");
    assert_int_equal(res.reply_len, 11);
    assert_true(res.rtt_us > 0);
    assert_string_equal(mt5_verify_hint(res.status), "");

    char dir[] = "/tmp/mt5-verify-unit-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/VERIFY_LOG.log", dir);
    assert_int_equal(mt5_verify_log(&res, path, "unit"), MT5_OK);
    mt5_vlog_entry_t e;
    assert_int_equal(mt5_vlog_last_result(&e, path, 0), MT5_OK);
    assert_true(e.pass);
    assert_string_equal(e.endpoint, res.endpoint);
    assert_int_equal(e.rtt_us, res.rtt_us);
    assert_string_equal(e.reply, "OK_FROM_MT5");
    assert_string_equal(e.component, "unit");

    char *json = mt5_verify_json(&res);
    mt5_json_t *j = mt5_json_parse(json, strlen(json));
    assert_non_null(j);
    assert_string_equal(mt5_json_string(mt5_json_get(j, "result")), "PASS");
    assert_string_equal(mt5_json_string(mt5_json_get(j, "expected")), "OK_FROM_MT5");
    assert_int_equal(mt5_json_kind_of(mt5_json_get(j, "error")), MT5_JSON_NULL);
    assert_int_equal(strlen(mt5_json_string(mt5_json_get(j, "time"))), 24);
    mt5_json_destroy(&j);
    free(json);

    /* Another expected reply makes the same gateway a BAD_REPLY. */
    opts.expect = "SOMETHING_ELSE";
    assert_int_equal(mt5_verify_run(&res, &opts), MT5_OK);
    assert_int_equal(res.status, MT5_VERIFY_BAD_REPLY);
    assert_int_equal(mt5_verify_log(&res, path, "unit"), MT5_OK);
    assert_int_equal(mt5_vlog_last_result(&e, path, 0), MT5_OK);
    assert_false(e.pass);
    assert_string_equal(e.error, "BAD_REPLY");
    assert_string_equal(e.reply, "OK_FROM_MT5");
    /* A JSON request through the same check: the reply is shown. */
    opts.expect = NULL;
    opts.message = "{\"action\":\"PING\",\"ts\":1}";
    assert_int_equal(mt5_verify_run(&res, &opts), MT5_OK);
    assert_int_equal(res.status, MT5_VERIFY_BAD_REPLY);
    assert_non_null(strstr(res.reply, "\"status\":\"ok\""));
    unlink(path);
    rmdir(dir);
    s_stop(&r);
}

static void test_verify__refused_timeout_and_errors(void **state)
{
    (void)state;
    /* Bind and close to find a port nothing listens on. */
    mt5_sock_t *s = mt5_sock_new(MT5_SOCK_REP);
    assert_int_equal(mt5_sock_bind(s, "tcp://127.0.0.1:*"), MT5_OK);
    char endpoint[128];
    snprintf(endpoint, sizeof endpoint, "%s", mt5_sock_endpoint(s));
    mt5_sock_destroy(&s);

    mt5_verify_options opts = MT5_VERIFY_OPTIONS_INIT;
    opts.endpoint = endpoint;
    opts.timeout_ms = 3000;
    mt5_verify_result_t res;
    assert_int_equal(mt5_verify_run(&res, &opts), MT5_OK);
    assert_int_equal(res.status, MT5_VERIFY_REFUSED);
    assert_non_null(strstr(mt5_verify_hint(res.status), "New-NetFirewallRule"));
    char *json = mt5_verify_json(&res);
    assert_non_null(strstr(json, "\"error\":\"REFUSED\""));
    assert_non_null(strstr(json, "\"reply\":null"));
    free(json);

    /* A bound socket that never answers: TIMEOUT. */
    mt5_sock_t *silent = mt5_sock_new(MT5_SOCK_ROUTER);
    assert_int_equal(mt5_sock_bind(silent, "tcp://127.0.0.1:*"), MT5_OK);
    opts.endpoint = mt5_sock_endpoint(silent);
    opts.timeout_ms = 200;
    assert_int_equal(mt5_verify_run(&res, &opts), MT5_OK);
    assert_int_equal(res.status, MT5_VERIFY_TIMEOUT);
    assert_non_null(strstr(res.detail, "200 ms"));
    assert_non_null(strstr(mt5_verify_hint(res.status), "firewall"));
    mt5_sock_destroy(&silent);

    opts.endpoint = "not-an-endpoint";
    assert_int_equal(mt5_verify_run(&res, &opts), MT5_OK);
    assert_int_equal(res.status, MT5_VERIFY_ERROR);
    opts.timeout_ms = 0;
    assert_int_equal(mt5_verify_run(&res, &opts), MT5_EINVAL);
    assert_int_equal(res.status, MT5_VERIFY_ERROR);
    assert_int_equal(mt5_verify_run(NULL, &opts), MT5_EINVAL);
    assert_int_equal(mt5_verify_run(&res, NULL), MT5_EINVAL);
    assert_int_equal(mt5_verify_log(NULL, "x", "y"), MT5_EINVAL);
    assert_int_equal(mt5_verify_log(&res, "/nonexistent-dir/x.log", "y"), MT5_EIO);
    assert_null(mt5_verify_json(NULL));
    assert_string_equal(mt5_verify_status_name(MT5_VERIFY_TIMEOUT), "TIMEOUT");
    assert_string_equal(mt5_verify_status_name((mt5_verify_status)99), "ERROR");
    assert_non_null(strstr(mt5_verify_hint(MT5_VERIFY_BAD_REPLY), "OK_FROM_MT5"));
    assert_non_null(strstr(mt5_verify_hint(MT5_VERIFY_ERROR), "detail"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verify__pass_logs_and_json),
        cmocka_unit_test(test_verify__refused_timeout_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
