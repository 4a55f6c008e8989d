/* paxosctl.c -- the command-line client of a paxos-c cluster.
 *
 *   paxosctl [--config FILE] [--node N | --url URL] [--cacert FILE] [--json]
 *            [--timeout MS] [--key IDEMPOTENCY_KEY]
 *            append VALUE | list | status | roles ROLE
 *
 * Talks HTTP, or HTTPS when the config says gateway_https (the gateway's
 * certificate checked against the config's tls_ca), to one node's gateway
 * (default: node 1 of $PAXOS_CONFIG or ./cluster.cfg).  Prints a readable summary, or the gateway's JSON with
 * --json.  Exit status: 0 success, 1 error, 2 usage, 3 the append timed
 * out and may or may not have been applied (504). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "../common/config.h"
#include "httpc.h"

typedef struct opts {
    const char *config;
    unsigned node;
    const char *url;
    int json;
    int timeout_ms;
    const char *key;
    const char *cacert;  /* --cacert */
    char base[300];      /* "http://127.0.0.1:5001" */
    char ca[512];        /* the CA an https gateway's certificate must chain to */
    char where[400];     /* "node 1 (http://127.0.0.1:5001)" for messages */
} opts;

static void usage(void)
{
    fprintf(stderr,
            "usage: paxosctl [--config FILE] [--node N | --url URL] [--cacert FILE] [--json]\n"
            "                [--timeout MS] [--key IDEMPOTENCY_KEY] COMMAND\n"
            "  --url http(s)://HOST:PORT  a gateway by address; https checks its certificate\n"
            "                  against --cacert (default: the config's tls_ca if it loads)\n"
            "commands:\n"
            "  append VALUE   append an integer; prints its index\n"
            "  list           the whole list (a linearizable read)\n"
            "  status         the node's roles, leader and progress\n"
            "  roles ROLE     one role's state (acceptor, proposer, learner)\n"
            "exit status: 0 ok, 1 error, 2 usage, 3 append outcome unknown (timed out)\n");
    exit(2);
}

static int parse_opts(int argc, char **argv, opts *o)
{
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0) o->json = 1;
        else if (i + 1 >= argc) usage();
        else if (strcmp(a, "--config") == 0) o->config = argv[++i];
        else if (strcmp(a, "--node") == 0) o->node = (unsigned)atoi(argv[++i]);
        else if (strcmp(a, "--url") == 0) o->url = argv[++i];
        else if (strcmp(a, "--timeout") == 0) o->timeout_ms = atoi(argv[++i]);
        else if (strcmp(a, "--key") == 0) o->key = argv[++i];
        else if (strcmp(a, "--cacert") == 0) o->cacert = argv[++i];
        else usage();
    }
    return i;
}

/* The config named by --config, $PAXOS_CONFIG or ./cluster.cfg. */
static int load_config(opts *o, px_config *cfg, int quiet)
{
    if (o->config == NULL) o->config = getenv("PAXOS_CONFIG");
    if (o->config == NULL) o->config = "cluster.cfg";
    char err[512];
    if (px_config_load(o->config, cfg, err, sizeof(err), NULL, 0) != 0) {
        if (!quiet) fprintf(stderr, "paxosctl: %s\n", err);
        return -1;
    }
    return 0;
}

/* http(s)://HOST[:PORT][/]: the base every path is appended to. */
static int parse_url(const char *url, opts *o)
{
    int tls = strncmp(url, "https://", 8) == 0;
    const char *p = tls ? url + 8 : strncmp(url, "http://", 7) == 0 ? url + 7 : url;
    size_t n = strcspn(p, ":/");
    if (n == 0 || n >= 256) return -1;
    int port = tls ? 443 : 80;
    if (p[n] == ':') {
        char *end;
        long v = strtol(p + n + 1, &end, 10);
        if (end == p + n + 1 || (*end != 0 && strcmp(end, "/") != 0) || v <= 0 || v > 65535)
            return -1;
        port = (int)v;
    } else if (p[n] != 0 && strcmp(p + n, "/") != 0) {
        return -1;
    }
    snprintf(o->base, sizeof(o->base), "%s://%.*s:%d", tls ? "https" : "http", (int)n, p, port);
    snprintf(o->where, sizeof(o->where), "%s", o->base);
    return 0;
}

/* The CA for an https --url: --cacert, else the config's tls_ca. */
static void url_ca(opts *o)
{
    static px_config cfg;
    if (o->cacert) snprintf(o->ca, sizeof(o->ca), "%s", o->cacert);
    else if (strncmp(o->base, "https", 5) == 0 && load_config(o, &cfg, 1) == 0 && cfg.tls_ca[0])
        px_config_resolve(&cfg, cfg.tls_ca, o->ca, sizeof(o->ca));
}

/* Where to send: --url, or node N's gateway from the config. */
static int resolve_target(opts *o)
{
    if (o->url) {
        if (parse_url(o->url, o) != 0) {
            fprintf(stderr, "paxosctl: bad --url %s (want http://HOST:PORT or https://HOST:PORT)\n",
                    o->url);
            return -1;
        }
        url_ca(o);
        if (o->timeout_ms == 0) o->timeout_ms = 10000;
        return 0;
    }
    static px_config cfg;
    if (load_config(o, &cfg, 0) != 0) return -1;
    if (o->node == 0) o->node = cfg.nodes[0].id;
    const px_node_cfg *nc = px_config_node(&cfg, o->node);
    if (nc == NULL) {
        fprintf(stderr, "paxosctl: node %u is not in %s\n", o->node, o->config);
        return -1;
    }
    snprintf(o->base, sizeof(o->base), "%s://%s:%d", cfg.gateway_https ? "https" : "http",
             nc->host, nc->gateway_port);
    snprintf(o->where, sizeof(o->where), "node %u (%s)", o->node, o->base);
    if (o->cacert) snprintf(o->ca, sizeof(o->ca), "%s", o->cacert);
    else if (cfg.gateway_https) px_config_resolve(&cfg, cfg.tls_ca, o->ca, sizeof(o->ca));
    if (o->timeout_ms == 0) o->timeout_ms = (int)cfg.request_timeout_ms + 2000;
    return 0;
}

/* The "error" of a JSON error body, or the body itself. */
static void print_error(const opts *o, const httpc_resp *r)
{
    json_object *j = json_tokener_parse(r->body), *e;
    const char *msg = r->body;
    if (j && json_object_object_get_ex(j, "error", &e)) msg = json_object_get_string(e);
    fprintf(stderr, "paxosctl: %s answered %d: %s%s", o->where, r->status, msg,
            msg[0] && msg[strlen(msg) - 1] == '\n' ? "" : "\n");
    json_object_put(j);
}

static int64_t get_i64(json_object *j, const char *key, int64_t dflt)
{
    json_object *v;
    if (!json_object_object_get_ex(j, key, &v) || !json_object_is_type(v, json_type_int))
        return dflt;
    return json_object_get_int64(v);
}

static void show_append(json_object *j)
{
    json_object *dup;
    int64_t index = get_i64(j, "index", -1), value = get_i64(j, "value", 0);
    long long n = (long long)index + 1;
    const char *s = n == 1 ? "" : "s";
    if (json_object_object_get_ex(j, "duplicate", &dup) && json_object_get_boolean(dup))
        printf("%lld was already appended at index %lld (same key); list had %lld element%s "
               "then\n",
               (long long)value, (long long)index, n, s);
    else
        printf("appended %lld at index %lld; list has %lld element%s\n", (long long)value,
               (long long)index, n, s);
}

static void show_list(json_object *j)
{
    json_object *l;
    if (!json_object_object_get_ex(j, "list", &l) || !json_object_is_type(l, json_type_array)) {
        printf("(no list in the answer)\n");
        return;
    }
    size_t n = json_object_array_length(l);
    if (n == 0) {
        printf("list is empty\n");
        return;
    }
    printf("list has %zu element%s:", n, n == 1 ? "" : "s");
    for (size_t i = 0; i < n; i++)
        printf("%s%lld", i ? ", " : " ", (long long)json_object_get_int64(json_object_array_get_idx(l, i)));
    printf("\n");
}

static void show_field(json_object *j, const char *key, const char *label)
{
    json_object *v;
    if (json_object_object_get_ex(j, key, &v) && v != NULL)
        printf("%s %s", label, json_object_get_string(v));
    else
        printf("%s unknown", label);
}

static void show_status(json_object *j)
{
    printf("node %lld (gateway pid %lld):", (long long)get_i64(j, "node", 0),
           (long long)get_i64(j, "pid", 0));
    show_field(j, "leader", " leader");
    show_field(j, "chosen_upto", ", chosen up to");
    show_field(j, "applied_upto", ", applied up to");
    printf("\n");
    json_object *roles;
    if (!json_object_object_get_ex(j, "roles", &roles)) return;
    json_object_object_foreach(roles, name, r)
    {
        json_object *alive;
        int up = json_object_object_get_ex(r, "alive", &alive) && json_object_get_boolean(alive);
        long long pid = (long long)get_i64(r, "pid", 0);
        if (pid) printf("  %-9s pid %-8lld %s\n", name, pid, up ? "alive" : "DOWN");
        else printf("  %-9s pid ?        %s\n", name, up ? "alive" : "DOWN (no pid file)");
    }
}

/* Readable output of a 2xx answer. */
static void show(const char *cmd, const httpc_resp *r)
{
    json_object *j = json_tokener_parse(r->body);
    if (j == NULL) {
        fputs(r->body, stdout);
        return;
    }
    if (strcmp(cmd, "append") == 0) show_append(j);
    else if (strcmp(cmd, "list") == 0) show_list(j);
    else if (strcmp(cmd, "status") == 0) show_status(j);
    else printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY));
    json_object_put(j);
}

/* Method, path and body of a command; -1 if it is malformed. */
static int build(int argc, char **argv, const opts *o, const char **method, char *path,
                 size_t plen, char *body, size_t blen)
{
    const char *cmd = argv[0];
    *method = "GET";
    body[0] = 0;
    if (strcmp(cmd, "append") == 0 && argc == 2) {
        const char *v = argv[1];
        if (strspn(v + (v[0] == '-'), "0123456789") != strlen(v + (v[0] == '-')) ||
            v[v[0] == '-'] == 0) {
            fprintf(stderr, "paxosctl: VALUE must be an integer, not \"%s\"\n", v);
            return -1;
        }
        *method = "POST";
        snprintf(path, plen, "/append%s", o->json ? "" : "?list=false");
        snprintf(body, blen, "{\"value\":%s}", v);
    } else if ((strcmp(cmd, "list") == 0 || strcmp(cmd, "status") == 0) && argc == 1) {
        snprintf(path, plen, "/%s", cmd);
    } else if (strcmp(cmd, "roles") == 0 && argc == 2) {
        snprintf(path, plen, "/roles/%s", argv[1]);
    } else {
        usage();
    }
    return 0;
}

int main(int argc, char **argv)
{
    opts o = {0};
    int i = parse_opts(argc, argv, &o);
    if (i >= argc) usage();
    const char *method;
    char path[128], body[128], header[400] = "";
    if (build(argc - i, argv + i, &o, &method, path, sizeof(path), body, sizeof(body)) != 0)
        return 2;
    if (resolve_target(&o) != 0) return 1;
    if (o.key) snprintf(header, sizeof(header), "Idempotency-Key: %s", o.key);
    httpc_resp r;
    int rc = httpc_request(o.base, o.ca[0] ? o.ca : NULL, method, path, body[0] ? body : NULL,
                           o.key ? header : NULL, o.timeout_ms, &r);
    if (rc != HTTPC_OK) {
        fprintf(stderr, "paxosctl: %s is %s\n", o.where, httpc_strerror(rc));
        if (rc == HTTPC_TIMEOUT && strcmp(method, "POST") == 0)
            fprintf(stderr, "paxosctl: the append may or may not have been applied\n");
        return rc == HTTPC_TIMEOUT && strcmp(method, "POST") == 0 ? 3 : 1;
    }
    int ok = r.status >= 200 && r.status < 300;
    if (o.json) fputs(r.body, ok ? stdout : stderr);
    else if (ok) show(argv[i], &r);
    else print_error(&o, &r);
    free(r.body);
    if (r.status == 504) return 3;
    return ok ? 0 : 1;
}
