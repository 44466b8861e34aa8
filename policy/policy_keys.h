/* SPDX-License-Identifier: Apache-2.0 */
/* Policy keys loaded outside policy.c's loader, each by one function that
 * fills its own fields of struct og_policy (ocigate-policy(5)). */
#ifndef OCIGATE_POLICY_KEYS_H
#define OCIGATE_POLICY_KEYS_H

#include "ocigate/error.h"
#include "ocigate/json.h"
#include "ocigate/policy.h"

/* mounts.readonly_binds: {"action": "enforce"|"deny"|"audit",
 * "except": [absolute glob patterns]} in the mounts object `mounts`
 * (NULL: no mounts section).  Absent: binds keep their options. */
int og_policy_load_readonly_binds (const struct og_json *mounts, const char *name, struct og_policy *p,
                                   struct og_error *err);

#endif
