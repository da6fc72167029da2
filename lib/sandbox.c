/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sandbox: what confines vtune-hostd's two processes under privilege
 * separation: the seccomp allow-lists of the unprivileged daemon and of
 * the privileged parent (libseccomp, with argument filters), and the
 * parent's reduced capability sets (libcap-ng). See privops.h. */
#include "privops.h"
#include "log.h"

#include <cap-ng.h>
#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* What both processes call: their loop, glibc, the log (syslog's socket),
 * the sanitizers. Names this architecture lacks are skipped. */
static const char *const common[] = {
	"read", "write", "readv", "writev", "pread64", "pwrite64", "close", "fstat",
	"newfstatat", "statx", "stat", "lstat", "lseek", "mmap", "munmap", "mprotect", "mremap",
	"madvise", "brk", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack",
	"openat", "open", "faccessat", "faccessat2", "access", "readlink", "readlinkat",
	"getdents64", "getdents", "connect", "sendto", "recvfrom", "sendmsg", "recvmsg",
	"shutdown", "bind", "getsockname", "getpeername", "setsockopt", "getsockopt", "fcntl",
	"flock", "fsync", "fdatasync", "ftruncate", "gettimeofday", "clock_gettime",
	"clock_getres", "clock_nanosleep", "nanosleep", "time", "getpid", "gettid", "getppid",
	"getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid", "getrlimit",
	"prlimit64", "sched_yield", "sched_getaffinity", "futex", "set_robust_list",
	"get_robust_list", "set_tid_address", "exit", "exit_group", "uname", "sysinfo",
	"getrandom", "restart_syscall", "rseq", "umask", "dup", "dup2", "dup3", "poll", "ppoll",
	"select", "pselect6", "wait4", "mincore", "membarrier", "arch_prctl", "getpriority",
	"ioctl", "prctl", NULL,
};

/* The unprivileged daemon's own: its event loop, timers, the control
 * and metrics sockets, the policy reload thread, unlinking its socket. */
static const char *const daemon_only[] = {
	"epoll_create1", "epoll_create", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2",
	"accept", "accept4", "listen", "socketpair", "timerfd_create", "timerfd_settime",
	"timerfd_gettime", "signalfd4", "signalfd", "eventfd2", "eventfd", "inotify_init1",
	"inotify_add_watch", "inotify_rm_watch", "pipe2", "pipe", "unlinkat", "unlink",
	"renameat", "rename", "getcwd", "kill", "tgkill", "tkill", "sched_getparam",
	"sched_getscheduler", NULL,
};

/* The parent's own: knobs (sysfs, procfs, the CPU affinity of vhost and
 * netback threads), the journal it alone writes (a compaction renames and
 * links), and waiting for the child. */
static const char *const parent_only[] = {
	"unlinkat", "unlink", "renameat", "renameat2", "rename", "linkat", "link", "mkdirat",
	"mkdir", "sched_setaffinity", NULL,
};

/* Argument comparisons, every field named (clang warns on libseccomp's
 * macros otherwise). */
static struct scmp_arg_cmp arg_cmp(unsigned arg, enum scmp_compare op, scmp_datum_t a,
				   scmp_datum_t b)
{
	struct scmp_arg_cmp c = { .arg = arg, .op = op, .datum_a = a, .datum_b = b };
	return c;
}

static int allow_names(scmp_filter_ctx ctx, const char *const *names)
{
	for (size_t i = 0; names[i]; i++) {
		int nr = seccomp_syscall_resolve_name(names[i]);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture */
		int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (r < 0)
			return r;
	}
	return 0;
}

/* socket(): unix (channels, control, syslog), netlink (libnl), inet (the
 * metrics endpoint, ethtool's ioctl socket) only. */
static int allow_sockets(scmp_filter_ctx ctx)
{
	static const int families[] = { AF_UNIX, AF_NETLINK, AF_INET, AF_INET6 };
	for (size_t i = 0; i < sizeof families / sizeof families[0]; i++) {
		int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
					 arg_cmp(0, SCMP_CMP_EQ, (scmp_datum_t)families[i], 0));
		if (r < 0)
			return r;
	}
	return 0;
}

/* clone(): threads only (libvirt's client, the policy reload); clone3
 * fails with ENOSYS, which makes glibc fall back to clone. */
static int allow_threads(scmp_filter_ctx ctx)
{
	int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				 arg_cmp(0, SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	return r;
}

int privops_seccomp(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	int r;
	if (!ctx)
		return -ENOMEM;
	if ((r = allow_names(ctx, common)) || (r = allow_names(ctx, daemon_only)) ||
	    (r = allow_sockets(ctx)) || (r = allow_threads(ctx)))
		goto out;
	r = seccomp_load(ctx);
out:
	seccomp_release(ctx);
	return r < 0 ? r : 0;
}

int privops_confine_parent(pid_t child, char *why, size_t n)
{
	/* capabilities: only what the requests need, the bounding set too;
	 * of those, what this process was given (a unit's bounding set may
	 * hold fewer: the requests that need the others fail with EPERM) */
	static const int keep[] = { CAP_NET_ADMIN, CAP_SYS_ADMIN, CAP_SYS_NICE, CAP_DAC_OVERRIDE,
				    CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE, CAP_KILL };
	int have[sizeof keep / sizeof *keep];
	capng_get_caps_process();
	for (size_t i = 0; i < sizeof keep / sizeof *keep; i++)
		have[i] = capng_have_capability(CAPNG_BOUNDING_SET, (unsigned)keep[i]) &&
			  capng_have_capability(CAPNG_PERMITTED, (unsigned)keep[i]);
	capng_clear(CAPNG_SELECT_BOTH);
	for (size_t i = 0; i < sizeof keep / sizeof *keep; i++)
		if (have[i] && capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED |
						       CAPNG_BOUNDING_SET, (unsigned)keep[i]) < 0) {
			snprintf(why, n, "dropping capabilities (libcap-ng) failed");
			return -EPERM;
		}
	static const char *const names[] = { "net_admin", "sys_admin", "sys_nice", "dac_override",
					     "dac_read_search", "sys_ptrace", "kill" };
	char kept[160] = "";
	for (size_t i = 0; i < sizeof keep / sizeof *keep; i++)
		if (have[i])
			snprintf(kept + strlen(kept), sizeof kept - strlen(kept), "%s%s",
				 kept[0] ? " " : "", names[i]);
	if (!kept[0])
		snprintf(kept, sizeof kept, "no capability");
	if (capng_apply(CAPNG_SELECT_BOTH) < 0) {
		snprintf(why, n, "dropping capabilities (libcap-ng) failed");
		return -EPERM;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(why, n, "no_new_privs: %s", strerror(errno));
		return -errno;
	}
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	int r;
	if (!ctx) {
		snprintf(why, n, "seccomp_init failed");
		return -ENOMEM;
	}
	if ((r = allow_names(ctx, common)) || (r = allow_names(ctx, parent_only)) ||
	    (r = allow_sockets(ctx)))
		goto out;
	/* signals: to the child only (forwarding SIGTERM, killing it), and to
	 * itself (raise: the journal's test fault injection) */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1,
				  arg_cmp(0, SCMP_CMP_EQ, (scmp_datum_t)child, 0))) ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
				  arg_cmp(0, SCMP_CMP_EQ, (scmp_datum_t)getpid(), 0))))
		goto out;
	/* setns: into a network namespace only (a guest's bridge) */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setns), 1,
				  arg_cmp(1, SCMP_CMP_EQ, CLONE_NEWNET, 0))))
		goto out;
	r = seccomp_load(ctx);
out:
	seccomp_release(ctx);
	if (r < 0)
		snprintf(why, n, "seccomp filter: %s", strerror(-r));
	else
		log_info("privops: the privileged process keeps %s, under a seccomp filter of its own",
			 kept);
	return r < 0 ? r : 0;
}
