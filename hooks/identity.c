/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Which container a precreate config is for.  Podman does not pass the
 * container id to a precreate hook (the config has no such field and the
 * hook's cwd is Podman's own, not the bundle), but writes it in two
 * places of the config: the cgroup's last component ("libpod-ID" with
 * cgroupfs, "libpod:ID" or "libpod-ID.scope" with systemd) and the
 * per-container files it binds (".../ID/userdata/hostname").  Either is
 * only a label for the audit record: nothing is decided by it.
 */
#include <config.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ocigate/json.h"
#include "ocigate/util.h"
#include "hook.h"

#define ID_LEN 64
/* the summary's args are cut here: a record per container, not a copy of
 * every command line */
#define ARGS_MAX 256

static bool
is_id (const char *s, size_t n)
{
  if (n != ID_LEN)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return false;
  return true;
}

static char *
id_from_cgroup (const struct og_json *spec)
{
  struct og_json *cg = og_json_path (spec, "linux", "cgroupsPath", NULL);
  const char *s, *slash, *colon;
  size_t n;

  if (!og_json_is_string (cg))
    return NULL;
  slash = strrchr (cg->text, '/');
  colon = strrchr (cg->text, ':');
  s = slash > colon ? slash + 1 : colon ? colon + 1 : cg->text;
  if (strncmp (s, "libpod-", 7) == 0)
    s += 7;
  n = strlen (s);
  if (n > 6 && strcmp (s + n - 6, ".scope") == 0)
    n -= 6;
  return is_id (s, n) ? og_xstrndup (s, n) : NULL;
}

static char *
id_from_mounts (const struct og_json *spec)
{
  struct og_json *mounts = og_json_get_set (spec, "mounts");

  for (size_t i = 0; mounts && mounts->type == OG_JSON_ARRAY && i < mounts->n; i++)
    {
      struct og_json *src = og_json_get_set (mounts->vals[i], "source");
      const char *u = og_json_is_string (src) ? strstr (src->text, "/userdata/") : NULL;

      if (u && u - src->text > ID_LEN && u[-ID_LEN - 1] == '/' && is_id (u - ID_LEN, ID_LEN))
        return og_xstrndup (u - ID_LEN, ID_LEN);
    }
  return NULL;
}

static char *
summary (const struct og_json *spec)
{
  struct og_json *host = og_json_get_set (spec, "hostname");
  struct og_json *args = og_json_path (spec, "process", "args", NULL);
  og_cleanup_free char *argv = args ? og_json_to_text (args) : og_xstrdup ("none");

  if (strlen (argv) > ARGS_MAX)
    {
      size_t k = ARGS_MAX - 3;
      while (k > 0 && (argv[k] & 0xc0) == 0x80) /* not inside a UTF-8 sequence */
        k--;
      strcpy (argv + k, "...");
    }
  return og_xasprintf ("hostname %s, args %s", og_json_is_string (host) ? host->text : "(none)", argv);
}

void
hook_identity_of (const struct og_json *spec, struct hook_identity *who)
{
  who->id = id_from_cgroup (spec);
  if (who->id == NULL)
    who->id = id_from_mounts (spec);
  who->summary = summary (spec);
}

void
hook_identity_free (struct hook_identity *who)
{
  free (who->id);
  free (who->summary);
  who->id = who->summary = NULL;
}
