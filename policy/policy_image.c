/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The compiled form of a loaded policy: struct og_policy as bytes, so that a
 * caller that runs on every container start can keep it (under the policy
 * file's identity) and skip reading, parsing and validating the file.
 *
 * Layout: a header (magic, format, the struct's size, a fingerprint of its
 * layout and of this build -- version and GNU build ID, so a rebuilt or
 * upgraded ocigate never reads another's image --, the length, a checksum), the
 * struct's bytes with every pointer field zeroed, then the pointer fields in
 * the order of og_policy_each_pointer (the table of policy/sections.c): a
 * string is a 32-bit length and its bytes (no NUL), a string list a 32-bit
 * count and its strings; ~0 stands for NULL.  Then the workload profiles:
 * a 32-bit count (the struct's nprofiles) and for each its name, engine,
 * pod_namespace list and its compiled policy in the same form (a profile's
 * own count is 0: a profile holds no profiles), so that a policy with
 * profiles is cached like any other.  The fingerprint covers the
 * table's shape (og_policy_schema_hash), so an image of another table is
 * never read back, and the cache of runtime/policy_cache.c misses instead.
 */
#include <config.h>
#include <elf.h>
#include <link.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ocigate/json.h"
#include "ocigate/policy.h"
#include "ocigate/util.h"
#include "schema.h"

#define IMAGE_MAGIC "OGPOLIMG"
#define IMAGE_FORMAT 3u
#define NONE UINT32_MAX

struct header
{
  char magic[8];
  uint32_t format;
  uint32_t struct_size;
  uint64_t fingerprint;
  uint64_t checksum; /* of everything after the header */
  uint64_t length;   /* of the whole image */
};

static void
zero_pointer (size_t off, enum og_key_store kind, void *data)
{
  memset ((char *)data + off, 0, sizeof (void *));
}

/* Every pointer of a policy: its keys' and its profiles. */
static void
zero_pointers (struct og_policy *p)
{
  og_policy_each_pointer (zero_pointer, p);
  p->profiles = NULL;
}

static uint64_t
fnv1a (uint64_t h, const void *data, size_t n)
{
  const unsigned char *b = data;

  for (size_t i = 0; i < n; i++)
    h = (h ^ b[i]) * 0x100000001b3ULL;
  return h;
}

/* The image's checksum: against damage, not an adversary (the cache is
 * root's), so eight bytes a step. */
static uint64_t
checksum (const char *data, size_t n)
{
  uint64_t h = 0xcbf29ce484222325ULL, w;
  size_t i = 0;

  for (; i + 8 <= n; i += 8)
    {
      memcpy (&w, data + i, 8);
      h = (h ^ w) * 0x100000001b3ULL;
      h ^= h >> 29;
    }
  return fnv1a (h, data + i, n - i);
}

/* The GNU build ID note of the executable, hashed into h (unchanged when
 * the binary was linked without one). */
static int
build_id_note (struct dl_phdr_info *info, size_t size, void *data)
{
  uint64_t *h = data;

  (void)size;
  if (info->dlpi_name != NULL && info->dlpi_name[0] != '\0')
    return 0; /* a shared object; the executable comes first */
  for (int i = 0; i < info->dlpi_phnum; i++)
    {
      const ElfW (Phdr) *ph = &info->dlpi_phdr[i];
      const char *p, *end;

      if (ph->p_type != PT_NOTE)
        continue;
      p = (const char *)(info->dlpi_addr + ph->p_vaddr);
      end = p + ph->p_memsz;
      while ((size_t)(end - p) >= sizeof (ElfW (Nhdr)))
        {
          const ElfW (Nhdr) *n = (const ElfW (Nhdr) *)p;
          size_t name = (n->n_namesz + 3) & ~3u, desc = (n->n_descsz + 3) & ~3u;

          if ((size_t)(end - p) - sizeof *n < name + desc)
            break;
          if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 && memcmp (p + sizeof *n, "GNU", 4) == 0)
            {
              *h = fnv1a (*h, p + sizeof *n + name, n->n_descsz);
              return 1;
            }
          p += sizeof *n + name + desc;
        }
    }
  return 1;
}

/* Changes whenever the struct's layout or the build does: an image from
 * another ocigate is never read as this one's. */
static uint64_t
fingerprint (void)
{
  static uint64_t cached;
  const size_t size = sizeof (struct og_policy), profile_size = sizeof (struct og_profile);
  uint64_t h, schema;

  if (cached)
    return cached;
  h = fnv1a (0xcbf29ce484222325ULL, PACKAGE_VERSION, sizeof PACKAGE_VERSION);
  h = fnv1a (h, &size, sizeof size);
  h = fnv1a (h, &profile_size, sizeof profile_size);
  schema = og_policy_schema_hash ();
  h = fnv1a (h, &schema, sizeof schema);
  dl_iterate_phdr (build_id_note, &h);
  return cached = h | 1;
}

static void
put_u32 (struct og_buf *b, uint32_t v)
{
  og_buf_put (b, (const char *)&v, sizeof v);
}

static void
put_str (struct og_buf *b, const char *s)
{
  if (s == NULL)
    {
      put_u32 (b, NONE);
      return;
    }
  put_u32 (b, (uint32_t)strlen (s));
  og_buf_puts (b, s);
}

struct writer
{
  struct og_buf b;
  const struct og_policy *p;
  bool too_long;
};

static void
put_strv (struct writer *w, char *const *v)
{
  size_t n;

  if (v == NULL)
    {
      put_u32 (&w->b, NONE);
      return;
    }
  n = og_strv_len (v);
  w->too_long |= n >= NONE;
  put_u32 (&w->b, (uint32_t)n);
  for (size_t k = 0; k < n; k++)
    put_str (&w->b, v[k]);
}

static void
put_pointer (size_t off, enum og_key_store kind, void *data)
{
  struct writer *w = data;
  const void *slot = (const char *)w->p + off;

  if (kind == OG_STORE_STR)
    put_str (&w->b, *(char *const *)slot);
  else
    put_strv (w, *(char **const *)slot);
}

/* The struct's bytes without its pointers, its keys' pointers, then its
 * profiles, each the same way. */
static void
put_policy (struct writer *w, const struct og_policy *p)
{
  const struct og_policy *outer = w->p;
  struct og_policy copy = *p;

  zero_pointers (&copy);
  og_buf_put (&w->b, (const char *)&copy, sizeof copy);
  w->p = p;
  og_policy_each_pointer (put_pointer, w);
  w->p = outer;
  w->too_long |= p->nprofiles >= NONE;
  put_u32 (&w->b, (uint32_t)p->nprofiles);
  for (size_t i = 0; i < p->nprofiles; i++)
    {
      put_str (&w->b, p->profiles[i].name);
      put_str (&w->b, p->profiles[i].engine);
      put_strv (w, p->profiles[i].pod_namespace);
      put_policy (w, p->profiles[i].policy);
    }
}

int
og_policy_image_write (const struct og_policy *p, char **out, size_t *len)
{
  struct writer w = { .p = p };
  struct header h = { .magic = IMAGE_MAGIC, .format = IMAGE_FORMAT, .struct_size = sizeof *p };

  og_buf_put (&w.b, (const char *)&h, sizeof h);
  put_policy (&w, p);
  if (w.too_long)
    return free (w.b.buf), -1;
  h.fingerprint = fingerprint ();
  h.length = w.b.len;
  h.checksum = checksum (w.b.buf + sizeof h, w.b.len - sizeof h);
  memcpy (w.b.buf, &h, sizeof h);
  *out = w.b.buf;
  *len = w.b.len;
  return 0;
}

struct reader
{
  const char *p, *end;
  struct og_policy *policy;
  bool ok;
};

static bool
get_u32 (struct reader *r, uint32_t *v)
{
  if ((size_t)(r->end - r->p) < sizeof *v)
    return false;
  memcpy (v, r->p, sizeof *v);
  r->p += sizeof *v;
  return true;
}

/* A string of the image; *s stays NULL for a NULL one. */
static bool
get_str (struct reader *r, char **s)
{
  uint32_t n;

  if (!get_u32 (r, &n))
    return false;
  if (n == NONE)
    return true;
  if ((size_t)(r->end - r->p) < n || memchr (r->p, '\0', n) != NULL)
    return false;
  *s = og_xstrndup (r->p, n);
  r->p += n;
  return true;
}

static bool
get_strv (struct reader *r, char ***v)
{
  uint32_t n;

  if (!get_u32 (r, &n))
    return false;
  if (n == NONE)
    return true;
  /* every string takes at least its length word */
  if ((size_t)(r->end - r->p) / sizeof (uint32_t) < n)
    return false;
  *v = og_xcalloc ((size_t)n + 1, sizeof **v);
  for (uint32_t k = 0; k < n; k++)
    if (!get_str (r, &(*v)[k]) || (*v)[k] == NULL)
      return false;
  return true;
}

static void
get_pointer (size_t off, enum og_key_store kind, void *data)
{
  struct reader *r = data;
  void *slot = (char *)r->policy + off;

  if (r->ok)
    r->ok = kind == OG_STORE_STR ? get_str (r, slot) : get_strv (r, slot);
}

static bool get_policy (struct reader *r, bool profile, struct og_policy **out);

/* n profiles into p (none in a profile's own policy); p stays freeable
 * whatever is read: nprofiles counts what was allocated. */
static bool
get_profiles (struct reader *r, struct og_policy *p, size_t n, bool profile)
{
  uint32_t count;

  if (!get_u32 (r, &count) || count != n || (profile && n > 0))
    return false;
  if (n == 0)
    return true;
  /* every profile takes at least its policy's bytes */
  if ((size_t)(r->end - r->p) / sizeof *p < n)
    return false;
  p->profiles = og_xcalloc (n + 1, sizeof *p->profiles);
  for (size_t i = 0; i < n; i++)
    {
      struct og_profile *pr = &p->profiles[i];

      p->nprofiles = i + 1;
      if (!get_str (r, &pr->name) || pr->name == NULL || !get_str (r, &pr->engine) || !get_strv (r, &pr->pod_namespace)
          || !get_policy (r, true, &pr->policy))
        return false;
    }
  return true;
}

/* One policy at r (*out is set, and freeable, as soon as it is allocated). */
static bool
get_policy (struct reader *r, bool profile, struct og_policy **out)
{
  struct og_policy *outer = r->policy, *p;
  size_t n;

  if ((size_t)(r->end - r->p) < sizeof *p)
    return false;
  *out = p = og_xmalloc (sizeof *p);
  memcpy (p, r->p, sizeof *p);
  r->p += sizeof *p;
  /* no pointer of the image's bytes survives, even on the error paths */
  zero_pointers (p);
  n = p->nprofiles;
  p->nprofiles = 0;
  r->policy = p;
  og_policy_each_pointer (get_pointer, r);
  r->policy = outer;
  return r->ok && p->path != NULL && get_profiles (r, p, n, profile);
}

int
og_policy_image_read (const char *buf, size_t len, struct og_policy **out, struct og_error *err)
{
  og_cleanup_policy struct og_policy *p = NULL;
  struct header h;
  struct reader r;

  if (len < sizeof h + sizeof *p)
    return og_error_set (err, 0, "policy image: truncated");
  memcpy (&h, buf, sizeof h);
  if (memcmp (h.magic, IMAGE_MAGIC, sizeof h.magic) != 0 || h.format != IMAGE_FORMAT || h.struct_size != sizeof *p
      || h.fingerprint != fingerprint ())
    return og_error_set (err, 0, "policy image: written by another ocigate build");
  if (h.length != len || h.checksum != checksum (buf + sizeof h, len - sizeof h))
    return og_error_set (err, 0, "policy image: damaged");
  r = (struct reader){ buf + sizeof h, buf + len, NULL, true };
  if (!get_policy (&r, false, &p) || r.p != r.end)
    return og_error_set (err, 0, "policy image: damaged");
  *out = og_steal_pointer (&p);
  return 0;
}
