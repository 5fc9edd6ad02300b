/*  mt5/error.h - the one error enum of libcore.
 *
 *  Every fallible libcore function returns an int: MT5_OK (0) or one of the
 *  codes below. The code says what kind of failure it was; the detail (which
 *  file, which field, which line) is kept per thread and read with
 *  mt5_error_detail(). The enum is append-only: codes are never renumbered,
 *  because tools print them and scripts match on them.
 */
#ifndef MT5_ERROR_H
#define MT5_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    MT5_OK = 0,
    MT5_EINVAL = 1,         /* an argument or a value is out of its range */
    MT5_ENOMEM = 2,         /* out of memory */
    MT5_EIO = 3,            /* a file or system call failed */
    MT5_EPARSE = 4,         /* input (JSON, YAML, log line, number) did not parse */
    MT5_ETIMEOUT = 5,       /* no reply within the timeout */
    MT5_EREFUSED = 6,       /* the peer refused the connection */
    MT5_EBADREPLY = 7,      /* the peer answered, but not what was expected */
    MT5_ETOOLARGE = 8,      /* input larger than its limit */
    MT5_EKEY = 9,           /* key missing, too short, malformed or readable by others */
    MT5_ESIGNATURE = 10,    /* risk signature malformed or wrong */
    MT5_EEXPIRED = 11,      /* risk signature outside its time to live */
    MT5_ENOTFOUND = 12,     /* the thing looked up does not exist */
    MT5_EZMQ = 13,          /* libzmq failed (bind, connect, send) */
    MT5_ECIRCUIT_OPEN = 14, /* the circuit breaker is open; nothing was sent */
    MT5_ESTATE = 15,        /* the operation conflicts with current state */
    MT5_EINTERNAL = 16,     /* a bug or an impossible condition */
    MT5_EREJECTED = 17      /* the gateway understood and refused the request */
} mt5_err;

/*  Return a constant, readable name for an error code ("timeout").
 *  Unknown codes give "unknown error". Never NULL. */
const char *mt5_strerror(int code);

/*  Return the detail of the last error set on this thread, or "" if none.
 *  Borrowed: valid until the next libcore call on this thread. Never holds
 *  key material. */
const char *mt5_error_detail(void);

/*  Record a detail for this thread and return `code`, so a function can
 *  `return mt5_error_set(MT5_EPARSE, "%s:%d: ...", file, line);`. */
int mt5_error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*  Forget the detail of this thread. */
void mt5_error_clear(void);

#ifdef __cplusplus
}
#endif
#endif
