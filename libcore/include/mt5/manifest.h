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

typedef struct {
    char *id;    /* as declared */
    char *title; /* for reports; defaults to the id */
} mt5_phase_t;

typedef struct {
    char *id;            /* the gate id, e.g. "task-004" */
    char *title;         /* one line */
    char *path;          /* the top manifest file as given */
    char sha256[65];     /* of every manifest file's bytes, in load order (docs/manifest.md) */
    mt5_phase_t *phases; /* in declaration order, includes first */
    size_t n_phases;
    mt5_check_t *checks; /* in declaration order, includes first */
    size_t n_checks;
    mt5_strv_t secrets; /* values to redact from every output; never printed */
} mt5_manifest_t;

typedef struct {
    int version;         /* MT5_MANIFEST_OPTIONS_VERSION */
    const char *root;    /* the root checks are relative to; required */
    const char *bin_dir; /* ${bin_dir}; NULL = the directory of the running executable */
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
 *  owned, destroy with mt5_manifest_destroy(). On failure: MT5_EPARSE (the
 *  manifest is wrong; detail is one line "<file>:<line>:<column>: <what>"),
 *  MT5_EIO (a manifest file cannot be read: "<file>: <reason>"),
 *  MT5_ETOOLARGE, MT5_ENOMEM. */
int mt5_manifest_load(mt5_manifest_t **out, const char *path, const mt5_manifest_options *options);
void mt5_manifest_destroy(mt5_manifest_t **self);

/* The check with that id, or NULL. Borrowed. */
const mt5_check_t *mt5_manifest_find(const mt5_manifest_t *self, const char *id);
/* The index of the phase with that id, or -1. */
int mt5_manifest_phase_index(const mt5_manifest_t *self, const char *phase);

#endif
