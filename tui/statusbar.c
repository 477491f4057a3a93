/*
 * statusbar.c -- the row above the prompt: shown and total flows, mode
 * and address, the view filter, intercept rules, and request and byte
 * rates with a sparkline of the last seconds.
 */
#include <stdio.h>
#include <string.h>

#include "core/flows/flow.h"
#include "core/flows/store.h"
#include "core/flows/view.h"
#include "core/loop/loop.h"
#include "core/loop/notice.h"
#include "core/loop/trawl.h"
#include "core/proxy/intercept.h"
#include "core/proxy/mode.h"
#include "tui/hits.h"
#include "tui/screen.h"
#include "tui/tui.h"
#include "tui/work.h"

#define SECONDS	16	/* of history in the sparkline */
#define NOTICE_SEC 30	/* a notice of trawl's own stays this long */

static struct {
	uint64_t		 reqs[SECONDS];
	uint64_t		 bytes[SECONDS];
	int			 now;		/* the second being counted */
	struct loop_timer	*tick;
} sb;

static uint64_t
flow_bytes(const struct flow *f)
{
	uint64_t n = f->up.total + f->down.total;

	if (f->request != NULL)
		n += f->request->body.total;
	if (f->response != NULL)
		n += f->response->body.total;
	return n;
}

static void
on_store(enum store_event ev, struct flow *f, void *arg)
{
	/* Loaded flows (already done) are not traffic. */
	if (ev == STORE_ADDED && f->state != FLOW_DONE)
		sb.reqs[sb.now]++;
	else if (ev == STORE_FINISHED && f->t.end > 0 &&
	    core_now() - f->t.end < 2)
		sb.bytes[sb.now] += flow_bytes(f);
}

static void
on_tick(void *arg)
{
	sb.now = (sb.now + 1) % SECONDS;
	sb.reqs[sb.now] = sb.bytes[sb.now] = 0;
	core_loop_timer_set(sb.tick, 1.0);
	tui_screen_dirty();
}

void
tui_statusbar_init(void)
{
	memset(&sb, 0, sizeof sb);
	core_store_subscribe(on_store, NULL);
	if (core_loop != NULL) {
		sb.tick = core_loop_timer_new(core_loop, on_tick, NULL);
		core_loop_timer_set(sb.tick, 1.0);
	}
}

void
tui_statusbar_done(void)
{
	core_store_unsubscribe(on_store, NULL);
	core_loop_timer_free(sb.tick);
	sb.tick = NULL;
}

static void
human_rate(uint64_t n, char *buf, size_t len)
{
	if (n < 1024)
		snprintf(buf, len, "%lluB/s", (unsigned long long)n);
	else if (n < 1024 * 1024)
		snprintf(buf, len, "%.1fK/s", n / 1024.0);
	else
		snprintf(buf, len, "%.1fM/s", n / (1024.0 * 1024));
}

/* The last SECONDS-1 complete seconds of requests, scaled to 8 levels. */
static void
sparkline(char *buf, size_t len)
{
	static const char *blocks[] = { " ", "\u2581", "\u2582", "\u2583",
	    "\u2584", "\u2585", "\u2586", "\u2587", "\u2588" };
	static const char ascii[] = " .:-=+*#%";
	uint64_t max = 0, v;
	size_t o = 0;
	int i, k, level;

	for (i = 1; i < SECONDS; i++) {
		v = sb.reqs[(sb.now + i) % SECONDS];
		if (v > max)
			max = v;
	}
	for (i = 1; i < SECONDS && o + 4 < len; i++) {
		v = sb.reqs[(sb.now + i) % SECONDS];
		level = max == 0 ? 0 : (int)((v * 8 + max - 1) / max);
		if (tui_screen_utf8()) {
			k = (int)strlen(blocks[level]);
			memcpy(buf + o, blocks[level], (size_t)k);
			o += (size_t)k;
		} else
			buf[o++] = ascii[level];
	}
	buf[o] = '\0';
}

void
tui_statusbar_draw(int y)
{
	struct view *v = tui_screen_view();
	const char *ft = core_view_filter_text(v), *notice;
	char modes[256];
	double said;
	char left[1024], right[256], rate[32], spark[64], work[128];
	size_t nr = core_intercept_count(), i, on = 0;
	int n, prev = (sb.now + SECONDS - 1) % SECONDS, rw;

	for (i = 0; i < nr; i++)
		if (core_intercept_rule(i)->enabled)
			on++;
	n = snprintf(left, sizeof left, "[%zu/%zu] ", core_view_count(v),
	    core_store_count());
	/* Local capture, then what listens where (core/proxy/mode.h). */
	core_mode_status(modes, sizeof modes);
	if (opts.mode == MODE_LOCAL)
		n += snprintf(left + n, sizeof left - n, "local:%s%s%s",
		    opts.spec != NULL ? opts.spec : "", modes[0] ? ", " : "",
		    modes);
	else if (opts.mode == MODE_REGULAR)
		n += snprintf(left + n, sizeof left - n, "%s", modes[0] ?
		    modes : "regular -");
	else
		n += snprintf(left + n, sizeof left - n, "no proxy");
	if (tui_hits_status(work, sizeof work) && (size_t)n < sizeof left)
		n += snprintf(left + n, sizeof left - n, " | %s", work);
	if (tui_work_status(work, sizeof work) && (size_t)n < sizeof left)
		n += snprintf(left + n, sizeof left - n, " | %s", work);
	if ((notice = core_notice_text(&said)) != NULL &&
	    core_now() - said < NOTICE_SEC && (size_t)n < sizeof left)
		n += snprintf(left + n, sizeof left - n, " | %s", notice);
	if (ft != NULL && (size_t)n < sizeof left)
		n += snprintf(left + n, sizeof left - n, " | filter: %s", ft);
	if (core_view_marked_only(v) && (size_t)n < sizeof left)
		n += snprintf(left + n, sizeof left - n, " | marked");
	if (core_view_order(v) != VIEW_ORDER_TIME || core_view_reverse(v))
		if ((size_t)n < sizeof left)
			n += snprintf(left + n, sizeof left - n, " | by %s%s",
			    core_view_order_name(core_view_order(v)),
			    core_view_reverse(v) ? " rev" : "");
	if (nr > 0 && (size_t)n < sizeof left) {
		n += snprintf(left + n, sizeof left - n, " | intercept%s: ",
		    core_intercept_enabled() ? "" : " OFF");
		for (i = 0; i < nr && (size_t)n < sizeof left; i++) {
			const struct intercept_rule *r = core_intercept_rule(i);

			if (r->enabled)
				n += snprintf(left + n, sizeof left - n, "%s%s",
				    i > 0 ? ", " : "", r->text);
		}
		if (on == 0 && (size_t)n < sizeof left)
			snprintf(left + n, sizeof left - n, "(all disabled)");
	}
	human_rate(sb.bytes[prev], rate, sizeof rate);
	sparkline(spark, sizeof spark);
	snprintf(right, sizeof right, " %llu req/s %s %s",
	    (unsigned long long)sb.reqs[prev], rate, spark);
	rw = tui_screen_width(right, strlen(right));
	tui_screen_fill(y, 0, ROLE_STATUS);
	if (rw > COLS / 2)
		rw = 0;		/* too narrow: the counts matter more */
	tui_screen_put(y, 0, COLS - rw, left, strlen(left), ROLE_STATUS);
	if (rw > 0)
		tui_screen_put(y, COLS - rw, rw, right, strlen(right),
		    ROLE_STATUS);
}
