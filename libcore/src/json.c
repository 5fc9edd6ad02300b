/*  json.c - JSON values on top of cJSON.
 *
 *  mt5_json_t is a cJSON node under another name: the wrapper costs a cast,
 *  not a copy, and keeps cJSON's types out of every public header. This is
 *  the only file that includes cJSON.h.
 *
 *  Two things are added to cJSON. Integers of 16 or more digits become raw
 *  nodes holding their exact decimal text, because cJSON 1.7.15 prints a
 *  number with 15 significant digits whenever that reads back "close
 *  enough", which rounds them. And the *_ref builders attach keys and
 *  strings by reference, so a tree that is printed and freed at once costs
 *  no copies of them.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "mt5/error.h"
#include "mt5/json.h"

#define J(p) ((cJSON *)(p))
#define CJ(p) ((const cJSON *)(p))

/* cJSON's type without its flag bits (reference, constant key). */
#define S_TYPE(j) ((j)->type & 0xFF)

/* Integers this far from zero print as exact text (see the top). */
#define S_EXACT_INT_FROM 1e15

mt5_json_t *mt5_json_parse(const char *text, size_t len)
{
    if (!text)
        return NULL;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!root)
        return NULL;
    /* cJSON stops after the value; only white space may follow it. */
    for (const char *p = end; p < text + len; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
            cJSON_Delete(root);
            return NULL;
        }
    }
    return (mt5_json_t *)root;
}

mt5_json_t *mt5_json_object(void)
{
    return (mt5_json_t *)cJSON_CreateObject();
}

mt5_json_t *mt5_json_array(void)
{
    return (mt5_json_t *)cJSON_CreateArray();
}

void mt5_json_destroy(mt5_json_t **self)
{
    if (!self || !*self)
        return;
    cJSON_Delete(J(*self));
    *self = NULL;
}

char *mt5_json_print(const mt5_json_t *self, bool pretty)
{
    if (!self)
        return NULL;
    return pretty ? cJSON_Print(CJ(self)) : cJSON_PrintUnformatted(CJ(self));
}

/* ---- building ------------------------------------------------------------ */

/* Attach item (taken, also on failure) under key, or to an array when key
 * is NULL; a borrowed key is referenced, not copied. */
static int s_attach(mt5_json_t *self, const char *key, cJSON *item, bool borrowed)
{
    if (!item)
        return MT5_ENOMEM;
    if (!self || (key && !cJSON_IsObject(J(self))) || (!key && !cJSON_IsArray(J(self)))) {
        cJSON_Delete(item);
        return MT5_EINVAL;
    }
    bool added = !key       ? cJSON_AddItemToArray(J(self), item)
                 : borrowed ? cJSON_AddItemToObjectCS(J(self), key, item)
                            : cJSON_AddItemToObject(J(self), key, item);
    if (!added) {
        cJSON_Delete(item);
        return MT5_ENOMEM;
    }
    return MT5_OK;
}

static cJSON *s_string(const char *value, bool borrowed)
{
    if (!value)
        return cJSON_CreateNull();
    return borrowed ? cJSON_CreateStringReference(value) : cJSON_CreateString(value);
}

static cJSON *s_number(double value)
{
    /* JSON has no NaN or infinity; null is the honest spelling. */
    return isfinite(value) ? cJSON_CreateNumber(value) : cJSON_CreateNull();
}

/* A raw node printing as text that still reads as the number value: raw
 * nodes come only from here (parsing never makes one), so mt5_json_kind_of
 * and mt5_json_number can take every raw node for a number. */
static cJSON *s_exact(const char *text, double value)
{
    cJSON *item = cJSON_CreateRaw(text);
    if (item)
        item->valuedouble = value;
    return item;
}

static cJSON *s_int(int64_t value)
{
    if (value > -S_EXACT_INT_FROM && value < S_EXACT_INT_FROM)
        return cJSON_CreateNumber((double)value);
    char text[24];
    snprintf(text, sizeof text, "%lld", (long long)value);
    return s_exact(text, (double)value);
}

static cJSON *s_uint(uint64_t value)
{
    if (value <= INT64_MAX)
        return s_int((int64_t)value);
    char text[24];
    snprintf(text, sizeof text, "%llu", (unsigned long long)value);
    return s_exact(text, (double)value);
}

/* Take *child, whatever happens next. */
static cJSON *s_take(mt5_json_t **child)
{
    if (!child)
        return NULL;
    cJSON *item = J(*child);
    *child = NULL;
    return item;
}

int mt5_json_add_string(mt5_json_t *self, const char *key, const char *value)
{
    return s_attach(self, key, s_string(value, false), false);
}

int mt5_json_add_number(mt5_json_t *self, const char *key, double value)
{
    return s_attach(self, key, s_number(value), false);
}

int mt5_json_add_int(mt5_json_t *self, const char *key, int64_t value)
{
    return s_attach(self, key, s_int(value), false);
}

int mt5_json_add_uint(mt5_json_t *self, const char *key, uint64_t value)
{
    return s_attach(self, key, s_uint(value), false);
}

int mt5_json_add_bool(mt5_json_t *self, const char *key, bool value)
{
    return s_attach(self, key, cJSON_CreateBool(value), false);
}

int mt5_json_add_null(mt5_json_t *self, const char *key)
{
    return s_attach(self, key, cJSON_CreateNull(), false);
}

int mt5_json_add(mt5_json_t *self, const char *key, mt5_json_t **child)
{
    cJSON *item = s_take(child);
    return item ? s_attach(self, key, item, false) : MT5_EINVAL;
}

int mt5_json_add_string_ref(mt5_json_t *self, const char *key, const char *value)
{
    return s_attach(self, key, s_string(value, true), true);
}

int mt5_json_add_number_ref(mt5_json_t *self, const char *key, double value)
{
    return s_attach(self, key, s_number(value), true);
}

int mt5_json_add_int_ref(mt5_json_t *self, const char *key, int64_t value)
{
    return s_attach(self, key, s_int(value), true);
}

int mt5_json_add_uint_ref(mt5_json_t *self, const char *key, uint64_t value)
{
    return s_attach(self, key, s_uint(value), true);
}

int mt5_json_add_bool_ref(mt5_json_t *self, const char *key, bool value)
{
    return s_attach(self, key, cJSON_CreateBool(value), true);
}

int mt5_json_add_null_ref(mt5_json_t *self, const char *key)
{
    return s_attach(self, key, cJSON_CreateNull(), true);
}

int mt5_json_add_ref(mt5_json_t *self, const char *key, mt5_json_t **child)
{
    cJSON *item = s_take(child);
    return item ? s_attach(self, key, item, true) : MT5_EINVAL;
}

int mt5_json_remove(mt5_json_t *self, const char *key)
{
    if (!cJSON_IsObject(J(self)) || !key)
        return MT5_EINVAL;
    cJSON *item = cJSON_DetachItemFromObjectCaseSensitive(J(self), key);
    if (!item)
        return MT5_ENOTFOUND;
    cJSON_Delete(item);
    return MT5_OK;
}

/* ---- reading ----------------------------------------------------------------
 *
 * These sit on the decoder's hot path, so they test cJSON's type field
 * directly rather than through a call per test.
 */

mt5_json_kind mt5_json_kind_of(const mt5_json_t *self)
{
    if (!self)
        return MT5_JSON_INVALID;
    switch (S_TYPE(CJ(self))) {
    case cJSON_NULL:
        return MT5_JSON_NULL;
    case cJSON_False:
    case cJSON_True:
        return MT5_JSON_BOOL;
    case cJSON_Number:
    case cJSON_Raw: /* an exact integer, see s_exact */
        return MT5_JSON_NUMBER;
    case cJSON_String:
        return MT5_JSON_STRING;
    case cJSON_Array:
        return MT5_JSON_ARRAY;
    case cJSON_Object:
        return MT5_JSON_OBJECT;
    default:
        return MT5_JSON_INVALID;
    }
}

const mt5_json_t *mt5_json_get(const mt5_json_t *object, const char *key)
{
    if (!object || S_TYPE(CJ(object)) != cJSON_Object || !key)
        return NULL;
    return (const mt5_json_t *)cJSON_GetObjectItemCaseSensitive(CJ(object), key);
}

size_t mt5_json_size(const mt5_json_t *self)
{
    size_t n = 0;
    for (const mt5_json_t *m = mt5_json_first(self); m; m = mt5_json_next(m))
        n++;
    return n;
}

const mt5_json_t *mt5_json_at(const mt5_json_t *self, size_t i)
{
    const mt5_json_t *m = mt5_json_first(self);
    while (m && i--)
        m = mt5_json_next(m);
    return m;
}

const mt5_json_t *mt5_json_first(const mt5_json_t *self)
{
    if (!self || (S_TYPE(CJ(self)) != cJSON_Array && S_TYPE(CJ(self)) != cJSON_Object))
        return NULL;
    return (const mt5_json_t *)CJ(self)->child;
}

const mt5_json_t *mt5_json_next(const mt5_json_t *member)
{
    return member ? (const mt5_json_t *)CJ(member)->next : NULL;
}

const char *mt5_json_key(const mt5_json_t *member)
{
    return member ? CJ(member)->string : NULL;
}

const char *mt5_json_string(const mt5_json_t *self)
{
    return self && S_TYPE(CJ(self)) == cJSON_String ? CJ(self)->valuestring : NULL;
}

double mt5_json_number(const mt5_json_t *self)
{
    if (!self || (S_TYPE(CJ(self)) != cJSON_Number && S_TYPE(CJ(self)) != cJSON_Raw))
        return NAN;
    return CJ(self)->valuedouble;
}

bool mt5_json_true(const mt5_json_t *self)
{
    return self && S_TYPE(CJ(self)) == cJSON_True;
}

void mt5_json_set_allocator(void *(*malloc_fn)(size_t), void (*free_fn)(void *))
{
    /* cJSON takes NULL members as malloc and free, and uses realloc only
     * when both are the defaults. */
    cJSON_Hooks hooks = {malloc_fn, free_fn};
    cJSON_InitHooks(&hooks);
}
