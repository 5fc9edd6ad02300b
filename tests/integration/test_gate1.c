/*  test_gate1.c - the gate1 command line as CI and developers use it:
 *  exit codes, one-line manifest errors with positions, several reports
 *  from one run (parsed by standard tools: cJSON, python3's XML parser),
 *  secrets kept out of every format, colour rules, and checked files that
 *  are huge, binary or invalid UTF-8.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "harness/harness.h"

#define GATE1 MT5_BIN_DIR "/gate1"

static char s_dir[64]; /* sandbox: manifests and the root they check */

static int s_setup(void **state)
{
    (void)state;
    snprintf(s_dir, sizeof s_dir, "/tmp/mt5-gate1-XXXXXX");
    return mkdtemp(s_dir) ? 0 : -1;
}

static int s_teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    return system(cmd);
}

/* Write text to <sandbox>/name; returns the path (static buffer rotation). */
static const char *s_write(const char *name, const char *text)
{
    static char paths[8][512];
    static int next;
    char *path = paths[next++ % 8];
    snprintf(path, 512, "%s/%s", s_dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static const char *s_path(const char *name)
{
    static char paths[8][512];
    static int next;
    char *path = paths[next++ % 8];
    snprintf(path, 512, "%s/%s", s_dir, name);
    return path;
}

static char *s_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot read %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* No report was left under its temporary name (<file>.tmp<pid>) in the
 * sandbox, and the four reports are there. */
static void s_assert_no_tmp(void)
{
    DIR *d = opendir(s_dir);
    assert_non_null(d);
    int reports = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (strstr(e->d_name, ".tmp"))
            fail_msg("left behind: %s", e->d_name);
        reports += strncmp(e->d_name, "r.", 2) == 0;
    }
    closedir(d);
    assert_int_equal(reports, 4);
}

static int s_gate1(h_run *r, const char *const *args, const char *const *env)
{
    const char *argv[24] = {GATE1};
    size_t n = 1;
    for (; args[n - 1]; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    assert_int_equal(h_run_cmd(r, argv, env, 60000), 0);
    return r->status;
}

static size_t s_lines(const char *text)
{
    size_t n = 0;
    for (; *text; text++)
        n += *text == '\n';
    return n;
}

#define HEAD                                                                                       \
    "gate: demo\n"                                                                                 \
    "title: Demo gate\n"                                                                           \
    "phases:\n"                                                                                    \
    "  - {id: files, title: Files}\n"                                                              \
    "checks:\n"

/* ---- usage ------------------------------------------------------------- */

static void test_gate1__usage_errors_exit_2(void **state)
{
    (void)state;
    const char *good = s_write("good.yaml", HEAD "  - {id: a, phase: files, kind: file, "
                                                 "description: a file, path: good.yaml}\n");
    const char *const cases[][6] = {
        {NULL},
        {"bogus", NULL},
        {"run", NULL},
        {"run", good, "extra", NULL},
        {"run", good, "--format", "xml", NULL},
        {"run", good, "--output", "json", NULL},
        {"run", good, "--output", "pdf:x.pdf", NULL},
        {"run", good, "--jobs", "0", NULL},
        {"run", good, "--jobs", "many", NULL},
        {"run", good, "--only", "nothing-by-this-name", NULL},
        {"run", good, "--var", "=x", NULL},
        {"run", good, "--output", "json:/nonexistent-dir/x.json", NULL},
        {"list", good, "--fail-fast", NULL},
        {"run", "/nonexistent/manifest.yaml", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        h_run r;
        const char *const *args = cases[i];
        char root[600];
        snprintf(root, sizeof root, "--root=%s", s_dir);
        const char *argv[10] = {NULL};
        size_t n = 0;
        for (; args[n]; n++)
            argv[n] = args[n];
        if (n > 0)
            argv[n++] = root;
        argv[n] = NULL;
        if (s_gate1(&r, argv, NULL) != 2)
            fail_msg("case %zu: exit %d, want 2; stderr: %s", i, r.status, r.err);
        assert_non_null(strstr(r.err, "gate1"));
        assert_string_equal(r.out, "");
    }
    /* Nothing half-written was left behind by the refused --output. */
    assert_int_equal(access("/nonexistent-dir", F_OK), -1);
}

static void test_gate1__help_and_version(void **state)
{
    (void)state;
    h_run r;
    assert_int_equal(s_gate1(&r, (const char *[]){"--help", NULL}, NULL), 0);
    assert_non_null(strstr(r.out, "Usage: gate1 run MANIFEST [OPTIONS]"));
    assert_non_null(strstr(r.out, "Exit status: 0"));
    assert_int_equal(s_gate1(&r, (const char *[]){"--version", NULL}, NULL), 0);
    assert_int_equal(strncmp(r.out, "gate1 ", 6), 0);
}

/* ---- broken manifests: one line, file:line:column ------------------------ */

static void s_bad(const char *name, const char *text, const char *where, const char *what)
{
    const char *path = s_write(name, text);
    h_run r;
    char root[600];
    snprintf(root, sizeof root, "--root=%s", s_dir);
    assert_int_equal(s_gate1(&r, (const char *[]){"validate", path, root, NULL}, NULL), 2);
    char want[700];
    snprintf(want, sizeof want, "%s/%s", s_dir, where);
    if (strncmp(r.err, want, strlen(want)) != 0 || !strstr(r.err, what) || s_lines(r.err) != 1)
        fail_msg("%s: got '%s', want one line starting '%s' with '%s'", name, r.err, want, what);
    /* run refuses it the same way, before any check runs */
    assert_int_equal(s_gate1(&r, (const char *[]){"run", path, root, NULL}, NULL), 2);
    assert_int_equal(s_lines(r.err), 1);
    assert_string_equal(r.out, "");
}

static void test_gate1__broken_manifests_name_the_position(void **state)
{
    (void)state;
    s_bad("syntax.yaml", HEAD "  - {id: a, phase: files\n", "syntax.yaml:", "");
    s_bad("key.yaml",
          HEAD "  - id: a\n    phase: files\n    kind: file\n    description: d\n    pathh: x\n",
          "key.yaml:10:5:", "pathh");
    s_bad("kind.yaml", HEAD "  - {id: a, phase: files, kind: filez, description: d, path: x}\n",
          "kind.yaml:6:", "filez");
    s_bad("type.yaml",
          HEAD "  - {id: a, phase: files, kind: file, description: d, path: x, retries: many}\n",
          "type.yaml:6:", "retries");
    s_bad("dup.yaml",
          HEAD "  - {id: a, phase: files, kind: file, description: d, path: x}\n"
               "  - {id: a, phase: files, kind: file, description: d, path: y}\n",
          "dup.yaml:7:", "duplicate");
    s_write("cycle-b.yaml", "include: [cycle-a.yaml]\n");
    s_bad("cycle-a.yaml",
          "include: [cycle-b.yaml]\n" HEAD
          "  - {id: a, phase: files, kind: file, description: d, path: x}\n",
          "cycle-", "cycle");
    s_bad("dotdot.yaml",
          HEAD "  - {id: a, phase: files, kind: file, description: d, path: ../../etc/passwd}\n",
          "dotdot.yaml:6:", "leaves the root");
    assert_int_equal(symlink("/etc", s_path("escape")), 0);
    s_bad("symlink.yaml",
          HEAD "  - {id: a, phase: files, kind: file, description: d, path: escape/passwd}\n",
          "symlink.yaml:6:", "leaves the root");
    s_bad("binary.yaml", "gate: \xff\xfe\x00\x01 bad\n", "binary.yaml:", "");
}

/* ---- runs and reports ------------------------------------------------- */

static void test_gate1__several_reports_from_one_run(void **state)
{
    (void)state;
    s_write("present.txt", "one\ntwo\n");
    const char *m = s_write(
        "reports.yaml",
        HEAD "  - {id: present, phase: files, kind: file, description: \"there & <ok>\", "
             "path: present.txt, non_empty: true}\n"
             "  - {id: absent, phase: files, kind: file, description: not there, path: nope.txt, "
             "fix: \"create nope.txt # now\"}\n"
             "  - {id: later, phase: files, kind: file, description: after absent, "
             "path: present.txt, needs: [absent]}\n");
    char root[600], oj[600], ox[600], ot[600], om[600];
    snprintf(root, sizeof root, "--root=%s", s_dir);
    snprintf(oj, sizeof oj, "json:%s", s_path("r.json"));
    snprintf(ox, sizeof ox, "junit:%s", s_path("r.xml"));
    snprintf(ot, sizeof ot, "tap:%s", s_path("r.tap"));
    snprintf(om, sizeof om, "markdown:%s", s_path("r.md"));
    h_run r;
    assert_int_equal(s_gate1(&r,
                             (const char *[]){"run", m, root, "--output", oj, "--output", ox,
                                              "--output", ot, "--output", om, NULL},
                             (const char *[]){"NO_COLOR=1", NULL}),
                     1);
    /* text on stdout, no colour when not a terminal */
    assert_non_null(strstr(r.out, "Total Checks: 3"));
    assert_non_null(strstr(r.out, "Passed: 1"));
    assert_non_null(strstr(r.out, "Failed: 1"));
    assert_non_null(strstr(r.out, "create nope.txt # now"));
    assert_null(strchr(r.out, '\033'));

    char *json = s_slurp(s_path("r.json"));
    cJSON *doc = cJSON_Parse(json);
    assert_non_null(doc);
    cJSON *checks = cJSON_GetObjectItem(doc, "checks");
    assert_int_equal(cJSON_GetArraySize(checks), 3);
    const char *want[] = {"pass", "fail", "skip"};
    for (int i = 0; i < 3; i++) {
        cJSON *st = cJSON_GetObjectItem(cJSON_GetArrayItem(checks, i), "status");
        assert_string_equal(cJSON_GetStringValue(st), want[i]);
    }
    cJSON *totals = cJSON_GetObjectItem(doc, "totals");
    assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(totals, "checks")), 3);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(doc, "passed")));
    const char *sha =
        cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "gate"), "sha256"));
    assert_non_null(sha);
    assert_int_equal(strlen(sha), 64);
    cJSON_Delete(doc);
    free(json);

    /* JUnit: a standard XML parser reads it, with the right counts. */
    char py[1024];
    snprintf(
        py, sizeof py,
        "import xml.etree.ElementTree as E; t = E.parse('%s').getroot(); "
        "s = t.find('testsuite'); "
        "print(s.get('tests'), s.get('failures'), s.get('skipped'), len(s.findall('testcase')))",
        s_path("r.xml"));
    assert_int_equal(
        h_run_cmd(&r, (const char *[]){"/usr/bin/python3", "-c", py, NULL}, NULL, 30000), 0);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "3 1 1 3\n");

    char *tap = s_slurp(s_path("r.tap"));
    assert_int_equal(strncmp(tap, "TAP version 13\n1..3\n", 20), 0);
    assert_non_null(strstr(tap, "\nnot ok 2 - absent"));
    assert_non_null(strstr(tap, "\nok 3 - later"));
    assert_non_null(strstr(tap, "# SKIP"));
    free(tap);
    /* Perl's TAP::Harness reads it: one failure of three, no parse errors. */
    assert_int_equal(
        h_run_cmd(&r, (const char *[]){"/usr/bin/prove", "--exec", "cat", s_path("r.tap"), NULL},
                  NULL, 30000),
        0);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.out, "Failed 1/3 subtests"));
    assert_null(strstr(r.out, "Parse errors"));
    char *md = s_slurp(s_path("r.md"));
    assert_non_null(strstr(md, "demo"));
    free(md);
    /* no temporary files left next to the reports */
    s_assert_no_tmp();
}

static void test_gate1__validate_and_list(void **state)
{
    (void)state;
    const char *m = s_write("list.yaml", HEAD "  - {id: one, phase: files, kind: file, "
                                              "description: the first, path: list.yaml}\n");
    char root[600];
    snprintf(root, sizeof root, "--root=%s", s_dir);
    h_run r;
    assert_int_equal(s_gate1(&r, (const char *[]){"validate", m, root, NULL}, NULL), 0);
    assert_non_null(strstr(r.out, "valid: gate demo, 1 checks in 1 phases, sha256 "));
    assert_int_equal(s_gate1(&r, (const char *[]){"list", m, root, NULL}, NULL), 0);
    assert_non_null(strstr(r.out, "demo: Demo gate (1 checks in 1 phases)"));
    assert_non_null(strstr(r.out, "one"));
    assert_non_null(strstr(r.out, "the first"));
}

static void test_gate1__secrets_never_reach_a_report(void **state)
{
    (void)state;
    s_write("key.hex", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n");
    chmod(s_path("key.hex"), 0600);
    const char *m = s_write(
        "secret.yaml",
        "secrets: [MT5_TEST_TOKEN]\nsecret_files: [key.hex]\n" HEAD
        "  - id: leak\n    phase: files\n    kind: command\n    description: prints secrets\n"
        "    argv: 'echo \"token=$MT5_TEST_TOKEN key=$(cat key.hex)\"; exit 1'\n"
        "    shell: true\n");
    char root[600], oj[600], ox[600], ot[600], om[600];
    snprintf(root, sizeof root, "--root=%s", s_dir);
    snprintf(oj, sizeof oj, "json:%s", s_path("s.json"));
    snprintf(ox, sizeof ox, "junit:%s", s_path("s.xml"));
    snprintf(ot, sizeof ot, "tap:%s", s_path("s.tap"));
    snprintf(om, sizeof om, "markdown:%s", s_path("s.md"));
    h_run r;
    assert_int_equal(s_gate1(&r,
                             (const char *[]){"run", m, root, "--output", oj, "--output", ox,
                                              "--output", ot, "--output", om, NULL},
                             (const char *[]){"MT5_TEST_TOKEN=tok-very-secret-42", NULL}),
                     1);
    assert_non_null(strstr(r.out, "token=***"));
    assert_null(strstr(r.out, "tok-very-secret-42"));
    assert_null(strstr(r.out, "00112233445566778899"));
    const char *files[] = {"s.json", "s.xml", "s.tap", "s.md"};
    for (int i = 0; i < 4; i++) {
        char *text = s_slurp(s_path(files[i]));
        if (strstr(text, "tok-very-secret-42") || strstr(text, "00112233445566778899"))
            fail_msg("%s leaks a secret", files[i]);
        assert_non_null(strstr(text, "***"));
        free(text);
    }
}

/* Huge, binary and invalid UTF-8 files: the run ends, the reports parse. */
static void test_gate1__hostile_files_are_safe(void **state)
{
    (void)state;
    /* 3 GiB sparse file: no crash, no hang, constant memory */
    FILE *f = fopen(s_path("huge.log"), "wb");
    assert_non_null(f);
    assert_int_equal(fseeko(f, 3LL << 30, SEEK_SET), 0);
    fputs("tail OK_FROM_MT5\n", f);
    fclose(f);
    f = fopen(s_path("binary.bin"), "wb");
    assert_non_null(f);
    for (int i = 0; i < 70000; i++)
        fputc((i * 7919) & 0xff, f);
    fclose(f);
    s_write("bad-utf8.md", "# Title \xc3\x28 \xff\xfe\n## Sect\xed\xa0\x80ion\nbody\n");
    const char *m =
        s_write("hostile.yaml", HEAD
                "  - {id: huge-lines, phase: files, kind: file, description: d, path: huge.log, "
                "max_lines: 10, timeout: 2s}\n"
                "  - {id: huge-token, phase: files, kind: log, description: d, path: huge.log, "
                "mode: token, timeout: 2s}\n"
                "  - {id: bin-pattern, phase: files, kind: contains, description: d, "
                "path: binary.bin, pattern: 'OK_FROM_MT5'}\n"
                "  - {id: utf8-sections, phase: files, kind: sections, description: d, "
                "path: bad-utf8.md, min_sections: 2}\n"
                "  - {id: utf8-pattern, phase: files, kind: contains, description: d, "
                "path: bad-utf8.md, pattern: 'Sect.*ion'}\n");
    char root[600], oj[600], ox[600];
    snprintf(root, sizeof root, "--root=%s", s_dir);
    snprintf(oj, sizeof oj, "json:%s", s_path("h.json"));
    snprintf(ox, sizeof ox, "junit:%s", s_path("h.xml"));
    h_run r;
    int status = s_gate1(
        &r, (const char *[]){"run", m, root, "--output", oj, "--output", ox, "--jobs", "2", NULL},
        NULL);
    assert_int_equal(status, 1);
    char *json = s_slurp(s_path("h.json"));
    cJSON *doc = cJSON_Parse(json);
    assert_non_null(doc);
    cJSON *checks = cJSON_GetObjectItem(doc, "checks");
    assert_int_equal(cJSON_GetArraySize(checks), 5);
    for (int i = 0; i < 5; i++) {
        cJSON *c = cJSON_GetArrayItem(checks, i);
        const char *st = cJSON_GetStringValue(cJSON_GetObjectItem(c, "status"));
        assert_non_null(st);
        /* every check decided or timed out on its own; none crashed the run */
        assert_true(strcmp(st, "pass") == 0 || strcmp(st, "fail") == 0 || strcmp(st, "error") == 0);
    }
    cJSON_Delete(doc);
    free(json);
    char py[512];
    snprintf(py, sizeof py, "import xml.etree.ElementTree as E; E.parse('%s'); print('ok')",
             s_path("h.xml"));
    assert_int_equal(
        h_run_cmd(&r, (const char *[]){"/usr/bin/python3", "-c", py, NULL}, NULL, 30000), 0);
    assert_string_equal(r.out, "ok\n");
    unlink(s_path("huge.log"));
}

static void test_gate1__write_failure_is_exit_3(void **state)
{
    (void)state;
    const char *m = s_write("full.yaml", HEAD "  - {id: a, phase: files, kind: file, "
                                              "description: d, path: full.yaml}\n");
    char root[600];
    snprintf(root, sizeof root, "--root=%s", s_dir);
    h_run r;
    assert_int_equal(s_gate1(&r,
                             (const char *[]){"run", m, root, "--format", "json", "--output",
                                              "json:/dev/full", NULL},
                             NULL),
                     3);
    assert_non_null(strstr(r.err, "cannot write /dev/full"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gate1__usage_errors_exit_2),
        cmocka_unit_test(test_gate1__help_and_version),
        cmocka_unit_test(test_gate1__broken_manifests_name_the_position),
        cmocka_unit_test(test_gate1__several_reports_from_one_run),
        cmocka_unit_test(test_gate1__validate_and_list),
        cmocka_unit_test(test_gate1__secrets_never_reach_a_report),
        cmocka_unit_test(test_gate1__hostile_files_are_safe),
        cmocka_unit_test(test_gate1__write_failure_is_exit_3),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
