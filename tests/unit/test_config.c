/* test_config.c -- cluster.cfg loading: the shipped file, defaults, and
 * that every validation error names the file and the setting or line. */
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "tests/unit/check.h"

static px_config cfg;
static char err[512], warn[256];

/* One node entry; port base p gives ports p, p+1, p+2, p+3. */
static void node_text(char *buf, size_t len, int id, const char *host, int p)
{
    snprintf(buf, len,
             "{ id = %d; host = \"%s\"; gateway_port = %d; acceptor_port = %d;\n"
             "  proposer_port = %d; learner_port = %d; }",
             id, host, p, p + 1, p + 2, p + 3);
}

/* A config of n nodes (ids 1..n on 127.0.0.i) after the text head. */
static char *cluster_text(const char *head, int n)
{
    static char text[8192];
    char node[256];
    size_t off = (size_t)snprintf(text, sizeof text, "%snodes = (\n", head);

    for (int i = 1; i <= n; i++) {
        char host[32];
        snprintf(host, sizeof host, "127.0.0.%d", i);
        node_text(node, sizeof node, i, host, 5000 + 10 * i);
        off += (size_t)snprintf(text + off, sizeof text - off, "  %s%s\n", node,
                                i < n ? "," : "");
    }
    snprintf(text + off, sizeof text - off, ");\n");
    return text;
}

static int parse(const char *text)
{
    return px_config_parse(text, "test.cfg", &cfg, err, sizeof err, warn, sizeof warn);
}

/* Parsing must fail with a message naming the file and containing what. */
static int fails_with(const char *text, const char *what)
{
    if (parse(text) == 0) {
        fprintf(stderr, "  accepted, expected an error about '%s'\n", what);
        return 0;
    }
    if (!strstr(err, "test.cfg") || !strstr(err, what)) {
        fprintf(stderr, "  error '%s' lacks '%s'\n", err, what);
        return 0;
    }
    return 1;
}

static void test_shipped_config_loads(void)
{
    int rc = px_config_load("cluster.cfg", &cfg, err, sizeof err, warn, sizeof warn);
    if (rc) fprintf(stderr, "  %s (run from the repository root)\n", err);
    REQUIRE(rc == 0);
    CHECK(warn[0] == 0);
    CHECK(cfg.cluster_id == 1);
    CHECK(cfg.n_nodes == 3);
    CHECK(cfg.fsync == 1);
    CHECK(cfg.snapshot_every == 4096);
    for (uint32_t id = 1; id <= 3; id++) {
        const px_node_cfg *n = px_config_node(&cfg, id);
        REQUIRE(n != NULL);
        char host[32];
        snprintf(host, sizeof host, "127.0.0.%u", id);
        CHECK(strcmp(n->host, host) == 0);
        CHECK(n->gateway_port == 5000 + id);
        CHECK(n->acceptor_port == 6000 + id);
        CHECK(n->proposer_port == 6100 + id);
        CHECK(n->learner_port == 6200 + id);
    }
    CHECK(px_config_node(&cfg, 4) == NULL);
    char dir[1100];
    px_config_node_dir(&cfg, 2, dir, sizeof dir);
    CHECK(strcmp(dir, "data/node2") == 0);
}

static void test_defaults(void)
{
    REQUIRE(parse(cluster_text("", 3)) == 0);
    CHECK(cfg.cluster_id == 1);
    CHECK(strcmp(cfg.data_dir, "data") == 0);
    CHECK(cfg.heartbeat_ms == 50);
    CHECK(cfg.election_min_ms == 300);
    CHECK(cfg.election_max_ms == 600);
    CHECK(cfg.retransmit_ms == 100);
    CHECK(cfg.batch_max == 32);
    CHECK(cfg.pipeline == 64);
    CHECK(cfg.queue_max == 8192);
    CHECK(cfg.fsync == 1);
    CHECK(cfg.request_timeout_ms == 5000);
    CHECK(cfg.snapshot_every == 4096);
    CHECK(strcmp(cfg.path, "test.cfg") == 0);
    CHECK(warn[0] == 0);
}

static void test_settings_read(void)
{
    REQUIRE(parse(cluster_text("cluster_id = 4294967295L; data_dir = \"/var/px\";\n"
                               "heartbeat_ms = 10; election_timeout_min_ms = 20;\n"
                               "election_timeout_max_ms = 20; retransmit_ms = 7;\n"
                               "batch_max = 1; pipeline = 4096; queue_max = 1000000;\n"
                               "fsync = false; request_timeout_ms = 100;\n",
                               1)) == 0);
    CHECK(cfg.cluster_id == 4294967295u);
    CHECK(cfg.heartbeat_ms == 10 && cfg.election_min_ms == 20 && cfg.election_max_ms == 20);
    CHECK(cfg.retransmit_ms == 7 && cfg.batch_max == 1 && cfg.pipeline == 4096);
    CHECK(cfg.queue_max == 1000000 && cfg.fsync == 0 && cfg.request_timeout_ms == 100);
    char dir[1100];
    px_config_node_dir(&cfg, 1, dir, sizeof dir);
    CHECK(strcmp(dir, "/var/px/node1") == 0);
}

static void test_node_dir_relative_to_file(void)
{
    const char *text = cluster_text("data_dir = \"d\";\n", 1);
    REQUIRE(px_config_parse(text, "/etc/px/c.cfg", &cfg, err, sizeof err, NULL, 0) == 0);
    char dir[1100];
    px_config_node_dir(&cfg, 1, dir, sizeof dir);
    CHECK(strcmp(dir, "/etc/px/d/node1") == 0);
}

static void test_node_count(void)
{
    CHECK(fails_with("nodes = ();\n", "'nodes'"));
    CHECK(fails_with("cluster_id = 2;\n", "'nodes'"));
    CHECK(fails_with(cluster_text("", 10), "'nodes'"));
    CHECK(fails_with(cluster_text("", 10), "test.cfg:1:"));
    for (int n = 1; n <= 9; n++) {
        CHECK(parse(cluster_text("", n)) == 0);
        CHECK((warn[0] != 0) == (n % 2 == 0));
    }
}

static void test_even_count_warns(void)
{
    REQUIRE(parse(cluster_text("", 4)) == 0);
    CHECK(strstr(warn, "4 nodes: an even count tolerates no more failures than 3") != NULL);
}

static void test_duplicate_id(void)
{
    const char *text =
        "nodes = (\n"
        "  { id = 1; host = \"127.0.0.1\"; gateway_port = 1; acceptor_port = 2;\n"
        "    proposer_port = 3; learner_port = 4; },\n"
        "  { id = 1; host = \"127.0.0.2\"; gateway_port = 1; acceptor_port = 2;\n"
        "    proposer_port = 3; learner_port = 4; }\n"
        ");\n";
    CHECK(fails_with(text, "test.cfg:4: setting 'nodes.[1].id'"));
}

static void test_duplicate_endpoint(void)
{
    /* Same host, and node 2's acceptor on node 1's learner port. */
    const char *text =
        "nodes = (\n"
        "  { id = 1; host = \"127.0.0.1\"; gateway_port = 1; acceptor_port = 2;\n"
        "    proposer_port = 3; learner_port = 4; },\n"
        "  { id = 2; host = \"127.0.0.1\"; gateway_port = 5; acceptor_port = 4;\n"
        "    proposer_port = 6; learner_port = 7; }\n"
        ");\n";
    CHECK(fails_with(text, "test.cfg:4: setting 'nodes.[1].acceptor_port'"));
    CHECK(strstr(err, "127.0.0.1:4") != NULL);
    /* Two roles of one node on the same port. */
    const char *self =
        "nodes = ( { id = 1; host = \"127.0.0.1\"; gateway_port = 1; acceptor_port = 2;\n"
        "    proposer_port = 2; learner_port = 4; } );\n";
    CHECK(fails_with(self, "'nodes.[0].proposer_port'"));
    /* The same ports on different hosts are fine. */
    const char *ok =
        "nodes = (\n"
        "  { id = 1; host = \"127.0.0.1\"; gateway_port = 1; acceptor_port = 2;\n"
        "    proposer_port = 3; learner_port = 4; },\n"
        "  { id = 2; host = \"127.0.0.2\"; gateway_port = 1; acceptor_port = 2;\n"
        "    proposer_port = 3; learner_port = 4; }\n"
        ");\n";
    CHECK(parse(ok) == 0);
}

static void test_bad_port(void)
{
    static const char *const bad[] = {"0", "65536", "-1", "\"80\"", "1.5"};

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "nodes = (\n"
                 "  { id = 1; host = \"127.0.0.1\"; gateway_port = 1; acceptor_port = 2;\n"
                 "    proposer_port = 3; learner_port = 4; },\n"
                 "  { id = 2; host = \"127.0.0.2\"; gateway_port = %s; acceptor_port = 2;\n"
                 "    proposer_port = 3; learner_port = 4; }\n"
                 ");\n",
                 bad[i]);
        CHECK(fails_with(text, "test.cfg:4: setting 'nodes.[1].gateway_port'"));
    }
    CHECK(fails_with("nodes = ( { id = 1; host = \"127.0.0.1\"; gateway_port = 1;\n"
                     "  proposer_port = 3; learner_port = 4; } );\n",
                     "'nodes.[0].acceptor_port': missing"));
}

static void test_bad_host(void)
{
    static const char *const bad[] = {"localhost", "127.0.0", "256.0.0.1", "::1",
                                      "127.0.0.1 ", ""};

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "nodes = (\n"
                 "  { id = 1; host = \"%s\"; gateway_port = 1; acceptor_port = 2;\n"
                 "    proposer_port = 3; learner_port = 4; }\n"
                 ");\n",
                 bad[i]);
        CHECK(fails_with(text, "test.cfg:2: setting 'nodes.[0].host'"));
    }
}

static void test_bad_id(void)
{
    CHECK(fails_with("nodes = ( { id = 0; host = \"127.0.0.1\"; gateway_port = 1;\n"
                     "  acceptor_port = 2; proposer_port = 3; learner_port = 4; } );\n",
                     "'nodes.[0].id'"));
    CHECK(fails_with("nodes = ( { id = 10; host = \"127.0.0.1\"; gateway_port = 1;\n"
                     "  acceptor_port = 2; proposer_port = 3; learner_port = 4; } );\n",
                     "'nodes.[0].id'"));
}

static void test_unknown_setting(void)
{
    CHECK(fails_with(cluster_text("cluster_id = 1;\nheartbeat = 50;\n", 3),
                     "test.cfg:2: setting 'heartbeat'"));
    CHECK(fails_with("nodes = ( { id = 1; host = \"127.0.0.1\"; gateway_port = 1;\n"
                     "  acceptor_port = 2; proposer_port = 3; learner_port = 4; port = 9; } );\n",
                     "test.cfg:2: setting 'nodes.[0].port'"));
}

static void test_syntax_error(void)
{
    CHECK(fails_with("cluster_id = 1;\nnodes = ( { id = 1 ; \n", "test.cfg:"));
    CHECK(fails_with("cluster_id = 1;\nheartbeat_ms = = 5;\n", "test.cfg:2: syntax error"));
    CHECK(fails_with("cluster_id = 1;\n\nnodes = ( { id = 1; }\n", "test.cfg:"));
}

static void test_value_ranges(void)
{
    CHECK(fails_with(cluster_text("cluster_id = 0;\n", 3), "test.cfg:1: setting 'cluster_id'"));
    CHECK(fails_with(cluster_text("cluster_id = 4294967296L;\n", 3), "'cluster_id'"));
    /* libconfig wraps big plain integers; the message says to add an L. */
    CHECK(fails_with(cluster_text("cluster_id = 4294967295;\n", 3), "L suffix"));
    CHECK(fails_with(cluster_text("batch_max = 33;\n", 3), "'batch_max'"));
    CHECK(fails_with(cluster_text("batch_max = 0;\n", 3), "'batch_max'"));
    CHECK(fails_with(cluster_text("pipeline = 4097;\n", 3), "'pipeline'"));
    CHECK(fails_with(cluster_text("queue_max = 1000001;\n", 3), "'queue_max'"));
    CHECK(fails_with(cluster_text("heartbeat_ms = 0;\n", 3), "'heartbeat_ms'"));
    CHECK(fails_with(cluster_text("retransmit_ms = 0;\n", 3), "'retransmit_ms'"));
    CHECK(fails_with(cluster_text("request_timeout_ms = 99;\n", 3), "'request_timeout_ms'"));
    CHECK(fails_with(cluster_text("fsync = 1;\n", 3), "'fsync'"));
    CHECK(fails_with(cluster_text("data_dir = 5;\n", 3), "'data_dir'"));
    CHECK(fails_with(cluster_text("heartbeat_ms = 100;\nelection_timeout_min_ms = 199;\n", 3),
                     "test.cfg:2: setting 'election_timeout_min_ms'"));
    CHECK(fails_with(cluster_text("election_timeout_max_ms = 299;\n", 3),
                     "'election_timeout_max_ms'"));
    CHECK(fails_with("nodes = 5;\n", "'nodes'"));
}

static void test_snapshot_every(void)
{
    REQUIRE(parse(cluster_text("snapshot_every = 0;\n", 3)) == 0);
    CHECK(cfg.snapshot_every == 0); /* snapshots off */
    REQUIRE(parse(cluster_text("snapshot_every = 16;\n", 3)) == 0);
    CHECK(cfg.snapshot_every == 16);
    REQUIRE(parse(cluster_text("snapshot_every = 100000;\n", 3)) == 0);
    CHECK(cfg.snapshot_every == 100000);
    CHECK(fails_with(cluster_text("cluster_id = 1;\nsnapshot_every = 15;\n", 3),
                     "test.cfg:2: setting 'snapshot_every': must be 0 (no snapshots) or 16.."));
    CHECK(fails_with(cluster_text("snapshot_every = 1;\n", 3), "'snapshot_every'"));
    CHECK(fails_with(cluster_text("snapshot_every = -1;\n", 3), "test.cfg:1: setting 'snapshot_every'"));
    CHECK(fails_with(cluster_text("snapshot_every = 1000000001;\n", 3), "'snapshot_every'"));
    CHECK(fails_with(cluster_text("snapshot_every = \"4096\";\n", 3),
                     "test.cfg:1: setting 'snapshot_every': must be an integer"));
    CHECK(fails_with(cluster_text("snapshot_every = 4096.0;\n", 3),
                     "setting 'snapshot_every': must be an integer"));
    CHECK(fails_with(cluster_text("snapshot_every = true;\n", 3), "'snapshot_every'"));
}

static void test_log_format(void)
{
    REQUIRE(parse(cluster_text("", 3)) == 0);
    CHECK(cfg.log_json == 0); /* text is the default */
    REQUIRE(parse(cluster_text("log_format = \"json\";\n", 3)) == 0);
    CHECK(cfg.log_json == 1);
    REQUIRE(parse(cluster_text("log_format = \"text\";\n", 3)) == 0);
    CHECK(cfg.log_json == 0);
    CHECK(fails_with(cluster_text("cluster_id = 1;\nlog_format = \"JSON\";\n", 3),
                     "test.cfg:2: setting 'log_format': must be \"text\" or \"json\""));
    CHECK(fails_with(cluster_text("log_format = \"\";\n", 3), "'log_format'"));
    CHECK(fails_with(cluster_text("log_format = 1;\n", 3), "'log_format': must be"));
    CHECK(fails_with(cluster_text("log_format = true;\n", 3), "'log_format'"));
}

static void test_load_errors_name_file(void)
{
    const char *path = "build/test_config_tmp.cfg";
    FILE *f = fopen(path, "w");
    REQUIRE(f != NULL);
    fputs(cluster_text("pipeline = 0;\n", 3), f);
    fclose(f);
    CHECK(px_config_load(path, &cfg, err, sizeof err, NULL, 0) == -1);
    CHECK(strstr(err, "build/test_config_tmp.cfg:1: setting 'pipeline'") != NULL);

    f = fopen(path, "w");
    REQUIRE(f != NULL);
    fputs("cluster_id = 1;\n\nnodes = (\n", f);
    fclose(f);
    CHECK(px_config_load(path, &cfg, err, sizeof err, NULL, 0) == -1);
    CHECK(strstr(err, "build/test_config_tmp.cfg:") != NULL);
    remove(path);

    CHECK(px_config_load("build/no/such.cfg", &cfg, err, sizeof err, NULL, 0) == -1);
    CHECK(strstr(err, "build/no/such.cfg") != NULL);
}

/* Without initial_members every listed node is a member. */
static void test_members_default_all(void)
{
    REQUIRE(parse(cluster_text("", 5)) == 0);
    CHECK(cfg.initial_members == 0x3Eu); /* bits 1..5 */
    CHECK(px_config_n_members(&cfg) == 5);
    CHECK(px_config_members_static(&cfg, err, sizeof err) == 0);
}

static void test_members_subset(void)
{
    REQUIRE(parse(cluster_text("initial_members = [1, 2, 3];\n", 5)) == 0);
    CHECK(cfg.initial_members == 0x0Eu);
    CHECK(px_config_n_members(&cfg) == 3);
    CHECK(cfg.n_nodes == 5);
    CHECK(warn[0] == 0);
    /* Order does not matter; a libconfig list of ids is taken too. */
    REQUIRE(parse(cluster_text("initial_members = (5, 1, 3);\n", 5)) == 0);
    CHECK(cfg.initial_members == ((1u << 1) | (1u << 3) | (1u << 5)));
    /* Naming every node is the default spelt out. */
    REQUIRE(parse(cluster_text("initial_members = [3, 2, 1];\n", 3)) == 0);
    CHECK(px_config_members_static(&cfg, err, sizeof err) == 0);
}

/* Until membership change is built, the processes refuse a subset, with a
 * reason that says so (the roles would count quorums over every node). */
static void test_members_subset_refused_by_roles(void)
{
    REQUIRE(parse(cluster_text("initial_members = [1, 2, 3];\n", 5)) == 0);
    CHECK(px_config_members_static(&cfg, err, sizeof err) == -1);
    CHECK(strstr(err, "test.cfg") != NULL);
    CHECK(strstr(err, "3 of the 5 listed nodes") != NULL);
    CHECK(strstr(err, "not built yet") != NULL);
}

static void test_members_errors(void)
{
    CHECK(fails_with(cluster_text("initial_members = [1, 2, 7];\n", 5),
                     "'initial_members.[2]': node 7 is not in nodes"));
    CHECK(fails_with(cluster_text("initial_members = [0];\n", 3),
                     "'initial_members.[0]': node 0 is not in nodes"));
    CHECK(fails_with(cluster_text("initial_members = [10];\n", 3), "node 10 is not in nodes"));
    CHECK(fails_with(cluster_text("initial_members = [4];\n", 3), "node 4 is not in nodes"));
    CHECK(fails_with(cluster_text("initial_members = [1, 2, 1];\n", 3),
                     "'initial_members.[2]': node 1 is named twice"));
    CHECK(fails_with(cluster_text("initial_members = [];\n", 3), "'initial_members': is empty"));
    CHECK(fails_with(cluster_text("initial_members = 1;\n", 3),
                     "'initial_members': must be an array of node ids"));
    CHECK(fails_with(cluster_text("initial_members = [\"1\"];\n", 3),
                     "'initial_members.[0]': must be a node id"));
    CHECK(fails_with(cluster_text("initial_members = (1, \"x\");\n", 3),
                     "'initial_members.[1]': must be a node id"));
    CHECK(fails_with(cluster_text("initial_members = [1, 9];\n", 3), "test.cfg:1:"));
}

/* The warning about an even count is about the members: quorums are
 * majorities of them, not of the listed nodes. */
static void test_members_even_warns(void)
{
    REQUIRE(parse(cluster_text("initial_members = [1, 2, 3, 4];\n", 5)) == 0);
    CHECK(strstr(warn, "4 initial members: an even count tolerates no more failures than 3")
          != NULL);
    REQUIRE(parse(cluster_text("initial_members = [1, 2, 3];\n", 4)) == 0);
    CHECK(warn[0] == 0);
    REQUIRE(parse(cluster_text("initial_members = [2];\n", 2)) == 0);
    CHECK(warn[0] == 0);
}

int main(void)
{
    RUN(test_shipped_config_loads);
    RUN(test_defaults);
    RUN(test_settings_read);
    RUN(test_node_dir_relative_to_file);
    RUN(test_node_count);
    RUN(test_even_count_warns);
    RUN(test_duplicate_id);
    RUN(test_duplicate_endpoint);
    RUN(test_bad_port);
    RUN(test_bad_host);
    RUN(test_bad_id);
    RUN(test_unknown_setting);
    RUN(test_syntax_error);
    RUN(test_value_ranges);
    RUN(test_snapshot_every);
    RUN(test_log_format);
    RUN(test_load_errors_name_file);
    RUN(test_members_default_all);
    RUN(test_members_subset);
    RUN(test_members_subset_refused_by_roles);
    RUN(test_members_errors);
    RUN(test_members_even_warns);
    return check_summary();
}
