/* SPDX-License-Identifier: Apache-2.0 */
/* mounts.readonly_binds on the engine fixtures, and the BuildKit engine
 * facts (a build step's config, its bundle and runc root). */
#include <config.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "ocigate/facts.h"
#include "ocigate/util.h"

#define DOCKER28_ID "c33bc39e3328bc0909abadf867de0e0431d98fefbb2c2cc7cc1557aa6548396b"
#define PODMAN58_ID "afd276a701893bcb83cbbd304af6e7d42068dbc839b090b173e2c0a1a7c3bfc1"

struct fx
{
  struct og_policy *p;
  struct og_json *spec;
  struct og_decisions d;
};

/* The profile with readonly_binds as given, on a sandboxed fixture (the
 * "except" patterns moved under the sandbox like allow_sources). */
static void
fx_load (struct fx *f, const char *fixture, enum og_action action, const char *extra_except)
{
  size_t n;

  memset (f, 0, sizeof *f);
  f->p = th_profile ("default.json");
  f->spec = th_fixture (fixture);
  f->p->mounts.readonly_binds = true;
  f->p->mounts.readonly_binds_action = action;
  if (extra_except)
    th_strv_add (&f->p->mounts.readonly_binds_except, extra_except);
  th_sandbox (f->spec, f->p);
  n = og_strv_len (f->p->mounts.readonly_binds_except);
  for (size_t i = 0; i < n; i++)
    {
      og_cleanup_free char *pat = og_xasprintf ("%s%s", th_tmpdir (), f->p->mounts.readonly_binds_except[i]);
      th_strv_add (&f->p->mounts.readonly_binds_except, pat);
    }
}

static void
fx_free (struct fx *f)
{
  og_decisions_clear (&f->d);
  og_json_free (f->spec);
  og_policy_free (f->p);
  th_cleanup ();
}

static const struct og_json *
mount_at (const struct og_json *spec, const char *dest)
{
  const struct og_json *mounts = og_json_get (spec, "mounts");

  for (size_t i = 0; i < mounts->n; i++)
    if (strcmp (og_json_get (mounts->vals[i], "destination")->text, dest) == 0)
      return mounts->vals[i];
  ck_abort_msg ("no mount at %s", dest);
  return NULL;
}

static bool
has_opt (const struct og_json *spec, const char *dest, const char *opt)
{
  return og_json_array_has_string (og_json_get (mount_at (spec, dest), "options"), opt);
}

/* The decision about readonly_binds on some mount, or NULL. */
static const struct og_decision *
ro_decision (const struct og_decisions *d, enum og_decision_kind kind)
{
  for (size_t i = 0; i < d->n; i++)
    if (d->v[i].kind == kind && strcmp (d->v[i].rule, "mounts") == 0
        && (strstr (d->v[i].reason, "mounts.readonly_binds") != NULL))
      return &d->v[i];
  return NULL;
}

START_TEST (docker_volume_made_readonly)
{
  struct fx f;
  const struct og_decision *dec;

  fx_load (&f, "docker-28.5/volume-tmpfs.config.json", OG_ACTION_ENFORCE, NULL);
  th_enforce (f.p, f.spec, DOCKER28_ID, &f.d);
  ck_assert_msg (!og_decisions_refused (&f.d), "refused: %s", og_decisions_first_refusal (&f.d)->reason);
  ck_assert (has_opt (f.spec, "/data", "ro"));
  /* the engine's own files of this container stay writable */
  ck_assert (!has_opt (f.spec, "/etc/hosts", "ro"));
  ck_assert (!has_opt (f.spec, "/etc/resolv.conf", "ro"));
  ck_assert (!has_opt (f.spec, "/etc/hostname", "ro"));
  dec = ro_decision (&f.d, OG_DECISION_MUTATE);
  ck_assert_ptr_nonnull (dec);
  ck_assert_ptr_nonnull (strstr (dec->reason, "/var/lib/docker/volumes/vol1/_data made read-only"));
  ck_assert_ptr_nonnull (strstr (dec->after, "\"ro\""));
  fx_free (&f);
}
END_TEST

START_TEST (docker_listed_volume_stays_writable)
{
  struct fx f;

  fx_load (&f, "docker-28.5/volume-tmpfs.config.json", OG_ACTION_ENFORCE, "/var/lib/docker/volumes/vol1/_data");
  th_enforce (f.p, f.spec, DOCKER28_ID, &f.d);
  ck_assert (!og_decisions_refused (&f.d));
  ck_assert (!has_opt (f.spec, "/data", "ro"));
  ck_assert_ptr_null (ro_decision (&f.d, OG_DECISION_MUTATE));
  fx_free (&f);
}
END_TEST

START_TEST (docker_audit_records_only)
{
  struct fx f;
  const struct og_decision *dec;

  fx_load (&f, "docker-28.5/volume-tmpfs.config.json", OG_ACTION_AUDIT, NULL);
  th_enforce (f.p, f.spec, DOCKER28_ID, &f.d);
  ck_assert (!og_decisions_refused (&f.d));
  ck_assert (!has_opt (f.spec, "/data", "ro"));
  dec = ro_decision (&f.d, OG_DECISION_AUDIT);
  ck_assert_ptr_nonnull (dec);
  ck_assert_ptr_nonnull (strstr (dec->reason, "vol1/_data"));
  ck_assert_ptr_null (ro_decision (&f.d, OG_DECISION_MUTATE));
  fx_free (&f);
}
END_TEST

START_TEST (docker_deny_refuses_with_message)
{
  struct fx f;
  const struct og_decision *dec;

  fx_load (&f, "docker-28.5/volume-tmpfs.config.json", OG_ACTION_DENY, NULL);
  th_enforce (f.p, f.spec, DOCKER28_ID, &f.d);
  ck_assert (og_decisions_refused (&f.d));
  dec = og_decisions_first_refusal (&f.d);
  ck_assert_msg (strstr (dec->reason, "vol1/_data is writable; mounts.readonly_binds allows writable binds only")
                     != NULL,
                 "%s", dec->reason);
  fx_free (&f);
}
END_TEST

/* "rw" and "rrw" would undo "ro": removed, whatever the engine sent. */
START_TEST (rw_removed)
{
  struct fx f;
  struct og_json *opts;

  fx_load (&f, "docker-28.5/volume-tmpfs.config.json", OG_ACTION_ENFORCE, NULL);
  opts = og_json_get ((struct og_json *)mount_at (f.spec, "/data"), "options");
  og_json_append (opts, og_json_new_string ("rw"));
  og_json_append (opts, og_json_new_string ("rrw"));
  th_enforce (f.p, f.spec, DOCKER28_ID, &f.d);
  ck_assert (has_opt (f.spec, "/data", "ro"));
  ck_assert (!has_opt (f.spec, "/data", "rw"));
  ck_assert (!has_opt (f.spec, "/data", "rrw"));
  fx_free (&f);
}
END_TEST

START_TEST (podman_volume_made_readonly)
{
  struct fx f;

  fx_load (&f, "podman-5.8/volume.config.json", OG_ACTION_ENFORCE, NULL);
  th_enforce (f.p, f.spec, PODMAN58_ID, &f.d);
  ck_assert_msg (!og_decisions_refused (&f.d), "refused: %s", og_decisions_first_refusal (&f.d)->reason);
  ck_assert (has_opt (f.spec, "/data", "ro"));
  /* /dev/shm (a database's shared memory), hosts, hostname, .containerenv */
  ck_assert (!has_opt (f.spec, "/dev/shm", "ro"));
  ck_assert (!has_opt (f.spec, "/etc/hosts", "ro"));
  ck_assert (!has_opt (f.spec, "/etc/hostname", "ro"));
  ck_assert (!has_opt (f.spec, "/run/.containerenv", "ro"));
  fx_free (&f);
}
END_TEST

/* The default profile with `key` of the object at `section` (NULL: the
 * top level) set to the JSON `value`, loaded. */
static int
load_with (const char *section, const char *key, const char *value, struct og_policy **p, struct og_error *err)
{
  const struct og_json_opts opts = { .allow_comments = true };
  og_cleanup_free char *path = og_xasprintf ("%s/default.json", PROFILES);
  og_cleanup_free char *buf = NULL, *text = NULL;
  og_cleanup_json struct og_json *root = NULL;
  struct og_json *v = NULL;
  size_t len;

  buf = th_read_file (path, &len);
  ck_assert_int_eq (og_json_parse (buf, len, &opts, &root, err), 0);
  ck_assert_int_eq (og_json_parse (value, strlen (value), &opts, &v, err), 0);
  og_json_set (section ? og_json_get (root, section) : root, key, v);
  text = og_json_to_text (root);
  return og_policy_parse (text, strlen (text), "t.json", p, err);
}

START_TEST (loader)
{
  static const struct
  {
    const char *mounts;
    const char *error; /* NULL: loads */
  } cases[] = {
    { "{}", NULL },
    { "{\"action\":\"deny\",\"except\":[\"/srv/*\"]}", NULL },
    { "true", "mounts.readonly_binds: must be an object" },
    { "{\"action\":\"off\"}", "\"action\" must be \"enforce\", \"deny\" or \"audit\"" },
    { "{\"except\":[\"srv\"]}", "\"except\"[0] must be a non-empty absolute path" },
    { "{\"except\":\"/srv\"}", "\"except\" must be an array of strings" },
    { "{\"exept\":[]}", "mounts.readonly_binds: unknown key \"exept\"" },
  };

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      og_cleanup_policy struct og_policy *p = NULL;
      struct og_error err = { 0 };
      int rc = load_with ("mounts", "readonly_binds", cases[i].mounts, &p, &err);

      if (cases[i].error == NULL)
        {
          ck_assert_msg (rc == 0, "%s: %s", cases[i].mounts, err.msg);
          ck_assert (p->mounts.readonly_binds);
        }
      else
        {
          ck_assert_msg (rc < 0 && strstr (err.msg, cases[i].error), "%s: %s", cases[i].mounts,
                         err.msg ? err.msg : "loaded");
          og_error_clear (&err);
        }
    }
}
END_TEST

/* The shipped profiles load with the key, and the compiled image carries it. */
START_TEST (profiles_and_image)
{
  static const char *const profiles[] = { "default.json", "baseline.json", "restricted.json" };

  for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++)
    {
      og_cleanup_policy struct og_policy *p = th_profile (profiles[i]), *q = NULL;
      og_cleanup_free char *img = NULL;
      struct og_error err = { 0 };
      size_t len;

      ck_assert_int_eq (og_policy_image_write (p, &img, &len), 0);
      ck_assert_msg (og_policy_image_read (img, len, &q, &err) == 0, "%s", err.msg);
      ck_assert (q->mounts.readonly_binds == p->mounts.readonly_binds);
      ck_assert (q->mounts.readonly_binds_action == p->mounts.readonly_binds_action);
      ck_assert_uint_eq (og_strv_len (q->mounts.readonly_binds_except), og_strv_len (p->mounts.readonly_binds_except));
      ck_assert ((q->buildkit.executor_dir == NULL) == (p->buildkit.executor_dir == NULL));
    }
}
END_TEST

/* ---- BuildKit's build steps ------------------------------------------- */

#define BK_ID "jva2jvut9qu7p9olpqa7kfnly"
#define BK_DIR "/var/lib/docker/buildkit/executor"

static struct og_policy *
bk_policy (void)
{
  struct og_policy *p = th_profile ("default.json");

  free (p->buildkit.executor_dir);
  free (p->buildkit.runc_root);
  p->buildkit.executor_dir = og_xstrdup (BK_DIR);
  p->buildkit.runc_root = og_xstrdup ("/run/runc");
  return p;
}

START_TEST (buildkit_facts)
{
  static const struct
  {
    const char *bundle, *root, *id;
    bool buildkit;
  } cases[] = {
    { BK_DIR "/" BK_ID, "/run/runc", BK_ID, true },
    /* another runc root: not BuildKit's call */
    { BK_DIR "/" BK_ID, "/run/docker/runtime-runc/moby", BK_ID, false },
    /* a bundle elsewhere, deeper, or named for another id */
    { "/run/containerd/io.containerd.runtime.v2.task/moby/" BK_ID, "/run/runc", BK_ID, false },
    { BK_DIR "/x/" BK_ID, "/run/runc", BK_ID, false },
    { BK_DIR "/" BK_ID, "/run/runc", "other", false },
    { BK_DIR "/..", "/run/runc", "..", false },
    { BK_DIR "x/" BK_ID, "/run/runc", BK_ID, false },
  };
  og_cleanup_policy struct og_policy *p = bk_policy ();
  og_cleanup_json struct og_json *spec = th_fixture ("docker-20.10/buildkit-run.config.json");

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      struct og_engine_facts f;

      og_engine_facts_read (p, cases[i].bundle, cases[i].root, cases[i].id, spec, &f);
      ck_assert_msg (f.buildkit == cases[i].buildkit, "case %zu", i);
      ck_assert (!f.cri);
      og_engine_facts_clear (&f);
    }
}
END_TEST

START_TEST (buildkit_placeholder)
{
  og_cleanup_policy struct og_policy *p = bk_policy ();
  og_cleanup_json struct og_json *spec = th_fixture ("docker-20.10/buildkit-run.config.json");
  struct og_engine_facts f;
  og_cleanup_free char *none = NULL, *some = NULL;

  og_engine_facts_read (p, "/elsewhere/" BK_ID, "/run/runc", BK_ID, spec, &f);
  none = og_pattern_expand (BK_DIR "/{id}/rootfs{buildkit}", BK_ID, &f);
  ck_assert_ptr_null (none);
  og_engine_facts_clear (&f);
  og_engine_facts_read (p, BK_DIR "/" BK_ID, "/run/runc", BK_ID, spec, &f);
  some = og_pattern_expand (BK_DIR "/{id}/rootfs{buildkit}", BK_ID, &f);
  ck_assert_str_eq (some, BK_DIR "/" BK_ID "/rootfs");
  og_engine_facts_clear (&f);
}
END_TEST

/* A build step keeps its writable root (no tmpfs either: what it writes
 * to /tmp is part of the layer) and gets every other rule. */
START_TEST (buildkit_build_profile)
{
  og_cleanup_policy struct og_policy *p = bk_policy ();
  og_cleanup_json struct og_json *spec = th_fixture ("docker-20.10/buildkit-run.config.json");
  struct og_engine_facts f;
  struct og_decisions d = { 0 };
  struct og_error err = { 0 };
  struct og_enforce_ctx ctx = { .policy = p, .container_id = BK_ID, .facts = &f };
  og_cleanup_free char *dir = NULL, *bundle = NULL;

  /* BuildKit's files where the fixture has them, under the sandbox */
  th_sandbox (spec, p);
  dir = og_xasprintf ("%s%s", th_tmpdir (), BK_DIR);
  bundle = og_xasprintf ("%s/%s", dir, BK_ID);
  free (p->buildkit.executor_dir);
  p->buildkit.executor_dir = og_xstrdup (dir);
  ctx.bundle = bundle;
  og_engine_facts_read (p, bundle, "/run/runc", BK_ID, spec, &f);
  ck_assert (f.buildkit);
  ck_assert_msg (og_enforce_config (&ctx, spec, &d, &err) == 0, "%s", err.msg);
  ck_assert_msg (!og_decisions_refused (&d), "refused: %s", og_decisions_first_refusal (&d)->reason);
  ck_assert (!og_json_is_true (og_json_path (spec, "root", "readonly", NULL)));
  ck_assert_ptr_null (th_find (&d, "rootfs", OG_DECISION_MUTATE, NULL));
  ck_assert (og_json_is_true (og_json_path (spec, "process", "noNewPrivileges", NULL)));
  ck_assert (th_caps_within (spec, p));
  og_decisions_clear (&d);
  og_engine_facts_clear (&f);
  th_cleanup ();
}
END_TEST

/* Without the facts (another bundle) the same config gets the read-only
 * root, and its root in the engine's storage is refused. */
START_TEST (buildkit_without_facts)
{
  og_cleanup_policy struct og_policy *p = bk_policy ();
  og_cleanup_json struct og_json *spec = th_fixture ("docker-20.10/buildkit-run.config.json");
  struct og_engine_facts f;
  struct og_decisions d = { 0 };
  struct og_error err = { 0 };
  struct og_enforce_ctx ctx = { .policy = p, .container_id = BK_ID, .facts = &f };

  th_sandbox (spec, p);
  ctx.bundle = th_tmpdir ();
  og_engine_facts_read (p, th_tmpdir (), "/run/runc", BK_ID, spec, &f);
  ck_assert (!f.buildkit);
  ck_assert_msg (og_enforce_config (&ctx, spec, &d, &err) == 0, "%s", err.msg);
  ck_assert (og_decisions_refused (&d));
  ck_assert_ptr_nonnull (strstr (og_decisions_first_refusal (&d)->reason, "exposes the sensitive host tree"));
  og_decisions_clear (&d);
  og_engine_facts_clear (&f);
  th_cleanup ();
}
END_TEST

START_TEST (buildkit_loader)
{
  static const struct
  {
    const char *value;
    const char *error;
  } cases[] = {
    { "{\"executor_dir\":\"/var/lib/docker/buildkit/executor\",\"runc_root\":\"/run/runc\"}", NULL },
    { "{\"executor_dir\":\"/var/lib/docker/buildkit/executor\"}", "buildkit: missing \"runc_root\"" },
    { "{\"executor_dir\":\"/var/lib/*/executor\",\"runc_root\":\"/run/runc\"}", "or pattern characters" },
    { "{\"executor_dir\":\"/var/lib/../executor\",\"runc_root\":\"/run/runc\"}", "without . or .. components" },
    { "{\"executor_dir\":\"/x\",\"runc_root\":\"/run/runc\",\"root\":1}", "buildkit: unknown key \"root\"" },
    { "[]", "buildkit: must be an object" },
  };

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      og_cleanup_policy struct og_policy *p = NULL;
      struct og_error err = { 0 };
      int rc = load_with (NULL, "buildkit", cases[i].value, &p, &err);

      if (cases[i].error == NULL)
        ck_assert_msg (rc == 0, "%s: %s", cases[i].value, err.msg);
      else
        {
          ck_assert_msg (rc < 0 && strstr (err.msg, cases[i].error), "%s: %s", cases[i].value,
                         err.msg ? err.msg : "loaded");
          og_error_clear (&err);
        }
    }
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("readonly_binds");
  TCase *tc = tcase_create ("readonly_binds");

  tcase_add_test (tc, docker_volume_made_readonly);
  tcase_add_test (tc, docker_listed_volume_stays_writable);
  tcase_add_test (tc, docker_audit_records_only);
  tcase_add_test (tc, docker_deny_refuses_with_message);
  tcase_add_test (tc, rw_removed);
  tcase_add_test (tc, podman_volume_made_readonly);
  tcase_add_test (tc, loader);
  tcase_add_test (tc, profiles_and_image);
  suite_add_tcase (s, tc);
  tc = tcase_create ("buildkit");
  tcase_add_test (tc, buildkit_facts);
  tcase_add_test (tc, buildkit_placeholder);
  tcase_add_test (tc, buildkit_build_profile);
  tcase_add_test (tc, buildkit_without_facts);
  tcase_add_test (tc, buildkit_loader);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return th_run (suite ());
}
