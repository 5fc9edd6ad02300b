/*  check_spawn.h - run a child process under a deadline and keep its output.
 *
 *  The command and version checks run programs a manifest names. A check
 *  must never hang the gate, never leave a process or a descriptor behind,
 *  and may run on several threads at once, so the child gets an explicit
 *  environment (no setenv), its own process group (a timeout kills the
 *  whole tree it started), stdin from /dev/null, and pipes for stdout and
 *  stderr that are read until the child is gone. Below that, what the two
 *  kinds share: running for a check, with secrets redacted from the raw
 *  output, searching that output, and evidence from it. Internal to
 *  libcore.
 */
#ifndef MT5_CHECK_SPAWN_H
#define MT5_CHECK_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check_impl.h"
#include "mt5/regex.h"

/* Bytes of each stream kept: the first half and the last half of what the
 * child wrote, so a score printed at the very end of a long report is still
 * seen. The rest is read and dropped so the child never blocks. */
#define MT5_SPAWN_KEEP_MAX (1024u * 1024u)
/* Between SIGTERM and SIGKILL at the deadline. */
#define MT5_SPAWN_GRACE_MS 100

typedef struct {
    const char *const *argv; /* argv[0] is looked up in the child's PATH unless it has a '/' */
    size_t argc;             /* at least 1 */
    bool shell;              /* run argv[0] with /bin/sh -c (argc must be 1) */
    const char *cwd;         /* absolute directory for the child, or NULL = ours */
    const char *const *env;  /* "NAME=value" items replacing or adding to our environment */
    size_t envc;
    int64_t deadline_us; /* mt5_clock_mono_us() after which the child is stopped */
} mt5_spawn_options;

/* One captured stream. */
typedef struct {
    char *data;     /* kept bytes, NUL-terminated (not counted); caller owns via mt5_spawn_free */
    size_t len;     /* bytes kept */
    uint64_t total; /* bytes the child wrote */
    bool truncated; /* total > len: data is the head, "\n", then the tail */
} mt5_spawn_stream_t;

typedef struct {
    int exec_errno; /* non-zero: the program could not be started (nothing else is set) */
    bool timed_out; /* the deadline passed and the child was stopped */
    bool exited;    /* exited normally with exit_code */
    int exit_code;  /* when exited */
    int signal;     /* when killed by a signal (not timed_out) */
    mt5_spawn_stream_t out;
    mt5_spawn_stream_t err;
} mt5_spawn_result_t;

/*  Run the child described by *options and wait until it is gone (or the
 *  deadline passed and it was killed). On MT5_OK *out is filled (free with
 *  mt5_spawn_free) and says what happened; a program that cannot be
 *  started is MT5_OK with out->exec_errno set. Other codes: MT5_EINVAL
 *  (bad options, or an env item without '='), MT5_ENOMEM, MT5_EIO (pipes,
 *  spawn attributes), with detail. Thread-safe; when it returns no child
 *  of this call is left running or unreaped, and no descriptor is left
 *  open. Never returns later than the deadline plus about
 *  MT5_SPAWN_GRACE_MS. */
int mt5_spawn_run(mt5_spawn_result_t *out, const mt5_spawn_options *options);

/* Free the streams of *result and zero it; accepts a zeroed result. */
void mt5_spawn_free(mt5_spawn_result_t *result);

/* The command for messages: the words joined by spaces, cut to cap-1
 * bytes with "..." when longer. Returns dst. */
char *mt5_spawn_display(char *dst, size_t cap, const char *const *argv, size_t argc);

/* ---- what the command and version kinds share ---------------------------- */

/*  Run the child *options describes for `check`, the way mt5_spawn_run
 *  does, except that options->cwd is relative to ctx->root (NULL = the
 *  root) and must resolve inside it, and options->deadline_us is ignored:
 *  the child is stopped at ctx->deadline_us. *options is only read.
 *  ctx->secrets (may be NULL) are redacted from the captured stdout and
 *  stderr as soon as they are captured, before anything searches, cuts or
 *  escapes them. Returns true when the child exited and *res (free with
 *  mt5_spawn_free) is for the kind to judge; false when *out already holds
 *  the verdict: ERROR "cannot run 'x': ..." (not found, bad cwd, bad env),
 *  ERROR timed out, FAIL "killed by signal N", with the output's tail as
 *  evidence. *res is zeroed first and always safe to free. */
bool check_spawn(mt5_check_result_t *out, mt5_spawn_result_t *res, const mt5_check_t *check,
                 const mt5_check_ctx_t *ctx, const mt5_spawn_options *options);

/* A match in a child's output. Borrows the stream it points into. */
typedef struct {
    const char *label;                /* "stdout" or "stderr" */
    const mt5_spawn_stream_t *stream; /* the stream the match is in */
    size_t mstart;                    /* where the whole match starts */
    size_t gstart, gend;              /* the first group that took part, else the whole match */
} mt5_spawn_hit_t;

/*  Search the streams `which` selects for re. The first match is stdout's
 *  first, else stderr's first; with last, the last match is stderr's last
 *  (mt5_regex_find_last), else stdout's last. MT5_OK and *hit,
 *  MT5_ENOTFOUND when neither stream has a match, or the regex's error
 *  (MT5_ETOOLARGE...) with detail. */
int check_spawn_search(mt5_spawn_hit_t *hit, const mt5_regex_t *re, const mt5_spawn_result_t *res,
                       mt5_stream which, bool last);

/* The hit's group text into dst (cap >= 1 bytes), NUL-terminated and cut
 * to cap-1 bytes. Returns false when it had to be cut. */
bool check_spawn_hit_text(char *dst, size_t cap, const mt5_spawn_hit_t *hit);

/* Evidence: the last lines of the chosen stream(s), each under a header
 * that says when it was cut; "(no output)" when there was none. */
void check_spawn_tail(mt5_check_result_t *out, const mt5_spawn_result_t *res, mt5_stream which);

/* Evidence: "<label>: " and the line of the hit's stream holding the
 * start of its match (around the match when the line is long). */
void check_spawn_line(mt5_check_result_t *out, const mt5_spawn_hit_t *hit);

#endif
