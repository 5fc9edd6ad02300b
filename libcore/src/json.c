/*  json.c - JSON values on top of cJSON.
 *
 *  mt5_json_t is a cJSON node under another name: the wrapper costs a cast,
 *  not a copy, and keeps cJSON's types out of every public header.
 */
#include <math.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "mt5/error.h"
#include "mt5/json.h"

#define J(p) ((cJSON *)(p))
#define CJ(p) ((const cJSON *)(p))

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

static int s_attach(mt5_json_t *self, const char *key, cJSON *item)
{
    if (!item)
        return MT5_ENOMEM;
    if (!self || (key && !cJSON_IsObject(J(self))) || (!key && !cJSON_IsArray(J(self)))) {
        cJSON_Delete(item);
        return MT5_EINVAL;
    }
    if (key ? !cJSON_AddItemToObject(J(self), key, item) : !cJSON_AddItemToArray(J(self), item)) {
        cJSON_Delete(item);
        return MT5_ENOMEM;
    }
    return MT5_OK;
}

int mt5_json_add_string(mt5_json_t *self, const char *key, const char *value)
{
    return s_attach(self, key, value ? cJSON_CreateString(value) : cJSON_CreateNull());
}

int mt5_json_add_number(mt5_json_t *self, const char *key, double value)
{
    /* JSON has no NaN or infinity; null is the honest spelling. */
    return s_attach(self, key, isfinite(value) ? cJSON_CreateNumber(value) : cJSON_CreateNull());
}

int mt5_json_add_int(mt5_json_t *self, const char *key, int64_t value)
{
    return s_attach(self, key, cJSON_CreateNumber((double)value));
}

int mt5_json_add_bool(mt5_json_t *self, const char *key, bool value)
{
    return s_attach(self, key, cJSON_CreateBool(value));
}

int mt5_json_add_null(mt5_json_t *self, const char *key)
{
    return s_attach(self, key, cJSON_CreateNull());
}

int mt5_json_add(mt5_json_t *self, const char *key, mt5_json_t **child)
{
    if (!child || !*child)
        return MT5_EINVAL;
    cJSON *item = J(*child);
    *child = NULL;
    return s_attach(self, key, item);
}

mt5_json_kind mt5_json_kind_of(const mt5_json_t *self)
{
    const cJSON *j = CJ(self);
    if (!j)
        return MT5_JSON_INVALID;
    if (cJSON_IsNull(j))
        return MT5_JSON_NULL;
    if (cJSON_IsBool(j))
        return MT5_JSON_BOOL;
    if (cJSON_IsNumber(j))
        return MT5_JSON_NUMBER;
    if (cJSON_IsString(j))
        return MT5_JSON_STRING;
    if (cJSON_IsArray(j))
        return MT5_JSON_ARRAY;
    if (cJSON_IsObject(j))
        return MT5_JSON_OBJECT;
    return MT5_JSON_INVALID;
}

const mt5_json_t *mt5_json_get(const mt5_json_t *object, const char *key)
{
    if (!cJSON_IsObject(CJ(object)) || !key)
        return NULL;
    return (const mt5_json_t *)cJSON_GetObjectItemCaseSensitive(CJ(object), key);
}

size_t mt5_json_size(const mt5_json_t *self)
{
    const cJSON *j = CJ(self);
    if (!cJSON_IsArray(j) && !cJSON_IsObject(j))
        return 0;
    return (size_t)cJSON_GetArraySize(j);
}

const mt5_json_t *mt5_json_at(const mt5_json_t *self, size_t i)
{
    const cJSON *j = CJ(self);
    if ((!cJSON_IsArray(j) && !cJSON_IsObject(j)) || i > (size_t)INT32_MAX)
        return NULL;
    return (const mt5_json_t *)cJSON_GetArrayItem(j, (int)i);
}

const char *mt5_json_key(const mt5_json_t *member)
{
    return member ? CJ(member)->string : NULL;
}

const char *mt5_json_string(const mt5_json_t *self)
{
    return cJSON_IsString(CJ(self)) ? CJ(self)->valuestring : NULL;
}

double mt5_json_number(const mt5_json_t *self)
{
    return cJSON_IsNumber(CJ(self)) ? CJ(self)->valuedouble : NAN;
}

bool mt5_json_true(const mt5_json_t *self)
{
    return cJSON_IsTrue(CJ(self));
}
