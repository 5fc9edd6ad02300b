/*  num.c - strict integer, number and boolean parsing. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mt5/error.h"
#include "mt5/num.h"

int mt5_num_int(int64_t *out, const char *text, int64_t min, int64_t max)
{
    if (!out || !text || !*text || isspace((unsigned char)*text))
        return MT5_EPARSE;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (end == text || *end != '\0')
        return MT5_EPARSE;
    if (errno == ERANGE || v < min || v > max)
        return MT5_EINVAL;
    *out = v;
    return MT5_OK;
}

int mt5_num_double(double *out, const char *text, double min, double max)
{
    if (!out || !text || !*text || isspace((unsigned char)*text))
        return MT5_EPARSE;
    /* Decimal only: strtod would also take "inf", "nan" and hex floats. */
    if (strspn(text, "0123456789+-.eE") != strlen(text))
        return MT5_EPARSE;
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end != '\0')
        return MT5_EPARSE;
    if (!isfinite(v) || errno == ERANGE || v < min || v > max)
        return MT5_EINVAL;
    *out = v;
    return MT5_OK;
}

int mt5_num_bool(bool *out, const char *text)
{
    static const struct {
        const char *word;
        bool value;
    } words[] = {{"true", true}, {"false", false}, {"yes", true},
                 {"no", false},  {"on", true},     {"off", false}};
    if (!out || !text)
        return MT5_EPARSE;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        if (strcasecmp(text, words[i].word) == 0) {
            *out = words[i].value;
            return MT5_OK;
        }
    }
    return MT5_EPARSE;
}
