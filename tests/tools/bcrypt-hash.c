// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bcrypt-hash: a bcrypt hash of a password for the web configuration
 * file's basic_auth_users, with libxcrypt (what `htpasswd -nbBC 10` from
 * apache2-utils prints after "user:"). For the tests; any bcrypt tool
 * does as well.
 *
 *   bcrypt-hash PASSWORD [COST=10] [PREFIX=$2y$]
 */
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data cd;
	const char *h;

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: bcrypt-hash PASSWORD [COST] [PREFIX]\n");
		return 2;
	}
	memset(&cd, 0, sizeof(cd));
	if (!crypt_gensalt_rn(argc > 3 ? argv[3] : "$2y$", argc > 2 ? atoi(argv[2]) : 10, NULL, 0,
			      salt, sizeof(salt))) {
		perror("crypt_gensalt");
		return 1;
	}
	h = crypt_r(argv[1], salt, &cd);
	if (!h || h[0] == '*') {
		fprintf(stderr, "bcrypt-hash: crypt failed\n");
		return 1;
	}
	printf("%s\n", h);
	return 0;
}
