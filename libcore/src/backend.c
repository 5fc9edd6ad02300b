/*  backend.c - the one door from the gateway to whatever executes orders.
 *
 *  A backend is a table of operations plus the implementation they act on.
 *  The wrapper is deliberately thin: it owns the implementation, refuses an
 *  incomplete table up front (so a missing operation is found when the
 *  gateway starts, not on the first order) and turns a NULL argument into an
 *  error instead of a crash. Everything that trades lives behind ops.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "mt5/backend.h"
#include "mt5/error.h"

struct mt5_backend_t {
    const mt5_backend_ops *ops; /* borrowed, static table */
    void *impl;                 /* owned, freed through ops->destroy */
};

void mt5_backend_message(char *msg, size_t msgcap, const char *fmt, ...)
{
    if (!msg || msgcap == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, msgcap, fmt, ap);
    va_end(ap);
}

mt5_backend_t *mt5_backend_new(const mt5_backend_ops *ops, void *impl)
{
    if (!ops) {
        mt5_error_set(MT5_EINVAL, "backend: no operations table");
        return NULL;
    }
    if (!ops->name || !ops->open || !ops->close || !ops->account || !ops->positions ||
        !ops->destroy) {
        /* impl is ours from the call on, so it goes even when we refuse it. */
        if (ops->destroy)
            ops->destroy(impl);
        mt5_error_set(MT5_EINVAL,
                      "backend %s: the operations table is incomplete "
                      "(name, open, close, account, positions and destroy are required)",
                      ops->name ? ops->name : "(unnamed)");
        return NULL;
    }
    mt5_backend_t *self = calloc(1, sizeof *self);
    if (!self) {
        ops->destroy(impl);
        mt5_error_set(MT5_ENOMEM, "backend %s: out of memory", ops->name);
        return NULL;
    }
    self->ops = ops;
    self->impl = impl;
    return self;
}

void mt5_backend_destroy(mt5_backend_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    mt5_backend_t *self = *self_p;
    self->ops->destroy(self->impl);
    free(self);
    *self_p = NULL;
}

const char *mt5_backend_name(const mt5_backend_t *self)
{
    return self ? self->ops->name : "";
}

void *mt5_backend_impl(const mt5_backend_t *self, const mt5_backend_ops *ops)
{
    if (!self || self->ops != ops)
        return NULL;
    return self->impl;
}

mt5_wire_code mt5_backend_open(mt5_backend_t *self, const mt5_request_t *req, mt5_fill_t *fill,
                               char *msg, size_t msgcap)
{
    if (!self || !req || !fill) {
        mt5_backend_message(msg, msgcap,
                            "internal error: open called without a backend, request or fill");
        return MT5_WIRE_BACKEND_ERROR;
    }
    return self->ops->open(self->impl, req, fill, msg, msgcap);
}

mt5_wire_code mt5_backend_close(mt5_backend_t *self, const mt5_request_t *req, mt5_close_t *out,
                                char *msg, size_t msgcap)
{
    if (!self || !req || !out) {
        mt5_backend_message(msg, msgcap,
                            "internal error: close called without a backend, request or result");
        return MT5_WIRE_BACKEND_ERROR;
    }
    return self->ops->close(self->impl, req, out, msg, msgcap);
}

int mt5_backend_account(mt5_backend_t *self, mt5_account_t *out)
{
    if (!self || !out)
        return mt5_error_set(MT5_EINVAL, "backend account: NULL backend or output");
    return self->ops->account(self->impl, out);
}

int mt5_backend_positions(mt5_backend_t *self, const mt5_position_t **list, size_t *count)
{
    if (!self || !list || !count)
        return mt5_error_set(MT5_EINVAL, "backend positions: NULL backend or output");
    return self->ops->positions(self->impl, list, count);
}
