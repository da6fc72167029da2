/* backend_mod: load the kvm and xen backends on demand (dlopen) and the
 * proxies the programs link in their place: backend_kvm_ops /
 * backend_xen_ops and the backend functions hostd calls by name. Linked
 * into vtune-hostd and vtune only; unit tests link the backends. */
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
	const void *table;
	int tried;
	char why[256];
};

static struct slot slots[] = {
	{ "kvm", BACKEND_MOD_KVM_SYM, "vtune-hostd-kvm", NULL, 0, "" },
	{ "xen", BACKEND_MOD_XEN_SYM, "vtune-hostd-xen", NULL, 0, "" },
};

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
	/* every table starts with its ABI and version */
	const struct backend_mod_head {
		unsigned abi;
		const char *version;
	} *hd = dlsym(h, s->sym);
	if (!hd || hd->abi != BACKEND_MOD_ABI || !hd->version || strcmp(hd->version, VTUNE_VERSION)) {
		snprintf(why, n, "%.200s: not a vtune %s backend of ABI %d", path, VTUNE_VERSION,
			 BACKEND_MOD_ABI);
		dlclose(h);
		return -ELIBBAD;
	}
	s->table = hd; /* never closed: its knob kinds stay registered */
	log_debug("backend %s: loaded %s", s->name, path);
	return 0;
}

const void *backend_mod_load(const char *name, char *why, size_t n)
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

static const struct backend_mod_kvm *kvm_mod(void)
{
	char why[256];
	return backend_mod_load("kvm", why, sizeof why);
}

static const struct backend_mod_xen *xen_mod(void)
{
	char why[256];
	return backend_mod_load("xen", why, sizeof why);
}

/* The knob kinds of a module, copied here when it loads (NULL-terminated):
 * hostd binds them to the connection through ops->knobs. */
static const struct knob_ops *kvm_knobs[8], *xen_knobs[8];

static void copy_knobs(const struct backend_ops *o, const struct knob_ops **to)
{
	size_t i = 0;
	for (; o->knobs && o->knobs[i] && i < 7; i++)
		to[i] = o->knobs[i];
	to[i] = NULL;
}

#define PROXY(NAME, MOD)                                                                      \
	static struct backend *NAME##_open(const char *uri, int *err, char *why, size_t n)    \
	{                                                                                      \
		const struct backend_mod_##NAME *m = backend_mod_load(#NAME, why, n);          \
		if (!m) {                                                                      \
			*err = -ENOENT;                                                        \
			return NULL;                                                           \
		}                                                                              \
		copy_knobs(m->ops, NAME##_knobs);                                              \
		return m->ops->open(uri, err, why, n);                                         \
	}                                                                                      \
	static void NAME##_close(struct backend *b)                                           \
	{                                                                                      \
		MOD()->ops->close(b);                                                          \
	}                                                                                      \
	static int NAME##_list(struct backend *b, bk_event_fn fn, void *arg)                  \
	{                                                                                      \
		return MOD()->ops->list(b, fn, arg);                                           \
	}                                                                                      \
	static int NAME##_event_fd(struct backend *b)                                         \
	{                                                                                      \
		return MOD()->ops->event_fd(b);                                                \
	}                                                                                      \
	static int NAME##_dispatch(struct backend *b, bk_event_fn fn, void *arg)              \
	{                                                                                      \
		return MOD()->ops->dispatch(b, fn, arg);                                       \
	}                                                                                      \
	static int NAME##_host_view(struct backend *b, const struct bk_guest *g, uint64_t now, \
				    struct mvec *host)                                         \
	{                                                                                      \
		return MOD()->ops->host_view(b, g, now, host);                                 \
	}                                                                                      \
	const struct backend_ops backend_##NAME##_ops = {                                      \
		.name = #NAME,                                                                 \
		.open = NAME##_open,                                                           \
		.close = NAME##_close,                                                         \
		.list = NAME##_list,                                                           \
		.event_fd = NAME##_event_fd,                                                   \
		.dispatch = NAME##_dispatch,                                                   \
		.host_view = NAME##_host_view,                                                 \
		.knobs = NAME##_knobs,                                                         \
	};

/* Every proxy but open runs on a handle its module's open returned: the
 * module is loaded. */
PROXY(kvm, kvm_mod)
PROXY(xen, xen_mod)

/* The knob kinds, for `vtune revert` and hostd's executors: registered when
 * the module is installed, nothing to do when it is not. */
int kvm_knobs_register(void)
{
	const struct backend_mod_kvm *m = kvm_mod();
	return m ? m->knobs_register() : 0;
}

int xen_knobs_register(void)
{
	const struct backend_mod_xen *m = xen_mod();
	return m ? m->knobs_register() : 0;
}

int kvm_set_root(struct backend *b, const char *root)
{
	return kvm_mod()->set_root(b, root);
}

int kvm_plan_pin(struct backend *b, const struct bk_guest *g, const char *mode,
		 struct kvm_pin_change *out, size_t max, size_t *n)
{
	return kvm_mod()->plan_pin(b, g, mode, out, max, n);
}

void xen_set_report_fn(struct backend *b, xen_report_fn fn, void *arg)
{
	xen_mod()->set_report_fn(b, fn, arg);
}

int xen_read_msg(struct backend *b, int domid, const char *key, char *buf, size_t n)
{
	return xen_mod()->read_msg(b, domid, key, buf, n);
}

int xen_send(struct backend *b, int domid, const char *line)
{
	return xen_mod()->send(b, domid, line);
}

int xen_plan_dom0_away(struct backend *b, const struct bk_guest *g, xen_change_fn fn,
		       void *arg)
{
	return xen_mod()->plan_dom0_away(b, g, fn, arg);
}
