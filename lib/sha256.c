/* SPDX-License-Identifier: Apache-2.0 */
/* SHA-256 from nettle: a hash in a security boundary comes from a library
 * that is reviewed and tested against the FIPS vectors, not from our own
 * rounds (tests/unit/test_sha256.c checks the vectors against what ships). */
#include <config.h>
#include <nettle/sha2.h>

#include "ocigate/sha256.h"

void
og_sha256_hex (const void *buf, size_t len, char hex[65])
{
  static const char digits[] = "0123456789abcdef";
  uint8_t digest[SHA256_DIGEST_SIZE];
  struct sha256_ctx ctx;

  sha256_init (&ctx);
  sha256_update (&ctx, len, buf);
  sha256_digest (&ctx, sizeof digest, digest);
  for (size_t i = 0; i < sizeof digest; i++)
    {
      hex[2 * i] = digits[digest[i] >> 4];
      hex[2 * i + 1] = digits[digest[i] & 15];
    }
  hex[64] = '\0';
}
