/*  test_report.c - a gate run written out in the five formats: each one
 *  byte-exact against a golden file for a small run that has every status
 *  (pass, fail with a fix hint, a timed-out error, skip, waived, and a
 *  check left out by --only), JSON read back field by field, hostile
 *  messages (XML specials, control characters, invalid UTF-8, '#') that
 *  must still give well-formed XML, TAP and YAML, colour on and off, pass
 *  rates, and failed writes.
 *
 *  The manifest and the run are built by hand (their structs are public),
 *  so this tests the writers alone. Set MT5_GOLDEN_UPDATE=1 to rewrite the
 *  golden files under tests/golden/report/ from the current output, then
 *  read the diff before keeping it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mt5/error.h"
#include "mt5/json.h"
#include "mt5/report.h"
#include "mt5/yaml.h"

#define GOLDEN_DIR MT5_SOURCE_DIR "/tests/golden/report/"
#define T0_MS 1735787045678LL /* 2025-01-02T03:04:05.678Z */
#define MAX_CHECKS 4000

/* ---- a hand-built manifest and run ------------------------------------- */

typedef struct {
    mt5_manifest_t *m;
    mt5_gate_run_t *run;
    char (*ids)[24]; /* generated check ids, one per check */
} s_fix_t;

static s_fix_t s_fix_new(size_t n_phases, size_t n_checks)
{
    s_fix_t f;
    f.m = calloc(1, sizeof *f.m);
    f.run = calloc(1, sizeof *f.run);
    assert_non_null(f.m);
    assert_non_null(f.run);
    f.m->id = "task-106";
    f.m->title = "MT5 Live Bridge";
    f.m->path = "gates/task-106.yaml";
    memset(f.m->sha256, 'a', 64);
    f.m->phases = calloc(n_phases, sizeof *f.m->phases);
    f.m->n_phases = n_phases;
    f.m->checks = calloc(n_checks, sizeof *f.m->checks);
    f.m->n_checks = n_checks;
    f.run->manifest = f.m;
    snprintf(f.run->root, sizeof f.run->root, "/srv/mt5-crs");
    f.run->started_ms = T0_MS;
    f.run->finished_ms = T0_MS + 7222;
    f.run->results = calloc(n_checks, sizeof *f.run->results);
    f.run->n_results = n_checks;
    f.ids = calloc(n_checks, sizeof *f.ids);
    assert_true(f.m->phases && f.m->checks && f.run->results && f.ids);
    for (size_t i = 0; i < n_checks; i++) {
        mt5_check_t *c = &f.m->checks[i];
        snprintf(f.ids[i], sizeof f.ids[i], "c%zu", i + 1);
        c->id = f.ids[i];
        c->description = "a check";
        c->file = "gates/task-106.yaml";
        c->line = (int)(10 + 8 * i);
        c->column = 5;
        f.run->results[i].check = c;
        f.run->results[i].selected = true;
        f.run->results[i].attempts = 1;
    }
    return f;
}

static void s_fix_free(s_fix_t *f)
{
    free(f->m->phases);
    free(f->m->checks);
    free(f->m);
    free(f->run->results);
    free(f->run);
    free(f->ids);
}

static void s_result(s_fix_t *f, size_t i, mt5_status st, const char *message, const char *evidence)
{
    mt5_gate_check_result_t *r = &f->run->results[i];
    r->status = st;
    snprintf(r->message, sizeof r->message, "%s", message);
    snprintf(r->evidence, sizeof r->evidence, "%s", evidence);
}

/* Every status once, one check not selected, and a phase with no check. */
static s_fix_t s_fix_small(void)
{
    s_fix_t f = s_fix_new(5, 6);
    mt5_phase_t *p = f.m->phases;
    p[0] = (mt5_phase_t){"deliver", "Deliverables Check"};
    p[1] = (mt5_phase_t){"static", "Static Code Quality"};
    p[2] = (mt5_phase_t){"runtime", NULL}; /* no title: the id is shown */
    p[3] = (mt5_phase_t){"docs", "Documentation"};
    p[4] = (mt5_phase_t){"unused", "Nothing Selected"};
    mt5_check_t *c = f.m->checks;
    c[0].id = "readme";
    c[0].phase = "deliver";
    c[0].kind = MT5_CHECK_FILE;
    c[0].description = "README.md is present";
    c[1].id = "pylint";
    c[1].phase = "static";
    c[1].kind = MT5_CHECK_COMMAND;
    c[1].description = "pylint scores 8.0 or better";
    c[1].fix = "add docstrings, then run pylint src/";
    c[2].id = "bridge";
    c[2].phase = "runtime";
    c[2].kind = MT5_CHECK_HANDSHAKE;
    c[2].description = "the gateway answers Hello";
    c[3].id = "arch";
    c[3].phase = "docs";
    c[3].kind = MT5_CHECK_SECTIONS;
    c[3].description = "ARCHITECTURE.md has its sections";
    c[4].id = "mypy";
    c[4].phase = "static";
    c[4].kind = MT5_CHECK_COMMAND;
    c[4].description = "mypy finds no type errors";
    c[4].waiver_reason = "type hints land in task-107";
    c[4].waiver_expires = "2099-12-31";
    c[5].id = "hidden";
    c[5].phase = "deliver";
    c[5].kind = MT5_CHECK_FILE;
    c[5].description = "left out by --only";

    s_result(&f, 0, MT5_STATUS_PASS, "README.md: 120 lines", "");
    f.run->results[0].duration_ms = 3;
    s_result(&f, 1, MT5_STATUS_FAIL, "score 0.00 is below 8.0",
             "Your code has been rated at 0.00/10\n"
             "src/a.py:1:0: C0114 missing-module-docstring\n"
             "\n"
             "src/b.py:1:0: C0114 missing-module-docstring\n");
    f.run->results[1].duration_ms = 1234;
    f.run->results[1].attempts = 2;
    s_result(&f, 2, MT5_STATUS_ERROR, "timed out after 5000 ms", "");
    f.run->results[2].timed_out = true;
    f.run->results[2].duration_ms = 5001;
    s_result(&f, 3, MT5_STATUS_SKIP, "needs pylint, which did not pass", "");
    f.run->results[3].attempts = 0;
    s_result(&f, 4, MT5_STATUS_WAIVED, "3 type errors", "src/a.py:3: error: missing annotation");
    f.run->results[4].duration_ms = 950;
    s_result(&f, 5, MT5_STATUS_PASS, "never shown", "");
    f.run->results[5].selected = false;
    return f;
}

/* ---- rendering --------------------------------------------------------- */

static char *s_render_opt(const s_fix_t *f, mt5_report_format format, const mt5_report_options *opt)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    int rc = mt5_report_write(out, f->run, format, opt);
    if (rc != MT5_OK)
        fail_msg("mt5_report_write: %s: %s", mt5_strerror(rc), mt5_error_detail());
    assert_int_equal(fclose(out), 0);
    assert_int_equal(strlen(buf), len); /* no NUL byte inside */
    return buf;
}

static char *s_render(const s_fix_t *f, mt5_report_format format)
{
    mt5_report_options opt = MT5_REPORT_OPTIONS_INIT;
    opt.tool = "gate1 0.1.0";
    opt.hostname = "ci-runner-7";
    return s_render_opt(f, format, &opt);
}

static char *s_slurp(const char *path)
{
    FILE *in = fopen(path, "rb");
    if (!in)
        fail_msg("%s: cannot open (MT5_GOLDEN_UPDATE=1 writes it)", path);
    assert_int_equal(fseek(in, 0, SEEK_END), 0);
    long n = ftell(in);
    assert_true(n >= 0);
    rewind(in);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, in), (size_t)n);
    buf[n] = '\0';
    fclose(in);
    return buf;
}

static void s_spit(const char *path, const char *text)
{
    FILE *out = fopen(path, "wb");
    assert_non_null(out);
    assert_int_equal(fwrite(text, 1, strlen(text), out), strlen(text));
    assert_int_equal(fclose(out), 0);
}

/* The output must equal the golden file byte for byte. On a mismatch the
 * first differing line is shown. */
static void s_golden(const char *name, const char *got)
{
    char path[512];
    snprintf(path, sizeof path, "%s%s", GOLDEN_DIR, name);
    const char *update = getenv("MT5_GOLDEN_UPDATE");
    if (update && strcmp(update, "1") == 0)
        s_spit(path, got);
    char *want = s_slurp(path);
    if (strcmp(want, got) != 0) {
        size_t i = 0, line = 1, bol = 0;
        for (; want[i] && want[i] == got[i]; i++) {
            if (want[i] == '\n') {
                line++;
                bol = i + 1;
            }
        }
        fail_msg("%s differs at line %zu:\nwant: %.120s\ngot:  %.120s", name, line, want + bol,
                 got + bol);
    }
    free(want);
}

/* A sandbox file holding `text`; returns its path in buf. */
static void s_sandbox_file(char *dir, size_t dircap, char *path, size_t cap, const char *name,
                           const char *text)
{
    snprintf(dir, dircap, "/tmp/mt5-report-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, cap, "%s/%s", dir, name);
    s_spit(path, text);
}

static bool s_have(const char *tool)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tool);
    return system(cmd) == 0;
}

/* The XML must be well-formed: xmllint when it is there, else Python's
 * parser; neither is a failure, never a silent pass. */
static void s_assert_well_formed_xml(const char *xml)
{
    char dir[64], path[128], cmd[512];
    s_sandbox_file(dir, sizeof dir, path, sizeof path, "report.xml", xml);
    if (s_have("xmllint")) {
        snprintf(cmd, sizeof cmd, "xmllint --noout '%s'", path);
    } else if (s_have("python3")) {
        snprintf(cmd, sizeof cmd,
                 "python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' '%s'",
                 path);
    } else {
        fail_msg("neither xmllint nor python3 is installed: cannot check the JUnit XML");
    }
    int rc = system(cmd);
    unlink(path);
    rmdir(dir);
    if (rc != 0)
        fail_msg("not well-formed XML (%s):\n%s", cmd, xml);
}

/* Python's parser too (when present): GitLab and Jenkins use a strict one. */
static void s_assert_python_parses_xml(const char *xml)
{
    if (!s_have("python3"))
        return; /* s_assert_well_formed_xml has already checked with xmllint */
    char dir[64], path[128], cmd[512];
    s_sandbox_file(dir, sizeof dir, path, sizeof path, "report.xml", xml);
    snprintf(cmd, sizeof cmd,
             "python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' '%s'",
             path);
    int rc = system(cmd);
    unlink(path);
    rmdir(dir);
    assert_int_equal(rc, 0);
}

static size_t s_count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* ---- formats ------------------------------------------------------------ */

static void test_report__format_names_parse_both_ways(void **state)
{
    (void)state;
    static const char *const names[] = {"text", "json", "junit", "tap", "markdown"};
    for (int i = 0; i < 5; i++) {
        mt5_report_format f = (mt5_report_format)99;
        assert_int_equal(mt5_report_format_parse(&f, names[i]), MT5_OK);
        assert_int_equal(f, i);
        assert_string_equal(mt5_report_format_name(f), names[i]);
    }
    mt5_report_format f = MT5_REPORT_TAP;
    assert_int_equal(mt5_report_format_parse(&f, "xml"), MT5_ENOTFOUND);
    assert_non_null(strstr(mt5_error_detail(), "'xml'"));
    assert_int_equal(mt5_report_format_parse(&f, "JSON"), MT5_ENOTFOUND);
    assert_int_equal(mt5_report_format_parse(&f, ""), MT5_ENOTFOUND);
    assert_int_equal(mt5_report_format_parse(&f, NULL), MT5_ENOTFOUND);
    assert_int_equal(f, MT5_REPORT_TAP); /* untouched on failure */
    assert_int_equal(mt5_report_format_parse(NULL, "json"), MT5_EINVAL);
    assert_null(mt5_report_format_name((mt5_report_format)5));
    assert_null(mt5_report_format_name((mt5_report_format)-1));
}

static void test_report__bad_arguments_are_einval(void **state)
{
    (void)state;
    s_fix_t f = s_fix_small();
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    mt5_report_options opt = MT5_REPORT_OPTIONS_INIT;
    assert_int_equal(mt5_report_write(NULL, f.run, MT5_REPORT_TEXT, &opt), MT5_EINVAL);
    assert_int_equal(mt5_report_write(out, NULL, MT5_REPORT_TEXT, &opt), MT5_EINVAL);
    assert_int_equal(mt5_report_write(out, f.run, (mt5_report_format)5, &opt), MT5_EINVAL);
    assert_int_equal(mt5_report_write(out, f.run, (mt5_report_format)-1, &opt), MT5_EINVAL);
    opt.version = 2;
    assert_int_equal(mt5_report_write(out, f.run, MT5_REPORT_TEXT, &opt), MT5_EINVAL);
    assert_non_null(strstr(mt5_error_detail(), "version"));
    f.run->manifest = NULL;
    assert_int_equal(mt5_report_write(out, f.run, MT5_REPORT_TEXT, NULL), MT5_EINVAL);
    f.run->manifest = f.m;
    mt5_gate_check_result_t *results = f.run->results;
    f.run->results = NULL;
    assert_int_equal(mt5_report_write(out, f.run, MT5_REPORT_TEXT, NULL), MT5_EINVAL);
    f.run->results = results;
    assert_int_equal(fclose(out), 0);
    assert_int_equal(len, 0); /* nothing written by a refused call */
    free(buf);
    s_fix_free(&f);
}

static void test_report__text_matches_golden(void **state)
{
    (void)state;
    s_fix_t f = s_fix_small();
    char *text = s_render(&f, MT5_REPORT_TEXT);
    s_golden("text.txt", text);
    /* What the golden file must say, spelled out. */
    assert_non_null(strstr(text, "█ AUDIT SUMMARY  task-106: MT5 Live Bridge\n"));
    assert_non_null(strstr(text, "Total Checks: 5\nPassed: 1\nFailed: 1\nErrors: 1\n"
                                 "Skipped: 1\nWaived: 1\nPass Rate: 20.0%\n"));
    assert_non_null(strstr(text, "  FAIL  Static Code Quality  0/2 passed, 1 failed, 1 waived\n"));
    assert_non_null(strstr(text, "  FAIL  runtime              0/1 passed, 1 error\n"));
    assert_non_null(strstr(text, "        fix: add docstrings, then run pylint src/\n"));
    assert_non_null(strstr(text, "  ERROR [runtime] bridge: timed out after 5000 ms\n"));
    assert_non_null(strstr(text, "waived until 2099-12-31: type hints land in task-107\n"));
    assert_non_null(strstr(text, "  SKIP  [docs] arch: needs pylint, which did not pass\n"));
    assert_null(strstr(text, "Nothing Selected"));
    assert_null(strstr(text, "hidden"));
    assert_null(strstr(text, "\033"));
    const char *last = "Gate 1: FAILED (1 of 5 checks failed, 1 error)\n";
    assert_string_equal(text + strlen(text) - strlen(last), last);
    free(text);
    s_fix_free(&f);
}

/* Drop every ANSI colour sequence ("\033[...m"). */
static void s_strip_ansi(char *s)
{
    char *w = s;
    for (const char *p = s; *p;) {
        if (*p == '\033') {
            const char *m = strchr(p, 'm');
            assert_non_null(m);
            p = m + 1;
        } else {
            *w++ = *p++;
        }
    }
    *w = '\0';
}

static void test_report__text_colour_only_when_asked(void **state)
{
    (void)state;
    s_fix_t f = s_fix_small();
    mt5_report_options opt = MT5_REPORT_OPTIONS_INIT;
    opt.tool = "gate1 0.1.0";
    opt.hostname = "ci-runner-7";
    opt.color = true;
    char *plain = s_render(&f, MT5_REPORT_TEXT);
    char *color = s_render_opt(&f, MT5_REPORT_TEXT, &opt);
    s_golden("text-color.txt", color);
    assert_non_null(strstr(color, "  \033[32mPASS\033[0m  Deliverables Check"));
    assert_non_null(strstr(color, "  \033[31mFAIL\033[0m  [static] pylint"));
    assert_non_null(strstr(color, "  \033[31mERROR\033[0m [runtime] bridge"));
    assert_non_null(strstr(color, "  \033[33mWAIVED\033[0m [static] mypy"));
    assert_non_null(strstr(color, "  \033[33mSKIP\033[0m  Documentation"));
    assert_non_null(strstr(color, "Gate 1: \033[31mFAILED\033[0m (1 of 5"));
    /* 4 phases, 2 failed, 1 waived, 1 skipped, the verdict: 9 colour runs. */
    assert_int_equal(s_count(color, "\033[0m"), 9);
    s_strip_ansi(color);
    assert_string_equal(color, plain); /* colour adds nothing else */
    free(plain);
    free(color);

    /* The other formats never colour. */
    for (int fmt = MT5_REPORT_JSON; fmt <= MT5_REPORT_MARKDOWN; fmt++) {
        char *out = s_render_opt(&f, (mt5_report_format)fmt, &opt);
        assert_null(strstr(out, "\033"));
        free(out);
    }
    s_fix_free(&f);
}

static void test_report__text_pass_rate_and_passing_gate(void **state)
{
    (void)state;
    /* Seed 003: 29 checks, 22 passed, 7 failed, 75.9%. */
    s_fix_t f = s_fix_new(1, 29);
    f.m->phases[0] = (mt5_phase_t){"static", "Static Code Quality"};
    for (size_t i = 0; i < 29; i++) {
        f.m->checks[i].phase = "static";
        s_result(&f, i, i < 22 ? MT5_STATUS_PASS : MT5_STATUS_FAIL, "m", "");
    }
    char *text = s_render(&f, MT5_REPORT_TEXT);
    assert_non_null(strstr(text, "\nTotal Checks: 29\nPassed: 22\nFailed: 7\nPass Rate: 75.9%\n"));
    assert_non_null(strstr(text, "  FAIL  Static Code Quality  22/29 passed, 7 failed\n"));
    assert_non_null(strstr(text, "Gate 1: FAILED (7 of 29 checks failed)\n"));
    assert_int_equal(s_count(text, "\n  FAIL  [static] c"), 7);
    free(text);
    s_fix_free(&f);

    /* 1999 of 2000 is 99.95%: it must not read 100.0% while one failed. */
    f = s_fix_new(1, 2000);
    f.m->phases[0] = (mt5_phase_t){"p", "P"};
    for (size_t i = 0; i < 2000; i++) {
        f.m->checks[i].phase = "p";
        s_result(&f, i, i ? MT5_STATUS_PASS : MT5_STATUS_FAIL, "m", "");
    }
    text = s_render(&f, MT5_REPORT_TEXT);
    assert_non_null(strstr(text, "\nPass Rate: 99.9%\n"));
    free(text);
    /* 2 of 3 rounds to 66.7. */
    f.run->n_results = 3;
    f.run->results[1].status = MT5_STATUS_PASS;
    text = s_render(&f, MT5_REPORT_TEXT);
    assert_non_null(strstr(text, "\nPass Rate: 66.7%\n"));
    free(text);

    /* All pass, one skip: the gate passes, and only non-zero counts show. */
    f.run->results[0].status = MT5_STATUS_SKIP;
    text = s_render(&f, MT5_REPORT_TEXT);
    assert_non_null(strstr(text, "\nTotal Checks: 3\nPassed: 2\nFailed: 0\nSkipped: 1\n"
                                 "Pass Rate: 66.7%\n"));
    assert_non_null(strstr(text, "  PASS  P  2/3 passed, 1 skipped\n"));
    assert_null(strstr(text, "Failed Checks"));
    assert_null(strstr(text, "Errors:"));
    assert_null(strstr(text, "Waived"));
    const char *last = "\nGate 1: PASSED\n";
    assert_string_equal(text + strlen(text) - strlen(last), last);
    free(text);
    s_fix_free(&f);
}

static void test_report__no_selected_check(void **state)
{
    (void)state;
    s_fix_t f = s_fix_small();
    for (size_t i = 0; i < f.run->n_results; i++)
        f.run->results[i].selected = false;
    char *text = s_render(&f, MT5_REPORT_TEXT);
    assert_non_null(strstr(text, "Total Checks: 0\nPassed: 0\nFailed: 0\nPass Rate: n/a\n"));
    assert_non_null(strstr(text, "Phase Results:\n\n"));
    assert_non_null(strstr(text, "Gate 1: PASSED\n"));
    free(text);
    char *tap = s_render(&f, MT5_REPORT_TAP);
    assert_string_equal(tap, "TAP version 13\n1..0\n");
    free(tap);
    char *json = s_render(&f, MT5_REPORT_JSON);
    mt5_json_t *j = mt5_json_parse(json, strlen(json));
    assert_non_null(j);
    const mt5_json_t *totals = mt5_json_get(j, "totals");
    assert_int_equal(mt5_json_kind_of(mt5_json_get(totals, "pass_rate")), MT5_JSON_NULL);
    assert_true(mt5_json_number(mt5_json_get(totals, "checks")) == 0);
    assert_int_equal(mt5_json_size(mt5_json_get(j, "checks")), 0);
    assert_true(mt5_json_true(mt5_json_get(j, "passed")));
    mt5_json_destroy(&j);
    free(json);
    char *xml = s_render(&f, MT5_REPORT_JUNIT);
    assert_non_null(strstr(xml, "<testsuites name=\"task-106\" tests=\"0\" failures=\"0\""));
    s_assert_well_formed_xml(xml);
    free(xml);
    s_fix_free(&f);
}

/* ---- JSON --------------------------------------------------------------- */

static const char *s_jget_str(const mt5_json_t *obj, const char *key)
{
    const char *s = mt5_json_string(mt5_json_get(obj, key));
    if (!s)
        fail_msg("no string member '%s'", key);
    return s;
}

static double s_jget_num(const mt5_json_t *obj, const char *key)
{
    double d = mt5_json_number(mt5_json_get(obj, key));
    if (isnan(d))
        fail_msg("no number member '%s'", key);
    return d;
}

static void s_assert_counts(const mt5_json_t *obj, double checks, double pass, double fail,
                            double error, double skip, double waived)
{
    assert_true(s_jget_num(obj, "checks") == checks);
    assert_true(s_jget_num(obj, "pass") == pass);
    assert_true(s_jget_num(obj, "fail") == fail);
    assert_true(s_jget_num(obj, "error") == error);
    assert_true(s_jget_num(obj, "skip") == skip);
    assert_true(s_jget_num(obj, "waived") == waived);
}

static void test_report__json_reads_back(void **state)
{
    (void)state;
    s_fix_t f = s_fix_small();
    char *text = s_render(&f, MT5_REPORT_JSON);
    assert_int_equal(text[strlen(text) - 1], '\n');
    mt5_json_t *j = mt5_json_parse(text, strlen(text));
    assert_non_null(j);
    assert_string_equal(s_jget_str(j, "schema"), "mt5-gate/report/v1");
    assert_string_equal(s_jget_str(j, "tool"), "gate1 0.1.0");
    const mt5_json_t *gate = mt5_json_get(j, "gate");
    assert_string_equal(s_jget_str(gate, "id"), "task-106");
    assert_string_equal(s_jget_str(gate, "title"), "MT5 Live Bridge");
    assert_string_equal(s_jget_str(gate, "manifest"), "gates/task-106.yaml");
    assert_string_equal(s_jget_str(gate, "sha256"),
                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    assert_string_equal(s_jget_str(j, "root"), "/srv/mt5-crs");
    assert_string_equal(s_jget_str(j, "started"), "2025-01-02T03:04:05.678Z");
    assert_string_equal(s_jget_str(j, "finished"), "2025-01-02T03:04:12.900Z");
    assert_true(s_jget_num(j, "duration_ms") == 7222);
    assert_int_equal(mt5_json_kind_of(mt5_json_get(j, "passed")), MT5_JSON_BOOL);
    assert_false(mt5_json_true(mt5_json_get(j, "passed")));

    const mt5_json_t *totals = mt5_json_get(j, "totals");
    s_assert_counts(totals, 5, 1, 1, 1, 1, 1);
    assert_true(s_jget_num(totals, "pass_rate") == 20.0);

    const mt5_json_t *phases = mt5_json_get(j, "phases");
    assert_int_equal(mt5_json_size(phases), 5); /* every declared phase, even an empty one */
    assert_string_equal(s_jget_str(mt5_json_at(phases, 1), "id"), "static");
    assert_string_equal(s_jget_str(mt5_json_at(phases, 1), "title"), "Static Code Quality");
    s_assert_counts(mt5_json_at(phases, 1), 2, 0, 1, 0, 0, 1);
    assert_string_equal(s_jget_str(mt5_json_at(phases, 2), "title"), "runtime");
    s_assert_counts(mt5_json_at(phases, 0), 1, 1, 0, 0, 0, 0); /* "hidden" not counted */
    s_assert_counts(mt5_json_at(phases, 4), 0, 0, 0, 0, 0, 0);

    const mt5_json_t *checks = mt5_json_get(j, "checks");
    assert_int_equal(mt5_json_size(checks), 5);
    static const char *const ids[] = {"readme", "pylint", "bridge", "arch", "mypy"};
    static const char *const statuses[] = {"pass", "fail", "error", "skip", "waived"};
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(s_jget_str(mt5_json_at(checks, i), "id"), ids[i]);
        assert_string_equal(s_jget_str(mt5_json_at(checks, i), "status"), statuses[i]);
    }
    const mt5_json_t *c = mt5_json_at(checks, 1);
    assert_string_equal(s_jget_str(c, "phase"), "static");
    assert_string_equal(s_jget_str(c, "kind"), "command");
    assert_string_equal(s_jget_str(c, "description"), "pylint scores 8.0 or better");
    assert_string_equal(s_jget_str(c, "message"), "score 0.00 is below 8.0");
    assert_non_null(strstr(s_jget_str(c, "evidence"), "rated at 0.00/10\nsrc/a.py"));
    assert_true(s_jget_num(c, "duration_ms") == 1234);
    assert_true(s_jget_num(c, "attempts") == 2);
    assert_int_equal(mt5_json_kind_of(mt5_json_get(c, "timed_out")), MT5_JSON_BOOL);
    assert_false(mt5_json_true(mt5_json_get(c, "timed_out")));
    assert_string_equal(s_jget_str(c, "fix"), "add docstrings, then run pylint src/");
    assert_int_equal(mt5_json_kind_of(mt5_json_get(c, "waiver")), MT5_JSON_NULL);
    assert_string_equal(s_jget_str(c, "source"), "gates/task-106.yaml:18");
    assert_null(mt5_json_get(c, "skip_reason"));

    c = mt5_json_at(checks, 2);
    assert_true(mt5_json_true(mt5_json_get(c, "timed_out")));
    assert_int_equal(mt5_json_kind_of(mt5_json_get(c, "fix")), MT5_JSON_NULL);
    assert_string_equal(s_jget_str(c, "evidence"), "");
    c = mt5_json_at(checks, 3);
    assert_string_equal(s_jget_str(c, "message"), "needs pylint, which did not pass");
    assert_true(s_jget_num(c, "attempts") == 0);
    c = mt5_json_at(checks, 4);
    const mt5_json_t *waiver = mt5_json_get(c, "waiver");
    assert_string_equal(s_jget_str(waiver, "reason"), "type hints land in task-107");
    assert_string_equal(s_jget_str(waiver, "expires"), "2099-12-31");
    assert_int_equal(mt5_json_size(waiver), 2);
    assert_int_equal(mt5_json_size(c), 13); /* exactly the documented members */
    mt5_json_destroy(&j);
    free(text);

    /* Passing gate, no tool given: "passed" true, "tool" null. */
    for (size_t i = 0; i < 5; i++)
        f.run->results[i].status = MT5_STATUS_PASS;
    mt5_report_options opt = MT5_REPORT_OPTIONS_INIT;
    text = s_render_opt(&f, MT5_REPORT_JSON, &opt);
    j = mt5_json_parse(text, strlen(text));
    assert_non_null(j);
    assert_true(mt5_json_true(mt5_json_get(j, "passed")));
    assert_int_equal(mt5_json_kind_of(mt5_json_get(j, "tool")), MT5_JSON_NULL);
    assert_true(s_jget_num(mt5_json_get(j, "totals"), "pass_rate") == 100.0);
    mt5_json_destroy(&j);
    free(text);
    s_fix_free(&f);
}

/* Allocation `s_fail_at` (counted from 0) fails. */
static long s_allocs, s_fail_at = -1;

static void *s_failing_malloc(size_t n)
{
    return s_allocs++ == s_fail_at ? NULL : malloc(n);
}

static void test_report__json_out_of_memory_writes_nothing(void **state)
{
    (void)state;
    s_fix_t f = s_fix_small();
    int rc = MT5_ENOMEM;
    long at = 0;
    for (; rc == MT5_ENOMEM && at < 10000; at++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&buf, &len);
        assert_non_null(out);
        s_allocs = 0;
        s_fail_at = at;
        mt5_json_set_allocator(s_failing_malloc, free);
        rc = mt5_report_write(out, f.run, MT5_REPORT_JSON, NULL);
        mt5_json_set_allocator(NULL, NULL);
        assert_int_equal(fclose(out), 0);
        if (rc == MT5_ENOMEM) {
            assert_int_equal(len, 0);
            assert_non_null(strstr(mt5_error_detail(), "out of memory"));
        }
        free(buf);
    }
    assert_int_equal(rc, MT5_OK);
    assert_true(at > 50); /* every allocation of the tree failed once */
    s_fix_free(&f);
}

/* ---- JUnit -------------------------------------------------------------- */

static void test_report__junit_matches_golden_and_parses(void **state)
{
    (void)state;
    s_fix_t f = s_fix_small();
    char *xml = s_render(&f, MT5_REPORT_JUNIT);
    s_golden("junit.xml", xml);
    assert_non_null(strstr(xml, "<testsuites name=\"task-106\" tests=\"5\" failures=\"1\" "
                                "errors=\"1\" skipped=\"2\" time=\"7.222\">"));
    assert_non_null(strstr(xml, "timestamp=\"2025-01-02T03:04:05\" hostname=\"ci-runner-7\">"));
    assert_non_null(strstr(xml, "<property name=\"sha256\" value=\"aaaa"));
    assert_non_null(
        strstr(xml, "<testcase name=\"readme\" classname=\"deliver\" time=\"0.003\"/>\n"));
    assert_non_null(strstr(xml, "<failure message=\"score 0.00 is below 8.0\" type=\"fail\">"
                                "Your code has been rated at 0.00/10\n"));
    assert_non_null(strstr(xml, "missing-module-docstring\nfix: add docstrings, then run "
                                "pylint src/</failure>"));
    assert_non_null(strstr(xml, "<error message=\"timed out after 5000 ms\" type=\"timeout\">"
                                "</error>"));
    assert_non_null(strstr(xml, "<skipped message=\"needs pylint, which did not pass\"/>"));
    assert_non_null(
        strstr(xml, "<skipped message=\"waived until 2099-12-31: type hints land in task-107\"/>\n"
                    "      <system-out>3 type errors\nsrc/a.py:3: error: missing annotation"
                    "</system-out>"));
    assert_int_equal(s_count(xml, "<testcase "), 5);
    assert_null(strstr(xml, "hidden"));
    s_assert_well_formed_xml(xml);
    s_assert_python_parses_xml(xml);
    free(xml);

    /* An error that did not time out is type "error"; no hostname given
     * means this machine's. */
    f.run->results[2].timed_out = false;
    mt5_report_options opt = MT5_REPORT_OPTIONS_INIT;
    xml = s_render_opt(&f, MT5_REPORT_JUNIT, &opt);
    assert_non_null(strstr(xml, "<error message=\"timed out after 5000 ms\" type=\"error\">"));
    char host[256] = "";
    assert_int_equal(gethostname(host, sizeof host - 1), 0);
    char want[300];
    snprintf(want, sizeof want, " hostname=\"%s\">", host);
    assert_non_null(strstr(xml, want));
    assert_non_null(strstr(xml, "<property name=\"tool\" value=\"\"/>"));
    free(xml);
    s_fix_free(&f);
}

/* Messages and evidence a hostile or binary check output could produce. */
#define HOSTILE_MESSAGE "a<b & \"c\" 'd'>\x01\x1b[31m\xff\xc3(\xef\xbf\xbf#tag\\"
#define HOSTILE_EVIDENCE "line1 <x>\r\nbad \xfe\x02 end\n]]> done | pipe ```"
#define HOSTILE_DESCRIPTION "scores # of issues \\ and #2"

static s_fix_t s_fix_hostile(void)
{
    s_fix_t f = s_fix_new(1, 2);
    f.m->title = "Title & <Co>";
    f.m->phases[0] = (mt5_phase_t){"p&q", "P & Q <x>"};
    for (size_t i = 0; i < 2; i++) {
        f.m->checks[i].phase = "p&q";
        f.m->checks[i].description = HOSTILE_DESCRIPTION;
        f.m->checks[i].fix = "run \"fix\" | tee <log> & \x7f done";
    }
    s_result(&f, 0, MT5_STATUS_FAIL, HOSTILE_MESSAGE, HOSTILE_EVIDENCE);
    s_result(&f, 1, MT5_STATUS_WAIVED, HOSTILE_MESSAGE, HOSTILE_EVIDENCE);
    f.m->checks[1].waiver_reason = "until <v2> & \"then\"\n# not a directive";
    f.m->checks[1].waiver_expires = "2099-01-01";
    return f;
}

static void test_report__junit_escapes_hostile_text(void **state)
{
    (void)state;
    s_fix_t f = s_fix_hostile();
    char *xml = s_render(&f, MT5_REPORT_JUNIT);
    /* Controls and U+FFFF dropped, bad bytes become U+FFFD, specials escaped. */
    const char *msg = "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;[31m\xEF\xBF\xBD\xEF\xBF\xBD("
                      "#tag\\";
    char want[512];
    snprintf(want, sizeof want, "<failure message=\"%s\" type=\"fail\">", msg);
    assert_non_null(strstr(xml, want));
    assert_non_null(strstr(xml, ">line1 &lt;x&gt;&#13;\nbad \xEF\xBF\xBD end\n]]&gt; done | pipe "
                                "```\nfix: run &quot;fix&quot; | tee &lt;log&gt; &amp; \x7f done"
                                "</failure>"));
    assert_non_null(strstr(xml, "<testsuites name=\"task-106\""));
    assert_non_null(strstr(xml, "classname=\"p&amp;q\""));
    assert_non_null(strstr(xml, "<skipped message=\"waived until 2099-01-01: until &lt;v2&gt; "
                                "&amp; &quot;then&quot;&#10;# not a directive\"/>"));
    for (const char *p = xml; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch < 0x20 && ch != '\n')
            fail_msg("control byte 0x%02x at offset %td", ch, p - xml);
    }
    assert_null(strstr(xml, "\xEF\xBF\xBF"));
    s_assert_well_formed_xml(xml);
    s_assert_python_parses_xml(xml);
    free(xml);
    s_fix_free(&f);
}

static void test_report__json_makes_strings_valid_utf8(void **state)
{
    (void)state;
    s_fix_t f = s_fix_hostile();
    char *text = s_render(&f, MT5_REPORT_JSON);
    mt5_json_t *j = mt5_json_parse(text, strlen(text));
    assert_non_null(j);
    const mt5_json_t *c = mt5_json_at(mt5_json_get(j, "checks"), 0);
    /* Only the invalid bytes change; controls and U+FFFF are JSON-escaped. */
    assert_string_equal(s_jget_str(c, "message"),
                        "a<b & \"c\" 'd'>\x01\x1b[31m\xEF\xBF\xBD\xEF\xBF\xBD(\xef\xbf\xbf#tag\\");
    assert_string_equal(s_jget_str(c, "evidence"),
                        "line1 <x>\r\nbad \xEF\xBF\xBD\x02 end\n]]> done | pipe ```");
    assert_string_equal(s_jget_str(mt5_json_get(j, "gate"), "title"), "Title & <Co>");
    assert_null(strstr(text, "\x1b")); /* escaped as \u001b by the printer */
    mt5_json_destroy(&j);
    free(text);
    s_fix_free(&f);
}

/* ---- TAP ---------------------------------------------------------------- */

static void test_report__tap_matches_golden(void **state)
{
    (void)state;
    s_fix_t f = s_fix_small();
    char *tap = s_render(&f, MT5_REPORT_TAP);
    s_golden("tap.txt", tap);
    assert_non_null(strstr(tap, "TAP version 13\n1..5\nok 1 - readme: README.md is present\n"
                                "not ok 2 - pylint: pylint scores 8.0 or better\n  ---\n"
                                "  message: \"score 0.00 is below 8.0\"\n  severity: fail\n"));
    assert_non_null(strstr(tap, "  evidence: |\n    Your code has been rated at 0.00/10\n"));
    assert_non_null(strstr(tap, "  fix: \"add docstrings, then run pylint src/\"\n  ...\n"));
    assert_non_null(strstr(tap, "not ok 3 - bridge: the gateway answers Hello\n  ---\n"
                                "  message: \"timed out after 5000 ms\"\n  severity: error\n"
                                "  timed_out: true\n  phase: \"runtime\"\n  ...\n"));
    assert_non_null(strstr(tap, "ok 4 - arch: ARCHITECTURE.md has its sections # SKIP needs "
                                "pylint, which did not pass\n"));
    assert_non_null(strstr(tap, "not ok 5 - mypy: mypy finds no type errors # TODO waived until "
                                "2099-12-31: type hints land in task-107\n"));
    free(tap);
    s_fix_free(&f);
}

/* The YAML block after test point `n`: from "  ---" to "  ...". */
static char *s_tap_yaml(const char *tap, int n)
{
    char head[32];
    snprintf(head, sizeof head, "not ok %d - ", n);
    const char *p = strstr(tap, head);
    assert_non_null(p);
    const char *start = strstr(p, "\n  ---\n");
    const char *end = strstr(p, "\n  ...\n");
    assert_true(start && end && start < end);
    start += strlen("\n  ---\n");
    size_t len = (size_t)(end - start) + 1;
    char *yaml = malloc(len + 1);
    assert_non_null(yaml);
    memcpy(yaml, start, len);
    yaml[len] = '\0';
    return yaml;
}

static const char *s_yaml_str(const mt5_yaml_doc_t *doc, const char *key)
{
    const mt5_yaml_node_t *node = mt5_yaml_get(mt5_yaml_root(doc), key);
    if (!node || !mt5_yaml_scalar(node))
        fail_msg("no scalar '%s' in the TAP diagnostic", key);
    return mt5_yaml_scalar(node);
}

static void test_report__tap_escapes_and_yaml_reads_back(void **state)
{
    (void)state;
    s_fix_t f = s_fix_hostile();
    char *tap = s_render(&f, MT5_REPORT_TAP);
    assert_non_null(strstr(tap, "\nnot ok 1 - c1: scores \\# of issues \\\\ and \\#2\n"));
    /* One line for the directive: the reason's newline became a space. */
    assert_non_null(strstr(tap, "\nnot ok 2 - c2: scores \\# of issues \\\\ and \\#2 # TODO "
                                "waived until 2099-01-01: until <v2> & \"then\" # not a "
                                "directive\n  ---\n"));
    assert_non_null(strstr(tap, "  message: \"a<b & \\\"c\\\" 'd'>\\x01\\x1B[31m\xEF\xBF\xBD"
                                "\xEF\xBF\xBD(\\uFFFF#tag\\\\\"\n"));
    /* Evidence with controls cannot be a literal block: it is quoted. */
    assert_non_null(strstr(tap, "  evidence: \"line1 <x>\\r\\nbad \xEF\xBF\xBD\\x02 end\\n"
                                "]]> done | pipe ```\"\n"));
    assert_null(strstr(tap, "\x1b"));

    for (int n = 1; n <= 2; n++) {
        char *yaml = s_tap_yaml(tap, n);
        mt5_yaml_doc_t *doc = NULL;
        int rc = mt5_yaml_load_string(&doc, yaml, "tap-diagnostic");
        if (rc != MT5_OK)
            fail_msg("%s\n%s", mt5_error_detail(), yaml);
        assert_string_equal(
            s_yaml_str(doc, "message"),
            "a<b & \"c\" 'd'>\x01\x1b[31m\xEF\xBF\xBD\xEF\xBF\xBD(\xef\xbf\xbf#tag\\");
        assert_string_equal(s_yaml_str(doc, "evidence"),
                            "line1 <x>\r\nbad \xEF\xBF\xBD\x02 end\n]]> done | pipe ```");
        assert_string_equal(s_yaml_str(doc, "phase"), "p&q");
        assert_string_equal(s_yaml_str(doc, "fix"), "run \"fix\" | tee <log> & \x7f done");
        if (n == 1)
            assert_string_equal(s_yaml_str(doc, "severity"), "fail");
        else
            assert_null(mt5_yaml_get(mt5_yaml_root(doc), "severity"));
        mt5_yaml_destroy(&doc);
        free(yaml);
    }
    free(tap);

    /* A literal block reads back too, blank lines and tabs kept, with the
     * one trailing newline of "|" (TAP 13 readers know no "|-"). */
    s_result(&f, 0, MT5_STATUS_ERROR, "m", "first\tline\n\n  indented\nlast");
    tap = s_render(&f, MT5_REPORT_TAP);
    assert_non_null(
        strstr(tap, "  evidence: |\n    first\tline\n    \n      indented\n    last\n"));
    char *yaml = s_tap_yaml(tap, 1);
    mt5_yaml_doc_t *doc = NULL;
    assert_int_equal(mt5_yaml_load_string(&doc, yaml, "tap-diagnostic"), MT5_OK);
    assert_string_equal(s_yaml_str(doc, "evidence"), "first\tline\n\n  indented\nlast\n");
    assert_string_equal(s_yaml_str(doc, "severity"), "error");
    mt5_yaml_destroy(&doc);
    free(yaml);
    free(tap);

    /* Trailing newlines, none or several, read back as exactly one. */
    static const char *const tails[] = {"one", "two\n\n\n"};
    for (size_t i = 0; i < 2; i++) {
        s_result(&f, 0, MT5_STATUS_FAIL, "m", tails[i]);
        tap = s_render(&f, MT5_REPORT_TAP);
        assert_non_null(strstr(tap, "  evidence: |\n"));
        yaml = s_tap_yaml(tap, 1);
        assert_int_equal(mt5_yaml_load_string(&doc, yaml, "tap-diagnostic"), MT5_OK);
        assert_string_equal(s_yaml_str(doc, "evidence"), i == 0 ? "one\n" : "two\n");
        mt5_yaml_destroy(&doc);
        free(yaml);
        free(tap);
    }

    /* Leading white space would set the block's indentation: quoted. */
    s_result(&f, 0, MT5_STATUS_FAIL, "m", "  starts indented\nnext");
    tap = s_render(&f, MT5_REPORT_TAP);
    assert_non_null(strstr(tap, "  evidence: \"  starts indented\\nnext\"\n"));
    free(tap);
    s_fix_free(&f);
}

/* ---- Markdown ----------------------------------------------------------- */

static void test_report__markdown_matches_golden(void **state)
{
    (void)state;
    s_fix_t f = s_fix_small();
    char *md = s_render(&f, MT5_REPORT_MARKDOWN);
    s_golden("markdown.md", md);
    assert_non_null(strstr(md, "# Gate task-106: MT5 Live Bridge\n\n"
                               "**Gate 1: FAILED** (1 of 5 checks failed, 1 error)\n"));
    assert_non_null(strstr(md, "| 5 | 1 | 1 | 1 | 1 | 1 | 20.0% |\n"));
    assert_non_null(strstr(md, "| Static Code Quality | FAIL | 2 | 0 | 1 | 0 | 0 | 1 |\n"));
    assert_non_null(strstr(md, "| FAIL | `pylint` | Static Code Quality | score 0.00 is below "
                               "8.0 |\n"));
    assert_non_null(strstr(md, "| WAIVED | `mypy` | Static Code Quality | 3 type errors (waived "
                               "until 2099-12-31: type hints land in task-107) |\n"));
    assert_non_null(strstr(md, "### FAIL `pylint` (Static Code Quality)\n"));
    assert_non_null(strstr(md, "```\nYour code has been rated at 0.00/10\n"));
    assert_non_null(strstr(md, "**Fix:** add docstrings, then run pylint src/\n"));
    assert_non_null(strstr(md, "### ERROR `bridge` (runtime)\n"));
    assert_null(strstr(md, "hidden"));
    free(md);

    /* Passed: the Failures section says so. */
    for (size_t i = 0; i < 5; i++)
        f.run->results[i].status = MT5_STATUS_PASS;
    md = s_render(&f, MT5_REPORT_MARKDOWN);
    assert_non_null(strstr(md, "**Gate 1: PASSED**\n"));
    const char *tail = "## Failures\n\nNone.\n";
    assert_string_equal(md + strlen(md) - strlen(tail), tail);
    free(md);
    s_fix_free(&f);
}

static void test_report__markdown_escapes_cells_and_fences(void **state)
{
    (void)state;
    s_fix_t f = s_fix_hostile();
    char *md = s_render(&f, MT5_REPORT_MARKDOWN);
    assert_non_null(strstr(md, "# Gate task-106: Title \\& \\<Co\\>\n"));
    /* One table row per check: pipes escaped, no raw newline inside. */
    assert_non_null(strstr(md,
                           "| FAIL | `c1` | P \\& Q \\<x\\> | a\\<b \\& \"c\" 'd'\\>\\x01\\x1B\\["
                           "31m\xEF\xBF\xBD\xEF\xBF\xBD(\xef\xbf\xbf#tag\\\\ |\n"));
    /* Evidence holding ``` gets a longer fence. */
    assert_non_null(strstr(md, "\n````\nline1 <x>\\x0D\nbad \xEF\xBF\xBD\\x02 end\n]]> done | "
                               "pipe ```\n````\n"));
    assert_non_null(strstr(md, "**Fix:** run \"fix\" \\| tee \\<log\\> \\& \\x7F done\n"));
    assert_null(strstr(md, "\x1b"));
    free(md);
    s_fix_free(&f);
}

static void test_report__text_escapes_controls(void **state)
{
    (void)state;
    s_fix_t f = s_fix_hostile();
    f.run->results[0].status = MT5_STATUS_ERROR;
    f.run->results[0].timed_out = true; /* a message not saying so gets told */
    char *text = s_render(&f, MT5_REPORT_TEXT);
    assert_non_null(strstr(text, "  ERROR [p&q] c1: timed out: a<b & \"c\" 'd'>\\x01\\x1B[31m"
                                 "\xEF\xBF\xBD\xEF\xBF\xBD(\xef\xbf\xbf#tag\\\n"));
    assert_non_null(strstr(text, "        evidence: line1 <x>\n"
                                 "                  bad \xEF\xBF\xBD\\x02 end\n"
                                 "                  (1 more line)\n"));
    assert_non_null(strstr(text, "        fix: run \"fix\" | tee <log> & \\x7F done\n"));
    assert_non_null(strstr(text, "waived until 2099-01-01: until <v2> & \"then\"\\x0A# not a "
                                 "directive\n"));
    assert_null(strstr(text, "\x1b"));
    free(text);

    /* A long evidence line is cut on a character boundary. */
    char evidence[600];
    for (size_t i = 0; i < 299; i++)
        memcpy(evidence + 2 * i, "\xC3\xA9", 2); /* é */
    evidence[598] = '\0';
    s_result(&f, 0, MT5_STATUS_FAIL, "m", evidence);
    text = s_render(&f, MT5_REPORT_TEXT);
    char want[512] = "        evidence: ";
    size_t w = strlen(want);
    for (int i = 0; i < 200; i++, w += 2)
        memcpy(want + w, "\xC3\xA9", 2);
    memcpy(want + w, "...\n", 5);
    assert_non_null(strstr(text, want));
    free(text);
    s_fix_free(&f);
}

/* ---- write failures ----------------------------------------------------- */

static void test_report__write_failure_is_eio(void **state)
{
    (void)state;
    s_fix_t f = s_fix_small();
    for (int fmt = MT5_REPORT_TEXT; fmt <= MT5_REPORT_MARKDOWN; fmt++) {
        for (int buffered = 0; buffered < 2; buffered++) {
            FILE *out = fopen("/dev/full", "w");
            assert_non_null(out);
            if (!buffered)
                assert_int_equal(setvbuf(out, NULL, _IONBF, 0), 0); /* the first write fails */
            mt5_error_clear();
            assert_int_equal(mt5_report_write(out, f.run, (mt5_report_format)fmt, NULL), MT5_EIO);
            assert_non_null(strstr(mt5_error_detail(), mt5_report_format_name(fmt)));
            assert_non_null(strstr(mt5_error_detail(), "No space left on device"));
            fclose(out);
        }
    }
    s_fix_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report__format_names_parse_both_ways),
        cmocka_unit_test(test_report__bad_arguments_are_einval),
        cmocka_unit_test(test_report__text_matches_golden),
        cmocka_unit_test(test_report__text_colour_only_when_asked),
        cmocka_unit_test(test_report__text_pass_rate_and_passing_gate),
        cmocka_unit_test(test_report__text_escapes_controls),
        cmocka_unit_test(test_report__no_selected_check),
        cmocka_unit_test(test_report__json_reads_back),
        cmocka_unit_test(test_report__json_out_of_memory_writes_nothing),
        cmocka_unit_test(test_report__json_makes_strings_valid_utf8),
        cmocka_unit_test(test_report__junit_matches_golden_and_parses),
        cmocka_unit_test(test_report__junit_escapes_hostile_text),
        cmocka_unit_test(test_report__tap_matches_golden),
        cmocka_unit_test(test_report__tap_escapes_and_yaml_reads_back),
        cmocka_unit_test(test_report__markdown_matches_golden),
        cmocka_unit_test(test_report__markdown_escapes_cells_and_fences),
        cmocka_unit_test(test_report__write_failure_is_eio),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
