/* SPDX-License-Identifier: GPL-2.0-or-later */
/* journal: the append-only change journal. Every change is recorded (and
 * fsync'd) before it is made, so `vtune revert` restores original values
 * exactly, after a crash too; outcomes are synced with the next record or
 * in groups. A file vtune owns (journal_file.c): a header line, then one
 * JSON object per line, each followed by a tab and its CRC-32C in hex. */
#ifndef VTUNE_JOURNAL_H
#define VTUNE_JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JOURNAL_FIELD_MAX 4096  /* longest string field, bytes */
#define JOURNAL_LINE_MAX 65536  /* longest record line, bytes */
#define JOURNAL_UNCHANGED 1     /* journal_apply: knob already had the value */
#define JOURNAL_DAMAGE_MAX 64   /* damaged lines listed (and logged) per open */

/* One record. Strings are never NULL in records the journal hands out
 * ("" when absent). Ops:
 *   "set"      intent: change key of kind/target from old to new (rule, why)
 *   "applied"  the set with seq ref was made (new: the value read back)
 *   "failed"   the set with seq ref failed, old value left (detail: error)
 *   "reverted" the set with seq ref was undone (old: value found, new: value
 *              restored; detail says how)
 *   "skipped"  a revert of ref did not touch the knob (detail: why)
 *   "asked"    a revert of ref was asked of the guest (vtune-hostd); it
 *              stays open until the guest's ack confirms the value */
struct jrec {
	int64_t seq;      /* > 0, increasing within one journal */
	int64_t ref;      /* marks: seq of their "set" record; 0 for "set" */
	uint64_t time_ns; /* wall clock (vclock_wall_ns) when written */
	const char *op;
	const char *side;   /* "guest" | "host" */
	const char *domain; /* guest name for changes sent to a guest, "" local */
	const char *kind;   /* knob kind, see knob.h */
	const char *target;
	const char *key;
	const char *old;
	const char *new;
	const char *rule;   /* policy rule name, or "" */
	const char *why;    /* metric values that fired the rule */
	const char *detail; /* marks: error text, reason */
	const char *guest;  /* vtune-hostd: the guest the change was made for,
			     * whose report drove it (host changes too); "" */
	int64_t host_ref;   /* vtune-agent, on the host's request: the seq of
			     * the host's own record of the change; 0 */
};

struct journal;

/* Open (creating if missing) the journal at path: parent directories are
 * made mode 0700, the file mode 0600 with its header line, and the new
 * file's directory is fsync'd. Refused (-ELOOP, -EINVAL, -EPERM, logged
 * with why) unless path is no symlink but a regular file owned by root
 * (or by the caller) with mode 0600 or stricter, in a directory no one
 * else may write. A file without the header is refused (-EBADMSG) and
 * left untouched, unless it is a journal of an older vtune (format 1, no
 * header: its first line a record), which is read and rewritten with the
 * header (the old file kept as PATH.1). Takes an exclusive flock
 * (-EWOULDBLOCK/-EAGAIN when another process holds the journal). Reads
 * the file as a stream in bounded memory, keeping the changes still open
 * and their marks: a torn LAST line (no newline) is cut; any other
 * damaged line (bad checksum, bad JSON, missing fields, NUL bytes) is
 * logged, counted, listed (journal_damage) and skipped, never restored
 * from, and never compacted away. Closed history (reverted or failed
 * changes) is compacted away when large (journal_maintain). Returns the
 * handle, or NULL with -errno in *err. */
struct journal *journal_open(const char *path, int *err);

/* Open an existing journal for reading only: never creates, repairs,
 * converts, compacts, locks or appends (dry runs, status). The same checks
 * as journal_open. Appending through the handle returns -EROFS. */
struct journal *journal_open_ro(const char *path, int *err);

/* Does a process hold the journal at path (vtune-hostd, vtune-agent run,
 * a revert under way)? Without side effects: nothing is opened but the
 * kernel's list of locks, and no lock is taken (why: journal_file.c). 1 in
 * use, 0 not (or no such file), -errno when it cannot be told. A holder in
 * another PID namespace is not seen. */
int journal_in_use(const char *path);
/* The same, from a copy of /proc/locks at locks (tests). */
int journal_in_use_from(const char *locks, const char *path);

/* Compact when the closed history on disk is large (at least 1024
 * records, and more than what is open): the file is rewritten with the
 * open changes only, atomically, the previous one kept as PATH.1; records
 * of closed changes leave memory too, so journal_record indices change:
 * call it between operations (a daemon's tick). Never with damage in the
 * journal, in a batch or read-only. 1 compacted, 0 nothing to do, -EIO. */
int journal_maintain(struct journal *j);

/* Damaged lines found when opening (torn last lines not counted: they are
 * the crash the journal expects), and the first JOURNAL_DAMAGE_MAX of them
 * as "line N: why" (NULL past the end). */
size_t journal_damage_count(const struct journal *j);
const char *journal_damage(const struct journal *j, size_t i);

/* ---- privilege separation: one process writes, another asks ----
 *
 * In vtune-hostd's unprivileged process the journal is read, never
 * written: every record goes to the privileged process, which checks it
 * and appends it to its own handle of the same journal (the two stay in
 * step: it is the only writer). fwd does one operation there:
 *   JOURNAL_FWD_APPEND: r (seq and time unset) appended with sync when
 *     sync; 0 with the record's *seq and *time_ns, or -errno;
 *   JOURNAL_FWD_SYNC, JOURNAL_FWD_MAINTAIN: journal_sync / journal_maintain
 *     there (r NULL), their return value. */
enum journal_fwd_op { JOURNAL_FWD_APPEND, JOURNAL_FWD_SYNC, JOURNAL_FWD_MAINTAIN };
typedef int (*journal_fwd_fn)(void *arg, enum journal_fwd_op op, const struct jrec *r,
			      int sync, int64_t *seq, uint64_t *time_ns);

/* Send every write of j to fwd from now on, and close j's own descriptor
 * (this process can no longer write the file). */
void journal_forward(struct journal *j, journal_fwd_fn fwd, void *arg);

/* The writer's side: append a record another process asked for (r's
 * seq, time and, for a "set", ref are ignored; marks need a ref naming an
 * open change), checked like any record. 0 with *seq and *time_ns, or
 * -errno (-EINVAL: refused). */
int journal_append_checked(struct journal *j, const struct jrec *r, int sync, int64_t *seq,
			   uint64_t *time_ns);

/* Is value the original value (old) of an open change of this knob in the
 * journal, which a revert may therefore write back? 1 or 0. Changes made
 * in a guest never count: their values are the guest's word. */
int journal_is_original(const struct journal *j, const char *kind, const char *target,
			const char *key, const char *value);

/* The descriptor of a writable journal (-1 otherwise): the privileged
 * process keeps it open across the split. */
int journal_fd(const struct journal *j);

/* Tests: compaction on (the default) or off. */
void journal_set_compact(struct journal *j, int on);

/* Close and free; records handed out become invalid. NULL is fine. */
void journal_close(struct journal *j);

/* Records in memory, oldest first: the open changes and their marks from
 * the file, and every record appended since (until journal_maintain
 * drops the closed ones). The pointer stays valid until journal_close or
 * journal_maintain. i past the end gives NULL. */
size_t journal_count(const struct journal *j);
const struct jrec *journal_record(const struct journal *j, size_t i);
/* The seq of the newest record (0: none yet): it grows with every record
 * appended, compaction or not, so a caller can tell something was written. */
int64_t journal_last_seq(const struct journal *j);
/* The record with this seq, or NULL. */
const struct jrec *journal_find(const struct journal *j, int64_t seq);
/* Lines skipped or truncated as corrupt when the journal was opened (torn
 * last lines included). */
size_t journal_corrupt_count(const struct journal *j);

/* State of the "set" record seq: its last mark's op ("applied", "failed",
 * "reverted", "skipped", "asked"), "set" when it has no mark yet (crash
 * between the record and the change), NULL when seq is no "set" record in
 * memory (closed changes read from the file are not kept). */
const char *journal_state(const struct journal *j, int64_t seq);

/* Append a "set" record (op, seq and time are filled in; side, kind, key,
 * old and new are required) and fsync it (in a batch: at journal_batch_end).
 * Returns the new seq (> 0) or -errno (-EINVAL missing/invalid field,
 * -E2BIG too long, -EROFS, I/O). */
int64_t journal_intent(struct journal *j, const struct jrec *rec);

/* Append a mark (op "applied", "failed", "reverted" or "skipped") for the
 * "set" record seq, with optional detail text. A mark records an outcome
 * and is not synced by itself: the next intent's sync, journal_sync or
 * journal_close carries it; one lost to a power cut reads as a "set" with
 * no outcome, which revert handles like a crash before the change. Returns
 * 0, -ENOENT (no such set record), -EINVAL (bad op) or -errno. */
int journal_mark(struct journal *j, int64_t seq, const char *op,
		 const char *detail);

/* journal_mark with the values it found (old) and left (new), either may
 * be NULL: an "applied" mark's new is what revert expects to find, and
 * its old, the value found where the change was made (a guest's ack, over
 * either protocol), is the original value revert restores, over the
 * record's own old (what the change was planned from: a report's reading,
 * which may be older than the guest's value when it made the change). */
int journal_mark_values(struct journal *j, int64_t seq, const char *op,
			const char *detail, const char *old, const char *new);

/* The values of "set" record seq as they stand: *old the original value
 * (an applied mark's old when it has one, else the record's), *new the
 * value vtune left. 0 or -ENOENT. */
int journal_values(const struct journal *j, int64_t seq, const char **old,
		   const char **new);

/* Group commit for many intents at once (hostd's step over thousands of
 * guests): after journal_batch_begin, journal_intent writes without a sync;
 * journal_batch_end syncs them all with one fdatasync. None of the batch's
 * changes may be made before journal_batch_end returned 0. journal_apply
 * still syncs its intent at once (its change follows right away).
 * journal_batch_end and journal_sync return 0 or -errno. */
void journal_batch_begin(struct journal *j);
int journal_batch_end(struct journal *j);
/* Sync what was written since the last sync (marks). */
int journal_sync(struct journal *j);
/* fdatasyncs done since journal_open. */
size_t journal_sync_count(const struct journal *j);

/* Make one local change the journaled way. change gives side, domain (""),
 * kind, target, key, new, rule and why; old is read here through the kind.
 * Order: read old -> check the kind's bounds -> intent record (fsync) ->
 * write -> "applied" (with the value read back) or "failed" (and the old
 * value is put back if the write left something else). msg (n bytes) gets
 * one line: "set sysctl net.core.somaxconn 4096 -> 8192 (rule R)", or the
 * reason for a refusal / failure. dry_run computes the same text
 * ("would set ...") and writes nothing, neither knob nor journal.
 * Returns 0, JOURNAL_UNCHANGED (knob already at new: nothing recorded),
 * -ENOENT (unknown kind), -EINVAL (remote change, bad record: use
 * journal_intent and the host daemon for those), the kind's check error
 * (-EPERM/-ERANGE/-EINVAL, nothing recorded), or the write's -errno. */
int journal_apply(struct journal *j, const char *root, const struct jrec *change,
		  int dry_run, char *msg, size_t n);

/* Which "set" records journal_revert undoes. */
enum revert_by { REVERT_ALL, REVERT_RULE, REVERT_SINCE, REVERT_HOST_REF, REVERT_SEQ, REVERT_AFTER,
		 REVERT_GUEST };
struct revert_sel {
	enum revert_by by;
	const char *rule;  /* REVERT_RULE: exact rule name */
	uint64_t since_ns; /* REVERT_SINCE: records with time_ns >= since_ns */
	const int64_t *refs; /* REVERT_HOST_REF: records with one of these
			      * host_ref values; REVERT_SEQ: the records with
			      * these seq (nrefs of them) */
	size_t nrefs;
	const char *why;   /* why they are undone (effect verification's
			    * verdict with its figures), added to each mark's
			    * detail and report line; NULL: none */
	int64_t after_seq; /* REVERT_AFTER: records with seq > after_seq (one
			    * expanding plan's changes, undone when it fails) */
	const char *guest; /* REVERT_GUEST: records made for this guest (their
			    * guest field), of one of kinds (NULL-terminated;
			    * NULL: any kind) */
	const char *const *kinds;
};

/* Remote revert (a change made in a guest, side "guest" with a domain):
 * return 0 when the guest restored the original value (journal_values), 1 when it left the knob alone
 * (changed by someone else), JOURNAL_ASKED when the guest was asked and
 * only its answer may mark the record reverted (journal_mark_values; the
 * record is marked "asked" meanwhile, and stays open), -ENOTCONN when its
 * agent cannot be reached now (the revert is queued: marked "asked", and
 * asked when the agent reconnects), another -errno when it cannot be
 * asked at all. With dry_run set it sends nothing and returns what it
 * would: a dry run says exactly what the real run does. */
#define JOURNAL_ASKED 2
typedef int (*journal_remote_fn)(void *arg, const struct jrec *rec, int dry_run);

/* Undo the selected "set" records that are not yet reverted (nor failed),
 * newest first. For each, read the current value: if it is the original
 * value (journal_values' old: the change was never made) or the value
 * vtune set, write the original (unless already there)
 * and append "reverted"; anything else was changed by someone else: leave
 * it (unless force), append "skipped" and say so. Remote records go to
 * remote(arg, rec, dry_run); with remote NULL (no host daemon) or its
 * -ENOTCONN they are queued: marked "asked" (vtune-hostd asks the guest
 * when its agent says hello) and counted as not restored. One line per
 * record goes to report (may be NULL), e.g.
 *   reverted sysctl net.core.somaxconn 8192 -> 4096 (rule listen-overflow)
 *   queued: guest web1 sysctl net.core.somaxconn 8192 -> 4096 (rule
 *     listen-overflow): asked when the guest's agent reconnects
 * dry_run prints "would revert ...", "would queue: ..." and changes
 * nothing, neither knob nor journal. Returns the number of selected
 * records NOT restored (0: all done; queued ones count) or -errno when the
 * journal could not be written. */
int journal_revert(struct journal *j, const char *root,
		   const struct revert_sel *sel, int dry_run, int force,
		   FILE *report, journal_remote_fn remote, void *arg);

/* "Never fight the administrator": for the newest applied, un-reverted local
 * "set" of this knob (side, kind, target, key), has its value changed since
 * vtune set it? Returns 1 (changed; the current value goes to now, n bytes,
 * when now is not NULL), 0 (still vtune's value), -ENOENT (vtune does not
 * manage this knob) or a read error. */
int journal_managed_changed(const struct journal *j, const char *root,
			    const char *side, const char *kind,
			    const char *target, const char *key,
			    char *now, size_t n);

/* How messages name r's knob: "[guest DOMAIN ]kind [target ]key" (the
 * domain for a change made in a guest). */
void journal_label(const struct jrec *r, char *buf, size_t n);

/* Parse a --since TIME: epoch seconds ("1700000000"), relative to now_ns
 * ("-10m", "-2h", "-30s", "-1d") or "YYYY-MM-DDTHH:MM:SS" in UTC (a "Z" may
 * follow). Result in wall ns. Returns 0 or -EINVAL / -ERANGE. */
int journal_parse_time(const char *s, uint64_t now_ns, uint64_t *out_ns);

/* Fault injection for tests: hook(point, rec) is called at each step of
 * journal_apply so a test can kill the process there. NULL disables. Only
 * tests set one: unit tests, and the test builds of the programs
 * (VTUNE_FAULT, tests/tools/journal_fault.c). */
enum journal_point {
	JOURNAL_BEFORE_INTENT, /* old value read and checked, nothing written */
	JOURNAL_AFTER_INTENT,  /* "set" record on disk, knob untouched */
	JOURNAL_AFTER_WRITE,   /* knob written, no "applied" mark yet */
	JOURNAL_AFTER_MARK,    /* "applied" / "failed" on disk */
};
void journal_set_hook(void (*hook)(enum journal_point pt, const struct jrec *rec));

#endif
