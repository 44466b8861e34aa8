/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hooks: an OCI hook is a program runc runs as root on the host, outside
 * every namespace.  Only allowlisted executables may run, matched on the
 * resolved target so a symlink or /proc/<pid>/exe cannot disguise another
 * program.
 */
#include <config.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ocigate/enforce.h"
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
 * dockerd this way; the path must stay as it is (the binary on disk may have
 * been upgraded since the daemon started). */
static bool
is_proc_exe (const char *path)
{
  const char *p = path;

  if (strncmp (p, "/proc/", 6) != 0)
    return false;
  p += 6;
  if (!isdigit ((unsigned char)*p))
    return false;
  while (isdigit ((unsigned char)*p))
    p++;
  return strcmp (p, "/exe") == 0;
}

static bool
allowed (const struct og_policy *p, const char *resolved)
{
  for (char **a = p->hooks.allow; a && *a; a++)
    {
      og_cleanup_free char *ra = og_realpath (*a);
      if (strcmp (resolved, ra ? ra : *a) == 0)
        return true;
    }
  return false;
}

/* The executable a hook path names.  For /proc/<pid>/exe of a daemon whose
 * binary was upgraded since it started, the link reads "<path> (deleted)":
 * the process still runs the program that was installed at <path>. */
static char *
resolve_hook (const char *path)
{
  char buf[4096];
  ssize_t n;
  static const char deleted[] = " (deleted)";

  if (!is_proc_exe (path))
    return og_realpath (path);
  n = readlink (path, buf, sizeof buf - 1);
  if (n <= 0)
    return NULL;
  buf[n] = '\0';
  if ((size_t)n > sizeof deleted - 1 && strcmp (buf + n - (sizeof deleted - 1), deleted) == 0)
    buf[n - (sizeof deleted - 1)] = '\0';
  return buf[0] == '/' ? og_xstrdup (buf) : NULL;
}

static void
check_hook (const struct og_enforce_ctx *ctx, struct og_json *hook, const char *kind, const char *hpath,
            struct og_decisions *d)
{
  enum og_action action = ctx->policy->hooks.action;
  struct og_json *path = og_json_get_set (hook, "path");
  og_cleanup_free char *ppath = og_xasprintf ("%s.path", hpath);
  og_cleanup_free char *resolved = NULL;

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
  resolved = resolve_hook (path->text);
  if (resolved == NULL)
    {
      og_rule_refuse (ctx, action, d, "hooks", ppath, og_json_to_text (path),
                      "hook %s cannot be resolved (%s); hooks run as root on the host", path->text, strerror (errno));
      return;
    }
  if (!allowed (ctx->policy, resolved))
    {
      og_rule_refuse (ctx, action, d, "hooks", ppath, og_json_to_text (path),
                      "hook %s (resolves to %s) is not on the hook allowlist; hooks run as root on the host",
                      path->text, resolved);
      return;
    }
  if (!is_proc_exe (path->text) && strcmp (path->text, resolved) != 0)
    {
      struct og_json *np = og_json_new_string (resolved);
      if (og_rule_change (ctx, action, d, "hooks", ppath, og_json_to_text (path), og_json_to_text (np),
                          "hook path rewritten to its resolved target"))
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
