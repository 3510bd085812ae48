// Hopfield page: the server stores, recalls (a stream of flips), integrates the continuous
// network and runs the modern one's attention; this page draws what comes back. What is stored
// is the embedded digits, the built-in letters, or the person's drawings (sent as 0/1 lists).
"use strict";
const H = { side: 8, source: null, stored: [], labels: [], fixed: [], nFixed: 0, chosen: 0,
            probe: null, seed: 0, sizes: null, capacity: null, capKey: null, recalled: false, busy: false,
            drawn: [], sketch: new Array(64).fill(0),
            tok: { store: 0, corrupt: 0, capacity: 0, discrete: 0, continuous: 0, modern: 0 },
            shown: null, energies: [], sweepEnds: [], range: null, final: false };
const $ = (id) => document.getElementById(id);
const RULE_COLOURS = { hebbian: "#c0392b", storkey: "#e08a00", "pseudo-inverse": "#1f8a4c" };
const RULE_NAMES = { hebbian: "Hebbian", storkey: "Storkey", "pseudo-inverse": "pseudo-inverse" };
const NOUNS = { digits: "digit", letters: "letter", drawn: "drawing", run: "pattern" };

// What the controls ask to store: a source's first n patterns, or the drawings (`drawn`, by
// default the ones in memory).
function settings(drawn) {
  const rule = $("rule").value, source = $("source").value;
  return source === "drawn" ? { rule, source, patterns: drawn || H.drawn }
    : { rule, source, n_patterns: Number($("npat").value) };
}
// The patterns stored now, as corrupt and capacity ask for them.
const storedSource = () => (H.source === "drawn" ? { patterns: H.stored } : { source: H.source });
const beta = () => 10 ** (Number($("beta").value) / 20);
const noun = (n = 1) => (NOUNS[H.source] || "pattern") + (n === 1 ? "" : "s");
const label = (k) => (H.labels ? `${noun()} ${H.labels[k]}` : `${noun()} ${k + 1}`);
const which = (k) => label(k) + (H.labels ? ` (pattern ${k + 1})` : "");
const diff = (a, b) => a.reduce((n, v, i) => n + (v !== b[i]), 0);

// A refusal was shown in #message by NZ.api / NZ.stream; anything else is a fault of the page.
function refused(e) {
  if (e && e.status) $("message").dataset.status = String(e.status);
  else NZ.errors.push("hopfield page: " + (e && e.message ? e.message : String(e)));
}
const guard = (fn) => () => { try { return Promise.resolve(fn()).catch(refused); } catch (e) { refused(e); return null; } };

function setStatus(el, text, cls) { el.textContent = text; el.className = el.id === "status" ? cls : "result " + cls; }

// A 0/1 pattern on a canvas, its bits kept in data-bits for whoever reads the page.
function drawBits(canvas, bits, mark) {
  NZ.drawCells(canvas, bits, H.side, mark);
  canvas.dataset.bits = JSON.stringify(bits);
}

// Graded values V in [-1, 1] (row by row) as shades: -1 light, +1 dark.
function drawGrey(canvas, values) {
  const ctx = canvas.getContext("2d"), c = canvas.width / H.side;
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, canvas.width, canvas.height);
  values.forEach((v, k) => {
    const p = Math.min(1, Math.max(0, (v + 1) / 2));
    ctx.fillStyle = `rgb(${Math.round(238 - p * 209)},${Math.round(241 - p * 206)},${Math.round(246 - p * 198)})`;
    ctx.fillRect((k % H.side) * c + 1, Math.floor(k / H.side) * c + 1, c - 2, c - 2);
  });
}

function blank(canvas) {
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, canvas.width, canvas.height);
  for (const k of Object.keys(canvas.dataset)) delete canvas.dataset[k];
}

// A curve ys over xs on fixed axes: lo..hi up the side, 0..xmax along; dashed lines at marks.
function drawCurve(cv, xs, ys, o) {
  const ctx = cv.getContext("2d"), W = cv.width, Hh = cv.height, L = 52, R = 12, T = 22, B = 30;
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, W, Hh);
  ctx.strokeStyle = "#888"; ctx.lineWidth = 1; ctx.setLineDash([]);
  ctx.beginPath(); ctx.moveTo(L, T); ctx.lineTo(L, Hh - B); ctx.lineTo(W - R, Hh - B); ctx.stroke();
  ctx.fillStyle = "#5b6475"; ctx.font = "12px system-ui, sans-serif"; ctx.textAlign = "left";
  ctx.fillText(o.xlabel, W - R - ctx.measureText(o.xlabel).width, Hh - 4); ctx.fillText(o.ylabel, L + 6, 13);
  if (!ys.length) return;
  let lo = o.lo, hi = o.hi;
  if (hi - lo < 1e-9) { lo -= 1; hi += 1; }
  const xmax = Math.max(o.xmax, 1e-9);
  const x = (v) => L + (W - L - R) * v / xmax, y = (e) => T + (Hh - T - B) * (hi - e) / (hi - lo);
  ctx.textAlign = "right"; ctx.fillText(hi.toFixed(1), L - 5, y(hi) + 4); ctx.fillText(lo.toFixed(1), L - 5, y(lo) + 4);
  ctx.textAlign = "left"; ctx.fillText("0", L - 3, Hh - B + 15);
  ctx.textAlign = "right"; ctx.fillText(String(+xmax.toFixed(2)), x(xmax) + 4, Hh - B + 15);
  ctx.setLineDash([4, 4]); ctx.strokeStyle = "#b9c2d3";
  for (const m of o.marks || []) { ctx.beginPath(); ctx.moveTo(x(m), T); ctx.lineTo(x(m), Hh - B); ctx.stroke(); }
  ctx.setLineDash([]); ctx.strokeStyle = "#2f6fde"; ctx.lineWidth = 2; ctx.beginPath();
  ys.forEach((e, i) => (i ? ctx.lineTo(x(xs[i]), y(e)) : ctx.moveTo(x(xs[i]), y(e)))); ctx.stroke();
  if (o.dots) {
    ctx.fillStyle = "#2f6fde";
    ys.forEach((e, i) => { ctx.beginPath(); ctx.arc(x(xs[i]), y(e), 3, 0, 7); ctx.fill(); });
  }
}

// --- 1. store ---------------------------------------------------------------------------------

// Store what the controls ask for (`drawn`: these drawings instead of the ones in memory), then
// corrupt pattern `pick` (undefined: keep the probe while it is still of a stored pattern).
// True once the server's memory is shown; a refusal throws (its message is on the page).
async function store(pick, drawn) {
  const t = ++H.tok.store, body = settings(drawn);
  if (body.source === "drawn" && !body.patterns.length) {  // nothing to store: an empty memory
    H.drawn = []; showEmpty(); return true;
  }
  const data = await NZ.api("/api/hopfield/store", body);
  if (t !== H.tok.store) return false;  // a later memory was asked for meanwhile
  if (data.source === "drawn") H.drawn = data.patterns;
  const same = data.source === H.source;
  H.side = data.side; H.source = data.source; H.stored = data.patterns; H.labels = data.labels;
  H.fixed = data.fixed_points; H.nFixed = data.n_fixed; H.sizes = data.sizes;
  const keep = pick === undefined && same && H.probe !== null && H.chosen < H.stored.length;
  if (!keep) H.chosen = Math.min(pick || 0, H.stored.length - 1);
  const box = $("patterns"); box.innerHTML = ""; box.classList.toggle("drawn", data.source === "drawn");
  data.patterns.forEach((p, k) => {
    const div = document.createElement("div");
    div.className = "pattern" + (k === H.chosen ? " chosen" : "");
    const c = document.createElement("canvas"); c.width = c.height = 40;
    drawBits(c, p);
    const s = document.createElement("span"), fp = data.fixed_points[k];
    s.className = "fp " + (fp ? "yes" : "no"); s.textContent = fp ? "\u2713 fixed" : "\u2717 not fixed";
    div.append(c, document.createTextNode(label(k)), s);
    if (data.source === "drawn") {
      const rm = document.createElement("button");
      rm.className = "remove secondary"; rm.textContent = "remove"; rm.title = "remove it from memory";
      rm.addEventListener("click", (ev) => { ev.stopPropagation(); guard(() => removeDrawing(k))(); });
      div.append(rm);
    }
    div.addEventListener("click", guard(() => choose(k)));
    box.append(div);
  });
  capacityNote(data);
  drawSketch();
  await Promise.all([loadCapacity(), keep ? (drawProbe(), clearResults()) : corrupt()]);
  return true;
}

// "my drawings" with nothing in memory yet: no probe, nothing to recall.
function showEmpty() {
  H.tok.corrupt += 1; H.tok.capacity += 1;  // what is on its way is of the old memory
  H.source = "drawn"; H.stored = []; H.labels = null; H.fixed = []; H.nFixed = 0; H.chosen = 0;
  H.probe = null; H.capacity = null; H.capKey = null;
  $("patterns").innerHTML = "";
  const note = $("capacity-note");
  note.textContent = "No drawing in memory yet: draw one on the grid and press add to memory.";
  note.className = ""; note.dataset.stored = "0"; note.dataset.fixed = "0";
  blank($("probe")); $("probe-info").textContent = "";
  drawSketch(); drawCapacity(); clearResults();
  setStatus($("status"), "Store a pattern first.", "");
  $("recall").disabled = true;
}

function choose(k) {
  H.chosen = k;
  document.querySelectorAll("#patterns .pattern").forEach((d, i) => d.classList.toggle("chosen", i === k));
  return corrupt();
}

// The source changed: show its controls (the count of a source, or the drawing grid), store it.
function showSource() {
  const src = $("source").value, npat = $("npat");
  $("drawing").hidden = src !== "drawn"; $("npat-row").hidden = src === "drawn";
  if (src !== "drawn" && H.sizes) {  // the range input clamps its value to the new max
    npat.max = String(H.sizes[src]); $("npat-value").textContent = npat.value;
  }
  $("npat-noun").textContent = NOUNS[src] + "s";
}

// --- the drawing grid: the first cell toggles, the cells the pointer passes over take its new
// value (the path between two mouse events is walked in quarter-cell steps: a fast stroke has
// no gaps)

function drawSketch() {
  const cv = $("draw");
  NZ.drawCells(cv, H.sketch, H.side);
  cv.dataset.bits = JSON.stringify(H.sketch);
  const full = H.drawn.length >= (H.sizes ? H.sizes.drawn : 20);
  $("add").disabled = full || !H.sketch.some((b) => b);
  $("draw-info").textContent = full ? `The memory is full: ${H.drawn.length} drawings. Remove one to add another.`
    : `Drag on the grid to draw (starting on an inked cell erases), then add it to memory ` +
      `(${H.drawn.length} of ${H.sizes ? H.sizes.drawn : 20} stored).`;
}

// Add the drawing to memory (the server refuses a blank one, a copy, one too many, or one the
// pseudo-inverse cannot store): then corrupt it, and clear the grid for the next one.
async function addDrawing() {
  const n = H.drawn.length;
  if (await store(n, [...H.drawn, H.sketch.slice()])) { H.sketch.fill(0); drawSketch(); }
}

// Remove drawing k from memory: the probe stays, unless it was of that drawing.
function removeDrawing(k) {
  const pick = k === H.chosen ? 0 : undefined;
  if (k < H.chosen) H.chosen -= 1;  // the same drawing, one place earlier
  return store(pick, H.drawn.filter((_, i) => i !== k));
}

function capacityNote(data) {
  const n = data.patterns.length, k = data.n_fixed, rule = RULE_NAMES[data.rule] || data.rule;
  const el = $("capacity-note");
  el.dataset.fixed = String(k); el.dataset.stored = String(n);
  if (k === n) {
    el.textContent = `All ${n} stored ${noun(n)} ${n === 1 ? "is a fixed point" : "are fixed points"} of the ${rule} network.`;
    el.className = "fine";
  } else {
    el.textContent = (k === 0 ? `Capacity collapse: none of the ${n} stored ${noun(n)} is a fixed point`
      : `Over capacity: only ${k} of the ${n} stored ${noun(n)} are fixed points`) +
      ` of the ${rule} network. The others cannot be recalled; a probe ends in a spurious state or another memory.`;
    el.className = "collapse";
  }
}

// The capacity of the stored source (its first P patterns, P = 1, 2, ...): fetched once per source
// or set of drawings.
async function loadCapacity() {
  const body = storedSource(), key = JSON.stringify(body);
  if (key !== H.capKey) {
    const t = ++H.tok.capacity;
    const cap = await NZ.api("/api/hopfield/capacity", body);
    if (t !== H.tok.capacity) return;  // a later memory's capacity was asked for meanwhile
    H.capacity = cap; H.capKey = key;
  }
  drawCapacity();
}

// Fixed points among the first P stored patterns, for the three rules.
function drawCapacity() {
  const cv = $("capacity"), ctx = cv.getContext("2d"), W = cv.width, Hh = cv.height, L = 38, R = 8, T = 10, B = 22;
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, W, Hh);
  const cap = H.capacity;
  if (!cap) { $("capacity-tail").textContent = ""; delete cv.dataset.fixed; return; }
  cv.dataset.fixed = JSON.stringify(cap.fixed);
  const n = cap.n_patterns.length, y = (f) => T + (Hh - T - B) * (1 - f);
  const x = (p) => (n === 1 ? (L + W - R) / 2 : L + (W - L - R) * (p - 1) / (n - 1));
  ctx.strokeStyle = "#888"; ctx.lineWidth = 1;
  ctx.beginPath(); ctx.moveTo(L, T); ctx.lineTo(L, Hh - B); ctx.lineTo(W - R, Hh - B); ctx.stroke();
  ctx.fillStyle = "#5b6475"; ctx.font = "11px system-ui, sans-serif"; ctx.textAlign = "right";
  ctx.fillText("100%", L - 2, y(1) + 4); ctx.fillText("0", L - 2, y(0) + 4); ctx.textAlign = "center";
  for (const p of new Set([1, ...[5, 10, 15, 20].filter((p) => p < n), n])) ctx.fillText(String(p), x(p), Hh - B + 13);
  ctx.fillText("P stored", W - R - 24, Hh - 1);
  const now = H.source === "drawn" ? H.stored.length : Number($("npat").value), rule = $("rule").value;
  ctx.setLineDash([4, 4]); ctx.strokeStyle = "#5b6475";
  ctx.beginPath(); ctx.moveTo(x(now), T); ctx.lineTo(x(now), Hh - B); ctx.stroke(); ctx.setLineDash([]);
  for (const [r, counts] of Object.entries(cap.fixed)) {
    ctx.strokeStyle = RULE_COLOURS[r]; ctx.lineWidth = r === rule ? 3 : 1.5; ctx.beginPath();
    ctx.fillStyle = RULE_COLOURS[r];
    let on = false;
    counts.forEach((c, i) => {
      if (c === null) { on = false; return; }
      const px = x(i + 1), py = y(c / (i + 1));
      if (n === 1) ctx.fillRect(px - 3, py - 3, 6, 6);  // one point: no line to draw
      if (on) ctx.lineTo(px, py); else ctx.moveTo(px, py);
      on = true;
    });
    ctx.stroke();
  }
  // the first P at which the Hebbian rule loses one of the stored patterns
  const heb = cap.fixed.hebbian, lost = heb.findIndex((c, i) => c !== null && c < i + 1);
  const all = lost >= 0 && heb.slice(lost).every((c, i) => c < lost + i + 1);
  $("capacity-tail").textContent = lost < 0 ? `The Hebbian rule keeps every one of these ${n} ${noun(n)}.`
    : all ? `Correlated ${noun(2)} overwhelm the Hebbian rule from P = ${lost + 1} on.`
      : `The Hebbian rule first loses a stored ${noun()} at P = ${lost + 1}.`;
}

// --- 2. corrupt ---------------------------------------------------------------------------------

async function corrupt() {
  const t = ++H.tok.corrupt;
  if (!H.stored.length) return;  // an empty memory: nothing to corrupt
  H.seed += 1;
  const data = await NZ.api("/api/hopfield/corrupt", { ...storedSource(), index: H.chosen,
                            noise: Number($("noise").value) / 100, seed: H.seed });
  if (t !== H.tok.corrupt) return;  // a later corruption was asked for meanwhile
  H.probe = data.probe;
  drawProbe(); clearResults();
  $("recall").disabled = H.busy;
}

function drawProbe() {
  drawBits($("probe"), H.probe);
  const d = diff(H.probe, H.stored[H.chosen]);
  $("probe").dataset.diff = String(d);
  $("probe-info").textContent = `${d} of ${H.probe.length} bits differ from ${label(H.chosen)}.`;
}

function clickCell(ev) {
  if (!H.probe) return;
  const cv = $("probe"), r = cv.getBoundingClientRect(), c = r.width / H.side;
  const row = Math.floor((ev.clientY - r.top) / c), col = Math.floor((ev.clientX - r.left) / c);
  if (row < 0 || row >= H.side || col < 0 || col >= H.side) return;
  const k = row * H.side + col;
  H.probe[k] = 1 - H.probe[k];
  drawProbe(); clearResults();
}

// A new probe or memory: the recalls shown so far are of the old one.
function clearResults() {
  for (const k of ["discrete", "continuous", "modern"]) H.tok[k] += 1;
  H.recalled = false; H.final = false;
  H.shown = H.probe ? H.probe.slice() : null; H.energies = []; H.sweepEnds = []; H.range = null;
  const st = $("state");
  blank(st); blank($("energy"));
  if (H.shown) drawBits(st, H.shown);
  drawDiscreteEnergy();
  setStatus($("status"), "Press recall.", "");
  $("film").innerHTML = "";
  for (const id of ["cont-state", "cont-energy", "attention", "retrieved", "modern-state", "hebb-state"]) blank($(id));
  setStatus($("cont-status"), "", ""); setStatus($("modern-status"), "", "");
}

// --- 3. the discrete recall, streamed ---------------------------------------------------------

function drawDiscreteEnergy() {
  const E = H.energies, n = E.length - 1;
  // the axis grows by doubling while the flips arrive, and fits them exactly at the end
  const xmax = H.final ? Math.max(n, 1) : Math.max(8, 2 ** Math.ceil(Math.log2(Math.max(n, 1))));
  const [lo, hi] = H.range || [0, 0];
  drawCurve($("energy"), E.map((_, i) => i), E, { lo, hi, xmax, marks: H.sweepEnds, dots: true,
                                                   xlabel: "flips", ylabel: "energy E" });
}

async function discrete() {
  const t = H.tok.discrete, st = $("state"), en = $("energy"), t0 = performance.now(), arrivals = [];
  const body = { ...settings(), probe: H.probe, seed: 0, delay_ms: Number($("speed").value) };
  st.dataset.done = "0"; st.dataset.frames = "0";
  await NZ.stream("/api/hopfield/recall", body, (f) => {
    if (t !== H.tok.discrete) return;  // the probe changed: this stream is of the old one
    if (f.kind === "start") {
      H.shown = f.probe.slice(); H.energies = [f.energy]; H.range = f.energy_range; H.sweepEnds = [];
      drawBits(st, H.shown); drawDiscreteEnergy();
    } else if (f.kind === "flip") {
      H.shown[f.unit] = f.value; H.energies.push(f.energy);
      arrivals.push(Math.round(performance.now() - t0));
      drawBits(st, H.shown, f.unit); drawDiscreteEnergy();
      st.dataset.frames = String(f.flip); st.dataset.arrivals = JSON.stringify(arrivals);
      en.dataset.energies = JSON.stringify(H.energies);
      setStatus($("status"), `sweep ${f.sweep}, flip ${f.flip}: unit ${f.unit} \u2192 ${f.value}, ` +
                `E = ${f.energy.toFixed(2)}`, "");
    } else if (f.kind === "sweep") {
      H.sweepEnds.push(f.flips); drawDiscreteEnergy();
    } else if (f.kind === "end") {
      H.final = true; drawBits(st, H.shown); drawDiscreteEnergy();
      en.dataset.energies = JSON.stringify(H.energies);
      st.dataset.match = String(f.match); st.dataset.server = JSON.stringify(f.state);
      const e0 = f.start_energy.toFixed(2), e1 = f.energy.toFixed(2);
      const how = `${f.flips} flips in ${f.sweeps} sweep${f.sweeps === 1 ? "" : "s"}, E ${e0} \u2192 ${e1}` +
                  (f.converged ? "" : ", stopped before a fixed point");
      if (f.match !== null) setStatus($("status"), `recalled the stored ${which(f.match)}: ${how}`, "good");
      else if (f.reversed !== null) setStatus($("status"), `ended in the reversed state of ${label(f.reversed)} (every bit flipped, also a minimum): ${how}`, "bad");
      else setStatus($("status"), `ended in a spurious state, equal to no stored ${noun()}: ${how}`, "bad");
      st.dataset.done = "1";
    }
  });
}

// --- beside: the continuous and the modern network ---------------------------------------------

async function continuous() {
  const t = ++H.tok.continuous;
  const d = await NZ.api("/api/hopfield/continuous", { ...settings(), probe: H.probe, gain: Number($("gain").value) });
  if (t !== H.tok.continuous) return;
  const film = $("film"); film.innerHTML = "";
  for (const s of d.film) {
    const div = document.createElement("div"), c = document.createElement("canvas");
    div.className = "pattern"; c.width = c.height = 56; drawGrey(c, s.V);
    const cap = document.createElement("span"); cap.className = "fp"; cap.textContent = `t = ${+s.t.toFixed(2)}`;
    div.append(c, cap); film.append(div);
  }
  const cs = $("cont-state"); drawBits(cs, d.state); cs.dataset.match = String(d.match);
  const ce = $("cont-energy");
  drawCurve(ce, d.times, d.energies, { lo: Math.min(...d.energies), hi: Math.max(...d.energies),
                                       xmax: d.times[d.times.length - 1], xlabel: "time t", ylabel: "energy E(V)" });
  ce.dataset.energies = JSON.stringify(d.energies);
  const e0 = d.energies[0].toFixed(2), e1 = d.energies[d.energies.length - 1].toFixed(2);
  const how = `${d.steps} Euler steps of dt = ${d.dt} (t = ${+(d.steps * d.dt).toFixed(2)}), E ${e0} \u2192 ${e1}` +
              (d.converged ? "" : ", still moving");
  if (d.match !== null) setStatus($("cont-status"), `sign(V) is the stored ${label(d.match)}: ${how}`, "good");
  else setStatus($("cont-status"), `sign(V) is no stored ${noun()} (a spurious state): ${how}`, "bad");
}

function drawAttention(p) {
  const cv = $("attention"), ctx = cv.getContext("2d"), W = cv.width, Hh = cv.height, T = 16, B = 18;
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, W, Hh);
  const w = (W - 8) / p.length;
  ctx.font = "11px system-ui, sans-serif"; ctx.textAlign = "center";
  p.forEach((v, k) => {
    const h = (Hh - T - B) * v, x0 = 4 + k * w;
    ctx.fillStyle = k === H.chosen ? "#2f6fde" : "#9fb4dc";
    ctx.fillRect(x0 + 2, Hh - B - h, w - 4, h);
    ctx.fillStyle = "#5b6475";
    ctx.fillText(H.labels ? String(H.labels[k]) : String(k + 1), x0 + w / 2, Hh - 4);
    if (v >= 0.01) ctx.fillText(v.toFixed(2), x0 + w / 2, Hh - B - h - 3);
  });
  cv.dataset.attention = JSON.stringify(p);
}

async function modern() {
  const t = ++H.tok.modern;
  const d = await NZ.api("/api/hopfield/modern", { ...settings(), probe: H.probe, beta: beta(), seed: 0 });
  if (t !== H.tok.modern) return;
  drawAttention(d.attention);
  drawGrey($("retrieved"), d.retrieved);
  const ms = $("modern-state"), hs = $("hebb-state");
  drawBits(ms, d.state); ms.dataset.match = String(d.match);
  drawBits(hs, d.hebbian.state); hs.dataset.match = String(d.hebbian.match);
  const top = d.attention.indexOf(Math.max(...d.attention)), n = d.attention.length;
  const heb = d.hebbian.match !== null ? `recalls ${label(d.hebbian.match)} too`
    : `ends in a spurious state (${d.hebbian.n_fixed} of its ${n} stored ${noun(n)} ` +
      `${d.hebbian.n_fixed === 1 ? "is a fixed point" : "are fixed points"})`;
  const text = `\u03b2 = ${d.beta.toPrecision(3)}: weight ${d.attention[top].toFixed(2)} on ${label(top)}; ` +
    (d.match !== null ? `one step retrieves the stored ${label(d.match)}.` : `one step retrieves no stored ${noun()} (a mixture).`) +
    ` The Hebbian network with the same ${n} ${noun(n)} ${heb}.`;
  setStatus($("modern-status"), text, d.match !== null ? "good" : "bad");
}

async function recall() {
  if (H.busy || !H.probe) return;
  H.busy = true; $("recall").disabled = true;
  clearResults(); H.recalled = true;
  try { await Promise.all([discrete(), continuous(), modern()]); }
  finally { H.busy = false; $("recall").disabled = !H.probe; }
}

function wire() {
  $("npat").addEventListener("input", () => { $("npat-value").textContent = $("npat").value; });
  $("npat").addEventListener("change", guard(() => store()));
  $("rule").addEventListener("change", guard(() => store()));
  $("source").addEventListener("change", guard(() => { showSource(); return store(0); }));
  NZ.drawPad($("draw"), H.side, () => H.sketch, drawSketch);
  $("clear-draw").addEventListener("click", () => { H.sketch.fill(0); drawSketch(); });
  $("add").addEventListener("click", guard(addDrawing));
  $("noise").addEventListener("input", guard(() => { $("noise-value").textContent = $("noise").value + "%"; return corrupt(); }));
  $("corrupt").addEventListener("click", guard(corrupt));
  $("probe").addEventListener("click", clickCell);
  $("recall").addEventListener("click", guard(recall));
  $("gain").addEventListener("change", guard(() => (H.recalled ? continuous() : null)));
  $("beta").addEventListener("input", guard(() => {
    $("beta-value").textContent = beta().toPrecision(3);
    return H.recalled ? modern() : null;
  }));
}

wire();
$("beta-value").textContent = beta().toPrecision(3);
showSource();
// ?recall: recall the corrupted pattern as soon as the page is loaded
store(0).then(() => (new URLSearchParams(location.search).has("recall") ? recall() : null)).catch(refused);
