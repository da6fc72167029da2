/* exec: the host-side plan kinds vtune-hostd carries out (bridge_nf,
 * offload, pin) and the registration of every knob kind a journal written
 * on a host may name, so that `vtune revert` can undo any of them. */
#ifndef VTUNE_EXEC_H
#define VTUNE_EXEC_H

/* Register the knob kinds: rps, bridge_nf, offload, the KVM and Xen
 * pinning kinds and the SR-IOV kinds. Idempotent. */
void hostd_register_knobs(void);

/* Register the executors of the host plan kinds with hostd_exec_register.
 * Idempotent. */
void hostd_exec_init(void);

#endif
