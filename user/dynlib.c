// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libmicrohttpd and GnuTLS, opened with dlopen when `export` serves HTTP
 * or reads a web config, instead of linked. Linked, they were mapped and
 * relocated at every start of every command: GnuTLS brings p11-kit, nettle,
 * hogweed, gmp, libtasn1, libidn2, libunistring and libffi, ~10 ms of CPU
 * before main() on the 2-core development VM (perf stat of an empty program
 * with the same libraries, 17.3 ms, against 6.9 without these two) — a
 * tenth of `record`'s way to its ready line, for libraries it never calls.
 * The functions are looked up once by name; their types come from the
 * libraries' own headers (dynlib.h).
 */
#include <dlfcn.h>
#include <pthread.h>
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

static struct vno_mhd mhd;
static struct vno_gnutls gtls;
static char mhd_why[256], gtls_why[256];
static pthread_once_t mhd_once = PTHREAD_ONCE_INIT, gtls_once = PTHREAD_ONCE_INIT;

/* Never closed: the process uses the library until it exits. */
static void *open_lib(const char *soname, char *why, size_t len)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);

	if (!h)
		snprintf(why, len, "%s cannot be loaded (%s)", soname, dlerror());
	return h;
}

/* dlsym into a function pointer as POSIX shows it (dlsym(3), the cast
 * through void **); the first missing name fails the whole library. */
#define VNO_DYNLIB_LOAD(f)                                                         \
	if (!ok || !(*(void **)&api->f = dlsym(h, #f))) {                          \
		if (ok)                                                            \
			snprintf(why, len, "%s has no %s", soname, #f);            \
		ok = 0;                                                            \
	}

static void load_mhd(void)
{
	const char *soname = VNO_MHD_SONAME;
	char *why = mhd_why;
	size_t len = sizeof(mhd_why);
	struct vno_mhd *api = &mhd;
	void *h = open_lib(soname, why, len);
	int ok = h != NULL;

	VNO_MHD_FUNCS(VNO_DYNLIB_LOAD)
	if (!ok)
		api->MHD_start_daemon = NULL;
}

static void load_gnutls(void)
{
	const char *soname = VNO_GNUTLS_SONAME;
	char *why = gtls_why;
	size_t len = sizeof(gtls_why);
	struct vno_gnutls *api = &gtls;
	void *h = open_lib(soname, why, len);
	int ok = h != NULL;

	VNO_GNUTLS_FUNCS(VNO_DYNLIB_LOAD)
	if (!ok)
		api->gnutls_hash_fast = NULL;
}

const struct vno_mhd *vno_mhd(char *err, size_t errlen)
{
	pthread_once(&mhd_once, load_mhd);
	if (mhd.MHD_start_daemon)
		return &mhd;
	snprintf(err, errlen, "%s: the HTTP server needs it (Debian: libmicrohttpd12)", mhd_why);
	return NULL;
}

const struct vno_gnutls *vno_gnutls(char *err, size_t errlen)
{
	pthread_once(&gtls_once, load_gnutls);
	if (gtls.gnutls_hash_fast)
		return &gtls;
	snprintf(err, errlen, "%s: the web config needs it (Debian: libgnutls30)", gtls_why);
	return NULL;
}
