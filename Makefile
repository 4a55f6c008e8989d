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
          quorum_too_small learner_out_of_order learner_no_dedup learner_trust_acks \
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

# libFuzzer targets (clang, build/fuzz/): after every module.mk, whose
# source lists they reuse.
include tests/fuzz/fuzz.mk
