/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exec: a new process in a running container gets the same process rules as
 * the container's first one.  Engines pass a process.json (--process); a
 * person may use runc's inline flags (--cap, --no-new-privs, --user, --env,
 * --apparmor).  Without this, `docker exec --privileged` would hand out
 * every capability, and `docker exec -u 0` would run as host root where
 * the policy forbids it.  What the flags may be is the policy's
 * (og_enforce_exec_flags); this file reads them off the command line and
 * applies the changes.
 */
#include <config.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ocigate/enforce.h"
#include "ocigate/spec.h"
#include "ocigate/util.h"
#include "ocigate.h"
#include "userns.h"

/* Does the container's uid 0 map to an unprivileged host uid?  runc's
 * state says (the container's namespaces and uid mappings, as libcontainer
 * records them), for the user namespaces we staged as for an engine's: a
 * record of ours names a range, not what runc actually started (a
 * duplicate create that runc refused once left one for a container without
 * a user namespace).  Asked only under run_as_non_root, of an exec that
 * passes a process.json or a --user. */
static bool
root_mapped_away (const struct ocigate_run *r)
{
  struct ocigate_bundle doc = { .dirfd = -1 };
  og_cleanup_json struct og_json *state = NULL;
  og_cleanup_free char *path = NULL;
  const struct og_json_opts opts = { .max_size = OG_SPEC_MAX_SIZE, .max_depth = OG_SPEC_MAX_DEPTH };
  struct og_json *ns, *maps;
  struct og_error err = { 0 };
  bool userns = false, away = false;

  if (!og_container_id_valid (r->cl.id))
    return false;
  path = og_xasprintf ("%s/%s/state.json", r->cl.root, r->cl.id);
  if (ocigate_doc_open_path (path, &doc, &err) < 0 || og_json_parse (doc.data, doc.len, &opts, &state, &err) < 0)
    {
      og_error_clear (&err);
      ocigate_bundle_close (&doc);
      return false; /* unknown: judged as host root */
    }
  ocigate_bundle_close (&doc);
  ns = og_json_path (state, "config", "namespaces", NULL);
  maps = og_json_path (state, "config", "uid_mappings", NULL);
  for (size_t i = 0; ns && ns->type == OG_JSON_ARRAY && i < ns->n; i++)
    {
      struct og_json *t = og_json_get (ns->vals[i], "type");
      userns |= og_json_is_string (t) && strcmp (t->text, "NEWUSER") == 0;
    }
  for (size_t i = 0; userns && maps && maps->type == OG_JSON_ARRAY && i < maps->n; i++)
    {
      int64_t cid, hid, size;
      if (og_json_int64 (og_json_get (maps->vals[i], "container_id"), &cid) == 0
          && og_json_int64 (og_json_get (maps->vals[i], "host_id"), &hid) == 0
          && og_json_int64 (og_json_get (maps->vals[i], "size"), &size) == 0 && cid <= 0 && cid + size > 0)
        away = hid - cid != 0;
    }
  return away;
}

static int
exec_process_file (struct ocigate_run *r, const char *path, struct og_error *err)
{
  struct og_enforce_ctx ctx = { .policy = r->rules, .container_id = r->cl.id };
  ocigate_cleanup_bundle struct ocigate_bundle doc = { .dirfd = -1 };
  og_cleanup_json struct og_json *process = NULL;
  og_cleanup_free char *out = NULL;
  size_t out_len;

  if (ocigate_doc_open_path (path, &doc, err) < 0 || og_spec_parse (doc.data, doc.len, &process, err) < 0)
    return og_error_wrap (err, "exec process %s", path);
  if (r->rules->process.run_as_non_root)
    ctx.root_mapped_away = root_mapped_away (r);
  if (og_enforce_process (&ctx, process, &r->decisions, err) < 0)
    return OCIGATE_ERROR;
  if (og_decisions_refused (&r->decisions))
    return OCIGATE_REFUSED;
  if (og_json_write (process, false, &out, &out_len, err) < 0 || ocigate_bundle_write (&doc, out, out_len, err) < 0)
    return OCIGATE_ERROR;
  return OCIGATE_ACCEPTED;
}

/* runc's names for the inline flags the policy judges (aliases folded). */
static const struct
{
  const char *name, *alias;
  enum og_exec_flag_kind kind;
} exec_names[] = {
  { "env", "e", OG_EXEC_FLAG_ENV },
  { "user", "u", OG_EXEC_FLAG_USER },
  { "additional-gids", "g", OG_EXEC_FLAG_ADDITIONAL_GIDS },
  { "apparmor", NULL, OG_EXEC_FLAG_APPARMOR },
  { "cgroup", NULL, OG_EXEC_FLAG_CGROUP },
  { "cap", "c", OG_EXEC_FLAG_CAP },
  { "no-new-privs", NULL, OG_EXEC_FLAG_NO_NEW_PRIVS },
};

static bool
exec_kind (const char *name, enum og_exec_flag_kind *kind)
{
  for (size_t i = 0; i < sizeof exec_names / sizeof exec_names[0]; i++)
    if (strcmp (exec_names[i].name, name) == 0 || (exec_names[i].alias && strcmp (exec_names[i].alias, name) == 0))
      {
        *kind = exec_names[i].kind;
        return true;
      }
  return false;
}

/* Inline flags: runc starts from the container's own process and changes
 * what the flags say.  A root exec under run_as_non_root is judged with
 * what runc's state says of the container's user namespace. */
static int
exec_inline (struct ocigate_run *r, struct og_error *err)
{
  struct og_enforce_ctx ctx = { .policy = r->rules, .container_id = r->cl.id };
  og_cleanup_free struct og_exec_flag *in = og_xcalloc (r->cl.nflags + 1, sizeof *in);
  og_cleanup_free const struct ocigate_flag **of = og_xcalloc (r->cl.nflags + 1, sizeof *of);
  og_cleanup_flags_out struct og_flags_out out = { 0 };
  bool user = false;
  size_t n = 0;
  int rc;

  for (size_t i = 0; i < r->cl.nflags; i++)
    if (exec_kind (r->cl.flags[i].name, &in[n].kind))
      {
        in[n].value = r->cl.flags[i].value;
        user |= in[n].kind == OG_EXEC_FLAG_USER && in[n].value && in[n].value[0];
        of[n++] = &r->cl.flags[i];
      }
  if (user && r->rules->process.run_as_non_root)
    ctx.root_mapped_away = root_mapped_away (r);
  if ((rc = og_enforce_exec_flags (&ctx, in, n, &out, &r->decisions, err)) < 0)
    return rc;
  if (og_decisions_refused (&r->decisions))
    return OCIGATE_REFUSED;
  ocigate_argv_apply (&r->cl, of, &out);
  return OCIGATE_ACCEPTED;
}

int
ocigate_cmd_exec (struct ocigate_run *r, struct og_error *err)
{
  const char *process = ocigate_cmdline_flag (&r->cl, "process", "p");

  if (ocigate_running_profile (r, err) < 0)
    return OCIGATE_ERROR;
  if (process && process[0])
    return exec_process_file (r, process, err);
  return exec_inline (r, err);
}
