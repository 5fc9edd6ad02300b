/*  mt5/json.h - JSON values, parsed and built.
 *
 *  The one room where libcore's JSON library lives: everything else (the
 *  codec, tool output, reports) builds and reads JSON through this API, so
 *  the library can be swapped without touching its users.
 */
#ifndef MT5_JSON_H
#define MT5_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mt5_json_t mt5_json_t;

typedef enum {
    MT5_JSON_INVALID = 0, MT5_JSON_NULL, MT5_JSON_BOOL, MT5_JSON_NUMBER,
    MT5_JSON_STRING, MT5_JSON_ARRAY, MT5_JSON_OBJECT
} mt5_json_kind;

/* Parse exactly `len` bytes holding one JSON value (trailing bytes other
 * than white space are an error). Caller owns, destroy with
 * mt5_json_destroy(); NULL when it does not parse. */
mt5_json_t *mt5_json_parse(const char *text, size_t len);

/* New empty object / array. Caller owns, destroy with mt5_json_destroy(). */
mt5_json_t *mt5_json_object(void);
mt5_json_t *mt5_json_array(void);
void mt5_json_destroy(mt5_json_t **self);

/* Print without white space (or indented when pretty). Caller owns, free
 * with free(); NULL on out of memory. */
char *mt5_json_print(const mt5_json_t *self, bool pretty);

/* Add a member to an object (keys are not checked for duplicates) or,
 * with key NULL, an element to an array. MT5_OK or MT5_ENOMEM/EINVAL. */
int mt5_json_add_string(mt5_json_t *self, const char *key, const char *value);
int mt5_json_add_number(mt5_json_t *self, const char *key, double value);
int mt5_json_add_int(mt5_json_t *self, const char *key, int64_t value);
int mt5_json_add_bool(mt5_json_t *self, const char *key, bool value);
int mt5_json_add_null(mt5_json_t *self, const char *key);
/* Takes *child (sets it to NULL), also on failure. */
int mt5_json_add(mt5_json_t *self, const char *key, mt5_json_t **child);

/* Reading. Borrowed pointers stay valid while the root lives. */
mt5_json_kind mt5_json_kind_of(const mt5_json_t *self);
const mt5_json_t *mt5_json_get(const mt5_json_t *object, const char *key);
size_t mt5_json_size(const mt5_json_t *self);   /* array or object members */
const mt5_json_t *mt5_json_at(const mt5_json_t *self, size_t i);
const char *mt5_json_key(const mt5_json_t *member);  /* name of an object member */
const char *mt5_json_string(const mt5_json_t *self); /* NULL if not a string */
double mt5_json_number(const mt5_json_t *self);      /* NAN if not a number */
bool mt5_json_true(const mt5_json_t *self);

#endif
