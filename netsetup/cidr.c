/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Address lists as vps.conf and vpsctl.conf write them, and the names of a VPS's node-side
 * devices: pure functions of their input, shared by the runtime and vps-netsetup. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "netsetup.h"

int netsetup_addr_list_parse(const char *text, struct netsetup_addr_list *ret)
{
	struct netsetup_addr_list l = {0};
	char buf[2048], *save = NULL;

	if (strlen(text) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, text);
	for (char *tok = strtok_r(buf, " ,", &save); tok; tok = strtok_r(NULL, " ,", &save)) {
		int r;

		if (l.n >= NETSETUP_ADDR_LIST_MAX)
			return -E2BIG;
		r = netsetup_addr_parse(tok, &l.a[l.n]);
		if (r < 0)
			return r;
		l.n++;
	}
	*ret = l;
	return 0;
}

int netsetup_addr_list_format(const struct netsetup_addr_list *l, char *buf, size_t len)
{
	size_t used = 0;

	if (len == 0)
		return -ENAMETOOLONG;
	buf[0] = '\0';
	for (size_t i = 0; i < l->n; i++) {
		char one[64];
		int n = snprintf(buf + used, len - used, "%s%s", i ? " " : "",
		                 netsetup_addr_format(&l->a[i], one, sizeof(one)));

		if (n < 0 || (size_t)n >= len - used)
			return -ENAMETOOLONG;
		used += (size_t)n;
	}
	return 0;
}

bool netsetup_addr_list_equal(const struct netsetup_addr_list *a,
                              const struct netsetup_addr_list *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!netsetup_addr_equal(&a->a[i], &b->a[i]) ||
		    a->a[i].prefixlen != b->a[i].prefixlen)
			return false;
	return true;
}

bool netsetup_addr_list_has(const struct netsetup_addr_list *l, const struct netsetup_addr *a)
{
	for (size_t i = 0; i < l->n; i++)
		if (netsetup_addr_equal(&l->a[i], a) && l->a[i].prefixlen == a->prefixlen)
			return true;
	return false;
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
