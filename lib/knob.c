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

static int sysctl_read(const char *root, const char *target, const char *key,
		       char *buf, size_t n)
{
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

static int sysctl_check(const char *target, const char *key, const char *value,
			char *why, size_t n)
{
	if (!sysctl_target_ok(target)) {
		if (why && n)
			strncpy(why, "sysctl knobs take no target", n - 1)[n - 1] = '\0';
		return -EINVAL;
	}
	return allow_check(key, value, why, n);
}

static int sysctl_write(const char *root, const char *target, const char *key,
			const char *value)
{
	int r = sysctl_check(target, key, value, NULL, 0);
	return r ? r : sysctl_put(root, key, value);
}

static int sysctl_restore(const char *root, const char *target,
			  const char *key, const char *value)
{
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

static const struct knob_ops *kinds[KNOB_MAX_KINDS] = { &knob_sysctl_ops };
static size_t nkinds = 1;
static knob_proxy_fn proxy;

const struct knob_ops *knob_find_real(const char *kind)
{
	if (!kind)
		return NULL;
	for (size_t i = 0; i < nkinds; i++)
		if (!strcmp(kinds[i]->kind, kind))
			return kinds[i];
	return NULL;
}

const struct knob_ops *knob_find(const char *kind)
{
	const struct knob_ops *ops = knob_find_real(kind);
	return ops && proxy ? proxy(ops) : ops;
}

void knob_set_proxy(knob_proxy_fn fn)
{
	proxy = fn;
}

int knob_register(const struct knob_ops *ops)
{
	if (!ops || !ops->kind || !*ops->kind || !ops->read || !ops->write)
		return -EINVAL;
	if (knob_find_real(ops->kind))
		return -EEXIST;
	if (nkinds == KNOB_MAX_KINDS)
		return -ENOSPC;
	kinds[nkinds++] = ops;
	return 0;
}

int knob_unregister(const char *kind)
{
	for (size_t i = 0; i < nkinds; i++) {
		if (strcmp(kinds[i]->kind, kind))
			continue;
		memmove(&kinds[i], &kinds[i + 1],
			(nkinds - i - 1) * sizeof kinds[0]);
		kinds[--nkinds] = NULL;
		return 0;
	}
	return -ENOENT;
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
	const struct knob_ops *ops = knob_find(kind);

	if (!ops)
		return -ENOENT;
	int r = ops->read(root, target, key, buf, sizeof buf);
	if (r)
		return r;
	if (now && n) {
		strncpy(now, buf, n - 1);
		now[n - 1] = '\0';
	}
	return !knob_value_equal(buf, expected);
}
