/* SPDX-License-Identifier: GPL-2.0-or-later */
/* expr: tokenizer, recursive-descent parser with unit checking, and a
 * three-valued evaluator for policy conditions. */
#include "expr.h"
#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPR_MAX_DEPTH 64
#define EXPR_MAX_NODES 256

enum op {
	OP_NUM, OP_METRIC, OP_NEG,
	OP_ADD, OP_SUB, OP_MUL, OP_DIV,
	OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE,
	OP_AND, OP_OR, OP_NOT,
};

/* What a sub-expression measures; D_PLAIN goes with anything. */
enum dim { D_PLAIN, D_PCT, D_RATE, D_SEC, D_COUNT, D_RATIO, D_BOOL };

struct expr {
	enum op op;
	enum dim dim;
	int metric;		/* OP_METRIC */
	int host;		/* OP_METRIC: read from the host vector */
	int mult;		/* OP_NUM: has a k/M/G multiplier */
	int unit_lit;		/* OP_NUM: has an explicit unit suffix */
	double num;		/* OP_NUM */
	int col, end;		/* source span [col, end) */
	struct expr *a, *b;
};

enum tok {
	T_END, T_NUM, T_METRIC, T_AND, T_OR, T_NOT, T_LP, T_RP,
	T_PLUS, T_MINUS, T_STAR, T_SLASH,
	T_LT, T_LE, T_GT, T_GE, T_EQ, T_NE, T_ERR,
};

struct parser {
	const char *src;
	size_t pos;		/* next byte to lex */
	/* current token */
	enum tok t;
	int tcol, tend;
	double tnum;
	enum dim tdim;
	int tmult, tunit;
	int tmetric;
	/* error */
	int failed;
	int errcol;
	char *err;
	size_t errlen;
	int depth, nodes;
};

static void fail(struct parser *p, int col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(struct parser *p, int col, const char *fmt, ...)
{
	if (p->failed)
		return;
	p->failed = 1;
	p->errcol = col;
	if (p->err && p->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(p->err, p->errlen, fmt, ap);
		va_end(ap);
	}
}

static int ident_start(int c)
{
	return isalpha(c) || c == '_';
}

static int ident_char(int c)
{
	return isalnum(c) || c == '_' || c == '.';
}

static void lex_number(struct parser *p)
{
	const char *s = p->src;
	size_t i = p->pos;
	while (isdigit((unsigned char)s[i]))
		i++;
	if (s[i] == '.') {
		i++;
		if (!isdigit((unsigned char)s[i])) {
			fail(p, (int)i, "a digit must follow '.'");
			p->t = T_ERR;
			return;
		}
		while (isdigit((unsigned char)s[i]))
			i++;
	}
	char buf[64];
	size_t n = i - p->pos;
	if (n >= sizeof buf) {
		fail(p, (int)p->pos, "number too long");
		p->t = T_ERR;
		return;
	}
	memcpy(buf, s + p->pos, n);
	buf[n] = '\0';
	double v;
	if (parse_double(buf, &v)) { /* digits, maybe '.' and digits: never */
		fail(p, (int)p->pos, "not a number");
		p->t = T_ERR;
		return;
	}
	size_t suf = i;
	double mult = 1;
	p->tmult = 0;
	p->tunit = 0;
	p->tdim = D_PLAIN;
	if (s[i] == 'k' || s[i] == 'M' || s[i] == 'G') {
		mult = s[i] == 'k' ? 1e3 : s[i] == 'M' ? 1e6 : 1e9;
		p->tmult = 1;
		i++;
	}
	if (s[i] == '%') {
		p->tdim = D_PCT;
		i++;
	} else if (s[i] == '/' && s[i + 1] == 's' && !ident_char((unsigned char)s[i + 2])) {
		p->tdim = D_RATE;
		i += 2;
	} else if (s[i] == 'm' && s[i + 1] == 's') {
		p->tdim = D_SEC;
		mult *= 1e-3;
		i += 2;
	} else if (s[i] == 's') {
		p->tdim = D_SEC;
		i++;
	} else if (s[i] == 'm') {
		p->tdim = D_SEC;
		mult *= 60;
		i++;
	} else if (s[i] == 'h') {
		p->tdim = D_SEC;
		mult *= 3600;
		i++;
	}
	p->tunit = p->tdim != D_PLAIN;
	if (ident_char((unsigned char)s[i]) || s[i] == '%') {
		size_t e = i;
		while (ident_char((unsigned char)s[e]) || s[e] == '%')
			e++;
		fail(p, (int)suf, "unknown unit '%.*s' (units: %%, /s, ms, s, m, h; multipliers k, M, G)",
		     (int)(e - suf), s + suf);
		p->t = T_ERR;
		return;
	}
	if (p->tmult && (p->tdim == D_PCT || p->tdim == D_SEC)) {
		fail(p, (int)suf, "a k/M/G multiplier cannot go with '%.*s'",
		     (int)(i - suf), s + suf);
		p->t = T_ERR;
		return;
	}
	p->tnum = v * mult;
	p->t = T_NUM;
	p->tend = (int)i;
	p->pos = i;
}

static void next(struct parser *p)
{
	const char *s = p->src;
	if (p->failed) {
		p->t = T_ERR;
		return;
	}
	while (isspace((unsigned char)s[p->pos]))
		p->pos++;
	p->tcol = (int)p->pos;
	char c = s[p->pos];
	if (!c) {
		p->t = T_END;
		p->tend = p->tcol;
		return;
	}
	if (isdigit((unsigned char)c)) {
		lex_number(p);
		return;
	}
	if (ident_start((unsigned char)c)) {
		size_t e = p->pos;
		while (ident_char((unsigned char)s[e]))
			e++;
		size_t n = e - p->pos;
		p->tend = (int)e;
		if (n == 3 && !strncmp(s + p->pos, "and", 3))
			p->t = T_AND;
		else if (n == 2 && !strncmp(s + p->pos, "or", 2))
			p->t = T_OR;
		else if (n == 3 && !strncmp(s + p->pos, "not", 3))
			p->t = T_NOT;
		else {
			char name[128];
			int id = -1;
			if (n < sizeof name) {
				memcpy(name, s + p->pos, n);
				name[n] = '\0';
				id = metric_lookup(name);
			}
			if (id < 0) {
				fail(p, p->tcol, "unknown metric '%.*s'",
				     n > 80 ? 80 : (int)n, s + p->pos);
				p->t = T_ERR;
				return;
			}
			p->t = T_METRIC;
			p->tmetric = id;
		}
		p->pos = e;
		return;
	}
	int len = 1;
	switch (c) {
	case '(': p->t = T_LP; break;
	case ')': p->t = T_RP; break;
	case '+': p->t = T_PLUS; break;
	case '-': p->t = T_MINUS; break;
	case '*': p->t = T_STAR; break;
	case '/': p->t = T_SLASH; break;
	case '<':
		if (s[p->pos + 1] == '=') { p->t = T_LE; len = 2; } else p->t = T_LT;
		break;
	case '>':
		if (s[p->pos + 1] == '=') { p->t = T_GE; len = 2; } else p->t = T_GT;
		break;
	case '=':
		if (s[p->pos + 1] == '=') { p->t = T_EQ; len = 2; break; }
		fail(p, p->tcol, "use '==' to compare");
		p->t = T_ERR;
		return;
	case '!':
		if (s[p->pos + 1] == '=') { p->t = T_NE; len = 2; break; }
		fail(p, p->tcol, "use 'not' for negation");
		p->t = T_ERR;
		return;
	default:
		if (isprint((unsigned char)c))
			fail(p, p->tcol, "unexpected character '%c'", c);
		else
			fail(p, p->tcol, "unexpected byte 0x%02x", (unsigned char)c);
		p->t = T_ERR;
		return;
	}
	p->pos += len;
	p->tend = (int)p->pos;
}

static struct expr *node(struct parser *p, enum op op, struct expr *a,
			 struct expr *b, int col)
{
	if (p->failed || ++p->nodes > EXPR_MAX_NODES) {
		fail(p, col, "expression too long (at most %d terms and operators)",
		     EXPR_MAX_NODES);
		expr_free(a);
		expr_free(b);
		return NULL;
	}
	struct expr *e = calloc(1, sizeof *e);
	if (!e) {
		fail(p, col, "out of memory");
		expr_free(a);
		expr_free(b);
		return NULL;
	}
	e->op = op;
	e->a = a;
	e->b = b;
	e->col = a ? (a->col < col ? a->col : col) : col;
	e->end = b ? b->end : a ? a->end : col;
	return e;
}

static const char *dim_name(enum dim d)
{
	switch (d) {
	case D_PLAIN: return "a plain number";
	case D_PCT: return "a percentage (%)";
	case D_RATE: return "a rate (/s)";
	case D_SEC: return "a duration (s)";
	case D_COUNT: return "a count or value (no unit)";
	case D_RATIO: return "a ratio of metrics (no unit)";
	case D_BOOL: return "a condition";
	}
	return "?";
}

static enum dim metric_dim(int id)
{
	switch (metric_defs[id].unit) {
	case MU_PCT: return D_PCT;
	case MU_RATE: return D_RATE;
	case MU_SECONDS: return D_SEC;
	default: return D_COUNT;
	}
}

static void need_number(struct parser *p, const struct expr *e)
{
	if (e && e->dim == D_BOOL)
		fail(p, e->col, "'%.*s' is a condition, not a number",
		     e->end - e->col > 60 ? 60 : e->end - e->col, p->src + e->col);
}

static void need_bool(struct parser *p, const struct expr *e)
{
	if (e && e->dim != D_BOOL)
		fail(p, e->col, "'%.*s' is a number, not a condition (compare it with <, >, ==, ...)",
		     e->end - e->col > 60 ? 60 : e->end - e->col, p->src + e->col);
}

static struct expr *parse_or(struct parser *p);

static struct expr *parse_primary(struct parser *p)
{
	struct expr *e;
	switch (p->t) {
	case T_NUM:
		e = node(p, OP_NUM, NULL, NULL, p->tcol);
		if (!e)
			return NULL;
		e->num = p->tnum;
		e->dim = p->tdim;
		e->mult = p->tmult;
		e->unit_lit = p->tunit;
		e->end = p->tend;
		next(p);
		return e;
	case T_METRIC:
		e = node(p, OP_METRIC, NULL, NULL, p->tcol);
		if (!e)
			return NULL;
		e->metric = p->tmetric;
		e->host = !strncmp(metric_defs[p->tmetric].name, "host.", 5);
		e->dim = metric_dim(p->tmetric);
		e->end = p->tend;
		next(p);
		return e;
	case T_LP: {
		int col = p->tcol;
		if (++p->depth > EXPR_MAX_DEPTH) {
			fail(p, col, "expression nested too deeply");
			return NULL;
		}
		next(p);
		e = parse_or(p);
		if (!e)
			return NULL;
		if (p->t != T_RP) {
			fail(p, p->tcol, "expected ')' to close the '(' at column %d",
			     col + 1);
			expr_free(e);
			return NULL;
		}
		p->depth--;
		e->col = col;
		e->end = p->tend;
		next(p);
		return e;
	}
	case T_ERR:
		return NULL;
	case T_END:
		fail(p, p->tcol, "expression ends too early: expected a metric, a number or '('");
		return NULL;
	default:
		fail(p, p->tcol, "expected a metric, a number or '(' here");
		return NULL;
	}
}

static struct expr *parse_unary(struct parser *p)
{
	if (p->t == T_MINUS) {
		int col = p->tcol;
		if (++p->depth > EXPR_MAX_DEPTH) {
			fail(p, col, "expression nested too deeply");
			return NULL;
		}
		next(p);
		struct expr *a = parse_unary(p);
		p->depth--;
		if (!a)
			return NULL;
		need_number(p, a);
		struct expr *e = node(p, OP_NEG, a, NULL, col);
		if (e)
			e->dim = a->dim;
		return e;
	}
	return parse_primary(p);
}

/* Unit of a + b / a - b; fails on a mismatch. */
static enum dim add_dim(struct parser *p, const struct expr *a,
			const struct expr *b, const char *opname)
{
	if (a->dim == D_PLAIN)
		return b->dim;
	if (b->dim == D_PLAIN || a->dim == b->dim)
		return a->dim;
	fail(p, b->col, "unit mismatch in '%s': '%.*s' is %s but '%.*s' is %s",
	     opname, a->end - a->col > 60 ? 60 : a->end - a->col, p->src + a->col,
	     dim_name(a->dim), b->end - b->col > 60 ? 60 : b->end - b->col,
	     p->src + b->col, dim_name(b->dim));
	return D_PLAIN;
}

static struct expr *parse_prod(struct parser *p)
{
	struct expr *a = parse_unary(p);
	while (a && (p->t == T_STAR || p->t == T_SLASH)) {
		enum op op = p->t == T_STAR ? OP_MUL : OP_DIV;
		int col = p->tcol;
		next(p);
		struct expr *b = parse_unary(p);
		if (!b) {
			expr_free(a);
			return NULL;
		}
		need_number(p, a);
		need_number(p, b);
		enum dim d = a->dim == D_PLAIN ? b->dim :
			     b->dim == D_PLAIN ? a->dim : D_RATIO;
		a = node(p, op, a, b, col);
		if (a)
			a->dim = d;
	}
	return a;
}

static struct expr *parse_sum(struct parser *p)
{
	struct expr *a = parse_prod(p);
	while (a && (p->t == T_PLUS || p->t == T_MINUS)) {
		enum op op = p->t == T_PLUS ? OP_ADD : OP_SUB;
		int col = p->tcol;
		next(p);
		struct expr *b = parse_prod(p);
		if (!b) {
			expr_free(a);
			return NULL;
		}
		need_number(p, a);
		need_number(p, b);
		enum dim d = add_dim(p, a, b, op == OP_ADD ? "+" : "-");
		a = node(p, op, a, b, col);
		if (a)
			a->dim = d;
	}
	return a;
}

static int is_cmp(enum tok t)
{
	return t == T_LT || t == T_LE || t == T_GT || t == T_GE ||
	       t == T_EQ || t == T_NE;
}

/* A literal with a k/M/G multiplier against a percent or a duration. */
static void check_mult(struct parser *p, const struct expr *lit,
		       const struct expr *other)
{
	if (lit->op == OP_NUM && lit->mult && !lit->unit_lit &&
	    (other->dim == D_PCT || other->dim == D_SEC))
		fail(p, lit->col, "'%.*s': k/M/G multipliers apply to counts, rates and values, not to %s",
		     lit->end - lit->col, p->src + lit->col, dim_name(other->dim));
}

static struct expr *parse_cmp(struct parser *p)
{
	struct expr *a = parse_sum(p);
	if (!a || !is_cmp(p->t))
		return a;
	static const enum op ops[] = {
		[T_LT] = OP_LT, [T_LE] = OP_LE, [T_GT] = OP_GT,
		[T_GE] = OP_GE, [T_EQ] = OP_EQ, [T_NE] = OP_NE,
	};
	enum op op = ops[p->t];
	int col = p->tcol;
	next(p);
	struct expr *b = parse_sum(p);
	if (!b) {
		expr_free(a);
		return NULL;
	}
	need_number(p, a);
	need_number(p, b);
	if (a->dim != D_PLAIN && b->dim != D_PLAIN && a->dim != b->dim) {
		/* Point at the side that carries an explicit unit. */
		const struct expr *at = a->op == OP_NUM ? a : b;
		fail(p, at->col, "unit mismatch: '%.*s' is %s but '%.*s' is %s",
		     a->end - a->col > 60 ? 60 : a->end - a->col, p->src + a->col,
		     dim_name(a->dim), b->end - b->col > 60 ? 60 : b->end - b->col,
		     p->src + b->col, dim_name(b->dim));
	}
	check_mult(p, a, b);
	check_mult(p, b, a);
	struct expr *e = node(p, op, a, b, col);
	if (e)
		e->dim = D_BOOL;
	if (e && is_cmp(p->t))
		fail(p, p->tcol, "comparisons do not chain: use 'and' (a < x and x < b)");
	return e;
}

static struct expr *parse_not(struct parser *p)
{
	if (p->t == T_NOT) {
		int col = p->tcol;
		if (++p->depth > EXPR_MAX_DEPTH) {
			fail(p, col, "expression nested too deeply");
			return NULL;
		}
		next(p);
		struct expr *a = parse_not(p);
		p->depth--;
		if (!a)
			return NULL;
		need_bool(p, a);
		struct expr *e = node(p, OP_NOT, a, NULL, col);
		if (e)
			e->dim = D_BOOL;
		return e;
	}
	return parse_cmp(p);
}

static struct expr *parse_and(struct parser *p)
{
	struct expr *a = parse_not(p);
	while (a && p->t == T_AND) {
		int col = p->tcol;
		next(p);
		struct expr *b = parse_not(p);
		if (!b) {
			expr_free(a);
			return NULL;
		}
		need_bool(p, a);
		need_bool(p, b);
		a = node(p, OP_AND, a, b, col);
		if (a)
			a->dim = D_BOOL;
	}
	return a;
}

static struct expr *parse_or(struct parser *p)
{
	struct expr *a = parse_and(p);
	while (a && p->t == T_OR) {
		int col = p->tcol;
		next(p);
		struct expr *b = parse_and(p);
		if (!b) {
			expr_free(a);
			return NULL;
		}
		need_bool(p, a);
		need_bool(p, b);
		a = node(p, OP_OR, a, b, col);
		if (a)
			a->dim = D_BOOL;
	}
	return a;
}

int expr_parse(const char *src, struct expr **out, int *err_col,
	       char *err, size_t errlen)
{
	struct parser p = { .src = src ? src : "", .err = err, .errlen = errlen };
	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	next(&p);
	struct expr *e = NULL;
	if (p.t == T_END)
		fail(&p, p.tcol, "empty condition");
	else
		e = parse_or(&p);
	if (e && !p.failed && p.t != T_END) {
		if (p.t == T_RP)
			fail(&p, p.tcol, "')' without a matching '('");
		else
			fail(&p, p.tcol, "expected 'and', 'or' or an operator here");
	}
	if (e && !p.failed)
		need_bool(&p, e);
	if (p.failed) {
		expr_free(e);
		if (err_col)
			*err_col = p.errcol;
		return -EINVAL;
	}
	*out = e;
	return 0;
}

void expr_free(struct expr *e)
{
	if (!e)
		return;
	expr_free(e->a);
	expr_free(e->b);
	free(e);
}

int expr_eval(const struct expr *e, const struct mvec *guest,
	      const struct mvec *host, double *out)
{
	double a = 0, b = 0;
	int ra, rb;

	if (!e)
		return -ENODATA;
	switch (e->op) {
	case OP_NUM:
		*out = e->num;
		return 0;
	case OP_METRIC: {
		const struct mvec *m = e->host ? host : guest;
		if (!m || !mvec_has(m, e->metric))
			return -ENODATA;
		*out = mvec_get(m, e->metric);
		return isfinite(*out) ? 0 : -ENODATA;
	}
	case OP_NOT:
		if (expr_eval(e->a, guest, host, &a))
			return -ENODATA;
		*out = a == 0;
		return 0;
	case OP_AND:
	case OP_OR: {
		ra = expr_eval(e->a, guest, host, &a);
		rb = expr_eval(e->b, guest, host, &b);
		int dominant = e->op == OP_OR; /* true wins `or`, false wins `and` */
		if ((!ra && (a != 0) == dominant) || (!rb && (b != 0) == dominant)) {
			*out = dominant;
			return 0;
		}
		if (ra || rb)
			return -ENODATA;
		*out = !dominant;
		return 0;
	}
	default:
		break;
	}
	if (expr_eval(e->a, guest, host, &a))
		return -ENODATA;
	if (e->op == OP_NEG) {
		*out = -a;
		return 0;
	}
	if (expr_eval(e->b, guest, host, &b))
		return -ENODATA;
	double r;
	switch (e->op) {
	case OP_ADD: r = a + b; break;
	case OP_SUB: r = a - b; break;
	case OP_MUL: r = a * b; break;
	case OP_DIV:
		if (b == 0)
			return -ENODATA;
		r = a / b;
		break;
	case OP_LT: r = a < b; break;
	case OP_LE: r = a <= b; break;
	case OP_GT: r = a > b; break;
	case OP_GE: r = a >= b; break;
	case OP_EQ: r = a == b; break;
	case OP_NE: r = a != b; break;
	default: return -ENODATA;
	}
	if (!isfinite(r))
		return -ENODATA;
	*out = r;
	return 0;
}

static void collect(const struct expr *e, int *ids, int max, int *n)
{
	if (!e)
		return;
	if (e->op == OP_METRIC) {
		int stored = *n < max ? *n : max;
		for (int i = 0; i < stored; i++)
			if (ids[i] == e->metric)
				return;
		if (*n < max)
			ids[*n] = e->metric;
		(*n)++;
		return;
	}
	collect(e->a, ids, max, n);
	collect(e->b, ids, max, n);
}

int expr_metrics(const struct expr *e, int *ids, int max)
{
	int n = 0;
	collect(e, ids, max, &n);
	return n;
}

static int has_metric(const struct expr *e)
{
	return e && (e->op == OP_METRIC || has_metric(e->a) || has_metric(e->b));
}

static void goals(const struct expr *e, int sign, int *ids, int *dirs, int max, int *n)
{
	if (!e)
		return;
	switch (e->op) {
	case OP_AND:
	case OP_OR:
		goals(e->a, sign, ids, dirs, max, n);
		goals(e->b, sign, ids, dirs, max, n);
		return;
	case OP_NOT:
		goals(e->a, -sign, ids, dirs, max, n);
		return;
	case OP_LT: case OP_LE: case OP_GT: case OP_GE: {
		const struct expr *m = e->a, *v = e->b;
		int dir = e->op == OP_LT || e->op == OP_LE ? -1 : 1;
		if (m->op != OP_METRIC) {
			m = e->b;
			v = e->a;
			dir = -dir;
		}
		if (m->op != OP_METRIC || has_metric(v))
			return;
		for (int i = 0; i < *n; i++)
			if (ids[i] == m->metric)
				return;
		if (*n < max) {
			ids[*n] = m->metric;
			dirs[*n] = dir * sign;
			(*n)++;
		}
		return;
	}
	default:
		return;
	}
}

int expr_goals(const struct expr *e, int *ids, int *dirs, int max)
{
	int n = 0;
	goals(e, 1, ids, dirs, max, &n);
	return n;
}

char *expr_format_value(int id, double v, char *buf, size_t n)
{
	if (id < 0 || id >= M_COUNT || !isfinite(v)) {
		snprintf(buf, n, "n/a");
		return buf;
	}
	int integral = v == floor(v) && fabs(v) < 1e15;
	switch (metric_defs[id].unit) {
	case MU_RATE:
		snprintf(buf, n, "%.1f/s", v);
		break;
	case MU_PCT:
		snprintf(buf, n, integral ? "%.0f%%" : "%.1f%%", v);
		break;
	case MU_SECONDS:
		snprintf(buf, n, integral ? "%.0fs" : "%.3gs", v);
		break;
	case MU_RATIO:
		snprintf(buf, n, "%.2f", v);
		break;
	default:
		snprintf(buf, n, integral ? "%.0f" : "%.2f", v);
		break;
	}
	return buf;
}
