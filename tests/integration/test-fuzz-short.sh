#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 420
# The fuzz targets of tests/fuzz/ (wire framing and codec, policy loader,
# /proc parsers, sock_diag parser, privops messages, the journal loader,
# the control protocol, the libvirt domain XML reader, the metrics
# endpoint), built with clang
# and ASan/UBSan and run 15 s each
# on their seed corpus: any crash or sanitizer report fails.
# Skipped when clang or its libFuzzer runtime (libclang-rt-dev) is missing.
set -u
S=${VTUNE_SRC:-$PWD}
CC=${FUZZ_CC:-clang}
command -v "$CC" > /dev/null 2>&1 || { echo "SKIP: no $CC"; exit 77; }
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT INT TERM
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' > "$t/probe.c"
"$CC" -fsanitize=fuzzer,address,undefined -o "$t/probe" "$t/probe.c" > "$t/log" 2>&1 ||
	{ echo "SKIP: $CC cannot link -fsanitize=fuzzer (libclang-rt-dev missing?)"; cat "$t/log"; exit 77; }
FUZZ_CC=$CC sh "$S/tests/fuzz/run" "${FUZZ_SECONDS:-15}"
