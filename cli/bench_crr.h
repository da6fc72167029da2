/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench_crr: what the `vtune bench crr` front end (bench_crr.c) shares with
 * its server (bench_crr_server.c) and client engine (bench_crr_client.c). */
#ifndef VTUNE_BENCH_CRR_H
#define VTUNE_BENCH_CRR_H

#include <stdint.h>
#include <sys/socket.h>

#include "bench_stats.h"

#define CRR_DEFAULT_SIZE 64
#define CRR_MAX_SIZE (1u << 20)      /* largest body served or asked for */
#define CRR_MAX_THREADS 256
#define CRR_MAX_CONNS 65536
#define CRR_NERRNO 256               /* errno values counted by number */

enum crr_phase { CRR_CONNECT, CRR_REQRESP, CRR_CLOSE, CRR_NPHASES };

struct crr_server_opts {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	unsigned threads;
	unsigned size;               /* default body size, bytes */
};

struct crr_client_opts {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	const char *host;            /* as given, for the Host header */
	const char *path;            /* request path, "/" by default */
	unsigned threads, conns;
	double seconds;              /* measuring time */
	double timeout;              /* per connection, seconds */
	int size;                    /* body size to ask for, -1 = server's */
};

struct crr_result {
	uint64_t conns;              /* completed connect/request/response/close */
	uint64_t errors;             /* sum of err[] */
	uint64_t err[CRR_NERRNO];    /* by errno; EPROTO = bad or short response */
	struct bstat_hist *phase[CRR_NPHASES];  /* nanoseconds */
	double elapsed;              /* wall seconds */
	double cpu;                  /* user + system seconds of the process */
};

/* Serve until SIGINT or SIGTERM: accept, read one request, answer with an
 * HTTP/1.1 200 response with Connection: close, close. Prints the address it
 * listens on to stdout. Returns 0 or -errno (bind/listen/thread failures,
 * already reported on stderr). */
int crr_serve(const struct crr_server_opts *o);

/* Run the client for o->seconds (or until SIGINT/SIGTERM) and fill r, whose
 * histograms the function allocates; release them with crr_result_free.
 * Returns 0 or -errno for set-up failures (reported on stderr); failures of
 * single connections are counted in r->err, not returned. */
int crr_run_client(const struct crr_client_opts *o, struct crr_result *r);
void crr_result_free(struct crr_result *r);

/* The response a server sends for a body of size bytes: the header into
 * buf (at most cap bytes, NUL-terminated). Returns the header length or
 * -ENOSPC. */
int crr_response_header(char *buf, size_t cap, unsigned size);

/* Format an IPv4 or IPv6 socket address as "ADDR:PORT" or "[ADDR]:PORT"
 * into buf. Returns 0 or -EAFNOSUPPORT / -ENOSPC. */
int crr_format_addr(const struct sockaddr *sa, char *buf, size_t cap);

#endif
