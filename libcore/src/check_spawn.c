/*  check_spawn.c - run a child under a deadline, keep its output, leave nothing.
 *
 *  posix_spawn rather than fork: glibc spawns with CLONE_VFORK, so the
 *  child shares no locks with our other threads, and an exec failure comes
 *  back as the return value. The environment is built here as an explicit
 *  envp and argv[0] is searched in *that* PATH, so a check never touches
 *  the process environment that other threads read.
 *
 *  The child leads its own process group. When the leader exits, whatever
 *  it left in the group is killed before the leader is reaped (while the
 *  zombie still holds the group's id, so the id cannot name someone else's
 *  group). At the deadline the group gets SIGTERM, then SIGKILL after
 *  MT5_SPAWN_GRACE_MS. The leader's exit is polled (waitid with WNOWAIT)
 *  on a tick that restarts at 1 ms whenever a pipe closes, which is when
 *  an exit is due; SIGCHLD is never touched, it belongs to the program.
 *
 *  Whether argv[0] can be executed is checked before spawning, the way
 *  exec would answer, so "not found" does not depend on the spawn
 *  reporting exec errors (under valgrind it does not: the child exits 127).
 *
 *  The check side at the end is what the command and version kinds share:
 *  running for a check (cwd inside the root, secrets redacted from the raw
 *  output), searching the output, and turning it into evidence.
 */
#define _GNU_SOURCE /* pipe2, posix_spawn_file_actions_add{chdir,closefrom}_np, memrchr */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mt5/clock.h"
#include "mt5/error.h"
#include "check_spawn.h"
#include "mt5/regex.h"

extern char **environ;

#define S_HALF (MT5_SPAWN_KEEP_MAX / 2)
#define S_DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"
#define S_TICK_MAX_MS 50

/* One output pipe: the first S_HALF bytes in head, the last S_HALF in a ring. */
typedef struct {
    int fd;          /* read end, -1 once at EOF */
    char *head;      /* the first bytes */
    size_t head_len; /* bytes in head */
    size_t head_cap; /* allocated */
    char *ring;      /* the last bytes once head is full; NULL until then */
    size_t ring_pos; /* next write in ring */
    size_t ring_len; /* bytes in ring, at most S_HALF */
    uint64_t total;  /* every byte read */
    bool oom;        /* an allocation failed: later bytes are dropped */
} s_stream;

static int64_t s_min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* ---- environment and argv ------------------------------------------------ */

static size_t s_name_len(const char *item)
{
    return strcspn(item, "=");
}

static bool s_same_name(const char *a, const char *b)
{
    size_t n = s_name_len(a);
    return n == s_name_len(b) && memcmp(a, b, n) == 0;
}

/* Our environment without the names `extra` sets, then `extra` (the last
 * of a repeated name wins). The strings are borrowed. */
static char **s_envp(const char *const *extra, size_t n)
{
    size_t count = 0;
    for (char **e = environ; e && *e; e++)
        count++;
    char **envp = calloc(count + n + 1, sizeof *envp);
    if (!envp)
        return NULL;
    size_t w = 0;
    for (char **e = environ; e && *e; e++) {
        bool replaced = false;
        for (size_t i = 0; i < n && !replaced; i++)
            replaced = s_same_name(*e, extra[i]);
        if (!replaced)
            envp[w++] = *e;
    }
    for (size_t i = 0; i < n; i++) {
        bool later = false;
        for (size_t j = i + 1; j < n && !later; j++)
            later = s_same_name(extra[i], extra[j]);
        if (!later)
            envp[w++] = (char *)extra[i];
    }
    envp[w] = NULL;
    return envp;
}

static const char *s_path_of(char *const *envp)
{
    const char *path = NULL;
    for (char *const *e = envp; *e; e++)
        if (strncmp(*e, "PATH=", 5) == 0)
            path = *e + 5;
    return path ? path : S_DEFAULT_PATH;
}

char *mt5_spawn_display(char *dst, size_t cap, const char *const *argv, size_t argc)
{
    if (!dst || cap == 0)
        return dst;
    size_t w = 0;
    dst[0] = '\0';
    for (size_t i = 0; argv && i < argc; i++) {
        const char *word = argv[i] ? argv[i] : "";
        size_t n = strlen(word) + (i ? 1 : 0);
        if (w + n + 1 > cap) {
            /* Cut, and say so, keeping room for the dots. */
            size_t keep = cap > 4 ? cap - 4 : 0;
            if (w > keep)
                w = keep;
            else {
                size_t room = keep - w;
                if (i && room) {
                    dst[w++] = ' ';
                    room--;
                }
                memcpy(dst + w, word, room);
                w += room;
            }
            snprintf(dst + w, cap - w, "...");
            return dst;
        }
        if (i)
            dst[w++] = ' ';
        memcpy(dst + w, word, strlen(word));
        w += strlen(word);
        dst[w] = '\0';
    }
    return dst;
}

/* ---- pipes ------------------------------------------------------------- */

/* A close-on-exec pipe whose ends are above 2, so the child's dup2 onto
 * 0, 1 and 2 can never overwrite one end with another (our stdio may be
 * closed). */
static int s_pipe(int fds[2])
{
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -1;
    for (int i = 0; i < 2; i++)
        if (fds[i] < 3) {
            int moved = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
            int saved = errno;
            close(fds[i]);
            fds[i] = moved;
            if (moved < 0) {
                close(fds[1 - i]);
                errno = saved;
                return -1;
            }
        }
    return 0;
}

static void s_close(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static void s_ring_put(s_stream *s, const char *p, size_t n)
{
    if (!s->ring && !s->oom) {
        s->ring = malloc(S_HALF);
        s->oom = !s->ring;
    }
    if (!s->ring)
        return;
    while (n > 0) {
        size_t k = S_HALF - s->ring_pos;
        if (k > n)
            k = n;
        memcpy(s->ring + s->ring_pos, p, k);
        s->ring_pos = (s->ring_pos + k) % S_HALF;
        s->ring_len = s->ring_len + k > S_HALF ? S_HALF : s->ring_len + k;
        p += k;
        n -= k;
    }
}

/* Read what is there. 1 = more may come, 0 = EOF or a read error. */
static int s_stream_read(s_stream *s)
{
    char scratch[16384];
    char *dst = scratch;
    size_t room = sizeof scratch;
    if (s->head_len < S_HALF && !s->oom) {
        if (s->head_cap - s->head_len < 4096 && s->head_cap < S_HALF) {
            size_t cap = s->head_cap ? s->head_cap * 2 : 16384;
            if (cap > S_HALF)
                cap = S_HALF;
            char *grown = realloc(s->head, cap);
            if (grown) {
                s->head = grown;
                s->head_cap = cap;
            } else
                s->oom = true;
        }
        if (!s->oom) {
            dst = s->head + s->head_len;
            room = s->head_cap - s->head_len;
        }
    }
    ssize_t n = read(s->fd, dst, room);
    if (n < 0)
        return errno == EINTR || errno == EAGAIN ? 1 : 0;
    if (n == 0)
        return 0;
    s->total += (uint64_t)n;
    if (dst == scratch) {
        if (s->head_len >= S_HALF)
            s_ring_put(s, scratch, (size_t)n);
    } else
        s->head_len += (size_t)n;
    return 1;
}

/* Hand the kept bytes over as one string: the head, then the tail; when
 * bytes were dropped between them, both are cut to whole lines so that no
 * half line (a half number) is ever matched. */
static int s_stream_finish(mt5_spawn_stream_t *out, s_stream *s)
{
    size_t hl = s->head_len, tl = s->ring_len;
    bool dropped = s->total > (uint64_t)(hl + tl);
    /* Zeroed and padded to whole 16-byte blocks: PCRE2's JIT loads the
     * subject in aligned blocks, past its end (harmless, but valgrind
     * would see bytes that were never written). */
    char *data = calloc(1, (hl + tl + 2 + 31) & ~(size_t)15);
    if (!data)
        return mt5_error_set(MT5_ENOMEM, "out of memory");
    if (dropped && hl > 0) {
        const char *nl = memrchr(s->head, '\n', hl);
        if (nl)
            hl = (size_t)(nl - s->head) + 1;
    }
    if (hl)
        memcpy(data, s->head, hl);
    size_t w = hl;
    if (tl > 0) {
        size_t start = tl < S_HALF ? 0 : s->ring_pos;
        char *tail = data + w + 1; /* leave room for a separator */
        size_t first = S_HALF - start < tl ? S_HALF - start : tl;
        memcpy(tail, s->ring + start, first);
        memcpy(tail + first, s->ring, tl - first);
        size_t skip = 0;
        if (dropped) {
            const char *nl = memchr(tail, '\n', tl);
            if (nl && (size_t)(nl - tail) + 1 < tl)
                skip = (size_t)(nl - tail) + 1;
        }
        bool sep = dropped && w > 0 && data[w - 1] != '\n';
        if (sep)
            data[w++] = '\n';
        memmove(data + w, tail + skip, tl - skip);
        w += tl - skip;
    }
    data[w] = '\0';
    out->data = data;
    out->len = w;
    out->total = s->total;
    out->truncated = dropped;
    return MT5_OK;
}

static void s_stream_free(s_stream *s)
{
    s_close(&s->fd);
    free(s->head);
    free(s->ring);
    memset(s, 0, sizeof *s);
    s->fd = -1;
}

/* ---- the child --------------------------------------------------------- */

/* Whether the leader has exited, without reaping it. */
static bool s_exited(pid_t pid, bool *gone)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0) {
        /* ECHILD: someone else reaped it (SIGCHLD ignored); nothing to wait for. */
        *gone = errno == ECHILD;
        return *gone;
    }
    return si.si_pid == pid;
}

/* What exec would say about `path` (relative ones are relative to the
 * child's cwd): 0, or ENOENT, ENOTDIR, EACCES... */
static int s_runnable(const char *path, const char *cwd)
{
    char buf[4096];
    if (path[0] != '/' && cwd) {
        int n = snprintf(buf, sizeof buf, "%s/%s", cwd, path);
        if (n < 0 || (size_t)n >= sizeof buf)
            return 0; /* let the spawn decide */
        path = buf;
    }
    struct stat st;
    if (stat(path, &st) != 0)
        return errno;
    if (S_ISDIR(st.st_mode))
        return EACCES;
    if (faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) != 0)
        return errno;
    return 0;
}

/* Try argv[0] in each PATH directory the way execvp does: go on after
 * ENOENT/ENOTDIR/EACCES, stop at anything else. */
static int s_spawn(pid_t *pid, const char *file, const char *cwd,
                   const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr,
                   char *const *argv, char *const *envp)
{
    if (file[0] == '\0')
        return ENOENT;
    if (strchr(file, '/')) {
        int rc = s_runnable(file, cwd);
        return rc ? rc : posix_spawn(pid, file, fa, attr, argv, envp);
    }
    const char *path = s_path_of(envp);
    size_t flen = strlen(file);
    bool eacces = false;
    for (const char *p = path;;) {
        size_t dlen = strcspn(p, ":");
        char buf[4096];
        /* An empty entry is the current directory, as for execvp. */
        const char *dir = dlen ? p : ".";
        size_t dl = dlen ? dlen : 1;
        if (dl + 1 + flen < sizeof buf) {
            memcpy(buf, dir, dl);
            buf[dl] = '/';
            memcpy(buf + dl + 1, file, flen + 1);
            int rc = s_runnable(buf, cwd);
            if (rc == 0)
                rc = posix_spawn(pid, buf, fa, attr, argv, envp);
            if (rc == 0)
                return 0;
            if (rc == EACCES)
                eacces = true;
            else if (rc != ENOENT && rc != ENOTDIR && rc != ELOOP && rc != ENAMETOOLONG)
                return rc;
        }
        if (p[dlen] == '\0')
            break;
        p += dlen + 1;
    }
    return eacces ? EACCES : ENOENT;
}

/* Wait for the child and read its pipes until it is gone, stopping it at
 * the deadline. Always reaps it. */
static void s_supervise(mt5_spawn_result_t *res, pid_t pid, s_stream *so, s_stream *se,
                        int64_t deadline_us)
{
    enum { RUN, TERM, KILL } phase = RUN;
    int64_t term_at = 0, drain_until = 0, tick_ms = 1;
    bool reaped = false, known = false;
    int status = 0;
    for (;;) {
        bool gone = false;
        if (!reaped && s_exited(pid, &gone)) {
            if (!gone) {
                /* The zombie still holds the group id: stop what it left
                 * running, then reap it. */
                kill(-pid, SIGKILL);
                while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
                }
                known = true;
            }
            reaped = true;
            /* Pipes still open belong to a process that left the group;
             * give it a moment, not the rest of the deadline. */
            drain_until = mt5_clock_mono_us() +
                          (phase == RUN ? MT5_SPAWN_GRACE_MS : MT5_SPAWN_GRACE_MS / 5) * 1000;
        }
        if (reaped && so->fd < 0 && se->fd < 0)
            break;
        int64_t now = mt5_clock_mono_us(), until = -1;
        if (reaped) {
            if (now >= drain_until)
                break;
            until = drain_until;
        } else if (phase == RUN) {
            if (now >= deadline_us) {
                kill(-pid, SIGTERM);
                kill(pid, SIGTERM);
                phase = TERM;
                term_at = now;
                res->timed_out = true;
                continue;
            }
            until = deadline_us;
        } else if (phase == TERM) {
            if (now >= term_at + MT5_SPAWN_GRACE_MS * 1000) {
                kill(-pid, SIGKILL);
                kill(pid, SIGKILL);
                phase = KILL;
                continue;
            }
            until = term_at + MT5_SPAWN_GRACE_MS * 1000;
        }
        int timeout = -1;
        if (until >= 0)
            timeout = (int)s_min64((until - now + 999) / 1000, 60000);
        if (!reaped) {
            timeout = timeout < 0 ? (int)tick_ms : (int)s_min64(timeout, tick_ms);
            tick_ms = s_min64(tick_ms * 2, S_TICK_MAX_MS);
        }
        struct pollfd p[2];
        s_stream *owner[2] = {NULL, NULL};
        nfds_t n = 0;
        if (so->fd >= 0) {
            p[n] = (struct pollfd){.fd = so->fd, .events = POLLIN};
            owner[n++] = so;
        }
        if (se->fd >= 0) {
            p[n] = (struct pollfd){.fd = se->fd, .events = POLLIN};
            owner[n++] = se;
        }
        int r = poll(p, n, timeout);
        if (r < 0 && errno != EINTR) {
            /* Cannot wait on the descriptors: do not spin. */
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
            continue;
        }
        for (nfds_t i = 0; r > 0 && i < n; i++)
            if ((p[i].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) &&
                s_stream_read(owner[i]) == 0) {
                s_close(&owner[i]->fd);
                tick_ms = 1; /* the exit is near */
            }
    }
    s_close(&so->fd);
    s_close(&se->fd);
    if (known && WIFEXITED(status)) {
        res->exited = true;
        res->exit_code = WEXITSTATUS(status);
    } else if (known && WIFSIGNALED(status))
        res->signal = WTERMSIG(status);
}

int mt5_spawn_run(mt5_spawn_result_t *out, const mt5_spawn_options *o)
{
    if (!out || !o || !o->argv || o->argc == 0 || (o->envc && !o->env) ||
        (o->shell && o->argc != 1))
        return mt5_error_set(MT5_EINVAL, "spawn: bad options");
    for (size_t i = 0; i < o->argc; i++)
        if (!o->argv[i])
            return mt5_error_set(MT5_EINVAL, "spawn: argv[%zu] is missing", i);
    for (size_t i = 0; i < o->envc; i++)
        if (!o->env[i] || !strchr(o->env[i], '=') || o->env[i][0] == '=')
            return mt5_error_set(MT5_EINVAL, "env item '%s' is not NAME=value",
                                 o->env[i] ? o->env[i] : "");

    int rc = MT5_OK;
    mt5_spawn_result_t res;
    memset(&res, 0, sizeof res);
    s_stream so = {.fd = -1}, se = {.fd = -1};
    int pout[2] = {-1, -1}, perr[2] = {-1, -1};
    char **envp = NULL;
    char **argv = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    bool fa_ok = false, attr_ok = false;

    envp = s_envp(o->env, o->envc);
    argv = calloc(o->argc + 3, sizeof *argv);
    if (!envp || !argv) {
        rc = mt5_error_set(MT5_ENOMEM, "out of memory");
        goto done;
    }
    const char *file;
    if (o->shell) {
        argv[0] = "sh";
        argv[1] = "-c";
        argv[2] = (char *)o->argv[0];
        file = "/bin/sh";
    } else {
        for (size_t i = 0; i < o->argc; i++)
            argv[i] = (char *)o->argv[i];
        file = o->argv[0];
    }
    if (s_pipe(pout) != 0 || s_pipe(perr) != 0) {
        rc = mt5_error_set(MT5_EIO, "pipe: %s", strerror(errno));
        goto done;
    }
    fa_ok = posix_spawn_file_actions_init(&fa) == 0;
    attr_ok = posix_spawnattr_init(&attr) == 0;
    if (!fa_ok || !attr_ok) {
        rc = mt5_error_set(MT5_ENOMEM, "spawn attributes: out of memory");
        goto done;
    }
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    int e = posix_spawn_file_actions_adddup2(&fa, pout[1], STDOUT_FILENO);
    if (!e)
        e = posix_spawn_file_actions_adddup2(&fa, perr[1], STDERR_FILENO);
    if (!e)
        e = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    if (!e && o->cwd)
        e = posix_spawn_file_actions_addchdir_np(&fa, o->cwd);
    /* Our other threads' descriptors without close-on-exec stay ours. */
    if (!e)
        e = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    /* Its own group (so a timeout reaches its children), no blocked
     * signals and default dispositions (our SIGPIPE may be ignored). */
    if (!e)
        e = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                                POSIX_SPAWN_SETSIGDEF);
    if (!e)
        e = posix_spawnattr_setpgroup(&attr, 0);
    if (!e)
        e = posix_spawnattr_setsigmask(&attr, &none);
    if (!e)
        e = posix_spawnattr_setsigdefault(&attr, &all);
    if (e) {
        rc = mt5_error_set(MT5_EIO, "spawn attributes: %s", strerror(e));
        goto done;
    }

    pid_t pid = -1;
    e = s_spawn(&pid, file, o->shell ? NULL : o->cwd, &fa, &attr, argv, envp);
    s_close(&pout[1]);
    s_close(&perr[1]);
    if (e) {
        res.exec_errno = e;
        goto done;
    }
    so.fd = pout[0];
    se.fd = perr[0];
    pout[0] = perr[0] = -1;
    s_supervise(&res, pid, &so, &se, o->deadline_us);
    rc = s_stream_finish(&res.out, &so);
    if (rc == MT5_OK)
        rc = s_stream_finish(&res.err, &se);

done:
    s_stream_free(&so);
    s_stream_free(&se);
    s_close(&pout[0]);
    s_close(&pout[1]);
    s_close(&perr[0]);
    s_close(&perr[1]);
    if (fa_ok)
        posix_spawn_file_actions_destroy(&fa);
    if (attr_ok)
        posix_spawnattr_destroy(&attr);
    free(envp);
    free(argv);
    if (rc == MT5_OK)
        *out = res;
    else
        mt5_spawn_free(&res);
    return rc;
}

void mt5_spawn_free(mt5_spawn_result_t *result)
{
    if (!result)
        return;
    free(result->out.data);
    free(result->err.data);
    memset(result, 0, sizeof *result);
}

/* ---- the check side -------------------------------------------------------- */

/* Redact secrets from one captured stream, in place. The bytes freed at
 * its end are zeroed: they held output (perhaps part of a secret), and
 * PCRE2's JIT reads the padding past the end (see s_stream_finish). */
static void s_redact(mt5_spawn_stream_t *s, const mt5_strv_t *secrets)
{
    if (!s->data || !secrets)
        return;
    size_t len = mt5_redact_bytes(s->data, s->len, secrets);
    memset(s->data + len, 0, s->len - len);
    s->len = len;
}

bool check_spawn(mt5_check_result_t *out, mt5_spawn_result_t *res, const mt5_check_t *check,
                 const mt5_check_ctx_t *ctx, const mt5_spawn_options *options)
{
    memset(res, 0, sizeof *res);
    char what[128];
    if (options->shell)
        snprintf(what, sizeof what, "/bin/sh");
    else
        mt5_spawn_display(what, sizeof what, options->argv, options->argc ? 1 : 0);
    const char *cwd = options->cwd ? options->cwd : ".";
    char *dir = NULL;
    if (mt5_check_resolve(&dir, ctx->root, cwd) != MT5_OK) {
        check_verdict(out, MT5_STATUS_ERROR, "cannot run '%s': %s", what, mt5_error_detail());
        return false;
    }
    struct stat st;
    const char *bad = NULL;
    if (stat(dir, &st) != 0)
        bad = errno == ENOENT ? "does not exist" : "cannot be read";
    else if (!S_ISDIR(st.st_mode))
        bad = "is not a directory";
    if (bad) {
        check_verdict(out, MT5_STATUS_ERROR, "cannot run '%s': cwd '%s' %s", what, cwd, bad);
        free(dir);
        return false;
    }
    mt5_spawn_options run = *options;
    run.cwd = dir;
    run.deadline_us = ctx->deadline_us;
    int rc = mt5_spawn_run(res, &run);
    free(dir);
    if (rc != MT5_OK) {
        check_verdict(out, MT5_STATUS_ERROR, "cannot run '%s': %s", what, mt5_error_detail());
        return false;
    }
    /* Now, while the bytes are raw: once escaped (a '\r' becomes "\x0d")
     * or cut to fit the evidence, a secret can no longer be found. */
    s_redact(&res->out, ctx->secrets);
    s_redact(&res->err, ctx->secrets);
    if (res->exec_errno) {
        char buf[128];
        /* GNU strerror_r (this file has _GNU_SOURCE): the message may not be in buf. */
        const char *reason = strerror_r(res->exec_errno, buf, sizeof buf);
        check_verdict(out, MT5_STATUS_ERROR, "cannot run '%s': %s", what, reason);
        return false;
    }
    if (res->timed_out) {
        check_timeout(out, check);
        check_spawn_tail(out, res, MT5_STREAM_BOTH);
        return false;
    }
    if (res->signal) {
        const char *abbrev = sigabbrev_np(res->signal);
        check_verdict(out, MT5_STATUS_FAIL, "killed by signal %d (SIG%s)", res->signal,
                      abbrev ? abbrev : "?");
        check_spawn_tail(out, res, MT5_STREAM_BOTH);
        return false;
    }
    if (!res->exited) {
        check_verdict(out, MT5_STATUS_ERROR, "'%s' ended, but its exit status was lost", what);
        return false;
    }
    return true;
}

/* The first (or last) match in one stream, as a hit labelled `label`. */
static int s_search_one(mt5_spawn_hit_t *hit, const mt5_regex_t *re, const char *label,
                        const mt5_spawn_stream_t *s, bool last)
{
    const char *data = s->data ? s->data : "";
    size_t ms = 0, gs = 0, ge = 0;
    int rc = last ? mt5_regex_find_last(re, data, s->len, &ms, NULL, &gs, &ge)
                  : mt5_regex_find(re, data, s->len, 0, &ms, NULL, &gs, &ge);
    if (rc == MT5_OK)
        *hit = (mt5_spawn_hit_t){label, s, ms, gs, ge};
    return rc;
}

int check_spawn_search(mt5_spawn_hit_t *hit, const mt5_regex_t *re, const mt5_spawn_result_t *res,
                       mt5_stream which, bool last)
{
    const mt5_spawn_stream_t *streams[2] = {&res->out, &res->err};
    const char *labels[2] = {"stdout", "stderr"};
    bool used[2] = {which != MT5_STREAM_STDERR, which != MT5_STREAM_STDOUT};
    /* stdout comes before stderr: the first match is stdout's when it has
     * one, the last is stderr's when it has one. */
    for (int k = 0; k < 2; k++) {
        int i = last ? 1 - k : k;
        if (!used[i])
            continue;
        int rc = s_search_one(hit, re, labels[i], streams[i], last);
        if (rc != MT5_ENOTFOUND)
            return rc;
    }
    return MT5_ENOTFOUND;
}

bool check_spawn_hit_text(char *dst, size_t cap, const mt5_spawn_hit_t *hit)
{
    size_t n = hit->gend > hit->gstart ? hit->gend - hit->gstart : 0;
    bool whole = n < cap;
    if (!whole)
        n = cap - 1;
    if (n)
        memcpy(dst, hit->stream->data + hit->gstart, n);
    dst[n] = '\0';
    return whole;
}

#define S_TAIL_LINES 10

/* Escaped length of bytes as check_evidence_bytes writes them (at most
 * what the evidence holds). */
static size_t s_escaped_len(const char *bytes, size_t n)
{
    mt5_check_result_t tmp;
    tmp.evidence[0] = '\0';
    check_evidence_bytes(&tmp, bytes, n);
    return strlen(tmp.evidence);
}

static size_t s_utf8_forward(const char *d, size_t i, size_t len)
{
    while (i < len && ((unsigned char)d[i] & 0xC0) == 0x80)
        i++;
    return i;
}

/* Append the last lines of one stream, escaped, in at most budget chars. */
static void s_tail_one(mt5_check_result_t *out, const mt5_spawn_stream_t *s, size_t budget)
{
    size_t len = s->len;
    if (len > 0 && s->data[len - 1] == '\n')
        len--; /* the final newline is the separator */
    size_t start = len;
    for (int seen = 0; start > 0; start--)
        if (s->data[start - 1] == '\n' && ++seen == S_TAIL_LINES)
            break;
    if (len - start > budget)
        start = s_utf8_forward(s->data, len - budget, len);
    for (;;) {
        size_t esc = s_escaped_len(s->data + start, len - start);
        if (esc <= budget || start >= len)
            break;
        start = s_utf8_forward(s->data, start + (esc - budget), len);
    }
    check_evidence_bytes(out, s->data + start, len - start);
}

void check_spawn_tail(mt5_check_result_t *out, const mt5_spawn_result_t *res, mt5_stream which)
{
    const mt5_spawn_stream_t *streams[2] = {NULL, NULL};
    const char *names[2] = {"stdout", "stderr"};
    if (which != MT5_STREAM_STDERR && res->out.len > 0)
        streams[0] = &res->out;
    if (which != MT5_STREAM_STDOUT && res->err.len > 0)
        streams[1] = &res->err;
    out->evidence[0] = '\0';
    int left = (streams[0] != NULL) + (streams[1] != NULL);
    if (left == 0) {
        check_evidence(out, "(no output)");
        return;
    }
    for (int i = 0; i < 2; i++) {
        if (!streams[i])
            continue;
        size_t w = strlen(out->evidence);
        char header[96];
        if (streams[i]->truncated)
            snprintf(header, sizeof header, "%s--- %s (%llu bytes, the middle dropped) ---\n",
                     w ? "\n" : "", names[i], (unsigned long long)streams[i]->total);
        else
            snprintf(header, sizeof header, "%s--- %s ---\n", w ? "\n" : "", names[i]);
        size_t hl = strlen(header);
        if (w + hl + 2 > sizeof out->evidence)
            break;
        memcpy(out->evidence + w, header, hl + 1);
        w += hl;
        size_t room = sizeof out->evidence - 1 - w - (left > 1 ? 40 : 0);
        s_tail_one(out, streams[i], room / (size_t)left);
        left--;
    }
}

void check_spawn_line(mt5_check_result_t *out, const mt5_spawn_hit_t *hit)
{
    const char *data = hit->stream->data;
    size_t len = hit->stream->len, at = hit->mstart;
    size_t b = at, e = at;
    while (b > 0 && data[b - 1] != '\n')
        b--;
    while (e < len && data[e] != '\n')
        e++;
    if (e > b && data[e - 1] == '\r')
        e--;
    /* A very long line: show the part around the match. */
    if (at > b + 512)
        b = s_utf8_forward(data, at - 256, len);
    check_evidence(out, "%s: ", hit->label);
    check_evidence_bytes(out, data + b, e - b);
}
