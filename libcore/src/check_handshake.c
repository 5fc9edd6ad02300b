/*  check_handshake.c - the handshake kind: Hello -> OK_FROM_MT5 over
 *  ZeroMQ, the same check verify-connection makes (mt5/verify.h), given
 *  whatever time the attempt has left.
 *
 *  A gateway that does not answer in time is a FAIL with verify's detail
 *  (the check decided: nothing answered), not a runner timeout. With
 *  `log`, the run is appended to that VERIFY_LOG inside the root as
 *  component "audit", so the log check can read the gate's own evidence.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "check_impl.h"
#include "mt5/error.h"
#include "mt5/verify.h"

/* The first line of verify's hint, without its trailing ':'. */
static void s_first_line(char *dst, size_t cap, const char *hint)
{
    size_t n = strcspn(hint, "\n");
    if (n > 0 && hint[n - 1] == ':')
        n--;
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, hint, n);
    dst[n] = '\0';
}

int mt5_check_handshake_run(mt5_check_result_t *out, const mt5_check_t *check,
                            const mt5_check_ctx_t *ctx)
{
    const mt5_check_handshake_t *h = &check->u.handshake;
    char *log = NULL;
    if (!h->endpoint)
        return check_verdict(out, MT5_STATUS_ERROR, "the handshake check has no endpoint");
    /* A log path that leaves the root (a dangling symlink out included)
     * is refused before anything is sent. */
    if (h->log && mt5_check_resolve(&log, ctx->root, h->log) != MT5_OK)
        return check_verdict(out, MT5_STATUS_ERROR, "log %s", mt5_error_detail());
    int64_t left = check_remaining_ms(ctx);
    mt5_verify_options opts = MT5_VERIFY_OPTIONS_INIT;
    opts.endpoint = h->endpoint;
    opts.message = h->message;
    opts.expect = h->expect;
    opts.timeout_ms = left < 1 ? 1 : left > INT_MAX ? INT_MAX : (int)left;
    mt5_verify_result_t vr;
    if (mt5_verify_run(&vr, &opts) != MT5_OK) {
        check_verdict(out, MT5_STATUS_ERROR, "%s", vr.detail);
        goto done;
    }

    if (vr.status == MT5_VERIFY_PASS || vr.status == MT5_VERIFY_BAD_REPLY)
        check_evidence(out, "endpoint=%s rtt_us=%lld reply=%s", vr.endpoint, (long long)vr.rtt_us,
                       vr.reply);
    else
        check_evidence(out, "endpoint=%s error=%s", vr.endpoint, mt5_verify_status_name(vr.status));
    char hint[256];
    s_first_line(hint, sizeof hint, mt5_verify_hint(vr.status));
    switch (vr.status) {
    case MT5_VERIFY_PASS:
        check_verdict(out, MT5_STATUS_PASS, "%s", vr.detail);
        break;
    case MT5_VERIFY_TIMEOUT:
    case MT5_VERIFY_REFUSED:
    case MT5_VERIFY_BAD_REPLY:
        check_verdict(out, MT5_STATUS_FAIL, "%s (%s)", vr.detail, hint);
        break;
    default:
        check_verdict(out, MT5_STATUS_ERROR, "%s", vr.detail);
        break;
    }
    if (log && mt5_verify_log(&vr, log, "audit") != MT5_OK)
        check_verdict(out, MT5_STATUS_ERROR, "cannot append to %s: %s", h->log, mt5_error_detail());

done:
    free(log);
    return MT5_OK;
}
