/* metrics_roles.c -- the Prometheus text format (0.0.4) and the part of
 * GET /metrics read from the roles' control JSON (the same answers as
 * /roles/<role>): JSON in, text out, no sockets, so a unit test
 * (tests/unit/test_gateway_metrics.c) checks every family against the
 * JSON the roles write.  metrics.c adds the gateway's own counts and the
 * supervisor's, and asks the roles.
 *
 * Names and labels are fixed strings here: refusal reasons are our own
 * keys (common/refuse.c), listed whether or not a role reports them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "../common/refuse.h"
#include "metrics.h"

/* ---- text format ------------------------------------------------------- */

void gw_prom_family(gw_buf *b, const char *name, const char *type, const char *help)
{
    gw_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{labels} value: labels is "" or `key="value",...` */
void gw_prom_sample(gw_buf *b, const char *name, const char *labels, double v)
{
    gw_buf_printf(b, labels[0] ? "%s{%s} %.17g\n" : "%s%s %.17g\n", name, labels, v);
}

void gw_prom_sample_u(gw_buf *b, const char *name, const char *labels, uint64_t v)
{
    gw_buf_printf(b, labels[0] ? "%s{%s} %llu\n" : "%s%s %llu\n", name, labels,
                  (unsigned long long)v);
}

/* A histogram's _bucket, _sum and _count lines; labels may be "". */
void gw_prom_histo(gw_buf *b, const char *name, const char *labels, const double *le,
                   const uint64_t *cum, unsigned n, double sum, uint64_t count)
{
    const char *sep = labels[0] ? "," : "";
    for (unsigned i = 0; i < n; i++)
        gw_buf_printf(b, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep, le[i],
                      (unsigned long long)cum[i]);
    gw_buf_printf(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep,
                  (unsigned long long)count);
    gw_buf_printf(b, labels[0] ? "%s_sum{%s} %.10g\n" : "%s_sum%s %.10g\n", name, labels, sum);
    gw_buf_printf(b, labels[0] ? "%s_count{%s} %llu\n" : "%s_count%s %llu\n", name, labels,
                  (unsigned long long)count);
}

/* ---- reading the roles' JSON ------------------------------------------ */

static json_object *member(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (o == NULL || !json_object_object_get_ex(o, key, &v)) return NULL;
    return v;
}

/* A number at o.key (or o.key.sub), as a double; 0 if it is not one. */
static int num(json_object *o, const char *key, const char *sub, double *out)
{
    json_object *v = member(o, key);
    if (sub != NULL) v = member(v, sub);
    if (v == NULL || !(json_object_is_type(v, json_type_int) ||
                       json_object_is_type(v, json_type_double)))
        return 0;
    *out = json_object_get_double(v);
    return 1;
}

/* A gauge or counter from a role's JSON: the family, and its one sample
 * if the role answered with the field. */
static void from_role(gw_buf *b, json_object *role, const char *key, const char *sub,
                      const char *name, const char *type, const char *help)
{
    double v;
    gw_prom_family(b, name, type, help);
    if (num(role, key, sub, &v)) gw_prom_sample(b, name, "", v);
}

/* A histogram a role reported as {"le":[...],"counts":[...],"sum":S,"count":N}. */
static void histo_role(gw_buf *b, json_object *role, const char *key, const char *name,
                       const char *help)
{
    gw_prom_family(b, name, "histogram", help);
    json_object *h = member(role, key), *le = member(h, "le"), *counts = member(h, "counts");
    double sum, count;
    if (le == NULL || counts == NULL || !json_object_is_type(le, json_type_array) ||
        !json_object_is_type(counts, json_type_array) || !num(h, "sum", NULL, &sum) ||
        !num(h, "count", NULL, &count))
        return;
    size_t n = json_object_array_length(le);
    if (n != json_object_array_length(counts) || n > PX_HISTO_MAX_BUCKETS) return;
    double bounds[PX_HISTO_MAX_BUCKETS];
    uint64_t cum[PX_HISTO_MAX_BUCKETS];
    for (size_t i = 0; i < n; i++) {
        bounds[i] = json_object_get_double(json_object_array_get_idx(le, i));
        cum[i] = (uint64_t)json_object_get_int64(json_object_array_get_idx(counts, i));
    }
    gw_prom_histo(b, name, "", bounds, cum, (unsigned)n, sum, (uint64_t)count);
}

/* ---- the families --------------------------------------------------- */

const char *const gw_metrics_role_names[3] = {"acceptor", "proposer", "learner"};

static void proposer_families(gw_buf *b, json_object *p)
{
    json_object *st = member(p, "state");
    gw_prom_family(b, "paxos_leader", "gauge", "1 if this node's proposer leads now");
    if (st != NULL)
        gw_prom_sample(b, "paxos_leader", "",
                       strcmp(json_object_get_string(st), "leader") == 0 ? 1 : 0);
    from_role(b, p, "leader", NULL, "paxos_leader_node", "gauge",
              "the leader this node's proposer follows (0: none known)");
    from_role(b, p, "ballot", "round", "paxos_ballot_round", "gauge",
              "round of the ballot this node's proposer last used");
    from_role(b, p, "elections", NULL, "paxos_elections_total", "counter",
              "phase 1 runs this node's proposer started");
    from_role(b, p, "chosen_upto", NULL, "paxos_chosen_slot", "gauge",
              "every slot below this is chosen, as this node's proposer knows");
    from_role(b, p, "slots_chosen", NULL, "paxos_slots_chosen_total", "counter",
              "slots chosen while this node's proposer led");
    from_role(b, p, "commands_chosen", NULL, "paxos_commands_chosen_total", "counter",
              "client commands in those slots");
    histo_role(b, p, "commands_per_slot", "paxos_commands_per_slot",
               "client commands per slot chosen while this node's proposer led (batching)");
    from_role(b, p, "in_flight", NULL, "paxos_slots_in_flight", "gauge",
              "slots proposed and not yet chosen (the leader's pipeline)");
    from_role(b, p, "queued", NULL, "paxos_commands_queued", "gauge",
              "client commands waiting for a slot at this proposer");
    from_role(b, p, "trim_mark", NULL, "paxos_trim_mark_slot", "gauge",
              "the compaction mark this proposer computed");
}

static void acceptor_families(gw_buf *b, json_object *a)
{
    from_role(b, a, "promised", "round", "paxos_acceptor_promised_round", "gauge",
              "round of the ballot this node's acceptor promised");
    from_role(b, a, "log_bytes", NULL, "paxos_acceptor_log_bytes", "gauge",
              "size of acceptor.log");
    from_role(b, a, "log_syncs", NULL, "paxos_acceptor_fsyncs_total", "counter",
              "fdatasync calls on acceptor.log (one per group commit)");
    histo_role(b, a, "fsync_seconds", "paxos_acceptor_fsync_seconds",
               "how long each group commit's fdatasync took");
    from_role(b, a, "trimmed", NULL, "paxos_acceptor_trimmed_slot", "gauge",
              "votes below this slot are forgotten (compaction)");
    from_role(b, a, "accepted", NULL, "paxos_acceptor_accepted_slots", "gauge",
              "slots this acceptor holds a vote for");
}

static void learner_families(gw_buf *b, json_object *l)
{
    from_role(b, l, "applied_upto", NULL, "paxos_applied_slot", "gauge",
              "every slot below this is applied by this node's learner");
    from_role(b, l, "list_length", NULL, "paxos_list_length", "gauge",
              "elements in this node's list");
    from_role(b, l, "snapshots_written", NULL, "paxos_snapshots_total", "counter",
              "snapshots this node's learner made durable (fetched ones included)");
    from_role(b, l, "snapshots_fetched", NULL, "paxos_snapshots_fetched_total", "counter",
              "snapshots this node's learner installed from a peer");
    from_role(b, l, "snapshot_upto", NULL, "paxos_snapshot_slot", "gauge",
              "every slot below this is in learner.snap");
}

/* Every reason of common/refuse.h for every role that answered, 0 when it
 * refused none: a counter that exists from the start is one rate() and
 * alerts can use before the first refusal.  The labels are our own keys,
 * never text a role sent. */
static void rejected_family(gw_buf *b, json_object *const *roles)
{
    char labels[128];
    gw_prom_family(b, "paxos_rejected_frames_total", "counter",
                   "frames a role refused, by reason (docs/SECURITY.md lists them)");
    for (int i = 0; i < 3; i++) {
        json_object *rej = member(roles[i], "rejected_frames");
        if (rej == NULL || !json_object_is_type(rej, json_type_object)) continue;
        for (int reason = PX_REFUSE_NONE + 1; reason < PX_REFUSE_MAX; reason++) {
            const char *key = px_refusal_key(reason);
            json_object *v = member(rej, key);
            uint64_t n = v != NULL && json_object_is_type(v, json_type_int)
                             ? (uint64_t)json_object_get_int64(v) : 0;
            snprintf(labels, sizeof(labels), "role=\"%s\",reason=\"%s\"", gw_metrics_role_names[i], key);
            gw_prom_sample_u(b, "paxos_rejected_frames_total", labels, n);
        }
    }
    gw_prom_family(b, "paxos_rejected_ipc_connections_total", "counter",
                   "connections to a role's local sockets refused for coming from another uid");
    for (int i = 0; i < 3; i++) {
        double n;
        snprintf(labels, sizeof(labels), "role=\"%s\"", gw_metrics_role_names[i]);
        if (num(roles[i], "rejected_frames", "foreign_uid_connections", &n))
            gw_prom_sample(b, "paxos_rejected_ipc_connections_total", labels, n);
    }
}

void gw_metrics_roles(gw_buf *b, json_object *const roles[3])
{
    proposer_families(b, roles[1]);
    acceptor_families(b, roles[0]);
    learner_families(b, roles[2]);
    rejected_family(b, roles);
}
