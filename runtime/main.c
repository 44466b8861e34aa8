/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ocigate: called by the engine exactly like runc.  create/run/restore are
 * checked against the policy and their config.json rewritten; everything
 * else goes straight to the real runtime.  Nothing is printed on success:
 * during create our stdio is the container's.
 */
#include <config.h>
#include <stdlib.h>
#include <string.h>

#include "ocigate/enforce.h"
#include "ocigate/spec.h"
#include "ocigate/util.h"
#include "ocigate.h"

struct run
{
  struct ocigate_cmdline cl;
  const char *policy_path;
  struct og_policy *policy;
  struct og_decisions decisions;
  struct ocigate_bundle bundle;
  struct og_json *spec;
};

static const char *
runtime_path (const struct ocigate_cmdline *cl)
{
  return cl->runtime_path ? cl->runtime_path : OG_DEFAULT_RUNTIME;
}

/* Refuse the call: tell the engine, record it, exit 1. */
static int __attribute__ ((noreturn))
refuse (struct run *r, const char *event, const char *msg)
{
  struct ocigate_audit a = { .event = event, .cl = &r->cl, .policy = r->policy, .policy_path = r->policy_path,
                             .decisions = &r->decisions, .message = msg };
  struct og_error err = { 0 };

  ocigate_report_error (&r->cl, msg);
  if (ocigate_command_enforced (r->cl.command) && ocigate_audit_write (&a, &err) < 0)
    ocigate_report_error (&r->cl, err.msg);
  og_error_clear (&err);
  exit (EXIT_FAILURE);
}

static char *
refusal_message (const struct og_decisions *d)
{
  const struct og_decision *first = og_decisions_first_refusal (d);
  size_t n = 0;

  for (size_t i = 0; i < d->n; i++)
    n += d->v[i].kind == OG_DECISION_REFUSE;
  if (n > 1)
    return og_xasprintf ("refused by policy: %s: %s (and %zu more)", first->rule, first->reason, n - 1);
  return og_xasprintf ("refused by policy: %s: %s", first->rule, first->reason);
}

static void
enforce_bundle (struct run *r)
{
  struct og_enforce_ctx ctx = { .policy = r->policy, .bundle = r->cl.bundle, .container_id = r->cl.id };
  struct og_error err = { 0 };
  og_cleanup_free char *out = NULL;
  size_t out_len;

  if (ocigate_bundle_open (r->cl.bundle, &r->bundle, &err) < 0
      || og_spec_parse (r->bundle.data, r->bundle.len, &r->spec, &err) < 0)
    {
      og_cleanup_free char *msg = og_xasprintf ("config.json of bundle %s: %s", r->cl.bundle ? r->cl.bundle : ".",
                                                err.msg);
      refuse (r, "error", msg);
    }
  if (og_enforce_config (&ctx, r->spec, &r->decisions, &err) < 0)
    refuse (r, "error", err.msg);
  if (og_decisions_refused (&r->decisions))
    {
      og_cleanup_free char *msg = refusal_message (&r->decisions);
      refuse (r, "refuse", msg);
    }
  if (og_json_write (r->spec, false, &out, &out_len, &err) < 0
      || ocigate_bundle_write (&r->bundle, out, out_len, &err) < 0)
    refuse (r, "error", err.msg);
}

int
main (int argc, char **argv)
{
  struct run r = { 0 };
  struct og_error err = { 0 };

  r.bundle.dirfd = -1;
  if (ocigate_cmdline_parse (argc, argv, &r.cl, &err) < 0)
    refuse (&r, "error", err.msg);
  if (ocigate_command_enforced (r.cl.command))
    {
      struct ocigate_audit a = { .event = "create", .cl = &r.cl, .decisions = &r.decisions };

      r.policy_path = r.cl.policy_path ? r.cl.policy_path : OG_POLICY_DEFAULT;
      if (og_policy_load (r.policy_path, &r.policy, &err) < 0)
        {
          og_cleanup_free char *msg = og_xasprintf ("%s; every container start is refused until the policy is "
                                                    "fixed",
                                                    err.msg);
          refuse (&r, "error", msg);
        }
      enforce_bundle (&r);
      a.policy = r.policy;
      a.policy_path = r.policy_path;
      if (ocigate_audit_write (&a, &err) < 0)
        refuse (&r, "error", err.msg);
      /* The runtime inherits nothing of ours but argv: close what we hold. */
      ocigate_bundle_close (&r.bundle);
      og_json_free (r.spec);
      og_decisions_clear (&r.decisions);
      og_policy_free (r.policy);
      r.policy = NULL;
    }
  ocigate_exec_runtime (runtime_path (&r.cl), &r.cl, &err);
  refuse (&r, "error", err.msg);
}
