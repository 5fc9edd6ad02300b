/*  mt5/gate.h - running a manifest: the Gate-1 runner.
 *
 *  The runner takes a loaded manifest and runs its checks, in declaration
 *  order and on up to `jobs` threads, honouring what the manifest says
 *  about each one: `needs` (a check whose prerequisite failed or errored,
 *  or was skipped because of such a failure, is skipped with that reason
 *  rather than failed twice; a need that passed, was waived or was skipped
 *  by its own condition lets it run), skip conditions, waivers
 *  (a failure under an unexpired waiver is `waived`; an expired waiver
 *  fails the check), retries with a delay, a timeout per attempt, and
 *  --fail-fast. It redacts the manifest's secrets from every message and
 *  piece of evidence as results are stored (and the kinds redact raw
 *  command output before it is cut or escaped), so no report carries them.
 */
#ifndef MT5_GATE_H
#define MT5_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mt5/check.h"
#include "mt5/manifest.h"

/* The outcome of one check over all its attempts. */
typedef struct {
    const mt5_check_t *check; /* borrowed from the manifest */
    bool selected;            /* false: left out by --only; not reported */
    mt5_status status;
    bool timed_out;
    int attempts;        /* 0 when not run */
    int64_t started_ms;  /* wall clock; 0 when not run */
    int64_t duration_ms; /* all attempts and delays */
    char message[MT5_CHECK_MESSAGE_MAX];
    char evidence[MT5_CHECK_EVIDENCE_MAX];
} mt5_gate_check_result_t;

typedef struct {
    const mt5_manifest_t *manifest;   /* borrowed */
    char root[4096];                  /* resolved root */
    int64_t started_ms, finished_ms;  /* wall clock */
    mt5_gate_check_result_t *results; /* one per manifest check, same order; owned */
    size_t n_results;
    size_t selected; /* checks selected by --only (all without it) */
} mt5_gate_run_t;

/* Called from the calling thread while workers still write results:
 * read only run->selected and the manifest, never run->results. `running`
 * is a check that has run for longer than the progress delay, or NULL
 * when a check just finished. */
typedef void(mt5_gate_progress_fn)(void *arg, const mt5_gate_run_t *run, size_t done,
                                   const mt5_check_t *running, int64_t running_ms);

typedef struct {
    int version;             /* MT5_GATE_OPTIONS_VERSION */
    const char *root;        /* required */
    int jobs;                /* threads, 1 to 64; default 1 */
    const char *const *only; /* ids or phase ids; checks they need are run too */
    size_t n_only;
    bool fail_fast;                 /* after the first fail or error, skip what has not started */
    int64_t now_ms;                 /* 0 = wall clock; ages and waivers are judged against it */
    mt5_gate_progress_fn *progress; /* may be NULL */
    void *progress_arg;
    int progress_delay_ms; /* report a check as slow after this; default 500 */
} mt5_gate_options;

#define MT5_GATE_OPTIONS_VERSION 1
#define MT5_GATE_OPTIONS_INIT                                                                      \
    {                                                                                              \
        MT5_GATE_OPTIONS_VERSION, NULL, 1, NULL, 0, false, 0, NULL, NULL, 500                      \
    }

/*  Run the manifest. On MT5_OK *out is caller owned, destroy with
 *  mt5_gate_run_destroy(); the verdicts are in it. MT5_ENOTFOUND when an
 *  --only names no check or phase (detail says which), MT5_EINVAL for bad
 *  options, MT5_ENOMEM / MT5_EINTERNAL when the runner itself failed. */
int mt5_gate_run(mt5_gate_run_t **out, const mt5_manifest_t *manifest,
                 const mt5_gate_options *options);
void mt5_gate_run_destroy(mt5_gate_run_t **self);

/* True when no selected check failed or errored: pass, waived and skip
 * do not fail a gate (a skip always follows a failure or a declared
 * condition, and reports count skips apart). */
bool mt5_gate_passed(const mt5_gate_run_t *run);

/*  Count the selected checks of `phase` (of every phase when NULL) by
 *  status into counts[] and return how many there are. Reports and the
 *  verdict both come from here, so they cannot disagree. A status out of
 *  range counts as an error: nothing unknown is ever called a pass. */
size_t mt5_gate_count(size_t counts[MT5_STATUS_COUNT], const mt5_gate_run_t *run,
                      const char *phase);

#endif
