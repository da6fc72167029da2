/* SPDX-License-Identifier: GPL-2.0-or-later */
/* allow: the static sysctl allow-list and the checks made before every
 * sysctl write. */
#include "allow.h"
#include "parse.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NF_CT_MIN 16384ull
#define NF_CT_MAX 4194304ull /* ~300 bytes each: about 1.3 GB at most */

static const struct allow_rule rules[] = {
	{ "net.core.somaxconn", 128, 65535, 0,
	  "accept-queue cap per listener; kernels before 5.x keep the backlog in 16 bits", 0, 0 },
	{ "net.ipv4.tcp_max_syn_backlog", 128, 1048576, 0,
	  "half-open (SYN_RECV) connections per listener", 0, 0 },
	{ "net.core.netdev_max_backlog", 1000, 1048576, 0,
	  "per-CPU input queue of packets before the stack (kernel default 1000)", 0, 0 },
	{ "net.core.netdev_budget", 100, 10000, 0,
	  "packets per NET_RX softirq run (kernel default 300)", 0, 0 },
	{ "net.core.netdev_budget_usecs", 500, 10000, 0,
	  "microseconds per NET_RX softirq run (kernel default 2000)", 0, 0 },
	{ "net.ipv4.tcp_fin_timeout", 5, 120, 0,
	  "seconds in FIN_WAIT_2 (kernel default 60)", 0, 0 },
	{ "net.ipv4.tcp_slow_start_after_idle", 0, 1, 0, "boolean", 0, 0 },
	{ "net.ipv4.tcp_syncookies", 0, 2, 0, "0 off, 1 on overflow, 2 always", 0, 0 },
	{ "net.ipv4.tcp_tw_reuse", 0, 2, 0, "0 off, 1 on, 2 loopback only", 0, 0 },
	{ "net.ipv4.ip_local_port_range", 1024, 65535, ALLOW_PAIR,
	  "ephemeral ports \"LO HI\", 1024 <= LO < HI <= 65535, clear of well-known ports", 0, 0 },
	{ "net.netfilter.nf_conntrack_max", NF_CT_MIN, NF_CT_MAX, 0,
	  "conntrack table entries", 0, 0 },
	{ "net.netfilter.nf_conntrack_tcp_timeout_established", 600, 432000, 0,
	  "seconds an idle established flow is tracked (kernel default 432000 = 5 days)", 0, 0 },
	{ "net.netfilter.nf_conntrack_tcp_timeout_time_wait", 30, 120, 0,
	  "seconds a TIME_WAIT flow is tracked (kernel default 120)", 0, 0 },
	{ "net.nf_conntrack_max", NF_CT_MIN, NF_CT_MAX, 0,
	  "conntrack table entries (init namespace alias)", 0, 0 },
	{ "net.core.rps_sock_flow_entries", 0, 1048576, ALLOW_POW2,
	  "RFS flow table; the kernel rounds up to a power of two, so only those read back equal", 0, 0 },
	{ "fs.file-max", 65536, 9223372036854775807ull, 0,
	  "system-wide open files", 0, 0 },
	{ "net.bridge.bridge-nf-call-iptables", 0, 1, 0, "boolean", 0, 0 },
	{ "net.bridge.bridge-nf-call-ip6tables", 0, 1, 0, "boolean", 0, 0 },
	{ "net.bridge.bridge-nf-call-arptables", 0, 1, 0, "boolean", 0, 0 },
	/* socket memory: every bound is well inside the kernel's int (tcp_rmem,
	 * tcp_wmem, rmem_max and wmem_max are ints: bpftune's 2 GB rmem made
	 * them negative) and inside what this machine's memory allows */
	{ "net.ipv4.tcp_mem", 1024, 1ull << 40, ALLOW_TRIPLE,
	  "pages TCP may use \"LOW PRESSURE MAX\"; at most a quarter of memory", 4, 1 },
	{ "net.ipv4.tcp_rmem", 4096, 67108864, ALLOW_TRIPLE_MAX,
	  "a socket's receive buffer \"MIN DEFAULT MAX\" in bytes; at most 64 MiB and 1/64 of memory",
	  64, 0 },
	{ "net.ipv4.tcp_wmem", 4096, 67108864, ALLOW_TRIPLE_MAX,
	  "a socket's send buffer \"MIN DEFAULT MAX\" in bytes; at most 64 MiB and 1/64 of memory",
	  64, 0 },
	{ "net.core.rmem_max", 212992, 67108864, 0,
	  "largest SO_RCVBUF in bytes (the kernel doubles it: 64 MiB stays far from 2 GiB); at most 1/64 of memory",
	  64, 0 },
	{ "net.core.wmem_max", 212992, 67108864, 0,
	  "largest SO_SNDBUF in bytes (the kernel doubles it); at most 1/64 of memory", 64, 0 },
	/* a TIME_WAIT socket takes about 256 bytes: at most a quarter of memory */
	{ "net.ipv4.tcp_max_tw_buckets", 4096, 16777216, 0,
	  "TIME_WAIT sockets kept; about 256 bytes each, at most a quarter of memory", 1024, 0 },
	/* an orphan holds what it still has to send, 16 KiB with tcp_wmem's
	 * default: at most half of memory for them */
	{ "net.ipv4.tcp_max_orphans", 4096, 16777216, 0,
	  "orphaned sockets kept; up to 16 KiB each, at most half of memory", 32768, 0 },
};

#define NRULES (sizeof rules / sizeof rules[0])

const struct allow_rule *allow_list(size_t *count)
{
	*count = NRULES;
	return rules;
}

static uint64_t fake_phys;

void allow_set_phys_bytes(uint64_t bytes)
{
	fake_phys = bytes;
}

static uint64_t phys_bytes(void)
{
	if (fake_phys)
		return fake_phys;
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
	if (pages <= 0 || psz <= 0)
		return 1ull << 30; /* unknown: assume 1 GiB, a small machine */
	return (uint64_t)pages * (uint64_t)psz;
}

uint64_t allow_max_now(const struct allow_rule *r)
{
	if (!r->mem_div)
		return r->max;
	uint64_t m = phys_bytes() / r->mem_div;
	if (r->mem_pages) {
		long psz = sysconf(_SC_PAGESIZE);
		m /= psz > 0 ? (uint64_t)psz : 4096;
	}
	if (m < r->min)
		m = r->min;
	return m < r->max ? m : r->max;
}

int allow_is_triple(const struct allow_rule *r)
{
	return r && (r->flags & (ALLOW_TRIPLE | ALLOW_TRIPLE_MAX));
}

const struct allow_rule *allow_find(const char *key)
{
	if (!key)
		return NULL;
	for (size_t i = 0; i < NRULES; i++)
		if (!strcmp(rules[i].key, key))
			return &rules[i];
	return NULL;
}

static void say(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;
	if (!why || !whylen)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* One number as the kernel would read it: plain decimal only. The kernel
 * parses sysctls with base 0, so "010" would be octal there: refuse it. */
static int plain_number(const char *s, uint64_t *out)
{
	if (s[0] == '0' && s[1])
		return -EINVAL;
	return parse_u64(s, out);
}

/* Split and parse value into nums[]; returns the count or -errno. */
static int parse_value(const struct allow_rule *r, const char *value,
		       uint64_t nums[3], char *why, size_t whylen)
{
	char buf[128];
	char *tok[4];
	int want = (r->flags & ALLOW_PAIR) ? 2 : allow_is_triple(r) ? 3 : 1;

	if (!value || strlen(value) >= sizeof buf) {
		say(why, whylen, "%s: value missing or too long", r->key);
		return -EINVAL;
	}
	strcpy(buf, value);
	int n = parse_split(buf, tok, 4);
	if (n != want) {
		say(why, whylen, "%s: expected %s, got \"%s\"", r->key,
		    want == 2 ? "two numbers \"LO HI\"" :
		    want == 3 ? "three numbers \"A B C\"" : "one number", value);
		return -EINVAL;
	}
	for (int i = 0; i < n; i++) {
		int e = plain_number(tok[i], &nums[i]);
		if (e) {
			say(why, whylen, "%s: \"%s\" is not a plain decimal number",
			    r->key, tok[i]);
			return e == -ERANGE ? -ERANGE : -EINVAL;
		}
	}
	return n;
}

static const struct allow_rule *listed(const char *key, char *why, size_t whylen)
{
	const struct allow_rule *r = allow_find(key);
	if (!r)
		say(why, whylen, "%s: not on the sysctl allow-list",
		    key ? key : "(null)");
	return r;
}

int allow_check(const char *key, const char *value, char *why, size_t whylen)
{
	uint64_t v[3];
	const struct allow_rule *r = listed(key, why, whylen);
	if (!r)
		return -EPERM;
	int n = parse_value(r, value, v, why, whylen);
	if (n < 0)
		return n;
	uint64_t max = allow_max_now(r);
	for (int i = 0; i < n; i++) {
		if (v[i] < r->min || v[i] > max) {
			say(why, whylen, "%s: %llu is outside [%llu, %llu] (%s)",
			    key, (unsigned long long)v[i],
			    (unsigned long long)r->min,
			    (unsigned long long)max, r->note);
			return -ERANGE;
		}
	}
	if (allow_is_triple(r) && (v[0] > v[1] || v[1] > v[2])) {
		say(why, whylen, "%s: \"%s\" is not in order (A <= B <= C)", key, value);
		return -ERANGE;
	}
	if ((r->flags & ALLOW_PAIR) && v[0] >= v[1]) {
		say(why, whylen, "%s: low end %llu must be below high end %llu",
		    key, (unsigned long long)v[0], (unsigned long long)v[1]);
		return -ERANGE;
	}
	if ((r->flags & ALLOW_POW2) && (v[0] & (v[0] - 1))) {
		say(why, whylen, "%s: %llu is not 0 or a power of two (%s)",
		    key, (unsigned long long)v[0], r->note);
		return -ERANGE;
	}
	return 0;
}

int allow_check_restore(const char *key, const char *value, char *why,
			size_t whylen)
{
	uint64_t v[3];
	const struct allow_rule *r = listed(key, why, whylen);
	if (!r)
		return -EPERM;
	int n = parse_value(r, value, v, why, whylen);
	return n < 0 ? (n == -ERANGE ? -EINVAL : n) : 0;
}

static int key_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

int allow_sysctl_path(const char *key, char *path, size_t n)
{
	static const char prefix[] = "proc/sys/";
	size_t klen, i;

	if (!key || !*key)
		return -EINVAL;
	klen = strlen(key);
	for (i = 0; i < klen; i++) {
		char c = key[i];
		if (c == '.') {
			/* no empty component: not first, not last, not doubled */
			if (i == 0 || i == klen - 1 || key[i + 1] == '.')
				return -EINVAL;
		} else if (!key_char_ok(c)) {
			return -EINVAL;
		}
	}
	if (sizeof prefix - 1 + klen + 1 > n)
		return -ENAMETOOLONG;
	memcpy(path, prefix, sizeof prefix - 1);
	for (i = 0; i < klen; i++)
		path[sizeof prefix - 1 + i] = key[i] == '.' ? '/' : key[i];
	path[sizeof prefix - 1 + klen] = '\0';
	return 0;
}
