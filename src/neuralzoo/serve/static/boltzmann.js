// Boltzmann machine page: the server enumerates, samples, anneals and learns; this page draws.
"use strict";
const B = { m: null, learned: null, busy: false, pending: null, tv: [], sweeps: [], state: null,
            anneal: null, kl: [], epochs: [] };
const $ = (id) => document.getElementById(id);
const POS = [192, 57, 43], NEG = [47, 111, 222], INK = "#1d2330", ACCENT = "#2f6fde",
      EXACT = "#c3c9d4", GROUND = "#1f8a4c", NOW = "#f0a020";
const bits = (s) => s.join("");
const fmt = (x, d = 3) => (Math.abs(x) < 1e-3 && x !== 0 ? x.toExponential(1) : x.toFixed(d));

// The state number k has unit i as bit n-1-i (unit 1 first), as the server counts them.
const stateBits = (k, n) => [...Array(n)].map((_, i) => (k >> (n - 1 - i)) & 1);

// A number field's value (an empty field is null: the server says what it expected).
const num = (id) => ($(id).value.trim() === "" ? null : Number($(id).value));

// The machine of the controls, as the API takes it.
function machineSpec() {
  const T = num("T");
  if ($("source").value === "learned" && B.learned)
    return { W: B.learned.W, b: B.learned.b, n_visible: B.learned.n_visible, T };
  return { n: Number($("n").value), seed: num("seed"), T };
}

function fail(e) {
  if (e && e.status) $("message").dataset.status = String(e.status);
  else NZ.errors.push(String(e && e.message ? e.message : e));
}

// -- drawing -------------------------------------------------------------------------------------

function clear(cv) {
  const ctx = cv.getContext("2d");
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, cv.width, cv.height);
  return ctx;
}

// Units on a circle, weights as edges (red w > 0, blue w < 0, width and opacity by |w|), the
// state as filled (on) or empty (off) units; hidden units (index >= nVisible) dashed.
function drawGraph(cv, W, b, state, nVisible) {
  const ctx = clear(cv), n = W.length, cx = cv.width / 2, cy = cv.height / 2;
  const r = Math.max(9, Math.min(17, 110 / n)), R = Math.min(cx, cy) - r - 24;
  const angle = (i) => -Math.PI / 2 + 2 * Math.PI * i / n;
  const at = (i, rad = R) => [cx + rad * Math.cos(angle(i)), cy + rad * Math.sin(angle(i))];
  let wmax = 1e-9;
  W.forEach((row) => row.forEach((w) => { wmax = Math.max(wmax, Math.abs(w)); }));
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) {
    const w = W[i][j]; if (w === 0) continue;
    const t = Math.abs(w) / wmax, [x0, y0] = at(i), [x1, y1] = at(j);
    ctx.strokeStyle = `rgba(${(w > 0 ? POS : NEG).join(",")},${0.25 + 0.75 * t})`;
    ctx.lineWidth = 0.5 + 5 * t;
    ctx.beginPath(); ctx.moveTo(x0, y0); ctx.lineTo(x1, y1); ctx.stroke();
  }
  const unitFont = `${Math.round(r * 0.8)}px system-ui, sans-serif`;
  ctx.textAlign = "center"; ctx.textBaseline = "middle";
  for (let i = 0; i < n; i++) {
    const [x, y] = at(i), on = state && state[i] === 1, hidden = i >= nVisible;
    ctx.beginPath(); ctx.arc(x, y, r, 0, 2 * Math.PI);
    ctx.fillStyle = on ? INK : "#fff"; ctx.fill();
    ctx.setLineDash(hidden ? [3, 3] : []); ctx.lineWidth = 2; ctx.strokeStyle = INK;
    ctx.stroke(); ctx.setLineDash([]);
    ctx.font = unitFont; ctx.fillStyle = on ? "#fff" : INK;
    ctx.fillText(nVisible < n ? (hidden ? "h" + (i - nVisible + 1) : "v" + (i + 1)) : String(i + 1), x, y + 1);
    const [bx, by] = at(i, R + r + 9);  // the bias b_i outside the unit
    ctx.font = "10px system-ui, sans-serif"; ctx.fillStyle = b[i] >= 0 ? "#a33" : "#2456b0";
    ctx.fillText((b[i] >= 0 ? "+" : "") + b[i].toFixed(1), bx, by);
  }
}

// One bar per state: grey the reference distribution p, blue q (may be null), markers under
// the ground state and the current one.
function drawBars(cv, p, q, marks) {
  const ctx = clear(cv), K = p.length, n = Math.round(Math.log2(K));
  const left = 36, top = 8, labels = (cv.width - left - 6) / K >= 9, bottom = labels ? 12 + 8 * n : 16;
  const w = cv.width - left - 6, h = cv.height - top - bottom, bw = w / K;
  const ymax = Math.max(...p, ...(q || [0])) * 1.08 || 1;
  const y = (v) => top + h * (1 - v / ymax);
  ctx.strokeStyle = "#e6e9ef"; ctx.fillStyle = "#5b6475"; ctx.font = "10px system-ui, sans-serif";
  ctx.textAlign = "right"; ctx.textBaseline = "middle";
  for (const v of [0, ymax / 2.16, ymax / 1.08]) {
    ctx.beginPath(); ctx.moveTo(left, y(v)); ctx.lineTo(left + w, y(v)); ctx.stroke();
    ctx.fillText(v.toFixed(2), left - 4, y(v));
  }
  for (let k = 0; k < K; k++) {
    const x = left + k * bw;
    ctx.fillStyle = EXACT;
    if (bw >= 3) ctx.fillRect(x + bw * 0.08, y(p[k]), bw * 0.84, y(0) - y(p[k]));
    else ctx.fillRect(x, y(p[k]), Math.max(bw, 0.6), y(0) - y(p[k]));
    if (q) {
      ctx.fillStyle = ACCENT;
      if (bw >= 3) ctx.fillRect(x + bw * 0.3, y(q[k]), bw * 0.4, y(0) - y(q[k]));
      else if (q[k] > 0) ctx.fillRect(x + bw / 2 - 1, y(q[k]) - 1, 2, 2);
    }
  }
  const tri = (k, color, dy) => {
    const x = left + (k + 0.5) * bw, y0 = top + h + 2 + dy;
    ctx.fillStyle = color; ctx.beginPath();
    ctx.moveTo(x, y0); ctx.lineTo(x - 4, y0 + 6); ctx.lineTo(x + 4, y0 + 6); ctx.fill();
  };
  if (marks && marks.ground !== undefined) tri(marks.ground, GROUND, 0);
  if (marks && marks.now !== undefined && marks.now !== null) tri(marks.now, NOW, labels ? 0 : 7);
  if (labels) {  // the state α in bits, unit 1 first, written downwards under its bar
    ctx.font = "8px ui-monospace, Menlo, Consolas, monospace"; ctx.fillStyle = "#5b6475";
    ctx.textAlign = "center"; ctx.textBaseline = "top";
    for (let k = 0; k < K; k++) {
      stateBits(k, n).forEach((bit, i) => ctx.fillText(String(bit), left + (k + 0.5) * bw, top + h + 10 + i * 8));
    }
  }
}

// Lines over the same x: each {y, color, log, dash} on its own scale (or `range`); the first
// line's scale is written on the left, the second's on the right; `hline`: a dashed level of
// the first line's scale.
function drawLines(cv, xs, lines, opts = {}) {
  const ctx = clear(cv), left = 40, right = lines.length > 1 ? 40 : 8, top = 8, bottom = 16;
  const w = cv.width - left - right, h = cv.height - top - bottom;
  const xmax = opts.xmax || Math.max(1, ...xs), X = (x) => left + w * x / xmax;
  ctx.strokeStyle = "#c9ced8"; ctx.lineWidth = 1; ctx.strokeRect(left, top, w, h);
  ctx.font = "10px system-ui, sans-serif"; ctx.fillStyle = "#5b6475";
  ctx.textBaseline = "top"; ctx.textAlign = "right"; ctx.fillText(String(xmax), left + w, top + h + 3);
  ctx.textAlign = "left"; ctx.fillText("0", left, top + h + 3);
  lines.forEach((line, li) => {
    const f = line.log ? Math.log : (v) => v;
    const ys = line.y.map(f);
    let [lo, hi] = line.range ? line.range.map(f) : [Math.min(...ys), Math.max(...ys)];
    if (opts.hline !== undefined && li === 0) { lo = Math.min(lo, opts.hline); hi = Math.max(hi, opts.hline); }
    if (!(hi > lo)) { hi = lo + 1; }
    const pad = (hi - lo) * 0.06; lo -= pad; hi += pad;
    const Y = (v) => top + h * (1 - (v - lo) / (hi - lo));
    ctx.strokeStyle = line.color; ctx.lineWidth = 1.8; ctx.beginPath();
    ys.forEach((v, k) => (k ? ctx.lineTo(X(xs[k]), Y(v)) : ctx.moveTo(X(xs[k]), Y(v))));
    ctx.stroke();
    ctx.fillStyle = line.color; ctx.textBaseline = "middle"; ctx.textAlign = li ? "left" : "right";
    const show = (v) => (line.log ? fmt(Math.exp(v), 2) : v.toFixed(2));
    const xl = li ? left + w + 4 : left - 4;
    ctx.fillText(show(hi - pad), xl, Y(hi - pad)); ctx.fillText(show(lo + pad), xl, Y(lo + pad));
    if (opts.hline !== undefined && li === 0) {
      ctx.strokeStyle = GROUND; ctx.setLineDash([4, 3]); ctx.lineWidth = 1.2; ctx.beginPath();
      ctx.moveTo(left, Y(opts.hline)); ctx.lineTo(left + w, Y(opts.hline)); ctx.stroke(); ctx.setLineDash([]);
    }
  });
}

// A matrix of values in [0, 1] as shades of blue, one cell per entry.
function drawMatrix(cv, M) {
  const ctx = clear(cv), n = M.length, c = cv.width / n;
  M.forEach((row, i) => row.forEach((v, j) => {
    const t = Math.max(0, Math.min(1, v));
    ctx.fillStyle = `rgb(${Math.round(255 - t * 208)},${Math.round(255 - t * 144)},${Math.round(255 - t * 33)})`;
    ctx.fillRect(j * c, i * c, c - 1, c - 1);
  }));
}

// -- the machine and its exact distribution ----------------------------------------------------

function showMachine(m) {
  drawGraph($("graph"), m.W, m.b, B.state, m.n_visible);
  drawBars($("bars"), m.p, null, { ground: m.ground.index });
  $("bars").dataset.exact = JSON.stringify(m.p);
  $("bars").dataset.t = String(m.T);
  delete $("bars").dataset.freq;
  const what = m.seed === null ? `the learned machine (${m.n_visible} visible + ${m.n - m.n_visible} hidden units)`
                               : `${m.n} units, weight seed ${m.seed}`;
  $("state-line").textContent = `${what}; ground state ${bits(m.ground.state)}: ` +
    `E = ${m.ground.energy.toFixed(3)}, P = ${m.ground.p.toFixed(3)} at T = ${m.T}; log Z = ${m.log_z.toFixed(3)}`;
  $("status").textContent = `${m.states} states enumerated; press run to sample them.`;
  B.tv = []; B.sweeps = [];
  drawLines($("tv-curve"), [0], [{ y: [0], color: ACCENT }], { xmax: Number($("steps").value) });
}

// Ask for the machine of the controls (one request at a time; the last asked wins).
async function refresh() {
  const body = JSON.stringify(machineSpec());
  if (B.m && B.m.body === body) return B.m;
  B.pending = body;
  const m = await NZ.api("/api/boltzmann/machine", body);
  m.body = body;
  if (B.pending !== body) return m;  // a newer request is on its way
  if (!B.m || B.m.n !== m.n || B.m.seed !== m.seed) B.state = null;
  B.m = m; showMachine(m);
  return m;
}

function setBusy(on) {
  B.busy = on;
  for (const id of ["run", "anneal", "learn", "source", "n", "seed", "T", "T-slider"]) $(id).disabled = on;
  if (!on) syncSource();
}

function syncSource() {
  const learned = $("source").value === "learned";
  $("n").disabled = learned; $("seed").disabled = learned;
}

// -- the Gibbs run -----------------------------------------------------------------------------

async function run() {
  if (B.busy) return;
  setBusy(true);
  $("status").dataset.phase = "running";
  try {
    const m = await refresh();
    const body = { ...machineSpec(), steps: Number($("steps").value), chain_seed: num("chain-seed") };
    B.tv = []; B.sweeps = [];
    const steps = body.steps;
    await NZ.stream("/api/boltzmann/gibbs", body, async (f) => {
      B.state = f.state; B.tv.push(f.tv); B.sweeps.push(f.sweep);
      drawGraph($("graph"), m.W, m.b, f.state, m.n_visible);
      drawBars($("bars"), m.p, f.freq, { ground: m.ground.index, now: f.index });
      drawLines($("tv-curve"), [0, ...B.sweeps], [{ y: [B.tv[0], ...B.tv], color: ACCENT }], { xmax: steps });
      $("bars").dataset.freq = JSON.stringify(f.freq);
      $("bars").dataset.sweep = String(f.sweep);
      $("tv-curve").dataset.tv = JSON.stringify(B.tv);
      $("graph").dataset.state = JSON.stringify(f.state);
      $("state-line").textContent = `state α = ${bits(f.state)}, E = ${f.energy.toFixed(3)}, ` +
        `P(α) = ${fmt(m.p[f.index])}, f(α) = ${fmt(f.freq[f.index])}`;
      $("status").textContent = `sweep ${f.sweep} of ${f.steps} at T = ${f.T}: TV = ${f.tv.toFixed(4)}`;
      await NZ.sleep(12);
    });
    $("status").dataset.phase = "done";
    $("status").textContent += ` (done; chain seed ${body.chain_seed})`;
  } catch (e) { $("status").dataset.phase = "failed"; fail(e); }
  finally { setBusy(false); }
}

// -- simulated annealing -------------------------------------------------------------------------

async function anneal() {
  if (B.busy) return;
  setBusy(true);
  const st = $("anneal-status");
  st.dataset.phase = "running"; delete st.dataset.finalEnergy;
  try {
    const m = await refresh();
    const body = { ...machineSpec(), T_start: num("T-start"), T_end: num("T-end"),
                   sweeps: Number($("anneal-sweeps").value), chain_seed: num("chain-seed") };
    const a = B.anneal = { x: [], E: [], T: [] };
    const pause = Math.max(1, Math.ceil(body.sweeps / 150));
    await NZ.stream("/api/boltzmann/anneal", body, async (f, k) => {
      a.x.push(f.sweep); a.E.push(f.energy); a.T.push(f.T); B.state = f.state;
      drawGraph($("graph"), m.W, m.b, f.state, m.n_visible);
      drawLines($("anneal-curve"), a.x, [{ y: a.E, color: ACCENT }, { y: a.T, color: NOW, log: true,
        range: [body.T_end, body.T_start] }], { xmax: f.sweeps, hline: m.ground.energy });
      st.textContent = `sweep ${f.sweep} of ${f.sweeps}: T = ${fmt(f.T)}, state ${bits(f.state)}, ` +
        `E = ${f.energy.toFixed(3)}`;
      if (f.ground) {
        st.dataset.finalEnergy = String(f.energy); st.dataset.groundEnergy = String(f.ground.energy);
        st.dataset.final = bits(f.state);
        st.textContent = `Cooled from T = ${body.T_start} to ${body.T_end} in ${f.sweeps} sweeps: ` +
          `ended in ${bits(f.state)}, E = ${f.energy.toFixed(3)}; ` +
          `the ground state (enumeration) is ${bits(f.ground.state)}, ` +
          `E = ${f.ground.energy.toFixed(3)}: ${f.at_ground ? "reached" : "not reached (a local minimum)"}.`;
      }
      if (k % pause === 0) await NZ.sleep(10);
    });
    $("anneal-curve").dataset.energies = JSON.stringify(a.E);
    $("anneal-curve").dataset.temps = JSON.stringify(a.T);
    st.dataset.phase = "done";
  } catch (e) { st.dataset.phase = "failed"; fail(e); }
  finally { setBusy(false); }
}

// -- learning ------------------------------------------------------------------------------------

function showLearnFrame(L, f) {
  drawBars($("learn-bars"), L.p_data, f.p_model, {});
  $("learn-bars").dataset.pData = JSON.stringify(L.p_data);
  $("learn-bars").dataset.pModel = JSON.stringify(f.p_model);
  drawGraph($("learn-graph"), f.W, f.b, null, L.n_visible);
  drawLines($("kl-curve"), B.epochs, [{ y: B.kl, color: ACCENT }], { xmax: f.epochs });
  $("kl-curve").dataset.kl = JSON.stringify(B.kl);
  const D = L.n_visible, rows = L.rows.map((r) => parseInt(r.join(""), 2));
  const others = f.p_model.map((p, k) => [p, k]).filter(([, k]) => !rows.includes(k)).sort((a, b) => b[0] - a[0]);
  const table = $("learn-table");
  table.innerHTML = "<tr><th>v</th><th>P<sup>+</sup>(v)</th><th>P<sup>&minus;</sup>(v)</th></tr>";
  const row = (k) => {
    const tr = table.insertRow();
    for (const t of [bits(stateBits(k, D)), fmt(L.p_data[k]), fmt(f.p_model[k])]) tr.insertCell().textContent = t;
  };
  rows.forEach(row);
  if (others.length) row(others[0][1]);  // the most probable state outside the data
  const mass = rows.reduce((s, k) => s + f.p_model[k], 0);
  $("learn-status").textContent = `epoch ${f.epoch} of ${f.epochs}: KL = ${f.kl.toFixed(4)} nats, ` +
    `TV = ${f.tv.toFixed(4)}; the data's ${rows.length} patterns hold ${(100 * mass).toFixed(1)}% of P⁻(v)`;
}

async function learn() {
  if (B.busy) return;
  setBusy(true);
  const st = $("learn-status");
  st.dataset.phase = "running";
  try {
    const body = { data: $("data").value, method: $("method").value, optimizer: $("optimizer").value,
                   lr: num("lr"), epochs: num("epochs"), seed: num("learn-seed") };
    let L = null;
    B.kl = []; B.epochs = [];
    await NZ.stream("/api/boltzmann/learn", body, async (f) => {
      if (f.epoch === 0) L = f;
      B.kl.push(f.kl); B.epochs.push(f.epoch);
      showLearnFrame(L, f);
      if (f.done) {
        drawMatrix($("stats-plus"), f.stats_plus); drawMatrix($("stats-minus"), f.stats_minus);
        B.learned = { W: f.W, b: f.b, n_visible: L.n_visible };
        $("source").options[1].disabled = false;
        st.textContent += `. Learned: choose "the learned machine" in 1. to run it.`;
      }
      await NZ.sleep(15);
    });
    st.dataset.phase = "done";
  } catch (e) { st.dataset.phase = "failed"; fail(e); }
  finally { setBusy(false); }
}

// -- wiring --------------------------------------------------------------------------------------

function learnDefaults(datasets) {
  const d = datasets[$("data").value].defaults;
  $("optimizer").value = d.optimizer; $("lr").value = d.lr;
  $("epochs").value = d.epochs; $("learn-seed").value = d.seed;
}

function wire(info) {
  for (let n = 2; n <= info.max_units; n++) $("n").append(new Option(String(n), String(n), false, n === 5));
  const again = () => refresh().catch(fail);
  $("source").addEventListener("change", () => { syncSource(); B.state = null; again(); });
  $("n").addEventListener("change", again);
  $("seed").addEventListener("change", again);
  $("T-slider").addEventListener("input", () => { $("T").value = $("T-slider").value; again(); });
  $("T").addEventListener("input", () => {
    const T = Number($("T").value), sl = $("T-slider");
    if ($("T").value.trim() !== "" && T >= Number(sl.min) && T <= Number(sl.max)) sl.value = T;
    again();
  });
  $("steps").addEventListener("change", () => { if (B.m && !B.tv.length) showMachine(B.m); });
  $("run").addEventListener("click", () => run());
  $("anneal").addEventListener("click", () => anneal());
  $("learn").addEventListener("click", () => learn());
  $("data").addEventListener("change", () => learnDefaults(info.datasets));
  learnDefaults(info.datasets);
}

NZ.api("/api/boltzmann/datasets").then((info) => { wire(info); return refresh(); })
  .then(() => { document.body.dataset.ready = "1"; })
  .catch(fail);
