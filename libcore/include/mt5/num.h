/*  mt5/num.h - strict number (and boolean) parsing for text from outside
 *  (command lines, environment variables, configuration, manifests): the
 *  whole string must be the value, in range, or it is an error. strtol's
 *  silent defaults (empty string = 0, "12abc" = 12, overflow = LONG_MAX)
 *  never leak through.
 */
#ifndef MT5_NUM_H
#define MT5_NUM_H

#include <stdbool.h>
#include <stdint.h>

/* Decimal integer with optional sign, min <= value <= max. MT5_OK, or
 * MT5_EPARSE (not an integer) / MT5_EINVAL (out of range); *out is
 * written only on MT5_OK. */
int mt5_num_int(int64_t *out, const char *text, int64_t min, int64_t max);

/* Finite decimal number, min <= value <= max. Same codes. */
int mt5_num_double(double *out, const char *text, double min, double max);

/* A boolean word, in any case: true, yes, on read as true; false, no, off
 * as false. Anything else ("1", "0", "y", "", NULL, blanks around the
 * word) is MT5_EPARSE. *out is written only on MT5_OK. The one table of
 * boolean words: mt5_yaml_bool and the manifest loader use it. */
int mt5_num_bool(bool *out, const char *text);

#endif
