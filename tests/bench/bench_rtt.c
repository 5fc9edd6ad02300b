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
#define BLOCK 500

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

/* One series: a REQ socket to one server, one request body, its samples. */
typedef struct {
    void *sock;
    const char *req;
    int64_t samples[N];
    int n;
} s_series;

static void s_series_open(s_series *se, void *ctx, const char *endpoint, const char *req)
{
    memset(se, 0, sizeof *se);
    se->req = req;
    se->sock = zmq_socket(ctx, ZMQ_REQ);
    int zero = 0;
    zmq_setsockopt(se->sock, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_connect(se->sock, endpoint) != 0) {
        fprintf(stderr, "bench: cannot connect %s\n", endpoint);
        exit(1);
    }
}

/* count round trips; recorded unless warm-up. */
static void s_series_run(s_series *se, int count, int record)
{
    size_t len = strlen(se->req);
    char buf[1024];
    for (int i = 0; i < count; i++) {
        int64_t t0 = s_ns();
        if (zmq_send(se->sock, se->req, len, 0) < 0 || zmq_recv(se->sock, buf, sizeof buf, 0) < 0) {
            fprintf(stderr, "bench: request failed\n");
            exit(1);
        }
        int64_t dt = s_ns() - t0;
        if (record && se->n < N)
            se->samples[se->n++] = dt;
    }
}

static s_stats s_series_stats(s_series *se)
{
    int64_t total = 0;
    for (int i = 0; i < se->n; i++)
        total += se->samples[i];
    qsort(se->samples, (size_t)se->n, sizeof se->samples[0], s_cmp);
    s_stats st = {se->samples[se->n / 2] / 1000.0, se->samples[se->n * 99 / 100] / 1000.0,
                  (double)total / se->n / 1000.0};
    zmq_close(se->sock);
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

    printf("bench_rtt: %d requests per series after %d warm-up, loopback TCP, one REQ client "
           "per series, series interleaved in blocks of %d\n",
           N, WARMUP, BLOCK);
    /* The four series take turns in blocks, so drift on the machine (other
     * load, frequency changes) falls on all of them alike. */
    static s_series series[4];
    void *ctx = zmq_ctx_new();
    s_series_open(&series[0], ctx, echo, "Hello");
    s_series_open(&series[1], ctx, gw.endpoint, "Hello");
    s_series_open(&series[2], ctx, echo, ping);
    s_series_open(&series[3], ctx, gw.endpoint, ping);
    for (int k = 0; k < 4; k++)
        s_series_run(&series[k], WARMUP, 0);
    for (int done = 0; done < N; done += BLOCK)
        for (int k = 0; k < 4; k++)
            s_series_run(&series[k], BLOCK, 1);
    s_stats base_hello = s_series_stats(&series[0]);
    s_stats gw_hello = s_series_stats(&series[1]);
    s_stats base_ping = s_series_stats(&series[2]);
    s_stats gw_ping = s_series_stats(&series[3]);
    zmq_ctx_term(ctx);
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
