/* config.c -- read cluster.cfg with libconfig and validate it.
 *
 * Every error names the file, the line (when libconfig knows it) and the
 * setting, e.g.
 *
 *   cluster.cfg:7: setting 'nodes.[1].gateway_port': must be 1..65535
 *
 * Node indexes in setting paths are 0-based, as in libconfig's own path
 * syntax.  Unknown settings are errors: a misspelt "heartbeat_ms" that
 * silently fell back to its default would be a nasty surprise.
 */
#include <arpa/inet.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config.h"

/* What a validation pass needs to report errors. */
typedef struct cfg_ctx {
    const char *name; /* file name used in messages */
    char *err;
    size_t errlen;
} cfg_ctx;

static const char *const top_settings[] = {
    "cluster_id", "data_dir", "heartbeat_ms", "election_timeout_min_ms",
    "election_timeout_max_ms", "retransmit_ms", "batch_max", "pipeline",
    "queue_max", "fsync", "request_timeout_ms", "snapshot_every", "tls", "tls_ca",
    "gateway_https", "log_format", "nodes", "initial_members", NULL};

static const char *const node_settings[] = {
    "id", "host", "gateway_port", "acceptor_port", "proposer_port", "learner_port",
    "tls_cert", "tls_key", NULL};

/* Writes "name:line: setting 'path': message" (no line if unknown) and
 * returns -1 so callers can `return fail(...)`. */
static int fail(const cfg_ctx *c, const config_setting_t *s, const char *path, const char *fmt,
                ...) __attribute__((format(printf, 4, 5)));

static int fail(const cfg_ctx *c, const config_setting_t *s, const char *path, const char *fmt,
                ...)
{
    char msg[256];
    va_list ap;
    unsigned line = s ? config_setting_source_line(s) : 0;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (line)
        snprintf(c->err, c->errlen, "%s:%u: setting '%s': %s", c->name, line, path, msg);
    else
        snprintf(c->err, c->errlen, "%s: setting '%s': %s", c->name, path, msg);
    return -1;
}

static int name_known(const char *name, const char *const *known)
{
    for (int i = 0; known[i]; i++)
        if (strcmp(name, known[i]) == 0) return 1;
    return 0;
}

/* Every child of group must have a known name. */
static int check_names(const cfg_ctx *c, const config_setting_t *group, const char *prefix,
                       const char *const *known)
{
    int n = config_setting_length(group);

    for (int i = 0; i < n; i++) {
        const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
        const char *name = config_setting_name(s);
        if (name && !name_known(name, known)) {
            char path[128];
            snprintf(path, sizeof path, "%s%s", prefix, name);
            return fail(c, s, path, "unknown setting");
        }
    }
    return 0;
}

/* Reads integer setting name of group into *out, checking lo..hi.  A
 * missing optional setting leaves *out (its default) alone. */
static int get_int(const cfg_ctx *c, const config_setting_t *group, const char *prefix,
                   const char *name, int required, long long lo, long long hi, long long *out)
{
    char path[128];
    const config_setting_t *s = config_setting_get_member(group, name);
    int type = s ? config_setting_type(s) : CONFIG_TYPE_NONE;

    snprintf(path, sizeof path, "%s%s", prefix, name);
    if (!s) return required ? fail(c, group, path, "missing") : 0;
    if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64)
        return fail(c, s, path, "must be an integer");
    long long v = config_setting_get_int64(s);
    /* libconfig 1.5 wraps a plain integer above INT32_MAX to 32 bits
     * without a word; say how to write one when the range needs it. */
    if ((v < lo || v > hi) && type == CONFIG_TYPE_INT && hi > INT32_MAX)
        return fail(c, s, path, "must be %lld..%lld (write values above 2147483647 with an L "
                    "suffix, e.g. 4294967295L)", lo, hi);
    if (v < lo || v > hi) return fail(c, s, path, "must be %lld..%lld", lo, hi);
    *out = v;
    return 0;
}

static int get_u64(const cfg_ctx *c, const config_setting_t *root, const char *name,
                   long long lo, long long hi, uint64_t *out)
{
    long long v = (long long)*out;
    if (get_int(c, root, "", name, 0, lo, hi, &v)) return -1;
    *out = (uint64_t)v;
    return 0;
}

static int get_u32(const cfg_ctx *c, const config_setting_t *root, const char *name,
                   long long lo, long long hi, uint32_t *out)
{
    long long v = *out;
    if (get_int(c, root, "", name, 0, lo, hi, &v)) return -1;
    *out = (uint32_t)v;
    return 0;
}

static int get_string(const cfg_ctx *c, const config_setting_t *group, const char *prefix,
                      const char *name, int required, char *out, size_t outlen)
{
    char path[128];
    const config_setting_t *s = config_setting_get_member(group, name);

    snprintf(path, sizeof path, "%s%s", prefix, name);
    if (!s) return required ? fail(c, group, path, "missing") : 0;
    if (config_setting_type(s) != CONFIG_TYPE_STRING) return fail(c, s, path, "must be a string");
    const char *v = config_setting_get_string(s);
    if (v[0] == 0) return fail(c, s, path, "must not be empty");
    if (strlen(v) >= outlen) return fail(c, s, path, "longer than %zu bytes", outlen - 1);
    memcpy(out, v, strlen(v) + 1);
    return 0;
}

static int get_bool(const cfg_ctx *c, const config_setting_t *root, const char *name, int *out)
{
    const config_setting_t *s = config_setting_get_member(root, name);

    if (!s) return 0;
    if (config_setting_type(s) != CONFIG_TYPE_BOOL)
        return fail(c, s, name, "must be true or false");
    *out = config_setting_get_bool(s);
    return 0;
}

/* 0 turns snapshots (and so log compaction) off.  Below 16 a learner
 * would spend its time writing snapshots and acceptors rewriting logs. */
#define SNAPSHOT_EVERY_MIN 16
#define SNAPSHOT_EVERY_MAX 1000000000

static int get_snapshot_every(const cfg_ctx *c, const config_setting_t *root, px_config *cfg)
{
    const char *name = "snapshot_every";
    if (get_u64(c, root, name, 0, SNAPSHOT_EVERY_MAX, &cfg->snapshot_every)) return -1;
    if (cfg->snapshot_every != 0 && cfg->snapshot_every < SNAPSHOT_EVERY_MIN)
        return fail(c, config_setting_get_member(root, name), name,
                    "must be 0 (no snapshots) or %d..%d", SNAPSHOT_EVERY_MIN,
                    SNAPSHOT_EVERY_MAX);
    return 0;
}

/* log_format = "text" (the default) or "json" (common/log.h). */
static int get_log_format(const cfg_ctx *c, const config_setting_t *root, px_config *cfg)
{
    const config_setting_t *s = config_setting_get_member(root, "log_format");
    if (!s) return 0;
    const char *v = config_setting_type(s) == CONFIG_TYPE_STRING ? config_setting_get_string(s)
                                                                  : NULL;
    if (v == NULL || (strcmp(v, "text") != 0 && strcmp(v, "json") != 0))
        return fail(c, s, "log_format", "must be \"text\" or \"json\"");
    cfg->log_json = strcmp(v, "json") == 0;
    return 0;
}

static void set_defaults(px_config *cfg)
{
    cfg->cluster_id = 1;
    snprintf(cfg->data_dir, sizeof cfg->data_dir, "data");
    cfg->heartbeat_ms = 50;
    cfg->election_min_ms = 300;
    cfg->election_max_ms = 600;
    cfg->retransmit_ms = 100;
    cfg->batch_max = 32;
    cfg->pipeline = 64;
    cfg->queue_max = 8192;
    cfg->fsync = 1;
    cfg->request_timeout_ms = 5000;
    cfg->snapshot_every = 4096;
    cfg->tls = 1;
    snprintf(cfg->tls_ca, sizeof cfg->tls_ca, "certs/ca.crt");
    cfg->gateway_https = 0;
}

static int load_scalars(const cfg_ctx *c, const config_setting_t *root, px_config *cfg)
{
    if (get_u32(c, root, "cluster_id", 1, UINT32_MAX, &cfg->cluster_id)) return -1;
    if (get_string(c, root, "", "data_dir", 0, cfg->data_dir, sizeof cfg->data_dir)) return -1;
    if (get_u64(c, root, "heartbeat_ms", 1, 3600000, &cfg->heartbeat_ms)) return -1;
    if (get_u64(c, root, "election_timeout_min_ms", 1, 3600000, &cfg->election_min_ms))
        return -1;
    if (get_u64(c, root, "election_timeout_max_ms", 1, 3600000, &cfg->election_max_ms))
        return -1;
    if (get_u64(c, root, "retransmit_ms", 1, 3600000, &cfg->retransmit_ms)) return -1;
    if (get_u32(c, root, "batch_max", 1, PX_MAX_BATCH, &cfg->batch_max)) return -1;
    if (get_u32(c, root, "pipeline", 1, 4096, &cfg->pipeline)) return -1;
    if (get_u32(c, root, "queue_max", 1, 1000000, &cfg->queue_max)) return -1;
    if (get_bool(c, root, "fsync", &cfg->fsync)) return -1;
    if (get_u64(c, root, "request_timeout_ms", 100, 3600000, &cfg->request_timeout_ms))
        return -1;
    if (get_bool(c, root, "tls", &cfg->tls)) return -1;
    if (get_string(c, root, "", "tls_ca", 0, cfg->tls_ca, sizeof cfg->tls_ca)) return -1;
    if (get_bool(c, root, "gateway_https", &cfg->gateway_https)) return -1;
    if (cfg->gateway_https && !cfg->tls)
        return fail(c, config_setting_get_member(root, "gateway_https"), "gateway_https",
                    "needs tls = true (it serves the node's tls_cert and tls_key)");
    if (get_log_format(c, root, cfg)) return -1;
    return get_snapshot_every(c, root, cfg);
}

/* The election timer must outlast a couple of missed heartbeats, or a
 * healthy leader would be deposed by one delayed packet. */
static int check_timers(const cfg_ctx *c, const config_setting_t *root, const px_config *cfg)
{
    const char *min_name = "election_timeout_min_ms", *max_name = "election_timeout_max_ms";

    if (cfg->election_min_ms < 2 * cfg->heartbeat_ms)
        return fail(c, config_setting_get_member(root, min_name), min_name,
                    "must be at least 2 * heartbeat_ms (%llu)",
                    (unsigned long long)(2 * cfg->heartbeat_ms));
    if (cfg->election_max_ms < cfg->election_min_ms)
        return fail(c, config_setting_get_member(root, max_name), max_name,
                    "must be at least election_timeout_min_ms (%llu)",
                    (unsigned long long)cfg->election_min_ms);
    return 0;
}

static int load_node(const cfg_ctx *c, const config_setting_t *s, int index, px_node_cfg *node)
{
    static const char *const ports[] = {"gateway_port", "acceptor_port", "proposer_port",
                                        "learner_port"};
    uint16_t *dst[] = {&node->gateway_port, &node->acceptor_port, &node->proposer_port,
                       &node->learner_port};
    char prefix[32];
    long long v = 0;
    struct in_addr addr;

    snprintf(prefix, sizeof prefix, "nodes.[%d].", index);
    if (config_setting_type(s) != CONFIG_TYPE_GROUP)
        return fail(c, s, prefix, "must be a group { id = ...; host = ...; ... }");
    if (check_names(c, s, prefix, node_settings)) return -1;
    if (get_int(c, s, prefix, "id", 1, 1, PX_MAX_NODES, &v)) return -1;
    node->id = (uint32_t)v;
    if (get_string(c, s, prefix, "host", 1, node->host, sizeof node->host)) return -1;
    if (inet_pton(AF_INET, node->host, &addr) != 1) {
        char path[64];
        snprintf(path, sizeof path, "%shost", prefix);
        return fail(c, config_setting_get_member(s, "host"), path,
                    "'%s' is not an IPv4 address like 127.0.0.1", node->host);
    }
    for (int i = 0; i < 4; i++) {
        if (get_int(c, s, prefix, ports[i], 1, 1, 65535, &v)) return -1;
        *dst[i] = (uint16_t)v;
    }
    /* Default: certs/nodeN.crt and .key beside the CA, as make-certs.sh writes them. */
    snprintf(node->tls_cert, sizeof node->tls_cert, "certs/node%u.crt", node->id);
    snprintf(node->tls_key, sizeof node->tls_key, "certs/node%u.key", node->id);
    if (get_string(c, s, prefix, "tls_cert", 0, node->tls_cert, sizeof node->tls_cert)) return -1;
    return get_string(c, s, prefix, "tls_key", 0, node->tls_key, sizeof node->tls_key);
}

/* One listening address: which node entry and port setting it came from. */
typedef struct endpoint {
    const char *host;
    uint16_t port;
    int node_index;
    const char *setting;
} endpoint;

/* Ids must be unique, and so must every (host, port) a role listens on:
 * two roles on one address would steal each other's traffic. */
static int check_unique(const cfg_ctx *c, const config_setting_t *list, const px_config *cfg)
{
    static const char *const names[] = {"gateway_port", "acceptor_port", "proposer_port",
                                        "learner_port"};
    endpoint eps[4 * PX_MAX_NODES];
    int n_eps = 0;
    char path[64];

    for (uint32_t i = 0; i < cfg->n_nodes; i++) {
        const px_node_cfg *nd = &cfg->nodes[i];
        const config_setting_t *s = config_setting_get_elem(list, i);
        for (uint32_t j = 0; j < i; j++) {
            if (cfg->nodes[j].id != nd->id) continue;
            snprintf(path, sizeof path, "nodes.[%u].id", i);
            return fail(c, config_setting_get_member(s, "id"), path,
                        "id %u is already used by nodes.[%u]", nd->id, j);
        }
        const uint16_t ports[4] = {nd->gateway_port, nd->acceptor_port, nd->proposer_port,
                                   nd->learner_port};
        for (int k = 0; k < 4; k++) {
            for (int e = 0; e < n_eps; e++) {
                if (eps[e].port != ports[k] || strcmp(eps[e].host, nd->host) != 0) continue;
                snprintf(path, sizeof path, "nodes.[%u].%s", i, names[k]);
                return fail(c, config_setting_get_member(s, names[k]), path,
                            "%s:%u is already used by nodes.[%d].%s", nd->host, ports[k],
                            eps[e].node_index, eps[e].setting);
            }
            eps[n_eps++] = (endpoint){nd->host, ports[k], (int)i, names[k]};
        }
    }
    return 0;
}

static int load_nodes(const cfg_ctx *c, const config_setting_t *root, px_config *cfg)
{
    const config_setting_t *list = config_setting_get_member(root, "nodes");

    if (!list) return fail(c, NULL, "nodes", "missing (at least one node is needed)");
    if (config_setting_type(list) != CONFIG_TYPE_LIST)
        return fail(c, list, "nodes", "must be a list ( { ... }, { ... } )");
    int n = config_setting_length(list);
    if (n < 1 || n > PX_MAX_NODES)
        return fail(c, list, "nodes", "has %d nodes; must have 1..%d", n, PX_MAX_NODES);
    cfg->n_nodes = (uint32_t)n;
    for (int i = 0; i < n; i++)
        if (load_node(c, config_setting_get_elem(list, (unsigned)i), i, &cfg->nodes[i]))
            return -1;
    return check_unique(c, list, cfg);
}

/* One element of initial_members: an integer naming a listed node, not
 * named before (seen: the ids so far, as bits). */
static int load_member(const cfg_ctx *c, const config_setting_t *e, unsigned i, uint32_t seen,
                       const px_config *cfg, uint32_t *id)
{
    char path[64];
    int type = config_setting_type(e);

    snprintf(path, sizeof path, "initial_members.[%u]", i);
    if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64)
        return fail(c, e, path, "must be a node id (an integer)");
    long long v = config_setting_get_int64(e);
    if (v < 1 || v > PX_MAX_NODES || !px_config_node(cfg, (uint32_t)v))
        return fail(c, e, path, "node %lld is not in nodes (every member must be listed "
                    "there with its addresses)", v);
    if (seen & (1u << v)) return fail(c, e, path, "node %lld is named twice", v);
    *id = (uint32_t)v;
    return 0;
}

/* initial_members = [1, 2, 3]: the configuration that governs the log from
 * slot 0 (docs/PROTOCOL.md, Membership).  Default: every listed node. */
static int load_members(const cfg_ctx *c, const config_setting_t *root, px_config *cfg)
{
    const config_setting_t *s = config_setting_get_member(root, "initial_members");

    cfg->initial_members = 0;
    if (!s) {
        for (uint32_t i = 0; i < cfg->n_nodes; i++) cfg->initial_members |= 1u << cfg->nodes[i].id;
        return 0;
    }
    if (config_setting_type(s) != CONFIG_TYPE_ARRAY && config_setting_type(s) != CONFIG_TYPE_LIST)
        return fail(c, s, "initial_members", "must be an array of node ids, e.g. [1, 2, 3]");
    int n = config_setting_length(s);
    if (n == 0)
        return fail(c, s, "initial_members",
                    "is empty: a cluster needs at least one member to choose anything");
    for (int i = 0; i < n; i++) {
        uint32_t id = 0;
        if (load_member(c, config_setting_get_elem(s, (unsigned)i), (unsigned)i,
                        cfg->initial_members, cfg, &id))
            return -1;
        cfg->initial_members |= 1u << id;
    }
    return 0;
}

/* Quorums are majorities of the members, not of the listed nodes. */
static void even_warning(const px_config *cfg, char *warn, size_t warnlen)
{
    uint32_t n = px_config_n_members(cfg);

    if (!warn || warnlen == 0) return;
    warn[0] = 0;
    if (n % 2 == 0)
        snprintf(warn, warnlen,
                 "%s: %u %s: an even count tolerates no more failures than %u (a majority "
                 "of %u is %u)",
                 cfg->path, n, n == cfg->n_nodes ? "nodes" : "initial members", n - 1, n,
                 n / 2 + 1);
}

/* Validates a parsed libconfig tree into cfg. */
static int load_tree(const cfg_ctx *c, config_t *lc, px_config *cfg, char *warn, size_t warnlen)
{
    const config_setting_t *root = config_root_setting(lc);

    if (check_names(c, root, "", top_settings)) return -1;
    if (load_scalars(c, root, cfg)) return -1;
    if (check_timers(c, root, cfg)) return -1;
    if (load_nodes(c, root, cfg)) return -1;
    if (load_members(c, root, cfg)) return -1;
    even_warning(cfg, warn, warnlen);
    return 0;
}

static void start(px_config *cfg, const char *name, char *err, size_t errlen, char *warn,
                  size_t warnlen)
{
    memset(cfg, 0, sizeof *cfg);
    set_defaults(cfg);
    snprintf(cfg->path, sizeof cfg->path, "%s", name);
    if (err && errlen) err[0] = 0;
    if (warn && warnlen) warn[0] = 0;
}

static int syntax_error(const cfg_ctx *c, const config_t *lc)
{
    const char *file = config_error_file(lc);
    snprintf(c->err, c->errlen, "%s:%d: %s", file ? file : c->name, config_error_line(lc),
             config_error_text(lc));
    return -1;
}

int px_config_load(const char *path, px_config *cfg, char *err, size_t errlen, char *warn,
                   size_t warnlen)
{
    cfg_ctx c = {path, err, errlen};
    config_t lc;
    int rc;

    start(cfg, path, err, errlen, warn, warnlen);
    config_init(&lc);
    if (config_read_file(&lc, path) != CONFIG_TRUE) {
        if (config_error_type(&lc) == CONFIG_ERR_FILE_IO)
            snprintf(err, errlen, "%s: cannot read the file", path);
        else
            syntax_error(&c, &lc);
        rc = -1;
    } else {
        rc = load_tree(&c, &lc, cfg, warn, warnlen);
    }
    config_destroy(&lc);
    return rc;
}

int px_config_parse(const char *text, const char *name, px_config *cfg, char *err,
                    size_t errlen, char *warn, size_t warnlen)
{
    cfg_ctx c = {name, err, errlen};
    config_t lc;
    int rc;

    start(cfg, name, err, errlen, warn, warnlen);
    config_init(&lc);
    if (config_read_string(&lc, text) != CONFIG_TRUE)
        rc = syntax_error(&c, &lc);
    else
        rc = load_tree(&c, &lc, cfg, warn, warnlen);
    config_destroy(&lc);
    return rc;
}

const px_node_cfg *px_config_node(const px_config *cfg, uint32_t id)
{
    for (uint32_t i = 0; i < cfg->n_nodes; i++)
        if (cfg->nodes[i].id == id) return &cfg->nodes[i];
    return NULL;
}

uint32_t px_config_n_members(const px_config *cfg)
{
    uint32_t n = 0;
    for (uint32_t id = 1; id <= PX_MAX_NODES; id++) n += (cfg->initial_members >> id) & 1u;
    return n;
}

int px_config_members_static(const px_config *cfg, char *err, size_t errlen)
{
    uint32_t listed = 0;

    for (uint32_t i = 0; i < cfg->n_nodes; i++) listed |= 1u << cfg->nodes[i].id;
    if (cfg->initial_members == listed) return 0;
    snprintf(err, errlen,
             "%s: initial_members names %u of the %u listed nodes, but membership change "
             "is not built yet (docs/PROTOCOL.md, Membership): every role still counts "
             "quorums over every listed node; list only the members in nodes, or leave "
             "initial_members out",
             cfg->path, px_config_n_members(cfg), cfg->n_nodes);
    return -1;
}

void px_config_resolve(const px_config *cfg, const char *path, char *buf, size_t len)
{
    const char *slash = strrchr(cfg->path, '/');

    /* Relative to the config file, not the working directory, so the same
     * file means the same files wherever a process is started from. */
    if (path[0] == '/' || !slash)
        snprintf(buf, len, "%s", path);
    else
        snprintf(buf, len, "%.*s/%s", (int)(slash - cfg->path), cfg->path, path);
}

void px_config_node_dir(const px_config *cfg, uint32_t id, char *buf, size_t len)
{
    char rel[600];
    snprintf(rel, sizeof rel, "%s/node%u", cfg->data_dir, id);
    px_config_resolve(cfg, rel, buf, len);
}
