/* SPDX-License-Identifier: Apache-2.0 */
/* Each rule family on the real engine fixtures, plus the mount and hook
 * cases that need a real filesystem (sockets, symlinks, relative paths). */
#include <config.h>
#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "rule.h"
#include "ocigate/mountinfo.h"
#include "ocigate/util.h"

/* The five private namespaces the default policy requires. */
#define NS                                                                                                             \
  "\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},{\"type\":"         \
  "\"mount\"}]"

#define DOCKER_DEFAULT_ID "959f8979778f1bb6fbd642b5767d5ffe9d72a6a31d1fe2f5a214512373880122"

struct fx
{
  struct og_policy *p;
  struct og_json *spec;
  struct og_decisions d;
};

static void
fx_load (struct fx *f, const char *fixture, const char *profile)
{
  memset (f, 0, sizeof *f);
  f->p = th_profile (profile);
  f->spec = th_fixture (fixture);
  th_sandbox (f->spec, f->p);
}

static void
fx_free (struct fx *f)
{
  og_decisions_clear (&f->d);
  og_json_free (f->spec);
  og_policy_free (f->p);
  th_cleanup ();
}

static int64_t
num (const struct og_json *spec, const char *a, const char *b, const char *c, const char *d)
{
  struct og_json *v = og_json_path (spec, a, b, c, d, NULL);
  int64_t n = -12345;
  ck_assert_msg (v != NULL, "%s.%s.%s.%s missing", a, b, c, d);
  ck_assert_int_eq (og_json_int64 (v, &n), 0);
  return n;
}

/* What every allowed config must satisfy after enforcement. */
static void
assert_invariants (const struct fx *f)
{
  const struct og_json *spec = f->spec;
  ck_assert (og_json_is_true (og_json_path (spec, "process", "noNewPrivileges", NULL)));
  ck_assert (th_caps_within (spec, f->p));
  ck_assert (og_json_is_true (og_json_path (spec, "root", "readonly", NULL)));
  ck_assert (num (spec, "linux", "resources", "memory", "limit") <= f->p->resources.memory.max);
  ck_assert (num (spec, "linux", "resources", "memory", "limit") > 0);
  ck_assert (num (spec, "linux", "resources", "pids", "limit") <= f->p->resources.pids.max);
  ck_assert (num (spec, "linux", "resources", "pids", "limit") > 0);
  ck_assert (num (spec, "linux", "resources", "cpu", "quota") > 0);
}

START_TEST (docker_default)
{
  struct fx f;
  const struct og_decision *dec;

  fx_load (&f, "docker-20.10/default.config.json", "default.json");
  th_enforce (f.p, f.spec, DOCKER_DEFAULT_ID, &f.d);
  ck_assert_msg (!og_decisions_refused (&f.d), "refused: %s", og_decisions_first_refusal (&f.d)->reason);
  assert_invariants (&f);
  ck_assert_ptr_nonnull (th_find (&f.d, "no_new_privileges", OG_DECISION_MUTATE, "process.noNewPrivileges"));
  dec = th_find (&f.d, "capabilities", OG_DECISION_MUTATE, "process.capabilities.bounding");
  ck_assert_ptr_nonnull (dec);
  ck_assert_ptr_nonnull (strstr (dec->reason, "CAP_NET_RAW"));
  ck_assert_ptr_nonnull (strstr (dec->reason, "CAP_MKNOD"));
  ck_assert_ptr_nonnull (strstr (dec->reason, "CAP_SETFCAP"));
  ck_assert_ptr_nonnull (strstr (dec->reason, "CAP_AUDIT_WRITE"));
  ck_assert_ptr_null (strstr (dec->reason, "CAP_CHOWN"));
  ck_assert_ptr_nonnull (th_find (&f.d, "rootfs", OG_DECISION_MUTATE, "root.readonly"));
  ck_assert_uint_eq (num (f.spec, "linux", "resources", "memory", "limit"), 1LL << 30);
  ck_assert_uint_eq (num (f.spec, "linux", "resources", "memory", "swap"), 1LL << 30);
  ck_assert_uint_eq (num (f.spec, "linux", "resources", "pids", "limit"), 1024);
  ck_assert_uint_eq (num (f.spec, "linux", "resources", "cpu", "quota"), 200000);
  ck_assert_uint_eq (num (f.spec, "linux", "resources", "cpu", "period"), 100000);
  /* Docker's own binds of this container are allowed and hardened */
  dec = th_find (&f.d, "mounts", OG_DECISION_MUTATE, "mounts[");
  ck_assert_ptr_nonnull (dec);
  ck_assert_ptr_nonnull (strstr (dec->after, "nosuid"));
  fx_free (&f);
}
END_TEST

START_TEST (docker_default_tmpfs_list)
{
  struct fx f;
  struct og_json *mounts;
  int found = 0;

  fx_load (&f, "docker-20.10/default.config.json", "default.json");
  th_enforce (f.p, f.spec, DOCKER_DEFAULT_ID, &f.d);
  mounts = og_json_get (f.spec, "mounts");
  for (size_t i = 0; i < mounts->n; i++)
    {
      struct og_json *dst = og_json_get (mounts->vals[i], "destination");
      struct og_json *type = og_json_get (mounts->vals[i], "type");
      if ((strcmp (dst->text, "/tmp") == 0 || strcmp (dst->text, "/run") == 0 || strcmp (dst->text, "/var/tmp") == 0)
          && strcmp (type->text, "tmpfs") == 0)
        found++;
    }
  ck_assert_int_eq (found, 3);
  fx_free (&f);
}
END_TEST

START_TEST (docker_hardened_already_compliant)
{
  struct fx f;

  fx_load (&f, "docker-20.10/hardened.config.json", "default.json");
  th_enforce (f.p, f.spec, "744245ded3eb42a3d2f32256c67951a3f1100b975eeb8f87445f397d00b20a0c", &f.d);
  ck_assert (!og_decisions_refused (&f.d));
  assert_invariants (&f);
  /* --security-opt no-new-privileges, --cap-drop ALL --cap-add NET_BIND_SERVICE,
   * --read-only, --memory 256m, --pids-limit 100, --cpus 0.5: nothing to do */
  ck_assert_ptr_null (th_find (&f.d, "no_new_privileges", OG_DECISION_MUTATE, NULL));
  ck_assert_ptr_null (th_find (&f.d, "capabilities", OG_DECISION_MUTATE, NULL));
  ck_assert_ptr_null (th_find (&f.d, "rootfs", OG_DECISION_MUTATE, "root.readonly"));
  ck_assert_ptr_null (th_find (&f.d, "resources", OG_DECISION_MUTATE, "linux.resources.memory.limit"));
  ck_assert_ptr_null (th_find (&f.d, "resources", OG_DECISION_MUTATE, "linux.resources.pids"));
  ck_assert_ptr_null (th_find (&f.d, "resources", OG_DECISION_MUTATE, "linux.resources.cpu"));
  ck_assert_uint_eq (num (f.spec, "linux", "resources", "memory", "limit"), 256LL << 20);
  ck_assert_uint_eq (num (f.spec, "linux", "resources", "pids", "limit"), 100);
  fx_free (&f);
}
END_TEST

START_TEST (docker_privileged_and_capall_filtered)
{
  static const char *const names[] = { "docker-20.10/privileged.config.json", "docker-20.10/capall.config.json" };
  static const char *const ids[] = { "e2fe2361eb9b55c7ed2d84307a3c8ce900f3961f10387bbad0df140c3f50f96d",
                                     "cd02175a30ff26531e219aab614f8c07ea71ac489fca37986053e51adbe1d131" };
  struct fx f;

  fx_load (&f, names[_i], "default.json");
  ck_assert (!th_caps_within (f.spec, f.p));
  th_enforce (f.p, f.spec, ids[_i], &f.d);
  ck_assert_msg (!og_decisions_refused (&f.d), "refused: %s", og_decisions_first_refusal (&f.d)->reason);
  assert_invariants (&f);
  for (const char *const *set = (const char *const[]){ "bounding", "effective", "permitted", NULL }; *set; set++)
    {
      og_cleanup_free char *path = og_xasprintf ("process.capabilities.%s", *set);
      const struct og_decision *dec = th_find (&f.d, "capabilities", OG_DECISION_MUTATE, path);
      ck_assert_ptr_nonnull (dec);
      ck_assert_ptr_nonnull (strstr (dec->reason, "CAP_SYS_ADMIN"));
    }
  fx_free (&f);
}
END_TEST

START_TEST (docker_sock_refused)
{
  struct fx f;
  og_cleanup_free char *sock = NULL;
  const struct og_decision *dec;

  fx_load (&f, "docker-20.10/sock.config.json", "default.json");
  /* the sandbox made /var/run/docker.sock a plain file under the temp
   * dir: make it the daemon socket the policy lists */
  sock = og_xasprintf ("%s/var/run/docker.sock", th_tmpdir ());
  unlink (sock);
  th_make_socket (sock);
  th_enforce (f.p, f.spec, "558621ae12a6b7198bdffa00d23c329f9f8f68d6329f687a4125c1eb95ded65f", &f.d);
  ck_assert (og_decisions_refused (&f.d));
  dec = th_find (&f.d, "mounts", OG_DECISION_REFUSE, "mounts[7]");
  ck_assert_ptr_nonnull (dec);
  /* "/" holds the daemon socket and is a sensitive tree: either reason */
  ck_assert_ptr_nonnull (strstr (dec->reason, "bind mount of / "));
  dec = th_find (&f.d, "mounts", OG_DECISION_REFUSE, "mounts[8]");
  ck_assert_ptr_nonnull (dec);
  ck_assert_str_eq (dec->reason, "bind mount of /proc exposes the sensitive host tree /proc");
  dec = th_find (&f.d, "mounts", OG_DECISION_REFUSE, "mounts[12]");
  ck_assert_ptr_nonnull (dec);
  ck_assert_ptr_nonnull (strstr (dec->reason, "is the daemon socket"));
  ck_assert_uint_eq (th_count (&f.d, OG_DECISION_REFUSE), 3);
  fx_free (&f);
}
END_TEST

START_TEST (docker_hostns_ipc_refused)
{
  struct fx f;
  const struct og_decision *dec;

  fx_load (&f, "docker-20.10/hostns.config.json", "default.json");
  th_enforce (f.p, f.spec, "ec564bf6db5a9349d34be5db66448feab0738978efd3df3d548fcb3744312560", &f.d);
  dec = og_decisions_first_refusal (&f.d);
  ck_assert_ptr_nonnull (dec);
  ck_assert_str_eq (dec->reason, "bind mount of /dev/shm exposes the sensitive host tree /dev");
  fx_free (&f);
}
END_TEST

START_TEST (podman_and_containerd_allowed)
{
  static const char *const names[] = { "podman-4.3/create-2.config.json", "podman-4.3/create-3.config.json",
                                       "podman-4.3/create-4.config.json", "containerd-1.6/create-1.config.json" };
  static const char *const ids[] = { "5e5bc167f3662e3670ff7eb9cbaa069fd7393d8304e500f9cc2dee9d29e10ec0",
                                     "1ed697f1f9f232c7a843d2a84556e249a5e463a3c7101ace6a434d62e3aacfc0",
                                     "9a4fe7ebdbef8072c973d6a00d59b2e2dbcddce4bda7c1b13edb1fcd66360bfe", "e5" };
  struct fx f;

  fx_load (&f, names[_i], "default.json");
  th_enforce (f.p, f.spec, ids[_i], &f.d);
  ck_assert_msg (!og_decisions_refused (&f.d), "%s refused: %s", names[_i], og_decisions_first_refusal (&f.d)->reason);
  assert_invariants (&f);
  fx_free (&f);
}
END_TEST

START_TEST (other_containers_files_refused)
{
  struct fx f;

  fx_load (&f, "docker-20.10/default.config.json", "default.json");
  /* the same binds, but claimed by another container id */
  th_enforce (f.p, f.spec, "0000000000000000000000000000000000000000000000000000000000000000", &f.d);
  ck_assert (og_decisions_refused (&f.d));
  ck_assert_ptr_nonnull (strstr (og_decisions_first_refusal (&f.d)->reason, "sensitive host tree"));
  fx_free (&f);
}
END_TEST

START_TEST (audit_mode_changes_nothing)
{
  struct fx f;
  og_cleanup_free char *before = NULL, *after = NULL;
  struct og_error err = { 0 };
  og_cleanup_free char *sock = NULL;

  fx_load (&f, "docker-20.10/sock.config.json", "default.json");
  sock = og_xasprintf ("%s/var/run/docker.sock", th_tmpdir ());
  unlink (sock);
  th_make_socket (sock);
  f.p->audit_only = true;
  ck_assert_int_eq (og_json_write (f.spec, false, &before, NULL, &err), 0);
  th_enforce (f.p, f.spec, "558621ae12a6b7198bdffa00d23c329f9f8f68d6329f687a4125c1eb95ded65f", &f.d);
  ck_assert_int_eq (og_json_write (f.spec, false, &after, NULL, &err), 0);
  ck_assert (!og_decisions_refused (&f.d));
  ck_assert_uint_eq (th_count (&f.d, OG_DECISION_MUTATE), 0);
  ck_assert_uint_gt (th_count (&f.d, OG_DECISION_AUDIT), 5);
  ck_assert_ptr_nonnull (th_find (&f.d, "mounts", OG_DECISION_AUDIT, "mounts[12]"));
  /* only empty resource sections may appear */
  ck_assert_ptr_null (og_json_path (f.spec, "linux", "resources", "pids", "limit", NULL));
  ck_assert (!og_json_is_true (og_json_path (f.spec, "process", "noNewPrivileges", NULL)));
  fx_free (&f);
}
END_TEST

/* ---- resources ---------------------------------------------------------- */

static struct og_json *
spec_from (const char *text)
{
  struct og_json *j = NULL;
  struct og_error err = { 0 };
  if (og_json_parse (text, strlen (text), NULL, &j, &err) < 0)
    ck_abort_msg ("%s", err.msg);
  return j;
}

START_TEST (resources_clamped)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  og_cleanup_json struct og_json *spec
      = spec_from ("{\"process\":{\"args\":[\"x\"]},\"root\":{\"path\":\"rootfs\"},\"linux\":{" NS ",\"resources\":{"
                   "\"memory\":{\"limit\":107374182400,\"swap\":-1},\"cpu\":{\"quota\":-1,\"period\":50000},"
                   "\"pids\":{\"limit\":-1}}}}");
  struct og_decisions d = { 0 };

  th_enforce (p, spec, "x", &d);
  ck_assert (!og_decisions_refused (&d));
  ck_assert (num (spec, "linux", "resources", "memory", "limit") == 16LL << 30);
  ck_assert (num (spec, "linux", "resources", "memory", "swap") == (16LL << 30) + 0);
  ck_assert (num (spec, "linux", "resources", "cpu", "quota") == 100000); /* 2 CPUs at period 50000 */
  ck_assert (num (spec, "linux", "resources", "pids", "limit") == 1024);
  og_decisions_clear (&d);
  th_cleanup ();
}
END_TEST

START_TEST (resources_deny_refuses_above_max_only)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  og_cleanup_json struct og_json *big = spec_from ("{\"process\":{},\"root\":{\"path\":\"rootfs\"},\"linux\":{"
                                                   "\"resources\":{\"memory\":{\"limit\":107374182400}}}}");
  og_cleanup_json struct og_json *unset = spec_from ("{\"process\":{},\"root\":{\"path\":\"rootfs\"},\"linux\":{}}");
  struct og_decisions d = { 0 };

  p->resources.action = OG_ACTION_DENY;
  th_enforce (p, big, "x", &d);
  ck_assert_ptr_nonnull (th_find (&d, "resources", OG_DECISION_REFUSE, "linux.resources.memory.limit"));
  og_decisions_clear (&d);
  th_enforce (p, unset, "x", &d);
  ck_assert_ptr_null (th_find (&d, "resources", OG_DECISION_REFUSE, NULL));
  ck_assert (num (unset, "linux", "resources", "pids", "limit") == 1024);
  og_decisions_clear (&d);
  th_cleanup ();
}
END_TEST

START_TEST (malformed_values_refused)
{
  static const char *const cases[][2] = {
    { "{\"process\":{\"noNewPrivileges\":\"yes\"},\"root\":{\"path\":\"rootfs\"}}", "process.noNewPrivileges" },
    { "{\"process\":{\"capabilities\":{\"bounding\":\"CAP_SYS_ADMIN\"}},\"root\":{\"path\":\"rootfs\"}}",
      "process.capabilities.bounding" },
    { "{\"process\":{\"capabilities\":[]},\"root\":{\"path\":\"rootfs\"}}", "process.capabilities" },
    { "{\"process\":{},\"root\":{\"path\":\"rootfs\"},\"linux\":{\"resources\":{\"memory\":{\"limit\":1.5e9}}}}",
      "linux.resources.memory.limit" },
    { "{\"process\":{},\"root\":{\"path\":\"rootfs\"},\"linux\":{\"resources\":{\"pids\":[]}}}",
      "linux.resources.pids" },
    { "{\"process\":{},\"root\":{\"readonly\":1}}", "root.readonly" },
    { "{\"process\":{},\"root\":{\"path\":\"rootfs\"},\"mounts\":{}}", "mounts" },
    { "{\"root\":{\"path\":\"rootfs\"}}", "process" },
    { "{\"process\":{},\"root\":{\"path\":\"rootfs\"},\"hooks\":{\"prestart\":[{\"path\":\"relative\"}]}}",
      "hooks.prestart[0]" },
    /* found by fuzz_spec: a period the kernel would refuse overflowed the
     * quota arithmetic */
    { "{\"process\":{},\"root\":{\"path\":\"rootfs\"},\"linux\":{\"resources\":{\"cpu\":{\"quota\":5,"
      "\"period\":9223372036854775807}}}}",
      "linux.resources.cpu.period" },
  };
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      og_cleanup_json struct og_json *spec = spec_from (cases[i][0]);
      struct og_decisions d = { 0 };
      const struct og_decision *r;

      th_enforce (p, spec, "x", &d);
      r = og_decisions_first_refusal (&d);
      ck_assert_msg (r != NULL, "case %zu not refused", i);
      ck_assert_msg (strcmp (r->path, cases[i][1]) == 0, "case %zu refused at %s", i, r->path);
      og_decisions_clear (&d);
    }
  th_cleanup ();
}
END_TEST

START_TEST (missing_capabilities_become_empty)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  og_cleanup_json struct og_json *spec = spec_from ("{\"process\":{\"args\":[\"sh\"]},\"root\":{\"path\":\"rootfs\"}}");
  struct og_decisions d = { 0 };
  struct og_json *caps;

  th_enforce (p, spec, "x", &d);
  caps = og_json_path (spec, "process", "capabilities", NULL);
  ck_assert_ptr_nonnull (caps);
  ck_assert_uint_eq (caps->n, 5);
  for (size_t i = 0; i < caps->n; i++)
    ck_assert_uint_eq (caps->vals[i]->n, 0);
  og_decisions_clear (&d);
  th_cleanup ();
}
END_TEST

START_TEST (unknown_cap_spelling_dropped)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  og_cleanup_json struct og_json *spec = spec_from ("{\"process\":{\"capabilities\":{\"bounding\":[\"cap_chown\",\"CAP_"
                                                    "CHOWN\",\"CAP_SYS_ADMIN \",7]}},\"root\":{\"path\":\"rootfs\"}}");
  struct og_decisions d = { 0 };
  struct og_json *b;

  th_enforce (p, spec, "x", &d);
  b = og_json_path (spec, "process", "capabilities", "bounding", NULL);
  ck_assert_uint_eq (b->n, 1);
  ck_assert_str_eq (b->vals[0]->text, "CAP_CHOWN");
  og_decisions_clear (&d);
  th_cleanup ();
}
END_TEST

/* ---- the hardened baseline --------------------------------------------- */

START_TEST (privileged_neutered)
{
  struct fx f;
  struct og_json *rules, *mounts, *masked, *nodes;

  fx_load (&f, "docker-20.10/privileged.config.json", "default.json");
  th_enforce (f.p, f.spec, "e2fe2361eb9b55c7ed2d84307a3c8ce900f3961f10387bbad0df140c3f50f96d", &f.d);
  ck_assert_msg (!og_decisions_refused (&f.d), "refused: %s", og_decisions_first_refusal (&f.d)->reason);
  assert_invariants (&f);
  ck_assert_ptr_nonnull (th_find (&f.d, "privileged", OG_DECISION_AUDIT, NULL));
  /* device cgroup: no allow-all, deny-all first */
  rules = og_json_path (f.spec, "linux", "resources", "devices", NULL);
  ck_assert_ptr_nonnull (rules);
  for (size_t i = 0; i < rules->n; i++)
    ck_assert (!og_device_rule_allows_all (rules->vals[i]));
  ck_assert (!og_json_is_true (og_json_get (rules->vals[0], "allow")));
  /* device nodes: only the default set is left */
  nodes = og_json_path (f.spec, "linux", "devices", NULL);
  for (size_t i = 0; nodes && i < nodes->n; i++)
    ck_assert_str_ne (og_json_get (nodes->vals[i], "type")->text, "b");
  ck_assert_ptr_nonnull (th_find (&f.d, "devices", OG_DECISION_MUTATE, "linux.devices["));
  /* seccomp injected, masked paths restored, /sys read-only */
  ck_assert_str_eq (og_json_path (f.spec, "linux", "seccomp", "defaultAction", NULL)->text, "SCMP_ACT_ERRNO");
  masked = og_json_path (f.spec, "linux", "maskedPaths", NULL);
  ck_assert (og_json_array_has_string (masked, "/proc/kcore"));
  ck_assert (og_json_array_has_string (og_json_path (f.spec, "linux", "readonlyPaths", NULL), "/proc/sysrq-trigger"));
  mounts = og_json_get (f.spec, "mounts");
  for (size_t i = 0; i < mounts->n; i++)
    {
      struct og_json *type = og_json_get (mounts->vals[i], "type");
      if (strcmp (type->text, "sysfs") == 0 || strcmp (type->text, "cgroup") == 0)
        ck_assert (og_json_array_has_string (og_json_get (mounts->vals[i], "options"), "ro"));
    }
  fx_free (&f);
}
END_TEST

START_TEST (privileged_denied)
{
  struct fx f;
  const struct og_decision *r;

  fx_load (&f, "docker-20.10/privileged.config.json", "default.json");
  f.p->privileged.action = OG_ACTION_DENY;
  th_enforce (f.p, f.spec, "e2fe2361eb9b55c7ed2d84307a3c8ce900f3961f10387bbad0df140c3f50f96d", &f.d);
  r = og_decisions_first_refusal (&f.d);
  ck_assert_ptr_nonnull (r);
  ck_assert_str_eq (r->rule, "privileged");
  ck_assert_ptr_nonnull (strstr (r->reason, "every device"));
  fx_free (&f);
}
END_TEST

START_TEST (capall_sysctl_device_seccomp)
{
  struct fx f;

  fx_load (&f, "docker-20.10/capall.config.json", "default.json");
  th_enforce (f.p, f.spec, "cd02175a30ff26531e219aab614f8c07ea71ac489fca37986053e51adbe1d131", &f.d);
  ck_assert_msg (!og_decisions_refused (&f.d), "refused: %s", og_decisions_first_refusal (&f.d)->reason);
  ck_assert_ptr_null (og_json_path (f.spec, "linux", "sysctl", "net.ipv4.ip_forward", NULL));
  ck_assert_ptr_nonnull (og_json_path (f.spec, "linux", "sysctl", "net.ipv4.ping_group_range", NULL));
  ck_assert_ptr_nonnull (th_find (&f.d, "sysctls", OG_DECISION_MUTATE, "linux.sysctl.net.ipv4.ip_forward"));
  ck_assert_ptr_nonnull (th_find (&f.d, "devices", OG_DECISION_MUTATE, "linux.devices[0]")); /* /dev/fuse */
  ck_assert_ptr_nonnull (th_find (&f.d, "seccomp", OG_DECISION_MUTATE, "linux.seccomp"));
  ck_assert_ptr_nonnull (og_json_path (f.spec, "linux", "seccomp", "syscalls", NULL));
  fx_free (&f);
}
END_TEST

START_TEST (hostns_namespaces_refused)
{
  struct fx f;
  struct og_json *mounts;

  fx_load (&f, "docker-20.10/hostns.config.json", "default.json");
  /* without the /dev/shm bind, the namespaces themselves are refused */
  mounts = og_json_get (f.spec, "mounts");
  for (size_t i = mounts->n; i-- > 0;)
    if (strcmp (og_json_get (mounts->vals[i], "destination")->text, "/dev/shm") == 0)
      og_json_remove_at (mounts, i);
  th_enforce (f.p, f.spec, "ec564bf6db5a9349d34be5db66448feab0738978efd3df3d548fcb3744312560", &f.d);
  ck_assert_str_eq (og_decisions_first_refusal (&f.d)->rule, "namespaces");
  ck_assert_uint_eq (th_count (&f.d, OG_DECISION_REFUSE), 4); /* network pid ipc uts */
  fx_free (&f);
}
END_TEST

START_TEST (joined_host_namespace_refused)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  og_cleanup_json struct og_json *spec
      = spec_from ("{\"process\":{},\"root\":{\"path\":\"rootfs\"},\"linux\":{\"namespaces\":[{\"type\":\"pid\"},"
                   "{\"type\":\"network\",\"path\":\"/proc/self/ns/net\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},"
                   "{\"type\":\"mount\"}]}}");
  og_cleanup_json struct og_json *elsewhere
      = spec_from ("{\"process\":{},\"root\":{\"path\":\"rootfs\"},\"linux\":{\"namespaces\":[{\"type\":\"pid\"},"
                   "{\"type\":\"network\",\"path\":\"/tmp/netns-x\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},"
                   "{\"type\":\"mount\"}]}}");
  struct og_decisions d = { 0 };
  const struct og_decision *r;

  th_enforce (p, spec, "x", &d);
  r = og_decisions_first_refusal (&d);
  ck_assert_ptr_nonnull (r);
  ck_assert_str_eq (r->reason, "network namespace /proc/self/ns/net is the host's");
  og_decisions_clear (&d);
  th_enforce (p, elsewhere, "x", &d);
  r = og_decisions_first_refusal (&d);
  ck_assert_ptr_nonnull (r);
  ck_assert_ptr_nonnull (strstr (r->reason, "namespaces.allow_paths"));
  og_decisions_clear (&d);
  th_cleanup ();
}
END_TEST

START_TEST (seccomp_profiles)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  og_cleanup_json struct og_json *allow_all
      = spec_from ("{\"process\":{},\"root\":{\"path\":\"rootfs\"},\"linux\":{" NS ",\"seccomp\":{\"defaultAction\":"
                   "\"SCMP_ACT_ALLOW\"}}}");
  og_cleanup_json struct og_json *strict
      = spec_from ("{\"process\":{},\"root\":{\"path\":\"rootfs\"},\"linux\":{" NS ",\"seccomp\":{\"defaultAction\":"
                   "\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\",\"ptrace\"],\"action\":\"SCMP_ACT_ALLOW\"},"
                   "{\"names\":[\"bpf\"],\"action\":\"SCMP_ACT_ALLOW\"}]}}}");
  struct og_decisions d = { 0 };
  struct og_json *rules;

  th_enforce (p, allow_all, "x", &d);
  ck_assert_ptr_nonnull (th_find (&d, "seccomp", OG_DECISION_REFUSE, "linux.seccomp.defaultAction"));
  og_decisions_clear (&d);
  th_strv_add (&p->seccomp.deny_syscalls, "ptrace");
  th_strv_add (&p->seccomp.deny_syscalls, "bpf");
  th_enforce (p, strict, "x", &d);
  ck_assert (!og_decisions_refused (&d));
  rules = og_json_path (strict, "linux", "seccomp", "syscalls", NULL);
  ck_assert_uint_eq (rules->n, 1 + 6); /* the bpf-only rule is gone; the six setid errno rules follow */
  ck_assert (og_json_array_has_string (og_json_get (rules->vals[0], "names"), "read"));
  ck_assert (!og_json_array_has_string (og_json_get (rules->vals[0], "names"), "ptrace"));
  og_decisions_clear (&d);
  p->seccomp.allow_unconfined = true;
  th_enforce (p, allow_all, "x", &d);
  ck_assert (!og_decisions_refused (&d));
  rules = og_json_path (allow_all, "linux", "seccomp", "syscalls", NULL);
  ck_assert_ptr_nonnull (rules);
  ck_assert_str_eq (og_json_get (rules->vals[0], "action")->text, "SCMP_ACT_ERRNO");
  og_decisions_clear (&d);
  th_cleanup ();
}
END_TEST

START_TEST (seccomp_profile_validation)
{
  og_cleanup_free char *bad = og_xasprintf ("%s/bad.json", th_tmpdir ());
  struct og_json *prof = NULL;
  struct og_error err = { 0 };
  FILE *f;

  f = fopen (bad, "we");
  fputs ("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\",\"raed\"],"
         "\"action\":\"SCMP_ACT_ALLOW\"}]}",
         f);
  fclose (f);
  ck_assert_int_lt (og_seccomp_load_profile (bad, &prof, &err), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, "unknown syscall raed"));
  og_error_clear (&err);
  /* a profile anyone may rewrite is not trusted (it could allow everything) */
  ck_assert_int_eq (chmod (bad, 0666), 0);
  ck_assert_int_lt (og_seccomp_load_profile (bad, &prof, &err), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, "refusing to trust it"));
  og_error_clear (&err);
  {
    og_cleanup_free char *shipped = og_xasprintf ("%s/seccomp.json", PROFILES);
    ck_assert_msg (og_seccomp_load_profile (shipped, &prof, &err) == 0, "%s", err.msg);
    og_json_free (prof);
  }
  th_cleanup ();
}
END_TEST

START_TEST (process_hardening)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  og_cleanup_json struct og_json *spec
      = spec_from ("{\"process\":{\"user\":{\"uid\":0},\"oomScoreAdj\":-1000,\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\","
                   "\"hard\":18446744073709551615,\"soft\":1024}]},\"root\":{\"path\":\"rootfs\"},\"mounts\":[{"
                   "\"destination\":\"/m\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"rshared\"]}],"
                   "\"linux\":{\"rootfsPropagation\":\"shared\"}}");
  og_cleanup_json struct og_json *mapped
      = spec_from ("{\"process\":{\"user\":{\"uid\":0}},\"root\":{\"path\":\"rootfs\"},\"linux\":{\"namespaces\":["
                   "{\"type\":\"user\"}],\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]}}");
  struct og_decisions d = { 0 };

  th_strv_add (&p->process.rlimit_max, "RLIMIT_NOFILE=1048576");
  p->process.run_as_non_root = true;
  th_enforce (p, spec, "x", &d);
  ck_assert_ptr_nonnull (th_find (&d, "process", OG_DECISION_REFUSE, "process.user.uid"));
  ck_assert_str_eq (og_json_path (spec, "process", "oomScoreAdj", NULL)->text, "-500");
  ck_assert_str_eq (og_json_get (og_json_path (spec, "process", "rlimits", NULL)->vals[0], "hard")->text, "1048576");
  ck_assert_str_eq (og_json_get (og_json_path (spec, "process", "rlimits", NULL)->vals[0], "soft")->text, "1024");
  ck_assert_str_eq (og_json_path (spec, "linux", "rootfsPropagation", NULL)->text, "rslave");
  ck_assert (og_json_array_has_string (og_json_get (og_json_get (spec, "mounts")->vals[0], "options"), "rslave"));
  og_decisions_clear (&d);
  th_enforce (p, mapped, "x", &d);
  ck_assert_ptr_null (th_find (&d, "process", OG_DECISION_REFUSE, "process.user.uid"));
  og_decisions_clear (&d);
  th_cleanup ();
}
END_TEST

START_TEST (env_secrets_never_logged)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  og_cleanup_json struct og_json *spec = spec_from (
      "{\"process\":{\"env\":[\"PATH=/bin\",\"DB_PASSWORD=hunter2\",\"KEY=-----BEGIN RSA PRIVATE KEY-----x\"]},"
      "\"root\":{\"path\":\"rootfs\"},\"linux\":{" NS "}}");
  struct og_decisions d = { 0 };

  th_enforce (p, spec, "x", &d);
  ck_assert (!og_decisions_refused (&d)); /* the default policy only records */
  ck_assert_ptr_nonnull (th_find (&d, "env", OG_DECISION_AUDIT, "process.env[1]"));
  ck_assert_ptr_nonnull (th_find (&d, "env", OG_DECISION_AUDIT, "process.env[2]"));
  for (size_t i = 0; i < d.n; i++)
    {
      ck_assert_ptr_null (strstr (d.v[i].reason, "hunter2"));
      ck_assert (d.v[i].before == NULL || strstr (d.v[i].before, "hunter2") == NULL);
      ck_assert (d.v[i].before == NULL || strstr (d.v[i].before, "BEGIN") == NULL);
    }
  og_decisions_clear (&d);
  p->env.action = OG_ACTION_DENY;
  th_enforce (p, spec, "x", &d);
  ck_assert_str_eq (og_decisions_first_refusal (&d)->rule, "env");
  og_decisions_clear (&d);
  th_cleanup ();
}
END_TEST

START_TEST (lsm_skipped_and_recorded)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  og_cleanup_json struct og_json *spec
      = spec_from ("{\"process\":{\"apparmorProfile\":\"unconfined\"},\"root\":{\"path\":\"rootfs\"}}");
  struct og_decisions d = { 0 };

  th_enforce (p, spec, "x", &d);
  if (access ("/sys/module/apparmor/parameters/enabled", F_OK) != 0)
    ck_assert_ptr_nonnull (th_find (&d, "lsm", OG_DECISION_AUDIT, "process.apparmorProfile"));
  else
    ck_assert_ptr_nonnull (th_find (&d, "lsm", OG_DECISION_MUTATE, "process.apparmorProfile"));
  og_decisions_clear (&d);
  th_cleanup ();
}
END_TEST

/* Each Docker fixture under each shipped profile: refused (by which rule)
 * or allowed. */
START_TEST (profiles_table)
{
  static const struct
  {
    const char *fixture, *id, *profile, *refused_by; /* NULL: allowed */
  } rows[] = {
    { "privileged", "e2fe2361eb9b55c7ed2d84307a3c8ce900f3961f10387bbad0df140c3f50f96d", "default.json", NULL },
    { "privileged", "e2fe2361eb9b55c7ed2d84307a3c8ce900f3961f10387bbad0df140c3f50f96d", "baseline.json", "privileged" },
    { "privileged", "e2fe2361eb9b55c7ed2d84307a3c8ce900f3961f10387bbad0df140c3f50f96d", "restricted.json",
      "privileged" },
    { "capall", "cd02175a30ff26531e219aab614f8c07ea71ac489fca37986053e51adbe1d131", "default.json", NULL },
    { "capall", "cd02175a30ff26531e219aab614f8c07ea71ac489fca37986053e51adbe1d131", "baseline.json", "privileged" },
    { "capall", "cd02175a30ff26531e219aab614f8c07ea71ac489fca37986053e51adbe1d131", "restricted.json", "privileged" },
    { "hostns", "ec564bf6db5a9349d34be5db66448feab0738978efd3df3d548fcb3744312560", "default.json", "mounts" },
    { "hostns", "ec564bf6db5a9349d34be5db66448feab0738978efd3df3d548fcb3744312560", "baseline.json", "mounts" },
    { "hostns", "ec564bf6db5a9349d34be5db66448feab0738978efd3df3d548fcb3744312560", "restricted.json", "mounts" },
    { "default", DOCKER_DEFAULT_ID, "default.json", NULL },
    { "default", DOCKER_DEFAULT_ID, "baseline.json", NULL },
    { "default", DOCKER_DEFAULT_ID, "restricted.json", "process" },
    { "hardened", "744245ded3eb42a3d2f32256c67951a3f1100b975eeb8f87445f397d00b20a0c", "restricted.json", NULL },
  };
  struct fx f;
  og_cleanup_free char *name = og_xasprintf ("docker-20.10/%s.config.json", rows[_i].fixture);
  const struct og_decision *r;

  fx_load (&f, name, rows[_i].profile);
  th_enforce (f.p, f.spec, rows[_i].id, &f.d);
  r = og_decisions_first_refusal (&f.d);
  if (rows[_i].refused_by == NULL)
    ck_assert_msg (r == NULL, "%s under %s refused: %s", rows[_i].fixture, rows[_i].profile, r ? r->reason : "");
  else
    {
      ck_assert_msg (r != NULL, "%s under %s allowed", rows[_i].fixture, rows[_i].profile);
      ck_assert_str_eq (r->rule, rows[_i].refused_by);
    }
  fx_free (&f);
}
END_TEST

START_TEST (userns_mappings)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  og_cleanup_json struct og_json *spec = spec_from (
      "{\"process\":{},\"root\":{\"path\":\"rootfs\"},\"linux\":{" NS ",\"uidMappings\":[{\"containerID\":0,"
      "\"hostID\":0,\"size\":4294967295}],\"sysctl\":{\"net.ipv4.ping_group_range\":\"0 2147483647\"}}}");
  const struct og_userns_range range = { 1065536, 65536 };
  struct og_enforce_ctx ctx = { .policy = p, .bundle = th_tmpdir (), .container_id = "x", .userns = &range };
  struct og_decisions d = { 0 };
  struct og_error err = { 0 };
  struct og_json *m;

  p->userns.mode = OG_USERNS_REQUIRED;
  ck_assert_int_eq (og_enforce_config (&ctx, spec, &d, &err), 0);
  ck_assert (!og_decisions_refused (&d));
  /* the identity map (container root = host root) is replaced */
  m = og_json_path (spec, "linux", "uidMappings", NULL);
  ck_assert_uint_eq (m->n, 1);
  ck_assert_str_eq (og_json_get (m->vals[0], "hostID")->text, "1065536");
  ck_assert_str_eq (og_json_get (m->vals[0], "size")->text, "65536");
  ck_assert_str_eq (og_json_get (og_json_path (spec, "linux", "gidMappings", NULL)->vals[0], "hostID")->text,
                    "1065536");
  ck_assert_str_eq (og_json_path (spec, "linux", "sysctl", "net.ipv4.ping_group_range", NULL)->text, "0 65535");
  ck_assert_ptr_nonnull (th_find (&d, "user_namespace", OG_DECISION_MUTATE, "linux.namespaces"));
  og_decisions_clear (&d);
  /* no range: refused when required, recorded when if-possible */
  ctx.userns = NULL;
  ctx.userns_error = "idmapped mounts are not supported";
  ck_assert_int_eq (og_enforce_config (&ctx, spec, &d, &err), 0);
  ck_assert_ptr_nonnull (strstr (og_decisions_first_refusal (&d)->reason, "idmapped mounts are not supported"));
  og_decisions_clear (&d);
  p->userns.mode = OG_USERNS_IF_POSSIBLE;
  ck_assert_int_eq (og_enforce_config (&ctx, spec, &d, &err), 0);
  ck_assert (!og_decisions_refused (&d));
  ck_assert_ptr_nonnull (th_find (&d, "user_namespace", OG_DECISION_AUDIT, NULL));
  og_decisions_clear (&d);
  th_cleanup ();
}
END_TEST

/* ---- exec and update ---------------------------------------------------- */

START_TEST (exec_privileged_process)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  og_cleanup_json struct og_json *proc = th_fixture ("docker-20.10/exec-privileged.process.json");
  og_cleanup_json struct og_json *wrap = og_json_new (OG_JSON_OBJECT);
  struct og_enforce_ctx ctx = { .policy = p };
  struct og_decisions d = { 0 };
  struct og_error err = { 0 };

  ck_assert_int_eq (og_enforce_process (&ctx, proc, &d, &err), 0);
  ck_assert (!og_decisions_refused (&d));
  ck_assert (og_json_is_true (og_json_get (proc, "noNewPrivileges")));
  og_json_set (wrap, "process", og_json_clone (proc));
  ck_assert (th_caps_within (wrap, p));
  ck_assert_ptr_nonnull (th_find (&d, "capabilities", OG_DECISION_MUTATE, "process.capabilities.effective"));
  og_decisions_clear (&d);
}
END_TEST

START_TEST (update_fixture_within_policy)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  og_cleanup_json struct og_json *res = th_fixture ("docker-20.10/update.update.json");
  struct og_enforce_ctx ctx = { .policy = p };
  struct og_decisions d = { 0 };
  struct og_error err = { 0 };

  ck_assert_int_eq (og_enforce_update (&ctx, res, &d, &err), 0);
  ck_assert_uint_eq (d.n, 0);
  og_decisions_clear (&d);
}
END_TEST

START_TEST (update_cannot_lift_limits)
{
  static const char *const cases[][3] = {
    /* input, path, expected value */
    { "{\"pids\":{\"limit\":-1}}", "pids", "32768" },           { "{\"pids\":{\"limit\":100000}}", "pids", "32768" },
    { "{\"memory\":{\"limit\":-1}}", "memory", "17179869184" }, { "{\"cpu\":{\"quota\":-1}}", "cpu", "800000" },
    { "{\"cpu\":{\"quota\":1000000}}", "cpu", "800000" },
  };
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  struct og_enforce_ctx ctx = { .policy = p };

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      og_cleanup_json struct og_json *res = spec_from (cases[i][0]);
      struct og_decisions d = { 0 };
      struct og_error err = { 0 };
      struct og_json *sec;

      ck_assert_int_eq (og_enforce_update (&ctx, res, &d, &err), 0);
      sec = og_json_get (res, cases[i][1]);
      ck_assert_str_eq (og_json_get (sec, strcmp (cases[i][1], "cpu") == 0 ? "quota" : "limit")->text, cases[i][2]);
      og_decisions_clear (&d);
    }
}
END_TEST

START_TEST (update_leaves_the_rest)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  og_cleanup_json struct og_json *res = spec_from ("{\"memory\":{\"limit\":0},\"blockIO\":{\"weight\":10}}");
  og_cleanup_json struct og_json *period = spec_from ("{\"cpu\":{\"period\":1000}}");
  og_cleanup_json struct og_json *quota = spec_from ("{\"cpu\":{\"quota\":50000}}");
  struct og_enforce_ctx ctx = { .policy = p };
  struct og_decisions d = { 0 };
  struct og_error err = { 0 };
  og_cleanup_free char *out = NULL;

  ck_assert_int_eq (og_enforce_update (&ctx, res, &d, &err), 0);
  ck_assert_uint_eq (d.n, 0);
  ck_assert_int_eq (og_json_write (res, false, &out, NULL, &err), 0);
  ck_assert_str_eq (out, "{\"memory\":{\"limit\":0},\"blockIO\":{\"weight\":10}}");
  /* a shorter period alone would buy more CPUs for the same quota */
  ck_assert_int_eq (og_enforce_update (&ctx, period, &d, &err), 0);
  ck_assert_str_eq (og_json_path (period, "cpu", "quota", NULL)->text, "8000");
  /* a quota alone is pinned to the period it was judged against */
  ck_assert_int_eq (og_enforce_update (&ctx, quota, &d, &err), 0);
  ck_assert_str_eq (og_json_path (quota, "cpu", "period", NULL)->text, "100000");
  og_decisions_clear (&d);
}
END_TEST

/* ---- mounts on a real filesystem ---------------------------------------- */

struct mfx
{
  struct og_policy *p;
  char *dir, *sock;
};

static void
mfx_setup (struct mfx *m)
{
  m->p = th_profile ("default.json");
  m->dir = og_xasprintf ("%s/daemon", th_tmpdir ());
  mkdir (m->dir, 0755);
  m->sock = og_xasprintf ("%s/engine.sock", m->dir);
  th_make_socket (m->sock);
  th_strv_add (&m->p->mounts.deny_sockets, m->sock);
  m->p->mounts.deny_any_socket = false; /* prove the daemon list on its own */
}

static void
mfx_free (struct mfx *m)
{
  og_policy_free (m->p);
  free (m->dir);
  free (m->sock);
  th_cleanup ();
}

static const struct og_decision *
check_one_mount (struct mfx *m, const char *mount_json, struct og_decisions *d, struct og_json **out)
{
  og_cleanup_free char *text
      = og_xasprintf ("{\"process\":{},\"root\":{\"path\":\"rootfs\"},\"mounts\":[%s]}", mount_json);
  struct og_json *spec = spec_from (text);

  th_enforce (m->p, spec, "cid", d);
  if (out)
    *out = spec;
  else
    og_json_free (spec);
  return th_find (d, "mounts", OG_DECISION_REFUSE, NULL);
}

START_TEST (socket_spellings_refused)
{
  struct mfx m = { 0 };
  const char *t;
  og_cleanup_free char *link = NULL, *dotdot = NULL, *slashes = NULL;
  char *variants[10];
  size_t n = 0;

  mfx_setup (&m);
  t = th_tmpdir ();
  link = og_xasprintf ("%s/link-to-sock", t);
  ck_assert_int_eq (symlink (m.sock, link), 0);
  dotdot = og_xasprintf ("%s/daemon/../daemon/engine.sock", t);
  slashes = og_xasprintf ("%s//daemon///engine.sock", t);
  variants[n++] = og_xasprintf ("{\"destination\":\"/s\",\"type\":\"bind\",\"source\":\"%s\"}", m.sock);
  variants[n++] = og_xasprintf ("{\"destination\":\"/s\",\"type\":\"bind\",\"source\":\"%s\"}", link);
  variants[n++] = og_xasprintf ("{\"destination\":\"/s\",\"type\":\"bind\",\"source\":\"%s\"}", dotdot);
  variants[n++] = og_xasprintf ("{\"destination\":\"/s\",\"type\":\"bind\",\"source\":\"%s\"}", slashes);
  variants[n++] = og_xstrdup ("{\"destination\":\"/s\",\"type\":\"bind\",\"source\":\"daemon/engine.sock\"}");
  variants[n++] = og_xstrdup ("{\"destination\":\"/s\",\"type\":\"bind\",\"source\":\"./link-to-sock\"}");
  variants[n++]
      = og_xasprintf ("{\"destination\":\"/s\",\"type\":\"none\",\"source\":\"%s\",\"options\":[\"rbind\"]}", m.sock);
  variants[n++] = og_xasprintf ("{\"destination\":\"/s\",\"source\":\"%s\",\"options\":[\"bind\",\"ro\"]}", m.sock);
  variants[n++] = og_xasprintf ("{\"destination\":\"/d\",\"type\":\"bind\",\"source\":\"%s\"}", m.dir);
  variants[n++] = og_xasprintf ("{\"destination\":\"/d\",\"type\":\"bind\",\"source\":\"%s\"}", t);
  for (size_t i = 0; i < n; i++)
    {
      struct og_decisions d = { 0 };
      const struct og_decision *r = check_one_mount (&m, variants[i], &d, NULL);
      ck_assert_msg (r != NULL, "not refused: %s", variants[i]);
      ck_assert_msg (strstr (r->reason, "daemon socket") != NULL, "%s: %s", variants[i], r->reason);
      og_decisions_clear (&d);
      free (variants[i]);
    }
  mfx_free (&m);
}
END_TEST

static size_t
open_fds (void)
{
  og_cleanup_dir DIR *dir = opendir ("/proc/self/fd");
  size_t n = 0;

  ck_assert_ptr_nonnull (dir);
  while (readdir (dir) != NULL)
    n++;
  return n;
}

START_TEST (any_socket_found_by_scan)
{
  struct mfx m = { 0 };
  og_cleanup_free char *deep = NULL, *other = NULL, *mj = NULL;
  struct og_decisions d = { 0 };
  const struct og_decision *r;
  size_t fds;

  mfx_setup (&m);
  deep = og_xasprintf ("%s/vol/a/b", th_tmpdir ());
  {
    og_cleanup_free char *cmd = og_xasprintf ("mkdir -p %s", deep);
    ck_assert_int_eq (system (cmd), 0);
  }
  other = og_xasprintf ("%s/x.sock", deep);
  th_make_socket (other);
  mj = og_xasprintf ("{\"destination\":\"/v\",\"type\":\"bind\",\"source\":\"%s/vol\"}", th_tmpdir ());
  r = check_one_mount (&m, mj, &d, NULL);
  ck_assert_ptr_null (r); /* deny_any_socket off: an unlisted socket is fine */
  og_decisions_clear (&d);
  m.p->mounts.deny_any_socket = true;
  r = check_one_mount (&m, mj, &d, NULL);
  ck_assert_ptr_nonnull (r);
  ck_assert_ptr_nonnull (strstr (r->reason, "contains the socket"));
  ck_assert_ptr_nonnull (strstr (r->reason, "x.sock"));
  og_decisions_clear (&d);
  /* a scan that cannot finish refuses, and closes the directory it stopped
   * at (vol/a/b, too deep, was left open) */
  m.p->mounts.scan_max_depth = 1;
  fds = open_fds ();
  r = check_one_mount (&m, mj, &d, NULL);
  ck_assert_uint_eq (open_fds (), fds);
  ck_assert_ptr_nonnull (r);
  ck_assert_ptr_nonnull (strstr (r->reason, "could not be fully scanned"));
  og_decisions_clear (&d);
  mfx_free (&m);
}
END_TEST

START_TEST (innocent_bind_rewritten_and_hardened)
{
  struct mfx m = { 0 };
  og_cleanup_free char *data = NULL, *link = NULL, *mj = NULL;
  struct og_decisions d = { 0 };
  struct og_json *spec = NULL, *mnt;

  mfx_setup (&m);
  data = og_xasprintf ("%s/data", th_tmpdir ());
  mkdir (data, 0755);
  link = og_xasprintf ("%s/data-link", th_tmpdir ());
  ck_assert_int_eq (symlink (data, link), 0);
  mj = og_xasprintf ("{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"data-link\",\"options\":[\"rbind\","
                     "\"suid\",\"rw\"]}");
  ck_assert_ptr_null (check_one_mount (&m, mj, &d, &spec));
  mnt = og_json_get (spec, "mounts")->vals[0];
  ck_assert_str_eq (og_json_get (mnt, "source")->text, data);
  ck_assert (og_json_array_has_string (og_json_get (mnt, "options"), "nosuid"));
  ck_assert (og_json_array_has_string (og_json_get (mnt, "options"), "nodev"));
  ck_assert (!og_json_array_has_string (og_json_get (mnt, "options"), "suid"));
  ck_assert (og_json_array_has_string (og_json_get (mnt, "options"), "rw"));
  og_json_free (spec);
  og_decisions_clear (&d);
  mfx_free (&m);
}
END_TEST

START_TEST (sensitive_trees_refused)
{
  struct mfx m = { 0 };
  og_cleanup_free char *etc_link = NULL;
  static const char *const sources[] = { "/",    "/etc",     "/etc/passwd", "/proc/1", "/sys",     "/dev/null",
                                         "/run", "/var/run", "/boot",       "/var",    "/var/lib", "/root" };

  mfx_setup (&m);
  for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++)
    {
      og_cleanup_free char *mj = NULL;
      struct og_decisions d = { 0 };
      const struct og_decision *r;

      if (access (sources[i], F_OK) != 0)
        continue;
      mj = og_xasprintf ("{\"destination\":\"/h\",\"type\":\"bind\",\"source\":\"%s\"}", sources[i]);
      r = check_one_mount (&m, mj, &d, NULL);
      ck_assert_msg (r != NULL, "%s not refused", sources[i]);
      og_decisions_clear (&d);
    }
  etc_link = og_xasprintf ("%s/innocent", th_tmpdir ());
  ck_assert_int_eq (symlink ("/etc/../etc//", etc_link), 0);
  {
    struct og_decisions d = { 0 };
    const struct og_decision *r
        = check_one_mount (&m, "{\"destination\":\"/h\",\"type\":\"bind\",\"source\":\"innocent\"}", &d, NULL);
    ck_assert_ptr_nonnull (r);
    ck_assert_str_eq (r->reason, "bind mount of /etc exposes the sensitive host tree /etc");
    og_decisions_clear (&d);
  }
  mfx_free (&m);
}
END_TEST

START_TEST (mount_types)
{
  struct mfx m = { 0 };
  struct og_decisions d = { 0 };

  mfx_setup (&m);
  ck_assert_ptr_nonnull (check_one_mount (
      &m, "{\"destination\":\"/o\",\"type\":\"overlay\",\"source\":\"overlay\",\"options\":[\"lowerdir=/run\"]}", &d,
      NULL));
  og_decisions_clear (&d);
  ck_assert_ptr_nonnull (
      check_one_mount (&m, "{\"destination\":\"/o\",\"type\":\"ext4\",\"source\":\"/dev/sda1\"}", &d, NULL));
  og_decisions_clear (&d);
  ck_assert_ptr_null (
      check_one_mount (&m, "{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"}", &d, NULL));
  og_decisions_clear (&d);
  ck_assert_ptr_nonnull (check_one_mount (&m, "{\"destination\":\"/x\",\"source\":\"/etc\"}", &d, NULL));
  og_decisions_clear (&d);
  /* a missing source cannot be checked: refused, not skipped */
  ck_assert_ptr_nonnull (
      check_one_mount (&m, "{\"destination\":\"/x\",\"type\":\"bind\",\"source\":\"/nonexistent-x\"}", &d, NULL));
  og_decisions_clear (&d);
  mfx_free (&m);
}
END_TEST

START_TEST (root_path_checked)
{
  static const char *const roots[] = { "/", "/var", "/proc/1/root", "/dev", "/sys/fs" };
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");

  for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++)
    {
      og_cleanup_free char *text = og_xasprintf ("{\"process\":{},\"root\":{\"path\":\"%s\"}}", roots[i]);
      og_cleanup_json struct og_json *spec = spec_from (text);
      struct og_decisions d = { 0 };

      th_enforce (p, spec, "x", &d);
      ck_assert_msg (th_find (&d, "mounts", OG_DECISION_REFUSE, "root.path") != NULL, "root %s allowed", roots[i]);
      og_decisions_clear (&d);
    }
  th_cleanup ();
}
END_TEST

/* ---- hooks -------------------------------------------------------------- */

/* A host process that a hook path can name as /proc/<pid>/exe: sleep,
 * exec'd (not this test binary: under valgrind /proc/self/exe is the tool,
 * not the file realpath names).  uid != 0 makes it not a root process. */
struct sleeper
{
  pid_t pid;
  char *exe; /* realpath of the file it runs */
};

static void
sleeper_start (struct sleeper *s, uid_t uid)
{
  int fds[2];
  char c;

  s->exe = realpath ("/bin/sleep", NULL);
  ck_assert_ptr_nonnull (s->exe);
  ck_assert_int_eq (pipe2 (fds, O_CLOEXEC), 0);
  s->pid = fork ();
  ck_assert_int_ge (s->pid, 0);
  if (s->pid == 0)
    {
      if (uid != 0 && setresuid (uid, uid, uid) < 0)
        _exit (1);
      execl (s->exe, "sleep", "60", (char *)NULL);
      _exit (1);
    }
  close (fds[1]);
  /* EOF once the child has exec'd (the pipe is close-on-exec) */
  ck_assert_int_eq (read (fds[0], &c, 1), 0);
  close (fds[0]);
}

static void
sleeper_stop (struct sleeper *s)
{
  if (s->pid > 0)
    {
      kill (s->pid, SIGKILL);
      waitpid (s->pid, NULL, 0);
    }
  free (s->exe);
  s->exe = NULL;
  s->pid = 0;
}

START_TEST (hooks_allowlist)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  struct sleeper sl;
  og_cleanup_free char *link = og_xasprintf ("%s/hook-link", th_tmpdir ());
  og_cleanup_free char *text = NULL;
  struct og_decisions d = { 0 };
  og_cleanup_json struct og_json *spec = NULL;
  struct og_json *h;

  sleeper_start (&sl, 0);
  th_strv_add (&p->hooks.allow, sl.exe);
  ck_assert_int_eq (symlink (sl.exe, link), 0);
  text = og_xasprintf (
      "{\"process\":{},\"root\":{\"path\":\"rootfs\"},\"hooks\":{\"prestart\":[{\"path\":\"/proc/%d/exe\"},"
      "{\"path\":\"%s\"}],\"poststop\":[{\"path\":\"/bin/sh\",\"args\":[\"sh\"]}]}}",
      (int)sl.pid, link);
  spec = spec_from (text);
  th_enforce (p, spec, "x", &d);
  ck_assert_ptr_null (th_find (&d, "hooks", OG_DECISION_REFUSE, "hooks.prestart"));
  ck_assert_ptr_nonnull (th_find (&d, "hooks", OG_DECISION_REFUSE, "hooks.poststop[0].path"));
  h = og_json_path (spec, "hooks", "prestart", NULL);
  ck_assert_str_eq (og_json_get (h->vals[1], "path")->text, sl.exe); /* symlink rewritten */
  ck_assert_str_eq (og_json_get (h->vals[0], "path")->text, sl.exe); /* the same file: no pid to reuse */
  og_decisions_clear (&d);
  sleeper_stop (&sl);
  th_cleanup ();
}
END_TEST

/* ---- update judged as a whole; realtime, unified and RLIMIT_RTPRIO ----- */

struct cpu_state
{
  int64_t quota, period;
  int calls;
};

static int
fake_cpu_now (void *arg, int64_t *quota, int64_t *period)
{
  struct cpu_state *c = arg;
  c->calls++;
  if (c->period == 0)
    return -1;
  *quota = c->quota;
  *period = c->period;
  return 0;
}

static const char *
res_text (struct og_json *res, const char *sec, const char *key)
{
  struct og_json *v = og_json_path (res, sec, key, NULL);
  return v ? v->text : "(absent)";
}

START_TEST (update_quota_zero_judged_with_current_quota)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  struct cpu_state now = { .quota = 200000, .period = 100000 };
  struct og_enforce_ctx ctx = { .policy = p, .cpu_now = fake_cpu_now, .now_arg = &now };
  struct og_error err = { 0 };
  static const char *const sent[]
      = { "{\"cpu\":{\"quota\":0,\"period\":1000}}", "{\"cpu\":{\"period\":1000}}",
          "{\"cpu\":{\"quota\":0,\"period\":1000,\"shares\":1024},\"pids\":{\"limit\":10}}" };

  /* 2 CPUs now; a 1 ms period under that quota would be 200 CPUs */
  for (size_t i = 0; i < sizeof sent / sizeof sent[0]; i++)
    {
      og_cleanup_json struct og_json *res = spec_from (sent[i]);
      struct og_decisions d = { 0 };
      ck_assert_int_eq (og_enforce_update (&ctx, res, &d, &err), 0);
      ck_assert (!og_decisions_refused (&d));
      ck_assert_str_eq (res_text (res, "cpu", "quota"), "8000");
      ck_assert_str_eq (res_text (res, "cpu", "period"), "1000");
      ck_assert_ptr_nonnull (th_find (&d, "resources", OG_DECISION_MUTATE, "resources.cpu.quota"));
      og_decisions_clear (&d);
    }
  /* a longer period under the same quota buys fewer CPUs: untouched */
  {
    og_cleanup_json struct og_json *res = spec_from ("{\"cpu\":{\"quota\":0,\"period\":1000000}}");
    struct og_decisions d = { 0 };
    ck_assert_int_eq (og_enforce_update (&ctx, res, &d, &err), 0);
    ck_assert_uint_eq (d.n, 0);
    ck_assert_str_eq (res_text (res, "cpu", "quota"), "0");
    og_decisions_clear (&d);
  }
  /* an unlimited current quota, or one that cannot be read: the maximum */
  now.quota = -1;
  {
    og_cleanup_json struct og_json *res = spec_from ("{\"cpu\":{\"quota\":0,\"period\":1000000}}");
    struct og_decisions d = { 0 };
    ck_assert_int_eq (og_enforce_update (&ctx, res, &d, &err), 0);
    ck_assert_str_eq (res_text (res, "cpu", "quota"), "8000000");
    og_decisions_clear (&d);
  }
  now.period = 0;
  {
    og_cleanup_json struct og_json *res = spec_from ("{\"cpu\":{\"quota\":0,\"period\":1000}}");
    struct og_decisions d = { 0 };
    ck_assert_int_eq (og_enforce_update (&ctx, res, &d, &err), 0);
    ck_assert_str_eq (res_text (res, "cpu", "quota"), "8000");
    og_decisions_clear (&d);
  }
  /* deny: refused, with the reason */
  p->resources.action = OG_ACTION_DENY;
  now = (struct cpu_state){ .quota = 200000, .period = 100000 };
  {
    og_cleanup_json struct og_json *res = spec_from ("{\"cpu\":{\"quota\":0,\"period\":1000}}");
    struct og_decisions d = { 0 };
    const struct og_decision *r;
    ck_assert_int_eq (og_enforce_update (&ctx, res, &d, &err), 0);
    ck_assert (og_decisions_refused (&d));
    r = th_find (&d, "resources", OG_DECISION_REFUSE, "resources.cpu.quota");
    ck_assert_ptr_nonnull (r);
    ck_assert_ptr_nonnull (strstr (r->reason, "would allow 200.000 CPUs"));
    og_decisions_clear (&d);
  }
}
END_TEST

START_TEST (update_pass_through_reads_nothing)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  struct cpu_state now = { .quota = 200000, .period = 100000 };
  struct og_enforce_ctx ctx = { .policy = p, .cpu_now = fake_cpu_now, .now_arg = &now };
  og_cleanup_json struct og_json *res = th_fixture ("docker-20.10/update.update.json");
  og_cleanup_json struct og_json *zero = spec_from ("{\"cpu\":{\"quota\":0,\"period\":0},\"pids\":{\"limit\":5}}");
  struct og_decisions d = { 0 };
  struct og_error err = { 0 };

  ck_assert_int_eq (og_enforce_update (&ctx, res, &d, &err), 0);
  ck_assert_int_eq (og_enforce_update (&ctx, zero, &d, &err), 0);
  ck_assert_uint_eq (d.n, 0);
  ck_assert_int_eq (now.calls, 0);
  og_decisions_clear (&d);
}
END_TEST

START_TEST (update_memory_with_swap_zero_sets_swap)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  struct og_enforce_ctx ctx = { .policy = p };
  og_cleanup_json struct og_json *res = spec_from ("{\"memory\":{\"limit\":107374182400,\"swap\":0}}");
  og_cleanup_json struct og_json *low = spec_from ("{\"memory\":{\"limit\":536870912,\"swap\":0}}");
  struct og_decisions d = { 0 };
  struct og_error err = { 0 };

  /* runc writes no swap for 0: a memory limit above the memory+swap limit
   * set at create would be refused by the kernel (EINVAL) */
  ck_assert_int_eq (og_enforce_update (&ctx, res, &d, &err), 0);
  ck_assert (!og_decisions_refused (&d));
  ck_assert_str_eq (res_text (res, "memory", "limit"), "17179869184");
  ck_assert_str_eq (res_text (res, "memory", "swap"), "17179869184");
  ck_assert_int_eq (og_enforce_update (&ctx, low, &d, &err), 0);
  ck_assert_str_eq (res_text (low, "memory", "swap"), "536870912");
  og_decisions_clear (&d);
}
END_TEST

static struct og_json *
config_with (const char *resources, const char *rlimits)
{
  og_cleanup_free char *text
      = og_xasprintf ("{\"process\":{\"args\":[\"x\"],\"rlimits\":%s},\"root\":{\"path\":\"rootfs\"},\"linux\":{" NS
                      ",\"resources\":%s}}",
                      rlimits, resources);
  return spec_from (text);
}

START_TEST (realtime_budget_and_rtprio_removed)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  og_cleanup_json struct og_json *spec
      = config_with ("{\"cpu\":{\"realtimeRuntime\":900000,\"realtimePeriod\":1000000}}",
                     "[{\"type\":\"RLIMIT_RTPRIO\",\"hard\":99,\"soft\":99},{\"type\":\"RLIMIT_NOFILE\",\"hard\":"
                     "1024,\"soft\":1024}]");
  og_cleanup_json struct og_json *up = spec_from ("{\"cpu\":{\"realtimeRuntime\":-1}}");
  og_cleanup_json struct og_json *proc
      = spec_from ("{\"args\":[\"x\"],\"rlimits\":[{\"type\":\"RLIMIT_RTPRIO\",\"hard\":10,\"soft\":0}]}");
  struct og_enforce_ctx ctx = { .policy = p };
  struct og_decisions d = { 0 };
  struct og_error err = { 0 };
  struct og_json *rl;

  th_enforce (p, spec, "x", &d);
  ck_assert (!og_decisions_refused (&d));
  ck_assert (num (spec, "linux", "resources", "cpu", "realtimeRuntime") == 0);
  rl = og_json_path (spec, "process", "rlimits", NULL);
  ck_assert_str_eq (og_json_get (rl->vals[0], "hard")->text, "0");
  ck_assert_str_eq (og_json_get (rl->vals[0], "soft")->text, "0");
  ck_assert_str_eq (og_json_get (rl->vals[1], "hard")->text, "1024");
  ck_assert_int_eq (og_enforce_update (&ctx, up, &d, &err), 0);
  ck_assert_str_eq (res_text (up, "cpu", "realtimeRuntime"), "0");
  ck_assert_int_eq (og_enforce_process (&ctx, proc, &d, &err), 0);
  ck_assert_str_eq (og_json_get (og_json_get (proc, "rlimits")->vals[0], "hard")->text, "0");
  og_decisions_clear (&d);
  /* deny refuses them */
  p->resources.action = OG_ACTION_DENY;
  {
    og_cleanup_json struct og_json *again = spec_from ("{\"cpu\":{\"realtimeRuntime\":950000}}");
    ck_assert_int_eq (og_enforce_update (&ctx, again, &d, &err), 0);
    ck_assert_ptr_nonnull (th_find (&d, "resources", OG_DECISION_REFUSE, "resources.cpu.realtimeRuntime"));
  }
  og_decisions_clear (&d);
  th_cleanup ();
}
END_TEST

/* No range: which reasons run without a user namespace (loudly), which are
 * refused; a shared user namespace is joined by the path given. */
START_TEST (userns_without_and_shared)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  og_cleanup_json struct og_json *spec
      = spec_from ("{\"process\":{},\"root\":{\"path\":\"rootfs\"},\"linux\":{" NS "}}");
  const struct og_userns_range range = { 1065536, 65536 };
  struct og_enforce_ctx ctx = { .policy = p, .bundle = th_tmpdir (), .container_id = "x" };
  struct og_decisions d = { 0 };
  struct og_error err = { 0 };
  const struct og_decision *r;
  struct og_json *ns;
  bool joined = false;

  p->userns.mode = OG_USERNS_IF_POSSIBLE;
  /* the host cannot: if-possible runs without, and says so */
  ctx.userns_error = "idmapped mounts are not supported";
  ctx.userns_why = OG_USERNS_MISSING_UNSUPPORTED;
  ck_assert_int_eq (og_enforce_config (&ctx, spec, &d, &err), 0);
  ck_assert (!og_decisions_refused (&d));
  r = th_find (&d, "user_namespace", OG_DECISION_AUDIT, "linux.namespaces");
  ck_assert_ptr_nonnull (r);
  ck_assert_ptr_nonnull (strstr (r->reason, "NO USER NAMESPACE"));
  og_decisions_clear (&d);
  /* what a container's author can bring about: refused unless named */
  ctx.userns_why = OG_USERNS_MISSING_POOL;
  ck_assert_int_eq (og_enforce_config (&ctx, spec, &d, &err), 0);
  ck_assert (og_decisions_refused (&d));
  og_decisions_clear (&d);
  p->userns.without_if_pool_exhausted = true;
  ck_assert_int_eq (og_enforce_config (&ctx, spec, &d, &err), 0);
  ck_assert (!og_decisions_refused (&d));
  r = th_find (&d, "user_namespace", OG_DECISION_AUDIT, "linux.namespaces");
  ck_assert_ptr_nonnull (strstr (r->reason, "allow_without \"pool-exhausted\""));
  og_decisions_clear (&d);
  ctx.userns_why = OG_USERNS_MISSING_PIDNS;
  ck_assert_int_eq (og_enforce_config (&ctx, spec, &d, &err), 0);
  ck_assert (og_decisions_refused (&d));
  og_decisions_clear (&d);
  p->userns.without_if_shared_pid_ns = true;
  ck_assert_int_eq (og_enforce_config (&ctx, spec, &d, &err), 0);
  ck_assert (!og_decisions_refused (&d));
  og_decisions_clear (&d);
  /* an id runc refuses, a container that exists: refused whatever the policy allows */
  ctx.userns_why = OG_USERNS_MISSING_REFUSED;
  ck_assert_int_eq (og_enforce_config (&ctx, spec, &d, &err), 0);
  ck_assert (og_decisions_refused (&d));
  og_decisions_clear (&d);
  /* shared: the user namespace is joined by our path, with the owner's range */
  ctx.userns = &range;
  ctx.userns_join = "/run/ocigate/stage/k/ns/user";
  ctx.userns_owner = "owner";
  ck_assert_int_eq (og_enforce_config (&ctx, spec, &d, &err), 0);
  ck_assert (!og_decisions_refused (&d));
  ns = og_json_path (spec, "linux", "namespaces", NULL);
  for (size_t i = 0; i < ns->n; i++)
    joined |= strcmp (og_json_get (ns->vals[i], "type")->text, "user") == 0 && og_json_get (ns->vals[i], "path")
              && strcmp (og_json_get (ns->vals[i], "path")->text, ctx.userns_join) == 0;
  ck_assert (joined);
  r = th_find (&d, "user_namespace", OG_DECISION_AUDIT, "linux.namespaces");
  ck_assert_ptr_nonnull (strstr (r->reason, "user namespace shared with container owner: host ids 1065536-1131071"));
  og_decisions_clear (&d);
  th_cleanup ();
}
END_TEST

/* A pod's container joins its sandbox's network namespace, as judged: the
 * path becomes the runtime's pin (runc 1.2 and later join it as host root,
 * before the user namespace); the pid namespace, new, is left alone. */
START_TEST (userns_joined_namespace_pinned)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  og_cleanup_json struct og_json *spec
      = spec_from ("{\"process\":{},\"root\":{\"path\":\"rootfs\"},\"linux\":{\"namespaces\":[{\"type\":\"pid\"},"
                   "{\"type\":\"network\",\"path\":\"/proc/42/ns/net\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},"
                   "{\"type\":\"mount\"}]}}");
  const struct og_userns_range range = { 1065536, 65536 };
  struct og_enforce_ctx ctx = { .policy = p,
                                .bundle = th_tmpdir (),
                                .container_id = "x",
                                .userns = &range,
                                .userns_join = "/s/ns/user",
                                .userns_join_kind = OG_USERNS_JOIN_POD,
                                .userns_owner = "sb",
                                .userns_joined_ns = "/s/ns/net" };
  struct og_decisions d = { 0 };
  struct og_error err = { 0 };
  struct og_json *ns;
  bool pinned = false;

  p->userns.mode = OG_USERNS_REQUIRED;
  p->namespaces.action = OG_ACTION_AUDIT; /* /proc/42 is whatever process this host has */
  ck_assert_int_eq (og_enforce_config (&ctx, spec, &d, &err), 0);
  ck_assert (!og_decisions_refused (&d));
  ns = og_json_path (spec, "linux", "namespaces", NULL);
  for (size_t i = 0; i < ns->n; i++)
    {
      const char *type = og_json_get (ns->vals[i], "type")->text;
      struct og_json *path = og_json_get (ns->vals[i], "path");
      if (strcmp (type, "network") == 0)
        ck_assert_str_eq (path->text, "/s/ns/net");
      else if (strcmp (type, "pid") == 0)
        ck_assert_ptr_null (path);
    }
  for (size_t i = 0; i < d.n && !pinned; i++)
    pinned = d.v[i].kind == OG_DECISION_MUTATE
             && strstr (d.v[i].reason, "the network namespace judged at /proc/42/ns/net, pinned") != NULL;
  ck_assert (pinned);
  og_decisions_clear (&d);
  th_cleanup ();
}
END_TEST

START_TEST (unified_judged)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  og_cleanup_json struct og_json *spec = config_with (
      "{\"unified\":{\"pids.max\":\"max\",\"memory.max\":\"max\",\"cpu.max\":\"max\",\"memory.swap.max\":"
      "\"99999999999\",\"memory.high\":\"max\",\"cpu.weight\":\"100\"}}",
      "[]");
  og_cleanup_json struct og_json *up = spec_from ("{\"unified\":{\"cpu.max\":\"50000\",\"pids.max\":\"100\"}}");
  struct og_enforce_ctx ctx = { .policy = p };
  struct og_decisions d = { 0 };
  struct og_error err = { 0 };
  struct og_json *u;
  static const char *const bad[][2] = {
    { "{\"unified\":{\"cgroup.procs\":\"1\"}}", "not one ocigate judges" },
    { "{\"unified\":{\"memory.min\":\"1000000\"}}", "not one ocigate judges" },
    { "{\"unified\":{\"memory.max\":\"1G\"}}", "\"max\" or a decimal number" },
    { "{\"unified\":{\"pids.max\":\" 5\"}}", "\"max\" or a decimal number" },
    { "{\"unified\":{\"cpu.max\":\"max 10\"}}", "QUOTA PERIOD" },
    { "{\"unified\":{\"pids.max\":5}}", "a string" },
    { "{\"unified\":[]}", "an object of strings" },
  };

  th_enforce (p, spec, "x", &d);
  ck_assert (!og_decisions_refused (&d));
  u = og_json_path (spec, "linux", "resources", "unified", NULL);
  ck_assert_str_eq (og_json_get (u, "pids.max")->text, "32768");
  ck_assert_str_eq (og_json_get (u, "memory.max")->text, "17179869184");
  ck_assert_str_eq (og_json_get (u, "cpu.max")->text, "800000 100000");
  ck_assert_str_eq (og_json_get (u, "memory.swap.max")->text, "1073741824");
  ck_assert_str_eq (og_json_get (u, "memory.high")->text, "max");
  ck_assert_str_eq (og_json_get (u, "cpu.weight")->text, "100");
  og_decisions_clear (&d);
  /* on update too; a quota without a period gets the one it was judged at */
  ck_assert_int_eq (og_enforce_update (&ctx, up, &d, &err), 0);
  ck_assert_uint_eq (d.n, 1);
  ck_assert_str_eq (res_text (up, "unified", "cpu.max"), "50000 100000");
  ck_assert_str_eq (res_text (up, "unified", "pids.max"), "100");
  og_decisions_clear (&d);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      og_cleanup_json struct og_json *res = spec_from (bad[i][0]);
      const struct og_decision *r;
      ck_assert_int_eq (og_enforce_update (&ctx, res, &d, &err), 0);
      r = th_find (&d, "resources", OG_DECISION_REFUSE, "resources.unified");
      ck_assert_msg (r != NULL, "%s not refused", bad[i][0]);
      ck_assert_msg (strstr (r->reason, bad[i][1]) != NULL, "%s: %s", bad[i][0], r->reason);
      og_decisions_clear (&d);
    }
  /* deny: a value above the maximum is refused, not rewritten */
  p->resources.action = OG_ACTION_DENY;
  {
    og_cleanup_json struct og_json *res = spec_from ("{\"unified\":{\"memory.max\":\"max\"}}");
    ck_assert_int_eq (og_enforce_update (&ctx, res, &d, &err), 0);
    ck_assert (og_decisions_refused (&d));
    ck_assert_str_eq (res_text (res, "unified", "memory.max"), "max");
  }
  og_decisions_clear (&d);
  th_cleanup ();
}
END_TEST

static int
fake_memory_now (void *arg, int64_t *limit)
{
  struct cpu_state *c = arg;
  c->calls++;
  *limit = c->quota;
  return c->period ? 0 : -1;
}

START_TEST (update_swap_alone_counted_on_current_memory)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  struct cpu_state now = { .quota = 1LL << 30, .period = 1 };
  struct og_enforce_ctx ctx = { .policy = p, .memory_now = fake_memory_now, .now_arg = &now };
  struct og_decisions d = { 0 };
  struct og_error err = { 0 };

  /* 1 GiB now: memory+swap of 17 GiB would be 16 GiB of swap */
  {
    og_cleanup_json struct og_json *res = spec_from ("{\"memory\":{\"swap\":18253611008}}");
    ck_assert_int_eq (og_enforce_update (&ctx, res, &d, &err), 0);
    ck_assert_str_eq (res_text (res, "memory", "swap"), "2147483648");
    og_decisions_clear (&d);
  }
  {
    og_cleanup_json struct og_json *res = spec_from ("{\"memory\":{\"swap\":-1}}");
    ck_assert_int_eq (og_enforce_update (&ctx, res, &d, &err), 0);
    ck_assert_str_eq (res_text (res, "memory", "swap"), "2147483648");
    og_decisions_clear (&d);
  }
  /* unknown: the largest memory limit the policy allows */
  now.period = 0;
  {
    og_cleanup_json struct og_json *res = spec_from ("{\"memory\":{\"swap\":18253611008}}");
    ck_assert_int_eq (og_enforce_update (&ctx, res, &d, &err), 0);
    ck_assert_str_eq (res_text (res, "memory", "swap"), "18253611008");
    og_decisions_clear (&d);
  }
  /* nothing is read when memory is sent too */
  now.calls = 0;
  {
    og_cleanup_json struct og_json *res = spec_from ("{\"memory\":{\"limit\":1073741824,\"swap\":2147483648}}");
    ck_assert_int_eq (og_enforce_update (&ctx, res, &d, &err), 0);
    ck_assert_uint_eq (d.n, 0);
    ck_assert_int_eq (now.calls, 0);
    og_decisions_clear (&d);
  }
}
END_TEST

START_TEST (update_quota_below_kernel_minimum_refused)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  struct cpu_state now = { .quota = 200000, .period = 100000 };
  struct og_enforce_ctx ctx = { .policy = p, .cpu_now = fake_cpu_now, .now_arg = &now };
  struct og_decisions d = { 0 };
  struct og_error err = { 0 };

  /* runc would write the period, fail on the quota and keep the period */
  {
    og_cleanup_json struct og_json *res = spec_from ("{\"cpu\":{\"quota\":500,\"period\":1000}}");
    ck_assert_int_eq (og_enforce_update (&ctx, res, &d, &err), 0);
    ck_assert_ptr_nonnull (th_find (&d, "resources", OG_DECISION_REFUSE, "resources.cpu.quota"));
    og_decisions_clear (&d);
  }
  /* half a CPU at most: no quota of 1 ms or more fits a 1 ms period */
  p->resources.cpu.max = 500;
  p->resources.cpu.def = 500;
  {
    og_cleanup_json struct og_json *res = spec_from ("{\"cpu\":{\"quota\":0,\"period\":1000}}");
    const struct og_decision *r;
    ck_assert_int_eq (og_enforce_update (&ctx, res, &d, &err), 0);
    r = th_find (&d, "resources", OG_DECISION_REFUSE, "resources.cpu.quota");
    ck_assert_ptr_nonnull (r);
    ck_assert_ptr_nonnull (strstr (r->reason, "below the kernel's minimum of 1000 us"));
    og_decisions_clear (&d);
  }
  {
    og_cleanup_json struct og_json *res = spec_from ("{\"cpu\":{\"quota\":-1,\"period\":1000}}");
    ck_assert_int_eq (og_enforce_update (&ctx, res, &d, &err), 0);
    ck_assert (og_decisions_refused (&d));
    og_decisions_clear (&d);
  }
  /* a 2 ms period fits exactly */
  {
    og_cleanup_json struct og_json *res = spec_from ("{\"cpu\":{\"quota\":0,\"period\":2000}}");
    ck_assert_int_eq (og_enforce_update (&ctx, res, &d, &err), 0);
    ck_assert (!og_decisions_refused (&d));
    ck_assert_str_eq (res_text (res, "cpu", "quota"), "1000");
    og_decisions_clear (&d);
  }
}
END_TEST

START_TEST (update_clamped_memory_keeps_the_swap_asked_for)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  struct og_enforce_ctx ctx = { .policy = p };
  struct og_decisions d = { 0 };
  struct og_error err = { 0 };
  static const char *const cases[][2] = {
    /* --memory 100g --memory-swap 100g: no swap asked, none given */
    { "{\"memory\":{\"limit\":107374182400,\"swap\":107374182400}}", "17179869184" },
    /* 100 GiB of swap asked: the 1 GiB maximum */
    { "{\"memory\":{\"limit\":107374182400,\"swap\":214748364800}}", "18253611008" },
    /* 512 MiB asked */
    { "{\"memory\":{\"limit\":107374182400,\"swap\":107911053312}}", "17716740096" },
  };

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      og_cleanup_json struct og_json *res = spec_from (cases[i][0]);
      ck_assert_int_eq (og_enforce_update (&ctx, res, &d, &err), 0);
      ck_assert (!og_decisions_refused (&d));
      ck_assert_str_eq (res_text (res, "memory", "limit"), "17179869184");
      ck_assert_str_eq (res_text (res, "memory", "swap"), cases[i][1]);
      og_decisions_clear (&d);
    }
}
END_TEST

/* ---- mount red-team findings (issues 17 and 20) -------------------------- */

/* mkdir of a path below the temp dir (it may exist). */
static void
tmp_mkdir (const char *rel)
{
  og_cleanup_free char *path = og_xasprintf ("%s/%s", th_tmpdir (), rel);
  mkdir (path, 0755);
}

/* The refusal reason the mounts rule gives one mount, or NULL. */
static char *
mount_refusal (struct mfx *m, const char *mount_json)
{
  struct og_decisions d = { 0 };
  const struct og_decision *r;
  char *reason;

  tmp_mkdir ("rootfs");
  r = check_one_mount (m, mount_json, &d, NULL);
  reason = r ? og_xstrdup (r->reason) : NULL;
  og_decisions_clear (&d);
  return reason;
}

START_TEST (kernel_fs_only_at_their_places)
{
  static const char *const allowed[] = {
    "{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"}",
    "{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\"}",
    "{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\"}",
    "{\"destination\":\"/sys/fs/cgroup/\",\"type\":\"cgroup2\",\"source\":\"cgroup2\"}",
    "{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\"}",
    "{\"destination\":\"/tmp\",\"type\":\"tmpfs\",\"source\":\"tmpfs\"}",
  };
  static const struct
  {
    const char *mount, *reason;
  } refused[] = {
    { "{\"destination\":\"/mnt\",\"type\":\"proc\",\"source\":\"proc\"}",
      "a proc filesystem may only be mounted at /proc" },
    { "{\"destination\":\"/proc/../mnt\",\"type\":\"proc\"}", "(not /proc/../mnt = /mnt)" },
    { "{\"destination\":\"/mnt\",\"type\":\"sysfs\"}", "a sysfs filesystem may only be mounted at /sys" },
    { "{\"destination\":\"/sys/fs/cgroup/x\",\"type\":\"cgroup2\"}", "may only be mounted at /sys/fs/cgroup" },
    { "{\"destination\":\"/proc/sys\",\"type\":\"tmpfs\"}", "mount destination /proc/sys is in /proc or /sys" },
    { "{\"destination\":\"/tmp/../sys/kernel\",\"type\":\"tmpfs\"}", "resolves to /sys/kernel" },
    { "{\"destination\":\"/sys\",\"type\":\"tmpfs\"}", "is in /proc or /sys" },
    { "{\"destination\":\"/cg/pids\",\"type\":\"tmpfs\"}", "/cg/pids resolves to /sys/fs/cgroup/pids" },
    { "{\"destination\":\"/up/../../../proc/x\",\"type\":\"tmpfs\"}", "resolves to /proc/x" },
    { "{\"destination\":\"/cg\",\"type\":\"cgroup\"}", "(not /cg = /sys/fs/cgroup)" },
    { "{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"options\":[\"remount\"]}",
      "\"remount\" is not allowed" },
  };
  struct mfx m = { 0 };
  og_cleanup_free char *link = NULL, *empty = NULL, *bind = NULL;

  mfx_setup (&m);
  tmp_mkdir ("rootfs");
  link = og_xasprintf ("%s/rootfs/cg", th_tmpdir ());
  ck_assert_int_eq (symlink ("../sys/fs/cgroup", link), 0);
  empty = og_xasprintf ("%s/empty", th_tmpdir ());
  mkdir (empty, 0755);
  for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
    {
      og_cleanup_free char *r = mount_refusal (&m, allowed[i]);
      ck_assert_msg (r == NULL, "%s refused: %s", allowed[i], r);
    }
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
    {
      og_cleanup_free char *r = mount_refusal (&m, refused[i].mount);
      ck_assert_msg (r != NULL, "%s allowed", refused[i].mount);
      ck_assert_msg (strstr (r, refused[i].reason) != NULL, "%s: %s", refused[i].mount, r);
    }
  /* a bind, with or without a kernel type, over /proc or into the cgroup tree */
  bind = og_xasprintf ("{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"%s\",\"options\":[\"bind\"]}", empty);
  {
    og_cleanup_free char *r = mount_refusal (&m, bind);
    ck_assert_ptr_nonnull (r);
    ck_assert_ptr_nonnull (strstr (r, "is in /proc or /sys"));
  }
  free (bind);
  bind = og_xasprintf ("{\"destination\":\"/sys/fs/cgroup/"
                       "pids\",\"type\":\"bind\",\"source\":\"%s\",\"options\":[\"bind\",\"remount\"]}",
                       empty);
  {
    og_cleanup_free char *r = mount_refusal (&m, bind);
    ck_assert_ptr_nonnull (r);
    ck_assert_ptr_nonnull (strstr (r, "\"remount\" is not allowed"));
  }
  mfx_free (&m);
}
END_TEST

START_TEST (destination_through_an_earlier_bind)
{
  struct mfx m = { 0 };
  og_cleanup_free char *planted = NULL, *link = NULL, *text = NULL, *r = NULL;

  mfx_setup (&m);
  planted = og_xasprintf ("%s/planted", th_tmpdir ());
  mkdir (planted, 0755);
  link = og_xasprintf ("%s/p", planted);
  ck_assert_int_eq (symlink ("/proc", link), 0);
  text = og_xasprintf ("{\"destination\":\"/mnt\",\"type\":\"bind\",\"source\":\"%s\"},"
                       "{\"destination\":\"/mnt/p/sys\",\"type\":\"tmpfs\"}",
                       planted);
  r = mount_refusal (&m, text);
  ck_assert_ptr_nonnull (r);
  ck_assert_msg (strstr (r, "/mnt/p/sys resolves to /proc/sys") != NULL, "%s", r);
  free (text);
  free (r);
  /* a tmpfs mounted over /mnt first: the bind's symlink is hidden again */
  text = og_xasprintf ("{\"destination\":\"/mnt\",\"type\":\"bind\",\"source\":\"%s\"},"
                       "{\"destination\":\"/mnt\",\"type\":\"tmpfs\"},"
                       "{\"destination\":\"/mnt/p/sys\",\"type\":\"tmpfs\"}",
                       planted);
  r = mount_refusal (&m, text);
  ck_assert_msg (r == NULL, "%s", r);
  free (text);
  free (r);
  /* the latest covering mount wins, not the deepest: a tmpfs at /mnt/p
   * made before the bind of /mnt is covered by it */
  text = og_xasprintf ("{\"destination\":\"/mnt/p\",\"type\":\"tmpfs\"},"
                       "{\"destination\":\"/mnt/q\",\"type\":\"tmpfs\"},"
                       "{\"destination\":\"/mnt\",\"type\":\"bind\",\"source\":\"%s\"},"
                       "{\"destination\":\"/mnt/pp\",\"type\":\"tmpfs\"},"
                       "{\"destination\":\"/mnt/p/sys\",\"type\":\"tmpfs\"}",
                       planted);
  r = mount_refusal (&m, text);
  ck_assert_ptr_nonnull (r);
  ck_assert_msg (strstr (r, "/mnt/p/sys resolves to /proc/sys") != NULL, "%s", r);
  mfx_free (&m);
}
END_TEST

START_TEST (options_undoing_forced_ones_stripped)
{
  struct mfx m = { 0 };
  struct og_decisions d = { 0 };
  struct og_json *spec = NULL, *opts;
  og_cleanup_free char *data = NULL, *text = NULL;
  static const char *const undo[] = { "suid", "dev", "rsuid", "rdev", "rw", "rrw", "exec", "rexec" };

  mfx_setup (&m);
  th_strv_add (&m.p->mounts.force_options, "ro");
  th_strv_add (&m.p->mounts.force_options, "rnoexec");
  data = og_xasprintf ("%s/data", th_tmpdir ());
  mkdir (data, 0755);
  tmp_mkdir ("rootfs");
  text = og_xasprintf ("{\"destination\":\"/d\",\"type\":\"bind\",\"source\":\"%s\",\"options\":[\"rbind\",\"suid\","
                       "\"dev\",\"rsuid\",\"rdev\",\"rw\",\"rrw\",\"exec\",\"rexec\",\"nosymfollow\"]}",
                       data);
  ck_assert_ptr_null (check_one_mount (&m, text, &d, &spec));
  opts = og_json_get (og_json_get (spec, "mounts")->vals[0], "options");
  for (size_t i = 0; i < sizeof undo / sizeof undo[0]; i++)
    ck_assert_msg (!og_json_array_has_string (opts, undo[i]), "%s kept", undo[i]);
  ck_assert (og_json_array_has_string (opts, "nosuid"));
  ck_assert (og_json_array_has_string (opts, "nodev"));
  ck_assert (og_json_array_has_string (opts, "ro"));
  ck_assert (og_json_array_has_string (opts, "rnoexec"));
  ck_assert (og_json_array_has_string (opts, "rbind"));
  ck_assert (og_json_array_has_string (opts, "nosymfollow"));
  og_json_free (spec);
  og_decisions_clear (&d);
  mfx_free (&m);
}
END_TEST

START_TEST (sysfs_rrw_stripped)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  og_cleanup_json struct og_json *spec
      = spec_from ("{\"process\":{},\"root\":{\"path\":\"rootfs\"},\"linux\":{},\"mounts\":[{\"destination\":\"/sys\","
                   "\"type\":\"sysfs\",\"options\":[\"ro\",\"rrw\"]}]}");
  struct og_decisions d = { 0 };
  struct og_json *opts;

  tmp_mkdir ("rootfs");
  th_enforce (p, spec, "x", &d);
  opts = og_json_get (og_json_get (spec, "mounts")->vals[0], "options");
  ck_assert (!og_json_array_has_string (opts, "rrw"));
  ck_assert (og_json_array_has_string (opts, "ro"));
  og_decisions_clear (&d);
  th_cleanup ();
}
END_TEST

START_TEST (rootfs_propagation_recursive)
{
  static const char *const leaking[] = { "private", "slave", "unbindable", "shared", "rshared", "bogus" };
  static const char *const kept[] = { "rslave", "rprivate", "runbindable" };
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");

  tmp_mkdir ("rootfs");
  for (size_t i = 0; i < sizeof leaking / sizeof leaking[0] + sizeof kept / sizeof kept[0]; i++)
    {
      bool leaks = i < sizeof leaking / sizeof leaking[0];
      const char *v = leaks ? leaking[i] : kept[i - sizeof leaking / sizeof leaking[0]];
      og_cleanup_free char *text = og_xasprintf (
          "{\"process\":{},\"root\":{\"path\":\"rootfs\"},\"linux\":{\"rootfsPropagation\":\"%s\"}}", v);
      og_cleanup_json struct og_json *spec = spec_from (text);
      struct og_decisions d = { 0 };

      th_enforce (p, spec, "x", &d);
      ck_assert_str_eq (og_json_path (spec, "linux", "rootfsPropagation", NULL)->text, leaks ? "rslave" : v);
      og_decisions_clear (&d);
    }
  th_cleanup ();
}
END_TEST

START_TEST (scan_budget_per_create)
{
  struct mfx m = { 0 };
  og_cleanup_free char *dir = NULL, *one = NULL, *two = NULL, *many = NULL, *r = NULL;

  mfx_setup (&m);
  m.p->mounts.scan_max_entries = 150;
  dir = og_xasprintf ("%s/big", th_tmpdir ());
  mkdir (dir, 0755);
  for (int i = 0; i < 100; i++)
    {
      og_cleanup_free char *f = og_xasprintf ("%s/f%d", dir, i);
      close (open (f, O_CREAT | O_WRONLY, 0644));
    }
  one = og_xasprintf ("{\"destination\":\"/a\",\"type\":\"bind\",\"source\":\"%s\"}", dir);
  r = mount_refusal (&m, one);
  ck_assert_msg (r == NULL, "%s", r);
  /* the same 100 entries twice are more than the one budget of 150 */
  two = og_xasprintf ("%s,{\"destination\":\"/b\",\"type\":\"bind\",\"source\":\"%s\"}", one, dir);
  r = mount_refusal (&m, two);
  ck_assert_ptr_nonnull (r);
  ck_assert_msg (strstr (r, "the scan budget of one create (150 entries") != NULL, "%s", r);
  free (r);
  /* and a cap on the number of mounts */
  m.p->mounts.max_mounts = 2;
  many = og_xstrdup ("{\"destination\":\"/1\",\"type\":\"tmpfs\"},{\"destination\":\"/2\",\"type\":\"tmpfs\"},"
                     "{\"destination\":\"/3\",\"type\":\"tmpfs\"}");
  r = mount_refusal (&m, many);
  ck_assert_ptr_nonnull (r);
  /* three, and the rootfs rule's tmpfs mounts */
  ck_assert_msg (strstr (r, " mounts are more than mounts.scan.max_mounts (2) allows") != NULL, "%s", r);
  mfx_free (&m);
}
END_TEST

/* Each line's numbers, escaped paths and type; a number past 64 bits is a
 * line that does not parse, as strtoull read it. */
START_TEST (mountinfo_fields)
{
  static const char good[] = "18446744073709551615 1 4294967295:7 /a\\134b\\011c /m\\040n rw - fuse.x src rw\n";
  static const char bad[] = "18446744073709551616 1 8:1 / / rw - ext4 /dev/vda rw\n";
  og_cleanup_free char *file = og_xasprintf ("%s/mountinfo-fields", th_tmpdir ());
  struct og_mounttable t = { 0 };
  struct og_error err = { 0 };
  FILE *f = fopen (file, "w");

  ck_assert_ptr_nonnull (f);
  fputs (good, f);
  fclose (f);
  ck_assert_int_eq (og_mounttable_read (file, &t, &err), 0);
  ck_assert_uint_eq (t.n, 1);
  ck_assert (t.v[0].id == UINT64_MAX);
  ck_assert_uint_eq (t.v[0].major, 4294967295u);
  ck_assert_uint_eq (t.v[0].minor, 7);
  ck_assert_str_eq (t.v[0].root, "/a\\b\tc");
  ck_assert_str_eq (t.v[0].point, "/m n");
  ck_assert_str_eq (t.v[0].fstype, "fuse.x");
  og_mounttable_free (&t);
  f = fopen (file, "w");
  ck_assert_ptr_nonnull (f);
  fputs (bad, f);
  fclose (f);
  ck_assert_int_lt (og_mounttable_read (file, &t, &err), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, "does not parse as mountinfo"));
  og_error_clear (&err);
}
END_TEST

START_TEST (mountinfo_aliases)
{
  static const char table[] = "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
                              "30 27 0:25 / /run rw - tmpfs tmpfs rw\n"
                              "40 27 254:0 /etc /var/lib/docker/volumes/v/_data rw - ext4 /dev/vda rw\n"
                              "41 27 0:25 /docker /var/lib/docker/volumes/r/_data rw - tmpfs tmpfs rw\n"
                              "42 27 0:77 / /var/lib/docker/volumes/m/_data rw - tmpfs tmpfs rw\n"
                              "43 27 254:0 / /mnt/with\\040space rw - ext4 /dev/vda rw\n";
  og_cleanup_free char *file = og_xasprintf ("%s/mountinfo", th_tmpdir ());
  struct og_mounttable t = { 0 };
  struct og_error err = { 0 };
  const struct og_mount *m;
  FILE *f = fopen (file, "w");

  ck_assert_ptr_nonnull (f);
  fputs (table, f);
  fclose (f);
  ck_assert_int_eq (og_mounttable_read (file, &t, &err), 0);
  ck_assert_uint_eq (t.n, 6);
  ck_assert_str_eq (t.v[5].point, "/mnt/with space");
  /* paths that do not exist here are found by their longest mount point */
  m = og_mounttable_backing (&t, "/var/lib/docker/volumes/v/_data/passwd");
  ck_assert_uint_eq (m->id, 40);
  ck_assert_ptr_eq (og_mounttable_first_of (&t, m), &t.v[0]);
  {
    og_cleanup_strv char **a = og_mounttable_aliases (&t, m, "/var/lib/docker/volumes/v/_data/passwd");
    ck_assert_uint_eq (og_strv_len (a), 2);
    ck_assert_str_eq (a[0], "/etc/passwd");
    ck_assert_str_eq (a[1], "/mnt/with space/etc/passwd");
  }
  m = og_mounttable_backing (&t, "/var/lib/docker/volumes/r/_data");
  {
    og_cleanup_strv char **a = og_mounttable_aliases (&t, m, "/var/lib/docker/volumes/r/_data");
    ck_assert_uint_eq (og_strv_len (a), 1);
    ck_assert_str_eq (a[0], "/run/docker");
  }
  /* a fresh tmpfs is its own first mount, with no other name */
  m = og_mounttable_backing (&t, "/var/lib/docker/volumes/m/_data");
  ck_assert_ptr_eq (og_mounttable_first_of (&t, m), m);
  {
    og_cleanup_strv char **a = og_mounttable_aliases (&t, m, "/var/lib/docker/volumes/m/_data");
    ck_assert_uint_eq (og_strv_len (a), 0);
  }
  og_mounttable_free (&t);
  th_cleanup ();
}
END_TEST

/* ---- issue 17 items 1, 2, 4, 5 / issue 20 item 6 --------------------------- */

/* `tmpl` with "@T" replaced by t and "@I" by id. */
static char *
subst (const char *tmpl, const char *t, const char *id)
{
  struct og_buf b = { 0 };

  for (const char *p = tmpl; *p; p++)
    if (p[0] == '@' && p[1] == 'T')
      og_buf_puts (&b, t), p++;
    else if (p[0] == '@' && p[1] == 'I')
      og_buf_puts (&b, id), p++;
    else
      og_buf_put (&b, p, 1);
  return b.buf;
}

/* Docker's own hook on the docker-20.10 fixture, with "dockerd" being this
 * test binary (a link named dockerd on the allowlist): the exact shape
 * passes, every other shape, argv[0], environment or bundle is refused. */
START_TEST (hooks_docker_shape)
{
  static const struct
  {
    const char *args, *env, *bundle_leaf; /* bundle_leaf NULL: <id> */
    bool refused;
  } rows[] = {
    { "[\"libnetwork-setkey\",\"-exec-root=@T/exec\",\"@I\",\"0123456789ab\"]", NULL, NULL, false },
    { "[\"libnetwork-setkey\",\"-exec-root=@T/exec\",\"@I\",\"0123456789ab\"]", "[\"TRACEPARENT=00-1-2-01\"]", NULL,
      false },
    { "[\"netns-create\",\"@T/exec\",\"@I\"]", NULL, NULL, true },
    { "[\"libnetwork-setkey\",\"-exec-root=@T/exec\",\"@I\",\"0123456789ab\",\"x\"]", NULL, NULL, true },
    { "[\"libnetwork-setkey\",\"-exec-root=@T/exec\",\"other@I\",\"0123456789ab\"]", NULL, NULL, true },
    { "[\"libnetwork-setkey\",\"-exec-root=@T/exec\",\"@I\",\"0123456789AB\"]", NULL, NULL, true },
    { "[\"libnetwork-setkey\",\"-exec-root=@T/exec/../exec\",\"@I\",\"0123456789ab\"]", NULL, NULL, true },
    { "[\"libnetwork-setkey\",\"-exec-root=@T/nowhere\",\"@I\",\"0123456789ab\"]", NULL, NULL, true },
    { "[\"libnetwork-setkey\",\"-exec-root=@T/exec\",\"@I\",\"0123456789ab\"]", "[\"LD_PRELOAD=/x.so\"]", NULL, true },
    { "[\"libnetwork-setkey\",\"-exec-root=@T/exec\",\"@I\",\"0123456789ab\"]", "[\"HTTP_PROXY=x\"]", NULL, true },
    { "[\"libnetwork-setkey\",\"-exec-root=@T/exec\",\"@I\",\"0123456789ab\"]", NULL, "userdata", true },
  };
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  og_cleanup_json struct og_json *spec = th_fixture ("docker-20.10/default.config.json");
  struct sleeper sl;
  const char *tmp = th_tmpdir ();
  og_cleanup_free char *link = og_xasprintf ("%s/dockerd", tmp);
  og_cleanup_free char *exec_dir = og_xasprintf ("%s/exec/libnetwork", tmp);
  og_cleanup_free char *sock = og_xasprintf ("%s/0123456789ab.sock", exec_dir);
  og_cleanup_free char *bundle
      = og_xasprintf ("%s/moby/%s", tmp, rows[_i].bundle_leaf ? rows[_i].bundle_leaf : DOCKER_DEFAULT_ID);
  og_cleanup_free char *args = subst (rows[_i].args, tmp, DOCKER_DEFAULT_ID);
  og_cleanup_free char *hook = NULL;
  struct og_enforce_ctx ctx = { .policy = p, .bundle = bundle, .container_id = DOCKER_DEFAULT_ID };
  struct og_error err = { 0 };
  struct og_decisions d = { 0 };
  og_cleanup_json struct og_json *h = NULL;
  struct og_json *hooks = og_json_new (OG_JSON_OBJECT), *pre = og_json_new (OG_JSON_ARRAY);

  sleeper_start (&sl, 0);
  hook = og_xasprintf ("{\"path\":\"/proc/%d/exe\",\"args\":%s%s%s}", (int)sl.pid, args,
                       rows[_i].env ? ",\"env\":" : "", rows[_i].env ? rows[_i].env : "");
  h = spec_from (hook);
  ck_assert_int_eq (symlink (sl.exe, link), 0);
  ck_assert_int_eq (og_mkdir_p (exec_dir, 0755, 0755), 0);
  ck_assert_int_eq (og_mkdir_p (bundle, 0755, 0755), 0);
  th_make_socket (sock);
  th_strv_add (&p->hooks.allow, link);
  og_json_append (pre, og_steal_pointer (&h));
  og_json_set (hooks, "prestart", pre);
  og_json_set (spec, "hooks", hooks);
  ck_assert_int_eq (og_enforce_config (&ctx, spec, &d, &err), 0);
  if (rows[_i].refused)
    ck_assert_msg (th_find (&d, "hooks", OG_DECISION_REFUSE, "hooks.prestart[0]") != NULL, "row %d allowed", _i);
  else
    {
      ck_assert_msg (th_find (&d, "hooks", OG_DECISION_REFUSE, NULL) == NULL, "row %d refused: %s", _i,
                     th_find (&d, "hooks", OG_DECISION_REFUSE, NULL)->reason);
      /* the same file as the running process: given to runc by its path */
      ck_assert_str_eq (og_json_path (spec, "hooks", "prestart", NULL)->vals[0]->keys[0], "path");
      ck_assert_str_eq (og_json_path (spec, "hooks", "prestart", NULL)->vals[0]->vals[0]->text, sl.exe);
    }
  og_decisions_clear (&d);
  sleeper_stop (&sl);
  th_cleanup ();
}
END_TEST

START_TEST (system_trees_and_roots)
{
  static const char *const denied[] = { "/usr/sbin", "/usr", "/lib", "/var/lib/dpkg", "/opt", "/boot", "/root" };
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  const char *t = th_tmpdir ();
  og_cleanup_free char *storage = og_xasprintf ("%s/var/lib/containers/storage/vfs/dir/abc", t);
  og_cleanup_free char *stray = og_xasprintf ("%s/var/lib/containers/other", t);
  og_cleanup_free char *text = NULL, *tree = og_xasprintf ("%s/var/lib/containers", t);
  og_cleanup_free char *pat = og_xasprintf ("%s/var/lib/containers/storage/vfs/dir/*", t);

  for (size_t i = 0; i < sizeof denied / sizeof denied[0]; i++)
    {
      og_cleanup_free char *m
          = og_xasprintf ("{\"destination\":\"/s\",\"type\":\"bind\",\"source\":\"%s\"}", denied[i]);
      og_cleanup_free char *spec_text
          = og_xasprintf ("{\"process\":{},\"root\":{\"path\":\"rootfs\"},\"mounts\":[%s]}", m);
      og_cleanup_json struct og_json *spec = spec_from (spec_text);
      struct og_decisions d = { 0 };
      const struct og_decision *r;

      if (access (denied[i], F_OK) != 0)
        continue; /* not on this host */
      tmp_mkdir ("rootfs");
      th_enforce (p, spec, "x", &d);
      r = th_find (&d, "mounts", OG_DECISION_REFUSE, "mounts[0]");
      ck_assert_msg (r != NULL, "%s allowed", denied[i]);
      ck_assert_msg (strstr (r->reason, "exposes the sensitive host tree") != NULL, "%s", r->reason);
      og_decisions_clear (&d);
    }
  /* a root in the engines' storage is allowed; elsewhere in a denied tree not */
  th_strv_add (&p->mounts.deny_trees, tree);
  th_strv_add (&p->mounts.allow_roots, pat);
  for (int k = 0; k < 2; k++)
    {
      const char *root = k ? stray : storage;
      og_cleanup_free char *cmd = og_xasprintf ("mkdir -p '%s'", root);
      og_cleanup_json struct og_json *spec = NULL;
      struct og_decisions d = { 0 };

      ck_assert_int_eq (system (cmd), 0);
      free (text);
      text = og_xasprintf ("{\"process\":{},\"root\":{\"path\":\"%s\"}}", root);
      spec = spec_from (text);
      th_enforce (p, spec, "x", &d);
      ck_assert_msg ((th_find (&d, "mounts", OG_DECISION_REFUSE, "root.path") != NULL) == (k == 1), "root %s", root);
      og_decisions_clear (&d);
    }
  th_cleanup ();
}
END_TEST
static void add_seccomp_tests (TCase *tc);

/* A hook through /proc/<pid>/exe of a process that is not host root (a
 * child in a new user namespace, so its ids are not 0 from here), and a
 * file that is not the allowlisted one, are refused. */
START_TEST (hooks_identity)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  og_cleanup_free char *copy = og_xasprintf ("%s/dockerd", th_tmpdir ());
  og_cleanup_free char *text = NULL;
  og_cleanup_json struct og_json *spec = NULL;
  struct og_decisions d = { 0 };
  struct sleeper root, nobody;

  sleeper_start (&root, 0);
  sleeper_start (&nobody, 65534); /* the same file, not root from the host's point of view */
  th_strv_add (&p->hooks.allow, root.exe);
  /* a byte-for-byte copy at a path named like the allowlisted one is
   * another file */
  {
    size_t len;
    og_cleanup_free char *data = th_read_file (root.exe, &len);
    og_cleanup_close int fd = open (copy, O_WRONLY | O_CREAT | O_EXCL, 0755);
    ck_assert_int_ge (fd, 0);
    ck_assert_int_eq (og_write_all (fd, data, len), 0);
  }
  text = og_xasprintf ("{\"process\":{},\"root\":{\"path\":\"rootfs\"},\"hooks\":{\"prestart\":["
                       "{\"path\":\"/proc/%d/exe\"},{\"path\":\"%s\"},{\"path\":\"/proc/%d/exe\"}]}}",
                       (int)nobody.pid, copy, (int)root.pid);
  spec = spec_from (text);
  th_enforce (p, spec, "x", &d);
  sleeper_stop (&nobody);
  sleeper_stop (&root);
  ck_assert_ptr_nonnull (strstr (th_find (&d, "hooks", OG_DECISION_REFUSE, "hooks.prestart[0]")->reason,
                                 "is not a root process of the host"));
  ck_assert_ptr_nonnull (
      strstr (th_find (&d, "hooks", OG_DECISION_REFUSE, "hooks.prestart[1]")->reason, "is not on the hook allowlist"));
  ck_assert_ptr_null (th_find (&d, "hooks", OG_DECISION_REFUSE, "hooks.prestart[2]"));
  og_decisions_clear (&d);
  th_cleanup ();
}
END_TEST

/* The mounts rule hands the runtime the objects it judged: an O_PATH fd
 * per accepted bind source (the object the rewritten path named), marked
 * owned only for allow_sources; nothing for a refused one. */
START_TEST (judged_sources_handed_over)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  og_cleanup_free char *root = og_xasprintf ("%s/rootfs", th_tmpdir ());
  og_cleanup_free char *vol = og_xasprintf ("%s/volume", th_tmpdir ());
  og_cleanup_free char *data = og_xasprintf ("%s/data", th_tmpdir ());
  og_cleanup_free char *text = NULL;
  og_cleanup_json struct og_json *spec = NULL;
  struct og_judged_sources judged = { 0 };
  struct og_enforce_ctx ctx = { .policy = p, .bundle = th_tmpdir (), .container_id = "x", .judged = &judged };
  struct og_decisions d = { 0 };
  struct og_error err = { 0 };
  struct og_json *mounts;

  mkdir (root, 0755);
  mkdir (vol, 0755);
  mkdir (data, 0755);
  th_strv_add (&p->mounts.allow_sources, vol);
  text = og_xasprintf ("{\"root\":{\"path\":\"%s\"},\"mounts\":["
                       "{\"destination\":\"/v\",\"type\":\"bind\",\"source\":\"%s\"},"
                       "{\"destination\":\"/d\",\"type\":\"bind\",\"source\":\"%s/../data\"},"
                       "{\"destination\":\"/e\",\"type\":\"bind\",\"source\":\"/etc\"},"
                       "{\"destination\":\"/t\",\"type\":\"tmpfs\",\"source\":\"tmpfs\"}]}",
                       root, vol, vol);
  spec = spec_from (text);
  ck_assert_int_eq (og_rule_mounts (&ctx, spec, &d, &err), 0);
  mounts = og_json_get (spec, "mounts");
  ck_assert_uint_eq (judged.n, 2);
  for (size_t i = 0; i < 2; i++)
    {
      const struct og_judged_source *j = og_judged_source_of (&judged, mounts->vals[i]);
      struct stat a, b;

      ck_assert_ptr_nonnull (j);
      ck_assert_int_eq (fstat (j->fd, &a), 0);
      ck_assert_int_eq (stat (og_json_get (mounts->vals[i], "source")->text, &b), 0);
      ck_assert (a.st_dev == b.st_dev && a.st_ino == b.st_ino);
      ck_assert (j->owned == (i == 0));
    }
  ck_assert_ptr_null (og_judged_source_of (&judged, mounts->vals[2]));
  ck_assert_ptr_null (og_judged_source_of (&judged, mounts->vals[3]));
  /* the object stays the judged one whatever its path names later */
  {
    og_cleanup_free char *moved = og_xasprintf ("%s/moved", th_tmpdir ());
    struct stat a, b;
    ck_assert_int_eq (rename (data, moved), 0);
    ck_assert_int_eq (mkdir (data, 0755), 0);
    ck_assert_int_eq (fstat (og_judged_source_of (&judged, mounts->vals[1])->fd, &a), 0);
    ck_assert_int_eq (stat (moved, &b), 0);
    ck_assert (a.st_ino == b.st_ino);
  }
  og_judged_sources_free (&judged);
  og_decisions_clear (&d);
  th_cleanup ();
}
END_TEST

/* Device entries: the privileged fixture's defaults at their canonical
 * paths stay; a device number at a path the host has something else at,
 * or outside /dev, is removed. */
START_TEST (devices_by_path)
{
  static const struct
  {
    const char *entry;
    bool kept;
  } rows[] = {
    { "{\"path\":\"/dev/null\",\"type\":\"c\",\"major\":1,\"fileMode\":4321,\"minor\":3}", true },
    { "{\"path\":\"/dev/pts/3\",\"type\":\"c\",\"major\":136,\"fileMode\":4321,\"minor\":3}", false },
    { "{\"path\":\"/etc/hostname\",\"type\":\"c\",\"major\":1,\"fileMode\":4321,\"minor\":3}", false },
    { "{\"path\":\"/dev/../etc/hostname\",\"type\":\"c\",\"major\":1,\"fileMode\":4321,\"minor\":3}", false },
    { "{\"path\":\"/dev/./null\",\"type\":\"c\",\"major\":1,\"fileMode\":4321,\"minor\":3}", false },
    { "{\"path\":\"/dev/null/\",\"type\":\"c\",\"major\":1,\"fileMode\":4321,\"minor\":3}", false },
    { "{\"path\":\"/dev/shm/x\",\"type\":\"c\",\"major\":1,\"fileMode\":4321,\"minor\":3}", false },
    { "{\"path\":\"/dev/null\",\"type\":\"c\",\"major\":1,\"fileMode\":4321,\"minor\":5}", false },
    { "{\"path\":\"/dev/pts/ptmx\",\"type\":\"c\",\"major\":136,\"fileMode\":4321,\"minor\":3}", false },
    { "{\"path\":\"/dev/zero\",\"type\":\"b\",\"major\":1,\"fileMode\":4321,\"minor\":5}", false },
  };
  struct fx f;
  og_cleanup_json struct og_json *e = spec_from (rows[_i].entry);
  struct og_json *devs;
  size_t before;

  fx_load (&f, "docker-20.10/privileged.config.json", "default.json");
  devs = og_json_path (f.spec, "linux", "devices", NULL);
  og_json_append (devs, og_steal_pointer (&e));
  th_enforce (f.p, f.spec, "e2fe2361eb9b55c7ed2d84307a3c8ce900f3961f10387bbad0df140c3f50f96d", &f.d);
  before = devs->n;
  {
    bool kept = false;
    for (size_t i = 0; i < devs->n; i++)
      {
        struct og_json *m = og_json_get (devs->vals[i], "fileMode");
        kept = kept || (m && m->type == OG_JSON_NUMBER && strcmp (m->text, "4321") == 0);
      }
    ck_assert_msg (kept == rows[_i].kept, "row %d: %s", _i, rows[_i].entry);
  }
  /* what stays is the default set at its own paths */
  for (size_t i = 0; i < before; i++)
    {
      const char *path = og_json_get (devs->vals[i], "path")->text;
      ck_assert_msg (strncmp (path, "/dev/", 5) == 0 && strstr (path, "..") == NULL, "%s kept", path);
      ck_assert_msg (strcmp (path, "/dev/kmsg") != 0 && strcmp (path, "/dev/vda") != 0, "%s kept", path);
    }
  fx_free (&f);
}
END_TEST

/* Annotations: Podman's own (podman-4.3, podman-5.8 with its systemd unit
 * properties) pass unchanged; runtime-internal keys are refused or
 * removed. */
START_TEST (annotations_runtime_keys)
{
  static const struct
  {
    const char *key;
    enum
    {
      KEPT,
      REMOVED,
      REFUSED
    } want;
  } rows[] = {
    { "io.podman.annotations.init", KEPT },
    { "org.systemd.property.KillSignal", KEPT },
    { "org.systemd.property.TimeoutStopUSec", KEPT },
    { "bundle", REFUSED },
    { "bundle=/tmp/x", REFUSED },
    { "x=y", REFUSED },
    { "org.criu.config", REFUSED },
    { "run.oci.seccomp.plugins", REFUSED },
    { "run.oci.hooks.stdout", REFUSED },
    { "org.systemd.property.MemoryMax", REMOVED },
    { "org.systemd.property.TasksMax", REMOVED },
    { "org.systemd.property.DeviceAllow", REMOVED },
    { "org.opencontainers.runc.exec.isolated-cpu-affinity-transition", REMOVED },
    { "run.oci.keep_original_groups", REMOVED },
    { "module.wasm.image/variant", REMOVED },
  };
  struct fx f;
  struct og_json *ann;

  fx_load (&f, "podman-5.8/default.config.json", "default.json");
  th_enforce (f.p, f.spec, "8d83b2a381a41368860347450bfe435380f6cb81d0e4e25067a97a5919916612", &f.d);
  ck_assert_ptr_null (th_find (&f.d, "annotations", OG_DECISION_REFUSE, NULL));
  ck_assert_ptr_null (th_find (&f.d, "annotations", OG_DECISION_MUTATE, NULL));
  ann = og_json_get (f.spec, "annotations");
  ck_assert_str_eq (og_json_get (ann, "org.systemd.property.TimeoutStopUSec")->text, "uint64 10000000");
  og_decisions_clear (&f.d);

  og_json_set (ann, rows[_i].key, og_json_new_string ("1"));
  th_enforce (f.p, f.spec, "8d83b2a381a41368860347450bfe435380f6cb81d0e4e25067a97a5919916612", &f.d);
  ck_assert_int_eq (th_find (&f.d, "annotations", OG_DECISION_REFUSE, NULL) != NULL, rows[_i].want == REFUSED);
  ck_assert_int_eq (og_json_get (ann, rows[_i].key) != NULL, rows[_i].want != REMOVED);
  fx_free (&f);
}
END_TEST

/* cgroupsPath: what each engine makes (the fixtures' own paths, the systemd
 * driver's forms, the kubelet's pod cgroups) passes; "/", "..", another
 * container's leaf are refused; a relative path (Docker's relative
 * --cgroup-parent) is runc's own cgroup's child.  "/" with a joined pid
 * namespace would have runc SIGKILL every process on the host at cleanup:
 * decided here by the rule, never tried. */
START_TEST (cgroups_paths)
{
  static const struct
  {
    const char *fixture, *id, *path; /* path NULL: the fixture's */
    bool refused;
  } rows[] = {
    { "docker-20.10/default.config.json", DOCKER_DEFAULT_ID, NULL, false },
    { "containerd-1.6/create-1.config.json", "e5", NULL, false },
    { "podman-4.3/create-2.config.json", "5e5bc167f3662e3670ff7eb9cbaa069fd7393d8304e500f9cc2dee9d29e10ec0", NULL,
      false },
    { "podman-5.8/default.config.json", "8d83b2a381a41368860347450bfe435380f6cb81d0e4e25067a97a5919916612", NULL,
      false },
    { "docker-20.10/default.config.json", "c1", "system.slice:docker:c1", false },
    { "docker-20.10/default.config.json", "c1", "machine.slice:libpod:c1", false },
    { "docker-20.10/default.config.json", "c1", "kubepods-besteffort-pod0f1e.slice:cri-containerd:c1", false },
    { "docker-20.10/default.config.json", "c1", "/kubepods/besteffort/pod0f1e/c1", false },
    { "docker-20.10/default.config.json", "c1", "", false },
    { "docker-20.10/default.config.json", "c1", "/", true },
    { "docker-20.10/default.config.json", "c1", "/docker/" DOCKER_DEFAULT_ID, true },
    { "docker-20.10/default.config.json", "c1", "/docker/../c1", true },
    { "docker-20.10/default.config.json", "c1", "/docker//c1", true },
    { "docker-20.10/default.config.json", "c1", "parent/c1", false },
    { "docker-20.10/default.config.json", "c1", "../c1", true },
    { "docker-20.10/default.config.json", "c1", "/c1/.", true },
    { "docker-20.10/default.config.json", "c1", "system.slice:docker:other", true },
    { "docker-20.10/default.config.json", "c1", "system.slice:docker:c1.slice", true },
    { "docker-20.10/default.config.json", "c1", "a/b.slice:docker:c1", true },
    { "docker-20.10/default.config.json", "c1", "-.slice::init", true },
    { "docker-20.10/default.config.json", "c1", "/libpod_parent/xc1", true },
    { "docker-20.10/default.config.json", "libpod", "/libpod_parent/libpod-c1", true },
    { "docker-20.10/default.config.json", "c1", "/kubepods/pod0f1e/crio-c1", false },
    { "docker-20.10/default.config.json", "sshd.service", "/system.slice/sshd.service", true },
    { "docker-20.10/default.config.json", "c1", "system.slice:docker:xc1", true },
  };
  struct fx f;

  fx_load (&f, rows[_i].fixture, "default.json");
  if (rows[_i].path)
    og_json_set (og_json_get (f.spec, "linux"), "cgroupsPath", og_json_new_string (rows[_i].path));
  th_enforce (f.p, f.spec, rows[_i].id, &f.d);
  ck_assert_msg ((th_find (&f.d, "cgroups", OG_DECISION_REFUSE, NULL) != NULL) == rows[_i].refused, "row %d (%s)", _i,
                 rows[_i].path ? rows[_i].path : rows[_i].fixture);
  fx_free (&f);
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("rules");
  TCase *fx = tcase_create ("fixtures");
  TCase *unit = tcase_create ("rules");
  TCase *fs = tcase_create ("filesystem");

  /* whole fixtures through every rule: seconds under ASan on a busy machine,
   * where Check's default 4 s timeout is a coin toss */
  tcase_set_timeout (fx, 60);
  tcase_set_timeout (unit, 60);
  tcase_set_timeout (fs, 60);
  tcase_add_test (fx, docker_default);
  tcase_add_test (fx, docker_default_tmpfs_list);
  tcase_add_test (fx, docker_hardened_already_compliant);
  tcase_add_loop_test (fx, docker_privileged_and_capall_filtered, 0, 2);
  tcase_add_test (fx, docker_sock_refused);
  tcase_add_test (fx, docker_hostns_ipc_refused);
  tcase_add_loop_test (fx, podman_and_containerd_allowed, 0, 4);
  tcase_add_test (fx, other_containers_files_refused);
  tcase_add_test (fx, audit_mode_changes_nothing);
  tcase_add_test (unit, resources_clamped);
  tcase_add_test (unit, resources_deny_refuses_above_max_only);
  tcase_add_test (unit, malformed_values_refused);
  tcase_add_test (unit, missing_capabilities_become_empty);
  tcase_add_test (unit, unknown_cap_spelling_dropped);
  tcase_add_test (unit, exec_privileged_process);
  tcase_add_test (fx, privileged_neutered);
  tcase_add_loop_test (fx, profiles_table, 0, 13);
  tcase_add_test (fx, privileged_denied);
  tcase_add_test (fx, capall_sysctl_device_seccomp);
  tcase_add_test (fx, hostns_namespaces_refused);
  tcase_add_test (unit, joined_host_namespace_refused);
  tcase_add_test (unit, seccomp_profiles);
  tcase_add_test (unit, seccomp_profile_validation);
  tcase_add_test (unit, process_hardening);
  tcase_add_test (unit, env_secrets_never_logged);
  tcase_add_test (unit, lsm_skipped_and_recorded);
  tcase_add_test (unit, userns_mappings);
  tcase_add_test (unit, userns_without_and_shared);
  tcase_add_test (unit, userns_joined_namespace_pinned);
  tcase_add_test (unit, update_fixture_within_policy);
  tcase_add_test (unit, update_cannot_lift_limits);
  tcase_add_test (unit, update_leaves_the_rest);
  tcase_add_test (fs, socket_spellings_refused);
  tcase_add_test (fs, any_socket_found_by_scan);
  tcase_add_test (fs, innocent_bind_rewritten_and_hardened);
  tcase_add_test (fs, sensitive_trees_refused);
  tcase_add_test (fs, mount_types);
  tcase_add_test (fs, hooks_allowlist);
  tcase_add_test (fs, root_path_checked);
  tcase_add_test (unit, update_quota_zero_judged_with_current_quota);
  tcase_add_test (unit, update_pass_through_reads_nothing);
  tcase_add_test (unit, update_memory_with_swap_zero_sets_swap);
  tcase_add_test (unit, realtime_budget_and_rtprio_removed);
  tcase_add_test (unit, unified_judged);
  tcase_add_test (unit, update_swap_alone_counted_on_current_memory);
  tcase_add_test (unit, update_quota_below_kernel_minimum_refused);
  tcase_add_test (unit, update_clamped_memory_keeps_the_swap_asked_for);
  tcase_add_test (fs, kernel_fs_only_at_their_places);
  tcase_add_test (fs, destination_through_an_earlier_bind);
  tcase_add_test (fs, options_undoing_forced_ones_stripped);
  tcase_add_test (fs, sysfs_rrw_stripped);
  tcase_add_test (fs, rootfs_propagation_recursive);
  tcase_add_test (fs, scan_budget_per_create);
  tcase_add_test (unit, mountinfo_fields);
  tcase_add_test (unit, mountinfo_aliases);
  tcase_add_test (fs, system_trees_and_roots);
  add_seccomp_tests (unit);
  tcase_add_loop_test (fx, hooks_docker_shape, 0, 11);
  tcase_add_test (fs, hooks_identity);
  tcase_add_loop_test (fx, devices_by_path, 0, 10);
  tcase_add_loop_test (fx, annotations_runtime_keys, 0, 15);
  tcase_add_loop_test (fx, cgroups_paths, 0, 25);
  tcase_add_test (fs, judged_sources_handed_over);
  suite_add_tcase (s, fx);
  suite_add_tcase (s, unit);
  suite_add_tcase (s, fs);
  return s;
}

int
main (void)
{
  return th_run (suite ());
}

/* ---- seccomp: held to the reference, capabilities, setid, agents ---- */

/* A config with the default namespaces and this seccomp object. */
static struct og_json *
seccomp_spec (const char *seccomp, const char *caps)
{
  og_cleanup_free char *text
      = og_xasprintf ("{\"process\":{\"capabilities\":{\"bounding\":%s}},\"root\":{\"path\":\"rootfs\"},"
                      "\"linux\":{" NS ",\"seccomp\":%s}}",
                      caps ? caps : "[]", seccomp);
  return spec_from (text);
}

static struct og_json *
rules_of (const struct og_json *spec)
{
  return og_json_path (spec, "linux", "seccomp", "syscalls", NULL);
}

/* Some rule that lets `name` through (not ERRNO/KILL/TRAP), with or
 * without argument filters. */
static const struct og_json *
letting_through (const struct og_json *spec, const char *name, bool with_args)
{
  const struct og_json *rules = rules_of (spec);

  for (size_t i = 0; rules && i < rules->n; i++)
    {
      const struct og_json *r = rules->vals[i], *a = og_json_get (r, "action"), *args = og_json_get_set (r, "args");
      bool has_args = args && args->n > 0;
      if (strcmp (a->text, "SCMP_ACT_ERRNO") == 0 || strncmp (a->text, "SCMP_ACT_KILL", 13) == 0
          || strcmp (a->text, "SCMP_ACT_TRAP") == 0)
        continue;
      if (has_args == with_args && og_json_array_has_string (og_json_get (r, "names"), name))
        return r;
    }
  return NULL;
}

/* A decision that took `name` back to the reference. */
static bool
held (const struct og_decisions *d, const char *name)
{
  og_cleanup_free char *quoted = og_xasprintf ("\"%s\"", name);

  for (size_t i = 0; i < d->n; i++)
    if (strcmp (d->v[i].rule, "seccomp") == 0 && d->v[i].before && strcmp (d->v[i].before, quoted) == 0)
      return true;
  return false;
}

/* The argument filters of the rule that lets `name` through with them. */
static char *
narrowed_args (const struct og_json *spec, const char *name)
{
  const struct og_json *r = letting_through (spec, name, true);
  return r ? og_json_to_text (og_json_get (r, "args")) : og_xstrdup ("(none)");
}

START_TEST (seccomp_allow_all_by_name_held_to_reference)
{
  static const char *const actions[] = { "\"SCMP_ACT_ALLOW\"",
                                         "\"SCMP_ACT_LOG\"",
                                         "\"SCMP_ACT_TRACE\"",
                                         "\"SCMP_ACT_ERRNO\",\"errnoRet\":0",
                                         "\"SCMP_ACT_ERRNO\",\"errnoRet\":65536",
                                         "\"SCMP_ACT_allow\"" };
  static const char *const dangerous[]
      = { "unshare", "mount", "bpf", "keyctl", "ptrace", "open_by_handle_at", "setns", "clone3", NULL };
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");

  for (size_t a = 0; a < sizeof actions / sizeof actions[0]; a++)
    {
      og_cleanup_free char *prof = og_xasprintf (
          "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\",\"write\",\"unshare\",\"mount\","
          "\"bpf\",\"keyctl\",\"ptrace\",\"open_by_handle_at\",\"setns\",\"clone\",\"clone3\",\"personality\"],"
          "\"action\":%s}]}",
          actions[a]);
      og_cleanup_json struct og_json *spec = seccomp_spec (prof, NULL);
      struct og_decisions d = { 0 };
      const struct og_json *clone;

      th_enforce (p, spec, "x", &d);
      ck_assert_msg (!og_decisions_refused (&d), "%s refused", actions[a]);
      for (const char *const *s = dangerous; *s; s++)
        {
          ck_assert_msg (letting_through (spec, *s, false) == NULL && letting_through (spec, *s, true) == NULL,
                         "%s still lets %s through", actions[a], *s);
          ck_assert_ptr_nonnull (th_find (&d, "seccomp", OG_DECISION_MUTATE, "linux.seccomp.syscalls"));
        }
      /* clone and personality: only with the reference's argument filters */
      ck_assert_ptr_null (letting_through (spec, "clone", false));
      clone = letting_through (spec, "clone", true);
      ck_assert_ptr_nonnull (clone);
      ck_assert_str_eq (og_json_path (clone, "args", NULL)->vals[0]->keys[0], "index");
      ck_assert_ptr_null (letting_through (spec, "personality", false));
      ck_assert_ptr_nonnull (letting_through (spec, "personality", true));
      /* clone3 gets the reference's answer: ENOSYS, so libc falls back */
      {
        og_cleanup_free char *text = og_json_to_text (rules_of (spec));
        ck_assert_ptr_nonnull (strstr (text, "{\"names\":[\"clone3\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38}"));
      }
      og_decisions_clear (&d);
    }
  th_cleanup ();
}
END_TEST

START_TEST (seccomp_denials_and_allow_by_default)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  static const char *const defaults[] = { "\"defaultAction\":\"SCMP_ACT_ALLOW\"",
                                          "\"defaultAction\":\"SCMP_ACT_LOG\"",
                                          "\"defaultAction\":\"SCMP_ACT_TRACE\"",
                                          "\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":0",
                                          "\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":131072",
                                          "\"defaultAction\":\"SCMP_ACT_Allow\"" };
  og_cleanup_json struct og_json *denials = seccomp_spec (
      "{\"defaultAction\":\"SCMP_ACT_KILL_PROCESS\",\"syscalls\":[{\"names\":[\"read\",\"write\"],\"action\":"
      "\"SCMP_ACT_ALLOW\"},{\"names\":[\"unshare\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1},{\"names\":"
      "[\"mount\"],\"action\":\"SCMP_ACT_KILL\"},{\"names\":[\"bpf\"],\"action\":\"SCMP_ACT_TRAP\"},{\"names\":"
      "[\"ptrace\"],\"action\":\"SCMP_ACT_ERRNO\"}]}",
      NULL);
  struct og_decisions d = { 0 };

  for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
    {
      og_cleanup_free char *prof = og_xasprintf ("{%s,\"syscalls\":[{\"names\":[\"getpid\"],\"action\":"
                                                 "\"SCMP_ACT_KILL\"}]}",
                                                 defaults[i]);
      og_cleanup_json struct og_json *spec = seccomp_spec (prof, NULL);
      const struct og_decision *r;

      th_enforce (p, spec, "x", &d);
      r = og_decisions_first_refusal (&d);
      ck_assert_msg (r != NULL, "%s accepted", defaults[i]);
      ck_assert_str_eq (r->path, "linux.seccomp.defaultAction");
      ck_assert_ptr_nonnull (strstr (r->reason, "lets every syscall through by default"));
      og_decisions_clear (&d);
    }
  /* denials (ERRNO non-zero, KILL, TRAP) are left as they are */
  th_enforce (p, denials, "x", &d);
  ck_assert (!og_decisions_refused (&d));
  ck_assert_ptr_null (th_find (&d, "seccomp", OG_DECISION_MUTATE, "linux.seccomp.syscalls[")); /* nothing removed */
  ck_assert (og_json_array_has_string (og_json_get (rules_of (denials)->vals[2], "names"), "mount"));
  og_decisions_clear (&d);
  th_cleanup ();
}
END_TEST

START_TEST (seccomp_argument_filters)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  /* 2114060288 = the namespace flags mask of the reference's clone rule */
  og_cleanup_json struct og_json *spec = seccomp_spec (
      "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
      /* narrower than the reference (one more comparison): kept */
      "{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":2114060288,"
      "\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"},{\"index\":1,\"value\":0,\"op\":\"SCMP_CMP_EQ\"}]},"
      /* the reference's own personality filter, valueTwo left out: kept */
      "{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":8,\"op\":"
      "\"SCMP_CMP_EQ\"}]},"
      /* the same index twice: runc ORs them, so CLONE_NEWUSER alone passes */
      "{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":2114060288,"
      "\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"},{\"index\":0,\"value\":268435456,\"op\":\"SCMP_CMP_EQ\"}]}"
      "]}",
      NULL);
  og_cleanup_json struct og_json *narrow = og_json_clone (spec);
  struct og_decisions d = { 0 };

  og_json_remove_at (rules_of (narrow), 2);
  th_enforce (p, narrow, "x", &d);
  ck_assert (!held (&d, "clone") && !held (&d, "personality"));
  og_decisions_clear (&d);
  th_enforce (p, spec, "x", &d);
  ck_assert (held (&d, "clone"));
  /* clone is back to exactly the reference's rule */
  {
    og_cleanup_free char *text = og_json_to_text (rules_of (spec));
    ck_assert_ptr_null (strstr (text, "268435456"));
    ck_assert_ptr_nonnull (strstr (text, "{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,"
                                         "\"value\":2114060288,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}]}"));
  }
  og_decisions_clear (&d);
  th_cleanup ();
}
END_TEST

START_TEST (seccomp_architectures_and_flags)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  og_cleanup_json struct og_json *spec
      = seccomp_spec ("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_X86_64\","
                      "\"SCMP_ARCH_MIPS\",\"SCMP_ARCH_S390X\"],\"flags\":[\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\","
                      "\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"],\"syscalls\":[]}",
                      NULL);
  struct og_decisions d = { 0 };
  const struct og_json *archs;

  th_enforce (p, spec, "x", &d);
  archs = og_json_path (spec, "linux", "seccomp", "architectures", NULL);
  ck_assert_uint_eq (archs->n, 1);
  ck_assert_str_eq (archs->vals[0]->text, "SCMP_ARCH_X86_64");
  ck_assert_uint_eq (og_json_path (spec, "linux", "seccomp", "flags", NULL)->n, 0);
  ck_assert_ptr_nonnull (th_find (&d, "seccomp", OG_DECISION_MUTATE, "linux.seccomp.flags"));
  og_decisions_clear (&d);
  /* under deny: refused, with the architecture named */
  p->seccomp.action = OG_ACTION_DENY;
  {
    og_cleanup_json struct og_json *again = seccomp_spec (
        "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_MIPS\"],\"syscalls\":[]}", NULL);
    const struct og_decision *r;
    th_enforce (p, again, "x", &d);
    r = og_decisions_first_refusal (&d);
    ck_assert_ptr_nonnull (r);
    ck_assert_ptr_nonnull (strstr (r->reason, "architecture SCMP_ARCH_MIPS is not in the reference profile /"));
  }
  og_decisions_clear (&d);
  th_cleanup ();
}
END_TEST

/* Docker's profile for `--cap-add SYS_ADMIN`: the widening goes with the
 * capability the policy drops, and stays when the policy keeps it. */
START_TEST (seccomp_docker_cap_add_widening)
{
  static const char *const sys_admin[] = { "unshare", "mount", "setns", "umount2", "bpf", "clone3", NULL };
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");

  for (int keep = 0; keep < 2; keep++)
    {
      og_cleanup_json struct og_json *spec = th_fixture ("docker-20.10/default.config.json");
      struct og_json *rule = og_json_new (OG_JSON_OBJECT), *names = og_json_new (OG_JSON_ARRAY);
      struct og_decisions d = { 0 };

      for (const char *const *s = sys_admin; *s; s++)
        og_json_append (names, og_json_new_string (*s));
      og_json_append (names, og_json_new_string ("clone"));
      og_json_set (rule, "names", names);
      og_json_set (rule, "action", og_json_new_string ("SCMP_ACT_ALLOW"));
      og_json_append (rules_of (spec), rule);
      og_json_append (og_json_path (spec, "process", "capabilities", "bounding", NULL),
                      og_json_new_string ("CAP_SYS_ADMIN"));
      th_sandbox (spec, p);
      if (keep)
        th_strv_add (&p->caps.allow, "CAP_SYS_ADMIN");
      th_enforce (p, spec, DOCKER_DEFAULT_ID, &d);
      ck_assert (!og_decisions_refused (&d));
      for (const char *const *s = sys_admin; *s; s++)
        ck_assert_msg ((letting_through (spec, *s, false) != NULL) == keep, "%s: %s", *s, keep ? "gone" : "kept");
      ck_assert ((letting_through (spec, "clone", false) != NULL) == keep);
      /* Docker's other extras beyond the reference go either way */
      ck_assert_ptr_null (letting_through (spec, "io_uring_setup", false));
      og_decisions_clear (&d);
    }
  th_cleanup ();
}
END_TEST

/* The filter that keeps setuid/setgid files from being made: narrowed
 * allowances (mode & 06000 == 0), EPERM for each bit, ENOSYS for openat2. */
START_TEST (seccomp_setid_filter)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  og_cleanup_json struct og_json *none
      = spec_from ("{\"process\":{},\"root\":{\"path\":\"rootfs\"},\"linux\":{" NS "}}");
  og_cleanup_json struct og_json *own = seccomp_spec (
      "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"chmod\",\"openat\",\"read\"],\"action\":"
      "\"SCMP_ACT_ALLOW\"},{\"names\":[\"open\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":2,\"value\":0,"
      "\"op\":\"SCMP_CMP_EQ\"}]},{\"names\":[\"openat2\"],\"action\":\"SCMP_ACT_ALLOW\"}]}",
      NULL);
  og_cleanup_json struct og_json *allowed = og_json_clone (own);
  struct og_decisions d = { 0 };
  og_cleanup_free char *text = NULL;

  for (int i = 0; i < 2; i++)
    {
      struct og_json *spec = i ? own : none;
      free (text);
      th_enforce (p, spec, "x", &d);
      ck_assert (!og_decisions_refused (&d));
      text = og_json_to_text (rules_of (spec));
      /* no unconditional allowance left for chmod or openat: libseccomp
       * would let it swallow the errno rules */
      ck_assert_ptr_null (letting_through (spec, "chmod", false));
      ck_assert_ptr_null (letting_through (spec, "openat", false));
      {
        og_cleanup_free char *chmod_args = narrowed_args (spec, "chmod");
        og_cleanup_free char *openat_args = narrowed_args (spec, "openat");
        ck_assert_str_eq (chmod_args, "[{\"index\":1,\"value\":3072,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}]");
        ck_assert_str_eq (openat_args, "[{\"index\":3,\"value\":3072,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}]");
      }
      ck_assert_ptr_nonnull (strstr (text, "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1,\"args\":[{\"index\":1,"
                                           "\"value\":2048,\"valueTwo\":2048,\"op\":\"SCMP_CMP_MASKED_EQ\"}]}"));
      ck_assert_ptr_nonnull (strstr (text, "\"value\":1024,\"valueTwo\":1024"));
      ck_assert_ptr_nonnull (strstr (text, "{\"names\":[\"openat2\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38}"));
      ck_assert_ptr_null (letting_through (spec, "openat2", false));
      ck_assert_ptr_nonnull (th_find (&d, "seccomp", OG_DECISION_MUTATE, "linux.seccomp.syscalls"));
      og_decisions_clear (&d);
    }
  /* a rule that already filters open's mode argument loses open */
  ck_assert_ptr_null (letting_through (own, "open", true));
  /* a rewritten profile is a fixed point: nothing more to do */
  {
    og_cleanup_free char *once = og_json_to_text (rules_of (own)), *twice = NULL;
    th_enforce (p, own, "x", &d);
    twice = og_json_to_text (rules_of (own));
    ck_assert_str_eq (once, twice);
    ck_assert_ptr_null (th_find (&d, "seccomp", OG_DECISION_MUTATE, NULL));
    og_decisions_clear (&d);
  }
  /* the policy key turns it off */
  p->seccomp.allow_setid_files = true;
  th_enforce (p, allowed, "x", &d);
  free (text);
  text = og_json_to_text (rules_of (allowed));
  ck_assert_ptr_null (strstr (text, "3072"));
  ck_assert_ptr_nonnull (letting_through (allowed, "chmod", false));
  og_decisions_clear (&d);
  th_cleanup ();
}
END_TEST

START_TEST (seccomp_listener_allowlist)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  og_cleanup_free char *sock = og_xasprintf ("%s/agent.sock", th_tmpdir ());
  og_cleanup_free char *link = og_xasprintf ("%s/link.sock", th_tmpdir ());
  og_cleanup_free char *prof = NULL;
  struct og_decisions d = { 0 };
  const struct og_decision *r;

  th_make_socket (sock);
  ck_assert_int_eq (symlink (sock, link), 0);
  prof = og_xasprintf ("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"listenerPath\":\"%s\",\"listenerMetadata\":\"m\","
                       "\"syscalls\":[{\"names\":[\"mount\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
                       link);
  {
    og_cleanup_json struct og_json *spec = seccomp_spec (prof, NULL);
    th_enforce (p, spec, "x", &d);
    r = og_decisions_first_refusal (&d);
    ck_assert_ptr_nonnull (r);
    ck_assert_str_eq (r->path, "linux.seccomp.listenerPath");
    ck_assert_ptr_nonnull (strstr (r->reason, "is not on the policy's seccomp.allow_listeners"));
    og_decisions_clear (&d);
  }
  {
    /* NOTIFY with no listener at all */
    og_cleanup_json struct og_json *spec = seccomp_spec (
        "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
        NULL);
    th_enforce (p, spec, "x", &d);
    ck_assert_ptr_nonnull (th_find (&d, "seccomp", OG_DECISION_REFUSE, "linux.seccomp.listenerPath"));
    og_decisions_clear (&d);
  }
  th_strv_add (&p->seccomp.allow_listeners, sock);
  {
    /* allowed by device and inode, and handed to runc by the checked path;
     * the agent's NOTIFY rule for mount is its business */
    og_cleanup_json struct og_json *spec = seccomp_spec (prof, NULL);
    th_enforce (p, spec, "x", &d);
    ck_assert (!og_decisions_refused (&d));
    ck_assert_str_eq (og_json_path (spec, "linux", "seccomp", "listenerPath", NULL)->text, sock);
    ck_assert (og_json_array_has_string (og_json_get (rules_of (spec)->vals[0], "names"), "mount"));
    og_decisions_clear (&d);
  }
  {
    /* a regular file of the same name is not the socket */
    og_cleanup_free char *file = og_xasprintf ("%s/file.sock", th_tmpdir ());
    og_cleanup_free char *prof2
        = og_xasprintf ("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"listenerPath\":\"%s\",\"syscalls\":[]}", file);
    og_cleanup_json struct og_json *spec = seccomp_spec (prof2, NULL);
    FILE *f = fopen (file, "we");
    fclose (f);
    th_strv_add (&p->seccomp.allow_listeners, file);
    th_enforce (p, spec, "x", &d);
    ck_assert_ptr_nonnull (th_find (&d, "seccomp", OG_DECISION_REFUSE, "linux.seccomp.listenerPath"));
    og_decisions_clear (&d);
  }
  th_cleanup ();
}
END_TEST

START_TEST (seccomp_empty_object_gets_default)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  og_cleanup_json struct og_json *spec = seccomp_spec ("{\"listenerPath\":\"\"}", NULL);
  struct og_decisions d = { 0 };

  th_enforce (p, spec, "x", &d);
  ck_assert (!og_decisions_refused (&d));
  ck_assert_str_eq (og_json_path (spec, "linux", "seccomp", "defaultAction", NULL)->text, "SCMP_ACT_ERRNO");
  ck_assert_ptr_nonnull (th_find (&d, "seccomp", OG_DECISION_MUTATE, "linux.seccomp"));
  og_decisions_clear (&d);
  th_cleanup ();
}
END_TEST

/* seccomp.learn: only a bundle the policy names gets the learning profile
 * (every syscall allowed and logged); the S_ISUID/S_ISGID filter stays;
 * an annotation asking for it changes nothing; in audit mode it is only
 * recorded. */
static bool
learn_run (struct og_policy *p, struct og_json *spec, struct og_decisions *d)
{
  og_decisions_clear (d);
  th_sandbox (spec, p);
  th_enforce (p, spec, "959f8979778f1bb6fbd642b5767d5ffe9d72a6a31d1fe2f5a214512373880122", d);
  ck_assert_msg (!og_decisions_refused (d), "refused: %s", og_decisions_first_refusal (d)->reason);
  return th_find (d, "seccomp_learn", OG_DECISION_MUTATE, "linux.seccomp.defaultAction") != NULL;
}

START_TEST (seccomp_learn_by_bundle)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  og_cleanup_json struct og_json *spec = th_fixture ("docker-20.10/default.config.json");
  og_cleanup_json struct og_json *asked = th_fixture ("docker-20.10/default.config.json");
  og_cleanup_free char *glob = og_xasprintf ("%s*", th_tmpdir ());
  const struct og_json *rules;
  struct og_decisions d = { 0 };

  og_json_set (og_json_ensure_object (asked, "annotations"), "io.ocigate.seccomp.learn", og_json_new_string ("true"));
  ck_assert (!learn_run (p, asked, &d));
  th_strv_add (&p->seccomp.learn, "/run/containerd/io.containerd.runtime.v2.task/learn/*");
  ck_assert (!learn_run (p, asked, &d));
  ck_assert_str_eq (og_json_path (asked, "linux", "seccomp", "defaultAction", NULL)->text, "SCMP_ACT_ERRNO");

  th_strv_add (&p->seccomp.learn, glob);
  ck_assert (learn_run (p, spec, &d));
  ck_assert_str_eq (og_json_path (spec, "linux", "seccomp", "defaultAction", NULL)->text, "SCMP_ACT_LOG");
  ck_assert_ptr_null (og_json_path (spec, "linux", "seccomp", "defaultErrnoRet", NULL));
  rules = og_json_path (spec, "linux", "seccomp", "syscalls", NULL);
  ck_assert_uint_gt (rules->n, 0);
  for (size_t i = 0; i < rules->n; i++)
    {
      const struct og_json *action = og_json_get (rules->vals[i], "action");
      const struct og_json *errno_ret = og_json_get (rules->vals[i], "errnoRet");
      bool enosys = errno_ret && strcmp (errno_ret->text, "38") == 0; /* openat2, io_uring_setup */
      ck_assert_msg (strcmp (action->text, "SCMP_ACT_ERRNO") == 0 && (og_json_get (rules->vals[i], "args") || enosys),
                     "only the setid filter is left: %s", og_json_to_text (rules->vals[i]));
    }

  /* a profile that already lets everything through (the learning one, a
   * config written back by an earlier create) learns too */
  ck_assert (learn_run (p, spec, &d));
  ck_assert_str_eq (og_json_path (spec, "linux", "seccomp", "defaultAction", NULL)->text, "SCMP_ACT_LOG");

  p->audit_only = true;
  og_json_free (spec);
  spec = th_fixture ("docker-20.10/default.config.json");
  ck_assert (!learn_run (p, spec, &d));
  ck_assert_ptr_nonnull (th_find (&d, "seccomp_learn", OG_DECISION_AUDIT, "linux.seccomp.defaultAction"));
  ck_assert_str_eq (og_json_path (spec, "linux", "seccomp", "defaultAction", NULL)->text, "SCMP_ACT_ERRNO");
  og_decisions_clear (&d);
  th_cleanup ();
}
END_TEST

/* The engines' own profiles keep what the reference allows: Docker 20.10
 * loses only io_uring and ptrace; under audit nothing changes. */
START_TEST (seccomp_engine_profiles_held)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  og_cleanup_json struct og_json *spec = th_fixture ("docker-20.10/default.config.json");
  og_cleanup_json struct og_json *audit = th_fixture ("docker-20.10/default.config.json");
  og_cleanup_free char *before = og_json_to_text (og_json_path (audit, "linux", "seccomp", NULL)), *after = NULL;
  struct og_decisions d = { 0 };
  size_t removed = 0;

  th_sandbox (spec, p);
  th_enforce (p, spec, DOCKER_DEFAULT_ID, &d);
  ck_assert (!og_decisions_refused (&d));
  for (size_t i = 0; i < d.n; i++)
    if (strcmp (d.v[i].rule, "seccomp") == 0 && d.v[i].before)
      {
        ck_assert_msg (strstr ("\"io_uring_setup\" \"io_uring_enter\" \"io_uring_register\" \"ptrace\"", d.v[i].before),
                       "%s removed", d.v[i].before);
        removed++;
      }
  ck_assert_uint_eq (removed, 4);
  ck_assert_ptr_nonnull (letting_through (spec, "read", false));
  og_decisions_clear (&d);
  p->audit_only = true;
  th_sandbox (audit, p);
  th_enforce (p, audit, DOCKER_DEFAULT_ID, &d);
  after = og_json_to_text (og_json_path (audit, "linux", "seccomp", NULL));
  ck_assert_str_eq (before, after);
  og_decisions_clear (&d);
  th_cleanup ();
}
END_TEST

static void
add_seccomp_tests (TCase *tc)
{
  tcase_add_test (tc, seccomp_allow_all_by_name_held_to_reference);
  tcase_add_test (tc, seccomp_denials_and_allow_by_default);
  tcase_add_test (tc, seccomp_argument_filters);
  tcase_add_test (tc, seccomp_architectures_and_flags);
  tcase_add_test (tc, seccomp_docker_cap_add_widening);
  tcase_add_test (tc, seccomp_setid_filter);
  tcase_add_test (tc, seccomp_listener_allowlist);
  tcase_add_test (tc, seccomp_empty_object_gets_default);
  tcase_add_test (tc, seccomp_engine_profiles_held);
  tcase_add_test (tc, seccomp_learn_by_bundle);
}
