/*  cli.c - options, outputs and exit codes of every gate binary.
 *
 *  One option table serves gate1 and the auditors. Report files named by
 *  --output are opened once the manifest has loaded and before any check
 *  runs (a typo in a path is a usage error, not a lost run), and written
 *  to a temporary name that is renamed into place at the end, so CI never
 *  picks up half a report; an interrupted run removes its temporary files.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "mt5/error.h"
#include "mt5/gate.h"
#include "mt5/manifest.h"
#include "mt5/num.h"
#include "mt5/report.h"

#define S_MAX_OUTPUTS 16
#define S_MAX_LIST 64

typedef struct {
    mt5_report_format format;
    const char *path; /* the final name, borrowed from argv */
    char *tmp;        /* where it is written first; NULL for a device or a pipe */
    FILE *file;       /* open from before the first check to the end */
} s_output_t;

/* Everything the command line says. */
typedef struct {
    const char *prog;
    const char *manifest;
    const char *root;
    const char *task;
    mt5_report_format format;
    s_output_t outputs[S_MAX_OUTPUTS];
    int n_outputs;
    int jobs;
    const char *only[S_MAX_LIST];
    size_t n_only;
    const char *vars[S_MAX_LIST];
    size_t n_vars;
    bool fail_fast;
    bool quiet;
} s_args_t;

#define S_ARGS_INIT(name)                                                                          \
    {                                                                                              \
        .prog = (name), .root = ".", .format = MT5_REPORT_TEXT                                     \
    }

static const char s_run_options[] =
    "  --fail-fast         stop at the first failed check; the rest are skipped\n"
    "  --format FORMAT     standard output as text (default), json, junit, tap or\n"
    "                      markdown\n"
    "  --help              show this help and exit\n"
    "  --jobs N            run up to N checks at once (default 1)\n"
    "  --only ID|PHASE     run only this check or phase, and what it needs\n"
    "                      (repeatable)\n"
    "  --output FORMAT:FILE\n"
    "                      also write the report in FORMAT to FILE (repeatable)\n"
    "  --quiet             no progress line\n"
    "  --root DIR          the tree the checks look at (default .)\n"
    "  --var NAME=VALUE    set a manifest variable (repeatable)\n"
    "  --version           print the version and exit\n";

static const char s_exit_text[] =
    "\n"
    "Exit status: 0 every check passed (or was waived or skipped); 1 a check\n"
    "failed or could not run; 2 the command line or the manifest is wrong;\n"
    "3 internal error.\n";

enum {
    OPT_FAIL_FAST = 256,
    OPT_FORMAT,
    OPT_HELP,
    OPT_JOBS,
    OPT_ONLY,
    OPT_OUTPUT,
    OPT_QUIET,
    OPT_ROOT,
    OPT_TASK,
    OPT_VAR,
    OPT_VERSION
};
static const struct option s_options[] = {
    {"fail-fast", no_argument, NULL, OPT_FAIL_FAST},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"help", no_argument, NULL, OPT_HELP},
    {"jobs", required_argument, NULL, OPT_JOBS},
    {"only", required_argument, NULL, OPT_ONLY},
    {"output", required_argument, NULL, OPT_OUTPUT},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"root", required_argument, NULL, OPT_ROOT},
    {"task", required_argument, NULL, OPT_TASK},
    {"var", required_argument, NULL, OPT_VAR},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

__attribute__((format(printf, 2, 3))) static int s_usage_error(const s_args_t *a, const char *fmt,
                                                               ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", a->prog);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry '%s --help'.\n", a->prog);
    va_end(ap);
    return MT5_EXIT_USAGE;
}

/* "json:reports/gate.json": remember it; s_outputs_open opens it. */
static int s_output_add(s_args_t *a, const char *spec)
{
    const char *colon = strchr(spec, ':');
    if (!colon || colon == spec || !colon[1])
        return s_usage_error(a, "--output wants FORMAT:FILE, not '%s'", spec);
    char name[16];
    size_t n = (size_t)(colon - spec);
    if (n >= sizeof name)
        return s_usage_error(a, "unknown report format in '%s'", spec);
    memcpy(name, spec, n);
    name[n] = '\0';
    if (a->n_outputs == S_MAX_OUTPUTS)
        return s_usage_error(a, "too many --output (at most %d)", S_MAX_OUTPUTS);
    s_output_t *o = &a->outputs[a->n_outputs];
    if (mt5_report_format_parse(&o->format, name) != MT5_OK)
        return s_usage_error(a, "unknown report format '%s' (text, json, junit, tap, markdown)",
                             name);
    for (int i = 0; i < a->n_outputs; i++)
        if (strcmp(a->outputs[i].path, colon + 1) == 0)
            return s_usage_error(a, "--output names %s twice", colon + 1);
    o->path = colon + 1;
    a->n_outputs++;
    return MT5_EXIT_PASS;
}

/* The outputs an interrupting signal must clean up. */
static s_args_t *volatile s_interrupted_args;

static void s_on_signal(int sig)
{
    s_args_t *a = s_interrupted_args;
    for (int i = 0; a && i < a->n_outputs; i++)
        if (a->outputs[i].tmp)
            unlink(a->outputs[i].tmp); /* async-signal-safe */
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Close every output; unlink what was not renamed into place. */
static void s_outputs_close(s_args_t *a)
{
    for (int i = 0; i < a->n_outputs; i++) {
        s_output_t *o = &a->outputs[i];
        if (o->file)
            fclose(o->file);
        if (o->tmp)
            unlink(o->tmp);
        free(o->tmp);
        o->file = NULL;
        o->tmp = NULL;
    }
}

/*  Open every --output before a check runs, so a wrong path is a usage
 *  error and not a lost run. Each is written under a temporary name next
 *  to it; a device or a pipe (/dev/stdout) is written directly. */
static int s_outputs_open(s_args_t *a)
{
    s_interrupted_args = a;
    signal(SIGINT, s_on_signal);
    signal(SIGTERM, s_on_signal);
    for (int i = 0; i < a->n_outputs; i++) {
        s_output_t *o = &a->outputs[i];
        struct stat st;
        if (stat(o->path, &st) == 0 && !S_ISREG(st.st_mode)) {
            o->file = fopen(o->path, "w");
        } else {
            /* mkstemp: a fresh name that follows no symlink, mode 0600,
             * made readable like any report when it is renamed. */
            size_t tlen = strlen(o->path) + 8;
            if (!(o->tmp = malloc(tlen)))
                return MT5_EXIT_INTERNAL;
            snprintf(o->tmp, tlen, "%s.XXXXXX", o->path);
            int fd = mkstemp(o->tmp);
            if (fd >= 0 && !(o->file = fdopen(fd, "w")))
                close(fd);
            if (fd < 0) {
                free(o->tmp);
                o->tmp = NULL;
            }
        }
        if (!o->file) {
            fprintf(stderr, "%s: cannot write %s: %s\n", a->prog, o->path, strerror(errno));
            return MT5_EXIT_USAGE;
        }
    }
    return MT5_EXIT_PASS;
}

static int s_parse(s_args_t *a, int argc, char **argv, const char *usage, bool allow_task)
{
    int c;
    optind = 1;
    opterr = 0; /* one message, ours, naming the option */
    while ((c = getopt_long(argc, argv, "", s_options, NULL)) != -1) {
        int rc = MT5_EXIT_PASS;
        switch (c) {
        case OPT_FAIL_FAST:
            a->fail_fast = true;
            break;
        case OPT_FORMAT:
            if (mt5_report_format_parse(&a->format, optarg) != MT5_OK)
                rc = s_usage_error(a, "unknown format '%s' (text, json, junit, tap, markdown)",
                                   optarg);
            break;
        case OPT_HELP:
            fputs(usage, stdout);
            fputs(s_run_options, stdout);
            fputs(s_exit_text, stdout);
            return -1;
        case OPT_JOBS: {
            int64_t jobs;
            if (mt5_num_int(&jobs, optarg, 1, 64) != MT5_OK)
                rc = s_usage_error(a, "--jobs wants a number from 1 to 64, not '%s'", optarg);
            else
                a->jobs = (int)jobs;
            break;
        }
        case OPT_ONLY:
            if (a->n_only == S_MAX_LIST)
                rc = s_usage_error(a, "too many --only (at most %d)", S_MAX_LIST);
            else
                a->only[a->n_only++] = optarg;
            break;
        case OPT_OUTPUT:
            rc = s_output_add(a, optarg);
            break;
        case OPT_QUIET:
            a->quiet = true;
            break;
        case OPT_ROOT:
            a->root = optarg;
            break;
        case OPT_TASK:
            if (!allow_task)
                rc = s_usage_error(a, "--task is an option of audit-current-task only");
            a->task = optarg;
            break;
        case OPT_VAR:
            if (!strchr(optarg, '=') || optarg[0] == '=')
                rc = s_usage_error(a, "--var wants NAME=VALUE, not '%s'", optarg);
            else if (a->n_vars == S_MAX_LIST)
                rc = s_usage_error(a, "too many --var (at most %d)", S_MAX_LIST);
            else
                a->vars[a->n_vars++] = optarg;
            break;
        case OPT_VERSION:
            printf("%s %s\n", a->prog, MT5_VERSION);
            return -1;
        default:
            rc = s_usage_error(a, "invalid option '%s', or its value is missing", argv[optind - 1]);
        }
        if (rc != MT5_EXIT_PASS)
            return rc;
    }
    return MT5_EXIT_PASS;
}

/* The directory of the running executable, for ${bin_dir}. */
static const char *s_bin_dir(char *buf, size_t cap)
{
    ssize_t n = readlink("/proc/self/exe", buf, cap - 1);
    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    char *slash = strrchr(buf, '/');
    if (!slash)
        return NULL;
    *slash = '\0';
    return buf;
}

/*  Find a gate manifest by file name: $MT5_GATES_DIR, then the install
 *  location next to the binary (../share/mt5-gate/gates), then the
 *  configured install prefix, then the source tree the binary was built
 *  from. */
static int s_find_manifest(char *out, size_t cap, const char *name)
{
    char bin[PATH_MAX], rel[PATH_MAX + 32];
    const char *dirs[4] = {getenv("MT5_GATES_DIR"), NULL, MT5_GATES_INSTALL_DIR, MT5_GATES_DIR};
    if (s_bin_dir(bin, sizeof bin)) {
        snprintf(rel, sizeof rel, "%s/../share/mt5-gate/gates", bin);
        dirs[1] = rel;
    }
    for (size_t i = 0; i < 4; i++) {
        if (!dirs[i] || !*dirs[i])
            continue;
        int w = snprintf(out, cap, "%s/%s", dirs[i], name);
        if (w > 0 && (size_t)w < cap && access(out, R_OK) == 0)
            return MT5_OK;
    }
    return mt5_error_set(MT5_ENOTFOUND, "no manifest %s in $MT5_GATES_DIR, %s, %s or %s", name,
                         dirs[1] ? dirs[1] : "<bin>/../share/mt5-gate/gates", MT5_GATES_INSTALL_DIR,
                         MT5_GATES_DIR);
}

static int s_load(mt5_manifest_t **m, const s_args_t *a)
{
    mt5_manifest_options mo = MT5_MANIFEST_OPTIONS_INIT;
    mo.root = a->root; /* ${bin_dir}: the loader finds the executable itself */
    mo.vars = a->vars;
    mo.n_vars = a->n_vars;
    int rc = mt5_manifest_load(m, a->manifest, &mo);
    if (rc == MT5_OK)
        return MT5_EXIT_PASS;
    /* A manifest mistake is already "file:line:column: what is wrong", the
     * form editors and CI annotate; anything else says who is talking. */
    if (rc == MT5_EPARSE)
        fprintf(stderr, "%s\n", mt5_error_detail());
    else
        fprintf(stderr, "%s: %s\n", a->prog, mt5_error_detail());
    return rc == MT5_ENOMEM ? MT5_EXIT_INTERNAL : MT5_EXIT_USAGE;
}

/* The progress line: only on a terminal, overwritten in place. */
static void s_progress(void *arg, const mt5_gate_run_t *run, size_t done, const mt5_check_t *slow,
                       int64_t slow_ms)
{
    (void)arg;
    if (slow)
        fprintf(stderr, "\r\033[K[%zu/%zu] %s: %s (%.1f s)", done, run->selected, slow->id,
                slow->description ? slow->description : "", (double)slow_ms / 1000.0);
    else
        fprintf(stderr, "\r\033[K[%zu/%zu]", done, run->selected);
    fflush(stderr);
}

/* A terminal that understands escape sequences. */
static bool s_terminal(int fd)
{
    const char *term = getenv("TERM");
    return isatty(fd) && !(term && strcmp(term, "dumb") == 0);
}

static bool s_color(void)
{
    const char *no = getenv("NO_COLOR");
    return s_terminal(STDOUT_FILENO) && !(no && *no);
}

static int s_run(s_args_t *a)
{
    mt5_manifest_t *m = NULL;
    mt5_gate_run_t *run = NULL;
    int status = s_load(&m, a);
    if (status != MT5_EXIT_PASS || (status = s_outputs_open(a)) != MT5_EXIT_PASS)
        goto done;

    mt5_gate_options go = MT5_GATE_OPTIONS_INIT;
    go.root = a->root;
    if (a->jobs)
        go.jobs = a->jobs;
    go.only = a->only;
    go.n_only = a->n_only;
    go.fail_fast = a->fail_fast;
    bool progress = !a->quiet && s_terminal(STDERR_FILENO);
    if (progress)
        go.progress = s_progress;
    int rc = mt5_gate_run(&run, m, &go);
    if (progress)
        fputs("\r\033[K", stderr);
    if (rc != MT5_OK) {
        fprintf(stderr, "%s: %s\n", a->prog, mt5_error_detail());
        status = rc == MT5_ENOTFOUND || rc == MT5_EINVAL ? MT5_EXIT_USAGE : MT5_EXIT_INTERNAL;
        goto done;
    }

    char tool[64];
    snprintf(tool, sizeof tool, "%s %s", a->prog, MT5_VERSION);
    mt5_report_options ro = MT5_REPORT_OPTIONS_INIT;
    ro.tool = tool;
    status = mt5_gate_passed(run) ? MT5_EXIT_PASS : MT5_EXIT_FAIL;
    /* The files first: a reader that closes standard output early (a
     * pager, `| head`) must not cost CI its reports. */
    mode_t mask = umask(0);
    umask(mask);
    for (int i = 0; i < a->n_outputs; i++) {
        s_output_t *o = &a->outputs[i];
        const char *why = NULL;
        if (mt5_report_write(o->file, run, o->format, &ro) != MT5_OK)
            why = mt5_error_detail();
        if (!why && o->tmp && fchmod(fileno(o->file), 0666 & ~mask) != 0)
            why = strerror(errno);
        int crc = fclose(o->file);
        o->file = NULL;
        if (!why && crc != 0)
            why = strerror(errno);
        if (!why && o->tmp && rename(o->tmp, o->path) != 0)
            why = strerror(errno);
        if (why) {
            fprintf(stderr, "%s: cannot write %s: %s\n", a->prog, o->path, why);
            status = MT5_EXIT_INTERNAL;
        } else if (o->tmp) {
            char *done = o->tmp;
            o->tmp = NULL; /* renamed into place: nothing for a signal to clean up */
            free(done);
        }
    }
    ro.color = a->format == MT5_REPORT_TEXT && s_color();
    errno = 0;
    if ((mt5_report_write(stdout, run, a->format, &ro) != MT5_OK || fflush(stdout) != 0) &&
        errno != EPIPE) {
        /* A reader that left (| head) is its own choice, not our failure. */
        fprintf(stderr, "%s: cannot write the report: %s\n", a->prog, mt5_error_detail());
        status = MT5_EXIT_INTERNAL;
    }
done:
    s_outputs_close(a);
    mt5_gate_run_destroy(&run);
    mt5_manifest_destroy(&m);
    return status;
}

static int s_list(s_args_t *a)
{
    mt5_manifest_t *m = NULL;
    int status = s_load(&m, a);
    if (status != MT5_EXIT_PASS)
        return status;
    printf("%s: %s (%zu checks in %zu phases)\n", m->id, m->title, m->n_checks, m->n_phases);
    for (size_t p = 0; p < m->n_phases; p++) {
        printf("\n%s (%s)\n", m->phases[p].title, m->phases[p].id);
        for (size_t i = 0; i < m->n_checks; i++) {
            const mt5_check_t *c = &m->checks[i];
            if (strcmp(c->phase, m->phases[p].id) != 0)
                continue;
            printf("  %-28s %-9s %s%s\n", c->id, mt5_check_kind_name(c->kind), c->description,
                   c->skip            ? " [skip]"
                   : c->waiver_reason ? " [waiver]"
                                      : "");
        }
    }
    mt5_manifest_destroy(&m);
    return MT5_EXIT_PASS;
}

static int s_validate(s_args_t *a)
{
    mt5_manifest_t *m = NULL;
    int status = s_load(&m, a);
    if (status != MT5_EXIT_PASS)
        return status;
    printf("%s: valid: gate %s, %zu checks in %zu phases, sha256 %s\n", a->manifest, m->id,
           m->n_checks, m->n_phases, m->sha256);
    mt5_manifest_destroy(&m);
    return MT5_EXIT_PASS;
}

static const char s_gate1_usage[] =
    "Usage: gate1 run MANIFEST [OPTIONS]\n"
    "       gate1 list MANIFEST [--root DIR] [--var NAME=VALUE]...\n"
    "       gate1 validate MANIFEST [--root DIR] [--var NAME=VALUE]...\n"
    "Run the checks of a gate manifest (docs/manifest.md) against a tree, list\n"
    "them, or only check that the manifest is valid.\n"
    "\n";

int mt5_cli_gate1(int argc, char **argv)
{
    s_args_t a = S_ARGS_INIT("gate1");
    signal(SIGPIPE, SIG_IGN);
    /* One pass over everything: getopt moves the command and the
     * manifest behind the options, wherever they were written. */
    int rc = s_parse(&a, argc, argv, s_gate1_usage, false);
    if (rc < 0)
        return MT5_EXIT_PASS;
    if (rc != MT5_EXIT_PASS)
        return rc;
    if (optind >= argc)
        return s_usage_error(&a, "missing command (run, list or validate)");
    const char *cmd = argv[optind];
    if (strcmp(cmd, "run") != 0 && strcmp(cmd, "list") != 0 && strcmp(cmd, "validate") != 0)
        return s_usage_error(&a, "unknown command '%s' (run, list or validate)", cmd);
    if (optind + 1 >= argc)
        return s_usage_error(&a, "%s: missing MANIFEST", cmd);
    if (optind + 2 < argc)
        return s_usage_error(&a, "unexpected argument '%s'", argv[optind + 2]);
    a.manifest = argv[optind + 1];
    if (strcmp(cmd, "run") == 0)
        return s_run(&a);
    if (a.n_outputs || a.n_only || a.fail_fast || a.jobs || a.quiet || a.format != MT5_REPORT_TEXT)
        return s_usage_error(&a, "%s takes only --root and --var", cmd);
    return strcmp(cmd, "list") == 0 ? s_list(&a) : s_validate(&a);
}

/* Parse an auditor's command line: options only. 0 to go on, -1 when
 * --help or --version answered, else the exit status. */
static int s_parse_auditor(s_args_t *a, int argc, char **argv, const char *usage, bool allow_task)
{
    int rc = s_parse(a, argc, argv, usage, allow_task);
    if (rc == MT5_EXIT_PASS && optind < argc)
        return s_usage_error(a, "unexpected argument '%s'", argv[optind]);
    return rc;
}

/* Run the manifest `name` from the gates directories. */
static int s_run_named(s_args_t *a, const char *name)
{
    char path[PATH_MAX];
    if (s_find_manifest(path, sizeof path, name) != MT5_OK) {
        fprintf(stderr, "%s: %s\n", a->prog, mt5_error_detail());
        return MT5_EXIT_USAGE;
    }
    a->manifest = path;
    return s_run(a);
}

int mt5_cli_auditor(int argc, char **argv, const char *prog, const char *manifest)
{
    s_args_t a = S_ARGS_INIT(prog);
    signal(SIGPIPE, SIG_IGN);
    char usage[512];
    snprintf(usage, sizeof usage,
             "Usage: %s [OPTIONS]\n"
             "Gate 1 of a task: run the checks of gates/%s against the tree at\n"
             "--root (the mt5-crs checkout).\n\n",
             prog, manifest);
    int rc = s_parse_auditor(&a, argc, argv, usage, false);
    return rc < 0 ? MT5_EXIT_PASS : rc != MT5_EXIT_PASS ? rc : s_run_named(&a, manifest);
}

/*  "004", "TASK_004", "TASK_004_CONN_TEST", "task-004" -> "task-004.yaml".
 *  The number keeps the digits as written, so the file names match the
 *  folders. */
static int s_task_manifest(char *out, size_t cap, const char *task)
{
    const char *p = task;
    if (strncasecmp(p, "task", 4) == 0) {
        p += 4;
        if (*p == '_' || *p == '-' || *p == ' ' || *p == '#')
            p++;
    }
    if (*p == '#')
        p++;
    size_t n = 0;
    while (isdigit((unsigned char)p[n]))
        n++;
    if (n == 0 || n > 9 || (p[n] && p[n] != '_' && p[n] != '-' && strcmp(p + n, ".yaml") != 0))
        return mt5_error_set(MT5_EINVAL, "'%s' is not a task (TASK_004, task-004 or 004)", task);
    snprintf(out, cap, "task-%.*s.yaml", (int)n, p);
    return MT5_OK;
}

/* The highest-numbered TASK_* folder under <root>/docs/archive/tasks. */
static int s_newest_task(char *out, size_t cap, const char *root)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/docs/archive/tasks", root);
    DIR *d = opendir(dir);
    if (!d)
        return mt5_error_set(MT5_ENOTFOUND, "no task: %s: %s", dir, strerror(errno));
    long best = -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "TASK_", 5) != 0 || !isdigit((unsigned char)e->d_name[5]))
            continue;
        long num = strtol(e->d_name + 5, NULL, 10);
        if (num > best) {
            best = num;
            snprintf(out, cap, "%s", e->d_name);
        }
    }
    closedir(d);
    if (best < 0)
        return mt5_error_set(MT5_ENOTFOUND, "no TASK_* folder in %s", dir);
    return MT5_OK;
}

int mt5_cli_current_task(int argc, char **argv)
{
    s_args_t a = S_ARGS_INIT("audit-current-task");
    signal(SIGPIPE, SIG_IGN);
    static const char usage[] =
        "Usage: audit-current-task [--task TASK] [OPTIONS]\n"
        "Gate 1 of the current task: the task is --task, else $MT5_TASK, else the\n"
        "highest-numbered TASK_* folder under ROOT/docs/archive/tasks; its manifest is\n"
        "task-NNN.yaml in the gates directory.\n"
        "\n"
        "  --task TASK         TASK_004_CONN_TEST, TASK_004, task-004 or 004\n";
    int rc = s_parse_auditor(&a, argc, argv, usage, true);
    if (rc < 0)
        return MT5_EXIT_PASS;
    if (rc != MT5_EXIT_PASS)
        return rc;
    char task[256], name[64];
    const char *from = a.task ? a.task : getenv("MT5_TASK");
    if (from && *from)
        snprintf(task, sizeof task, "%s", from);
    else if (s_newest_task(task, sizeof task, a.root) != MT5_OK) {
        fprintf(stderr, "audit-current-task: %s; name one with --task or $MT5_TASK\n",
                mt5_error_detail());
        return MT5_EXIT_USAGE;
    }
    if (s_task_manifest(name, sizeof name, task) != MT5_OK) {
        fprintf(stderr, "audit-current-task: %s\n", mt5_error_detail());
        return MT5_EXIT_USAGE;
    }
    return s_run_named(&a, name);
}
