/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exec and update on a running container are judged by the profile it was
 * created under, not by the base: a pod resized in place (the kubelet's
 * UpdateContainerResources, `runc update`) would otherwise get the base's
 * maxima back.  The facts are read again as create read them
 * (policy/facts.c): a container's bundle is where its engine put it
 * (og_engine_bundles: <task_dir>/<id> of the CRI, Docker or containerd,
 * <buildkit.executor_dir>/<id>, Podman's <graph_root>/<driver>-containers/
 * <id>/userdata) under that engine's --root, and its config.json (rewritten
 * by ocigate at create, root's) keeps the CRI's annotations.
 */
#include <config.h>
#include <errno.h>
#include <unistd.h>

#include "ocigate.h"
#include "ocigate/facts.h"
#include "ocigate/spec.h"
#include "ocigate/util.h"

/* The profile chosen from the bundle; *found false when no bundle is there
 * (then create found no facts there either). */
static int
select_from (struct ocigate_run *r, const char *bundle, const struct og_policy **out, bool *found, struct og_error *err)
{
  og_cleanup_free char *config = og_xasprintf ("%s/config.json", bundle);
  ocigate_cleanup_bundle struct ocigate_bundle b = { .dirfd = -1 };
  og_cleanup_json struct og_json *spec = NULL;
  struct og_engine_facts f;

  *found = false;
  if (access (config, F_OK) < 0 && errno == ENOENT)
    return 0;
  if (ocigate_bundle_open (bundle, &b, err) < 0 || og_spec_parse (b.data, b.len, &spec, err) < 0)
    return og_error_wrap (err, "bundle %s of container %s (for the profile it was created under)", bundle, r->cl.id);
  og_engine_facts_read (r->policy, bundle, r->cl.root, r->cl.id, spec, &f);
  *out = og_policy_select (r->policy, &f, &r->profile);
  og_engine_facts_clear (&f);
  *found = true;
  return 0;
}

int
ocigate_running_profile (struct ocigate_run *r, struct og_error *err)
{
  og_cleanup_strv char **bundles = NULL;
  bool found = false;

  r->rules = r->policy;
  if (r->policy->nprofiles == 0 || r->cl.id == NULL || r->cl.root == NULL)
    return 0;
  bundles = og_engine_bundles (r->policy, r->cl.root, r->cl.id);
  for (char **b = bundles; *b && !found; b++)
    if (select_from (r, *b, &r->rules, &found, err) < 0)
      return -1;
  return 0;
}
