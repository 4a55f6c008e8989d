# ctl/: paxosctl, the command-line client (plain-socket HTTP, no libcurl).
PROGRAMS += paxosctl
paxosctl_SRCS := ctl/paxosctl.c ctl/httpc.c common/config.c common/log.c
paxosctl_LIBS := -ljson-c -lconfig
