# SPDX-License-Identifier: GPL-2.0-or-later
# testtools.mk: small programs the integration and end-to-end tests run
# (tests/tools/): holdsrv, a server that holds connections under an
# open-file limit of its own; the static one goes into guest images.

TEST_TOOLS := $(B)/tests/tools/holdsrv

.PHONY: test-tools
test-tools: $(TEST_TOOLS) $(B)/tests/tools/holdsrv.static

$(B)/tests/tools/holdsrv: tests/tools/holdsrv.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $<

$(B)/tests/tools/holdsrv.static: tests/tools/holdsrv.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -static -o $@ $<

integration: $(TEST_TOOLS)
e2e: $(B)/tests/tools/holdsrv.static
