/*  verify-connection - the Gate-1 connection check (seed 000's
 *  scripts/verify_connection.py), with nothing hard-coded.
 *
 *  Sends "Hello", expects "OK_FROM_MT5" within the timeout, prints the
 *  verdict (text with troubleshooting hints, or --json) and appends the run
 *  to a VERIFY_LOG when asked (docs/tools/verify-connection.md).
 *
 *  Endpoint: --endpoint, else $MT5_ENDPOINT, else client.endpoint in the
 *  config file (--config or $MT5_CONFIG), else tcp://127.0.0.1:5555.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mt5/config.h"
#include "mt5/error.h"
#include "mt5/verify.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

static const char s_usage[] =
    "Usage: verify-connection [OPTIONS]\n"
    "Check that the MT5 gateway answers the handshake: send \"Hello\", expect\n"
    "\"OK_FROM_MT5\" within the timeout.\n"
    "\n"
    "  --config FILE       YAML configuration (default $MT5_CONFIG, if set)\n"
    "  --endpoint EP       gateway command endpoint (else $MT5_ENDPOINT, else the\n"
    "                      config file's client.endpoint, else tcp://127.0.0.1:5555)\n"
    "  --help              show this help and exit\n"
    "  --json              print the result as one JSON object\n"
    "  --log FILE          append the run to FILE in VERIFY_LOG form (else client.log\n"
    "                      or $MT5_VERIFY_LOG, if set)\n"
    "  --quiet             print nothing; the exit status tells\n"
    "  --timeout-ms N      how long to wait for the reply (default 5000)\n"
    "  --version           print the version and exit\n"
    "\n"
    "Exit status: 0 the reply was OK_FROM_MT5; 1 timeout, refused or a wrong\n"
    "reply; 2 usage error.\n";

enum {
    OPT_CONFIG = 256,
    OPT_ENDPOINT,
    OPT_HELP,
    OPT_JSON,
    OPT_LOG,
    OPT_QUIET,
    OPT_TIMEOUT,
    OPT_VERSION
};
static const struct option s_options[] = {
    {"config", required_argument, NULL, OPT_CONFIG},
    {"endpoint", required_argument, NULL, OPT_ENDPOINT},
    {"help", no_argument, NULL, OPT_HELP},
    {"json", no_argument, NULL, OPT_JSON},
    {"log", required_argument, NULL, OPT_LOG},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"timeout-ms", required_argument, NULL, OPT_TIMEOUT},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

static int s_usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "verify-connection: %s%s%s\nTry 'verify-connection --help'.\n", what,
            arg ? " " : "", arg ? arg : "");
    return EXIT_USAGE;
}

static void s_print_text(const mt5_verify_result_t *r)
{
    if (r->status == MT5_VERIFY_PASS) {
        printf("[PASS] %s\n", r->detail);
        return;
    }
    printf("[FAIL] %s: %s\n", mt5_verify_status_name(r->status), r->detail);
    const char *hint = mt5_verify_hint(r->status);
    if (*hint)
        printf("%s\n", hint);
}

int main(int argc, char **argv)
{
    const char *endpoint = NULL, *config = NULL, *log = NULL, *timeout = NULL;
    bool json = false, quiet = false;
    int c;
    while ((c = getopt_long(argc, argv, "", s_options, NULL)) != -1) {
        switch (c) {
        case OPT_CONFIG:
            config = optarg;
            break;
        case OPT_ENDPOINT:
            endpoint = optarg;
            break;
        case OPT_HELP:
            fputs(s_usage, stdout);
            return EXIT_OK;
        case OPT_JSON:
            json = true;
            break;
        case OPT_LOG:
            log = optarg;
            break;
        case OPT_QUIET:
            quiet = true;
            break;
        case OPT_TIMEOUT:
            timeout = optarg;
            break;
        case OPT_VERSION:
            printf("verify-connection %s\n", MT5_VERSION);
            return EXIT_OK;
        default:
            return s_usage_error("invalid option", NULL);
        }
    }
    if (optind < argc)
        return s_usage_error("unexpected argument", argv[optind]);

    mt5_config_t cfg;
    if (mt5_config_resolve(&cfg, config) != MT5_OK) {
        fprintf(stderr, "verify-connection: %s\n", mt5_error_detail());
        return EXIT_USAGE;
    }
    /* Flags go through the settings table: the same rules as the file. */
    const struct {
        const char *flag, *key, *text;
    } flags[] = {{"--endpoint", "client.endpoint", endpoint},
                 {"--timeout-ms", "client.timeout_ms", timeout},
                 {"--log", "client.log", log}};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        if (flags[i].text && mt5_config_set(&cfg, flags[i].key, flags[i].text) != MT5_OK)
            return s_usage_error(flags[i].flag, mt5_error_detail());
    }

    mt5_verify_options vopts = MT5_VERIFY_OPTIONS_INIT;
    vopts.endpoint = cfg.endpoint;
    vopts.timeout_ms = (int)cfg.timeout_ms;
    mt5_verify_result_t result;
    if (mt5_verify_run(&result, &vopts) != MT5_OK)
        return s_usage_error("cannot run the check:", result.detail);
    if (result.status == MT5_VERIFY_ERROR) {
        fprintf(stderr, "verify-connection: %s\n", result.detail);
        return EXIT_USAGE;
    }

    int status = result.status == MT5_VERIFY_PASS ? EXIT_OK : EXIT_FAIL;
    if (*cfg.log_file && mt5_verify_log(&result, cfg.log_file, "verify-connection") != MT5_OK) {
        fprintf(stderr, "verify-connection: cannot write %s: %s\n", cfg.log_file,
                mt5_error_detail());
        status = EXIT_FAIL;
    }
    if (json) {
        char *text = mt5_verify_json(&result);
        if (text)
            printf("%s\n", text);
        free(text);
    } else if (!quiet) {
        s_print_text(&result);
    }
    return status;
}
