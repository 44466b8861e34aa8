/* SPDX-License-Identifier: Apache-2.0 */
/* The contract between the rule families (policy/rule_*.c) and the engine
 * that runs them (policy/enforce.c).  Private to policy/: a front end calls
 * the og_enforce_* entry points in <ocigate/enforce.h>, nothing below them. */
#ifndef OCIGATE_POLICY_RULE_H
#define OCIGATE_POLICY_RULE_H

#include <stdbool.h>

#include "ocigate/decision.h"
#include "ocigate/enforce.h"
#include "ocigate/error.h"
#include "ocigate/json.h"
#include "ocigate/policy.h"

typedef int (*og_rule_fn) (const struct og_enforce_ctx *ctx, struct og_json *spec, struct og_decisions *d,
                           struct og_error *err);

int og_rule_no_new_privileges (const struct og_enforce_ctx *, struct og_json *, struct og_decisions *,
                               struct og_error *);
int og_rule_capabilities (const struct og_enforce_ctx *, struct og_json *, struct og_decisions *, struct og_error *);
int og_rule_rootfs (const struct og_enforce_ctx *, struct og_json *, struct og_decisions *, struct og_error *);
int og_rule_resources (const struct og_enforce_ctx *, struct og_json *, struct og_decisions *, struct og_error *);
int og_rule_mounts (const struct og_enforce_ctx *, struct og_json *, struct og_decisions *, struct og_error *);
int og_rule_hooks (const struct og_enforce_ctx *, struct og_json *, struct og_decisions *, struct og_error *);
int og_rule_privileged (const struct og_enforce_ctx *, struct og_json *, struct og_decisions *, struct og_error *);
int og_rule_namespaces (const struct og_enforce_ctx *, struct og_json *, struct og_decisions *, struct og_error *);
int og_rule_devices (const struct og_enforce_ctx *, struct og_json *, struct og_decisions *, struct og_error *);
int og_rule_sysctls (const struct og_enforce_ctx *, struct og_json *, struct og_decisions *, struct og_error *);
int og_rule_seccomp (const struct og_enforce_ctx *, struct og_json *, struct og_decisions *, struct og_error *);
int og_rule_paths (const struct og_enforce_ctx *, struct og_json *, struct og_decisions *, struct og_error *);
int og_rule_process_hardening (const struct og_enforce_ctx *, struct og_json *, struct og_decisions *,
                               struct og_error *);
int og_rule_env (const struct og_enforce_ctx *, struct og_json *, struct og_decisions *, struct og_error *);
int og_rule_lsm (const struct og_enforce_ctx *, struct og_json *, struct og_decisions *, struct og_error *);
/* process.rlimits RLIMIT_RTPRIO under a CPU limit (create and exec). */
int og_rule_realtime_rlimit (const struct og_enforce_ctx *, struct og_json *, struct og_decisions *, struct og_error *);
int og_rule_userns (const struct og_enforce_ctx *, struct og_json *, struct og_decisions *, struct og_error *);
int og_rule_fields (const struct og_enforce_ctx *, struct og_json *, struct og_decisions *, struct og_error *);
/* The same on an exec's process ({"process": ...}) and an update's resources. */
int og_rule_fields_process (const struct og_enforce_ctx *, struct og_json *, struct og_decisions *, struct og_error *);
int og_rule_fields_resources (const struct og_enforce_ctx *, struct og_json *, struct og_decisions *,
                              struct og_error *);
/* The resource maxima on an update's LinuxResources object (`res`, not a
 * whole config): only what is sent is judged. */
int og_rule_resources_update (const struct og_enforce_ctx *, struct og_json *res, struct og_decisions *,
                              struct og_error *);
int og_rule_annotations (const struct og_enforce_ctx *, struct og_json *, struct og_decisions *, struct og_error *);
int og_rule_cgroups (const struct og_enforce_ctx *, struct og_json *, struct og_decisions *, struct og_error *);
/* Last: adds ocigate-hook with what the final config asks for (rule_verify.c). */
int og_rule_verify (const struct og_enforce_ctx *, struct og_json *, struct og_decisions *, struct og_error *);
/* The ocigate-hook the policy names (or the installed one). */
const char *og_verify_hook_path (const struct og_policy *p);
struct stat;
/* A createRuntime/poststart entry that is ocigate's own verification hook
 * (the file st describes, argv "ocigate-hook <stage>", no environment). */
bool og_verify_is_own_hook (const struct og_policy *p, const struct og_json *hook, const struct stat *st);

/* Shared by rules: {"allow": true} with no device type (every device). */
bool og_device_rule_allows_all (const struct og_json *rule);
/* Read and validate a seccomp profile (strict JSON, known syscalls and
 * architectures, not allow-by-default). */
int og_seccomp_load_profile (const char *path, struct og_json **out, struct og_error *err);
/* True when libseccomp knows the name on any supported architecture. */
bool og_syscall_known (const char *name);

/* A needed change to the config.  Records a mutate / refuse / audit decision
 * according to `action` (and the policy's mode) and returns true only when
 * the caller must apply the change.  Takes before/after. */
bool og_rule_change (const struct og_enforce_ctx *ctx, enum og_action action, struct og_decisions *d, const char *rule,
                     const char *path, char *before, char *after, const char *fmt, ...)
    __attribute__ ((format (printf, 8, 9)));

/* A violation that no rewrite can fix: refuse, or record under audit. */
void og_rule_refuse (const struct og_enforce_ctx *ctx, enum og_action action, struct og_decisions *d, const char *rule,
                     const char *path, char *value, const char *fmt, ...) __attribute__ ((format (printf, 7, 8)));

/* mappings (a config's uidMappings or gidMappings) is exactly the one
 * range r, container id 0 first. */
bool og_rule_maps_to (const struct og_json *mappings, const struct og_userns_range *r);

/* A value runc could not decode (wrong type, non-integer number): refused
 * whatever the action, since no rule can vouch for what it cannot read. */
void og_rule_malformed (struct og_decisions *d, const char *rule, const char *path, const struct og_json *value,
                        const char *expected);

/* The process object, or NULL after recording a refusal (runc needs one). */
struct og_json *og_rule_process (const struct og_enforce_ctx *ctx, struct og_json *spec, struct og_decisions *d,
                                 const char *rule);

#endif
