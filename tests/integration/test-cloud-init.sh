#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
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

# Follow its comments literally: each option is a block of commented-out
# lines ("# " removed, indentation kept); option 1b (the .debs) also deletes
# the packages: lines. Every combination is written as text (not merged as
# data, which would hide a key given twice), parsed with duplicate keys
# refused, and what it names is listed, one "KIND<TAB>VALUE" a line:
#   pkg NAME | cmd ARGV-joined-by-TAB | unit NAME | file PATH | debpkg NAME
"$py" - "$snippet" "$tmp" > "$tmp/named" <<'PY' || bad "$snippet: parse (see above)"
import sys, re, yaml, itertools
src, out = sys.argv[1], sys.argv[2]
text = open(src).read()
err = []
def need(cond, msg):
    if not cond:
        err.append(msg)

class Strict(yaml.SafeLoader):
    pass
def mapping(loader, node, deep=False):
    keys = set()
    for k, _ in node.value:
        key = loader.construct_object(k, deep=deep)
        if key in keys:
            raise yaml.constructor.ConstructorError(
                None, None, "key %r given twice (line %d): the first is ignored" %
                (key, k.start_mark.line + 1), k.start_mark)
        keys.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep)
Strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)

lines = text.splitlines()
starts = [i for i, l in enumerate(lines) if re.match(r"^\s*# ([a-z_]+:\s*$|- )", l)]
def block(i):
    """The lines of the commented-out option starting at line i."""
    ind = re.match(r"^(\s*)# ", lines[i]).group(1)
    out = [i]
    for j in range(i + 1, len(lines)):
        if not lines[j].startswith(ind + "#  "):
            break
        out.append(j)
    return out
opts = {}
for i in starts:
    b = block(i)
    name = ("debs" if any(".deb" in lines[j] for j in b) else
            "policy" if "write_files" in lines[i] else "other: " + lines[i].strip())
    need(name not in opts, "two commented-out options for %s" % name)
    opts[name] = b
need(set(opts) == {"policy", "debs"},
     "want two commented-out options (write_files, the .deb runcmd entry), found %s" % sorted(opts))
pk_lines = []
for i, l in enumerate(lines):
    if l.startswith("packages:"):
        pk_lines = [i] + [j for j in range(i + 1, len(lines)) if re.match(r"^\s+- ", lines[j])
                          and all(re.match(r"^\s+- ", lines[k]) for k in range(i + 1, j + 1))]
need(pk_lines, "no packages: block")

def variant(take):
    ls = list(lines)
    drop = set()
    for name in take:
        for j in opts.get(name, []):
            ls[j] = re.sub(r"^(\s*)# ", r"\1", ls[j], count=1)
        if name == "debs":
            drop |= set(pk_lines)
    return "\n".join(l for j, l in enumerate(ls) if j not in drop) + "\n"

final = None
for n in range(3):
    for take in itertools.combinations(["policy", "debs"], n):
        v = variant(take)
        tag = "+".join(take) or "as-shipped"
        open("%s/variant-%s.yaml" % (out, tag), "w").write(v)
        try:
            d = yaml.load(v, Loader=Strict)
        except yaml.YAMLError as e:
            err.append("variant %s: %s" % (tag, str(e).replace("\n", " ")))
            continue
        need(isinstance(d, dict), "variant %s: top level is not a mapping" % tag)
        rc = d.get("runcmd", [])
        need(isinstance(rc, list) and rc, "variant %s: runcmd: not a non-empty list" % tag)
        for c in rc:
            need(isinstance(c, str) or (isinstance(c, list) and all(isinstance(a, str) for a in c)),
                 "variant %s: runcmd entry %r: neither a string nor a list of strings" % (tag, c))
        if "debs" in take:
            need("packages" not in d, "variant %s: packages: still there" % tag)
            need(rc and ".deb" in " ".join(rc[0]) if isinstance(rc[0], list) else ".deb" in rc[0],
                 "variant %s: the .deb install is not the first runcmd entry" % tag)
        if tag == "policy+debs":
            final = d
if final is None:
    final = {}
pk = yaml.safe_load(variant([])).get("packages", [])
need(isinstance(pk, list) and all(isinstance(p, str) for p in pk), "packages: not a list of names")
wf = final.get("write_files", [])
need(isinstance(wf, list) and wf and all("path" in f and "content" in f for f in wf),
     "write_files option: not a list of {path, content}")
rc = final.get("runcmd", [])
deb = [c for c in rc if ".deb" in (" ".join(c) if isinstance(c, list) else c)]
need(len(deb) == 1, "the .deb option: not one runcmd entry")
for f in wf:
    print("file\t" + f["path"])
    if f["path"].endswith("policies.yaml"):
        open(out + "/policy.yaml", "w").write(f["content"])
for p in pk:
    print("pkg\t" + p)
for c in rc:
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

# 1. cloud-init accepts the snippet as shipped and after following its comments
nv=0
if [ "$validator" = cloud-init ]; then
	for f in "$tmp"/variant-*.yaml; do
		[ -f "$f" ] || continue
		nv=$((nv + 1))
		out=$(cloud-init schema --config-file "$f" 2>&1) || bad "cloud-init schema $(basename "$f"): $out"
	done
	[ $nv = 4 ] || bad "$nv variants checked by cloud-init schema, want 4"
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

[ $fail = 0 ] && echo "cloud-init snippet: all good${validator:+ (cloud-init schema: $nv variants)}"
exit $fail
