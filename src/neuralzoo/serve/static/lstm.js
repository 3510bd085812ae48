// LSTM page: the server holds a character LSTM and an Elman RNN; the page streams text sampled
// from the LSTM, draws per character the gates f, i, o and the memory s of every cell as heat
// maps, and plots how the last step's error reaches back through each network (log scale).
// A run folder's character model (neuralzoo serve --runs DIR) may stand in for either.
"use strict";
const L = { info: null, gates: null, grads: null, busy: false, run: "", runs: {} };
const $ = (id) => document.getElementById(id);
// The request body, with the chosen run when it serves that endpoint (else the shipped model).
const serves = (what) => !L.run || L.runs[L.run].serves.includes(what);
const withRun = (body, what) => (L.run && serves(what) ? { ...body, run: L.run } : body);
const RH = 3, LABEL = 16, WIDTH = 520;  // px per cell row, of the character strip, of a map at most
const BLUE = [31, 95, 222], RED = [192, 57, 43];
const SVGNS = "http://www.w3.org/2000/svg";

// A gate value in [0, 1]: white -> blue; a memory value a = s / smax, clipped to [-1, 1]: red - white - blue.
function mix(c, v) { return c.map((x) => Math.round(255 + v * (x - 255))); }
function gateColour(v) { return mix(BLUE, Math.min(1, Math.max(0, v))); }
function memColour(s, smax) {
  const a = smax > 0 ? Math.max(-1, Math.min(1, s / smax)) : 0;
  return a < 0 ? mix(RED, -a) : mix(BLUE, a);
}
function colourOf(key, v) { return key === "s" ? memColour(v, L.smax) : gateColour(v); }

function cellWidth(T) { return Math.max(5, Math.min(24, Math.floor(WIDTH / T))); }

// One heat map: column t = character t of the text, row u = cell u; the characters under it.
// The values drawn are kept in data-values (JSON, T x H) for whoever reads the page.
function drawMap(key) {
  const d = L.gates, T = d.chars.length, H = d.hidden, cw = cellWidth(T), cv = $("map-" + key);
  cv.width = T * cw; cv.height = H * RH + LABEL;
  const ctx = cv.getContext("2d");
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, cv.width, cv.height);
  for (let t = 0; t < T; t++) {
    for (let u = 0; u < H; u++) {
      const [r, g, b] = colourOf(key, d[key][t][u]);
      ctx.fillStyle = `rgb(${r},${g},${b})`; ctx.fillRect(t * cw, u * RH, cw, RH);
    }
    ctx.fillStyle = "#1d2330"; ctx.font = "11px ui-monospace, Menlo, Consolas, monospace";
    ctx.textAlign = "center";
    const ch = d.chars[t] === " " ? "\u2423" : d.chars[t] === "\n" ? "\u21b5" : d.chars[t];
    ctx.fillText(ch, t * cw + cw / 2, H * RH + 12);
  }
  Object.assign(cv.dataset, { columns: String(T), rows: String(H), cellWidth: String(cw),
                              values: JSON.stringify(d[key]) });
}

// An Elman run has no gates: the maps give way to a line saying so.
function noGates() {
  $("maps").hidden = true; $("maps-legend").hidden = true; $("show").disabled = true;
  $("no-gates").hidden = false; $("maps-card").dataset.text = "";
  $("no-gates").textContent = `The gates are an LSTM's: run ${L.run} is an Elman RNN ` +
    "(h\u209c = tanh(b + W h\u209c\u208b\u2081 + U x\u209c)), which has none. Choose an LSTM run or the shipped model.";
}

async function showGates(text) {
  if (!serves("gates")) { noGates(); return null; }
  const d = await NZ.api("/api/lstm/gates", withRun({ text }, "gates"));
  L.gates = d;
  $("maps").hidden = false; $("maps-legend").hidden = false; $("no-gates").hidden = true;
  $("show").disabled = false;
  $("gates-layer").textContent = d.layers > 1 ? ` (its first layer of ${d.layers}, the one that reads the characters; ${d.source})`
    : ` (${d.source})`;
  // the colour scale of the memory: the 95th percentile of |s| (a few integrating cells grow
  // far larger than the rest; beyond it the colour is full)
  const mags = d.s.flat().map(Math.abs).sort((a, b) => a - b);
  L.smax = mags[Math.floor(0.95 * (mags.length - 1))];
  for (const k of ["f", "i", "o", "s"]) drawMap(k);
  $("s-range").textContent = `(colour scale \u00b1${L.smax.toFixed(2)}, largest |s| ${mags[mags.length - 1].toFixed(1)})`;
  $("analysed").textContent = JSON.stringify(d.text);
  $("maps-card").dataset.text = d.text;
  return d;
}

// Sample: the text grows on the page frame by frame as the server draws each character.
async function sample() {
  if (L.busy) return;
  const body = { prompt: $("prompt").value, n: Number($("n").value),
    temperature: Number($("temperature").value), seed: Number($("seed").value) };
  const out = $("sampled");
  L.busy = true; $("sample").disabled = true; $("run").disabled = true; out.dataset.done = "0";
  let rest = null, text = "", source = "";
  try {
    await NZ.stream("/api/lstm/sample", withRun(body, "sample"), (fr) => {
      if (fr.prompt !== undefined) {
        const b = document.createElement("b"); b.textContent = fr.prompt;
        rest = document.createTextNode(""); out.replaceChildren(b, rest);
        source = fr.source; out.dataset.source = source;
        $("status").textContent = `drawing ${fr.n} characters at temperature ${fr.temperature} from seed ${fr.seed}\u2026`;
      } else if (fr.chars !== undefined) {
        rest.appendData(fr.chars);
      } else if (fr.done) {
        text = fr.text;
        $("status").textContent = `${fr.text.length - body.prompt.length} characters at temperature ` +
          `${body.temperature} from seed ${body.seed} (${source})`;
      }
    });
    out.dataset.done = "1";
    await showGates(text.slice(0, L.info.max_gates));
  } finally {
    L.busy = false; $("sample").disabled = false; $("run").disabled = false;
  }
}

// The value under the pointer, named.
function hover(key, ev) {
  if (!L.gates) return;
  const r = $("map-" + key).getBoundingClientRect(), cw = cellWidth(L.gates.chars.length);
  const t = Math.floor((ev.clientX - r.left) / cw), u = Math.floor((ev.clientY - r.top) / RH);
  if (t < 0 || t >= L.gates.chars.length || u < 0 || u >= L.gates.hidden) return;
  $("hover").textContent = `character ${t + 1} ${JSON.stringify(L.gates.chars[t])}, cell ${u}: ` +
    ["f", "i", "o", "s"].map((k) => `${k} = ${L.gates[k][t][u].toFixed(3)}`).join(", ");
}

// -- the gradient plot: log10 of each curve against the distance T - t -------------------------
const CURVES = [["rnn_h", "RNN \u2016\u2202L_T/\u2202h_t\u2016"], ["lstm_s", "LSTM \u2016\u2202L_T/\u2202s_t\u2016 (memory)"],
                ["lstm_h", "LSTM \u2016\u2202L_T/\u2202h_t\u2016"]];
const PLOT = { w: 640, h: 330, left: 64, right: 16, top: 14, bottom: 78 };

function el(name, attrs, text) {
  const e = document.createElementNS(SVGNS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function drawGradients(d) {
  const svg = $("grad-plot"), P = PLOT, T = d.T;
  const pw = P.w - P.left - P.right, ph = P.h - P.top - P.bottom;
  const lg = (v) => Math.log10(Math.max(v, 1e-300));
  const logs = CURVES.flatMap(([k]) => d.curves[k].map(lg));
  const lo = Math.floor(Math.min(...logs)), hi = Math.ceil(Math.max(...logs));
  const X = (dist) => P.left + (T > 1 ? dist / (T - 1) : 0) * pw;
  const Y = (v) => P.top + (hi - lg(v)) / Math.max(1, hi - lo) * ph;
  svg.replaceChildren();
  const step = Math.max(1, Math.ceil((hi - lo) / 8));
  for (let e = lo; e <= hi; e += step) {  // a grid line and label per power of ten
    const y = P.top + (hi - e) / Math.max(1, hi - lo) * ph;
    svg.append(el("line", { class: "grid", x1: P.left, x2: P.left + pw, y1: y, y2: y }),
               el("text", { x: P.left - 6, y: y + 4, "text-anchor": "end" }, `1e${e}`));
  }
  const tick = T <= 30 ? 5 : T <= 60 ? 10 : 20;
  for (let dist = 0; dist < T; dist += tick) {
    const x = X(dist);
    svg.append(el("line", { class: "axis", x1: x, x2: x, y1: P.top + ph, y2: P.top + ph + 4 }),
               el("text", { x, y: P.top + ph + 17, "text-anchor": "middle" }, String(dist)));
  }
  svg.append(el("line", { class: "axis", x1: P.left, x2: P.left, y1: P.top, y2: P.top + ph }),
             el("line", { class: "axis", x1: P.left, x2: P.left + pw, y1: P.top + ph, y2: P.top + ph }),
             el("text", { x: P.left + pw / 2, y: P.top + ph + 34, "text-anchor": "middle" },
                "distance T \u2212 t (steps back from the last step\u2019s loss L_T)"),
             el("text", { x: 14, y: P.top + ph / 2, "text-anchor": "middle",
                          transform: `rotate(-90 14 ${P.top + ph / 2})` }, "gradient norm (log scale)"));
  CURVES.forEach(([key, label], j) => {
    const v = d.curves[key];
    const pts = v.map((g, dist) => `${X(dist).toFixed(2)},${Y(g).toFixed(2)}`).join(" ");
    svg.append(el("polyline", { class: `curve ${key}`, points: pts, "data-key": key,
                                "data-values": JSON.stringify(v) }));
    const lx = P.left + 8 + j * 200, ly = P.h - 14;
    svg.append(el("line", { class: `curve ${key}`, x1: lx, x2: lx + 24, y1: ly - 4, y2: ly - 4 }),
               el("text", { x: lx + 30, y: ly }, label));
  });
}

async function showGradients() {
  const body = { T: Number($("T").value), windows: Number($("windows").value) };
  const d = await NZ.api("/api/lstm/gradients", withRun(body, "gradients"));
  L.grads = d;
  drawGradients(d);
  const f = (x) => x.toFixed(2), e = (x) => x.toExponential(1);
  const why = L.run && !serves("gradients")
    ? ` (run ${L.run} cannot read the held-out text: its vocabulary lacks some of its characters)` : "";
  $("grad-status").dataset.sources = JSON.stringify(d.sources);
  $("grad-status").textContent = `${d.windows} windows of ${d.T} characters. Shrinking per step ` +
    `close to the loss (distances 0\u2013${Math.min(10, d.T - 1)}): RNN \u00d7${f(d.near.rnn_h)}, ` +
    `LSTM memory \u00d7${f(d.near.lstm_s)}; over the far half (${Math.floor(d.T / 2)}\u2013${d.T - 1}): ` +
    `RNN \u00d7${f(d.far.rnn_h)}, LSTM memory \u00d7${f(d.far.lstm_s)}. From distance 0 to ${d.T - 1}: ` +
    `RNN \u00d7${e(d.ratio.rnn_h)}, LSTM memory \u00d7${e(d.ratio.lstm_s)}, LSTM output \u00d7${e(d.ratio.lstm_h)}. ` +
    `LSTM: ${d.sources.lstm}; RNN: ${d.sources.rnn}${why}.`;
  return d;
}

function wire() {
  const quiet = (p) => p.catch(() => {});  // a refusal is shown in #message
  $("sample").addEventListener("click", () => quiet(sample()));
  $("show").addEventListener("click", () => quiet(showGates($("prompt").value.slice(0, L.info.max_gates))));
  $("prompt").addEventListener("keydown", (ev) => { if (ev.key === "Enter") quiet(sample()); });
  $("gradients").addEventListener("click", () => quiet(showGradients()));
  for (const id of ["n", "temperature", "T"]) {
    $(id).addEventListener("input", () => { $(id + "-value").textContent = $(id).value; });
  }
  for (const k of ["f", "i", "o", "s"]) $("map-" + k).addEventListener("mousemove", (ev) => hover(k, ev));
  $("run").addEventListener("change", () => {
    L.run = $("run").value;
    quiet(load().then(() => Promise.all([sample(), showGradients()])));
  });
}

// The runs the server says can serve this page, in the selector; the others named with the reason.
async function models() {
  const d = await NZ.api("/api/lstm/runs");
  const fit = d.runs.filter((r) => r.suitable), unfit = d.runs.filter((r) => !r.suitable);
  for (const r of fit) {
    L.runs[r.name] = r;
    const what = r.family === "lstm" ? `LSTM ${r.layers}\u00d7${r.hidden}` : `RNN ${r.layers}\u00d7${r.hidden}`;
    $("run").append(new Option(`run ${r.name} (${what})`, r.name));
  }
  $("run-row").hidden = fit.length === 0;
  $("run-note").hidden = unfit.length === 0;
  $("run-note").textContent = unfit.length ? "Not listed: " + unfit.map((r) => `${r.name} (${r.reason})`).join("; ") : "";
}

// The chosen run, described: what it is, what it was trained on, how well it predicts.
function describeRun(d) {
  const r = d.run, num = (x) => (x === null ? "\u2013" : x.toFixed(3));
  const kind = r.family === "lstm" ? `LSTM, ${r.layers} layer${r.layers > 1 ? "s" : ""} of ${r.hidden} cells`
    : `${r.recurrence === "full" ? "Elman" : "diagonal"} RNN, ${r.layers} layer${r.layers > 1 ? "s" : ""} of ${r.hidden} units`;
  return `run ${r.name}: ${kind}, ${r.params.toLocaleString("en")} parameters, ${r.vocab_size} characters; ` +
    `trained on ${r.corpus || "a text its config.json does not name"}` +
    (r.test_loss === null ? "" : ` (test loss ${num(r.test_loss)} nats per character)`) +
    `. Loss on the shipped models' held-out text (${d.heldout_chars.toLocaleString("en")} characters): ${num(r.heldout_loss)}` +
    ` (shipped LSTM ${num(d.models.lstm.heldout_loss)}, RNN ${num(d.models.rnn.heldout_loss)}).` +
    (r.family === "lstm" ? "" : " An RNN has no gates: the maps are the LSTM's only.");
}

async function load() {
  const d = await NZ.api("/api/lstm/info" + (L.run ? "?run=" + encodeURIComponent(L.run) : ""));
  L.info = d;
  $("sample-from").textContent = !d.run ? "the LSTM" : d.run.family === "lstm" ? `run ${d.run.name} (LSTM)` : `run ${d.run.name} (RNN)`;
  if (d.run) { $("model").textContent = describeRun(d); return; }
  const m = d.models.lstm, r = d.models.rnn;
  $("corpus").textContent = d.corpus === "tinyshakespeare"
    ? `and an Elman RNN of comparable size, both trained on tiny-shakespeare (${m.train_chars.toLocaleString("en")} characters).`
    : `and an Elman RNN of comparable size, both trained on a short built-in text about neural networks ` +
      "(tiny-shakespeare was not found: set NEURALZOO_DATA).";
  $("model").textContent = `LSTM: ${m.hidden} cells, ${m.params.toLocaleString("en")} parameters; ` +
    `RNN: ${r.hidden} units, ${r.params.toLocaleString("en")} parameters; ${d.vocab.length} characters, ` +
    `trained on ${d.corpus === "tinyshakespeare" ? "tiny-shakespeare" : d.corpus}. Held-out loss (${d.heldout_chars} characters): LSTM ${m.heldout_loss.toFixed(3)}, ` +
    `RNN ${r.heldout_loss.toFixed(3)} nats per character; unigram entropy ${d.unigram_entropy.toFixed(3)}.`;
  $("n").max = String(d.max_sample);
  $("max-gates").textContent = String(d.max_gates);
  $("T").min = String(d.min_T); $("T").max = String(d.max_T);
  $("T-value").textContent = $("T").value;
}

wire();
models().then(load).then(() => Promise.all([sample(), showGradients()])).catch(() => {});
