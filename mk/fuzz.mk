# SPDX-License-Identifier: GPL-2.0-or-later
# fuzz.mk: libFuzzer runs of the wire codec, policy loader, kernel-file
# parsers and domain XML reader (clang), longer than the short run
# `make test` does.
FUZZ_SECONDS ?= 300

fuzz:
	scripts/install-deps
	tests/fuzz/run $(FUZZ_SECONDS)
