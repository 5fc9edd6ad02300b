/*  check_file.c - the `file` kind: a deliverable exists, is a regular file,
 *  and holds to its size, line and SHA-256 bounds.
 *
 *  The path is resolved inside the root first (a symlink out of it is an
 *  error, never followed), then opened with mt5_file_open_regular so a
 *  directory or a FIFO is a plain "not a regular file" instead of a hang.
 *  Size bounds are decided from fstat alone. Lines and the hash need the
 *  content, which is read in 64 KiB blocks: memory is constant whatever
 *  the size, and the deadline is checked between blocks. The content is
 *  also read when no bound needs it but the file is small (up to
 *  S_EVIDENCE_READ_MAX), so the evidence records what was seen.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "check_impl.h"
#include "mt5/crypto.h"
#include "mt5/error.h"
#include "mt5/file.h"

#define S_BLOCK (64 * 1024)                       /* bytes per read(2) */
#define S_EVIDENCE_READ_MAX (16ull * 1024 * 1024) /* read for evidence alone up to this */

static const char *s_lines(uint64_t n)
{
    return n == 1 ? "line" : "lines";
}

/* Read fd to its end: byte count, line count (a last line without '\n'
 * counts) and SHA-256. MT5_OK, MT5_ETIMEOUT past the deadline, MT5_EIO. */
static int s_scan(uint64_t *bytes, uint64_t *lines, uint8_t digest[MT5_SHA256_LEN], int fd,
                  const mt5_check_ctx_t *ctx)
{
    char *buf = malloc(S_BLOCK);
    if (!buf)
        return mt5_error_set(MT5_ENOMEM, "out of memory");
    int rc = MT5_OK;
    mt5_sha256_ctx sha;
    mt5_sha256_init(&sha);
    uint64_t total = 0, nl = 0;
    char last = '\n';
    for (;;) {
        ssize_t n = check_read(fd, buf, S_BLOCK, ctx, &rc);
        if (n < 0)
            goto done;
        if (n == 0)
            break;
        mt5_sha256_update(&sha, buf, (size_t)n);
        for (const char *p = buf, *end = buf + n; (p = memchr(p, '\n', (size_t)(end - p))); p++)
            nl++;
        last = buf[n - 1];
        total += (uint64_t)n;
    }
    mt5_sha256_final(&sha, digest);
    *bytes = total;
    *lines = nl + (last != '\n' ? 1 : 0);
done:
    free(buf);
    return rc;
}

int mt5_check_file_run(mt5_check_result_t *out, const mt5_check_t *check,
                       const mt5_check_ctx_t *ctx)
{
    const mt5_check_file_t *f = &check->u.file;
    if (!f->path)
        return check_verdict(out, MT5_STATUS_ERROR, "the check has no path");
    char *abs = NULL;
    int fd = -1;
    if (mt5_check_resolve(&abs, ctx->root, f->path) != MT5_OK)
        return check_verdict(out, MT5_STATUS_ERROR, "%s", mt5_error_detail());
    mt5_file_info_t info;
    if (check_open(out, &fd, &info, abs, f->path) != MT5_OK)
        goto done;

    /* Bounds fstat can decide come first: no need to read a file that is
     * too big anyway. */
    check_evidence(out, "size=%" PRIu64, info.size);
    if (f->non_empty && info.size == 0) {
        check_verdict(out, MT5_STATUS_FAIL, "%s is empty", f->path);
        goto done;
    }
    if (f->max_bytes >= 0 && info.size > (uint64_t)f->max_bytes) {
        check_verdict(out, MT5_STATUS_FAIL,
                      "%s is %" PRIu64 " bytes, more than the maximum %" PRId64, f->path, info.size,
                      f->max_bytes);
        goto done;
    }
    bool need = f->min_lines >= 0 || f->max_lines >= 0 || f->sha256;
    if (!need && info.size > S_EVIDENCE_READ_MAX) {
        check_verdict(out, MT5_STATUS_PASS, "%s is present (%" PRIu64 " bytes)", f->path,
                      info.size);
        goto done;
    }

    uint64_t bytes = 0, lines = 0;
    uint8_t digest[MT5_SHA256_LEN];
    int rc = s_scan(&bytes, &lines, digest, fd, ctx);
    if (rc == MT5_ETIMEOUT) {
        check_timeout(out, check);
        goto done;
    }
    if (rc != MT5_OK) {
        check_verdict(out, MT5_STATUS_ERROR, "%s cannot be read: %s", f->path, mt5_error_detail());
        goto done;
    }
    char hex[2 * MT5_SHA256_LEN + 1];
    mt5_hex_encode(hex, sizeof hex, digest, sizeof digest);
    check_evidence(out, "size=%" PRIu64 " lines=%" PRIu64 " sha256=%s", bytes, lines, hex);

    /* The file may have changed since fstat: the bytes read decide. */
    if (f->non_empty && bytes == 0)
        check_verdict(out, MT5_STATUS_FAIL, "%s is empty", f->path);
    else if (f->max_bytes >= 0 && bytes > (uint64_t)f->max_bytes)
        check_verdict(out, MT5_STATUS_FAIL,
                      "%s is %" PRIu64 " bytes, more than the maximum %" PRId64, f->path, bytes,
                      f->max_bytes);
    else if (f->min_lines >= 0 && lines < (uint64_t)f->min_lines)
        check_verdict(out, MT5_STATUS_FAIL,
                      "%s has %" PRIu64 " %s, fewer than the minimum %" PRId64, f->path, lines,
                      s_lines(lines), f->min_lines);
    else if (f->max_lines >= 0 && lines > (uint64_t)f->max_lines)
        check_verdict(out, MT5_STATUS_FAIL, "%s has %" PRIu64 " %s, more than the maximum %" PRId64,
                      f->path, lines, s_lines(lines), f->max_lines);
    else if (f->sha256 && strcasecmp(f->sha256, hex) != 0)
        check_verdict(out, MT5_STATUS_FAIL, "%s has sha256 %s, expected %s", f->path, hex,
                      f->sha256);
    else
        check_verdict(out, MT5_STATUS_PASS, "%s is present (%" PRIu64 " bytes, %" PRIu64 " %s)",
                      f->path, bytes, lines, s_lines(lines));
done:
    if (fd >= 0)
        close(fd);
    free(abs);
    return MT5_OK;
}
