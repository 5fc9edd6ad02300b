/*  regex.c - PCRE2 behind a small interface (see mt5/regex.h); the only
 *  file that includes pcre2.h.
 *
 *  Patterns come from manifests and subjects from files nobody vetted, so
 *  every pattern is compiled in UTF mode with PCRE2_MATCH_INVALID_UTF:
 *  binary data and broken UTF-8 simply never match, they are not errors.
 *  A line ends at "\n", "\r\n" or "\r" (PCRE2_NEWLINE_ANYCRLF), since
 *  deliverables and logs come from Windows as well as Linux.
 *  The JIT is tried once at compile time and its failure is not an error
 *  (the interpreter does the same work, slower). Every match runs under a
 *  match limit, a depth limit and a heap limit held in one match context,
 *  so a pattern that backtracks catastrophically ends in MT5_ETOOLARGE
 *  within a fraction of a second instead of hanging the gate.
 *
 *  Thread safety: the compiled code and the match context are only read
 *  while matching; the match data (the one thing PCRE2 writes to) is made
 *  per call. One regex can therefore be shared by several threads.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <pcre2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mt5/error.h"
#include "mt5/regex.h"
#include "utf8.h"

#define S_MATCH_LIMIT 10000000u /* backtracking steps per match */
#define S_DEPTH_LIMIT 100000u   /* nested backtracking points (interpreter) */
#define S_HEAP_LIMIT 32768u     /* KiB of heap the interpreter may use per match */

struct mt5_regex_t {
    char *pattern;             /* as given, owned */
    pcre2_code *code;          /* compiled, JIT-compiled too when jit */
    pcre2_match_context *mctx; /* limits; read-only once built */
    bool jit;                  /* pcre2_jit_compile succeeded */
};

int mt5_regex_new(mt5_regex_t **out, const char *pattern, unsigned flags)
{
    if (!out || !pattern)
        return mt5_error_set(MT5_EINVAL, "regex: missing argument");
    uint32_t options = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
    if (flags & MT5_REGEX_CASELESS)
        options |= PCRE2_CASELESS;
    if (flags & MT5_REGEX_MULTILINE)
        options |= PCRE2_MULTILINE;

    int rc = MT5_OK;
    mt5_regex_t *self = calloc(1, sizeof *self);
    if (!self)
        return mt5_error_set(MT5_ENOMEM, "regex: out of memory");
    size_t plen = strlen(pattern);
    self->pattern = malloc(plen + 1);
    if (!self->pattern) {
        rc = mt5_error_set(MT5_ENOMEM, "regex: out of memory");
        goto done;
    }
    memcpy(self->pattern, pattern, plen + 1);

    /* Files from the Windows side end lines with CRLF: $ must match
     * before "\r\n" as before "\n", and . must not swallow the '\r'. */
    pcre2_compile_context *cctx = pcre2_compile_context_create(NULL);
    if (!cctx) {
        rc = mt5_error_set(MT5_ENOMEM, "regex: out of memory");
        goto done;
    }
    pcre2_set_newline(cctx, PCRE2_NEWLINE_ANYCRLF);
    int errcode = 0;
    PCRE2_SIZE erroff = 0;
    self->code =
        pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, options, &errcode, &erroff, cctx);
    pcre2_compile_context_free(cctx);
    if (!self->code) {
        PCRE2_UCHAR msg[256];
        if (pcre2_get_error_message(errcode, msg, sizeof msg) < 0)
            memcpy(msg, "unknown error", sizeof "unknown error");
        rc = mt5_error_set(MT5_EPARSE, "at offset %zu: %s", (size_t)erroff, (const char *)msg);
        goto done;
    }
    /* Failure only means no JIT here (unsupported platform, no exec
     * memory); the interpreter gives the same answers. */
    self->jit = pcre2_jit_compile(self->code, PCRE2_JIT_COMPLETE) == 0;

    self->mctx = pcre2_match_context_create(NULL);
    if (!self->mctx) {
        rc = mt5_error_set(MT5_ENOMEM, "regex: out of memory");
        goto done;
    }
    pcre2_set_match_limit(self->mctx, S_MATCH_LIMIT);
    pcre2_set_depth_limit(self->mctx, S_DEPTH_LIMIT);
    pcre2_set_heap_limit(self->mctx, S_HEAP_LIMIT);

done:
    if (rc != MT5_OK) {
        mt5_regex_destroy(&self);
        return rc;
    }
    *out = self;
    return MT5_OK;
}

void mt5_regex_destroy(mt5_regex_t **self)
{
    if (!self || !*self)
        return;
    mt5_regex_t *r = *self;
    pcre2_match_context_free(r->mctx);
    pcre2_code_free(r->code);
    free(r->pattern);
    free(r);
    *self = NULL;
}

const char *mt5_regex_pattern(const mt5_regex_t *self)
{
    return self ? self->pattern : NULL;
}

/* One match at `start`. Returns PCRE2's code: > 0 on a match, else an
 * error code. A JIT run out of its (small, per-thread) stack is redone by
 * the interpreter, whose memory is bounded by the heap limit instead. */
static int s_match(const mt5_regex_t *self, const char *subject, size_t len, size_t start,
                   uint32_t options, pcre2_match_data *md)
{
    int n = pcre2_match(self->code, (PCRE2_SPTR)subject, len, start, options, md, self->mctx);
    if (n == PCRE2_ERROR_JIT_STACKLIMIT)
        n = pcre2_match(self->code, (PCRE2_SPTR)subject, len, start, options | PCRE2_NO_JIT, md,
                        self->mctx);
    return n;
}

/* Map a failed match to MT5_ENOTFOUND or an error with detail. */
static int s_failure(const mt5_regex_t *self, int n)
{
    switch (n) {
    case PCRE2_ERROR_NOMATCH:
        return MT5_ENOTFOUND;
    case PCRE2_ERROR_MATCHLIMIT:
        return mt5_error_set(MT5_ETOOLARGE, "pattern '%s': match limit exceeded (backtracking)",
                             self->pattern);
    case PCRE2_ERROR_DEPTHLIMIT:
        return mt5_error_set(MT5_ETOOLARGE, "pattern '%s': depth limit exceeded", self->pattern);
    case PCRE2_ERROR_HEAPLIMIT:
        return mt5_error_set(MT5_ETOOLARGE, "pattern '%s': heap limit exceeded", self->pattern);
    case PCRE2_ERROR_NOMEMORY:
        return mt5_error_set(MT5_ENOMEM, "pattern '%s': out of memory", self->pattern);
    default: {
        PCRE2_UCHAR msg[256];
        if (pcre2_get_error_message(n, msg, sizeof msg) < 0)
            memcpy(msg, "unknown error", sizeof "unknown error");
        return mt5_error_set(MT5_EINTERNAL, "pattern '%s': %s", self->pattern, (const char *)msg);
    }
    }
}

/* The whole match and the group mt5_regex_find reports (the first group
 * when it took part, else the whole match) from a match's ovector, as
 * {mstart, mend, gstart, gend}. n is pcre2_match's positive return: the
 * match data is sized from the pattern, so it is never 0 (ovector too
 * small) and group 1 took part only when n > 1 and it is set. */
static void s_ranges(size_t r[4], pcre2_match_data *md, int n)
{
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    r[0] = r[2] = ov[0];
    r[1] = r[3] = ov[1];
    if (n > 1 && ov[2] != PCRE2_UNSET) {
        r[2] = ov[2];
        r[3] = ov[3];
    }
}

/* Write the ranges to whichever out pointers are not NULL. */
static void s_put(const size_t r[4], size_t *mstart, size_t *mend, size_t *gstart, size_t *gend)
{
    if (mstart)
        *mstart = r[0];
    if (mend)
        *mend = r[1];
    if (gstart)
        *gstart = r[2];
    if (gend)
        *gend = r[3];
}

int mt5_regex_find(const mt5_regex_t *self, const char *subject, size_t len, size_t start,
                   size_t *mstart, size_t *mend, size_t *gstart, size_t *gend)
{
    if (!self || (!subject && len > 0) || start > len)
        return mt5_error_set(MT5_EINVAL, "regex: bad arguments");
    if (!subject)
        subject = "";
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(self->code, NULL);
    if (!md)
        return mt5_error_set(MT5_ENOMEM, "regex: out of memory");
    int rc = MT5_OK;
    int n = s_match(self, subject, len, start, 0, md);
    if (n < 0)
        rc = s_failure(self, n);
    else {
        size_t r[4];
        s_ranges(r, md, n);
        s_put(r, mstart, mend, gstart, gend);
    }
    pcre2_match_data_free(md);
    return rc;
}

/* Bytes of the character at p (1 when p is at the end or the sequence is
 * not valid UTF-8), so an empty match steps over exactly one character. */
static size_t s_char_len(const char *p, size_t left)
{
    size_t n = left ? mt5_utf8_len((const unsigned char *)p, left) : 0;
    return n ? n : 1;
}

/*  Walk the non-overlapping matches of subject[0..len) from its start,
 *  stopping once *found reaches cap (0 = no cap), with one match data for
 *  the whole walk. MT5_OK with *found and, when last is not NULL and a
 *  match was found, the last match's ranges (s_ranges) in last; or the
 *  error of the match that failed. */
static int s_walk(const mt5_regex_t *self, const char *subject, size_t len, size_t cap,
                  size_t *found, size_t last[4])
{
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(self->code, NULL);
    if (!md)
        return mt5_error_set(MT5_ENOMEM, "regex: out of memory");
    int rc = MT5_OK;
    size_t count = 0, pos = 0;
    while (pos <= len && (cap == 0 || count < cap)) {
        int n = s_match(self, subject, len, pos, 0, md);
        if (n == PCRE2_ERROR_NOMATCH)
            break;
        if (n < 0) {
            rc = s_failure(self, n);
            goto done;
        }
        count++;
        if (last)
            s_ranges(last, md, n);
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        size_t next = ov[1];
        /* An empty match (or one that \K left ending where it started)
         * moves on by one character: a valid UTF-8 sequence, or one byte
         * of an invalid one. */
        if (next <= pos || ov[0] == ov[1]) {
            next = next > pos ? next : pos;
            next += s_char_len(subject + next, len - next);
        }
        pos = next;
    }
done:
    pcre2_match_data_free(md);
    if (rc == MT5_OK)
        *found = count;
    return rc;
}

int mt5_regex_count(const mt5_regex_t *self, const char *subject, size_t len, size_t cap,
                    size_t *count)
{
    if (!self || (!subject && len > 0) || !count)
        return mt5_error_set(MT5_EINVAL, "regex: bad arguments");
    return s_walk(self, subject ? subject : "", len, cap, count, NULL);
}

int mt5_regex_find_last(const mt5_regex_t *self, const char *subject, size_t len, size_t *mstart,
                        size_t *mend, size_t *gstart, size_t *gend)
{
    if (!self || (!subject && len > 0))
        return mt5_error_set(MT5_EINVAL, "regex: bad arguments");
    size_t found = 0, r[4] = {0, 0, 0, 0};
    int rc = s_walk(self, subject ? subject : "", len, 0, &found, r);
    if (rc != MT5_OK)
        return rc;
    if (found == 0)
        return MT5_ENOTFOUND;
    s_put(r, mstart, mend, gstart, gend);
    return MT5_OK;
}
