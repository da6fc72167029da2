/* SPDX-License-Identifier: GPL-2.0-or-later */
/* guestsim: N simulated guests for the hostd scale bench, in one process on
 * one epoll loop. Each guest is a listening unix socket DIR/gNNNNN.sock (the
 * QEMU side of an agent channel, as hostd's sim backend expects); on a
 * connection it answers hostd's hello with an agent hello, then sends one
 * report per period with a real sample, and acks every apply.
 *
 * usage: guestsim DIR N SAMPLE.json [--period S] [--duration S] [--stamps FILE]
 *
 * Reports are spread evenly over the period (guest i at phase i/N). Each
 * report's mono_ns is the CLOCK_MONOTONIC time of its write(), so a reader on
 * the same host can compute the latency. On SIGUSR1 each guest's last 4
 * writes ("name seq mono_ns seq mono_ns ...", oldest first) go to --stamps
 * FILE; on SIGTERM/SIGINT or after --duration a summary line goes to stdout. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define INBUF 65536
#define MAXEV 256

struct sguest {
	int lfd, cfd;
	int up;		   /* hello answered: reports flow */
	uint64_t seq;	   /* last report seq sent (per connection, from 1) */
	uint64_t wseq[4], wns[4]; /* the last 4 writes: seq and mono ns */
	size_t inlen;
	char *in;	   /* partial input line */
	char *out;	   /* unsent tail of a report (rare) */
	size_t outlen, outoff;
	char name[16];
};

static struct sguest *gs;
static int ng;
static volatile sig_atomic_t stop, dump;
static uint64_t n_reports, n_skipped, n_applies, n_accepts, n_errors;
static char *sample;
static size_t sample_len;

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void on_sig(int sig)
{
	if (sig == SIGUSR1)
		dump = 1;
	else
		stop = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "guestsim: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Key encoding: each epoll event carries guest index * 2 + (1 for the
 * connection, 0 for the listener). */
static void ep_add(int ep, int fd, uint32_t events, uint64_t key)
{
	struct epoll_event ev = { .events = events, .data.u64 = key };
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		die("epoll_ctl");
}

static void close_conn(struct sguest *g)
{
	if (g->cfd >= 0)
		close(g->cfd);
	g->cfd = -1;
	g->up = 0;
	g->inlen = 0;
	free(g->out);
	g->out = NULL;
	g->outlen = g->outoff = 0;
}

/* Write a whole line, or keep what did not fit for EPOLLOUT. */
static void send_line(int ep, struct sguest *g, const char *buf, size_t len)
{
	if (g->out) {
		n_skipped++;
		return;
	}
	ssize_t w = write(g->cfd, buf, len);
	if (w < 0 && errno != EAGAIN) {
		n_errors++;
		close_conn(g);
		return;
	}
	if (w < 0)
		w = 0;
	if ((size_t)w < len) {
		g->out = malloc(len - (size_t)w);
		if (!g->out)
			die("malloc");
		memcpy(g->out, buf + w, len - (size_t)w);
		g->outlen = len - (size_t)w;
		g->outoff = 0;
		struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT,
					  .data.u64 = (uint64_t)(g - gs) * 2 + 1 };
		epoll_ctl(ep, EPOLL_CTL_MOD, g->cfd, &ev);
	}
}

static void flush_out(int ep, struct sguest *g)
{
	while (g->out && g->outoff < g->outlen) {
		ssize_t w = write(g->cfd, g->out + g->outoff, g->outlen - g->outoff);
		if (w < 0) {
			if (errno == EAGAIN)
				return;
			n_errors++;
			close_conn(g);
			return;
		}
		g->outoff += (size_t)w;
	}
	free(g->out);
	g->out = NULL;
	g->outlen = g->outoff = 0;
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint64_t)(g - gs) * 2 + 1 };
	epoll_ctl(ep, EPOLL_CTL_MOD, g->cfd, &ev);
}

static const char agent_hello[] =
	"\xff\n{\"v\":1,\"type\":\"hello\",\"role\":\"agent\",\"version\":\"0.1.0\","
	"\"min_v\":1,\"max_v\":1,\"caps\":[\"sysctl\"]}\n";

/* One line from hostd: hello -> our hello; apply -> an ack saying done. */
static void on_line(int ep, struct sguest *g, char *line)
{
	json_object *m = json_tokener_parse(line), *t, *id, *ch;
	if (!m)
		return;
	if (!json_object_object_get_ex(m, "type", &t))
		goto out;
	const char *type = json_object_get_string(t);
	if (!strcmp(type, "hello")) {
		send_line(ep, g, agent_hello, sizeof agent_hello - 1);
		if (g->cfd >= 0 && !g->up) {
			g->up = 1;
			g->seq = 0;
		}
	} else if (!strcmp(type, "apply") && json_object_object_get_ex(m, "id", &id) &&
		   json_object_object_get_ex(m, "changes", &ch)) {
		json_object *ack = json_object_new_object(), *res = json_object_new_array();
		json_object_object_add(ack, "v", json_object_new_int(1));
		json_object_object_add(ack, "type", json_object_new_string("ack"));
		json_object_object_add(ack, "id", json_object_get(id));
		for (size_t i = 0; i < json_object_array_length(ch); i++) {
			json_object *c = json_object_array_get_idx(ch, i), *k, *v;
			if (!json_object_object_get_ex(c, "key", &k) ||
			    !json_object_object_get_ex(c, "value", &v))
				continue;
			json_object *r = json_object_new_object();
			json_object_object_add(r, "key", json_object_get(k));
			json_object_object_add(r, "old", json_object_new_string("128"));
			json_object_object_add(r, "new", json_object_get(v));
			json_object_array_add(res, r);
		}
		json_object_object_add(ack, "results", res);
		size_t len;
		const char *s = json_object_to_json_string_length(ack, JSON_C_TO_STRING_PLAIN, &len);
		char buf[INBUF];
		if (len + 1 < sizeof buf) {
			memcpy(buf, s, len);
			buf[len++] = '\n';
			send_line(ep, g, buf, len);
		}
		json_object_put(ack);
		n_applies++;
	}
out:
	json_object_put(m);
}

static void on_read(int ep, struct sguest *g)
{
	char buf[INBUF];
	for (;;) {
		ssize_t n = read(g->cfd, buf, sizeof buf);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			close_conn(g);
			return;
		}
		if (n < 0)
			return;
		for (ssize_t i = 0; i < n && g->cfd >= 0; i++) {
			unsigned char c = (unsigned char)buf[i];
			if (c == 0xff) {
				g->inlen = 0;
			} else if (c == '\n') {
				g->in[g->inlen] = 0;
				if (g->inlen)
					on_line(ep, g, g->in);
				g->inlen = 0;
			} else if (g->inlen < INBUF - 1) {
				g->in[g->inlen++] = (char)c;
			}
		}
		if (g->cfd < 0)
			return;
	}
}

static void on_accept(int ep, struct sguest *g)
{
	int fd = accept4(g->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	close_conn(g); /* a new connection replaces the old one */
	g->cfd = fd;
	if (!g->in && !(g->in = malloc(INBUF)))
		die("malloc");
	n_accepts++;
	ep_add(ep, fd, EPOLLIN, (uint64_t)(g - gs) * 2 + 1);
}

static void send_report(int ep, struct sguest *g)
{
	char buf[INBUF];
	uint64_t now = mono_ns();
	int h = snprintf(buf, sizeof buf,
			 "{\"v\":1,\"type\":\"report\",\"seq\":%llu,\"mono_ns\":%llu,"
			 "\"interval_s\":1,\"sample\":",
			 (unsigned long long)g->seq + 1, (unsigned long long)now);
	if (h < 0 || (size_t)h + sample_len + 3 > sizeof buf)
		return;
	memcpy(buf + h, sample, sample_len);
	size_t len = (size_t)h + sample_len;
	buf[len++] = '}';
	buf[len++] = '\n';
	if (g->out) {
		n_skipped++;
		return;
	}
	g->seq++;
	g->wseq[g->seq % 4] = g->seq;
	g->wns[g->seq % 4] = now;
	n_reports++;
	send_line(ep, g, buf, len);
}

static void write_stamps(const char *path)
{
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return;
	for (int i = 0; i < ng; i++)
		if (gs[i].up) {
			/* oldest first, so the last pair is the latest write */
			const struct sguest *g = &gs[i];
			fprintf(f, "%s", g->name);
			for (uint64_t s = g->seq > 3 ? g->seq - 3 : 1; s <= g->seq; s++)
				fprintf(f, " %llu %llu", (unsigned long long)g->wseq[s % 4],
					(unsigned long long)g->wns[s % 4]);
			fputc('\n', f);
		}
	fclose(f);
	rename(tmp, path);
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: guestsim DIR N SAMPLE.json [--period S] [--duration S] [--stamps FILE]\n");
		return 2;
	}
	const char *dir = argv[1], *stamps = NULL;
	ng = atoi(argv[2]);
	double period = 1, duration = 0;
	for (int i = 4; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--period"))
			period = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--duration"))
			duration = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--stamps"))
			stamps = argv[i + 1];
		else {
			fprintf(stderr, "guestsim: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (ng < 1 || ng > 100000 || !(period > 0)) {
		fprintf(stderr, "guestsim: want 1..100000 guests and a positive period\n");
		return 2;
	}

	/* the sample: one line of JSON, as the agent puts it in a report */
	FILE *f = fopen(argv[3], "r");
	if (!f)
		die(argv[3]);
	sample = malloc(INBUF);
	if (!sample)
		die("malloc");
	sample_len = fread(sample, 1, INBUF - 1, f);
	fclose(f);
	while (sample_len && (sample[sample_len - 1] == '\n' || sample[sample_len - 1] == ' '))
		sample_len--;

	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	rlim_t want = (rlim_t)ng * 2 + 64;
	if (rl.rlim_cur < want) {
		rl.rlim_cur = want;
		if (rl.rlim_max < want)
			rl.rlim_max = want;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			die("setrlimit RLIMIT_NOFILE (raise ulimit -n)");
	}

	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa = { .sa_handler = on_sig };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);

	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("epoll_create1");
	gs = calloc((size_t)ng, sizeof *gs);
	if (!gs)
		die("calloc");
	for (int i = 0; i < ng; i++) {
		struct sguest *g = &gs[i];
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		char path[sizeof sun.sun_path];
		g->cfd = -1;
		snprintf(g->name, sizeof g->name, "g%05d", i);
		g->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (g->lfd < 0)
			die("socket");
		if (snprintf(sun.sun_path, sizeof sun.sun_path, "%s/%s.tmp", dir, g->name) >=
		    (int)sizeof sun.sun_path) {
			fprintf(stderr, "guestsim: %s: path too long\n", dir);
			return 1;
		}
		unlink(sun.sun_path);
		if (bind(g->lfd, (struct sockaddr *)&sun, sizeof sun) < 0)
			die(sun.sun_path);
		if (listen(g->lfd, 4) < 0)
			die("listen");
		/* appear whole: hostd sees a socket that already listens */
		snprintf(path, sizeof path, "%s/%s.sock", dir, g->name);
		if (rename(sun.sun_path, path) < 0)
			die(path);
		ep_add(ep, g->lfd, EPOLLIN, (uint64_t)i * 2);
	}
	printf("guestsim: %d guests in %s\n", ng, dir);
	fflush(stdout);

	uint64_t period_ns = (uint64_t)(period * 1e9), start = mono_ns();
	uint64_t end = duration > 0 ? start + (uint64_t)(duration * 1e9) : 0;
	uint64_t round = 0;
	int cur = 0;
	struct epoll_event ev[MAXEV];
	while (!stop) {
		uint64_t now = mono_ns();
		if (end && now >= end)
			break;
		/* every report that is due, in phase order */
		for (;;) {
			uint64_t due = start + round * period_ns + (uint64_t)cur * period_ns / (uint64_t)ng;
			if (due > now)
				break;
			struct sguest *g = &gs[cur];
			if (g->up && g->cfd >= 0)
				send_report(ep, g);
			if (++cur == ng) {
				cur = 0;
				round++;
			}
		}
		if (dump) {
			dump = 0;
			if (stamps)
				write_stamps(stamps);
		}
		uint64_t due = start + round * period_ns + (uint64_t)cur * period_ns / (uint64_t)ng;
		now = mono_ns();
		int timeout = due > now ? (int)((due - now + 999999) / 1000000) : 0;
		int n = epoll_wait(ep, ev, MAXEV, timeout);
		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		for (int i = 0; i < n; i++) {
			struct sguest *g = &gs[ev[i].data.u64 / 2];
			if (!(ev[i].data.u64 & 1)) {
				on_accept(ep, g);
				continue;
			}
			if (g->cfd < 0)
				continue;
			if (ev[i].events & EPOLLOUT)
				flush_out(ep, g);
			if (g->cfd >= 0 && (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
				on_read(ep, g);
		}
	}
	int up = 0;
	for (int i = 0; i < ng; i++)
		up += gs[i].up;
	printf("guestsim: guests=%d up=%d accepts=%llu reports=%llu skipped=%llu applies=%llu errors=%llu\n",
	       ng, up, (unsigned long long)n_accepts, (unsigned long long)n_reports,
	       (unsigned long long)n_skipped, (unsigned long long)n_applies,
	       (unsigned long long)n_errors);
	for (int i = 0; i < ng; i++) {
		char path[128];
		snprintf(path, sizeof path, "%s/%s.sock", dir, gs[i].name);
		unlink(path);
	}
	return 0;
}
