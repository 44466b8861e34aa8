/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ocigatectl show --effective [--policy FILE]: the policy a call would
 * enforce once policy.d's layers are merged, as JSON, with the file each
 * key came from:  {"policy": {...}, "sources": {"area.key": FILE, ...}},
 * and each workload profile the same way, with its selector:
 * "profiles": {NAME: {"select": {...}, "policy": {...}, "sources": {...}}}.
 * A key no file sets has its default and no entry in "sources".
 */
#include <config.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "ocigate/json.h"
#include "ocigate/policy.h"
#include "ocigate/util.h"
#include "ctl.h"

static int
show_usage (void)
{
  fprintf (stderr, "usage: ocigatectl show --effective [--policy FILE]\n");
  return CTL_EXIT_ERROR;
}

int
ctl_show (int argc, char **argv)
{
  static const struct option opts[]
      = { { "effective", no_argument, NULL, 'e' }, { "policy", required_argument, NULL, 'p' }, { NULL, 0, NULL, 0 } };
  og_cleanup_policy struct og_policy *policy = NULL;
  og_cleanup_json struct og_json *effective = NULL, *sources = NULL, *profiles = NULL, *out = NULL;
  og_cleanup_free char *text = NULL;
  const char *path = OG_POLICY_DEFAULT;
  struct og_error err = { 0 };
  bool want = false;
  size_t len;
  int c;

  optind = 1;
  while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1)
    if (c == 'e')
      want = true;
    else if (c == 'p')
      path = optarg;
    else
      return show_usage ();
  if (!want || optind != argc)
    return show_usage ();
  if (og_policy_load_effective (path, &policy, &effective, &sources, &profiles, &err) < 0)
    return ctl_fail (&err);
  out = og_json_new (OG_JSON_OBJECT);
  og_json_set (out, "policy", og_steal_pointer (&effective));
  og_json_set (out, "sources", og_steal_pointer (&sources));
  og_json_set (out, "profiles", og_steal_pointer (&profiles));
  og_json_set (out, "sha256", og_json_new_string (policy->digest));
  if (og_json_write (out, true, &text, &len, &err) < 0)
    return ctl_fail (&err);
  fwrite (text, 1, len, stdout);
  putchar ('\n');
  return CTL_EXIT_ALLOWED;
}
