// CNN page. The lecture's worked example: the server convolves (ops.conv2d); the page slides
// the window and writes each sum. LeNet-5: the page draws on a 32x32 grid and sends it; the
// server averages it to the 8x8 image, runs the network (the shipped LeNet-5, or the run chosen
// in #run) and answers every layer's maps and the class probabilities, which the page draws.
"use strict";
const C = { data: null, k: 0, timer: null };
const $ = (id) => document.getElementById(id);
const fmt = (v) => (Number.isInteger(v) ? String(v) : v.toFixed(2));

// ---- the worked example ---------------------------------------------------------------------

function table(el, rows, blank) {
  el.innerHTML = "";
  for (const row of rows) {
    const tr = document.createElement("tr");
    for (const v of row) {
      const td = document.createElement("td");
      td.textContent = blank ? "" : fmt(v);
      if (!blank && v < 0) td.classList.add("neg");
      tr.append(td);
    }
    el.append(tr);
  }
}

async function load() {
  C.data = await NZ.api("/api/cnn/lecture?kernel=" + encodeURIComponent($("kernel").value));
  reset();
}

function reset() {
  stop(); C.k = 0;
  table($("image"), C.data.image); table($("kernel-grid"), C.data.kernel);
  table($("output"), C.data.output, true);
  $("calc").textContent = "Press step: the kernel moves to the next position and its weighted sum appears.";
  $("pos").textContent = "";
}

const side = () => C.data.output.length;

// Move the window to position k (row-major over the 7x7 map) and write r there.
function step() {
  const n = side(), kk = C.data.kernel.length;
  if (C.k >= n * n) { stop(); return false; }
  const i = Math.floor(C.k / n), j = C.k % n;
  const img = $("image").rows, out = $("output").rows;
  for (const tr of img) for (const td of tr.cells) td.classList.remove("win", "centre");
  for (const tr of out) for (const td of tr.cells) td.classList.remove("now");
  const terms = []; let sum = 0;
  for (let a = 0; a < kk; a++) for (let b = 0; b < kk; b++) {
    const p = C.data.image[i + a][j + b], w = C.data.kernel[a][b];
    img[i + a].cells[j + b].classList.add(a === 1 && b === 1 ? "centre" : "win");
    terms.push(`${fmt(p)}\u00b7${w < 0 ? "(" + fmt(w) + ")" : fmt(w)}`); sum += p * w;
  }
  const r = C.data.output[i][j], td = out[i].cells[j];
  td.textContent = fmt(r); td.classList.add("now"); td.classList.toggle("neg", r < 0);
  td.dataset.sum = String(sum);
  $("calc").textContent = `r[${i}][${j}] = ${terms.join(" + ")} = ${fmt(r)}`;
  C.k += 1;
  $("pos").textContent = `position ${C.k} of ${n * n}`;
  return true;
}

function stop() { if (C.timer) { clearInterval(C.timer); C.timer = null; $("play").textContent = "play"; } }
function play() {
  if (C.timer) { stop(); return; }
  if (C.k >= side() * side()) reset();
  $("play").textContent = "pause";
  C.timer = setInterval(() => { if (!step()) stop(); }, 350);
}

// ---- LeNet-5 --------------------------------------------------------------------------------

const N = 32, BRUSH = 1.6;  // the drawing grid (N x N cells) and the pen's radius in cells
const L = { grid: new Float64Array(N * N), drawing: false, last: null, busy: false, dirty: false,
            label: null, shown: 0, run: "" };
// A request with the run folder's LeNet-5 when one is chosen (the server checks that it fits).
const withRun = (body) => (L.run ? { ...body, run: L.run } : body);
const runQuery = () => (L.run ? "?run=" + encodeURIComponent(L.run) : "");
const INK = [29, 35, 48], POS = [192, 57, 43], NEG = [47, 111, 222];
const mix = (c, t) => `rgb(${c.map((x) => Math.round(255 + (x - 255) * t)).join(",")})`;
const grey = (v) => mix(INK, Math.min(1, Math.max(0, v)));
const diverging = (v, range) => { const t = Math.max(-1, Math.min(1, v / range));
  return t >= 0 ? mix(POS, t) : mix(NEG, -t); };
// A refusal (err.status) is on the page already; anything else is a bug, for the tests to see.
const quiet = (e) => { if (!e.status) NZ.errors.push(e.message); };
const ink = () => L.grid.reduce((s, v) => s + (v > 0 ? 1 : 0), 0);

// An h x w array of values on a canvas, one colour per cell.
function paint(canvas, rows, colour) {
  const ctx = canvas.getContext("2d"), h = rows.length, w = rows[0].length;
  const cw = canvas.width / w, ch = canvas.height / h;
  for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) {
    ctx.fillStyle = colour(rows[i][j]);
    ctx.fillRect(j * cw, i * ch, Math.ceil(cw), Math.ceil(ch));
  }
}
const rowsOf = (flat, w) => Array.from({ length: flat.length / w }, (_, i) => flat.slice(i * w, i * w + w));

function drawPad() {
  const cv = $("pad"), ctx = cv.getContext("2d"), c = cv.width / N;
  paint(cv, rowsOf(Array.from(L.grid), N), grey);
  ctx.strokeStyle = "#e3e7ee"; ctx.lineWidth = 1;  // the 4x4 blocks that make one pixel
  for (let k = 4; k < N; k += 4) {
    ctx.beginPath(); ctx.moveTo(k * c + 0.5, 0); ctx.lineTo(k * c + 0.5, cv.height); ctx.stroke();
    ctx.beginPath(); ctx.moveTo(0, k * c + 0.5); ctx.lineTo(cv.width, k * c + 0.5); ctx.stroke();
  }
  cv.dataset.ink = String(ink());
}

// The pointer's position in cells.
function cellAt(ev) {
  const r = $("pad").getBoundingClientRect();
  return [(ev.clientX - r.left) / r.width * N, (ev.clientY - r.top) / r.height * N];
}

// Ink every cell whose centre lies within BRUSH of the segment a -> b.
function stroke(a, b) {
  const len = Math.hypot(b[0] - a[0], b[1] - a[1]), n = Math.max(1, Math.ceil(len / 0.25));
  for (let s = 0; s <= n; s++) {
    const x = a[0] + (b[0] - a[0]) * s / n, y = a[1] + (b[1] - a[1]) * s / n;
    for (let i = Math.floor(y - BRUSH); i <= Math.ceil(y + BRUSH); i++)
      for (let j = Math.floor(x - BRUSH); j <= Math.ceil(x + BRUSH); j++)
        if (i >= 0 && i < N && j >= 0 && j < N && Math.hypot(j + 0.5 - x, i + 0.5 - y) <= BRUSH)
          L.grid[i * N + j] = 1;
  }
}

function wirePad() {
  const pad = $("pad");
  pad.addEventListener("pointerdown", (ev) => {
    pad.setPointerCapture(ev.pointerId); L.drawing = true; L.last = cellAt(ev);
    if (L.label !== null) { L.label = null; $("truth").textContent = "your drawing"; chosen(null); }
    stroke(L.last, L.last); drawPad(); classify();
  });
  pad.addEventListener("pointermove", (ev) => {
    if (!L.drawing) return;
    const p = cellAt(ev); stroke(L.last, p); L.last = p; drawPad(); classify();
  });
  const end = () => { if (L.drawing) { L.drawing = false; classify(); } };
  pad.addEventListener("pointerup", end);
  pad.addEventListener("pointercancel", end);
}

// Send the grid; while an answer is awaited, further changes wait for one more request.
async function classify() {
  if (L.busy) { L.dirty = true; return; }
  L.busy = true;
  try {
    do {
      L.dirty = false;
      const sent = ink();
      const data = await NZ.api("/api/cnn/lenet", withRun({ pixels: Array.from(L.grid) }));
      show(data, sent);
    } while (L.dirty);
  } catch (e) { quiet(e); }
  finally { L.busy = false; }
}

function show(d, sent) {
  paint($("seen"), d.input, grey);
  $("seen").dataset.input = JSON.stringify(d.input);
  drawProbs(d.probs, d.predicted);
  drawMaps(d.layers);
  drawScale(d.f, d.range);
  $("source").textContent = d.source;
  L.shown += 1;
  const res = $("result");
  res.dataset.ink = String(sent); res.dataset.version = String(L.shown); res.dataset.source = d.source;
}

// The colour legend of the maps: f's bound A when it has one (ReLU: each layer's largest |value|).
function drawScale(f, range) {
  const pos = '<span class="swatch pos"></span>', neg = '<span class="swatch neg"></span>';
  $("scale").innerHTML = range === null
    ? `${f}: each layer from ${neg}&minus;max|value| through white 0 to ${pos}+max|value| of that layer`
    : `${f}: from ${neg}&minus;${range} through white 0 to ${pos}+${range}`;
}

function drawProbs(probs, predicted) {
  const box = $("probs"); box.innerHTML = "";
  probs.forEach((p, k) => {
    const row = document.createElement("div");
    row.className = "prob" + (k === predicted ? " top" : ""); row.dataset.class = String(k);
    row.innerHTML = `<span>${k}</span><span class="bar"><i style="width:${(100 * p).toFixed(1)}%"></i></span>` +
      `<span class="p">${p.toFixed(4)}</span>`;
    box.append(row);
  });
  box.dataset.probs = JSON.stringify(probs);
  const el = $("predicted");
  el.dataset.class = String(predicted);
  el.textContent = `predicted: ${predicted}`;
  if (L.label !== null) {
    const mark = document.createElement("span"), right = L.label === predicted;
    mark.className = right ? "yes" : "no";
    mark.textContent = right ? `  \u2713 label ${L.label}` : `  \u2717 label ${L.label}`;
    el.append(mark);
  }
}

// Pixels per cell for each layer's maps, so that each map is a readable size.
const SCALE = { input: 3, C1: 3, S2: 5, C3: 5, S4: 8 };
// Units without a spatial layout (C5's 1x1 maps, F6, the logits) as one grid of rows x cols:
// F6 as the paper's 7x12 bitmaps (12 rows of 7).
const UNITS = { C5: [10, 12, 10], F6: [12, 7, 12], output: [1, 10, 24] };  // rows, cols, px

function drawMaps(layers) {
  const box = $("maps");
  if (box.children.length !== layers.length) box.innerHTML = "";
  layers.forEach((layer, n) => {
    let el = box.children[n];
    if (!el) {
      el = document.createElement("div"); el.className = "layer"; box.append(el);
      const name = document.createElement("div"); name.className = "name";
      const maps = document.createElement("div"); maps.className = "maps";
      el.append(name, maps);
    }
    const [nameEl, mapsEl] = el.children;
    const shape = layer.shape, units = shape.reduce((a, b) => a * b, 1);
    el.dataset.layer = layer.name; el.dataset.shape = shape.join("x"); el.dataset.units = String(units);
    const spatial = shape.length === 3 && shape[1] * shape[2] > 1;
    nameEl.innerHTML = `<b>${layer.name}</b> ${shape.join("\u00d7")}<br>${layer.note}`;
    if (spatial) {
      const [c, h, w] = shape, s = SCALE[layer.name] || 4;
      const colour = layer.name === "input" ? grey : (v) => diverging(v, layer.range);
      while (mapsEl.children.length > c) mapsEl.lastChild.remove();
      for (let k = 0; k < c; k++) {
        let cv = mapsEl.children[k];
        if (!cv) { cv = document.createElement("canvas"); mapsEl.append(cv); }
        if (cv.width !== w * s) { cv.width = w * s; cv.height = h * s; }
        cv.title = `${layer.name} map ${k + 1}`;
        paint(cv, layer.maps[k], colour);
      }
    } else {
      const flat = layer.maps.flat(2), [rows, cols, px] = UNITS[layer.name] || [1, flat.length, 10];
      const top = layer.range;  // the logits: their largest |o|
      let cv = mapsEl.children[0];
      if (!cv || mapsEl.children.length !== 1) {
        mapsEl.innerHTML = ""; cv = document.createElement("canvas"); mapsEl.append(cv);
      }
      cv.width = cols * px; cv.height = rows * px; cv.title = `${layer.name}: ${units} units`;
      paint(cv, rowsOf(flat, cols), (v) => diverging(v, top));
      if (layer.name === "output") {  // each logit's class
        const ctx = cv.getContext("2d");
        ctx.fillStyle = "#1d2330"; ctx.font = "12px ui-monospace, monospace"; ctx.textAlign = "center";
        for (let k = 0; k < flat.length; k++) ctx.fillText(String(k), (k + 0.5) * px, px * 0.7);
      }
    }
    el.dataset.maps = String(mapsEl.children.length);
  });
}

function clearResult() {
  for (const id of ["probs", "predicted", "maps"]) { $(id).innerHTML = ""; delete $(id).dataset.probs; delete $(id).dataset.class; }
  const cv = $("seen"); cv.getContext("2d").clearRect(0, 0, cv.width, cv.height); delete cv.dataset.input;
  delete $("result").dataset.ink;
}

function chosen(label) {
  for (const b of $("examples").children) b.classList.toggle("chosen", Number(b.dataset.label) === label);
}

// An 8x8 test digit on the grid: each pixel fills its 4x4 block, which averages back to it.
function putDigit(pixels, label, what) {
  const b = N / 8;
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++)
    L.grid[i * N + j] = pixels[Math.floor(i / b) * 8 + Math.floor(j / b)];
  L.label = label; chosen(label);
  $("truth").textContent = `${what}, label ${label}`;
  drawPad(); return classify();
}

async function loadExamples() {
  const ex = await NZ.api("/api/cnn/examples" + runQuery());
  const box = $("examples"); box.innerHTML = "";
  ex.digits.forEach((pixels, k) => {
    const b = document.createElement("button"), cv = document.createElement("canvas");
    cv.width = cv.height = 8; paint(cv, rowsOf(pixels, 8), grey);
    b.dataset.label = String(ex.labels[k]); b.dataset.index = String(ex.indices[k]);
    b.title = `test digit #${ex.indices[k]}, a ${ex.labels[k]}`;
    b.append(cv);
    b.addEventListener("click", () => putDigit(pixels, ex.labels[k], `test digit #${ex.indices[k]}`));
    box.append(b);
  });
  $("index").max = String(ex.n_test - 1);
  accuracy(ex);
  return ex;
}

// Which model answers, and how many test digits it classifies right.
function accuracy(ex) {
  const who = L.run ? `run ${L.run}` : "the shipped model";
  $("model").textContent = ex.test_accuracy === null ? ""
    : `${who} classifies ${(100 * ex.test_accuracy).toFixed(1)}% of the ${ex.n_test} test digits right`;
}

// The model selector: the shipped LeNet-5 and each run under --runs that the server says fits
// (a lenet5 run that does not fit is listed disabled, the reason in its title).
async function loadRuns() {
  const d = await NZ.api("/api/cnn/runs");
  const sel = $("run");
  for (const r of d.runs.filter((r) => r.usable || r.model === "lenet5")) {
    const opt = new Option(r.usable ? "run " + r.name : `run ${r.name} (does not fit)`, r.name);
    opt.disabled = !r.usable; opt.title = r.usable ? r.source : r.reason;
    sel.append(opt);
  }
  $("run-row").hidden = !d.runs.some((r) => r.usable);
  sel.dataset.runs = JSON.stringify(d.runs.filter((r) => r.usable).map((r) => r.name));
}

async function chooseRun() {
  L.run = $("run").value;
  accuracy(await NZ.api("/api/cnn/examples" + runQuery()));
  if (ink() > 0) await classify();
}

async function loadIndex() {
  const raw = $("index").value.trim();
  const d = await NZ.api("/api/cnn/digit", { index: raw === "" ? null : Number(raw) });
  await putDigit(d.pixels, d.label, `test digit #${d.index}`);
}

function wire() {
  $("step").addEventListener("click", step);
  $("play").addEventListener("click", play);
  $("all").addEventListener("click", () => { stop(); while (step()); });
  $("reset").addEventListener("click", reset);
  $("kernel").addEventListener("change", () => load().catch(quiet));
  wirePad();
  $("clear").addEventListener("click", () => {
    L.grid.fill(0); L.label = null; chosen(null); $("truth").textContent = ""; NZ.message("");
    drawPad(); clearResult();
  });
  $("load").addEventListener("click", () => loadIndex().catch(quiet));
  $("run").addEventListener("change", () => chooseRun().catch(quiet));
  $("index").addEventListener("keydown", (ev) => { if (ev.key === "Enter") loadIndex().catch(quiet); });
}

wire();
drawPad();
// ?steps=N: open with the kernel already moved N times
const preSteps = () => { const n = Number(new URLSearchParams(location.search).get("steps")) || 0;
  for (let k = 0; k < n; k++) step(); };
load().then(preSteps).catch((e) => NZ.errors.push(e.message));
loadRuns().catch((e) => NZ.errors.push(e.message));
// open with the first test 3 on the pad
loadExamples().then((ex) => { const k = ex.labels.indexOf(3); return putDigit(ex.digits[k], 3, `test digit #${ex.indices[k]}`); })
  .catch((e) => NZ.errors.push(e.message));
