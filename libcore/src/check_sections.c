/*  check_sections.c - the `sections` kind: a Markdown document has the
 *  headings a deliverable needs, and enough of them.
 *
 *  Only ATX headings count ("#" to "######" followed by a space, a tab or
 *  the end of the line, indented by at most three spaces); setext headings
 *  (text underlined with === or ---) do not. Lines inside fenced code
 *  blocks (``` or ~~~, closed by a fence of the same character at least as
 *  long) are not headings, so a shell comment in an example cannot satisfy
 *  a check. A heading's text is trimmed and its closing #s removed.
 *
 *  A required heading is found when some heading's text equals it, ASCII
 *  case-insensitively, either as written or without a leading section
 *  number ("1.", "2.1", "3)", "4"): "## 2.1 Architecture" has the heading
 *  "Architecture". Required headings may be at any level; `level` only
 *  restricts what min_sections counts.
 *
 *  Documents are small, so the file is read whole (mt5_file_read_all, in
 *  blocks with the deadline checked between), up to S_MAX bytes: larger
 *  is an error, not a reason to use unbounded memory.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "check_impl.h"
#include "mt5/error.h"
#include "mt5/file.h"

#define S_MAX (16u * 1024u * 1024u) /* largest document read */

static bool s_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* A fence line: up to 3 spaces, then 3 or more ` or ~. *ch and *n say
 * which and how many; *rest_blank whether only blanks follow. */
static bool s_fence(const char *s, size_t len, char *ch, size_t *n, bool *rest_blank)
{
    size_t i = 0;
    while (i < len && i < 3 && s[i] == ' ')
        i++;
    if (i >= len || (s[i] != '`' && s[i] != '~'))
        return false;
    char c = s[i];
    size_t run = 0;
    while (i < len && s[i] == c) {
        i++;
        run++;
    }
    if (run < 3)
        return false;
    bool blank = true;
    for (size_t j = i; j < len; j++) {
        if (!s_blank(s[j]))
            blank = false;
        /* A backtick fence's info string may not hold a backtick. */
        if (c == '`' && s[j] == '`')
            return false;
    }
    *ch = c;
    *n = run;
    *rest_blank = blank;
    return true;
}

/* An ATX heading: its level (1..6) and trimmed text, or 0. */
static int s_heading(const char *s, size_t len, const char **text, size_t *tlen)
{
    size_t i = 0;
    while (i < len && i < 3 && s[i] == ' ')
        i++;
    size_t level = 0;
    while (i < len && s[i] == '#') {
        i++;
        level++;
    }
    if (level < 1 || level > 6 || (i < len && !s_blank(s[i])))
        return 0;
    while (i < len && s_blank(s[i]))
        i++;
    size_t e = len;
    while (e > i && s_blank(s[e - 1]))
        e--;
    /* A closing sequence: #s preceded by a blank (or making up the text). */
    size_t h = e;
    while (h > i && s[h - 1] == '#')
        h--;
    if (h < e && (h == i || s_blank(s[h - 1]))) {
        e = h;
        while (e > i && s_blank(s[e - 1]))
            e--;
    }
    *text = s + i;
    *tlen = e - i;
    return (int)level;
}

/* The text without a leading section number "1.", "2.1", "3)" or "4"
 * followed by a blank; the text itself when it has none. */
static const char *s_unnumbered(const char *t, size_t len, size_t *rlen)
{
    size_t i = 0;
    *rlen = len;
    /* Digits, then ".digits" any number of times. */
    for (;;) {
        size_t d = i;
        while (i < len && t[i] >= '0' && t[i] <= '9')
            i++;
        if (i == d)
            return t;
        if (i + 1 < len && t[i] == '.' && t[i + 1] >= '0' && t[i + 1] <= '9')
            i++;
        else
            break;
    }
    if (i < len && (t[i] == '.' || t[i] == ')'))
        i++;
    if (i >= len || !s_blank(t[i]))
        return t;
    while (i < len && s_blank(t[i]))
        i++;
    *rlen = len - i;
    return t + i;
}

static bool s_same(const char *a, size_t alen, const char *b, size_t blen)
{
    return alen == blen && strncasecmp(a, b, alen) == 0;
}

/* Whether heading text t matches the required heading want (trimmed). */
static bool s_matches(const char *t, size_t tlen, const char *want, size_t wlen)
{
    if (s_same(t, tlen, want, wlen))
        return true;
    size_t ulen;
    const char *u = s_unnumbered(t, tlen, &ulen);
    return u != t && s_same(u, ulen, want, wlen);
}

/* Trim blanks from both ends of a NUL-terminated string. */
static const char *s_trim(const char *s, size_t *len)
{
    while (s_blank(*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && s_blank(s[n - 1]))
        n--;
    *len = n;
    return s;
}

static int s_check_doc(mt5_check_result_t *out, const mt5_check_t *check, const char *doc,
                       size_t len)
{
    const mt5_check_sections_t *c = &check->u.sections;
    bool *seen = NULL;
    if (c->headings.count && !(seen = calloc(c->headings.count, sizeof *seen)))
        return check_verdict(out, MT5_STATUS_ERROR, "out of memory");
    int64_t counted = 0;
    size_t total = 0, lineno = 0;
    bool in_fence = false;
    char fence_ch = 0;
    size_t fence_n = 0;
    size_t pos = 0;
    /* A byte order mark is not part of the first line. */
    if (len >= 3 && memcmp(doc, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    while (pos < len) {
        const char *s = doc + pos;
        const char *nl = memchr(s, '\n', len - pos);
        size_t l = nl ? (size_t)(nl - s) : len - pos;
        pos += l + 1;
        lineno++;
        if (l > 0 && s[l - 1] == '\r')
            l--;
        char ch;
        size_t n;
        bool rest_blank;
        if (s_fence(s, l, &ch, &n, &rest_blank)) {
            if (!in_fence) {
                in_fence = true;
                fence_ch = ch;
                fence_n = n;
            } else if (ch == fence_ch && n >= fence_n && rest_blank)
                in_fence = false;
            continue;
        }
        const char *t;
        size_t tlen;
        int level = in_fence ? 0 : s_heading(s, l, &t, &tlen);
        if (level == 0)
            continue;
        total++;
        if (c->level == 0 || level == c->level)
            counted++;
        for (size_t i = 0; i < c->headings.count; i++) {
            size_t wlen;
            const char *want = s_trim(c->headings.items[i], &wlen);
            if (!seen[i] && s_matches(t, tlen, want, wlen))
                seen[i] = true;
        }
        char head[32];
        snprintf(head, sizeof head, "%s%zu: %.*s ", total > 1 ? "\n" : "", lineno, level, "######");
        check_evidence_bytes(out, head, strlen(head));
        check_evidence_bytes(out, t, tlen);
    }

    size_t missing = 0;
    for (size_t i = 0; i < c->headings.count; i++)
        missing += !seen[i];
    char what[48];
    const char *noun = counted == 1 ? "heading" : "headings";
    if (c->level)
        snprintf(what, sizeof what, "level-%d %s", c->level, noun);
    else
        snprintf(what, sizeof what, "%s", noun);
    size_t nreq = c->headings.count;
    const char *req = nreq == 1 ? "heading" : "headings";
    if (missing) {
        char list[MT5_CHECK_MESSAGE_MAX];
        size_t w = 0;
        list[0] = '\0';
        for (size_t i = 0; i < nreq && w < sizeof list; i++) {
            if (seen[i])
                continue;
            size_t wlen;
            const char *want = s_trim(c->headings.items[i], &wlen);
            int k = snprintf(list + w, sizeof list - w, "%s'%.*s'", w ? ", " : "", (int)wlen, want);
            if (k < 0)
                break;
            w += (size_t)k;
        }
        check_verdict(out, MT5_STATUS_FAIL, "%s is missing %zu of %zu required %s: %s", c->path,
                      missing, nreq, req, list);
    } else if (c->min_sections >= 0 && counted < c->min_sections) {
        check_verdict(out, MT5_STATUS_FAIL, "%s has %" PRId64 " %s, need at least %" PRId64,
                      c->path, counted, what, c->min_sections);
    } else if (nreq && c->min_sections >= 0) {
        check_verdict(out, MT5_STATUS_PASS,
                      "%s has the %zu required %s and %" PRId64 " %s (need %" PRId64 ")", c->path,
                      nreq, req, counted, what, c->min_sections);
    } else if (nreq) {
        check_verdict(out, MT5_STATUS_PASS, "%s has the %zu required %s", c->path, nreq, req);
    } else {
        check_verdict(out, MT5_STATUS_PASS, "%s has %" PRId64 " %s (need %" PRId64 ")", c->path,
                      counted, what, c->min_sections < 0 ? 0 : c->min_sections);
    }
    free(seen);
    return MT5_OK;
}

int mt5_check_sections_run(mt5_check_result_t *out, const mt5_check_t *check,
                           const mt5_check_ctx_t *ctx)
{
    const mt5_check_sections_t *c = &check->u.sections;
    if (!c->path)
        return check_verdict(out, MT5_STATUS_ERROR, "the check has no path");
    char *abs = NULL, *doc = NULL;
    int fd = -1;
    if (mt5_check_resolve(&abs, ctx->root, c->path) != MT5_OK)
        return check_verdict(out, MT5_STATUS_ERROR, "%s", mt5_error_detail());
    if (check_open(out, &fd, NULL, abs, c->path) != MT5_OK)
        goto done;
    size_t len = 0;
    int rc = mt5_file_read_all(&doc, &len, fd, S_MAX, ctx->deadline_us);
    if (rc == MT5_ETIMEOUT)
        check_timeout(out, check);
    else if (rc == MT5_ETOOLARGE)
        check_verdict(out, MT5_STATUS_ERROR, "%s is too large (more than %u MiB)", c->path,
                      S_MAX >> 20);
    else if (rc != MT5_OK)
        check_verdict(out, MT5_STATUS_ERROR, "%s cannot be read: %s", c->path, mt5_error_detail());
    else
        s_check_doc(out, check, doc, len);
done:
    if (fd >= 0)
        close(fd);
    free(doc);
    free(abs);
    return MT5_OK;
}
