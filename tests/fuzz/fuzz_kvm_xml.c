/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_kvm_xml: the libvirt domain XML reader (kvm/kvm_xml.c), every entry
 * point on the same text: only its documented errors come back, and what
 * it fills is NUL-terminated within its field. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int ok_rc(int rc)
{
	return rc == 0 || rc == -EINVAL || rc == -EFBIG || rc == -ENAMETOOLONG || rc == -ENOMEM;
}

static void count(void *arg, const char *name)
{
	if (!*name)
		abort(); /* an empty filter name is never reported */
	(*(size_t *)arg)++;
}

#define TERMINATED(f) (memchr((f), 0, sizeof(f)) != NULL)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bk_guest g;
	enum kvm_chan_state st;
	char addr[4][16];
	size_t n = 0, nf = 0;
	char *xml = malloc(size + 1);
	if (!xml)
		return 0;
	memcpy(xml, data, size);
	xml[size] = 0;
	memset(&g, 0, sizeof g);
	memcpy(g.name, "ns_vmi", 7);
	if (!ok_rc(kvm_xml_guest(xml, &g, &st)) || !ok_rc(kvm_xml_labels(xml, &g)))
		abort();
	if (!TERMINATED(g.channel) || !TERMINATED(g.tap) || !TERMINATED(g.bridge) ||
	    !TERMINATED(g.uuid) || !TERMINATED(g.nova_project) || !TERMINATED(g.nova_project_name) ||
	    !TERMINATED(g.nova_instance) || !TERMINATED(g.kubevirt_namespace) ||
	    !TERMINATED(g.kubevirt_vmi))
		abort();
	if (st != KVM_CHAN_UNKNOWN && st != KVM_CHAN_CONNECTED && st != KVM_CHAN_DISCONNECTED)
		abort();
	int rc = kvm_xml_hostdevs(xml, addr, 4, &n);
	if (!ok_rc(rc) || (rc && n))
		abort();
	for (size_t i = 0; i < n && i < 4; i++)
		if (strlen(addr[i]) != 12)
			abort();
	if (!ok_rc(kvm_xml_each_filterref(xml, NULL, count, &nf)))
		abort();
	rc = kvm_xml_root_is(xml, "migratable");
	if (rc != 1 && !ok_rc(rc))
		abort();
	free(xml);
	return 0;
}
