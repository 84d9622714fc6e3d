/**
 * A connection to the Worker's V8 inspector that `wrangler dev` opens: `call(method, params, timeoutMs)` sends one
 * DevTools protocol command and resolves with its result, or with undefined when no answer comes in time.
 */
export async function connectInspector(port) {
  const targets = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
  const ws = new WebSocket(targets[0].webSocketDebuggerUrl, { headers: { Origin: "http://localhost" } });
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error("could not connect to the Worker's inspector"));
  });
  let id = 0;
  const pending = new Map();
  ws.onmessage = (e) => {
    const m = JSON.parse(e.data);
    if (m.id === undefined) return; // events, such as the chunks of a heap snapshot
    pending.get(m.id)?.(m.result);
    pending.delete(m.id);
  };
  const call = (method, params = {}, timeoutMs = 2000) =>
    new Promise((resolve) => {
      const mine = ++id;
      pending.set(mine, resolve);
      ws.send(JSON.stringify({ id: mine, method, params }));
      setTimeout(() => {
        pending.delete(mine);
        resolve(undefined);
      }, timeoutMs);
    });
  return { call, close: () => ws.close() };
}
