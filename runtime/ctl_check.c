/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ocigatectl check: a dry run of the policy on one config.json.
 *   default    one line per rule and kind of change, with counts and the
 *              first few items (what a person reads)
 *   --verbose  every decision with its before and after values
 *   --json     one JSON document; its decisions are the audit log's objects
 * ocigatectl explain: --verbose, and under each decision the policy that
 * made it: its area's action (or mode) and the file that set it, and the
 * area's keys a layer (policy.d) set.
 * Exit status: 0 allowed, 1 refused, 2 error.
 */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocigate/enforce.h"
#include "ocigate/spec.h"
#include "ocigate/util.h"
#include "ctl.h"

enum check_format
{
  FORMAT_SUMMARY,
  FORMAT_VERBOSE,
  FORMAT_JSON,
  FORMAT_EXPLAIN,
};

/* Items shown on a summary line before "… +N". */
#define SHOWN_ITEMS 3
#define ITEM_MAX 48
#define REASON_MAX 140

struct colours
{
  const char *refuse, *change, *audit, *ok, *off;
};

static const struct colours plain = { "", "", "", "", "" };
static const struct colours ansi = { "\033[1;31m", "\033[33m", "\033[36m", "\033[1;32m", "\033[0m" };

/* ---- the summary: one line per rule and kind of change ------------------- */

struct group
{
  const char *rule;
  enum og_decision_kind kind;
  char *family; /* the decision path without indexes: linux.devices */
  const char *verb;
  const struct og_decision *first;
  size_t decisions;
  char **items; /* distinct, in order of appearance */
  size_t n, cap;
};

static void
group_add_item (struct group *g, const char *item)
{
  for (size_t i = 0; i < g->n; i++)
    if (strcmp (g->items[i], item) == 0)
      return;
  if (g->n == g->cap)
    {
      g->cap = g->cap ? g->cap * 2 : 8;
      g->items = og_xrealloc (g->items, g->cap * sizeof *g->items);
    }
  g->items[g->n++] = og_xstrdup (item);
}

/* linux.devices[3] -> linux.devices; linux.resources.memory.limit ->
 * linux.resources; process.capabilities.bounding -> process.capabilities. */
static char *
path_family (const char *path)
{
  static const char *const prefixes[]
      = { "linux.resources.devices", "linux.resources", "process.capabilities", "process.rlimits", NULL };
  for (size_t i = 0; prefixes[i]; i++)
    {
      size_t l = strlen (prefixes[i]);
      if (strncmp (path, prefixes[i], l) == 0 && (path[l] == '\0' || path[l] == '.' || path[l] == '['))
        return og_xstrdup (prefixes[i]);
    }
  return og_xstrndup (path, strcspn (path, "["));
}

static const char *
family_noun (const char *family)
{
  static const char *const nouns[][2] = {
    { "linux.devices", "host device nodes" },
    { "process.capabilities", "capabilities" },
    { "linux.maskedPaths", "masked paths" },
    { "linux.readonlyPaths", "read-only paths" },
    { "linux.resources", "resource limits" },
    { "linux.resources.devices", "device cgroup rules" },
    { "linux.namespaces", "namespaces" },
    { "process.env", "environment variables" },
    { "linux.sysctl", "sysctls" },
    { "hooks", "hooks" },
  };
  for (size_t i = 0; i < sizeof nouns / sizeof nouns[0]; i++)
    if (strcmp (family, nouns[i][0]) == 0)
      return nouns[i][1];
  return NULL;
}

static struct og_json *
parse_value (const char *text)
{
  struct og_json *j = NULL;
  struct og_error err = { 0 };

  if (text == NULL)
    return NULL;
  if (og_json_parse (text, strlen (text), NULL, &j, &err) < 0)
    og_error_clear (&err);
  return j;
}

/* What a value is called on a summary line: a device or mount by its path,
 * a string as itself, anything else by its JSON text. */
static char *
value_label (const struct og_json *v, const char *text)
{
  if (v && v->type == OG_JSON_OBJECT)
    {
      const struct og_json *name = og_json_get (v, "path");
      if (!og_json_is_string (name))
        name = og_json_get (v, "destination");
      if (og_json_is_string (name))
        return og_xstrdup (name->text);
    }
  if (og_json_is_string (v))
    return og_xstrdup (v->text);
  return og_xstrdup (text);
}

static bool
string_array (const struct og_json *v)
{
  if (v == NULL || v->type != OG_JSON_ARRAY)
    return false;
  for (size_t i = 0; i < v->n; i++)
    if (!og_json_is_string (v->vals[i]))
      return false;
  return true;
}

/* The path below the family: memory.limit for linux.resources.memory.limit. */
static const char *
relative_path (const char *path, const char *family)
{
  size_t l = strlen (family);
  if (strncmp (path, family, l) == 0 && path[l] == '.')
    return path + l + 1;
  return path;
}

/* Classify one rewrite (removed / added / set / changed) and list what it
 * touched. */
static const char *
describe_change (const struct og_decision *e, const char *family, char ***items_out, size_t *n_out)
{
  og_cleanup_json struct og_json *before = parse_value (e->before), *after = parse_value (e->after);
  const char *rel = relative_path (e->path, family);
  bool indexed = strchr (e->path, '[') != NULL;
  char **items = og_xcalloc (2 * (before && before->type == OG_JSON_ARRAY ? before->n : 0)
                                 + 2 * (after && after->type == OG_JSON_ARRAY ? after->n : 0) + 2,
                             sizeof *items);
  size_t n = 0;
  const char *verb;

  if (string_array (before) && string_array (after))
    {
      size_t removed = 0, added = 0;
      for (size_t i = 0; i < before->n; i++)
        if (!og_json_array_has_string (after, before->vals[i]->text))
          {
            const char *v = before->vals[i]->text;
            items[n++] = indexed ? og_xasprintf ("%s -%s", rel, v) : og_xstrdup (v);
            removed++;
          }
      for (size_t i = 0; i < after->n; i++)
        if (!og_json_array_has_string (before, after->vals[i]->text))
          {
            const char *v = after->vals[i]->text;
            items[n++] = indexed ? og_xasprintf ("%s +%s", rel, v) : og_xasprintf ("+%s", v);
            added++;
          }
      verb = added == 0 ? "removed" : removed == 0 ? "added" : "changed";
    }
  else if (e->after == NULL && e->before)
    {
      verb = "removed";
      items[n++] = value_label (before, e->before);
    }
  else if (e->before == NULL && e->after && after
           && (after->type == OG_JSON_NUMBER || og_json_is_bool (after) || after->type == OG_JSON_NULL))
    {
      verb = "set";
      items[n++] = og_xasprintf ("%s=%s", rel, e->after);
    }
  else if (e->before == NULL && e->after)
    {
      verb = "added";
      items[n++] = value_label (after, e->after);
    }
  else if (e->before && e->after)
    {
      verb = "changed";
      items[n++] = og_xasprintf ("%s %s→%s", rel, e->before, e->after);
    }
  else
    {
      verb = "changed";
      items[n++] = og_xstrdup (e->path);
    }
  *items_out = items;
  *n_out = n;
  return verb;
}

static struct group *
find_group (struct group *g, size_t n, const char *rule, enum og_decision_kind kind, const char *family,
            const char *verb)
{
  /* A refusal or an audit note is shown whole: never merged. */
  if (kind != OG_DECISION_MUTATE)
    return NULL;
  for (size_t i = 0; i < n; i++)
    if (g[i].kind == kind && strcmp (g[i].rule, rule) == 0 && strcmp (g[i].family, family) == 0
        && strcmp (g[i].verb, verb) == 0)
      return &g[i];
  return NULL;
}

static void
print_group (const struct group *g, const struct colours *c)
{
  const char *colour = g->kind == OG_DECISION_REFUSE ? c->refuse : g->kind == OG_DECISION_AUDIT ? c->audit : c->change;
  const char *verb = g->kind == OG_DECISION_REFUSE ? "refused" : g->kind == OG_DECISION_AUDIT ? "noted" : g->verb;
  const char *noun = family_noun (g->family);

  printf ("%-18s %s%-8s%s ", g->rule, colour, verb, c->off);
  if (g->kind == OG_DECISION_REFUSE || (g->decisions == 1 && g->n <= 1))
    {
      /* a refusal is shown whole */
      ctl_put_text (g->first->path, 0);
      fputs (": ", stdout);
      ctl_put_text (g->first->reason, g->kind == OG_DECISION_REFUSE ? 0 : REASON_MAX);
    }
  else
    {
      printf ("%zu ", g->n);
      if (noun)
        fputs (noun, stdout);
      else
        {
          fputs ("in ", stdout);
          ctl_put_text (g->family, 0);
        }
      fputs (" (", stdout);
      /* "… +1" would take the room of the item it hides */
      size_t shown = g->n <= SHOWN_ITEMS + 1 ? g->n : SHOWN_ITEMS;
      for (size_t i = 0; i < shown; i++)
        {
          fputs (i ? ", " : "", stdout);
          ctl_put_text (g->items[i], ITEM_MAX);
        }
      if (g->n > shown)
        printf (", … +%zu", g->n - shown);
      putchar (')');
    }
  putchar ('\n');
}

static void
print_summary (const struct og_decisions *d, const struct colours *c)
{
  struct group *g = og_xcalloc (d->n + 1, sizeof *g);
  size_t ng = 0;

  for (size_t i = 0; i < d->n; i++)
    {
      const struct og_decision *e = &d->v[i];
      og_cleanup_free char *family = path_family (e->path);
      char **items = NULL;
      size_t n = 0;
      const char *verb = e->kind == OG_DECISION_MUTATE ? describe_change (e, family, &items, &n) : "";
      struct group *grp = find_group (g, ng, e->rule, e->kind, family, verb);

      if (grp == NULL)
        {
          grp = &g[ng++];
          *grp = (struct group){ .rule = e->rule, .kind = e->kind, .verb = verb, .first = e };
          grp->family = og_steal_pointer (&family);
        }
      grp->decisions++;
      for (size_t k = 0; k < n; k++)
        {
          group_add_item (grp, items[k]);
          free (items[k]);
        }
      free (items);
    }
  for (size_t i = 0; i < ng; i++)
    {
      print_group (&g[i], c);
      for (size_t k = 0; k < g[i].n; k++)
        free (g[i].items[k]);
      free (g[i].items);
      free (g[i].family);
    }
  free (g);
}

static void
print_verbose (const struct og_decisions *d, const struct colours *c, const struct og_policy *p,
               const struct og_json *sources)
{
  for (size_t i = 0; i < d->n; i++)
    {
      const struct og_decision *e = &d->v[i];
      const char *colour = e->kind == OG_DECISION_REFUSE  ? c->refuse
                           : e->kind == OG_DECISION_AUDIT ? c->audit
                                                          : c->change;
      printf ("%s%-7s%s %-18s ", colour, og_decision_kind_name (e->kind), c->off, e->rule);
      ctl_put_text (e->path, 0);
      fputs (": ", stdout);
      ctl_put_text (e->reason, 0);
      putchar ('\n');
      if (e->before || e->after)
        {
          fputs ("        before: ", stdout);
          ctl_put_text (e->before ? e->before : "(absent)", 0);
          fputs ("\n        after:  ", stdout);
          ctl_put_text (e->after ? e->after : "(unchanged)", 0);
          putchar ('\n');
        }
      if (sources)
        {
          og_cleanup_free char *why = og_policy_explain (p, sources, e->rule);
          fputs ("        policy: ", stdout);
          ctl_put_text (why, 0);
          putchar ('\n');
        }
    }
}

static void
print_json (const char *config, const char *policy_path, const struct og_policy *policy, const char *profile,
            bool refused, const struct og_decisions *d)
{
  struct og_buf b = { 0 };

  og_buf_puts (&b, "{\"config\":");
  og_buf_put_json_string (&b, config);
  og_buf_puts (&b, ",\"policy\":");
  og_buf_put_json_string (&b, policy_path);
  og_buf_puts (&b, ",\"policy_sha256\":");
  og_buf_put_json_string (&b, policy->digest);
  if (profile)
    {
      og_buf_puts (&b, ",\"profile\":");
      og_buf_put_json_string (&b, profile);
    }
  og_buf_puts (&b, ",\"mode\":");
  og_buf_put_json_string (&b, policy->audit_only ? "audit" : "enforce");
  og_buf_puts (&b, ",\"verdict\":");
  og_buf_put_json_string (&b, refused ? "refused" : "allowed");
  og_buf_puts (&b, ",\"decisions\":");
  og_decisions_put_json (&b, d);
  og_buf_puts (&b, "}\n");
  fwrite (b.buf, 1, b.len, stdout);
  free (b.buf);
}

/* ---- --output ------------------------------------------------------------ */

/* The rewritten config goes to a new file beside `path` (O_CREAT|O_EXCL,
 * which never follows a symlink) that is then renamed over it: a symlink
 * planted at `path` is replaced, never written through (root checking a
 * config in a directory someone else can write would otherwise overwrite
 * the link's target, say /etc/shadow). */
static int
write_output (const char *path, const char *data, size_t len, struct og_error *err)
{
  og_cleanup_free char *copy = og_xstrdup (path), *tmp = NULL;
  og_cleanup_close int dfd = -1, fd = -1;
  char *slash = strrchr (copy, '/');
  const char *dir = ".", *base = copy;
  mode_t mask;

  if (slash)
    {
      *slash = '\0';
      dir = slash == copy ? "/" : copy;
      base = slash + 1;
    }
  if (*base == '\0' || strcmp (base, ".") == 0 || strcmp (base, "..") == 0)
    return og_error_set (err, 0, "output %s: not a file name", path);
  dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return og_error_set (err, errno, "output %s: cannot open directory %s", path, dir);
  for (int tries = 0; fd < 0 && tries < 16; tries++)
    {
      unsigned rnd = 0;
      if (getrandom (&rnd, sizeof rnd, 0) != sizeof rnd)
        rnd = (unsigned)tries;
      free (tmp);
      tmp = og_xasprintf (".%s.%d.%08x", base, (int)getpid (), rnd);
      fd = openat (dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (fd < 0 && errno != EEXIST)
        return og_error_set (err, errno, "output %s: cannot create a temporary file in %s", path, dir);
    }
  if (fd < 0)
    return og_error_set (err, EEXIST, "output %s: cannot create a temporary file in %s", path, dir);
  mask = umask (0);
  umask (mask);
  if (fchmod (fd, 0666 & ~mask) < 0 || og_write_all (fd, data, len) < 0 || fsync (fd) < 0
      || renameat (dfd, tmp, dfd, base) < 0)
    {
      int saved = errno;
      unlinkat (dfd, tmp, 0);
      return og_error_set (err, saved, "cannot write output %s", path);
    }
  fsync (dfd);
  return 0;
}

/* ---- the command ---------------------------------------------------------- */

static int
check_usage (FILE *f, int status)
{
  fprintf (f, "usage: ocigatectl check [--policy FILE] [--profile NAME] [--bundle DIR] [--id ID] [--output FILE]\n"
              "                        [--verbose | --json] CONFIG.json\n"
              "       ocigatectl explain [--policy FILE] [--profile NAME] [--bundle DIR] [--id ID] CONFIG.json\n");
  return status;
}

static int check_or_explain (int argc, char **argv, bool explain);

int
ctl_check (int argc, char **argv)
{
  return check_or_explain (argc, argv, false);
}

int
ctl_explain (int argc, char **argv)
{
  return check_or_explain (argc, argv, true);
}

static int
check_or_explain (int argc, char **argv, bool explain)
{
  static const struct option opts[] = {
    { "policy", required_argument, NULL, 'p' },
    { "bundle", required_argument, NULL, 'b' },
    { "id", required_argument, NULL, 'i' },
    { "output", required_argument, NULL, 'o' },
    { "verbose", no_argument, NULL, 'v' },
    { "json", no_argument, NULL, 'j' },
    { "help", no_argument, NULL, 'h' },
    { "profile", required_argument, NULL, 'P' },
    { NULL, 0, NULL, 0 },
  };
  const char *policy_path = OG_POLICY_DEFAULT, *bundle = NULL, *id = NULL, *output = NULL, *profile = NULL;
  og_cleanup_policy struct og_policy *loaded = NULL;
  const struct og_policy *policy;
  og_cleanup_json struct og_json *spec = NULL, *effective = NULL, *sources = NULL;
  og_cleanup_free char *data = NULL, *out = NULL, *cfg_copy = NULL;
  enum check_format format = explain ? FORMAT_EXPLAIN : FORMAT_SUMMARY;
  struct og_decisions d = { 0 };
  struct og_error err = { 0 };
  size_t len = 0, out_len = 0;
  const struct colours *c;
  int opt, status;
  bool refused;

  while ((opt = getopt_long (argc, argv, "p:b:i:o:vjhP:", opts, NULL)) != -1)
    switch (opt)
      {
        case 'P':
          profile = optarg;
          break;
        case 'p':
          policy_path = optarg;
          break;
        case 'b':
          bundle = optarg;
          break;
        case 'i':
          id = optarg;
          break;
        case 'o':
          output = optarg;
          break;
        case 'v':
          format = explain ? FORMAT_EXPLAIN : FORMAT_VERBOSE;
          break;
        case 'j':
          if (explain)
            return check_usage (stderr, CTL_EXIT_ERROR);
          format = FORMAT_JSON;
          break;
        case 'h':
          return check_usage (stdout, CTL_EXIT_ALLOWED);
        default:
          return check_usage (stderr, CTL_EXIT_ERROR);
      }
  if (optind + 1 != argc)
    return check_usage (stderr, CTL_EXIT_ERROR);
  if (bundle == NULL)
    {
      cfg_copy = og_xstrdup (argv[optind]);
      bundle = dirname (cfg_copy);
    }
  if ((explain ? og_policy_load_effective (policy_path, &loaded, &effective, &sources, NULL, &err)
               : og_policy_load (policy_path, &loaded, &err))
      < 0)
    return ctl_fail (&err);
  /* An admin previews a profile by name: check has no engine facts, and
   * whoever runs it must not be able to claim them. */
  policy = profile ? og_policy_profile (loaded, profile) : loaded;
  if (policy == NULL)
    {
      og_error_set (&err, 0, "policy %s has no profile %s", policy_path, profile);
      return ctl_fail (&err);
    }
  if (ctl_read_regular (argv[optind], OG_SPEC_MAX_SIZE, &data, &len, &err) < 0
      || og_spec_parse (data, len, &spec, &err) < 0)
    return ctl_fail (&err);
  {
    /* A dry run allocates nothing: the pool's first range stands for the
     * one a create would get, so the check shows the mapping, not a
     * container without a user namespace. */
    struct og_userns_range sample = { .host_start = policy->userns.pool_start, .size = policy->userns.range_size };
    struct og_enforce_ctx ctx = { .policy = policy, .bundle = bundle, .container_id = id };
    if (policy->userns.mode != OG_USERNS_OFF)
      ctx.userns = &sample;
    if (og_enforce_config (&ctx, spec, &d, &err) < 0)
      {
        og_decisions_clear (&d);
        return ctl_fail (&err);
      }
  }
  refused = og_decisions_refused (&d);
  status = refused ? CTL_EXIT_REFUSED : CTL_EXIT_ALLOWED;
  c = format != FORMAT_JSON && ctl_use_colour () ? &ansi : &plain;
  if (format == FORMAT_JSON)
    print_json (argv[optind], policy_path, policy, profile, refused, &d);
  else
    {
      if (format == FORMAT_VERBOSE || format == FORMAT_EXPLAIN)
        print_verbose (&d, c, policy, sources);
      else
        print_summary (&d, c);
      if (profile)
        printf ("profile %s\n", profile);
      printf ("%s%s%s\n", refused ? c->refuse : c->ok, refused ? "refused" : "allowed", c->off);
    }
  og_decisions_clear (&d);
  if (fflush (stdout) != 0)
    {
      og_error_set (&err, errno, "cannot write to standard output");
      return ctl_fail (&err);
    }
  if (output && status == CTL_EXIT_ALLOWED)
    {
      if (og_json_write (spec, true, &out, &out_len, &err) < 0 || write_output (output, out, out_len, &err) < 0)
        return ctl_fail (&err);
    }
  return status;
}
