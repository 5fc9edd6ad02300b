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
#include <string.h>

#include "check_impl.h"
#include "check_spawn.h"
#include "mt5/error.h"
#include "mt5/num.h"
#include "mt5/regex.h"

#define S_NUMBER_MAX 64 /* longer captured text is no number */

/* The captured text as a number: plain decimal, an optional '-', no '+'.
 * text (cap bytes) gets the text, cut when too long, for the message. */
static bool s_number(double *out, char *text, size_t cap, const mt5_spawn_hit_t *hit)
{
    if (!check_spawn_hit_text(text, cap, hit) || text[0] == '+')
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
    const mt5_spawn_options opts = {
        .argv = (const char *const *)c->argv.items,
        .argc = c->argv.count,
        .shell = c->shell,
        .cwd = c->cwd,
        .env = (const char *const *)c->env.items,
        .envc = c->env.count,
    };
    if (!check_spawn(out, &res, check, ctx, &opts))
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

    mt5_spawn_hit_t hit;
    const char *where = c->stream == MT5_STREAM_STDOUT   ? "stdout"
                        : c->stream == MT5_STREAM_STDERR ? "stderr"
                                                         : "the output";
    int rc = check_spawn_search(&hit, re, &res, c->stream, c->capture_last);
    if (rc == MT5_ENOTFOUND) {
        check_verdict(out, MT5_STATUS_FAIL, "no number matched /%s/ in %s", c->capture, where);
        check_spawn_tail(out, &res, c->stream);
        goto done;
    }
    if (rc != MT5_OK) {
        check_verdict(out, MT5_STATUS_ERROR, "capture /%s/: %s", c->capture, mt5_error_detail());
        check_spawn_tail(out, &res, c->stream);
        goto done;
    }
    char text[S_NUMBER_MAX];
    double value = 0;
    check_spawn_line(out, &hit);
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
