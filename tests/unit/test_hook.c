/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ocigate-hook precreate's document channel: what it writes to stdout
 * for good, bad, empty and oversized input (always one whole config or
 * nothing), the message a refusal carries, the audit record, and the
 * container identity it finds in a Podman config.
 */
#include <config.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "hook.h"
#include "ocigate/spec.h"
#include "ocigate/util.h"

#define ID "8d83b2a381a41368860347450bfe435380f6cb81d0e4e25067a97a5919916612"
#define REFUSAL_ROOT "/dev/null/ocigate: "

struct result
{
  int status;
  char *out, *err; /* what the stage wrote to stdout and stderr */
  size_t out_len;
};

static void
result_free (struct result *r)
{
  free (r->out);
  free (r->err);
}

static char *
path_in_tmp (const char *name)
{
  return og_xasprintf ("%s/%s", th_tmpdir (), name);
}

static void
write_file (const char *path, const char *data, size_t len)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

  ck_assert_int_ge (fd, 0);
  ck_assert_int_eq (og_write_all (fd, data, len), 0);
  close (fd);
}

/* The shipped default profile with its audit log in the temp dir, the
 * temp dir's rootfs among the allowed roots, and its seccomp profile
 * beside it. */
static char *
test_policy (void)
{
  og_cleanup_free char *src = og_xasprintf ("%s/default.json", PROFILES), *text = NULL, *out = NULL;
  og_cleanup_free char *audit = path_in_tmp ("audit.log"), *rootfs = path_in_tmp ("rootfs");
  og_cleanup_free char *seccomp_src = og_xasprintf ("%s/seccomp.json", PROFILES), *seccomp = NULL;
  og_cleanup_json struct og_json *j = NULL;
  const struct og_json_opts opts = { .allow_comments = true };
  struct og_error err = { 0 };
  char *path = path_in_tmp ("policy.json");
  size_t len;

  text = th_read_file (src, &len);
  ck_assert_msg (og_json_parse (text, len, &opts, &j, &err) == 0, "%s", err.msg);
  og_json_set (og_json_get (j, "audit"), "log", og_json_new_string (audit));
  og_json_append (og_json_path (j, "mounts", "allow_roots", NULL), og_json_new_string (rootfs));
  ck_assert_int_eq (og_json_write (j, true, &out, &len, &err), 0);
  write_file (path, out, len);
  free (text);
  text = th_read_file (seccomp_src, &len);
  seccomp = path_in_tmp ("seccomp.json");
  write_file (seccomp, text, len);
  return path;
}

/* A Podman 5.8 config for the temp dir's rootfs, without its bind mounts
 * (their sources are not on this host). */
static char *
podman_config (size_t *len)
{
  og_cleanup_json struct og_json *spec = th_fixture ("podman-5.8/default.config.json");
  og_cleanup_free char *rootfs = path_in_tmp ("rootfs");
  struct og_json *mounts = og_json_get (spec, "mounts");
  struct og_error err = { 0 };
  char *out = NULL;

  og_json_set (og_json_get (spec, "root"), "path", og_json_new_string (rootfs));
  for (size_t i = mounts->n; i-- > 0;)
    {
      struct og_json *type = og_json_get (mounts->vals[i], "type");
      if (og_json_is_string (type) && strcmp (type->text, "bind") == 0)
        og_json_remove_at (mounts, i);
    }
  ck_assert_int_eq (og_json_write (spec, false, &out, len, &err), 0);
  return out;
}

static int
redirect (int fd, const char *path, int flags)
{
  int saved = dup (fd), f = open (path, flags | O_CLOEXEC, 0600);

  ck_assert_int_ge (saved, 0);
  ck_assert_int_ge (f, 0);
  ck_assert_int_eq (dup2 (f, fd), fd);
  close (f);
  return saved;
}

static void
restore (int fd, int saved)
{
  ck_assert_int_eq (dup2 (saved, fd), fd);
  close (saved);
}

/* Run the stage with `in` (len bytes) on stdin; stdout opened with
 * out_flags (O_RDONLY: a stdout that cannot be written). */
static struct result
run_stage_flags (const char *in, size_t len, int out_flags, const char *const *extra)
{
  og_cleanup_free char *in_path = path_in_tmp ("stdin"), *out_path = path_in_tmp ("stdout");
  og_cleanup_free char *err_path = path_in_tmp ("stderr"), *policy = test_policy ();
  og_cleanup_free char *state = path_in_tmp ("state");
  char stage[] = "precreate", opt_policy[] = "--policy", opt_state[] = "--state-dir";
  char *argv[16] = { stage, opt_policy, policy, opt_state, state };
  int argc = 5, s0, s1, s2;
  struct result r = { 0 };

  for (size_t i = 0; extra && extra[i]; i++)
    argv[argc++] = (char *)extra[i];
  write_file (in_path, in, len);
  write_file (out_path, "", 0);
  fflush (stdout);
  fflush (stderr);
  s0 = redirect (STDIN_FILENO, in_path, O_RDONLY);
  s1 = redirect (STDOUT_FILENO, out_path, out_flags);
  s2 = redirect (STDERR_FILENO, err_path, O_WRONLY | O_CREAT | O_TRUNC);
  r.status = hook_precreate (argc, argv);
  fflush (stderr);
  restore (STDIN_FILENO, s0);
  restore (STDOUT_FILENO, s1);
  restore (STDERR_FILENO, s2);
  r.out = th_read_file (out_path, &r.out_len);
  r.err = th_read_file (err_path, NULL);
  return r;
}

static struct result
run_stage (const char *in, size_t len)
{
  return run_stage_flags (in, len, O_WRONLY | O_TRUNC, NULL);
}

/* stdout is one whole config (og_spec_parse refuses trailing data); its
 * root.path, which a refusal sets. */
static char *
out_root (const struct result *r, struct og_json **doc)
{
  struct og_error err = { 0 };
  struct og_json *path;

  ck_assert_msg (og_spec_parse (r->out, r->out_len, doc, &err) == 0, "stdout is not one config: %s", err.msg);
  path = og_json_path (*doc, "root", "path", NULL);
  ck_assert (og_json_is_string (path));
  return path->text;
}

/* A refusal: exit 0 (Podman would drop the message otherwise), one whole
 * config whose root.path carries `msg`, the message on stderr too. */
static void
assert_refusal (const struct result *r, const char *msg)
{
  og_cleanup_json struct og_json *doc = NULL;
  struct og_json *ns, *type;
  const char *root;

  ck_assert_int_eq (r->status, 0);
  root = out_root (r, &doc);
  ck_assert_msg (strncmp (root, REFUSAL_ROOT, strlen (REFUSAL_ROOT)) == 0, "root.path %s", root);
  ck_assert_msg (strstr (root, msg) != NULL, "root.path \"%s\" lacks \"%s\"", root, msg);
  ck_assert_msg (strstr (r->err, msg) != NULL, "stderr \"%s\" lacks \"%s\"", r->err, msg);
  ck_assert_ptr_null (og_json_get (doc, "hooks"));
  /* and a namespace whose type is the message, which runc and crun quote */
  ns = og_json_path (doc, "linux", "namespaces", NULL);
  ck_assert (ns && ns->type == OG_JSON_ARRAY && ns->n > 0);
  type = og_json_get (ns->vals[ns->n - 1], "type");
  ck_assert (og_json_is_string (type) && strncmp (type->text, "ocigate: ", 9) == 0 && strstr (type->text, msg));
}

static char *
last_audit_line (void)
{
  og_cleanup_free char *path = path_in_tmp ("audit.log"), *all = th_read_file (path, NULL);
  char *end = all + strlen (all), *start;

  ck_assert (end > all && end[-1] == '\n');
  end[-1] = '\0';
  start = strrchr (all, '\n');
  return og_xstrdup (start ? start + 1 : all);
}

START_TEST (accepted_config_is_written_whole)
{
  size_t len;
  og_cleanup_free char *in = podman_config (&len), *line = NULL;
  struct result r = run_stage (in, len);
  og_cleanup_json struct og_json *doc = NULL;
  og_cleanup_free char *rootfs = path_in_tmp ("rootfs");

  ck_assert_msg (r.status == 0, "status %d: %s", r.status, r.err);
  ck_assert_str_eq (out_root (&r, &doc), rootfs);
  ck_assert_str_eq (r.err, "");
  /* the policy's changes are in it */
  ck_assert (og_json_get (og_json_get (doc, "process"), "noNewPrivileges")->type == OG_JSON_TRUE);
  line = last_audit_line ();
  ck_assert_msg (strstr (line, "\"event\":\"precreate\",\"command\":\"precreate\",\"id\":\"" ID "\"") != NULL, "%s",
                 line);
  ck_assert_msg (strstr (line, "hostname 8d83b2a381a4") != NULL, "%s", line);
  result_free (&r);
}
END_TEST

START_TEST (empty_stdin)
{
  struct result r = run_stage ("", 0);
  og_cleanup_free char *line = NULL;

  assert_refusal (&r, "precreate: stdin is empty");
  line = last_audit_line ();
  ck_assert_msg (strstr (line, "\"event\":\"error\",\"command\":\"precreate\",\"id\":null") != NULL, "%s", line);
  result_free (&r);
}
END_TEST

START_TEST (bad_json)
{
  static const char in[] = "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"/x\"";
  struct result r = run_stage (in, sizeof in - 1);
  og_cleanup_json struct og_json *doc = NULL;

  assert_refusal (&r, "precreate: the proposed config on stdin: invalid json");
  /* nothing of the input: the minimal config, which mounts nothing */
  out_root (&r, &doc);
  ck_assert_ptr_null (og_json_get (doc, "mounts"));
  ck_assert_ptr_null (strstr (r.out, "\"/x\""));
  result_free (&r);
}
END_TEST

START_TEST (not_a_config)
{
  static const char in[] = "{\"Root\": {\"path\": \"/\"}}"; /* Go would read "Root" as root */
  struct result r = run_stage (in, sizeof in - 1);

  assert_refusal (&r, "precreate: the proposed config on stdin: ");
  result_free (&r);
}
END_TEST

START_TEST (too_large)
{
  size_t len = OG_SPEC_MAX_SIZE + 1;
  og_cleanup_free char *in = og_xmalloc (len);
  struct result r;
  og_cleanup_free char *msg = og_xasprintf ("larger than %u bytes", OG_SPEC_MAX_SIZE);

  memset (in, ' ', len);
  in[0] = '{';
  r = run_stage (in, len);
  assert_refusal (&r, msg);
  ck_assert_uint_lt (r.out_len, 4096);
  result_free (&r);
}
END_TEST

START_TEST (relative_root_refused)
{
  static const char in[] = "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":0,"
                           "\"gid\":0}},\"root\":{\"path\":\"rootfs\"},\"mounts\":[{\"destination\":\"/m\",\"type\":"
                           "\"bind\",\"source\":\"/tmp\",\"options\":[\"rbind\"]}],\"hooks\":{\"prestart\":[{\"path\":"
                           "\"/bin/true\"}]}}";
  struct result r = run_stage (in, sizeof in - 1);
  og_cleanup_json struct og_json *doc = NULL;

  assert_refusal (&r, "precreate: root.path \"rootfs\" is relative: a precreate hook cannot tell what it names");
  /* the proposed config is kept (Podman keeps it as the container's),
   * with the unreachable root and without hooks */
  out_root (&r, &doc);
  ck_assert_ptr_nonnull (og_json_get (doc, "mounts"));
  result_free (&r);
}
END_TEST

/* The state dir holds the runtime's staged mounts of other containers. */
START_TEST (state_dir_bind_refused)
{
  og_cleanup_json struct og_json *spec = th_fixture ("podman-5.8/default.config.json");
  og_cleanup_free char *rootfs = path_in_tmp ("rootfs"), *state = path_in_tmp ("state");
  og_cleanup_free char *staged = path_in_tmp ("state/staged"), *in = NULL, *msg = NULL;
  struct og_json *mounts = og_json_get (spec, "mounts"), *m = og_json_new (OG_JSON_OBJECT);
  struct og_json *opts = og_json_new (OG_JSON_ARRAY);
  struct og_error err = { 0 };
  struct result r;
  size_t len;

  ck_assert_int_eq (mkdir (state, 0700), 0);
  ck_assert_int_eq (mkdir (staged, 0700), 0);
  og_json_set (og_json_get (spec, "root"), "path", og_json_new_string (rootfs));
  for (size_t i = mounts->n; i-- > 0;)
    {
      struct og_json *type = og_json_get (mounts->vals[i], "type");
      if (og_json_is_string (type) && strcmp (type->text, "bind") == 0)
        og_json_remove_at (mounts, i);
    }
  og_json_set (m, "destination", og_json_new_string ("/x"));
  og_json_set (m, "type", og_json_new_string ("bind"));
  og_json_set (m, "source", og_json_new_string (staged));
  og_json_append (opts, og_json_new_string ("rbind"));
  og_json_set (m, "options", opts);
  og_json_append (mounts, m);
  ck_assert_int_eq (og_json_write (spec, false, &in, &len, &err), 0);
  r = run_stage (in, len);
  msg = og_xasprintf ("refused by policy: mounts[%zu].source: bind source %s lies in ocigate's state directory %s",
                      mounts->n - 1, staged, state);
  assert_refusal (&r, msg);
  result_free (&r);
}
END_TEST

START_TEST (unknown_option)
{
  static const char *const extra[] = { "--bogus", NULL };
  size_t len;
  og_cleanup_free char *in = podman_config (&len);
  struct result r = run_stage_flags (in, len, O_WRONLY | O_TRUNC, extra);

  assert_refusal (&r, "precreate: unknown option \"--bogus\"");
  result_free (&r);
}
END_TEST

/* Nothing can be written: a failure exit, and nothing on stdout. */
START_TEST (stdout_unwritable)
{
  size_t len;
  og_cleanup_free char *in = podman_config (&len);
  struct result r = run_stage_flags (in, len, O_RDONLY, NULL);

  ck_assert_int_eq (r.status, 1);
  ck_assert_uint_eq (r.out_len, 0);
  ck_assert_msg (strstr (r.err, "cannot write the config to stdout") != NULL, "%s", r.err);
  result_free (&r);
}
END_TEST

static char *
identity_of (const char *json)
{
  og_cleanup_json struct og_json *spec = NULL;
  struct hook_identity who = { 0 };
  struct og_error err = { 0 };
  char *id;

  ck_assert_msg (og_spec_parse (json, strlen (json), &spec, &err) == 0, "%s", err.msg);
  hook_identity_of (spec, &who);
  id = who.id ? og_xstrdup (who.id) : NULL;
  hook_identity_free (&who);
  return id;
}

START_TEST (identity_from_cgroup_and_mounts)
{
  static const char *const with_id[] = {
    "{\"linux\":{\"cgroupsPath\":\"/libpod_parent/libpod-" ID "\"}}",
    "{\"linux\":{\"cgroupsPath\":\"machine.slice:libpod:" ID "\"}}",
    "{\"linux\":{\"cgroupsPath\":\"/machine.slice/libpod-" ID ".scope\"}}",
    "{\"mounts\":[{\"destination\":\"/etc/hostname\",\"source\":\"/run/containers/storage/overlay-containers/" ID
    "/userdata/hostname\"}]}",
  };

  for (size_t i = 0; i < sizeof with_id / sizeof with_id[0]; i++)
    {
      og_cleanup_free char *id = identity_of (with_id[i]);
      ck_assert_msg (id && strcmp (id, ID) == 0, "%s: %s", with_id[i], id ? id : "(none)");
    }
  ck_assert_ptr_null (identity_of ("{\"linux\":{\"cgroupsPath\":\"/docker/abc\"}}"));
  ck_assert_ptr_null (identity_of ("{}"));
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("hook");
  TCase *t = tcase_create ("precreate");

  tcase_add_checked_fixture (t, NULL, th_cleanup);
  tcase_set_timeout (t, 60);
  tcase_add_test (t, accepted_config_is_written_whole);
  tcase_add_test (t, empty_stdin);
  tcase_add_test (t, bad_json);
  tcase_add_test (t, not_a_config);
  tcase_add_test (t, too_large);
  tcase_add_test (t, relative_root_refused);
  tcase_add_test (t, state_dir_bind_refused);
  tcase_add_test (t, unknown_option);
  tcase_add_test (t, stdout_unwritable);
  tcase_add_test (t, identity_from_cgroup_and_mounts);
  suite_add_tcase (s, t);
  return th_run (s);
}
