/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exec and update on a running container are judged by the profile it was
 * created under, not by the base: a pod resized in place (the kubelet's
 * UpdateContainerResources, `runc update`) would otherwise get the base's
 * maxima back.  The facts are read again as create read them
 * (policy/facts.c): a CRI or BuildKit container's bundle is
 * <cri.task_dir>/<id> or <buildkit.executor_dir>/<id> under that engine's
 * --root, and its config.json (rewritten by ocigate at create, root's)
 * keeps the CRI's annotations.
 */
#include <config.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "ocigate.h"
#include "ocigate/facts.h"
#include "ocigate/spec.h"
#include "ocigate/util.h"

/* The profile chosen from the bundle at dir/<id>; *found false when no
 * bundle is there (then create found no facts there either). */
static int
select_from (struct ocigate_run *r, const char *dir, const struct og_policy **out, bool *found, struct og_error *err)
{
  og_cleanup_free char *bundle = og_xasprintf ("%s/%s", dir, r->cl.id);
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
  const struct og_policy *p = r->policy;
  const char *dirs[] = { p->cri.task_dir, p->buildkit.executor_dir };
  const char *roots[] = { p->cri.runc_root, p->buildkit.runc_root };
  bool found = false;

  r->rules = r->policy;
  if (p->nprofiles == 0 || r->cl.id == NULL || r->cl.root == NULL)
    return 0;
  for (size_t i = 0; i < 2 && !found; i++)
    if (dirs[i] && roots[i] && strcmp (r->cl.root, roots[i]) == 0
        && select_from (r, dirs[i], &r->rules, &found, err) < 0)
      return -1;
  return 0;
}
