# grokmon: one Makefile. Every stages/<name>/*.c becomes bin/<name> (a folder
# without main.c holds a script, linked there); every
# common/*.c goes into one static library; every tests/tools/<name>.c becomes a
# test tool and every tests/unit/test_*.c a unit test. Add a file, not a rule.
#
#   make            build bin/*
#   make test       install deps if missing, build, run the whole suite
#   make SANITIZE=1 test   the same under ASan + UBSan (binaries in build/san/bin)
#   make REFERENCE=1 test  run the suite on the plain reference kernels
#   make demo       the whole study on the trained testbed (testbed/) -> demo/report.html
#   make deps       install every package (scripts/install-deps.sh test)
#   make fuzz       libFuzzer targets for a bounded time each

SHELL := /bin/bash
CC ?= cc
# Evaluated when make reads this file: on a fresh machine, before install-deps has run.
# So demo and test install first and then build in a sub-make, which reads it again.
PKGS := msgpack liblz4 openblas jansson libpcre2-8 libutf8proc
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

ARCH ?= -march=native
OPT ?= -O2
WARN := -Wall -Wextra -Werror -Wno-unused-parameter
CPPFLAGS += -D_GNU_SOURCE -Icommon $(PKG_CFLAGS)
CFLAGS := -std=c11 $(OPT) -g $(ARCH) $(WARN) -pthread
LDLIBS := $(PKG_LIBS) -lm -pthread

ifdef SANITIZE
BUILD := build/san
BINDIR := build/san/bin
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
else
BUILD := build/rel
BINDIR := bin
endif

COMMON_SRC := $(wildcard common/*.c)
COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/%.o)
LIB := $(BUILD)/libgrokmon.a
# C stages: the stages/<name>/ folders with a main.c. A folder without one holds a script
# stages/<name>/<name> (router-trace-torch), linked into the bin folder as it is.
STAGES := $(patsubst stages/%/main.c,%,$(wildcard stages/*/main.c))
SCRIPT_STAGES := $(filter-out $(STAGES),$(notdir $(patsubst %/,%,$(wildcard stages/*/))))
STAGE_BINS := $(addprefix $(BINDIR)/,$(STAGES) $(SCRIPT_STAGES))
TOOL_SRC := $(wildcard tests/tools/*.c)
TOOL_BINS := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps test check demo fuzz bench clean pkg-check
all: $(STAGE_BINS)

deps:
	@scripts/install-deps.sh test

# Every compile waits for this: a clear error instead of a failing link when pkg-config
# or a library was missing when make started.
pkg-check:
ifeq ($(strip $(PKG_LIBS)),)
	@echo "make: error: pkg-config does not find $(PKGS) (or is not installed): run" \
	  "scripts/install-deps.sh run, or make demo / make test, which install first" >&2; exit 1
endif

$(BUILD)/%.o: %.c | pkg-check
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(COMMON_OBJ)
	@rm -f $@
	ar rcs $@ $^

define stage_rule
$(BINDIR)/$(1): $(patsubst %.c,$(BUILD)/%.o,$(wildcard stages/$(1)/*.c)) $(LIB)
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS)
endef
$(foreach s,$(STAGES),$(eval $(call stage_rule,$(s))))

define script_rule
$(BINDIR)/$(1): stages/$(1)/$(1)
	@mkdir -p $$(@D)
	ln -sfr $$< $$@
endef
$(foreach s,$(SCRIPT_STAGES),$(eval $(call script_rule,$(s))))

$(BUILD)/tools/%: $(BUILD)/tests/tools/%.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/test_%: $(BUILD)/tests/unit/test_%.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The suite: unit tests, then stage and end-to-end shell tests.
# T=PATTERN runs only the tests whose file name contains PATTERN.
test:
	@scripts/install-deps.sh test
	@$(MAKE) --no-print-directory all-test
	@GM_BIN=$(CURDIR)/$(BINDIR) GM_TOOLS=$(CURDIR)/$(BUILD)/tools GM_UNITS=$(CURDIR)/$(BUILD)/tests \
	  GM_REFERENCE=$(REFERENCE) tests/run.sh $(T)

# A fast check: build and unit tests only.
check: all-test
	@GM_BIN=$(CURDIR)/$(BINDIR) GM_TOOLS=$(CURDIR)/$(BUILD)/tools GM_UNITS=$(CURDIR)/$(BUILD)/tests \
	  GM_REFERENCE=$(REFERENCE) tests/run.sh --unit-only $(T)

.PHONY: all-test
all-test: $(STAGE_BINS) $(TOOL_BINS) $(UNIT_BINS)

# Only what running needs is installed; the build is a sub-make (see PKG_CFLAGS).
demo:
	@scripts/install-deps.sh run
	@$(MAKE) --no-print-directory demo-run

.PHONY: demo-run
demo-run: all $(TOOL_BINS)
	@GM_BIN=$(CURDIR)/$(BINDIR) GM_TOOLS=$(CURDIR)/$(BUILD)/tools scripts/demo.sh

fuzz:
	@scripts/fuzz.sh

clean:
	rm -rf build bin

-include $(shell find build -name '*.d' 2>/dev/null)
