/* SPDX-License-Identifier: Apache-2.0 */
/* SHA-256 (FIPS 180-4, computed by nettle): the policy digest in audit
 * records and the key of a user-namespace record. */
#ifndef OCIGATE_SHA256_H
#define OCIGATE_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* Writes the lowercase hex digest (64 chars + NUL) of buf into hex. */
void og_sha256_hex (const void *buf, size_t len, char hex[65]);

#endif
