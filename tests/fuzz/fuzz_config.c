/* fuzz_config.c -- the config loader, px_config_parse, on cluster.cfg text.
 *
 * Each input is the text of a config file.  The loader returns 0, or -1
 * with a message naming the file; it never crashes.  A config it accepts
 * must be inside the bounds config.h and docs/OPERATIONS.md document,
 * because every process trusts them after loading:
 *
 *   cluster_id >= 1; timers >= 1 ms with election_timeout_min_ms >=
 *   2 * heartbeat_ms and max >= min; request_timeout_ms >= 100; batch_max
 *   1..PX_MAX_BATCH; pipeline and queue_max >= 1; snapshot_every 0 or >= 16;
 *   gateway_https only with tls; 1..PX_MAX_NODES nodes with distinct ids in
 *   1..PX_MAX_NODES, IPv4 hosts, non-zero ports and no (host, port) used
 *   twice; every string non-empty and terminated; initial_members a
 *   non-empty set of listed ids (every listed node by default, which
 *   px_config_members_static accepts); the even-count warning exactly when
 *   the member count is even; px_config_node finds every node, and path
 *   helpers stay inside their buffers.
 */
#include <arpa/inet.h>
#include <string.h>

#include "common/config.h"
#include "fuzz.h"

static px_config cfg;
static char err[512], warn[512];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static int str_ok(const char *s, size_t cap) { return s[0] != 0 && memchr(s, 0, cap) != NULL; }

static void check_scalars(const px_config *c)
{
    FUZZ_ASSERT(c->cluster_id >= 1, "cluster_id 0 accepted");
    FUZZ_ASSERT(c->heartbeat_ms >= 1 && c->retransmit_ms >= 1, "a zero timer accepted");
    FUZZ_ASSERT(c->election_min_ms >= 2 * c->heartbeat_ms,
                "election timeout below two heartbeats accepted");
    FUZZ_ASSERT(c->election_max_ms >= c->election_min_ms, "election max below min accepted");
    FUZZ_ASSERT(c->request_timeout_ms >= 100, "request_timeout_ms below 100 accepted");
    FUZZ_ASSERT(c->batch_max >= 1 && c->batch_max <= PX_MAX_BATCH, "batch_max out of bounds");
    FUZZ_ASSERT(c->pipeline >= 1 && c->queue_max >= 1, "zero pipeline or queue accepted");
    FUZZ_ASSERT(c->snapshot_every == 0 || c->snapshot_every >= 16, "snapshot_every 1..15 accepted");
    FUZZ_ASSERT(c->fsync == 0 || c->fsync == 1, "fsync not a boolean");
    FUZZ_ASSERT(c->tls == 0 || c->tls == 1, "tls not a boolean");
    FUZZ_ASSERT(!c->gateway_https || c->tls, "gateway_https without tls accepted");
    FUZZ_ASSERT(str_ok(c->data_dir, sizeof c->data_dir) && str_ok(c->tls_ca, sizeof c->tls_ca),
                "an empty or unterminated path");
}

static void check_node(const px_config *c, uint32_t i)
{
    const px_node_cfg *n = &c->nodes[i];
    struct in_addr addr;
    FUZZ_ASSERT(n->id >= 1 && n->id <= PX_MAX_NODES, "node id out of range");
    FUZZ_ASSERT(str_ok(n->host, sizeof n->host) && inet_pton(AF_INET, n->host, &addr) == 1,
                "a host that is not an IPv4 address");
    FUZZ_ASSERT(str_ok(n->tls_cert, sizeof n->tls_cert) && str_ok(n->tls_key, sizeof n->tls_key),
                "an empty or unterminated certificate path");
    const uint16_t ports[4] = {n->gateway_port, n->acceptor_port, n->proposer_port,
                               n->learner_port};
    for (int k = 0; k < 4; k++) {
        FUZZ_ASSERT(ports[k] != 0, "port 0 accepted");
        for (int m = 0; m < k; m++)
            FUZZ_ASSERT(ports[m] != ports[k], "one node uses a port twice");
        for (uint32_t j = 0; j < i; j++) {
            const px_node_cfg *o = &c->nodes[j];
            if (strcmp(o->host, n->host) != 0) continue;
            FUZZ_ASSERT(ports[k] != o->gateway_port && ports[k] != o->acceptor_port &&
                            ports[k] != o->proposer_port && ports[k] != o->learner_port,
                        "two nodes share a (host, port)");
        }
    }
    for (uint32_t j = 0; j < i; j++)
        FUZZ_ASSERT(c->nodes[j].id != n->id, "two nodes share an id");
    FUZZ_ASSERT(px_config_node(c, n->id) == n, "px_config_node does not find a node");

    char buf[1100];
    px_config_node_dir(c, n->id, buf, sizeof buf);
    px_config_resolve(c, n->tls_key, buf, sizeof buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0;
    err[0] = warn[0] = 0;
    int rc = px_config_parse(text, "fuzz/cluster.cfg", &cfg, err, sizeof err, warn, sizeof warn);
    free(text);
    if (rc != 0) {
        FUZZ_ASSERT(rc == -1 && err[0] != 0, "refused without a message");
        return 0;
    }
    check_scalars(&cfg);
    FUZZ_ASSERT(cfg.n_nodes >= 1 && cfg.n_nodes <= PX_MAX_NODES, "node count out of range");
    for (uint32_t i = 0; i < cfg.n_nodes; i++) check_node(&cfg, i);
    uint32_t listed = 0;
    for (uint32_t i = 0; i < cfg.n_nodes; i++) listed |= 1u << cfg.nodes[i].id;
    FUZZ_ASSERT(cfg.initial_members != 0 && (cfg.initial_members & ~listed) == 0,
                "initial_members empty or naming a node not listed");
    uint32_t members = px_config_n_members(&cfg);
    FUZZ_ASSERT(members >= 1 && members <= cfg.n_nodes, "member count out of range");
    char why[512];
    FUZZ_ASSERT((px_config_members_static(&cfg, why, sizeof why) == 0) ==
                    (cfg.initial_members == listed),
                "px_config_members_static disagrees with the member set");
    FUZZ_ASSERT((warn[0] != 0) == (members % 2 == 0),
                "the even-count warning does not match the member count");
    FUZZ_ASSERT(px_config_node(&cfg, 0) == NULL, "px_config_node found id 0");
    return 0;
}
