/* SPDX-License-Identifier: Apache-2.0 */
/* The policy loader: the shipped profile loads; every mistake is an error
 * that names the file and the problem. */
#include <config.h>
#include <check.h>

#include "helpers.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ocigate/json.h"
#include "ocigate/policy.h"
#include "ocigate/util.h"
#include "schema.h"

static const char *base_sections
    = "\"no_new_privileges\":{\"action\":\"enforce\"},"
      "\"capabilities\":{\"allow\":[\"CAP_CHOWN\"]},"
      "\"rootfs\":{\"readonly\":true,\"writable_tmpfs\":[\"/tmp\"]},"
      "\"resources\":{\"memory\":{\"default\":\"512M\",\"max\":\"1G\"},\"pids\":{\"default\":100,\"max\":200}},"
      "\"mounts\":{\"deny_trees\":[\"/etc\"]},"
      "\"hooks\":{\"allow\":[]},"
      "\"privileged\":{\"action\":\"deny\"},"
      "\"namespaces\":{\"require\":[\"pid\",\"network\"]},"
      "\"devices\":{\"allow\":[\"c 10:229\"]},"
      "\"sysctls\":{\"allow\":[\"net.core.*\"]},"
      "\"seccomp\":{\"default_profile\":\"seccomp.json\",\"deny_syscalls\":[\"ptrace\"]},"
      "\"paths\":{\"masked\":[\"/proc/kcore\"],\"readonly_sysfs\":true},"
      "\"process\":{\"run_as_non_root\":true,\"oom_score_adj_min\":-100,\"rlimit_max\":[\"RLIMIT_NOFILE=1024\"]},"
      "\"env\":{\"action\":\"audit\",\"deny_names\":[\"*_TOKEN\"]},"
      "\"lsm\":{\"action\":\"audit\"},"
      "\"user_namespace\":{\"mode\":\"required\",\"allocation\":\"shared\"}";

static int
load_text (const char *text, struct og_policy **p, struct og_error *err)
{
  return og_policy_parse (text, strlen (text), "test.json", p, err);
}

static void
assert_error (const char *text, const char *needle)
{
  struct og_policy *p = NULL;
  struct og_error err = { 0 };

  ck_assert_msg (load_text (text, &p, &err) < 0, "accepted: %s", text);
  ck_assert_ptr_null (p);
  ck_assert_msg (strstr (err.msg, needle) != NULL, "message \"%s\" lacks \"%s\"", err.msg, needle);
  ck_assert_msg (strstr (err.msg, "test.json") != NULL, "message \"%s\" does not name the file", err.msg);
  og_error_clear (&err);
}

static char *
with (const char *extra)
{
  return og_xasprintf ("{\"version\":1,%s%s%s}", base_sections, extra[0] ? "," : "", extra);
}

START_TEST (default_profile_loads)
{
  og_cleanup_policy struct og_policy *p = NULL;
  struct og_error err = { 0 };
  og_cleanup_free char *path = og_xasprintf ("%s/default.json", PROFILES);

  ck_assert_msg (og_policy_load (path, &p, &err) == 0, "%s", err.msg);
  ck_assert_uint_eq (strlen (p->digest), 64);
  ck_assert_uint_eq (og_strv_len (p->caps.allow), 10);
  ck_assert (!og_strv_contains (p->caps.allow, "CAP_NET_RAW"));
  ck_assert (!og_strv_contains (p->caps.allow, "CAP_MKNOD"));
  ck_assert (!og_strv_contains (p->caps.allow, "CAP_SETFCAP"));
  ck_assert (!og_strv_contains (p->caps.allow, "CAP_AUDIT_WRITE"));
  ck_assert (!og_strv_contains (p->caps.allow, "CAP_SYS_ADMIN"));
  ck_assert (p->rootfs.readonly);
  ck_assert (og_strv_contains (p->rootfs.writable_tmpfs, "/run"));
  ck_assert (p->resources.memory.has_default && p->resources.memory.def == 1LL << 30);
  ck_assert (p->resources.pids.has_max && p->resources.pids.max == 32768);
  ck_assert (p->resources.cpu.def == 2000);
  ck_assert (p->mounts.deny_any_socket);
  ck_assert (og_strv_contains (p->mounts.deny_sockets, "/var/run/docker.sock"));
  ck_assert_int_eq (p->nnp.action, OG_ACTION_ENFORCE);
  ck_assert (!p->audit_only);
  ck_assert_str_eq (p->audit_log, "/var/log/ocigate/audit.log");
}
END_TEST

START_TEST (minimal_policy_loads)
{
  og_cleanup_policy struct og_policy *p = NULL;
  og_cleanup_free char *text = with ("\"mode\":\"audit\"");
  struct og_error err = { 0 };

  ck_assert_msg (load_text (text, &p, &err) == 0, "%s", err.msg);
  ck_assert (p->audit_only);
  ck_assert_uint_eq (og_strv_len (p->rootfs.tmpfs_options), 4);
  ck_assert_uint_eq (p->mounts.scan_max_entries, 4096);
  ck_assert_ptr_nonnull (p->audit_log); /* defaults to the configured path */
  ck_assert_int_eq (p->privileged.action, OG_ACTION_DENY);
  /* relative to the policy's directory (here the cwd), made absolute */
  ck_assert (p->seccomp.default_profile[0] == '/');
  ck_assert_ptr_nonnull (strstr (p->seccomp.default_profile, "/seccomp.json"));
  ck_assert (p->process.has_oom_score_adj_min && p->process.oom_score_adj_min == -100);
  ck_assert_int_eq (p->env.action, OG_ACTION_AUDIT);
}
END_TEST

START_TEST (mistakes_are_errors)
{
  og_cleanup_free char *unknown_top = with ("\"capabilitys\":{}");
  og_cleanup_free char *bad_mode = with ("\"mode\":\"permissive\"");
  og_cleanup_free char *bad_audit = with ("\"audit\":{\"log\":\"relative.log\"}");
  og_cleanup_free char *bad_audit_key = with ("\"audit\":{\"file\":\"/x\"}");

  assert_error (unknown_top, "unknown key \"capabilitys\"");
  assert_error (bad_mode, "mode");
  assert_error (bad_audit, "absolute path");
  assert_error (bad_audit_key, "unknown key \"file\"");
  assert_error ("{\"version\":2}", "must be 1");
  assert_error ("{\"version\":\"1\"}", "must be 1");
  assert_error ("[]", "must be a json object");
  assert_error ("{\"version\":1}", "missing required section \"no_new_privileges\"");
  assert_error ("{\"version\":1,\"no_new_privileges\":{\"action\":\"maybe\"}}", "\"action\" must be");
  assert_error ("{\"version\":1,\"no_new_privileges\":{},\"capabilities\":{}}", "missing \"allow\"");
  assert_error ("{\"version\":1,\"no_new_privileges\":{},\"capabilities\":{\"allow\":[\"SYS_ADMIN\"]}}",
                "not a capability name");
  assert_error ("{\"version\":1,\"no_new_privileges\":{},\"capabilities\":{\"allow\":\"CAP_CHOWN\"}}",
                "array of strings");
  assert_error ("{\"version\":1,\"no_new_privileges\":{},\"capabilities\":{\"allow\":[\"CAP_NET_BIND_SERIVCE\"]}}",
                "policy test.json: capabilities.allow: unknown capability \"CAP_NET_BIND_SERIVCE\"");
  assert_error ("{\"version\":1,\"no_new_privileges\":{\"actoin\":\"enforce\"}}", "unknown key \"actoin\"");
  assert_error ("{\"version\":1, \"version\":1}", "duplicate key");
  assert_error ("{\"version\":1,", "invalid json");
  assert_error ("", "invalid json");
}
END_TEST

/* The base policy with one section replaced. */
static char *
replacing (const char *section_json)
{
  size_t namelen = strcspn (section_json + 1, "\"");
  og_cleanup_free char *needle = og_xasprintf ("\"%.*s\":{", (int)namelen, section_json + 1);
  og_cleanup_free char *base = with ("");
  char *at = strstr (base, needle), *end;
  int depth = 0;

  ck_assert_ptr_nonnull (at);
  for (end = at + strlen (needle) - 1; *end; end++)
    {
      depth += *end == '{';
      depth -= *end == '}';
      if (depth == 0)
        break;
    }
  return og_xasprintf ("%.*s%s%s", (int)(at - base), base, section_json, end + 1);
}

START_TEST (hardening_mistakes)
{
  static const char *const cases[][2] = {
    { "\"namespaces\":{\"require\":[\"net\"]}", "not a namespace type" },
    { "\"devices\":{\"allow\":[\"/dev/fuse\"]}", "not a device number" },
    { "\"devices\":{\"allow\":[\"x 1:2\"]}", "not a device number" },
    { "\"process\":{\"rlimit_max\":[\"NOFILE=5\"]}", "RLIMIT_NAME=MAX" },
    { "\"process\":{\"oom_score_adj_min\":\"low\"}", "invalid value" },
    { "\"seccomp\":{\"allow_unconfined\":1}", "true or false" },
    { "\"lsm\":{\"apparmor\":\"x\"}", "unknown key \"apparmor\"" },
    { "\"paths\":{\"masked\":[\"proc/kcore\"]}", "absolute path" },
    { "\"privileged\":{\"action\":\"allow\"}", "\"action\" must be" },
    { "\"user_namespace\":{\"mode\":\"on\"}", "must be \"required\"" },
    { "\"process\":{\"rlimit_max\":[\"RLIMIT_NOFLIE=5\"]}", "RLIMIT_NAME=MAX" },
    { "\"devices\":{\"allow\":[\"c10:229\"]}", "not a device number" },
    { "\"seccomp\":{\"deny_syscalls\":[\"ptrcae\"]}", "not a syscall" },
    { "\"seccomp\":{\"learn\":[\"run/containerd/*\"]}", "absolute path" },
    { "\"seccomp\":{\"learn\":\"/run/containerd/*\"}", "must be an array of strings" },
    { "\"user_namespace\":{\"pool_start\":0}", "invalid value" },
    { "\"user_namespace\":{\"pool_start\":1000}", "pool_start must be" },
    { "\"user_namespace\":{\"range_size\":70000,\"pool_size\":65536}", "range_size <= pool_size" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      og_cleanup_free char *text = replacing (cases[i][0]);
      assert_error (text, cases[i][1]);
    }
}
END_TEST

START_TEST (resource_mistakes)
{
  static const char *const cases[][2] = {
    { "\"memory\":{\"default\":\"2G\",\"max\":\"1G\"}", "larger than" },
    { "\"memory\":{\"default\":\"lots\"}", "invalid value" },
    { "\"memory\":{\"min\":\"1G\"}", "unknown key \"min\"" },
    { "\"pids\":{\"default\":-5}", "invalid value" },
    { "\"cpu\":{\"default\":\"0\"}", "invalid value" },
    { "\"swap\":{\"max\":\"1G\"}", "needs a memory limit" },
    /* runc sets no memory limit for 0: a maximum of 0 would be none */
    { "\"memory\":{\"max\":0}", "resources.memory: a limit of 0 is no limit to runc" },
    { "\"memory\":{\"default\":\"0M\",\"max\":\"1G\"}", "resources.memory: a limit of 0 is no limit to runc" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      og_cleanup_free char *text
          = og_xasprintf ("{\"version\":1,\"no_new_privileges\":{},\"capabilities\":{\"allow\":[]},\"rootfs\":{},"
                          "\"resources\":{%s},\"mounts\":{},\"hooks\":{}}",
                          cases[i][0]);
      assert_error (text, cases[i][1]);
    }
}
END_TEST

START_TEST (mount_mistakes)
{
  assert_error ("{\"version\":1,\"no_new_privileges\":{},\"capabilities\":{\"allow\":[]},\"rootfs\":{},"
                "\"resources\":{},\"mounts\":{\"deny_trees\":[\"etc\"]},\"hooks\":{}}",
                "absolute path");
  assert_error ("{\"version\":1,\"no_new_privileges\":{},\"capabilities\":{\"allow\":[]},\"rootfs\":{},"
                "\"resources\":{},\"mounts\":{\"scan\":{\"max_entries\":0}},\"hooks\":{}}",
                "invalid value");
  assert_error ("{\"version\":1,\"no_new_privileges\":{},\"capabilities\":{\"allow\":[]},\"rootfs\":{},"
                "\"resources\":{},\"mounts\":{\"deny_any_socket\":\"yes\"},\"hooks\":{}}",
                "true or false");
  assert_error ("{\"version\":1,\"no_new_privileges\":{},\"capabilities\":{\"allow\":[]},\"rootfs\":{},"
                "\"resources\":{},\"mounts\":{},\"hooks\":{\"allow\":[\"dockerd\"]}}",
                "absolute path");
}
END_TEST

START_TEST (files)
{
  struct og_policy *p = NULL;
  struct og_error err = { 0 };
  char path[] = "/tmp/ocigate-policy-XXXXXX";
  int fd = mkstemp (path);

  ck_assert_int_lt (og_policy_load ("/nonexistent/policy.json", &p, &err), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, "/nonexistent/policy.json"));
  ck_assert_ptr_nonnull (strstr (err.msg, "No such file"));
  og_error_clear (&err);

  ck_assert_int_lt (og_policy_load ("/tmp", &p, &err), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, "not a regular file"));
  og_error_clear (&err);

  ck_assert_int_ge (fd, 0);
  ck_assert_int_lt (og_policy_load (path, &p, &err), 0); /* empty */
  ck_assert_ptr_nonnull (strstr (err.msg, "is empty"));
  og_error_clear (&err);

  ck_assert_int_eq (write (fd, "{\"version\":1,\"no_new", 21), 21); /* truncated */
  ck_assert_int_lt (og_policy_load (path, &p, &err), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, path));
  og_error_clear (&err);

  ck_assert_int_eq (ftruncate (fd, 2 * 1024 * 1024), 0); /* huge */
  ck_assert_int_lt (og_policy_load (path, &p, &err), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, "larger than"));
  og_error_clear (&err);
  close (fd);
  unlink (path);
}
END_TEST

START_TEST (sizes)
{
  int64_t v;

  ck_assert_int_eq (og_parse_size ("512M", &v), 0);
  ck_assert (v == 512LL << 20);
  ck_assert_int_eq (og_parse_size ("1GiB", &v), 0);
  ck_assert (v == 1LL << 30);
  ck_assert_int_eq (og_parse_size ("64k", &v), 0);
  ck_assert (v == 65536);
  ck_assert_int_eq (og_parse_size ("1048576", &v), 0);
  ck_assert (v == 1048576);
  ck_assert_int_lt (og_parse_size ("1.5G", &v), 0);
  ck_assert_int_lt (og_parse_size ("-1", &v), 0);
  ck_assert_int_lt (og_parse_size ("9999999999T", &v), 0);
  ck_assert_int_lt (og_parse_size ("1X", &v), 0);
  ck_assert_int_lt (og_parse_size ("", &v), 0);
  ck_assert_int_eq (og_parse_millicpus ("1.5", &v), 0);
  ck_assert (v == 1500);
  ck_assert_int_eq (og_parse_millicpus ("0.25", &v), 0);
  ck_assert (v == 250);
  ck_assert_int_eq (og_parse_millicpus ("4", &v), 0);
  ck_assert (v == 4000);
  ck_assert_int_lt (og_parse_millicpus ("0.0001", &v), 0);
  ck_assert_int_lt (og_parse_millicpus ("0", &v), 0);
  ck_assert_int_lt (og_parse_millicpus ("-1", &v), 0);
  ck_assert_int_lt (og_parse_millicpus ("1,5", &v), 0);
}
END_TEST

/* og_realpath agrees with realpath(3): symlinks (relative and chained),
 * "..", "//", a missing path (ENOENT), a dangling link, a file used as a
 * directory (ENOTDIR); og_mkdir_p makes parents and accepts what exists. */
START_TEST (realpath_and_mkdir_p)
{
  char dir[] = "/tmp/ocigate-unit-XXXXXX";
  const char *cases[] = { "",         "/d",        "/l1",    "/l2",   "/d/../d//f", "/l2/f", "/l1/",
                          "/missing", "/dangling", "/d/f/x", "/d/f/", "/d/.",       "/" };

  ck_assert_ptr_nonnull (mkdtemp (dir));
  {
    og_cleanup_free char *d = og_xasprintf ("%s/d", dir), *f = og_xasprintf ("%s/d/f", dir),
                         *l1 = og_xasprintf ("%s/l1", dir), *l2 = og_xasprintf ("%s/l2", dir),
                         *dg = og_xasprintf ("%s/dangling", dir), *deep = og_xasprintf ("%s/p/q/r", dir);
    FILE *fp;

    ck_assert_int_eq (og_mkdir_p (d, 0755, 0755), 0);
    ck_assert_int_eq (og_mkdir_p (d, 0755, 0755), 0); /* exists */
    ck_assert_int_eq (og_mkdir_p (deep, 0755, 0700), 0);
    fp = fopen (f, "w");
    ck_assert_ptr_nonnull (fp);
    fclose (fp);
    ck_assert_int_eq (symlink ("d", l1), 0);
    ck_assert_int_eq (symlink (l1, l2), 0);
    ck_assert_int_eq (symlink ("nowhere", dg), 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
      {
        og_cleanup_free char *path
            = cases[i][0] == '/' && cases[i][1] == '\0' ? og_xstrdup ("/") : og_xasprintf ("%s%s", dir, cases[i]);
        og_cleanup_free char *want = realpath (path, NULL);
        int want_errno = errno;
        og_cleanup_free char *got = og_realpath (path);
        int got_errno = errno;

        if (want == NULL)
          {
            ck_assert_msg (got == NULL, "%s: og_realpath gave %s, realpath failed", path, got);
            ck_assert_int_eq (got_errno, want_errno);
          }
        else
          {
            ck_assert_msg (got != NULL, "%s: og_realpath failed, realpath gave %s", path, want);
            ck_assert_str_eq (got, want);
          }
      }
    unlink (f);
    unlink (l1);
    unlink (l2);
    unlink (dg);
    rmdir (d);
    rmdir (deep);
    *strrchr (deep, '/') = '\0';
    rmdir (deep);
    *strrchr (deep, '/') = '\0';
    rmdir (deep);
  }
  ck_assert_int_eq (rmdir (dir), 0);
}
END_TEST

/* The compiled image of a policy reads back to the same policy: the same
 * image again, and the same enforcement of every engine fixture; a
 * truncated image or one with any byte changed is refused. */
static void
image_round_trip (struct og_policy *p)
{
  og_cleanup_policy struct og_policy *q = NULL;
  og_cleanup_free char *img = NULL, *img2 = NULL;
  struct og_error err = { 0 };
  size_t len, len2;

  ck_assert_int_eq (og_policy_image_write (p, &img, &len), 0);
  ck_assert_msg (og_policy_image_read (img, len, &q, &err) == 0, "%s", err.msg);
  ck_assert_int_eq (og_policy_image_write (q, &img2, &len2), 0);
  ck_assert_uint_eq (len, len2);
  ck_assert (memcmp (img, img2, len) == 0);
  ck_assert_str_eq (q->path, p->path);
  ck_assert_str_eq (q->digest, p->digest);
  for (size_t n = 0; n < len; n++)
    {
      struct og_policy *r = NULL;
      ck_assert_msg (og_policy_image_read (img, n, &r, &err) < 0, "a %zu-byte prefix read", n);
      ck_assert_ptr_null (r);
      og_error_clear (&err);
    }
  for (size_t i = 0; i < len; i++)
    {
      struct og_policy *r = NULL;
      img[i] ^= 0x01;
      ck_assert_msg (og_policy_image_read (img, len, &r, &err) < 0, "byte %zu changed, image read", i);
      ck_assert_ptr_null (r);
      og_error_clear (&err);
      img[i] ^= 0x01;
    }
}

static char *
enforced (struct og_policy *p, const char *fixture)
{
  og_cleanup_json struct og_json *spec = th_fixture (fixture);
  struct og_decisions d = { 0 };
  struct og_error err = { 0 };
  char *out = NULL;
  size_t len;

  th_sandbox (spec, p);
  th_enforce (p, spec, "0123456789abcdef", &d);
  ck_assert_msg (og_json_write (spec, false, &out, &len, &err) == 0, "%s", err.msg);
  og_decisions_clear (&d);
  return out;
}

START_TEST (image_reads_back)
{
  static const char *const profiles[] = { "default.json", "baseline.json", "restricted.json" };
  static const char *const fixtures[]
      = { "docker-20.10/default.config.json", "docker-20.10/capall.config.json", "docker-20.10/sock.config.json",
          "containerd-1.6/create-1.config.json", "podman-4.3/create-2.config.json" };
  og_cleanup_free char *text = with ("\"mode\":\"audit\"");
  struct og_policy *minimal = NULL;
  struct og_error err = { 0 };

  /* NULL strings and lists, and a profile of each kind */
  ck_assert_msg (load_text (text, &minimal, &err) == 0, "%s", err.msg);
  free (minimal->audit_log);
  minimal->audit_log = NULL;
  image_round_trip (minimal);
  og_policy_free (minimal);
  for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++)
    {
      og_cleanup_policy struct og_policy *p = th_profile (profiles[i]), *p2 = th_profile (profiles[i]), *q = NULL;
      og_cleanup_free char *img = NULL;
      size_t len;

      image_round_trip (p);
      ck_assert_int_eq (og_policy_image_write (p2, &img, &len), 0);
      ck_assert_int_eq (og_policy_image_read (img, len, &q, &err), 0);
      for (size_t k = 0; k < sizeof fixtures / sizeof fixtures[0]; k++)
        {
          og_cleanup_free char *want = enforced (p, fixtures[k]), *got = enforced (q, fixtures[k]);
          ck_assert_msg (strcmp (want, got) == 0, "%s with %s: the read-back policy enforces differently", fixtures[k],
                         profiles[i]);
        }
    }
}
END_TEST

/* Only a policy whose ctime is two seconds old may be cached. */
START_TEST (cacheable_after_two_seconds)
{
  struct stat st = { .st_ctim = { 1000, 500000000 } };
  struct timespec now = { 1001, 999999999 };

  ck_assert (!og_policy_cacheable (&st, &now));
  now = (struct timespec){ 1002, 499999999 };
  ck_assert (!og_policy_cacheable (&st, &now));
  now = (struct timespec){ 1002, 500000000 };
  ck_assert (og_policy_cacheable (&st, &now));
  now = (struct timespec){ 999, 0 }; /* a ctime in the future */
  ck_assert (!og_policy_cacheable (&st, &now));
}
END_TEST

/* og_format_utc agrees with gmtime_r + strftime: every day of 1900-2400,
 * every second around a day's edges, negative times, leap days. */
START_TEST (utc_format_matches_gmtime)
{
  for (int64_t t = -2208988800LL; t < 13569465600LL; t += 86400 - 1 + (t & 1) * 2)
    for (int64_t k = 0; k < 3; k++)
      {
        time_t tt = (time_t)(t + k);
        char want[OG_UTC_LEN], got[OG_UTC_LEN];
        struct tm tm;

        ck_assert_ptr_nonnull (gmtime_r (&tt, &tm));
        strftime (want, sizeof want, "%Y-%m-%dT%H:%M:%SZ", &tm);
        og_format_utc (t + k, got);
        ck_assert_msg (strcmp (want, got) == 0, "%lld: %s, not %s", (long long)(t + k), got, want);
      }
}
END_TEST

START_TEST (restore_key)
{
  og_cleanup_free char *absent = with ("");
  og_cleanup_free char *allowed = with ("\"restore\":{\"allow\":true,\"description\":\"CRIU images we sign\"}");
  og_cleanup_free char *not_bool = with ("\"restore\":{\"allow\":\"yes\"}");
  og_cleanup_free char *typo = with ("\"restore\":{\"alow\":true}");
  struct og_policy *p = NULL;
  struct og_error err = { 0 };

  /* a policy written before the section existed refuses restore */
  ck_assert_msg (load_text (absent, &p, &err) == 0, "%s", err.msg);
  ck_assert (!p->restore.allow);
  og_policy_free (p);
  ck_assert_msg (load_text (allowed, &p, &err) == 0, "%s", err.msg);
  ck_assert (p->restore.allow);
  og_policy_free (p);
  assert_error (not_bool, "\"allow\" must be true or false");
  assert_error (typo, "unknown key \"alow\"");
}
END_TEST

/* The fields area's action is deny when absent, as ocigate-policy(5) says,
 * whether the section is absent or present without "action" (the loader
 * before the table read the latter as enforce). */
START_TEST (fields_default_action)
{
  og_cleanup_free char *absent = with (""), *empty = with ("\"fields\":{\"allow\":[\"linux.example\"]}");
  og_cleanup_free char *enforce = with ("\"fields\":{\"action\":\"enforce\"}");
  struct og_policy *p = NULL;
  struct og_error err = { 0 };

  ck_assert_msg (load_text (absent, &p, &err) == 0, "%s", err.msg);
  ck_assert_int_eq (p->fields.action, OG_ACTION_DENY);
  og_policy_free (p);
  ck_assert_msg (load_text (empty, &p, &err) == 0, "%s", err.msg);
  ck_assert_int_eq (p->fields.action, OG_ACTION_DENY);
  ck_assert (og_strv_contains (p->fields.allow, "linux.example"));
  og_policy_free (p);
  ck_assert_msg (load_text (enforce, &p, &err) == 0, "%s", err.msg);
  ck_assert_int_eq (p->fields.action, OG_ACTION_ENFORCE);
  og_policy_free (p);
}
END_TEST

/* Running without a user namespace where a container's author can make it
 * happen is allowed only by name, and only in mode if-possible. */
START_TEST (userns_allow_without)
{
  og_cleanup_policy struct og_policy *p = NULL;
  og_cleanup_free char *ok = replacing (
      "\"user_namespace\":{\"mode\":\"if-possible\",\"allow_without\":[\"pool-exhausted\",\"shared-pid-namespace\"]}");
  og_cleanup_free char *none = replacing ("\"user_namespace\":{\"mode\":\"if-possible\"}");
  og_cleanup_free char *unknown
      = replacing ("\"user_namespace\":{\"mode\":\"if-possible\",\"allow_without\":[\"odd-id\"]}");
  og_cleanup_free char *required
      = replacing ("\"user_namespace\":{\"mode\":\"required\",\"allow_without\":[\"pool-exhausted\"]}");
  og_cleanup_free char *not_array
      = replacing ("\"user_namespace\":{\"mode\":\"if-possible\",\"allow_without\":\"pool-exhausted\"}");
  struct og_error err = { 0 };

  ck_assert_msg (load_text (ok, &p, &err) == 0, "%s", err.msg);
  ck_assert (p->userns.without_if_pool_exhausted && p->userns.without_if_shared_pid_ns);
  og_policy_free (p);
  p = NULL;
  ck_assert_msg (load_text (none, &p, &err) == 0, "%s", err.msg);
  ck_assert (!p->userns.without_if_pool_exhausted && !p->userns.without_if_shared_pid_ns);
  assert_error (unknown, "user_namespace.allow_without: entries must be");
  assert_error (required, "needs mode \"if-possible\"");
  assert_error (not_array, "array of strings");
}
END_TEST

/* Capability names are libcap's, spelled as the runtime spec does. */
START_TEST (capability_names)
{
  static const char *const good[] = { "CAP_CHOWN", "CAP_NET_BIND_SERVICE", "CAP_SYS_ADMIN", "CAP_CHECKPOINT_RESTORE" };
  static const char *const cases[][2] = {
    { "CAP_NET_BIND_SERIVCE", "unknown capability \"CAP_NET_BIND_SERIVCE\"" },
    { "CAP_41", "unknown capability \"CAP_41\"" },
    { "CAP_ALL", "unknown capability \"CAP_ALL\"" },
    { "cap_chown", "\"cap_chown\" is not a capability name (expected CAP_...)" },
    { "CAP_chown", "\"CAP_chown\" is not a capability name" },
    { "CAP_", "\"CAP_\" is not a capability name" },
    { "12", "\"12\" is not a capability name" },
  };

  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
    ck_assert_msg (og_cap_name_problem (good[i]) == NULL, "%s refused", good[i]);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      og_cleanup_free char *section = og_xasprintf ("\"capabilities\":{\"allow\":[\"CAP_CHOWN\",\"%s\"]}", cases[i][0]);
      og_cleanup_free char *text = replacing (section);
      og_cleanup_free char *want = og_xasprintf ("test.json: capabilities.allow: %s", cases[i][1]);
      assert_error (text, want);
    }
}
END_TEST

/* A name beyond the kernel's last capability loads, with a warning that
 * names the file, the name and the last capability. */
START_TEST (capabilities_beyond_the_kernel)
{
  char chown[] = "CAP_CHOWN", bpf[] = "CAP_BPF", restore[] = "CAP_CHECKPOINT_RESTORE";
  char *allow[] = { chown, bpf, restore, NULL };
  og_cleanup_strv char **none = og_caps_beyond ("p.json", allow, 40);
  og_cleanup_strv char **two = og_caps_beyond ("p.json", allow, 38);
  og_cleanup_strv char **here = NULL;
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");

  ck_assert_ptr_null (none);
  ck_assert_uint_eq (og_strv_len (two), 2);
  ck_assert_str_eq (two[0], "policy p.json: capabilities.allow: \"CAP_BPF\" (39) is beyond the running kernel's "
                            "last capability (38): the kernel cannot grant it");
  ck_assert_ptr_nonnull (strstr (two[1], "\"CAP_CHECKPOINT_RESTORE\" (40)"));
  /* the shipped profile's names are all old enough for any supported kernel */
  here = og_policy_host_warnings (p);
  ck_assert_ptr_null (here);
}
END_TEST

/* What the loader, og_policy_free and the image take for granted of every
 * entry: a new one that breaks it fails here, not on a host. */
static void
check_keys (const char *where, const struct og_key *keys)
{
  for (const struct og_key *k = keys; k->name; k++)
    {
      for (const struct og_key *o = keys; o < k; o++)
        ck_assert_msg (strcmp (o->name, k->name) != 0, "%s.%s: twice", where, k->name);
      ck_assert_msg (strcmp (k->name, "description") != 0, "%s: description is always accepted", where);
      ck_assert_msg (!k->required || k->hint, "%s.%s: required without a hint", where, k->name);
      switch (k->type)
        {
          case OG_KEY_BOOL:
            ck_assert_msg (k->size == sizeof (bool), "%s.%s: not a bool", where, k->name);
            break;
          case OG_KEY_ACTION:
          case OG_KEY_COUNT:
            ck_assert_msg (k->size == sizeof (int32_t), "%s.%s: not an enum or unsigned", where, k->name);
            break;
          case OG_KEY_CHOICE:
            ck_assert_msg (k->choices && (k->size == sizeof (bool) || k->size == sizeof (int32_t)), "%s.%s", where,
                           k->name);
            break;
          case OG_KEY_INT:
            ck_assert_msg (k->parse && k->size == sizeof (int64_t), "%s.%s: not an int64_t", where, k->name);
            ck_assert_msg (!k->has_flag || k->has_off, "%s.%s", where, k->name);
            break;
          case OG_KEY_LIMIT:
            ck_assert_msg (k->parse && k->size == sizeof (struct og_limit), "%s.%s", where, k->name);
            break;
          case OG_KEY_STRING:
          case OG_KEY_STRV:
          case OG_KEY_PATHV:
            ck_assert_msg (k->size == sizeof (char *), "%s.%s: not a pointer", where, k->name);
            ck_assert_msg (!k->def_strv || k->type == OG_KEY_STRV, "%s.%s", where, k->name);
            break;
          case OG_KEY_OBJECT:
            ck_assert_msg (k->sub != NULL, "%s.%s: no keys", where, k->name);
            check_keys (k->name, k->sub);
            break;
          case OG_KEY_CUSTOM:
            ck_assert_msg (k->custom && (k->owns == OG_STORE_PLAIN || k->size == sizeof (char *)), "%s.%s", where,
                           k->name);
            break;
        }
    }
}

START_TEST (table_is_consistent)
{
  check_keys ("top level", og_policy_top_keys);
  for (size_t i = 0; i < og_policy_nsections; i++)
    {
      const struct og_section *s = &og_policy_sections[i];
      for (size_t j = 0; j < i; j++)
        ck_assert_msg (strcmp (og_policy_sections[j].name, s->name) != 0, "%s: twice", s->name);
      for (const struct og_key *k = og_policy_top_keys; k->name; k++)
        ck_assert_msg (strcmp (k->name, s->name) != 0, "%s: a top-level key and an area", s->name);
      check_keys (s->name, s->keys);
    }
}
END_TEST

static char *
read_man (void)
{
  FILE *f = fopen (MANDIR "/ocigate-policy.5", "re");
  struct og_buf b = { 0 };
  char chunk[4096];
  size_t n;

  ck_assert_ptr_nonnull (f);
  while ((n = fread (chunk, 1, sizeof chunk, f)) > 0)
    og_buf_put (&b, chunk, n);
  fclose (f);
  og_buf_put (&b, "", 1);
  return b.buf;
}

/* The "Keys:" list under ".SS NAME" as "action, allow (required), description". */
static char *
man_keys (const char *man, const char *section)
{
  og_cleanup_free char *head = og_xasprintf ("\n.SS %s\nKeys:\n", section);
  const char *at = strstr (man, head);
  struct og_buf b = { 0 };
  bool last = false;

  if (at == NULL)
    return og_xstrdup ("(no \"Keys:\" list)");
  for (at += strlen (head); !last && strncmp (at, ".BR ", 4) == 0; at = strchr (at, '\n') + 1)
    {
      size_t eol = strcspn (at, "\n"), name = strcspn (at + 4, " \n");
      og_cleanup_free char *line = og_xstrndup (at, eol);

      if (b.len)
        og_buf_puts (&b, ", ");
      og_buf_put (&b, at + 4, name);
      if (strstr (line, "(required)"))
        og_buf_puts (&b, " (required)");
      last = eol >= 2 && strcmp (line + eol - 2, " .") == 0;
    }
  og_buf_put (&b, "", 1);
  return b.buf;
}

static char *
table_keys (const struct og_key *keys)
{
  struct og_buf b = { 0 };

  for (const struct og_key *k = keys; k->name; k++)
    {
      og_buf_puts (&b, k->name);
      og_buf_puts (&b, k->required ? " (required), " : ", ");
    }
  og_buf_puts (&b, "description");
  og_buf_put (&b, "", 1);
  return b.buf;
}

/* The text of ".SS NAME" up to the next ".SS". */
static char *
man_section (const char *man, const char *name)
{
  og_cleanup_free char *head = og_xasprintf ("\n.SS %s\n", name);
  const char *at = strstr (man, head), *end;

  ck_assert_msg (at != NULL, "ocigate-policy(5) has no section %s", name);
  end = strstr (at + 1, "\n.SS ");
  return end ? og_xstrndup (at, (size_t)(end - at)) : og_xstrdup (at);
}

/* ocigate-policy(5) lists exactly the table's areas and keys, and the
 * defaults and bounds of the nested counts: the two cannot drift apart. */
START_TEST (man_page_matches_table)
{
  og_cleanup_free char *man = read_man ();
  const char *req = strstr (man, "\n.TP\n.BR privileged ");
  og_cleanup_free char *req_line = NULL;
  size_t nreq = 0, nlisted = 0;

  ck_assert_ptr_nonnull (req);
  req_line = og_xstrndup (req + 5, strcspn (req + 5, "\n"));
  ck_assert_ptr_nonnull (strstr (req_line, "(all required)"));
  for (size_t i = 0; i < og_policy_nsections; i++)
    {
      const struct og_section *s = &og_policy_sections[i];
      og_cleanup_free char *want = table_keys (s->keys), *got = man_keys (man, s->name);
      og_cleanup_free char *text = man_section (man, s->name);
      og_cleanup_free char *quoted = og_xasprintf (" %s ", s->name);
      og_cleanup_free char *optional = og_xasprintf ("\n.TP\n.B %s\nOptional", s->name);

      ck_assert_msg (strcmp (want, got) == 0, "ocigate-policy(5) %s: keys \"%s\", the table has \"%s\"", s->name, got,
                     want);
      if (s->optional)
        ck_assert_msg (strstr (man, optional) != NULL, "ocigate-policy(5) does not say %s is optional", s->name);
      else
        ck_assert_msg (strstr (req_line, quoted) != NULL, "ocigate-policy(5) does not list %s as required", s->name);
      nreq += !s->optional;
      for (const struct og_key *k = s->keys; k->name; k++)
        for (const struct og_key *sub = k->type == OG_KEY_OBJECT ? k->sub : NULL; sub && sub->name; sub++)
          {
            og_cleanup_free char *name = og_xasprintf ("\n.B %s\n", sub->name);
            og_cleanup_free char *bounds
                = og_xasprintf ("default %lld, at most %lld", (long long)sub->def, (long long)sub->max);
            ck_assert_msg (strstr (text, name) != NULL, "ocigate-policy(5) %s: no %s.%s", s->name, k->name, sub->name);
            ck_assert_msg (strstr (text, bounds) != NULL, "ocigate-policy(5) %s.%s: not \"%s\"", k->name, sub->name,
                           bounds);
          }
    }
  /* and no required area the table does not have */
  for (char *w = strtok (req_line + 4, " "); w; w = strtok (NULL, " "))
    nlisted += strspn (w, "abcdefghijklmnopqrstuvwxyz_") == strlen (w);
  ck_assert_uint_eq (nlisted, nreq);
  for (const struct og_key *k = og_policy_top_keys; k->name; k++)
    {
      og_cleanup_free char *b = og_xasprintf ("\n.TP\n.B %s\n", k->name),
                           *br = og_xasprintf ("\n.TP\n.BR %s ", k->name);
      ck_assert_msg (strstr (man, b) || strstr (man, br), "ocigate-policy(5) Top level: no %s", k->name);
    }
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("policy");
  TCase *tc = tcase_create ("loader");

  /* utc_format_matches_gmtime alone takes ~3.5 s here, Check's default
   * timeout is 4 s: under ASan on a busy 2-core machine it timed out. */
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, default_profile_loads);
  tcase_add_test (tc, realpath_and_mkdir_p);
  tcase_add_test (tc, minimal_policy_loads);
  tcase_add_test (tc, mistakes_are_errors);
  tcase_add_test (tc, resource_mistakes);
  tcase_add_test (tc, hardening_mistakes);
  tcase_add_test (tc, mount_mistakes);
  tcase_add_test (tc, files);
  tcase_add_test (tc, sizes);
  tcase_add_test (tc, image_reads_back);
  tcase_add_test (tc, cacheable_after_two_seconds);
  tcase_add_test (tc, utc_format_matches_gmtime);
  tcase_add_test (tc, restore_key);
  tcase_add_test (tc, userns_allow_without);
  tcase_add_test (tc, fields_default_action);
  tcase_add_test (tc, capability_names);
  tcase_add_test (tc, capabilities_beyond_the_kernel);
  tcase_add_test (tc, table_is_consistent);
  tcase_add_test (tc, man_page_matches_table);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return th_run (suite ());
}
