/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exec: a new process in a running container gets the same process rules as
 * the container's first one.  Engines pass a process.json (--process); a
 * person may use runc's inline flags (--cap, --no-new-privs, --user, --env,
 * --apparmor).  Without this, `docker exec --privileged` would hand out
 * every capability, and `docker exec -u 0` would run as host root where
 * the policy forbids it.
 */
#include <config.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../policy/rule.h" /* FIXME(arch): below the front-end boundary */
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
 * a user namespace).  Asked only of a root exec under run_as_non_root. */
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
  if (r->policy->process.run_as_non_root)
    ctx.root_mapped_away = root_mapped_away (r);
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
  bool b = false;
  return v == NULL || (og_go_parse_bool (v, &b) == 0 && b);
}

static bool
is_flag (const struct ocigate_flag *f, const char *name, const char *alias)
{
  return strcmp (f->name, name) == 0 || (alias && strcmp (f->name, alias) == 0);
}

/* One number of --user or --additional-gids, read as runc reads it
 * (strconv.Atoi / ParseInt base 10) and then cast to uint32: "4294967296"
 * and "-4294967296" would be 0, host root.  Refused unless the cast keeps
 * the value, so the number judged is the number runc uses. */
static void
exec_id (struct ocigate_run *r, const char *flag, const char *what, const char *text, int64_t *out)
{
  og_cleanup_free char *msg = NULL;

  if (og_go_parse_int (text, 10, out) == 0 && *out >= 0 && *out <= UINT32_MAX)
    return;
  if (og_go_parse_int (text, 10, out) < 0)
    msg = og_xasprintf ("exec --%s: \"%s\" is not a %s number", flag, text, what);
  else
    msg = og_xasprintf ("exec --%s: %s %s is out of range: runc casts it to 32 bits and would use %s %" PRIu32
                        " (a %s must be between 0 and 4294967295)",
                        flag, what, text, what, (uint32_t)*out, what);
  ocigate_refuse (r, "refuse", msg);
}

/* --user "uid[:gid]" (runc: strings.SplitN on ':', then exec_id each). */
static bool
exec_user (struct ocigate_run *r, const char *v, int64_t *uid)
{
  og_cleanup_free char *u = og_xstrdup (v);
  char *colon = strchr (u, ':');
  int64_t gid;

  if (v[0] == '\0')
    return false; /* runc keeps the container's user */
  if (colon)
    {
      *colon = '\0';
      exec_id (r, "user", "gid", colon + 1, &gid);
    }
  exec_id (r, "user", "uid", u, uid);
  return true;
}

/* --cgroup [controllers:]path: runc joins path below the container's cgroup
 * and checks only a string prefix, so "../<name>-other" reaches a sibling
 * whose name starts with the container's. */
static void
exec_cgroup (struct ocigate_run *r, const char *v)
{
  const char *colon = strchr (v, ':'), *p = colon ? colon + 1 : v;
  og_cleanup_free char *msg = NULL;

  for (const char *c = p; c && *c;)
    {
      size_t n = strcspn (c, "/");
      if (n == 2 && c[0] == '.' && c[1] == '.')
        {
          msg = og_xasprintf ("exec --cgroup %s: a sub-cgroup must lie below the container's cgroup (no \"..\")", v);
          ocigate_refuse (r, "refuse", msg);
        }
      c += n;
      c += *c == '/';
    }
}

/* --user, --env and --apparmor set fields of the exec'd process (the rest
 * comes from the container's process, judged at create): judge them as the
 * process rules judge process.json.  A replaced AppArmor profile is written
 * back in place, so no argv index moves. */
static void
exec_inline_fields (struct ocigate_run *r)
{
  struct og_enforce_ctx ctx = { .policy = r->policy, .container_id = r->cl.id };
  og_cleanup_json struct og_json *spec = og_json_new (OG_JSON_OBJECT);
  struct og_json *process = og_json_ensure_object (spec, "process"), *env = NULL, *prof;
  const struct ocigate_flag *user = NULL, *apparmor = NULL;
  struct og_error err = { 0 };
  int64_t uid = 0, gid;
  bool has_uid = false;

  for (size_t k = 0; k < r->cl.nflags; k++)
    {
      const struct ocigate_flag *f = &r->cl.flags[k];

      if (f->value == NULL)
        continue;
      if (is_flag (f, "env", "e"))
        {
          if (env == NULL)
            og_json_set (process, "env", env = og_json_new (OG_JSON_ARRAY));
          og_json_append (env, og_json_new_string (f->value));
        }
      else if (is_flag (f, "user", "u"))
        user = f; /* the last one wins, as in Go */
      else if (is_flag (f, "apparmor", NULL))
        apparmor = f;
      else if (is_flag (f, "additional-gids", "g"))
        exec_id (r, "additional-gids", "gid", f->value, &gid);
      else if (is_flag (f, "cgroup", NULL))
        exec_cgroup (r, f->value);
    }
  if (apparmor && apparmor->value[0] == '\0')
    apparmor = NULL; /* runc keeps the container's profile */
  if (user && (has_uid = exec_user (r, user->value, &uid)))
    {
      og_json_set (og_json_ensure_object (process, "user"), "uid", og_json_new_number (uid));
      if (r->policy->process.run_as_non_root)
        ctx.root_mapped_away = root_mapped_away (r);
    }
  if (apparmor)
    og_json_set (process, "apparmorProfile", og_json_new_string (apparmor->value));
  if ((env && og_rule_env (&ctx, spec, &r->decisions, &err) < 0)
      || (apparmor && og_rule_lsm (&ctx, spec, &r->decisions, &err) < 0)
      || (has_uid && og_rule_process_hardening (&ctx, spec, &r->decisions, &err) < 0))
    ocigate_refuse (r, "error", err.msg);
  ocigate_refuse_if_refused (r);
  prof = og_json_get (process, "apparmorProfile");
  if (apparmor && og_json_is_string (prof) && strcmp (prof->text, apparmor->value) != 0)
    {
      if (apparmor->value_index >= 0)
        r->cl.argv[apparmor->value_index] = og_xstrdup (prof->text);
      else
        r->cl.argv[apparmor->index] = og_xasprintf ("--apparmor=%s", prof->text);
    }
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
    {
      exec_inline_fields (r);
      exec_inline (r);
    }
  ocigate_audit_accepted (r, "exec");
}
