/** A link scanner opens every link of a message at once; a person clicks one, maybe two, in two seconds. */
export const BURST_WINDOW_MS = 2_000;
export const BURST_DISTINCT_LINKS = 3;

export interface ClickSeen {
  id: string;
  recipient_id: string;
  url: string | null;
  occurred_at: string;
}

/**
 * The ids of clicks that fall in a burst: some window of BURST_WINDOW_MS in which one recipient clicked at least
 * BURST_DISTINCT_LINKS distinct links. Every click of such a window is in the answer, earlier ones included.
 */
export function burstClickIds(clicks: readonly ClickSeen[]): Set<string> {
  const burst = new Set<string>();
  const byRecipient = new Map<string, { id: string; url: string; at: number }[]>();
  for (const c of clicks) {
    const at = Date.parse(c.occurred_at);
    if (Number.isNaN(at)) continue;
    const list = byRecipient.get(c.recipient_id) ?? [];
    list.push({ id: c.id, url: c.url ?? "", at });
    byRecipient.set(c.recipient_id, list);
  }
  for (const list of byRecipient.values()) {
    list.sort((a, b) => a.at - b.at);
    for (let start = 0; start < list.length; start++) {
      const window = [];
      for (let i = start; i < list.length && list[i].at - list[start].at <= BURST_WINDOW_MS; i++) window.push(list[i]);
      if (new Set(window.map((c) => c.url)).size >= BURST_DISTINCT_LINKS) for (const c of window) burst.add(c.id);
    }
  }
  return burst;
}
