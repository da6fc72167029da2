/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_wire: guest input as hostd sees it. Bytes go through the line framer
 * (whole, then again in small chunks, which must give the same lines), each
 * line through wire_decode, and what decodes is re-encoded and decoded again:
 * the encoder must accept every message the decoder accepts, and encoding
 * must be stable (encode(decode(encode(m))) == encode(m)). hostd's fast
 * report reader must agree with wire_decode on every line: it takes a line
 * exactly when wire_decode reads it as a report, with the same envelope.
 * Every change of a version 2 apply goes through the agent's own check
 * (act_from_spec), which must refuse or build it, never crash. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "linebuf.h"
#include "report_scan.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A hash of the lines seen, to compare the two framings. */
struct seen {
	uint64_t h;
	size_t n;
	int decode; /* decode (and re-encode) each line */
};

static void roundtrip(const struct wire_msg *m)
{
	char err[256], err2[256];
	char *l1 = NULL, *l2 = NULL;
	size_t n1, n2;
	struct wire_msg m2;

	int r = wire_encode(m, &l1, &n1, err, sizeof err);
	if (r == -EMSGSIZE || r == -ENOMEM)
		return; /* json-c may escape more than the peer did ("/" -> "\/") */
	if (r) {
		fprintf(stderr, "decoded message does not encode: %d %s\n", r, err);
		abort();
	}
	if (n1 == 0 || l1[n1 - 1] != '\n' || memchr(l1, '\n', n1 - 1) || strlen(l1) != n1) {
		fprintf(stderr, "encoded line is not one line\n");
		abort();
	}
	r = wire_decode(l1, n1, &m2, err2, sizeof err2);
	if (r) {
		fprintf(stderr, "encoded message does not decode: %d %s\n%s", r, err2, l1);
		abort();
	}
	if (m2.type != m->type || m2.unknown_fields) {
		fprintf(stderr, "re-decoded message differs (type %d/%d, unknown %u)\n",
			m2.type, m->type, m2.unknown_fields);
		abort();
	}
	r = wire_encode(&m2, &l2, &n2, err2, sizeof err2);
	if (r || n1 != n2 || memcmp(l1, l2, n1)) {
		fprintf(stderr, "encoding not stable (%d):\n%s%s", r, l1, l2 ? l2 : "(none)\n");
		abort();
	}
	wire_msg_free(&m2);
	wire_msg_free(&m2); /* documented as safe twice */
	free(l1);
	free(l2);
}

/* The agent's check of each asked action: built or refused with a reason. */
static void agent_check(const struct wire_apply *a)
{
	for (unsigned i = 0; i < a->nchanges; i++) {
		const struct wire_change *c = &a->changes[i];
		struct act_spec s = {
			.target = c->target, .key = c->key, .op = c->op[0] ? c->op : NULL,
			.value = c->has_value ? c->value : NULL, .min = c->has_min ? c->min : NULL,
			.max = c->has_max ? c->max : NULL,
		};
		struct pol_action act;
		char why[256];
		int r = act_from_spec(c->kind, &s, &act, why, sizeof why);
		if (r && (!why[0] || !memchr(why, 0, sizeof why)))
			abort(); /* a refusal always says why */
		if (r == 0 && act.side != POL_GUEST)
			abort();
	}
}

static void same_report(const char *line, size_t len, int r, const struct wire_msg *m)
{
	struct report_scan rs;
	int s = report_scan(line, len, &rs);
	bool is_report = r == 0 && m->type == WIRE_REPORT;
	if (s == -ENOMEM)
		return;
	if (is_report != (s == 1 || s == -EINVAL)) {
		fprintf(stderr, "report_scan %d, wire_decode %d type %d\n", s, r, r ? 0 : m->type);
		abort();
	}
	if (is_report && (rs.seq != m->u.report.seq || rs.mono_ns != m->u.report.mono_ns ||
			  rs.interval_s != m->u.report.interval_s ||
			  rs.unknown_fields != m->unknown_fields)) {
		fprintf(stderr, "report_scan and wire_decode read the envelope differently\n");
		abort();
	}
	if (s == 1 && (!rs.keep || strlen(rs.keep) != rs.keep_len || rs.keep[0] != '{'))
		abort();
	free(rs.keep);
}

static int on_line(void *arg, int status, const char *line, size_t len)
{
	struct seen *s = arg;
	if (status == 0) {
		if (len == 0 || line[len] != 0 || memchr(line, '\n', len) ||
		    memchr(line, 0, len) || len >= WIRE_MAX_LINE)
			abort();
	}
	s->h = s->h * 1000003u + (uint64_t)(status + 100);
	for (size_t i = 0; status == 0 && i < len; i++)
		s->h = s->h * 31u + (unsigned char)line[i];
	s->n++;
	if (status == 0 && s->decode) {
		struct wire_msg m;
		char err[256];
		int r = wire_decode(line, len, &m, err, sizeof err);
		same_report(line, len, r, &m);
		if (r == 0) {
			roundtrip(&m);
			if (m.type == WIRE_APPLY && m.v >= 2)
				agent_check(&m.u.apply);
			wire_msg_free(&m);
		} else if (r != -EMSGSIZE && r != -EINVAL && r != -EPROTO &&
			   r != -ENOMEM) {
			fprintf(stderr, "wire_decode: undocumented return %d\n", r);
			abort();
		} else if (!memchr(err, 0, sizeof err)) {
			abort();
		}
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen whole = { .decode = 1 }, chunked = { 0 };
	struct linebuf *lb = linebuf_new(WIRE_MAX_LINE);
	if (!lb)
		return 0;

	/* The decoder also on the raw input, as one line (no framer). */
	struct wire_msg m;
	if (wire_decode((const char *)data, size, &m, NULL, 0) == 0)
		wire_msg_free(&m);

	if (linebuf_feed(lb, data, size, 1, on_line, &whole))
		abort();
	if (linebuf_buffered(lb) >= WIRE_MAX_LINE)
		abort();
	/* The same bytes in chunks of 1..8 bytes must give the same events. */
	linebuf_reset(lb);
	size_t step = size ? (size_t)(data[0] % 8) + 1 : 1;
	for (size_t off = 0; off < size; off += step) {
		size_t n = size - off < step ? size - off : step;
		if (linebuf_feed(lb, data + off, n, 1 + off, on_line, &chunked))
			abort();
	}
	if (whole.n != chunked.n || whole.h != chunked.h) {
		fprintf(stderr, "framing differs: %zu events whole, %zu chunked\n",
			whole.n, chunked.n);
		abort();
	}
	linebuf_free(lb);
	return 0;
}
