/*  test_yaml.c - the YAML tree: kinds, values, positions, typed reads, and
 *  every refusal with its exact "name:line:col: message".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mt5/error.h"
#include "mt5/yaml.h"

/* ---- sandbox ----------------------------------------------------------- */

static char s_dir[64];

static int s_setup(void **state)
{
    (void)state;
    snprintf(s_dir, sizeof s_dir, "/tmp/mt5-yaml-XXXXXX");
    return mkdtemp(s_dir) ? 0 : -1;
}

static int s_teardown(void **state)
{
    (void)state;
    return rmdir(s_dir);
}

/* Write `len` bytes to <sandbox>/<name>; path returned in buf. */
static const char *s_write(char *buf, size_t cap, const char *name, const void *data, size_t len)
{
    snprintf(buf, cap, "%s/%s", s_dir, name);
    int fd = open(buf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
    return buf;
}

static mt5_yaml_doc_t *s_load(const char *text)
{
    mt5_yaml_doc_t *doc = NULL;
    int rc = mt5_yaml_load_string(&doc, text, "t.yaml");
    if (rc != MT5_OK)
        fail_msg("unexpected error %d: %s", rc, mt5_error_detail());
    return doc;
}

static void s_expect_node(const mt5_yaml_node_t *node, mt5_yaml_kind kind, int line, int col)
{
    assert_non_null(node);
    assert_int_equal(mt5_yaml_kind_of(node), kind);
    assert_int_equal(mt5_yaml_line(node), line);
    assert_int_equal(mt5_yaml_column(node), col);
}

/* ---- good documents ---------------------------------------------------- */

static void test_yaml__block_document_kinds_values_positions(void **state)
{
    (void)state;
    mt5_yaml_doc_t *doc = s_load("# settings\n"
                                 "name: gateway\n"
                                 "quoted: \"a b\"\n"
                                 "single: 'x'\n"
                                 "empty:\n"
                                 "list:\n"
                                 "  - 1\n"
                                 "  - two\n"
                                 "nested:\n"
                                 "    inner: {k: v, n: [1, 2]}\n");
    assert_string_equal(mt5_yaml_name(doc), "t.yaml");
    const mt5_yaml_node_t *root = mt5_yaml_root(doc);
    s_expect_node(root, MT5_YAML_MAP, 2, 1);
    assert_int_equal(mt5_yaml_size(root), 6);
    assert_null(mt5_yaml_scalar(root));

    s_expect_node(mt5_yaml_key(root, 0), MT5_YAML_SCALAR, 2, 1);
    assert_string_equal(mt5_yaml_scalar(mt5_yaml_key(root, 0)), "name");
    const mt5_yaml_node_t *name = mt5_yaml_value(root, 0);
    s_expect_node(name, MT5_YAML_SCALAR, 2, 7);
    assert_string_equal(mt5_yaml_scalar(name), "gateway");
    assert_true(mt5_yaml_plain(name));
    assert_int_equal(mt5_yaml_size(name), 0);

    const mt5_yaml_node_t *quoted = mt5_yaml_get(root, "quoted");
    s_expect_node(quoted, MT5_YAML_SCALAR, 3, 9);
    assert_string_equal(mt5_yaml_scalar(quoted), "a b");
    assert_false(mt5_yaml_plain(quoted));
    assert_false(mt5_yaml_plain(mt5_yaml_get(root, "single")));

    const mt5_yaml_node_t *empty = mt5_yaml_get(root, "empty");
    s_expect_node(empty, MT5_YAML_SCALAR, 5, 7);
    assert_string_equal(mt5_yaml_scalar(empty), "");
    assert_true(mt5_yaml_plain(empty));

    const mt5_yaml_node_t *list = mt5_yaml_get(root, "list");
    s_expect_node(list, MT5_YAML_SEQ, 7, 3);
    assert_int_equal(mt5_yaml_size(list), 2);
    s_expect_node(mt5_yaml_item(list, 0), MT5_YAML_SCALAR, 7, 5);
    assert_string_equal(mt5_yaml_scalar(mt5_yaml_item(list, 0)), "1");
    s_expect_node(mt5_yaml_item(list, 1), MT5_YAML_SCALAR, 8, 5);
    assert_string_equal(mt5_yaml_scalar(mt5_yaml_item(list, 1)), "two");
    assert_null(mt5_yaml_item(list, 2));

    const mt5_yaml_node_t *inner = mt5_yaml_get(mt5_yaml_get(root, "nested"), "inner");
    s_expect_node(inner, MT5_YAML_MAP, 10, 12);
    assert_int_equal(mt5_yaml_size(inner), 2);
    assert_string_equal(mt5_yaml_scalar(mt5_yaml_get(inner, "k")), "v");
    const mt5_yaml_node_t *n = mt5_yaml_get(inner, "n");
    s_expect_node(n, MT5_YAML_SEQ, 10, 22);
    s_expect_node(mt5_yaml_item(n, 1), MT5_YAML_SCALAR, 10, 26);
    assert_string_equal(mt5_yaml_scalar(mt5_yaml_item(n, 1)), "2");

    assert_null(mt5_yaml_get(root, "missing"));
    mt5_yaml_destroy(&doc);
    assert_null(doc);
}

static void test_yaml__utf8_columns_count_characters(void **state)
{
    (void)state;
    /* "é" is two bytes but one column. */
    mt5_yaml_doc_t *doc = s_load("k: [\xc3\xa9, x]\n");
    const mt5_yaml_node_t *seq = mt5_yaml_get(mt5_yaml_root(doc), "k");
    assert_string_equal(mt5_yaml_scalar(mt5_yaml_item(seq, 0)), "\xc3\xa9");
    s_expect_node(mt5_yaml_item(seq, 1), MT5_YAML_SCALAR, 1, 8);
    mt5_yaml_destroy(&doc);
}

static void test_yaml__root_scalar_and_sequence(void **state)
{
    (void)state;
    mt5_yaml_doc_t *doc = s_load("--- hello\n");
    s_expect_node(mt5_yaml_root(doc), MT5_YAML_SCALAR, 1, 5);
    assert_string_equal(mt5_yaml_scalar(mt5_yaml_root(doc)), "hello");
    mt5_yaml_destroy(&doc);

    doc = s_load("- a\n- b\n");
    s_expect_node(mt5_yaml_root(doc), MT5_YAML_SEQ, 1, 1);
    assert_int_equal(mt5_yaml_size(mt5_yaml_root(doc)), 2);
    /* Sequence accessors refuse maps and vice versa. */
    assert_null(mt5_yaml_key(mt5_yaml_root(doc), 0));
    assert_null(mt5_yaml_value(mt5_yaml_root(doc), 0));
    assert_null(mt5_yaml_get(mt5_yaml_root(doc), "a"));
    mt5_yaml_destroy(&doc);

    /* A quoted empty root is a value, not an empty document. */
    doc = s_load("--- ''\n");
    assert_string_equal(mt5_yaml_scalar(mt5_yaml_root(doc)), "");
    mt5_yaml_destroy(&doc);
}

static void test_yaml__empty_documents_have_null_root(void **state)
{
    (void)state;
    static const char *const empty[] = {"",      "\n",         "# only a comment\n",
                                        "---\n", "---\n...\n", "\xef\xbb\xbf"};
    for (size_t i = 0; i < sizeof empty / sizeof empty[0]; i++) {
        mt5_yaml_doc_t *doc = s_load(empty[i]);
        assert_non_null(doc);
        assert_null(mt5_yaml_root(doc));
        mt5_yaml_destroy(&doc);
    }
}

static void test_yaml__tags_are_ignored(void **state)
{
    (void)state;
    mt5_yaml_doc_t *doc = s_load("a: !!str 5\nb: !custom [1]\n");
    assert_string_equal(mt5_yaml_scalar(mt5_yaml_get(mt5_yaml_root(doc), "a")), "5");
    assert_int_equal(mt5_yaml_kind_of(mt5_yaml_get(mt5_yaml_root(doc), "b")), MT5_YAML_SEQ);
    mt5_yaml_destroy(&doc);
}

static void test_yaml__large_mapping_keeps_keys_unique(void **state)
{
    (void)state;
    /* Enough keys to grow the duplicate-key set several times. */
    size_t cap = 3000 * 16 + 32;
    char *text = malloc(cap);
    assert_non_null(text);
    size_t len = 0;
    for (int i = 0; i < 3000; i++)
        len += (size_t)snprintf(text + len, cap - len, "k%d: %d\n", i, i);
    mt5_yaml_doc_t *doc = s_load(text);
    assert_int_equal(mt5_yaml_size(mt5_yaml_root(doc)), 3000);
    assert_string_equal(mt5_yaml_scalar(mt5_yaml_get(mt5_yaml_root(doc), "k2999")), "2999");
    mt5_yaml_destroy(&doc);

    snprintf(text + len, cap - len, "k1234: again\n");
    assert_int_equal(mt5_yaml_load_string(&doc, text, "big.yaml"), MT5_EPARSE);
    assert_string_equal(mt5_error_detail(), "big.yaml:3001:1: duplicate key 'k1234'");
    assert_null(doc);
    free(text);
}

/* ---- refusals ---------------------------------------------------------- */

static void test_yaml__bad_documents_give_exact_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int code;
        const char *detail;
    } cases[] = {
        {"a: 1\n b: 2\n", MT5_EPARSE, "t.yaml:2:3: mapping values are not allowed in this context"},
        {"a:\n  - b\n - c\n", MT5_EPARSE,
         "t.yaml:3:2: did not find expected key while parsing a block mapping"},
        {"a: [1, 2\n", MT5_EPARSE,
         "t.yaml:2:1: did not find expected ',' or ']' while parsing a flow sequence"},
        {"a:\n\tb: 1\n", MT5_EPARSE,
         "t.yaml:2:1: found character that cannot start any token while scanning for the next "
         "token"},
        {"k: 'open\n", MT5_EPARSE,
         "t.yaml:2:1: found unexpected end of stream while scanning a quoted scalar"},
        {"a: 1\nb: 2\na: 3\n", MT5_EPARSE, "t.yaml:3:1: duplicate key 'a'"},
        {"x: {k: 1, k: 2}\n", MT5_EPARSE, "t.yaml:1:11: duplicate key 'k'"},
        {"a: *x\n", MT5_EPARSE, "t.yaml:1:4: aliases and anchors are not supported"},
        {"a: &x 1\n", MT5_EPARSE, "t.yaml:1:4: aliases and anchors are not supported"},
        {"a: &x [1]\n", MT5_EPARSE, "t.yaml:1:4: aliases and anchors are not supported"},
        {"a: &x {b: 1}\n", MT5_EPARSE, "t.yaml:1:4: aliases and anchors are not supported"},
        {"a: 1\n---\nb: 2\n", MT5_EPARSE, "t.yaml:2:1: more than one document is not supported"},
        {"{[1]: 2}\n", MT5_EPARSE, "t.yaml:1:2: mapping keys must be scalars"},
        {"? {a: 1}\n: 2\n", MT5_EPARSE, "t.yaml:1:3: mapping keys must be scalars"},
        {"k: \"a\\0b\"\n", MT5_EPARSE, "t.yaml:1:4: NUL characters are not supported"},
        {"a: \xff\n", MT5_EPARSE, "t.yaml:1:4: invalid leading UTF-8 octet (#xFF)"},
        {"a: \xc3\x28\n", MT5_EPARSE, "t.yaml:1:5: invalid trailing UTF-8 octet (#x28)"},
        {"a: \x01\n", MT5_EPARSE, "t.yaml:1:4: control characters are not allowed (#x01)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mt5_yaml_doc_t *doc = (mt5_yaml_doc_t *)&cases; /* must be left alone */
        mt5_yaml_doc_t *before = doc;
        int rc = mt5_yaml_load_string(&doc, cases[i].text, "t.yaml");
        if (rc != cases[i].code || strcmp(mt5_error_detail(), cases[i].detail) != 0)
            fail_msg("case %zu: got %d [%s], want %d [%s]", i, rc, mt5_error_detail(),
                     cases[i].code, cases[i].detail);
        assert_ptr_equal(doc, before);
    }
}

/* "[" * n + "]" * n */
static char *s_nested(int n)
{
    char *text = malloc((size_t)n * 2 + 1);
    assert_non_null(text);
    memset(text, '[', (size_t)n);
    memset(text + n, ']', (size_t)n);
    text[2 * n] = '\0';
    return text;
}

static void test_yaml__depth_limit_is_64(void **state)
{
    (void)state;
    char *text = s_nested(64);
    mt5_yaml_doc_t *doc = s_load(text);
    const mt5_yaml_node_t *node = mt5_yaml_root(doc);
    int depth = 0;
    while (node && mt5_yaml_kind_of(node) == MT5_YAML_SEQ) {
        depth++;
        node = mt5_yaml_item(node, 0);
    }
    assert_int_equal(depth, 64);
    mt5_yaml_destroy(&doc);
    free(text);

    text = s_nested(65);
    assert_int_equal(mt5_yaml_load_string(&doc, text, "deep"), MT5_EPARSE);
    assert_string_equal(mt5_error_detail(), "deep:1:65: nesting deeper than 64");
    assert_null(doc);
    free(text);

    /* Block style nests just the same. */
    char block[64 * 70];
    size_t len = 0;
    for (int i = 0; i < 65; i++)
        len += (size_t)snprintf(block + len, sizeof block - len, "%*sk:\n", i, "");
    assert_int_equal(mt5_yaml_load_string(&doc, block, "deep"), MT5_EPARSE);
    assert_string_equal(mt5_error_detail(), "deep:65:65: nesting deeper than 64");
}

/* A flow sequence of n scalars: n + 1 nodes. */
static char *s_flat(int n)
{
    char *text = malloc((size_t)n * 2 + 3);
    assert_non_null(text);
    size_t len = 0;
    text[len++] = '[';
    for (int i = 0; i < n; i++) {
        text[len++] = '1';
        text[len++] = ',';
    }
    text[len - 1] = ']';
    text[len] = '\0';
    return text;
}

static void test_yaml__node_limit_is_100000(void **state)
{
    (void)state;
    char *text = s_flat(99999);
    mt5_yaml_doc_t *doc = s_load(text);
    assert_int_equal(mt5_yaml_size(mt5_yaml_root(doc)), 99999);
    mt5_yaml_destroy(&doc);
    /* The node past the limit may be a collection too. */
    size_t len = strlen(text);
    char *more = malloc(len + 4);
    assert_non_null(more);
    memcpy(more, text, len - 1);
    memcpy(more + len - 1, ",[]]", 5);
    assert_int_equal(mt5_yaml_load_string(&doc, more, "wide"), MT5_ETOOLARGE);
    assert_string_equal(mt5_error_detail(), "wide:1:200000: more than 100000 nodes");
    free(more);
    free(text);

    text = s_flat(100000);
    assert_int_equal(mt5_yaml_load_string(&doc, text, "wide"), MT5_ETOOLARGE);
    assert_string_equal(mt5_error_detail(), "wide:1:200000: more than 100000 nodes");
    assert_null(doc);
    free(text);
}

/* ---- files ------------------------------------------------------------- */

static void test_yaml__file_loads_and_names_itself(void **state)
{
    (void)state;
    char path[256];
    s_write(path, sizeof path, "ok.yaml", "a:\r\n  b: 1\r\n", 12);
    mt5_yaml_doc_t *doc = NULL;
    assert_int_equal(mt5_yaml_load_file(&doc, path), MT5_OK);
    assert_string_equal(mt5_yaml_name(doc), path);
    const mt5_yaml_node_t *b = mt5_yaml_get(mt5_yaml_get(mt5_yaml_root(doc), "a"), "b");
    s_expect_node(b, MT5_YAML_SCALAR, 2, 6);
    assert_string_equal(mt5_yaml_scalar(b), "1");
    mt5_yaml_destroy(&doc);
    assert_int_equal(unlink(path), 0);
}

static void test_yaml__bad_files_give_exact_errors(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *data;
        size_t len;
        const char *detail; /* after "<path>:" */
    } cases[] = {
        {"nul.yaml", "a: 1\nb: x\0y\n", 12, "2:5: control characters are not allowed (#x00)"},
        {"utf8.yaml", "a: 1\nb: \xe2\x82\n", 10, "2:4: incomplete UTF-8 octet sequence"},
        {"overlong.yaml", "k: \xc0\xaf\n", 6, "1:4: invalid length of a UTF-8 sequence"},
        {"garbage.bin",
         "\x7f"
         "ELF\x02\x01\x01\0\0\0",
         10, "1:1: control characters are not allowed (#x7F)"},
        {"bom16.yaml",
         "\xff\xfe"
         "a\0:\0",
         6, "1:1: invalid leading UTF-8 octet (#xFF)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[256], want[512];
        s_write(path, sizeof path, cases[i].name, cases[i].data, cases[i].len);
        mt5_yaml_doc_t *doc = NULL;
        int rc = mt5_yaml_load_file(&doc, path);
        snprintf(want, sizeof want, "%s:%s", path, cases[i].detail);
        if (rc != MT5_EPARSE || strcmp(mt5_error_detail(), want) != 0)
            fail_msg("case %zu: got %d [%s], want [%s]", i, rc, mt5_error_detail(), want);
        assert_null(doc);
        assert_int_equal(unlink(path), 0);
    }
}

static void test_yaml__empty_file_has_null_root(void **state)
{
    (void)state;
    char path[256];
    s_write(path, sizeof path, "empty.yaml", "", 0);
    mt5_yaml_doc_t *doc = NULL;
    assert_int_equal(mt5_yaml_load_file(&doc, path), MT5_OK);
    assert_non_null(doc);
    assert_null(mt5_yaml_root(doc));
    mt5_yaml_destroy(&doc);
    assert_int_equal(unlink(path), 0);
}

static void test_yaml__unreadable_files_are_eio(void **state)
{
    (void)state;
    char path[256], want[512];
    mt5_yaml_doc_t *doc = NULL;
    snprintf(path, sizeof path, "%s/missing.yaml", s_dir);
    assert_int_equal(mt5_yaml_load_file(&doc, path), MT5_EIO);
    snprintf(want, sizeof want, "%s: No such file or directory", path);
    assert_string_equal(mt5_error_detail(), want);

    assert_int_equal(mt5_yaml_load_file(&doc, s_dir), MT5_EIO);
    snprintf(want, sizeof want, "%s: not a regular file", s_dir);
    assert_string_equal(mt5_error_detail(), want);
    assert_null(doc);
}

static void test_yaml__file_over_16_mib_is_too_large(void **state)
{
    (void)state;
    char path[256], want[512];
    snprintf(path, sizeof path, "%s/huge.yaml", s_dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    /* Sparse: no disk space used. */
    assert_int_equal(ftruncate(fd, 16 * 1024 * 1024 + 1), 0);
    close(fd);
    mt5_yaml_doc_t *doc = NULL;
    assert_int_equal(mt5_yaml_load_file(&doc, path), MT5_ETOOLARGE);
    snprintf(want, sizeof want, "%s: larger than 16777216 bytes", path);
    assert_string_equal(mt5_error_detail(), want);
    assert_null(doc);

    /* Exactly at the limit is read (and is all NUL bytes, so refused). */
    fd = open(path, O_WRONLY | O_TRUNC);
    assert_int_equal(ftruncate(fd, 16 * 1024 * 1024), 0);
    close(fd);
    assert_int_equal(mt5_yaml_load_file(&doc, path), MT5_EPARSE);
    snprintf(want, sizeof want, "%s:1:1: control characters are not allowed (#x00)", path);
    assert_string_equal(mt5_error_detail(), want);
    assert_int_equal(unlink(path), 0);
}

static void test_yaml__string_over_16_mib_is_too_large(void **state)
{
    (void)state;
    size_t len = 16 * 1024 * 1024 + 1;
    char *text = malloc(len + 1);
    assert_non_null(text);
    memset(text, '#', len);
    text[len] = '\0';
    mt5_yaml_doc_t *doc = NULL;
    assert_int_equal(mt5_yaml_load_string(&doc, text, "big"), MT5_ETOOLARGE);
    assert_string_equal(mt5_error_detail(), "big: larger than 16777216 bytes");
    assert_null(doc);
    free(text);
}

static void test_yaml__file_of_unknown_size_is_read_to_its_end(void **state)
{
    (void)state;
    /* /proc files say they are 0 bytes long; /proc/self/status is
     * "Key:<tab>value" lines, which read as a mapping. */
    char comm[64] = "";
    FILE *f = fopen("/proc/self/comm", "r");
    if (!f || !fgets(comm, sizeof comm, f))
        skip();
    fclose(f);
    comm[strcspn(comm, "\n")] = '\0';
    mt5_yaml_doc_t *doc = NULL;
    assert_int_equal(mt5_yaml_load_file(&doc, "/proc/self/status"), MT5_OK);
    const mt5_yaml_node_t *root = mt5_yaml_root(doc);
    assert_int_equal(mt5_yaml_kind_of(root), MT5_YAML_MAP);
    assert_true(mt5_yaml_size(root) > 20);
    s_expect_node(mt5_yaml_key(root, 0), MT5_YAML_SCALAR, 1, 1);
    assert_string_equal(mt5_yaml_scalar(mt5_yaml_key(root, 0)), "Name");
    assert_string_equal(mt5_yaml_scalar(mt5_yaml_get(root, "Name")), comm);
    mt5_yaml_destroy(&doc);
}

static void test_yaml__bad_arguments(void **state)
{
    (void)state;
    mt5_yaml_doc_t *doc = NULL;
    assert_int_equal(mt5_yaml_load_string(NULL, "a: 1", "x"), MT5_EINVAL);
    assert_int_equal(mt5_yaml_load_string(&doc, NULL, "x"), MT5_EINVAL);
    assert_string_equal(mt5_error_detail(), "x: no text to parse");
    assert_int_equal(mt5_yaml_load_file(&doc, NULL), MT5_EINVAL);
    assert_int_equal(mt5_yaml_load_file(NULL, "/x"), MT5_EINVAL);
    assert_null(doc);
    /* A string without a name is called "<string>". */
    assert_int_equal(mt5_yaml_load_string(&doc, "a: [", NULL), MT5_EPARSE);
    assert_string_equal(mt5_error_detail(),
                        "<string>:2:1: did not find expected node content while parsing a flow "
                        "node");
    /* Accessors are NULL-safe. */
    mt5_yaml_destroy(NULL);
    mt5_yaml_destroy(&doc);
    assert_null(mt5_yaml_root(NULL));
    assert_null(mt5_yaml_name(NULL));
    assert_int_equal(mt5_yaml_kind_of(NULL), 0);
    assert_int_equal(mt5_yaml_line(NULL), 0);
    assert_int_equal(mt5_yaml_column(NULL), 0);
    assert_null(mt5_yaml_scalar(NULL));
    assert_false(mt5_yaml_plain(NULL));
    assert_int_equal(mt5_yaml_size(NULL), 0);
    assert_null(mt5_yaml_item(NULL, 0));
    assert_null(mt5_yaml_key(NULL, 0));
    assert_null(mt5_yaml_value(NULL, 0));
    assert_null(mt5_yaml_get(NULL, "a"));
}

/* ---- typed reads ------------------------------------------------------- */

/* Load "v: <text>" and return the value node (document in *doc). */
static const mt5_yaml_node_t *s_value(mt5_yaml_doc_t **doc, const char *text)
{
    char buf[256];
    snprintf(buf, sizeof buf, "v: %s\n", text);
    *doc = s_load(buf);
    return mt5_yaml_get(mt5_yaml_root(*doc), "v");
}

/* Bytes with a length: nothing past it is read, a NUL inside is refused
 * at its position. */
static void test_yaml__bytes_load_to_their_length(void **state)
{
    (void)state;
    mt5_yaml_doc_t *doc = NULL;
    static const char text[] = "a: 1\nb: xJUNK";
    assert_int_equal(mt5_yaml_load_bytes(&doc, text, 9, "b.yaml"), MT5_OK);
    assert_string_equal(mt5_yaml_name(doc), "b.yaml");
    assert_int_equal(mt5_yaml_size(mt5_yaml_root(doc)), 2);
    assert_string_equal(mt5_yaml_scalar(mt5_yaml_get(mt5_yaml_root(doc), "b")), "x");
    mt5_yaml_destroy(&doc);

    doc = (mt5_yaml_doc_t *)0x1;
    assert_int_equal(mt5_yaml_load_bytes(&doc, "a: 1\nb: x\0y\n", 12, "n.yaml"), MT5_EPARSE);
    assert_string_equal(mt5_error_detail(),
                        "n.yaml:2:5: control characters are not allowed (#x00)");
    assert_int_equal(mt5_yaml_load_bytes(&doc, "\0", 1, NULL), MT5_EPARSE);
    assert_string_equal(mt5_error_detail(),
                        "<string>:1:1: control characters are not allowed (#x00)");
    assert_ptr_equal(doc, (mt5_yaml_doc_t *)0x1);

    /* Nothing at all is an empty document. */
    doc = NULL;
    assert_int_equal(mt5_yaml_load_bytes(&doc, NULL, 0, "e"), MT5_OK);
    assert_non_null(doc);
    assert_null(mt5_yaml_root(doc));
    mt5_yaml_destroy(&doc);

    assert_int_equal(mt5_yaml_load_bytes(NULL, "a", 1, "x"), MT5_EINVAL);
    assert_int_equal(mt5_yaml_load_bytes(&doc, NULL, 3, "x"), MT5_EINVAL);
    assert_string_equal(mt5_error_detail(), "x: no text to parse");
    assert_null(doc);
}

static void test_yaml__int_reads(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int64_t value;
    } good[] = {
        {"0", 0},
        {"42", 42},
        {"+7", 7},
        {"-13", -13},
        {"007", 7},
        {"9223372036854775807", INT64_MAX},
        {"-9223372036854775808", INT64_MIN},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        mt5_yaml_doc_t *doc;
        int64_t v = -1;
        assert_int_equal(mt5_yaml_int(&v, s_value(&doc, good[i].text)), MT5_OK);
        assert_int_equal(v, good[i].value);
        mt5_yaml_destroy(&doc);
    }
    static const char *const bad[] = {"9223372036854775808",
                                      "-9223372036854775809",
                                      "1.0",
                                      "12a",
                                      "0x10",
                                      "-x",
                                      "+",
                                      "''",
                                      "'5'",
                                      "[1]",
                                      "{a: 1}",
                                      "1e3",
                                      "",
                                      "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mt5_yaml_doc_t *doc;
        int64_t v = 77;
        if (mt5_yaml_int(&v, s_value(&doc, bad[i])) != MT5_EPARSE)
            fail_msg("'%s' read as an integer", bad[i]);
        assert_int_equal(v, 77);
        mt5_yaml_destroy(&doc);
    }
    mt5_yaml_doc_t *doc;
    int64_t v;
    assert_int_equal(mt5_yaml_int(&v, s_value(&doc, "12a")), MT5_EPARSE);
    assert_string_equal(mt5_error_detail(), "t.yaml:1:4: expected an integer, found '12a'");
    mt5_yaml_destroy(&doc);
    assert_int_equal(mt5_yaml_int(&v, s_value(&doc, "'5'")), MT5_EPARSE);
    assert_string_equal(mt5_error_detail(), "t.yaml:1:4: expected an integer, found '5' (quoted)");
    mt5_yaml_destroy(&doc);
    assert_int_equal(mt5_yaml_int(&v, s_value(&doc, "[5]")), MT5_EPARSE);
    assert_string_equal(mt5_error_detail(), "t.yaml:1:4: expected an integer, found a sequence");
    mt5_yaml_destroy(&doc);
    assert_int_equal(mt5_yaml_int(&v, NULL), MT5_EPARSE);
    assert_string_equal(mt5_error_detail(), "no value where an integer was expected");
}

static void test_yaml__double_reads(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        double value;
    } good[] = {
        {"0", 0.0},      {"1.5", 1.5},     {"-2.25", -2.25}, {"+3", 3.0},
        {"1e3", 1000.0}, {"2.5E-1", 0.25}, {".5", 0.5},      {"100", 100.0},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        mt5_yaml_doc_t *doc;
        double v = -1;
        assert_int_equal(mt5_yaml_double(&v, s_value(&doc, good[i].text)), MT5_OK);
        assert_true(v == good[i].value);
        mt5_yaml_destroy(&doc);
    }
    static const char *const bad[] = {"1e999", "-1e999", "nan", "inf",  ".inf", "0x10", "1.5x",
                                      "'1.5'", "",       "abc", "1..2", "[1]",  "e",    "+"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mt5_yaml_doc_t *doc;
        double v = 77;
        if (mt5_yaml_double(&v, s_value(&doc, bad[i])) != MT5_EPARSE)
            fail_msg("'%s' read as a number", bad[i]);
        assert_true(v == 77);
        mt5_yaml_destroy(&doc);
    }
    mt5_yaml_doc_t *doc;
    double v;
    assert_int_equal(mt5_yaml_double(&v, s_value(&doc, "{a: 1}")), MT5_EPARSE);
    assert_string_equal(mt5_error_detail(), "t.yaml:1:4: expected a number, found a mapping");
    mt5_yaml_destroy(&doc);
}

static void test_yaml__bool_reads(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        bool value;
    } good[] = {
        {"true", true}, {"True", true}, {"TRUE", true}, {"false", false}, {"FALSE", false},
        {"yes", true},  {"Yes", true},  {"no", false},  {"NO", false},    {"on", true},
        {"ON", true},   {"off", false}, {"Off", false},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        mt5_yaml_doc_t *doc;
        bool v = !good[i].value;
        assert_int_equal(mt5_yaml_bool(&v, s_value(&doc, good[i].text)), MT5_OK);
        assert_int_equal(v, good[i].value);
        mt5_yaml_destroy(&doc);
    }
    static const char *const bad[] = {"1", "0", "y", "n", "'true'", "truee", "", "[true]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mt5_yaml_doc_t *doc;
        bool v = true;
        if (mt5_yaml_bool(&v, s_value(&doc, bad[i])) != MT5_EPARSE)
            fail_msg("'%s' read as a boolean", bad[i]);
        assert_true(v);
        mt5_yaml_destroy(&doc);
    }
    mt5_yaml_doc_t *doc;
    bool v;
    assert_int_equal(mt5_yaml_bool(&v, s_value(&doc, "maybe")), MT5_EPARSE);
    assert_string_equal(mt5_error_detail(), "t.yaml:1:4: expected true or false, found 'maybe'");
    mt5_yaml_destroy(&doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_yaml__block_document_kinds_values_positions),
        cmocka_unit_test(test_yaml__utf8_columns_count_characters),
        cmocka_unit_test(test_yaml__root_scalar_and_sequence),
        cmocka_unit_test(test_yaml__empty_documents_have_null_root),
        cmocka_unit_test(test_yaml__tags_are_ignored),
        cmocka_unit_test(test_yaml__large_mapping_keeps_keys_unique),
        cmocka_unit_test(test_yaml__bad_documents_give_exact_errors),
        cmocka_unit_test(test_yaml__depth_limit_is_64),
        cmocka_unit_test(test_yaml__node_limit_is_100000),
        cmocka_unit_test(test_yaml__file_loads_and_names_itself),
        cmocka_unit_test(test_yaml__bad_files_give_exact_errors),
        cmocka_unit_test(test_yaml__empty_file_has_null_root),
        cmocka_unit_test(test_yaml__unreadable_files_are_eio),
        cmocka_unit_test(test_yaml__file_over_16_mib_is_too_large),
        cmocka_unit_test(test_yaml__string_over_16_mib_is_too_large),
        cmocka_unit_test(test_yaml__file_of_unknown_size_is_read_to_its_end),
        cmocka_unit_test(test_yaml__bad_arguments),
        cmocka_unit_test(test_yaml__bytes_load_to_their_length),
        cmocka_unit_test(test_yaml__int_reads),
        cmocka_unit_test(test_yaml__double_reads),
        cmocka_unit_test(test_yaml__bool_reads),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
