/* SPDX-License-Identifier: GPL-2.0-or-later */
/* wire: strict JSON-lines codec for the agent <-> hostd protocol. The
 * strict scanner (jscan: RFC 8259, duplicates, limits) runs before json-c
 * (which accepts NaN, single quotes, bad UTF-8, keeps the last of duplicate
 * keys and saturates huge integers), then typed field extraction. */
#include "wire.h"
#include "jscan.h"
#include "vec.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool wire_utf8_valid(const char *s, size_t len)
{
	return jscan_utf8_valid(s, len);
}

/* ------------------------------------------------------ field extraction */

struct dctx {
	char *err;
	size_t errlen;
	const char *prefix; /* "" or "changes[3]." */
	unsigned *unknown;
};

static int __attribute__((format(printf, 3, 4)))
ferr(struct dctx *d, const char *name, const char *fmt, ...)
{
	char why[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	snprintf(d->err, d->errlen, "field '%s%s': %s", d->prefix, name, why);
	return -EPROTO;
}

/* Count the fields of o not named in known (NULL-terminated). */
static void count_unknown(struct dctx *d, json_object *o, const char *const *known)
{
	json_object_object_foreach(o, k, val) {
		(void)val;
		bool found = false;
		for (const char *const *p = known; *p; p++)
			if (!strcmp(*p, k))
				found = true;
		if (!found)
			(*d->unknown)++;
	}
}

static int get_field(struct dctx *d, json_object *o, const char *name,
		     json_object **out, bool required)
{
	if (!json_object_object_get_ex(o, name, out) || !*out) {
		*out = NULL;
		/* null counts as absent for optional fields only */
		if (required)
			return ferr(d, name, "missing");
	}
	return 0;
}

static int get_uint(struct dctx *d, json_object *o, const char *name,
		    uint64_t min, uint64_t max, uint64_t *out)
{
	json_object *v;
	int r = get_field(d, o, name, &v, true);
	if (r)
		return r;
	if (!json_object_is_type(v, json_type_int))
		return ferr(d, name, "not an unsigned integer");
	if (json_object_get_int64(v) < 0)
		return ferr(d, name, "not an unsigned integer");
	uint64_t x = json_object_get_uint64(v);
	if (x < min || x > max)
		return ferr(d, name, "out of range [%llu, %llu]",
			    (unsigned long long)min, (unsigned long long)max);
	*out = x;
	return 0;
}

enum text_class {
	TXT_FREE,  /* printable UTF-8, no control bytes */
	TXT_VALUE, /* as FREE, plus tab */
	TXT_KEY,   /* sysctl name: [A-Za-z0-9_./-], starts with a letter */
	TXT_NAME,  /* rule / capability: [A-Za-z0-9_.:-], starts alnum */
	TXT_VER,   /* x.y.z with an optional [-+] suffix */
};

static bool is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

static const char *text_check(const char *s, size_t len, enum text_class cls)
{
	const unsigned char *u = (const unsigned char *)s;

	if (memchr(s, 0, len))
		return "contains a NUL byte";
	if (!wire_utf8_valid(s, len))
		return "not valid UTF-8";
	switch (cls) {
	case TXT_FREE:
	case TXT_VALUE:
		for (size_t i = 0; i < len; i++)
			if ((u[i] < 0x20 && !(u[i] == '\t' && cls == TXT_VALUE)) ||
			    u[i] == 0x7f)
				return "contains a control character";
		return NULL;
	case TXT_KEY:
		if (!len || !((u[0] >= 'a' && u[0] <= 'z') || (u[0] >= 'A' && u[0] <= 'Z')))
			return "not a sysctl name";
		for (size_t i = 0; i < len; i++) {
			if (!is_alnum(u[i]) && !strchr("_.-/", u[i]))
				return "not a sysctl name";
			if (i && strchr("./", u[i]) && strchr("./", u[i - 1]))
				return "not a sysctl name";
		}
		if (strchr("./", u[len - 1]))
			return "not a sysctl name";
		return NULL;
	case TXT_NAME:
		if (!len || !is_alnum(u[0]))
			return "not a valid name";
		for (size_t i = 0; i < len; i++)
			if (!is_alnum(u[i]) && !strchr("_.:-", u[i]))
				return "not a valid name";
		return NULL;
	case TXT_VER: {
		size_t i = 0;
		for (int part = 0; part < 3; part++) {
			size_t st = i;
			while (i < len && u[i] >= '0' && u[i] <= '9')
				i++;
			if (i == st || i - st > 5)
				return "not a version x.y.z";
			if (part < 2) {
				if (i >= len || u[i] != '.')
					return "not a version x.y.z";
				i++;
			}
		}
		if (i < len) {
			if (u[i] != '-' && u[i] != '+')
				return "not a version x.y.z";
			for (i++; i < len; i++)
				if (!is_alnum(u[i]) && !strchr(".+-", u[i]))
					return "not a version x.y.z";
		}
		return NULL;
	}
	}
	return NULL;
}

/* Copy a string field into out[max + 1]. *present tells whether it was
 * there (NULL: required). */
static int get_str(struct dctx *d, json_object *o, const char *name,
		   size_t max, enum text_class cls, char *out, bool *present)
{
	json_object *v;
	int r = get_field(d, o, name, &v, !present);
	if (r)
		return r;
	if (present)
		*present = v != NULL;
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return ferr(d, name, "not a string");
	const char *s = json_object_get_string(v);
	size_t len = (size_t)json_object_get_string_len(v);
	if (len > max)
		return ferr(d, name, "longer than %zu bytes", max);
	const char *why = text_check(s, len, cls);
	if (why)
		return ferr(d, name, "%s", why);
	memcpy(out, s, len);
	out[len] = 0;
	return 0;
}

static int get_array(struct dctx *d, json_object *o, const char *name,
		     size_t max, json_object **out, size_t *n)
{
	int r = get_field(d, o, name, out, true);
	if (r)
		return r;
	if (!json_object_is_type(*out, json_type_array))
		return ferr(d, name, "not an array");
	*n = json_object_array_length(*out);
	if (*n > max)
		return ferr(d, name, "more than %zu entries", max);
	return 0;
}

static int dec_hello(struct dctx *d, json_object *o, struct wire_hello *h)
{
	static const char *const known[] = { "v", "type", "role", "version",
		"min_v", "max_v", "caps", NULL };
	char role[8];
	uint64_t x;
	json_object *a;
	size_t n;
	int r;

	count_unknown(d, o, known);
	if ((r = get_str(d, o, "role", sizeof role - 1, TXT_NAME, role, NULL)))
		return r;
	if (!strcmp(role, "agent"))
		h->role = WIRE_ROLE_AGENT;
	else if (!strcmp(role, "host"))
		h->role = WIRE_ROLE_HOST;
	else
		return ferr(d, "role", "not \"agent\" or \"host\"");
	if ((r = get_str(d, o, "version", WIRE_MAX_VERSTR, TXT_VER, h->version, NULL)))
		return r;
	if ((r = get_uint(d, o, "min_v", 1, WIRE_V_LIMIT, &x)))
		return r;
	h->min_v = (unsigned)x;
	if ((r = get_uint(d, o, "max_v", 1, WIRE_V_LIMIT, &x)))
		return r;
	h->max_v = (unsigned)x;
	if (h->min_v > h->max_v)
		return ferr(d, "min_v", "greater than max_v");
	if ((r = get_array(d, o, "caps", WIRE_MAX_CAPS, &a, &n)))
		return r;
	for (size_t i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(a, i);
		char name[40];
		snprintf(name, sizeof name, "caps[%zu]", i);
		if (!json_object_is_type(c, json_type_string))
			return ferr(d, name, "not a string");
		size_t len = (size_t)json_object_get_string_len(c);
		if (len > WIRE_MAX_CAP)
			return ferr(d, name, "longer than %d bytes", WIRE_MAX_CAP);
		const char *why = text_check(json_object_get_string(c), len, TXT_NAME);
		if (why)
			return ferr(d, name, "%s", why);
		memcpy(h->caps[i], json_object_get_string(c), len);
		h->caps[i][len] = 0;
	}
	h->ncaps = (unsigned)n;
	return 0;
}

static int dec_report(struct dctx *d, json_object *o, struct wire_report *rp)
{
	static const char *const known[] = { "v", "type", "seq", "mono_ns",
		"interval_s", "sample", NULL };
	json_object *v;
	int r;

	count_unknown(d, o, known);
	if ((r = get_uint(d, o, "seq", 0, WIRE_MAX_ID, &rp->seq)))
		return r;
	if ((r = get_uint(d, o, "mono_ns", 0, INT64_MAX, &rp->mono_ns)))
		return r;
	if ((r = get_field(d, o, "interval_s", &v, true)))
		return r;
	if (!json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double))
		return ferr(d, "interval_s", "not a number");
	double iv = json_object_get_double(v);
	if (!isfinite(iv) || iv <= 0 || iv > WIRE_MAX_INTERVAL_S)
		return ferr(d, "interval_s", "out of range (0, %g]", WIRE_MAX_INTERVAL_S);
	rp->interval_s = iv;
	if ((r = get_field(d, o, "sample", &v, true)))
		return r;
	if (!json_object_is_type(v, json_type_object))
		return ferr(d, "sample", "not an object");
	rp->sample = json_object_get(v);
	return 0;
}

/* An optional unsigned integer: *present says whether it was there. */
static int get_uint_opt(struct dctx *d, json_object *o, const char *name, uint64_t min,
			uint64_t max, uint64_t *out, bool *present)
{
	json_object *v;
	*present = json_object_object_get_ex(o, name, &v) && v;
	return *present ? get_uint(d, o, name, min, max, out) : 0;
}

static int is_word(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || *s == '_' || (*s >= '0' && *s <= '9')))
			return 0;
	return 1;
}

static int dec_apply(struct dctx *d, json_object *o, unsigned v, struct wire_apply *ap)
{
	static const char *const known[] = { "v", "type", "id", "rule",
		"changes", NULL };
	static const char *const ckn1[] = { "kind", "key", "value", NULL };
	static const char *const ckn2[] = { "kind", "target", "key", "value", "op", "min",
		"max", "ref", NULL };
	static const char *const ops[] = { "set", "scale", "step", "widen", NULL };
	json_object *a;
	size_t n;
	int r;

	count_unknown(d, o, known);
	if ((r = get_uint(d, o, "id", 0, WIRE_MAX_ID, &ap->id)))
		return r;
	if ((r = get_str(d, o, "rule", WIRE_MAX_RULE, TXT_NAME, ap->rule, NULL)))
		return r;
	if ((r = get_array(d, o, "changes", WIRE_MAX_CHANGES, &a, &n)))
		return r;
	if (n == 0)
		return ferr(d, "changes", "empty");
	ap->changes = calloc(n, sizeof *ap->changes);
	if (!ap->changes)
		return -ENOMEM;
	ap->capchanges = n;
	for (size_t i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(a, i);
		struct wire_change *ch = &ap->changes[i];
		char pfx[40];
		bool has;
		snprintf(pfx, sizeof pfx, "changes[%zu]", i);
		if (!json_object_is_type(c, json_type_object))
			return ferr(d, pfx, "not an object");
		strcat(pfx, ".");
		struct dctx sub = { d->err, d->errlen, pfx, d->unknown };
		count_unknown(&sub, c, v >= 2 ? ckn2 : ckn1);
		if ((r = get_str(&sub, c, "kind", WIRE_MAX_KIND, TXT_NAME, ch->kind, NULL)))
			return r;
		if (v < 2 ? strcmp(ch->kind, "sysctl") != 0 : !is_word(ch->kind))
			return ferr(&sub, "kind", "unknown kind");
		if ((r = get_str(&sub, c, "key", WIRE_MAX_KEY, TXT_KEY, ch->key, NULL)))
			return r;
		if ((r = get_str(&sub, c, "value", WIRE_MAX_VALUE, TXT_VALUE, ch->value,
				 v >= 2 ? &ch->has_value : NULL)))
			return r;
		if (v < 2) {
			ch->has_value = true;
		} else {
			if ((r = get_str(&sub, c, "target", WIRE_MAX_KEY, TXT_KEY, ch->target, &has)))
				return r;
			if ((r = get_str(&sub, c, "op", sizeof ch->op - 1, TXT_NAME, ch->op, &has)))
				return r;
			size_t k = 0;
			while (has && ops[k] && strcmp(ops[k], ch->op))
				k++;
			if (has && !ops[k])
				return ferr(&sub, "op", "not one of set, scale, step, widen");
			if ((r = get_str(&sub, c, "min", WIRE_MAX_NUM, TXT_VALUE, ch->min, &ch->has_min)) ||
			    (r = get_str(&sub, c, "max", WIRE_MAX_NUM, TXT_VALUE, ch->max, &ch->has_max)))
				return r;
			if ((r = get_uint_opt(&sub, c, "ref", 1, WIRE_MAX_ID, &ch->ref, &has)))
				return r;
		}
		ap->nchanges = (unsigned)(i + 1);
	}
	return 0;
}

static int get_bool(struct dctx *d, json_object *o, const char *name, bool *out)
{
	json_object *v;
	int r = get_field(d, o, name, &v, true);
	if (r)
		return r;
	if (!json_object_is_type(v, json_type_boolean))
		return ferr(d, name, "not a boolean");
	*out = json_object_get_boolean(v);
	return 0;
}

static int dec_revert(struct dctx *d, json_object *o, unsigned v, struct wire_revert *rv)
{
	static const char *const known1[] = { "v", "type", "id", "rule", "all", NULL };
	static const char *const known2[] = { "v", "type", "id", "rule", "all", "refs", NULL };
	json_object *a;
	int r;

	count_unknown(d, o, v >= 2 ? known2 : known1);
	if ((r = get_uint(d, o, "id", 0, WIRE_MAX_ID, &rv->id)))
		return r;
	if ((r = get_str(d, o, "rule", WIRE_MAX_RULE, TXT_NAME, rv->rule, &rv->has_rule)))
		return r;
	if ((r = get_bool(d, o, "all", &rv->all)))
		return r;
	if (v >= 2 && json_object_object_get_ex(o, "refs", &a) && a) {
		size_t n;
		if ((r = get_array(d, o, "refs", WIRE_MAX_REFS, &a, &n)))
			return r;
		if (!n)
			return ferr(d, "refs", "empty");
		for (size_t i = 0; i < n; i++) {
			json_object *e = json_object_array_get_idx(a, i);
			char name[32];
			snprintf(name, sizeof name, "refs[%zu]", i);
			if (!json_object_is_type(e, json_type_int) || json_object_get_int64(e) < 1 ||
			    (uint64_t)json_object_get_int64(e) > WIRE_MAX_ID)
				return ferr(d, name, "not a record number");
			rv->refs[i] = (uint64_t)json_object_get_int64(e);
		}
		rv->nrefs = (unsigned)n;
	}
	if (rv->all && (rv->has_rule || rv->nrefs))
		return ferr(d, "all", rv->has_rule ? "true together with 'rule'"
						   : "true together with 'refs'");
	if (!rv->all && rv->has_rule && rv->nrefs)
		return ferr(d, "refs", "together with 'rule'");
	if (!rv->all && !rv->has_rule && !rv->nrefs)
		return ferr(d, "rule", v >= 2 ? "missing (required when 'all' is false and there are no 'refs')"
					      : "missing (required when 'all' is false)");
	return 0;
}

static int dec_ack(struct dctx *d, json_object *o, unsigned v, struct wire_ack *ak)
{
	static const char *const known[] = { "v", "type", "id", "results", NULL };
	static const char *const rkn1[] = { "key", "old", "new", "error", NULL };
	static const char *const rkn2[] = { "key", "old", "new", "error", "ref", "kind",
		"knobs", NULL };
	json_object *a;
	size_t n;
	int r;

	count_unknown(d, o, known);
	if ((r = get_uint(d, o, "id", 0, WIRE_MAX_ID, &ak->id)))
		return r;
	if ((r = get_array(d, o, "results", WIRE_MAX_RESULTS, &a, &n)))
		return r;
	if (n) {
		ak->results = calloc(n, sizeof *ak->results);
		if (!ak->results)
			return -ENOMEM;
		ak->capresults = n;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(a, i);
		struct wire_result *res = &ak->results[i];
		char pfx[40];
		snprintf(pfx, sizeof pfx, "results[%zu]", i);
		if (!json_object_is_type(c, json_type_object))
			return ferr(d, pfx, "not an object");
		strcat(pfx, ".");
		struct dctx sub = { d->err, d->errlen, pfx, d->unknown };
		count_unknown(&sub, c, v >= 2 ? rkn2 : rkn1);
		if ((r = get_str(&sub, c, "key", WIRE_MAX_KEY, TXT_KEY, res->key, NULL)))
			return r;
		if (v >= 2) {
			bool has;
			if ((r = get_uint_opt(&sub, c, "ref", 1, WIRE_MAX_ID, &res->ref, &has)) ||
			    (r = get_str(&sub, c, "kind", WIRE_MAX_KIND, TXT_NAME, res->kind, &has)) ||
			    (r = get_uint_opt(&sub, c, "knobs", 0, 1000000, &res->knobs,
					      &res->has_knobs)))
				return r;
		}
		if ((r = get_str(&sub, c, "error", WIRE_MAX_REASON, TXT_FREE,
				 res->error, &res->has_error)))
			return r;
		if ((r = get_str(&sub, c, "old", WIRE_MAX_VALUE, TXT_VALUE,
				 res->old_value, &res->has_old)))
			return r;
		if ((r = get_str(&sub, c, "new", WIRE_MAX_VALUE, TXT_VALUE,
				 res->new_value, &res->has_new)))
			return r;
		if (!res->has_error && !res->has_old)
			return ferr(&sub, "old", "missing (required without 'error')");
		if (!res->has_error && !res->has_new)
			return ferr(&sub, "new", "missing (required without 'error')");
		ak->nresults = (unsigned)(i + 1);
	}
	return 0;
}

static int dec_error(struct dctx *d, json_object *o, struct wire_error *e)
{
	static const char *const known[] = { "v", "type", "reason", NULL };

	count_unknown(d, o, known);
	return get_str(d, o, "reason", WIRE_MAX_REASON, TXT_FREE, e->reason, NULL);
}

static const char *const type_names[] = {
	[WIRE_HELLO] = "hello", [WIRE_REPORT] = "report", [WIRE_APPLY] = "apply",
	[WIRE_REVERT] = "revert", [WIRE_ACK] = "ack", [WIRE_ERROR] = "error",
};

const char *wire_type_name(enum wire_type type)
{
	if ((unsigned)type < sizeof type_names / sizeof type_names[0] &&
	    type_names[type])
		return type_names[type];
	return "?";
}

void wire_msg_init(struct wire_msg *msg, enum wire_type type)
{
	memset(msg, 0, sizeof *msg);
	msg->v = WIRE_VERSION;
	msg->type = type;
}

void wire_msg_free(struct wire_msg *msg)
{
	if (!msg)
		return;
	switch (msg->type) {
	case WIRE_REPORT:
		json_object_put(msg->u.report.sample);
		break;
	case WIRE_APPLY:
		free(msg->u.apply.changes);
		break;
	case WIRE_ACK:
		free(msg->u.ack.results);
		break;
	default:
		break;
	}
	memset(msg, 0, sizeof *msg);
}

int wire_decode(const char *line, size_t len, struct wire_msg *msg,
		char *err, size_t errlen)
{
	char dummy[8];
	struct jscan_result js;
	json_tokener *tok = NULL;
	json_object *root = NULL, *f = NULL;
	unsigned unknown = 0;
	struct dctx d;
	int r;

	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof dummy;
	}
	err[0] = 0;
	memset(msg, 0, sizeof *msg);
	d = (struct dctx){ err, errlen, "", &unknown };

	if (len > WIRE_MAX_LINE) {
		snprintf(err, errlen, "line longer than %d bytes", WIRE_MAX_LINE);
		return -EMSGSIZE;
	}
	size_t lead = 0;
	while (lead < len && line[lead] && strchr(" \t\r\n", line[lead]))
		lead++;
	if (lead == len || line[lead] != '{') {
		snprintf(err, errlen, "not a JSON object");
		r = -EINVAL;
		goto out;
	}
	if (jscan(line, len, WIRE_MAX_DEPTH, WIRE_MAX_CONTAINERS, NULL, NULL, &js)) {
		if (js.err == JSCAN_DUPLICATE || js.err == JSCAN_RANGE) {
			snprintf(err, errlen, "field '%s': %s", *js.path ? js.path : "(message)",
				 js.err == JSCAN_DUPLICATE ? "duplicate key" : "number out of range");
			r = -EPROTO;
		} else {
			snprintf(err, errlen, "invalid JSON at byte %zu: %s", js.pos, js.why);
			r = js.err == JSCAN_NOMEM ? -ENOMEM : -EINVAL;
		}
		goto out;
	}
	tok = json_tokener_new_ex(WIRE_MAX_DEPTH + 1);
	if (!tok) {
		r = -ENOMEM;
		goto out;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, line, (int)len);
	if (!root || !json_object_is_type(root, json_type_object)) {
		snprintf(err, errlen, "invalid JSON: %s",
			 json_tokener_error_desc(json_tokener_get_error(tok)));
		r = -EINVAL;
		goto out;
	}

	uint64_t ver;
	char type[16];
	if ((r = get_uint(&d, root, "v", 1, WIRE_V_LIMIT, &ver)))
		goto out;
	if (!json_object_object_get_ex(root, "type", &f) ||
	    !json_object_is_type(f, json_type_string)) {
		r = ferr(&d, "type", f ? "not a string" : "missing");
		goto out;
	}
	const char *ts = json_object_get_string(f);
	enum wire_type t = 0;
	for (unsigned i = 1; i < sizeof type_names / sizeof type_names[0]; i++)
		if (!strcmp(ts, type_names[i]))
			t = i;
	if (!t) {
		snprintf(type, sizeof type, "%s", ts);
		bool printable = strlen(ts) < sizeof type;
		for (const char *p = type; *p; p++)
			if (!is_alnum((unsigned char)*p) && *p != '_' && *p != '-')
				printable = false;
		r = printable ? ferr(&d, "type", "unknown message type '%s'", type)
			      : ferr(&d, "type", "unknown message type");
		goto out;
	}
	msg->type = t;
	msg->v = (unsigned)ver;
	if (t != WIRE_HELLO && (ver < WIRE_V_MIN || ver > WIRE_V_MAX)) {
		r = ferr(&d, "v", "unsupported protocol version %llu",
			 (unsigned long long)ver);
		goto out;
	}
	switch (t) {
	case WIRE_HELLO:
		r = dec_hello(&d, root, &msg->u.hello);
		break;
	case WIRE_REPORT:
		r = dec_report(&d, root, &msg->u.report);
		break;
	case WIRE_APPLY:
		r = dec_apply(&d, root, msg->v, &msg->u.apply);
		break;
	case WIRE_REVERT:
		r = dec_revert(&d, root, msg->v, &msg->u.revert);
		break;
	case WIRE_ACK:
		r = dec_ack(&d, root, msg->v, &msg->u.ack);
		break;
	case WIRE_ERROR:
		r = dec_error(&d, root, &msg->u.error);
		break;
	}
	msg->unknown_fields = unknown;
out:
	if (r) {
		wire_msg_free(msg);
		if (r == -ENOMEM)
			snprintf(err, errlen, "out of memory");
	}
	json_object_put(root);
	if (tok)
		json_tokener_free(tok);
	return r;
}

/* -------------------------------------------------------------- encode */

/* Add a string member; fails if the C string is not terminated within max. */
static int put_str(json_object *o, const char *name, const char *s, size_t cap)
{
	size_t len = strnlen(s, cap);
	if (len == cap)
		return -EINVAL;
	json_object *v = json_object_new_string_len(s, (int)len);
	if (!v)
		return -ENOMEM;
	return json_object_object_add(o, name, v) ? -ENOMEM : 0;
}

static int put_u64(json_object *o, const char *name, uint64_t x)
{
	json_object *v = json_object_new_uint64(x);
	if (!v)
		return -ENOMEM;
	return json_object_object_add(o, name, v) ? -ENOMEM : 0;
}

static int put_obj(json_object *o, const char *name, json_object *v)
{
	if (!v)
		return -ENOMEM;
	return json_object_object_add(o, name, v) ? -ENOMEM : 0;
}

#define TRY(x) do { if ((r = (x))) goto out; } while (0)

static int build(const struct wire_msg *msg, json_object *root)
{
	json_object *a, *e;
	unsigned v = msg->v ? msg->v : WIRE_VERSION;
	int r = 0;

	TRY(put_u64(root, "v", msg->v ? msg->v : WIRE_VERSION));
	TRY(put_obj(root, "type", json_object_new_string(wire_type_name(msg->type))));
	switch (msg->type) {
	case WIRE_HELLO: {
		const struct wire_hello *h = &msg->u.hello;
		TRY(put_obj(root, "role", json_object_new_string(
			h->role == WIRE_ROLE_AGENT ? "agent" :
			h->role == WIRE_ROLE_HOST ? "host" : "?")));
		TRY(put_str(root, "version", h->version, sizeof h->version));
		TRY(put_u64(root, "min_v", h->min_v));
		TRY(put_u64(root, "max_v", h->max_v));
		if (h->ncaps > WIRE_MAX_CAPS)
			return -EINVAL;
		TRY(put_obj(root, "caps", a = json_object_new_array()));
		for (unsigned i = 0; i < h->ncaps; i++) {
			size_t len = strnlen(h->caps[i], sizeof h->caps[i]);
			if (len == sizeof h->caps[i])
				return -EINVAL;
			if (!(e = json_object_new_string_len(h->caps[i], (int)len)) ||
			    json_object_array_add(a, e)) {
				json_object_put(e);
				return -ENOMEM;
			}
		}
		break;
	}
	case WIRE_REPORT: {
		const struct wire_report *rp = &msg->u.report;
		TRY(put_u64(root, "seq", rp->seq));
		TRY(put_u64(root, "mono_ns", rp->mono_ns));
		TRY(put_obj(root, "interval_s", json_object_new_double(rp->interval_s)));
		if (!rp->sample)
			return -EINVAL;
		TRY(put_obj(root, "sample", json_object_get(rp->sample)));
		break;
	}
	case WIRE_APPLY: {
		const struct wire_apply *ap = &msg->u.apply;
		TRY(put_u64(root, "id", ap->id));
		TRY(put_str(root, "rule", ap->rule, sizeof ap->rule));
		if (ap->nchanges > WIRE_MAX_CHANGES || (ap->nchanges && !ap->changes))
			return -EINVAL;
		TRY(put_obj(root, "changes", a = json_object_new_array()));
		for (unsigned i = 0; i < ap->nchanges; i++) {
			const struct wire_change *c = &ap->changes[i];
			if (!(e = json_object_new_object()) || json_object_array_add(a, e)) {
				json_object_put(e);
				return -ENOMEM;
			}
			TRY(put_str(e, "kind", c->kind, sizeof c->kind));
			if (v >= 2 && c->target[0])
				TRY(put_str(e, "target", c->target, sizeof c->target));
			TRY(put_str(e, "key", c->key, sizeof c->key));
			if (v < 2 || c->has_value)
				TRY(put_str(e, "value", c->value, sizeof c->value));
			if (v >= 2 && c->op[0])
				TRY(put_str(e, "op", c->op, sizeof c->op));
			if (v >= 2 && c->has_min)
				TRY(put_str(e, "min", c->min, sizeof c->min));
			if (v >= 2 && c->has_max)
				TRY(put_str(e, "max", c->max, sizeof c->max));
			if (v >= 2 && c->ref)
				TRY(put_u64(e, "ref", c->ref));
		}
		break;
	}
	case WIRE_REVERT: {
		const struct wire_revert *rv = &msg->u.revert;
		TRY(put_u64(root, "id", rv->id));
		if (rv->has_rule)
			TRY(put_str(root, "rule", rv->rule, sizeof rv->rule));
		TRY(put_obj(root, "all", json_object_new_boolean(rv->all)));
		if (rv->nrefs > WIRE_MAX_REFS)
			return -EINVAL;
		if (rv->nrefs) {
			TRY(put_obj(root, "refs", a = json_object_new_array()));
			for (unsigned i = 0; i < rv->nrefs; i++)
				if (json_object_array_add(a, json_object_new_uint64(rv->refs[i])))
					return -ENOMEM;
		}
		break;
	}
	case WIRE_ACK: {
		const struct wire_ack *ak = &msg->u.ack;
		TRY(put_u64(root, "id", ak->id));
		if (ak->nresults > WIRE_MAX_RESULTS || (ak->nresults && !ak->results))
			return -EINVAL;
		TRY(put_obj(root, "results", a = json_object_new_array()));
		for (unsigned i = 0; i < ak->nresults; i++) {
			const struct wire_result *res = &ak->results[i];
			if (!(e = json_object_new_object()) || json_object_array_add(a, e)) {
				json_object_put(e);
				return -ENOMEM;
			}
			TRY(put_str(e, "key", res->key, sizeof res->key));
			if (v >= 2 && res->ref)
				TRY(put_u64(e, "ref", res->ref));
			if (v >= 2 && res->kind[0])
				TRY(put_str(e, "kind", res->kind, sizeof res->kind));
			if (v >= 2 && res->has_knobs)
				TRY(put_u64(e, "knobs", res->knobs));
			if (res->has_old)
				TRY(put_str(e, "old", res->old_value, sizeof res->old_value));
			if (res->has_new)
				TRY(put_str(e, "new", res->new_value, sizeof res->new_value));
			if (res->has_error)
				TRY(put_str(e, "error", res->error, sizeof res->error));
		}
		break;
	}
	case WIRE_ERROR:
		TRY(put_str(root, "reason", msg->u.error.reason, sizeof msg->u.error.reason));
		break;
	default:
		return -EINVAL;
	}
out:
	return r;
}

int wire_encode(const struct wire_msg *msg, char **line, size_t *len,
		char *err, size_t errlen)
{
	char dummy[8];
	json_object *root;
	struct wire_msg check;
	int r;

	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof dummy;
	}
	err[0] = 0;
	*line = NULL;
	*len = 0;
	root = json_object_new_object();
	if (!root)
		return -ENOMEM;
	r = build(msg, root);
	if (r) {
		snprintf(err, errlen, r == -ENOMEM ? "out of memory" :
			 "invalid message (bad type, count or unterminated string)");
		goto out;
	}
	const char *s = json_object_to_json_string_ext(root,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s) {
		r = -ENOMEM;
		goto out;
	}
	size_t n = strlen(s);
	if (n + 1 > WIRE_MAX_LINE) {
		snprintf(err, errlen, "encoded line is %zu bytes, limit %d",
			 n + 1, WIRE_MAX_LINE);
		r = -EMSGSIZE;
		goto out;
	}
	if (memchr(s, '\n', n)) { /* json-c escapes newlines; never trust it */
		snprintf(err, errlen, "newline inside the encoded line");
		r = -EINVAL;
		goto out;
	}
	r = wire_decode(s, n, &check, err, errlen);
	wire_msg_free(&check);
	if (r) {
		r = r == -ENOMEM ? r : -EINVAL;
		goto out;
	}
	*line = malloc(n + 2);
	if (!*line) {
		r = -ENOMEM;
		goto out;
	}
	memcpy(*line, s, n);
	(*line)[n] = '\n';
	(*line)[n + 1] = 0;
	*len = n + 1;
out:
	json_object_put(root);
	return r;
}

/* ------------------------------------------------------------- helpers */

static int copy_opt(char *dst, size_t cap, const char *src, bool *has)
{
	if (has)
		*has = src != NULL;
	if (!src)
		return 0;
	size_t n = strlen(src);
	if (n >= cap)
		return -EINVAL;
	memcpy(dst, src, n + 1);
	return 0;
}

int wire_apply_add_change(struct wire_msg *msg, const struct wire_change *c)
{
	struct wire_apply *ap = &msg->u.apply;
	if (msg->type != WIRE_APPLY || !c)
		return -EINVAL;
	if (ap->nchanges >= WIRE_MAX_CHANGES)
		return -E2BIG;
	return VEC_PUSH(ap->changes, ap->nchanges, ap->capchanges, *c);
}

int wire_apply_add(struct wire_msg *msg, const char *key, const char *value)
{
	struct wire_change c;

	memset(&c, 0, sizeof c);
	strcpy(c.kind, "sysctl");
	if (msg->type != WIRE_APPLY || !key || !value)
		return -EINVAL;
	if (copy_opt(c.key, sizeof c.key, key, NULL) ||
	    copy_opt(c.value, sizeof c.value, value, &c.has_value))
		return -EINVAL;
	return wire_apply_add_change(msg, &c);
}

int wire_ack_add(struct wire_msg *msg, const char *key, const char *old_value,
		 const char *new_value, const char *error)
{
	return wire_ack_add_v2(msg, 0, "", key, old_value, new_value, error, -1);
}

int wire_ack_add_v2(struct wire_msg *msg, uint64_t ref, const char *kind,
		    const char *key, const char *old_value, const char *new_value,
		    const char *error, long knobs)
{
	struct wire_ack *ak = &msg->u.ack;
	struct wire_result res;

	memset(&res, 0, sizeof res);
	res.ref = ref;
	res.has_knobs = knobs >= 0;
	res.knobs = knobs >= 0 ? (uint64_t)knobs : 0;
	if (msg->type != WIRE_ACK || !key || copy_opt(res.kind, sizeof res.kind, kind ? kind : "", NULL))
		return -EINVAL;
	if (ak->nresults >= WIRE_MAX_RESULTS)
		return -E2BIG;
	if (copy_opt(res.key, sizeof res.key, key, NULL) ||
	    copy_opt(res.old_value, sizeof res.old_value, old_value, &res.has_old) ||
	    copy_opt(res.new_value, sizeof res.new_value, new_value, &res.has_new) ||
	    copy_opt(res.error, sizeof res.error, error, &res.has_error))
		return -EINVAL;
	return VEC_PUSH(ak->results, ak->nresults, ak->capresults, res);
}

int wire_negotiate(unsigned my_min, unsigned my_max, unsigned peer_min,
		   unsigned peer_max, unsigned *agreed, char *err,
		   size_t errlen)
{
	unsigned lo = my_min > peer_min ? my_min : peer_min;
	unsigned hi = my_max < peer_max ? my_max : peer_max;

	if (my_min > my_max || peer_min > peer_max || lo > hi || lo == 0) {
		if (err && errlen)
			snprintf(err, errlen,
				 "no common protocol version: ours %u..%u, peer %u..%u",
				 my_min, my_max, peer_min, peer_max);
		return -EPROTO;
	}
	*agreed = hi;
	return 0;
}
