/* SPDX-License-Identifier: GPL-2.0-or-later */
/* MAC addresses: stable ones from a VPS name, parsing, formatting, EUI-64 link-local. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "netsetup.h"

/* FNV-1a with a final mix (MurmurHash3's fmix64), so that names differing in one character
 * differ in every byte; stable across builds and architectures, as a MAC kept across
 * restarts must be. */
static uint64_t name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++) {
		h ^= (uint8_t)*s;
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

void netsetup_mac_from_name(const char *name, uint8_t ret[NETSETUP_MAC_LEN])
{
	uint64_t h = name_hash(name);

	/* 0x02: locally administered (bit 1), unicast (bit 0 clear); 40 bits from the hash. */
	ret[0] = 0x02;
	for (int i = 1; i < NETSETUP_MAC_LEN; i++)
		ret[i] = (uint8_t)(h >> (8 * (i - 1)));
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int netsetup_mac_parse(const char *s, uint8_t ret[NETSETUP_MAC_LEN])
{
	uint8_t mac[NETSETUP_MAC_LEN];
	static const uint8_t zero[NETSETUP_MAC_LEN];

	if (!s || strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < NETSETUP_MAC_LEN; i++) {
		int hi = hex_digit(s[3 * i]), lo = hex_digit(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < NETSETUP_MAC_LEN - 1 && s[3 * i + 2] != ':'))
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	/* A multicast or all-zero source address is not something a NIC may have. */
	if ((mac[0] & 0x01) || memcmp(mac, zero, sizeof(mac)) == 0)
		return -EINVAL;
	memcpy(ret, mac, sizeof(mac));
	return 0;
}

const char *netsetup_mac_format(const uint8_t mac[NETSETUP_MAC_LEN], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
	         mac[5]);
	return buf;
}

void netsetup_mac_to_link_local(const uint8_t mac[NETSETUP_MAC_LEN], struct netsetup_addr *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->family = AF_INET6;
	ret->prefixlen = 64;
	ret->bytes[0] = 0xfe;
	ret->bytes[1] = 0x80;
	/* EUI-64 (RFC 4291 appendix A): flip the universal/local bit, insert ff:fe. */
	ret->bytes[8] = mac[0] ^ 0x02;
	ret->bytes[9] = mac[1];
	ret->bytes[10] = mac[2];
	ret->bytes[11] = 0xff;
	ret->bytes[12] = 0xfe;
	ret->bytes[13] = mac[3];
	ret->bytes[14] = mac[4];
	ret->bytes[15] = mac[5];
}
