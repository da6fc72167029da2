# SPDX-License-Identifier: GPL-2.0-or-later
# vtune: build, test, benchmark, install. Plain GNU make + pkg-config.
# `make test` is what CI and a new developer run; `make demo` is the main job.

B        ?= build
CC       ?= gcc
PKG      ?= pkg-config
PREFIX   ?= /usr/local
DESTDIR  ?=
VERSION  := 0.1.0

# What each program links: the agent has the xenstore transport; vtune-hostd
# and vtune link neither libvirt, libxml2 nor Xen's libraries: those are in
# the backend modules backend-kvm.so and backend-xen.so, loaded on demand
# (backend/backend_mod.h). The unit tests link everything.
CORE_PKGS   := libnl-3.0 libnl-genl-3.0 libnl-route-3.0 yaml-0.1 json-c \
               libseccomp libcap-ng
COMMON_PKGS := $(CORE_PKGS) xenstore
KVM_PKGS    := libvirt libxml-2.0
XEN_PKGS    := xencontrol xenstore xenlight
HOST_PKGS   := $(COMMON_PKGS) libvirt libxml-2.0 xencontrol xenlight libmicrohttpd
CLI_PKGS    := libcurl
# vtune-hostd's own (and so vtune's, which links hostd's archive): the
# metrics endpoint's HTTP (hostd/metrics_serve.c)
HOSTD_PKGS  := $(CORE_PKGS) libmicrohttpd
LIBDIR      ?= $(PREFIX)/lib
BACKENDDIR  ?= $(LIBDIR)/vtune/backends

WARN     := -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wformat=2 -Werror
CFLAGS   ?= -O2 -g
SYSCONFDIR ?= /etc
STATEDIR   ?= /var/lib
CPPFLAGS += -D_GNU_SOURCE -DVTUNE_VERSION='"$(VERSION)"' \
            -DVTUNE_POLICY_DEFAULT='"$(SYSCONFDIR)/vtune/policies.yaml"' \
            -DVTUNE_JOURNAL_DEFAULT='"$(STATEDIR)/vtune/journal"' \
            -DVTUNE_BACKEND_DIR_DEFAULT='"$(BACKENDDIR)"'

# Layers. Each folder is a layer that sees its own headers and those of the
# folders listed for it, and no others: a source is compiled with -I for
# those folders alone, so an #include "..." that points elsewhere (upward,
# or into a backend) does not compile. The arrows:
#   lib/             the base (kfs, parsing, logging, clock, the event loop,
#                    wire codec, journal, knob kinds ...): itself only
#   policies/        lib/; the action table the loader and the engine call
#                    is declared here (act_table.h), actions/ fills its rows
#   hostnet/         lib/; the host's network path, SR-IOV and PCI sysfs
#   actions/         lib/ policies/ hostnet/: the executors
#   backend/         lib/; the backend contract (backend.h, backend_mod.h)
#   kvm/ xen/ sim/   lib/ hostnet/ backend/: a backend sees no program,
#                    no policy, no action and no other backend
#   agent/           lib/ policies/ actions/
#   hostd/           lib/ policies/ actions/ hostnet/ backend/: the backends
#                    only through the contract (they are modules, backend_mod.c)
#   cli/             what hostd/ sees, and hostd/
#   tests/ bench/    everything (the unit tests link the backends directly)
# tests/integration/test-layers.sh checks the rule on a build's dependency
# files and that an upward include fails.
LAYERS        := lib policies hostnet actions backend kvm xen sim agent hostd cli
SEES_lib      := lib
SEES_policies := policies lib
SEES_hostnet  := hostnet lib
SEES_actions  := actions lib policies hostnet
SEES_backend  := backend lib
SEES_kvm      := kvm lib hostnet backend
SEES_xen      := xen lib hostnet backend
SEES_sim      := sim lib hostnet backend
SEES_agent    := agent lib policies actions
SEES_hostd    := hostd lib policies actions hostnet backend
SEES_cli      := cli hostd lib policies actions hostnet backend
SEES_tests    := $(LAYERS)
SEES_bench    := $(LAYERS)
# -I flags of source $(1)'s layer (its top folder); a folder with no layer
# stops the build.
layer_inc = $(addprefix -I,$(or $(SEES_$(firstword $(subst /, ,$(1)))),\
              $(error $(1): its folder is no layer (Makefile: SEES_...))))

ifeq ($(SAN),1)
CFLAGS   += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS  += -fsanitize=address,undefined
endif

pc_cflags = $(shell $(PKG) --cflags $(1) 2>/dev/null)
pc_libs   = $(shell $(PKG) --libs $(1) 2>/dev/null)

# The packages whose headers (pkg-config --cflags) each layer is compiled
# with: those it uses and no others. The agent and what it links (lib/,
# policies/, actions/, hostnet/) see neither libvirt, libxml2 nor Xen's
# libraries; a backend its own; the tests and benchmarks everything.
# PKGS_<source> adds to one source's (the agent's xenstore transport).
PKGS_lib      := $(CORE_PKGS)
PKGS_policies := $(CORE_PKGS)
PKGS_hostnet  := $(CORE_PKGS)
PKGS_actions  := $(CORE_PKGS)
PKGS_backend  := $(CORE_PKGS)
PKGS_kvm      := $(CORE_PKGS) $(KVM_PKGS)
PKGS_xen      := $(CORE_PKGS) $(XEN_PKGS)
PKGS_sim      := $(CORE_PKGS)
PKGS_agent    := $(CORE_PKGS)
PKGS_agent/xs.c    := xenstore
PKGS_agent/xs_dl.c := xenstore
PKGS_hostd    := $(HOSTD_PKGS)
PKGS_cli      := $(CORE_PKGS) $(CLI_PKGS)
PKGS_tests    := $(HOST_PKGS) $(CLI_PKGS) cmocka
PKGS_bench    := $(PKGS_tests)
# pkg-config runs once per layer, not once per source.
$(foreach l,$(LAYERS) tests bench,$(eval PC_CFLAGS_$(l) := $(call pc_cflags,$(PKGS_$(l)))))
# The compiler flags of source $(1) (after CPPFLAGS and its layer's -I).
# Each function and object in a section of its own, so that the static
# agent's link drops what it never calls (--gc-sections below).
src_cflags = $(WARN) $(CFLAGS) -ffunction-sections -fdata-sections $(PC_CFLAGS_$(firstword $(subst /, ,$(1)))) \
             $(if $(PKGS_$(1)),$(call pc_cflags,$(PKGS_$(1))))

# Sources: every .c in a folder is built; main.c is each program's entry.
LIB_SRC   := $(wildcard lib/*.c policies/*.c actions/*.c hostnet/*.c)
AGENT_SRC := $(filter-out agent/main.c agent/xs_dl.c,$(wildcard agent/*.c))
KVM_MOD_SRC := kvm/kvm.c kvm/kvm_event.c kvm/kvm_filters.c kvm/kvm_module.c kvm/kvm_hostdev.c \
               kvm/kvm_sriov.c kvm/kvm_xml.c
XEN_MOD_SRC := xen/xen.c xen/xen_module.c xen/xen_bridge.c xen/xen_sriov.c
BK_SRC    := $(KVM_MOD_SRC) $(XEN_MOD_SRC)
HOSTD_SRC := $(filter-out hostd/main.c hostd/backend_mod.c $(BK_SRC),\
                          $(wildcard hostd/*.c sim/*.c kvm/*.c xen/*.c))
CLI_SRC   := $(filter-out cli/main.c,$(wildcard cli/*.c))
TEST_SRC  := $(wildcard tests/unit/test_*.c)
TEST_HELP := $(filter-out $(TEST_SRC),$(wildcard tests/unit/*.c))

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))

LIBVTUNE := $(B)/libvtune.a
LIBAGENT := $(B)/libagent.a
LIBHOSTD := $(B)/libhostd.a
LIBCLI   := $(B)/libcli.a
LIBBK    := $(B)/libbackends.a
MODULES  := $(B)/backends/backend-kvm.so $(B)/backends/backend-xen.so
PROGS    := $(B)/vtune-agent $(B)/vtune-hostd $(B)/vtune $(MODULES)
TESTS    := $(patsubst tests/unit/%.c,$(B)/tests/%,$(TEST_SRC))

.PHONY: all deps test unit unit-asan integration e2e bench demo fuzz clean install
all: $(PROGS) $(TESTS)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CPPFLAGS) $(call layer_inc,$<) $(call src_cflags,$<) -MMD -MP -c -o $@ $<

# Objects of the backend modules: position-independent.
$(B)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC -fPIC $<"
	@$(CC) $(CPPFLAGS) $(call layer_inc,$<) $(call src_cflags,$<) -fPIC -MMD -MP -c -o $@ $<

# For tests/integration/test-layers.sh: each layer and what it sees, and
# the compiler flags of a source F (make -s print-cflags F=lib/x.c).
.PHONY: layers print-cflags
layers:
	@$(foreach l,$(LAYERS),echo '$(l): $(SEES_$(l))';)
print-cflags:
	@: $(info $(CPPFLAGS) $(call layer_inc,$(F)) $(call src_cflags,$(F)))

$(LIBVTUNE): $(call obj,$(LIB_SRC))
$(LIBAGENT): $(call obj,$(AGENT_SRC))
$(LIBHOSTD): $(call obj,$(HOSTD_SRC))
$(LIBCLI):   $(call obj,$(CLI_SRC))
$(LIBBK):    $(call obj,$(BK_SRC))
# The Makefile is a prerequisite too: a source moved to another archive
# must leave the old one (no stale objects in an archive).
$(B)/lib%.a: Makefile
	@mkdir -p $(dir $@)
	@rm -f $@ && ar rcs $@ $(filter %.o,$^)

# The agent's view of the action table: actions/action.c built with
# ACT_GUEST_VIEW (the rows of the actions only vtune-hostd carries out have
# no executor or knob kinds there), linked before libvtune.a so that the
# agents take it instead of the full table's object.
AGENT_VIEW := $(B)/obj/agent-view/actions/action.o
$(AGENT_VIEW): actions/action.c
	@mkdir -p $(dir $@)
	@echo "  CC      $< (agent view)"
	@$(CC) $(CPPFLAGS) -DACT_GUEST_VIEW $(call layer_inc,$<) $(call src_cflags,$<) -MMD -MP -c -o $@ $<

# libxenstore is loaded by the xenstore transport when used (agent/xs_dl.c):
# a KVM guest's agent needs no Xen library. The static agent links it.
$(B)/vtune-agent: $(call obj,agent/main.c agent/xs_dl.c) $(AGENT_VIEW) $(LIBAGENT) $(LIBVTUNE)
	$(CC) -Wl,--gc-sections $(LDFLAGS) -o $@ $^ $(call pc_libs,$(CORE_PKGS)) -ldl -lm
# The programs that load backend modules export every symbol of the
# libraries the modules use (-rdynamic, whole archives).
WHOLE = -Wl,--whole-archive $(1) -Wl,--no-whole-archive
$(B)/vtune-hostd: $(call obj,hostd/main.c hostd/backend_mod.c) $(LIBHOSTD) $(LIBVTUNE)
	$(CC) $(LDFLAGS) -rdynamic -o $@ $(filter %.o,$^) $(call WHOLE,$(LIBHOSTD) $(LIBVTUNE)) \
	  $(call pc_libs,$(HOSTD_PKGS)) -ldl -lm
$(B)/vtune: $(call obj,cli/main.c hostd/backend_mod.c) $(LIBCLI) $(LIBHOSTD) $(LIBVTUNE)
	$(CC) $(LDFLAGS) -rdynamic -o $@ $(filter %.o,$^) $(LIBCLI) \
	  $(call WHOLE,$(LIBHOSTD) $(LIBVTUNE)) $(call pc_libs,$(HOSTD_PKGS) $(CLI_PKGS)) -ldl -lpthread -lm

# The programs look for the modules in BACKENDDIR (from PREFIX): rebuilt
# when it changes, so `make install PREFIX=/usr` after `make` is right.
.PHONY: FORCE
$(B)/config.backenddir: FORCE
	@mkdir -p $(B)
	@echo '$(BACKENDDIR)' | cmp -s - $@ || echo '$(BACKENDDIR)' > $@
$(B)/obj/hostd/backend_mod.o: $(B)/config.backenddir

# The backend modules: their own libraries, the rest from the program.
$(B)/backends/backend-kvm.so: $(patsubst %.c,$(B)/pic/%.o,$(KVM_MOD_SRC)) mk/backend.map
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -shared -Wl,--version-script=mk/backend.map -o $@ $(filter %.o,$^) \
	  $(call pc_libs,$(KVM_PKGS))
$(B)/backends/backend-xen.so: $(patsubst %.c,$(B)/pic/%.o,$(XEN_MOD_SRC)) mk/backend.map
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -shared -Wl,--version-script=mk/backend.map -o $@ $(filter %.o,$^) \
	  $(call pc_libs,$(XEN_PKGS))

# A static agent for guest images (busybox initramfs, cloud images).
# Linked by lld with what runs first (mk/agent.order, bench/agent-order):
# the kernel maps 64 KiB around each page fault of the binary, so without
# the order about the whole binary is resident; with it, mostly what runs.
AGENT_ORDER := mk/agent.order
$(B)/vtune-agent.static: $(call obj,agent/main.c) $(AGENT_VIEW) $(LIBAGENT) $(LIBVTUNE) $(AGENT_ORDER)
	$(CC) -static -fuse-ld=lld -Wl,--gc-sections -Wl,--symbol-ordering-file=$(AGENT_ORDER) \
	  -Wl,--no-warn-symbol-ordering $(LDFLAGS) -o $@ $(filter-out $(AGENT_ORDER),$^) \
	  $(shell $(PKG) --static --libs $(COMMON_PKGS)) -lm

$(B)/tests/%: $(B)/obj/tests/unit/%.o $(call obj,$(TEST_HELP)) $(LIBCLI) $(LIBAGENT) $(LIBHOSTD) $(LIBBK) $(LIBVTUNE)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) -Wl,--start-group $(filter %.a,$^) -Wl,--end-group \
	  $(call pc_libs,$(HOST_PKGS) $(CLI_PKGS) cmocka) -lpthread -lm

-include $(shell find $(B)/obj $(B)/pic -name '*.d' 2>/dev/null)

# Further targets (install, packages, fuzzing, benchmarks) live in mk/*.mk.
include $(wildcard mk/*.mk)

deps:
	scripts/install-deps

# The one command README gives for tests: installs, builds, runs everything.
# Every suite runs even when an earlier one failed; the summary decides.
test:
	scripts/install-deps
	$(MAKE) all
	rm -rf $(B)/results
	-$(MAKE) unit
	-$(MAKE) unit-asan
	-$(MAKE) integration
	-$(MAKE) e2e
	@tests/summary $(B)/results

unit: all
	tests/run-unit $(B) $(B)/results/unit

unit-asan:
	$(MAKE) B=$(B)/asan SAN=1 all
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
	  tests/run-unit $(B)/asan $(B)/results/unit-asan

integration: all bench-tools
	tests/run-suite integration $(B) $(B)/results/integration

e2e: all $(B)/vtune-agent.static
	tests/run-suite e2e $(B) $(B)/results/e2e

# demo: mk/demo.mk (scripts/demo).

clean:
	rm -rf $(B)

$(B)/bench/sample_cost: $(call obj,bench/sample_cost.c) $(LIBVTUNE)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(COMMON_PKGS)) -lm
