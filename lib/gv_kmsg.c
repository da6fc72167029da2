/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gv_kmsg: known kernel log lines, counted from /dev/kmsg (live) or from a
 * fixture's dev/kmsg text. */
#include "gv_kmsg.h"
#include "kfs.h"
#include "parse.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct {
	const char *name;
	const char *text; /* matched anywhere in the message */
} known[GV_KM_N] = {
	[GV_KM_CONNTRACK_FULL] = { "conntrack_full", "table full, dropping packet" },
	[GV_KM_SYN_FLOOD] = { "syn_flood", "Possible SYN flooding on port" },
	[GV_KM_TW_OVERFLOW] = { "tw_overflow", "ime wait bucket table overflow" },
	[GV_KM_ORPHANS] = { "orphans", "too many orphaned sockets" },
	[GV_KM_TCP_OOM] = { "tcp_oom", "out of memory -- consider tuning tcp_mem" },
	[GV_KM_DST_OVERFLOW] = { "dst_overflow", "dst cache overflow" },
	[GV_KM_NEIGH_OVERFLOW] = { "neigh_overflow", "neighbor table overflow" },
	[GV_KM_ALLOC_FAIL] = { "alloc_fail", "page allocation failure" },
};

const char *gv_kmsg_kind_name(enum gv_kmsg_kind k)
{
	return (unsigned)k < GV_KM_N ? known[k].name : "?";
}

int gv_kmsg_classify(const char *text)
{
	for (int i = 0; i < GV_KM_N; i++)
		if (strstr(text, known[i].text))
			return i;
	return -1;
}

int gv_kmsg_record(const char *rec, size_t len, struct gv_kmsg_counts *c)
{
	/* PRI,SEQ,USEC,FLAGS[,...];TEXT */
	uint64_t f[3]; /* PRI, SEQ, USEC */
	char text[GV_KMSG_LINE + 56];
	const char *semi = memchr(rec, ';', len), *p = rec, *e;
	int bad = !semi;
	c->lines++;
	/* each number ends in a comma before the ';' (digits stop there) */
	for (int i = 0; i < 3 && !bad; i++) {
		bad = parse_u64_prefix(p, &e, &f[i]) || e >= semi || *e != ',';
		p = bad ? p : e + 1;
	}
	if (bad) {
		c->skipped++;
		return -EINVAL;
	}
	uint64_t pri = f[0], usec = f[2];
	if (pri >= 8)
		return 0; /* written by user space, not the kernel */
	const char *t = semi + 1, *end = rec + len;
	const char *nl = memchr(t, '\n', (size_t)(end - t));
	if (nl)
		end = nl;
	size_t tl = (size_t)(end - t);
	if (tl >= sizeof text)
		tl = sizeof text - 1;
	for (size_t i = 0; i < tl; i++) {
		unsigned char ch = (unsigned char)t[i];
		text[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	text[tl] = '\0';
	int k = gv_kmsg_classify(text);
	if (k < 0)
		return 0;
	c->n[k]++;
	size_t keep = tl < sizeof c->latest ? tl : sizeof c->latest - 1;
	memcpy(c->latest, text, keep);
	c->latest[keep] = '\0';
	c->latest_ts_s = (double)usec / 1e6;
	return 0;
}

int gv_kmsg_read_file(const char *root, struct gv_kmsg_counts *c, char *err, size_t n)
{
	char *text = NULL;
	size_t len;
	memset(c, 0, sizeof *c);
	c->latest_ts_s = -1;
	int r = kfs_read_alloc(root, "dev/kmsg", &text, &len);
	if (r == -ENOENT)
		return 0;
	if (r) {
		snprintf(err, n, "dev/kmsg: %s", strerror(-r));
		return r;
	}
	c->present = 1;
	for (size_t i = 0; i < len;) {
		/* a record: its line and the dict lines (" KEY=VALUE") after it */
		size_t j = i;
		do {
			const char *nl = memchr(text + j, '\n', len - j);
			j = nl ? (size_t)(nl - text) + 1 : len;
		} while (j < len && text[j] == ' ');
		if (j - i > 1 || text[i] != '\n')
			gv_kmsg_record(text + i, j - i, c);
		i = j;
		if (c->lines >= GV_KMSG_MAX_RECORDS && i < len) {
			c->skipped++;
			break;
		}
	}
	free(text);
	return 0;
}

struct gv_kmsg {
	int fd;		/* -1: not open (yet) */
	int failed;	/* open failed: errno, not tried again */
	char buf[8192]; /* one record (CONSOLE_EXT_LOG_MAX) */
	char latest[GV_KMSG_LINE]; /* the latest known line so far, and its time */
	double latest_ts_s;
};

struct gv_kmsg *gv_kmsg_new(void)
{
	struct gv_kmsg *k = calloc(1, sizeof *k);
	if (k) {
		k->fd = -1;
		k->latest_ts_s = -1;
	}
	return k;
}

void gv_kmsg_free(struct gv_kmsg *k)
{
	if (!k)
		return;
	if (k->fd >= 0)
		close(k->fd);
	free(k);
}

static int kmsg_read(struct gv_kmsg *k, const char *root, struct gv_kmsg_counts *c,
		     char *err, size_t n);

/* The latest known line stays from one reading to the next (the counts do
 * not): a reading with none of its own shows the last one, with its time. */
int gv_kmsg_read(struct gv_kmsg *k, const char *root, struct gv_kmsg_counts *c,
		 char *err, size_t n)
{
	int r = kmsg_read(k, root, c, err, n);
	if (c->latest[0]) {
		memcpy(k->latest, c->latest, sizeof k->latest);
		k->latest_ts_s = c->latest_ts_s;
	} else if (k->latest[0]) {
		memcpy(c->latest, k->latest, sizeof c->latest);
		c->latest_ts_s = k->latest_ts_s;
	}
	return r;
}

static int kmsg_read(struct gv_kmsg *k, const char *root, struct gv_kmsg_counts *c,
		     char *err, size_t n)
{
	char path[512];
	memset(c, 0, sizeof *c);
	c->latest_ts_s = -1;
	if (k->failed) {
		snprintf(err, n, "dev/kmsg: %s", strerror(k->failed));
		return k->failed == ENOENT ? 0 : -k->failed;
	}
	if (k->fd < 0) {
		int r = kfs_path(root, "dev/kmsg", path, sizeof path);
		if (r)
			return r;
		k->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (k->fd < 0) {
			k->failed = errno;
			snprintf(err, n, "dev/kmsg: %s", strerror(errno));
			return k->failed == ENOENT ? 0 : -k->failed;
		}
		/* from now on: what came before the agent started is not news */
		lseek(k->fd, 0, SEEK_END);
		c->present = 1;
		return 0;
	}
	c->present = 1;
	for (int i = 0; i < GV_KMSG_MAX_RECORDS; i++) {
		ssize_t got = read(k->fd, k->buf, sizeof k->buf - 1);
		if (got > 0) {
			gv_kmsg_record(k->buf, (size_t)got, c);
			continue;
		}
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 && errno == EPIPE) {
			c->skipped++; /* overwritten before we read them */
			continue;
		}
		return 0; /* EAGAIN: nothing more now */
	}
	/* a flood: drop what is left, counted once */
	lseek(k->fd, 0, SEEK_END);
	c->skipped++;
	return 0;
}
