/*  mt5/idem.h - the gateway's memory of executed orders (docs/protocol.md 6).
 *
 *  req_id -> (SHA-256 of the canonical string, reply). A hash table with
 *  open addressing; entries are never evicted, so a req_id is never
 *  executed twice while the gateway runs.
 */
#ifndef MT5_IDEM_H
#define MT5_IDEM_H

#include <stddef.h>
#include <stdint.h>

typedef struct mt5_idem_t mt5_idem_t;

/* Caller owns, destroy with mt5_idem_destroy(); NULL on out of memory. */
mt5_idem_t *mt5_idem_new(void);
void mt5_idem_destroy(mt5_idem_t **self);

/*  Look req_id up. MT5_OK: same digest, *reply is the stored reply
 *  (borrowed, valid while self lives). MT5_ESTATE: known req_id with a
 *  different digest (REQ_ID_REUSED). MT5_ENOTFOUND: never seen. */
int mt5_idem_lookup(const mt5_idem_t *self, const char *req_id, const uint8_t digest[32],
                    const char **reply);

/* Remember req_id's digest and reply (copied). MT5_OK, MT5_ESTATE if the
 * req_id is already stored, MT5_ENOMEM. */
int mt5_idem_store(mt5_idem_t *self, const char *req_id, const uint8_t digest[32],
                   const char *reply);

size_t mt5_idem_count(const mt5_idem_t *self);

#endif
