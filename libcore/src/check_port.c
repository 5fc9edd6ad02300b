/*  check_port.c - the port kind: does something accept TCP connections on
 *  host:port within the timeout? The socket is closed as soon as the
 *  connection is up; nothing is sent.
 *
 *  A name lookup can block for seconds (a slow DNS server) and getaddrinfo
 *  has no timeout, so names are resolved on a detached thread that this
 *  check waits for only until the deadline; numeric addresses skip it.
 *  Each address the name has is tried in turn with a non-blocking connect
 *  polled until the deadline.
 */
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check_impl.h"
#include "mt5/clock.h"
#include "mt5/error.h"

/* A lookup shared by the waiting check and the resolver thread; the last
 * of the two to let go frees it. */
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;   /* signalled when done */
    int refs;            /* 2 while both hold it */
    bool done;           /* the thread has an answer */
    int rc;              /* getaddrinfo's */
    struct addrinfo *ai; /* its list, until taken */
    char port[8];
    char host[];
} s_lookup;

static void s_lookup_release(s_lookup *l)
{
    pthread_mutex_lock(&l->mu);
    int left = --l->refs;
    pthread_mutex_unlock(&l->mu);
    if (left > 0)
        return;
    if (l->ai)
        freeaddrinfo(l->ai);
    pthread_cond_destroy(&l->cv);
    pthread_mutex_destroy(&l->mu);
    free(l);
}

static void s_hints(struct addrinfo *hints, int flags)
{
    memset(hints, 0, sizeof *hints);
    hints->ai_family = AF_UNSPEC;
    hints->ai_socktype = SOCK_STREAM;
    hints->ai_flags = AI_NUMERICSERV | flags;
}

static void *s_lookup_main(void *arg)
{
    s_lookup *l = arg;
    struct addrinfo hints, *ai = NULL;
    s_hints(&hints, 0);
    int rc = getaddrinfo(l->host, l->port, &hints, &ai);
    pthread_mutex_lock(&l->mu);
    l->rc = rc;
    l->ai = rc == 0 ? ai : NULL;
    l->done = true;
    pthread_cond_signal(&l->cv);
    pthread_mutex_unlock(&l->mu);
    s_lookup_release(l);
    return NULL;
}

/* Resolve host:port by the deadline. 0 and *ai (freeaddrinfo), an EAI_*
 * code, or EAI_AGAIN with *timed_out when the deadline passed first. */
static int s_resolve(struct addrinfo **ai, bool *timed_out, const char *host, const char *port,
                     int64_t deadline_us)
{
    struct addrinfo hints;
    s_hints(&hints, AI_NUMERICHOST);
    if (getaddrinfo(host, port, &hints, ai) == 0)
        return 0;
    size_t hl = strlen(host);
    s_lookup *l = calloc(1, sizeof *l + hl + 1);
    if (!l)
        return EAI_MEMORY;
    memcpy(l->host, host, hl + 1);
    snprintf(l->port, sizeof l->port, "%s", port);
    l->refs = 2;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_attr_t ta;
    pthread_attr_init(&ta);
    pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
    pthread_t thread;
    if (pthread_create(&thread, &ta, s_lookup_main, l) != 0) {
        /* No thread to spare: resolve here, without the deadline. */
        pthread_attr_destroy(&ta);
        l->refs = 1;
        s_lookup_release(l);
        s_hints(&hints, 0);
        return getaddrinfo(host, port, &hints, ai);
    }
    pthread_attr_destroy(&ta);
    struct timespec until = {(time_t)(deadline_us / 1000000), (long)(deadline_us % 1000000) * 1000};
    pthread_mutex_lock(&l->mu);
    while (!l->done && pthread_cond_timedwait(&l->cv, &l->mu, &until) != ETIMEDOUT) {
    }
    int rc = EAI_AGAIN;
    *timed_out = !l->done;
    if (l->done) {
        rc = l->rc;
        *ai = l->ai;
        l->ai = NULL;
    }
    pthread_mutex_unlock(&l->mu);
    s_lookup_release(l);
    return rc;
}

/* Connect to one address by the deadline: 0, ETIMEDOUT or the errno. */
static int s_connect(const struct addrinfo *a, int64_t deadline_us)
{
    int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0)
        return errno;
    int err = 0;
    if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
        err = errno;
        while (err == EINPROGRESS || err == EINTR) {
            int64_t left_us = deadline_us - mt5_clock_mono_us();
            if (left_us <= 0) {
                err = ETIMEDOUT;
                break;
            }
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            int r = poll(&p, 1, (int)((left_us + 999) / 1000));
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0) {
                err = errno;
                break;
            }
            if (r == 0)
                continue; /* the loop sees the deadline */
            socklen_t len = sizeof err;
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
                err = errno;
        }
    }
    close(fd);
    return err;
}

int mt5_check_port_run(mt5_check_result_t *out, const mt5_check_t *check,
                       const mt5_check_ctx_t *ctx)
{
    const mt5_check_port_t *p = &check->u.port;
    if (!p->host || !p->host[0] || p->port < 1 || p->port > 65535)
        return check_verdict(out, MT5_STATUS_ERROR,
                             "the port check needs a host and a port "
                             "1-65535");
    /* Refuse what no resolver could answer before asking one: a name
     * lookup is traffic, and this one would only come back empty. */
    for (const char *h = p->host; *h; h++)
        if (!isalnum((unsigned char)*h) && !strchr(".-_:%", *h))
            return check_verdict(out, MT5_STATUS_ERROR, "'%s' is not a host name or address",
                                 p->host);
    char port[8], where[300];
    snprintf(port, sizeof port, "%d", p->port);
    bool v6 = strchr(p->host, ':') != NULL;
    snprintf(where, sizeof where, "%s%s%s:%d", v6 ? "[" : "", p->host, v6 ? "]" : "", p->port);

    struct addrinfo *ai = NULL;
    bool timed_out = false;
    int rc = s_resolve(&ai, &timed_out, p->host, port, ctx->deadline_us);
    if (timed_out) {
        check_timeout(out, check);
        check_evidence(out, "no answer from the resolver for '%s'", p->host);
        return MT5_OK;
    }
    if (rc != 0)
        return check_verdict(out, MT5_STATUS_ERROR, "cannot resolve '%s': %s", p->host,
                             gai_strerror(rc));

    int err = ENOENT;
    char addr[NI_MAXHOST] = "";
    for (const struct addrinfo *a = ai; a; a = a->ai_next) {
        if (getnameinfo(a->ai_addr, a->ai_addrlen, addr, sizeof addr, NULL, 0, NI_NUMERICHOST))
            snprintf(addr, sizeof addr, "?");
        int64_t t0 = mt5_clock_mono_us();
        err = s_connect(a, ctx->deadline_us);
        if (err == 0) {
            int64_t us = mt5_clock_mono_us() - t0;
            check_verdict(out, MT5_STATUS_PASS, "%s accepts connections (%.1f ms)", where,
                          (double)us / 1000.0);
            check_evidence(out, "connected to %s port %d in %lld us", addr, p->port, (long long)us);
            goto done;
        }
        if (err == ETIMEDOUT)
            break;
    }
    if (err == ETIMEDOUT) {
        check_timeout(out, check);
        check_evidence(out, "no answer from %s port %d", addr, p->port);
    } else if (err == ECONNREFUSED) {
        check_verdict(out, MT5_STATUS_FAIL, "%s: connection refused", where);
        check_evidence(out, "%s port %d refused the connection", addr, p->port);
    } else {
        char buf[128];
        strerror_r(err, buf, sizeof buf);
        check_verdict(out, MT5_STATUS_FAIL, "%s: %s", where, buf);
        check_evidence(out, "connecting to %s port %d: %s", addr, p->port, buf);
    }

done:
    freeaddrinfo(ai);
    return MT5_OK;
}
