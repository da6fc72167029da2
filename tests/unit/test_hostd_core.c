/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_hostd_core: vtune-hostd's event loop (fd handlers, timers), the sim
 * backend (guests as sockets in a directory, inotify), the control socket
 * with its client, the host executor table, and the control commands a
 * daemon answers (hostd/ctl_cmds.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "backend_table.h"
#include "ctl.h"
#include "ctl_client.h"
#include "action.h"
#include "hostd.h"
#include "log.h"
#include "loop.h"
#include "vclock.h"

static int fired[4];

static void timer_cb(void *arg)
{
	fired[(intptr_t)arg]++;
}

struct fdctx {
	struct loop *l;
	int calls;
};

static void fd_cb(void *arg, int fd, uint32_t events)
{
	struct fdctx *c = arg;
	char b[16];
	assert_true(events & EPOLLIN);
	assert_true(read(fd, b, sizeof b) > 0);
	c->calls++;
}

static void test_loop(void **state)
{
	(void)state;
	int err = 0, sv[2];
	struct loop *l = loop_new(&err);
	assert_non_null(l);
	memset(fired, 0, sizeof fired);
	uint64_t now = vclock_mono_ns();
	loop_timer_add(l, now + 20000000, timer_cb, (void *)(intptr_t)1);
	int id = loop_timer_add(l, now + 10000000, timer_cb, (void *)(intptr_t)2);
	loop_timer_add(l, now, timer_cb, (void *)(intptr_t)3);
	loop_timer_cancel(l, id);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	struct fdctx c = { l, 0 };
	assert_int_equal(loop_add_fd(l, sv[0], EPOLLIN, fd_cb, &c), 0);
	assert_int_equal(loop_add_fd(l, sv[0], EPOLLIN, fd_cb, &c), -EEXIST);
	assert_int_equal(write(sv[1], "x", 1), 1);
	for (int i = 0; i < 20 && !fired[1]; i++)
		assert_int_equal(loop_run_once(l, 50), 0);
	assert_int_equal(c.calls, 1);
	assert_int_equal(fired[1], 1);
	assert_int_equal(fired[2], 0);
	assert_int_equal(fired[3], 1);
	assert_int_equal(loop_del_fd(l, sv[0]), 0);
	assert_int_equal(loop_del_fd(l, sv[0]), -ENOENT);
	assert_int_equal(loop_mod_fd(l, sv[0], EPOLLIN), -ENOENT);
	close(sv[0]);
	close(sv[1]);
	loop_free(l);
}

struct seen {
	int up, down;
	char last[BK_NAME_MAX];
	char channel[108];
};

static void bk_cb(void *arg, enum bk_event_type t, const struct bk_guest *g)
{
	struct seen *s = arg;
	if (t == BK_GUEST_UP)
		s->up++;
	if (t == BK_GUEST_DOWN)
		s->down++;
	snprintf(s->last, sizeof s->last, "%s", g->name);
	snprintf(s->channel, sizeof s->channel, "%s", g->channel);
}

static int listen_at(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static void test_sim_backend(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_hostd_simXXXXXX", path[256];
	int err = 0;
	char why[128];
	assert_non_null(mkdtemp(dir));
	const struct backend_ops *ops = backend_find("sim");
	assert_non_null(ops);
	assert_null(backend_find("nope"));
	assert_null(ops->open(NULL, "/", &err, why, sizeof why));
	assert_int_equal(err, -EINVAL);
	assert_null(ops->open("/nonexistent/dir", "/", &err, why, sizeof why));

	snprintf(path, sizeof path, "%s/web1.sock", dir);
	int l1 = listen_at(path);
	snprintf(path, sizeof path, "%s/not-a-socket.sock", dir);
	FILE *f = fopen(path, "w");
	fclose(f);
	snprintf(path, sizeof path, "%s/bad name.sock", dir);
	int l2 = listen_at(path);

	struct backend *b = ops->open(dir, "/", &err, why, sizeof why);
	assert_non_null(b);
	struct seen s = { 0 };
	assert_int_equal(ops->list(b, bk_cb, &s), 0);
	assert_int_equal(s.up, 1);
	assert_string_equal(s.last, "web1");
	snprintf(path, sizeof path, "%s/web1.sock", dir);
	assert_string_equal(s.channel, path);

	/* appear / disappear */
	snprintf(path, sizeof path, "%s/web2.sock", dir);
	int l3 = listen_at(path);
	assert_true(ops->event_fd(b) >= 0);
	assert_int_equal(ops->dispatch(b, bk_cb, &s), 0);
	assert_int_equal(s.up, 2);
	assert_string_equal(s.last, "web2");
	unlink(path);
	assert_int_equal(ops->dispatch(b, bk_cb, &s), 0);
	assert_int_equal(s.down, 1);

	/* host view from web1.host; out-of-range and guest.* lines ignored */
	snprintf(path, sizeof path, "%s/web1.host", dir);
	f = fopen(path, "w");
	fprintf(f, "host.vcpu.delay 12.5\nhost.cpu.busy_max 300\nguest.cpu.steal 5\njunk\n");
	fclose(f);
	struct bk_guest g = { .name = "web1" };
	struct mvec m;
	mvec_clear(&m);
	assert_int_equal(ops->host_view(b, &g, 0, &m), 0);
	assert_true(mvec_get(&m, M_HOST_VCPU_DELAY) == 12.5);
	assert_false(mvec_has(&m, M_HOST_CPU_BUSY_MAX));
	assert_false(mvec_has(&m, M_GUEST_CPU_STEAL));
	ops->close(b);
	close(l1);
	close(l2);
	close(l3);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static json_object *echo_handler(void *arg, json_object *req)
{
	int *calls = arg;
	json_object *v, *o = json_object_new_object();
	(*calls)++;
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	if (json_object_object_get_ex(req, "cmd", &v))
		json_object_object_add(o, "echo", json_object_get(v));
	return o;
}

struct client_arg {
	const char *path;
	int rc;
	char err[256];
	char echo[64];
	int done;
};

static void *client_thread(void *p)
{
	struct client_arg *a = p;
	json_object *req = json_object_new_object(), *rep = NULL, *v;
	json_object_object_add(req, "cmd", json_object_new_string("status"));
	a->rc = ctl_request(a->path, req, &rep, a->err, sizeof a->err);
	if (rep && json_object_object_get_ex(rep, "echo", &v))
		snprintf(a->echo, sizeof a->echo, "%s", json_object_get_string(v));
	json_object_put(req);
	if (rep)
		json_object_put(rep);
	__atomic_store_n(&a->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void test_ctl(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_hostd_ctlXXXXXX", path[256];
	int err = 0, calls = 0;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/sub/ctl.sock", dir);

	/* No daemon: a clear error. */
	json_object *req = json_object_new_object(), *rep = NULL;
	char e[256];
	assert_true(ctl_request(path, req, &rep, e, sizeof e) < 0);
	assert_non_null(strstr(e, "cannot reach vtune-hostd at"));
	json_object_put(req);

	struct loop *l = loop_new(&err);
	struct ctl *c = ctl_open(l, path, echo_handler, &calls, &err);
	assert_non_null(c);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* A second server on the same path: refused, the first one answers. */
	int err2 = 0;
	assert_null(ctl_open(l, path, echo_handler, &calls, &err2));
	assert_int_equal(err2, -EADDRINUSE);

	struct client_arg a = { .path = path };
	pthread_t t;
	pthread_create(&t, NULL, client_thread, &a);
	for (int i = 0; i < 200 && !__atomic_load_n(&a.done, __ATOMIC_SEQ_CST); i++)
		loop_run_once(l, 10);
	pthread_join(t, NULL);
	assert_int_equal(a.rc, 0);
	assert_string_equal(a.echo, "status");
	assert_int_equal(calls, 1);

	/* Garbage and an overlong request get an error reply, not a crash. */
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	assert_true(strlen(path) < sizeof sa.sun_path);
	strcpy(sa.sun_path, path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	loop_run_once(l, 10);
	char big[10000];
	memset(big, 'x', sizeof big);
	big[sizeof big - 1] = '\n';
	assert_int_equal(write(fd, "[1,2]\n", 6), 6);
	assert_int_equal(write(fd, big, sizeof big), (ssize_t)sizeof big);
	char buf[4096] = "";
	size_t got = 0;
	for (int i = 0; i < 100 && !strstr(buf, "too long"); i++) {
		loop_run_once(l, 10);
		ssize_t n = recv(fd, buf + got, sizeof buf - 1 - got, MSG_DONTWAIT);
		if (n > 0)
			got += (size_t)n;
		buf[got] = 0;
	}
	assert_non_null(strstr(buf, "one JSON object"));
	assert_non_null(strstr(buf, "too long"));
	close(fd);
	loop_run_once(l, 10);

	ctl_close(c);
	assert_int_equal(stat(path, &st), -1); /* unlinked */
	loop_free(l);
	snprintf(path, sizeof path, "%s/sub", dir);
	rmdir(path);
	rmdir(dir);
}

/* The backend contract: every backend fills the slots hostd calls without
 * asking, and what each can do is what the policy check is told. */
static void test_backend_contract(void **state)
{
	(void)state;
	static const char *const names[] = { "sim", "kvm", "xen" };
	for (size_t i = 0; i < 3; i++) {
		const struct backend_ops *ops = backend_find(names[i]);
		assert_non_null(ops);
		assert_string_equal(ops->name, names[i]);
		assert_non_null(ops->open);
		assert_non_null(ops->close);
		assert_non_null(ops->list);
		assert_non_null(ops->dispatch);
		assert_non_null(ops->host_view);
		assert_non_null(ops->privsep_dirs);
		/* channels: all three slots or none */
		assert_int_equal(!ops->channels_open, !ops->channels_close);
		assert_int_equal(!ops->channels_open, !ops->channels_guest_down);
		/* every pin mode it names is one the policy language has */
		for (size_t k = 0; ops->pin_modes && ops->pin_modes[k]; k++) {
			struct pol_action a = { .side = POL_HOST, .act = act_by_name("pin") };
			char why[128];
			assert_int_equal(act_from_spec("pin", &(struct act_spec){ .key = ops->pin_modes[k] },
						       &a, why, sizeof why), -EPERM); /* not a guest action */
			assert_non_null(ops->plan_pin);
		}
	}
	assert_false(backend_can("sim", ACT_NEEDS_PIN_MODE, "emulator-away"));
	assert_true(backend_can("kvm", ACT_NEEDS_PIN_MODE, "emulator-away"));
	assert_true(backend_can("kvm", ACT_NEEDS_PIN_MODE, "vcpus-spread"));
	assert_false(backend_can("kvm", ACT_NEEDS_PIN_MODE, "dom0-away"));
	assert_true(backend_can("xen", ACT_NEEDS_PIN_MODE, "dom0-away"));
	assert_false(backend_can("xen", ACT_NEEDS_PIN_MODE, "emulator-away"));
	assert_true(backend_can("kvm", ACT_NEEDS_NOTHING, "net.core.somaxconn"));
	assert_false(backend_can("nope", ACT_NEEDS_NOTHING, "net.core.somaxconn"));
	/* privilege separation: xen cannot, sim names its directory */
	const char *dirs[4];
	char buf[256], why[128];
	assert_int_equal(backend_find("xen")->privsep_dirs(NULL, dirs, 4, buf, sizeof buf, why,
							   sizeof why), -EOPNOTSUPP);
	assert_int_equal(backend_find("sim")->privsep_dirs("/tmp", dirs, 4, buf, sizeof buf, why,
							   sizeof why), 1);
	assert_string_equal(dirs[0], "/tmp");
	assert_null(dirs[1]);
	assert_int_equal(backend_find("kvm")->privsep_dirs(NULL, dirs, 4, buf, sizeof buf, why,
							   sizeof why), 3);
}

static void test_check_config(void **state)
{
	(void)state;
	char pol[] = "/tmp/test_hostd_polXXXXXX";
	int fd = mkstemp(pol);
	static const char good[] =
		"version: 1\nrules:\n  - name: r\n    when: guest.tcp.listen_overflows > 10/s\n"
		"    guest:\n      - sysctl: net.core.somaxconn\n        set: 4096\n";
	assert_int_equal(write(fd, good, sizeof good - 1), (ssize_t)(sizeof good - 1));
	close(fd);
	struct hostd_opts o = { .backend = "sim", .policy = pol, .interval_s = 5, .root = "/" };
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	assert_int_equal(hostd_check_config(&o, f), 0);
	o.backend = "vmware";
	o.interval_s = 0;
	o.policy = "/nonexistent.yaml";
	assert_int_equal(hostd_check_config(&o, f), -EINVAL);
	fclose(f);
	assert_non_null(strstr(out, "unknown backend 'vmware'"));
	assert_non_null(strstr(out, "--interval"));
	assert_non_null(strstr(out, "/nonexistent.yaml"));
	free(out);
	unlink(pol);
}

/* One request to the daemon h: its reply's "ok", and its "error" in err. */
static int ask(struct hostd *h, const char *json, char *err, size_t n)
{
	json_object *req = json_tokener_parse(json), *v;
	assert_non_null(req);
	json_object *rep = hostd_handle_request(h, req);
	assert_non_null(rep);
	assert_true(json_object_object_get_ex(rep, "ok", &v));
	int ok = json_object_get_boolean(v);
	snprintf(err, n, "%s", json_object_object_get_ex(rep, "error", &v)
		 ? json_object_get_string(v) : "");
	json_object_put(rep);
	json_object_put(req);
	return ok;
}

/* The command table: each command answered by its row, the unknown ones
 * told which there are (revert-wait is not named), apply only dry. */
static void test_ctl_cmds(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_hostd_cmdsXXXXXX", guests[64], pol[64], journal[64], ctl[64];
	char err[256], cmd[128];
	assert_non_null(mkdtemp(dir));
	snprintf(guests, sizeof guests, "%s/guests", dir);
	snprintf(pol, sizeof pol, "%s/policy.yaml", dir);
	snprintf(journal, sizeof journal, "%s/state/journal", dir);
	snprintf(ctl, sizeof ctl, "%s/ctl.sock", dir);
	assert_int_equal(mkdir(guests, 0700), 0);
	FILE *f = fopen(pol, "w");
	assert_non_null(f);
	fputs("version: 1\nrules:\n  - name: r\n    when: guest.tcp.listen_overflows > 5/s\n"
	      "    guest:\n      - sysctl: net.core.somaxconn\n        set: 4096\n", f);
	fclose(f);
	struct hostd_opts o = { .backend = "sim", .uri = guests, .policy = pol, .journal = journal,
				.control = ctl, .root = "/", .metrics = "off", .interval_s = 1 };
	int e = 0;
	char why[256] = "";
	struct hostd *h = hostd_new(&o, &e, why, sizeof why);
	assert_non_null(h);

	assert_true(ask(h, "{\"cmd\":\"status\"}", err, sizeof err));
	assert_true(ask(h, "{\"cmd\":\"apply\",\"dry_run\":true}", err, sizeof err));
	assert_false(ask(h, "{\"cmd\":\"apply\"}", err, sizeof err));
	assert_non_null(strstr(err, "only \"dry_run\":true"));
	assert_true(ask(h, "{\"cmd\":\"revert-wait\",\"seqs\":[1]}", err, sizeof err));
	assert_true(ask(h, "{\"cmd\":\"verify\"}", err, sizeof err));
	assert_true(ask(h, "{\"cmd\":\"on\"}", err, sizeof err));
	assert_false(ask(h, "{\"cmd\":\"nope\"}", err, sizeof err));
	assert_string_equal(err, "unknown cmd (status, apply, revert, off, on, verify, report, sriov)");
	assert_false(ask(h, "{\"cmd\":7}", err, sizeof err));
	assert_false(ask(h, "{}", err, sizeof err));
	assert_string_equal(err, "unknown cmd (status, apply, revert, off, on, verify, report, sriov)");

	hostd_free(h);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	log_init("test_hostd_core", 0, LOG_DEBUG); /* quiet */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loop),
		cmocka_unit_test(test_sim_backend),
		cmocka_unit_test(test_ctl),
		cmocka_unit_test(test_backend_contract),
		cmocka_unit_test(test_check_config),
		cmocka_unit_test(test_ctl_cmds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
