# icelab build.  `make` builds build/icelab; `make check` runs every test
# under ASan+UBSan (and compiles everything with clang too); `make run`
# runs the suite; `make bench` prints benchmark figures.
# make's built-in default for CC is `cc`, which `?=` would keep.
ifeq ($(origin CC),default)
CC       := gcc
endif
CLANG    ?= clang
PREFIX   ?= /usr/local
DESTDIR  ?=
BUILD    ?= build
OPT      ?= -O2
SAN      ?=

PKGS     := libnl-3.0 libnl-route-3.0 libnftables libfyaml libuv jansson \
            openssl zlib libpcap libnetfilter_queue
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lresolv
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral
CFLAGS   ?=
ALL_CFLAGS := -std=gnu11 -g $(OPT) $(WARN) $(SAN) -D_GNU_SOURCE -MMD -MP \
              $(PKG_CFLAGS) $(CFLAGS)
LDFLAGS  ?=
ALL_LDFLAGS := $(SAN) $(LDFLAGS)

# Library code: everything in the modules but the command's main.  The
# harness encodes forged STUN requests (harness/inject.c) with the agents'
# codec, so agents/stun.c is in both libraries (one object).
LIB_SRCS := $(wildcard common/*.c netns/*.c reports/*.c) agents/stun.c \
            $(filter-out harness/main.c,$(wildcard harness/*.c))
MAIN_SRC := harness/main.c
# The agents' core (STUN, ICE, DTLS, protocol) and their two commands.
AGENT_MAINS := agents/lite_main.c agents/full_main.c
AGENT_SRCS := $(filter-out $(AGENT_MAINS),$(wildcard agents/*.c)) common/err.c
UNIT_SRCS := $(wildcard tests/unit/*.c)
NS_SRCS   := $(wildcard tests/ns/*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
LIB_OBJS := $(call obj,$(LIB_SRCS))
AGENT_OBJS := $(call obj,$(AGENT_SRCS))
BINS := $(BUILD)/icelab $(BUILD)/icelab-lite $(BUILD)/icelab-full $(BUILD)/icelab-libnice

.PHONY: all check run bench install clean deps fuzz results-libnice soak
all: $(BINS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libicelab.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libicelab-agent.a: $(AGENT_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/icelab: $(call obj,$(MAIN_SRC)) $(BUILD)/libicelab.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# The agents' objects come through a pattern rule; keep them (no relink).
.SECONDARY:

$(BUILD)/icelab-%: $(BUILD)/obj/agents/%_main.o $(BUILD)/libicelab-agent.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# The libnice adapter (agents/adapters/libnice/): GLib and libnice flags
# for its objects only; nice_cfg.c is pure and also in test-unit.
NICE_OBJS := $(call obj,$(wildcard agents/adapters/libnice/*.c))
$(NICE_OBJS): ALL_CFLAGS += $(shell pkg-config --cflags nice glib-2.0 2>/dev/null)
$(BUILD)/icelab-libnice: $(NICE_OBJS) $(BUILD)/libicelab-agent.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(shell pkg-config --libs nice glib-2.0 2>/dev/null) $(PKG_LIBS)

$(BUILD)/test-unit: $(call obj,$(UNIT_SRCS) agents/adapters/libnice/nice_cfg.c) $(BUILD)/libicelab.a $(BUILD)/libicelab-agent.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CHECK_LIBS)

$(BUILD)/test-ns: $(call obj,$(NS_SRCS)) $(BUILD)/libicelab.a $(BUILD)/libicelab-agent.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CHECK_LIBS)

$(BUILD)/bench-topo: $(call obj,tests/bench/bench_topo.c tests/bench/bench_util.c) $(BUILD)/libicelab.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/bench-agents: $(call obj,tests/bench/bench_agents.c tests/bench/bench_util.c) $(BUILD)/libicelab.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/bench-services: $(call obj,tests/bench/bench_services.c tests/bench/bench_util.c) $(BUILD)/libicelab.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

deps:
	@scripts/install-deps

ASAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer

# Tests run from the sanitizer build; the clang build proves the code also
# compiles warning-free there.
check: deps
	$(MAKE) --no-print-directory BUILD=build/asan OPT=-O1 SAN="$(ASAN)" \
		$(subst $(BUILD),build/asan,$(BINS)) build/asan/test-unit build/asan/test-ns \
		build/asan/bench-topo
	$(MAKE) --no-print-directory BUILD=build/clang CC=$(CLANG) \
		$(subst $(BUILD),build/clang,$(BINS)) build/clang/test-unit build/clang/test-ns \
		build/clang/bench-topo build/clang/bench-agents build/clang/bench-services
	tests/run-tests build/asan

run: deps all
	$(BUILD)/icelab run -j 2 --report $(BUILD)/report scenarios/

# docs/results/libnice.md: the suite with libnice as the client (needs root
# and build/icelab-libnice); explanations from docs/results/libnice-notes.md.
results-libnice: deps all
	scripts/results-libnice $(BUILD)

# Stability of the verdicts: SOAK_ROUNDS full runs of the suite at -j 2,
# each with its own seed; prints the count of unexpected verdicts.
SOAK_ROUNDS ?= 20
soak: deps all
	tests/bench/soak-suite $(BUILD)/icelab $(SOAK_ROUNDS) 1000 scenarios/

bench: deps all $(BUILD)/bench-topo $(BUILD)/bench-agents $(BUILD)/bench-services
	tests/bench/run $(BUILD)

# The kill campaign (root): 100 random SIGKILLs across suite runs of the
# release build, then what is left (namespaces, processes, devices, tmp
# entries) is counted and must be 0; tests/ns/kill-campaign.
.PHONY: hardening
hardening: deps all
	tests/ns/kill-campaign $(BUILD) 100

# libFuzzer under ASan+UBSan (tests/fuzz/fuzz_*.c): the STUN codec, the
# agent-protocol line parsers, the scenario loader, the agents' datagram
# demux.  The libraries are built with coverage instrumentation in
# build/fuzz; tests/fuzz/run runs each target FUZZ_TIME seconds (FUZZ_JOBS
# at once), grows the corpora in tests/fuzz/corpus and prints one table.
FUZZ_TIME ?= 600
FUZZ_JOBS ?= 1
FUZZ_TARGETS := stun proto scenario demux
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_FLAGS := -std=gnu11 -g -O1 $(WARN) -D_GNU_SOURCE -fsanitize=fuzzer $(FUZZ_SAN) $(PKG_CFLAGS)
$(BUILD)/fuzz-%: tests/fuzz/fuzz_%.c $(BUILD)/libicelab.a $(BUILD)/libicelab-agent.a
	$(CLANG) $(FUZZ_FLAGS) -o $@ $^ $(PKG_LIBS)
fuzz: deps
	$(MAKE) --no-print-directory BUILD=build/fuzz CC=$(CLANG) OPT=-O1 \
		SAN="-fsanitize=fuzzer-no-link $(FUZZ_SAN)" $(FUZZ_TARGETS:%=build/fuzz/fuzz-%)
	tests/fuzz/run build/fuzz $(FUZZ_TIME) $(FUZZ_JOBS) $(FUZZ_TARGETS)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/icelab/scenarios
	install -m 0755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	cp -R scenarios/. $(DESTDIR)$(PREFIX)/share/icelab/scenarios/

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
