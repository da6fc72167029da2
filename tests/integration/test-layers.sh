#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 30
# test-layers: the build holds each folder to its layer (Makefile, "Layers").
# 1. The Makefile's table (make layers) keeps the arrows written below: a
#    folder may see at most what ALLOWED gives it.
# 2. The flags the Makefile gives a source reject an include that points out
#    of its layer (a lib/ source including policies/engine.h, a backend
#    including hostd/ or another backend, hostd/ a backend, the agent hostd/)
#    and accept one inside it.
# 3. Every object of the build in VTUNE_BUILD took its headers only from
#    the folders its layer sees (its dependency file, .d, paths resolved, so
#    an #include "../x/y.h" is caught too), but for the exceptions below.
# 4. The agent and the objects it links (lib/ policies/ actions/ hostnet/)
#    are compiled without the host libraries' flags (Makefile PKGS_...): no
#    libvirt, libxml2 or Xen include path, and <libxml/tree.h> does not
#    compile there while it does in kvm/.
set -u
SRC=${VTUNE_SRC:-$PWD}
B=${VTUNE_BUILD:-$SRC/build}
cd "$SRC" || exit 1
fail=0
bad() { echo "FAIL: test-layers: $*"; fail=1; }
TMP=$(mktemp -d) || exit 1
trap 'rm -rf "$TMP"' EXIT

# What each folder may see at most (its own headers always).
allowed() {
	case $1 in
	lib)         echo lib ;;
	policies)    echo lib ;;
	hostnet)     echo lib ;;
	actions)     echo lib policies hostnet ;;
	backend)     echo lib ;;
	kvm|xen|sim) echo lib hostnet backend ;;
	agent)       echo lib policies actions ;;
	hostd)       echo lib policies actions hostnet backend ;;
	cli)         echo lib policies actions hostnet backend hostd ;;
	*)           echo "?" ;;
	esac
}
# Header uses outside the layer, each one on purpose: "object header".
EXCEPTIONS=""

# ---- 1. the table ----
make -s --no-print-directory B="$B" layers > "$TMP/layers" 2> "$TMP/err" ||
	{ bad "make layers: $(cat "$TMP/err")"; exit 1; }
n=0
while IFS=: read -r layer sees; do
	n=$((n + 1))
	[ "$(allowed "$layer")" = "?" ] && { bad "layer $layer: not in this test's table"; continue; }
	for s in $sees; do
		[ "$s" = "$layer" ] && continue
		case " $(allowed "$layer") " in
		*" $s "*) ;;
		*) bad "layer $layer sees $s/ (Makefile SEES_$layer): not allowed" ;;
		esac
	done
done < "$TMP/layers"
[ "$n" -ge 11 ] || bad "make layers: only $n layers"
for d in */; do
	d=${d%/}
	ls "$d"/*.c "$d"/*.h > /dev/null 2>&1 || continue
	case $d in tests|bench|build*) continue ;; esac
	grep -q "^$d:" "$TMP/layers" || bad "folder $d/ has C code but no layer in the Makefile"
done

# ---- 2. the flags refuse an include out of the layer ----
# probe FOLDER HEADER ok|refused
probe() {
	if [ ! -f "$TMP/flags.$1" ]; then
		make -s --no-print-directory B="$B" print-cflags F="$1/probe.c" > "$TMP/flags.$1" \
			2> "$TMP/err" || { bad "make print-cflags F=$1/probe.c: $(cat "$TMP/err")"; return; }
	fi
	printf '#include "%s"\nint layers_probe(void);\nint layers_probe(void) { return 0; }\n' "$2" \
		> "$TMP/probe.c"
	if eval "${CC:-gcc} $(cat "$TMP/flags.$1") -fsyntax-only $TMP/probe.c" > "$TMP/out" 2>&1; then
		[ "$3" = ok ] || bad "a $1/ source compiles with #include \"$2\""
	else
		if [ "$3" = ok ]; then
			bad "a $1/ source does not compile with #include \"$2\": $(head -3 "$TMP/out")"
		elif ! grep -q "$2: No such file" "$TMP/out"; then
			bad "$1/ with \"$2\" failed, not for the missing header: $(head -3 "$TMP/out")"
		fi
	fi
}
probe lib      log.h       ok
probe lib      engine.h    refused
probe lib      guest.h     refused
probe policies engine.h    ok
probe policies action.h    refused
probe hostnet  sriov_plan.h ok
probe hostnet  policy.h    refused
probe actions  act_table.h ok
probe actions  backend.h   refused
probe kvm      backend.h   ok
probe kvm      guest.h     refused
probe kvm      action.h    refused
probe xen      sriov_view.h ok
probe xen      kvm.h       refused
probe sim      xen.h       refused
probe hostd    backend_mod.h ok
probe hostd    kvm.h       refused
probe hostd    xen_bridge.h refused
probe agent    action.h    ok
probe agent    hostd.h     refused
probe agent    backend.h   refused
probe cli      backend_table.h ok
probe cli      kvm_xml.h   refused

# ---- 3. what each object of the build included ----
sees() { sed -n "s/^$1: *//p" "$TMP/layers"; }
nd=0
for d in $(find "$B/obj" "$B/pic" -name '*.d' 2>/dev/null | sort); do
	rel=${d#"$B"/obj/}
	[ "$rel" = "$d" ] && rel=${d#"$B"/pic/}
	rel=${rel#agent-view/} # the agent's build of the action table (Makefile AGENT_VIEW)
	obj=${rel%.d}
	layer=${obj%%/*}
	case $layer in tests|bench) continue ;; esac
	nd=$((nd + 1))
	allow=" $(sees "$layer") "
	[ "$allow" = "  " ] && { bad "$obj: its folder $layer/ has no layer"; continue; }
	# every header named (the target line and the -MP stubs), as a path
	# from the top of the tree
	for h in $(sed 's/\\$//; s/:$//; s/^[^ ]*: //' "$d" | tr ' ' '\n' | grep '\.h$' | sort -u); do
		case $h in
		/*) case $h in "$SRC"/*) h=${h#"$SRC"/} ;; *) continue ;; esac ;;
		esac
		h=$(realpath -m --relative-to="$SRC" "$SRC/$h")
		f=${h%%/*}
		[ "$f" = "$h" ] && { bad "$obj: header $h at the top of the tree"; continue; }
		case $allow in *" $f "*) continue ;; esac
		case " $EXCEPTIONS " in *" $obj $h "*) continue ;; esac
		bad "$obj ($layer/) includes $h: $f/ is outside its layer"
	done
done
[ "$nd" -ge 100 ] || bad "only $nd dependency files under $B/obj and $B/pic (build first: make all)"

# ---- 4. the agent's flags name no host library ----
probe agent    libxml/tree.h refused
probe lib      libxml/tree.h refused
probe kvm      libxml/tree.h ok
host_inc=$(${PKG:-pkg-config} --cflags-only-I libvirt libxml-2.0 xencontrol xenlight 2>/dev/null)
for f in agent/run.c agent/xs.c agent/main.c lib/log.c policies/engine.c actions/apply.c \
	 hostnet/hostnet_irq.c; do
	[ -f "$f" ] || { bad "$f: no such source (update this test)"; continue; }
	flags=$(make -s --no-print-directory B="$B" print-cflags F="$f" 2> "$TMP/err") ||
		{ bad "make print-cflags F=$f: $(cat "$TMP/err")"; continue; }
	for w in $flags; do
		case " $host_inc " in
		*" $w "*) bad "$f is compiled with $w (a host library's)"; continue ;;
		esac
		case $w in
		-I*libvirt*|-I*libxml*|-I*xen*) bad "$f is compiled with $w (a host library's)" ;;
		esac
	done
done

[ $fail = 0 ] && echo "ok: test-layers: $n layers, $nd objects"
exit $fail
