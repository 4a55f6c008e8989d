# The Jepsen-style test's load generator and history recorder.
PROGRAMS += paxos-jepsen-client
paxos-jepsen-client_SRCS := jepsen/client/main.c jepsen/client/http.c
paxos-jepsen-client_LIBS := -ljson-c -lpthread
