/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ocigate-hook precreate [--policy FILE] [--state-dir DIR]: the ocigate
 * policy as a Podman precreate hook (hooks.d, stage "precreate").  Podman
 * writes the proposed config to stdin and runs the container with the
 * config the hook writes to stdout; the runtime stays runc (or crun).
 *
 * A refusal cannot be an exit status: Podman discards a precreate hook's
 * stderr and shows only "executing [...]: exit status 1".  So every
 * refusal and every error (the policy, the input, the audit log) hands
 * back a config no runtime can start, whose error quotes the message
 * (hook_refusal_config): the runtime's error, which Podman shows, then
 * says why.  The exit status is 0 then, non-zero only when not even
 * that could be written (and Podman refuses the empty or torn output).
 *
 * What this stage cannot do, unlike the ocigate runtime: judge exec,
 * update and checkpoint restore (they never pass a precreate hook), set up a user namespace from the
 * policy's pool (the idmapped root filesystem is staged from the bundle,
 * which does not exist yet), stage the bind sources it judged (a rename
 * between this check and runc's mount is not caught), and see what Podman
 * adds after its precreate hooks (secret env variables, LISTEN_*, default
 * RLIMIT_NOFILE/NPROC, masked paths).
 */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ocigate/enforce.h"
#include "ocigate/spec.h"
#include "ocigate/util.h"
#include "hook.h"
#include "ocigate.h"

/* why there is no user namespace, for the user_namespace rule */
#define NO_USERNS                                                                                                      \
  "ocigate-hook precreate runs before the bundle exists, and the idmapped root filesystem is staged from it (the "     \
  "ocigate runtime sets up user namespaces)"

struct precreate
{
  const char *policy_path;
  const char *state_dir;
  struct og_policy *policy;
  struct og_json *spec;
  struct og_decisions decisions;
  struct hook_identity who;
};

static void
precreate_free (struct precreate *p)
{
  og_policy_free (p->policy);
  og_json_free (p->spec);
  og_decisions_clear (&p->decisions);
  hook_identity_free (&p->who);
}

/* One line in the policy's audit log, in the runtime's format: command
 * "precreate", the id Podman wrote into the config, no bundle (Podman
 * has not written it yet), and who the container is in the message. */
static int
record (const struct precreate *p, const char *event, const char *msg, struct og_error *err)
{
  struct ocigate_cmdline cl = { .command = "precreate", .id = p->who.id, .bundle = "" };
  og_cleanup_free char *text = NULL;
  struct ocigate_audit a
      = { .event = event, .cl = &cl, .policy = p->policy, .policy_path = p->policy_path, .decisions = &p->decisions };

  if (msg && p->who.summary)
    text = og_xasprintf ("%s; container %s", msg, p->who.summary);
  else if (p->who.summary)
    text = og_xasprintf ("container %s", p->who.summary);
  a.message = text ? text : msg;
  return ocigate_audit_write (&a, err);
}

/* stderr (for a person running the hook by hand), the audit log, and the
 * refusal config on stdout (for Podman's user). */
static int
refuse (struct precreate *p, const char *event, const char *msg)
{
  og_cleanup_free char *doc = hook_refusal_config (p->spec, msg);
  struct og_error err = { 0 };
  int status = EXIT_SUCCESS;

  fprintf (stderr, "ocigate-hook: %s\n", msg);
  if (record (p, event, msg, &err) < 0)
    {
      fprintf (stderr, "ocigate-hook: %s\n", err.msg);
      og_error_clear (&err);
    }
  if (hook_write_doc (STDOUT_FILENO, doc, strlen (doc), &err) < 0)
    {
      fprintf (stderr, "ocigate-hook: %s\n", err.msg);
      og_error_clear (&err);
      status = EXIT_FAILURE;
    }
  precreate_free (p);
  return status;
}

/* The error's message between `before` and `after`. */
static int
refuse_error (struct precreate *p, struct og_error *err, const char *before, const char *after)
{
  og_cleanup_free char *msg = og_xasprintf ("%s%s%s", before, err->msg, after);

  og_error_clear (err);
  return refuse (p, "error", msg);
}

/* --policy FILE, --state-dir DIR (either as --x=v). */
static int
parse_options (struct precreate *p, int argc, char **argv, struct og_error *err)
{
  for (int i = 1; i < argc; i++)
    {
      const char *arg = argv[i], *eq = strchr (arg, '='), *value;
      size_t n = eq ? (size_t)(eq - arg) : strlen (arg);
      const char **slot = n == 8 && strncmp (arg, "--policy", n) == 0       ? &p->policy_path
                          : n == 11 && strncmp (arg, "--state-dir", n) == 0 ? &p->state_dir
                                                                            : NULL;

      if (slot == NULL)
        return og_error_set (err, 0, "precreate: unknown option \"%s\" (options: --policy FILE, --state-dir DIR)", arg);
      value = eq ? eq + 1 : i + 1 < argc ? argv[++i] : NULL;
      if (value == NULL || value[0] == '\0')
        return og_error_set (err, 0, "precreate: option %.*s needs a value", (int)n, arg);
      *slot = value;
    }
  return 0;
}

static bool
is_bind (const struct og_json *m)
{
  struct og_json *type = og_json_get_set (m, "type"), *opts = og_json_get_set (m, "options");

  return (og_json_is_string (type) && strcmp (type->text, "bind") == 0) || og_json_array_has_string (opts, "bind")
         || og_json_array_has_string (opts, "rbind");
}

/* A relative root.path or bind source is resolved by the runtime against
 * the bundle, which a precreate hook does not know (Podman always writes
 * absolute ones): judging it against anything else would judge another
 * file. */
static int
check_absolute (const struct og_json *spec, struct og_error *err)
{
  struct og_json *root = og_json_path (spec, "root", "path", NULL), *mounts = og_json_get_set (spec, "mounts");

  if (og_json_is_string (root) && root->text[0] != '/')
    return og_error_set (err, 0, "root.path \"%s\" is relative: a precreate hook cannot tell what it names",
                         root->text);
  for (size_t i = 0; mounts && mounts->type == OG_JSON_ARRAY && i < mounts->n; i++)
    {
      struct og_json *src = og_json_get_set (mounts->vals[i], "source");
      if (is_bind (mounts->vals[i]) && og_json_is_string (src) && src->text[0] != '/')
        return og_error_set (
            err, 0, "mounts[%zu].source \"%s\" is relative: a precreate hook cannot tell what it names", i, src->text);
    }
  return 0;
}

/* The state dir holds the staged root filesystems and binds of the
 * containers the ocigate runtime started on this host: no container of
 * ours may see it (as its root or through a bind). */
static char *
in_state_dir (const struct precreate *p, char **what)
{
  og_cleanup_free char *state = og_realpath (p->state_dir);
  struct og_json *root = og_json_path (p->spec, "root", "path", NULL), *mounts = og_json_get_set (p->spec, "mounts");
  og_cleanup_free char *rootfs = og_json_is_string (root) ? og_realpath (root->text) : NULL;

  if (state == NULL)
    return NULL;
  if (rootfs && og_path_under (rootfs, state))
    {
      *what = og_xasprintf ("root.path: root filesystem %s", rootfs);
      return og_steal_pointer (&state);
    }
  for (size_t i = 0; mounts && mounts->type == OG_JSON_ARRAY && i < mounts->n; i++)
    {
      struct og_json *src = og_json_get_set (mounts->vals[i], "source");
      og_cleanup_free char *real
          = is_bind (mounts->vals[i]) && og_json_is_string (src) ? og_realpath (src->text) : NULL;
      if (real && og_path_under (real, state))
        {
          *what = og_xasprintf ("mounts[%zu].source: bind source %s", i, real);
          return og_steal_pointer (&state);
        }
    }
  return NULL;
}

static char *
refusal_message (const struct og_decisions *d)
{
  const struct og_decision *first = og_decisions_first_refusal (d);
  size_t n = 0;

  for (size_t i = 0; i < d->n; i++)
    n += d->v[i].kind == OG_DECISION_REFUSE;
  if (n > 1)
    return og_xasprintf ("refused by policy: %s: %s (and %zu more)", first->rule, first->reason, n - 1);
  return og_xasprintf ("refused by policy: %s: %s", first->rule, first->reason);
}

static int
enforce (struct precreate *p)
{
  struct og_enforce_ctx ctx = { .policy = p->policy,
                                .bundle = "/", /* nothing relative is left to resolve (check_absolute) */
                                .container_id = p->who.id,
                                .userns_error = NO_USERNS,
                                .userns_why = OG_USERNS_MISSING_UNSUPPORTED };
  og_cleanup_free char *out = NULL, *what = NULL, *state = NULL;
  struct og_error err = { 0 };
  size_t len;

  if (og_enforce_config (&ctx, p->spec, &p->decisions, &err) < 0)
    return refuse_error (p, &err, "", "");
  if (og_decisions_refused (&p->decisions))
    {
      og_cleanup_free char *msg = refusal_message (&p->decisions);
      return refuse (p, "refuse", msg);
    }
  if (!p->policy->audit_only && (state = in_state_dir (p, &what)) != NULL)
    {
      og_cleanup_free char *msg
          = og_xasprintf ("refused by policy: %s lies in ocigate's state directory %s", what, state);
      return refuse (p, "refuse", msg);
    }
  if (og_json_write (p->spec, false, &out, &len, &err) < 0)
    return refuse_error (p, &err, "", "");
  if (record (p, "precreate", NULL, &err) < 0)
    return refuse_error (p, &err, "", "");
  if (hook_write_doc (STDOUT_FILENO, out, len, &err) < 0)
    {
      fprintf (stderr, "ocigate-hook: %s\n", err.msg);
      og_error_clear (&err);
      precreate_free (p);
      return EXIT_FAILURE;
    }
  precreate_free (p);
  return EXIT_SUCCESS;
}

/* stdin as a config (p->spec), and who it is for. */
static int
read_input (struct precreate *p, struct og_error *err)
{
  og_cleanup_free char *in = NULL;
  size_t len;

  if (hook_read_doc (STDIN_FILENO, OG_SPEC_MAX_SIZE, &in, &len, err) < 0)
    return og_error_wrap (err, "precreate");
  if (og_spec_parse (in, len, &p->spec, err) < 0)
    return og_error_wrap (err, "precreate: the proposed config on stdin");
  hook_identity_of (p->spec, &p->who);
  return 0;
}

/* The input is read before anything is reported, and the policy loaded,
 * so that every refusal keeps what it can of the proposed config (Podman
 * keeps the config as the refused container's) and lands in the policy's
 * audit log. */
int
hook_precreate (int argc, char **argv)
{
  struct precreate p = { .policy_path = OG_POLICY_DEFAULT, .state_dir = OG_STATE_DIR };
  struct og_error opt_err = { 0 }, in_err = { 0 }, err = { 0 };
  int status;

  parse_options (&p, argc, argv, &opt_err);
  read_input (&p, &in_err);
  if (ocigate_policy_load (p.policy_path, p.state_dir, "ocigate-hook", &p.policy, &err) < 0 && opt_err.msg == NULL)
    status = refuse_error (&p, &err, "", "; every container start is refused until the policy is fixed");
  else if (opt_err.msg)
    status = refuse_error (&p, &opt_err, "", ""); /* (recorded where the policy says, if it loaded) */
  else if (in_err.msg)
    status = refuse_error (&p, &in_err, "", "");
  else if (check_absolute (p.spec, &err) < 0)
    status = refuse_error (&p, &err, "precreate: ", "");
  else
    status = enforce (&p);
  og_error_clear (&opt_err);
  og_error_clear (&in_err);
  og_error_clear (&err);
  return status;
}
