/*  bench_verify.c - wall time of one verify-connection process, start to
 *  exit, against a running gateway. Two baselines in the same run:
 *  /bin/true (the cost of any process) and the least a libzmq client can
 *  do for the same check (this program run as --bare-client: context, REQ,
 *  connect, send Hello, receive, close). Target (docs/performance.md):
 *  under 5 ms.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "harness/harness.h"

/* The baseline client: nothing but libzmq. */
static int s_bare_client(const char *endpoint)
{
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_REQ);
    int zero = 0, timeout = 5000;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    char buf[64];
    int n = -1;
    if (zmq_connect(s, endpoint) == 0 && zmq_send(s, "Hello", 5, 0) == 5)
        n = zmq_recv(s, buf, sizeof buf, 0);
    zmq_close(s);
    zmq_ctx_term(ctx);
    return n == 11 && memcmp(buf, "OK_FROM_MT5", 11) == 0 ? 0 : 1;
}

#define RUNS 300

static int s_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void s_series(const char *name, const char *const *argv, double *p50_ms)
{
    static int64_t us[RUNS];
    static h_run r;
    for (int i = 0; i < RUNS; i++) {
        if (h_run_cmd(&r, argv, NULL, 10000) != 0 || r.status != 0) {
            fprintf(stderr, "bench_verify: %s failed (status %d): %s%s\n", name, r.status, r.out,
                    r.err);
            exit(1);
        }
        us[i] = r.wall_us;
    }
    qsort(us, RUNS, sizeof us[0], s_cmp);
    *p50_ms = us[RUNS / 2] / 1000.0;
    printf("%-28s p50 %6.2f ms   p99 %6.2f ms   max %6.2f ms\n", name, *p50_ms,
           us[RUNS * 99 / 100] / 1000.0, us[RUNS - 1] / 1000.0);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--bare-client") == 0)
        return s_bare_client(argv[2]);
    h_gateway gw;
    const char *args[] = {"--stream", "none", NULL};
    if (h_gateway_start(&gw, args) != 0)
        return 1;
    printf("bench_verify: %d runs each, fork+exec to exit, gateway on loopback\n", RUNS);
    const char *true_argv[] = {"/bin/true", NULL};
    const char *verify_argv[] = {MT5_BIN_DIR "/verify-connection", "--quiet", "--endpoint",
                                 gw.endpoint, NULL};
    const char *bare_argv[] = {argv[0], "--bare-client", gw.endpoint, NULL};
    double floor_ms, bare_ms, verify_ms;
    s_series("/bin/true (process floor)", true_argv, &floor_ms);
    s_series("bare libzmq client", bare_argv, &bare_ms);
    s_series("verify-connection", verify_argv, &verify_ms);
    printf("verify-connection / bare libzmq client: p50 %.2fx\n", verify_ms / bare_ms);
    printf("target: verify-connection under 5 ms: p50 %.2f ms %s\n", verify_ms,
           verify_ms < 5.0 ? "MET" : "MISSED");
    h_gateway_stop(&gw);
    return 0;
}
