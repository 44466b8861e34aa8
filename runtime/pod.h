/* SPDX-License-Identifier: Apache-2.0 */
/* Kubernetes pods (containerd's CRI): what the runtime reads about the pod
 * a container belongs to, once the engine facts (ocigate/facts.h) say the
 * CRI made its config. */
#ifndef OCIGATE_POD_H
#define OCIGATE_POD_H

#include "ocigate/facts.h"
#include "ocigate/json.h"

/* Why a pod's container cannot get a user namespace of ocigate's (caller
 * frees), or NULL: it joins a network namespace that the host's user
 * namespace owns (the pod's, made by CNI). */
char *ocigate_pod_netns_unmappable (const struct og_engine_facts *f, const struct og_json *spec);

#endif
