// RBM page: the server infers, streams the Gibbs chain and samples the DBN; this page draws.
"use strict";
const R = { side: 8, v: new Array(64).fill(0), examples: [], run: "",
            seed: 0, dbnSeed: 0, busy: false, asked: 0 };
const $ = (id) => document.getElementById(id);
// A refusal (a 4xx) is shown in #message (its status in data-status); anything else is a fault.
const fail = (e) => {
  if (e && e.status !== undefined) $("message").dataset.status = String(e.status);
  else console.error("rbm page: " + (e && e.message || e));
};
// Before each request: the last refusal's status goes (NZ clears its text on success).
const asking = () => { delete $("message").dataset.status; };
// The request body, with the run folder's RBM when one is chosen.
const withRun = (body) => (R.run ? { ...body, run: R.run } : body);

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

// 0/1 states of n units as cells, 8 to a row.
function drawUnits(canvas, bits) {
  const ctx = canvas.getContext("2d"), cols = 8, rows = Math.ceil(bits.length / cols);
  const c = Math.min(canvas.width / cols, canvas.height / rows);
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, canvas.width, canvas.height);
  bits.forEach((b, j) => {
    ctx.fillStyle = b ? "#2f6fde" : "#eef1f6";
    ctx.fillRect((j % cols) * c + 1, Math.floor(j / cols) * c + 1, c - 2, c - 2);
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

function drawInput() {
  NZ.drawCells($("draw"), R.v, R.side);
  $("draw").dataset.bits = JSON.stringify(R.v);
}


async function models() {
  const d = await NZ.api("/api/runs");
  const rbms = d.runs.filter((r) => r.model === "rbm");
  for (const r of rbms) $("model").append(new Option("run " + r.name, r.name));
  $("model-row").hidden = rbms.length === 0;
}

async function examples() {
  const d = await NZ.api("/api/rbm/digits");
  R.side = d.side; R.examples = d.digits;
  const box = $("examples"); box.innerHTML = "";
  d.digits.forEach((bits, k) => {
    const t = thumb(bits, String(d.labels[k]), false);
    t.addEventListener("click", () => { R.v = bits.slice(); drawInput(); infer().catch(fail); });
    box.append(t);
  });
}

// p(h|v) as bars over a shaded strip, and the reconstruction.
async function infer() {
  const ask = ++R.asked; asking();
  const d = await NZ.api("/api/rbm/infer", withRun({ v: R.v }));
  if (ask !== R.asked) return d;  // a later drawing's answer is on its way: draw only that one
  const cv = $("hidden"), ctx = cv.getContext("2d"), n = d.p_h.length, w = cv.width / n, H = cv.height;
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, cv.width, H);
  d.p_h.forEach((p, j) => {
    const g = Math.round(240 - 200 * p);
    ctx.fillStyle = `rgb(${g},${g},${Math.min(255, g + 20)})`; ctx.fillRect(j * w, H - 14, w - 1, 14);
    ctx.fillStyle = "#2f6fde"; ctx.fillRect(j * w + 1, (H - 16) * (1 - p), Math.max(1, w - 3), (H - 16) * p);
  });
  cv.dataset.pH = JSON.stringify(d.p_h);
  drawGrey($("recon"), d.recon, d.side);
  $("recon").dataset.recon = JSON.stringify(d.recon);
  const on = d.p_h.filter((p) => p > 0.5).length;
  $("infer-status").textContent = `${on} of ${n} hidden units with p > 0.5; free energy F(v) = ` +
    `${d.free_energy.toFixed(2)} (${d.source})`;
  return d;
}

// The chain, one frame per Gibbs step, drawn as the server sends it.
async function chain() {
  if (R.busy) return;
  R.busy = true; $("chain").disabled = true;
  const film = $("film"), frame = $("frame");
  try {
    R.seed += 1; asking();
    film.innerHTML = ""; film.dataset.count = "0";
    let steps = 0, every = 1;
    const body = { v: R.v, steps: Number($("steps").value), seed: R.seed, delay_ms: Number($("speed").value) };
    await NZ.stream("/api/rbm/gibbs", withRun(body), (f) => {
      if (f.t === 0) {
        steps = f.steps; every = Math.max(1, Math.ceil(steps / 15));
        frame.dataset.seed = String(f.seed);
        drawGrey($("frame-mean"), f.v, R.side); drawUnits($("frame-h"), new Array(f.n_hidden).fill(0));
      } else {
        drawGrey($("frame-mean"), f.p_v, R.side); drawUnits($("frame-h"), f.h);
      }
      NZ.drawCells(frame, f.v, R.side);
      frame.dataset.t = String(f.t); frame.dataset.bits = JSON.stringify(f.v);
      film.dataset.count = String(f.t + 1);
      if (f.t % every === 0 || f.t === steps) {
        const t = thumb(f.v, "v" + f.t, false);
        Object.assign(t.dataset, { t: String(f.t), bits: JSON.stringify(f.v) }); film.append(t);
      }
      $("status").textContent = `v${f.t} of ${steps} (seed ${R.seed}): ` +
        `${f.v.reduce((a, b) => a + b, 0)} pixels on`;
    });
  } finally { R.busy = false; $("chain").disabled = false; }
}

// Each tile: one hidden unit's weights, red positive, blue negative, on the largest |w|.
async function filters() {
  asking();
  const d = await NZ.api("/api/rbm/filters" + (R.run ? "?run=" + encodeURIComponent(R.run) : ""));
  const box = $("filters"); box.innerHTML = "";
  d.filters.forEach((w, j) => {
    const c = document.createElement("canvas"), ctx = c.getContext("2d"), px = 5;
    c.width = c.height = d.side * px; c.title = `hidden unit ${j}: a = ${d.hidden_bias[j].toFixed(2)}`;
    w.forEach((v, k) => {
      const t = Math.min(1, Math.abs(v) / d.max_abs), rgb = v > 0 ? [192, 57, 43] : [47, 111, 222];
      ctx.fillStyle = `rgb(${rgb.map((x) => Math.round(255 - t * (255 - x))).join(",")})`;
      ctx.fillRect((k % d.side) * px, Math.floor(k / d.side) * px, px, px);
    });
    box.append(c);
  });
  $("wmax").textContent = `|w| up to ${d.max_abs.toFixed(2)}; ${d.n_hidden} units, ${d.source}`;
  return d;
}

async function generate(fresh) {
  if (fresh) R.dbnSeed += 1;
  asking();
  const label = Number($("label").value);
  $("dbn-status").textContent = "sampling\u2026";
  const d = await NZ.api("/api/dbn/generate", { label, n: 8, steps: Number($("dbn-steps").value), seed: R.dbnSeed });
  const box = $("samples"), bits = $("samples-bits");
  box.innerHTML = ""; bits.innerHTML = "";
  Object.assign(box.dataset, { label: String(d.label), steps: String(d.steps), seed: String(d.seed) });
  d.probs.forEach((p, k) => {
    const t = thumb(p, "as " + d.predicted[k], true, d.predicted[k] === label ? "" : "wrong");
    t.dataset.probs = JSON.stringify(p); box.append(t);
  });
  d.images.forEach((x) => { const t = thumb(x, null, false); t.dataset.bits = JSON.stringify(x); bits.append(t); });
  const agree = d.predicted.filter((c) => c === label).length;
  $("dbn-status").textContent = `${d.n} samples of class ${label} after ${d.steps} Gibbs steps (seed ${d.seed}); ` +
    `the DBN classifies ${agree} of them as ${label}`;
  return d;
}

function wire() {
  for (let c = 0; c < 10; c++) $("label").append(new Option(String(c), String(c)));
  $("label").value = "3";
  NZ.drawPad($("draw"), R.side, () => R.v, drawInput, () => infer().catch(fail));
  $("clear").addEventListener("click", () => { R.v = new Array(64).fill(0); drawInput(); infer().catch(fail); });
  $("infer").addEventListener("click", () => infer().catch(fail));
  $("chain").addEventListener("click", () => chain().catch(fail));
  $("generate").addEventListener("click", () => generate(false).catch(fail));
  $("again").addEventListener("click", () => generate(true).catch(fail));
  $("label").addEventListener("change", () => generate(false).catch(fail));
  $("model").addEventListener("change", () => {
    R.run = $("model").value;
    Promise.all([infer(), filters()]).catch(fail);
  });
}

wire(); drawInput();
// ?chain: run the chain (fast) as soon as the page is ready (for screenshots)
const autoChain = () => {
  if (!new URLSearchParams(location.search).has("chain")) return null;
  $("speed").value = "5"; return chain();
};
models().then(examples).then(() => { R.v = R.examples[3].slice(); drawInput(); return infer(); })
  .then(filters).then(() => generate(false))
  .then(() => { document.querySelector("main").dataset.ready = "1"; })
  .then(autoChain).catch(fail);
