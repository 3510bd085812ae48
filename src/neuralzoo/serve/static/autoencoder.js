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

// The grey values a drawn digit shows (each cell's centre pixel read back).
function shownDigit(canvas) {
  const ctx = canvas.getContext("2d"), c = canvas.width / 8, out = [];
  for (let k = 0; k < 64; k++) {
    const p = ctx.getImageData(Math.floor((k % 8 + 0.5) * c), Math.floor((Math.floor(k / 8) + 0.5) * c), 1, 1).data;
    out.push(1 - p[0] / 255);
  }
  return out;
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

function wire() {
  const map = $("map");
  map.addEventListener("click", (ev) => {
    const z = pointerZ(ev), n = nearest(z);
    decodeAt(z).catch(() => {});
    if (n >= 0) { $("index").value = String(n); traverse().catch(() => {}); }
  });
  map.addEventListener("mousemove", (ev) => { if (ev.buttons === 1) decodeAt(pointerZ(ev)).catch(() => {}); });
  for (const id of ["index", "dim", "steps"]) $(id).addEventListener("change", () => traverse().catch(() => {}));
  $("steps").addEventListener("input", () => { $("steps-value").textContent = $("steps").value; });
}

async function load() {
  const d = await NZ.api("/api/autoencoder/codes");
  A.codes = d;
  $("model").textContent = `sizes ${d.sizes.join(" \u2192 ")}, ${d.epochs} epochs from seed ${d.seed}; ` +
    `held-out ELBO ${d.elbo.toFixed(1)} nats per digit`;
  $("index").max = String(d.points.length - 1);
  drawLegend(); drawMap();
}

const wait = async () => { while (A.busy) await NZ.sleep(5); };

// ?selftest: the map drawn, a click on a test digit's dot decodes it and picks it for the
// traversal, the other axis, then an index out of range refused.
async function selftest() {
  const out = { n_points: A.codes.points.length, drawn: A.drawn, classes: [...new Set(A.codes.labels)].length };
  // the dots whose centre pixel shows their class's colour (the others lie under later dots)
  const ctx = $("map").getContext("2d"), hex = (c) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16));
  out.dots_coloured = A.codes.points.filter((z, n) => {
    const [a, b] = toPx(z), p = ctx.getImageData(Math.floor(a), Math.floor(b), 1, 1).data;
    return hex(PALETTE[A.codes.labels[n]]).every((v, i) => Math.abs(v - p[i]) <= 3);
  }).length;
  const k = 7, [x, y] = toPx(A.codes.points[k]);
  const r = $("map").getBoundingClientRect();
  $("map").dispatchEvent(new MouseEvent("click", { clientX: r.left + x, clientY: r.top + y, bubbles: true }));
  await NZ.sleep(1); await wait();
  while (!A.trav || A.trav.index !== Number($("index").value)) await NZ.sleep(5);
  out.clicked = k; out.code = A.codes.points[k]; out.z = A.z;
  out.received = A.image; out.shown = shownDigit($("decoded"));
  out.trav_index = A.trav.index; out.trav_dim = A.trav.dim; out.trav_cells = $("traversal").children.length;
  out.trav_shown = [...$("traversal").querySelectorAll("canvas")].map(shownDigit);
  out.trav_received = A.trav.images;
  $("dim").value = "1"; $("steps").value = "5";
  out.dim1 = (await traverse()).dim; out.dim1_cells = $("traversal").children.length;
  out.status = $("status").textContent;
  $("index").value = "99999";  // past the input's max: the server refuses it
  try { await traverse(); out.huge_refused = false; } catch (e) { out.huge_refused = e.status; }
  out.message = $("message").textContent;
  return out;
}

wire();
// ?index=, ?z=z1,z2: open on that digit's traversal and that decoded point (for a screenshot)
const q = new URLSearchParams(location.search);
if (q.get("index")) $("index").value = q.get("index");
load().then(async () => {
  await traverse();
  const z = q.get("z") ? q.get("z").split(",").map(Number) : A.trav.mu;
  await decodeAt(z);
}).then(() => NZ.runSelftest(selftest)).catch((e) => NZ.errors.push(e.message));
