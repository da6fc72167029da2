/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backend_mod: load the kvm and xen backends on demand (dlopen) and the
 * proxies the programs link in their place: backend_kvm_ops /
 * backend_xen_ops and the backend functions hostd calls by name
 * (kvm_xml_labels). Linked into vtune-hostd and vtune only; unit tests link
 * the backends. */
#include "backend_mod.h"
#include "log.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef VTUNE_BACKEND_DIR_DEFAULT
#define VTUNE_BACKEND_DIR_DEFAULT "/usr/lib/vtune/backends"
#endif

struct slot {
	const char *name, *sym, *package;
	const struct backend_ops *proxy;
	const struct backend_mod *table;
	int tried;
	char why[256];
	char path[PATH_MAX]; /* of the loaded module */
};

extern const struct backend_ops backend_kvm_ops, backend_xen_ops;

static struct slot slots[] = {
	{ "kvm", BACKEND_MOD_KVM_SYM, "vtune-hostd-kvm", &backend_kvm_ops, NULL, 0, "", "" },
	{ "xen", BACKEND_MOD_XEN_SYM, "vtune-hostd-xen", &backend_xen_ops, NULL, 0, "", "" },
};

static void fill(const struct backend_ops *from, const struct backend_ops *proxy);

/* The module has the slots its proxy forwards, and no other: a module
 * built from another tree is refused rather than half used. */
static int same_strs(const char *const *a, const char *const *b)
{
	size_t i = 0;
	for (; a && b && a[i] && b[i]; i++)
		if (strcmp(a[i], b[i]))
			return 0;
	return (!a || !a[i]) && (!b || !b[i]);
}

static int same_slots(const struct backend_ops *a, const struct backend_ops *b)
{
#define SAME(f) (!a->f == !b->f)
	return SAME(channels_open) && SAME(channels_guest_down) && SAME(channels_close) &&
	       SAME(plan_pin) && SAME(plan_pin_host) && SAME(guest_filters) &&
	       SAME(plan_pci_attach) && SAME(pci_view) &&
	       SAME(privsep_dirs) && SAME(privileged_knobs) && !strcmp(a->name, b->name) &&
	       same_strs(a->pin_modes, b->pin_modes) &&
	       same_strs(a->pin_host_modes, b->pin_host_modes);
#undef SAME
}

/* A module file we may load: a regular file owned by root or by us,
 * writable by nobody else. 0 or -errno with a reason. */
static int file_ok(const char *path, char *why, size_t n)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		int e = errno;
		snprintf(why, n, "%.200s: %s", path, strerror(e));
		return -e;
	}
	if (!S_ISREG(st.st_mode) || (st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & 0022)) {
		snprintf(why, n, "%.150s: not loaded: not a regular file owned by root, or "
			 "writable by others", path);
		return -EPERM;
	}
	return 0;
}

/* The folder "backends" beside the running program, "" when none. */
static void beside_exe(char *out, size_t n)
{
	char exe[PATH_MAX];
	ssize_t l = readlink("/proc/self/exe", exe, sizeof exe - 1);
	struct stat st;
	out[0] = 0;
	if (l <= 0)
		return;
	exe[l] = 0;
	char *slash = strrchr(exe, '/');
	if (!slash)
		return;
	*slash = 0;
	if (snprintf(out, n, "%s/backends", exe) >= (int)n || stat(out, &st) < 0 || !S_ISDIR(st.st_mode))
		out[0] = 0;
}

static int try_load(struct slot *s, const char *dir, char *why, size_t n)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof path, "%s/backend-%s.so", dir, s->name) >= (int)sizeof path) {
		snprintf(why, n, "%s: name too long", dir);
		return -ENAMETOOLONG;
	}
	int r = file_ok(path, why, n);
	if (r)
		return r;
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(why, n, "%.200s: %s", path, dlerror());
		return -ELIBBAD;
	}
	const struct backend_mod *m = dlsym(h, s->sym);
	if (!m || m->abi != BACKEND_MOD_ABI || !m->version || strcmp(m->version, VTUNE_VERSION) ||
	    !m->ops || !same_slots(m->ops, s->proxy)) {
		snprintf(why, n, "%.200s: not a vtune %s backend of ABI %d", path, VTUNE_VERSION,
			 BACKEND_MOD_ABI);
		dlclose(h);
		return -ELIBBAD;
	}
	s->table = m; /* never closed: its knob kinds stay registered */
	snprintf(s->path, sizeof s->path, "%s", path);
	fill(m->ops, s->proxy);
	log_debug("backend %s: loaded %s", s->name, path);
	return 0;
}

const struct backend_mod *backend_mod_load(const char *name, char *why, size_t n)
{
	struct slot *s = NULL;
	for (size_t i = 0; i < sizeof slots / sizeof *slots; i++)
		if (!strcmp(slots[i].name, name))
			s = &slots[i];
	if (!s) {
		snprintf(why, n, "no backend module '%s'", name);
		return NULL;
	}
	if (!s->tried) {
		char here[PATH_MAX], r1[sizeof s->why];
		const char *env = getenv("VTUNE_BACKEND_DIR");
		const char *dirs[2];
		size_t nd = 0;
		s->tried = 1;
		beside_exe(here, sizeof here);
		if (env && *env)
			dirs[nd++] = env;
		else if (here[0])
			dirs[nd++] = here;
		dirs[nd++] = VTUNE_BACKEND_DIR_DEFAULT;
		for (size_t i = 0; i < nd && !s->table; i++) {
			int r = try_load(s, dirs[i], r1, sizeof r1);
			if (r && r != -ENOENT && !s->why[0]) /* there but bad: say so */
				snprintf(s->why, sizeof s->why, "%s", r1);
		}
		if (!s->table && !s->why[0])
			snprintf(s->why, sizeof s->why,
				 "the %s backend is not installed (no backend-%s.so in %s; "
				 "Debian: apt install %s)",
				 s->name, s->name, VTUNE_BACKEND_DIR_DEFAULT, s->package);
		if (!s->table)
			log_debug("backend %s: %s", s->name, s->why);
	}
	if (!s->table)
		snprintf(why, n, "%s", s->why);
	return s->table;
}

/* ---- the proxies ---- */

/* What a proxy lists, copied from its module when it loads (NULL-terminated):
 * hostd binds the knob kinds, privilege separation serves the privileged
 * ones. The pin modes are the proxy's own (the policy check reads them
 * whether the module is installed or not) and must equal the module's. */
#define LIST_MAX 16
struct lists {
	const struct knob_ops *knobs[LIST_MAX];
	const char *privileged[LIST_MAX];
};
static struct lists kvm_lists, xen_lists;
static const char *const kvm_pin_modes[] = { "emulator-away", "vcpus-spread", NULL };
static const char *const kvm_pin_host_modes[] = { "housekeeping", "net-threads", NULL };
static const char *const xen_pin_host_modes[] = { "dom0-away", "net-threads", NULL };

static void copy_strs(const char *const *from, const char **to)
{
	size_t i = 0;
	for (; from && from[i] && i < LIST_MAX - 1; i++)
		to[i] = from[i];
	to[i] = NULL;
}

static void fill(const struct backend_ops *from, const struct backend_ops *proxy)
{
	struct lists *l = proxy == &backend_kvm_ops ? &kvm_lists : &xen_lists;
	size_t i = 0;
	copy_strs(from->privileged_knobs, l->privileged);
	for (; from->knobs && from->knobs[i] && i < LIST_MAX - 1; i++)
		l->knobs[i] = from->knobs[i];
	l->knobs[i] = NULL;
}

static const struct backend_ops *real(int i)
{
	return slots[i].table ? slots[i].table->ops : NULL;
}

/* Forwarders: every slot but open runs on a handle the module's open made,
 * so the module is loaded; open and privsep_dirs say so when it is not. */
#define PROXY(NAME, I)                                                                        \
	static struct backend *NAME##_open(const char *uri, const char *root, int *err,       \
					   char *why, size_t n)                               \
	{                                                                                      \
		if (!backend_mod_load(#NAME, why, n)) {                                        \
			*err = -ENOENT;                                                        \
			return NULL;                                                           \
		}                                                                              \
		log_debug("backend %s: loaded %s", #NAME, slots[I].path);                      \
		return real(I)->open(uri, root, err, why, n);                                  \
	}                                                                                      \
	static void NAME##_close(struct backend *b)                                           \
	{                                                                                      \
		real(I)->close(b);                                                             \
	}                                                                                      \
	static int NAME##_list(struct backend *b, bk_event_fn fn, void *arg)                  \
	{                                                                                      \
		return real(I)->list(b, fn, arg);                                              \
	}                                                                                      \
	static int NAME##_event_fd(struct backend *b)                                         \
	{                                                                                      \
		return real(I)->event_fd(b);                                                   \
	}                                                                                      \
	static int NAME##_dispatch(struct backend *b, bk_event_fn fn, void *arg)              \
	{                                                                                      \
		return real(I)->dispatch(b, fn, arg);                                          \
	}                                                                                      \
	static int NAME##_host_view(struct backend *b, const struct bk_guest *g, uint64_t now, \
				    struct mvec *host)                                         \
	{                                                                                      \
		return real(I)->host_view(b, g, now, host);                                    \
	}                                                                                      \
	static int NAME##_plan_pin_host(struct backend *b, const struct bk_guest *const *gs,  \
					size_t ng, const char *mode, act_change_fn fn,        \
					void *arg, char *why, size_t n)                       \
	{                                                                                      \
		return real(I)->plan_pin_host(b, gs, ng, mode, fn, arg, why, n);               \
	}                                                                                      \
	static int NAME##_plan_pci_attach(struct backend *b, const struct bk_guest *g,        \
					  const struct sriov_conf *conf, const char *want,    \
					  act_change_fn fn, void *arg, char *why, size_t n)   \
	{                                                                                      \
		return real(I)->plan_pci_attach(b, g, conf, want, fn, arg, why, n);            \
	}                                                                                      \
	static int NAME##_pci_view(struct backend *b, struct sriov_view *v)                   \
	{                                                                                      \
		return real(I)->pci_view(b, v);                                                \
	}                                                                                      \
	static int NAME##_privsep_dirs(const char *uri, const char **dirs, size_t max,        \
				       char *buf, size_t bufn, char *why, size_t n)           \
	{                                                                                      \
		if (!backend_mod_load(#NAME, why, n))                                          \
			return -ENOENT;                                                        \
		return real(I)->privsep_dirs(uri, dirs, max, buf, bufn, why, n);               \
	}

PROXY(kvm, 0)
PROXY(xen, 1)

/* per-guest pinning: KVM only (Xen plans dom0 for the whole host) */
static int kvm_plan_pin(struct backend *b, const struct bk_guest *g, const char *mode,
			act_change_fn fn, void *arg, char *why, size_t n)
{
	return real(0)->plan_pin(b, g, mode, fn, arg, why, n);
}

static int kvm_filters_proxy(struct backend *b, const struct bk_guest *g, char *buf, size_t n)
{
	return real(0)->guest_filters(b, g, buf, n);
}

static void *xen_channels_open(struct backend *b, struct loop *loop, bk_find_fn find, void *arg,
			       int *err)
{
	return real(1)->channels_open(b, loop, find, arg, err);
}

static void xen_channels_down(void *ch, int domid)
{
	real(1)->channels_guest_down(ch, domid);
}

static void xen_channels_close(void *ch)
{
	if (real(1))
		real(1)->channels_close(ch);
}

/* The sim backend's NAME.xml is a libvirt domain XML: read by the kvm
 * module, whose libxml2 the programs do not link. */
int kvm_xml_labels(const char *xml, struct bk_guest *g)
{
	char why[256];
	const struct backend_mod *m = backend_mod_load("kvm", why, sizeof why);
	if (!m || !m->xml_labels) {
		log_debug("kvm_xml_labels: %s", m ? "not in the kvm module" : why);
		return -ENOENT;
	}
	return m->xml_labels(xml, g);
}

/* The same slots as kvm/kvm.c's and xen/xen.c's tables (checked when a
 * module loads: same_slots). */
const struct backend_ops backend_kvm_ops = {
	.name = "kvm",
	.open = kvm_open,
	.close = kvm_close,
	.list = kvm_list,
	.event_fd = kvm_event_fd,
	.dispatch = kvm_dispatch,
	.host_view = kvm_host_view,
	.plan_pin = kvm_plan_pin,
	.pin_modes = kvm_pin_modes,
	.plan_pin_host = kvm_plan_pin_host,
	.pin_host_modes = kvm_pin_host_modes,
	.guest_filters = kvm_filters_proxy,
	.plan_pci_attach = kvm_plan_pci_attach,
	.pci_view = kvm_pci_view,
	.knobs = kvm_lists.knobs,
	.privileged_knobs = kvm_lists.privileged,
	.privsep_dirs = kvm_privsep_dirs,
};

const struct backend_ops backend_xen_ops = {
	.name = "xen",
	.open = xen_open,
	.close = xen_close,
	.list = xen_list,
	.event_fd = xen_event_fd,
	.dispatch = xen_dispatch,
	.host_view = xen_host_view,
	.channels_open = xen_channels_open,
	.channels_guest_down = xen_channels_down,
	.channels_close = xen_channels_close,
	.plan_pin_host = xen_plan_pin_host,
	.pin_host_modes = xen_pin_host_modes,
	.plan_pci_attach = xen_plan_pci_attach,
	.pci_view = xen_pci_view,
	.knobs = xen_lists.knobs,
	.privileged_knobs = xen_lists.privileged,
	.privsep_dirs = xen_privsep_dirs,
};

/* What is installed is loaded at start, before main: the policy check and
 * the knob kinds of a journal need the modules' lists. A module that is
 * missing costs nothing here; backend_mod_load says why when it is asked
 * for. */
__attribute__((constructor)) static void load_installed(void)
{
	char why[256];
	for (size_t i = 0; i < sizeof slots / sizeof *slots; i++)
		backend_mod_load(slots[i].name, why, sizeof why);
}
