/*  test_regex.c - PCRE2 behind mt5/regex.h: compile errors with offsets,
 *  flags, CRLF line ends, group extraction, counting with a cap and empty
 *  matches, the last match (groups, empty matches, none), subjects with
 *  NUL bytes and invalid UTF-8, catastrophic backtracking ending in
 *  MT5_ETOOLARGE quickly, and one regex shared by several threads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mt5/clock.h"
#include "mt5/error.h"
#include "mt5/regex.h"

static void test_regex__compile_error_names_offset(void **state)
{
    (void)state;
    mt5_regex_t *re = (mt5_regex_t *)0x1;
    assert_int_equal(mt5_regex_new(&re, "ab(c", 0), MT5_EPARSE);
    assert_ptr_equal(re, (mt5_regex_t *)0x1); /* untouched on failure */
    assert_string_equal(mt5_error_detail(), "at offset 4: missing closing parenthesis");
    assert_int_equal(mt5_regex_new(&re, "a{2,1}", 0), MT5_EPARSE);
    assert_true(strncmp(mt5_error_detail(), "at offset 5: ", 13) == 0);
}

static void test_regex__bad_arguments(void **state)
{
    (void)state;
    mt5_regex_t *re = NULL;
    assert_int_equal(mt5_regex_new(NULL, "a", 0), MT5_EINVAL);
    assert_int_equal(mt5_regex_new(&re, NULL, 0), MT5_EINVAL);
    assert_int_equal(mt5_regex_new(&re, "a", 0), MT5_OK);
    size_t n = 0;
    assert_int_equal(mt5_regex_find(NULL, "a", 1, 0, NULL, NULL, NULL, NULL), MT5_EINVAL);
    assert_int_equal(mt5_regex_find(re, "a", 1, 2, NULL, NULL, NULL, NULL), MT5_EINVAL);
    assert_int_equal(mt5_regex_count(re, "a", 1, 0, NULL), MT5_EINVAL);
    assert_int_equal(mt5_regex_count(re, NULL, 0, 0, &n), MT5_OK);
    assert_int_equal(n, 0);
    assert_int_equal(mt5_regex_count(NULL, "a", 1, 0, &n), MT5_EINVAL);
    assert_int_equal(mt5_regex_count(re, NULL, 1, 0, &n), MT5_EINVAL);
    assert_int_equal(mt5_regex_find(re, NULL, 1, 0, NULL, NULL, NULL, NULL), MT5_EINVAL);
    assert_int_equal(mt5_regex_find_last(NULL, "a", 1, NULL, NULL, NULL, NULL), MT5_EINVAL);
    assert_int_equal(mt5_regex_find_last(re, NULL, 1, NULL, NULL, NULL, NULL), MT5_EINVAL);
    /* No subject at all: nothing to find, not an error. */
    assert_int_equal(mt5_regex_find_last(re, NULL, 0, NULL, NULL, NULL, NULL), MT5_ENOTFOUND);
    mt5_regex_destroy(&re);
    assert_null(re);
    mt5_regex_destroy(&re); /* NULL is fine */
    mt5_regex_destroy(NULL);
}

static void test_regex__pattern_is_kept(void **state)
{
    (void)state;
    mt5_regex_t *re = NULL;
    assert_int_equal(mt5_regex_new(&re, "x+y", 0), MT5_OK);
    assert_string_equal(mt5_regex_pattern(re), "x+y");
    mt5_regex_destroy(&re);
    assert_null(mt5_regex_pattern(NULL));
}

static void test_regex__find_match_and_group(void **state)
{
    (void)state;
    mt5_regex_t *re = NULL;
    assert_int_equal(mt5_regex_new(&re, "score: ([0-9.]+)", 0), MT5_OK);
    const char *s = "xx score: 9.5 yy";
    size_t ms = 99, me = 99, gs = 99, ge = 99;
    assert_int_equal(mt5_regex_find(re, s, strlen(s), 0, &ms, &me, &gs, &ge), MT5_OK);
    assert_int_equal(ms, 3);
    assert_int_equal(me, 13);
    assert_int_equal(gs, 10);
    assert_int_equal(ge, 13);
    /* From a later start there is none; the outs stay as they were. */
    ms = 77;
    assert_int_equal(mt5_regex_find(re, s, strlen(s), 4, &ms, NULL, NULL, NULL), MT5_ENOTFOUND);
    assert_int_equal(ms, 77);
    mt5_regex_destroy(&re);

    /* No group: the group range is the whole match. */
    assert_int_equal(mt5_regex_new(&re, "b+", 0), MT5_OK);
    assert_int_equal(mt5_regex_find(re, "abbbc", 5, 0, &ms, &me, &gs, &ge), MT5_OK);
    assert_int_equal(ms, 1);
    assert_int_equal(me, 4);
    assert_int_equal(gs, 1);
    assert_int_equal(ge, 4);
    mt5_regex_destroy(&re);

    /* A group that did not take part: the whole match too. */
    assert_int_equal(mt5_regex_new(&re, "(x)?y", 0), MT5_OK);
    assert_int_equal(mt5_regex_find(re, "ay", 2, 0, &ms, &me, &gs, &ge), MT5_OK);
    assert_int_equal(ms, 1);
    assert_int_equal(me, 2);
    assert_int_equal(gs, 1);
    assert_int_equal(ge, 2);
    mt5_regex_destroy(&re);
}

static void test_regex__flags_caseless_and_multiline(void **state)
{
    (void)state;
    mt5_regex_t *re = NULL;
    const char *s = "first\nOK_FROM_MT5 here\n";
    assert_int_equal(mt5_regex_new(&re, "^ok_from_mt5", 0), MT5_OK);
    assert_int_equal(mt5_regex_find(re, s, strlen(s), 0, NULL, NULL, NULL, NULL), MT5_ENOTFOUND);
    mt5_regex_destroy(&re);
    assert_int_equal(mt5_regex_new(&re, "^ok_from_mt5", MT5_REGEX_CASELESS), MT5_OK);
    assert_int_equal(mt5_regex_find(re, s, strlen(s), 0, NULL, NULL, NULL, NULL), MT5_ENOTFOUND);
    mt5_regex_destroy(&re);
    assert_int_equal(mt5_regex_new(&re, "^ok_from_mt5", MT5_REGEX_CASELESS | MT5_REGEX_MULTILINE),
                     MT5_OK);
    size_t ms = 0;
    assert_int_equal(mt5_regex_find(re, s, strlen(s), 0, &ms, NULL, NULL, NULL), MT5_OK);
    assert_int_equal(ms, 6);
    mt5_regex_destroy(&re);

    /* CRLF line ends: $ matches before "\r\n", and . stops at '\r'. */
    const char *crlf = "a=1\r\nb=22\r\n";
    assert_int_equal(mt5_regex_new(&re, "^b=(.*)$", MT5_REGEX_MULTILINE), MT5_OK);
    size_t gs = 0, ge = 0;
    assert_int_equal(mt5_regex_find(re, crlf, strlen(crlf), 0, NULL, NULL, &gs, &ge), MT5_OK);
    assert_int_equal(gs, 7);
    assert_int_equal(ge, 9);
    mt5_regex_destroy(&re);
}

static void test_regex__count_cap_and_empty_matches(void **state)
{
    (void)state;
    mt5_regex_t *re = NULL;
    size_t n = 99;
    assert_int_equal(mt5_regex_new(&re, "ab", 0), MT5_OK);
    assert_int_equal(mt5_regex_count(re, "abababab", 8, 0, &n), MT5_OK);
    assert_int_equal(n, 4);
    assert_int_equal(mt5_regex_count(re, "abababab", 8, 3, &n), MT5_OK);
    assert_int_equal(n, 3);
    assert_int_equal(mt5_regex_count(re, "xyz", 3, 0, &n), MT5_OK);
    assert_int_equal(n, 0);
    mt5_regex_destroy(&re);

    /* Non-overlapping: "aa" in "aaaaa" is 2. */
    assert_int_equal(mt5_regex_new(&re, "aa", 0), MT5_OK);
    assert_int_equal(mt5_regex_count(re, "aaaaa", 5, 0, &n), MT5_OK);
    assert_int_equal(n, 2);
    mt5_regex_destroy(&re);

    /* An empty pattern matches at every character boundary, and one
     * character is one step even when it takes several bytes. */
    assert_int_equal(mt5_regex_new(&re, "", 0), MT5_OK);
    assert_int_equal(mt5_regex_count(re, "abc", 3, 0, &n), MT5_OK);
    assert_int_equal(n, 4);
    assert_int_equal(mt5_regex_count(re, "\xC3\xA9\xC3\xA9", 4, 0, &n), MT5_OK);
    assert_int_equal(n, 3);
    mt5_regex_destroy(&re);

    /* Multiline ^ counts lines. */
    assert_int_equal(mt5_regex_new(&re, "^x", MT5_REGEX_MULTILINE), MT5_OK);
    assert_int_equal(mt5_regex_count(re, "x1\nx2\ny\nx3", 10, 0, &n), MT5_OK);
    assert_int_equal(n, 3);
    mt5_regex_destroy(&re);
}

static void test_regex__find_last_match_and_group(void **state)
{
    (void)state;
    mt5_regex_t *re = NULL;
    size_t ms = 99, me = 99, gs = 99, ge = 99;
    assert_int_equal(mt5_regex_new(&re, "ab", 0), MT5_OK);
    assert_int_equal(mt5_regex_find_last(re, "xxabyyab zz", 11, &ms, &me, &gs, &ge), MT5_OK);
    assert_int_equal(ms, 6);
    assert_int_equal(me, 8);
    assert_int_equal(gs, 6);
    assert_int_equal(ge, 8);
    /* Non-overlapping, as counted: the last "aba" of "ababa" starts at 0. */
    mt5_regex_destroy(&re);
    assert_int_equal(mt5_regex_new(&re, "aba", 0), MT5_OK);
    assert_int_equal(mt5_regex_find_last(re, "ababa", 5, &ms, &me, NULL, NULL), MT5_OK);
    assert_int_equal(ms, 0);
    assert_int_equal(me, 3);
    mt5_regex_destroy(&re);

    /* The group of the last match. */
    assert_int_equal(mt5_regex_new(&re, "v=([0-9])", 0), MT5_OK);
    assert_int_equal(mt5_regex_find_last(re, "v=1 v=2 v=3 w", 13, &ms, &me, &gs, &ge), MT5_OK);
    assert_int_equal(ms, 8);
    assert_int_equal(me, 11);
    assert_int_equal(gs, 10);
    assert_int_equal(ge, 11);
    mt5_regex_destroy(&re);

    /* The first match had the group, the last has not: the whole match. */
    assert_int_equal(mt5_regex_new(&re, "(x)?y", 0), MT5_OK);
    assert_int_equal(mt5_regex_find_last(re, "xy y", 4, &ms, &me, &gs, &ge), MT5_OK);
    assert_int_equal(ms, 3);
    assert_int_equal(me, 4);
    assert_int_equal(gs, 3);
    assert_int_equal(ge, 4);
    mt5_regex_destroy(&re);

    /* Multiline: the last line that matches. */
    assert_int_equal(mt5_regex_new(&re, "^score ([0-9]+)$", MT5_REGEX_MULTILINE), MT5_OK);
    const char *lines = "score 1\nscore 22\r\nnoise\nscore 333\nscore x\n";
    assert_int_equal(mt5_regex_find_last(re, lines, strlen(lines), NULL, NULL, &gs, &ge), MT5_OK);
    assert_int_equal(gs, 30);
    assert_int_equal(ge, 33);
    mt5_regex_destroy(&re);

    /* None: MT5_ENOTFOUND and the outs untouched. */
    assert_int_equal(mt5_regex_new(&re, "zz", 0), MT5_OK);
    ms = me = gs = ge = 77;
    assert_int_equal(mt5_regex_find_last(re, "abc", 3, &ms, &me, &gs, &ge), MT5_ENOTFOUND);
    assert_int_equal(ms, 77);
    assert_int_equal(me, 77);
    assert_int_equal(gs, 77);
    assert_int_equal(ge, 77);
    assert_int_equal(mt5_regex_find_last(re, "", 0, &ms, NULL, NULL, NULL), MT5_ENOTFOUND);
    assert_int_equal(ms, 77);
    mt5_regex_destroy(&re);
}

static void test_regex__find_last_steps_over_empty_matches(void **state)
{
    (void)state;
    mt5_regex_t *re = NULL;
    size_t ms = 99, me = 99, n = 0;
    /* An empty pattern's last match is at the very end. */
    assert_int_equal(mt5_regex_new(&re, "", 0), MT5_OK);
    assert_int_equal(mt5_regex_find_last(re, "abc", 3, &ms, &me, NULL, NULL), MT5_OK);
    assert_int_equal(ms, 3);
    assert_int_equal(me, 3);
    assert_int_equal(mt5_regex_find_last(re, NULL, 0, &ms, &me, NULL, NULL), MT5_OK);
    assert_int_equal(ms, 0);
    assert_int_equal(me, 0);
    /* Multi-byte characters and invalid bytes are stepped over, never
     * looped on: the end is reached. */
    assert_int_equal(mt5_regex_find_last(re, "caf\xC3\xA9 \xE2\x82\xAC", 9, &ms, NULL, NULL, NULL),
                     MT5_OK);
    assert_int_equal(ms, 9);
    assert_int_equal(mt5_regex_find_last(re, "\x80\xFF\xE2\x82", 4, &ms, NULL, NULL, NULL), MT5_OK);
    assert_int_equal(ms, 4);
    mt5_regex_destroy(&re);

    /* x* in "axx": empty at 0, "xx" at 1..3, empty at 3 - as counted. */
    assert_int_equal(mt5_regex_new(&re, "x*", 0), MT5_OK);
    assert_int_equal(mt5_regex_count(re, "axx", 3, 0, &n), MT5_OK);
    assert_int_equal(n, 3);
    assert_int_equal(mt5_regex_find_last(re, "axx", 3, &ms, &me, NULL, NULL), MT5_OK);
    assert_int_equal(ms, 3);
    assert_int_equal(me, 3);
    mt5_regex_destroy(&re);

    /* A group that matched empty is still the group. */
    assert_int_equal(mt5_regex_new(&re, "=([0-9]*);", 0), MT5_OK);
    size_t gs = 99, ge = 99;
    assert_int_equal(mt5_regex_find_last(re, "a=1; b=;", 8, &ms, &me, &gs, &ge), MT5_OK);
    assert_int_equal(ms, 6);
    assert_int_equal(me, 8);
    assert_int_equal(gs, 7);
    assert_int_equal(ge, 7);
    mt5_regex_destroy(&re);
}

static void test_regex__nul_bytes_and_invalid_utf8(void **state)
{
    (void)state;
    mt5_regex_t *re = NULL;
    assert_int_equal(mt5_regex_new(&re, "OK_FROM_MT5", 0), MT5_OK);
    /* NUL bytes, a lone continuation byte, a truncated sequence, 0xFF. */
    static const char subj[] = "\x00\x01\x80\xFF\xC3 junk \xE2\x82 OK_FROM_MT5 \x00\xFE";
    size_t len = sizeof subj - 1;
    size_t ms = 0, me = 0;
    assert_int_equal(mt5_regex_find(re, subj, len, 0, &ms, &me, NULL, NULL), MT5_OK);
    assert_int_equal(ms, 14);
    assert_int_equal(me, 25);
    size_t n = 0;
    assert_int_equal(mt5_regex_count(re, subj, len, 0, &n), MT5_OK);
    assert_int_equal(n, 1);
    mt5_regex_destroy(&re);

    /* '.' never matches inside an invalid sequence; a literal NUL can be
     * searched for with \x00. */
    assert_int_equal(mt5_regex_new(&re, "a.b", 0), MT5_OK);
    assert_int_equal(mt5_regex_find(re,
                                    "a\xFF"
                                    "b",
                                    3, 0, NULL, NULL, NULL, NULL),
                     MT5_ENOTFOUND);
    assert_int_equal(mt5_regex_find(re,
                                    "a\xC3\xA9"
                                    "b",
                                    4, 0, NULL, NULL, NULL, NULL),
                     MT5_OK);
    mt5_regex_destroy(&re);
    assert_int_equal(mt5_regex_new(&re, "x\\x00y", 0), MT5_OK);
    assert_int_equal(mt5_regex_find(re, "ax\0y", 4, 0, &ms, NULL, NULL, NULL), MT5_OK);
    assert_int_equal(ms, 1);
    mt5_regex_destroy(&re);

    /* An empty pattern over invalid bytes: one step per byte, no loop;
     * a truncated sequence is one byte too. */
    assert_int_equal(mt5_regex_new(&re, "", 0), MT5_OK);
    assert_int_equal(mt5_regex_count(re, "\x80\x80\x80", 3, 0, &n), MT5_OK);
    assert_int_equal(n, 4);
    assert_int_equal(mt5_regex_count(re, "\xE2\x82", 2, 0, &n), MT5_OK);
    assert_int_equal(n, 3);
    /* A sequence of the right shape that is not UTF-8 (a surrogate, an
     * overlong form) is invalid byte by byte; a 4-byte one is one step. */
    assert_int_equal(mt5_regex_count(re, "\xED\xA0\x80", 3, 0, &n), MT5_OK);
    assert_int_equal(n, 4);
    assert_int_equal(mt5_regex_count(re, "\xE0\x80\x80", 3, 0, &n), MT5_OK);
    assert_int_equal(n, 4);
    assert_int_equal(mt5_regex_count(re, "\xF0\x9F\x98\x80", 4, 0, &n), MT5_OK);
    assert_int_equal(n, 2);
    mt5_regex_destroy(&re);
}

static void test_regex__catastrophic_backtracking_is_too_large(void **state)
{
    (void)state;
    mt5_regex_t *re = NULL;
    assert_int_equal(mt5_regex_new(&re, "(a+)+$", 0), MT5_OK);
    char subj[64];
    memset(subj, 'a', sizeof subj - 2);
    subj[sizeof subj - 2] = 'b';
    subj[sizeof subj - 1] = '\0';
    int64_t t0 = mt5_clock_mono_us();
    assert_int_equal(mt5_regex_find(re, subj, strlen(subj), 0, NULL, NULL, NULL, NULL),
                     MT5_ETOOLARGE);
    assert_non_null(strstr(mt5_error_detail(), "limit exceeded"));
    size_t n = 0;
    assert_int_equal(mt5_regex_count(re, subj, strlen(subj), 0, &n), MT5_ETOOLARGE);
    size_t ms = 77;
    assert_int_equal(mt5_regex_find_last(re, subj, strlen(subj), &ms, NULL, NULL, NULL),
                     MT5_ETOOLARGE);
    assert_non_null(strstr(mt5_error_detail(), "limit exceeded"));
    assert_int_equal(ms, 77);
    int64_t took = mt5_clock_mono_us() - t0;
    assert_true(took < 5 * 1000 * 1000);
    mt5_regex_destroy(&re);
}

/* A deep group repetition over a long subject: the JIT's stack may not
 * hold it, the interpreter must then give the right answer. */
static void test_regex__deep_repetition_on_long_subject(void **state)
{
    (void)state;
    mt5_regex_t *re = NULL;
    assert_int_equal(mt5_regex_new(&re, "^(?:ab|cd)*$", 0), MT5_OK);
    size_t len = 20000;
    char *s = malloc(len);
    assert_non_null(s);
    for (size_t i = 0; i < len; i += 2)
        memcpy(s + i, (i / 2) % 2 ? "cd" : "ab", 2);
    size_t me = 0;
    assert_int_equal(mt5_regex_find(re, s, len, 0, NULL, &me, NULL, NULL), MT5_OK);
    assert_int_equal(me, len);
    free(s);
    mt5_regex_destroy(&re);
}

typedef struct {
    const mt5_regex_t *re;
    const char *subject;
    size_t len;
    int failures;
} s_thread_arg;

static void *s_thread(void *p)
{
    s_thread_arg *a = p;
    for (int i = 0; i < 2000; i++) {
        size_t n = 0, gs = 0, ge = 0;
        if (mt5_regex_count(a->re, a->subject, a->len, 0, &n) != MT5_OK || n != 3)
            a->failures++;
        if (mt5_regex_find(a->re, a->subject, a->len, 0, NULL, NULL, &gs, &ge) != MT5_OK ||
            gs != 2 || ge != 3)
            a->failures++;
        if (mt5_regex_find_last(a->re, a->subject, a->len, NULL, NULL, &gs, &ge) != MT5_OK ||
            gs != 10 || ge != 11)
            a->failures++;
    }
    return NULL;
}

static void test_regex__one_regex_many_threads(void **state)
{
    (void)state;
    mt5_regex_t *re = NULL;
    assert_int_equal(mt5_regex_new(&re, "v=([0-9])", 0), MT5_OK);
    const char *s = "v=1 v=2 v=3";
    s_thread_arg args[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (s_thread_arg){re, s, strlen(s), 0};
        assert_int_equal(pthread_create(&th[i], NULL, s_thread, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].failures, 0);
    }
    mt5_regex_destroy(&re);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_regex__compile_error_names_offset),
        cmocka_unit_test(test_regex__bad_arguments),
        cmocka_unit_test(test_regex__pattern_is_kept),
        cmocka_unit_test(test_regex__find_match_and_group),
        cmocka_unit_test(test_regex__flags_caseless_and_multiline),
        cmocka_unit_test(test_regex__count_cap_and_empty_matches),
        cmocka_unit_test(test_regex__find_last_match_and_group),
        cmocka_unit_test(test_regex__find_last_steps_over_empty_matches),
        cmocka_unit_test(test_regex__nul_bytes_and_invalid_utf8),
        cmocka_unit_test(test_regex__catastrophic_backtracking_is_too_large),
        cmocka_unit_test(test_regex__deep_repetition_on_long_subject),
        cmocka_unit_test(test_regex__one_regex_many_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
