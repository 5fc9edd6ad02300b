/*  mt5/yaml.h - a YAML document as a small read-only tree.
 *
 *  libyaml's event stream is turned into nodes that keep their line and
 *  column, so configuration and manifest errors can say file:line:column.
 *  Aliases and anchors are refused (they make documents that explode), as
 *  are duplicate keys in a mapping. Documents are bounded in depth and
 *  size so hostile input cannot exhaust the stack or memory.
 */
#ifndef MT5_YAML_H
#define MT5_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { MT5_YAML_SCALAR = 1, MT5_YAML_SEQ, MT5_YAML_MAP } mt5_yaml_kind;

typedef struct mt5_yaml_doc_t mt5_yaml_doc_t;
typedef struct mt5_yaml_node_t mt5_yaml_node_t;

/* The largest document read or parsed, in bytes. */
#define MT5_YAML_MAX_BYTES (16u * 1024u * 1024u)

/*  Parse a file, a NUL-terminated string, or `len` bytes (which need no
 *  NUL after them; `name` is used in messages, "<string>" when NULL). On
 *  success *out is caller-owned, destroy with mt5_yaml_destroy(). On
 *  failure returns MT5_EIO (a file that cannot be opened, is not a
 *  regular file or fails to read: "<path>: <reason>") or MT5_EPARSE, with
 *  a detail of the form "<name>:<line>:<column>: <what is wrong>"
 *  (1-based); a NUL byte in the input is refused as "control characters
 *  are not allowed (#x00)" at its position. An empty document has a NULL
 *  root. Other codes: MT5_ETOOLARGE (over MT5_YAML_MAX_BYTES, 16 MiB, or
 *  100000 nodes), MT5_EINVAL (bad arguments), MT5_ENOMEM. *out is written
 *  only on MT5_OK. */
int mt5_yaml_load_file(mt5_yaml_doc_t **out, const char *path);
int mt5_yaml_load_string(mt5_yaml_doc_t **out, const char *text, const char *name);
int mt5_yaml_load_bytes(mt5_yaml_doc_t **out, const char *bytes, size_t len, const char *name);
void mt5_yaml_destroy(mt5_yaml_doc_t **self);

/* Borrowed pointers below are valid until the document is destroyed. */
const mt5_yaml_node_t *mt5_yaml_root(const mt5_yaml_doc_t *doc);
const char *mt5_yaml_name(const mt5_yaml_doc_t *doc); /* file name */

mt5_yaml_kind mt5_yaml_kind_of(const mt5_yaml_node_t *node);
int mt5_yaml_line(const mt5_yaml_node_t *node);   /* 1-based */
int mt5_yaml_column(const mt5_yaml_node_t *node); /* 1-based */

/* Scalar text (NULL if not a scalar). */
const char *mt5_yaml_scalar(const mt5_yaml_node_t *node);
/* True when the scalar was written plain (unquoted), e.g. to tell null/~. */
bool mt5_yaml_plain(const mt5_yaml_node_t *node);

/* Sequences and mappings: item count; mapping keys and values by index. */
size_t mt5_yaml_size(const mt5_yaml_node_t *node);
const mt5_yaml_node_t *mt5_yaml_item(const mt5_yaml_node_t *seq, size_t i);
const mt5_yaml_node_t *mt5_yaml_key(const mt5_yaml_node_t *map, size_t i);
const mt5_yaml_node_t *mt5_yaml_value(const mt5_yaml_node_t *map, size_t i);
/* The value for a scalar key in a mapping, or NULL. */
const mt5_yaml_node_t *mt5_yaml_get(const mt5_yaml_node_t *map, const char *key);

/* Typed scalar reads: MT5_OK, or MT5_EPARSE when the node is not a scalar
 * of that type (int: decimal, optional sign, no overflow; double: finite;
 * bool: true/false/yes/no/on/off in any case). Out-params written only on success. */
int mt5_yaml_int(int64_t *out, const mt5_yaml_node_t *node);
int mt5_yaml_double(double *out, const mt5_yaml_node_t *node);
int mt5_yaml_bool(bool *out, const mt5_yaml_node_t *node);

#endif
