// The live view: keeps its DOM and canvases across Streamlit runs and only repaints them from
// compact updates (ui/live/payload.py). live_draw.js is concatenated before this file.
// Hooks for tests: the root (and the st-key-<key> element around it) carry data-frame (repaints),
// data-step and data-test-loss of the frame shown.

const STATES = new WeakMap();
const SERIES = [["train_loss", "#999", "train loss"], ["test_loss", "#222", "test loss"]];
const ACC = [["train_accuracy", "#9ec5e0", "train accuracy"], ["test_accuracy", "#0877bd",
  "test accuracy"]];
const HIST_CAP = 4000;

export default function live(component) {
  const { data, parentElement, setTriggerValue } = component;
  let s = STATES.get(parentElement);
  if (!s) {
    s = init(parentElement);
    STATES.set(parentElement, s);
  }
  s.trigger = setTriggerValue;
  if (data && data.byteLength) {
    try {
      const u = decode(data);
      if (u.link) pull(s, u.link);
      else apply(s, u);
    } catch (err) {
      s.el.status.textContent = `live view error: ${err.message}`;
      console.error(err);
    }
  }
}

function init(parent) {
  const root = parent.querySelector(".nnl-root");
  const q = (role) => root.querySelector(`[data-role="${role}"]`);
  const el = {};
  for (const r of ["status", "net", "links", "nodes", "grid", "points", "log", "window", "loss",
    "acc", "legend", "tip", "big", "tiptext", "edit", "editlabel", "editvalue", "curve-title"]) {
    el[r] = q(r);
  }
  const host = parent.host || parent;
  const s = {
    root, el, keyed: host.closest ? host.closest("[class*='st-key-']") : null,
    frame: 0, run: null, lastStep: -Infinity, hist: {}, structure: "", view: {},
    points: {}, nodes: [], links: [], last: null, editing: null, resyncAt: 0,
  };
  el.log.onchange = () => drawCurves(s);
  el.window.onchange = () => drawCurves(s);
  el.edit.onsubmit = (ev) => {
    ev.preventDefault();
    const v = Number(el.editvalue.value);
    if (s.editing && Number.isFinite(v)) s.trigger("edit", { ...s.editing, value: v });
    closeEdit(s);
  };
  el.editvalue.onkeydown = (ev) => { if (ev.key === "Escape") closeEdit(s); };
  el.editvalue.onblur = () => closeEdit(s);
  new ResizeObserver(() => { layout(s); paintAll(s); }).observe(el.net);
  new ResizeObserver(() => { if (s.last) paintPoints(el.points, s); drawCurves(s); })
    .observe(el.points.parentElement);
  return s;
}

function setHooks(s, u) {
  const attrs = { "data-frame": String(s.frame), "data-step": String(u.step),
    "data-test-loss": u.test_loss === null ? "" : String(u.test_loss) };
  for (const node of [s.root, s.keyed]) {
    if (!node) continue;
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  }
}

function resync(s, why) {
  if (s.pulling) {
    s.wantFull = true; // the next pull brings everything
    return;
  }
  const now = performance.now();
  if (now - s.resyncAt < 500) return;
  s.resyncAt = now;
  s.trigger("resync", `${why} ${Date.now()}`);
}

function apply(s, u) {
  if (!u.full && u.text === s.last?.text) return; // paused: the same frame again, no repaint
  if (u.full) {
    s.run = u.run;
    s.hist = {};
    s.features = u.features;
    s.points = {};
    for (const part of ["train", "test"]) {
      const xy = u.arrays[`pts_${part}`];
      if (xy) s.points[part] = { xy: xy.data, y: u.arrays[`y_${part}`].data };
    }
    s.inputs = u.arrays.inputs ? u.arrays : null;
  } else if (u.run !== s.run) {
    resync(s, "run");
    return;
  } else if ((u.hist_after ?? -Infinity) !== s.lastStep) {
    resync(s, "gap"); // a missed update: ask for everything, paint this one meanwhile
  }
  const cols = u.hist_cols;
  const rows = u.arrays.hist;
  if (rows) {
    const n = rows.shape[0];
    for (let c = 0; c < cols.length; c++) {
      const arr = (s.hist[cols[c]] ||= []);
      for (let i = 0; i < n; i++) arr.push(rows.data[i * cols.length + c]);
    }
    if ((s.hist.step || []).length > HIST_CAP) {
      for (const k of Object.keys(s.hist)) s.hist[k] = s.hist[k].filter((_, i) => i % 2 === 0);
    }
  }
  s.lastStep = u.hist_last ?? -Infinity;
  s.bound = u.grid_bound;
  s.task = u.task;
  s.nClasses = u.n_classes;
  const viewChanged = JSON.stringify(u.view) !== JSON.stringify(s.view);
  s.view = u.view || {};
  s.last = u;
  const structure = JSON.stringify([s.run, u.layers, s.features,
    u.arrays.thumbs?.shape, u.arrays.grid?.shape]);
  if (structure !== s.structure) {
    s.structure = structure;
    layout(s);
  }
  if (u.full || viewChanged || u.arrays.rbf) paintPoints(s.el.points, s); // rbf: centres move
  paintAll(s);
  s.frame += 1;
  setHooks(s, u);
}

function paintAll(s) {
  const u = s.last;
  if (!u) return;
  const g = u.arrays.grid;
  if (g) {
    const k = g.shape[0];
    const grids = Array.from({ length: k }, (_, i) => gridValues(u.arrays, "grid", i));
    if (k === 1) paintDiverging(s.el.grid, grids[0], g.shape[1], 1, s.view.discretize);
    else paintClasses(s.el.grid, grids, g.shape[1], s.view.discretize);
    s.outGrids = grids;
  }
  for (const n of s.nodes) paintNode(s, n);
  paintLinks(s);
  drawCurves(s);
  drawStatus(s);
}

function thumbSource(s, n) {
  const u = s.last;
  if (n.kind === "input") return s.inputs && [s.inputs, "inputs", n.unit];
  if (n.kind === "hidden") return [u.arrays, "thumbs", n.flat];
  return null;
}

function paintNode(s, n) {
  const u = s.last;
  if (n.kind === "output") {
    const g = u.arrays.grid;
    if (!g || !s.outGrids) return;
    const r = g.shape[1];
    if (g.shape[0] === 1) paintDiverging(n.canvas, s.outGrids[0], r, 1, s.view.discretize);
    else paintDiverging(n.canvas, s.outGrids[n.unit].map((p) => 2 * p - 1), r, 1, false);
  } else {
    const src = thumbSource(s, n);
    const v = src && gridValues(...src);
    if (!v) return;
    const t = src[0][src[1]].shape[1];
    paintDiverging(n.canvas, v, t, Math.max(1, maxAbs(v)), false);
  }
  if (n.bias) {
    const b = u.arrays[`b${n.layer}`]?.data[n.unit] ?? 0;
    n.bias.style.background = rgb(b < 0 ? NEG : POS, Math.min(1, 0.25 + Math.abs(b)));
  }
  const sel = s.view.selected;
  n.div.classList.toggle("sel", !!sel && sel[0] === n.layer && sel[1] === n.unit);
}

function paintLinks(s) {
  const u = s.last;
  for (const l of s.links) {
    const w = u.arrays[`w${l.layer}`]?.data[l.row * l.nIn + l.col];
    if (w === undefined) continue;
    // to 1/100 of opacity and 1/10 px: most links then look the same as in the last frame, and
    // an attribute left alone costs the browser no restyle or repaint of that path
    const stroke = rgb(w < 0 ? NEG : POS, Math.min(1, 0.15 + Math.abs(w) * 0.6).toFixed(2));
    const width = Math.min(8, 0.6 + Math.abs(w) * 2).toFixed(1);
    if (stroke !== l.stroke) l.path.setAttribute("stroke", (l.stroke = stroke));
    if (width !== l.width) l.path.setAttribute("stroke-width", (l.width = width));
  }
}

function drawCurves(s) {
  const h = s.hist;
  if (!h.step) return;
  const logScale = s.el.log.checked;
  const win = Number(s.el.window.value);
  const series = SERIES.filter(([c]) => h[c]).map(([c, color]) => ({ x: h.step, y: h[c], color }));
  if (series.length) paintCurves(s.el.loss, series, logScale, win, null);
  const acc = ACC.filter(([c]) => h[c]).map(([c, color]) => ({ x: h.step, y: h[c], color }));
  s.el.acc.hidden = !acc.length;
  if (acc.length) paintCurves(s.el.acc, acc, false, win, [0, 1]);
  const legend = [...SERIES, ...ACC].filter(([c]) => h[c]);
  const key = legend.map((x) => x[0]).join();
  if (s.el.legend.dataset.key !== key) {
    s.el.legend.dataset.key = key;
    s.el.legend.innerHTML = legend.map(([, c, name]) =>
      `<span><b style="color:${c}">━</b> ${name}</span>`).join("");
  }
}

const fmt = (v, d = 4) => (v === null || v === undefined ? "–" : Number(v).toFixed(d));

function drawStatus(s) {
  const u = s.last;
  const parts = [u.status, `step ${u.step}`, `epoch ${u.epoch}`,
    `${fmt(u.steps_per_s, 0)} steps/s`, `train loss ${fmt(u.train_loss)}`,
    `test loss ${fmt(u.test_loss)}`];
  if (u.train_accuracy !== null) parts.push(`train acc ${fmt(u.train_accuracy, 3)}`);
  if (u.test_accuracy !== null) parts.push(`test acc ${fmt(u.test_accuracy, 3)}`);
  if (u.message) parts.push(u.message);
  s.el.status.textContent = parts.join(" · ");
}

// ---- the network's layout and its pointer events -------------------------------------------

function layout(s) {
  const u = s.last;
  if (!u) return;
  const { nodes: nodesEl, links: svg, net } = s.el;
  nodesEl.replaceChildren();
  svg.replaceChildren();
  s.nodes = [];
  s.links = [];
  const feats = s.features || [];
  const cols = [feats.length];
  for (let i = 0; i < u.layers.length; i++) {
    const w = u.arrays[`w${i}`];
    cols.push(w ? w.shape[0] : 0);
  }
  const most = Math.max(1, ...cols);
  const width = Math.max(200, net.clientWidth);
  const labelW = 56;
  const size = Math.max(18, Math.min(44, (width - labelW) / (cols.length * 1.8)));
  const gap = Math.max(6, size * 0.3);
  const top = 22;
  net.style.height = `${top + most * (size + gap) + 10}px`;
  const x0 = labelW;
  const dx = cols.length > 1 ? (width - x0 - size - 4) / (cols.length - 1) : 0;
  const pos = [];
  let flat = 0;
  for (let c = 0; c < cols.length; c++) {
    const x = x0 + c * dx;
    const title = document.createElement("div");
    title.className = "nnl-coltitle";
    const hidden = cols.length - 2;
    title.textContent = c === 0 ? "inputs" : c === cols.length - 1 ? `output (${cols[c]})`
      : hidden > 4 ? `${c}` : `layer ${c}`;
    title.title = c === 0 ? "input features" : u.layers[c - 1];
    title.style.left = `${x + size / 2}px`;
    nodesEl.append(title);
    pos.push([]);
    for (let i = 0; i < cols[c]; i++) {
      const y = top + i * (size + gap);
      const kind = c === 0 ? "input" : c === cols.length - 1 ? "output" : "hidden";
      const n = makeNode(s, kind, c - 1, i, x, y, size);
      if (kind === "hidden") n.flat = flat++;
      if (kind === "input") {
        const lab = document.createElement("div");
        lab.className = "nnl-label";
        lab.textContent = feats[i];
        lab.style.right = `${width - x + 4}px`;
        lab.style.top = `${y + size / 2}px`;
        nodesEl.append(lab);
      }
      pos[c].push([x, y + size / 2]);
    }
  }
  for (let c = 1; c < cols.length; c++) {
    for (let r = 0; r < cols[c]; r++) {
      for (let k = 0; k < cols[c - 1]; k++) {
        const [ax, ay] = pos[c - 1][k];
        const [bx, by] = pos[c][r];
        const x1 = ax + size;
        const mx = (x1 + bx) / 2;
        const d = `M${x1},${ay} C${mx},${ay} ${mx},${by} ${bx},${by}`;
        const hit = document.createElementNS("http://www.w3.org/2000/svg", "path");
        hit.setAttribute("class", "hit");
        hit.setAttribute("d", d);
        const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
        path.setAttribute("d", d);
        const l = { layer: c - 1, row: r, col: k, nIn: cols[c - 1], path };
        Object.assign(hit.dataset, { layer: l.layer, row: r, col: k });
        hit.onmousemove = (ev) => showTip(s, ev, null, linkText(s, l), hit.dataset);
        hit.onmouseleave = () => hideTip(s);
        hit.onclick = (ev) => openEdit(s, ev, l.layer, l.row, l.col);
        svg.append(hit, path);
        s.links.push(l);
      }
    }
  }
  svg.style.pointerEvents = "none";
  svg.querySelectorAll(".hit").forEach((h) => { h.style.pointerEvents = "stroke"; });
}

function makeNode(s, kind, layer, unit, x, y, size) {
  const div = document.createElement("div");
  div.className = `nnl-node ${kind}`;
  Object.assign(div.style, { left: `${x}px`, top: `${y}px`, width: `${size}px`,
    height: `${size}px` });
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 1;
  div.append(canvas);
  div.dataset.layer = String(layer);
  div.dataset.unit = String(unit);
  const n = { kind, layer, unit, div, canvas };
  if (kind !== "input") {
    n.bias = document.createElement("div");
    n.bias.className = "nnl-bias";
    n.bias.onmousemove = (ev) => { ev.stopPropagation(); showTip(s, ev, null, biasText(s, n)); };
    n.bias.onclick = (ev) => { ev.stopPropagation(); openEdit(s, ev, layer, unit, null); };
    div.append(n.bias);
    div.onclick = () => s.trigger("select", { layer, unit });
  }
  div.onmousemove = (ev) => showTip(s, ev, n, nodeText(s, n), div.dataset);
  div.onmouseleave = () => hideTip(s);
  s.el.nodes.append(div);
  s.nodes.push(n);
  return n;
}

function nodeText(s, n) {
  const u = s.last;
  if (n.kind === "input") return `input ${s.features[n.unit]}`;
  const b = u.arrays[`b${n.layer}`]?.data[n.unit];
  return `${u.layers[n.layer]} · neuron ${n.unit + 1}\nbias = ${b}`;
}

function biasText(s, n) {
  const b = s.last.arrays[`b${n.layer}`]?.data[n.unit];
  return `${s.last.layers[n.layer]} · neuron ${n.unit + 1}\nbias = ${b}\n(click to edit)`;
}

function linkText(s, l) {
  const u = s.last;
  const w = u.arrays[`w${l.layer}`]?.data[l.row * l.nIn + l.col];
  const from = l.layer === 0 ? s.features[l.col] : `neuron ${l.col + 1}`;
  return `${u.layers[l.layer]} · ${from} → neuron ${l.row + 1}\nweight = ${w}\n(click to edit)`;
}

function showTip(s, ev, node, text, where = {}) {
  const { tip, big, tiptext } = s.el;
  tip.hidden = false;
  for (const k of ["layer", "unit", "row", "col"]) tip.dataset[k] = where[k] ?? "";
  tiptext.textContent = text;
  big.classList.toggle("off", !node);
  if (node) {
    big.width = node.canvas.width;
    big.height = node.canvas.height;
    big.getContext("2d").drawImage(node.canvas, 0, 0);
  }
  const w = tip.offsetWidth;
  const h = tip.offsetHeight;
  let x = ev.clientX + 14;
  let y = ev.clientY + 14;
  if (x + w > window.innerWidth) x = Math.max(0, ev.clientX - w - 14);
  if (y + h > window.innerHeight) y = Math.max(0, ev.clientY - h - 14);
  tip.style.left = `${x}px`;
  tip.style.top = `${y}px`;
}

function hideTip(s) {
  s.el.tip.hidden = true;
}

function openEdit(s, ev, layer, row, col) {
  const u = s.last;
  const a = u.arrays[col === null ? `b${layer}` : `w${layer}`];
  const nIn = a.shape[1] || 1;
  const v = col === null ? a.data[row] : a.data[row * nIn + col];
  s.editing = { layer, row, col };
  s.el.editlabel.textContent = col === null ? `bias ${u.layers[layer]}[${row + 1}]`
    : `weight ${u.layers[layer]}[${row + 1}, ${col + 1}]`;
  s.el.editvalue.value = String(v);
  Object.assign(s.el.edit.style, { left: `${ev.clientX + 8}px`, top: `${ev.clientY + 8}px` });
  s.el.edit.hidden = false;
  hideTip(s);
  s.el.editvalue.focus();
  s.el.editvalue.select();
}

function closeEdit(s) {
  s.editing = null;
  s.el.edit.hidden = true;
}
