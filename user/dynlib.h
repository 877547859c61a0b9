/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Libraries opened when first needed, not at every start (dynlib.c). */
#ifndef VNO_DYNLIB_H
#define VNO_DYNLIB_H

#include <stddef.h>
#include <microhttpd.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <pcap/pcap.h>

/* What http.c calls of libmicrohttpd, webconfig.c of GnuTLS and filter.c
 * of libpcap. */
#define VNO_MHD_FUNCS(X)                                                           \
	X(MHD_start_daemon) X(MHD_stop_daemon) X(MHD_is_feature_supported)         \
	X(MHD_get_connection_info) X(MHD_create_response_from_buffer)              \
	X(MHD_add_response_header) X(MHD_queue_response) X(MHD_destroy_response)   \
	X(MHD_basic_auth_get_username_password) X(MHD_queue_basic_auth_fail_response) \
	X(MHD_free)
#define VNO_GNUTLS_FUNCS(X)                                                        \
	X(gnutls_certificate_allocate_credentials) X(gnutls_certificate_free_credentials) \
	X(gnutls_certificate_set_x509_key_mem) X(gnutls_strerror) X(gnutls_rnd)    \
	X(gnutls_hash_fast)
#define VNO_PCAP_FUNCS(X)                                                          \
	X(pcap_open_dead) X(pcap_compile) X(pcap_geterr) X(pcap_freecode)         \
	X(pcap_close) X(pcap_offline_filter)

/* Each function by its own name and type, from the library's header. */
#define VNO_DYNLIB_FN(f) __typeof__(f) *f;
struct vno_mhd {
	VNO_MHD_FUNCS(VNO_DYNLIB_FN)
};
struct vno_gnutls {
	VNO_GNUTLS_FUNCS(VNO_DYNLIB_FN)
};
struct vno_pcap {
	VNO_PCAP_FUNCS(VNO_DYNLIB_FN)
};
#undef VNO_DYNLIB_FN

/* The library, opened on the first call (any thread); NULL with a sentence
 * in @err when it cannot be opened or lacks a function. */
const struct vno_mhd *vno_mhd(char *err, size_t errlen);
const struct vno_gnutls *vno_gnutls(char *err, size_t errlen);
const struct vno_pcap *vno_pcap(char *err, size_t errlen);

#endif
