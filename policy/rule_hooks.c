/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hooks: an OCI hook is a program runc runs as root on the host, outside
 * every namespace, with the path, arguments and environment the config
 * names.  A hook runs only when the file the kernel will execute is an
 * allowlisted host file (same device and inode, not the same name: a
 * container's own program can sit at /usr/sbin/dockerd inside it), and
 * only with arguments and environment that cannot turn that program into
 * another one.
 */
#include <config.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocigate/enforce.h"
#include "rule.h"
#include "ocigate/util.h"

static const char *const kinds[]
    = { "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop" };

/* These run inside the container's mount namespace: their path names a
 * file of the image, which a host allowlist cannot vouch for. */
static bool
in_container (const char *kind)
{
  return strcmp (kind, "createContainer") == 0 || strcmp (kind, "startContainer") == 0;
}

/* "/proc/<pid>/exe": Docker's libnetwork-setkey hook points at the running
 * dockerd this way.  Returns the pid, or 0. */
static long
proc_exe_pid (const char *path)
{
  const char *p = path;
  long pid = 0;

  if (strncmp (p, "/proc/", 6) != 0)
    return 0;
  p += 6;
  if (!isdigit ((unsigned char)*p) || *p == '0')
    return 0;
  while (isdigit ((unsigned char)*p) && pid < 100000000)
    pid = pid * 10 + (*p++ - '0');
  return strcmp (p, "/exe") == 0 ? pid : 0;
}

static bool
same_ns (long pid, const char *ns)
{
  og_cleanup_free char *theirs = og_xasprintf ("/proc/%ld/ns/%s", pid, ns);
  og_cleanup_free char *ours = og_xasprintf ("/proc/self/ns/%s", ns);

  return og_same_file_path (theirs, ours);
}

/* A process of the host itself: every uid 0 as seen from here (a process
 * in a user namespace shows its mapped host ids), and our pid and mount
 * namespaces (a container's process has its own).  Stops a container's
 * program, or a host user's, from lending its /proc/<pid>/exe to a hook. */
static bool
host_root_process (long pid)
{
  og_cleanup_free char *status = og_xasprintf ("/proc/%ld/status", pid);
  og_cleanup_file FILE *f = fopen (status, "re");
  char line[256];
  bool root = false;

  if (f == NULL)
    return false;
  while (fgets (line, sizeof line, f))
    {
      unsigned long r, e, s, fs;
      if (sscanf (line, "Uid: %lu %lu %lu %lu", &r, &e, &s, &fs) == 4)
        {
          root = r == 0 && e == 0 && s == 0 && fs == 0;
          break;
        }
    }
  return root && same_ns (pid, "pid") && same_ns (pid, "mnt");
}

static const char *
base_name (const char *path)
{
  const char *s = strrchr (path, '/');
  return s ? s + 1 : path;
}

/* The allowlist entry whose file is the one `st` describes (by identity),
 * as its resolved path; NULL when none is.  *dockerd: the entry is
 * dockerd (by its name or its target's). */
static char *
allowed_by_identity (const struct og_policy *p, const struct stat *st, bool *dockerd)
{
  for (char **a = p->hooks.allow; a && *a; a++)
    {
      struct stat ast;
      if (stat (*a, &ast) == 0 && S_ISREG (ast.st_mode) && og_same_file (&ast, st))
        {
          char *ra = og_realpath (*a);
          if (ra == NULL)
            ra = og_xstrdup (*a);
          *dockerd = strcmp (base_name (*a), "dockerd") == 0 || strcmp (base_name (ra), "dockerd") == 0;
          return ra;
        }
    }
  return NULL;
}

/* A daemon whose binary was upgraded since it started: its exe reads
 * "<path> (deleted)" and is no longer the file at <path>.  Only asked of a
 * host root process, which could run any program anyway. */
static char *
allowed_deleted (const struct og_policy *p, long pid, const struct stat *st)
{
  og_cleanup_free char *link = og_xasprintf ("/proc/%ld/exe", pid);
  static const char deleted[] = " (deleted)";
  const size_t dl = sizeof deleted - 1;
  char buf[PATH_MAX];
  ssize_t n;

  if (st->st_nlink != 0)
    return NULL;
  n = readlink (link, buf, sizeof buf - 1);
  if (n <= (ssize_t)dl)
    return NULL;
  buf[n] = '\0';
  if (strcmp (buf + n - dl, deleted) != 0)
    return NULL;
  buf[n - dl] = '\0';
  for (char **a = p->hooks.allow; a && *a; a++)
    {
      og_cleanup_free char *ra = og_realpath (*a);
      if (strcmp (buf, *a) == 0 || (ra && strcmp (buf, ra) == 0))
        return og_xstrdup (buf);
    }
  return NULL;
}

static bool
all_hex (const char *s, size_t len)
{
  if (strlen (s) != len)
    return false;
  for (; *s; s++)
    if (!isxdigit ((unsigned char)*s) || isupper ((unsigned char)*s))
      return false;
  return true;
}

static bool
clean_absolute (const char *path)
{
  if (path[0] != '/' || strstr (path, "//") || strstr (path, "/./") || strstr (path, "/../"))
    return false;
  size_t n = strlen (path);
  return !(n >= 2 && strcmp (path + n - 2, "/.") == 0) && !(n >= 3 && strcmp (path + n - 3, "/..") == 0);
}

static bool
is_socket (const char *path)
{
  struct stat st;
  return lstat (path, &st) == 0 && S_ISSOCK (st.st_mode);
}

/* The bundle containerd's shim gives runc is <state>/<namespace>/<id>;
 * Podman's is <storage>/<id>/userdata.  Docker's hook belongs to the first. */
static bool
bundle_is_shims (const struct og_enforce_ctx *ctx)
{
  og_cleanup_free char *b = og_realpath (ctx->bundle ? ctx->bundle : ".");
  return b && ctx->container_id && strcmp (base_name (b), ctx->container_id) == 0;
}

/* What dockerd puts in every container's config for its network setup:
 * "libnetwork-setkey -exec-root=<dir> <container id> <controller id[:12]>"
 * (dockerd before 18.x: "libnetwork-setkey <container id> <controller id>").
 * dockerd connects to <exec-root>/libnetwork/<controller id[:12]>.sock,
 * which only a running dockerd has made.  Any other argv[0] is another of
 * dockerd's re-exec entry points (netns-create bind-mounts a namespace as
 * root): refused.  Returns NULL or why not. */
static const char *
docker_setkey_wrong (const struct og_enforce_ctx *ctx, const struct og_json *args)
{
  const char *root = "/run/docker", *id, *ctrl;
  og_cleanup_free char *sock = NULL;

  if (args == NULL || args->type != OG_JSON_ARRAY || args->n == 0 || !og_json_is_string (args->vals[0])
      || strcmp (args->vals[0]->text, "libnetwork-setkey") != 0)
    return "argv[0] of a dockerd hook must be libnetwork-setkey (dockerd's other entry points act as root)";
  if (args->n != 4 && args->n != 3)
    return "libnetwork-setkey takes -exec-root=<dir>, the container id and the controller id";
  for (size_t i = 0; i < args->n; i++)
    if (!og_json_is_string (args->vals[i]))
      return "hook arguments must be strings";
  if (args->n == 4)
    {
      if (strncmp (args->vals[1]->text, "-exec-root=", 11) != 0 || !clean_absolute (args->vals[1]->text + 11))
        return "the second argument must be -exec-root=<absolute clean path>";
      root = args->vals[1]->text + 11;
    }
  id = args->vals[args->n - 2]->text;
  ctrl = args->vals[args->n - 1]->text;
  if (ctx->container_id ? strcmp (id, ctx->container_id) != 0 : !all_hex (id, 64))
    return "the container argument must be this container's id";
  if (!(args->n == 4 ? all_hex (ctrl, 12) : all_hex (ctrl, 64)))
    return "the controller argument must be a libnetwork controller id";
  if (ctx->container_id && !bundle_is_shims (ctx))
    return "the bundle is not a containerd shim's (<namespace>/<id>): only Docker sets this hook";
  sock = og_xasprintf ("%s/libnetwork/%.12s.sock", root, ctrl);
  if (!is_socket (sock))
    return "no running dockerd listens at <exec-root>/libnetwork/<controller>.sock";
  return NULL;
}

/* Environment that makes the dynamic loader or libc run other code (a
 * preload library from the container's rootfs, which is on the host). */
static bool
loader_variable (const char *name, size_t len)
{
  static const char *const exact[] = { "GCONV_PATH", "GLIBC_TUNABLES", "HOSTALIASES", "LOCALDOMAIN", "LOCPATH",
                                       "NLSPATH",    "RES_OPTIONS",    "TZDIR",       "GODEBUG",     NULL };
  if ((len > 3 && strncmp (name, "LD_", 3) == 0) || (len > 7 && strncmp (name, "MALLOC_", 7) == 0))
    return true;
  for (const char *const *e = exact; *e; e++)
    if (strlen (*e) == len && strncmp (name, *e, len) == 0)
      return true;
  return false;
}

/* NULL when the hook's environment is acceptable, else the bad entry. */
static const char *
env_wrong (const struct og_json *env, bool docker)
{
  if (env == NULL || env->type == OG_JSON_NULL)
    return NULL;
  if (env->type != OG_JSON_ARRAY)
    return "(not an array)";
  for (size_t i = 0; i < env->n; i++)
    {
      const struct og_json *e = env->vals[i];
      const char *eq;
      if (!og_json_is_string (e) || (eq = strchr (e->text, '=')) == NULL)
        return "(not NAME=value)";
      if (loader_variable (e->text, (size_t)(eq - e->text)))
        return e->text;
      /* dockerd 23+ passes its trace context; nothing else. */
      if (docker && strncmp (e->text, "TRACEPARENT=", 12) != 0 && strncmp (e->text, "TRACESTATE=", 11) != 0)
        return e->text;
    }
  return NULL;
}

/* argv[0] of any other allowlisted program must be a name of that same
 * file (its own name, or a name that is the same file in the standard
 * directories, as "sh" for /usr/bin/dash), so a multi-call binary
 * (busybox, a daemon's re-exec entry points) cannot be asked to be another
 * program. */
static bool
argv0_ok (const struct og_json *args, const char *hook_path, const char *target, const struct stat *st)
{
  static const char *const dirs[] = { "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin" };
  const char *a0;
  struct stat ast;

  if (args == NULL || args->type == OG_JSON_NULL || (args->type == OG_JSON_ARRAY && args->n == 0))
    return true;
  if (args->type != OG_JSON_ARRAY || !og_json_is_string (args->vals[0]))
    return false;
  a0 = args->vals[0]->text;
  if (a0[0] == '/')
    return stat (a0, &ast) == 0 && og_same_file (&ast, st);
  if (strchr (a0, '/'))
    return false;
  if (strcmp (a0, base_name (hook_path)) == 0 || strcmp (a0, base_name (target)) == 0)
    return true;
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
    {
      og_cleanup_free char *cand = og_xasprintf ("%s/%s", dirs[i], a0);
      if (stat (cand, &ast) == 0 && og_same_file (&ast, st))
        return true;
    }
  return false;
}

/* The allowlisted file the hook will run, as a path to give runc, and its
 * stat in *stp; NULL after recording why not.  *keep: the path must stay
 * as it is (an upgraded daemon's /proc/<pid>/exe). */
static char *
hook_target (const struct og_enforce_ctx *ctx, const char *path, const char *ppath, struct og_decisions *d, bool *keep,
             struct stat *stp, bool *dockerd)
{
  enum og_action action = ctx->policy->hooks.action;
  long pid = proc_exe_pid (path);
  struct stat st;
  char *target;

  *keep = false;
  if (pid && !host_root_process (pid))
    {
      og_rule_refuse (ctx, action, d, "hooks", ppath, og_xstrdup (path),
                      "hook %s: process %ld is not a root process of the host (a container's or a user's program "
                      "can be at any path); hooks run as root on the host",
                      path, pid);
      return NULL;
    }
  errno = 0;
  if (stat (path, &st) < 0 || !S_ISREG (st.st_mode))
    {
      og_rule_refuse (ctx, action, d, "hooks", ppath, og_xstrdup (path),
                      "hook %s cannot be opened as a regular file (%s); hooks run as root on the host", path,
                      errno ? strerror (errno) : "not a file");
      return NULL;
    }
  target = allowed_by_identity (ctx->policy, &st, dockerd);
  if (target == NULL && pid && (target = allowed_deleted (ctx->policy, pid, &st)) != NULL)
    {
      *keep = true;
      *dockerd = strcmp (base_name (target), "dockerd") == 0;
    }
  if (target == NULL)
    {
      og_cleanup_free char *resolved = og_realpath (path);
      og_rule_refuse (ctx, action, d, "hooks", ppath, og_xstrdup (path),
                      "hook %s is not on the hook allowlist (it is the file %s, device %ju inode %ju, and no "
                      "allowlisted path is that file); hooks run as root on the host",
                      path, resolved ? resolved : "?", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
      return NULL;
    }
  *stp = st;
  return target;
}

static void
check_hook (const struct og_enforce_ctx *ctx, struct og_json *hook, const char *kind, const char *hpath,
            struct og_decisions *d)
{
  enum og_action action = ctx->policy->hooks.action;
  struct og_json *path = og_json_get_set (hook, "path");
  struct og_json *args = og_json_get_set (hook, "args");
  og_cleanup_free char *ppath = og_xasprintf ("%s.path", hpath);
  og_cleanup_free char *target = NULL;
  const char *why, *bad_env;
  bool keep, docker;
  struct stat st;

  if (hook->type != OG_JSON_OBJECT || !og_json_is_string (path) || path->text[0] != '/')
    {
      og_rule_malformed (d, "hooks", hpath, hook, "an object with an absolute \"path\"");
      return;
    }
  if (in_container (kind))
    {
      og_rule_refuse (ctx, action, d, "hooks", ppath, og_json_to_text (path),
                      "%s hook %s runs inside the container and cannot be checked against the host allowlist", kind,
                      path->text);
      return;
    }
  /* ocigate's own verification hook (rule_verify.c replaces it with the
   * expectations of this config). */
  if (stat (path->text, &st) == 0 && S_ISREG (st.st_mode) && og_verify_is_own_hook (ctx->policy, hook, &st)
      && (strcmp (kind, "createRuntime") == 0 || strcmp (kind, "poststart") == 0))
    return;
  target = hook_target (ctx, path->text, ppath, d, &keep, &st, &docker);
  if (target == NULL)
    return;
  if (docker && (why = docker_setkey_wrong (ctx, args)) != NULL)
    {
      og_cleanup_free char *p = og_xasprintf ("%s.args", hpath);
      og_rule_refuse (ctx, action, d, "hooks", p, og_json_to_text (args),
                      "hook %s runs dockerd with arguments that are not Docker's network hook: %s", path->text, why);
      return;
    }
  if (!docker && !argv0_ok (args, path->text, target, &st))
    {
      og_cleanup_free char *p = og_xasprintf ("%s.args", hpath);
      og_rule_refuse (ctx, action, d, "hooks", p, og_json_to_text (args),
                      "hook %s: argv[0] must be a name of the allowlisted program (%s), not another mode of it",
                      path->text, base_name (target));
      return;
    }
  if ((bad_env = env_wrong (og_json_get_set (hook, "env"), docker)) != NULL)
    {
      og_cleanup_free char *p = og_xasprintf ("%s.env", hpath);
      og_rule_refuse (ctx, action, d, "hooks", p, og_json_to_text (og_json_get_set (hook, "env")),
                      "hook %s: environment entry %s is not allowed (it can make a root program load other code)",
                      path->text, bad_env);
      return;
    }
  /* Give runc the allowlisted path itself: a link in a directory someone
   * else can write, or a pid that exits and is reused, could name another
   * file by the time runc runs the hook. */
  if (!keep && strcmp (path->text, target) != 0)
    {
      struct og_json *np = og_json_new_string (target);
      if (og_rule_change (ctx, action, d, "hooks", ppath, og_json_to_text (path), og_json_to_text (np),
                          "hook path rewritten to the allowlisted file it is"))
        og_json_set (hook, "path", np);
      else
        og_json_free (np);
    }
}

int
og_rule_hooks (const struct og_enforce_ctx *ctx, struct og_json *spec, struct og_decisions *d, struct og_error *err)
{
  struct og_json *hooks = og_json_get_set (spec, "hooks");

  if (hooks == NULL)
    return 0;
  if (hooks->type != OG_JSON_OBJECT)
    {
      og_rule_malformed (d, "hooks", "hooks", hooks, "an object");
      return 0;
    }
  for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
    {
      struct og_json *list = og_json_get_set (hooks, kinds[k]);
      if (list == NULL)
        continue;
      if (list->type != OG_JSON_ARRAY)
        {
          og_cleanup_free char *p = og_xasprintf ("hooks.%s", kinds[k]);
          og_rule_malformed (d, "hooks", p, list, "an array");
          continue;
        }
      for (size_t i = 0; i < list->n; i++)
        {
          og_cleanup_free char *p = og_xasprintf ("hooks.%s[%zu]", kinds[k], i);
          check_hook (ctx, list->vals[i], kinds[k], p, d);
        }
    }
  return 0;
}
