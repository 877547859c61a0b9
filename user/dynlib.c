// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libmicrohttpd and GnuTLS, opened with dlopen when `export` serves HTTP
 * or reads a web config, and libpcap when -f compiles an expression,
 * instead of linked. Linked, they were mapped and
 * relocated at every start of every command: GnuTLS brings p11-kit, nettle,
 * hogweed, gmp, libtasn1, libidn2, libunistring and libffi, ~10 ms of CPU
 * before main() on the 2-core development VM (perf stat of an empty program
 * with the same libraries, 17.3 ms, against 6.9 without these two) — a
 * tenth of `record`'s way to its ready line, for libraries it never calls.
 * libpcap brings dbus, systemd and libgcrypt on Debian: ~4 ms more.
 * The functions are looked up once by name; their types come from the
 * libraries' own headers (dynlib.h).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include "dynlib.h"

/* The SONAMEs this was built against (the Makefile reads them from the
 * -dev packages' links); Debian 12's when built without them. */
#ifndef VNO_MHD_SONAME
#define VNO_MHD_SONAME "libmicrohttpd.so.12"
#endif
#ifndef VNO_GNUTLS_SONAME
#define VNO_GNUTLS_SONAME "libgnutls.so.30"
#endif
#ifndef VNO_PCAP_SONAME
#define VNO_PCAP_SONAME "libpcap.so.0.8"
#endif

static struct vno_mhd mhd;
static struct vno_gnutls gtls;
static struct vno_pcap pc;
static bool mhd_ok, gtls_ok, pc_ok;
static char mhd_why[256], gtls_why[256], pc_why[256];
static pthread_once_t mhd_once = PTHREAD_ONCE_INIT, gtls_once = PTHREAD_ONCE_INIT,
		      pc_once = PTHREAD_ONCE_INIT;

/* Opens @soname (never closed: the process uses it until it exits) and
 * sets *@slots[i] to its function @names[i]; false, with why, when it
 * cannot be opened or lacks one. The slots are function pointers written
 * through void ** as dlsym(3) shows. */
static bool load_lib(const char *soname, const char *const *names, void **const *slots,
		     size_t n, char *why, size_t len)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		snprintf(why, len, "%s cannot be loaded (%s)", soname, dlerror());
		return false;
	}
	for (size_t i = 0; i < n; i++)
		if (!(*slots[i] = dlsym(h, names[i]))) {
			snprintf(why, len, "%s has no %s", soname, names[i]);
			return false;
		}
	return true;
}

#define VNO_NAME(f) #f,
#define VNO_MHD_SLOT(f) (void **)&mhd.f,
#define VNO_GNUTLS_SLOT(f) (void **)&gtls.f,
#define VNO_PCAP_SLOT(f) (void **)&pc.f,

static void load_mhd(void)
{
	static const char *const names[] = { VNO_MHD_FUNCS(VNO_NAME) };
	void **const slots[] = { VNO_MHD_FUNCS(VNO_MHD_SLOT) };

	mhd_ok = load_lib(VNO_MHD_SONAME, names, slots, sizeof(names) / sizeof(names[0]),
			  mhd_why, sizeof(mhd_why));
}

static void load_gnutls(void)
{
	static const char *const names[] = { VNO_GNUTLS_FUNCS(VNO_NAME) };
	void **const slots[] = { VNO_GNUTLS_FUNCS(VNO_GNUTLS_SLOT) };

	gtls_ok = load_lib(VNO_GNUTLS_SONAME, names, slots, sizeof(names) / sizeof(names[0]),
			   gtls_why, sizeof(gtls_why));
}

static void load_pcap(void)
{
	static const char *const names[] = { VNO_PCAP_FUNCS(VNO_NAME) };
	void **const slots[] = { VNO_PCAP_FUNCS(VNO_PCAP_SLOT) };

	pc_ok = load_lib(VNO_PCAP_SONAME, names, slots, sizeof(names) / sizeof(names[0]),
			 pc_why, sizeof(pc_why));
}

/* @api once @load has run (the first caller runs it), or NULL with why in
 * @err and what needs the library. */
static const void *lib_get(pthread_once_t *once, void (*load)(void), const bool *ok,
			   const void *api, const char *why, const char *need, char *err,
			   size_t errlen)
{
	pthread_once(once, load);
	if (*ok)
		return api;
	snprintf(err, errlen, "%s: %s", why, need);
	return NULL;
}

const struct vno_mhd *vno_mhd(char *err, size_t errlen)
{
	return lib_get(&mhd_once, load_mhd, &mhd_ok, &mhd, mhd_why,
		       "the HTTP server needs it (Debian: libmicrohttpd12)", err, errlen);
}

const struct vno_gnutls *vno_gnutls(char *err, size_t errlen)
{
	return lib_get(&gtls_once, load_gnutls, &gtls_ok, &gtls, gtls_why,
		       "the web config needs it (Debian: libgnutls30)", err, errlen);
}

const struct vno_pcap *vno_pcap(char *err, size_t errlen)
{
	return lib_get(&pc_once, load_pcap, &pc_ok, &pc, pc_why,
		       "-f needs it (Debian: libpcap0.8)", err, errlen);
}
