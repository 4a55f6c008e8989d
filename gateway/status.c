/* status.c -- GET /status, GET /roles/<role> and GET /node.
 *
 * Liveness comes from two independent places: the pid files the node
 * supervisor writes (<node_dir>/pids/<role>.pid, checked with kill(pid, 0))
 * and the roles' control sockets (px_ctl_query).  A role whose process is
 * alive but does not answer its control socket is reported as such: it is
 * stuck, which is worth knowing. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../common/net.h"
#include "gateway.h"

static const int roles[] = {PX_ROLE_ACCEPTOR, PX_ROLE_PROPOSER, PX_ROLE_LEARNER};

long gw_role_pid(const gw *g, const char *role)
{
    char dir[600], path[700];
    px_config_node_dir(&g->cfg, g->node, dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/pids/%s.pid", dir, role);
    FILE *f = fopen(path, "r");
    if (f == NULL) return 0;
    long pid = 0;
    if (fscanf(f, "%ld", &pid) != 1 || pid <= 0) pid = 0;
    fclose(f);
    return pid;
}

/* kill(pid, 0) also succeeds on a zombie: a role that died while its
 * supervisor was not reaping (stopped, or busy) is dead all the same. */
int gw_pid_alive(long pid)
{
    if (pid <= 0 || (kill((pid_t)pid, 0) != 0 && errno != EPERM)) return 0;
    char path[64], buf[256];
    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL) return 1; /* no /proc: trust kill */
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *p = strrchr(buf, ')'); /* the state follows "(comm)" */
    return !(p != NULL && p[1] == ' ' && p[2] == 'Z');
}

static void role_entry(gw_buf *b, const char *name, long pid, int alive)
{
    gw_buf_json_str(b, name);
    gw_buf_puts(b, ":{\"pid\":");
    if (pid > 0) gw_buf_printf(b, "%ld", pid);
    else gw_buf_puts(b, "null");
    gw_buf_printf(b, ",\"alive\":%s}", alive ? "true" : "false");
}

/* Find key in a role's control JSON, at the top or nested in an object
 * (the roles' JSON layout is theirs to choose). */
static json_object *find_key(json_object *o, const char *key, int depth)
{
    if (o == NULL || !json_object_is_type(o, json_type_object) || depth > 3) return NULL;
    json_object *v;
    if (json_object_object_get_ex(o, key, &v)) return v;
    json_object_object_foreach(o, k, child)
    {
        (void)k;
        json_object *f = find_key(child, key, depth + 1);
        if (f != NULL) return f;
    }
    return NULL;
}

/* "key":<integer from role's JSON, or null if unknown (or if it is 0 and
 * 0 means "none", as for the leader)> */
static void copy_field(gw_buf *b, json_object *root, const char *key, int zero_is_null)
{
    json_object *v = find_key(root, key, 0);
    gw_buf_printf(b, ",\"%s\":", key);
    if (v != NULL && json_object_is_type(v, json_type_int) &&
        !(zero_is_null && json_object_get_int64(v) == 0))
        gw_buf_i64(b, json_object_get_int64(v));
    else
        gw_buf_puts(b, "null");
}

/* An integer field of a role's JSON, or -1 if unknown. */
static int64_t int_field(json_object *root, const char *key)
{
    json_object *v = find_key(root, key, 0);
    return v != NULL && json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : -1;
}

/* "chosen_upto": the proposer's, but never below what the learner applied
 * (every applied slot is chosen; a follower's proposer hears chosen_upto
 * only from heartbeats, so it lags its own node's learner). */
static void chosen_upto_field(gw_buf *b, json_object *prop, json_object *lrn)
{
    int64_t chosen = int_field(prop, "chosen_upto"), applied = int_field(lrn, "applied_upto");
    if (applied > chosen) chosen = applied;
    gw_buf_puts(b, ",\"chosen_upto\":");
    if (chosen >= 0) gw_buf_i64(b, chosen);
    else gw_buf_puts(b, "null");
}

json_object *gw_query_role(gw *g, int role)
{
    char *json = malloc(PX_MAX_CTL_JSON + 1);
    if (json == NULL) return NULL;
    json_object *o = NULL;
    if (px_ctl_query(&g->cfg, g->node, role, GW_CTL_TIMEOUT_MS, json, PX_MAX_CTL_JSON + 1) == 0)
        o = json_tokener_parse(json);
    free(json);
    return o;
}

int gw_status_json(gw *g, gw_buf *b)
{
    gw_buf_printf(b, "{\"node\":%u,\"cluster_id\":%u,\"pid\":%ld,\"roles\":{", g->node,
                  g->cfg.cluster_id, (long)getpid());
    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
        long pid = gw_role_pid(g, px_role_name(roles[i]));
        role_entry(b, px_role_name(roles[i]), pid, gw_pid_alive(pid));
        gw_buf_puts(b, ",");
    }
    role_entry(b, "gateway", (long)getpid(), 1);
    gw_buf_puts(b, "}");
    json_object *prop = gw_query_role(g, PX_ROLE_PROPOSER);
    json_object *lrn = gw_query_role(g, PX_ROLE_LEARNER);
    copy_field(b, prop, "leader", 1);
    chosen_upto_field(b, prop, lrn);
    copy_field(b, lrn, "applied_upto", 0);
    gw_buf_printf(b, ",\"gateway_list_len\":%llu", (unsigned long long)gw_list_len(g));
    /* where REQUESTs went (straight to the leader or through our own
     * proposer) and how many commands each message carried */
    char sent[1024];
    uint64_t direct, via_own;
    gw_request_routes(g, &direct, &via_own);
    gw_buf_printf(b, ",\"requests\":{\"to_leader\":%llu,\"via_own_proposer\":%llu},\"sent\":%s",
                  (unsigned long long)direct, (unsigned long long)via_own,
                  px_net_sent_json(g->net, sent, sizeof sent));
    /* the HTTP edge: open connections, and what it refused without a
     * request handler's say (see conns.c and http.c) */
    gw_buf_printf(b,
                  ",\"http\":{\"connections\":%llu,\"slow_requests_closed\":%llu,"
                  "\"ctl_queries_refused\":%llu}}\n",
                  (unsigned long long)atomic_load(&g->conns.open),
                  (unsigned long long)atomic_load(&g->conns.slow_closed),
                  (unsigned long long)atomic_load(&g->ctl_refused));
    json_object_put(prop);
    json_object_put(lrn);
    return 200;
}

int gw_role_json(gw *g, int role, gw_buf *b)
{
    char *json = malloc(PX_MAX_CTL_JSON + 1);
    if (json == NULL) {
        gw_json_error(b, "out of memory");
        return 500;
    }
    int rc = px_ctl_query(&g->cfg, g->node, role, GW_CTL_TIMEOUT_MS, json, PX_MAX_CTL_JSON + 1);
    if (rc == 0) {
        gw_buf_puts(b, json);
        if (b->len == 0 || b->p[b->len - 1] != '\n') gw_buf_puts(b, "\n");
        free(json);
        return 200;
    }
    free(json);
    long pid = gw_role_pid(g, px_role_name(role));
    char msg[160];
    if (pid > 0 && !gw_pid_alive(pid))
        snprintf(msg, sizeof(msg), "%s on node %u is not answering (process %ld is not running)",
                 px_role_name(role), g->node, pid);
    else
        snprintf(msg, sizeof(msg), "%s on node %u is not answering", px_role_name(role), g->node);
    gw_json_error(b, msg);
    return 503;
}

int gw_restarts(const gw *g, char names[][16], uint64_t *counts, int max)
{
    char dir[600], path[700], name[16];
    px_config_node_dir(&g->cfg, g->node, dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/pids/restarts", dir);
    FILE *f = fopen(path, "r");
    if (f == NULL) return 0;
    int n = 0;
    unsigned long long c;
    while (n < max && fscanf(f, "%15s %llu", name, &c) == 2) {
        memcpy(names[n], name, sizeof(name));
        counts[n++] = c;
    }
    fclose(f);
    return n;
}

/* The supervisor's restart count of role, or -1 if it reports none. */
static long long restarts_of(const char names[][16], const uint64_t *counts, int n,
                             const char *role)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], role) == 0) return (long long)counts[i];
    return -1;
}

static void put_restarts(gw_buf *b, long long r)
{
    gw_buf_puts(b, ",\"restarts\":");
    if (r >= 0) gw_buf_printf(b, "%lld", r);
    else gw_buf_puts(b, "null");
}

/* "role":{"pid":P,"alive":B,"answering":B,"restarts":N,"state":{...}} */
static void node_role(gw *g, gw_buf *b, int role, long long restarts, char *json)
{
    const char *name = px_role_name(role);
    long pid = gw_role_pid(g, name);
    int answering = px_ctl_query(&g->cfg, g->node, role, GW_CTL_TIMEOUT_MS, json,
                                 PX_MAX_CTL_JSON + 1) == 0;
    /* relayed only if it parses: a role's JSON is embedded, not quoted */
    json_object *o = answering ? json_tokener_parse(json) : NULL;
    gw_buf_json_str(b, name);
    gw_buf_puts(b, ":{\"pid\":");
    if (pid > 0) gw_buf_printf(b, "%ld", pid);
    else gw_buf_puts(b, "null");
    gw_buf_printf(b, ",\"alive\":%s,\"answering\":%s", gw_pid_alive(pid) ? "true" : "false",
                  o != NULL ? "true" : "false");
    put_restarts(b, restarts);
    gw_buf_puts(b, ",\"state\":");
    gw_buf_puts(b, o != NULL ? json : "null");
    gw_buf_puts(b, "}");
    json_object_put(o);
}

int gw_node_json(gw *g, gw_buf *b)
{
    char names[8][16];
    uint64_t counts[8];
    int n = gw_restarts(g, names, counts, 8);
    char *json = malloc(PX_MAX_CTL_JSON + 1);
    if (json == NULL) {
        gw_json_error(b, "out of memory");
        return 500;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    gw_buf_printf(b, "{\"node\":%u,\"cluster_id\":%u,\"time_ms\":%llu,\"roles\":{", g->node,
                  g->cfg.cluster_id,
                  (unsigned long long)ts.tv_sec * 1000 + (unsigned long long)ts.tv_nsec / 1000000);
    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
        if (i) gw_buf_puts(b, ",");
        node_role(g, b, roles[i], restarts_of(names, counts, n, px_role_name(roles[i])), json);
    }
    free(json);
    gw_buf_printf(b, "},\"gateway\":{\"pid\":%ld,\"alive\":true,\"list_len\":%llu,"
                     "\"connections\":%llu",
                  (long)getpid(), (unsigned long long)gw_list_len(g),
                  (unsigned long long)atomic_load(&g->conns.open));
    put_restarts(b, restarts_of(names, counts, n, "gateway"));
    gw_buf_puts(b, "}}\n");
    return 200;
}
