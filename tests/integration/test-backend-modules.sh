#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# test-backend-modules: the hypervisor backends are modules loaded on demand
# (backend/backend_mod.h): vtune-hostd, vtune and vtune-agent link neither
# libvirt, libxml2 nor a Xen library; backend-kvm.so links no Xen library and
# backend-xen.so no libvirt; the kvm module loads and finds libvirt's test
# guest (test:///default, no daemon); the sim backend reads a domain XML
# with the kvm module's reader, and says why it cannot without the module;
# a missing module is an error naming its package (-n too); a module
# writable by others, or of another ABI, is refused.
# timeout: 60
set -u
B=${VTUNE_BUILD:-$PWD/build}
SRC=${VTUNE_SRC:-$PWD}
H=$B/vtune-hostd
[ -x "$H" ] && [ -f "$B/backends/backend-kvm.so" ] || { echo "FAIL: build first (make)"; exit 1; }
TMP=$(mktemp -d) || exit 1
trap 'rm -rf "$TMP"' EXIT
fail=0
ok()  { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
P="--policy $SRC/policies/default.yaml --journal $TMP/j --control $TMP/c.sock --metrics off --no-privsep"

links() { ldd "$1" | grep -Eo "$2" | sort -u | tr '\n' ' '; }
for p in vtune-hostd vtune vtune-agent; do
	l=$(links "$B/$p" 'lib(virt|xml2|xen)[a-z]*')
	[ -z "$l" ] && ok "$p links neither libvirt, libxml2 nor Xen" || bad "$p links $l"
done
l=$(links "$B/backends/backend-kvm.so" 'libxen[a-z]*')
[ -z "$l" ] && ok "backend-kvm.so links no Xen library" || bad "backend-kvm.so links $l"
l=$(links "$B/backends/backend-xen.so" 'libvirt')
[ -z "$l" ] && ok "backend-xen.so links no libvirt" || bad "backend-xen.so links $l"
nm -D --defined-only "$B/backends/backend-kvm.so" | awk '$2 != "A" { print $3 }' > "$TMP/syms"
[ "$(cat "$TMP/syms")" = vtune_backend_kvm ] && ok "backend-kvm.so exports its table only" ||
	bad "backend-kvm.so exports: $(tr '\n' ' ' < "$TMP/syms")"

# the kvm module at work: libvirt's test driver has one guest, "test"
# shellcheck disable=SC2086
timeout 10 "$H" --backend kvm --uri test:///default $P -v > "$TMP/kvm.log" 2>&1 &
hp=$!
for _ in $(seq 50); do grep -qs 'guest test: found' "$TMP/kvm.log" && break; sleep 0.1; done
kill "$hp" 2>/dev/null; wait "$hp" 2>/dev/null
grep -q "backend kvm: loaded $B/backends/backend-kvm.so" "$TMP/kvm.log" && grep -q 'guest test: found' "$TMP/kvm.log" &&
	ok "the kvm module loads and lists libvirt's test guest" || bad "kvm module: $(tail -3 "$TMP/kvm.log")"

# the sim backend's NAME.xml: read by the kvm module (no warning), or not
# at all without it (a warning that says why)
mkdir "$TMP/sim" "$TMP/none"
cp "$SRC/tests/fixtures/libvirt/nova-instance.xml" "$TMP/sim/g1.xml"
python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1); time.sleep(30)' "$TMP/sim/g1.sock" &
sp=$!
for _ in $(seq 50); do [ -S "$TMP/sim/g1.sock" ] && break; sleep 0.1; done
for dir in "" "$TMP/none"; do
	rm -f "$TMP/sim.log" # not the previous run's "found"
	# shellcheck disable=SC2086
	VTUNE_BACKEND_DIR=$dir timeout 10 "$H" --backend sim --uri "$TMP/sim" $P -v > "$TMP/sim.log" 2>&1 &
	hp=$!
	for _ in $(seq 50); do grep -qs 'guest g1: found' "$TMP/sim.log" && break; sleep 0.1; done
	kill "$hp" 2>/dev/null; wait "$hp" 2>/dev/null
	w=$(grep 'labels not read' "$TMP/sim.log")
	if [ -z "$dir" ]; then
		[ -z "$w" ] && grep -q 'guest g1: found' "$TMP/sim.log" &&
			ok "sim: NAME.xml read through the kvm module" || bad "sim with the module: $(tail -3 "$TMP/sim.log")"
	else
		echo "$w" | grep -q 'g1.xml: labels not read: No such file' &&
			ok "sim without the kvm module: labels not read, says so" || bad "sim without the module: $(tail -3 "$TMP/sim.log")"
	fi
done
kill "$sp" 2>/dev/null; wait "$sp" 2>/dev/null

# missing: an error that names the package, at start and with -n
# shellcheck disable=SC2086
out=$(VTUNE_BACKEND_DIR=$TMP/none timeout 10 "$H" --backend xen $P 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q 'the xen backend is not installed.*apt install vtune-hostd-xen' &&
	ok "missing module: exit 1, names vtune-hostd-xen" || bad "missing module: rc $rc: $out"
out=$(VTUNE_BACKEND_DIR=$TMP/none "$H" -n --backend kvm --policy "$SRC/policies/default.yaml" 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q 'vtune-hostd-kvm' && ok "-n: missing module is an error" ||
	bad "-n with no module: rc $rc: $out"
"$H" -n --backend kvm --policy "$SRC/policies/default.yaml" > /dev/null 2>&1 && ok "-n: module there" ||
	bad "-n --backend kvm with the module"

# the policy check knows each backend's pin modes without its module (a
# KVM host checks the default policy's Xen rule too)
out=$(VTUNE_BACKEND_DIR=$TMP/none "$B/vtune" policy check "$SRC/policies/default.yaml" 2>&1) &&
	ok "policy check without any module" || bad "policy check without modules: $out"

# refused: writable by others; not a vtune module of this version
mkdir "$TMP/w"
cp "$B/backends/backend-kvm.so" "$TMP/w/"
chmod 0666 "$TMP/w/backend-kvm.so"
# shellcheck disable=SC2086
out=$(VTUNE_BACKEND_DIR=$TMP/w timeout 10 "$H" --backend kvm --uri test:///default $P 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q 'writable by others' && ok "a module writable by others is refused" ||
	bad "writable module: rc $rc: $out"
mkdir "$TMP/x"
cp "$B/backends/backend-xen.so" "$TMP/x/backend-kvm.so" # exports vtune_backend_xen, not _kvm
# shellcheck disable=SC2086
out=$(VTUNE_BACKEND_DIR=$TMP/x timeout 10 "$H" --backend kvm --uri test:///default $P 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q 'not a vtune .* backend of ABI' && ok "a foreign module is refused" ||
	bad "foreign module: rc $rc: $out"

[ $fail = 0 ] && echo "test-backend-modules: all good"
exit $fail
