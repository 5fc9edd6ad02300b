/*  harness.c - process and wire helpers for integration tests and
 *  benchmarks. See harness.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <zmq.h>

#include "harness/harness.h"

#ifndef MT5_BIN_DIR
#define MT5_BIN_DIR "."
#endif

extern char **environ;

int64_t h_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t s_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Read one line from fd into buf, waiting at most until deadline_us. */
static int s_read_line(int fd, char *buf, size_t cap, int64_t deadline_us)
{
    size_t n = 0;
    while (n + 1 < cap) {
        int64_t left = (deadline_us - s_mono_us()) / 1000;
        if (left <= 0)
            return -1;
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, (int)left) <= 0)
            continue;
        char c;
        ssize_t r = read(fd, &c, 1);
        if (r <= 0)
            return -1;
        if (c == '\n')
            break;
        buf[n++] = c;
    }
    buf[n] = '\0';
    return 0;
}

static void s_field(char *dst, size_t cap, const char *line, const char *key)
{
    const char *p = strstr(line, key);
    dst[0] = '\0';
    if (!p)
        return;
    p += strlen(key);
    size_t n = strcspn(p, " ");
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, p, n);
    dst[n] = '\0';
}

int h_gateway_start(h_gateway *gw, const char *const *extra)
{
    const char *argv[64];
    size_t n = 0;
    /* MT5_TEST_WRAPPER runs the gateway under a tool, e.g. "valgrind -q
     * --error-exitcode=99": its findings then show in the exit status that
     * h_gateway_stop returns. Split on spaces; kept for the process's life. */
    static char wrapper[512];
    const char *w = getenv("MT5_TEST_WRAPPER");
    snprintf(wrapper, sizeof wrapper, "%s", w ? w : "");
    for (char *tok = strtok(wrapper, " "); tok && n < 16; tok = strtok(NULL, " "))
        argv[n++] = tok;
    argv[n++] = MT5_BIN_DIR "/mt5-gateway";
    argv[n++] = "--bind";
    argv[n++] = "tcp://127.0.0.1:*";
    argv[n++] = "--stream";
    argv[n++] = "tcp://127.0.0.1:*";
    for (size_t i = 0; extra && extra[i] && n < 62; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    int pipefd[2];
    if (pipe(pipefd) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(pipefd[1], STDOUT_FILENO);
        close(pipefd[0]);
        close(pipefd[1]);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(pipefd[1]);
    memset(gw, 0, sizeof *gw);
    gw->pid = pid;
    gw->out_fd = pipefd[0];
    char line[1024];
    int64_t wait_us = w && *w ? 30000000 : 5000000;
    if (s_read_line(gw->out_fd, line, sizeof line, s_mono_us() + wait_us) != 0 ||
        !strstr(line, "listening")) {
        fprintf(stderr, "harness: gateway did not report listening\n");
        h_gateway_stop(gw);
        return -1;
    }
    s_field(gw->endpoint, sizeof gw->endpoint, line, "command=");
    s_field(gw->stream, sizeof gw->stream, line, "stream=");
    s_field(gw->boot_id, sizeof gw->boot_id, line, "boot_id=");
    return 0;
}

int h_gateway_stop(h_gateway *gw)
{
    if (gw->pid <= 0)
        return -1;
    kill(gw->pid, SIGTERM);
    int status = 0, exited = 0;
    for (int i = 0; i < 3000; i++) {
        if (waitpid(gw->pid, &status, WNOHANG) == gw->pid) {
            exited = 1;
            break;
        }
        usleep(10000);
    }
    if (!exited) {
        kill(gw->pid, SIGKILL);
        waitpid(gw->pid, &status, 0);
    }
    close(gw->out_fd);
    gw->pid = 0;
    if (!exited)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int h_run_cmd(h_run *r, const char *const *argv, const char *const *env, int timeout_ms)
{
    int out[2], err[2];
    if (pipe(out) != 0)
        return -1;
    if (pipe(err) != 0) {
        close(out[0]);
        close(out[1]);
        return -1;
    }
    int64_t start = s_mono_us();
    pid_t pid = fork();
    if (pid < 0) {
        for (int i = 0; i < 2; i++) {
            close(out[i]);
            close(err[i]);
        }
        return -1;
    }
    if (pid == 0) {
        for (size_t i = 0; env && env[i]; i++) {
            const char *eq = strchr(env[i], '=');
            char name[256];
            size_t n = eq ? (size_t)(eq - env[i]) : strlen(env[i]);
            if (n >= sizeof name)
                _exit(126);
            memcpy(name, env[i], n);
            name[n] = '\0';
            if (eq && eq[1])
                setenv(name, eq + 1, 1);
            else
                unsetenv(name);
        }
        dup2(out[1], STDOUT_FILENO);
        dup2(err[1], STDERR_FILENO);
        close(out[0]);
        close(out[1]);
        close(err[0]);
        close(err[1]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    size_t no = 0, ne = 0;
    struct pollfd p[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    int open_fds = 2, status = 0, killed = 0;
    while (open_fds > 0) {
        int64_t left = timeout_ms - (s_mono_us() - start) / 1000;
        if (left <= 0) {
            kill(pid, SIGKILL);
            killed = 1;
            break;
        }
        if (poll(p, 2, (int)left) <= 0)
            continue;
        for (int i = 0; i < 2; i++) {
            if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP)))
                continue;
            char *buf = i == 0 ? r->out : r->err;
            size_t *len = i == 0 ? &no : &ne;
            char tmp[4096];
            ssize_t got = read(p[i].fd, tmp, sizeof tmp);
            if (got <= 0) {
                close(p[i].fd);
                p[i].fd = -1;
                open_fds--;
                continue;
            }
            size_t room = sizeof r->out - 1 - *len;
            size_t take = (size_t)got < room ? (size_t)got : room;
            memcpy(buf + *len, tmp, take);
            *len += take;
        }
    }
    for (int i = 0; i < 2; i++)
        if (p[i].fd >= 0)
            close(p[i].fd);
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR)
        ;
    r->wall_us = s_mono_us() - start;
    r->maxrss_kib = ru.ru_maxrss;
    r->out[no] = '\0';
    r->err[ne] = '\0';
    r->status = killed              ? 128 + SIGKILL
                : WIFEXITED(status) ? WEXITSTATUS(status)
                                    : 128 + WTERMSIG(status);
    return 0;
}

char *h_request(const char *endpoint, const void *req, size_t len, size_t *reply_len,
                int timeout_ms)
{
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_REQ);
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms);
    char *out = NULL;
    if (zmq_connect(s, endpoint) == 0 && zmq_send(s, req, len, 0) == (int)len) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        int n = zmq_msg_recv(&msg, s, 0);
        if (n >= 0) {
            out = malloc((size_t)n + 1);
            memcpy(out, zmq_msg_data(&msg), (size_t)n);
            out[n] = '\0';
            if (reply_len)
                *reply_len = (size_t)n;
        }
        zmq_msg_close(&msg);
    }
    zmq_close(s);
    zmq_ctx_term(ctx);
    return out;
}

int h_write_key(char *path, size_t cap, const char *dir, const char *name, const uint8_t key[32],
                unsigned mode)
{
    snprintf(path, cap, "%s/%s", dir, name);
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, key, 32);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return -1;
    int ok = write(fd, hex, 64) == 64 && write(fd, "\n", 1) == 1;
    close(fd);
    return ok && chmod(path, (mode_t)mode) == 0 ? 0 : -1;
}

void h_sign(char *out, size_t cap, const uint8_t key[32], const char *canonical, long long ts)
{
    uint8_t mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, 32);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)canonical, strlen(canonical));
    crypto_auth_hmacsha256_final(&st, mac);
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
    snprintf(out, cap, "RISK_PASS:%s:%lld", hex, ts);
}

int h_closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        close(fd);
        return -1;
    }
    close(fd);
    return ntohs(a.sin_port);
}
