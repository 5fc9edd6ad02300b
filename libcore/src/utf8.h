/*  utf8.h - UTF-8 validation shared inside libcore.
 *
 *  Evidence and reports carry bytes from files nobody vetted; every writer
 *  that must emit valid UTF-8 (evidence escaping, JSON, XML, TAP) asks the
 *  same question of the same rule, Unicode's table 3-7.
 */
#ifndef MT5_UTF8_H
#define MT5_UTF8_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at p (n >= 1 bytes left): 1..4, or 0
 * when it is invalid or cut short (no overlongs, no surrogates, nothing
 * above U+10FFFF). */
size_t mt5_utf8_len(const unsigned char *p, size_t n);

#endif
