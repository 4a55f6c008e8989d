# tests/fuzz/fuzz.mk -- libFuzzer targets for the parsers (included at the
# end of the Makefile, after every module.mk, so the source lists below are
# complete).  See tests/fuzz/README.md.
#
#   make fuzz-targets            build build/fuzz/fuzz_<name>
#   make fuzz [FUZZ_SECONDS=60]  fuzz each target in turn, merge new inputs
#                                into tests/fuzz/corpus/<name>/
#   make fuzz FUZZ_TARGETS="wire store"   only some
#   make fuzz-seeds              regenerate the generated seed inputs
#   make fuzz-coverage           line coverage of each parser by its corpus
#                                (llvm-cov; no sanitizers, no libFuzzer)
#
# Everything is compiled from source by clang with
# -fsanitize=fuzzer,address,undefined into build/fuzz/: nothing here links
# the gcc-built libpaxoscore.a, and no other build uses these objects.  The
# pure cores (CORE_SRCS) go into a clang archive; each target adds the
# process-side files its unit test already lists (test_store_SRCS, ...), so
# a parser that gains a helper file needs no change here.

FUZZ_CC ?= clang
FUZZ_DIR := build/fuzz
FUZZ_SECONDS ?= 60
FUZZ_NAMES := wire store store_records snapshot config gateway
FUZZ_TARGETS ?= $(FUZZ_NAMES)

FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_WARN := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O1 -I.
FUZZ_CFLAGS := $(FUZZ_WARN) -MMD -MP $(FUZZ_SAN)

# Files a target needs besides the cores: its unit test's list minus the test.
fuzz_extra = $(filter-out tests/unit/%,$(1))
fuzz_wire_SRCS := tests/fuzz/fuzz_wire.c
fuzz_store_SRCS := tests/fuzz/fuzz_store.c tests/fuzz/store_check.c \
                   $(call fuzz_extra,$(test_store_SRCS))
fuzz_store_records_SRCS := tests/fuzz/fuzz_store_records.c tests/fuzz/store_check.c \
                           $(call fuzz_extra,$(test_store_SRCS))
fuzz_snapshot_SRCS := tests/fuzz/fuzz_snapshot.c
fuzz_config_SRCS := tests/fuzz/fuzz_config.c $(call fuzz_extra,$(test_config_SRCS))
fuzz_config_LIBS := $(test_config_LIBS)
fuzz_gateway_SRCS := tests/fuzz/fuzz_gateway.c $(call fuzz_extra,$(test_gateway_parse_SRCS))
fuzz_gateway_LIBS := $(test_gateway_parse_LIBS)

FUZZ_CORE_LIB := $(FUZZ_DIR)/libpaxoscore.a
FUZZ_CORE_OBJS := $(CORE_SRCS:%.c=$(FUZZ_DIR)/obj/%.o)

.PHONY: fuzz fuzz-targets fuzz-seeds fuzz-coverage
fuzz-targets: $(FUZZ_NAMES:%=$(FUZZ_DIR)/fuzz_%)

# Instrumented for coverage (fuzzer-no-link): libFuzzer's main comes in at
# the target's link.
$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_CORE_LIB): $(FUZZ_CORE_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

define FUZZ_LINK_template
$(FUZZ_DIR)/fuzz_$(1): $$(fuzz_$(1)_SRCS:%.c=$$(FUZZ_DIR)/obj/%.o) $$(FUZZ_CORE_LIB)
	$$(FUZZ_CC) $$(FUZZ_SAN) -fsanitize=fuzzer -o $$@ $$^ $$(fuzz_$(1)_LIBS) -lm
endef
$(foreach t,$(FUZZ_NAMES),$(eval $(call FUZZ_LINK_template,$(t))))

# Seed generator: writes frames, logs, snapshots, configs and bodies made
# by the real encoders.  Not a fuzz target, so no fuzzer instrumentation.
FUZZ_SEEDGEN_SRCS := tests/fuzz/seedgen.c $(CORE_SRCS) $(call fuzz_extra,$(test_store_SRCS))
$(FUZZ_DIR)/seedgen: $(FUZZ_SEEDGEN_SRCS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_WARN) $(FUZZ_SAN) -o $@ $^ -lm

fuzz-seeds: $(FUZZ_DIR)/seedgen
	$(FUZZ_DIR)/seedgen tests/fuzz/corpus

# Coverage builds: each target with replay_main.c instead of libFuzzer.
define FUZZ_COV_template
$(FUZZ_DIR)/cov/fuzz_$(1): tests/fuzz/replay_main.c $$(fuzz_$(1)_SRCS) $$(CORE_SRCS)
	@mkdir -p $$(dir $$@)
	$$(FUZZ_CC) $$(FUZZ_WARN) -fprofile-instr-generate -fcoverage-mapping -o $$@ $$^ \
		$$(fuzz_$(1)_LIBS) -lm
endef
$(foreach t,$(FUZZ_NAMES),$(eval $(call FUZZ_COV_template,$(t))))

fuzz-coverage: $(FUZZ_NAMES:%=$(FUZZ_DIR)/cov/fuzz_%)
	bash tests/fuzz/run.sh coverage $(FUZZ_TARGETS)

fuzz: fuzz-targets
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/fuzz/run.sh fuzz $(FUZZ_TARGETS)

-include $(shell find $(FUZZ_DIR)/obj -name '*.d' 2>/dev/null)
