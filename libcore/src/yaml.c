/*  yaml.c - a YAML document as a small read-only tree, built from libyaml.
 *
 *  libyaml's parser gives a stream of events; we turn them into nodes that
 *  remember where they started, so that whoever reads the tree (config,
 *  manifests) can point at file:line:column. This is the only libcore file
 *  that includes <yaml.h>.
 *
 *  The subset accepted is deliberately small. Anchors and aliases are
 *  refused because they let a few bytes describe a huge tree ("billion
 *  laughs") and nobody needs them in a configuration file. Duplicate keys
 *  are refused because YAML says they are an error and silently keeping
 *  the last one hides mistakes. Depth, node count and input size are
 *  bounded so hostile input cannot exhaust the stack or memory. Scalars
 *  holding a NUL character are refused too: the tree hands out C strings,
 *  and "key\0junk" must not read as "key".
 */
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "mt5/error.h"
#include "mt5/file.h"
#include "mt5/num.h"
#include "mt5/yaml.h"

#define S_MAX_DEPTH 64
#define S_MAX_NODES 100000
#define S_MAX_BYTES MT5_YAML_MAX_BYTES

struct mt5_yaml_node_t {
    mt5_yaml_kind kind;        /* scalar, sequence or mapping */
    int line;                  /* 1-based line of the node's first character */
    int column;                /* 1-based column, in characters */
    bool plain;                /* scalar written without quotes or block style */
    char *text;                /* scalar text, NUL-terminated; NULL otherwise */
    mt5_yaml_node_t **items;   /* children; a mapping stores key, value, key, ... */
    size_t count;              /* number of entries in items */
    size_t cap;                /* allocated entries in items */
    const mt5_yaml_doc_t *doc; /* owning document, for error messages */
};

struct mt5_yaml_doc_t {
    char *name;            /* file name (or caller's name) for messages */
    mt5_yaml_node_t *root; /* NULL for an empty document */
};

/* An open collection while the tree is built. A mapping keeps a hash set
 * of its keys, so duplicate detection stays linear on large mappings. */
typedef struct {
    mt5_yaml_node_t *node; /* the sequence or mapping being filled */
    size_t *slots;         /* mapping only: key index + 1, 0 = empty */
    size_t nslots;         /* power of two, or 0 before the first key */
} s_frame_t;

typedef struct {
    mt5_yaml_doc_t *doc;          /* document being built */
    const char *input;            /* the whole input, for reader error positions */
    size_t input_len;             /* its length in bytes */
    s_frame_t stack[S_MAX_DEPTH]; /* open collections, innermost last */
    int depth;                    /* entries used in stack */
    size_t nodes;                 /* nodes created so far */
    int documents;                /* DOCUMENT-START events seen */
} s_builder_t;

static void s_node_destroy(mt5_yaml_node_t *node)
{
    if (!node)
        return;
    for (size_t i = 0; i < node->count; i++)
        s_node_destroy(node->items[i]);
    free(node->items);
    free(node->text);
    free(node);
}

void mt5_yaml_destroy(mt5_yaml_doc_t **self)
{
    if (!self || !*self)
        return;
    s_node_destroy((*self)->root);
    free((*self)->name);
    free(*self);
    *self = NULL;
}

/* Report a problem at a libyaml mark (0-based) as name:line:col (1-based). */
static int s_fail_at(s_builder_t *b, int code, yaml_mark_t mark, const char *what)
{
    return mt5_error_set(code, "%s:%zu:%zu: %s", b->doc->name, mark.line + 1, mark.column + 1,
                         what);
}

/* The reader reports a byte offset, not a mark: count lines and characters
 * up to it ourselves, treating UTF-8 continuation bytes as part of their
 * character. */
static void s_offset_mark(const s_builder_t *b, size_t offset, size_t *line, size_t *col)
{
    size_t l = 1, c = 1;
    for (size_t i = 0; i < offset && i < b->input_len; i++) {
        unsigned char ch = (unsigned char)b->input[i];
        if (ch == '\n') {
            l++;
            c = 1;
        } else if ((ch & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *col = c;
}

static int s_parser_error(s_builder_t *b, const yaml_parser_t *parser)
{
    const char *problem = parser->problem ? parser->problem : "unknown problem";
    if (parser->error == YAML_MEMORY_ERROR)
        return mt5_error_set(MT5_ENOMEM, "%s: out of memory while parsing", b->doc->name);
    if (parser->error == YAML_READER_ERROR) {
        size_t line, col;
        s_offset_mark(b, parser->problem_offset, &line, &col);
        if (parser->problem_value >= 0)
            return mt5_error_set(MT5_EPARSE, "%s:%zu:%zu: %s (#x%02X)", b->doc->name, line, col,
                                 problem, (unsigned)parser->problem_value);
        return mt5_error_set(MT5_EPARSE, "%s:%zu:%zu: %s", b->doc->name, line, col, problem);
    }
    if (parser->context)
        return mt5_error_set(MT5_EPARSE, "%s:%zu:%zu: %s %s", b->doc->name,
                             parser->problem_mark.line + 1, parser->problem_mark.column + 1,
                             problem, parser->context);
    return s_fail_at(b, MT5_EPARSE, parser->problem_mark, problem);
}

static uint64_t s_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* Insert key number `k` (index into map->items) into the frame's set.
 * Returns 1 when an equal key is already there, 0 when inserted, -1 on
 * out of memory. */
static int s_key_insert(s_frame_t *f, size_t k)
{
    mt5_yaml_node_t **items = f->node->items;
    size_t keys = f->node->count / 2 + 1;
    if (keys * 2 > f->nslots) {
        size_t n = f->nslots ? f->nslots * 2 : 16;
        size_t *slots = calloc(n, sizeof *slots);
        if (!slots)
            return -1;
        for (size_t i = 0; i < f->nslots; i++) {
            if (!f->slots[i])
                continue;
            size_t j = s_hash(items[f->slots[i] - 1]->text) & (n - 1);
            while (slots[j])
                j = (j + 1) & (n - 1);
            slots[j] = f->slots[i];
        }
        free(f->slots);
        f->slots = slots;
        f->nslots = n;
    }
    const char *text = items[k]->text;
    size_t j = s_hash(text) & (f->nslots - 1);
    while (f->slots[j]) {
        if (strcmp(items[f->slots[j] - 1]->text, text) == 0)
            return 1;
        j = (j + 1) & (f->nslots - 1);
    }
    f->slots[j] = k + 1;
    return 0;
}

/* Attach a new node to the innermost open collection, or make it the
 * root. On failure the node is freed. */
static int s_attach(s_builder_t *b, mt5_yaml_node_t *node, yaml_mark_t mark)
{
    if (b->depth == 0) {
        b->doc->root = node;
        return MT5_OK;
    }
    s_frame_t *f = &b->stack[b->depth - 1];
    mt5_yaml_node_t *parent = f->node;
    bool is_key = parent->kind == MT5_YAML_MAP && parent->count % 2 == 0;
    if (is_key && node->kind != MT5_YAML_SCALAR) {
        s_node_destroy(node);
        return s_fail_at(b, MT5_EPARSE, mark, "mapping keys must be scalars");
    }
    if (parent->count == parent->cap) {
        size_t cap = parent->cap ? parent->cap * 2 : 4;
        mt5_yaml_node_t **items = realloc(parent->items, cap * sizeof *items);
        if (!items) {
            s_node_destroy(node);
            return mt5_error_set(MT5_ENOMEM, "%s: out of memory", b->doc->name);
        }
        parent->items = items;
        parent->cap = cap;
    }
    parent->items[parent->count] = node;
    if (is_key) {
        int dup = s_key_insert(f, parent->count);
        if (dup < 0) {
            s_node_destroy(node);
            return mt5_error_set(MT5_ENOMEM, "%s: out of memory", b->doc->name);
        }
        if (dup > 0) {
            int rc = mt5_error_set(MT5_EPARSE, "%s:%zu:%zu: duplicate key '%s'", b->doc->name,
                                   mark.line + 1, mark.column + 1, node->text);
            s_node_destroy(node);
            return rc;
        }
    }
    parent->count++;
    return MT5_OK;
}

static int s_new_node(s_builder_t *b, mt5_yaml_node_t **out, mt5_yaml_kind kind, yaml_mark_t mark,
                      const yaml_char_t *anchor)
{
    if (anchor)
        return s_fail_at(b, MT5_EPARSE, mark, "aliases and anchors are not supported");
    if (b->nodes >= S_MAX_NODES)
        return s_fail_at(b, MT5_ETOOLARGE, mark, "more than 100000 nodes");
    mt5_yaml_node_t *node = calloc(1, sizeof *node);
    if (!node)
        return mt5_error_set(MT5_ENOMEM, "%s: out of memory", b->doc->name);
    node->kind = kind;
    node->line = mark.line + 1 > 2147483647u ? 2147483647 : (int)(mark.line + 1);
    node->column = mark.column + 1 > 2147483647u ? 2147483647 : (int)(mark.column + 1);
    node->doc = b->doc;
    b->nodes++;
    *out = node;
    return MT5_OK;
}

static int s_on_scalar(s_builder_t *b, const yaml_event_t *ev)
{
    const char *value = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    if (memchr(value, '\0', len))
        return s_fail_at(b, MT5_EPARSE, ev->start_mark, "NUL characters are not supported");
    mt5_yaml_node_t *node = NULL;
    int rc = s_new_node(b, &node, MT5_YAML_SCALAR, ev->start_mark, ev->data.scalar.anchor);
    if (rc)
        return rc;
    node->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    node->text = malloc(len + 1);
    if (!node->text) {
        s_node_destroy(node);
        return mt5_error_set(MT5_ENOMEM, "%s: out of memory", b->doc->name);
    }
    memcpy(node->text, value, len);
    node->text[len] = '\0';
    return s_attach(b, node, ev->start_mark);
}

static int s_on_start(s_builder_t *b, const yaml_event_t *ev, mt5_yaml_kind kind)
{
    const yaml_char_t *anchor =
        kind == MT5_YAML_MAP ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
    if (anchor)
        return s_fail_at(b, MT5_EPARSE, ev->start_mark, "aliases and anchors are not supported");
    if (b->depth >= S_MAX_DEPTH)
        return s_fail_at(b, MT5_EPARSE, ev->start_mark, "nesting deeper than 64");
    mt5_yaml_node_t *node = NULL;
    int rc = s_new_node(b, &node, kind, ev->start_mark, NULL);
    if (rc)
        return rc;
    rc = s_attach(b, node, ev->start_mark);
    if (rc)
        return rc;
    b->stack[b->depth].node = node;
    b->stack[b->depth].slots = NULL;
    b->stack[b->depth].nslots = 0;
    b->depth++;
    return MT5_OK;
}

static void s_on_end(s_builder_t *b)
{
    /* libyaml only emits balanced end events, so depth is never 0 here. */
    if (b->depth > 0) {
        b->depth--;
        free(b->stack[b->depth].slots);
        b->stack[b->depth].slots = NULL;
    }
}

#define S_STREAM_END (-1)

/* Feed one event to the builder. Returns MT5_OK, an error, or S_STREAM_END
 * when the stream has ended. */
static int s_on_event(s_builder_t *b, const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_STREAM_END_EVENT:
        return S_STREAM_END;
    case YAML_DOCUMENT_START_EVENT:
        if (++b->documents > 1)
            return s_fail_at(b, MT5_EPARSE, ev->start_mark,
                             "more than one document is not supported");
        return MT5_OK;
    case YAML_ALIAS_EVENT:
        return s_fail_at(b, MT5_EPARSE, ev->start_mark, "aliases and anchors are not supported");
    case YAML_SCALAR_EVENT:
        return s_on_scalar(b, ev);
    case YAML_SEQUENCE_START_EVENT:
        return s_on_start(b, ev, MT5_YAML_SEQ);
    case YAML_MAPPING_START_EVENT:
        return s_on_start(b, ev, MT5_YAML_MAP);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        s_on_end(b);
        return MT5_OK;
    default: /* stream start, document end */
        return MT5_OK;
    }
}

/* Parse `len` bytes of `text` into a new document called `name`. */
static int s_load(mt5_yaml_doc_t **out, const char *text, size_t len, const char *name)
{
    if (len > S_MAX_BYTES)
        return mt5_error_set(MT5_ETOOLARGE, "%s: larger than %u bytes", name, S_MAX_BYTES);
    s_builder_t b;
    memset(&b, 0, sizeof b);
    b.input = text;
    b.input_len = len;
    b.doc = calloc(1, sizeof *b.doc);
    if (!b.doc)
        return mt5_error_set(MT5_ENOMEM, "%s: out of memory", name);
    size_t name_len = strlen(name);
    b.doc->name = malloc(name_len + 1);
    if (!b.doc->name) {
        free(b.doc);
        return mt5_error_set(MT5_ENOMEM, "%s: out of memory", name);
    }
    memcpy(b.doc->name, name, name_len + 1);

    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        mt5_yaml_destroy(&b.doc);
        return mt5_error_set(MT5_ENOMEM, "%s: out of memory", name);
    }
    /* Configuration is UTF-8; do not let a stray BOM switch to UTF-16. */
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);

    int rc = MT5_OK;
    while (rc == MT5_OK) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = s_parser_error(&b, &parser);
            break;
        }
        rc = s_on_event(&b, &ev);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    while (b.depth > 0)
        s_on_end(&b);
    if (rc != S_STREAM_END) {
        mt5_yaml_destroy(&b.doc);
        return rc;
    }
    /* "---" with nothing after it reads as an empty plain scalar: that is
     * an empty document, not a document holding "". */
    mt5_yaml_node_t *root = b.doc->root;
    if (root && root->kind == MT5_YAML_SCALAR && root->plain && root->text[0] == '\0') {
        s_node_destroy(root);
        b.doc->root = NULL;
    }
    mt5_error_clear();
    *out = b.doc;
    return MT5_OK;
}

int mt5_yaml_load_string(mt5_yaml_doc_t **out, const char *text, const char *name)
{
    if (!name)
        name = "<string>";
    if (!out || !text)
        return mt5_error_set(MT5_EINVAL, "%s: no text to parse", name);
    return s_load(out, text, strlen(text), name);
}

int mt5_yaml_load_bytes(mt5_yaml_doc_t **out, const char *bytes, size_t len, const char *name)
{
    if (!name)
        name = "<string>";
    if (!out || (!bytes && len))
        return mt5_error_set(MT5_EINVAL, "%s: no text to parse", name);
    /* libyaml's reader refuses a NUL as a control character, at its
     * position: the tree cannot silently end there. */
    return s_load(out, bytes ? bytes : "", len, name);
}

int mt5_yaml_load_file(mt5_yaml_doc_t **out, const char *path)
{
    if (!out || !path)
        return mt5_error_set(MT5_EINVAL, "no file to parse");
    /* Regular files only: a FIFO or a device could block or never end. */
    int fd = -1;
    if (mt5_file_open_regular(&fd, NULL, path) != MT5_OK)
        return MT5_EIO; /* missing, "not a regular file": to the caller it is unreadable */
    char *buf = NULL;
    size_t len = 0;
    int rc = mt5_file_read_all(&buf, &len, fd, S_MAX_BYTES, 0);
    close(fd);
    if (rc != MT5_OK)
        return mt5_error_set(rc, "%s: %s", path, mt5_error_detail());
    rc = s_load(out, buf, len, path);
    free(buf);
    return rc;
}

const mt5_yaml_node_t *mt5_yaml_root(const mt5_yaml_doc_t *doc)
{
    return doc ? doc->root : NULL;
}

const char *mt5_yaml_name(const mt5_yaml_doc_t *doc)
{
    return doc ? doc->name : NULL;
}

mt5_yaml_kind mt5_yaml_kind_of(const mt5_yaml_node_t *node)
{
    return node ? node->kind : (mt5_yaml_kind)0;
}

int mt5_yaml_line(const mt5_yaml_node_t *node)
{
    return node ? node->line : 0;
}

int mt5_yaml_column(const mt5_yaml_node_t *node)
{
    return node ? node->column : 0;
}

const char *mt5_yaml_scalar(const mt5_yaml_node_t *node)
{
    return node && node->kind == MT5_YAML_SCALAR ? node->text : NULL;
}

bool mt5_yaml_plain(const mt5_yaml_node_t *node)
{
    return node && node->kind == MT5_YAML_SCALAR && node->plain;
}

size_t mt5_yaml_size(const mt5_yaml_node_t *node)
{
    if (!node || node->kind == MT5_YAML_SCALAR)
        return 0;
    return node->kind == MT5_YAML_MAP ? node->count / 2 : node->count;
}

const mt5_yaml_node_t *mt5_yaml_item(const mt5_yaml_node_t *seq, size_t i)
{
    if (!seq || seq->kind != MT5_YAML_SEQ || i >= seq->count)
        return NULL;
    return seq->items[i];
}

const mt5_yaml_node_t *mt5_yaml_key(const mt5_yaml_node_t *map, size_t i)
{
    if (!map || map->kind != MT5_YAML_MAP || i >= map->count / 2)
        return NULL;
    return map->items[2 * i];
}

const mt5_yaml_node_t *mt5_yaml_value(const mt5_yaml_node_t *map, size_t i)
{
    if (!map || map->kind != MT5_YAML_MAP || i >= map->count / 2)
        return NULL;
    return map->items[2 * i + 1];
}

const mt5_yaml_node_t *mt5_yaml_get(const mt5_yaml_node_t *map, const char *key)
{
    if (!map || map->kind != MT5_YAML_MAP || !key)
        return NULL;
    for (size_t i = 0; i + 1 < map->count; i += 2) {
        if (strcmp(map->items[i]->text, key) == 0)
            return map->items[i + 1];
    }
    return NULL;
}

/* Typed reads take plain scalars only: in YAML, "5" in quotes is a string. */
static int s_typed(const mt5_yaml_node_t *node, const char *type)
{
    if (!node)
        return mt5_error_set(MT5_EPARSE, "no value where %s was expected", type);
    const char *name = node->doc ? node->doc->name : "<yaml>";
    if (node->kind != MT5_YAML_SCALAR)
        return mt5_error_set(MT5_EPARSE, "%s:%d:%d: expected %s, found a %s", name, node->line,
                             node->column, type,
                             node->kind == MT5_YAML_MAP ? "mapping" : "sequence");
    return mt5_error_set(MT5_EPARSE, "%s:%d:%d: expected %s, found '%s'%s", name, node->line,
                         node->column, type, node->text, node->plain ? "" : " (quoted)");
}

int mt5_yaml_int(int64_t *out, const mt5_yaml_node_t *node)
{
    if (!out || !node || node->kind != MT5_YAML_SCALAR || !node->plain)
        return s_typed(node, "an integer");
    if (mt5_num_int(out, node->text, INT64_MIN, INT64_MAX) != MT5_OK)
        return s_typed(node, "an integer");
    return MT5_OK;
}

int mt5_yaml_double(double *out, const mt5_yaml_node_t *node)
{
    if (!out || !node || node->kind != MT5_YAML_SCALAR || !node->plain)
        return s_typed(node, "a number");
    if (mt5_num_double(out, node->text, -DBL_MAX, DBL_MAX) != MT5_OK)
        return s_typed(node, "a number");
    return MT5_OK;
}

/* A plain scalar, in any case: true, yes, on read as true; false, no, off
 * as false (mt5_num_bool's table). Anything else, "y", "n", "1" and "0"
 * included, is MT5_EPARSE. For readers of the tree as written; the
 * manifest loader expands variables first and calls mt5_num_bool on the
 * result. */
int mt5_yaml_bool(bool *out, const mt5_yaml_node_t *node)
{
    if (!out || !node || node->kind != MT5_YAML_SCALAR || !node->plain ||
        mt5_num_bool(out, node->text) != MT5_OK)
        return s_typed(node, "true or false");
    return MT5_OK;
}
