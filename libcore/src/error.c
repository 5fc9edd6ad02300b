/*  error.c - error names and the per-thread error detail.
 *
 *  A detail is a short sentence kept in thread-local storage, so library
 *  calls on different threads never see each other's messages and no
 *  allocation is needed to report an out-of-memory condition.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mt5/error.h"

static _Thread_local char s_detail[512];

static const char *const s_names[] = {
    [MT5_OK] = "ok",
    [MT5_EINVAL] = "invalid argument",
    [MT5_ENOMEM] = "out of memory",
    [MT5_EIO] = "input/output error",
    [MT5_EPARSE] = "parse error",
    [MT5_ETIMEOUT] = "timeout",
    [MT5_EREFUSED] = "connection refused",
    [MT5_EBADREPLY] = "unexpected reply",
    [MT5_ETOOLARGE] = "too large",
    [MT5_EKEY] = "bad key",
    [MT5_ESIGNATURE] = "invalid signature",
    [MT5_EEXPIRED] = "expired signature",
    [MT5_ENOTFOUND] = "not found",
    [MT5_EZMQ] = "zeromq error",
    [MT5_ECIRCUIT_OPEN] = "circuit breaker open",
    [MT5_ESTATE] = "conflicting state",
    [MT5_EINTERNAL] = "internal error",
    [MT5_EREJECTED] = "rejected",
};

const char *mt5_strerror(int code)
{
    if (code < 0 || (size_t)code >= sizeof s_names / sizeof s_names[0] || !s_names[code])
        return "unknown error";
    return s_names[code];
}

const char *mt5_error_detail(void)
{
    return s_detail;
}

int mt5_error_set(int code, const char *fmt, ...)
{
    /* Format aside first: callers may pass the current detail as an
     * argument to wrap it ("cannot open key file %s", mt5_error_detail()). */
    char text[sizeof s_detail];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    memcpy(s_detail, text, sizeof s_detail);
    return code;
}

void mt5_error_clear(void)
{
    s_detail[0] = '\0';
}
