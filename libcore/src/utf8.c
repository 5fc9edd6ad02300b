/*  utf8.c - see utf8.h. */
#include "utf8.h"

size_t mt5_utf8_len(const unsigned char *p, size_t n)
{
    if (p[0] < 0x80)
        return 1;
    size_t len = p[0] < 0xC2 ? 0 : p[0] < 0xE0 ? 2 : p[0] < 0xF0 ? 3 : p[0] < 0xF5 ? 4 : 0;
    if (len == 0 || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if (len == 3 && p[0] == 0xE0 && p[1] < 0xA0)
        return 0; /* overlong */
    if (len == 3 && p[0] == 0xED && p[1] >= 0xA0)
        return 0; /* surrogate */
    if (len == 4 && p[0] == 0xF0 && p[1] < 0x90)
        return 0; /* overlong */
    if (len == 4 && p[0] == 0xF4 && p[1] >= 0x90)
        return 0; /* above U+10FFFF */
    return len;
}
