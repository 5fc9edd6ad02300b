/*  mt5/json.h - JSON values, parsed and built.
 *
 *  The one room where libcore's JSON library lives: everything else (the
 *  codec, tool output, reports) builds and reads JSON through this API, so
 *  the library can be swapped without touching its users. A value is the
 *  library's own node under another name, so the API costs a call, never a
 *  copy of the tree.
 *
 *  Numbers print in their shortest form of up to 15 significant digits (17
 *  when 15 would not read back close enough); integers added with
 *  mt5_json_add_int or mt5_json_add_uint always print exactly, at any size.
 */
#ifndef MT5_JSON_H
#define MT5_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mt5_json_t mt5_json_t;

typedef enum {
    MT5_JSON_INVALID = 0,
    MT5_JSON_NULL,
    MT5_JSON_BOOL,
    MT5_JSON_NUMBER,
    MT5_JSON_STRING,
    MT5_JSON_ARRAY,
    MT5_JSON_OBJECT
} mt5_json_kind;

/* Parse exactly `len` bytes holding one JSON value (trailing bytes other
 * than white space are an error). Caller owns, destroy with
 * mt5_json_destroy(); NULL when it does not parse or out of memory. */
mt5_json_t *mt5_json_parse(const char *text, size_t len);

/* New empty object / array. Caller owns, destroy with mt5_json_destroy();
 * NULL on out of memory. */
mt5_json_t *mt5_json_object(void);
mt5_json_t *mt5_json_array(void);
/* Destroy a value and everything in it; accepts NULL, sets *self to NULL. */
void mt5_json_destroy(mt5_json_t **self);

/* Print without white space (or indented when pretty). Caller owns, free
 * with free(); NULL on out of memory. */
char *mt5_json_print(const mt5_json_t *self, bool pretty);

/* Add a member to an object (keys are not checked for duplicates) or,
 * with key NULL, an element to an array. Key and string value are copied.
 * A NULL string value adds null; a NaN or infinite number adds null.
 * MT5_OK, MT5_ENOMEM, or MT5_EINVAL (self NULL, key given to an array or
 * missing for an object). */
int mt5_json_add_string(mt5_json_t *self, const char *key, const char *value);
int mt5_json_add_number(mt5_json_t *self, const char *key, double value);
int mt5_json_add_int(mt5_json_t *self, const char *key, int64_t value);
int mt5_json_add_uint(mt5_json_t *self, const char *key, uint64_t value);
int mt5_json_add_bool(mt5_json_t *self, const char *key, bool value);
int mt5_json_add_null(mt5_json_t *self, const char *key);
/* Takes *child and sets it to NULL: attached on success, destroyed on
 * failure. MT5_EINVAL when there is no child. */
int mt5_json_add(mt5_json_t *self, const char *key, mt5_json_t **child);

/* The same without copies, for throw-away trees printed and destroyed at
 * once (the codec's replies on the gateway's hot path): key and string
 * value are borrowed, so they must stay valid and unchanged until the root
 * is destroyed. String literals always do. mt5_json_add_ref borrows the
 * key and takes *child as mt5_json_add does. */
int mt5_json_add_string_ref(mt5_json_t *self, const char *key, const char *value);
int mt5_json_add_number_ref(mt5_json_t *self, const char *key, double value);
int mt5_json_add_int_ref(mt5_json_t *self, const char *key, int64_t value);
int mt5_json_add_uint_ref(mt5_json_t *self, const char *key, uint64_t value);
int mt5_json_add_bool_ref(mt5_json_t *self, const char *key, bool value);
int mt5_json_add_null_ref(mt5_json_t *self, const char *key);
int mt5_json_add_ref(mt5_json_t *self, const char *key, mt5_json_t **child);

/* Remove the first member named key from an object and destroy it (and so
 * invalidate every borrowed pointer into it). MT5_OK, MT5_ENOTFOUND when
 * there is none, MT5_EINVAL when self is not an object or key is NULL. */
int mt5_json_remove(mt5_json_t *self, const char *key);

/* Reading. Borrowed pointers stay valid while the root lives (and the
 * member is not removed). */
mt5_json_kind mt5_json_kind_of(const mt5_json_t *self);
/* The first member named key (case-sensitive); NULL if none or not an object. */
const mt5_json_t *mt5_json_get(const mt5_json_t *object, const char *key);
/* Members of an array or object, counted (O(n)); 0 for anything else. */
size_t mt5_json_size(const mt5_json_t *self);
/* Member i, found by walking from the first (O(i)); NULL past the end. */
const mt5_json_t *mt5_json_at(const mt5_json_t *self, size_t i);
/* Walking in order, O(1) a step: the first member of an array or object,
 * the one after `member`; NULL at the end or for anything else.
 *     for (const mt5_json_t *m = mt5_json_first(o); m; m = mt5_json_next(m)) */
const mt5_json_t *mt5_json_first(const mt5_json_t *self);
const mt5_json_t *mt5_json_next(const mt5_json_t *member);
const char *mt5_json_key(const mt5_json_t *member);  /* name of an object member */
const char *mt5_json_string(const mt5_json_t *self); /* NULL if not a string */
/* The number as a double (the nearest one for a large integer added with
 * mt5_json_add_int/uint); NAN if not a number. */
double mt5_json_number(const mt5_json_t *self);
bool mt5_json_true(const mt5_json_t *self); /* false for anything but true */

/*  For tests that inject out-of-memory failures: every allocation and free
 *  of JSON values and printed text goes through these from now on; NULL
 *  restores the default (malloc, free). Wrap malloc and free: free() must
 *  release what malloc_fn returns (printed text is freed with free()), and
 *  free_fn what malloc() returned (a value may outlive the switch). Global
 *  and not thread-safe: switch only while no other thread uses JSON. */
void mt5_json_set_allocator(void *(*malloc_fn)(size_t), void (*free_fn)(void *));

#endif
