/* SPDX-License-Identifier: Apache-2.0 */
/*
 * annotations: free-form for the engines, but a runtime reads some keys as
 * its own instructions, and a container's creator sets annotations
 * (podman --annotation, ctr, a pod spec).  runc 1.1 keeps every annotation
 * as a "key=value" label in front of its own "bundle=<dir>" label and
 * `runc exec` takes the first: an annotation "bundle" made an inline exec
 * read another config.json, one nobody judged.  Keys a runtime interprets
 * are refused (those no engine sets) or removed (the rest), but for the
 * few systemd unit properties the engines set that cannot lift a limit.
 */
#include <config.h>
#include <stdlib.h>
#include <string.h>

#include "ocigate/enforce.h"
#include "rule.h"
#include "ocigate/util.h"

/* Not configurable: no engine needs them, and each one hands the
 * container's creator a host path the runtime acts on as root. */
static const char *const refused[] = {
  "bundle",                   /* runc: where `exec` reads config.json from */
  "org.criu.config",          /* runc checkpoint/restore: a CRIU config file (action scripts run as root) */
  "run.oci.seccomp.plugins",  /* crun: shared objects dlopen()ed as root */
  "run.oci.seccomp.receiver", /* crun: where the seccomp listener fd is sent */
  "run.oci.seccomp_bpf_data", /* crun: a BPF program instead of the judged profile */
  "run.oci.hooks.stdout",     /* crun: a host file opened as root for hook output */
  "run.oci.hooks.stderr",
  NULL,
};

/* Runtime-internal name spaces: runc's systemd unit properties (with the
 * systemd cgroup driver they override MemoryMax, TasksMax, CPUQuota,
 * DeviceAllow...), runc's and crun's own switches. */
static const char *const internal_prefixes[] = {
  "org.systemd.property.", "org.opencontainers.runc.", "org.criu.", "run.oci.", "io.crun.", NULL,
};

/* Unit properties Podman sets on every container; neither lifts a limit. */
static const char *const kept[] = {
  "org.systemd.property.KillSignal",
  "org.systemd.property.TimeoutStopUSec",
  NULL,
};

static bool
runtime_internal (const char *key)
{
  if (og_strv_contains ((char *const *)kept, key))
    return false;
  for (const char *const *p = internal_prefixes; *p; p++)
    if (strncmp (key, *p, strlen (*p)) == 0)
      return true;
  /* crun picks a handler (libkrun, a wasm engine) by this one. */
  return strcmp (key, "module.wasm.image/variant") == 0;
}

int
og_rule_annotations (const struct og_enforce_ctx *ctx, struct og_json *spec, struct og_decisions *d,
                     struct og_error *err)
{
  struct og_json *ann = og_json_get_set (spec, "annotations");

  if (ann == NULL || ann->type == OG_JSON_NULL)
    return 0;
  if (ann->type != OG_JSON_OBJECT)
    {
      og_rule_malformed (d, "annotations", "annotations", ann, "an object");
      return 0;
    }
  for (size_t i = ann->n; i-- > 0;)
    {
      const char *key = ann->keys[i];
      og_cleanup_free char *jpath = og_xasprintf ("annotations.%s", key);

      /* runc splits each "key=value" label at the first '=': a key
       * "bundle=/x" reads back as the label "bundle". */
      if (og_strv_contains ((char *const *)refused, key) || strchr (key, '='))
        {
          og_rule_refuse (ctx, OG_ACTION_DENY, d, "annotations", jpath, og_json_to_text (ann->vals[i]),
                          "annotation key \"%s\" is read by the runtime itself (it names a host path or a "
                          "setting the container's creator must not choose); remove it",
                          key);
          continue;
        }
      if (!runtime_internal (key))
        continue;
      if (og_rule_change (ctx, OG_ACTION_ENFORCE, d, "annotations", jpath, og_json_to_text (ann->vals[i]), NULL,
                          "annotation \"%s\" is an instruction to the runtime (cgroup or unit settings the "
                          "policy decides): removed",
                          key))
        og_json_remove_at (ann, i);
    }
  return 0;
}
