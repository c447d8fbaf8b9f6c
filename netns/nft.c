#include "nft.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <nftables/libnftables.h>

/* libnftables is not thread-safe (its first context initialises global
 * state without a lock), and topology nodes are built in parallel. */
static pthread_mutex_t nft_lock = PTHREAD_MUTEX_INITIALIZER;

/* Keep only the first line of nft's multi-line error (the message; the
 * following lines echo the input with carets). */
static void first_line(char *dst, size_t cap, const char *src)
{
	size_t n = strcspn(src, "\n");

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int run(const char *ruleset, struct icl_err *err)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	char line[512];
	int rc;

	if (ctx == NULL)
		return icl_err_set(err, -ENOMEM, "nft_ctx_new failed");
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	rc = nft_run_cmd_from_buffer(ctx, ruleset);
	if (rc != 0) {
		first_line(line, sizeof(line), nft_ctx_get_error_buffer(ctx));
		icl_err_set(err, -EINVAL, "nftables: %s", line[0] ? line : "ruleset rejected");
	}
	nft_ctx_free(ctx);
	return rc != 0 ? -EINVAL : 0;
}

int nft_apply(const char *ruleset, struct icl_err *err)
{
	int rc;

	pthread_mutex_lock(&nft_lock);
	rc = run(ruleset, err);
	pthread_mutex_unlock(&nft_lock);
	return rc;
}
