/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench_crr: `vtune bench crr`, a connect/request/response/close benchmark
 * like netperf TCP_CRR: argument parsing, the report (text or JSON) and the
 * dispatch to the server (bench_crr_server.c) or client (bench_crr_client.c). */
#include "commands.h"
#include "bench_crr.h"
#include "parse.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <json-c/json.h>

#define CPU_BOTTLENECK_PCT 90.0

static const char usage[] =
	"usage: vtune bench crr [OPTIONS] HOST:PORT[/PATH]\n"
	"       vtune bench crr --serve [ADDR:]PORT [-t THREADS] [--size N]\n"
	"\n"
	"Connect/request/response/close rate, like netperf TCP_CRR. The client\n"
	"keeps CONNS connections busy over THREADS threads; each connection\n"
	"connects, sends \"GET PATH HTTP/1.1\" with Connection: close, reads the\n"
	"whole response and closes, then starts again. It reports connections/s,\n"
	"p50/p99/p99.9 latency of each phase (connect, request/response, close),\n"
	"errors by errno name and its own CPU use. The default load is the same\n"
	"as wrk -t THREADS -c CONNS -d SECONDS -H 'Connection: close'.\n"
	"\n"
	"  -t, --threads N    threads (client default 2; server default: CPUs)\n"
	"  -c, --conns N      concurrent connections, at least THREADS\n"
	"                     (default: THREADS)\n"
	"  -d, --duration S   seconds to measure, \"10\" or \"10s\" (default 10)\n"
	"      --timeout S    per-connection limit, counted as ETIMEDOUT (default 2)\n"
	"      --size N       body bytes: the server's default answer (default 64),\n"
	"                     or what the client asks for with ?size=N and checks\n"
	"      --json         print one JSON object instead of the table\n"
	"      --serve        run the server: answer every request with HTTP/1.1\n"
	"                     200, Content-Length and Connection: close, then close\n"
	"  -h, --help         this help\n"
	"\n"
	"Errors: ECONNREFUSED, EADDRNOTAVAIL (out of local ports), ETIMEDOUT\n"
	"(--timeout passed), ECONNRESET, EPROTO (bad or short response), EBADMSG\n"
	"(status not 2xx), and any other errno by name.\n"
	"Exit status: 0 when at least one connection completed, 1 when none did\n"
	"or the set-up failed, 2 for bad arguments.\n";

static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Report a usage error and give the exit status for it. */
static int bad(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "vtune: bench crr: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (try vtune bench crr --help)\n");
	va_end(ap);
	return 2;
}

int crr_format_addr(const struct sockaddr *sa, char *buf, size_t cap)
{
	char ip[INET6_ADDRSTRLEN];
	int n;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof ip);
		n = snprintf(buf, cap, "%s:%u", ip, ntohs(s4->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof ip);
		n = snprintf(buf, cap, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else {
		return -EAFNOSUPPORT;
	}
	return n < 0 || (size_t)n >= cap ? -ENOSPC : 0;
}

/* Split "HOST:PORT", "[V6]:PORT" or (when port_only_ok) "PORT" in place.
 * *host is NULL for a bare port. Returns 0 or -EINVAL. */
static int split_hostport(char *s, char **host, char **port, int port_only_ok)
{
	char *colon;

	if (*s == '[') {
		char *close = strchr(s, ']');
		if (!close || close[1] != ':')
			return -EINVAL;
		*close = '\0';
		*host = s + 1;
		*port = close + 2;
	} else if ((colon = strrchr(s, ':'))) {
		if (strchr(s, ':') != colon)
			return -EINVAL;   /* bare IPv6 needs brackets */
		*colon = '\0';
		*host = s;
		*port = colon + 1;
	} else if (port_only_ok) {
		*host = NULL;
		*port = s;
	} else {
		return -EINVAL;
	}
	if (*host && !**host)
		return -EINVAL;
	uint64_t p;
	if (parse_u64(*port, &p) || p > 65535)
		return -EINVAL;
	return 0;
}

static int resolve(const char *host, const char *port, int passive,
		   struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints = {
		.ai_family = host ? AF_UNSPEC : AF_INET,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0),
	}, *ai;
	int rc = getaddrinfo(host, port, &hints, &ai);

	if (rc) {
		fprintf(stderr, "vtune: bench crr: %s: %s\n", host ? host : port,
			gai_strerror(rc));
		return -EINVAL;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

static int parse_count(const char *s, unsigned max, unsigned *out)
{
	uint64_t v;

	if (parse_u64(s, &v) || v < 1 || v > max)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

/* Seconds: a positive number with an optional "s". */
static int parse_seconds(const char *s, double *out)
{
	char tmp[64];
	size_t n = strlen(s);

	if (n == 0 || n >= sizeof tmp)
		return -EINVAL;
	memcpy(tmp, s, n + 1);
	if (tmp[n - 1] == 's')
		tmp[n - 1] = '\0';
	if (parse_double(tmp, out) || *out <= 0 || *out > 86400)
		return -EINVAL;
	return 0;
}

static const char *errname(int e)
{
	const char *n = e ? strerrorname_np(e) : NULL;
	return n ? n : "other";
}

static double pct_us(const struct bstat_hist *h, double p)
{
	uint64_t v;
	return bstat_hist_percentile(h, p, &v) ? 0.0 : (double)v / 1e3;
}

static const char *const phase_name[CRR_NPHASES] = { "connect", "reqresp", "close" };

static void fmt_us(char *buf, size_t cap, double us)
{
	if (us <= 0)
		snprintf(buf, cap, "-");
	else if (us >= 1e6)
		snprintf(buf, cap, "%.2fs", us / 1e6);
	else if (us >= 1e3)
		snprintf(buf, cap, "%.2fms", us / 1e3);
	else
		snprintf(buf, cap, "%.1fus", us);
}

static void print_text(const struct crr_client_opts *o, const char *target,
		       const struct crr_result *r, double cpu_pct)
{
	static const char *const label[CRR_NPHASES] = { "connect", "req/resp", "close" };
	static const double ps[] = { 50, 99, 99.9, 100 };

	printf("vtune bench crr: %s, %u thread%s, %u connection%s, %.2f s\n",
	       target, o->threads, o->threads == 1 ? "" : "s",
	       o->conns, o->conns == 1 ? "" : "s", r->elapsed);
	printf("  connections  %llu  (%.1f/s)\n", (unsigned long long)r->conns,
	       r->elapsed > 0 ? (double)r->conns / r->elapsed : 0.0);
	printf("  %-10s %10s %10s %10s %10s\n", "latency", "p50", "p99", "p99.9", "max");
	for (int p = 0; p < CRR_NPHASES; p++) {
		char v[4][24];
		for (int i = 0; i < 4; i++)
			fmt_us(v[i], sizeof v[i], pct_us(r->phase[p], ps[i]));
		printf("  %-10s %10s %10s %10s %10s\n", label[p], v[0], v[1], v[2], v[3]);
	}
	printf("  errors       %llu\n", (unsigned long long)r->errors);
	for (int e = 0; e < CRR_NERRNO; e++)
		if (r->err[e])
			printf("    %-14s %llu\n", errname(e), (unsigned long long)r->err[e]);
	printf("  client CPU %.0f%% of %u thread%s%s\n", cpu_pct, o->threads,
	       o->threads == 1 ? "" : "s",
	       cpu_pct >= CPU_BOTTLENECK_PCT ? ": the client may be the bottleneck" : "");
}

/* A JSON number printed with a fixed number of decimals. */
static json_object *jnum(double v, int decimals)
{
	char s[64];

	snprintf(s, sizeof s, "%.*f", decimals, v);
	return json_object_new_double_s(v, s);
}

static int print_json(const struct crr_client_opts *o, const char *target,
		      const struct crr_result *r, double cpu_pct)
{
	json_object *j = json_object_new_object(), *lat = json_object_new_object();
	json_object *errs = json_object_new_object();

	json_object_object_add(j, "target", json_object_new_string(target));
	json_object_object_add(j, "threads", json_object_new_int((int)o->threads));
	json_object_object_add(j, "conns", json_object_new_int((int)o->conns));
	json_object_object_add(j, "seconds", jnum(r->elapsed, 3));
	json_object_object_add(j, "connections", json_object_new_uint64(r->conns));
	json_object_object_add(j, "conn_per_s", jnum(
		r->elapsed > 0 ? (double)r->conns / r->elapsed : 0.0, 1));
	for (int p = 0; p < CRR_NPHASES; p++) {
		json_object *ph = json_object_new_object();
		json_object_object_add(ph, "p50", jnum(pct_us(r->phase[p], 50), 3));
		json_object_object_add(ph, "p99", jnum(pct_us(r->phase[p], 99), 3));
		json_object_object_add(ph, "p99_9", jnum(pct_us(r->phase[p], 99.9), 3));
		json_object_object_add(ph, "max", jnum(
			(double)bstat_hist_max(r->phase[p]) / 1e3, 3));
		json_object_object_add(ph, "mean", jnum(
			bstat_hist_mean(r->phase[p]) / 1e3, 3));
		json_object_object_add(lat, phase_name[p], ph);
	}
	json_object_object_add(j, "latency_us", lat);
	for (int e = 0; e < CRR_NERRNO; e++)
		if (r->err[e])
			json_object_object_add(errs, errname(e), json_object_new_uint64(r->err[e]));
	json_object_object_add(j, "errors", json_object_new_uint64(r->errors));
	json_object_object_add(j, "errors_by_errno", errs);
	json_object_object_add(j, "client_cpu_pct", jnum(cpu_pct, 1));
	json_object_object_add(j, "client_bottleneck",
			       json_object_new_boolean(cpu_pct >= CPU_BOTTLENECK_PCT));
	const char *s = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
	int rc = puts(s) < 0 ? -EIO : 0;
	json_object_put(j);
	return rc;
}

enum { OPT_SERVE = 256, OPT_SIZE, OPT_JSON, OPT_TIMEOUT };

int bench_crr_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "threads", required_argument, NULL, 't' },
		{ "conns", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "serve", no_argument, NULL, OPT_SERVE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned threads = 0, conns = 0, size = 0;
	int serve = 0, json = 0, have_size = 0, opt;
	double seconds = 10, timeout = 2;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":t:c:d:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 't':
			if (parse_count(optarg, CRR_MAX_THREADS, &threads))
				return bad("-t: want 1..256 threads, not '%s'", optarg);
			break;
		case 'c':
			if (parse_count(optarg, CRR_MAX_CONNS, &conns))
				return bad("-c: want 1..65536 connections, not '%s'", optarg);
			break;
		case 'd':
			if (parse_seconds(optarg, &seconds))
				return bad("-d: want seconds (0 < S <= 86400), not '%s'", optarg);
			break;
		case OPT_TIMEOUT:
			if (parse_seconds(optarg, &timeout))
				return bad("--timeout: want seconds (0 < S <= 86400), not '%s'", optarg);
			break;
		case OPT_SIZE: {
			uint64_t v;
			if (parse_u64(optarg, &v) || v > CRR_MAX_SIZE)
				return bad("--size: want 0..1048576 bytes, not '%s'", optarg);
			size = (unsigned)v;
			have_size = 1;
			break;
		}
		case OPT_JSON:
			json = 1;
			break;
		case OPT_SERVE:
			serve = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case ':':
			return bad("%s needs a value", argv[optind - 1]);
		default:
			return bad("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return bad("%s %s", optind >= argc ? "missing" : "want one",
			   serve ? "[ADDR:]PORT" : "HOST:PORT");

	char *arg = strdup(argv[optind]), *host, *port;
	if (!arg) {
		perror("vtune: bench crr");
		return 1;
	}
	int rc = 1;
	if (serve) {
		struct crr_server_opts so = { .size = have_size ? size : CRR_DEFAULT_SIZE };
		if (conns || json) {
			rc = bad("%s: -c and --json are client options", "--serve");
			goto out;
		}
		if (split_hostport(arg, &host, &port, 1)) {
			rc = bad("--serve: want [ADDR:]PORT, not '%s'", argv[optind]);
			goto out;
		}
		if (resolve(host, port, 1, &so.addr, &so.addrlen)) {
			rc = 2;
			goto out;
		}
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		so.threads = threads ? threads : ncpu < 1 ? 1 : ncpu > 64 ? 64 : (unsigned)ncpu;
		rc = crr_serve(&so) ? 1 : 0;
		goto out;
	}

	struct crr_client_opts co = {
		.threads = threads ? threads : 2,
		.seconds = seconds,
		.timeout = timeout,
		.size = have_size ? (int)size : -1,
		.path = "/",
	};
	co.conns = conns ? conns : co.threads;
	if (co.conns < co.threads) {
		if (threads) {
			rc = bad("-c: need at least as many connections as threads (%s)",
				 "-c >= -t");
			goto out;
		}
		co.threads = co.conns;
	}
	char *target = arg;
	if (!strncmp(target, "http://", 7))
		target += 7;
	char *slash = strchr(target, '/');
	char *path = NULL;
	if (slash) {
		path = strdup(slash);
		*slash = '\0';
		if (!path)
			goto out;
		co.path = path;
	}
	char *shown = strdup(target);
	if (!shown) {
		free(path);
		goto out;
	}
	co.host = shown;
	if (split_hostport(target, &host, &port, 0) || !strcmp(port, "0")) {
		rc = bad("want HOST:PORT or [IPV6]:PORT, not '%s'", argv[optind]);
		goto out_client;
	}
	if (resolve(host, port, 0, &co.addr, &co.addrlen)) {
		rc = 2;
		goto out_client;
	}

	struct crr_result r;
	int e = crr_run_client(&co, &r);
	if (e) {
		fprintf(stderr, "vtune: bench crr: %s\n", strerror(-e));
		rc = 1;
		goto out_client;
	}
	double cpu_pct = r.elapsed > 0 ? 100.0 * r.cpu / (r.elapsed * co.threads) : 0;
	if (json)
		print_json(&co, shown, &r, cpu_pct);
	else
		print_text(&co, shown, &r, cpu_pct);
	fflush(stdout);
	rc = r.conns ? 0 : 1;
	crr_result_free(&r);
out_client:
	free(shown);
	free(path);
out:
	free(arg);
	return rc;
}
