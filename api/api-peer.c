/* SPDX-License-Identifier: GPL-2.0-or-later */
/* api-peer.h: peers and the connections each holds. */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-peer.h"

bool api_peer_addr_key(const struct sockaddr *sa, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "";

	if (sa && sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, a, sizeof(a));
	} else if (sa && sa->sa_family == AF_INET6) {
		struct in6_addr in6 = ((const struct sockaddr_in6 *)sa)->sin6_addr;

		if (!IN6_IS_ADDR_V4MAPPED(&in6))
			memset(in6.s6_addr + 8, 0, 8);
		inet_ntop(AF_INET6, &in6, a, sizeof(a));
	}
	if (!a[0])
		return false;
	snprintf(buf, len, "ip:%s", a);
	return true;
}

struct peer {
	char key[64];
	unsigned n; /* 0: a free slot */
};

struct api_conns {
	pthread_mutex_t lock;
	unsigned max, per_peer;
	struct peer peers[]; /* max: never more peers than connections */
};

struct api_conns *api_conns_new(unsigned max, unsigned per_peer)
{
	struct api_conns *c = calloc(1, sizeof(*c) + max * sizeof(c->peers[0]));

	if (!c)
		return NULL;
	pthread_mutex_init(&c->lock, NULL);
	c->max = max;
	c->per_peer = per_peer;
	return c;
}

void api_conns_free(struct api_conns *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* The peer's slot, or a free one when create; NULL when none. Under c->lock. */
static struct peer *slot_of(struct api_conns *c, const char *key, bool create)
{
	struct peer *free_slot = NULL;

	for (unsigned i = 0; i < c->max; i++) {
		if (c->peers[i].n && strcmp(c->peers[i].key, key) == 0)
			return &c->peers[i];
		if (!c->peers[i].n && !free_slot)
			free_slot = &c->peers[i];
	}
	if (!create || !free_slot)
		return NULL;
	snprintf(free_slot->key, sizeof(free_slot->key), "%s", key);
	return free_slot;
}

enum MHD_Result api_conns_accept(void *cls, const struct sockaddr *addr, socklen_t len)
{
	struct api_conns *c = cls;
	struct peer *p;
	char key[64];
	bool ok;

	(void)len;
	if (!api_peer_addr_key(addr, key, sizeof(key)))
		return MHD_YES; /* not an IP peer: the global limit alone */
	pthread_mutex_lock(&c->lock);
	p = slot_of(c, key, false);
	ok = p ? p->n < c->per_peer : true;
	pthread_mutex_unlock(&c->lock);
	return ok ? MHD_YES : MHD_NO;
}

void api_conns_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                      enum MHD_ConnectionNotificationCode code)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	struct api_conns *c = cls;
	struct peer *p;
	char key[64];

	pthread_mutex_lock(&c->lock);
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		p = ci && api_peer_addr_key(ci->client_addr, key, sizeof(key))
		            ? slot_of(c, key, true)
		            : NULL;
		if (p)
			p->n++;
		*socket_context = p; /* NULL: counted nowhere, let go of nowhere */
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
		p = *socket_context;
		p->n--;
		*socket_context = NULL;
	}
	pthread_mutex_unlock(&c->lock);
}
