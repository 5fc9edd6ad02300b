/*  test_manifest.c - loading gate manifests: every key of every kind read
 *  into its field, variables, includes, secrets, the sha256, and every
 *  refusal with its exact one-line "file:line:column: message" detail.
 *
 *  Each test runs in a fresh mkdtemp sandbox that is also the current
 *  directory, so manifests are named by short relative paths and the
 *  details are stable. The sandbox holds the root ("root/") next to the
 *  manifests; fixtures/manifests/ is copied in as needed.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mt5/check.h"
#include "mt5/clock.h"
#include "mt5/crypto.h"
#include "mt5/error.h"
#include "mt5/manifest.h"

#ifndef MT5_SOURCE_DIR
#define MT5_SOURCE_DIR "."
#endif

#define BIN_DIR "/opt/mt5/bin"

static char s_home[PATH_MAX]; /* the directory the tests started in */
static char s_dir[64];        /* the sandbox, also the current directory */
static char s_root[PATH_MAX]; /* realpath of <sandbox>/root */

/* Variables the tests set; cleared before and after each test. */
static const char *const s_env[] = {"MT5_T_ENV", "MT5_T_EMPTY", "MT5_T_SECRET", "MT5_T_SET"};
#define S_NENV (sizeof s_env / sizeof s_env[0])

/* ---- sandbox ------------------------------------------------------------ */

static int s_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void s_clear_env(void)
{
    for (size_t i = 0; i < S_NENV; i++)
        unsetenv(s_env[i]);
}

static int s_setup(void **state)
{
    (void)state;
    if (!getcwd(s_home, sizeof s_home))
        return -1;
    snprintf(s_dir, sizeof s_dir, "/tmp/mt5-manifest-XXXXXX");
    if (!mkdtemp(s_dir) || chdir(s_dir) != 0 || mkdir("root", 0700) != 0)
        return -1;
    if (!realpath("root", s_root))
        return -1;
    s_clear_env();
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    s_clear_env();
    if (chdir(s_home) != 0)
        return -1;
    return nftw(s_dir, s_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/* mkdir -p for the directories of `rel`. */
static void s_mkdirs(const char *rel)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", rel);
    for (char *p = strchr(buf, '/'); p; p = strchr(p + 1, '/')) {
        *p = '\0';
        assert_true(mkdir(buf, 0700) == 0 || errno == EEXIST);
        *p = '/';
    }
}

static void s_write_bytes(const char *rel, const void *data, size_t len)
{
    s_mkdirs(rel);
    int fd = open(rel, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

static void s_write(const char *rel, const char *text)
{
    s_write_bytes(rel, text, strlen(text));
}

/* The bytes of a file; caller frees. */
static char *s_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n >= 0);
    assert_int_equal(fseek(f, 0, SEEK_SET), 0);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Copy fixtures/manifests/<from> to <sandbox>/<to>. */
static void s_fixture(const char *from, const char *to)
{
    const char *base = getenv("MT5_FIXTURES");
    char path[PATH_MAX];
    if (base)
        snprintf(path, sizeof path, "%s/manifests/%s", base, from);
    else
        snprintf(path, sizeof path, "%s/fixtures/manifests/%s", MT5_SOURCE_DIR, from);
    size_t len = 0;
    char *bytes = s_slurp(path, &len);
    s_write_bytes(to, bytes, len);
    free(bytes);
}

/* ---- loading ------------------------------------------------------------ */

static int s_load_with(mt5_manifest_t **m, const char *path, const char *const *vars, size_t n)
{
    mt5_manifest_options opt = MT5_MANIFEST_OPTIONS_INIT;
    opt.root = "root";
    opt.bin_dir = BIN_DIR;
    opt.vars = vars;
    opt.n_vars = n;
    return mt5_manifest_load(m, path, &opt);
}

static mt5_manifest_t *s_load_ok(const char *path)
{
    mt5_manifest_t *m = NULL;
    int rc = s_load_with(&m, path, NULL, 0);
    if (rc != MT5_OK)
        fail_msg("%s: %s: %s", path, mt5_strerror(rc), mt5_error_detail());
    assert_non_null(m);
    return m;
}

/* Load `path`; true when it fails with `code` and exactly `detail` and
 * leaves *out alone, else print what came instead. */
static bool s_fails_with(const char *path, int code, const char *detail)
{
    mt5_manifest_t *m = (mt5_manifest_t *)0x1;
    mt5_manifest_options opt = MT5_MANIFEST_OPTIONS_INIT;
    opt.root = "root";
    opt.bin_dir = BIN_DIR;
    int rc = mt5_manifest_load(&m, path, &opt);
    if (rc == MT5_OK)
        mt5_manifest_destroy(&m);
    if (rc == code && strcmp(mt5_error_detail(), detail) == 0 && m == (mt5_manifest_t *)0x1)
        return true;
    print_error("%s: expected %s \"%s\"\n  got %s \"%s\"\n", path, mt5_strerror(code), detail,
                mt5_strerror(rc), mt5_error_detail());
    return false;
}

static void s_expect(const char *path, int code, const char *detail)
{
    assert_true(s_fails_with(path, code, detail));
}

/* Write `text` as t.yaml and expect the error. */
static void s_expect_text(const char *text, int code, const char *detail)
{
    s_write("t.yaml", text);
    s_expect("t.yaml", code, detail);
}

/* A manifest with one check "a" in phase "p"; `rest` continues the check
 * mapping from line 8 (column 5 for its keys). */
#define HEAD "gate: g\ntitle: t\nphases:\n  - id: p\nchecks:\n"
#define CHECK(rest) HEAD "  - id: a\n    phase: p\n" rest

static const char *s_strv_at(const mt5_strv_t *v, size_t i)
{
    assert_true(i < v->count);
    return v->items[i];
}

/* ---- a full manifest ---------------------------------------------------- */

static void test_manifest__full_manifest_reads_every_key(void **state)
{
    (void)state;
    s_fixture("good/full.yaml", "gates/full.yaml");
    mt5_manifest_t *m = s_load_ok("gates/full.yaml");
    assert_string_equal(m->id, "full-1.0");
    assert_string_equal(m->title, "Every key of every kind");
    assert_string_equal(m->path, "gates/full.yaml");
    assert_int_equal(m->secrets.count, 0);
    assert_int_equal(m->n_phases, 2);
    assert_string_equal(m->phases[0].id, "files");
    assert_string_equal(m->phases[0].title, "Deliverables");
    assert_string_equal(m->phases[1].id, "live");
    assert_string_equal(m->phases[1].title, "live"); /* defaults to the id */
    assert_int_equal(m->n_checks, 11);

    const mt5_check_t *c = &m->checks[0];
    assert_string_equal(c->id, "readme");
    assert_string_equal(c->phase, "files");
    assert_int_equal(c->kind, MT5_CHECK_FILE);
    assert_string_equal(c->description, "The README exists");
    assert_string_equal(c->fix, "write it");
    assert_int_equal(c->timeout_ms, 500);
    assert_int_equal(c->retries, 0);
    assert_int_equal(c->retry_delay_ms, 120000);
    assert_int_equal(c->needs.count, 0);
    assert_null(c->waiver_reason);
    assert_false(c->skip);
    assert_null(c->skip_reason);
    assert_string_equal(c->file, "gates/full.yaml");
    assert_int_equal(c->line, 16);
    assert_int_equal(c->column, 5);
    assert_string_equal(c->u.file.path, "README.md");
    assert_true(c->u.file.non_empty);
    assert_int_equal(c->u.file.min_lines, 3);
    assert_int_equal(c->u.file.max_lines, 400);
    assert_int_equal(c->u.file.max_bytes, 65536);
    assert_string_equal(c->u.file.sha256,
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

    c = &m->checks[1];
    assert_string_equal(c->id, "docs-mention-hello");
    assert_int_equal(c->kind, MT5_CHECK_CONTAINS);
    assert_null(c->fix);
    assert_int_equal(c->timeout_ms, 10000); /* the file's defaults */
    assert_int_equal(c->retries, 2);
    assert_int_equal(c->retry_delay_ms, 250);
    assert_int_equal(c->needs.count, 1);
    assert_string_equal(s_strv_at(&c->needs, 0), "readme");
    assert_string_equal(c->u.contains.path, "docs/*.md");
    assert_int_equal(c->u.contains.patterns.count, 3);
    assert_string_equal(s_strv_at(&c->u.contains.patterns, 0), "\\bHello\\b");
    assert_string_equal(s_strv_at(&c->u.contains.patterns, 1), "OK_FROM_MT5$");
    assert_string_equal(s_strv_at(&c->u.contains.patterns, 2), "handshake");
    assert_int_equal(c->u.contains.absent.count, 1);
    assert_string_equal(s_strv_at(&c->u.contains.absent, 0), "password\\s*=");
    assert_int_equal(c->u.contains.min_count, 2);
    assert_int_equal(c->u.contains.min_files, 0);
    assert_true(c->u.contains.ignore_case);

    c = &m->checks[2];
    assert_int_equal(c->kind, MT5_CHECK_SECTIONS);
    assert_int_equal(c->needs.count, 2);
    assert_string_equal(s_strv_at(&c->needs, 1), "docs-mention-hello");
    assert_string_equal(c->u.sections.path, "docs/report.md");
    assert_int_equal(c->u.sections.headings.count, 2);
    assert_string_equal(s_strv_at(&c->u.sections.headings, 0), "Summary");
    assert_string_equal(s_strv_at(&c->u.sections.headings, 1), "Evidence");
    assert_int_equal(c->u.sections.min_sections, 4);
    assert_int_equal(c->u.sections.level, 2);

    c = &m->checks[3];
    assert_int_equal(c->kind, MT5_CHECK_LOG);
    assert_string_equal(c->u.log.path, "reports/VERIFY_LOG.log");
    assert_int_equal(c->u.log.mode, MT5_LOG_RESULT);
    assert_string_equal(c->u.log.expect, "OK_FROM_MT5");
    assert_int_equal(c->u.log.max_age_ms, 24LL * 3600 * 1000);
    assert_int_equal(c->u.log.min_count, 1);
    assert_true(c->u.log.since_run);

    c = &m->checks[4];
    assert_int_equal(c->u.log.mode, MT5_LOG_TOKEN);
    assert_string_equal(c->u.log.expect, "Connected");
    assert_int_equal(c->u.log.max_age_ms, -1);
    assert_int_equal(c->u.log.min_count, 3);
    assert_false(c->u.log.since_run);
    assert_string_equal(c->waiver_reason, "seeds not rerun yet");
    assert_string_equal(c->waiver_expires, "2030-01-31");
    assert_int_equal(c->waiver_until_ms, 1896134400000LL); /* 2030-02-01T00:00:00Z */

    c = &m->checks[5];
    assert_int_equal(c->kind, MT5_CHECK_HANDSHAKE);
    assert_string_equal(c->u.handshake.endpoint, "tcp://127.0.0.1:5555");
    assert_string_equal(c->u.handshake.message, "Ping");
    assert_string_equal(c->u.handshake.expect, "Pong");
    assert_string_equal(c->u.handshake.log, "reports/VERIFY_LOG.log");
    assert_true(c->skip);
    assert_string_equal(c->skip_reason, "no gateway in this sandbox");

    c = &m->checks[6];
    assert_int_equal(c->kind, MT5_CHECK_COMMAND);
    assert_int_equal(c->u.command.argv.count, 2);
    assert_string_equal(s_strv_at(&c->u.command.argv, 0), "make");
    assert_string_equal(s_strv_at(&c->u.command.argv, 1), "test");
    assert_false(c->u.command.shell);
    assert_string_equal(c->u.command.cwd, "build");
    assert_int_equal(c->u.command.env.count, 2);
    assert_string_equal(s_strv_at(&c->u.command.env, 0), "LC_ALL=C");
    assert_string_equal(s_strv_at(&c->u.command.env, 1), "DEPTH=3");
    assert_int_equal(c->u.command.expect_exit, 2);
    assert_string_equal(c->u.command.capture, "lines\\.+: ([0-9.]+)%");
    assert_int_equal(c->u.command.stream, MT5_STREAM_STDOUT);
    assert_true(c->u.command.capture_last);
    assert_int_equal(c->u.command.op, MT5_CMP_GE);
    assert_true(c->u.command.threshold == 80.5);

    c = &m->checks[7];
    assert_int_equal(c->u.command.argv.count, 1);
    assert_string_equal(s_strv_at(&c->u.command.argv, 0), "echo $HOME | wc -c");
    assert_true(c->u.command.shell);
    assert_null(c->u.command.cwd);
    assert_int_equal(c->u.command.env.count, 0);
    assert_int_equal(c->u.command.expect_exit, -1);
    assert_null(c->u.command.capture);
    assert_int_equal(c->u.command.stream, MT5_STREAM_BOTH);

    c = &m->checks[8];
    assert_int_equal(c->kind, MT5_CHECK_VERSION);
    assert_int_equal(c->u.version.argv.count, 0);
    assert_string_equal(c->u.version.pkg_config, "libzmq");
    assert_null(c->u.version.capture);
    assert_int_equal(c->u.version.op, MT5_CMP_GE);
    assert_string_equal(c->u.version.want, "4.3");

    c = &m->checks[9];
    assert_int_equal(c->u.version.argv.count, 2);
    assert_string_equal(s_strv_at(&c->u.version.argv, 1), "--version");
    assert_null(c->u.version.pkg_config);
    assert_string_equal(c->u.version.capture, "version ([0-9.]+)");
    assert_int_equal(c->u.version.op, MT5_CMP_LT);
    assert_string_equal(c->u.version.want, "99.0.1");

    c = &m->checks[10];
    assert_int_equal(c->kind, MT5_CHECK_PORT);
    assert_string_equal(c->u.port.host, "127.0.0.1");
    assert_int_equal(c->u.port.port, 5555);

    /* Lookups. */
    assert_ptr_equal(mt5_manifest_find(m, "tests-pass"), &m->checks[6]);
    assert_null(mt5_manifest_find(m, "nope"));
    assert_null(mt5_manifest_find(NULL, "readme"));
    assert_int_equal(mt5_manifest_phase_index(m, "files"), 0);
    assert_int_equal(mt5_manifest_phase_index(m, "live"), 1);
    assert_int_equal(mt5_manifest_phase_index(m, "nope"), -1);
    assert_int_equal(mt5_manifest_phase_index(NULL, "live"), -1);

    /* The sha256 is over the file's bytes. */
    size_t len = 0;
    char *bytes = s_slurp("gates/full.yaml", &len);
    uint8_t digest[MT5_SHA256_LEN];
    char hex[65];
    mt5_sha256(digest, bytes, len);
    assert_int_equal(mt5_hex_encode(hex, sizeof hex, digest, sizeof digest), MT5_OK);
    assert_string_equal(m->sha256, hex);
    free(bytes);

    mt5_manifest_destroy(&m);
    assert_null(m);
    mt5_manifest_destroy(&m); /* harmless */
    mt5_manifest_destroy(NULL);
}

static void test_manifest__built_in_defaults(void **state)
{
    (void)state;
    s_write("t.yaml", CHECK("    kind: log\n    description: d\n    path: VERIFY_LOG.log\n"
                            "  - id: h\n    phase: p\n    kind: handshake\n    description: d\n"
                            "    endpoint: tcp://127.0.0.1:5555\n"
                            "  - id: c\n    phase: p\n    kind: contains\n    description: d\n"
                            "    path: a.txt\n    absent: [x]\n"
                            "  - id: f\n    phase: p\n    kind: file\n    description: d\n"
                            "    path: a.txt\n"
                            "  - id: s\n    phase: p\n    kind: sections\n    description: d\n"
                            "    path: a.md\n    min_sections: 0\n"
                            "  - id: x\n    phase: p\n    kind: command\n    description: d\n"
                            "    argv: [true]\n"));
    mt5_manifest_t *m = s_load_ok("t.yaml");
    assert_int_equal(m->n_checks, 6);
    const mt5_check_t *c = &m->checks[0];
    assert_int_equal(c->timeout_ms, 30000);
    assert_int_equal(c->retries, 0);
    assert_int_equal(c->retry_delay_ms, 1000);
    assert_int_equal(c->u.log.mode, MT5_LOG_RESULT);
    assert_string_equal(c->u.log.expect, "OK_FROM_MT5");
    assert_int_equal(c->u.log.max_age_ms, -1);
    assert_int_equal(c->u.log.min_count, 1);
    assert_false(c->u.log.since_run);
    c = &m->checks[1];
    assert_string_equal(c->u.handshake.message, "Hello");
    assert_string_equal(c->u.handshake.expect, "OK_FROM_MT5");
    assert_null(c->u.handshake.log);
    c = &m->checks[2];
    assert_int_equal(c->u.contains.patterns.count, 0);
    assert_int_equal(c->u.contains.min_count, 1);
    assert_int_equal(c->u.contains.min_files, 1);
    assert_false(c->u.contains.ignore_case);
    c = &m->checks[3];
    assert_false(c->u.file.non_empty);
    assert_int_equal(c->u.file.min_lines, -1);
    assert_int_equal(c->u.file.max_lines, -1);
    assert_int_equal(c->u.file.max_bytes, -1);
    assert_null(c->u.file.sha256);
    c = &m->checks[4];
    assert_int_equal(c->u.sections.min_sections, 0);
    assert_int_equal(c->u.sections.level, 0);
    assert_int_equal(c->u.sections.headings.count, 0);
    c = &m->checks[5];
    assert_int_equal(c->u.command.expect_exit, 0);
    assert_false(c->u.command.shell);
    assert_int_equal(c->u.command.stream, MT5_STREAM_BOTH);
    assert_null(c->u.command.capture);
    mt5_manifest_destroy(&m);
}

/* ---- variables ---------------------------------------------------------- */

static void test_manifest__variables_expand_in_every_scalar(void **state)
{
    (void)state;
    setenv("MT5_T_ENV", "from-env", 1);
    setenv("MT5_T_EMPTY", "", 1);
    s_write("gates/v.yaml",
            "gate: v\n"
            "title: Variables\n"
            "vars:\n"
            "  base: out\n"
            "  dir: ${base}/logs\n"
            "  nested: ${MT5_T_UNSET:-${MT5_T_ALSO_UNSET:-${base}-deep}}\n"
            "  empty_env: ${MT5_T_EMPTY:-fallback}\n"
            "  set_empty: x${MT5_T_EMPTY}y\n"
            "  dollar: cost $$5 and ${base}$$ and $${base} and end$\n"
            "  over: manifest\n"
            "  blank: ''\n"
            "phases:\n"
            "  - id: p\n"
            "checks:\n"
            "  - id: a\n"
            "    phase: p\n"
            "    kind: file\n"
            "    description: ${nested}|${empty_env}|${set_empty}|${dollar}|${over}|${cli}|"
            "${MT5_T_ENV}|${blank:-b}|${blank}|\n"
            "    fix: ${root}|${manifest_dir}|${bin_dir}\n"
            "    path: ${dir}/x.log\n"
            "    max_bytes: ${size:-1024}\n");
    static const char *const vars[] = {"over=first", "cli=c-l-i", "over=cli"};
    mt5_manifest_t *m = NULL;
    int rc = s_load_with(&m, "gates/v.yaml", vars, 3);
    if (rc != MT5_OK)
        fail_msg("%s", mt5_error_detail());
    const mt5_check_t *c = &m->checks[0];
    assert_string_equal(c->description, "out-deep|fallback|xy|cost $5 and out$ and ${base} and "
                                        "end$|cli|c-l-i|from-env|b||");
    char want[3 * PATH_MAX];
    char gates[PATH_MAX];
    assert_non_null(realpath("gates", gates));
    snprintf(want, sizeof want, "%s|%s|%s", s_root, gates, BIN_DIR);
    assert_string_equal(c->fix, want);
    assert_string_equal(c->u.file.path, "out/logs/x.log");
    assert_int_equal(c->u.file.max_bytes, 1024); /* expanded, then read as an integer */
    mt5_manifest_destroy(&m);
}

static void test_manifest__variable_errors(void **state)
{
    (void)state;
    s_fixture("bad/undefined-var.yaml", "undefined-var.yaml");
    s_expect("undefined-var.yaml", MT5_EPARSE,
             "undefined-var.yaml:10:11: undefined variable 'MT5_TEST_NO_SUCH_VARIABLE'");
    s_expect_text(CHECK("    kind: file\n    description: ${abc\n    path: a\n"), MT5_EPARSE,
                  "t.yaml:9:18: unterminated '${abc'");
    s_expect_text(CHECK("    kind: file\n    description: ${abc:-x\n    path: a\n"), MT5_EPARSE,
                  "t.yaml:9:18: unterminated '${abc'");
    s_expect_text(CHECK("    kind: file\n    description: x ${} y\n    path: a\n"), MT5_EPARSE,
                  "t.yaml:9:18: expected a variable name after '${'");
    s_expect_text(CHECK("    kind: file\n    description: ${a-b}\n    path: a\n"), MT5_EPARSE,
                  "t.yaml:9:18: expected '}' or ':-' after '${a'");
    s_expect_text(CHECK("    kind: file\n    description: ${MT5_T_UNSET:-${nope}}\n"
                        "    path: a\n"),
                  MT5_EPARSE, "t.yaml:9:18: undefined variable 'nope'");
    s_expect_text("gate: g\ntitle: t\nvars:\n  my-var: 1\n", MT5_EPARSE,
                  "t.yaml:4:3: 'my-var' is not a valid variable name ([A-Za-z_][A-Za-z0-9_]*)");
    s_expect_text("gate: g\ntitle: t\nvars:\n  x: [1]\n", MT5_EPARSE,
                  "t.yaml:4:6: x: expected a string, found a list");
    s_expect_text("gate: g\ntitle: t\nvars: [x]\n", MT5_EPARSE,
                  "t.yaml:3:7: vars: expected a mapping of names to values, found a list");
    /* 17 nested defaults: one too many. */
    char deep[512], tail[64];
    size_t dw = 0, tw = 0;
    for (int i = 0; i < 17; i++) {
        dw += (size_t)snprintf(deep + dw, sizeof deep - dw, "${MT5_T_UNSET:-");
        tw += (size_t)snprintf(tail + tw, sizeof tail - tw, "}");
    }
    snprintf(deep + dw, sizeof deep - dw, "x");
    char text[1024];
    snprintf(text, sizeof text, CHECK("    kind: file\n    description: '%s%s'\n    path: a\n"),
             deep, tail);
    s_expect_text(text, MT5_EPARSE, "t.yaml:9:18: variables nested deeper than 16");
    /* 16 are fine. */
    snprintf(text, sizeof text, CHECK("    kind: file\n    description: '%s%s'\n    path: a\n"),
             deep + 15, tail + 1);
    s_write("t.yaml", text);
    mt5_manifest_t *m = s_load_ok("t.yaml");
    assert_string_equal(m->checks[0].description, "x");
    mt5_manifest_destroy(&m);
    /* A variable name longer than 255 characters. */
    char name[300];
    memset(name, 'n', 256);
    name[256] = '\0';
    snprintf(text, sizeof text, CHECK("    kind: file\n    description: ${%s}\n    path: a\n"),
             name);
    name[64] = '\0';
    char want[400];
    snprintf(want, sizeof want, "t.yaml:9:18: variable name '%s...' longer than 255 characters",
             name);
    s_expect_text(text, MT5_EPARSE, want);
    /* A value expanding past 64 KiB. */
    size_t n = 40000;
    char *big = malloc(n + 256);
    assert_non_null(big);
    int w = snprintf(big, n + 256, "gate: g\ntitle: t\nvars:\n  big: ");
    memset(big + w, 'b', n);
    snprintf(big + w + n, 256, "\n  twice: ${big}${big}\n");
    s_expect_text(big, MT5_ETOOLARGE, "t.yaml:5:10: the value expands to more than 65536 bytes");
    free(big);
    /* Bad --var options. */
    static const char *const bad[] = {"novalue"};
    static const char *const badname[] = {"1x=y"};
    s_write("t.yaml", CHECK("    kind: file\n    description: d\n    path: a\n"));
    m = (mt5_manifest_t *)0x1;
    assert_int_equal(s_load_with(&m, "t.yaml", bad, 1), MT5_EINVAL);
    assert_string_equal(mt5_error_detail(), "--var 'novalue': expected name=value with a name of "
                                            "[A-Za-z_][A-Za-z0-9_]*");
    assert_int_equal(s_load_with(&m, "t.yaml", badname, 1), MT5_EINVAL);
    assert_string_equal(mt5_error_detail(), "--var '1x=y': expected name=value with a name of "
                                            "[A-Za-z_][A-Za-z0-9_]*");
    assert_ptr_equal(m, (mt5_manifest_t *)0x1); /* out untouched on failure */
}

/* ---- includes ----------------------------------------------------------- */

static void s_copy_include_tree(void)
{
    s_fixture("good/include/top.yaml", "inc/top.yaml");
    s_fixture("good/include/sub/common.yaml", "inc/sub/common.yaml");
    s_fixture("good/include/sub/more.yaml", "inc/sub/more.yaml");
}

/* The expected sha256: the files' bytes in read order. */
static void s_sha_of(char hex[65], const char *const *paths, size_t n)
{
    mt5_sha256_ctx ctx;
    mt5_sha256_init(&ctx);
    for (size_t i = 0; i < n; i++) {
        size_t len = 0;
        char *bytes = s_slurp(paths[i], &len);
        mt5_sha256_update(&ctx, bytes, len);
        free(bytes);
    }
    uint8_t digest[MT5_SHA256_LEN];
    mt5_sha256_final(&ctx, digest);
    assert_int_equal(mt5_hex_encode(hex, 65, digest, sizeof digest), MT5_OK);
}

static void test_manifest__includes_merge_in_order(void **state)
{
    (void)state;
    s_copy_include_tree();
    mt5_manifest_t *m = s_load_ok("inc/top.yaml");
    assert_string_equal(m->id, "inc");
    assert_int_equal(m->n_phases, 3);
    assert_string_equal(m->phases[0].id, "common-phase");
    assert_string_equal(m->phases[1].id, "more-phase");
    assert_string_equal(m->phases[1].title, "More");
    assert_string_equal(m->phases[2].id, "top-phase");
    assert_int_equal(m->n_checks, 3);
    const mt5_check_t *c = &m->checks[0];
    assert_string_equal(c->id, "common-check");
    assert_string_equal(c->file, "inc/sub/common.yaml");
    assert_int_equal(c->line, 10);
    assert_string_equal(c->description, "by top with common-vars"); /* the includer wins */
    assert_string_equal(c->phase, "top-phase"); /* declared later, in the top file */
    assert_int_equal(c->timeout_ms, 5000);      /* its file's defaults */
    c = &m->checks[1];
    assert_string_equal(c->id, "more-check");
    assert_string_equal(c->file, "inc/sub/more.yaml");
    char sub[PATH_MAX], want[PATH_MAX + 32];
    assert_non_null(realpath("inc/sub", sub));
    snprintf(want, sizeof want, "common-vars from %s", sub);
    assert_string_equal(c->description, want);
    assert_int_equal(c->timeout_ms, 30000);
    c = &m->checks[2];
    assert_string_equal(c->id, "top-check");
    assert_string_equal(c->file, "inc/top.yaml");
    assert_string_equal(c->description, "by top");
    assert_int_equal(c->needs.count, 2);

    /* Read order: top, common, more (common is not read twice). */
    static const char *const order[] = {"inc/top.yaml", "inc/sub/common.yaml", "inc/sub/more.yaml"};
    char hex[65], before[65];
    s_sha_of(hex, order, 3);
    assert_string_equal(m->sha256, hex);
    memcpy(before, m->sha256, sizeof before);
    mt5_manifest_destroy(&m);

    /* Changing an included file changes the sha256. */
    size_t len = 0;
    char *bytes = s_slurp("inc/sub/more.yaml", &len);
    char *edited = malloc(len + 16);
    assert_non_null(edited);
    memcpy(edited, bytes, len);
    memcpy(edited + len, "# edited\n", 10);
    s_write("inc/sub/more.yaml", edited);
    free(bytes);
    free(edited);
    m = s_load_ok("inc/top.yaml");
    s_sha_of(hex, order, 3);
    assert_string_equal(m->sha256, hex);
    assert_string_not_equal(m->sha256, before);
    mt5_manifest_destroy(&m);
}

static void test_manifest__include_errors(void **state)
{
    (void)state;
    s_fixture("bad/cycle-a.yaml", "cycle-a.yaml");
    s_fixture("bad/cycle-b.yaml", "cycle-b.yaml");
    s_fixture("bad/cycle-self.yaml", "cycle-self.yaml");
    s_fixture("bad/missing-include.yaml", "missing-include.yaml");
    s_expect("cycle-a.yaml", MT5_EPARSE,
             "cycle-b.yaml:2:5: include cycle: cycle-a.yaml -> cycle-b.yaml -> cycle-a.yaml");
    s_expect("cycle-self.yaml", MT5_EPARSE,
             "cycle-self.yaml:4:5: include cycle: cycle-self.yaml -> cycle-self.yaml");
    s_expect("missing-include.yaml", MT5_EPARSE,
             "missing-include.yaml:3:11: cannot include not-there.yaml: No such file or "
             "directory");
    /* Relative to the including file's directory, named as joined. */
    s_write("d/top.yaml", "gate: g\ntitle: t\ninclude: [sub/x.yaml]\n");
    s_write("d/sub/x.yaml", "include: [../top.yaml]\n");
    s_expect("d/top.yaml", MT5_EPARSE,
             "d/sub/x.yaml:1:11: include cycle: d/top.yaml -> d/sub/x.yaml -> d/sub/../top.yaml");
    /* An absolute include is allowed: manifests are trusted. */
    char abs[PATH_MAX + 256], cwd[PATH_MAX];
    assert_non_null(getcwd(cwd, sizeof cwd));
    s_write("lib/phases.yaml", "phases: [{id: p}]\n");
    snprintf(abs, sizeof abs,
             "gate: g\ntitle: t\ninclude: ['%s/lib/phases.yaml']\n"
             "checks: [{id: a, phase: p, kind: port, description: d, host: h, port: 1}]\n",
             cwd);
    s_write("d/abs.yaml", abs);
    mt5_manifest_t *m = s_load_ok("d/abs.yaml");
    assert_int_equal(m->n_phases, 1);
    assert_string_equal(m->phases[0].id, "p");
    mt5_manifest_destroy(&m);
    /* Errors inside an included file name that file. */
    s_write("d/top.yaml", "gate: g\ntitle: t\ninclude: [sub/x.yaml]\n");
    s_write("d/sub/x.yaml", "phases:\n  - id: p\n    titel: typo\n");
    s_expect("d/top.yaml", MT5_EPARSE, "d/sub/x.yaml:3:5: unknown key 'titel' in a phase");
    /* A directory is not a manifest. */
    s_write("d/top.yaml", "gate: g\ntitle: t\ninclude: [sub]\n");
    s_expect("d/top.yaml", MT5_EPARSE, "d/top.yaml:3:11: cannot include d/sub: not a regular file");
    s_write("d/top.yaml", "gate: g\ntitle: t\ninclude: sub/x.yaml\n");
    s_expect("d/top.yaml", MT5_EPARSE,
             "d/top.yaml:3:10: include: expected a list of strings, found 'sub/x.yaml'");
}

/* d0.yaml (the top) includes d1.yaml, which includes d2.yaml, ... up to
 * d<last>.yaml, which includes nothing. */
static void s_include_chain(int last)
{
    for (int i = 0; i <= last; i++) {
        char name[32], text[256];
        snprintf(name, sizeof name, "d%d.yaml", i);
        if (i == last)
            snprintf(text, sizeof text, "vars: {deepest: d%d}\n", i);
        else if (i > 0)
            snprintf(text, sizeof text, "include: [d%d.yaml]\n", i + 1);
        else
            snprintf(text, sizeof text,
                     "gate: g\ntitle: t\ninclude: [d1.yaml]\nphases: [{id: p}]\n"
                     "checks: [{id: a, phase: p, kind: port, description: '${deepest}', "
                     "host: h, port: 1}]\n");
        s_write(name, text);
    }
}

/* At most 32 files are open at once: the top and 31 nested includes. */
static void test_manifest__include_depth_limit_is_32(void **state)
{
    (void)state;
    s_include_chain(31);
    mt5_manifest_t *m = s_load_ok("d0.yaml");
    assert_string_equal(m->checks[0].description, "d31");
    mt5_manifest_destroy(&m);
    s_include_chain(32);
    s_expect("d0.yaml", MT5_EPARSE, "d31.yaml:1:11: includes nested deeper than 32");
}

/* ---- refusals ----------------------------------------------------------- */

typedef struct {
    const char *fixture; /* under fixtures/manifests/bad/ */
    int code;
    const char *detail;
} s_bad_t;

static void test_manifest__bad_fixtures_give_exact_errors(void **state)
{
    (void)state;
    static const s_bad_t cases[] = {
        {"unknown-top-key.yaml", MT5_EPARSE,
         "unknown-top-key.yaml:11:1: unknown top-level key 'gaet'"},
        {"unknown-check-key.yaml", MT5_EPARSE,
         "unknown-check-key.yaml:10:5: unknown key 'pathh' for a file check"},
        {"unknown-kind.yaml", MT5_EPARSE,
         "unknown-kind.yaml:8:11: unknown kind 'files' (one of file, contains, sections, log, "
         "handshake, command, version, port)"},
        {"retries-many.yaml", MT5_EPARSE,
         "retries-many.yaml:11:14: retries: expected an integer from 0 to 10, found 'many'"},
        {"patterns-3.yaml", MT5_EPARSE,
         "patterns-3.yaml:11:15: patterns: expected a list of strings, found '3'"},
        {"duplicate-check.yaml", MT5_EPARSE,
         "duplicate-check.yaml:11:9: duplicate check id 'a' (first at "
         "duplicate-check.yaml:6:5)"},
        {"duplicate-phase.yaml", MT5_EPARSE,
         "duplicate-phase.yaml:6:9: duplicate phase id 'p' (first at "
         "duplicate-phase.yaml:4:5)"},
        {"unknown-phase.yaml", MT5_EPARSE,
         "unknown-phase.yaml:7:12: unknown phase 'build' (not declared in phases)"},
        {"needs-later.yaml", MT5_EPARSE,
         "needs-later.yaml:11:13: needs 'b', which is declared later (at needs-later.yaml:12:5); "
         "a check can only need checks declared before it"},
        {"needs-unknown.yaml", MT5_EPARSE,
         "needs-unknown.yaml:16:16: needs 'c', which is not a check"},
        {"bad-regex.yaml", MT5_EPARSE,
         "bad-regex.yaml:13:9: patterns: 'broken(group' does not compile: at offset 12: "
         "missing closing parenthesis"},
        {"bad-endpoint.yaml", MT5_EPARSE,
         "bad-endpoint.yaml:10:15: endpoint: 'tcp://127.0.0.1:99999': the port must be "
         "0-65535 or *"},
        {"path-dotdot.yaml", MT5_EPARSE,
         "path-dotdot.yaml:10:11: path: src/../../etc/passwd: leaves the root"},
        {"path-absolute.yaml", MT5_EPARSE,
         "path-absolute.yaml:10:11: path: /etc/passwd: absolute paths are not allowed"},
        {"bad-date.yaml", MT5_EPARSE,
         "bad-date.yaml:13:16: expires: expected a date YYYY-MM-DD, found '2026-02-30'"},
        {"syntax.yaml", MT5_EPARSE,
         "syntax.yaml:3:7: did not find expected ',' or ']' while parsing a flow sequence"},
    };
    int failures = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char from[128];
        snprintf(from, sizeof from, "bad/%s", cases[i].fixture);
        s_fixture(from, cases[i].fixture);
        failures += !s_fails_with(cases[i].fixture, cases[i].code, cases[i].detail);
    }
    assert_int_equal(failures, 0);
}

typedef struct {
    const char *text; /* written as t.yaml */
    int code;
    const char *detail;
} s_case_t;

/* Each rule of the format, one refusal each. */
static void test_manifest__each_rule_gives_an_exact_error(void **state)
{
    (void)state;
    static const s_case_t cases[] = {
        /* The top level. */
        {"- a\n", MT5_EPARSE,
         "t.yaml:1:1: the top level must be a mapping (gate, title, phases, checks)"},
        {"title: t\n", MT5_EPARSE, "t.yaml:1:1: missing key 'gate'"},
        {"gate: g\n", MT5_EPARSE, "t.yaml:1:1: missing key 'title'"},
        {"gate: -g\ntitle: t\n", MT5_EPARSE,
         "t.yaml:1:7: gate: '-g' is not a valid id ([A-Za-z0-9][A-Za-z0-9._-]*)"},
        {"gate: g\ntitle: \"two\\nlines\"\n", MT5_EPARSE, "t.yaml:2:8: title: must be one line"},
        {"gate: g\ntitle: t\n", MT5_EPARSE,
         "t.yaml:1:1: no phases declared (a manifest needs at least one)"},
        {"gate: g\ntitle: t\nphases: [{id: p}]\n", MT5_EPARSE,
         "t.yaml:1:1: no checks declared (a manifest needs at least one)"},
        {"gate: g\ntitle: t\nphases: [{id: p}]\nchecks: []\n", MT5_EPARSE,
         "t.yaml:1:1: no checks declared (a manifest needs at least one)"},
        {"gate: g\ntitle: t\nphases: p\n", MT5_EPARSE,
         "t.yaml:3:9: phases: expected a list of phases, found 'p'"},
        {"gate: g\ntitle: t\nphases: [p]\n", MT5_EPARSE,
         "t.yaml:3:10: phases: expected a mapping {id, title}, found 'p'"},
        {"gate: g\ntitle: t\nphases: [{title: x}]\n", MT5_EPARSE,
         "t.yaml:3:10: missing key 'id' in a phase"},
        {"gate: g\ntitle: t\nphases: [{id: p}]\nchecks:\n", MT5_EPARSE,
         "t.yaml:4:8: checks: expected a list of checks, found nothing"},
        {"gate: g\ntitle: t\nphases: [{id: p}]\nchecks: [x]\n", MT5_EPARSE,
         "t.yaml:4:10: checks: expected a mapping (a check), found 'x'"},
        {"gate: g\ntitle: t\ndefaults: {timeout: 5}\n", MT5_EPARSE,
         "t.yaml:3:21: timeout: expected a duration such as 500ms, 5s, 2m, 1h or 7d, found '5'"},
        {"gate: g\ntitle: t\ndefaults: {retry: 5}\n", MT5_EPARSE,
         "t.yaml:3:12: unknown key 'retry' in defaults"},
        {"gate: g\ntitle: t\nsecrets: [A, [B]]\n", MT5_EPARSE,
         "t.yaml:3:14: secrets: expected a list of strings, found a list"},
        /* Shared check keys. */
        {HEAD "  - phase: p\n    kind: file\n    description: d\n    path: a\n", MT5_EPARSE,
         "t.yaml:6:5: missing key 'id' in a check"},
        {HEAD "  - id: a\n    phase: p\n    description: d\n", MT5_EPARSE,
         "t.yaml:6:5: missing key 'kind' in check 'a'"},
        {CHECK("    kind: file\n    path: a\n"), MT5_EPARSE,
         "t.yaml:6:5: missing key 'description' in check 'a'"},
        {CHECK("    kind: file\n    description: d\n"), MT5_EPARSE,
         "t.yaml:6:5: missing key 'path' in check 'a'"},
        {HEAD "  - id: a b\n    phase: p\n    kind: file\n    description: d\n    path: a\n",
         MT5_EPARSE, "t.yaml:6:9: id: 'a b' is not a valid id ([A-Za-z0-9][A-Za-z0-9._-]*)"},
        {CHECK("    kind: file\n    description: ''\n    path: a\n"), MT5_EPARSE,
         "t.yaml:9:18: description: must not be empty"},
        {CHECK("    kind: file\n    description: d\n    path: a\n    retries: 11\n"), MT5_EPARSE,
         "t.yaml:11:14: retries: expected an integer from 0 to 10, found '11'"},
        {CHECK("    kind: file\n    description: d\n    path: a\n    retries: '1'\n"), MT5_EPARSE,
         "t.yaml:11:14: retries: expected an integer from 0 to 10, found '1' (quoted)"},
        {CHECK("    kind: file\n    description: d\n    path: a\n    timeout: 0s\n"), MT5_EPARSE,
         "t.yaml:11:14: timeout: must be at least 1ms, found '0s'"},
        {CHECK("    kind: file\n    description: d\n    path: a\n    timeout: 5x\n"), MT5_EPARSE,
         "t.yaml:11:14: timeout: expected a duration such as 500ms, 5s, 2m, 1h or 7d, found "
         "'5x'"},
        {CHECK("    kind: file\n    description: d\n    path: a\n    timeout: -5s\n"), MT5_EPARSE,
         "t.yaml:11:14: timeout: expected a duration such as 500ms, 5s, 2m, 1h or 7d, found "
         "'-5s'"},
        {CHECK("    kind: file\n    description: d\n    path: a\n    retry_delay: 1.5s\n"),
         MT5_EPARSE,
         "t.yaml:11:18: retry_delay: expected a duration such as 500ms, 5s, 2m, 1h or 7d, "
         "found '1.5s'"},
        {CHECK("    kind: file\n    description: d\n    path: a\n    needs: a\n"), MT5_EPARSE,
         "t.yaml:11:12: check 'a' needs itself"},
        {CHECK("    kind: file\n    description: d\n    path: a\n"
               "  - id: b\n    phase: p\n    kind: file\n    description: d\n    path: b\n"
               "    needs: [a, a]\n"),
         MT5_EPARSE, "t.yaml:16:16: needs 'a' twice"},
        {CHECK("    kind: file\n    description: d\n    path: a\n    needs: {a: 1}\n"), MT5_EPARSE,
         "t.yaml:11:12: needs: expected a string or a list of strings, found a mapping"},
        {CHECK("    kind: file\n    description: d\n    path: a\n    waiver: {reason: r}\n"),
         MT5_EPARSE, "t.yaml:11:13: missing key 'expires' in a waiver"},
        {CHECK("    kind: file\n    description: d\n    path: a\n"
               "    waiver: {reason: r, expires: 2026-2-3}\n"),
         MT5_EPARSE, "t.yaml:11:34: expires: expected a date YYYY-MM-DD, found '2026-2-3'"},
        {CHECK("    kind: file\n    description: d\n    path: a\n"
               "    waiver: {reason: r, expires: 2026-01-01, by: me}\n"),
         MT5_EPARSE, "t.yaml:11:46: unknown key 'by' in a waiver"},
        {CHECK("    kind: file\n    description: d\n    path: a\n    skip: {when: x}\n"),
         MT5_EPARSE, "t.yaml:11:11: missing key 'reason' in skip"},
        {CHECK("    kind: file\n    description: d\n    path: a\n    skip: yes\n"), MT5_EPARSE,
         "t.yaml:11:11: skip: expected a mapping {when, reason}, found 'yes'"},
        /* file */
        {CHECK("    kind: file\n    description: d\n    path: a\n    non_empty: maybe\n"),
         MT5_EPARSE, "t.yaml:11:16: non_empty: expected true or false, found 'maybe'"},
        {CHECK("    kind: file\n    description: d\n    path: a\n    min_lines: 5\n"
               "    max_lines: 4\n"),
         MT5_EPARSE, "t.yaml:12:16: max_lines: 4 is less than min_lines (5)"},
        {CHECK("    kind: file\n    description: d\n    path: a\n    max_bytes: -1\n"), MT5_EPARSE,
         "t.yaml:11:16: max_bytes: expected an integer >= 0, found '-1'"},
        {CHECK("    kind: file\n    description: d\n    path: a\n    sha256: abc\n"), MT5_EPARSE,
         "t.yaml:11:13: sha256: expected 64 hex digits, found 'abc'"},
        /* contains */
        {CHECK("    kind: contains\n    description: d\n    path: a\n"), MT5_EPARSE,
         "t.yaml:6:5: a contains check needs 'patterns', 'pattern' or 'absent' in check 'a'"},
        {CHECK("    kind: contains\n    description: d\n    path: a\n    pattern: x\n"
               "    min_count: 0\n"),
         MT5_EPARSE, "t.yaml:12:16: min_count: expected an integer >= 1, found '0'"},
        {CHECK("    kind: contains\n    description: d\n    path: a\n    pattern: '['\n"),
         MT5_EPARSE,
         "t.yaml:11:14: pattern: '[' does not compile: at offset 1: missing terminating ] for "
         "character class"},
        {CHECK("    kind: contains\n    description: d\n    path: ../*.md\n    pattern: x\n"),
         MT5_EPARSE, "t.yaml:10:11: path: ../*.md: leaves the root"},
        {CHECK("    kind: contains\n    description: d\n    path: docs/*/../../../x\n"
               "    pattern: x\n"),
         MT5_EPARSE, "t.yaml:10:11: path: docs/*/../../../x: leaves the root"},
        /* sections */
        {CHECK("    kind: sections\n    description: d\n    path: a.md\n"), MT5_EPARSE,
         "t.yaml:6:5: a sections check needs 'headings' or 'min_sections' in check 'a'"},
        {CHECK("    kind: sections\n    description: d\n    path: a.md\n    headings: [A]\n"
               "    level: 7\n"),
         MT5_EPARSE, "t.yaml:12:12: level: expected an integer from 0 to 6, found '7'"},
        /* log */
        {CHECK("    kind: log\n    description: d\n    path: l\n    mode: tail\n"), MT5_EPARSE,
         "t.yaml:11:11: mode: expected result or token, found 'tail'"},
        {CHECK("    kind: log\n    description: d\n    path: l\n    mode: token\n"
               "    max_age: 1h\n"),
         MT5_EPARSE, "t.yaml:12:14: max_age applies to mode: result only"},
        {CHECK("    kind: log\n    description: d\n    path: l\n    min_count: 2\n"), MT5_EPARSE,
         "t.yaml:11:16: min_count applies to mode: token only"},
        {CHECK("    kind: log\n    description: d\n    path: l\n    since: now\n"), MT5_EPARSE,
         "t.yaml:11:12: since: expected run or all, found 'now'"},
        /* handshake */
        {CHECK("    kind: handshake\n    description: d\n    endpoint: http://x\n"), MT5_EPARSE,
         "t.yaml:10:15: endpoint: 'http://x': not tcp://, ipc:// or inproc:// followed by an "
         "address"},
        {CHECK("    kind: handshake\n    description: d\n    endpoint: tcp://127.0.0.1:*\n"),
         MT5_EPARSE,
         "t.yaml:10:15: endpoint: 'tcp://127.0.0.1:*': a handshake connects, so the port must "
         "be 1-65535"},
        {CHECK("    kind: handshake\n    description: d\n    endpoint: tcp://127.0.0.1:0\n"),
         MT5_EPARSE,
         "t.yaml:10:15: endpoint: 'tcp://127.0.0.1:0': a handshake connects, so the port must "
         "be 1-65535"},
        {CHECK("    kind: handshake\n    description: d\n    endpoint: tcp://127.0.0.1:00\n"),
         MT5_EPARSE,
         "t.yaml:10:15: endpoint: 'tcp://127.0.0.1:00': a handshake connects, so the port must "
         "be 1-65535"},
        {CHECK("    kind: handshake\n    description: d\n    endpoint: tcp://127.0.0.1\n"),
         MT5_EPARSE,
         "t.yaml:10:15: endpoint: 'tcp://127.0.0.1': a handshake connects, so the port must "
         "be 1-65535"},
        {CHECK("    kind: handshake\n    description: d\n    endpoint: tcp://[::1]\n"), MT5_EPARSE,
         "t.yaml:10:15: endpoint: 'tcp://[::1]': the port must be 0-65535 or *"},
        {CHECK("    kind: handshake\n    description: d\n    endpoint: tcp://127.0.0.1:+80\n"),
         MT5_EPARSE,
         "t.yaml:10:15: endpoint: 'tcp://127.0.0.1:+80': a handshake connects, so the port must "
         "be 1-65535"},
        {CHECK("    kind: handshake\n    description: d\n    endpoint: tcp://127.0.0.1:65536\n"),
         MT5_EPARSE,
         "t.yaml:10:15: endpoint: 'tcp://127.0.0.1:65536': the port must be 0-65535 or *"},
        {CHECK("    kind: handshake\n    description: d\n    endpoint: tcp://127.0.0.1:1\n"
               "    log: /var/log/x\n"),
         MT5_EPARSE, "t.yaml:11:10: log: /var/log/x: absolute paths are not allowed"},
        /* command */
        {CHECK("    kind: command\n    description: d\n    argv: []\n"), MT5_EPARSE,
         "t.yaml:10:11: argv: must not be empty"},
        {CHECK("    kind: command\n    description: d\n    argv: make test\n"), MT5_EPARSE,
         "t.yaml:10:11: argv: expected a list of strings (or shell: true for a command line), "
         "found 'make test'"},
        {CHECK("    kind: command\n    description: d\n    shell: true\n    argv: [make]\n"),
         MT5_EPARSE, "t.yaml:11:11: argv: expected a single string with shell: true, found a list"},
        {CHECK("    kind: command\n    description: d\n    argv: [make, [x]]\n"), MT5_EPARSE,
         "t.yaml:10:18: argv: expected a list of strings, found a list"},
        {CHECK("    kind: command\n    description: d\n    argv: [x]\n    exit: 256\n"), MT5_EPARSE,
         "t.yaml:11:11: exit: expected an integer from 0 to 255 or 'any', found '256'"},
        {CHECK("    kind: command\n    description: d\n    argv: [x]\n    stream: out\n"),
         MT5_EPARSE, "t.yaml:11:13: stream: expected stdout, stderr or both, found 'out'"},
        {CHECK("    kind: command\n    description: d\n    argv: [x]\n    capture: '(\\d+)'\n"),
         MT5_EPARSE, "t.yaml:11:14: capture needs a threshold"},
        {CHECK("    kind: command\n    description: d\n    argv: [x]\n    threshold: '> 1'\n"),
         MT5_EPARSE, "t.yaml:11:16: threshold needs a capture"},
        {CHECK("    kind: command\n    description: d\n    argv: [x]\n    capture: '(\\d+)'\n"
               "    threshold: '=> 1'\n"),
         MT5_EPARSE,
         "t.yaml:12:16: threshold: expected '<op> <number>' (op one of >=, >, <=, <, ==, !=), "
         "found '=> 1'"},
        {CHECK("    kind: command\n    description: d\n    argv: [x]\n    capture: '(\\d+)'\n"
               "    threshold: '>= lots'\n"),
         MT5_EPARSE,
         "t.yaml:12:16: threshold: expected '<op> <number>' (op one of >=, >, <=, <, ==, !=), "
         "found '>= lots'"},
        {CHECK("    kind: command\n    description: d\n    argv: [x]\n    env: {1X: y}\n"),
         MT5_EPARSE,
         "t.yaml:11:11: env: '1X' is not a valid variable name ([A-Za-z_][A-Za-z0-9_]*)"},
        {CHECK("    kind: command\n    description: d\n    argv: [x]\n    cwd: ../up\n"),
         MT5_EPARSE, "t.yaml:11:10: cwd: ../up: leaves the root"},
        /* version */
        {CHECK("    kind: version\n    description: d\n    want: '>= 1'\n"), MT5_EPARSE,
         "t.yaml:6:5: a version check needs 'argv' or 'pkg_config' in check 'a'"},
        {CHECK("    kind: version\n    description: d\n    argv: [x]\n    pkg_config: y\n"
               "    want: '>= 1'\n"),
         MT5_EPARSE, "t.yaml:11:17: a version check takes 'argv' or 'pkg_config', not both"},
        {CHECK("    kind: version\n    description: d\n    pkg_config: y\n"), MT5_EPARSE,
         "t.yaml:6:5: missing key 'want' in check 'a'"},
        {CHECK("    kind: version\n    description: d\n    pkg_config: y\n    want: v4\n"),
         MT5_EPARSE,
         "t.yaml:11:11: want: expected '<op> <version>' (op one of >=, >, <=, <, ==, !=), found "
         "'v4'"},
        {CHECK("    kind: version\n    description: d\n    pkg_config: y\n    want: '>= v4'\n"),
         MT5_EPARSE,
         "t.yaml:11:11: want: expected '<op> <version>' (op one of >=, >, <=, <, ==, !=), found "
         "'>= v4'"},
        /* port */
        {CHECK("    kind: port\n    description: d\n    host: localhost\n    port: 0\n"),
         MT5_EPARSE, "t.yaml:11:11: port: expected an integer from 1 to 65535, found '0'"},
        {CHECK("    kind: port\n    description: d\n    host: localhost\n    port: 65536\n"),
         MT5_EPARSE, "t.yaml:11:11: port: expected an integer from 1 to 65535, found '65536'"},
        {CHECK("    kind: port\n    description: d\n    port: 1\n"), MT5_EPARSE,
         "t.yaml:6:5: missing key 'host' in check 'a'"},
        {CHECK("    kind: port\n    description: d\n    host: h\n    port: 1\n    path: x\n"),
         MT5_EPARSE, "t.yaml:12:5: unknown key 'path' for a port check"},
    };
    int failures = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        s_write("t.yaml", cases[i].text);
        failures += !s_fails_with("t.yaml", cases[i].code, cases[i].detail);
    }
    assert_int_equal(failures, 0);
}

static void test_manifest__accepted_forms(void **state)
{
    (void)state;
    /* Thresholds and wants with and without blanks; every comparison. */
    s_write("t.yaml", CHECK("    kind: command\n    description: d\n    argv: [x]\n"
                            "    capture: '(\\d+)'\n    threshold: '<=-2.5'\n"
                            "  - id: b\n    phase: p\n    kind: command\n    description: d\n"
                            "    argv: [x]\n    capture: '(\\d+)'\n    threshold: '  !=   7  '\n"
                            "  - id: c\n    phase: p\n    kind: version\n    description: d\n"
                            "    pkg_config: z\n    want: ==1.0rc1\n"
                            "  - id: d\n    phase: p\n    kind: version\n    description: d\n"
                            "    pkg_config: z\n    want: '> 2'\n"
                            "  - id: e\n    phase: p\n    kind: command\n    description: d\n"
                            "    argv: [x]\n    capture: '(\\d+)'\n    threshold: < 1e3\n"));
    mt5_manifest_t *m = s_load_ok("t.yaml");
    assert_int_equal(m->checks[0].u.command.op, MT5_CMP_LE);
    assert_true(m->checks[0].u.command.threshold == -2.5);
    assert_int_equal(m->checks[1].u.command.op, MT5_CMP_NE);
    assert_true(m->checks[1].u.command.threshold == 7.0);
    assert_int_equal(m->checks[2].u.version.op, MT5_CMP_EQ);
    assert_string_equal(m->checks[2].u.version.want, "1.0rc1");
    assert_int_equal(m->checks[3].u.version.op, MT5_CMP_GT);
    assert_string_equal(m->checks[3].u.version.want, "2");
    assert_int_equal(m->checks[4].u.command.op, MT5_CMP_LT);
    assert_true(m->checks[4].u.command.threshold == 1000.0);
    mt5_manifest_destroy(&m);
    /* Handshake endpoints: ports 1 and 65535, IPv6, and the schemes that
     * have no port. */
    s_write("t.yaml", HEAD "  - {id: a, phase: p, kind: handshake, description: d, "
                           "endpoint: 'tcp://127.0.0.1:1'}\n"
                           "  - {id: b, phase: p, kind: handshake, description: d, "
                           "endpoint: 'tcp://localhost:65535'}\n"
                           "  - {id: c, phase: p, kind: handshake, description: d, "
                           "endpoint: 'tcp://[::1]:5555'}\n"
                           "  - {id: d, phase: p, kind: handshake, description: d, "
                           "endpoint: 'ipc:///tmp/mt5.sock'}\n"
                           "  - {id: e, phase: p, kind: handshake, description: d, "
                           "endpoint: 'inproc://gate'}\n");
    m = s_load_ok("t.yaml");
    assert_int_equal(m->n_checks, 5);
    assert_string_equal(m->checks[0].u.handshake.endpoint, "tcp://127.0.0.1:1");
    assert_string_equal(m->checks[1].u.handshake.endpoint, "tcp://localhost:65535");
    assert_string_equal(m->checks[2].u.handshake.endpoint, "tcp://[::1]:5555");
    assert_string_equal(m->checks[3].u.handshake.endpoint, "ipc:///tmp/mt5.sock");
    assert_string_equal(m->checks[4].u.handshake.endpoint, "inproc://gate");
    mt5_manifest_destroy(&m);
}

/* ---- durations ---------------------------------------------------------- */

static void test_manifest__durations(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int64_t ms;
    } ok[] = {{"500ms", 500},  {"5s", 5000},      {"2m", 120000},
              {"1h", 3600000}, {"7d", 604800000}, {"1ms", 1}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        char text[256];
        snprintf(text, sizeof text,
                 CHECK("    kind: file\n    description: d\n    path: a\n    timeout: %s\n"),
                 ok[i].text);
        s_write("t.yaml", text);
        mt5_manifest_t *m = s_load_ok("t.yaml");
        assert_int_equal(m->checks[0].timeout_ms, ok[i].ms);
        mt5_manifest_destroy(&m);
    }
    s_expect_text(CHECK("    kind: file\n    description: d\n    path: a\n    timeout: 5\n"),
                  MT5_EPARSE,
                  "t.yaml:11:14: timeout: expected a duration such as 500ms, 5s, 2m, 1h or 7d, "
                  "found '5'");
    s_expect_text(CHECK("    kind: file\n    description: d\n    path: a\n"
                        "    timeout: 99999999999999999999d\n"),
                  MT5_EPARSE,
                  "t.yaml:11:14: timeout: expected a duration such as 500ms, 5s, 2m, 1h or 7d, "
                  "found '99999999999999999999d'");
    s_expect_text(CHECK("    kind: file\n    description: d\n    path: a\n    timeout: s\n"),
                  MT5_EPARSE,
                  "t.yaml:11:14: timeout: expected a duration such as 500ms, 5s, 2m, 1h or 7d, "
                  "found 's'");
}

/* ---- paths and the root ------------------------------------------------- */

static void test_manifest__paths_stay_inside_the_root(void **state)
{
    (void)state;
    s_write("outside.txt", "x");
    assert_int_equal(symlink("..", "root/up"), 0);
    assert_int_equal(mkdir("root/docs", 0700), 0);
    s_fixture("bad/path-dotdot.yaml", "path-dotdot.yaml");
    s_expect("path-dotdot.yaml", MT5_EPARSE,
             "path-dotdot.yaml:10:11: path: src/../../etc/passwd: leaves the root");
    s_expect_text(CHECK("    kind: file\n    description: d\n    path: up/outside.txt\n"),
                  MT5_EPARSE, "t.yaml:10:11: path: up/outside.txt: leaves the root");
    s_expect_text(CHECK("    kind: contains\n    description: d\n    path: up/*.txt\n"
                        "    pattern: x\n"),
                  MT5_EPARSE, "t.yaml:10:11: path: up/*.txt: leaves the root");
    s_expect_text(HEAD "  - {id: a, phase: p, kind: file, description: d, path: a}\n"
                       "secret_files: [up/outside.txt]\n",
                  MT5_EPARSE, "t.yaml:7:16: secret_files: up/outside.txt: leaves the root");
    /* Inside: lexical ".." that stays in, a glob, paths that do not exist yet. */
    s_write("t.yaml", CHECK("    kind: contains\n    description: d\n"
                            "    path: docs/../docs/*/x[0-9].md\n    pattern: x\n"
                            "  - id: b\n    phase: p\n    kind: file\n    description: d\n"
                            "    path: not/yet/there.txt\n"
                            "  - id: c\n    phase: p\n    kind: contains\n    description: d\n"
                            "    path: '*.md'\n    pattern: x\n"));
    mt5_manifest_t *m = s_load_ok("t.yaml");
    assert_string_equal(m->checks[0].u.contains.path, "docs/../docs/*/x[0-9].md");
    assert_string_equal(m->checks[1].u.file.path, "not/yet/there.txt");
    assert_string_equal(m->checks[2].u.contains.path, "*.md");
    mt5_manifest_destroy(&m);
}

/* ---- waivers and skips -------------------------------------------------- */

static void test_manifest__waiver_dates(void **state)
{
    (void)state;
    s_write("t.yaml", CHECK("    kind: file\n    description: d\n    path: a\n"
                            "    waiver: {reason: r, expires: 2026-03-01}\n"
                            "  - id: leap\n    phase: p\n    kind: file\n    description: d\n"
                            "    path: a\n    waiver: {reason: r, expires: 2028-02-29}\n"
                            "  - id: feb\n    phase: p\n    kind: file\n    description: d\n"
                            "    path: a\n    waiver: {reason: r, expires: 2026-02-28}\n"));
    mt5_manifest_t *m = s_load_ok("t.yaml");
    int64_t until = m->checks[0].waiver_until_ms, end = 0;
    assert_int_equal(mt5_clock_parse_iso(&end, "2026-03-02T00:00:00.000Z", 24), MT5_OK);
    assert_int_equal(until, end);
    /* The runner's rule: the waiver holds while now < waiver_until_ms,
     * that is through the whole expiry day, UTC: until 00:00 UTC of the
     * next day, as a number checked by hand (date -u -d @1772409600). */
    assert_int_equal(until, 1772409600000LL); /* 2026-03-02T00:00:00Z */
    assert_string_equal(m->checks[0].waiver_expires, "2026-03-01");
    assert_int_equal(mt5_clock_parse_iso(&end, "2028-03-01T00:00:00.000Z", 24), MT5_OK);
    assert_int_equal(m->checks[1].waiver_until_ms, end);
    assert_int_equal(m->checks[1].waiver_until_ms, 1835481600000LL); /* 2028-03-01T00:00:00Z */
    /* Not a leap year: 2026-02-28 holds until 2026-03-01T00:00:00Z. */
    assert_int_equal(m->checks[2].waiver_until_ms, 1772323200000LL);
    mt5_manifest_destroy(&m);
    s_fixture("bad/bad-date.yaml", "bad-date.yaml");
    s_expect("bad-date.yaml", MT5_EPARSE,
             "bad-date.yaml:13:16: expires: expected a date YYYY-MM-DD, found '2026-02-30'");
    s_expect_text(CHECK("    kind: file\n    description: d\n    path: a\n"
                        "    waiver: {reason: r, expires: 2027-02-29}\n"),
                  MT5_EPARSE,
                  "t.yaml:11:34: expires: expected a date YYYY-MM-DD, found '2027-02-29'");
    s_expect_text(CHECK("    kind: file\n    description: d\n    path: a\n"
                        "    waiver: {reason: r, expires: 2026-01-01T00:00}\n"),
                  MT5_EPARSE,
                  "t.yaml:11:34: expires: expected a date YYYY-MM-DD, found '2026-01-01T00:00'");
}

static void test_manifest__skip_conditions(void **state)
{
    (void)state;
    setenv("MT5_T_SET", "1", 1);
    setenv("MT5_T_EMPTY", "", 1);
    static const struct {
        const char *when;
        bool skip;
    } cases[] = {
        {"''", false},
        {"0", false},
        {"false", false},
        {"FALSE", false},
        {"No", false},
        {"off", false},
        {"' off '", false},
        {"yes", true},
        {"true", true},
        {"1", true},
        {"anything", true},
        {"'00'", true},
        {"${MT5_T_UNSET:-}", false},
        {"${MT5_T_EMPTY}", false},
        {"${MT5_T_SET}", true},
        {"${MT5_T_UNSET:-off}", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512];
        snprintf(text, sizeof text,
                 CHECK("    kind: file\n    description: d\n    path: a\n"
                       "    skip:\n      when: %s\n      reason: not on this host\n"),
                 cases[i].when);
        s_write("t.yaml", text);
        mt5_manifest_t *m = s_load_ok("t.yaml");
        if (m->checks[0].skip != cases[i].skip)
            fail_msg("when: %s: expected skip=%d", cases[i].when, cases[i].skip);
        if (cases[i].skip)
            assert_string_equal(m->checks[0].skip_reason, "not on this host");
        else
            assert_null(m->checks[0].skip_reason);
        mt5_manifest_destroy(&m);
    }
}

/* ---- secrets ------------------------------------------------------------ */

static void test_manifest__secrets_from_env_and_files(void **state)
{
    (void)state;
    setenv("MT5_T_SECRET", "hunter2-long", 1);
    setenv("MT5_T_EMPTY", "", 1);
    s_write("root/keys/risk.key", "abcdef0123\n\n  \n");
    assert_int_equal(chmod("root/keys/risk.key", 0600), 0);
    s_write("t.yaml", HEAD "  - {id: a, phase: p, kind: file, description: d, path: a}\n"
                           "secrets: [MT5_T_SECRET, MT5_T_UNSET, MT5_T_EMPTY]\n"
                           "secret_files: [keys/risk.key, keys/missing.key, nodir/x, "
                           "keys/risk.key/x]\n");
    mt5_manifest_t *m = s_load_ok("t.yaml");
    assert_int_equal(m->secrets.count, 2);
    assert_string_equal(m->secrets.items[0], "hunter2-long");
    assert_string_equal(m->secrets.items[1], "abcdef0123");
    mt5_manifest_destroy(&m);
    /* Only the first 4 KiB of a secret file. */
    char big[5000];
    memset(big, 'k', sizeof big);
    s_write_bytes("root/keys/risk.key", big, sizeof big);
    s_write("t.yaml", HEAD "  - {id: a, phase: p, kind: file, description: d, path: a}\n"
                           "secret_files: [keys/risk.key]\n");
    m = s_load_ok("t.yaml");
    assert_int_equal(m->secrets.count, 1);
    assert_int_equal(strlen(m->secrets.items[0]), 4096);
    mt5_manifest_destroy(&m);
    /* A directory is not a secret file. */
    s_write("t.yaml", HEAD "  - {id: a, phase: p, kind: file, description: d, path: a}\n"
                           "secret_files: [keys]\n");
    char want[PATH_MAX + 64];
    snprintf(want, sizeof want, "t.yaml:7:16: secret_files: %s/keys: not a regular file", s_root);
    s_expect("t.yaml", MT5_EPARSE, want);
}

/* A secret file whose read() fails is an error, not an empty secret (it
 * was read as the end of the file). /proc/<pid>/mem is a regular file
 * whose read at offset 0 fails with EIO; it lies inside the root only
 * when the root is /proc/self. */
static void test_manifest__unreadable_secret_file_is_an_error(void **state)
{
    (void)state;
    char proc[PATH_MAX], want[PATH_MAX + 96];
    assert_non_null(realpath("/proc/self", proc));
    s_write("t.yaml", HEAD "  - {id: a, phase: p, kind: file, description: d, path: a}\n"
                           "secret_files: [mem]\n");
    mt5_manifest_options opt = MT5_MANIFEST_OPTIONS_INIT;
    opt.root = "/proc/self";
    opt.bin_dir = BIN_DIR;
    mt5_manifest_t *m = (mt5_manifest_t *)0x1;
    assert_int_equal(mt5_manifest_load(&m, "t.yaml", &opt), MT5_EPARSE);
    snprintf(want, sizeof want, "t.yaml:7:16: secret_files: %s/mem: Input/output error", proc);
    assert_string_equal(mt5_error_detail(), want);
    assert_ptr_equal(m, (mt5_manifest_t *)0x1);
}

/* Secrets are kept longest first, so a shorter secret that starts a
 * longer one cannot leave the longer one's tail; and every text a report
 * prints is redacted when the manifest is loaded. */
static void test_manifest__secrets_sorted_and_redacted(void **state)
{
    (void)state;
    setenv("MT5_T_SECRET", "abcd", 1);
    s_write("root/keys/long.key", "abcdef\n");
    s_write("t.yaml", "gate: g\ntitle: Gate ${MT5_T_SECRET}\n"
                      "phases: [{id: p, title: 'Phase ${MT5_T_SECRET}ef'}, {id: q}]\n"
                      "checks:\n"
                      "  - id: a\n    phase: p\n    kind: file\n    path: a\n"
                      "    description: uses ${MT5_T_SECRET} and ${MT5_T_SECRET}ef\n"
                      "    fix: export ${MT5_T_SECRET}\n"
                      "    waiver: {reason: 'key ${MT5_T_SECRET}', expires: 2030-01-01}\n"
                      "  - id: b\n    phase: q\n    kind: file\n    path: b\n"
                      "    description: plain\n"
                      "    skip: {when: yes, reason: 'no ${MT5_T_SECRET}ef here'}\n"
                      "secrets: [MT5_T_SECRET]\n"
                      "secret_files: [keys/long.key]\n");
    mt5_manifest_t *m = s_load_ok("t.yaml");
    assert_int_equal(m->secrets.count, 2);
    assert_string_equal(m->secrets.items[0], "abcdef"); /* declared second, longer */
    assert_string_equal(m->secrets.items[1], "abcd");
    char text[] = "x abcdef y abcd z abcdefabcd";
    mt5_redact(text, &m->secrets);
    assert_string_equal(text, "x *** y *** z ******");
    assert_string_equal(m->title, "Gate ***");
    assert_string_equal(m->phases[0].title, "Phase ***");
    assert_string_equal(m->phases[1].title, "q");
    const mt5_check_t *c = &m->checks[0];
    assert_string_equal(c->description, "uses *** and ***");
    assert_string_equal(c->fix, "export ***");
    assert_string_equal(c->waiver_reason, "key ***");
    c = &m->checks[1];
    assert_string_equal(c->description, "plain");
    assert_true(c->skip);
    assert_string_equal(c->skip_reason, "no *** here");
    mt5_manifest_destroy(&m);
}

/* ---- files that are not manifests --------------------------------------- */

static void test_manifest__unreadable_and_odd_files(void **state)
{
    (void)state;
    s_expect("not-there.yaml", MT5_EIO, "not-there.yaml: No such file or directory");
    s_write("empty.yaml", "");
    s_expect("empty.yaml", MT5_EPARSE, "empty.yaml:1:1: the manifest is empty");
    s_write("empty.yaml", "# only a comment\n---\n");
    s_expect("empty.yaml", MT5_EPARSE, "empty.yaml:1:1: the manifest is empty");
    static const char elf[] = "\x7f"
                              "ELF\x02\x01\x01\x00\x00\x00";
    s_write_bytes("bin.yaml", elf, sizeof elf - 1);
    /* Parsed with its length, so libyaml's reader refuses the first
     * control character (was "1:8: NUL characters are not supported" from
     * the loader's own NUL scan, now gone)... */
    s_expect("bin.yaml", MT5_EPARSE, "bin.yaml:1:1: control characters are not allowed (#x7F)");
    /* ...and a NUL at its exact position: the tree cannot stop early at it. */
    static const char nul[] = "gate: g\ntitle: t\0 more\n";
    s_write_bytes("nul.yaml", nul, sizeof nul - 1);
    s_expect("nul.yaml", MT5_EPARSE, "nul.yaml:2:9: control characters are not allowed (#x00)");
    s_write("utf8.yaml", "gate: g\ntitle: caf\xc3\xa9 \xff\xfe\n");
    s_expect("utf8.yaml", MT5_EPARSE, "utf8.yaml:2:13: invalid leading UTF-8 octet (#xFF)");
    assert_int_equal(mkdir("dir.yaml", 0700), 0);
    s_expect("dir.yaml", MT5_EIO, "dir.yaml: not a regular file");
}

static void test_manifest__huge_inputs(void **state)
{
    (void)state;
    /* 20 MB: refused before it is parsed. */
    size_t n = 20u * 1024u * 1024u;
    char *big = malloc(n);
    assert_non_null(big);
    for (size_t i = 0; i < n; i += 64) {
        memset(big + i, 'x', 64);
        big[i] = '#';
        big[i + 63] = '\n';
    }
    s_write_bytes("big.yaml", big, n);
    free(big);
    s_expect("big.yaml", MT5_ETOOLARGE, "big.yaml: larger than 16777216 bytes");
    s_write("top.yaml", "gate: g\ntitle: t\ninclude: [big.yaml]\n");
    s_expect("top.yaml", MT5_ETOOLARGE,
             "top.yaml:3:11: cannot include big.yaml: larger than 16777216 bytes");

    /* 10001 checks over two files: one more than allowed. */
    size_t cap = 6000u * 64u;
    char *text = malloc(cap);
    assert_non_null(text);
    for (int f = 0; f < 2; f++) {
        size_t w = (size_t)snprintf(text, cap, "checks:\n");
        for (int i = 0; i < 5001; i++)
            w += (size_t)snprintf(text + w, cap - w,
                                  "  - {id: c%d-%d, phase: p, kind: port, description: d, "
                                  "host: h, port: 1}\n",
                                  f, i);
        s_write(f ? "many-b.yaml" : "many-a.yaml", text);
    }
    free(text);
    s_write("many.yaml", "gate: g\ntitle: t\nphases: [{id: p}]\n"
                         "include: [many-a.yaml, many-b.yaml]\n");
    s_expect("many.yaml", MT5_ETOOLARGE, "many-b.yaml:5001:5: more than 10000 checks");
}

static void test_manifest__bad_arguments(void **state)
{
    (void)state;
    mt5_manifest_options opt = MT5_MANIFEST_OPTIONS_INIT;
    mt5_manifest_t *m = (mt5_manifest_t *)0x1; /* must stay untouched by every failure */
    s_write("t.yaml", CHECK("    kind: file\n    description: d\n    path: a\n"));
    assert_int_equal(mt5_manifest_load(&m, "t.yaml", &opt), MT5_EINVAL); /* no root */
    assert_int_equal(mt5_manifest_load(NULL, "t.yaml", &opt), MT5_EINVAL);
    opt.root = "root";
    assert_int_equal(mt5_manifest_load(&m, NULL, &opt), MT5_EINVAL);
    assert_int_equal(mt5_manifest_load(&m, "t.yaml", NULL), MT5_EINVAL);
    opt.version = 99;
    assert_int_equal(mt5_manifest_load(&m, "t.yaml", &opt), MT5_EINVAL);
    opt.version = MT5_MANIFEST_OPTIONS_VERSION;
    opt.root = "no-such-root";
    assert_int_equal(mt5_manifest_load(&m, "t.yaml", &opt), MT5_EIO);
    assert_string_equal(mt5_error_detail(), "no-such-root: No such file or directory");
    opt.root = "t.yaml";
    assert_int_equal(mt5_manifest_load(&m, "t.yaml", &opt), MT5_EINVAL);
    assert_string_equal(mt5_error_detail(), "t.yaml: the root is not a directory");
    assert_ptr_equal(m, (mt5_manifest_t *)0x1);
    m = NULL;
    opt.root = "root";
    assert_int_equal(mt5_manifest_load(&m, "t.yaml", &opt), MT5_OK);
    assert_string_equal(mt5_error_detail(), "");
    mt5_manifest_destroy(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_manifest__full_manifest_reads_every_key, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_manifest__built_in_defaults, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_manifest__variables_expand_in_every_scalar, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_manifest__variable_errors, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_manifest__includes_merge_in_order, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_manifest__include_errors, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_manifest__include_depth_limit_is_32, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_manifest__bad_fixtures_give_exact_errors, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_manifest__each_rule_gives_an_exact_error, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_manifest__accepted_forms, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_manifest__durations, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_manifest__paths_stay_inside_the_root, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_manifest__waiver_dates, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_manifest__skip_conditions, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_manifest__secrets_from_env_and_files, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_manifest__unreadable_secret_file_is_an_error, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_manifest__secrets_sorted_and_redacted, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_manifest__unreadable_and_odd_files, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_manifest__huge_inputs, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_manifest__bad_arguments, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
