/*  mt5/config.h - settings from a YAML file, then the environment.
 *
 *  Precedence, lowest first: built-in defaults, the YAML file, environment
 *  variables, then the tool's command line (applied by the tool). Every
 *  default endpoint is on 127.0.0.1. Secrets never live here: only the path
 *  of the key file does. The file's layout and the variables are listed in
 *  docs/configuration.md.
 */
#ifndef MT5_CONFIG_H
#define MT5_CONFIG_H

#include <stdint.h>

#include "mt5/sock.h" /* MT5_ENDPOINT_MAX */

#define MT5_PATH_MAX 4096
#define MT5_DEFAULT_ENDPOINT "tcp://127.0.0.1:5555"
#define MT5_DEFAULT_STREAM "tcp://127.0.0.1:5556"

typedef struct {
    /* client: */
    char endpoint[MT5_ENDPOINT_MAX]; /* client.endpoint      MT5_ENDPOINT */
    int64_t timeout_ms;              /* client.timeout_ms    MT5_TIMEOUT_MS (5000) */
    int64_t retries;                 /* client.retries       MT5_RETRIES (3) */
    char log_file[MT5_PATH_MAX];     /* client.log           MT5_VERIFY_LOG ("") */
    /* gateway: */
    char bind[MT5_ENDPOINT_MAX];   /* gateway.bind         MT5_BIND */
    char stream[MT5_ENDPOINT_MAX]; /* gateway.stream       MT5_STREAM */
    char key_file[MT5_PATH_MAX];   /* gateway.key_file     MT5_KEY_FILE ("") */
    int64_t signature_ttl_ms;      /* gateway.signature_ttl_ms  MT5_SIGNATURE_TTL_MS (2000) */
    int64_t heartbeat_ms;          /* gateway.heartbeat_ms MT5_HEARTBEAT_MS (500) */
    double max_volume;             /* gateway.max_volume   MT5_MAX_VOLUME (100 lots) */
    int64_t max_positions;         /* gateway.max_positions MT5_MAX_POSITIONS (200) */
    /* paper backend: */
    int64_t paper_login;    /* paper.login          MT5_PAPER_LOGIN (1000001) */
    double paper_balance;   /* paper.balance        MT5_PAPER_BALANCE (10000) */
    char paper_currency[8]; /* paper.currency       MT5_PAPER_CURRENCY ("USD") */
    int64_t paper_leverage; /* paper.leverage       MT5_PAPER_LEVERAGE (100) */
} mt5_config_t;

/* Fill *cfg with the built-in defaults. */
void mt5_config_defaults(mt5_config_t *cfg);

/*  Read a YAML file over *cfg. Unknown sections or keys, wrong types and
 *  out-of-range values are errors: MT5_EPARSE / MT5_EINVAL with detail
 *  "<file>:<line>:<column>: <what>". MT5_EIO when unreadable. *cfg is left
 *  unchanged on any error. */
int mt5_config_load(mt5_config_t *cfg, const char *path);

/*  Apply the MT5_* environment variables over *cfg. A malformed value is
 *  MT5_EINVAL with detail naming the variable, and *cfg is left unchanged. */
int mt5_config_apply_env(mt5_config_t *cfg);

/*  Set one setting from text, by its YAML path ("gateway.heartbeat_ms"),
 *  with the same parsing and range as the file and the environment: how
 *  tools apply their command-line flags. MT5_OK; MT5_EINVAL with detail
 *  "<key> must be <rule>, not '<text>'"; MT5_ENOTFOUND for an unknown key.
 *  *cfg is unchanged on error. */
int mt5_config_set(mt5_config_t *cfg, const char *key, const char *text);

/*  What every tool does before its own flags: the defaults, then the YAML
 *  file at `path` (or, when path is NULL, the file named by $MT5_CONFIG if
 *  set and non-empty), then the environment. Returns MT5_OK, or the error
 *  of the step that failed with its detail; *cfg is written only on MT5_OK. */
int mt5_config_resolve(mt5_config_t *cfg, const char *path);

#endif
