# bin/paxos-audit: Paxos's invariants checked on a stopped cluster's files.
# The reading (acceptor log, proposer.state, learner.snap) is the roles' own
# code; the checks and the replay are pure and run in test_audit too.
AUDIT_CORE_SRCS := audit/state.c audit/result.c audit/check_acceptors.c audit/check_votes.c \
                   audit/check_learners.c audit/replay.c
AUDIT_READ_SRCS := audit/read.c $(ACC_STORE_SRCS) proposer/round_file.c common/fileio.c
PROGRAMS += paxos-audit
paxos-audit_SRCS := audit/main.c audit/report.c $(AUDIT_CORE_SRCS) $(AUDIT_READ_SRCS) \
                    common/config.c common/log.c
paxos-audit_LIBS := -lconfig
UNIT_TESTS += test_audit
test_audit_SRCS := tests/unit/test_audit.c audit/report.c $(AUDIT_CORE_SRCS) $(AUDIT_READ_SRCS)
