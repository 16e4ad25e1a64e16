/* SPDX-License-Identifier: GPL-2.0-or-later */
/* api-events.h: each stream polls the VPSes' runtime state and sends what changed. The
 * daemon runs a thread per connection, so the reader may wait in its own thread. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api-events.h"
#include "cleanup.h"
#include "parse.h"
#include "state.h"

#define POLL_MS      250
#define KEEPALIVE_S  15
#define STREAM_VPSES 4096

struct seen {
	char name[33];
	enum vps_run_state rs;
	bool stopping; /* VPS_TRANSITION: a stop, not a start */
	uint64_t boots;
	bool present;
};

/* The streams each token holds, by its id. */
#define HOLDERS 512

static struct {
	char id[17];
	unsigned n;
} holders[HOLDERS];
static pthread_mutex_t holders_lock = PTHREAD_MUTEX_INITIALIZER;

/* One more stream for id; false when it has its share, or no slot is free. */
static bool hold(const char *id)
{
	int free_slot = -1, i;
	bool ok = false;

	pthread_mutex_lock(&holders_lock);
	for (i = 0; i < HOLDERS; i++) {
		if (holders[i].n && strcmp(holders[i].id, id) == 0)
			break;
		if (!holders[i].n && free_slot < 0)
			free_slot = i;
	}
	if (i == HOLDERS && free_slot >= 0) {
		i = free_slot;
		snprintf(holders[i].id, sizeof(holders[i].id), "%s", id);
	}
	if (i < HOLDERS && holders[i].n < API_EVENTS_PER_TOKEN) {
		holders[i].n++;
		ok = true;
	}
	pthread_mutex_unlock(&holders_lock);
	return ok;
}

static void unhold(const char *id)
{
	pthread_mutex_lock(&holders_lock);
	for (int i = 0; i < HOLDERS; i++)
		if (holders[i].n && strcmp(holders[i].id, id) == 0) {
			holders[i].n--;
			break;
		}
	pthread_mutex_unlock(&holders_lock);
}

struct stream {
	struct api_ctx *ctx;
	struct api_token tok;
	struct api_token_watch watch;
	bool ended; /* the token went: what is left is sent, then the stream ends */
	struct seen *seen;
	size_t n_seen;
	char *out;
	size_t out_len, out_cap, out_pos;
	time_t last_write;
};

static int emit(struct stream *s, const char *event, const char *name, const char *state,
                uint64_t boots)
{
	char line[256];
	int n = snprintf(line, sizeof(line),
	                 "event: %s\ndata: {\"name\":\"%s\",\"state\":\"%s\",\"boots\":%" PRIu64
	                 ",\"time\":%lld}\n\n",
	                 event, name, state, boots, (long long)time(NULL));

	if (n < 0 || (size_t)n >= sizeof(line))
		return -EINVAL;
	if (s->out_len + (size_t)n + 1 > s->out_cap) {
		size_t c = (s->out_len + (size_t)n + 1) * 2;
		char *b = realloc(s->out, c);

		if (!b)
			return -ENOMEM;
		s->out = b;
		s->out_cap = c;
	}
	memcpy(s->out + s->out_len, line, (size_t)n);
	s->out_len += (size_t)n;
	return 0;
}

static struct seen *find(struct stream *s, const char *name)
{
	for (size_t i = 0; i < s->n_seen; i++)
		if (strcmp(s->seen[i].name, name) == 0)
			return &s->seen[i];
	if (s->n_seen >= STREAM_VPSES)
		return NULL;
	snprintf(s->seen[s->n_seen].name, sizeof(s->seen[0].name), "%s", name);
	s->seen[s->n_seen].rs = _VPS_RUN_STATE_MAX; /* new: its first state is news */
	return &s->seen[s->n_seen++];
}

/* One look at every VPS the token may see; events for what changed since the last. */
static int scan(struct stream *s)
{
	_cleanup_closedir_ DIR *d = opendir(s->ctx->paths.vps_base);
	/* the run directory opened once a scan, as list reads it (state.h's run info) */
	_cleanup_close_ int run = open(s->ctx->paths.run_base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *e;

	for (size_t i = 0; i < s->n_seen; i++)
		s->seen[i].present = false;
	while (d && (e = readdir(d))) {
		struct vps_run_info ri;
		const char *text;
		struct seen *v;
		bool stopping;

		if (!name_is_valid(e->d_name) || !api_token_has_vps(&s->tok, e->d_name))
			continue;
		v = find(s, e->d_name);
		if (!v)
			break;
		v->present = true;
		/* the state as status says it: a stop under way is "stopping", not "starting" */
		vps_run_info_get(&s->ctx->paths, run, e->d_name, &ri);
		text = vps_run_info_state(&ri);
		stopping = ri.rs == VPS_TRANSITION && ri.stopping;
		if (ri.rs != v->rs || stopping != v->stopping) {
			if (emit(s, "state", v->name, text, ri.st.boots) < 0)
				return -ENOMEM;
		} else if (ri.rs == VPS_RUNNING && ri.st.boots > v->boots) {
			if (emit(s, "reboot", v->name, text, ri.st.boots) < 0)
				return -ENOMEM;
		}
		v->rs = ri.rs;
		v->stopping = stopping;
		v->boots = ri.rs == VPS_RUNNING ? ri.st.boots : 0;
	}
	for (size_t i = 0; i < s->n_seen; i++) {
		if (s->seen[i].present || s->seen[i].rs == _VPS_RUN_STATE_MAX)
			continue;
		if (emit(s, "removed", s->seen[i].name, "removed", 0) < 0)
			return -ENOMEM;
		s->seen[i].rs = _VPS_RUN_STATE_MAX;
	}
	return 0;
}

/* The token seen again at each poll (removed, expired, its VPSes changed): a stream lives no
 * longer than the token that opened it. false: an "end" event with the reason is queued. */
static bool still_valid(struct stream *s)
{
	enum api_auth a = api_token_recheck(s->ctx->token_file, &s->tok, &s->watch);
	char line[128];
	int n;

	if (a == API_AUTH_OK)
		return true;
	n = snprintf(line, sizeof(line), "event: end\ndata: {\"error\":\"%s\"}\n\n",
	             api_auth_reason(a));
	s->ended = true;
	if (n > 0 && (size_t)n < sizeof(line) && s->out_cap >= (size_t)n) {
		memcpy(s->out, line, (size_t)n);
		s->out_len = (size_t)n;
	}
	return false;
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;

	while (s->out_pos == s->out_len) {
		s->out_pos = s->out_len = 0;
		if (s->ctx->stopping || s->ended)
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (!still_valid(s)) {
			if (s->out_len)
				break;
			return MHD_CONTENT_READER_END_OF_STREAM;
		}
		if (scan(s) < 0)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		if (s->out_len)
			break;
		/* a comment now and then: a client that left is noticed by the failing write */
		if (time(NULL) - s->last_write >= KEEPALIVE_S) {
			snprintf(buf, max, ": keepalive\n\n");
			s->last_write = time(NULL);
			return (ssize_t)strlen(buf);
		}
		nanosleep(&(struct timespec){0, POLL_MS * 1000000L}, NULL);
	}
	size_t n = s->out_len - s->out_pos < max ? s->out_len - s->out_pos : max;

	memcpy(buf, s->out + s->out_pos, n);
	s->out_pos += n;
	s->last_write = time(NULL);
	return (ssize_t)n;
}

static void stream_free(void *cls)
{
	struct stream *s = cls;

	unhold(s->tok.id);
	free(s->seen);
	free(s->out);
	free(s);
}

struct MHD_Response *api_events_response(struct api_ctx *ctx, const struct api_token *tok)
{
	struct stream *s;
	struct MHD_Response *resp;

	if (!hold(tok->id))
		return errno = EBUSY, NULL;
	s = calloc(1, sizeof(*s));
	if (!s) {
		unhold(tok->id);
		return NULL;
	}
	s->tok = *tok; /* first: stream_free lets go of its hold */
	s->seen = calloc(STREAM_VPSES, sizeof(*s->seen));
	if (!s->seen) {
		stream_free(s);
		return NULL;
	}
	s->ctx = ctx;
	s->last_write = time(NULL);
	s->out_cap = 256; /* room for the "end" event whatever memory is left later */
	s->out = malloc(s->out_cap);
	if (!s->out) {
		stream_free(s);
		return NULL;
	}
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, reader, s, stream_free);
	if (!resp) {
		stream_free(s);
		return NULL;
	}
	MHD_add_response_header(resp, "Content-Type", "text/event-stream");
	MHD_add_response_header(resp, "Cache-Control", "no-cache");
	return resp;
}
