/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Strict JSON reader and canonical writer.
 *
 * Strictness exists to remove parser differentials with runc (Go's
 * encoding/json): we only accept input whose meaning both readers agree on,
 * and runc then reads our canonical output, never the original bytes.
 */
#include <config.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ocigate/json.h"
#include "ocigate/util.h"

/* ---- arena --------------------------------------------------------------- */

/* Parsed documents are allocated in blocks: one malloc per 64 KiB instead
 * of three per value.  Child arrays stay on the heap (they grow). */
struct og_arena_block
{
  struct og_arena_block *next;
  size_t used, size;
  char data[];
};

struct og_arena
{
  struct og_arena_block *head;
};

static inline void *
arena_alloc (struct og_arena *a, size_t n)
{
  struct og_arena_block *blk = a->head;
  void *p;

  n = (n + 15) & ~(size_t)15;
  if (blk == NULL || blk->size - blk->used < n)
    {
      size_t size = n > 65536 ? n : 65536;
      blk = og_xmalloc (sizeof *blk + size);
      blk->next = a->head;
      blk->used = 0;
      blk->size = size;
      a->head = blk;
    }
  p = blk->data + blk->used;
  blk->used += n;
  return p;
}

static char *
arena_strndup (struct og_arena *a, const char *s, size_t n)
{
  char *d = arena_alloc (a, n + 1);
  memcpy (d, s, n);
  d[n] = '\0';
  return d;
}

static void
arena_destroy (struct og_arena *a)
{
  struct og_arena_block *b = a ? a->head : NULL;

  while (b)
    {
      struct og_arena_block *next = b->next;
      free (b);
      b = next;
    }
  free (a);
}

/* ---- nodes -------------------------------------------------------------- */

struct og_json *
og_json_new (enum og_json_type type)
{
  struct og_json *j = og_xcalloc (1, sizeof *j);
  j->type = type;
  return j;
}

static struct og_json *
new_text (enum og_json_type type, const char *s, size_t len)
{
  struct og_json *j = og_json_new (type);
  j->text = og_xstrndup (s, len);
  j->len = len;
  return j;
}

struct og_json *
og_json_new_string (const char *s)
{
  return new_text (OG_JSON_STRING, s, strlen (s));
}

/* The decimal digits of v, as "%" PRId64 writes them (rules build their
 * numbers here, a few dozen a create: no printf). */
struct og_json *
og_json_new_number (int64_t v)
{
  char buf[24], *p = buf + sizeof buf;
  /* the magnitude as unsigned: -INT64_MIN does not fit an int64_t */
  uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

  do
    *--p = (char)('0' + u % 10);
  while ((u /= 10) != 0);
  if (v < 0)
    *--p = '-';
  return new_text (OG_JSON_NUMBER, p, (size_t)(buf + sizeof buf - p));
}

struct og_json *
og_json_new_bool (bool v)
{
  return og_json_new (v ? OG_JSON_TRUE : OG_JSON_FALSE);
}

void
og_json_free (struct og_json *j)
{
  struct og_arena *owned;

  if (j == NULL)
    return;
  owned = j->owns_arena ? j->arena : NULL;
  for (size_t i = 0; i < j->n; i++)
    {
      if (j->keys && j->arena == NULL)
        free (j->keys[i]);
      og_json_free (j->vals[i]);
    }
  if (!j->kids_in_arena)
    {
      free (j->keys);
      free (j->vals);
    }
  if (j->arena == NULL)
    {
      free (j->text);
      free (j);
    }
  arena_destroy (owned);
}

void
og_json_freep (struct og_json **j)
{
  og_json_free (*j);
}

/* Child arrays of parsed containers sit in the arena at their exact size;
 * the first growth moves them to the heap. */
static void
grow (struct og_json *c)
{
  size_t cap;

  if (c->n < c->cap)
    return;
  cap = c->cap ? c->cap * 2 : 4;
  if (c->kids_in_arena)
    {
      struct og_json **vals = og_xmalloc (cap * sizeof *vals);
      memcpy (vals, c->vals, c->n * sizeof *vals);
      c->vals = vals;
      if (c->keys)
        {
          char **keys = og_xmalloc (cap * sizeof *keys);
          memcpy (keys, c->keys, c->n * sizeof *keys);
          c->keys = keys;
        }
      c->kids_in_arena = false;
    }
  else
    {
      c->vals = og_xrealloc (c->vals, cap * sizeof *c->vals);
      if (c->type == OG_JSON_OBJECT)
        c->keys = og_xrealloc (c->keys, cap * sizeof *c->keys);
    }
  c->cap = cap;
}

/* Takes key (heap); an arena object keeps its keys in the arena. */
static void
add_member (struct og_json *obj, char *key, struct og_json *val)
{
  if (obj->arena)
    {
      char *k = arena_strndup (obj->arena, key, strlen (key));
      free (key);
      key = k;
    }
  grow (obj);
  obj->keys[obj->n] = key;
  obj->vals[obj->n] = val;
  obj->n++;
}

void
og_json_append (struct og_json *arr, struct og_json *val)
{
  grow (arr);
  arr->vals[arr->n++] = val;
}

void
og_json_remove_at (struct og_json *c, size_t i)
{
  if (i >= c->n)
    return;
  og_json_free (c->vals[i]);
  if (c->keys && c->arena == NULL)
    free (c->keys[i]);
  memmove (&c->vals[i], &c->vals[i + 1], (c->n - i - 1) * sizeof *c->vals);
  if (c->keys)
    memmove (&c->keys[i], &c->keys[i + 1], (c->n - i - 1) * sizeof *c->keys);
  c->n--;
}

void
og_json_remove (struct og_json *obj, const char *key)
{
  for (size_t i = 0; obj && obj->type == OG_JSON_OBJECT && i < obj->n; i++)
    if (strcmp (obj->keys[i], key) == 0)
      {
        og_json_remove_at (obj, i);
        return;
      }
}

struct og_json *
og_json_clone (const struct og_json *j)
{
  struct og_json *c = og_json_new (j->type);

  if (j->text)
    {
      c->text = og_xstrndup (j->text, j->len);
      c->len = j->len;
    }
  for (size_t i = 0; i < j->n; i++)
    {
      if (j->type == OG_JSON_OBJECT)
        add_member (c, og_xstrdup (j->keys[i]), og_json_clone (j->vals[i]));
      else
        og_json_append (c, og_json_clone (j->vals[i]));
    }
  return c;
}

struct og_json *
og_json_get (const struct og_json *obj, const char *key)
{
  if (obj == NULL || obj->type != OG_JSON_OBJECT)
    return NULL;
  /* the first byte first: most keys differ there, and a call is saved */
  for (size_t i = 0; i < obj->n; i++)
    if (obj->keys[i][0] == key[0] && strcmp (obj->keys[i], key) == 0)
      return obj->vals[i];
  return NULL;
}

struct og_json *
og_json_get_set (const struct og_json *obj, const char *key)
{
  struct og_json *v = og_json_get (obj, key);
  return v && v->type != OG_JSON_NULL ? v : NULL;
}

struct og_json *
og_json_path (const struct og_json *root, ...)
{
  va_list ap;
  const char *k;
  struct og_json *cur = (struct og_json *)root;

  va_start (ap, root);
  while (cur && (k = va_arg (ap, const char *)) != NULL)
    cur = og_json_get_set (cur, k);
  va_end (ap);
  return cur;
}

void
og_json_set (struct og_json *obj, const char *key, struct og_json *val)
{
  for (size_t i = 0; i < obj->n; i++)
    if (obj->keys[i][0] == key[0] && strcmp (obj->keys[i], key) == 0)
      {
        og_json_free (obj->vals[i]);
        obj->vals[i] = val;
        return;
      }
  add_member (obj, og_xstrdup (key), val);
}

struct og_json *
og_json_ensure_object (struct og_json *obj, const char *key)
{
  struct og_json *v = og_json_get (obj, key);

  if (v && v->type == OG_JSON_OBJECT)
    return v;
  if (v && v->type != OG_JSON_NULL)
    return NULL;
  v = og_json_new (OG_JSON_OBJECT);
  og_json_set (obj, key, v);
  return v;
}

bool
og_json_is_string (const struct og_json *j)
{
  return j && j->type == OG_JSON_STRING;
}

bool
og_json_is_bool (const struct og_json *j)
{
  return j && (j->type == OG_JSON_TRUE || j->type == OG_JSON_FALSE);
}

bool
og_json_is_true (const struct og_json *j)
{
  return j && j->type == OG_JSON_TRUE;
}

int
og_json_int64 (const struct og_json *j, int64_t *out)
{
  char *end;
  long long v;

  if (j == NULL || j->type != OG_JSON_NUMBER)
    return -1;
  if (strpbrk (j->text, ".eE"))
    return -1;
  errno = 0;
  v = strtoll (j->text, &end, 10);
  if (errno || *end)
    return -1;
  *out = v;
  return 0;
}

bool
og_json_array_has_string (const struct og_json *arr, const char *s)
{
  if (arr == NULL || arr->type != OG_JSON_ARRAY)
    return false;
  for (size_t i = 0; i < arr->n; i++)
    if (og_json_is_string (arr->vals[i]) && arr->vals[i]->text[0] == s[0] && strcmp (arr->vals[i]->text, s) == 0)
      return true;
  return false;
}

/* ---- strict text checks ------------------------------------------------- */

/* Length of the UTF-8 sequence at s (Go's utf8.Valid rules: no overlongs,
 * no surrogates, nothing above U+10FFFF), 0 if invalid.  Go silently
 * replaces such bytes with U+FFFD, so accepting them would let ocigate and
 * runc read different strings. */
static size_t
utf8_seq (const unsigned char *s, const unsigned char *end)
{
  unsigned c = s[0];
  size_t need;
  uint32_t cp, min;

  if (c >= 0xc2 && c <= 0xdf)
    need = 1, cp = c & 0x1f, min = 0x80;
  else if (c >= 0xe0 && c <= 0xef)
    need = 2, cp = c & 0x0f, min = 0x800;
  else if (c >= 0xf0 && c <= 0xf4)
    need = 3, cp = c & 0x07, min = 0x10000;
  else
    return 0;
  if ((size_t)(end - s) <= need)
    return 0;
  for (size_t k = 1; k <= need; k++)
    {
      if ((s[k] & 0xc0) != 0x80)
        return 0;
      cp = (cp << 6) | (s[k] & 0x3f);
    }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return need + 1;
}

static bool
utf8_valid (const unsigned char *s, size_t len)
{
  const unsigned char *end = s + len;

  while (s < end)
    {
      size_t k;
      uint64_t w;

      /* ASCII, eight bytes at a time */
      if (end - s >= 8 && (memcpy (&w, s, 8), (w & 0x8080808080808080ULL) == 0))
        {
          s += 8;
          continue;
        }
      if (*s < 0x80)
        s++;
      else if ((k = utf8_seq (s, end)) == 0)
        return false;
      else
        s += k;
    }
  return true;
}

static int
hexval (int c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Without a limit from the caller, nesting still stops where the writer
 * stops (and the recursion well before the stack does). */
#define OG_JSON_HARD_DEPTH 1024

/* ---- parser ------------------------------------------------------------- */

/* A recursive-descent reader: RFC 8259 JSON as Go's encoding/json accepts
 * it (plus comments, for policy files only), with every strictness check
 * fused into one pass over the bytes.  Nodes, text and child arrays all go
 * to the document's arena; the children of the open containers wait on one
 * shared scratch stack and are copied to an exact-size arena array when
 * their container closes. */
struct parser
{
  const unsigned char *p, *start, *end;
  struct og_arena *arena;
  unsigned max_depth;
  bool comments;
  struct og_json **vals; /* scratch: children of the open containers */
  char **keys;
  size_t top, cap;
  struct og_error *err;
};

/* A syntax error, located at the current byte. */
static void *syntax (struct parser *ps, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static void *
syntax (struct parser *ps, const char *fmt, ...)
{
  va_list ap;
  char msg[128];

  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  og_error_set (ps->err, 0, "invalid json near byte %zu: %s", (size_t)(ps->p - ps->start), msg);
  return NULL;
}

static void *
unexpected (struct parser *ps, const char *wanted)
{
  if (ps->p >= ps->end)
    return syntax (ps, "premature end of input, %s expected", wanted);
  if (*ps->p >= 0x20 && *ps->p < 0x7f)
    return syntax (ps, "unexpected character '%c', %s expected", *ps->p, wanted);
  return syntax (ps, "unexpected byte 0x%02x, %s expected", *ps->p, wanted);
}

/* Whitespace (only the four bytes RFC 8259 and Go allow), and comments
 * where allowed.  Returns false on an error. */
static bool
skip_space_slow (struct parser *ps)
{
  const uint64_t space_bits = 1ULL << ' ' | 1ULL << '\n' | 1ULL << '\t' | 1ULL << '\r';

  for (;;)
    {
      const unsigned char *q = ps->p, *end = ps->end;

      for (;;)
        {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
          /* indentation: a run of spaces, up to eight at a time */
          if (end - q >= 8)
            {
              uint64_t w;
              memcpy (&w, q, 8);
              w ^= 0x2020202020202020ULL;
              if (w == 0)
                {
                  q += 8;
                  continue;
                }
              q += __builtin_ctzll (w) >> 3;
            }
#endif
          if (q >= end || *q > ' ' || !((1ULL << *q) & space_bits))
            break;
          q++;
        }
      ps->p = q;
      if (ps->p >= ps->end || *ps->p != '/')
        return true;
      if (!ps->comments)
        return syntax (ps, "comments are not allowed in this document") != NULL;
      if (ps->end - ps->p >= 2 && ps->p[1] == '/')
        {
          const unsigned char *nl = memchr (ps->p, '\n', (size_t)(ps->end - ps->p));
          ps->p = nl ? nl + 1 : ps->end;
        }
      else if (ps->end - ps->p >= 2 && ps->p[1] == '*')
        {
          q = ps->p + 2;
          while (q + 1 < ps->end && !(q[0] == '*' && q[1] == '/'))
            q++;
          if (q + 1 >= ps->end)
            return syntax (ps, "unterminated comment") != NULL;
          ps->p = q + 2;
        }
      else
        return syntax (ps, "a comment starts with // or /*") != NULL;
    }
}

/* Most tokens are followed directly by the next one. */
static inline bool
skip_space (struct parser *ps)
{
  const unsigned char *q = ps->p;

  if (q == ps->end || *q <= ' ' || *q == '/')
    return skip_space_slow (ps);
  return true;
}

static struct og_json *
new_node (struct parser *ps, enum og_json_type type)
{
  struct og_json *j = arena_alloc (ps->arena, sizeof *j);

  *j = (struct og_json){ .type = type, .arena = ps->arena };
  return j;
}

/* Printable ASCII other than '"' and '\\': a string byte as it is. */
static const bool plain_byte[256] = {
  [0x20 ... '"' - 1] = true,
  ['"' + 1 ... '\\' - 1] = true,
  ['\\' + 1 ... 0x7f] = true,
};

/* Bytes that need no decoding from q on: printable ASCII other than '"' and
 * '\\', and valid UTF-8.  Returns the first byte that is not. */
static inline __attribute__ ((always_inline)) const unsigned char *
plain_run (const unsigned char *q, const unsigned char *end)
{
  const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;

  for (;;)
    {
      size_t k;

      while (end - q >= 8)
        {
          uint64_t w, a, b;
          memcpy (&w, q, 8);
          a = w ^ (ones * '"');
          b = w ^ (ones * '\\');
          if ((((w - ones * 0x20) & ~w) | ((a - ones) & ~a) | ((b - ones) & ~b) | w) & highs)
            break;
          q += 8;
        }
      while (q < end && plain_byte[*q])
        q++;
      if (q >= end || *q < 0x80 || (k = utf8_seq (q, end)) == 0)
        return q;
      q += k;
    }
}

static long
hex4 (const unsigned char *p, const unsigned char *end)
{
  long v = 0;

  if (end - p < 4)
    return -1;
  for (int i = 0; i < 4; i++)
    {
      int h = hexval (p[i]);
      if (h < 0)
        return -1;
      v = v * 16 + h;
    }
  return v;
}

static char *
put_utf8 (char *d, uint32_t cp)
{
  if (cp < 0x80)
    *d++ = (char)cp;
  else if (cp < 0x800)
    {
      *d++ = (char)(0xc0 | (cp >> 6));
      *d++ = (char)(0x80 | (cp & 0x3f));
    }
  else if (cp < 0x10000)
    {
      *d++ = (char)(0xe0 | (cp >> 12));
      *d++ = (char)(0x80 | ((cp >> 6) & 0x3f));
      *d++ = (char)(0x80 | (cp & 0x3f));
    }
  else
    {
      *d++ = (char)(0xf0 | (cp >> 18));
      *d++ = (char)(0x80 | ((cp >> 12) & 0x3f));
      *d++ = (char)(0x80 | ((cp >> 6) & 0x3f));
      *d++ = (char)(0x80 | (cp & 0x3f));
    }
  return d;
}

/* The escape at ps->p (a backslash) decoded to d; returns the end of the
 * decoded bytes, NULL on an error.  A \u escape must be a code point other
 * than a surrogate or NUL, or a well-formed surrogate pair: Go turns an
 * unpaired surrogate into U+FFFD. */
static char *
unescape (struct parser *ps, char *d, const char *what)
{
  static const char simple[] = "\"\"\\\\//b\bf\fn\nr\rt\t";
  const unsigned char *e = ps->p;
  const char *s;
  long cp, lo;

  if (e[1] != 'u')
    {
      for (s = simple; *s; s += 2)
        if (*s == (char)e[1])
          {
            *d++ = s[1];
            ps->p += 2;
            return d;
          }
      return syntax (ps, "invalid escape in %s", what);
    }
  if ((cp = hex4 (e + 2, ps->end)) < 0)
    return syntax (ps, "invalid \\u escape in %s", what);
  if (cp == 0)
    return og_error_set (ps->err, 0, "invalid json: %s contains a NUL character", what), NULL;
  if (cp >= 0xd800 && cp <= 0xdbff)
    {
      lo = (ps->end - e >= 12 && e[6] == '\\' && e[7] == 'u') ? hex4 (e + 8, ps->end) : -1;
      if (lo >= 0xdc00 && lo <= 0xdfff)
        {
          ps->p += 12;
          return put_utf8 (d, (uint32_t)(0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00)));
        }
    }
  if (cp >= 0xd800 && cp <= 0xdfff)
    return og_error_set (ps->err, 0, "invalid json: unpaired surrogate escape \\u%04lx at byte %zu", cp,
                         (size_t)(e - ps->start)),
           NULL;
  ps->p += 6;
  return put_utf8 (d, (uint32_t)cp);
}

/* The bytes at ps->p (after a plain run) that stop a string: an error,
 * unless it is a backslash. */
static void *
bad_string_byte (struct parser *ps, const char *what)
{
  if (ps->p >= ps->end)
    return syntax (ps, "premature end of input in %s", what);
  if (*ps->p >= 0x80)
    return og_error_set (ps->err, 0, "invalid json: %s is not valid UTF-8", what), NULL;
  return syntax (ps, "control character 0x%02x in %s", *ps->p, what);
}

/* The string at ps->p (its opening quote), validated and decoded into the
 * arena.  Decoding never lengthens a string (an escape is at least as long
 * as the bytes it stands for), so the raw length bounds the copy. */
static char *
read_string (struct parser *ps, size_t *len, const char *what, bool *plain)
{
  const unsigned char *s = ps->p + 1, *q = plain_run (s, ps->end), *close = q;
  char *out, *d;

  if (q < ps->end && *q == '"')
    {
      ps->p = q + 1;
      *len = (size_t)(q - s);
      *plain = true;
      return arena_strndup (ps->arena, (const char *)s, *len);
    }
  *plain = false;
  if (q >= ps->end || *q != '\\')
    return ps->p = q, bad_string_byte (ps, what);
  while (close < ps->end && *close != '"')
    close += *close == '\\' ? 2 : 1;
  if (close >= ps->end)
    return ps->p = ps->end, bad_string_byte (ps, what);
  d = out = arena_alloc (ps->arena, (size_t)(close - s) + 1);
  ps->p = s;
  while (ps->p < close)
    {
      q = plain_run (ps->p, close);
      memcpy (d, ps->p, (size_t)(q - ps->p));
      d += q - ps->p;
      ps->p = q;
      if (q == close)
        break;
      if (*q != '\\')
        return bad_string_byte (ps, what);
      if ((d = unescape (ps, d, what)) == NULL)
        return NULL;
    }
  ps->p = close + 1;
  *d = '\0';
  *len = (size_t)(d - out);
  return out;
}

static bool
is_digit (const unsigned char *q, const unsigned char *end)
{
  return q < end && *q >= '0' && *q <= '9';
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, kept as text. */
static struct og_json *
read_number (struct parser *ps)
{
  const unsigned char *s = ps->p, *q = s, *end = ps->end;
  struct og_json *j;

  q += *q == '-';
  if (!is_digit (q, end))
    return ps->p = q, unexpected (ps, "a digit");
  if (*q++ != '0')
    while (is_digit (q, end))
      q++;
  if (q < end && *q == '.')
    {
      if (!is_digit (++q, end))
        return ps->p = q, unexpected (ps, "a digit");
      while (is_digit (q, end))
        q++;
    }
  if (q < end && (*q == 'e' || *q == 'E'))
    {
      q++;
      q += q < end && (*q == '+' || *q == '-');
      if (!is_digit (q, end))
        return ps->p = q, unexpected (ps, "a digit");
      while (is_digit (q, end))
        q++;
    }
  j = new_node (ps, OG_JSON_NUMBER);
  j->len = (size_t)(q - s);
  j->text = arena_strndup (ps->arena, (const char *)s, j->len);
  ps->p = q;
  return j;
}

static struct og_json *
read_literal (struct parser *ps, const char *word, enum og_json_type type)
{
  size_t n = strlen (word);

  if ((size_t)(ps->end - ps->p) < n || memcmp (ps->p, word, n) != 0)
    return unexpected (ps, "a value");
  ps->p += n;
  return new_node (ps, type);
}

static void
scratch_push (struct parser *ps, char *key, struct og_json *val)
{
  if (ps->top == ps->cap)
    {
      ps->cap = ps->cap ? ps->cap * 2 : 256;
      ps->vals = og_xrealloc (ps->vals, ps->cap * sizeof *ps->vals);
      ps->keys = og_xrealloc (ps->keys, ps->cap * sizeof *ps->keys);
    }
  ps->keys[ps->top] = key;
  ps->vals[ps->top++] = val;
}

static int
cmp_strp (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

/* Go keeps the last of two equal keys; a reader that keeps the first would
 * disagree, so duplicates are refused outright. */
static const char *
find_duplicate_key (const struct og_json *obj)
{
  og_cleanup_free char **sorted = NULL;

  if (obj->n < 2)
    return NULL;
  if (obj->n <= 16)
    {
      for (size_t i = 0; i < obj->n; i++)
        for (size_t k = i + 1; k < obj->n; k++)
          if (strcmp (obj->keys[i], obj->keys[k]) == 0)
            return obj->keys[i];
      return NULL;
    }
  sorted = og_xmalloc (obj->n * sizeof *sorted);
  memcpy (sorted, obj->keys, obj->n * sizeof *sorted);
  qsort (sorted, obj->n, sizeof *sorted, cmp_strp);
  for (size_t i = 1; i < obj->n; i++)
    if (strcmp (sorted[i - 1], sorted[i]) == 0)
      return sorted[i];
  return NULL;
}

static struct og_json *read_value (struct parser *ps, unsigned depth);

/* The object or array at ps->p; `depth` containers are open around it. */
static struct og_json *
read_container (struct parser *ps, unsigned depth, enum og_json_type type)
{
  const bool obj = type == OG_JSON_OBJECT;
  const char close = obj ? '}' : ']';
  const size_t base = ps->top;
  struct og_json *c;
  const char *dup;

  if (depth >= ps->max_depth)
    return og_error_set (ps->err, 0, "invalid json: nesting deeper than %u levels", ps->max_depth), NULL;
  c = new_node (ps, type);
  ps->p++;
  if (!skip_space (ps))
    return NULL;
  if (ps->p < ps->end && *ps->p == close)
    ps->p++;
  else
    for (;;)
      {
        char *key = NULL;
        struct og_json *v;
        size_t klen;
        bool plain;

        if (obj)
          {
            if (ps->p >= ps->end || *ps->p != '"')
              return unexpected (ps, "an object key");
            if ((key = read_string (ps, &klen, "an object key", &plain)) == NULL || !skip_space (ps))
              return NULL;
            if (ps->p >= ps->end || *ps->p != ':')
              return unexpected (ps, "':'");
            ps->p++;
            if (!skip_space (ps))
              return NULL;
          }
        if ((v = read_value (ps, depth + 1)) == NULL || !skip_space (ps))
          return NULL;
        scratch_push (ps, key, v);
        if (ps->p < ps->end && *ps->p == ',')
          {
            ps->p++;
            if (!skip_space (ps))
              return NULL;
            continue;
          }
        if (ps->p < ps->end && *ps->p == close)
          {
            ps->p++;
            break;
          }
        return unexpected (ps, obj ? "',' or '}'" : "',' or ']'");
      }
  c->n = c->cap = ps->top - base;
  if (c->n)
    {
      c->vals = arena_alloc (ps->arena, c->n * sizeof *c->vals);
      memcpy (c->vals, ps->vals + base, c->n * sizeof *c->vals);
      if (obj)
        {
          c->keys = arena_alloc (ps->arena, c->n * sizeof *c->keys);
          memcpy (c->keys, ps->keys + base, c->n * sizeof *c->keys);
        }
      c->kids_in_arena = true;
    }
  ps->top = base;
  /* Go keeps the last of two equal keys; a reader that keeps the first
   * would disagree, so duplicates are refused outright. */
  if (obj && (dup = find_duplicate_key (c)) != NULL)
    return og_error_set (ps->err, 0, "invalid json: duplicate key \"%s\"", dup), NULL;
  return c;
}

static struct og_json *
read_value (struct parser *ps, unsigned depth)
{
  struct og_json *j;

  if (ps->p >= ps->end)
    return unexpected (ps, "a value");
  switch (*ps->p)
    {
      case '{':
        return read_container (ps, depth, OG_JSON_OBJECT);
      case '[':
        return read_container (ps, depth, OG_JSON_ARRAY);
      case '"':
        j = new_node (ps, OG_JSON_STRING);
        j->text = read_string (ps, &j->len, "a string", &j->plain);
        return j->text ? j : NULL;
      case 't':
        return read_literal (ps, "true", OG_JSON_TRUE);
      case 'f':
        return read_literal (ps, "false", OG_JSON_FALSE);
      case 'n':
        return read_literal (ps, "null", OG_JSON_NULL);
      default:
        return *ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9') ? read_number (ps) : unexpected (ps, "a value");
    }
}

static struct og_json *
read_document (struct parser *ps)
{
  struct og_json *root;

  if (!skip_space (ps))
    return NULL;
  if (ps->p >= ps->end)
    return og_error_set (ps->err, 0, "invalid json: empty document"), NULL;
  if ((root = read_value (ps, 0)) == NULL)
    return NULL;
  if (!skip_space (ps) || ps->p < ps->end)
    return syntax (ps, "trailing garbage after the document");
  return root;
}

int
og_json_parse (const char *buf, size_t len, const struct og_json_opts *opts, struct og_json **out, struct og_error *err)
{
  struct parser ps = {
    .p = (const unsigned char *)buf,
    .start = (const unsigned char *)buf,
    .end = (const unsigned char *)buf + len,
    .max_depth = opts && opts->max_depth && opts->max_depth < OG_JSON_HARD_DEPTH ? opts->max_depth : OG_JSON_HARD_DEPTH,
    .comments = opts && opts->allow_comments,
    .err = err,
  };
  struct og_json *root;

  if (opts && opts->max_size && len > opts->max_size)
    return og_error_set (err, EFBIG, "json document of %zu bytes exceeds the limit of %zu bytes", len, opts->max_size);
  ps.arena = og_xcalloc (1, sizeof *ps.arena);
  root = read_document (&ps);
  free (ps.vals);
  free (ps.keys);
  if (root == NULL)
    {
      arena_destroy (ps.arena);
      return -1;
    }
  root->owns_arena = true;
  *out = root;
  return 0;
}

/* ---- writer ------------------------------------------------------------- */

/* A direct serialiser: one pass, one growing buffer, strings copied in runs
 * between the few bytes that need escaping.  Input strings were validated
 * as UTF-8 and NUL-free when parsed; constructed ones come from us. */
#define out og_buf

static void
reserve (struct out *o, size_t n)
{
  if (o->len + n + 1 <= o->cap)
    return;
  while (o->len + n + 1 > o->cap)
    o->cap = o->cap ? o->cap * 2 : 4096;
  o->buf = og_xrealloc (o->buf, o->cap);
}

static void
put (struct out *o, const char *s, size_t n)
{
  reserve (o, n);
  memcpy (o->buf + o->len, s, n);
  o->len += n;
  o->buf[o->len] = '\0';
}

static inline void
put_char (struct out *o, char c)
{
  if (o->len + 2 > o->cap)
    reserve (o, 1);
  o->buf[o->len++] = c;
  o->buf[o->len] = '\0';
}

void
og_buf_put (struct og_buf *b, const char *s, size_t n)
{
  put (b, s, n);
}

void
og_buf_puts (struct og_buf *b, const char *s)
{
  put (b, s, strlen (s));
}

/* Bytes a JSON string cannot hold as they are: controls, '"', '\\'. */
static const bool needs_escape[256] = {
  [0 ... 0x1f] = true,
  ['"'] = true,
  ['\\'] = true,
};

/* Some of the eight bytes at s is a control character, a quote or a
 * backslash (the bit tricks find any byte below 0x20 or equal to one, with
 * no false answer for the word as a whole). */
static inline bool
word_needs_escape (const char *s)
{
  const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
  uint64_t w, q, b;

  memcpy (&w, s, 8);
  q = w ^ (ones * '"');
  b = w ^ (ones * '\\');
  return ((((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((b - ones) & ~b)) & highs) != 0;
}

static void
put_string (struct out *o, const char *s, size_t n)
{
  static const char hex[] = "0123456789abcdef";
  size_t i = 0;
  char *d;

  /* worst case: every byte becomes \u00XX */
  reserve (o, 6 * n + 2);
  d = o->buf + o->len;
  *d++ = '"';
  /* most strings need no escape at all: find the first byte that does,
   * eight at a time */
  while (i + 8 <= n && !word_needs_escape (s + i))
    i += 8;
  while (i < n && !needs_escape[(unsigned char)s[i]])
    i++;
  memcpy (d, s, i);
  d += i;
  while (i < n)
    {
      unsigned char c;

      /* copy eight bytes at a time while none is a control character, a
       * quote or a backslash */
      while (i + 8 <= n)
        {
          if (word_needs_escape (s + i))
            break;
          memcpy (d, s + i, 8);
          d += 8;
          i += 8;
        }
      if (i >= n)
        break;
      c = (unsigned char)s[i++];
      if (c >= 0x20 && c != '"' && c != '\\')
        {
          *d++ = (char)c;
          continue;
        }
      *d++ = '\\';
      switch (c)
        {
          case '"':
            *d++ = '"';
            break;
          case '\\':
            *d++ = '\\';
            break;
          case '\n':
            *d++ = 'n';
            break;
          case '\t':
            *d++ = 't';
            break;
          case '\r':
            *d++ = 'r';
            break;
          case '\b':
            *d++ = 'b';
            break;
          case '\f':
            *d++ = 'f';
            break;
          default:
            memcpy (d, "u00", 3);
            d[3] = hex[c >> 4];
            d[4] = hex[c & 15];
            d += 5;
        }
    }
  *d++ = '"';
  o->len = (size_t)(d - o->buf);
  o->buf[o->len] = '\0';
}

/* A parsed string that had nothing to decode has nothing to escape. */
static void
put_plain (struct out *o, const char *s, size_t n)
{
  char *d;

  reserve (o, n + 2);
  d = o->buf + o->len;
  *d++ = '"';
  memcpy (d, s, n);
  d += n;
  *d++ = '"';
  o->len = (size_t)(d - o->buf);
  o->buf[o->len] = '\0';
}

void
og_buf_put_json_string (struct og_buf *b, const char *s)
{
  size_t n;

  if (s == NULL)
    {
      put (b, "null", 4);
      return;
    }
  n = strlen (s);
  if (utf8_valid ((const unsigned char *)s, n))
    {
      put_string (b, s, n);
      return;
    }
  /* Bytes from argv or a path (a bundle, a --cap value, an env name) need
   * not be UTF-8, and a strict reader drops a record that is not: each byte
   * that does not start a valid sequence becomes U+FFFD, as Go's
   * encoding/json writes it (so runc's own log lines agree). */
  {
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    og_cleanup_free char *clean = og_xmalloc (3 * n + 1);
    char *d = clean;

    while (p < end)
      {
        size_t k = *p < 0x80 ? 1 : utf8_seq (p, end);
        if (k == 0)
          {
            memcpy (d, "\xef\xbf\xbd", 3);
            d += 3;
            p++;
            continue;
          }
        memcpy (d, p, k);
        d += k;
        p += k;
      }
    put_string (b, clean, (size_t)(d - clean));
  }
}

static void
newline (struct out *o, bool pretty, unsigned depth)
{
  if (!pretty)
    return;
  reserve (o, 1 + 4 * (size_t)depth);
  o->buf[o->len++] = '\n';
  for (unsigned i = 0; i < depth; i++)
    {
      memcpy (o->buf + o->len, "    ", 4);
      o->len += 4;
    }
}

static int
write_node (struct out *o, const struct og_json *j, bool pretty, unsigned depth)
{
  if (depth > 1024)
    return -1;
  switch (j->type)
    {
      case OG_JSON_NULL:
        put (o, "null", 4);
        return 0;
      case OG_JSON_FALSE:
        put (o, "false", 5);
        return 0;
      case OG_JSON_TRUE:
        put (o, "true", 4);
        return 0;
      case OG_JSON_NUMBER:
        put (o, j->text, j->len);
        return 0;
      case OG_JSON_STRING:
        /* runc would read invalid UTF-8 as U+FFFD: a path resolved on the host
         * with such bytes would not be the path that was checked */
        if (j->arena == NULL
            && (!utf8_valid ((const unsigned char *)j->text, j->len) || memchr (j->text, '\0', j->len)))
          return -1; /* parsed strings were checked by the parser */
        if (j->plain)
          put_plain (o, j->text, j->len);
        else
          put_string (o, j->text, j->len);
        return 0;
      case OG_JSON_OBJECT:
      case OG_JSON_ARRAY:
        put_char (o, j->type == OG_JSON_OBJECT ? '{' : '[');
        for (size_t i = 0; i < j->n; i++)
          {
            if (i)
              put_char (o, ',');
            newline (o, pretty, depth + 1);
            if (j->type == OG_JSON_OBJECT)
              {
                size_t klen = strlen (j->keys[i]);
                if (j->arena == NULL && !utf8_valid ((const unsigned char *)j->keys[i], klen))
                  return -1;
                put_string (o, j->keys[i], klen);
                if (pretty)
                  put (o, ": ", 2);
                else
                  put_char (o, ':');
              }
            if (write_node (o, j->vals[i], pretty, depth + 1) < 0)
              return -1;
          }
        if (j->n)
          newline (o, pretty, depth);
        put_char (o, j->type == OG_JSON_OBJECT ? '}' : ']');
        return 0;
    }
  return -1;
}

int
og_json_write (const struct og_json *j, bool pretty, char **out, size_t *out_len, struct og_error *err)
{
  struct out o = { 0 };

  if (write_node (&o, j, pretty, 0) < 0)
    {
      free (o.buf);
      return og_error_set (err, 0, "cannot serialise json: a string is not valid UTF-8, or the tree is too deep");
    }
  if (pretty)
    put (&o, "\n", 1);
  reserve (&o, 0);
  o.buf[o.len] = '\0';
  *out = o.buf;
  if (out_len)
    *out_len = o.len;
  return 0;
}

char *
og_json_to_text (const struct og_json *j)
{
  char *s = NULL;

  if (j == NULL)
    return NULL;
  if (og_json_write (j, false, &s, NULL, NULL) < 0)
    return og_xstrdup ("(unprintable)");
  return s;
}
