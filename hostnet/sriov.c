/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sriov: SR-IOV PFs and VFs through root-prefixed sysfs, vfio-pci binding,
 * the hostdev XML and the "sriov-numvfs" knob kind. */
#include "sriov.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kfs.h"
#include "parse.h"

static int link_or_file(const char *root, const char *rel, char *out, size_t n);

/* Is name a plain interface name (no path tricks)? */
static int name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n >= SRIOV_NAME_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
		return 0;
	return !strchr(s, '/');
}

struct pf_list {
	const char *root;
	char (*pf)[SRIOV_NAME_MAX];
	size_t max, n;
};

static int pf_one(const char *name, void *arg)
{
	struct pf_list *l = arg;
	char rel[PATH_MAX];
	if (!name_ok(name))
		return 0;
	snprintf(rel, sizeof rel, "sys/class/net/%s/device/sriov_totalvfs", name);
	if (!kfs_exists(l->root, rel))
		return 0;
	if (l->n < l->max)
		snprintf(l->pf[l->n], SRIOV_NAME_MAX, "%s", name);
	l->n++;
	return 0;
}

int sriov_list_pfs(const char *root, char (*pf)[SRIOV_NAME_MAX], size_t max, size_t *n)
{
	struct pf_list l = { root, pf, max, 0 };
	int rc = kfs_list(root, "sys/class/net", pf_one, &l);
	*n = l.n;
	return rc;
}

int sriov_pf_file(const char *pf, const char *file, char *rel, size_t n)
{
	int len;
	if (!sriov_parse_addr(pf, NULL, NULL, NULL, NULL))
		len = snprintf(rel, n, "sys/bus/pci/devices/%s/%s", pf, file);
	else if (name_ok(pf))
		len = snprintf(rel, n, "sys/class/net/%s/device/%s", pf, file);
	else
		return -EINVAL;
	return len < 0 || (size_t)len >= n ? -ENAMETOOLONG : 0;
}

static int read_count(const char *root, const char *pf, const char *file, unsigned *out)
{
	char rel[PATH_MAX];
	uint64_t v;
	int rc = sriov_pf_file(pf, file, rel, sizeof rel);
	if (rc)
		return rc;
	rc = kfs_read_u64(root, rel, &v);
	if (rc)
		return rc;
	if (v > 65535)
		return -ERANGE;
	*out = (unsigned)v;
	return 0;
}

int sriov_total_vfs(const char *root, const char *pf, unsigned *out)
{
	return read_count(root, pf, "sriov_totalvfs", out);
}

int sriov_num_vfs(const char *root, const char *pf, unsigned *out)
{
	return read_count(root, pf, "sriov_numvfs", out);
}

int sriov_set_num_vfs(const char *root, const char *pf, unsigned n)
{
	unsigned total, cur;
	char rel[PATH_MAX], val[16];
	int rc = sriov_total_vfs(root, pf, &total);
	if (!rc)
		rc = sriov_num_vfs(root, pf, &cur);
	if (rc)
		return rc;
	if (n > total)
		return -ERANGE;
	if (cur == n)
		return 0;
	/* VFs that would go away while vfio-pci or pciback holds them: the
	 * kernel would wait (vfio) or yank them from a guest (pciback). */
	for (unsigned i = cur != 0 && n != 0 ? 0 : n; i < cur; i++) {
		char addr[SRIOV_NAME_MAX], drv[64];
		if (sriov_vf_addr(root, pf, i, addr) || sriov_vf_driver(root, addr, drv, sizeof drv))
			continue;
		if (!strcmp(drv, "vfio-pci") || !strcmp(drv, "pciback"))
			return -EBUSY;
	}
	rc = sriov_pf_file(pf, "sriov_numvfs", rel, sizeof rel);
	if (rc)
		return rc;
	if (cur != 0 && n != 0) {
		rc = kfs_write_str(root, rel, "0");
		if (rc)
			return rc;
	}
	snprintf(val, sizeof val, "%u", n);
	return kfs_write_str(root, rel, val);
}

int sriov_link_name(const char *root, const char *rel, char *out, size_t n)
{
	return link_or_file(root, rel, out, n);
}

/* Last element of a symlink under root, or the content of a plain file. */
static int link_or_file(const char *root, const char *rel, char *out, size_t n)
{
	char p[PATH_MAX], tgt[PATH_MAX];
	struct stat st;
	int rc = kfs_path(root, rel, p, sizeof p);
	if (rc)
		return rc;
	if (lstat(p, &st))
		return -errno;
	if (S_ISLNK(st.st_mode)) {
		ssize_t len = readlink(p, tgt, sizeof tgt - 1);
		if (len < 0)
			return -errno;
		tgt[len] = '\0';
		const char *base = strrchr(tgt, '/');
		base = base ? base + 1 : tgt;
		if (strlen(base) >= n)
			return -EOVERFLOW;
		snprintf(out, n, "%s", base);
		return 0;
	}
	return kfs_read_str(root, rel, out, n);
}

int sriov_vf_addr(const char *root, const char *pf, unsigned idx, char addr[SRIOV_NAME_MAX])
{
	char rel[PATH_MAX], file[32];
	snprintf(file, sizeof file, "virtfn%u", idx);
	int rc = sriov_pf_file(pf, file, rel, sizeof rel);
	if (rc)
		return rc;
	rc = link_or_file(root, rel, addr, SRIOV_NAME_MAX);
	if (rc)
		return rc;
	return sriov_parse_addr(addr, NULL, NULL, NULL, NULL);
}

int sriov_vf_driver(const char *root, const char *addr, char *drv, size_t n)
{
	char rel[PATH_MAX];
	if (sriov_parse_addr(addr, NULL, NULL, NULL, NULL))
		return -EINVAL;
	snprintf(rel, sizeof rel, "sys/bus/pci/devices/%s/driver", addr);
	int rc = link_or_file(root, rel, drv, n);
	if (rc == -ENOENT) {
		if (n)
			drv[0] = '\0';
		return 0;
	}
	if (!rc && !name_ok(drv))
		return -EINVAL;
	return rc;
}

static int hexfield(const char *s, size_t len, unsigned max, unsigned *out)
{
	unsigned v = 0;
	if (len == 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return -EINVAL;
		v = v * 16 + d;
	}
	if (v > max)
		return -EINVAL;
	if (out)
		*out = v;
	return 0;
}

int sriov_parse_addr(const char *addr, unsigned *dom, unsigned *bus, unsigned *slot,
		     unsigned *fn)
{
	/* DDDD:BB:SS.F */
	if (!addr || strlen(addr) != 12 || addr[4] != ':' || addr[7] != ':' || addr[10] != '.')
		return -EINVAL;
	if (hexfield(addr, 4, 0xffff, dom) || hexfield(addr + 5, 2, 0xff, bus) ||
	    hexfield(addr + 8, 2, 0x1f, slot) || hexfield(addr + 11, 1, 7, fn))
		return -EINVAL;
	return 0;
}

int sriov_hostdev_xml(const char *addr, char *buf, size_t n)
{
	unsigned d, b, s, f;
	if (sriov_parse_addr(addr, &d, &b, &s, &f))
		return -EINVAL;
	int len = snprintf(buf, n,
			   "<hostdev mode='subsystem' type='pci' managed='yes'><source>"
			   "<address domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/>"
			   "</source></hostdev>", d, b, s, f);
	return len < 0 || (size_t)len >= n ? -ENAMETOOLONG : 0;
}

/* ---- knob kind "sriov-numvfs" ---- */

#define KEY_NUMVFS "sriov_numvfs"
#define KEY_AUTOPROBE "sriov_drivers_autoprobe"

/* 1: sriov_numvfs, 2: sriov_drivers_autoprobe, 0: neither. */
static int knob_key(const char *key)
{
	return !key ? 0 : !strcmp(key, KEY_NUMVFS) ? 1 : !strcmp(key, KEY_AUTOPROBE) ? 2 : 0;
}

static int numvfs_read(void *ctx, const char *root, const char *target, const char *key,
		       char *buf, size_t n)
{
	(void)ctx;
	unsigned v;
	int k = knob_key(key), rc;
	if (!k)
		return -EINVAL;
	rc = k == 1 ? sriov_num_vfs(root, target, &v) : read_count(root, target, KEY_AUTOPROBE, &v);
	if (rc)
		return rc;
	int len = snprintf(buf, n, "%u", v);
	return len < 0 || (size_t)len >= n ? -EOVERFLOW : 0;
}

static int numvfs_parse(int k, const char *value, unsigned *n)
{
	char norm[32];
	uint64_t v;
	if (!value || knob_value_normalize(value, norm, sizeof norm) || parse_u64(norm, &v) ||
	    v > (k == 2 ? 1 : 65535))
		return -EINVAL;
	*n = (unsigned)v;
	return 0;
}

static int numvfs_write(void *ctx, const char *root, const char *target, const char *key,
			const char *value)
{
	(void)ctx;
	char rel[PATH_MAX];
	unsigned v;
	int k = knob_key(key), rc;
	if (!k || numvfs_parse(k, value, &v))
		return -EINVAL;
	if (k == 1)
		return sriov_set_num_vfs(root, target, v);
	if ((rc = sriov_pf_file(target, KEY_AUTOPROBE, rel, sizeof rel)))
		return rc;
	return kfs_write_str(root, rel, v ? "1" : "0");
}

static int numvfs_check(void *ctx, const char *target, const char *key, const char *value,
			char *why, size_t n)
{
	(void)ctx;
	unsigned v;
	int k = knob_key(key);
	if (!target || (!name_ok(target) && sriov_parse_addr(target, NULL, NULL, NULL, NULL))) {
		snprintf(why, n, "not a PF (PCI address DDDD:BB:SS.F or interface name): '%s'",
			 target ? target : "");
		return -EINVAL;
	}
	if (!k) {
		snprintf(why, n, "key must be " KEY_NUMVFS " or " KEY_AUTOPROBE);
		return -EINVAL;
	}
	if (numvfs_parse(k, value, &v)) {
		snprintf(why, n, k == 1 ? "not a VF count: '%s'" : "not 0 or 1: '%s'",
			 value ? value : "");
		return -EINVAL;
	}
	return 0;
}

const struct knob_ops sriov_knob_numvfs_ops = {
	.kind = "sriov-numvfs",
	.read = numvfs_read,
	.write = numvfs_write,
	.check = numvfs_check,
	.restore = NULL,
};
