/*  config.c - settings from built-in defaults, a YAML file, the environment.
 *
 *  Every setting is declared once, in s_settings: its YAML path, its
 *  environment variable, its type, where it lives in mt5_config_t and its
 *  range. The file loader, the environment pass and mt5_config_set (the
 *  tools' flags) all look settings up in that table, so a setting cannot
 *  be readable from one source and forgotten in another, and all check the
 *  same range with the same words.
 *
 *  Anything the table does not name is an error, not ignored: a typo in a
 *  risk limit must not silently leave the default in force. Secrets have
 *  no entry on purpose; a key such as gateway.risk_key is refused as
 *  unknown, so a secret cannot end up in a file that gets copied around.
 *
 *  Both passes work on a copy and write the caller's struct only when
 *  every value was good, so a half-applied configuration never exists.
 */
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mt5/config.h"
#include "mt5/error.h"
#include "mt5/num.h"
#include "mt5/sock.h"
#include "mt5/yaml.h"

typedef enum {
    S_ENDPOINT, /* char[MT5_ENDPOINT_MAX], tcp:// ipc:// or inproc:// */
    S_PATH,     /* char[MT5_PATH_MAX], may be empty (= not set) */
    S_INT,      /* int64_t in [min, max] */
    S_NUMBER,   /* double in (min, max] */
    S_CURRENCY  /* char[8], 3 to 7 upper-case letters */
} s_type_t;

typedef struct {
    const char *section; /* YAML section: client, gateway, paper */
    const char *key;     /* key inside the section */
    const char *env;     /* environment variable */
    s_type_t type;       /* how the value is read and checked */
    size_t offset;       /* offsetof the field in mt5_config_t */
    size_t size;         /* sizeof the field (strings: buffer size) */
    double min;          /* S_INT: lowest allowed; S_NUMBER: exclusive bound */
    double max;          /* highest allowed (inclusive) */
    const char *rule;    /* "<path> must be <rule>" */
} s_setting_t;

#define S_FIELD(f) offsetof(mt5_config_t, f), sizeof(((mt5_config_t *)0)->f)
#define S_ENDPOINT_RULE "an endpoint starting with tcp://, ipc:// or inproc://"

static const s_setting_t s_settings[] = {
    {"client", "endpoint", "MT5_ENDPOINT", S_ENDPOINT, S_FIELD(endpoint), 0, 0, S_ENDPOINT_RULE},
    {"client", "timeout_ms", "MT5_TIMEOUT_MS", S_INT, S_FIELD(timeout_ms), 1, 3600000,
     "an integer from 1 to 3600000"},
    {"client", "retries", "MT5_RETRIES", S_INT, S_FIELD(retries), 0, 100,
     "an integer from 0 to 100"},
    {"client", "log", "MT5_VERIFY_LOG", S_PATH, S_FIELD(log_file), 0, 0,
     "a path shorter than 4096 bytes"},
    {"gateway", "bind", "MT5_BIND", S_ENDPOINT, S_FIELD(bind), 0, 0, S_ENDPOINT_RULE},
    {"gateway", "stream", "MT5_STREAM", S_ENDPOINT, S_FIELD(stream), 0, 0, S_ENDPOINT_RULE},
    {"gateway", "key_file", "MT5_KEY_FILE", S_PATH, S_FIELD(key_file), 0, 0,
     "a path shorter than 4096 bytes"},
    {"gateway", "signature_ttl_ms", "MT5_SIGNATURE_TTL_MS", S_INT, S_FIELD(signature_ttl_ms), 1,
     3600000, "an integer from 1 to 3600000"},
    {"gateway", "heartbeat_ms", "MT5_HEARTBEAT_MS", S_INT, S_FIELD(heartbeat_ms), 10, 60000,
     "an integer from 10 to 60000"},
    {"gateway", "max_volume", "MT5_MAX_VOLUME", S_NUMBER, S_FIELD(max_volume), 0, 1e6,
     "a number > 0 and <= 1000000"},
    {"gateway", "max_positions", "MT5_MAX_POSITIONS", S_INT, S_FIELD(max_positions), 1, 1000000,
     "an integer from 1 to 1000000"},
    {"paper", "login", "MT5_PAPER_LOGIN", S_INT, S_FIELD(paper_login), 1, (double)INT64_MAX,
     "an integer > 0"},
    {"paper", "balance", "MT5_PAPER_BALANCE", S_NUMBER, S_FIELD(paper_balance), 0, 1e12,
     "a number > 0 and <= 1000000000000"},
    {"paper", "currency", "MT5_PAPER_CURRENCY", S_CURRENCY, S_FIELD(paper_currency), 0, 0,
     "3 to 7 upper-case letters"},
    {"paper", "leverage", "MT5_PAPER_LEVERAGE", S_INT, S_FIELD(paper_leverage), 1, 1000,
     "an integer from 1 to 1000"},
};

#define S_NSETTINGS (sizeof s_settings / sizeof s_settings[0])

/* A value on its way from a source into the struct. */
typedef struct {
    int64_t i;     /* S_INT */
    double d;      /* S_NUMBER */
    const char *s; /* strings: borrowed from the document or environ */
} s_value_t;

void mt5_config_defaults(mt5_config_t *cfg)
{
    if (!cfg)
        return;
    memset(cfg, 0, sizeof *cfg);
    memcpy(cfg->endpoint, MT5_DEFAULT_ENDPOINT, sizeof MT5_DEFAULT_ENDPOINT);
    cfg->timeout_ms = 5000;
    cfg->retries = 3;
    memcpy(cfg->bind, MT5_DEFAULT_ENDPOINT, sizeof MT5_DEFAULT_ENDPOINT);
    memcpy(cfg->stream, MT5_DEFAULT_STREAM, sizeof MT5_DEFAULT_STREAM);
    cfg->signature_ttl_ms = 2000;
    cfg->heartbeat_ms = 500;
    cfg->max_volume = 100.0;
    cfg->max_positions = 200;
    cfg->paper_login = 1000001;
    cfg->paper_balance = 10000.0;
    memcpy(cfg->paper_currency, "USD", 4);
    cfg->paper_leverage = 100;
}

/* Does a parsed value satisfy the setting's rule? */
static bool s_valid(const s_setting_t *set, const s_value_t *v)
{
    switch (set->type) {
    case S_INT:
        return (double)v->i >= set->min && (double)v->i <= set->max;
    case S_NUMBER:
        return isfinite(v->d) && v->d > set->min && v->d <= set->max;
    case S_ENDPOINT:
        return mt5_sock_endpoint_check(v->s) == MT5_OK;
    case S_PATH:
        return strlen(v->s) < set->size;
    case S_CURRENCY: {
        size_t len = strlen(v->s);
        if (len < 3 || len > 7)
            return false;
        for (size_t i = 0; i < len; i++) {
            if (v->s[i] < 'A' || v->s[i] > 'Z')
                return false;
        }
        return true;
    }
    }
    return false;
}

static void s_store(mt5_config_t *cfg, const s_setting_t *set, const s_value_t *v)
{
    char *field = (char *)cfg + set->offset;
    switch (set->type) {
    case S_INT:
        memcpy(field, &v->i, sizeof v->i);
        break;
    case S_NUMBER:
        memcpy(field, &v->d, sizeof v->d);
        break;
    default: /* strings: s_valid checked that it fits */
        memcpy(field, v->s, strlen(v->s) + 1);
        break;
    }
}

/* Read a YAML node as the setting's type. Quoted numbers are strings in
 * YAML and are refused like any other wrong type. */
static bool s_from_node(s_value_t *v, const s_setting_t *set, const mt5_yaml_node_t *node)
{
    switch (set->type) {
    case S_INT:
        return mt5_yaml_int(&v->i, node) == MT5_OK;
    case S_NUMBER:
        return mt5_yaml_double(&v->d, node) == MT5_OK;
    default:
        v->s = mt5_yaml_scalar(node);
        /* "key:" with no value is a plain empty scalar: for a path that
         * means "not set", for the others it fails their rule. */
        return v->s != NULL;
    }
}

/* Read environment text as the setting's type: the same forms the YAML
 * reader takes for plain scalars (decimal integers; decimal numbers). */
static bool s_from_text(s_value_t *v, const s_setting_t *set, const char *text)
{
    /* Ranges are s_valid's job; here only "is it a number at all". */
    switch (set->type) {
    case S_INT:
        return mt5_num_int(&v->i, text, INT64_MIN, INT64_MAX) == MT5_OK;
    case S_NUMBER:
        return mt5_num_double(&v->d, text, -DBL_MAX, DBL_MAX) == MT5_OK;
    default:
        v->s = text;
        return true;
    }
}

/* The setting named section.key; the section is `section_len` bytes of
 * `section`, so "gateway.heartbeat_ms" can be looked up without a copy.
 * NULL when there is none. */
static const s_setting_t *s_find(const char *section, size_t section_len, const char *key)
{
    for (size_t j = 0; j < S_NSETTINGS; j++) {
        const s_setting_t *set = &s_settings[j];
        if (strlen(set->section) == section_len &&
            memcmp(set->section, section, section_len) == 0 && strcmp(set->key, key) == 0)
            return set;
    }
    return NULL;
}

/* Parse `text` as the setting, check it and store it in *cfg. On error
 * the detail names the setting as `name` (its variable or its path). */
static int s_set_text(mt5_config_t *cfg, const s_setting_t *set, const char *name, const char *text)
{
    s_value_t v = {0, 0.0, NULL};
    if (!s_from_text(&v, set, text) || !s_valid(set, &v))
        return mt5_error_set(MT5_EINVAL, "%s must be %s, not '%s'", name, set->rule, text);
    s_store(cfg, set, &v);
    return MT5_OK;
}

/* Apply one section mapping of the document to *cfg. */
static int s_load_section(mt5_config_t *cfg, const char *file, const char *section,
                          const mt5_yaml_node_t *map)
{
    for (size_t i = 0; i < mt5_yaml_size(map); i++) {
        const mt5_yaml_node_t *key = mt5_yaml_key(map, i);
        const mt5_yaml_node_t *val = mt5_yaml_value(map, i);
        const char *name = mt5_yaml_scalar(key);
        const s_setting_t *set = s_find(section, strlen(section), name);
        if (!set)
            return mt5_error_set(MT5_EPARSE, "%s:%d:%d: unknown key '%s.%s'", file,
                                 mt5_yaml_line(key), mt5_yaml_column(key), section, name);
        s_value_t v = {0, 0.0, NULL};
        if (!s_from_node(&v, set, val))
            return mt5_error_set(MT5_EPARSE, "%s:%d:%d: %s.%s must be %s", file, mt5_yaml_line(val),
                                 mt5_yaml_column(val), section, name, set->rule);
        if (!s_valid(set, &v))
            return mt5_error_set(MT5_EINVAL, "%s:%d:%d: %s.%s must be %s", file, mt5_yaml_line(val),
                                 mt5_yaml_column(val), section, name, set->rule);
        s_store(cfg, set, &v);
    }
    return MT5_OK;
}

static bool s_is_section(const char *name)
{
    for (size_t j = 0; j < S_NSETTINGS; j++) {
        if (strcmp(s_settings[j].section, name) == 0)
            return true;
    }
    return false;
}

int mt5_config_load(mt5_config_t *cfg, const char *path)
{
    if (!cfg || !path)
        return mt5_error_set(MT5_EINVAL, "no configuration or no file name");
    mt5_yaml_doc_t *doc = NULL;
    int rc = mt5_yaml_load_file(&doc, path);
    if (rc != MT5_OK)
        return rc;
    mt5_config_t copy = *cfg;
    const mt5_yaml_node_t *root = mt5_yaml_root(doc);
    /* An empty file changes nothing. */
    if (root && mt5_yaml_kind_of(root) != MT5_YAML_MAP) {
        rc = mt5_error_set(MT5_EPARSE,
                           "%s:%d:%d: the top level must be a mapping of sections "
                           "(client, gateway, paper)",
                           path, mt5_yaml_line(root), mt5_yaml_column(root));
        goto done;
    }
    for (size_t i = 0; i < mt5_yaml_size(root); i++) {
        const mt5_yaml_node_t *key = mt5_yaml_key(root, i);
        const mt5_yaml_node_t *val = mt5_yaml_value(root, i);
        const char *section = mt5_yaml_scalar(key);
        if (!s_is_section(section)) {
            rc = mt5_error_set(MT5_EPARSE, "%s:%d:%d: unknown section '%s'", path,
                               mt5_yaml_line(key), mt5_yaml_column(key), section);
            goto done;
        }
        /* "client:" with every key commented out is an empty section. */
        if (mt5_yaml_plain(val) && mt5_yaml_scalar(val)[0] == '\0')
            continue;
        if (mt5_yaml_kind_of(val) != MT5_YAML_MAP) {
            rc = mt5_error_set(MT5_EPARSE, "%s:%d:%d: section '%s' must be a mapping", path,
                               mt5_yaml_line(val), mt5_yaml_column(val), section);
            goto done;
        }
        rc = s_load_section(&copy, path, section, val);
        if (rc != MT5_OK)
            goto done;
    }
    *cfg = copy;
    mt5_error_clear();
done:
    mt5_yaml_destroy(&doc);
    return rc;
}

int mt5_config_apply_env(mt5_config_t *cfg)
{
    if (!cfg)
        return mt5_error_set(MT5_EINVAL, "no configuration");
    mt5_config_t copy = *cfg;
    for (size_t j = 0; j < S_NSETTINGS; j++) {
        const s_setting_t *set = &s_settings[j];
        const char *text = getenv(set->env);
        /* Unset and empty are the same: "MT5_X=" in a service file or a
         * compose file usually means "not configured here". */
        if (!text || !*text)
            continue;
        int rc = s_set_text(&copy, set, set->env, text);
        if (rc != MT5_OK)
            return rc;
    }
    *cfg = copy;
    mt5_error_clear();
    return MT5_OK;
}

int mt5_config_set(mt5_config_t *cfg, const char *key, const char *text)
{
    if (!cfg || !key || !text)
        return mt5_error_set(MT5_EINVAL, "no configuration, key or value");
    const char *dot = strchr(key, '.');
    const s_setting_t *set = dot ? s_find(key, (size_t)(dot - key), dot + 1) : NULL;
    if (!set)
        return mt5_error_set(MT5_ENOTFOUND, "no setting named %s", key);
    return s_set_text(cfg, set, key, text);
}

int mt5_config_resolve(mt5_config_t *cfg, const char *path)
{
    if (!cfg)
        return mt5_error_set(MT5_EINVAL, "no configuration to fill");
    mt5_config_t work;
    mt5_config_defaults(&work);
    if (!path)
        path = getenv("MT5_CONFIG");
    int rc = MT5_OK;
    if (path && *path)
        rc = mt5_config_load(&work, path);
    if (rc == MT5_OK)
        rc = mt5_config_apply_env(&work);
    if (rc == MT5_OK)
        *cfg = work;
    return rc;
}
