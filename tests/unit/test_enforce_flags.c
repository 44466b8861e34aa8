/* SPDX-License-Identifier: Apache-2.0 */
/* The command-line entry points of the policy: runc exec's inline flags
 * (og_enforce_exec_flags) and runc restore's own options
 * (og_enforce_restore), each flag in each decision kind (mutate, refuse,
 * audit by action and by the policy's audit mode), what the front end is
 * told to change, and og_enforce_update / og_policy_check_files. */
#include <config.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "ocigate/enforce.h"
#include "ocigate/util.h"

/* The default profile: capabilities and no_new_privileges enforce, env
 * audit, lsm enforce with docker-default, restore not allowed. */
struct fx
{
  struct og_policy *p;
  struct og_enforce_ctx ctx;
  struct og_decisions d;
  struct og_flags_out out;
  struct og_error err;
};

static void
fx_init (struct fx *f)
{
  memset (f, 0, sizeof *f);
  f->p = th_profile ("default.json");
  f->ctx.policy = f->p;
  f->ctx.container_id = "c1";
}

static void
fx_free (struct fx *f)
{
  og_flags_out_free (&f->out);
  og_decisions_clear (&f->d);
  og_error_clear (&f->err);
  og_policy_free (f->p);
}

static int
exec_flags (struct fx *f, const struct og_exec_flag *flags, size_t n)
{
  og_flags_out_free (&f->out);
  return og_enforce_exec_flags (&f->ctx, flags, n, &f->out, &f->d, &f->err);
}

#define EXEC(f, ...)                                                                                                   \
  ({                                                                                                                   \
    const struct og_exec_flag _fl[] = { __VA_ARGS__ };                                                                 \
    exec_flags ((f), _fl, sizeof _fl / sizeof _fl[0]);                                                                 \
  })

static bool
apparmor_enabled (void)
{
  char c = 'N';
  FILE *fp = fopen ("/sys/module/apparmor/parameters/enabled", "re");

  if (fp == NULL)
    return false;
  if (fread (&c, 1, 1, fp) != 1)
    c = 'N';
  fclose (fp);
  return c == 'Y';
}

static bool
nothing_changed (const struct og_flags_out *out)
{
  for (size_t i = 0; i < out->n; i++)
    if (out->v[i].drop || out->v[i].value)
      return false;
  return !out->add_no_new_privs;
}

/* ---- exec: --env --------------------------------------------------------- */

START_TEST (exec_env_by_action)
{
  static const enum og_action actions[] = { OG_ACTION_AUDIT, OG_ACTION_DENY, OG_ACTION_ENFORCE };
  static const enum og_decision_kind kinds[] = { OG_DECISION_AUDIT, OG_DECISION_REFUSE, OG_DECISION_REFUSE };

  for (size_t i = 0; i < 3; i++)
    {
      struct fx f;
      const struct og_decision *e;

      fx_init (&f);
      f.p->env.action = actions[i];
      ck_assert_int_eq (EXEC (&f, { OG_EXEC_FLAG_ENV, "HOME=/root" }, { OG_EXEC_FLAG_ENV, "DB_PASSWORD=hunter2" },
                              { OG_EXEC_FLAG_NO_NEW_PRIVS, NULL }),
                        0);
      e = th_find (&f.d, "env", kinds[i], "process.env[1]");
      ck_assert_msg (e != NULL, "action %d: no %s decision for process.env[1]", (int)actions[i],
                     og_decision_kind_name (kinds[i]));
      ck_assert_str_eq (e->before, "\"DB_PASSWORD\"");
      ck_assert_ptr_null (strstr (e->reason, "hunter2")); /* the value is never recorded */
      ck_assert_ptr_null (th_find (&f.d, "env", kinds[i], "process.env[0]"));
      ck_assert (nothing_changed (&f.out));
      fx_free (&f);
    }
}
END_TEST

START_TEST (exec_env_private_key_and_audit_mode)
{
  struct fx f;

  fx_init (&f);
  f.p->env.action = OG_ACTION_DENY;
  ck_assert_int_eq (EXEC (&f, { OG_EXEC_FLAG_ENV, "K=-----BEGIN RSA PRIVATE KEY-----x" }), 0);
  ck_assert_ptr_nonnull (th_find (&f.d, "env", OG_DECISION_REFUSE, "process.env[0]"));
  fx_free (&f);

  /* "mode": "audit" records what deny would refuse */
  fx_init (&f);
  f.p->env.action = OG_ACTION_DENY;
  f.p->audit_only = true;
  ck_assert_int_eq (EXEC (&f, { OG_EXEC_FLAG_ENV, "API_TOKEN=x" }), 0);
  ck_assert_ptr_nonnull (th_find (&f.d, "env", OG_DECISION_AUDIT, "process.env[0]"));
  ck_assert_uint_eq (th_count (&f.d, OG_DECISION_REFUSE), 0);
  fx_free (&f);
}
END_TEST

/* A refusal in the fields stage is the verdict: the capabilities and
 * no_new_privs are not judged after it. */
START_TEST (exec_fields_refusal_stops_before_privileges)
{
  struct fx f;

  fx_init (&f);
  f.p->env.action = OG_ACTION_DENY;
  ck_assert_int_eq (EXEC (&f, { OG_EXEC_FLAG_CAP, "CAP_SYS_ADMIN" }, { OG_EXEC_FLAG_ENV, "X_SECRET=1" }), 0);
  ck_assert (og_decisions_refused (&f.d));
  ck_assert_uint_eq (f.d.n, 1);
  ck_assert (nothing_changed (&f.out));
  fx_free (&f);
}
END_TEST

/* ---- exec: --user, --additional-gids, --cgroup ---------------------------- */

START_TEST (exec_user_run_as_non_root)
{
  struct fx f;

  fx_init (&f);
  f.p->process.run_as_non_root = true;
  f.p->process.action = OG_ACTION_DENY;
  ck_assert_int_eq (EXEC (&f, { OG_EXEC_FLAG_USER, "0:0" }, { OG_EXEC_FLAG_NO_NEW_PRIVS, "true" }), 0);
  ck_assert_ptr_nonnull (th_find (&f.d, "process", OG_DECISION_REFUSE, "process.user.uid"));
  fx_free (&f);

  /* a user namespace that maps root away */
  fx_init (&f);
  f.p->process.run_as_non_root = true;
  f.ctx.root_mapped_away = true;
  ck_assert_int_eq (EXEC (&f, { OG_EXEC_FLAG_USER, "0" }, { OG_EXEC_FLAG_NO_NEW_PRIVS, NULL }), 0);
  ck_assert_uint_eq (f.d.n, 0);
  fx_free (&f);

  /* the last --user wins, as in Go; "" keeps the container's user */
  fx_init (&f);
  f.p->process.run_as_non_root = true;
  ck_assert_int_eq (
      EXEC (&f, { OG_EXEC_FLAG_USER, "0" }, { OG_EXEC_FLAG_USER, "1000:1000" }, { OG_EXEC_FLAG_NO_NEW_PRIVS, NULL }),
      0);
  ck_assert_uint_eq (f.d.n, 0);
  ck_assert_int_eq (
      EXEC (&f, { OG_EXEC_FLAG_USER, "0" }, { OG_EXEC_FLAG_USER, "" }, { OG_EXEC_FLAG_NO_NEW_PRIVS, NULL }), 0);
  ck_assert_uint_eq (f.d.n, 0);
  fx_free (&f);

  /* audit action and audit mode record it */
  fx_init (&f);
  f.p->process.run_as_non_root = true;
  f.p->process.action = OG_ACTION_AUDIT;
  ck_assert_int_eq (EXEC (&f, { OG_EXEC_FLAG_USER, "0" }), 0);
  ck_assert_ptr_nonnull (th_find (&f.d, "process", OG_DECISION_AUDIT, "process.user.uid"));
  ck_assert (!og_decisions_refused (&f.d));
  fx_free (&f);
}
END_TEST

/* runc casts the number to 32 bits: what would become another id is
 * refused outright, in every mode, naming the id runc would use. */
START_TEST (exec_ids_refused_outright)
{
  static const struct
  {
    struct og_exec_flag flag;
    const char *msg;
  } cases[] = {
    { { OG_EXEC_FLAG_USER, "4294967296" },
      "exec --user: uid 4294967296 is out of range: runc casts it to 32 bits and would use uid 0 (a uid must be "
      "between 0 and 4294967295)" },
    { { OG_EXEC_FLAG_USER, "-1" }, "exec --user: uid -1 is out of range" },
    { { OG_EXEC_FLAG_USER, "root" }, "exec --user: \"root\" is not a uid number" },
    { { OG_EXEC_FLAG_USER, "1000:4294967296" }, "exec --user: gid 4294967296 is out of range" },
    { { OG_EXEC_FLAG_USER, "x:y" }, "exec --user: \"y\" is not a gid number" }, /* the gid is read first */
    { { OG_EXEC_FLAG_ADDITIONAL_GIDS, "-4294967296" }, "exec --additional-gids: gid -4294967296 is out of range" },
    { { OG_EXEC_FLAG_ADDITIONAL_GIDS, "0x10" }, "exec --additional-gids: \"0x10\" is not a gid number" },
  };

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    for (int audit = 0; audit < 2; audit++)
      {
        struct fx f;

        fx_init (&f);
        f.p->audit_only = audit;
        ck_assert_int_eq (exec_flags (&f, &cases[i].flag, 1), OG_ENFORCE_REFUSED);
        ck_assert_msg (strncmp (f.err.msg, cases[i].msg, strlen (cases[i].msg)) == 0, "\"%s\" is not \"%s...\"",
                       f.err.msg, cases[i].msg);
        ck_assert_uint_eq (f.d.n, 0);
        fx_free (&f);
      }
}
END_TEST

START_TEST (exec_ids_accepted)
{
  struct fx f;

  fx_init (&f);
  ck_assert_int_eq (EXEC (&f, { OG_EXEC_FLAG_USER, "4294967295:0" }, { OG_EXEC_FLAG_ADDITIONAL_GIDS, "10" },
                          { OG_EXEC_FLAG_ADDITIONAL_GIDS, NULL }, { OG_EXEC_FLAG_NO_NEW_PRIVS, "1" }),
                    0);
  ck_assert_uint_eq (f.d.n, 0);
  ck_assert (nothing_changed (&f.out));
  fx_free (&f);
}
END_TEST

START_TEST (exec_cgroup)
{
  static const char *const refused[] = { "..", "../c1-other", "cpu,memory:../x", "sub/../../x", "a/..", NULL };
  static const char *const accepted[] = { "sub", "cpu:sub/dir", "a..b/..c", "", NULL };
  struct fx f;

  for (const char *const *v = refused; *v; v++)
    {
      og_cleanup_free char *want = og_xasprintf ("exec --cgroup %s: a sub-cgroup must lie below", *v);
      fx_init (&f);
      ck_assert_int_eq (EXEC (&f, { OG_EXEC_FLAG_CGROUP, *v }), OG_ENFORCE_REFUSED);
      ck_assert_msg (strncmp (f.err.msg, want, strlen (want)) == 0, "%s", f.err.msg);
      fx_free (&f);
    }
  for (const char *const *v = accepted; *v; v++)
    {
      fx_init (&f);
      ck_assert_int_eq (EXEC (&f, { OG_EXEC_FLAG_CGROUP, *v }, { OG_EXEC_FLAG_NO_NEW_PRIVS, NULL }), 0);
      ck_assert_uint_eq (f.d.n, 0);
      fx_free (&f);
    }
}
END_TEST

/* In command-line order: the first value refused is the one reported. */
START_TEST (exec_first_refused_value_reported)
{
  struct fx f;

  fx_init (&f);
  ck_assert_int_eq (EXEC (&f, { OG_EXEC_FLAG_CGROUP, "../x" }, { OG_EXEC_FLAG_ADDITIONAL_GIDS, "-1" }),
                    OG_ENFORCE_REFUSED);
  ck_assert_ptr_nonnull (strstr (f.err.msg, "--cgroup"));
  og_error_clear (&f.err);
  ck_assert_int_eq (EXEC (&f, { OG_EXEC_FLAG_ADDITIONAL_GIDS, "-1" }, { OG_EXEC_FLAG_CGROUP, "../x" }),
                    OG_ENFORCE_REFUSED);
  ck_assert_ptr_nonnull (strstr (f.err.msg, "--additional-gids"));
  og_error_clear (&f.err);
  /* --user is read after the others, whatever its place */
  ck_assert_int_eq (EXEC (&f, { OG_EXEC_FLAG_USER, "-1" }, { OG_EXEC_FLAG_CGROUP, "../x" }), OG_ENFORCE_REFUSED);
  ck_assert_ptr_nonnull (strstr (f.err.msg, "--cgroup"));
  fx_free (&f);
}
END_TEST

/* ---- exec: --apparmor ---------------------------------------------------- */

START_TEST (exec_apparmor)
{
  struct fx f;
  const struct og_exec_flag flags[] = { { OG_EXEC_FLAG_APPARMOR, "other" },
                                        { OG_EXEC_FLAG_APPARMOR, "unconfined" },
                                        { OG_EXEC_FLAG_NO_NEW_PRIVS, NULL } };

  /* a named profile stands, whatever the host */
  fx_init (&f);
  ck_assert_int_eq (EXEC (&f, flags[0], flags[2]), 0);
  ck_assert_uint_eq (f.d.n, 0);
  fx_free (&f);

  /* "" keeps the container's profile: nothing judged */
  fx_init (&f);
  ck_assert_int_eq (EXEC (&f, { OG_EXEC_FLAG_APPARMOR, "" }, { OG_EXEC_FLAG_NO_NEW_PRIVS, NULL }), 0);
  ck_assert_uint_eq (f.d.n, 0);
  fx_free (&f);

  /* "unconfined" (the last one wins) by action */
  for (int action = 0; action < 3; action++)
    {
      const struct og_decision *e;

      fx_init (&f);
      f.p->lsm.action = action == 0 ? OG_ACTION_ENFORCE : action == 1 ? OG_ACTION_DENY : OG_ACTION_AUDIT;
      ck_assert_int_eq (exec_flags (&f, flags, 3), 0);
      if (!apparmor_enabled ())
        {
          /* recorded as skipped, never as a confinement that did not exist */
          e = th_find (&f.d, "lsm", OG_DECISION_AUDIT, "process.apparmorProfile");
          ck_assert_ptr_nonnull (e);
          ck_assert_ptr_nonnull (strstr (e->reason, "not enabled"));
          ck_assert (nothing_changed (&f.out));
        }
      else if (action == 0)
        {
          ck_assert_ptr_nonnull (th_find (&f.d, "lsm", OG_DECISION_MUTATE, "process.apparmorProfile"));
          ck_assert_ptr_null (f.out.v[0].value);
          ck_assert_str_eq (f.out.v[1].value, "docker-default");
        }
      else
        {
          ck_assert_ptr_nonnull (
              th_find (&f.d, "lsm", action == 1 ? OG_DECISION_REFUSE : OG_DECISION_AUDIT, "process.apparmorProfile"));
          ck_assert (nothing_changed (&f.out));
        }
      fx_free (&f);
    }
}
END_TEST

/* ---- exec: --cap --------------------------------------------------------- */

START_TEST (exec_cap_by_action)
{
  struct fx f;
  const struct og_exec_flag flags[] = {
    { OG_EXEC_FLAG_CAP, "CAP_SYS_ADMIN" },
    { OG_EXEC_FLAG_CAP, "CAP_CHOWN" },
    { OG_EXEC_FLAG_CAP, "CAP_NET_RAW" },
    { OG_EXEC_FLAG_NO_NEW_PRIVS, NULL },
  };

  /* enforce: each off the allowlist dropped (decisions last flag first,
   * as the front end removes them) */
  fx_init (&f);
  ck_assert_int_eq (exec_flags (&f, flags, 4), 0);
  ck_assert_uint_eq (f.d.n, 2);
  ck_assert_int_eq (f.d.v[0].kind, OG_DECISION_MUTATE);
  ck_assert_str_eq (f.d.v[0].before, "\"CAP_NET_RAW\"");
  ck_assert_str_eq (f.d.v[1].before, "\"CAP_SYS_ADMIN\"");
  ck_assert_str_eq (f.d.v[1].path, "exec --cap");
  ck_assert (f.out.v[0].drop && !f.out.v[1].drop && f.out.v[2].drop && !f.out.v[3].drop);
  ck_assert (!f.out.add_no_new_privs);
  fx_free (&f);

  /* deny: refused, nothing dropped */
  fx_init (&f);
  f.p->caps.action = OG_ACTION_DENY;
  ck_assert_int_eq (exec_flags (&f, flags, 4), 0);
  ck_assert_uint_eq (th_count (&f.d, OG_DECISION_REFUSE), 2);
  ck_assert (nothing_changed (&f.out));
  fx_free (&f);

  /* audit action, and audit mode over enforce: recorded, kept */
  for (int mode = 0; mode < 2; mode++)
    {
      fx_init (&f);
      if (mode)
        f.p->audit_only = true;
      else
        f.p->caps.action = OG_ACTION_AUDIT;
      ck_assert_int_eq (exec_flags (&f, flags, 4), 0);
      ck_assert_uint_eq (th_count (&f.d, OG_DECISION_AUDIT), 2);
      ck_assert_uint_eq (f.d.n, 2);
      ck_assert (nothing_changed (&f.out));
      fx_free (&f);
    }
}
END_TEST

/* ---- exec: --no-new-privs ------------------------------------------------ */

START_TEST (exec_no_new_privs)
{
  struct fx f;
  const struct og_decision *e;

  /* enforce: "=false" dropped, the flag added */
  fx_init (&f);
  ck_assert_int_eq (EXEC (&f, { OG_EXEC_FLAG_NO_NEW_PRIVS, "false" }), 0);
  ck_assert_uint_eq (f.d.n, 2);
  ck_assert_str_eq (f.d.v[0].before, "\"false\"");
  ck_assert_int_eq (f.d.v[0].kind, OG_DECISION_MUTATE);
  ck_assert_str_eq (f.d.v[1].after, "true");
  ck_assert_str_eq (f.d.v[1].reason, "no_new_privileges is required");
  ck_assert (f.out.v[0].drop);
  ck_assert (f.out.add_no_new_privs);
  fx_free (&f);

  /* no flag at all: added */
  fx_init (&f);
  ck_assert_int_eq (exec_flags (&f, NULL, 0), 0);
  ck_assert_uint_eq (f.out.n, 0);
  ck_assert (f.out.add_no_new_privs);
  e = th_find (&f.d, "no_new_privileges", OG_DECISION_MUTATE, "exec --no-new-privs");
  ck_assert_ptr_nonnull (e);
  fx_free (&f);

  /* any true spelling, or the bare flag, is enough (even before a false) */
  static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
  for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
    {
      fx_init (&f);
      ck_assert_int_eq (EXEC (&f, { OG_EXEC_FLAG_NO_NEW_PRIVS, yes[i] }), 0);
      ck_assert_uint_eq (f.d.n, 0);
      ck_assert (nothing_changed (&f.out));
      fx_free (&f);
    }
  fx_init (&f);
  ck_assert_int_eq (EXEC (&f, { OG_EXEC_FLAG_NO_NEW_PRIVS, NULL }, { OG_EXEC_FLAG_NO_NEW_PRIVS, "0" }), 0);
  ck_assert_uint_eq (f.d.n, 1);
  ck_assert (f.out.v[1].drop && !f.out.add_no_new_privs);
  fx_free (&f);

  /* deny: refused twice over, nothing changed */
  fx_init (&f);
  f.p->nnp.action = OG_ACTION_DENY;
  ck_assert_int_eq (EXEC (&f, { OG_EXEC_FLAG_NO_NEW_PRIVS, "false" }), 0);
  ck_assert_uint_eq (th_count (&f.d, OG_DECISION_REFUSE), 2);
  ck_assert (nothing_changed (&f.out));
  fx_free (&f);

  /* audit action and audit mode: recorded, nothing changed */
  for (int mode = 0; mode < 2; mode++)
    {
      fx_init (&f);
      if (mode)
        f.p->audit_only = true;
      else
        f.p->nnp.action = OG_ACTION_AUDIT;
      ck_assert_int_eq (EXEC (&f, { OG_EXEC_FLAG_NO_NEW_PRIVS, "F" }), 0);
      ck_assert_uint_eq (th_count (&f.d, OG_DECISION_AUDIT), 2);
      ck_assert (nothing_changed (&f.out));
      fx_free (&f);
    }
}
END_TEST

/* Earlier decisions (a usage error recorded in audit mode) stay first. */
START_TEST (exec_appends_to_decisions)
{
  struct fx f;

  fx_init (&f);
  og_decisions_add (&f.d, "command_line", OG_DECISION_AUDIT, "argv", NULL, NULL, "earlier");
  ck_assert_int_eq (EXEC (&f, { OG_EXEC_FLAG_CAP, "CAP_SYS_ADMIN" }), 0);
  ck_assert_uint_eq (f.d.n, 3);
  ck_assert_str_eq (f.d.v[0].rule, "command_line");
  ck_assert_str_eq (f.d.v[1].rule, "capabilities");
  ck_assert_str_eq (f.d.v[2].rule, "no_new_privileges");
  fx_free (&f);
}
END_TEST

/* ---- restore --------------------------------------------------------------- */

static int
restore (struct fx *f, const struct og_json *spec, const struct og_restore_flag *flags, size_t n)
{
  og_flags_out_free (&f->out);
  return og_enforce_restore (&f->ctx, spec, flags, n, &f->out, &f->d, &f->err);
}

#define RESTORE(f, spec, ...)                                                                                          \
  ({                                                                                                                   \
    const struct og_restore_flag _fl[] = { __VA_ARGS__ };                                                              \
    restore ((f), (spec), _fl, sizeof _fl / sizeof _fl[0]);                                                            \
  })

static struct og_json *
spec_with_mount_label (const char *label)
{
  og_cleanup_free char *text = og_xasprintf ("{\"linux\":{\"mountLabel\":\"%s\"}}", label);
  struct og_json *spec = NULL;
  struct og_error err = { 0 };
  const struct og_json_opts opts = { .max_size = 4096, .max_depth = 8 };

  ck_assert_int_eq (og_json_parse (text, strlen (text), &opts, &spec, &err), 0);
  return spec;
}

START_TEST (restore_not_allowed)
{
  struct fx f;
  og_cleanup_json struct og_json *spec = spec_with_mount_label ("x");
  const struct og_decision *e;

  for (int audit = 0; audit < 2; audit++)
    {
      fx_init (&f);
      f.p->audit_only = audit;
      /* the options are not judged when restore itself is refused */
      ck_assert_int_eq (RESTORE (&f, spec, { OG_RESTORE_FLAG_EXT_UNIX_SK, NULL }), 0);
      ck_assert_uint_eq (f.d.n, 1);
      e = th_find (&f.d, "restore", audit ? OG_DECISION_AUDIT : OG_DECISION_REFUSE, "restore");
      ck_assert_ptr_nonnull (e);
      ck_assert_str_eq (e->path, "restore");
      ck_assert_ptr_nonnull (strstr (e->reason, "\"restore\": {\"allow\": true}"));
      ck_assert (nothing_changed (&f.out));
      fx_free (&f);
    }
}
END_TEST

START_TEST (restore_options)
{
  static const struct
  {
    struct og_restore_flag flag;
    const char *path; /* NULL: accepted */
  } cases[] = {
    { { OG_RESTORE_FLAG_LSM_MOUNT_CONTEXT, "system_u:object_r:other_t" }, "restore --lsm-mount-context" },
    { { OG_RESTORE_FLAG_LSM_MOUNT_CONTEXT, "system_u:object_r:label_t" }, NULL },
    { { OG_RESTORE_FLAG_LSM_MOUNT_CONTEXT, "" }, NULL },
    { { OG_RESTORE_FLAG_MANAGE_CGROUPS_MODE, "full" }, "restore --manage-cgroups-mode" },
    { { OG_RESTORE_FLAG_MANAGE_CGROUPS_MODE, "strict" }, "restore --manage-cgroups-mode" },
    { { OG_RESTORE_FLAG_MANAGE_CGROUPS_MODE, "soft" }, NULL },
    { { OG_RESTORE_FLAG_MANAGE_CGROUPS_MODE, "ignore" }, NULL },
    { { OG_RESTORE_FLAG_EMPTY_NS, "network" }, NULL },
    { { OG_RESTORE_FLAG_EMPTY_NS, "pid" }, "restore --empty-ns" },
    { { OG_RESTORE_FLAG_EXT_UNIX_SK, NULL }, "restore --ext-unix-sk" },
    { { OG_RESTORE_FLAG_EXT_UNIX_SK, "true" }, "restore --ext-unix-sk" },
    { { OG_RESTORE_FLAG_EXT_UNIX_SK, "1" }, "restore --ext-unix-sk" },
    { { OG_RESTORE_FLAG_EXT_UNIX_SK, "false" }, NULL },
    { { OG_RESTORE_FLAG_EXT_UNIX_SK, "0" }, NULL },
    { { OG_RESTORE_FLAG_LSM_PROFILE, "selinux:system_u:system_r:container_t" }, NULL },
    { { OG_RESTORE_FLAG_LSM_PROFILE, "selinux:" }, "restore --lsm-profile" },
    { { OG_RESTORE_FLAG_LSM_PROFILE, "smack:x" }, "restore --lsm-profile" },
    { { OG_RESTORE_FLAG_LSM_PROFILE, "apparmor:other" }, NULL },
    { { OG_RESTORE_FLAG_LSM_PROFILE, "" }, NULL },
  };
  og_cleanup_json struct og_json *spec = spec_with_mount_label ("system_u:object_r:label_t");

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    for (int audit = 0; audit < 2; audit++)
      {
        struct fx f;

        fx_init (&f);
        f.p->restore.allow = true;
        f.p->audit_only = audit;
        ck_assert_int_eq (restore (&f, spec, &cases[i].flag, 1), 0);
        if (cases[i].path)
          {
            const struct og_decision *e
                = th_find (&f.d, "restore", audit ? OG_DECISION_AUDIT : OG_DECISION_REFUSE, cases[i].path);
            ck_assert_msg (e != NULL, "case %zu: no decision at %s", i, cases[i].path);
            ck_assert_uint_eq (f.d.n, 1);
          }
        else
          ck_assert_msg (f.d.n == 0, "case %zu: %zu decisions, first %s", i, f.d.n, f.d.v[0].reason);
        ck_assert (nothing_changed (&f.out));
        fx_free (&f);
      }
}
END_TEST

/* Every option is judged; of --lsm-profile only the last, as runc reads it. */
START_TEST (restore_several_and_last_profile)
{
  struct fx f;
  og_cleanup_json struct og_json *spec = spec_with_mount_label ("l");

  fx_init (&f);
  f.p->restore.allow = true;
  ck_assert_int_eq (RESTORE (&f, spec, { OG_RESTORE_FLAG_LSM_PROFILE, "bogus" }, { OG_RESTORE_FLAG_EMPTY_NS, "ipc" },
                             { OG_RESTORE_FLAG_EXT_UNIX_SK, "t" }, { OG_RESTORE_FLAG_LSM_PROFILE, "selinux:s" }),
                    0);
  ck_assert_uint_eq (f.d.n, 2);
  ck_assert_str_eq (f.d.v[0].path, "restore --empty-ns");
  ck_assert_str_eq (f.d.v[1].path, "restore --ext-unix-sk");
  fx_free (&f);
}
END_TEST

START_TEST (restore_apparmor_profile)
{
  struct fx f;
  og_cleanup_json struct og_json *spec = spec_with_mount_label ("l");

  for (int action = 0; action < 3; action++)
    {
      fx_init (&f);
      f.p->restore.allow = true;
      f.p->lsm.action = action == 0 ? OG_ACTION_ENFORCE : action == 1 ? OG_ACTION_DENY : OG_ACTION_AUDIT;
      ck_assert_int_eq (RESTORE (&f, spec, { OG_RESTORE_FLAG_EMPTY_NS, "network" },
                                 { OG_RESTORE_FLAG_LSM_PROFILE, "apparmor:unconfined" }),
                        0);
      if (!apparmor_enabled ())
        {
          ck_assert_ptr_nonnull (th_find (&f.d, "lsm", OG_DECISION_AUDIT, "process.apparmorProfile"));
          ck_assert (nothing_changed (&f.out));
        }
      else if (action == 0)
        {
          ck_assert_ptr_nonnull (th_find (&f.d, "lsm", OG_DECISION_MUTATE, "process.apparmorProfile"));
          ck_assert_str_eq (f.out.v[1].value, "apparmor:docker-default");
        }
      else
        ck_assert_ptr_nonnull (
            th_find (&f.d, "lsm", action == 1 ? OG_DECISION_REFUSE : OG_DECISION_AUDIT, "process.apparmorProfile"));
      fx_free (&f);
    }
}
END_TEST

/* ---- update and the policy's own files ------------------------------------ */

START_TEST (update_entry_point)
{
  struct fx f;
  struct og_json *res = NULL;
  const char *text = "{\"pids\":{\"limit\":-1},\"bogus\":1}";
  const struct og_json_opts opts = { .max_size = 4096, .max_depth = 8 };

  fx_init (&f);
  ck_assert_int_lt (og_enforce_update (&f.ctx, NULL, &f.d, &f.err), 0);
  ck_assert_str_eq (f.err.msg, "update resources are not a json object");
  ck_assert_int_eq (og_json_parse (text, strlen (text), &opts, &res, &f.err), 0);
  ck_assert_int_eq (og_enforce_update (&f.ctx, res, &f.d, &f.err), 0);
  /* the unknown member is judged first, then the limit is clamped */
  ck_assert_str_eq (f.d.v[0].rule, "fields");
  ck_assert_ptr_nonnull (th_find (&f.d, "resources", OG_DECISION_MUTATE, "resources.pids.limit"));
  og_json_free (res);
  fx_free (&f);
}
END_TEST

START_TEST (policy_check_files)
{
  struct fx f;

  fx_init (&f);
  ck_assert_ptr_nonnull (f.p->seccomp.default_profile);
  ck_assert_int_eq (og_policy_check_files (f.p, &f.err), 0);
  free (f.p->seccomp.default_profile);
  f.p->seccomp.default_profile = og_xstrdup ("/nonexistent/seccomp.json");
  ck_assert_int_lt (og_policy_check_files (f.p, &f.err), 0);
  ck_assert_ptr_nonnull (strstr (f.err.msg, "/nonexistent/seccomp.json"));
  og_error_clear (&f.err);
  free (f.p->seccomp.default_profile);
  f.p->seccomp.default_profile = NULL;
  ck_assert_int_eq (og_policy_check_files (f.p, &f.err), 0);
  fx_free (&f);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("enforce_flags");
  TCase *e = tcase_create ("exec"), *r = tcase_create ("restore"), *o = tcase_create ("other");

  tcase_add_test (e, exec_env_by_action);
  tcase_add_test (e, exec_env_private_key_and_audit_mode);
  tcase_add_test (e, exec_fields_refusal_stops_before_privileges);
  tcase_add_test (e, exec_user_run_as_non_root);
  tcase_add_test (e, exec_ids_refused_outright);
  tcase_add_test (e, exec_ids_accepted);
  tcase_add_test (e, exec_cgroup);
  tcase_add_test (e, exec_first_refused_value_reported);
  tcase_add_test (e, exec_apparmor);
  tcase_add_test (e, exec_cap_by_action);
  tcase_add_test (e, exec_no_new_privs);
  tcase_add_test (e, exec_appends_to_decisions);
  tcase_add_test (r, restore_not_allowed);
  tcase_add_test (r, restore_options);
  tcase_add_test (r, restore_several_and_last_profile);
  tcase_add_test (r, restore_apparmor_profile);
  tcase_add_test (o, update_entry_point);
  tcase_add_test (o, policy_check_files);
  suite_add_tcase (s, e);
  suite_add_tcase (s, r);
  suite_add_tcase (s, o);
  return th_run (s);
}
