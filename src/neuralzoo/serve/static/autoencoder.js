// Autoencoder page: the server holds a VAE with a 2-D code (shipped, or a run's; or a run's plain
// autoencoder with a 2-unit code); the page draws the test digits' codes, decodes the point
// clicked or dragged to, and shows a traversal along one code axis (the VAE's).
"use strict";
const A = { codes: null, z: null, want: null, busy: false, trav: null, drawn: 0, run: "" };
const $ = (id) => document.getElementById(id);
// A request body, and a GET's query, with the chosen run folder's model ("" is the shipped VAE).
const withRun = (body) => (A.run ? { ...body, run: A.run } : body);
const runQuery = () => (A.run ? "?run=" + encodeURIComponent(A.run) : "");
const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];  // class 0..9
const CELL = 32;  // px of a traversal digit

// Code plane <-> canvas pixels: z1 to the right, z2 upwards, over [lo, hi]^2.
function toPx(z) {
  const cv = $("map"), [lo, hi] = A.codes.extent;
  return [(z[0] - lo) / (hi - lo) * cv.width, (hi - z[1]) / (hi - lo) * cv.height];
}
function toZ(x, y) {
  const cv = $("map"), [lo, hi] = A.codes.extent;
  return [lo + x / cv.width * (hi - lo), hi - y / cv.height * (hi - lo)];
}

// An 8x8 image of grey values in [0, 1] (1 = ink, drawn dark), row by row; a value outside
// [0, 1] (an autoencoder that reconstructs by squared error) is drawn at the nearer end.
function drawDigit(canvas, vals) {
  const ctx = canvas.getContext("2d"), c = canvas.width / 8;
  for (let k = 0; k < 64; k++) {
    const g = Math.round(255 * (1 - Math.min(1, Math.max(0, vals[k]))));
    ctx.fillStyle = `rgb(${g},${g},${g})`;
    ctx.fillRect(Math.floor((k % 8) * c), Math.floor(Math.floor(k / 8) * c), Math.ceil(c), Math.ceil(c));
  }
}

// The map: a grid of the server's step (the axes through 0 darker), every test code as a dot of
// its class colour, the traversal's path and the decoded point z.
function drawMap() {
  const cv = $("map"), ctx = cv.getContext("2d"), W = cv.width, H = cv.height;
  const [lo, hi] = A.codes.extent, step = A.codes.grid, first = Math.ceil(lo / step - 1e-9);
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, W, H);
  ctx.lineWidth = 1; ctx.font = "11px system-ui, sans-serif"; ctx.fillStyle = "#5b6475";
  for (let i = first; i * step <= hi + 1e-9 * step; i++) {
    const v = i * step, [x, y] = toPx([v, v]), label = String(Number(v.toFixed(6)));
    ctx.strokeStyle = i === 0 ? "#9aa3b2" : "#eef1f6"; ctx.beginPath();
    ctx.moveTo(x, 0); ctx.lineTo(x, H); ctx.moveTo(0, y); ctx.lineTo(W, y); ctx.stroke();
    if (i !== first) { ctx.fillText(label, x + 2, H - 4); ctx.fillText(label, 3, y - 2); }
  }
  const [x0, y0] = toPx([0, 0]).map((p) => Math.min(W - 20, Math.max(20, p)));  // 0 may lie off the map
  ctx.fillText("z1", W - 16, y0 - 4); ctx.fillText("z2", x0 + 4, 12);
  A.drawn = 0;
  A.codes.points.forEach((z, n) => {
    const [x, y] = toPx(z);
    ctx.beginPath(); ctx.arc(x, y, 3.5, 0, 7); ctx.fillStyle = PALETTE[A.codes.labels[n]]; ctx.fill();
    A.drawn++;
  });
  cv.dataset.count = String(A.drawn);
  if (A.trav) {
    ctx.strokeStyle = "#1d2330"; ctx.lineWidth = 1.5; ctx.beginPath();
    A.trav.z.forEach((z, k) => { const [x, y] = toPx(z); k ? ctx.lineTo(x, y) : ctx.moveTo(x, y); });
    ctx.stroke();
    A.trav.z.forEach((z) => { const [x, y] = toPx(z); ctx.beginPath(); ctx.arc(x, y, 3, 0, 7); ctx.stroke(); });
  }
  if (A.z) {
    const [x, y] = toPx(A.z);
    ctx.strokeStyle = "#1d2330"; ctx.lineWidth = 2; ctx.beginPath(); ctx.arc(x, y, 8, 0, 7); ctx.stroke();
    ctx.beginPath(); ctx.moveTo(x - 12, y); ctx.lineTo(x + 12, y); ctx.moveTo(x, y - 12); ctx.lineTo(x, y + 12); ctx.stroke();
  }
}

function drawLegend() {
  const el = $("legend"); el.textContent = "class:";
  PALETTE.forEach((c, k) => {
    const s = document.createElement("span"); s.className = "swatch"; s.style.background = c;
    el.append(s, String(k));
  });
}

// Decode the latest point asked for; points asked for while a request runs collapse to the last.
async function decodeAt(z) {
  A.want = z;
  if (A.busy) return;
  A.busy = true;
  try {
    while (A.want) {
      const w = A.want; A.want = null;
      const run = A.run, d = await NZ.api("/api/autoencoder/decode", withRun({ z: w }));
      if (run !== A.run) continue;  // another model was chosen meanwhile: its own point follows
      A.z = d.z; A.image = d.image;
      drawDigit($("decoded"), d.image); drawMap();
      $("decoded").dataset.z = JSON.stringify(d.z);
      $("zvalue").textContent = `z = (${d.z[0].toFixed(2)}, ${d.z[1].toFixed(2)})`;
    }
  } finally { A.busy = false; }
}

// The traversal of the chosen test digit along the chosen axis.
async function traverse() {
  const body = { index: Number($("index").value), dim: Number($("dim").value), steps: Number($("steps").value) };
  const run = A.run, d = await NZ.api("/api/autoencoder/traverse", withRun(body));
  if (run !== A.run) return d;  // another model was chosen meanwhile
  A.trav = d;
  drawDigit($("original"), d.image);
  $("label").textContent = `a ${d.label}, at \u03bc = (${d.mu[0].toFixed(2)}, ${d.mu[1].toFixed(2)})`;
  const row = $("traversal"); row.replaceChildren();
  d.images.forEach((img, k) => {
    const cell = document.createElement("div"); cell.className = "cell";
    const cv = document.createElement("canvas"); cv.width = CELL; cv.height = CELL; cv.className = "digit";
    drawDigit(cv, img);
    const t = document.createElement("span"); t.textContent = (d.t[k] >= 0 ? "+" : "") + d.t[k].toFixed(1);
    cell.append(cv, t); row.append(cell);
  });
  Object.assign(row.dataset, { index: String(d.index), dim: String(d.dim), steps: String(d.images.length) });
  setStatus(`z${d.dim + 1} moved by t from ${d.t[0]} to +${d.t[d.t.length - 1]} around the code of test digit #${d.index} (a ${d.label})`);
  drawMap();
  return d;
}

function setStatus(text) { $("status").textContent = text; }

// A model without a traversal (a plain autoencoder): its controls off, the reason said.
function showTraversal(on) {
  for (const id of ["index", "dim", "steps"]) $(id).disabled = !on;
  $("trav-note").hidden = on; document.querySelector(".traverse-row").hidden = !on;
  if (!on) {
    A.trav = null; $("traversal").replaceChildren(); $("label").textContent = ""; setStatus("");
    for (const k of ["index", "dim", "steps"]) delete $("traversal").dataset[k];
  }
}

function pointerZ(ev) {
  const r = $("map").getBoundingClientRect();
  return toZ(ev.clientX - r.left, ev.clientY - r.top);
}

// The test digit nearest to z, if its dot lies within 8 px.
function nearest(z) {
  const [x, y] = toPx(z);
  let best = -1, dist = 64;
  A.codes.points.forEach((p, n) => {
    const [a, b] = toPx(p), d = (a - x) ** 2 + (b - y) ** 2;
    if (d <= dist) { best = n; dist = d; }
  });
  return best;
}

// A refusal (4xx) is already shown in #message; anything else is a bug of the page.
function quiet(promise) {
  promise.catch((e) => { if (!e.status) NZ.errors.push(String(e && e.message || e)); });
}

function wire() {
  const map = $("map");
  map.addEventListener("click", (ev) => {
    if (!A.codes) return;  // the map is not drawn yet
    const z = pointerZ(ev), n = nearest(z);
    quiet(decodeAt(z));
    if (n >= 0 && A.codes.traversal) { $("index").value = String(n); quiet(traverse()); }
  });
  map.addEventListener("mousemove", (ev) => { if (ev.buttons === 1 && A.codes) quiet(decodeAt(pointerZ(ev))); });
  for (const id of ["index", "dim", "steps"]) $(id).addEventListener("change", () => quiet(traverse()));
  $("steps").addEventListener("input", () => { $("steps-value").textContent = $("steps").value; });
  $("run").addEventListener("change", () => { A.run = $("run").value; quiet(start(null)); });
}

// The runs the server offers for this page (a VAE or an autoencoder with a 2-D code on the
// digits); the others are listed with the server's reason. No runs: the selector stays hidden.
async function models() {
  const d = await NZ.api("/api/autoencoder/runs");
  for (const r of d.runs.filter((r) => r.suitable)) {
    $("run").append(new Option(`run ${r.name} (${r.model}${r.traversal ? "" : ", no traversal"})`, r.name));
  }
  $("run-refused").replaceChildren(...d.runs.filter((r) => !r.suitable).map((r) => {
    const li = document.createElement("li"); li.textContent = "not offered: " + r.reason; return li;
  }));
  $("run-row").hidden = d.runs.length === 0;
}

async function load() {
  const d = await NZ.api("/api/autoencoder/codes" + runQuery());
  A.codes = d; A.z = null; A.trav = null;
  const scores = (d.elbo === null ? "" : `ELBO ${d.elbo.toFixed(1)} nats, `) +
    `reconstruction error \u03a3(x \u2212 x\u0302)\u00b2 ${d.squared_error.toFixed(2)}, per digit`;
  $("model").textContent = `${d.source}; sizes ${d.sizes.join(" \u2192 ")}; on the test digits: ${scores}`;
  $("model").dataset.source = d.source;
  $("map-title").textContent = d.kind === "vae" ? "\u03bc(x)" : "y(x)";
  $("index").max = String(d.points.length - 1);
  drawLegend(); drawMap();
}

// The chosen model's map, then (a VAE) its traversal of the chosen digit, and the decoding of z
// (null: that digit's code).
async function start(z) {
  await load();
  showTraversal(A.codes.traversal);
  if (A.codes.traversal) await traverse();
  await decodeAt(z || A.codes.points[Number($("index").value)] || A.codes.points[0]);
}

wire();
// ?index=, ?z=z1,z2: open on that digit's traversal and that decoded point (for a screenshot)
const q = new URLSearchParams(location.search);
if (q.get("index")) $("index").value = q.get("index");
quiet(models());
quiet(start(q.get("z") ? q.get("z").split(",").map(Number) : null));
