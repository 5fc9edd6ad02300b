/*  manifest.c - load and validate a gate manifest (mt5/manifest.h).
 *
 *  A manifest file is read in one pass: its bytes are hashed and parsed
 *  into a mt5/yaml.h tree, then its variables are defined, its defaults
 *  read, its includes loaded (depth first, before its own phases and
 *  checks, so included checks come first), and finally its phases and
 *  checks are turned into mt5_check_t values. A check's phase and its
 *  needs can only be judged on the merged manifest, so they are checked
 *  once the top file is done; every YAML tree is kept until then so that
 *  each problem can still point at its node. Last, the secrets are sorted
 *  longest first and redacted from the texts a report prints.
 *
 *  Paths are judged by mt5_check_resolve, the very function the checks
 *  run with, so load time and run time cannot disagree about the root.
 *
 *  Reading is strict on purpose: a gate that silently ignores a mistyped
 *  key passes without checking what its author meant. So every unknown
 *  key, wrong type, unknown phase or need, pattern that does not compile
 *  and path that leaves the root is refused at load time, as one line
 *  "<file>:<line>:<column>: <what is wrong>". There are no fixed-size
 *  buffers for what the manifest holds; sizes that only a mistake or an
 *  attack would reach (more than 10000 checks, a value expanding past
 *  64 KiB, defaults nested more than 16 deep) are errors.
 *
 *  docs/manifest.md is the user's reference; keep the two in step.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mt5/check.h"
#include "mt5/clock.h"
#include "mt5/crypto.h"
#include "mt5/error.h"
#include "mt5/file.h"
#include "mt5/manifest.h"
#include "mt5/num.h"
#include "mt5/regex.h"
#include "mt5/sock.h"
#include "mt5/yaml.h"

#define S_MAX_CHECKS 10000     /* per merged manifest */
#define S_MAX_EXPANSION 65536  /* bytes one scalar may expand to */
#define S_MAX_NESTING 16       /* ${a:-${b:-...}} levels */
#define S_MAX_INCLUDE_DEPTH 32 /* files open at once */
#define S_MAX_NAME 255         /* a variable name's length */
#define S_SECRET_FILE_MAX 4096 /* bytes of a secret file used */

#define S_DEFAULT_TIMEOUT_MS 30000
#define S_DEFAULT_RETRY_DELAY_MS 1000
#define S_DAY_MS 86400000LL

#define S_ID_RULE "[A-Za-z0-9][A-Za-z0-9._-]*"
#define S_VAR_RULE "[A-Za-z_][A-Za-z0-9_]*"
#define S_DURATION "a duration such as 500ms, 5s, 2m, 1h or 7d"

/* ---- tables ------------------------------------------------------------- */

static const char *const s_top_keys[] = {"gate",         "title",    "include", "vars",   "secrets",
                                         "secret_files", "defaults", "phases",  "checks", NULL};
static const char *const s_phase_keys[] = {"id", "title", NULL};
static const char *const s_defaults_keys[] = {"timeout", "retries", "retry_delay", NULL};
static const char *const s_waiver_keys[] = {"reason", "expires", NULL};
static const char *const s_skip_keys[] = {"when", "reason", NULL};

/* Keys every check may have. */
static const char *const s_check_keys[] = {"id",    "phase",   "kind",    "description",
                                           "fix",   "timeout", "retries", "retry_delay",
                                           "needs", "waiver",  "skip",    NULL};

/* Keys of each kind, on top of s_check_keys. */
static const char *const s_kind_keys[MT5_CHECK_KIND_COUNT][11] = {
    [MT5_CHECK_FILE] = {"path", "non_empty", "min_lines", "max_lines", "max_bytes", "sha256", NULL},
    [MT5_CHECK_CONTAINS] = {"path", "patterns", "pattern", "absent", "min_count", "min_files",
                            "ignore_case", NULL},
    [MT5_CHECK_SECTIONS] = {"path", "headings", "min_sections", "level", NULL},
    [MT5_CHECK_LOG] = {"path", "mode", "expect", "max_age", "min_count", "since", NULL},
    [MT5_CHECK_HANDSHAKE] = {"endpoint", "message", "expect", "log", NULL},
    [MT5_CHECK_COMMAND] = {"argv", "shell", "cwd", "env", "exit", "capture", "stream",
                           "capture_last", "threshold", NULL},
    [MT5_CHECK_VERSION] = {"argv", "pkg_config", "capture", "want", NULL},
    [MT5_CHECK_PORT] = {"host", "port", NULL},
};

static const char *const s_log_modes[] = {"result", "token", NULL};        /* mt5_log_mode */
static const char *const s_since[] = {"all", "run", NULL};                 /* since_run */
static const char *const s_streams[] = {"both", "stdout", "stderr", NULL}; /* mt5_stream */

/* ---- the loader --------------------------------------------------------- */

/* A file's `defaults`; what it does not set falls back to the top file's,
 * then to the built-in values. */
typedef struct {
    bool has_timeout, has_retries, has_delay; /* which keys were set */
    int64_t timeout_ms;                       /* per attempt */
    int64_t retries;                          /* 0..10 */
    int64_t retry_delay_ms;                   /* between attempts */
} s_defaults_t;

/* One manifest file that has been read. */
typedef struct {
    char *name;            /* as given, or joined to the includer's directory: for messages */
    char *real;            /* realpath: how a file met twice is recognised */
    char *dir;             /* absolute directory of the file: ${manifest_dir} */
    mt5_yaml_doc_t *doc;   /* kept until the end so late errors can point at nodes */
    s_defaults_t defaults; /* this file's `defaults` */
} s_file_t;

typedef struct {
    char *name;  /* [A-Za-z_][A-Za-z0-9_]* */
    char *value; /* expanded when defined */
} s_var_t;

/* Where a phase or a check came from, for checks made after the merge. */
typedef struct {
    s_file_t *file;               /* the declaring file */
    const mt5_yaml_node_t *node;  /* phases: the mapping; checks: the `phase` value */
    const mt5_yaml_node_t *needs; /* checks: the `needs` value, or NULL */
} s_where_t;

typedef struct {
    const mt5_manifest_options *opt; /* the caller's */
    char root[PATH_MAX];             /* realpath of options->root: ${root} */
    char bin_dir[PATH_MAX];          /* ${bin_dir}; "" when unknown */
    mt5_manifest_t *m;               /* being built */
    s_where_t *check_at;             /* parallel to m->checks */
    s_where_t *phase_at;             /* parallel to m->phases */
    size_t cap_checks, cap_check_at; /* allocated entries of m->checks, check_at */
    size_t cap_phases, cap_phase_at; /* allocated entries of m->phases, phase_at */
    s_var_t *vars;                   /* manifest variables, first definition wins */
    size_t n_vars, cap_vars;
    s_file_t **files; /* every file read, in read order; owned */
    size_t n_files, cap_files;
    s_file_t *chain[S_MAX_INCLUDE_DEPTH]; /* the include chain being read, top first */
    size_t depth;                         /* entries used in chain */
    s_file_t *cur;                        /* the file being read: errors name it */
    mt5_sha256_ctx sha;                   /* over every file's bytes, in read order */
} s_loader_t;

/* ---- errors ------------------------------------------------------------- */

/* Report a problem at `node` of the current file as one line
 * "<file>:<line>:<column>: <message>". Control characters from the
 * manifest are escaped so the detail stays on one line. */
static int s_vfail(s_loader_t *L, int code, const mt5_yaml_node_t *node, const char *fmt,
                   va_list ap) __attribute__((format(printf, 4, 0)));
static int s_vfail(s_loader_t *L, int code, const mt5_yaml_node_t *node, const char *fmt,
                   va_list ap)
{
    char msg[512], line[512];
    int w = snprintf(msg, sizeof msg, "%s:%d:%d: ", L->cur ? L->cur->name : "?",
                     node ? mt5_yaml_line(node) : 1, node ? mt5_yaml_column(node) : 1);
    if (w < 0 || (size_t)w >= sizeof msg)
        w = (int)sizeof msg - 1;
    vsnprintf(msg + w, sizeof msg - (size_t)w, fmt, ap);
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)msg; *p && o + 5 < sizeof line; p++) {
        if (*p < 0x20 || *p == 0x7F)
            o += (size_t)snprintf(line + o, sizeof line - o, "\\x%02X", *p);
        else
            line[o++] = (char)*p;
    }
    line[o] = '\0';
    return mt5_error_set(code, "%s", line);
}

static int s_fail(s_loader_t *L, const mt5_yaml_node_t *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int s_fail(s_loader_t *L, const mt5_yaml_node_t *node, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = s_vfail(L, MT5_EPARSE, node, fmt, ap);
    va_end(ap);
    return rc;
}

static int s_fail_code(s_loader_t *L, int code, const mt5_yaml_node_t *node, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int s_fail_code(s_loader_t *L, int code, const mt5_yaml_node_t *node, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = s_vfail(L, code, node, fmt, ap);
    va_end(ap);
    return rc;
}

static int s_nomem(void)
{
    return mt5_error_set(MT5_ENOMEM, "manifest: out of memory");
}

/* "expected <type>, found <what the node is>", at the node. `text` is the
 * expanded value when there is one; `quoted_matters` adds "(quoted)" for
 * types that take plain scalars only (integers, booleans). */
static int s_type_error(s_loader_t *L, const mt5_yaml_node_t *node, const char *what,
                        const char *type, const char *text, bool quoted_matters)
{
    mt5_yaml_kind kind = mt5_yaml_kind_of(node);
    if (kind == MT5_YAML_MAP)
        return s_fail(L, node, "%s: expected %s, found a mapping", what, type);
    if (kind == MT5_YAML_SEQ)
        return s_fail(L, node, "%s: expected %s, found a list", what, type);
    if (!text)
        text = mt5_yaml_scalar(node);
    if (!text || (!*text && mt5_yaml_plain(node)))
        return s_fail(L, node, "%s: expected %s, found nothing", what, type);
    return s_fail(L, node, "%s: expected %s, found '%s'%s", what, type, text,
                  quoted_matters && !mt5_yaml_plain(node) ? " (quoted)" : "");
}

/* ---- small helpers ------------------------------------------------------ */

static char *s_dup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static bool s_in(const char *const *list, const char *name)
{
    for (; list && *list; list++)
        if (strcmp(*list, name) == 0)
            return true;
    return false;
}

static bool s_id_valid(const char *s)
{
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
        return false;
    for (s++; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '.' || *s == '_' || *s == '-'))
            return false;
    return true;
}

static bool s_var_char(char c, bool first)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
           (!first && c >= '0' && c <= '9');
}

static bool s_var_valid(const char *s, size_t n)
{
    if (n == 0 || n > S_MAX_NAME)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!s_var_char(s[i], i == 0))
            return false;
    return true;
}

static int s_strv_push(mt5_strv_t *v, char *item)
{
    char **items = realloc(v->items, (v->count + 1) * sizeof *items);
    if (!items) {
        free(item);
        return s_nomem();
    }
    items[v->count++] = item;
    v->items = items;
    return MT5_OK;
}

/* Make room for item number n of an array of `size`-byte items whose
 * address is `array` (a T ** passed as void *) and capacity *cap,
 * doubling it when full. The array pointer is read and written with
 * memcpy, so any T works without a cast through void **. */
static int s_grow(void *array, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return MT5_OK;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *old = NULL;
    memcpy(&old, array, sizeof old);
    void *p = realloc(old, ncap * size);
    if (!p)
        return s_nomem();
    memcpy(array, &p, sizeof p);
    *cap = ncap;
    return MT5_OK;
}

/* Add secret `s` (owned) to the manifest's list. Secrets are zeroed
 * before they are freed, on failure too. */
static int s_secret_push(s_loader_t *L, char *s)
{
    mt5_strv_t *v = &L->m->secrets;
    char **items = realloc(v->items, (v->count + 1) * sizeof *items);
    if (!items) {
        mt5_secure_zero(s, strlen(s));
        free(s);
        return s_nomem();
    }
    items[v->count++] = s;
    v->items = items;
    return MT5_OK;
}

/* Every key of `map` must be in `keys` or `more` (may be NULL). The
 * message reads "unknown <prefix>key '<k>'<suffix>". */
static int s_known_keys(s_loader_t *L, const mt5_yaml_node_t *map, const char *const *keys,
                        const char *const *more, const char *prefix, const char *suffix)
{
    for (size_t i = 0; i < mt5_yaml_size(map); i++) {
        const mt5_yaml_node_t *key = mt5_yaml_key(map, i);
        const char *name = mt5_yaml_scalar(key);
        if (!s_in(keys, name) && !s_in(more, name))
            return s_fail(L, key, "unknown %skey '%s'%s", prefix, name, suffix);
    }
    return MT5_OK;
}

/* The value of a required key, or an error at the mapping. */
static int s_need(s_loader_t *L, const mt5_yaml_node_t **out, const mt5_yaml_node_t *map,
                  const char *key, const char *where)
{
    const mt5_yaml_node_t *v = mt5_yaml_get(map, key);
    if (!v)
        return s_fail(L, map, "missing key '%s'%s", key, where);
    *out = v;
    return MT5_OK;
}

/* ---- variables ---------------------------------------------------------- */

/* A growing string with the expansion limit. */
typedef struct {
    char *p;
    size_t len, cap;
} s_buf_t;

static int s_buf_add(s_loader_t *L, s_buf_t *b, const char *s, size_t n,
                     const mt5_yaml_node_t *node)
{
    if (b->len + n > S_MAX_EXPANSION)
        return s_fail_code(L, MT5_ETOOLARGE, node, "the value expands to more than %d bytes",
                           S_MAX_EXPANSION);
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p)
            return s_nomem();
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return MT5_OK;
}

/* The value of variable `name` (n bytes), or NULL when it is not set.
 * Order: options->vars (the last one given wins), the manifest's vars,
 * the built-ins, the environment. Borrowed. */
static const char *s_lookup(s_loader_t *L, const char *name, size_t n)
{
    for (size_t i = L->opt->n_vars; i-- > 0;) {
        const char *v = L->opt->vars[i];
        if (strncmp(v, name, n) == 0 && v[n] == '=')
            return v + n + 1;
    }
    for (size_t i = 0; i < L->n_vars; i++)
        if (strlen(L->vars[i].name) == n && memcmp(L->vars[i].name, name, n) == 0)
            return L->vars[i].value;
    char key[S_MAX_NAME + 1];
    memcpy(key, name, n); /* n <= S_MAX_NAME: s_expand_into checked */
    key[n] = '\0';
    if (strcmp(key, "root") == 0)
        return L->root;
    if (strcmp(key, "manifest_dir") == 0 && L->cur)
        return L->cur->dir;
    if (strcmp(key, "bin_dir") == 0 && L->bin_dir[0])
        return L->bin_dir;
    return getenv(key);
}

/* The index of the '}' closing a default that starts at s[i], skipping
 * nested ${...} and $$; len when there is none. */
static size_t s_close(const char *s, size_t i, size_t len)
{
    int level = 0;
    while (i < len) {
        if (s[i] == '$' && i + 1 < len && (s[i + 1] == '$' || s[i + 1] == '{')) {
            level += s[i + 1] == '{';
            i += 2;
        } else if (s[i] == '}') {
            if (level == 0)
                return i;
            level--;
            i++;
        } else {
            i++;
        }
    }
    return len;
}

/* Expand s[0..len) into b: ${name}, ${name:-default} and $$. A '$' that
 * starts neither stays as it is, so a pattern's "end$" needs no escape. */
static int s_expand_into(s_loader_t *L, s_buf_t *b, const char *s, size_t len,
                         const mt5_yaml_node_t *node, int depth)
{
    int rc = MT5_OK;
    size_t i = 0;
    while (rc == MT5_OK && i < len) {
        if (s[i] != '$' || i + 1 >= len || (s[i + 1] != '$' && s[i + 1] != '{')) {
            size_t j = i + 1;
            while (j < len && s[j] != '$')
                j++;
            rc = s_buf_add(L, b, s + i, j - i, node);
            i = j;
            continue;
        }
        if (s[i + 1] == '$') {
            rc = s_buf_add(L, b, "$", 1, node);
            i += 2;
            continue;
        }
        size_t name = i + 2, j = name;
        while (j < len && s_var_char(s[j], j == name))
            j++;
        if (j == name)
            return s_fail(L, node, "expected a variable name after '${'");
        if (j - name > S_MAX_NAME)
            return s_fail(L, node, "variable name '%.64s...' longer than %d characters", s + name,
                          S_MAX_NAME);
        int n = (int)(j - name); /* for messages */
        size_t end = j, dflt = 0;
        bool has_default = false;
        if (j + 1 < len && s[j] == ':' && s[j + 1] == '-') {
            has_default = true;
            dflt = j + 2;
            end = s_close(s, dflt, len);
        }
        if (end >= len)
            return s_fail(L, node, "unterminated '${%.*s'", n, s + name);
        if (s[end] != '}')
            return s_fail(L, node, "expected '}' or ':-' after '${%.*s'", n, s + name);
        const char *value = s_lookup(L, s + name, j - name);
        if (has_default && (!value || !*value)) {
            if (depth >= S_MAX_NESTING)
                return s_fail(L, node, "variables nested deeper than %d", S_MAX_NESTING);
            rc = s_expand_into(L, b, s + dflt, end - dflt, node, depth + 1);
        } else if (!value) {
            return s_fail(L, node, "undefined variable '%.*s'", n, s + name);
        } else {
            rc = s_buf_add(L, b, value, strlen(value), node);
        }
        i = end + 1;
    }
    return rc;
}

/* ---- typed reads -------------------------------------------------------- */

/* The text of scalar `node` after expansion; caller owns *out. A plain
 * empty value ("key:") is "nothing", refused unless allow_empty. */
static int s_scalar(s_loader_t *L, char **out, const mt5_yaml_node_t *node, const char *what,
                    const char *type, bool allow_empty)
{
    const char *text = mt5_yaml_scalar(node);
    if (!text || (!allow_empty && !*text && mt5_yaml_plain(node)))
        return s_type_error(L, node, what, type, NULL, false);
    s_buf_t b = {NULL, 0, 0};
    int rc = s_buf_add(L, &b, "", 0, node);
    if (rc == MT5_OK)
        rc = s_expand_into(L, &b, text, strlen(text), node, 0);
    if (rc != MT5_OK) {
        free(b.p);
        return rc;
    }
    *out = b.p;
    return MT5_OK;
}

/* Any string (may expand to ""). */
static int s_text(s_loader_t *L, char **out, const mt5_yaml_node_t *node, const char *what)
{
    return s_scalar(L, out, node, what, "a string", false);
}

/* A non-empty string; one line when `one_line`. */
static int s_word(s_loader_t *L, char **out, const mt5_yaml_node_t *node, const char *what,
                  bool one_line)
{
    char *s = NULL;
    int rc = s_text(L, &s, node, what);
    if (rc != MT5_OK)
        return rc;
    if (!*s)
        rc = s_fail(L, node, "%s: must not be empty", what);
    else if (one_line && strpbrk(s, "\r\n"))
        rc = s_fail(L, node, "%s: must be one line", what);
    if (rc != MT5_OK) {
        free(s);
        return rc;
    }
    *out = s;
    return MT5_OK;
}

/* A gate, phase or check id. */
static int s_id(s_loader_t *L, char **out, const mt5_yaml_node_t *node, const char *what)
{
    char *s = NULL;
    int rc = s_text(L, &s, node, what);
    if (rc != MT5_OK)
        return rc;
    if (!s_id_valid(s)) {
        rc = s_fail(L, node, "%s: '%s' is not a valid id (" S_ID_RULE ")", what, s);
        free(s);
        return rc;
    }
    *out = s;
    return MT5_OK;
}

/* A plain decimal integer in [min, max]. */
static int s_int(s_loader_t *L, int64_t *out, const mt5_yaml_node_t *node, const char *what,
                 int64_t min, int64_t max)
{
    char type[96];
    if (max == INT64_MAX)
        snprintf(type, sizeof type, "an integer >= %lld", (long long)min);
    else
        snprintf(type, sizeof type, "an integer from %lld to %lld", (long long)min, (long long)max);
    char *s = NULL;
    int rc = s_scalar(L, &s, node, what, type, false);
    if (rc != MT5_OK)
        return rc;
    int64_t v = 0;
    if (!mt5_yaml_plain(node) || mt5_num_int(&v, s, min, max) != MT5_OK)
        rc = s_type_error(L, node, what, type, s, true);
    free(s);
    if (rc == MT5_OK)
        *out = v;
    return rc;
}

/* true/false/yes/no/on/off (mt5_num_bool), plain, any case, read from
 * the expanded text. */
static int s_bool(s_loader_t *L, bool *out, const mt5_yaml_node_t *node, const char *what)
{
    char *s = NULL;
    int rc = s_scalar(L, &s, node, what, "true or false", false);
    if (rc != MT5_OK)
        return rc;
    bool v = false;
    if (!mt5_yaml_plain(node) || mt5_num_bool(&v, s) != MT5_OK)
        rc = s_type_error(L, node, what, "true or false", s, true);
    free(s);
    if (rc == MT5_OK)
        *out = v;
    return rc;
}

/* <digits><unit>, unit ms, s, m, h or d; at least min_ms. */
static int s_duration(s_loader_t *L, int64_t *out, const mt5_yaml_node_t *node, const char *what,
                      int64_t min_ms)
{
    static const struct {
        const char *unit;
        int64_t ms;
    } units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", S_DAY_MS}};
    char *s = NULL;
    int rc = s_scalar(L, &s, node, what, S_DURATION, false);
    if (rc != MT5_OK)
        return rc;
    size_t digits = strspn(s, "0123456789");
    int64_t n = 0, ms = -1;
    for (size_t i = 0; digits > 0 && digits <= 18 && i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(s + digits, units[i].unit) != 0)
            continue;
        char num[24];
        memcpy(num, s, digits);
        num[digits] = '\0';
        if (mt5_num_int(&n, num, 0, INT64_MAX / units[i].ms) == MT5_OK)
            ms = n * units[i].ms;
    }
    if (ms < 0)
        rc = s_type_error(L, node, what, S_DURATION, s, false);
    else if (ms < min_ms)
        rc = s_fail(L, node, "%s: must be at least %lldms, found '%s'", what, (long long)min_ms, s);
    free(s);
    if (rc == MT5_OK)
        *out = ms;
    return rc;
}

/* One of `names` (NULL-terminated); *out is its index. */
static int s_enum(s_loader_t *L, int *out, const mt5_yaml_node_t *node, const char *what,
                  const char *const *names, const char *choices)
{
    char *s = NULL;
    int rc = s_scalar(L, &s, node, what, choices, false);
    if (rc != MT5_OK)
        return rc;
    int v = -1;
    for (int i = 0; names[i]; i++)
        if (strcmp(s, names[i]) == 0)
            v = i;
    if (v < 0)
        rc = s_type_error(L, node, what, choices, s, false);
    free(s);
    if (rc == MT5_OK)
        *out = v;
    return rc;
}

/* A list of non-empty strings; a single string too when one_ok. Appends
 * to *out (the caller frees it on error). */
static int s_strv(s_loader_t *L, mt5_strv_t *out, const mt5_yaml_node_t *node, const char *what,
                  bool one_ok)
{
    if (one_ok && mt5_yaml_kind_of(node) == MT5_YAML_SCALAR) {
        char *s = NULL;
        int rc = s_word(L, &s, node, what, false);
        return rc == MT5_OK ? s_strv_push(out, s) : rc;
    }
    if (mt5_yaml_kind_of(node) != MT5_YAML_SEQ)
        return s_type_error(L, node, what,
                            one_ok ? "a string or a list of strings" : "a list of strings", NULL,
                            false);
    for (size_t i = 0; i < mt5_yaml_size(node); i++) {
        const mt5_yaml_node_t *item = mt5_yaml_item(node, i);
        if (mt5_yaml_kind_of(item) != MT5_YAML_SCALAR)
            return s_type_error(L, item, what, "a list of strings", NULL, false);
        char *s = NULL;
        int rc = s_word(L, &s, item, what, false);
        if (rc == MT5_OK)
            rc = s_strv_push(out, s);
        if (rc != MT5_OK)
            return rc;
    }
    return MT5_OK;
}

/* A one-line path relative to the root that stays inside it, lexically
 * and through symlinks: exactly mt5_check_resolve's verdict, whose detail
 * ("<path>: leaves the root", "<path>: absolute paths are not allowed")
 * becomes the message. A glob is resolved as it is written: the
 * directories that exist are resolved, the components from the first
 * missing one (normally the one holding * ? [) are judged lexically. On
 * MT5_OK *out is the path as written and, when abs is not NULL, *abs the
 * resolved absolute path; caller owns both. */
static int s_path(s_loader_t *L, char **out, char **abs, const mt5_yaml_node_t *node,
                  const char *what)
{
    char *s = NULL, *resolved = NULL;
    int rc = s_word(L, &s, node, what, true);
    if (rc != MT5_OK)
        return rc;
    rc = mt5_check_resolve(&resolved, L->root, s);
    if (rc != MT5_OK) {
        rc = rc == MT5_ENOMEM ? s_nomem() : s_fail(L, node, "%s: %s", what, mt5_error_detail());
        free(s);
        return rc;
    }
    if (abs)
        *abs = resolved;
    else
        free(resolved);
    *out = s;
    return MT5_OK;
}

/* `pattern` must compile as the runner will compile it. */
static int s_regex(s_loader_t *L, const mt5_yaml_node_t *node, const char *what,
                   const char *pattern)
{
    mt5_regex_t *re = NULL;
    int rc = mt5_regex_new(&re, pattern, MT5_REGEX_MULTILINE);
    mt5_regex_destroy(&re);
    if (rc == MT5_OK || rc == MT5_ENOMEM)
        return rc;
    return s_fail(L, node, "%s: '%s' does not compile: %s", what, pattern, mt5_error_detail());
}

/* A list of patterns, each compiled; appended to *out. */
static int s_patterns(s_loader_t *L, mt5_strv_t *out, const mt5_yaml_node_t *node, const char *what,
                      bool one)
{
    size_t n = one ? 1 : mt5_yaml_size(node);
    if (!one && mt5_yaml_kind_of(node) != MT5_YAML_SEQ)
        return s_type_error(L, node, what, "a list of strings", NULL, false);
    for (size_t i = 0; i < n; i++) {
        const mt5_yaml_node_t *item = one ? node : mt5_yaml_item(node, i);
        char *s = NULL;
        int rc = s_word(L, &s, item, what, false);
        if (rc == MT5_OK && (rc = s_regex(L, item, what, s)) != MT5_OK)
            free(s);
        else if (rc == MT5_OK)
            rc = s_strv_push(out, s);
        if (rc != MT5_OK)
            return rc;
    }
    return MT5_OK;
}

/* "<op> <rest>": op one of >= > <= < == !=, blanks around it optional.
 * *rest points into text, trailing blanks cut. MT5_EPARSE when malformed. */
static int s_cmp_split(mt5_cmp *op, char *text, char **rest)
{
    char *p = text + strspn(text, " \t");
    size_t n = strspn(p, "<>=!");
    char buf[3];
    if (n == 0 || n > 2)
        return MT5_EPARSE;
    memcpy(buf, p, n);
    buf[n] = '\0';
    if (mt5_cmp_parse(op, buf) != MT5_OK)
        return MT5_EPARSE;
    p += n;
    p += strspn(p, " \t");
    size_t len = strlen(p);
    while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
        p[--len] = '\0';
    if (len == 0)
        return MT5_EPARSE;
    *rest = p;
    return MT5_OK;
}

#define S_CMP_OPS "op one of >=, >, <=, <, ==, !="

/* ---- file-level sections ------------------------------------------------ */

static int s_read_vars(s_loader_t *L, const mt5_yaml_node_t *map)
{
    if (mt5_yaml_kind_of(map) != MT5_YAML_MAP)
        return s_type_error(L, map, "vars", "a mapping of names to values", NULL, false);
    for (size_t i = 0; i < mt5_yaml_size(map); i++) {
        const mt5_yaml_node_t *key = mt5_yaml_key(map, i), *val = mt5_yaml_value(map, i);
        const char *name = mt5_yaml_scalar(key);
        if (!s_var_valid(name, strlen(name)))
            return s_fail(L, key, "'%s' is not a valid variable name (" S_VAR_RULE ")", name);
        if (mt5_yaml_kind_of(val) != MT5_YAML_SCALAR)
            return s_type_error(L, val, name, "a string", NULL, false);
        /* The first definition wins: an includer's vars are read before
         * its includes, so its definitions are already here. */
        bool known = false;
        for (size_t j = 0; j < L->n_vars && !known; j++)
            known = strcmp(L->vars[j].name, name) == 0;
        if (known)
            continue;
        char *value = NULL;
        int rc = s_scalar(L, &value, val, name, "a string", true);
        if (rc != MT5_OK)
            return rc;
        char *dup = s_dup(name);
        rc = dup ? s_grow(&L->vars, &L->cap_vars, L->n_vars, sizeof *L->vars) : s_nomem();
        if (rc != MT5_OK) {
            free(dup);
            free(value);
            return rc;
        }
        L->vars[L->n_vars].name = dup;
        L->vars[L->n_vars++].value = value;
    }
    return MT5_OK;
}

static int s_read_defaults(s_loader_t *L, s_defaults_t *d, const mt5_yaml_node_t *map)
{
    if (mt5_yaml_kind_of(map) != MT5_YAML_MAP)
        return s_type_error(L, map, "defaults", "a mapping", NULL, false);
    int rc = s_known_keys(L, map, s_defaults_keys, NULL, "", " in defaults");
    const mt5_yaml_node_t *v;
    if (rc == MT5_OK && (v = mt5_yaml_get(map, "timeout")) &&
        (rc = s_duration(L, &d->timeout_ms, v, "timeout", 1)) == MT5_OK)
        d->has_timeout = true;
    if (rc == MT5_OK && (v = mt5_yaml_get(map, "retries")) &&
        (rc = s_int(L, &d->retries, v, "retries", 0, 10)) == MT5_OK)
        d->has_retries = true;
    if (rc == MT5_OK && (v = mt5_yaml_get(map, "retry_delay")) &&
        (rc = s_duration(L, &d->retry_delay_ms, v, "retry_delay", 0)) == MT5_OK)
        d->has_delay = true;
    return rc;
}

static int s_load_file(s_loader_t *L, const char *name, const mt5_yaml_node_t *from);

/* `path` relative to the directory of the file being read (as named). */
static int s_read_includes(s_loader_t *L, const mt5_yaml_node_t *seq)
{
    if (mt5_yaml_kind_of(seq) != MT5_YAML_SEQ)
        return s_type_error(L, seq, "include", "a list of strings", NULL, false);
    for (size_t i = 0; i < mt5_yaml_size(seq); i++) {
        const mt5_yaml_node_t *item = mt5_yaml_item(seq, i);
        char *rel = NULL;
        int rc = s_word(L, &rel, item, "include", true);
        if (rc != MT5_OK)
            return rc;
        const char *slash = strrchr(L->cur->name, '/');
        size_t dirlen = rel[0] == '/' || !slash ? 0 : (size_t)(slash - L->cur->name) + 1;
        size_t rlen = strlen(rel);
        char *joined = malloc(dirlen + rlen + 1);
        if (!joined) {
            free(rel);
            return s_nomem();
        }
        memcpy(joined, L->cur->name, dirlen);
        memcpy(joined + dirlen, rel, rlen + 1);
        free(rel);
        rc = s_load_file(L, joined, item);
        free(joined);
        if (rc != MT5_OK)
            return rc;
    }
    return MT5_OK;
}

static int s_read_secrets(s_loader_t *L, const mt5_yaml_node_t *seq)
{
    mt5_strv_t names = {NULL, 0};
    int rc = s_strv(L, &names, seq, "secrets", false);
    for (size_t i = 0; rc == MT5_OK && i < names.count; i++) {
        const char *value = getenv(names.items[i]);
        if (!value || !*value)
            continue;
        char *dup = s_dup(value);
        rc = dup ? s_secret_push(L, dup) : s_nomem();
    }
    mt5_strv_free(&names);
    return rc;
}

/* The first 4 KiB of the existing secret file `abs` (resolved from the
 * entry at `node`), cut at a NUL and trailing blanks cut, go to the
 * manifest's secrets. A missing file holds no secret to hide; one that
 * is not a regular file or fails to read is an error, at the entry. The
 * buffer is ordinary heap, zeroed before it is freed; the manifest
 * zeroes its secrets when destroyed. */
static int s_secret_file(s_loader_t *L, const mt5_yaml_node_t *node, const char *abs)
{
    int fd = -1;
    int rc = mt5_file_open_regular(&fd, NULL, abs);
    if (rc == MT5_ENOTFOUND)
        return MT5_OK;
    if (rc != MT5_OK)
        return s_fail(L, node, "secret_files: %s", mt5_error_detail());
    char *buf = malloc(S_SECRET_FILE_MAX + 1);
    size_t len = 0;
    rc = buf ? MT5_OK : s_nomem();
    while (rc == MT5_OK && len < S_SECRET_FILE_MAX) {
        ssize_t n = read(fd, buf + len, S_SECRET_FILE_MAX - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            rc = s_fail(L, node, "secret_files: %s: %s", abs, strerror(errno));
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    if (rc != MT5_OK) {
        if (buf)
            mt5_secure_zero(buf, len);
        free(buf);
        return rc;
    }
    buf[len] = '\0';
    size_t used = strlen(buf); /* a NUL ends the text a redactor can search for */
    while (used > 0 && strchr(" \t\r\n\v\f", buf[used - 1]))
        used--;
    mt5_secure_zero(buf + used, len - used);
    if (used == 0) {
        free(buf);
        return MT5_OK;
    }
    return s_secret_push(L, buf); /* the buffer itself: no copy is left behind */
}

static int s_read_secret_files(s_loader_t *L, const mt5_yaml_node_t *seq)
{
    if (mt5_yaml_kind_of(seq) != MT5_YAML_SEQ)
        return s_type_error(L, seq, "secret_files", "a list of strings", NULL, false);
    for (size_t i = 0; i < mt5_yaml_size(seq); i++) {
        const mt5_yaml_node_t *item = mt5_yaml_item(seq, i);
        char *rel = NULL, *abs = NULL;
        int rc = s_path(L, &rel, &abs, item, "secret_files");
        if (rc == MT5_OK)
            rc = s_secret_file(L, item, abs);
        free(rel);
        free(abs);
        if (rc != MT5_OK)
            return rc;
    }
    return MT5_OK;
}

static int s_read_phase(s_loader_t *L, const mt5_yaml_node_t *map)
{
    if (mt5_yaml_kind_of(map) != MT5_YAML_MAP)
        return s_type_error(L, map, "phases", "a mapping {id, title}", NULL, false);
    const mt5_yaml_node_t *v = NULL;
    int rc = s_known_keys(L, map, s_phase_keys, NULL, "", " in a phase");
    if (rc == MT5_OK)
        rc = s_need(L, &v, map, "id", " in a phase");
    mt5_phase_t p = {NULL, NULL};
    if (rc == MT5_OK)
        rc = s_id(L, &p.id, v, "id");
    mt5_manifest_t *m = L->m;
    for (size_t i = 0; rc == MT5_OK && i < m->n_phases; i++)
        if (strcmp(m->phases[i].id, p.id) == 0)
            rc = s_fail(L, v, "duplicate phase id '%s' (first at %s:%d:%d)", p.id,
                        L->phase_at[i].file->name, mt5_yaml_line(L->phase_at[i].node),
                        mt5_yaml_column(L->phase_at[i].node));
    if (rc == MT5_OK && (v = mt5_yaml_get(map, "title")))
        rc = s_word(L, &p.title, v, "title", true);
    if (rc == MT5_OK && !p.title && !(p.title = s_dup(p.id)))
        rc = s_nomem();
    if (rc == MT5_OK)
        rc = s_grow(&m->phases, &L->cap_phases, m->n_phases, sizeof *m->phases);
    if (rc == MT5_OK)
        rc = s_grow(&L->phase_at, &L->cap_phase_at, m->n_phases, sizeof *L->phase_at);
    if (rc != MT5_OK) {
        free(p.id);
        free(p.title);
        return rc;
    }
    L->phase_at[m->n_phases] = (s_where_t){L->cur, map, NULL};
    m->phases[m->n_phases++] = p;
    return MT5_OK;
}

/* ---- checks ------------------------------------------------------------- */

/* Shorthands for the kind readers: read key k of `map` if present. */
#define S_GET(k) (v = mt5_yaml_get(map, k))

static int s_kind_file(s_loader_t *L, mt5_check_t *c, const mt5_yaml_node_t *map, const char *where)
{
    mt5_check_file_t *f = &c->u.file;
    f->min_lines = f->max_lines = f->max_bytes = -1;
    const mt5_yaml_node_t *v = NULL;
    int rc = s_need(L, &v, map, "path", where);
    if (rc == MT5_OK)
        rc = s_path(L, &f->path, NULL, v, "path");
    if (rc == MT5_OK && S_GET("non_empty"))
        rc = s_bool(L, &f->non_empty, v, "non_empty");
    if (rc == MT5_OK && S_GET("min_lines"))
        rc = s_int(L, &f->min_lines, v, "min_lines", 0, INT64_MAX);
    if (rc == MT5_OK && S_GET("max_lines"))
        rc = s_int(L, &f->max_lines, v, "max_lines", 0, INT64_MAX);
    if (rc == MT5_OK && v && f->min_lines > f->max_lines && f->max_lines >= 0)
        rc = s_fail(L, v, "max_lines: %lld is less than min_lines (%lld)", (long long)f->max_lines,
                    (long long)f->min_lines);
    if (rc == MT5_OK && S_GET("max_bytes"))
        rc = s_int(L, &f->max_bytes, v, "max_bytes", 0, INT64_MAX);
    if (rc == MT5_OK && S_GET("sha256") &&
        (rc = s_word(L, &f->sha256, v, "sha256", true)) == MT5_OK) {
        if (strlen(f->sha256) != 64 || strspn(f->sha256, "0123456789abcdefABCDEF") != 64)
            return s_type_error(L, v, "sha256", "64 hex digits", f->sha256, false);
        for (char *p = f->sha256; *p; p++)
            if (*p >= 'A' && *p <= 'F')
                *p = (char)(*p - 'A' + 'a');
    }
    return rc;
}

static int s_kind_contains(s_loader_t *L, mt5_check_t *c, const mt5_yaml_node_t *map,
                           const char *where)
{
    mt5_check_contains_t *k = &c->u.contains;
    k->min_count = 1;
    k->min_files = 1;
    const mt5_yaml_node_t *v = NULL;
    int rc = s_need(L, &v, map, "path", where);
    if (rc == MT5_OK)
        rc = s_path(L, &k->path, NULL, v, "path");
    if (rc == MT5_OK && S_GET("patterns"))
        rc = s_patterns(L, &k->patterns, v, "patterns", false);
    if (rc == MT5_OK && S_GET("pattern"))
        rc = s_patterns(L, &k->patterns, v, "pattern", true);
    if (rc == MT5_OK && S_GET("absent"))
        rc = s_patterns(L, &k->absent, v, "absent", false);
    if (rc == MT5_OK && k->patterns.count == 0 && k->absent.count == 0)
        rc = s_fail(L, map, "a contains check needs 'patterns', 'pattern' or 'absent'%s", where);
    if (rc == MT5_OK && S_GET("min_count"))
        rc = s_int(L, &k->min_count, v, "min_count", 1, INT64_MAX);
    if (rc == MT5_OK && S_GET("min_files"))
        rc = s_int(L, &k->min_files, v, "min_files", 0, INT64_MAX);
    if (rc == MT5_OK && S_GET("ignore_case"))
        rc = s_bool(L, &k->ignore_case, v, "ignore_case");
    return rc;
}

static int s_kind_sections(s_loader_t *L, mt5_check_t *c, const mt5_yaml_node_t *map,
                           const char *where)
{
    mt5_check_sections_t *k = &c->u.sections;
    k->min_sections = -1;
    const mt5_yaml_node_t *v = NULL;
    int64_t level = 0;
    int rc = s_need(L, &v, map, "path", where);
    if (rc == MT5_OK)
        rc = s_path(L, &k->path, NULL, v, "path");
    if (rc == MT5_OK && S_GET("headings"))
        rc = s_strv(L, &k->headings, v, "headings", false);
    if (rc == MT5_OK && S_GET("min_sections"))
        rc = s_int(L, &k->min_sections, v, "min_sections", 0, INT64_MAX);
    if (rc == MT5_OK && S_GET("level"))
        rc = s_int(L, &level, v, "level", 0, 6);
    k->level = (int)level;
    if (rc == MT5_OK && k->headings.count == 0 && k->min_sections < 0)
        rc = s_fail(L, map, "a sections check needs 'headings' or 'min_sections'%s", where);
    return rc;
}

static int s_kind_log(s_loader_t *L, mt5_check_t *c, const mt5_yaml_node_t *map, const char *where)
{
    mt5_check_log_t *k = &c->u.log;
    k->max_age_ms = -1;
    k->min_count = 1;
    const mt5_yaml_node_t *v = NULL;
    int mode = MT5_LOG_RESULT, since = 0;
    int rc = s_need(L, &v, map, "path", where);
    if (rc == MT5_OK)
        rc = s_path(L, &k->path, NULL, v, "path");
    if (rc == MT5_OK && S_GET("mode"))
        rc = s_enum(L, &mode, v, "mode", s_log_modes, "result or token");
    k->mode = (mt5_log_mode)mode;
    if (rc == MT5_OK && S_GET("expect"))
        rc = s_word(L, &k->expect, v, "expect", true);
    if (rc == MT5_OK && S_GET("max_age")) {
        if (k->mode != MT5_LOG_RESULT)
            return s_fail(L, v, "max_age applies to mode: result only");
        rc = s_duration(L, &k->max_age_ms, v, "max_age", 0);
    }
    if (rc == MT5_OK && S_GET("min_count")) {
        if (k->mode != MT5_LOG_TOKEN)
            return s_fail(L, v, "min_count applies to mode: token only");
        rc = s_int(L, &k->min_count, v, "min_count", 1, INT64_MAX);
    }
    if (rc == MT5_OK && S_GET("since"))
        rc = s_enum(L, &since, v, "since", s_since, "run or all");
    k->since_run = since == 1;
    if (rc == MT5_OK && !k->expect && !(k->expect = s_dup("OK_FROM_MT5")))
        rc = s_nomem();
    return rc;
}

static int s_kind_handshake(s_loader_t *L, mt5_check_t *c, const mt5_yaml_node_t *map,
                            const char *where)
{
    mt5_check_handshake_t *k = &c->u.handshake;
    const mt5_yaml_node_t *v = NULL;
    int rc = s_need(L, &v, map, "endpoint", where);
    if (rc == MT5_OK)
        rc = s_word(L, &k->endpoint, v, "endpoint", true);
    if (rc == MT5_OK && mt5_sock_endpoint_check(k->endpoint) != MT5_OK)
        return s_fail(L, v, "endpoint: '%s': %s", k->endpoint, mt5_error_detail());
    if (rc == MT5_OK && strncmp(k->endpoint, "tcp://", 6) == 0) {
        /* A handshake connects: it needs a port after the host, and a
         * wildcard or zero port ("*", "0", "00") names no peer. */
        const char *colon = strrchr(k->endpoint + 6, ':'), *port = colon ? colon + 1 : "";
        int64_t n = 0;
        if (!colon || colon == k->endpoint + 6 || strspn(port, "0123456789") != strlen(port) ||
            mt5_num_int(&n, port, 1, 65535) != MT5_OK)
            return s_fail(L, v, "endpoint: '%s': a handshake connects, so the port must be 1-65535",
                          k->endpoint);
    }
    if (rc == MT5_OK && S_GET("message"))
        rc = s_word(L, &k->message, v, "message", false);
    if (rc == MT5_OK && S_GET("expect"))
        rc = s_word(L, &k->expect, v, "expect", false);
    if (rc == MT5_OK && S_GET("log"))
        rc = s_path(L, &k->log, NULL, v, "log");
    if (rc == MT5_OK && !k->message && !(k->message = s_dup("Hello")))
        rc = s_nomem();
    if (rc == MT5_OK && !k->expect && !(k->expect = s_dup("OK_FROM_MT5")))
        rc = s_nomem();
    return rc;
}

/* `env` of a command: NAME -> value, stored as "NAME=value". */
static int s_env(s_loader_t *L, mt5_strv_t *out, const mt5_yaml_node_t *map)
{
    if (mt5_yaml_kind_of(map) != MT5_YAML_MAP)
        return s_type_error(L, map, "env", "a mapping of NAME to value", NULL, false);
    for (size_t i = 0; i < mt5_yaml_size(map); i++) {
        const mt5_yaml_node_t *key = mt5_yaml_key(map, i), *val = mt5_yaml_value(map, i);
        const char *name = mt5_yaml_scalar(key);
        if (!s_var_valid(name, strlen(name)))
            return s_fail(L, key, "env: '%s' is not a valid variable name (" S_VAR_RULE ")", name);
        char *value = NULL;
        int rc = s_scalar(L, &value, val, name, "a string", true);
        if (rc != MT5_OK)
            return rc;
        size_t nlen = strlen(name), vlen = strlen(value);
        char *pair = malloc(nlen + vlen + 2);
        if (pair) {
            memcpy(pair, name, nlen);
            pair[nlen] = '=';
            memcpy(pair + nlen + 1, value, vlen + 1);
        }
        free(value);
        rc = pair ? s_strv_push(out, pair) : s_nomem();
        if (rc != MT5_OK)
            return rc;
    }
    return MT5_OK;
}

static int s_kind_command(s_loader_t *L, mt5_check_t *c, const mt5_yaml_node_t *map,
                          const char *where)
{
    mt5_check_command_t *k = &c->u.command;
    const mt5_yaml_node_t *v = NULL, *capture = NULL;
    int stream = 0;
    int rc = MT5_OK;
    if (S_GET("shell"))
        rc = s_bool(L, &k->shell, v, "shell");
    if (rc == MT5_OK)
        rc = s_need(L, &v, map, "argv", where);
    if (rc == MT5_OK && k->shell) {
        if (mt5_yaml_kind_of(v) != MT5_YAML_SCALAR)
            return s_type_error(L, v, "argv", "a single string with shell: true", NULL, false);
        rc = s_strv(L, &k->argv, v, "argv", true);
    } else if (rc == MT5_OK) {
        if (mt5_yaml_kind_of(v) != MT5_YAML_SEQ)
            return s_type_error(
                L, v, "argv", "a list of strings (or shell: true for a command line)", NULL, false);
        rc = s_strv(L, &k->argv, v, "argv", false);
        if (rc == MT5_OK && k->argv.count == 0)
            return s_fail(L, v, "argv: must not be empty");
    }
    if (rc == MT5_OK && S_GET("cwd"))
        rc = s_path(L, &k->cwd, NULL, v, "cwd");
    if (rc == MT5_OK && S_GET("env"))
        rc = s_env(L, &k->env, v);
    if (rc == MT5_OK && S_GET("exit")) {
        char *s = NULL;
        int64_t code = 0;
        const char *type = "an integer from 0 to 255 or 'any'";
        if ((rc = s_scalar(L, &s, v, "exit", type, false)) != MT5_OK)
            return rc;
        if (strcmp(s, "any") == 0)
            code = -1;
        else if (!mt5_yaml_plain(v) || mt5_num_int(&code, s, 0, 255) != MT5_OK)
            rc = s_type_error(L, v, "exit", type, s, true);
        free(s);
        k->expect_exit = (int)code;
    }
    if (rc == MT5_OK && (capture = mt5_yaml_get(map, "capture"))) {
        if ((rc = s_word(L, &k->capture, capture, "capture", false)) == MT5_OK)
            rc = s_regex(L, capture, "capture", k->capture);
    }
    if (rc == MT5_OK && S_GET("stream"))
        rc = s_enum(L, &stream, v, "stream", s_streams, "stdout, stderr or both");
    k->stream = (mt5_stream)stream;
    if (rc == MT5_OK && S_GET("capture_last"))
        rc = s_bool(L, &k->capture_last, v, "capture_last");
    if (rc == MT5_OK && S_GET("threshold")) {
        if (!capture)
            return s_fail(L, v, "threshold needs a capture");
        char *s = NULL, *num = NULL;
        const char *type = "'<op> <number>' (" S_CMP_OPS ")";
        if ((rc = s_text(L, &s, v, "threshold")) != MT5_OK)
            return rc;
        if (s_cmp_split(&k->op, s, &num) != MT5_OK ||
            mt5_num_double(&k->threshold, num, -1e308, 1e308) != MT5_OK)
            rc = s_type_error(L, v, "threshold", type, s, false);
        free(s);
    } else if (rc == MT5_OK && capture) {
        return s_fail(L, capture, "capture needs a threshold");
    }
    return rc;
}

static int s_kind_version(s_loader_t *L, mt5_check_t *c, const mt5_yaml_node_t *map,
                          const char *where)
{
    mt5_check_version_t *k = &c->u.version;
    const mt5_yaml_node_t *v = NULL, *argv = mt5_yaml_get(map, "argv");
    const mt5_yaml_node_t *pkg = mt5_yaml_get(map, "pkg_config");
    int rc = MT5_OK;
    if (argv && pkg)
        return s_fail(L, pkg, "a version check takes 'argv' or 'pkg_config', not both");
    if (!argv && !pkg)
        return s_fail(L, map, "a version check needs 'argv' or 'pkg_config'%s", where);
    if (argv) {
        rc = s_strv(L, &k->argv, argv, "argv", false);
        if (rc == MT5_OK && k->argv.count == 0)
            return s_fail(L, argv, "argv: must not be empty");
    } else {
        rc = s_word(L, &k->pkg_config, pkg, "pkg_config", true);
    }
    if (rc == MT5_OK && S_GET("capture")) {
        if ((rc = s_word(L, &k->capture, v, "capture", false)) == MT5_OK)
            rc = s_regex(L, v, "capture", k->capture);
    }
    if (rc == MT5_OK)
        rc = s_need(L, &v, map, "want", where);
    if (rc == MT5_OK) {
        char *s = NULL, *ver = NULL;
        int order = 0;
        if ((rc = s_text(L, &s, v, "want")) != MT5_OK)
            return rc;
        if (s_cmp_split(&k->op, s, &ver) != MT5_OK ||
            mt5_version_compare(&order, ver, ver) != MT5_OK)
            rc = s_type_error(L, v, "want", "'<op> <version>' (" S_CMP_OPS ")", s, false);
        else if (!(k->want = s_dup(ver)))
            rc = s_nomem();
        free(s);
    }
    return rc;
}

static int s_kind_port(s_loader_t *L, mt5_check_t *c, const mt5_yaml_node_t *map, const char *where)
{
    const mt5_yaml_node_t *v = NULL;
    int64_t port = 0;
    int rc = s_need(L, &v, map, "host", where);
    if (rc == MT5_OK)
        rc = s_word(L, &c->u.port.host, v, "host", true);
    if (rc == MT5_OK)
        rc = s_need(L, &v, map, "port", where);
    if (rc == MT5_OK)
        rc = s_int(L, &port, v, "port", 1, 65535);
    c->u.port.port = (int)port;
    return rc;
}

typedef int(s_kind_fn)(s_loader_t *, mt5_check_t *, const mt5_yaml_node_t *, const char *);

static s_kind_fn *const s_kinds[MT5_CHECK_KIND_COUNT] = {
    s_kind_file,      s_kind_contains, s_kind_sections, s_kind_log,
    s_kind_handshake, s_kind_command,  s_kind_version,  s_kind_port};

/* `waiver: {reason, expires}`: the waiver holds until the end of the
 * expiry day, UTC. */
static int s_waiver(s_loader_t *L, mt5_check_t *c, const mt5_yaml_node_t *map)
{
    if (mt5_yaml_kind_of(map) != MT5_YAML_MAP)
        return s_type_error(L, map, "waiver", "a mapping {reason, expires}", NULL, false);
    const mt5_yaml_node_t *v = NULL;
    int rc = s_known_keys(L, map, s_waiver_keys, NULL, "", " in a waiver");
    if (rc == MT5_OK)
        rc = s_need(L, &v, map, "reason", " in a waiver");
    if (rc == MT5_OK)
        rc = s_word(L, &c->waiver_reason, v, "reason", true);
    if (rc == MT5_OK)
        rc = s_need(L, &v, map, "expires", " in a waiver");
    if (rc == MT5_OK)
        rc = s_word(L, &c->waiver_expires, v, "expires", true);
    if (rc != MT5_OK)
        return rc;
    const char *d = c->waiver_expires;
    char iso[32];
    int64_t ms = 0;
    bool shape = strlen(d) == 10 && strspn(d, "0123456789") == 4 && d[4] == '-' &&
                 strspn(d + 5, "0123456789") == 2 && d[7] == '-' &&
                 strspn(d + 8, "0123456789") == 2;
    snprintf(iso, sizeof iso, "%.10sT00:00:00.000Z", d);
    if (!shape || mt5_clock_parse_iso(&ms, iso, strlen(iso)) != MT5_OK)
        return s_type_error(L, v, "expires", "a date YYYY-MM-DD", d, false);
    c->waiver_until_ms = ms + S_DAY_MS;
    return MT5_OK;
}

/* `skip: {when, reason}`: `when` holds when, expanded and trimmed, it is
 * not empty and not 0, false, no or off. */
static int s_skip(s_loader_t *L, mt5_check_t *c, const mt5_yaml_node_t *map)
{
    static const char *const falsy[] = {"0", "false", "no", "off"};
    if (mt5_yaml_kind_of(map) != MT5_YAML_MAP)
        return s_type_error(L, map, "skip", "a mapping {when, reason}", NULL, false);
    const mt5_yaml_node_t *v = NULL;
    char *when = NULL;
    int rc = s_known_keys(L, map, s_skip_keys, NULL, "", " in skip");
    if (rc == MT5_OK)
        rc = s_need(L, &v, map, "when", " in skip");
    if (rc == MT5_OK)
        rc = s_scalar(L, &when, v, "when", "a string", false);
    if (rc == MT5_OK)
        rc = s_need(L, &v, map, "reason", " in skip");
    if (rc == MT5_OK)
        rc = s_word(L, &c->skip_reason, v, "reason", true);
    if (rc != MT5_OK) {
        free(when);
        return rc;
    }
    char *w = when + strspn(when, " \t\r\n");
    size_t n = strlen(w);
    while (n > 0 && strchr(" \t\r\n", w[n - 1]))
        w[--n] = '\0';
    c->skip = n > 0;
    for (size_t i = 0; c->skip && i < sizeof falsy / sizeof falsy[0]; i++)
        if (strcasecmp(w, falsy[i]) == 0)
            c->skip = false;
    free(when);
    if (!c->skip) {
        free(c->skip_reason);
        c->skip_reason = NULL;
    }
    return MT5_OK;
}

static const mt5_check_t *s_find_check(const mt5_manifest_t *m, const char *id, size_t *index)
{
    for (size_t i = 0; i < m->n_checks; i++)
        if (strcmp(m->checks[i].id, id) == 0) {
            if (index)
                *index = i;
            return &m->checks[i];
        }
    return NULL;
}

/* The fields every kind shares. */
static int s_check_common(s_loader_t *L, mt5_check_t *c, const mt5_yaml_node_t *map,
                          const char *where)
{
    const s_defaults_t *own = &L->cur->defaults, *top = &L->chain[0]->defaults;
    const mt5_yaml_node_t *v = NULL;
    const mt5_check_t *first = NULL;
    int64_t retries = own->has_retries ? own->retries : top->has_retries ? top->retries : 0;
    c->timeout_ms = own->has_timeout   ? own->timeout_ms
                    : top->has_timeout ? top->timeout_ms
                                       : S_DEFAULT_TIMEOUT_MS;
    c->retry_delay_ms = own->has_delay   ? own->retry_delay_ms
                        : top->has_delay ? top->retry_delay_ms
                                         : S_DEFAULT_RETRY_DELAY_MS;
    int rc = s_need(L, &v, map, "id", where);
    if (rc == MT5_OK)
        rc = s_id(L, &c->id, v, "id");
    if (rc == MT5_OK && (first = s_find_check(L->m, c->id, NULL)))
        return s_fail(L, v, "duplicate check id '%s' (first at %s:%d:%d)", c->id, first->file,
                      first->line, first->column);
    if (rc == MT5_OK)
        rc = s_need(L, &v, map, "phase", where);
    if (rc == MT5_OK)
        rc = s_word(L, &c->phase, v, "phase", true);
    if (rc == MT5_OK)
        rc = s_need(L, &v, map, "description", where);
    if (rc == MT5_OK)
        rc = s_word(L, &c->description, v, "description", true);
    if (rc == MT5_OK && S_GET("fix"))
        rc = s_word(L, &c->fix, v, "fix", false);
    if (rc == MT5_OK && S_GET("timeout"))
        rc = s_duration(L, &c->timeout_ms, v, "timeout", 1);
    if (rc == MT5_OK && S_GET("retries"))
        rc = s_int(L, &retries, v, "retries", 0, 10);
    c->retries = (int)retries;
    if (rc == MT5_OK && S_GET("retry_delay"))
        rc = s_duration(L, &c->retry_delay_ms, v, "retry_delay", 0);
    if (rc == MT5_OK && S_GET("needs"))
        rc = s_strv(L, &c->needs, v, "needs", true);
    if (rc == MT5_OK && S_GET("waiver"))
        rc = s_waiver(L, c, v);
    if (rc == MT5_OK && S_GET("skip"))
        rc = s_skip(L, c, v);
    return rc;
}

static int s_read_check(s_loader_t *L, const mt5_yaml_node_t *map)
{
    if (mt5_yaml_kind_of(map) != MT5_YAML_MAP)
        return s_type_error(L, map, "checks", "a mapping (a check)", NULL, false);
    if (L->m->n_checks >= S_MAX_CHECKS)
        return s_fail_code(L, MT5_ETOOLARGE, map, "more than %d checks", S_MAX_CHECKS);
    mt5_check_t c;
    memset(&c, 0, sizeof c);
    char where[160] = " in a check";
    const mt5_yaml_node_t *v = NULL, *idnode = mt5_yaml_get(map, "id");
    if (mt5_yaml_scalar(idnode) && strlen(mt5_yaml_scalar(idnode)) < 100)
        snprintf(where, sizeof where, " in check '%s'", mt5_yaml_scalar(idnode));
    int rc = s_need(L, &v, map, "kind", where);
    char *kind = NULL;
    if (rc == MT5_OK)
        rc = s_word(L, &kind, v, "kind", true);
    if (rc == MT5_OK && mt5_check_kind_parse(&c.kind, kind) != MT5_OK)
        rc = s_fail(L, v,
                    "unknown kind '%s' (one of file, contains, sections, log, handshake, "
                    "command, version, port)",
                    kind);
    free(kind);
    if (rc != MT5_OK)
        return rc;
    char suffix[48];
    snprintf(suffix, sizeof suffix, " for a %s check", mt5_check_kind_name(c.kind));
    rc = s_known_keys(L, map, s_check_keys, s_kind_keys[c.kind], "", suffix);
    c.line = mt5_yaml_line(map);
    c.column = mt5_yaml_column(map);
    if (rc == MT5_OK && !(c.file = s_dup(L->cur->name)))
        rc = s_nomem();
    if (rc == MT5_OK)
        rc = s_check_common(L, &c, map, where);
    if (rc == MT5_OK)
        rc = s_kinds[c.kind](L, &c, map, where);
    mt5_manifest_t *m = L->m;
    if (rc == MT5_OK)
        rc = s_grow(&m->checks, &L->cap_checks, m->n_checks, sizeof *m->checks);
    if (rc == MT5_OK)
        rc = s_grow(&L->check_at, &L->cap_check_at, m->n_checks, sizeof *L->check_at);
    if (rc != MT5_OK) {
        mt5_check_free(&c);
        return rc;
    }
    L->check_at[m->n_checks] =
        (s_where_t){L->cur, mt5_yaml_get(map, "phase"), mt5_yaml_get(map, "needs")};
    m->checks[m->n_checks++] = c;
    return MT5_OK;
}

#undef S_GET

/* ---- files -------------------------------------------------------------- */

/* The bytes of a manifest file; caller owns *out. Any failure to open it
 * ("not a regular file" too) is MT5_EIO: the file cannot be read. */
static int s_read_bytes(char **out, size_t *len, const char *name)
{
    int fd = -1;
    if (mt5_file_open_regular(&fd, NULL, name) != MT5_OK)
        return MT5_EIO;
    int rc = mt5_file_read_all(out, len, fd, MT5_YAML_MAX_BYTES, 0);
    close(fd);
    if (rc != MT5_OK)
        return mt5_error_set(rc, "%s: %s", name, mt5_error_detail());
    return MT5_OK;
}

static void s_file_free(s_file_t *f)
{
    if (!f)
        return;
    free(f->name);
    free(f->real);
    free(f->dir);
    mt5_yaml_destroy(&f->doc);
    free(f);
}

/* Everything in one manifest file, in the order the format promises. */
static int s_read_manifest(s_loader_t *L, s_file_t *f, bool top)
{
    const mt5_yaml_node_t *root = mt5_yaml_root(f->doc), *v = NULL;
    if (!root)
        return s_fail(L, NULL, "the manifest is empty");
    if (mt5_yaml_kind_of(root) != MT5_YAML_MAP)
        return s_fail(L, root, "the top level must be a mapping (gate, title, phases, checks)");
    int rc = s_known_keys(L, root, s_top_keys, NULL, "top-level ", "");
    char *gate = NULL, *title = NULL;
    if (rc == MT5_OK && top)
        rc = s_need(L, &v, root, "gate", "");
    if (rc == MT5_OK && (v = mt5_yaml_get(root, "gate")))
        rc = s_id(L, &gate, v, "gate");
    if (rc == MT5_OK && top)
        rc = s_need(L, &v, root, "title", "");
    if (rc == MT5_OK && (v = mt5_yaml_get(root, "title")))
        rc = s_word(L, &title, v, "title", true);
    if (rc == MT5_OK && top) {
        L->m->id = gate;
        L->m->title = title;
    } else {
        free(gate);
        free(title);
    }
    if (rc == MT5_OK && (v = mt5_yaml_get(root, "vars")))
        rc = s_read_vars(L, v);
    if (rc == MT5_OK && (v = mt5_yaml_get(root, "defaults")))
        rc = s_read_defaults(L, &f->defaults, v);
    if (rc == MT5_OK && (v = mt5_yaml_get(root, "include")))
        rc = s_read_includes(L, v);
    if (rc == MT5_OK && (v = mt5_yaml_get(root, "secrets")))
        rc = s_read_secrets(L, v);
    if (rc == MT5_OK && (v = mt5_yaml_get(root, "secret_files")))
        rc = s_read_secret_files(L, v);
    if (rc == MT5_OK && (v = mt5_yaml_get(root, "phases"))) {
        if (mt5_yaml_kind_of(v) != MT5_YAML_SEQ)
            return s_type_error(L, v, "phases", "a list of phases", NULL, false);
        for (size_t i = 0; rc == MT5_OK && i < mt5_yaml_size(v); i++)
            rc = s_read_phase(L, mt5_yaml_item(v, i));
    }
    if (rc == MT5_OK && (v = mt5_yaml_get(root, "checks"))) {
        if (mt5_yaml_kind_of(v) != MT5_YAML_SEQ)
            return s_type_error(L, v, "checks", "a list of checks", NULL, false);
        for (size_t i = 0; rc == MT5_OK && i < mt5_yaml_size(v); i++)
            rc = s_read_check(L, mt5_yaml_item(v, i));
    }
    return rc;
}

/* Read the manifest file `name` (from = the include item naming it, NULL
 * for the top file). A file already read is not read again. */
static int s_load_file(s_loader_t *L, const char *name, const mt5_yaml_node_t *from)
{
    char real[PATH_MAX];
    if (!realpath(name, real)) {
        int saved = errno;
        if (!from)
            return mt5_error_set(MT5_EIO, "%s: %s", name, strerror(saved));
        return s_fail(L, from, "cannot include %s: %s", name, strerror(saved));
    }
    for (size_t i = 0; i < L->depth; i++) {
        if (strcmp(L->chain[i]->real, real) != 0)
            continue;
        char chain[512];
        size_t w = 0;
        for (size_t j = i; j < L->depth && w < sizeof chain; j++)
            w += (size_t)snprintf(chain + w, sizeof chain - w, "%s -> ", L->chain[j]->name);
        if (w < sizeof chain)
            snprintf(chain + w, sizeof chain - w, "%s", name);
        return s_fail(L, from, "include cycle: %s", chain);
    }
    for (size_t i = 0; i < L->n_files; i++)
        if (strcmp(L->files[i]->real, real) == 0)
            return MT5_OK; /* included twice (a diamond): one copy is enough */
    if (L->depth >= S_MAX_INCLUDE_DEPTH)
        return s_fail(L, from, "includes nested deeper than %d", S_MAX_INCLUDE_DEPTH);

    char *bytes = NULL;
    size_t len = 0;
    int rc = s_read_bytes(&bytes, &len, name);
    if (rc != MT5_OK)
        return from ? s_fail_code(L, rc == MT5_EIO ? MT5_EPARSE : rc, from, "cannot include %s",
                                  mt5_error_detail())
                    : rc;
    mt5_sha256_update(&L->sha, bytes, len);

    s_file_t *f = NULL;
    rc = s_grow(&L->files, &L->cap_files, L->n_files, sizeof *L->files);
    if (rc == MT5_OK && !(f = calloc(1, sizeof *f)))
        rc = s_nomem();
    if (rc != MT5_OK) {
        free(bytes);
        return rc;
    }
    L->files[L->n_files++] = f;
    char *slash = strrchr(real, '/');
    f->name = s_dup(name);
    f->real = s_dup(real);
    if (slash)
        *(slash == real ? slash + 1 : slash) = '\0';
    f->dir = s_dup(real);
    if (!f->name || !f->real || !f->dir) {
        free(bytes);
        return s_nomem();
    }
    s_file_t *prev = L->cur;
    L->cur = f;
    L->chain[L->depth++] = f;
    /* Parsed with its length: a NUL is refused at its position, so the
     * tree cannot end early while the hash covers every byte. */
    rc = mt5_yaml_load_bytes(&f->doc, bytes, len, name);
    free(bytes);
    if (rc == MT5_OK)
        rc = s_read_manifest(L, f, from == NULL);
    L->depth--;
    L->cur = prev;
    return rc;
}

/* Longest first, so that redacting "abcd" cannot leave the "ef" of an
 * "abcdef" that was not yet redacted; equal lengths in byte order, so the
 * order does not depend on the order of declaration. */
static int s_longest_first(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    size_t nx = strlen(x), ny = strlen(y);
    if (nx != ny)
        return nx > ny ? -1 : 1;
    return strcmp(x, y);
}

/* Secrets are ready to redact with, and redacted from every text the
 * loader expanded that a report prints: ${SECRET} in a description must
 * not show. */
static void s_redact_texts(mt5_manifest_t *m)
{
    const mt5_strv_t *secrets = &m->secrets;
    if (secrets->count > 1)
        qsort(secrets->items, secrets->count, sizeof *secrets->items, s_longest_first);
    mt5_redact(m->title, secrets);
    for (size_t i = 0; i < m->n_phases; i++)
        mt5_redact(m->phases[i].title, secrets);
    for (size_t i = 0; i < m->n_checks; i++) {
        mt5_check_t *c = &m->checks[i];
        mt5_redact(c->description, secrets);
        mt5_redact(c->fix, secrets);
        mt5_redact(c->skip_reason, secrets);
        mt5_redact(c->waiver_reason, secrets);
    }
}

/* Checks only the merged manifest can answer: at least one phase and one
 * check, every check's phase declared, every need an earlier check. Then
 * the secrets are sorted and redacted from what reports print. */
static int s_finish(s_loader_t *L)
{
    mt5_manifest_t *m = L->m;
    const mt5_yaml_node_t *root = mt5_yaml_root(L->files[0]->doc);
    L->cur = L->files[0];
    if (m->n_phases == 0)
        return s_fail(L, root, "no phases declared (a manifest needs at least one)");
    if (m->n_checks == 0)
        return s_fail(L, root, "no checks declared (a manifest needs at least one)");
    for (size_t i = 0; i < m->n_checks; i++) {
        const mt5_check_t *c = &m->checks[i];
        const s_where_t *at = &L->check_at[i];
        L->cur = at->file;
        if (mt5_manifest_phase_index(m, c->phase) < 0)
            return s_fail(L, at->node, "unknown phase '%s' (not declared in phases)", c->phase);
        for (size_t j = 0; j < c->needs.count; j++) {
            const char *need = c->needs.items[j];
            const mt5_yaml_node_t *node = mt5_yaml_kind_of(at->needs) == MT5_YAML_SEQ
                                              ? mt5_yaml_item(at->needs, j)
                                              : at->needs;
            size_t k = 0;
            const mt5_check_t *n = s_find_check(m, need, &k);
            if (!n)
                return s_fail(L, node, "needs '%s', which is not a check", need);
            if (k == i)
                return s_fail(L, node, "check '%s' needs itself", c->id);
            if (k > i)
                return s_fail(L, node,
                              "needs '%s', which is declared later (at %s:%d:%d); a check can "
                              "only need checks declared before it",
                              need, n->file, n->line, n->column);
            for (size_t p = 0; p < j; p++)
                if (strcmp(c->needs.items[p], need) == 0)
                    return s_fail(L, node, "needs '%s' twice", need);
        }
    }
    s_redact_texts(m);
    return MT5_OK;
}

/* ---- public ------------------------------------------------------------- */

void mt5_manifest_destroy(mt5_manifest_t **self)
{
    if (!self || !*self)
        return;
    mt5_manifest_t *m = *self;
    free(m->id);
    free(m->title);
    free(m->path);
    for (size_t i = 0; i < m->n_phases; i++) {
        free(m->phases[i].id);
        free(m->phases[i].title);
    }
    free(m->phases);
    for (size_t i = 0; i < m->n_checks; i++)
        mt5_check_free(&m->checks[i]);
    free(m->checks);
    for (size_t i = 0; i < m->secrets.count; i++)
        mt5_secure_zero(m->secrets.items[i], strlen(m->secrets.items[i]));
    mt5_strv_free(&m->secrets);
    free(m);
    *self = NULL;
}

const mt5_check_t *mt5_manifest_find(const mt5_manifest_t *self, const char *id)
{
    return self && id ? s_find_check(self, id, NULL) : NULL;
}

int mt5_manifest_phase_index(const mt5_manifest_t *self, const char *phase)
{
    for (size_t i = 0; self && phase && i < self->n_phases && i < INT_MAX; i++)
        if (strcmp(self->phases[i].id, phase) == 0)
            return (int)i;
    return -1;
}

/* options->vars entries must read "name=value". */
static int s_check_options(const mt5_manifest_options *opt)
{
    if (opt->n_vars && !opt->vars)
        return mt5_error_set(MT5_EINVAL, "manifest: n_vars without vars");
    for (size_t i = 0; i < opt->n_vars; i++) {
        const char *v = opt->vars[i];
        const char *eq = v ? strchr(v, '=') : NULL;
        if (!eq || !s_var_valid(v, (size_t)(eq - v)))
            return mt5_error_set(MT5_EINVAL,
                                 "--var '%s': expected name=value with a name of " S_VAR_RULE,
                                 v ? v : "");
    }
    return MT5_OK;
}

static void s_loader_free(s_loader_t *L)
{
    for (size_t i = 0; i < L->n_files; i++)
        s_file_free(L->files[i]);
    free(L->files);
    for (size_t i = 0; i < L->n_vars; i++) {
        free(L->vars[i].name);
        free(L->vars[i].value);
    }
    free(L->vars);
    free(L->check_at);
    free(L->phase_at);
    free(L);
}

int mt5_manifest_load(mt5_manifest_t **out, const char *path, const mt5_manifest_options *options)
{
    if (!out || !path || !*path || !options || !options->root)
        return mt5_error_set(MT5_EINVAL, "manifest: no output, path, options or root");
    if (options->version != MT5_MANIFEST_OPTIONS_VERSION)
        return mt5_error_set(MT5_EINVAL, "manifest: options version %d, expected %d",
                             options->version, MT5_MANIFEST_OPTIONS_VERSION);
    int rc = s_check_options(options);
    if (rc != MT5_OK)
        return rc;
    s_loader_t *L = calloc(1, sizeof *L);
    mt5_manifest_t *m = calloc(1, sizeof *m);
    if (!L || !m) {
        free(L);
        free(m);
        return s_nomem();
    }
    L->opt = options;
    L->m = m;
    struct stat st;
    if (!realpath(options->root, L->root)) {
        rc = mt5_error_set(MT5_EIO, "%s: %s", options->root, strerror(errno));
        goto done;
    }
    if (stat(L->root, &st) != 0 || !S_ISDIR(st.st_mode)) {
        rc = mt5_error_set(MT5_EINVAL, "%s: the root is not a directory", options->root);
        goto done;
    }
    if (options->bin_dir) {
        snprintf(L->bin_dir, sizeof L->bin_dir, "%s", options->bin_dir);
    } else {
        ssize_t n = readlink("/proc/self/exe", L->bin_dir, sizeof L->bin_dir - 1);
        L->bin_dir[n > 0 ? n : 0] = '\0';
        char *slash = strrchr(L->bin_dir, '/');
        if (slash)
            *(slash == L->bin_dir ? slash + 1 : slash) = '\0';
    }
    if (!(m->path = s_dup(path))) {
        rc = s_nomem();
        goto done;
    }
    mt5_sha256_init(&L->sha);
    rc = s_load_file(L, path, NULL);
    if (rc == MT5_OK)
        rc = s_finish(L);
    if (rc == MT5_OK) {
        uint8_t digest[MT5_SHA256_LEN];
        mt5_sha256_final(&L->sha, digest);
        mt5_hex_encode(m->sha256, sizeof m->sha256, digest, sizeof digest);
        *out = m;
        m = NULL;
        mt5_error_clear();
    }
done:
    s_loader_free(L);
    mt5_manifest_destroy(&m);
    return rc;
}
