/* stats.c -- what the gateway's HTTP edge counts, for GET /metrics:
 * every answer the gateway gave by status code, how long each took by
 * route (from its request line to the answer being queued), and how each
 * /append ended.  Answers libmicrohttpd gives by itself (docs/OPERATIONS.md)
 * are not the gateway's and are not counted.  Written by the loop thread,
 * read by /metrics threads: one small lock. */
#include <string.h>

#include "gateway.h"

static const char *const route_labels[GW_R_COUNT] = {
    [GW_R_NOT_FOUND] = "other", [GW_R_APPEND] = "append",   [GW_R_LIST] = "list",
    [GW_R_STATUS] = "status",   [GW_R_ROLE] = "roles",      [GW_R_NODE] = "node",
    [GW_R_CLUSTER] = "cluster", [GW_R_METRICS] = "metrics", [GW_R_PAGE] = "page",
};

static const char *const append_labels[GW_AR_COUNT] = {
    [GW_AR_APPLIED] = "applied",       [GW_AR_DUPLICATE] = "duplicate",
    [GW_AR_NOT_APPLIED] = "not_applied", [GW_AR_UNKNOWN] = "unknown",
    [GW_AR_OVERLOADED] = "overloaded", [GW_AR_REFUSED] = "refused",
    [GW_AR_ERROR] = "error",
};

const char *gw_route_label(int route)
{
    return route >= 0 && route < GW_R_COUNT ? route_labels[route] : "other";
}

const char *gw_append_label(int result)
{
    return result >= 0 && result < GW_AR_COUNT ? append_labels[result] : "error";
}

void gw_stats_init(gw_stats *s)
{
    memset(s, 0, sizeof(*s));
    pthread_mutex_init(&s->mu, NULL);
    for (int r = 0; r < GW_R_COUNT; r++)
        px_histo_init(&s->duration[r], px_histo_seconds_request, px_histo_seconds_request_n);
}

void gw_stats_answered(gw_stats *s, int route, int status, double seconds)
{
    if (route < 0 || route >= GW_R_COUNT) route = GW_R_NOT_FOUND;
    pthread_mutex_lock(&s->mu);
    if (status > 0 && status < GW_MAX_STATUS) s->codes[status]++;
    px_histo_observe(&s->duration[route], seconds);
    pthread_mutex_unlock(&s->mu);
}

void gw_stats_append(gw_stats *s, int result)
{
    if (result < 0 || result >= GW_AR_COUNT) result = GW_AR_ERROR;
    pthread_mutex_lock(&s->mu);
    s->appends[result]++;
    pthread_mutex_unlock(&s->mu);
}

void gw_stats_copy(gw_stats *s, gw_stats *out)
{
    pthread_mutex_lock(&s->mu);
    memcpy(out->codes, s->codes, sizeof(s->codes));
    memcpy(out->duration, s->duration, sizeof(s->duration));
    memcpy(out->appends, s->appends, sizeof(s->appends));
    pthread_mutex_unlock(&s->mu);
}
