/*  test_sock.c - the ZeroMQ socket class over loopback and inproc.
 *
 *  Every test uses ephemeral tcp://127.0.0.1:* ports (read back from
 *  mt5_sock_endpoint) or inproc:// names, and destroys every socket it
 *  made, so the shared context is terminated between tests and valgrind
 *  sees no libzmq thread left behind.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>

#include <cmocka.h>

#include "mt5/clock.h"
#include "mt5/error.h"
#include "mt5/sock.h"

/* ---- helpers ------------------------------------------------------------ */

static int64_t s_ms_since(int64_t start_us)
{
    return (mt5_clock_mono_us() - start_us) / 1000;
}

/* Port of "tcp://127.0.0.1:<port>", or -1 if the endpoint has another form. */
static int s_port_of(const char *endpoint)
{
    const char *prefix = "tcp://127.0.0.1:";
    size_t n = strlen(prefix);
    if (strncmp(endpoint, prefix, n) != 0 || endpoint[n] == '\0')
        return -1;
    char *end = NULL;
    long port = strtol(endpoint + n, &end, 10);
    if (*end != '\0' || port <= 0 || port > 65535)
        return -1;
    return (int)port;
}

/* A socket of `type` bound to an ephemeral loopback port. */
static mt5_sock_t *s_bound(mt5_sock_type type)
{
    mt5_sock_t *sock = mt5_sock_new(type);
    assert_non_null(sock);
    assert_int_equal(mt5_sock_bind(sock, "tcp://127.0.0.1:*"), MT5_OK);
    return sock;
}

/* An endpoint where nothing listens: bound once, then closed. */
static void s_closed_endpoint(char *buf, size_t cap)
{
    mt5_sock_t *sock = s_bound(MT5_SOCK_ROUTER);
    snprintf(buf, cap, "%s", mt5_sock_endpoint(sock));
    mt5_sock_destroy(&sock);
}

/* Two PAIR sockets joined over inproc. */
static void s_pair(const char *name, mt5_sock_t **a, mt5_sock_t **b)
{
    *a = mt5_sock_new(MT5_SOCK_PAIR);
    *b = mt5_sock_new(MT5_SOCK_PAIR);
    assert_non_null(*a);
    assert_non_null(*b);
    assert_int_equal(mt5_sock_bind(*a, name), MT5_OK);
    assert_int_equal(mt5_sock_connect(*b, name), MT5_OK);
}

/* Poll the monitor of `sock` until its state is `want` or `ms` pass. */
static mt5_conn_state s_wait_state(mt5_sock_t *sock, mt5_conn_state want, int ms)
{
    int64_t start = mt5_clock_mono_us();
    mt5_conn_state state = mt5_sock_conn_state(sock);
    while (state != want && s_ms_since(start) < ms) {
        mt5_sock_t *mon = mt5_sock_monitor(sock);
        bool ready = false;
        mt5_sock_poll(&mon, 1, 50, &ready);
        state = mt5_sock_conn_state(sock);
    }
    return state;
}

static void s_assert_frame(const mt5_frame_t *frame, const void *data, size_t size)
{
    assert_int_equal(frame->size, size);
    if (size > 0)
        assert_memory_equal(frame->data, data, size);
    assert_int_equal(frame->data[size], '\0');
}

/* ---- lifecycle ---------------------------------------------------------- */

static void test_sock__new_rejects_unknown_type(void **state)
{
    (void)state;
    static const int bad[] = {0, -1, MT5_SOCK_PAIR + 1, 99};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char want[64];
        snprintf(want, sizeof want, "unknown socket type %d", bad[i]);
        assert_null(mt5_sock_new((mt5_sock_type)bad[i]));
        assert_string_equal(mt5_error_detail(), want);
    }
}

static void test_sock__destroy_accepts_null_and_nulls_pointer(void **state)
{
    (void)state;
    mt5_sock_destroy(NULL);
    mt5_sock_t *sock = NULL;
    mt5_sock_destroy(&sock);
    sock = mt5_sock_new(MT5_SOCK_REQ);
    assert_non_null(sock);
    mt5_sock_destroy(&sock);
    assert_null(sock);
    mt5_msg_clear(NULL);
    mt5_msg_t empty = {0};
    mt5_msg_clear(&empty);
    assert_int_equal(empty.count, 0);
}

/* The context is terminated with the last socket and made again with the
 * next one: inproc traffic works in both lifetimes. */
static void test_sock__context_survives_close_and_reopen(void **state)
{
    (void)state;
    for (int round = 0; round < 3; round++) {
        mt5_sock_t *a, *b;
        s_pair("inproc://reopen", &a, &b);
        char text[16];
        snprintf(text, sizeof text, "round %d", round);
        assert_int_equal(mt5_sock_send_buf(b, text, strlen(text)), MT5_OK);
        mt5_msg_t msg = {0};
        assert_int_equal(mt5_sock_recv(a, &msg, 2000), MT5_OK);
        assert_int_equal(msg.count, 1);
        assert_string_equal((char *)msg.frames[0].data, text);
        mt5_msg_clear(&msg);
        mt5_sock_destroy(&a);
        mt5_sock_destroy(&b);
    }
}

/* ---- bind and connect --------------------------------------------------- */

static void test_sock__bind_ephemeral_reads_endpoint(void **state)
{
    (void)state;
    mt5_sock_t *sock = mt5_sock_new(MT5_SOCK_ROUTER);
    assert_non_null(sock);
    assert_string_equal(mt5_sock_endpoint(sock), "");
    assert_int_equal(mt5_sock_bind(sock, "tcp://127.0.0.1:*"), MT5_OK);
    assert_true(s_port_of(mt5_sock_endpoint(sock)) > 0);
    mt5_sock_destroy(&sock);
    assert_string_equal(mt5_sock_endpoint(NULL), "");

    sock = mt5_sock_new(MT5_SOCK_PAIR);
    assert_int_equal(mt5_sock_bind(sock, "inproc://named"), MT5_OK);
    assert_string_equal(mt5_sock_endpoint(sock), "inproc://named");
    mt5_sock_destroy(&sock);
}

static void test_sock__bind_errors(void **state)
{
    (void)state;
    /* Refused by mt5_sock_endpoint_check before libzmq sees them. */
#define NOT_AN_ENDPOINT ": not tcp://, ipc:// or inproc:// followed by an address"
    static const struct {
        const char *endpoint;
        const char *detail;
    } bad[] = {
        {"", "cannot bind " NOT_AN_ENDPOINT},
        {"nonsense", "cannot bind nonsense" NOT_AN_ENDPOINT},
        {"tcp://", "cannot bind tcp://" NOT_AN_ENDPOINT},
        {"foo://127.0.0.1:1", "cannot bind foo://127.0.0.1:1" NOT_AN_ENDPOINT},
        {"tcp://127.0.0.1 :1", "cannot bind tcp://127.0.0.1 :1: blanks, control characters or "
                               "non-ASCII bytes"},
    };
    mt5_sock_t *sock = mt5_sock_new(MT5_SOCK_ROUTER);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(mt5_sock_bind(sock, bad[i].endpoint), MT5_EINVAL);
        assert_string_equal(mt5_error_detail(), bad[i].detail);
        assert_string_equal(mt5_sock_endpoint(sock), "");
    }
    /* Refused by libzmq itself: the scheme and port are fine. */
    static const struct {
        const char *endpoint;
        const char *detail;
    } zbad[] = {
        /* TEST-NET-1, never on this machine: bind fails locally, no traffic. */
        {"tcp://192.0.2.1:1", "cannot bind tcp://192.0.2.1:1: Cannot assign requested address"},
    };
    for (size_t i = 0; i < sizeof zbad / sizeof zbad[0]; i++) {
        assert_int_equal(mt5_sock_bind(sock, zbad[i].endpoint), MT5_EZMQ);
        assert_string_equal(mt5_error_detail(), zbad[i].detail);
        assert_string_equal(mt5_sock_endpoint(sock), "");
    }

    /* Ports libzmq would wrap or misread are refused before it sees them. */
    static const char *const ports[] = {"tcp://127.0.0.1:notaport", "tcp://127.0.0.1:99999",
                                        "tcp://127.0.0.1:65536",    "tcp://127.0.0.1:-1",
                                        "tcp://127.0.0.1:",         "tcp://127.0.0.1:80x"};
    for (size_t i = 0; i < sizeof ports / sizeof ports[0]; i++) {
        char want[128];
        snprintf(want, sizeof want, "cannot bind %s: the port must be 0-65535 or *", ports[i]);
        assert_int_equal(mt5_sock_bind(sock, ports[i]), MT5_EINVAL);
        assert_string_equal(mt5_error_detail(), want);
        assert_int_equal(mt5_sock_connect(sock, ports[i]), MT5_EINVAL);
    }

    /* The port is taken: exact detail. */
    mt5_sock_t *owner = s_bound(MT5_SOCK_ROUTER);
    char want[256];
    snprintf(want, sizeof want, "cannot bind %s: %s", mt5_sock_endpoint(owner),
             strerror(EADDRINUSE));
    assert_int_equal(mt5_sock_bind(sock, mt5_sock_endpoint(owner)), MT5_EZMQ);
    assert_string_equal(mt5_error_detail(), want);

    /* Arguments. */
    assert_int_equal(mt5_sock_bind(NULL, "tcp://127.0.0.1:*"), MT5_EINVAL);
    assert_int_equal(mt5_sock_bind(sock, NULL), MT5_EINVAL);
    assert_string_equal(mt5_error_detail(), "cannot bind: no socket or no endpoint");
    char longname[300];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    memcpy(longname, "inproc://", 9);
    assert_int_equal(mt5_sock_bind(sock, longname), MT5_EINVAL);
    assert_string_equal(mt5_error_detail(),
                        "cannot bind inproc://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...: endpoint longer "
                        "than 255 bytes");
    assert_int_equal(mt5_sock_connect(sock, longname), MT5_EINVAL);
    mt5_sock_destroy(&owner);
    mt5_sock_destroy(&sock);
}

static void test_sock__connect_errors(void **state)
{
    (void)state;
    static const struct {
        const char *endpoint;
        const char *detail;
    } bad[] = {
        {"", "cannot connect : not tcp://, ipc:// or inproc:// followed by an address"},
        {"nonsense",
         "cannot connect nonsense: not tcp://, ipc:// or inproc:// followed by an address"},
        {"foo://127.0.0.1:1", "cannot connect foo://127.0.0.1:1: not tcp://, ipc:// or inproc:// "
                              "followed by an address"},
    };
    mt5_sock_t *sock = mt5_sock_new(MT5_SOCK_REQ);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(mt5_sock_connect(sock, bad[i].endpoint), MT5_EINVAL);
        assert_string_equal(mt5_error_detail(), bad[i].detail);
    }
    /* A well-formed endpoint libzmq still refuses: no port. */
    assert_int_equal(mt5_sock_connect(sock, "tcp://127.0.0.1"), MT5_EZMQ);
    assert_string_equal(mt5_error_detail(), "cannot connect tcp://127.0.0.1: Invalid argument");
    assert_int_equal(mt5_sock_connect(NULL, "tcp://127.0.0.1:1"), MT5_EINVAL);
    assert_string_equal(mt5_error_detail(), "cannot connect: no socket or no endpoint");
    mt5_sock_destroy(&sock);
}

/* ---- send and receive --------------------------------------------------- */

static void test_sock__multi_frame_round_trip(void **state)
{
    (void)state;
    mt5_sock_t *a, *b;
    s_pair("inproc://multi", &a, &b);
    const mt5_frame_t frames[] = {
        {(unsigned char *)"topic", 5},
        {NULL, 0},
        {(unsigned char *)"a\0b", 3},
        {(unsigned char *)"{\"k\":1}", 7},
    };
    assert_int_equal(mt5_sock_send(b, frames, 4), MT5_OK);
    mt5_msg_t msg = {0};
    assert_int_equal(mt5_sock_recv(a, &msg, 2000), MT5_OK);
    assert_int_equal(msg.count, 4);
    assert_int_equal(msg.total, 4);
    s_assert_frame(&msg.frames[0], "topic", 5);
    s_assert_frame(&msg.frames[1], "", 0);
    s_assert_frame(&msg.frames[2], "a\0b", 3);
    s_assert_frame(&msg.frames[3], "{\"k\":1}", 7);
    mt5_msg_clear(&msg);
    assert_int_equal(msg.count, 0);
    assert_int_equal(msg.total, 0);

    /* A blocking receive (timeout < 0) of a one-frame message. */
    assert_int_equal(mt5_sock_send_buf(b, "x", 1), MT5_OK);
    assert_int_equal(mt5_sock_recv(a, &msg, -1), MT5_OK);
    assert_int_equal(msg.total, 1);
    s_assert_frame(&msg.frames[0], "x", 1);
    mt5_msg_clear(&msg);
    mt5_sock_destroy(&a);
    mt5_sock_destroy(&b);
}

static void test_sock__more_than_max_frames_are_counted(void **state)
{
    (void)state;
    mt5_sock_t *a, *b;
    s_pair("inproc://many", &a, &b);
    enum { N = MT5_MSG_MAX_FRAMES + 3 };
    char text[N][8];
    mt5_frame_t frames[N];
    for (int i = 0; i < N; i++) {
        snprintf(text[i], sizeof text[i], "f%d", i);
        frames[i] = (mt5_frame_t){(unsigned char *)text[i], strlen(text[i])};
    }
    assert_int_equal(mt5_sock_send(b, frames, N), MT5_OK);
    assert_int_equal(mt5_sock_send_buf(b, "next", 4), MT5_OK);
    mt5_msg_t msg = {0};
    assert_int_equal(mt5_sock_recv(a, &msg, 2000), MT5_OK);
    assert_int_equal(msg.count, MT5_MSG_MAX_FRAMES);
    assert_int_equal(msg.total, N);
    for (int i = 0; i < MT5_MSG_MAX_FRAMES; i++)
        s_assert_frame(&msg.frames[i], text[i], strlen(text[i]));
    /* The discarded frames did not leak into the next message. */
    assert_int_equal(mt5_sock_recv(a, &msg, 2000), MT5_OK);
    assert_int_equal(msg.total, 1);
    s_assert_frame(&msg.frames[0], "next", 4);
    mt5_msg_clear(&msg);
    mt5_sock_destroy(&a);
    mt5_sock_destroy(&b);
}

static void test_sock__recv_timeout(void **state)
{
    (void)state;
    mt5_sock_t *a, *b;
    s_pair("inproc://quiet", &a, &b);
    static const int timeouts[] = {0, 50};
    for (size_t i = 0; i < sizeof timeouts / sizeof timeouts[0]; i++) {
        mt5_msg_t msg = {0};
        char want[64];
        snprintf(want, sizeof want, "no message within %d ms", timeouts[i]);
        int64_t start = mt5_clock_mono_us();
        assert_int_equal(mt5_sock_recv(a, &msg, timeouts[i]), MT5_ETIMEOUT);
        int64_t took = s_ms_since(start);
        assert_string_equal(mt5_error_detail(), want);
        assert_int_equal(msg.count, 0);
        assert_int_equal(msg.total, 0);
        assert_true(took >= timeouts[i] && took < timeouts[i] + 1000);
    }

    /* RCVTIMEO bounds a blocking receive. */
    assert_int_equal(mt5_sock_set(a, MT5_SOCKOPT_RCVTIMEO, 30), MT5_OK);
    mt5_msg_t msg = {0};
    assert_int_equal(mt5_sock_recv(a, &msg, -1), MT5_ETIMEOUT);
    assert_string_equal(mt5_error_detail(), "no message within RCVTIMEO");

    /* A message that arrives during the wait is received. */
    assert_int_equal(mt5_sock_send_buf(b, "late", 4), MT5_OK);
    assert_int_equal(mt5_sock_recv(a, &msg, 1000), MT5_OK);
    s_assert_frame(&msg.frames[0], "late", 4);
    mt5_msg_clear(&msg);
    mt5_sock_destroy(&a);
    mt5_sock_destroy(&b);
}

static void test_sock__recv_and_send_argument_errors(void **state)
{
    (void)state;
    mt5_msg_t msg = {0};
    assert_int_equal(mt5_sock_recv(NULL, NULL, 0), MT5_EINVAL);
    assert_string_equal(mt5_error_detail(), "cannot receive: no message");
    assert_int_equal(mt5_sock_recv(NULL, &msg, 0), MT5_EINVAL);
    assert_string_equal(mt5_error_detail(), "cannot receive: no socket");

    mt5_sock_t *sock = mt5_sock_new(MT5_SOCK_PAIR);
    const mt5_frame_t frames[] = {{(unsigned char *)"a", 1}, {NULL, 3}};
    assert_int_equal(mt5_sock_send(sock, frames, 0), MT5_EINVAL);
    assert_string_equal(mt5_error_detail(), "cannot send: no socket or no frames");
    assert_int_equal(mt5_sock_send(sock, NULL, 1), MT5_EINVAL);
    assert_int_equal(mt5_sock_send(NULL, frames, 1), MT5_EINVAL);
    assert_int_equal(mt5_sock_send(sock, frames, 2), MT5_EINVAL);
    assert_string_equal(mt5_error_detail(), "cannot send: frame 1 has no data");
    mt5_sock_destroy(&sock);

    /* A REQ socket must send before it receives. */
    sock = mt5_sock_new(MT5_SOCK_REQ);
    assert_int_equal(mt5_sock_recv(sock, &msg, 0), MT5_EZMQ);
    assert_int_equal(strncmp(mt5_error_detail(), "cannot receive: ", 16), 0);
    assert_int_equal(msg.count, 0);
    mt5_sock_destroy(&sock);
}

static void test_sock__router_dealer_envelope(void **state)
{
    (void)state;
    mt5_sock_t *router = s_bound(MT5_SOCK_ROUTER);
    mt5_sock_t *dealer = mt5_sock_new(MT5_SOCK_DEALER);
    assert_int_equal(mt5_sock_connect(dealer, mt5_sock_endpoint(router)), MT5_OK);
    const mt5_frame_t req[] = {{NULL, 0}, {(unsigned char *)"ping", 4}};
    assert_int_equal(mt5_sock_send(dealer, req, 2), MT5_OK);

    mt5_msg_t msg = {0};
    assert_int_equal(mt5_sock_recv(router, &msg, 2000), MT5_OK);
    assert_int_equal(msg.count, 3);
    assert_int_equal(msg.total, 3);
    /* libzmq names an anonymous peer with 5 bytes: a zero and a counter. */
    assert_int_equal(msg.frames[0].size, 5);
    assert_int_equal(msg.frames[0].data[0], 0);
    s_assert_frame(&msg.frames[1], "", 0);
    s_assert_frame(&msg.frames[2], "ping", 4);

    const mt5_frame_t rep[] = {msg.frames[0], {NULL, 0}, {(unsigned char *)"pong", 4}};
    assert_int_equal(mt5_sock_send(router, rep, 3), MT5_OK);
    mt5_msg_clear(&msg);
    assert_int_equal(mt5_sock_recv(dealer, &msg, 2000), MT5_OK);
    assert_int_equal(msg.count, 2);
    s_assert_frame(&msg.frames[0], "", 0);
    s_assert_frame(&msg.frames[1], "pong", 4);
    mt5_msg_clear(&msg);
    mt5_sock_destroy(&dealer);
    mt5_sock_destroy(&router);
}

static void test_sock__pub_sub_filters_topics(void **state)
{
    (void)state;
    mt5_sock_t *pub = s_bound(MT5_SOCK_PUB);
    mt5_sock_t *sub = mt5_sock_new(MT5_SOCK_SUB);
    assert_int_equal(mt5_sock_subscribe(sub, "FILL"), MT5_OK);
    assert_int_equal(mt5_sock_connect(sub, mt5_sock_endpoint(pub)), MT5_OK);
    const mt5_frame_t beat[] = {{(unsigned char *)"HEARTBEAT", 9}, {(unsigned char *)"{}", 2}};
    const mt5_frame_t fill[] = {{(unsigned char *)"FILL", 4}, {(unsigned char *)"{\"seq\":2}", 9}};

    /* PUB drops everything until the subscription has travelled: repeat. */
    mt5_msg_t msg = {0};
    int rc = MT5_ETIMEOUT;
    for (int i = 0; i < 200 && rc == MT5_ETIMEOUT; i++) {
        assert_int_equal(mt5_sock_send(pub, beat, 2), MT5_OK);
        assert_int_equal(mt5_sock_send(pub, fill, 2), MT5_OK);
        rc = mt5_sock_recv(sub, &msg, 20);
    }
    assert_int_equal(rc, MT5_OK);
    int fills = 0;
    while (rc == MT5_OK) {
        assert_int_equal(msg.count, 2);
        s_assert_frame(&msg.frames[0], "FILL", 4);
        s_assert_frame(&msg.frames[1], "{\"seq\":2}", 9);
        fills++;
        rc = mt5_sock_recv(sub, &msg, 100);
    }
    assert_int_equal(rc, MT5_ETIMEOUT);
    assert_true(fills >= 1);

    assert_int_equal(mt5_sock_subscribe(pub, "FILL"), MT5_EINVAL);
    assert_string_equal(mt5_error_detail(), "cannot subscribe: not a SUB socket or no prefix");
    assert_int_equal(mt5_sock_subscribe(sub, NULL), MT5_EINVAL);
    assert_int_equal(mt5_sock_subscribe(sub, ""), MT5_OK);
    mt5_sock_destroy(&sub);
    mt5_sock_destroy(&pub);
}

/* ---- options ------------------------------------------------------------ */

static void test_sock__options(void **state)
{
    (void)state;
    static const struct {
        mt5_sockopt opt;
        int value;
        int rc;
        const char *detail;
    } table[] = {
        {MT5_SOCKOPT_LINGER, 100, MT5_OK, NULL},
        {MT5_SOCKOPT_SNDTIMEO, 10, MT5_OK, NULL},
        {MT5_SOCKOPT_RCVTIMEO, -1, MT5_OK, NULL},
        {MT5_SOCKOPT_MAXMSGSIZE, 1048576, MT5_OK, NULL},
        {MT5_SOCKOPT_SNDHWM, 500, MT5_OK, NULL},
        {MT5_SOCKOPT_RCVHWM, 500, MT5_OK, NULL},
        {MT5_SOCKOPT_IMMEDIATE, 1, MT5_OK, NULL},
        {MT5_SOCKOPT_RECONNECT_IVL, 250, MT5_OK, NULL},
        {MT5_SOCKOPT_ROUTER_MANDATORY, 1, MT5_OK, NULL},
        {(mt5_sockopt)0, 1, MT5_EINVAL, "unknown socket option 0"},
        {(mt5_sockopt)10, 1, MT5_EINVAL, "unknown socket option 10"},
        {(mt5_sockopt)-3, 1, MT5_EINVAL, "unknown socket option -3"},
        {MT5_SOCKOPT_SNDHWM, -1, MT5_EINVAL, "cannot set option SNDHWM to -1: "},
        {MT5_SOCKOPT_RCVTIMEO, -5, MT5_EINVAL, "cannot set option RCVTIMEO to -5: "},
    };
    mt5_sock_t *sock = mt5_sock_new(MT5_SOCK_ROUTER);
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        assert_int_equal(mt5_sock_set(sock, table[i].opt, table[i].value), table[i].rc);
        if (table[i].detail)
            assert_int_equal(strncmp(mt5_error_detail(), table[i].detail, strlen(table[i].detail)),
                             0);
    }
    assert_int_equal(mt5_sock_set(NULL, MT5_SOCKOPT_LINGER, 0), MT5_EINVAL);
    mt5_sock_destroy(&sock);

    /* ROUTER_MANDATORY belongs to ROUTER only. */
    sock = mt5_sock_new(MT5_SOCK_DEALER);
    assert_int_equal(mt5_sock_set(sock, MT5_SOCKOPT_ROUTER_MANDATORY, 1), MT5_EINVAL);
    char want[128];
    snprintf(want, sizeof want, "cannot set option ROUTER_MANDATORY to 1: %s", strerror(EINVAL));
    assert_string_equal(mt5_error_detail(), want);
    mt5_sock_destroy(&sock);
}

static void test_sock__send_timeout_and_mandatory_routing(void **state)
{
    (void)state;
    /* A DEALER with no peer has nowhere to queue: SNDTIMEO expires. */
    mt5_sock_t *dealer = mt5_sock_new(MT5_SOCK_DEALER);
    assert_int_equal(mt5_sock_set(dealer, MT5_SOCKOPT_SNDTIMEO, 30), MT5_OK);
    int64_t start = mt5_clock_mono_us();
    assert_int_equal(mt5_sock_send_buf(dealer, "x", 1), MT5_ETIMEOUT);
    assert_true(s_ms_since(start) >= 25);
    assert_string_equal(mt5_error_detail(), "cannot send: would block past SNDTIMEO");
    mt5_sock_destroy(&dealer);

    /* A ROUTER told to be strict reports an unknown peer. */
    mt5_sock_t *router = mt5_sock_new(MT5_SOCK_ROUTER);
    assert_int_equal(mt5_sock_set(router, MT5_SOCKOPT_ROUTER_MANDATORY, 1), MT5_OK);
    const mt5_frame_t frames[] = {{(unsigned char *)"nobody", 6}, {(unsigned char *)"hi", 2}};
    assert_int_equal(mt5_sock_send(router, frames, 2), MT5_EZMQ);
    assert_string_equal(mt5_error_detail(), "cannot send: Host unreachable");
    mt5_sock_destroy(&router);
}

static void test_sock__maxmsgsize_drops_the_peer(void **state)
{
    (void)state;
    mt5_sock_t *router = mt5_sock_new(MT5_SOCK_ROUTER);
    assert_int_equal(mt5_sock_set(router, MT5_SOCKOPT_MAXMSGSIZE, 100), MT5_OK);
    assert_int_equal(mt5_sock_bind(router, "tcp://127.0.0.1:*"), MT5_OK);
    mt5_sock_t *dealer = mt5_sock_new(MT5_SOCK_DEALER);
    assert_int_equal(mt5_sock_connect(dealer, mt5_sock_endpoint(router)), MT5_OK);

    /* At the limit it passes... */
    unsigned char big[1000];
    memset(big, 'z', sizeof big);
    assert_int_equal(mt5_sock_send_buf(dealer, big, 100), MT5_OK);
    mt5_msg_t msg = {0};
    assert_int_equal(mt5_sock_recv(router, &msg, 2000), MT5_OK);
    assert_int_equal(msg.count, 2);
    s_assert_frame(&msg.frames[1], big, 100);
    mt5_msg_clear(&msg);

    /* ...above it the connection is dropped and nothing is delivered. */
    assert_int_equal(mt5_sock_send_buf(dealer, big, sizeof big), MT5_OK);
    assert_int_equal(mt5_sock_recv(router, &msg, 300), MT5_ETIMEOUT);
    assert_int_equal(msg.total, 0);
    mt5_sock_destroy(&dealer);
    mt5_sock_destroy(&router);
}

/* ---- poll --------------------------------------------------------------- */

static void test_sock__poll_reports_ready_sockets(void **state)
{
    (void)state;
    mt5_sock_t *a1, *b1, *a2, *b2;
    s_pair("inproc://poll-1", &a1, &b1);
    s_pair("inproc://poll-2", &a2, &b2);
    mt5_sock_t *socks[2] = {a1, a2};
    bool ready[2] = {true, true};
    assert_int_equal(mt5_sock_poll(socks, 2, 0, ready), MT5_ETIMEOUT);
    assert_string_equal(mt5_error_detail(), "no socket ready within 0 ms");
    assert_true(ready[0] && ready[1]); /* untouched on failure */

    assert_int_equal(mt5_sock_send_buf(b2, "x", 1), MT5_OK);
    assert_int_equal(mt5_sock_poll(socks, 2, 2000, ready), MT5_OK);
    assert_false(ready[0]);
    assert_true(ready[1]);
    assert_int_equal(mt5_sock_poll(socks, 2, 0, NULL), MT5_OK);

    /* More sockets than fit on the stack. */
    enum { N = 11 };
    mt5_sock_t *many[N];
    bool many_ready[N];
    for (int i = 0; i < N - 1; i++)
        many[i] = mt5_sock_new(MT5_SOCK_PAIR);
    many[N - 1] = a2;
    assert_int_equal(mt5_sock_poll(many, N, 2000, many_ready), MT5_OK);
    for (int i = 0; i < N - 1; i++)
        assert_false(many_ready[i]);
    assert_true(many_ready[N - 1]);
    for (int i = 0; i < N - 1; i++)
        mt5_sock_destroy(&many[i]);

    /* Arguments. */
    assert_int_equal(mt5_sock_poll(NULL, 1, 0, ready), MT5_EINVAL);
    assert_int_equal(mt5_sock_poll(socks, 0, 0, ready), MT5_EINVAL);
    assert_string_equal(mt5_error_detail(), "cannot poll: no sockets");
    mt5_sock_t *holes[2] = {a1, NULL};
    assert_int_equal(mt5_sock_poll(holes, 2, 0, ready), MT5_EINVAL);
    assert_string_equal(mt5_error_detail(), "cannot poll: socket 1 is NULL");

    mt5_sock_destroy(&a1);
    mt5_sock_destroy(&b1);
    mt5_sock_destroy(&a2);
    mt5_sock_destroy(&b2);
}

/* ---- signals ------------------------------------------------------------ */

static void s_on_signal(int sig)
{
    (void)sig;
}

typedef struct {
    pthread_t target; /* thread to interrupt */
    atomic_bool done; /* set by the target once its call returned */
} kicker_t;

/* Signal the target every 20 ms until it says the call came back, so the
 * test cannot hang on a signal that landed before the call blocked. */
static void *s_kicker(void *arg)
{
    kicker_t *kick = arg;
    while (!atomic_load(&kick->done)) {
        usleep(20000);
        if (!atomic_load(&kick->done))
            pthread_kill(kick->target, SIGUSR1);
    }
    return NULL;
}

static void test_sock__signal_interrupts_waits(void **state)
{
    (void)state;
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: the wait must see EINTR */
    assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);

    mt5_sock_t *sock = mt5_sock_new(MT5_SOCK_PAIR);
    assert_int_equal(mt5_sock_bind(sock, "inproc://signal"), MT5_OK);
    static const int timeouts[] = {-1, 5000};
    for (int round = 0; round < 3; round++) {
        kicker_t kick = {.target = pthread_self()};
        atomic_init(&kick.done, false);
        pthread_t thread;
        assert_int_equal(pthread_create(&thread, NULL, s_kicker, &kick), 0);
        int rc;
        if (round < 2) {
            mt5_msg_t msg = {0};
            rc = mt5_sock_recv(sock, &msg, timeouts[round]);
            assert_int_equal(msg.total, 0);
        } else {
            rc = mt5_sock_poll(&sock, 1, -1, NULL);
        }
        atomic_store(&kick.done, true);
        pthread_join(thread, NULL);
        assert_int_equal(rc, MT5_EZMQ);
        assert_string_equal(mt5_error_detail(), "interrupted");
    }
    mt5_sock_destroy(&sock);
    assert_int_equal(sigaction(SIGUSR1, &old, NULL), 0);
}

/* ---- monitor ------------------------------------------------------------ */

static void test_sock__monitor_up_then_down(void **state)
{
    (void)state;
    mt5_sock_t *rep = s_bound(MT5_SOCK_REP);
    mt5_sock_t *req = mt5_sock_new(MT5_SOCK_REQ);
    assert_null(mt5_sock_monitor(req));
    assert_null(mt5_sock_monitor(NULL));
    assert_int_equal(mt5_sock_conn_state(req), MT5_CONN_UNKNOWN);
    assert_int_equal(mt5_sock_conn_state(NULL), MT5_CONN_UNKNOWN);
    assert_int_equal(mt5_sock_watch(NULL), MT5_EINVAL);

    assert_int_equal(mt5_sock_watch(req), MT5_OK);
    mt5_sock_t *mon = mt5_sock_monitor(req);
    assert_non_null(mon);
    assert_int_equal(mt5_sock_watch(req), MT5_OK); /* idempotent */
    assert_ptr_equal(mt5_sock_monitor(req), mon);
    assert_int_equal(mt5_sock_conn_state(req), MT5_CONN_UNKNOWN);

    assert_int_equal(mt5_sock_connect(req, mt5_sock_endpoint(rep)), MT5_OK);
    assert_int_equal(s_wait_state(req, MT5_CONN_UP, 5000), MT5_CONN_UP);
    mt5_sock_destroy(&rep);
    assert_int_equal(s_wait_state(req, MT5_CONN_DOWN, 5000), MT5_CONN_DOWN);
    mt5_sock_destroy(&req);
}

static void test_sock__monitor_refused(void **state)
{
    (void)state;
    char endpoint[64];
    s_closed_endpoint(endpoint, sizeof endpoint);
    mt5_sock_t *req = mt5_sock_new(MT5_SOCK_REQ);
    assert_int_equal(mt5_sock_watch(req), MT5_OK);
    assert_int_equal(mt5_sock_connect(req, endpoint), MT5_OK);
    int64_t start = mt5_clock_mono_us();
    assert_int_equal(s_wait_state(req, MT5_CONN_REFUSED, 5000), MT5_CONN_REFUSED);
    assert_true(s_ms_since(start) < 2000);
    mt5_sock_destroy(&req);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sock__new_rejects_unknown_type),
        cmocka_unit_test(test_sock__destroy_accepts_null_and_nulls_pointer),
        cmocka_unit_test(test_sock__context_survives_close_and_reopen),
        cmocka_unit_test(test_sock__bind_ephemeral_reads_endpoint),
        cmocka_unit_test(test_sock__bind_errors),
        cmocka_unit_test(test_sock__connect_errors),
        cmocka_unit_test(test_sock__multi_frame_round_trip),
        cmocka_unit_test(test_sock__more_than_max_frames_are_counted),
        cmocka_unit_test(test_sock__recv_timeout),
        cmocka_unit_test(test_sock__recv_and_send_argument_errors),
        cmocka_unit_test(test_sock__router_dealer_envelope),
        cmocka_unit_test(test_sock__pub_sub_filters_topics),
        cmocka_unit_test(test_sock__options),
        cmocka_unit_test(test_sock__send_timeout_and_mandatory_routing),
        cmocka_unit_test(test_sock__maxmsgsize_drops_the_peer),
        cmocka_unit_test(test_sock__poll_reports_ready_sockets),
        cmocka_unit_test(test_sock__signal_interrupts_waits),
        cmocka_unit_test(test_sock__monitor_up_then_down),
        cmocka_unit_test(test_sock__monitor_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
