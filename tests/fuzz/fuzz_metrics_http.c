/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_metrics_http: vtune-hostd's metrics endpoint. The input is what a
 * scraper writes: its first three lines are also taken as method, path and
 * Accept for the reply's decision (mh_http_decide: 200, 404 or 405 only);
 * then the whole input is sent to a real server (mh_server_open on a unix
 * socket, libmicrohttpd on the loop) and the write side closed. Never a
 * crash; the server closes every connection (at its deadline at the
 * latest), and an answer is an HTTP/1.1 status line. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "loop.h"
#include "metrics_serve.h"
#include "vclock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct loop *l;
static char path[96];

static int render(void *arg, int om, char **out, size_t *len)
{
	(void)arg;
	*out = strdup(om ? "# TYPE x gauge\nx 1\n# EOF\n" : "# TYPE x gauge\nx 1\n");
	if (!*out)
		return -ENOMEM;
	*len = strlen(*out);
	return 0;
}

static void init(void)
{
	static char dir[64], spec[128];
	int err;
	strcpy(dir, "/tmp/vtune-fuzz-mh-XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof path, "%s/metrics.sock", dir);
	snprintf(spec, sizeof spec, "unix:%s", path);
	/* libmicrohttpd does not close an unfinished request at EOF: the
	 * request's deadline does, on a clock the harness moves */
	vclock_fake_start(1000000000000ull, 1700000000000000000ull);
	l = loop_new(&err);
	if (!l || !mh_server_open(l, spec, render, NULL, &err)) {
		fprintf(stderr, "fuzz_metrics_http: no server: %s\n", strerror(-err));
		abort();
	}
}

/* The first three lines of the input as method, path and Accept. */
static void decide(const uint8_t *data, size_t size)
{
	char f[3][256] = { "", "", "" };
	size_t k = 0, o = 0;
	for (size_t i = 0; i < size && k < 3; i++) {
		if (data[i] == '\n' || data[i] == 0) {
			k++;
			o = 0;
		} else if (o + 1 < sizeof f[k]) {
			f[k][o++] = (char)data[i];
			f[k][o] = 0;
		}
	}
	int om = -1, head = -1;
	int st = mh_http_decide(f[0], f[1], k >= 2 ? f[2] : NULL, &om, &head);
	if ((st != 200 && st != 404 && st != 405) || (om != 0 && om != 1) ||
	    head != !strcmp(f[0], "HEAD") || (st != 405 && strcmp(f[0], "GET") && !head))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!l)
		init();
	decide(data, size);

	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		abort();
	size_t sent = 0;
	char reply[512];
	size_t got = 0;
	int done = 0;
	for (int i = 0; i < 2000 && !done; i++) {
		if (sent < size) {
			ssize_t w = send(fd, data + sent, size - sent, MSG_NOSIGNAL);
			if (w > 0)
				sent += (size_t)w;
			else if (errno != EAGAIN)
				sent = size; /* the server has closed */
			if (sent == size)
				shutdown(fd, SHUT_WR);
		}
		if (i == 5)
			vclock_fake_advance(MH_CLIENT_NS);
		loop_run_once(l, i < 100 ? 0 : 1);
		for (;;) {
			char b[4096];
			ssize_t r = recv(fd, b, sizeof b, 0);
			if (r > 0 && got + 1 < sizeof reply) {
				size_t n = (size_t)r < sizeof reply - 1 - got ? (size_t)r : sizeof reply - 1 - got;
				memcpy(reply + got, b, n);
				got += n;
			}
			if (r > 0)
				continue;
			done = r == 0 || errno != EAGAIN;
			break;
		}
	}
	close(fd);
	if (!done) /* every connection is closed: after the reply, or at EOF */
		abort();
	reply[got] = 0;
	if (got && (strncmp(reply, "HTTP/1.1 ", 9) || got < 12 || reply[9] < '1' || reply[9] > '5'))
		abort();
	for (int i = 0; i < 3; i++) /* libmicrohttpd frees the closed one */
		loop_run_once(l, 0);
	return 0;
}
