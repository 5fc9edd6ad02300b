/*  gate.c - the Gate-1 runner: a manifest's checks, in order, on N threads.
 *
 *  Workers take the first check, in declaration order, whose needs have
 *  all finished; `needs` only ever point backwards, so this order can
 *  never deadlock. Everything a check's fate depends on besides its own
 *  attempt (selection, skip condition, unmet needs, --fail-fast, waivers)
 *  is decided here under one lock, so the check kinds stay pure: one
 *  attempt in, one verdict out. The calling thread only watches the clock
 *  and reports slow checks, so a progress line never competes with a
 *  check for a worker.
 */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "mt5/clock.h"
#include "mt5/error.h"
#include "mt5/gate.h"

typedef enum { S_PENDING = 0, S_RUNNING, S_DONE } s_state;

/* The size a log had at the start of the run, for `since: run`. */
typedef struct {
    char *path;    /* resolved absolute path */
    uint64_t size; /* 0 when it did not exist */
} s_offset_t;

typedef struct {
    mt5_gate_run_t *run;
    const mt5_gate_options *options;
    int64_t now_ms;         /* the run's notion of now */
    pthread_mutex_t lock;   /* guards everything below, and results */
    pthread_cond_t changed; /* a check started or finished */
    s_state *state;         /* per check */
    size_t *need_off;       /* check i needs need_ix[need_off[i] .. need_off[i + 1]) */
    size_t *need_ix;
    size_t first_pending;   /* every check before it is done or not selected */
    bool *failed_chain;     /* per check: failed, errored, or skipped because of a failure */
    int64_t *started_us;    /* per check: monotonic start of a running check */
    size_t done;            /* checks in S_DONE among the selected */
    const char *stopped_by; /* --fail-fast: the id of the first failure */
    s_offset_t *offsets;    /* log sizes at the start */
    size_t n_offsets;
} s_runner_t;

size_t mt5_gate_count(size_t counts[MT5_STATUS_COUNT], const mt5_gate_run_t *run, const char *phase)
{
    memset(counts, 0, MT5_STATUS_COUNT * sizeof counts[0]);
    size_t total = 0;
    for (size_t i = 0; run && i < run->n_results; i++) {
        const mt5_gate_check_result_t *r = &run->results[i];
        if (!r->selected || !r->check ||
            (phase && strcmp(r->check->phase ? r->check->phase : "", phase) != 0))
            continue;
        counts[(unsigned)r->status < MT5_STATUS_COUNT ? r->status : MT5_STATUS_ERROR]++;
        total++;
    }
    return total;
}

bool mt5_gate_passed(const mt5_gate_run_t *run)
{
    size_t counts[MT5_STATUS_COUNT];
    mt5_gate_count(counts, run, NULL);
    return run && counts[MT5_STATUS_FAIL] == 0 && counts[MT5_STATUS_ERROR] == 0;
}

static uint64_t s_log_offset(void *arg, const char *abs_path)
{
    const s_runner_t *r = arg;
    for (size_t i = 0; i < r->n_offsets; i++)
        if (strcmp(r->offsets[i].path, abs_path) == 0)
            return r->offsets[i].size;
    return 0;
}

/* Remember the size of every log a `since: run` check will read. */
static int s_record_offsets(s_runner_t *r)
{
    const mt5_manifest_t *m = r->run->manifest;
    r->offsets = calloc(m->n_checks ? m->n_checks : 1, sizeof *r->offsets);
    if (!r->offsets)
        return mt5_error_set(MT5_ENOMEM, "out of memory");
    for (size_t i = 0; i < m->n_checks; i++) {
        const mt5_check_t *c = &m->checks[i];
        if (!r->run->results[i].selected || c->kind != MT5_CHECK_LOG || !c->u.log.since_run)
            continue;
        char *abs = NULL;
        if (mt5_check_resolve(&abs, r->run->root, c->u.log.path) != MT5_OK)
            continue; /* the check itself reports the bad path */
        struct stat st;
        r->offsets[r->n_offsets].path = abs;
        r->offsets[r->n_offsets].size = stat(abs, &st) == 0 ? (uint64_t)st.st_size : 0;
        r->n_offsets++;
    }
    return MT5_OK;
}

static void s_sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

__attribute__((format(printf, 3, 4))) static void s_set(mt5_gate_check_result_t *res,
                                                        mt5_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    res->status = status;
    vsnprintf(res->message, sizeof res->message, fmt, ap);
    va_end(ap);
}

/*  Decide, under the lock, whether check i runs. Returns false when its
 *  verdict is already known (skip), with the result filled in. */
static bool s_should_run(s_runner_t *r, size_t i)
{
    const mt5_manifest_t *m = r->run->manifest;
    const mt5_check_t *c = &m->checks[i];
    mt5_gate_check_result_t *res = &r->run->results[i];
    if (c->skip) {
        s_set(res, MT5_STATUS_SKIP, "skipped: %s", c->skip_reason ? c->skip_reason : "");
        return false;
    }
    for (size_t k = r->need_off[i]; k < r->need_off[i + 1]; k++) {
        size_t j = r->need_ix[k];
        const mt5_check_t *need = &m->checks[j];
        if (r->failed_chain[j]) {
            mt5_status st = r->run->results[j].status;
            s_set(res, MT5_STATUS_SKIP, "needs %s, which %s", need->id,
                  st == MT5_STATUS_ERROR  ? "could not run"
                  : st == MT5_STATUS_SKIP ? "was skipped"
                                          : "failed");
            r->failed_chain[i] = true;
            return false;
        }
    }
    if (r->stopped_by) {
        s_set(res, MT5_STATUS_SKIP, "not run: --fail-fast stopped the run after %s failed",
              r->stopped_by);
        r->failed_chain[i] = true;
        return false;
    }
    return true;
}

/* All attempts of one check, outside the lock. */
static void s_attempts(s_runner_t *r, size_t i, mt5_check_result_t *last, int *attempts)
{
    const mt5_check_t *c = &r->run->manifest->checks[i];
    mt5_check_ctx_t ctx = {
        .root = r->run->root,
        .now_ms = r->now_ms,
        .secrets = &r->run->manifest->secrets,
        .log_offset = s_log_offset,
        .log_offset_arg = r,
    };
    int max = 1 + (c->retries > 0 ? c->retries : 0);
    for (int a = 1; a <= max; a++) {
        ctx.deadline_us = mt5_clock_mono_us() + c->timeout_ms * 1000;
        mt5_check_run(last, c, &ctx);
        *attempts = a;
        if (last->status == MT5_STATUS_PASS)
            break;
        if (a < max && c->retry_delay_ms > 0)
            s_sleep_ms(c->retry_delay_ms);
    }
}

/* Turn the last attempt into the check's result: waivers, redaction. */
static void s_store(s_runner_t *r, size_t i, const mt5_check_result_t *last, int attempts,
                    int64_t started_ms, int64_t started_us)
{
    const mt5_check_t *c = &r->run->manifest->checks[i];
    mt5_gate_check_result_t *res = &r->run->results[i];
    res->attempts = attempts;
    res->started_ms = started_ms;
    res->duration_ms = (mt5_clock_mono_us() - started_us) / 1000;
    res->timed_out = last->timed_out;
    res->status = last->status;
    memcpy(res->message, last->message, sizeof res->message);
    memcpy(res->evidence, last->evidence, sizeof res->evidence);
    if (c->waiver_reason) {
        if (r->now_ms >= c->waiver_until_ms) {
            char was[MT5_CHECK_MESSAGE_MAX];
            memcpy(was, res->message, sizeof was);
            /* Cut to fit: the check's own message comes last. */
            int w =
                snprintf(res->message, sizeof res->message,
                         "the waiver expired on %s (%s); renew or remove it. The check itself: "
                         "%s: %s",
                         c->waiver_expires, c->waiver_reason, mt5_status_name(res->status), was);
            (void)w;
            res->status = MT5_STATUS_FAIL;
        } else if (res->status != MT5_STATUS_PASS)
            res->status = MT5_STATUS_WAIVED;
    }
    mt5_redact(res->message, &r->run->manifest->secrets);
    mt5_redact(res->evidence, &r->run->manifest->secrets);
}

/* The first pending selected check whose needs are all done, or -1. */
static long s_next_ready(s_runner_t *r, bool *any_pending)
{
    const mt5_manifest_t *m = r->run->manifest;
    *any_pending = false;
    while (r->first_pending < m->n_checks &&
           (!r->run->results[r->first_pending].selected || r->state[r->first_pending] == S_DONE))
        r->first_pending++;
    for (size_t i = r->first_pending; i < m->n_checks; i++) {
        if (!r->run->results[i].selected || r->state[i] != S_PENDING)
            continue;
        *any_pending = true;
        bool ready = true;
        for (size_t k = r->need_off[i]; k < r->need_off[i + 1] && ready; k++)
            ready = r->state[r->need_ix[k]] == S_DONE;
        if (ready)
            return (long)i;
    }
    return -1;
}

static void *s_worker(void *arg)
{
    s_runner_t *r = arg;
    pthread_mutex_lock(&r->lock);
    for (;;) {
        bool any_pending;
        long i = s_next_ready(r, &any_pending);
        if (i < 0) {
            if (!any_pending)
                break;
            pthread_cond_wait(&r->changed, &r->lock);
            continue;
        }
        mt5_gate_check_result_t *res = &r->run->results[i];
        if (!s_should_run(r, (size_t)i)) {
            /* A skip reason is manifest text, and manifests expand variables. */
            mt5_redact(res->message, &r->run->manifest->secrets);
            r->state[i] = S_DONE;
            r->done++;
            pthread_cond_broadcast(&r->changed);
            continue;
        }
        r->state[i] = S_RUNNING;
        int64_t started_ms = mt5_clock_wall_ms();
        int64_t started_us = mt5_clock_mono_us();
        r->started_us[i] = started_us;
        pthread_mutex_unlock(&r->lock);

        mt5_check_result_t last;
        int attempts = 0;
        s_attempts(r, (size_t)i, &last, &attempts);

        pthread_mutex_lock(&r->lock);
        s_store(r, (size_t)i, &last, attempts, started_ms, started_us);
        if (res->status == MT5_STATUS_FAIL || res->status == MT5_STATUS_ERROR) {
            r->failed_chain[i] = true;
            if (r->options->fail_fast && !r->stopped_by)
                r->stopped_by = r->run->manifest->checks[i].id;
        }
        r->state[i] = S_DONE;
        r->done++;
        pthread_cond_broadcast(&r->changed);
    }
    pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

/* Index every check's needs once, so scheduling never searches by id. */
static int s_index_needs(s_runner_t *r)
{
    const mt5_manifest_t *m = r->run->manifest;
    size_t total = 0;
    for (size_t i = 0; i < m->n_checks; i++)
        total += m->checks[i].needs.count;
    r->need_off = calloc(m->n_checks + 1, sizeof *r->need_off);
    r->need_ix = calloc(total + 1, sizeof *r->need_ix);
    if (!r->need_off || !r->need_ix)
        return mt5_error_set(MT5_ENOMEM, "out of memory");
    size_t w = 0;
    for (size_t i = 0; i < m->n_checks; i++) {
        r->need_off[i] = w;
        for (size_t k = 0; k < m->checks[i].needs.count; k++) {
            const mt5_check_t *need = mt5_manifest_find(m, m->checks[i].needs.items[k]);
            if (!need || need >= &m->checks[i])
                return mt5_error_set(MT5_EINVAL, "%s needs '%s', which is not declared before it",
                                     m->checks[i].id, m->checks[i].needs.items[k]);
            r->need_ix[w++] = (size_t)(need - m->checks);
        }
    }
    r->need_off[m->n_checks] = w;
    return MT5_OK;
}

/* Mark the checks --only names, and everything they need. */
static int s_select(s_runner_t *r, const mt5_gate_options *options)
{
    mt5_gate_run_t *run = r->run;
    const mt5_manifest_t *m = run->manifest;
    for (size_t i = 0; i < m->n_checks; i++)
        run->results[i].selected = options->n_only == 0;
    for (size_t k = 0; k < options->n_only; k++) {
        const char *want = options->only[k];
        bool hit = false;
        for (size_t i = 0; i < m->n_checks; i++)
            if (strcmp(m->checks[i].id, want) == 0 || strcmp(m->checks[i].phase, want) == 0) {
                run->results[i].selected = true;
                hit = true;
            }
        if (!hit)
            return mt5_error_set(MT5_ENOTFOUND, "--only '%s' names no check or phase of %s", want,
                                 m->path ? m->path : "the manifest");
    }
    /* Needs point backwards, so one pass from the end reaches every
     * prerequisite of a prerequisite. */
    for (size_t i = m->n_checks; i-- > 0;) {
        if (!run->results[i].selected)
            continue;
        for (size_t k = r->need_off[i]; k < r->need_off[i + 1]; k++)
            run->results[r->need_ix[k]].selected = true;
    }
    for (size_t i = 0; i < m->n_checks; i++)
        run->selected += run->results[i].selected;
    return MT5_OK;
}

/* Watch the workers from the calling thread: report slow checks. */
static void s_watch(s_runner_t *r)
{
    const mt5_gate_options *o = r->options;
    int delay_ms = o->progress_delay_ms > 0 ? o->progress_delay_ms : 500;
    pthread_mutex_lock(&r->lock);
    size_t reported_done = 0;
    while (r->done < r->run->selected) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 200 * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&r->changed, &r->lock, &until);
        if (!o->progress)
            continue;
        const mt5_check_t *slow = NULL;
        int64_t slow_ms = 0, now_us = mt5_clock_mono_us();
        for (size_t i = 0; i < r->run->n_results; i++) {
            int64_t ms = (now_us - r->started_us[i]) / 1000;
            if (r->state[i] == S_RUNNING && ms >= delay_ms && ms > slow_ms) {
                slow = &r->run->manifest->checks[i];
                slow_ms = ms;
            }
        }
        size_t done = r->done;
        if (slow || done != reported_done) {
            reported_done = done;
            pthread_mutex_unlock(&r->lock);
            o->progress(o->progress_arg, r->run, done, slow, slow_ms);
            pthread_mutex_lock(&r->lock);
        }
    }
    pthread_mutex_unlock(&r->lock);
}

static void s_runner_free(s_runner_t *r)
{
    free(r->state);
    free(r->need_off);
    free(r->need_ix);
    free(r->failed_chain);
    free(r->started_us);
    for (size_t i = 0; i < r->n_offsets; i++)
        free(r->offsets[i].path);
    free(r->offsets);
}

int mt5_gate_run(mt5_gate_run_t **out, const mt5_manifest_t *manifest,
                 const mt5_gate_options *options)
{
    if (!out || !manifest || !options || options->version != MT5_GATE_OPTIONS_VERSION ||
        !options->root)
        return mt5_error_set(MT5_EINVAL, "gate run: missing manifest, root or options");
    if (options->jobs < 1 || options->jobs > 64)
        return mt5_error_set(MT5_EINVAL, "gate run: jobs must be 1 to 64, not %d", options->jobs);
    int jobs = options->jobs;
    int rc = MT5_OK;
    s_runner_t r = {.options = options};
    pthread_t threads[64];
    int started = 0;

    mt5_gate_run_t *run = calloc(1, sizeof *run);
    if (!run)
        return mt5_error_set(MT5_ENOMEM, "out of memory");
    run->manifest = manifest;
    run->n_results = manifest->n_checks;
    run->results = calloc(manifest->n_checks ? manifest->n_checks : 1, sizeof *run->results);
    r.state = calloc(manifest->n_checks + 1, sizeof *r.state);
    r.failed_chain = calloc(manifest->n_checks + 1, sizeof *r.failed_chain);
    r.started_us = calloc(manifest->n_checks + 1, sizeof *r.started_us);
    if (!run->results || !r.state || !r.failed_chain || !r.started_us) {
        rc = mt5_error_set(MT5_ENOMEM, "out of memory");
        goto done;
    }
    if (!realpath(options->root, run->root)) {
        rc = mt5_error_set(MT5_EINVAL, "%s: %s", options->root, strerror(errno));
        goto done;
    }
    for (size_t i = 0; i < manifest->n_checks; i++)
        run->results[i].check = &manifest->checks[i];
    r.run = run;
    if ((rc = s_index_needs(&r)) != MT5_OK || (rc = s_select(&r, options)) != MT5_OK)
        goto done;

    r.now_ms = options->now_ms ? options->now_ms : mt5_clock_wall_ms();
    run->started_ms = mt5_clock_wall_ms();
    if ((rc = s_record_offsets(&r)) != MT5_OK)
        goto done;
    pthread_mutex_init(&r.lock, NULL);
    pthread_cond_init(&r.changed, NULL);
    for (; started < jobs; started++)
        if (pthread_create(&threads[started], NULL, s_worker, &r) != 0)
            break;
    if (started == 0)
        s_worker(&r); /* no thread could start: run them here */
    else
        s_watch(&r);
    for (int t = 0; t < started; t++)
        pthread_join(threads[t], NULL);
    pthread_cond_destroy(&r.changed);
    pthread_mutex_destroy(&r.lock);
    run->finished_ms = mt5_clock_wall_ms();

done:
    s_runner_free(&r);
    if (rc != MT5_OK) {
        mt5_gate_run_destroy(&run);
        return rc;
    }
    *out = run;
    return MT5_OK;
}

void mt5_gate_run_destroy(mt5_gate_run_t **self)
{
    if (!self || !*self)
        return;
    free((*self)->results);
    free(*self);
    *self = NULL;
}
