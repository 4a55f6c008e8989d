/* config.h -- cluster.cfg, read with libconfig and validated.
 *
 *   cluster_id = 1;               # 1..2^32-1; frames from other ids are refused
 *   data_dir = "data";            # node N keeps its files in data_dir/nodeN
 *   heartbeat_ms = 50;
 *   election_timeout_min_ms = 300;
 *   election_timeout_max_ms = 600;
 *   retransmit_ms = 100;
 *   batch_max = 32;               # 1..PX_MAX_BATCH
 *   pipeline = 64;                # slots in flight
 *   queue_max = 8192;             # client commands waiting at the leader
 *   fsync = true;                 # false only for throwaway clusters
 *   request_timeout_ms = 5000;    # gateway answers 504 after this
 *   snapshot_every = 4096;        # learner snapshot every N slots; 0 = never, else >= 16
 *   tls = true;                   # peers talk tls+tcp:// with mutual authentication;
 *                                 # false: plaintext tcp:// (warned at every start)
 *   tls_ca = "certs/ca.crt";      # the cluster CA that signs every node's certificate
 *   gateway_https = false;        # gateways serve HTTPS with their node's cert and key
 *   initial_members = [1, 2, 3]; # the members governing the log from slot 0;
 *                                 # default: every node listed in nodes
 *   nodes = (
 *     { id = 1; host = "127.0.0.1"; gateway_port = 5001;
 *       acceptor_port = 6001; proposer_port = 6101; learner_port = 6201;
 *       tls_cert = "certs/node1.crt"; tls_key = "certs/node1.key"; },
 *     ...
 *   );
 *
 * Every setting but nodes has the default shown (tls_cert and tls_key
 * default to certs/nodeN.crt and certs/nodeN.key).  Relative paths are
 * taken from the folder of the config file. */
#ifndef PX_CONFIG_H
#define PX_CONFIG_H

#include <stdint.h>
#include "types.h"

typedef struct px_node_cfg {
    uint32_t id;
    char host[64];
    uint16_t gateway_port;
    uint16_t acceptor_port;
    uint16_t proposer_port;
    uint16_t learner_port;
    char tls_cert[256]; /* PEM certificate signed by tls_ca (as written: see px_config_resolve) */
    char tls_key[256];  /* PEM private key; refused if group or others can read it */
} px_node_cfg;

typedef struct px_config {
    char path[512];
    uint32_t cluster_id;
    char data_dir[512];
    uint64_t heartbeat_ms;
    uint64_t election_min_ms;
    uint64_t election_max_ms;
    uint64_t retransmit_ms;
    uint32_t batch_max;
    uint32_t pipeline;
    uint32_t queue_max;
    int fsync;
    uint64_t request_timeout_ms;
    uint64_t snapshot_every;
    int tls;               /* 1: tls+tcp:// between nodes, mutually authenticated */
    char tls_ca[256];
    int gateway_https;
    int log_json;          /* log_format = "json": JSON lines (common/log.h) */
    uint32_t n_nodes;      /* nodes listed: every node that may ever be a member */
    px_node_cfg nodes[PX_MAX_NODES];
    uint32_t initial_members; /* bit i: node i is an initial member (all listed nodes by default) */
} px_config;

/* Load and validate path.  On error returns -1 and writes a message naming
 * the file, line (when libconfig knows it) and setting into err.  Warnings
 * (an even node count) are written to warn (may be NULL); warn[0] == 0 if none. */
int px_config_load(const char *path, px_config *cfg, char *err, size_t errlen,
                   char *warn, size_t warnlen);

/* Same, from a string (tests); name is used in messages. */
int px_config_parse(const char *text, const char *name, px_config *cfg, char *err,
                    size_t errlen, char *warn, size_t warnlen);

/* How many initial members cfg names. */
uint32_t px_config_n_members(const px_config *cfg);

/* 0 if the initial members are every listed node, else -1 with the reason
 * in err.  The roles count quorums over every listed node until membership
 * change is built (docs/PROTOCOL.md, Membership), so the processes refuse
 * to start on a config that names fewer members than nodes. */
int px_config_members_static(const px_config *cfg, char *err, size_t errlen);

/* The node with this id, or NULL. */
const px_node_cfg *px_config_node(const px_config *cfg, uint32_t id);

/* path as a file name: unchanged if absolute, else relative to the config
 * file's folder. */
void px_config_resolve(const px_config *cfg, const char *path, char *buf, size_t len);

/* data_dir/nodeN into buf (data_dir relative to the config file's folder
 * unless absolute). */
void px_config_node_dir(const px_config *cfg, uint32_t id, char *buf, size_t len);

#endif
