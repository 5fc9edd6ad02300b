/*  test_client.c - the Lazy Pirate client against servers in a thread.
 *
 *  Each server is a ROUTER bound on tcp://127.0.0.1:* (or inproc://) in
 *  the test's thread and then served by a pthread that behaves as told:
 *  echo, ignore the first request, never answer, or answer with two
 *  frames. It records how many requests it saw and from how many distinct
 *  peers, which is how the tests see retries and socket reuse.
 */
#include <setjmp.h>
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

#include "mt5/client.h"
#include "mt5/clock.h"
#include "mt5/error.h"
#include "mt5/sock.h"

/* ---- the server --------------------------------------------------------- */

typedef enum {
    S_ECHO,         /* answer every request with its own body */
    S_IGNORE_FIRST, /* drop the first request, echo the rest */
    S_SILENT,       /* never answer */
    S_TWO_FRAMES    /* answer with two frames, "a" and "b" */
} server_mode;

#define S_MAX_PEERS 16

typedef struct {
    mt5_sock_t *router; /* bound by server_start, then the thread's */
    server_mode mode;   /* how to answer */
    atomic_bool stop;   /* ask the thread to finish */
    pthread_t thread;   /* the serving thread */
    int requests;       /* requests seen; read after the join */
    int peers;          /* distinct peer identities seen */
    unsigned char ids[S_MAX_PEERS][16];
    size_t id_sizes[S_MAX_PEERS];
} server_t;

static void s_note_peer(server_t *srv, const mt5_frame_t *id)
{
    for (int i = 0; i < srv->peers; i++)
        if (srv->id_sizes[i] == id->size && memcmp(srv->ids[i], id->data, id->size) == 0)
            return;
    if (srv->peers < S_MAX_PEERS && id->size <= sizeof srv->ids[0]) {
        memcpy(srv->ids[srv->peers], id->data, id->size);
        srv->id_sizes[srv->peers++] = id->size;
    }
}

static void *s_server_run(void *arg)
{
    server_t *srv = arg;
    while (!atomic_load(&srv->stop)) {
        mt5_msg_t msg = {0};
        if (mt5_sock_recv(srv->router, &msg, 20) != MT5_OK)
            continue;
        srv->requests++;
        if (msg.count == 3) {
            s_note_peer(srv, &msg.frames[0]);
            mt5_frame_t out[4] = {msg.frames[0], {NULL, 0}, msg.frames[2]};
            if (srv->mode == S_ECHO || (srv->mode == S_IGNORE_FIRST && srv->requests > 1)) {
                mt5_sock_send(srv->router, out, 3);
            } else if (srv->mode == S_TWO_FRAMES) {
                out[2] = (mt5_frame_t){(unsigned char *)"a", 1};
                out[3] = (mt5_frame_t){(unsigned char *)"b", 1};
                mt5_sock_send(srv->router, out, 4);
            }
        }
        mt5_msg_clear(&msg);
    }
    return NULL;
}

static void server_start(server_t *srv, server_mode mode, const char *endpoint)
{
    memset(srv, 0, sizeof *srv);
    srv->mode = mode;
    atomic_init(&srv->stop, false);
    srv->router = mt5_sock_new(MT5_SOCK_ROUTER);
    assert_non_null(srv->router);
    assert_int_equal(mt5_sock_bind(srv->router, endpoint), MT5_OK);
    assert_int_equal(pthread_create(&srv->thread, NULL, s_server_run, srv), 0);
}

static void server_stop(server_t *srv)
{
    atomic_store(&srv->stop, true);
    assert_int_equal(pthread_join(srv->thread, NULL), 0);
    mt5_sock_destroy(&srv->router);
}

/* An endpoint where nothing listens: bound once, then closed. */
static void s_closed_endpoint(char *buf, size_t cap)
{
    mt5_sock_t *sock = mt5_sock_new(MT5_SOCK_ROUTER);
    assert_int_equal(mt5_sock_bind(sock, "tcp://127.0.0.1:*"), MT5_OK);
    snprintf(buf, cap, "%s", mt5_sock_endpoint(sock));
    mt5_sock_destroy(&sock);
}

static int64_t s_ms_since(int64_t start_us)
{
    return (mt5_clock_mono_us() - start_us) / 1000;
}

/* ---- construction ------------------------------------------------------- */

static void test_client__new_validates_endpoint_and_options(void **state)
{
    (void)state;
    char longest[256], too_long[257];
    memset(longest, 'x', sizeof longest);
    memcpy(longest, "tcp://", 6);
    longest[255] = '\0';
    memset(too_long, 'x', sizeof too_long);
    memcpy(too_long, "tcp://", 6);
    too_long[256] = '\0';
    static const char *const good[] = {"tcp://127.0.0.1:5555", "ipc:///tmp/mt5.sock",
                                       "inproc://gateway", "tcp://localhost:1"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        mt5_client_t *client = mt5_client_new(good[i], NULL);
        assert_non_null(client);
        assert_string_equal(mt5_client_endpoint(client), good[i]);
        assert_int_equal(mt5_client_attempts(client), 0);
        mt5_client_destroy(&client);
        assert_null(client);
    }
    mt5_client_t *client = mt5_client_new(longest, NULL);
    assert_non_null(client);
    mt5_client_destroy(&client);

    const char *const bad[] = {
        "",           "tcp://",     "ipc://",      "inproc://", "http://x", "127.0.0.1:5555",
        "tcp ://h:1", "tcp://h :1", "tcp://h:1\n", too_long};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_null(mt5_client_new(bad[i], NULL));
        assert_int_equal(strncmp(mt5_error_detail(), "client endpoint '", 17), 0);
    }
    assert_null(mt5_client_new(NULL, NULL));
    assert_string_equal(mt5_error_detail(), "client endpoint '': no endpoint");

    static const struct {
        mt5_client_options options;
        const char *detail; /* NULL: accepted */
    } table[] = {
        {{MT5_CLIENT_OPTIONS_VERSION, 1, 0, false}, NULL},
        {{MT5_CLIENT_OPTIONS_VERSION, 5000, 100, true}, NULL},
        {{MT5_CLIENT_OPTIONS_VERSION, 0, 0, false}, "client timeout_ms 0, must be > 0"},
        {{MT5_CLIENT_OPTIONS_VERSION, -1, 0, false}, "client timeout_ms -1, must be > 0"},
        {{MT5_CLIENT_OPTIONS_VERSION, 100, -1, false}, "client retries -1, must be 0 to 100"},
        {{MT5_CLIENT_OPTIONS_VERSION, 100, 101, false}, "client retries 101, must be 0 to 100"},
        {{0, 100, 0, false}, "client options version 0, expected 1"},
        {{2, 100, 0, false}, "client options version 2, expected 1"},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        client = mt5_client_new("tcp://127.0.0.1:5555", &table[i].options);
        if (table[i].detail) {
            assert_null(client);
            assert_string_equal(mt5_error_detail(), table[i].detail);
        } else {
            assert_non_null(client);
            mt5_client_destroy(&client);
        }
    }
    mt5_client_destroy(NULL);
    assert_int_equal(mt5_client_attempts(NULL), 0);
    assert_string_equal(mt5_client_endpoint(NULL), "");
}

static void test_client__request_argument_errors(void **state)
{
    (void)state;
    mt5_client_t *client = mt5_client_new("tcp://127.0.0.1:1", NULL);
    char *reply = NULL;
    size_t len = 0;
    assert_int_equal(mt5_client_request(NULL, "x", 1, &reply, &len, NULL), MT5_EINVAL);
    assert_int_equal(mt5_client_request(client, NULL, 1, &reply, &len, NULL), MT5_EINVAL);
    assert_int_equal(mt5_client_request(client, "x", 1, NULL, &len, NULL), MT5_EINVAL);
    assert_int_equal(mt5_client_request(client, "x", 1, &reply, NULL, NULL), MT5_EINVAL);
    assert_string_equal(mt5_error_detail(), "client request: missing client, request or reply");
    assert_null(reply);
    assert_int_equal(mt5_client_attempts(client), 0);
    mt5_client_destroy(&client);
}

/* ---- requests ----------------------------------------------------------- */

/* The client checks the scheme only; libzmq refuses the rest on connect. */
static void test_client__endpoint_libzmq_rejects(void **state)
{
    (void)state;
    mt5_client_t *client = mt5_client_new("tcp://127.0.0.1", NULL);
    assert_non_null(client);
    char *reply = NULL;
    size_t len = 0;
    assert_int_equal(mt5_client_request(client, "x", 1, &reply, &len, NULL), MT5_EZMQ);
    assert_string_equal(mt5_error_detail(), "cannot connect tcp://127.0.0.1: Invalid argument");
    assert_int_equal(mt5_client_attempts(client), 1);
    assert_null(reply);
    mt5_client_destroy(&client);
}

static void test_client__echo_reply(void **state)
{
    (void)state;
    server_t srv;
    server_start(&srv, S_ECHO, "tcp://127.0.0.1:*");
    mt5_client_t *client = mt5_client_new(mt5_sock_endpoint(srv.router), NULL);
    char *reply = NULL;
    size_t len = 0;
    int64_t rtt = -1;
    assert_int_equal(mt5_client_request(client, "Hello", 5, &reply, &len, &rtt), MT5_OK);
    assert_string_equal(reply, "Hello");
    assert_int_equal(len, 5);
    assert_true(rtt > 0 && rtt < 5000000);
    assert_int_equal(mt5_client_attempts(client), 1);
    free(reply);

    /* rtt is optional; an empty request gets an empty reply. */
    assert_int_equal(mt5_client_request(client, NULL, 0, &reply, &len, NULL), MT5_OK);
    assert_string_equal(reply, "");
    assert_int_equal(len, 0);
    free(reply);

    mt5_client_destroy(&client);
    server_stop(&srv);
    assert_int_equal(srv.requests, 2);
    assert_int_equal(srv.peers, 1);
}

static void test_client__inproc_endpoint(void **state)
{
    (void)state;
    /* Created before anything is bound: the client connects lazily. */
    mt5_client_t *client = mt5_client_new("inproc://client-test", NULL);
    server_t srv;
    server_start(&srv, S_ECHO, "inproc://client-test");
    char *reply = NULL;
    size_t len = 0;
    assert_int_equal(mt5_client_request(client, "{\"action\":\"PING\"}", 17, &reply, &len, NULL),
                     MT5_OK);
    assert_string_equal(reply, "{\"action\":\"PING\"}");
    free(reply);
    mt5_client_destroy(&client);
    server_stop(&srv);
    assert_int_equal(srv.requests, 1);
}

static void test_client__retry_after_lost_request(void **state)
{
    (void)state;
    server_t srv;
    server_start(&srv, S_IGNORE_FIRST, "tcp://127.0.0.1:*");
    mt5_client_options opts = {MT5_CLIENT_OPTIONS_VERSION, 300, 2, false};
    mt5_client_t *client = mt5_client_new(mt5_sock_endpoint(srv.router), &opts);
    char *reply = NULL;
    size_t len = 0;
    int64_t rtt = 0;
    int64_t start = mt5_clock_mono_us();
    assert_int_equal(mt5_client_request(client, "ping", 4, &reply, &len, &rtt), MT5_OK);
    assert_true(s_ms_since(start) >= 300);
    assert_string_equal(reply, "ping");
    assert_int_equal(len, 4);
    assert_int_equal(mt5_client_attempts(client), 2);
    /* The round trip is the second attempt's, not the whole wait. */
    assert_true(rtt > 0 && rtt < 300000);
    free(reply);
    mt5_client_destroy(&client);
    server_stop(&srv);
    assert_int_equal(srv.requests, 2);
    assert_int_equal(srv.peers, 2); /* a new socket for the retry */
}

static void test_client__timeout_after_all_attempts(void **state)
{
    (void)state;
    server_t srv;
    server_start(&srv, S_SILENT, "tcp://127.0.0.1:*");
    mt5_client_options opts = {MT5_CLIENT_OPTIONS_VERSION, 200, 2, true};
    mt5_client_t *client = mt5_client_new(mt5_sock_endpoint(srv.router), &opts);
    char *reply = NULL;
    size_t len = 0;
    int64_t start = mt5_clock_mono_us();
    assert_int_equal(mt5_client_request(client, "ping", 4, &reply, &len, NULL), MT5_ETIMEOUT);
    int64_t took = s_ms_since(start);
    assert_true(took >= 600 && took < 2600);
    assert_null(reply);
    assert_int_equal(mt5_client_attempts(client), 3);
    char want[160];
    snprintf(want, sizeof want, "no reply from %s within 200 ms after 3 attempts",
             mt5_sock_endpoint(srv.router));
    assert_string_equal(mt5_error_detail(), want);
    mt5_client_destroy(&client);
    server_stop(&srv);
    assert_int_equal(srv.requests, 3);
    assert_int_equal(srv.peers, 3);
}

static void test_client__refused_fails_fast_when_asked(void **state)
{
    (void)state;
    char endpoint[64];
    s_closed_endpoint(endpoint, sizeof endpoint);
    mt5_client_options opts = {MT5_CLIENT_OPTIONS_VERSION, 5000, 3, true};
    mt5_client_t *client = mt5_client_new(endpoint, &opts);
    char *reply = NULL;
    size_t len = 0;
    int64_t start = mt5_clock_mono_us();
    assert_int_equal(mt5_client_request(client, "ping", 4, &reply, &len, NULL), MT5_EREFUSED);
    assert_true(s_ms_since(start) < 2000);
    assert_int_equal(mt5_client_attempts(client), 1);
    char want[128];
    snprintf(want, sizeof want, "connection refused by %s", endpoint);
    assert_string_equal(mt5_error_detail(), want);
    assert_null(reply);
    mt5_client_destroy(&client);
}

static void test_client__refused_reported_after_timeout(void **state)
{
    (void)state;
    char endpoint[64];
    s_closed_endpoint(endpoint, sizeof endpoint);
    mt5_client_options opts = {MT5_CLIENT_OPTIONS_VERSION, 200, 1, false};
    mt5_client_t *client = mt5_client_new(endpoint, &opts);
    char *reply = NULL;
    size_t len = 0;
    int64_t start = mt5_clock_mono_us();
    assert_int_equal(mt5_client_request(client, "ping", 4, &reply, &len, NULL), MT5_EREFUSED);
    int64_t took = s_ms_since(start);
    assert_true(took >= 400 && took < 2400);
    assert_int_equal(mt5_client_attempts(client), 2);
    char want[128];
    snprintf(want, sizeof want, "connection refused by %s", endpoint);
    assert_string_equal(mt5_error_detail(), want);
    mt5_client_destroy(&client);
}

/* The server goes away between two requests, then comes back on the same
 * port: the kept socket is replaced, so the refusal is seen at once, and
 * the next request reaches the new server. */
static void test_client__server_gone_then_back(void **state)
{
    (void)state;
    server_t srv;
    server_start(&srv, S_ECHO, "tcp://127.0.0.1:*");
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "%s", mt5_sock_endpoint(srv.router));
    mt5_client_options opts = {MT5_CLIENT_OPTIONS_VERSION, 3000, 0, true};
    mt5_client_t *client = mt5_client_new(endpoint, &opts);
    char *reply = NULL;
    size_t len = 0;
    assert_int_equal(mt5_client_request(client, "one", 3, &reply, &len, NULL), MT5_OK);
    free(reply);
    reply = NULL;
    server_stop(&srv);
    usleep(300000); /* let the disconnect reach the client's monitor */

    int64_t start = mt5_clock_mono_us();
    assert_int_equal(mt5_client_request(client, "two", 3, &reply, &len, NULL), MT5_EREFUSED);
    assert_true(s_ms_since(start) < 2000);
    assert_null(reply);

    server_start(&srv, S_ECHO, endpoint);
    assert_int_equal(mt5_client_request(client, "three", 5, &reply, &len, NULL), MT5_OK);
    assert_string_equal(reply, "three");
    free(reply);
    mt5_client_destroy(&client);
    server_stop(&srv);
    assert_int_equal(srv.requests, 1);
}

static void test_client__multi_frame_reply_is_bad(void **state)
{
    (void)state;
    server_t srv;
    server_start(&srv, S_TWO_FRAMES, "tcp://127.0.0.1:*");
    mt5_client_t *client = mt5_client_new(mt5_sock_endpoint(srv.router), NULL);
    char *reply = NULL;
    size_t len = 0;
    assert_int_equal(mt5_client_request(client, "ping", 4, &reply, &len, NULL), MT5_EBADREPLY);
    char want[160];
    snprintf(want, sizeof want, "reply from %s has 2 frames, expected 1",
             mt5_sock_endpoint(srv.router));
    assert_string_equal(mt5_error_detail(), want);
    assert_null(reply);
    assert_int_equal(mt5_client_attempts(client), 1);
    mt5_client_destroy(&client);
    server_stop(&srv);
    assert_int_equal(srv.requests, 1);
}

static void test_client__sequential_requests_reuse_the_socket(void **state)
{
    (void)state;
    server_t srv;
    server_start(&srv, S_ECHO, "tcp://127.0.0.1:*");
    mt5_client_t *client = mt5_client_new(mt5_sock_endpoint(srv.router), NULL);
    for (int i = 0; i < 100; i++) {
        char req[32];
        int n = snprintf(req, sizeof req, "{\"action\":\"PING\",\"ts\":%d}", i);
        char *reply = NULL;
        size_t len = 0;
        assert_int_equal(mt5_client_request(client, req, (size_t)n, &reply, &len, NULL), MT5_OK);
        assert_int_equal(len, (size_t)n);
        assert_string_equal(reply, req);
        assert_int_equal(mt5_client_attempts(client), 1);
        free(reply);
    }
    mt5_client_destroy(&client);
    server_stop(&srv);
    assert_int_equal(srv.requests, 100);
    assert_int_equal(srv.peers, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client__new_validates_endpoint_and_options),
        cmocka_unit_test(test_client__request_argument_errors),
        cmocka_unit_test(test_client__endpoint_libzmq_rejects),
        cmocka_unit_test(test_client__echo_reply),
        cmocka_unit_test(test_client__inproc_endpoint),
        cmocka_unit_test(test_client__retry_after_lost_request),
        cmocka_unit_test(test_client__timeout_after_all_attempts),
        cmocka_unit_test(test_client__refused_fails_fast_when_asked),
        cmocka_unit_test(test_client__refused_reported_after_timeout),
        cmocka_unit_test(test_client__server_gone_then_back),
        cmocka_unit_test(test_client__multi_frame_reply_is_bad),
        cmocka_unit_test(test_client__sequential_requests_reuse_the_socket),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
