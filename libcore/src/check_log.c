/*  check_log.c - the `log` kind: what VERIFY_LOG.log says about the bridge.
 *
 *  RESULT mode asks the question the log exists for: did the last run
 *  pass? mt5_vlog_last_result() reads the file backwards to the last
 *  well-formed result line (docs/protocol.md section 8), so its cost does
 *  not grow with the log. That line must be a PASS with the expected
 *  reply and, with max_age, recent enough.
 *
 *  TOKEN mode is for free-form logs that predate section 8 ("[✓] Received:
 *  OK_FROM_MT5"): it counts the lines holding a fixed string, like
 *  `grep -c -F`. Logs grow without bound, so this path is built for speed
 *  in constant memory: large aligned read(2) blocks, a vectorised search
 *  for the token (s_find), and after each hit a memchr to the end of its
 *  line, since a line counts once however many tokens it holds. The last
 *  token-length-minus-one bytes of a block are carried into the next, so a
 *  token split by a block boundary is still found.
 *
 *  With since_run, both modes look only at bytes appended since the run
 *  started (ctx->log_offset). A log now shorter than that offset was
 *  truncated or rotated during the run, so all of it is new.
 */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "check_impl.h"
#include "mt5/clock.h"
#include "mt5/error.h"
#include "mt5/file.h"
#include "mt5/vlog.h"

#define S_BLOCK (1024 * 1024) /* bytes per read(2); larger gains little, smaller costs syscalls */
#define S_ALIGN 4096          /* the block starts on a page: the kernel copies aligned */
#define S_TOKEN_MAX 1024      /* longest token searched for */
#define S_LINE_SHOWN 240      /* bytes of a matching line shown as evidence */

/* "500ms", "42s", "1.500s", "5m 3s", "2h 5m", "3d": the two largest units. */
static void s_duration(char *buf, size_t cap, int64_t ms)
{
    if (ms < 0)
        ms = 0;
    if (ms < 1000) {
        snprintf(buf, cap, "%" PRId64 "ms", ms);
        return;
    }
    if (ms < 60000) {
        if (ms % 1000)
            snprintf(buf, cap, "%" PRId64 ".%03" PRId64 "s", ms / 1000, ms % 1000);
        else
            snprintf(buf, cap, "%" PRId64 "s", ms / 1000);
        return;
    }
    static const struct {
        int64_t ms;
        const char *name;
    } units[] = {{86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}};
    for (size_t i = 0; i + 1 < sizeof units / sizeof units[0]; i++) {
        if (ms < units[i].ms)
            continue;
        int64_t big = ms / units[i].ms;
        int64_t small = ms % units[i].ms / units[i + 1].ms;
        if (small)
            snprintf(buf, cap, "%" PRId64 "%s %" PRId64 "%s", big, units[i].name, small,
                     units[i + 1].name);
        else
            snprintf(buf, cap, "%" PRId64 "%s", big, units[i].name);
        return;
    }
}

/* ---- RESULT mode ------------------------------------------------------- */

static int s_result(mt5_check_result_t *out, const mt5_check_t *check, const mt5_check_ctx_t *ctx,
                    int fd, uint64_t size, uint64_t since)
{
    const mt5_check_log_t *l = &check->u.log;
    mt5_vlog_entry_t e;
    /* The descriptor check_open vetted, read backwards under the deadline:
     * a log with no RESULT line is read to its start. */
    int rc = mt5_vlog_last_result_fd(&e, fd, size, since, ctx->deadline_us, l->path);
    if (rc == MT5_ETIMEOUT)
        return check_timeout(out, check);
    if (rc == MT5_ENOTFOUND)
        return check_verdict(out, MT5_STATUS_FAIL, "no RESULT line in %s%s", l->path,
                             l->since_run ? " since the run started" : "");
    if (rc != MT5_OK)
        return check_verdict(out, MT5_STATUS_ERROR, "%s cannot be read: %s", l->path,
                             mt5_error_detail());

    char when[MT5_ISO_TIME_LEN + 1];
    if (mt5_clock_format_iso(when, sizeof when, e.time_ms) != MT5_OK)
        snprintf(when, sizeof when, "?");
    if (e.pass)
        check_evidence(out, "time=%s endpoint=%s rtt_us=%" PRId64 " reply=%s", when, e.endpoint,
                       e.rtt_us, e.reply);
    else
        check_evidence(out, "time=%s endpoint=%s error=%s%s%s", when, e.endpoint, e.error,
                       e.reply[0] ? " reply=" : "", e.reply);
    if (!e.pass)
        return check_verdict(out, MT5_STATUS_FAIL, "last run failed: error=%s at %s", e.error,
                             when);

    /* The log holds the reply escaped and cut as mt5_vlog_pass wrote it. */
    const char *expect = l->expect ? l->expect : "OK_FROM_MT5";
    size_t elen = strlen(expect);
    char want[sizeof e.reply];
    mt5_vlog_escape(want, sizeof want, expect,
                    elen < MT5_VLOG_REPLY_MAX ? elen : MT5_VLOG_REPLY_MAX);
    if (strcmp(e.reply, want) != 0)
        return check_verdict(out, MT5_STATUS_FAIL, "reply was %s, expected %s", e.reply, want);

    if (l->max_age_ms >= 0 && e.time_ms < ctx->now_ms - l->max_age_ms) {
        char age[32], max[32];
        s_duration(age, sizeof age, ctx->now_ms - e.time_ms);
        s_duration(max, sizeof max, l->max_age_ms);
        return check_verdict(out, MT5_STATUS_FAIL, "last PASS is %s old (max %s)", age, max);
    }
    return check_verdict(out, MT5_STATUS_PASS, "last run passed at %s with reply %s", when, want);
}

/* ---- TOKEN mode -------------------------------------------------------- */

/*  The first occurrence of tok (k >= 2 bytes) in hay[0..n), or NULL. With
 *  SSE2 (every x86-64), 16 positions are tried at once: a position is a
 *  candidate when its byte is tok's first and the byte k-1 further is
 *  tok's last, which in text is rare enough that candidates are verified
 *  with memcmp. No per-call set-up, so calling it once per matching line
 *  costs little. The tail, and other platforms, use memmem. */
static const char *s_find(const char *hay, size_t n, const char *tok, size_t k)
{
    size_t i = 0;
#if defined(__SSE2__)
    if (n >= k + 15) {
        const __m128i first = _mm_set1_epi8(tok[0]);
        const __m128i last = _mm_set1_epi8(tok[k - 1]);
        for (; i + k + 15 <= n; i += 16) {
            __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(hay + i));
            __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(hay + i + k - 1));
            unsigned mask = (unsigned)_mm_movemask_epi8(
                _mm_and_si128(_mm_cmpeq_epi8(a, first), _mm_cmpeq_epi8(b, last)));
            while (mask) {
                unsigned bit = (unsigned)__builtin_ctz(mask);
                if (memcmp(hay + i + bit + 1, tok + 1, k - 2) == 0)
                    return hay + i + bit;
                mask &= mask - 1;
            }
        }
    }
#endif
    return i < n ? memmem(hay + i, n - i, tok, k) : NULL;
}

/*  Count the lines of fd from `since` to its end that contain tok (k >= 1
 *  bytes, no '\n'). *last gets the file offset of the last counted
 *  occurrence (UINT64_MAX when none). MT5_OK, MT5_ETIMEOUT, MT5_EIO,
 *  MT5_ENOMEM. */
static int s_count(uint64_t *count, uint64_t *last, int fd, uint64_t since, const char *tok,
                   size_t k, const mt5_check_ctx_t *ctx)
{
    /* The carry (up to k-1 bytes) sits just before the page-aligned block. */
    const size_t pad = (k + S_ALIGN - 1) / S_ALIGN * S_ALIGN;
    char *mem = NULL;
    if (posix_memalign((void **)&mem, S_ALIGN, pad + S_BLOCK) != 0)
        return mt5_error_set(MT5_ENOMEM, "out of memory");
    char *block = mem + pad;
    (void)posix_fadvise(fd, (off_t)since, 0, POSIX_FADV_SEQUENTIAL);
    int rc = MT5_OK;
    uint64_t found = 0, last_at = UINT64_MAX;
    uint64_t off = since; /* file offset of block[0] */
    size_t carry = 0;     /* bytes carried before block[0] */
    bool in_hit = false;  /* the current line already counted: skip to its end */
    if (lseek(fd, (off_t)since, SEEK_SET) < 0) {
        rc = mt5_error_set(MT5_EIO, "lseek: %s", strerror(errno));
        goto done;
    }
    for (;;) {
        ssize_t n = check_read(fd, block, S_BLOCK, ctx, &rc);
        if (n < 0)
            goto done;
        if (n == 0)
            break;
        const char *p = block - carry, *end = block + n;
        if (in_hit) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            p = nl ? nl + 1 : end;
            in_hit = !nl;
        }
        while (!in_hit && end - p >= (ptrdiff_t)k) {
            const char *hit = k == 1 ? memchr(p, tok[0], (size_t)(end - p))
                                     : s_find(p, (size_t)(end - p), tok, k);
            if (!hit)
                break;
            found++;
            last_at = off - carry + (uint64_t)(hit - (block - carry));
            const char *nl = memchr(hit + k, '\n', (size_t)(end - hit - (ptrdiff_t)k));
            p = nl ? nl + 1 : end;
            in_hit = !nl;
        }
        /* No token starts in what is left, unless it runs on into the next
         * block: keep the last k-1 bytes in front of it. */
        carry = in_hit ? 0 : (size_t)(end - p) < k - 1 ? (size_t)(end - p) : k - 1;
        memmove(block - carry, end - carry, carry);
        off += (uint64_t)n;
    }
    *count = found;
    *last = last_at;
done:
    free(mem);
    return rc;
}

/* Append the line holding file offset `at` to the evidence. */
static void s_show_line(mt5_check_result_t *out, int fd, uint64_t at)
{
    char buf[2 * S_LINE_SHOWN];
    uint64_t from = at > S_LINE_SHOWN ? at - S_LINE_SHOWN : 0;
    ssize_t n = pread(fd, buf, sizeof buf, (off_t)from);
    if (n <= 0)
        return;
    size_t rel = (size_t)(at - from);
    if (rel > (size_t)n)
        return;
    size_t s = rel, e = rel;
    while (s > 0 && buf[s - 1] != '\n')
        s--;
    while (e < (size_t)n && buf[e] != '\n')
        e++;
    if (e > s && buf[e - 1] == '\r')
        e--;
    check_evidence_bytes(out, " last: ", 7);
    check_evidence_bytes(out, buf + s, e - s);
}

static int s_token(mt5_check_result_t *out, const mt5_check_t *check, const mt5_check_ctx_t *ctx,
                   int fd, uint64_t since)
{
    const mt5_check_log_t *l = &check->u.log;
    const char *tok = l->expect ? l->expect : "OK_FROM_MT5";
    size_t k = strlen(tok);
    if (k == 0 || k > S_TOKEN_MAX || strchr(tok, '\n'))
        return check_verdict(out, MT5_STATUS_ERROR,
                             "the token must be 1 to %d bytes without a newline", S_TOKEN_MAX);
    uint64_t count = 0, last = 0;
    int rc = s_count(&count, &last, fd, since, tok, k, ctx);
    if (rc == MT5_ETIMEOUT)
        return check_timeout(out, check);
    if (rc != MT5_OK)
        return check_verdict(out, MT5_STATUS_ERROR, "%s cannot be read: %s", l->path,
                             mt5_error_detail());
    check_evidence(out, "count=%" PRIu64 " since=%" PRIu64, count, since);
    if (last != UINT64_MAX)
        s_show_line(out, fd, last);
    const char *when = l->since_run ? " since the run started" : "";
    int64_t need = l->min_count > 0 ? l->min_count : 1;
    const char *lines = count == 1 ? "line" : "lines";
    if (count < (uint64_t)need)
        return check_verdict(out, MT5_STATUS_FAIL,
                             "%s has %" PRIu64 " %s with '%s'%s, need at least %" PRId64, l->path,
                             count, lines, tok, when, need);
    return check_verdict(out, MT5_STATUS_PASS, "%s has %" PRIu64 " %s with '%s'%s", l->path, count,
                         lines, tok, when);
}

int mt5_check_log_run(mt5_check_result_t *out, const mt5_check_t *check, const mt5_check_ctx_t *ctx)
{
    const mt5_check_log_t *l = &check->u.log;
    if (!l->path)
        return check_verdict(out, MT5_STATUS_ERROR, "the check has no path");
    char *abs = NULL;
    int fd = -1;
    if (mt5_check_resolve(&abs, ctx->root, l->path) != MT5_OK)
        return check_verdict(out, MT5_STATUS_ERROR, "%s", mt5_error_detail());
    mt5_file_info_t info;
    if (check_open(out, &fd, &info, abs, l->path) != MT5_OK)
        goto done;
    uint64_t since = 0;
    if (l->since_run && ctx->log_offset)
        since = ctx->log_offset(ctx->log_offset_arg, abs);
    if (since > info.size)
        since = 0; /* truncated or rotated during the run: all of it is new */
    if (l->mode == MT5_LOG_TOKEN)
        s_token(out, check, ctx, fd, since);
    else
        s_result(out, check, ctx, fd, info.size, since);
done:
    if (fd >= 0)
        close(fd);
    free(abs);
    return MT5_OK;
}
