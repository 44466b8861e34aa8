/* SPDX-License-Identifier: Apache-2.0 */
/* The admin policy (ocigate-policy(5)): model and loader. */
#ifndef OCIGATE_POLICY_H
#define OCIGATE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "ocigate/error.h"

#define OG_POLICY_MAX_SIZE (1024u * 1024)

/* What a rule does with a container that does not comply. */
enum og_action
{
  OG_ACTION_ENFORCE, /* rewrite the config so it complies (refuse what cannot be rewritten) */
  OG_ACTION_DENY,    /* refuse the container */
  OG_ACTION_AUDIT,   /* record what would have been done, change nothing */
};

struct og_limit
{
  bool has_default, has_max;
  int64_t def, max;
};

struct og_policy;

/* Where a containerd runc shim is called for one containerd namespace:
 *     --root <runc_root> create --bundle <task_dir>/<id> <id>
 * (policy/facts.c); NULL: no config is taken for that engine's. */
struct og_shim_paths
{
  char *task_dir;  /* <containerd state>/io.containerd.runtime.v2.task/<namespace> */
  char *runc_root; /* the shim's --root: <runc root>/<namespace> */
};

/* A workload profile: the effective policy tightened by the profile's own
 * keys, for the containers whose trusted facts match its selector. */
struct og_profile
{
  char *name;
  char *engine;         /* "select": {"engine": ...}; NULL: any */
  char **pod_namespace; /* patterns (fnmatch) for the CRI pod's namespace; NULL: any */
  struct og_policy *policy;
};

/* Filled by the loader from the table of policy/sections.c, which names
 * the member of every key: a new member is read, freed and carried through
 * the compiled image once its key is in that table (policy/schema.h). */
struct og_policy
{
  char *path;         /* the file it was loaded from */
  char digest[65];    /* sha256 of the file, hex */
  bool audit_only;    /* "mode": "audit" */
  char *audit_log;    /* "audit": {"log": ...}; NULL disables the file */
  char **overridable; /* keys a later layer may set to anything (policy/layers.c) */
  /* "profiles" of the base, in the order written, each compiled at load
   * (policy/profiles_load.c) and kept in the compiled image with it
   * (policy/policy_image.c) */
  struct og_profile *profiles;
  size_t nprofiles;

  struct
  {
    enum og_action action;
  } nnp;

  struct
  {
    enum og_action action;
    char **allow; /* exact names, e.g. "CAP_CHOWN" */
  } caps;

  struct
  {
    enum og_action action;
    bool readonly;
    char **writable_tmpfs; /* destinations */
    char **tmpfs_options;
  } rootfs;

  struct
  {
    enum og_action action;
    struct og_limit memory; /* bytes */
    struct og_limit swap;   /* swap allowed on top of memory, bytes */
    struct og_limit cpu;    /* milli-CPUs */
    struct og_limit pids;
  } resources;

  struct
  {
    enum og_action action;
    bool deny_any_socket;
    char **deny_sockets;       /* daemon socket paths */
    char **deny_trees;         /* sensitive host trees */
    char **allow_sources;      /* glob patterns; "{id}" is the container id */
    char **force_options;      /* added to every bind mount */
    char **allow_roots;        /* glob patterns of the engines' root filesystems */
    unsigned scan_max_entries; /* across every scan of one create */
    unsigned scan_max_depth;
    unsigned scan_max_ms; /* time for every scan of one create */
    unsigned max_mounts;  /* mounts[] entries judged; more is refused */
    /* "readonly_binds" (policy/policy_keys.c): every bind mount read-only
     * ("ro" added, "rw" removed) but for the sources "except" names */
    bool readonly_binds;
    enum og_action readonly_binds_action;
    char **readonly_binds_except; /* glob patterns, as allow_sources */
  } mounts;

  struct
  {
    enum og_action action;
    char **allow; /* resolved executable paths */
  } hooks;

  struct
  {
    enum og_action action; /* deny: refuse privileged configs; enforce: neuter them (the other rules) */
  } privileged;

  struct
  {
    enum og_action action;
    char **require;     /* namespace types that must be private */
    char **allow_paths; /* glob patterns of namespace paths a container may join */
  } namespaces;

  struct
  {
    enum og_action action;
    char **allow; /* "c 10:229" / "b 8:0" device numbers beyond the default set */
  } devices;

  struct
  {
    enum og_action action;
    char **allow; /* names beyond the safe list; "prefix.*" allowed */
  } sysctls;

  struct
  {
    enum og_action action;
    char *default_profile;  /* absolute path (resolved against the policy's directory) */
    char **deny_syscalls;   /* added to every profile */
    bool allow_unconfined;  /* accept a profile whose default action allows */
    bool allow_setid_files; /* do not add the S_ISUID/S_ISGID filter */
    char **allow_listeners; /* seccomp agent sockets (listenerPath) a container may name */
    char **learn;           /* glob patterns of bundle directories whose containers log instead of deny */
  } seccomp;

  struct
  {
    enum og_action action;
    char **masked;       /* must be in linux.maskedPaths */
    char **readonly;     /* must be in linux.readonlyPaths */
    bool readonly_sysfs; /* sysfs and cgroup mounts read-only */
  } paths;

  struct
  {
    enum og_action action;
    bool run_as_non_root; /* uid 0 refused unless a user namespace maps it */
    bool has_oom_score_adj_min;
    int64_t oom_score_adj_min;
    char **rlimit_max; /* "RLIMIT_NOFILE=1048576" */
    bool deny_shared_propagation;
  } process;

  struct
  {
    enum og_action action;
    char **deny_names; /* fnmatch patterns of variable names */
    bool check_values; /* private key material in values */
  } env;

  struct
  {
    enum og_action action;
    char *apparmor_profile; /* required/injected when AppArmor is enabled */
    bool require_selinux_label;
  } lsm;

  struct
  {
    /* Members no runtime-spec release ocigate knows defines, and the newer
     * runtime features below: deny refuses, enforce removes the member,
     * audit records it.  Absent section: deny, nothing allowed. */
    enum og_action action;
    char **allow;         /* member shapes allowed although unknown: "linux.example", "mounts[].x" */
    char **net_devices;   /* host interfaces linux.netDevices may move into a container */
    bool intel_rdt;       /* linux.intelRdt: a host resctrl group (closID) and its schemata */
    bool realtime;        /* process.scheduler FIFO/RR/DEADLINE or negative nice, ioPriority real-time class */
    bool idmapped_mounts; /* mounts[].uidMappings/gidMappings made by the runtime */
  } fields;

  struct
  {
    bool allow; /* "restore": {"allow": true}; refused by default (the image decides the credentials) */
  } restore;

  struct
  {
    enum og_userns_mode
    {
      OG_USERNS_OFF,
      OG_USERNS_IF_POSSIBLE, /* fall back to no user namespace, recorded */
      OG_USERNS_REQUIRED,    /* refuse when it cannot be set up */
    } mode;
    int64_t pool_start, pool_size; /* host ids handed out */
    int64_t range_size;            /* ids per container */
    bool shared;                   /* one range for every container (like userns-remap) */
    /* if-possible: also run without one in these cases (allow_without) */
    bool without_if_pool_exhausted, without_if_shared_pid_ns;
  } userns;
  /* "cri": where containerd's runc shim puts the CRI's (k8s.io) bundles and
   * runc state; NULL: no config is taken for the CRI's (policy/facts.c) */
  struct og_shim_paths cri;

  struct
  {
    /* "verify": ocigate-hook checks, from createRuntime and poststart hooks
     * ocigate adds, that the runtime did what the rewritten config says. */
    enum og_verify_mode
    {
      OG_VERIFY_OFF,
      OG_VERIFY_AUDIT,   /* a mismatch is recorded, the container runs */
      OG_VERIFY_ENFORCE, /* a mismatch fails the hook and kills the container */
    } mode;
    char *hook; /* the ocigate-hook runc runs; NULL: OG_SBINDIR/ocigate-hook */
  } verify;

  /* "buildkit": where dockerd's BuildKit runs runc itself (policy/facts.c);
   * NULL: no config is taken for a build step's */
  struct
  {
    char *executor_dir; /* <data-root>/buildkit/executor: bundles <dir>/<id> */
    char *runc_root;    /* the runc root it uses (no --root: /run/runc) */
  } buildkit;

  /* "docker": dockerd's containers, in its containerd namespace (moby):
   * task_dir <containerd state>/io.containerd.runtime.v2.task/moby,
   * runc_root <exec-root>/runtime-runc/moby */
  struct og_shim_paths docker;
  /* "containerd": containerd's "default" namespace (ctr, nerdctl) */
  struct og_shim_paths containerd;

  /* "podman": conmon calls the runtime with --bundle
   * <graph_root>/<driver>-containers/<id>/userdata and the runc root
   * runc_root (Podman passes no --root: /run/runc); NULL: no config is
   * taken for Podman's */
  struct
  {
    char *graph_root;
    char *runc_root;
  } podman;
};

/* Load and validate a policy file and its layers (<dir>/policy.d/NAME.json,
 * each of which may only tighten, ocigate-policy(5) LAYERS).  Unknown keys,
 * wrong types, bad values, loosening layers and unreadable files are
 * errors naming the file and the problem. */
int og_policy_load (const char *path, struct og_policy **out, struct og_error *err);
/* The files a policy names beyond itself (its default seccomp profile) read
 * and validated as the rules will read them at create. */
int og_policy_check_files (const struct og_policy *p, struct og_error *err);
/* The same from memory (`name` is used in messages). */
int og_policy_parse (const char *buf, size_t len, const char *name, struct og_policy **out, struct og_error *err);
/* A cache of compiled policies (og_policy_image_write) keyed by the file's
 * identity (path, device, inode, size, mtime, ctime), so that a caller that
 * runs on every container start need not read, parse, validate and hash the
 * file each time.  The library itself keeps no state.  lookup returns a
 * malloc'd image for exactly this identity, or false; `layers` is the
 * identity of the policy's layers, one line each ("" without layers), and
 * is part of the key. */
struct og_policy_cache
{
  bool (*lookup) (void *data, const char *path, const struct stat *st, const char *layers, char **image, size_t *len);
  void (*store) (void *data, const char *path, const struct stat *st, const char *layers, const char *image,
                 size_t len);
  void *data;
};
int og_policy_load_cached (const char *path, const struct og_policy_cache *cache, struct og_policy **out,
                           struct og_error *err);
struct og_json;
/* og_policy_load, and also the merged JSON of every file and, for each
 * key set ("area.key", a limit's or a nested object's members one level
 * deeper), the file that set it (ocigatectl show --effective); profiles,
 * if not NULL: an object of the workload profiles in the order written,
 * each {"select", "policy": its merged JSON, "sources": the same map,
 * "FILE (profile NAME)" for the keys the profile sets}. */
int og_policy_load_effective (const char *path, struct og_policy **out, struct og_json **effective,
                              struct og_json **sources, struct og_json **profiles, struct og_error *err);
/* For a decision of `rule`: its area's action (or mode) and the file that
 * set it, then every key of the area a layer set, with its file (sources:
 * from og_policy_load_effective).  Malloc'd. */
char *og_policy_explain (const struct og_policy *p, const struct og_json *sources, const char *rule);
/* Whether a file with this identity may be cached at `now`: its ctime must
 * be older than the coarse clock that stamps file times can hide a second
 * change behind (a change within the same tick, same size, keeps mtime and
 * ctime -- the "racy git" problem). */
bool og_policy_cacheable (const struct stat *st, const struct timespec *now);
/* The compiled form of a policy: bytes another process of the same build
 * reads back with og_policy_image_read (format in policy/policy_image.c). */
int og_policy_image_write (const struct og_policy *p, char **out, size_t *len);
/* Refuses an image of another build, a truncated or damaged one. */
int og_policy_image_read (const char *buf, size_t len, struct og_policy **out, struct og_error *err);
/* Warnings about this host that do not make the policy invalid: names on
 * capabilities.allow beyond the running kernel's last capability (a policy
 * written for a newer kernel; that capability cannot be granted here).  A
 * NULL-terminated list of messages naming the file, or NULL. */
char **og_policy_host_warnings (const struct og_policy *p);
void og_policy_free (struct og_policy *p);
void og_policy_freep (struct og_policy **p);
#define og_cleanup_policy __attribute__ ((cleanup (og_policy_freep)))

const char *og_action_name (enum og_action a);

/* "512M", "2G", 1048576 -> bytes.  Exposed for ocigatectl and tests. */
int og_parse_size (const char *s, int64_t *out);
/* "1.5" -> 1500 milli-CPUs. */
int og_parse_millicpus (const char *s, int64_t *out);

#endif
