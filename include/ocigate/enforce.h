/* SPDX-License-Identifier: Apache-2.0 */
/* Applying a policy to a parsed config.json: the entry points the front
 * ends (ocigate, ocigatectl, ocigate-hook) call.  The rules themselves and
 * their helpers are private to policy/ (policy/rule.h). */
#ifndef OCIGATE_ENFORCE_H
#define OCIGATE_ENFORCE_H

#include <stdbool.h>
#include <stdint.h>

#include "ocigate/decision.h"
#include "ocigate/error.h"
#include "ocigate/facts.h"
#include "ocigate/json.h"
#include "ocigate/policy.h"

/* A host id range given to one container (allocated by the runtime). */
struct og_userns_range
{
  int64_t host_start;
  int64_t size;
};

/* Why a container the policy wants in a user namespace has no range. */
enum og_userns_missing
{
  OG_USERNS_MISSING_UNSUPPORTED, /* the host cannot set it up: mode if-possible runs without */
  OG_USERNS_MISSING_POOL,        /* every range is taken: allow_without "pool-exhausted" */
  OG_USERNS_MISSING_PIDNS,       /* a joined pid namespace not owned by one of ours: "shared-pid-namespace" */
  OG_USERNS_MISSING_REFUSED,     /* an id runc refuses, or a container that exists: always refused */
};

/* Why a container joins a user namespace of ocigate's rather than getting
 * its own (og_enforce_ctx.userns_join). */
enum og_userns_join
{
  OG_USERNS_JOIN_PID,     /* it joins the pid namespace of the container that has it */
  OG_USERNS_JOIN_POD,     /* a pod's container: its sandbox's, which owns the pod's network namespace */
  OG_USERNS_JOIN_SANDBOX, /* a pod's sandbox: the pod's, made with the pod's network namespace */
};

/* A bind source as the mounts rule judged it: an O_PATH descriptor of the
 * object that was checked.  The runtime mounts that object, not its path
 * again: a rename between the check and the mount would swap it. */
struct og_judged_source
{
  const struct og_json *mount; /* the mounts[] entry (its object in the tree) */
  int fd;                      /* O_PATH | O_CLOEXEC; owned by the list */
  bool owned;                  /* matched mounts.allow_sources: the engine's own files or a named volume, whose
                                  files container root may own (idmapped) */
};

struct og_judged_sources
{
  struct og_judged_source *v;
  size_t n;
};

/* Close the descriptors and free the list (not the struct itself). */
void og_judged_sources_free (struct og_judged_sources *j);
/* The entry for mounts[] object m, or NULL. */
const struct og_judged_source *og_judged_source_of (const struct og_judged_sources *j, const struct og_json *m);

struct og_enforce_ctx
{
  const struct og_policy *policy;
  const char *bundle;                   /* bundle directory; relative mount sources are resolved against it */
  const char *container_id;             /* NULL when unknown (ocigatectl check) */
  const struct og_userns_range *userns; /* NULL: no range (see userns_error) */
  const char *userns_error;             /* why there is no range, when the policy wants one */
  enum og_userns_missing userns_why;    /* which kind of reason that is */
  const char *userns_join;              /* with a range: join this user namespace (see userns_join_kind) */
  enum og_userns_join userns_join_kind; /* why */
  const char *userns_owner;             /* the container it was made for */
  const char *userns_joined_ns;         /* ... the pid (JOIN_PID) or network (JOIN_POD) namespace judged, pinned */
  const char *pod_netns;                /* a pod's sandbox: its network namespace (owned by userns_join) */
  /* the CRI's own user namespace (Kubernetes hostUsers: false), joined by
   * the config's path, its range checked by the runtime; NULL: none */
  const struct og_userns_range *userns_engine;
  bool userns_engine_judged; /* a CRI user namespace was judged (passed or not): the user_namespace rule speaks */
  bool root_mapped_away;     /* exec: the container's uid 0 is not host root */
  /* update: the container's current CFS quota (-1: unlimited) and period,
   * read by the runtime only when a request changes the period alone; 0 on
   * success.  NULL or a failure: unknown. */
  int (*cpu_now) (void *arg, int64_t *quota, int64_t *period);
  /* update: the current memory limit, when swap is sent without memory */
  int (*memory_now) (void *arg, int64_t *limit);
  void *now_arg;                       /* argument of both */
  struct og_judged_sources *judged;    /* if set, the mounts rule adds each bind source it accepted */
  const struct og_engine_facts *facts; /* who made the config (policy/facts.c); NULL: nothing known */
};

/* Run every rule over `spec` (a config.json tree), mutating it in place and
 * appending decisions.  Returns 0 when the rules ran (check
 * og_decisions_refused for the verdict), -1 with err on internal failure. */
int og_enforce_config (const struct og_enforce_ctx *ctx, struct og_json *spec, struct og_decisions *d,
                       struct og_error *err);

/* exec: the process rules (no_new_privileges, capabilities, env, lsm,
 * run_as_non_root, rlimits, oom_score_adj) on a process.json tree, as
 * `runc exec --process` will read it.  ctx->root_mapped_away says whether
 * the container runs in a user namespace that maps its root away. */
int og_enforce_process (const struct og_enforce_ctx *ctx, struct og_json *process, struct og_decisions *d,
                        struct og_error *err);

/* update: clamp a LinuxResources tree (`runc update --resources`).  Only
 * values that are sent are judged; "unlimited" (-1) becomes the maximum. */
int og_enforce_update (const struct og_enforce_ctx *ctx, struct og_json *resources, struct og_decisions *d,
                       struct og_error *err);

/* Returned by the og_enforce_*_flags entry points (negative, err set) when
 * the command line itself is refused in every mode, not by a rule: a value
 * runc would read differently from the one that could be judged. */
#define OG_ENFORCE_REFUSED (-2)

/* What becomes of one command-line flag the front end passed in. */
struct og_flag_change
{
  bool drop;   /* remove the flag (and its separate value) */
  char *value; /* owned: the flag's new value; NULL keeps it */
};

/* The changes to apply to the command line, one entry per flag passed in
 * (same order).  Apply them only when the decisions hold no refusal. */
struct og_flags_out
{
  struct og_flag_change *v;
  size_t n;
  bool add_no_new_privs; /* exec: the process needs --no-new-privs added */
};

void og_flags_out_free (struct og_flags_out *out);
#define og_cleanup_flags_out __attribute__ ((cleanup (og_flags_out_free)))

/* runc exec's inline flags that set fields of the new process (the rest
 * comes from the container's process, judged at create).  The front end
 * folds runc's aliases into the kind; values are as runc got them. */
enum og_exec_flag_kind
{
  OG_EXEC_FLAG_ENV,             /* --env, -e: NAME=value */
  OG_EXEC_FLAG_USER,            /* --user, -u: uid[:gid] (the last one wins) */
  OG_EXEC_FLAG_ADDITIONAL_GIDS, /* --additional-gids, -g */
  OG_EXEC_FLAG_APPARMOR,        /* --apparmor (the last one wins) */
  OG_EXEC_FLAG_CGROUP,          /* --cgroup [controllers:]path */
  OG_EXEC_FLAG_CAP,             /* --cap, -c: one capability added */
  OG_EXEC_FLAG_NO_NEW_PRIVS,    /* --no-new-privs[=bool] */
};

struct og_exec_flag
{
  enum og_exec_flag_kind kind;
  const char *value; /* NULL: a boolean flag given without a value */
};

/* exec without --process: judge the inline flags as the process rules
 * judge a process.json (ctx->root_mapped_away as for og_enforce_process).
 * Fills *out (caller frees with og_flags_out_free): a capability off the
 * allowlist or "--no-new-privs=false" dropped, an AppArmor profile
 * replaced, --no-new-privs added.  Returns 0 when judged (a refusal is in
 * d, and then the fields stage stopped before capabilities were judged),
 * OG_ENFORCE_REFUSED when a value is refused outright (an id that runc
 * would cast to another, a --cgroup above the container's), -1 with err
 * on internal failure. */
int og_enforce_exec_flags (const struct og_enforce_ctx *ctx, const struct og_exec_flag *flags, size_t n,
                           struct og_flags_out *out, struct og_decisions *d, struct og_error *err);

/* runc restore's options that only restore has. */
enum og_restore_flag_kind
{
  OG_RESTORE_FLAG_LSM_PROFILE,         /* --lsm-profile apparmor:<profile> | selinux:<label> (the last one wins) */
  OG_RESTORE_FLAG_LSM_MOUNT_CONTEXT,   /* --lsm-mount-context */
  OG_RESTORE_FLAG_MANAGE_CGROUPS_MODE, /* --manage-cgroups-mode */
  OG_RESTORE_FLAG_EMPTY_NS,            /* --empty-ns */
  OG_RESTORE_FLAG_EXT_UNIX_SK,         /* --ext-unix-sk[=bool] */
};

struct og_restore_flag
{
  enum og_restore_flag_kind kind;
  const char *value; /* NULL: a boolean flag given without a value */
};

/* restore: refused unless the policy allows it (CRIU, not config.json,
 * decides the restored processes' credentials), then its own options
 * judged against `spec` (the parsed config.json).  Fills *out (a replaced
 * --lsm-profile).  Returns 0 when judged (check og_decisions_refused), -1
 * with err on internal failure. */
int og_enforce_restore (const struct og_enforce_ctx *ctx, const struct og_json *spec,
                        const struct og_restore_flag *flags, size_t n, struct og_flags_out *out, struct og_decisions *d,
                        struct og_error *err);

#endif
