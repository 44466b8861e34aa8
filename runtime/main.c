/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ocigate: called by the engine exactly like runc.  create/run/restore,
 * exec and update are checked against the policy; everything else goes
 * straight to the real runtime.  Nothing is printed on success: during
 * create and exec our stdio is the container's.
 *
 * The commands return what they decided; main is the one place that
 * exits (through ocigate_fail) or execs.
 */
#include <config.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocigate/enforce.h"
#include "ocigate/util.h"
#include "ocigate.h"
#include "userns.h"

/* The commands ocigate does more than exec the runtime for.  Every other
 * one (state, kill, start...) is handed over as it came. */
struct ocigate_command
{
  const char *name;
  /* The enforced ones (cli.c's ocigate_command_enforced): judge the call,
   * changing r->cl.argv, and return; event is the accepted call's record. */
  int (*judge) (struct ocigate_run *r, struct og_error *err);
  const char *event;
  /* Run the runtime as a child instead of exec'ing it, to clean up after
   * it: 1 with its exit status, 0 to exec it after all, -1. */
  int (*run) (struct ocigate_run *r, const char *runtime, int *status, struct og_error *err);
};

static const struct ocigate_command commands[] = {
  { "create", ocigate_cmd_create, "create", NULL },   { "run", ocigate_cmd_create, "create", NULL },
  { "restore", ocigate_cmd_restore, "create", NULL }, { "exec", ocigate_cmd_exec, "exec", NULL },
  { "update", ocigate_cmd_update, "update", NULL },   { "delete", NULL, NULL, ocigate_cmd_delete },
};

static const struct ocigate_command *
find_command (const char *name)
{
  for (size_t i = 0; name && i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp (commands[i].name, name) == 0)
      return &commands[i];
  return NULL;
}

/* The real runtime: --ocigate-runtime, else the one chosen at configure
 * time.  In runc-replacement mode that path is ocigate itself and the real
 * runc was diverted to "<path>.real". */
static const char *
runtime_path (const struct ocigate_cmdline *cl, char *buf, size_t n)
{
  if (cl->runtime_path)
    return cl->runtime_path;
  if (og_same_file_path ("/proc/self/exe", OG_DEFAULT_RUNTIME))
    {
      snprintf (buf, n, "%s.real", OG_DEFAULT_RUNTIME);
      return buf;
    }
  return OG_DEFAULT_RUNTIME;
}

static int
load_policy (struct ocigate_run *r, struct og_error *err)
{
  og_cleanup_free char *cause = NULL;

  r->policy_path = r->cl.policy_path ? r->cl.policy_path : OG_POLICY_DEFAULT;
  if (ocigate_policy_load (r->policy_path, r->cl.state_dir, "ocigate", &r->policy, err) == 0)
    return 0;
  cause = og_steal_pointer (&err->msg);
  return og_error_set (err, 0, "%s; every container start, exec and update is refused until the policy is fixed",
                       cause);
}

/* What runc would not run is settled before anything is judged, allocated
 * or staged.  An id runc refuses is refused in every mode: a newline in it
 * would forge a line of ocigate's own records.  A command line runc stops
 * at (an unknown flag, a bad value, a missing id) is refused too, since
 * ocigate cannot know what another runtime would make of it; in audit mode
 * it is recorded and runc reports its own usage error. */
static int
check_command_line (struct ocigate_run *r, struct og_error *err)
{
  if (r->cl.id && !og_container_id_valid (r->cl.id))
    {
      og_cleanup_free char *q = ocigate_id_quote (r->cl.id);
      return og_error_set (err, 0,
                           "invalid container id %s: runc accepts only letters, digits and the characters + , - . _ "
                           "(not \".\" or \"..\", at most %d bytes)",
                           q, NAME_MAX);
    }
  if (r->cl.usage_error == NULL)
    return 0;
  if (r->policy->audit_only)
    {
      og_decisions_add (&r->decisions, "command_line", OG_DECISION_AUDIT, "argv", NULL, NULL,
                        "runc stops at a usage error: %s", r->cl.usage_error);
      return 0;
    }
  return og_error_set (err, 0,
                       "%s: %s (runc stops at this usage error; ocigate refuses a command line it cannot read as the "
                       "runtime does)",
                       r->cl.command, r->cl.usage_error);
}

/* `create --help` makes runc print its usage and create nothing: hand it
 * over untouched.  "--help=false" does not count (runc would go on). */
static bool
asks_for_help (const struct ocigate_cmdline *cl)
{
  bool help = false, b;

  for (size_t i = 0; i < cl->nflags; i++)
    if (strcmp (cl->flags[i].name, "help") == 0 || strcmp (cl->flags[i].name, "h") == 0)
      help = cl->flags[i].value == NULL || (og_go_parse_bool (cl->flags[i].value, &b) == 0 && b);
  return help;
}

/* Judge an enforced call: its handler's verdict, recorded when accepted.
 * What the handlers allocated for the runtime is not freed: the exec that
 * follows replaces the address space. */
static int
enforce (struct ocigate_run *r, const struct ocigate_command *c, struct og_error *err)
{
  int rc;

  if (!ocigate_command_enforced (r->cl.command) || asks_for_help (&r->cl))
    return OCIGATE_ACCEPTED;
  if (c == NULL || c->judge == NULL) /* fail closed should the two tables ever disagree */
    return og_error_set (err, 0, "%s: enforced, but ocigate has no handler for it", r->cl.command);
  if (load_policy (r, err) < 0 || check_command_line (r, err) < 0)
    return OCIGATE_ERROR;
  rc = c->judge (r, err);
  if (rc == OCIGATE_ACCEPTED && og_decisions_refused (&r->decisions))
    rc = OCIGATE_REFUSED;
  if (rc == OCIGATE_ACCEPTED && ocigate_accept (r, c->event, err) < 0)
    rc = OCIGATE_ERROR;
  return rc;
}

/* exit, not return from main: what r holds stays reachable to the end,
 * as on the exec path, which never frees it either. */
static void __attribute__ ((noreturn)) fail (struct ocigate_run *r, int rc, const struct og_error *err)
{
  exit (ocigate_fail (r, rc, err));
}

int
main (int argc, char **argv)
{
  struct ocigate_run r = { 0 };
  struct og_error err = { 0 };
  const struct ocigate_command *c;
  const char *runtime;
  char buf[4096];
  int rc, status;

  if (ocigate_cmdline_parse (argc, argv, &r.cl, &err) < 0)
    fail (&r, OCIGATE_ERROR, &err);
  c = find_command (r.cl.command);
  if ((rc = enforce (&r, c, &err)) < 0)
    fail (&r, rc, &err);
  runtime = runtime_path (&r.cl, buf, sizeof buf);
  if (c && c->run)
    {
      if ((rc = c->run (&r, runtime, &status, &err)) < 0)
        fail (&r, rc, &err);
      if (rc > 0)
        exit (status);
    }
  ocigate_exec_runtime (runtime, &r.cl, &err);
  if (r.staged)
    {
      struct og_error ignored = { 0 };
      ocigate_userns_release (r.staged, &ignored);
      og_error_clear (&ignored);
    }
  fail (&r, OCIGATE_ERROR, &err);
}
