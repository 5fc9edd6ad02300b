/*  check_impl.h - what the check kinds share inside libcore.
 *
 *  check.c dispatches mt5_check_run() to one function per kind, each in
 *  its own file (check_file.c, check_contains.c, ...). These helpers fill
 *  results the same way everywhere, so every kind words its verdicts
 *  alike and never overruns the fixed result buffers.
 */
#ifndef MT5_CHECK_IMPL_H
#define MT5_CHECK_IMPL_H

#include <stdbool.h>
#include <sys/types.h>

#include "mt5/check.h"
#include "mt5/file.h"

int mt5_check_file_run(mt5_check_result_t *out, const mt5_check_t *check,
                       const mt5_check_ctx_t *ctx);
int mt5_check_contains_run(mt5_check_result_t *out, const mt5_check_t *check,
                           const mt5_check_ctx_t *ctx);
int mt5_check_sections_run(mt5_check_result_t *out, const mt5_check_t *check,
                           const mt5_check_ctx_t *ctx);
int mt5_check_log_run(mt5_check_result_t *out, const mt5_check_t *check,
                      const mt5_check_ctx_t *ctx);
int mt5_check_handshake_run(mt5_check_result_t *out, const mt5_check_t *check,
                            const mt5_check_ctx_t *ctx);
int mt5_check_command_run(mt5_check_result_t *out, const mt5_check_t *check,
                          const mt5_check_ctx_t *ctx);
int mt5_check_version_run(mt5_check_result_t *out, const mt5_check_t *check,
                          const mt5_check_ctx_t *ctx);
int mt5_check_port_run(mt5_check_result_t *out, const mt5_check_t *check,
                       const mt5_check_ctx_t *ctx);

/* Set status and message (printf-style, cut to fit). Returns MT5_OK so a
 * kind can `return check_verdict(out, MT5_STATUS_FAIL, "...")`. */
int check_verdict(mt5_check_result_t *out, mt5_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* ERROR with timed_out set and the message "timed out after N ms". */
int check_timeout(mt5_check_result_t *out, const mt5_check_t *check);
/* Set the evidence (printf-style, cut to fit). */
void check_evidence(mt5_check_result_t *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Append raw bytes to the evidence, escaping control bytes and invalid
 * UTF-8 as \xNN and cutting at the buffer's end. */
void check_evidence_bytes(mt5_check_result_t *out, const char *bytes, size_t len);
/* Open abs (the resolved form of rel) as a regular file. MT5_OK and *fd
 * (caller closes), or a verdict in out ("<rel> does not exist" / "is not a
 * regular file" FAIL, other failures ERROR) and MT5_ENOTFOUND, after which
 * the kind just returns MT5_OK. */
int check_open(mt5_check_result_t *out, int *fd, mt5_file_info_t *info, const char *abs,
               const char *rel);
/* read(2) up to n bytes, retrying on EINTR, refusing once the deadline
 * has passed. Returns the bytes read (0 at the end of the file), or -1
 * with *rc set: MT5_ETIMEOUT, or MT5_EIO with detail strerror(errno). */
ssize_t check_read(int fd, void *buf, size_t n, const mt5_check_ctx_t *ctx, int *rc);
/* True once ctx->deadline_us has passed. */
bool check_expired(const mt5_check_ctx_t *ctx);
/* Milliseconds left before the deadline, at least 0. */
int64_t check_remaining_ms(const mt5_check_ctx_t *ctx);

#endif
