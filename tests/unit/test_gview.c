/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_gview: the guest-view parsers and sampler on fixture trees of real
 * /proc and /sys files (Linux 6.18 and Debian's 6.1, see
 * tests/fixtures/README.md), on broken files, and on odd shapes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "gv_obj.h"
#include "gview.h"
#include "kfs.h"
#include "sample_pair.h"
#include "sockdiag.h"

#include <unistd.h>

#define FX "tests/fixtures/"

static void test_read_host_6_18(void **state)
{
	(void)state;
	struct gv_reading r;
	assert_int_equal(gv_read(FX "host-6.18/t0", 0, &r), 0);
	for (int g = 0; g < GV_NGROUPS; g++)
		if (g != GV_LISTENERS && g != GV_PROCS)
			assert_int_equal(r.status[g], 0);
	assert_int_equal(r.status[GV_LISTENERS], -EOPNOTSUPP);
	assert_int_equal(r.status[GV_PROCS], -EOPNOTSUPP); /* needs the listeners */
	/* cpu  8468 0 7451 128725 684 0 2092 35 0 0 */
	assert_int_equal(r.total.user, 8468);
	assert_int_equal(r.total.system, 7451);
	assert_int_equal(r.total.idle, 128725);
	assert_int_equal(r.total.softirq, 2092);
	assert_int_equal(r.total.steal, 35);
	assert_int_equal(r.ncpu, 2);
	assert_int_equal(r.nstat.v[MC_GUEST_TCP_PASSIVE_OPENS], 1);
	assert_int_equal(r.nstat.v[MC_GUEST_TCP_ACTIVE_OPENS], 2);
	assert_int_equal(r.sock.tcp_tw, 1);
	assert_int_equal(r.sock.tcp6_inuse, 1);
	/* 15 softnet columns on 6.18; the CPU index is column 13 */
	assert_int_equal(r.nsoftnet, 2);
	assert_int_equal(r.softnet[0].processed, 0x3e4a36);
	assert_int_equal(r.softnet[1].cpu, 1);
	assert_int_equal(r.nnetrx, 2);
	assert_int_equal(r.netrx[0], 2457450);
	assert_int_equal(r.netrx[1], 2254324);
	assert_true(r.ct.present);
	assert_int_equal(r.ct.count, 1);
	assert_int_equal(r.files_nr, 498);
	assert_int_equal(r.files_max, 2466183);
	assert_int_equal(r.ports.lo, 32768);
	assert_int_equal(r.ports.hi, 60999);
	assert_int_equal(r.nifaces, 2);
	assert_string_equal(r.ifaces[0].name, "lo");
	assert_string_equal(r.ifaces[1].name, "vt0");
	assert_true(r.knobs.v[MK_GUEST_SOMAXCONN] > 0);
	gv_reading_free(&r);
}

static void test_sample_host_6_18(void **state)
{
	(void)state;
	struct gv_sample s;
	sample_pair(FX "host-6.18/t0", FX "host-6.18/t1", 2.0, 0, &s);
	/* PassiveOpens 1 -> 401 over 2 s */
	assert_true(fabs(s.nstat[MC_GUEST_TCP_PASSIVE_OPENS] - 200.0) < 1e-9);
	assert_true(fabs(s.nstat[MC_GUEST_TCP_ACTIVE_OPENS] - 150.0) < 1e-9);
	assert_int_equal(s.sock.tcp_tw, 430);
	/* NET_RX 2457450,2254324 -> 2458836,2255850: 693/s and 763/s */
	assert_int_equal(s.nnetrx, 2);
	assert_true(fabs(s.netrx[0] - 693.0) < 1e-9);
	assert_true(fabs(s.netrx[1] - 763.0) < 1e-9);
	assert_int_equal(s.netrx_hot_cpu, 1);
	assert_true(fabs(s.netrx_imbalance - 763.0 / ((693.0 + 763.0) / 2)) < 1e-9);
	/* total CPU: user 15, system 34, softirq 4, idle 122 ticks → 175 */
	assert_true(fabs(s.total.user - 100.0 * 15 / 175) < 1e-9);
	assert_true(fabs(s.total.softirq - 100.0 * 4 / 175) < 1e-9);
	assert_true(fabs(s.total.steal) < 1e-9);
	struct mvec m;
	gv_sample_metrics(&s, &m);
	assert_true(mvec_has(&m, M_GUEST_TCP_PASSIVE_OPENS));
	/* the raw counters of the later reading, beside the rates */
	assert_true(fabs(mvec_get(&m, M_GUEST_TCP_PASSIVE_OPENS_TOTAL) - 401) < 1e-9);
	assert_true(fabs(mvec_get(&m, M_GUEST_TCP_LISTEN_OVERFLOWS_TOTAL) -
			 s.nstat[MC_GUEST_TCP_LISTEN_OVERFLOWS_TOTAL]) < 1e-9);
	assert_true(mvec_get(&m, M_GUEST_SOFTNET_PROCESSED_TOTAL) >= 0x3e4a36);
	assert_true(mvec_has(&m, M_GUEST_NET_RX_PACKETS_TOTAL));
	assert_true(fabs(mvec_get(&m, M_GUEST_CONNTRACK_COUNT) - 401) < 1e-9);
	assert_false(mvec_has(&m, M_GUEST_LISTEN_FILL_MAX)); /* not read */
	assert_true(fabs(mvec_get(&m, M_GUEST_PORTS_RANGE) - 28232) < 1e-9);
	gv_sample_free(&s);
}

static void test_sample_debian_6_1(void **state)
{
	(void)state;
	struct gv_reading r;
	assert_int_equal(gv_read(FX "debian-6.1/t0", 0, &r), 0);
	/* 13 softnet columns on 6.1 */
	assert_int_equal(r.nsoftnet, 2);
	assert_int_equal(r.softnet[1].processed, 0xb);
	assert_int_equal(r.softnet[1].squeezed, 0);
	assert_int_equal(r.softnet[1].cpu, 1);
	assert_int_equal(r.files_max, 20774);
	assert_string_equal(r.ifaces[0].name, "eth0");
	assert_true(r.ifaces[0].nrxq >= 1);
	gv_reading_free(&r);

	struct gv_sample s;
	sample_pair(FX "debian-6.1/t0", FX "debian-6.1/t1", 1.0, 0, &s);
	assert_true(fabs(s.nstat[MC_GUEST_TCP_PASSIVE_OPENS] - 250.0) < 1e-9);
	assert_true(fabs(s.nstat[MC_GUEST_TCP_ACTIVE_OPENS] - 200.0) < 1e-9);
	assert_int_equal(s.nsoftnet, 2);
	assert_true(fabs(s.softnet[0].squeezed - 1.0) < 1e-9);
	assert_true(fabs(s.softnet[1].squeezed - 2.0) < 1e-9);
	assert_true(fabs(s.softnet[0].processed - (0x4c2 - 7)) < 1e-9);
	assert_true(s.ct.present);
	gv_sample_free(&s);
}

static void test_listeners_replay(void **state)
{
	(void)state;
	struct gv_reading r;
	assert_int_equal(gv_read(FX "host-6.18/t1", GV_READ_NETLINK, &r), 0);
	assert_int_equal(r.status[GV_LISTENERS], 0);
	assert_int_equal(r.nlisteners, 2);
	assert_int_equal(r.listeners[0].family, AF_INET);
	assert_string_equal(r.listeners[0].addr, "127.0.0.1");
	assert_int_equal(r.listeners[0].port, 8080);
	assert_int_equal(r.listeners[0].queue, 3);
	assert_int_equal(r.listeners[0].backlog, 5);
	assert_int_equal(r.listeners[1].family, AF_INET6);
	assert_string_equal(r.listeners[1].addr, "::1");
	assert_int_equal(r.listeners[1].backlog, 128);
	/* 431 TCP sockets in all (sockstat) < 28232 / 16: reported as a bound
	 * without walking the kernel's hash */
	assert_true(r.ports.in_use_known);
	assert_true(r.ports.in_use_bound);
	assert_int_equal(r.ports.in_use, 431);
	gv_reading_free(&r);

	/* t0 has no recorded answer: reported, not fatal */
	assert_int_equal(gv_read(FX "host-6.18/t0", GV_READ_NETLINK, &r), 0);
	assert_int_equal(r.status[GV_LISTENERS], -ENOENT);
	assert_non_null(strstr(r.error[GV_LISTENERS], "sock_diag"));
	gv_reading_free(&r);
}

static void test_sockdiag_truncated(void **state)
{
	(void)state;
	char *buf;
	size_t len;
	FILE *f = fopen(FX "host-6.18/t1/netlink/sock_diag_listen.bin", "rb");
	assert_non_null(f);
	buf = malloc(4096);
	len = fread(buf, 1, 4096, f);
	fclose(f);
	struct gv_listener *l = NULL;
	int n = 0;
	/* every cut short of the whole answer is refused, never read past */
	for (size_t cut = 0; cut < 60; cut++) {
		assert_int_not_equal(sockdiag_parse_listeners(buf, cut, &l, &n), 0);
	}
	assert_int_equal(sockdiag_parse_listeners(buf, len, &l, &n), 0);
	assert_int_equal(n, 1); /* the v4 part, up to its DONE */
	free(l);
	free(buf);
}

/* Each broken file fails its own group with a message, and only that group. */
static void check_broken(const char *kind)
{
	static const struct {
		const char *file;
		enum gv_group g;
	} files[] = {
		{ "proc/stat", GV_CPU },
		{ "proc/net/snmp", GV_SNMP },
		{ "proc/net/netstat", GV_NETSTAT },
		{ "proc/net/sockstat", GV_SOCKSTAT },
		{ "proc/net/softnet_stat", GV_SOFTNET },
		{ "proc/softirqs", GV_SOFTIRQS },
		{ "proc/sys/fs/file-nr", GV_FILES },
		{ "proc/sys/net/ipv4/ip_local_port_range", GV_PORTS },
	};
	char root[256];
	snprintf(root, sizeof root, FX "broken/%s", kind);
	struct gv_reading r;
	assert_int_equal(gv_read(root, 0, &r), 0);
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		if (r.status[files[i].g] == 0)
			fail_msg("%s %s: group %s not failed", kind, files[i].file,
				 gv_group_name(files[i].g));
		assert_true(strlen(r.error[files[i].g]) > 5);
	}
	/* a sample over broken readings still computes and serialises */
	struct gv_reading r2;
	assert_int_equal(gv_read(root, 0, &r2), 0);
	r2.mono_ns = r.mono_ns + 1000000000ull;
	struct gv_sample s;
	assert_int_equal(gv_sample_compute(&r, &r2, &s), 0);
	struct json_object *o = gv_sample_obj(&s);
	assert_non_null(o);
	struct json_object *errs;
	assert_true(json_object_object_get_ex(o, "errors", &errs));
	assert_true(json_object_object_length(errs) >= 8);
	json_object_put(o);
	gv_sample_free(&s);
	gv_reading_free(&r);
	gv_reading_free(&r2);
}

static void test_broken_truncated(void **state) { (void)state; check_broken("truncated"); }
static void test_broken_empty(void **state) { (void)state; check_broken("empty"); }
static void test_broken_garbage(void **state) { (void)state; check_broken("garbage"); }

static void test_missing_root(void **state)
{
	(void)state;
	struct gv_reading r;
	assert_int_equal(gv_read("/nonexistent-vtune-root", 0, &r), 0);
	assert_int_equal(r.status[GV_CPU], -ENOENT);
	assert_int_equal(r.ct.present, 0);
	gv_reading_free(&r);
}

static void test_netstat_by_name(void **state)
{
	(void)state;
	/* columns in an unusual order, extra unknown names: found by name */
	char text[] = "TcpExt: Foo TCPBacklogDrop ListenDrops Bar ListenOverflows\n"
		      "TcpExt: 1 2 3 4 5\n"
		      "IpExt: InNoRoutes\nIpExt: 7\n";
	struct gv_counters t = { 0 };
	char err[128];
	assert_int_equal(gv_parse_nstat(text, MS_NETSTAT, &t, err, sizeof err), 0);
	assert_int_equal(t.v[MC_GUEST_TCP_BACKLOG_DROPS], 2);
	assert_int_equal(t.v[MC_GUEST_TCP_LISTEN_DROPS], 3);
	assert_int_equal(t.v[MC_GUEST_TCP_LISTEN_OVERFLOWS], 5);
	/* a counter with two rows (rate and total) fills both */
	assert_int_equal(t.v[MC_GUEST_TCP_LISTEN_OVERFLOWS_TOTAL], 5);
	assert_true(gv_counter_seen(&t, MC_GUEST_TCP_LISTEN_OVERFLOWS_TOTAL));
	/* a column this kernel lacks is not seen: its metric stays unknown */
	assert_false(gv_counter_seen(&t, MC_GUEST_TCP_SYN_RETRANS));
	assert_int_equal(t.v[MC_GUEST_TCP_SYN_RETRANS], 0);

	char bad[] = "TcpExt: A B C\nTcpExt: 1 2\n";
	assert_int_equal(gv_parse_nstat(bad, MS_NETSTAT, &t, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "3 names but 2 values"));

	char nohdr[] = "IpExt: A\nIpExt: 1\n";
	assert_int_equal(gv_parse_nstat(nohdr, MS_NETSTAT, &t, err, sizeof err), -EINVAL);

	char letters[] = "TcpExt: ListenDrops\nTcpExt: 12abc\n";
	assert_int_equal(gv_parse_nstat(letters, MS_NETSTAT, &t, err, sizeof err), -EINVAL);
}

static void test_snmp_signed_maxconn(void **state)
{
	(void)state;
	char text[] = "Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens\n"
		      "Tcp: 1 200 120000 -1 17 42\n";
	struct gv_counters t = { 0 };
	char err[128];
	assert_int_equal(gv_parse_nstat(text, MS_SNMP, &t, err, sizeof err), 0);
	assert_int_equal(t.v[MC_GUEST_TCP_PASSIVE_OPENS], 42);
	assert_int_equal(t.v[MC_GUEST_TCP_ACTIVE_OPENS], 17);
	/* no Udp: lines, and the catalogue wants none */
	char noudp[] = "Ip: Forwarding\nIp: 1\n";
	assert_int_equal(gv_parse_nstat(noudp, MS_SNMP, &t, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "no 'Tcp:' lines"));
}

static void test_softnet_shapes(void **state)
{
	(void)state;
	char err[128];
	struct gv_reading r = { 0 };
	/* 11 columns (older kernels): CPU is the row number */
	char old[] = "00000010 00000001 00000002 0 0 0 0 0 0 0 0\n"
		     "00000020 00000003 00000004 0 0 0 0 0 0 0 0\n";
	assert_int_equal(gv_parse_softnet(old, &r, err, sizeof err), 0);
	assert_int_equal(r.nsoftnet, 2);
	assert_int_equal(r.softnet[1].cpu, 1);
	assert_int_equal(r.softnet[1].processed, 0x20);
	assert_int_equal(r.softnet[1].dropped, 3);
	gv_reading_free(&r);
	/* 13 columns with CPU index: an offline CPU 1 leaves a gap */
	char gap[] = "1 0 0 0 0 0 0 0 0 0 0 0 00000000\n"
		     "2 0 0 0 0 0 0 0 0 0 0 0 00000002\n";
	assert_int_equal(gv_parse_softnet(gap, &r, err, sizeof err), 0);
	assert_int_equal(r.softnet[1].cpu, 2);
	gv_reading_free(&r);
	char shortrow[] = "1 2\n";
	assert_int_equal(gv_parse_softnet(shortrow, &r, err, sizeof err), -EINVAL);
	gv_reading_free(&r);
	char nothex[] = "zz 0 0\n";
	assert_int_equal(gv_parse_softnet(nothex, &r, err, sizeof err), -EINVAL);
	gv_reading_free(&r);
}

static void test_softirqs_mismatch(void **state)
{
	(void)state;
	char err[128];
	struct gv_reading r = { 0 };
	char text[] = "   CPU0 CPU1 CPU2\n NET_RX: 1 2\n";
	assert_int_equal(gv_parse_softirqs(text, &r, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "2 values for 3 CPUs"));
	gv_reading_free(&r);
	char one_hot[] = "   CPU0 CPU1\n NET_RX: 1000 0\n";
	assert_int_equal(gv_parse_softirqs(one_hot, &r, err, sizeof err), 0);
	assert_int_equal(r.nnetrx, 2);
	gv_reading_free(&r);
}

static void test_counter_reset_gives_zero(void **state)
{
	(void)state;
	struct gv_reading a, b;
	struct gv_sample s;
	assert_int_equal(gv_read(FX "host-6.18/t1", 0, &a), 0);
	assert_int_equal(gv_read(FX "host-6.18/t0", 0, &b), 0); /* backwards */
	a.mono_ns = 1;
	b.mono_ns = 1000000001ull;
	assert_int_equal(gv_sample_compute(&a, &b, &s), 0);
	assert_true(s.nstat[MC_GUEST_TCP_PASSIVE_OPENS] == 0.0);
	assert_true(s.netrx[0] == 0.0);
	gv_sample_free(&s);
	/* b not later than a */
	b.mono_ns = 1;
	assert_int_equal(gv_sample_compute(&a, &b, &s), -EINVAL);
	gv_reading_free(&a);
	gv_reading_free(&b);
}

static void test_json_has_every_group(void **state)
{
	(void)state;
	struct gv_sample s;
	sample_pair(FX "host-6.18/t1", FX "host-6.18/t1", 1.0, GV_READ_NETLINK, &s);
	struct json_object *o = gv_sample_obj(&s), *v;
	static const char *const keys[] = { "cpu", "tcp", "listeners", "softnet", "conntrack",
					    "ports", "files", "interfaces", "knobs", "metrics" };
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
		if (!json_object_object_get_ex(o, keys[i], &v))
			fail_msg("no '%s' in the JSON", keys[i]);
	assert_true(json_object_object_get_ex(o, "metrics", &v));
	struct json_object *fill;
	assert_true(json_object_object_get_ex(v, "guest.listen.fill_max", &fill));
	assert_true(fabs(json_object_get_double(fill) - 60.0) < 1e-9); /* 3 of 5 */
	json_object_put(o);
	gv_sample_free(&s);
}


/* Interface counters from /proc/net/dev (one file for all interfaces) on a
 * real capture whose sysfs statistics agree; in name order, as before. */
static void check_procnetdev_ifaces(const struct gv_reading *r)
{
	assert_int_equal(r->status[GV_IFACES], 0);
	assert_int_equal(r->nifaces, 3);
	assert_string_equal(r->ifaces[0].name, "lo");
	assert_string_equal(r->ifaces[1].name, "vta0");
	assert_string_equal(r->ifaces[2].name, "vtb0");
	assert_int_equal(r->ifaces[0].rx_packets, 14);
	assert_int_equal(r->ifaces[0].tx_packets, 14);
	assert_int_equal(r->ifaces[1].rx_packets, 5);
	assert_int_equal(r->ifaces[1].tx_packets, 5);
	assert_int_equal(r->ifaces[2].rx_packets, 5);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(r->ifaces[i].rx_dropped, 0);
		assert_int_equal(r->ifaces[i].tx_errors, 0);
		assert_int_equal(r->ifaces[i].nrxq, 1);
	}
}

static void test_ifaces_procnetdev(void **state)
{
	(void)state;
	struct gv_reading r;
	assert_int_equal(gv_read(FX "host-6.18-procnetdev/t0", 0, &r), 0);
	check_procnetdev_ifaces(&r);
	gv_reading_free(&r);
}

/* A copy of the capture in a temporary directory, less one part. */
static void copy_without(char *dir, size_t n, const char *rm)
{
	char cmd[1024];
	snprintf(dir, n, "/tmp/vtune-gv.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof cmd, "cp -r " FX "host-6.18-procnetdev/t0/. %s && rm -rf %s/%s",
		 dir, dir, rm);
	assert_int_equal(system(cmd), 0);
}

static void rm_tree(const char *dir)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* Without the sysfs statistics files the counters still come (from
 * /proc/net/dev); without /proc/net/dev they come from sysfs. */
static void test_ifaces_sources(void **state)
{
	(void)state;
	char dir[64];
	struct gv_reading r;
	copy_without(dir, sizeof dir, "sys/class/net/*/statistics");
	assert_int_equal(gv_read(dir, 0, &r), 0);
	check_procnetdev_ifaces(&r);
	gv_reading_free(&r);
	rm_tree(dir);

	copy_without(dir, sizeof dir, "proc/net/dev");
	assert_int_equal(gv_read(dir, 0, &r), 0);
	check_procnetdev_ifaces(&r);
	gv_reading_free(&r);
	rm_tree(dir);
}

/* A reading through a kfs_cache, twice, is the reading without one; a
 * cached file is read afresh each time. */
static void test_read_cached(void **state)
{
	(void)state;
	struct kfs_cache *c = kfs_cache_new();
	assert_non_null(c);
	struct gv_reading a, b;
	assert_int_equal(gv_read(FX "host-6.18/t1", 0, &a), 0);
	for (int k = 0; k < 2; k++) {
		assert_int_equal(gv_read_cached(c, FX "host-6.18/t1", 0, &b), 0);
		assert_memory_equal(b.status, a.status, sizeof a.status);
		assert_memory_equal(&b.total, &a.total, sizeof a.total);
		assert_memory_equal(&b.nstat, &a.nstat, sizeof a.nstat);
		assert_memory_equal(&b.sock, &a.sock, sizeof a.sock);
		assert_memory_equal(&b.ct, &a.ct, sizeof a.ct);
		assert_memory_equal(&b.knobs, &a.knobs, sizeof a.knobs);
		assert_int_equal(b.nifaces, a.nifaces);
		assert_memory_equal(b.ifaces, a.ifaces, (size_t)a.nifaces * sizeof *a.ifaces);
		assert_int_equal(b.files_max, a.files_max);
		gv_reading_free(&b);
	}
	gv_reading_free(&a);

	char dir[64], path[128];
	snprintf(dir, sizeof dir, "/tmp/vtune-kc.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/v", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("123\n", f);
	fclose(f);
	int64_t v;
	char *t;
	assert_int_equal(kfs_cache_read_i64(c, dir, "v", &v), 0);
	assert_int_equal(v, 123);
	f = fopen(path, "r+");
	fputs("7\n\n\n", f); /* same file, new contents */
	fclose(f);
	assert_int_equal(kfs_cache_read_i64(c, dir, "v", &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(kfs_cache_read(c, dir, "v", &t, NULL), 0);
	assert_string_equal(t, "7\n\n\n");
	unlink(path);
	assert_int_equal(kfs_cache_read_i64(c, dir, "missing", &v), -ENOENT);
	rmdir(dir);
	kfs_cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_host_6_18),
		cmocka_unit_test(test_sample_host_6_18),
		cmocka_unit_test(test_sample_debian_6_1),
		cmocka_unit_test(test_listeners_replay),
		cmocka_unit_test(test_sockdiag_truncated),
		cmocka_unit_test(test_broken_truncated),
		cmocka_unit_test(test_broken_empty),
		cmocka_unit_test(test_broken_garbage),
		cmocka_unit_test(test_missing_root),
		cmocka_unit_test(test_netstat_by_name),
		cmocka_unit_test(test_snmp_signed_maxconn),
		cmocka_unit_test(test_softnet_shapes),
		cmocka_unit_test(test_softirqs_mismatch),
		cmocka_unit_test(test_counter_reset_gives_zero),
		cmocka_unit_test(test_json_has_every_group),
		cmocka_unit_test(test_ifaces_procnetdev),
		cmocka_unit_test(test_ifaces_sources),
		cmocka_unit_test(test_read_cached),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
