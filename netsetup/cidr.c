/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Address lists as vps.conf and vpsctl.conf write them, and the names of a VPS's node-side
 * devices: pure functions of their input, shared by the runtime and vps-netsetup. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "netsetup.h"

int netsetup_addr_list_parse(const char *list, struct netsetup_addr *addrs, size_t max, size_t *ret_n)
{
	char buf[1024], *save = NULL;
	size_t n = 0;

	if (strlen(list) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, list);
	for (char *tok = strtok_r(buf, " ,", &save); tok; tok = strtok_r(NULL, " ,", &save)) {
		int r;

		if (n >= max)
			return -E2BIG;
		r = netsetup_addr_parse(tok, &addrs[n]);
		if (r < 0)
			return r;
		n++;
	}
	*ret_n = n;
	return 0;
}

void netsetup_host_ifname(const char *name, char ret[NETSETUP_IFNAMSIZ])
{
	uint32_t h = 2166136261u;

	if (strlen(name) <= 10) {
		snprintf(ret, NETSETUP_IFNAMSIZ, "veth-%s", name);
		return;
	}
	/* '_' never occurs in a VPS name, so a shortened name cannot equal a real one. */
	for (const char *p = name; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	snprintf(ret, NETSETUP_IFNAMSIZ, "veth-%.4s_%05x", name, h & 0xfffff);
}

const struct netsetup_addr *netsetup_addr_subnet_of(const struct netsetup_addr *a,
						     const struct netsetup_addr *node, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (netsetup_addr_in_subnet(a, &node[i]))
			return &node[i];
	return NULL;
}
