/* SPDX-License-Identifier: Apache-2.0 */
/* Layers of a policy (policy/layers.c): policy.d/NAME.json may only tighten
 * what the files before it set; every loosening is an error naming the
 * layer, the key and the file it loosens; the cache is keyed on them all. */
#include <config.h>
#include <check.h>

#include "helpers.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocigate/facts.h"
#include "ocigate/json.h"
#include "ocigate/policy.h"
#include "ocigate/util.h"
#include "schema.h"

#define BASE_TEXT                                                                                                      \
  "{\"version\":1,%s"                                                                                                  \
  "\"no_new_privileges\":{\"action\":\"enforce\"},"                                                                    \
  "\"capabilities\":{\"allow\":[\"CAP_CHOWN\",\"CAP_KILL\",\"CAP_SETUID\"]},"                                          \
  "\"rootfs\":{\"readonly\":true},"                                                                                    \
  "\"resources\":{\"memory\":{\"default\":\"512M\",\"max\":\"1G\"},\"pids\":{\"default\":100,\"max\":200}},"           \
  "\"mounts\":{\"deny_trees\":[\"/etc\"],\"allow_sources\":[\"/srv/*\",\"/data/*\"]},"                                 \
  "\"hooks\":{\"allow\":[]},"                                                                                          \
  "\"privileged\":{\"action\":\"deny\"},"                                                                              \
  "\"namespaces\":{\"require\":[\"pid\",\"network\"]},"                                                                \
  "\"devices\":{\"allow\":[]},"                                                                                        \
  "\"sysctls\":{\"allow\":[\"net.core.*\"]},"                                                                          \
  "\"seccomp\":{\"deny_syscalls\":[\"ptrace\"]},"                                                                      \
  "\"paths\":{\"masked\":[\"/proc/kcore\"]},"                                                                          \
  "\"process\":{\"run_as_non_root\":false,\"oom_score_adj_min\":-100,\"rlimit_max\":[\"RLIMIT_NOFILE=1024\"]},"        \
  "\"env\":{\"action\":\"audit\",\"deny_names\":[\"*_TOKEN\"]},"                                                       \
  "\"lsm\":{\"action\":\"audit\"},"                                                                                    \
  "\"user_namespace\":{\"mode\":\"if-possible\",\"allocation\":\"shared\"}}"

static char base_path[4096], layer_dir[4096];

static void
write_file (const char *path, const char *text)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

  ck_assert_int_ge (fd, 0);
  ck_assert_int_eq (write (fd, text, strlen (text)), (ssize_t)strlen (text));
  ck_assert_int_eq (close (fd), 0);
}

/* A base policy (with `top` at its top level) and an empty policy.d. */
static void
setup_base (const char *top)
{
  og_cleanup_free char *text = og_xasprintf (BASE_TEXT, top);

  snprintf (base_path, sizeof base_path, "%s/policy.json", th_tmpdir ());
  snprintf (layer_dir, sizeof layer_dir, "%s/policy.d", th_tmpdir ());
  write_file (base_path, text);
  mkdir (layer_dir, 0755);
}

static char *
layer (const char *name, const char *text)
{
  char *path = og_xasprintf ("%s/%s", layer_dir, name);
  write_file (path, text);
  return path;
}

static void
teardown (void)
{
  th_cleanup ();
}

/* The layer NAME with TEXT is refused; the message has every needle. */
static void
refused (const char *text, const char *key, const char *needle, const char *earlier)
{
  og_cleanup_free char *path = layer ("50-team.json", text);
  struct og_policy *p = NULL;
  struct og_error err = { 0 };

  ck_assert_msg (og_policy_load (base_path, &p, &err) < 0, "accepted: %s", text);
  ck_assert_ptr_null (p);
  ck_assert_msg (strstr (err.msg, path) != NULL, "\"%s\" does not name the layer", err.msg);
  ck_assert_msg (strstr (err.msg, key) != NULL, "\"%s\" does not name %s", err.msg, key);
  ck_assert_msg (strstr (err.msg, needle) != NULL, "\"%s\" lacks \"%s\"", err.msg, needle);
  ck_assert_msg (strstr (err.msg, earlier ? earlier : base_path) != NULL, "\"%s\" does not name the earlier file",
                 err.msg);
  og_error_clear (&err);
  unlink (path);
}

static struct og_policy *
loaded (void)
{
  struct og_policy *p = NULL;
  struct og_error err = { 0 };

  ck_assert_msg (og_policy_load (base_path, &p, &err) == 0, "%s", err.msg);
  return p;
}

START_TEST (every_loosening_is_refused)
{
  setup_base ("");
  /* an allowlist grows */
  refused ("{\"version\":1,\"capabilities\":{\"allow\":[\"CAP_CHOWN\",\"CAP_NET_RAW\"]}}",
           "capabilities.allow: ", "adds \"CAP_NET_RAW\", which", NULL);
  refused ("{\"version\":1,\"mounts\":{\"allow_sources\":[\"/srv/*\",\"/*\"]}}",
           "mounts.allow_sources: ", "adds \"/*\"", NULL);
  refused ("{\"version\":1,\"hooks\":{\"allow\":[\"/usr/bin/true\"]}}", "hooks.allow: ", "adds \"/usr/bin/true\"",
           NULL);
  /* a denylist or a requirement shrinks */
  refused ("{\"version\":1,\"namespaces\":{\"require\":[\"pid\"]}}", "namespaces.require: ", "drops \"network\", which",
           NULL);
  refused ("{\"version\":1,\"mounts\":{\"deny_trees\":[]}}", "mounts.deny_trees: ", "drops \"/etc\"", NULL);
  refused ("{\"version\":1,\"seccomp\":{\"deny_syscalls\":[\"bpf\"]}}", "seccomp.deny_syscalls: ", "drops \"ptrace\"",
           NULL);
  /* a maximum, a default or a budget goes up */
  refused ("{\"version\":1,\"resources\":{\"memory\":{\"max\":\"2G\"}}}",
           "resources.memory.max: ", "2147483648 is larger than 1073741824", NULL);
  refused ("{\"version\":1,\"resources\":{\"pids\":{\"default\":150}}}",
           "resources.pids.default: ", "150 is larger than 100", NULL);
  refused ("{\"version\":1,\"mounts\":{\"scan\":{\"max_ms\":5000}}}",
           "mounts.scan.max_ms: ", "5000 is larger than 2000", NULL);
  /* 0 is lower than 1G but no limit at all to runc (memory.limit 0 is not set) */
  {
    og_cleanup_free char *path
        = layer ("50-team.json", "{\"version\":1,\"resources\":{\"memory\":{\"default\":0,\"max\":0}}}");
    struct og_policy *p = NULL;
    struct og_error err = { 0 };

    ck_assert_int_lt (og_policy_load (base_path, &p, &err), 0);
    ck_assert_msg (strstr (err.msg, path) && strstr (err.msg, "resources.memory: a limit of 0 is no limit to runc"),
                   "%s", err.msg);
    og_error_clear (&err);
    unlink (path);
  }
  /* a minimum goes down */
  refused ("{\"version\":1,\"process\":{\"oom_score_adj_min\":-1000}}",
           "process.oom_score_adj_min: ", "-1000 is smaller than -100", NULL);
  /* an action, a mode or a choice gets looser */
  refused ("{\"version\":1,\"privileged\":{\"action\":\"enforce\"}}",
           "privileged.action: ", "\"enforce\" is looser than \"deny\"", NULL);
  refused ("{\"version\":1,\"no_new_privileges\":{\"action\":\"warn\"}}",
           "no_new_privileges.action: ", "\"audit\" is looser than \"enforce\"", NULL);
  refused ("{\"version\":1,\"mode\":\"audit\"}", "mode: ", "\"audit\" is looser than \"enforce\"", NULL);
  refused ("{\"version\":1,\"user_namespace\":{\"mode\":\"off\"}}",
           "user_namespace.mode: ", "\"off\" is looser than \"if-possible\"", NULL);
  /* a boolean leaves its secure side */
  refused ("{\"version\":1,\"rootfs\":{\"readonly\":false}}", "rootfs.readonly: ", "false is looser than true", NULL);
  refused ("{\"version\":1,\"seccomp\":{\"allow_unconfined\":true}}",
           "seccomp.allow_unconfined: ", "true is looser than false", NULL);
  refused ("{\"version\":1,\"restore\":{\"allow\":true}}", "restore.allow: ", "true is looser than false", NULL);
  /* a key without a rule changes at all, or is set where the base left the default */
  refused ("{\"version\":1,\"process\":{\"rlimit_max\":[\"RLIMIT_NOFILE=512\"]}}",
           "process.rlimit_max: ", "may not change", NULL);
  refused ("{\"version\":1,\"lsm\":{\"apparmor_profile\":\"unconfined\"}}", "lsm.apparmor_profile: ", "may not be set",
           NULL);
  refused ("{\"version\":1,\"audit\":{\"log\":\"/tmp/elsewhere.log\"}}", "audit: ", "may not be set", NULL);
  refused ("{\"version\":1,\"mounts\":{\"readonly_binds\":{\"action\":\"enforce\"}}}",
           "mounts.readonly_binds: ", "may not be set", NULL);
  refused ("{\"version\":1,\"user_namespace\":{\"pool_start\":70000}}", "user_namespace.pool_start: ", "may not be set",
           NULL);
  /* where an engine's state lives decides which profile a container gets:
   * only the base says so */
  refused ("{\"version\":1,\"docker\":{\"task_dir\":\"/run/x\",\"runc_root\":\"/run/y\"}}",
           "docker.task_dir: ", "may not be set", NULL);
  refused ("{\"version\":1,\"podman\":{\"graph_root\":\"/var/x\",\"runc_root\":\"/run/runc\"}}",
           "podman.graph_root: ", "may not be set", NULL);
}
END_TEST

/* Every message says how to do it instead. */
START_TEST (the_message_in_full)
{
  og_cleanup_free char *path = NULL, *want = NULL;
  struct og_policy *p = NULL;
  struct og_error err = { 0 };

  setup_base ("");
  path = layer ("10-team.json", "{\"version\":1,\"capabilities\":{\"allow\":[\"CAP_NET_RAW\"]}}");
  want = og_xasprintf ("policy %s: capabilities.allow: adds \"CAP_NET_RAW\", which %s does not allow (a later layer "
                       "may only tighten; the base can list the key in \"overridable\")",
                       path, base_path);
  ck_assert_int_lt (og_policy_load (base_path, &p, &err), 0);
  ck_assert_str_eq (err.msg, want);
  og_error_clear (&err);
}
END_TEST

/* The second layer is judged against the first, and named with it. */
START_TEST (later_layers_against_earlier)
{
  og_cleanup_free char *first = NULL;

  setup_base ("");
  first = layer ("10-org.json", "{\"version\":1,\"capabilities\":{\"allow\":[\"CAP_CHOWN\"]}}");
  refused ("{\"version\":1,\"capabilities\":{\"allow\":[\"CAP_CHOWN\",\"CAP_KILL\"]}}",
           "capabilities.allow: ", "adds \"CAP_KILL\", which", first);
}
END_TEST

START_TEST (a_layer_must_be_well_formed)
{
  setup_base ("");
  refused ("{\"capabilities\":{\"allow\":[]}}", "version: ", "must be 1", "");
  refused ("{\"version\":1,\"overridable\":[\"capabilities\"]}", "overridable: ", "only the base policy", "");
  refused ("{\"version\":1,\"capabilities\":{\"alow\":[]}}", "capabilities", "unknown key \"alow\"", "");
  refused ("{\"version\":1,\"capabilites\":{}}", "top level", "unknown key \"capabilites\"", "");
  refused ("{\"version\":1,\"mounts\":[]}", "mounts: ", "must be an object", "");
  refused ("{\"version\":1,\"capabilities\":{\"allow\":[\"CAP_NOPE\"]}}", "capabilities", "CAP_NOPE", "");
  refused ("{\"version\":1,\"resources\":{\"memory\":{\"max\":\"256M\"}}}", "resources.memory",
           "\"default\" is larger than \"max\"", "");
  refused ("{\"version\":1,", "50-team.json", "", "");
}
END_TEST

/* Whoever can write a layer or the directory could loosen or un-tighten. */
START_TEST (untrusted_layers)
{
  og_cleanup_free char *path = NULL;
  struct og_policy *p = NULL;
  struct og_error err = { 0 };

  setup_base ("");
  path = layer ("10-team.json", "{\"version\":1}");
  ck_assert_int_eq (chmod (path, 0666), 0);
  ck_assert_int_lt (og_policy_load (base_path, &p, &err), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, path));
  ck_assert_ptr_nonnull (strstr (err.msg, "refusing to trust it"));
  og_error_clear (&err);
  ck_assert_int_eq (chmod (path, 0644), 0);
  ck_assert_int_eq (chmod (layer_dir, 0777), 0);
  ck_assert_int_lt (og_policy_load (base_path, &p, &err), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, layer_dir));
  ck_assert_ptr_nonnull (strstr (err.msg, "refusing to trust them"));
  og_error_clear (&err);
  ck_assert_int_eq (chmod (layer_dir, 0755), 0);
  ck_assert_int_eq (mkdir (path, 0755) < 0, 1); /* exists */
  unlink (path);
  ck_assert_int_eq (mkdir (path, 0755), 0);
  ck_assert_int_lt (og_policy_load (base_path, &p, &err), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, "not a regular file"));
  og_error_clear (&err);
  rmdir (path);
  /* whoever can write the policy's own directory can rename policy.d away
   * (then there are no layers at all): refused, with or without policy.d */
  ck_assert_int_eq (chmod (th_tmpdir (), 0777), 0);
  ck_assert_int_lt (og_policy_load (base_path, &p, &err), 0);
  ck_assert_msg (strstr (err.msg, th_tmpdir ()) && strstr (err.msg, "the directory of policy")
                     && strstr (err.msg, "refusing to trust it"),
                 "%s", err.msg);
  og_error_clear (&err);
  ck_assert_int_eq (rmdir (layer_dir), 0);
  ck_assert_int_lt (og_policy_load (base_path, &p, &err), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, "refusing to trust it"));
  og_error_clear (&err);
  /* sticky, as /tmp: only root may rename root's policy.d there */
  ck_assert_int_eq (chmod (th_tmpdir (), 01777), 0);
  ck_assert_msg (og_policy_load (base_path, &p, &err) == 0, "%s", err.msg);
  og_policy_free (p);
  p = NULL;
  ck_assert_int_eq (chmod (th_tmpdir (), 0700), 0);
}
END_TEST

START_TEST (tightening_takes_effect)
{
  og_cleanup_free char *a = NULL, *b = NULL, *c = NULL, *d = NULL, *e = NULL, *g = NULL;
  og_cleanup_policy struct og_policy *base = NULL, *p = NULL;

  setup_base ("");
  base = loaded ();
  a = layer ("10-caps.json", "{\"version\":1,\"capabilities\":{\"allow\":[\"CAP_KILL\"]},\"mode\":\"enforce\","
                             "\"privileged\":{\"action\":\"deny\"},\"env\":{\"action\":\"enforce\"}}");
  b = layer ("20-limits.json", "{\"version\":1,\"resources\":{\"memory\":{\"max\":\"768M\"},\"cpu\":{\"max\":\"1\"}},"
                               "\"mounts\":{\"scan\":{\"max_ms\":500},\"deny_any_socket\":true},"
                               "\"process\":{\"oom_score_adj_min\":0,\"run_as_non_root\":true}}");
  c = layer (
      "30-lists.json",
      "{\"version\":1,\"namespaces\":{\"require\":[\"pid\",\"network\",\"ipc\"]},"
      "\"mounts\":{\"allow_sources\":[\"/data/*\"],\"deny_trees\":[\"/etc\",\"/var\"]},"
      "\"user_namespace\":{\"mode\":\"required\",\"allocation\":\"per-container\"},\"restore\":{\"allow\":false},"
      "\"process\":{\"rlimit_max\":[\"RLIMIT_NOFILE=1024\"]}}");
  /* not layers */
  d = layer ("README", "not json");
  e = layer (".40-hidden.json", "{\"version\":1,\"mode\":\"audit\"}");
  g = layer ("40-old.json~", "{");
  p = loaded ();
  ck_assert_uint_eq (og_strv_len (p->caps.allow), 1);
  ck_assert_str_eq (p->caps.allow[0], "CAP_KILL");
  ck_assert_int_eq (p->env.action, OG_ACTION_ENFORCE);
  ck_assert_int_eq (p->resources.memory.max, 768LL << 20);
  ck_assert_int_eq (p->resources.memory.def, 512LL << 20); /* the base's, kept member by member */
  ck_assert (p->resources.cpu.has_max && !base->resources.cpu.has_max);
  ck_assert_uint_eq (p->mounts.scan_max_ms, 500);
  ck_assert_uint_eq (p->mounts.scan_max_depth, base->mounts.scan_max_depth);
  ck_assert (p->mounts.deny_any_socket && p->process.run_as_non_root);
  ck_assert_int_eq (p->process.oom_score_adj_min, 0);
  ck_assert_uint_eq (og_strv_len (p->namespaces.require), 3);
  ck_assert_uint_eq (og_strv_len (p->mounts.allow_sources), 1);
  ck_assert_uint_eq (og_strv_len (p->mounts.deny_trees), 2);
  ck_assert_int_eq (p->userns.mode, OG_USERNS_REQUIRED);
  ck_assert (!p->userns.shared);
  ck_assert (!p->audit_only);
  ck_assert_str_eq (p->path, base_path);
  /* the digest covers the layers */
  ck_assert_str_ne (p->digest, base->digest);
}
END_TEST

START_TEST (overridable_keys)
{
  og_cleanup_policy struct og_policy *p = NULL;
  struct og_policy *q = NULL;
  struct og_error err = { 0 };

  setup_base ("\"overridable\":[\"capabilities.allow\",\"mounts.scan\",\"lsm\"],");
  og_cleanup_free char *team
      = layer ("10-team.json", "{\"version\":1,\"capabilities\":{\"allow\":[\"CAP_NET_RAW\"]},"
                               "\"mounts\":{\"scan\":{\"max_ms\":9000}},\"lsm\":{\"action\":\"audit\","
                               "\"apparmor_profile\":\"team\"}}");
  p = loaded ();
  ck_assert_str_eq (p->caps.allow[0], "CAP_NET_RAW");
  ck_assert_uint_eq (p->mounts.scan_max_ms, 9000);
  ck_assert_str_eq (p->lsm.apparmor_profile, "team");
  /* only what is listed */
  refused ("{\"version\":1,\"mounts\":{\"allow_sources\":[\"/*\"]}}", "mounts.allow_sources: ", "adds \"/*\"", NULL);
  /* a name the table does not have is a mistake in the base */
  setup_base ("\"overridable\":[\"capabilities.alow\"],");
  ck_assert_int_lt (og_policy_load (base_path, &q, &err), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, "overridable: [0] must name a key"));
  og_error_clear (&err);
}
END_TEST

/* A fake cache: the identities it is asked for, one stored image. */
struct fake_cache
{
  char *asked;  /* the last layers identity looked up */
  char *stored; /* the identity the image is for */
  char *image;
  size_t len;
};

static bool
fake_lookup (void *data, const char *path, const struct stat *st, const char *layers, char **image, size_t *len)
{
  struct fake_cache *f = data;

  (void)path;
  (void)st;
  free (f->asked);
  f->asked = og_xstrdup (layers);
  if (f->stored == NULL || strcmp (f->stored, layers) != 0)
    return false;
  *image = og_xmalloc (f->len);
  memcpy (*image, f->image, f->len);
  *len = f->len;
  return true;
}

static void
fake_store (void *data, const char *path, const struct stat *st, const char *layers, const char *image, size_t len)
{
  (void)data, (void)path, (void)st, (void)layers, (void)image, (void)len;
}

static struct og_policy *
cached (struct fake_cache *f)
{
  const struct og_policy_cache cache = { fake_lookup, fake_store, f };
  struct og_policy *p = NULL;
  struct og_error err = { 0 };

  ck_assert_msg (og_policy_load_cached (base_path, &cache, &p, &err) == 0, "%s", err.msg);
  return p;
}

/* What a real cache would keep: the image under the identity it was asked. */
static void
keep (struct fake_cache *f, const struct og_policy *p)
{
  free (f->stored);
  free (f->image);
  f->stored = og_xstrdup (f->asked);
  ck_assert_int_eq (og_policy_image_write (p, &f->image, &f->len), 0);
}

START_TEST (cache_covers_every_layer)
{
  struct fake_cache f = { 0 };
  og_cleanup_free char *one = NULL, *two = NULL, *changed = NULL;
  struct og_policy *p;

  setup_base ("");
  rmdir (layer_dir);
  p = cached (&f); /* no policy.d: the identity of old */
  ck_assert_str_eq (f.asked, "");
  og_policy_free (p);
  mkdir (layer_dir, 0755);
  free (layer ("10-team.json", "{\"version\":1,\"capabilities\":{\"allow\":[\"CAP_KILL\"]}}"));
  p = cached (&f);
  ck_assert_ptr_nonnull (strstr (f.asked, "/policy.d/10-team.json\n"));
  one = og_xstrdup (f.asked);
  keep (&f, p);
  og_policy_free (p);
  /* the same files: a hit, with the layer's effect */
  p = cached (&f);
  ck_assert_str_eq (f.asked, one);
  ck_assert_str_eq (p->caps.allow[0], "CAP_KILL");
  og_policy_free (p);
  /* a new layer misses */
  free (layer ("20-more.json", "{\"version\":1,\"capabilities\":{\"allow\":[]}}"));
  p = cached (&f);
  ck_assert_str_ne (f.asked, one);
  ck_assert_ptr_null (p->caps.allow[0]);
  two = og_xstrdup (f.asked);
  og_policy_free (p);
  /* a changed layer misses */
  free (layer ("20-more.json", "{\"version\":1,\"capabilities\":{\"allow\":[\"CAP_KILL\"]}}"));
  p = cached (&f);
  ck_assert_str_ne (f.asked, two);
  ck_assert_str_eq (p->caps.allow[0], "CAP_KILL");
  og_policy_free (p);
  /* a removed layer misses too: back to the kept image */
  unlink (changed = og_xasprintf ("%s/20-more.json", layer_dir));
  p = cached (&f);
  ck_assert_str_eq (f.asked, one);
  og_policy_free (p);
  free (f.asked);
  free (f.stored);
  free (f.image);
}
END_TEST

START_TEST (single_file_unchanged)
{
  og_cleanup_free char *text = NULL;
  og_cleanup_policy struct og_policy *a = NULL, *b = NULL;
  struct og_error err = { 0 };
  size_t len;

  setup_base ("");
  rmdir (layer_dir);
  a = loaded ();
  text = th_read_file (base_path, &len);
  ck_assert_int_eq (og_policy_parse (text, len, base_path, &b, &err), 0);
  ck_assert_str_eq (a->digest, b->digest);
  /* an empty policy.d is no layer at all */
  mkdir (layer_dir, 0755);
  og_policy_free (a);
  a = loaded ();
  ck_assert_str_eq (a->digest, b->digest);
}
END_TEST

START_TEST (effective_names_each_file)
{
  og_cleanup_free char *path = NULL, *text = NULL;
  og_cleanup_policy struct og_policy *p = NULL;
  og_cleanup_json struct og_json *eff = NULL, *src = NULL;
  struct og_error err = { 0 };

  setup_base ("");
  path = layer ("10-team.json", "{\"version\":1,\"resources\":{\"memory\":{\"max\":\"768M\"}}}");
  ck_assert_int_eq (og_policy_load_effective (base_path, &p, &eff, &src, NULL, &err), 0);
  ck_assert_str_eq (og_json_get (src, "resources.memory.max")->text, path);
  ck_assert_str_eq (og_json_get (src, "resources.memory.default")->text, base_path);
  ck_assert_str_eq (og_json_get (src, "capabilities.allow")->text, base_path);
  ck_assert_ptr_null (og_json_get (src, "rootfs.tmpfs_options")); /* a default */
  text = og_json_to_text (og_json_path (eff, "resources", "memory", NULL));
  ck_assert_str_eq (text, "{\"default\":\"512M\",\"max\":\"768M\"}");
}
END_TEST

START_TEST (explain_names_the_files)
{
  og_cleanup_free char *path = NULL, *caps = NULL, *userns = NULL, *builtin = NULL, *want = NULL;
  og_cleanup_policy struct og_policy *p = NULL;
  og_cleanup_json struct og_json *eff = NULL, *src = NULL;
  struct og_error err = { 0 };

  setup_base ("\"mode\":\"audit\",");
  path = layer ("10-team.json", "{\"version\":1,\"capabilities\":{\"allow\":[\"CAP_KILL\"],\"action\":\"deny\"}}");
  ck_assert_int_eq (og_policy_load_effective (base_path, &p, &eff, &src, NULL, &err), 0);
  caps = og_policy_explain (p, src, "capabilities");
  want = og_xasprintf ("capabilities.action \"deny\" from %s; capabilities.allow from %s; mode \"audit\" from %s: "
                       "recorded only",
                       path, path, base_path);
  ck_assert_str_eq (caps, want);
  userns = og_policy_explain (p, src, "user_namespace");
  ck_assert_ptr_nonnull (strstr (userns, "user_namespace.mode \"if-possible\" from "));
  og_cleanup_free char *restore = og_policy_explain (p, src, "restore");
  og_cleanup_free char *want_restore
      = og_xasprintf ("restore has no action; its keys are %s's or defaults; mode \"audit\" from %s: recorded only",
                      base_path, base_path);
  ck_assert_str_eq (restore, want_restore);
  builtin = og_policy_explain (p, src, "annotations");
  ck_assert_str_eq (builtin, "annotations is built in (no policy key)");
}
END_TEST

/* Every rule fits its key's type: a rule the loader cannot apply to a type
 * would compare garbage. */
static void
rules_fit (const struct og_key *keys, const char *where)
{
  for (const struct og_key *k = keys; k->name; k++)
    {
      bool ok = true;
      switch (k->tighten)
        {
          case OG_TIGHTEN_SUBSET:
          case OG_TIGHTEN_SUPERSET:
            ok = k->type == OG_KEY_STRV || k->type == OG_KEY_PATHV;
            break;
          case OG_TIGHTEN_LOWER:
            ok = k->type == OG_KEY_COUNT || k->type == OG_KEY_LIMIT;
            break;
          case OG_TIGHTEN_HIGHER:
            ok = k->type == OG_KEY_INT;
            break;
          case OG_TIGHTEN_ORDER:
            ok = k->type == OG_KEY_ACTION || k->type == OG_KEY_CHOICE;
            break;
          case OG_TIGHTEN_TRUE:
          case OG_TIGHTEN_FALSE:
            ok = k->type == OG_KEY_BOOL;
            break;
          case OG_TIGHTEN_EACH:
            ok = k->type == OG_KEY_OBJECT;
            break;
          case OG_TIGHTEN_EQUAL:
            break;
        }
      ck_assert_msg (ok, "%s.%s: its tighten rule does not fit its type", where, k->name);
      if (k->type == OG_KEY_ACTION)
        ck_assert_msg (k->tighten == OG_TIGHTEN_ORDER, "%s.%s: an action without its order", where, k->name);
      if (k->type == OG_KEY_OBJECT)
        rules_fit (k->sub, where);
    }
}

START_TEST (table_rules_fit_types)
{
  rules_fit (og_policy_top_keys, "top level");
  for (size_t i = 0; i < og_policy_nsections; i++)
    rules_fit (og_policy_sections[i].keys, og_policy_sections[i].name);
}
END_TEST

/* ---- profiles (policy/profiles_load.c, policy/profiles.c) -------------- */

#define WITH_PROFILES                                                                                                  \
  "\"profiles\":{"                                                                                                     \
  "\"payments\":{\"select\":{\"engine\":\"cri\",\"pod_namespace\":[\"payments\",\"prod-*\"]},"                         \
  "\"policy\":{\"version\":1,\"resources\":{\"pids\":{\"default\":50,\"max\":50}}}},"                                  \
  "\"builds\":{\"select\":{\"engine\":\"buildkit\"},"                                                                  \
  "\"policy\":{\"version\":1,\"capabilities\":{\"allow\":[\"CAP_KILL\"]}}},"                                           \
  "\"anycri\":{\"select\":{\"engine\":\"cri\"},"                                                                       \
  "\"policy\":{\"version\":1,\"resources\":{\"pids\":{\"max\":150}}}},"                                                \
  "\"web\":{\"select\":{\"engine\":\"docker\"},"                                                                       \
  "\"policy\":{\"version\":1,\"resources\":{\"pids\":{\"default\":40,\"max\":40}}}},"                                  \
  "\"pods\":{\"select\":{\"engine\":\"podman\"},"                                                                      \
  "\"policy\":{\"version\":1,\"capabilities\":{\"allow\":[\"CAP_CHOWN\"]}}}},"

static const char *
selected (const struct og_policy *p, const char *engine, const char *ns, const struct og_policy **q)
{
  struct og_engine_facts f = { .engine = engine, .pod_namespace = (char *)ns };
  const char *name;

  *q = og_policy_select (p, &f, &name);
  return name;
}

START_TEST (profiles_select_on_facts)
{
  og_cleanup_policy struct og_policy *p = NULL;
  const struct og_policy *q;

  setup_base (WITH_PROFILES);
  p = loaded ();
  ck_assert_uint_eq (p->nprofiles, 5);
  /* in the order written */
  ck_assert_str_eq (p->profiles[0].name, "payments");
  ck_assert_str_eq (p->profiles[2].name, "anycri");
  ck_assert_str_eq (selected (p, "cri", "payments", &q), "payments");
  ck_assert_int_eq (q->resources.pids.max, 50);
  ck_assert_int_eq (q->resources.pids.def, 50);
  ck_assert_str_eq (q->digest, p->digest);
  ck_assert_str_eq (selected (p, "cri", "prod-eu", &q), "payments");
  /* first match wins: another namespace falls through to anycri */
  ck_assert_str_eq (selected (p, "cri", "dev", &q), "anycri");
  ck_assert_int_eq (q->resources.pids.max, 150);
  ck_assert_int_eq (q->resources.pids.def, 100);
  ck_assert_str_eq (selected (p, "buildkit", NULL, &q), "builds");
  ck_assert_str_eq (q->caps.allow[0], "CAP_KILL");
  ck_assert_ptr_null (q->caps.allow[1]);
  ck_assert_str_eq (selected (p, "docker", NULL, &q), "web");
  ck_assert_int_eq (q->resources.pids.max, 40);
  ck_assert_str_eq (selected (p, "podman", NULL, &q), "pods");
  ck_assert_str_eq (q->caps.allow[0], "CAP_CHOWN");
  /* an engine no profile names: the base */
  ck_assert_ptr_null (selected (p, "containerd", NULL, &q));
  ck_assert_ptr_eq (q, p);
  /* untrusted facts (no engine): the base, whatever the namespace */
  ck_assert_ptr_null (selected (p, NULL, "payments", &q));
  ck_assert_ptr_eq (q, p);
  /* no facts at all: the base */
  {
    const char *name = "x";
    ck_assert_ptr_eq (og_policy_select (p, NULL, &name), p);
    ck_assert_ptr_null (name);
  }
  ck_assert_ptr_eq (og_policy_profile (p, "builds"), p->profiles[1].policy);
  ck_assert_ptr_null (og_policy_profile (p, "nosuch"));
}
END_TEST

/* A profile that loosens: the load fails naming the profile and the key. */
static void
profile_refused (const char *profile_policy, const char *key, const char *needle)
{
  og_cleanup_free char *top
      = og_xasprintf ("\"profiles\":{\"ok\":{\"select\":{\"engine\":\"cri\"},\"policy\":{\"version\":1}},"
                      "\"wide\":{\"select\":{\"engine\":\"cri\"},\"policy\":%s}},",
                      profile_policy);
  struct og_policy *p = NULL;
  struct og_error err = { 0 };

  setup_base (top);
  ck_assert_msg (og_policy_load (base_path, &p, &err) < 0, "accepted: %s", profile_policy);
  ck_assert_ptr_null (p);
  ck_assert_msg (strstr (err.msg, "(profile wide)") != NULL, "\"%s\" does not name the profile", err.msg);
  ck_assert_msg (strstr (err.msg, key) != NULL, "\"%s\" does not name %s", err.msg, key);
  ck_assert_msg (strstr (err.msg, needle) != NULL, "\"%s\" lacks \"%s\"", err.msg, needle);
  og_error_clear (&err);
}

START_TEST (a_loosening_profile_is_refused)
{
  profile_refused ("{\"version\":1,\"resources\":{\"pids\":{\"max\":300}}}", "resources.pids.max",
                   "300 is larger than 200");
  profile_refused ("{\"version\":1,\"capabilities\":{\"allow\":[\"CAP_CHOWN\",\"CAP_SYS_ADMIN\"]}}",
                   "capabilities.allow", "adds \"CAP_SYS_ADMIN\"");
  profile_refused ("{\"version\":1,\"rootfs\":{\"readonly\":false}}", "rootfs.readonly", "looser");
  profile_refused ("{\"version\":1,\"mode\":\"audit\"}", "mode", "looser");
  profile_refused ("{\"version\":1,\"containerd\":{\"task_dir\":\"/run/x\",\"runc_root\":\"/run/y\"}}",
                   "containerd.task_dir", "may not be set");
  profile_refused ("{\"resources\":{}}", "version", "must be 1");
  /* "overridable" frees a key for layers, never for a profile */
  {
    struct og_policy *p = NULL;
    struct og_error err = { 0 };

    setup_base ("\"overridable\":[\"resources.pids\"],\"profiles\":{\"wide\":{\"select\":{\"engine\":\"cri\"},"
                "\"policy\":{\"version\":1,\"resources\":{\"pids\":{\"max\":300}}}}},");
    ck_assert_int_lt (og_policy_load (base_path, &p, &err), 0);
    ck_assert_ptr_nonnull (strstr (err.msg, "(profile wide): resources.pids.max: 300 is larger than 200"));
    og_error_clear (&err);
  }
}
END_TEST

/* A profile layered over a policy.d layer may not loosen the layer either. */
START_TEST (profiles_apply_after_layers)
{
  og_cleanup_policy struct og_policy *p = NULL;
  struct og_error err = { 0 };

  setup_base ("\"profiles\":{\"x\":{\"select\":{\"engine\":\"cri\"},"
              "\"policy\":{\"version\":1,\"resources\":{\"pids\":{\"max\":150}}}}},");
  free (layer ("10-team.json", "{\"version\":1,\"resources\":{\"pids\":{\"default\":80,\"max\":120}}}"));
  ck_assert_int_lt (og_policy_load (base_path, &p, &err), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, "(profile x): resources.pids.max: 150 is larger than 120"));
  og_error_clear (&err);
  free (layer ("10-team.json", "{\"version\":1,\"resources\":{\"pids\":{\"default\":80,\"max\":160}}}"));
  p = loaded ();
  ck_assert_int_eq (p->resources.pids.max, 160);
  ck_assert_int_eq (p->profiles[0].policy->resources.pids.max, 150);
  ck_assert_int_eq (p->profiles[0].policy->resources.pids.def, 80);
  /* a layer may not carry profiles */
  free (layer ("20-more.json", "{\"version\":1,\"profiles\":{}}"));
  og_policy_free (og_steal_pointer (&p));
  ck_assert_int_lt (og_policy_load (base_path, &p, &err), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, "profiles"));
  og_error_clear (&err);
}
END_TEST

START_TEST (a_profile_must_be_well_formed)
{
  static const struct
  {
    const char *top, *needle;
  } cases[] = {
    { "\"profiles\":[],", "profiles: must be an object" },
    { "\"profiles\":{\"a b\":{}},", "a profile's name" },
    { "\"profiles\":{\"x\":{\"policy\":{\"version\":1}}},", "profiles.x.select: must be a non-empty object" },
    { "\"profiles\":{\"x\":{\"select\":{},\"policy\":{\"version\":1}}},", "must be a non-empty object" },
    { "\"profiles\":{\"x\":{\"select\":{\"engine\":\"kubelet\"},\"policy\":{\"version\":1}}},",
      "\"kubelet\" is no engine ocigate recognises (cri, buildkit, docker, containerd, podman)" },
    { "\"profiles\":{\"x\":{\"select\":{\"engine\":\"docker\",\"pod_namespace\":\"a\"},\"policy\":{\"version\":1}}},",
      "pod_namespace needs \"engine\": \"cri\"" },
    { "\"profiles\":{\"x\":{\"select\":{\"pod_namespace\":\"a\"},\"policy\":{\"version\":1}}},",
      "pod_namespace needs \"engine\": \"cri\"" },
    { "\"profiles\":{\"x\":{\"select\":{\"engine\":\"cri\",\"annotation\":\"a\"},\"policy\":{\"version\":1}}},",
      "unknown key \"annotation\"" },
    { "\"profiles\":{\"x\":{\"select\":{\"engine\":\"cri\",\"pod_namespace\":[]},\"policy\":{\"version\":1}}},",
      "must not be empty" },
    { "\"profiles\":{\"x\":{\"select\":{\"engine\":\"cri\"}}},", "profiles.x.policy: required" },
    { "\"profiles\":{\"x\":{\"select\":{\"engine\":\"cri\"},\"policy\":{\"version\":1,\"profiles\":{}}}},",
      "a profile holds no profiles" },
    { "\"profiles\":{\"x\":{\"select\":{\"engine\":\"cri\"},\"policy\":{\"version\":1,\"overridable\":[]}}},",
      "only the base policy" },
    { "\"profiles\":{\"x\":{\"select\":{\"engine\":\"cri\"},\"policy\":{\"version\":1,\"nosuch\":{}}}},", "nosuch" },
  };

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      struct og_policy *p = NULL;
      struct og_error err = { 0 };

      setup_base (cases[i].top);
      ck_assert_msg (og_policy_load (base_path, &p, &err) < 0, "accepted: %s", cases[i].top);
      ck_assert_msg (strstr (err.msg, cases[i].needle) != NULL, "\"%s\" lacks \"%s\"", err.msg, cases[i].needle);
      og_error_clear (&err);
    }
}
END_TEST

static void
count_store (void *data, const char *path, const struct stat *st, const char *layers, const char *image, size_t len)
{
  (void)path, (void)st, (void)layers, (void)image, (void)len;
  (*(int *)data)++;
}

static bool
never (void *data, const char *path, const struct stat *st, const char *layers, char **image, size_t *len)
{
  (void)data, (void)path, (void)st, (void)layers, (void)image, (void)len;
  return false;
}

static int
stores_of (const char *path)
{
  int stores = 0;
  const struct og_policy_cache cache = { never, count_store, &stores };
  struct og_policy *p = NULL;
  struct og_error err = { 0 };

  ck_assert_msg (og_policy_load_cached (path, &cache, &p, &err) == 0, "%s", err.msg);
  og_policy_free (p);
  return stores;
}

/* A policy with profiles is stored in the compiled-policy cache like any
 * other, once its ctime is old enough. */
START_TEST (profiles_are_cached)
{
  og_cleanup_free char *plain = og_xasprintf ("%s/plain.json", th_tmpdir ()), *text = og_xasprintf (BASE_TEXT, "");

  setup_base (WITH_PROFILES);
  write_file (plain, text);
  sleep (3); /* og_policy_cacheable: a ctime older than two seconds */
  ck_assert_int_eq (stores_of (base_path), 1);
  ck_assert_int_eq (stores_of (plain), 1);
}
END_TEST

/* A cache in memory: one image, and how often it was read. */
struct memory_cache
{
  char *image;
  size_t len;
  int hits;
};

static bool
memory_lookup (void *data, const char *path, const struct stat *st, const char *layers, char **image, size_t *len)
{
  struct memory_cache *m = data;

  (void)path, (void)st, (void)layers;
  if (m->image == NULL)
    return false;
  *image = og_xmalloc (m->len);
  memcpy (*image, m->image, m->len);
  *len = m->len;
  m->hits++;
  return true;
}

static void
memory_store (void *data, const char *path, const struct stat *st, const char *layers, const char *image, size_t len)
{
  struct memory_cache *m = data;

  (void)path, (void)st, (void)layers;
  free (m->image);
  m->image = og_xmalloc (len);
  memcpy (m->image, image, len);
  m->len = len;
}

/* What a policy does with the Docker 20.10 config: the rewritten config and
 * the decisions, as text. */
static char *
decide (const struct og_policy *p)
{
  og_cleanup_json struct og_json *spec = th_fixture ("docker-20.10/privileged.config.json");
  og_cleanup_free char *out = NULL;
  struct og_decisions d = { 0 };
  struct og_buf b = { 0 };

  th_enforce ((struct og_policy *)p, spec, "x", &d);
  og_decisions_put_json (&b, &d);
  og_decisions_clear (&d);
  out = og_json_to_text (spec);
  og_buf_puts (&b, "\n");
  og_buf_puts (&b, out);
  og_buf_put (&b, "", 1);
  return b.buf;
}

/* The policy read back from the cache has the same profiles, selects the
 * same one for every fact, and each makes the same decisions as when the
 * file was read; its image is the same bytes. */
START_TEST (cached_profiles_decide_the_same)
{
  static const struct
  {
    const char *engine, *ns;
  } facts[] = {
    { "cri", "payments" }, { "cri", "prod-eu" }, { "cri", "dev" },       { "buildkit", NULL },
    { "docker", NULL },    { "podman", NULL },   { "containerd", NULL }, { NULL, "payments" },
  };
  struct memory_cache m = { 0 };
  const struct og_policy_cache cache = { memory_lookup, memory_store, &m };
  og_cleanup_policy struct og_policy *fresh = NULL, *cached = NULL;
  og_cleanup_free char *a = NULL, *b = NULL;
  struct og_error err = { 0 };
  size_t alen, blen;

  setup_base (WITH_PROFILES);
  sleep (3); /* old enough to be stored */
  ck_assert_msg (og_policy_load_cached (base_path, &cache, &fresh, &err) == 0, "%s", err.msg);
  ck_assert_ptr_nonnull (m.image);
  ck_assert_int_eq (m.hits, 0);
  ck_assert_msg (og_policy_load_cached (base_path, &cache, &cached, &err) == 0, "%s", err.msg);
  ck_assert_int_eq (m.hits, 1);
  ck_assert_ptr_ne (cached, fresh);
  ck_assert_uint_eq (cached->nprofiles, fresh->nprofiles);
  for (size_t i = 0; i < fresh->nprofiles; i++)
    {
      const struct og_profile *x = &fresh->profiles[i], *y = &cached->profiles[i];
      og_cleanup_free char *dx = decide (x->policy), *dy = decide (y->policy);

      ck_assert_str_eq (y->name, x->name);
      ck_assert_str_eq (y->engine, x->engine);
      ck_assert_uint_eq (og_strv_len (y->pod_namespace), og_strv_len (x->pod_namespace));
      for (size_t k = 0; x->pod_namespace && x->pod_namespace[k]; k++)
        ck_assert_str_eq (y->pod_namespace[k], x->pod_namespace[k]);
      ck_assert_str_eq (y->policy->digest, x->policy->digest);
      ck_assert_str_eq (dy, dx);
    }
  for (size_t i = 0; i < sizeof facts / sizeof facts[0]; i++)
    {
      const struct og_policy *qx, *qy;
      const char *nx = selected (fresh, facts[i].engine, facts[i].ns, &qx);
      const char *ny = selected (cached, facts[i].engine, facts[i].ns, &qy);
      og_cleanup_free char *dx = decide (qx), *dy = decide (qy);

      ck_assert_msg ((nx == NULL && ny == NULL) || (nx && ny && strcmp (nx, ny) == 0), "%s: %s vs %s", facts[i].engine,
                     nx, ny);
      ck_assert_str_eq (dy, dx);
    }
  ck_assert_int_eq (og_policy_image_write (fresh, &a, &alen), 0);
  ck_assert_int_eq (og_policy_image_write (cached, &b, &blen), 0);
  ck_assert_uint_eq (alen, blen);
  ck_assert (memcmp (a, b, alen) == 0);
  free (m.image);
}
END_TEST

/* An image with profiles cut short, or with a byte flipped (every 97th
 * place), is refused (checksum, lengths), never read as another policy. */
START_TEST (damaged_profile_images_are_refused)
{
  og_cleanup_policy struct og_policy *p = NULL;
  og_cleanup_free char *image = NULL;
  size_t len;

  setup_base (WITH_PROFILES);
  p = loaded ();
  ck_assert_int_eq (og_policy_image_write (p, &image, &len), 0);
  for (size_t cut = 0; cut < len; cut += 97)
    {
      struct og_policy *q = NULL;
      struct og_error err = { 0 };
      ck_assert_int_lt (og_policy_image_read (image, cut, &q, &err), 0);
      ck_assert_ptr_null (q);
      og_error_clear (&err);
    }
  for (size_t at = 0; at < len; at += 97)
    {
      struct og_policy *q = NULL;
      struct og_error err = { 0 };
      image[at] ^= 0x40;
      ck_assert_int_lt (og_policy_image_read (image, len, &q, &err), 0);
      ck_assert_ptr_null (q);
      image[at] ^= 0x40;
      og_error_clear (&err);
    }
  {
    struct og_policy *q = NULL;
    struct og_error err = { 0 };
    ck_assert_msg (og_policy_image_read (image, len, &q, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq (q->nprofiles, 5);
    og_policy_free (q);
  }
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("layers");
  TCase *tc = tcase_create ("layers");

  tcase_add_checked_fixture (tc, NULL, teardown);
  tcase_add_test (tc, every_loosening_is_refused);
  tcase_add_test (tc, the_message_in_full);
  tcase_add_test (tc, later_layers_against_earlier);
  tcase_add_test (tc, a_layer_must_be_well_formed);
  tcase_add_test (tc, untrusted_layers);
  tcase_add_test (tc, tightening_takes_effect);
  tcase_add_test (tc, overridable_keys);
  tcase_add_test (tc, cache_covers_every_layer);
  tcase_add_test (tc, single_file_unchanged);
  tcase_add_test (tc, effective_names_each_file);
  tcase_add_test (tc, explain_names_the_files);
  tcase_add_test (tc, table_rules_fit_types);
  tcase_add_test (tc, profiles_select_on_facts);
  tcase_add_test (tc, a_loosening_profile_is_refused);
  tcase_add_test (tc, profiles_apply_after_layers);
  tcase_add_test (tc, a_profile_must_be_well_formed);
  tcase_add_test (tc, profiles_are_cached);
  tcase_add_test (tc, cached_profiles_decide_the_same);
  tcase_add_test (tc, damaged_profile_images_are_refused);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return th_run (suite ());
}
