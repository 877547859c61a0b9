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

static struct vno_mhd mhd;
static struct vno_gnutls gtls;
static bool mhd_ok, gtls_ok;
static char mhd_why[256], gtls_why[256];
static pthread_once_t mhd_once = PTHREAD_ONCE_INIT, gtls_once = PTHREAD_ONCE_INIT;

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

const struct vno_mhd *vno_mhd(char *err, size_t errlen)
{
	pthread_once(&mhd_once, load_mhd);
	if (mhd_ok)
		return &mhd;
	snprintf(err, errlen, "%s: the HTTP server needs it (Debian: libmicrohttpd12)", mhd_why);
	return NULL;
}

const struct vno_gnutls *vno_gnutls(char *err, size_t errlen)
{
	pthread_once(&gtls_once, load_gnutls);
	if (gtls_ok)
		return &gtls;
	snprintf(err, errlen, "%s: the web config needs it (Debian: libgnutls30)", gtls_why);
	return NULL;
}
