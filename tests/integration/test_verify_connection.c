/*  test_verify_connection.c - the verify-connection tool as a process.
 *
 *  Against the real gateway (PASS), a server that answers wrong
 *  (BAD_REPLY), one that never answers (TIMEOUT) and a port where nothing
 *  listens (REFUSED); its exit codes, its VERIFY_LOG lines, its JSON, its
 *  usage errors and where it takes the endpoint from.
 */
#include <pthread.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <zmq.h>

#include "harness/harness.h"

#define TOOL MT5_BIN_DIR "/verify-connection"

static h_gateway s_gw;
static char s_dir[64];
static char s_log[128];

/* A fake gateway in a thread: answers every request with `reply`, or
 * never answers when reply is NULL. */
typedef struct {
    void *ctx;
    void *sock;
    const char *reply;
    char endpoint[128];
    pthread_t thread;
    volatile int stop;
} s_fake;

static void *s_fake_loop(void *arg)
{
    s_fake *f = arg;
    while (!f->stop) {
        zmq_pollitem_t item = {f->sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, 50) <= 0)
            continue;
        zmq_msg_t parts[3];
        int n = 0, more = 1;
        while (more && n < 3) {
            zmq_msg_init(&parts[n]);
            zmq_msg_recv(&parts[n], f->sock, 0);
            more = zmq_msg_more(&parts[n]);
            n++;
        }
        if (f->reply && n == 3) {
            zmq_msg_send(&parts[0], f->sock, ZMQ_SNDMORE);
            zmq_msg_send(&parts[1], f->sock, ZMQ_SNDMORE);
            zmq_send(f->sock, f->reply, strlen(f->reply), 0);
        }
        for (int i = 0; i < n; i++)
            zmq_msg_close(&parts[i]);
    }
    return NULL;
}

static void s_fake_start(s_fake *f, const char *reply)
{
    memset(f, 0, sizeof *f);
    f->reply = reply;
    f->ctx = zmq_ctx_new();
    f->sock = zmq_socket(f->ctx, ZMQ_ROUTER);
    int zero = 0;
    zmq_setsockopt(f->sock, ZMQ_LINGER, &zero, sizeof zero);
    assert_int_equal(zmq_bind(f->sock, "tcp://127.0.0.1:*"), 0);
    size_t len = sizeof f->endpoint;
    zmq_getsockopt(f->sock, ZMQ_LAST_ENDPOINT, f->endpoint, &len);
    pthread_create(&f->thread, NULL, s_fake_loop, f);
}

static void s_fake_stop(s_fake *f)
{
    f->stop = 1;
    pthread_join(f->thread, NULL);
    zmq_close(f->sock);
    zmq_ctx_term(f->ctx);
}

static int s_setup(void **state)
{
    (void)state;
    snprintf(s_dir, sizeof s_dir, "/tmp/mt5-verify-XXXXXX");
    if (!mkdtemp(s_dir))
        return -1;
    snprintf(s_log, sizeof s_log, "%s/VERIFY_LOG.log", s_dir);
    return h_gateway_start(&s_gw, NULL);
}

static int s_teardown(void **state)
{
    (void)state;
    int status = h_gateway_stop(&s_gw);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    if (system(cmd) != 0)
        return -1;
    return status == 0 ? 0 : -1;
}

/* Environment that removes the caller's MT5_* settings. */
#define CLEAN_ENV "MT5_ENDPOINT=", "MT5_CONFIG=", "MT5_TIMEOUT_MS=", "MT5_VERIFY_LOG="

static void s_run(h_run *r, const char *const *argv, const char *const *env)
{
    assert_int_equal(h_run_cmd(r, argv, env, 15000), 0);
}

/* The last line of a file, without its newline. */
static void s_last_line(char *out, size_t cap, const char *path, int *lines)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[1024];
    out[0] = '\0';
    *lines = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        snprintf(out, cap, "%s", line);
        (*lines)++;
    }
    fclose(f);
}

static void s_assert_matches(const char *text, const char *pattern)
{
    regex_t re;
    assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
    int rc = regexec(&re, text, 0, NULL, 0);
    regfree(&re);
    if (rc != 0)
        fail_msg("'%s' does not match /%s/", text, pattern);
}

static void test_verify__pass_against_the_gateway_logs_a_result_line(void **state)
{
    (void)state;
    unlink(s_log);
    const char *argv[] = {TOOL, "--endpoint", s_gw.endpoint, "--log", s_log, NULL};
    const char *env[] = {CLEAN_ENV, NULL};
    h_run r;
    s_run(&r, argv, env);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "[PASS]"));
    assert_non_null(strstr(r.out, "OK_FROM_MT5"));
    char last[1024], pattern[512];
    int lines;
    s_last_line(last, sizeof last, s_log, &lines);
    assert_int_equal(lines, 2);
    snprintf(pattern, sizeof pattern,
             "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z INFO "
             "verify-connection: RESULT PASS endpoint=%s rtt_us=[0-9]+ reply=OK_FROM_MT5$",
             s_gw.endpoint);
    s_assert_matches(last, pattern);
    /* A second run appends. */
    s_run(&r, argv, env);
    assert_int_equal(r.status, 0);
    s_last_line(last, sizeof last, s_log, &lines);
    assert_int_equal(lines, 4);
}

static void test_verify__json_output(void **state)
{
    (void)state;
    const char *argv[] = {TOOL, "--endpoint", s_gw.endpoint, "--json", NULL};
    const char *env[] = {CLEAN_ENV, NULL};
    h_run r;
    s_run(&r, argv, env);
    assert_int_equal(r.status, 0);
    cJSON *j = cJSON_Parse(r.out);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(j, "result")->valuestring, "PASS");
    assert_string_equal(cJSON_GetObjectItem(j, "endpoint")->valuestring, s_gw.endpoint);
    assert_string_equal(cJSON_GetObjectItem(j, "reply")->valuestring, "OK_FROM_MT5");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "error")));
    assert_true(cJSON_GetObjectItem(j, "rtt_us")->valuedouble > 0);
    assert_true(cJSON_GetObjectItem(j, "timeout_ms")->valuedouble == 5000);
    cJSON_Delete(j);
}

static void test_verify__wrong_reply_is_bad_reply(void **state)
{
    (void)state;
    s_fake f;
    s_fake_start(&f, "NOPE\n");
    unlink(s_log);
    const char *argv[] = {TOOL, "--endpoint", f.endpoint, "--log", s_log, NULL};
    const char *env[] = {CLEAN_ENV, NULL};
    h_run r;
    s_run(&r, argv, env);
    s_fake_stop(&f);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.out, "[FAIL] BAD_REPLY"));
    assert_non_null(strstr(r.out, "must reply exactly \"OK_FROM_MT5\""));
    char last[1024], expect[512];
    int lines;
    s_last_line(last, sizeof last, s_log, &lines);
    snprintf(expect, sizeof expect,
             "ERROR verify-connection: RESULT FAIL endpoint=%s error=BAD_REPLY reply=NOPE\\n",
             f.endpoint);
    assert_string_equal(last + 25, expect);
}

static void test_verify__silence_is_a_timeout(void **state)
{
    (void)state;
    s_fake f;
    s_fake_start(&f, NULL);
    unlink(s_log);
    const char *argv[] = {TOOL,  "--endpoint", f.endpoint, "--timeout-ms",
                          "300", "--log",      s_log,      NULL};
    const char *env[] = {CLEAN_ENV, NULL};
    h_run r;
    s_run(&r, argv, env);
    s_fake_stop(&f);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.out, "[FAIL] TIMEOUT"));
    assert_non_null(strstr(r.out, "firewall"));
    assert_true(r.wall_us >= 300000 && r.wall_us < 3000000);
    char last[1024], expect[512];
    int lines;
    s_last_line(last, sizeof last, s_log, &lines);
    snprintf(expect, sizeof expect,
             "ERROR verify-connection: RESULT FAIL endpoint=%s error=TIMEOUT", f.endpoint);
    assert_string_equal(last + 25, expect);
}

static void test_verify__nothing_listening_is_refused_fast(void **state)
{
    (void)state;
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", h_closed_port());
    const char *argv[] = {TOOL, "--endpoint", endpoint, "--json", NULL};
    const char *env[] = {CLEAN_ENV, NULL};
    h_run r;
    s_run(&r, argv, env);
    assert_int_equal(r.status, 1);
    /* Well before the 5 s timeout. */
    assert_true(r.wall_us < 2000000);
    cJSON *j = cJSON_Parse(r.out);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(j, "result")->valuestring, "FAIL");
    assert_string_equal(cJSON_GetObjectItem(j, "error")->valuestring, "REFUSED");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "reply")));
    cJSON_Delete(j);
}

static void test_verify__usage_errors_exit_2(void **state)
{
    (void)state;
    static const char *const cases[][4] = {
        {"--bogus", NULL, NULL, NULL},        {"--timeout-ms", "0", NULL, NULL},
        {"--timeout-ms", "12x", NULL, NULL},  {"--timeout-ms", "99999999999", NULL, NULL},
        {"--endpoint", "", NULL, NULL},       {"--endpoint", "nonsense", NULL, NULL},
        {"stray-argument", NULL, NULL, NULL},
    };
    const char *env[] = {CLEAN_ENV, NULL};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *argv[6] = {TOOL};
        for (int k = 0; k < 4 && cases[i][k]; k++)
            argv[k + 1] = cases[i][k];
        h_run r;
        s_run(&r, argv, env);
        if (r.status != 2)
            fail_msg("case %zu (%s) exited %d", i, cases[i][0], r.status);
        assert_true(strlen(r.err) > 0);
    }
    const char *help[] = {TOOL, "--help", NULL};
    h_run r;
    s_run(&r, help, env);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "--endpoint"));
    assert_non_null(strstr(r.out, "--timeout-ms"));
}

static void test_verify__endpoint_precedence(void **state)
{
    (void)state;
    char closed[64], env_endpoint[300], env_closed[100], config[160], env_config[200];
    snprintf(closed, sizeof closed, "tcp://127.0.0.1:%d", h_closed_port());
    snprintf(env_endpoint, sizeof env_endpoint, "MT5_ENDPOINT=%s", s_gw.endpoint);
    snprintf(env_closed, sizeof env_closed, "MT5_ENDPOINT=%s", closed);
    snprintf(config, sizeof config, "%s/mt5.yaml", s_dir);
    FILE *f = fopen(config, "w");
    assert_non_null(f);
    fprintf(f, "client:\n  endpoint: %s\n", s_gw.endpoint);
    fclose(f);
    snprintf(env_config, sizeof env_config, "MT5_CONFIG=%s", config);
    h_run r;

    /* The environment, when there is no flag. */
    const char *plain[] = {TOOL, "--quiet", NULL};
    const char *env1[] = {CLEAN_ENV, env_endpoint, NULL};
    s_run(&r, plain, env1);
    assert_int_equal(r.status, 0);
    /* The flag over the environment. */
    const char *flag[] = {TOOL, "--quiet", "--endpoint", s_gw.endpoint, NULL};
    const char *env2[] = {CLEAN_ENV, env_closed, NULL};
    s_run(&r, flag, env2);
    assert_int_equal(r.status, 0);
    /* The config file, when there is neither. */
    const char *env3[] = {CLEAN_ENV, env_config, NULL};
    s_run(&r, plain, env3);
    assert_int_equal(r.status, 0);
    /* The environment over the config file. */
    const char *env4[] = {CLEAN_ENV, env_config, env_closed, NULL};
    const char *json[] = {TOOL, "--json", NULL};
    s_run(&r, json, env4);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.out, closed));
    /* A broken config file is a usage error naming the place. */
    f = fopen(config, "w");
    fprintf(f, "client:\n  endpoint: [unclosed\n");
    fclose(f);
    s_run(&r, plain, env3);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "mt5.yaml:"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verify__pass_against_the_gateway_logs_a_result_line),
        cmocka_unit_test(test_verify__json_output),
        cmocka_unit_test(test_verify__wrong_reply_is_bad_reply),
        cmocka_unit_test(test_verify__silence_is_a_timeout),
        cmocka_unit_test(test_verify__nothing_listening_is_refused_fast),
        cmocka_unit_test(test_verify__usage_errors_exit_2),
        cmocka_unit_test(test_verify__endpoint_precedence),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
