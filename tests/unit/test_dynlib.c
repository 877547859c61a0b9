// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Libraries opened when needed (dynlib.c): every function found, and the
 * library's own answers through them. */
#include <string.h>
#include <criterion/criterion.h>
#include "dynlib.h"

Test(dynlib, microhttpd)
{
	char err[256] = "";
	const struct vno_mhd *m = vno_mhd(err, sizeof(err));

	cr_assert_not_null(m, "%s", err);
	cr_assert_not_null(m->MHD_free);
	/* Debian's libmicrohttpd is built with GnuTLS: export's TLS needs it. */
	cr_assert_eq(m->MHD_is_feature_supported(MHD_FEATURE_TLS), MHD_YES);
	cr_assert_eq(vno_mhd(err, sizeof(err)), m, "opened once");
}

Test(dynlib, gnutls)
{
	char err[256] = "";
	const struct vno_gnutls *g = vno_gnutls(err, sizeof(err));
	unsigned char d[32], zero[32] = { 0 };

	cr_assert_not_null(g, "%s", err);
	cr_assert_eq(g->gnutls_hash_fast(GNUTLS_DIG_SHA256, "abc", 3, d), 0);
	/* SHA-256("abc"), FIPS 180-2 appendix B.1: ba7816bf… */
	cr_assert_eq(d[0], 0xba);
	cr_assert_eq(d[1], 0x78);
	cr_assert_neq(memcmp(d, zero, sizeof(d)), 0);
	cr_assert_not_null(g->gnutls_strerror(GNUTLS_E_MEMORY_ERROR));
}

Test(dynlib, pcap)
{
	char err[256] = "";
	const struct vno_pcap *p = vno_pcap(err, sizeof(err));
	struct bpf_program prog;
	pcap_t *h;

	cr_assert_not_null(p, "%s", err);
	h = p->pcap_open_dead(DLT_EN10MB, 65535);
	cr_assert_not_null(h);
	cr_assert_eq(p->pcap_compile(h, &prog, "tcp port 873", 1, PCAP_NETMASK_UNKNOWN), 0, "%s",
		     p->pcap_geterr(h));
	cr_assert_gt(prog.bf_len, 0);
	p->pcap_freecode(&prog);
	p->pcap_close(h);
}
