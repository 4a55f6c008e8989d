CORE_SRCS += acceptor/acceptor.c
UNIT_TESTS += test_acceptor
test_acceptor_SRCS := tests/unit/test_acceptor.c
