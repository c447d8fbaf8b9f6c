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
BINS := $(BUILD)/icelab $(BUILD)/icelab-lite $(BUILD)/icelab-full

.PHONY: all check run bench install clean deps fuzz
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

$(BUILD)/test-unit: $(call obj,$(UNIT_SRCS)) $(BUILD)/libicelab.a $(BUILD)/libicelab-agent.a
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
		$(subst $(BUILD),build/asan,$(BINS)) build/asan/test-unit build/asan/test-ns
	$(MAKE) --no-print-directory BUILD=build/clang CC=$(CLANG) \
		$(subst $(BUILD),build/clang,$(BINS)) build/clang/test-unit build/clang/test-ns \
		build/clang/bench-topo build/clang/bench-agents build/clang/bench-services
	tests/run-tests build/asan

run: deps all
	$(BUILD)/icelab run -j 2 --report $(BUILD)/report scenarios/

bench: deps all $(BUILD)/bench-topo $(BUILD)/bench-agents $(BUILD)/bench-services
	tests/bench/run $(BUILD)

# libFuzzer on the STUN parser, under ASan+UBSan; the corpus lives in the
# tree and grows with what the fuzzer finds.  FUZZ_TIME in seconds.
FUZZ_TIME ?= 600
FUZZ_FLAGS := -std=gnu11 -g -O1 $(WARN) -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
              -fno-sanitize-recover=undefined $(PKG_CFLAGS)
fuzz: deps
	@mkdir -p build/fuzz
	$(CLANG) $(FUZZ_FLAGS) -o build/fuzz/fuzz-stun tests/fuzz/fuzz_stun.c \
		agents/stun.c common/err.c $(PKG_LIBS)
	build/fuzz/fuzz-stun -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
		tests/fuzz/corpus/stun

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/icelab/scenarios
	install -m 0755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	cp -R scenarios/. $(DESTDIR)$(PREFIX)/share/icelab/scenarios/

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
