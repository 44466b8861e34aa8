/* SPDX-License-Identifier: Apache-2.0 */
/* The fields rule: members no runtime-spec release defines, and the newer
 * members that give a container what the host owns. */
#include <config.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "rule.h"
#include "ocigate/spec.h"
#include "ocigate/util.h"

static struct og_json *
parse (const char *text)
{
  struct og_json *j = NULL;
  struct og_error err = { 0 };

  if (og_spec_parse (text, strlen (text), &j, &err) < 0)
    ck_abort_msg ("parse: %s", err.msg);
  return j;
}

/* Only the fields rule, on a document of the given kind. */
static void
run (struct og_policy *p, struct og_json *doc, enum og_spec_doc kind, struct og_decisions *d)
{
  struct og_enforce_ctx ctx = { .policy = p };
  struct og_error err = { 0 };
  int r;

  if (kind == OG_SPEC_DOC_CONFIG)
    r = og_rule_fields (&ctx, doc, d, &err);
  else if (kind == OG_SPEC_DOC_RESOURCES)
    r = og_rule_fields_resources (&ctx, doc, d, &err);
  else
    {
      struct og_json *w = og_json_new (OG_JSON_OBJECT);
      og_json_set (w, "process", doc);
      r = og_rule_fields_process (&ctx, w, d, &err);
      w->vals[0] = NULL;
      og_json_free (w);
    }
  ck_assert_int_eq (r, 0);
}

static size_t
count_rule (const struct og_decisions *d, const char *rule)
{
  size_t n = 0;
  for (size_t i = 0; i < d->n; i++)
    n += strcmp (d->v[i].rule, rule) == 0;
  return n;
}

/* Every config, process and update document the engines wrote (Docker 20.10
 * and 28.5, containerd 1.6, Podman 4.3 and 5.8) has only known members. */
START_TEST (engine_fixtures_have_no_unknown_members)
{
  static const struct
  {
    const char *name;
    enum og_spec_doc kind;
  } fx[] = {
    { "docker-20.10/default.config.json", OG_SPEC_DOC_CONFIG },
    { "docker-20.10/privileged.config.json", OG_SPEC_DOC_CONFIG },
    { "docker-20.10/capall.config.json", OG_SPEC_DOC_CONFIG },
    { "docker-20.10/hardened.config.json", OG_SPEC_DOC_CONFIG },
    { "docker-20.10/sock.config.json", OG_SPEC_DOC_CONFIG },
    { "docker-20.10/exec.process.json", OG_SPEC_DOC_PROCESS },
    { "docker-20.10/exec-privileged.process.json", OG_SPEC_DOC_PROCESS },
    { "docker-20.10/update.update.json", OG_SPEC_DOC_RESOURCES },
    { "docker-28.5/hardened.config.json", OG_SPEC_DOC_CONFIG },
    { "docker-28.5/privileged.config.json", OG_SPEC_DOC_CONFIG },
    { "docker-28.5/volume-tmpfs.config.json", OG_SPEC_DOC_CONFIG },
    { "docker-28.5/exec.process.json", OG_SPEC_DOC_PROCESS },
    { "docker-28.5/exec-privileged-root.process.json", OG_SPEC_DOC_PROCESS },
    { "containerd-1.6/create-1.config.json", OG_SPEC_DOC_CONFIG },
    { "containerd-1.6/exec-5.process.json", OG_SPEC_DOC_PROCESS },
    { "podman-4.3/create-2.config.json", OG_SPEC_DOC_CONFIG },
    { "podman-4.3/create-3.config.json", OG_SPEC_DOC_CONFIG },
    { "podman-4.3/create-4.config.json", OG_SPEC_DOC_CONFIG },
    { "podman-4.3/exec-6.process.json", OG_SPEC_DOC_PROCESS },
    { "podman-5.8/default.config.json", OG_SPEC_DOC_CONFIG },
    { "podman-5.8/volume.config.json", OG_SPEC_DOC_CONFIG },
    { "podman-5.8/exec.process.json", OG_SPEC_DOC_PROCESS },
    { "podman-5.8/update-memory.json", OG_SPEC_DOC_RESOURCES },
  };
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");

  for (size_t i = 0; i < sizeof fx / sizeof fx[0]; i++)
    {
      og_cleanup_json struct og_json *doc = th_fixture (fx[i].name);
      struct og_decisions d = { 0 };

      run (p, doc, fx[i].kind, &d);
      ck_assert_msg (count_rule (&d, "fields") == 0, "%s: %s: %s", fx[i].name, d.v[0].path, d.v[0].reason);
      og_decisions_clear (&d);
    }
}
END_TEST

/* An invented member anywhere in the tree is refused, named by its path;
 * the free-form maps are data. */
START_TEST (unknown_members_refused_by_path)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  og_cleanup_json struct og_json *spec = parse (
      "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\"],\"inventedFlag\":true},"
      "\"mounts\":[{\"destination\":\"/a\"},{\"destination\":\"/b\",\"extra\":1}],"
      "\"linux\":{\"stealHost\":{\"x\":1},\"sysctl\":{\"kernel.anything\":\"1\"},"
      "\"resources\":{\"unified\":{\"memory.max\":\"max\"},\"rdma\":{\"mlx\":{\"hcaHandles\":1,\"bogus\":2}}}},"
      "\"annotations\":{\"whatever\":\"x\"}}");
  struct og_decisions d = { 0 };
  const struct og_decision *dec;

  run (p, spec, OG_SPEC_DOC_CONFIG, &d);
  ck_assert_uint_eq (count_rule (&d, "fields"), 4);
  dec = th_find (&d, "fields", OG_DECISION_REFUSE, "linux.stealHost");
  ck_assert_ptr_nonnull (dec);
  ck_assert_ptr_nonnull (strstr (dec->reason, "not a member of any runtime-spec release"));
  ck_assert_ptr_nonnull (th_find (&d, "fields", OG_DECISION_REFUSE, "process.inventedFlag"));
  ck_assert_ptr_nonnull (th_find (&d, "fields", OG_DECISION_REFUSE, "mounts[1].extra"));
  ck_assert_ptr_nonnull (th_find (&d, "fields", OG_DECISION_REFUSE, "linux.resources.rdma.mlx.bogus"));
  og_decisions_clear (&d);
}
END_TEST

/* fields.allow names a member by its shape; audit records and passes;
 * enforce removes the member. */
START_TEST (allow_audit_and_enforce)
{
  static const char doc[] = "{\"mounts\":[{\"destination\":\"/b\",\"extra\":1}],\"linux\":{\"siteExt\":1}}";
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  struct og_decisions d = { 0 };

  th_strv_add (&p->fields.allow, "mounts[].extra");
  {
    og_cleanup_json struct og_json *spec = parse (doc);
    run (p, spec, OG_SPEC_DOC_CONFIG, &d);
    ck_assert_uint_eq (count_rule (&d, "fields"), 1);
    ck_assert_ptr_nonnull (th_find (&d, "fields", OG_DECISION_REFUSE, "linux.siteExt"));
    og_decisions_clear (&d);
  }
  p->fields.action = OG_ACTION_AUDIT;
  {
    og_cleanup_json struct og_json *spec = parse (doc);
    run (p, spec, OG_SPEC_DOC_CONFIG, &d);
    ck_assert_ptr_nonnull (th_find (&d, "fields", OG_DECISION_AUDIT, "linux.siteExt"));
    ck_assert_ptr_nonnull (og_json_path (spec, "linux", "siteExt", NULL));
    og_decisions_clear (&d);
  }
  p->fields.action = OG_ACTION_ENFORCE;
  {
    og_cleanup_json struct og_json *spec = parse (doc);
    run (p, spec, OG_SPEC_DOC_CONFIG, &d);
    ck_assert_ptr_nonnull (th_find (&d, "fields", OG_DECISION_MUTATE, "linux.siteExt"));
    ck_assert_ptr_null (og_json_path (spec, "linux", "siteExt", NULL));
    ck_assert_ptr_nonnull (og_json_path (spec, "linux", NULL));
    og_decisions_clear (&d);
  }
}
END_TEST

START_TEST (process_and_resources_documents)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  og_cleanup_json struct og_json *proc = parse ("{\"args\":[\"id\"],\"user\":{\"uid\":0,\"gid\":0,\"newThing\":1}}");
  og_cleanup_json struct og_json *res = parse ("{\"memory\":{\"limit\":1,\"hugeLever\":2},\"newController\":{}}");
  struct og_decisions d = { 0 };

  run (p, proc, OG_SPEC_DOC_PROCESS, &d);
  ck_assert_ptr_nonnull (th_find (&d, "fields", OG_DECISION_REFUSE, "process.user.newThing"));
  og_decisions_clear (&d);
  run (p, res, OG_SPEC_DOC_RESOURCES, &d);
  ck_assert_ptr_nonnull (th_find (&d, "fields", OG_DECISION_REFUSE, "resources.memory.hugeLever"));
  ck_assert_ptr_nonnull (th_find (&d, "fields", OG_DECISION_REFUSE, "resources.newController"));
  og_decisions_clear (&d);
}
END_TEST

START_TEST (net_devices_by_name)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  og_cleanup_json struct og_json *spec
      = parse ("{\"linux\":{\"netDevices\":{\"eth0\":{\"name\":\"stolen0\"},\"macvlan7\":{}}}}");
  struct og_decisions d = { 0 };
  const struct og_decision *dec;

  th_strv_add (&p->fields.net_devices, "macvlan7");
  run (p, spec, OG_SPEC_DOC_CONFIG, &d);
  ck_assert_uint_eq (count_rule (&d, "fields"), 1);
  dec = th_find (&d, "fields", OG_DECISION_REFUSE, "linux.netDevices.eth0");
  ck_assert_ptr_nonnull (dec);
  ck_assert_ptr_nonnull (strstr (dec->reason, "the host loses it"));
  og_decisions_clear (&d);
}
END_TEST

START_TEST (scheduler_io_rdt_idmaps)
{
  static const char *const refused[] = {
    "{\"process\":{\"scheduler\":{\"policy\":\"SCHED_FIFO\",\"priority\":99}}}",
    "{\"process\":{\"scheduler\":{\"policy\":\"SCHED_RR\"}}}",
    "{\"process\":{\"scheduler\":{\"policy\":\"SCHED_DEADLINE\",\"runtime\":1000}}}",
    "{\"process\":{\"scheduler\":{\"policy\":\"SCHED_OTHER\",\"nice\":-20}}}",
    "{\"process\":{\"ioPriority\":{\"class\":\"IOPRIO_CLASS_RT\",\"priority\":0}}}",
    "{\"linux\":{\"intelRdt\":{\"closID\":\"host-group\"}}}",
    "{\"mounts\":[{\"destination\":\"/v\",\"source\":\"/srv\",\"type\":\"bind\",\"uidMappings\":[{\"containerID\":"
    "0,\"hostID\":0,\"size\":1}]}]}",
    "{\"mounts\":[{\"destination\":\"/v\",\"source\":\"/srv\",\"type\":\"bind\",\"options\":[\"rbind\",\"idmap\"]}]}",
  };
  static const char *const allowed[] = {
    "{\"process\":{\"scheduler\":{\"policy\":\"SCHED_OTHER\",\"nice\":5}}}",
    "{\"process\":{\"scheduler\":{\"policy\":\"SCHED_BATCH\"}}}",
    "{\"process\":{\"ioPriority\":{\"class\":\"IOPRIO_CLASS_BE\",\"priority\":4}}}",
    "{\"linux\":{\"personality\":{\"domain\":\"LINUX32\"},\"timeOffsets\":{\"monotonic\":{\"secs\":10}},"
    "\"memoryPolicy\":{\"mode\":\"MPOL_INTERLEAVE\",\"nodes\":\"0\"}},"
    "\"process\":{\"execCPUAffinity\":{\"initial\":\"0\",\"final\":\"0-1\"}}}",
  };
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");

  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
    {
      og_cleanup_json struct og_json *spec = parse (refused[i]);
      struct og_decisions d = { 0 };
      run (p, spec, OG_SPEC_DOC_CONFIG, &d);
      ck_assert_msg (og_decisions_refused (&d), "not refused: %s", refused[i]);
      og_decisions_clear (&d);
    }
  for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
    {
      og_cleanup_json struct og_json *spec = parse (allowed[i]);
      struct og_decisions d = { 0 };
      run (p, spec, OG_SPEC_DOC_CONFIG, &d);
      ck_assert_msg (!og_decisions_refused (&d), "refused: %s: %s", allowed[i], d.n ? d.v[0].reason : "");
      og_decisions_clear (&d);
    }
  /* the keys that allow them */
  p->fields.realtime = p->fields.intel_rdt = p->fields.idmapped_mounts = true;
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
    {
      og_cleanup_json struct og_json *spec = parse (refused[i]);
      struct og_decisions d = { 0 };
      run (p, spec, OG_SPEC_DOC_CONFIG, &d);
      ck_assert_msg (!og_decisions_refused (&d), "refused although allowed: %s", refused[i]);
      og_decisions_clear (&d);
    }
}
END_TEST

/* The same process members on exec. */
START_TEST (exec_scheduler_refused)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  og_cleanup_json struct og_json *proc = parse ("{\"args\":[\"id\"],\"scheduler\":{\"policy\":\"SCHED_FIFO\"}}");
  struct og_decisions d = { 0 };

  run (p, proc, OG_SPEC_DOC_PROCESS, &d);
  ck_assert_ptr_nonnull (th_find (&d, "fields", OG_DECISION_REFUSE, "process.scheduler"));
  og_decisions_clear (&d);
}
END_TEST

/* A policy without the section gets the secure defaults; the section's
 * keys are checked. */
START_TEST (policy_section)
{
  og_cleanup_policy struct og_policy *p = th_profile ("default.json");
  og_cleanup_free char *text = th_read_file (PROFILES "/default.json", NULL);
  char *key = strstr (text, "\"net_devices\"");
  struct og_policy *q = NULL;
  struct og_error err = { 0 };

  ck_assert_int_eq (p->fields.action, OG_ACTION_DENY);
  ck_assert (p->fields.allow == NULL || p->fields.allow[0] == NULL);
  ck_assert (!p->fields.realtime && !p->fields.intel_rdt && !p->fields.idmapped_mounts);
  /* a misspelt key is a load error naming it */
  ck_assert_ptr_nonnull (key);
  memcpy (key, "\"net_deviceZ\"", 13);
  ck_assert_int_lt (og_policy_parse (text, strlen (text), "bad.json", &q, &err), 0);
  ck_assert_msg (strstr (err.msg, "unknown key \"net_deviceZ\"") != NULL, "%s", err.msg);
  og_error_clear (&err);
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("fields");
  TCase *t = tcase_create ("fields");

  tcase_add_test (t, engine_fixtures_have_no_unknown_members);
  tcase_add_test (t, unknown_members_refused_by_path);
  tcase_add_test (t, allow_audit_and_enforce);
  tcase_add_test (t, process_and_resources_documents);
  tcase_add_test (t, net_devices_by_name);
  tcase_add_test (t, scheduler_io_rdt_idmaps);
  tcase_add_test (t, exec_scheduler_refused);
  tcase_add_test (t, policy_section);
  suite_add_tcase (s, t);
  return s;
}

int
main (void)
{
  return th_run (suite ());
}
