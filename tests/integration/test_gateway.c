/*  test_gateway.c - mt5-gateway as a process, seen by an independent client.
 *
 *  Every action and every wire error code of docs/protocol.md section 4,
 *  the bad inputs of section 3, idempotency (section 6) and the stream
 *  (section 7). The client side is raw libzmq, cJSON and libsodium, and
 *  the canonical string is built here from the protocol text, so a bug in
 *  libcore's codec or signer cannot agree with itself.
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
#include <cjson/cJSON.h>
#include <sodium.h>
#include <zmq.h>

#include "harness/harness.h"

static h_gateway s_gw;
static char s_dir[64];
static char s_key_path[256];
static const uint8_t s_key[32] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
                                  0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
                                  0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};
static void *s_ctx;
static void *s_sub; /* subscribed to the whole stream since start */

static int s_setup(void **state)
{
    (void)state;
    if (sodium_init() < 0)
        return -1;
    snprintf(s_dir, sizeof s_dir, "/tmp/mt5-gw-XXXXXX");
    if (!mkdtemp(s_dir))
        return -1;
    if (h_write_key(s_key_path, sizeof s_key_path, s_dir, "risk.key", s_key, 0600) != 0)
        return -1;
    const char *args[] = {"--key-file",
                          s_key_path,
                          "--signature-ttl-ms",
                          "1000",
                          "--max-volume",
                          "50",
                          "--max-positions",
                          "3",
                          "--disable-symbol",
                          "US30",
                          NULL};
    if (h_gateway_start(&s_gw, args) != 0)
        return -1;
    s_ctx = zmq_ctx_new();
    s_sub = zmq_socket(s_ctx, ZMQ_SUB);
    int zero = 0, timeout = 3000;
    zmq_setsockopt(s_sub, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s_sub, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(s_sub, ZMQ_SUBSCRIBE, "", 0);
    zmq_connect(s_sub, s_gw.stream);
    /* Wait for a heartbeat so the subscription is live before any order. */
    char buf[2048];
    int n = zmq_recv(s_sub, buf, sizeof buf, 0);
    int more = 0;
    size_t ml = sizeof more;
    zmq_getsockopt(s_sub, ZMQ_RCVMORE, &more, &ml);
    int body = more ? zmq_recv(s_sub, buf, sizeof buf, 0) : -1;
    return n > 0 && body > 0 ? 0 : -1;
}

static int s_teardown(void **state)
{
    (void)state;
    zmq_close(s_sub);
    zmq_ctx_term(s_ctx);
    int status = h_gateway_stop(&s_gw);
    unlink(s_key_path);
    rmdir(s_dir);
    return status == 0 ? 0 : -1;
}

/* Send raw bytes, parse the JSON reply. */
static cJSON *s_call_raw(const void *req, size_t len)
{
    size_t n = 0;
    char *reply = h_request(s_gw.endpoint, req, len, &n, 3000);
    assert_non_null(reply);
    cJSON *j = cJSON_ParseWithLength(reply, n);
    if (!j)
        fail_msg("reply is not JSON: %s", reply);
    free(reply);
    return j;
}

static cJSON *s_call(const char *json)
{
    return s_call_raw(json, strlen(json));
}

static const char *s_str(const cJSON *j, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double s_num(const cJSON *j, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    if (!cJSON_IsNumber(v))
        fail_msg("field %s missing or not a number", key);
    return v->valuedouble;
}

/* Assert a non-ok reply's status, code and message fragment; consumes j. */
static void s_expect_error(cJSON *j, const char *status, const char *code, const char *fragment)
{
    assert_string_equal(s_str(j, "status"), status);
    assert_string_equal(s_str(j, "error_code"), code);
    const char *msg = s_str(j, "message");
    assert_non_null(msg);
    if (fragment && !strstr(msg, fragment))
        fail_msg("message '%s' lacks '%s'", msg, fragment);
    cJSON_Delete(j);
}

static void s_num8(char *buf, size_t cap, const double *v)
{
    if (v)
        snprintf(buf, cap, "%.8f", *v);
    else
        buf[0] = '\0';
}

/* The canonical string of section 5, from the protocol text. */
static void s_canonical(char *out, size_t cap, const char *action, const char *req_id,
                        const char *symbol, const char *side, const double *volume,
                        const double *price, long long ticket, long long ts)
{
    char vol[64], pr[64], tk[32] = "";
    s_num8(vol, sizeof vol, volume);
    s_num8(pr, sizeof pr, price);
    if (ticket > 0)
        snprintf(tk, sizeof tk, "%lld", ticket);
    snprintf(out, cap, "v1\n%s\n%s\n%s\n%s\n%s\n%s\n\n\n%s\n%lld", action, req_id,
             symbol ? symbol : "", side ? side : "", vol, pr, tk, ts);
}

static char *s_open_json(const char *req_id, const char *symbol, const char *side, double volume,
                         long long ts, const uint8_t *key)
{
    char canonical[512], sig[160];
    s_canonical(canonical, sizeof canonical, "OPEN", req_id, symbol, side, &volume, NULL, 0, ts);
    h_sign(sig, sizeof sig, key, canonical, ts);
    char *json = malloc(1024);
    snprintf(json, 1024,
             "{\"action\":\"OPEN\",\"req_id\":\"%s\",\"symbol\":\"%s\",\"side\":\"%s\","
             "\"volume\":%.2f,\"risk_signature\":\"%s\"}",
             req_id, symbol, side, volume, sig);
    return json;
}

static char *s_close_json(const char *req_id, long long ticket, const double *volume, long long ts)
{
    char canonical[512], sig[160], vol[64] = "";
    s_canonical(canonical, sizeof canonical, "CLOSE", req_id, NULL, NULL, volume, NULL, ticket, ts);
    h_sign(sig, sizeof sig, s_key, canonical, ts);
    if (volume)
        snprintf(vol, sizeof vol, ",\"volume\":%.2f", *volume);
    char *json = malloc(1024);
    snprintf(json, 1024,
             "{\"action\":\"CLOSE\",\"req_id\":\"%s\",\"ticket\":%lld%s,"
             "\"risk_signature\":\"%s\"}",
             req_id, ticket, vol, sig);
    return json;
}

/* Next non-heartbeat stream message: topic and parsed body. */
static cJSON *s_next_event(char *topic, size_t cap, uint64_t *seq)
{
    for (;;) {
        char t[64], body[4096];
        int tn = zmq_recv(s_sub, t, sizeof t - 1, 0);
        assert_true(tn > 0);
        t[tn] = '\0';
        int more;
        size_t ml = sizeof more;
        zmq_getsockopt(s_sub, ZMQ_RCVMORE, &more, &ml);
        assert_int_equal(more, 1);
        int bn = zmq_recv(s_sub, body, sizeof body - 1, 0);
        assert_true(bn > 0);
        body[bn] = '\0';
        cJSON *j = cJSON_Parse(body);
        assert_non_null(j);
        assert_string_equal(s_str(j, "boot_id"), s_gw.boot_id);
        uint64_t s = (uint64_t)s_num(j, "seq");
        if (*seq)
            assert_int_equal(s, *seq + 1);
        *seq = s;
        if (strcmp(t, "HEARTBEAT") != 0) {
            snprintf(topic, cap, "%s", t);
            return j;
        }
        cJSON_Delete(j);
    }
}

static void test_gateway__hello_handshake_is_exact(void **state)
{
    (void)state;
    size_t n = 0;
    char *reply = h_request(s_gw.endpoint, "Hello", 5, &n, 3000);
    assert_non_null(reply);
    assert_int_equal(n, 11);
    assert_memory_equal(reply, "OK_FROM_MT5", 11);
    free(reply);
    /* A near miss is not the handshake: it is a BAD_REQUEST. */
    s_expect_error(s_call("Hello\n"), "error", "BAD_REQUEST", NULL);
    s_expect_error(s_call("hello"), "error", "BAD_REQUEST", NULL);
}

static void test_gateway__ping_echoes_ts_and_req_id(void **state)
{
    (void)state;
    int64_t before = h_now_ms();
    cJSON *j = s_call("{\"action\":\"PING\",\"req_id\":\"p-1\",\"ts\":1700000000123}");
    int64_t after = h_now_ms();
    assert_string_equal(s_str(j, "status"), "ok");
    assert_string_equal(s_str(j, "action"), "PING");
    assert_string_equal(s_str(j, "req_id"), "p-1");
    assert_true(s_num(j, "ts") == 1700000000123.0);
    double t = s_num(j, "server_time_ms");
    assert_true(t >= (double)before && t <= (double)after);
    cJSON_Delete(j);
    j = s_call("{\"v\":1,\"action\":\"PING\"}");
    assert_string_equal(s_str(j, "status"), "ok");
    assert_null(cJSON_GetObjectItemCaseSensitive(j, "ts"));
    assert_null(cJSON_GetObjectItemCaseSensitive(j, "req_id"));
    cJSON_Delete(j);
}

static void test_gateway__get_account_starts_from_the_paper_defaults(void **state)
{
    (void)state;
    cJSON *j = s_call("{\"action\":\"GET_ACCOUNT\",\"req_id\":\"a-1\"}");
    assert_string_equal(s_str(j, "status"), "ok");
    assert_string_equal(s_str(j, "req_id"), "a-1");
    assert_true(s_num(j, "login") == 1000001.0);
    assert_true(s_num(j, "balance") == 10000.0);
    assert_true(s_num(j, "equity") == 10000.0);
    assert_true(s_num(j, "margin") == 0.0);
    assert_true(s_num(j, "free_margin") == 10000.0);
    assert_string_equal(s_str(j, "currency"), "USD");
    assert_true(s_num(j, "leverage") == 100.0);
    cJSON_Delete(j);
}

/* OPEN, its duplicate, its stream events, reuse of its req_id, CLOSE. */
static void test_gateway__order_lifecycle(void **state)
{
    (void)state;
    long long ts = (long long)h_now_ms();
    char *open = s_open_json("life-1", "EURUSD", "BUY", 0.1, ts, s_key);
    cJSON *j = s_call(open);
    assert_string_equal(s_str(j, "status"), "ok");
    assert_string_equal(s_str(j, "req_id"), "life-1");
    assert_string_equal(s_str(j, "symbol"), "EURUSD");
    assert_string_equal(s_str(j, "side"), "BUY");
    assert_true(s_num(j, "volume") == 0.1);
    assert_true(s_num(j, "price") > 1.07 && s_num(j, "price") < 1.10);
    assert_null(cJSON_GetObjectItemCaseSensitive(j, "duplicate"));
    double ticket = s_num(j, "ticket");
    assert_true(ticket >= 1);
    char *first = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);

    /* Stream: FILL, POSITION, ACCOUNT, in that order, seq rising by one. */
    uint64_t seq = 0;
    char topic[32];
    j = s_next_event(topic, sizeof topic, &seq);
    assert_string_equal(topic, "FILL");
    assert_string_equal(s_str(j, "req_id"), "life-1");
    assert_true(s_num(j, "ticket") == ticket);
    cJSON_Delete(j);
    j = s_next_event(topic, sizeof topic, &seq);
    assert_string_equal(topic, "POSITION");
    assert_string_equal(s_str(j, "state"), "open");
    cJSON_Delete(j);
    j = s_next_event(topic, sizeof topic, &seq);
    assert_string_equal(topic, "ACCOUNT");
    assert_true(s_num(j, "margin") > 0);
    cJSON_Delete(j);

    /* The same bytes again: the same reply, marked, nothing executed. */
    j = s_call(open);
    assert_string_equal(s_str(j, "status"), "ok");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "duplicate")));
    assert_true(s_num(j, "ticket") == ticket);
    cJSON_DeleteItemFromObjectCaseSensitive(j, "duplicate");
    char *again = cJSON_PrintUnformatted(j);
    assert_string_equal(again, first);
    free(again);
    free(first);
    cJSON_Delete(j);
    j = s_call("{\"action\":\"GET_POSITIONS\"}");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "positions")), 1);
    cJSON_Delete(j);

    /* The same req_id for another order is refused. */
    char *other = s_open_json("life-1", "EURUSD", "SELL", 0.1, ts, s_key);
    s_expect_error(s_call(other), "REJECTED", "REQ_ID_REUSED", "life-1");
    free(other);
    free(open);

    /* Partial, then whole close. */
    double half = 0.04;
    char *close1 = s_close_json("life-2", (long long)ticket, &half, (long long)h_now_ms());
    j = s_call(close1);
    assert_string_equal(s_str(j, "status"), "ok");
    assert_true(s_num(j, "ticket") == ticket);
    assert_true(s_num(j, "volume") == 0.04);
    cJSON_Delete(j);
    free(close1);
    j = s_call("{\"action\":\"GET_POSITIONS\"}");
    cJSON *pos = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "positions"), 0);
    assert_true(s_num(pos, "volume") > 0.0599 && s_num(pos, "volume") < 0.0601);
    assert_string_equal(s_str(pos, "side"), "BUY");
    cJSON_Delete(j);
    char *close2 = s_close_json("life-3", (long long)ticket, NULL, (long long)h_now_ms());
    j = s_call(close2);
    assert_string_equal(s_str(j, "status"), "ok");
    assert_true(s_num(j, "volume") > 0.0599 && s_num(j, "volume") < 0.0601);
    assert_non_null(cJSON_GetObjectItemCaseSensitive(j, "profit"));
    cJSON_Delete(j);
    free(close2);
    j = s_call("{\"action\":\"GET_POSITIONS\"}");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "positions")), 0);
    cJSON_Delete(j);
}

/* Section 6: the look-up comes before the TTL, so a retry after expiry is
 * answered from memory instead of EXPIRED_SIGNATURE. */
static void test_gateway__retry_after_expiry_is_a_duplicate(void **state)
{
    (void)state;
    char *open = s_open_json("late-1", "GBPUSD", "SELL", 0.2, (long long)h_now_ms(), s_key);
    cJSON *j = s_call(open);
    assert_string_equal(s_str(j, "status"), "ok");
    double ticket = s_num(j, "ticket");
    cJSON_Delete(j);
    usleep(1300 * 1000); /* past the 1000 ms TTL */
    j = s_call(open);
    assert_string_equal(s_str(j, "status"), "ok");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "duplicate")));
    assert_true(s_num(j, "ticket") == ticket);
    cJSON_Delete(j);
    free(open);
    char *close = s_close_json("late-2", (long long)ticket, NULL, (long long)h_now_ms());
    j = s_call(close);
    assert_string_equal(s_str(j, "status"), "ok");
    cJSON_Delete(j);
    free(close);
}

static void test_gateway__signature_errors(void **state)
{
    (void)state;
    long long now = (long long)h_now_ms();
    s_expect_error(s_call("{\"action\":\"OPEN\",\"req_id\":\"s-1\",\"symbol\":\"EURUSD\","
                          "\"side\":\"BUY\",\"volume\":0.1}"),
                   "REJECTED", "MISSING_SIGNATURE", NULL);
    s_expect_error(s_call("{\"action\":\"CLOSE\",\"req_id\":\"s-2\",\"ticket\":7}"), "REJECTED",
                   "MISSING_SIGNATURE", NULL);
    s_expect_error(s_call("{\"action\":\"OPEN\",\"req_id\":\"s-3\",\"symbol\":\"EURUSD\","
                          "\"side\":\"BUY\",\"volume\":0.1,\"risk_signature\":\"RISK_PASS\"}"),
                   "REJECTED", "INVALID_SIGNATURE", NULL);
    uint8_t wrong[32];
    memset(wrong, 0x42, sizeof wrong);
    char *forged = s_open_json("s-4", "EURUSD", "BUY", 0.1, now, wrong);
    s_expect_error(s_call(forged), "REJECTED", "INVALID_SIGNATURE", NULL);
    free(forged);
    /* A signature for 0.1 lots does not cover 0.2 lots. */
    char *open = s_open_json("s-5", "EURUSD", "BUY", 0.1, now, s_key);
    char *p = strstr(open, "\"volume\":0.10");
    assert_non_null(p);
    p[11] = '2';
    s_expect_error(s_call(open), "REJECTED", "INVALID_SIGNATURE", NULL);
    free(open);
    char *old = s_open_json("s-6", "EURUSD", "BUY", 0.1, now - 5000, s_key);
    s_expect_error(s_call(old), "REJECTED", "EXPIRED_SIGNATURE", "limit is 1000 ms");
    free(old);
    char *future = s_open_json("s-7", "EURUSD", "BUY", 0.1, now + 5000, s_key);
    s_expect_error(s_call(future), "REJECTED", "EXPIRED_SIGNATURE", NULL);
    free(future);
    /* Section 5: a malformed order is BAD_REQUEST whatever its signature. */
    s_expect_error(s_call("{\"action\":\"OPEN\",\"req_id\":\"s-8\",\"symbol\":\"EURUSD\","
                          "\"side\":\"HOLD\",\"volume\":0.1,\"risk_signature\":\"x\"}"),
                   "error", "BAD_REQUEST", "side");
}

static void test_gateway__risk_ticket_and_backend_errors(void **state)
{
    (void)state;
    long long now = (long long)h_now_ms();
    char *big = s_open_json("r-1", "EURUSD", "BUY", 60.0, now, s_key);
    s_expect_error(s_call(big), "REJECTED", "RISK_REJECTED", "limit");
    free(big);
    char *margin = s_open_json("r-2", "XAUUSD", "BUY", 10.0, now, s_key);
    s_expect_error(s_call(margin), "REJECTED", "RISK_REJECTED", "margin");
    free(margin);
    char *close = s_close_json("r-3", 999999, NULL, now);
    s_expect_error(s_call(close), "REJECTED", "UNKNOWN_TICKET", "999999");
    free(close);
    char *disabled = s_open_json("r-4", "US30", "BUY", 0.1, now, s_key);
    s_expect_error(s_call(disabled), "error", "BACKEND_ERROR", "US30");
    free(disabled);
    /* A refused order was not executed, so its req_id is still free. */
    char *ok = s_open_json("r-1", "EURUSD", "BUY", 0.01, now, s_key);
    cJSON *j = s_call(ok);
    assert_string_equal(s_str(j, "status"), "ok");
    double ticket = s_num(j, "ticket");
    cJSON_Delete(j);
    free(ok);
    char *undo = s_close_json("r-5", (long long)ticket, NULL, (long long)h_now_ms());
    j = s_call(undo);
    assert_string_equal(s_str(j, "status"), "ok");
    cJSON_Delete(j);
    free(undo);
}

static void test_gateway__position_limit(void **state)
{
    (void)state;
    double tickets[3];
    char id[32];
    for (int i = 0; i < 3; i++) {
        snprintf(id, sizeof id, "lim-%d", i);
        char *o = s_open_json(id, "USDJPY", "BUY", 0.01, (long long)h_now_ms(), s_key);
        cJSON *j = s_call(o);
        assert_string_equal(s_str(j, "status"), "ok");
        tickets[i] = s_num(j, "ticket");
        cJSON_Delete(j);
        free(o);
    }
    char *o = s_open_json("lim-3", "USDJPY", "BUY", 0.01, (long long)h_now_ms(), s_key);
    s_expect_error(s_call(o), "REJECTED", "RISK_REJECTED", "positions");
    free(o);
    for (int i = 0; i < 3; i++) {
        snprintf(id, sizeof id, "lim-close-%d", i);
        char *c = s_close_json(id, (long long)tickets[i], NULL, (long long)h_now_ms());
        cJSON *j = s_call(c);
        assert_string_equal(s_str(j, "status"), "ok");
        cJSON_Delete(j);
        free(c);
    }
}

/* Section 3 bad input: each gets one reply naming the problem. */
static void test_gateway__bad_requests_get_one_reply_each(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        size_t len; /* 0 = strlen */
        const char *status;
        const char *code;
        const char *fragment;
    } cases[] = {
        {"{\"action\":", 0, "error", "BAD_REQUEST", "JSON"},
        {"[1,2]", 0, "error", "BAD_REQUEST", "object"},
        {"{\"action\":42}", 0, "error", "BAD_REQUEST", "action"},
        {"{\"action\":\"PING\",\"ts\":\"now\"}", 0, "error", "BAD_REQUEST", "ts"},
        {"{\"action\":\"CLOSE\",\"req_id\":\"b1\",\"ticket\":-4}", 0, "error", "BAD_REQUEST",
         "ticket"},
        {"{\"action\":\"OPEN\",\"req_id\":\"b2\",\"symbol\":\"EURUSD\",\"side\":\"BUY\","
         "\"volume\":0}",
         0, "error", "BAD_REQUEST", "volume"},
        {"{\"action\":\"OPEN\",\"symbol\":\"EURUSD\",\"side\":\"BUY\",\"volume\":1}", 0, "error",
         "BAD_REQUEST", "req_id"},
        {"{\"action\":\"PING\",\"req_id\":\"has space\"}", 0, "error", "BAD_REQUEST", "req_id"},
        {"{\"action\":\"PING\",\"note\":\"\xff\xfe\"}", 0, "error", "BAD_REQUEST", "UTF-8"},
        {"\x00\x01\x02\xff\x80garbage", 10, "error", "BAD_REQUEST", NULL},
        {"{\"action\":\"TRADE\"}", 0, "error", "UNKNOWN_ACTION", "TRADE"},
        {"{\"v\":2,\"action\":\"PING\"}", 0, "error", "UNSUPPORTED_VERSION", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].body);
        cJSON *j = s_call_raw(cases[i].body, len);
        assert_string_equal(s_str(j, "status"), cases[i].status);
        assert_string_equal(s_str(j, "error_code"), cases[i].code);
        const char *msg = s_str(j, "message");
        if (cases[i].fragment && (!msg || !strstr(msg, cases[i].fragment)))
            fail_msg("case %zu: message '%s' lacks '%s'", i, msg ? msg : "(none)",
                     cases[i].fragment);
        cJSON_Delete(j);
    }
    /* The empty frame. */
    s_expect_error(s_call_raw("", 0), "error", "BAD_REQUEST", "empty");
    /* A valid req_id is echoed on an error. */
    cJSON *j = s_call("{\"action\":\"OPEN\",\"req_id\":\"echo-me\",\"side\":\"BUY\"}");
    assert_string_equal(s_str(j, "req_id"), "echo-me");
    s_expect_error(j, "error", "BAD_REQUEST", NULL);
}

static void test_gateway__size_limits(void **state)
{
    (void)state;
    /* 65,536 bytes is allowed, 65,537 is TOO_LARGE. */
    size_t max = 65536;
    char *body = malloc(max + 2);
    memset(body, ' ', max + 1);
    memcpy(body, "{\"action\":\"PING\"", 16);
    body[max - 1] = '}';
    cJSON *j = s_call_raw(body, max);
    assert_string_equal(s_str(j, "status"), "ok");
    cJSON_Delete(j);
    body[max - 1] = ' ';
    body[max] = '}';
    s_expect_error(s_call_raw(body, max + 1), "error", "TOO_LARGE", NULL);
    free(body);

    /* More than 1 MiB in one frame drops that peer, and only that peer. */
    void *d = zmq_socket(s_ctx, ZMQ_DEALER);
    int zero = 0, timeout = 500;
    zmq_setsockopt(d, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(d, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    assert_int_equal(zmq_connect(d, s_gw.endpoint), 0);
    size_t huge = 1024 * 1024 + 16;
    char *blob = calloc(1, huge);
    zmq_send(d, "", 0, ZMQ_SNDMORE);
    zmq_send(d, blob, huge, 0);
    char buf[64];
    assert_int_equal(zmq_recv(d, buf, sizeof buf, 0), -1);
    free(blob);
    zmq_close(d);
    size_t n;
    char *reply = h_request(s_gw.endpoint, "Hello", 5, &n, 3000);
    assert_non_null(reply);
    assert_string_equal(reply, "OK_FROM_MT5");
    free(reply);
}

static void test_gateway__dealer_envelopes(void **state)
{
    (void)state;
    void *d = zmq_socket(s_ctx, ZMQ_DEALER);
    int zero = 0, timeout = 3000;
    zmq_setsockopt(d, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(d, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    assert_int_equal(zmq_connect(d, s_gw.endpoint), 0);
    char buf[512];
    /* With the empty delimiter, as REQ would send. */
    zmq_send(d, "", 0, ZMQ_SNDMORE);
    zmq_send(d, "Hello", 5, 0);
    assert_int_equal(zmq_recv(d, buf, sizeof buf, 0), 0);
    assert_int_equal(zmq_recv(d, buf, sizeof buf, 0), 11);
    assert_memory_equal(buf, "OK_FROM_MT5", 11);
    /* Without it: the reply comes back without it. */
    zmq_send(d, "Hello", 5, 0);
    assert_int_equal(zmq_recv(d, buf, sizeof buf, 0), 11);
    /* Two body frames: one reply, BAD_REQUEST. */
    zmq_send(d, "", 0, ZMQ_SNDMORE);
    zmq_send(d, "{}", 2, ZMQ_SNDMORE);
    zmq_send(d, "{}", 2, 0);
    assert_int_equal(zmq_recv(d, buf, sizeof buf, 0), 0);
    int n = zmq_recv(d, buf, sizeof buf - 1, 0);
    assert_true(n > 0);
    buf[n] = '\0';
    assert_non_null(strstr(buf, "\"BAD_REQUEST\""));
    assert_non_null(strstr(buf, "exactly one frame"));
    int more = 0;
    size_t ml = sizeof more;
    zmq_getsockopt(d, ZMQ_RCVMORE, &more, &ml);
    assert_int_equal(more, 0);
    zmq_close(d);
}

static void test_gateway__heartbeat_at_least_once_a_second(void **state)
{
    (void)state;
    void *sub = zmq_socket(s_ctx, ZMQ_SUB);
    int zero = 0, timeout = 2000;
    zmq_setsockopt(sub, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(sub, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "HEARTBEAT", 9);
    zmq_connect(sub, s_gw.stream);
    double last_time = 0, last_seq = 0;
    for (int i = 0; i < 3; i++) {
        char topic[32], body[1024];
        int tn = zmq_recv(sub, topic, sizeof topic, 0);
        assert_int_equal(tn, 9);
        int bn = zmq_recv(sub, body, sizeof body - 1, 0);
        assert_true(bn > 0);
        body[bn] = '\0';
        cJSON *j = cJSON_Parse(body);
        double t = s_num(j, "time_ms"), seq = s_num(j, "seq");
        assert_string_equal(s_str(j, "boot_id"), s_gw.boot_id);
        if (last_time > 0) {
            assert_true(t - last_time <= 1000);
            assert_true(seq > last_seq);
        }
        last_time = t;
        last_seq = seq;
        cJSON_Delete(j);
    }
    zmq_close(sub);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gateway__hello_handshake_is_exact),
        cmocka_unit_test(test_gateway__ping_echoes_ts_and_req_id),
        cmocka_unit_test(test_gateway__get_account_starts_from_the_paper_defaults),
        cmocka_unit_test(test_gateway__order_lifecycle),
        cmocka_unit_test(test_gateway__retry_after_expiry_is_a_duplicate),
        cmocka_unit_test(test_gateway__signature_errors),
        cmocka_unit_test(test_gateway__risk_ticket_and_backend_errors),
        cmocka_unit_test(test_gateway__position_limit),
        cmocka_unit_test(test_gateway__bad_requests_get_one_reply_each),
        cmocka_unit_test(test_gateway__size_limits),
        cmocka_unit_test(test_gateway__dealer_envelopes),
        cmocka_unit_test(test_gateway__heartbeat_at_least_once_a_second),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
