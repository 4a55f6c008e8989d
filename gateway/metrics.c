/* metrics.c -- GET /metrics: the node as Prometheus sees it (text format
 * 0.0.4).
 *
 * The gateway asks its node's three roles for their control JSON (the
 * same answers as /roles/<role>, over their owner-only control sockets)
 * and adds what it counts itself (stats.c) and the supervisor's restart
 * counts (<node_dir>/pids/restarts).  Every family is described (HELP,
 * TYPE) whether or not it has samples now; a role that does not answer
 * has paxos_role_up 0 and its samples are left out, which Prometheus
 * reads as "no data" rather than as a value.  Counters are each process's
 * own since it started: a restarted role starts again from 0, which
 * rate() and increase() take as a counter reset.
 *
 * Names and labels are fixed strings here: refusal reasons are our own
 * keys (common/refuse.c), listed whether or not a role reports them; the
 * only label values read from a file are the supervisor's role names,
 * checked before use. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "../common/net.h"
#include "metrics.h"

/* A px_histo (the gateway's own) as histogram lines. */
static void histo_own(gw_buf *b, const char *name, const char *labels, const px_histo *h)
{
    uint64_t cum[PX_HISTO_MAX_BUCKETS], c = 0;
    for (unsigned i = 0; i < h->n; i++) cum[i] = c += h->in[i];
    gw_prom_histo(b, name, labels, h->le, cum, h->n, h->sum, h->count);
}

/* ---- the gateway's own families ----------------------------------------- */

static void gateway_families(gw *g, gw_buf *b)
{
    gw_stats st;
    char labels[64];
    gw_stats_copy(&g->stats, &st);
    gw_prom_family(b, "paxos_appends_total", "counter",
                   "POST /append requests answered by this gateway, by outcome");
    for (int r = 0; r < GW_AR_COUNT; r++) {
        snprintf(labels, sizeof(labels), "result=\"%s\"", gw_append_label(r));
        gw_prom_sample_u(b, "paxos_appends_total", labels, st.appends[r]);
    }
    gw_prom_family(b, "paxos_http_requests_total", "counter",
                   "requests this gateway answered, by HTTP status (not those libmicrohttpd refused "
           "by itself)");
    for (int c = 100; c < GW_MAX_STATUS; c++) {
        if (st.codes[c] == 0) continue;
        snprintf(labels, sizeof(labels), "code=\"%d\"", c);
        gw_prom_sample_u(b, "paxos_http_requests_total", labels, st.codes[c]);
    }
    gw_prom_family(b, "paxos_request_duration_seconds", "histogram",
                   "time from a request's first line to its answer, by endpoint");
    for (int r = 0; r < GW_R_COUNT; r++) {
        snprintf(labels, sizeof(labels), "endpoint=\"%s\"", gw_route_label(r));
        histo_own(b, "paxos_request_duration_seconds", labels, &st.duration[r]);
    }
    gw_prom_family(b, "paxos_gateway_connections", "gauge", "HTTP connections open now");
    gw_prom_sample_u(b, "paxos_gateway_connections", "", atomic_load(&g->conns.open));
    gw_prom_family(b, "paxos_gateway_list_length", "gauge", "elements in the gateway's list copy");
    gw_prom_sample_u(b, "paxos_gateway_list_length", "", gw_list_len(g));
}

/* A label value from the supervisor's restarts file: ours are [a-z0-9_];
 * anything else is skipped rather than escaped. */
static int key_ok(const char *k)
{
    if (*k == 0) return 0;
    for (; *k; k++)
        if (!(islower((unsigned char)*k) || isdigit((unsigned char)*k) || *k == '_')) return 0;
    return 1;
}

static void liveness_families(gw *g, gw_buf *b, json_object *const *roles)
{
    char labels[192], names[8][16];
    uint64_t counts[8];
    gw_prom_family(b, "paxos_node_info", "gauge", "this gateway's node and cluster");
    snprintf(labels, sizeof(labels), "node=\"%u\",cluster_id=\"%u\"", g->node, g->cfg.cluster_id);
    gw_prom_sample_u(b, "paxos_node_info", labels, 1);
    gw_prom_family(b, "paxos_role_up", "gauge", "1 if the role answered its control socket now");
    for (int i = 0; i < 3; i++) {
        snprintf(labels, sizeof(labels), "role=\"%s\"", gw_metrics_role_names[i]);
        gw_prom_sample_u(b, "paxos_role_up", labels, roles[i] != NULL);
    }
    gw_prom_family(b, "paxos_role_restarts_total", "counter",
                   "times the supervisor restarted a role since it started itself");
    int n = gw_restarts(g, names, counts, 8);
    for (int i = 0; i < n; i++) {
        if (!key_ok(names[i])) continue;
        snprintf(labels, sizeof(labels), "role=\"%s\"", names[i]);
        gw_prom_sample_u(b, "paxos_role_restarts_total", labels, counts[i]);
    }
}

int gw_metrics_text(gw *g, gw_buf *b)
{
    json_object *roles[3] = {gw_query_role(g, PX_ROLE_ACCEPTOR),
                             gw_query_role(g, PX_ROLE_PROPOSER),
                             gw_query_role(g, PX_ROLE_LEARNER)};
    liveness_families(g, b, roles);
    gateway_families(g, b);
    gw_metrics_roles(b, roles);
    for (int i = 0; i < 3; i++) json_object_put(roles[i]);
    return 200;
}
