/* SPDX-License-Identifier: Apache-2.0 */
/* The compiled policy kept in the state dir (policy_cache.c). */
#ifndef OCIGATE_POLICY_CACHE_H
#define OCIGATE_POLICY_CACHE_H

#include <stdbool.h>

#include "ocigate/error.h"
#include "ocigate/policy.h"

/* og_policy_load with the compiled policy cached in the state dir, in an
 * entry of the binary `owner` ("ocigate" or "ocigate-hook"). */
int ocigate_policy_load (const char *path, const char *state_dir, const char *owner, struct og_policy **out,
                         struct og_error *err);
/* Remove cache entries whose policy file is gone or changed (and the digest
 * cache of earlier versions); returns how many. */
int ocigate_policy_cache_gc (const char *state_dir, bool verbose);

#endif
