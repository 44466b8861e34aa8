/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Which file made what a decision used (ocigatectl explain): the action or
 * mode of the decision's area and every key of it that a layer set.
 */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocigate/json.h"
#include "ocigate/util.h"
#include "schema.h"

/* The value of a key that says what an area does (its action or mode). */
static const char *
lead_value (const struct og_policy *p, const struct og_key *k)
{
  int64_t v = og_key_get_int (p, k);

  if (k->type == OG_KEY_ACTION)
    return og_action_name ((enum og_action)v);
  if (k->type == OG_KEY_CHOICE)
    return og_key_choice (k, v)->name;
  return NULL;
}

char *
og_policy_explain (const struct og_policy *p, const struct og_json *sources, const char *rule)
{
  const struct og_key *keys = NULL, *lead = NULL;
  struct og_buf b = { 0 };
  og_cleanup_free char *lead_path = NULL, *prefix = og_xasprintf ("%s.", rule);
  const struct og_json *from;

  if (strchr (rule, '.') || og_policy_find_path (rule, &keys) == NULL || keys == NULL)
    return og_xasprintf ("%s is built in (no policy key)", rule);
  for (const struct og_key *k = keys; k->name && lead == NULL; k++)
    if (strcmp (k->name, "action") == 0 || strcmp (k->name, "mode") == 0)
      lead = k;
  if (lead && lead_value (p, lead))
    {
      lead_path = og_xasprintf ("%s.%s", rule, lead->name);
      from = og_json_get (sources, lead_path);
      og_cleanup_free char *line = og_xasprintf ("%s \"%s\" from %s", lead_path, lead_value (p, lead),
                                                 from && og_json_is_string (from) ? from->text : "the default");
      og_buf_puts (&b, line);
    }
  /* the area's keys a layer set: what the rule used beyond the base */
  for (size_t i = 0; sources && i < sources->n; i++)
    {
      const struct og_json *f = sources->vals[i];
      if (strncmp (sources->keys[i], prefix, strlen (prefix)) != 0 || !og_json_is_string (f)
          || strcmp (f->text, p->path) == 0 || (lead_path && strcmp (sources->keys[i], lead_path) == 0))
        continue;
      og_cleanup_free char *line = og_xasprintf ("%s%s from %s", b.len ? "; " : "", sources->keys[i], f->text);
      og_buf_puts (&b, line);
    }
  if (p->audit_only)
    {
      from = og_json_get (sources, "mode");
      og_cleanup_free char *line = og_xasprintf ("%smode \"audit\" from %s: recorded only", b.len ? "; " : "",
                                                 from && og_json_is_string (from) ? from->text : "the default");
      og_buf_puts (&b, line);
    }
  if (b.buf == NULL)
    og_buf_puts (&b, "");
  return b.buf;
}
