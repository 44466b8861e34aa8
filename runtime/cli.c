/* SPDX-License-Identifier: Apache-2.0 */
/*
 * runc's command line, read the way runc (urfave/cli over Go's flag package)
 * reads it: "-x" and "--x" are the same flag, "--x=v" and "--x v" the same
 * value, command flags may follow the container id, and the last of two
 * equal flags wins.  Where runc's reading could differ from ours we refuse.
 */
#include <config.h>
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocigate/util.h"
#include "ocigate.h"

/* runc 1.1 global flags that take a value. */
static const char *const global_value_flags[] = { "log", "log-format", "root", "criu", "rootless", NULL };

struct command
{
  const char *name;
  const char *const *value_flags; /* flags that take a value */
  bool stop_at_id;                /* no flags after the id (runc exec: the rest is the command) */
  bool enforced;                  /* judged against the policy */
};

static const char *const no_flags[] = { NULL };

static const char *const create_flags[]
    = { "bundle",    "b",           "console-socket",      "pid-file",    "preserve-fds",      "image-path",
        "work-path", "parent-path", "manage-cgroups-mode", "lsm-profile", "lsm-mount-context", "empty-ns",
        NULL };
static const char *const exec_flags[] = { "console-socket",
                                          "cwd",
                                          "env",
                                          "e",
                                          "user",
                                          "u",
                                          "additional-gids",
                                          "g",
                                          "process",
                                          "p",
                                          "apparmor",
                                          "pid-file",
                                          "process-label",
                                          "preserve-fds",
                                          "cap",
                                          "c",
                                          "cgroup",
                                          NULL };
static const char *const update_flags[] = { "resources",
                                            "r",
                                            "blkio-weight",
                                            "cpu-period",
                                            "cpu-quota",
                                            "cpu-share",
                                            "cpu-rt-period",
                                            "cpu-rt-runtime",
                                            "cpuset-cpus",
                                            "cpuset-mems",
                                            "kernel-memory",
                                            "kernel-memory-tcp",
                                            "memory",
                                            "memory-reservation",
                                            "memory-swap",
                                            "pids-limit",
                                            "l3-cache-schema",
                                            "mem-bw-schema",
                                            NULL };

/* Commands whose arguments ocigate must read; every other one is exec'd
 * without looking further than its name. */
static const struct command commands[] = {
  { "create", create_flags, false, true },  { "run", create_flags, false, true },
  { "restore", create_flags, false, true }, { "exec", exec_flags, true, true },
  { "update", update_flags, false, true },  { "delete", no_flags, false, false },
};

static const struct command *
find_command (const char *name)
{
  for (size_t i = 0; name && i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp (commands[i].name, name) == 0)
      return &commands[i];
  return NULL;
}

bool
ocigate_command_enforced (const char *command)
{
  const struct command *c = find_command (command);
  return c != NULL && c->enforced;
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
  *name = eq ? og_xstrndup (p, (size_t)(eq - p)) : og_xstrdup (p);
  *value = eq ? eq + 1 : NULL;
  return true;
}

static bool
is_negative_number (const char *s)
{
  if (*s++ != '-' || !isdigit ((unsigned char)*s))
    return false;
  while (isdigit ((unsigned char)*s))
    s++;
  return *s == '\0';
}

static bool
is_own_option (const char *name)
{
  return strcmp (name, "ocigate-policy") == 0 || strcmp (name, "ocigate-runtime") == 0
         || strcmp (name, "ocigate-state-dir") == 0;
}

static int
own_option (struct ocigate_cmdline *cl, const char *name, const char *value, int argc, char **argv, int *i,
            struct og_error *err)
{
  const char **slot = strcmp (name, "ocigate-policy") == 0    ? &cl->policy_path
                      : strcmp (name, "ocigate-runtime") == 0 ? &cl->runtime_path
                                                              : &cl->state_dir;

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

static void
add_flag (struct ocigate_cmdline *cl, char *name, const char *value, int index, int value_index)
{
  cl->flags = og_xrealloc (cl->flags, (cl->nflags + 1) * sizeof *cl->flags);
  cl->flags[cl->nflags++] = (struct ocigate_flag){ name, value, index, value_index };
}

static int
parse_command_args (struct ocigate_cmdline *cl, const struct command *cmd, struct og_error *err)
{
  for (int i = cl->cmd_index + 1; i < cl->argc; i++)
    {
      char *name = NULL;
      const char *arg = cl->argv[i], *value;
      int value_index = -1;

      if (strcmp (arg, "--") == 0)
        {
          if (i + 1 < cl->argc)
            cl->id = cl->argv[cl->argc - 1];
          break;
        }
      if (!split_flag (arg, &name, &value))
        {
          cl->id = arg;
          if (cmd->stop_at_id)
            break;
          continue;
        }
      if (value == NULL && og_strv_contains ((char *const *)cmd->value_flags, name))
        {
          if (i + 1 >= cl->argc)
            {
              free (name);
              return og_error_set (err, 0, "%s needs a value", arg);
            }
          value_index = ++i;
          value = cl->argv[i];
          /* Go's flag package takes "-x" as the value; a reader that did
           * not could see a different bundle or process file. */
          if (value[0] == '-' && strcmp (value, "-") != 0 && !is_negative_number (value))
            {
              free (name);
              return og_error_set (err, 0, "ambiguous command line: %s followed by %s", arg, value);
            }
        }
      add_flag (cl, name, value, i - (value_index >= 0), value_index);
    }
  return 0;
}

/* Flags whose repetition would let runc (last wins) and a reader that
 * takes the first disagree. */
static int
check_unique (struct ocigate_cmdline *cl, const char *name, const char *alias, struct og_error *err)
{
  int seen = 0;

  for (size_t i = 0; i < cl->nflags; i++)
    if (strcmp (cl->flags[i].name, name) == 0 || (alias && strcmp (cl->flags[i].name, alias) == 0))
      seen++;
  if (seen > 1)
    return og_error_set (err, 0, "ambiguous command line: --%s given more than once", name);
  return 0;
}

/* Go's filepath.Clean of an absolute path (lexical: "..", "." and repeated
 * slashes go, as runc's filepath.Abs does it). */
static char *
clean_path (const char *path)
{
  char *out = og_xmalloc (strlen (path) + 2);
  size_t len = 0;

  for (const char *p = path; *p;)
    {
      const char *e = strchrnul (p, '/');
      size_t n = (size_t)(e - p);
      if (n == 0 || (n == 1 && p[0] == '.'))
        ;
      else if (n == 2 && p[0] == '.' && p[1] == '.')
        while (len > 0 && out[--len] != '/')
          ;
      else
        {
          out[len++] = '/';
          memcpy (out + len, p, n);
          len += n;
        }
      p = *e ? e + 1 : e;
    }
  if (len == 0)
    out[len++] = '/';
  out[len] = '\0';
  return out;
}

/* Go's os.Getwd: $PWD when it names the working directory, else getcwd. */
static char *
go_getwd (void)
{
  const char *pwd = getenv ("PWD");
  struct stat dot, d;
  char buf[PATH_MAX];

  if (pwd && pwd[0] == '/' && stat (".", &dot) == 0 && stat (pwd, &d) == 0 && dot.st_dev == d.st_dev
      && dot.st_ino == d.st_ino)
    return og_xstrdup (pwd);
  return og_xstrdup (getcwd (buf, sizeof buf) ? buf : "/");
}

/* runc's userns.RunningInUserNS: any uid_map but the full identity one. */
static bool
in_user_ns (void)
{
  og_cleanup_close int fd = open ("/proc/self/uid_map", O_RDONLY | O_CLOEXEC);
  char buf[128];
  unsigned long a, b, c;
  int used = 0;
  ssize_t n;

  if (fd < 0 || (n = read (fd, buf, sizeof buf - 1)) <= 0)
    return false;
  buf[n] = '\0';
  return !(sscanf (buf, " %lu %lu %lu%n", &a, &b, &c, &used) == 3 && a == 0 && b == 0 && c == 4294967295UL
           && strspn (buf + used, " \n") == strlen (buf + used));
}

/* The state directory runc 1.1.5 uses, as an absolute path: it is what
 * names a container's user namespace record, so `gc`, `delete` and a
 * foreground `run` must find the same one whatever the working directory.
 * main.go: --root as given (an empty value is the working directory, by
 * filepath.Abs; for create see below), else /run/runc, or $XDG_RUNTIME_DIR/runc for a rootless
 * runc (shouldHonorXDGRuntimeDir); then filepath.Abs. */
static char *
runtime_root (const char *given)
{
  const char *xdg = getenv ("XDG_RUNTIME_DIR");
  og_cleanup_free char *def = NULL, *joined = NULL;

  if (given == NULL)
    {
      bool honor = xdg && xdg[0]
                   && (geteuid () != 0
                       || (in_user_ns () && (getenv ("USER") == NULL || strcmp (getenv ("USER"), "root") != 0)));
      given = def = honor ? og_xasprintf ("%s/runc", xdg) : og_xstrdup ("/run/runc");
    }
  if (given[0] != '/')
    {
      og_cleanup_free char *wd = go_getwd ();
      given = joined = og_xasprintf ("%s/%s", wd, given);
    }
  return clean_path (given); /* owned by the command line */
}

int
ocigate_cmdline_parse (int argc, char **argv, struct ocigate_cmdline *cl, struct og_error *err)
{
  const struct command *cmd;
  const char *given_root = NULL;
  int i;

  memset (cl, 0, sizeof *cl);
  cl->cmd_index = -1;
  cl->argv = og_xcalloc ((size_t)argc + 1, sizeof (char *));
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
      if (is_own_option (name))
        {
          if (own_option (cl, name, value, argc, argv, &i, err) < 0)
            return -1;
          continue;
        }
      cl->argv[cl->argc++] = argv[i];
      if (!og_strv_contains ((char *const *)global_value_flags, name))
        continue;
      if (value == NULL)
        {
          if (i + 1 >= argc)
            {
              i = argc; /* runc reports the missing value; no command */
              break;
            }
          value = argv[++i];
          cl->argv[cl->argc++] = argv[i];
        }
      if (strcmp (name, "log") == 0)
        cl->log_path = value[0] ? value : NULL;
      else if (strcmp (name, "root") == 0)
        given_root = value;
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
  cl->root = runtime_root (given_root);
  if (cl->state_dir == NULL)
    cl->state_dir = OG_STATE_DIR;
  cmd = find_command (cl->command);
  if (cmd == NULL)
    return 0;
  if (parse_command_args (cl, cmd, err) < 0)
    return -1;
  if (cmd->value_flags == create_flags)
    {
      const char *b = ocigate_cmdline_flag (cl, "bundle", "b");
      if (check_unique (cl, "bundle", "b", err) < 0)
        return -1;
      cl->bundle = b && b[0] ? b : NULL;
      /* create, run and restore chdir into the bundle first, and only then
       * does runc make an empty --root absolute: the bundle directory,
       * as getcwd names it */
      if (given_root && given_root[0] == '\0' && cl->bundle)
        {
          char *real = og_realpath (cl->bundle);
          if (real)
            {
              free ((char *)cl->root);
              cl->root = real;
            }
        }
    }
  else if (cmd->value_flags == exec_flags && check_unique (cl, "process", "p", err) < 0)
    return -1;
  else if (cmd->value_flags == update_flags && check_unique (cl, "resources", "r", err) < 0)
    return -1;
  return 0;
}

const char *
ocigate_cmdline_flag (const struct ocigate_cmdline *cl, const char *name, const char *alias)
{
  const char *v = NULL;

  for (size_t i = 0; i < cl->nflags; i++)
    if (strcmp (cl->flags[i].name, name) == 0 || (alias && strcmp (cl->flags[i].name, alias) == 0))
      v = cl->flags[i].value; /* the last one wins, as in Go */
  return v;
}

bool
ocigate_cmdline_has (const struct ocigate_cmdline *cl, const char *name, const char *alias)
{
  for (size_t i = 0; i < cl->nflags; i++)
    if (strcmp (cl->flags[i].name, name) == 0 || (alias && strcmp (cl->flags[i].name, alias) == 0))
      return true;
  return false;
}

void
ocigate_cmdline_free (struct ocigate_cmdline *cl)
{
  for (size_t i = 0; i < cl->nflags; i++)
    free (cl->flags[i].name);
  free (cl->flags);
  free (cl->argv);
  free ((char *)cl->root);
  cl->root = NULL;
  cl->flags = NULL;
  cl->nflags = 0;
  cl->argv = NULL;
}
