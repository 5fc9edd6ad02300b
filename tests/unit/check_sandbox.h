/*  check_sandbox.h - the scaffolding the unit tests of the check kinds
 *  (test_check*.c) share, so each of them holds only what is its own: a
 *  sandbox root made with mkdtemp under /tmp (resolved with realpath, so
 *  the paths a check reports compare as written) and removed whole at the
 *  end; making directories, FIFOs, symlinks, files, scripts and sparse
 *  files inside it; a check with its id, kind and timeout; a context with
 *  a deadline; running a check with the run itself asserted; and the
 *  assertions several files make on results and on descriptors.
 *
 *  A header of static inline functions, as each test binary is one .c
 *  file: inline so that a file using only some of them compiles without
 *  unused-function warnings. Apart from the two group fixtures, which
 *  return -1, every helper fails the current test (or group setup) with a
 *  cmocka assertion instead of returning an error. The includer defines
 *  _GNU_SOURCE before its first #include, as every test file does.
 */
#ifndef MT5_TEST_CHECK_SANDBOX_H
#define MT5_TEST_CHECK_SANDBOX_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "mt5/check.h"
#include "mt5/clock.h"
#include "mt5/error.h"

static char s_root[256]; /* resolved sandbox, set by s_sandbox_make */

/* ---- the sandbox --------------------------------------------------------- */

/* Make /tmp/<name>-XXXXXX and store its resolved path in s_root. For a
 * group setup: 0, or -1 when it cannot be made. */
static inline int s_sandbox_make(const char *name)
{
    char tmpl[PATH_MAX], real[PATH_MAX];
    int n = snprintf(tmpl, sizeof tmpl, "/tmp/%s-XXXXXX", name);
    if (n < 0 || (size_t)n >= sizeof tmpl)
        return -1;
    if (!mkdtemp(tmpl) || !realpath(tmpl, real) || strlen(real) >= sizeof s_root)
        return -1;
    memcpy(s_root, real, strlen(real) + 1);
    return 0;
}

static inline int s_sandbox_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Group teardown: remove the sandbox and all in it (symlinks, not what
 * they point to). */
static inline int s_sandbox_teardown(void **state)
{
    (void)state;
    return nftw(s_root, s_sandbox_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- paths and files inside it ------------------------------------------- */

/* The absolute path of rel inside the sandbox, into buf. */
static inline void s_path(char *buf, size_t cap, const char *rel)
{
    int n = snprintf(buf, cap, "%s/%s", s_root, rel);
    assert_true(n > 0 && (size_t)n < cap);
}

static inline void s_mkdir(const char *rel)
{
    char path[PATH_MAX];
    s_path(path, sizeof path, rel);
    assert_int_equal(mkdir(path, 0755), 0);
}

static inline void s_mkfifo(const char *rel)
{
    char path[PATH_MAX];
    s_path(path, sizeof path, rel);
    assert_int_equal(mkfifo(path, 0600), 0);
}

/* A symlink at rel pointing to target, which is stored as given. */
static inline void s_symlink(const char *target, const char *rel)
{
    char path[PATH_MAX];
    s_path(path, sizeof path, rel);
    assert_int_equal(symlink(target, path), 0);
}

/* Write len bytes of data to rel, created or truncated. */
static inline void s_write(const char *rel, const void *data, size_t len)
{
    char path[PATH_MAX];
    s_path(path, sizeof path, rel);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static inline void s_puts(const char *rel, const char *text)
{
    s_write(rel, text, strlen(text));
}

/* s_puts, then give the file mode. */
static inline void s_puts_mode(const char *rel, const char *text, mode_t mode)
{
    s_puts(rel, text);
    char path[PATH_MAX];
    s_path(path, sizeof path, rel);
    assert_int_equal(chmod(path, mode), 0);
}

/* An executable /bin/sh script at rel running body. */
static inline void s_script(const char *rel, const char *body)
{
    size_t cap = sizeof "#!/bin/sh\n\n" + strlen(body);
    char *text = malloc(cap);
    assert_non_null(text);
    snprintf(text, cap, "#!/bin/sh\n%s\n", body);
    s_puts_mode(rel, text, 0755);
    free(text);
}

/* A sparse file at rel: size bytes of holes, then tail (may be ""). */
static inline void s_sparse(const char *rel, off_t size, const char *tail)
{
    char path[PATH_MAX];
    s_path(path, sizeof path, rel);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, size), 0);
    size_t n = strlen(tail);
    if (n > 0)
        assert_int_equal(pwrite(fd, tail, n, size), n);
    close(fd);
}

/* ---- checks and running them ---------------------------------------------- */

/* Append a copy of item to v. */
static inline void s_strv_add(mt5_strv_t *v, const char *item)
{
    char **grown = realloc(v->items, (v->count + 1) * sizeof *grown);
    assert_non_null(grown);
    v->items = grown;
    v->items[v->count] = strdup(item);
    assert_non_null(v->items[v->count]);
    v->count++;
}

/* A check of kind with a copy of id, all else zero: the kind's own
 * builder fills in the rest. Free with mt5_check_free. */
static inline mt5_check_t s_check_init(mt5_check_kind kind, const char *id, int64_t timeout_ms)
{
    mt5_check_t c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    c.id = strdup(id);
    assert_non_null(c.id);
    c.timeout_ms = timeout_ms;
    return c;
}

/* A context rooted at the sandbox: the deadline ms from now, the wall
 * clock now. */
static inline mt5_check_ctx_t s_sandbox_ctx(int64_t ms)
{
    mt5_check_ctx_t ctx = {0};
    ctx.root = s_root;
    ctx.deadline_us = mt5_clock_mono_us() + ms * 1000;
    ctx.now_ms = mt5_clock_wall_ms();
    return ctx;
}

/* Run c under ctx; the run itself must succeed (whatever the verdict). */
static inline mt5_check_result_t s_run_in(const mt5_check_t *c, const mt5_check_ctx_t *ctx)
{
    mt5_check_result_t r;
    assert_int_equal(mt5_check_run(&r, c, ctx), MT5_OK);
    return r;
}

/* Run c in the sandbox with its own timeout as the deadline. c stays the
 * caller's. */
static inline mt5_check_result_t s_run(const mt5_check_t *c)
{
    mt5_check_ctx_t ctx = s_sandbox_ctx(c->timeout_ms);
    return s_run_in(c, &ctx);
}

/* s_run, then mt5_check_free(c). */
static inline mt5_check_result_t s_run_free(mt5_check_t *c)
{
    mt5_check_result_t r = s_run(c);
    mt5_check_free(c);
    return r;
}

/* ---- assertions ---------------------------------------------------------- */

/* The result has this status and message (both printed when not). */
static inline void s_expect(const mt5_check_result_t *r, mt5_status status, const char *message)
{
    if (r->status != status || strcmp(r->message, message) != 0)
        print_error("got %s '%s' (evidence '%s')\n", mt5_status_name(r->status), r->message,
                    r->evidence);
    assert_int_equal(r->status, status);
    assert_string_equal(r->message, message);
}

/* The result is an ERROR that ran out of time, with this message unless
 * that is NULL. */
static inline void s_expect_timed_out(const mt5_check_result_t *r, const char *message)
{
    assert_int_equal(r->status, MT5_STATUS_ERROR);
    assert_true(r->timed_out);
    if (message)
        assert_string_equal(r->message, message);
}

static inline void s_prefix(const char *text, const char *prefix)
{
    if (strncmp(text, prefix, strlen(prefix)) != 0)
        print_error("'%s' does not start with '%s'\n", text, prefix);
    assert_memory_equal(text, prefix, strlen(prefix));
}

/* The entries of /proc/self/fd: compare two counts to see a descriptor leak. */
static inline int s_fd_count(void)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

#endif
