/*  test_gate.c - the runner: needs, skip conditions, waivers, --fail-fast,
 *  --only, retries, timeouts, threads, `since: run` and redaction.
 *
 *  Manifests are built by hand here (the loader has its own tests), from
 *  file checks (pass or fail by whether a file exists in the sandbox) and
 *  shell command checks (sleeps, counters, output).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mt5/clock.h"
#include "mt5/error.h"
#include "mt5/gate.h"

#define NOW_MS 1790000000000LL /* 2026-09-21, fixed so waivers are deterministic */
#define DAY_MS 86400000LL

static char s_root[64];

static int s_setup(void **state)
{
    (void)state;
    snprintf(s_root, sizeof s_root, "/tmp/mt5-gate-XXXXXX");
    if (!mkdtemp(s_root))
        return -1;
    char path[128];
    snprintf(path, sizeof path, "%s/present.txt", s_root);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs("hello\n", f);
    return fclose(f);
}

static int s_teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_root);
    return system(cmd);
}

/* ---- building manifests ------------------------------------------------ */

typedef struct {
    mt5_manifest_t m;
    mt5_phase_t phases[2];
    mt5_check_t checks[16];
} s_manifest_t;

static void s_init(s_manifest_t *sm)
{
    memset(sm, 0, sizeof *sm);
    sm->m.id = "unit";
    sm->m.title = "runner";
    sm->m.path = "unit.yaml";
    sm->phases[0].id = "one";
    sm->phases[0].title = "Phase one";
    sm->phases[1].id = "two";
    sm->phases[1].title = "Phase two";
    sm->m.phases = sm->phases;
    sm->m.n_phases = 2;
    sm->m.checks = sm->checks;
}

static mt5_check_t *s_add(s_manifest_t *sm, const char *id, const char *phase, mt5_check_kind kind)
{
    mt5_check_t *c = &sm->checks[sm->m.n_checks++];
    c->id = strdup(id);
    c->phase = strdup(phase);
    c->description = strdup(id);
    c->kind = kind;
    c->timeout_ms = 5000;
    c->file = strdup("unit.yaml");
    c->line = (int)sm->m.n_checks;
    c->column = 3;
    return c;
}

/* A file check: passes when `path` exists in the sandbox. */
static mt5_check_t *s_file(s_manifest_t *sm, const char *id, const char *phase, const char *path)
{
    mt5_check_t *c = s_add(sm, id, phase, MT5_CHECK_FILE);
    c->u.file.path = strdup(path);
    c->u.file.min_lines = c->u.file.max_lines = c->u.file.max_bytes = -1;
    return c;
}

/* A shell command check, exit 0 expected. */
static mt5_check_t *s_sh(s_manifest_t *sm, const char *id, const char *script)
{
    mt5_check_t *c = s_add(sm, id, "two", MT5_CHECK_COMMAND);
    c->u.command.shell = true;
    c->u.command.argv.items = calloc(1, sizeof(char *));
    c->u.command.argv.items[0] = strdup(script);
    c->u.command.argv.count = 1;
    return c;
}

static void s_need(mt5_check_t *c, const char *id)
{
    c->needs.items = realloc(c->needs.items, (c->needs.count + 1) * sizeof(char *));
    c->needs.items[c->needs.count++] = strdup(id);
}

static void s_free(s_manifest_t *sm)
{
    for (size_t i = 0; i < sm->m.n_checks; i++)
        mt5_check_free(&sm->checks[i]);
    for (size_t i = 0; i < sm->m.secrets.count; i++)
        free(sm->m.secrets.items[i]);
    free(sm->m.secrets.items);
}

static mt5_gate_run_t *s_run(s_manifest_t *sm, mt5_gate_options *o)
{
    o->root = s_root;
    if (!o->now_ms)
        o->now_ms = NOW_MS;
    mt5_gate_run_t *run = NULL;
    assert_int_equal(mt5_gate_run(&run, &sm->m, o), MT5_OK);
    assert_non_null(run);
    return run;
}

/* The counts of a run, through the one function reports use. */
static const size_t *s_count(const mt5_gate_run_t *run)
{
    static size_t counts[MT5_STATUS_COUNT];
    mt5_gate_count(counts, run, NULL);
    return counts;
}

static const mt5_gate_check_result_t *s_res(const mt5_gate_run_t *run, const char *id)
{
    for (size_t i = 0; i < run->n_results; i++)
        if (strcmp(run->results[i].check->id, id) == 0)
            return &run->results[i];
    fail_msg("no result %s", id);
    return NULL;
}

/* ---- tests --------------------------------------------------------------- */

static void test_gate__needs_skip_a_failed_chain(void **state)
{
    (void)state;
    s_manifest_t sm;
    s_init(&sm);
    s_file(&sm, "a", "one", "missing.txt");
    s_need(s_file(&sm, "b", "one", "present.txt"), "a");
    s_need(s_file(&sm, "c", "two", "present.txt"), "b");
    s_file(&sm, "d", "two", "present.txt");
    mt5_gate_options o = MT5_GATE_OPTIONS_INIT;
    mt5_gate_run_t *run = s_run(&sm, &o);
    assert_int_equal(s_res(run, "a")->status, MT5_STATUS_FAIL);
    assert_int_equal(s_res(run, "b")->status, MT5_STATUS_SKIP);
    assert_string_equal(s_res(run, "b")->message, "needs a, which failed");
    assert_int_equal(s_res(run, "b")->attempts, 0);
    assert_int_equal(s_res(run, "c")->status, MT5_STATUS_SKIP);
    assert_string_equal(s_res(run, "c")->message, "needs b, which was skipped");
    assert_int_equal(s_res(run, "d")->status, MT5_STATUS_PASS);
    assert_int_equal(run->selected, 4);
    assert_int_equal(s_count(run)[MT5_STATUS_PASS], 1);
    assert_int_equal(s_count(run)[MT5_STATUS_FAIL], 1);
    assert_int_equal(s_count(run)[MT5_STATUS_SKIP], 2);
    size_t one[MT5_STATUS_COUNT];
    assert_int_equal(mt5_gate_count(one, run, "one"), 2); /* a fails, b skipped */
    assert_int_equal(one[MT5_STATUS_FAIL], 1);
    assert_int_equal(one[MT5_STATUS_SKIP], 1);
    assert_int_equal(one[MT5_STATUS_PASS], 0);
    assert_false(mt5_gate_passed(run));
    mt5_gate_run_destroy(&run);
    assert_null(run);
    s_free(&sm);
}

static void test_gate__skip_condition_does_not_block_dependents(void **state)
{
    (void)state;
    s_manifest_t sm;
    s_init(&sm);
    mt5_check_t *a = s_file(&sm, "a", "one", "missing.txt");
    a->skip = true;
    a->skip_reason = strdup("offline run");
    s_need(s_file(&sm, "b", "one", "present.txt"), "a");
    mt5_gate_options o = MT5_GATE_OPTIONS_INIT;
    mt5_gate_run_t *run = s_run(&sm, &o);
    assert_int_equal(s_res(run, "a")->status, MT5_STATUS_SKIP);
    assert_string_equal(s_res(run, "a")->message, "skipped: offline run");
    assert_int_equal(s_res(run, "b")->status, MT5_STATUS_PASS);
    assert_true(mt5_gate_passed(run));
    mt5_gate_run_destroy(&run);
    s_free(&sm);
}

static void test_gate__waivers(void **state)
{
    (void)state;
    s_manifest_t sm;
    s_init(&sm);
    struct {
        const char *id, *path;
        int64_t until;
        mt5_status want;
    } cases[] = {
        {"fails-waived", "missing.txt", NOW_MS + DAY_MS, MT5_STATUS_WAIVED},
        {"passes-waived", "present.txt", NOW_MS + DAY_MS, MT5_STATUS_PASS},
        {"fails-expired", "missing.txt", NOW_MS - DAY_MS, MT5_STATUS_FAIL},
        {"passes-expired", "present.txt", NOW_MS, MT5_STATUS_FAIL},
    };
    for (size_t i = 0; i < 4; i++) {
        mt5_check_t *c = s_file(&sm, cases[i].id, "one", cases[i].path);
        c->waiver_reason = strdup("vendor fix due");
        c->waiver_expires = strdup("2026-09-20");
        c->waiver_until_ms = cases[i].until;
    }
    mt5_gate_options o = MT5_GATE_OPTIONS_INIT;
    mt5_gate_run_t *run = s_run(&sm, &o);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(s_res(run, cases[i].id)->status, cases[i].want);
    assert_string_equal(s_res(run, "passes-expired")->message,
                        "the waiver expired on 2026-09-20 (vendor fix due); renew or remove it. "
                        "The check itself: pass: present.txt is present (6 bytes, 1 line)");
    assert_int_equal(s_count(run)[MT5_STATUS_WAIVED], 1);
    assert_int_equal(s_count(run)[MT5_STATUS_FAIL], 2);
    mt5_gate_run_destroy(&run);
    s_free(&sm);
}

static void test_gate__fail_fast_skips_the_rest(void **state)
{
    (void)state;
    s_manifest_t sm;
    s_init(&sm);
    s_file(&sm, "a", "one", "present.txt");
    s_file(&sm, "b", "one", "missing.txt");
    s_file(&sm, "c", "two", "present.txt");
    mt5_gate_options o = MT5_GATE_OPTIONS_INIT;
    o.fail_fast = true;
    mt5_gate_run_t *run = s_run(&sm, &o);
    assert_int_equal(s_res(run, "a")->status, MT5_STATUS_PASS);
    assert_int_equal(s_res(run, "b")->status, MT5_STATUS_FAIL);
    assert_int_equal(s_res(run, "c")->status, MT5_STATUS_SKIP);
    assert_string_equal(s_res(run, "c")->message,
                        "not run: --fail-fast stopped the run after b failed");
    mt5_gate_run_destroy(&run);
    s_free(&sm);
}

static void test_gate__only_pulls_in_needs(void **state)
{
    (void)state;
    s_manifest_t sm;
    s_init(&sm);
    s_file(&sm, "a", "one", "present.txt");
    s_file(&sm, "b", "one", "present.txt");
    s_need(s_file(&sm, "c", "two", "present.txt"), "a");
    s_file(&sm, "d", "two", "present.txt");
    const char *only[] = {"c"};
    mt5_gate_options o = MT5_GATE_OPTIONS_INIT;
    o.only = only;
    o.n_only = 1;
    mt5_gate_run_t *run = s_run(&sm, &o);
    assert_int_equal(run->selected, 2);
    assert_true(s_res(run, "a")->selected);
    assert_false(s_res(run, "b")->selected);
    assert_true(s_res(run, "c")->selected);
    assert_false(s_res(run, "d")->selected);
    assert_int_equal(s_res(run, "b")->attempts, 0);
    mt5_gate_run_destroy(&run);

    const char *phase[] = {"one"};
    o.only = phase;
    run = s_run(&sm, &o);
    assert_int_equal(run->selected, 2);
    assert_true(s_res(run, "a")->selected && s_res(run, "b")->selected);
    mt5_gate_run_destroy(&run);

    const char *nothing[] = {"nope"};
    o.only = nothing;
    assert_int_equal(mt5_gate_run(&run, &sm.m, &o), MT5_ENOTFOUND);
    assert_null(run);
    assert_string_equal(mt5_error_detail(), "--only 'nope' names no check or phase of unit.yaml");
    s_free(&sm);
}

static void test_gate__needs_must_point_backwards(void **state)
{
    (void)state;
    s_manifest_t sm;
    s_init(&sm);
    s_need(s_file(&sm, "a", "one", "present.txt"), "b");
    s_file(&sm, "b", "one", "present.txt");
    mt5_gate_options o = MT5_GATE_OPTIONS_INIT;
    o.root = s_root;
    mt5_gate_run_t *run = NULL;
    assert_int_equal(mt5_gate_run(&run, &sm.m, &o), MT5_EINVAL);
    assert_null(run);
    assert_string_equal(mt5_error_detail(), "a needs 'b', which is not declared before it");
    s_free(&sm);
}

static void test_gate__retries_until_a_pass(void **state)
{
    (void)state;
    s_manifest_t sm;
    s_init(&sm);
    /* Fails twice, then passes: a counter in the sandbox. */
    mt5_check_t *c = s_sh(&sm, "flaky",
                          "n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; "
                          "test $n -ge 3");
    c->retries = 5;
    c->retry_delay_ms = 10;
    mt5_check_t *d = s_sh(&sm, "broken", "exit 3");
    d->retries = 2;
    d->retry_delay_ms = 10;
    mt5_gate_options o = MT5_GATE_OPTIONS_INIT;
    mt5_gate_run_t *run = s_run(&sm, &o);
    assert_int_equal(s_res(run, "flaky")->status, MT5_STATUS_PASS);
    assert_int_equal(s_res(run, "flaky")->attempts, 3);
    assert_int_equal(s_res(run, "broken")->status, MT5_STATUS_FAIL);
    assert_int_equal(s_res(run, "broken")->attempts, 3);
    mt5_gate_run_destroy(&run);
    s_free(&sm);
}

static void test_gate__timeout_is_an_error_not_a_failure(void **state)
{
    (void)state;
    s_manifest_t sm;
    s_init(&sm);
    mt5_check_t *c = s_sh(&sm, "slow", "sleep 5");
    c->timeout_ms = 200;
    mt5_gate_options o = MT5_GATE_OPTIONS_INIT;
    mt5_gate_run_t *run = s_run(&sm, &o);
    const mt5_gate_check_result_t *r = s_res(run, "slow");
    assert_int_equal(r->status, MT5_STATUS_ERROR);
    assert_true(r->timed_out);
    assert_string_equal(r->message, "timed out after 200 ms");
    assert_true(r->duration_ms >= 200 && r->duration_ms < 3000);
    assert_int_equal(s_count(run)[MT5_STATUS_ERROR], 1);
    assert_false(mt5_gate_passed(run));
    mt5_gate_run_destroy(&run);
    s_free(&sm);
}

/* With two jobs, two sleeps overlap: the second starts before the first ends. */
static void test_gate__jobs_run_checks_at_once(void **state)
{
    (void)state;
    s_manifest_t sm;
    s_init(&sm);
    s_sh(&sm, "s1", "sleep 0.4");
    s_sh(&sm, "s2", "sleep 0.4");
    s_need(s_sh(&sm, "after", "true"), "s1");
    mt5_gate_options o = MT5_GATE_OPTIONS_INIT;
    o.jobs = 2;
    mt5_gate_run_t *run = s_run(&sm, &o);
    const mt5_gate_check_result_t *a = s_res(run, "s1"), *b = s_res(run, "s2"),
                                  *c = s_res(run, "after");
    assert_int_equal(a->status, MT5_STATUS_PASS);
    assert_int_equal(b->status, MT5_STATUS_PASS);
    assert_true(b->started_ms < a->started_ms + a->duration_ms);
    assert_true(c->started_ms >= a->started_ms + a->duration_ms);
    mt5_gate_run_destroy(&run);

    o.jobs = 1;
    run = s_run(&sm, &o);
    a = s_res(run, "s1");
    b = s_res(run, "s2");
    assert_true(b->started_ms >= a->started_ms + a->duration_ms);
    mt5_gate_run_destroy(&run);
    s_free(&sm);
}

#define LOG_PASS                                                                                   \
    "2026-09-21T00:00:00.000Z INFO verify: RESULT PASS endpoint=tcp://127.0.0.1:5555 rtt_us=9 "    \
    "reply=OK_FROM_MT5"

static void test_gate__log_since_run_ignores_older_lines(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/VERIFY_LOG.log", s_root);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(LOG_PASS "\n", f);
    fclose(f);

    s_manifest_t sm;
    s_init(&sm);
    mt5_check_t *old = s_add(&sm, "old-only", "one", MT5_CHECK_LOG);
    old->u.log.path = strdup("VERIFY_LOG.log");
    old->u.log.expect = strdup("OK_FROM_MT5");
    old->u.log.max_age_ms = -1;
    old->u.log.since_run = true;
    s_sh(&sm, "append", "echo '" LOG_PASS "' >> VERIFY_LOG.log");
    mt5_check_t *fresh = s_add(&sm, "fresh", "two", MT5_CHECK_LOG);
    fresh->u.log.path = strdup("VERIFY_LOG.log");
    fresh->u.log.expect = strdup("OK_FROM_MT5");
    fresh->u.log.max_age_ms = -1;
    fresh->u.log.since_run = true;
    s_need(fresh, "append");
    mt5_gate_options o = MT5_GATE_OPTIONS_INIT;
    mt5_gate_run_t *run = s_run(&sm, &o);
    assert_int_equal(s_res(run, "old-only")->status, MT5_STATUS_FAIL);
    assert_int_equal(s_res(run, "append")->status, MT5_STATUS_PASS);
    assert_int_equal(s_res(run, "fresh")->status, MT5_STATUS_PASS);
    mt5_gate_run_destroy(&run);
    s_free(&sm);
    unlink(path);
}

static void test_gate__secrets_are_redacted_from_results(void **state)
{
    (void)state;
    s_manifest_t sm;
    s_init(&sm);
    sm.m.secrets.items = calloc(2, sizeof(char *));
    sm.m.secrets.items[0] = strdup("hunter2-secret");
    sm.m.secrets.items[1] = strdup("abc"); /* too short to redact */
    sm.m.secrets.count = 2;
    s_sh(&sm, "leaky", "echo token=hunter2-secret abc hunter2-secret; exit 1");
    mt5_check_t *skipped = s_file(&sm, "skipped", "one", "present.txt");
    skipped->skip = true;
    skipped->skip_reason = strdup("offline, token hunter2-secret");
    mt5_gate_options o = MT5_GATE_OPTIONS_INIT;
    mt5_gate_run_t *run = s_run(&sm, &o);
    const mt5_gate_check_result_t *r = s_res(run, "leaky");
    assert_int_equal(r->status, MT5_STATUS_FAIL);
    assert_null(strstr(r->evidence, "hunter2"));
    assert_non_null(strstr(r->evidence, "token=*** abc ***"));
    assert_string_equal(s_res(run, "skipped")->message, "skipped: offline, token ***");
    mt5_gate_run_destroy(&run);
    s_free(&sm);
}

static void test_gate__redact_in_place(void **state)
{
    (void)state;
    mt5_strv_t secrets = {(char *[]){"s3cr3t", "key", "aaaa"}, 3};
    char text[] = "x=s3cr3t;y=s3cr3ts3cr3t key aaaaaa";
    mt5_redact(text, &secrets);
    assert_string_equal(text, "x=***;y=****** key ***aa");
    mt5_redact(NULL, &secrets); /* harmless */
}

static int s_progress_calls;
static const mt5_check_t *s_progress_slow;

static void s_on_progress(void *arg, const mt5_gate_run_t *run, size_t done,
                          const mt5_check_t *running, int64_t running_ms)
{
    (void)arg;
    (void)run;
    (void)done;
    s_progress_calls++;
    if (running && running_ms >= 50)
        s_progress_slow = running;
}

static void test_gate__progress_reports_a_slow_check(void **state)
{
    (void)state;
    s_manifest_t sm;
    s_init(&sm);
    s_sh(&sm, "slowish", "sleep 0.6");
    mt5_gate_options o = MT5_GATE_OPTIONS_INIT;
    o.progress = s_on_progress;
    o.progress_delay_ms = 50;
    s_progress_calls = 0;
    s_progress_slow = NULL;
    mt5_gate_run_t *run = s_run(&sm, &o);
    assert_true(s_progress_calls >= 1);
    assert_ptr_equal(s_progress_slow, &sm.checks[0]);
    mt5_gate_run_destroy(&run);
    s_free(&sm);
}

static void test_gate__bad_options(void **state)
{
    (void)state;
    s_manifest_t sm;
    s_init(&sm);
    s_file(&sm, "a", "one", "present.txt");
    mt5_gate_run_t *run = NULL;
    mt5_gate_options o = MT5_GATE_OPTIONS_INIT;
    assert_int_equal(mt5_gate_run(&run, &sm.m, &o), MT5_EINVAL); /* no root */
    o.root = "/nonexistent/mt5-root";
    assert_int_equal(mt5_gate_run(&run, &sm.m, &o), MT5_EINVAL);
    assert_null(run);
    o.root = s_root;
    o.jobs = 65;
    assert_int_equal(mt5_gate_run(&run, &sm.m, &o), MT5_EINVAL);
    assert_string_equal(mt5_error_detail(), "gate run: jobs must be 1 to 64, not 65");
    o.jobs = 0;
    assert_int_equal(mt5_gate_run(&run, &sm.m, &o), MT5_EINVAL);
    o.jobs = 1;
    o.version = 99;
    assert_int_equal(mt5_gate_run(&run, &sm.m, &o), MT5_EINVAL);
    assert_false(mt5_gate_passed(NULL));
    mt5_gate_run_destroy(NULL);
    s_free(&sm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gate__needs_skip_a_failed_chain),
        cmocka_unit_test(test_gate__skip_condition_does_not_block_dependents),
        cmocka_unit_test(test_gate__waivers),
        cmocka_unit_test(test_gate__fail_fast_skips_the_rest),
        cmocka_unit_test(test_gate__only_pulls_in_needs),
        cmocka_unit_test(test_gate__needs_must_point_backwards),
        cmocka_unit_test(test_gate__retries_until_a_pass),
        cmocka_unit_test(test_gate__timeout_is_an_error_not_a_failure),
        cmocka_unit_test(test_gate__jobs_run_checks_at_once),
        cmocka_unit_test(test_gate__log_since_run_ignores_older_lines),
        cmocka_unit_test(test_gate__secrets_are_redacted_from_results),
        cmocka_unit_test(test_gate__redact_in_place),
        cmocka_unit_test(test_gate__progress_reports_a_slow_check),
        cmocka_unit_test(test_gate__bad_options),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
