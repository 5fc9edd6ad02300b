/*  mt5/manifest.h - a gate manifest: the YAML file that declares a gate.
 *
 *  A manifest names a gate, declares variables, includes other manifests,
 *  lists phases and then checks, as a list with unique ids (never a map
 *  keyed by resource, so two checks on one file cannot overwrite each
 *  other). docs/manifest.md is the full reference. Loading validates
 *  everything a run would trip on (unknown keys and kinds, wrong types,
 *  duplicate ids, unknown phases and needs, include cycles, paths that
 *  leave the root, bad patterns) and reports the first problem as one
 *  line "<file>:<line>:<column>: <what is wrong>".
 */
#ifndef MT5_MANIFEST_H
#define MT5_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "mt5/check.h"

/* A phase. Both strings are owned by the manifest that holds the phase
 * and freed by mt5_manifest_destroy(). */
typedef struct {
    char *id;    /* as declared */
    char *title; /* for reports; defaults to the id; secrets redacted */
} mt5_phase_t;

/*  A loaded manifest. Every pointer in it (strings, arrays, the checks'
 *  fields, the secrets) is owned by the manifest and freed by
 *  mt5_manifest_destroy(); borrow them, never free them.
 *
 *  The texts a report prints (title, phase titles, and each check's
 *  description, fix, skip_reason and waiver_reason) have the secrets
 *  already replaced by "***" (mt5_redact), so a ${SECRET} in a description
 *  cannot show. Paths, argv, endpoints and other values the checks use
 *  are kept as expanded: the runner redacts its own messages. */
typedef struct {
    char *id;            /* the gate id, e.g. "task-004" */
    char *title;         /* one line; secrets redacted */
    char *path;          /* the top manifest file as given */
    char sha256[65];     /* of every manifest file's bytes, in load order (docs/manifest.md) */
    mt5_phase_t *phases; /* in declaration order, includes first */
    size_t n_phases;
    mt5_check_t *checks; /* in declaration order, includes first */
    size_t n_checks;
    /* Values to redact from every output; never printed. Sorted longest
     * first (equal lengths in byte order), the order mt5_redact needs so
     * that "abcd" cannot leave the "ef" of "abcdef". Zeroed, then freed,
     * by mt5_manifest_destroy(). */
    mt5_strv_t secrets;
} mt5_manifest_t;

typedef struct {
    int version;      /* MT5_MANIFEST_OPTIONS_VERSION */
    const char *root; /* the root checks are relative to; required, an existing directory */
    /* ${bin_dir}. NULL (what the gate CLI passes) = the directory of the
     * running executable, read from /proc/self/exe; when that cannot be
     * read, ${bin_dir} is not a built-in (the environment's bin_dir, if
     * any, is used, else it is undefined). */
    const char *bin_dir;
    /* Extra variables "name=value", stronger than the manifest's own. */
    const char *const *vars;
    size_t n_vars;
} mt5_manifest_options;

#define MT5_MANIFEST_OPTIONS_VERSION 1
#define MT5_MANIFEST_OPTIONS_INIT                                                                  \
    {                                                                                              \
        MT5_MANIFEST_OPTIONS_VERSION, NULL, NULL, NULL, 0                                          \
    }

/*  Load and validate the manifest at `path`. On MT5_OK *out is caller
 *  owned, destroy with mt5_manifest_destroy(); on failure *out is not
 *  touched. Errors:
 *  - MT5_EPARSE: the manifest is wrong, including an included file that
 *    is missing or cannot be read (detail, one line,
 *    "<file>:<line>:<column>: <what>", at the include entry for those:
 *    "...: cannot include <file>: <reason>");
 *  - MT5_EIO: the top manifest cannot be read, is not a regular file, or
 *    the root does not exist ("<file>: <reason>");
 *  - MT5_EINVAL: bad arguments: no out, path, options or root; an options
 *    version other than MT5_MANIFEST_OPTIONS_VERSION; a root that is not a
 *    directory; an options->vars entry that is not "name=value";
 *  - MT5_ETOOLARGE: a manifest file over 16 MiB (MT5_YAML_MAX_BYTES) or
 *    100000 YAML nodes, more than 10000 checks, a value expanding past
 *    64 KiB (with the position when there is one);
 *  - MT5_ENOMEM. */
int mt5_manifest_load(mt5_manifest_t **out, const char *path, const mt5_manifest_options *options);
/* Free everything the manifest owns (zeroing the secrets first) and set
 * *self to NULL. Accepts NULL and a NULL *self. */
void mt5_manifest_destroy(mt5_manifest_t **self);

/* The check with that id, or NULL. Borrowed. */
const mt5_check_t *mt5_manifest_find(const mt5_manifest_t *self, const char *id);
/* The index of the phase with that id, or -1. */
int mt5_manifest_phase_index(const mt5_manifest_t *self, const char *phase);

#endif
