/* backend: the table of built-in backends vtune-hostd can use. */
#include "backend.h"

#include <string.h>

static const struct backend_ops *const backends[] = {
	&backend_sim_ops,
	&backend_kvm_ops,
	&backend_xen_ops,
};

const struct backend_ops *backend_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < sizeof backends / sizeof *backends; i++)
		if (!strcmp(backends[i]->name, name))
			return backends[i];
	return NULL;
}
