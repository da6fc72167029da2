/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_actl: vtune-agent's control socket (agent/actl.c) and what it serves
 * (agent_revert_serve, lib/undo.c undo_serve): a socket of mode 0600 in a
 * directory it makes; one that answers is never taken over, a stale one is;
 * a client's request answered from the agent's wait; garbage answered with
 * an error; a revert asked for the journal the agent holds (a dry run that
 * changes nothing, then the real one), another journal refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "actl.h"
#include "agent.h"
#include "ctl_client.h"
#include "journal.h"
#include "kfs.h"
#include "log.h"
#include "vclock.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define SOMAX "proc/sys/net/core/somaxconn"

static char dir[40], sock[96];
static volatile sig_atomic_t stop;

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/vtune-actl.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(sock, sizeof sock, "%s/run/agent.sock", dir);
	log_init("test_actl", 0, LOG_DEBUG); /* quiet */
	stop = 0;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static json_object *echo(void *arg, json_object *req)
{
	(void)arg;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "got", json_object_get(req));
	stop = 1; /* one request is all the test wants */
	return o;
}

/* A client in a child process: sends text (a line, or raw bytes), writes
 * the reply line it gets to the pipe. */
static pid_t client(const char *text, int raw, int out)
{
	pid_t pid = fork();
	if (pid)
		return pid;
	char buf[4096] = "";
	if (raw) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
		    write(fd, text, strlen(text)) < 0)
			_exit(1);
		ssize_t n = read(fd, buf, sizeof buf - 1);
		buf[n > 0 ? n : 0] = 0;
	} else {
		json_object *req = json_tokener_parse(text), *rep = NULL;
		char err[256];
		if (ctl_request(sock, req, &rep, err, sizeof err))
			snprintf(buf, sizeof buf, "error: %s\n", err);
		else
			snprintf(buf, sizeof buf, "%s\n",
				 json_object_to_json_string_ext(rep, JSON_C_TO_STRING_PLAIN));
	}
	if (write(out, buf, strlen(buf)) < 0)
		_exit(1);
	_exit(0);
}

/* Serve until the client's answer is there; the answer. */
static char *ask(struct actl *c, const char *text, int raw)
{
	static char got[4096];
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = client(text, raw, p[1]);
	stop = 0;
	actl_serve_until(c, vclock_mono_ns() + 3000000000ull, &stop);
	int st;
	waitpid(pid, &st, 0);
	close(p[1]);
	ssize_t n = read(p[0], got, sizeof got - 1);
	close(p[0]);
	got[n > 0 ? n : 0] = 0;
	return got;
}

static void test_socket(void **state)
{
	(void)state;
	int err = 0;
	struct actl *c = actl_open(sock, echo, NULL, &err);
	assert_non_null(c);
	struct stat st;
	assert_int_equal(lstat(sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	/* another agent: never takes over one that answers */
	assert_null(actl_open(sock, echo, NULL, &err));
	assert_int_equal(err, -EADDRINUSE);
	char *got = ask(c, "{\"cmd\":\"x\"}", 0);
	assert_non_null(strstr(got, "\"got\":{\"cmd\":\"x\"}"));
	got = ask(c, "not json\n", 1);
	assert_non_null(strstr(got, "\"error\":\"not a JSON object\""));
	actl_close(c);
	assert_int_equal(lstat(sock, &st), -1); /* removed */
	/* a stale socket (an agent killed): replaced */
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	close(fd);
	c = actl_open(sock, echo, NULL, &err);
	assert_non_null(c);
	actl_close(c);
	/* not a socket at its name: left alone */
	FILE *f = fopen(sock, "w");
	fclose(f);
	assert_null(actl_open(sock, echo, NULL, &err));
	assert_int_equal(err, -EEXIST);
	/* no socket: actl_serve_until just waits */
	uint64_t t0 = vclock_mono_ns();
	stop = 0;
	actl_serve_until(NULL, t0 + 50000000ull, &stop);
	assert_true(vclock_mono_ns() - t0 >= 50000000ull);
}

static void test_revert_served(void **state)
{
	(void)state;
	char root[64], jpath[80], p[128], line[512];
	snprintf(root, sizeof root, "%s/root", dir);
	snprintf(jpath, sizeof jpath, "%s/state/journal", dir);
	snprintf(p, sizeof p, "%s/proc/sys/net/core", root);
	char cmd[512];
	snprintf(cmd, sizeof cmd, "mkdir -p '%s' && echo 4096 > '%s/somaxconn'", p, p);
	assert_int_equal(system(cmd), 0);
	int err = 0;
	struct journal *j = journal_open(jpath, &err);
	assert_non_null(j);
	char msg[256];
	struct jrec ch = { .side = "guest", .domain = "", .kind = "sysctl", .target = "",
			   .key = "net.core.somaxconn", .new = "8192", .rule = "r" };
	assert_int_equal(journal_apply(j, root, &ch, 0, msg, sizeof msg), 0);
	struct agent_ctl_ctx ctx = { j, jpath, root };
	struct actl *c = agent_ctl_open(sock, &ctx);
	assert_non_null(c);
	/* the journal it holds: a dry run changes nothing */
	snprintf(line, sizeof line, "{\"cmd\":\"revert\",\"all\":true,\"dry_run\":true,"
		 "\"journal\":\"%s\"}", jpath);
	char *got = ask(c, line, 0);
	assert_non_null(strstr(got, "\"lines\":[\"would revert sysctl net.core.somaxconn 8192 -> "
				    "4096 (rule r)\"]"));
	assert_non_null(strstr(got, "\"by\":\"vtune-agent\""));
	char v[32];
	assert_int_equal(kfs_read_str(root, SOMAX, v, sizeof v), 0);
	assert_string_equal(v, "8192");
	/* another journal: refused, nothing done */
	got = ask(c, "{\"cmd\":\"revert\",\"all\":true,\"journal\":\"/elsewhere/journal\"}", 0);
	assert_non_null(strstr(got, "\"ok\":false"));
	assert_non_null(strstr(got, "not \\/elsewhere\\/journal"));
	got = ask(c, "{\"cmd\":\"revert\"}", 0);
	assert_non_null(strstr(got, "say what to revert"));
	got = ask(c, "{\"cmd\":\"status\"}", 0);
	assert_non_null(strstr(got, "unknown cmd"));
	assert_int_equal(kfs_read_str(root, SOMAX, v, sizeof v), 0);
	assert_string_equal(v, "8192");
	/* the real one */
	snprintf(line, sizeof line, "{\"cmd\":\"revert\",\"all\":true,\"journal\":\"%s\"}", jpath);
	got = ask(c, line, 0);
	assert_non_null(strstr(got, "\"lines\":[\"reverted sysctl net.core.somaxconn 8192 -> "
				    "4096 (rule r)\"]"));
	assert_non_null(strstr(got, "\"not_restored\":0"));
	assert_int_equal(kfs_read_str(root, SOMAX, v, sizeof v), 0);
	assert_string_equal(v, "4096");
	actl_close(c);
	journal_close(j);
	/* "off": no socket */
	assert_null(agent_ctl_open("off", &ctx));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revert_served, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
