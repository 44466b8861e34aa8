/* SPDX-License-Identifier: Apache-2.0 */
/* create, run, restore: enforce the policy on <bundle>/config.json. */
#include <config.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "ocigate/enforce.h"
#include "ocigate/spec.h"
#include "ocigate/util.h"
#include "ocigate.h"
#include "pod.h"
#include "userns.h"

struct create
{
  struct ocigate_run *r;
  struct ocigate_bundle bundle;
  struct og_json *spec;
  struct ocigate_userns userns;
  char *userns_error;
  enum og_userns_missing userns_missing;
  struct og_judged_sources judged; /* the bind sources the mounts rule accepted */
  char *staged_rootfs;             /* the name the staged rootfs had when it was opened */
  struct og_engine_facts facts;    /* who made the config (ocigate/facts.h) */
  const struct og_policy *policy;  /* r->policy or the profile the facts chose */
  enum og_userns_join join_kind;   /* why c->userns joins a user namespace, when it does */
  char *cni_netns;                 /* a pod's sandbox: the network namespace CNI made, its interfaces to move */
  int cni_fd;                      /* ... opened once, when judged (-1: none) */
  bool engine_judged;              /* a CRI config joining a user namespace: judged below */
  bool engine_userns;              /* the CRI's own user namespace, checked: engine_range */
  struct og_userns_range engine_range;
  bool net_moved, net_replaced; /* move_pod_network moved the interfaces, replaced CNI's at its path */
};

/* Every way out but the accepted one gives the range and the staging
 * back; the accepted create hands them to r->staged first. */
static void
create_done (struct create *c)
{
  struct og_error ignored = { 0 };

  if (c->userns.allocated || c->userns.staged || c->userns.binds_staged)
    ocigate_userns_release (&c->userns, &ignored);
  og_error_clear (&ignored);
  ocigate_userns_free (&c->userns);
  og_judged_sources_free (&c->judged);
  og_json_free (c->spec);
  ocigate_bundle_close (&c->bundle);
  free (c->userns_error);
  free (c->staged_rootfs);
  free (c->cni_netns);
  if (c->cni_fd >= 0)
    close (c->cni_fd);
  og_engine_facts_clear (&c->facts);
}
#define cleanup_create __attribute__ ((cleanup (create_done)))

/* root.path as the kernel resolves it; with fd, also the object it named
 * (og_realpath_open). */
static char *
rootfs_path (struct create *c, int *fd)
{
  struct og_json *path = og_json_path (c->spec, "root", "path", NULL);
  og_cleanup_free char *joined = NULL;

  if (!og_json_is_string (path) || path->len == 0)
    return NULL;
  joined = path->text[0] == '/' ? og_xstrdup (path->text)
                                : og_xasprintf ("%s/%s", c->r->cl.bundle ? c->r->cl.bundle : ".", path->text);
  return fd ? og_realpath_open (joined, fd) : og_realpath (joined);
}

/* The pid namespace the container joins: its path, "" for the host's (no
 * pid namespace of its own), NULL for a new one. */
static const char *
joined_pid_ns (const struct og_json *spec)
{
  struct og_json *ns = og_json_path (spec, "linux", "namespaces", NULL);

  for (size_t i = 0; ns && ns->type == OG_JSON_ARRAY && i < ns->n; i++)
    {
      struct og_json *t = og_json_get_set (ns->vals[i], "type"), *path = og_json_get_set (ns->vals[i], "path");
      if (og_json_is_string (t) && strcmp (t->text, "pid") == 0)
        return og_json_is_string (path) && path->len > 0 ? path->text : NULL;
    }
  return "";
}

static void
no_userns (struct create *c, enum og_userns_missing why, char *msg)
{
  c->userns_missing = why;
  c->userns_error = msg;
}

/* The path of the user namespace the config joins, or NULL. */
static const char *
joined_user_ns (const struct og_json *spec)
{
  struct og_json *ns = og_json_path (spec, "linux", "namespaces", NULL);

  for (size_t i = 0; ns && ns->type == OG_JSON_ARRAY && i < ns->n; i++)
    {
      struct og_json *t = og_json_get_set (ns->vals[i], "type"), *path = og_json_get_set (ns->vals[i], "path");
      if (og_json_is_string (t) && strcmp (t->text, "user") == 0)
        return og_json_is_string (path) && path->len > 0 ? path->text : NULL;
    }
  return NULL;
}

/* The config's one mapping (uid and gid alike), or false. */
static bool
config_mapping (const struct og_json *spec, struct og_userns_range *r)
{
  static const char *const keys[] = { "uidMappings", "gidMappings" };

  for (size_t k = 0; k < 2; k++)
    {
      struct og_json *m = og_json_path (spec, "linux", keys[k], NULL);
      int64_t c, h, s;
      if (m == NULL || m->type != OG_JSON_ARRAY || m->n != 1
          || og_json_int64 (og_json_get (m->vals[0], "containerID"), &c) < 0
          || og_json_int64 (og_json_get (m->vals[0], "hostID"), &h) < 0
          || og_json_int64 (og_json_get (m->vals[0], "size"), &s) < 0 || c != 0
          || (k && (h != r->host_start || s != r->size)))
        return false;
      *r = (struct og_userns_range){ h, s };
    }
  return true;
}

/* Kubernetes' hostUsers: false: a CRI config that joins the CRI's own user
 * namespace keeps it when its range passes (userns_engine.c), and is
 * refused otherwise.  true: such a config (decided either way). */
static bool
engine_userns (struct create *c)
{
  const char *path = joined_user_ns (c->spec);
  struct og_userns_range config;
  struct og_error err = { 0 };

  if (path == NULL || !c->facts.cri)
    return false;
  c->engine_judged = true;
  if (ocigate_userns_engine_range (path, config_mapping (c->spec, &config) ? &config : NULL, c->policy,
                                   &c->engine_range, &err)
      < 0)
    {
      no_userns (c, OG_USERNS_MISSING_REFUSED, og_steal_pointer (&err.msg));
      return true;
    }
  c->engine_userns = true;
  return true;
}

/* The namespace whose owner the container must share, if any: a joined
 * pid namespace; for a pod's app container, its pod's network namespace
 * (its sandbox's user namespace owns it: pod.c). */
static const char *
joined (struct create *c, int *type)
{
  const char *pidns = joined_pid_ns (c->spec), *net;

  *type = CLONE_NEWPID;
  c->join_kind = OG_USERNS_JOIN_PID;
  if (pidns)
    return pidns;
  net = ocigate_pod_joined_netns (c->spec);
  if (!c->facts.cri || c->facts.cri_sandbox || net == NULL)
    return NULL;
  *type = CLONE_NEWNET;
  c->join_kind = OG_USERNS_JOIN_POD;
  return net;
}

/* No user namespace after all (msg says why): the range allocated so far
 * is given back. */
static int
give_back (struct create *c, enum og_userns_missing why, char *msg)
{
  struct og_error ignored = { 0 };

  no_userns (c, why, msg);
  ocigate_userns_release (&c->userns, &ignored);
  og_error_clear (&ignored);
  return -1;
}

/* A pod's app container (the CRI's facts): whatever namespace it joins,
 * pid or network, must belong to its own sandbox's user namespace, no
 * other pod's (NULL: any container's of ocigate's). */
static const char *
join_owner (const struct create *c)
{
  return c->facts.cri && !c->facts.cri_sandbox ? c->facts.sandbox_id : NULL;
}

/* Why there is no range when allocate failed: a pod's container that would
 * join another pod's (or a dead sandbox's) user namespace is refused in
 * every mode, never run without one. */
static enum og_userns_missing
allocate_missing (const struct create *c, int type)
{
  if (c->userns.in_use)
    return OG_USERNS_MISSING_REFUSED;
  if (c->userns.exhausted)
    return OG_USERNS_MISSING_POOL;
  if (c->userns.foreign_pidns && join_owner (c))
    return OG_USERNS_MISSING_REFUSED;
  if (c->userns.foreign_pidns && type == CLONE_NEWPID)
    return OG_USERNS_MISSING_PIDNS;
  return OG_USERNS_MISSING_UNSUPPORTED;
}

/* A pod's app container joins its sandbox's user namespace: the pod's
 * network namespace it joins must be that user namespace's too (when it
 * joined by its pid namespace). */
static char *
foreign_pod_netns (const struct create *c)
{
  const char *net = ocigate_pod_joined_netns (c->spec);

  if (join_owner (c) == NULL || c->join_kind != OG_USERNS_JOIN_PID || net == NULL
      || ocigate_pod_netns_owned_by (net, c->userns.join_fd))
    return NULL;
  return og_xasprintf ("the pod's network namespace %s does not belong to the user namespace of the pod's sandbox %s",
                       net, c->facts.sandbox_id);
}

static int
allocate (struct create *c)
{
  struct og_error err = { 0 };
  const char *join;
  char *msg = NULL;
  int type;

  join = joined (c, &type);
  /* the sandbox makes the pod's user namespace: sharing another's pid
   * namespace would give a second user namespace that container's range */
  if (join && c->facts.cri_sandbox)
    {
      no_userns (c, OG_USERNS_MISSING_REFUSED,
                 og_xasprintf ("a pod's sandbox joins no other container's pid namespace (%s)", join));
      return -1;
    }
  if (ocigate_userns_allocate (c->r->cl.state_dir, c->policy, c->r->cl.root, c->r->cl.id, join, type,
                               join ? join_owner (c) : NULL, &c->userns, &err)
      < 0)
    {
      no_userns (c, allocate_missing (c, type), og_steal_pointer (&err.msg));
      return -1;
    }
  /* a pod's containers share their own sandbox's range, no other pod's */
  if (join && join_owner (c) && strcmp (c->userns.owner_id, c->facts.sandbox_id) != 0)
    msg = og_xasprintf ("the %s namespace %s belongs to container %s, not to the pod's sandbox %s",
                        type == CLONE_NEWNET ? "network" : "pid", join, c->userns.owner_id, c->facts.sandbox_id);
  else if (join)
    msg = foreign_pod_netns (c);
  return msg ? give_back (c, OG_USERNS_MISSING_REFUSED, msg) : 0;
}

/* A pod's sandbox on CNI's network namespace (the host's user namespace
 * owns it): the pod's user namespace and a network namespace it owns, to
 * which the interfaces move once the config is accepted (move_pod_network). */
static int
pod_sandbox_network (struct create *c)
{
  const char *net = ocigate_pod_joined_netns (c->spec), *whose;
  struct og_error err = { 0 };
  char *msg;

  if (!c->facts.cri_sandbox || net == NULL)
    return 0;
  /* opened once: the namespace judged here is the one whose interfaces
   * move; never the host's own (its interfaces are not the pod's) */
  c->cni_fd = ocigate_pod_netns_open (net);
  if (c->cni_fd < 0)
    return give_back (c, OG_USERNS_MISSING_REFUSED,
                      og_xasprintf ("the pod's network namespace %s is not the pod's to move (cannot be opened: %s)",
                                    net, errno == EINVAL ? "not a network namespace" : strerror (errno)));
  /* CNI makes it in the host's user namespace: one another user namespace
   * owns is another pod's (ocigate moved its network there already) */
  if (!ocigate_pod_netns_fd_host_owned (c->cni_fd))
    return give_back (c, OG_USERNS_MISSING_REFUSED,
                      og_xasprintf ("the pod's network namespace %s belongs to another user namespace (another "
                                    "pod's): not one CNI has just made for the pod",
                                    net));
  if ((whose = ocigate_pod_netns_is_hosts (c->cni_fd)) != NULL)
    return give_back (c, OG_USERNS_MISSING_REFUSED,
                      og_xasprintf ("the pod's network namespace %s is not the pod's to move (it is %s)", net, whose));
  /* nor another process's (another pod's, a container's of another
   * engine): only a namespace CNI has just made, where containerd keeps it */
  if ((msg = ocigate_pod_netns_not_cni (net, c->cni_fd)) != NULL)
    {
      og_cleanup_free char *why = msg;
      return give_back (c, OG_USERNS_MISSING_REFUSED, og_xasprintf ("the pod's interfaces are not moved: %s", why));
    }
  if (ocigate_userns_pod_network (&c->userns, c->r->cl.id, &err) < 0)
    {
      og_cleanup_free char *why = og_steal_pointer (&err.msg);
      return give_back (c, OG_USERNS_MISSING_UNSUPPORTED,
                        og_xasprintf ("the pod's user and network namespaces cannot be made: %s", why));
    }
  c->join_kind = OG_USERNS_JOIN_SANDBOX;
  c->cni_netns = og_xstrdup (net);
  return 0;
}

/* The accepted sandbox's interfaces, from CNI's namespace into the pod's,
 * which then takes CNI's place at containerd's path.  Last, when nothing
 * else can refuse the create; a failure part-way moves the interfaces
 * back to CNI's namespace (ocigate_pod_net_move) and fails the create. */
static int
move_pod_network (struct create *c, struct og_error *err)
{
  struct og_error ignored = { 0 };
  bool moved;

  if (c->cni_netns == NULL || !c->userns.staged)
    return 0;
  if (ocigate_pod_net_move (c->cni_fd, c->userns.netfd, &moved, err) < 0)
    return og_error_wrap (err, "the pod's network");
  if (ocigate_pod_net_replace (c->cni_netns, c->cni_fd, c->userns.netfd, &c->net_replaced, err) < 0)
    {
      ocigate_pod_net_move (c->userns.netfd, c->cni_fd, &moved, &ignored);
      og_error_clear (&ignored);
      return og_error_wrap (err, "the pod's network");
    }
  c->net_moved = true;
  og_decisions_add (&c->r->decisions, "user_namespace", OG_DECISION_MUTATE, "linux.namespaces", NULL, NULL,
                    "the pod's interfaces moved from %s into the pod's network namespace (%s)", c->cni_netns,
                    c->userns.net_path);
  return 0;
}

/* A create that fails after move_pod_network: CNI's namespace back at its
 * path, with the interfaces (best effort: the create fails anyway). */
static void
undo_pod_network (struct create *c)
{
  struct og_error ignored = { 0 };
  bool done;

  if (!c->net_moved)
    return;
  if (c->net_replaced)
    ocigate_pod_net_replace (c->cni_netns, c->userns.netfd, c->cni_fd, &done, &ignored);
  og_error_clear (&ignored);
  ocigate_pod_net_move (c->userns.netfd, c->cni_fd, &done, &ignored);
  og_error_clear (&ignored);
  c->net_moved = false;
}

/* Allocate a host id range and stage the idmapped rootfs.  When that
 * cannot be done, c->userns_missing says why, and the rule refuses or
 * (only where the policy says so) records running without one. */
static void
setup_userns (struct create *c)
{
  const struct og_policy *p = c->policy;
  const char *id = c->r->cl.id, *root = c->r->cl.root, *pidns;
  og_cleanup_free char *rootfs = NULL, *existing = NULL;
  og_cleanup_close int fd = -1;
  struct og_error err = { 0 };
  struct stat st;
  char *msg;

  /* `runc run` in the foreground deletes its container itself, without a
   * `delete` through us: staging left by earlier ones is released here */
  if (strcmp (c->r->cl.command, "run") == 0 && !p->audit_only)
    {
      struct og_error ignored = { 0 };
      if (p->userns.mode != OG_USERNS_OFF)
        ocigate_userns_gc (c->r->cl.state_dir, false, &ignored);
      og_error_clear (&ignored);
      ocigate_stage_gc (c->r->cl.state_dir, false, &ignored);
      og_error_clear (&ignored);
    }
  if (engine_userns (c) || p->userns.mode == OG_USERNS_OFF)
    return;
  if (!og_container_id_valid (id))
    {
      no_userns (c, OG_USERNS_MISSING_REFUSED, og_xstrdup ("the container id is not one runc accepts"));
      return;
    }
  /* runc refuses an id it has; checked before anything is allocated, so
   * a duplicate create never restages or releases the existing
   * container's range (nor leaves a record that would make a root exec
   * into that container look mapped away) */
  existing = og_xasprintf ("%s/%s", root, id);
  if (lstat (existing, &st) == 0)
    {
      no_userns (c, OG_USERNS_MISSING_REFUSED,
                 og_xasprintf ("container %s already exists under runtime root %s", id, root));
      return;
    }
  /* procfs can only be mounted for a pid namespace the container's user
   * namespace owns: a joined one must be shared with its owner */
  pidns = joined_pid_ns (c->spec);
  if (pidns && pidns[0] == '\0')
    {
      no_userns (c, OG_USERNS_MISSING_PIDNS, og_xstrdup ("the container shares the host's pid namespace"));
      return;
    }
  if ((msg = ocigate_pod_netns_unmappable (&c->facts, c->spec)) != NULL)
    {
      no_userns (c, OG_USERNS_MISSING_UNSUPPORTED, msg);
      return;
    }
  rootfs = rootfs_path (c, &fd);
  if (rootfs == NULL)
    {
      no_userns (c, OG_USERNS_MISSING_UNSUPPORTED,
                 og_xasprintf ("the root filesystem cannot be resolved (%s)", strerror (errno)));
      return;
    }
  c->staged_rootfs = og_xstrdup (rootfs);
  if (allocate (c) < 0 || pod_sandbox_network (c) < 0)
    return;
  if (ocigate_userns_stage (&c->userns, fd, root, id, &err) < 0)
    give_back (c, OG_USERNS_MISSING_UNSUPPORTED, og_steal_pointer (&err.msg));
}

static int
use_staged_root (struct create *c, struct og_error *err)
{
  struct og_json *root = og_json_get_set (c->spec, "root");
  struct og_json *np = NULL, *path = og_json_get (root, "path");
  og_cleanup_free char *judged = NULL;

  /* The stage is a clone of the object named c->staged_rootfs when it was
   * opened; the mounts rule judged root.path, which it rewrote to the name
   * it resolved: the same name, or a rename in between swapped what was
   * checked.  (Resolved again here only when the rule records without
   * rewriting: no third resolution to race otherwise.) */
  if (c->policy->mounts.action != OG_ACTION_AUDIT && og_json_is_string (path) && path->text[0] == '/')
    judged = og_xstrdup (path->text);
  else
    judged = rootfs_path (c, NULL);
  if (judged == NULL || strcmp (judged, c->staged_rootfs) != 0)
    return og_error_set (err, 0, "the root filesystem %s changed while it was checked (now %s)", c->staged_rootfs,
                         judged ? judged : strerror (errno));
  np = og_json_new_string (c->userns.stage_root);

  og_decisions_add (&c->r->decisions, "user_namespace", OG_DECISION_MUTATE, "root.path",
                    og_json_to_text (og_json_get (root, "path")), og_json_to_text (np),
                    "the root filesystem is an idmapped mount of the image for the container's id range");
  og_json_set (root, "path", np);
  return 0;
}

/* The host gid of the container's gid 0, which runc mounts as: the range
 * when we map it, the engine's own mapping otherwise (0: none, or a user
 * namespace joined by path, whose mapping the config does not say). */
static gid_t
root_gid (const struct create *c)
{
  struct og_json *ns = og_json_path (c->spec, "linux", "namespaces", NULL);
  struct og_json *maps = og_json_path (c->spec, "linux", "gidMappings", NULL);
  bool userns = false;

  if (c->userns.staged)
    return (gid_t)c->userns.range.host_start;
  for (size_t i = 0; ns && ns->type == OG_JSON_ARRAY && i < ns->n; i++)
    {
      struct og_json *t = og_json_get_set (ns->vals[i], "type");
      userns |= og_json_is_string (t) && strcmp (t->text, "user") == 0;
    }
  for (size_t i = 0; userns && maps && maps->type == OG_JSON_ARRAY && i < maps->n; i++)
    {
      int64_t cid, hid, size;
      if (og_json_int64 (og_json_get (maps->vals[i], "containerID"), &cid) == 0
          && og_json_int64 (og_json_get (maps->vals[i], "hostID"), &hid) == 0
          && og_json_int64 (og_json_get (maps->vals[i], "size"), &size) == 0 && cid == 0 && size > 0 && hid >= 0
          && hid <= UINT32_MAX)
        return (gid_t)hid;
    }
  return 0;
}

/* runc's "rbind" binds the submounts too, "bind" only the top mount: the
 * stage holds what runc would have seen at the source, no more. */
static bool
wants_recursive (const struct og_json *m)
{
  return og_json_array_has_string (og_json_get_set (m, "options"), "rbind");
}

/* runc reads options in order: the last of `on` and `off` wins. */
static bool
option_on (const struct og_json *opts, const char *on, const char *off)
{
  bool set = false;

  for (size_t i = 0; opts && opts->type == OG_JSON_ARRAY && i < opts->n; i++)
    if (og_json_is_string (opts->vals[i]))
      {
        if (strcmp (opts->vals[i]->text, on) == 0)
          set = true;
        else if (strcmp (opts->vals[i]->text, off) == 0)
          set = false;
      }
  return set;
}

static unsigned
stage_flags (const struct og_json *m, bool idmap)
{
  struct og_json *opts = og_json_get_set (m, "options");

  return (wants_recursive (m) ? OCIGATE_STAGE_RECURSIVE : 0) | (idmap ? OCIGATE_STAGE_IDMAP : 0)
         | (option_on (opts, "ro", "rw") ? OCIGATE_STAGE_RDONLY : 0)
         | (option_on (opts, "nosuid", "suid") ? OCIGATE_STAGE_NOSUID : 0)
         | (option_on (opts, "nodev", "dev") ? OCIGATE_STAGE_NODEV : 0)
         | (option_on (opts, "noexec", "exec") ? OCIGATE_STAGE_NOEXEC : 0);
}

/* In a user namespace, runc's remount of a bind cannot clear a flag the
 * source's mount has (the kernel locks them for a less privileged mount
 * namespace: EPERM, seen with the CRI sandbox's noexec /dev/shm): the
 * options say them, so the remount keeps what the container could not
 * lose anyway. */
static void
keep_locked_flags (struct create *c, size_t i, struct og_json *m, int fd)
{
  static const struct
  {
    unsigned long st;
    const char *on, *off;
  } locked[] = { { ST_RDONLY, "ro", "rw" },
                 { ST_NOSUID, "nosuid", "suid" },
                 { ST_NODEV, "nodev", "dev" },
                 { ST_NOEXEC, "noexec", "exec" } };
  struct og_json *opts = og_json_get_set (m, "options");
  og_cleanup_free char *path = og_xasprintf ("mounts[%zu].options", i);
  struct statvfs sv;

  if (!(c->userns.staged || c->engine_userns) || fstatvfs (fd, &sv) < 0)
    return;
  for (size_t k = 0; k < sizeof locked / sizeof locked[0]; k++)
    {
      if (!(sv.f_flag & locked[k].st) || option_on (opts, locked[k].on, locked[k].off))
        continue;
      if (opts == NULL || opts->type != OG_JSON_ARRAY)
        {
          opts = og_json_new (OG_JSON_ARRAY);
          og_json_set (m, "options", opts);
        }
      og_decisions_add (&c->r->decisions, "mounts", OG_DECISION_MUTATE, path, og_json_to_text (opts), NULL,
                        "\"%s\": the bind source's mount is %s, which a user namespace cannot undo", locked[k].on,
                        locked[k].on);
      og_json_append (opts, og_json_new_string (locked[k].on));
    }
}

/* Kubernetes' hostUsers: false: containerd idmaps binds through the pod's
 * mapping (the rule on fields let exactly that through); as with ocigate's
 * own user namespaces, only the engine's own files and named volumes keep
 * it: anywhere else container root would write as host root. */
static void
keep_cri_idmap (struct create *c, size_t i, struct og_json *m, const struct og_judged_source *j)
{
  static const char *const keys[] = { "uidMappings", "gidMappings" };

  if (!c->engine_userns || j->owned)
    return;
  for (size_t k = 0; k < 2; k++)
    {
      struct og_json *v = og_json_get_set (m, keys[k]);
      og_cleanup_free char *path = og_xasprintf ("mounts[%zu].%s", i, keys[k]);
      if (v == NULL)
        continue;
      og_decisions_add (&c->r->decisions, "user_namespace", OG_DECISION_MUTATE, path, og_json_to_text (v), NULL,
                        "not idmapped: the bind source is not the engine's own files or a named volume "
                        "(mounts.allow_sources), so its files keep their host owners");
      og_json_remove (m, keys[k]);
    }
}

static int
stage_one (struct create *c, size_t i, struct og_json *m, const struct og_judged_source *j, struct og_error *err)
{
  struct og_json *src = og_json_get_set (m, "source");
  bool idmap = c->userns.staged && j->owned;
  og_cleanup_free char *staged = NULL, *why = NULL, *path = og_xasprintf ("mounts[%zu].source", i);
  unsigned flags;

  keep_locked_flags (c, i, m, j->fd);
  keep_cri_idmap (c, i, m, j);
  flags = stage_flags (m, idmap);

  if (ocigate_userns_stage_bind (&c->userns, i, j->fd, flags, &staged, &why, err) < 0)
    return og_error_wrap (err, "%s: bind source %s cannot be staged", path, og_json_is_string (src) ? src->text : "?");
  if (why)
    og_decisions_add (&c->r->decisions, "user_namespace", OG_DECISION_AUDIT, path, og_json_to_text (src), NULL,
                      "bind source not idmapped (%s): its files keep their host owners", why);
  og_decisions_add (
      &c->r->decisions, "mounts", OG_DECISION_MUTATE, path, og_json_to_text (src), og_xasprintf ("\"%s\"", staged),
      idmap && !why      ? "the checked bind source, staged, seen through the container's id mapping"
      : c->userns.staged ? "the checked bind source, staged without the id mapping (not the engine's own files or "
                           "a named volume: host-owned files belong to nobody inside)"
                         : "the checked bind source, staged so runc mounts what was checked");
  og_json_set (m, "source", og_json_new_string (staged));
  return 0;
}

/* Each bind source the mounts rule accepted is mounted from the object it
 * judged (a clone under the stage dir), never from its path again: a
 * rename between the check and runc's mount, or an earlier mount in the
 * config over a path component, would swap it. */
static int
stage_binds (struct create *c, struct og_error *err)
{
  struct og_json *mounts = og_json_get_set (c->spec, "mounts");

  if (c->judged.n == 0 || c->r->cl.id == NULL || mounts == NULL || mounts->type != OG_JSON_ARRAY)
    return 0;
  if (ocigate_stage_prepare (&c->userns, c->r->cl.state_dir, c->r->cl.root, c->r->cl.id, root_gid (c), err) < 0)
    return og_error_wrap (err, "cannot stage the bind sources");
  for (size_t i = 0; i < mounts->n; i++)
    {
      const struct og_judged_source *j = og_judged_source_of (&c->judged, mounts->vals[i]);
      if (j && stage_one (c, i, mounts->vals[i], j, err) < 0)
        return -1;
    }
  return 0;
}

/* The state dir holds every container's staged rootfs and binds (host
 * root reaches them all): neither a bind source nor the root filesystem
 * may lie there, wherever --ocigate-state-dir points. */
static int
refuse_own_state (struct create *c, struct og_error *err)
{
  og_cleanup_free char *state = og_realpath (c->r->cl.state_dir), *rootfs = rootfs_path (c, NULL);
  struct og_json *mounts = og_json_get_set (c->spec, "mounts");

  if (state == NULL)
    return 0; /* nothing staged there yet */
  if (rootfs && og_path_under (rootfs, state))
    {
      og_error_set (err, 0, "refused by policy: root.path: root filesystem %s lies in ocigate's state directory %s",
                    rootfs, state);
      return OCIGATE_REFUSED;
    }
  for (size_t i = 0; mounts && mounts->type == OG_JSON_ARRAY && i < mounts->n; i++)
    {
      struct og_json *src = og_json_get_set (mounts->vals[i], "source");
      if (og_judged_source_of (&c->judged, mounts->vals[i]) && og_json_is_string (src)
          && og_path_under (src->text, state))
        {
          og_error_set (err, 0,
                        "refused by policy: mounts[%zu].source: bind source %s lies in ocigate's state "
                        "directory %s (other containers' staged mounts)",
                        i, src->text, state);
          return OCIGATE_REFUSED;
        }
    }
  return 0;
}

/* The judged config replaces config.json; OCIGATE_ACCEPTED leaves the
 * staging to r->staged (released should the exec fail). */
static int
create (struct ocigate_run *r, bool restore, struct og_error *err)
{
  cleanup_create struct create c = { .r = r, .bundle = { .dirfd = -1 }, .cni_fd = -1 };
  struct og_enforce_ctx ctx = { .policy = r->policy, .bundle = r->cl.bundle, .container_id = r->cl.id };
  og_cleanup_free char *out = NULL;
  size_t out_len;
  int rc;

  if (ocigate_bundle_open (r->cl.bundle, &c.bundle, err) < 0
      || og_spec_parse (c.bundle.data, c.bundle.len, &c.spec, err) < 0)
    return og_error_wrap (err, "config.json of bundle %s", r->cl.bundle ? r->cl.bundle : ".");
  if (restore && (rc = ocigate_restore_judge (r, c.spec, err)) < 0)
    return rc; /* before any range is allocated */
  og_engine_facts_read (r->policy, r->cl.bundle, r->cl.root, r->cl.id, c.spec, &c.facts);
  ctx.facts = &c.facts;
  /* a profile only tightens (policy/profiles_load.c); chosen by trusted facts */
  ctx.policy = c.policy = og_policy_select (r->policy, &c.facts, &r->profile);
  setup_userns (&c);
  ctx.userns = c.userns.staged ? &c.userns.range : NULL;
  ctx.userns_error = c.userns_error;
  ctx.userns_why = c.userns_missing;
  ctx.userns_join = c.userns.staged ? c.userns.join_path : NULL;
  ctx.userns_join_kind = c.join_kind;
  ctx.userns_owner = c.userns.owner_id;
  ctx.userns_joined_ns = c.userns.staged ? c.userns.joined_path : NULL;
  ctx.pod_netns = c.userns.staged ? c.userns.net_path : NULL;
  ctx.userns_engine = c.engine_userns ? &c.engine_range : NULL;
  ctx.userns_engine_judged = c.engine_judged;
  ctx.judged = &c.judged;
  if (og_enforce_config (&ctx, c.spec, &r->decisions, err) < 0)
    return OCIGATE_ERROR;
  if (og_decisions_refused (&r->decisions))
    return OCIGATE_REFUSED;
  if (!r->policy->audit_only && (rc = refuse_own_state (&c, err)) < 0)
    return rc;
  if (c.userns.staged && !r->policy->audit_only && use_staged_root (&c, err) < 0)
    return OCIGATE_ERROR;
  if (!r->policy->audit_only && stage_binds (&c, err) < 0)
    return OCIGATE_ERROR;
  if (!r->policy->audit_only && move_pod_network (&c, err) < 0)
    return OCIGATE_ERROR;
  og_judged_sources_free (&c.judged);
  if (og_json_write (c.spec, false, &out, &out_len, err) < 0 || ocigate_bundle_write (&c.bundle, out, out_len, err) < 0)
    {
      undo_pod_network (&c);
      return OCIGATE_ERROR;
    }
  ocigate_userns_reap (&c.userns);
  if (c.userns.allocated || c.userns.binds_staged)
    {
      r->staged = og_xmalloc (sizeof *r->staged);
      *r->staged = c.userns;
      memset (&c.userns, 0, sizeof c.userns);
    }
  /* Not freed: the exec that follows replaces the whole address space,
   * and freeing ~1000 nodes would cost more than the rest of the call's
   * bookkeeping.  Descriptors are O_CLOEXEC. */
  r->spec = og_steal_pointer (&c.spec);
  return OCIGATE_ACCEPTED;
}

int
ocigate_cmd_create (struct ocigate_run *r, struct og_error *err)
{
  return create (r, false, err);
}

int
ocigate_cmd_restore (struct ocigate_run *r, struct og_error *err)
{
  return create (r, true, err);
}
