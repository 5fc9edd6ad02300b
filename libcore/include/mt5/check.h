/*  mt5/check.h - one Gate-1 check: what it asks, and what it found.
 *
 *  A manifest (mt5/manifest.h) is a list of checks. Each check has the
 *  fields every kind shares (id, phase, timeout, waiver, needs...) and the
 *  parameters of its kind in a union. mt5_check_run() runs one attempt of
 *  one check against a root directory and says pass, fail or error, with a
 *  one-sentence message and the evidence behind it. Scheduling, retries,
 *  waivers, skips and needs belong to the runner (mt5/gate.h), not here.
 *
 *  Paths in checks are relative to the root. A check never reads outside
 *  the root: every path is resolved (symlinks included) before it is
 *  opened, and one that leaves the root is an error.
 */
#ifndef MT5_CHECK_H
#define MT5_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    MT5_CHECK_FILE = 0,  /* a deliverable: exists, size, lines, sha256 */
    MT5_CHECK_CONTAINS,  /* PCRE2 patterns present (and absent) in a file or glob */
    MT5_CHECK_SECTIONS,  /* a Markdown document's headings */
    MT5_CHECK_LOG,       /* VERIFY_LOG: last result line, or a plain token */
    MT5_CHECK_HANDSHAKE, /* Hello -> OK_FROM_MT5 over ZeroMQ */
    MT5_CHECK_COMMAND,   /* run an argv, exit code, a number held to a threshold */
    MT5_CHECK_VERSION,   /* a version from a command or pkg-config, compared */
    MT5_CHECK_PORT,      /* a TCP connect within the timeout */
    MT5_CHECK_KIND_COUNT
} mt5_check_kind;

/* "file", "contains", ...; NULL for an out-of-range kind. */
const char *mt5_check_kind_name(mt5_check_kind kind);
/* MT5_OK and *out, or MT5_ENOTFOUND for a name that is no kind. */
int mt5_check_kind_parse(mt5_check_kind *out, const char *name);

typedef enum {
    MT5_STATUS_PASS = 0,
    MT5_STATUS_FAIL,   /* the check ran and its condition does not hold */
    MT5_STATUS_ERROR,  /* the check could not decide: timeout, I/O, bad pattern */
    MT5_STATUS_SKIP,   /* not run: skip condition, unmet need, --fail-fast */
    MT5_STATUS_WAIVED, /* failed or errored under a waiver that has not expired */
    MT5_STATUS_COUNT
} mt5_status;

/* "pass", "fail", "error", "skip", "waived". */
const char *mt5_status_name(mt5_status status);

/* Comparison operators of command thresholds and versions. */
typedef enum { MT5_CMP_GE = 0, MT5_CMP_GT, MT5_CMP_LE, MT5_CMP_LT, MT5_CMP_EQ, MT5_CMP_NE } mt5_cmp;
/* ">=", ">", "<=", "<", "==", "!=". */
const char *mt5_cmp_name(mt5_cmp op);
/* MT5_OK and *out, or MT5_EPARSE. */
int mt5_cmp_parse(mt5_cmp *out, const char *text);
/* Whether `order` (negative, zero, positive: a compared to b) satisfies op. */
bool mt5_cmp_holds(mt5_cmp op, int order);

/*  Compare two version strings as versions: dot-separated numeric fields
 *  compared as numbers ("4.10" > "4.9", "1.0" == "1.0.0"); a field's
 *  trailing non-digits ("rc1") sort before the bare number ("1.0rc1" <
 *  "1.0"). *order is <0, 0 or >0. MT5_EPARSE when either does not start
 *  with a digit. */
int mt5_version_compare(int *order, const char *a, const char *b);

/* A list of owned strings. */
typedef struct {
    char **items; /* owned, each free()d by mt5_check_free */
    size_t count;
} mt5_strv_t;

/* Free every item and the array, and zero the list. Accepts NULL. */
void mt5_strv_free(mt5_strv_t *list);

/*  Secrets (key material, tokens) never reach a report. These replace
 *  each occurrence of each secret of 4 bytes or more with "***", in
 *  place; the text never grows. Secrets are tried in list order, so a
 *  list sorted longest first (as the manifest loader keeps it) never
 *  leaves the tail of a longer secret that starts with a shorter one.
 *  mt5_redact works on a NUL-terminated string (NULL is ignored);
 *  mt5_redact_bytes on raw bytes and returns the new length. */
void mt5_redact(char *text, const mt5_strv_t *secrets);
size_t mt5_redact_bytes(char *buf, size_t len, const mt5_strv_t *secrets);

typedef struct {
    char *path;        /* relative to root */
    bool non_empty;    /* size > 0 */
    int64_t min_lines; /* -1 = no bound; a last line without '\n' counts */
    int64_t max_lines; /* -1 = no bound */
    int64_t max_bytes; /* -1 = no bound */
    char *sha256;      /* 64 lowercase hex digits, or NULL */
} mt5_check_file_t;

typedef struct {
    char *path;          /* a file or a glob (fnmatch, '*' '?' '[...]', "**" not special) */
    mt5_strv_t patterns; /* PCRE2; each must match at least min_count times in all files together */
    mt5_strv_t absent;   /* PCRE2; none may match in any file */
    int64_t min_count;   /* default 1 */
    int64_t min_files;   /* the glob must match at least this many files; default 1 */
    bool ignore_case;    /* PCRE2_CASELESS */
} mt5_check_contains_t;

typedef struct {
    char *path;           /* a Markdown file */
    mt5_strv_t headings;  /* required heading texts, compared after trimming, case-insensitive */
    int64_t min_sections; /* -1 = no bound: headings of `level` (any level when 0) */
    int level;            /* 0 = any, 1..6 */
} mt5_check_sections_t;

typedef enum {
    MT5_LOG_RESULT = 0, /* PROTOCOL.md section 8: the last result line decides */
    MT5_LOG_TOKEN       /* free form: lines containing the token, at least min_count */
} mt5_log_mode;

typedef struct {
    char *path; /* the log, relative to root */
    mt5_log_mode mode;
    char *expect; /* default "OK_FROM_MT5" */
    int64_t
        max_age_ms; /* RESULT mode: -1 = any age; else the result line's time must be this recent */
    int64_t min_count; /* TOKEN mode: default 1 */
    bool since_run;    /* look only at bytes appended since the run started */
} mt5_check_log_t;

typedef struct {
    char *endpoint; /* tcp://host:port (mt5_sock_endpoint_check) */
    char *message;  /* default "Hello" */
    char *expect;   /* default "OK_FROM_MT5" */
    char *log;      /* relative to root: append the run there (section 8), or NULL */
} mt5_check_handshake_t;

typedef enum { MT5_STREAM_BOTH = 0, MT5_STREAM_STDOUT, MT5_STREAM_STDERR } mt5_stream;

typedef struct {
    mt5_strv_t argv; /* argv[0] looked up in PATH; with shell, one string for /bin/sh -c */
    bool shell;
    char *cwd;         /* relative to root; NULL = root */
    mt5_strv_t env;    /* "NAME=value", added to the inherited environment */
    int expect_exit;   /* default 0; -1 = any exit code (still must exit, not be killed) */
    char *capture;     /* PCRE2 whose first group (or whole match) is a number, or NULL */
    mt5_stream stream; /* where capture looks; default both */
    mt5_cmp op;        /* the captured number `op` threshold */
    double threshold;
    bool capture_last; /* use the last match rather than the first */
} mt5_check_command_t;

typedef struct {
    mt5_strv_t argv;  /* a command printing the version, or empty when pkg_config is set */
    char *pkg_config; /* a pkg-config module name, or NULL */
    char *capture;    /* PCRE2 for the version in the output; default the first [0-9]+(\.[0-9]+)* */
    mt5_cmp op;
    char *want; /* the version compared against */
} mt5_check_version_t;

typedef struct {
    char *host; /* numeric IPv4/IPv6 or a name resolved with getaddrinfo */
    int port;   /* 1..65535 */
} mt5_check_port_t;

/* One check of a manifest. Strings are owned by the check. */
typedef struct {
    char *id;          /* unique in the manifest: [A-Za-z0-9][A-Za-z0-9._-]* */
    char *phase;       /* one of the manifest's phase ids */
    char *description; /* one line */
    char *fix;         /* fix hint, or NULL */
    mt5_check_kind kind;
    int64_t timeout_ms;      /* per attempt */
    int retries;             /* extra attempts after a fail or error; default 0 */
    int64_t retry_delay_ms;  /* between attempts */
    mt5_strv_t needs;        /* ids of checks declared before this one */
    char *waiver_reason;     /* NULL = no waiver */
    char *waiver_expires;    /* YYYY-MM-DD as written */
    int64_t waiver_until_ms; /* Unix ms of the end of that day (UTC); the waiver holds while now <
                                this */
    bool skip;               /* the skip condition held when the manifest was loaded */
    char *skip_reason;       /* why, when skip */
    char *file;              /* the manifest file that declared it */
    int line, column;        /* where */
    union {
        mt5_check_file_t file;
        mt5_check_contains_t contains;
        mt5_check_sections_t sections;
        mt5_check_log_t log;
        mt5_check_handshake_t handshake;
        mt5_check_command_t command;
        mt5_check_version_t version;
        mt5_check_port_t port;
    } u;
} mt5_check_t;

/* Free what a check owns (not the struct itself) and zero it. */
void mt5_check_free(mt5_check_t *check);

#define MT5_CHECK_MESSAGE_MAX 512
#define MT5_CHECK_EVIDENCE_MAX 2048

/* What one attempt found. */
typedef struct {
    mt5_status status;                     /* PASS, FAIL or ERROR */
    bool timed_out;                        /* ERROR because the deadline passed */
    char message[MT5_CHECK_MESSAGE_MAX];   /* one sentence: why it passed or failed */
    char evidence[MT5_CHECK_EVIDENCE_MAX]; /* what was seen: a line, a score, an output tail */
} mt5_check_result_t;

/* What a check may use while it runs. */
typedef struct {
    const char *root;    /* absolute, resolved (realpath) root directory */
    int64_t deadline_us; /* mt5_clock_mono_us() value after which the attempt gives up */
    int64_t now_ms;      /* wall clock of the run's start, for ages */
    /* Redacted from raw output (commands) before it is cut or escaped into
     * evidence, where a secret could no longer be recognised. May be NULL. */
    const mt5_strv_t *secrets;
    /* Log checks with since_run: the size the file had when the run
     * started, or 0 when it did not exist then. NULL = always 0. */
    uint64_t (*log_offset)(void *arg, const char *abs_path);
    void *log_offset_arg;
} mt5_check_ctx_t;

/*  Run one attempt of `check`. Always fills *out. Returns MT5_OK when the
 *  check decided (PASS or FAIL) or could not (ERROR, with timed_out when
 *  the deadline passed); MT5_EINVAL for bad arguments (a programmer
 *  error). Never blocks past ctx->deadline_us by more than about 100 ms;
 *  never reads outside ctx->root. Thread-safe: checks of one manifest may
 *  run on several threads at once. */
int mt5_check_run(mt5_check_result_t *out, const mt5_check_t *check, const mt5_check_ctx_t *ctx);

/*  Resolve `rel` (relative to root) to an absolute path inside root.
 *  Lexical ".." that leaves root and symlinks whose target leaves root are
 *  refused with MT5_EINVAL ("<rel>: leaves the root"). A path that does
 *  not exist is resolved as far as it exists. On MT5_OK *out is caller
 *  owned, free with free(). */
int mt5_check_resolve(char **out, const char *root, const char *rel);

#endif
