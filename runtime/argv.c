/* SPDX-License-Identifier: Apache-2.0 */
/* Changing the command line handed to the runtime: what the commands do
 * with the changes the policy returned.  The strings put in are never
 * freed: the exec that follows replaces the address space. */
#include <config.h>
#include <string.h>

#include "ocigate/util.h"
#include "ocigate.h"

void
ocigate_argv_remove (struct ocigate_cmdline *cl, int i)
{
  memmove (&cl->argv[i], &cl->argv[i + 1], (size_t)(cl->argc - i) * sizeof (char *));
  cl->argc--;
}

void
ocigate_argv_insert (struct ocigate_cmdline *cl, int i, char *s)
{
  cl->argv = og_xrealloc (cl->argv, (size_t)(cl->argc + 2) * sizeof (char *));
  memmove (&cl->argv[i + 1], &cl->argv[i], (size_t)(cl->argc - i + 1) * sizeof (char *));
  cl->argv[i] = s;
  cl->argc++;
}

void
ocigate_argv_set_flag (struct ocigate_cmdline *cl, const struct ocigate_flag *f, const char *value)
{
  if (f->value_index >= 0)
    cl->argv[f->value_index] = og_xstrdup (value);
  else
    cl->argv[f->index] = og_xasprintf ("--%s=%s", f->name, value);
}

void
ocigate_argv_drop_flag (struct ocigate_cmdline *cl, const struct ocigate_flag *f)
{
  if (f->value_index >= 0)
    ocigate_argv_remove (cl, f->value_index);
  ocigate_argv_remove (cl, f->index);
}

void
ocigate_argv_apply (struct ocigate_cmdline *cl, const struct ocigate_flag *const *flags, const struct og_flags_out *out)
{
  /* new values first: written in place, they move no index */
  for (size_t k = 0; k < out->n; k++)
    if (out->v[k].value && !out->v[k].drop)
      ocigate_argv_set_flag (cl, flags[k], out->v[k].value);
  /* then the drops, last first, so earlier flags' indexes stay valid
   * (the flags are in command-line order) */
  for (size_t k = out->n; k-- > 0;)
    if (out->v[k].drop)
      ocigate_argv_drop_flag (cl, flags[k]);
  if (out->add_no_new_privs)
    ocigate_argv_insert (cl, cl->cmd_index + 1, (char *)"--no-new-privs");
}
