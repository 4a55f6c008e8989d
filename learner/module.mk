CORE_SRCS += learner/learner.c learner/dedup.c
UNIT_TESTS += test_learner
test_learner_SRCS := tests/unit/test_learner.c
