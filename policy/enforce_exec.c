/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exec's inline flags (--env, --user, --apparmor, --cap, --no-new-privs...),
 * judged as the process rules judge the process.json an engine passes.
 * Without this, `runc exec --cap CAP_SYS_ADMIN` would hand out what the
 * allowlist withholds, and `--user 0` would run as host root where the
 * policy forbids it.  The front end passes the flags in command-line
 * order and applies the changes returned.
 */
#include <config.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ocigate/enforce.h"
#include "ocigate/util.h"
#include "rule.h"

static bool
go_bool_true (const char *v)
{
  bool b = false;
  return v == NULL || (og_go_parse_bool (v, &b) == 0 && b);
}

/* One number of --user or --additional-gids, read as runc reads it
 * (strconv.Atoi / ParseInt base 10) and then cast to uint32: "4294967296"
 * and "-4294967296" would be 0, host root.  Refused unless the cast keeps
 * the value, so the number judged is the number runc uses. */
static int
exec_id (const char *flag, const char *what, const char *text, int64_t *out, struct og_error *err)
{
  if (og_go_parse_int (text, 10, out) == 0 && *out >= 0 && *out <= UINT32_MAX)
    return 0;
  if (og_go_parse_int (text, 10, out) < 0)
    og_error_set (err, 0, "exec --%s: \"%s\" is not a %s number", flag, text, what);
  else
    og_error_set (err, 0,
                  "exec --%s: %s %s is out of range: runc casts it to 32 bits and would use %s %" PRIu32
                  " (a %s must be between 0 and 4294967295)",
                  flag, what, text, what, (uint32_t)*out, what);
  return OG_ENFORCE_REFUSED;
}

/* --user "uid[:gid]" (runc: strings.SplitN on ':', then exec_id each).
 * *has_uid is false for "", with which runc keeps the container's user. */
static int
exec_user (const char *v, int64_t *uid, bool *has_uid, struct og_error *err)
{
  og_cleanup_free char *u = og_xstrdup (v);
  char *colon = strchr (u, ':');
  int64_t gid;
  int r;

  *has_uid = false;
  if (v[0] == '\0')
    return 0;
  if (colon)
    {
      *colon = '\0';
      if ((r = exec_id ("user", "gid", colon + 1, &gid, err)) < 0)
        return r;
    }
  if ((r = exec_id ("user", "uid", u, uid, err)) < 0)
    return r;
  *has_uid = true;
  return 0;
}

/* --cgroup [controllers:]path: runc joins path below the container's cgroup
 * and checks only a string prefix, so "../<name>-other" reaches a sibling
 * whose name starts with the container's. */
static int
exec_cgroup (const char *v, struct og_error *err)
{
  const char *colon = strchr (v, ':'), *p = colon ? colon + 1 : v;

  for (const char *c = p; *c;)
    {
      size_t n = strcspn (c, "/");
      if (n == 2 && c[0] == '.' && c[1] == '.')
        {
          og_error_set (err, 0, "exec --cgroup %s: a sub-cgroup must lie below the container's cgroup (no \"..\")", v);
          return OG_ENFORCE_REFUSED;
        }
      c += n;
      c += *c == '/';
    }
  return 0;
}

/* The fields stage: --env, --user and --apparmor set fields of the exec'd
 * process: judged by the rules that judge those fields in a process.json,
 * on a config holding only them.  The ids and cgroup are checked first, in
 * command-line order. */
static int
exec_fields (const struct og_enforce_ctx *ctx, const struct og_exec_flag *flags, size_t n, struct og_flags_out *out,
             struct og_decisions *d, struct og_error *err)
{
  og_cleanup_json struct og_json *spec = og_json_new (OG_JSON_OBJECT);
  struct og_json *process = og_json_ensure_object (spec, "process"), *env = NULL, *prof;
  const struct og_exec_flag *user = NULL, *apparmor = NULL;
  int64_t uid = 0, gid;
  bool has_uid = false;
  int r = 0;

  for (size_t k = 0; k < n && r == 0; k++)
    {
      const struct og_exec_flag *f = &flags[k];

      if (f->value == NULL)
        continue;
      switch (f->kind)
        {
          case OG_EXEC_FLAG_ENV:
            if (env == NULL)
              og_json_set (process, "env", env = og_json_new (OG_JSON_ARRAY));
            og_json_append (env, og_json_new_string (f->value));
            break;
          case OG_EXEC_FLAG_USER:
            user = f; /* the last one wins, as in Go */
            break;
          case OG_EXEC_FLAG_APPARMOR:
            apparmor = f;
            break;
          case OG_EXEC_FLAG_ADDITIONAL_GIDS:
            r = exec_id ("additional-gids", "gid", f->value, &gid, err);
            break;
          case OG_EXEC_FLAG_CGROUP:
            r = exec_cgroup (f->value, err);
            break;
          case OG_EXEC_FLAG_CAP:
          case OG_EXEC_FLAG_NO_NEW_PRIVS:
            break; /* the second stage */
        }
    }
  if (r < 0)
    return r;
  if (apparmor && apparmor->value[0] == '\0')
    apparmor = NULL; /* runc keeps the container's profile */
  if (user && (r = exec_user (user->value, &uid, &has_uid, err)) < 0)
    return r;
  if (has_uid)
    og_json_set (og_json_ensure_object (process, "user"), "uid", og_json_new_number (uid));
  if (apparmor)
    og_json_set (process, "apparmorProfile", og_json_new_string (apparmor->value));
  if ((env && og_rule_env (ctx, spec, d, err) < 0) || (apparmor && og_rule_lsm (ctx, spec, d, err) < 0)
      || (has_uid && og_rule_process_hardening (ctx, spec, d, err) < 0))
    return -1;
  prof = og_json_get (process, "apparmorProfile");
  if (apparmor && og_json_is_string (prof) && strcmp (prof->text, apparmor->value) != 0)
    out->v[apparmor - flags].value = og_xstrdup (prof->text);
  return 0;
}

/* The privileges stage: runc starts from the container's own process and
 * adds the --cap values: those off the allowlist are dropped.
 * "--no-new-privs=false" would switch no_new_privs off for this process:
 * dropped, and the flag added when the policy requires it.  Walked
 * backwards, as the front end removes the flags. */
static void
exec_privileges (const struct og_enforce_ctx *ctx, const struct og_exec_flag *flags, size_t n, struct og_flags_out *out,
                 struct og_decisions *d)
{
  const struct og_policy *p = ctx->policy;
  bool nnp = false;

  for (size_t k = n; k-- > 0;)
    {
      const struct og_exec_flag *f = &flags[k];

      if (f->kind == OG_EXEC_FLAG_CAP)
        {
          if (!og_strv_contains (p->caps.allow, f->value))
            out->v[k].drop = og_rule_change (ctx, p->caps.action, d, "capabilities", "exec --cap",
                                             og_xasprintf ("\"%s\"", f->value), NULL,
                                             "capability %s is not on the allowlist", f->value);
        }
      else if (f->kind == OG_EXEC_FLAG_NO_NEW_PRIVS)
        {
          if (go_bool_true (f->value))
            nnp = true;
          else
            out->v[k].drop
                = og_rule_change (ctx, p->nnp.action, d, "no_new_privileges", "exec --no-new-privs",
                                  og_xasprintf ("\"%s\"", f->value), NULL, "no_new_privileges cannot be switched off");
        }
    }
  out->add_no_new_privs = !nnp
                          && og_rule_change (ctx, p->nnp.action, d, "no_new_privileges", "exec --no-new-privs", NULL,
                                             og_xstrdup ("true"), "no_new_privileges is required");
}

int
og_enforce_exec_flags (const struct og_enforce_ctx *ctx, const struct og_exec_flag *flags, size_t n,
                       struct og_flags_out *out, struct og_decisions *d, struct og_error *err)
{
  int r;

  out->v = og_xcalloc (n ? n : 1, sizeof *out->v);
  out->n = n;
  out->add_no_new_privs = false;
  if ((r = exec_fields (ctx, flags, n, out, d, err)) < 0)
    return r;
  /* a refusal of the fields is the verdict, as it was reported before
   * the capabilities were ever judged */
  if (og_decisions_refused (d))
    return 0;
  exec_privileges (ctx, flags, n, out, d);
  return 0;
}

void
og_flags_out_free (struct og_flags_out *out)
{
  for (size_t i = 0; out->v && i < out->n; i++)
    free (out->v[i].value);
  free (out->v);
  out->v = NULL;
  out->n = 0;
}
