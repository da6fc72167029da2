#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# test-libvirt-hook: contrib/libvirt-hook/qemu, run the way libvirt runs
# /etc/libvirt/hooks/qemu (`qemu GUEST OPERATION SUB-OPERATION EXTRA`, the
# domain XML on stdin), for guests with and without the org.vtune.agent.0
# channel and for prepare/begin, start/begin, started/begin, stopped/end,
# release/end, operations it does not know and no arguments at all:
#  - it always exits 0 (a failing hook stops the guest from starting);
#  - it writes nothing on stdout (for migrate/restore/save libvirt takes the
#    hook's stdout as the new domain XML);
#  - it warns (daemon.warning) about a guest without the channel at prepare,
#    naming the guest and the port, and not about one with it (nor about one
#    whose XML only mentions the port in its <description>);
#  - started/begin says whether vtune-hostd's control socket is there;
#  - it never runs virsh or any other libvirt client (libvirtd deadlocks);
#  - it consumes all of stdin, even a large XML, and returns in < 1 s;
#  - without logger it says the same on stderr.
# logger and virsh are replaced by recording fakes in PATH.
# timeout: 60
set -u
SRC=${VTUNE_SRC:-$(pwd)}
cd "$SRC" || exit 1
hook=$SRC/contrib/libvirt-hook/qemu
[ -x "$hook" ] || { echo "FAIL: $hook missing or not executable"; exit 1; }
tmp=$(mktemp -d /tmp/vtune-hook.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# static checks: no libvirt client on any line that is not a comment
if grep -v '^[[:space:]]*#' "$hook" | grep -nE '(^|[^a-z_-])(virsh|virt-[a-z]+|virt-admin|libvirt-sock|virtqemud-sock)'; then
	bad "the hook calls back into libvirt (above)"
fi
if command -v shellcheck >/dev/null 2>&1; then
	shellcheck -S warning -s sh "$hook" || bad "shellcheck $hook"
fi

# fakes: logger records "PRIORITY MESSAGE"; every libvirt client records its call
mkdir -p "$tmp/bin" "$tmp/nologger"
cat > "$tmp/bin/logger" <<'SH'
#!/bin/sh
pri= tag=
while [ $# -gt 0 ]; do
	case $1 in
	-t) tag=$2; shift 2 ;;
	-p) pri=$2; shift 2 ;;
	--) shift; break ;;
	*) break ;;
	esac
done
echo "$tag $pri $*" >> "$FAKE_LOG"
SH
for c in virsh virt-admin virt-xml virt-install; do
	printf '#!/bin/sh\necho "%s $*" >> "$FAKE_CALLS"\nsleep 2\n' "$c" > "$tmp/bin/$c"
done
chmod +x "$tmp"/bin/*
# a PATH with the hook's plain tools but no logger
for t in cat sleep; do
	p=$(command -v "$t") && ln -s "$p" "$tmp/nologger/$t"
done
cp "$tmp"/bin/virsh "$tmp/nologger/"

with_chan() { cat <<XML
<domain type='kvm' id='3'>
  <name>$1</name>
  <uuid>6f2c1c2e-0d43-4a5b-9a7e-1c2d3e4f5a6b</uuid>
  <memory unit='KiB'>1048576</memory>
  <vcpu placement='static'>2</vcpu>
  <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type></os>
  <devices>
    <interface type='bridge'>
      <source bridge='br0'/>
      <target dev='vt-$1'/>
      <model type='virtio'/>
    </interface>
    <channel type='unix'>
      <source mode='bind' path='/var/lib/vtune/guests/$1.sock'/>
      <target type='virtio' name='org.vtune.agent.0'/>
    </channel>
    <channel type='unix'>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>
  </devices>
</domain>
XML
}
without_chan() { with_chan "$1" | sed '/vtune\/guests/,+1d; s|<channel type=.unix.>$|&|' | awk '
	/<channel type=.unix.>/ { buf = $0; next }
	buf != "" { if ($0 ~ /org.vtune.agent.0/) { buf = ""; skip = 1; next } print buf; buf = "" }
	skip && /<\/channel>/ { skip = 0; next }
	{ print }'
}
mention_only() { without_chan "$1" | sed "s|<vcpu|<description>todo: add the org.vtune.agent.0 channel</description>\n  &|"; }

with_chan web1 > "$tmp/with.xml"
without_chan web2 > "$tmp/without.xml"
mention_only web3 > "$tmp/mention.xml"
grep -q "org.vtune.agent.0" "$tmp/with.xml" && ! grep -q "org.vtune.agent.0" "$tmp/without.xml" &&
	grep -q "org.qemu.guest_agent.0" "$tmp/without.xml" && grep -q "<description>" "$tmp/mention.xml" ||
	{ echo "FAIL: test fixtures"; cat "$tmp"/*.xml; exit 1; }
# ~1 MB of domain XML (many disks), to see the hook drains a full pipe
{ with_chan big | sed '/<\/devices>/,$d'
  i=0; while [ $i -lt 8000 ]; do
	echo "    <disk type='file' device='disk'><source file='/var/lib/libvirt/images/d$i.qcow2'/><target dev='vd$i' bus='virtio'/></disk>"
	i=$((i + 1)); done
  printf '  </devices>\n</domain>\n'; } > "$tmp/big.xml"

export FAKE_LOG="$tmp/log" FAKE_CALLS="$tmp/calls"
# run PATHDIR XMLFILE ARGS...: the hook as libvirt runs it; sets rc, out, err, log, ms
run() {
	r_dir=$1 r_xml=$2
	shift 2
	: > "$FAKE_LOG"
	t0=$(date +%s%N)
	PATH="$r_dir:$PATH" VTUNE_CONTROL=${CTL:-$tmp/none.sock} "$hook" "$@" < "$r_xml" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	t1=$(date +%s%N)
	ms=$(( (t1 - t0) / 1000000 ))
	out=$(cat "$tmp/out") err=$(cat "$tmp/err") log=$(cat "$FAKE_LOG")
	what="qemu $* < $(basename "$r_xml")"
	[ $rc = 0 ] || bad "$what: exit $rc (a failing hook blocks the guest)"
	[ -z "$out" ] || bad "$what: wrote on stdout (libvirt may take it as domain XML): $out"
	[ "$ms" -lt 1000 ] || bad "$what: took $ms ms"
}
run_nologger() { # like run, with no logger in PATH (and the system's dirs out of it)
	r_xml=$1
	shift
	t0=$(date +%s%N)
	PATH="$tmp/nologger" VTUNE_CONTROL="$tmp/none.sock" /bin/sh "$hook" "$@" < "$r_xml" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	t1=$(date +%s%N)
	ms=$(( (t1 - t0) / 1000000 ))
	out=$(cat "$tmp/out") err=$(cat "$tmp/err")
	what="qemu $* < $(basename "$r_xml") (no logger)"
	[ $rc = 0 ] || bad "$what: exit $rc"
	[ -z "$out" ] || bad "$what: wrote on stdout: $out"
	[ "$ms" -lt 1000 ] || bad "$what: took $ms ms"
}

# every operation libvirt has (and one it may grow), each guest
for fx in with without mention big; do
	g=$(sed -n 's|.*<name>\(.*\)</name>.*|\1|p' "$tmp/$fx.xml")
	for ops in "prepare begin" "start begin" "started begin" "stopped end" "release end" \
		   "migrate begin" "restore begin" "reconnect begin" "attach begin" "frobnicate now"; do
		# shellcheck disable=SC2086
		run "$tmp/bin" "$tmp/$fx.xml" "$g" $ops -
	done
done

# the warning, at prepare/begin
run "$tmp/bin" "$tmp/without.xml" web2 prepare begin -
echo "$log" | grep -q '^vtune-libvirt-hook daemon.warning .*web2.*org\.vtune\.agent\.0' ||
	bad "prepare/begin of a guest without the channel: no daemon.warning naming it and the port (log: $log)"
run "$tmp/bin" "$tmp/mention.xml" web3 prepare begin -
echo "$log" | grep -q 'daemon.warning .*web3' ||
	bad "prepare/begin: a <description> naming the port hid the missing channel (log: $log)"
run "$tmp/bin" "$tmp/with.xml" web1 prepare begin -
[ -z "$log" ] || bad "prepare/begin of a guest with the channel: said '$log'"
run "$tmp/bin" "$tmp/big.xml" big prepare begin -
[ -z "$log" ] || bad "prepare/begin of the large guest with the channel: said '$log'"
for ops in "start begin" "release end" "frobnicate now"; do
	# shellcheck disable=SC2086
	run "$tmp/bin" "$tmp/without.xml" web2 $ops -
	[ -z "$log" ] || bad "$ops: said '$log' (warn once, at prepare)"
done

# started: is vtune-hostd there?
run "$tmp/bin" "$tmp/with.xml" web1 started begin -
echo "$log" | grep -q 'daemon.info .*web1.*not running' || bad "started/begin without hostd: $log"
py=$(command -v python3 || true)
if [ -n "$py" ]; then
	CTL=$tmp/hostd.sock
	"$py" -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$CTL"
	run "$tmp/bin" "$tmp/with.xml" web1 started begin -
	echo "$log" | grep -q 'daemon.info .*web1.*will attach' || bad "started/begin with hostd's socket: $log"
	unset CTL
fi
run "$tmp/bin" "$tmp/with.xml" web1 stopped end -
echo "$log" | grep -q 'daemon.info .*web1.*stopped' || bad "stopped/end: $log"

# odd calls: no arguments, empty stdin
run "$tmp/bin" /dev/null
run "$tmp/bin" /dev/null web4 prepare begin -
echo "$log" | grep -q 'daemon.warning .*web4' || bad "prepare/begin with empty XML: no warning ($log)"

# no logger: the warning on stderr
run_nologger "$tmp/without.xml" web2 prepare begin -
echo "$err" | grep -q 'web2.*org\.vtune\.agent\.0' || bad "no logger: no warning on stderr (stderr: $err)"
run_nologger "$tmp/with.xml" web1 stopped end -

[ ! -s "$FAKE_CALLS" ] || bad "the hook ran libvirt clients: $(cat "$FAKE_CALLS")"
[ $fail = 0 ] && echo "libvirt hook: all good"
exit $fail
