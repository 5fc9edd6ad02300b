/*  mt5/backend.h - what executes orders behind the gateway.
 *
 *  The gateway (mt5/server.h) validates, verifies and deduplicates; a
 *  backend only executes. The paper-trading backend (mt5/paper.h) is the
 *  embedded default; a real MT5 adapter implements the same operations.
 *  Backends are called from the gateway's one thread only.
 */
#ifndef MT5_BACKEND_H
#define MT5_BACKEND_H

#include <stddef.h>

#include "mt5/proto.h"

typedef struct {
    const char *name; /* "paper", ... */
    /* Execute a validated OPEN. MT5_WIRE_OK and *fill, or RISK_REJECTED /
     * BACKEND_ERROR with a one-sentence message in msg. */
    mt5_wire_code (*open)(void *impl, const mt5_request_t *req, mt5_fill_t *fill, char *msg,
                          size_t msgcap);
    /* Execute a validated CLOSE (whole, or partial when MT5_HAS_VOLUME).
     * MT5_WIRE_OK and *out, or UNKNOWN_TICKET / RISK_REJECTED /
     * BACKEND_ERROR with msg. */
    mt5_wire_code (*close)(void *impl, const mt5_request_t *req, mt5_close_t *out, char *msg,
                           size_t msgcap);
    /* Current account. MT5_OK or an error. */
    int (*account)(void *impl, mt5_account_t *out);
    /* Open positions, marked to the current price: *list is borrowed until
     * the next call into the backend. MT5_OK or an error. */
    int (*positions)(void *impl, const mt5_position_t **list, size_t *count);
    /* Free impl. */
    void (*destroy)(void *impl);
} mt5_backend_ops;

typedef struct mt5_backend_t mt5_backend_t;

/* Wrap an implementation. ops is borrowed (static), impl is owned from
 * here on. Caller owns, destroy with mt5_backend_destroy(); NULL on out of
 * memory (impl is then destroyed through ops). */
mt5_backend_t *mt5_backend_new(const mt5_backend_ops *ops, void *impl);
void mt5_backend_destroy(mt5_backend_t **self);

/* For implementations: write the one-sentence message of a refusal into
 * msg (msgcap bytes incl. NUL); does nothing when msg is NULL or msgcap 0. */
void mt5_backend_message(char *msg, size_t msgcap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

const char *mt5_backend_name(const mt5_backend_t *self);

/* The implementation behind self when it was made with `ops`, else NULL: a
 * checked downcast for backend-specific calls (mt5_paper_quote). Borrowed,
 * valid while self lives. */
void *mt5_backend_impl(const mt5_backend_t *self, const mt5_backend_ops *ops);
mt5_wire_code mt5_backend_open(mt5_backend_t *self, const mt5_request_t *req, mt5_fill_t *fill,
                               char *msg, size_t msgcap);
mt5_wire_code mt5_backend_close(mt5_backend_t *self, const mt5_request_t *req, mt5_close_t *out,
                                char *msg, size_t msgcap);
int mt5_backend_account(mt5_backend_t *self, mt5_account_t *out);
int mt5_backend_positions(mt5_backend_t *self, const mt5_position_t **list, size_t *count);

#endif
