# The Jepsen-style test's load generator and history recorder.
PROGRAMS += paxos-jepsen-client
paxos-jepsen-client_SRCS := jepsen/client/main.c jepsen/client/recovery.c common/http_client.c
paxos-jepsen-client_LIBS := -ljson-c -lpthread
