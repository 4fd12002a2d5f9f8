/*
 * engine-outbox: domain events. Each event goes to the batch of the current
 * commit (for the shell's log and the journal's sequence) and, when its type
 * is one configured for Redis, to the outbox: a ring of events waiting for
 * delivery, preceded by the delivered ones kept for resending. Every
 * operation the commit and the delivery path use is O(1) (binary search for
 * lookups by sequence): the number of events waiting must not slow commits.
 * Also the delivery state per stream.
 */
#include <stdlib.h>
#include <string.h>

#include "engine_impl.h"
#include "xmalloc.h"

#define OUTBOX_MIN_CAP 256

static struct event *ring_at(const struct engine *e, size_t i)
{
	return &e->outbox[(e->out_head + i) % e->out_cap];
}

/* Move the ring's events to a new array of cap (>= the events held), oldest at 0. */
static void ring_resize(struct engine *e, size_t cap)
{
	size_t n = e->ret_n + e->out_n;
	struct event *ring = xreallocarray(NULL, cap, sizeof *ring);

	for (size_t i = 0; i < n; i++)
		ring[i] = *ring_at(e, i);
	free(e->outbox);
	e->outbox = ring;
	e->out_cap = cap;
	e->out_head = 0;
}

/* Drop retained events beyond the window (count, then age). */
void eng_retention_trim(struct engine *e)
{
	while (e->ret_n > 0 &&
	       (e->ret_n > e->ret_max ||
	        (e->ret_max_age > 0 && ring_at(e, 0)->at < e->clock - e->ret_max_age))) {
		e->out_head = (e->out_head + 1) % e->out_cap;
		e->ret_n--;
	}
	/* After an outage the ring grew to hold everything that waited: give it back. */
	if (e->out_cap > OUTBOX_MIN_CAP && (e->ret_n + e->out_n) * 4 < e->out_cap) {
		size_t cap = e->out_cap / 2;
		while (cap > OUTBOX_MIN_CAP && (e->ret_n + e->out_n) * 4 < cap)
			cap /= 2;
		ring_resize(e, cap);
	}
}

static bool kept(const struct engine *e, enum event_type type)
{
	return e->cfg->redis_enabled && (e->cfg->redis_events & (1u << type));
}

static void outbox_push(struct engine *e, const struct event *ev)
{
	if (e->ret_n + e->out_n == e->out_cap)
		ring_resize(e, e->out_cap ? e->out_cap * 2 : OUTBOX_MIN_CAP);
	*ring_at(e, e->ret_n + e->out_n) = *ev;
	e->out_n++;
	e->out_unjournaled++;
}

static void fill_event(struct event *ev, uint64_t seq, const struct ticket *t, enum event_type type,
                       int64_t at, const char *reason)
{
	memset(ev, 0, sizeof *ev);
	ev->seq = seq;
	ev->at = at;
	ev->type = (uint8_t)type;
	ev->ticket = t->id;
	ev->member = t->member;
	ev->deadline = t->deadline;
	ev->serial = t->serial;
	ev->reason = reason ? reason : "";
	ev->centre = t->centre;
	ev->product = t->product;
	ev->tier = t->tier;
	ev->programme = t->programme;
	ev->state = t->state;
}

void eng_emit(struct engine *e, const struct ticket *t, enum event_type type, int64_t at,
              const char *reason)
{
	struct event ev;

	fill_event(&ev, ++e->seq, t, type, at, reason);
	if (e->nemitted == e->cap_emitted) {
		e->cap_emitted = e->cap_emitted ? e->cap_emitted * 2 : 64;
		e->emitted = xreallocarray(e->emitted, e->cap_emitted, sizeof *e->emitted);
	}
	e->emitted[e->nemitted++] = ev;
	if (kept(e, type))
		outbox_push(e, &ev);
}

void eng_emitted_clear(struct engine *e)
{
	e->nemitted = 0;
	if (e->cap_emitted > 4096) {
		/* A burst (a reload, deadlines falling due together) left a large batch. */
		free(e->emitted);
		e->emitted = NULL;
		e->cap_emitted = 0;
	}
	e->out_unjournaled = 0;
	for (size_t i = 0; i < e->nstreams; i++)
		e->streams[i].dirty = false;
	e->streams_dirty = false;
}

void eng_outbox_free(struct engine *e)
{
	free(e->outbox);
	free(e->emitted);
	free(e->streams);
}

size_t engine_emitted(const struct engine *e, const struct event **events)
{
	*events = e->emitted;
	return e->nemitted;
}

size_t engine_outbox_count(const struct engine *e)
{
	return e->out_n;
}

const struct event *engine_outbox_at(const struct engine *e, size_t i)
{
	return i < e->out_n ? ring_at(e, e->ret_n + i) : NULL;
}

/* The first of n events from ring index base with a sequence above seq. */
static size_t ring_search(const struct engine *e, size_t base, size_t n, uint64_t seq)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ring_at(e, base + mid)->seq <= seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

size_t engine_outbox_after(const struct engine *e, uint64_t seq)
{
	return ring_search(e, e->ret_n, e->out_n, seq);
}

void engine_outbox_drop(struct engine *e, size_t n)
{
	if (n > e->out_n)
		n = e->out_n;
	e->ret_n += n;
	e->out_n -= n;
	if (e->out_unjournaled > e->out_n)
		e->out_unjournaled = e->out_n;
	eng_retention_trim(e);
}

size_t engine_outbox_unjournaled(const struct engine *e)
{
	return e->out_unjournaled;
}

uint64_t engine_last_seq(const struct engine *e)
{
	return e->seq;
}

void engine_outbox_stats(const struct engine *e, struct engine_outbox_stats *s)
{
	s->waiting = e->out_n;
	s->retained = e->ret_n;
	s->event_size = sizeof(struct event);
	s->bytes = e->out_cap * sizeof(struct event);
	s->oldest_at = e->out_n ? ring_at(e, e->ret_n)->at : 0;
}

void engine_set_retention(struct engine *e, size_t max_events, int64_t max_age)
{
	e->ret_max = max_events;
	e->ret_max_age = max_age > 0 ? max_age : 0;
	if (e->out_cap)
		eng_retention_trim(e);
}

size_t engine_retained_count(const struct engine *e)
{
	return e->ret_n;
}

const struct event *engine_retained_at(const struct engine *e, size_t i)
{
	return i < e->ret_n ? ring_at(e, i) : NULL;
}

size_t engine_retained_after(const struct engine *e, uint64_t seq)
{
	return ring_search(e, 0, e->ret_n, seq);
}

/* ---- replay ---------------------------------------------------------------------- */

void engine_restore_event(struct engine *e, const struct event *ev, const char *centre,
                          const char *product, const char *serial, const char *reason)
{
	struct ticket probe;
	struct event out;
	const struct ticket *t = tix(e, ev->ticket);

	e->seq = ev->seq;
	/* Journaled when its type was kept; a reload may have changed that. */
	if (!kept(e, (enum event_type)ev->type))
		return;
	/* fill_event() copies from a ticket; give it one with the event's values. */
	memset(&probe, 0, sizeof probe);
	probe.id = ev->ticket;
	probe.member = ev->member;
	probe.deadline = ev->deadline;
	probe.serial = t && strcmp(t->serial, serial) == 0
	                       ? t->serial
	                       : strarena_dup(&e->arena, serial, strlen(serial));
	probe.centre = strpool_intern(&e->strings, centre);
	probe.product = strpool_intern(&e->strings, product);
	probe.tier = ev->tier;
	probe.programme = ev->programme;
	probe.state = ev->state;
	fill_event(&out, ev->seq, &probe, (enum event_type)ev->type, ev->at,
	           eng_static_reason(e, reason));
	outbox_push(e, &out);
}

void engine_restore_delivered(struct engine *e, uint64_t seq)
{
	engine_outbox_drop(e, engine_outbox_after(e, seq));
	engine_restore_seq(e, seq);
}

void engine_restore_seq(struct engine *e, uint64_t seq)
{
	if (seq > e->seq)
		e->seq = seq;
}

/* ---- delivery state per stream ------------------------------------------------------ */

static const struct eng_stream *stream_find(const struct engine *e, const char *centre)
{
	uint32_t id = strpool_find(&e->strings, centre);

	for (size_t i = 0; id != UINT32_MAX && i < e->nstreams; i++)
		if (e->streams[i].centre == id)
			return &e->streams[i];
	return NULL;
}

static struct eng_stream *stream_get(struct engine *e, const char *centre)
{
	uint32_t id = strpool_intern(&e->strings, centre);

	for (size_t i = 0; i < e->nstreams; i++)
		if (e->streams[i].centre == id)
			return &e->streams[i];
	e->streams = xreallocarray(e->streams, e->nstreams + 1, sizeof *e->streams);
	memset(&e->streams[e->nstreams], 0, sizeof *e->streams);
	e->streams[e->nstreams].centre = id;
	return &e->streams[e->nstreams++];
}

void engine_stream_set_delivered(struct engine *e, const char *centre, uint64_t seq)
{
	struct eng_stream *s = stream_get(e, centre);

	if (seq > s->delivered) {
		s->delivered = seq;
		s->dirty = true;
		e->streams_dirty = true;
	}
}

void engine_restore_stream(struct engine *e, const char *centre, uint64_t seq)
{
	struct eng_stream *s = stream_get(e, centre);

	if (seq > s->delivered)
		s->delivered = seq;
}

uint64_t engine_stream_delivered(const struct engine *e, const char *centre)
{
	const struct eng_stream *s = stream_find(e, centre);

	return s ? s->delivered : 0;
}

size_t engine_stream_count(const struct engine *e)
{
	return e->nstreams;
}

uint64_t engine_stream_at(const struct engine *e, size_t i, const char **centre)
{
	if (i >= e->nstreams) {
		*centre = "";
		return 0;
	}
	*centre = engine_str(e, e->streams[i].centre);
	return e->streams[i].delivered;
}

bool engine_stream_changed(const struct engine *e, size_t i)
{
	return i < e->nstreams && e->streams[i].dirty;
}
