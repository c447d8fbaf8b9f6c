/* nice_dtls.c - one DTLS association (agents/dtls.c, sans I/O) over the
 * libnice component, and the adapter's one timer (see nice_adapter.h).
 *
 * Records go out with nice_agent_send, which libnice puts on its selected
 * pair; before there is one (nice_agent_send fails) they wait in
 * `pending`, so no DTLS precedes the nomination (RFC 8842 6).  Records
 * come in through libnice's receive callback (nice_ice.c), which gets
 * every datagram that is not STUN.
 */
#include "nice_adapter.h"

#include <stdio.h>
#include <string.h>

#define NADP_COMPONENT 1

static void dtls_send_cb(void *user, const uint8_t *buf, size_t len)
{
	struct nadp *a = user;

	if (a->have_pair &&
	    nice_agent_send(a->agent, a->stream, NADP_COMPONENT, (guint)len, (const gchar *)buf) >= 0)
		return;
	if (a->n_pending < NADP_MAX_PENDING && len <= sizeof(a->pending[0].buf)) {
		memcpy(a->pending[a->n_pending].buf, buf, len);
		a->pending[a->n_pending++].len = len;
	} else {
		nadp_log(a, "DTLS: dropped a %zu-byte record: no selected pair and %zu queued",
			 len, a->n_pending);
	}
}

static void dtls_state_cb(void *user, enum dtls_state st, const char *reason)
{
	struct nadp *a = user;
	json_t *o = json_pack("{s:s, s:s}", "state", dtls_state_name(st), "role",
			      a->dtls_active ? "client" : "server");

	if (reason)
		json_object_set_new(o, "reason", json_string(reason));
	if (st == DTLS_CONNECTED)
		json_object_set_new(o, "remote_fingerprint_verified", json_true());
	nadp_emit(a, "dtls-state", o);
	if (st == DTLS_CONNECTED)
		nadp_probe_connected(a);
}

static void dtls_data_cb(void *user, const uint8_t *buf, size_t len)
{
	nadp_probe_data(user, buf, len);
}

/* The DTLS role by RFC 8842 5; a passive side accepts at once (its
 * answers wait for a pair), an active one starts on the first pair. */
int nadp_dtls_start(struct nadp *a, const struct proto_remote *r, struct icl_err *err)
{
	struct dtls_callbacks cb = { .user = a, .send = dtls_send_cb, .state = dtls_state_cb,
				     .data = dtls_data_cb };

	if (proto_dtls_active(a->cfg.setup, r->setup, &a->dtls_active, err) < 0)
		return err->code;
	a->dtls = dtls_conn_new(a->cert, a->dtls_active, r->fingerprint, &cb, err);
	if (!a->dtls)
		return err->code;
	if (!a->dtls_active) {
		a->dtls_started = true;
		dtls_conn_start(a->dtls);
	}
	return 0;
}

void nadp_dtls_pair_selected(struct nadp *a)
{
	size_t n = a->n_pending;

	a->have_pair = true;
	if (a->closing || !a->dtls)
		return;
	if (a->dtls_active && !a->dtls_started) {
		a->dtls_started = true;
		dtls_conn_start(a->dtls);
	}
	/* Resend what waited, in order; dtls_send_cb queues again on failure. */
	a->n_pending = 0;
	for (size_t i = 0; i < n; i++) {
		struct nadp_datagram d = a->pending[i];

		dtls_send_cb(a, d.buf, d.len);
	}
}

void nadp_dtls_recv(struct nadp *a, const uint8_t *buf, size_t len)
{
	if (a->dtls && !a->closing)
		dtls_conn_recv(a->dtls, buf, len);
}

void nadp_dtls_send(struct nadp *a, const uint8_t *buf, size_t len)
{
	struct icl_err err;

	if (a->dtls && dtls_conn_send(a->dtls, buf, len, &err) < 0)
		proto_emit_error(&a->po, NULL, false, err.msg);
}

/* ---- the timer: DTLS retransmission, probe attempts, data stream ---- */

static gboolean on_timer(gpointer user)
{
	struct nadp *a = user;

	a->timer_src = 0;
	if (a->dtls)
		dtls_conn_tick(a->dtls);
	nadp_probe_tick(a);
	nadp_rearm(a);
	return G_SOURCE_REMOVE;
}

void nadp_rearm(struct nadp *a)
{
	long dtls_ms = a->dtls && !a->closing ? dtls_conn_timeout_ms(a->dtls) : -1;
	uint64_t now = nadp_now_ms(a), due = nadp_probe_deadline(a);
	uint64_t wait = due == UINT64_MAX ? UINT64_MAX : due > now ? due - now : 0;

	if (a->timer_src) {
		g_source_remove(a->timer_src);
		a->timer_src = 0;
	}
	if (dtls_ms >= 0 && (uint64_t)dtls_ms < wait)
		wait = (uint64_t)dtls_ms;
	if (a->closing || wait == UINT64_MAX)
		return;
	a->timer_src = g_timeout_add((guint)(wait > 60000 ? 60000 : wait), on_timer, a);
}
