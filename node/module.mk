# node/: the role processes and the per-node supervisor.  They are built
# here rather than in each role's fragment because they share the transport
# (common/net.c, nng) and the process scaffolding (node/proc.c), which the
# pure core library must not link.
PROC_SRCS := node/proc.c common/net.c common/ipc.c common/ctl.c common/tls.c common/ready.c common/config.c common/log.c common/fileio.c \
             common/faults.c common/delayq.c
PROC_LIBS := -lnng -lpthread -lconfig

PROGRAMS += paxos-acceptor paxos-proposer paxos-learner paxos-node
paxos-acceptor_SRCS := acceptor/main.c $(ACC_STORE_SRCS) $(PROC_SRCS)
paxos-acceptor_LIBS := $(PROC_LIBS)
paxos-proposer_SRCS := proposer/main.c proposer/round_file.c $(PROC_SRCS)
paxos-proposer_LIBS := $(PROC_LIBS)
paxos-learner_SRCS := learner/main.c $(PROC_SRCS)
paxos-learner_LIBS := $(PROC_LIBS)
paxos-node_SRCS := node/main.c $(PROC_SRCS)
paxos-node_LIBS := $(PROC_LIBS)
# The gateway (gateway/module.mk) links common/net.c too, which calls the
# fault hooks (common/faults.c, off unless a test turns them on) and their
# delay queue.
paxos-gateway_SRCS += common/faults.c common/delayq.c
