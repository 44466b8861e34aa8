/* SPDX-License-Identifier: Apache-2.0 */
/* Policy keys whose reading the table's types cannot express (policy_keys.h). */
#include <config.h>
#include <string.h>

#include "ocigate/util.h"
#include "policy_keys.h"

#define RO_WHERE "mounts.readonly_binds"

static int
ro_action (const struct og_json *o, const char *name, enum og_action *out, struct og_error *err)
{
  const struct og_json *v = og_json_get (o, "action");

  /* the key is there to turn the rule on: no action means enforce */
  *out = OG_ACTION_ENFORCE;
  if (v == NULL)
    return 0;
  if (og_json_is_string (v) && strcmp (v->text, "enforce") == 0)
    return 0;
  if (og_json_is_string (v) && strcmp (v->text, "deny") == 0)
    *out = OG_ACTION_DENY;
  else if (og_json_is_string (v) && (strcmp (v->text, "audit") == 0 || strcmp (v->text, "warn") == 0))
    *out = OG_ACTION_AUDIT;
  else
    return og_error_set (err, 0, "policy %s: " RO_WHERE ": \"action\" must be \"enforce\", \"deny\" or \"audit\"",
                         name);
  return 0;
}

static int
ro_except (const struct og_json *o, const char *name, char ***out, struct og_error *err)
{
  const struct og_json *v = og_json_get (o, "except");
  char **r;

  if (v == NULL)
    return 0;
  if (v->type != OG_JSON_ARRAY)
    return og_error_set (err, 0, "policy %s: " RO_WHERE ": \"except\" must be an array of strings", name);
  r = og_xcalloc (v->n + 1, sizeof *r);
  for (size_t i = 0; i < v->n; i++)
    {
      const struct og_json *e = v->vals[i];

      /* patterns are matched against resolved (absolute) sources */
      if (!og_json_is_string (e) || e->len == 0 || e->text[0] != '/')
        {
          og_strv_free (r);
          return og_error_set (err, 0, "policy %s: " RO_WHERE ": \"except\"[%zu] must be a non-empty absolute path",
                               name, i);
        }
      r[i] = og_xstrdup (e->text);
    }
  *out = r;
  return 0;
}

int
og_policy_load_readonly_binds (const struct og_json *o, const char *name, struct og_policy *p, struct og_error *err)
{
  if (o == NULL)
    return 0;
  if (o->type != OG_JSON_OBJECT)
    return og_error_set (err, 0, "policy %s: " RO_WHERE ": must be an object", name);
  for (size_t i = 0; i < o->n; i++)
    if (strcmp (o->keys[i], "action") != 0 && strcmp (o->keys[i], "except") != 0
        && strcmp (o->keys[i], "description") != 0)
      return og_error_set (err, 0, "policy %s: " RO_WHERE ": unknown key \"%s\"", name, o->keys[i]);
  if (ro_action (o, name, &p->mounts.readonly_binds_action, err) < 0
      || ro_except (o, name, &p->mounts.readonly_binds_except, err) < 0)
    return -1;
  p->mounts.readonly_binds = true;
  return 0;
}
