/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The shape of a policy file, PRIVATE to libocigate (and its unit tests).
 *
 * Every area of ocigate-policy(5) is one entry of og_policy_sections
 * (policy/sections.c): its keys, each with a type, the member of struct
 * og_policy it fills, a default, bounds, and whether it is required.  The
 * loader (policy.c), og_policy_free and the compiled image (schema.c,
 * policy_image.c) and the man-page test all walk that one table, so a new
 * area is its rule file, its table entry, its tests and its man-page text.
 *
 * A new key: its member in struct og_policy; one KEY line in its area's
 * table (type, member, and what applies of default, bounds, required,
 * check_entry); the key in the area's "Keys:" list of ocigate-policy(5)
 * with its text; a test.  Reading, the unknown-key check, freeing, the
 * compiled image and the cache (whose images of the old table no longer
 * read back) follow from the table.  A value a type cannot express gets a
 * check_entry (one list entry) or the area's check (across keys).
 *
 * A new area: its members in struct og_policy and its rule file (listed in
 * enforce.c); a keys table and one line of og_policy_sections (optional
 * when policies written before it must keep loading: then its defaults
 * are its safe reading); its ".SS name" and "Keys:" list in the man page,
 * and its name in the top level's required list unless optional; tests.
 */
#ifndef OCIGATE_POLICY_SCHEMA_H
#define OCIGATE_POLICY_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "ocigate/error.h"
#include "ocigate/json.h"
#include "ocigate/policy.h"

enum og_key_type
{
  OG_KEY_ACTION, /* enum og_action: "enforce", "deny", "audit" (alias "warn") */
  OG_KEY_BOOL,   /* bool */
  OG_KEY_STRING, /* char *, non-empty */
  OG_KEY_STRV,   /* char **, non-empty strings */
  OG_KEY_PATHV,  /* char **, absolute paths */
  OG_KEY_CHOICE, /* one string of .choices, stored as its value (an int or a bool) */
  OG_KEY_INT,    /* int64_t read by .parse; .has_off, if set, the bool that says it was given */
  OG_KEY_COUNT,  /* unsigned, a positive integer clamped to .max */
  OG_KEY_LIMIT,  /* struct og_limit: {"default", "max"} read by .parse */
  OG_KEY_OBJECT, /* a nested object of .sub keys */
  OG_KEY_CUSTOM, /* .custom reads it, present or not; .owns says what it allocates */
};

/* What a key's member holds, for og_policy_free and the compiled image. */
enum og_key_store
{
  OG_STORE_PLAIN, /* bytes without pointers */
  OG_STORE_STR,   /* char * */
  OG_STORE_STRV,  /* char ** */
};

struct og_load
{
  const char *name; /* the policy file, for messages */
  struct og_error *err;
  const char *origin; /* relative paths resolve beside it (NULL: name); a layer's is the base */
};

/* "policy NAME: WHERE: WHAT", returning -1. */
int og_load_error (const struct og_load *l, const char *where, const char *what);

struct og_choice
{
  const char *name;
  int value;
  int rank; /* OG_TIGHTEN_ORDER: higher is stricter */
};

/* What a later layer (policy.d/\*.json) may do to a key the files before it
 * set (policy/layers.c).  Zero, the default, is "may not change": a key
 * nobody classified fails closed.  The base lists in "overridable" the keys
 * a layer may set to anything. */
enum og_tighten
{
  OG_TIGHTEN_EQUAL = 0, /* the same JSON value only */
  OG_TIGHTEN_SUBSET,    /* STRV, PATHV: an allowlist, only entries the list had */
  OG_TIGHTEN_SUPERSET,  /* STRV, PATHV: a denylist or requirement, every entry it had */
  OG_TIGHTEN_LOWER,     /* COUNT, LIMIT (default and max): no larger; a limit only gets one */
  OG_TIGHTEN_HIGHER,    /* INT: no smaller; a minimum only gets one */
  OG_TIGHTEN_ORDER,     /* ACTION (audit < enforce < deny), CHOICE (by .rank): no lower */
  OG_TIGHTEN_TRUE,      /* BOOL: true is the secure side */
  OG_TIGHTEN_FALSE,     /* BOOL: false is the secure side */
  OG_TIGHTEN_EACH,      /* OBJECT: each member by its own rule */
};

typedef int (*og_value_parser) (const char *text, int64_t *out);

struct og_key
{
  const char *name;
  enum og_key_type type;
  size_t off;  /* of the member in struct og_policy */
  size_t size; /* of the member (OG_KEY_CHOICE stores an int or a bool) */
  bool required;
  const char *hint;                /* required: how to say "nothing" (in the message) */
  int64_t def;                     /* ACTION, CHOICE, INT, COUNT: the value when absent */
  const char *const *def_strv;     /* STRV: the list when absent */
  int64_t max;                     /* COUNT: larger values are clamped to it */
  bool has_flag;                   /* INT: has_off is set */
  size_t has_off;                  /* INT: the bool member saying the value was given */
  og_value_parser parse;           /* INT, LIMIT */
  const struct og_choice *choices; /* CHOICE, ended by a NULL name */
  /* STRV, PATHV: NULL when the entry is fine, else why not (malloc'd) */
  char *(*check_entry) (const char *entry);
  const struct og_key *sub; /* OBJECT: its keys, ended by a NULL name */
  int (*custom) (const struct og_load *l, const struct og_json *v, struct og_policy *p);
  enum og_key_store owns;  /* CUSTOM */
  enum og_tighten tighten; /* what a later layer may do (policy/layers.c) */
};

struct og_section
{
  const char *name;
  bool optional;             /* absent: the defaults (the safe reading of an older policy) */
  const char *off_how;       /* required: how to turn the area off, for "missing required section" */
  const struct og_key *keys; /* ended by a NULL name; "description" is always accepted too */
  /* what spans keys, after all of them are read */
  int (*check) (const struct og_load *l, struct og_policy *p);
};

/* The top level's own keys (version, description, mode, audit), then the
 * areas in the order they are loaded (and listed in ocigate-policy(5)). */
extern const struct og_key og_policy_top_keys[];
extern const struct og_section og_policy_sections[];
extern const size_t og_policy_nsections;

/* Loads a policy from its parsed JSON (every area present); policy.c. */
int og_policy_from_json (const struct og_load *l, const struct og_json *root, struct og_policy **out);
/* The key at a dotted path ("mounts.scan.max_ms"), its area's keys when
 * the path is an area's name (*area set), or NULL. */
const struct og_key *og_policy_find_path (const char *path, const struct og_key **area);
/* The key of that name in a key table, or NULL. */
const struct og_key *og_key_find (const struct og_key *keys, const char *name);

/* The layers of a policy: <dir>/policy.d/NAME.json, in lexical order
 * (policy/layers.c).  Each is opened and checked like the policy itself. */
struct og_layer
{
  char *path;
  int fd;
  struct stat st;
};

struct og_layers
{
  struct og_layer *v;
  size_t n;
};

/* The layers beside the policy at path (none when there is no policy.d). */
int og_layers_open (const char *path, struct og_layers *ls, struct og_error *err);
void og_layers_clear (struct og_layers *ls);
#define og_cleanup_layers __attribute__ ((cleanup (og_layers_clear)))
/* One line per layer (device, inode, size, mtime, ctime, path): what the
 * compiled-policy cache must match besides the policy's own identity. */
char *og_layers_identity (const struct og_layers *ls);
/* Whether every layer's ctime is old enough to cache (og_policy_cacheable). */
bool og_layers_cacheable (const struct og_layers *ls, const struct timespec *now);
/* The base (parsed, named base) and the layers' texts bufs[i] of lens[i],
 * merged: each layer may only tighten what the files before it set; the
 * digest covers every file (base_digest: the base's sha256).  The
 * merged JSON and the file that set each key ("area.key" -> path), if
 * wanted. */
int og_layers_merge (const struct og_json *base, const char *name, const char *base_digest, const struct og_layers *ls,
                     char *const *bufs, const size_t *lens, struct og_policy **out, struct og_json **effective,
                     struct og_json **sources, struct og_error *err);

/* One layer (parsed, called name in messages) onto the JSON merged, which
 * compiled to p: the result *out, and its JSON in *next_out if wanted; an
 * error when it loosens any key of p (sources: who set what before); strict:
 * not even the keys p names "overridable" (a profile). */
int og_layer_onto (const char *base, const char *name, const struct og_json *layer, const struct og_json *merged,
                   const struct og_policy *p, const struct og_json *sources, bool strict, struct og_json **next_out,
                   struct og_policy **out, struct og_error *err);
/* sources["area.key"] = file for every key the parsed file `root` sets (a
 * limit's and a nested object's members one level deeper). */
void og_layer_record (struct og_json *sources, const struct og_json *root, const char *file);
/* The base's "profiles" object onto p (merged: p's JSON), each compiled by
 * og_layer_onto: a profile only tightens (policy/profiles_load.c).  shown,
 * if not NULL (an object), gets each profile as {"select", "policy": its
 * merged JSON, "sources": the file of each key, "BASE (profile NAME)" for
 * the profile's own}. */
int og_profiles_load (struct og_policy *p, const struct og_json *profiles, const struct og_json *merged,
                      const struct og_json *sources, struct og_json *shown, struct og_error *err);

/* Parses a positive integer (counts, ids, sizes in units). */
int og_parse_count (const char *s, int64_t *out);

/* What a key's member holds. */
enum og_key_store og_key_store (const struct og_key *k);
/* Stores v in the key's member (a bool, an int-sized enum or count, or an
 * int64_t, by the member's size). */
void og_key_set_int (struct og_policy *p, const struct og_key *k, int64_t v);
/* What og_key_set_int stored. */
int64_t og_key_get_int (const struct og_policy *p, const struct og_key *k);
/* The choice of a CHOICE key with value v (the first if none has it). */
const struct og_choice *og_key_choice (const struct og_key *k, int64_t v);
/* Calls fn for every pointer member of struct og_policy: path first, then
 * the keys' in table order.  The compiled image depends on that order. */
void og_policy_each_pointer (void (*fn) (size_t off, enum og_key_store kind, void *data), void *data);
/* A hash of the table's shape (types, members, defaults, bounds): a
 * compiled image written under another table is never read back. */
uint64_t og_policy_schema_hash (void);
/* Sets every key's default. */
void og_policy_set_defaults (struct og_policy *p);

/* Capability names through libcap (policy/policy_caps.c). */
char *og_cap_name_problem (const char *name);
/* The names of allow whose number is beyond `last_cap` (a kernel's last
 * capability), as a NULL-terminated list of messages, or NULL. */
char **og_caps_beyond (const char *policy_name, char *const *allow, int last_cap);

#endif
