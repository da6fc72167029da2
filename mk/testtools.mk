# SPDX-License-Identifier: GPL-2.0-or-later
# testtools.mk: small programs the integration and end-to-end tests run
# (tests/tools/): holdsrv, a server that holds connections under an
# open-file limit of its own; the static one goes into guest images. And the
# test builds of vtune-hostd and vtune-agent in $(B)/tests/fault/: the same
# objects as the programs plus tests/tools/journal_fault.c, the VTUNE_FAULT
# hook that SIGKILLs them at a journal step. Only tests run those; `make
# install`, `make programs` and the Debian packages take $(B)/vtune-hostd
# and $(B)/vtune-agent, which have no such hook
# (tests/integration/test-install.sh checks).

TEST_TOOLS := $(B)/tests/tools/holdsrv

.PHONY: test-tools
test-tools: $(TEST_TOOLS) $(B)/tests/tools/holdsrv.static

$(B)/tests/tools/holdsrv: tests/tools/holdsrv.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $<

$(B)/tests/tools/holdsrv.static: tests/tools/holdsrv.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -static -o $@ $<

FAULT_OBJ   := $(call obj,tests/tools/journal_fault.c)
FAULT_PROGS := $(B)/tests/fault/vtune-hostd $(B)/tests/fault/vtune-agent
all: $(FAULT_PROGS)

# The recipes of $(B)/vtune-agent and $(B)/vtune-hostd (Makefile), with the hook.
$(B)/tests/fault/vtune-agent: $(call obj,agent/main.c agent/xs_dl.c) $(FAULT_OBJ) $(LIBAGENT) $(LIBVTUNE)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(CORE_PKGS)) -ldl -lm
$(B)/tests/fault/vtune-hostd: $(call obj,hostd/main.c hostd/backend_mod.c) $(FAULT_OBJ) $(LIBHOSTD) $(LIBVTUNE)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -rdynamic -o $@ $(filter %.o,$^) $(call WHOLE,$(LIBHOSTD) $(LIBVTUNE)) \
	  $(call pc_libs,$(HOSTD_PKGS)) -ldl -lm

integration: $(TEST_TOOLS) $(FAULT_PROGS)
e2e: $(B)/tests/tools/holdsrv.static
