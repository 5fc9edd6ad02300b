/*  mt5/vlog.h - VERIFY_LOG.log, written and read (docs/protocol.md section 8).
 *
 *      <UTC ISO 8601 ms Z> <LEVEL> <component>: <message>
 *
 *  A run ends with one result line, "RESULT PASS endpoint=.. rtt_us=..
 *  reply=.." or "RESULT FAIL endpoint=.. error=.. [reply=..]". The writer
 *  appends each line with one write(2) on an O_APPEND descriptor, so runs
 *  from several processes never interleave inside a line. The reader finds
 *  the last result line by reading the file backwards from its end, so its
 *  cost does not grow with the log's age and its memory is constant.
 */
#ifndef MT5_VLOG_H
#define MT5_VLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MT5_VLOG_LINE_MAX 4096 /* longer lines are not log lines */
#define MT5_VLOG_REPLY_MAX 64  /* raw bytes of a reply kept in a result line */

typedef struct mt5_vlog_t mt5_vlog_t;

/*  Open (create 0644 if needed) `path` for appending. Returns the writer,
 *  caller owns, destroy with mt5_vlog_destroy(); NULL with detail on
 *  failure. */
mt5_vlog_t *mt5_vlog_open(const char *path);
void mt5_vlog_destroy(mt5_vlog_t **self);

/*  Append one line "<now> <level> <component>: <message>". level is one of
 *  DEBUG, INFO, WARN, ERROR; component has no spaces. Control characters
 *  in the message are escaped (\n, \r, \t, \xNN), so one call is always one
 *  line. Returns MT5_OK, MT5_EINVAL or MT5_EIO. */
int mt5_vlog_write(mt5_vlog_t *self, const char *level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Append "RESULT PASS endpoint=<e> rtt_us=<n> reply=<reply>" at INFO; the
 * reply is cut and escaped as in mt5_vlog_fail. */
int mt5_vlog_pass(mt5_vlog_t *self, const char *component, const char *endpoint, int64_t rtt_us,
                  const char *reply);

/* Append "RESULT FAIL endpoint=<e> error=<error>[ reply=<escaped reply>]"
 * at ERROR. reply may be NULL; it is cut to MT5_VLOG_REPLY_MAX bytes and
 * escaped, so it reads back whole into mt5_vlog_entry_t.reply. */
int mt5_vlog_fail(mt5_vlog_t *self, const char *component, const char *endpoint, const char *error,
                  const void *reply, size_t reply_len);

/*  Escape n bytes the way result lines show replies: printable ASCII as
 *  is; backslash, \n, \r, \t by name; every other byte as \xNN. Writes at
 *  most cap-1 bytes and a NUL into dst, never cutting an escape. Returns
 *  the length written. */
size_t mt5_vlog_escape(char *dst, size_t cap, const void *src, size_t n);

/* One parsed line. */
typedef struct {
    int64_t time_ms;
    char level[8];
    char component[64];
    bool is_result; /* the message is a RESULT line */
    bool pass;      /* RESULT PASS */
    char endpoint[256];
    int64_t rtt_us;                         /* PASS only; -1 if absent */
    char error[32];                         /* FAIL only */
    char reply[4 * MT5_VLOG_REPLY_MAX + 1]; /* as written (escaped): 4 chars per byte at most */
    uint64_t offset;                        /* byte offset of the line in its file */
} mt5_vlog_entry_t;

/*  Parse one line (without its newline; a trailing '\r' is ignored).
 *  Returns MT5_OK or MT5_EPARSE (not of the section 8 form, or a RESULT
 *  line missing its required fields); *out is written only on MT5_OK. */
int mt5_vlog_parse_line(mt5_vlog_entry_t *out, const char *line, size_t len);

/*  Find the last well-formed RESULT line of the file at `path` that starts
 *  at or after byte `since` (0 = the whole file). Returns MT5_OK with *out,
 *  MT5_ENOTFOUND when there is none, MT5_EIO when the file cannot be read.
 *  Lines that do not parse are skipped, never fatal. */
int mt5_vlog_last_result(mt5_vlog_entry_t *out, const char *path, uint64_t since);

/*  The same on a descriptor already open on a regular file of `size`
 *  bytes (read with pread, so its offset is untouched; not closed), giving
 *  up with MT5_ETIMEOUT once mt5_clock_mono_us() passes deadline_us (0 =
 *  no deadline): a log without RESULT lines is read to its start. `path`
 *  names the file in details. */
int mt5_vlog_last_result_fd(mt5_vlog_entry_t *out, int fd, uint64_t size, uint64_t since,
                            int64_t deadline_us, const char *path);

#endif
