/* SPDX-License-Identifier: Apache-2.0 */
/*
 * How a call of ocigate ends, in one place: the commands return an error,
 * a refusal or the command line to exec, and only here does that become
 * the runc-format line the engine shows, the audit record and the exit
 * status.  Nothing here calls back into the commands.
 */
#include <config.h>
#include <stdlib.h>

#include "ocigate/util.h"
#include "ocigate.h"

/* "refused by policy: <rule>: <reason> (and N more)" */
static char *
policy_refusal (const struct og_decisions *d)
{
  const struct og_decision *first = og_decisions_first_refusal (d);
  size_t n = 0;

  if (first == NULL)
    return og_xstrdup ("refused by policy");
  for (size_t i = 0; i < d->n; i++)
    n += d->v[i].kind == OG_DECISION_REFUSE;
  if (n > 1)
    return og_xasprintf ("refused by policy: %s: %s (and %zu more)", first->rule, first->reason, n - 1);
  return og_xasprintf ("refused by policy: %s: %s", first->rule, first->reason);
}

static int
refuse (struct ocigate_run *r, const char *event, const char *msg)
{
  struct ocigate_audit a = { .event = event,
                             .cl = &r->cl,
                             .policy = r->policy,
                             .policy_path = r->policy_path,
                             .profile = r->profile,
                             .decisions = &r->decisions,
                             .message = msg };
  struct og_error err = { 0 };

  ocigate_report_error (&r->cl, msg);
  if (ocigate_command_enforced (r->cl.command) && ocigate_audit_write (&a, &err) < 0)
    ocigate_report_error (&r->cl, err.msg);
  og_error_clear (&err);
  return EXIT_FAILURE;
}

int
ocigate_fail (struct ocigate_run *r, int rc, const struct og_error *err)
{
  og_cleanup_free char *msg = NULL;

  if (rc == OCIGATE_REFUSED && err->msg)
    return refuse (r, "refuse", err->msg);
  if (rc == OCIGATE_REFUSED)
    {
      msg = policy_refusal (&r->decisions);
      return refuse (r, "refuse", msg);
    }
  return refuse (r, "error", err->msg ? err->msg : "internal error (no message)");
}

int
ocigate_accept (struct ocigate_run *r, const char *event, struct og_error *err)
{
  struct ocigate_audit a = { .event = event,
                             .cl = &r->cl,
                             .policy = r->policy,
                             .policy_path = r->policy_path,
                             .profile = r->profile,
                             .decisions = &r->decisions };

  return ocigate_audit_write (&a, err);
}
