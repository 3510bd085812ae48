// Feedforward page: the server trains a fresh net for N epochs (one seed, one run), the page
// asks for N, N + step, ... and redraws the boundary and the loss.
"use strict";
const F = { epochs: 0, last: null, playing: false, busy: false, seed: 0 };
const $ = (id) => document.getElementById(id);
const COL = { 0: [232, 135, 40], 1: [47, 111, 222] };  // class 0 orange, class 1 blue

function settings() {
  const model = $("model").value, s = { data: $("data").value, model, seed: F.seed };
  if (model === "mlp") { s.hidden = Number($("hidden").value); s.activation = $("activation").value; }
  if (model === "rbf") s.n_centers = Number($("centers").value);
  if (model !== "perceptron") s.lr = Number($("lr").value);
  return s;
}

function showOptions() {
  const m = $("model").value;
  $("mlp-opts").style.display = m === "mlp" ? "" : "none";
  $("rbf-opts").style.display = m === "rbf" ? "" : "none";
  $("lr-label").style.display = m === "perceptron" ? "none" : "";
}

// Ask the server for the net after `epochs` epochs and draw it.
async function train(epochs) {
  const data = await NZ.api("/api/feedforward/train", { ...settings(), epochs });
  F.last = data; F.epochs = data.epochs;
  drawBoundary(data); drawCurve(data); describe(data);
  return data;
}

function setStatus(text, cls) { const s = $("status"); s.textContent = text; s.className = cls || ""; }

function describe(d) {
  const acc = (100 * d.train_accuracy).toFixed(1), L = d.loss[d.loss.length - 1];
  let text = `epoch ${d.epochs}: loss ${L.toFixed(4)}, training accuracy ${acc}%`;
  if (d.model === "perceptron") text += " (the pocket's weights, drawn; the curves follow each epoch's w(t))";
  if (d.model === "rbf" && d.epochs === 0) text += " (closed form)";
  if (d.converged) text += ": an epoch without a mistake, the perceptron stopped";
  else if (d.epochs >= d.max_epochs) text += `: the page's limit of ${d.max_epochs} epochs`;
  setStatus(text, d.train_accuracy >= 0.95 ? "good" : (d.epochs > 0 && d.train_accuracy <= 0.75 ? "bad" : ""));
  $("limits").textContent = `up to ${d.max_epochs} epochs for the ${d.model}`;
}

// The grid's P(class 1) as a tint, the predicted class's edge as a dark line, then the points.
function drawBoundary(d) {
  const cv = $("boundary"), ctx = cv.getContext("2d"), W = cv.width, G = d.grid_size;
  const [lo, hi] = d.extent, c = W / G;
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, W, cv.height);
  for (let i = 0; i < G; i++) {
    for (let j = 0; j < G; j++) {
      const p = d.proba[i][j], k = d.grid[i][j], t = 0.15 + 0.5 * Math.min(1, 2 * Math.abs(p - 0.5));
      const rgb = COL[k].map((v) => Math.round(255 - t * (255 - v)));
      ctx.fillStyle = `rgb(${rgb.join(",")})`;
      ctx.fillRect(Math.floor(j * c), Math.floor(i * c), Math.ceil(c), Math.ceil(c));
    }
  }
  ctx.strokeStyle = "#1d2330"; ctx.lineWidth = 1.5; ctx.beginPath();  // class changes between cells
  for (let i = 0; i < G; i++) {
    for (let j = 0; j < G; j++) {
      if (j + 1 < G && d.grid[i][j] !== d.grid[i][j + 1]) { ctx.moveTo((j + 1) * c, i * c); ctx.lineTo((j + 1) * c, (i + 1) * c); }
      if (i + 1 < G && d.grid[i][j] !== d.grid[i + 1][j]) { ctx.moveTo(j * c, (i + 1) * c); ctx.lineTo((j + 1) * c, (i + 1) * c); }
    }
  }
  ctx.stroke();
  const px = (x) => (x - lo) / (hi - lo) * W, py = (y) => (hi - y) / (hi - lo) * cv.height;
  d.points.forEach(([x, y], n) => {
    ctx.beginPath(); ctx.arc(px(x), py(y), 3.5, 0, 7);
    ctx.fillStyle = `rgb(${COL[d.labels[n]].join(",")})`; ctx.fill();
    ctx.strokeStyle = "#1d2330"; ctx.lineWidth = 1; ctx.stroke();
  });
}

// Loss (left axis, from 0) and accuracy (right axis, 0..1) against the epoch.
function drawCurve(d) {
  const cv = $("curve"), ctx = cv.getContext("2d"), W = cv.width, H = cv.height;
  const L = 48, R = 40, T = 16, B = 30;
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, W, H);
  ctx.strokeStyle = "#888"; ctx.lineWidth = 1; ctx.beginPath();
  ctx.moveTo(L, T); ctx.lineTo(L, H - B); ctx.lineTo(W - R, H - B); ctx.lineTo(W - R, T); ctx.stroke();
  ctx.fillStyle = "#5b6475"; ctx.font = "12px system-ui, sans-serif";
  const n = Math.max(d.loss.length - 1, 1), top = Math.max(...d.loss, 1e-6) * 1.05;
  const x = (e) => L + (W - L - R) * e / n, yl = (v) => T + (H - T - B) * (1 - v / top);
  const ya = (a) => T + (H - T - B) * (1 - a);
  ctx.fillText("epoch", (W - 40) / 2, H - 6);
  ctx.textAlign = "right"; ctx.fillText(top.toFixed(2), L - 4, T + 8); ctx.fillText("0", L - 4, H - B + 4);
  ctx.textAlign = "left"; ctx.fillText("1.0", W - R + 4, T + 8); ctx.fillText("0.5", W - R + 4, ya(0.5) + 4);
  ctx.fillText("0", L - 3, H - B + 15); ctx.fillText(String(d.loss.length - 1), x(n) - 8, H - B + 15);
  ctx.setLineDash([4, 4]); ctx.strokeStyle = "#d7dbe3"; ctx.beginPath();
  ctx.moveTo(L, ya(0.5)); ctx.lineTo(W - R, ya(0.5)); ctx.stroke(); ctx.setLineDash([]);
  const line = (vals, y, color) => {
    ctx.strokeStyle = color; ctx.fillStyle = color; ctx.lineWidth = 2; ctx.beginPath();
    vals.forEach((v, e) => (e ? ctx.lineTo(x(e), y(v)) : ctx.moveTo(x(e), y(v)))); ctx.stroke();
    if (vals.length === 1) { ctx.beginPath(); ctx.arc(x(0), y(vals[0]), 3, 0, 7); ctx.fill(); }
  };
  line(d.accuracy, ya, "#1f8a4c"); line(d.loss, yl, "#2f6fde");
}

// One step: `per step` more epochs (the perceptron stops at its limit or when it converged).
async function step() {
  if (F.busy) return F.last;
  F.busy = true;
  try {
    const max = F.last ? F.last.max_epochs : 1;
    if (F.last && (F.last.converged || F.epochs >= max)) return F.last;
    return await train(Math.min(F.epochs + Number($("per-step").value), max));
  } finally { F.busy = false; }
}

async function play() {
  if (F.playing) { F.playing = false; return; }
  F.playing = true; $("play").textContent = "pause";
  try {
    while (F.playing) {
      const before = F.epochs, d = await step();
      if (!d || d.converged || F.epochs >= d.max_epochs || F.epochs === before) break;
      await NZ.sleep(NZ.selftest ? 1 : 120);
    }
  } finally { F.playing = false; $("play").textContent = "play"; }
}

function reset() { F.playing = false; F.epochs = 0; return train(0); }

function wire() {
  const restart = () => { showOptions(); reset().catch(() => {}); };
  for (const id of ["data", "model", "activation", "lr", "hidden", "centers"]) $(id).addEventListener("change", restart);
  $("hidden").addEventListener("input", () => { $("hidden-value").textContent = $("hidden").value; });
  $("centers").addEventListener("input", () => { $("centers-value").textContent = $("centers").value; });
  $("step").addEventListener("click", () => step().catch(() => {}));
  $("play").addEventListener("click", () => play().catch(() => {}));
  $("reset").addEventListener("click", () => reset().catch(() => {}));
}

// The class the canvas shows at (x1, x2): the tint's nearer class colour.
function shownClass(x1, x2) {
  const cv = $("boundary"), [lo, hi] = F.last.extent;
  const px = Math.round((x1 - lo) / (hi - lo) * cv.width), py = Math.round((hi - x2) / (hi - lo) * cv.height);
  const [r, , b] = cv.getContext("2d").getImageData(px, py, 1, 1).data;
  return b > r ? 1 : 0;
}

async function choose(data, model) {
  $("data").value = data; $("model").value = model; showOptions(); await reset();
}

// ?selftest: the perceptron on XOR (stuck at <= 3 quadrants), then the MLP solves it.
async function selftest() {
  const out = {};
  await choose("xor", "perceptron");
  $("per-step").value = "1";
  out.perceptron_acc = [];
  while (!F.last.converged && F.epochs < F.last.max_epochs) {
    await step(); out.perceptron_acc.push(F.last.train_accuracy);
  }
  out.perceptron_epochs = F.epochs;
  out.perceptron_status = $("status").textContent;
  await choose("xor", "mlp");
  $("per-step").value = "5";
  $("step").click(); while (F.busy) await NZ.sleep(5);  // the button is wired
  out.after_click_epochs = F.epochs;
  while (F.last.train_accuracy < 0.95 && F.epochs < 100) await step();
  out.mlp_epochs = F.epochs;
  out.mlp_acc = F.last.train_accuracy;
  out.mlp_loss_first = F.last.loss[0];
  out.mlp_loss_last = F.last.loss[F.last.loss.length - 1];
  out.mlp_loss_points = F.last.loss.length;
  out.mlp_status = $("status").textContent;
  // the canvas's colours at the quadrant centres, in the order (+,+), (-,+), (-,-), (+,-)
  out.canvas_classes = [[1.35, 1.35], [-1.35, 1.35], [-1.35, -1.35], [1.35, -1.35]].map(([a, b]) => shownClass(a, b));
  $("hidden").max = "5000"; $("hidden").value = "5000";  // bypass the slider's limit
  try { await reset(); out.huge_refused = false; } catch (e) { out.huge_refused = e.status; }
  out.message = $("message").textContent;
  return out;
}

wire(); showOptions();
// ?data=, ?model=, ?steps=N: open on that net after N epochs (for a screenshot)
const q = new URLSearchParams(location.search);
if (q.get("data")) $("data").value = q.get("data");
if (q.get("model")) $("model").value = q.get("model");
showOptions();
const first = NZ.selftest ? 0 : Number(q.get("steps") || 0);
train(first).then(() => NZ.runSelftest(selftest)).catch((e) => NZ.errors.push(e.message));
