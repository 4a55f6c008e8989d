# gateway/: the HTTP gateway process (libmicrohttpd + json-c) around its
# command logic, a pure core in libpaxoscore.a that the simulator runs too;
# unit tests of the request parsing and of the core (no sockets).
CORE_SRCS += gateway/core.c gateway/pending.c gateway/listcopy.c
GATEWAY_SRCS := gateway/main.c gateway/http.c gateway/httpd.c gateway/conns.c gateway/head.c \
                gateway/parse.c gateway/json.c gateway/cluster.c gateway/status.c gateway/stats.c \
                gateway/metrics.c gateway/metrics_roles.c gateway/gather.c gateway/page.c

PROGRAMS += paxos-gateway
# common/net.c calls the fault hooks (common/faults.c, off unless a test turns
# them on) and their delay queue.
paxos-gateway_SRCS := $(GATEWAY_SRCS) common/net.c common/inbox.c common/ipc.c common/ctl.c common/tls.c common/ready.c common/config.c common/log.c \
                      common/faults.c common/delayq.c
paxos-gateway_LIBS := -lmicrohttpd -ljson-c -lcurl -lnng -lpthread -lconfig
# The cluster page is built into page.o (.incbin): rebuild it when the page changes.
$(BUILD)/obj/gateway/page.o: gateway/page.html

UNIT_TESTS += test_gateway_parse test_gateway_core test_gateway_metrics
test_gateway_parse_SRCS := tests/unit/test_gateway_parse.c gateway/parse.c gateway/head.c \
                           gateway/json.c
test_gateway_parse_LIBS := -ljson-c
test_gateway_core_SRCS := tests/unit/test_gateway_core.c
test_gateway_metrics_SRCS := tests/unit/test_gateway_metrics.c gateway/metrics_roles.c gateway/json.c \
                             common/refuse.c
test_gateway_metrics_LIBS := -ljson-c
