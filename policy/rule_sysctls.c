/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sysctls: only namespaced kernel parameters that cannot affect other
 * containers (the Kubernetes Pod Security "safe" set) plus the policy's
 * allowlist; anything else (net.ipv4.ip_forward, kernel.*) is dropped or
 * refused.
 */
#include <config.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "ocigate/enforce.h"
#include "rule.h"
#include "ocigate/util.h"

static const char *const safe[] = { "kernel.shm_rmid_forced",
                                    "net.ipv4.ip_local_port_range",
                                    "net.ipv4.ip_unprivileged_port_start",
                                    "net.ipv4.tcp_syncookies",
                                    "net.ipv4.ping_group_range",
                                    "net.ipv4.ip_local_reserved_ports",
                                    "net.ipv4.tcp_keepalive_time",
                                    "net.ipv4.tcp_fin_timeout",
                                    "net.ipv4.tcp_keepalive_intvl",
                                    "net.ipv4.tcp_keepalive_probes",
                                    NULL };

static bool
allowed (const struct og_policy *p, const char *name)
{
  if (og_strv_contains ((char *const *)safe, name))
    return true;
  for (char **a = p->sysctls.allow; a && *a; a++)
    if (fnmatch (*a, name, 0) == 0)
      return true;
  return false;
}

int
og_rule_sysctls (const struct og_enforce_ctx *ctx, struct og_json *spec, struct og_decisions *d, struct og_error *err)
{
  struct og_json *sysctl = og_json_path (spec, "linux", "sysctl", NULL);

  if (sysctl == NULL)
    return 0;
  if (sysctl->type != OG_JSON_OBJECT)
    {
      og_rule_malformed (d, "sysctls", "linux.sysctl", sysctl, "an object");
      return 0;
    }
  for (size_t i = sysctl->n; i-- > 0;)
    {
      og_cleanup_free char *path = NULL;

      if (allowed (ctx->policy, sysctl->keys[i]))
        continue;
      path = og_xasprintf ("linux.sysctl.%s", sysctl->keys[i]);
      if (og_rule_change (ctx, ctx->policy->sysctls.action, d, "sysctls", path, og_json_to_text (sysctl->vals[i]), NULL,
                          "sysctl %s is not on the safe list or sysctls.allow", sysctl->keys[i]))
        og_json_remove_at (sysctl, i);
    }
  return 0;
}
