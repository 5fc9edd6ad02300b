/*  test_auditors.c - audit-task-004, audit-task-106, audit-current-task
 *  and gate1 against the fixture trees, as processes.
 *
 *  Every variant under fixtures/task004 and fixtures/task106 is copied into
 *  a sandbox and audited with the Python tools replaced by the shell stubs
 *  in fixtures/stubs, so the tests need no Python package. audit-current-task
 *  runs on copies of task004/pass with more TASK_* folders beside it. Each run's JSON
 *  report is held to the exact status of every check (fixtures/README.md
 *  has the same table for people) and, for the ones that do not pass, to a
 *  key part of the message. Online runs talk to the real mt5-gateway on an
 *  ephemeral loopback port; offline runs set MT5_GATE_OFFLINE. The seed's
 *  tree must reproduce seed 003's numbers: 29 checks, 22 passed, 7 failed.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "harness/harness.h"

#define AUDIT_004 MT5_BIN_DIR "/audit-task-004"
#define AUDIT_106 MT5_BIN_DIR "/audit-task-106"
#define AUDIT_CURRENT MT5_BIN_DIR "/audit-current-task"
#define GATE1 MT5_BIN_DIR "/gate1"
#define FIXTURES MT5_SOURCE_DIR "/fixtures"
#define STUBS FIXTURES "/stubs"
#define LOG_004 "docs/archive/tasks/TASK_004_CONN_TEST/VERIFY_LOG.log"
#define RUN_TIMEOUT_MS 60000

static h_gateway s_gw;
static char s_dir[64];
static char s_port[16]; /* the gateway's port, from its endpoint */
static int s_sandboxes;

/* How a run reaches the gateway. */
typedef enum {
    S_OFFLINE = 0, /* MT5_GATE_OFFLINE=1: port and handshake are skipped */
    S_ONLINE,      /* the embedded gateway */
    S_CLOSED       /* a loopback port nothing listens on */
} s_mode;

/* The expected outcome of one check; checks not listed must pass. */
typedef struct {
    const char *id;
    const char *status;
    const char *message;  /* a part of the message, or NULL */
    const char *evidence; /* a part of the evidence, or NULL */
} s_want;

static const char *const s_ids004[] = {
    "verify-script",      "completion-report", "quick-start",      "sync-guide",
    "verify-log-present", "audit-function",    "handshake-params", "no-secrets",
    "python-version",     "pyzmq-version",     "libzmq-version",   "gateway-port",
    "handshake",          "verify-log-result", "verify-log-token", "local-audit",
};
#define N004 (sizeof s_ids004 / sizeof s_ids004[0])

static const char *const s_ids106[] = {
    "connector-file",
    "heartbeat-file",
    "zmq-server-file",
    "secure-loader-file",
    "audit-script-file",
    "completion-report",
    "quick-start",
    "sync-guide",
    "pylint-connector",
    "pylint-heartbeat",
    "pylint-zmq-server",
    "pylint-secure-loader",
    "mypy-connector",
    "mypy-heartbeat",
    "mypy-zmq-server",
    "mypy-secure-loader",
    "risk-signature-attached",
    "signature-enforced",
    "heartbeat-breaker",
    "import-connector",
    "import-heartbeat",
    "import-zmq-server",
    "import-secure-loader",
    "unit-tests",
    "architecture-doc",
    "architecture-sections",
    "completion-sections",
    "verify-log",
    "verify-log-gate1",
};
#define N106 (sizeof s_ids106 / sizeof s_ids106[0])

/* What an offline run of task-004 says about the connection, unless a
 * test expects otherwise. */
static const s_want s_offline_skips[] = {
    {"gateway-port", "skip", "skipped: offline run (MT5_GATE_OFFLINE set)", NULL},
    {"handshake", "skip", "skipped: offline run (MT5_GATE_OFFLINE set)", NULL},
};

static int s_setup(void **state)
{
    (void)state;
    snprintf(s_dir, sizeof s_dir, "/tmp/mt5-auditors-XXXXXX");
    if (!mkdtemp(s_dir))
        return -1;
    if (h_gateway_start(&s_gw, NULL) != 0)
        return -1;
    const char *colon = strrchr(s_gw.endpoint, ':');
    if (!colon)
        return -1;
    snprintf(s_port, sizeof s_port, "%s", colon + 1);
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    int status = h_gateway_stop(&s_gw);
    const char *argv[] = {"/bin/rm", "-rf", s_dir, NULL};
    h_run r;
    if (h_run_cmd(&r, argv, NULL, 30000) != 0 || r.status != 0)
        return -1;
    return status == 0 ? 0 : -1;
}

/* Copy fixtures/<variant> to a fresh directory in the sandbox. */
static void s_sandbox(char *out, size_t cap, const char *variant)
{
    char src[PATH_MAX];
    snprintf(src, sizeof src, "%s/%s", FIXTURES, variant);
    snprintf(out, cap, "%s/t%02d", s_dir, ++s_sandboxes);
    const char *argv[] = {"/bin/cp", "-a", src, out, NULL};
    h_run r;
    assert_int_equal(h_run_cmd(&r, argv, NULL, 30000), 0);
    if (r.status != 0)
        fail_msg("cp -a %s %s: %s", src, out, r.err);
}

/* The environment of an auditor run: the stubs, the source tree's gates,
 * nothing of the caller's MT5_* settings, then `extra` (which wins). */
typedef struct {
    char endpoint[300], host[64], port[64];
    const char *list[40];
} s_env_t;

static const char *const *s_env(s_env_t *e, s_mode mode, const char *const *extra)
{
    size_t n = 0;
    e->list[n++] = "PYTHON=" STUBS "/python3";
    e->list[n++] = "PYLINT=" STUBS "/pylint";
    e->list[n++] = "MYPY=" STUBS "/mypy";
    e->list[n++] = "PYTEST=" STUBS "/pytest";
    e->list[n++] = "MT5_GATES_DIR=" MT5_SOURCE_DIR "/gates";
    e->list[n++] = "MT5_RISK_KEY=";
    e->list[n++] = "MT5_TASK=";
    e->list[n++] = "STUB_PYZMQ_VERSION=";
    e->list[n++] = "VERIFY_LOG_MAX_AGE=";
    e->list[n++] = "NO_COLOR=1";
    if (mode == S_OFFLINE) {
        e->list[n++] = "MT5_GATE_OFFLINE=1";
        e->list[n++] = "MT5_ENDPOINT=";
        e->list[n++] = "MT5_HOST=";
        e->list[n++] = "MT5_PORT=";
    } else {
        int port = mode == S_ONLINE ? atoi(s_port) : h_closed_port();
        assert_true(port > 0);
        snprintf(e->endpoint, sizeof e->endpoint, "MT5_ENDPOINT=tcp://127.0.0.1:%d", port);
        snprintf(e->host, sizeof e->host, "MT5_HOST=127.0.0.1");
        snprintf(e->port, sizeof e->port, "MT5_PORT=%d", port);
        e->list[n++] = "MT5_GATE_OFFLINE=";
        e->list[n++] = e->endpoint;
        e->list[n++] = e->host;
        e->list[n++] = e->port;
    }
    for (size_t i = 0; extra && extra[i] && n + 1 < sizeof e->list / sizeof e->list[0]; i++)
        e->list[n++] = extra[i];
    e->list[n] = NULL;
    return e->list;
}

static char *s_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot read %s", path);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    size_t got;
    while ((got = fread(buf + n, 1, cap - 1 - n, f)) > 0) {
        n += got;
        if (n + 1 == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
    }
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/*  Run `tool --root root --format json --output json:<root>.json` plus
 *  `args` and return the parsed report (caller deletes it). The report is
 *  read from the --output file, which is never cut; standard output must
 *  hold the same JSON whenever it fits the harness's buffer. */
static cJSON *s_audit(h_run *r, const char *tool, const char *root, s_mode mode,
                      const char *const *args, const char *const *extra_env)
{
    char json_path[PATH_MAX], output[PATH_MAX + 8];
    snprintf(json_path, sizeof json_path, "%s.json", root);
    snprintf(output, sizeof output, "json:%s", json_path);
    const char *argv[32] = {tool, "--root", root, "--format", "json", "--output", output};
    size_t n = 7;
    for (size_t i = 0; args && args[i] && n + 1 < 32; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    s_env_t env;
    assert_int_equal(h_run_cmd(r, argv, s_env(&env, mode, extra_env), RUN_TIMEOUT_MS), 0);
    if (r->status != 0 && r->status != 1)
        fail_msg("%s exited %d: %s", tool, r->status, r->err);
    char *text = s_slurp(json_path);
    cJSON *report = cJSON_Parse(text);
    if (!report)
        fail_msg("%s: not JSON: %.300s", json_path, text);
    if (strlen(r->out) + 1 < sizeof r->out && strcmp(r->out, text) != 0)
        fail_msg("stdout and %s differ", json_path);
    free(text);
    unlink(json_path);
    return report;
}

static const s_want *s_find_want(const s_want *want, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(want[i].id, id) == 0)
            return &want[i];
    return NULL;
}

static long s_total(const cJSON *totals, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(totals, key);
    if (!cJSON_IsNumber(v))
        fail_msg("totals.%s is missing", key);
    return (long)v->valuedouble;
}

static const char *s_str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsString(v))
        fail_msg("'%s' is not a string", key);
    return v->valuestring;
}

/* What a run of task-004 in `mode` expects of checks a test leaves out. */
static const s_want *s_base(s_mode mode, size_t *n)
{
    *n = mode == S_OFFLINE ? sizeof s_offline_skips / sizeof s_offline_skips[0] : 0;
    return mode == S_OFFLINE ? s_offline_skips : NULL;
}

/*  Hold a report to: exactly the checks `ids`, in order; each with the
 *  status `want` gives it, else `base`, else pass, and with their message
 *  and evidence parts; totals that add up; the exit status that follows. */
static void s_assert_report(const h_run *r, cJSON *report, const char *const *ids, size_t n_ids,
                            const s_want *want, size_t n_want, const s_want *base, size_t n_base)
{
    const cJSON *checks = cJSON_GetObjectItemCaseSensitive(report, "checks");
    assert_true(cJSON_IsArray(checks));
    if ((size_t)cJSON_GetArraySize(checks) != n_ids)
        fail_msg("%d checks in the report, expected %zu", cJSON_GetArraySize(checks), n_ids);
    long counts[5] = {0}; /* pass fail error skip waived */
    static const char *const names[5] = {"pass", "fail", "error", "skip", "waived"};
    for (size_t i = 0; i < n_ids; i++) {
        const cJSON *c = cJSON_GetArrayItem(checks, (int)i);
        const char *id = s_str(c, "id");
        if (strcmp(id, ids[i]) != 0)
            fail_msg("check %zu is '%s', expected '%s'", i, id, ids[i]);
        const s_want *w = s_find_want(want, n_want, id);
        if (!w)
            w = s_find_want(base, n_base, id);
        const char *status = s_str(c, "status"), *message = s_str(c, "message");
        const char *expect = w ? w->status : "pass";
        if (strcmp(status, expect) != 0)
            fail_msg("%s: %s (%s), expected %s", id, status, message, expect);
        if (w && w->message && !strstr(message, w->message))
            fail_msg("%s: message '%s' does not contain '%s'", id, message, w->message);
        if (w && w->evidence && !strstr(s_str(c, "evidence"), w->evidence))
            fail_msg("%s: evidence '%s' does not contain '%s'", id, s_str(c, "evidence"),
                     w->evidence);
        for (int k = 0; k < 5; k++)
            counts[k] += strcmp(expect, names[k]) == 0;
    }
    /* A typo in an expectation must not pass unnoticed. */
    for (size_t k = 0; k < n_want; k++) {
        bool listed = false;
        for (size_t i = 0; i < n_ids; i++)
            listed |= strcmp(ids[i], want[k].id) == 0;
        if (!listed)
            fail_msg("the test expects a check '%s' that the gate does not have", want[k].id);
    }
    const cJSON *totals = cJSON_GetObjectItemCaseSensitive(report, "totals");
    assert_true(cJSON_IsObject(totals));
    assert_int_equal(s_total(totals, "checks"), (long)n_ids);
    for (int k = 0; k < 5; k++)
        if (s_total(totals, names[k]) != counts[k])
            fail_msg("totals.%s is %ld, expected %ld", names[k], s_total(totals, names[k]),
                     counts[k]);
    int exit_code = counts[1] || counts[2] ? 1 : 0;
    if (r->status != exit_code)
        fail_msg("exit status %d, expected %d: %s", r->status, exit_code, r->err);
    const cJSON *passed = cJSON_GetObjectItemCaseSensitive(report, "passed");
    assert_true(cJSON_IsBool(passed));
    assert_int_equal(cJSON_IsTrue(passed), exit_code == 0);
}

/* A check's object in the report. */
static const cJSON *s_check(const cJSON *report, const char *id)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(report, "checks"))
    {
        if (strcmp(s_str(c, "id"), id) == 0)
            return c;
    }
    fail_msg("no check '%s' in the report", id);
    return NULL;
}

/* The last line of a file, without its newline. */
static void s_last_line(char *out, size_t cap, const char *path)
{
    char *text = s_slurp(path);
    size_t len = strlen(text);
    while (len && text[len - 1] == '\n')
        text[--len] = '\0';
    const char *nl = strrchr(text, '\n');
    snprintf(out, cap, "%s", nl ? nl + 1 : text);
    free(text);
}

/* Run audit-task-004 on a copy of `variant` and hold it to `want`. */
static void s_run004(const char *variant, s_mode mode, const char *const *env, const s_want *want,
                     size_t n_want, char *root_out, size_t root_cap)
{
    char root[PATH_MAX];
    s_sandbox(root, sizeof root, variant);
    h_run r;
    cJSON *report = s_audit(&r, AUDIT_004, root, mode, NULL, env);
    size_t n_base;
    const s_want *base = s_base(mode, &n_base);
    s_assert_report(&r, report, s_ids004, N004, want, n_want, base, n_base);
    cJSON_Delete(report);
    if (root_out)
        snprintf(root_out, root_cap, "%s", root);
}

static void s_run106(const char *variant, const s_want *want, size_t n_want)
{
    char root[PATH_MAX];
    s_sandbox(root, sizeof root, variant);
    h_run r;
    cJSON *report = s_audit(&r, AUDIT_106, root, S_OFFLINE, NULL, NULL);
    s_assert_report(&r, report, s_ids106, N106, want, n_want, NULL, 0);
    cJSON_Delete(report);
}

#define WANT(...) ((const s_want[]){__VA_ARGS__})
#define NWANT(...) (sizeof((const s_want[]){__VA_ARGS__}) / sizeof(s_want))
#define RUN004(variant, mode, env, ...)                                                            \
    s_run004(variant, mode, env, WANT(__VA_ARGS__), NWANT(__VA_ARGS__), NULL, 0)
/* Only the checks the mode decides (offline: port and handshake skipped). */
#define RUN004_CLEAN(variant, mode, env) s_run004(variant, mode, env, NULL, 0, NULL, 0)
#define RUN106(variant, ...) s_run106(variant, WANT(__VA_ARGS__), NWANT(__VA_ARGS__))

/* Wide enough for the fixtures' 2026-01-15 runs for years to come. */
static const char *const s_wide_age[] = {"VERIFY_LOG_MAX_AGE=3650d", NULL};

/* ---- task-004 ------------------------------------------------------------ */

static void test_auditors__task004_pass_online_appends_a_fresh_pass(void **state)
{
    (void)state;
    char root[PATH_MAX], path[PATH_MAX + 64], last[1024], expect[512];
    /* Every check passes, the connection included. */
    s_run004("task004/pass", S_ONLINE, NULL, NULL, 0, root, sizeof root);
    snprintf(path, sizeof path, "%s/%s", root, LOG_004);
    s_last_line(last, sizeof last, path);
    snprintf(expect, sizeof expect, " INFO audit: RESULT PASS endpoint=%s rtt_us=", s_gw.endpoint);
    if (!strstr(last, expect) || !strstr(last, " reply=OK_FROM_MT5"))
        fail_msg("last log line '%s'", last);
}

static void test_auditors__task004_pass_offline_within_max_age(void **state)
{
    (void)state;
    RUN004_CLEAN("task004/pass", S_OFFLINE, s_wide_age);
}

static void test_auditors__task004_pass_offline_default_max_age_is_stale(void **state)
{
    (void)state;
    RUN004("task004/pass", S_OFFLINE, NULL,
           {"verify-log-result", "fail", "old (max ", "time=2026-01-15T03:15:00.123Z"});
}

static void test_auditors__task004_missing_deliverable(void **state)
{
    (void)state;
    RUN004("task004/missing-deliverable", S_OFFLINE, s_wide_age,
           {"quick-start", "fail", "TASK_004_CONN_TEST/QUICK_START.md does not exist", NULL});
    /* Online, with the default 24h, only its own check fails. */
    RUN004("task004/missing-deliverable", S_ONLINE, NULL,
           {"quick-start", "fail", "TASK_004_CONN_TEST/QUICK_START.md does not exist", NULL});
}

static void test_auditors__task004_no_audit_function(void **state)
{
    (void)state;
    /* The TASK #003 audit script still reports Passed: 6, so local-audit passes. */
    RUN004("task004/no-audit-function", S_OFFLINE, s_wide_age,
           {"audit-function", "fail", "audit_task_004\\(' found 0 times", NULL});
    RUN004("task004/no-audit-function", S_ONLINE, NULL,
           {"audit-function", "fail", "audit_task_004\\(' found 0 times", NULL});
}

static void test_auditors__task004_last_run_failed(void **state)
{
    (void)state;
    /* Offline the recorded failure decides, although OK_FROM_MT5 is higher up. */
    RUN004("task004/last-run-failed", S_OFFLINE, s_wide_age,
           {"verify-log-result", "fail", "last run failed: error=TIMEOUT", "error=TIMEOUT"},
           {"verify-log-token", "pass", NULL, NULL});
    /* Online the handshake appends a passing run after it. */
    RUN004_CLEAN("task004/last-run-failed", S_ONLINE, NULL);
}

static void test_auditors__task004_stale_log(void **state)
{
    (void)state;
    RUN004("task004/stale-log", S_OFFLINE, NULL, {"verify-log-result", "fail", "old (max ", NULL});
    /* A window that reaches back to 2026-01-15 accepts it... */
    RUN004_CLEAN("task004/stale-log", S_OFFLINE, s_wide_age);
    /* ...and a fresh handshake makes it current. */
    RUN004_CLEAN("task004/stale-log", S_ONLINE, NULL);
}

static void test_auditors__task004_free_form_log(void **state)
{
    (void)state;
    /* No result line for the section 8 check; the seeds' token check passes. */
    RUN004("task004/free-form-log", S_OFFLINE, s_wide_age,
           {"verify-log-result", "fail", "no RESULT line", NULL},
           {"verify-log-token", "pass", NULL, NULL});
    RUN004_CLEAN("task004/free-form-log", S_ONLINE, NULL);
}

static void test_auditors__task004_gateway_down_skips_what_needs_it(void **state)
{
    (void)state;
    char root[PATH_MAX];
    s_sandbox(root, sizeof root, "task004/pass");
    h_run r;
    cJSON *report = s_audit(&r, AUDIT_004, root, S_CLOSED, NULL, s_wide_age);
    s_assert_report(&r, report, s_ids004, N004,
                    WANT({"gateway-port", "fail", "refused", NULL},
                         {"handshake", "skip", "needs gateway-port, which failed", NULL},
                         {"verify-log-result", "skip", "needs handshake, which was skipped", NULL}),
                    3, NULL, 0);
    /* retries: 2, so three attempts; the fix hint is the seed's firewall rule. */
    const cJSON *port = s_check(report, "gateway-port");
    const cJSON *attempts = cJSON_GetObjectItemCaseSensitive(port, "attempts");
    assert_true(cJSON_IsNumber(attempts));
    assert_int_equal((int)attempts->valuedouble, 3);
    assert_non_null(strstr(s_str(port, "fix"), "New-NetFirewallRule"));
    cJSON_Delete(report);
}

static void test_auditors__task004_old_pyzmq_fails(void **state)
{
    (void)state;
    static const char *const env[] = {"VERIFY_LOG_MAX_AGE=3650d", "STUB_PYZMQ_VERSION=23.2.1",
                                      NULL};
    RUN004("task004/pass", S_OFFLINE, env,
           {"pyzmq-version", "fail", "reports 23.2.1, which does not satisfy >= 24.0", NULL});
}

static void test_auditors__task004_hard_coded_secret_fails_and_is_redacted(void **state)
{
    (void)state;
    char root[PATH_MAX], path[PATH_MAX + 64];
    s_sandbox(root, sizeof root, "task004/pass");
    snprintf(path, sizeof path, "%s/scripts/verify_connection.py", root);
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    fputs("API_KEY = \"sk-live-93f0a1\"\n", f);
    fclose(f);
    size_t n_base;
    const s_want *base = s_base(S_OFFLINE, &n_base);
    h_run r;
    cJSON *report = s_audit(&r, AUDIT_004, root, S_OFFLINE, NULL, s_wide_age);
    s_assert_report(&r, report, s_ids004, N004,
                    WANT({"no-secrets", "fail", "found at scripts/verify_connection.py:72",
                          "API_KEY = \"sk-live-93f0a1\""}),
                    1, base, n_base);
    cJSON_Delete(report);
    /* When that value is the manifest's secret, no output shows it. */
    static const char *const env[] = {"VERIFY_LOG_MAX_AGE=3650d", "MT5_RISK_KEY=sk-live-93f0a1",
                                      NULL};
    report = s_audit(&r, AUDIT_004, root, S_OFFLINE, NULL, env);
    s_assert_report(&r, report, s_ids004, N004,
                    WANT({"no-secrets", "fail", NULL, "API_KEY = \"***\""}), 1, base, n_base);
    cJSON_Delete(report);
    assert_null(strstr(r.out, "sk-live-93f0a1"));
}

static void test_auditors__task004_parallel_jobs_keep_needs_in_order(void **state)
{
    (void)state;
    /* verify-log-result reads the log the handshake writes: with four
     * workers it still has to wait for it (the fixture's own PASS is stale). */
    char root[PATH_MAX];
    s_sandbox(root, sizeof root, "task004/stale-log");
    static const char *const args[] = {"--jobs", "4", NULL};
    h_run r;
    cJSON *report = s_audit(&r, AUDIT_004, root, S_ONLINE, args, NULL);
    s_assert_report(&r, report, s_ids004, N004, NULL, 0, NULL, 0);
    cJSON_Delete(report);
}

static void test_auditors__task004_only_runs_a_check_and_what_it_needs(void **state)
{
    (void)state;
    char root[PATH_MAX];
    s_sandbox(root, sizeof root, "task004/stale-log");
    static const char *const args[] = {"--only", "verify-log-result", NULL};
    h_run r;
    cJSON *report = s_audit(&r, AUDIT_004, root, S_ONLINE, args, NULL);
    static const char *const ids[] = {"gateway-port", "handshake", "verify-log-result"};
    s_assert_report(&r, report, ids, 3, NULL, 0, NULL, 0);
    cJSON_Delete(report);
}

static void test_auditors__task004_usage_errors_exit_2(void **state)
{
    (void)state;
    static const char *const cases[][3] = {
        {"--bogus", NULL, NULL}, {"--only", "no-such-check", NULL}, {"--format", "yaml", NULL},
        {"--jobs", "0", NULL},   {"--output", "json", NULL},        {"stray", NULL, NULL},
        {"--var", "=x", NULL},
    };
    s_env_t env;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *argv[8] = {AUDIT_004, "--root", FIXTURES "/task004/pass"};
        for (int k = 0; k < 3 && cases[i][k]; k++)
            argv[3 + k] = cases[i][k];
        h_run r;
        assert_int_equal(h_run_cmd(&r, argv, s_env(&env, S_OFFLINE, NULL), RUN_TIMEOUT_MS), 0);
        if (r.status != 2)
            fail_msg("case %zu (%s) exited %d", i, cases[i][0], r.status);
        assert_true(strlen(r.err) > 0);
    }
}

/* ---- task-106 ------------------------------------------------------------ */

static void test_auditors__task106_pass(void **state)
{
    (void)state;
    s_run106("task106/pass", NULL, 0);
}

/* Seed 003's table 3.3: four pylint scores, two mypy runs, the unit tests. */
static const s_want s_seed_failures[] = {
    {"pylint-connector", "fail", "0.00 does not satisfy >= 8", "rated at 0.00/10"},
    {"pylint-heartbeat", "fail", "0.00 does not satisfy >= 8", "rated at 0.00/10"},
    {"pylint-zmq-server", "fail", "0.00 does not satisfy >= 8", "rated at 0.00/10"},
    {"pylint-secure-loader", "fail", "0.00 does not satisfy >= 8", "rated at 0.00/10"},
    {"mypy-connector", "fail", "exit code 1, expected 0", "Found 12 errors in 1 file"},
    {"mypy-heartbeat", "fail", "exit code 1, expected 0", "Found 5 errors in 1 file"},
    {"unit-tests", "fail", "exit code 5, expected 0", "no tests ran"},
};

static void test_auditors__task106_seed_reproduces_22_of_29(void **state)
{
    (void)state;
    char root[PATH_MAX];
    s_sandbox(root, sizeof root, "task106/seed");
    h_run r;
    cJSON *report = s_audit(&r, AUDIT_106, root, S_OFFLINE, NULL, NULL);
    s_assert_report(&r, report, s_ids106, N106, s_seed_failures,
                    sizeof s_seed_failures / sizeof s_seed_failures[0], NULL, 0);
    const cJSON *totals = cJSON_GetObjectItemCaseSensitive(report, "totals");
    assert_int_equal(s_total(totals, "checks"), 29);
    assert_int_equal(s_total(totals, "pass"), 22);
    assert_int_equal(s_total(totals, "fail"), 7);
    /* The phases of the seed's "Phase Results", in its order. */
    static const char *const titles[] = {"Deliverables Check", "Static Code Quality",
                                         "Import Validation", "Unit Tests", "Documentation"};
    const cJSON *phases = cJSON_GetObjectItemCaseSensitive(report, "phases");
    assert_int_equal(cJSON_GetArraySize(phases), 5);
    for (int i = 0; i < 5; i++)
        assert_string_equal(s_str(cJSON_GetArrayItem(phases, i), "title"), titles[i]);
    cJSON_Delete(report);
}

static void test_auditors__task106_missing_deliverable(void **state)
{
    (void)state;
    RUN106("task106/missing-deliverable",
           {"heartbeat-file", "fail", "heartbeat_monitor.py does not exist", NULL},
           {"pylint-heartbeat", "skip", "needs heartbeat-file, which failed", NULL},
           {"mypy-heartbeat", "skip", "needs heartbeat-file, which failed", NULL},
           {"heartbeat-breaker", "skip", "needs heartbeat-file, which failed", NULL},
           {"import-heartbeat", "skip", "needs heartbeat-file, which failed", NULL},
           /* The connector's own file is there; its import of the missing
            * heartbeat_monitor is what fails. */
           {"import-connector", "fail", "exit code 1, expected 0", "(stub: import-error)"});
}

static void test_auditors__task106_low_lint(void **state)
{
    (void)state;
    RUN106("task106/low-lint",
           {"pylint-secure-loader", "fail", "7.50 does not satisfy >= 8", "rated at 7.50/10"});
}

/* ---- audit-current-task ------------------------------------------------------ */

/* An empty <root>/docs/archive/tasks/<name>. */
static void s_task_folder(const char *root, const char *name)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/docs/archive/tasks/%s", root, name);
    if (mkdir(path, 0755) != 0)
        fail_msg("mkdir %s failed", path);
}

/* audit-current-task on root, offline: it must have run task-004's
 * manifest (16 checks, as audit-task-004 gives them offline). */
static void s_current_runs_004(const char *root, const char *const *args, const char *const *env)
{
    h_run r;
    cJSON *report = s_audit(&r, AUDIT_CURRENT, root, S_OFFLINE, args, env);
    size_t n_base;
    const s_want *base = s_base(S_OFFLINE, &n_base);
    s_assert_report(&r, report, s_ids004, N004, NULL, 0, base, n_base);
    assert_string_equal(s_str(cJSON_GetObjectItemCaseSensitive(report, "gate"), "id"), "task-004");
    assert_int_equal(strncmp(s_str(report, "tool"), "audit-current-task ", 19), 0);
    cJSON_Delete(report);
}

/* audit-current-task on root with args and env that must be refused with
 * exit 2 and a message on stderr containing `what`. */
static void s_current_refused(const char *root, const char *const *args, const char *const *env,
                              const char *what)
{
    const char *argv[16] = {AUDIT_CURRENT, "--root", root};
    size_t n = 3;
    for (size_t i = 0; args && args[i] && n + 1 < 16; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    s_env_t e;
    h_run r;
    assert_int_equal(h_run_cmd(&r, argv, s_env(&e, S_OFFLINE, env), RUN_TIMEOUT_MS), 0);
    if (r.status != 2 || !strstr(r.err, what))
        fail_msg("exit %d, want 2 with '%s' on stderr: %s", r.status, what, r.err);
    assert_string_equal(r.out, "");
}

static void test_auditors__current_task_picks_the_newest_folder(void **state)
{
    (void)state;
    /* TASK_004 beats an older TASK_003 folder. */
    char root[PATH_MAX];
    s_sandbox(root, sizeof root, "task004/pass");
    s_task_folder(root, "TASK_003_OLD");
    s_current_runs_004(root, NULL, s_wide_age);
    /* A newer TASK_107 wins, and there is no task-107.yaml. */
    s_task_folder(root, "TASK_107_X");
    s_current_refused(root, NULL, NULL, "task-107.yaml");
}

static void test_auditors__current_task_named_by_option_or_environment(void **state)
{
    (void)state;
    char root[PATH_MAX];
    s_sandbox(root, sizeof root, "task004/pass");
    s_task_folder(root, "TASK_107_X"); /* the newest folder, which must not matter */
    static const char *const env_004[] = {"VERIFY_LOG_MAX_AGE=3650d", "MT5_TASK=004", NULL};
    s_current_runs_004(root, NULL, env_004);
    static const char *const folder[] = {"--task", "TASK_004_CONN_TEST", NULL};
    s_current_runs_004(root, folder, s_wide_age);
    static const char *const number[] = {"--task", "004", NULL};
    s_current_runs_004(root, number, s_wide_age);
    /* --task beats MT5_TASK. */
    static const char *const env_107[] = {"VERIFY_LOG_MAX_AGE=3650d", "MT5_TASK=107", NULL};
    s_current_runs_004(root, number, env_107);
    s_current_refused(root, NULL, env_107, "task-107.yaml");
}

static void test_auditors__current_task_refusals_exit_2(void **state)
{
    (void)state;
    char root[PATH_MAX];
    s_sandbox(root, sizeof root, "task004/pass");
    static const char *const foo[] = {"--task", "foo", NULL};
    s_current_refused(root, foo, NULL, "'foo' is not a task");
    static const char *const env_foo[] = {"MT5_TASK=foo", NULL};
    s_current_refused(root, NULL, env_foo, "'foo' is not a task");
    /* A root that is not an mt5-crs checkout: no docs/archive/tasks. */
    char bare[PATH_MAX];
    snprintf(bare, sizeof bare, "%s/bare%02d", s_dir, ++s_sandboxes);
    assert_int_equal(mkdir(bare, 0755), 0);
    s_current_refused(bare, NULL, NULL, "docs/archive/tasks");
    /* Only audit-current-task takes --task. */
    const char *argv[] = {AUDIT_004, "--root", root, "--task", "004", NULL};
    s_env_t e;
    h_run r;
    assert_int_equal(h_run_cmd(&r, argv, s_env(&e, S_OFFLINE, NULL), RUN_TIMEOUT_MS), 0);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "--task"));
}

/* The environment of the offline hook, read from .pre-commit-hooks.yaml
 * ("entry: env NAME=VALUE... audit-current-task") into `buf`; the entries
 * point into it. */
static void s_hook_env(const char **env, size_t cap, char *buf, size_t buf_cap)
{
    char *text = s_slurp(MT5_SOURCE_DIR "/.pre-commit-hooks.yaml");
    const char *hook = strstr(text, "id: audit-current-task-offline");
    const char *entry = hook ? strstr(hook, "entry: env ") : NULL;
    if (!entry)
        fail_msg("no offline hook with 'entry: env ...' in .pre-commit-hooks.yaml");
    entry += strlen("entry: env ");
    size_t len = strcspn(entry, "\n");
    if (len >= buf_cap)
        fail_msg("the offline hook's entry is too long");
    memcpy(buf, entry, len);
    buf[len] = '\0';
    free(text);
    size_t n = 0;
    const char *last = NULL;
    for (char *save = NULL, *tok = strtok_r(buf, " ", &save); tok;
         tok = strtok_r(NULL, " ", &save)) {
        if (strchr(tok, '=') && n + 1 < cap)
            env[n++] = tok;
        last = tok;
    }
    env[n] = NULL;
    if (!last || strcmp(last, "audit-current-task") != 0)
        fail_msg("the offline hook does not run audit-current-task");
}

/* Append a RESULT PASS dated `days` ago to root's task-004 log. */
static void s_append_pass(const char *root, int days)
{
    char path[PATH_MAX + 64], when[32];
    snprintf(path, sizeof path, "%s/%s", root, LOG_004);
    time_t t = time(NULL) - (time_t)days * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    fprintf(f,
            "%s INFO verify-connection: RESULT PASS endpoint=tcp://172.19.141.255:5555 "
            "rtt_us=1834 reply=OK_FROM_MT5\n",
            when);
    assert_int_equal(fclose(f), 0);
}

/*  The offline pre-commit hook, as .pre-commit-hooks.yaml declares it,
 *  judges the committed log: a PASS from 3 days ago passes it (the default
 *  24h would not), one from 40 days ago does not. */
static void test_auditors__current_task_offline_hook_judges_the_committed_log(void **state)
{
    (void)state;
    const char *hook[8];
    char buf[256];
    s_hook_env(hook, 8, buf, sizeof buf);
    char root[PATH_MAX];
    s_sandbox(root, sizeof root, "task004/pass");
    s_append_pass(root, 3);
    s_current_runs_004(root, NULL, hook);
    h_run r;
    size_t n_base;
    const s_want *base = s_base(S_OFFLINE, &n_base);
    cJSON *report = s_audit(&r, AUDIT_CURRENT, root, S_OFFLINE, NULL, NULL);
    s_assert_report(&r, report, s_ids004, N004,
                    WANT({"verify-log-result", "fail", "3d old (max 1d)", NULL}), 1, base, n_base);
    cJSON_Delete(report);

    s_sandbox(root, sizeof root, "task004/pass");
    s_append_pass(root, 40);
    report = s_audit(&r, AUDIT_CURRENT, root, S_OFFLINE, NULL, hook);
    s_assert_report(&r, report, s_ids004, N004,
                    WANT({"verify-log-result", "fail", "40d old (max 30d)", NULL}), 1, base,
                    n_base);
    cJSON_Delete(report);
}

/* ---- gate1 ----------------------------------------------------------------- */

static void test_auditors__gate1_validates_and_lists_both_manifests(void **state)
{
    (void)state;
    /* The list shows whole descriptions: a plain YAML scalar would lose
     * everything after " #" to a comment. */
    static const char *const cases[][4] = {
        {MT5_SOURCE_DIR "/gates/task-004.yaml", "gate task-004, 16 checks in 5 phases",
         "task-004: TASK #004 - MT5 ", "keeps the TASK #004 parameters (TIMEOUT_MS = 5000"},
        {MT5_SOURCE_DIR "/gates/task-106.yaml", "gate task-106, 29 checks in 5 phases",
         "task-106: Task #106 - MT5 Live Bridge", "Static Code Quality (static)"},
    };
    s_env_t env;
    for (size_t i = 0; i < 2; i++) {
        const char *validate[] = {GATE1, "validate", cases[i][0], NULL};
        h_run r;
        assert_int_equal(h_run_cmd(&r, validate, s_env(&env, S_OFFLINE, NULL), RUN_TIMEOUT_MS), 0);
        if (r.status != 0 || !strstr(r.out, cases[i][1]))
            fail_msg("%s: exit %d: %s%s", cases[i][0], r.status, r.out, r.err);
        const char *list[] = {GATE1, "list", cases[i][0], NULL};
        assert_int_equal(h_run_cmd(&r, list, s_env(&env, S_OFFLINE, NULL), RUN_TIMEOUT_MS), 0);
        assert_int_equal(r.status, 0);
        for (int k = 2; k < 4; k++)
            if (!strstr(r.out, cases[i][k]))
                fail_msg("no '%s' in:\n%s", cases[i][k], r.out);
    }
}

static void test_auditors__gate1_seed_text_and_reports_in_one_run(void **state)
{
    (void)state;
    char root[PATH_MAX], junit[PATH_MAX + 16], json[PATH_MAX + 16], tap[PATH_MAX + 16];
    char o_junit[PATH_MAX + 32], o_json[PATH_MAX + 32], o_tap[PATH_MAX + 32];
    s_sandbox(root, sizeof root, "task106/seed");
    snprintf(junit, sizeof junit, "%s-junit.xml", root);
    snprintf(json, sizeof json, "%s-report.json", root);
    snprintf(tap, sizeof tap, "%s-report.tap", root);
    snprintf(o_junit, sizeof o_junit, "junit:%s", junit);
    snprintf(o_json, sizeof o_json, "json:%s", json);
    snprintf(o_tap, sizeof o_tap, "tap:%s", tap);
    const char *argv[] = {GATE1,      "run",      MT5_SOURCE_DIR "/gates/task-106.yaml",
                          "--root",   root,       "--format",
                          "text",     "--output", o_junit,
                          "--output", o_json,     "--output",
                          o_tap,      NULL};
    s_env_t env;
    h_run r;
    assert_int_equal(h_run_cmd(&r, argv, s_env(&env, S_OFFLINE, NULL), RUN_TIMEOUT_MS), 0);
    assert_int_equal(r.status, 1);
    static const char *const lines[] = {"Total Checks: 29\n", "Passed: 22\n", "Failed: 7\n",
                                        "Pass Rate: 75.9%\n"};
    for (size_t i = 0; i < 4; i++)
        if (!strstr(r.out, lines[i]))
            fail_msg("no '%s' in:\n%s", lines[i], r.out);

    /* All three files from the one run, and they agree with the text. */
    char *text = s_slurp(json);
    cJSON *report = cJSON_Parse(text);
    free(text);
    assert_non_null(report);
    const cJSON *totals = cJSON_GetObjectItemCaseSensitive(report, "totals");
    assert_int_equal(s_total(totals, "checks"), 29);
    assert_int_equal(s_total(totals, "pass"), 22);
    assert_int_equal(s_total(totals, "fail"), 7);
    cJSON_Delete(report);

    text = s_slurp(tap);
    if (strncmp(text, "TAP version 13\n1..29\n", 21) != 0)
        fail_msg("TAP starts '%.40s'", text);
    size_t not_ok = 0;
    for (const char *p = text; (p = strstr(p, "\nnot ok ")); p++)
        not_ok++;
    assert_int_equal(not_ok, 7);
    free(text);
    /* Perl's TAP::Harness reads all 29 test points and finds the 7. */
    const char *prove[] = {"/usr/bin/prove", "--exec", "cat", tap, NULL};
    assert_int_equal(h_run_cmd(&r, prove, NULL, RUN_TIMEOUT_MS), 0);
    assert_int_equal(r.status, 1);
    if (!strstr(r.out, "Failed 7/29 subtests") || strstr(r.out, "Parse errors"))
        fail_msg("prove: %s", r.out);

    text = s_slurp(junit);
    assert_non_null(strstr(text, "<testsuites"));
    size_t failures = 0;
    for (const char *p = text; (p = strstr(p, "<failure")); p++)
        failures++;
    assert_int_equal(failures, 7);
    free(text);
    /* Parsed by someone else's XML parser, when the machine has one. */
    if (access("/usr/bin/python3", X_OK) == 0) {
        const char *py[] = {"/usr/bin/python3", "-c",
                            "import sys, xml.etree.ElementTree as E\n"
                            "t = E.parse(sys.argv[1]).getroot()\n"
                            "print(len(t.findall('.//testcase')))",
                            junit, NULL};
        h_run p;
        assert_int_equal(h_run_cmd(&p, py, NULL, 30000), 0);
        if (p.status != 0)
            fail_msg("the JUnit file does not parse: %s", p.err);
        assert_string_equal(p.out, "29\n");
    }
    unlink(junit);
    unlink(json);
    unlink(tap);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auditors__task004_pass_online_appends_a_fresh_pass),
        cmocka_unit_test(test_auditors__task004_pass_offline_within_max_age),
        cmocka_unit_test(test_auditors__task004_pass_offline_default_max_age_is_stale),
        cmocka_unit_test(test_auditors__task004_missing_deliverable),
        cmocka_unit_test(test_auditors__task004_no_audit_function),
        cmocka_unit_test(test_auditors__task004_last_run_failed),
        cmocka_unit_test(test_auditors__task004_stale_log),
        cmocka_unit_test(test_auditors__task004_free_form_log),
        cmocka_unit_test(test_auditors__task004_gateway_down_skips_what_needs_it),
        cmocka_unit_test(test_auditors__task004_old_pyzmq_fails),
        cmocka_unit_test(test_auditors__task004_hard_coded_secret_fails_and_is_redacted),
        cmocka_unit_test(test_auditors__task004_parallel_jobs_keep_needs_in_order),
        cmocka_unit_test(test_auditors__task004_only_runs_a_check_and_what_it_needs),
        cmocka_unit_test(test_auditors__task004_usage_errors_exit_2),
        cmocka_unit_test(test_auditors__task106_pass),
        cmocka_unit_test(test_auditors__task106_seed_reproduces_22_of_29),
        cmocka_unit_test(test_auditors__task106_missing_deliverable),
        cmocka_unit_test(test_auditors__task106_low_lint),
        cmocka_unit_test(test_auditors__current_task_picks_the_newest_folder),
        cmocka_unit_test(test_auditors__current_task_named_by_option_or_environment),
        cmocka_unit_test(test_auditors__current_task_refusals_exit_2),
        cmocka_unit_test(test_auditors__current_task_offline_hook_judges_the_committed_log),
        cmocka_unit_test(test_auditors__gate1_validates_and_lists_both_manifests),
        cmocka_unit_test(test_auditors__gate1_seed_text_and_reports_in_one_run),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
