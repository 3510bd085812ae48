// Feedforward page: the server trains a fresh net from one seed and streams a frame per epoch
// (or per few epochs): loss, accuracy and the decision boundary on a grid. The page redraws the
// boundary and extends the curve as each frame arrives; "stop" aborts the stream.
"use strict";
const F = {
  seed: 0, run: null, last: null,  // the run (points, labels, grid size, ...) and its last frame
  epochs: [], loss: [], accuracy: [],  // the curve, one point per frame shown
  ctrl: null, running: null, draws: 0,
};
const $ = (id) => document.getElementById(id);
const COL = { 0: [232, 135, 40], 1: [47, 111, 222] };  // class 0 orange, class 1 blue
const MAX_FRAMES = 50;  // a stream of more epochs sends a frame every few epochs
const FRAME_MS = 25;  // the pause after drawing a frame, so that the boundary is seen to move

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


// Stream the run of `target` epochs from the epoch reached (from 0 for a fresh run).
async function run(target) {
  if (F.ctrl) return;
  const start = F.run ? F.last.epoch : 0;
  const every = Math.max(1, Math.ceil((target - start) / MAX_FRAMES));
  const body = { ...settings(), epochs: target, start, every };
  F.ctrl = new AbortController(); setBusy(true);
  let frames = 0;
  $("status").dataset.frames = "0";
  const done = NZ.stream("/api/feedforward/train", body, async (f) => {
    frames++; show(f); $("status").dataset.frames = String(frames);
    await NZ.sleep(FRAME_MS);
  }, { signal: F.ctrl.signal });
  F.running = done;
  let state = "failed";  // a refusal, shown in #message
  try {
    await done;
    state = "done";
  } catch (e) {
    if (e.name !== "AbortError") throw e;
    state = "stopped";
    if (F.last) setStatus(describe(F.last) + ": stopped", "");
  } finally { F.ctrl = null; F.running = null; setBusy(false, state); }
}

// While a stream runs only "stop" answers; #status's data-state says where the stream is.
function setBusy(on, state = "streaming") {
  $("stop").disabled = !on;
  for (const id of ["step", "train"]) $(id).disabled = on;
  $("status").dataset.state = state;
}

// One frame: the first of a fresh run carries the points; a frame of an epoch already on the
// curve (the start of a continued run) replaces that point.
function show(f) {
  if (f.points) {
    F.run = f;
    if (f.epoch === 0) { F.epochs = []; F.loss = []; F.accuracy = []; }
  }
  const k = F.epochs.length && F.epochs[F.epochs.length - 1] === f.epoch ? F.epochs.length - 1 : F.epochs.length;
  F.epochs[k] = f.epoch; F.loss[k] = f.loss; F.accuracy[k] = f.accuracy;
  F.last = f;
  drawBoundary(f); drawCurve();
  const s = $("status");
  s.dataset.epoch = String(f.epoch); s.dataset.accuracy = String(f.train_accuracy);
  s.dataset.model = F.run.model; s.dataset.data = F.run.data;
  setStatus(describe(f), f.train_accuracy >= 0.95 ? "good" : (f.epoch > 0 && f.train_accuracy <= 0.75 ? "bad" : ""));
  $("limits").textContent = `up to ${F.run.max_epochs} epochs for the ${F.run.model}`;
}

function setStatus(text, cls) { const s = $("status"); s.textContent = text; s.className = cls || ""; }

function describe(f) {
  const acc = (100 * f.train_accuracy).toFixed(1);
  let text = `epoch ${f.epoch}: loss ${f.loss.toFixed(4)}, training accuracy ${acc}%`;
  if (F.run.model === "perceptron") text += " (the pocket's weights, drawn; the curve follows w(t))";
  if (F.run.model === "rbf" && f.epoch === 0) text += " (closed form)";
  if (f.converged) text += ": an epoch without a mistake, the perceptron stopped";
  else if (f.epoch >= F.run.max_epochs) text += `: the page's limit of ${F.run.max_epochs} epochs`;
  return text;
}

// The grid's P(class 1) as a tint, the predicted class's edge as a dark line, then the points.
function drawBoundary(f) {
  const cv = $("boundary"), ctx = cv.getContext("2d"), W = cv.width, G = F.run.grid_size;
  const [lo, hi] = F.run.extent, c = W / G;
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, W, cv.height);
  for (let i = 0; i < G; i++) {
    for (let j = 0; j < G; j++) {
      const p = f.proba[i][j], k = f.grid[i][j], t = 0.15 + 0.5 * Math.min(1, 2 * Math.abs(p - 0.5));
      const rgb = COL[k].map((v) => Math.round(255 - t * (255 - v)));
      ctx.fillStyle = `rgb(${rgb.join(",")})`;
      ctx.fillRect(Math.floor(j * c), Math.floor(i * c), Math.ceil(c), Math.ceil(c));
    }
  }
  ctx.strokeStyle = "#1d2330"; ctx.lineWidth = 1.5; ctx.beginPath();  // class changes between cells
  for (let i = 0; i < G; i++) {
    for (let j = 0; j < G; j++) {
      if (j + 1 < G && f.grid[i][j] !== f.grid[i][j + 1]) { ctx.moveTo((j + 1) * c, i * c); ctx.lineTo((j + 1) * c, (i + 1) * c); }
      if (i + 1 < G && f.grid[i][j] !== f.grid[i + 1][j]) { ctx.moveTo(j * c, (i + 1) * c); ctx.lineTo((j + 1) * c, (i + 1) * c); }
    }
  }
  ctx.stroke();
  const px = (x) => (x - lo) / (hi - lo) * W, py = (y) => (hi - y) / (hi - lo) * cv.height;
  F.run.points.forEach(([x, y], n) => {
    ctx.beginPath(); ctx.arc(px(x), py(y), 3.5, 0, 7);
    ctx.fillStyle = `rgb(${COL[F.run.labels[n]].join(",")})`; ctx.fill();
    ctx.strokeStyle = "#1d2330"; ctx.lineWidth = 1; ctx.stroke();
  });
  F.draws++;
  cv.dataset.draws = String(F.draws); cv.dataset.epoch = String(f.epoch);
}

// Loss (left axis, from 0) and accuracy (right axis, 0..1) against the epoch, a dot per frame.
function drawCurve() {
  const cv = $("curve"), ctx = cv.getContext("2d"), W = cv.width, H = cv.height;
  const L = 48, R = 40, T = 16, B = 30;
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, W, H);
  ctx.strokeStyle = "#888"; ctx.lineWidth = 1; ctx.beginPath();
  ctx.moveTo(L, T); ctx.lineTo(L, H - B); ctx.lineTo(W - R, H - B); ctx.lineTo(W - R, T); ctx.stroke();
  ctx.fillStyle = "#5b6475"; ctx.font = "12px system-ui, sans-serif";
  const n = Math.max(F.epochs[F.epochs.length - 1], 1), top = Math.max(...F.loss, 1e-6) * 1.05;
  const x = (e) => L + (W - L - R) * e / n, yl = (v) => T + (H - T - B) * (1 - v / top);
  const ya = (a) => T + (H - T - B) * (1 - a);
  ctx.fillText("epoch", (W - 40) / 2, H - 6);
  ctx.textAlign = "right"; ctx.fillText(top.toFixed(2), L - 4, T + 8); ctx.fillText("0", L - 4, H - B + 4);
  ctx.textAlign = "left"; ctx.fillText("1.0", W - R + 4, T + 8); ctx.fillText("0.5", W - R + 4, ya(0.5) + 4);
  ctx.fillText("0", L - 3, H - B + 15); ctx.fillText(String(F.epochs[F.epochs.length - 1]), x(n) - 8, H - B + 15);
  ctx.setLineDash([4, 4]); ctx.strokeStyle = "#d7dbe3"; ctx.beginPath();
  ctx.moveTo(L, ya(0.5)); ctx.lineTo(W - R, ya(0.5)); ctx.stroke(); ctx.setLineDash([]);
  const line = (vals, y, color) => {
    ctx.strokeStyle = color; ctx.fillStyle = color; ctx.lineWidth = 2; ctx.beginPath();
    vals.forEach((v, k) => (k ? ctx.lineTo(x(F.epochs[k]), y(v)) : ctx.moveTo(x(F.epochs[k]), y(v))));
    ctx.stroke();
    if (vals.length <= MAX_FRAMES + 1) {
      vals.forEach((v, k) => { ctx.beginPath(); ctx.arc(x(F.epochs[k]), y(v), 2.5, 0, 7); ctx.fill(); });
    }
  };
  line(F.accuracy, ya, "#1f8a4c"); line(F.loss, yl, "#2f6fde");
  cv.dataset.epochs = JSON.stringify(F.epochs);
  cv.dataset.loss = JSON.stringify(F.loss);
  cv.dataset.accuracy = JSON.stringify(F.accuracy);
}

// The epochs a step or a whole training would reach, or null at the end of the run.
function target(more) {
  const f = F.last, max = F.run.max_epochs;
  if (f.converged || f.epoch >= max) return null;
  return Math.min(f.epoch + more, max);
}

async function step() {
  const t = F.last && target(Number($("per-step").value));
  if (t !== null && t !== undefined) await run(t);
}

async function trainAll() {
  const t = F.last && target(Infinity);
  if (t !== null && t !== undefined) await run(t);
}

async function stop() {
  if (F.ctrl) F.ctrl.abort();
  if (F.running) await F.running.catch(() => {});
  while (F.ctrl) await NZ.sleep(5);  // run's finally has cleared it
}

// A fresh run from epoch 0 (a new choice of data or network, or the reset button).
async function reset(epochs = 0) {
  await stop();
  F.run = null; F.last = null;
  await run(epochs);
}

// A refusal (4xx) is already shown in #message; anything else is a bug of the page.
function quiet(promise) {
  promise.catch((e) => { if (!e.status) NZ.errors.push(String(e && e.message || e)); });
}

function wire() {
  const restart = () => { showOptions(); quiet(reset()); };
  for (const id of ["data", "model", "activation", "lr", "hidden", "centers"]) $(id).addEventListener("change", restart);
  $("hidden").addEventListener("input", () => { $("hidden-value").textContent = $("hidden").value; });
  $("centers").addEventListener("input", () => { $("centers-value").textContent = $("centers").value; });
  $("step").addEventListener("click", () => quiet(step()));
  $("train").addEventListener("click", () => quiet(trainAll()));
  $("stop").addEventListener("click", () => quiet(stop()));
  $("reset").addEventListener("click", () => quiet(reset()));
}

wire();
// ?data=, ?model=, ?steps=N: open on that net after N epochs (for a screenshot)
const q = new URLSearchParams(location.search);
if (q.get("data")) $("data").value = q.get("data");
if (q.get("model")) $("model").value = q.get("model");
showOptions();
quiet(reset(Number(q.get("steps") || 0)));
