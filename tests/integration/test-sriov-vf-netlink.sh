#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# test-sriov-vf-netlink: the "sriov-vf" kind's rtnetlink requests against the real kernel,
# in a network namespace this test makes (unshare -n) with a veth "vta": RTM_GETLINK with
# RTEXT_FILTER_VF parses (a veth has no VFs: -ENOENT), an unknown interface is the kernel's
# ENODEV, and each IFLA_VF_* change (MAC, VLAN, spoofchk, trust, link state) reaches the
# driver, which answers EOPNOTSUPP (EINVAL would mean a malformed request). No SR-IOV NIC
# or netdevsim here: the VF values themselves are tested on recorded answers (test_hostnet_vf).
# timeout: 60
set -u
B=${VTUNE_BUILD:-$PWD/build}
[ -x "$B/tests/test_hostnet_vf" ] || { echo "FAIL: build first (make all)"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespace)"; exit 77; }
unshare -n true 2>/dev/null || { echo "SKIP: cannot make a network namespace"; exit 77; }
out=$(unshare -n sh -c '
	ip link set lo up && ip link add vta type veth peer name vtb && ip link set vta up || exit 3
	VTUNE_LIVE_VF_IF=vta "$0"' "$B/tests/test_hostnet_vf" 2>&1)
rc=$?
echo "$out" | grep -E '^live:|test_live|PASSED|FAILED'
[ $rc = 0 ] && echo "$out" | grep -q 'OK \] test_live' && [ "$(echo "$out" | grep -c '^live: .*Operation not supported')" = 5 ] ||
	{ echo "$out" | tail -20; echo "FAIL: rc=$rc"; exit 1; }
echo PASS
