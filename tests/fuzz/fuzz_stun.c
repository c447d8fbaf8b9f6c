/* fuzz_stun.c - libFuzzer target for the STUN codec (agents/stun.c).
 *
 * Besides "no crash, no leak, no out-of-bounds read" it checks one
 * property: whatever the decoder accepts, the writer can re-encode from
 * the decoded fields, and the decoder accepts that again with the same
 * values.  A decoder that accepts something its own writer cannot express
 * (or a writer that emits what the decoder rejects) aborts here.
 *
 * The input is copied into a block of exactly its size so that ASan
 * catches a read one byte past the end.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../agents/stun.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t fuzz_key[] = "VOkJxbRl1RmTxUk/WvJxBt";

#define FAIL(...) do { fprintf(stderr, __VA_ARGS__); abort(); } while (0)

static void put_str(struct stun_writer *w, const struct stun_msg *m, uint32_t bit,
		    uint16_t type, struct stun_str s)
{
	if (m->has & bit)
		stun_put_bytes(w, type, s.ptr, s.len);
}

static void put_addr(struct stun_writer *w, const struct stun_msg *m, uint32_t bit,
		     uint16_t type, const union stun_addr *a)
{
	if (m->has & bit)
		stun_put_xor_addr(w, type, a);
}

/* The fixed-size and special attributes, in the writer's own format. */
static void put_scalars(struct stun_writer *w, const struct stun_msg *m)
{
	char reason[800];

	if (m->has & STUN_HAS_PRIORITY)
		stun_put_u32(w, STUN_A_PRIORITY, m->priority);
	if (m->has & STUN_HAS_CONTROLLING)
		stun_put_u64(w, STUN_A_ICE_CONTROLLING, m->tiebreaker);
	if (m->has & STUN_HAS_CONTROLLED)
		stun_put_u64(w, STUN_A_ICE_CONTROLLED, m->tiebreaker);
	if (m->has & STUN_HAS_USE_CANDIDATE)
		stun_put_flag(w, STUN_A_USE_CANDIDATE);
	if (m->has & STUN_HAS_LIFETIME)
		stun_put_u32(w, STUN_A_LIFETIME, m->lifetime);
	if (m->has & STUN_HAS_CHANNEL)
		stun_put_u32(w, STUN_A_CHANNEL_NUMBER, (uint32_t)m->channel << 16);
	if (m->has & STUN_HAS_REQ_FAMILY)
		stun_put_u32(w, STUN_A_REQUESTED_FAMILY, (uint32_t)m->requested_family << 24);
	if (m->has & STUN_HAS_REQ_TRANSPORT)
		stun_put_u32(w, STUN_A_REQUESTED_TRANSPORT, (uint32_t)m->requested_transport << 24);
	if (m->has & STUN_HAS_UNKNOWN_ATTRS)
		stun_put_unknown(w, m->unknown_attrs, m->n_unknown_attrs);
	if (m->has & STUN_HAS_ERROR) {
		/* put_error takes a C string: a NUL in the reason cuts it. */
		stun_str_copy(m->error_reason, reason, sizeof(reason));
		stun_put_error(w, m->error_code, reason);
	}
}

static void reencode(const struct stun_msg *m, uint8_t *out, size_t cap, int *len)
{
	struct stun_writer w;

	stun_writer_init(&w, out, cap, m->method, m->cls, m->txid);
	put_addr(&w, m, STUN_HAS_XOR_MAPPED, STUN_A_XOR_MAPPED_ADDRESS, &m->xor_mapped);
	put_addr(&w, m, STUN_HAS_XOR_PEER, STUN_A_XOR_PEER_ADDRESS, &m->xor_peer);
	put_addr(&w, m, STUN_HAS_XOR_RELAYED, STUN_A_XOR_RELAYED_ADDRESS, &m->xor_relayed);
	put_str(&w, m, STUN_HAS_USERNAME, STUN_A_USERNAME, m->username);
	put_str(&w, m, STUN_HAS_SOFTWARE, STUN_A_SOFTWARE, m->software);
	put_str(&w, m, STUN_HAS_REALM, STUN_A_REALM, m->realm);
	put_str(&w, m, STUN_HAS_NONCE, STUN_A_NONCE, m->nonce);
	put_str(&w, m, STUN_HAS_DATA, STUN_A_DATA, m->data);
	put_scalars(&w, m);
	if (m->has & STUN_HAS_INTEGRITY)
		stun_put_integrity(&w, fuzz_key, sizeof(fuzz_key) - 1);
	if (m->has & STUN_HAS_FINGERPRINT)
		stun_put_fingerprint(&w);
	*len = stun_writer_end(&w);
}

/* The second decoding must agree with the first on what was re-encoded
 * (MAPPED-ADDRESS has no writer and is left out on purpose). */
static void compare(const struct stun_msg *a, const struct stun_msg *b)
{
	uint32_t want = a->has & ~(uint32_t)STUN_HAS_MAPPED;

	if (b->has != want)
		FAIL("has 0x%x, re-decoded 0x%x\n", want, b->has);
	if (a->method != b->method || a->cls != b->cls || memcmp(a->txid, b->txid, STUN_TXID_SIZE))
		FAIL("header changed\n");
	if (a->priority != b->priority || a->tiebreaker != b->tiebreaker ||
	    a->lifetime != b->lifetime || a->channel != b->channel ||
	    a->error_code != b->error_code || a->n_unknown_attrs != b->n_unknown_attrs)
		FAIL("a number changed\n");
	if (a->username.len != b->username.len || a->data.len != b->data.len ||
	    (a->data.len && memcmp(a->data.ptr, b->data.ptr, a->data.len)))
		FAIL("a string changed\n");
	if ((a->has & STUN_HAS_XOR_MAPPED) && memcmp(&a->xor_mapped, &b->xor_mapped, sizeof(a->xor_mapped)))
		FAIL("XOR-MAPPED-ADDRESS changed\n");
	if ((a->has & STUN_HAS_XOR_PEER) && memcmp(&a->xor_peer, &b->xor_peer, sizeof(a->xor_peer)))
		FAIL("XOR-PEER-ADDRESS changed\n");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[STUN_HEADER_SIZE + 0x10000];
	struct icl_err err = { 0, "" };
	struct stun_msg m, m2;
	uint8_t *copy = malloc(size ? size : 1);
	int len, rc;

	if (copy == NULL)
		return 0;
	if (size)
		memcpy(copy, data, size);
	(void)stun_is_stun(copy, size);
	rc = stun_decode(copy, size, &m, &err);
	if (rc == 0) {
		(void)stun_check_integrity(&m, fuzz_key, sizeof(fuzz_key) - 1, &err);
		reencode(&m, out, sizeof(out), &len);
		if (len < 0)
			FAIL("re-encoding failed: %d\n", len);
		if (stun_decode(out, (size_t)len, &m2, &err) != 0)
			FAIL("re-encoded message rejected: %s\n", err.msg);
		compare(&m, &m2);
		if ((m.has & STUN_HAS_INTEGRITY) &&
		    stun_check_integrity(&m2, fuzz_key, sizeof(fuzz_key) - 1, &err) != 0)
			FAIL("re-encoded integrity: %s\n", err.msg);
	} else if (err.msg[0] == '\0' || strchr(err.msg, '\n')) {
		FAIL("rejection without a one-line reason\n");
	}
	free(copy);
	return 0;
}
