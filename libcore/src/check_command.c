/*  check_command.c - the command kind: run an argv, hold its exit code to
 *  the expected one and, when asked, a number it printed to a threshold
 *  ("Your code has been rated at 7.50/10" against ">= 8").
 *
 *  The child is run by check_spawn (no shell unless the manifest asks for
 *  one, its own process group, stopped at the deadline). The verdict order
 *  is fixed: could not run, timed out, killed, wrong exit code, then the
 *  captured number, so a crash is never reported as a low score.
 */
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_impl.h"
#include "check_spawn.h"
#include "mt5/error.h"
#include "mt5/num.h"
#include "mt5/regex.h"

#define S_NUMBER_MAX 64 /* longer captured text is no number */

/* One match found by the capture. */
typedef struct {
    const char *label;                /* "stdout" or "stderr" */
    const mt5_spawn_stream_t *stream; /* the stream searched */
    size_t mstart;                    /* the whole match */
    size_t gstart, gend;              /* the number: the first group, else the whole match */
} s_hit;

/* Step past an empty match without landing inside a UTF-8 sequence. */
static size_t s_next(const char *data, size_t len, size_t at)
{
    at++;
    while (at < len && ((unsigned char)data[at] & 0xC0) == 0x80)
        at++;
    return at;
}

/* Search one stream; with last, keep going and remember the last match.
 * MT5_OK (found or not, *found says), or the regex error. */
static int s_search(s_hit *hit, bool *found, const mt5_regex_t *re, const char *label,
                    const mt5_spawn_stream_t *stream, bool last)
{
    const char *data = stream->data ? stream->data : "";
    size_t len = stream->len, pos = 0;
    while (pos <= len) {
        size_t ms, me, gs, ge;
        int rc = mt5_regex_find(re, data, len, pos, &ms, &me, &gs, &ge);
        if (rc == MT5_ENOTFOUND)
            return MT5_OK;
        if (rc != MT5_OK)
            return rc;
        *hit = (s_hit){label, stream, ms, gs, ge};
        *found = true;
        if (!last)
            return MT5_OK;
        pos = me > ms ? me : s_next(data, len, me);
    }
    return MT5_OK;
}

/* The captured text as a number: plain decimal, an optional '-', no '+'. */
static bool s_number(double *out, char *text, size_t cap, const s_hit *hit)
{
    size_t n = hit->gend - hit->gstart;
    if (n >= cap)
        n = cap - 1;
    memcpy(text, hit->stream->data + hit->gstart, n);
    text[n] = '\0';
    if (hit->gend - hit->gstart >= cap || text[0] == '+')
        return false;
    return mt5_num_double(out, text, -DBL_MAX, DBL_MAX) == MT5_OK;
}

int mt5_check_command_run(mt5_check_result_t *out, const mt5_check_t *check,
                          const mt5_check_ctx_t *ctx)
{
    const mt5_check_command_t *c = &check->u.command;
    mt5_regex_t *re = NULL;
    mt5_spawn_result_t res;
    memset(&res, 0, sizeof res);

    if (c->argv.count == 0 || (c->shell && c->argv.count != 1)) {
        check_verdict(out, MT5_STATUS_ERROR,
                      c->argv.count == 0 ? "the command has no argv"
                                         : "a shell command is one string");
        goto done;
    }
    /* A pattern that does not compile is the manifest's fault: say so
     * before running anything. */
    if (c->capture && mt5_regex_new(&re, c->capture, MT5_REGEX_MULTILINE) != MT5_OK) {
        check_verdict(out, MT5_STATUS_ERROR, "capture /%s/ does not compile: %s", c->capture,
                      mt5_error_detail());
        goto done;
    }
    mt5_spawn_options opts = {
        .argv = (const char *const *)c->argv.items,
        .argc = c->argv.count,
        .shell = c->shell,
        .env = (const char *const *)c->env.items,
        .envc = c->env.count,
    };
    if (!check_spawn(out, &res, check, ctx, &opts, c->cwd))
        goto done;

    if (c->expect_exit >= 0 && res.exit_code != c->expect_exit) {
        check_verdict(out, MT5_STATUS_FAIL, "exit code %d, expected %d", res.exit_code,
                      c->expect_exit);
        check_spawn_tail(out, &res, MT5_STREAM_BOTH);
        goto done;
    }
    if (!re) {
        if (c->expect_exit >= 0)
            check_verdict(out, MT5_STATUS_PASS, "exit code %d as expected", res.exit_code);
        else
            check_verdict(out, MT5_STATUS_PASS, "exit code %d (any code accepted)", res.exit_code);
        check_spawn_tail(out, &res, MT5_STREAM_BOTH);
        goto done;
    }

    /* both = stdout, then stderr: the first match is stdout's first if it
     * has one, the last is stderr's last if it has one. */
    s_hit hit;
    bool found = false;
    int rc = MT5_OK;
    const char *where = c->stream == MT5_STREAM_STDOUT   ? "stdout"
                        : c->stream == MT5_STREAM_STDERR ? "stderr"
                                                         : "the output";
    if (c->stream != MT5_STREAM_STDERR)
        rc = s_search(&hit, &found, re, "stdout", &res.out, c->capture_last);
    if (rc == MT5_OK && c->stream != MT5_STREAM_STDOUT && (c->capture_last || !found))
        rc = s_search(&hit, &found, re, "stderr", &res.err, c->capture_last);
    if (rc != MT5_OK) {
        check_verdict(out, MT5_STATUS_ERROR, "capture /%s/: %s", c->capture, mt5_error_detail());
        check_spawn_tail(out, &res, c->stream);
        goto done;
    }
    if (!found) {
        check_verdict(out, MT5_STATUS_FAIL, "no number matched /%s/ in %s", c->capture, where);
        check_spawn_tail(out, &res, c->stream);
        goto done;
    }
    char text[S_NUMBER_MAX];
    double value = 0;
    check_spawn_line(out, hit.label, hit.stream->data, hit.stream->len, hit.mstart);
    if (hit.stream->truncated) {
        char note[96];
        int n = snprintf(note, sizeof note, "\n(%s: %llu bytes, the middle dropped)", hit.label,
                         (unsigned long long)hit.stream->total);
        check_evidence_bytes(out, note, (size_t)n);
    }
    if (!s_number(&value, text, sizeof text, &hit)) {
        check_verdict(out, MT5_STATUS_FAIL, "no number matched /%s/ in %s ('%s' is not a number)",
                      c->capture, where, text);
        goto done;
    }
    int order = value < c->threshold ? -1 : value > c->threshold ? 1 : 0;
    /* The number as the tool printed it ("0.00", not "0"): that is what a
     * reader will look for in the tool's own output. */
    if (mt5_cmp_holds(c->op, order))
        check_verdict(out, MT5_STATUS_PASS, "captured %s (%s %.15g)", text, mt5_cmp_name(c->op),
                      c->threshold);
    else
        check_verdict(out, MT5_STATUS_FAIL, "%s does not satisfy %s %.15g", text,
                      mt5_cmp_name(c->op), c->threshold);

done:
    mt5_regex_destroy(&re);
    mt5_spawn_free(&res);
    return MT5_OK;
}
