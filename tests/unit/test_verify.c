/* SPDX-License-Identifier: Apache-2.0 */
/* ocigate-hook's verification: the parsers of what /proc says (status,
 * stat, id maps, mountinfo, cgroup) on fixture text, the checks that judge
 * them, and the rule that puts the hook and its expectations in a config. */
#include <config.h>
#include <check.h>

#include "helpers.h"
#include <stdlib.h>
#include <string.h>

#include "ocigate/util.h"
#include "verify.h"

/* A poststart /proc/<pid>/status of runc 1.1.5's init (default policy). */
static const char status_fixture[] = "Name:\trunc:[2:INIT]\n"
                                     "State:\tS (sleeping)\n"
                                     "PPid:\t8050\n"
                                     "CapInh:\t0000000000000000\n"
                                     "CapPrm:\t00000000000405fb\n"
                                     "CapEff:\t00000000000405fb\n"
                                     "CapBnd:\t00000000000405fb\n"
                                     "CapAmb:\t0000000000000000\n"
                                     "NoNewPrivs:\t1\n"
                                     "Seccomp:\t2\n"
                                     "Seccomp_filters:\t1\n";

static const char default_caps[] = "CAP_CHOWN,CAP_DAC_OVERRIDE,CAP_FOWNER,CAP_FSETID,CAP_KILL,CAP_SETGID,CAP_SETUID,"
                                   "CAP_SETPCAP,CAP_NET_BIND_SERVICE,CAP_SYS_CHROOT";

static void
expect_caps (struct verify_expect *e, const char *bnd, const char *eff, const char *inh)
{
  struct og_error err = { 0 };
  e->has_caps = true;
  ck_assert_int_eq (verify_cap_mask (bnd, &e->caps[VERIFY_CAP_BND], &err), 0);
  ck_assert_int_eq (verify_cap_mask (eff, &e->caps[VERIFY_CAP_EFF], &err), 0);
  ck_assert_int_eq (verify_cap_mask (eff, &e->caps[VERIFY_CAP_PRM], &err), 0);
  ck_assert_int_eq (verify_cap_mask (inh, &e->caps[VERIFY_CAP_INH], &err), 0);
  e->caps[VERIFY_CAP_AMB] = 0;
}

START_TEST (status_values)
{
  uint64_t v;

  ck_assert_int_eq (verify_status_value (status_fixture, "CapBnd", 16, &v), 0);
  ck_assert_uint_eq (v, 0x405fb);
  ck_assert_int_eq (verify_status_value (status_fixture, "NoNewPrivs", 10, &v), 0);
  ck_assert_uint_eq (v, 1);
  ck_assert_int_eq (verify_status_value (status_fixture, "Seccomp", 10, &v), 0);
  ck_assert_uint_eq (v, 2);
  /* a prefix of another key is not that key */
  ck_assert_int_eq (verify_status_value ("Seccomp_filters:\t1\n", "Seccomp", 10, &v), -1);
  ck_assert_int_eq (verify_status_value (status_fixture, "CapXyz", 16, &v), -1);
  ck_assert_int_eq (verify_status_value ("CapEff:\tzz\n", "CapEff", 16, &v), -1);
}
END_TEST

START_TEST (cap_names)
{
  struct og_error err = { 0 };
  uint64_t m;

  ck_assert_int_eq (verify_cap_mask (default_caps, &m, &err), 0);
  ck_assert_uint_eq (m, 0x405fb);
  ck_assert_int_eq (verify_cap_mask ("", &m, &err), 0);
  ck_assert_uint_eq (m, 0);
  ck_assert_int_eq (verify_cap_mask ("CAP_CHOWN,CAP_NOPE", &m, &err), -1);
  ck_assert_str_eq (err.msg, "unknown capability CAP_NOPE");
  og_error_clear (&err);
}
END_TEST

START_TEST (status_matches_config)
{
  struct verify_expect e = { .nnp = true, .seccomp = true };
  struct verify_result r = { 0 };

  expect_caps (&e, default_caps, default_caps, "");
  verify_check_status (&e, status_fixture, &r);
  ck_assert_msg (r.n == 0, "%s", r.reasons.buf);
}
END_TEST

START_TEST (status_extra_capability)
{
  struct verify_expect e = { .nnp = true, .seccomp = true };
  struct verify_result r = { 0 };
  og_cleanup_free char *status = og_xstrdup (status_fixture);

  /* CAP_SYS_ADMIN (21) in the bounding set only */
  memcpy (strstr (status, "CapBnd:\t") + 8, "00000000002405fb", 16);
  expect_caps (&e, default_caps, default_caps, "");
  verify_check_status (&e, status, &r);
  ck_assert_uint_eq (r.n, 1);
  ck_assert_str_eq (r.reasons.buf, "CapBnd holds CAP_SYS_ADMIN, which the config does not grant");
  free (r.reasons.buf);
}
END_TEST

/* A root process that executes a program gets inheritable | bounding in
 * its permitted and effective sets: not a mismatch. */
START_TEST (status_root_exec_gains)
{
  struct verify_expect e = { 0 };
  struct verify_result r = { 0 };

  expect_caps (&e, default_caps, "CAP_CHOWN", "");
  verify_check_status (&e, status_fixture, &r);
  ck_assert_msg (r.n == 0, "%s", r.reasons.buf);
}
END_TEST

START_TEST (status_nnp_and_seccomp)
{
  static const char bare[] = "NoNewPrivs:\t0\nSeccomp:\t0\n";
  struct verify_expect e = { .nnp = true, .seccomp = true };
  struct verify_result r = { 0 };

  verify_check_status (&e, bare, &r);
  ck_assert_uint_eq (r.n, 2);
  ck_assert_str_eq (r.reasons.buf, "NoNewPrivs is not 1 (the config sets noNewPrivileges); Seccomp is not 2 (the "
                                   "config gives a seccomp filter)");
  free (r.reasons.buf);
}
END_TEST

START_TEST (stat_start_time)
{
  uint64_t t;

  ck_assert_int_eq (verify_stat_starttime ("8066 (runc:[2:INIT]) S 8050 8066 8050 0 -1 4194560 1072 0 0 0 2 1 0 0 "
                                           "20 0 6 0 123456 1234 56\n",
                                           &t),
                    0);
  ck_assert_uint_eq (t, 123456);
  /* a comm that imitates the fields after it */
  ck_assert_int_eq (verify_stat_starttime ("9 (a) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 99) S 1 1 1 0 -1 0 "
                                           "0 0 0 0 0 0 0 0 20 0 1 0 777 0 0\n",
                                           &t),
                    0);
  ck_assert_uint_eq (t, 777);
  ck_assert_int_eq (verify_stat_starttime ("1 (short) S 0 1\n", &t), -1);
  ck_assert_int_eq (verify_stat_starttime ("no parens", &t), -1);
}
END_TEST

START_TEST (idmaps)
{
  struct verify_idmaps want = { 0 };
  struct verify_idmap one;
  struct verify_result r = { 0 };
  struct og_error err = { 0 };

  ck_assert_int_eq (verify_idmap_parse_arg ("0:1000000:65536", &one), 0);
  ck_assert_int_eq (verify_idmap_parse_arg ("0:1000000", &one), -1);
  ck_assert_int_eq (verify_idmap_parse_arg ("0:1000000:0", &one), -1);
  ck_assert_int_eq (verify_idmap_parse_arg ("0:1:2x", &one), -1);
  ck_assert_int_eq (verify_idmap_parse ("         0    1000000      65536\n", &want, &err), 0);
  ck_assert_uint_eq (want.n, 1);
  ck_assert_int_eq (want.v[0].outside, 1000000);
  verify_check_idmap ("uid_map", &want, "         0    1000000      65536\n", &r);
  ck_assert_uint_eq (r.n, 0);
  /* host root mapped too: one line more than the config */
  verify_check_idmap ("uid_map", &want, "         0    1000000      65536\n     65536          0          1\n", &r);
  ck_assert_uint_eq (r.n, 1);
  ck_assert_str_eq (r.reasons.buf, "uid_map maps 65536 0 1, which the config does not");
  free (r.reasons.buf);
  memset (&r, 0, sizeof r);
  /* no user namespace at all: the identity map of the host */
  verify_check_idmap ("uid_map", &want, "         0          0 4294967295\n", &r);
  ck_assert_uint_eq (r.n, 2);
  free (r.reasons.buf);
  free (want.v);
  ck_assert_int_eq (verify_idmap_parse ("0 0\n", &want, &err), -1);
  og_error_clear (&err);
  free (want.v);
}
END_TEST

/* runc 1.1.5's container after pivot_root (poststart), read-only root. */
static const char mountinfo_fixture[]
    = "68 46 254:0 /tmp/vx/rootfs / ro,relatime - ext4 /dev/vda rw\n"
      "69 68 0:41 / /proc rw,relatime - proc proc rw\n"
      "70 68 0:42 / /dev rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755\n"
      "74 68 0:45 / /sys ro,nosuid,nodev,noexec,relatime - sysfs sysfs ro\n"
      "80 68 254:0 /srv/my\\040data /data\\040dir rw,nosuid,nodev - ext4 /dev/vda rw\n";

START_TEST (mountinfo_matching)
{
  og_cleanup_free char *root = verify_mountinfo_options (mountinfo_fixture, "/");
  og_cleanup_free char *data = verify_mountinfo_options (mountinfo_fixture, "/data dir");
  og_cleanup_free char *over = NULL;
  og_cleanup_free char *text = NULL;

  ck_assert_str_eq (root, "ro,relatime");
  ck_assert (verify_has_option (root, "ro"));
  ck_assert (!verify_has_option ("rw,relatime", "ro"));
  ck_assert (!verify_has_option ("rootcontext=x", "ro"));
  ck_assert_str_eq (data, "rw,nosuid,nodev");
  ck_assert_ptr_null (verify_mountinfo_options (mountinfo_fixture, "/nothing"));
  /* a writable mount over the read-only root is what the container sees */
  text = og_xasprintf ("%s90 68 0:50 / / rw,relatime - tmpfs tmpfs rw\n", mountinfo_fixture);
  over = verify_mountinfo_options (text, "/");
  ck_assert_str_eq (over, "rw,relatime");
}
END_TEST

START_TEST (cgroup_paths)
{
  static const char v1[] = "9:name=systemd:/x\n8:pids:/ocigate-test-a\n4:memory:/ocigate-test-a\n"
                           "2:cpu,cpuacct:/ocigate-test-a\n0::/ocigate-test-a\n";
  static const char v2[] = "0::/system.slice/c1\n";
  og_cleanup_free char *mem = verify_cgroup_path (v1, "memory");
  og_cleanup_free char *cpu = verify_cgroup_path (v1, "cpu");
  og_cleanup_free char *uni = verify_cgroup_path (v2, "");

  ck_assert_str_eq (mem, "/sys/fs/cgroup/memory/ocigate-test-a");
  ck_assert_str_eq (cpu, "/sys/fs/cgroup/cpu,cpuacct/ocigate-test-a");
  ck_assert_str_eq (uni, "/sys/fs/cgroup/system.slice/c1");
  ck_assert_ptr_null (verify_cgroup_path (v2, "memory"));
  ck_assert_ptr_null (verify_cgroup_path ("4:memory:/a/../../etc\n", "memory"));
}
END_TEST

/* A writable copy of a string list, as main's argv is (og_strv_free). */
static char **
argv_of (const char *const *v, int *argc)
{
  char **out;

  for (*argc = 0; v[*argc]; (*argc)++)
    ;
  out = og_xcalloc ((size_t)*argc + 1, sizeof *out);
  for (int i = 0; i < *argc; i++)
    out[i] = og_xstrdup (v[i]);
  return out;
}

START_TEST (args)
{
  static const char *const good[]
      = { "poststart",          "--mode=enforce",           "--audit-log=/a.log", "--id=c1", "--nnp", "--readonly-root",
          "--cap-bnd=CAP_KILL", "--uid-map=0:100000:65536", "--cpu=50000:100000", NULL };
  static const char *const bad[] = { "poststart", "--mode=enforce", "--frobnicate", NULL };
  struct verify_expect e = { 0 }, b = { 0 };
  struct og_error err = { 0 };
  int n, nb;
  og_cleanup_strv char **argv = argv_of (good, &n);
  og_cleanup_strv char **bargv = argv_of (bad, &nb);

  ck_assert_int_eq (verify_args_parse (n, argv, &e, &err), 0);
  ck_assert (e.enforce && e.nnp && e.readonly_root && !e.seccomp && e.has_caps && e.has_uid_map);
  ck_assert_str_eq (e.id, "c1");
  ck_assert_uint_eq (e.caps[VERIFY_CAP_BND], 1u << 5);
  ck_assert_int_eq (e.cpu_quota, 50000);
  ck_assert_int_eq (e.uid_map.v[0].outside, 100000);
  verify_expect_free (&e);
  ck_assert_int_eq (verify_args_parse (nb, bargv, &b, &err), -1);
  ck_assert_ptr_nonnull (strstr (err.msg, "unknown argument --frobnicate"));
  og_error_clear (&err);
  verify_expect_free (&b);
}
END_TEST

/* The rule: after enforcement the config carries ocigate-hook at both
 * stages with what the rewritten config says; ocigatectl check shows it. */
START_TEST (rule_inserts_hooks)
{
  struct og_policy *p = th_profile ("default.json");
  struct og_json *spec = th_fixture ("docker-20.10/default.config.json");
  struct og_decisions d = { 0 };
  struct og_json *cr, *ps;
  og_cleanup_free char *crt = NULL, *pst = NULL;

  th_sandbox (spec, p);
  p->verify.mode = OG_VERIFY_ENFORCE;
  p->verify.hook = og_xstrdup ("/bin/true");
  th_strv_add (&p->hooks.allow, "/usr/bin/dockerd-not-there");
  th_enforce (p, spec, "959f8979778f1bb6fbd642b5767d5ffe9d72a6a31d1fe2f5a214512373880122", &d);
  ck_assert_msg (!og_decisions_refused (&d), "refused: %s", og_decisions_first_refusal (&d)->reason);
  ck_assert_ptr_nonnull (th_find (&d, "verify", OG_DECISION_MUTATE, "hooks.createRuntime"));
  ck_assert_ptr_nonnull (th_find (&d, "verify", OG_DECISION_MUTATE, "hooks.poststart"));
  cr = og_json_path (spec, "hooks", "createRuntime", NULL);
  ps = og_json_path (spec, "hooks", "poststart", NULL);
  ck_assert (cr && cr->n >= 1 && ps && ps->n == 1);
  crt = og_json_to_text (cr->vals[cr->n - 1]);
  pst = og_json_to_text (ps->vals[0]);
  ck_assert_msg (strstr (crt, "\"path\":\"/bin/true\",\"args\":[\"ocigate-hook\",\"createRuntime\",\"--mode=enforce\"")
                     != NULL,
                 "%s", crt);
  ck_assert_msg (strstr (crt, "\"--new-ns=net\"") && strstr (crt, "\"--memory="), "%s", crt);
  ck_assert_msg (strstr (pst, "\"--readonly-root\",\"--nnp\",\"--seccomp\",\"--cap-bnd=CAP_CHOWN,"), "%s", pst);
  /* Docker's network hook may move interfaces in first: no only-lo check */
  if (og_json_path (spec, "hooks", "prestart", NULL))
    ck_assert_msg (strstr (crt, "--net-only-lo") == NULL, "%s", crt);
  og_decisions_clear (&d);
  og_json_free (spec);
  og_policy_free (p);
  th_cleanup ();
}
END_TEST

#define DOCKER_ID "959f8979778f1bb6fbd642b5767d5ffe9d72a6a31d1fe2f5a214512373880122"

static size_t
own_hooks (const struct og_json *spec, const char *stage)
{
  struct og_json *l = og_json_path (spec, "hooks", stage, NULL);
  size_t n = 0;

  for (size_t i = 0; l && i < l->n; i++)
    {
      struct og_json *a = og_json_get (l->vals[i], "args");
      n += a && a->n > 1 && strcmp (a->vals[0]->text, "ocigate-hook") == 0;
    }
  return n;
}

/* A config enforced before (ocigatectl check of a rewritten config, a
 * restore) carries ocigate's hooks: the hooks rule accepts them and the
 * verify rule replaces them.  The same file in another role is refused. */
START_TEST (rule_own_hook_again)
{
  struct og_policy *p = th_profile ("default.json");
  struct og_json *spec = th_fixture ("docker-20.10/default.config.json");
  struct og_decisions d = { 0 };
  struct og_json *bad;
  const struct og_decision *dec;

  th_sandbox (spec, p);
  p->verify.mode = OG_VERIFY_ENFORCE;
  p->verify.hook = og_xstrdup ("/bin/true");
  th_enforce (p, spec, DOCKER_ID, &d);
  ck_assert_msg (!og_decisions_refused (&d), "refused: %s", og_decisions_first_refusal (&d)->reason);
  og_decisions_clear (&d);
  th_enforce (p, spec, DOCKER_ID, &d);
  ck_assert_msg (!og_decisions_refused (&d), "refused: %s", og_decisions_first_refusal (&d)->reason);
  ck_assert_uint_eq (own_hooks (spec, "createRuntime"), 1);
  ck_assert_uint_eq (own_hooks (spec, "poststart"), 1);
  og_decisions_clear (&d);
  /* argv "ocigate-hook precreate" as a prestart hook is not ours */
  bad = og_json_new (OG_JSON_OBJECT);
  og_json_set (bad, "path", og_json_new_string ("/bin/true"));
  og_json_set (bad, "args", og_json_new (OG_JSON_ARRAY));
  og_json_append (og_json_get (bad, "args"), og_json_new_string ("ocigate-hook"));
  og_json_append (og_json_get (bad, "args"), og_json_new_string ("precreate"));
  og_json_set (og_json_get (spec, "hooks"), "prestart", og_json_new (OG_JSON_ARRAY));
  og_json_append (og_json_path (spec, "hooks", "prestart", NULL), bad);
  th_enforce (p, spec, DOCKER_ID, &d);
  dec = th_find (&d, "hooks", OG_DECISION_REFUSE, "hooks.prestart[0]");
  ck_assert_ptr_nonnull (dec);
  ck_assert_ptr_nonnull (strstr (dec->reason, "is not on the hook allowlist"));
  og_decisions_clear (&d);
  og_json_free (spec);
  og_policy_free (p);
  th_cleanup ();
}
END_TEST

START_TEST (rule_missing_hook)
{
  struct og_policy *p = th_profile ("default.json");
  struct og_json *spec = th_fixture ("docker-20.10/hardened.config.json");
  struct og_decisions d = { 0 };
  const struct og_decision *dec;

  th_sandbox (spec, p);
  p->verify.mode = OG_VERIFY_ENFORCE;
  p->verify.hook = og_xstrdup ("/nonexistent/ocigate-hook");
  th_enforce (p, spec, "c1", &d);
  dec = th_find (&d, "verify", OG_DECISION_REFUSE, "hooks");
  ck_assert_ptr_nonnull (dec);
  ck_assert_str_eq (dec->reason, "ocigate-hook /nonexistent/ocigate-hook cannot be run (No such file or "
                                 "directory): install it or set verify.hook");
  og_decisions_clear (&d);
  p->verify.mode = OG_VERIFY_AUDIT;
  th_enforce (p, spec, "c1", &d);
  ck_assert_ptr_nonnull (th_find (&d, "verify", OG_DECISION_AUDIT, "hooks"));
  og_decisions_clear (&d);
  og_json_free (spec);
  og_policy_free (p);
  th_cleanup ();
}
END_TEST

START_TEST (policy_key)
{
  static const char base[]
      = "{\"version\": 1, %s \"no_new_privileges\": {}, \"capabilities\": {\"allow\": []}, \"rootfs\": {}, "
        "\"resources\": {}, \"mounts\": {}, \"hooks\": {}, \"privileged\": {}, \"namespaces\": "
        "{}, \"devices\": {}, \"sysctls\": {}, \"seccomp\": {\"action\": \"audit\"}, \"paths\": "
        "{}, \"process\": {}, \"env\": {}, \"lsm\": {}, \"user_namespace\": {\"mode\": \"off\"}}";
  struct og_policy *p = NULL;
  struct og_error err = { 0 };
  og_cleanup_free char *none = og_xasprintf (base, "");
  og_cleanup_free char *enf = og_xasprintf (base, "\"verify\": {\"mode\": \"enforce\", \"hook\": \"/h\"},");
  og_cleanup_free char *bad = og_xasprintf (base, "\"verify\": {\"mode\": \"strict\"},");
  og_cleanup_free char *rel = og_xasprintf (base, "\"verify\": {\"mode\": \"audit\", \"hook\": \"h\"},");

  ck_assert_msg (og_policy_parse (none, strlen (none), "t", &p, &err) == 0, "%s", err.msg);
  ck_assert_int_eq (p->verify.mode, OG_VERIFY_OFF);
  og_policy_free (p);
  ck_assert_msg (og_policy_parse (enf, strlen (enf), "t", &p, &err) == 0, "%s", err.msg);
  ck_assert_int_eq (p->verify.mode, OG_VERIFY_ENFORCE);
  ck_assert_str_eq (p->verify.hook, "/h");
  og_policy_free (p);
  ck_assert_int_eq (og_policy_parse (bad, strlen (bad), "t", &p, &err), -1);
  ck_assert_str_eq (err.msg, "policy t: verify.mode: must be \"off\", \"audit\" or \"enforce\"");
  og_error_clear (&err);
  ck_assert_int_eq (og_policy_parse (rel, strlen (rel), "t", &p, &err), -1);
  ck_assert_str_eq (err.msg, "policy t: verify.hook: must be an absolute path");
  og_error_clear (&err);
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("verify");
  TCase *tc = tcase_create ("parsers");

  tcase_add_test (tc, status_values);
  tcase_add_test (tc, cap_names);
  tcase_add_test (tc, status_matches_config);
  tcase_add_test (tc, status_extra_capability);
  tcase_add_test (tc, status_root_exec_gains);
  tcase_add_test (tc, status_nnp_and_seccomp);
  tcase_add_test (tc, stat_start_time);
  tcase_add_test (tc, idmaps);
  tcase_add_test (tc, mountinfo_matching);
  tcase_add_test (tc, cgroup_paths);
  tcase_add_test (tc, args);
  tcase_add_test (tc, rule_inserts_hooks);
  tcase_add_test (tc, rule_missing_hook);
  tcase_add_test (tc, rule_own_hook_again);
  tcase_add_test (tc, policy_key);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return th_run (suite ());
}
