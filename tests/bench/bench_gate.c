/*  bench_gate.c - the gate engine's speed targets (docs/performance.md).
 *
 *  1. A full `audit-task-004` against its passing fixture with the
 *     handshake included, against the embedded gateway; the baseline is
 *     the handshake alone (verify-connection) in the same run. Target:
 *     median under 50 ms wall.
 *  2. The log check over a 1 GiB VERIFY_LOG, as a whole `gate1 run`
 *     process, against `grep -c -F OK_FROM_MT5` on the same file in the
 *     same run: wall time (median of alternating runs, page cache warm)
 *     and peak RSS of each process. Targets: token mode no slower than
 *     grep, peak RSS under 16 MiB. Both log modes are measured: `token`
 *     reads the whole file (grep's job), `result` reads from the end.
 *
 *  Every process runs through the harness's h_run_cmd: fork to exit, its
 *  standard output and error read through pipes, wall time and peak RSS
 *  (ru_maxrss from wait4) per run. A pipe matters for grep: GNU grep
 *  notices when its output is /dev/null and stops at the first match,
 *  which would flatter it a hundredfold; into a pipe it counts them all.
 *
 *  Usage: bench_gate [SIZE_MIB] (default 1024). Prints MET or MISSED
 *  against each target; exit 0 unless a run itself failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/harness.h"

#ifndef MT5_SOURCE_DIR
#error "MT5_SOURCE_DIR is required"
#endif

#define RUN_TIMEOUT_MS (10 * 60 * 1000)

static h_run s_run; /* 64 KiB of buffers: not on the stack */
static h_gateway s_gw;
static char s_dir[] = "/tmp/mt5-bench-gate-XXXXXX";

/* At exit, also after a failed run: stop the gateway, remove the sandbox. */
static void s_cleanup(void)
{
    if (s_gw.pid > 0)
        h_gateway_stop(&s_gw);
    const char *rm[] = {"/bin/rm", "-rf", s_dir, NULL};
    if (h_run_cmd(&s_run, rm, NULL, 60000) != 0 || s_run.status != 0)
        fprintf(stderr, "bench_gate: cannot remove %s\n", s_dir);
}

/* Run argv (environment as h_run_cmd takes it); exit on a failed run. */
static const h_run *s_spawn(const char *what, const char *const *argv, const char *const *env)
{
    if (h_run_cmd(&s_run, argv, env, RUN_TIMEOUT_MS) != 0 || s_run.status != 0) {
        fprintf(stderr, "bench_gate: %s failed (status %d): %s%s\n", what, s_run.status, s_run.out,
                s_run.err);
        exit(1);
    }
    return &s_run;
}

static int s_cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median and maximum of v[0..n), n <= 64; v is left as it was. */
static void s_stats(const double *v, int n, double *median, double *max)
{
    double sorted[64];
    *max = v[0];
    for (int i = 0; i < n; i++) {
        sorted[i] = v[i];
        if (v[i] > *max)
            *max = v[i];
    }
    qsort(sorted, (size_t)n, sizeof sorted[0], s_cmpd);
    *median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

static const char *s_verdict(int met)
{
    return met ? "MET" : "MISSED";
}

static void s_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "bench_gate: cannot write %s\n", path);
        exit(1);
    }
}

/* A section-8 log of `mib` MiB: runs of four lines, one a RESULT PASS.
 * Returns the number of runs (of lines holding OK_FROM_MT5). */
static long s_make_log(const char *path, long mib)
{
    static const char run[] =
        "2026-11-24T10:00:00.000Z INFO verify-connection: connecting to tcp://127.0.0.1:5555\n"
        "2026-11-24T10:00:00.001Z INFO verify-connection: sending Hello\n"
        "2026-11-24T10:00:00.002Z INFO verify-connection: received 11 bytes\n"
        "2026-11-24T10:00:00.002Z INFO verify-connection: RESULT PASS "
        "endpoint=tcp://127.0.0.1:5555 rtt_us=1834 reply=OK_FROM_MT5\n";
    size_t runlen = sizeof run - 1, cap = 1 << 20;
    char *block = malloc(cap);
    FILE *f = fopen(path, "w");
    if (!block || !f) {
        fprintf(stderr, "bench_gate: cannot write %s\n", path);
        exit(1);
    }
    size_t used = 0;
    long runs = 0;
    while (used + runlen <= cap) {
        memcpy(block + used, run, runlen);
        used += runlen;
        runs++;
    }
    for (long i = 0; i < mib; i++)
        if (fwrite(block, 1, used, f) != used)
            exit(1);
    if (fclose(f) != 0)
        exit(1);
    free(block);
    return runs * mib;
}

static void s_log_bench(const char *dir, long mib)
{
    char log[512], mtoken[512], mresult[512];
    snprintf(log, sizeof log, "%s/VERIFY_LOG.log", dir);
    snprintf(mtoken, sizeof mtoken, "%s/token.yaml", dir);
    snprintf(mresult, sizeof mresult, "%s/result.yaml", dir);
    printf("log check: writing a %ld MiB VERIFY_LOG ...\n", mib);
    fflush(stdout);
    long runs = s_make_log(log, mib);
    s_write_file(mtoken, "gate: bench\ntitle: log token\nphases: [{id: log, title: Log}]\n"
                         "checks:\n  - {id: token, phase: log, kind: log, description: token, "
                         "path: VERIFY_LOG.log, mode: token, timeout: 10m}\n");
    s_write_file(mresult, "gate: bench\ntitle: log result\nphases: [{id: log, title: Log}]\n"
                          "checks:\n  - {id: result, phase: log, kind: log, description: result, "
                          "path: VERIFY_LOG.log, timeout: 10m}\n");
    char root[600];
    snprintf(root, sizeof root, "--root=%s", dir);
    const char *grep[] = {"/usr/bin/grep", "-c", "-F", "OK_FROM_MT5", log, NULL};
    const char *token[] = {MT5_BIN_DIR "/gate1", "run", mtoken, root, "--quiet", NULL};
    const char *result[] = {MT5_BIN_DIR "/gate1", "run", mresult, root, "--quiet", NULL};
    const char *const *env = NULL; /* the manifests read no variable */

    /* A first run warms the page cache, and shows that grep counts every
     * matching line into a pipe. */
    char count[32];
    snprintf(count, sizeof count, "%ld\n", runs);
    if (strcmp(s_spawn("grep", grep, env)->out, count) != 0) {
        fprintf(stderr, "bench_gate: grep counted %s, expected %s", s_run.out, count);
        exit(1);
    }
    enum { ROUNDS = 7 };
    double g[ROUNDS], t[ROUNDS], r[ROUNDS];
    long grss = 0, trss = 0, rrss = 0;
    for (int i = 0; i < ROUNDS; i++) {
        const h_run *a = s_spawn("grep", grep, env);
        g[i] = (double)a->wall_us / 1000.0;
        grss = a->maxrss_kib > grss ? a->maxrss_kib : grss;
        const h_run *b = s_spawn("gate1 (token)", token, env);
        t[i] = (double)b->wall_us / 1000.0;
        trss = b->maxrss_kib > trss ? b->maxrss_kib : trss;
        const h_run *c = s_spawn("gate1 (result)", result, env);
        r[i] = (double)c->wall_us / 1000.0;
        rrss = c->maxrss_kib > rrss ? c->maxrss_kib : rrss;
    }
    double gm, gx, tm, tx, rm, rx;
    s_stats(g, ROUNDS, &gm, &gx);
    s_stats(t, ROUNDS, &tm, &tx);
    s_stats(r, ROUNDS, &rm, &rx);
    printf("%d rounds, medians; peak RSS is the largest of the rounds\n", ROUNDS);
    printf("%-36s median %8.1f ms   max %8.1f ms   peak RSS %5.1f MiB\n", "grep -c -F OK_FROM_MT5",
           gm, gx, grss / 1024.0);
    printf("%-36s median %8.1f ms   max %8.1f ms   peak RSS %5.1f MiB\n",
           "gate1 log check, mode token", tm, tx, trss / 1024.0);
    printf("%-36s median %8.1f ms   max %8.1f ms   peak RSS %5.1f MiB\n",
           "gate1 log check, mode result", rm, rx, rrss / 1024.0);
    printf("target: token mode no slower than grep: %.2fx %s\n", tm / gm, s_verdict(tm <= gm));
    long worst = trss > rrss ? trss : rrss;
    printf("target: gate1 peak RSS under 16 MiB: %.1f MiB %s\n", worst / 1024.0,
           s_verdict(worst < 16 * 1024));
    unlink(log);
}

static void s_audit_bench(const char *dir)
{
    h_gateway *gw = &s_gw;
    if (h_gateway_start(gw, NULL) != 0)
        exit(1);
    const char *colon = strrchr(gw->endpoint, ':');
    if (!colon)
        exit(1);
    char tree[600], root[700];
    snprintf(tree, sizeof tree, "%s/mt5-crs", dir);
    const char *cp[] = {"/bin/cp", "-a", MT5_SOURCE_DIR "/fixtures/task004/pass", tree, NULL};
    s_spawn("cp", cp, NULL);
    snprintf(root, sizeof root, "--root=%s", tree);
    static char e_endpoint[300], e_port[64];
    snprintf(e_endpoint, sizeof e_endpoint, "MT5_ENDPOINT=%s", gw->endpoint);
    snprintf(e_port, sizeof e_port, "MT5_PORT=%s", colon + 1);
    /* Online, whatever the caller's environment says: "NAME=" unsets. */
    const char *audit_env[] = {"PYTHON=" MT5_SOURCE_DIR "/fixtures/stubs/python3",
                               "MT5_HOST=127.0.0.1",
                               e_endpoint,
                               e_port,
                               "MT5_GATE_OFFLINE=",
                               "VERIFY_LOG_MAX_AGE=",
                               "MT5_RISK_KEY=",
                               NULL};
    const char *audit[] = {MT5_BIN_DIR "/audit-task-004", root, "--quiet", NULL};
    char ep[300];
    snprintf(ep, sizeof ep, "--endpoint=%s", gw->endpoint);
    const char *verify_env[] = {"MT5_VERIFY_LOG=", "MT5_CONFIG=", NULL};
    const char *verify[] = {MT5_BIN_DIR "/verify-connection", ep, "--quiet", NULL};

    /* Online means every check ran and passed, the handshake included. */
    if (!strstr(s_spawn("audit-task-004", audit, audit_env)->out, "Passed: 16\n")) {
        fprintf(stderr, "bench_gate: not every check passed:\n%s", s_run.out);
        exit(1);
    }
    enum { ROUNDS = 41 };
    double a[ROUNDS], v[ROUNDS];
    for (int i = 0; i < ROUNDS; i++) {
        const h_run *ra = s_spawn("audit-task-004", audit, audit_env);
        a[i] = (double)ra->wall_us / 1000.0;
        const h_run *rv = s_spawn("verify-connection", verify, verify_env);
        v[i] = (double)rv->wall_us / 1000.0;
    }
    h_gateway_stop(gw);
    double am, ax, vm, vx;
    s_stats(a, ROUNDS, &am, &ax);
    s_stats(v, ROUNDS, &vm, &vx);
    printf("audit: %d runs each, alternating, gateway on loopback\n", ROUNDS);
    printf("%-36s median %8.2f ms   max %8.2f ms\n", "verify-connection (handshake only)", vm, vx);
    printf("%-36s median %8.2f ms   max %8.2f ms\n", "audit-task-004, 16 checks, online", am, ax);
    printf("target: audit-task-004 under 50 ms: median %.2f ms %s\n", am, s_verdict(am < 50.0));
}

int main(int argc, char **argv)
{
    long mib = argc > 1 ? strtol(argv[1], NULL, 10) : 1024;
    if (mib < 1)
        mib = 1024;
    setvbuf(stdout, NULL, _IOLBF, 0); /* in order with the gateway's stderr */
    if (!mkdtemp(s_dir))
        return 1;
    atexit(s_cleanup);
    s_audit_bench(s_dir);
    s_log_bench(s_dir, mib);
    return 0;
}
