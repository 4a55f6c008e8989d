/* main.c -- bin/paxos-gateway --config FILE --node N
 *
 * The HTTP front door of node N: clients POST /append and GET /list here;
 * commands go to the node's proposer and come back as APPLIED from the
 * node's learner.  See docs/ARCHITECTURE.md, "Gateway and the path of one
 * append". */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/config.h"
#include "../common/log.h"
#include "../common/ready.h"
#include "gateway.h"

static void usage(void)
{
    fprintf(stderr, "usage: paxos-gateway --config FILE --node N [--debug]\n");
    exit(2);
}

static void parse_args(int argc, char **argv, const char **config, uint32_t *node, int *level)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) *config = argv[++i];
        else if (strcmp(argv[i], "--node") == 0 && i + 1 < argc) *node = (uint32_t)atoi(argv[++i]);
        else if (strcmp(argv[i], "--debug") == 0) *level = PX_LOG_DEBUG;
        else usage();
    }
    if (*config == NULL || *node == 0) usage();
}

/* Block the stop signals in every thread (threads inherit the mask) and
 * take them synchronously in main with sigwait. */
static void block_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, set, NULL);
    signal(SIGPIPE, SIG_IGN); /* a client that hangs up is not a reason to die */
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    uint32_t node = 0;
    int level = PX_LOG_INFO;
    parse_args(argc, argv, &path, &node, &level);
    px_log_init(node, "gateway", level);

    static px_config cfg;
    char err[512], warn[512];
    if (px_config_load(path, &cfg, err, sizeof(err), warn, sizeof(warn)) != 0 ||
        px_config_members_static(&cfg, err, sizeof(err)) != 0) {
        px_error("%s", err);
        return 1;
    }
    px_log_set_json(cfg.log_json); /* from here on, in the format the config asks */
    if (warn[0]) px_warn("%s", warn);
    const px_node_cfg *nc = px_config_node(&cfg, node);
    if (nc == NULL) {
        px_error("node %u is not in %s", node, path);
        return 1;
    }

    /* libcurl (GET /cluster) must be set up before any thread starts */
    if (gw_gather_init(err, sizeof(err)) != 0) {
        px_error("%s", err);
        return 1;
    }
    sigset_t set;
    block_signals(&set);
    static gw g;
    if (gw_start(&g, &cfg, node, err, sizeof(err)) != 0) {
        px_error("%s", err);
        return 1;
    }
    struct MHD_Daemon *d = gw_http_start(&g, err, sizeof(err));
    if (d == NULL) {
        px_error("%s", err);
        gw_stop(&g);
        return 1;
    }
    px_info("listening on %s://%s:%u (client id base %016llx)",
            cfg.gateway_https ? "https" : "http", nc->host, nc->gateway_port,
            (unsigned long long)g.client_base);
    px_ready();

    int sig = 0;
    sigwait(&set, &sig);
    px_info("stopping on signal %d", sig);
    gw_http_stop(&g, d);
    gw_stop(&g);
    return 0;
}
