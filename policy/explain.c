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

static const char *
file_of (const struct og_json *sources, const char *path)
{
  const struct og_json *f = og_json_get (sources, path);
  return f && og_json_is_string (f) ? f->text : "the default";
}

/* "; " between parts */
static void
put_part (struct og_buf *b, char *part)
{
  if (b->len)
    og_buf_puts (b, "; ");
  og_buf_puts (b, part);
  free (part);
}

/* The area's action or mode and its file; whether it has one. */
static bool
put_lead (struct og_buf *b, const struct og_policy *p, const struct og_json *sources, const char *rule,
          const struct og_key *keys, char **lead_path)
{
  for (const struct og_key *k = keys; k->name; k++)
    if ((strcmp (k->name, "action") == 0 || strcmp (k->name, "mode") == 0) && lead_value (p, k))
      {
        *lead_path = og_xasprintf ("%s.%s", rule, k->name);
        put_part (b, og_xasprintf ("%s \"%s\" from %s", *lead_path, lead_value (p, k), file_of (sources, *lead_path)));
        return true;
      }
  put_part (b, og_xasprintf ("%s has no action", rule));
  return false;
}

/* The area's keys a layer set: what the rule used beyond the base.  How
 * many. */
static size_t
put_layered (struct og_buf *b, const struct og_policy *p, const struct og_json *sources, const char *rule,
             const char *lead_path)
{
  size_t n = 0, len = strlen (rule);

  for (size_t i = 0; sources && i < sources->n; i++)
    {
      const char *key = sources->keys[i];
      const struct og_json *f = sources->vals[i];
      if (strncmp (key, rule, len) != 0 || key[len] != '.' || !og_json_is_string (f) || strcmp (f->text, p->path) == 0
          || (lead_path && strcmp (key, lead_path) == 0))
        continue;
      put_part (b, og_xasprintf ("%s from %s", key, f->text));
      n++;
    }
  return n;
}

char *
og_policy_explain (const struct og_policy *p, const struct og_json *sources, const char *rule)
{
  const struct og_key *keys = NULL;
  og_cleanup_free char *lead_path = NULL;
  struct og_buf b = { 0 };
  bool lead;

  if (strchr (rule, '.') || og_policy_find_path (rule, &keys) == NULL || keys == NULL)
    return og_xasprintf ("%s is built in (no policy key)", rule);
  lead = put_lead (&b, p, sources, rule, keys, &lead_path);
  if (put_layered (&b, p, sources, rule, lead_path) == 0 && !lead)
    put_part (&b, og_xasprintf ("its keys are %s's or defaults", p->path));
  if (p->audit_only)
    put_part (&b, og_xasprintf ("mode \"audit\" from %s: recorded only", file_of (sources, "mode")));
  return b.buf;
}
