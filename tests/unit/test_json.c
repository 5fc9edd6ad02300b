/*  test_json.c - JSON values: strict parsing, building, reading, exact
 *  integers, borrowed builders, and out-of-memory failures injected through
 *  mt5_json_set_allocator. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mt5/error.h"
#include "mt5/json.h"

static void test_json__parse_rejects_trailing_bytes_and_garbage(void **state)
{
    (void)state;
    static const char *const bad[] = {"", "{", "{}x", "[1,]", "nul", "{\"a\":1}}", "\"abc"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mt5_json_t *j = mt5_json_parse(bad[i], strlen(bad[i]));
        if (j)
            fail_msg("'%s' parsed", bad[i]);
    }
    assert_null(mt5_json_parse(NULL, 3));
    mt5_json_t *j = mt5_json_parse("{\"a\":1} \r\n\t", 11);
    assert_non_null(j);
    assert_int_equal(mt5_json_kind_of(j), MT5_JSON_OBJECT);
    mt5_json_destroy(&j);
    assert_null(j);
    mt5_json_destroy(&j);
    mt5_json_destroy(NULL);
}

static void test_json__build_and_print_exactly(void **state)
{
    (void)state;
    mt5_json_t *o = mt5_json_object();
    assert_int_equal(mt5_json_add_string(o, "s", "a\"b\n"), MT5_OK);
    assert_int_equal(mt5_json_add_int(o, "i", 1700000000123LL), MT5_OK);
    assert_int_equal(mt5_json_add_number(o, "d", 0.5), MT5_OK);
    assert_int_equal(mt5_json_add_number(o, "nan", NAN), MT5_OK);
    assert_int_equal(mt5_json_add_bool(o, "b", true), MT5_OK);
    assert_int_equal(mt5_json_add_null(o, "n"), MT5_OK);
    assert_int_equal(mt5_json_add_string(o, "null_string", NULL), MT5_OK);
    mt5_json_t *a = mt5_json_array();
    assert_int_equal(mt5_json_add_int(a, NULL, 1), MT5_OK);
    assert_int_equal(mt5_json_add_string(a, NULL, "x"), MT5_OK);
    assert_int_equal(mt5_json_add_int(a, "key-in-array", 1), MT5_EINVAL);
    assert_int_equal(mt5_json_add_int(o, NULL, 1), MT5_EINVAL);
    assert_int_equal(mt5_json_add(o, "a", &a), MT5_OK);
    assert_null(a);
    assert_int_equal(mt5_json_add(o, "a", &a), MT5_EINVAL);
    char *text = mt5_json_print(o, false);
    assert_string_equal(text, "{\"s\":\"a\\\"b\\n\",\"i\":1700000000123,\"d\":0.5,\"nan\":null,"
                              "\"b\":true,\"n\":null,\"null_string\":null,\"a\":[1,\"x\"]}");
    free(text);
    text = mt5_json_print(o, true);
    assert_non_null(strstr(text, "\n"));
    free(text);
    assert_null(mt5_json_print(NULL, false));
    mt5_json_destroy(&o);
}

static void test_json__read_values(void **state)
{
    (void)state;
    const char *src = "{\"s\":\"v\",\"n\":2.5,\"t\":true,\"f\":false,\"z\":null,\"a\":[1,2,3]}";
    mt5_json_t *j = mt5_json_parse(src, strlen(src));
    assert_non_null(j);
    assert_int_equal(mt5_json_size(j), 6);
    assert_string_equal(mt5_json_key(mt5_json_at(j, 0)), "s");
    assert_string_equal(mt5_json_string(mt5_json_get(j, "s")), "v");
    assert_null(mt5_json_string(mt5_json_get(j, "n")));
    assert_true(mt5_json_number(mt5_json_get(j, "n")) == 2.5);
    assert_true(isnan(mt5_json_number(mt5_json_get(j, "s"))));
    assert_true(mt5_json_true(mt5_json_get(j, "t")));
    assert_false(mt5_json_true(mt5_json_get(j, "f")));
    assert_int_equal(mt5_json_kind_of(mt5_json_get(j, "t")), MT5_JSON_BOOL);
    assert_int_equal(mt5_json_kind_of(mt5_json_get(j, "z")), MT5_JSON_NULL);
    assert_int_equal(mt5_json_kind_of(mt5_json_get(j, "n")), MT5_JSON_NUMBER);
    assert_int_equal(mt5_json_kind_of(mt5_json_get(j, "s")), MT5_JSON_STRING);
    const mt5_json_t *a = mt5_json_get(j, "a");
    assert_int_equal(mt5_json_kind_of(a), MT5_JSON_ARRAY);
    assert_int_equal(mt5_json_size(a), 3);
    assert_true(mt5_json_number(mt5_json_at(a, 2)) == 3);
    assert_null(mt5_json_at(a, 3));
    assert_null(mt5_json_get(a, "x"));
    assert_null(mt5_json_get(j, "missing"));
    assert_int_equal(mt5_json_size(mt5_json_get(j, "s")), 0);
    assert_null(mt5_json_at(mt5_json_get(j, "s"), 0));
    assert_int_equal(mt5_json_kind_of(NULL), MT5_JSON_INVALID);
    assert_null(mt5_json_key(NULL));
    mt5_json_destroy(&j);
}

/* Integers print exactly at every size; cJSON alone rounds 16+ digits. */
static void test_json__integers_print_exactly(void **state)
{
    (void)state;
    static const struct {
        int64_t value;
        const char *text;
    } rows[] = {
        {0, "0"},
        {-1, "-1"},
        {999999999999999, "999999999999999"},
        {-999999999999999, "-999999999999999"},
        {1000000000000000, "1000000000000000"},
        {-1000000000000000, "-1000000000000000"},
        {9007199254740993, "9007199254740993"},
        {-9223372036854775807, "-9223372036854775807"},
        {INT64_MAX, "9223372036854775807"},
        {INT64_MIN, "-9223372036854775808"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        mt5_json_t *a = mt5_json_array();
        assert_int_equal(mt5_json_add_int(a, NULL, rows[i].value), MT5_OK);
        assert_int_equal(mt5_json_add_int_ref(a, NULL, rows[i].value), MT5_OK);
        char want[64];
        snprintf(want, sizeof want, "[%s,%s]", rows[i].text, rows[i].text);
        char *text = mt5_json_print(a, false);
        assert_string_equal(text, want);
        free(text);
        /* an exact integer still reads back as a number */
        assert_int_equal(mt5_json_kind_of(mt5_json_at(a, 0)), MT5_JSON_NUMBER);
        assert_true(mt5_json_number(mt5_json_at(a, 1)) == (double)rows[i].value);
        mt5_json_destroy(&a);
    }

    mt5_json_t *o = mt5_json_object();
    assert_int_equal(mt5_json_add_uint(o, "max", UINT64_MAX), MT5_OK);
    assert_int_equal(mt5_json_add_uint(o, "big", 9223372036854775808u), MT5_OK);
    assert_int_equal(mt5_json_add_uint(o, "small", 42), MT5_OK);
    assert_int_equal(mt5_json_add_uint_ref(o, "i64max", (uint64_t)INT64_MAX), MT5_OK);
    assert_int_equal(mt5_json_add_uint_ref(o, "ref_max", UINT64_MAX), MT5_OK);
    char *text = mt5_json_print(o, false);
    assert_string_equal(text, "{\"max\":18446744073709551615,\"big\":9223372036854775808,"
                              "\"small\":42,\"i64max\":9223372036854775807,"
                              "\"ref_max\":18446744073709551615}");
    free(text);
    assert_true(mt5_json_number(mt5_json_get(o, "max")) == 18446744073709551615.0);
    assert_int_equal(mt5_json_kind_of(mt5_json_get(o, "big")), MT5_JSON_NUMBER);
    assert_int_equal(mt5_json_add_uint(o, NULL, 1), MT5_EINVAL);
    mt5_json_destroy(&o);
}

/* Other numbers: up to 15 significant digits when they read back close
 * enough (which is why a 16-digit integer needs mt5_json_add_int), else 17. */
static void test_json__numbers_print_shortest(void **state)
{
    (void)state;
    mt5_json_t *a = mt5_json_array();
    static const double values[] = {0.1, 1.0901, -12.5, 1e15, 9007199254740992.0, 1.0 / 3, 1e300};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        assert_int_equal(mt5_json_add_number_ref(a, NULL, values[i]), MT5_OK);
    assert_int_equal(mt5_json_add_number_ref(a, NULL, INFINITY), MT5_OK);
    assert_int_equal(mt5_json_add_number(a, NULL, NAN), MT5_OK);
    char *text = mt5_json_print(a, false);
    assert_string_equal(text, "[0.1,1.0901,-12.5,1e+15,9.00719925474099e+15,"
                              "0.33333333333333331,1e+300,null,null]");
    free(text);
    mt5_json_destroy(&a);
}

/* The *_ref builders point at the caller's memory; the others copy it. */
static void test_json__ref_builders_borrow_copies_do_not(void **state)
{
    (void)state;
    char key[] = "k1";
    char value[] = "v1";
    mt5_json_t *o = mt5_json_object();
    assert_int_equal(mt5_json_add_string(o, key, value), MT5_OK);
    assert_int_equal(mt5_json_add_string_ref(o, key, value), MT5_OK);
    key[1] = '2';
    value[1] = '2';
    char *text = mt5_json_print(o, false);
    assert_string_equal(text, "{\"k1\":\"v1\",\"k2\":\"v2\"}");
    free(text);
    assert_string_equal(mt5_json_string(mt5_json_get(o, "k2")), "v2");
    assert_int_equal(mt5_json_kind_of(mt5_json_get(o, "k2")), MT5_JSON_STRING);

    assert_int_equal(mt5_json_add_number_ref(o, "n", 0.5), MT5_OK);
    assert_int_equal(mt5_json_add_int_ref(o, "i", -7), MT5_OK);
    assert_int_equal(mt5_json_add_bool_ref(o, "t", true), MT5_OK);
    assert_int_equal(mt5_json_add_bool_ref(o, "f", false), MT5_OK);
    assert_int_equal(mt5_json_add_null_ref(o, "z"), MT5_OK);
    assert_int_equal(mt5_json_add_string_ref(o, "s", NULL), MT5_OK);
    mt5_json_t *a = mt5_json_array();
    assert_int_equal(mt5_json_add_string_ref(a, NULL, "x"), MT5_OK);
    assert_int_equal(mt5_json_add_bool_ref(a, NULL, true), MT5_OK);
    assert_int_equal(mt5_json_add_string_ref(a, "key-in-array", "x"), MT5_EINVAL);
    assert_int_equal(mt5_json_add_null_ref(o, NULL), MT5_EINVAL);
    assert_int_equal(mt5_json_add_int_ref(NULL, "i", 1), MT5_EINVAL);
    assert_int_equal(mt5_json_add_ref(o, "a", &a), MT5_OK);
    assert_null(a);
    assert_int_equal(mt5_json_add_ref(o, "a", &a), MT5_EINVAL);
    assert_int_equal(mt5_json_add_ref(o, "a", NULL), MT5_EINVAL);
    /* a child is taken also when it cannot be attached (valgrind: no leak) */
    mt5_json_t *lost = mt5_json_object();
    assert_int_equal(mt5_json_add_ref(o, NULL, &lost), MT5_EINVAL);
    assert_null(lost);
    lost = mt5_json_array();
    assert_int_equal(mt5_json_add(NULL, "x", &lost), MT5_EINVAL);
    assert_null(lost);
    assert_int_equal(mt5_json_add(o, "x", NULL), MT5_EINVAL);

    text = mt5_json_print(o, false);
    assert_string_equal(text, "{\"k1\":\"v1\",\"k2\":\"v2\",\"n\":0.5,\"i\":-7,\"t\":true,"
                              "\"f\":false,\"z\":null,\"s\":null,\"a\":[\"x\",true]}");
    free(text);
    mt5_json_destroy(&o);
}

static void test_json__remove_first_member_by_key(void **state)
{
    (void)state;
    const char *src = "{\"a\":1,\"b\":[2],\"a\":3,\"c\":4}";
    mt5_json_t *j = mt5_json_parse(src, strlen(src));
    assert_non_null(j);
    assert_int_equal(mt5_json_remove(j, "a"), MT5_OK);
    assert_int_equal(mt5_json_remove(j, "b"), MT5_OK);
    assert_int_equal(mt5_json_remove(j, "b"), MT5_ENOTFOUND);
    assert_int_equal(mt5_json_remove(j, "A"), MT5_ENOTFOUND); /* case-sensitive */
    assert_int_equal(mt5_json_remove(j, NULL), MT5_EINVAL);
    assert_int_equal(mt5_json_remove(NULL, "a"), MT5_EINVAL);
    char *text = mt5_json_print(j, false);
    assert_string_equal(text, "{\"a\":3,\"c\":4}");
    free(text);
    /* removing then adding puts the key last */
    assert_int_equal(mt5_json_remove(j, "a"), MT5_OK);
    assert_int_equal(mt5_json_add_bool_ref(j, "a", true), MT5_OK);
    text = mt5_json_print(j, false);
    assert_string_equal(text, "{\"c\":4,\"a\":true}");
    free(text);
    mt5_json_destroy(&j);

    mt5_json_t *a = mt5_json_array();
    assert_int_equal(mt5_json_add_int(a, NULL, 1), MT5_OK);
    assert_int_equal(mt5_json_remove(a, "0"), MT5_EINVAL);
    mt5_json_destroy(&a);
}

static void test_json__walk_members_in_order(void **state)
{
    (void)state;
    const char *src = "{\"z\":1,\"a\":\"two\",\"m\":[true,null],\"e\":{}}";
    mt5_json_t *j = mt5_json_parse(src, strlen(src));
    assert_non_null(j);
    static const char *const keys[] = {"z", "a", "m", "e"};
    size_t n = 0;
    for (const mt5_json_t *m = mt5_json_first(j); m; m = mt5_json_next(m), n++) {
        assert_true(n < 4);
        assert_string_equal(mt5_json_key(m), keys[n]);
        assert_ptr_equal(m, mt5_json_at(j, n));
    }
    assert_int_equal(n, 4);
    assert_int_equal(mt5_json_size(j), 4);

    const mt5_json_t *m = mt5_json_first(mt5_json_get(j, "m"));
    assert_true(mt5_json_true(m));
    assert_null(mt5_json_key(m)); /* array elements have no name */
    m = mt5_json_next(m);
    assert_int_equal(mt5_json_kind_of(m), MT5_JSON_NULL);
    assert_null(mt5_json_next(m));

    assert_null(mt5_json_first(mt5_json_get(j, "e")));
    assert_int_equal(mt5_json_size(mt5_json_get(j, "e")), 0);
    assert_null(mt5_json_first(mt5_json_get(j, "z"))); /* a number has no members */
    assert_null(mt5_json_first(NULL));
    assert_null(mt5_json_next(NULL));
    assert_null(mt5_json_next(j)); /* the root has no sibling */
    assert_false(mt5_json_true(NULL));
    assert_null(mt5_json_string(NULL));
    assert_true(isnan(mt5_json_number(NULL)));
    assert_null(mt5_json_get(NULL, "z"));
    assert_null(mt5_json_get(j, NULL));
    mt5_json_destroy(&j);
}

/* ---- out of memory ----------------------------------------------------------- */

static long s_alloc_budget = -1; /* allocations left before failing; -1 = no limit */
static long s_allocs;            /* allocations made through the hook */

static void *s_failing_malloc(size_t size)
{
    if (s_alloc_budget == 0)
        return NULL;
    if (s_alloc_budget > 0)
        s_alloc_budget--;
    s_allocs++;
    return malloc(size);
}

/* Build a small tree with every kind of builder; NULL on any failure. */
static char *s_build_all(void)
{
    mt5_json_t *o = mt5_json_object();
    mt5_json_t *a = mt5_json_array();
    int rc = o && a ? MT5_OK : MT5_ENOMEM;
    if (rc == MT5_OK)
        rc = mt5_json_add_string(a, NULL, "s");
    if (rc == MT5_OK)
        rc = mt5_json_add_int(o, "big", 9007199254740993);
    if (rc == MT5_OK)
        rc = mt5_json_add_uint_ref(o, "max", UINT64_MAX);
    if (rc == MT5_OK)
        rc = mt5_json_add_string(o, "copied", "c");
    if (rc == MT5_OK)
        rc = mt5_json_add_string_ref(o, "borrowed", "b");
    if (rc == MT5_OK)
        rc = mt5_json_add_number(o, "n", 0.25);
    if (rc == MT5_OK)
        rc = mt5_json_add_bool(o, "t", true);
    if (rc == MT5_OK)
        rc = mt5_json_add_null(o, "z");
    if (rc == MT5_OK)
        rc = mt5_json_add(o, "a", &a);
    if (rc != MT5_OK)
        assert_int_equal(rc, MT5_ENOMEM);
    char *text = rc == MT5_OK ? mt5_json_print(o, false) : NULL;
    mt5_json_destroy(&a);
    mt5_json_destroy(&o);
    return text;
}

static void test_json__allocator_hook_failures(void **state)
{
    (void)state;
    mt5_json_set_allocator(s_failing_malloc, free);
    s_alloc_budget = 0;
    assert_null(mt5_json_object());
    assert_null(mt5_json_array());
    assert_null(mt5_json_parse("{}", 2));
    s_alloc_budget = -1;
    mt5_json_t *o = mt5_json_object();
    assert_non_null(o);
    s_alloc_budget = 0;
    assert_int_equal(mt5_json_add_string(o, "k", "v"), MT5_ENOMEM);
    assert_int_equal(mt5_json_add_int_ref(o, "k", 1), MT5_ENOMEM);
    assert_null(mt5_json_print(o, false));
    s_alloc_budget = 1; /* the node, then not the copy of its key */
    assert_int_equal(mt5_json_add_bool(o, "k", true), MT5_ENOMEM);
    s_alloc_budget = 1; /* the node, then not the text of an exact integer */
    assert_int_equal(mt5_json_add_int_ref(o, "k", INT64_MAX), MT5_ENOMEM);
    s_alloc_budget = 1; /* a borrowed key costs nothing more */
    assert_int_equal(mt5_json_add_bool_ref(o, "k", true), MT5_OK);
    s_alloc_budget = -1;
    char *text = mt5_json_print(o, false);
    assert_string_equal(text, "{\"k\":true}");
    free(text);
    mt5_json_destroy(&o);

    /* every allocation of a larger build can fail, and each failure is clean */
    long budget = 0;
    char *out = NULL;
    for (; budget < 100 && !out; budget++) {
        s_alloc_budget = budget;
        out = s_build_all();
    }
    s_alloc_budget = -1;
    assert_non_null(out);
    assert_true(budget > 10);
    assert_string_equal(out, "{\"big\":9007199254740993,\"max\":18446744073709551615,"
                             "\"copied\":\"c\",\"borrowed\":\"b\",\"n\":0.25,\"t\":true,"
                             "\"z\":null,\"a\":[\"s\"]}");
    free(out);

    /* NULL restores the defaults: the hook sees nothing more */
    mt5_json_set_allocator(NULL, NULL);
    s_allocs = 0;
    s_alloc_budget = 0;
    out = s_build_all();
    s_alloc_budget = -1;
    assert_non_null(out);
    assert_int_equal(s_allocs, 0);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json__parse_rejects_trailing_bytes_and_garbage),
        cmocka_unit_test(test_json__build_and_print_exactly),
        cmocka_unit_test(test_json__read_values),
        cmocka_unit_test(test_json__integers_print_exactly),
        cmocka_unit_test(test_json__numbers_print_shortest),
        cmocka_unit_test(test_json__ref_builders_borrow_copies_do_not),
        cmocka_unit_test(test_json__remove_first_member_by_key),
        cmocka_unit_test(test_json__walk_members_in_order),
        cmocka_unit_test(test_json__allocator_hook_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
