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
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
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
                                     "9a4fe7ebdbef8072c973d6a00d59b2e2dbcddce4bda7c1b13edb1fcd66360bfe", "c1" };
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
  ck_assert_uint_eq (rules->n, 1); /* the bpf-only rule is gone */
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

START_TEST (any_socket_found_by_scan)
{
  struct mfx m = { 0 };
  og_cleanup_free char *deep = NULL, *other = NULL, *mj = NULL;
  struct og_decisions d = { 0 };
  const struct og_decision *r;

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
  /* a scan that cannot finish refuses */
  m.p->mounts.scan_max_depth = 1;
  r = check_one_mount (&m, mj, &d, NULL);
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

START_TEST (hooks_allowlist)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  og_cleanup_free char *self = realpath ("/proc/self/exe", NULL);
  og_cleanup_free char *link = og_xasprintf ("%s/hook-link", th_tmpdir ());
  og_cleanup_free char *text = NULL;
  struct og_decisions d = { 0 };
  og_cleanup_json struct og_json *spec = NULL;
  struct og_json *h;

  th_strv_add (&p->hooks.allow, self);
  ck_assert_int_eq (symlink (self, link), 0);
  text = og_xasprintf (
      "{\"process\":{},\"root\":{\"path\":\"rootfs\"},\"hooks\":{\"prestart\":[{\"path\":\"/proc/%d/exe\"},"
      "{\"path\":\"%s\"}],\"poststop\":[{\"path\":\"/bin/sh\",\"args\":[\"sh\"]}]}}",
      (int)getpid (), link);
  spec = spec_from (text);
  th_enforce (p, spec, "x", &d);
  ck_assert_ptr_null (th_find (&d, "hooks", OG_DECISION_REFUSE, "hooks.prestart"));
  ck_assert_ptr_nonnull (th_find (&d, "hooks", OG_DECISION_REFUSE, "hooks.poststop[0].path"));
  h = og_json_path (spec, "hooks", "prestart", NULL);
  ck_assert_str_eq (og_json_get (h->vals[1], "path")->text, self);                   /* symlink rewritten */
  ck_assert_ptr_nonnull (strstr (og_json_get (h->vals[0], "path")->text, "/proc/")); /* kept */
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

static Suite *
suite (void)
{
  Suite *s = suite_create ("rules");
  TCase *fx = tcase_create ("fixtures");
  TCase *unit = tcase_create ("rules");
  TCase *fs = tcase_create ("filesystem");

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
