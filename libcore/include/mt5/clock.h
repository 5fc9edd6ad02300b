/*  mt5/clock.h - wall clock, monotonic clock and ISO 8601 times.
 *
 *  Wall time (Unix ms) is what crosses the wire and goes into logs;
 *  monotonic time is what timeouts and round trips are measured with.
 */
#ifndef MT5_CLOCK_H
#define MT5_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Unix time in milliseconds (CLOCK_REALTIME). */
int64_t mt5_clock_wall_ms(void);

/* Monotonic time in microseconds, from an arbitrary origin. */
int64_t mt5_clock_mono_us(void);

/*  Write `ms` as "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC) into buf, NUL-terminated.
 *  cap must be at least MT5_ISO_TIME_LEN + 1. Returns MT5_OK or MT5_EINVAL. */
#define MT5_ISO_TIME_LEN 24
int mt5_clock_format_iso(char *buf, size_t cap, int64_t ms);

/*  Parse exactly "YYYY-MM-DDTHH:MM:SS.mmmZ" (len bytes, no NUL needed) into
 *  *ms. Fields are range-checked (month 1-12, day valid for the month, ...).
 *  Returns MT5_OK, or MT5_EPARSE and leaves *ms alone. */
int mt5_clock_parse_iso(int64_t *ms, const char *text, size_t len);

#endif
