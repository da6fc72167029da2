#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# test-install: `make install` into a DESTDIR puts every file where it belongs
# (binaries, man pages, units with their placeholders filled in, the policy,
# completion, state dir 0700), never overwrites an administrator's policy,
# and `make uninstall` removes what it installed. The installed programs have
# no VTUNE_FAULT test hook.
# timeout: 120
set -u
B=${VTUNE_BUILD:-$(pwd)/build}
SRC=${VTUNE_SRC:-$(pwd)}
cd "$SRC" || exit 1
tmp=$(mktemp -d /tmp/vtune-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
mk() { make -s --no-print-directory B="$B" "$@" > "$tmp/make.log" 2>&1 || { cat "$tmp/make.log"; bad "make $*"; }; }

# 1. PREFIX=/usr, as the Debian package does it
d=$tmp/usr-root
mk install PREFIX=/usr DESTDIR="$d"
for f in usr/bin/vtune usr/bin/vtune-agent usr/sbin/vtune-hostd; do
	[ -x "$d/$f" ] || bad "$f missing or not executable"
done
"$d/usr/bin/vtune-agent" --version | grep -q '^vtune-agent ' || bad "installed vtune-agent does not run"
# no fault injection in what is shipped: VTUNE_FAULT (tests/tools/journal_fault.c)
# is only in the test builds, which must have it (else this check proves nothing)
mk "$B/tests/fault/vtune-hostd" "$B/tests/fault/vtune-agent"
for f in "$B/tests/fault/vtune-hostd" "$B/tests/fault/vtune-agent"; do
	grep -aq VTUNE_FAULT "$f" || bad "test build $f has no VTUNE_FAULT hook"
done
for f in usr/bin/vtune usr/bin/vtune-agent usr/sbin/vtune-hostd usr/lib/vtune/backends/backend-kvm.so \
	 usr/lib/vtune/backends/backend-xen.so; do
	[ -f "$d/$f" ] || { bad "$f missing"; continue; }
	! grep -aq VTUNE_FAULT "$d/$f" || bad "installed $f has the VTUNE_FAULT test hook"
done
for f in usr/share/man/man5/vtune-policies.5 usr/share/man/man8/vtune.8 \
	 usr/share/man/man8/vtune-agent.8 usr/share/man/man8/vtune-hostd.8 \
	 usr/share/bash-completion/completions/vtune \
	 usr/share/vtune/policies/default.yaml usr/share/vtune/contrib/libvirt-hook-qemu \
	 usr/share/vtune/contrib/vtune-agent.yaml etc/vtune/policies.yaml; do
	[ -f "$d/$f" ] || bad "$f missing"
done
for l in vtune-agent vtune-hostd; do
	[ "$(readlink "$d/usr/share/bash-completion/completions/$l")" = vtune ] || bad "completion link $l"
done
cmp -s "$d/etc/vtune/policies.yaml" policies/default.yaml || bad "etc/vtune/policies.yaml is not the default"
[ "$(stat -c %a "$d/var/lib/vtune")" = 700 ] || bad "var/lib/vtune is not 0700"
for u in vtune-hostd vtune-agent vtune-agent-once; do
	f=$d/lib/systemd/system/$u.service
	[ -f "$f" ] || { bad "lib/systemd/system/$u.service missing"; continue; }
	! grep -n '@[A-Z_]*@' "$f" || bad "$u.service: placeholder left"
done
grep -qx 'ExecStart=/usr/sbin/vtune-hostd $VTUNE_HOSTD_OPTS' "$d/lib/systemd/system/vtune-hostd.service" ||
	bad "vtune-hostd.service ExecStart"
grep -qx 'ExecStart=/usr/bin/vtune-agent once' "$d/lib/systemd/system/vtune-agent-once.service" ||
	bad "vtune-agent-once.service ExecStart"
grep -qx 'ConditionPathExists=/etc/vtune/policies.yaml' "$d/lib/systemd/system/vtune-agent-once.service" ||
	bad "vtune-agent-once.service: policy condition"
if command -v systemd-analyze >/dev/null 2>&1; then
	# verify against the installed binaries: rewrite their paths into DESTDIR
	mkdir -p "$tmp/units"
	for u in "$d"/lib/systemd/system/*.service; do
		sed "s|=/usr/|=$d/usr/|" "$u" > "$tmp/units/$(basename "$u")"
	done
	out=$(systemd-analyze verify --man=no "$tmp"/units/*.service 2>&1) || true
	[ -z "$out" ] || bad "systemd-analyze verify: $out"
fi

# 2. an administrator's policy survives install and uninstall
echo "# mine" >> "$d/etc/vtune/policies.yaml"
mk install PREFIX=/usr DESTDIR="$d"
grep -q '^# mine' "$d/etc/vtune/policies.yaml" || bad "install overwrote the administrator's policy"

# 3. uninstall removes everything but that policy and the state dir's journals
touch "$d/var/lib/vtune/journal"
mk uninstall PREFIX=/usr DESTDIR="$d"
left=$(cd "$d" && find . ! -type d | sort)
[ "$left" = "$(printf './etc/vtune/policies.yaml\n./var/lib/vtune/journal')" ] ||
	bad "left after uninstall: $left"
rm -f "$d/etc/vtune/policies.yaml" "$d/var/lib/vtune/journal"
mk install PREFIX=/usr DESTDIR="$d"
mk uninstall PREFIX=/usr DESTDIR="$d"
left=$(cd "$d" && find . ! -type d | sort)
[ -z "$left" ] || bad "left after a clean install + uninstall: $left"
[ ! -e "$d/etc/vtune" ] && [ ! -e "$d/var/lib/vtune" ] && [ ! -e "$d/usr/share/vtune" ] ||
	bad "directories left: $(cd "$d" && find etc/vtune var/lib/vtune usr/share/vtune 2>/dev/null)"

# 4. the default PREFIX=/usr/local: units under it, pointing into it
d=$tmp/local-root
mk install DESTDIR="$d"
[ -x "$d/usr/local/sbin/vtune-hostd" ] || bad "/usr/local/sbin/vtune-hostd missing"
grep -q '^ExecStart=/usr/local/bin/vtune-agent run ' "$d/usr/local/lib/systemd/system/vtune-agent.service" ||
	bad "PREFIX=/usr/local: vtune-agent.service ExecStart"
[ -f "$d/etc/vtune/policies.yaml" ] || bad "PREFIX=/usr/local: /etc/vtune/policies.yaml missing"
mk uninstall DESTDIR="$d"
left=$(cd "$d" && find . ! -type d | sort)
[ -z "$left" ] || bad "PREFIX=/usr/local: left after uninstall: $left"

[ $fail = 0 ] && echo "install/uninstall: all good"
exit $fail
