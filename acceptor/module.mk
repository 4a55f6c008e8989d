CORE_SRCS += acceptor/acceptor.c
UNIT_TESTS += test_acceptor test_store
test_acceptor_SRCS := tests/unit/test_acceptor.c
# The log (store.c and its parts) does file I/O, so it stays out of the pure
# core library.
ACC_STORE_SRCS := acceptor/store.c acceptor/store_format.c acceptor/store_recover.c
test_store_SRCS := tests/unit/test_store.c $(ACC_STORE_SRCS) common/fileio.c

PROGRAMS += paxos-acceptor
paxos-acceptor_SRCS = acceptor/main.c $(ACC_STORE_SRCS) $(PROC_SRCS)
paxos-acceptor_LIBS = $(PROC_LIBS)
