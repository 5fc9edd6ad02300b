/*  mt5/regex.h - PCRE2 patterns, the only file that knows PCRE2.
 *
 *  Manifests carry Perl-compatible patterns for `contains` checks and for
 *  numbers captured from command output. Subjects come from files nobody
 *  vetted: they may be binary or invalid UTF-8, and a pattern may
 *  backtrack catastrophically. So patterns are compiled in UTF mode with
 *  PCRE2_MATCH_INVALID_UTF (invalid sequences simply never match), JIT
 *  compiled where the platform allows, and every match runs under a match,
 *  depth and heap limit: a runaway match is an error, never a hang.
 */
#ifndef MT5_REGEX_H
#define MT5_REGEX_H

#include <stdbool.h>
#include <stddef.h>

typedef struct mt5_regex_t mt5_regex_t;

#define MT5_REGEX_CASELESS 0x1u
#define MT5_REGEX_MULTILINE 0x2u /* ^ and $ match at line starts and ends */

/*  Compile `pattern` (NUL-terminated) with MT5_REGEX_* flags. On MT5_OK
 *  *out is caller owned, destroy with mt5_regex_destroy(). MT5_EPARSE with
 *  detail "at offset N: <PCRE2's message>" when it does not compile. */
int mt5_regex_new(mt5_regex_t **out, const char *pattern, unsigned flags);
void mt5_regex_destroy(mt5_regex_t **self);

/* The pattern as given. Borrowed, valid until destroy. */
const char *mt5_regex_pattern(const mt5_regex_t *self);

/*  Every match below returns MT5_OK or one of these, with a readable
 *  detail (mt5_error_detail) for all but MT5_ENOTFOUND:
 *    MT5_EINVAL     bad arguments: self NULL, subject NULL with len > 0,
 *                   start > len (find), count NULL (count)
 *    MT5_ENOTFOUND  no match (find and find_last; count reports 0 instead)
 *    MT5_ETOOLARGE  the match, depth or heap limit was hit (a runaway
 *                   pattern); the detail says which
 *    MT5_ENOMEM     out of memory
 *    MT5_EINTERNAL  any other PCRE2 matching error, with its message
 *  Out pointers are written only on MT5_OK. One regex may be used from
 *  several threads at once. */

/*  Find the first match in subject[start..len). On MT5_OK the match's
 *  [*mstart, *mend) and, when the pattern has a first capturing group that
 *  took part, that group's [*gstart, *gend) (else the whole match); any
 *  out pointer may be NULL. */
int mt5_regex_find(const mt5_regex_t *self, const char *subject, size_t len, size_t start,
                   size_t *mstart, size_t *mend, size_t *gstart, size_t *gend);

/*  Count non-overlapping matches in subject[0..len), from its start,
 *  stopping once the count reaches `cap` (0 = no cap). MT5_OK and *count
 *  (0 when there is none). An empty match moves the search on by one
 *  character: a valid UTF-8 sequence, or one byte of an invalid one. */
int mt5_regex_count(const mt5_regex_t *self, const char *subject, size_t len, size_t cap,
                    size_t *count);

/*  The last of the matches mt5_regex_count counts (cap 0) in
 *  subject[0..len), with the out pointers of mt5_regex_find; MT5_ENOTFOUND
 *  when there is none. An empty match at the very end (len) counts, so
 *  "x*" always has a last match. */
int mt5_regex_find_last(const mt5_regex_t *self, const char *subject, size_t len, size_t *mstart,
                        size_t *mend, size_t *gstart, size_t *gend);

#endif
