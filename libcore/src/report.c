/*  report.c - a gate run written out: text, JSON, JUnit XML, TAP, Markdown.
 *
 *  Every writer reads the same things (the selected results, in manifest
 *  order, and counts made from them) and differs only in layout and in
 *  escaping. The escaping is one function, s_emit(), with a mode per
 *  context (a terminal line, an XML attribute, a YAML double-quoted
 *  string...). It first makes the bytes valid UTF-8, one bad byte becoming
 *  U+FFFD, then applies the context's rule, so evidence taken from a binary
 *  file or a hostile process cannot break a report or a terminal.
 *
 *  The counts and the verdict come from mt5_gate_count() over the selected
 *  results, the runner's own source, so a report always agrees with the checks it
 *  lists. Writes go through s_out_t, which remembers the first failed write;
 *  the stream is flushed at the end, so a full disk is MT5_EIO, never a
 *  report cut short in silence. The manifest's secrets are never read here:
 *  the runner has already redacted every message and piece of evidence.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mt5/check.h"
#include "mt5/clock.h"
#include "mt5/error.h"
#include "mt5/gate.h"
#include "mt5/json.h"
#include "mt5/report.h"
#include "utf8.h"

#define S_SCHEMA "mt5-gate/report/v1"
#define S_RULE "══════════════════════════════════════════════════════════════════\n"
#define S_LINE_COLS 200    /* text: an evidence line is cut after this many characters */
#define S_EVIDENCE_LINES 2 /* text: evidence lines shown per failed check */

#define S_GREEN "\033[32m"
#define S_RED "\033[31m"
#define S_YELLOW "\033[33m"
#define S_RESET "\033[0m"

static const char *const s_formats[] = {"text", "json", "junit", "tap", "markdown"};
#define S_N_FORMATS (sizeof s_formats / sizeof s_formats[0])

int mt5_report_format_parse(mt5_report_format *out, const char *name)
{
    if (!out)
        return mt5_error_set(MT5_EINVAL, "no format to fill");
    for (size_t i = 0; name && i < S_N_FORMATS; i++) {
        if (strcmp(name, s_formats[i]) == 0) {
            *out = (mt5_report_format)i;
            return MT5_OK;
        }
    }
    return mt5_error_set(MT5_ENOTFOUND,
                         "unknown report format '%s' (text, json, junit, tap or markdown)",
                         name ? name : "");
}

const char *mt5_report_format_name(mt5_report_format format)
{
    return (unsigned)format < S_N_FORMATS ? s_formats[format] : NULL;
}

/* ---- output ------------------------------------------------------------ */

typedef struct {
    FILE *out;  /* where the report goes; NULL = only count columns */
    int err;    /* errno of the first failed write; 0 while all went well */
    bool color; /* text: ANSI colours */
} s_out_t;

static void s_write(s_out_t *o, const char *s, size_t n)
{
    if (!o->out || o->err || n == 0)
        return;
    errno = 0;
    if (fwrite(s, 1, n, o->out) != n)
        o->err = errno ? errno : EIO;
}

static void s_puts(s_out_t *o, const char *s)
{
    s_write(o, s, strlen(s));
}

static void s_printf(s_out_t *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void s_printf(s_out_t *o, const char *fmt, ...)
{
    if (!o->out || o->err)
        return;
    va_list ap;
    va_start(ap, fmt);
    errno = 0;
    if (vfprintf(o->out, fmt, ap) < 0)
        o->err = errno ? errno : EIO;
    va_end(ap);
}

/* ---- escaping ---------------------------------------------------------- */

typedef enum {
    S_ESC_TEXT,     /* a terminal line: controls as \xNN, C1 as \u00NN */
    S_ESC_BLOCK,    /* lines kept: like TEXT but tab and newline pass */
    S_ESC_LINE,     /* one line: every control becomes a space */
    S_ESC_TAP,      /* a TAP description: LINE, and '\' '#' escaped */
    S_ESC_XML_TEXT, /* XML character data */
    S_ESC_XML_ATTR, /* an XML attribute value in double quotes */
    S_ESC_YAML,     /* the inside of a YAML double-quoted scalar */
    S_ESC_MD        /* Markdown inline text, table cells included */
} s_esc;

static uint32_t s_code_point(const unsigned char *p, size_t len)
{
    static const unsigned char lead_mask[] = {0, 0x7F, 0x1F, 0x0F, 0x07};
    uint32_t cp = p[0] & lead_mask[len];
    for (size_t i = 1; i < len; i++)
        cp = (cp << 6) | (p[i] & 0x3F);
    return cp;
}

static bool s_is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

/* What `cp` becomes in `esc`: NULL to keep it, "" to drop it, else the text
 * (in buf when it is built). */
static const char *s_replace(s_esc esc, uint32_t cp, char *buf, size_t cap)
{
    switch (esc) {
    case S_ESC_TEXT:
    case S_ESC_BLOCK:
        if (cp == '\t' || (esc == S_ESC_BLOCK && cp == '\n'))
            return NULL;
        if (s_is_control(cp)) {
            snprintf(buf, cap, cp < 0x80 ? "\\x%02X" : "\\u%04X", (unsigned)cp);
            return buf;
        }
        return NULL;
    case S_ESC_TAP:
        if (cp == '\\')
            return "\\\\";
        if (cp == '#')
            return "\\#";
        /* fall through */
    case S_ESC_LINE:
        return s_is_control(cp) ? " " : NULL;
    case S_ESC_XML_TEXT:
    case S_ESC_XML_ATTR:
        switch (cp) {
        case '&':
            return "&amp;";
        case '<':
            return "&lt;";
        case '>':
            return "&gt;";
        case '"':
            return "&quot;";
        case '\'':
            return "&apos;";
        case '\r':
            return "&#13;";
        case '\n':
            return esc == S_ESC_XML_ATTR ? "&#10;" : NULL;
        case '\t':
            return esc == S_ESC_XML_ATTR ? "&#9;" : NULL;
        default:
            /* XML 1.0 forbids the other C0 controls and U+FFFE, U+FFFF. */
            return cp < 0x20 || cp == 0xFFFE || cp == 0xFFFF ? "" : NULL;
        }
    case S_ESC_YAML:
        switch (cp) {
        case '"':
            return "\\\"";
        case '\\':
            return "\\\\";
        case '\n':
            return "\\n";
        case '\t':
            return "\\t";
        case '\r':
            return "\\r";
        default:
            if (s_is_control(cp)) {
                snprintf(buf, cap, "\\x%02X", (unsigned)cp);
                return buf;
            }
            /* Line breaks to YAML 1.1, or not printable in YAML. */
            if (cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF || cp == 0xFFFE || cp == 0xFFFF) {
                snprintf(buf, cap, "\\u%04X", (unsigned)cp);
                return buf;
            }
            return NULL;
        }
    case S_ESC_MD:
        if (cp == '\n')
            return "<br>";
        if (cp == '\r')
            return "";
        if (cp == '\t')
            return " ";
        if (s_is_control(cp)) {
            snprintf(buf, cap, cp < 0x80 ? "\\x%02X" : "\\u%04X", (unsigned)cp);
            return buf;
        }
        /* Markdown and inline HTML punctuation, and the table's pipe. */
        if (cp < 0x80 && strchr("\\`*_[]<>|~&", (int)cp)) {
            snprintf(buf, cap, "\\%c", (char)cp);
            return buf;
        }
        return NULL;
    }
    return NULL;
}

/*  Write n bytes of s escaped for `esc`; returns the characters written
 *  (code points, counting an escape as its length), which is what a
 *  terminal column count needs. With o->out NULL nothing is written. */
static size_t s_emit(s_out_t *o, s_esc esc, const char *s, size_t n)
{
    static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */
    size_t cols = 0;
    const unsigned char *p = (const unsigned char *)s;
    size_t run = 0; /* bytes [i - run, i) kept as they are, written in one go */
    size_t i = 0;
    while (i < n) {
        size_t len = mt5_utf8_len(p + i, n - i);
        uint32_t cp = len ? s_code_point(p + i, len) : 0xFFFD;
        char buf[16];
        const char *rep = s_replace(esc, cp, buf, sizeof buf);
        if (len && !rep) {
            run += len;
            i += len;
            cols++;
            continue;
        }
        s_write(o, (const char *)p + i - run, run);
        run = 0;
        if (!rep)
            rep = replacement;
        s_puts(o, rep);
        cols += rep == replacement ? 1 : strlen(rep);
        i += len ? len : 1;
    }
    s_write(o, (const char *)p + i - run, run);
    return cols;
}

/* The same for a NUL-terminated string; NULL writes nothing. */
static size_t s_emits(s_out_t *o, s_esc esc, const char *s)
{
    return s ? s_emit(o, esc, s, strlen(s)) : 0;
}

/* Bytes of s[0..n) that hold at most `max` code points (invalid bytes
 * count one each), so a cut never splits a character. */
static size_t s_cut(const char *s, size_t n, size_t max)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    for (size_t k = 0; i < n && k < max; k++) {
        size_t len = mt5_utf8_len(p + i, n - i);
        i += len ? len : 1;
    }
    return i;
}

/* A copy of s with each invalid byte replaced by U+FFFD; caller frees. */
static char *s_utf8_fixed(const char *s)
{
    size_t n = strlen(s);
    char *copy = malloc(n * 3 + 1);
    if (!copy)
        return NULL;
    const unsigned char *p = (const unsigned char *)s;
    size_t w = 0;
    for (size_t i = 0; i < n;) {
        size_t len = mt5_utf8_len(p + i, n - i);
        if (len) {
            memcpy(copy + w, p + i, len);
            w += len;
            i += len;
        } else {
            memcpy(copy + w, "\xEF\xBF\xBD", 3);
            w += 3;
            i++;
        }
    }
    copy[w] = '\0';
    return copy;
}

/* ---- what the run says ------------------------------------------------- */

typedef struct {
    size_t n[MT5_STATUS_COUNT]; /* selected checks per status */
    size_t total;               /* selected checks */
} s_tally_t;

static const char *s_str(const char *s)
{
    return s ? s : "";
}

/* A status out of range counts as an error: the report must not call an
 * unknown verdict a pass. */
static mt5_status s_status(const mt5_gate_check_result_t *r)
{
    return (unsigned)r->status < MT5_STATUS_COUNT ? r->status : MT5_STATUS_ERROR;
}

static bool s_listed(const mt5_gate_check_result_t *r)
{
    return r->selected && r->check;
}

/* Count the selected checks of `phase` (all of them when phase is NULL). */
static void s_tally(s_tally_t *t, const mt5_gate_run_t *run, const char *phase)
{
    t->total = mt5_gate_count(t->n, run, phase);
}

/* mt5_gate_passed() on the counts: no fail and no error. */
static bool s_passed(const s_tally_t *t)
{
    return t->n[MT5_STATUS_FAIL] == 0 && t->n[MT5_STATUS_ERROR] == 0;
}

/* Pass rate in tenths of a percent, -1 when there is no check. Never
 * rounds up to 100.0 while a check did not pass. */
static int s_rate_tenths(const s_tally_t *t)
{
    if (t->total == 0)
        return -1;
    size_t pass = t->n[MT5_STATUS_PASS];
    int tenths = (int)((pass * 2000 + t->total) / (t->total * 2));
    return tenths == 1000 && pass < t->total ? 999 : tenths;
}

static const char *s_phase_title(const mt5_manifest_t *m, const char *phase)
{
    for (size_t k = 0; k < m->n_phases; k++) {
        if (m->phases[k].id && strcmp(m->phases[k].id, phase) == 0)
            return m->phases[k].title && *m->phases[k].title ? m->phases[k].title : m->phases[k].id;
    }
    return phase;
}

/* An error that timed out, whose message does not say so already. */
static bool s_says_timeout(const mt5_gate_check_result_t *r, mt5_status st)
{
    return st == MT5_STATUS_ERROR && r->timed_out && !strstr(r->message, "timed out");
}

static const char *s_upper(mt5_status st)
{
    static const char *const words[] = {"PASS", "FAIL", "ERROR", "SKIP", "WAIVED"};
    return words[st];
}

static const char *s_color_of(mt5_status st)
{
    return st == MT5_STATUS_PASS                             ? S_GREEN
           : st == MT5_STATUS_FAIL || st == MT5_STATUS_ERROR ? S_RED
                                                             : S_YELLOW;
}

/* "12.345": milliseconds as seconds, three decimals. */
static void s_seconds(char *buf, size_t cap, int64_t ms)
{
    if (ms < 0)
        ms = 0;
    snprintf(buf, cap, "%" PRId64 ".%03d", ms / 1000, (int)(ms % 1000));
}

static void s_iso(char *buf, size_t cap, int64_t ms)
{
    if (mt5_clock_format_iso(buf, cap, ms) != MT5_OK)
        snprintf(buf, cap, "1970-01-01T00:00:00.000Z");
}

/* "(2 of 5 checks failed, 1 error)" after "FAILED". */
static void s_verdict_detail(s_out_t *o, const s_tally_t *t)
{
    size_t err = t->n[MT5_STATUS_ERROR];
    s_printf(o, "(%zu of %zu checks failed", t->n[MT5_STATUS_FAIL], t->total);
    if (err)
        s_printf(o, ", %zu error%s", err, err == 1 ? "" : "s");
    s_puts(o, ")");
}

/* ---- text -------------------------------------------------------------- */

static void s_word(s_out_t *o, const char *word, const char *color)
{
    if (o->color)
        s_printf(o, "%s%s%s", color, word, S_RESET);
    else
        s_puts(o, word);
}

static void s_text_counts(s_out_t *o, const s_tally_t *t)
{
    s_printf(o, "Total Checks: %zu\n", t->total);
    s_printf(o, "Passed: %zu\n", t->n[MT5_STATUS_PASS]);
    s_printf(o, "Failed: %zu\n", t->n[MT5_STATUS_FAIL]);
    if (t->n[MT5_STATUS_ERROR])
        s_printf(o, "Errors: %zu\n", t->n[MT5_STATUS_ERROR]);
    if (t->n[MT5_STATUS_SKIP])
        s_printf(o, "Skipped: %zu\n", t->n[MT5_STATUS_SKIP]);
    if (t->n[MT5_STATUS_WAIVED])
        s_printf(o, "Waived: %zu\n", t->n[MT5_STATUS_WAIVED]);
    int rate = s_rate_tenths(t);
    if (rate < 0)
        s_puts(o, "Pass Rate: n/a\n");
    else
        s_printf(o, "Pass Rate: %d.%d%%\n", rate / 10, rate % 10);
}

static void s_text_phases(s_out_t *o, const mt5_gate_run_t *run)
{
    const mt5_manifest_t *m = run->manifest;
    s_out_t counter = {NULL, 0, false};
    size_t width = 0;
    for (size_t k = 0; k < m->n_phases; k++) {
        s_tally_t t;
        s_tally(&t, run, s_str(m->phases[k].id));
        size_t w = s_emits(&counter, S_ESC_TEXT, s_phase_title(m, s_str(m->phases[k].id)));
        if (t.total && w > width)
            width = w;
    }
    s_puts(o, "\nPhase Results:\n");
    for (size_t k = 0; k < m->n_phases; k++) {
        s_tally_t t;
        s_tally(&t, run, s_str(m->phases[k].id));
        if (t.total == 0)
            continue;
        mt5_status st = !s_passed(&t)                     ? MT5_STATUS_FAIL
                        : t.n[MT5_STATUS_SKIP] == t.total ? MT5_STATUS_SKIP
                                                          : MT5_STATUS_PASS;
        s_puts(o, "  ");
        s_word(o, s_upper(st), s_color_of(st));
        s_puts(o, "  ");
        size_t w = s_emits(o, S_ESC_TEXT, s_phase_title(m, s_str(m->phases[k].id)));
        s_printf(o, "%*s", (int)(width - w + 2), "");
        s_printf(o, "%zu/%zu passed", t.n[MT5_STATUS_PASS], t.total);
        if (t.n[MT5_STATUS_FAIL])
            s_printf(o, ", %zu failed", t.n[MT5_STATUS_FAIL]);
        if (t.n[MT5_STATUS_ERROR])
            s_printf(o, ", %zu error%s", t.n[MT5_STATUS_ERROR],
                     t.n[MT5_STATUS_ERROR] == 1 ? "" : "s");
        if (t.n[MT5_STATUS_SKIP])
            s_printf(o, ", %zu skipped", t.n[MT5_STATUS_SKIP]);
        if (t.n[MT5_STATUS_WAIVED])
            s_printf(o, ", %zu waived", t.n[MT5_STATUS_WAIVED]);
        s_puts(o, "\n");
    }
}

/* "  FAIL  [phase] id: message" and its newline. */
static void s_text_head(s_out_t *o, const mt5_gate_check_result_t *r, const char *pad)
{
    mt5_status st = s_status(r);
    s_puts(o, "  ");
    s_word(o, s_upper(st), s_color_of(st));
    s_puts(o, pad);
    s_puts(o, "[");
    s_emits(o, S_ESC_TEXT, r->check->phase);
    s_puts(o, "] ");
    s_emits(o, S_ESC_TEXT, r->check->id);
    s_puts(o, ": ");
    if (s_says_timeout(r, st))
        s_puts(o, "timed out: ");
    s_emits(o, S_ESC_TEXT, *r->message ? r->message : r->check->description);
    s_puts(o, "\n");
}

/* The first lines of the evidence that are not blank, each cut to fit. */
static void s_text_evidence(s_out_t *o, const char *evidence, const char *indent)
{
    const char *p = evidence;
    size_t shown = 0, more = 0;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        size_t len = n;
        while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len > 0) {
            if (shown == S_EVIDENCE_LINES) {
                more++;
            } else {
                s_puts(o, indent);
                s_puts(o, shown == 0 ? "evidence: " : "          ");
                size_t cut = s_cut(p, len, S_LINE_COLS);
                s_emit(o, S_ESC_TEXT, p, cut);
                s_puts(o, cut < len ? "...\n" : "\n");
                shown++;
            }
        }
        p += nl ? n + 1 : n;
    }
    if (more)
        s_printf(o, "%s          (%zu more line%s)\n", indent, more, more == 1 ? "" : "s");
}

static void s_text_checks(s_out_t *o, const mt5_gate_run_t *run, const s_tally_t *t)
{
    if (t->n[MT5_STATUS_FAIL] + t->n[MT5_STATUS_ERROR]) {
        s_puts(o, "\nFailed Checks:\n");
        for (size_t i = 0; i < run->n_results; i++) {
            const mt5_gate_check_result_t *r = &run->results[i];
            mt5_status st = s_status(r);
            if (!s_listed(r) || (st != MT5_STATUS_FAIL && st != MT5_STATUS_ERROR))
                continue;
            s_text_head(o, r, st == MT5_STATUS_FAIL ? "  " : " ");
            s_text_evidence(o, r->evidence, "        ");
            if (r->check->fix && *r->check->fix) {
                s_puts(o, "        fix: ");
                s_emits(o, S_ESC_TEXT, r->check->fix);
                s_puts(o, "\n");
            }
        }
    }
    if (t->n[MT5_STATUS_WAIVED]) {
        s_puts(o, "\nWaived Checks:\n");
        for (size_t i = 0; i < run->n_results; i++) {
            const mt5_gate_check_result_t *r = &run->results[i];
            if (!s_listed(r) || s_status(r) != MT5_STATUS_WAIVED)
                continue;
            s_text_head(o, r, " ");
            s_puts(o, "         waived until ");
            s_emits(o, S_ESC_TEXT, r->check->waiver_expires);
            s_puts(o, ": ");
            s_emits(o, S_ESC_TEXT, r->check->waiver_reason);
            s_puts(o, "\n");
        }
    }
    if (t->n[MT5_STATUS_SKIP]) {
        s_puts(o, "\nSkipped Checks:\n");
        for (size_t i = 0; i < run->n_results; i++) {
            const mt5_gate_check_result_t *r = &run->results[i];
            if (s_listed(r) && s_status(r) == MT5_STATUS_SKIP)
                s_text_head(o, r, "  ");
        }
    }
}

static int s_text(s_out_t *o, const mt5_gate_run_t *run)
{
    const mt5_manifest_t *m = run->manifest;
    s_tally_t t;
    s_tally(&t, run, NULL);
    s_puts(o, S_RULE "█ AUDIT SUMMARY  ");
    s_emits(o, S_ESC_TEXT, m->id);
    if (m->title && *m->title) {
        s_puts(o, ": ");
        s_emits(o, S_ESC_TEXT, m->title);
    }
    s_puts(o, "\n" S_RULE);
    s_text_counts(o, &t);
    s_puts(o, S_RULE);
    s_text_phases(o, run);
    s_text_checks(o, run, &t);
    s_puts(o, "\n" S_RULE "Gate 1: ");
    if (s_passed(&t)) {
        s_word(o, "PASSED", S_GREEN);
    } else {
        s_word(o, "FAILED", S_RED);
        s_puts(o, " ");
        s_verdict_detail(o, &t);
    }
    s_puts(o, "\n");
    return MT5_OK;
}

/* ---- JSON -------------------------------------------------------------- */

/* Add a string made valid UTF-8 (NULL adds null). Nonzero on failure. */
static int s_jstr(mt5_json_t *obj, const char *key, const char *value)
{
    if (!value)
        return mt5_json_add_string(obj, key, NULL);
    char *fixed = s_utf8_fixed(value); /* valid text comes out the same */
    if (!fixed)
        return MT5_ENOMEM;
    int rc = mt5_json_add_string(obj, key, fixed);
    free(fixed);
    return rc;
}

/* The counts of one tally into obj; `checks` names the total. */
static int s_jcounts(mt5_json_t *obj, const s_tally_t *t)
{
    int bad = 0;
    bad |= mt5_json_add_uint(obj, "checks", t->total);
    bad |= mt5_json_add_uint(obj, "pass", t->n[MT5_STATUS_PASS]);
    bad |= mt5_json_add_uint(obj, "fail", t->n[MT5_STATUS_FAIL]);
    bad |= mt5_json_add_uint(obj, "error", t->n[MT5_STATUS_ERROR]);
    bad |= mt5_json_add_uint(obj, "skip", t->n[MT5_STATUS_SKIP]);
    bad |= mt5_json_add_uint(obj, "waived", t->n[MT5_STATUS_WAIVED]);
    return bad;
}

static mt5_json_t *s_jcheck(const mt5_gate_check_result_t *r)
{
    const mt5_check_t *c = r->check;
    mt5_json_t *obj = mt5_json_object();
    mt5_json_t *waiver = NULL;
    char *source = NULL;
    if (!obj)
        return NULL;
    int bad = 0;
    bad |= s_jstr(obj, "id", c->id);
    bad |= s_jstr(obj, "phase", c->phase);
    bad |= s_jstr(obj, "kind", mt5_check_kind_name(c->kind));
    bad |= s_jstr(obj, "description", c->description);
    bad |= s_jstr(obj, "status", mt5_status_name(s_status(r)));
    bad |= s_jstr(obj, "message", r->message);
    bad |= s_jstr(obj, "evidence", r->evidence);
    bad |= mt5_json_add_int(obj, "duration_ms", r->duration_ms > 0 ? r->duration_ms : 0);
    bad |= mt5_json_add_int(obj, "attempts", r->attempts);
    bad |= mt5_json_add_bool(obj, "timed_out", r->timed_out);
    bad |= s_jstr(obj, "fix", c->fix && *c->fix ? c->fix : NULL);
    if (c->waiver_reason) {
        waiver = mt5_json_object();
        bad |= waiver ? 0 : MT5_ENOMEM;
        if (waiver) {
            bad |= s_jstr(waiver, "reason", c->waiver_reason);
            bad |= s_jstr(waiver, "expires", c->waiver_expires);
        }
        bad |= mt5_json_add(obj, "waiver", &waiver);
    } else {
        bad |= mt5_json_add_null(obj, "waiver");
    }
    size_t cap = strlen(s_str(c->file)) + 16;
    source = malloc(cap);
    bad |= source ? 0 : MT5_ENOMEM;
    if (source) {
        snprintf(source, cap, "%s:%d", s_str(c->file), c->line);
        bad |= s_jstr(obj, "source", source);
    }
    free(source);
    if (bad)
        mt5_json_destroy(&obj);
    return obj;
}

static int s_json(s_out_t *o, const mt5_gate_run_t *run, const mt5_report_options *opt)
{
    const mt5_manifest_t *m = run->manifest;
    s_tally_t t;
    s_tally(&t, run, NULL);
    char started[MT5_ISO_TIME_LEN + 1], finished[MT5_ISO_TIME_LEN + 1];
    s_iso(started, sizeof started, run->started_ms);
    s_iso(finished, sizeof finished, run->finished_ms);
    int64_t duration = run->finished_ms - run->started_ms;
    int rate = s_rate_tenths(&t);
    char *text = NULL;
    int bad = 0;

    mt5_json_t *root = mt5_json_object();
    mt5_json_t *gate = mt5_json_object();
    mt5_json_t *totals = mt5_json_object();
    mt5_json_t *phases = mt5_json_array();
    mt5_json_t *checks = mt5_json_array();
    if (!root || !gate || !totals || !phases || !checks) {
        bad = MT5_ENOMEM;
        goto done;
    }
    bad |= s_jstr(root, "schema", S_SCHEMA);
    bad |= s_jstr(root, "tool", opt->tool);
    bad |= s_jstr(gate, "id", m->id);
    bad |= s_jstr(gate, "title", m->title);
    bad |= s_jstr(gate, "manifest", m->path);
    bad |= s_jstr(gate, "sha256", m->sha256);
    bad |= mt5_json_add(root, "gate", &gate);
    bad |= s_jstr(root, "root", run->root);
    bad |= s_jstr(root, "started", started);
    bad |= s_jstr(root, "finished", finished);
    bad |= mt5_json_add_int(root, "duration_ms", duration > 0 ? duration : 0);
    bad |= mt5_json_add_bool(root, "passed", s_passed(&t));
    bad |= s_jcounts(totals, &t);
    if (rate < 0)
        bad |= mt5_json_add_null(totals, "pass_rate");
    else
        bad |= mt5_json_add_number(totals, "pass_rate", rate / 10.0);
    bad |= mt5_json_add(root, "totals", &totals);

    for (size_t k = 0; k < m->n_phases && !bad; k++) {
        s_tally_t pt;
        s_tally(&pt, run, s_str(m->phases[k].id));
        mt5_json_t *ph = mt5_json_object();
        bad |= ph ? 0 : MT5_ENOMEM;
        if (ph) {
            bad |= s_jstr(ph, "id", m->phases[k].id);
            bad |= s_jstr(ph, "title", s_phase_title(m, s_str(m->phases[k].id)));
            bad |= s_jcounts(ph, &pt);
            bad |= mt5_json_add(phases, NULL, &ph);
        }
    }
    bad |= mt5_json_add(root, "phases", &phases);

    for (size_t i = 0; i < run->n_results && !bad; i++) {
        if (!s_listed(&run->results[i]))
            continue;
        mt5_json_t *c = s_jcheck(&run->results[i]);
        bad |= c ? 0 : MT5_ENOMEM;
        if (c)
            bad |= mt5_json_add(checks, NULL, &c);
    }
    bad |= mt5_json_add(root, "checks", &checks);
    if (bad)
        goto done;
    text = mt5_json_print(root, true);
    if (!text) {
        bad = MT5_ENOMEM;
        goto done;
    }
    s_puts(o, text);
    s_puts(o, "\n");
done:
    free(text);
    mt5_json_destroy(&root);
    mt5_json_destroy(&gate);
    mt5_json_destroy(&totals);
    mt5_json_destroy(&phases);
    mt5_json_destroy(&checks);
    return bad ? mt5_error_set(MT5_ENOMEM, "report: out of memory building the JSON report")
               : MT5_OK;
}

/* Length of s without its trailing line breaks. */
static size_t s_trimmed_len(const char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    return n;
}

/* ---- JUnit XML --------------------------------------------------------- */

static void s_xml_attr(s_out_t *o, const char *name, const char *value)
{
    s_printf(o, " %s=\"", name);
    s_emits(o, S_ESC_XML_ATTR, value);
    s_puts(o, "\"");
}

/* tests, failures, errors, skipped and time of the run. */
static void s_junit_counts(s_out_t *o, const s_tally_t *t, const char *time)
{
    s_printf(o, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%s\"",
             t->total, t->n[MT5_STATUS_FAIL], t->n[MT5_STATUS_ERROR],
             t->n[MT5_STATUS_SKIP] + t->n[MT5_STATUS_WAIVED], time);
}

static void s_junit_case(s_out_t *o, const mt5_gate_check_result_t *r)
{
    const mt5_check_t *c = r->check;
    mt5_status st = s_status(r);
    char time[32];
    s_seconds(time, sizeof time, r->duration_ms);
    s_puts(o, "    <testcase");
    s_xml_attr(o, "name", c->id);
    s_xml_attr(o, "classname", c->phase);
    s_printf(o, " time=\"%s\"", time);
    if (st == MT5_STATUS_PASS) {
        s_puts(o, "/>\n");
        return;
    }
    s_puts(o, ">\n");
    switch (st) {
    case MT5_STATUS_FAIL:
    case MT5_STATUS_ERROR: {
        const char *tag = st == MT5_STATUS_FAIL ? "failure" : "error";
        s_printf(o, "      <%s", tag);
        s_xml_attr(o, "message", r->message);
        s_xml_attr(o, "type", st == MT5_STATUS_FAIL ? "fail" : r->timed_out ? "timeout" : "error");
        s_puts(o, ">");
        size_t n = s_trimmed_len(r->evidence);
        s_emit(o, S_ESC_XML_TEXT, r->evidence, n);
        if (c->fix && *c->fix) {
            s_puts(o, n ? "\nfix: " : "fix: ");
            s_emits(o, S_ESC_XML_TEXT, c->fix);
        }
        s_printf(o, "</%s>\n", tag);
        break;
    }
    case MT5_STATUS_WAIVED:
        s_puts(o, "      <skipped message=\"waived until ");
        s_emits(o, S_ESC_XML_ATTR, c->waiver_expires);
        s_puts(o, ": ");
        s_emits(o, S_ESC_XML_ATTR, c->waiver_reason);
        s_puts(o, "\"/>\n      <system-out>");
        s_emits(o, S_ESC_XML_TEXT, r->message);
        if (s_trimmed_len(r->evidence)) {
            s_puts(o, "\n");
            s_emit(o, S_ESC_XML_TEXT, r->evidence, s_trimmed_len(r->evidence));
        }
        s_puts(o, "</system-out>\n");
        break;
    default: /* skip */
        s_puts(o, "      <skipped");
        s_xml_attr(o, "message", r->message);
        s_puts(o, "/>\n");
        break;
    }
    s_puts(o, "    </testcase>\n");
}

static int s_junit(s_out_t *o, const mt5_gate_run_t *run, const mt5_report_options *opt)
{
    const mt5_manifest_t *m = run->manifest;
    s_tally_t t;
    s_tally(&t, run, NULL);
    char time[32], iso[MT5_ISO_TIME_LEN + 1], host[256];
    s_seconds(time, sizeof time, run->finished_ms - run->started_ms);
    s_iso(iso, sizeof iso, run->started_ms);
    iso[19] = '\0'; /* the JUnit schema's timestamp: no fraction, no zone (it is UTC) */
    if (opt->hostname) {
        snprintf(host, sizeof host, "%s", opt->hostname);
    } else if (gethostname(host, sizeof host) != 0) {
        snprintf(host, sizeof host, "localhost");
    }
    host[sizeof host - 1] = '\0';

    s_puts(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites");
    s_xml_attr(o, "name", m->id);
    s_junit_counts(o, &t, time);
    s_puts(o, ">\n  <testsuite");
    s_xml_attr(o, "name", m->id);
    s_junit_counts(o, &t, time);
    s_printf(o, " timestamp=\"%s\"", iso);
    s_xml_attr(o, "hostname", host);
    s_puts(o, ">\n    <properties>\n");
    const char *const props[][2] = {
        {"manifest", m->path}, {"sha256", m->sha256}, {"root", run->root}, {"tool", opt->tool}};
    for (size_t i = 0; i < sizeof props / sizeof props[0]; i++) {
        s_puts(o, "      <property");
        s_xml_attr(o, "name", props[i][0]);
        s_xml_attr(o, "value", props[i][1]);
        s_puts(o, "/>\n");
    }
    s_puts(o, "    </properties>\n");
    for (size_t i = 0; i < run->n_results; i++) {
        if (s_listed(&run->results[i]))
            s_junit_case(o, &run->results[i]);
    }
    s_puts(o, "  </testsuite>\n</testsuites>\n");
    return MT5_OK;
}

/* ---- TAP version 13 ---------------------------------------------------- */

static void s_yaml_field(s_out_t *o, const char *key, const char *value)
{
    s_printf(o, "  %s: \"", key);
    s_emits(o, S_ESC_YAML, value);
    s_puts(o, "\"\n");
}

/* A literal block keeps evidence readable; it can hold neither controls
 * (other than tab) nor a first line starting with white space (which
 * would set the block's indentation), so such evidence is quoted. */
static bool s_yaml_literal_ok(const char *s)
{
    if (!*s || *s == ' ' || *s == '\t' || *s == '\n')
        return false;
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        size_t len = mt5_utf8_len(p + i, n - i);
        if (len == 0)
            return false; /* invalid UTF-8: quoted, with the bytes replaced */
        uint32_t cp = s_code_point(p + i, len);
        if ((s_is_control(cp) && cp != '\t' && cp != '\n') || cp == 0x2028 || cp == 0x2029 ||
            cp == 0xFEFF || cp == 0xFFFE || cp == 0xFFFF)
            return false;
        i += len;
    }
    return true;
}

static void s_yaml_evidence(s_out_t *o, const char *evidence)
{
    if (!*evidence)
        return;
    if (!s_yaml_literal_ok(evidence)) {
        s_yaml_field(o, "evidence", evidence);
        return;
    }
    /* Plain "|" (clip): the YAMLish readers of TAP 13 consumers (Perl's
     * TAP::Parser among them) know no chomping indicators, so the block
     * reads back with exactly one trailing newline. Trailing blank lines
     * carry nothing and are dropped. */
    size_t len = strlen(evidence);
    while (len > 0 && evidence[len - 1] == '\n')
        len--;
    s_puts(o, "  evidence: |\n");
    for (const char *p = evidence; p < evidence + len;) {
        const char *nl = memchr(p, '\n', (size_t)(evidence + len - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(evidence + len - p);
        /* Blank lines keep the indentation: YAMLish readers end the
         * block at a line that has none. */
        s_puts(o, "    ");
        s_emit(o, S_ESC_BLOCK, p, n);
        s_puts(o, "\n");
        p += nl ? n + 1 : n;
    }
}

static int s_tap(s_out_t *o, const mt5_gate_run_t *run)
{
    s_tally_t t;
    s_tally(&t, run, NULL);
    s_printf(o, "TAP version 13\n1..%zu\n", t.total);
    size_t number = 0;
    for (size_t i = 0; i < run->n_results; i++) {
        const mt5_gate_check_result_t *r = &run->results[i];
        if (!s_listed(r))
            continue;
        const mt5_check_t *c = r->check;
        mt5_status st = s_status(r);
        bool ok = st == MT5_STATUS_PASS || st == MT5_STATUS_SKIP;
        s_printf(o, "%s %zu - ", ok ? "ok" : "not ok", ++number);
        s_emits(o, S_ESC_TAP, c->id);
        s_puts(o, ": ");
        s_emits(o, S_ESC_TAP, c->description);
        if (st == MT5_STATUS_SKIP) {
            s_puts(o, " # SKIP ");
            s_emits(o, S_ESC_LINE, r->message);
        } else if (st == MT5_STATUS_WAIVED) {
            s_puts(o, " # TODO waived until ");
            s_emits(o, S_ESC_LINE, c->waiver_expires);
            s_puts(o, ": ");
            s_emits(o, S_ESC_LINE, c->waiver_reason);
        }
        s_puts(o, "\n");
        if (ok)
            continue;
        s_puts(o, "  ---\n");
        s_yaml_field(o, "message", r->message);
        if (st != MT5_STATUS_WAIVED)
            s_printf(o, "  severity: %s\n", st == MT5_STATUS_FAIL ? "fail" : "error");
        if (r->timed_out)
            s_puts(o, "  timed_out: true\n");
        s_yaml_field(o, "phase", c->phase);
        s_yaml_evidence(o, r->evidence);
        if (c->fix && *c->fix)
            s_yaml_field(o, "fix", c->fix);
        s_puts(o, "  ...\n");
    }
    return MT5_OK;
}

/* ---- Markdown ---------------------------------------------------------- */

/* `s` as a code span when that needs no escaping, else as escaped text. */
static void s_md_code(s_out_t *o, const char *s)
{
    bool plain = *s_str(s) != '\0';
    for (const char *p = s_str(s); *p && plain; p++)
        plain = (unsigned char)*p >= 0x20 && *p != '`' && *p != '|' && *p != 0x7F;
    if (!plain) {
        s_emits(o, S_ESC_MD, s);
        return;
    }
    s_puts(o, "`");
    s_emits(o, S_ESC_BLOCK, s);
    s_puts(o, "`");
}

/* A fenced block: the fence is longer than any run of backticks inside. */
static void s_md_fence(s_out_t *o, const char *s)
{
    size_t longest = 0, run = 0;
    for (const char *p = s; *p; p++) {
        run = *p == '`' ? run + 1 : 0;
        if (run > longest)
            longest = run;
    }
    int fence = longest >= 3 ? (int)longest + 1 : 3;
    s_printf(o, "%.*s\n", fence, "``````````````````````````````````````````````````");
    s_emit(o, S_ESC_BLOCK, s, s_trimmed_len(s));
    s_printf(o, "\n%.*s\n", fence, "``````````````````````````````````````````````````");
}

static void s_md_counts(s_out_t *o, const s_tally_t *t)
{
    s_printf(o, " %zu | %zu | %zu | %zu | %zu | %zu |", t->total, t->n[MT5_STATUS_PASS],
             t->n[MT5_STATUS_FAIL], t->n[MT5_STATUS_ERROR], t->n[MT5_STATUS_SKIP],
             t->n[MT5_STATUS_WAIVED]);
}

static int s_markdown(s_out_t *o, const mt5_gate_run_t *run, const mt5_report_options *opt)
{
    const mt5_manifest_t *m = run->manifest;
    s_tally_t t;
    s_tally(&t, run, NULL);
    char started[MT5_ISO_TIME_LEN + 1], secs[32];
    s_iso(started, sizeof started, run->started_ms);
    s_seconds(secs, sizeof secs, run->finished_ms - run->started_ms);

    s_puts(o, "# Gate ");
    s_emits(o, S_ESC_MD, m->id);
    if (m->title && *m->title) {
        s_puts(o, ": ");
        s_emits(o, S_ESC_MD, m->title);
    }
    s_puts(o, "\n\n");
    if (s_passed(&t)) {
        s_puts(o, "**Gate 1: PASSED**\n\n");
    } else {
        s_puts(o, "**Gate 1: FAILED** ");
        s_verdict_detail(o, &t);
        s_puts(o, "\n\n");
    }
    s_puts(o, "- Manifest: ");
    s_md_code(o, m->path);
    s_puts(o, " (sha256 ");
    s_md_code(o, m->sha256);
    s_puts(o, ")\n- Root: ");
    s_md_code(o, run->root);
    s_printf(o, "\n- Started: %s, took %s s\n", started, secs);
    if (opt->tool) {
        s_puts(o, "- Tool: ");
        s_emits(o, S_ESC_MD, opt->tool);
        s_puts(o, "\n");
    }

    s_puts(o, "\n## Summary\n\n| Total | Pass | Fail | Error | Skip | Waived | Pass rate |\n"
              "|---:|---:|---:|---:|---:|---:|---:|\n|");
    s_md_counts(o, &t);
    int rate = s_rate_tenths(&t);
    if (rate < 0)
        s_puts(o, " n/a |\n");
    else
        s_printf(o, " %d.%d%% |\n", rate / 10, rate % 10);

    s_puts(o, "\n## Phases\n\n| Phase | Result | Checks | Pass | Fail | Error | Skip | Waived |\n"
              "|---|---|---:|---:|---:|---:|---:|---:|\n");
    for (size_t k = 0; k < m->n_phases; k++) {
        s_tally_t pt;
        s_tally(&pt, run, s_str(m->phases[k].id));
        if (pt.total == 0)
            continue;
        s_puts(o, "| ");
        s_emits(o, S_ESC_MD, s_phase_title(m, s_str(m->phases[k].id)));
        s_puts(o, !s_passed(&pt)                      ? " | FAIL |"
                  : pt.n[MT5_STATUS_SKIP] == pt.total ? " | SKIP |"
                                                      : " | PASS |");
        s_md_counts(o, &pt);
        s_puts(o, "\n");
    }

    s_puts(o, "\n## Checks\n\n| Status | Check | Phase | Message |\n|---|---|---|---|\n");
    for (size_t i = 0; i < run->n_results; i++) {
        const mt5_gate_check_result_t *r = &run->results[i];
        if (!s_listed(r))
            continue;
        s_printf(o, "| %s | ", s_upper(s_status(r)));
        s_md_code(o, r->check->id);
        s_puts(o, " | ");
        s_emits(o, S_ESC_MD, s_phase_title(m, s_str(r->check->phase)));
        s_puts(o, " | ");
        s_emits(o, S_ESC_MD, r->message);
        if (s_status(r) == MT5_STATUS_WAIVED) {
            s_puts(o, " (waived until ");
            s_emits(o, S_ESC_MD, r->check->waiver_expires);
            s_puts(o, ": ");
            s_emits(o, S_ESC_MD, r->check->waiver_reason);
            s_puts(o, ")");
        }
        s_puts(o, " |\n");
    }

    s_puts(o, "\n## Failures\n");
    if (s_passed(&t))
        s_puts(o, "\nNone.\n");
    for (size_t i = 0; i < run->n_results; i++) {
        const mt5_gate_check_result_t *r = &run->results[i];
        mt5_status st = s_status(r);
        if (!s_listed(r) || (st != MT5_STATUS_FAIL && st != MT5_STATUS_ERROR))
            continue;
        s_printf(o, "\n### %s ", s_upper(st));
        s_md_code(o, r->check->id);
        s_puts(o, " (");
        s_emits(o, S_ESC_MD, s_phase_title(m, s_str(r->check->phase)));
        s_puts(o, ")\n\n");
        s_emits(o, S_ESC_MD, r->check->description);
        s_puts(o, "\n\n");
        if (s_says_timeout(r, st))
            s_puts(o, "Timed out: ");
        s_emits(o, S_ESC_MD, r->message);
        s_puts(o, "\n");
        if (s_trimmed_len(r->evidence)) {
            s_puts(o, "\n");
            s_md_fence(o, r->evidence);
        }
        if (r->check->fix && *r->check->fix) {
            s_puts(o, "\n**Fix:** ");
            s_emits(o, S_ESC_MD, r->check->fix);
            s_puts(o, "\n");
        }
    }
    return MT5_OK;
}

/* ---- entry ------------------------------------------------------------- */

int mt5_report_write(FILE *out, const mt5_gate_run_t *run, mt5_report_format format,
                     const mt5_report_options *options)
{
    const mt5_report_options defaults = MT5_REPORT_OPTIONS_INIT;
    const mt5_report_options *opt = options ? options : &defaults;
    if (!out || !run || !run->manifest || (run->n_results && !run->results))
        return mt5_error_set(MT5_EINVAL, "report: no stream or no run");
    if (opt->version != MT5_REPORT_OPTIONS_VERSION)
        return mt5_error_set(MT5_EINVAL, "report: options version %d, expected %d", opt->version,
                             MT5_REPORT_OPTIONS_VERSION);
    if ((unsigned)format >= S_N_FORMATS)
        return mt5_error_set(MT5_EINVAL, "report: unknown format %d", (int)format);

    s_out_t o = {out, 0, opt->color && format == MT5_REPORT_TEXT};
    int rc = MT5_OK;
    switch (format) {
    case MT5_REPORT_TEXT:
        rc = s_text(&o, run);
        break;
    case MT5_REPORT_JSON:
        rc = s_json(&o, run, opt);
        break;
    case MT5_REPORT_JUNIT:
        rc = s_junit(&o, run, opt);
        break;
    case MT5_REPORT_TAP:
        rc = s_tap(&o, run);
        break;
    case MT5_REPORT_MARKDOWN:
        rc = s_markdown(&o, run, opt);
        break;
    }
    errno = 0;
    if (fflush(out) != 0 && !o.err)
        o.err = errno ? errno : EIO;
    if (rc != MT5_OK)
        return rc;
    if (o.err)
        return mt5_error_set(MT5_EIO, "report: writing the %s report failed: %s", s_formats[format],
                             strerror(o.err));
    return MT5_OK;
}
