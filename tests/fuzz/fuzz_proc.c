/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_proc: every /proc parser of the guest view. The first byte picks the
 * parser, the rest is the file's text; the parsers write into their input,
 * so it is copied to a NUL-terminated buffer of its exact size. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gview.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { P_STAT, P_SNMP, P_NETSTAT, P_SOCKSTAT, P_SOCKSTAT6, P_SOFTNET,
       P_SOFTIRQS, P_FILE_NR, P_PORT_RANGE, P_N };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gv_reading r;
	struct gv_counters t;
	struct gv_sockstat ss;
	uint64_t u;
	uint32_t lo, hi;
	char err[96];
	int rc = 0;

	if (size < 1)
		return 0;
	char *text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = 0;
	memset(&r, 0, sizeof r);
	memset(&t, 0, sizeof t);
	memset(&ss, 0, sizeof ss);
	err[0] = 0;

	switch (data[0] % P_N) {
	case P_STAT:
		rc = gv_parse_stat(text, &r, err, sizeof err);
		if (!rc && (r.ncpu < 0 || r.ncpu > GV_MAX_CPUS))
			abort();
		for (int i = 0; !rc && i < r.ncpu; i++)
			if (r.cpu[i].id < 0 || r.cpu[i].id >= GV_MAX_CPUS)
				abort();
		break;
	case P_SNMP:
		rc = gv_parse_nstat(text, MS_SNMP, &t, err, sizeof err);
		break;
	case P_NETSTAT:
		rc = gv_parse_nstat(text, MS_NETSTAT, &t, err, sizeof err);
		break;
	case P_SOCKSTAT:
		rc = gv_parse_sockstat(text, 0, &ss, err, sizeof err);
		break;
	case P_SOCKSTAT6:
		rc = gv_parse_sockstat(text, 1, &ss, err, sizeof err);
		break;
	case P_SOFTNET:
		rc = gv_parse_softnet(text, &r, err, sizeof err);
		if (!rc && (r.nsoftnet < 1 || r.nsoftnet > GV_MAX_CPUS))
			abort();
		for (int i = 0; !rc && i < r.nsoftnet; i++)
			if (r.softnet[i].cpu < 0 || r.softnet[i].cpu >= GV_MAX_CPUS)
				abort();
		break;
	case P_SOFTIRQS:
		rc = gv_parse_softirqs(text, &r, err, sizeof err);
		if (!rc && (r.nnetrx < 1 || r.nnetrx > GV_MAX_CPUS || !r.netrx))
			abort();
		break;
	case P_FILE_NR:
		rc = gv_parse_file_nr(text, &u, err, sizeof err);
		break;
	case P_PORT_RANGE:
		rc = gv_parse_port_range(text, &lo, &hi, err, sizeof err);
		if (!rc && (lo > hi || hi > 65535))
			abort();
		break;
	}
	if (rc != 0 && rc != -EINVAL && rc != -ENOMEM)
		abort();
	if (rc == -EINVAL && (!err[0] || !memchr(err, 0, sizeof err)))
		abort(); /* a failure always says why */
	free(r.cpu);
	free(r.softnet);
	free(r.netrx);
	free(text);
	return 0;
}
