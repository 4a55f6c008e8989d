/* test_gateway_metrics.c -- the families GET /metrics reads from the roles'
 * control JSON (gateway/metrics_roles.c): the JSON the roles write in, the
 * Prometheus text out.  metrics.sh checks a live node's page with promtool
 * and a real Prometheus; these check the numbers themselves, where a wrong
 * one still parses (a candidate counted as leader, a +Inf bucket that is
 * not the count, a refusal reason left out). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/refuse.h"
#include "../../gateway/metrics.h"
#include "check.h"

static gw_buf out;

/* The text for these role answers (NULL: the role did not answer). */
static const char *render(const char *acceptor, const char *proposer, const char *learner)
{
    json_object *roles[3] = {acceptor ? json_tokener_parse(acceptor) : NULL,
                             proposer ? json_tokener_parse(proposer) : NULL,
                             learner ? json_tokener_parse(learner) : NULL};
    gw_buf_free(&out);
    gw_metrics_roles(&out, roles);
    gw_buf_put(&out, "", 1); /* a C string */
    for (int i = 0; i < 3; i++) json_object_put(roles[i]);
    return out.oom ? "" : out.p;
}

/* Whether text has the line exactly (a whole line, not a prefix). */
static int has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
        if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == 0)) return 1;
    return 0;
}

/* Lines of text starting with prefix. */
static int count_lines(const char *text, const char *prefix)
{
    int n = 0;
    size_t k = strlen(prefix);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, prefix, k) == 0) n++;
    return n;
}

static void test_leader_is_only_the_leader(void)
{
    const char *t = render(NULL, "{\"state\":\"leader\",\"ballot\":{\"round\":7,\"node\":2},"
                                 "\"leader\":2,\"elections\":3}", NULL);
    CHECK(has_line(t, "paxos_leader 1"));
    CHECK(has_line(t, "paxos_leader_node 2"));
    CHECK(has_line(t, "paxos_ballot_round 7"));
    CHECK(has_line(t, "paxos_elections_total 3"));
    /* a candidate running phase 1 leads nothing yet; nor does a follower */
    t = render(NULL, "{\"state\":\"candidate\",\"leader\":0}", NULL);
    CHECK(has_line(t, "paxos_leader 0"));
    CHECK(has_line(t, "paxos_leader_node 0"));
    t = render(NULL, "{\"state\":\"follower\",\"leader\":3}", NULL);
    CHECK(has_line(t, "paxos_leader 0"));
}

static void test_a_silent_role_has_families_without_samples(void)
{
    const char *t = render(NULL, NULL, NULL);
    CHECK(has_line(t, "# TYPE paxos_leader gauge"));
    CHECK(has_line(t, "# TYPE paxos_applied_slot gauge"));
    CHECK(has_line(t, "# TYPE paxos_acceptor_fsync_seconds histogram"));
    CHECK(count_lines(t, "paxos_leader ") == 0);
    CHECK(count_lines(t, "paxos_applied_slot ") == 0);
    CHECK(count_lines(t, "paxos_rejected_frames_total{") == 0);
    /* a field missing or of the wrong type is left out, not read as 0 */
    t = render("{\"log_bytes\":\"12\"}", NULL, "{\"applied_upto\":41}");
    CHECK(count_lines(t, "paxos_acceptor_log_bytes ") == 0);
    CHECK(has_line(t, "paxos_applied_slot 41"));
    CHECK(count_lines(t, "paxos_list_length ") == 0);
}

static void test_histogram_buckets(void)
{
    /* roles report cumulative counts at each bound (common/histo.c) */
    const char *t = render("{\"fsync_seconds\":{\"le\":[0.001,0.01],\"counts\":[3,5],"
                           "\"sum\":0.0625,\"count\":6}}", NULL, NULL);
    CHECK(has_line(t, "paxos_acceptor_fsync_seconds_bucket{le=\"0.001\"} 3"));
    CHECK(has_line(t, "paxos_acceptor_fsync_seconds_bucket{le=\"0.01\"} 5"));
    /* +Inf holds every observation, those above the last bound too */
    CHECK(has_line(t, "paxos_acceptor_fsync_seconds_bucket{le=\"+Inf\"} 6"));
    CHECK(has_line(t, "paxos_acceptor_fsync_seconds_count 6"));
    CHECK(has_line(t, "paxos_acceptor_fsync_seconds_sum 0.0625"));
    /* bounds and counts that disagree in length: no samples at all */
    t = render("{\"fsync_seconds\":{\"le\":[0.001,0.01],\"counts\":[3],"
               "\"sum\":1,\"count\":3}}", NULL, NULL);
    CHECK(count_lines(t, "paxos_acceptor_fsync_seconds_") == 0);
    t = render("{\"fsync_seconds\":{\"le\":[0.001],\"counts\":[3]}}", NULL, NULL);
    CHECK(count_lines(t, "paxos_acceptor_fsync_seconds_") == 0);
}

static void test_every_refusal_reason_is_listed(void)
{
    char line[200];
    const char *key = px_refusal_key(PX_REFUSE_NOT_MEMBER);
    char json[300];
    snprintf(json, sizeof json, "{\"rejected_frames\":{\"total\":4,\"%s\":4,\"made_up\":9,"
                                "\"foreign_uid_connections\":2}}", key);
    const char *t = render(json, "{\"rejected_frames\":{\"total\":0}}", NULL);
    snprintf(line, sizeof line, "paxos_rejected_frames_total{role=\"acceptor\",reason=\"%s\"} 4",
             key);
    CHECK(has_line(t, line));
    /* every reason for each role that answered, 0 when it refused none */
    int reasons = 0;
    for (int r = PX_REFUSE_NONE + 1; r < PX_REFUSE_MAX; r++) reasons++;
    CHECK(count_lines(t, "paxos_rejected_frames_total{role=\"acceptor\",") == reasons);
    CHECK(count_lines(t, "paxos_rejected_frames_total{role=\"proposer\",") == reasons);
    CHECK(count_lines(t, "paxos_rejected_frames_total{role=\"learner\",") == 0);
    snprintf(line, sizeof line, "paxos_rejected_frames_total{role=\"proposer\",reason=\"%s\"} 0",
             key);
    CHECK(has_line(t, line));
    /* a key a role sent that is not ours never becomes a label */
    CHECK(strstr(t, "made_up") == NULL);
    CHECK(has_line(t, "paxos_rejected_ipc_connections_total{role=\"acceptor\"} 2"));
    CHECK(count_lines(t, "paxos_rejected_ipc_connections_total{role=\"proposer\"}") == 0);
}

int main(void)
{
    RUN(test_leader_is_only_the_leader);
    RUN(test_a_silent_role_has_families_without_samples);
    RUN(test_histogram_buckets);
    RUN(test_every_refusal_reason_is_listed);
    gw_buf_free(&out);
    return check_summary();
}
