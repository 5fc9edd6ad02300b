/*  mt5-gateway - the MT5 bridge gateway (docs/tools/mt5-gateway.md).
 *
 *  Binds the command ROUTER and the stream PUB, executes orders on the
 *  embedded paper-trading backend, prints one line containing "listening"
 *  when ready, and stops cleanly on SIGINT or SIGTERM.
 *
 *  Settings, lowest precedence first: defaults, --config FILE (or
 *  $MT5_CONFIG), MT5_* environment variables, the flags below.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mt5/config.h"
#include "mt5/error.h"
#include "mt5/paper.h"
#include "mt5/server.h"
#include "mt5/sig.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

static volatile sig_atomic_t s_stop;

static void s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

static const char s_usage[] =
    "Usage: mt5-gateway [OPTIONS]\n"
    "Serve the MT5 bridge protocol (docs/protocol.md) on a paper-trading backend.\n"
    "\n"
    "  --backend NAME          execution backend: paper (the default and only one here)\n"
    "  --bind ENDPOINT         command endpoint, ROUTER (default tcp://127.0.0.1:5555)\n"
    "  --config FILE           YAML configuration (default $MT5_CONFIG, if set)\n"
    "  --disable-symbol SYM    paper: refuse new positions on SYM with BACKEND_ERROR, as\n"
    "                          MT5 does for a trade-disabled symbol (repeatable)\n"
    "  --heartbeat-ms N        stream heartbeat period (default 500)\n"
    "  --help                  show this help and exit\n"
    "  --key-file FILE         risk key: hex, mode 0600 (else gateway.key_file, else\n"
    "                          $MT5_RISK_KEY; without a key every order is refused)\n"
    "  --max-positions N       open positions allowed at once (default 200)\n"
    "  --max-volume LOTS       largest order (default 100)\n"
    "  --signature-ttl-ms N    risk signature time to live (default 2000)\n"
    "  --stream ENDPOINT       stream endpoint, PUB (default tcp://127.0.0.1:5556;\n"
    "                          \"none\" for no stream)\n"
    "  --version               print the version and exit\n"
    "\n"
    "Endpoints may use port * for an ephemeral port; the listening line shows it.\n"
    "Exit status: 0 stopped by a signal, 1 could not start, 2 usage error.\n";

/* Long options, sorted. */
enum {
    OPT_BACKEND = 256,
    OPT_BIND,
    OPT_CONFIG,
    OPT_DISABLE,
    OPT_HEARTBEAT,
    OPT_HELP,
    OPT_KEY_FILE,
    OPT_MAX_POSITIONS,
    OPT_MAX_VOLUME,
    OPT_TTL,
    OPT_STREAM,
    OPT_VERSION
};
static const struct option s_options[] = {
    {"backend", required_argument, NULL, OPT_BACKEND},
    {"bind", required_argument, NULL, OPT_BIND},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"disable-symbol", required_argument, NULL, OPT_DISABLE},
    {"heartbeat-ms", required_argument, NULL, OPT_HEARTBEAT},
    {"help", no_argument, NULL, OPT_HELP},
    {"key-file", required_argument, NULL, OPT_KEY_FILE},
    {"max-positions", required_argument, NULL, OPT_MAX_POSITIONS},
    {"max-volume", required_argument, NULL, OPT_MAX_VOLUME},
    {"signature-ttl-ms", required_argument, NULL, OPT_TTL},
    {"stream", required_argument, NULL, OPT_STREAM},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

static int s_usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "mt5-gateway: %s%s%s\nTry 'mt5-gateway --help'.\n", what, arg ? " " : "",
            arg ? arg : "");
    return EXIT_USAGE;
}

/* Flags are kept as text until the config file and environment are read,
 * so they can override both. */
typedef struct {
    const char *bind, *stream, *config, *key_file, *heartbeat, *ttl, *max_volume, *max_positions;
    const char *disabled[MT5_PAPER_DISABLED_MAX];
    size_t disabled_count;
} s_flags;

/* One flag onto its setting, checked by the same rule as the file and the
 * environment. */
static int s_set(mt5_config_t *cfg, const char *flag, const char *key, const char *text)
{
    if (!text || mt5_config_set(cfg, key, text) == MT5_OK)
        return 0;
    fprintf(stderr, "mt5-gateway: --%s: %s\n", flag, mt5_error_detail());
    return -1;
}

static int s_apply_flags(mt5_config_t *cfg, const s_flags *f)
{
    if (f->stream && strcmp(f->stream, "none") == 0)
        cfg->stream[0] = '\0';
    else if (s_set(cfg, "stream", "gateway.stream", f->stream))
        return -1;
    if (s_set(cfg, "bind", "gateway.bind", f->bind) ||
        s_set(cfg, "key-file", "gateway.key_file", f->key_file) ||
        s_set(cfg, "heartbeat-ms", "gateway.heartbeat_ms", f->heartbeat) ||
        s_set(cfg, "signature-ttl-ms", "gateway.signature_ttl_ms", f->ttl) ||
        s_set(cfg, "max-positions", "gateway.max_positions", f->max_positions) ||
        s_set(cfg, "max-volume", "gateway.max_volume", f->max_volume))
        return -1;
    return 0;
}

/* The key: the configured file, else $MT5_RISK_KEY, else none. */
static int s_load_key(mt5_key_t **key, const mt5_config_t *cfg)
{
    int rc;
    if (*cfg->key_file) {
        rc = mt5_key_load_file(key, cfg->key_file);
    } else {
        rc = mt5_key_from_env(key, "MT5_RISK_KEY");
        if (rc == MT5_ENOTFOUND) {
            fprintf(stderr, "mt5-gateway: warning: no risk key (--key-file or $MT5_RISK_KEY); "
                            "every OPEN and CLOSE will be refused\n");
            return 0;
        }
    }
    if (rc != MT5_OK) {
        fprintf(stderr, "mt5-gateway: %s: %s\n", mt5_strerror(rc), mt5_error_detail());
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    s_flags flags = {0};
    int c;
    while ((c = getopt_long(argc, argv, "", s_options, NULL)) != -1) {
        switch (c) {
        case OPT_BACKEND:
            if (strcmp(optarg, "paper") != 0)
                return s_usage_error("unknown backend (this build has: paper):", optarg);
            break;
        case OPT_BIND:
            flags.bind = optarg;
            break;
        case OPT_CONFIG:
            flags.config = optarg;
            break;
        case OPT_DISABLE:
            if (flags.disabled_count == MT5_PAPER_DISABLED_MAX)
                return s_usage_error("too many --disable-symbol flags:", optarg);
            flags.disabled[flags.disabled_count++] = optarg;
            break;
        case OPT_HEARTBEAT:
            flags.heartbeat = optarg;
            break;
        case OPT_HELP:
            fputs(s_usage, stdout);
            return EXIT_OK;
        case OPT_KEY_FILE:
            flags.key_file = optarg;
            break;
        case OPT_MAX_POSITIONS:
            flags.max_positions = optarg;
            break;
        case OPT_MAX_VOLUME:
            flags.max_volume = optarg;
            break;
        case OPT_TTL:
            flags.ttl = optarg;
            break;
        case OPT_STREAM:
            flags.stream = optarg;
            break;
        case OPT_VERSION:
            printf("mt5-gateway %s\n", MT5_VERSION);
            return EXIT_OK;
        default:
            return s_usage_error("invalid option", NULL);
        }
    }
    if (optind < argc)
        return s_usage_error("unexpected argument", argv[optind]);

    mt5_config_t cfg;
    int rc = mt5_config_resolve(&cfg, flags.config);
    if (rc != MT5_OK) {
        fprintf(stderr, "mt5-gateway: %s\n", mt5_error_detail());
        return EXIT_USAGE;
    }
    if (s_apply_flags(&cfg, &flags) != 0)
        return EXIT_USAGE;

    mt5_key_t *key = NULL;
    if (s_load_key(&key, &cfg) != 0)
        return EXIT_FAIL;

    mt5_paper_options popts = MT5_PAPER_OPTIONS_INIT;
    popts.login = cfg.paper_login;
    popts.balance = cfg.paper_balance;
    snprintf(popts.currency, sizeof popts.currency, "%s", cfg.paper_currency);
    popts.leverage = cfg.paper_leverage;
    mt5_backend_t *backend = mt5_paper_new(&popts);
    for (size_t i = 0; backend && i < flags.disabled_count; i++) {
        if (mt5_paper_disable_symbol(backend, flags.disabled[i]) != MT5_OK) {
            fprintf(stderr, "mt5-gateway: --disable-symbol: %s\n", mt5_error_detail());
            mt5_backend_destroy(&backend);
            mt5_key_destroy(&key);
            return EXIT_USAGE;
        }
    }

    mt5_server_options sopts = MT5_SERVER_OPTIONS_INIT;
    sopts.bind = cfg.bind;
    sopts.stream = cfg.stream;
    sopts.key = key;
    sopts.signature_ttl_ms = cfg.signature_ttl_ms;
    sopts.heartbeat_ms = cfg.heartbeat_ms;
    sopts.max_volume = cfg.max_volume;
    sopts.max_positions = cfg.max_positions;
    mt5_server_t *server = backend ? mt5_server_new(&sopts, &backend) : NULL;
    if (!server || mt5_server_bind(server) != MT5_OK) {
        fprintf(stderr, "mt5-gateway: cannot start: %s\n", mt5_error_detail());
        mt5_server_destroy(&server);
        mt5_backend_destroy(&backend);
        mt5_key_destroy(&key);
        return EXIT_FAIL;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    const char *stream = mt5_server_stream_endpoint(server);
    printf("mt5-gateway: listening command=%s stream=%s backend=paper boot_id=%s\n",
           mt5_server_endpoint(server), *stream ? stream : "none", mt5_server_boot_id(server));
    fflush(stdout);

    rc = mt5_server_run(server, &s_stop);
    printf("mt5-gateway: stopped after %llu requests\n",
           (unsigned long long)mt5_server_requests(server));
    mt5_server_destroy(&server);
    mt5_key_destroy(&key);
    return rc == MT5_OK ? EXIT_OK : EXIT_FAIL;
}
