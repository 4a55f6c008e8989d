/* gather.c -- GET /cluster: every node's state in one answer, for the
 * cluster page.
 *
 * A gateway reaches its own node's roles only (their control sockets are
 * owner-only unix sockets).  For every other node it asks that node's
 * gateway for GET /node, over HTTP or, with gateway_https, over HTTPS
 * checked against the cluster CA (tls_ca) and the peer's host -- the
 * certificate its node is known by.  The fetches run at once, with libcurl's
 * multi interface, on the status thread that serves this request (never on
 * the gateway's loop), while a second thread gathers this node's own; each
 * peer has GW_PEER_TIMEOUT_MS.  A peer that does not answer in time, or
 * answers something that is not its own node's JSON, is listed as
 * {"node":N,"reachable":false,"error":"..."}: the page shows it as down.
 * The browser only ever talks to the gateway that served the page. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "gateway.h"

#define PEER_MAX_BYTES (256 * 1024) /* a /node answer is a few KB */

typedef struct peer {
    uint32_t id;
    CURL *h;
    gw_buf body;
    int too_big;
    char err[CURL_ERROR_SIZE];
} peer;

int gw_gather_init(char *err, size_t errlen)
{
    CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK) {
        snprintf(err, errlen, "cannot initialise libcurl: %s", curl_easy_strerror(rc));
        return -1;
    }
    return 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    peer *pr = arg;
    if (pr->body.len + size * n > PEER_MAX_BYTES) {
        pr->too_big = 1;
        return 0; /* aborts the transfer */
    }
    gw_buf_put(&pr->body, p, size * n);
    return size * n;
}

static CURL *peer_handle(gw *g, const px_node_cfg *nc, peer *pr, const char *ca)
{
    char url[128];
    CURL *h = curl_easy_init();
    if (h == NULL) return NULL;
    snprintf(url, sizeof(url), "%s://%s:%u/node", g->cfg.gateway_https ? "https" : "http",
             nc->host, nc->gateway_port);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)GW_PEER_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM for DNS */
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, pr);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, pr->err);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "paxos-gateway");
    if (g->cfg.gateway_https) {
        curl_easy_setopt(h, CURLOPT_CAINFO, ca);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    }
    return h;
}

/* Run every transfer to its end (each has its own timeout). */
static void run_all(CURLM *m)
{
    int running = 1;
    while (running) {
        if (curl_multi_perform(m, &running) != CURLM_OK) break;
        if (running && curl_multi_poll(m, NULL, 0, 100, NULL) != CURLM_OK) break;
    }
}

/* The peer's answer, if it is node id's own JSON object; else why not. */
static int peer_ok(peer *pr, CURLcode rc, char *why, size_t whylen)
{
    long status = 0;
    if (rc != CURLE_OK) {
        snprintf(why, whylen, "%s", pr->too_big ? "answer too large"
                                 : pr->err[0] ? pr->err : curl_easy_strerror(rc));
        return 0;
    }
    curl_easy_getinfo(pr->h, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) {
        snprintf(why, whylen, "its gateway answered HTTP %ld", status);
        return 0;
    }
    gw_buf_put(&pr->body, "", 1); /* nul-terminate */
    json_object *o = pr->body.oom ? NULL : json_tokener_parse(pr->body.p);
    json_object *node = NULL;
    int ok = o != NULL && json_object_is_type(o, json_type_object) &&
             json_object_object_get_ex(o, "node", &node) &&
             json_object_get_int64(node) == (int64_t)pr->id;
    json_object_put(o);
    if (!ok) snprintf(why, whylen, "its gateway's answer is not node %u's state", pr->id);
    return ok;
}

typedef struct local_job {
    gw *g;
    gw_buf out;
} local_job;

static void *local_main(void *arg)
{
    local_job *j = arg;
    gw_node_json(j->g, &j->out);
    return NULL;
}

static void put_unreachable(gw_buf *b, uint32_t id, const char *why)
{
    gw_buf_printf(b, "{\"node\":%u,\"reachable\":false,\"error\":", id);
    gw_buf_json_str(b, why);
    gw_buf_puts(b, "}");
}

/* Strip the trailing newline of a /node answer before embedding it. */
static void put_node(gw_buf *b, const gw_buf *n)
{
    size_t len = n->len;
    while (len > 0 && (n->p[len - 1] == '\n' || n->p[len - 1] == 0)) len--;
    gw_buf_put(b, n->p, len);
}

int gw_cluster_json(gw *g, gw_buf *b)
{
    peer peers[PX_MAX_NODES];
    char ca[600], why[CURL_ERROR_SIZE + 64];
    memset(peers, 0, sizeof(peers));
    px_config_resolve(&g->cfg, g->cfg.tls_ca, ca, sizeof(ca));
    local_job job = {.g = g};
    pthread_t t;
    int threaded = pthread_create(&t, NULL, local_main, &job) == 0;
    CURLM *m = curl_multi_init();
    for (uint32_t i = 0; i < g->cfg.n_nodes; i++) {
        const px_node_cfg *nc = &g->cfg.nodes[i];
        peers[i].id = nc->id;
        if (nc->id == g->node || m == NULL) continue;
        peers[i].h = peer_handle(g, nc, &peers[i], ca);
        if (peers[i].h != NULL) curl_multi_add_handle(m, peers[i].h);
    }
    if (m != NULL) run_all(m);
    if (threaded) pthread_join(t, NULL);
    else gw_node_json(g, &job.out); /* no thread to spare: in turn */
    /* each transfer's result */
    CURLcode result[PX_MAX_NODES];
    for (uint32_t i = 0; i < g->cfg.n_nodes; i++) result[i] = CURLE_FAILED_INIT;
    CURLMsg *msg;
    int left;
    while (m != NULL && (msg = curl_multi_info_read(m, &left)) != NULL)
        for (uint32_t i = 0; i < g->cfg.n_nodes; i++)
            if (msg->msg == CURLMSG_DONE && peers[i].h == msg->easy_handle)
                result[i] = msg->data.result;
    gw_buf_printf(b, "{\"node\":%u,\"cluster_id\":%u,\"nodes\":[", g->node, g->cfg.cluster_id);
    for (uint32_t i = 0; i < g->cfg.n_nodes; i++) {
        if (i) gw_buf_puts(b, ",");
        if (peers[i].id == g->node) put_node(b, &job.out);
        else if (peers[i].h != NULL && peer_ok(&peers[i], result[i], why, sizeof(why)))
            put_node(b, &peers[i].body);
        else put_unreachable(b, peers[i].id, peers[i].h ? why : "cannot start a request");
        if (peers[i].h != NULL) {
            curl_multi_remove_handle(m, peers[i].h);
            curl_easy_cleanup(peers[i].h);
        }
        gw_buf_free(&peers[i].body);
    }
    gw_buf_puts(b, "]}\n");
    gw_buf_free(&job.out);
    if (m != NULL) curl_multi_cleanup(m);
    return 200;
}
