/* SPDX-License-Identifier: Apache-2.0 */
/*
 * spec_dump: ocigate's reading of an engine document, for the differential
 * test against the Go oracle (tests/fuzz/differential.sh).
 *
 *   spec_dump FILE          og_spec_parse FILE and print og_json_write of the
 *                           tree (compact) on stdout; exit 1 with the reason
 *                           on stderr when ocigate refuses it.
 *   spec_dump INDIR OUTDIR  the same for every regular file INDIR/NAME:
 *                           writes OUTDIR/NAME.ok (the canonical output) or
 *                           OUTDIR/NAME.refused (the reason).
 *   spec_dump -             a stream of documents (oracle -stream): each
 *                           request on stdin is a 4-byte little-endian
 *                           length and the document; each reply on stdout
 *                           is 'A' (accepted) or 'R' (refused), a 4-byte
 *                           length and the canonical output or the reason.
 */
#include <config.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocigate/json.h"
#include "ocigate/spec.h"
#include "ocigate/util.h"

static char *
slurp (const char *path, size_t *len)
{
  FILE *f = fopen (path, "rb");
  char *buf = NULL;
  size_t cap = 0, n = 0;

  if (f == NULL)
    return NULL;
  for (;;)
    {
      if (n == cap)
        buf = og_xrealloc (buf, cap = cap ? cap * 2 : 65536);
      size_t r = fread (buf + n, 1, cap - n, f);
      n += r;
      if (r == 0)
        break;
    }
  fclose (f);
  *len = n;
  return buf;
}

/* 0 accepted (*out set), 1 refused (*out = reason). */
static int
dump_buf (const char *name, const char *data, size_t len, char **out, size_t *out_len)
{
  struct og_error err = { 0 };
  struct og_json *tree = NULL;
  int r;

  if (og_spec_parse (data, len, &tree, &err) < 0)
    {
      *out = og_xasprintf ("%s\n", err.msg ? err.msg : "refused");
      *out_len = strlen (*out);
      r = 1;
    }
  else if (og_json_write (tree, false, out, out_len, &err) < 0)
    {
      fprintf (stderr, "spec_dump: %s: cannot write the accepted tree: %s\n", name, err.msg);
      exit (3);
    }
  else
    r = 0;
  og_json_free (tree);
  og_error_clear (&err);
  return r;
}

static int
dump (const char *path, char **out, size_t *out_len)
{
  size_t len = 0;
  char *data = slurp (path, &len);
  int r;

  if (data == NULL)
    {
      fprintf (stderr, "spec_dump: cannot read %s: %s\n", path, strerror (errno));
      exit (2);
    }
  r = dump_buf (path, data, len, out, out_len);
  free (data);
  return r;
}

static void
put_u32 (unsigned char *p, uint32_t v)
{
  for (int i = 0; i < 4; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}

/* The stream mode: one reply per request until EOF on stdin. */
static int
stream (void)
{
  char *data = NULL;
  size_t cap = 0;
  unsigned char hdr[5];

  while (fread (hdr, 1, 4, stdin) == 4)
    {
      size_t len = hdr[0] | hdr[1] << 8 | hdr[2] << 16 | (size_t)hdr[3] << 24;
      char *out = NULL;
      size_t out_len = 0;

      if (len > cap)
        data = og_xrealloc (data, cap = len);
      if (len > 0 && fread (data, 1, len, stdin) != len)
        {
          fprintf (stderr, "spec_dump: truncated request\n");
          return 2;
        }
      hdr[0] = dump_buf ("stream input", data, len, &out, &out_len) == 0 ? 'A' : 'R';
      put_u32 (hdr + 1, (uint32_t)out_len);
      if (fwrite (hdr, 1, 5, stdout) != 5 || fwrite (out, 1, out_len, stdout) != out_len || fflush (stdout) != 0)
        {
          fprintf (stderr, "spec_dump: cannot write a reply\n");
          return 2;
        }
      free (out);
    }
  free (data);
  return 0;
}

static void
write_file (const char *path, const char *data, size_t len)
{
  FILE *f = fopen (path, "wb");
  if (f == NULL || fwrite (data, 1, len, f) != len || fclose (f) != 0)
    {
      fprintf (stderr, "spec_dump: cannot write %s\n", path);
      exit (2);
    }
}

int
main (int argc, char **argv)
{
  char *out = NULL;
  size_t len = 0;

  if (argc == 2 && strcmp (argv[1], "-") == 0)
    return stream ();
  if (argc == 2)
    {
      int r = dump (argv[1], &out, &len);
      fwrite (out, 1, len, r == 0 ? stdout : stderr);
      if (r == 0)
        fputc ('\n', stdout);
      free (out);
      return r;
    }
  if (argc == 3)
    {
      DIR *d = opendir (argv[1]);
      struct dirent *e;
      unsigned n = 0, ok = 0;

      if (d == NULL)
        {
          fprintf (stderr, "spec_dump: cannot open %s: %s\n", argv[1], strerror (errno));
          return 2;
        }
      mkdir (argv[2], 0755);
      while ((e = readdir (d)) != NULL)
        {
          struct stat st;
          char *in = og_xasprintf ("%s/%s", argv[1], e->d_name);
          if (stat (in, &st) == 0 && S_ISREG (st.st_mode))
            {
              int r = dump (in, &out, &len);
              char *target = og_xasprintf ("%s/%s.%s", argv[2], e->d_name, r == 0 ? "ok" : "refused");
              write_file (target, out, len);
              free (target);
              free (out);
              out = NULL;
              n++;
              ok += r == 0;
            }
          free (in);
        }
      closedir (d);
      fprintf (stderr, "spec_dump: %u inputs, %u accepted\n", n, ok);
      return 0;
    }
  fprintf (stderr, "usage: spec_dump FILE | spec_dump INDIR OUTDIR | spec_dump -\n");
  return 2;
}
