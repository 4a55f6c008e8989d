CORE_SRCS += proposer/proposer.c proposer/leadership.c proposer/phase1.c \
             proposer/phase2.c proposer/requests.c
UNIT_TESTS += test_proposer
test_proposer_SRCS := tests/unit/test_proposer.c
UNIT_TESTS += test_round_file
test_round_file_SRCS := tests/unit/test_round_file.c proposer/round_file.c common/fileio.c

PROGRAMS += paxos-proposer
paxos-proposer_SRCS = proposer/main.c proposer/round_file.c $(PROC_SRCS)
paxos-proposer_LIBS = $(PROC_LIBS)
