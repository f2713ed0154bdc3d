// The live view pulling its own frames (ui/live/stream.py); concatenated between live_draw.js
// and live.js into one module, so it calls their apply() and decode().

// One request for the next frame: its bytes, or what to do instead (the session is gone; wait).
async function fetchFrame(s, url) {
  const full = s.wantFull;
  try {
    const r = await fetch(full ? `${url}?full=1` : url, { cache: "no-store" });
    if (r.status === 404) return { gone: true };
    if (r.status === 204) return {}; // nothing new within the server's wait: ask again
    if (!r.ok) return { wait: true };
    return { bytes: new Uint8Array(await r.arrayBuffer()), full };
  } catch (err) {
    return { wait: true };
  }
}

// Under serve.py the view pulls its frames itself: each answer is the newest snapshot's update,
// and the request for the next one is already on its way while this one is painted.
function pull(s, url) {
  if (s.pulling === url) return;
  s.pulling = url;
  s.wantFull = true; // a view that starts pulling asks for everything once
  const alive = () => s.pulling === url && s.root.isConnected;
  (async () => {
    let next = null;
    while (alive()) {
      if (document.hidden) { // a hidden tab asks for nothing (its trainer may idle and pause)
        await new Promise((r) => document.addEventListener("visibilitychange", r, { once: true }));
        continue;
      }
      const got = await (next || fetchFrame(s, url));
      next = null;
      if (got.gone) break; // the session is gone; a new link restarts the pull
      if (!got.bytes) {
        if (got.wait) await new Promise((ok) => setTimeout(ok, 300));
        continue;
      }
      if (got.full) s.wantFull = false;
      next = fetchFrame(s, url);
      try {
        const t0 = performance.now();
        apply(s, decode(got.bytes));
        const ms = (performance.now() - t0).toFixed(1);
        for (const node of [s.root, s.keyed]) node?.setAttribute("data-paint-ms", ms);
      } catch (err) {
        s.el.status.textContent = `live view error: ${err.message}`;
        console.error(err);
      }
      await new Promise((ok) => requestAnimationFrame(ok));
    }
    if (s.pulling === url) s.pulling = null;
  })();
}
