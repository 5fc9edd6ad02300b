/*  test_server.c - the gateway's protocol logic, in process.
 *
 *  mt5_server_handle with a fixed clock: the TTL edges, the order of
 *  checks of docs/protocol.md section 6 (validate, MAC, req_id, TTL,
 *  limits, execute), and the stream messages an order causes, read over
 *  inproc.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mt5/error.h"
#include "mt5/json.h"
#include "mt5/paper.h"
#include "mt5/proto.h"
#include "mt5/server.h"
#include "mt5/sig.h"
#include "mt5/sock.h"

#define KEY_HEX "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define T0 1700000000000LL

typedef struct {
    mt5_server_t *server;
    mt5_key_t *key;
    int64_t now;
} fixture;

static int64_t s_clock(void *arg)
{
    return ((fixture *)arg)->now;
}

static fixture *s_fixture(const char *bind, const char *stream, bool with_key)
{
    fixture *f = calloc(1, sizeof *f);
    if (with_key)
        assert_int_equal(mt5_key_from_hex(&f->key, KEY_HEX), MT5_OK);
    mt5_server_options opts = MT5_SERVER_OPTIONS_INIT;
    opts.bind = bind;
    opts.stream = stream;
    opts.key = f->key;
    opts.max_volume = 10;
    opts.max_positions = 2;
    mt5_backend_t *backend = mt5_paper_new(NULL);
    f->server = mt5_server_new(&opts, &backend);
    assert_non_null(f->server);
    assert_null(backend);
    f->now = T0;
    mt5_server_set_clock(f->server, s_clock, f);
    return f;
}

static void s_fixture_free(fixture *f)
{
    mt5_server_destroy(&f->server);
    assert_null(f->server);
    mt5_key_destroy(&f->key);
    free(f);
}

static int s_setup(void **state)
{
    *state = s_fixture("inproc://unused", NULL, true);
    return 0;
}

static int s_teardown(void **state)
{
    s_fixture_free(*state);
    return 0;
}

/* Handle a request; return the parsed reply (caller destroys). */
static mt5_json_t *s_handle(fixture *f, const char *body, size_t len)
{
    char *reply = NULL;
    size_t n = 0;
    assert_int_equal(mt5_server_handle(f->server, body, len, &reply, &n), MT5_OK);
    assert_int_equal(n, strlen(reply));
    mt5_json_t *j = mt5_json_parse(reply, n);
    if (!j)
        fail_msg("reply is not JSON: %s", reply);
    free(reply);
    return j;
}

static const char *s_str(const mt5_json_t *j, const char *key)
{
    return mt5_json_string(mt5_json_get(j, key));
}

static void s_expect(fixture *f, const char *body, const char *status, const char *code)
{
    mt5_json_t *j = s_handle(f, body, strlen(body));
    assert_string_equal(s_str(j, "status"), status);
    if (code)
        assert_string_equal(s_str(j, "error_code"), code);
    else
        assert_null(mt5_json_get(j, "error_code"));
    mt5_json_destroy(&j);
}

/* A signed OPEN as JSON text (caller frees). */
static char *s_open(fixture *f, const char *req_id, double volume, int64_t ts)
{
    mt5_request_t req = {0};
    req.action = MT5_ACTION_OPEN;
    req.has = MT5_HAS_REQ_ID | MT5_HAS_SYMBOL | MT5_HAS_SIDE | MT5_HAS_VOLUME | MT5_HAS_SIGNATURE;
    snprintf(req.req_id, sizeof req.req_id, "%s", req_id);
    snprintf(req.symbol, sizeof req.symbol, "EURUSD");
    req.side = MT5_SIDE_BUY;
    req.volume = volume;
    assert_int_equal(mt5_sig_sign(req.risk_signature, sizeof req.risk_signature, f->key, &req, ts),
                     MT5_OK);
    return mt5_proto_encode_request(&req);
}

static char *s_close(fixture *f, const char *req_id, int64_t ticket, int64_t ts)
{
    mt5_request_t req = {0};
    req.action = MT5_ACTION_CLOSE;
    req.has = MT5_HAS_REQ_ID | MT5_HAS_TICKET | MT5_HAS_SIGNATURE;
    snprintf(req.req_id, sizeof req.req_id, "%s", req_id);
    req.ticket = ticket;
    assert_int_equal(mt5_sig_sign(req.risk_signature, sizeof req.risk_signature, f->key, &req, ts),
                     MT5_OK);
    return mt5_proto_encode_request(&req);
}

static void test_server__hello_and_ping(void **state)
{
    fixture *f = *state;
    char *reply = NULL;
    size_t n = 0;
    assert_int_equal(mt5_server_handle(f->server, "Hello", 5, &reply, &n), MT5_OK);
    assert_int_equal(n, 11);
    assert_string_equal(reply, "OK_FROM_MT5");
    free(reply);
    mt5_json_t *j = s_handle(f, "{\"action\":\"PING\",\"ts\":5}", 24);
    assert_string_equal(s_str(j, "status"), "ok");
    assert_true(mt5_json_number(mt5_json_get(j, "server_time_ms")) == (double)T0);
    assert_true(mt5_json_number(mt5_json_get(j, "ts")) == 5.0);
    mt5_json_destroy(&j);
    assert_int_equal(mt5_server_requests(f->server), 2);
}

static void test_server__ttl_edges(void **state)
{
    fixture *f = *state;
    /* |now - ts| == ttl is still fresh; one more millisecond is not. */
    char *on_edge = s_open(f, "ttl-1", 0.1, T0 - 2000);
    s_expect(f, on_edge, "ok", NULL);
    char *past = s_open(f, "ttl-2", 0.1, T0 - 2001);
    s_expect(f, past, "REJECTED", "EXPIRED_SIGNATURE");
    char *future_edge = s_open(f, "ttl-3", 0.1, T0 + 2000);
    s_expect(f, future_edge, "ok", NULL);
    char *future = s_open(f, "ttl-4", 0.1, T0 + 2001);
    s_expect(f, future, "REJECTED", "EXPIRED_SIGNATURE");
    free(on_edge);
    free(past);
    free(future_edge);
    free(future);
}

static void test_server__lookup_comes_before_the_ttl(void **state)
{
    fixture *f = *state;
    char *open = s_open(f, "dup-1", 0.1, T0);
    mt5_json_t *first = s_handle(f, open, strlen(open));
    assert_string_equal(s_str(first, "status"), "ok");
    f->now = T0 + 60000; /* a minute later: long expired */
    mt5_json_t *again = s_handle(f, open, strlen(open));
    assert_string_equal(s_str(again, "status"), "ok");
    assert_true(mt5_json_true(mt5_json_get(again, "duplicate")));
    assert_true(mt5_json_number(mt5_json_get(again, "ticket")) ==
                mt5_json_number(mt5_json_get(first, "ticket")));
    mt5_json_destroy(&first);
    mt5_json_destroy(&again);
    /* A reused req_id is REQ_ID_REUSED even when expired: the look-up
     * comes first. */
    char *other = s_open(f, "dup-1", 0.2, T0);
    s_expect(f, other, "REJECTED", "REQ_ID_REUSED");
    free(other);
    free(open);
}

static void test_server__mac_comes_before_the_lookup_and_ttl(void **state)
{
    fixture *f = *state;
    char *open = s_open(f, "mac-1", 0.1, T0 - 999999);
    /* Tamper with the MAC's first digit: INVALID, not EXPIRED. */
    char *p = strstr(open, "RISK_PASS:");
    assert_non_null(p);
    p[10] = p[10] == 'a' ? 'b' : 'a';
    s_expect(f, open, "REJECTED", "INVALID_SIGNATURE");
    free(open);
    /* Malformed order: BAD_REQUEST whatever the signature. */
    s_expect(f,
             "{\"action\":\"OPEN\",\"req_id\":\"m\",\"symbol\":\"EURUSD\",\"side\":\"BUY\","
             "\"volume\":-1,\"risk_signature\":\"RISK_PASS:zz:1\"}",
             "error", "BAD_REQUEST");
    s_expect(f,
             "{\"action\":\"OPEN\",\"req_id\":\"m\",\"symbol\":\"EURUSD\",\"side\":\"BUY\","
             "\"volume\":1,\"risk_signature\":\"RISK_PASS:zz:1\"}",
             "REJECTED", "INVALID_SIGNATURE");
    s_expect(f,
             "{\"action\":\"OPEN\",\"req_id\":\"m\",\"symbol\":\"EURUSD\",\"side\":\"BUY\","
             "\"volume\":1}",
             "REJECTED", "MISSING_SIGNATURE");
}

static void test_server__limits_and_refusals_are_not_remembered(void **state)
{
    fixture *f = *state;
    char *big = s_open(f, "lim-1", 11, T0);
    s_expect(f, big, "REJECTED", "RISK_REJECTED");
    free(big);
    /* The same req_id may be used again after a refusal. */
    char *ok = s_open(f, "lim-1", 1, T0);
    s_expect(f, ok, "ok", NULL);
    free(ok);
    char *second = s_open(f, "lim-2", 1, T0);
    s_expect(f, second, "ok", NULL);
    free(second);
    char *third = s_open(f, "lim-3", 1, T0);
    s_expect(f, third, "REJECTED", "RISK_REJECTED"); /* max_positions 2 */
    free(third);
    char *unknown = s_close(f, "lim-4", 4242, T0);
    s_expect(f, unknown, "REJECTED", "UNKNOWN_TICKET");
    free(unknown);
    char *close = s_close(f, "lim-5", 1, T0);
    s_expect(f, close, "ok", NULL);
    s_expect(f, close, "ok", NULL); /* duplicate: the same reply again */
    free(close);
    mt5_json_t *j = s_handle(f, "{\"action\":\"GET_POSITIONS\"}", 26);
    assert_int_equal(mt5_json_size(mt5_json_get(j, "positions")), 1);
    mt5_json_destroy(&j);
}

static void test_server__without_a_key_orders_are_refused(void **state)
{
    (void)state;
    fixture *signer = s_fixture("inproc://unused", NULL, true);
    fixture *f = s_fixture("inproc://unused", NULL, false);
    char *open = s_open(signer, "nokey-1", 0.1, T0);
    mt5_json_t *j = s_handle(f, open, strlen(open));
    assert_string_equal(s_str(j, "error_code"), "INVALID_SIGNATURE");
    assert_string_equal(s_str(j, "message"), "risk_signature: no key to verify it with");
    mt5_json_destroy(&j);
    free(open);
    s_fixture_free(signer);
    s_fixture_free(f);
}

static void test_server__bad_input_and_arguments(void **state)
{
    fixture *f = *state;
    s_expect(f, "", "error", "BAD_REQUEST");
    s_expect(f, "{\"action\":\"NOPE\"}", "error", "UNKNOWN_ACTION");
    char *reply = NULL;
    size_t n = 0;
    assert_int_equal(mt5_server_handle(NULL, "x", 1, &reply, &n), MT5_EINVAL);
    assert_int_equal(mt5_server_handle(f->server, NULL, 3, &reply, &n), MT5_EINVAL);
    assert_int_equal(mt5_server_run(f->server, NULL), MT5_ESTATE); /* not bound */
    mt5_backend_t *none = NULL;
    assert_null(mt5_server_new(NULL, &none));
    mt5_server_options bad = MT5_SERVER_OPTIONS_INIT;
    bad.signature_ttl_ms = 0;
    mt5_backend_t *backend = mt5_paper_new(NULL);
    assert_null(mt5_server_new(&bad, &backend));
    assert_non_null(backend); /* not taken on failure */
    mt5_backend_destroy(&backend);
    mt5_server_destroy(NULL);
}

/* A backend whose terminal is gone: every call fails. */
static mt5_wire_code s_down_open(void *impl, const mt5_request_t *req, mt5_fill_t *fill,
                                 char *msg, size_t msgcap)
{
    (void)impl, (void)req, (void)fill;
    mt5_backend_message(msg, msgcap, "terminal disconnected");
    return MT5_WIRE_BACKEND_ERROR;
}

static mt5_wire_code s_down_close(void *impl, const mt5_request_t *req, mt5_close_t *out,
                                  char *msg, size_t msgcap)
{
    (void)impl, (void)req, (void)out;
    mt5_backend_message(msg, msgcap, "terminal disconnected");
    return MT5_WIRE_BACKEND_ERROR;
}

static int s_down_account(void *impl, mt5_account_t *out)
{
    (void)impl, (void)out;
    return MT5_EIO;
}

static int s_down_positions(void *impl, const mt5_position_t **list, size_t *count)
{
    (void)impl, (void)list, (void)count;
    return MT5_EIO;
}

static void s_down_destroy(void *impl)
{
    (void)impl;
}

static void test_server__backend_failures_are_backend_errors(void **state)
{
    (void)state;
    static const mt5_backend_ops down = {"down", s_down_open, s_down_close, s_down_account,
                                         s_down_positions, s_down_destroy};
    static int token;
    fixture *f = calloc(1, sizeof *f);
    assert_int_equal(mt5_key_from_hex(&f->key, KEY_HEX), MT5_OK);
    mt5_server_options opts = MT5_SERVER_OPTIONS_INIT;
    opts.bind = "inproc://unused";
    opts.stream = NULL;
    opts.key = f->key;
    mt5_backend_t *backend = mt5_backend_new(&down, &token);
    f->server = mt5_server_new(&opts, &backend);
    f->now = T0;
    mt5_server_set_clock(f->server, s_clock, f);
    s_expect(f, "{\"action\":\"GET_ACCOUNT\"}", "error", "BACKEND_ERROR");
    s_expect(f, "{\"action\":\"GET_POSITIONS\"}", "error", "BACKEND_ERROR");
    /* OPEN checks the position limit first, which needs the list. */
    char *open = s_open(f, "down-1", 0.1, T0);
    s_expect(f, open, "error", "BACKEND_ERROR");
    free(open);
    char *close = s_close(f, "down-2", 1, T0);
    mt5_json_t *j = s_handle(f, close, strlen(close));
    assert_string_equal(s_str(j, "error_code"), "BACKEND_ERROR");
    assert_string_equal(s_str(j, "message"), "terminal disconnected");
    mt5_json_destroy(&j);
    /* Not executed, so not remembered: a retry asks the backend again. */
    j = s_handle(f, close, strlen(close));
    assert_null(mt5_json_get(j, "duplicate"));
    mt5_json_destroy(&j);
    free(close);
    assert_int_equal(mt5_server_heartbeat(f->server), MT5_OK); /* no stream: nothing */
    s_fixture_free(f);
}

/* Read the next message from sub: topic and parsed body. */
static mt5_json_t *s_event(mt5_sock_t *sub, const char *topic)
{
    mt5_msg_t msg = {0};
    assert_int_equal(mt5_sock_recv(sub, &msg, 2000), MT5_OK);
    assert_int_equal(msg.count, 2);
    assert_string_equal((char *)msg.frames[0].data, topic);
    mt5_json_t *j = mt5_json_parse((char *)msg.frames[1].data, msg.frames[1].size);
    assert_non_null(j);
    mt5_msg_clear(&msg);
    return j;
}

static void test_server__stream_messages_of_an_order(void **state)
{
    (void)state;
    fixture *f = s_fixture("inproc://srv-cmd", "inproc://srv-stream", true);
    assert_int_equal(mt5_server_bind(f->server), MT5_OK);
    assert_string_equal(mt5_server_endpoint(f->server), "inproc://srv-cmd");
    assert_int_equal(mt5_server_bind(f->server), MT5_ESTATE);
    mt5_sock_t *sub = mt5_sock_new(MT5_SOCK_SUB);
    assert_int_equal(mt5_sock_subscribe(sub, ""), MT5_OK);
    assert_int_equal(mt5_sock_connect(sub, "inproc://srv-stream"), MT5_OK);
    usleep(100 * 1000); /* let the subscription reach the PUB socket */

    assert_int_equal(mt5_server_heartbeat(f->server), MT5_OK);
    mt5_json_t *j = s_event(sub, "HEARTBEAT");
    assert_true(mt5_json_number(mt5_json_get(j, "seq")) == 1);
    assert_string_equal(s_str(j, "boot_id"), mt5_server_boot_id(f->server));
    assert_int_equal(strlen(mt5_server_boot_id(f->server)), 32);
    assert_true(mt5_json_number(mt5_json_get(j, "time_ms")) == (double)T0);
    mt5_json_destroy(&j);

    char *open = s_open(f, "st-1", 0.5, T0);
    s_expect(f, open, "ok", NULL);
    free(open);
    j = s_event(sub, "FILL");
    assert_true(mt5_json_number(mt5_json_get(j, "seq")) == 2);
    assert_string_equal(s_str(j, "event"), "OPEN");
    assert_string_equal(s_str(j, "req_id"), "st-1");
    mt5_json_destroy(&j);
    j = s_event(sub, "POSITION");
    assert_true(mt5_json_number(mt5_json_get(j, "seq")) == 3);
    assert_string_equal(s_str(j, "state"), "open");
    mt5_json_destroy(&j);
    j = s_event(sub, "ACCOUNT");
    assert_true(mt5_json_number(mt5_json_get(j, "seq")) == 4);
    mt5_json_destroy(&j);

    char *close = s_close(f, "st-2", 1, T0);
    s_expect(f, close, "ok", NULL);
    free(close);
    j = s_event(sub, "FILL");
    assert_string_equal(s_str(j, "event"), "CLOSE");
    assert_string_equal(s_str(j, "symbol"), "EURUSD");
    assert_non_null(mt5_json_get(j, "profit"));
    mt5_json_destroy(&j);
    j = s_event(sub, "POSITION");
    assert_string_equal(s_str(j, "state"), "closed");
    assert_true(mt5_json_number(mt5_json_get(j, "volume")) == 0);
    mt5_json_destroy(&j);
    j = s_event(sub, "ACCOUNT");
    assert_true(mt5_json_number(mt5_json_get(j, "seq")) == 7);
    assert_true(mt5_json_number(mt5_json_get(j, "margin")) == 0);
    mt5_json_destroy(&j);

    mt5_sock_destroy(&sub);
    s_fixture_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_server__hello_and_ping, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_server__ttl_edges, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_server__lookup_comes_before_the_ttl, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_server__mac_comes_before_the_lookup_and_ttl, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_server__limits_and_refusals_are_not_remembered,
                                        s_setup, s_teardown),
        cmocka_unit_test(test_server__without_a_key_orders_are_refused),
        cmocka_unit_test_setup_teardown(test_server__bad_input_and_arguments, s_setup, s_teardown),
        cmocka_unit_test(test_server__stream_messages_of_an_order),
        cmocka_unit_test(test_server__backend_failures_are_backend_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
