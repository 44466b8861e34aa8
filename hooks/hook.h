/* SPDX-License-Identifier: Apache-2.0 */
/* ocigate-hook: one entry point per OCI hook stage.  Each takes the
 * process's whole argv (argv[0] "ocigate-hook", argv[1] the stage) and
 * returns the exit status; the runtime's state or config is on stdin. */
#ifndef OCIGATE_HOOK_H
#define OCIGATE_HOOK_H

/* Podman's precreate stage: the config on stdin, the enforced config out. */
int hook_precreate (int argc, char **argv);
/* Verification of a created container (hooks/verify*.c). */
int hook_verify_create_runtime (int argc, char **argv);
int hook_verify_poststart (int argc, char **argv);

#endif
