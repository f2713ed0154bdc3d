// The live view's decoder and painters (concatenated before live.js into one ES module).
// decode() reads the byte layout documented in ui/live/payload.py.

const NEG = [245, 147, 34]; // #f59322: -1, class 0
const POS = [8, 119, 189]; // #0877bd: +1, class 1
const MID = [232, 234, 235]; // white-ish 0
const CLASS_RGB = [NEG, POS, [44, 160, 44], [214, 39, 40], [148, 103, 189], [140, 86, 75],
  [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207]];
const QMAX = 254;
const NAN_CODE = 255;

function rgb(c, a = 1) {
  return `rgba(${c[0]},${c[1]},${c[2]},${a})`;
}

// 256 colours from -1 (orange) through 0 (white-ish) to +1 (blue).
const LUT = (() => {
  const lut = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const v = (i / 255) * 2 - 1;
    const end = v < 0 ? NEG : POS;
    const t = Math.abs(v);
    for (let c = 0; c < 3; c++) lut[i * 3 + c] = MID[c] + (end[c] - MID[c]) * t;
  }
  return lut;
})();

function decode(bytes) {
  const buf = bytes.slice().buffer; // own, aligned copy (bytes may be a view at any offset)
  const view = new DataView(buf);
  const magic = String.fromCharCode(...new Uint8Array(buf, 0, 4));
  if (magic !== "NNLV") throw new Error("live view: not an update");
  const n = view.getUint32(8, true);
  const text = new TextDecoder().decode(new Uint8Array(buf, 12, n));
  const header = JSON.parse(text);
  header.text = text; // the same header twice: nothing changed
  const base = 12 + n;
  const arrays = {};
  for (const [name, [off, nbytes, dtype, shape]] of Object.entries(header.blobs)) {
    let a;
    if (dtype === "u8") a = new Uint8Array(buf, base + off, nbytes);
    else if (dtype === "f32") a = new Float32Array(buf, base + off, nbytes / 4);
    else a = f16(new Uint16Array(buf, base + off, nbytes / 2));
    arrays[name] = { data: a, shape };
  }
  header.arrays = arrays;
  return header;
}

function f16(u) {
  const out = new Float32Array(u.length);
  for (let i = 0; i < u.length; i++) {
    const h = u[i];
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const m = h & 0x3ff;
    out[i] = e === 0 ? s * 2 ** -14 * (m / 1024) : e === 31 ? (m ? NaN : s * Infinity)
      : s * 2 ** (e - 15) * (1 + m / 1024);
  }
  return out;
}

// Grid i of a blob as float values (u8 codes dequantised with its "<name>.range").
function gridValues(arrays, name, i) {
  const g = arrays[name];
  if (!g) return null;
  const size = g.shape[1] * g.shape[2];
  const src = g.data.subarray(i * size, (i + 1) * size);
  if (!(src instanceof Uint8Array)) return src;
  const r = arrays[name + ".range"].data;
  const lo = r[2 * i];
  const step = (r[2 * i + 1] - lo) / QMAX;
  const out = new Float32Array(size);
  for (let j = 0; j < size; j++) out[j] = src[j] === NAN_CODE ? NaN : lo + src[j] * step;
  return out;
}

// Paint R x R values on the diverging scale into canvas (its size set to R x R). Row 0 of the
// grid is the bottom of the plane. scale: values are divided by it (1 for tanh outputs).
function paintDiverging(canvas, values, r, scale, discretize) {
  if (canvas.width !== r) canvas.width = canvas.height = r;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(r, r);
  const px = img.data;
  for (let row = 0; row < r; row++) {
    const dst = (r - 1 - row) * r;
    for (let col = 0; col < r; col++) {
      const v = values[row * r + col];
      const o = (dst + col) * 4;
      if (Number.isNaN(v)) { px[o + 3] = 0; continue; }
      let t = discretize ? (v >= 0 ? 1 : -1) : Math.max(-1, Math.min(1, v / scale));
      const k = Math.round((t + 1) * 127.5) * 3;
      px[o] = LUT[k]; px[o + 1] = LUT[k + 1]; px[o + 2] = LUT[k + 2]; px[o + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
}

// Several classes: the winning class's colour, paler when less confident.
function paintClasses(canvas, grids, r, discretize) {
  if (canvas.width !== r) canvas.width = canvas.height = r;
  const k = grids.length;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(r, r);
  const px = img.data;
  for (let row = 0; row < r; row++) {
    for (let col = 0; col < r; col++) {
      const j = row * r + col;
      let best = 0;
      for (let c = 1; c < k; c++) if (grids[c][j] > grids[best][j]) best = c;
      const p = grids[best][j];
      const conf = discretize ? 1 : Math.max(0, Math.min(1, (p - 1 / k) / (1 - 1 / k)));
      const col3 = CLASS_RGB[best % CLASS_RGB.length];
      const o = ((r - 1 - row) * r + col) * 4;
      for (let c = 0; c < 3; c++) px[o + c] = 255 + (col3[c] - 255) * (0.25 + 0.75 * conf);
      px[o + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
}

function maxAbs(values) {
  let m = 0;
  for (const v of values) if (Math.abs(v) > m) m = Math.abs(v);
  return m;
}

// The CSS box of each canvas fitCanvas has sized, kept by a ResizeObserver: reading clientWidth
// at every frame, right after the frame's DOM writes, would force a layout of the whole page.
const cssBox = new WeakMap();
const boxWatcher = new ResizeObserver((entries) => {
  for (const e of entries) cssBox.set(e.target, [e.contentRect.width, e.contentRect.height]);
});

// A canvas sized to its CSS box in device pixels; returns its 2-D context scaled to CSS px.
function fitCanvas(canvas) {
  if (!cssBox.get(canvas)?.[0]) { // new, or hidden until now: measure it this once
    cssBox.set(canvas, [canvas.clientWidth, canvas.clientHeight]);
    boxWatcher.observe(canvas);
  }
  const dpr = window.devicePixelRatio || 1;
  const [cw, ch] = cssBox.get(canvas);
  const w = Math.max(1, cw);
  const h = Math.max(1, ch);
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  return [ctx, w, h];
}

function pointColor(y, task, nClasses) {
  if (task === "regression") {
    const k = Math.round((Math.max(-1, Math.min(1, y)) + 1) * 127.5) * 3;
    return `rgb(${LUT[k]},${LUT[k + 1]},${LUT[k + 2]})`;
  }
  return rgb(CLASS_RGB[Math.round(y) % CLASS_RGB.length]);
}

function paintPoints(canvas, s) {
  const [ctx, w, h] = fitCanvas(canvas);
  const b = s.bound;
  const sets = [["train", "#fff"]];
  if (s.view.show_test) sets.push(["test", "#333"]);
  for (const [part, outline] of sets) {
    const pts = s.points[part];
    if (!pts) continue;
    const xy = pts.xy;
    for (let i = 0; i < pts.y.length; i++) {
      const x = ((xy[2 * i] + b) / (2 * b)) * w;
      const y = (1 - (xy[2 * i + 1] + b) / (2 * b)) * h;
      ctx.beginPath();
      ctx.arc(x, y, 3.2, 0, 2 * Math.PI);
      ctx.fillStyle = pointColor(pts.y[i], s.task, s.nClasses);
      ctx.fill();
      ctx.lineWidth = 1;
      ctx.strokeStyle = outline;
      ctx.stroke();
    }
  }
  paintCentres(ctx, s, w, h);
}

// An rbf first layer's units over the plane: a cross at each centre, a circle of radius sigma.
function paintCentres(ctx, s, w, h) {
  const c = s.last?.arrays.rbf;
  if (!c) return;
  const b = s.bound;
  ctx.strokeStyle = "rgba(30,30,30,0.85)";
  ctx.lineWidth = 1.2;
  for (let j = 0; j < c.shape[0]; j++) {
    const x = ((c.data[3 * j] + b) / (2 * b)) * w;
    const y = (1 - (c.data[3 * j + 1] + b) / (2 * b)) * h;
    const r = (c.data[3 * j + 2] / (2 * b)) * w;
    ctx.beginPath();
    ctx.moveTo(x - 4, y - 4); ctx.lineTo(x + 4, y + 4);
    ctx.moveTo(x - 4, y + 4); ctx.lineTo(x + 4, y - 4);
    ctx.stroke();
    ctx.beginPath();
    ctx.setLineDash([3, 3]);
    ctx.arc(x, y, r, 0, 2 * Math.PI);
    ctx.stroke();
    ctx.setLineDash([]);
  }
}

// Line chart of series [{x, y, color}] over the last `windowSteps` steps (0: all).
function paintCurves(canvas, series, logScale, windowSteps, fixedRange) {
  const [ctx, w, h] = fitCanvas(canvas);
  const xs = series[0]?.x || [];
  if (!xs.length) return;
  const xmax = xs[xs.length - 1];
  const xmin = windowSteps > 0 ? Math.max(xs[0], xmax - windowSteps) : xs[0];
  const tf = (v) => (logScale ? Math.log10(Math.max(v, 1e-6)) : v);
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    for (let i = 0; i < s.y.length; i++) {
      if (s.x[i] < xmin || !Number.isFinite(s.y[i])) continue;
      const v = tf(s.y[i]);
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  if (fixedRange) [lo, hi] = fixedRange;
  if (!(hi > lo)) { hi = lo + 1; lo -= 1; }
  const padL = 44;
  const pw = w - padL - 4;
  const ph = h - 16;
  const X = (x) => padL + ((x - xmin) / Math.max(1, xmax - xmin)) * pw;
  const Y = (v) => 4 + (1 - (tf(v) - lo) / (hi - lo)) * ph;
  ctx.strokeStyle = "#ddd";
  ctx.strokeRect(padL, 4, pw, ph);
  ctx.fillStyle = "#666";
  ctx.font = "10px sans-serif";
  const fmt = (v) => (logScale && !fixedRange ? 10 ** v : v).toPrecision(2);
  ctx.textAlign = "right";
  ctx.fillText(fmt(hi), padL - 3, 12);
  ctx.fillText(fmt(lo), padL - 3, 4 + ph);
  ctx.textAlign = "left";
  ctx.fillText(`step ${Math.round(xmin)}`, padL, h - 2);
  ctx.textAlign = "right";
  ctx.fillText(`${Math.round(xmax)}`, w - 4, h - 2);
  for (const s of series) {
    ctx.beginPath();
    let started = false;
    for (let i = 0; i < s.y.length; i++) {
      if (s.x[i] < xmin || !Number.isFinite(s.y[i])) continue;
      const px = X(s.x[i]);
      const py = Y(s.y[i]);
      if (started) ctx.lineTo(px, py);
      else { ctx.moveTo(px, py); started = true; }
    }
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 1.5;
    ctx.stroke();
  }
}
