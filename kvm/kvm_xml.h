/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kvm_xml: a small, strict scanner for the few elements vtune needs from a
 * libvirt domain XML (agent channel, bridged interface, PCI hostdevs), so the
 * KVM backend needs no XML library. */
#ifndef VTUNE_KVM_XML_H
#define VTUNE_KVM_XML_H

#include <stddef.h>

#include "backend.h"
#include "wire.h" /* KVM_AGENT_CHANNEL */

/* Channel state as libvirt writes it on the channel's <target state='...'>. */
enum kvm_chan_state { KVM_CHAN_UNKNOWN = -1, KVM_CHAN_DISCONNECTED = 0, KVM_CHAN_CONNECTED = 1 };

/* Fill g->channel, g->tap and g->bridge from a domain XML (other fields are
 * untouched). channel: the source path of the <channel type='unix'> whose
 * <target type='virtio' name='org.vtune.agent.0'/>, "" when absent. tap and
 * bridge: the first <interface type='bridge'> (target dev, source bridge); if
 * there is none, the first <interface type='network'> (its live XML names the
 * bridge too). *state (may be NULL) gets the channel's state attribute.
 * Elements inside <metadata> are ignored; the fleet labels are then filled
 * by kvm_xml_labels. Returns 0, -EINVAL for XML the
 * scanner cannot follow (unterminated tag, comment or quote), -ENAMETOOLONG
 * when a value does not fit its field (the field is left ""). */
int kvm_xml_guest(const char *xml, struct bk_guest *g, enum kvm_chan_state *state);

/* Fill g's fleet labels from a domain XML: g->uuid from <uuid> when it is
 * "", and from <metadata> where present: an OpenStack Nova instance
 * (<P:instance xmlns:P="http://openstack.org/xmlns/libvirt/nova/...">: the
 * instance UUID is the domain UUID, P:owner/P:project's uuid attribute and
 * text the project) and a KubeVirt VMI (<kubevirt xmlns="http://kubevirt.io">:
 * libvirt's domain is named NAMESPACE_VMI). Fields not found are "".
 * Returns 0, -EINVAL for XML the scanner cannot follow, -ENAMETOOLONG when
 * a value does not fit (that field is left ""). */
int kvm_xml_labels(const char *xml, struct bk_guest *g);

/* The PCI addresses ("DDDD:BB:SS.F") of the <hostdev type='pci'> devices in
 * a domain XML, up to max; *n gets how many were found (may exceed max).
 * Returns 0 or -EINVAL. */
int kvm_xml_hostdevs(const char *xml, char (*addr)[16], size_t max, size_t *n);

/* Decode XML entities of s (len bytes) into out (n bytes). 0, -EINVAL on a
 * bad entity, -ENAMETOOLONG when it does not fit. */
int kvm_xml_unescape(const char *s, size_t len, char *out, size_t n);

#endif
