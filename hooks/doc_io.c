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
  size_t have = 0;

  if (og_read_fd_bounded (fd, max, &buf, &have) < 0)
    return errno == EFBIG ? og_error_set (err, 0, "the proposed config on stdin is larger than %zu bytes", max)
                          : og_error_set (err, errno, "cannot read the proposed config on stdin");
  if (have == 0)
    return og_error_set (err, 0, "stdin is empty: a precreate hook reads the proposed config.json there");
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

/* With no config to start from (stdin unreadable): one that runs
 * nothing, in namespaces of its own, without privileges. */
static struct og_json *
minimal_config (void)
{
  struct og_json *doc = og_json_new (OG_JSON_OBJECT), *process = og_json_new (OG_JSON_OBJECT);
  struct og_json *user = og_json_new (OG_JSON_OBJECT), *args = og_json_new (OG_JSON_ARRAY);
  struct og_json *linux_ = og_json_new (OG_JSON_OBJECT), *nss = og_json_new (OG_JSON_ARRAY);
  static const char *const types[] = { "mount", "pid", "ipc", "uts", "network" };

  og_json_set (doc, "ociVersion", og_json_new_string ("1.0.0"));
  og_json_set (user, "uid", og_json_new_number (0));
  og_json_set (user, "gid", og_json_new_number (0));
  og_json_set (process, "user", user);
  og_json_append (args, og_json_new_string ("/ocigate-refused"));
  og_json_set (process, "args", args);
  og_json_set (process, "cwd", og_json_new_string ("/"));
  og_json_set (process, "noNewPrivileges", og_json_new (OG_JSON_TRUE));
  og_json_set (doc, "process", process);
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
    og_json_append (nss, namespace(types[i]));
  og_json_set (linux_, "namespaces", nss);
  og_json_set (doc, "linux", linux_);
  return doc;
}

/* The namespace list of doc's linux section, created (or replacing a
 * member of another type) when needed. */
static struct og_json *
namespaces_of (struct og_json *doc)
{
  struct og_json *linux_ = og_json_ensure_object (doc, "linux"), *ns;

  if (linux_ == NULL)
    {
      og_json_set (doc, "linux", og_json_new (OG_JSON_OBJECT));
      linux_ = og_json_get (doc, "linux");
    }
  ns = og_json_get_set (linux_, "namespaces");
  if (ns == NULL || ns->type != OG_JSON_ARRAY)
    {
      og_json_set (linux_, "namespaces", og_json_new (OG_JSON_ARRAY));
      ns = og_json_get (linux_, "namespaces");
    }
  return ns;
}

/* The proposed config made impossible to start, twice over, with the
 * message where the runtime's error quotes it:
 *
 *  - a namespace of type "ocigate: MSG".  runc (specconv) and crun (its
 *    namespace table) reject an unknown type while they translate the
 *    config, before they create anything, and quote it: runc 'namespace
 *    "ocigate: MSG" does not exist', crun 'invalid namespace type:
 *    `ocigate: MSG`'.
 *  - root.path "/dev/null/ocigate: MSG", for a runtime that would ignore
 *    an unknown namespace: a device node has no entries, so that root
 *    cannot exist (runc says 'invalid rootfs: stat /dev/null/ocigate:
 *    MSG: not a directory'; not ENOENT, which Podman would report as a
 *    missing command).
 *
 * The rest is kept because Podman keeps this config as the refused
 * container's: without the mounts it was asked for, `podman inspect` of
 * the container crashes (Podman 4.3).  The hooks go: a runtime would run
 * them first. */
static struct og_json *
refusal_tree (const struct og_json *proposed, const char *msg)
{
  struct og_json *doc = proposed && proposed->type == OG_JSON_OBJECT ? og_json_clone (proposed) : minimal_config ();
  struct og_json *root = og_json_new (OG_JSON_OBJECT), *ns = og_json_new (OG_JSON_OBJECT);
  og_cleanup_free char *path = og_xasprintf ("/dev/null/ocigate: %s", msg);
  og_cleanup_free char *type = og_xasprintf ("ocigate: %s", msg);

  og_json_set (ns, "type", og_json_new_string (type));
  og_json_append (namespaces_of (doc), ns);
  og_json_set (root, "path", og_json_new_string (path));
  og_json_set (root, "readonly", og_json_new (OG_JSON_TRUE));
  og_json_set (doc, "root", root);
  for (size_t i = 0; i < doc->n; i++)
    if (strcmp (doc->keys[i], "hooks") == 0)
      {
        og_json_remove_at (doc, i);
        break;
      }
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
