/* nice_ice.c - the NiceAgent: settings from configure, gathering, remote
 * candidates, and its signals turned into events (see nice_adapter.h). */
#include "nice_adapter.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <nice/interfaces.h>

#include "../../cand.h"

#define NADP_COMPONENT 1

/* ---- signals -> events --------------------------------------------- */

static const char *type_name(NiceCandidateType t)
{
	switch (t) {
	case NICE_CANDIDATE_TYPE_HOST: return "host";
	case NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE: return "srflx";
	case NICE_CANDIDATE_TYPE_PEER_REFLEXIVE: return "prflx";
	case NICE_CANDIDATE_TYPE_RELAYED: return "relay";
	}
	return "host";
}

/* A gathered candidate, printed by libnice's own SDP writer without "a=".
 * Peer-reflexive ones are learned in checks, not signalled. */
static void on_new_candidate(NiceAgent *agent, NiceCandidate *c, gpointer user)
{
	struct nadp *a = user;
	gchar *sdp;

	if (c->transport != NICE_CANDIDATE_TRANSPORT_UDP || c->type == NICE_CANDIDATE_TYPE_PEER_REFLEXIVE)
		return;
	sdp = nice_agent_generate_local_candidate_sdp(agent, c);
	if (!sdp)
		return;
	nadp_emit(a, "local-candidate", json_pack("{s:s}", "candidate",
						  strncmp(sdp, "a=", 2) == 0 ? sdp + 2 : sdp));
	g_free(sdp);
}

static void on_gathering_done(NiceAgent *agent, guint stream, gpointer user)
{
	struct nadp *a = user;

	(void)agent;
	(void)stream;
	if (a->gathering_done)
		return;
	a->gathering_done = true;
	nadp_emit(a, "gathering-done", NULL);
}

static const char *state_name(guint st)
{
	switch (st) {
	case NICE_COMPONENT_STATE_GATHERING:
	case NICE_COMPONENT_STATE_CONNECTING: return "checking";
	case NICE_COMPONENT_STATE_CONNECTED: return "connected";
	case NICE_COMPONENT_STATE_READY: return "completed";
	case NICE_COMPONENT_STATE_FAILED: return "failed";
	case NICE_COMPONENT_STATE_DISCONNECTED: return "disconnected";
	}
	return NULL;
}

static void on_state(NiceAgent *agent, guint stream, guint comp, guint st, gpointer user)
{
	struct nadp *a = user;
	const char *name = state_name(st);
	json_t *o;

	(void)agent;
	(void)stream;
	(void)comp;
	nadp_log(a, "libnice component state %s", nice_component_state_to_string(st));
	if (!name || strcmp(name, a->ice_state) == 0)
		return;
	snprintf(a->ice_state, sizeof(a->ice_state), "%s", name);
	o = json_pack("{s:s}", "state", name);
	/* libnice fails the component when consent is lost (RFC 7675, with
	 * consent freshness on), and says no more: the reason is a guess. */
	if (st == NICE_COMPONENT_STATE_FAILED && a->was_connected)
		json_object_set_new(o, "reason", json_string("libnice: component failed after it "
							     "had connected (consent lost, RFC 7675?)"));
	if (st == NICE_COMPONENT_STATE_CONNECTED || st == NICE_COMPONENT_STATE_READY)
		a->was_connected = true;
	nadp_emit(a, "ice-state", o);
}

static void addr_of(const NiceAddress *na, union stun_addr *sa, char out[CAND_ADDR_STRLEN])
{
	memset(sa, 0, sizeof(*sa));
	nice_address_copy_to_sockaddr(na, &sa->sa);
	stun_addr_str(sa, out);
}

static void on_selected(NiceAgent *agent, guint stream, guint comp, NiceCandidate *l,
			NiceCandidate *r, gpointer user)
{
	struct nadp *a = user;
	/* The base we send from; a relayed candidate is its own base. */
	const NiceAddress *base = l->type != NICE_CANDIDATE_TYPE_RELAYED &&
				  nice_address_is_valid(&l->base_addr) ? &l->base_addr : &l->addr;
	char ls[CAND_ADDR_STRLEN], rs[CAND_ADDR_STRLEN];
	union stun_addr la, ra;

	(void)agent;
	(void)stream;
	(void)comp;
	addr_of(base, &la, ls);
	addr_of(&r->addr, &ra, rs);
	nadp_emit(a, "selected-pair",
		  json_pack("{s:s, s:s, s:s, s:s, s:s}", "local", ls, "remote", rs, "family",
			    la.sa.sa_family == AF_INET6 ? "ipv6" : "ipv4", "local_type",
			    type_name(l->type), "remote_type", type_name(r->type)));
	nadp_dtls_pair_selected(a);
	nadp_rearm(a);
}

static void on_recv(NiceAgent *agent, guint stream, guint comp, guint len, gchar *buf,
		    gpointer user)
{
	struct nadp *a = user;

	(void)agent;
	(void)stream;
	(void)comp;
	if (dtls_is_dtls((const uint8_t *)buf, len))
		nadp_dtls_recv(a, (const uint8_t *)buf, len);
	else
		nadp_log(a, "dropped a %u-byte datagram that is neither STUN nor DTLS", len);
	nadp_rearm(a);
}

/* ---- configure ----------------------------------------------------- */

static void apply_settings(struct nadp *a)
{
	const struct nice_cfg *n = &a->ncfg;

	/* UDP only (the protocol's candidates are UDP), no UPnP mapping. */
	g_object_set(a->agent, "controlling-mode", n->controlling, "ice-tcp", FALSE, "upnp", FALSE,
		     NULL);
	if (n->ta_ms)
		g_object_set(a->agent, "stun-pacing-timer", n->ta_ms, NULL);
	if (n->rto_ms)
		g_object_set(a->agent, "stun-initial-timeout", n->rto_ms, NULL);
	if (n->stun_ip[0])
		g_object_set(a->agent, "stun-server", n->stun_ip, "stun-server-port", n->stun_port,
			     NULL);
	g_signal_connect(a->agent, "new-candidate-full", G_CALLBACK(on_new_candidate), a);
	g_signal_connect(a->agent, "candidate-gathering-done", G_CALLBACK(on_gathering_done), a);
	g_signal_connect(a->agent, "component-state-changed", G_CALLBACK(on_state), a);
	g_signal_connect(a->agent, "new-selected-pair-full", G_CALLBACK(on_selected), a);
}

/* Given credentials replace libnice's random ones; one alone keeps the
 * other random. */
static int set_credentials(struct nadp *a, struct icl_err *err)
{
	gchar *ufrag = NULL, *pwd = NULL;
	gboolean ok;

	if (!a->ncfg.ufrag && !a->ncfg.pwd)
		return 0;
	nice_agent_get_local_credentials(a->agent, a->stream, &ufrag, &pwd);
	ok = nice_agent_set_local_credentials(a->agent, a->stream,
					      a->ncfg.ufrag ? a->ncfg.ufrag : ufrag,
					      a->ncfg.pwd ? a->ncfg.pwd : pwd);
	g_free(ufrag);
	g_free(pwd);
	return ok ? 0 : icl_err_set(err, ICL_EINPUT, "%s: libnice refused the local credentials "
				    "(nice_agent_set_local_credentials)", a->ncfg.ufrag ? "ufrag" : "pwd");
}

int nadp_ice_configure(struct nadp *a, struct icl_err *err)
{
	const struct nice_cfg *n = &a->ncfg;
	NiceAgentOption flags = NICE_AGENT_OPTION_NONE;

	if (n->regular_nomination)
		flags |= NICE_AGENT_OPTION_REGULAR_NOMINATION;
	if (n->consent)
		flags |= NICE_AGENT_OPTION_CONSENT_FRESHNESS;
	a->agent = nice_agent_new_full(NULL, NICE_COMPATIBILITY_RFC5245, flags);
	if (!a->agent)
		return icl_err_set(err, -ENOMEM, "configure: nice_agent_new_full failed");
	apply_settings(a);
	a->stream = nice_agent_add_stream(a->agent, 1);
	if (a->stream == 0)
		return icl_err_set(err, -ENOMEM, "configure: nice_agent_add_stream failed");
	for (size_t i = 0; i < n->n_relays; i++) {
		const struct nice_cfg_relay *r = &n->relays[i];

		if (!nice_agent_set_relay_info(a->agent, a->stream, NADP_COMPONENT, r->ip, r->port,
					       r->username, r->password, NICE_RELAY_TYPE_TURN_UDP))
			return icl_err_set(err, ICL_EINPUT, "turn_servers[%zu]: libnice refused it "
					   "(nice_agent_set_relay_info)", i);
	}
	if (set_credentials(a, err) < 0)
		return err->code;
	nice_agent_attach_recv(a->agent, a->stream, NADP_COMPONENT, NULL, on_recv, a);
	return 0;
}

/* ---- gather -------------------------------------------------------- */

/* Host candidates only on the addresses of the configured families, and
 * neither loopback nor link-local (cand_addr_usable).  The addresses come
 * from libnice's own list (nice_interfaces_get_local_ips), in its order:
 * libnice derives each host candidate's local preference from its
 * address's place in that list, so keeping the order keeps the family
 * preference an application without nice_agent_add_local_address gets. */
static bool usable(const struct nadp *a, const NiceAddress *na)
{
	union stun_addr sa;

	memset(&sa, 0, sizeof(sa));
	nice_address_copy_to_sockaddr(na, &sa.sa);
	if (!(sa.sa.sa_family == AF_INET && a->ncfg.ipv4) &&
	    !(sa.sa.sa_family == AF_INET6 && a->ncfg.ipv6))
		return false;
	return cand_addr_usable(&sa);
}

static int add_local_addresses(struct nadp *a, struct icl_err *err)
{
	GList *ips = nice_interfaces_get_local_ips(FALSE);
	size_t n = 0;

	for (GList *i = ips; i; i = i->next) {
		NiceAddress na;

		nice_address_init(&na);
		if (nice_address_set_from_string(&na, i->data) && usable(a, &na) &&
		    nice_agent_add_local_address(a->agent, &na)) {
			nadp_log(a, "host address %s", (const char *)i->data);
			n++;
		}
	}
	g_list_free_full(ips, g_free);
	if (n == 0)
		return icl_err_set(err, ICL_EINPUT, "families: no usable address of the configured "
				   "families on this node (loopback and link-local are not gathered)");
	return 0;
}

static void emit_description(struct nadp *a)
{
	gchar *ufrag = NULL, *pwd = NULL;
	char fp[PROTO_FP_MAX];

	nice_agent_get_local_credentials(a->agent, a->stream, &ufrag, &pwd);
	snprintf(fp, sizeof(fp), "sha-256 %s", dtls_cert_fingerprint(a->cert));
	nadp_emit(a, "local-description",
		  json_pack("{s:s, s:s, s:s, s:s, s:b, s:[]}", "ufrag", ufrag ? ufrag : "",
			    "pwd", pwd ? pwd : "", "fingerprint", fp, "setup",
			    proto_setup_name(a->cfg.setup), "lite", 0, "options"));
	g_free(ufrag);
	g_free(pwd);
}

int nadp_ice_gather(struct nadp *a, struct icl_err *err)
{
	if (add_local_addresses(a, err) < 0)
		return err->code;
	/* Before the candidates, which libnice may signal from inside
	 * nice_agent_gather_candidates. */
	emit_description(a);
	if (!nice_agent_gather_candidates(a->agent, a->stream))
		return icl_err_set(err, -EIO, "gather: nice_agent_gather_candidates failed "
				   "(no socket could be bound?)");
	return 0;
}

/* ---- remote -------------------------------------------------------- */

/* Through libnice's own SDP parser, as an application would. */
static int add_remote(struct nadp *a, const struct cand *c, struct icl_err *err)
{
	char sdp[300];
	NiceCandidate *nc;
	GSList *list;
	int n;

	memcpy(sdp, "a=", 2);
	if (cand_format(c, sdp + 2, sizeof(sdp) - 2) < 0)
		return icl_err_set(err, ICL_EINPUT, "candidate: too long");
	nc = nice_agent_parse_remote_candidate_sdp(a->agent, a->stream, sdp);
	if (!nc)
		return icl_err_set(err, ICL_EINPUT, "candidate: libnice cannot parse \"%s\"", sdp + 2);
	list = g_slist_append(NULL, nc);
	n = nice_agent_set_remote_candidates(a->agent, a->stream, NADP_COMPONENT, list);
	g_slist_free(list);
	nice_candidate_free(nc);
	if (n < 1)
		return icl_err_set(err, ICL_EINPUT, "candidate: libnice did not take \"%s\" "
				   "(nice_agent_set_remote_candidates: %d)", sdp + 2, n);
	return 0;
}

int nadp_ice_set_remote(struct nadp *a, const struct proto_remote *r, struct icl_err *err)
{
	/* libnice cannot be told that its peer is lite, and a full agent
	 * facing one must be controlling (nice_cfg_controlling).  But libnice
	 * (0.1.16 on) holds a controlling-mode set after gathering until an
	 * ICE restart, and gathering comes first in the protocol: a libnice
	 * configured controlled becomes controlling only through the lite
	 * peer's 487 answers (role conflict, RFC 8445 7.3.1.1).  Its actual
	 * role is private to libnice (the property reads the configured one),
	 * so the adapter reports no role-changed check events. */
	if (nice_cfg_controlling(&a->ncfg, r->lite) != a->ncfg.controlling)
		nadp_log(a, "the peer is lite: libnice starts controlled and relies on role "
			 "conflict resolution");
	g_object_set(a->agent, "ice-trickle", !r->end_of_candidates, NULL);
	if (!nice_agent_set_remote_credentials(a->agent, a->stream, r->ufrag, r->pwd))
		return icl_err_set(err, ICL_EINPUT, "ufrag: libnice refused the remote credentials");
	for (size_t i = 0; i < r->n_cands; i++)
		if (add_remote(a, &r->cands[i], err) < 0)
			return icl_err_wrap(err, "candidates[%zu]", i);
	if (r->end_of_candidates)
		nadp_ice_end_of_candidates(a);
	return 0;
}

int nadp_ice_add_remote(struct nadp *a, const struct cand *c, struct icl_err *err)
{
	return add_remote(a, c, err);
}

void nadp_ice_end_of_candidates(struct nadp *a)
{
	nice_agent_peer_candidate_gathering_done(a->agent, a->stream);
}

void nadp_ice_ufrag(struct nadp *a, char *out, size_t size)
{
	gchar *ufrag = NULL, *pwd = NULL;

	out[0] = '\0';
	if (a->agent && nice_agent_get_local_credentials(a->agent, a->stream, &ufrag, &pwd))
		snprintf(out, size, "%s", ufrag);
	g_free(ufrag);
	g_free(pwd);
}

/* ---- close --------------------------------------------------------- */

static void closed_cb(GObject *src, GAsyncResult *res, gpointer user)
{
	(void)src;
	(void)res;
	*(bool *)user = true;
}

/* TURN allocations are released by nice_agent_close_async; wait for it a
 * little (the process exits anyway). */
void nadp_ice_close(struct nadp *a)
{
	bool done = false;
	gint64 until = g_get_monotonic_time() + 500 * 1000;

	if (!a->agent)
		return;
	nice_agent_attach_recv(a->agent, a->stream, NADP_COMPONENT, NULL, NULL, NULL);
	nice_agent_close_async(a->agent, closed_cb, &done);
	while (!done && g_get_monotonic_time() < until)
		if (!g_main_context_iteration(NULL, FALSE))
			g_usleep(10 * 1000);
	g_object_unref(a->agent);
	a->agent = NULL;
}
