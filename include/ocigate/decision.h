/* SPDX-License-Identifier: Apache-2.0 */
/* The decision list: what each rule did (or would do) to one container. */
#ifndef OCIGATE_DECISION_H
#define OCIGATE_DECISION_H

#include <stdbool.h>
#include <stddef.h>

enum og_decision_kind
{
  OG_DECISION_MUTATE, /* the config was changed */
  OG_DECISION_REFUSE, /* the container is refused */
  OG_DECISION_AUDIT,  /* recorded only (policy action or mode "audit") */
};

struct og_decision
{
  const char *rule; /* static: "capabilities", "mounts", ... */
  enum og_decision_kind kind;
  char *path;   /* JSON path in the config, e.g. process.capabilities.bounding */
  char *before; /* compact JSON text, or NULL */
  char *after;  /* compact JSON text, or NULL */
  char *reason; /* human sentence */
};

struct og_decisions
{
  struct og_decision *v;
  size_t n, cap;
};

/* Appends a decision; takes ownership of before/after (may be NULL). */
void og_decisions_add (struct og_decisions *d, const char *rule, enum og_decision_kind kind, const char *path,
                       char *before, char *after, const char *fmt, ...) __attribute__ ((format (printf, 7, 8)));
bool og_decisions_refused (const struct og_decisions *d);
/* The first refusal, or NULL. */
const struct og_decision *og_decisions_first_refusal (const struct og_decisions *d);
const char *og_decision_kind_name (enum og_decision_kind k);
void og_decisions_clear (struct og_decisions *d);

struct og_buf;
/* The decision list as a JSON array of {rule, action, path, before, after,
 * reason} (before/after: the JSON text of the value as a string, or null):
 * the one schema of the audit log and of `ocigatectl check --json`. */
void og_decisions_put_json (struct og_buf *b, const struct og_decisions *d);

#endif
