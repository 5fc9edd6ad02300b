/*  mt5/paper.h - the paper-trading backend, the gateway's embedded default.
 *
 *  An in-memory account (balance, equity, margin, free margin), positions
 *  and tickets, priced by a deterministic model: the same sequence of
 *  requests gives the same fills, tickets and profits on every run, so
 *  tests and benchmarks are repeatable. See docs/paper.md for the model.
 */
#ifndef MT5_PAPER_H
#define MT5_PAPER_H

#include <stdint.h>

#include "mt5/backend.h"

typedef struct {
    int version;      /* MT5_PAPER_OPTIONS_VERSION */
    int64_t login;    /* account number shown by GET_ACCOUNT */
    double balance;   /* starting balance, > 0 */
    char currency[8]; /* e.g. "USD" */
    int64_t leverage; /* 1..1000 */
} mt5_paper_options;

#define MT5_PAPER_OPTIONS_VERSION 1
#define MT5_PAPER_OPTIONS_INIT                                                                     \
    {                                                                                              \
        MT5_PAPER_OPTIONS_VERSION, 1000001, 10000.0, "USD", 100                                    \
    }

/* New paper backend (options NULL = defaults). Caller owns, destroy with
 * mt5_backend_destroy(); NULL with detail on bad options. */
mt5_backend_t *mt5_paper_new(const mt5_paper_options *options);

/*  Refuse new positions on `symbol` with BACKEND_ERROR, as MT5 does for a
 *  symbol whose trading is disabled; closing stays possible. At most
 *  MT5_PAPER_DISABLED_MAX symbols. MT5_OK, MT5_EINVAL (not a paper backend,
 *  invalid symbol) or MT5_ETOOLARGE. */
#define MT5_PAPER_DISABLED_MAX 16
int mt5_paper_disable_symbol(mt5_backend_t *paper, const char *symbol);

/* The model's current quote for a symbol (for tests and docs). */
void mt5_paper_quote(mt5_backend_t *paper, const char *symbol, double *bid, double *ask);

/* The contract size the model uses for a symbol (units per lot). */
double mt5_paper_contract_size(const char *symbol);

#endif
