/* SPDX-License-Identifier: Apache-2.0 */
/* Facts about who made a config that its workload cannot forge.  The
 * engine chooses the bundle path and the runtime root (--root) it calls the
 * runtime with; containerd's runc shim calls
 *     --root <runc root>/<namespace> create --bundle <task dir>/<namespace>/<id> <id>
 * and only the CRI plugin makes containers in its "k8s.io" namespace.  Only
 * when both match the policy's "cri" paths are the CRI's annotations
 * (io.kubernetes.cri.sandbox-id, -uid, container-type) believed: anyone
 * sets the same keys with docker/podman --annotation or ctr.  Docker's,
 * ctr's and Podman's calls are told apart the same way, by their paths
 * alone (policy/facts.c). */
#ifndef OCIGATE_FACTS_H
#define OCIGATE_FACTS_H

#include <stdbool.h>

#include "ocigate/error.h"
#include "ocigate/json.h"
#include "ocigate/policy.h"

struct og_engine_facts
{
  bool cri;            /* containerd's CRI made this config, in its k8s.io namespace */
  bool cri_sandbox;    /* ... and it is a pod's sandbox (pause) container */
  char *sandbox_id;    /* the pod's sandbox container id (its own id for the sandbox) */
  char *pod_uid;       /* the pod's uid (the kubelet's metadata.uid) */
  char *pod_namespace; /* the pod's namespace (io.kubernetes.cri.sandbox-namespace), CRI only */
  /* dockerd's BuildKit runs a build step (RUN): it calls runc itself with
   * --bundle <buildkit.executor_dir>/<id> and the root buildkit.runc_root */
  bool buildkit;
  /* "cri", "buildkit", "docker", "containerd" or "podman": the one engine
   * whose paths (the policy's areas of those names) the call has; NULL: no
   * engine ocigate can tell from what the engine alone chooses, or two
   * (profiles select on it) */
  const char *engine;
};

/* Fill f for the create of container `id` with the argv's bundle and root
 * and the config `spec`.  Anything short of every fact matching leaves f
 * empty (no CRI): unknown never loosens. */
void og_engine_facts_read (const struct og_policy *p, const char *bundle, const char *root, const char *id,
                           const struct og_json *spec, struct og_engine_facts *f);
void og_engine_facts_clear (struct og_engine_facts *f);
/* The bundles a create under the runtime root `root` had, for container
 * `id`, by every engine whose runc root that is (exec and update name no
 * bundle): NULL-terminated, possibly empty; caller frees (og_strv_free). */
char **og_engine_bundles (const struct og_policy *p, const char *root, const char *id);

/* A pattern with its placeholders filled: {id} (the container id),
 * {pod_uid} and {sandbox_id} only when f says CRI, and {buildkit}, which
 * is empty when f says BuildKit (a pattern for build steps only).  NULL when a placeholder
 * has no trusted value: such a pattern matches nothing.  Caller frees. */
char *og_pattern_expand (const char *pattern, const char *id, const struct og_engine_facts *f);

/* The profile of p (ocigate-policy(5) PROFILES) whose selector the
 * trusted facts f match, first in the order written; p itself when none
 * does.  *name: the profile's name, or NULL for p.  No parsing: the
 * profiles were compiled at load. */
const struct og_policy *og_policy_select (const struct og_policy *p, const struct og_engine_facts *f,
                                          const char **name);
/* The profile called name, or NULL. */
const struct og_policy *og_policy_profile (const struct og_policy *p, const char *name);

#endif
