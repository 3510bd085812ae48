// CNN page: the server convolves (ops.conv2d); the page slides the window and writes each sum.
"use strict";
const C = { data: null, k: 0, timer: null };
const $ = (id) => document.getElementById(id);
const fmt = (v) => (Number.isInteger(v) ? String(v) : v.toFixed(2));

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

function wire() {
  $("step").addEventListener("click", step);
  $("play").addEventListener("click", play);
  $("all").addEventListener("click", () => { stop(); while (step()); });
  $("reset").addEventListener("click", reset);
  $("kernel").addEventListener("change", () => load().catch(() => {}));
}

// ?selftest: step through all 49 positions with the step button, read the numbers shown.
async function selftest() {
  const out = {};
  const n = side();
  for (let k = 0; k < n * n; k++) $("step").click();
  const cells = [...$("output").rows].map((tr) => [...tr.cells]);
  out.shown = cells.map((row) => row.map((td) => Number(td.textContent)));
  out.expected = C.data.output;
  // the page's own sum of products against the server's number, cell by cell
  out.sums_agree = cells.every((row, i) => row.every((td, j) => Math.abs(Number(td.dataset.sum) - C.data.output[i][j]) < 1e-6));
  out.calc = $("calc").textContent;
  out.window_cells = document.querySelectorAll("#image td.win, #image td.centre").length;
  $("step").click();  // past the end: nothing changes, no error
  out.after_end = $("pos").textContent;
  return out;
}

wire();
// ?steps=N: open with the kernel already moved N times
const preSteps = () => { const n = Number(new URLSearchParams(location.search).get("steps")) || 0;
  for (let k = 0; k < n && !NZ.selftest; k++) step(); };
load().then(preSteps).then(() => NZ.runSelftest(selftest)).catch((e) => NZ.errors.push(e.message));
