#!/bin/sh
# test-cloud-init: contrib/cloud-init/vtune-agent.yaml is cloud-config user
# data cloud-init accepts (`cloud-init schema`, else a YAML parse and the
# shapes of the keys it uses), and so are its commented-out alternatives (own
# policy via write_files, .debs instead of a repository); the policy it shows
# passes `vtune policy check`; and everything it names exists where
# `make install` (PREFIX=/usr, as the Debian package) puts it: the programs and
# commands runcmd runs, the units it enables (installable: [Install]), the
# files it writes, the Debian package it installs (and that package's
# contents and dependencies). docs/cloud-init.md's commands and claims too.
# Needs cloud-init (preferred) or python3-yaml; skips (77) without either.
# timeout: 120
set -u
B=${VTUNE_BUILD:-$(pwd)/build}
SRC=${VTUNE_SRC:-$(pwd)}
cd "$SRC" || exit 1
snippet=contrib/cloud-init/vtune-agent.yaml
py=
for p in python3 /usr/bin/python3; do
	if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import yaml' 2>/dev/null; then py=$p; break; fi
done
[ -n "$py" ] || { echo "SKIP: no python3 with yaml (Debian: python3-yaml, or cloud-init)"; exit 77; }
validator=
command -v cloud-init >/dev/null 2>&1 && cloud-init schema --help >/dev/null 2>&1 && validator=cloud-init
tmp=$(mktemp -d /tmp/vtune-cloudinit.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

[ "$(head -n 1 "$snippet")" = "#cloud-config" ] || bad "$snippet: first line is not #cloud-config"

# Parse it; write the variants and what they name, one "KIND<TAB>VALUE" a line:
#   pkg NAME | cmd ARGV-joined-by-TAB | unit NAME | file PATH | debpkg NAME
"$py" - "$snippet" "$tmp" > "$tmp/named" <<'PY' || bad "$snippet: parse (see above)"
import sys, re, yaml
src, out = sys.argv[1], sys.argv[2]
text = open(src).read()
data = yaml.safe_load(text)
err = []
def need(cond, msg):
    if not cond:
        err.append(msg)
need(isinstance(data, dict), "top level is not a mapping")
pk = data.get("packages", [])
need(isinstance(pk, list) and all(isinstance(p, str) for p in pk), "packages: not a list of names")
rc = data.get("runcmd", [])
need(isinstance(rc, list) and rc, "runcmd: not a non-empty list")
for c in rc:
    need(isinstance(c, str) or (isinstance(c, list) and all(isinstance(a, str) for a in c)),
         "runcmd entry %r: neither a string nor a list of strings" % (c,))

# the commented-out alternatives: "# write_files:" block, "# runcmd:" .deb block
def block(key):
    lines, on = [], False
    for l in text.splitlines():
        if l == "# " + key + ":":
            on = True
        elif on and not l.startswith("#   ") and not l.startswith("#     "):
            break
        if on:
            lines.append(l[2:])
    need(lines, "no commented-out %s: block" % key)
    return yaml.safe_load("\n".join(lines)) if lines else {}
wf = block("write_files").get("write_files", [])
deb = block("runcmd").get("runcmd", [])
need(isinstance(wf, list) and wf and all("path" in f and "content" in f for f in wf),
     "commented write_files: not a list of {path, content}")
need(isinstance(deb, list) and len(deb) == 1, "commented .deb runcmd: not one entry")
alt = dict(data)
alt.pop("packages", None)
alt["write_files"] = wf
alt["runcmd"] = deb + list(rc)
with open(out + "/alt.yaml", "w") as f:
    f.write("#cloud-config\n" + yaml.safe_dump(alt, sort_keys=False))
for f in wf:
    print("file\t" + f["path"])
    if f["path"].endswith("policies.yaml"):
        open(out + "/policy.yaml", "w").write(f["content"])

for p in pk:
    print("pkg\t" + p)
for c in list(rc):
    argv = c if isinstance(c, list) else c.split()
    print("cmd\t" + "\t".join(argv))
    if argv[0] == "systemctl":
        for a in argv[1:]:
            if a.endswith((".service", ".timer", ".socket")):
                print("unit\t" + a)
for c in deb:
    s = " ".join(c) if isinstance(c, list) else c
    for m in re.findall(r"/([a-z0-9-]+)_[^/ ]*\.deb", s):
        print("debpkg\t" + m)
    installed = s.split("apt-get install", 1)[-1]
    for m in re.findall(r"-o *(/[^ ]+\.deb)", s):
        need(m in installed, "the .deb alternative downloads %s but does not apt-get install it" % m)
for e in err:
    print("FAIL: " + e, file=sys.stderr)
sys.exit(1 if err else 0)
PY

# 1. cloud-init accepts the snippet and its alternatives
if [ "$validator" = cloud-init ]; then
	for f in "$snippet" "$tmp/alt.yaml"; do
		[ -f "$f" ] || continue
		out=$(cloud-init schema --config-file "$f" 2>&1) || bad "cloud-init schema $f: $out"
	done
	[ "$f" = "$tmp/alt.yaml" ] || bad "no alternative variant was written"
else
	echo "note: cloud-init not installed; YAML and key shapes checked with $py only"
fi

# 2. the policy it shows is one vtune accepts
if [ -f "$tmp/policy.yaml" ]; then
	out=$("$B/vtune" policy check "$tmp/policy.yaml" 2>&1) || bad "vtune policy check of the write_files policy: $out"
else
	bad "no policies.yaml among the commented write_files"
fi

# 3. what it names exists after make install
d=$tmp/root
make -s --no-print-directory B="$B" install PREFIX=/usr DESTDIR="$d" > "$tmp/make.log" 2>&1 ||
	{ cat "$tmp/make.log"; bad "make install"; }
cmp -s "$d/usr/share/vtune/contrib/vtune-agent.yaml" "$snippet" ||
	bad "usr/share/vtune/contrib/vtune-agent.yaml (docs/cloud-init.md) not installed"
# which Debian package ships PATH (its debian/*.install), "" if none
shipped_by() { grep -lx -- "$1" debian/*.install 2>/dev/null | sed 's|debian/||; s|\.install$||' | head -n 1; }
pkgs=$(sed -n 's/^pkg	//p' "$tmp/named" | tr '\n' ' ')
[ -n "$pkgs" ] || bad "packages: names no package"
for p in $pkgs; do
	grep -qx "Package: $p" debian/control || bad "packages: $p is not a package of debian/control"
done
owner_ok() { # PATH WHAT: PATH is shipped by one of the packages (if any are named)
	[ -n "$pkgs" ] || return 0
	o=$(shipped_by "$1")
	case " $pkgs " in *" $o "*) ;; *) bad "$2: $1 is in package '${o:-none}', not in '$pkgs'";; esac
}
ncmd=0
while IFS='	' read -r kind a0 a1 rest; do
	[ "$kind" = cmd ] || continue
	ncmd=$((ncmd + 1))
	case $a0 in
	systemctl|sh|apt-get|curl) continue ;;
	esac
	bin=
	for dir in usr/bin usr/sbin; do
		[ -x "$d/$dir/$a0" ] && bin=$dir/$a0
	done
	[ -n "$bin" ] || { bad "runcmd runs $a0, which make install does not put in /usr/bin or /usr/sbin"; continue; }
	owner_ok "$bin" "runcmd $a0"
	# its command word exists: `PROG CMD --help` succeeds
	case ${a1:-} in
	''|-*) ;;
	*) "$d/$bin" "$a1" --help >/dev/null 2>&1 || bad "runcmd: '$a0 $a1' is not a command of the installed $a0" ;;
	esac
done < "$tmp/named"
[ $ncmd -gt 0 ] || bad "runcmd runs nothing"
for u in $(sed -n 's/^unit	//p' "$tmp/named"); do
	f=lib/systemd/system/$u
	[ -f "$d/$f" ] || { bad "runcmd enables $u: $f not installed"; continue; }
	grep -q '^WantedBy=' "$d/$f" || bad "$u has no [Install] WantedBy=: systemctl enable does nothing"
	owner_ok "$f" "systemctl enable $u"
done
for f in $(sed -n 's/^file	//p' "$tmp/named"); do
	[ -f "$d$f" ] || bad "write_files writes $f, which make install does not install (the programs would not read it)"
done
grep -qx 'ConditionPathExists=/etc/vtune/policies.yaml' "$d/lib/systemd/system/vtune-agent-once.service" ||
	bad "vtune-agent-once.service does not read /etc/vtune/policies.yaml (write_files' path)"
# the .deb alternative fetches the named packages and every vtune package they depend on
debs=$(sed -n 's/^debpkg	//p' "$tmp/named" | tr '\n' ' ')
for p in $pkgs; do
	case " $debs " in *" $p "*) ;; *) bad "the .deb alternative does not fetch $p";; esac
	deps=$(sed -n "/^Package: $p\$/,/^\$/p" debian/control | sed -n 's/^Depends://p' | tr ',' '\n' |
		sed -n 's/^ *\(vtune[a-z0-9-]*\).*/\1/p')
	for dep in $deps; do
		case " $debs " in *" $dep "*) ;; *) bad "the .deb alternative fetches $p but not $dep, which it depends on";; esac
	done
done

# 4. docs/cloud-init.md: its commands exist, its claim about the unit's order holds
"$d/usr/bin/vtune-agent" once --help 2>&1 | grep -q -- --dry-run || bad "docs: vtune-agent once --dry-run"
"$d/usr/bin/vtune-agent" sample --help >/dev/null 2>&1 || bad "docs: vtune-agent sample"
"$d/usr/bin/vtune" revert --help 2>&1 | grep -q -- --dry-run || bad "docs: vtune revert --all --dry-run"
grep -q '^After=.*systemd-sysctl\.service' "$d/lib/systemd/system/vtune-agent-once.service" &&
	grep -q '^Before=.*network\.target' "$d/lib/systemd/system/vtune-agent-once.service" ||
	bad "docs: vtune-agent-once.service is not after systemd-sysctl.service and before network.target"

[ $fail = 0 ] && echo "cloud-init snippet: all good${validator:+ (cloud-init schema)}"
exit $fail
