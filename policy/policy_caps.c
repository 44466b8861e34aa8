/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Capability names of a policy, checked with libcap's table of names: a
 * misspelt name on the allowlist would match nothing and silently take a
 * capability away (or, once corrected, silently give one), so it is an
 * error.  A name the running kernel does not have yet is not an error (a
 * policy may be shared by hosts of several kernels, and the kernel cannot
 * grant it anyway) but a warning of og_policy_host_warnings.
 */
#include <config.h>
#include <string.h>
#include <sys/capability.h>

#include "ocigate/util.h"
#include "schema.h"

/* "CAP_" and upper case, as the runtime spec spells them: configurations
 * are matched by exact name, so "cap_chown" would never match. */
static bool
well_formed (const char *name)
{
  if (strncmp (name, "CAP_", 4) != 0 || name[4] == '\0')
    return false;
  for (const char *c = name + 4; *c; c++)
    if (!((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_'))
      return false;
  return true;
}

/* The capability's number, or -1 when libcap does not know the name.
 * libcap also reads numbers ("12"): well_formed keeps those out, and it
 * compares names case-insensitively: well_formed asks for upper case. */
static int
cap_number (const char *name)
{
  cap_value_t v;

  return cap_from_name (name, &v) == 0 ? (int)v : -1;
}

char *
og_cap_name_problem (const char *name)
{
  if (!well_formed (name))
    return og_xasprintf ("\"%s\" is not a capability name (expected CAP_...)", name);
  if (cap_number (name) < 0)
    return og_xasprintf ("unknown capability \"%s\"", name);
  return NULL;
}

char **
og_caps_beyond (const char *policy_name, char *const *allow, int last_cap)
{
  char **out = NULL;
  size_t n = 0;

  for (size_t i = 0; allow && allow[i]; i++)
    {
      int v = cap_number (allow[i]);
      if (v <= last_cap)
        continue;
      out = og_xrealloc (out, (n + 2) * sizeof *out);
      out[n++] = og_xasprintf ("policy %s: capabilities.allow: \"%s\" (%d) is beyond the running kernel's last "
                               "capability (%d): the kernel cannot grant it",
                               policy_name, allow[i], v, last_cap);
      out[n] = NULL;
    }
  return out;
}

char **
og_policy_host_warnings (const struct og_policy *p)
{
  /* libcap reads /proc/sys/kernel/cap_last_cap (or probes the bounding
   * set) once, when it is loaded */
  return og_caps_beyond (p->path, p->caps.allow, (int)cap_max_bits () - 1);
}
