/*
 * tlsrecord.h -- a TLS stream's handshake facts into a flow's record of
 * that side (the tls/ layer knows no flow).
 */
#ifndef CORE_PROXY_TLSRECORD_H
#define CORE_PROXY_TLSRECORD_H

struct flow_tls;
struct stream;

/* Marks the side present and replaces (frees) what it held: the SNI
 * always, the rest with what the handshake has shown so far. */
void	core_tlsrecord_fill(const struct stream *, struct flow_tls *);

#endif
