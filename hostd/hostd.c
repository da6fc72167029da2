/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostd: the vtune-hostd daemon's life cycle (see hostd.h): start and
 * stop, the backend's guest events, the policy and its reload, signals
 * and the Prometheus renderer. The step is tick.c's, plans are carried
 * out by plan_exec.c, control requests answered by ctl_cmds.c. */
#include "hostd_int.h"
#include "vec.h"
#include "host_view.h"
#include "action.h"
#include "ctl.h"
#include "knob.h"
#include "log.h"
#include "loop.h"
#include "notify.h"
#include "policy.h"
#include "vclock.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

/* ---- guests ---- */

struct guest *hostd_find_guest(struct hostd *h, const char *name)
{
	for (size_t i = 0; i < h->nguests; i++)
		if (!strcmp(h->guests[i]->bk.name, name))
			return h->guests[i];
	return NULL;
}

/* bk_find_fn: the guest a backend's channel attaches to. */
static struct guest *chan_find(void *arg, const struct bk_guest *bg)
{
	return hostd_find_guest(arg, bg->name);
}

/* ---- backend events ---- */

static void remove_guest(struct hostd *h, size_t i)
{
	struct guest *g = h->guests[i];
	log_src(LOG_INFO, g->bk.name, "channel", "guest %s: gone", g->bk.name);
	if (h->engine)
		pol_engine_forget(h->engine, g->bk.name);
	hist_forget(h->hist, g->bk.name);
	guest_free(g);
	h->guests[i] = h->guests[--h->nguests];
}

static void on_backend(void *arg, enum bk_event_type t, const struct bk_guest *bg)
{
	struct hostd *h = arg;
	uint64_t now = vclock_mono_ns();
	struct guest *g = hostd_find_guest(h, bg->name);

	switch (t) {
	case BK_GUEST_UP:
	case BK_CHANNEL_UP:
		if (!g) {
			if (h->nguests >= HOSTD_MAX_GUESTS) {
				log_warn("guest %s: ignored, %d guests already", bg->name, HOSTD_MAX_GUESTS);
				return;
			}
			if (VEC_RESERVE(h->guests, h->capguests, h->nguests + 1))
				return;
			g = guest_new(bg, h->loop, &hostd_guest_hooks, h);
			if (!g)
				return;
			g->max_v = h->o.protocol_max;
			h->guests[h->nguests++] = g;
			log_src(LOG_INFO, bg->name, "channel", "guest %s: found (channel %s)", bg->name,
				bg->channel[0] ? bg->channel : "none");
		} else {
			char ch[sizeof g->bk.channel];
			snprintf(ch, sizeof ch, "%s", g->bk.channel);
			g->bk = *bg;
			if (strcmp(ch, bg->channel) && g->fd >= 0)
				guest_disconnect(g, now, "channel changed");
			g->backoff_ns = GUEST_BACKOFF_MIN_NS;
		}
		g->gone = 0;
		if (g->fd < 0 && g->bk.channel[0])
			guest_connect(g, now);
		break;
	case BK_CHANNEL_DOWN:
		if (g) {
			if (g->fd >= 0)
				guest_disconnect(g, now, "channel gone");
			g->bk.channel[0] = 0;
		}
		break;
	case BK_GUEST_DOWN:
		if (h->chans && h->ops->channels_guest_down)
			h->ops->channels_guest_down(h->chans, bg->domid);
		for (size_t i = 0; i < h->nguests; i++)
			if (h->guests[i] == g)
				remove_guest(h, i);
		break;
	}
}

static void backend_cb(void *arg, int fd, uint32_t events)
{
	struct hostd *h = arg;
	(void)fd;
	(void)events;
	int r = h->ops->dispatch(h->bk, on_backend, h);
	if (r < 0)
		log_warn("backend %s: %s", h->ops->name, strerror(-r));
}

/* ---- policy ---- */

/* Load and check the policy for backend: every action must run under
 * vtune-hostd there (the action table and the backend's slots). */
static struct pol_set *load_policy(const char *path, const char *backend, FILE *err)
{
	struct pol_diag d;
	struct act_where w = { ACT_HOSTD, backend, backend_can, 0 };
	pol_diag_init(&d);
	struct pol_set *s = act_load_policy(path, &w, &d);
	if (!s) {
		if (err) {
			pol_diag_print(&d, err);
		} else {
			for (size_t i = 0; i < d.n; i++)
				log_err("%s", d.msgs[i]);
		}
		if (!d.n) {
			if (err)
				fprintf(err, "%s: cannot load the policy\n", path);
			else
				log_err("%s: cannot load the policy", path);
		}
	}
	pol_diag_free(&d);
	return s;
}

/* A new policy set in place of the old one (the engine starts afresh). */
static int install_policy(struct hostd *h, struct pol_set *s)
{
	struct pol_engine *e = pol_engine_new(s);
	if (!e) {
		pol_set_free(s);
		return -ENOMEM;
	}
	pol_engine_set_backend(e, h->ops->name);
	pol_engine_free(h->engine);
	pol_set_free(h->set);
	h->set = s;
	h->engine = e;
	log_info("policy %s reloaded: %zu rules", h->o.policy, s->n_rules);
	notify_ready();
	notify_status("%zu guests, %zu rules", h->nguests, s->n_rules);
	return 0;
}

int hostd_reload(struct hostd *h)
{
	notify_reloading();
	struct pol_set *s = load_policy(h->o.policy, h->ops->name, NULL);
	if (!s) {
		log_err("policy %s refused: keeping the old one (%zu rules)", h->o.policy,
			h->set->n_rules);
		notify_ready();
		return -EINVAL;
	}
	return install_policy(h, s);
}

/* The loader thread's result, on the loop. */
static void reloaded(void *arg, struct pol_set *s, struct pol_diag *d)
{
	struct hostd *h = arg;
	if (!s) {
		for (size_t i = 0; i < d->n; i++)
			log_err("%s", d->msgs[i]);
		if (!d->n)
			log_err("%s: cannot load the policy", h->o.policy);
		log_err("policy %s refused: keeping the old one (%zu rules)", h->o.policy,
			h->set->n_rules);
		notify_ready();
		return;
	}
	install_policy(h, s);
}

int hostd_reload_async(struct hostd *h)
{
	struct act_where w = { ACT_HOSTD, h->ops->name, backend_can, 0 };
	notify_reloading();
	int r = pol_async_start(&h->reload, h->loop, h->o.policy, &w, reloaded, h);
	if (r == -EBUSY)
		log_warn("policy %s: a reload is already running", h->o.policy);
	else if (r < 0)
		log_err("policy %s: cannot start the reload: %s", h->o.policy, strerror(-r));
	return r;
}

int hostd_check_config(const struct hostd_opts *o, FILE *err)
{
	int bad = 0;
	if (!backend_find(o->backend)) {
		fprintf(err, "unknown backend '%s' (built in: kvm, xen, sim)\n", o->backend);
		bad = 1;
	}
	if (!(o->interval_s >= 0.1 && o->interval_s <= 3600)) {
		fprintf(err, "--interval: want seconds in 0.1..3600\n");
		bad = 1;
	}
	int off;
	if (o->metrics && mh_parse_addr(o->metrics, &off) < 0) {
		fprintf(err, "--metrics: want off, HOST:PORT, [V6]:PORT or unix:/PATH, not '%s'\n",
			o->metrics);
		bad = 1;
	}
	struct pol_set *s = load_policy(o->policy, backend_find(o->backend) ? o->backend : NULL,
					err);
	if (!s)
		bad = 1;
	pol_set_free(s);
	return bad ? -EINVAL : 0;
}

/* ---- signals ---- */

static void signal_cb(void *arg, int fd, uint32_t events)
{
	struct hostd *h = arg;
	struct signalfd_siginfo si;
	(void)events;
	while (read(fd, &si, sizeof si) == (ssize_t)sizeof si) {
		if (si.ssi_signo == SIGHUP) {
			hostd_reload_async(h); /* parsed away from the loop */
		} else {
			log_info("signal %u: stopping", si.ssi_signo);
			notify_stopping();
			loop_stop(h->loop);
		}
	}
}

/* ---- metrics for Prometheus ---- */

/* mh_render_fn: the current guests, both views, the rules active for each
 * and the counters. A guest whose report is older than the engine reads
 * (HOSTD_REPORT_MAX_AGE intervals) is shown down, without its views. */
static int metrics_render(void *arg, int om, char **out, size_t *len)
{
	struct hostd *h = arg;
	size_t nr = h->set ? h->set->n_rules : 0, ng = h->nguests;
	struct mh_guest *v = calloc(ng ? ng : 1, sizeof *v);
	const char **rules = calloc(ng * nr + 1, sizeof *rules);
	uint64_t mono = vclock_mono_ns(), wall = vclock_wall_ns();
	char hostname[256] = "";
	int r = -ENOMEM;
	if (!v || !rules)
		goto out;
	gethostname(hostname, sizeof hostname - 1);
	for (size_t i = 0; i < ng; i++) {
		const struct guest *g = h->guests[i];
		uint64_t age = guest_report_age_ns(g, mono);
		v[i] = (struct mh_guest){
			.name = g->bk.name, .bk = &g->bk, .connected = g->fd >= 0,
			.up = age <= HOSTD_REPORT_MAX_AGE * h->interval_ns,
			.last_report_s = age == UINT64_MAX || age > wall ? 0 : (double)(wall - age) / 1e9,
			.reports = g->st.reports, .bad_reports = g->st.bad_reports,
			.dropped = g->st.dropped, .invalid = g->st.invalid,
			.gm = g->have_report ? &g->gm : NULL, .hm = g->have_host ? &g->hm : NULL,
			.rules = rules + i * nr,
		};
		for (size_t k = 0; k < nr; k++)
			if (pol_engine_rule_active(h->engine, g->bk.name, h->set->rules[k].name) == 1)
				rules[i * nr + v[i].nrules++] = h->set->rules[k].name;
	}
	struct mh_host host = { hostname, h->ops ? h->ops->name : NULL };
	/* guest names and their views only where configured (--metrics-guests) */
	mh_counters_hide_guests(h->mhc, !h->o.metrics_guests);
	r = mh_render(&host, v, h->o.metrics_guests ? ng : 0, h->mhc, om, out, len);
out:
	free(rules);
	free(v);
	return r;
}

/* ---- life cycle ---- */

struct hostd *hostd_new(const struct hostd_opts *o, int *err, char *why, size_t n)
{
	struct hostd *h = calloc(1, sizeof *h);
	int r = 0;
	if (!h) {
		*err = -ENOMEM;
		snprintf(why, n, "out of memory");
		return NULL;
	}
	h->o = *o;
	h->sigfd = -1;
	h->interval_ns = (uint64_t)(o->interval_s * 1e9);
	pol_plan_init(&h->plan);
	h->hist = hist_store_new(o->interval_s, 0);
	h->hv = host_view_new();
	backend_register_knobs();
	h->ops = backend_find(o->backend);
	if (!h->ops) {
		r = -ENOENT;
		snprintf(why, n, "unknown backend '%s'", o->backend);
		goto fail;
	}
	h->set = load_policy(o->policy, h->ops->name, NULL);
	if (!h->set) {
		r = -EINVAL;
		snprintf(why, n, "policy %s refused", o->policy);
		goto fail;
	}
	h->engine = pol_engine_new(h->set);
	if (h->engine)
		pol_engine_set_backend(h->engine, h->ops->name);
	h->loop = loop_new(&r);
	if (!h->engine || !h->loop) {
		r = r ? r : -ENOMEM;
		snprintf(why, n, "cannot start: %s", strerror(-r));
		goto fail;
	}
	loop_set_batch(h->loop, HOSTD_BATCH_MS * 1000000ull);
	h->journal = o->dry_run ? journal_open_ro(o->journal, &r) : journal_open(o->journal, &r);
	if (!h->journal && !(o->dry_run && r == -ENOENT)) {
		snprintf(why, n, "journal %s: %s", o->journal,
			 r == -EWOULDBLOCK ? "in use by another process" : strerror(-r));
		goto fail;
	}
	tuning_load(&h->tuning, o->journal); /* as root: the file is beside the journal */
	h->ctl = ctl_open(h->loop, o->control, hostd_handle_request, h, &r);
	if (!h->ctl) {
		snprintf(why, n, "control socket %s: %s", o->control,
			 r == -EADDRINUSE ? "another vtune-hostd is running" : strerror(-r));
		goto fail;
	}
	h->mhc = mh_counters_new();
	if (!h->mhc) {
		r = -ENOMEM;
		snprintf(why, n, "out of memory");
		goto fail;
	}
	int mh_off = 0;
	if (o->metrics && mh_parse_addr(o->metrics, &mh_off) == 0 && !mh_off) {
		h->mh = mh_server_open(h->loop, o->metrics, metrics_render, h, &r);
		if (!h->mh && !o->metrics_optional) {
			snprintf(why, n, "--metrics %s: %s", o->metrics, strerror(-r));
			goto fail;
		}
		if (h->mh)
			log_info("metrics for Prometheus: GET /metrics on %s", o->metrics);
		else
			log_warn("metrics: cannot listen on %s: %s (no Prometheus endpoint)",
				 o->metrics, strerror(-r));
		r = 0;
	}
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);
	h->sigfd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);
	if (h->sigfd < 0 || loop_add_fd(h->loop, h->sigfd, EPOLLIN, signal_cb, h) < 0) {
		r = -errno;
		snprintf(why, n, "signalfd: %s", strerror(errno));
		goto fail;
	}
	h->bk = h->ops->open(o->uri, o->root, &r, why, n);
	if (!h->bk)
		goto fail;
	if (h->ops->knobs)
		for (const struct knob_ops *const *k = h->ops->knobs; *k; k++)
			knob_bind(*k, h->bk);
	int efd = h->ops->event_fd ? h->ops->event_fd(h->bk) : -1;
	if (efd >= 0 && (r = loop_add_fd(h->loop, efd, EPOLLIN, backend_cb, h)) < 0) {
		snprintf(why, n, "backend events: %s", strerror(-r));
		goto fail;
	}
	if (h->ops->channels_open && !(h->chans = h->ops->channels_open(h->bk, h->loop, chan_find,
									 h, &r))) {
		snprintf(why, n, "agent channels: %s", strerror(-r));
		goto fail;
	}
	r = h->ops->list(h->bk, on_backend, h);
	if (r < 0)
		log_warn("backend %s: listing guests: %s", h->ops->name, strerror(-r));
	uint64_t now = vclock_mono_ns();
	h->next_step_ns = now + h->interval_ns;
	if ((r = loop_timer_add(h->loop, now + HOSTD_TICK_NS, hostd_tick, h)) < 0) {
		snprintf(why, n, "timer: %s", strerror(-r));
		goto fail;
	}
	log_info("vtune-hostd %s: backend %s, policy %s (%zu rules), interval %.1fs, %zu guests%s",
		 VTUNE_VERSION, h->ops->name, o->policy, h->set->n_rules, o->interval_s,
		 h->nguests, o->dry_run ? ", dry run: nothing is sent or written" : "");
	notify_ready();
	notify_status("%zu guests, %zu rules", h->nguests, h->set->n_rules);
	if (notify_watchdog_usec(&h->wd_usec) < 0)
		h->wd_usec = 0;
	return h;
fail:
	*err = r ? r : -EINVAL;
	hostd_free(h);
	return NULL;
}

int hostd_renew_signalfd(struct hostd *h)
{
	/* A signalfd's readiness is tied to the process that made it: after
	 * a fork, epoll in the child would never see the child's signals. */
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	if (h->sigfd >= 0) {
		loop_del_fd(h->loop, h->sigfd);
		close(h->sigfd);
	}
	h->sigfd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);
	if (h->sigfd < 0)
		return -errno;
	return loop_add_fd(h->loop, h->sigfd, EPOLLIN, signal_cb, h);
}

struct journal *hostd_journal(struct hostd *h)
{
	return h ? h->journal : NULL;
}

int hostd_run(struct hostd *h)
{
	return loop_run(h->loop);
}

void hostd_free(struct hostd *h)
{
	if (!h)
		return;
	while (h->nguests)
		remove_guest(h, h->nguests - 1);
	free(h->guests);
	if (h->chans && h->ops->channels_close)
		h->ops->channels_close(h->chans);
	if (h->bk) {
		int efd = h->ops->event_fd ? h->ops->event_fd(h->bk) : -1;
		if (efd >= 0 && h->loop)
			loop_del_fd(h->loop, efd);
		if (h->ops->knobs) /* the kinds outlive the connection */
			for (const struct knob_ops *const *k = h->ops->knobs; *k; k++)
				knob_bind(*k, NULL);
		h->ops->close(h->bk);
	}
	pol_async_free(h->reload);
	ctl_close(h->ctl);
	mh_server_close(h->mh);
	mh_counters_free(h->mhc);
	if (h->sigfd >= 0)
		close(h->sigfd);
	journal_close(h->journal);
	free(h->held);
	pol_engine_free(h->engine);
	pol_set_free(h->set);
	pol_plan_free(&h->plan);
	hist_store_free(h->hist);
	host_view_free(h->hv);
	loop_free(h->loop);
	free(h);
}

