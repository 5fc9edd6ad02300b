/*  test_config.c - defaults, the YAML file, the environment, and every
 *  refusal with its exact detail. A refused file or environment must leave
 *  the configuration exactly as it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mt5/config.h"
#include "mt5/error.h"

static const char *const s_vars[] = {
    "MT5_ENDPOINT",      "MT5_TIMEOUT_MS",     "MT5_RETRIES",        "MT5_VERIFY_LOG",
    "MT5_BIND",          "MT5_STREAM",         "MT5_KEY_FILE",       "MT5_SIGNATURE_TTL_MS",
    "MT5_HEARTBEAT_MS",  "MT5_MAX_VOLUME",     "MT5_MAX_POSITIONS",  "MT5_PAPER_LOGIN",
    "MT5_PAPER_BALANCE", "MT5_PAPER_CURRENCY", "MT5_PAPER_LEVERAGE", "MT5_CONFIG",
};
#define S_NVARS (sizeof s_vars / sizeof s_vars[0])

static char *s_saved[S_NVARS]; /* the caller's environment, restored at the end */
static char s_dir[64];         /* sandbox */
static char s_path[256];       /* <sandbox>/config.yaml */

static int s_setup(void **state)
{
    (void)state;
    for (size_t i = 0; i < S_NVARS; i++) {
        const char *v = getenv(s_vars[i]);
        s_saved[i] = v ? strdup(v) : NULL;
        unsetenv(s_vars[i]);
    }
    snprintf(s_dir, sizeof s_dir, "/tmp/mt5-config-XXXXXX");
    if (!mkdtemp(s_dir))
        return -1;
    snprintf(s_path, sizeof s_path, "%s/config.yaml", s_dir);
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < S_NVARS; i++) {
        if (s_saved[i])
            setenv(s_vars[i], s_saved[i], 1);
        else
            unsetenv(s_vars[i]);
        free(s_saved[i]);
    }
    unlink(s_path);
    return rmdir(s_dir);
}

/* Each test starts and ends with no MT5_* variable set. */
static int s_clear_env(void **state)
{
    (void)state;
    for (size_t i = 0; i < S_NVARS; i++)
        unsetenv(s_vars[i]);
    return 0;
}

static const char *s_file(const char *text)
{
    int fd = open(s_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(close(fd), 0);
    return s_path;
}

static void s_expect_defaults(const mt5_config_t *c)
{
    assert_string_equal(c->endpoint, "tcp://127.0.0.1:5555");
    assert_int_equal(c->timeout_ms, 5000);
    assert_int_equal(c->retries, 3);
    assert_string_equal(c->log_file, "");
    assert_string_equal(c->bind, "tcp://127.0.0.1:5555");
    assert_string_equal(c->stream, "tcp://127.0.0.1:5556");
    assert_string_equal(c->key_file, "");
    assert_int_equal(c->signature_ttl_ms, 2000);
    assert_int_equal(c->heartbeat_ms, 500);
    assert_true(c->max_volume == 100.0);
    assert_int_equal(c->max_positions, 200);
    assert_int_equal(c->paper_login, 1000001);
    assert_true(c->paper_balance == 10000.0);
    assert_string_equal(c->paper_currency, "USD");
    assert_int_equal(c->paper_leverage, 100);
}

static void test_config__defaults(void **state)
{
    (void)state;
    mt5_config_t c;
    memset(&c, 0xAB, sizeof c);
    mt5_config_defaults(&c);
    s_expect_defaults(&c);
    mt5_config_defaults(NULL); /* harmless */
}

static const char s_full[] = "# every key\n"
                             "client:\n"
                             "  endpoint: tcp://10.0.0.5:6000\n"
                             "  timeout_ms: 250\n"
                             "  retries: 0\n"
                             "  log: /var/log/mt5/VERIFY_LOG.log\n"
                             "gateway:\n"
                             "  bind: tcp://0.0.0.0:7000\n"
                             "  stream: ipc:///run/mt5/stream\n"
                             "  key_file: /etc/mt5/risk.key\n"
                             "  signature_ttl_ms: 3600000\n"
                             "  heartbeat_ms: 10\n"
                             "  max_volume: 2.5\n"
                             "  max_positions: 1000000\n"
                             "paper:\n"
                             "  login: 42\n"
                             "  balance: 5e4\n"
                             "  currency: EURUSDT\n"
                             "  leverage: 1000\n";

static void test_config__full_file_sets_every_key(void **state)
{
    (void)state;
    mt5_config_t c;
    mt5_config_defaults(&c);
    assert_int_equal(mt5_config_load(&c, s_file(s_full)), MT5_OK);
    assert_string_equal(mt5_error_detail(), "");
    assert_string_equal(c.endpoint, "tcp://10.0.0.5:6000");
    assert_int_equal(c.timeout_ms, 250);
    assert_int_equal(c.retries, 0);
    assert_string_equal(c.log_file, "/var/log/mt5/VERIFY_LOG.log");
    assert_string_equal(c.bind, "tcp://0.0.0.0:7000");
    assert_string_equal(c.stream, "ipc:///run/mt5/stream");
    assert_string_equal(c.key_file, "/etc/mt5/risk.key");
    assert_int_equal(c.signature_ttl_ms, 3600000);
    assert_int_equal(c.heartbeat_ms, 10);
    assert_true(c.max_volume == 2.5);
    assert_int_equal(c.max_positions, 1000000);
    assert_int_equal(c.paper_login, 42);
    assert_true(c.paper_balance == 50000.0);
    assert_string_equal(c.paper_currency, "EURUSDT");
    assert_int_equal(c.paper_leverage, 1000);
}

static void test_config__partial_file_keeps_the_rest(void **state)
{
    (void)state;
    mt5_config_t c;
    mt5_config_defaults(&c);
    c.retries = 9; /* as if set earlier: the file must not reset it */
    assert_int_equal(mt5_config_load(&c, s_file("gateway:\n"
                                                "  max_volume: 1000000\n"
                                                "client:\n"
                                                "  endpoint: inproc://gw\n")),
                     MT5_OK);
    assert_true(c.max_volume == 1e6);
    assert_string_equal(c.endpoint, "inproc://gw");
    assert_int_equal(c.retries, 9);
    c.retries = 3;
    c.max_volume = 100.0;
    memcpy(c.endpoint, MT5_DEFAULT_ENDPOINT, sizeof MT5_DEFAULT_ENDPOINT);
    s_expect_defaults(&c);
}

static void test_config__empty_file_and_empty_sections_change_nothing(void **state)
{
    (void)state;
    static const char *const texts[] = {"", "# nothing yet\n", "client:\ngateway:\npaper:\n",
                                        "client: {}\n", "---\n"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        mt5_config_t c;
        mt5_config_defaults(&c);
        assert_int_equal(mt5_config_load(&c, s_file(texts[i])), MT5_OK);
        s_expect_defaults(&c);
    }
    /* An empty path value means "not set". */
    mt5_config_t c;
    mt5_config_defaults(&c);
    memcpy(c.log_file, "/old", 5);
    assert_int_equal(mt5_config_load(&c, s_file("client:\n  log:\n")), MT5_OK);
    assert_string_equal(c.log_file, "");
    memcpy(c.key_file, "/old", 5);
    assert_int_equal(mt5_config_load(&c, s_file("gateway:\n  key_file: ''\n")), MT5_OK);
    assert_string_equal(c.key_file, "");
}

static void test_config__bad_files_give_exact_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int code;
        const char *detail; /* after "<path>:" */
    } cases[] = {
        {"risk:\n  limit: 1\n", MT5_EPARSE, "1:1: unknown section 'risk'"},
        {"gateway:\n  risk_key: 00112233\n", MT5_EPARSE, "2:3: unknown key 'gateway.risk_key'"},
        {"client:\n  timeout: 5\n", MT5_EPARSE, "2:3: unknown key 'client.timeout'"},
        {"paper:\n  endpoint: tcp://x:1\n", MT5_EPARSE, "2:3: unknown key 'paper.endpoint'"},
        {"client: 5\n", MT5_EPARSE, "1:9: section 'client' must be a mapping"},
        {"gateway: [bind]\n", MT5_EPARSE, "1:10: section 'gateway' must be a mapping"},
        {"- client\n", MT5_EPARSE,
         "1:1: the top level must be a mapping of sections (client, gateway, paper)"},
        {"just text\n", MT5_EPARSE,
         "1:1: the top level must be a mapping of sections (client, gateway, paper)"},
        {"client:\n  timeout_ms: fast\n", MT5_EPARSE,
         "2:15: client.timeout_ms must be an integer from 1 to 3600000"},
        {"client:\n  timeout_ms: \"5000\"\n", MT5_EPARSE,
         "2:15: client.timeout_ms must be an integer from 1 to 3600000"},
        {"client:\n  timeout_ms: 1.5\n", MT5_EPARSE,
         "2:15: client.timeout_ms must be an integer from 1 to 3600000"},
        {"client:\n  timeout_ms: 0\n", MT5_EINVAL,
         "2:15: client.timeout_ms must be an integer from 1 to 3600000"},
        {"client:\n  timeout_ms: 3600001\n", MT5_EINVAL,
         "2:15: client.timeout_ms must be an integer from 1 to 3600000"},
        {"client:\n  retries: -1\n", MT5_EINVAL,
         "2:12: client.retries must be an integer from 0 to 100"},
        {"client:\n  retries: 101\n", MT5_EINVAL,
         "2:12: client.retries must be an integer from 0 to 100"},
        {"client:\n  retries:\n", MT5_EPARSE,
         "2:11: client.retries must be an integer from 0 to 100"},
        {"client:\n  endpoint: http://127.0.0.1:5555\n", MT5_EINVAL,
         "2:13: client.endpoint must be an endpoint starting with tcp://, ipc:// or inproc://"},
        {"client:\n  endpoint: tcp://\n", MT5_EINVAL,
         "2:13: client.endpoint must be an endpoint starting with tcp://, ipc:// or inproc://"},
        {"client:\n  endpoint: 'tcp://a b:1'\n", MT5_EINVAL,
         "2:13: client.endpoint must be an endpoint starting with tcp://, ipc:// or inproc://"},
        {"client:\n  endpoint: {host: x}\n", MT5_EPARSE,
         "2:13: client.endpoint must be an endpoint starting with tcp://, ipc:// or inproc://"},
        {"gateway:\n  bind:\n", MT5_EINVAL,
         "2:8: gateway.bind must be an endpoint starting with tcp://, ipc:// or inproc://"},
        {"gateway:\n  stream: 5556\n", MT5_EINVAL,
         "2:11: gateway.stream must be an endpoint starting with tcp://, ipc:// or inproc://"},
        {"gateway:\n  key_file: [a, b]\n", MT5_EPARSE,
         "2:13: gateway.key_file must be a path shorter than 4096 bytes"},
        {"gateway:\n  signature_ttl_ms: 0\n", MT5_EINVAL,
         "2:21: gateway.signature_ttl_ms must be an integer from 1 to 3600000"},
        {"gateway:\n  heartbeat_ms: 9\n", MT5_EINVAL,
         "2:17: gateway.heartbeat_ms must be an integer from 10 to 60000"},
        {"gateway:\n  heartbeat_ms: 60001\n", MT5_EINVAL,
         "2:17: gateway.heartbeat_ms must be an integer from 10 to 60000"},
        {"gateway:\n  max_volume: 0\n", MT5_EINVAL,
         "2:15: gateway.max_volume must be a number > 0 and <= 1000000"},
        {"gateway:\n  max_volume: -0.01\n", MT5_EINVAL,
         "2:15: gateway.max_volume must be a number > 0 and <= 1000000"},
        {"gateway:\n  max_volume: 1000000.5\n", MT5_EINVAL,
         "2:15: gateway.max_volume must be a number > 0 and <= 1000000"},
        {"gateway:\n  max_volume: .inf\n", MT5_EPARSE,
         "2:15: gateway.max_volume must be a number > 0 and <= 1000000"},
        {"gateway:\n  max_volume: lots\n", MT5_EPARSE,
         "2:15: gateway.max_volume must be a number > 0 and <= 1000000"},
        {"gateway:\n  max_positions: 0\n", MT5_EINVAL,
         "2:18: gateway.max_positions must be an integer from 1 to 1000000"},
        {"gateway:\n  max_positions: 1000001\n", MT5_EINVAL,
         "2:18: gateway.max_positions must be an integer from 1 to 1000000"},
        {"paper:\n  login: 0\n", MT5_EINVAL, "2:10: paper.login must be an integer > 0"},
        {"paper:\n  login: 99999999999999999999\n", MT5_EPARSE,
         "2:10: paper.login must be an integer > 0"},
        {"paper:\n  balance: 0\n", MT5_EINVAL,
         "2:12: paper.balance must be a number > 0 and <= 1000000000000"},
        {"paper:\n  balance: 1e13\n", MT5_EINVAL,
         "2:12: paper.balance must be a number > 0 and <= 1000000000000"},
        {"paper:\n  currency: usd\n", MT5_EINVAL,
         "2:13: paper.currency must be 3 to 7 upper-case letters"},
        {"paper:\n  currency: US\n", MT5_EINVAL,
         "2:13: paper.currency must be 3 to 7 upper-case letters"},
        {"paper:\n  currency: USDOLLAR\n", MT5_EINVAL,
         "2:13: paper.currency must be 3 to 7 upper-case letters"},
        {"paper:\n  currency: U$D\n", MT5_EINVAL,
         "2:13: paper.currency must be 3 to 7 upper-case letters"},
        {"paper:\n  leverage: 0\n", MT5_EINVAL,
         "2:13: paper.leverage must be an integer from 1 to 1000"},
        {"paper:\n  leverage: 1001\n", MT5_EINVAL,
         "2:13: paper.leverage must be an integer from 1 to 1000"},
        /* Errors of the YAML layer come through unchanged. */
        {"client:\n  retries: 1\n  retries: 2\n", MT5_EPARSE, "3:3: duplicate key 'retries'"},
        {"client: [\n", MT5_EPARSE,
         "2:1: did not find expected node content while parsing a flow node"},
        {"client:\n  retries: &r 1\n", MT5_EPARSE, "2:12: aliases and anchors are not supported"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mt5_config_t c, before;
        mt5_config_defaults(&c);
        before = c;
        char want[512];
        snprintf(want, sizeof want, "%s:%s", s_path, cases[i].detail);
        int rc = mt5_config_load(&c, s_file(cases[i].text));
        if (rc != cases[i].code || strcmp(mt5_error_detail(), want) != 0)
            fail_msg("case %zu: got %d [%s], want %d [%s]", i, rc, mt5_error_detail(),
                     cases[i].code, want);
        assert_memory_equal(&c, &before, sizeof c);
    }
}

static void test_config__error_after_good_keys_changes_nothing(void **state)
{
    (void)state;
    mt5_config_t c, before;
    mt5_config_defaults(&c);
    before = c;
    assert_int_equal(mt5_config_load(&c, s_file("client:\n"
                                                "  retries: 9\n"
                                                "  endpoint: tcp://h:1\n"
                                                "paper:\n"
                                                "  leverage: 5000\n")),
                     MT5_EINVAL);
    assert_memory_equal(&c, &before, sizeof c);
}

static void test_config__overlong_strings_are_refused(void **state)
{
    (void)state;
    char text[MT5_PATH_MAX + 64], want[512];
    mt5_config_t c, before;
    mt5_config_defaults(&c);
    before = c;

    /* 255 characters fit the endpoint buffer, 256 do not. */
    char host[256];
    memset(host, 'h', sizeof host);
    host[255 - 6] = '\0';
    snprintf(text, sizeof text, "client:\n  endpoint: tcp://%s\n", host);
    assert_int_equal(mt5_config_load(&c, s_file(text)), MT5_OK);
    assert_int_equal(strlen(c.endpoint), 255);
    c = before;
    host[255 - 6] = 'h';
    host[256 - 6] = '\0';
    snprintf(text, sizeof text, "client:\n  endpoint: tcp://%s\n", host);
    assert_int_equal(mt5_config_load(&c, s_file(text)), MT5_EINVAL);
    snprintf(want, sizeof want,
             "%s:2:13: client.endpoint must be an endpoint starting with tcp://, ipc:// or "
             "inproc://",
             s_path);
    assert_string_equal(mt5_error_detail(), want);
    assert_memory_equal(&c, &before, sizeof c);

    /* 4095 bytes fit the path buffer, 4096 do not. */
    size_t len = (size_t)snprintf(text, sizeof text, "client:\n  log: /");
    memset(text + len, 'p', 4094);
    memcpy(text + len + 4094, "\n", 2);
    assert_int_equal(mt5_config_load(&c, s_file(text)), MT5_OK);
    assert_int_equal(strlen(c.log_file), 4095);
    c = before;
    memcpy(text + len + 4094, "p\n", 3);
    assert_int_equal(mt5_config_load(&c, s_file(text)), MT5_EINVAL);
    snprintf(want, sizeof want, "%s:2:8: client.log must be a path shorter than 4096 bytes",
             s_path);
    assert_string_equal(mt5_error_detail(), want);
    assert_memory_equal(&c, &before, sizeof c);
}

static void test_config__unreadable_file_is_eio(void **state)
{
    (void)state;
    mt5_config_t c, before;
    mt5_config_defaults(&c);
    before = c;
    char path[300], want[400];
    snprintf(path, sizeof path, "%s/absent.yaml", s_dir);
    assert_int_equal(mt5_config_load(&c, path), MT5_EIO);
    snprintf(want, sizeof want, "%s: No such file or directory", path);
    assert_string_equal(mt5_error_detail(), want);
    assert_memory_equal(&c, &before, sizeof c);
    assert_int_equal(mt5_config_load(NULL, path), MT5_EINVAL);
    assert_int_equal(mt5_config_load(&c, NULL), MT5_EINVAL);
    assert_int_equal(mt5_config_apply_env(NULL), MT5_EINVAL);
}

/* ---- environment ------------------------------------------------------- */

static void test_config__env_sets_every_key(void **state)
{
    (void)state;
    static const char *const values[][2] = {
        {"MT5_ENDPOINT", "tcp://192.168.1.2:15555"},
        {"MT5_TIMEOUT_MS", "+1"},
        {"MT5_RETRIES", "100"},
        {"MT5_VERIFY_LOG", "/tmp/VERIFY_LOG.log"},
        {"MT5_BIND", "ipc:///tmp/gw"},
        {"MT5_STREAM", "inproc://stream"},
        {"MT5_KEY_FILE", "/run/secrets/risk.key"},
        {"MT5_SIGNATURE_TTL_MS", "1"},
        {"MT5_HEARTBEAT_MS", "60000"},
        {"MT5_MAX_VOLUME", "0.01"},
        {"MT5_MAX_POSITIONS", "1"},
        {"MT5_PAPER_LOGIN", "9223372036854775807"},
        {"MT5_PAPER_BALANCE", "1e12"},
        {"MT5_PAPER_CURRENCY", "JPY"},
        {"MT5_PAPER_LEVERAGE", "1"},
    };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        setenv(values[i][0], values[i][1], 1);
    mt5_config_t c;
    mt5_config_defaults(&c);
    assert_int_equal(mt5_config_apply_env(&c), MT5_OK);
    assert_string_equal(c.endpoint, "tcp://192.168.1.2:15555");
    assert_int_equal(c.timeout_ms, 1);
    assert_int_equal(c.retries, 100);
    assert_string_equal(c.log_file, "/tmp/VERIFY_LOG.log");
    assert_string_equal(c.bind, "ipc:///tmp/gw");
    assert_string_equal(c.stream, "inproc://stream");
    assert_string_equal(c.key_file, "/run/secrets/risk.key");
    assert_int_equal(c.signature_ttl_ms, 1);
    assert_int_equal(c.heartbeat_ms, 60000);
    assert_true(c.max_volume == 0.01);
    assert_int_equal(c.max_positions, 1);
    assert_int_equal(c.paper_login, INT64_MAX);
    assert_true(c.paper_balance == 1e12);
    assert_string_equal(c.paper_currency, "JPY");
    assert_int_equal(c.paper_leverage, 1);
    s_clear_env(NULL);
}

static void test_config__env_without_variables_changes_nothing(void **state)
{
    (void)state;
    mt5_config_t c;
    mt5_config_defaults(&c);
    setenv("MT5_RETRIES", "", 1);      /* empty is the same as unset */
    setenv("MT5_RISK_KEY", "00ff", 1); /* not a setting: never read */
    assert_int_equal(mt5_config_apply_env(&c), MT5_OK);
    s_expect_defaults(&c);
    unsetenv("MT5_RISK_KEY");
    s_clear_env(NULL);
}

static void test_config__bad_env_values_give_exact_errors(void **state)
{
    (void)state;
    static const struct {
        const char *var;
        const char *value;
        const char *detail;
    } cases[] = {
        {"MT5_ENDPOINT", "localhost:5555",
         "MT5_ENDPOINT must be an endpoint starting with tcp://, ipc:// or inproc://, not "
         "'localhost:5555'"},
        {"MT5_BIND", "tcp://",
         "MT5_BIND must be an endpoint starting with tcp://, ipc:// or "
         "inproc://, not 'tcp://'"},
        {"MT5_STREAM", "tcp://a\tb",
         "MT5_STREAM must be an endpoint starting with tcp://, ipc:// "
         "or inproc://, not 'tcp://a\tb'"},
        {"MT5_TIMEOUT_MS", "5s", "MT5_TIMEOUT_MS must be an integer from 1 to 3600000, not '5s'"},
        {"MT5_TIMEOUT_MS", " 5", "MT5_TIMEOUT_MS must be an integer from 1 to 3600000, not ' 5'"},
        {"MT5_TIMEOUT_MS", "0", "MT5_TIMEOUT_MS must be an integer from 1 to 3600000, not '0'"},
        {"MT5_TIMEOUT_MS", "-", "MT5_TIMEOUT_MS must be an integer from 1 to 3600000, not '-'"},
        {"MT5_TIMEOUT_MS", "5-", "MT5_TIMEOUT_MS must be an integer from 1 to 3600000, not '5-'"},
        {"MT5_RETRIES", "0x10", "MT5_RETRIES must be an integer from 0 to 100, not '0x10'"},
        {"MT5_RETRIES", "101", "MT5_RETRIES must be an integer from 0 to 100, not '101'"},
        {"MT5_SIGNATURE_TTL_MS", "2e3",
         "MT5_SIGNATURE_TTL_MS must be an integer from 1 to 3600000, not '2e3'"},
        {"MT5_HEARTBEAT_MS", "1", "MT5_HEARTBEAT_MS must be an integer from 10 to 60000, not '1'"},
        {"MT5_MAX_VOLUME", "nan", "MT5_MAX_VOLUME must be a number > 0 and <= 1000000, not 'nan'"},
        {"MT5_MAX_VOLUME", "1e400",
         "MT5_MAX_VOLUME must be a number > 0 and <= 1000000, not '1e400'"},
        {"MT5_MAX_VOLUME", "1,5", "MT5_MAX_VOLUME must be a number > 0 and <= 1000000, not '1,5'"},
        {"MT5_MAX_VOLUME", "1.5.",
         "MT5_MAX_VOLUME must be a number > 0 and <= 1000000, not "
         "'1.5.'"},
        {"MT5_MAX_VOLUME", "-", "MT5_MAX_VOLUME must be a number > 0 and <= 1000000, not '-'"},
        {"MT5_MAX_VOLUME", "0", "MT5_MAX_VOLUME must be a number > 0 and <= 1000000, not '0'"},
        {"MT5_MAX_POSITIONS", "99999999999999999999",
         "MT5_MAX_POSITIONS must be an integer from 1 to 1000000, not '99999999999999999999'"},
        {"MT5_PAPER_LOGIN", "-5", "MT5_PAPER_LOGIN must be an integer > 0, not '-5'"},
        {"MT5_PAPER_BALANCE", "-1",
         "MT5_PAPER_BALANCE must be a number > 0 and <= 1000000000000, not '-1'"},
        {"MT5_PAPER_CURRENCY", "Usd",
         "MT5_PAPER_CURRENCY must be 3 to 7 upper-case letters, not 'Usd'"},
        {"MT5_PAPER_LEVERAGE", "1001",
         "MT5_PAPER_LEVERAGE must be an integer from 1 to 1000, not '1001'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        /* A good variable next to the bad one must not be applied either. */
        setenv("MT5_ENDPOINT", "tcp://10.9.9.9:1", 1);
        setenv(cases[i].var, cases[i].value, 1);
        mt5_config_t c, before;
        mt5_config_defaults(&c);
        before = c;
        int rc = mt5_config_apply_env(&c);
        if (rc != MT5_EINVAL || strcmp(mt5_error_detail(), cases[i].detail) != 0)
            fail_msg("case %zu: got %d [%s], want [%s]", i, rc, mt5_error_detail(),
                     cases[i].detail);
        assert_memory_equal(&c, &before, sizeof c);
        s_clear_env(NULL);
    }
}

static void test_config__env_wins_over_file(void **state)
{
    (void)state;
    mt5_config_t c;
    mt5_config_defaults(&c);
    assert_int_equal(mt5_config_load(&c, s_file("client:\n"
                                                "  timeout_ms: 100\n"
                                                "  retries: 7\n")),
                     MT5_OK);
    setenv("MT5_TIMEOUT_MS", "2500", 1);
    assert_int_equal(mt5_config_apply_env(&c), MT5_OK);
    assert_int_equal(c.timeout_ms, 2500); /* environment over file */
    assert_int_equal(c.retries, 7);       /* file over default */
    assert_int_equal(c.heartbeat_ms, 500);
    s_clear_env(NULL);
}

static void test_config__set_applies_the_same_rules_as_the_file(void **state)
{
    (void)state;
    mt5_config_t c;
    mt5_config_defaults(&c);
    assert_int_equal(mt5_config_set(&c, "gateway.heartbeat_ms", "250"), MT5_OK);
    assert_int_equal(c.heartbeat_ms, 250);
    assert_int_equal(mt5_config_set(&c, "gateway.max_volume", "2.5"), MT5_OK);
    assert_true(c.max_volume == 2.5);
    assert_int_equal(mt5_config_set(&c, "client.endpoint", "tcp://127.0.0.1:7"), MT5_OK);
    assert_string_equal(c.endpoint, "tcp://127.0.0.1:7");
    mt5_config_t before = c;
    assert_int_equal(mt5_config_set(&c, "gateway.heartbeat_ms", "5"), MT5_EINVAL);
    assert_string_equal(mt5_error_detail(),
                        "gateway.heartbeat_ms must be an integer from 10 to 60000, not '5'");
    assert_int_equal(mt5_config_set(&c, "gateway.max_volume", "0x10"), MT5_EINVAL);
    assert_int_equal(mt5_config_set(&c, "client.endpoint", "nonsense"), MT5_EINVAL);
    assert_int_equal(mt5_config_set(&c, "gateway.risk_key", "00"), MT5_ENOTFOUND);
    assert_string_equal(mt5_error_detail(), "no setting named gateway.risk_key");
    assert_int_equal(mt5_config_set(&c, "gateway", "x"), MT5_ENOTFOUND);
    assert_int_equal(mt5_config_set(&c, "gateway.", "x"), MT5_ENOTFOUND);
    assert_int_equal(mt5_config_set(NULL, "client.retries", "1"), MT5_EINVAL);
    assert_memory_equal(&c, &before, sizeof c);
}

static void test_config__resolve_runs_defaults_file_then_env(void **state)
{
    (void)state;
    mt5_config_t c;
    memset(&c, 0x5a, sizeof c);
    /* No file anywhere: the defaults. */
    assert_int_equal(mt5_config_resolve(&c, NULL), MT5_OK);
    s_expect_defaults(&c);
    /* $MT5_CONFIG names the file when no path is given; env beats it. */
    const char *path = s_file("client:\n  timeout_ms: 100\n  retries: 7\n");
    setenv("MT5_CONFIG", path, 1);
    setenv("MT5_RETRIES", "9", 1);
    assert_int_equal(mt5_config_resolve(&c, NULL), MT5_OK);
    assert_int_equal(c.timeout_ms, 100);
    assert_int_equal(c.retries, 9);
    /* An explicit path wins over $MT5_CONFIG. */
    setenv("MT5_CONFIG", "/nonexistent/mt5.yaml", 1);
    assert_int_equal(mt5_config_resolve(&c, path), MT5_OK);
    assert_int_equal(c.timeout_ms, 100);
    /* A failing step leaves *cfg alone and says why. */
    mt5_config_t before = c;
    assert_int_equal(mt5_config_resolve(&c, NULL), MT5_EIO);
    assert_non_null(strstr(mt5_error_detail(), "/nonexistent/mt5.yaml"));
    setenv("MT5_RETRIES", "lots", 1);
    assert_int_equal(mt5_config_resolve(&c, path), MT5_EINVAL);
    assert_memory_equal(&c, &before, sizeof c);
    assert_int_equal(mt5_config_resolve(NULL, path), MT5_EINVAL);
    s_clear_env(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config__defaults),
        cmocka_unit_test(test_config__full_file_sets_every_key),
        cmocka_unit_test(test_config__partial_file_keeps_the_rest),
        cmocka_unit_test(test_config__empty_file_and_empty_sections_change_nothing),
        cmocka_unit_test(test_config__bad_files_give_exact_errors),
        cmocka_unit_test(test_config__error_after_good_keys_changes_nothing),
        cmocka_unit_test(test_config__overlong_strings_are_refused),
        cmocka_unit_test(test_config__unreadable_file_is_eio),
        cmocka_unit_test_setup_teardown(test_config__env_sets_every_key, s_clear_env, s_clear_env),
        cmocka_unit_test_setup_teardown(test_config__env_without_variables_changes_nothing,
                                        s_clear_env, s_clear_env),
        cmocka_unit_test_setup_teardown(test_config__bad_env_values_give_exact_errors, s_clear_env,
                                        s_clear_env),
        cmocka_unit_test_setup_teardown(test_config__env_wins_over_file, s_clear_env, s_clear_env),
        cmocka_unit_test(test_config__set_applies_the_same_rules_as_the_file),
        cmocka_unit_test_setup_teardown(test_config__resolve_runs_defaults_file_then_env,
                                        s_clear_env, s_clear_env),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
