/* Namespace tests (root): each RFC 4787 behaviour observed on the wire.
 *
 * client 10.0.0.2 --lan-- router (NAT) --wan-- server 203.0.113.10/.11
 * The server's sockets see the client's mapped endpoint; the test compares
 * them (mapping) and has other server sockets send to it (filtering). */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "nsutil.h"
#include "suites.h"

struct nat_lab {
	struct topo_plan plan;
	struct topo *t;
	int s1, s2, s3; /* .10:3478, .10:3479, .11:3478 */
};

static void lab_up(struct nat_lab *l, int mapping, int filtering, bool pp, bool hairpin,
		   unsigned lifetime)
{
	char yaml[2048];

	ns_nat_lab_yaml(yaml, sizeof(yaml), mapping, filtering, pp, hairpin, lifetime);
	l->t = ns_topo_from_yaml(yaml, &l->plan);
	l->s1 = ns_udp(l->t, "server", "203.0.113.10", 3478);
	l->s2 = ns_udp(l->t, "server", "203.0.113.10", 3479);
	l->s3 = ns_udp(l->t, "server", "203.0.113.11", 3478);
}

static void lab_down(struct nat_lab *l)
{
	close(l->s1);
	close(l->s2);
	close(l->s3);
	ns_topo_free(l->t, &l->plan);
}

/* Send from `c` to a server socket and return the mapped port it sees. */
static unsigned mapped_port(int c, int server, const char *addr, unsigned port)
{
	char from[64];
	unsigned p = 0;

	ns_sendto(c, addr, port, "map");
	ck_assert_msg(ns_recv(server, 1000, from, sizeof(from), &p), "no datagram at %s:%u", addr,
		      port);
	ck_assert_str_eq(from, "203.0.113.1");
	return p;
}

static void check_mapping(int mapping, bool pp)
{
	struct nat_lab l;
	unsigned p1, p2, p3;
	int c;

	lab_up(&l, mapping, 2, pp, false, 120);
	c = ns_udp(l.t, "client", "10.0.0.2", 5000);
	p1 = mapped_port(c, l.s1, "203.0.113.10", 3478);
	p2 = mapped_port(c, l.s2, "203.0.113.10", 3479); /* same address, other port */
	p3 = mapped_port(c, l.s3, "203.0.113.11", 3478); /* other address */
	if (pp)
		ck_assert_uint_eq(p1, 5000);
	else
		ck_assert_uint_ne(p1, 5000);
	switch (mapping) {
	case 0: /* one mapping for every destination */
		ck_assert_uint_eq(p1, p2);
		ck_assert_uint_eq(p1, p3);
		break;
	case 1: /* one mapping per destination address */
		ck_assert_uint_eq(p1, p2);
		ck_assert_uint_ne(p1, p3);
		break;
	default: /* one mapping per destination address and port */
		ck_assert_uint_ne(p1, p2);
		ck_assert_uint_ne(p1, p3);
		ck_assert_uint_ne(p2, p3);
	}
	close(c);
	lab_down(&l);
}

START_TEST(mapping_behaviour)
{
	check_mapping(_i % 3, _i < 3);
}
END_TEST

/* After the client sent to s1 only, which server sockets get through? */
static void check_filtering(int mapping, int filtering)
{
	struct nat_lab l;
	const char *mapped = "203.0.113.1";
	unsigned m;
	bool got1, got2, got3;
	int c;

	lab_up(&l, mapping, filtering, true, false, 120);
	c = ns_udp(l.t, "client", "10.0.0.2", 5000);
	m = mapped_port(c, l.s1, "203.0.113.10", 3478);
	ns_sendto(l.s3, mapped, m, "from other address");
	got3 = ns_recv(c, 300, NULL, 0, NULL);
	ns_sendto(l.s2, mapped, m, "from other port");
	got2 = ns_recv(c, 300, NULL, 0, NULL);
	ns_sendto(l.s1, mapped, m, "from the destination");
	got1 = ns_recv(c, 1000, NULL, 0, NULL);
	ck_assert_msg(got1, "the reply of the contacted endpoint was dropped");
	ck_assert_msg(got2 == (filtering < 2), "other port: got=%d filtering=%s", got2,
		      ns_behaviours[filtering]);
	ck_assert_msg(got3 == (filtering < 1), "other address: got=%d filtering=%s", got3,
		      ns_behaviours[filtering]);
	close(c);
	lab_down(&l);
}

START_TEST(filtering_behaviour)
{
	check_filtering(_i / 3, _i % 3);
}
END_TEST

/* Two clients behind the NAT (two sockets of one node): A sends to B's
 * external mapping; with hairpinning B receives it from A's mapping. */
static void check_hairpin(bool on)
{
	struct nat_lab l;
	unsigned ma, mb, from_port = 0;
	char from[64];
	int a, b;
	bool got;

	lab_up(&l, 0, 0, true, on, 120);
	a = ns_udp(l.t, "client", "10.0.0.2", 5000);
	b = ns_udp(l.t, "client", "10.0.0.2", 6000);
	ma = mapped_port(a, l.s1, "203.0.113.10", 3478);
	mb = mapped_port(b, l.s1, "203.0.113.10", 3478);
	ns_sendto(a, "203.0.113.1", mb, "hairpin");
	got = ns_recv(b, on ? 1000 : 300, from, sizeof(from), &from_port);
	ck_assert_int_eq(got, on);
	if (on) {
		ck_assert_str_eq(from, "203.0.113.1");
		ck_assert_uint_eq(from_port, ma);
	}
	close(a);
	close(b);
	lab_down(&l);
}

START_TEST(hairpinning)
{
	check_hairpin(_i == 1);
}
END_TEST

/* An idle mapping expires after its lifetime: the endpoint-independent
 * filter stops admitting outsiders. */
START_TEST(mapping_lifetime)
{
	struct nat_lab l;
	unsigned m;
	int c;

	lab_up(&l, 0, 0, true, false, 1);
	c = ns_udp(l.t, "client", "10.0.0.2", 5000);
	m = mapped_port(c, l.s1, "203.0.113.10", 3478);
	ns_sendto(l.s3, "203.0.113.1", m, "within lifetime");
	ck_assert(ns_recv(c, 500, NULL, 0, NULL));
	sleep(3);
	ns_sendto(l.s3, "203.0.113.1", m, "after lifetime");
	ck_assert(!ns_recv(c, 300, NULL, 0, NULL));
	close(c);
	lab_down(&l);
}
END_TEST

/* A full NAT (max-mappings) still translates new flows but does not
 * remember them: the 17th client endpoint of a 16-mapping
 * endpoint-independent NAT gets no endpoint-independent filtering. */
START_TEST(mapping_capacity)
{
	enum { CAP = 16, N = CAP + 4 };
	static const char at[] = "          udp-mapping-lifetime: 120\n";
	struct nat_lab l;
	char yaml[2048], fixed[2200];
	unsigned m[N];
	int c[N];
	char *cut;

	ns_nat_lab_yaml(yaml, sizeof(yaml), 0, 0, false, false, 120);
	cut = strstr(yaml, at);
	ck_assert_ptr_nonnull(cut);
	snprintf(fixed, sizeof(fixed), "%.*s%s          max-mappings: %d\n%s", (int)(cut - yaml),
		 yaml, at, CAP, cut + strlen(at));
	l.t = ns_topo_from_yaml(fixed, &l.plan);
	l.s1 = ns_udp(l.t, "server", "203.0.113.10", 3478);
	l.s2 = ns_udp(l.t, "server", "203.0.113.10", 3479);
	l.s3 = ns_udp(l.t, "server", "203.0.113.11", 3478);
	for (int i = 0; i < N; i++) {
		c[i] = ns_udp(l.t, "client", "10.0.0.2", 5000 + (unsigned)i);
		m[i] = mapped_port(c[i], l.s1, "203.0.113.10", 3478);
	}
	for (int i = 0; i < N; i++) {
		bool got;

		ns_sendto(l.s3, "203.0.113.1", m[i], "unsolicited, other address");
		got = ns_recv(c[i], i < CAP ? 1000 : 300, NULL, 0, NULL);
		ck_assert_msg(got == (i < CAP), "client endpoint %d of %d (capacity %d): got=%d", i + 1,
			      N, CAP, got);
		close(c[i]);
	}
	lab_down(&l);
}
END_TEST

Suite *nat_ns_suite(void)
{
	Suite *s = suite_create("nat");
	TCase *tc = tcase_create("rfc4787");

	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, mapping_behaviour, 0, 6);  /* 3 mappings x port preservation */
	tcase_add_loop_test(tc, filtering_behaviour, 0, 9); /* 3 mappings x 3 filterings */
	tcase_add_loop_test(tc, hairpinning, 0, 2);
	tcase_add_test(tc, mapping_lifetime);
	tcase_add_test(tc, mapping_capacity);
	suite_add_tcase(s, tc);
	return s;
}
