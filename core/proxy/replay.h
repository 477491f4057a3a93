/*
 * replay.h -- a flow's request sent again through the proxy.
 */
#ifndef CORE_PROXY_REPLAY_H
#define CORE_PROXY_REPLAY_H

struct flow;

/* Re-sends the flow's request as a new flow marked as a replay; returns
 * the new flow (owned by the store) or NULL with *cause (caller frees). */
struct flow *core_replay(struct flow *, char **cause);

#endif
