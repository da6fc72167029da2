/* SPDX-License-Identifier: GPL-2.0-or-later */
/* wire: the agent <-> hostd message codec. One JSON object per line, strict
 * decoding of untrusted input into typed structs, encoding to one line that
 * always ends in "\n". docs/protocol.md is the specification. */
#ifndef VTUNE_WIRE_H
#define VTUNE_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* Protocol versions this build speaks, and the current one. Version 2
 * asks a guest for any guest action of the action table, planned by the
 * agent from its own current value; version 1 carries sysctl values. */
#define WIRE_VERSION 2
#define WIRE_V_MIN 1
#define WIRE_V_MAX 2
#define WIRE_V_LIMIT 65535 /* largest version number accepted at all */

/* The virtio-serial port name the agent listens on (KVM: the <channel>
 * target name hostd looks for and `vtune kvm channel-xml` prints). */
#define KVM_AGENT_CHANNEL "org.vtune.agent.0"

/* Xen (docs/protocol.md, "Xen: the same messages on xenstore"): a host whose
 * hello names this capability joins a report the agent split over
 * data/vtune/report-0 .. report-(N-1), N in data/vtune/report-parts, at
 * most WIRE_XS_PARTS_MAX of them; to any other host the agent writes one
 * value (trimmed to fit). */
#define WIRE_CAP_XS_PARTS "xs-report-parts"
#define WIRE_XS_PARTS_MAX 16

/* Limits (bytes unless noted). A line is at most WIRE_MAX_LINE bytes
 * counting its newline. String limits exclude the terminating NUL. */
#define WIRE_MAX_LINE 65536
#define WIRE_MAX_DEPTH 16   /* JSON nesting, the outer object is depth 1 */
#define WIRE_MAX_CONTAINERS 4096 /* objects + arrays in one line: json-c spends
				  * ~1 KiB on each, so "{},{},..." would cost
				  * ~20 MB per 64 KiB line */
#define WIRE_MAX_KEY 128
#define WIRE_MAX_VALUE 256
#define WIRE_MAX_RULE 64
#define WIRE_MAX_REASON 256
#define WIRE_MAX_VERSTR 32
#define WIRE_MAX_CAP 64
#define WIRE_MAX_CAPS 32    /* entries */
#define WIRE_MAX_CHANGES 32 /* entries in one apply */
#define WIRE_MAX_KIND 15    /* an action kind's name */
#define WIRE_MAX_NUM 24     /* min / max text */
#define WIRE_MAX_REFS 64    /* entries in a revert's refs */
#define WIRE_MAX_RESULTS 64 /* entries in one ack */
#define WIRE_MAX_ID ((1ULL << 53) - 1) /* id and seq: exact in any JSON reader */
#define WIRE_MAX_INTERVAL_S 86400.0

enum wire_type {
	WIRE_HELLO = 1,
	WIRE_REPORT,
	WIRE_APPLY,
	WIRE_REVERT,
	WIRE_ACK,
	WIRE_ERROR,
};

enum wire_role { WIRE_ROLE_AGENT = 1, WIRE_ROLE_HOST };

struct wire_hello {
	enum wire_role role;
	char version[WIRE_MAX_VERSTR + 1]; /* "x.y.z" */
	unsigned min_v, max_v;
	unsigned ncaps;
	char caps[WIRE_MAX_CAPS][WIRE_MAX_CAP + 1];
};

struct wire_report {
	uint64_t seq;        /* increasing per connection; <= WIRE_MAX_ID */
	uint64_t mono_ns;    /* guest monotonic clock; <= INT64_MAX */
	double interval_s;   /* (0, WIRE_MAX_INTERVAL_S] */
	json_object *sample; /* an object; one reference owned by the msg */
};

/* One action an apply asks for. Version 1: kind "sysctl", key and value
 * only. Version 2: any guest kind of the action table; op ("set",
 * "scale", "step", "widen"), value, min and max describe how the agent
 * computes the new value from the one it finds; ref is the host's journal
 * record of the change, echoed in the ack and named by a revert. */
struct wire_change {
	char kind[WIRE_MAX_KIND + 1];
	char target[WIRE_MAX_KEY + 1];	/* "" when none */
	char key[WIRE_MAX_KEY + 1];	/* sysctl name, dotted: net.core.somaxconn */
	char value[WIRE_MAX_VALUE + 1];
	bool has_value;
	char op[8];			/* "" = set */
	char min[WIRE_MAX_NUM + 1], max[WIRE_MAX_NUM + 1];
	bool has_min, has_max;
	uint64_t ref;			/* 0: none */
};

struct wire_apply {
	uint64_t id;
	char rule[WIRE_MAX_RULE + 1];
	unsigned nchanges;           /* 1 .. WIRE_MAX_CHANGES */
	struct wire_change *changes; /* heap, owned by the msg */
	size_t capchanges;           /* entries allocated (wire_apply_add_change) */
};

struct wire_revert {
	uint64_t id;
	bool has_rule;
	char rule[WIRE_MAX_RULE + 1];
	bool all; /* exactly one of has_rule, all and (version 2) refs */
	unsigned nrefs;
	uint64_t refs[WIRE_MAX_REFS]; /* the host records whose changes to undo */
};

struct wire_result {
	uint64_t ref;		     /* version 2: the request's ref, 0 none */
	char kind[WIRE_MAX_KIND + 1]; /* version 2: "" when absent */
	uint64_t knobs;		     /* version 2: knobs changed for it */
	bool has_knobs;
	char key[WIRE_MAX_KEY + 1];
	bool has_old, has_new, has_error; /* old and new required without error */
	char old_value[WIRE_MAX_VALUE + 1];
	char new_value[WIRE_MAX_VALUE + 1];
	char error[WIRE_MAX_REASON + 1];
};

struct wire_ack {
	uint64_t id;
	unsigned nresults;           /* 0 .. WIRE_MAX_RESULTS */
	struct wire_result *results; /* heap, owned by the msg */
	size_t capresults;           /* entries allocated (wire_ack_add) */
};

struct wire_error {
	char reason[WIRE_MAX_REASON + 1];
};

struct wire_msg {
	unsigned v; /* protocol version of this message */
	enum wire_type type;
	unsigned unknown_fields; /* decode: fields ignored, at any known level */
	union {
		struct wire_hello hello;
		struct wire_report report;
		struct wire_apply apply;
		struct wire_revert revert;
		struct wire_ack ack;
		struct wire_error error;
	} u;
};

/* Zero *msg and set its type and v = WIRE_VERSION. */
void wire_msg_init(struct wire_msg *msg, enum wire_type type);

/* Release what *msg owns (changes, results, the sample reference) and zero
 * it. Safe on a zeroed msg, a failed decode, and twice. */
void wire_msg_free(struct wire_msg *msg);

/* Decode one line (len bytes, the newline optional, NUL not needed) into
 * *msg. The line is untrusted: it must be at most WIRE_MAX_LINE bytes,
 * strict RFC 8259 JSON (no NaN/Infinity, no single quotes, no control bytes
 * in strings), valid UTF-8 without "\u0000" or lone surrogates, without
 * duplicate keys, nested at most WIRE_MAX_DEPTH deep, at most
 * WIRE_MAX_CONTAINERS objects and arrays, integer literals
 * within 64 bits and every number finite; then an object whose fields match
 * its type. Unknown fields are ignored and counted in msg->unknown_fields.
 * Returns 0 (free with wire_msg_free), -EMSGSIZE (too long), -EINVAL (not
 * valid JSON / UTF-8), -EPROTO (valid JSON but not a valid message: unknown
 * type, unsupported version, a missing or bad field) or -ENOMEM. On error
 * *msg needs no free and err (if not NULL) holds a one-line reason such as
 * "field 'seq': not an unsigned integer". */
int wire_decode(const char *line, size_t len, struct wire_msg *msg,
		char *err, size_t errlen);

/* Encode *msg (not modified; v 0 means WIRE_VERSION) as one line ending in
 * "\n" with no other newline. *line is malloc'd and NUL-terminated, *len
 * counts the newline, not the NUL. The result is checked with wire_decode,
 * so nothing is sent that a peer would refuse. Returns 0, -EINVAL (a field
 * is invalid; err says which), -EMSGSIZE (longer than WIRE_MAX_LINE) or
 * -ENOMEM. */
int wire_encode(const struct wire_msg *msg, char **line, size_t *len,
		char *err, size_t errlen);

/* Append a change to an apply / a result to an ack (strings copied; they
 * are checked at encode time, here only for length). old_value, new_value
 * and error may be NULL (absent). Returns 0, -E2BIG (list full), -EINVAL
 * (a string too long) or -ENOMEM. wire_apply_add adds a version 1 sysctl
 * value; wire_apply_add_change any change (c copied). */
int wire_apply_add(struct wire_msg *msg, const char *key, const char *value);
int wire_apply_add_change(struct wire_msg *msg, const struct wire_change *c);
int wire_ack_add(struct wire_msg *msg, const char *key, const char *old_value,
		 const char *new_value, const char *error);
/* The same with the version 2 fields of a result: ref, kind ("" none) and
 * knobs (< 0: absent). */
int wire_ack_add_v2(struct wire_msg *msg, uint64_t ref, const char *kind,
		    const char *key, const char *old_value, const char *new_value,
		    const char *error, long knobs);

/* Version negotiation: the highest version in both [my_min, my_max] and
 * [peer_min, peer_max]. Returns 0 with *agreed set, or -EPROTO when the
 * ranges do not overlap (err then holds the reason to send in an "error"
 * message before closing). */
int wire_negotiate(unsigned my_min, unsigned my_max, unsigned peer_min,
		   unsigned peer_max, unsigned *agreed, char *err,
		   size_t errlen);

/* "hello", "report", ... or "?" for an unknown value. */
const char *wire_type_name(enum wire_type type);

/* True when s[0..len) is valid UTF-8 (no overlongs, no surrogates, nothing
 * above U+10FFFF). NUL bytes are valid UTF-8; callers that mind check. */
bool wire_utf8_valid(const char *s, size_t len);

#endif
