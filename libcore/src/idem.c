/*  idem.c - the gateway's memory of executed orders: req_id -> (digest,
 *  reply).
 *
 *  An order must never execute twice, so nothing is ever evicted: the table
 *  only grows, and its size is bounded by what the gateway executes in one
 *  run. Open addressing with linear probing keeps an entry and its probe
 *  sequence in one array, which is all a table that never deletes needs
 *  (no tombstones). The capacity is a power of two so a probe wraps with a
 *  mask, and the table doubles before it is 70% full so probes stay short.
 */
#include <stdlib.h>
#include <string.h>

#include "mt5/error.h"
#include "mt5/idem.h"
#include "mt5/proto.h"

#define S_INITIAL_CAP 64 /* entries; a power of two */

typedef struct {
    char *reply;                     /* owned copy; NULL marks a free slot */
    uint64_t hash;                   /* of req_id, kept to rehash cheaply */
    uint8_t digest[32];              /* SHA-256 of the canonical string */
    char req_id[MT5_REQ_ID_MAX + 1]; /* NUL-terminated copy */
} s_entry_t;

struct mt5_idem_t {
    s_entry_t *entries; /* cap slots */
    size_t cap;         /* a power of two */
    size_t count;       /* used slots */
};

/* 64-bit FNV-1a over the req_id. */
static uint64_t s_hash(const char *text, size_t len)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)text[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* Length of a usable req_id, or 0 (with detail) if it is not one. */
static size_t s_req_id_len(const char *req_id, const char *what)
{
    size_t len = req_id ? strnlen(req_id, MT5_REQ_ID_MAX + 1) : 0;
    if (len == 0 || len > MT5_REQ_ID_MAX) {
        mt5_error_set(MT5_EINVAL, "idem %s: req_id must be 1 to %d characters", what,
                      MT5_REQ_ID_MAX);
        return 0;
    }
    return len;
}

/* The slot holding req_id, or the free slot where it would go. */
static s_entry_t *s_find(s_entry_t *entries, size_t cap, const char *req_id, size_t len,
                         uint64_t hash)
{
    size_t mask = cap - 1;
    for (size_t i = (size_t)hash & mask;; i = (i + 1) & mask) {
        s_entry_t *entry = &entries[i];
        if (!entry->reply)
            return entry;
        if (entry->hash == hash && memcmp(entry->req_id, req_id, len + 1) == 0)
            return entry;
    }
}

static int s_grow(mt5_idem_t *self)
{
    size_t cap = self->cap * 2;
    if (cap < self->cap || cap > SIZE_MAX / sizeof(s_entry_t))
        return mt5_error_set(MT5_ENOMEM, "idem: table cannot grow beyond %zu entries", self->cap);
    s_entry_t *entries = calloc(cap, sizeof *entries);
    if (!entries)
        return mt5_error_set(MT5_ENOMEM, "idem: out of memory growing to %zu entries", cap);
    for (size_t i = 0; i < self->cap; i++) {
        const s_entry_t *old = &self->entries[i];
        if (old->reply)
            *s_find(entries, cap, old->req_id, strlen(old->req_id), old->hash) = *old;
    }
    free(self->entries);
    self->entries = entries;
    self->cap = cap;
    return MT5_OK;
}

mt5_idem_t *mt5_idem_new(void)
{
    mt5_idem_t *self = calloc(1, sizeof *self);
    if (self)
        self->entries = calloc(S_INITIAL_CAP, sizeof *self->entries);
    if (!self || !self->entries) {
        free(self);
        mt5_error_set(MT5_ENOMEM, "idem: out of memory");
        return NULL;
    }
    self->cap = S_INITIAL_CAP;
    return self;
}

void mt5_idem_destroy(mt5_idem_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    mt5_idem_t *self = *self_p;
    for (size_t i = 0; i < self->cap; i++)
        free(self->entries[i].reply);
    free(self->entries);
    free(self);
    *self_p = NULL;
}

int mt5_idem_lookup(const mt5_idem_t *self, const char *req_id, const uint8_t digest[32],
                    const char **reply)
{
    if (!self || !digest)
        return mt5_error_set(MT5_EINVAL, "idem lookup: NULL table or digest");
    size_t len = s_req_id_len(req_id, "lookup");
    if (len == 0)
        return MT5_EINVAL;
    const s_entry_t *entry = s_find(self->entries, self->cap, req_id, len, s_hash(req_id, len));
    if (!entry->reply)
        return mt5_error_set(MT5_ENOTFOUND, "idem: req_id %s was never executed", req_id);
    if (memcmp(entry->digest, digest, sizeof entry->digest) != 0)
        return mt5_error_set(MT5_ESTATE, "idem: req_id %s was used for a different request",
                             req_id);
    if (reply)
        *reply = entry->reply;
    return MT5_OK;
}

int mt5_idem_store(mt5_idem_t *self, const char *req_id, const uint8_t digest[32],
                   const char *reply)
{
    if (!self || !digest || !reply)
        return mt5_error_set(MT5_EINVAL, "idem store: NULL table, digest or reply");
    size_t len = s_req_id_len(req_id, "store");
    if (len == 0)
        return MT5_EINVAL;
    uint64_t hash = s_hash(req_id, len);
    s_entry_t *entry = s_find(self->entries, self->cap, req_id, len, hash);
    if (entry->reply)
        return mt5_error_set(MT5_ESTATE, "idem: req_id %s is already stored", req_id);

    /* Keep the load under 70%; growing moves the free slot, so find again. */
    if ((self->count + 1) * 10 > self->cap * 7) {
        int rc = s_grow(self);
        if (rc != MT5_OK)
            return rc;
        entry = s_find(self->entries, self->cap, req_id, len, hash);
    }
    size_t size = strlen(reply) + 1;
    char *copy = malloc(size);
    if (!copy)
        return mt5_error_set(MT5_ENOMEM, "idem: out of memory storing req_id %s", req_id);
    memcpy(copy, reply, size);

    entry->reply = copy;
    entry->hash = hash;
    memcpy(entry->digest, digest, sizeof entry->digest);
    memcpy(entry->req_id, req_id, len + 1);
    self->count++;
    return MT5_OK;
}

size_t mt5_idem_count(const mt5_idem_t *self)
{
    return self ? self->count : 0;
}
