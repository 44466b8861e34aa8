/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The members of a config.json, process.json and update resources document
 * that ocigate knows: the json tags of runtime-spec's specs-go (config.go),
 * the union of releases v1.0.2 to v1.3.0, Linux only (the solaris, windows,
 * vm, zos and freebsd sections are not for the Linux runtimes ocigate
 * wraps).  A runtime newer than ocigate acts on members ocigate has never
 * judged (crun 1.28 moves a host interface in for linux.netDevices), so a
 * member outside this table is reported, and by default refused
 * (rule_fields.c).  Each table is sorted by name.  The table follows the
 * spec's tags; doc/fields.md says which rule judges each member.
 */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocigate/spec.h"
#include "ocigate/util.h"

#define OG_N(a) (sizeof (a) / sizeof (a)[0])

enum og_spec_kind
{
  OG_SPEC_SCALAR,   /* a value, or an array of values: nothing below to judge */
  OG_SPEC_STRUCT,   /* an object of `type` */
  OG_SPEC_ARRAY,    /* an array of objects of `type` */
  OG_SPEC_MAP,      /* an object whose keys are data and whose values are of `type` */
  OG_SPEC_FREE_MAP, /* an object whose keys and values are data (annotations, sysctl, unified) */
};

struct og_spec_field
{
  const char *name;
  enum og_spec_kind kind;
  const struct og_spec_type *type;
};

struct og_spec_type
{
  const char *name;
  const struct og_spec_field *fields;
  size_t n;
};

static const struct og_spec_type t_spec;
static const struct og_spec_type t_process;
static const struct og_spec_type t_box;
static const struct og_spec_type t_user;
static const struct og_spec_type t_linux_capabilities;
static const struct og_spec_type t_posix_rlimit;
static const struct og_spec_type t_scheduler;
static const struct og_spec_type t_linuxio_priority;
static const struct og_spec_type t_cpu_affinity;
static const struct og_spec_type t_root;
static const struct og_spec_type t_mount;
static const struct og_spec_type t_linuxid_mapping;
static const struct og_spec_type t_hooks;
static const struct og_spec_type t_hook;
static const struct og_spec_type t_linux;
static const struct og_spec_type t_linux_resources;
static const struct og_spec_type t_linux_device_cgroup;
static const struct og_spec_type t_linux_memory;
static const struct og_spec_type t_linuxcpu;
static const struct og_spec_type t_linux_pids;
static const struct og_spec_type t_linux_blockio;
static const struct og_spec_type t_linux_weight_device;
static const struct og_spec_type t_linux_throttle_device;
static const struct og_spec_type t_linux_hugepage_limit;
static const struct og_spec_type t_linux_network;
static const struct og_spec_type t_linux_interface_priority;
static const struct og_spec_type t_linux_rdma;
static const struct og_spec_type t_linux_namespace;
static const struct og_spec_type t_linux_device;
static const struct og_spec_type t_linux_seccomp;
static const struct og_spec_type t_linux_syscall;
static const struct og_spec_type t_linux_seccomp_arg;
static const struct og_spec_type t_linux_intel_rdt;
static const struct og_spec_type t_linux_personality;
static const struct og_spec_type t_linux_time_offset;
static const struct og_spec_type t_linux_net_device;
static const struct og_spec_type t_linux_memory_policy;

static const struct og_spec_field f_linux_memory_policy[] = {
  { "flags", OG_SPEC_SCALAR, NULL },
  { "mode", OG_SPEC_SCALAR, NULL },
  { "nodes", OG_SPEC_SCALAR, NULL },
};
static const struct og_spec_type t_linux_memory_policy
    = { "LinuxMemoryPolicy", f_linux_memory_policy, OG_N (f_linux_memory_policy) };

static const struct og_spec_field f_linux_net_device[] = {
  { "name", OG_SPEC_SCALAR, NULL },
};
static const struct og_spec_type t_linux_net_device
    = { "LinuxNetDevice", f_linux_net_device, OG_N (f_linux_net_device) };

static const struct og_spec_field f_linux_time_offset[] = {
  { "nanosecs", OG_SPEC_SCALAR, NULL },
  { "secs", OG_SPEC_SCALAR, NULL },
};
static const struct og_spec_type t_linux_time_offset
    = { "LinuxTimeOffset", f_linux_time_offset, OG_N (f_linux_time_offset) };

static const struct og_spec_field f_linux_personality[] = {
  { "domain", OG_SPEC_SCALAR, NULL },
  { "flags", OG_SPEC_SCALAR, NULL },
};
static const struct og_spec_type t_linux_personality
    = { "LinuxPersonality", f_linux_personality, OG_N (f_linux_personality) };

static const struct og_spec_field f_linux_intel_rdt[] = {
  { "closID", OG_SPEC_SCALAR, NULL },        { "enableCMT", OG_SPEC_SCALAR, NULL },
  { "enableMBM", OG_SPEC_SCALAR, NULL },     { "enableMonitoring", OG_SPEC_SCALAR, NULL },
  { "l3CacheSchema", OG_SPEC_SCALAR, NULL }, { "memBwSchema", OG_SPEC_SCALAR, NULL },
  { "schemata", OG_SPEC_SCALAR, NULL },
};
static const struct og_spec_type t_linux_intel_rdt = { "LinuxIntelRdt", f_linux_intel_rdt, OG_N (f_linux_intel_rdt) };

static const struct og_spec_field f_linux_seccomp_arg[] = {
  { "index", OG_SPEC_SCALAR, NULL },
  { "op", OG_SPEC_SCALAR, NULL },
  { "value", OG_SPEC_SCALAR, NULL },
  { "valueTwo", OG_SPEC_SCALAR, NULL },
};
static const struct og_spec_type t_linux_seccomp_arg
    = { "LinuxSeccompArg", f_linux_seccomp_arg, OG_N (f_linux_seccomp_arg) };

static const struct og_spec_field f_linux_syscall[] = {
  { "action", OG_SPEC_SCALAR, NULL },
  { "args", OG_SPEC_ARRAY, &t_linux_seccomp_arg },
  { "errnoRet", OG_SPEC_SCALAR, NULL },
  { "names", OG_SPEC_SCALAR, NULL },
};
static const struct og_spec_type t_linux_syscall = { "LinuxSyscall", f_linux_syscall, OG_N (f_linux_syscall) };

static const struct og_spec_field f_linux_seccomp[] = {
  { "architectures", OG_SPEC_SCALAR, NULL },       { "defaultAction", OG_SPEC_SCALAR, NULL },
  { "defaultErrnoRet", OG_SPEC_SCALAR, NULL },     { "flags", OG_SPEC_SCALAR, NULL },
  { "listenerMetadata", OG_SPEC_SCALAR, NULL },    { "listenerPath", OG_SPEC_SCALAR, NULL },
  { "syscalls", OG_SPEC_ARRAY, &t_linux_syscall },
};
static const struct og_spec_type t_linux_seccomp = { "LinuxSeccomp", f_linux_seccomp, OG_N (f_linux_seccomp) };

static const struct og_spec_field f_linux_device[] = {
  { "fileMode", OG_SPEC_SCALAR, NULL }, { "gid", OG_SPEC_SCALAR, NULL },  { "major", OG_SPEC_SCALAR, NULL },
  { "minor", OG_SPEC_SCALAR, NULL },    { "path", OG_SPEC_SCALAR, NULL }, { "type", OG_SPEC_SCALAR, NULL },
  { "uid", OG_SPEC_SCALAR, NULL },
};
static const struct og_spec_type t_linux_device = { "LinuxDevice", f_linux_device, OG_N (f_linux_device) };

static const struct og_spec_field f_linux_namespace[] = {
  { "path", OG_SPEC_SCALAR, NULL },
  { "type", OG_SPEC_SCALAR, NULL },
};
static const struct og_spec_type t_linux_namespace = { "LinuxNamespace", f_linux_namespace, OG_N (f_linux_namespace) };

static const struct og_spec_field f_linux_rdma[] = {
  { "hcaHandles", OG_SPEC_SCALAR, NULL },
  { "hcaObjects", OG_SPEC_SCALAR, NULL },
};
static const struct og_spec_type t_linux_rdma = { "LinuxRdma", f_linux_rdma, OG_N (f_linux_rdma) };

static const struct og_spec_field f_linux_interface_priority[] = {
  { "name", OG_SPEC_SCALAR, NULL },
  { "priority", OG_SPEC_SCALAR, NULL },
};
static const struct og_spec_type t_linux_interface_priority
    = { "LinuxInterfacePriority", f_linux_interface_priority, OG_N (f_linux_interface_priority) };

static const struct og_spec_field f_linux_network[] = {
  { "classID", OG_SPEC_SCALAR, NULL },
  { "priorities", OG_SPEC_ARRAY, &t_linux_interface_priority },
};
static const struct og_spec_type t_linux_network = { "LinuxNetwork", f_linux_network, OG_N (f_linux_network) };

static const struct og_spec_field f_linux_hugepage_limit[] = {
  { "limit", OG_SPEC_SCALAR, NULL },
  { "pageSize", OG_SPEC_SCALAR, NULL },
};
static const struct og_spec_type t_linux_hugepage_limit
    = { "LinuxHugepageLimit", f_linux_hugepage_limit, OG_N (f_linux_hugepage_limit) };

static const struct og_spec_field f_linux_throttle_device[] = {
  { "major", OG_SPEC_SCALAR, NULL },
  { "minor", OG_SPEC_SCALAR, NULL },
  { "rate", OG_SPEC_SCALAR, NULL },
};
static const struct og_spec_type t_linux_throttle_device
    = { "LinuxThrottleDevice", f_linux_throttle_device, OG_N (f_linux_throttle_device) };

static const struct og_spec_field f_linux_weight_device[] = {
  { "leafWeight", OG_SPEC_SCALAR, NULL },
  { "major", OG_SPEC_SCALAR, NULL },
  { "minor", OG_SPEC_SCALAR, NULL },
  { "weight", OG_SPEC_SCALAR, NULL },
};
static const struct og_spec_type t_linux_weight_device
    = { "LinuxWeightDevice", f_linux_weight_device, OG_N (f_linux_weight_device) };

static const struct og_spec_field f_linux_blockio[] = {
  { "leafWeight", OG_SPEC_SCALAR, NULL },
  { "throttleReadBpsDevice", OG_SPEC_ARRAY, &t_linux_throttle_device },
  { "throttleReadIOPSDevice", OG_SPEC_ARRAY, &t_linux_throttle_device },
  { "throttleWriteBpsDevice", OG_SPEC_ARRAY, &t_linux_throttle_device },
  { "throttleWriteIOPSDevice", OG_SPEC_ARRAY, &t_linux_throttle_device },
  { "weight", OG_SPEC_SCALAR, NULL },
  { "weightDevice", OG_SPEC_ARRAY, &t_linux_weight_device },
};
static const struct og_spec_type t_linux_blockio = { "LinuxBlockIO", f_linux_blockio, OG_N (f_linux_blockio) };

static const struct og_spec_field f_linux_pids[] = {
  { "limit", OG_SPEC_SCALAR, NULL },
};
static const struct og_spec_type t_linux_pids = { "LinuxPids", f_linux_pids, OG_N (f_linux_pids) };

static const struct og_spec_field f_linuxcpu[] = {
  { "burst", OG_SPEC_SCALAR, NULL },          { "cpus", OG_SPEC_SCALAR, NULL },
  { "idle", OG_SPEC_SCALAR, NULL },           { "mems", OG_SPEC_SCALAR, NULL },
  { "period", OG_SPEC_SCALAR, NULL },         { "quota", OG_SPEC_SCALAR, NULL },
  { "realtimePeriod", OG_SPEC_SCALAR, NULL }, { "realtimeRuntime", OG_SPEC_SCALAR, NULL },
  { "shares", OG_SPEC_SCALAR, NULL },
};
static const struct og_spec_type t_linuxcpu = { "LinuxCPU", f_linuxcpu, OG_N (f_linuxcpu) };

static const struct og_spec_field f_linux_memory[] = {
  { "checkBeforeUpdate", OG_SPEC_SCALAR, NULL },
  { "disableOOMKiller", OG_SPEC_SCALAR, NULL },
  { "kernel", OG_SPEC_SCALAR, NULL },
  { "kernelTCP", OG_SPEC_SCALAR, NULL },
  { "limit", OG_SPEC_SCALAR, NULL },
  { "reservation", OG_SPEC_SCALAR, NULL },
  { "swap", OG_SPEC_SCALAR, NULL },
  { "swappiness", OG_SPEC_SCALAR, NULL },
  { "useHierarchy", OG_SPEC_SCALAR, NULL },
};
static const struct og_spec_type t_linux_memory = { "LinuxMemory", f_linux_memory, OG_N (f_linux_memory) };

static const struct og_spec_field f_linux_device_cgroup[] = {
  { "access", OG_SPEC_SCALAR, NULL }, { "allow", OG_SPEC_SCALAR, NULL }, { "major", OG_SPEC_SCALAR, NULL },
  { "minor", OG_SPEC_SCALAR, NULL },  { "type", OG_SPEC_SCALAR, NULL },
};
static const struct og_spec_type t_linux_device_cgroup
    = { "LinuxDeviceCgroup", f_linux_device_cgroup, OG_N (f_linux_device_cgroup) };

static const struct og_spec_field f_linux_resources[] = {
  { "blockIO", OG_SPEC_STRUCT, &t_linux_blockio },
  { "cpu", OG_SPEC_STRUCT, &t_linuxcpu },
  { "devices", OG_SPEC_ARRAY, &t_linux_device_cgroup },
  { "hugepageLimits", OG_SPEC_ARRAY, &t_linux_hugepage_limit },
  { "memory", OG_SPEC_STRUCT, &t_linux_memory },
  { "network", OG_SPEC_STRUCT, &t_linux_network },
  { "pids", OG_SPEC_STRUCT, &t_linux_pids },
  { "rdma", OG_SPEC_MAP, &t_linux_rdma },
  { "unified", OG_SPEC_FREE_MAP, NULL },
};
static const struct og_spec_type t_linux_resources = { "LinuxResources", f_linux_resources, OG_N (f_linux_resources) };

static const struct og_spec_field f_linux[] = {
  { "cgroupsPath", OG_SPEC_SCALAR, NULL },
  { "devices", OG_SPEC_ARRAY, &t_linux_device },
  { "gidMappings", OG_SPEC_ARRAY, &t_linuxid_mapping },
  { "intelRdt", OG_SPEC_STRUCT, &t_linux_intel_rdt },
  { "maskedPaths", OG_SPEC_SCALAR, NULL },
  { "memoryPolicy", OG_SPEC_STRUCT, &t_linux_memory_policy },
  { "mountLabel", OG_SPEC_SCALAR, NULL },
  { "namespaces", OG_SPEC_ARRAY, &t_linux_namespace },
  { "netDevices", OG_SPEC_MAP, &t_linux_net_device },
  { "personality", OG_SPEC_STRUCT, &t_linux_personality },
  { "readonlyPaths", OG_SPEC_SCALAR, NULL },
  { "resources", OG_SPEC_STRUCT, &t_linux_resources },
  { "rootfsPropagation", OG_SPEC_SCALAR, NULL },
  { "seccomp", OG_SPEC_STRUCT, &t_linux_seccomp },
  { "sysctl", OG_SPEC_FREE_MAP, NULL },
  { "timeOffsets", OG_SPEC_MAP, &t_linux_time_offset },
  { "uidMappings", OG_SPEC_ARRAY, &t_linuxid_mapping },
};
static const struct og_spec_type t_linux = { "Linux", f_linux, OG_N (f_linux) };

static const struct og_spec_field f_hook[] = {
  { "args", OG_SPEC_SCALAR, NULL },
  { "env", OG_SPEC_SCALAR, NULL },
  { "path", OG_SPEC_SCALAR, NULL },
  { "timeout", OG_SPEC_SCALAR, NULL },
};
static const struct og_spec_type t_hook = { "Hook", f_hook, OG_N (f_hook) };

static const struct og_spec_field f_hooks[] = {
  { "createContainer", OG_SPEC_ARRAY, &t_hook }, { "createRuntime", OG_SPEC_ARRAY, &t_hook },
  { "poststart", OG_SPEC_ARRAY, &t_hook },       { "poststop", OG_SPEC_ARRAY, &t_hook },
  { "prestart", OG_SPEC_ARRAY, &t_hook },        { "startContainer", OG_SPEC_ARRAY, &t_hook },
};
static const struct og_spec_type t_hooks = { "Hooks", f_hooks, OG_N (f_hooks) };

static const struct og_spec_field f_linuxid_mapping[] = {
  { "containerID", OG_SPEC_SCALAR, NULL },
  { "hostID", OG_SPEC_SCALAR, NULL },
  { "size", OG_SPEC_SCALAR, NULL },
};
static const struct og_spec_type t_linuxid_mapping = { "LinuxIDMapping", f_linuxid_mapping, OG_N (f_linuxid_mapping) };

static const struct og_spec_field f_mount[] = {
  { "destination", OG_SPEC_SCALAR, NULL }, { "gidMappings", OG_SPEC_ARRAY, &t_linuxid_mapping },
  { "options", OG_SPEC_SCALAR, NULL },     { "source", OG_SPEC_SCALAR, NULL },
  { "type", OG_SPEC_SCALAR, NULL },        { "uidMappings", OG_SPEC_ARRAY, &t_linuxid_mapping },
};
static const struct og_spec_type t_mount = { "Mount", f_mount, OG_N (f_mount) };

static const struct og_spec_field f_root[] = {
  { "path", OG_SPEC_SCALAR, NULL },
  { "readonly", OG_SPEC_SCALAR, NULL },
};
static const struct og_spec_type t_root = { "Root", f_root, OG_N (f_root) };

static const struct og_spec_field f_cpu_affinity[] = {
  { "final", OG_SPEC_SCALAR, NULL },
  { "initial", OG_SPEC_SCALAR, NULL },
};
static const struct og_spec_type t_cpu_affinity = { "CPUAffinity", f_cpu_affinity, OG_N (f_cpu_affinity) };

static const struct og_spec_field f_linuxio_priority[] = {
  { "class", OG_SPEC_SCALAR, NULL },
  { "priority", OG_SPEC_SCALAR, NULL },
};
static const struct og_spec_type t_linuxio_priority
    = { "LinuxIOPriority", f_linuxio_priority, OG_N (f_linuxio_priority) };

static const struct og_spec_field f_scheduler[] = {
  { "deadline", OG_SPEC_SCALAR, NULL }, { "flags", OG_SPEC_SCALAR, NULL },  { "nice", OG_SPEC_SCALAR, NULL },
  { "period", OG_SPEC_SCALAR, NULL },   { "policy", OG_SPEC_SCALAR, NULL }, { "priority", OG_SPEC_SCALAR, NULL },
  { "runtime", OG_SPEC_SCALAR, NULL },
};
static const struct og_spec_type t_scheduler = { "Scheduler", f_scheduler, OG_N (f_scheduler) };

static const struct og_spec_field f_posix_rlimit[] = {
  { "hard", OG_SPEC_SCALAR, NULL },
  { "soft", OG_SPEC_SCALAR, NULL },
  { "type", OG_SPEC_SCALAR, NULL },
};
static const struct og_spec_type t_posix_rlimit = { "POSIXRlimit", f_posix_rlimit, OG_N (f_posix_rlimit) };

static const struct og_spec_field f_linux_capabilities[] = {
  { "ambient", OG_SPEC_SCALAR, NULL },     { "bounding", OG_SPEC_SCALAR, NULL },  { "effective", OG_SPEC_SCALAR, NULL },
  { "inheritable", OG_SPEC_SCALAR, NULL }, { "permitted", OG_SPEC_SCALAR, NULL },
};
static const struct og_spec_type t_linux_capabilities
    = { "LinuxCapabilities", f_linux_capabilities, OG_N (f_linux_capabilities) };

static const struct og_spec_field f_user[] = {
  { "additionalGids", OG_SPEC_SCALAR, NULL }, { "gid", OG_SPEC_SCALAR, NULL },      { "uid", OG_SPEC_SCALAR, NULL },
  { "umask", OG_SPEC_SCALAR, NULL },          { "username", OG_SPEC_SCALAR, NULL },
};
static const struct og_spec_type t_user = { "User", f_user, OG_N (f_user) };

static const struct og_spec_field f_box[] = {
  { "height", OG_SPEC_SCALAR, NULL },
  { "width", OG_SPEC_SCALAR, NULL },
};
static const struct og_spec_type t_box = { "Box", f_box, OG_N (f_box) };

static const struct og_spec_field f_process[] = {
  { "apparmorProfile", OG_SPEC_SCALAR, NULL },
  { "args", OG_SPEC_SCALAR, NULL },
  { "capabilities", OG_SPEC_STRUCT, &t_linux_capabilities },
  { "commandLine", OG_SPEC_SCALAR, NULL },
  { "consoleSize", OG_SPEC_STRUCT, &t_box },
  { "cwd", OG_SPEC_SCALAR, NULL },
  { "env", OG_SPEC_SCALAR, NULL },
  { "execCPUAffinity", OG_SPEC_STRUCT, &t_cpu_affinity },
  { "ioPriority", OG_SPEC_STRUCT, &t_linuxio_priority },
  { "noNewPrivileges", OG_SPEC_SCALAR, NULL },
  { "oomScoreAdj", OG_SPEC_SCALAR, NULL },
  { "rlimits", OG_SPEC_ARRAY, &t_posix_rlimit },
  { "scheduler", OG_SPEC_STRUCT, &t_scheduler },
  { "selinuxLabel", OG_SPEC_SCALAR, NULL },
  { "terminal", OG_SPEC_SCALAR, NULL },
  { "user", OG_SPEC_STRUCT, &t_user },
};
static const struct og_spec_type t_process = { "Process", f_process, OG_N (f_process) };

static const struct og_spec_field f_spec[] = {
  { "annotations", OG_SPEC_FREE_MAP, NULL }, { "domainname", OG_SPEC_SCALAR, NULL },
  { "hooks", OG_SPEC_STRUCT, &t_hooks },     { "hostname", OG_SPEC_SCALAR, NULL },
  { "linux", OG_SPEC_STRUCT, &t_linux },     { "mounts", OG_SPEC_ARRAY, &t_mount },
  { "ociVersion", OG_SPEC_SCALAR, NULL },    { "process", OG_SPEC_STRUCT, &t_process },
  { "root", OG_SPEC_STRUCT, &t_root },
};
static const struct og_spec_type t_spec = { "Spec", f_spec, OG_N (f_spec) };

static const struct og_spec_field *
find_field (const struct og_spec_type *t, const char *key)
{
  size_t lo = 0, hi = t->n;

  while (lo < hi)
    {
      size_t mid = (lo + hi) / 2;
      int c = strcmp (key, t->fields[mid].name);
      if (c == 0)
        return &t->fields[mid];
      if (c < 0)
        hi = mid;
      else
        lo = mid + 1;
    }
  return NULL;
}

/* The path to the member being looked at, as frames: a key, or an array
 * index.  The path text is only made for an unknown member: a create walks
 * every member of the config, and almost all of them are known. */
#define MAX_FRAMES 80 /* deeper than the parser's nesting limit */

struct frame
{
  const char *key; /* NULL: an array element */
  size_t index;
  bool map_key; /* the key is data (a map's): its shape is "*" */
};

struct walk
{
  og_spec_unknown_fn fn;
  void *data;
  size_t found;
  const char *prefix;
  struct frame frames[MAX_FRAMES];
  size_t depth;
};

static void walk_object (struct walk *w, struct og_json *obj, const struct og_spec_type *t);

static bool
push (struct walk *w, const char *key, size_t index, bool map_key)
{
  if (w->depth == MAX_FRAMES)
    return false;
  w->frames[w->depth++] = (struct frame){ .key = key, .index = index, .map_key = map_key };
  return true;
}

/* The real path ("mounts[2].extra") or the shape ("mounts[].extra"). */
static char *
path_text (const struct walk *w, bool shape)
{
  struct og_buf b = { 0 };

  og_buf_puts (&b, w->prefix);
  for (size_t i = 0; i < w->depth; i++)
    {
      const struct frame *f = &w->frames[i];
      char idx[32];

      if (f->key == NULL)
        {
          snprintf (idx, sizeof idx, "[%zu]", f->index);
          og_buf_puts (&b, shape ? "[]" : idx);
          continue;
        }
      if (b.len)
        og_buf_puts (&b, ".");
      og_buf_puts (&b, shape && f->map_key ? "*" : f->key);
    }
  if (b.buf == NULL)
    og_buf_puts (&b, "");
  return b.buf;
}

static void
walk_value (struct walk *w, struct og_json *v, const struct og_spec_field *f)
{
  switch (f->kind)
    {
      case OG_SPEC_STRUCT:
        if (v->type == OG_JSON_OBJECT)
          walk_object (w, v, f->type);
        return;
      case OG_SPEC_ARRAY:
        if (v->type != OG_JSON_ARRAY)
          return;
        for (size_t i = 0; i < v->n; i++)
          if (v->vals[i]->type == OG_JSON_OBJECT && push (w, NULL, i, false))
            {
              walk_object (w, v->vals[i], f->type);
              w->depth--;
            }
        return;
      case OG_SPEC_MAP:
        if (v->type != OG_JSON_OBJECT)
          return;
        for (size_t i = 0; i < v->n; i++)
          if (v->vals[i]->type == OG_JSON_OBJECT && push (w, v->keys[i], 0, true))
            {
              walk_object (w, v->vals[i], f->type);
              w->depth--;
            }
        return;
      case OG_SPEC_SCALAR:
      case OG_SPEC_FREE_MAP:
        return;
    }
}

static void
walk_object (struct walk *w, struct og_json *obj, const struct og_spec_type *t)
{
  for (size_t i = 0; i < obj->n; i++)
    {
      const struct og_spec_field *f = find_field (t, obj->keys[i]);

      if (!push (w, obj->keys[i], 0, false))
        return;
      if (f)
        walk_value (w, obj->vals[i], f);
      else
        {
          og_cleanup_free char *p = path_text (w, false);
          og_cleanup_free char *s = path_text (w, true);

          w->found++;
          if (w->fn (obj, i, p, s, w->data))
            i--; /* the callback removed it */
        }
      w->depth--;
    }
}

size_t
og_spec_unknown_members (struct og_json *doc, enum og_spec_doc kind, const char *prefix, og_spec_unknown_fn fn,
                         void *data)
{
  static const struct og_spec_type *const roots[] = {
    [OG_SPEC_DOC_CONFIG] = &t_spec,
    [OG_SPEC_DOC_PROCESS] = &t_process,
    [OG_SPEC_DOC_RESOURCES] = &t_linux_resources,
  };
  struct walk w = { .fn = fn, .data = data, .prefix = prefix ? prefix : "" };

  if (doc && doc->type == OG_JSON_OBJECT)
    walk_object (&w, doc, roots[kind]);
  return w.found;
}
