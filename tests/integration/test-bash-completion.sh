#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# test-bash-completion: contrib/bash-completion/vtune, sourced by a
# non-interactive bash with the built programs first in PATH, completes
# vtune, vtune-agent and vtune-hostd from their --help: commands, the second
# word of two-word commands, each command's long options, option values.
# Completion is simulated the way readline drives it: COMP_WORDS, COMP_CWORD,
# COMP_LINE, COMP_POINT set, then the function `complete -p` names is called.
# The script needs no bash-completion package (no _init_completion).
# timeout: 60
set -u
B=${VTUNE_BUILD:-$(pwd)/build}
SRC=${VTUNE_SRC:-$(pwd)}
cd "$SRC" || exit 1
command -v bash >/dev/null 2>&1 || { echo "SKIP: no bash"; exit 77; }
for p in vtune vtune-agent vtune-hostd; do
	[ -x "$B/$p" ] || { echo "FAIL: $B/$p not built"; exit 1; }
done
tmp=$(mktemp -d /tmp/vtune-bashcomp.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0

# a static check first, when shellcheck is there
if command -v shellcheck >/dev/null 2>&1; then
	shellcheck -S warning -s bash contrib/bash-completion/vtune || { echo "FAIL: shellcheck"; fail=1; }
fi

# files for the file-completing cases
mkdir -p "$tmp/files/sub dir"
touch "$tmp/files/pol.yaml" "$tmp/files/notes.txt" "$tmp/files/my journal"

cat > "$tmp/t.bash" <<'BASH'
set -u
fail=0
source "$SRC/contrib/bash-completion/vtune" || { echo "FAIL: source"; exit 1; }
for p in vtune vtune-agent vtune-hostd; do
	spec=$(complete -p "$p" 2>/dev/null) || { echo "FAIL: no completion registered for $p"; fail=1; }
done
fn=$(complete -p vtune | sed -n 's/.* -F \([^ ]*\) .*/\1/p')
[[ -n $fn ]] && declare -F "$fn" >/dev/null || { echo "FAIL: complete -p vtune: no -F function"; exit 1; }

# comp WORD... : complete the last word (may be ""); the answer in $got:
# sorted, joined by "|" (so a file name with a space is seen whole)
comp()
{
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	"$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
	got=$(printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | sort | tr '\n' '|')
	got=${got%|}
}
# has "WORDS..." -- WANT... : every WANT is offered
has()
{
	local line=$1 w
	shift
	read -r -a ws <<<"$line"
	[[ $line == *" " || $line == "" ]] && ws+=("")
	comp "${ws[@]}"
	for w in "$@"; do
		[[ "|$got|" == *"|$w|"* ]] || { echo "FAIL: '$line<TAB>' lacks $w (got: $got)"; fail=1; }
	done
}
# is "WORDS..." WANT : exactly WANT (sorted, "|" separated)
is()
{
	local line=$1
	read -r -a ws <<<"$line"
	[[ $line == *" " || $line == "" ]] && ws+=("")
	comp "${ws[@]}"
	[[ $got == "$2" ]] || { echo "FAIL: '$line<TAB>' gave '$got', want '$2'"; fail=1; }
}
# lacks "WORDS..." -- BAD... : no BAD is offered
lacks()
{
	local line=$1 w
	shift
	read -r -a ws <<<"$line"
	[[ $line == *" " || $line == "" ]] && ws+=("")
	comp "${ws[@]}"
	for w in "$@"; do
		[[ "|$got|" != *"|$w|"* ]] || { echo "FAIL: '$line<TAB>' offers $w (got: $got)"; fail=1; }
	done
}

# vtune: commands, two-word commands, options
has "vtune " bench policy revert status apply report kvm --help --version
lacks "vtune " crr check channel-xml attach
is "vtune re" "report|revert"
is "vtune bench " "crr"
is "vtune policy " "check"
is "vtune kvm " "channel-xml"
is "vtune sriov " "attach|detach|list"
has "vtune sriov attach l2 --" --vf --persistent --dry-run --json --control
is "vtune sriov attach --vf " ""
is "vtune sriov detach " ""
is "vtune bench c" "crr"
has "vtune revert --" --all --rule --since --journal --root --dry-run --force --json
has "vtune " off on verify
is "vtune o" "off|on"
has "vtune off --" --journal --control --root --wait --json
has "vtune on --" --journal --control --json
lacks "vtune on --" --root --wait
has "vtune verify --" --journal --control --root --json
is "vtune verify " ""
is "vtune off " ""
is "vtune revert --a" "--all"
has "vtune bench crr --" --threads --conns --duration --timeout --size --json --serve
has "vtune status --" --control --journal --json
has "vtune report --" --control --from --save --json --watch --html --minutes --guest
has "vtune apply --" --dry-run --control --json
has "vtune kvm channel-xml --" --domain --path
# after options, the command is still found
has "vtune revert --rule foo --" --all --since
# values: nothing for numbers and names, files and dirs where they go
is "vtune bench crr -c " ""
is "vtune bench crr --threads " ""
is "vtune revert --rule " ""
is "vtune status " ""
is "vtune policy check $FILES/" "$FILES/pol.yaml|$FILES/sub dir"
is "vtune revert --journal $FILES/my" "$FILES/my journal"
is "vtune report --html $FILES/n" "$FILES/notes.txt"

# vtune-agent
has "vtune-agent " sample run once verify --help --version
lacks "vtune-agent " --standalone
has "vtune-agent run --" --standalone --transport --interval --port --device --journal --duration
has "vtune-agent run --standalone --" --policy --interval --dry-run --duration
lacks "vtune-agent run --standalone --" --transport
has "vtune-agent once --" --policy --journal --root --dry-run --json
has "vtune-agent " verify revert
has "vtune-agent revert --" --all --rule --since --journal --control --root --dry-run --force --json
is "vtune-agent revert " ""
has "vtune-agent run --" --control
has "vtune-agent verify --" --journal --root --json
is "vtune-agent verify " ""
has "vtune-agent sample --" --interval --json --root --then --no-netlink
is "vtune-agent run --transport " "auto|vport|xenstore"
is "vtune-agent run --port " "org.vtune.agent.0"
is "vtune-agent run --interval " ""
is "vtune-agent sample --root $FILES/s" "$FILES/sub dir"

# vtune-hostd: options only; --backend values are the usage line's
has "vtune-hostd --" --backend --uri --policy --journal --control --interval --root --metrics --syslog --dry-run --help --version
backends=$(vtune-hostd --help 2>&1 | grep -o -- '--backend [a-z][a-z|]*' | head -n 1)
backends=${backends#--backend }
backends=$(tr '|' '\n' <<<"$backends" | sort | tr '\n' '|')
backends=${backends%|}
[[ "|$backends|" == *"|kvm|"* && "|$backends|" == *"|sim|"* ]] || { echo "FAIL: vtune-hostd --help names backends '$backends'"; fail=1; }
is "vtune-hostd --backend " "$backends"
is "vtune-hostd -b s" "sim"
is "vtune-hostd --uri " "qemu:///system|test:///default"
is "vtune-hostd --interval " ""
is "vtune-hostd -c $FILES/n" "$FILES/notes.txt"
lacks "vtune-hostd --metrics " --backend

# programs named by path complete the same
is "$BUILD/vtune bench " "crr"
exit $fail
BASH

PATH="$B:$PATH" SRC="$SRC" BUILD="$B" FILES="$tmp/files" bash --norc --noprofile "$tmp/t.bash" || fail=1
[ $fail = 0 ] && echo "bash completion: all good"
exit $fail
