#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""unit_exec: run a systemd unit's ExecStart= the way systemd would, for the
process-level security settings that can be reproduced without a running
systemd (none runs on the test machines), so that a test sees the daemon
under the same limits as the shipped unit:

  CapabilityBoundingSet=, AmbientCapabilities=, NoNewPrivileges=, User=,
  Group=, UMask=               -> setpriv(1) and umask
  SystemCallFilter=, SystemCallErrorNumber=, SystemCallArchitectures=,
  RestrictAddressFamilies=, RestrictNamespaces=, MemoryDenyWriteExecute=
                               -> seccomp filters built with libseccomp (the
                                  library systemd uses), syscall groups
                                  expanded by `systemd-analyze syscall-filter`
  EnvironmentFile=/Environment= -> $VAR / ${VAR} in ExecStart (whitespace
                                  split, as systemd does); the environment of
                                  this script stands in for the file

Not reproduced (mount namespace, cgroup and BPF settings): ProtectSystem=,
PrivateTmp=, ProtectHome=, DevicePolicy=, IPAddressDeny=, Protect*=.

usage: unit_exec.py UNIT [--map FROM=TO]... [--print]
  --map FROM=TO  replace the program path FROM in ExecStart by TO (a build)
  --print        print the settings and the command, run nothing
"""
import ctypes
import errno
import os
import re
import shlex
import subprocess
import sys

CAPS = {}  # "cap_net_admin" -> number, from the kernel headers' order
CAP_NAMES = """chown dac_override dac_read_search fowner fsetid kill setgid setuid
setpcap linux_immutable net_bind_service net_broadcast net_admin net_raw ipc_lock
ipc_owner sys_module sys_rawio sys_chroot sys_ptrace sys_pacct sys_admin sys_boot
sys_nice sys_resource sys_time sys_tty_config mknod lease audit_write audit_control
setfcap mac_override mac_admin syslog wake_alarm block_suspend audit_read perfmon bpf
checkpoint_restore""".split()
for i, n in enumerate(CAP_NAMES):
    CAPS["cap_" + n] = i

NS_FLAGS = {"cgroup": 0x02000000, "ipc": 0x08000000, "net": 0x40000000,
            "mnt": 0x00020000, "pid": 0x20000000, "user": 0x10000000,
            "uts": 0x04000000}
AF = {"AF_UNIX": 1, "AF_LOCAL": 1, "AF_INET": 2, "AF_INET6": 10, "AF_NETLINK": 16,
      "AF_PACKET": 17}
AF_MAX = 46


def parse_unit(path):
    """The [Service] section: key -> list of assignments (in order)."""
    sec, out = None, {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("["):
                sec = line
                continue
            if sec != "[Service]" or "=" not in line:
                continue
            k, v = line.split("=", 1)
            out.setdefault(k.strip(), []).append(v.strip())
    return out


def last(unit, key, default=""):
    v = unit.get(key)
    return v[-1] if v else default


def yes(unit, key):
    return last(unit, key).lower() in ("yes", "true", "1", "on")


_groups = None


def groups():
    global _groups
    if _groups is None:
        _groups, cur = {}, None
        text = subprocess.run(["systemd-analyze", "syscall-filter"], check=True,
                              capture_output=True, text=True).stdout
        for line in text.splitlines():
            if line.startswith("@"):
                cur = line.strip()
                _groups[cur] = []
            elif cur and line.strip() and not line.strip().startswith("#"):
                _groups[cur].append(line.strip())
    return _groups


def expand(name, seen=None):
    seen = seen if seen is not None else set()
    if not name.startswith("@"):
        return {name}
    if name in seen:
        return set()
    seen.add(name)
    if name not in groups():
        sys.exit("unit_exec: unknown syscall group " + name)
    out = set()
    for n in groups()[name]:
        out |= expand(n, seen)
    return out


def syscall_filter(unit):
    """(allow-list or None, deny-list or None) as systemd combines them."""
    allow, deny = None, None
    for v in unit.get("SystemCallFilter", []):
        if not v:
            allow, deny = None, None
            continue
        neg = v.startswith("~")
        names = set()
        for w in v.lstrip("~").split():
            names |= expand(w)
        if allow is None and deny is None:
            if neg:
                deny = names
            else:
                allow = names | expand("@default")
        elif allow is not None:
            allow = allow - names if neg else allow | names
        else:
            deny = deny | names if neg else deny - names
    return allow, deny


class ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int),
                ("a", ctypes.c_uint64), ("b", ctypes.c_uint64)]


ALLOW, KILL_PROCESS = 0x7fff0000, 0x80000000
CMP_EQ, CMP_GT, CMP_MASKED_EQ = 4, 6, 7
FLTATR_CTL_NNP = 3


def act_errno(e):
    return 0x00050000 | (e & 0xffff)


class Filter:
    def __init__(self, lib, default):
        self.lib = lib
        self.ctx = lib.seccomp_init(ctypes.c_uint32(default))
        if not self.ctx:
            sys.exit("unit_exec: seccomp_init failed")
        # systemd loads its filters without setting no_new_privs itself when
        # it has CAP_SYS_ADMIN; NoNewPrivileges= decides (setpriv below).
        lib.seccomp_attr_set(self.ctx, FLTATR_CTL_NNP, ctypes.c_uint32(0))

    def nr(self, name):
        return self.lib.seccomp_syscall_resolve_name(name.encode())

    def rule(self, action, name, *cmps):
        n = self.nr(name)
        if n < 0:  # not a syscall of this architecture (e.g. setuid32)
            return
        arr = (ArgCmp * max(1, len(cmps)))(*[ArgCmp(*c) for c in cmps])
        r = self.lib.seccomp_rule_add_array(self.ctx, ctypes.c_uint32(action), n,
                                            len(cmps), arr)
        if r < 0 and r != -errno.EEXIST:
            sys.exit("unit_exec: seccomp rule for %s: %s" % (name, os.strerror(-r)))

    def load(self):
        r = self.lib.seccomp_load(self.ctx)
        if r < 0:
            sys.exit("unit_exec: seccomp_load: " + os.strerror(-r))


def install_seccomp(unit, dry):
    lib = ctypes.CDLL("libseccomp.so.2", use_errno=True)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_attr_set.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int,
                                           ctypes.c_uint, ctypes.POINTER(ArgCmp)]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    done = []
    err = last(unit, "SystemCallErrorNumber")
    fail = act_errno(getattr(errno, err)) if err else KILL_PROCESS
    allow, deny = syscall_filter(unit)
    filters = []
    if allow is not None:
        f = Filter(lib, fail)
        for n in sorted(allow | {"execve"}):
            f.rule(ALLOW, n)
        filters.append(f)
        done.append("SystemCallFilter (allow %d calls, else %s)" % (len(allow), err or "kill"))
    elif deny is not None:
        f = Filter(lib, ALLOW)
        for n in sorted(deny):
            f.rule(fail, n)
        filters.append(f)
        done.append("SystemCallFilter (deny %d calls)" % len(deny))
    fams = [w for v in unit.get("RestrictAddressFamilies", []) for w in v.split()]
    if fams and not fams[0].startswith("~"):
        ok = {AF[a] for a in fams}
        f = Filter(lib, ALLOW)
        for fam in range(0, max(ok)):
            if fam not in ok:
                f.rule(act_errno(errno.EAFNOSUPPORT), "socket", (0, CMP_EQ, fam, 0))
        f.rule(act_errno(errno.EAFNOSUPPORT), "socket", (0, CMP_GT, max(ok), 0))
        filters.append(f)
        done.append("RestrictAddressFamilies=" + " ".join(fams))
    ns = last(unit, "RestrictNamespaces")
    if ns and ns.lower() not in ("no", "false"):
        allowed = set() if ns.lower() in ("yes", "true") else set(ns.lstrip("~").split())
        if ns.startswith("~"):
            allowed = set(NS_FLAGS) - allowed
        f = Filter(lib, ALLOW)
        for name, flag in NS_FLAGS.items():
            if name in allowed:
                continue
            f.rule(act_errno(errno.EPERM), "unshare", (0, CMP_MASKED_EQ, flag, flag))
            f.rule(act_errno(errno.EPERM), "clone", (0, CMP_MASKED_EQ, flag, flag))
            f.rule(act_errno(errno.EPERM), "setns", (1, CMP_MASKED_EQ, flag, flag))
        f.rule(act_errno(errno.EPERM), "setns", (1, CMP_EQ, 0, 0))
        f.rule(act_errno(errno.ENOSYS), "clone3")
        filters.append(f)
        done.append("RestrictNamespaces=" + ns)
    if yes(unit, "MemoryDenyWriteExecute"):
        f = Filter(lib, ALLOW)
        PROT_WRITE, PROT_EXEC = 2, 4
        f.rule(act_errno(errno.EPERM), "mmap",
               (2, CMP_MASKED_EQ, PROT_WRITE | PROT_EXEC, PROT_WRITE | PROT_EXEC))
        f.rule(act_errno(errno.EPERM), "mprotect", (2, CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC))
        f.rule(act_errno(errno.EPERM), "pkey_mprotect", (2, CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC))
        filters.append(f)
        done.append("MemoryDenyWriteExecute=yes")
    if last(unit, "SystemCallArchitectures") == "native":
        done.append("SystemCallArchitectures=native (libseccomp's default: other ABIs killed)")
    if not dry:
        # the allow-list last, as systemd does: it may not allow seccomp()
        # itself, which loading the others needs
        for f in filters[1:] + filters[:1] if allow is not None else filters:
            f.load()
    return done


def main():
    args = sys.argv[1:]
    if not args or args[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if args else 2
    unit = parse_unit(args[0])
    maps, dry = {}, False
    i = 1
    while i < len(args):
        if args[i] == "--map" and i + 1 < len(args):
            a, b = args[i + 1].split("=", 1)
            maps[a] = b
            i += 2
        elif args[i] == "--print":
            dry = True
            i += 1
        else:
            sys.exit("unit_exec: unknown argument " + args[i])

    exec_start = last(unit, "ExecStart")
    if not exec_start:
        sys.exit("unit_exec: no ExecStart=")
    exec_start = exec_start.lstrip("-@:+!")

    def var(m):
        return os.environ.get(m.group(1) or m.group(2), "")
    argv = []
    for w in shlex.split(exec_start):
        if re.fullmatch(r"\$(\w+)", w):  # $VAR: split on whitespace
            argv += var(re.fullmatch(r"\$(\w+)()", w)).split()
        else:
            argv.append(re.sub(r"\$\{(\w+)\}()", var, w))
    argv[0] = maps.get(argv[0], argv[0])

    setpriv = ["setpriv"]
    bset = [w.lower() for v in unit.get("CapabilityBoundingSet", []) for w in v.split()]
    if bset:
        if bset[0].startswith("~"):
            setpriv.append("--bounding-set=" + ",".join("-" + c[4:] for c in
                                                       [bset[0][1:]] + bset[1:]))
        else:
            for c in bset:
                if c not in CAPS:
                    sys.exit("unit_exec: unknown capability " + c)
            setpriv.append("--bounding-set=-all," + ",".join("+" + c[4:] for c in bset))
    amb = [w.lower() for v in unit.get("AmbientCapabilities", []) for w in v.split()]
    setpriv.append("--inh-caps=-all" + "".join(",+" + c[4:] for c in amb))
    setpriv.append("--ambient-caps=-all" + "".join(",+" + c[4:] for c in amb))
    if yes(unit, "NoNewPrivileges"):
        setpriv.append("--no-new-privs")
    user, group = last(unit, "User"), last(unit, "Group")
    if user and user != "root":
        setpriv += ["--reuid=" + user, "--regid=" + (group or user), "--init-groups"]
    umask = last(unit, "UMask", "0022")
    done = install_seccomp(unit, dry)
    cmd = setpriv + ["--"] + argv
    if dry:
        print("umask " + umask)
        for d in done:
            print("seccomp: " + d)
        print(" ".join(shlex.quote(a) for a in cmd))
        return 0
    os.umask(int(umask, 8))
    os.execvp(cmd[0], cmd)


if __name__ == "__main__":
    sys.exit(main())
