/* SPDX-License-Identifier: GPL-2.0-or-later */
/* policy_load: read a policy file with libyaml into typed rules, checking
 * everything and reporting every problem as `file:line:col: message`; the
 * set is refused if there is any. Also the sysctl allow-list check. */
#include "policy.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "act_table.h"
#include "allow.h"
#include "parse.h"
#include "policy_ld.h"
#include "strmap.h"
#include "vec.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define POL_MAX_FILE (1 << 20)
#define POL_MAX_DEPTH 64	/* nesting of lists and mappings */
#define POL_MAX_NODES 100000	/* scalars, lists, mappings and aliases */
#define POL_MAX_RULES 1000
#define POL_MAX_ACTIONS 64
#define POL_MAX_DIAG 200
#define POL_MAX_DURATION_S 86400.0

/* ---- diagnostics ---- */

void pol_diag_init(struct pol_diag *d)
{
	memset(d, 0, sizeof *d);
}

void pol_diag_free(struct pol_diag *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++)
		free(d->msgs[i]);
	free(d->msgs);
	memset(d, 0, sizeof *d);
}

static void diag_push(struct pol_diag *d, char *m)
{
	if (!m)
		return;
	if (VEC_PUSH(d->msgs, d->n, d->cap, m))
		free(m);
}

static void diag_vadd(struct pol_diag *d, const char *file, int line, int col,
		      const char *fmt, va_list ap)
{
	char msg[512], *m;
	if (!d)
		return;
	vsnprintf(msg, sizeof msg, fmt, ap);
	/* One message, one line: text quoted from the file (a multi-line
	 * scalar as a rule name) must not break the line or the terminal. */
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (line > 0) {
		if (asprintf(&m, "%s:%d:%d: %s", file, line, col, msg) < 0)
			m = NULL;
	} else if (asprintf(&m, "%s: %s", file, msg) < 0) {
		m = NULL;
	}
	diag_push(d, m);
}

void pol_diag_add(struct pol_diag *d, const char *file, int line, int col,
		  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_vadd(d, file, line, col, fmt, ap);
	va_end(ap);
}

void pol_diag_push(struct pol_diag *d, const char *line)
{
	if (d && line)
		diag_push(d, strdup(line));
}

void pol_diag_print(const struct pol_diag *d, FILE *f)
{
	for (size_t i = 0; d && i < d->n; i++)
		fprintf(f, "%s\n", d->msgs[i]);
}

/* ---- names ---- */

const char *pol_side_name(enum pol_side s)
{
	return s == POL_HOST ? "host" : "guest";
}

/* ---- the sysctl allow-list ---- */

int pol_sysctl_allowed(const char *key, double *lo, double *hi,
		       char *why, size_t whylen)
{
	const struct allow_rule *r = allow_find(key);
	if (!r) {
		if (why && whylen)
			snprintf(why, whylen, "sysctl '%s' is not in the allow-list",
				 key ? key : "");
		return -EPERM;
	}
	if (lo)
		*lo = (double)r->min;
	if (hi)
		*hi = (double)r->max;
	return 0;
}

int pol_sysctl_value_ok(const char *key, const char *value, char *why,
			size_t whylen)
{
	int r = allow_check(key, value, why, whylen);
	return r ? -EPERM : 0;
}

/* ---- loader ---- */

struct pol_ld {
	const char *file;
	yaml_document_t *doc;
	struct pol_diag *diag;
	int errors;
	struct pol_set *into;	/* a drop-in: merged into this set */
	unsigned char file_idx;	/* this file in the set's files */
	int partial;		/* a rule that changes one of into's: no key required */
};

static void err_at(struct pol_ld *ld, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void err_at(struct pol_ld *ld, int line, int col, const char *fmt, ...)
{
	va_list ap;
	ld->errors++;
	if (ld->errors > POL_MAX_DIAG)
		return;
	va_start(ap, fmt);
	if (ld->errors == POL_MAX_DIAG)
		pol_diag_add(ld->diag, ld->file, line, col, "too many problems, stopping here");
	else
		diag_vadd(ld->diag, ld->file, line, col, fmt, ap);
	va_end(ap);
}

#define N_LINE(n) ((int)(n)->start_mark.line + 1)
#define N_COL(n) ((int)(n)->start_mark.column + 1)
#define err_node(ld, n, ...) err_at(ld, N_LINE(n), N_COL(n), __VA_ARGS__)

void pol_ld_err(struct pol_ld *ld, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	char msg[512];
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	err_at(ld, N_LINE(n), N_COL(n), "%s", msg);
}

yaml_node_t *pol_ld_node(struct pol_ld *ld, int idx)
{
	return yaml_document_get_node(ld->doc, idx);
}

const char *pol_ld_type_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE: return "a scalar";
	case YAML_SEQUENCE_NODE: return "a list";
	case YAML_MAPPING_NODE: return "a mapping";
	default: return "nothing";
	}
}

/* A scalar's text, or NULL (reported) for lists and mappings. */
const char *pol_ld_scalar(struct pol_ld *ld, yaml_node_t *n, const char *what)
{
	if (n->type != YAML_SCALAR_NODE) {
		err_node(ld, n, "%s must be a single value, not %s", what, pol_ld_type_name(n));
		return NULL;
	}
	const char *s = (const char *)n->data.scalar.value;
	if (strlen(s) != n->data.scalar.length) {
		err_node(ld, n, "%s contains a NUL byte", what);
		return NULL;
	}
	return s;
}

/* Walk a mapping's keys: each must be one of keys[] and appear once; the
 * value nodes are stored in vals[] (NULL when absent), key nodes in knodes. */
int pol_ld_map(struct pol_ld *ld, yaml_node_t *map, const char *what,
		      const char *const *keys, size_t nkeys, yaml_node_t **vals,
		      yaml_node_t **knodes)
{
	for (size_t i = 0; i < nkeys; i++)
		vals[i] = knodes[i] = NULL;
	if (map->type != YAML_MAPPING_NODE) {
		err_node(ld, map, "%s must be a mapping, not %s", what, pol_ld_type_name(map));
		return -EINVAL;
	}
	/* every key seen, known or not: each duplicate is reported, whatever
	 * else is wrong with the key */
	struct strmap *seen = strmap_new();
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = pol_ld_node(ld, p->key), *v = pol_ld_node(ld, p->value);
		if (!k || !v)
			continue;
		if (k->type != YAML_SCALAR_NODE) {
			err_node(ld, k, "a key in %s must be a plain word, not %s",
				 what, pol_ld_type_name(k));
			continue;
		}
		const char *ks = (const char *)k->data.scalar.value;
		yaml_node_t *first = seen ? strmap_get(seen, ks) : NULL;
		if (first) {
			err_node(ld, k, "duplicate key '%.60s' (first at line %d)", ks, N_LINE(first));
			continue;
		}
		if (seen && strmap_put(seen, ks, k) < 0) {
			strmap_free(seen);
			seen = NULL;
		}
		size_t i;
		for (i = 0; i < nkeys; i++)
			if (!strcmp(keys[i], ks))
				break;
		if (i == nkeys) {
			char known[256] = "";
			for (size_t j = 0; j < nkeys; j++) {
				size_t l = strlen(known);
				snprintf(known + l, sizeof known - l, "%s%s",
					 j ? ", " : "", keys[j]);
			}
			err_node(ld, k, "unknown key '%.60s' in %s (known: %s)",
				 ks, what, known);
			continue;
		}
		if (vals[i]) { /* only without memory for the map of keys seen */
			err_node(ld, k, "duplicate key '%s' (first at line %d)",
				 ks, N_LINE(knodes[i]));
			continue;
		}
		vals[i] = v;
		knodes[i] = k;
	}
	strmap_free(seen);
	return 0;
}

/* A number with an optional k/M/G (x1000) suffix. */
int pol_parse_num(const char *s, double *out)
{
	char buf[64];
	size_t n = strlen(s);
	double mult = 1;
	if (n == 0 || n >= sizeof buf)
		return -EINVAL;
	memcpy(buf, s, n + 1);
	switch (buf[n - 1]) {
	case 'k': mult = 1e3; break;
	case 'M': mult = 1e6; break;
	case 'G': mult = 1e9; break;
	}
	if (mult != 1)
		buf[n - 1] = '\0';
	if (parse_double(buf, out))
		return -EINVAL;
	*out *= mult;
	return 0;
}

/* Duration "10s", "500ms", "2m", "1h" or "0" into seconds. */
static int parse_duration(const char *s, double *sec)
{
	char buf[64];
	size_t n = strlen(s);
	double mult;
	if (n == 0 || n >= sizeof buf)
		return -EINVAL;
	memcpy(buf, s, n + 1);
	if (n > 2 && !strcmp(buf + n - 2, "ms")) {
		mult = 1e-3;
		buf[n - 2] = '\0';
	} else if (buf[n - 1] == 's') {
		mult = 1;
		buf[n - 1] = '\0';
	} else if (buf[n - 1] == 'm') {
		mult = 60;
		buf[n - 1] = '\0';
	} else if (buf[n - 1] == 'h') {
		mult = 3600;
		buf[n - 1] = '\0';
	} else if (!strcmp(buf, "0")) {
		mult = 1;
	} else {
		return -EINVAL;
	}
	if (parse_double(buf, sec))
		return -EINVAL;
	*sec *= mult;
	return 0;
}

int pol_ld_duration(struct pol_ld *ld, yaml_node_t *n, const char *what, uint64_t *ns)
{
	const char *s = pol_ld_scalar(ld, n, what);
	double sec;
	if (!s)
		return -EINVAL;
	if (parse_duration(s, &sec)) {
		err_node(ld, n, "%s: '%.40s' is not a duration (like 10s, 500ms, 2m, 1h)",
			 what, s);
		return -EINVAL;
	}
	if (sec < 0 || sec > POL_MAX_DURATION_S) {
		err_node(ld, n, "%s: %s is out of range (0s to 24h)", what, s);
		return -EINVAL;
	}
	*ns = (uint64_t)llround(sec * 1e9);
	return 0;
}

/* Parse a condition; map its error column into the file. */
struct expr *pol_ld_cond(struct pol_ld *ld, yaml_node_t *n, const char *what,
			 char **src_out)
{
	const char *s = pol_ld_scalar(ld, n, what);
	char err[256];
	int col = 0;
	struct expr *e = NULL;
	if (!s)
		return NULL;
	if (expr_parse(s, &e, &col, err, sizeof err)) {
		int line = N_LINE(n), c = N_COL(n);
		yaml_scalar_style_t st = n->data.scalar.style;
		if (n->end_mark.line == n->start_mark.line) {
			if (st == YAML_PLAIN_SCALAR_STYLE)
				c += col;
			else if (st == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
				 st == YAML_DOUBLE_QUOTED_SCALAR_STYLE)
				c += col + 1;
		}
		err_at(ld, line, c, "%s: %s", what, err);
		return NULL;
	}
	*src_out = strdup(s);
	if (!*src_out) {
		expr_free(e);
		err_node(ld, n, "out of memory");
		return NULL;
	}
	return e;
}

static int valid_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > POL_NAME_MAX)
		return 0;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '-'))
			return 0;
	return 1;
}

static int one_of(const char *s, const char *const *list)
{
	for (int i = 0; list[i]; i++)
		if (!strcmp(s, list[i]))
			return i;
	return -1;
}

int pol_ld_word(struct pol_ld *ld, yaml_node_t *n, const char *what,
		      const char *const *allowed, char *out, size_t outlen)
{
	const char *s = pol_ld_scalar(ld, n, what);
	if (!s)
		return -EINVAL;
	int i = one_of(s, allowed);
	if (i < 0) {
		char list[128] = "";
		for (int j = 0; allowed[j]; j++) {
			size_t l = strlen(list);
			snprintf(list + l, sizeof list - l, "%s%s", j ? ", " : "", allowed[j]);
		}
		err_node(ld, n, "%s: '%.40s' is not one of %s", what, s, list);
		return -EINVAL;
	}
	snprintf(out, outlen, "%s", s);
	return i;
}

static void load_actions(struct pol_ld *ld, yaml_node_t *n, enum pol_side side,
			 struct pol_rule *r)
{
	const char *what = side == POL_GUEST ? "guest" : "host";
	if (n->type != YAML_SEQUENCE_NODE) {
		err_node(ld, n, "'%s' must be a list of actions, not %s", what, pol_ld_type_name(n));
		return;
	}
	size_t cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (cnt > POL_MAX_ACTIONS) {
		err_node(ld, n, "'%s': %zu actions, at most %d", what, cnt, POL_MAX_ACTIONS);
		return;
	}
	struct pol_action *v = realloc(r->actions, (r->n_actions + cnt) * sizeof *v + 1);
	if (!v) {
		err_node(ld, n, "out of memory");
		return;
	}
	r->actions = v;
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		yaml_node_t *an = pol_ld_node(ld, *it);
		if (!an)
			continue;
		act_parse(ld, an, side, &r->actions[r->n_actions]);
		r->actions[r->n_actions++].file = ld->file_idx;
	}
}

enum { RK_NAME, RK_DESC, RK_ENABLED, RK_WHEN, RK_FOR, RK_CLEAR, RK_COOLDOWN,
       RK_BACKENDS, RK_GUEST, RK_HOST, RK_IMPROVE, RK_GUARD, RK_WINDOW, RK_BOUND,
       RK_QUARANTINE, RK_N };
static const char *const rule_keys[] = {
	"name", "description", "enabled", "when", "for", "clear", "cooldown",
	"backends", "guest", "host", "improve", "guard", "window", "bound",
	"quarantine",
};

_Static_assert(RK_N <= POL_RULE_KEYS_MAX, "grow POL_RULE_KEYS_MAX");

const char *const *pol_rule_keys(size_t *n)
{
	*n = RK_N;
	return rule_keys;
}

/* backends: [kvm, xen, sim]: the hypervisors a rule is for. */
static void load_backends(struct pol_ld *ld, yaml_node_t *n, struct pol_rule *r)
{
	static const char *const names[] = { "kvm", "xen", "sim", NULL };
	if (n->type != YAML_SEQUENCE_NODE) {
		err_node(ld, n, "backends must be a list like [kvm, xen], not %s",
			 pol_ld_type_name(n));
		return;
	}
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		yaml_node_t *b = pol_ld_node(ld, *it);
		char name[8];
		if (!b || pol_ld_word(ld, b, "backends", names, name, sizeof name) < 0)
			continue;
		size_t i;
		for (i = 0; i < r->n_backends && strcmp(r->backends[i], name); i++)
			;
		if (i < r->n_backends)
			err_node(ld, b, "backends: '%s' twice", name);
		else if (r->n_backends < POL_MAX_BACKENDS)
			snprintf(r->backends[r->n_backends++], sizeof r->backends[0], "%s", name);
	}
	if (!r->n_backends && n->data.sequence.items.top == n->data.sequence.items.start)
		err_node(ld, n, "backends: the list is empty (leave it out for every backend)");
}

static void load_rule(struct pol_ld *ld, yaml_node_t *n, struct pol_set *set,
		      struct pol_rule *r, const int *name_lines)
{
	yaml_node_t *v[RK_N], *k[RK_N];

	memset(r, 0, sizeof *r);
	r->enabled = 1;
	r->cooldown_ns = 60ull * 1000000000ull;
	r->line = N_LINE(n);
	r->col = N_COL(n);
	if (pol_ld_map(ld, n, "a rule", rule_keys, RK_N, v, k))
		return;
	for (int i = 0; i < RK_N; i++) {
		r->key_line[i] = k[i] ? N_LINE(k[i]) : 0;
		r->key_file[i] = ld->file_idx;
	}
	if (!v[RK_NAME]) {
		err_node(ld, n, "rule has no 'name'");
	} else {
		const char *s = pol_ld_scalar(ld, v[RK_NAME], "name");
		if (s && !valid_name(s)) {
			err_node(ld, v[RK_NAME], "name '%.60s' must be 1-%d characters of a-z, 0-9 and '-'",
				 s, POL_NAME_MAX);
		} else if (s) {
			for (size_t i = 0; i < set->n_rules; i++)
				if (!strcmp(set->rules[i].name, s)) {
					err_node(ld, v[RK_NAME], "duplicate rule name '%s' (first at line %d)",
						 s, name_lines[i]);
					break;
				}
			snprintf(r->name, sizeof r->name, "%s", s);
		}
	}
	if (v[RK_DESC]) {
		const char *s = pol_ld_scalar(ld, v[RK_DESC], "description");
		if (s && !(r->description = strdup(s)))
			err_node(ld, v[RK_DESC], "out of memory");
	}
	if (v[RK_ENABLED]) {
		const char *s = pol_ld_scalar(ld, v[RK_ENABLED], "enabled");
		if (s && !strcmp(s, "true"))
			r->enabled = 1;
		else if (s && !strcmp(s, "false"))
			r->enabled = 0;
		else if (s)
			err_node(ld, v[RK_ENABLED], "enabled: '%.40s' is not true or false", s);
	}
	if (v[RK_WHEN]) {
		r->when = pol_ld_cond(ld, v[RK_WHEN], "when", &r->when_src);
		r->when_line = (int)v[RK_WHEN]->start_mark.line + 1;
		r->when_col = (int)v[RK_WHEN]->start_mark.column + 1;
	} else if (!ld->partial)
		err_node(ld, n, "rule has no 'when' condition");
	if (v[RK_FOR])
		pol_ld_duration(ld, v[RK_FOR], "for", &r->for_ns);
	if (v[RK_CLEAR]) {
		r->clear = pol_ld_cond(ld, v[RK_CLEAR], "clear", &r->clear_src);
		r->clear_line = (int)v[RK_CLEAR]->start_mark.line + 1;
		r->clear_col = (int)v[RK_CLEAR]->start_mark.column + 1;
	}
	if (v[RK_COOLDOWN])
		pol_ld_duration(ld, v[RK_COOLDOWN], "cooldown", &r->cooldown_ns);
	if (v[RK_BACKENDS])
		load_backends(ld, v[RK_BACKENDS], r);
	if (v[RK_GUEST])
		load_actions(ld, v[RK_GUEST], POL_GUEST, r);
	if (v[RK_HOST])
		load_actions(ld, v[RK_HOST], POL_HOST, r);
	if (!v[RK_GUEST] && !v[RK_HOST] && !ld->partial)
		err_node(ld, n, "rule has no actions (add 'guest:' or 'host:')");
	pol_ld_verify(ld, r, v[RK_IMPROVE], v[RK_GUARD], v[RK_WINDOW], v[RK_BOUND],
		      v[RK_QUARANTINE]);
}

static void free_rule(struct pol_rule *r)
{
	free(r->description);
	free(r->when_src);
	free(r->clear_src);
	expr_free(r->when);
	expr_free(r->clear);
	expr_free(r->verify.improve);
	free(r->verify.improve_src);
	for (size_t i = 0; i < r->n_actions; i++)
		free(r->actions[i].text);
	free(r->actions);
}

void pol_set_free(struct pol_set *s)
{
	if (s)
		free_rule(&s->baseline);
	if (!s)
		return;
	for (size_t i = 0; i < s->n_rules; i++)
		free_rule(&s->rules[i]);
	free(s->rules);
	free(s->name);
	for (size_t i = 1; i < s->nfiles; i++)
		free(s->files[i]);
	free(s);
}

const struct pol_rule *pol_set_rule(const struct pol_set *s, const char *name)
{
	for (size_t i = 0; s && name && i < s->n_rules; i++)
		if (!strcmp(s->rules[i].name, name))
			return &s->rules[i];
	return NULL;
}

/* ---- drop-ins ---- */

/* The value of a rule mapping's "name", or NULL. */
static const char *rule_name(struct pol_ld *ld, yaml_node_t *rn)
{
	if (rn->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = rn->data.mapping.pairs.start; p < rn->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = pol_ld_node(ld, p->key), *vn = pol_ld_node(ld, p->value);
		if (kn && vn && kn->type == YAML_SCALAR_NODE && vn->type == YAML_SCALAR_NODE &&
		    !strcmp((char *)kn->data.scalar.value, "name"))
			return (const char *)vn->data.scalar.value;
	}
	return NULL;
}

/* Move the keys a drop-in gave (d->key_line set) from d into r; what r
 * had for them is freed. */
static void take_keys(struct pol_rule *r, struct pol_rule *d)
{
#define TAKE(f) do { __typeof__(r->f) t_ = r->f; r->f = d->f; d->f = t_; } while (0)
	if (d->key_line[RK_DESC])
		TAKE(description);
	if (d->key_line[RK_ENABLED])
		r->enabled = d->enabled;
	if (d->key_line[RK_WHEN]) {
		TAKE(when);
		TAKE(when_src);
	}
	if (d->key_line[RK_FOR])
		r->for_ns = d->for_ns;
	if (d->key_line[RK_CLEAR]) {
		TAKE(clear);
		TAKE(clear_src);
	}
	if (d->key_line[RK_COOLDOWN])
		r->cooldown_ns = d->cooldown_ns;
	if (d->key_line[RK_BACKENDS]) {
		memcpy(r->backends, d->backends, sizeof r->backends);
		r->n_backends = d->n_backends;
	}
	/* effect verification */
	if (d->key_line[RK_IMPROVE]) {
		TAKE(verify.improve);
		TAKE(verify.improve_src);
		r->verify.improve_none = d->verify.improve_none;
	}
	if (d->key_line[RK_GUARD]) {
		memcpy(r->verify.guards, d->verify.guards, sizeof r->verify.guards);
		r->verify.n_guards = d->verify.n_guards;
	}
	if (d->key_line[RK_WINDOW])
		r->verify.window = d->verify.window;
	if (d->key_line[RK_BOUND])
		r->verify.bound = d->verify.bound;
	if (d->key_line[RK_QUARANTINE])
		r->verify.quarantine_ns = d->verify.quarantine_ns;
	else if (!r->key_line[RK_QUARANTINE]) /* the default follows the cooldown */
		r->verify.quarantine_ns = r->cooldown_ns > POL_QUARANTINE_MIN_NS
					  ? r->cooldown_ns : POL_QUARANTINE_MIN_NS;
#undef TAKE
	/* guest: / host: replace that side's actions, the other side's stay */
	for (int side = POL_GUEST; side <= POL_HOST; side++) {
		if (!d->key_line[side == POL_GUEST ? RK_GUEST : RK_HOST])
			continue;
		size_t k = 0;
		for (size_t i = 0; i < r->n_actions; i++) {
			if (r->actions[i].side == (enum pol_side)side)
				free(r->actions[i].text);
			else
				r->actions[k++] = r->actions[i];
		}
		r->n_actions = k;
		for (size_t i = 0; i < d->n_actions; i++) {
			if (d->actions[i].side != (enum pol_side)side)
				continue;
			struct pol_action *v = realloc(r->actions, (r->n_actions + 1) * sizeof *v);
			if (!v)
				continue;
			r->actions = v;
			r->actions[r->n_actions++] = d->actions[i];
			d->actions[i].text = NULL; /* r owns it now */
		}
	}
	for (int i = 1; i < RK_N; i++)
		if (d->key_line[i]) {
			r->key_line[i] = d->key_line[i];
			r->key_file[i] = d->key_file[i];
		}
}

/* A drop-in's rules: changes to the set's rules of the same name, or new
 * rules (whole, checked like any). */
static void merge_rules(struct pol_ld *ld, yaml_node_t *list, struct pol_set *set)
{
	for (yaml_node_item_t *it = list->data.sequence.items.start;
	     it < list->data.sequence.items.top; it++) {
		yaml_node_t *rn = pol_ld_node(ld, *it);
		if (!rn)
			continue;
		const char *name = rule_name(ld, rn);
		struct pol_rule *old = (struct pol_rule *)pol_set_rule(set, name);
		struct pol_rule d;
		int *lines = calloc(set->n_rules + 1, sizeof *lines);
		if (!lines) {
			err_node(ld, rn, "out of memory");
			return;
		}
		if (old) {
			/* the duplicate-name check must not see the rule it changes */
			struct pol_set none = { 0 };
			ld->partial = 1;
			load_rule(ld, rn, &none, &d, lines);
			ld->partial = 0;
			take_keys(old, &d);
			free_rule(&d);
		} else {
			for (size_t i = 0; i < set->n_rules; i++)
				lines[i] = set->rules[i].line;
			load_rule(ld, rn, set, &d, lines);
			struct pol_rule *v = set->n_rules < POL_MAX_RULES
				? realloc(set->rules, (set->n_rules + 1) * sizeof *v) : NULL;
			if (!v) {
				err_node(ld, rn, "no room for another rule (at most %d)", POL_MAX_RULES);
				free_rule(&d);
			} else {
				set->rules = v;
				set->rules[set->n_rules++] = d;
			}
		}
		free(lines);
	}
}

static void load_root(struct pol_ld *ld, yaml_node_t *root, struct pol_set *set)
{
	static const char *const keys[] = { "version", "rules", "baseline" };
	yaml_node_t *v[3], *k[3];

	if (pol_ld_map(ld, root, "the policy file", keys, 3, v, k))
		return;
	if (v[2]) {
		/* baseline: guest actions applied once by `vtune-agent once`; a
		 * drop-in's replaces the one before */
		struct pol_rule *b = &set->baseline;
		if (ld->into) {
			free_rule(b);
			memset(b, 0, sizeof *b);
		}
		snprintf(b->name, sizeof b->name, "baseline");
		b->enabled = 1;
		b->line = N_LINE(v[2]);
		/* as a rule's guest: list, so host actions are refused there */
		load_actions(ld, v[2], POL_GUEST, b);
	}
	if (!v[0]) {
		err_node(ld, root, "missing 'version: 1'");
	} else {
		const char *s = pol_ld_scalar(ld, v[0], "version");
		if (s && strcmp(s, "1"))
			err_node(ld, v[0], "version %.20s is not supported (this vtune reads version 1)", s);
	}
	if (!v[1]) {
		if (!ld->into) /* a drop-in may change the baseline only */
			err_node(ld, root, "missing 'rules'");
		return;
	}
	if (v[1]->type != YAML_SEQUENCE_NODE) {
		err_node(ld, v[1], "'rules' must be a list of rules, not %s", pol_ld_type_name(v[1]));
		return;
	}
	if (ld->into) {
		merge_rules(ld, v[1], set);
		return;
	}
	size_t cnt = (size_t)(v[1]->data.sequence.items.top - v[1]->data.sequence.items.start);
	if (cnt > POL_MAX_RULES) {
		err_node(ld, v[1], "%zu rules, at most %d", cnt, POL_MAX_RULES);
		return;
	}
	set->rules = calloc(cnt + 1, sizeof *set->rules);
	int *name_lines = calloc(cnt + 1, sizeof *name_lines);
	if (!set->rules || !name_lines) {
		free(name_lines);
		err_node(ld, v[1], "out of memory");
		return;
	}
	for (yaml_node_item_t *it = v[1]->data.sequence.items.start;
	     it < v[1]->data.sequence.items.top; it++) {
		yaml_node_t *rn = pol_ld_node(ld, *it);
		if (!rn)
			continue;
		struct pol_rule *r = &set->rules[set->n_rules];
		load_rule(ld, rn, set, r, name_lines);
		name_lines[set->n_rules] = r->line;
		/* Remember where the name was, for duplicate messages. */
		if (rn->type == YAML_MAPPING_NODE)
			for (yaml_node_pair_t *p = rn->data.mapping.pairs.start;
			     p < rn->data.mapping.pairs.top; p++) {
				yaml_node_t *kn = pol_ld_node(ld, p->key);
				if (kn && kn->type == YAML_SCALAR_NODE &&
				    !strcmp((char *)kn->data.scalar.value, "name")) {
					name_lines[set->n_rules] = N_LINE(pol_ld_node(ld, p->value));
					break;
				}
			}
		set->n_rules++;
	}
	free(name_lines);
}

/* A syntax error where it is: a flow ('[' or '{') left open is reported
 * where it was opened, not where the file ended. */
static void syntax_error(struct pol_diag *diag, const char *file, const yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "unknown";
	if (p->context && p->context_mark.line < p->problem_mark.line &&
	    strstr(p->context, "flow"))
		pol_diag_add(diag, file, (int)p->context_mark.line + 1, (int)p->context_mark.column + 1,
			     "YAML syntax error: %s opened here is not closed (%s at line %d)",
			     strstr(p->context, "mapping") ? "this '{'" : "this '['", problem,
			     (int)p->problem_mark.line + 1);
	else
		pol_diag_add(diag, file, (int)p->problem_mark.line + 1,
			     (int)p->problem_mark.column + 1, "YAML syntax error: %s%s%s", problem,
			     p->context ? " " : "", p->context ? p->context : "");
}

/* Before libyaml builds a document: one pass over its events, counting
 * nesting and nodes, stopped at the first excess (deep flow nesting costs
 * libyaml quadratic time, a document costs memory per node). 0, or -1
 * with the problem (or the syntax error) in diag. */
static int prescan(const char *file, const char *text, size_t len, struct pol_diag *diag)
{
	yaml_parser_t p;
	yaml_event_t ev;
	size_t depth = 0, nodes = 0;
	int r = 0, done = 0;
	if (!yaml_parser_initialize(&p)) {
		pol_diag_add(diag, file, 0, 0, "out of memory");
		return -1;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			syntax_error(diag, file, &p);
			r = -1;
			break;
		}
		int line = (int)ev.start_mark.line + 1, col = (int)ev.start_mark.column + 1;
		switch (ev.type) {
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			nodes++;
			if (++depth > POL_MAX_DEPTH) {
				pol_diag_add(diag, file, line, col,
					     "nested deeper than %d lists and mappings: not a policy file",
					     POL_MAX_DEPTH);
				r = -1;
			}
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_SCALAR_EVENT:
		case YAML_ALIAS_EVENT:
			nodes++;
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		default:
			break;
		}
		if (!r && nodes > POL_MAX_NODES) {
			pol_diag_add(diag, file, line, col,
				     "more than %d values, lists and mappings: not a policy file",
				     POL_MAX_NODES);
			r = -1;
		}
		yaml_event_delete(&ev);
		if (r)
			break;
	}
	yaml_parser_delete(&p);
	return r;
}

/* Parse text as a policy file named name: a new set, or (into not NULL)
 * a drop-in merged into into (returned). NULL on any problem. */
static struct pol_set *load_text(const char *name, const char *text, struct pol_diag *diag,
				 struct pol_set *into)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct pol_ld ld = { .file = name ? name : "<policy>", .doc = &doc, .diag = diag,
			     .into = into };
	struct pol_set *set = NULL;

	if (!text)
		text = "";
	size_t len = strlen(text);
	if (len > POL_MAX_FILE) {
		pol_diag_add(diag, ld.file, 0, 0, "file larger than %d bytes", POL_MAX_FILE);
		return NULL;
	}
	if (prescan(ld.file, text, len, diag))
		return NULL;
	if (!yaml_parser_initialize(&parser)) {
		pol_diag_add(diag, ld.file, 0, 0, "out of memory");
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		syntax_error(diag, ld.file, &parser);
		yaml_parser_delete(&parser);
		return NULL;
	}
	if (into) {
		set = into;
		if (set->nfiles == POL_MAX_FILES || !(set->files[set->nfiles] = strdup(ld.file))) {
			pol_diag_add(diag, ld.file, 0, 0, "too many drop-ins (at most %d)",
				     POL_MAX_FILES - 1);
			ld.errors++;
			goto out;
		}
		ld.file_idx = (unsigned char)set->nfiles++;
	} else {
		set = calloc(1, sizeof *set);
		if (!set || !(set->name = strdup(ld.file))) {
			pol_diag_add(diag, ld.file, 0, 0, "out of memory");
			ld.errors++;
			goto out;
		}
		set->files[0] = set->name;
		set->nfiles = 1;
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root) {
		err_at(&ld, 1, 1, "empty policy file (expected 'version: 1' and 'rules:')");
		goto out;
	}
	load_root(&ld, root, set);

	/* A second document in the stream is a mistake, not ignored. */
	yaml_document_t doc2;
	if (yaml_parser_load(&parser, &doc2)) {
		yaml_node_t *r2 = yaml_document_get_root_node(&doc2);
		if (r2)
			err_node(&ld, r2, "a second YAML document: a policy file holds one");
		yaml_document_delete(&doc2);
	} else {
		err_at(&ld, (int)parser.problem_mark.line + 1,
		       (int)parser.problem_mark.column + 1, "YAML syntax error: %s",
		       parser.problem ? parser.problem : "unknown");
	}
out:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (ld.errors) {
		if (!into)
			pol_set_free(set);
		return NULL;
	}
	return set;
}

struct pol_set *pol_load_string(const char *name, const char *text,
				struct pol_diag *diag)
{
	return load_text(name, text, diag, NULL);
}

/* Read and parse path (into: as a drop-in of it). */
static struct pol_set *load_path(const char *path, struct pol_diag *diag, struct pol_set *into)
{
	char *buf = NULL;
	size_t n = 0;
	struct pol_set *s = NULL;
	struct stat st;

	/* O_NONBLOCK: a FIFO or a device is refused, never waited on */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		pol_diag_add(diag, path, 0, 0, "cannot open: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		pol_diag_add(diag, path, 0, 0, "not a regular file: refused");
		close(fd);
		return NULL;
	}
	if (st.st_size > POL_MAX_FILE) {
		pol_diag_add(diag, path, 0, 0, "file larger than %d bytes", POL_MAX_FILE);
		close(fd);
		return NULL;
	}
	FILE *f = fdopen(fd, "rb");
	if (!f) {
		pol_diag_add(diag, path, 0, 0, "cannot open: %s", strerror(errno));
		close(fd);
		return NULL;
	}
	buf = malloc(POL_MAX_FILE + 2);
	if (!buf) {
		pol_diag_add(diag, path, 0, 0, "out of memory");
		goto out;
	}
	n = fread(buf, 1, POL_MAX_FILE + 1, f);
	if (ferror(f)) {
		pol_diag_add(diag, path, 0, 0, "cannot read: %s", strerror(errno));
		goto out;
	}
	if (n > POL_MAX_FILE) {
		pol_diag_add(diag, path, 0, 0, "file larger than %d bytes", POL_MAX_FILE);
		goto out;
	}
	buf[n] = '\0';
	if (memchr(buf, '\0', n)) {
		pol_diag_add(diag, path, 0, 0, "file contains a NUL byte: not a policy file");
		goto out;
	}
	s = load_text(path, buf, diag, into);
out:
	free(buf);
	fclose(f);
	return s;
}

struct pol_set *pol_load_file(const char *path, struct pol_diag *diag)
{
	return load_path(path, diag, NULL);
}

int pol_merge_file(struct pol_set *s, const char *path, struct pol_diag *diag)
{
	return load_path(path, diag, s) ? 0 : -EINVAL;
}

static int yaml_name(const struct dirent *e)
{
	size_t n = strlen(e->d_name);
	return e->d_name[0] != '.' && n > 5 && !strcmp(e->d_name + n - 5, ".yaml");
}

struct pol_set *pol_load_with_dropins(const char *path, const char *dir, struct pol_diag *diag)
{
	char beside[PATH_MAX], file[PATH_MAX + 256];
	struct pol_set *s = pol_load_file(path, diag);
	if (!s)
		return NULL;
	if (!dir) {
		const char *slash = strrchr(path, '/');
		snprintf(beside, sizeof beside, "%.*spolicy.d", slash ? (int)(slash - path + 1) : 0,
			 path);
		dir = beside;
	}
	struct dirent **names = NULL;
	int n = scandir(dir, &names, yaml_name, alphasort);
	if (n < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return s;
		pol_diag_add(diag, dir, 0, 0, "cannot read the drop-ins: %s", strerror(errno));
		pol_set_free(s);
		return NULL;
	}
	int bad = 0;
	for (int i = 0; i < n; i++) {
		struct stat st;
		int w = snprintf(file, sizeof file, "%s/%s", dir, names[i]->d_name);
		if (w > 0 && (size_t)w < sizeof file && stat(file, &st) == 0 && S_ISREG(st.st_mode) &&
		    pol_merge_file(s, file, diag))
			bad = 1;
		free(names[i]);
	}
	free(names);
	if (bad) {
		pol_set_free(s);
		return NULL;
	}
	return s;
}

int pol_rule_for_backend(const struct pol_rule *r, const char *backend)
{
	if (!r->n_backends || !backend)
		return 1;
	for (size_t i = 0; i < r->n_backends; i++)
		if (!strcmp(r->backends[i], backend))
			return 1;
	return 0;
}
