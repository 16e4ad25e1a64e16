/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Port forwards as vps.conf's FORWARDS writes them ("tcp:8022:22 udp:5353:53"): pure
 * functions of their input, shared by the config model and the NAT rules. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netsetup.h"

static const char *const proto_names[] = {[NETSETUP_FWD_TCP] = "tcp", [NETSETUP_FWD_UDP] = "udp"};

/* A port 1..65535 in plain decimal: no sign, no spaces, no leading zero. */
static int port_parse(const char *s, size_t len, uint16_t *ret)
{
	unsigned long v = 0;

	if (len == 0 || len > 5 || s[0] == '0')
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return -ERANGE;
	*ret = (uint16_t)v;
	return 0;
}

int netsetup_forward_parse(const char *s, struct netsetup_forward *ret)
{
	const char *a = strchr(s, ':'), *b = a ? strchr(a + 1, ':') : NULL;
	struct netsetup_forward f = {0};
	int i;

	if (!b)
		return -EINVAL;
	for (i = 0; i < _NETSETUP_FWD_PROTO_MAX; i++)
		if ((size_t)(a - s) == strlen(proto_names[i]) &&
		    strncmp(s, proto_names[i], (size_t)(a - s)) == 0)
			break;
	if (i == _NETSETUP_FWD_PROTO_MAX)
		return -EINVAL;
	f.proto = (enum netsetup_fwd_proto)i;
	if (port_parse(a + 1, (size_t)(b - a - 1), &f.node_port) < 0 ||
	    port_parse(b + 1, strlen(b + 1), &f.vps_port) < 0)
		return -EINVAL;
	*ret = f;
	return 0;
}

const char *netsetup_forward_format(const struct netsetup_forward *f, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%u:%u", proto_names[f->proto], f->node_port, f->vps_port);
	return buf;
}

const char *netsetup_forward_node_port(const struct netsetup_forward *f, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%u", proto_names[f->proto], f->node_port);
	return buf;
}

int netsetup_forward_list_find(const struct netsetup_forward_list *l,
                               const struct netsetup_forward *f)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->f[i].proto == f->proto && l->f[i].node_port == f->node_port)
			return (int)i;
	return -1;
}

int netsetup_forward_list_parse(const char *text, struct netsetup_forward_list *ret)
{
	struct netsetup_forward_list l = {0};
	char buf[1024], *save = NULL;

	if (strlen(text) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, text);
	for (char *tok = strtok_r(buf, " ,", &save); tok; tok = strtok_r(NULL, " ,", &save)) {
		struct netsetup_forward f;
		int r = netsetup_forward_parse(tok, &f);

		if (r < 0)
			return r;
		if (netsetup_forward_list_find(&l, &f) >= 0)
			return -EEXIST;
		if (l.n >= NETSETUP_FORWARDS_MAX)
			return -E2BIG;
		l.f[l.n++] = f;
	}
	*ret = l;
	return 0;
}

int netsetup_forward_list_format(const struct netsetup_forward_list *l, char *buf, size_t len)
{
	size_t off = 0;

	if (len == 0)
		return -ENAMETOOLONG;
	buf[0] = '\0';
	for (size_t i = 0; i < l->n; i++) {
		char one[32];
		int n = snprintf(buf + off, len - off, "%s%s", i ? " " : "",
		                 netsetup_forward_format(&l->f[i], one, sizeof(one)));

		if (n < 0 || (size_t)n >= len - off)
			return -ENAMETOOLONG;
		off += (size_t)n;
	}
	return 0;
}

bool netsetup_forward_list_equal(const struct netsetup_forward_list *a,
                                 const struct netsetup_forward_list *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (a->f[i].proto != b->f[i].proto || a->f[i].node_port != b->f[i].node_port ||
		    a->f[i].vps_port != b->f[i].vps_port)
			return false;
	return true;
}
