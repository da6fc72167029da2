# SPDX-License-Identifier: GPL-2.0-or-later
# sriov.mk: the TEMPORARY SR-IOV test driver (tests/tools/sriov_testdrv.c) that
# tests/e2e/test-sriov-*.sh and tests/integration/test-sriov-crash.sh drive the
# SR-IOV knob kinds and plans with, until `vtune sriov attach/detach` goes
# through vtune-hostd; then the scripts call that and this file goes.

SRIOV_TESTDRV := $(B)/tests/sriov-testdrv

$(SRIOV_TESTDRV): $(call obj,tests/tools/sriov_testdrv.c) $(LIBBK) $(LIBHOSTD) $(LIBVTUNE)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(HOST_PKGS)) -lm

all: $(SRIOV_TESTDRV)
