/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xs: the agent's xenstore transport — the session's lines become values of
 * data/vtune/{hello,report,ack} + seq (written last, in one transaction; a
 * report over one value as report-0.. + report-parts, to a host that joins
 * them), and the host's control/vtune/{hello,apply,revert,error} values
 * become lines. */
#include "xs.h"
#include "log.h"
#include "metrics.h"
#include "parse.h"
#include "vclock.h"
#include "vec.h"
#include "wire.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>
#include <xenstore.h>

#define TOKEN "vtune-ctl"
#define OPEN_BACKOFF_MIN_MS 1000
#define OPEN_BACKOFF_MAX_MS 30000
#define CHECK_NS 1000000000ull	 /* identity and control/vtune/seq, at least */
#define TXN_ATTEMPTS 8
#define IN_MAX (8 * (XST_VALUE_MAX + 1)) /* host lines waiting for the session */
#define ID_MAX 256
/* our values: xenstored refuses (ENOSPC) a domU's node over its entry-size
 * quota, 2048 bytes by default counting the node's header and permissions;
 * and a write carries the path too in XENSTORE_PAYLOAD_MAX (else E2BIG).
 * A report refused all the same is trimmed to 3/4 of the size, down to
 * OUT_VALUE_MIN (a store with a smaller quota). */
#define OUT_VALUE_MAX 1920
#define OUT_VALUE_MIN 256
#define PARTS_KEY XST_DATA_DIR "/report-parts" /* N: the report is report-0 .. report-(N-1) */
/* Room for a report in parts of at most max bytes: each part may end up to
 * 3 bytes short (cut before a UTF-8 character). 16 * 1917 < WIRE_MAX_LINE. */
#define PARTS_ROOM(max) ((size_t)XST_PARTS_MAX * ((size_t)(max) - 3))

/* our keys, in the order they are written */
enum { OUT_HELLO, OUT_REPORT, OUT_N };
static const char *const out_key[OUT_N] = { "hello", "report" };

/* the host's keys, in the order they are handed on (requests sorted by id) */
enum { CTL_HELLO, CTL_ERROR, CTL_APPLY, CTL_REVERT, CTL_N };
static const char *const ctl_key[CTL_N] = { "hello", "error", "apply", "revert" };

struct xst {
	/* the store: libxenstore (xsh) or another (tests) */
	const struct xst_store *store;
	void *store_arg;
	struct xs_handle *xsh;
	xs_transaction_t txn;
	int fd;			/* watch fd (xs_fileno), or an eventfd (tests) */

	/* opening, with backoff while there is no xenstore */
	uint64_t next_open_ns;
	int open_backoff_ms;
	int open_err;

	/* to the host */
	char *want[OUT_N];	/* newest value to write, NULL: nothing new */
	char *written[OUT_N];	/* last value written since open */
	char *acks[XST_ACKQ];	/* acks in order */
	int nacks;
	uint64_t seq;		/* last data/vtune/seq written */
	int report_max;		/* bytes in a report value: OUT_VALUE_MAX, less after refusals */
	int host_joins;		/* the host's hello names WIRE_CAP_XS_PARTS */

	/* from the host */
	char *ctl_seq;		/* last control/vtune/seq acted on */
	char *seen[CTL_N];	/* last value of each key */
	char *in;		/* lines for the session */
	size_t inlen, inoff, incap;
	uint64_t next_check;

	char id[ID_MAX];	/* the domain's identity at open */
	struct xst_stats st;
};

/* ---- pure parts ---- */

int xst_value_ok(const char *v, size_t len)
{
	if (len > XST_VALUE_MAX)
		return -EMSGSIZE;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f || c == 0xff)
			return -EINVAL;
	}
	return 0;
}

int xst_split(const char *v, size_t len, size_t max, size_t *off, int nmax)
{
	int n = 0;
	if (max < 4)
		return -EINVAL;
	off[0] = 0;
	while (len - off[n] > max) {
		if (n + 1 >= nmax)
			return -EMSGSIZE;
		size_t cut = off[n] + max;
		/* never in a character: step back over continuation bytes (at
		 * most 3 in UTF-8; more is not UTF-8, cut anyway) */
		for (int k = 0; k < 3 && ((unsigned char)v[cut] & 0xc0) == 0x80; k++)
			cut--;
		if (((unsigned char)v[cut] & 0xc0) == 0x80)
			cut = off[n] + max;
		off[++n] = cut;
	}
	off[++n] = len;
	return n;
}

/* The most a report may take for this host, with values of at most max
 * bytes: whole in parts for a host that joins them, else one value. */
static size_t report_room(const struct xst *t, int max)
{
	return t->host_joins ? PARTS_ROOM(max) : (size_t)max;
}

/* Encode m into *out without its newline; 0 when it is at most max bytes,
 * 1 when longer (nothing in *out), -errno. */
static int encode_fit(const struct wire_msg *m, size_t max, char **out, size_t *outlen)
{
	char *line = NULL;
	size_t len;
	int r = wire_encode(m, &line, &len, NULL, 0);
	if (r)
		return r == -EMSGSIZE ? 1 : r;
	if (len && line[len - 1] == '\n')
		line[--len] = '\0';
	if (len > max) {
		free(line);
		return 1;
	}
	*out = line;
	*outlen = len;
	return 0;
}

static int cmp_fill_desc(const void *a, const void *b)
{
	json_object *x = *(json_object *const *)a, *y = *(json_object *const *)b, *f;
	double fx = json_object_object_get_ex(x, "fill", &f) ? json_object_get_double(f) : 0;
	double fy = json_object_object_get_ex(y, "fill", &f) ? json_object_get_double(f) : 0;
	return fx < fy ? 1 : fx > fy ? -1 : 0;
}

/* Keep the first keep entries of the array at sample.key (all when it is
 * shorter; drop the key when keep is 0). */
static void keep_first(json_object *sample, const char *key, size_t keep)
{
	json_object *a;
	if (!json_object_object_get_ex(sample, key, &a))
		return;
	if (!keep || !json_object_is_type(a, json_type_array)) {
		json_object_object_del(sample, key);
		return;
	}
	size_t n = json_object_array_length(a);
	if (n > keep)
		json_object_array_del_idx(a, keep, n - keep);
}

static void del_in(json_object *sample, const char *obj, const char *key)
{
	json_object *o;
	if (json_object_object_get_ex(sample, obj, &o) && json_object_is_type(o, json_type_object))
		json_object_object_del(o, key);
}

/* Trim step 1.. of xst_fit_report's list; 0 when there is no further step. */
static int trim_step(json_object *sample, int step)
{
	json_object *a;
	switch (step) {
	case 1:
		del_in(sample, "cpu", "per_cpu");
		del_in(sample, "softnet", "per_cpu");
		del_in(sample, "softnet", "net_rx_per_cpu");
		del_in(sample, "irqs", "per_cpu");
		del_in(sample, "irqs", "lines");
		return 1;
	case 2:
		if (json_object_object_get_ex(sample, "listeners", &a) &&
		    json_object_is_type(a, json_type_array))
			json_object_array_sort(a, cmp_fill_desc); /* the fullest first */
		keep_first(sample, "listeners", 8);
		keep_first(sample, "interfaces", 4);
		return 1;
	case 3:
		keep_first(sample, "listeners", 1);
		keep_first(sample, "interfaces", 1);
		return 1;
	case 4:
		keep_first(sample, "listeners", 0);
		keep_first(sample, "interfaces", 0);
		return 1;
	case 5: {
		const char *drop[64];
		size_t nd = 0;
		json_object_object_foreach(sample, k, v) {
			(void)v;
			if (strcmp(k, "interval_s") && strcmp(k, "metrics") && strcmp(k, "knobs") &&
			    strcmp(k, "truncated") && nd < sizeof drop / sizeof *drop)
				drop[nd++] = k;
		}
		/* keys stay valid until deleted: the object owns them */
		for (size_t i = 0; i < nd; i++)
			json_object_object_del(sample, drop[i]);
		return 1;
	}
	case 6: { /* the raw counters: hostd then exports the rates instead */
		json_object *met;
		const char *drop[128];
		size_t nd = 0;
		if (!json_object_object_get_ex(sample, "metrics", &met) ||
		    !json_object_is_type(met, json_type_object))
			return 1;
		json_object_object_foreach(met, k, v) {
			size_t kl = strlen(k);
			(void)v;
			if (kl > 6 && !strcmp(k + kl - 6, "_total") && nd < sizeof drop / sizeof *drop)
				drop[nd++] = k;
		}
		for (size_t i = 0; i < nd; i++)
			json_object_object_del(met, drop[i]);
		return 1;
	}
	case 7:
		json_object_object_del(sample, "knobs");
		return 1;
	case 8:	 /* the seeds' metrics (IRQs, channels, processes, socket memory,
		  * the kernel log ...) that are 0 */
	case 9:	 /* knobs' current values: a protocol 2 host does not plan them */
	case 10: { /* the rest of the seeds' metrics */
		json_object *met;
		const char *drop[256];
		size_t nd = 0;
		if (!json_object_object_get_ex(sample, "metrics", &met) ||
		    !json_object_is_type(met, json_type_object))
			return 1;
		json_object_object_foreach(met, k, v) {
			int id = metric_lookup(k);
			int seed = id >= M_GUEST_IRQ_NIC_RATE && !strncmp(k, "guest.", 6);
			int knob = !strncmp(k, "guest.sysctl.", 13);
			if (((step == 8 && seed && json_object_get_double(v) == 0) ||
			     (step == 9 && knob) || (step == 10 && seed)) &&
			    nd < sizeof drop / sizeof *drop)
				drop[nd++] = k;
		}
		for (size_t i = 0; i < nd; i++)
			json_object_object_del(met, drop[i]);
		return 1;
	}
	}
	return 0;
}

int xst_fit_report(const char *line, size_t len, size_t max, char **out, size_t *outlen)
{
	struct wire_msg m;
	*out = NULL;
	*outlen = 0;
	if (len && line[len - 1] == '\n')
		len--;
	int r = wire_decode(line, len, &m, NULL, 0);
	if (r)
		return r == -ENOMEM ? r : -EINVAL;
	if (m.type != WIRE_REPORT || !json_object_is_type(m.u.report.sample, json_type_object)) {
		wire_msg_free(&m);
		return -EINVAL;
	}
	if (len <= max) {
		wire_msg_free(&m);
		if (!(*out = strndup(line, len)))
			return -ENOMEM;
		*outlen = len;
		return 0;
	}
	json_object *sample = m.u.report.sample;
	json_object_object_add(sample, "truncated", json_object_new_boolean(1));
	r = 1;
	for (int step = 1; r == 1 && trim_step(sample, step); step++)
		r = encode_fit(&m, max, out, outlen);
	wire_msg_free(&m);
	return r == 0 ? 1 : r == 1 ? -EMSGSIZE : r;
}

int xst_fit_ack(const char *line, size_t len, size_t max, char **out, size_t *outlen)
{
	struct wire_msg m;
	*out = NULL;
	*outlen = 0;
	if (len && line[len - 1] == '\n')
		len--;
	int r = wire_decode(line, len, &m, NULL, 0);
	if (r)
		return r == -ENOMEM ? r : -EINVAL;
	if (m.type != WIRE_ACK) {
		wire_msg_free(&m);
		return -EINVAL;
	}
	if (len <= max) {
		wire_msg_free(&m);
		if (!(*out = strndup(line, len)))
			return -ENOMEM;
		*outlen = len;
		return 0;
	}
	r = 1;
	while (r == 1 && m.u.ack.nresults > 0) {
		m.u.ack.nresults--;
		r = encode_fit(&m, max, out, outlen);
	}
	wire_msg_free(&m);
	return r == 0 ? 1 : r == 1 ? -EMSGSIZE : r;
}

/* ---- libxenstore as a store ---- */

static int errno_or(int fallback)
{
	return errno ? -errno : -fallback;
}

/* Log a failing libxenstore call once per call and errno (then at debug):
 * the session only says "host gone (error)". Returns r. */
static int xs_failed(const char *call, const char *path, int r)
{
	static const char *last_call;
	static int last_r;
	if (call == last_call && r == last_r) {
		log_debug("xenstore: %s(%s) failed again: %s", call, path ? path : "", strerror(-r));
		return r;
	}
	last_call = call;
	last_r = r;
	log_warn("xenstore: %s(%s) failed: %s", call, path ? path : "", strerror(-r));
	return r;
}

static int real_begin(void *arg)
{
	struct xst *t = arg;
	errno = 0;
	t->txn = xs_transaction_start(t->xsh);
	return t->txn == XBT_NULL ? xs_failed("xs_transaction_start", NULL, errno_or(EIO)) : 0;
}

static int real_end(void *arg, int abort)
{
	struct xst *t = arg;
	errno = 0;
	bool ok = xs_transaction_end(t->xsh, t->txn, abort ? true : false);
	t->txn = XBT_NULL;
	if (ok || abort)
		return 0;
	return errno == EAGAIN ? -EAGAIN : xs_failed("xs_transaction_end", NULL, errno_or(EIO));
}

static int real_read(void *arg, const char *path, char **val, size_t *len)
{
	struct xst *t = arg;
	unsigned int n;
	errno = 0;
	*val = xs_read(t->xsh, t->txn, path, &n);
	if (!*val)
		return errno == ENOENT || !errno ? -ENOENT : xs_failed("xs_read", path, -errno);
	*len = n;
	return 0;
}

static int real_write(void *arg, const char *path, const char *val, size_t len)
{
	struct xst *t = arg;
	errno = 0;
	return xs_write(t->xsh, t->txn, path, val, (unsigned)len)
		       ? 0
		       : xs_failed("xs_write", path, errno_or(EIO));
}

static int real_rm(void *arg, const char *path)
{
	struct xst *t = arg;
	errno = 0;
	if (xs_rm(t->xsh, t->txn, path) || errno == ENOENT)
		return 0;
	return xs_failed("xs_rm", path, errno_or(EIO));
}

static const struct xst_store real_store = {
	.begin = real_begin, .end = real_end, .read = real_read, .write = real_write,
	.rm = real_rm,
};

/* ---- the watch, on a connection of its own ----
 *
 * libxenstore.a (the static agent's) is built without its reader thread:
 * a request reads exactly one message and takes it for the reply. On a
 * handle with a watch, an event that comes first (the one XS_WATCH fires at
 * once: the Linux xenbus device queues it ahead of its "OK"; or the host
 * writing control/vtune/seq while we read) fails the request with EINVAL
 * and libxenstore closes the connection (EBADF after). So the handle we
 * read and write through has no watch, and the watch is set on a second
 * connection (xenstored's socket, else the xenbus device) that carries
 * nothing else: whatever comes on it (the "OK", events) only wakes op_wait,
 * which drains it and looks at control/vtune/seq. */

static int sock_connect(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof a.sun_path)
		return -ENAMETOOLONG;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	strcpy(a.sun_path, path);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

/* A connection to the store with a watch on path; the fd, or -errno. */
static int watch_open(const char *path, const char *token)
{
	const char *dev = getenv("XENSTORED_PATH");
	struct stat st;
	int fd = -ENOENT;
	if (!dev && !stat(xs_daemon_socket(), &st) && S_ISSOCK(st.st_mode))
		fd = sock_connect(xs_daemon_socket());
	if (fd < 0) {
		if (!dev)
			dev = access("/dev/xen/xenbus", F_OK) ? "/proc/xen/xenbus" : "/dev/xen/xenbus";
		if (!stat(dev, &st) && S_ISSOCK(st.st_mode))
			fd = sock_connect(dev);
		else if ((fd = open(dev, O_RDWR | O_CLOEXEC)) < 0)
			fd = -errno;
	}
	if (fd < 0)
		return fd;
	size_t pl = strlen(path) + 1, tl = strlen(token) + 1;
	struct xsd_sockmsg h = { .type = XS_WATCH, .len = (uint32_t)(pl + tl) };
	char msg[sizeof h + 256];
	if (pl + tl > sizeof msg - sizeof h) {
		close(fd);
		return -ENAMETOOLONG;
	}
	memcpy(msg, &h, sizeof h);
	memcpy(msg + sizeof h, path, pl);
	memcpy(msg + sizeof h + pl, token, tl);
	/* one write: the xenbus device takes a message in pieces, but why make it */
	ssize_t n = write(fd, msg, sizeof h + pl + tl);
	if (n != (ssize_t)(sizeof h + pl + tl)) {
		int r = n < 0 ? -errno : -EIO;
		close(fd);
		return r;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

/* Read what came on the watch connection; 1: something, 0: nothing, -errno
 * (-EPIPE: the store closed it). */
static int watch_drain(int fd)
{
	char buf[4096];
	int any = 0;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n > 0) {
			any = 1;
			continue;
		}
		if (n == 0)
			return -EPIPE;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return any;
		return -errno;
	}
}

/* ---- life ---- */

static struct xst *alloc(const struct xst_store *store, void *arg)
{
	struct xst *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->store = store;
	t->store_arg = arg ? arg : t;
	t->fd = -1;
	t->txn = XBT_NULL;
	t->open_backoff_ms = OPEN_BACKOFF_MIN_MS;
	t->report_max = OUT_VALUE_MAX;
	return t;
}

struct xst *xst_new(void)
{
	return alloc(&real_store, NULL);
}

struct xst *xst_new_store(const struct xst_store *store, void *arg)
{
	return store ? alloc(store, arg) : NULL;
}

static void set_str(char **slot, char *v)
{
	free(*slot);
	*slot = v;
}

/* Fit line (len bytes) to what the host reads (report_room) and keep it as
 * the report to write, counting a trim: 0, or -errno (counted as
 * unsendable; the report kept before is left as it was). */
static int keep_report(struct xst *t, const char *line, size_t len)
{
	char *v = NULL;
	size_t vlen;
	int r = xst_fit_report(line, len, report_room(t, t->report_max), &v, &vlen);
	if (r < 0) {
		t->st.unsendable++;
		log_warn("xenstore: report dropped: %s", strerror(-r));
		return r;
	}
	if (r == 1) {
		t->st.truncated++;
		log_debug("xenstore: report trimmed from %zu to %zu bytes", len, vlen);
	}
	set_str(&t->want[OUT_REPORT], v);
	return 0;
}

static void drop_output(struct xst *t)
{
	for (int i = 0; i < OUT_N; i++)
		set_str(&t->want[i], NULL);
	for (int i = 0; i < t->nacks; i++)
		free(t->acks[i]);
	t->nacks = 0;
}

static void drop_input(struct xst *t)
{
	free(t->in);
	t->in = NULL;
	t->inlen = t->inoff = t->incap = 0;
}

static void xst_close(struct xst *t)
{
	if (t->xsh)
		xs_close(t->xsh);
	if (t->fd >= 0)
		close(t->fd); /* the watch's connection (drops the watch), or the eventfd */
	t->xsh = NULL;
	t->fd = -1;
	t->host_joins = 0; /* until its hello says so again */
	for (int i = 0; i < OUT_N; i++)
		set_str(&t->written[i], NULL);
	for (int i = 0; i < CTL_N; i++)
		set_str(&t->seen[i], NULL);
	set_str(&t->ctl_seq, NULL);
	drop_input(t);
}

void xst_free(struct xst *t)
{
	if (!t)
		return;
	xst_close(t);
	drop_output(t);
	free(t);
}

void xst_get_stats(const struct xst *t, struct xst_stats *out)
{
	*out = t->st;
}

/* ---- from the host ---- */

/* Read path outside a transaction. */
static int read_now(struct xst *t, const char *path, char **val, size_t *len)
{
	return t->store->read(t->store_arg, path, val, len);
}

/* The domain's identity: unique-domain-id where the toolstack writes it,
 * else its domid (a migrated or restored domain gets a new one). "" when
 * neither can be read. */
static void read_identity(struct xst *t, char *out, size_t n)
{
	char *v = NULL;
	size_t len;
	out[0] = '\0';
	if (!read_now(t, "unique-domain-id", &v, &len))
		snprintf(out, n, "uuid %.*s", (int)(len < n ? len : n), v);
	else if (!read_now(t, "domid", &v, &len))
		snprintf(out, n, "domid %.*s", (int)(len < n ? len : n), v);
	free(v);
}

static void queue_line(struct xst *t, const char *key, const char *v, size_t len)
{
	if (t->inlen - t->inoff + len + 1 > IN_MAX) {
		log_warn("xenstore: host message %s dropped: the session is not reading", key);
		return;
	}
	if (t->inoff && t->inoff == t->inlen)
		t->inoff = t->inlen = 0;
	if (VEC_RESERVE(t->in, t->incap, t->inlen + len + 1)) {
		log_warn("xenstore: host message %s dropped: out of memory", key);
		return;
	}
	memcpy(t->in + t->inlen, v, len);
	t->in[t->inlen + len] = '\n';
	t->inlen += len + 1;
	t->st.ctl_msgs++;
}

static uint64_t msg_id(const char *v, size_t len)
{
	struct wire_msg m;
	uint64_t id = UINT64_MAX;
	if (wire_decode(v, len, &m, NULL, 0))
		return id;
	if (m.type == WIRE_APPLY)
		id = m.u.apply.id;
	else if (m.type == WIRE_REVERT)
		id = m.u.revert.id;
	wire_msg_free(&m);
	return id;
}

/* Note whether the host's hello (v, len bytes) names WIRE_CAP_XS_PARTS. */
static void note_host_hello(struct xst *t, const char *v, size_t len)
{
	struct wire_msg m;
	int joins = 0;
	if (wire_decode(v, len, &m, NULL, 0))
		return; /* the session says why */
	if (m.type == WIRE_HELLO && m.u.hello.role == WIRE_ROLE_HOST)
		for (unsigned i = 0; i < m.u.hello.ncaps; i++)
			joins |= !strcmp(m.u.hello.caps[i], WIRE_CAP_XS_PARTS);
	wire_msg_free(&m);
	if (joins != t->host_joins)
		log_info(joins ? "xenstore: the host joins reports written in parts: reports go whole"
			       : "xenstore: the host reads one value per report: reports over %d bytes are trimmed",
			 t->report_max);
	t->host_joins = joins;
}

/* control/vtune/seq changed (or first look, prime set): hand on each key
 * whose value is new. When priming, requests already there are only noted. */
static int check_control(struct xst *t, int prime)
{
	char *seq = NULL, *val[CTL_N] = { 0 };
	size_t seqlen, len[CTL_N] = { 0 };
	int r = read_now(t, XST_CTL_DIR "/seq", &seq, &seqlen);
	if (r == -ENOENT)
		return 0; /* no host has written yet */
	if (r)
		return r;
	if (t->ctl_seq && !strcmp(t->ctl_seq, seq)) {
		free(seq);
		return 0;
	}
	set_str(&t->ctl_seq, seq);
	for (int k = 0; k < CTL_N; k++) {
		char path[64];
		snprintf(path, sizeof path, XST_CTL_DIR "/%s", ctl_key[k]);
		r = read_now(t, path, &val[k], &len[k]);
		if (r == -ENOENT)
			continue;
		if (r) {
			for (int i = 0; i < CTL_N; i++)
				free(val[i]);
			return r;
		}
		if (t->seen[k] && !strcmp(t->seen[k], val[k])) {
			set_str(&val[k], NULL); /* not new */
			continue;
		}
		set_str(&t->seen[k], strdup(val[k]));
		if (k == CTL_HELLO)
			note_host_hello(t, val[k], len[k]);
		if (prime && k != CTL_HELLO) {
			log_info("xenstore: %s/%s was there before us: taken as seen", XST_CTL_DIR,
				 ctl_key[k]);
			set_str(&val[k], NULL);
		}
	}
	int any_new = 0;
	for (int k = 0; k < CTL_N; k++)
		any_new |= val[k] != NULL;
	if (!prime && !any_new && t->seen[CTL_HELLO] &&
	    (val[CTL_HELLO] = strdup(t->seen[CTL_HELLO]))) {
		/* the host bumps seq only with a key that changed: a seq that moved
		 * over the same values is its hello written again, the same as
		 * before (it answers our hello after we restarted): hand it on */
		len[CTL_HELLO] = strlen(val[CTL_HELLO]);
		log_debug("xenstore: %s/hello written again", XST_CTL_DIR);
	}
	int order[CTL_N] = { CTL_HELLO, CTL_ERROR, CTL_APPLY, CTL_REVERT };
	if (val[CTL_APPLY] && val[CTL_REVERT] &&
	    msg_id(val[CTL_REVERT], len[CTL_REVERT]) < msg_id(val[CTL_APPLY], len[CTL_APPLY])) {
		order[2] = CTL_REVERT;
		order[3] = CTL_APPLY;
	}
	for (int i = 0; i < CTL_N; i++) {
		int k = order[i];
		if (!val[k])
			continue;
		r = xst_value_ok(val[k], len[k]);
		if (r) {
			t->st.ctl_bad++;
			log_warn("xenstore: %s/%s refused: %s", XST_CTL_DIR, ctl_key[k],
				 r == -EMSGSIZE ? "longer than 4096 bytes" : "control bytes in it");
		} else {
			queue_line(t, ctl_key[k], val[k], len[k]);
		}
		free(val[k]);
	}
	return 0;
}

/* ---- the transport's operations ---- */

static int op_open(void *chan)
{
	struct xst *t = chan;
	uint64_t now = vclock_mono_ns();
	if (t->fd >= 0)
		return 0;
	if (t->open_err && now < t->next_open_ns)
		return t->open_err; /* backing off */
	if (t->store == &real_store) {
		const char *call = "xs_open(0): no xenbus device or xenstored?";
		errno = 0;
		t->xsh = xs_open(0);
		int r = t->xsh ? 0 : errno_or(ENOENT);
		if (!r) {
			call = "the watch on " XST_CTL_DIR "/seq";
			t->fd = watch_open(XST_CTL_DIR "/seq", TOKEN);
			if (t->fd < 0) {
				r = t->fd;
				t->fd = -1;
				xs_close(t->xsh);
				t->xsh = NULL;
			}
		}
		if (r) {
			if (r != t->open_err)
				log_warn("xenstore: cannot open it: %s (%s); trying again every %d s at most",
					 strerror(-r), call, OPEN_BACKOFF_MAX_MS / 1000);
			t->open_err = r;
			t->next_open_ns = now + (uint64_t)t->open_backoff_ms * 1000000ull;
			t->open_backoff_ms = t->open_backoff_ms * 2 > OPEN_BACKOFF_MAX_MS
						     ? OPEN_BACKOFF_MAX_MS
						     : t->open_backoff_ms * 2;
			return r;
		}
	} else if ((t->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		return -errno;
	}
	if (t->open_err)
		log_info("xenstore: open now");
	t->open_err = 0;
	t->open_backoff_ms = OPEN_BACKOFF_MIN_MS;
	read_identity(t, t->id, sizeof t->id);
	log_info("xenstore: reporting under %s/ (domain %s)", XST_DATA_DIR,
		 t->id[0] ? t->id : "of unknown identity");
	check_control(t, 1);
	t->next_check = vclock_mono_ns() + CHECK_NS;
	return 0;
}

static int op_fd(const void *chan)
{
	return ((const struct xst *)chan)->fd;
}

static int op_is_port(const void *chan)
{
	(void)chan;
	return 0; /* open is connected: the host reads our keys whenever it comes */
}

static int output_pending(const struct xst *t)
{
	if (t->nacks)
		return 1;
	for (int i = 0; i < OUT_N; i++)
		if (t->want[i])
			return 1;
	return 0;
}

static int op_wait(void *chan, int timeout_ms, int *readable)
{
	struct xst *t = chan;
	*readable = 0;
	if (t->fd < 0)
		return -ENOTCONN;
	if (t->inlen > t->inoff) {
		*readable = 1;
		return 1;
	}
	if (output_pending(t) && timeout_ms > 20)
		timeout_ms = 20; /* a conflict or an ack behind another: try again soon */
	uint64_t now = vclock_mono_ns();
	if (t->next_check > now) {
		uint64_t ms = (t->next_check - now + 999999) / 1000000;
		if (ms < (uint64_t)timeout_ms)
			timeout_ms = (int)ms;
	} else {
		timeout_ms = 0;
	}
	struct pollfd pfd = { .fd = t->fd, .events = POLLIN };
	int n = poll(&pfd, 1, timeout_ms < 0 ? 0 : timeout_ms);
	if (n < 0)
		return errno == EINTR ? 1 : -errno;
	if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL))
		return -EPIPE;
	int woke = n > 0 && (pfd.revents & POLLIN);
	if (woke && t->xsh) {
		int r = watch_drain(t->fd);
		if (r < 0)
			return xs_failed("read", "the watch", r);
	}
	now = vclock_mono_ns();
	if (!woke && now < t->next_check && t->xsh)
		return 1;
	t->next_check = now + CHECK_NS;
	char id[ID_MAX];
	read_identity(t, id, sizeof id);
	if (id[0] && strcmp(id, t->id)) {
		t->st.resets++;
		log_info("xenstore: the domain changed (%s, was %s: migrated or resumed); starting over",
			 id, t->id[0] ? t->id : "unknown");
		return 0;
	}
	int r = check_control(t, 0);
	if (r)
		return r;
	*readable = t->inlen > t->inoff;
	return 1;
}

static long op_read(void *chan, void *buf, size_t n)
{
	struct xst *t = chan;
	if (t->fd < 0)
		return -ENOTCONN;
	if (t->inlen == t->inoff)
		return -EAGAIN;
	size_t k = t->inlen - t->inoff < n ? t->inlen - t->inoff : n;
	memcpy(buf, t->in + t->inoff, k);
	t->inoff += k;
	if (t->inoff == t->inlen)
		drop_input(t);
	return (long)k;
}

/* One line of ours (no newline). */
static int send_line(struct xst *t, const char *line, size_t len)
{
	struct wire_msg m;
	char *v = NULL;
	size_t vlen;
	int r = wire_decode(line, len, &m, NULL, 0);
	if (r)
		return r == -ENOMEM ? r : -EINVAL;
	enum wire_type type = m.type;
	wire_msg_free(&m);
	switch (type) {
	case WIRE_HELLO:
		if (len > OUT_VALUE_MAX)
			return -EMSGSIZE;
		if (!(v = strndup(line, len)))
			return -ENOMEM;
		set_str(&t->want[OUT_HELLO], v);
		return 0;
	case WIRE_REPORT:
		return keep_report(t, line, len); /* the newest replaces an unwritten one */
	case WIRE_ACK:
		if (t->nacks == XST_ACKQ)
			return -ENOBUFS;
		r = xst_fit_ack(line, len, OUT_VALUE_MAX, &v, &vlen);
		if (r == 1)
			log_warn("xenstore: ack trimmed to fit %d bytes: results left out", OUT_VALUE_MAX);
		if (r < 0) {
			t->st.unsendable++;
			return r;
		}
		t->acks[t->nacks++] = v;
		return 0;
	case WIRE_ERROR:
		/* docs/protocol.md: the guest's keys are hello, report and ack */
		t->st.errors_kept++;
		log_debug("xenstore: error message not sent (no key for it): %.*s", (int)len, line);
		return 0;
	default:
		return -EINVAL;
	}
}

static int op_send(void *chan, const char *data, size_t len, int droppable)
{
	struct xst *t = chan;
	(void)droppable; /* a report always replaces the previous one */
	size_t i = 0;
	while (i < len) {
		while (i < len && ((unsigned char)data[i] == 0xff || data[i] == '\n' || data[i] == '\r'))
			i++; /* the resync and empty lines mean nothing here */
		size_t j = i;
		while (j < len && data[j] != '\n')
			j++;
		if (j > i) {
			int r = send_line(t, data + i, j - i);
			if (r)
				return r;
		}
		i = j;
	}
	return 0;
}

/* Is there something to write: a value that differs from the written one,
 * or an ack. */
static int dirty(const struct xst *t, int *changed)
{
	int any = t->nacks > 0;
	for (int i = 0; i < OUT_N; i++) {
		changed[i] = t->want[i] && (!t->written[i] || strcmp(t->want[i], t->written[i]));
		any |= changed[i];
	}
	return any;
}

/* The store refused the report (r: -ENOSPC over its quota, -E2BIG): its
 * values to 3/4 of the size from now on (in more parts, or trimmed to one
 * value for a host that does not join them); drop it when that cannot be. */
static void refit_report(struct xst *t, int r)
{
	size_t len = strlen(t->want[OUT_REPORT]), vlen;
	int max = (int)(len < (size_t)t->report_max ? len : (size_t)t->report_max) * 3 / 4;
	char *v = NULL;
	int fit = max >= OUT_VALUE_MIN
			  ? xst_fit_report(t->want[OUT_REPORT], len,
					   report_room(t, max), &v, &vlen)
			  : -EMSGSIZE;
	if (fit >= 0) {
		log_warn("xenstore: %s/report of %zu bytes refused (%s): values at most %d bytes now",
			 XST_DATA_DIR, len, strerror(-r), max);
		t->report_max = max;
		t->st.truncated += fit == 1;
		set_str(&t->want[OUT_REPORT], v);
		return;
	}
	free(v);
	t->st.unsendable++;
	log_warn("xenstore: %s/report of %zu bytes refused (%s): dropped", XST_DATA_DIR, len,
		 strerror(-r));
	set_str(&t->want[OUT_REPORT], NULL);
}

/* The number of parts data/vtune/report-parts says are there (in the
 * transaction): 0 when none, every possible one when it is garbage. */
static int parts_there(struct xst *t)
{
	char *v = NULL;
	size_t len;
	uint64_t n;
	int r = t->store->read(t->store_arg, PARTS_KEY, &v, &len);
	if (r == -ENOENT)
		return 0;
	n = !r && !parse_u64(v, &n) && n <= XST_PARTS_MAX ? n : XST_PARTS_MAX;
	free(v);
	return (int)n;
}

/* Write want[OUT_REPORT] in the open transaction: as report when it fits in
 * one value, else as report-0 .. report-(N-1) and report-parts = N with
 * report removed; and remove what the other form or an earlier report with
 * more parts left. *keys counts the values written. 0 or -errno. */
static int write_report(struct xst *t, unsigned *keys)
{
	const struct xst_store *s = t->store;
	void *a = t->store_arg;
	const char *v = t->want[OUT_REPORT];
	size_t len = strlen(v), off[XST_PARTS_MAX + 1];
	char path[64], num[16];
	int n = xst_split(v, len, (size_t)t->report_max, off, XST_PARTS_MAX);
	if (n < 0)
		return n; /* send_line fitted it to the parts: cannot be */
	int old = parts_there(t), r = 0;
	if (n == 1) {
		r = s->write(a, XST_DATA_DIR "/report", v, len);
		if (!r && old)
			r = s->rm(a, PARTS_KEY);
	} else {
		for (int i = 0; i < n && !r; i++) {
			snprintf(path, sizeof path, XST_DATA_DIR "/report-%d", i);
			r = s->write(a, path, v + off[i], off[i + 1] - off[i]);
		}
		snprintf(num, sizeof num, "%d", n);
		if (!r)
			r = s->write(a, PARTS_KEY, num, strlen(num));
		if (!r) /* a host takes report over the parts: the form of older agents */
			r = s->rm(a, XST_DATA_DIR "/report");
	}
	for (int i = n == 1 ? 0 : n; i < old && !r; i++) {
		snprintf(path, sizeof path, XST_DATA_DIR "/report-%d", i);
		r = s->rm(a, path);
	}
	*keys += n == 1 ? 1 : (unsigned)n + 1;
	return r;
}

static int op_flush(void *chan)
{
	struct xst *t = chan;
	int changed[OUT_N];
	if (t->fd < 0)
		return output_pending(t) ? -ENOTCONN : 0;
	if (!dirty(t, changed)) {
		for (int i = 0; i < OUT_N; i++)
			set_str(&t->want[i], NULL); /* the same as written: nothing to do */
		return 0;
	}
	if (changed[OUT_REPORT] && !t->host_joins &&
	    strlen(t->want[OUT_REPORT]) > (size_t)t->report_max) {
		/* kept whole for a host that has said since that it reads one value */
		if (keep_report(t, t->want[OUT_REPORT], strlen(t->want[OUT_REPORT])) < 0) {
			set_str(&t->want[OUT_REPORT], NULL);
			changed[OUT_REPORT] = 0;
			if (!changed[OUT_HELLO] && !t->nacks)
				return 0;
		}
	}
	const struct xst_store *s = t->store;
	void *a = t->store_arg;
	for (int attempt = 0; attempt < TXN_ATTEMPTS; attempt++) {
		unsigned keys = 0;
		int r = s->begin ? s->begin(a) : 0;
		if (r)
			return r;
		for (int i = 0; i < OUT_N && !r; i++) {
			if (!changed[i])
				continue;
			if (i == OUT_REPORT) {
				r = write_report(t, &keys);
				continue;
			}
			char path[64];
			snprintf(path, sizeof path, XST_DATA_DIR "/%s", out_key[i]);
			r = s->write(a, path, t->want[i], strlen(t->want[i]));
			keys++;
		}
		if (!r && t->nacks) {
			r = s->write(a, XST_DATA_DIR "/ack", t->acks[0], strlen(t->acks[0]));
			keys++;
		}
		/* seq last: one more than the store's (another writer, our own
		 * earlier run) and than ours */
		uint64_t seq = t->seq;
		char *old = NULL, buf[32];
		size_t olen;
		if (!r && !s->read(a, XST_DATA_DIR "/seq", &old, &olen)) {
			uint64_t v;
			if (!parse_u64(old, &v) && v > seq && v < WIRE_MAX_ID)
				seq = v;
		}
		free(old);
		seq = seq + 1 >= WIRE_MAX_ID ? 1 : seq + 1;
		snprintf(buf, sizeof buf, "%" PRIu64, seq);
		if (!r) {
			r = s->write(a, XST_DATA_DIR "/seq", buf, strlen(buf));
			keys++;
		}
		if (r) {
			if (s->end)
				s->end(a, 1);
			if ((r == -ENOSPC || r == -E2BIG) && changed[OUT_REPORT]) {
				refit_report(t, r);
				changed[OUT_REPORT] = t->want[OUT_REPORT] != NULL;
				if (!changed[OUT_REPORT] && !changed[OUT_HELLO] && !t->nacks)
					return 0;
				continue;
			}
			log_warn("xenstore: cannot write %s/: %s", XST_DATA_DIR, strerror(-r));
			return r;
		}
		r = s->end ? s->end(a, 0) : 0;
		if (r == -EAGAIN) {
			t->st.conflicts++;
			continue;
		}
		if (r)
			return r;
		t->seq = seq;
		t->st.commits++;
		if (changed[OUT_REPORT] && strlen(t->want[OUT_REPORT]) > (size_t)t->report_max)
			t->st.split++;
		t->st.keys += keys;
		for (int i = 0; i < OUT_N; i++) {
			if (changed[i]) {
				set_str(&t->written[i], t->want[i]);
				t->want[i] = NULL;
			} else {
				set_str(&t->want[i], NULL);
			}
		}
		if (t->nacks) {
			free(t->acks[0]);
			memmove(t->acks, t->acks + 1, (size_t)(t->nacks - 1) * sizeof *t->acks);
			t->nacks--;
		}
		/* one ack per seq: the host reads one message of a type per seq */
		return t->nacks ? -EAGAIN : 0;
	}
	return -EAGAIN;
}

static void op_clear(void *chan)
{
	struct xst *t = chan;
	drop_output(t);
	drop_input(t);
}

static void op_hangup(void *chan)
{
	/* closed: the next open starts over (a migrated domain's store is new) */
	xst_close(chan);
}

const struct transport_ops xst_ops = {
	.name = "xenstore", .open = op_open, .fd = op_fd, .is_port = op_is_port,
	.wait = op_wait, .read = op_read, .send = op_send, .flush = op_flush,
	.clear = op_clear, .hangup = op_hangup,
};
