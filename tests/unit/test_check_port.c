/*  test_check_port.c - the `port` check kind on 127.0.0.1 with ephemeral
 *  ports: a listening socket passes (and really got a connection), a
 *  closed port is refused, a name and IPv6 resolve, an unknown name is an
 *  error, a listener whose backlog is full times out in bounded time, bad
 *  parameters are errors, and no descriptor is left open.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mt5/check.h"
#include "mt5/clock.h"
#include "mt5/error.h"
#include "unit/check_sandbox.h"

static mt5_check_t s_port(const char *host, int port, int64_t timeout_ms)
{
    mt5_check_t c = s_check_init(MT5_CHECK_PORT, "port", timeout_ms);
    c.u.port.host = host ? strdup(host) : NULL;
    c.u.port.port = port;
    return c;
}

/* Run c with its own timeout as the deadline. The port kind reads no
 * files, so no sandbox is made: the root is /tmp, and the clock unset. */
static mt5_check_result_t s_run_port(const mt5_check_t *c)
{
    mt5_check_ctx_t ctx = {0};
    ctx.root = "/tmp";
    ctx.deadline_us = mt5_clock_mono_us() + c->timeout_ms * 1000;
    return s_run_in(c, &ctx);
}

/* A TCP socket bound to an ephemeral port of addr ("127.0.0.1" or "::1");
 * listening with `backlog` unless backlog < 0. -1 when the family is not
 * available. */
static int s_listener(const char *addr, int backlog, int *port)
{
    bool v6 = strchr(addr, ':') != NULL;
    int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t len;
    if (v6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        inet_pton(AF_INET6, addr, &a->sin6_addr);
        len = sizeof *a;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        inet_pton(AF_INET, addr, &a->sin_addr);
        len = sizeof *a;
    }
    if (bind(fd, (struct sockaddr *)&ss, len) != 0 || (backlog >= 0 && listen(fd, backlog) != 0)) {
        close(fd);
        return -1;
    }
    len = sizeof ss;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
    *port =
        ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

/* Whether a connection waits on the listener (within 1 s); accepts and
 * closes it. */
static bool s_accepted(int listener)
{
    struct pollfd p = {.fd = listener, .events = POLLIN};
    if (poll(&p, 1, 1000) != 1)
        return false;
    int fd = accept(listener, NULL, NULL);
    if (fd < 0)
        return false;
    close(fd);
    return true;
}

static void test_check_port__listening_socket_passes(void **state)
{
    (void)state;
    int port = 0;
    int l = s_listener("127.0.0.1", 8, &port);
    assert_true(l >= 0);
    mt5_check_t c = s_port("127.0.0.1", port, 3000);
    mt5_check_result_t r = s_run_port(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    char want[128];
    snprintf(want, sizeof want, "127.0.0.1:%d accepts connections (", port);
    s_prefix(r.message, want);
    assert_string_equal(r.message + strlen(r.message) - 4, " ms)");
    snprintf(want, sizeof want, "connected to 127.0.0.1 port %d in ", port);
    s_prefix(r.evidence, want);
    assert_true(s_accepted(l));
    mt5_check_free(&c);
    close(l);
}

static void test_check_port__ipv6_loopback(void **state)
{
    (void)state;
    int port = 0;
    int l = s_listener("::1", 8, &port);
    if (l < 0)
        skip(); /* no IPv6 on this host */
    mt5_check_t c = s_port("::1", port, 3000);
    mt5_check_result_t r = s_run_port(&c);
    assert_int_equal(r.status, MT5_STATUS_PASS);
    char want[128];
    snprintf(want, sizeof want, "[::1]:%d accepts connections (", port);
    s_prefix(r.message, want);
    snprintf(want, sizeof want, "connected to ::1 port %d in ", port);
    s_prefix(r.evidence, want);
    assert_true(s_accepted(l));
    mt5_check_free(&c);
    close(l);
}

static void test_check_port__closed_port_is_refused(void **state)
{
    (void)state;
    /* Bound but not listening: nothing else can take the port meanwhile,
     * and connections to it are refused. */
    int port = 0;
    int b = s_listener("127.0.0.1", -1, &port);
    assert_true(b >= 0);
    mt5_check_t c = s_port("127.0.0.1", port, 3000);
    int64_t t0 = mt5_clock_mono_us();
    mt5_check_result_t r = s_run_port(&c);
    assert_true(mt5_clock_mono_us() - t0 < 1000 * 1000);
    char want[128];
    snprintf(want, sizeof want, "127.0.0.1:%d: connection refused", port);
    assert_int_equal(r.status, MT5_STATUS_FAIL);
    assert_string_equal(r.message, want);
    assert_false(r.timed_out);
    snprintf(want, sizeof want, "127.0.0.1 port %d refused the connection", port);
    assert_string_equal(r.evidence, want);
    mt5_check_free(&c);
    close(b);
}

static void test_check_port__unknown_host_is_an_error(void **state)
{
    (void)state;
    /* Refused before any lookup: tests send no DNS queries. */
    mt5_check_t c = s_port("no such host!", 5555, 5000);
    mt5_check_result_t r = s_run_port(&c);
    assert_int_equal(r.status, MT5_STATUS_ERROR);
    assert_false(r.timed_out);
    assert_string_equal(r.message, "'no such host!' is not a host name or address");
    mt5_check_free(&c);
}

static void test_check_port__full_backlog_times_out(void **state)
{
    (void)state;
    /* Backlog 0 holds one connection nobody accepts; the SYNs of any
     * other are dropped, so its connect hangs. */
    int port = 0;
    int l = s_listener("127.0.0.1", 0, &port);
    assert_true(l >= 0);
    int filler = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    assert_int_equal(connect(filler, (struct sockaddr *)&a, sizeof a), 0);

    mt5_check_t c = s_port("127.0.0.1", port, 300);
    int64_t t0 = mt5_clock_mono_us();
    mt5_check_result_t r = s_run_port(&c);
    int64_t took_ms = (mt5_clock_mono_us() - t0) / 1000;
    s_expect_timed_out(&r, "timed out after 300 ms");
    char want[128];
    snprintf(want, sizeof want, "no answer from 127.0.0.1 port %d", port);
    assert_string_equal(r.evidence, want);
    assert_true(took_ms >= 290 && took_ms < 300 + 1000);
    mt5_check_free(&c);
    close(filler);
    close(l);
}

static void test_check_port__bad_parameters_are_errors(void **state)
{
    (void)state;
    static const struct {
        const char *host;
        int port;
    } bad[] = {{"127.0.0.1", 0}, {"127.0.0.1", 65536}, {"127.0.0.1", -1}, {"", 80}, {NULL, 80}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mt5_check_t c = s_port(bad[i].host, bad[i].port, 1000);
        mt5_check_result_t r = s_run_port(&c);
        assert_int_equal(r.status, MT5_STATUS_ERROR);
        assert_string_equal(r.message, "the port check needs a host and a port 1-65535");
        mt5_check_free(&c);
    }
}

static void test_check_port__no_descriptor_left(void **state)
{
    (void)state;
    int port = 0, closed_port = 0;
    int l = s_listener("127.0.0.1", 64, &port);
    int b = s_listener("127.0.0.1", -1, &closed_port);
    assert_true(l >= 0 && b >= 0);
    int before = s_fd_count();
    for (int i = 0; i < 5; i++) {
        mt5_check_t c = s_port("127.0.0.1", port, 2000);
        mt5_check_result_t r = s_run_port(&c);
        assert_int_equal(r.status, MT5_STATUS_PASS);
        mt5_check_free(&c);
        c = s_port("127.0.0.1", closed_port, 2000);
        r = s_run_port(&c);
        assert_int_equal(r.status, MT5_STATUS_FAIL);
        mt5_check_free(&c);
        c = s_port("no such host!", 1, 2000);
        r = s_run_port(&c);
        assert_int_equal(r.status, MT5_STATUS_ERROR);
        mt5_check_free(&c);
    }
    assert_int_equal(s_fd_count(), before);
    close(l);
    close(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_port__listening_socket_passes),
        cmocka_unit_test(test_check_port__ipv6_loopback),
        cmocka_unit_test(test_check_port__closed_port_is_refused),
        cmocka_unit_test(test_check_port__unknown_host_is_an_error),
        cmocka_unit_test(test_check_port__full_backlog_times_out),
        cmocka_unit_test(test_check_port__bad_parameters_are_errors),
        cmocka_unit_test(test_check_port__no_descriptor_left),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
