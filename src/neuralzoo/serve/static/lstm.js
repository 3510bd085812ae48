// LSTM page: the server holds a character LSTM; the page samples text from it and draws, per
// character of the prompt, the gates f, i, o and the memory s of every cell as heat maps.
"use strict";
const L = { info: null, gates: null, sample: null };
const $ = (id) => document.getElementById(id);
const RH = 5, LABEL = 16, WIDTH = 260;  // px per cell row, of the character strip, of a map at most
const BLUE = [31, 95, 222], RED = [192, 57, 43];

// A gate value in [0, 1]: white -> blue; a memory value a = s / max|s| in [-1, 1]: red - white - blue.
function mix(c, v) { return c.map((x) => Math.round(255 + v * (x - 255))); }
function gateColour(v) { return mix(BLUE, Math.min(1, Math.max(0, v))); }
function memColour(s, smax) { const a = smax > 0 ? s / smax : 0; return a < 0 ? mix(RED, -a) : mix(BLUE, a); }
function colourOf(key, v) { return key === "s" ? memColour(v, L.smax) : gateColour(v); }

function cellWidth(T) { return Math.max(6, Math.min(24, Math.floor(WIDTH / T))); }

// One heat map: column t = character t of the text, row u = cell u; the characters under it.
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
    ctx.fillStyle = "#1d2330"; ctx.font = "12px ui-monospace, Menlo, Consolas, monospace";
    ctx.textAlign = "center";
    ctx.fillText(d.chars[t] === " " ? "\u2423" : d.chars[t], t * cw + cw / 2, H * RH + 12);
  }
}

async function showGates(text) {
  const d = await NZ.api("/api/lstm/gates", { text });
  L.gates = d;
  L.smax = Math.max(...d.s.flat().map(Math.abs));
  for (const k of ["f", "i", "o", "s"]) drawMap(k);
  $("s-range").textContent = `(scale \u00b1${L.smax.toFixed(2)})`;
  return d;
}

async function sample() {
  const body = { prompt: $("prompt").value, n: Number($("n").value),
    temperature: Number($("temperature").value), seed: Number($("seed").value) };
  const d = await NZ.api("/api/lstm/sample", body);
  L.sample = d;
  const b = document.createElement("b"); b.textContent = d.prompt;
  $("sampled").replaceChildren(b, d.text.slice(d.prompt.length));
  $("status").textContent = `${d.n} characters at temperature ${d.temperature} from seed ${d.seed}`;
  await showGates(d.prompt.slice(0, L.info.max_gates));
  return d;
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

function wire() {
  $("sample").addEventListener("click", () => sample().catch(() => {}));
  $("show").addEventListener("click", () => showGates($("prompt").value).catch(() => {}));
  $("prompt").addEventListener("keydown", (ev) => { if (ev.key === "Enter") sample().catch(() => {}); });
  for (const id of ["n", "temperature"]) {
    $(id).addEventListener("input", () => { $(id + "-value").textContent = $(id).value; });
  }
  for (const k of ["f", "i", "o", "s"]) $("map-" + k).addEventListener("mousemove", (ev) => hover(k, ev));
}

async function load() {
  const d = await NZ.api("/api/lstm/info");
  L.info = d;
  $("model").textContent = `${d.hidden} cells, ${d.vocab.length} characters, ${d.epochs} epochs ` +
    `from seed ${d.seed}; training loss ${d.loss.toFixed(3)} nats per character`;
  $("n").max = String(d.max_sample);
}

// The colours a heat map shows, read back at each cell's centre, against those of the values
// received: the number of cells that differ.
function mapMismatches(key) {
  const d = L.gates, T = d.chars.length, H = d.hidden, cw = cellWidth(T), cv = $("map-" + key);
  const px = cv.getContext("2d").getImageData(0, 0, cv.width, cv.height).data;
  let bad = 0;
  for (let t = 0; t < T; t++) {
    for (let u = 0; u < H; u++) {
      const x = Math.floor(t * cw + cw / 2), y = Math.floor(u * RH + RH / 2), k = 4 * (y * cv.width + x);
      const want = colourOf(key, d[key][t][u]);
      if (want.some((v, c) => Math.abs(v - px[k + c]) > 2)) bad++;
    }
  }
  return bad;
}

// ?selftest: sample twice from one seed, the prompt's gates drawn, then a prompt with unknown
// characters refused.
async function selftest() {
  const out = {};
  $("prompt").value = "the network "; $("n").value = "120"; $("temperature").value = "0.7"; $("seed").value = "5";
  const a = await sample(), b = await sample();
  out.prompt = a.prompt; out.text = a.text; out.repeat_equal = a.text === b.text;
  out.shown = $("sampled").textContent;
  out.chars = L.gates.chars; out.hidden = L.gates.hidden;
  out.widths = ["f", "i", "o", "s"].map((k) => $("map-" + k).width);
  out.mismatches = Object.fromEntries(["f", "i", "o", "s"].map((k) => [k, mapMismatches(k)]));
  out.gates = { f: L.gates.f, i: L.gates.i, o: L.gates.o };
  $("seed").value = "6";
  out.other_seed_text = (await sample()).text;
  $("prompt").value = "The Network!";
  try { await sample(); out.unknown_refused = false; } catch (e) { out.unknown_refused = e.status; }
  out.message = $("message").textContent;
  return out;
}

wire();
load().then(() => sample()).then(() => NZ.runSelftest(selftest)).catch((e) => NZ.errors.push(e.message));
