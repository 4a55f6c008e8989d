CORE_SRCS += learner/learner.c learner/dedup.c learner/snapshot.c
UNIT_TESTS += test_learner test_snapshot
test_learner_SRCS := tests/unit/test_learner.c
test_snapshot_SRCS := tests/unit/test_snapshot.c

PROGRAMS += paxos-learner
paxos-learner_SRCS = learner/main.c $(PROC_SRCS)
paxos-learner_LIBS = $(PROC_LIBS)
