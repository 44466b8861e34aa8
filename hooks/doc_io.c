/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The document channel of a config-filter hook.  Podman writes the
 * proposed config to the hook's stdin and replaces the container's config
 * with whatever the hook writes to stdout (containers/common
 * pkg/hooks/exec, RuntimeConfigFilter): stdout carries one whole
 * document or nothing, and the input is bounded like a bundle's
 * config.json.
 */
#include <config.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ocigate/util.h"
#include "hook.h"

int
hook_read_doc (int fd, size_t max, char **out, size_t *len, struct og_error *err)
{
  og_cleanup_free char *buf = NULL;
  size_t have = 0, cap = 0;

  for (;;)
    {
      ssize_t n;

      if (have == cap)
        {
          /* one byte past max tells "exactly max" from "more" */
          cap = cap == 0 ? 65536 : cap * 2;
          if (cap > max + 1)
            cap = max + 1;
          buf = og_xrealloc (buf, cap + 1);
        }
      n = read (fd, buf + have, cap - have);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return og_error_set (err, errno, "cannot read the proposed config on stdin");
      if (n == 0)
        break;
      have += (size_t)n;
      if (have > max)
        return og_error_set (err, 0, "the proposed config on stdin is larger than %zu bytes", max);
    }
  if (have == 0)
    return og_error_set (err, 0, "stdin is empty: a precreate hook reads the proposed config.json there");
  buf[have] = '\0';
  *len = have;
  *out = og_steal_pointer (&buf);
  return 0;
}

int
hook_write_doc (int fd, const char *buf, size_t len, struct og_error *err)
{
  if (og_write_all (fd, buf, len) < 0)
    return og_error_set (err, errno, "cannot write the config to stdout");
  return 0;
}

static struct og_json *namespace(const char *type)
{
  struct og_json *ns = og_json_new (OG_JSON_OBJECT);

  og_json_set (ns, "type", og_json_new_string (type));
  return ns;
}

/* Nothing of the refused config is handed on: not its mounts, devices,
 * capabilities or hooks.  Should a runtime ever start this config, it
 * runs nothing, in namespaces of its own, without privileges.  It cannot
 * start: nothing can create a file under /proc's root directory, so the
 * root filesystem cannot exist, and runc and crun check it before they
 * create anything. */
static struct og_json *
refusal_tree (const struct og_json *proposed, const char *msg)
{
  struct og_json *doc = og_json_new (OG_JSON_OBJECT);
  struct og_json *version = og_json_get_set (proposed, "ociVersion");
  struct og_json *cgroups = og_json_path (proposed, "linux", "cgroupsPath", NULL);
  struct og_json *process = og_json_new (OG_JSON_OBJECT), *user = og_json_new (OG_JSON_OBJECT);
  struct og_json *args = og_json_new (OG_JSON_ARRAY), *root = og_json_new (OG_JSON_OBJECT);
  struct og_json *linux_ = og_json_new (OG_JSON_OBJECT), *nss = og_json_new (OG_JSON_ARRAY);
  og_cleanup_free char *path = og_xasprintf ("/proc/ocigate: %s", msg);
  static const char *const types[] = { "mount", "pid", "ipc", "uts", "network" };

  og_json_set (doc, "ociVersion", og_json_new_string (og_json_is_string (version) ? version->text : "1.0.0"));
  og_json_set (user, "uid", og_json_new_number (0));
  og_json_set (user, "gid", og_json_new_number (0));
  og_json_set (process, "user", user);
  og_json_append (args, og_json_new_string ("/ocigate-refused"));
  og_json_set (process, "args", args);
  og_json_set (process, "cwd", og_json_new_string ("/"));
  og_json_set (process, "noNewPrivileges", og_json_new (OG_JSON_TRUE));
  og_json_set (doc, "process", process);
  og_json_set (root, "path", og_json_new_string (path));
  og_json_set (root, "readonly", og_json_new (OG_JSON_TRUE));
  og_json_set (doc, "root", root);
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
    og_json_append (nss, namespace(types[i]));
  og_json_set (linux_, "namespaces", nss);
  /* the engine's cgroup path passes the runtime's cgroup checks, which
   * come before the root filesystem's; no path at all might not */
  if (og_json_is_string (cgroups))
    og_json_set (linux_, "cgroupsPath", og_json_new_string (cgroups->text));
  og_json_set (doc, "linux", linux_);
  return doc;
}

char *
hook_refusal_config (const struct og_json *proposed, const char *msg)
{
  og_cleanup_json struct og_json *doc = refusal_tree (proposed, msg);
  struct og_error err = { 0 };
  char *out = NULL;
  size_t len;

  if (og_json_write (doc, false, &out, &len, &err) == 0)
    return out;
  /* a message that is not UTF-8 (a byte of the input quoted in it) cannot
   * be a JSON string; the audit record and stderr still have it whole */
  og_error_clear (&err);
  og_json_free (doc);
  doc = refusal_tree (proposed, "refused (the message is not valid UTF-8: see stderr and the audit log)");
  if (og_json_write (doc, false, &out, &len, &err) < 0)
    og_error_clear (&err);
  return out;
}
