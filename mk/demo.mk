# SPDX-License-Identifier: GPL-2.0-or-later
# demo.mk: `make demo` — vtune at work end to end on one machine, no
# hypervisor host needed (scripts/demo, docs/demo.md): installs what it needs,
# builds, boots a TCG guest under a private libvirtd with the agent inside,
# impairs the host path (bridge-nf + conntrack rules), lets vtune-hostd with
# the default policies fix it, benchmarks before and after, reverts, cleans up.
#   make demo                       everything (about 3 minutes)
#   VTUNE_KEEP=1 make demo          keep the work folder (logs, journal)

DEMO_PROGS := $(PROGS) $(B)/vtune-agent.static $(B)/vtune-crr-serve.static

.PHONY: demo-tools
demo-tools: $(DEMO_PROGS)

# The bench crr server for the guest image: cli/'s server, static, no libvirt
# (archive members are pulled only as needed: bench_crr*, bench_stats, log).
$(B)/vtune-crr-serve.static: $(call obj,bench/crr_serve.c) $(LIBCLI) $(LIBVTUNE)
	$(CC) -static $(LDFLAGS) -o $@ $^ $(shell $(PKG) --static --libs json-c) -lpthread -lm

# install-deps first (a fresh machine has no compiler yet), then build and run
demo:
	scripts/install-deps
	$(MAKE) B=$(B) demo-tools
	VTUNE_BUILD=$(abspath $(B)) VTUNE_DEMO_PREPARED=1 scripts/demo

# The Xen end-to-end runs alone (real Xen 4.17 dom0 + PV domU under QEMU TCG;
# `make test` runs them with the other e2e tests): test-xen-agent.sh, the
# agent's side against a scripted dom0, and test-xen-e2e.sh, hostd and the
# agent together. See docs/xen.md.
.PHONY: e2e-xen
e2e-xen: all $(B)/vtune-agent.static
	VTUNE_BUILD=$(abspath $(B)) VTUNE_SRC=$(CURDIR) sh tests/e2e/test-xen-agent.sh
	VTUNE_BUILD=$(abspath $(B)) VTUNE_SRC=$(CURDIR) sh tests/e2e/test-xen-e2e.sh
