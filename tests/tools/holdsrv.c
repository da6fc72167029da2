/* SPDX-License-Identifier: GPL-2.0-or-later */
/* holdsrv: a TCP server for tests that accepts connections and keeps them
 * open, under an open-file limit of its own: what a server at its
 * RLIMIT_NOFILE looks like (accept() failing with EMFILE while connections
 * wait in its accept queue). It retries a failed accept() every 50 ms, as
 * servers do, so a limit raised from outside (prlimit) lets it go on.
 *
 * usage: holdsrv [--addr A] [--port P] [--backlog B] [--nofile N] [--for S]
 * Prints "holdsrv: listening PORT pid PID" when ready, then once a second
 * "holdsrv: held N emfile M nofile SOFT" (to stdout, line-buffered); exits
 * after S seconds (default 300) or on SIGTERM/SIGINT. Exit 1 on a set-up
 * failure, with the reason on stderr. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_sig(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const char *addr = "127.0.0.1";
	int port = 9300, backlog = 128;
	long nofile = 0;
	double run_for = 300;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v) {
			fprintf(stderr, "holdsrv: %s needs a value\n", a);
			return 1;
		}
		if (!strcmp(a, "--addr"))
			addr = v;
		else if (!strcmp(a, "--port"))
			port = atoi(v);
		else if (!strcmp(a, "--backlog"))
			backlog = atoi(v);
		else if (!strcmp(a, "--nofile"))
			nofile = atol(v);
		else if (!strcmp(a, "--for"))
			run_for = atof(v);
		else {
			fprintf(stderr, "holdsrv: unknown option %s\n", a);
			return 1;
		}
		i++;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGTERM, on_sig);
	signal(SIGINT, on_sig);
	if (nofile > 0) {
		struct rlimit rl;
		getrlimit(RLIMIT_NOFILE, &rl);
		rl.rlim_cur = (rlim_t)nofile;
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;
		if (setrlimit(RLIMIT_NOFILE, &rl)) {
			fprintf(stderr, "holdsrv: setrlimit %ld: %s\n", nofile, strerror(errno));
			return 1;
		}
	}
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	if (lfd < 0 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof sa) || listen(lfd, backlog)) {
		fprintf(stderr, "holdsrv: listen %s:%d: %s\n", addr, port, strerror(errno));
		return 1;
	}
	printf("holdsrv: listening %d pid %d\n", port, (int)getpid());
	long held = 0, emfile = 0;
	double start = now_s(), next = start + 1;
	while (!stop && now_s() - start < run_for) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0) {
			held++;
			continue;
		}
		if (errno == EMFILE || errno == ENFILE)
			emfile++;
		else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			fprintf(stderr, "holdsrv: accept: %s\n", strerror(errno));
		usleep(50000);
		if (now_s() >= next) {
			struct rlimit rl;
			getrlimit(RLIMIT_NOFILE, &rl);
			printf("holdsrv: held %ld emfile %ld nofile %llu\n", held, emfile,
			       (unsigned long long)rl.rlim_cur);
			next += 1;
		}
	}
	return 0;
}
