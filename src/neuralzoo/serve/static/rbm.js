// RBM page: the server infers, runs the Gibbs chain and samples the DBN; this page draws.
"use strict";
const R = { side: 8, v: new Array(64).fill(0), paint: null, last: null, chain: null, dbn: null,
            examples: [], seed: 0, dbnSeed: 0, busy: false };
const $ = (id) => document.getElementById(id);

// Grey values in [0, 1] (row by row) on a canvas: 0 light, 1 dark.
function drawGrey(canvas, values, side) {
  const ctx = canvas.getContext("2d"), c = canvas.width / side;
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, canvas.width, canvas.height);
  values.forEach((p, k) => {
    const g = Math.round(238 - p * (238 - 29));
    ctx.fillStyle = `rgb(${g},${g},${Math.round(246 - p * (246 - 48))})`;
    ctx.fillRect((k % side) * c + 1, Math.floor(k / side) * c + 1, c - 2, c - 2);
  });
}

function thumb(values, caption, grey, cls) {
  const div = document.createElement("div"), c = document.createElement("canvas");
  div.className = "pattern" + (cls ? " " + cls : ""); c.width = c.height = 40;
  if (grey) drawGrey(c, values, R.side); else NZ.drawCells(c, values, R.side);
  div.append(c);
  if (caption !== null) { const s = document.createElement("span"); s.className = "fp"; s.textContent = caption; div.append(s); }
  return div;
}

function drawInput() { NZ.drawCells($("draw"), R.v, R.side); }

// Click or drag: the first cell toggles, the cells dragged over take its new value.
function cellAt(ev) {
  const cv = $("draw"), r = cv.getBoundingClientRect(), c = r.width / R.side;
  const row = Math.floor((ev.clientY - r.top) / c), col = Math.floor((ev.clientX - r.left) / c);
  return row >= 0 && row < R.side && col >= 0 && col < R.side ? row * R.side + col : -1;
}
function down(ev) {
  const k = cellAt(ev); if (k < 0) return;
  R.paint = 1 - R.v[k]; R.v[k] = R.paint; drawInput();
}
function move(ev) {
  if (R.paint === null) return;
  const k = cellAt(ev); if (k >= 0 && R.v[k] !== R.paint) { R.v[k] = R.paint; drawInput(); }
}
function up() { if (R.paint === null) return; R.paint = null; infer().catch(() => {}); }

async function examples() {
  const d = await NZ.api("/api/rbm/digits");
  R.side = d.side; R.examples = d.digits;
  const box = $("examples"); box.innerHTML = "";
  d.digits.forEach((bits, k) => {
    const t = thumb(bits, String(d.labels[k]), false);
    t.addEventListener("click", () => { R.v = bits.slice(); drawInput(); infer().catch(() => {}); });
    box.append(t);
  });
}

// p(h|v) as bars over a shaded strip, and the reconstruction.
async function infer() {
  const d = await NZ.api("/api/rbm/infer", { v: R.v });
  R.last = d;
  const cv = $("hidden"), ctx = cv.getContext("2d"), n = d.p_h.length, w = cv.width / n, H = cv.height;
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, cv.width, H);
  d.p_h.forEach((p, j) => {
    const g = Math.round(240 - 200 * p);
    ctx.fillStyle = `rgb(${g},${g},${Math.min(255, g + 20)})`; ctx.fillRect(j * w, H - 14, w - 1, 14);
    ctx.fillStyle = "#2f6fde"; ctx.fillRect(j * w + 1, (H - 16) * (1 - p), w - 3, (H - 16) * p);
  });
  drawGrey($("recon"), d.recon, d.side);
  const on = d.p_h.filter((p) => p > 0.5).length;
  $("infer-status").textContent = `${on} of ${n} hidden units with p > 0.5; free energy F(v) = ${d.free_energy.toFixed(2)}`;
  return d;
}

// Ask for the chain, then show its frames one by one.
async function chain() {
  if (R.busy) return R.chain;
  R.busy = true; $("chain").disabled = true;
  try {
    R.seed += 1;
    const d = await NZ.api("/api/rbm/gibbs", { v: R.v, steps: Number($("steps").value), seed: R.seed });
    R.chain = d; R.shown = [];
    const film = $("film"); film.innerHTML = "";
    const delay = NZ.selftest ? 1 : 120, every = Math.max(1, Math.ceil((d.frames.length - 1) / 15));
    for (const [t, f] of d.frames.entries()) {
      NZ.drawCells($("frame"), f, d.side); R.shown.push(f);
      if (t % every === 0 || t === d.frames.length - 1) film.append(thumb(f, "v" + t, false));
      $("status").textContent = `frame v${t} of ${d.steps} (seed ${d.seed}): ${f.reduce((a, b) => a + b, 0)} pixels on`;
      await NZ.sleep(delay);
    }
    return d;
  } finally { R.busy = false; $("chain").disabled = false; }
}

// Each tile: one hidden unit's weights, red positive, blue negative, on the largest |w|.
async function filters() {
  const d = await NZ.api("/api/rbm/filters");
  const cv = $("filters"), ctx = cv.getContext("2d"), cols = 8, tile = 44, gap = 6, px = 5;
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, cv.width, cv.height);
  d.filters.forEach((w, j) => {
    const x0 = 6 + (j % cols) * (tile + gap + 1), y0 = 6 + Math.floor(j / cols) * (tile + gap + 1);
    w.forEach((v, k) => {
      const t = Math.min(1, Math.abs(v) / d.max_abs), rgb = v > 0 ? [192, 57, 43] : [47, 111, 222];
      ctx.fillStyle = `rgb(${rgb.map((c) => Math.round(255 - t * (255 - c))).join(",")})`;
      ctx.fillRect(x0 + (k % 8) * (px + 0.5), y0 + Math.floor(k / 8) * (px + 0.5), px + 0.5, px + 0.5);
    });
  });
  $("wmax").textContent = `|w| up to ${d.max_abs.toFixed(2)}; ${d.n_hidden} units, ${d.method.toUpperCase()}, ${d.epochs} epochs`;
  return d;
}

async function generate(fresh) {
  if (fresh) R.dbnSeed += 1;
  const label = Number($("label").value);
  $("dbn-status").textContent = "sampling\u2026";
  const d = await NZ.api("/api/dbn/generate", { label, n: 8, steps: Number($("dbn-steps").value), seed: R.dbnSeed });
  R.dbn = d;
  const box = $("samples"); box.innerHTML = "";
  d.probs.forEach((p, k) => box.append(thumb(p, "as " + d.predicted[k], true, d.predicted[k] === label ? "" : "wrong")));
  const agree = d.predicted.filter((c) => c === label).length;
  $("dbn-status").textContent = `${d.n} samples of class ${label} after ${d.steps} Gibbs steps (seed ${d.seed}); ` +
    `the DBN classifies ${agree} of them as ${label}`;
  return d;
}

function wire() {
  for (let c = 0; c < 10; c++) $("label").append(new Option(String(c), String(c)));
  $("label").value = "3";
  $("draw").addEventListener("mousedown", down);
  $("draw").addEventListener("mousemove", move);
  window.addEventListener("mouseup", up);
  $("clear").addEventListener("click", () => { R.v = new Array(64).fill(0); drawInput(); infer().catch(() => {}); });
  $("infer").addEventListener("click", () => infer().catch(() => {}));
  $("chain").addEventListener("click", () => chain().catch(() => {}));
  $("generate").addEventListener("click", () => generate(false).catch(() => {}));
  $("again").addEventListener("click", () => generate(true).catch(() => {}));
  $("label").addEventListener("change", () => generate(false).catch(() => {}));
}

const equal = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);
const binary = (f) => f.every((x) => x === 0 || x === 1);

// Drag the mouse over cells of the drawing canvas, from (row, c0) to (row, c1).
function drag(row, c0, c1) {
  const r = $("draw").getBoundingClientRect(), c = r.width / R.side;
  const at = (col) => ({ clientX: r.left + (col + 0.5) * c, clientY: r.top + (row + 0.5) * c, bubbles: true });
  $("draw").dispatchEvent(new MouseEvent("mousedown", at(c0)));
  for (let col = c0 + 1; col <= c1; col++) $("draw").dispatchEvent(new MouseEvent("mousemove", at(col)));
  window.dispatchEvent(new MouseEvent("mouseup", at(c1)));
}

// ?selftest: pick a test digit, draw a stroke, infer, run a chain, generate a class, a refusal.
async function selftest() {
  const out = {};
  document.querySelectorAll("#examples .pattern")[7].click();
  out.example_shown = equal(R.v, R.examples[7]);
  $("clear").click();
  drag(1, 1, 6); drag(2, 6, 6); drag(3, 5, 5); drag(4, 4, 4); drag(5, 3, 3); drag(6, 3, 3);  // a 7
  out.drawn = R.v.slice();
  const d = await infer();
  out.p_h = d.p_h; out.recon = d.recon; out.n_hidden = d.p_h.length;
  $("steps").value = "10";
  const c = await chain();
  out.frames_server = c.frames; out.frames_shown = R.shown.length;
  out.first_frame_is_input = equal(c.frames[0], out.drawn) && equal(R.shown[0], out.drawn);
  out.frames_binary = c.frames.every(binary);
  out.status = $("status").textContent;
  out.film = document.querySelectorAll("#film .pattern").length;
  const f = await filters();
  out.filters_shape = [f.filters.length, f.filters[0].length];
  $("label").value = "0";
  const g = await generate(false);
  out.dbn_label = g.label; out.dbn_images = g.images; out.dbn_predicted = g.predicted;
  out.dbn_shown = document.querySelectorAll("#samples .pattern").length;
  out.dbn_status = $("dbn-status").textContent;
  $("steps").append(new Option("5000", "5000")); $("steps").value = "5000";  // bypass the select
  try { await chain(); out.huge_refused = false; } catch (e) { out.huge_refused = e.status; }
  out.message = $("message").textContent;
  return out;
}

wire(); drawInput();
examples().then(() => { R.v = R.examples[3].slice(); drawInput(); return infer(); })
  .then(filters).then(() => generate(false))
  .then(() => (new URLSearchParams(location.search).has("chain") && !NZ.selftest ? chain() : null))
  .then(() => NZ.runSelftest(selftest)).catch((e) => NZ.errors.push(e.message));
