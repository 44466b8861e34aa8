/* SPDX-License-Identifier: Apache-2.0 */
/* Shared helpers for the Check suites. */
#ifndef OCIGATE_TEST_HELPERS_H
#define OCIGATE_TEST_HELPERS_H

#include <check.h>

#include "ocigate/decision.h"
#include "ocigate/enforce.h"
#include "ocigate/json.h"
#include "ocigate/policy.h"

/* Whole file into memory (NUL-terminated); aborts the test on failure. */
char *th_read_file (const char *path, size_t *len);
/* Parse an engine fixture ("docker-20.10/default.config.json") strictly. */
struct og_json *th_fixture (const char *name);
/* Load a shipped profile ("default.json"). */
struct og_policy *th_profile (const char *name);
/* A fresh temporary directory (removed by th_cleanup). */
const char *th_tmpdir (void);
void th_cleanup (void);
/* Make the fixture's bind sources exist under the temp dir (files, or
 * directories for shm and volumes), point the mounts there, and extend the
 * policy's allow/deny lists with the same prefix, so the mount rule sees a
 * host that looks like the one the fixture came from. */
void th_sandbox (struct og_json *spec, struct og_policy *p);
/* Append to a NULL-terminated string vector owned by a policy. */
void th_strv_add (char ***v, const char *s);
/* Find a decision by rule, kind and path prefix (NULL: any path). */
const struct og_decision *th_find (const struct og_decisions *d, const char *rule, enum og_decision_kind kind,
                                   const char *path_prefix);
size_t th_count (const struct og_decisions *d, enum og_decision_kind kind);
/* Run the rules with bundle = temp dir and the given id. */
void th_enforce (struct og_policy *p, struct og_json *spec, const char *id, struct og_decisions *d);
/* Create a listening-capable unix socket file at path. */
void th_make_socket (const char *path);
/* True when every capability in every set of spec is in the allowlist. */
bool th_caps_within (const struct og_json *spec, const struct og_policy *p);

/* Run a suite; the exit status of a test program. */
int th_run (Suite *s);

#endif
