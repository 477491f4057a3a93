/*
 * core_tls_quic_tls.c -- QUIC TLS sessions from core/tls/quic_tls.c driven
 * by two ngtcp2 connections in memory: trawl's server half (a leaf from
 * trawl's CA) and its client half (verified as TLS upstream is, the CA
 * given as --upstream-ca) complete a QUIC handshake with ALPN h3; a name
 * the leaf does not carry fails verification and the handshake.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include "core/tls/ca.h"
#include "core/tls/mitm.h"
#include "core/tls/quic_tls.h"

struct end {
	ngtcp2_crypto_conn_ref	 ref;
	ngtcp2_conn		*conn;
	void			*tls;
	struct sockaddr_in	 self, peer;
};

static char	tmpdir[64];

static ngtcp2_conn *
get_conn(ngtcp2_crypto_conn_ref *ref)
{
	return ((struct end *)ref->user_data)->conn;
}

static ngtcp2_tstamp
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NGTCP2_SECONDS + (uint64_t)ts.tv_nsec;
}

static void
fill(uint8_t *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)random();
}

static void
rand_cb(uint8_t *dest, size_t n, const ngtcp2_rand_ctx *ctx)
{
	fill(dest, n);
}

static int
new_cid(ngtcp2_conn *c, ngtcp2_cid *cid, uint8_t *token, size_t len,
    void *ud)
{
	cid->datalen = len;
	fill(cid->data, len);
	fill(token, NGTCP2_STATELESS_RESET_TOKENLEN);
	return 0;
}

static void
callbacks(ngtcp2_callbacks *cb, int server)
{
	memset(cb, 0, sizeof *cb);
	if (server)
		cb->recv_client_initial = ngtcp2_crypto_recv_client_initial_cb;
	else {
		cb->client_initial = ngtcp2_crypto_client_initial_cb;
		cb->recv_retry = ngtcp2_crypto_recv_retry_cb;
	}
	cb->recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb;
	cb->encrypt = ngtcp2_crypto_encrypt_cb;
	cb->decrypt = ngtcp2_crypto_decrypt_cb;
	cb->hp_mask = ngtcp2_crypto_hp_mask_cb;
	cb->rand = rand_cb;
	cb->get_new_connection_id = new_cid;
	cb->update_key = ngtcp2_crypto_update_key_cb;
	cb->delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
	cb->delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
	cb->get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
	cb->version_negotiation = ngtcp2_crypto_version_negotiation_cb;
}

static void
addr(struct sockaddr_in *sin, uint16_t port)
{
	memset(sin, 0, sizeof *sin);
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	sin->sin_addr.s_addr = htonl(0xc0000201 + (port & 1));
}

static void
path_of(struct end *e, ngtcp2_path *p)
{
	p->local.addr = (ngtcp2_sockaddr *)&e->self;
	p->local.addrlen = sizeof e->self;
	p->remote.addr = (ngtcp2_sockaddr *)&e->peer;
	p->remote.addrlen = sizeof e->peer;
}

/* Sends what from has to to; -1 when either side failed. */
static int
pump(struct end *from, struct end *to, int *moved)
{
	uint8_t		 buf[1500];
	ngtcp2_path	 p, rp;
	ngtcp2_pkt_info	 pi;
	ngtcp2_ssize	 n;
	ngtcp2_cid	 scid, dcid;
	ngtcp2_callbacks cb;
	ngtcp2_settings	 s;
	ngtcp2_transport_params tp;
	ngtcp2_pkt_hd	 hd;

	for (;;) {
		path_of(from, &p);
		n = ngtcp2_conn_write_pkt(from->conn, &p, &pi, buf, sizeof buf,
		    now());
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		*moved = 1;
		if (to->conn == NULL) {
			/* The server's connection starts at the first Initial. */
			if (ngtcp2_accept(&hd, buf, (size_t)n) != 0)
				return -1;
			callbacks(&cb, 1);
			ngtcp2_settings_default(&s);
			s.initial_ts = now();
			ngtcp2_transport_params_default(&tp);
			tp.initial_max_streams_bidi = 100;
			tp.initial_max_data = 1 << 20;
			tp.initial_max_stream_data_bidi_remote = 1 << 18;
			tp.original_dcid = hd.dcid;
			scid.datalen = 18;
			fill(scid.data, scid.datalen);
			dcid = hd.scid;
			path_of(to, &rp);
			assert_int_equal(ngtcp2_conn_server_new(&to->conn, &dcid,
			    &scid, &rp, hd.version, &cb, &s, &tp, NULL, to), 0);
			ngtcp2_conn_set_tls_native_handle(to->conn, to->tls);
		}
		path_of(to, &rp);
		memset(&pi, 0, sizeof pi);
		if (ngtcp2_conn_read_pkt(to->conn, &rp, &pi, buf, (size_t)n,
		    now()) != 0)
			return -1;
	}
}

/* A handshake between the two halves, the client asking for name. */
static int
handshake(const char *name, struct end *c, struct end *sv)
{
	ngtcp2_callbacks	cb;
	ngtcp2_settings		s;
	ngtcp2_transport_params	tp;
	ngtcp2_cid		scid, dcid;
	ngtcp2_path		p;
	char			*cause = NULL;
	int			 i, moved, r = -1;

	memset(c, 0, sizeof *c);
	memset(sv, 0, sizeof *sv);
	addr(&c->self, 50001);
	addr(&c->peer, 443);
	sv->self = c->peer;
	sv->peer = c->self;
	c->ref.get_conn = get_conn;
	c->ref.user_data = c;
	sv->ref.get_conn = get_conn;
	sv->ref.user_data = sv;
	sv->tls = core_quic_tls_server_new("quic.example", "192.0.2.1",
	    &sv->ref, &cause);
	assert_non_null(sv->tls);
	c->tls = core_quic_tls_client_new(name, &c->ref, &cause);
	assert_non_null(c->tls);

	callbacks(&cb, 0);
	ngtcp2_settings_default(&s);
	s.initial_ts = now();
	ngtcp2_transport_params_default(&tp);
	tp.initial_max_streams_bidi = 100;
	tp.initial_max_data = 1 << 20;
	scid.datalen = 8;
	fill(scid.data, scid.datalen);
	dcid.datalen = 18;
	fill(dcid.data, dcid.datalen);
	path_of(c, &p);
	assert_int_equal(ngtcp2_conn_client_new(&c->conn, &dcid, &scid, &p,
	    NGTCP2_PROTO_VER_V1, &cb, &s, &tp, NULL, c), 0);
	ngtcp2_conn_set_tls_native_handle(c->conn, c->tls);

	for (i = 0; i < 50; i++) {
		moved = 0;
		if (pump(c, sv, &moved) == -1 ||
		    (sv->conn != NULL && pump(sv, c, &moved) == -1))
			break;
		if (ngtcp2_conn_get_handshake_completed(c->conn) &&
		    ngtcp2_conn_get_handshake_completed(sv->conn)) {
			r = 0;
			break;
		}
		if (!moved)
			break;
	}
	return r;
}

static void
end_free(struct end *e)
{
	ngtcp2_conn_del(e->conn);
	core_quic_tls_free(e->tls);
}

static int
setup(void **state)
{
	struct mitm_options	 o;
	struct ca		*ca;
	char			*cause = NULL, ca_path[256];

	strcpy(tmpdir, "/tmp/trawl-quictls-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	/* Make the CA first to name its file as --upstream-ca. */
	if ((ca = core_ca_load_or_create(tmpdir, &cause)) == NULL)
		return -1;
	snprintf(ca_path, sizeof ca_path, "%s", core_ca_cert_path(ca));
	core_ca_free(ca);
	memset(&o, 0, sizeof o);
	o.confdir = tmpdir;
	o.upstream_ca = ca_path;
	if (core_mitm_init(&o, &cause) == -1) {
		fprintf(stderr, "%s\n", cause);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	char	cmd[128];

	core_quic_tls_cleanup();
	core_mitm_free();
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_handshake(void **state)
{
	struct end	c, sv;

	assert_int_equal(handshake("quic.example", &c, &sv), 0);
	assert_null(core_quic_tls_verify_error(c.tls));
	assert_string_equal(core_quic_tls_alpn(c.tls), "h3");
	assert_string_equal(core_quic_tls_alpn(sv.tls), "h3");
	end_free(&c);
	end_free(&sv);
}

static void
test_wrong_name(void **state)
{
	struct end	c, sv;

	/* The leaf is for quic.example: verification must refuse it. */
	assert_int_equal(handshake("other.example", &c, &sv), -1);
	assert_non_null(core_quic_tls_verify_error(c.tls));
	assert_int_equal(ngtcp2_conn_get_handshake_completed(c.conn), 0);
	end_free(&c);
	end_free(&sv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake),
		cmocka_unit_test(test_wrong_name),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
