/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ethchan: a network device's channels (RX/TX/combined queues) through the
 * ethtool generic-netlink family (ETHTOOL_MSG_CHANNELS_GET / _SET,
 * lib/ethnl over lib/netlink): how many queue pairs are in use and how many the device
 * offers, and setting the combined count. A fixture root replays recorded
 * kernel answers (<root>/ethtool/channels-IFNAME.bin for a get,
 * channels-set-IFNAME.bin for a set). */
#ifndef VTUNE_ETHCHAN_H
#define VTUNE_ETHCHAN_H

#include <stddef.h>
#include <stdint.h>

struct ethchan {
	uint32_t rx, tx, other, combined;		/* in use */
	uint32_t rx_max, tx_max, other_max, combined_max; /* offered */
};

/* The channels of ifname under root ("/": the kernel, in the caller's
 * network namespace). 0, -EOPNOTSUPP (the device has no channels: its
 * driver does not say), -ENODEV, -ENOENT (no ethtool family, or no
 * recorded answer) or -errno. */
int ethchan_get(const char *root, const char *ifname, struct ethchan *c);

/* Set the combined count of ifname to n (the others unchanged). 0 or
 * -errno (-EINVAL: n is 0 or above what the device offers, said by the
 * kernel); why (len bytes, may be NULL) gets the kernel's extended ack. */
int ethchan_set_combined(const char *root, const char *ifname, uint32_t n, char *why,
			 size_t len);

/* Parse a CHANNELS_GET answer (netlink messages): 0, -EINVAL (malformed)
 * or the -errno of an NLMSG_ERROR. For replay and fuzzing. */
int ethchan_parse(const void *buf, size_t len, struct ethchan *c);

/* Record each live answer under DIR/ethtool/ (NULL stops). */
void ethchan_set_record_dir(const char *dir);

#endif
