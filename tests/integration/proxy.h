/*
 * proxy: a TCP forwarder for tests, between a repaird node and its Redis, that
 * the test can cut. It runs as a thread of the test process, listens on a free
 * loopback port and forwards each connection to 127.0.0.1:<target>.
 *
 * The ways a network splits, from the kind TCP notices to the kind it does not:
 * - cut: every connection reset, new ones accepted and closed at once;
 * - blackhole: nothing passes either way and nobody is told; connections and
 *   the bytes sent meanwhile wait in the kernel, and a heal delivers them late
 *   (a split shorter than TCP's retransmission timeout);
 * - drop: nothing passes and every byte is lost; the connections open during
 *   the drop stay dead for good (a middlebox that forgot them), only new ones
 *   work after the heal;
 * - deaf: what the node sends reaches Redis, Redis's answers are lost (a
 *   one-way split); the connections open meanwhile stay deaf after the heal.
 * Every socket is close-on-exec: a daemon started meanwhile holds none of them
 * (a child forked without exec would, and keep a cut connection open: write
 * load comes from a thread).
 */
#ifndef REPAIRD_PROXY_H
#define REPAIRD_PROXY_H

enum proxy_mode { PROXY_OPEN, PROXY_CUT, PROXY_BLACKHOLE, PROXY_DROP, PROXY_DEAF };

struct proxy;

/* A proxy to 127.0.0.1:target_port (the test fails if it cannot start). */
struct proxy *proxy_start(int target_port);
/* The port it listens on. */
int proxy_port(const struct proxy *p);
/* Switch the mode; returns once the forwarding thread works in it. PROXY_OPEN heals. */
void proxy_set(struct proxy *p, enum proxy_mode mode);
/* Stop the thread and close everything (p may be NULL). */
void proxy_stop(struct proxy *p);

#endif
