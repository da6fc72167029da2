/* SPDX-License-Identifier: GPL-2.0-or-later */
/* connhold: fill the current network namespace with TCP sockets on loopback
 * and hold them, for the agent's scale bench and tests: established
 * connections (both ends held open by worker processes, each under the
 * RLIMIT_NOFILE it has) and client-side TIME_WAIT sockets (connect, accept,
 * client closes first). Client sockets bind 127.0.0.x:PORT explicitly with
 * PORT in ip_local_port_range, so they are ephemeral ports in use.
 *
 * usage: connhold [--workers W] [--conns N] [--timewait N] [--port P]
 * W workers each hold a listener on 127.0.0.1:P+i (default P 9000) and
 * ceil(N/W) connections to it from 127.0.0.(10+i); TIME_WAIT sockets come
 * from 127.0.0.(100+j), j = one source address per port range. Prints
 * "connhold: ready listeners=W established=N timewait=N" once all are made,
 * then holds them until SIGTERM/SIGINT (the workers exit with it). Exit 1
 * on any failure, with the reason on stderr. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define BATCH 256

static volatile sig_atomic_t stop;

static void on_sig(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "connhold: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void port_range(unsigned *lo, unsigned *hi)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	if (!f || fscanf(f, "%u %u", lo, hi) != 2 || *lo > *hi)
		die("ip_local_port_range");
	fclose(f);
}

static struct sockaddr_in sin4(unsigned host_byte, unsigned port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(0x7f000000u | host_byte);
	return a;
}

static int listener(unsigned port)
{
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = sin4(1, port);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
	    bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 4 * BATCH))
		die("listener");
	return fd;
}

/* n connections from 127.0.0.src:port.. to lfd's port, in batches; both ends
 * go to fds[] (2 per connection), or are closed client first (TIME_WAIT on
 * the client side) when fds is NULL. */
static void connect_many(int lfd, unsigned lport, unsigned src, unsigned port0,
			 unsigned n, int *fds)
{
	struct sockaddr_in to = sin4(1, lport);
	int c[BATCH], s[BATCH];
	for (unsigned done = 0; done < n && !stop;) {
		unsigned b = n - done < BATCH ? n - done : BATCH;
		for (unsigned i = 0; i < b; i++) {
			struct sockaddr_in from = sin4(src, port0 + done + i);
			c[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (c[i] < 0)
				die("socket");
			if (bind(c[i], (struct sockaddr *)&from, sizeof from))
				die("bind");
			if (connect(c[i], (struct sockaddr *)&to, sizeof to))
				die("connect");
		}
		for (unsigned i = 0; i < b; i++)
			if ((s[i] = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0)
				die("accept");
		for (unsigned i = 0; i < b; i++) {
			if (fds) {
				fds[2 * (done + i)] = c[i];
				fds[2 * (done + i) + 1] = s[i];
			} else {
				close(c[i]); /* client FIN first: it ends in TIME_WAIT */
				close(s[i]);
			}
		}
		done += b;
	}
}

static unsigned num(const char *s)
{
	char *e;
	unsigned long v = strtoul(s, &e, 10);
	if (!*s || *e || v > 10000000) {
		fprintf(stderr, "connhold: '%s' is not a count\n", s);
		exit(2);
	}
	return (unsigned)v;
}

int main(int argc, char **argv)
{
	unsigned workers = 1, conns = 0, tw = 0, port = 9000, lo, hi;
	for (int i = 1; i < argc; i++) {
		if (i + 1 < argc && !strcmp(argv[i], "--workers"))
			workers = num(argv[++i]);
		else if (i + 1 < argc && !strcmp(argv[i], "--conns"))
			conns = num(argv[++i]);
		else if (i + 1 < argc && !strcmp(argv[i], "--timewait"))
			tw = num(argv[++i]);
		else if (i + 1 < argc && !strcmp(argv[i], "--port"))
			port = num(argv[++i]);
		else {
			fputs("usage: connhold [--workers W] [--conns N] [--timewait N] [--port P]\n", stderr);
			return 2;
		}
	}
	if (!workers || workers > 80 || port + workers + 1 > 65535) {
		fputs("connhold: --workers 1..80 and --port + workers below 65535\n", stderr);
		return 2;
	}
	port_range(&lo, &hi);
	unsigned per = (conns + workers - 1) / workers, span = hi - lo + 1;
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl))
		die("getrlimit");
	rl.rlim_cur = rl.rlim_max; /* as many as this process may */
	setrlimit(RLIMIT_NOFILE, &rl);
	if (per > span || (rlim_t)per * 2 + 64 > rl.rlim_cur) {
		fprintf(stderr, "connhold: %u connections per worker: over the port range (%u) or "
			"RLIMIT_NOFILE (%llu): use more workers\n", per, span,
			(unsigned long long)rl.rlim_cur);
		return 2;
	}
	struct sigaction sa = { .sa_handler = on_sig };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* each worker: its listener and its connections, then a byte on the
	 * pipe, then hold until the pipe's other end goes (parent gone) */
	int ready[2], hold[2];
	if (pipe(ready) || pipe(hold))
		die("pipe");
	pid_t *pids = calloc(workers, sizeof *pids);
	if (!pids)
		die("calloc");
	for (unsigned w = 0; w < workers; w++) {
		pids[w] = fork();
		if (pids[w] < 0)
			die("fork");
		if (pids[w])
			continue;
		close(ready[0]);
		close(hold[1]);
		unsigned n = conns > w * per ? (conns - w * per < per ? conns - w * per : per) : 0;
		int lfd = listener(port + w);
		int *fds = calloc((size_t)n * 2 + 1, sizeof *fds);
		if (!fds)
			die("calloc");
		connect_many(lfd, port + w, 10 + w, lo, n, fds);
		if (write(ready[1], "r", 1) != 1)
			die("write");
		char b;
		while (read(hold[0], &b, 1) < 0 && errno == EINTR && !stop)
			;
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	for (unsigned w = 0; w < workers; w++) {
		char b;
		ssize_t r;
		while ((r = read(ready[0], &b, 1)) < 0 && errno == EINTR && !stop)
			;
		if (r != 1) {
			fputs("connhold: a worker failed\n", stderr);
			stop = 1;
			break;
		}
	}
	/* TIME_WAIT: one source address per port range's worth */
	if (!stop && tw) {
		int lfd = listener(port + workers);
		for (unsigned done = 0, j = 0; done < tw && !stop; j++) {
			unsigned n = tw - done < span ? tw - done : span;
			if (100 + j > 254) {
				fputs("connhold: --timewait too large for 127.0.0.100-254\n", stderr);
				stop = 1;
				break;
			}
			connect_many(lfd, port + workers, 100 + j, lo, n, NULL);
			done += n;
		}
		close(lfd);
	}
	int rc = 0;
	if (!stop) {
		printf("connhold: ready listeners=%u established=%u timewait=%u\n", workers, conns, tw);
		fflush(stdout);
		while (!stop)
			pause();
	} else {
		rc = 1;
	}
	close(hold[1]); /* the workers see EOF and exit */
	for (unsigned w = 0; w < workers; w++)
		if (pids[w] > 0)
			waitpid(pids[w], NULL, 0);
	free(pids);
	return rc;
}
