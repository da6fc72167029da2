/* gv_reader: a sampler's kept state for gv_read. */
#include "gv_reader.h"
#include "kfs.h"

#include <stdlib.h>

struct gv_reader {
	struct kfs_cache *c;
	struct gv_ports_sched *ps;
};

struct gv_reader *gv_reader_new(const struct gv_ports_cfg *ports)
{
	struct gv_reader *rd = calloc(1, sizeof *rd);
	if (!rd)
		return NULL;
	rd->c = kfs_cache_new();
	rd->ps = gv_ports_sched_new(ports);
	if (!rd->c || !rd->ps) {
		gv_reader_free(rd);
		return NULL;
	}
	return rd;
}

void gv_reader_free(struct gv_reader *rd)
{
	if (!rd)
		return;
	kfs_cache_free(rd->c);
	gv_ports_sched_free(rd->ps);
	free(rd);
}

int gv_reader_read(struct gv_reader *rd, const char *root, int flags, struct gv_reading *r)
{
	return gv_read_sched(rd->c, rd->ps, root, flags, r);
}

struct gv_ports_sched *gv_reader_ports(struct gv_reader *rd)
{
	return rd->ps;
}
