# tools/netdelay/: paxos-netdelay, one-way latency for the fake hosts of
# scripts/netns-hosts.sh where the kernel has no netem: it holds the
# packets of an NFQUEUE queue for MS ms each (libnetfilter-queue).
PROGRAMS += paxos-netdelay
paxos-netdelay_SRCS := tools/netdelay/netdelay.c tools/netdelay/fifo.c
paxos-netdelay_LIBS := -lnetfilter_queue -lnfnetlink
UNIT_TESTS += test_netdelay_fifo
test_netdelay_fifo_SRCS := tests/unit/test_netdelay_fifo.c tools/netdelay/fifo.c
