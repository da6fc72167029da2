/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fleet: `vtune fleet`: a ranked table of the guests of every vtune-hostd a
 * Prometheus scrapes, from its HTTP API through libcurl (fleet_prom does the
 * queries' text, reading and output). One clear line and a distinct exit
 * code for each way it can fail; nothing is printed before all answers are in. */
#include "commands.h"
#include "fleet_prom.h"
#include "parse.h"
#include "vec.h"

#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_fleet_main(int argc, char **argv);

enum {
	FLEET_OK = 0,
	FLEET_ERR = 1,	       /* out of memory, Prometheus refused a query */
	FLEET_USAGE = 2,
	FLEET_UNREACHABLE = 3, /* nothing answers at the URL */
	FLEET_WRONG_URL = 4,   /* an HTTP server answers, but not the API there (404) */
	FLEET_NOT_PROM = 5,    /* an answer that is not Prometheus' */
	FLEET_EMPTY = 6,       /* Prometheus has no vtune-hostd series */
};

#define FLEET_DEFAULT_URL "http://localhost:9090"
#define FLEET_MAX_BODY (64u << 20)

static const char usage[] =
	"usage: vtune fleet [--prometheus URL] [--top N] [--since DURATION] [--json]\n"
	"\n"
	"Rank the guests of every vtune-hostd that Prometheus scrapes by the\n"
	"connections they lose to host causes (steal, vCPU run delay), with the\n"
	"cause each hostd diagnosed (its active rules) and vtune's last actions.\n"
	"  --prometheus URL  Prometheus' address (default $VTUNE_PROMETHEUS, else\n"
	"                    " FLEET_DEFAULT_URL "); https:// and user:password@ work\n"
	"  --top N           show the N worst guests (default 20; 0: all)\n"
	"  --since DURATION  window of the rates: 30s, 5m, 1h, 1d (default 15m)\n"
	"  --json            print JSON\n"
	"exit: 0 ok, 2 usage, 3 Prometheus unreachable, 4 wrong URL (no API there),\n"
	"      5 not a Prometheus answer, 6 no vtune-hostd series, 1 other errors\n";

struct buf {
	char *p;
	size_t n, cap;
	int over;
};

static size_t on_data(char *d, size_t sz, size_t nm, void *arg)
{
	struct buf *b = arg;
	size_t n = sz * nm;
	if (b->n + n > FLEET_MAX_BODY) {
		b->over = 1;
		return 0;
	}
	if (VEC_RESERVE(b->p, b->cap, b->n + n + 1))
		return 0;
	memcpy(b->p + b->n, d, n);
	b->n += n;
	b->p[b->n] = 0;
	return n;
}

/* Ask query q; FLEET_* and a one-line reason in why. */
static int ask(CURL *c, const char *base, struct fleet *f, enum fleet_q q, char *why, size_t n)
{
	char pql[2048], *url = NULL;
	struct buf b = { 0 };
	long code = 0;
	int rc = FLEET_ERR;

	fleet_query(q, f->since, pql, sizeof pql);
	char *esc = curl_easy_escape(c, pql, 0);
	if (!esc || asprintf(&url, "%s/api/v1/query?query=%s", base, esc) < 0) {
		url = NULL;
		snprintf(why, n, "out of memory");
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	CURLcode r = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (r == CURLE_URL_MALFORMAT || r == CURLE_UNSUPPORTED_PROTOCOL) {
		snprintf(why, n, "%s: not an http:// or https:// URL (%s)", base, curl_easy_strerror(r));
		rc = FLEET_WRONG_URL;
		goto out;
	}
	if (r == CURLE_WRITE_ERROR && b.over) {
		snprintf(why, n, "%s: an answer over %u MiB: not Prometheus' API", base, FLEET_MAX_BODY >> 20);
		rc = FLEET_NOT_PROM;
		goto out;
	}
	if (r != CURLE_OK) {
		snprintf(why, n, "cannot reach Prometheus at %s: %s", base, curl_easy_strerror(r));
		rc = FLEET_UNREACHABLE;
		goto out;
	}
	if (code == 404) {
		snprintf(why, n, "%s has no Prometheus API (HTTP 404 for /api/v1/query): wrong URL?", base);
		rc = FLEET_WRONG_URL;
		goto out;
	}
	char ewhy[512] = "";
	int t = b.p ? fleet_take(f, q, b.p, b.n, ewhy, sizeof ewhy) : -EPROTO;
	if (t == -EINVAL) {
		snprintf(why, n, "Prometheus at %s refused the query (HTTP %ld, %s)", base, code, ewhy);
		rc = FLEET_ERR;
	} else if (t == -EPROTO || code != 200) {
		snprintf(why, n, "%s answered HTTP %ld with something that is not Prometheus' API", base, code);
		rc = FLEET_NOT_PROM;
	} else if (t < 0) {
		snprintf(why, n, "out of memory");
	} else {
		rc = FLEET_OK;
	}
out:
	curl_free(esc);
	free(url);
	free(b.p);
	return rc;
}

static int parse_top(const char *s, size_t *top)
{
	uint64_t v;
	if (parse_u64(s, &v) || v > 1000000)
		return -EINVAL;
	*top = (size_t)v;
	return 0;
}

int cmd_fleet_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "prometheus", required_argument, NULL, 'p' },
		{ "top", required_argument, NULL, 't' },
		{ "since", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *url = getenv("VTUNE_PROMETHEUS"), *since = "15m";
	size_t top = 20;
	int json = 0, c, rc = FLEET_OK;
	double secs;
	char base[512], why[2048] = "";

	if (!url || !*url)
		url = FLEET_DEFAULT_URL;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+p:t:s:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'p': url = optarg; break;
		case 't':
			if (parse_top(optarg, &top)) {
				fprintf(stderr, "vtune fleet: --top: want a number of guests, not '%s'\n", optarg);
				return FLEET_USAGE;
			}
			break;
		case 's': since = optarg; break;
		case 'j': json = 1; break;
		case 'h': fputs(usage, stdout); return FLEET_OK;
		default: fputs(usage, stderr); return FLEET_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vtune fleet: unexpected argument '%s'\n", argv[optind]);
		return FLEET_USAGE;
	}
	if (fleet_parse_duration(since, &secs)) {
		fprintf(stderr, "vtune fleet: --since: want a duration of 10s or more (30s, 5m, 1h, 1d), not '%s'\n",
			since);
		return FLEET_USAGE;
	}
	size_t ul = strlen(url);
	while (ul && url[ul - 1] == '/')
		ul--;
	if (!ul || ul >= sizeof base) {
		fprintf(stderr, "vtune fleet: --prometheus: want a URL such as " FLEET_DEFAULT_URL "\n");
		return FLEET_USAGE;
	}
	snprintf(base, sizeof base, "%.*s", (int)ul, url);

	struct fleet f;
	fleet_init(&f, since);
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		fprintf(stderr, "vtune fleet: cannot start libcurl\n");
		return FLEET_ERR;
	}
	CURL *cu = curl_easy_init();
	if (!cu) {
		curl_global_cleanup();
		fprintf(stderr, "vtune fleet: cannot start libcurl\n");
		return FLEET_ERR;
	}
	curl_easy_setopt(cu, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(cu, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(cu, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(cu, CURLOPT_MAXREDIRS, 3L);
	curl_easy_setopt(cu, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(cu, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(cu, CURLOPT_USERAGENT, "vtune-fleet/" VTUNE_VERSION);
	curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
	for (int q = 0; q < FQ_COUNT && rc == FLEET_OK; q++)
		rc = ask(cu, base, &f, (enum fleet_q)q, why, sizeof why);
	curl_easy_cleanup(cu);
	curl_global_cleanup();
	if (rc == FLEET_OK && f.n == 0) {
		if (f.ndown)
			snprintf(why, sizeof why, "Prometheus at %s has no vtune-hostd series: its %d vtune-hostd "
				 "target(s) are down (first: %s)", base, f.ndown, f.down[0]);
		else
			snprintf(why, sizeof why, "Prometheus at %s has no vtune-hostd series: does it scrape "
				 "vtune-hostd (contrib/prometheus/scrape.yml)?", base);
		rc = FLEET_EMPTY;
	}
	if (rc != FLEET_OK) {
		fprintf(stderr, "vtune fleet: %s\n", why);
		fleet_free(&f);
		return rc;
	}
	fleet_rank(&f);
	if (json) {
		json_object *o = fleet_json(&f, top);
		json_object_object_add(o, "prometheus", json_object_new_string(base));
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		fleet_print(&f, top, stdout);
	}
	fleet_free(&f);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "vtune fleet: cannot write the output\n");
		return FLEET_ERR;
	}
	return FLEET_OK;
}
