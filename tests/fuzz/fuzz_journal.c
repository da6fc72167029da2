/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_journal: the journal loader on any file content. The input is the
 * file (with a valid header line in front when its first byte is odd, so
 * that records, not only the header check, are reached); it is opened
 * read-only (damage listed, records kept in memory), then read-write
 * (repair, conversion of an old journal, compaction) in a directory of its
 * own: never a crash, never a record restored from a damaged line. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], path[128];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char header[] = "{\"vtune_journal\":2,\"base_seq\":0,\"crc\":\"fafd47fe\"}\n";
	if (!dir[0]) {
		strcpy(dir, "/tmp/vtune-fuzz-journal-XXXXXX");
		if (!mkdtemp(dir))
			abort();
		snprintf(path, sizeof path, "%s/journal", dir);
		log_init("fuzz_journal", 0, LOG_CRIT);
	}
	unlink(path);
	char one[160];
	snprintf(one, sizeof one, "%s.1", path);
	unlink(one);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		abort();
	if (size && (data[0] & 1) && write(fd, header, sizeof header - 1) < 0)
		abort();
	if (size > 1 && write(fd, data + 1, size - 1) < 0)
		abort();
	close(fd);
	int err;
	struct journal *j = journal_open_ro(path, &err);
	if (j) {
		for (size_t i = 0; i < journal_count(j); i++) {
			const struct jrec *r = journal_record(j, i);
			if (!r || !r->op || !r->key || !journal_find(j, r->seq))
				abort();
			journal_state(j, r->seq);
		}
		for (size_t i = 0; journal_damage(j, i); i++)
			;
		journal_close(j);
	}
	j = journal_open(path, &err);
	if (j) {
		journal_maintain(j);
		journal_close(j);
	}
	return 0;
}
