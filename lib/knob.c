/* SPDX-License-Identifier: GPL-2.0-or-later */
/* knob: knob-kind registry, value comparison and the built-in "sysctl" kind
 * (through kfs under the root prefix, checked against the allow-list). */
#include "knob.h"
#include "allow.h"
#include "kfs.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

/* ---- the sysctl kind ---- */

static int sysctl_target_ok(const char *target)
{
	return !target || !*target;
}

static int sysctl_read(void *ctx, const char *root, const char *target, const char *key,
		       char *buf, size_t n)
{
	(void)ctx;
	char path[512], raw[KNOB_VALUE_MAX];
	int r;

	if (!sysctl_target_ok(target))
		return -EINVAL;
	r = allow_sysctl_path(key, path, sizeof path);
	if (r)
		return r;
	r = kfs_read_str(root, path, raw, sizeof raw);
	if (r)
		return r;
	return knob_value_normalize(raw, buf, n);
}

static int sysctl_put(const char *root, const char *key, const char *value)
{
	char path[512];
	int r = allow_sysctl_path(key, path, sizeof path);
	return r ? r : kfs_write_str(root, path, value);
}

static int sysctl_check(void *ctx, const char *target, const char *key, const char *value,
			char *why, size_t n)
{
	(void)ctx;
	if (!sysctl_target_ok(target)) {
		if (why && n)
			strncpy(why, "sysctl knobs take no target", n - 1)[n - 1] = '\0';
		return -EINVAL;
	}
	return allow_check(key, value, why, n);
}

static int sysctl_write(void *ctx, const char *root, const char *target, const char *key,
			const char *value)
{
	int r = sysctl_check(ctx, target, key, value, NULL, 0);
	return r ? r : sysctl_put(root, key, value);
}

static int sysctl_restore(void *ctx, const char *root, const char *target,
			  const char *key, const char *value)
{
	(void)ctx;
	if (!sysctl_target_ok(target))
		return -EINVAL;
	int r = allow_check_restore(key, value, NULL, 0);
	return r ? r : sysctl_put(root, key, value);
}

const struct knob_ops knob_sysctl_ops = {
	.kind = "sysctl",
	.read = sysctl_read,
	.write = sysctl_write,
	.check = sysctl_check,
	.restore = sysctl_restore,
};

/* ---- registry ---- */

static struct knob kinds[KNOB_MAX_KINDS] = { { &knob_sysctl_ops, NULL } };
static size_t nkinds = 1;
static knob_proxy_fn proxy;

const struct knob *knob_find_real(const char *kind)
{
	if (!kind)
		return NULL;
	for (size_t i = 0; i < nkinds; i++)
		if (!strcmp(kinds[i].ops->kind, kind))
			return &kinds[i];
	return NULL;
}

const struct knob *knob_find(const char *kind)
{
	const struct knob *k = knob_find_real(kind);
	return k && proxy ? proxy(k) : k;
}

void knob_set_proxy(knob_proxy_fn fn)
{
	proxy = fn;
}

int knob_register(const struct knob_ops *ops, void *ctx)
{
	if (!ops || !ops->kind || !*ops->kind || !ops->read || !ops->write)
		return -EINVAL;
	if (knob_find_real(ops->kind))
		return -EEXIST;
	if (nkinds == KNOB_MAX_KINDS)
		return -ENOSPC;
	kinds[nkinds++] = (struct knob){ ops, ctx };
	return 0;
}

int knob_bind(const struct knob_ops *ops, void *ctx)
{
	struct knob *k = (struct knob *)knob_find_real(ops ? ops->kind : NULL);
	if (!k)
		return knob_register(ops, ctx);
	if (k->ops != ops)
		return -EEXIST;
	k->ctx = ctx;
	return 0;
}

int knob_unregister(const char *kind)
{
	for (size_t i = 0; i < nkinds; i++) {
		if (strcmp(kinds[i].ops->kind, kind))
			continue;
		memmove(&kinds[i], &kinds[i + 1],
			(nkinds - i - 1) * sizeof kinds[0]);
		kinds[--nkinds] = (struct knob){ NULL, NULL };
		return 0;
	}
	return -ENOENT;
}

int knob_read(const struct knob *k, const char *root, const char *target,
	      const char *key, char *buf, size_t n)
{
	return k->ops->read(k->ctx, root, target, key, buf, n);
}

int knob_write(const struct knob *k, const char *root, const char *target,
	       const char *key, const char *value)
{
	return k->ops->write(k->ctx, root, target, key, value);
}

int knob_check(const struct knob *k, const char *target, const char *key,
	       const char *value, char *why, size_t n)
{
	return k->ops->check ? k->ops->check(k->ctx, target, key, value, why, n) : 0;
}

int knob_restore(const struct knob *k, const char *root, const char *target,
		 const char *key, const char *value)
{
	if (k->ops->restore)
		return k->ops->restore(k->ctx, root, target, key, value);
	return k->ops->write(k->ctx, root, target, key, value);
}

int knob_equal(const struct knob *k, const char *key, const char *a, const char *b)
{
	if (k && k->ops->equal && a && b)
		return k->ops->equal(key, a, b);
	return knob_value_equal(a, b);
}

/* ---- values ---- */

static const char *skip_ws(const char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	return s;
}

int knob_value_equal(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	for (;;) {
		a = skip_ws(a);
		b = skip_ws(b);
		if (!*a || !*b)
			return !*a && !*b;
		while (*a && !isspace((unsigned char)*a) && *a == *b) {
			a++;
			b++;
		}
		int enda = !*a || isspace((unsigned char)*a);
		int endb = !*b || isspace((unsigned char)*b);
		if (!enda || !endb)
			return 0;
	}
}

int knob_value_normalize(const char *in, char *out, size_t n)
{
	size_t used = 0;

	if (!n)
		return -EOVERFLOW;
	for (const char *p = skip_ws(in); *p; p = skip_ws(p)) {
		if (used) {
			if (used + 1 >= n)
				goto full;
			out[used++] = ' ';
		}
		while (*p && !isspace((unsigned char)*p)) {
			if (used + 1 >= n)
				goto full;
			out[used++] = *p++;
		}
	}
	out[used] = '\0';
	return 0;
full:
	out[used] = '\0';
	return -EOVERFLOW;
}

int knob_changed(const char *root, const char *kind, const char *target,
		 const char *key, const char *expected, char *now, size_t n)
{
	char buf[KNOB_VALUE_MAX];
	const struct knob *k = knob_find(kind);

	if (!k)
		return -ENOENT;
	int r = knob_read(k, root, target, key, buf, sizeof buf);
	if (r)
		return r;
	if (now && n) {
		strncpy(now, buf, n - 1);
		now[n - 1] = '\0';
	}
	return !knob_equal(k, key, buf, expected);
}
