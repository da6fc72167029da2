/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kvm_xml: read the few things vtune needs from a libvirt domain XML (agent
 * channel, tap and bridge, fleet labels, PCI hostdevs, filterrefs) with
 * libxml2, treating the text as untrusted: bounded size, no DTD. Part of
 * backend-kvm.so; vtune-hostd and vtune reach kvm_xml_labels through the
 * module (hostd/backend_mod.c) and link no libxml2. */
#ifndef VTUNE_KVM_XML_H
#define VTUNE_KVM_XML_H

#include <stddef.h>

#include "backend.h"
#include "backend_mod.h"
#include "wire.h" /* KVM_AGENT_CHANNEL */

/* The largest XML read, in bytes. A domain XML is a few KiB, one with
 * hundreds of devices some hundred KiB; the tree of a hostile 1 MiB of
 * empty elements is ~40 MiB, briefly. */
#define KVM_XML_MAX (1u << 20)

/* Channel state as libvirt writes it on the channel's <target state='...'>. */
enum kvm_chan_state { KVM_CHAN_UNKNOWN = -1, KVM_CHAN_DISCONNECTED = 0, KVM_CHAN_CONNECTED = 1 };

/* Every function below takes a NUL-terminated XML and reads it with libxml2
 * without network access, entity substitution or DTD loading; a document
 * with a <!DOCTYPE> is refused outright (libvirt never writes one), so no
 * entity but XML's five predefined ones and character references can
 * appear. libxml2's own limits hold (nesting depth 256, no XML_PARSE_HUGE).
 * Errors they all share: -EFBIG (over KVM_XML_MAX bytes), -EINVAL (not
 * well-formed, a DOCTYPE, or a root other than the one expected), -ENOMEM.
 * Only the elements where libvirt puts them count: <devices> and <uuid>
 * children of <domain>, the labels as children of <metadata>. */

/* Fill g->channel, g->tap and g->bridge from a domain XML, then the fleet
 * labels (kvm_xml_labels); other fields are untouched. channel: the source
 * path of the first <channel type='unix'> whose <target type='virtio'
 * name='org.vtune.agent.0'/>, "" when none. tap and bridge: <target dev>
 * and <source bridge> of the first <interface type='bridge'>; if there is
 * none, of the first <interface type='network'> (its live XML names the
 * bridge too). *state (may be NULL) gets the channel's state attribute.
 * Returns 0, -ENAMETOOLONG when a value does not fit its field (that field
 * is left "", the others are filled), or an error above. */
int kvm_xml_guest(const char *xml, struct bk_guest *g, enum kvm_chan_state *state);

/* Fill g's fleet labels from a domain XML: g->uuid from <uuid> when it is
 * "", and from <metadata> where present: an OpenStack Nova instance
 * (<P:instance xmlns:P="http://openstack.org/xmlns/libvirt/nova/...">: the
 * instance UUID is the domain UUID, P:owner/P:project's uuid attribute and
 * text the project) and a KubeVirt VMI (<kubevirt xmlns="http://kubevirt.io">:
 * libvirt's domain is named NAMESPACE_VMI, from g->name). Fields not found
 * are "". Returns 0, -ENAMETOOLONG when a value does not fit (that field is
 * left ""), or an error above. In vtune-hostd and vtune: -ENOENT when the
 * kvm module is not installed. */
/* declared in backend_mod.h: the contract, which hostd and sim see too */

/* The PCI addresses ("DDDD:BB:SS.F") of the <hostdev type='pci'> devices
 * (their <source><address>) in a domain XML, up to max; *n gets how many
 * were found (may exceed max). Returns 0 or an error above. */
int kvm_xml_hostdevs(const char *xml, char (*addr)[16], size_t max, size_t *n);

/* fn(arg, name) for the filter of each <filterref filter='name'> of a
 * domain XML's interfaces: those whose <target dev> is tap, or every one
 * when tap is NULL or "". Returns 0 or an error above. */
int kvm_xml_each_filterref(const char *xml, const char *tap,
			   void (*fn)(void *arg, const char *name), void *arg);

/* Whether the root element of xml is named name (its local name): 1 yes,
 * 0 no, or an error above. For the element virDomainGetMetadata returns:
 * libvirt picks it by namespace and gives it back without one. */
int kvm_xml_root_is(const char *xml, const char *name);

#endif
