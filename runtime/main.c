/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ocigate: called by the engine exactly like runc.  create/run/restore,
 * exec and update are checked against the policy; everything else goes
 * straight to the real runtime.  Nothing is printed on success: during
 * create and exec our stdio is the container's.
 */
#include <config.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ocigate/enforce.h"
#include "ocigate/util.h"
#include "ocigate.h"
#include "userns.h"

void
ocigate_refuse (struct ocigate_run *r, const char *event, const char *msg)
{
  struct ocigate_audit a = { .event = event,
                             .cl = &r->cl,
                             .policy = r->policy,
                             .policy_path = r->policy_path,
                             .decisions = &r->decisions,
                             .message = msg };
  struct og_error err = { 0 };

  ocigate_report_error (&r->cl, msg);
  if (ocigate_command_enforced (r->cl.command) && ocigate_audit_write (&a, &err) < 0)
    ocigate_report_error (&r->cl, err.msg);
  og_error_clear (&err);
  exit (EXIT_FAILURE);
}

void
ocigate_refuse_if_refused (struct ocigate_run *r)
{
  const struct og_decision *first = og_decisions_first_refusal (&r->decisions);
  og_cleanup_free char *msg = NULL;
  size_t n = 0;

  if (first == NULL)
    return;
  for (size_t i = 0; i < r->decisions.n; i++)
    n += r->decisions.v[i].kind == OG_DECISION_REFUSE;
  if (n > 1)
    msg = og_xasprintf ("refused by policy: %s: %s (and %zu more)", first->rule, first->reason, n - 1);
  else
    msg = og_xasprintf ("refused by policy: %s: %s", first->rule, first->reason);
  ocigate_refuse (r, "refuse", msg);
}

void
ocigate_audit_accepted (struct ocigate_run *r, const char *event)
{
  struct ocigate_audit a = {
    .event = event, .cl = &r->cl, .policy = r->policy, .policy_path = r->policy_path, .decisions = &r->decisions
  };
  struct og_error err = { 0 };

  if (ocigate_audit_write (&a, &err) < 0)
    ocigate_refuse (r, "error", err.msg);
}

void
ocigate_argv_remove (struct ocigate_cmdline *cl, int i)
{
  memmove (&cl->argv[i], &cl->argv[i + 1], (size_t)(cl->argc - i) * sizeof (char *));
  cl->argc--;
}

void
ocigate_argv_insert (struct ocigate_cmdline *cl, int i, char *s)
{
  cl->argv = og_xrealloc (cl->argv, (size_t)(cl->argc + 2) * sizeof (char *));
  memmove (&cl->argv[i + 1], &cl->argv[i], (size_t)(cl->argc - i + 1) * sizeof (char *));
  cl->argv[i] = s;
  cl->argc++;
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

static void
load_policy (struct ocigate_run *r)
{
  struct og_error err = { 0 };

  r->policy_path = r->cl.policy_path ? r->cl.policy_path : OG_POLICY_DEFAULT;
  if (ocigate_policy_load (r->policy_path, r->cl.state_dir, &r->policy, &err) < 0)
    {
      og_cleanup_free char *msg = og_xasprintf ("%s; every container start, exec and update is refused until the "
                                                "policy is fixed",
                                                err.msg);
      ocigate_refuse (r, "error", msg);
    }
}

/* What runc would not run is settled before anything is judged, allocated
 * or staged.  An id runc refuses is refused in every mode: a newline in it
 * would forge a line of ocigate's own records.  A command line runc stops
 * at (an unknown flag, a bad value, a missing id) is refused too, since
 * ocigate cannot know what another runtime would make of it; in audit mode
 * it is recorded and runc reports its own usage error. */
static void
check_command_line (struct ocigate_run *r)
{
  og_cleanup_free char *msg = NULL;

  if (r->cl.id && !og_container_id_valid (r->cl.id))
    {
      og_cleanup_free char *q = ocigate_id_quote (r->cl.id);
      msg = og_xasprintf ("invalid container id %s: runc accepts only letters, digits and the characters + , - . _ "
                          "(not \".\" or \"..\", at most %d bytes)",
                          q, NAME_MAX);
      ocigate_refuse (r, "error", msg);
    }
  if (r->cl.usage_error == NULL)
    return;
  if (r->policy->audit_only)
    {
      og_decisions_add (&r->decisions, "command_line", OG_DECISION_AUDIT, "argv", NULL, NULL,
                        "runc stops at a usage error: %s", r->cl.usage_error);
      return;
    }
  msg = og_xasprintf ("%s: %s (runc stops at this usage error; ocigate refuses a command line it cannot read as the "
                      "runtime does)",
                      r->cl.command, r->cl.usage_error);
  ocigate_refuse (r, "error", msg);
}

/* delete of a container that has a staged rootfs: runc runs as a child,
 * then the staging and the id range are released. */
static void
delete_with_cleanup (struct ocigate_run *r, const char *runtime)
{
  struct ocigate_userns u;
  struct og_error err = { 0 };
  int status = 1;
  pid_t pid;

  if (r->cl.id == NULL || !og_container_id_valid (r->cl.id)
      || !ocigate_userns_lookup (r->cl.state_dir, r->cl.root, r->cl.id, &u))
    return; /* nothing of ours: plain exec */
  r->cl.argv[0] = (char *)runtime;
  pid = fork ();
  if (pid == 0)
    {
      execv (runtime, r->cl.argv);
      _exit (127);
    }
  if (pid < 0 || waitpid (pid, &status, 0) < 0)
    ocigate_refuse (r, "error", "cannot run the runtime for delete");
  /* runc's verdict stands; ours is only to clean up once it is gone (and
   * not while a create of the same id is still running) */
  if (!ocigate_userns_in_use (r->cl.root, r->cl.id, &u) && ocigate_userns_release (&u, &err) < 0)
    ocigate_report_error (&r->cl, err.msg);
  og_error_clear (&err);
  ocigate_userns_free (&u);
  if (WIFEXITED (status))
    exit (WEXITSTATUS (status));
  exit (128 + (WIFSIGNALED (status) ? WTERMSIG (status) : 0));
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

int
main (int argc, char **argv)
{
  struct ocigate_run r = { 0 };
  struct og_error err = { 0 };
  char buf[4096];

  if (ocigate_cmdline_parse (argc, argv, &r.cl, &err) < 0)
    ocigate_refuse (&r, "error", err.msg);
  if (ocigate_command_enforced (r.cl.command) && !asks_for_help (&r.cl))
    {
      load_policy (&r);
      check_command_line (&r);
      if (strcmp (r.cl.command, "exec") == 0)
        ocigate_cmd_exec (&r);
      else if (strcmp (r.cl.command, "update") == 0)
        ocigate_cmd_update (&r);
      else
        ocigate_cmd_create (&r);
      /* not freed: the exec below replaces the address space */
    }
  if (r.cl.command && strcmp (r.cl.command, "delete") == 0)
    delete_with_cleanup (&r, runtime_path (&r.cl, buf, sizeof buf));
  ocigate_exec_runtime (runtime_path (&r.cl, buf, sizeof buf), &r.cl, &err);
  if (r.staged)
    {
      struct og_error ignored = { 0 };
      ocigate_userns_release (r.staged, &ignored);
      og_error_clear (&ignored);
    }
  ocigate_refuse (&r, "error", err.msg);
}
