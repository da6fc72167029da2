#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 60
# test-channel-xml: `vtune kvm channel-xml` prints a <channel> element that
# libvirt accepts: it is put into the test driver's domain XML, defined
# (test:///default, no daemon needed), and dumpxml shows the channel back
# with its (escaped) path intact.
set -u
B=${VTUNE_BUILD:-$PWD/build}
V=$B/vtune
TMP=$(mktemp -d) || exit 1
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: test-channel-xml: $*" >&2; exit 1; }

[ -x "$V" ] || fail "no $V: build first (make)"
command -v virsh >/dev/null || { echo "SKIP: test-channel-xml needs virsh (libvirt-clients)"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: test-channel-xml needs python3"; exit 77; }
"$V" kvm channel-xml --help >/dev/null 2>&1 || fail "vtune has no 'kvm channel-xml' command"

# 1. The element: defaults, escaping (tab and newline as character
# references), refusals (what XML cannot hold).
"$V" kvm channel-xml > "$TMP/none.xml" || fail "channel-xml failed"
grep -q "<source mode='bind'/>" "$TMP/none.xml" || fail "no path-less source: $(cat "$TMP/none.xml")"
"$V" kvm channel-xml --domain web1 > "$TMP/dom.xml" || fail "--domain failed"
grep -q "path='/var/lib/libvirt/qemu/channel/target/web1.org.vtune.agent.0'" "$TMP/dom.xml" \
	|| fail "--domain: unexpected path: $(cat "$TMP/dom.xml")"
"$V" kvm channel-xml --path "/tmp/a'b&c<d>.sock" > "$TMP/esc.xml" || fail "--path failed"
grep -q "path='/tmp/a&apos;b&amp;c&lt;d&gt;.sock'" "$TMP/esc.xml" || fail "not escaped: $(cat "$TMP/esc.xml")"
"$V" kvm channel-xml --path relative.sock >/dev/null 2>&1 && fail "a relative --path was accepted"
"$V" kvm channel-xml --domain ../x >/dev/null 2>&1 && fail "--domain ../x was accepted"
"$V" kvm channel-xml --path "/$(printf '%0120d' 0)" >/dev/null 2>&1 && fail "an over-long path was accepted"
"$V" kvm channel-xml --path "$(printf '/tmp/tab\tnl\ncr\r.sock')" > "$TMP/ctl.xml" || fail "--path with a newline failed"
grep -q "path='/tmp/tab&#9;nl&#10;cr&#13;.sock'" "$TMP/ctl.xml" || fail "tab/newline not escaped: $(cat "$TMP/ctl.xml")"
python3 -c 'import sys, xml.dom.minidom as m
p = m.parse(sys.argv[1]).getElementsByTagName("source")[0].getAttribute("path")
sys.exit(p != "/tmp/tab\tnl\ncr\r.sock")' "$TMP/ctl.xml" || fail "tab/newline do not read back: $(cat "$TMP/ctl.xml")"
"$V" kvm channel-xml --path "$(printf '/tmp/a\001b.sock')" >/dev/null 2>&1 && fail "a control character was accepted"
"$V" kvm channel-xml --path "$(printf '/tmp/a\377b.sock')" >/dev/null 2>&1 && fail "a path that is not UTF-8 was accepted"
for f in none dom esc ctl; do
	python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' "$TMP/$f.xml" \
		|| fail "$f.xml is not well-formed XML"
done

# 2. Into a domain: the test driver's XML, renamed, channel added to <devices>.
SOCK="$TMP/vt chan&1.sock"
"$V" kvm channel-xml --path "$SOCK" > "$TMP/chan.xml" || fail "channel-xml --path failed"
virsh -c test:///default dumpxml test > "$TMP/test.xml" || fail "virsh dumpxml test failed"
python3 - "$TMP/test.xml" "$TMP/chan.xml" "$TMP/new.xml" <<'PY' || fail "cannot build the domain XML"
import sys, xml.etree.ElementTree as ET
dom = ET.parse(sys.argv[1]).getroot()
dom.find("name").text = "vtune-chan"
dom.remove(dom.find("uuid"))
dom.attrib.pop("id", None)
dom.find("devices").append(ET.parse(sys.argv[2]).getroot())
ET.ElementTree(dom).write(sys.argv[3])
PY
# The test driver keeps state per connection: define and dump in one virsh.
virsh -q -c test:///default "define $TMP/new.xml; dumpxml vtune-chan" > "$TMP/out.xml" 2>"$TMP/err" \
	|| fail "virsh define refused it: $(cat "$TMP/err")"
python3 - "$TMP/out.xml" "$SOCK" <<'PY' || fail "dumpxml does not show the channel: $(cat "$TMP/out.xml")"
import sys, xml.etree.ElementTree as ET
text = open(sys.argv[1]).read()
dom = ET.fromstring(text[text.index("<domain"):])
for ch in dom.iter("channel"):
    src, tgt = ch.find("source"), ch.find("target")
    if (ch.get("type") == "unix" and tgt is not None and tgt.get("type") == "virtio"
            and tgt.get("name") == "org.vtune.agent.0" and src is not None
            and src.get("mode") == "bind" and src.get("path") == sys.argv[2]):
        sys.exit(0)
sys.exit(1)
PY

# 3. The path-less form is accepted too (libvirt fills in a path at start).
python3 - "$TMP/test.xml" "$TMP/none.xml" "$TMP/new2.xml" <<'PY' || fail "cannot build the second XML"
import sys, xml.etree.ElementTree as ET
dom = ET.parse(sys.argv[1]).getroot()
dom.find("name").text = "vtune-chan2"
dom.remove(dom.find("uuid"))
dom.attrib.pop("id", None)
dom.find("devices").append(ET.parse(sys.argv[2]).getroot())
ET.ElementTree(dom).write(sys.argv[3])
PY
virsh -q -c test:///default "define $TMP/new2.xml; dumpxml vtune-chan2" > "$TMP/out2.xml" 2>"$TMP/err" \
	|| fail "virsh define refused the path-less channel: $(cat "$TMP/err")"
grep -q "org.vtune.agent.0" "$TMP/out2.xml" || fail "path-less channel lost"
echo "ok: test-channel-xml"
