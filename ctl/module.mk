# ctl/: paxosctl, the command-line client (libcurl: HTTP and HTTPS).
PROGRAMS += paxosctl
paxosctl_SRCS := ctl/paxosctl.c ctl/httpc.c common/config.c common/log.c
paxosctl_LIBS := -ljson-c -lcurl -lconfig
# paxos-fault: arms the test-only fault injection of a node's roles
# through their control sockets (common/faults.h).
PROGRAMS += paxos-fault
paxos-fault_SRCS := ctl/faultctl.c common/net.c common/inbox.c common/ipc.c common/ctl.c common/tls.c common/faults.c common/delayq.c \
                    common/config.c common/log.c
paxos-fault_LIBS := -lnng -lpthread -lconfig
