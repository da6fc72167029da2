# SPDX-License-Identifier: GPL-2.0-or-later
# bench.mk: `make bench` — the cost and scale of vtune against references
# measured in the same run, one table printed and written to bench/results.md
# (bench/run-all; about 15 minutes, needs root for the namespaces; each part
# runs in a network namespace of its own, in rounds, and says at its top what
# it measures and against which reference: agent-cost with read_floor.c, agent-scale with
# connhold.c, hostd-scale with guestsim.c, reaction, crr-vs-wrk, and the
# scenarios tests/integration/test-scenario-*.sh with SCN_ROUNDS=5: impaired,
# with vtune, unimpaired, interleaved).
#   make bench                      everything
#   make bench-tools                the bench programs only
#   BENCH_QUICK=1 make bench        tiny sizes (what the smoke test runs)

BENCH_PROGS := $(B)/bench/sample_cost $(B)/bench/guestsim $(B)/bench/report_cost \
               $(B)/bench/connhold $(B)/bench/journal_cost $(B)/bench/read_floor

.PHONY: bench bench-tools
bench-tools: $(BENCH_PROGS)

# like `make test`, it installs what it needs first (node_exporter, qemu-ga, wrk, valgrind)
bench:
	scripts/install-deps
	$(MAKE) B=$(B) $(PROGS) $(B)/vtune-agent.static $(BENCH_PROGS)
	VTUNE_BUILD=$(abspath $(B)) bench/run-all bench/results.md

$(B)/bench/guestsim: $(call obj,bench/guestsim.c)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,json-c)

$(B)/bench/connhold: $(call obj,bench/connhold.c)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

$(B)/bench/read_floor: $(call obj,bench/read_floor.c)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

$(B)/bench/report_cost: $(call obj,bench/report_cost.c) $(LIBVTUNE)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,json-c) -lm

$(B)/bench/journal_cost: $(call obj,bench/journal_cost.c) $(LIBVTUNE)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(COMMON_PKGS)) -lm

# tests/integration/test-bench-smoke.sh runs the bench programs
integration: $(BENCH_PROGS)

# mk/agent.order, the static agent's link order (bench/agent-order: needs
# valgrind, and perf for its native passes): three passes, each over the
# binary linked with the last one's list.
.PHONY: agent-order
agent-order:
	for i in 1 2 3; do \
	  $(MAKE) B=$(B) $(B)/vtune-agent.static && \
	  bench/agent-order $(B)/vtune-agent.static $(AGENT_ORDER) || exit 1; \
	done
	$(MAKE) B=$(B) $(B)/vtune-agent.static
