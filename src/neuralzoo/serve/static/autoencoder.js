// Autoencoder page: the server holds a VAE with a 2-D code; the page draws the test digits'
// codes, decodes the point clicked or dragged to, and shows a traversal along one code axis.
"use strict";
const A = { codes: null, z: null, want: null, busy: false, trav: null, drawn: 0 };
const $ = (id) => document.getElementById(id);
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

// An 8x8 image of grey values in [0, 1] (1 = ink, drawn dark), row by row.
function drawDigit(canvas, vals) {
  const ctx = canvas.getContext("2d"), c = canvas.width / 8;
  for (let k = 0; k < 64; k++) {
    const g = Math.round(255 * (1 - vals[k]));
    ctx.fillStyle = `rgb(${g},${g},${g})`;
    ctx.fillRect(Math.floor((k % 8) * c), Math.floor(Math.floor(k / 8) * c), Math.ceil(c), Math.ceil(c));
  }
}

// The map: unit grid, axes, every test code as a dot of its class colour, the traversal's path
// and the decoded point z.
function drawMap() {
  const cv = $("map"), ctx = cv.getContext("2d"), W = cv.width, H = cv.height;
  const [lo, hi] = A.codes.extent;
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, W, H);
  ctx.lineWidth = 1; ctx.font = "11px system-ui, sans-serif"; ctx.fillStyle = "#5b6475";
  for (let v = Math.ceil(lo); v <= hi; v++) {
    const [x, y] = toPx([v, v]);
    ctx.strokeStyle = v === 0 ? "#9aa3b2" : "#eef1f6"; ctx.beginPath();
    ctx.moveTo(x, 0); ctx.lineTo(x, H); ctx.moveTo(0, y); ctx.lineTo(W, y); ctx.stroke();
    if (v !== Math.ceil(lo)) { ctx.fillText(String(v), x + 2, H - 4); ctx.fillText(String(v), 3, y - 2); }
  }
  ctx.fillText("z1", W - 16, toPx([0, 0])[1] - 4); ctx.fillText("z2", toPx([0, 0])[0] + 4, 12);
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
      const d = await NZ.api("/api/autoencoder/decode", { z: w });
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
  const d = await NZ.api("/api/autoencoder/traverse", body);
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
    const z = pointerZ(ev), n = nearest(z);
    quiet(decodeAt(z));
    if (n >= 0) { $("index").value = String(n); quiet(traverse()); }
  });
  map.addEventListener("mousemove", (ev) => { if (ev.buttons === 1) quiet(decodeAt(pointerZ(ev))); });
  for (const id of ["index", "dim", "steps"]) $(id).addEventListener("change", () => quiet(traverse()));
  $("steps").addEventListener("input", () => { $("steps-value").textContent = $("steps").value; });
}

async function load() {
  const d = await NZ.api("/api/autoencoder/codes");
  A.codes = d;
  $("model").textContent = `sizes ${d.sizes.join(" \u2192 ")}, ${d.epochs} epochs from seed ${d.seed} ` +
    `(shipped with the package); on the test digits: ELBO ${d.elbo.toFixed(1)} nats, ` +
    `reconstruction error \u03a3(x \u2212 x\u0302)\u00b2 ${d.squared_error.toFixed(2)}, per digit`;
  $("index").max = String(d.points.length - 1);
  drawLegend(); drawMap();
}

wire();
// ?index=, ?z=z1,z2: open on that digit's traversal and that decoded point (for a screenshot)
const q = new URLSearchParams(location.search);
if (q.get("index")) $("index").value = q.get("index");
quiet(load().then(async () => {
  await traverse();
  const z = q.get("z") ? q.get("z").split(",").map(Number) : A.trav.mu;
  await decodeAt(z);
}));
