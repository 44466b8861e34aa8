/* SPDX-License-Identifier: Apache-2.0 */
/* Engine facts (policy/facts.c): a config is the CRI's only when the
 * bundle and runtime root are containerd's k8s.io ones; only then do the
 * CRI's annotations fill {pod_uid} and {sandbox_id}. */
#include <config.h>
#include <check.h>

#include "helpers.h"
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ocigate/enforce.h"
#include "ocigate/facts.h"
#include "ocigate/policy.h"
#include "ocigate/util.h"

#define TASK "/run/containerd/io.containerd.runtime.v2.task/k8s.io"
#define RUNC_ROOT "/run/containerd/runc/k8s.io"
#define SID "5b1d3c87cc0d9c4e3d193bfe1086b25ac495689ec8ffb9b764a5c8585732f642"
#define CID "0cf8bfc30ebaf5ba26e57c1ae32106fbaa750f42fad956cb45685a41a01304b1"
#define UID "9cb87db9-f869-4c1e-b92b-84f03d9a09e3"

/* The shipped default profile with its "cri" object replaced by `cri`
 * (NULL: without one); parsed into *p, or the error. */
static int
default_with (const char *cri, struct og_policy **p, struct og_error *err)
{
  og_cleanup_free char *path = og_xasprintf ("%s/default.json", PROFILES), *text = NULL, *edited = NULL;
  const char *start, *end;
  size_t len;

  text = th_read_file (path, &len);
  start = strstr (text, "\"cri\": {");
  ck_assert_ptr_nonnull (start);
  end = strchr (start, '}');
  ck_assert_ptr_nonnull (end);
  if (cri == NULL)
    end = strchr (end, ','); /* the member and its comma */
  edited = og_xasprintf ("%.*s%s%s%s", (int)(start - text), text, cri ? "\"cri\": " : "", cri ? cri : "", end + 1);
  return og_policy_parse (edited, strlen (edited), "test.json", p, err);
}

static struct og_policy *
policy_with (const char *cri)
{
  struct og_policy *p = NULL;
  struct og_error err = { 0 };

  ck_assert_msg (default_with (cri, &p, &err) == 0, "%s", err.msg);
  return p;
}

static struct og_policy *
cri_policy (void)
{
  return policy_with ("{\"task_dir\":\"" TASK "\",\"runc_root\":\"" RUNC_ROOT "\"}");
}

static struct og_json *
spec_with (const char *type, const char *sandbox, const char *uid)
{
  og_cleanup_free char *text
      = og_xasprintf ("{\"annotations\":{\"io.kubernetes.cri.container-type\":\"%s\","
                      "\"io.kubernetes.cri.sandbox-id\":\"%s\",\"io.kubernetes.cri.sandbox-uid\":\"%s\"}}",
                      type, sandbox, uid);
  const struct og_json_opts opts = { .max_size = 1 << 20, .max_depth = 16 };
  struct og_json *j = NULL;
  struct og_error err = { 0 };

  ck_assert_msg (og_json_parse (text, strlen (text), &opts, &j, &err) == 0, "%s", err.msg);
  return j;
}

START_TEST (cri_container_facts)
{
  og_cleanup_policy struct og_policy *p = cri_policy ();
  og_cleanup_json struct og_json *spec = spec_with ("container", SID, UID);
  struct og_engine_facts f;

  og_engine_facts_read (p, TASK "/" CID, RUNC_ROOT, CID, spec, &f);
  ck_assert (f.cri);
  ck_assert (!f.cri_sandbox);
  ck_assert_str_eq (f.sandbox_id, SID);
  ck_assert_str_eq (f.pod_uid, UID);
  og_engine_facts_clear (&f);
}
END_TEST

static struct og_json *
spec_in_namespace (const char *ns)
{
  og_cleanup_free char *text
      = og_xasprintf ("{\"annotations\":{\"io.kubernetes.cri.container-type\":\"container\","
                      "\"io.kubernetes.cri.sandbox-id\":\"" SID "\",\"io.kubernetes.cri.sandbox-uid\":\"" UID "\","
                      "\"io.kubernetes.cri.sandbox-namespace\":\"%s\"}}",
                      ns);
  const struct og_json_opts opts = { .max_size = 1 << 20, .max_depth = 16 };
  struct og_json *j = NULL;
  struct og_error err = { 0 };

  ck_assert_msg (og_json_parse (text, strlen (text), &opts, &j, &err) == 0, "%s", err.msg);
  return j;
}

/* The engine and the pod's namespace, which profiles select on: only on a
 * CRI call, whatever the annotations say. */
START_TEST (engine_and_namespace_facts)
{
  og_cleanup_policy struct og_policy *p = cri_policy ();
  og_cleanup_json struct og_json *spec = spec_in_namespace ("payments"), *odd = spec_in_namespace ("a/b");
  struct og_engine_facts f;

  og_engine_facts_read (p, TASK "/" CID, RUNC_ROOT, CID, spec, &f);
  ck_assert_str_eq (f.engine, "cri");
  ck_assert_str_eq (f.pod_namespace, "payments");
  og_engine_facts_clear (&f);
  /* the same annotations from docker/podman/ctr: no engine, no namespace */
  og_engine_facts_read (p, "/var/run/docker/containerd/daemon/io.containerd.runtime.v2.task/moby/" CID,
                        "/var/run/docker/runtime-runc/moby", CID, spec, &f);
  ck_assert_ptr_null (f.engine);
  ck_assert_ptr_null (f.pod_namespace);
  og_engine_facts_read (p, TASK "/" CID, "/run/containerd/runc/default", CID, spec, &f);
  ck_assert_ptr_null (f.engine);
  ck_assert_ptr_null (f.pod_namespace);
  /* a namespace that is no DNS label names nothing; the call is still the CRI's */
  og_engine_facts_read (p, TASK "/" CID, RUNC_ROOT, CID, odd, &f);
  ck_assert_str_eq (f.engine, "cri");
  ck_assert_ptr_null (f.pod_namespace);
  og_engine_facts_clear (&f);
}
END_TEST

START_TEST (cri_sandbox_is_its_own)
{
  og_cleanup_policy struct og_policy *p = cri_policy ();
  og_cleanup_json struct og_json *own = spec_with ("sandbox", SID, UID), *other = spec_with ("sandbox", CID, UID);
  og_cleanup_json struct og_json *self = spec_with ("container", SID, UID);
  struct og_engine_facts f;

  og_engine_facts_read (p, TASK "/" SID, RUNC_ROOT, SID, own, &f);
  ck_assert (f.cri && f.cri_sandbox);
  og_engine_facts_clear (&f);
  /* a sandbox that names another pod's sandbox, an app container that
   * names itself: not the CRI's doing */
  og_engine_facts_read (p, TASK "/" SID, RUNC_ROOT, SID, other, &f);
  ck_assert (!f.cri);
  og_engine_facts_read (p, TASK "/" SID, RUNC_ROOT, SID, self, &f);
  ck_assert (!f.cri);
}
END_TEST

/* The annotations alone never make a config the CRI's. */
START_TEST (other_engines_are_not_the_cri)
{
  og_cleanup_policy struct og_policy *p = cri_policy ();
  og_cleanup_policy struct og_policy *none = policy_with (NULL);
  og_cleanup_json struct og_json *spec = spec_with ("container", SID, UID);
  static const char *const bundles[][2] = {
    { "/run/containerd/io.containerd.runtime.v2.task/moby/" CID, RUNC_ROOT },    /* docker's namespace */
    { "/run/containerd/io.containerd.runtime.v2.task/default/" CID, RUNC_ROOT }, /* ctr's */
    { TASK "/" CID, "/run/containerd/runc/default" },                            /* another root */
    { TASK "/../default/" CID, RUNC_ROOT },
    { TASK "/x/" CID, RUNC_ROOT },
    { TASK "/" CID "/", RUNC_ROOT },
    { "/var/lib/containers/storage/overlay-containers/" CID "/userdata", "/run/runc" }, /* podman */
    { "/var/run/docker/containerd/daemon/io.containerd.runtime.v2.task/moby/" CID,
      "/var/run/docker/runtime-runc/moby" },
  };
  struct og_engine_facts f;

  for (size_t i = 0; i < sizeof bundles / sizeof bundles[0]; i++)
    {
      og_engine_facts_read (p, bundles[i][0], bundles[i][1], CID, spec, &f);
      ck_assert_msg (!f.cri, "%s %s", bundles[i][0], bundles[i][1]);
    }
  og_engine_facts_read (p, NULL, RUNC_ROOT, CID, spec, &f);
  ck_assert (!f.cri);
  og_engine_facts_read (none, TASK "/" CID, RUNC_ROOT, CID, spec, &f);
  ck_assert (!f.cri);
}
END_TEST

START_TEST (bad_annotations_are_not_trusted)
{
  og_cleanup_policy struct og_policy *p = cri_policy ();
  static const char *const bad[][3] = {
    { "container", SID, "../" UID }, { "container", SID, "*" },     { "container", "..", UID },
    { "container", SID, "" },        { "container", "a/b", UID },   { "init", SID, UID },
    { "container", SID, "a[b]" },    { "container", SID "?", UID },
  };
  struct og_engine_facts f;

  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      og_cleanup_json struct og_json *spec = spec_with (bad[i][0], bad[i][1], bad[i][2]);
      og_engine_facts_read (p, TASK "/" CID, RUNC_ROOT, CID, spec, &f);
      ck_assert_msg (!f.cri, "%s %s %s", bad[i][0], bad[i][1], bad[i][2]);
    }
}
END_TEST

START_TEST (patterns_expand_only_trusted_facts)
{
  struct og_engine_facts f = { .cri = true, .sandbox_id = (char *)SID, .pod_uid = (char *)UID };
  struct og_engine_facts untrusted = { .cri = false, .sandbox_id = (char *)SID, .pod_uid = (char *)UID };
  og_cleanup_free char *a = og_pattern_expand ("/k/pods/{pod_uid}/volumes/*/*", CID, &f);
  og_cleanup_free char *b = og_pattern_expand ("/c/sandboxes/{sandbox_id}/shm", CID, &f);
  og_cleanup_free char *c = og_pattern_expand ("/d/containers/{id}/{id}", CID, NULL);
  og_cleanup_free char *lit = og_pattern_expand ("/x/{foo}/*", CID, NULL);

  ck_assert_str_eq (a, "/k/pods/" UID "/volumes/*/*");
  ck_assert_str_eq (b, "/c/sandboxes/" SID "/shm");
  ck_assert_str_eq (c, "/d/containers/" CID "/" CID);
  ck_assert_str_eq (lit, "/x/{foo}/*");
  ck_assert_ptr_null (og_pattern_expand ("/k/pods/{pod_uid}/volumes/*/*", CID, &untrusted));
  ck_assert_ptr_null (og_pattern_expand ("/k/pods/{pod_uid}/volumes/*/*", CID, NULL));
  ck_assert_ptr_null (og_pattern_expand ("/d/containers/{id}/*", "a/b", NULL));
  ck_assert_ptr_null (og_pattern_expand ("/d/containers/{id}/*", "*", NULL));
  ck_assert_ptr_null (og_pattern_expand ("/d/containers/{id}/*", NULL, NULL));
}
END_TEST

START_TEST (policy_cri_section)
{
  static const char *const bad[][2] = {
    { "{\"task_dir\":\"run/x\",\"runc_root\":\"/r\"}", "\"task_dir\" must be an absolute path" },
    { "{\"task_dir\":\"/run/../x\",\"runc_root\":\"/r\"}", "\"task_dir\" must be an absolute path" },
    { "{\"task_dir\":\"/run/x/\",\"runc_root\":\"/r\"}", "\"task_dir\" must be an absolute path" },
    { "{\"task_dir\":\"/run/x\"}", "missing \"runc_root\"" },
    { "{\"task_dir\":\"/run/x\",\"runc_root\":\"/r\",\"root\":\"/y\"}", "unknown key \"root\"" },
    { "[]", "cri: must be an object" },
  };

  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      struct og_policy *p = NULL;
      struct og_error err = { 0 };

      ck_assert_int_lt (default_with (bad[i][0], &p, &err), 0);
      ck_assert_msg (strstr (err.msg, bad[i][1]) && strstr (err.msg, "policy test.json: cri"), "%s", err.msg);
      og_error_clear (&err);
    }
  {
    og_cleanup_policy struct og_policy *p = th_profile ("default.json");
    ck_assert_str_eq (p->cri.task_dir, TASK);
    ck_assert_str_eq (p->cri.runc_root, RUNC_ROOT);
  }
}
END_TEST

/* Docker, containerd's default namespace and Podman, by the paths they
 * pass (tests/fixtures/engines: Docker 20.10 on the system containerd, ctr
 * 1.6, Podman 4.3 and 5.8), with the shipped profile's Debian defaults. */
#define DOCKER_TASK "/run/containerd/io.containerd.runtime.v2.task/moby"
#define DOCKER_ROOT "/run/docker/runtime-runc/moby"
#define CTR_TASK "/run/containerd/io.containerd.runtime.v2.task/default"
#define CTR_ROOT "/run/containerd/runc/default"
#define PODMAN_STORE "/var/lib/containers/storage"

START_TEST (docker_containerd_podman_facts)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  og_cleanup_json struct og_json *spec = spec_with ("container", SID, UID);
  static const char *const calls[][3] = {
    { DOCKER_TASK "/" CID, DOCKER_ROOT, "docker" },
    { CTR_TASK "/" CID, CTR_ROOT, "containerd" },
    { PODMAN_STORE "/vfs-containers/" CID "/userdata", "/run/runc", "podman" },
    { PODMAN_STORE "/overlay-containers/" CID "/userdata", "/run/runc", "podman" },
  };
  struct og_engine_facts f;

  for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
    {
      og_engine_facts_read (p, calls[i][0], calls[i][1], CID, spec, &f);
      ck_assert_msg (f.engine && strcmp (f.engine, calls[i][2]) == 0, "%s: %s", calls[i][0],
                     f.engine ? f.engine : "(none)");
      /* the CRI's annotations on another engine's call are nobody's */
      ck_assert (!f.cri && !f.buildkit && f.pod_namespace == NULL && f.sandbox_id == NULL);
      og_engine_facts_clear (&f);
    }
}
END_TEST

/* Anything short of an engine's exact paths is no engine: never a guess. */
START_TEST (near_misses_are_no_engine)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  og_cleanup_json struct og_json *spec = spec_with ("container", SID, UID);
  static const char *const calls[][3] = {
    { DOCKER_TASK "/" CID, CTR_ROOT, CID },                    /* docker's bundle, ctr's root */
    { CTR_TASK "/" CID, DOCKER_ROOT, CID },                    /* and the other way round */
    { DOCKER_TASK "/" CID, DOCKER_ROOT, "other" },             /* another id than the bundle's */
    { DOCKER_TASK "/x/" CID, DOCKER_ROOT, CID },               /* one level deeper */
    { DOCKER_TASK "/../moby/" CID, DOCKER_ROOT, CID },         /* not normalized */
    { DOCKER_TASK "-x/" CID, DOCKER_ROOT, CID },               /* a sibling directory */
    { DOCKER_TASK "/" CID, DOCKER_ROOT "/x", CID },            /* another root */
    { PODMAN_STORE "/vfs-containers/" CID, "/run/runc", CID }, /* no userdata */
    { PODMAN_STORE "/vfs-containers/" CID "/userdata/x", "/run/runc", CID },
    { PODMAN_STORE "/foo-containers/" CID "/userdata", "/run/runc", CID }, /* no such driver */
    { PODMAN_STORE "/vfs-containers/x/userdata", "/run/runc", CID },
    { PODMAN_STORE "/vfs-containers/" CID "/userdata", "/run/containerd/runc/default", CID },
    { "/run/containers/storage/vfs-containers/" CID "/userdata", "/run/runc", CID }, /* runroot (CRI-O's) */
    { PODMAN_STORE "/vfs-containers/../x/userdata", "/run/runc", ".." },
    { DOCKER_TASK "/a/b", DOCKER_ROOT, "a/b" },
  };
  struct og_engine_facts f;

  for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
    {
      og_engine_facts_read (p, calls[i][0], calls[i][1], calls[i][2], spec, &f);
      ck_assert_msg (f.engine == NULL, "%s %s %s: %s", calls[i][0], calls[i][1], calls[i][2], f.engine);
    }
}
END_TEST

/* A policy that gives two engines the same paths says nothing about
 * either: the call has no engine at all. */
START_TEST (two_engines_same_paths_are_none)
{
  og_cleanup_policy struct og_policy *p
      = policy_with ("{\"task_dir\":\"" DOCKER_TASK "\",\"runc_root\":\"" DOCKER_ROOT "\"}");
  og_cleanup_json struct og_json *spec = spec_with ("container", SID, UID);
  struct og_engine_facts f;

  og_engine_facts_read (p, DOCKER_TASK "/" CID, DOCKER_ROOT, CID, spec, &f);
  ck_assert_ptr_null (f.engine);
  ck_assert (!f.cri);
}
END_TEST

/* exec and update name no bundle: the ones a create under that root had. */
START_TEST (bundles_of_a_root)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  og_cleanup_strv char **docker = og_engine_bundles (p, DOCKER_ROOT, CID);
  og_cleanup_strv char **runc = og_engine_bundles (p, "/run/runc", CID);
  og_cleanup_strv char **bad = og_engine_bundles (p, DOCKER_ROOT, "../x");
  og_cleanup_strv char **none = og_engine_bundles (p, "/elsewhere", CID);

  ck_assert_uint_eq (og_strv_len (docker), 1);
  ck_assert_str_eq (docker[0], DOCKER_TASK "/" CID);
  /* BuildKit's and Podman's (one per storage driver) share runc's default */
  ck_assert (og_strv_contains (runc, "/var/lib/docker/buildkit/executor/" CID));
  ck_assert (og_strv_contains (runc, PODMAN_STORE "/vfs-containers/" CID "/userdata"));
  ck_assert (og_strv_contains (runc, PODMAN_STORE "/overlay-containers/" CID "/userdata"));
  ck_assert_uint_eq (og_strv_len (bad), 0);
  ck_assert_uint_eq (og_strv_len (none), 0);
}
END_TEST

START_TEST (policy_engine_sections)
{
  static const char *const bad[][2] = {
    { "\"docker\": {\"task_dir\":\"/run/*\",\"runc_root\":\"/r\"}", "policy test.json: docker: \"task_dir\" must be" },
    { "\"docker\": {\"task_dir\":\"/run/x\"}", "policy test.json: docker: missing \"runc_root\"" },
    { "\"containerd\": {\"task_dir\":\"/run/x\",\"runc_root\":\"r\"}",
      "policy test.json: containerd: \"runc_root\" must be" },
    { "\"podman\": {\"graph_root\":\"/var/lib/{x}\",\"runc_root\":\"/run/runc\"}",
      "policy test.json: podman: \"graph_root\" must be" },
    { "\"podman\": {\"graph_root\":\"/v\",\"runc_root\":\"/run/runc\",\"driver\":\"vfs\"}", "unknown key \"driver\"" },
  };

  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      og_cleanup_free char *path = og_xasprintf ("%s/default.json", PROFILES), *base = NULL, *edited = NULL;
      og_cleanup_free char *key = og_xasprintf ("%.*s", (int)strcspn (bad[i][0], ":") + 2, bad[i][0]);
      struct og_policy *p = NULL;
      struct og_error err = { 0 };
      char *start, *end;
      size_t len;

      /* the shipped profile with that area replaced */
      base = th_read_file (path, &len);
      start = strstr (base, key);
      ck_assert_ptr_nonnull (start);
      end = strchr (start, '}');
      edited = og_xasprintf ("%.*s%s%s", (int)(start - base), base, bad[i][0], end + 1);
      ck_assert_int_lt (og_policy_parse (edited, strlen (edited), "test.json", &p, &err), 0);
      ck_assert_msg (strstr (err.msg, bad[i][1]), "%s", err.msg);
      og_error_clear (&err);
    }
}
END_TEST

/* Through the mounts rule: the shipped profile lets a pod's container bind
 * its own emptyDir (moved under a scratch kubelet root), not another
 * pod's, and nothing when the facts are not the CRI's. */
START_TEST (mounts_rule_uses_the_facts)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  const char *t = th_tmpdir ();
  og_cleanup_free char *kube = og_xasprintf ("%s/kubelet", t);
  og_cleanup_free char *mine = og_xasprintf ("%s/pods/" UID "/volumes/kubernetes.io~empty-dir/data", kube);
  og_cleanup_free char *theirs = og_xasprintf ("%s/pods/other-pod/volumes/kubernetes.io~empty-dir/data", kube);
  og_cleanup_free char *pattern = og_xasprintf ("%s/pods/{pod_uid}/volumes/*/*", kube);
  struct og_engine_facts f = { .cri = true, .sandbox_id = (char *)SID, .pod_uid = (char *)UID };
  struct og_engine_facts forged = { .cri = false, .sandbox_id = (char *)SID, .pod_uid = (char *)UID };
  const struct og_engine_facts *cases[] = { &f, &f, &forged };
  const char *sources[] = { mine, theirs, mine };
  const bool allowed[] = { true, false, false };

  th_strv_add (&p->mounts.allow_sources, pattern);
  th_strv_add (&p->mounts.deny_trees, kube);
  for (const char *d = mine, *e = theirs; d; d = (d == mine ? e : NULL))
    {
      og_cleanup_free char *cmd = og_xasprintf ("mkdir -p '%s'", d);
      ck_assert_int_eq (system (cmd), 0);
    }
  for (size_t i = 0; i < 3; i++)
    {
      og_cleanup_free char *text = og_xasprintf (
          "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"},\"root\":{\"path\":\"rootfs\"},"
          "\"mounts\":[{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"%s\",\"options\":[\"rbind\"]}],"
          "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"ipc\"},"
          "{\"type\":\"uts\"},{\"type\":\"mount\"}]}}",
          sources[i]);
      const struct og_json_opts opts = { .max_size = 1 << 20, .max_depth = 16 };
      og_cleanup_json struct og_json *spec = NULL;
      struct og_decisions d = { 0 };
      struct og_error err = { 0 };
      struct og_enforce_ctx ctx = { .policy = p, .bundle = t, .container_id = CID, .facts = cases[i] };
      const struct og_decision *dec;

      ck_assert_msg (og_json_parse (text, strlen (text), &opts, &spec, &err) == 0, "%s", err.msg);
      ck_assert_msg (og_enforce_config (&ctx, spec, &d, &err) == 0, "%s", err.msg);
      dec = th_find (&d, "mounts", OG_DECISION_REFUSE, "mounts[0]");
      ck_assert_msg (allowed[i] ? dec == NULL : dec != NULL, "case %zu: %s", i, dec ? dec->reason : "not refused");
      og_decisions_clear (&d);
    }
}
END_TEST

static Suite *
facts_suite (void)
{
  Suite *s = suite_create ("facts");
  TCase *tc = tcase_create ("core");

  tcase_add_test (tc, cri_container_facts);
  tcase_add_test (tc, cri_sandbox_is_its_own);
  tcase_add_test (tc, engine_and_namespace_facts);
  tcase_add_test (tc, other_engines_are_not_the_cri);
  tcase_add_test (tc, bad_annotations_are_not_trusted);
  tcase_add_test (tc, patterns_expand_only_trusted_facts);
  tcase_add_test (tc, policy_cri_section);
  tcase_add_test (tc, mounts_rule_uses_the_facts);
  tcase_add_test (tc, docker_containerd_podman_facts);
  tcase_add_test (tc, near_misses_are_no_engine);
  tcase_add_test (tc, two_engines_same_paths_are_none);
  tcase_add_test (tc, bundles_of_a_root);
  tcase_add_test (tc, policy_engine_sections);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return th_run (facts_suite ());
}
