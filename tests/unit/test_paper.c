/*  test_paper.c - the paper-trading backend: options, the price model,
 *  OPEN, CLOSE, margin, marking to market and determinism.
 *
 *  Expected prices and amounts were computed independently of this code
 *  with a Python model of docs/paper.md (C-style round half away from zero):
 *
 *      def fnv(s): h = 2166136261; for b in s.encode(): h = ((h ^ b) * 16777619) & 0xffffffff
 *      def rt(x, d): p = 10.0 ** d; return math.copysign(math.floor(abs(x) * p + 0.5), x) / p
 *      def quote(k, s): base, d = table.get(s, (1.0 + (fnv(s) % 99000) / 1000.0, 5))
 *          mid = base * (1 + 0.001 * math.sin(0.7 * k + (fnv(s) % 628) / 100.0))
 *          return rt(mid - base * 0.0001 / 2, d), rt(mid + base * 0.0001 / 2, d)
 *
 *  Quotes it gives (bid, ask):
 *      k=0  EURUSD 1.08513 1.08524   GBPUSD 1.26981 1.26994   XAUUSD 1999.96 2000.16
 *           USDJPY 149.907 149.922   BTCUSD 40000.46 40004.46 FOO.x  6.91155 6.91224
 *      k=1  EURUSD 1.08578 1.08588   GBPUSD 1.26903 1.26915   XAUUSD 1998.66 1998.86
 *      k=2  EURUSD 1.08603 1.08614   k=3 EURUSD 1.08578 1.08588   k=4 XAUUSD 1999.17 1999.37
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mt5/backend.h"
#include "mt5/error.h"
#include "mt5/paper.h"

/* Prices and amounts are compared as doubles to 1e-9 (cmocka's
 * assert_float_equal goes through float, which cannot tell cents apart at
 * 10000 reliably). */
#define EPS 1e-9
#define assert_near(a, b) s_assert_near((a), (b), #a, __FILE__, __LINE__)

static void s_assert_near(double a, double b, const char *expr, const char *file, int line)
{
    if (!(fabs(a - b) <= EPS)) {
        print_error("%s is %.10f, expected %.10f\n", expr, a, b);
        _fail(file, line);
    }
}

static mt5_request_t s_open_req(const char *symbol, mt5_side side, double volume)
{
    mt5_request_t req = {.action = MT5_ACTION_OPEN, .side = side, .volume = volume};
    req.has = MT5_HAS_REQ_ID | MT5_HAS_SYMBOL | MT5_HAS_SIDE | MT5_HAS_VOLUME;
    snprintf(req.req_id, sizeof req.req_id, "r-%s", symbol);
    snprintf(req.symbol, sizeof req.symbol, "%s", symbol);
    return req;
}

static mt5_request_t s_close_req(int64_t ticket)
{
    mt5_request_t req = {.action = MT5_ACTION_CLOSE, .ticket = ticket};
    req.has = MT5_HAS_REQ_ID | MT5_HAS_TICKET;
    snprintf(req.req_id, sizeof req.req_id, "c-%lld", (long long)ticket);
    return req;
}

static mt5_request_t s_close_part(int64_t ticket, double volume)
{
    mt5_request_t req = s_close_req(ticket);
    req.has |= MT5_HAS_VOLUME;
    req.volume = volume;
    return req;
}

/* Open and expect success. */
static mt5_fill_t s_open_ok(mt5_backend_t *paper, mt5_request_t req)
{
    mt5_fill_t fill = {0};
    char msg[MT5_MESSAGE_MAX] = "";
    assert_int_equal(mt5_backend_open(paper, &req, &fill, msg, sizeof msg), MT5_WIRE_OK);
    assert_string_equal(msg, "");
    return fill;
}

static mt5_close_t s_close_ok(mt5_backend_t *paper, mt5_request_t req)
{
    mt5_close_t out = {0};
    char msg[MT5_MESSAGE_MAX] = "";
    assert_int_equal(mt5_backend_close(paper, &req, &out, msg, sizeof msg), MT5_WIRE_OK);
    assert_string_equal(msg, "");
    return out;
}

static void s_assert_account(mt5_backend_t *paper, double balance, double equity, double margin,
                             double free_margin)
{
    mt5_account_t account;
    memset(&account, 0xAB, sizeof account);
    assert_int_equal(mt5_backend_account(paper, &account), MT5_OK);
    assert_near(account.balance, balance);
    assert_near(account.equity, equity);
    assert_near(account.margin, margin);
    assert_near(account.free_margin, free_margin);
}

static size_t s_positions(mt5_backend_t *paper, const mt5_position_t **list)
{
    size_t count = 12345;
    assert_int_equal(mt5_backend_positions(paper, list, &count), MT5_OK);
    return count;
}

static void test_paper__defaults_account(void **state)
{
    (void)state;
    mt5_backend_t *paper = mt5_paper_new(NULL);
    assert_non_null(paper);
    assert_string_equal(mt5_backend_name(paper), "paper");
    mt5_account_t account;
    assert_int_equal(mt5_backend_account(paper, &account), MT5_OK);
    assert_int_equal(account.login, 1000001);
    assert_near(account.balance, 10000.0);
    assert_near(account.equity, 10000.0);
    assert_near(account.margin, 0.0);
    assert_near(account.free_margin, 10000.0);
    assert_string_equal(account.currency, "USD");
    assert_int_equal(account.leverage, 100);
    const mt5_position_t *list = NULL;
    assert_int_equal(s_positions(paper, &list), 0);
    mt5_backend_destroy(&paper);
    assert_null(paper);
}

static void test_paper__options_custom(void **state)
{
    (void)state;
    mt5_paper_options options = {MT5_PAPER_OPTIONS_VERSION, 42, 500.5, "ABCDEFG", 1000};
    mt5_backend_t *paper = mt5_paper_new(&options);
    assert_non_null(paper);
    mt5_account_t account;
    assert_int_equal(mt5_backend_account(paper, &account), MT5_OK);
    assert_int_equal(account.login, 42);
    assert_near(account.balance, 500.5);
    assert_string_equal(account.currency, "ABCDEFG");
    assert_int_equal(account.leverage, 1000);
    mt5_backend_destroy(&paper);

    /* Leverage 1: 0.01 lot EURUSD at 1.08524 needs the full 1085.24. */
    mt5_paper_options one = {MT5_PAPER_OPTIONS_VERSION, 7, 2000.0, "EUR", 1};
    paper = mt5_paper_new(&one);
    assert_non_null(paper);
    s_open_ok(paper, s_open_req("EURUSD", MT5_SIDE_BUY, 0.01));
    /* k=1: profit (1.08578 - 1.08524) * 1000 = 0.54 */
    s_assert_account(paper, 2000.0, 2000.54, 1085.24, 915.30);
    mt5_backend_destroy(&paper);
}

static void test_paper__options_bad(void **state)
{
    (void)state;
    struct {
        mt5_paper_options options;
        const char *detail;
    } rows[] = {
        {{2, 1, 10000.0, "USD", 100}, "paper: options version 2, expected 1"},
        {{1, 0, 10000.0, "USD", 100}, "paper: login must be > 0, got 0"},
        {{1, -5, 10000.0, "USD", 100}, "paper: login must be > 0, got -5"},
        {{1, 1, 0.0, "USD", 100}, "paper: balance must be > 0 and <= 1000000000000, got 0"},
        {{1, 1, -1.0, "USD", 100}, "paper: balance must be > 0 and <= 1000000000000, got -1"},
        {{1, 1, NAN, "USD", 100}, "paper: balance must be > 0 and <= 1000000000000, got nan"},
        {{1, 1, INFINITY, "USD", 100}, "paper: balance must be > 0 and <= 1000000000000, got inf"},
        {{1, 1, 2e12, "USD", 100}, "paper: balance must be > 0 and <= 1000000000000, got 2e+12"},
        {{1, 1, 10000.0, "USD", 0}, "paper: leverage must be 1..1000, got 0"},
        {{1, 1, 10000.0, "USD", 1001}, "paper: leverage must be 1..1000, got 1001"},
        {{1, 1, 10000.0, "US", 100},
         "paper: currency must be 3 to 7 upper-case letters, got \"US\""},
        {{1, 1, 10000.0, "usd", 100},
         "paper: currency must be 3 to 7 upper-case letters, got \"usd\""},
        {{1, 1, 10000.0, "US1", 100},
         "paper: currency must be 3 to 7 upper-case letters, got \"US1\""},
        {{1, 1, 10000.0, "", 100}, "paper: currency must be 3 to 7 upper-case letters, got \"\""},
        {{1, 1, 10000.0, {'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'}, 100},
         "paper: currency must be 3 to 7 upper-case letters, got \"ABCDEFGH\""},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        mt5_error_clear();
        mt5_backend_t *paper = mt5_paper_new(&rows[i].options);
        assert_null(paper);
        assert_string_equal(mt5_error_detail(), rows[i].detail);
    }
}

static void test_paper__open_market_buy(void **state)
{
    (void)state;
    mt5_backend_t *paper = mt5_paper_new(NULL);
    assert_non_null(paper);
    mt5_fill_t fill = s_open_ok(paper, s_open_req("EURUSD", MT5_SIDE_BUY, 0.1));
    assert_int_equal(fill.ticket, 1);
    assert_string_equal(fill.symbol, "EURUSD");
    assert_int_equal(fill.side, MT5_SIDE_BUY);
    assert_near(fill.volume, 0.1);
    assert_near(fill.price, 1.08524);            /* the ask at k=0 */
    assert_true(fill.time_ms > 1700000000000LL); /* wall clock, after Nov 2023 */
    /* margin 0.1 * 100000 * 1.08524 / 100 = 108.524 -> 108.52; at k=1 the
     * position is worth (1.08578 - 1.08524) * 10000 = 5.40. */
    s_assert_account(paper, 10000.0, 10005.40, 108.52, 9896.88);

    const mt5_position_t *list = NULL;
    assert_int_equal(s_positions(paper, &list), 1);
    assert_int_equal(list[0].ticket, 1);
    assert_string_equal(list[0].symbol, "EURUSD");
    assert_int_equal(list[0].side, MT5_SIDE_BUY);
    assert_near(list[0].volume, 0.1);
    assert_near(list[0].open_price, 1.08524);
    assert_near(list[0].sl, 0.0);
    assert_near(list[0].tp, 0.0);
    assert_near(list[0].profit, 5.40);
    mt5_backend_destroy(&paper);
}

static void test_paper__open_market_sell_fills_at_bid(void **state)
{
    (void)state;
    mt5_backend_t *paper = mt5_paper_new(NULL);
    assert_non_null(paper);
    mt5_request_t req = s_open_req("XAUUSD", MT5_SIDE_SELL, 0.01);
    req.has |= MT5_HAS_PRICE; /* price 0 is "market" too */
    mt5_fill_t fill = s_open_ok(paper, req);
    assert_int_equal(fill.ticket, 1);
    assert_int_equal(fill.side, MT5_SIDE_SELL);
    assert_near(fill.price, 1999.96); /* the bid at k=0 */
    /* margin 0.01 * 100 * 1999.96 / 100 = 19.9996 -> 20.00; at k=1 a SELL
     * is worth (1999.96 - 1998.86) * 1 = 1.10. */
    s_assert_account(paper, 10000.0, 10001.10, 20.00, 9981.10);
    mt5_backend_destroy(&paper);
}

static void test_paper__open_explicit_price_fills_at_it(void **state)
{
    (void)state;
    mt5_backend_t *paper = mt5_paper_new(NULL);
    assert_non_null(paper);
    mt5_request_t req = s_open_req("GBPUSD", MT5_SIDE_SELL, 0.2);
    req.has |= MT5_HAS_PRICE | MT5_HAS_SL | MT5_HAS_TP;
    req.price = 1.25;
    req.sl = 1.3;
    req.tp = 1.2;
    mt5_fill_t fill = s_open_ok(paper, req);
    assert_int_equal(fill.ticket, 1);
    assert_near(fill.price, 1.25);
    /* margin 0.2 * 100000 * 1.25 / 100 = 250; at k=1 the SELL is worth
     * (1.25 - 1.26915) * 20000 = -383.00. */
    s_assert_account(paper, 10000.0, 9617.0, 250.0, 9367.0);
    const mt5_position_t *list = NULL;
    assert_int_equal(s_positions(paper, &list), 1);
    assert_near(list[0].open_price, 1.25);
    assert_near(list[0].sl, 1.3);
    assert_near(list[0].tp, 1.2);
    assert_near(list[0].profit, -383.0);
    mt5_backend_destroy(&paper);
}

static void test_paper__close_partial_then_whole(void **state)
{
    (void)state;
    mt5_backend_t *paper = mt5_paper_new(NULL);
    assert_non_null(paper);
    mt5_fill_t buy = s_open_ok(paper, s_open_req("EURUSD", MT5_SIDE_BUY, 0.3));
    mt5_fill_t sell = s_open_ok(paper, s_open_req("XAUUSD", MT5_SIDE_SELL, 0.5));
    assert_int_equal(buy.ticket, 1);
    assert_near(buy.price, 1.08524); /* ask, k=0 */
    assert_int_equal(sell.ticket, 2);
    assert_near(sell.price, 1998.66); /* bid, k=1 */
    /* k=2: EURUSD (1.08603 - 1.08524) * 30000 = 23.70; XAUUSD
     * (1998.66 - 1998.14) * 50 = 26.00; margin 325.572 + 999.33 = 1324.90 */
    s_assert_account(paper, 10000.0, 10049.70, 1324.90, 8724.80);

    /* Partial: 0.1 of ticket 1 at the k=2 bid. */
    mt5_close_t out = s_close_ok(paper, s_close_part(1, 0.1));
    assert_int_equal(out.ticket, 1);
    assert_near(out.volume, 0.1);
    assert_near(out.price, 1.08603);
    assert_near(out.profit, 7.90); /* 0.00079 * 10000 */
    /* k=3: 0.2 EURUSD worth 10.80, XAUUSD 16.00 */
    s_assert_account(paper, 10007.90, 10034.70, 1216.38, 8818.32);
    const mt5_position_t *list = NULL;
    assert_int_equal(s_positions(paper, &list), 2);
    assert_int_equal(list[0].ticket, 1);
    assert_true(list[0].volume == 0.2); /* exactly: the remainder is kept to 8 decimals */
    assert_near(list[0].profit, 10.80);
    assert_int_equal(list[1].ticket, 2);
    assert_near(list[1].profit, 16.00);

    /* Whole: the remaining 0.2 at the k=3 bid. */
    out = s_close_ok(paper, s_close_req(1));
    assert_int_equal(out.ticket, 1);
    assert_near(out.volume, 0.2);
    assert_near(out.price, 1.08578);
    assert_near(out.profit, 10.80);
    s_assert_account(paper, 10018.70, 9983.20, 999.33, 8983.87);

    /* A SELL closes at the ask; a volume equal to the position is whole. */
    out = s_close_ok(paper, s_close_part(2, 0.5));
    assert_int_equal(out.ticket, 2);
    assert_near(out.volume, 0.5);
    assert_near(out.price, 1999.37);
    assert_near(out.profit, -35.50); /* (1998.66 - 1999.37) * 50 */
    s_assert_account(paper, 9983.20, 9983.20, 0.0, 9983.20);
    assert_int_equal(s_positions(paper, &list), 0);

    /* k=5: 10 lots XAUUSD at the ask 2000.74 need 20007.40. */
    mt5_request_t big = s_open_req("XAUUSD", MT5_SIDE_BUY, 10.0);
    mt5_fill_t fill = {.ticket = -1};
    char msg[MT5_MESSAGE_MAX] = "";
    assert_int_equal(mt5_backend_open(paper, &big, &fill, msg, sizeof msg), MT5_WIRE_RISK_REJECTED);
    assert_string_equal(msg, "insufficient free margin: need 20007.40, have 9983.20");

    /* Tickets keep rising after closes. */
    assert_int_equal(s_open_ok(paper, s_open_req("EURUSD", MT5_SIDE_BUY, 0.01)).ticket, 3);
    mt5_backend_destroy(&paper);
}

static void test_paper__close_volume_within_epsilon_is_whole(void **state)
{
    (void)state;
    mt5_backend_t *paper = mt5_paper_new(NULL);
    assert_non_null(paper);
    s_open_ok(paper, s_open_req("EURUSD", MT5_SIDE_BUY, 0.1));
    mt5_close_t out = s_close_ok(paper, s_close_part(1, 0.1 + 5e-10));
    assert_true(out.volume == 0.1); /* the position's volume, not the request's */
    const mt5_position_t *list = NULL;
    assert_int_equal(s_positions(paper, &list), 0);
    mt5_backend_destroy(&paper);
}

static void test_paper__close_unknown_ticket(void **state)
{
    (void)state;
    mt5_backend_t *paper = mt5_paper_new(NULL);
    assert_non_null(paper);
    mt5_close_t out = {.ticket = -1};
    char msg[MT5_MESSAGE_MAX] = "";
    mt5_request_t req = s_close_req(7);
    assert_int_equal(mt5_backend_close(paper, &req, &out, msg, sizeof msg),
                     MT5_WIRE_UNKNOWN_TICKET);
    assert_string_equal(msg, "ticket 7 is not open");
    assert_int_equal(out.ticket, -1); /* untouched */

    /* A closed ticket is no longer open either. */
    s_open_ok(paper, s_open_req("EURUSD", MT5_SIDE_BUY, 0.1));
    s_close_ok(paper, s_close_req(1));
    req = s_close_req(1);
    assert_int_equal(mt5_backend_close(paper, &req, &out, msg, sizeof msg),
                     MT5_WIRE_UNKNOWN_TICKET);
    assert_string_equal(msg, "ticket 1 is not open");
    mt5_backend_destroy(&paper);
}

static void test_paper__close_volume_too_large(void **state)
{
    (void)state;
    mt5_backend_t *paper = mt5_paper_new(NULL);
    assert_non_null(paper);
    s_open_ok(paper, s_open_req("EURUSD", MT5_SIDE_BUY, 0.1));
    double bid, ask;
    mt5_paper_quote(paper, "EURUSD", &bid, &ask);
    mt5_close_t out = {.ticket = -1};
    char msg[MT5_MESSAGE_MAX] = "";
    mt5_request_t req = s_close_part(1, 0.2);
    assert_int_equal(mt5_backend_close(paper, &req, &out, msg, sizeof msg), MT5_WIRE_RISK_REJECTED);
    assert_string_equal(msg, "close volume 0.2 exceeds position volume 0.1");
    assert_int_equal(out.ticket, -1);
    /* Nothing moved: same position, same balance, same tick. */
    s_assert_account(paper, 10000.0, 10005.40, 108.52, 9896.88);
    double bid2, ask2;
    mt5_paper_quote(paper, "EURUSD", &bid2, &ask2);
    assert_true(bid2 == bid && ask2 == ask);
    const mt5_position_t *list = NULL;
    assert_int_equal(s_positions(paper, &list), 1);
    assert_true(list[0].volume == 0.1);
    mt5_backend_destroy(&paper);
}

static void test_paper__margin_rejection_changes_nothing(void **state)
{
    (void)state;
    mt5_backend_t *paper = mt5_paper_new(NULL);
    assert_non_null(paper);
    mt5_fill_t fill = {.ticket = -1};
    char msg[MT5_MESSAGE_MAX] = "";
    /* 10 lots XAUUSD at the k=0 ask: 10 * 100 * 2000.16 / 100 = 20001.60 */
    mt5_request_t req = s_open_req("XAUUSD", MT5_SIDE_BUY, 10.0);
    assert_int_equal(mt5_backend_open(paper, &req, &fill, msg, sizeof msg), MT5_WIRE_RISK_REJECTED);
    assert_string_equal(msg, "insufficient free margin: need 20001.60, have 10000.00");
    assert_int_equal(fill.ticket, -1);
    /* No room for a message is fine too: the code still says why. */
    assert_int_equal(mt5_backend_open(paper, &req, &fill, NULL, 0), MT5_WIRE_RISK_REJECTED);
    s_assert_account(paper, 10000.0, 10000.0, 0.0, 10000.0);
    const mt5_position_t *list = NULL;
    assert_int_equal(s_positions(paper, &list), 0);
    /* The tick did not advance (still the k=0 quote) and no ticket was used. */
    double bid, ask;
    mt5_paper_quote(paper, "EURUSD", &bid, &ask);
    assert_near(ask, 1.08524);
    assert_int_equal(s_open_ok(paper, s_open_req("EURUSD", MT5_SIDE_BUY, 0.1)).ticket, 1);

    /* With a position open, the free margin it leaves is what counts:
     * at k=1, 10 * 100 * 1998.86 / 100 = 19988.60 against 9896.88. */
    assert_int_equal(mt5_backend_open(paper, &req, &fill, msg, sizeof msg), MT5_WIRE_RISK_REJECTED);
    assert_string_equal(msg, "insufficient free margin: need 19988.60, have 9896.88");
    s_assert_account(paper, 10000.0, 10005.40, 108.52, 9896.88);

    /* A price so large that the margin is infinite is refused, not filled. */
    req.has |= MT5_HAS_PRICE;
    req.price = 1e308;
    assert_int_equal(mt5_backend_open(paper, &req, &fill, msg, sizeof msg), MT5_WIRE_RISK_REJECTED);
    assert_string_equal(msg, "insufficient free margin: need inf, have 9896.88");
    assert_int_equal(s_positions(paper, &list), 1);
    mt5_backend_destroy(&paper);
}

/* A fixed mixed sequence; returns the fills and closes it produced. */
static void s_run_sequence(mt5_backend_t *paper, mt5_fill_t fills[6], mt5_close_t closes[3])
{
    static const char *const symbols[] = {"EURUSD", "XAUUSD", "BTCUSD",
                                          "USDJPY", "ABC.x",  "GBPUSD"};
    for (int i = 0; i < 6; i++) {
        mt5_side side = i % 2 ? MT5_SIDE_SELL : MT5_SIDE_BUY;
        double volume = strcmp(symbols[i], "BTCUSD") == 0 ? 0.5 : 0.01;
        fills[i] = s_open_ok(paper, s_open_req(symbols[i], side, volume));
        fills[i].time_ms = 0; /* wall time is not part of the model */
    }
    closes[0] = s_close_ok(paper, s_close_part(3, 0.2));
    closes[1] = s_close_ok(paper, s_close_req(2));
    closes[2] = s_close_ok(paper, s_close_req(5));
}

static void test_paper__deterministic(void **state)
{
    (void)state;
    mt5_backend_t *a = mt5_paper_new(NULL);
    mt5_backend_t *b = mt5_paper_new(NULL);
    assert_non_null(a);
    assert_non_null(b);
    mt5_fill_t fills_a[6], fills_b[6];
    mt5_close_t closes_a[3], closes_b[3];
    memset(fills_a, 0, sizeof fills_a);
    memset(fills_b, 0xFF, sizeof fills_b);
    memset(closes_a, 0, sizeof closes_a);
    memset(closes_b, 0xFF, sizeof closes_b);
    s_run_sequence(a, fills_a, closes_a);
    s_run_sequence(b, fills_b, closes_b);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(fills_a[i].ticket, i + 1);
        assert_int_equal(fills_b[i].ticket, i + 1);
        assert_string_equal(fills_a[i].symbol, fills_b[i].symbol);
        assert_true(fills_a[i].price == fills_b[i].price);
        assert_true(fills_a[i].volume == fills_b[i].volume);
    }
    for (int i = 0; i < 3; i++) {
        assert_int_equal(closes_a[i].ticket, closes_b[i].ticket);
        assert_true(closes_a[i].price == closes_b[i].price);
        assert_true(closes_a[i].profit == closes_b[i].profit);
        assert_true(closes_a[i].volume == closes_b[i].volume);
    }
    /* And the sequence lands where the model says: BTCUSD 0.5 BUY at the
     * k=2 ask, 0.2 of it closed at the k=6 bid; XAUUSD 0.01 SELL closed at
     * the k=7 ask; ABC.x (base 57.38, from its hash) 0.01 BUY at the k=8 bid. */
    assert_near(fills_a[2].price, 39963.08);
    assert_near(fills_a[4].price, 57.38044);
    assert_near(closes_a[0].price, 40031.59);
    assert_near(closes_a[0].profit, 13.70); /* (40031.59 - 39963.08) * 0.2 */
    assert_near(closes_a[1].price, 2002.08);
    assert_near(closes_a[1].profit, -3.42); /* (1998.66 - 2002.08) * 1 */
    assert_near(closes_a[2].price, 57.35269);
    assert_near(closes_a[2].profit, -27.75); /* (57.35269 - 57.38044) * 1000 */
    s_assert_account(a, 9982.53, 10212.03, 1644.87, 8567.16);
    mt5_account_t acc_a, acc_b;
    assert_int_equal(mt5_backend_account(a, &acc_a), MT5_OK);
    assert_int_equal(mt5_backend_account(b, &acc_b), MT5_OK);
    assert_true(memcmp(&acc_a, &acc_b, sizeof acc_a) == 0);
    mt5_backend_destroy(&a);
    mt5_backend_destroy(&b);
}

static void test_paper__reads_do_not_move_prices(void **state)
{
    (void)state;
    mt5_backend_t *paper = mt5_paper_new(NULL);
    assert_non_null(paper);
    double bid, ask;
    mt5_paper_quote(paper, "USDJPY", &bid, &ask);
    assert_near(bid, 149.907);
    assert_near(ask, 149.922);
    mt5_account_t account;
    const mt5_position_t *list;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(mt5_backend_account(paper, &account), MT5_OK);
        s_positions(paper, &list);
    }
    mt5_paper_quote(paper, "USDJPY", &bid, &ask);
    assert_near(bid, 149.907);
    assert_near(ask, 149.922);
    mt5_paper_quote(paper, "BTCUSD", &bid, &ask);
    assert_near(bid, 40000.46);
    assert_near(ask, 40004.46);
    /* One execution moves every symbol to k=1. */
    s_open_ok(paper, s_open_req("EURUSD", MT5_SIDE_BUY, 0.01));
    mt5_paper_quote(paper, "USDJPY", &bid, &ask);
    assert_near(bid, 150.007);
    assert_near(ask, 150.022);
    mt5_backend_destroy(&paper);
}

static void test_paper__unknown_symbol_is_priced_from_its_name(void **state)
{
    (void)state;
    /* fnv1a("FOO.x") = 3278786905: base 1 + 5905 / 1000 = 6.905, phase 1.61 */
    mt5_backend_t *paper = mt5_paper_new(NULL);
    mt5_backend_t *other = mt5_paper_new(NULL);
    assert_non_null(paper);
    assert_non_null(other);
    double bid, ask, bid2, ask2;
    mt5_paper_quote(paper, "FOO.x", &bid, &ask);
    mt5_paper_quote(other, "FOO.x", &bid2, &ask2);
    assert_near(bid, 6.91155);
    assert_near(ask, 6.91224);
    assert_true(bid == bid2 && ask == ask2);
    mt5_fill_t fill = s_open_ok(paper, s_open_req("FOO.x", MT5_SIDE_BUY, 0.01));
    assert_near(fill.price, 6.91224);
    /* margin 0.01 * 100000 * 6.91224 / 100 = 69.1224 -> 69.12; at k=1 the bid
     * is 6.90976: (6.90976 - 6.91224) * 1000 = -2.48 */
    s_assert_account(paper, 10000.0, 9997.52, 69.12, 9928.40);
    mt5_backend_destroy(&paper);
    mt5_backend_destroy(&other);
}

static void test_paper__quote_bad_input_gives_zero(void **state)
{
    (void)state;
    mt5_backend_t *paper = mt5_paper_new(NULL);
    assert_non_null(paper);
    static const char *const symbols[] = {"", "EUR/USD", "EUR USD",
                                          "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456"};
    for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
        double bid = -1, ask = -1;
        mt5_paper_quote(paper, symbols[i], &bid, &ask);
        assert_true(bid == 0.0 && ask == 0.0);
    }
    double bid = -1, ask = -1;
    mt5_paper_quote(paper, NULL, &bid, &ask);
    assert_true(bid == 0.0 && ask == 0.0);
    bid = ask = -1;
    mt5_paper_quote(NULL, "EURUSD", &bid, &ask);
    assert_true(bid == 0.0 && ask == 0.0);
    mt5_paper_quote(paper, "EURUSD", NULL, NULL); /* nowhere to write: fine */
    mt5_paper_quote(paper, "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", &bid, &ask); /* 32: valid */
    assert_near(bid, 61.88107); /* the header's Python model */
    assert_near(ask, 61.88726);
    mt5_backend_destroy(&paper);
}

static void test_paper__contract_size(void **state)
{
    (void)state;
    struct {
        const char *symbol;
        double size;
    } rows[] = {
        {"EURUSD", 100000.0}, {"GBPUSD", 100000.0}, {"USDJPY", 100000.0}, {"XAUUSD", 100.0},
        {"BTCUSD", 1.0},      {"FOO.x", 100000.0},  {"xauusd", 100000.0}, {NULL, 0.0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        assert_true(mt5_paper_contract_size(rows[i].symbol) == rows[i].size);
}

static void test_paper__bad_request_fields(void **state)
{
    (void)state;
    mt5_backend_t *paper = mt5_paper_new(NULL);
    assert_non_null(paper);
    struct {
        const char *symbol;
        mt5_side side;
        double volume;
        unsigned has;
        double value; /* price, sl or tp, whichever `has` names */
        const char *msg;
    } rows[] = {
        {"", MT5_SIDE_BUY, 0.1, 0, 0, "symbol must be 1 to 32 characters of [A-Za-z0-9._#-]"},
        {"EUR/USD", MT5_SIDE_BUY, 0.1, 0, 0,
         "symbol must be 1 to 32 characters of [A-Za-z0-9._#-]"},
        {"EURUSD", MT5_SIDE_NONE, 0.1, 0, 0, "side must be BUY or SELL"},
        {"EURUSD", MT5_SIDE_SELL, 0.0, 0, 0, "volume must be a number > 0"},
        {"EURUSD", MT5_SIDE_SELL, -0.1, 0, 0, "volume must be a number > 0"},
        {"EURUSD", MT5_SIDE_SELL, NAN, 0, 0, "volume must be a number > 0"},
        {"EURUSD", MT5_SIDE_SELL, INFINITY, 0, 0, "volume must be a number > 0"},
        {"EURUSD", MT5_SIDE_BUY, 0.1, MT5_HAS_PRICE, -1.0, "price must be a number >= 0"},
        {"EURUSD", MT5_SIDE_BUY, 0.1, MT5_HAS_PRICE, NAN, "price must be a number >= 0"},
        {"EURUSD", MT5_SIDE_BUY, 0.1, MT5_HAS_SL, INFINITY, "sl must be a number >= 0"},
        {"EURUSD", MT5_SIDE_BUY, 0.1, MT5_HAS_TP, -0.5, "tp must be a number >= 0"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        mt5_request_t req = s_open_req(rows[i].symbol, rows[i].side, rows[i].volume);
        req.has |= rows[i].has;
        req.price = rows[i].has == MT5_HAS_PRICE ? rows[i].value : 0;
        req.sl = rows[i].has == MT5_HAS_SL ? rows[i].value : 0;
        req.tp = rows[i].has == MT5_HAS_TP ? rows[i].value : 0;
        mt5_fill_t fill = {.ticket = -1};
        char msg[MT5_MESSAGE_MAX] = "";
        assert_int_equal(mt5_backend_open(paper, &req, &fill, msg, sizeof msg),
                         MT5_WIRE_BAD_REQUEST);
        assert_string_equal(msg, rows[i].msg);
        assert_int_equal(fill.ticket, -1);
    }
    /* An absent sl/tp is not looked at, whatever the field holds. */
    mt5_request_t req = s_open_req("EURUSD", MT5_SIDE_BUY, 0.1);
    req.sl = -5.0;
    assert_int_equal(s_open_ok(paper, req).ticket, 1);

    static const double volumes[] = {0.0, -1.0, NAN};
    for (size_t i = 0; i < sizeof volumes / sizeof volumes[0]; i++) {
        mt5_close_t out = {.ticket = -1};
        char msg[MT5_MESSAGE_MAX] = "";
        req = s_close_part(1, volumes[i]);
        assert_int_equal(mt5_backend_close(paper, &req, &out, msg, sizeof msg),
                         MT5_WIRE_BAD_REQUEST);
        assert_string_equal(msg, "volume must be a number > 0");
        assert_int_equal(out.ticket, -1);
    }
    const mt5_position_t *list = NULL;
    assert_int_equal(s_positions(paper, &list), 1);
    assert_true(list[0].volume == 0.1);
    mt5_backend_destroy(&paper);
}

static void test_paper__many_positions_grow(void **state)
{
    (void)state;
    mt5_backend_t *paper = mt5_paper_new(NULL);
    assert_non_null(paper);
    for (int i = 1; i <= 50; i++) {
        mt5_side side = i % 3 ? MT5_SIDE_BUY : MT5_SIDE_SELL;
        assert_int_equal(s_open_ok(paper, s_open_req("EURUSD", side, 0.01)).ticket, i);
    }
    /* Close every fifth from the middle; the rest stay in ticket order. */
    for (int t = 5; t <= 50; t += 5)
        assert_int_equal(s_close_ok(paper, s_close_req(t)).ticket, t);
    const mt5_position_t *list = NULL;
    assert_int_equal(s_positions(paper, &list), 40);
    int64_t expected = 1;
    for (size_t i = 0; i < 40; i++, expected++) {
        if (expected % 5 == 0)
            expected++;
        assert_int_equal(list[i].ticket, expected);
        assert_int_equal(list[i].side, expected % 3 ? MT5_SIDE_BUY : MT5_SIDE_SELL);
    }
    mt5_backend_destroy(&paper);
}

static void test_paper__disabled_symbol_refuses_opens_only(void **state)
{
    (void)state;
    mt5_backend_t *paper = mt5_paper_new(NULL);
    mt5_fill_t fill = s_open_ok(paper, s_open_req("US30", MT5_SIDE_BUY, 0.1));
    assert_int_equal(mt5_paper_disable_symbol(paper, "US30"), MT5_OK);
    mt5_request_t req = s_open_req("US30", MT5_SIDE_BUY, 0.1);
    mt5_fill_t again;
    char msg[256] = "";
    assert_int_equal(mt5_backend_open(paper, &req, &again, msg, sizeof msg),
                     MT5_WIRE_BACKEND_ERROR);
    assert_string_equal(msg, "trading is disabled for US30 on this backend");
    const mt5_position_t *list;
    assert_int_equal(s_positions(paper, &list), 1);
    /* Closing stays possible, and other symbols still trade. */
    s_close_ok(paper, s_close_req(fill.ticket));
    s_open_ok(paper, s_open_req("EURUSD", MT5_SIDE_SELL, 0.1));
    assert_int_equal(mt5_paper_disable_symbol(paper, "bad symbol"), MT5_EINVAL);
    assert_int_equal(mt5_paper_disable_symbol(paper, NULL), MT5_EINVAL);
    char name[16];
    for (int i = 1; i < MT5_PAPER_DISABLED_MAX; i++) {
        snprintf(name, sizeof name, "SYM%d", i);
        assert_int_equal(mt5_paper_disable_symbol(paper, name), MT5_OK);
    }
    assert_int_equal(mt5_paper_disable_symbol(paper, "ONEMORE"), MT5_ETOOLARGE);
    mt5_backend_destroy(&paper);
    assert_int_equal(mt5_paper_disable_symbol(NULL, "US30"), MT5_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paper__defaults_account),
        cmocka_unit_test(test_paper__disabled_symbol_refuses_opens_only),
        cmocka_unit_test(test_paper__options_custom),
        cmocka_unit_test(test_paper__options_bad),
        cmocka_unit_test(test_paper__open_market_buy),
        cmocka_unit_test(test_paper__open_market_sell_fills_at_bid),
        cmocka_unit_test(test_paper__open_explicit_price_fills_at_it),
        cmocka_unit_test(test_paper__close_partial_then_whole),
        cmocka_unit_test(test_paper__close_volume_within_epsilon_is_whole),
        cmocka_unit_test(test_paper__close_unknown_ticket),
        cmocka_unit_test(test_paper__close_volume_too_large),
        cmocka_unit_test(test_paper__margin_rejection_changes_nothing),
        cmocka_unit_test(test_paper__deterministic),
        cmocka_unit_test(test_paper__reads_do_not_move_prices),
        cmocka_unit_test(test_paper__unknown_symbol_is_priced_from_its_name),
        cmocka_unit_test(test_paper__quote_bad_input_gives_zero),
        cmocka_unit_test(test_paper__contract_size),
        cmocka_unit_test(test_paper__bad_request_fields),
        cmocka_unit_test(test_paper__many_positions_grow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
