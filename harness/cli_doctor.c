/* cli_doctor.c - `icelab doctor`: the kernel features, privileges and
 * programs a suite needs, one line per check, with the fix for what is
 * missing.
 *
 * Programs are looked up as icelab starts them (PATH, execvp; agents as
 * registry.h says), then doctor enters the sandbox a run uses
 * (netns/sandbox.h, rootless mode included) and probes the kernel in a
 * scratch network namespace (netns/caps.h) that it drops again: never in
 * the machine's own.  Exit status 0 when nothing is missing (warnings are
 * for optional parts), 1 otherwise, 2 on bad usage.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../netns/caps.h"
#include "../netns/sandbox.h"
#include "cli.h"
#include "registry.h"

enum doc_state { DOC_OK, DOC_WARN, DOC_MISSING };

struct doc {
	size_t n[3]; /* lines per state */
};

/* The programs topologies start (netns/nat64.c, dns64.c, turn.c, probes),
 * each with the Debian package scripts/install-deps installs it from. */
static const struct doc_tool {
	const char *prog, *pkg, *use;
} doc_tools[] = {
	{"tayga", "tayga", "NAT64 and 464XLAT (nat64:, clat:)"},
	{"unbound", "unbound", "DNS64 (dns64:)"},
	{"turnserver", "coturn", "STUN and TURN servers (turn:)"},
	{"turnutils_natdiscovery", "coturn", "NAT behaviour discovery (namespace tests)"},
};

/* The kernel probes, run in the scratch namespace in this order. */
struct doc_probe {
	const char *check, *ok;
	int (*probe)(struct icl_err *err);
	enum doc_state if_failed;
	const char *fix;
	const char *denied; /* added when a user namespace is refused it */
};

static const struct doc_probe doc_probes[] = {
	{.check = "veth", .ok = "a veth pair", .probe = caps_veth, .if_failed = DOC_MISSING,
	 .fix = "modprobe veth (CONFIG_VETH)"},
	{.check = "sysctls", .ok = "net.ipv4.ip_forward, net.ipv6.conf.all.forwarding",
	 .probe = caps_sysctl, .if_failed = DOC_MISSING,
	 .fix = "/proc/sys must be writable: mount /proc read-write"},
	{.check = "nftables NAT", .ok = "nat table with a masquerade rule (libnftables)",
	 .probe = caps_nft_nat, .if_failed = DOC_MISSING,
	 .fix = "modprobe nft_nat nft_masq (CONFIG_NFT_NAT, CONFIG_NFT_MASQ)"},
	{.check = "conntrack", .ok = "ct state rule", .probe = caps_conntrack,
	 .if_failed = DOC_MISSING,
	 .fix = "modprobe nf_conntrack nft_ct (CONFIG_NF_CONNTRACK, CONFIG_NFT_CT)"},
	{.check = "tun", .ok = "/dev/net/tun, TUNSETIFF (TAYGA)", .probe = caps_tun_here,
	 .if_failed = DOC_MISSING, .fix = "modprobe tun (CONFIG_TUN)",
	 .denied = ", or let users open it (chmod 0666 /dev/net/tun, Debian's default); "
		   "without it the NAT64 and CLAT cases are n/a"},
	{.check = "netem", .ok = "tc qdisc netem", .probe = caps_netem, .if_failed = DOC_WARN,
	 .fix = "not needed: icelab impairs links in userspace (NFQUEUE, below); "
		"modprobe sch_netem (CONFIG_NET_SCH_NETEM) would add it"},
	{.check = "userspace impairment",
	 .ok = "NFQUEUE rule (nft_compat), queue bound, packet socket", .probe = caps_nfqueue,
	 .if_failed = DOC_MISSING,
	 .fix = "modprobe nfnetlink_queue xt_NFQUEUE nft_compat (CONFIG_NETFILTER_NETLINK_QUEUE, "
		"CONFIG_NETFILTER_XT_TARGET_NFQUEUE, CONFIG_NFT_COMPAT)"},
	{.check = "packet capture", .ok = "AF_PACKET socket (pcaps)", .probe = caps_packet,
	 .if_failed = DOC_MISSING, .fix = "modprobe af_packet (CONFIG_PACKET)"},
};

static void doc_line(struct doc *d, enum doc_state st, const char *check, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void doc_line(struct doc *d, enum doc_state st, const char *check, const char *fmt, ...)
{
	static const char *const label[] = {"ok", "warn", "MISSING"};
	va_list ap;

	d->n[st]++;
	printf("%-8s %-22s ", label[st], check);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* `name` in PATH, as execvp finds it. */
static bool path_lookup(const char *name, char *out, size_t cap)
{
	const char *p = getenv("PATH");

	while (p && *p) {
		size_t len = strcspn(p, ":");

		if ((size_t)snprintf(out, cap, "%.*s/%s", (int)len, len ? p : ".", name) < cap &&
		    access(out, X_OK) == 0)
			return true;
		p += len + (p[len] == ':');
	}
	return false;
}

static void check_tools(struct doc *d)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(doc_tools) / sizeof(doc_tools[0]); i++) {
		const struct doc_tool *t = &doc_tools[i];

		if (path_lookup(t->prog, path, sizeof(path)))
			doc_line(d, DOC_OK, t->prog, "%s", path);
		else
			doc_line(d, DOC_MISSING, t->prog, "not in PATH, needed for %s; install: "
				 "apt-get install %s", t->use, t->pkg);
	}
}

static void check_agents(struct doc *d)
{
	static const char *const needed[] = {"icelab-lite", "icelab-full"};
	char path[PATH_MAX];
	struct icl_err err;

	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		if (reg_resolve(needed[i], path, sizeof(path), &err) == 0)
			doc_line(d, DOC_OK, needed[i], "%s", path);
		else
			doc_line(d, DOC_MISSING, needed[i], "%s; build: make", err.msg);
	}
	/* The libnice adapter (registry name "libnice") is optional: runs
	 * with --agent X=libnice need it, the suite does not. */
	if (reg_resolve("libnice", path, sizeof(path), &err) == 0)
		doc_line(d, DOC_OK, "icelab-libnice", "%s", path);
	else
		doc_line(d, DOC_WARN, "icelab-libnice", "not built (optional: the libnice adapter; "
			 "make builds it, with libnice-dev installed)");
}

/* A number from a /proc/sys file; `dflt` when it does not exist. */
static long sysctl_long(const char *path, long dflt)
{
	FILE *f = fopen(path, "re");
	long v = dflt;

	if (f != NULL) {
		if (fscanf(f, "%ld", &v) != 1)
			v = dflt;
		fclose(f);
	}
	return v;
}

/* Root, or what rootless mode needs: user namespaces for this user. */
static void check_privileges(struct doc *d)
{
	const char *k = "user namespaces";
	long max = sysctl_long("/proc/sys/user/max_user_namespaces", -1);

	if (geteuid() == 0) {
		doc_line(d, DOC_OK, "privileges", "root: every element is available");
		return;
	}
	if (sysctl_long("/proc/sys/kernel/unprivileged_userns_clone", 1) == 0)
		doc_line(d, DOC_MISSING, k, "disabled for users (kernel.unprivileged_userns_clone = 0)"
			 "; fix: sysctl -w kernel.unprivileged_userns_clone=1, or run as root");
	else if (max == 0)
		doc_line(d, DOC_MISSING, k, "none allowed (user.max_user_namespaces = 0); fix: "
			 "sysctl -w user.max_user_namespaces=15000, or run as root");
	else if (sysctl_long("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", 0) == 1)
		doc_line(d, DOC_MISSING, k, "restricted by AppArmor; fix: sysctl -w "
			 "kernel.apparmor_restrict_unprivileged_userns=0, or run as root");
	else
		doc_line(d, DOC_OK, k, "rootless mode: uid %u is root of a user namespace of its "
			 "own (user.max_user_namespaces = %ld)", (unsigned)geteuid(), max);
}

/* In the scratch namespace: every kernel probe. */
static int run_probes(void *arg, struct icl_err *unused)
{
	struct doc *d = arg;
	bool rootless = sandbox_rootless();

	(void)unused;
	doc_line(d, DOC_OK, "network namespaces", "a scratch namespace");
	for (size_t i = 0; i < sizeof(doc_probes) / sizeof(doc_probes[0]); i++) {
		const struct doc_probe *p = &doc_probes[i];
		struct icl_err err = {0};
		int rc = p->probe(&err);
		bool denied = err.code == -EACCES || err.code == -EPERM;

		if (rc == 0)
			doc_line(d, DOC_OK, p->check, "%s", p->ok);
		else if (p->if_failed == DOC_WARN)
			doc_line(d, DOC_WARN, p->check, "%s; %s", err.msg, p->fix);
		else if (rootless && denied)
			doc_line(d, p->if_failed, p->check, "%s; not permitted in a user namespace "
				 "here: run as root%s", err.msg, p->denied ? p->denied : "");
		else
			doc_line(d, p->if_failed, p->check, "%s; fix: %s", err.msg, p->fix);
	}
	return 0;
}

static void check_kernel(struct doc *d)
{
	struct icl_err err = {0};

	fflush(stdout); /* the sandbox forks */
	if (sandbox_enter(&err) < 0) {
		doc_line(d, DOC_MISSING, "sandbox", "%s", err.msg);
		doc_line(d, DOC_MISSING, "kernel features", "not checked: no sandbox to probe in");
		return;
	}
	doc_line(d, DOC_OK, "sandbox", "PID and mount namespaces, own /proc, private TMPDIR");
	if (caps_scratch(run_probes, d, &err) < 0)
		doc_line(d, DOC_MISSING, "network namespaces", "%s; fix: a kernel with "
			 "CONFIG_NET_NS", err.msg);
}

int cli_doctor(int argc, char **argv)
{
	struct doc d = {{0}};

	if (argc > 1) {
		bool help = strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0;

		fputs("usage: icelab doctor   (checks what a suite needs; exit 0: all there)\n",
		      help ? stdout : stderr);
		return help ? 0 : 2;
	}
	if (geteuid() == 0)
		printf("icelab doctor: as root\n");
	else
		printf("icelab doctor: as uid %u, rootless mode\n", (unsigned)geteuid());
	check_privileges(&d);
	check_tools(&d);
	check_agents(&d);
	check_kernel(&d);
	printf("icelab doctor: %zu ok, %zu warnings, %zu missing\n", d.n[DOC_OK], d.n[DOC_WARN],
	       d.n[DOC_MISSING]);
	return d.n[DOC_MISSING] ? 1 : 0;
}
