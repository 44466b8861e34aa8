/* SPDX-License-Identifier: Apache-2.0 */
/* Test-only reference reader over yajl (see yajl_ref.c). */
#ifndef OCIGATE_FUZZ_YAJL_REF_H
#define OCIGATE_FUZZ_YAJL_REF_H

#include <stdbool.h>
#include <stddef.h>

#include "ocigate/json.h"

/* 0 and *out (heap nodes, og_json_free) when yajl plus ocigate's strict
 * checks accept the document; -1 otherwise. */
int ref_json_parse (const unsigned char *buf, size_t len, unsigned max_depth, bool comments, struct og_json **out);

/* Does the document (strings outside comments) hold a \u escape that is
 * not part of a well-formed surrogate pair? */
bool ref_bad_escape (const unsigned char *p, size_t size);

#endif
