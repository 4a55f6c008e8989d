CORE_SRCS += proposer/proposer.c
UNIT_TESTS += test_proposer
test_proposer_SRCS := tests/unit/test_proposer.c
