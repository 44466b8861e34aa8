/* SPDX-License-Identifier: Apache-2.0 */
/* create, run, restore: enforce the policy on <bundle>/config.json. */
#include <config.h>
#include <stdlib.h>

#include "ocigate/enforce.h"
#include "ocigate/spec.h"
#include "ocigate/util.h"
#include "ocigate.h"

void
ocigate_cmd_create (struct ocigate_run *r)
{
  struct og_enforce_ctx ctx = { .policy = r->policy, .bundle = r->cl.bundle, .container_id = r->cl.id };
  struct ocigate_bundle bundle = { .dirfd = -1 };
  og_cleanup_json struct og_json *spec = NULL;
  struct og_error err = { 0 };
  og_cleanup_free char *out = NULL;
  size_t out_len;

  if (ocigate_bundle_open (r->cl.bundle, &bundle, &err) < 0 || og_spec_parse (bundle.data, bundle.len, &spec, &err) < 0)
    {
      og_cleanup_free char *msg
          = og_xasprintf ("config.json of bundle %s: %s", r->cl.bundle ? r->cl.bundle : ".", err.msg);
      ocigate_refuse (r, "error", msg);
    }
  if (og_enforce_config (&ctx, spec, &r->decisions, &err) < 0)
    ocigate_refuse (r, "error", err.msg);
  ocigate_refuse_if_refused (r);
  if (og_json_write (spec, false, &out, &out_len, &err) < 0 || ocigate_bundle_write (&bundle, out, out_len, &err) < 0)
    ocigate_refuse (r, "error", err.msg);
  ocigate_bundle_close (&bundle);
  ocigate_audit_accepted (r, "create");
}
