CORE_SRCS += learner/learner.c
UNIT_TESTS += test_learner
test_learner_SRCS := tests/unit/test_learner.c
