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
 * table order: a string is a 32-bit length and its bytes (no NUL), a string
 * list a 32-bit count and its strings; ~0 stands for NULL.
 *
 * `pointer_fields` lists every pointer of struct og_policy.  og_policy_free
 * walks the same table, so a pointer left out of it leaks in every test that
 * sets it (valgrind and LeakSanitizer fail the suite) instead of going
 * unnoticed.
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

enum field_kind
{
  FIELD_STR,
  FIELD_STRV
};

#define STR(f)                                                                                                         \
  {                                                                                                                    \
    offsetof (struct og_policy, f), FIELD_STR                                                                          \
  }
#define STRV(f)                                                                                                        \
  {                                                                                                                    \
    offsetof (struct og_policy, f), FIELD_STRV                                                                         \
  }

static const struct
{
  size_t off;
  enum field_kind kind;
} pointer_fields[] = {
  STR (path),
  STR (audit_log),
  STRV (caps.allow),
  STRV (rootfs.writable_tmpfs),
  STRV (rootfs.tmpfs_options),
  STRV (mounts.deny_sockets),
  STRV (mounts.deny_trees),
  STRV (mounts.allow_sources),
  STRV (mounts.force_options),
  STRV (mounts.allow_roots),
  STRV (mounts.readonly_binds_except),
  STRV (hooks.allow),
  STRV (namespaces.require),
  STRV (namespaces.allow_paths),
  STRV (devices.allow),
  STRV (sysctls.allow),
  STR (seccomp.default_profile),
  STRV (seccomp.deny_syscalls),
  STRV (seccomp.allow_listeners),
  STRV (paths.masked),
  STRV (paths.readonly),
  STRV (process.rlimit_max),
  STRV (env.deny_names),
  STR (lsm.apparmor_profile),
  STR (cri.task_dir),
  STR (cri.runc_root),
  STR (buildkit.executor_dir),
  STR (buildkit.runc_root),
  STRV (fields.allow),
  STRV (fields.net_devices),
};

#define NFIELDS (sizeof pointer_fields / sizeof pointer_fields[0])
#define IMAGE_MAGIC "OGPOLIMG"
#define IMAGE_FORMAT 1u
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

static char **
str_at (struct og_policy *p, size_t i)
{
  return (char **)((char *)p + pointer_fields[i].off);
}

void
og_policy_free (struct og_policy *p)
{
  if (p == NULL)
    return;
  for (size_t i = 0; i < NFIELDS; i++)
    if (pointer_fields[i].kind == FIELD_STR)
      free (*str_at (p, i));
    else
      og_strv_free (*(char ***)str_at (p, i));
  free (p);
}

void
og_policy_freep (struct og_policy **p)
{
  og_policy_free (*p);
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
  const size_t size = sizeof (struct og_policy);
  uint64_t h;

  if (cached)
    return cached;
  h = fnv1a (0xcbf29ce484222325ULL, PACKAGE_VERSION, sizeof PACKAGE_VERSION);
  h = fnv1a (h, &size, sizeof size);
  h = fnv1a (h, pointer_fields, sizeof pointer_fields);
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

int
og_policy_image_write (const struct og_policy *p, char **out, size_t *len)
{
  struct og_buf b = { 0 };
  struct og_policy copy = *p;
  struct header h = { .magic = IMAGE_MAGIC, .format = IMAGE_FORMAT, .struct_size = sizeof copy };

  for (size_t i = 0; i < NFIELDS; i++)
    *str_at (&copy, i) = NULL;
  og_buf_put (&b, (const char *)&h, sizeof h);
  og_buf_put (&b, (const char *)&copy, sizeof copy);
  for (size_t i = 0; i < NFIELDS; i++)
    {
      char *const *slot = (char *const *)((const char *)p + pointer_fields[i].off);

      if (pointer_fields[i].kind == FIELD_STR)
        put_str (&b, *slot);
      else if (*(char **const *)slot == NULL)
        put_u32 (&b, NONE);
      else
        {
          char *const *v = *(char **const *)slot;
          size_t n = og_strv_len (v);

          if (n >= NONE)
            return free (b.buf), -1;
          put_u32 (&b, (uint32_t)n);
          for (size_t k = 0; k < n; k++)
            put_str (&b, v[k]);
        }
    }
  h.fingerprint = fingerprint ();
  h.length = b.len;
  h.checksum = checksum (b.buf + sizeof h, b.len - sizeof h);
  memcpy (b.buf, &h, sizeof h);
  *out = b.buf;
  *len = b.len;
  return 0;
}

struct reader
{
  const char *p, *end;
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
  p = og_xmalloc (sizeof *p);
  memcpy (p, buf + sizeof h, sizeof *p);
  /* no pointer of the image's bytes survives, even on the error paths */
  for (size_t i = 0; i < NFIELDS; i++)
    *str_at (p, i) = NULL;
  r = (struct reader){ buf + sizeof h + sizeof *p, buf + len };
  for (size_t i = 0; i < NFIELDS; i++)
    {
      bool ok
          = pointer_fields[i].kind == FIELD_STR ? get_str (&r, str_at (p, i)) : get_strv (&r, (char ***)str_at (p, i));
      if (!ok)
        return og_error_set (err, 0, "policy image: damaged");
    }
  if (r.p != r.end || p->path == NULL)
    return og_error_set (err, 0, "policy image: damaged");
  *out = og_steal_pointer (&p);
  return 0;
}
