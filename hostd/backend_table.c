/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backend_table: the table of built-in backends vtune-hostd can use, what each
 * can do for the policy check, and the knob kinds they all write. */
#include "backend_table.h"
#include "action.h"

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

int backend_can(const char *name, enum act_needs needs, const char *key)
{
	const struct backend_ops *ops = backend_find(name);
	if (!ops)
		return 0;
	switch (needs) {
	case ACT_NEEDS_PIN_MODE:
		for (size_t i = 0; ops->plan_pin && ops->pin_modes && ops->pin_modes[i]; i++)
			if (!strcmp(ops->pin_modes[i], key))
				return 1;
		for (size_t i = 0; ops->plan_pin_host && ops->pin_host_modes && ops->pin_host_modes[i]; i++)
			if (!strcmp(ops->pin_host_modes[i], key))
				return 1;
		return 0;
	case ACT_NEEDS_PCI_ATTACH:
		return ops->plan_pci_attach != NULL;
	case ACT_NEEDS_NOTHING:
		break;
	}
	return 1;
}

void backend_register_knobs(void)
{
	act_register_knobs();
	for (size_t i = 0; i < sizeof backends / sizeof *backends; i++)
		for (size_t k = 0; backends[i]->knobs && backends[i]->knobs[k]; k++)
			if (!knob_find_real(backends[i]->knobs[k]->kind))
				knob_register(backends[i]->knobs[k], NULL);
}
