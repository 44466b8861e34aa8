/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Which profile a create gets: the first whose selector the engine facts
 * match (policy/facts.c: only what the engine alone chose, and the CRI's
 * annotations only for a CRI call).  The profiles were compiled at load
 * (policy/profiles_load.c), so this only compares strings.
 */
#include <config.h>
#include <fnmatch.h>
#include <string.h>

#include "ocigate/facts.h"

static bool
matches (const struct og_profile *pr, const struct og_engine_facts *f)
{
  bool ns = false;

  if (pr->engine && (f->engine == NULL || strcmp (pr->engine, f->engine) != 0))
    return false;
  if (pr->pod_namespace == NULL)
    return true;
  if (f->pod_namespace == NULL)
    return false;
  for (char **p = pr->pod_namespace; *p && !ns; p++)
    ns = fnmatch (*p, f->pod_namespace, 0) == 0;
  return ns;
}

const struct og_policy *
og_policy_select (const struct og_policy *p, const struct og_engine_facts *f, const char **name)
{
  *name = NULL;
  for (size_t i = 0; f && i < p->nprofiles; i++)
    if (matches (&p->profiles[i], f))
      {
        *name = p->profiles[i].name;
        return p->profiles[i].policy;
      }
  return p;
}

const struct og_policy *
og_policy_profile (const struct og_policy *p, const char *name)
{
  for (size_t i = 0; i < p->nprofiles; i++)
    if (strcmp (p->profiles[i].name, name) == 0)
      return p->profiles[i].policy;
  return NULL;
}
