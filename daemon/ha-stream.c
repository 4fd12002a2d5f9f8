/*
 * ha-stream: the journal stream <prefix>:journal. The leader appends each
 * commit batch as an entry <term>-<n> with fields p (the entry before it),
 * n (records in the stream so far) and b (the batch's record bytes); a fence
 * entry has `fence <node>` instead of b, a snapshot marker `snapshot 1`.
 * A standby applies entries in order; an entry whose p is not the last one
 * it applied means it missed some (trimmed, or Redis lost them): it loads
 * the snapshot (ha-snapshot.c) and goes on from the entry it covers. A
 * marker whose n is not the standby's count means the snapshot holds
 * records the stream never got (a reship): it loads it too.
 *
 * Batches are opaque here: the core's journal_next()/journal_apply() read
 * them, exactly as replay at start does.
 */
#include "ha_impl.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "conn.h"
#include "journal.h"
#include "journal_file.h"
#include "log.h"
#include "server.h"
#include "upstream.h"
#include "xmalloc.h"

/* A snapshot every this many batches keeps the stream (and a bootstrap) short. */
#define SNAPSHOT_EVERY 10000

/* ---- entry IDs ------------------------------------------------------------------------ */

int sid_parse(const char *s, struct sid *out)
{
	char *end;

	out->ms = strtoull(s, &end, 10);
	if (*end != '-')
		return -1;
	out->seq = strtoull(end + 1, &end, 10);
	return *end == '\0' ? 0 : -1;
}

int sid_cmp(struct sid a, struct sid b)
{
	if (a.ms != b.ms)
		return a.ms < b.ms ? -1 : 1;
	if (a.seq != b.seq)
		return a.seq < b.seq ? -1 : 1;
	return 0;
}

void sid_format(struct sid id, char *out, size_t len)
{
	if (id.ms == 0 && id.seq == 0)
		snprintf(out, len, "none");
	else
		snprintf(out, len, "%" PRIu64 "-%" PRIu64, id.ms, id.seq);
}

static struct ha *ha_of(const redisAsyncContext *ac)
{
	return ac->data ? ((struct hlink *)ac->data)->h : NULL;
}

bool ha_fenced_error(const redisReply *r)
{
	return r->type == REDIS_REPLY_ERROR && strstr(r->str, "equal or smaller") != NULL;
}

/* ---- the leader: shipping ------------------------------------------------------------------ */

static void on_wait(redisAsyncContext *ac, void *r, void *privdata);

static void send_wait(struct ha *h, uint64_t batch)
{
	char n[16], ms[16];
	const char *argv[3] = {"WAIT", n, ms};

	snprintf(n, sizeof n, "%d", h->srv->cfg->ha_wait_replicas);
	/* WAIT blocks the connection: the lease renewal behind it must not starve. */
	snprintf(ms, sizeof ms, "%d", h->srv->cfg->ha_lease_ms / 6 + 1);
	redisAsyncCommandArgv(h->cmd.ac, on_wait, (void *)(uintptr_t)batch, 3, argv, NULL);
}

static void confirm(struct ha *h, uint64_t batch)
{
	size_t n = 0;

	if (batch <= h->confirmed)
		return;
	h->confirmed = batch;
	/* The held replies go out now: on disk already, and now in Redis. */
	client_release_confirmed(h->srv);
	/* And the events these batches journaled may go to their streams. */
	while (n < h->nseqs && h->seqs[n].batch <= batch)
		h->events_upto = h->seqs[n++].seq;
	memmove(h->seqs, h->seqs + n, (h->nseqs - n) * sizeof *h->seqs);
	h->nseqs -= n;
	if (n > 0)
		upstream_kick(h->srv->up);
}

uint64_t ha_events_upto(const struct ha *h)
{
	if (h == NULL)
		return UINT64_MAX;
	return h->role == HA_LEADER ? h->events_upto : 0;
}

static void on_wait(redisAsyncContext *ac, void *r, void *privdata)
{
	struct ha *h = ha_of(ac);
	redisReply *reply = r;
	uint64_t batch = (uint64_t)(uintptr_t)privdata;

	if (h == NULL || reply == NULL || h->role != HA_LEADER)
		return;
	if (reply->type == REDIS_REPLY_INTEGER && reply->integer >= h->srv->cfg->ha_wait_replicas) {
		if (h->replicas_short)
			log_msg(LOG_NOTICE, "ha: Redis replicas confirm the journal again");
		h->replicas_short = false;
		confirm(h, batch);
		return;
	}
	if (!h->replicas_short)
		log_msg(LOG_WARNING,
		        "ha: batch %" PRIu64 " reached %lld of %d replicas; replies wait for them",
		        batch, reply->type == REDIS_REPLY_INTEGER ? reply->integer : -1LL,
		        h->srv->cfg->ha_wait_replicas);
	h->replicas_short = true;
	if (hlink_ready(&h->cmd))
		send_wait(h, batch);
}

/* Errors other than the fence: the link is not to be trusted with what followed. */
static void shipping_failed(struct ha *h, const redisReply *reply, const char *what)
{
	if (ha_fenced_error(reply)) {
		char why[200];
		snprintf(why, sizeof why, "Redis refused %s: a newer term wrote to the stream",
		         what);
		ha_step_down(h, why);
		return;
	}
	h->need_reship = true;
	hlink_fail(&h->cmd, reply->str);
}

static void on_xadd(redisAsyncContext *ac, void *r, void *privdata)
{
	struct ha *h = ha_of(ac);
	redisReply *reply = r;

	if (h == NULL || reply == NULL || h->role != HA_LEADER)
		return;
	if (reply->type == REDIS_REPLY_ERROR) {
		shipping_failed(h, reply, "a journal batch");
		return;
	}
	if (h->srv->cfg->ha_wait_replicas == 0)
		confirm(h, (uint64_t)(uintptr_t)privdata);
}

static void ship_batch(struct ha *h)
{
	char key[160], id[48], prev[48], n[24];
	const char *argv[9];
	size_t argvlen[9];

	ha_key(h, "journal", key, sizeof key);
	sid_format(h->applied, prev, sizeof prev);
	h->applied.ms = h->term;
	h->applied.seq = h->next_seq++;
	sid_format(h->applied, id, sizeof id);
	snprintf(n, sizeof n, "%" PRIu64, h->records);
	argv[0] = "XADD";
	argv[1] = key;
	argv[2] = id;
	argv[3] = "p";
	argv[4] = prev;
	argv[5] = "n";
	argv[6] = n;
	argv[7] = "b";
	argv[8] = h->batch.data;
	for (int i = 0; i < 8; i++)
		argvlen[i] = strlen(argv[i]);
	argvlen[8] = h->batch.len;
	redisAsyncCommandArgv(h->cmd.ac, on_xadd, (void *)(uintptr_t)h->shipped, 9, argv, argvlen);
	if (h->srv->cfg->ha_wait_replicas > 0)
		send_wait(h, h->shipped);
}

/* For ha-snapshot.c: its marker and the batches it held are confirmed as any batch. */
void ha_confirm(struct ha *h, uint64_t batch)
{
	confirm(h, batch);
}

void ha_send_wait(struct ha *h, uint64_t batch)
{
	send_wait(h, batch);
}

void ha_shipping_failed(struct ha *h, const redisReply *reply, const char *what)
{
	shipping_failed(h, reply, what);
}

/*
 * The batch jfile_commit() just wrote goes to the stream: called by the
 * journal before its fdatasync (jfile.tap_ready), and flushed to the socket
 * at once, so that Redis's round trip overlaps the local disk's instead of
 * following it (sync: on waits for both). A batch whose fdatasync then
 * fails is in the stream and never acknowledged: the node exits (fsync:
 * always) and, back, rebuilds from the stream like any former leader.
 */
void ha_ship(void *arg)
{
	struct ha *h = arg;

	if (h->role != HA_LEADER || h->batch.len == 0)
		return;
	h->shipped++;
	h->records += h->batch_records;
	if (h->nseqs == HA_SEQS_MAX) {
		/*
		 * Redis confirms nothing for a long while (WAIT short of replicas, a
		 * snapshot failing): the newest entry stands for the batches since,
		 * whose events then wait for it. Bounded memory, the same order.
		 */
		h->seqs[h->nseqs - 1] = (struct ha_seq){h->shipped, h->srv->journal.last_seq};
	} else {
		if (h->nseqs == h->capseqs) {
			h->capseqs = h->capseqs ? 2 * h->capseqs : 64;
			h->seqs = xreallocarray(h->seqs, h->capseqs, sizeof *h->seqs);
		}
		h->seqs[h->nseqs++] = (struct ha_seq){h->shipped, h->srv->journal.last_seq};
	}
	/*
	 * A reship snapshot being written: after its marker. With the link
	 * down or in doubt, the next snapshot covers this batch.
	 */
	if (ha_snapshot_holds(h)) {
		ha_snapshot_hold_batch(h);
	} else if (hlink_ready(&h->cmd) && !h->need_reship) {
		ship_batch(h);
		redisAsyncHandleWrite(h->cmd.ac);
	} else {
		h->need_reship = true;
	}
	h->batch.len = 0;
	h->batch_records = 0;
	if (++h->since_snapshot >= SNAPSHOT_EVERY)
		h->snapshot_due = true;
	if (h->batch.cap > (4u << 20)) {
		rbuf_free(&h->batch);
		rbuf_init(&h->batch);
	}
}

void ha_after_commit(struct ha *h)
{
	if (h == NULL)
		return;
	if (h->role != HA_LEADER) {
		h->batch.len = 0;
		h->batch_records = 0;
		return;
	}
	ha_ship(h); /* nothing left unless the tap was set without tap_ready */
	/* A reship waits until the lease is confirmed on this connection. */
	if ((h->snapshot_due || (h->need_reship && h->renewed)) && !h->snapshot_out &&
	    hlink_ready(&h->cmd))
		ha_ship_snapshot(h);
}

/* Apply a batch's records to e. 0, or -1 with the reason. */
static int apply_records(struct engine *e, const char *data, size_t len, uint64_t *n, char *err,
                         size_t errlen)
{
	size_t off = 0;
	struct jrec rec;
	enum jnext st;

	*n = 0;
	while ((st = journal_next((const unsigned char *)data, len, &off, &rec)) == JNEXT_OK) {
		if (journal_apply(e, &rec, err, errlen) < 0)
			return -1;
		(*n)++;
	}
	if (st != JNEXT_END) {
		snprintf(err, errlen, "a damaged record at offset %zu", off);
		return -1;
	}
	return 0;
}

/* ---- the standby's tail -----------------------------------------------------------------------
 */

static const char *entry_field(const redisReply *fields, const char *name, size_t *len)
{
	for (size_t i = 0; i + 1 < fields->elements; i += 2)
		if (strcmp(fields->element[i]->str, name) == 0) {
			if (len)
				*len = fields->element[i + 1]->len;
			return fields->element[i + 1]->str;
		}
	return NULL;
}

/* One entry. false: stop reading (a gap, a bad batch, or we lead now). */
static bool apply_entry(struct ha *h, const redisReply *entry)
{
	struct server *srv = h->srv;
	struct sid id, prev = {0, 0};
	const redisReply *fields;
	const char *p, *b, *n;
	size_t blen = 0;
	uint64_t nrec = 0;
	char err[256];

	if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2 ||
	    entry->element[0]->type != REDIS_REPLY_STRING ||
	    sid_parse(entry->element[0]->str, &id) < 0)
		return false;
	fields = entry->element[1];
	p = entry_field(fields, "p", NULL);
	n = entry_field(fields, "n", NULL);
	b = entry_field(fields, "b", &blen);
	if (p == NULL || n == NULL || (strcmp(p, "none") != 0 && sid_parse(p, &prev) < 0))
		return false;
	/* Our own genesis fence (Redis was empty) follows nothing; anything else must follow us. */
	if (!(h->have_pos || (h->taking_over && sid_cmp(id, h->fence) == 0 && prev.ms == 0)) ||
	    sid_cmp(prev, h->applied) != 0) {
		char a[48];
		sid_format(h->applied, a, sizeof a);
		log_msg(LOG_NOTICE, "ha: entry %s follows %s, not %s: loading the snapshot",
		        entry->element[0]->str, p, h->have_pos ? a : "a known entry");
		h->need_rebuild = true;
		h->have_pos = false;
		if (h->taking_over) {
			/* We cannot reach our fence in order: let the lease go. */
			h->taking_over = false;
			h->lease_until = 0;
		}
		return false;
	}
	/*
	 * A snapshot marker after a reship holds batches that never became
	 * entries (Redis lost them, or the link was down): its count says so.
	 */
	if (entry_field(fields, "snapshot", NULL) != NULL && strtoull(n, NULL, 10) != h->records) {
		log_msg(LOG_NOTICE, "ha: snapshot %s holds records this node lacks: loading it",
		        entry->element[0]->str);
		h->need_rebuild = true;
		h->have_pos = false;
		return false;
	}
	if (b != NULL) {
		if (apply_records(srv->eng, b, blen, &nrec, err, sizeof err) < 0) {
			log_msg(LOG_ERR, "ha: entry %s does not apply: %s; loading the snapshot",
			        entry->element[0]->str, err);
			h->need_rebuild = true;
			h->have_pos = false;
			return false;
		}
		jfile_append_batch(&srv->journal, srv->eng, b, blen, nrec);
		event_active(srv->commit_ev, EV_TIMEOUT, 0);
		h->batches_applied++;
	}
	h->applied = id;
	h->have_pos = true;
	h->records = strtoull(n, NULL, 10);
	if (h->records > h->top_records)
		h->top_records = h->records;
	if (h->taking_over && sid_cmp(id, h->fence) == 0) {
		ha_become_leader(h);
		return false;
	}
	return true;
}

static void on_tail(redisAsyncContext *ac, void *r, void *privdata)
{
	struct ha *h = ha_of(ac);
	redisReply *reply = r;
	const redisReply *entries;

	(void)privdata;
	if (h == NULL || reply == NULL)
		return;
	h->tail_out = false;
	if ((uint64_t)(uintptr_t)privdata != h->tail_gen || h->role != HA_STANDBY ||
	    (!h->have_pos && !h->taking_over)) {
		ha_tail_next(h);
		return;
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		hlink_fail(&h->tail, reply->str);
		return;
	}
	/* XREAD: [[key, [[id, [field, value, ...]], ...]]], or nil after BLOCK. */
	if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 1 &&
	    reply->element[0]->elements == 2) {
		entries = reply->element[0]->element[1];
		for (size_t i = 0; i < entries->elements; i++)
			if (!apply_entry(h, entries->element[i]))
				return;
	}
	ha_tail_next(h);
}

void ha_tail_next(struct ha *h)
{
	char key[160], from[48], block[16];
	const char *argv[8];

	if (h->tail_out || h->role != HA_STANDBY || !hlink_ready(&h->tail) || h->need_rebuild ||
	    !h->bootstrapped || (!h->have_pos && !h->taking_over))
		return;
	ha_key(h, "journal", key, sizeof key);
	if (h->have_pos)
		sid_format(h->applied, from, sizeof from);
	else
		snprintf(from, sizeof from, "0-0");
	snprintf(block, sizeof block, "%d", h->srv->cfg->ha_lease_ms);
	argv[0] = "XREAD";
	argv[1] = "COUNT";
	argv[2] = "256";
	argv[3] = "BLOCK";
	argv[4] = block;
	argv[5] = "STREAMS";
	argv[6] = key;
	argv[7] = from;
	h->tail_out = true;
	h->tail_sent = ha_now_ms();
	redisAsyncCommandArgv(h->tail.ac, on_tail, (void *)(uintptr_t)h->tail_gen, 8, argv, NULL);
}
