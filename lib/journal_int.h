/* SPDX-License-Identifier: GPL-2.0-or-later */
/* journal_int: the journal's internals, shared by journal.c (records in
 * memory, apply, revert) and journal_file.c (the file vtune owns: checks,
 * header, checksums, streaming load, compaction). No other module. */
#ifndef VTUNE_JOURNAL_INT_H
#define VTUNE_JOURNAL_INT_H

#include <json-c/json.h>
#include <sys/types.h>

#include "journal.h"

/* JOURNAL_DAMAGE_MAX: journal.h */

struct jent {
	struct jrec r;       /* strings live in the same allocation */
	const char *state;   /* "set" records: op of the last mark, or "set" */
	const char *eff_new; /* "set" records: the value vtune left behind */
	const char *eff_old; /* "set" records: the original value */
	int dead;	     /* sweep: to be dropped */
};

struct journal {
	char *path;
	int fd;              /* -1 when read-only */
	off_t size;          /* bytes of whole records on disk */
	int64_t last_seq;
	int64_t base_seq;    /* the header's: numbers given out before its records */
	struct jent **ents;  /* in memory: open changes and their marks, and
			      * every record appended since the last sweep */
	size_t n, cap;
	size_t corrupt;	     /* damaged lines seen when opened (torn ones too) */
	size_t torn;	     /* of those: a torn last record, cut */
	size_t stale;	     /* marks of changes compacted away (ignored) */
	size_t on_disk;	     /* records in the file */
	char *damage[JOURNAL_DAMAGE_MAX]; /* "line N: why", the first ones */
	size_t ndamage;
	int legacy;	     /* the file had no header (a journal before v2) */
	int batch;	     /* journal_batch_begin: intents wait for journal_batch_end */
	int unsynced;	     /* records written since the last fdatasync */
	size_t syncs;	     /* fdatasyncs done */
	size_t compactions;  /* rewrites done since open */
	int no_compact;	     /* tests: never compact */
	journal_fwd_fn fwd;  /* privilege separation: the writer is another process */
	void *fwd_arg;
};

/* journal.c: the record model */
struct jent *jrn_ent_new(const struct jrec *src);
struct jent *jrn_find(const struct journal *j, int64_t seq);
/* Add a record read or written (marks update their set). 0 or -ENOMEM. */
int jrn_add(struct journal *j, struct jent *e);
/* 0, or -EINVAL with a reason: r cannot follow the records in memory.
 * loading: a mark whose set is not in memory is -ENOENT (compacted). */
int jrn_validate(const struct journal *j, const struct jrec *r, int loading,
		 const char **reason);
json_object *jrn_to_json(const struct jrec *r);
/* One record from its JSON text; NULL with a reason. *stale set when it is
 * a well-formed mark whose change is no longer in memory. */
struct jent *jrn_parse(const struct journal *j, const char *text, size_t len,
		       const char **reason, int *stale);
/* Is the change closed for good (reverted or failed)? */
int jrn_closed(const struct jent *e);

/* Where records go: the file (fd), or the writing process (fwd). */
static inline int jrn_writable(const struct journal *j)
{
	return j->fd >= 0 || j->fwd;
}
/* Drop closed changes and their marks from memory (journal_file.c). */
void jrn_sweep(struct journal *j);

/* journal_file.c: the file */
/* Write the record as one checksummed line; sync when asked. 0 or -errno
 * (a torn write is cut back). */
int jrn_write(struct journal *j, const struct jrec *r, int sync);
/* Open, check, load (and repair / convert / compact when rw). */
struct journal *jrn_open(const char *path, int ro, int *err);

#endif
