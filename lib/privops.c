/* SPDX-License-Identifier: GPL-2.0-or-later */
/* privops: the privileged parent's request loop (every request checked
 * again), the unprivileged child's knob proxy, requests and journal
 * writes, and dropping privileges (uid, capabilities). The seccomp filters
 * and the parent's capabilities: sandbox.c. See privops.h. */
#include "privops.h"
#include "allow.h"
#include "log.h"
#include "parse.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- messages ---- */

static int str_ok(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

/* Printable ASCII only, no ".." anywhere (no target or key needs one). */
static int printable(const char *s)
{
	for (const char *p = s; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return 0;
	return !strstr(s, "..");
}

static int put(char *dst, size_t n, const char *s)
{
	if (!s)
		s = "";
	size_t len = strlen(s);
	if (len >= n)
		return -ENAMETOOLONG;
	memcpy(dst, s, len + 1);
	return 0;
}

/* Send one message, with fd (>= 0) as SCM_RIGHTS. 0 or -errno. */
static int send_msg(int fd, const void *buf, size_t len, int pass_fd)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (pass_fd >= 0) {
		memset(&u, 0, sizeof u);
		m.msg_control = u.buf;
		m.msg_controllen = sizeof u.buf;
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
	}
	for (;;) {
		ssize_t w = sendmsg(fd, &m, MSG_NOSIGNAL);
		if (w == (ssize_t)len)
			return 0;
		if (w >= 0)
			return -EPROTO;
		if (errno != EINTR)
			return -errno;
	}
}

/* Receive one message of exactly len bytes; a passed descriptor goes to
 * *got_fd (-1 when none; NULL: any is closed). Returns 1 for a message, 0
 * at end of stream, -EPROTO for a message of another size, -errno. */
static int recv_msg(int fd, void *buf, size_t len, int *got_fd)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = u.buf, .msg_controllen = sizeof u.buf };
	ssize_t r;

	if (got_fd)
		*got_fd = -1;
	do
		r = recvmsg(fd, &m, MSG_TRUNC | MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfd; i++) {
			int f;
			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof f);
			if (got_fd && *got_fd < 0)
				*got_fd = f;
			else
				close(f);
		}
	}
	if (r == 0)
		return 0;
	if ((size_t)r != len || (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		if (got_fd && *got_fd >= 0) {
			close(*got_fd);
			*got_fd = -1;
		}
		return -EPROTO;
	}
	return 1;
}

/* ---- the privileged side ---- */

static int in_list(const char *const *list, const char *s)
{
	for (; list && *list; list++)
		if (!strcmp(*list, s))
			return 1;
	return 0;
}

static const char *op_name(uint32_t op)
{
	switch (op) {
	case PRIVOP_KNOB_READ: return "read";
	case PRIVOP_KNOB_WRITE: return "write";
	case PRIVOP_KNOB_RESTORE: return "restore";
	case PRIVOP_CONNECT_UNIX: return "connect";
	case PRIVOP_VIEW: return "view";
	}
	return "?";
}

/* s, or a placeholder when it holds control characters (no log injection). */
static const char *loggable(const char *s)
{
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return "(control characters)";
	return s;
}

static int refuse(const struct privops_req *q, int rc, const char *why)
{
	int w = q->op == PRIVOP_KNOB_WRITE || q->op == PRIVOP_KNOB_RESTORE;
	log_warn("privops: refused %s %s %s %s%s%s: %s", op_name(q->op), loggable(q->kind),
		 loggable(q->target), loggable(q->key), w ? " = " : "", w ? loggable(q->value) : "",
		 why);
	return rc;
}

static int do_knob(const struct privops_conf *c, const struct privops_req *q,
		   struct privops_reply *rep)
{
	const struct knob *k = knob_find_real(q->kind);
	char why[256] = "";
	int r;

	if (!in_list(c->kinds, q->kind) || !k)
		return refuse(q, -EPERM, "kind not served");
	if (!printable(q->target) || !printable(q->key) || !printable(q->value) ||
	    !q->key[0] || strchr(q->key, '/'))
		return refuse(q, -EINVAL, "malformed target or key");
	/* sysctl reads: only what may be written, not every root-only sysctl */
	if (!strcmp(q->kind, "sysctl") && !allow_find(q->key))
		return refuse(q, -EPERM, "sysctl not on the allow-list");
	switch (q->op) {
	case PRIVOP_KNOB_READ:
		return knob_read(k, c->root, q->target, q->key, rep->value, sizeof rep->value);
	case PRIVOP_KNOB_WRITE:
		if ((r = knob_check(k, q->target, q->key, q->value, why, sizeof why)))
			return refuse(q, r, why[0] ? why : strerror(-r));
		r = knob_write(k, c->root, q->target, q->key, q->value);
		if (r == -EPERM || r == -ERANGE || r == -EINVAL)
			refuse(q, r, strerror(-r));
		else
			log_info("privops: write %s %s %s = %s: %s", q->kind, q->target, q->key,
				 q->value, r ? strerror(-r) : "done");
		return r;
	case PRIVOP_KNOB_RESTORE:
		/* within vtune's ranges, or the original value of a change this
		 * process journaled itself (an original outside the ranges must
		 * still come back) */
		if ((r = knob_check(k, q->target, q->key, q->value, why, sizeof why)) &&
		    !(c->journal && journal_is_original(c->journal, q->kind, q->target, q->key,
							 q->value)))
			return refuse(q, r, "neither in range nor the original value of a journaled change");
		r = knob_restore(k, c->root, q->target, q->key, q->value);
		if (r == -EPERM || r == -ERANGE || r == -EINVAL)
			refuse(q, r, strerror(-r));
		else
			log_info("privops: restore %s %s %s = %s: %s", q->kind, q->target, q->key,
				 q->value, r ? strerror(-r) : "done");
		return r;
	}
	return -EINVAL;
}

/* Is path (absolute, no "." / ".." / empty parts) strictly below dir? */
static int below(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return n > 1 && !strncmp(path, dir, n) && path[n] == '/' && path[n + 1];
}

static int path_clean(const char *p)
{
	if (p[0] != '/')
		return 0;
	for (const char *s = p; *s; s++) {
		if (*s != '/')
			continue;
		if (s[1] == '/' || s[1] == '\0' || (s[1] == '.' && (s[2] == '/' || s[2] == '\0')))
			return 0;
	}
	return printable(p);
}

static int do_connect(const struct privops_conf *c, const struct privops_req *q, int *out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char real[PATH_MAX], rdir[PATH_MAX];
	struct stat st;
	int ok = 0;

	if (!path_clean(q->target) || strlen(q->target) >= sizeof sa.sun_path)
		return refuse(q, -EINVAL, "not a clean absolute path");
	for (const char *const *d = c->dirs; d && *d && !ok; d++)
		ok = below(q->target, *d);
	if (!ok)
		return refuse(q, -EPERM, "outside the channel directories");
	/* symlinks resolved: what is connected to must be below too */
	if (!realpath(q->target, real))
		return -errno;
	ok = 0;
	for (const char *const *d = c->dirs; *d && !ok; d++)
		ok = realpath(*d, rdir) && below(real, rdir);
	if (!ok)
		return refuse(q, -EPERM, "resolves outside the channel directories");
	if (stat(real, &st) < 0)
		return -errno;
	if (!S_ISSOCK(st.st_mode) || strlen(real) >= sizeof sa.sun_path)
		return refuse(q, -EINVAL, "not a socket");
	memcpy(sa.sun_path, real, strlen(real) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	*out = fd;
	return 0;
}

static int do_view(const struct privops_conf *c, const struct privops_req *q,
		   struct privops_reply *rep)
{
	if (!c->view)
		return refuse(q, -EPERM, "no host view served");
	if (!printable(q->key) || strlen(q->key) >= IFNAMSIZ || strchr(q->key, '/') ||
	    !printable(q->value) || !printable(q->target))
		return refuse(q, -EINVAL, "malformed tap, bridge or netns");
	memcpy(rep->state, q->state, q->state_len);
	rep->state_len = q->state_len;
	mvec_clear(&rep->host);
	return c->view(c->root, q->key, q->value, q->target, q->now_ns, rep->state,
		       rep->state_len, &rep->host);
}

/* Text fit for the journal: no control characters but tabs (values such
 * as a port range hold one). */
static int text_ok(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return 0;
	return 1;
}

static int jrec_strings_ok(const struct privops_jrec *j)
{
	const struct { const char *s; size_t n; } f[] = {
		{ j->op, sizeof j->op }, { j->side, sizeof j->side }, { j->domain, sizeof j->domain },
		{ j->kind, sizeof j->kind }, { j->target, sizeof j->target },
		{ j->key, sizeof j->key }, { j->old, sizeof j->old }, { j->new, sizeof j->new },
		{ j->rule, sizeof j->rule }, { j->why, sizeof j->why },
		{ j->detail, sizeof j->detail }, { j->guest, sizeof j->guest },
	};
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		if (!str_ok(f[i].s, f[i].n))
			return 0;
	return 1;
}

/* A journal write for the unprivileged process: only this process writes
 * the journal; each record is checked as any record is. */
static int do_journal(const struct privops_conf *c, const struct privops_req *q,
		      struct privops_reply *rep)
{
	const struct privops_jrec *x = &q->rec;
	if (!c->journal)
		return refuse(q, -EPERM, "no journal served");
	if (q->op == PRIVOP_JOURNAL_SYNC)
		return journal_sync(c->journal);
	if (q->op == PRIVOP_JOURNAL_MAINTAIN)
		return journal_maintain(c->journal);
	const char *const texts[] = { x->op, x->side, x->domain, x->kind, x->target, x->key,
				      x->old, x->new, x->rule, x->why, x->detail, x->guest };
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
		if (!text_ok(texts[i])) {
			log_warn("privops: refused a journal record: control characters");
			return -EINVAL;
		}
	struct jrec r = {
		.ref = x->ref, .host_ref = x->host_ref, .op = x->op, .side = x->side,
		.domain = x->domain, .kind = x->kind, .target = x->target, .key = x->key,
		.old = x->old, .new = x->new, .rule = x->rule, .why = x->why, .detail = x->detail,
		.guest = x->guest,
	};
	int rc = journal_append_checked(c->journal, &r, q->flags & 1, &rep->seq, &rep->time_ns);
	if (rc)
		log_warn("privops: refused a journal record (%s, ref %lld): %s", x->op,
			 (long long)x->ref, strerror(-rc));
	else if (!strcmp(x->op, "set"))
		log_info("privops: journal record %lld: %s %s %s%s%s %s -> %s (rule %s%s%s)",
			 (long long)rep->seq, x->side, x->kind, x->target, *x->target ? " " : "",
			 x->key, x->old, x->new, x->rule, *x->guest ? ", for guest " : "", x->guest);
	else
		log_debug("privops: journal record %lld: %s of %lld", (long long)rep->seq, x->op,
			  (long long)x->ref);
	return rc;
}

int privops_handle(const struct privops_conf *c, struct privops_req *q,
		   struct privops_reply *rep, int *pass)
{
	*pass = -1;
	if (!str_ok(q->kind, sizeof q->kind) || !str_ok(q->target, sizeof q->target) ||
	    !str_ok(q->key, sizeof q->key) || !str_ok(q->value, sizeof q->value) ||
	    q->state_len > sizeof q->state || q->op < PRIVOP_KNOB_READ || q->op > PRIVOP_LAST ||
	    (q->op == PRIVOP_JOURNAL_APPEND && !jrec_strings_ok(&q->rec))) {
		log_err("privops: corrupt request (op %u) from the unprivileged process",
			(unsigned)q->op);
		return -EPROTO;
	}
	memset(rep, 0, sizeof *rep);
	switch (q->op) {
	case PRIVOP_CONNECT_UNIX:
		rep->rc = do_connect(c, q, pass);
		break;
	case PRIVOP_VIEW:
		rep->rc = do_view(c, q, rep);
		break;
	case PRIVOP_JOURNAL_APPEND:
	case PRIVOP_JOURNAL_SYNC:
	case PRIVOP_JOURNAL_MAINTAIN:
		rep->rc = do_journal(c, q, rep);
		break;
	default:
		rep->rc = do_knob(c, q, rep);
		break;
	}
	return 0;
}

int privops_serve(int fd, const struct privops_conf *c)
{
	struct privops_req *q = malloc(sizeof *q);
	struct privops_reply *rep = malloc(sizeof *rep);
	int r;

	if (!q || !rep) {
		r = -ENOMEM;
		goto out;
	}
	for (;;) {
		memset(q, 0, sizeof *q);
		r = recv_msg(fd, q, sizeof *q, NULL);
		if (r == 0)
			break;
		if (r == -EPROTO) {
			log_err("privops: corrupt request (wrong size) from the unprivileged process");
			goto out;
		}
		if (r < 0)
			goto out;
		int pass = -1;
		if ((r = privops_handle(c, q, rep, &pass)))
			goto out;
		r = send_msg(fd, rep, sizeof *rep, pass);
		if (pass >= 0)
			close(pass);
		if (r == -EPIPE || r == -ECONNRESET) {
			r = 0;
			break;
		}
		if (r < 0)
			goto out;
	}
	r = 0;
out:
	free(q);
	free(rep);
	return r;
}

/* ---- the unprivileged side ---- */

#define PROXY_SLOTS 16 /* knob kinds a privileged parent serves: the table's and a backend's */

static int client_fd = -1;
static char pkind[PROXY_SLOTS][PRIVOPS_KIND_MAX];
static struct knob pknob[PROXY_SLOTS]; /* ctx: the slot's index */
static const struct knob *preal[PROXY_SLOTS];
static size_t nslots;

int privops_active(void)
{
	return client_fd >= 0;
}

/* privops_call, with a passed descriptor to *got (may be NULL). */
static int call_fd(const struct privops_req *req, struct privops_reply *rep, int *got)
{
	if (client_fd < 0)
		return -ENOTCONN;
	int r = send_msg(client_fd, req, sizeof *req, -1);
	if (r == -ECONNRESET || r == -EPIPE)
		return -EPIPE;
	if (r < 0)
		return r;
	r = recv_msg(client_fd, rep, sizeof *rep, got);
	if (r == 0 || r == -ECONNRESET)
		return -EPIPE;
	if (r == -EPROTO) {
		log_err("privops: corrupt reply from the privileged process");
		exit(1);
	}
	return r < 0 ? r : 0;
}

int privops_call(const struct privops_req *req, struct privops_reply *rep)
{
	return call_fd(req, rep, NULL);
}

static int knob_call(size_t i, uint32_t op, const char *target, const char *key,
		     const char *value, char *buf, size_t n)
{
	struct privops_req *q = calloc(1, sizeof *q);
	struct privops_reply *rep = malloc(sizeof *rep);
	int r = -ENOMEM;

	if (!q || !rep)
		goto out;
	q->op = op;
	if ((r = put(q->kind, sizeof q->kind, pkind[i])) ||
	    (r = put(q->target, sizeof q->target, target)) ||
	    (r = put(q->key, sizeof q->key, key)) ||
	    (r = put(q->value, sizeof q->value, value)))
		goto out;
	if ((r = call_fd(q, rep, NULL)))
		goto out;
	r = rep->rc;
	if (!r && buf && n) {
		if (!str_ok(rep->value, sizeof rep->value))
			r = -EPROTO;
		else if (strlen(rep->value) >= n)
			r = -EOVERFLOW;
		else
			strcpy(buf, rep->value);
	}
out:
	free(q);
	free(rep);
	return r;
}

/* A proxied kind's operations: ctx is its slot; the root prefix is the
 * parent's (privops_conf.root), the same one. */
static size_t slot_of(void *ctx)
{
	return (size_t)(uintptr_t)ctx;
}

static int proxy_read(void *ctx, const char *root, const char *t, const char *k, char *b,
		      size_t n)
{
	(void)root;
	return knob_call(slot_of(ctx), PRIVOP_KNOB_READ, t, k, NULL, b, n);
}

static int proxy_check(void *ctx, const char *t, const char *k, const char *v, char *why,
		       size_t n)
{
	return knob_check(preal[slot_of(ctx)], t, k, v, why, n);
}

static int proxy_write(void *ctx, const char *root, const char *t, const char *k,
		       const char *v)
{
	(void)root;
	int r = proxy_check(ctx, t, k, v, NULL, 0);
	return r ? r : knob_call(slot_of(ctx), PRIVOP_KNOB_WRITE, t, k, v, NULL, 0);
}

static int proxy_restore(void *ctx, const char *root, const char *t, const char *k,
			 const char *v)
{
	(void)root;
	return knob_call(slot_of(ctx), PRIVOP_KNOB_RESTORE, t, k, v, NULL, 0);
}

static struct knob_ops pops[PROXY_SLOTS];

static const struct knob *proxy(const struct knob *real)
{
	for (size_t i = 0; i < nslots; i++) {
		if (strcmp(pkind[i], real->ops->kind))
			continue;
		preal[i] = real;
		pops[i] = (struct knob_ops){
			.kind = real->ops->kind, .read = proxy_read, .write = proxy_write,
			.check = proxy_check, .restore = proxy_restore, .equal = real->ops->equal,
		};
		pknob[i] = (struct knob){ &pops[i], (void *)(uintptr_t)i };
		return &pknob[i];
	}
	return real;
}

int privops_client(int fd, const char *const *kinds)
{
	if (fd < 0) {
		knob_set_proxy(NULL);
		client_fd = -1;
		nslots = 0;
		return 0;
	}
	size_t n = 0;
	for (; kinds && kinds[n]; n++) {
		if (n == PROXY_SLOTS)
			return -ENOSPC;
		if (put(pkind[n], sizeof pkind[n], kinds[n]) || !kinds[n][0])
			return -EINVAL;
	}
	nslots = n;
	client_fd = fd;
	knob_set_proxy(proxy);
	return 0;
}

int privops_journal_fwd(void *arg, enum journal_fwd_op op, const struct jrec *r, int sync,
			int64_t *seq, uint64_t *time_ns)
{
	struct privops_req *q = calloc(1, sizeof *q);
	struct privops_reply *rep = malloc(sizeof *rep);
	int rc = -ENOMEM;
	(void)arg;
	if (!q || !rep)
		goto out;
	q->op = op == JOURNAL_FWD_SYNC ? PRIVOP_JOURNAL_SYNC
		: op == JOURNAL_FWD_MAINTAIN ? PRIVOP_JOURNAL_MAINTAIN : PRIVOP_JOURNAL_APPEND;
	if (op == JOURNAL_FWD_APPEND) {
		struct privops_jrec *x = &q->rec;
		q->flags = sync ? 1 : 0;
		x->ref = r->ref;
		x->host_ref = r->host_ref;
		if ((rc = put(x->op, sizeof x->op, r->op)) || (rc = put(x->side, sizeof x->side, r->side)) ||
		    (rc = put(x->domain, sizeof x->domain, r->domain)) ||
		    (rc = put(x->kind, sizeof x->kind, r->kind)) ||
		    (rc = put(x->target, sizeof x->target, r->target)) ||
		    (rc = put(x->key, sizeof x->key, r->key)) || (rc = put(x->old, sizeof x->old, r->old)) ||
		    (rc = put(x->new, sizeof x->new, r->new)) || (rc = put(x->rule, sizeof x->rule, r->rule)) ||
		    (rc = put(x->why, sizeof x->why, r->why)) ||
		    (rc = put(x->detail, sizeof x->detail, r->detail)) ||
		    (rc = put(x->guest, sizeof x->guest, r->guest))) {
			rc = -E2BIG;
			goto out;
		}
	}
	if ((rc = call_fd(q, rep, NULL)))
		goto out;
	rc = rep->rc;
	if (op == JOURNAL_FWD_APPEND && rc == 0) {
		*seq = rep->seq;
		*time_ns = rep->time_ns;
	}
out:
	free(q);
	free(rep);
	return rc;
}

int privops_connect_unix(const char *path)
{
	struct privops_req *q = calloc(1, sizeof *q);
	struct privops_reply *rep = malloc(sizeof *rep);
	int r = -ENOMEM, got = -1;

	if (!q || !rep)
		goto out;
	q->op = PRIVOP_CONNECT_UNIX;
	if ((r = put(q->target, sizeof q->target, path)) || (r = call_fd(q, rep, &got)))
		goto out;
	r = rep->rc;
	if (!r)
		r = got >= 0 ? got : -EPROTO;
	else if (got >= 0)
		close(got);
out:
	free(q);
	free(rep);
	return r;
}

int privops_view(void *state, size_t len, const char *tap, const char *bridge,
		 const char *netns, uint64_t now_ns, struct mvec *host)
{
	struct privops_req *q = calloc(1, sizeof *q);
	struct privops_reply *rep = malloc(sizeof *rep);
	int r = -ENOMEM;

	if (len > PRIVOPS_STATE_MAX)
		r = -EINVAL;
	if (!q || !rep || len > PRIVOPS_STATE_MAX)
		goto out;
	q->op = PRIVOP_VIEW;
	q->now_ns = now_ns;
	q->state_len = (uint32_t)len;
	memcpy(q->state, state, len);
	if ((r = put(q->key, sizeof q->key, tap)) || (r = put(q->value, sizeof q->value, bridge)) ||
	    (r = put(q->target, sizeof q->target, netns)) || (r = call_fd(q, rep, NULL)))
		goto out;
	r = rep->rc;
	if (!r && rep->state_len == len) {
		memcpy(state, rep->state, len);
		for (int id = 0; id < M_COUNT; id++)
			if (mvec_has(&rep->host, id))
				mvec_set(host, id, mvec_get(&rep->host, id));
	}
out:
	free(q);
	free(rep);
	return r;
}

/* ---- dropping privileges ---- */

int privops_cap_eff(uint64_t *mask)
{
	char line[256];
	int r = -ENOENT;
	FILE *f = fopen("/proc/self/status", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof line, f)) {
		/* "CapEff:\t000001ffffffffff" */
		char *v = line + 7;
		uint64_t m;
		if (strncmp(line, "CapEff:", 7))
			continue;
		v += strspn(v, " \t");
		v[strcspn(v, "\n")] = '\0';
		if (!parse_x64(v, &m)) {
			*mask = m;
			r = 0;
			break;
		}
	}
	fclose(f);
	return r;
}

#define FAIL(what)                                              \
	do {                                                    \
		int e_ = errno;                                 \
		snprintf(why, n, "%s: %s", what, strerror(e_)); \
		return -e_;                                     \
	} while (0)

int privops_drop(uid_t uid, gid_t gid, char *why, size_t n)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];
	uid_t ru, eu, su;
	uint64_t eff = ~0ull;

	if (uid == 0 || gid == 0) {
		snprintf(why, n, "privilege separation to uid/gid 0 separates nothing");
		return -EINVAL;
	}
	for (int cap = 0; cap < 64; cap++) {
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
			continue;
		if (errno == EINVAL)
			break; /* past the last capability this kernel knows */
		FAIL("dropping the capability bounding set");
	}
	if (setgroups(0, NULL) < 0)
		FAIL("setgroups");
	if (setresgid(gid, gid, gid) < 0)
		FAIL("setresgid");
	if (setresuid(uid, uid, uid) < 0)
		FAIL("setresuid");
	if (getresuid(&ru, &eu, &su) < 0 || ru != uid || eu != uid || su != uid) {
		errno = EPERM;
		FAIL("uid did not change");
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		FAIL("no_new_privs");
	memset(data, 0, sizeof data);
	if (syscall(SYS_capset, &hdr, data) < 0)
		FAIL("capset");
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	int r = privops_cap_eff(&eff);
	if (r) {
		errno = -r;
		FAIL("reading CapEff");
	}
	if (eff) {
		snprintf(why, n, "CapEff is %016llx after dropping", (unsigned long long)eff);
		return -EPERM;
	}
	return 0;
}

/* ---- the split ---- */

static volatile sig_atomic_t child_pid;

static void forward(int sig)
{
	if (child_pid > 0)
		kill((pid_t)child_pid, sig);
}

/* Close every descriptor but 0..2, keep and keep2 (-1: none). */
static void close_others(int keep, int keep2)
{
	int a = keep < keep2 ? keep : keep2, b = keep < keep2 ? keep2 : keep;
	unsigned from = 3;
	int ok = 1;
	/* the ranges around the kept ones (close_range, Linux 5.9) */
	for (int k = 0; k < 2; k++) {
		int fd = k ? b : a;
		if (fd < (int)from)
			continue;
		if (fd > (int)from)
			ok &= syscall(SYS_close_range, from, (unsigned)fd - 1, 0u) == 0;
		from = (unsigned)fd + 1;
	}
	ok &= syscall(SYS_close_range, from, ~0u, 0u) == 0;
	if (ok)
		return;
	long max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (int fd = 3; fd < max; fd++)
		if (fd != keep && fd != keep2)
			close(fd);
}

static int run_parent(const struct privops_conf *c, int fd, pid_t pid)
{
	struct sigaction sa = { .sa_handler = forward };
	sigset_t all;
	int status = 0;

	child_pid = pid;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	int r = privops_serve(fd, c);
	close(fd);
	if (r < 0) {
		log_err("privops: stopping: %s; killing the unprivileged process %ld",
			strerror(-r), (long)pid);
		kill(pid, SIGKILL);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	child_pid = 0;
	if (r < 0)
		return 1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	log_err("privops: the unprivileged process died of signal %d", WTERMSIG(status));
	return 1;
}

int privops_split(const struct privops_conf *c, uid_t uid, gid_t gid, int *is_parent,
		  char *why, size_t n)
{
	pid_t parent = getpid();
	int sp[2];

	*is_parent = 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		FAIL("socketpair");
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(sp[0]);
		close(sp[1]);
		errno = e;
		FAIL("fork");
	}
	if (pid > 0) {
		*is_parent = 1;
		close(sp[1]);
		close_others(sp[0], journal_fd(c->journal));
		int r = privops_confine_parent(pid, why, n);
		if (r == -ENOTSUP) {
			log_warn("privops: the privileged process runs without a seccomp filter: %s", why);
		} else if (r) {
			log_err("privops: confining the privileged process: %s", why);
			kill(pid, SIGKILL);
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
			return 1;
		}
		return run_parent(c, sp[0], pid);
	}
	close(sp[0]);
	int r = privops_drop(uid, gid, why, n);
	if (r)
		return r;
	prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0); /* after the uid change, which clears it */
	if (getppid() != parent) {
		snprintf(why, n, "the privileged process is gone");
		return -ESRCH;
	}
	if ((r = privops_seccomp()) == -ENOTSUP)
		log_warn("privops: no seccomp filter for this architecture");
	else if (r) {
		snprintf(why, n, "seccomp: %s", strerror(-r));
		return r;
	}
	if ((r = privops_client(sp[1], c->kinds))) {
		snprintf(why, n, "privops client: %s", strerror(-r));
		return r;
	}
	return 0;
}
