/*  check_contains.c - the `contains` kind: PCRE2 patterns that must (and
 *  must not) appear in a file or in the files a glob matches.
 *
 *  Every pattern must match at least min_count times across all files
 *  together; every `absent` pattern must match nowhere. The glob is
 *  expanded with glob(3), sorted, so runs are repeatable; each match is
 *  resolved inside the root again (a symlink out of it is an error naming
 *  it), and matches that are not regular files are ignored.
 *
 *  Files are searched in constant memory: a 1 MiB buffer holds whole
 *  lines, the partial last line is carried into the next read, and only a
 *  line longer than the buffer is split. Patterns are compiled once per
 *  run with MT5_REGEX_MULTILINE, so ^ and $ work per line within a chunk.
 *  A pattern stops being searched once it reached min_count, and files
 *  stop being read once nothing is left to decide (they are still
 *  counted for min_files). The deadline is checked
 *  per chunk. Binary files and broken UTF-8 are no trouble: PCRE2 runs
 *  with PCRE2_MATCH_INVALID_UTF, and a runaway match is an error (see
 *  mt5/regex.h).
 */
#define _GNU_SOURCE /* memrchr, strndup */
#include <glob.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_impl.h"
#include "mt5/error.h"
#include "mt5/file.h"
#include "mt5/regex.h"

#define S_BUF (1024 * 1024) /* bytes of whole lines searched at once */
#define S_SHOWN 200         /* bytes of a matching line kept as evidence */

/* One pattern of the check and what the search found of it. */
typedef struct {
    const char *text;    /* the pattern as written (borrowed from the check) */
    mt5_regex_t *re;     /* compiled */
    bool absent;         /* must match nowhere */
    uint64_t found;      /* matches so far, counted up to min_count only */
    bool done;           /* nothing more to learn: min_count reached, or an absent hit */
    char *file;          /* where the first match is (owned), or NULL */
    uint64_t line;       /* its 1-based line */
    char shown[S_SHOWN]; /* the start of that line */
    size_t shown_len;
} s_pat_t;

/* The search of one run. */
typedef struct {
    const mt5_check_t *check;
    const mt5_check_ctx_t *ctx;
    mt5_check_result_t *out;
    s_pat_t *pats; /* patterns first, then absent ones */
    size_t npats;
    char *buf;    /* S_BUF bytes */
    size_t files; /* regular files searched */
    bool decided; /* a verdict is already in out */
    int skipped;  /* why the last candidate was passed over: MT5_ENOTFOUND or MT5_EINVAL */
} s_run_t;

static const char *s_plural(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* Whether searching further cannot change the verdict: a forbidden
 * pattern was found, or every pattern is done and none is forbidden. */
static bool s_settled(const s_run_t *r)
{
    bool settled = true;
    for (size_t i = 0; i < r->npats; i++) {
        if (r->pats[i].absent && r->pats[i].found)
            return true;
        if (r->pats[i].absent || !r->pats[i].done)
            settled = false;
    }
    return settled;
}

/* Remember where p first matched: the line of chunk[at] in file `rel`. */
static int s_remember(s_pat_t *p, const char *rel, uint64_t line0, const char *chunk, size_t len,
                      size_t at)
{
    size_t s = at, e = at;
    while (s > 0 && chunk[s - 1] != '\n')
        s--;
    while (e < len && chunk[e] != '\n')
        e++;
    if (e > s && chunk[e - 1] == '\r')
        e--;
    uint64_t line = line0;
    for (const char *q = chunk; (q = memchr(q, '\n', (size_t)(chunk + s - q))); q++)
        line++;
    p->file = strdup(rel);
    if (!p->file)
        return mt5_error_set(MT5_ENOMEM, "out of memory");
    p->line = line;
    p->shown_len = e - s < S_SHOWN ? e - s : S_SHOWN;
    memcpy(p->shown, chunk + s, p->shown_len);
    return MT5_OK;
}

/* Run the patterns over one chunk of whole lines. MT5_OK, or an error
 * verdict written (MT5_ETOOLARGE, MT5_ENOMEM). */
static int s_chunk(s_run_t *r, const char *rel, uint64_t line0, const char *chunk, size_t len)
{
    const uint64_t need =
        r->check->u.contains.min_count > 0 ? (uint64_t)r->check->u.contains.min_count : 1;
    for (size_t i = 0; i < r->npats; i++) {
        s_pat_t *p = &r->pats[i];
        if (p->done)
            continue;
        int rc = MT5_OK;
        size_t at = 0, n = 0;
        /* Until a pattern's first match is seen, find it, for the evidence. */
        if (!p->file) {
            rc = mt5_regex_find(p->re, chunk, len, 0, &at, NULL, NULL, NULL);
            if (rc == MT5_OK)
                rc = s_remember(p, rel, line0, chunk, len, at);
        }
        if (rc == MT5_OK && p->absent) {
            p->found = 1; /* one forbidden match decides */
            p->done = true;
            continue;
        }
        if (rc == MT5_OK)
            rc = mt5_regex_count(p->re, chunk, len, (size_t)(need - p->found), &n);
        if (rc == MT5_ENOTFOUND)
            continue;
        if (rc != MT5_OK) {
            check_verdict(r->out, MT5_STATUS_ERROR, "%s in %s", mt5_error_detail(), rel);
            r->decided = true;
            return rc;
        }
        p->found += n;
        p->done = p->found >= need;
    }
    return MT5_OK;
}

/* Search one regular file. MT5_OK, or a verdict is written. */
static int s_file(s_run_t *r, int fd, const char *rel)
{
    size_t have = 0; /* bytes in buf: the carried partial line first */
    uint64_t line0 = 1;
    bool eof = false;
    while (!eof || have > 0) {
        if (check_expired(r->ctx)) {
            check_timeout(r->out, r->check);
            r->decided = true;
            return MT5_ETIMEOUT;
        }
        if (!eof && have < S_BUF) {
            int rc = MT5_OK;
            ssize_t n = check_read(fd, r->buf + have, S_BUF - have, r->ctx, &rc);
            if (n < 0 && rc == MT5_ETIMEOUT) {
                check_timeout(r->out, r->check);
                r->decided = true;
                return MT5_ETIMEOUT;
            }
            if (n < 0) {
                check_verdict(r->out, MT5_STATUS_ERROR, "%s cannot be read: %s", rel,
                              mt5_error_detail());
                r->decided = true;
                return MT5_EIO;
            }
            eof = n == 0;
            have += (size_t)n;
        }
        /* The chunk ends after the last '\n'; at the end of the file, or when
         * one line fills the buffer, it is all there is. */
        size_t len = have;
        if (!eof) {
            const char *nl = memrchr(r->buf, '\n', have);
            if (nl)
                len = (size_t)(nl - r->buf) + 1;
            else if (have < S_BUF)
                continue;
        }
        if (len > 0 && s_chunk(r, rel, line0, r->buf, len) != MT5_OK)
            return MT5_EINTERNAL;
        for (const char *q = r->buf; (q = memchr(q, '\n', (size_t)(r->buf + len - q))); q++)
            line0++;
        memmove(r->buf, r->buf + len, have - len);
        have -= len;
        if (s_settled(r))
            break;
    }
    return MT5_OK;
}

/* Resolve rel inside the root. MT5_OK and *abs (caller frees), or an
 * error verdict written. */
static int s_resolve(s_run_t *r, char **abs, const char *rel)
{
    if (mt5_check_resolve(abs, r->ctx->root, rel) == MT5_OK)
        return MT5_OK;
    check_verdict(r->out, MT5_STATUS_ERROR, "%s", mt5_error_detail());
    r->decided = true;
    return MT5_EINVAL;
}

/* Open and search one resolved candidate. Non-regular files are skipped,
 * and so are files that do not exist (a glob match that vanished, a named
 * file the caller reports on). MT5_OK, or a verdict written. */
static int s_candidate(s_run_t *r, const char *abs, const char *rel)
{
    int fd = -1;
    int rc = mt5_file_open_regular(&fd, NULL, abs);
    if (rc == MT5_EINVAL || rc == MT5_ENOTFOUND) {
        r->skipped = rc; /* a directory, a FIFO, or gone: not a file to search */
        return MT5_OK;
    }
    if (rc != MT5_OK) {
        check_verdict(r->out, MT5_STATUS_ERROR, "%s cannot be opened: %s", rel, mt5_error_detail());
        r->decided = true;
        return rc;
    }
    /* Once nothing is left to decide, files are still counted (min_files)
     * but no longer read. */
    r->files++;
    rc = s_settled(r) ? MT5_OK : s_file(r, fd, rel);
    close(fd);
    return rc;
}

static bool s_is_glob(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

/* Expand the glob `rel` inside the root and search each match in order. */
static int s_glob(s_run_t *r, const char *rel)
{
    const char *root = r->ctx->root;
    /* The directories before the first wildcard must stay in the root: a
     * wildcard matches no file literally, so resolving the whole pattern
     * judges exactly its existing prefix. */
    char *prefix = NULL;
    int prc = s_resolve(r, &prefix, rel);
    free(prefix);
    if (prc != MT5_OK)
        return prc;
    /* glob(3) sees the root too: its wildcard characters are escaped. */
    size_t rlen = strlen(root), cap = 2 * rlen + strlen(rel) + 2, w = 0;
    char *pattern = malloc(cap);
    if (!pattern) {
        check_verdict(r->out, MT5_STATUS_ERROR, "out of memory");
        r->decided = true;
        return MT5_ENOMEM;
    }
    for (size_t i = 0; i < rlen; i++) {
        if (strchr("*?[\\", root[i]))
            pattern[w++] = '\\';
        pattern[w++] = root[i];
    }
    pattern[w++] = '/';
    memcpy(pattern + w, rel, strlen(rel) + 1);

    glob_t g;
    memset(&g, 0, sizeof g);
    int grc = glob(pattern, 0, NULL, &g);
    free(pattern);
    if (grc != 0 && grc != GLOB_NOMATCH) {
        check_verdict(r->out, MT5_STATUS_ERROR, "%s: the glob failed (%s)", rel,
                      grc == GLOB_NOSPACE ? "out of memory" : "read error");
        r->decided = true;
        globfree(&g);
        return MT5_EIO;
    }
    /* Every match is resolved before any is searched, so a symlink out of
     * the root is an error whatever the search would have found first. */
    size_t n = grc == 0 ? g.gl_pathc : 0;
    char **abs = n ? calloc(n, sizeof *abs) : NULL;
    int rc = n && !abs ? MT5_ENOMEM : MT5_OK;
    if (rc != MT5_OK) {
        check_verdict(r->out, MT5_STATUS_ERROR, "out of memory");
        r->decided = true;
    }
    for (size_t i = 0; rc == MT5_OK && i < n; i++) {
        const char *m = g.gl_pathv[i];
        /* Every match starts with "<root>/": what follows is relative. */
        if (strncmp(m, root, rlen) == 0 && m[rlen] == '/')
            rc = s_resolve(r, &abs[i], m + rlen + 1);
    }
    for (size_t i = 0; rc == MT5_OK && i < n; i++)
        if (abs[i])
            rc = s_candidate(r, abs[i], g.gl_pathv[i] + rlen + 1);
    for (size_t i = 0; abs && i < n; i++)
        free(abs[i]);
    free(abs);
    globfree(&g);
    return rc;
}

/* Compile the check's patterns into r->pats. MT5_OK, or a verdict written. */
static int s_compile(s_run_t *r)
{
    const mt5_check_contains_t *c = &r->check->u.contains;
    r->npats = c->patterns.count + c->absent.count;
    if (r->npats == 0)
        return MT5_OK;
    r->pats = calloc(r->npats, sizeof *r->pats);
    if (!r->pats) {
        check_verdict(r->out, MT5_STATUS_ERROR, "out of memory");
        return MT5_ENOMEM;
    }
    unsigned flags = MT5_REGEX_MULTILINE | (c->ignore_case ? MT5_REGEX_CASELESS : 0);
    for (size_t i = 0; i < r->npats; i++) {
        s_pat_t *p = &r->pats[i];
        p->absent = i >= c->patterns.count;
        p->text = p->absent ? c->absent.items[i - c->patterns.count] : c->patterns.items[i];
        if (!p->text || mt5_regex_new(&p->re, p->text, flags) != MT5_OK) {
            check_verdict(r->out, MT5_STATUS_ERROR, "pattern '%s' does not compile: %s",
                          p->text ? p->text : "", p->text ? mt5_error_detail() : "missing");
            return MT5_EPARSE;
        }
    }
    return MT5_OK;
}

/* "<file>:<line>: <text>" of p, on a line of its own after the first. */
static void s_show(mt5_check_result_t *out, const s_pat_t *p)
{
    char head[320];
    snprintf(head, sizeof head, "%s%s:%" PRIu64 ": ", out->evidence[0] ? "\n" : "", p->file,
             p->line);
    check_evidence_bytes(out, head, strlen(head));
    check_evidence_bytes(out, p->shown, p->shown_len);
}

/* The verdict once every file was searched. */
static void s_verdict(s_run_t *r)
{
    const mt5_check_contains_t *c = &r->check->u.contains;
    mt5_check_result_t *out = r->out;
    const uint64_t need = c->min_count > 0 ? (uint64_t)c->min_count : 1;
    const uint64_t min_files = c->min_files >= 0 ? (uint64_t)c->min_files : 0;
    if (r->files < min_files) {
        check_verdict(out, MT5_STATUS_FAIL, "%s matches %zu %s, need at least %" PRIu64, c->path,
                      r->files, s_plural(r->files, "file", "files"), min_files);
        return;
    }
    for (size_t i = 0; i < r->npats; i++) {
        const s_pat_t *p = &r->pats[i];
        if (p->absent && p->found) {
            check_verdict(out, MT5_STATUS_FAIL, "forbidden pattern '%s' found at %s:%" PRIu64,
                          p->text, p->file, p->line);
            s_show(out, p);
            return;
        }
    }
    size_t missing = 0, first = 0;
    for (size_t i = 0; i < r->npats; i++)
        if (!r->pats[i].absent && r->pats[i].found < need && missing++ == 0)
            first = i;
    const char *files = s_plural(r->files, "file", "files");
    if (missing) {
        const s_pat_t *p = &r->pats[first];
        char more[64] = "";
        if (missing > 1)
            snprintf(more, sizeof more, " (and %zu more %s missing)", missing - 1,
                     s_plural(missing - 1, "pattern", "patterns"));
        check_verdict(out, MT5_STATUS_FAIL,
                      "pattern '%s' found %" PRIu64 " %s in %zu %s, need %" PRIu64 "%s", p->text,
                      p->found, s_plural(p->found, "time", "times"), r->files, files, need, more);
        for (size_t i = 0; i < r->npats; i++) {
            const s_pat_t *q = &r->pats[i];
            if (q->absent)
                continue;
            char line[MT5_CHECK_EVIDENCE_MAX];
            int k = snprintf(line, sizeof line, "%s'%s': %" PRIu64 " of %" PRIu64,
                             out->evidence[0] ? "\n" : "", q->text, q->found, need);
            check_evidence_bytes(out, line, k > 0 ? (size_t)k : 0);
        }
        return;
    }
    size_t npat = c->patterns.count, nabs = c->absent.count;
    if (npat && nabs)
        check_verdict(out, MT5_STATUS_PASS, "%zu %s found and %zu forbidden %s absent in %zu %s",
                      npat, s_plural(npat, "pattern", "patterns"), nabs,
                      s_plural(nabs, "pattern", "patterns"), r->files, files);
    else if (npat)
        check_verdict(out, MT5_STATUS_PASS, "%zu %s found in %zu %s", npat,
                      s_plural(npat, "pattern", "patterns"), r->files, files);
    else
        check_verdict(out, MT5_STATUS_PASS, "%zu forbidden %s absent in %zu %s", nabs,
                      s_plural(nabs, "pattern", "patterns"), r->files, files);
    for (size_t i = 0; i < npat; i++)
        if (r->pats[i].file)
            s_show(out, &r->pats[i]);
}

int mt5_check_contains_run(mt5_check_result_t *out, const mt5_check_t *check,
                           const mt5_check_ctx_t *ctx)
{
    const mt5_check_contains_t *c = &check->u.contains;
    if (!c->path)
        return check_verdict(out, MT5_STATUS_ERROR, "the check has no path");
    s_run_t r = {.check = check, .ctx = ctx, .out = out};
    char *abs = NULL;
    if (s_compile(&r) != MT5_OK)
        goto done;
    /* Zeroed: PCRE2's JIT may read ahead past the subject's end (harmless,
     * within the buffer), which valgrind would flag as uninitialised. */
    r.buf = calloc(1, S_BUF);
    if (!r.buf) {
        check_verdict(out, MT5_STATUS_ERROR, "out of memory");
        goto done;
    }
    if (s_is_glob(c->path))
        s_glob(&r, c->path);
    else if (s_resolve(&r, &abs, c->path) == MT5_OK && s_candidate(&r, abs, c->path) == MT5_OK &&
             r.files == 0 && c->min_files > 0) {
        /* One named file that could not be searched: say why. */
        check_verdict(out, MT5_STATUS_FAIL, "%s %s", c->path,
                      r.skipped == MT5_ENOTFOUND ? "does not exist" : "is not a regular file");
        r.decided = true;
    }
    if (!r.decided)
        s_verdict(&r);
done:
    for (size_t i = 0; i < r.npats; i++) {
        mt5_regex_destroy(&r.pats[i].re);
        free(r.pats[i].file);
    }
    free(r.pats);
    free(r.buf);
    free(abs);
    return MT5_OK;
}
