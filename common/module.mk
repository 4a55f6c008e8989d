# common/: code shared by more than one role.
CORE_SRCS += common/wire.c common/refuse.c common/crc32c.c common/outbox.c common/quorum.c common/rng.c common/types.c \
             common/histo.c common/members.c
# Process-side helpers (config, logging) are not in the pure core library.
COMMON_PROC_SRCS := common/config.c common/log.c

UNIT_TESTS += test_wire test_config test_quorum
test_wire_SRCS := tests/unit/test_wire.c
test_config_SRCS := tests/unit/test_config.c common/config.c common/log.c
test_config_LIBS := -lconfig
test_quorum_SRCS := tests/unit/test_quorum.c

# The membership history (docs/PROTOCOL.md, Membership).
UNIT_TESTS += test_members test_members_model
test_members_SRCS := tests/unit/test_members.c
test_members_model_SRCS := tests/unit/test_members_model.c

# The test-only fault injection (common/faults.c) and its delay queue, and
# the atomic replace's test hooks (common/fileio.c).
UNIT_TESTS += test_faults test_delayq test_fileio
test_faults_SRCS := tests/unit/test_faults.c common/faults.c common/log.c
test_delayq_SRCS := tests/unit/test_delayq.c common/delayq.c
test_fileio_SRCS := tests/unit/test_fileio.c common/fileio.c

# What every role process and the supervisor share around their cores
# (common/proc.c: arguments, config, logging, the node directory, signals,
# driving an outbox into the transport), with the transport itself and the
# test-only fault hooks.  The pure core library must not link these.  The
# role programs (acceptor/, proposer/, learner/, node/ module.mk) name
# PROC_SRCS with '=' so the order the fragments are read in does not matter.
PROC_SRCS := common/proc.c common/net.c common/inbox.c common/ipc.c common/ctl.c common/tls.c common/ready.c \
             common/config.c common/log.c common/fileio.c common/faults.c common/delayq.c
PROC_LIBS := -lnng -lpthread -lconfig

# The metrics' histograms (common/histo.c, in the core library).
UNIT_TESTS += test_histo test_log
test_log_SRCS := tests/unit/test_log.c common/log.c
test_log_LIBS := -ljson-c
test_histo_SRCS := tests/unit/test_histo.c
test_histo_LIBS := -ljson-c

# The transport's redial of a destination left without a connection, with a
# close that never returns (as nng's can): the sender must not wait for it.
UNIT_TESTS += test_net_redial
test_net_redial_SRCS := tests/unit/test_net_redial.c common/net.c common/inbox.c common/ipc.c common/tls.c \
	common/config.c common/log.c common/faults.c common/delayq.c common/fileio.c
test_net_redial_LIBS := -lnng -lpthread -lconfig -ljson-c -ldl

# The transport's receive side: every message out of the inbox, in order,
# past a full inbox; the fd's signal; nothing left behind at a close.
UNIT_TESTS += test_net_inbox
test_net_inbox_SRCS := tests/unit/test_net_inbox.c common/net.c common/inbox.c common/ipc.c \
	common/tls.c common/config.c common/log.c common/faults.c common/delayq.c common/fileio.c
test_net_inbox_LIBS := -lnng -lpthread -lconfig -ljson-c
