/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness: the runc-compatible argv splitter (runtime/cli.c).
 *
 * The input is split on NUL bytes into argv (argv[0] is the first piece).
 * ocigate_cmdline_parse must never crash or leak; after it (success or
 * not) ocigate_cmdline_free must be safe.  On success:
 *   - cl.argv[cl.argc] == NULL and cl.argc <= the input argc;
 *   - cl.argv is the input argv in order with only ocigate's own options
 *     (--ocigate-* options and their separate values)
 *     removed: every other argument reaches the runtime unchanged;
 *   - cmd_index / command / id / bundle / flag indexes point into cl.argv.
 */
#include <config.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocigate/error.h"
#include "ocigate.h"

static bool skip_known;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  const char *e = getenv ("OCIGATE_FUZZ_SKIP_KNOWN");

  (void)argc;
  (void)argv;
  skip_known = e && strcmp (e, "1") == 0;
  return 0;
}

static void __attribute__ ((noreturn)) violation (const char *what)
{
  fprintf (stderr, "fuzz_cli: invariant violated: %s\n", what);
  abort ();
}

/* ocigate's own options ("--ocigate-policy", "--ocigate-runtime", and any
 * later "--ocigate-*"), which are the only arguments it may remove. */
static bool
is_own_option (const char *a)
{
  const char *p = a;

  if (p[0] != '-')
    return false;
  p += p[1] == '-' ? 2 : 1;
  return strncmp (p, "ocigate-", 8) == 0;
}

static bool
points_into (const struct ocigate_cmdline *cl, const char *s)
{
  if (s == NULL)
    return true;
  for (int i = 0; i < cl->argc; i++)
    if (cl->argv[i] && s >= cl->argv[i] && s <= cl->argv[i] + strlen (cl->argv[i]))
      return true;
  return false;
}

static void
check (int argc, char **argv, const struct ocigate_cmdline *cl)
{
  int j = 0;

  if (cl->argv == NULL)
    violation ("cl.argv is NULL");
  if (cl->argc > argc)
    violation ("cl.argc > input argc");
  if (cl->argv[cl->argc] != NULL)
    violation ("cl.argv[cl.argc] != NULL");
  /* In-order subsequence; skipped tokens must be our own options. */
  for (int k = 0; k < cl->argc; k++)
    {
      if (cl->argv[k] == NULL)
        violation ("NULL inside cl.argv");
      while (j < argc && argv[j] != cl->argv[k])
        {
          bool own = is_own_option (argv[j]);
          bool own_value = j > 0 && is_own_option (argv[j - 1]) && strchr (argv[j - 1], '=') == NULL;
          if (!own && !own_value)
            {
              fprintf (stderr, "dropped argument %d: \"%s\"\n", j, argv[j]);
              violation ("an argument that is not an ocigate option was dropped");
            }
          j++;
        }
      if (j == argc)
        violation ("cl.argv is not an in-order subsequence of the input argv");
      j++;
    }
  for (; j < argc; j++)
    if (!is_own_option (argv[j]) && !(j > 0 && is_own_option (argv[j - 1]) && !strchr (argv[j - 1], '=')))
      {
        fprintf (stderr, "dropped trailing argument %d: \"%s\"\n", j, argv[j]);
        violation ("a trailing argument was dropped");
      }
  if (cl->command)
    {
      if (cl->cmd_index < 1 || cl->cmd_index >= cl->argc || cl->argv[cl->cmd_index] != cl->command)
        violation ("cmd_index does not point at the command");
    }
  else if (cl->cmd_index != -1)
    violation ("cmd_index set without a command");
  if (!points_into (cl, cl->id) || !points_into (cl, cl->bundle) || !points_into (cl, cl->log_path)
      || !points_into (cl, cl->log_format))
    violation ("id / bundle / log / log-format do not come from cl.argv");
  for (size_t i = 0; i < cl->nflags; i++)
    {
      const struct ocigate_flag *f = &cl->flags[i];
      if (f->name == NULL || f->index <= cl->cmd_index || f->index >= cl->argc)
        violation ("flag index out of range");
      if (f->value_index != -1 && (f->value_index != f->index + 1 || f->value_index >= cl->argc))
        violation ("flag value index out of range");
      if (f->value_index != -1 && f->value != cl->argv[f->value_index])
        violation ("flag value is not its value token");
      if (!points_into (cl, f->value))
        violation ("flag value does not come from cl.argv");
    }
}

/* Known bug (tests/fuzz/crashes/fuzz_cli-global-flag-without-value): a
 * runc global flag that takes a value, given last without one ("runc
 * --log"), is copied twice and cl.argv is written one past its end.  With
 * OCIGATE_FUZZ_SKIP_KNOWN=1 (run.sh sets it for the fuzzing phase; the
 * reproducers are replayed without it) such inputs are skipped so that
 * fuzzing can look for other problems until it is fixed. */
static bool
known_bug (int argc, char **argv)
{
  /* the recorded bugs are fixed; their reproducers stay in crashes/ as
   * regression inputs replayed by run.sh */
  (void)argc;
  (void)argv;
  return false;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *buf, **argv;
  int argc = 1;
  struct ocigate_cmdline cl;
  struct og_error err = { 0 };

  if (size > 65536)
    return 0;
  /* One trailing NUL terminates the last piece. */
  buf = malloc (size + 1);
  memcpy (buf, data, size);
  buf[size] = '\0';
  for (size_t i = 0; i < size; i++)
    if (buf[i] == '\0')
      argc++;
  argv = calloc ((size_t)argc + 1, sizeof *argv);
  argv[0] = buf;
  for (size_t i = 0, a = 1; i < size; i++)
    if (buf[i] == '\0')
      argv[a++] = &buf[i + 1];
  argv[argc] = NULL;
  if (skip_known && known_bug (argc, argv))
    {
      free (argv);
      free (buf);
      return 0;
    }

  if (ocigate_cmdline_parse (argc, argv, &cl, &err) == 0)
    {
      check (argc, argv, &cl);
      /* The lookups must be safe on any result. */
      (void)ocigate_cmdline_flag (&cl, "bundle", "b");
      (void)ocigate_cmdline_has (&cl, "process", "p");
      (void)ocigate_command_enforced (cl.command);
    }
  else if (err.msg == NULL)
    violation ("ocigate_cmdline_parse failed without an error message");
  ocigate_cmdline_free (&cl);
  og_error_clear (&err);
  free (argv);
  free (buf);
  return 0;
}
