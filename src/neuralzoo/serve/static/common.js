// neuralzoo playground: what every page shares (the API calls, messages, drawing cells).
"use strict";
const NZ = {
  errors: [],  // uncaught errors and console.error lines: the browser tests read them
};
window.addEventListener("error", (e) => NZ.errors.push(String(e.message || e)));
window.addEventListener("unhandledrejection", (e) => NZ.errors.push("unhandled: " + String(e.reason)));
{ const orig = console.error.bind(console);
  console.error = (...a) => { NZ.errors.push(a.map(String).join(" ")); orig(...a); }; }

// Show a refusal (or clear it) in the page's #message line.
NZ.message = function (text) {
  const el = document.getElementById("message");
  if (el) el.textContent = text || "";
};

// Call the API: GET without a body, POST with one; a 4xx answer shows its message and throws.
NZ.api = async function (path, body) {
  const opts = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body) };
  const r = await fetch(path, opts);
  const data = await r.json();
  if (!r.ok) {
    NZ.message(data.error || ("request failed: " + r.status));
    const err = new Error(data.error); err.status = r.status; throw err;
  }
  NZ.message("");
  return data;
};

NZ.sleep = (ms) => new Promise((res) => setTimeout(res, ms));

// Draw a 0/1 pattern (row by row, side x side) on a canvas; `mark` outlines one cell.
NZ.drawCells = function (canvas, bits, side, mark) {
  const ctx = canvas.getContext("2d"), c = canvas.width / side;
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, canvas.width, canvas.height);
  for (let k = 0; k < bits.length; k++) {
    ctx.fillStyle = bits[k] ? "#1d2330" : "#eef1f6";
    ctx.fillRect((k % side) * c + 1, Math.floor(k / side) * c + 1, c - 2, c - 2);
  }
  if (mark !== undefined && mark !== null) {
    ctx.strokeStyle = "#f0a020"; ctx.lineWidth = Math.max(2, c / 8);
    ctx.strokeRect((mark % side) * c + 1, Math.floor(mark / side) * c + 1, c - 2, c - 2);
  }
};

// Call a streaming API (the server answers NDJSON: one JSON frame per line, sent as computed):
// POST `body`, await `onFrame(frame, k)` for each frame as it arrives; a 4xx answer shows its
// message and throws, as NZ.api does, and so does an {"error": ...} frame. Returns the count.
// `opts.signal` (an AbortController's) stops it: the promise rejects with an AbortError.
NZ.stream = async function (path, body, onFrame, opts = {}) {
  const r = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" },
                                body: typeof body === "string" ? body : JSON.stringify(body),
                                signal: opts.signal });
  if (!r.ok) {
    const data = await r.json();
    NZ.message(data.error || ("request failed: " + r.status));
    const err = new Error(data.error); err.status = r.status; throw err;
  }
  NZ.message("");
  const reader = r.body.getReader(), dec = new TextDecoder();
  let buf = "", n = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (value) buf += dec.decode(value, { stream: true });
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, i); buf = buf.slice(i + 1);
      if (!line.trim()) continue;
      const frame = JSON.parse(line);
      if (frame.error) { NZ.message(frame.error); throw new Error(frame.error); }
      await onFrame(frame, n++);
    }
    if (done) break;
  }
  return n;
};

// A binary drawing pad on `canvas` (side x side cells): pressing a cell toggles it, the cells
// the pointer then passes over take its new value (the path between two mouse events is walked
// in quarter-cell steps, so a fast stroke has no gaps). `bits()` gives the array drawn into (a
// getter: the page may replace it), `redraw()` shows it, `onEnd()` runs when the stroke ends.
NZ.drawPad = function (canvas, side, bits, redraw, onEnd) {
  let paint = null, at = null;
  const cellAt = (x, y) => {
    const r = canvas.getBoundingClientRect(), c = r.width / side;
    const row = Math.floor((y - r.top) / c), col = Math.floor((x - r.left) / c);
    return row >= 0 && row < side && col >= 0 && col < side ? row * side + col : -1;
  };
  const move = (ev) => {
    if (paint === null) return;
    const [x0, y0] = at, x1 = ev.clientX, y1 = ev.clientY, v = bits();
    const step = canvas.getBoundingClientRect().width / side / 4;
    const n = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0) / step));
    for (let i = 1; i <= n; i++) {
      const k = cellAt(x0 + (x1 - x0) * i / n, y0 + (y1 - y0) * i / n);
      if (k >= 0) v[k] = paint;
    }
    at = [x1, y1]; redraw();
  };
  canvas.addEventListener("mousedown", (ev) => {
    const k = cellAt(ev.clientX, ev.clientY); if (k < 0) return;
    ev.preventDefault();
    const v = bits(); paint = 1 - v[k]; v[k] = paint; at = [ev.clientX, ev.clientY]; redraw();
  });
  window.addEventListener("mousemove", move);
  window.addEventListener("mouseup", (ev) => {
    if (paint === null) return;
    move(ev); paint = null; if (onEnd) onEnd();
  });
};
