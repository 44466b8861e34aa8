/* SPDX-License-Identifier: Apache-2.0 */
/*
 * runc decodes config.json into specs.Spec with Go's encoding/json, which
 * matches object keys to struct fields case-insensitively (with Unicode
 * simple folding) and lets the last of several matching keys win.  A key such
 * as "Privileged" or "noNewPri\u017Fileges" would be invisible to a reader
 * that compares exactly, yet effective in runc.  We refuse them.
 */
#include <config.h>
#include <stdlib.h>
#include <string.h>

#include "ocigate/spec.h"
#include "ocigate/util.h"

/* Every json tag of runtime-spec's specs-go (config.go), releases v1.0.2 to
 * v1.3.0, in its exact spelling.  The check is global rather than per
 * struct, which is stricter than Go but never looser. */
static const char *const known_fields[] = {
  "access",
  "action",
  "additionalGids",
  "affinity",
  "allow",
  "allowedAddress",
  "allowUnqualifiedDNSQuery",
  "ambient",
  "anet",
  "annotations",
  "apparmorProfile",
  "architectures",
  "args",
  "blockIO",
  "bounding",
  "bps",
  "burst",
  "capabilities",
  "cappedCPU",
  "cappedMemory",
  "cgroupsPath",
  "checkBeforeUpdate",
  "chflags",
  "class",
  "classID",
  "closID",
  "commandLine",
  "configureAllowedAddress",
  "consoleSize",
  "containerID",
  "count",
  "cpu",
  "cpus",
  "createContainer",
  "createRuntime",
  "credentialSpec",
  "cwd",
  "deadline",
  "defaultAction",
  "defaultErrnoRet",
  "defrouter",
  "destination",
  "devices",
  "deviceTree",
  "disableOOMKiller",
  "DNSSearchList",
  "domain",
  "domainname",
  "dtdevs",
  "effective",
  "enableCMT",
  "enableMBM",
  "enableMonitoring",
  "endpointList",
  "enforceStatfs",
  "env",
  "errnoRet",
  "execCPUAffinity",
  "fileMode",
  "final",
  "firstGFN",
  "firstMFN",
  "flags",
  "format",
  "freebsd",
  "gid",
  "gidMappings",
  "group",
  "hard",
  "hcaHandles",
  "hcaObjects",
  "height",
  "hooks",
  "host",
  "hostID",
  "hostname",
  "hugepageLimits",
  "hwconfig",
  "hyperv",
  "hypervisor",
  "id",
  "idle",
  "idType",
  "ignoreFlushesDuringBoot",
  "image",
  "index",
  "inheritable",
  "initial",
  "initrd",
  "intelRdt",
  "interface",
  "iomems",
  "ioPriority",
  "iops",
  "ip4",
  "ip4Addr",
  "ip6",
  "ip6Addr",
  "irqs",
  "jail",
  "kernel",
  "kernelTCP",
  "l3CacheSchema",
  "layerFolders",
  "leafWeight",
  "limit",
  "limitpriv",
  "linkname",
  "linkProtection",
  "linux",
  "listenerMetadata",
  "listenerPath",
  "lowerLink",
  "macAddress",
  "major",
  "mask",
  "maskedPaths",
  "maximum",
  "maxShmMemory",
  "memBwSchema",
  "memory",
  "memoryPolicy",
  "mems",
  "milestone",
  "minor",
  "mlock",
  "mode",
  "mount",
  "mountLabel",
  "mounts",
  "name",
  "names",
  "namespaces",
  "nanosecs",
  "ncpus",
  "netDevices",
  "network",
  "networkNamespace",
  "networkSharedContainerName",
  "nice",
  "nodes",
  "noNewPrivileges",
  "nrMFNs",
  "ociVersion",
  "oomScoreAdj",
  "op",
  "options",
  "pageSize",
  "parameters",
  "parent",
  "path",
  "period",
  "permitted",
  "personality",
  "physical",
  "pids",
  "policy",
  "poststart",
  "poststop",
  "prestart",
  "priorities",
  "priority",
  "process",
  "quota",
  "quotas",
  "rate",
  "rawSockets",
  "rdma",
  "readonly",
  "readonlyPaths",
  "realtimePeriod",
  "realtimeRuntime",
  "reservation",
  "reservedPorts",
  "resources",
  "rlimits",
  "root",
  "rootfsPropagation",
  "runtime",
  "sandboxSize",
  "scheduler",
  "schemata",
  "seccomp",
  "secs",
  "selinuxLabel",
  "servicing",
  "setHostname",
  "shares",
  "size",
  "socketAf",
  "soft",
  "solaris",
  "source",
  "startContainer",
  "storage",
  "suser",
  "swap",
  "swappiness",
  "syscalls",
  "sysctl",
  "sysvmsg",
  "sysvsem",
  "sysvshm",
  "terminal",
  "throttleReadBpsDevice",
  "throttleReadIOPSDevice",
  "throttleWriteBpsDevice",
  "throttleWriteIOPSDevice",
  "timeOffsets",
  "timeout",
  "type",
  "uid",
  "uidMappings",
  "umask",
  "unified",
  "useHierarchy",
  "user",
  "username",
  "utilityVMPath",
  "value",
  "valueTwo",
  "vcpus",
  "vm",
  "vnet",
  "vnetInterfaces",
  "weight",
  "weightDevice",
  "width",
  "windows",
  "zos",
};
#define N_KNOWN (sizeof known_fields / sizeof known_fields[0])

/* ASCII case-insensitive equality. */
static bool
casefold_eq (const char *a, const char *b)
{
  const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;

  for (;; x++, y++)
    {
      int cx = *x >= 'A' && *x <= 'Z' ? *x + 32 : *x;
      int cy = *y >= 'A' && *y <= 'Z' ? *y + 32 : *y;
      if (cx != cy)
        return false;
      if (cx == 0)
        return true;
    }
}

/* Every byte is ASCII (a key with others is folded first). */
static bool
ascii (const char *s)
{
  unsigned char or = 0;

  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    or |= *p;
  return or < 0x80;
}

/* The known fields grouped by their first two bytes, lowercased (a-z, or
 * 26 for any other byte): each group is the range [first, last) of
 * known_fields, which is sorted case-insensitively, so a group is a few
 * neighbours.  Filled on first use (ocigate is single-threaded) from the
 * first two bytes of each field: a hash of every field cost each enforced
 * call about 27 K instructions before the first key was looked up. */
#define KEY_GROUPS 27
_Static_assert(N_KNOWN < 65535, "known_fields indexes are unsigned short");
static struct
{
  unsigned short first, last;
} key_groups[KEY_GROUPS][KEY_GROUPS];

static inline unsigned
lower (unsigned char c)
{
  return c >= 'A' && c <= 'Z' ? c + 32u : c;
}

static unsigned
group_of (unsigned char c)
{
  c = (unsigned char)lower (c);
  return c >= 'a' && c <= 'z' ? (unsigned)(c - 'a') : 26u;
}

/* The exact spelling of the known field that `folded` matches
 * case-insensitively (there is at most one: none differ only in case), or
 * NULL. */
static const char *
known_field (const char *folded)
{
  static bool filled;
  unsigned a, b, c;

  if (!filled)
    {
      for (size_t k = 0; k < N_KNOWN; k++)
        {
          a = group_of ((unsigned char)known_fields[k][0]);
          b = group_of ((unsigned char)known_fields[k][1]);
          if (key_groups[a][b].last == 0)
            key_groups[a][b].first = (unsigned short)k;
          key_groups[a][b].last = (unsigned short)(k + 1);
        }
      filled = true;
    }
  if (folded[0] == '\0')
    return NULL;
  a = group_of ((unsigned char)folded[0]);
  b = group_of ((unsigned char)folded[1]);
  /* the third byte, lowercased, tells most neighbours apart (past the end
   * of a one-byte key, casefold_eq alone decides) */
  c = folded[1] ? lower ((unsigned char)folded[2]) : 0;
  for (size_t k = key_groups[a][b].first; k < key_groups[a][b].last; k++)
    if ((!folded[1] || lower ((unsigned char)known_fields[k][2]) == c) && casefold_eq (known_fields[k], folded))
      return known_fields[k];
  return NULL;
}

/* Objects that Go decodes into maps: keys there are matched exactly. */
static bool
is_map_member (const char *parent_key)
{
  static const char *const maps[] = { "annotations", "sysctl", "unified", "rdma", "timeOffsets", NULL };
  return parent_key && og_strv_contains ((char *const *)maps, parent_key);
}

char *
og_spec_fold_key (const char *key)
{
  size_t n = strlen (key);
  char *out = og_xmalloc (n + 1), *o = out;
  const unsigned char *p = (const unsigned char *)key;

  while (*p)
    {
      if (p[0] == 0xe2 && p[1] == 0x84 && p[2] == 0xaa) /* U+212A KELVIN SIGN */
        *o++ = 'k', p += 3;
      else if (p[0] == 0xc5 && p[1] == 0xbf) /* U+017F LATIN SMALL LETTER LONG S */
        *o++ = 's', p += 2;
      else if (*p >= 'A' && *p <= 'Z')
        *o++ = (char)(*p++ + ('a' - 'A'));
      else
        *o++ = (char)*p++;
    }
  *o = '\0';
  return out;
}

static int check_node (const struct og_json *j, const char *parent_key, unsigned depth, struct og_error *err);

/* Fold into buf (keys longer than any field name cannot match one). */
static const char *
fold_small (const char *key, char *buf, size_t size)
{
  const unsigned char *p = (const unsigned char *)key;
  char *o = buf;

  while (*p)
    {
      if (o + 1 >= buf + size)
        return NULL;
      if (p[0] == 0xe2 && p[1] == 0x84 && p[2] == 0xaa) /* U+212A KELVIN SIGN */
        *o++ = 'k', p += 3;
      else if (p[0] == 0xc5 && p[1] == 0xbf) /* U+017F LATIN SMALL LETTER LONG S */
        *o++ = 's', p += 2;
      else
        *o++ = (char)*p++;
    }
  *o = '\0';
  return buf;
}

/* A key Go would match onto a field must be that field's exact spelling.
 * Two keys folding to one field then means an exact duplicate, which the
 * parser already refused; keys matching no field are ignored by Go. */
static int
check_struct_keys (const struct og_json *obj, struct og_error *err)
{
  for (size_t i = 0; i < obj->n; i++)
    {
      const char *key = obj->keys[i], *cmp = key, *field;
      char buf[64];

      if (!ascii (key) && (cmp = fold_small (key, buf, sizeof buf)) == NULL)
        continue;
      field = known_field (cmp); /* case-insensitive */
      if (field && strcmp (field, key) != 0)
        return og_error_set (err, 0,
                             "key \"%s\" is not the exact spelling of the runtime-spec field \"%s\" "
                             "but runc's decoder would match it; refusing the ambiguous document",
                             key, field);
    }
  return 0;
}

static int
check_node (const struct og_json *j, const char *parent_key, unsigned depth, struct og_error *err)
{
  bool is_map = j->type == OG_JSON_OBJECT && is_map_member (parent_key);

  if (j->type == OG_JSON_OBJECT && !is_map && check_struct_keys (j, err) < 0)
    return -1;
  for (size_t i = 0; i < j->n; i++)
    {
      /* A map's keys are data, not field names: its values (structs, for
       * linux.resources.rdma) are judged as structs again. */
      const char *k = j->type == OG_JSON_OBJECT ? (is_map ? NULL : j->keys[i]) : parent_key;
      if (j->vals[i]->n && check_node (j->vals[i], k, depth + 1, err) < 0)
        return -1;
    }
  return 0;
}

int
og_spec_check_keys (const struct og_json *root, struct og_error *err)
{
  return check_node (root, NULL, 0, err);
}

int
og_spec_parse (const char *buf, size_t len, struct og_json **out, struct og_error *err)
{
  const struct og_json_opts opts = { .max_size = OG_SPEC_MAX_SIZE, .max_depth = OG_SPEC_MAX_DEPTH };
  struct og_json *j = NULL;

  if (og_json_parse (buf, len, &opts, &j, err) < 0)
    return -1;
  if (j->type != OG_JSON_OBJECT)
    {
      og_json_free (j);
      return og_error_set (err, 0, "invalid document: top level is not a json object");
    }
  if (og_spec_check_keys (j, err) < 0)
    {
      og_json_free (j);
      return -1;
    }
  *out = j;
  return 0;
}
