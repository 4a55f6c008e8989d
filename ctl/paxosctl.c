/* paxosctl.c -- the command-line client of a paxos-c cluster.
 *
 *   paxosctl [--config FILE] [--node N | --url URL] [--json] [--timeout MS]
 *            [--key IDEMPOTENCY_KEY] append VALUE | list | status | roles ROLE
 *
 * Talks HTTP to one node's gateway (default: node 1 of $PAXOS_CONFIG or
 * ./cluster.cfg).  Prints a readable summary, or the gateway's JSON with
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
    char host[256];
    int port;
    char where[400]; /* "node 1 (http://127.0.0.1:5001)" for messages */
} opts;

static void usage(void)
{
    fprintf(stderr,
            "usage: paxosctl [--config FILE] [--node N | --url URL] [--json] [--timeout MS]\n"
            "                [--key IDEMPOTENCY_KEY] COMMAND\n"
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
        else usage();
    }
    return i;
}

/* http://HOST[:PORT][/] */
static int parse_url(const char *url, opts *o)
{
    const char *p = strncmp(url, "http://", 7) == 0 ? url + 7 : url;
    size_t n = strcspn(p, ":/");
    if (n == 0 || n >= sizeof(o->host)) return -1;
    memcpy(o->host, p, n);
    o->host[n] = 0;
    o->port = 80;
    if (p[n] == ':') o->port = atoi(p + n + 1);
    if (o->port <= 0 || o->port > 65535) return -1;
    snprintf(o->where, sizeof(o->where), "http://%s:%d", o->host, o->port);
    return 0;
}

/* Where to send: --url, or node N's gateway from the config. */
static int resolve_target(opts *o)
{
    if (o->url) {
        if (parse_url(o->url, o) != 0) {
            fprintf(stderr, "paxosctl: bad --url %s (want http://HOST:PORT)\n", o->url);
            return -1;
        }
        if (o->timeout_ms == 0) o->timeout_ms = 10000;
        return 0;
    }
    if (o->config == NULL) o->config = getenv("PAXOS_CONFIG");
    if (o->config == NULL) o->config = "cluster.cfg";
    static px_config cfg;
    char err[512];
    if (px_config_load(o->config, &cfg, err, sizeof(err), NULL, 0) != 0) {
        fprintf(stderr, "paxosctl: %s\n", err);
        return -1;
    }
    if (o->node == 0) o->node = cfg.nodes[0].id;
    const px_node_cfg *nc = px_config_node(&cfg, o->node);
    if (nc == NULL) {
        fprintf(stderr, "paxosctl: node %u is not in %s\n", o->node, o->config);
        return -1;
    }
    snprintf(o->host, sizeof(o->host), "%s", nc->host);
    o->port = nc->gateway_port;
    snprintf(o->where, sizeof(o->where), "node %u (http://%s:%d)", o->node, o->host, o->port);
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
    int rc = httpc_request(o.host, o.port, method, path, body[0] ? body : NULL,
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
