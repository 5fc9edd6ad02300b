/*  check.c - the check model: names, comparisons, versions, paths inside
 *  the root, and the dispatch of an attempt to its kind.
 *
 *  The kinds live in check_<kind>.c; what they share (wording verdicts,
 *  deadlines, escaping evidence) is here so a verdict reads the same
 *  whichever kind wrote it.
 */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_impl.h"
#include "mt5/clock.h"
#include "mt5/error.h"
#include "mt5/file.h"
#include "utf8.h"

static const char *const s_kinds[MT5_CHECK_KIND_COUNT] = {
    "file", "contains", "sections", "log", "handshake", "command", "version", "port"};

static const char *const s_statuses[MT5_STATUS_COUNT] = {"pass", "fail", "error", "skip", "waived"};

static const char *const s_cmps[] = {">=", ">", "<=", "<", "==", "!="};

const char *mt5_check_kind_name(mt5_check_kind kind)
{
    return (unsigned)kind < MT5_CHECK_KIND_COUNT ? s_kinds[kind] : NULL;
}

int mt5_check_kind_parse(mt5_check_kind *out, const char *name)
{
    for (int i = 0; name && i < MT5_CHECK_KIND_COUNT; i++)
        if (strcmp(name, s_kinds[i]) == 0) {
            *out = (mt5_check_kind)i;
            return MT5_OK;
        }
    return MT5_ENOTFOUND;
}

const char *mt5_status_name(mt5_status status)
{
    return (unsigned)status < MT5_STATUS_COUNT ? s_statuses[status] : "error";
}

const char *mt5_cmp_name(mt5_cmp op)
{
    return (unsigned)op <= MT5_CMP_NE ? s_cmps[op] : "?";
}

int mt5_cmp_parse(mt5_cmp *out, const char *text)
{
    for (int i = 0; text && i <= MT5_CMP_NE; i++)
        if (strcmp(text, s_cmps[i]) == 0) {
            *out = (mt5_cmp)i;
            return MT5_OK;
        }
    return mt5_error_set(MT5_EPARSE, "'%s' is not one of >=, >, <=, <, ==, !=", text ? text : "");
}

bool mt5_cmp_holds(mt5_cmp op, int order)
{
    switch (op) {
    case MT5_CMP_GE:
        return order >= 0;
    case MT5_CMP_GT:
        return order > 0;
    case MT5_CMP_LE:
        return order <= 0;
    case MT5_CMP_LT:
        return order < 0;
    case MT5_CMP_EQ:
        return order == 0;
    case MT5_CMP_NE:
        return order != 0;
    }
    return false;
}

/* One dot-separated field: its number, and the suffix up to the next dot. */
static const char *s_field(const char *p, unsigned long long *num, const char **suffix,
                           size_t *slen)
{
    *num = 0;
    while (*p >= '0' && *p <= '9') {
        unsigned d = (unsigned)(*p - '0');
        *num = *num > (ULLONG_MAX - d) / 10 ? ULLONG_MAX : *num * 10 + d;
        p++;
    }
    *suffix = p;
    while (*p && *p != '.' && !(p[0] == ' '))
        p++;
    *slen = (size_t)(p - *suffix);
    return p;
}

int mt5_version_compare(int *order, const char *a, const char *b)
{
    if (!a || !b || *a < '0' || *a > '9' || *b < '0' || *b > '9')
        return mt5_error_set(MT5_EPARSE, "'%s' or '%s' is not a version", a ? a : "", b ? b : "");
    int result = 0;
    while (result == 0 && (*a || *b)) {
        unsigned long long na, nb;
        const char *sa, *sb;
        size_t la, lb;
        a = s_field(a, &na, &sa, &la);
        b = s_field(b, &nb, &sb, &lb);
        if (na != nb)
            result = na < nb ? -1 : 1;
        else if (la != lb || (la && memcmp(sa, sb, la) != 0)) {
            /* A pre-release suffix sorts before the bare number. */
            if (la == 0)
                result = 1;
            else if (lb == 0)
                result = -1;
            else {
                int c = memcmp(sa, sb, la < lb ? la : lb);
                result = c ? (c < 0 ? -1 : 1) : (la < lb ? -1 : 1);
            }
        }
        if (*a == '.')
            a++;
        if (*b == '.')
            b++;
        /* A space ends a version ("4.3.4 (build 1)"). */
        if (*a == ' ')
            a = "";
        if (*b == ' ')
            b = "";
    }
    *order = result;
    return MT5_OK;
}

void mt5_strv_free(mt5_strv_t *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->count; i++)
        free(v->items[i]);
    free(v->items);
    v->items = NULL;
    v->count = 0;
}

size_t mt5_redact_bytes(char *buf, size_t len, const mt5_strv_t *secrets)
{
    for (size_t i = 0; buf && secrets && i < secrets->count; i++) {
        const char *secret = secrets->items[i];
        size_t n = secret ? strlen(secret) : 0;
        if (n < 4)
            continue; /* shorter ones would blank out ordinary words */
        char *from = buf, *hit;
        while ((hit = memmem(from, len - (size_t)(from - buf), secret, n))) {
            memcpy(hit, "***", 3);
            memmove(hit + 3, hit + n, len - (size_t)(hit - buf) - n);
            len -= n - 3;
            from = hit + 3;
        }
    }
    return len;
}

void mt5_redact(char *text, const mt5_strv_t *secrets)
{
    if (text)
        text[mt5_redact_bytes(text, strlen(text), secrets)] = '\0';
}

void mt5_check_free(mt5_check_t *c)
{
    if (!c)
        return;
    free(c->id);
    free(c->phase);
    free(c->description);
    free(c->fix);
    mt5_strv_free(&c->needs);
    free(c->waiver_reason);
    free(c->waiver_expires);
    free(c->skip_reason);
    free(c->file);
    switch (c->kind) {
    case MT5_CHECK_FILE:
        free(c->u.file.path);
        free(c->u.file.sha256);
        break;
    case MT5_CHECK_CONTAINS:
        free(c->u.contains.path);
        mt5_strv_free(&c->u.contains.patterns);
        mt5_strv_free(&c->u.contains.absent);
        break;
    case MT5_CHECK_SECTIONS:
        free(c->u.sections.path);
        mt5_strv_free(&c->u.sections.headings);
        break;
    case MT5_CHECK_LOG:
        free(c->u.log.path);
        free(c->u.log.expect);
        break;
    case MT5_CHECK_HANDSHAKE:
        free(c->u.handshake.endpoint);
        free(c->u.handshake.message);
        free(c->u.handshake.expect);
        free(c->u.handshake.log);
        break;
    case MT5_CHECK_COMMAND:
        mt5_strv_free(&c->u.command.argv);
        free(c->u.command.cwd);
        mt5_strv_free(&c->u.command.env);
        free(c->u.command.capture);
        break;
    case MT5_CHECK_VERSION:
        mt5_strv_free(&c->u.version.argv);
        free(c->u.version.pkg_config);
        free(c->u.version.capture);
        free(c->u.version.want);
        break;
    case MT5_CHECK_PORT:
        free(c->u.port.host);
        break;
    default:
        break;
    }
    memset(c, 0, sizeof *c);
}

/* Whether the absolute path p is root or below it. */
static bool s_inside(const char *p, const char *root, size_t rootlen)
{
    return strncmp(p, root, rootlen) == 0 &&
           (p[rootlen] == '\0' || p[rootlen] == '/' || rootlen == 1);
}

/*  Resolve the absolute `path`: its longest existing prefix through
 *  realpath (symlinks followed), which must be inside `root`; the rest is
 *  appended as written. The kernel will not walk through a component
 *  that does not exist, so only the first missing one matters, and only
 *  when it is a dangling symlink: creating the file (a handshake's log)
 *  would create the link's target, so the target is resolved the same way,
 *  through up to `hops` links. `rel` names the path in messages. */
static int s_resolve_at(char **out, const char *path, const char *root, const char *rel, int hops)
{
    char head[PATH_MAX], resolved[PATH_MAX];
    size_t cut = strlen(path);
    memcpy(head, path, cut + 1);
    while (!realpath(head, resolved)) {
        char *slash = strrchr(head, '/');
        if (!slash || slash == head)
            return mt5_error_set(MT5_EIO, "%s: cannot resolve", rel);
        *slash = '\0';
        cut = (size_t)(slash - head);
    }
    if (!s_inside(resolved, root, strlen(root)))
        return mt5_error_set(MT5_EINVAL, "%s: leaves the root", rel);
    const char *rest = path + cut;
    if (*rest) {
        char first[PATH_MAX], target[PATH_MAX], next[PATH_MAX];
        const char *end = strchr(rest + 1, '/');
        size_t flen = end ? (size_t)(end - path) : strlen(path);
        memcpy(first, path, flen);
        first[flen] = '\0';
        struct stat st;
        if (lstat(first, &st) == 0 && S_ISLNK(st.st_mode)) {
            if (hops == 0)
                return mt5_error_set(MT5_EINVAL, "%s: too many symbolic links", rel);
            ssize_t n = readlink(first, target, sizeof target - 1);
            if (n <= 0)
                return mt5_error_set(MT5_EIO, "%s: cannot read a link", rel);
            target[n] = '\0';
            int w = target[0] == '/'
                        ? snprintf(next, sizeof next, "%s%s", target, path + flen)
                        : snprintf(next, sizeof next, "%s/%s%s", resolved, target, path + flen);
            if (w < 0 || (size_t)w >= sizeof next)
                return mt5_error_set(MT5_ETOOLARGE, "%s: path too long", rel);
            return s_resolve_at(out, next, root, rel, hops - 1);
        }
    }
    size_t rlen = strlen(resolved), tail = strlen(rest);
    if (rlen + tail + 1 > PATH_MAX)
        return mt5_error_set(MT5_ETOOLARGE, "%s: path too long", rel);
    char *s = malloc(rlen + tail + 1);
    if (!s)
        return mt5_error_set(MT5_ENOMEM, "out of memory");
    memcpy(s, resolved, rlen);
    memcpy(s + rlen, rest, tail + 1);
    *out = s;
    return MT5_OK;
}

/* Resolve the longest prefix of root/rel that exists (symlinks followed by
 * realpath), check it is inside the root, and append the rest as written. */
int mt5_check_resolve(char **out, const char *root, const char *rel)
{
    if (!out || !root || !rel)
        return mt5_error_set(MT5_EINVAL, "resolve: missing argument");
    if (rel[0] == '/')
        return mt5_error_set(MT5_EINVAL, "%s: absolute paths are not allowed", rel);
    char rroot[PATH_MAX];
    if (!realpath(root, rroot))
        return mt5_error_set(MT5_EIO, "%s: %s", root, strerror(errno));

    /* Lexical pass: ".." may never climb above the root. */
    int depth = 0;
    for (const char *p = rel; *p;) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            if (--depth < 0)
                return mt5_error_set(MT5_EINVAL, "%s: leaves the root", rel);
        } else if (n > 0 && !(n == 1 && p[0] == '.'))
            depth++;
        p += n;
        while (*p == '/')
            p++;
    }

    char joined[PATH_MAX];
    int w = snprintf(joined, sizeof joined, "%s/%s", rroot, rel);
    if (w < 0 || (size_t)w >= sizeof joined)
        return mt5_error_set(MT5_ETOOLARGE, "%s: path too long", rel);
    return s_resolve_at(out, joined, rroot, rel, 40);
}

int check_verdict(mt5_check_result_t *out, mt5_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    out->status = status;
    vsnprintf(out->message, sizeof out->message, fmt, ap);
    va_end(ap);
    return MT5_OK;
}

int check_timeout(mt5_check_result_t *out, const mt5_check_t *check)
{
    out->timed_out = true;
    return check_verdict(out, MT5_STATUS_ERROR, "timed out after %lld ms",
                         (long long)check->timeout_ms);
}

void check_evidence(mt5_check_result_t *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->evidence, sizeof out->evidence, fmt, ap);
    va_end(ap);
}

void check_evidence_bytes(mt5_check_result_t *out, const char *bytes, size_t len)
{
    size_t w = strlen(out->evidence);
    const size_t cap = sizeof out->evidence;
    const unsigned char *p = (const unsigned char *)bytes;
    for (size_t i = 0; i < len;) {
        size_t n = mt5_utf8_len(p + i, len - i);
        char esc[8];
        const char *src = (const char *)p + i;
        size_t m = n;
        if (n == 0 || (n == 1 && (p[i] < 0x20 || p[i] == 0x7F) && p[i] != '\n' && p[i] != '\t')) {
            snprintf(esc, sizeof esc, "\\x%02X", p[i]);
            src = esc;
            m = 4;
            n = 1;
        }
        if (w + m + 1 > cap)
            break;
        memcpy(out->evidence + w, src, m);
        w += m;
        i += n;
    }
    out->evidence[w] = '\0';
}

int check_open(mt5_check_result_t *out, int *fd, mt5_file_info_t *info, const char *abs,
               const char *rel)
{
    int rc = mt5_file_open_regular(fd, info, abs);
    if (rc == MT5_OK)
        return MT5_OK;
    if (rc == MT5_EINVAL)
        check_verdict(out, MT5_STATUS_FAIL, "%s is not a regular file", rel);
    else if (rc == MT5_ENOTFOUND)
        check_verdict(out, MT5_STATUS_FAIL, "%s does not exist", rel);
    else
        check_verdict(out, MT5_STATUS_ERROR, "%s cannot be opened: %s", rel, mt5_error_detail());
    return MT5_ENOTFOUND;
}

ssize_t check_read(int fd, void *buf, size_t n, const mt5_check_ctx_t *ctx, int *rc)
{
    for (;;) {
        if (check_expired(ctx)) {
            *rc = MT5_ETIMEOUT;
            return -1;
        }
        ssize_t got = read(fd, buf, n);
        if (got >= 0)
            return got;
        if (errno != EINTR) {
            *rc = mt5_error_set(MT5_EIO, "%s", strerror(errno));
            return -1;
        }
    }
}

bool check_expired(const mt5_check_ctx_t *ctx)
{
    return mt5_clock_mono_us() >= ctx->deadline_us;
}

int64_t check_remaining_ms(const mt5_check_ctx_t *ctx)
{
    int64_t left = (ctx->deadline_us - mt5_clock_mono_us()) / 1000;
    return left > 0 ? left : 0;
}

typedef int(s_run_fn)(mt5_check_result_t *, const mt5_check_t *, const mt5_check_ctx_t *);

static s_run_fn *const s_runs[MT5_CHECK_KIND_COUNT] = {
    mt5_check_file_run,      mt5_check_contains_run, mt5_check_sections_run, mt5_check_log_run,
    mt5_check_handshake_run, mt5_check_command_run,  mt5_check_version_run,  mt5_check_port_run};

int mt5_check_run(mt5_check_result_t *out, const mt5_check_t *check, const mt5_check_ctx_t *ctx)
{
    if (!out)
        return mt5_error_set(MT5_EINVAL, "check: no result");
    memset(out, 0, sizeof *out);
    if (!check || !ctx || !ctx->root || (unsigned)check->kind >= MT5_CHECK_KIND_COUNT) {
        check_verdict(out, MT5_STATUS_ERROR, "the check is malformed");
        return mt5_error_set(MT5_EINVAL, "check: bad arguments");
    }
    if (check_expired(ctx))
        return check_timeout(out, check);
    return s_runs[check->kind](out, check, ctx);
}
