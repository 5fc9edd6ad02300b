/*  test_json.c - JSON values: strict parsing, building, reading. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json__parse_rejects_trailing_bytes_and_garbage),
        cmocka_unit_test(test_json__build_and_print_exactly),
        cmocka_unit_test(test_json__read_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
