/*  bench_gate.c - the gate engine's two speed targets (docs/performance.md).
 *
 *  1. The log check over a 1 GiB VERIFY_LOG, as a whole `gate1 run`
 *     process, against `grep -c -F OK_FROM_MT5` on the same file in the
 *     same run: wall time (median of alternating runs, page cache warm)
 *     and peak RSS of each process (wait4). Targets: no slower than grep,
 *     peak RSS under 16 MiB. Both log modes are measured: `token` reads
 *     the whole file (grep's job), `result` reads from the end.
 *  2. A full `audit-task-004` against its passing fixture with the
 *     handshake included, against the embedded gateway; the baseline is
 *     the handshake alone (verify-connection) in the same run. Target:
 *     under 50 ms wall.
 *
 *  Usage: bench_gate [SIZE_MIB] (default 1024).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/harness.h"

#ifndef MT5_SOURCE_DIR
#error "MT5_SOURCE_DIR is required"
#endif

typedef struct {
    double wall_ms;
    long rss_kib;
    int status;
} s_sample_t;

static int64_t s_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static char s_sink[600]; /* where the programs' standard output goes */

/* Run argv with stdout to s_sink and extra environment; wall + RSS. */
static s_sample_t s_spawn(const char *const *argv, const char *const *env)
{
    s_sample_t s = {0, 0, -1};
    int64_t t0 = s_mono_us();
    pid_t pid = fork();
    if (pid == 0) {
        /* Not /dev/null: GNU grep notices it and stops at the first match. */
        int fd = open(s_sink, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fd, 1);
        for (size_t i = 0; env && env[i]; i++)
            putenv((char *)env[i]);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (pid > 0 && wait4(pid, &status, 0, &ru) == pid) {
        s.wall_ms = (double)(s_mono_us() - t0) / 1000.0;
        s.rss_kib = ru.ru_maxrss;
        s.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    return s;
}

static int s_cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double s_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, s_cmpd);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void s_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "bench_gate: cannot write %s\n", path);
        exit(1);
    }
}

/* A section-8 log of `mib` MiB: runs of four lines, one a RESULT PASS. */
static void s_make_log(const char *path, long mib)
{
    static const char run[] =
        "2026-11-24T10:00:00.000Z INFO verify-connection: connecting to tcp://127.0.0.1:5555\n"
        "2026-11-24T10:00:00.001Z INFO verify-connection: sending Hello\n"
        "2026-11-24T10:00:00.002Z INFO verify-connection: received 11 bytes\n"
        "2026-11-24T10:00:00.002Z INFO verify-connection: RESULT PASS "
        "endpoint=tcp://127.0.0.1:5555 rtt_us=1834 reply=OK_FROM_MT5\n";
    size_t runlen = sizeof run - 1, cap = 1 << 20;
    char *block = malloc(cap);
    size_t used = 0;
    while (used + runlen <= cap) {
        memcpy(block + used, run, runlen);
        used += runlen;
    }
    FILE *f = fopen(path, "w");
    if (!f)
        exit(1);
    for (long i = 0; i < mib; i++)
        if (fwrite(block, 1, used, f) != used)
            exit(1);
    fclose(f);
    free(block);
}

static void s_log_bench(const char *dir, long mib)
{
    char log[512], mtoken[512], mresult[512];
    snprintf(log, sizeof log, "%s/VERIFY_LOG.log", dir);
    snprintf(mtoken, sizeof mtoken, "%s/token.yaml", dir);
    snprintf(mresult, sizeof mresult, "%s/result.yaml", dir);
    printf("log check: writing a %ld MiB VERIFY_LOG ...\n", mib);
    fflush(stdout);
    s_make_log(log, mib);
    s_write_file(mtoken, "gate: bench\ntitle: log token\nphases: [{id: log, title: Log}]\n"
                         "checks:\n  - {id: token, phase: log, kind: log, description: token, "
                         "path: VERIFY_LOG.log, mode: token, timeout: 10m}\n");
    s_write_file(mresult, "gate: bench\ntitle: log result\nphases: [{id: log, title: Log}]\n"
                          "checks:\n  - {id: result, phase: log, kind: log, description: result, "
                          "path: VERIFY_LOG.log, timeout: 10m}\n");
    char root[600];
    snprintf(root, sizeof root, "--root=%s", dir);
    const char *grep[] = {"grep", "-c", "-F", "OK_FROM_MT5", log, NULL};
    const char *token[] = {MT5_BIN_DIR "/gate1", "run", mtoken, root, "--quiet", NULL};
    const char *result[] = {MT5_BIN_DIR "/gate1", "run", mresult, root, "--quiet", NULL};

    s_spawn(grep, NULL); /* warm the page cache */
    enum { ROUNDS = 7 };
    double g[ROUNDS], t[ROUNDS], r[ROUNDS];
    long grss = 0, trss = 0, rrss = 0;
    for (int i = 0; i < ROUNDS; i++) {
        s_sample_t a = s_spawn(grep, NULL), b = s_spawn(token, NULL), c = s_spawn(result, NULL);
        if (a.status != 0 || b.status != 0 || c.status != 0) {
            fprintf(stderr, "bench_gate: a run failed (grep %d, token %d, result %d)\n", a.status,
                    b.status, c.status);
            exit(1);
        }
        g[i] = a.wall_ms, t[i] = b.wall_ms, r[i] = c.wall_ms;
        grss = a.rss_kib > grss ? a.rss_kib : grss;
        trss = b.rss_kib > trss ? b.rss_kib : trss;
        rrss = c.rss_kib > rrss ? c.rss_kib : rrss;
    }
    double gm = s_median(g, ROUNDS), tm = s_median(t, ROUNDS), rm = s_median(r, ROUNDS);
    printf("%-40s median %8.1f ms   peak RSS %6.1f MiB\n", "grep -c -F OK_FROM_MT5", gm,
           grss / 1024.0);
    printf("%-40s median %8.1f ms   peak RSS %6.1f MiB\n", "gate1 log check, mode token", tm,
           trss / 1024.0);
    printf("%-40s median %8.1f ms   peak RSS %6.1f MiB\n", "gate1 log check, mode result", rm,
           rrss / 1024.0);
    printf("token / grep: %.2fx (target <= 1.00x); peak RSS %.1f MiB (target < 16 MiB)\n", tm / gm,
           trss / 1024.0);
    unlink(log);
}

static void s_audit_bench(const char *dir)
{
    h_gateway gw;
    if (h_gateway_start(&gw, NULL) != 0)
        exit(1);
    const char *port = strrchr(gw.endpoint, ':') + 1;
    char tree[600], cmd[1400], root[700];
    snprintf(tree, sizeof tree, "%s/mt5-crs", dir);
    snprintf(cmd, sizeof cmd, "cp -R '%s/fixtures/task004/pass' '%s'", MT5_SOURCE_DIR, tree);
    if (system(cmd) != 0)
        exit(1);
    snprintf(root, sizeof root, "--root=%s", tree);
    static char e1[700], e2[300], e3[300], e4[64];
    snprintf(e1, sizeof e1, "PYTHON=%s/fixtures/stubs/python3", MT5_SOURCE_DIR);
    snprintf(e2, sizeof e2, "MT5_ENDPOINT=%s", gw.endpoint);
    snprintf(e3, sizeof e3, "MT5_PORT=%s", port);
    snprintf(e4, sizeof e4, "MT5_HOST=127.0.0.1");
    const char *env[] = {e1, e2, e3, e4, NULL};
    const char *audit[] = {MT5_BIN_DIR "/audit-task-004", root, "--quiet", NULL};
    char ep[300];
    snprintf(ep, sizeof ep, "--endpoint=%s", gw.endpoint);
    const char *verify[] = {MT5_BIN_DIR "/verify-connection", ep, "--quiet", NULL};

    enum { ROUNDS = 41 };
    double a[ROUNDS], v[ROUNDS];
    for (int i = 0; i < ROUNDS; i++) {
        s_sample_t sa = s_spawn(audit, env), sv = s_spawn(verify, NULL);
        if (sa.status != 0 || sv.status != 0) {
            fprintf(stderr, "bench_gate: audit-task-004 exit %d, verify-connection exit %d\n",
                    sa.status, sv.status);
            h_gateway_stop(&gw);
            exit(1);
        }
        a[i] = sa.wall_ms, v[i] = sv.wall_ms;
    }
    double am = s_median(a, ROUNDS), vm = s_median(v, ROUNDS);
    printf("%-40s median %8.2f ms   max %8.2f ms\n", "verify-connection (handshake only)", vm,
           v[ROUNDS - 1]);
    printf("%-40s median %8.2f ms   max %8.2f ms (target < 50 ms)\n",
           "audit-task-004, 16 checks, handshake", am, a[ROUNDS - 1]);
    h_gateway_stop(&gw);
}

int main(int argc, char **argv)
{
    long mib = argc > 1 ? strtol(argv[1], NULL, 10) : 1024;
    if (mib < 1)
        mib = 1024;
    char dir[] = "/tmp/mt5-bench-gate-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    snprintf(s_sink, sizeof s_sink, "%s/stdout", dir);
    s_audit_bench(dir);
    s_log_bench(dir, mib);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
