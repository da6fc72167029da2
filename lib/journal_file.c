/* SPDX-License-Identifier: GPL-2.0-or-later */
/* journal_file: the journal is a file vtune owns. Opened without following
 * symlinks, refused unless a regular file of root (or of this user) with
 * mode 0600 in a directory only its owner can write; a header line names
 * it; every record line carries its CRC-32C (a last "crc" member: each
 * line stays a JSON object); read as a stream in bounded
 * memory; history that is fully reverted is compacted away (the previous
 * file kept as PATH.1). */
#include "crc32c.h"
#include "journal_int.h"
#include "log.h"
#include "parse.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define HEADER_KEY "{\"vtune_journal\":"
#define JOURNAL_FORMAT 2
#define CRC_SUFFIX 18		/* ,"crc":"XXXXXXXX"} */
#define COMPACT_MIN 1024	/* records of closed history before a rewrite */
#define SWEEP_MIN 1024		/* closed changes in memory before a sweep */
#define READ_CHUNK 65536

/* ---- directories ---- */

static int fsync_dir_of(const char *path)
{
	char *d = strdup(path);
	if (!d)
		return -ENOMEM;
	char *slash = strrchr(d, '/');
	if (slash == d)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(d, ".");
	int r = 0, fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		r = -errno;
	if (fd >= 0)
		close(fd);
	free(d);
	return r;
}

/* mkdir -p of path's parent directories, mode 0700, each one synced. */
static int make_parents(const char *path)
{
	char *p = strdup(path);
	int r = 0;
	if (!p)
		return -ENOMEM;
	for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(p, 0700) == 0) {
			r = fsync_dir_of(p);
		} else if (errno != EEXIST) {
			r = -errno;
		}
		*s = '/';
		if (r)
			break;
	}
	free(p);
	return r;
}

/* Owned by root or by the user running us (who could write it anyway). */
static int owner_ok(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

/* The directory holding path: only its owner (root, or us) may write in
 * it, or anyone could swap the journal. 0 or -EPERM with why. */
static int check_dir(const char *path, const char **why)
{
	char *d = strdup(path);
	struct stat st;
	if (!d)
		return -ENOMEM;
	char *slash = strrchr(d, '/');
	if (slash == d)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(d, ".");
	int r = stat(d, &st) < 0 ? -errno : 0;
	free(d);
	if (r)
		return *why = "its directory cannot be read", r;
	if (!S_ISDIR(st.st_mode) || !owner_ok(st.st_uid) || (st.st_mode & 022))
		return *why = "its directory may be written by others than root", -EPERM;
	return 0;
}

/* The open file: regular, ours, 0600 or stricter. 0 or -errno with why. */
static int check_file(int fd, const char **why)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return *why = "cannot stat it", -errno;
	if (!S_ISREG(st.st_mode))
		return *why = "not a regular file", -EINVAL;
	if (!owner_ok(st.st_uid))
		return *why = "not owned by root", -EPERM;
	if (st.st_mode & 077)
		return *why = "readable or writable by others (want mode 0600)", -EPERM;
	return 0;
}

/* ---- lines ---- */

static int write_all(int fd, const char *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t w = write(fd, buf + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		done += (size_t)w;
	}
	return 0;
}

/* A line of the file: the JSON object text with its last member
 * "crc":"XXXXXXXX", the CRC-32C of everything before ,"crc": (so each line
 * stays a JSON object for jq and scripts), and a newline; malloc'd. */
static int seal(const char *text, size_t len, char **out, size_t *outlen)
{
	if (len < 2 || text[len - 1] != '}' || len + CRC_SUFFIX + 1 >= JOURNAL_LINE_MAX)
		return len < 2 ? -EINVAL : -E2BIG;
	size_t body = len - 1; /* without the closing brace */
	char *line = malloc(body + CRC_SUFFIX + 2);
	if (!line)
		return -ENOMEM;
	memcpy(line, text, body);
	snprintf(line + body, CRC_SUFFIX + 2, "%s\"crc\":\"%08" PRIx32 "\"}\n",
		 body > 1 ? "," : "", crc32c(0, text, body));
	*out = line;
	*outlen = strlen(line + body) + body;
	return 0;
}

/* Check a line's checksum: 0, or -EBADMSG. */
static int unseal(const char *line, size_t len)
{
	static const char key[] = ",\"crc\":\"";
	size_t k = sizeof key - 1;
	if (len < CRC_SUFFIX || memcmp(line + len - CRC_SUFFIX, key, k) ||
	    memcmp(line + len - 2, "\"}", 2))
		return -EBADMSG;
	uint32_t want = 0;
	for (size_t i = len - 10; i < len - 2; i++) {
		char c = line[i];
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (v < 0)
			return -EBADMSG;
		want = want << 4 | (uint32_t)v;
	}
	return crc32c(0, line, len - CRC_SUFFIX) == want ? 0 : -EBADMSG;
}

static int record_line(const struct jrec *r, char **out, size_t *outlen)
{
	json_object *o = jrn_to_json(r);
	size_t len;
	int err = -ENOMEM;
	if (!o)
		return -ENOMEM;
	const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
	if (s)
		err = seal(s, len, out, outlen);
	json_object_put(o);
	return err;
}

static int write_header(int fd, int64_t base_seq, off_t *size)
{
	char text[96], *line;
	size_t len;
	int n = snprintf(text, sizeof text, HEADER_KEY "%d,\"base_seq\":%" PRId64 "}", JOURNAL_FORMAT,
			 base_seq);
	int r = seal(text, (size_t)n, &line, &len);
	if (r)
		return r;
	r = write_all(fd, line, len);
	free(line);
	if (!r)
		*size += (off_t)len;
	return r;
}

/* A header line: 0 with base_seq, -EBADMSG when it is damaged, -ENOENT
 * when it is no header at all. */
static int parse_header(const char *line, size_t len, int64_t *base)
{
	size_t tl;
	if (len < sizeof HEADER_KEY - 1 || memcmp(line, HEADER_KEY, sizeof HEADER_KEY - 1))
		return -ENOENT;
	if (unseal(line, len))
		return -EBADMSG;
	tl = len - CRC_SUFFIX;
	static const char mid[] = ",\"base_seq\":";
	char text[96];
	const char *e;
	uint64_t fmt, b;
	if (tl >= sizeof text)
		return -EBADMSG;
	memcpy(text, line, tl);
	text[tl] = '\0';
	/* HEADER_KEY FORMAT ,"base_seq": BASE (what follows is not looked at) */
	if (parse_u64_prefix(text + sizeof HEADER_KEY - 1, &e, &fmt) || fmt != JOURNAL_FORMAT ||
	    strncmp(e, mid, sizeof mid - 1) || parse_u64_prefix(e + sizeof mid - 1, &e, &b) ||
	    b > INT64_MAX)
		return -EBADMSG;
	*base = (int64_t)b;
	return 0;
}

int jrn_write(struct journal *j, const struct jrec *r, int sync)
{
	char *line;
	size_t len;
	int err = record_line(r, &line, &len);
	if (err)
		return err;
	err = write_all(j->fd, line, len);
	free(line);
	if (!err && sync && fdatasync(j->fd) < 0)
		err = -errno;
	if (err) {
		/* Never leave a torn line behind us: cut back to the last record. */
		if (ftruncate(j->fd, j->size) < 0)
			log_err("journal %s: cannot cut a torn record: %s", j->path, strerror(errno));
		log_err("journal %s: append failed: %s", j->path, strerror(-err));
		return err;
	}
	j->syncs += sync;
	j->size += (off_t)len;
	j->unsynced = !sync;
	j->on_disk++;
	return 0;
}

/* ---- memory: drop what is closed ---- */

/* Drop closed changes (reverted, failed) and their marks from memory, and
 * marks whose change is not there. */
void jrn_sweep(struct journal *j)
{
	size_t k = 0;
	for (size_t i = 0; i < j->n; i++) {
		struct jent *e = j->ents[i];
		const struct jent *set = strcmp(e->r.op, "set") ? jrn_find(j, e->r.ref) : e;
		e->dead = !set || jrn_closed(set);
	}
	for (size_t i = 0; i < j->n; i++) {
		struct jent *e = j->ents[i];
		if (e->dead)
			free(e);
		else
			j->ents[k++] = e;
	}
	j->n = k;
}

/* Rewrite the file with the open changes only (and their marks), the
 * previous one kept as PATH.1: no record is lost at any crash point, PATH
 * always being a whole journal. 0 or -errno (the old file stays). */
static int rewrite(struct journal *j)
{
	size_t plen = strlen(j->path);
	char *tmp = malloc(plen + 8), *old = malloc(plen + 8);
	off_t size = 0;
	int fd = -1, r;
	if (!tmp || !old) {
		r = -ENOMEM;
		goto out;
	}
	snprintf(tmp, plen + 8, "%s.tmp", j->path);
	snprintf(old, plen + 8, "%s.1", j->path);
	jrn_sweep(j);
	unlink(tmp); /* a rewrite a crash interrupted */
	fd = open(tmp, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = -errno;
		goto out;
	}
	r = write_header(fd, j->last_seq, &size);
	for (size_t i = 0; !r && i < j->n; i++) {
		char *line;
		size_t len;
		r = record_line(&j->ents[i]->r, &line, &len);
		if (!r) {
			r = write_all(fd, line, len);
			free(line);
			size += (off_t)len;
		}
	}
	if (!r && fdatasync(fd) < 0)
		r = -errno;
	if (r)
		goto out;
	if (unlink(old) < 0 && errno != ENOENT)
		log_warn("journal %s: cannot replace %s: %s", j->path, old, strerror(errno));
	else if (link(j->path, old) < 0)
		log_warn("journal %s: history not kept in %s: %s", j->path, old, strerror(errno));
	if (rename(tmp, j->path) < 0) {
		r = -errno;
		goto out;
	}
	fsync_dir_of(j->path);
	log_info("journal %s: compacted: %zu records of closed history moved to %s, %zu kept",
		 j->path, j->on_disk > j->n ? j->on_disk - j->n : 0, old, j->n);
	close(j->fd);
	j->fd = fd;
	fd = -1;
	j->size = size;
	j->on_disk = j->n;
	j->unsynced = 0;
	j->legacy = 0;
	j->compactions++;
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	if (r)
		log_err("journal %s: compaction failed (the journal stays as it is): %s", j->path,
			strerror(-r));
	free(tmp);
	free(old);
	return r;
}

static int damaged(const struct journal *j)
{
	return j->corrupt > j->torn;
}

int journal_maintain(struct journal *j)
{
	if (j && j->fwd && !j->batch) {
		/* the writer compacts its file; this memory follows it */
		int r = j->fwd(j->fwd_arg, JOURNAL_FWD_MAINTAIN, NULL, 0, NULL, NULL);
		if (r == 1)
			jrn_sweep(j);
		return r;
	}
	if (!j || j->fd < 0 || j->batch || j->no_compact)
		return 0;
	size_t live = 0;
	for (size_t i = 0; i < j->n; i++) {
		const struct jent *e = j->ents[i];
		const struct jent *set = strcmp(e->r.op, "set") ? jrn_find(j, e->r.ref) : e;
		live += set && !jrn_closed(set);
	}
	size_t gone = j->on_disk > live ? j->on_disk - live : 0;
	if (!j->legacy && (gone < COMPACT_MIN || gone < live))
		return 0;
	if (damaged(j)) /* damage is never compacted away: revert reports it */
		return 0;
	if (j->unsynced && journal_sync(j))
		return -EIO;
	return rewrite(j) ? -EIO : 1;
}

/* ---- loading ---- */

static void damage(struct journal *j, size_t lineno, const char *why, int torn)
{
	j->corrupt++;
	j->torn += torn;
	if (j->ndamage < JOURNAL_DAMAGE_MAX) {
		char buf[160];
		snprintf(buf, sizeof buf, "line %zu: %s", lineno, why);
		if ((j->damage[j->ndamage] = strdup(buf)))
			j->ndamage++;
		log_warn("journal %s:%zu: %s", j->path, lineno, why);
	}
}

struct loader {
	struct journal *j;
	int ro, header_seen, skipping;
	size_t lineno, skip_line; /* skip_line: the overlong line being skipped */
	off_t torn_at; /* offset of a torn last line, -1 none */
	size_t closed; /* changes closed since the last sweep */
};

/* One whole line (without its newline) of the file. 0, or -errno to stop
 * (-EBADMSG: no journal of ours). */
static int one_line(struct loader *L, const char *line, size_t len)
{
	struct journal *j = L->j;
	const char *reason = NULL;
	int stale = 0;

	L->lineno++;
	if (L->lineno == 1) {
		int64_t base;
		int r = parse_header(line, len, &base);
		if (r == 0) {
			L->header_seen = 1;
			j->base_seq = base;
			return 0;
		}
		if (r == -EBADMSG) {
			damage(j, 1, "damaged header", 0);
			L->header_seen = 1; /* vtune's, by its key: read on */
			return 0;
		}
		/* no header: a journal of vtune before format 2, or no journal */
		struct jent *e = len && !memchr(line, '\0', len)
					 ? jrn_parse(j, line, len, &reason, &stale) : NULL;
		if (!e) {
			log_err("journal %s: not a vtune journal (no header): refused, left untouched",
				j->path);
			return -EBADMSG;
		}
		j->legacy = 1;
		j->on_disk++;
		return jrn_add(j, e) ? (free(e), -ENOMEM) : 0;
	}
	if (len == 0) {
		damage(j, L->lineno, "empty line", 0);
		return 0;
	}
	if (memchr(line, '\0', len)) {
		damage(j, L->lineno, "NUL bytes (a zeroed block?): skipped", 0);
		return 0;
	}
	if (!j->legacy && unseal(line, len)) {
		damage(j, L->lineno, "bad checksum: skipped, nothing restored from it", 0);
		return 0;
	}
	j->on_disk++;
	struct jent *e = jrn_parse(j, line, len, &reason, &stale);
	if (!e) {
		if (stale) {
			j->stale++;
			return 0;
		}
		if (!strcmp(reason, "out of memory"))
			return -ENOMEM;
		char why[128];
		snprintf(why, sizeof why, "%s: skipped", reason);
		damage(j, L->lineno, why, 0);
		return 0;
	}
	if (jrn_add(j, e)) {
		free(e);
		return -ENOMEM;
	}
	if (strcmp(e->r.op, "set")) {
		const struct jent *set = jrn_find(j, e->r.ref);
		if (set && jrn_closed(set) && ++L->closed >= SWEEP_MIN && L->closed * 4 > j->n) {
			jrn_sweep(j); /* memory stays bounded by the open changes */
			L->closed = 0;
		}
	}
	return 0;
}

/* Stream the file through a buffer of twice the longest line. */
static int load(struct journal *j, int fd, int ro)
{
	size_t cap = 2 * JOURNAL_LINE_MAX, have = 0;
	char *buf = malloc(cap);
	off_t off = 0; /* file offset of buf[0] */
	struct loader L = { .j = j, .ro = ro, .torn_at = -1 };
	int r = 0;
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n = read(fd, buf + have, cap - have < READ_CHUNK ? cap - have : READ_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			goto out;
		}
		have += (size_t)n;
		size_t start = 0;
		char *nl;
		while ((nl = memchr(buf + start, '\n', have - start))) {
			size_t len = (size_t)(nl - (buf + start));
			if (L.skipping) { /* the end of an overlong line */
				L.skipping = 0;
				damage(j, L.skip_line, "line too long: skipped", 0);
				L.torn_at = -1;
			} else if ((r = one_line(&L, buf + start, len))) {
				goto out;
			}
			start += len + 1;
		}
		if (n == 0) {
			if (start < have && !L.skipping) {
				/* no newline at the end: a record torn by a crash */
				L.lineno++;
				if (L.lineno == 1) {
					/* one line, no newline: a journal of ours has a whole header */
					if (parse_header(buf, have, &j->base_seq) != 0) {
						log_err("journal %s: not a vtune journal (no header): refused, "
							"left untouched", j->path);
						r = -EBADMSG;
						goto out;
					}
					L.header_seen = 1;
				} else {
					damage(j, L.lineno, ro ? "torn record (no newline)"
							       : "torn record (no newline): cut", 1);
					L.torn_at = off + (off_t)start;
				}
			} else if (L.skipping) {
				damage(j, L.skip_line, ro ? "line too long, no newline"
							 : "line too long, no newline: cut", 1);
			}
			break;
		}
		if (start == 0 && have == cap) {
			/* longer than any record: skip to its end */
			if (!L.skipping) {
				L.skip_line = ++L.lineno;
				L.skipping = 1;
				L.torn_at = off; /* if it never ends, it is cut */
			}
			off += (off_t)have;
			have = 0;
			continue;
		}
		memmove(buf, buf + start, have - start);
		off += (off_t)start;
		have -= start;
	}
	if (j->base_seq > j->last_seq)
		j->last_seq = j->base_seq; /* numbering goes on past compacted records */
	j->size = off + (off_t)have;
	if (L.torn_at >= 0 && !ro && L.header_seen) {
		if (ftruncate(fd, L.torn_at) < 0 || fsync(fd) < 0) {
			r = -errno;
			goto out;
		}
		j->size = L.torn_at;
	}
	if (j->corrupt > JOURNAL_DAMAGE_MAX)
		log_warn("journal %s: %zu damaged lines in all (the first %d said)", j->path,
			 j->corrupt, JOURNAL_DAMAGE_MAX);
	jrn_sweep(j);
out:
	free(buf);
	return r;
}

struct journal *jrn_open(const char *path, int ro, int *err)
{
	struct journal *j = calloc(1, sizeof *j);
	const char *why = NULL;
	int r, created = 0, fd = -1;

	if (!j || !(j->path = strdup(path))) {
		r = -ENOMEM;
		goto fail;
	}
	j->fd = -1;
	if (!ro && (r = make_parents(path)))
		goto fail;
	if ((r = check_dir(path, &why)))
		goto refused;
	/* O_NOFOLLOW: never through a symlink; O_NONBLOCK: a FIFO does not
	 * hang us (it is refused as not regular) */
	fd = open(path, (ro ? O_RDONLY : O_RDWR | O_APPEND) | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && !ro) {
		fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		created = fd >= 0;
	}
	if (fd < 0) {
		r = -errno;
		if (r == -ELOOP)
			why = "a symbolic link";
		if (why)
			goto refused;
		goto fail;
	}
	if ((r = check_file(fd, &why)))
		goto refused;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	if (!ro && flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = -errno;
		log_err("journal %s: in use by another process", path);
		goto fail;
	}
	if ((r = load(j, fd, ro)))
		goto fail;
	if (ro) {
		close(fd);
		return j;
	}
	j->fd = fd;
	fd = -1;
	if (j->size == 0) { /* new (or empty): its header first */
		if ((r = write_header(j->fd, j->last_seq, &j->size)) || fsync(j->fd) < 0) {
			r = r ? r : -errno;
			goto fail;
		}
		if (created && (r = fsync_dir_of(path)))
			goto fail;
	} else if (j->legacy) {
		/* a journal of format 1: read once, rewritten with a header and
		 * checksums (the old file kept as PATH.1), unless damaged: then
		 * it is left for an operator */
		if (damaged(j)) {
			log_err("journal %s: a journal of an older vtune with %zu damaged lines: "
				"not converted; `vtune revert --dry-run` lists them", path, j->corrupt);
			r = -EBADMSG;
			goto fail;
		}
		if ((r = rewrite(j)))
			goto fail;
		log_info("journal %s: converted to format %d (the old file is %s.1)", path,
			 JOURNAL_FORMAT, path);
	} else {
		journal_maintain(j);
	}
	return j;
refused:
	log_err("journal %s: refused: %s", path, why);
fail:
	if (fd >= 0)
		close(fd);
	journal_close(j);
	*err = r;
	return NULL;
}

size_t journal_damage_count(const struct journal *j)
{
	return j ? j->corrupt - j->torn : 0;
}

const char *journal_damage(const struct journal *j, size_t i)
{
	return j && i < j->ndamage ? j->damage[i] : NULL;
}

void journal_set_compact(struct journal *j, int on)
{
	if (j)
		j->no_compact = !on;
}

/* ---- is the journal in use? ----
 *
 * Read from the kernel's list of locks (/proc/locks) rather than probed
 * with flock(LOCK_SH|LOCK_NB): the probe would hold a lock itself for a
 * moment, and a vtune-hostd starting in that moment would find the
 * journal "in use" and refuse to start. The list has no side effect. Its
 * limit: a holder in another PID namespace is not listed (the kernel shows
 * a reader only the locks of processes it can see); a real revert still
 * finds that holder, by its own exclusive lock attempt. */

int journal_in_use_from(const char *locks, const char *path)
{
	struct stat st;
	char line[256];
	int found = 0;
	if (stat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	FILE *f = fopen(locks, "re");
	if (!f)
		return -errno;
	while (!found && fgets(line, sizeof line, f)) {
		/* "1: FLOCK  ADVISORY  WRITE 1234 fe:00:1109 0 EOF"; a waiter's
		 * line reads "1: -> FLOCK ...": the lock it waits for is listed
		 * on its own line */
		char type[16], mode[16], rw[16], arrow[4];
		unsigned maj, min;
		unsigned long long ino;
		long pid;
		if (sscanf(line, "%*u: %3s", arrow) == 1 && !strcmp(arrow, "->"))
			continue;
		if (sscanf(line, "%*u: %15s %15s %15s %ld %x:%x:%llu", type, mode, rw, &pid, &maj,
			   &min, &ino) != 7)
			continue;
		found = !strcmp(type, "FLOCK") && ino == (unsigned long long)st.st_ino &&
			maj == major(st.st_dev) && min == minor(st.st_dev);
	}
	fclose(f);
	return found;
}

int journal_in_use(const char *path)
{
	return journal_in_use_from("/proc/locks", path);
}
