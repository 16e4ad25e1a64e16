/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Who a connection comes from, as the limits count it (an IPv4 address, an IPv6 address's
 * /64: a host picks addresses from its /64 at will), and the HTTPS connections each such peer
 * holds: counted when libmicrohttpd starts a connection, let go when it closes, refused at
 * accept once the peer holds its share. */
#pragma once

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* "ip:ADDR" for an IPv4 or IPv6 peer (an IPv6 one with its last 64 bits zeroed; an IPv4
 * client of the dual stack stays its own address); false for any other family. */
bool api_peer_addr_key(const struct sockaddr *sa, char *buf, size_t len);

struct api_conns;

/* A count for a daemon of at most max connections, each peer holding at most per_peer. */
struct api_conns *api_conns_new(unsigned max, unsigned per_peer);
void api_conns_free(struct api_conns *c);
/* MHD_OPTION_APPLY_POLICY's callback (cls: the api_conns): MHD_NO once the peer holds its
 * share. */
enum MHD_Result api_conns_accept(void *cls, const struct sockaddr *addr, socklen_t len);
/* MHD_OPTION_NOTIFY_CONNECTION's callback: counts a started connection, lets a closed one go.
 * libmicrohttpd accepts and starts a connection in its one listening thread, so no other
 * accept comes between the policy's look and the count. */
void api_conns_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                      enum MHD_ConnectionNotificationCode code);
