/* SPDX-License-Identifier: Apache-2.0 */
/* Reading an OCI config.json / process.json the way runc will read it. */
#ifndef OCIGATE_SPEC_H
#define OCIGATE_SPEC_H

#include <stdbool.h>

#include "ocigate/error.h"
#include "ocigate/json.h"

/* Size and nesting limits for engine-provided documents.  A Docker config is
 * ~17 KB; the limit leaves room for huge env/mount lists but stops memory
 * exhaustion of the host's container start path. */
#define OG_SPEC_MAX_SIZE (32u * 1024 * 1024)
#define OG_SPEC_MAX_DEPTH 64u

/* Parse an engine document strictly: on top of og_json_parse, refuse any key
 * that Go's encoding/json would fold onto a runtime-spec field (case, U+212A
 * KELVIN SIGN, U+017F LONG S) without being its exact spelling, and any two
 * keys of one struct that fold to the same name. */
int og_spec_parse (const char *buf, size_t len, struct og_json **out, struct og_error *err);

/* The same key rules on an already parsed tree (used by the fuzzers). */
int og_spec_check_keys (const struct og_json *root, struct og_error *err);

/* Fold a key the way Go matches struct fields; result is caller-owned. */
char *og_spec_fold_key (const char *key);

/* Which runtime-spec type a document is. */
enum og_spec_doc
{
  OG_SPEC_DOC_CONFIG,    /* config.json: specs.Spec */
  OG_SPEC_DOC_PROCESS,   /* exec --process: specs.Process */
  OG_SPEC_DOC_RESOURCES, /* update --resources: specs.LinuxResources */
};

/* Called for a member of `parent` (at index i) that no runtime-spec release
 * up to v1.3.0 defines there: `path` names it ("mounts[2].extra"), `shape`
 * without indexes and map keys ("mounts[].extra", "linux.netDevices.*.x").
 * Returns true when it removed the member from parent. */
typedef bool (*og_spec_unknown_fn) (struct og_json *parent, size_t i, const char *path, const char *shape, void *data);

/* Walk `doc` as the runtime-spec type `kind` and report every unknown
 * member (free-form maps such as annotations, sysctl and unified are data,
 * never reported).  `prefix` starts every path ("process" for an exec
 * document, NULL for none).  Returns how many were found. */
size_t og_spec_unknown_members (struct og_json *doc, enum og_spec_doc kind, const char *prefix, og_spec_unknown_fn fn,
                                void *data);

#endif
