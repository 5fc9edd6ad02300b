/*  verify.c - the Gate-1 connection check: Hello -> OK_FROM_MT5.
 *
 *  One attempt, no retries: the check is about whether the gateway answers
 *  now, within the timeout, and a refused connection is reported at once
 *  rather than after the timeout (a developer waiting on a pre-commit hook
 *  should not wait five seconds to learn nothing listens).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mt5/client.h"
#include "mt5/clock.h"
#include "mt5/error.h"
#include "mt5/json.h"
#include "mt5/proto.h"
#include "mt5/verify.h"
#include "mt5/vlog.h"

static const char *const s_names[] = {"PASS", "TIMEOUT", "REFUSED", "BAD_REPLY", "ERROR"};

const char *mt5_verify_status_name(mt5_verify_status status)
{
    return (unsigned)status < 5 ? s_names[status] : "ERROR";
}

const char *mt5_verify_hint(mt5_verify_status status)
{
    switch (status) {
    case MT5_VERIFY_TIMEOUT:
        return "no response from the MT5 gateway within the timeout:\n"
               "- check that the gateway (GTW node) is running and its EA answers the handshake\n"
               "- check the endpoint's host and port\n"
               "- check the firewall lets inbound TCP reach the port "
               "(Windows: Get-NetFirewallRule -DisplayName \"*5555*\")\n"
               "- nothing else needs to stop: retry once the gateway is back";
    case MT5_VERIFY_REFUSED:
        return "the connection was refused: nothing listens on that port, or a firewall "
               "rejects it:\n"
               "- start the gateway, or check it listens: netstat -an | findstr \"5555\" "
               "(Windows) / ss -ltn (Linux)\n"
               "- add an inbound rule on the gateway: New-NetFirewallRule -DisplayName "
               "\"MT5 ZMQ\" -Direction Inbound -LocalPort 5555 -Protocol TCP -Action Allow";
    case MT5_VERIFY_BAD_REPLY:
        return "the gateway answered, but not with the handshake string:\n"
               "- the EA script must reply exactly \"OK_FROM_MT5\" to \"Hello\" "
               "(no newline, no NUL)\n"
               "- check that the endpoint is the MT5 gateway and not another service";
    case MT5_VERIFY_ERROR:
        return "the check could not run: see the detail above";
    default:
        return "";
    }
}

static size_t s_min(size_t a, size_t b)
{
    return a < b ? a : b;
}

int mt5_verify_run(mt5_verify_result_t *out, const mt5_verify_options *options)
{
    if (!out)
        return MT5_EINVAL;
    memset(out, 0, sizeof *out);
    out->status = MT5_VERIFY_ERROR;
    out->started_ms = mt5_clock_wall_ms();
    if (!options || options->version != MT5_VERIFY_OPTIONS_VERSION || !options->endpoint ||
        options->timeout_ms <= 0) {
        snprintf(out->detail, sizeof out->detail, "invalid verify options");
        return MT5_EINVAL;
    }
    const char *message = options->message ? options->message : MT5_HELLO;
    const char *expect = options->expect ? options->expect : MT5_HELLO_REPLY;
    snprintf(out->endpoint, sizeof out->endpoint, "%s", options->endpoint);
    snprintf(out->expect, sizeof out->expect, "%s", expect);
    out->timeout_ms = options->timeout_ms;

    mt5_client_options copts = MT5_CLIENT_OPTIONS_INIT;
    copts.timeout_ms = options->timeout_ms;
    copts.retries = 0;
    copts.fail_on_refused = true;
    mt5_client_t *client = mt5_client_new(options->endpoint, &copts);
    if (!client) {
        snprintf(out->detail, sizeof out->detail, "%s", mt5_error_detail());
        return MT5_OK;
    }
    char *reply = NULL;
    size_t reply_len = 0;
    int rc = mt5_client_request(client, message, strlen(message), &reply, &reply_len, &out->rtt_us);
    if (rc == MT5_OK) {
        out->reply_len = reply_len;
        memcpy(out->raw, reply, s_min(reply_len, sizeof out->raw));
        mt5_vlog_escape(out->reply, sizeof out->reply, reply, reply_len);
        if (reply_len == strlen(expect) && memcmp(reply, expect, reply_len) == 0) {
            out->status = MT5_VERIFY_PASS;
            snprintf(out->detail, sizeof out->detail, "%s answered %s in %lld us", out->endpoint,
                     expect, (long long)out->rtt_us);
        } else {
            out->status = MT5_VERIFY_BAD_REPLY;
            snprintf(out->detail, sizeof out->detail, "%s answered \"%s\", expected \"%s\"",
                     out->endpoint, out->reply, expect);
        }
    } else if (rc == MT5_ETIMEOUT) {
        out->status = MT5_VERIFY_TIMEOUT;
        snprintf(out->detail, sizeof out->detail, "no reply from %s within %d ms", out->endpoint,
                 out->timeout_ms);
    } else if (rc == MT5_EREFUSED) {
        out->status = MT5_VERIFY_REFUSED;
        snprintf(out->detail, sizeof out->detail, "connection to %s refused", out->endpoint);
    } else {
        snprintf(out->detail, sizeof out->detail, "%s: %s", mt5_strerror(rc), mt5_error_detail());
    }
    free(reply);
    mt5_client_destroy(&client);
    return MT5_OK;
}

int mt5_verify_log(const mt5_verify_result_t *result, const char *path, const char *component)
{
    if (!result || !path || !component)
        return MT5_EINVAL;
    mt5_vlog_t *log = mt5_vlog_open(path);
    if (!log)
        return MT5_EIO;
    int rc = mt5_vlog_write(log, "INFO", component, "connecting to %s, sending %s, timeout %d ms",
                            result->endpoint, MT5_HELLO, result->timeout_ms);
    if (rc == MT5_OK && result->status == MT5_VERIFY_PASS)
        rc = mt5_vlog_pass(log, component, result->endpoint, result->rtt_us, result->expect);
    else if (rc == MT5_OK)
        rc = mt5_vlog_fail(log, component, result->endpoint, mt5_verify_status_name(result->status),
                           result->status == MT5_VERIFY_BAD_REPLY ? result->raw : NULL,
                           result->status == MT5_VERIFY_BAD_REPLY
                               ? s_min(result->reply_len, sizeof result->raw)
                               : 0);
    mt5_vlog_destroy(&log);
    return rc;
}

char *mt5_verify_json(const mt5_verify_result_t *r)
{
    if (!r)
        return NULL;
    char when[MT5_ISO_TIME_LEN + 1] = "";
    mt5_clock_format_iso(when, sizeof when, r->started_ms);
    mt5_json_t *o = mt5_json_object();
    bool pass = r->status == MT5_VERIFY_PASS;
    bool answered = pass || r->status == MT5_VERIFY_BAD_REPLY;
    int rc = mt5_json_add_string(o, "result", pass ? "PASS" : "FAIL");
    rc |= mt5_json_add_string(o, "endpoint", r->endpoint);
    rc |= mt5_json_add_string(o, "expected", r->expect);
    rc |= answered ? mt5_json_add_string(o, "reply", r->reply) : mt5_json_add_null(o, "reply");
    rc |= answered ? mt5_json_add_int(o, "rtt_us", r->rtt_us) : mt5_json_add_null(o, "rtt_us");
    rc |= mt5_json_add_int(o, "timeout_ms", r->timeout_ms);
    rc |= pass ? mt5_json_add_null(o, "error")
               : mt5_json_add_string(o, "error", mt5_verify_status_name(r->status));
    rc |= mt5_json_add_string(o, "detail", r->detail);
    rc |= mt5_json_add_string(o, "time", when);
    char *text = rc == MT5_OK ? mt5_json_print(o, false) : NULL;
    mt5_json_destroy(&o);
    return text;
}
