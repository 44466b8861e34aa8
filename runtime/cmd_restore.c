/* SPDX-License-Identifier: Apache-2.0 */
/*
 * restore: judged as create (cmd_create.c), after the options only restore
 * has.  Whether restore is allowed at all, and what those options may be,
 * is the policy's (og_enforce_restore); this file only reads them off the
 * command line and applies the changes.
 */
#include <config.h>
#include <string.h>

#include "ocigate/enforce.h"
#include "ocigate/util.h"
#include "ocigate.h"

static const struct
{
  const char *name;
  enum og_restore_flag_kind kind;
} restore_names[] = {
  { "lsm-profile", OG_RESTORE_FLAG_LSM_PROFILE },
  { "lsm-mount-context", OG_RESTORE_FLAG_LSM_MOUNT_CONTEXT },
  { "manage-cgroups-mode", OG_RESTORE_FLAG_MANAGE_CGROUPS_MODE },
  { "empty-ns", OG_RESTORE_FLAG_EMPTY_NS },
  { "ext-unix-sk", OG_RESTORE_FLAG_EXT_UNIX_SK },
};

static bool
restore_kind (const char *name, enum og_restore_flag_kind *kind)
{
  for (size_t i = 0; i < sizeof restore_names / sizeof restore_names[0]; i++)
    if (strcmp (restore_names[i].name, name) == 0)
      {
        *kind = restore_names[i].kind;
        return true;
      }
  return false;
}

int
ocigate_restore_judge (struct ocigate_run *r, const struct og_json *spec, struct og_error *err)
{
  const struct og_enforce_ctx ctx = { .policy = r->policy, .bundle = r->cl.bundle, .container_id = r->cl.id };
  og_cleanup_free struct og_restore_flag *in = og_xcalloc (r->cl.nflags + 1, sizeof *in);
  og_cleanup_free const struct ocigate_flag **of = og_xcalloc (r->cl.nflags + 1, sizeof *of);
  og_cleanup_flags_out struct og_flags_out out = { 0 };
  size_t n = 0;

  for (size_t i = 0; i < r->cl.nflags; i++)
    if (restore_kind (r->cl.flags[i].name, &in[n].kind))
      {
        in[n].value = r->cl.flags[i].value;
        of[n++] = &r->cl.flags[i];
      }
  if (og_enforce_restore (&ctx, spec, in, n, &out, &r->decisions, err) < 0)
    return OCIGATE_ERROR;
  if (og_decisions_refused (&r->decisions))
    return OCIGATE_REFUSED;
  ocigate_argv_apply (&r->cl, of, &out);
  return 0;
}
