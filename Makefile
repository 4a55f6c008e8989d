# paxos-c build.
#
#   make            release binaries in bin/
#   make test       everything tests/run-all.sh runs (sanitized build, unit
#                   tests, simulator seeds, mutants, checker, integration)
#   make sim        a large simulator batch
#   make mutants    each planted bug built into build/mutants/<name>/bin/
#   make asan       the sanitized build in build/asan/bin/
#   make fuzz       libFuzzer targets for the parsers, FUZZ_SECONDS each
#                   (clang; see tests/fuzz/README.md)
#   make install    programs, scripts, docs, the systemd unit under PREFIX
#                   (DESTDIR stages it; see below and docs/DEPLOY.md)
#
# Each folder describes its own parts in a module.mk fragment:
#   CORE_SRCS  += files of libpaxoscore.a (pure logic: links no nng/http/json)
#   PROGRAMS   += name;  name_SRCS := ...;  name_LIBS := ...
#   UNIT_TESTS += name;  name_SRCS := ...;  name_LIBS := ...
# Programs and tests link libpaxoscore.a.

CC ?= cc
BUILD ?= build/release
BINDIR ?= bin
OPT ?= -O2
SAN ?=
MUTANT ?=

CFLAGS_ALL = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g $(OPT) -I. -MMD -MP $(CFLAGS)
ifneq ($(SAN),)
CFLAGS_ALL += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS_ALL = -fsanitize=address,undefined $(LDFLAGS)
else
LDFLAGS_ALL = $(LDFLAGS)
endif
ifneq ($(MUTANT),)
CFLAGS_ALL += -DPX_MUTANT_$(shell echo $(MUTANT) | tr a-z A-Z)=1
endif

# Fragments may add prerequisites to objects (gateway/page.o needs its
# page): `all` stays the goal whatever they define first.
.DEFAULT_GOAL := all
CORE_SRCS :=
PROGRAMS :=
UNIT_TESTS :=
include $(sort $(wildcard */module.mk */*/module.mk))

CORE_LIB = $(BUILD)/libpaxoscore.a
CORE_OBJS = $(CORE_SRCS:%.c=$(BUILD)/obj/%.o)

.PHONY: all programs unit-tests test sim mutants asan clean
all: programs

programs: $(PROGRAMS:%=$(BINDIR)/%)
unit-tests: $(UNIT_TESTS:%=$(BUILD)/tests/%)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(CORE_LIB): $(CORE_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

define LINK_template
$(2)/$(1): $$($(1)_SRCS:%.c=$$(BUILD)/obj/%.o) $$(CORE_LIB)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS_ALL) -o $$@ $$^ $$($(1)_LIBS) -lm
endef
$(foreach p,$(PROGRAMS),$(eval $(call LINK_template,$(p),$$(BINDIR))))
$(foreach t,$(UNIT_TESTS),$(eval $(call LINK_template,$(t),$$(BUILD)/tests)))

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# The sanitized build used by the tests.
asan:
	$(MAKE) BUILD=build/asan BINDIR=build/asan/bin SAN=1 OPT=-O1 programs unit-tests

# Every mutant: the same sources with one planted bug.
MUTANTS = acceptor_early_reply acceptor_low_ballot acceptor_forget_silently proposer_ignore_promised \
          quorum_too_small learner_out_of_order learner_no_dedup learner_trust_acks learner_vote_mixed \
          gateway_503_silent gateway_list_gap gateway_local_read \
          acceptor_round_only acceptor_sync_every_other proposer_lowest_vballot proposer_dup_promise \
          proposer_trim_applied learner_snapshot_skip learner_install_no_dedup gateway_new_seq_on_resend \
          gateway_read_short
mutants:
	@for m in $(MUTANTS); do \
	  $(MAKE) --no-print-directory BUILD=build/mutants/$$m BINDIR=build/mutants/$$m/bin MUTANT=$$m programs || exit 1; \
	done

test: all asan mutants
	bash tests/run-all.sh

sim: all
	bin/paxos-sim --seeds 1-100000

clean:
	rm -rf build bin

# make install [PREFIX=/usr/local] [DESTDIR=] [SYSCONFDIR=/etc]
#   PREFIX/bin                  the programs (paxos-node starts the roles
#                               from its own directory)
#   PREFIX/libexec/paxos-c      the scripts (they find PREFIX/bin from there)
#   PREFIX/share/doc/paxos-c    README, docs/, example configs
#   PREFIX/lib/systemd/system   paxos-node@.service (the instance is the node id)
# Nothing is written to SYSCONFDIR: the config and certificates are the
# operator's (docs/DEPLOY.md).  DESTDIR stages the tree (packaging, tests).
PREFIX ?= /usr/local
SYSCONFDIR ?= /etc
DESTDIR ?=
INSTALL_PROGRAMS = paxos-node paxos-acceptor paxos-proposer paxos-learner paxos-gateway \
                   paxosctl paxos-audit paxos-bench
INSTALL_SCRIPTS = start-node.sh start-cluster.sh stop-cluster.sh status.sh make-certs.sh
I_BIN = $(DESTDIR)$(PREFIX)/bin
I_LIBEXEC = $(DESTDIR)$(PREFIX)/libexec/paxos-c
I_DOC = $(DESTDIR)$(PREFIX)/share/doc/paxos-c
I_UNIT = $(DESTDIR)$(PREFIX)/lib/systemd/system
.PHONY: install
install: programs
	install -d $(I_BIN) $(I_LIBEXEC) $(I_DOC)/examples $(I_UNIT)
	install -m 755 $(INSTALL_PROGRAMS:%=$(BINDIR)/%) $(I_BIN)/
	install -m 755 $(INSTALL_SCRIPTS:%=scripts/%) $(I_LIBEXEC)/
	install -m 644 scripts/lib.sh $(I_LIBEXEC)/
	printf '# written by make install: the config the scripts use unless told otherwise\nPAXOS_DEFAULT_CONFIG=%s\n' \
	    '$(SYSCONFDIR)/paxos-c/cluster.cfg' >$(I_LIBEXEC)/paths.sh
	install -m 644 README.md docs/*.md docs/*.png $(I_DOC)/
	install -m 644 cluster.cfg $(I_DOC)/examples/cluster.cfg
	install -m 644 deploy/cluster.cfg.example $(I_DOC)/examples/cluster-3-hosts.cfg
	sed -e 's|@BINDIR@|$(PREFIX)/bin|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	    -e 's|@DOCDIR@|$(PREFIX)/share/doc/paxos-c|g' deploy/paxos-node@.service \
	    >$(I_UNIT)/paxos-node@.service
	chmod 644 $(I_UNIT)/paxos-node@.service

# libFuzzer targets (clang, build/fuzz/): after every module.mk, whose
# source lists they reuse.
include tests/fuzz/fuzz.mk
