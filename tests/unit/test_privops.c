/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_privops: the privileged side's request checks (allow-listed writes
 * pass, forged ones are refused, corrupt messages stop it), the knob proxy,
 * channel connects, and dropping privileges with the seccomp filter. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "knob.h"
#include "privops.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static char root[64], sockdir[128];
static const char *const kinds[] = { "sysctl", NULL };
static const char *dirs[2];
static pid_t server;
static int cfd = -1;

static void put(const char *rel, const char *content)
{
	char p[512], d[512];
	snprintf(p, sizeof p, "%s/%s", root, rel);
	for (char *s = strchr(p + strlen(root) + 1, '/'); s; s = strchr(s + 1, '/')) {
		snprintf(d, sizeof d, "%.*s", (int)(s - p), p);
		mkdir(d, 0755);
	}
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static const char *slurp(const char *rel)
{
	static char buf[256];
	char p[512];
	snprintf(p, sizeof p, "%s/%s", root, rel);
	FILE *f = fopen(p, "r");
	if (!f)
		return NULL;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* A view that counts its calls in the state and sets one metric. */
static int fake_view(const char *r, const char *tap, const char *bridge, const char *netns,
		     uint64_t now_ns, void *state, size_t len, struct mvec *host)
{
	(void)r, (void)bridge, (void)netns;
	if (len != sizeof(uint64_t) || strcmp(tap, "tap0"))
		return -EINVAL;
	uint64_t n;
	memcpy(&n, state, sizeof n);
	n += now_ns;
	memcpy(state, &n, sizeof n);
	mvec_set(host, M_HOST_BRIDGE_NF, 1);
	return 0;
}

/* Start privops_serve in a child on a fresh socketpair; the client end is
 * installed with privops_client. */
static void start(void)
{
	int sp[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
	server = fork();
	assert_true(server >= 0);
	if (server == 0) {
		close(sp[0]);
		struct privops_conf c = { .root = root, .kinds = kinds, .dirs = dirs,
					  .view = fake_view };
		int r = privops_serve(sp[1], &c);
		_exit(r == 0 ? 0 : r == -EPROTO ? 3 : 4);
	}
	close(sp[1]);
	cfd = sp[0];
	assert_int_equal(privops_client(cfd, kinds), 0);
}

/* Close the client end; the server's exit status. */
static int stop(void)
{
	int st = 0;
	privops_client(-1, NULL);
	close(cfd);
	cfd = -1;
	assert_int_equal(waitpid(server, &st, 0), server);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb, (void)flag, (void)f;
	return remove(p);
}

static int setup(void **state)
{
	(void)state;
	strcpy(root, "/tmp/vtune-privops-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	put("proc/sys/net/core/somaxconn", "128\n");
	put("proc/sys/kernel/core_pattern", "core\n");
	snprintf(sockdir, sizeof sockdir, "%s/chan", root);
	mkdir(sockdir, 0755);
	dirs[0] = sockdir;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	nftw(root, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static int forged(uint32_t op, const char *kind, const char *target, const char *key,
		  const char *value)
{
	struct privops_req q;
	struct privops_reply rep;
	memset(&q, 0, sizeof q);
	q.op = op;
	snprintf(q.kind, sizeof q.kind, "%s", kind);
	snprintf(q.target, sizeof q.target, "%s", target);
	snprintf(q.key, sizeof q.key, "%s", key);
	snprintf(q.value, sizeof q.value, "%s", value);
	assert_int_equal(privops_call(&q, &rep), 0);
	return rep.rc;
}

/* The proxied sysctl kind: writes and reads go through the server. */
static void test_proxy_write(void **state)
{
	(void)state;
	char buf[64];
	start();
	const struct knob *ops = knob_find("sysctl");
	assert_ptr_not_equal(ops->ops, &knob_sysctl_ops);
	assert_ptr_equal(knob_find_real("sysctl")->ops, &knob_sysctl_ops);
	/* the root prefix is the server's: the client's is ignored */
	assert_int_equal(knob_write(ops, "/nonexistent", "", "net.core.somaxconn", "4096"), 0);
	assert_string_equal(slurp("proc/sys/net/core/somaxconn"), "4096\n");
	assert_int_equal(knob_read(ops, "/", "", "net.core.somaxconn", buf, sizeof buf), 0);
	assert_string_equal(buf, "4096");
	assert_int_equal(knob_read(ops, "/", "", "net.core.somaxconn", buf, 3), -EOVERFLOW);
	/* a value the local check refuses is not even sent */
	assert_int_equal(knob_write(ops, "/", "", "net.core.somaxconn", "7"), -ERANGE);
	assert_int_equal(knob_restore(ops, "/", "", "net.core.somaxconn", "128"), 0);
	assert_string_equal(slurp("proc/sys/net/core/somaxconn"), "128\n");
	assert_int_equal(knob_changed("/", "sysctl", "", "net.core.somaxconn", "128", NULL, 0), 0);
	assert_int_equal(stop(), 0);
	assert_ptr_equal(knob_find("sysctl")->ops, &knob_sysctl_ops);
}

/* Forged requests that skip the client's own checks are refused by the
 * server, which goes on serving. */
static void test_forged_refused(void **state)
{
	(void)state;
	start();
	assert_int_equal(forged(PRIVOP_KNOB_WRITE, "sysctl", "", "kernel.core_pattern", "|/x"),
			 -EPERM);
	assert_string_equal(slurp("proc/sys/kernel/core_pattern"), "core\n");
	assert_int_equal(forged(PRIVOP_KNOB_WRITE, "sysctl", "", "net.core.somaxconn", "99999999"),
			 -ERANGE);
	assert_int_equal(forged(PRIVOP_KNOB_WRITE, "sysctl", "", "net.core.somaxconn", "1 2"),
			 -EINVAL);
	assert_string_equal(slurp("proc/sys/net/core/somaxconn"), "128\n");
	assert_int_equal(forged(PRIVOP_KNOB_WRITE, "sysctl", "", "../../etc/passwd", "1"), -EINVAL);
	assert_int_equal(forged(PRIVOP_KNOB_WRITE, "sysctl", "", "net.core/../x", "1"), -EINVAL);
	assert_int_equal(forged(PRIVOP_KNOB_WRITE, "sysctl", "eth0", "net.core.somaxconn", "256"),
			 -EINVAL);
	assert_int_equal(forged(PRIVOP_KNOB_WRITE, "nope", "", "x", "1"), -EPERM);
	/* registered, but not a kind this server serves */
	assert_int_equal(forged(PRIVOP_KNOB_WRITE, "offload", "tap0", "tso", "off"), -EPERM);
	/* restore skips ranges, never the list */
	assert_int_equal(forged(PRIVOP_KNOB_RESTORE, "sysctl", "", "kernel.core_pattern", "x"),
			 -EPERM);
	/* reads: allow-listed sysctls only */
	assert_int_equal(forged(PRIVOP_KNOB_READ, "sysctl", "", "kernel.core_pattern", ""), -EPERM);
	assert_int_equal(forged(PRIVOP_KNOB_READ, "sysctl", "", "net.core.somaxconn", ""), 0);
	/* a control character */
	assert_int_equal(forged(PRIVOP_KNOB_WRITE, "sysctl", "", "net.core.somaxconn", "256\n"),
			 -EINVAL);
	/* still serving */
	assert_int_equal(forged(PRIVOP_KNOB_WRITE, "sysctl", "", "net.core.somaxconn", "256"), 0);
	assert_string_equal(slurp("proc/sys/net/core/somaxconn"), "256\n");
	assert_int_equal(stop(), 0);
}

static int listen_at(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	unlink(path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static void test_connect_unix(void **state)
{
	(void)state;
	char in[256], out[256], link[256], dots[300];
	snprintf(in, sizeof in, "%s/g1.sock", sockdir);
	snprintf(out, sizeof out, "%s/outside.sock", root);
	snprintf(link, sizeof link, "%s/evil.sock", sockdir);
	snprintf(dots, sizeof dots, "%s/../outside.sock", sockdir);
	int l1 = listen_at(in), l2 = listen_at(out);
	assert_int_equal(symlink(out, link), 0);
	start();
	int fd = privops_connect_unix(in);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(write(fd, "x", 1), 1);
	int a = accept(l1, NULL, NULL);
	char c = 0;
	assert_int_equal(read(a, &c, 1), 1);
	assert_int_equal(c, 'x');
	close(a);
	close(fd);
	assert_int_equal(privops_connect_unix(out), -EPERM);
	assert_int_equal(privops_connect_unix(link), -EPERM);
	assert_int_equal(privops_connect_unix(dots), -EINVAL);
	assert_int_equal(privops_connect_unix("g1.sock"), -EINVAL);
	assert_int_equal(privops_connect_unix(sockdir), -EPERM);
	assert_int_equal(privops_connect_unix("/etc/passwd"), -EPERM);
	assert_int_equal(stop(), 0);
	close(l1);
	close(l2);
}

static void test_view(void **state)
{
	(void)state;
	uint64_t st = 5;
	struct mvec host;
	mvec_clear(&host);
	start();
	assert_int_equal(privops_view(&st, sizeof st, "tap0", "br0", "", 10, &host), 0);
	assert_int_equal(st, 15);
	assert_true(mvec_has(&host, M_HOST_BRIDGE_NF));
	assert_int_equal(privops_view(&st, sizeof st, "ta/p", "br0", "", 10, &host), -EINVAL);
	assert_int_equal(stop(), 0);
}

/* Each corrupt message stops the server with a failure. */
static void test_corrupt(void **state)
{
	(void)state;
	struct privops_req q;
	char big[sizeof q + 16];

	start(); /* short */
	assert_int_equal(send(cfd, "abc", 3, 0), 3);
	assert_int_equal(stop(), 3);

	start(); /* oversized */
	memset(big, 0, sizeof big);
	assert_int_equal(send(cfd, big, sizeof big, 0), (ssize_t)sizeof big);
	assert_int_equal(stop(), 3);

	start(); /* an unterminated string */
	memset(&q, 'a', sizeof q);
	q.op = PRIVOP_KNOB_READ;
	q.state_len = 0;
	assert_int_equal(send(cfd, &q, sizeof q, 0), (ssize_t)sizeof q);
	assert_int_equal(stop(), 3);

	start(); /* an unknown op */
	memset(&q, 0, sizeof q);
	q.op = 99;
	assert_int_equal(send(cfd, &q, sizeof q, 0), (ssize_t)sizeof q);
	assert_int_equal(stop(), 3);

	start(); /* a state length past the array */
	memset(&q, 0, sizeof q);
	q.op = PRIVOP_VIEW;
	q.state_len = PRIVOPS_STATE_MAX + 1;
	assert_int_equal(send(cfd, &q, sizeof q, 0), (ssize_t)sizeof q);
	assert_int_equal(stop(), 3);
}

/* privops_drop and the seccomp filter, in a child (needs root). */
static void test_drop(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	pid_t p = fork();
	assert_true(p >= 0);
	if (p == 0) {
		char why[256] = "";
		uint64_t eff = 1;
		if (privops_drop(0, 0, why, sizeof why) != -EINVAL)
			_exit(10);
		if (privops_drop(65534, 65534, why, sizeof why)) {
			fprintf(stderr, "drop: %s\n", why);
			_exit(11);
		}
		if (privops_cap_eff(&eff) || eff || getuid() != 65534 || getgid() != 65534)
			_exit(12);
		if (privops_seccomp())
			_exit(13);
		char *argv[] = { (char *)"/bin/true", NULL };
		execv("/bin/true", argv);
		if (errno != EPERM)
			_exit(14);
		if (socket(AF_PACKET, SOCK_RAW, 0) >= 0 || errno != EPERM)
			_exit(15);
		int s = socket(AF_UNIX, SOCK_STREAM, 0);
		if (s < 0)
			_exit(16);
		close(s);
		char line[128];
		int mode = -1;
		FILE *f = fopen("/proc/self/status", "r");
		if (!f)
			_exit(17);
		while (fgets(line, sizeof line, f))
			sscanf(line, "Seccomp: %d", &mode);
		fclose(f);
		_exit(mode == 2 ? 0 : 18);
	}
	int st = 0;
	assert_int_equal(waitpid(p, &st, 0), p);
	if (!WIFEXITED(st))
		fail_msg("the child died of signal %d", WTERMSIG(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proxy_write),
		cmocka_unit_test(test_forged_refused),
		cmocka_unit_test(test_connect_unix),
		cmocka_unit_test(test_view),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_drop),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
