/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_wire: round trips of every message type and strict rejection of
 * malformed, hostile and out-of-range guest input by the wire codec. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

static char err[256];

/* Decode a C string; returns the decode result. */
static int dec(const char *s, struct wire_msg *m)
{
	return wire_decode(s, strlen(s), m, err, sizeof err);
}

/* Expect rejection with code and an error text containing what. */
static void bad(const char *s, int code, const char *what)
{
	struct wire_msg m;
	int r = dec(s, &m);
	if (r != code || !strstr(err, what))
		fail_msg("line %s: got %d '%s', want %d '%s'", s, r, err, code, what);
	wire_msg_free(&m);
}

/* Encode, check the line shape, decode again. */
static void roundtrip(const struct wire_msg *in, struct wire_msg *out)
{
	char *line;
	size_t len;
	int r = wire_encode(in, &line, &len, err, sizeof err);
	if (r)
		fail_msg("encode: %d %s", r, err);
	assert_int_equal(strlen(line), len);
	assert_true(len >= 2 && line[len - 1] == '\n');
	assert_null(memchr(line, '\n', len - 1));
	r = wire_decode(line, len, out, err, sizeof err);
	if (r)
		fail_msg("decode of own line %s: %d %s", line, r, err);
	free(line);
	assert_int_equal(out->type, in->type);
	assert_int_equal(out->v, WIRE_VERSION);
	assert_int_equal(out->unknown_fields, 0);
}

static void test_hello_roundtrip(void **state)
{
	struct wire_msg m, o;
	(void)state;
	wire_msg_init(&m, WIRE_HELLO);
	m.u.hello.role = WIRE_ROLE_AGENT;
	strcpy(m.u.hello.version, "0.1.0");
	m.u.hello.min_v = 1;
	m.u.hello.max_v = 3;
	m.u.hello.ncaps = 2;
	strcpy(m.u.hello.caps[0], "sysctl");
	strcpy(m.u.hello.caps[1], "sockdiag.v2");
	roundtrip(&m, &o);
	assert_int_equal(o.u.hello.role, WIRE_ROLE_AGENT);
	assert_string_equal(o.u.hello.version, "0.1.0");
	assert_int_equal(o.u.hello.min_v, 1);
	assert_int_equal(o.u.hello.max_v, 3);
	assert_int_equal(o.u.hello.ncaps, 2);
	assert_string_equal(o.u.hello.caps[1], "sockdiag.v2");
	wire_msg_free(&o);

	assert_int_equal(dec("{\"v\":1,\"type\":\"hello\",\"role\":\"host\",\"version\":\"1.2.3-rc1\","
			     "\"min_v\":1,\"max_v\":1,\"caps\":[]}", &o), 0);
	assert_int_equal(o.u.hello.role, WIRE_ROLE_HOST);
	wire_msg_free(&o);
	/* a future peer's hello (v 7) is still readable */
	assert_int_equal(dec("{\"v\":7,\"type\":\"hello\",\"role\":\"host\",\"version\":\"9.0.0\","
			     "\"min_v\":5,\"max_v\":7,\"caps\":[],\"new\":{\"x\":1}}", &o), 0);
	assert_int_equal(o.v, 7);
	assert_int_equal(o.unknown_fields, 1);
	wire_msg_free(&o);

	bad("{\"v\":1,\"type\":\"hello\",\"role\":\"king\",\"version\":\"1.2.3\",\"min_v\":1,\"max_v\":1,\"caps\":[]}",
	    -EPROTO, "field 'role'");
	bad("{\"v\":1,\"type\":\"hello\",\"role\":\"host\",\"version\":\"1.2\",\"min_v\":1,\"max_v\":1,\"caps\":[]}",
	    -EPROTO, "field 'version'");
	bad("{\"v\":1,\"type\":\"hello\",\"role\":\"host\",\"version\":\"1.2.3\",\"min_v\":2,\"max_v\":1,\"caps\":[]}",
	    -EPROTO, "field 'min_v'");
	bad("{\"v\":1,\"type\":\"hello\",\"role\":\"host\",\"version\":\"1.2.3\",\"min_v\":0,\"max_v\":1,\"caps\":[]}",
	    -EPROTO, "field 'min_v'");
	bad("{\"v\":1,\"type\":\"hello\",\"role\":\"host\",\"version\":\"1.2.3\",\"min_v\":1,\"max_v\":1,\"caps\":[1]}",
	    -EPROTO, "field 'caps[0]': not a string");
	bad("{\"v\":1,\"type\":\"hello\",\"role\":\"host\",\"version\":\"1.2.3\",\"min_v\":1,\"max_v\":1,\"caps\":\"x\"}",
	    -EPROTO, "field 'caps': not an array");
}

static void test_report_roundtrip(void **state)
{
	struct wire_msg m, o;
	(void)state;
	wire_msg_init(&m, WIRE_REPORT);
	m.u.report.seq = 42;
	m.u.report.mono_ns = 9000000000000000000ULL;
	m.u.report.interval_s = 0.5;
	m.u.report.sample = json_tokener_parse(
		"{\"steal\":1.25,\"listen\":[{\"port\":80,\"q\":3}],\"name\":\"a\\nb\"}");
	assert_non_null(m.u.report.sample);
	roundtrip(&m, &o);
	assert_true(o.u.report.seq == 42);
	assert_true(o.u.report.mono_ns == 9000000000000000000ULL);
	assert_true(o.u.report.interval_s == 0.5);
	json_object *s = o.u.report.sample, *x;
	assert_true(json_object_is_type(s, json_type_object));
	assert_true(json_object_object_get_ex(s, "steal", &x));
	assert_true(json_object_get_double(x) == 1.25);
	assert_true(json_object_object_get_ex(s, "name", &x));
	assert_string_equal(json_object_get_string(x), "a\nb");
	/* the caller can keep the sample past the message */
	json_object *keep = json_object_get(o.u.report.sample);
	wire_msg_free(&o);
	assert_true(json_object_is_type(keep, json_type_object));
	json_object_put(keep);
	wire_msg_free(&m);
	wire_msg_free(&m); /* twice is fine */

	assert_int_equal(dec("{\"v\":1,\"type\":\"report\",\"seq\":0,\"mono_ns\":1,"
			     "\"interval_s\":5,\"sample\":{}}", &o), 0);
	assert_true(o.u.report.interval_s == 5.0);
	wire_msg_free(&o);
}

#define RPT(seq) "{\"v\":1,\"type\":\"report\",\"seq\":" seq \
	",\"mono_ns\":1,\"interval_s\":1,\"sample\":{}}"

static void test_numbers(void **state)
{
	(void)state;
	bad(RPT("-1"), -EPROTO, "field 'seq': not an unsigned integer");
	bad(RPT("1.5"), -EPROTO, "field 'seq': not an unsigned integer");
	bad(RPT("1.0"), -EPROTO, "field 'seq': not an unsigned integer");
	bad(RPT("\"1\""), -EPROTO, "field 'seq': not an unsigned integer");
	bad(RPT("true"), -EPROTO, "field 'seq': not an unsigned integer");
	bad(RPT("null"), -EPROTO, "field 'seq': missing");
	bad(RPT("NaN"), -EINVAL, "invalid JSON");
	bad(RPT("Infinity"), -EINVAL, "invalid JSON");
	bad(RPT("-Infinity"), -EINVAL, "invalid JSON");
	bad(RPT("1e400"), -EPROTO, "field 'seq': number out of range");
	bad(RPT("99999999999999999999999"), -EINVAL, "64-bit range");
	bad(RPT("18446744073709551616"), -EINVAL, "64-bit range");
	bad(RPT("9007199254740992"), -EPROTO, "field 'seq': out of range");
	bad(RPT("01"), -EINVAL, "invalid JSON");
	bad(RPT("+1"), -EINVAL, "invalid JSON");
	bad(RPT("0x10"), -EINVAL, "invalid JSON");
	bad("{\"v\":1,\"type\":\"report\",\"seq\":1,\"mono_ns\":1,\"interval_s\":0,\"sample\":{}}",
	    -EPROTO, "field 'interval_s'");
	bad("{\"v\":1,\"type\":\"report\",\"seq\":1,\"mono_ns\":1,\"interval_s\":-1,\"sample\":{}}",
	    -EPROTO, "field 'interval_s'");
	bad("{\"v\":1,\"type\":\"report\",\"seq\":1,\"mono_ns\":1,\"interval_s\":1e999,\"sample\":{}}",
	    -EPROTO, "field 'interval_s': number out of range");
	bad("{\"v\":1,\"type\":\"report\",\"seq\":1,\"mono_ns\":18446744073709551615,"
	    "\"interval_s\":1,\"sample\":{}}", -EPROTO, "field 'mono_ns': out of range");
	/* inside the opaque sample too */
	bad("{\"v\":1,\"type\":\"report\",\"seq\":1,\"mono_ns\":1,\"interval_s\":1,"
	    "\"sample\":{\"a\":[1,-1e400]}}", -EPROTO, "field 'sample.a[1]': number out of range");
	bad("{\"v\":1,\"type\":\"report\",\"seq\":1,\"mono_ns\":1,\"interval_s\":1,\"sample\":[]}",
	    -EPROTO, "field 'sample': not an object");

	struct wire_msg o;
	assert_int_equal(dec(RPT("9007199254740991"), &o), 0);
	assert_true(o.u.report.seq == WIRE_MAX_ID);
	wire_msg_free(&o);
}

static void test_garbage(void **state)
{
	(void)state;
	bad("", -EINVAL, "not a JSON object");
	bad("   ", -EINVAL, "not a JSON object");
	bad("hello", -EINVAL, "not a JSON object");
	bad("[1,2]", -EINVAL, "not a JSON object");
	bad("\"x\"", -EINVAL, "not a JSON object");
	bad("{", -EINVAL, "invalid JSON");
	bad("{\"v\":1,\"type\":\"rep", -EINVAL, "invalid JSON");
	bad("{\"v\":1,\"type\":\"report\",", -EINVAL, "invalid JSON");
	bad("{\"v\":1}x", -EINVAL, "trailing data");
	bad("{\"v\":1}{\"v\":1}", -EINVAL, "trailing data");
	bad("{'v':1}", -EINVAL, "invalid JSON");
	bad("{\"v\":1,}", -EINVAL, "invalid JSON");
	bad("{\"v\":1 /* c */}", -EINVAL, "invalid JSON");
	bad("{\"v\":tru}", -EINVAL, "invalid literal");
	bad("{\"v\":1,\"type\":\"a\tb\"}", -EINVAL, "control byte");
	bad("{\"v\":1,\"type\":\"\\x\"}", -EINVAL, "invalid escape");
	bad("{\"v\":1,\"type\":\"\\u12\"}", -EINVAL, "\\u escape");
	bad("{}", -EPROTO, "field 'v': missing");
	bad("{\"v\":\"1\",\"type\":\"report\"}", -EPROTO, "field 'v': not an unsigned integer");
	bad("{\"v\":1}", -EPROTO, "field 'type': missing");
	bad("{\"v\":1,\"type\":5}", -EPROTO, "field 'type': not a string");
	bad("{\"v\":1,\"type\":\"bogus\"}", -EPROTO, "unknown message type 'bogus'");
	bad("{\"v\":1,\"type\":\"b o\\\"gus\"}", -EPROTO, "unknown message type");
	bad("{\"v\":3,\"type\":\"report\"}", -EPROTO, "field 'v': unsupported protocol version 3");
	bad("{\"v\":0,\"type\":\"report\"}", -EPROTO, "field 'v': out of range");

	/* nesting beyond WIRE_MAX_DEPTH */
	char deep[256] = "{\"v\":1,\"type\":\"error\",\"reason\":\"x\",\"z\":";
	for (int i = 0; i < WIRE_MAX_DEPTH; i++)
		strcat(deep, "[");
	for (int i = 0; i < WIRE_MAX_DEPTH; i++)
		strcat(deep, "]");
	strcat(deep, "}");
	bad(deep, -EINVAL, "nested too deep");

	/* more than WIRE_MAX_CONTAINERS objects and arrays: "{}," costs 3
	 * bytes of the line and ~1 KiB of json-c memory each */
	for (int extra = 0; extra <= 1; extra++) {
		const char *head = "{\"v\":1,\"type\":\"report\",\"seq\":1,\"mono_ns\":1,"
				   "\"interval_s\":1,\"sample\":{\"x\":[";
		size_t n = WIRE_MAX_CONTAINERS - 3 + extra; /* + the outer object, sample, x */
		char *big = malloc(strlen(head) + 3 * n + 4);
		assert_non_null(big);
		strcpy(big, head);
		char *p = big + strlen(head);
		for (size_t i = 0; i + 1 < n; i++, p += 3)
			memcpy(p, "{},", 3);
		strcpy(p, "{}]}}");
		if (extra) {
			bad(big, -EINVAL, "more than 4096 objects and arrays");
		} else {
			struct wire_msg mm;
			assert_int_equal(dec(big, &mm), 0);
			wire_msg_free(&mm);
		}
		free(big);
	}

	/* every prefix of a valid line is rejected without a crash */
	const char *ok = "{\"v\":1,\"type\":\"apply\",\"id\":7,\"rule\":\"r\",\"changes\":"
			 "[{\"kind\":\"sysctl\",\"key\":\"net.core.somaxconn\",\"value\":\"4096\"}]}";
	struct wire_msg m;
	for (size_t n = 0; n < strlen(ok); n++) {
		assert_true(wire_decode(ok, n, &m, err, sizeof err) < 0);
		wire_msg_free(&m);
	}
	assert_int_equal(wire_decode(ok, strlen(ok), &m, NULL, 0), 0);
	wire_msg_free(&m);

	/* a line over the limit, even if it were valid */
	size_t big = WIRE_MAX_LINE + 1;
	char *s = malloc(big + 1);
	assert_non_null(s);
	memset(s, ' ', big);
	s[big] = 0;
	memcpy(s, "{\"v\":1,\"type\":\"error\",\"reason\":\"x\"}", 35);
	bad(s, -EMSGSIZE, "longer than");
	free(s);
}

static void test_utf8_nul(void **state)
{
	(void)state;
	/* raw bad UTF-8: stray continuation, overlong '/', surrogate, > U+10FFFF, truncated */
	bad("{\"v\":1,\"type\":\"error\",\"reason\":\"\x80\"}", -EINVAL, "invalid UTF-8");
	bad("{\"v\":1,\"type\":\"error\",\"reason\":\"\xc0\xaf\"}", -EINVAL, "invalid UTF-8");
	bad("{\"v\":1,\"type\":\"error\",\"reason\":\"\xed\xa0\x80\"}", -EINVAL, "invalid UTF-8");
	bad("{\"v\":1,\"type\":\"error\",\"reason\":\"\xf4\x90\x80\x80\"}", -EINVAL, "invalid UTF-8");
	bad("{\"v\":1,\"type\":\"error\",\"reason\":\"\xe2\x82\"}", -EINVAL, "invalid UTF-8");
	bad("{\"v\":1,\"type\":\"error\",\"reason\":\"\xff\"}", -EINVAL, "invalid UTF-8");
	/* escapes that would decode to NUL or a lone surrogate */
	bad("{\"v\":1,\"type\":\"error\",\"reason\":\"a\\u0000b\"}", -EINVAL, "\\u0000");
	bad("{\"v\":1,\"type\":\"error\",\"reason\":\"\\ud800\"}", -EINVAL, "lone surrogate");
	bad("{\"v\":1,\"type\":\"error\",\"reason\":\"\\udc00x\"}", -EINVAL, "lone surrogate");
	bad("{\"v\":1,\"type\":\"error\",\"reason\":\"\\ud800\\u0041\"}", -EINVAL, "lone surrogate");
	/* a raw NUL inside the line */
	const char nul[] = "{\"v\":1,\"type\":\"error\",\"reason\":\"a\0b\"}";
	struct wire_msg m;
	assert_int_equal(wire_decode(nul, sizeof nul - 1, &m, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "control byte"));
	/* valid multi-byte text passes, and control characters escaped in JSON
	 * are still refused in a reason */
	assert_int_equal(dec("{\"v\":1,\"type\":\"error\",\"reason\":\"caf\xc3\xa9 \\u00e9 \\ud83d\\ude00 \xf0\x9f\x98\x80\"}", &m), 0);
	assert_string_equal(m.u.error.reason, "caf\xc3\xa9 \xc3\xa9 \xf0\x9f\x98\x80 \xf0\x9f\x98\x80");
	wire_msg_free(&m);
	bad("{\"v\":1,\"type\":\"error\",\"reason\":\"a\\nb\"}", -EPROTO, "field 'reason': contains a control");

	assert_true(wire_utf8_valid("", 0));
	assert_true(wire_utf8_valid("\xe2\x82\xac", 3));
	assert_false(wire_utf8_valid("\xe0\x80\x80", 3));
}

static void test_duplicates_unknown(void **state)
{
	struct wire_msg m;
	(void)state;
	bad("{\"v\":1,\"type\":\"error\",\"reason\":\"a\",\"reason\":\"b\"}", -EPROTO,
	    "field '(message)': duplicate key");
	bad("{\"v\":1,\"v\":1,\"type\":\"error\",\"reason\":\"a\"}", -EPROTO, "duplicate key");
	bad("{\"v\":1,\"type\":\"report\",\"seq\":1,\"mono_ns\":1,\"interval_s\":1,"
	    "\"sample\":{\"a\":{\"b\":1,\"b\":2}}}", -EPROTO, "field 'sample.a': duplicate key");
	/* a duplicate whose first value was an object */
	bad("{\"v\":1,\"type\":\"report\",\"seq\":1,\"mono_ns\":1,\"interval_s\":1,"
	    "\"sample\":{\"a\":{\"x\":{}},\"a\":1,\"c\":{}}}", -EPROTO, "field 'sample': duplicate key");
	/* same key in different objects is fine */
	assert_int_equal(dec("{\"v\":1,\"type\":\"report\",\"seq\":1,\"mono_ns\":1,\"interval_s\":1,"
			     "\"sample\":{\"a\":{\"a\":1},\"b\":{\"a\":2}}}", &m), 0);
	wire_msg_free(&m);

	assert_int_equal(dec("{\"v\":1,\"type\":\"apply\",\"id\":1,\"rule\":\"r\",\"later\":[1,2],"
			     "\"changes\":[{\"kind\":\"sysctl\",\"key\":\"a.b\",\"value\":\"1\",\"prio\":3}],"
			     "\"x\":null}", &m), 0);
	assert_int_equal(m.unknown_fields, 3);
	wire_msg_free(&m);
}

static void test_apply(void **state)
{
	struct wire_msg m, o;
	char key[64];
	(void)state;
	wire_msg_init(&m, WIRE_APPLY);
	m.u.apply.id = 77;
	strcpy(m.u.apply.rule, "accept-queue-overflow");
	assert_int_equal(wire_apply_add(&m, "net.core.somaxconn", "4096"), 0);
	assert_int_equal(wire_apply_add(&m, "net.ipv4.tcp_rmem", "4096\t131072\t6291456"), 0);
	assert_int_equal(wire_apply_add(&m, "net.ipv4.conf.eth0/100.rp_filter", "0"), 0);
	roundtrip(&m, &o);
	assert_true(o.u.apply.id == 77);
	assert_string_equal(o.u.apply.rule, "accept-queue-overflow");
	assert_int_equal(o.u.apply.nchanges, 3);
	assert_string_equal(o.u.apply.changes[0].kind, "sysctl");
	assert_string_equal(o.u.apply.changes[1].value, "4096\t131072\t6291456");
	assert_string_equal(o.u.apply.changes[2].key, "net.ipv4.conf.eth0/100.rp_filter");
	wire_msg_free(&o);
	for (int i = 3; i < WIRE_MAX_CHANGES; i++) {
		snprintf(key, sizeof key, "net.k%d", i);
		assert_int_equal(wire_apply_add(&m, key, "1"), 0);
	}
	assert_int_equal(wire_apply_add(&m, "net.one.more", "1"), -E2BIG);
	roundtrip(&m, &o);
	assert_int_equal(o.u.apply.nchanges, WIRE_MAX_CHANGES);
	wire_msg_free(&o);

	/* 33 changes on the wire */
	char *line = malloc(8192), *p = line;
	p += sprintf(p, "{\"v\":1,\"type\":\"apply\",\"id\":1,\"rule\":\"r\",\"changes\":[");
	for (int i = 0; i <= WIRE_MAX_CHANGES; i++)
		p += sprintf(p, "%s{\"kind\":\"sysctl\",\"key\":\"k%d\",\"value\":\"1\"}",
			     i ? "," : "", i);
	strcpy(p, "]}");
	bad(line, -EPROTO, "field 'changes': more than 32 entries");
	free(line);

	bad("{\"v\":1,\"type\":\"apply\",\"id\":1,\"rule\":\"r\",\"changes\":[]}", -EPROTO,
	    "field 'changes': empty");
	bad("{\"v\":1,\"type\":\"apply\",\"id\":1,\"rule\":\"r\",\"changes\":[5]}", -EPROTO,
	    "field 'changes[0]': not an object");
	bad("{\"v\":1,\"type\":\"apply\",\"id\":1,\"rule\":\"r\",\"changes\":"
	    "[{\"kind\":\"file\",\"key\":\"a\",\"value\":\"1\"}]}", -EPROTO,
	    "field 'changes[0].kind': unknown kind");
	bad("{\"v\":1,\"type\":\"apply\",\"id\":1,\"rule\":\"r\",\"changes\":"
	    "[{\"kind\":\"sysctl\",\"key\":\"../../etc/shadow\",\"value\":\"1\"}]}", -EPROTO,
	    "field 'changes[0].key': not a sysctl name");
	bad("{\"v\":1,\"type\":\"apply\",\"id\":1,\"rule\":\"r\",\"changes\":"
	    "[{\"kind\":\"sysctl\",\"key\":\"net..x\",\"value\":\"1\"}]}", -EPROTO,
	    "not a sysctl name");
	bad("{\"v\":1,\"type\":\"apply\",\"id\":1,\"rule\":\"r\",\"changes\":"
	    "[{\"kind\":\"sysctl\",\"key\":\"a\",\"value\":1}]}", -EPROTO,
	    "field 'changes[0].value': not a string");
	bad("{\"v\":1,\"type\":\"apply\",\"id\":1,\"rule\":\"r s\",\"changes\":"
	    "[{\"kind\":\"sysctl\",\"key\":\"a\",\"value\":\"1\"}]}", -EPROTO,
	    "field 'rule': not a valid name");

	/* string length limits: at the limit passes, one more fails */
	char longkey[WIRE_MAX_KEY + 2], longval[WIRE_MAX_VALUE + 2], longrule[WIRE_MAX_RULE + 2];
	char buf[1024];
	memset(longkey, 'k', sizeof longkey - 1);
	longkey[WIRE_MAX_KEY] = 0;
	memset(longval, 'v', sizeof longval - 1);
	longval[WIRE_MAX_VALUE] = 0;
	memset(longrule, 'r', sizeof longrule - 1);
	longrule[WIRE_MAX_RULE] = 0;
	snprintf(buf, sizeof buf, "{\"v\":1,\"type\":\"apply\",\"id\":1,\"rule\":\"%s\",\"changes\":"
		 "[{\"kind\":\"sysctl\",\"key\":\"%s\",\"value\":\"%s\"}]}", longrule, longkey, longval);
	assert_int_equal(dec(buf, &o), 0);
	wire_msg_free(&o);
	longkey[WIRE_MAX_KEY] = 'k';
	longkey[WIRE_MAX_KEY + 1] = 0;
	snprintf(buf, sizeof buf, "{\"v\":1,\"type\":\"apply\",\"id\":1,\"rule\":\"r\",\"changes\":"
		 "[{\"kind\":\"sysctl\",\"key\":\"%s\",\"value\":\"1\"}]}", longkey);
	bad(buf, -EPROTO, "field 'changes[0].key': longer than 128 bytes");
	longval[WIRE_MAX_VALUE] = 'v';
	longval[WIRE_MAX_VALUE + 1] = 0;
	snprintf(buf, sizeof buf, "{\"v\":1,\"type\":\"apply\",\"id\":1,\"rule\":\"r\",\"changes\":"
		 "[{\"kind\":\"sysctl\",\"key\":\"a\",\"value\":\"%s\"}]}", longval);
	bad(buf, -EPROTO, "field 'changes[0].value': longer than 256 bytes");
	longrule[WIRE_MAX_RULE] = 'r';
	longrule[WIRE_MAX_RULE + 1] = 0;
	snprintf(buf, sizeof buf, "{\"v\":1,\"type\":\"apply\",\"id\":1,\"rule\":\"%s\",\"changes\":"
		 "[{\"kind\":\"sysctl\",\"key\":\"a\",\"value\":\"1\"}]}", longrule);
	bad(buf, -EPROTO, "field 'rule': longer than 64 bytes");

	/* the encoder refuses what the decoder would */
	wire_msg_free(&m);
	wire_msg_init(&m, WIRE_APPLY);
	strcpy(m.u.apply.rule, "r");
	assert_int_equal(wire_apply_add(&m, "bad key", "1"), 0);
	char *l;
	size_t ll;
	assert_int_equal(wire_encode(&m, &l, &ll, err, sizeof err), -EINVAL);
	assert_null(l);
	assert_non_null(strstr(err, "changes[0].key"));
	wire_msg_free(&m);
}

static void test_revert_ack_error(void **state)
{
	struct wire_msg m, o;
	(void)state;
	wire_msg_init(&m, WIRE_REVERT);
	m.u.revert.id = 5;
	m.u.revert.has_rule = true;
	strcpy(m.u.revert.rule, "bridge-nf");
	roundtrip(&m, &o);
	assert_true(o.u.revert.has_rule && !o.u.revert.all);
	assert_string_equal(o.u.revert.rule, "bridge-nf");
	wire_msg_free(&o);
	wire_msg_init(&m, WIRE_REVERT);
	m.u.revert.all = true;
	roundtrip(&m, &o);
	assert_true(!o.u.revert.has_rule && o.u.revert.all);
	wire_msg_free(&o);
	bad("{\"v\":1,\"type\":\"revert\",\"id\":1,\"all\":false}", -EPROTO, "field 'rule': missing");
	bad("{\"v\":1,\"type\":\"revert\",\"id\":1,\"rule\":\"x\",\"all\":true}", -EPROTO,
	    "field 'all': true together");
	bad("{\"v\":1,\"type\":\"revert\",\"id\":1,\"all\":1}", -EPROTO, "field 'all': not a boolean");
	bad("{\"v\":1,\"type\":\"revert\",\"all\":true}", -EPROTO, "field 'id': missing");

	wire_msg_init(&m, WIRE_ACK);
	m.u.ack.id = 77;
	assert_int_equal(wire_ack_add(&m, "net.core.somaxconn", "128", "4096", NULL), 0);
	assert_int_equal(wire_ack_add(&m, "net.core.nope", NULL, NULL, "No such file or directory"), 0);
	assert_int_equal(wire_ack_add(&m, "net.core.ro", "1", NULL, "Permission denied"), 0);
	roundtrip(&m, &o);
	assert_true(o.u.ack.id == 77);
	assert_int_equal(o.u.ack.nresults, 3);
	assert_true(o.u.ack.results[0].has_old && o.u.ack.results[0].has_new &&
		    !o.u.ack.results[0].has_error);
	assert_string_equal(o.u.ack.results[0].old_value, "128");
	assert_string_equal(o.u.ack.results[0].new_value, "4096");
	assert_true(!o.u.ack.results[1].has_old && o.u.ack.results[1].has_error);
	assert_string_equal(o.u.ack.results[1].error, "No such file or directory");
	assert_true(o.u.ack.results[2].has_old && !o.u.ack.results[2].has_new);
	wire_msg_free(&o);
	wire_msg_free(&m);
	wire_msg_init(&m, WIRE_ACK);
	roundtrip(&m, &o); /* an ack with no results (revert of nothing) */
	assert_int_equal(o.u.ack.nresults, 0);
	wire_msg_free(&o);
	bad("{\"v\":1,\"type\":\"ack\",\"id\":1,\"results\":[{\"key\":\"a\",\"new\":\"1\"}]}",
	    -EPROTO, "field 'results[0].old': missing");
	bad("{\"v\":1,\"type\":\"ack\",\"id\":-3,\"results\":[]}", -EPROTO,
	    "field 'id': not an unsigned integer");

	wire_msg_init(&m, WIRE_ERROR);
	strcpy(m.u.error.reason, "no common protocol version");
	roundtrip(&m, &o);
	assert_string_equal(o.u.error.reason, "no common protocol version");
	wire_msg_free(&o);
	bad("{\"v\":1,\"type\":\"error\"}", -EPROTO, "field 'reason': missing");
	assert_string_equal(wire_type_name(WIRE_ACK), "ack");
	assert_string_equal(wire_type_name((enum wire_type)99), "?");
}

static void test_encode_limits(void **state)
{
	struct wire_msg m;
	char *line;
	size_t len;
	(void)state;
	/* an ack of 64 results with long, escape-heavy values passes the limit */
	wire_msg_init(&m, WIRE_ACK);
	char val[WIRE_MAX_VALUE + 1];
	memset(val, '"', WIRE_MAX_VALUE);
	val[WIRE_MAX_VALUE] = 0;
	for (int i = 0; i < WIRE_MAX_RESULTS; i++)
		assert_int_equal(wire_ack_add(&m, "net.core.somaxconn", val, val, NULL), 0);
	assert_int_equal(wire_ack_add(&m, "a", "1", "1", NULL), -E2BIG);
	assert_int_equal(wire_encode(&m, &line, &len, err, sizeof err), -EMSGSIZE);
	assert_null(line);
	wire_msg_free(&m);
	/* a report whose sample is not an object, or missing */
	wire_msg_init(&m, WIRE_REPORT);
	m.u.report.interval_s = 1;
	assert_int_equal(wire_encode(&m, &line, &len, err, sizeof err), -EINVAL);
	m.u.report.sample = json_object_new_array();
	assert_int_equal(wire_encode(&m, &line, &len, err, sizeof err), -EINVAL);
	wire_msg_free(&m);
	/* NaN in a sample never reaches the wire */
	wire_msg_init(&m, WIRE_REPORT);
	m.u.report.interval_s = 1;
	m.u.report.sample = json_object_new_object();
	json_object_object_add(m.u.report.sample, "x", json_object_new_double(0.0 / 0.0));
	assert_int_equal(wire_encode(&m, &line, &len, err, sizeof err), -EINVAL);
	wire_msg_free(&m);
	/* unterminated string in a struct */
	wire_msg_init(&m, WIRE_ERROR);
	memset(m.u.error.reason, 'x', sizeof m.u.error.reason);
	assert_int_equal(wire_encode(&m, &line, &len, err, sizeof err), -EINVAL);
}

static void test_negotiate(void **state)
{
	unsigned v = 0;
	char e[128];
	(void)state;
	assert_int_equal(wire_negotiate(1, 3, 2, 5, &v, e, sizeof e), 0);
	assert_int_equal(v, 3);
	assert_int_equal(wire_negotiate(1, 1, 1, 1, &v, e, sizeof e), 0);
	assert_int_equal(v, 1);
	assert_int_equal(wire_negotiate(2, 4, 1, 9, &v, e, sizeof e), 0);
	assert_int_equal(v, 4);
	assert_int_equal(wire_negotiate(1, 1, 2, 3, &v, e, sizeof e), -EPROTO);
	assert_non_null(strstr(e, "no common protocol version"));
	assert_int_equal(wire_negotiate(4, 5, 1, 3, &v, e, sizeof e), -EPROTO);
	assert_int_equal(wire_negotiate(3, 1, 1, 3, &v, NULL, 0), -EPROTO);

	/* the full exchange: decode the peer's hello, agree or send error */
	struct wire_msg m, out;
	assert_int_equal(dec("{\"v\":3,\"type\":\"hello\",\"role\":\"agent\",\"version\":\"3.0.0\","
			     "\"min_v\":3,\"max_v\":4,\"caps\":[]}", &m), 0);
	int r = wire_negotiate(WIRE_V_MIN, WIRE_V_MAX, m.u.hello.min_v, m.u.hello.max_v,
			       &v, e, sizeof e);
	assert_int_equal(r, -EPROTO);
	wire_msg_init(&out, WIRE_ERROR);
	snprintf(out.u.error.reason, sizeof out.u.error.reason, "%s", e);
	char *line;
	size_t len;
	assert_int_equal(wire_encode(&out, &line, &len, err, sizeof err), 0);
	assert_non_null(strstr(line, "\"type\":\"error\""));
	free(line);
	wire_msg_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello_roundtrip),
		cmocka_unit_test(test_report_roundtrip),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_utf8_nul),
		cmocka_unit_test(test_duplicates_unknown),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_revert_ack_error),
		cmocka_unit_test(test_encode_limits),
		cmocka_unit_test(test_negotiate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
