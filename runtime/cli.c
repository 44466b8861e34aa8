/* SPDX-License-Identifier: Apache-2.0 */
/*
 * runc's command line, read the way runc (urfave/cli over Go's flag package)
 * reads it: "-x" and "--x" are the same flag, "--x=v" and "--x v" the same
 * value, command flags may follow the container id, and the last of two
 * equal flags wins.  Where runc's reading could differ from ours we refuse.
 */
#include <config.h>
#include <stdlib.h>
#include <string.h>

#include "ocigate/util.h"
#include "ocigate.h"

/* runc 1.1 global flags that take a value. */
static const char *const global_value_flags[] = { "log", "log-format", "root", "criu", "rootless", NULL };

/* Value flags of the enforced commands (create, run, restore). */
static const char *const cmd_value_flags[] = { "bundle", "b", "console-socket", "pid-file", "preserve-fds",
                                               "image-path", "work-path", "parent-path", "manage-cgroups-mode",
                                               "lsm-profile", "lsm-mount-context", "empty-ns", NULL };

static const char *const enforced[] = { "create", "run", "restore", NULL };

bool
ocigate_command_enforced (const char *command)
{
  return command && og_strv_contains ((char *const *) enforced, command);
}

/* "--name=value" / "-name" -> name (without dashes), value or NULL. */
static bool
split_flag (const char *arg, char **name, const char **value)
{
  const char *p = arg, *eq;

  if (p[0] != '-' || p[1] == '\0')
    return false;
  p += (p[1] == '-') ? 2 : 1;
  if (*p == '\0' || *p == '-' || *p == '=')
    return false;
  eq = strchr (p, '=');
  *name = eq ? og_xstrndup (p, (size_t) (eq - p)) : og_xstrdup (p);
  *value = eq ? eq + 1 : NULL;
  return true;
}

static int
own_option (struct ocigate_cmdline *cl, const char *name, const char *value, int argc, char **argv, int *i,
            struct og_error *err)
{
  const char **slot = strcmp (name, "ocigate-policy") == 0 ? &cl->policy_path : &cl->runtime_path;

  if (value == NULL)
    {
      if (*i + 1 >= argc)
        return og_error_set (err, 0, "option --%s needs a value", name);
      value = argv[++*i];
    }
  if (value[0] == '\0')
    return og_error_set (err, 0, "option --%s needs a non-empty value", name);
  *slot = value;
  return 0;
}

static int
parse_command_args (struct ocigate_cmdline *cl, struct og_error *err)
{
  bool bundle_seen = false;

  for (int i = cl->cmd_index + 1; i < cl->argc; i++)
    {
      og_cleanup_free char *name = NULL;
      const char *arg = cl->argv[i], *value;

      if (strcmp (arg, "--") == 0)
        {
          if (i + 1 < cl->argc)
            cl->id = cl->argv[cl->argc - 1];
          break;
        }
      if (!split_flag (arg, &name, &value))
        {
          cl->id = arg;
          continue;
        }
      if (!og_strv_contains ((char *const *) cmd_value_flags, name))
        continue;
      if (value == NULL)
        {
          if (i + 1 >= cl->argc)
            return og_error_set (err, 0, "%s needs a value", arg);
          value = cl->argv[++i];
          /* Go's flag package would take "-x" as the value; a reader that
           * did not could see a different bundle. */
          if (value[0] == '-')
            return og_error_set (err, 0, "ambiguous command line: %s followed by %s", arg, value);
        }
      if (strcmp (name, "bundle") == 0 || strcmp (name, "b") == 0)
        {
          if (bundle_seen)
            return og_error_set (err, 0, "ambiguous command line: --bundle given more than once");
          bundle_seen = true;
          cl->bundle = value[0] ? value : NULL;
        }
    }
  return 0;
}

int
ocigate_cmdline_parse (int argc, char **argv, struct ocigate_cmdline *cl, struct og_error *err)
{
  int i;

  memset (cl, 0, sizeof *cl);
  cl->cmd_index = -1;
  cl->argv = og_xcalloc ((size_t) argc + 1, sizeof (char *));
  cl->argv[cl->argc++] = argv[0];
  for (i = 1; i < argc; i++)
    {
      og_cleanup_free char *name = NULL;
      const char *arg = argv[i], *value;

      if (strcmp (arg, "--") == 0)
        {
          cl->argv[cl->argc++] = argv[i++];
          break;
        }
      if (!split_flag (arg, &name, &value))
        break; /* the command */
      if (strcmp (name, "ocigate-policy") == 0 || strcmp (name, "ocigate-runtime") == 0)
        {
          if (own_option (cl, name, value, argc, argv, &i, err) < 0)
            return -1;
          continue;
        }
      cl->argv[cl->argc++] = argv[i];
      if (!og_strv_contains ((char *const *) global_value_flags, name))
        continue;
      if (value == NULL)
        {
          if (i + 1 >= argc)
            break; /* runc reports the missing value */
          value = argv[++i];
          cl->argv[cl->argc++] = argv[i];
        }
      if (strcmp (name, "log") == 0)
        cl->log_path = value[0] ? value : NULL;
      else if (strcmp (name, "log-format") == 0)
        cl->log_format = value;
    }
  if (i < argc)
    {
      cl->cmd_index = cl->argc;
      cl->command = argv[i];
      for (; i < argc; i++)
        cl->argv[cl->argc++] = argv[i];
    }
  cl->argv[cl->argc] = NULL;
  if (ocigate_command_enforced (cl->command))
    return parse_command_args (cl, err);
  return 0;
}

void
ocigate_cmdline_free (struct ocigate_cmdline *cl)
{
  free (cl->argv);
  cl->argv = NULL;
}
