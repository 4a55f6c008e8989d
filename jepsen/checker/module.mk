# jepsen/checker/: paxos-check, the linearizability checker for Jepsen
# histories of the replicated list, and the tools that test it.
CHECKER_SRCS := jepsen/checker/arena.c jepsen/checker/edn.c jepsen/checker/imap.c \
                jepsen/checker/history.c jepsen/checker/check.c

PROGRAMS += paxos-check
paxos-check_SRCS := jepsen/checker/main.c $(CHECKER_SRCS)

# Cross-check against brute force on random small histories.
UNIT_TESTS += paxos-check-crosscheck
paxos-check-crosscheck_SRCS := jepsen/checker/crosscheck.c jepsen/checker/brute.c \
                               jepsen/checker/gen.c $(CHECKER_SRCS)

# Large random histories for jepsen/checker/bench.sh.
PROGRAMS += paxos-check-gen
paxos-check-gen_SRCS := jepsen/checker/bigen.c jepsen/checker/gen.c

UNIT_TESTS += test_paxos_check_edn
test_paxos_check_edn_SRCS := jepsen/checker/tests/test_edn.c $(CHECKER_SRCS)
