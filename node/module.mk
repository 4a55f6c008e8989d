# node/: the per-node supervisor, which forks the role processes and
# restarts them (each role's program is built by its own module.mk).
PROGRAMS += paxos-node
paxos-node_SRCS = node/main.c $(PROC_SRCS)
paxos-node_LIBS = $(PROC_LIBS)
