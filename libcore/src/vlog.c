/*  vlog.c - VERIFY_LOG.log: the writer, the line parser, and the backwards
 *  reader that finds the last result (docs/protocol.md section 8).
 *
 *  The log is evidence that a gate was passed, so both ends are strict.
 *  The writer builds each line in full and hands it to the kernel with one
 *  write(2) on an O_APPEND descriptor: lines from concurrent runs never
 *  interleave, and no control character from a message can break a line in
 *  two or forge a second one. The parser accepts only the documented form.
 *
 *  The reader answers "what did the last run say?". It reads the file from
 *  its end in fixed-size chunks, so its cost depends on how far back the
 *  last result is, not on how old the log is, and its memory is one chunk
 *  plus one line whatever the file's size. Inside a chunk it scans forward
 *  with memchr (fast) and keeps the last result it saw; the first chunk
 *  that holds any result therefore holds the answer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mt5/clock.h"
#include "mt5/error.h"
#include "mt5/file.h"
#include "mt5/vlog.h"

#define S_CHUNK (64 * 1024) /* bytes read per pread when going backwards */

struct mt5_vlog_t {
    int fd; /* O_APPEND descriptor of the log */
};

/* ---- writer ------------------------------------------------------------ */

mt5_vlog_t *mt5_vlog_open(const char *path)
{
    if (!path || !*path) {
        mt5_error_set(MT5_EINVAL, "no log file name");
        return NULL;
    }
    mt5_vlog_t *self = calloc(1, sizeof *self);
    if (!self) {
        mt5_error_set(MT5_ENOMEM, "%s: out of memory", path);
        return NULL;
    }
    self->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (self->fd < 0) {
        char why[128];
        strerror_r(errno, why, sizeof why);
        mt5_error_set(MT5_EIO, "%s: %s", path, why);
        free(self);
        return NULL;
    }
    return self;
}

void mt5_vlog_destroy(mt5_vlog_t **self)
{
    if (!self || !*self)
        return;
    close((*self)->fd);
    free(*self);
    *self = NULL;
}

static bool s_level_ok(const char *level, size_t len)
{
    static const char *const levels[] = {"DEBUG", "INFO", "WARN", "ERROR"};
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        if (strlen(levels[i]) == len && memcmp(levels[i], level, len) == 0)
            return true;
    }
    return false;
}

/* A token (component, endpoint) is 1..max-1 visible ASCII characters. */
static bool s_token_ok(const char *s, size_t len, size_t max)
{
    if (len == 0 || len >= max)
        return false;
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
            return false;
    }
    return true;
}

/* A line being built: never longer than MT5_VLOG_LINE_MAX with its '\n'. */
typedef struct {
    char buf[MT5_VLOG_LINE_MAX]; /* the line */
    size_t len;                  /* bytes used */
} s_line_t;

#define S_ROOM (MT5_VLOG_LINE_MAX - 1) /* content room: one byte kept for '\n' */

static void s_put(s_line_t *l, const char *s, size_t n)
{
    if (n > S_ROOM - l->len)
        n = S_ROOM - l->len;
    memcpy(l->buf + l->len, s, n);
    l->len += n;
}

/* Escape up to `n` bytes of `s` into dst[*used..room). Backslash and
 * control characters always are escaped; with `ascii`, bytes >= 0x7f too
 * (replies are arbitrary bytes). Stops before an escape that does not fit,
 * and, when a UTF-8 sequence would be cut, drops its first bytes too. */
static void s_escape_into(char *dst, size_t room, size_t *used, const unsigned char *s, size_t n,
                          bool ascii)
{
    static const char hex[] = "0123456789abcdef";
    size_t i = 0;
    for (; i < n; i++) {
        char esc[4];
        size_t k = 0;
        unsigned char c = s[i];
        if (c == '\\') {
            esc[k++] = '\\';
            esc[k++] = '\\';
        } else if (c == '\n' || c == '\r' || c == '\t') {
            esc[k++] = '\\';
            esc[k++] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
        } else if (c < 0x20 || c == 0x7f || (ascii && c > 0x7f)) {
            esc[k++] = '\\';
            esc[k++] = 'x';
            esc[k++] = hex[c >> 4];
            esc[k++] = hex[c & 15];
        } else {
            esc[k++] = (char)c;
        }
        if (k > room - *used)
            break;
        memcpy(dst + *used, esc, k);
        *used += k;
    }
    /* Cut inside a UTF-8 sequence: drop its lead and continuation bytes. */
    if (i < n && !ascii && (s[i] & 0xC0) == 0x80) {
        while (i > 0 && (s[i - 1] & 0xC0) == 0x80) {
            i--;
            (*used)--;
        }
        if (i > 0 && s[i - 1] >= 0xC0)
            (*used)--;
    }
}

static void s_put_escaped(s_line_t *l, const unsigned char *s, size_t n, bool ascii)
{
    s_escape_into(l->buf, S_ROOM, &l->len, s, n, ascii);
}

size_t mt5_vlog_escape(char *dst, size_t cap, const void *src, size_t n)
{
    if (!dst || cap == 0)
        return 0;
    size_t used = 0;
    if (src)
        s_escape_into(dst, cap - 1, &used, src, n, true);
    dst[used] = '\0';
    return used;
}

/* Start a line with "<now> <level> <component>: ". */
static int s_begin(s_line_t *l, const char *level, const char *component)
{
    if (!level || !s_level_ok(level, strlen(level)))
        return mt5_error_set(MT5_EINVAL, "log level '%s' is not DEBUG, INFO, WARN or ERROR",
                             level ? level : "(null)");
    if (!component || !s_token_ok(component, strlen(component), 64))
        return mt5_error_set(MT5_EINVAL, "log component must be 1 to 63 visible ASCII characters");
    char now[MT5_ISO_TIME_LEN + 1];
    if (mt5_clock_format_iso(now, sizeof now, mt5_clock_wall_ms()) != MT5_OK)
        return mt5_error_set(MT5_EINTERNAL, "the wall clock is out of range");
    l->len = 0;
    s_put(l, now, MT5_ISO_TIME_LEN);
    s_put(l, " ", 1);
    s_put(l, level, strlen(level));
    s_put(l, " ", 1);
    s_put(l, component, strlen(component));
    s_put(l, ": ", 2);
    return MT5_OK;
}

/* Finish the line and append it with a single write(2). */
static int s_emit(mt5_vlog_t *self, s_line_t *l)
{
    l->buf[l->len++] = '\n';
    size_t off = 0;
    while (off < l->len) {
        ssize_t n = write(self->fd, l->buf + off, l->len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            char why[128];
            strerror_r(n < 0 ? errno : EIO, why, sizeof why);
            return mt5_error_set(MT5_EIO, "cannot append to the log: %s", why);
        }
        off += (size_t)n;
    }
    return MT5_OK;
}

int mt5_vlog_write(mt5_vlog_t *self, const char *level, const char *component, const char *fmt, ...)
{
    if (!self || !fmt)
        return mt5_error_set(MT5_EINVAL, "no log or no message");
    s_line_t line;
    int rc = s_begin(&line, level, component);
    if (rc != MT5_OK)
        return rc;
    char msg[MT5_VLOG_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        return mt5_error_set(MT5_EINVAL, "log message does not format");
    size_t len = (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1;
    s_put_escaped(&line, (const unsigned char *)msg, len, false);
    return s_emit(self, &line);
}

static int s_check_endpoint(const char *endpoint)
{
    if (!endpoint || !s_token_ok(endpoint, strlen(endpoint), 256))
        return mt5_error_set(MT5_EINVAL,
                             "result endpoint must be 1 to 255 visible ASCII characters");
    return MT5_OK;
}

int mt5_vlog_pass(mt5_vlog_t *self, const char *component, const char *endpoint, int64_t rtt_us,
                  const char *reply)
{
    if (!self || !reply)
        return mt5_error_set(MT5_EINVAL, "no log or no reply");
    if (rtt_us < 0)
        return mt5_error_set(MT5_EINVAL, "round trip time %lld us is negative", (long long)rtt_us);
    int rc = s_check_endpoint(endpoint);
    if (rc != MT5_OK)
        return rc;
    s_line_t line;
    rc = s_begin(&line, "INFO", component);
    if (rc != MT5_OK)
        return rc;
    char head[64];
    s_put(&line, "RESULT PASS endpoint=", 21);
    s_put(&line, endpoint, strlen(endpoint));
    int n = snprintf(head, sizeof head, " rtt_us=%lld reply=", (long long)rtt_us);
    s_put(&line, head, (size_t)n);
    size_t len = strlen(reply);
    s_put_escaped(&line, (const unsigned char *)reply,
                  len < MT5_VLOG_REPLY_MAX ? len : MT5_VLOG_REPLY_MAX, true);
    return s_emit(self, &line);
}

int mt5_vlog_fail(mt5_vlog_t *self, const char *component, const char *endpoint, const char *error,
                  const void *reply, size_t reply_len)
{
    if (!self)
        return mt5_error_set(MT5_EINVAL, "no log");
    int rc = s_check_endpoint(endpoint);
    if (rc != MT5_OK)
        return rc;
    size_t elen = error ? strlen(error) : 0;
    if (elen == 0 || elen > 31 || strspn(error, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") != elen)
        return mt5_error_set(MT5_EINVAL, "result error must be 1 to 31 of [A-Z_]");
    s_line_t line;
    rc = s_begin(&line, "ERROR", component);
    if (rc != MT5_OK)
        return rc;
    s_put(&line, "RESULT FAIL endpoint=", 21);
    s_put(&line, endpoint, strlen(endpoint));
    s_put(&line, " error=", 7);
    s_put(&line, error, elen);
    if (reply) {
        s_put(&line, " reply=", 7);
        s_put_escaped(&line, reply, reply_len < MT5_VLOG_REPLY_MAX ? reply_len : MT5_VLOG_REPLY_MAX,
                      true);
    }
    return s_emit(self, &line);
}

/* ---- parser ------------------------------------------------------------ */

/* Copy [s, s+n) into a field of `cap` bytes; false when it does not fit. */
static bool s_copy(char *dst, size_t cap, const char *s, size_t n)
{
    if (n >= cap)
        return false;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return true;
}

static bool s_starts(const char *p, const char *end, const char *word)
{
    size_t n = strlen(word);
    return (size_t)(end - p) >= n && memcmp(p, word, n) == 0;
}

/* Parse "RESULT ..." (p points after "RESULT ") into e. Returns NULL, or
 * what is wrong. */
static const char *s_parse_result(mt5_vlog_entry_t *e, const char *p, const char *end)
{
    bool pass = s_starts(p, end, "PASS endpoint=");
    if (!pass && !s_starts(p, end, "FAIL endpoint="))
        return "RESULT is not followed by 'PASS endpoint=' or 'FAIL endpoint='";
    p += 14;
    const char *sp = memchr(p, ' ', (size_t)(end - p));
    if (!sp || sp == p || !s_copy(e->endpoint, sizeof e->endpoint, p, (size_t)(sp - p)))
        return "RESULT endpoint is empty, longer than 255 bytes or last";
    p = sp + 1;
    if (pass) {
        if (!s_starts(p, end, "rtt_us="))
            return "RESULT PASS without rtt_us=";
        p += 7;
        int64_t rtt = 0;
        const char *digits = p;
        for (; p < end && *p >= '0' && *p <= '9'; p++) {
            if (p - digits >= 18) /* keeps rtt below INT64_MAX */
                return "RESULT PASS rtt_us has more than 18 digits";
            rtt = rtt * 10 + (*p - '0');
        }
        if (p == digits)
            return "RESULT PASS rtt_us is not a number";
        if (!s_starts(p, end, " reply="))
            return "RESULT PASS without reply=";
        p += 7;
        e->rtt_us = rtt;
    } else {
        if (!s_starts(p, end, "error="))
            return "RESULT FAIL without error=";
        p += 6;
        const char *word = p;
        while (p < end && ((*p >= 'A' && *p <= 'Z') || *p == '_'))
            p++;
        if (p == word || !s_copy(e->error, sizeof e->error, word, (size_t)(p - word)))
            return "RESULT FAIL error is not 1 to 31 of [A-Z_]";
        if (p == end)
            return NULL;
        if (!s_starts(p, end, " reply="))
            return "RESULT FAIL error is followed by something other than reply=";
        p += 7;
    }
    /* The reply runs to the end of the line; a longer one is kept cut. */
    size_t n = (size_t)(end - p);
    if (n >= sizeof e->reply)
        n = sizeof e->reply - 1;
    memcpy(e->reply, p, n);
    e->reply[n] = '\0';
    e->pass = pass;
    return NULL;
}

/* The parser proper. The reader calls it on many lines that are not
 * results, so it reports with a constant string rather than formatting a
 * detail each time. Returns NULL, or what is wrong. */
static const char *s_parse(mt5_vlog_entry_t *out, const char *line, size_t len)
{
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len > MT5_VLOG_LINE_MAX)
        return "longer than 4096 bytes";
    /* Raw control characters never come from the writer. */
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
            return "control character";
    }
    mt5_vlog_entry_t e;
    memset(&e, 0, sizeof e);
    e.rtt_us = -1;
    const char *p = line, *end = line + len;
    if (len < MT5_ISO_TIME_LEN + 1 || mt5_clock_parse_iso(&e.time_ms, p, MT5_ISO_TIME_LEN) ||
        p[MT5_ISO_TIME_LEN] != ' ')
        return "does not start with YYYY-MM-DDTHH:MM:SS.mmmZ and a space";
    p += MT5_ISO_TIME_LEN + 1;

    const char *sp = memchr(p, ' ', (size_t)(end - p));
    if (!sp || !s_level_ok(p, (size_t)(sp - p)))
        return "level is not DEBUG, INFO, WARN or ERROR";
    s_copy(e.level, sizeof e.level, p, (size_t)(sp - p));
    p = sp + 1;

    /* "<component>: " - the component itself is 1..63 characters. */
    sp = memchr(p, ' ', (size_t)(end - p));
    if (!sp || sp - p < 2 || sp[-1] != ':' ||
        !s_copy(e.component, sizeof e.component, p, (size_t)(sp - p - 1)))
        return "component is not 1 to 63 characters followed by ': '";
    p = sp + 1;

    /* A message whose first word is RESULT must be a well-formed result. */
    if (s_starts(p, end, "RESULT ")) {
        e.is_result = true;
        const char *why = s_parse_result(&e, p + 7, end);
        if (why)
            return why;
    } else if (end - p == 6 && s_starts(p, end, "RESULT")) {
        return "RESULT without a verdict";
    }
    *out = e;
    return NULL;
}

int mt5_vlog_parse_line(mt5_vlog_entry_t *out, const char *line, size_t len)
{
    const char *why = out && line ? s_parse(out, line, len) : "no line";
    if (why)
        return mt5_error_set(MT5_EPARSE, "not a log line: %s", why);
    return MT5_OK;
}

/* ---- backwards reader -------------------------------------------------- */

/* Cheap test before the full parse: is the message "RESULT "? Skips the
 * time, the level and the component by their spaces. */
static bool s_maybe_result(const char *line, size_t len)
{
    if (len < MT5_ISO_TIME_LEN + 16)
        return false;
    const char *p = line + MT5_ISO_TIME_LEN + 1, *end = line + len;
    for (int spaces = 0; spaces < 2; p++) {
        if (p >= end || p - line > MT5_ISO_TIME_LEN + 1 + 6 + 64)
            return false;
        spaces += *p == ' ';
    }
    return end - p >= 7 && memcmp(p, "RESULT ", 7) == 0;
}

static int s_pread_all(int fd, char *buf, size_t n, uint64_t off, const char *path)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, buf + got, n - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            char why[128];
            strerror_r(r < 0 ? errno : EIO, why, sizeof why);
            return mt5_error_set(MT5_EIO, "%s: %s", path,
                                 r < 0 ? why : "the file shrank while being read");
        }
        got += (size_t)r;
    }
    return MT5_OK;
}

int mt5_vlog_last_result(mt5_vlog_entry_t *out, const char *path, uint64_t since)
{
    if (!out || !path)
        return mt5_error_set(MT5_EINVAL, "no entry or no log file name");
    /* Regular files only (a FIFO must not hang us): anything else is EIO. */
    int fd = -1;
    mt5_file_info_t info;
    if (mt5_file_open_regular(&fd, &info, path) != MT5_OK)
        return MT5_EIO; /* its detail stands; "not a regular file" is unreadable here */
    int rc = mt5_vlog_last_result_fd(out, fd, info.size, since, 0, path);
    close(fd);
    return rc;
}

int mt5_vlog_last_result_fd(mt5_vlog_entry_t *out, int fd, uint64_t size, uint64_t since,
                            int64_t deadline_us, const char *path)
{
    if (!out || fd < 0 || !path)
        return mt5_error_set(MT5_EINVAL, "no entry, descriptor or log file name");
    /* Reading stops at the byte before `since`: it tells whether a line
     * starts exactly at `since`. A head that reaches back to it began
     * before `since`, so every other line looked at starts at or after. */
    uint64_t lo = since > 0 ? since - 1 : 0;
    if (since > size || size == 0)
        return mt5_error_set(MT5_ENOTFOUND, "%s: no RESULT line", path);

    /* buf holds one chunk followed by the carry: the head of the previous
     * window, i.e. the start of a line whose beginning is still unread. */
    const size_t carry_max = MT5_VLOG_LINE_MAX + 1; /* the line and a '\r' */
    char *buf = malloc(S_CHUNK + carry_max);
    if (!buf)
        return mt5_error_set(MT5_ENOMEM, "%s: out of memory", path);
    size_t carry = 0;      /* bytes of carry at buf[0] */
    bool overlong = false; /* the line the carry belongs to is too long */
    uint64_t ws = size;    /* file offset of the window's first byte */
    int rc = MT5_ENOTFOUND;
    mt5_vlog_entry_t best;
    memset(&best, 0, sizeof best);

    while (ws > lo && rc == MT5_ENOTFOUND) {
        if (deadline_us > 0 && mt5_clock_mono_us() >= deadline_us) {
            rc = mt5_error_set(MT5_ETIMEOUT, "%s: no RESULT line found before the deadline", path);
            break;
        }
        size_t n = ws - lo < S_CHUNK ? (size_t)(ws - lo) : S_CHUNK;
        memmove(buf + n, buf, carry);
        ws -= n;
        if (s_pread_all(fd, buf, n, ws, path) != MT5_OK) {
            rc = MT5_EIO;
            break;
        }
        size_t wlen = n + carry;
        /* The head, up to the first '\n', may begin further back: it is a
         * whole line only at the start of the file, and then it starts at
         * or after `since` only when that is 0. */
        const char *nl = memchr(buf, '\n', wlen);
        size_t head = nl ? (size_t)(nl - buf) : wlen;
        size_t pos = ws == 0 && since == 0 ? 0 : head + 1;
        while (pos <= wlen) {
            const char *ls = buf + pos;
            const char *le = pos < wlen ? memchr(ls, '\n', wlen - pos) : NULL;
            size_t llen = le ? (size_t)(le - ls) : wlen - pos;
            /* The window's last line is the one the carry belonged to. */
            bool skip = !le && overlong;
            if (!skip && s_maybe_result(ls, llen)) {
                mt5_vlog_entry_t e;
                if (!s_parse(&e, ls, llen) && e.is_result) {
                    e.offset = ws + pos;
                    best = e;
                    rc = MT5_OK;
                }
            }
            pos += llen + 1;
        }
        /* Keep the head for the next, earlier window, unless it is already
         * too long to be a log line: then only its start is looked for. */
        if (nl)
            overlong = head > carry_max;
        else
            overlong = overlong || wlen > carry_max;
        carry = overlong ? 0 : head;
    }
    free(buf);
    if (rc == MT5_OK) {
        *out = best;
        mt5_error_clear();
        return MT5_OK;
    }
    if (rc == MT5_ENOTFOUND)
        return mt5_error_set(MT5_ENOTFOUND, "%s: no RESULT line", path);
    return rc;
}
