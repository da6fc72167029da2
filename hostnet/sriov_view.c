/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sriov_view: PFs, VFs, drivers, IOMMU groups and the PFs' host traffic from
 * root-prefixed sysfs and procfs; VF states, totals and host.sriov.* metrics. */
#include "sriov_view.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <json-c/json.h>

#include "kfs.h"
#include "parse.h"

#define VFIO_GROUPS_MAX 256

static int hex_file(const char *root, const char *rel, unsigned *out)
{
	char buf[32];
	uint64_t v;
	int rc = kfs_read_str(root, rel, buf, sizeof buf);
	if (rc)
		return rc;
	if (parse_x64(buf, &v) || v > 0xffffffffu)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

static int dev_u(const char *root, const char *addr, const char *file, unsigned *out)
{
	char rel[PATH_MAX];
	uint64_t v;
	snprintf(rel, sizeof rel, "sys/bus/pci/devices/%s/%s", addr, file);
	int rc = kfs_read_u64(root, rel, &v);
	if (!rc && v > 0xffff)
		rc = -ERANGE;
	if (!rc)
		*out = (unsigned)v;
	return rc;
}

static int if_name_ok(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && n < SRIOV_IF_MAX && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
}

static int first_name(const char *name, void *arg)
{
	char *out = arg;
	if (!if_name_ok(name))
		return 0;
	snprintf(out, SRIOV_IF_MAX, "%s", name);
	return 1;
}

/* The first network interface of a PCI device, "" when none. */
static void dev_netdev(const char *root, const char *addr, char out[SRIOV_IF_MAX])
{
	char rel[PATH_MAX];
	out[0] = '\0';
	snprintf(rel, sizeof rel, "sys/bus/pci/devices/%s/net", addr);
	(void)kfs_list(root, rel, first_name, out);
}

static int group_of(const char *root, const char *addr)
{
	char rel[PATH_MAX], g[32];
	uint64_t v;
	snprintf(rel, sizeof rel, "sys/bus/pci/devices/%s/iommu_group", addr);
	if (sriov_link_name(root, rel, g, sizeof g) || parse_u64(g, &v) || v > INT_MAX)
		return -1;
	return (int)v;
}

static int netdev_up(const char *root, const char *ifname)
{
	char rel[PATH_MAX];
	unsigned flags;
	snprintf(rel, sizeof rel, "sys/class/net/%s/flags", ifname);
	return !hex_file(root, rel, &flags) && (flags & 1u);
}

/* ---- the PFs' host traffic ---- */

/* Does a route in <root>/proc/net/route leave through ifname? */
static int v4_route(const char *root, const char *ifname, char *why, size_t n)
{
	char *text, *cur, *line;
	size_t len;
	int found = 0;
	if (kfs_read_alloc(root, "proc/net/route", &text, &len))
		return 0;
	cur = text;
	parse_next_line(&cur); /* header */
	while (!found && (line = parse_next_line(&cur))) {
		char *tok[8];
		if (parse_split(line, tok, 8) < 8 || strcmp(tok[0], ifname))
			continue;
		int dflt = !strcmp(tok[1], "00000000") && !strcmp(tok[7], "00000000");
		snprintf(why, n, "%s via %s", dflt ? "default route" : "IPv4 route", ifname);
		found = 1;
	}
	free(text);
	return found;
}

/* A non-link-local IPv6 route or a global address on ifname? */
static int v6_use(const char *root, const char *ifname, char *why, size_t n)
{
	char *text, *cur, *line;
	size_t len;
	int found = 0;
	if (!kfs_read_alloc(root, "proc/net/ipv6_route", &text, &len)) {
		cur = text;
		while (!found && (line = parse_next_line(&cur))) {
			char *tok[10];
			if (parse_split(line, tok, 10) < 10 || strcmp(tok[9], ifname))
				continue;
			if (!strncasecmp(tok[0], "fe80", 4) || !strncasecmp(tok[0], "ff", 2))
				continue; /* link-local and multicast: every interface has them */
			int dflt = !strcmp(tok[1], "00") && strspn(tok[0], "0") == strlen(tok[0]);
			snprintf(why, n, "%s via %s", dflt ? "IPv6 default route" : "IPv6 route", ifname);
			found = 1;
		}
		free(text);
	}
	if (!found && !kfs_read_alloc(root, "proc/net/if_inet6", &text, &len)) {
		cur = text;
		while (!found && (line = parse_next_line(&cur))) {
			char *tok[6];
			/* address ifindex prefixlen scope flags name; scope 00 = global */
			if (parse_split(line, tok, 6) < 6 || strcmp(tok[5], ifname) || strcmp(tok[3], "00"))
				continue;
			snprintf(why, n, "IPv6 address on %s", ifname);
			found = 1;
		}
		free(text);
	}
	return found;
}

static void host_traffic(const char *root, struct sriov_pf *pf)
{
	char rel[PATH_MAX], master[SRIOV_IF_MAX + 8], ifn[SRIOV_IF_MAX];
	snprintf(ifn, sizeof ifn, "%s", pf->netdev);
	pf->host_traffic[0] = '\0';
	if (!ifn[0])
		return;
	snprintf(rel, sizeof rel, "sys/class/net/%s/master", ifn);
	if (!sriov_link_name(root, rel, master, sizeof master)) {
		snprintf(pf->host_traffic, sizeof pf->host_traffic, "%s is enslaved to %s", ifn, master);
		return;
	}
	if (v4_route(root, ifn, pf->host_traffic, sizeof pf->host_traffic))
		return;
	(void)v6_use(root, ifn, pf->host_traffic, sizeof pf->host_traffic);
}

/* ---- vfio groups held open ---- */

struct fd_scan {
	const char *root;
	char dir[64];
	int *groups;
	size_t n;
};

static int fd_one(const char *name, void *arg)
{
	struct fd_scan *s = arg;
	char rel[PATH_MAX], p[PATH_MAX], tgt[64];
	snprintf(rel, sizeof rel, "%s/%s", s->dir, name);
	if (kfs_path(s->root, rel, p, sizeof p))
		return 0;
	ssize_t len = readlink(p, tgt, sizeof tgt - 1);
	if (len <= 0)
		return 0;
	tgt[len] = '\0';
	uint64_t g;
	if (strncmp(tgt, "/dev/vfio/", 10) || parse_u64(tgt + 10, &g) || g > INT_MAX)
		return 0;
	for (size_t i = 0; i < s->n; i++)
		if (s->groups[i] == (int)g)
			return 0;
	if (s->n < VFIO_GROUPS_MAX)
		s->groups[s->n++] = (int)g;
	return 0;
}

static int pid_one(const char *name, void *arg)
{
	struct fd_scan *s = arg;
	if (!isdigit((unsigned char)name[0]) || strspn(name, "0123456789") != strlen(name))
		return 0;
	snprintf(s->dir, sizeof s->dir, "proc/%s/fd", name);
	(void)kfs_list(s->root, s->dir, fd_one, s);
	return 0;
}

int sriov_vfio_group_open(const char *root, int group)
{
	int groups[VFIO_GROUPS_MAX];
	struct fd_scan fs = { .root = root, .groups = groups };
	if (group < 0)
		return 0;
	(void)kfs_list(root, "proc", pid_one, &fs);
	for (size_t k = 0; k < fs.n; k++)
		if (groups[k] == group)
			return 1;
	return 0;
}

int sriov_iommu_group(const char *root, const char *addr)
{
	return group_of(root, addr);
}

/* ---- reading ---- */

struct pf_scan {
	const char *root;
	struct sriov_view *v;
};

static void read_vfs(const char *root, struct sriov_view *v, struct sriov_pf *pf, unsigned pfi)
{
	pf->first_vf = (unsigned)v->nvf;
	for (unsigned i = 0; i < pf->num_vfs; i++) {
		char addr[SRIOV_NAME_MAX];
		if (sriov_vf_addr(root, pf->addr, i, addr))
			continue;
		if (v->nvf == SRIOV_VIEW_MAX_VFS) {
			v->truncated = 1;
			break;
		}
		struct sriov_vf *vf = &v->vf[v->nvf];
		memset(vf, 0, sizeof *vf);
		snprintf(vf->addr, sizeof vf->addr, "%s", addr);
		vf->pf = pfi;
		vf->index = i;
		if (sriov_vf_driver(root, addr, vf->driver, sizeof vf->driver))
			vf->driver[0] = '\0';
		vf->iommu_group = group_of(root, addr);
		dev_netdev(root, addr, vf->netdev);
		vf->netdev_up = vf->netdev[0] && netdev_up(root, vf->netdev);
		v->nvf++;
		pf->nvfs++;
	}
}

static int pf_one(const char *name, void *arg)
{
	struct pf_scan *s = arg;
	struct sriov_view *v = s->v;
	char rel[PATH_MAX];
	if (sriov_parse_addr(name, NULL, NULL, NULL, NULL))
		return 0;
	snprintf(rel, sizeof rel, "sys/bus/pci/devices/%s/sriov_totalvfs", name);
	if (!kfs_exists(s->root, rel))
		return 0;
	if (v->npf == SRIOV_VIEW_MAX_PFS) {
		v->truncated = 1;
		return 0;
	}
	struct sriov_pf *pf = &v->pf[v->npf];
	memset(pf, 0, sizeof *pf);
	snprintf(pf->addr, sizeof pf->addr, "%s", name);
	if (sriov_total_vfs(s->root, name, &pf->total_vfs) || sriov_num_vfs(s->root, name, &pf->num_vfs))
		return 0;
	/* offset and stride: absent in old fixtures, 0 then (no VF address
	 * can be computed) */
	(void)dev_u(s->root, name, "sriov_offset", &pf->offset);
	(void)dev_u(s->root, name, "sriov_stride", &pf->stride);
	snprintf(rel, sizeof rel, "sys/bus/pci/devices/%s/vendor", name);
	(void)hex_file(s->root, rel, &pf->vendor);
	snprintf(rel, sizeof rel, "sys/bus/pci/devices/%s/device", name);
	(void)hex_file(s->root, rel, &pf->device);
	snprintf(rel, sizeof rel, "sys/bus/pci/devices/%s/class", name);
	(void)hex_file(s->root, rel, &pf->class_code);
	if (sriov_vf_driver(s->root, name, pf->driver, sizeof pf->driver))
		pf->driver[0] = '\0';
	pf->iommu_group = group_of(s->root, name);
	unsigned ap;
	pf->autoprobe = dev_u(s->root, name, "sriov_drivers_autoprobe", &ap) ? -1 : (int)ap;
	dev_netdev(s->root, name, pf->netdev);
	host_traffic(s->root, pf);
	read_vfs(s->root, v, pf, (unsigned)v->npf);
	v->npf++;
	return 0;
}

int sriov_view_read(const char *root, struct sriov_view *v)
{
	struct pf_scan s = { root, v };
	memset(v, 0, sizeof *v);
	int rc = kfs_list(root, "sys/bus/pci/devices", pf_one, &s);
	if (rc)
		return rc;
	int any_vfio = 0;
	for (size_t i = 0; i < v->nvf; i++)
		any_vfio |= !strcmp(v->vf[i].driver, "vfio-pci") && v->vf[i].iommu_group >= 0;
	if (any_vfio) {
		int groups[VFIO_GROUPS_MAX];
		struct fd_scan fs = { .root = root, .groups = groups };
		(void)kfs_list(root, "proc", pid_one, &fs);
		for (size_t i = 0; i < v->nvf; i++)
			for (size_t k = 0; k < fs.n; k++)
				if (!strcmp(v->vf[i].driver, "vfio-pci") && v->vf[i].iommu_group == groups[k])
					v->vf[i].vfio_open = 1;
	}
	return 0;
}

struct sriov_vf *sriov_view_vf(struct sriov_view *v, const char *addr)
{
	for (size_t i = 0; addr && i < v->nvf; i++)
		if (!strcasecmp(v->vf[i].addr, addr))
			return &v->vf[i];
	return NULL;
}

int sriov_view_hold(struct sriov_view *v, const char *addr, const char *guest)
{
	struct sriov_vf *vf = sriov_view_vf(v, addr);
	if (!vf)
		return 0;
	snprintf(vf->guest, sizeof vf->guest, "%s", guest ? guest : "?");
	return 1;
}

void sriov_view_finish(struct sriov_view *v)
{
	v->total_vfs = v->existing_vfs = v->free_vfs = v->assigned_vfs = 0;
	for (size_t i = 0; i < v->npf; i++) {
		const struct sriov_pf *pf = &v->pf[i];
		v->total_vfs += pf->total_vfs;
		v->existing_vfs += pf->num_vfs;
		if (pf->num_vfs == 0 && !pf->host_traffic[0])
			v->free_vfs += pf->total_vfs;
	}
	for (size_t i = 0; i < v->nvf; i++) {
		struct sriov_vf *vf = &v->vf[i];
		if (vf->guest[0])
			vf->state = SRIOV_VF_ASSIGNED;
		else if (vf->vfio_open)
			vf->state = SRIOV_VF_OPEN;
		else if (vf->netdev[0] && vf->netdev_up)
			vf->state = SRIOV_VF_HOST;
		else
			vf->state = SRIOV_VF_FREE;
		if (vf->state == SRIOV_VF_FREE)
			v->free_vfs++;
		else if (vf->state == SRIOV_VF_ASSIGNED)
			v->assigned_vfs++;
	}
}

void sriov_view_metrics(const struct sriov_view *v, const char *guest, struct mvec *host)
{
	mvec_set(host, M_HOST_SRIOV_TOTAL_VFS, v->total_vfs);
	mvec_set(host, M_HOST_SRIOV_FREE_VFS, v->free_vfs);
	mvec_set(host, M_HOST_SRIOV_ASSIGNED_VFS, v->assigned_vfs);
	if (!guest)
		return;
	unsigned mine = 0;
	for (size_t i = 0; i < v->nvf; i++)
		mine += v->vf[i].state == SRIOV_VF_ASSIGNED && !strcmp(v->vf[i].guest, guest);
	mvec_set(host, M_HOST_SRIOV_GUEST_VFS, mine);
}

int sriov_view_cached_metrics(struct sriov_view_cache *c, void *b, const char *root,
			      int (*scan)(void *b, const char *root, struct sriov_view *v),
			      const char *guest, uint64_t now_ns, struct mvec *host)
{
	if (!c->v && !(c->v = malloc(sizeof *c->v)))
		return -ENOMEM;
	if (c->b != b || !c->t_ns || now_ns < c->t_ns || now_ns - c->t_ns >= 1000000000ull) {
		c->rc = scan(b, root, c->v);
		c->b = b;
		c->t_ns = now_ns ? now_ns : 1;
	}
	if (c->rc == -ENOENT) /* no PCI devices directory: nothing to say */
		return 0;
	if (c->rc)
		return c->rc;
	sriov_view_metrics(c->v, guest, host);
	return 0;
}

int sriov_view_vf_addr(const struct sriov_pf *pf, unsigned idx, char addr[SRIOV_NAME_MAX])
{
	unsigned d, b, s, f;
	if (sriov_parse_addr(pf->addr, &d, &b, &s, &f) || !pf->offset || (idx && !pf->stride))
		return -EINVAL;
	if (idx >= pf->total_vfs)
		return -ERANGE;
	unsigned long rid = ((unsigned long)b << 8 | s << 3 | f) + pf->offset +
			    (unsigned long)idx * pf->stride;
	if (rid > 0xffff)
		return -ERANGE;
	snprintf(addr, SRIOV_NAME_MAX, "%04x:%02lx:%02lx.%lx", d, rid >> 8, (rid >> 3) & 0x1f, rid & 7);
	return 0;
}

const char *sriov_vf_state_name(enum sriov_vf_state s)
{
	static const char *const names[] = { "free", "host", "open", "assigned" };
	return (unsigned)s < sizeof names / sizeof *names ? names[s] : "?";
}

void sriov_view_print(const struct sriov_view *v, FILE *f)
{
	for (size_t i = 0; i < v->npf; i++) {
		const struct sriov_pf *pf = &v->pf[i];
		fprintf(f, "PF %s %04x:%04x class %06x driver %s%s%s VFs %u/%u%s%s\n", pf->addr,
			pf->vendor, pf->device, pf->class_code, pf->driver[0] ? pf->driver : "-",
			pf->netdev[0] ? " if " : "", pf->netdev, pf->num_vfs, pf->total_vfs,
			pf->host_traffic[0] ? " host traffic: " : "", pf->host_traffic);
		for (unsigned k = 0; k < pf->nvfs; k++) {
			const struct sriov_vf *vf = &v->vf[pf->first_vf + k];
			char grp[16];
			if (vf->iommu_group >= 0)
				snprintf(grp, sizeof grp, "%d", vf->iommu_group);
			else
				snprintf(grp, sizeof grp, "none");
			fprintf(f, "  VF %u %s %s driver %s iommu_group %s%s%s%s%s\n", vf->index, vf->addr,
				sriov_vf_state_name(vf->state), vf->driver[0] ? vf->driver : "-", grp,
				vf->netdev[0] ? " if " : "", vf->netdev, vf->guest[0] ? " guest " : "",
				vf->guest);
		}
	}
	fprintf(f, "total %u, existing %u, free %u, assigned %u%s\n", v->total_vfs, v->existing_vfs,
		v->free_vfs, v->assigned_vfs, v->truncated ? " (truncated)" : "");
}

static void put_s(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static void put_i(json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static void put_hex(json_object *o, const char *k, unsigned v, int width)
{
	char b[16];
	snprintf(b, sizeof b, "0x%0*x", width, v);
	put_s(o, k, b);
}

json_object *sriov_view_json(const struct sriov_view *v)
{
	json_object *top = json_object_new_object(), *pfs = json_object_new_array();
	if (!top || !pfs) {
		json_object_put(top);
		json_object_put(pfs);
		return NULL;
	}
	for (size_t i = 0; i < v->npf; i++) {
		const struct sriov_pf *pf = &v->pf[i];
		json_object *o = json_object_new_object(), *vfs = json_object_new_array();
		put_s(o, "addr", pf->addr);
		put_hex(o, "vendor", pf->vendor, 4);
		put_hex(o, "device", pf->device, 4);
		put_hex(o, "class", pf->class_code, 6);
		put_s(o, "driver", pf->driver);
		put_s(o, "netdev", pf->netdev);
		put_i(o, "total_vfs", pf->total_vfs);
		put_i(o, "num_vfs", pf->num_vfs);
		put_i(o, "iommu_group", pf->iommu_group);
		put_s(o, "host_traffic", pf->host_traffic);
		for (unsigned k = 0; k < pf->nvfs; k++) {
			const struct sriov_vf *vf = &v->vf[pf->first_vf + k];
			json_object *x = json_object_new_object();
			put_i(x, "index", vf->index);
			put_s(x, "addr", vf->addr);
			put_s(x, "state", sriov_vf_state_name(vf->state));
			put_s(x, "driver", vf->driver);
			put_i(x, "iommu_group", vf->iommu_group);
			put_s(x, "netdev", vf->netdev);
			put_s(x, "guest", vf->guest);
			json_object_array_add(vfs, x);
		}
		json_object_object_add(o, "vfs", vfs);
		json_object_array_add(pfs, o);
	}
	json_object_object_add(top, "pfs", pfs);
	put_i(top, "total_vfs", v->total_vfs);
	put_i(top, "existing_vfs", v->existing_vfs);
	put_i(top, "free_vfs", v->free_vfs);
	put_i(top, "assigned_vfs", v->assigned_vfs);
	json_object_object_add(top, "truncated", json_object_new_boolean(v->truncated));
	return top;
}
