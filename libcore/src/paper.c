/*  paper.c - the paper-trading backend: an account, positions and a price
 *  model, all in memory.
 *
 *  The gateway needs something to execute against before (and instead of)
 *  a real MT5 terminal, and the gate checks need that something to give the
 *  same answers every time. So prices come from a formula, not a feed: each
 *  symbol has a base price, and the quote moves along a sine of a tick
 *  counter that advances once per executed OPEN or CLOSE. No randomness and
 *  no clock go into a price, a ticket or a profit; only a fill's time_ms is
 *  wall time. docs/paper.md gives the formulas and a worked example.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mt5/clock.h"
#include "mt5/error.h"
#include "mt5/paper.h"

/* A close volume may exceed the position by this much (float noise). */
#define S_VOLUME_EPS 1e-9
/* Above this, an amount in cents no longer fits a double exactly. */
#define S_BALANCE_MAX 1e12
#define S_DEFAULT_CONTRACT 100000.0
#define S_INITIAL_CAP 8

typedef struct {
    int64_t login;             /* account number */
    double balance;            /* realised money, account currency */
    char currency[8];          /* 3-7 upper-case letters */
    int64_t leverage;          /* 1..1000 */
    uint64_t tick;             /* k: executed OPENs and CLOSEs so far */
    int64_t next_ticket;       /* ticket of the next OPEN, from 1 */
    mt5_position_t *positions; /* open positions, in ticket order */
    size_t count;              /* used entries of positions */
    size_t cap;                /* allocated entries of positions */
    char disabled[MT5_PAPER_DISABLED_MAX][MT5_SYMBOL_MAX + 1]; /* OPEN refused on these */
    size_t disabled_count;                                     /* used entries of disabled */
} s_paper_t;

/* The symbols the model knows by name; the rest are priced from a hash. */
static const struct {
    const char *name;
    double base;     /* mid price at the centre of the sine */
    int digits;      /* quote decimals */
    double contract; /* units per lot */
} s_symbols[] = {
    {"EURUSD", 1.08500, 5, 100000.0}, {"GBPUSD", 1.27000, 5, 100000.0},
    {"USDJPY", 150.000, 3, 100000.0}, {"XAUUSD", 2000.00, 2, 100.0},
    {"BTCUSD", 40000.00, 2, 1.0},
};

/* 32-bit FNV-1a: tiny, well known and the same on every platform. */
static uint32_t s_fnv1a(const char *text)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        h ^= *p;
        h *= 16777619u;
    }
    return h;
}

static double s_round_to(double x, int digits)
{
    double scale = pow(10.0, digits);
    return round(x * scale) / scale;
}

/* Money is kept in cents so that balances add up the way a statement does. */
static double s_cents(double x)
{
    return s_round_to(x, 2);
}

static int s_symbol_index(const char *symbol)
{
    for (size_t i = 0; i < sizeof s_symbols / sizeof s_symbols[0]; i++)
        if (strcmp(s_symbols[i].name, symbol) == 0)
            return (int)i;
    return -1;
}

/* The quote of a valid symbol at tick k. */
static void s_quote(uint64_t k, const char *symbol, double *bid, double *ask)
{
    uint32_t hash = s_fnv1a(symbol);
    int index = s_symbol_index(symbol);
    double base = index >= 0 ? s_symbols[index].base : 1.0 + (hash % 99000) / 1000.0;
    int digits = index >= 0 ? s_symbols[index].digits : 5;
    double phase = (hash % 628) / 100.0;
    double mid = base * (1.0 + 0.001 * sin(0.7 * (double)k + phase));
    double spread = base * 0.0001;
    *bid = s_round_to(mid - spread / 2.0, digits);
    *ask = s_round_to(mid + spread / 2.0, digits);
}

double mt5_paper_contract_size(const char *symbol)
{
    if (!symbol)
        return 0.0;
    int index = s_symbol_index(symbol);
    return index >= 0 ? s_symbols[index].contract : S_DEFAULT_CONTRACT;
}

/* Profit of `volume` lots of a position if it were closed at bid/ask. */
static double s_profit(const mt5_position_t *pos, double volume, double bid, double ask)
{
    double contract = mt5_paper_contract_size(pos->symbol);
    if (pos->side == MT5_SIDE_BUY)
        return s_cents((bid - pos->open_price) * volume * contract);
    return s_cents((pos->open_price - ask) * volume * contract);
}

static double s_margin(const s_paper_t *self, const char *symbol, double volume, double price)
{
    return volume * mt5_paper_contract_size(symbol) * price / (double)self->leverage;
}

/* Mark every position to the current quote. */
static void s_mark(s_paper_t *self)
{
    for (size_t i = 0; i < self->count; i++) {
        mt5_position_t *pos = &self->positions[i];
        double bid, ask;
        s_quote(self->tick, pos->symbol, &bid, &ask);
        pos->profit = s_profit(pos, pos->volume, bid, ask);
    }
}

static void s_account_now(s_paper_t *self, mt5_account_t *out)
{
    s_mark(self);
    double profit = 0.0, margin = 0.0;
    for (size_t i = 0; i < self->count; i++) {
        const mt5_position_t *pos = &self->positions[i];
        profit += pos->profit;
        margin += s_margin(self, pos->symbol, pos->volume, pos->open_price);
    }
    mt5_account_t account = {.login = self->login, .leverage = self->leverage};
    account.balance = self->balance;
    account.equity = s_cents(self->balance + profit);
    account.margin = s_cents(margin);
    account.free_margin = s_cents(account.equity - account.margin);
    memcpy(account.currency, self->currency, sizeof account.currency);
    *out = account;
}

/* The gateway validates requests before they get here; these checks catch a
 * gateway bug without trusting it, and never fire for a decoded request. */
static mt5_wire_code s_check_open(const mt5_request_t *req, char *msg, size_t msgcap)
{
    if (!mt5_proto_symbol_valid(req->symbol)) {
        mt5_backend_message(msg, msgcap, "symbol must be 1 to 32 characters of [A-Za-z0-9._#-]");
        return MT5_WIRE_BAD_REQUEST;
    }
    if (req->side != MT5_SIDE_BUY && req->side != MT5_SIDE_SELL) {
        mt5_backend_message(msg, msgcap, "side must be BUY or SELL");
        return MT5_WIRE_BAD_REQUEST;
    }
    if (!isfinite(req->volume) || req->volume <= 0) {
        mt5_backend_message(msg, msgcap, "volume must be a number > 0");
        return MT5_WIRE_BAD_REQUEST;
    }
    const struct {
        unsigned bit;
        const char *name;
        double value;
    } optional[] = {
        {MT5_HAS_PRICE, "price", req->price},
        {MT5_HAS_SL, "sl", req->sl},
        {MT5_HAS_TP, "tp", req->tp},
    };
    for (size_t i = 0; i < sizeof optional / sizeof optional[0]; i++) {
        double value = optional[i].value;
        if ((req->has & optional[i].bit) && (!isfinite(value) || value < 0)) {
            mt5_backend_message(msg, msgcap, "%s must be a number >= 0", optional[i].name);
            return MT5_WIRE_BAD_REQUEST;
        }
    }
    return MT5_WIRE_OK;
}

static mt5_wire_code s_open(void *impl, const mt5_request_t *req, mt5_fill_t *fill, char *msg,
                            size_t msgcap)
{
    s_paper_t *self = impl;
    mt5_wire_code code = s_check_open(req, msg, msgcap);
    if (code != MT5_WIRE_OK)
        return code;

    for (size_t i = 0; i < self->disabled_count; i++) {
        if (strcmp(self->disabled[i], req->symbol) == 0) {
            mt5_backend_message(msg, msgcap, "trading is disabled for %s on this backend",
                                req->symbol);
            return MT5_WIRE_BACKEND_ERROR;
        }
    }

    double bid, ask, price;
    s_quote(self->tick, req->symbol, &bid, &ask);
    if ((req->has & MT5_HAS_PRICE) && req->price > 0)
        price = req->price;
    else
        price = req->side == MT5_SIDE_BUY ? ask : bid;

    mt5_account_t account;
    s_account_now(self, &account);
    double need = s_cents(s_margin(self, req->symbol, req->volume, price));
    /* Written as !(<=) so that an infinite need is refused too. */
    if (!(need <= account.free_margin)) {
        mt5_backend_message(msg, msgcap, "insufficient free margin: need %.2f, have %.2f", need,
                            account.free_margin);
        return MT5_WIRE_RISK_REJECTED;
    }

    if (self->count == self->cap) {
        size_t cap = self->cap * 2;
        mt5_position_t *grown = cap > self->cap && cap <= SIZE_MAX / sizeof *grown
                                    ? realloc(self->positions, cap * sizeof *grown)
                                    : NULL;
        if (!grown) {
            mt5_backend_message(msg, msgcap, "out of memory");
            return MT5_WIRE_BACKEND_ERROR;
        }
        self->positions = grown;
        self->cap = cap;
    }

    mt5_position_t *pos = &self->positions[self->count++];
    memset(pos, 0, sizeof *pos);
    pos->ticket = self->next_ticket++;
    memcpy(pos->symbol, req->symbol, sizeof pos->symbol);
    pos->side = req->side;
    pos->volume = req->volume;
    pos->open_price = price;
    pos->sl = (req->has & MT5_HAS_SL) ? req->sl : 0.0;
    pos->tp = (req->has & MT5_HAS_TP) ? req->tp : 0.0;

    mt5_fill_t result = {.ticket = pos->ticket, .side = pos->side};
    memcpy(result.symbol, pos->symbol, sizeof result.symbol);
    result.volume = pos->volume;
    result.price = price;
    result.time_ms = mt5_clock_wall_ms();
    *fill = result;
    self->tick++;
    return MT5_WIRE_OK;
}

static mt5_wire_code s_close(void *impl, const mt5_request_t *req, mt5_close_t *out, char *msg,
                             size_t msgcap)
{
    s_paper_t *self = impl;
    size_t index = 0;
    while (index < self->count && self->positions[index].ticket != req->ticket)
        index++;
    if (index == self->count) {
        mt5_backend_message(msg, msgcap, "ticket %lld is not open", (long long)req->ticket);
        return MT5_WIRE_UNKNOWN_TICKET;
    }
    mt5_position_t *pos = &self->positions[index];

    double volume = pos->volume;
    double rest = 0; /* what stays open; 0 closes the whole position */
    if (req->has & MT5_HAS_VOLUME) {
        if (!isfinite(req->volume) || req->volume <= 0) {
            mt5_backend_message(msg, msgcap, "volume must be a number > 0");
            return MT5_WIRE_BAD_REQUEST;
        }
        if (req->volume > pos->volume + S_VOLUME_EPS) {
            mt5_backend_message(msg, msgcap, "close volume %.8g exceeds position volume %.8g",
                                req->volume, pos->volume);
            return MT5_WIRE_RISK_REJECTED;
        }
        /* The remainder is kept to 8 decimals, the wire's precision, so
         * 0.3 - 0.1 leaves 0.2 and not 0.19999999999999998; a remainder that
         * rounds to nothing closes the whole position. */
        rest = s_round_to(pos->volume - req->volume, 8);
        if (rest > 0)
            volume = req->volume;
    }

    double bid, ask;
    s_quote(self->tick, pos->symbol, &bid, &ask);
    mt5_close_t result = {.ticket = pos->ticket, .volume = volume};
    result.price = pos->side == MT5_SIDE_BUY ? bid : ask;
    result.profit = s_profit(pos, volume, bid, ask);
    self->balance = s_cents(self->balance + result.profit);
    if (!(rest > 0)) {
        memmove(pos, pos + 1, (self->count - index - 1) * sizeof *pos);
        self->count--;
    } else {
        pos->volume = rest;
    }
    *out = result;
    self->tick++;
    return MT5_WIRE_OK;
}

static int s_account(void *impl, mt5_account_t *out)
{
    s_account_now(impl, out);
    return MT5_OK;
}

static int s_positions(void *impl, const mt5_position_t **list, size_t *count)
{
    s_paper_t *self = impl;
    s_mark(self);
    *list = self->positions;
    *count = self->count;
    return MT5_OK;
}

static void s_destroy(void *impl)
{
    s_paper_t *self = impl;
    if (!self)
        return;
    free(self->positions);
    free(self);
}

static const mt5_backend_ops s_ops = {
    .name = "paper",
    .open = s_open,
    .close = s_close,
    .account = s_account,
    .positions = s_positions,
    .destroy = s_destroy,
};

static int s_check_options(const mt5_paper_options *o)
{
    if (o->version != MT5_PAPER_OPTIONS_VERSION)
        return mt5_error_set(MT5_EINVAL, "paper: options version %d, expected %d", o->version,
                             MT5_PAPER_OPTIONS_VERSION);
    if (o->login <= 0)
        return mt5_error_set(MT5_EINVAL, "paper: login must be > 0, got %lld", (long long)o->login);
    if (!isfinite(o->balance) || o->balance <= 0 || o->balance > S_BALANCE_MAX)
        return mt5_error_set(MT5_EINVAL, "paper: balance must be > 0 and <= %.0f, got %g",
                             S_BALANCE_MAX, o->balance);
    if (o->leverage < 1 || o->leverage > 1000)
        return mt5_error_set(MT5_EINVAL, "paper: leverage must be 1..1000, got %lld",
                             (long long)o->leverage);
    size_t len = strnlen(o->currency, sizeof o->currency);
    int upper = len >= 3 && len < sizeof o->currency;
    for (size_t i = 0; upper && i < len; i++)
        upper = o->currency[i] >= 'A' && o->currency[i] <= 'Z';
    if (!upper)
        return mt5_error_set(MT5_EINVAL,
                             "paper: currency must be 3 to 7 upper-case letters, got \"%.*s\"",
                             (int)len, o->currency);
    return MT5_OK;
}

mt5_backend_t *mt5_paper_new(const mt5_paper_options *options)
{
    static const mt5_paper_options defaults = MT5_PAPER_OPTIONS_INIT;
    const mt5_paper_options *o = options ? options : &defaults;
    if (s_check_options(o) != MT5_OK)
        return NULL;
    s_paper_t *self = calloc(1, sizeof *self);
    mt5_position_t *positions = calloc(S_INITIAL_CAP, sizeof *positions);
    if (!self || !positions) {
        free(self);
        free(positions);
        mt5_error_set(MT5_ENOMEM, "paper: out of memory");
        return NULL;
    }
    self->login = o->login;
    self->balance = o->balance;
    memcpy(self->currency, o->currency, sizeof self->currency);
    self->leverage = o->leverage;
    self->next_ticket = 1;
    self->positions = positions;
    self->cap = S_INITIAL_CAP;
    return mt5_backend_new(&s_ops, self);
}

void mt5_paper_quote(mt5_backend_t *paper, const char *symbol, double *bid, double *ask)
{
    const s_paper_t *self = mt5_backend_impl(paper, &s_ops);
    double b = 0.0, a = 0.0;
    if (self && symbol && mt5_proto_symbol_valid(symbol))
        s_quote(self->tick, symbol, &b, &a);
    if (bid)
        *bid = b;
    if (ask)
        *ask = a;
}

int mt5_paper_disable_symbol(mt5_backend_t *paper, const char *symbol)
{
    s_paper_t *self = mt5_backend_impl(paper, &s_ops);
    if (!self)
        return mt5_error_set(MT5_EINVAL, "paper: not a paper backend");
    if (!symbol || !mt5_proto_symbol_valid(symbol))
        return mt5_error_set(MT5_EINVAL, "paper: invalid symbol \"%s\"", symbol ? symbol : "");
    if (self->disabled_count == MT5_PAPER_DISABLED_MAX)
        return mt5_error_set(MT5_ETOOLARGE, "paper: at most %d disabled symbols",
                             MT5_PAPER_DISABLED_MAX);
    snprintf(self->disabled[self->disabled_count++], MT5_SYMBOL_MAX + 1, "%s", symbol);
    return MT5_OK;
}
