/* SPDX-License-Identifier: Apache-2.0 */
/* Internal interfaces of ocigate-hook (hooks/): one function per stage,
 * chosen by argv[1] in main.c. */
#ifndef OCIGATE_HOOK_H
#define OCIGATE_HOOK_H

#include <stddef.h>

#include "ocigate/error.h"
#include "ocigate/json.h"

/* ---- the stages: each gets argv from the stage word on (argv[0] is the
 * stage) and returns the process's exit status ---------------------------- */

/* precreate.c: Podman's config filter (proposed config.json on stdin, the
 * enforced one on stdout). */
int hook_precreate (int argc, char **argv);
/* verify*.c: a started container checked against its config (the
 * runtime's state on stdin). */
int hook_verify_create_runtime (int argc, char **argv);
int hook_verify_poststart (int argc, char **argv);

/* ---- doc_io.c: the document channel of a config-filter hook ------------- */

/* Read all of fd (at most max bytes) into *out (NUL-terminated,
 * caller-owned).  Empty input and input over max are errors. */
int hook_read_doc (int fd, size_t max, char **out, size_t *len, struct og_error *err);
/* Write the whole of buf to fd (a short write is an error). */
int hook_write_doc (int fd, const char *buf, size_t len, struct og_error *err);
/* The config a precreate refusal hands back (caller-owned JSON text): one
 * no runtime can start, whose error, which the engine shows, quotes the
 * message: `proposed` (NULL when stdin was not a config: a minimal one)
 * with a namespace of type "ocigate: MSG", root.path "/dev/null/ocigate:
 * MSG" and no hooks. */
char *hook_refusal_config (const struct og_json *proposed, const char *msg);

/* ---- identity.c: which container a precreate config is for -------------- */

struct hook_identity
{
  char *id;      /* Podman's container id (from linux.cgroupsPath or its userdata mounts), NULL if unknown */
  char *summary; /* "hostname H, args [...]" for the audit record */
};

void hook_identity_of (const struct og_json *spec, struct hook_identity *who);
void hook_identity_free (struct hook_identity *who);

#endif
