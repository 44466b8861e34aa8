/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exec: a new process in a running container gets the same process rules as
 * the container's first one.  Engines pass a process.json (--process); a
 * person may use runc's inline flags (--cap, --no-new-privs).  Without this,
 * `docker exec --privileged` would hand out every capability.
 */
#include <config.h>
#include <stdlib.h>
#include <string.h>

#include "ocigate/enforce.h"
#include "ocigate/spec.h"
#include "ocigate/util.h"
#include "ocigate.h"

static void
exec_process_file (struct ocigate_run *r, const char *path)
{
  struct og_enforce_ctx ctx = { .policy = r->policy, .container_id = r->cl.id };
  struct ocigate_bundle doc = { .dirfd = -1 };
  og_cleanup_json struct og_json *process = NULL;
  og_cleanup_free char *out = NULL;
  struct og_error err = { 0 };
  size_t out_len;

  if (ocigate_doc_open_path (path, &doc, &err) < 0 || og_spec_parse (doc.data, doc.len, &process, &err) < 0)
    {
      og_cleanup_free char *msg = og_xasprintf ("exec process %s: %s", path, err.msg);
      ocigate_refuse (r, "error", msg);
    }
  if (og_enforce_process (&ctx, process, &r->decisions, &err) < 0)
    ocigate_refuse (r, "error", err.msg);
  ocigate_refuse_if_refused (r);
  if (og_json_write (process, false, &out, &out_len, &err) < 0 || ocigate_bundle_write (&doc, out, out_len, &err) < 0)
    ocigate_refuse (r, "error", err.msg);
  ocigate_bundle_close (&doc);
}

static bool
go_bool_true (const char *v)
{
  static const char *const t[] = { "1", "t", "T", "TRUE", "true", "True", NULL };
  return v == NULL || og_strv_contains ((char *const *)t, v);
}

/* Inline flags: runc starts from the container's own process and adds
 * --cap values; drop those off the allowlist.  "--no-new-privs=false"
 * would switch no_new_privs off for this process: replace it. */
static void
exec_inline (struct ocigate_run *r)
{
  const struct og_policy *p = r->policy;
  const struct og_enforce_ctx ctx = { .policy = p, .container_id = r->cl.id };
  bool nnp = false;

  /* Walk backwards so argv indexes of earlier flags stay valid. */
  for (size_t k = r->cl.nflags; k-- > 0;)
    {
      const struct ocigate_flag *f = &r->cl.flags[k];
      bool drop = false;

      if (strcmp (f->name, "cap") == 0 || strcmp (f->name, "c") == 0)
        {
          if (og_strv_contains (p->caps.allow, f->value))
            continue;
          drop = og_rule_change (&ctx, p->caps.action, &r->decisions, "capabilities", "exec --cap",
                                 og_xasprintf ("\"%s\"", f->value), NULL, "capability %s is not on the allowlist",
                                 f->value);
        }
      else if (strcmp (f->name, "no-new-privs") == 0)
        {
          if (go_bool_true (f->value))
            {
              nnp = true;
              continue;
            }
          drop = og_rule_change (&ctx, p->nnp.action, &r->decisions, "no_new_privileges", "exec --no-new-privs",
                                 og_xasprintf ("\"%s\"", f->value), NULL, "no_new_privileges cannot be switched off");
        }
      if (!drop)
        continue;
      if (f->value_index >= 0)
        ocigate_argv_remove (&r->cl, f->value_index);
      ocigate_argv_remove (&r->cl, f->index);
    }
  if (!nnp
      && og_rule_change (&ctx, p->nnp.action, &r->decisions, "no_new_privileges", "exec --no-new-privs", NULL,
                         og_xstrdup ("true"), "no_new_privileges is required"))
    ocigate_argv_insert (&r->cl, r->cl.cmd_index + 1, (char *)"--no-new-privs");
  ocigate_refuse_if_refused (r);
}

void
ocigate_cmd_exec (struct ocigate_run *r)
{
  const char *process = ocigate_cmdline_flag (&r->cl, "process", "p");

  if (process && process[0])
    exec_process_file (r, process);
  else
    exec_inline (r);
  ocigate_audit_accepted (r, "exec");
}
