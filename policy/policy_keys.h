/* SPDX-License-Identifier: Apache-2.0 */
/* Policy keys whose reading the table's types cannot express, each one
 * function that fills its own fields of struct og_policy, called by a
 * custom key of the table (sections.c). */
#ifndef OCIGATE_POLICY_KEYS_H
#define OCIGATE_POLICY_KEYS_H

#include "ocigate/error.h"
#include "ocigate/json.h"
#include "ocigate/policy.h"

/* mounts.readonly_binds: {"action": "enforce"|"deny"|"audit",
 * "except": [absolute glob patterns]}, the value `o` (NULL: absent, and
 * binds keep their options). */
int og_policy_load_readonly_binds (const struct og_json *o, const char *name, struct og_policy *p,
                                   struct og_error *err);

#endif
