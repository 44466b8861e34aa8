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
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocigate/json.h"
#include "ocigate/util.h"
#include "ocigate.h"

/* runc 1.1 global flags that take a value. */
static const char *const global_value_flags[] = { "log", "log-format", "root", "criu", "rootless", NULL };

/* How Go's flag package (under urfave/cli v1.22) reads a flag's value. */
enum flag_kind
{
  FLAG_BOOL,    /* no value, or "=" + strconv.ParseBool */
  FLAG_STRING,  /* any next token */
  FLAG_STRINGS, /* StringSlice: each occurrence appends */
  FLAG_INT,     /* IntFlag: strconv.ParseInt(v, 0, 64) */
  FLAG_INT64S,  /* Int64SliceFlag: strconv.ParseInt(v, 10, 64) */
};

struct flag_spec
{
  const char *name, *alias;
  enum flag_kind kind;
};

struct command
{
  const char *name;
  const struct flag_spec *flags; /* runc 1.1.5's own, {NULL}-terminated */
  bool reorder;                  /* urfave/cli moves flags before the arguments (all but exec) */
  bool min_one;                  /* at least one argument (exec); else exactly one */
  bool enforced;                 /* judged against the policy */
};

#define END_FLAGS                                                                                                      \
  { "help", "h", FLAG_BOOL },                                                                                          \
  {                                                                                                                    \
    NULL, NULL, FLAG_BOOL                                                                                              \
  }

static const struct flag_spec create_flags[] = {
  { "bundle", "b", FLAG_STRING },
  { "console-socket", NULL, FLAG_STRING },
  { "pid-file", NULL, FLAG_STRING },
  { "no-pivot", NULL, FLAG_BOOL },
  { "no-new-keyring", NULL, FLAG_BOOL },
  { "preserve-fds", NULL, FLAG_INT },
  END_FLAGS,
};
static const struct flag_spec run_flags[] = {
  { "bundle", "b", FLAG_STRING },     { "console-socket", NULL, FLAG_STRING },
  { "detach", "d", FLAG_BOOL },       { "keep", NULL, FLAG_BOOL },
  { "pid-file", NULL, FLAG_STRING },  { "no-subreaper", NULL, FLAG_BOOL },
  { "no-pivot", NULL, FLAG_BOOL },    { "no-new-keyring", NULL, FLAG_BOOL },
  { "preserve-fds", NULL, FLAG_INT }, END_FLAGS,
};
static const struct flag_spec restore_flags[] = {
  { "console-socket", NULL, FLAG_STRING },
  { "image-path", NULL, FLAG_STRING },
  { "work-path", NULL, FLAG_STRING },
  { "tcp-established", NULL, FLAG_BOOL },
  { "ext-unix-sk", NULL, FLAG_BOOL },
  { "shell-job", NULL, FLAG_BOOL },
  { "file-locks", NULL, FLAG_BOOL },
  { "manage-cgroups-mode", NULL, FLAG_STRING },
  { "bundle", "b", FLAG_STRING },
  { "detach", "d", FLAG_BOOL },
  { "pid-file", NULL, FLAG_STRING },
  { "no-subreaper", NULL, FLAG_BOOL },
  { "no-pivot", NULL, FLAG_BOOL },
  { "empty-ns", NULL, FLAG_STRINGS },
  { "auto-dedup", NULL, FLAG_BOOL },
  { "lazy-pages", NULL, FLAG_BOOL },
  { "lsm-profile", NULL, FLAG_STRING },
  { "lsm-mount-context", NULL, FLAG_STRING },
  END_FLAGS,
};
static const struct flag_spec exec_flags[] = {
  { "console-socket", NULL, FLAG_STRING },
  { "cwd", NULL, FLAG_STRING },
  { "env", "e", FLAG_STRINGS },
  { "tty", "t", FLAG_BOOL },
  { "user", "u", FLAG_STRING },
  { "additional-gids", "g", FLAG_INT64S },
  { "process", "p", FLAG_STRING },
  { "detach", "d", FLAG_BOOL },
  { "pid-file", NULL, FLAG_STRING },
  { "process-label", NULL, FLAG_STRING },
  { "apparmor", NULL, FLAG_STRING },
  { "no-new-privs", NULL, FLAG_BOOL },
  { "cap", "c", FLAG_STRINGS },
  { "preserve-fds", NULL, FLAG_INT },
  { "cgroup", NULL, FLAG_STRINGS },
  { "ignore-paused", NULL, FLAG_BOOL },
  END_FLAGS,
};
static const struct flag_spec update_flags[] = {
  { "resources", "r", FLAG_STRING },
  { "blkio-weight", NULL, FLAG_INT },
  { "cpu-period", NULL, FLAG_STRING },
  { "cpu-quota", NULL, FLAG_STRING },
  { "cpu-share", NULL, FLAG_STRING },
  { "cpu-rt-period", NULL, FLAG_STRING },
  { "cpu-rt-runtime", NULL, FLAG_STRING },
  { "cpuset-cpus", NULL, FLAG_STRING },
  { "cpuset-mems", NULL, FLAG_STRING },
  { "kernel-memory", NULL, FLAG_STRING },
  { "kernel-memory-tcp", NULL, FLAG_STRING },
  { "memory", NULL, FLAG_STRING },
  { "memory-reservation", NULL, FLAG_STRING },
  { "memory-swap", NULL, FLAG_STRING },
  { "pids-limit", NULL, FLAG_INT },
  { "l3-cache-schema", NULL, FLAG_STRING },
  { "mem-bw-schema", NULL, FLAG_STRING },
  END_FLAGS,
};
static const struct flag_spec delete_flags[] = {
  { "force", "f", FLAG_BOOL },
  END_FLAGS,
};

/* Commands whose arguments ocigate must read; every other one is exec'd
 * without looking further than its name. */
static const struct command commands[] = {
  { "create", create_flags, true, false, true },   { "run", run_flags, true, false, true },
  { "restore", restore_flags, true, false, true }, { "exec", exec_flags, false, true, true },
  { "update", update_flags, true, false, true },   { "delete", delete_flags, true, false, false },
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

char *
ocigate_id_quote (const char *id)
{
  struct og_buf b = { 0 };
  size_t n = 0;

  og_buf_put (&b, "\"", 1);
  for (const unsigned char *p = (const unsigned char *)id; *p; p++, n++)
    {
      char esc[8];
      if (n == 64)
        {
          og_buf_puts (&b, "...");
          break;
        }
      if (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
        og_buf_put (&b, (const char *)p, 1);
      else
        {
          snprintf (esc, sizeof esc, "\\x%02x", *p);
          og_buf_puts (&b, esc);
        }
    }
  og_buf_put (&b, "\"", 1);
  return b.buf;
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

/* urfave/cli moves a command's flags in front of its arguments (every
 * command of runc but exec), and its two v1.22 generations do it
 * differently: upstream runc 1.1.5 vendors v1.22.1, distributions build it
 * with their own (Debian 12: v1.22.9).  Both readings are made; a command
 * line they read differently is refused.
 *
 * v1.22.1: every token that starts with '-' (but "-") is a flag, and the
 * token after one without "=" goes with it unless it starts with '-';
 * "--" and the rest stay last. */
static int
reorder_v1 (char **argv, int first, int argc, int *order)
{
  og_cleanup_free int *rest = og_xcalloc ((size_t)(argc - first) + 1, sizeof (int));
  int nf = 0, nr = 0;
  bool read_value = false;

  for (int i = first; i < argc; i++)
    {
      const char *a = argv[i];

      if (strcmp (a, "--") == 0)
        {
          while (i < argc)
            rest[nr++] = i++;
          break;
        }
      if (read_value && a[0] != '-')
        {
          read_value = false;
          order[nf++] = i;
          continue;
        }
      read_value = false;
      if (a[0] == '-' && a[1] != '\0')
        {
          order[nf++] = i;
          read_value = strchr (a, '=') == NULL;
        }
      else
        rest[nr++] = i;
    }
  memcpy (order + nf, rest, (size_t)nr * sizeof (int));
  return nf + nr;
}

static const struct flag_spec *
find_flag (const struct command *cmd, const char *name)
{
  for (const struct flag_spec *f = cmd->flags; f->name; f++)
    if (strcmp (f->name, name) == 0 || (f->alias && strcmp (f->alias, name) == 0))
      return f;
  return NULL;
}

/* v1.22.9's argIsFlag: one of the command's flag names after up to three
 * leading dashes, before any "=". */
static bool
is_known_flag (const struct command *cmd, const char *a)
{
  og_cleanup_free char *name = NULL;
  const char *p = a;

  if (a[0] != '-' || strcmp (a, "-") == 0 || strcmp (a, "--") == 0)
    return false;
  p += (p[1] == '-') ? 2 : 1;
  if (a[1] == '-' && *p == '-')
    p++;
  name = og_xstrndup (p, strcspn (p, "="));
  return find_flag (cmd, name) != NULL;
}

/* v1.22.9: only the command's own flags move, each with the next token
 * when that is not one of them ("-" and "--" included); at the first
 * other "--", that "--" goes first among the rest. */
static int
reorder_v9 (const struct command *cmd, char **argv, int first, int argc, int *order)
{
  og_cleanup_free int *rest = og_xcalloc ((size_t)(argc - first) + 2, sizeof (int));
  int nf = 0, nr = 0;
  bool maybe_value = false;

  for (int i = first; i < argc; i++)
    {
      const char *a = argv[i];

      if (maybe_value && !is_known_flag (cmd, a))
        {
          maybe_value = false;
          order[nf++] = i;
        }
      else if (strcmp (a, "--") == 0)
        {
          memmove (rest + 1, rest, (size_t)nr * sizeof (int));
          rest[0] = i;
          nr++;
          while (++i < argc)
            rest[nr++] = i;
          break;
        }
      else if (is_known_flag (cmd, a))
        {
          order[nf++] = i;
          maybe_value = strchr (a, '=') == NULL;
        }
      else
        rest[nr++] = i;
    }
  memcpy (order + nf, rest, (size_t)nr * sizeof (int));
  return nf + nr;
}

/* One reading of the command's arguments. */
struct reading
{
  struct ocigate_flag *flags;
  size_t nflags;
  int *args; /* argv indexes of the arguments */
  int nargs;
  char *usage; /* runc would stop at this usage error (nothing run) */
};

static void
reading_free (struct reading *rd)
{
  for (size_t i = 0; i < rd->nflags; i++)
    free (rd->flags[i].name);
  free (rd->flags);
  free (rd->args);
  free (rd->usage);
  memset (rd, 0, sizeof *rd);
}

static void __attribute__ ((format (printf, 2, 3))) usage_error (struct reading *rd, const char *fmt, ...)
{
  va_list ap;

  if (rd->usage)
    return;
  va_start (ap, fmt);
  if (vasprintf (&rd->usage, fmt, ap) < 0)
    abort ();
  va_end (ap);
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

/* The value of a flag that takes one.  Returns -1 (with err) where runc's
 * reading is one another reader could get wrong; a value runc itself
 * refuses is a usage error. */
static int
check_value (struct reading *rd, const struct flag_spec *spec, const char *arg, const char *value, bool separate,
             struct og_error *err)
{
  int64_t v0, v10;

  /* Go's flag package takes "-x" as the value; a reader that did not could
   * see a different bundle or process file. */
  if (separate && value[0] == '-' && strcmp (value, "-") != 0 && !is_negative_number (value))
    return og_error_set (err, 0, "ambiguous command line: %s followed by %s", arg, value);
  if (spec->kind == FLAG_INT && og_go_parse_int (value, 0, &v0) < 0)
    usage_error (rd, "invalid value \"%s\" for flag -%s: parse error", value, spec->name);
  else if (spec->kind == FLAG_INT && (og_go_parse_int (value, 10, &v10) < 0 || v0 != v10))
    /* runc's IntFlag reads "010" as 8 and "0x10" as 16 */
    return og_error_set (err, 0,
                         "ambiguous command line: runc reads --%s %s as %" PRId64
                         " (a Go number: 0x, 0o, 0b and a leading 0 are bases, '_' a separator); write it in decimal",
                         spec->name, value, v0);
  else if (spec->kind == FLAG_INT64S && og_go_parse_int (value, 10, &v10) < 0)
    usage_error (rd, "invalid value \"%s\" for flag -%s: parse error", value, spec->name);
  return 0;
}

/* Go's flag package over the (reordered) tokens: flags up to the first
 * argument or "--"; a value flag takes the next token whatever it is. */
static int
go_flag_parse (const struct ocigate_cmdline *cl, const struct command *cmd, const int *order, int n, struct reading *rd,
               struct og_error *err)
{
  int k = 0;

  while (k < n && !rd->usage)
    {
      const char *arg = cl->argv[order[k]], *value;
      const struct flag_spec *spec;
      og_cleanup_free char *name = NULL;
      int index = order[k], value_index = -1;
      bool b; /* only whether Go reads a boolean */

      if (arg[0] != '-' || arg[1] == '\0')
        break;
      k++;
      if (strcmp (arg, "--") == 0)
        break;
      if (!split_flag (arg, &name, &value))
        {
          usage_error (rd, "bad flag syntax: %s", arg);
          break;
        }
      spec = find_flag (cmd, name);
      if (spec == NULL)
        usage_error (rd, "flag provided but not defined: -%s", name);
      else if (spec->kind == FLAG_BOOL && value && og_go_parse_bool (value, &b) < 0)
        usage_error (rd, "invalid boolean value \"%s\" for -%s: parse error", value, name);
      else if (spec->kind != FLAG_BOOL && value == NULL && k >= n)
        usage_error (rd, "flag needs an argument: -%s", name);
      else if (spec->kind != FLAG_BOOL)
        {
          bool separate = value == NULL;
          if (separate)
            {
              value_index = order[k++];
              value = cl->argv[value_index];
              /* after reordering, the value runc takes may be a token that
               * was not next to the flag ("update ID --resources -") */
              if (value_index != index + 1)
                return og_error_set (err, 0, "ambiguous command line: runc would read %s as the value of %s", value,
                                     arg);
            }
          if (check_value (rd, spec, arg, value, separate, err) < 0)
            return -1;
        }
      /* a flag runc knows is kept even when its value stops runc, so that
       * the command's own checks can name the value */
      if (spec == NULL || (value == NULL && spec->kind != FLAG_BOOL))
        break;
      rd->flags = og_xrealloc (rd->flags, (rd->nflags + 1) * sizeof *rd->flags);
      rd->flags[rd->nflags++] = (struct ocigate_flag){ og_steal_pointer (&name), value, index, value_index };
    }
  rd->args = og_xcalloc ((size_t)(n - k) + 1, sizeof (int));
  for (; k < n; k++)
    rd->args[rd->nargs++] = order[k];
  return 0;
}

static bool
same_reading (const struct reading *a, const struct reading *b)
{
  if ((a->usage == NULL) != (b->usage == NULL))
    return false;
  if (a->usage)
    return true; /* runc stops either way */
  if (a->nflags != b->nflags || a->nargs != b->nargs)
    return false;
  for (size_t i = 0; i < a->nflags; i++)
    if (a->flags[i].index != b->flags[i].index || a->flags[i].value_index != b->flags[i].value_index
        || a->flags[i].value != b->flags[i].value)
      return false;
  return memcmp (a->args, b->args, (size_t)a->nargs * sizeof (int)) == 0;
}

/* The command's flags and arguments exactly as runc 1.1.5 reads them; the
 * container id is its first argument (context.Args().First()). */
static int
parse_command_args (struct ocigate_cmdline *cl, const struct command *cmd, struct og_error *err)
{
  int first = cl->cmd_index + 1, n = cl->argc - first;
  og_cleanup_free int *order = og_xcalloc ((size_t)n + 1, sizeof (int));
  struct reading rd = { 0 }, other = { 0 };
  int r = -1;

  if (cmd->reorder)
    reorder_v9 (cmd, cl->argv, first, cl->argc, order);
  else
    for (int i = 0; i < n; i++)
      order[i] = first + i;
  if (go_flag_parse (cl, cmd, order, n, &rd, err) < 0)
    goto out;
  if (cmd->reorder)
    {
      reorder_v1 (cl->argv, first, cl->argc, order);
      if (go_flag_parse (cl, cmd, order, n, &other, err) < 0)
        goto out;
      if (!same_reading (&rd, &other))
        {
          og_error_set (err, 0,
                        "ambiguous command line: runc builds read its flags and arguments differently "
                        "(urfave/cli 1.22.1 and 1.22.9 move flags after the container id in different ways)");
          goto out;
        }
    }
  if (rd.usage == NULL)
    for (const struct flag_spec *f = cmd->flags; f->name; f++)
      {
        bool name = false, alias = false;
        for (size_t i = 0; f->alias && i < rd.nflags; i++)
          {
            name |= strcmp (rd.flags[i].name, f->name) == 0;
            alias |= strcmp (rd.flags[i].name, f->alias) == 0;
          }
        if (name && alias)
          usage_error (&rd, "Cannot use two forms of the same flag: %s %s", f->alias, f->name);
      }
  if (cmd->min_one ? rd.nargs < 1 : rd.nargs != 1)
    usage_error (&rd, "runc: \"%s\" requires %s 1 argument(s)", cmd->name, cmd->min_one ? "a minimum of" : "exactly");
  cl->id = rd.usage ? NULL : cl->argv[rd.args[0]];
  cl->usage_error = og_steal_pointer (&rd.usage);
  cl->flags = og_steal_pointer (&rd.flags);
  cl->nflags = rd.nflags;
  rd.nflags = 0;
  r = 0;
out:
  reading_free (&rd);
  reading_free (&other);
  return r;
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
  char buf[PATH_MAX];

  if (pwd && pwd[0] == '/' && og_same_file_path (".", pwd))
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
  if (cl->state_dir == NULL)
    cl->state_dir = OG_STATE_DIR;
  cmd = find_command (cl->command);
  if (cmd == NULL)
    return 0; /* passed on: no runtime root to resolve (state, kill, start...) */
  cl->root = runtime_root (given_root);
  /* runc 1.1 makes an empty --root the bundle directory on create (it
   * chdirs there first), runc 1.3 the working directory: records keyed by
   * one would free a running container's range under the other. */
  if (cmd->enforced && given_root && given_root[0] == '\0')
    return og_error_set (err, 0,
                         "an empty --root is read differently by runc 1.1 (the bundle directory) and runc 1.3 (the "
                         "working directory): give the runtime root explicitly");
  if (parse_command_args (cl, cmd, err) < 0)
    {
      if (cmd->enforced)
        return -1;
      /* delete: nothing of ours is cleaned up for an id we cannot be sure
       * of; runc itself still gets the call */
      og_error_clear (err);
      cl->id = NULL;
      return 0;
    }
  if (cmd->flags == create_flags || cmd->flags == run_flags || cmd->flags == restore_flags)
    {
      const char *b = ocigate_cmdline_flag (cl, "bundle", "b");
      if (check_unique (cl, "bundle", "b", err) < 0)
        return -1;
      cl->bundle = b && b[0] ? b : NULL;
    }
  else if (cmd->flags == exec_flags && check_unique (cl, "process", "p", err) < 0)
    return -1;
  else if (cmd->flags == update_flags && check_unique (cl, "resources", "r", err) < 0)
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
  free (cl->usage_error);
  cl->usage_error = NULL;
  free ((char *)cl->root);
  cl->root = NULL;
  cl->flags = NULL;
  cl->nflags = 0;
  cl->argv = NULL;
}
