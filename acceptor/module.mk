CORE_SRCS += acceptor/acceptor.c
UNIT_TESTS += test_acceptor test_store
test_acceptor_SRCS := tests/unit/test_acceptor.c
# store.c does file I/O, so it stays out of the pure core library.
test_store_SRCS := tests/unit/test_store.c acceptor/store.c common/fileio.c
