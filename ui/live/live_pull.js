// The live view pulling its own frames (ui/live/stream.py); concatenated between live_draw.js
// and live.js into one module, so it calls their apply() and decode().

// Under serve.py the view pulls its frames itself (ui/live/stream.py): one request at a time,
// each answered with the newest snapshot's update (204: nothing new yet), one paint per frame.
function pull(s, url) {
  if (s.pulling === url) return;
  s.pulling = url;
  s.wantFull = true; // a view that starts pulling asks for everything once
  const alive = () => s.pulling === url && s.root.isConnected;
  (async () => {
    while (alive()) {
      if (document.hidden) { // a hidden tab asks for nothing (its trainer may idle and pause)
        await new Promise((r) => document.addEventListener("visibilitychange", r, { once: true }));
        continue;
      }
      let r = null;
      try {
        r = await fetch(s.wantFull ? `${url}?full=1` : url, { cache: "no-store" });
      } catch (err) {
        r = null;
      }
      if (r && r.status === 404) break; // the session is gone; a new link restarts the pull
      if (!r || !r.ok || r.status === 204) {
        if (!r || r.status !== 204) await new Promise((ok) => setTimeout(ok, 300));
        continue;
      }
      const bytes = new Uint8Array(await r.arrayBuffer());
      s.wantFull = false;
      try {
        apply(s, decode(bytes));
      } catch (err) {
        s.el.status.textContent = `live view error: ${err.message}`;
        console.error(err);
      }
      await new Promise((ok) => requestAnimationFrame(ok));
    }
    if (s.pulling === url) s.pulling = null;
  })();
}
