/*  bench_rtt.c - gateway round trips against bare libzmq, in one run.
 *
 *  Baseline: a REP echo server in its own process, driven by a REQ client:
 *  the cheapest loopback round trip libzmq can do. Then the real
 *  mt5-gateway (Release build) with the same client, for the handshake and
 *  for PING. Each series is N requests after a warm-up; p50 and p99 of the
 *  per-request time, and the gateway/baseline ratio. Targets
 *  (docs/performance.md): PING p50 within 1.5x of the baseline.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "harness/harness.h"

#define N 10000
#define WARMUP 1000

static int64_t s_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int s_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

typedef struct {
    double p50_us, p99_us, mean_us;
} s_stats;

/* N timed round trips of `req` over one REQ socket. */
static s_stats s_series(const char *endpoint, const char *req)
{
    static int64_t samples[N];
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_REQ);
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_connect(s, endpoint) != 0) {
        fprintf(stderr, "bench: cannot connect %s\n", endpoint);
        exit(1);
    }
    size_t len = strlen(req);
    char buf[1024];
    int64_t total = 0;
    for (int i = 0; i < WARMUP + N; i++) {
        int64_t t0 = s_ns();
        if (zmq_send(s, req, len, 0) < 0 || zmq_recv(s, buf, sizeof buf, 0) < 0) {
            fprintf(stderr, "bench: request failed\n");
            exit(1);
        }
        int64_t dt = s_ns() - t0;
        if (i >= WARMUP) {
            samples[i - WARMUP] = dt;
            total += dt;
        }
    }
    zmq_close(s);
    zmq_ctx_term(ctx);
    qsort(samples, N, sizeof samples[0], s_cmp);
    s_stats st = {samples[N / 2] / 1000.0, samples[N * 99 / 100] / 1000.0,
                  (double)total / N / 1000.0};
    return st;
}

/* The baseline server: REP echo in a child process. */
static pid_t s_echo_start(char *endpoint, size_t cap)
{
    int fds[2];
    if (pipe(fds) != 0)
        exit(1);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        void *ctx = zmq_ctx_new();
        void *s = zmq_socket(ctx, ZMQ_REP);
        zmq_bind(s, "tcp://127.0.0.1:*");
        char ep[256];
        size_t len = sizeof ep;
        zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &len);
        if (write(fds[1], ep, strlen(ep) + 1) < 0)
            _exit(1);
        close(fds[1]);
        char buf[1024];
        for (;;) {
            int n = zmq_recv(s, buf, sizeof buf, 0);
            if (n < 0 || zmq_send(s, buf, (size_t)n, 0) < 0)
                break;
        }
        _exit(0);
    }
    close(fds[1]);
    ssize_t n = read(fds[0], endpoint, cap - 1);
    close(fds[0]);
    if (n <= 0)
        exit(1);
    endpoint[n] = '\0';
    return pid;
}

static void s_row(const char *name, s_stats st, const s_stats *base)
{
    printf("%-34s p50 %7.1f us   p99 %7.1f us   mean %7.1f us", name, st.p50_us, st.p99_us,
           st.mean_us);
    if (base)
        printf("   ratio p50 %.2fx  p99 %.2fx", st.p50_us / base->p50_us, st.p99_us / base->p99_us);
    printf("\n");
}

int main(void)
{
    const char *ping = "{\"action\":\"PING\",\"ts\":1700000000000}";
    char echo[256];
    pid_t echo_pid = s_echo_start(echo, sizeof echo);
    h_gateway gw;
    const char *args[] = {"--stream", "none", NULL};
    if (h_gateway_start(&gw, args) != 0)
        return 1;

    printf("bench_rtt: %d requests per series after %d warm-up, loopback TCP, one REQ client\n", N,
           WARMUP);
    /* Interleave the series twice so drift on the machine hits both. */
    s_stats base_hello = s_series(echo, "Hello");
    s_stats gw_hello = s_series(gw.endpoint, "Hello");
    s_stats base_ping = s_series(echo, ping);
    s_stats gw_ping = s_series(gw.endpoint, ping);
    s_row("bare libzmq REQ/REP echo, Hello", base_hello, NULL);
    s_row("mt5-gateway handshake", gw_hello, &base_hello);
    s_row("bare libzmq REQ/REP echo, PING", base_ping, NULL);
    s_row("mt5-gateway PING", gw_ping, &base_ping);
    double ratio = gw_ping.p50_us / base_ping.p50_us;
    printf("target: gateway PING p50 within 1.5x of bare libzmq: %.2fx %s\n", ratio,
           ratio <= 1.5 ? "MET" : "MISSED");

    h_gateway_stop(&gw);
    kill(echo_pid, SIGTERM);
    waitpid(echo_pid, NULL, 0);
    return 0;
}
