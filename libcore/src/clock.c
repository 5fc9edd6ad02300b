/*  clock.c - wall and monotonic clocks, ISO 8601 UTC with milliseconds.
 *
 *  The parser is strict on purpose: VERIFY_LOG lines are evidence, so a
 *  time that does not have exactly the documented form is not a time.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mt5/clock.h"
#include "mt5/error.h"

int64_t mt5_clock_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t mt5_clock_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int mt5_clock_format_iso(char *buf, size_t cap, int64_t ms)
{
    if (!buf || cap < MT5_ISO_TIME_LEN + 1 || ms < 0)
        return MT5_EINVAL;
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    if (!gmtime_r(&secs, &tm) || tm.tm_year + 1900 > 9999)
        return MT5_EINVAL;
    snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
    return MT5_OK;
}

/* Read exactly n decimal digits. */
static int s_digits(const char *p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return 0;
}

static int s_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Leap years from year 1 to year n, inclusive. */
static int64_t s_leaps(int n)
{
    return n / 4 - n / 100 + n / 400;
}

int mt5_clock_parse_iso(int64_t *ms, const char *t, size_t len)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    /* Days in the months before month m (non-leap), m = 1..12. */
    static const int before[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, frac = 0;
    if (!ms || !t || len != MT5_ISO_TIME_LEN)
        return MT5_EPARSE;
    if (t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' || t[16] != ':' ||
        t[19] != '.' || t[23] != 'Z')
        return MT5_EPARSE;
    if (s_digits(t, 4, &y) || s_digits(t + 5, 2, &mo) || s_digits(t + 8, 2, &d) ||
        s_digits(t + 11, 2, &h) || s_digits(t + 14, 2, &mi) || s_digits(t + 17, 2, &s) ||
        s_digits(t + 20, 3, &frac))
        return MT5_EPARSE;
    /* Second 60 is refused: Unix time has no leap seconds, the formatter
     * never writes one, and accepting it would give one instant two
     * spellings. */
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59)
        return MT5_EPARSE;
    int dim = mdays[mo - 1] + (mo == 2 && s_leap(y));
    if (d > dim)
        return MT5_EPARSE;
    /* Days since the epoch in closed form (timegm is not in POSIX): whole
     * years, the leap days they held, then the months and days of this year. */
    int64_t days = 365 * (int64_t)(y - 1970) + s_leaps(y - 1) - s_leaps(1969) + before[mo - 1] +
                   (mo > 2 && s_leap(y)) + d - 1;
    *ms = ((days * 24 + h) * 60 + mi) * 60000LL + s * 1000LL + frac;
    return MT5_OK;
}
