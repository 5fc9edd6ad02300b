/*  test_gate1.c - the gate1 command line as CI and developers use it:
 *  exit codes, one-line manifest errors with positions, several reports
 *  from one run (parsed by standard tools: cJSON, python3's XML parser),
 *  secrets kept out of every format, colour and progress rules (on a real
 *  pseudo-terminal), a reader that leaves early, and checked files that
 *  are huge, binary or invalid UTF-8.
 */
#define _XOPEN_SOURCE 700 /* posix_openpt, grantpt, unlockpt, ptsname */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
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
    const char *argv[] = {"/bin/rm", "-rf", s_dir, NULL};
    h_run r;
    return h_run_cmd(&r, argv, NULL, 30000) == 0 && r.status == 0 ? 0 : -1;
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

/* The entries of directory `dir` whose names start with `prefix` are
 * exactly `want` (NULL-terminated, any order): a report left under a
 * temporary name next to its target shows up as one too many. */
static void s_assert_entries(const char *dir, const char *prefix, const char *const *want)
{
    size_t n_want = 0, seen = 0;
    while (want[n_want])
        n_want++;
    DIR *d = opendir(dir);
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
            continue;
        bool wanted = false;
        for (size_t i = 0; i < n_want; i++)
            wanted |= strcmp(e->d_name, want[i]) == 0;
        if (!wanted) {
            closedir(d);
            fail_msg("%s: unexpected %s", dir, e->d_name);
        }
        seen++;
    }
    closedir(d);
    if (seen != n_want)
        fail_msg("%s: %zu entries '%s...', expected %zu", dir, seen, prefix, n_want);
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
        {"run", good, "--only", "nothing-by-this-name", "--output", NULL},
        {"run", good, "--var", "=x", NULL},
        {"run", good, "--output", "json:/nonexistent-dir/x.json", NULL},
        {"list", good, "--fail-fast", NULL},
        {"run", "/nonexistent/manifest.yaml", NULL},
    };
    /* The unknown --only is found after the outputs were opened: the
     * refused run must take its (temporary) u.json with it. */
    char u_json[600];
    snprintf(u_json, sizeof u_json, "json:%s", s_path("u.json"));
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        h_run r;
        const char *const *args = cases[i];
        char root[600];
        snprintf(root, sizeof root, "--root=%s", s_dir);
        const char *argv[10] = {NULL};
        size_t n = 0;
        for (; args[n]; n++)
            argv[n] = args[n];
        if (n > 0 && strcmp(argv[n - 1], "--output") == 0)
            argv[n++] = u_json;
        if (n > 0)
            argv[n++] = root;
        argv[n] = NULL;
        if (s_gate1(&r, argv, NULL) != 2)
            fail_msg("case %zu: exit %d, want 2; stderr: %s", i, r.status, r.err);
        assert_non_null(strstr(r.err, "gate1"));
        assert_string_equal(r.out, "");
    }
    /* Nothing half-written was left behind by the refused --output. */
    s_assert_entries(s_dir, "u.json", (const char *const[]){NULL});
}

/* An unknown option is named once, in gate1's own message, wherever it is. */
static void test_gate1__unknown_option_is_named_once(void **state)
{
    (void)state;
    const char *m = s_write("opt.yaml", HEAD "  - {id: a, phase: files, kind: file, "
                                             "description: a file, path: opt.yaml}\n");
    const char *const cases[][4] = {
        {"--bogus-option", "validate", m, NULL},
        {"validate", "--bogus-option", m, NULL},
        {"run", m, "--bogus-option", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        h_run r;
        if (s_gate1(&r, cases[i], NULL) != 2)
            fail_msg("case %zu: exit %d, want 2; stderr: %s", i, r.status, r.err);
        const char *first = strstr(r.err, "--bogus-option");
        if (!first || strstr(first + 1, "--bogus-option"))
            fail_msg("case %zu: the option should be named once:\n%s", i, r.err);
        assert_int_equal(strncmp(r.err, "gate1: ", 7), 0);
        assert_string_equal(r.out, "");
    }
}

/* The same file named by two --output options: refused before any check,
 * and nothing is created. */
static void test_gate1__same_output_twice_is_usage_error(void **state)
{
    (void)state;
    const char *m = s_write("twice.yaml", HEAD "  - {id: a, phase: files, kind: file, "
                                               "description: a file, path: twice.yaml}\n");
    char root[600], j1[600], j2[600];
    snprintf(root, sizeof root, "--root=%s", s_dir);
    snprintf(j1, sizeof j1, "json:%s", s_path("twice.out"));
    snprintf(j2, sizeof j2, "junit:%s", s_path("twice.out"));
    const char *const same_format[] = {"run", m, root, "--output", j1, "--output", j1, NULL};
    const char *const two_formats[] = {"run", m, root, "--output", j1, "--output", j2, NULL};
    const char *const *cases[] = {same_format, two_formats};
    for (size_t i = 0; i < 2; i++) {
        h_run r;
        if (s_gate1(&r, cases[i], NULL) != 2)
            fail_msg("case %zu: exit %d, want 2; stderr: %s", i, r.status, r.err);
        assert_non_null(strstr(r.err, "twice.out"));
        assert_string_equal(r.out, "");
        s_assert_entries(s_dir, "twice.out", (const char *const[]){NULL});
    }
}

/* Options may come before the command: one parse of the whole line. */
static void test_gate1__options_before_the_command(void **state)
{
    (void)state;
    const char *m = s_write("first.yaml", HEAD "  - {id: a, phase: files, kind: file, "
                                               "description: a file, path: first.yaml}\n");
    h_run r;
    if (s_gate1(&r, (const char *[]){"--root", s_dir, "validate", m, NULL}, NULL) != 0)
        fail_msg("--root X validate M: exit %d: %s", r.status, r.err);
    assert_non_null(strstr(r.out, "valid: gate demo, 1 checks in 1 phases, sha256 "));
    if (s_gate1(&r, (const char *[]){"--root", s_dir, "run", m, "--format", "json", NULL}, NULL) !=
        0)
        fail_msg("--root X run M: exit %d: %s", r.status, r.err);
    cJSON *doc = cJSON_Parse(r.out);
    assert_non_null(doc);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(doc, "passed")));
    cJSON_Delete(doc);
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
    s_assert_entries(s_dir, "r.", (const char *const[]){"r.json", "r.xml", "r.tap", "r.md", NULL});
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

/* ---- terminals and pipes --------------------------------------------- */

static int64_t s_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*  Run gate1 with one of its outputs (fd 1 or 2) on a fresh pseudo-terminal
 *  and the other on /dev/null; stdin is /dev/null. `env` entries are
 *  "NAME=VALUE" (an empty VALUE is set, empty) or "NAME" alone (unset).
 *  Returns the exit status; `tty` gets what the terminal received. */
/*  Whether this machine can give a pseudo-terminal. A bare chroot (no
 *  devpts mounted) cannot; the terminal tests then say SKIPPED in cmocka's
 *  output rather than pass without having looked. */
static bool s_have_pty(void)
{
    int fd = posix_openpt(O_RDWR | O_NOCTTY);
    if (fd < 0) {
        fprintf(stderr, "test_gate1: no pseudo-terminal here (%s): terminal tests skipped\n",
                strerror(errno));
        return false;
    }
    close(fd);
    return true;
}

static int s_gate1_tty(char *tty, size_t cap, int fd, const char *const *args,
                       const char *const *env)
{
    const char *argv[24] = {GATE1};
    size_t n = 1;
    for (; args[n - 1] && n + 1 < 24; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    /* POSIX's own pseudo-terminal calls: no libutil (openpty) needed. */
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    assert_true(master >= 0);
    assert_int_equal(grantpt(master), 0);
    assert_int_equal(unlockpt(master), 0);
    const char *slave_name = ptsname(master);
    assert_non_null(slave_name);
    int slave = open(slave_name, O_RDWR | O_NOCTTY);
    assert_true(slave >= 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        for (size_t i = 0; env && env[i]; i++) {
            const char *eq = strchr(env[i], '=');
            char name[64];
            size_t len = eq ? (size_t)(eq - env[i]) : strlen(env[i]);
            if (len >= sizeof name)
                _exit(126);
            memcpy(name, env[i], len);
            name[len] = '\0';
            if (eq)
                setenv(name, eq + 1, 1);
            else
                unsetenv(name);
        }
        int null_in = open("/dev/null", O_RDONLY), null_out = open("/dev/null", O_WRONLY);
        if (null_in < 0 || null_out < 0 || dup2(null_in, 0) < 0 || dup2(slave, fd) < 0 ||
            dup2(null_out, fd == 1 ? 2 : 1) < 0)
            _exit(126);
        close(null_in);
        close(null_out);
        close(slave);
        close(master);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(slave);
    /* Read until the terminal hangs up (EIO once the child has exited). */
    size_t len = 0;
    int64_t deadline = s_mono_ms() + 60000;
    for (;;) {
        int64_t left = deadline - s_mono_ms();
        if (left <= 0) {
            kill(pid, SIGKILL);
            break;
        }
        struct pollfd p = {master, POLLIN, 0};
        if (poll(&p, 1, (int)left) <= 0)
            continue;
        char buf[4096];
        ssize_t got = read(master, buf, sizeof buf);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        size_t take = (size_t)got < cap - 1 - len ? (size_t)got : cap - 1 - len;
        memcpy(tty + len, buf, take);
        len += take;
    }
    tty[len] = '\0';
    close(master);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

#define TTY_GATE                                                                                   \
    HEAD "  - {id: there, phase: files, kind: file, description: d, path: tty.yaml}\n"             \
         "  - {id: absent, phase: files, kind: file, description: d, path: nope.txt}\n"

/* Colour on standard output: only on a terminal, with NO_COLOR unset or
 * empty and TERM not "dumb". */
static void test_gate1__colour_only_on_a_terminal_that_wants_it(void **state)
{
    (void)state;
    if (!s_have_pty())
        skip();
    const char *m = s_write("tty.yaml", TTY_GATE);
    char root[600];
    snprintf(root, sizeof root, "--root=%s", s_dir);
    const char *const args[] = {"run", m, root, NULL};
    static const struct {
        const char *env[3];
        bool colour;
    } cases[] = {
        {{"TERM=xterm", "NO_COLOR", NULL}, true},
        {{"TERM=xterm", "NO_COLOR=", NULL}, true}, /* empty is unset */
        {{"TERM=xterm", "NO_COLOR=1", NULL}, false},
        {{"TERM=dumb", "NO_COLOR", NULL}, false},
    };
    static char tty[65536];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int status = s_gate1_tty(tty, sizeof tty, STDOUT_FILENO, args, cases[i].env);
        if (status != 1)
            fail_msg("case %zu: exit %d, want 1:\n%s", i, status, tty);
        /* the report reached the terminal either way */
        assert_non_null(strstr(tty, "Total Checks: 2"));
        if (cases[i].colour) {
            /* the failed check's FAIL in red, reset after */
            if (!strstr(tty, "\033[31mFAIL\033[0m"))
                fail_msg("case %zu (%s %s): no colour in:\n%s", i, cases[i].env[0], cases[i].env[1],
                         tty);
        } else if (strchr(tty, '\033')) {
            fail_msg("case %zu (%s %s): an escape sequence in:\n%s", i, cases[i].env[0],
                     cases[i].env[1], tty);
        }
    }
    /* Not a terminal: the pipe of h_run_cmd, TERM=xterm, NO_COLOR unset. */
    h_run r;
    assert_int_equal(s_gate1(&r, args, (const char *[]){"TERM=xterm", "NO_COLOR=", NULL}), 1);
    assert_non_null(strstr(r.out, "Total Checks: 2"));
    assert_null(strchr(r.out, '\033'));
}

/* The progress line on standard error: only on a terminal, without
 * --quiet, and TERM not "dumb"; it never reaches a pipe. */
static void test_gate1__progress_only_on_a_terminal(void **state)
{
    (void)state;
    if (!s_have_pty())
        skip();
    const char *m = s_write("tty.yaml", TTY_GATE);
    char root[600];
    snprintf(root, sizeof root, "--root=%s", s_dir);
    const char *const loud[] = {"run", m, root, NULL};
    const char *const quiet[] = {"run", m, root, "--quiet", NULL};
    static char tty[65536];
    /* The line is cleared ("\r\033[K") when the run ends, at least. */
    assert_int_equal(s_gate1_tty(tty, sizeof tty, STDERR_FILENO, loud,
                                 (const char *[]){"TERM=xterm", "NO_COLOR=1", NULL}),
                     1);
    if (!strstr(tty, "\r\033[K"))
        fail_msg("no progress line on the terminal: '%s'", tty);
    assert_int_equal(
        s_gate1_tty(tty, sizeof tty, STDERR_FILENO, quiet, (const char *[]){"TERM=xterm", NULL}),
        1);
    assert_string_equal(tty, "");
    assert_int_equal(
        s_gate1_tty(tty, sizeof tty, STDERR_FILENO, loud, (const char *[]){"TERM=dumb", NULL}), 1);
    assert_string_equal(tty, "");
    h_run r;
    assert_int_equal(s_gate1(&r, loud, (const char *[]){"TERM=xterm", NULL}), 1);
    assert_string_equal(r.err, "");
}

/*  Standard output is a pipe whose reader has already gone (what `| head`
 *  or `| true` leaves behind): SIGPIPE must not kill the run, the --output
 *  files are complete and in place, no temporary file remains, and the exit
 *  status is still the gate's. The reader is closed before gate1 starts,
 *  so the write always meets the broken pipe. */
static void test_gate1__reader_that_leaves_early_costs_no_report(void **state)
{
    (void)state;
    const char *m = s_write("tty.yaml", TTY_GATE);
    char dir[600], json[700], xml[700], oj[720], ox[720], root[600];
    snprintf(dir, sizeof dir, "%s/pipe", s_dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(json, sizeof json, "%s/p.json", dir);
    snprintf(xml, sizeof xml, "%s/p.xml", dir);
    snprintf(oj, sizeof oj, "json:%s", json);
    snprintf(ox, sizeof ox, "junit:%s", xml);
    snprintf(root, sizeof root, "--root=%s", s_dir);
    const char *argv[] = {GATE1, "run", m, root, "--output", oj, "--output", ox, NULL};
    const char *err_path = s_path("pipe.err");
    int p[2];
    assert_int_equal(pipe(p), 0);
    close(p[0]);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (err < 0 || dup2(p[1], 1) < 0 || dup2(err, 2) < 0)
            _exit(126);
        close(err);
        close(p[1]);
        signal(SIGPIPE, SIG_DFL); /* whatever the test runner had */
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(p[1]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    char *err = s_slurp(err_path);
    if (!WIFEXITED(status))
        fail_msg("gate1 was killed by signal %d; stderr: %s", WTERMSIG(status), err);
    if (WEXITSTATUS(status) != 1)
        fail_msg("exit %d, want 1 (the gate's result); stderr: %s", WEXITSTATUS(status), err);
    assert_string_equal(err, "");
    free(err);
    s_assert_entries(dir, "p.", (const char *const[]){"p.json", "p.xml", NULL});
    char *text = s_slurp(json);
    cJSON *doc = cJSON_Parse(text);
    free(text);
    assert_non_null(doc);
    assert_int_equal(
        cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "totals"), "checks")), 2);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(doc, "passed")));
    cJSON_Delete(doc);
    text = s_slurp(xml);
    size_t len = strlen(text);
    assert_non_null(strstr(text, "<testsuites"));
    assert_true(len > 14 && strcmp(text + len - 14, "</testsuites>\n") == 0);
    free(text);
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
        cmocka_unit_test(test_gate1__unknown_option_is_named_once),
        cmocka_unit_test(test_gate1__same_output_twice_is_usage_error),
        cmocka_unit_test(test_gate1__options_before_the_command),
        cmocka_unit_test(test_gate1__help_and_version),
        cmocka_unit_test(test_gate1__broken_manifests_name_the_position),
        cmocka_unit_test(test_gate1__several_reports_from_one_run),
        cmocka_unit_test(test_gate1__validate_and_list),
        cmocka_unit_test(test_gate1__secrets_never_reach_a_report),
        cmocka_unit_test(test_gate1__hostile_files_are_safe),
        cmocka_unit_test(test_gate1__colour_only_on_a_terminal_that_wants_it),
        cmocka_unit_test(test_gate1__progress_only_on_a_terminal),
        cmocka_unit_test(test_gate1__reader_that_leaves_early_costs_no_report),
        cmocka_unit_test(test_gate1__write_failure_is_exit_3),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
