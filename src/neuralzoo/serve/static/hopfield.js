// Hopfield page: the server stores and recalls; this page draws the probe, the flips and E.
"use strict";
const H = { side: 8, stored: [], labels: [], chosen: 0, probe: null, shown: null,
            energies: [], sweepStarts: [], run: null, busy: false };
const $ = (id) => document.getElementById(id);

function settings() {
  return { rule: $("rule").value, n_patterns: Number($("npat").value) };
}

async function store() {
  const data = await NZ.api("/api/hopfield/store", settings());
  H.side = data.side; H.stored = data.patterns; H.labels = data.labels;
  if (H.chosen >= H.stored.length) H.chosen = 0;
  const box = $("patterns"); box.innerHTML = "";
  data.patterns.forEach((p, k) => {
    const div = document.createElement("div");
    div.className = "pattern" + (k === H.chosen ? " chosen" : "");
    const c = document.createElement("canvas"); c.width = c.height = 40;
    NZ.drawCells(c, p, H.side);
    const fp = data.fixed_points[k];
    div.append(c, document.createTextNode("digit " + data.labels[k]));
    const s = document.createElement("span");
    s.className = "fp " + (fp ? "yes" : "no"); s.textContent = fp ? "\u2713 fixed" : "\u2717 not fixed";
    div.append(s);
    div.addEventListener("click", () => { H.chosen = k; store().then(corrupt); });
    box.append(div);
  });
}

async function corrupt() {
  const noise = Number($("noise").value) / 100;
  H.seed = (H.seed || 0) + 1;
  const data = await NZ.api("/api/hopfield/corrupt", { index: H.chosen, noise, seed: H.seed });
  H.probe = data.probe; drawProbe();
  H.energies = []; H.shown = H.probe.slice();
  NZ.drawCells($("state"), H.shown, H.side); drawEnergy(); setStatus("", "");
}

function drawProbe() { NZ.drawCells($("probe"), H.probe, H.side); }

function setStatus(text, cls) { const s = $("status"); s.textContent = text; s.className = cls; }

// The energy after every flip so far; dashed lines where a sweep begins.
function drawEnergy(total) {
  const cv = $("energy"), ctx = cv.getContext("2d"), W = cv.width, Hh = cv.height;
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, W, Hh);
  const L = 52, R = 12, T = 22, B = 30;
  ctx.strokeStyle = "#888"; ctx.lineWidth = 1;
  ctx.beginPath(); ctx.moveTo(L, T); ctx.lineTo(L, Hh - B); ctx.lineTo(W - R, Hh - B); ctx.stroke();
  ctx.fillStyle = "#5b6475"; ctx.font = "12px system-ui, sans-serif";
  ctx.fillText("flips", W - R - 30, Hh - 6); ctx.fillText("energy E", L + 6, 12);
  const E = H.energies; if (!E.length) return;
  const all = H.run ? H.run.all : E, n = Math.max(total || all.length - 1, 1);
  let lo = Math.min(...all), hi = Math.max(...all);
  if (hi - lo < 1e-9) { lo -= 1; hi += 1; }
  const x = (i) => L + (W - L - R) * i / n, y = (e) => T + (Hh - T - B) * (hi - e) / (hi - lo);
  ctx.textAlign = "right"; ctx.fillText(hi.toFixed(1), L - 5, y(hi) + 4);
  ctx.fillText(lo.toFixed(1), L - 5, y(lo) + 4); ctx.textAlign = "left";
  ctx.fillText("0", L - 3, Hh - B + 15); ctx.fillText(String(n), x(n) - 8, Hh - B + 15);
  ctx.setLineDash([4, 4]); ctx.strokeStyle = "#b9c2d3";
  for (const s of H.sweepStarts) { ctx.beginPath(); ctx.moveTo(x(s), T); ctx.lineTo(x(s), Hh - B); ctx.stroke(); }
  ctx.setLineDash([]); ctx.strokeStyle = "#2f6fde"; ctx.lineWidth = 2; ctx.beginPath();
  E.forEach((e, i) => (i ? ctx.lineTo(x(i), y(e)) : ctx.moveTo(x(i), y(e)))); ctx.stroke();
  ctx.fillStyle = "#2f6fde";
  E.forEach((e, i) => { ctx.beginPath(); ctx.arc(x(i), y(e), 3, 0, 7); ctx.fill(); });
}

// Ask for the recall, then show it one flip at a time beside the energy curve.
async function recall() {
  if (H.busy) return;
  H.busy = true; $("recall").disabled = true;
  try {
    const data = await NZ.api("/api/hopfield/recall", { ...settings(), probe: H.probe, seed: 0 });
    const delay = NZ.selftest ? 1 : Number($("speed").value);
    H.run = { all: [data.start_energy, ...data.steps.map((s) => s.energy)] };
    H.shown = data.probe.slice(); H.energies = [data.start_energy]; H.sweepStarts = [];
    NZ.drawCells($("state"), H.shown, H.side); drawEnergy(data.steps.length);
    let sweep = 0;
    for (const [k, st] of data.steps.entries()) {
      if (st.sweep !== sweep) { sweep = st.sweep; if (k) H.sweepStarts.push(k); }
      await NZ.sleep(delay);
      H.shown[st.unit] = st.value; H.energies.push(st.energy);
      NZ.drawCells($("state"), H.shown, H.side, st.unit); drawEnergy(data.steps.length);
      setStatus(`sweep ${st.sweep}, flip ${k + 1} of ${data.steps.length}: unit ${st.unit} -> ` +
                `${st.value}, E = ${st.energy.toFixed(2)}`, "");
    }
    NZ.drawCells($("state"), H.shown, H.side);
    const e0 = data.start_energy.toFixed(2), e1 = H.energies[H.energies.length - 1].toFixed(2);
    const how = `${data.steps.length} flips in ${data.sweeps} sweep${data.sweeps === 1 ? "" : "s"}, E ${e0} \u2192 ${e1}`;
    if (data.match !== null) setStatus(`recalled the stored digit ${H.labels[data.match]} (pattern ${data.match + 1}): ${how}`, "good");
    else setStatus(`ended in a spurious state, equal to no stored digit: ${how}`, "bad");
    H.last = data;
  } finally { H.busy = false; $("recall").disabled = false; }
}

function clickCell(ev) {
  const cv = $("probe"), r = cv.getBoundingClientRect(), c = r.width / H.side;
  const k = Math.floor((ev.clientY - r.top) / c) * H.side + Math.floor((ev.clientX - r.left) / c);
  if (k >= 0 && k < H.probe.length) { H.probe[k] = 1 - H.probe[k]; drawProbe(); }
}

function wire() {
  $("npat").addEventListener("input", () => { $("npat-value").textContent = $("npat").value; });
  $("npat").addEventListener("change", () => store().catch(() => {}));
  $("rule").addEventListener("change", () => store().catch(() => {}));
  $("noise").addEventListener("input", () => { $("noise-value").textContent = $("noise").value + "%"; });
  $("noise").addEventListener("change", () => corrupt().catch(() => {}));
  $("corrupt").addEventListener("click", () => corrupt().catch(() => {}));
  $("probe").addEventListener("click", clickCell);
  $("recall").addEventListener("click", () => recall().catch(() => {}));
}

const nonIncreasing = (E) => E.every((e, i) => i === 0 || e <= E[i - 1] + 1e-9);
const equal = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);

// ?selftest: corrupt a stored digit, click a cell, recall; then the Hebbian rule's collapse.
async function selftest() {
  const out = {};
  $("rule").value = "pseudo-inverse"; $("npat").value = "3"; await store();
  $("noise").value = "15"; await corrupt();
  const before = H.probe.slice();
  const r = $("probe").getBoundingClientRect(), c = r.width / H.side;  // click cell (row 0, col 0)
  $("probe").dispatchEvent(new MouseEvent("click", { clientX: r.left + c / 2, clientY: r.top + c / 2 }));
  out.click_flipped_cell0 = H.probe[0] === 1 - before[0] && equal(H.probe.slice(1), before.slice(1));
  out.probe_differs = !equal(H.probe, H.stored[0]);
  await recall();
  out.flips_shown = H.energies.length - 1;
  out.recalled_equals_stored = equal(H.shown, H.stored[0]);
  out.shown_equals_server = equal(H.shown, H.last.state);
  out.energies_nonincreasing = nonIncreasing(H.energies);
  out.energy_fell = H.energies[H.energies.length - 1] < H.energies[0];
  out.status = $("status").textContent;
  $("rule").value = "hebbian"; $("npat").value = "10"; await store();
  out.hebbian_fixed = document.querySelectorAll(".fp.yes").length;
  H.chosen = 0; await corrupt(); await recall();
  out.hebbian_match = H.last.match;
  out.hebbian_energies_nonincreasing = nonIncreasing(H.energies);
  out.hebbian_status = $("status").textContent;
  $("npat").value = "20"; $("npat").max = "500"; $("npat").value = "500";  // bypass the slider's limit
  try { await store(); out.huge_refused = false; } catch (e) { out.huge_refused = e.status; }
  out.message = $("message").textContent;
  return out;
}

wire();
// ?recall: recall the corrupted digit as soon as the page is loaded
const autoRecall = () => (new URLSearchParams(location.search).has("recall") && !NZ.selftest ? recall() : null);
store().then(corrupt).then(autoRecall).then(() => NZ.runSelftest(selftest)).catch((e) => NZ.errors.push(e.message));
