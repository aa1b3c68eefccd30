// The playground page: the editor, the table, the sliders, solve, plot, LaTeX, and the state in the URL.
// Every number comes from symparams itself, running in worker.js (Pyodide); this file only lays it out.
"use strict";

const $ = (id) => document.getElementById(id);
const PG = (window.__playground = { ready: false, derives: 0, evaluations: 0, timing: {}, lastCopied: null });

let site = null;
let editor = null;
let derived = null;         // the last successful derive
let values = {};            // slider values, by symbol name
let fileName = null;        // the example's (or the opened file's) name, for LaTeX titles
let autoConvention = false; // an example that does not derive under keras is retried under pytorch
let cells = null;           // the table cells the sliders update
let marks = [];

// ----------------------------------------------------------------------------- the worker
// Python in the worker has no time limit of its own (Pyodide has no interval timers): a call that runs
// longer than CALL_SECONDS is stopped by ending the worker, and a new one is started.
const CALL_SECONDS = 20;
const pending = new Map();
let nextId = 0;
let worker = startWorker();
function startWorker() {
  // the first worker is started by index.html's head, before the editor's and KaTeX's scripts load
  const w = window.__worker || new Worker("worker.js");
  window.__worker = null;
  w.onmessage = (event) => {
    const { id, result, ms } = event.data;
    const call = pending.get(id);
    if (!call) return;
    pending.delete(id);
    clearTimeout(call.timer);
    const parsed = JSON.parse(result);
    parsed.python_ms = ms;
    call.resolve(parsed);
  };
  return w;
}
function restartWorker() {
  worker.terminate();
  const stopped = [...pending.values()];
  pending.clear();
  derived = null;           // the new worker has derived nothing yet: the next edit derives again
  fast = null;
  for (const call of stopped) {
    clearTimeout(call.timer);
    const text = `symparams took more than ${CALL_SECONDS} s on this and was stopped; edit the text or the values to continue`;
    call.resolve({ ok: false, error: { kind: "error", message: text, text } });
  }
  worker = startWorker();
  rpc("boot");
}
function rpc(method, args = []) {
  return new Promise((resolve) => {
    const id = nextId++;
    const timer = method === "boot" ? null : setTimeout(restartWorker, CALL_SECONDS * 1000);
    pending.set(id, { resolve, timer });
    worker.postMessage({ id, method, args });
  });
}

// ----------------------------------------------------------------------------- the URL fragment
function b64url(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
function unb64url(text) {
  const s = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}
async function through(stream, bytes) {
  const out = new Response(new Blob([bytes]).stream().pipeThrough(stream));
  return new Uint8Array(await out.arrayBuffer());
}
async function encodeState() {
  const packed = await through(new CompressionStream("deflate-raw"), new TextEncoder().encode(editor.getValue()));
  const parts = ["z=" + b64url(packed)];
  const names = Object.keys(values).sort();
  if (names.length) parts.push("v=" + names.map((k) => `${k}:${values[k]}`).join(","));
  if ($("convention").value) parts.push("c=" + $("convention").value);
  if (fileName) parts.push("n=" + encodeURIComponent(fileName));
  return "#" + parts.join("&");
}
async function decodeState(hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  if (!params.get("z")) return null;
  const text = new TextDecoder().decode(await through(new DecompressionStream("deflate-raw"), unb64url(params.get("z"))));
  const vals = {};
  for (const item of (params.get("v") || "").split(",")) {
    const [k, v] = item.split(":");
    // past 2**53 a Number is not exact: the digits go to Python as text, through the parser of --set
    if (k && /^\d+$/.test(v || "")) vals[k] = Number.isSafeInteger(Number(v)) ? Number(v) : v;
  }
  return { text, values: vals, convention: params.get("c") || "", name: params.get("n") };
}
let fragmentTimer = null;
function updateFragment() {
  clearTimeout(fragmentTimer);
  fragmentTimer = setTimeout(async () => {
    const hash = await encodeState();
    if (hash !== location.hash) history.replaceState(null, "", hash);
    PG.fragment = hash;
  }, 120);
}

// ----------------------------------------------------------------------------- editor
function defineMode(lang) {
  const words = (list) => new RegExp("(?:" + list.slice().sort((a, b) => b.length - a.length).join("|") + ")\\b");
  CodeMirror.defineSimpleMode("symparams", {
    start: [
      { regex: /#.*/, token: "comment" },
      { regex: /"(?:[^\\"]|\\.)*"?|'(?:[^\\']|\\.)*'?/, token: "string" },
      { regex: words(lang.keywords), token: "keyword", sol: false },
      { regex: new RegExp("(?:" + lang.options.join("|") + ")(?==)"), token: "attribute" },
      { regex: words(lang.kinds), token: "builtin" },
      { regex: words(lang.activations), token: "atom" },
      { regex: /\d+(?:\.\d+)?(?:x\d+)*/, token: "number" },
      { regex: /(?:floor|ceil|min|max)(?=\()/, token: "def" },
      { regex: /[A-Za-z_]\w*/, token: "variable" },
      { regex: /\/\/|\*\*|[-+*/^=]/, token: "operator" },
      { regex: /[{}()]/, token: "bracket" },
    ],
    meta: { lineComment: "#" },
  });
}

function clearMarks() {
  for (const m of marks) m.clear();
  marks = [];
  editor.clearGutter("errors");
  for (let i = 0; i < editor.lineCount(); i++) editor.removeLineClass(i, "background", "error-line");
}
function showError(error) {
  clearMarks();
  const box = $("error");
  box.hidden = false;
  delete box.dataset.check;
  box.textContent = error.text || error.message;
  box.dataset.line = error.line || "";
  if (error.line) {
    const line = Math.min(error.line, editor.lineCount()) - 1;
    const from = Math.max(0, (error.column || 1) - 1);
    const text = editor.getLine(line) || "";
    let to = error.end_column ? error.end_column - 1 : from + 1;
    if (to <= from) to = from + 1;
    if (from >= text.length) to = from;   // at the end of the line: the mark is the gutter and the line
    marks.push(editor.markText({ line, ch: from }, { line, ch: Math.min(to, text.length) },
      { className: "cm-error-mark", attributes: { title: error.message } }));
    editor.addLineClass(line, "background", "error-line");
    const dot = document.createElement("span");
    dot.className = "error-gutter";
    dot.textContent = "●";
    dot.title = error.text;
    editor.setGutterMarker(line, "errors", dot);
  }
}
function hideError() {
  clearMarks();
  delete $("error").dataset.check;
  $("error").hidden = true;
  $("error").textContent = "";
}

// ----------------------------------------------------------------------------- rendering
// each formula typeset once: KaTeX's HTML kept by source (a network repeats its blocks' formulas, and an
// edit derives mostly the same formulas again), and written as HTML, cheaper than building its nodes
const typeset = new Map();
const TYPESET_KEPT = 5000;
function tex(el, source, display = false) {
  const key = (display ? "D" : "i") + source;
  let html = typeset.get(key);
  if (html === undefined) {
    try {
      html = katex.renderToString(source, { throwOnError: false, displayMode: display });
    } catch (err) {
      el.textContent = source;
      return;
    }
    if (typeset.size >= TYPESET_KEPT) typeset.clear();
    typeset.set(key, html);
  }
  el.innerHTML = html;
}
function td(row, className) {
  const cell = document.createElement("td");
  if (className) cell.className = className;
  row.appendChild(cell);
  return cell;
}
function renderTable(d) {
  const showAt = d.symbolic && d.sliders.length > 0;
  // columns sized to their content: laid out once automatically, then frozen at those widths
  // (fixed layout), so a slider move re-lays out only the cells it changes (auto layout measured
  // every KaTeX formula again, 20-40 ms on ResNet-50)
  const table = $("summary");
  table.querySelector("colgroup")?.remove();
  table.style.tableLayout = "auto";
  const head = $("summary").tHead;
  head.innerHTML = "";
  const hr = head.insertRow();
  for (const h of ["Layer (type)", "Output shape", ...(showAt ? ["Shape at values"] : []), "Param formula", "Param #"]) {
    const th = document.createElement("th");
    th.textContent = h;
    hr.appendChild(th);
  }
  const body = $("summary").tBodies[0];
  body.innerHTML = "";
  cells = { shapes: [], counts: [], totals: [] };
  d.rows.forEach((r) => {
    const tr = body.insertRow();
    tr.className = r.leaf ? "leaf" : "composite";
    const label = td(tr, "label");
    // the whole name, breakable after its underscores (dense_layer_1), never cut to "dens…"
    r.label.split(/(?<=_)/).forEach((part, k) => {
      if (k) label.appendChild(document.createElement("wbr"));
      label.appendChild(document.createTextNode(part));
    });
    label.title = r.label;
    label.style.paddingLeft = 0.4 + 1.2 * r.depth + "em";
    tex(td(tr, "shape"), r.shape);
    cells.shapes.push(showAt ? td(tr, "num shape-at") : null);
    tex(td(tr, "formula"), r.formula);
    cells.counts.push(td(tr, "num count"));
  });
  const totals = $("totals").tBodies[0];
  totals.innerHTML = "";
  d.totals.forEach((t) => {
    const tr = totals.insertRow();
    td(tr, "label").textContent = t.name;
    const formula = td(tr, "formula");
    if (t.symbolic) tex(formula, t.tex + " =");
    const v = td(tr, "num total");
    v.id = "total-" + t.key;
    cells.totals.push(v);
  });
  const legend = $("legend");
  legend.innerHTML = "";
  legend.hidden = !(d.legend && d.legend.length);
  for (const item of d.legend || []) {
    const span = document.createElement("span");
    span.className = "legend-item";
    tex(span, item.tex + " = \\texttt{" + item.name.replace(/_/g, "\\_") + "}");
    legend.appendChild(span);
  }
  const list = $("constraints");
  list.innerHTML = "";
  for (const c of d.constraints) {
    const li = document.createElement("li");
    li.textContent = "valid for " + c;
    list.appendChild(li);
  }
  for (const w of d.warnings) {
    const li = document.createElement("li");
    li.className = "warning";
    li.textContent = "warning: " + w;
    list.appendChild(li);
  }
}

// The table at numbers only (Session.numbers), until the derive's formulas replace it (renderTable):
// the same columns, the formula cells left empty, the counts and totals already the engine's.
function showNumbers(n, text) {
  const t0 = performance.now();
  hideError();
  $("right").classList.remove("stale");
  derived = null;           // the sliders' compiled counts belong to the last derive, not to this table
  fast = null;
  const table = $("summary");
  table.querySelector("colgroup")?.remove();
  table.style.tableLayout = "auto";
  const head = table.tHead;
  head.innerHTML = "";
  const hr = head.insertRow();
  for (const h of ["Layer (type)", "Output shape", ...(n.symbolic ? ["Shape at values"] : []), "Param formula", "Param #"]) {
    const th = document.createElement("th");
    th.textContent = h;
    hr.appendChild(th);
  }
  const body = table.tBodies[0];
  body.innerHTML = "";
  cells = { shapes: [], counts: [], totals: [] };
  for (const r of n.rows) {
    const tr = body.insertRow();
    tr.className = r.leaf ? "leaf" : "composite";
    const label = td(tr, "label");
    label.textContent = r.label;
    label.style.paddingLeft = 0.4 + 1.2 * r.depth + "em";
    td(tr, "shape").textContent = n.symbolic ? "" : (r.shape || "");
    if (n.symbolic) td(tr, "num shape-at").textContent = r.shape || "";
    td(tr, "formula");
    td(tr, "num count").textContent = r.params ? r.params.s : (r.kind === "path" ? "" : "—");
  }
  const totals = $("totals").tBodies[0];
  totals.innerHTML = "";
  for (const t of n.totals) {
    const tr = totals.insertRow();
    td(tr, "label").textContent = t.name;
    td(tr, "formula");
    const v = td(tr, "num total");
    v.id = "total-" + t.key;
    v.textContent = t.value.s;
  }
  $("legend").hidden = true;
  $("constraints").innerHTML = "";
  $("broken").hidden = true;
  setStatus("deriving the formulas…");
  // what the benchmark reads as the edit shown (benchmarks/browser.mjs): this table and its total on screen
  PG.numbersShown = { text, at: performance.now(), ms: performance.now() - t0, rows: n.rows.length,
                      total: $("total-params") ? $("total-params").textContent : null };
}

function freezeColumns(table) {
  table.querySelector("colgroup")?.remove();
  table.style.tableLayout = "auto";
  const widths = [...table.tHead.rows[0].cells].map((th) => th.getBoundingClientRect().width);
  const cols = document.createElement("colgroup");
  for (const w of widths) {
    const col = document.createElement("col");
    col.style.width = w + "px";
    cols.appendChild(col);
  }
  table.insertBefore(cols, table.tHead);
  table.style.tableLayout = "fixed";
}

function renderSliders(d) {
  const box = $("sliders");
  box.innerHTML = "";
  for (const s of d.sliders) {
    const row = document.createElement("div");
    row.className = "slider";
    const name = document.createElement("label");
    name.htmlFor = "slider-" + s.name;
    tex(name, s.tex);
    if (s.long) name.title = s.long;      // a short letter for a config's long name: the name on hover
    const range = document.createElement("input");
    range.type = "range";
    range.id = "slider-" + s.name;
    range.min = s.min;
    range.max = Math.max(s.max, values[s.name]);
    range.step = 1;
    range.value = values[s.name];
    range.setAttribute("aria-label", s.name);
    const number = document.createElement("input");
    number.type = "number";
    number.id = "value-" + s.name;
    number.min = 1;
    if (s.limit) number.max = s.limit;
    number.value = values[s.name];
    number.setAttribute("aria-label", s.name + " value");
    const reset = document.createElement("button");
    reset.type = "button";
    reset.className = "reset";
    reset.textContent = "↺";
    reset.title = `back to the default ${s.name} = ${s.default}`;
    const set = (v, from) => {
      if (!Number.isInteger(v) || v < 1) return;
      values[s.name] = v;
      if (from !== range) {
        if (v > Number(range.max)) range.max = v;
        range.value = v;
      }
      if (from !== number) number.value = v;
      requestEvaluate(performance.now());
    };
    range.addEventListener("input", () => set(Number(range.value), range));
    number.addEventListener("input", () => set(Number(number.value), number));
    reset.addEventListener("click", () => set(s.default, null));
    row.append(name, range, number, reset);
    box.appendChild(row);
  }
  $("sliders-box").hidden = d.sliders.length === 0 && d.free.length === 0;
  $("free").hidden = d.free.length === 0;
  $("free").textContent = d.free.length ? `No default (formulas only): ${d.free.join(", ")} — add 'let ${d.free[0]} = …' for a slider.` : "";
}

function fillSelect(select, options, keep) {
  const old = keep ? select.value : null;
  select.innerHTML = "";
  for (const o of options) {
    const opt = document.createElement("option");
    opt.value = opt.textContent = o;
    select.appendChild(opt);
  }
  if (old && options.includes(old)) select.value = old;
}

function renderTools(d) {
  const names = d.sliders.map((s) => s.name);
  fillSelect($("solve-symbol"), names, true);
  fillSelect($("plot-symbol"), names, true);
  fillSelect($("solve-metric"), d.metrics, true);
  fillSelect($("plot-metric"), d.metrics, true);
  $("tools").classList.toggle("hidden", names.length === 0);   // nothing to solve for or plot against
  setPlotRange(false);
}
function setPlotRange(force) {
  const s = derived && derived.sliders.find((x) => x.name === $("plot-symbol").value);
  if (!s) return;
  if (force || !$("plot-lo").value || $("plot-lo").dataset.symbol !== s.name) {
    $("plot-lo").value = s.min;
    $("plot-hi").value = Math.max(s.max, values[s.name]);
    $("plot-lo").dataset.symbol = s.name;
  }
}

// ----------------------------------------------------------------------------- derive and evaluate
let deriveSeq = 0;
let deriveTimer = null;
let requested = false;      // a derive has been sent to Python
function scheduleDerive() {
  clearTimeout(deriveTimer);
  deriveTimer = setTimeout(deriveNow, 250);
}
async function deriveNow() {
  clearTimeout(deriveTimer);
  const seq = ++deriveSeq;
  const t0 = performance.now();
  const text = editor.getValue();
  setStatus("deriving…");
  requested = true;
  // the numbers first: each row's shape and count and the totals from the engine's derive on integers
  // (symparams.web Session.numbers, no SymPy: a fraction of the derive's time on a big network), laid
  // out while the formulas derive. The worker answers in order, so they come before the derive's result;
  // a text already on screen (the first live derive of the pre-rendered view) is not laid out again.
  let full = false;
  if (text !== PG.derivedText) {
    rpc("numbers", [text, $("convention").value, fileName]).then((n) => {
      if (n.ok && !full && seq === deriveSeq) showNumbers(n, text);
    });
  }
  let d = await rpc("derive", [text, $("convention").value, fileName]);
  full = true;
  if (!d.ok && autoConvention && !$("convention").value) {
    const other = await rpc("derive", [text, "pytorch", fileName]);
    if (other.ok) {
      $("convention").value = "pytorch";     // the file says nothing and only PyTorch's rules accept it
      d = other;
    }
  }
  autoConvention = false;
  if (seq !== deriveSeq) return;           // a newer edit is on its way
  if (!d.ok) {
    showError(d.error);
    $("right").classList.add("stale");
    setStatus("error");
    PG.derivedText = text;
    PG.derives++;
    updateFragment();
    shownLive();
    return;
  }
  PG.lastResult = d;
  await showDerived(d, text, seq, t0);
  if (seq === deriveSeq) shownLive();
}
function shownLive() {
  if (PG.live) return;
  PG.timing.firstLive = performance.now();     // the first derive by the page's own Python, on screen
  PG.live = true;
}

// A derive's result on the page: the table, sliders, tools and values (from a live derive, or the
// default example's derive made at build time by the same engine, shown before Python has started).
async function showDerived(d, text, seq, t0) {
  hideError();
  $("right").classList.remove("stale");
  derived = d;
  fast = compileFast(d);
  const kept = {};
  for (const s of d.sliders) kept[s.name] = Number.isInteger(values[s.name]) ? values[s.name] : s.default;
  values = kept;
  renderTable(d);
  renderSliders(d);
  renderTools(d);
  const e = evaluateHere() || await rpc("evaluate", [values]);
  if (seq !== deriveSeq) return;
  applyValues(e);
  freezeColumns($("summary"));       // sized to the formulas and the counts at these values
  const ms = performance.now() - t0;
  PG.lastDerive = { total_ms: ms, python_ms: d.python_ms };
  PG.derivedText = text;
  PG.derives++;
  PG.lastShown = performance.now();      // the table and its totals are in the page (benchmarks/browser.mjs)
  if (PG.timing.firstResult === undefined) PG.timing.firstResult = PG.lastShown;
  setStatus(`derived in ${Math.round(ms)} ms`);
  scheduleCheck();
  if (d.sliders.length) drawPlot();
  else $("plot").innerHTML = "";
}

// The counts as one JavaScript function over BigInt (exact), translated from the code symparams
// compiled for this derive (symparams/web.py): a slider move is evaluated on the page's own thread,
// with no message to Python at all. Without it (a formula with no integer code) Python evaluates.
let fast = null;
const _fdiv = (a, b) => {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
};
const _max = (a, b) => (a >= b ? a : b);
const _min = (a, b) => (a <= b ? a : b);
function compileFast(d) {
  if (!d.javascript) return null;
  try {
    // generated from SymPy integer expressions only (numbers, a0.., + - * ** and the helpers above)
    return new Function(...d.javascript.args, "_fdiv", "_max", "_min", "return [" + d.javascript.items.join(",") + "];");
  } catch (err) {
    return null;
  }
}
function evaluateHere() {
  if (!fast) return null;
  // a value past its slider (from a share link) is checked by Python first: the real derive at it,
  // under the bit limit of --set (a BigInt 2n ** 10000000000n would stall the page)
  if (derived.sliders.some((s) => !(values[s.name] >= s.min && values[s.name] <= s.max))) return null;
  let results;
  try {
    results = fast(...derived.sliders.map((s) => BigInt(values[s.name])), _fdiv, _max, _min);
  } catch (err) {
    return null;       // e.g. a negative power: Python's rules, in Python
  }
  const pick = (k) => (k === null ? null : results[k]);
  const number = (v) => ({ v: v.toString(), s: v.toLocaleString("en-US") });
  const rows = derived.slots.rows.map((r) => {
    const dims = r.dims.map(pick);
    const count = pick(r.params);
    return { shape: dims.some((x) => x === null) ? null : "(" + dims.join(", ") + ")", params: count === null ? null : number(count) };
  });
  const totals = derived.slots.totals.map((k) => (k === null ? null : number(results[k])));
  const broken = derived.slots.conditions.filter((c) => c.checks.some((k) => results[k] < 0n)).map((c) => c.text);
  return { ok: true, rows, totals, broken, python_ms: 0 };
}

let evalBusy = false;
let evalPending = null;
function requestEvaluate(started) {
  if (!derived) return;
  const here = evaluateHere();
  if (here) {
    afterEvaluate(here, started);
    return;
  }
  if (evalBusy) {
    evalPending = evalPending === null ? started : Math.min(evalPending, started);
    return;
  }
  evalBusy = true;
  const seq = deriveSeq;
  rpc("evaluate", [values]).then((e) => {
    evalBusy = false;
    if (seq === deriveSeq) afterEvaluate(e, started);
    if (evalPending !== null) {
      const next = evalPending;
      evalPending = null;
      requestEvaluate(next);
    }
  });
}

function afterEvaluate(e, started) {
  const t = performance.now();
  applyValues(e);
  PG.lastApplyMs = performance.now() - t;
  PG.lastUpdateMs = performance.now() - started;
  PG.lastEvaluatePythonMs = e.python_ms;
  PG.lastEvaluateWhere = e.python_ms === 0 ? "page" : "python";
  PG.evaluations++;
  markPlot();
  scheduleCheck();
  schedulePlot();
}

function applyValues(e) {
  if (!e.ok) {
    showError(e.error);
    return;
  }
  // only the cells whose text changes: an unchanged cell written again is laid out and painted again
  const put = (cell, text) => {
    if (cell && cell.textContent !== text) cell.textContent = text;
  };
  e.rows.forEach((r, i) => {
    put(cells.shapes[i], r.shape || "");
    put(cells.counts[i], r.params ? r.params.s : (derived.rows[i].kind === "path" ? "" : "—"));
  });
  e.totals.forEach((t, i) => put(cells.totals[i], t ? t.s : "—"));
  // a count grown past its frozen column (a slider moved to bigger values): lay the columns out again
  if (cells.counts.concat(cells.shapes).some((c) => c && c.scrollWidth > c.clientWidth + 1)) freezeColumns($("summary"));
  const broken = $("broken");
  broken.hidden = e.broken.length === 0;
  broken.textContent = e.broken.length ? "Not a possible network at these values — the formulas need: " + e.broken.join("; ") : "";
  $("summary").classList.toggle("invalid", e.broken.length > 0);
  updateFragment();
}

let checkTimer = null;
function scheduleCheck() {
  clearTimeout(checkTimer);
  checkTimer = setTimeout(async () => {
    const seq = deriveSeq;
    const r = await rpc("check", [values]);
    if (seq !== deriveSeq || !$("error").hidden && !$("error").dataset.check) return;
    const box = $("error");
    if (!r.ok) {
      box.hidden = false;
      box.dataset.check = "1";
      box.textContent = "At these values: " + r.error.text;
    } else if (box.dataset.check) {
      box.hidden = true;
      delete box.dataset.check;
    }
  }, 400);
}

function setStatus(text) {
  $("status").textContent = text;
}

// ----------------------------------------------------------------------------- plot
let plotData = null;
let plotTimer = null;
function schedulePlot() {
  clearTimeout(plotTimer);
  plotTimer = setTimeout(() => {
    // moving the plotted symbol only moves the marker; another symbol changes the curve
    if (plotData && Object.keys(values).some((k) => k !== plotData.symbol && values[k] !== plotData.values[k])) drawPlot();
  }, 300);
}
async function drawPlot() {
  const symbol = $("plot-symbol").value;
  if (!symbol) return;
  const lo = Number($("plot-lo").value), hi = Number($("plot-hi").value);
  const r = await rpc("plot", [$("plot-metric").value, symbol, lo, hi, values]);
  if (!r.ok) {
    $("plot").textContent = r.error.text;
    return;
  }
  plotData = { ...r, values: { ...values } };
  renderPlot();
}
function grouped(v) {
  return Math.abs(v) >= 1e15 ? v.toExponential(3) : Math.round(v).toLocaleString("en-US");
}
// an axis label: 52.7 B rather than 52,723,466,240 (K, M, B, T: thousand, million, billion, trillion)
function si(v) {
  const a = Math.abs(v);
  for (const [scale, unit] of [[1e12, " T"], [1e9, " B"], [1e6, " M"], [1e3, " K"]]) {
    if (a >= scale) return (v / scale).toPrecision(3).replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "") + unit;
  }
  return String(Math.round(v));
}
function renderPlot() {
  const W = 460, H = 240, L = 86, R = 22, T = 26, B = 34;
  const pts = plotData.points.map((p) => ({ x: p.x, y: Number(p.y.v), s: p.y.s, valid: p.valid }));
  const xs = pts.map((p) => p.x), ys = pts.map((p) => p.y);
  const x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = Math.min(0, ...ys), y1 = Math.max(...ys) || 1;
  const X = (x) => L + ((x - x0) / (x1 - x0 || 1)) * (W - L - R);
  const Y = (y) => H - B - ((y - y0) / (y1 - y0 || 1)) * (H - T - B);
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("role", "img");
  const el = (name, attrs, text) => {
    const e = document.createElementNS(ns, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    svg.appendChild(e);
    return e;
  };
  el("text", { x: L, y: 16, class: "title" }, `${plotData.metric} against ${plotData.symbol}`);
  el("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, class: "axis" });
  el("line", { x1: L, y1: T, x2: L, y2: H - B, class: "axis" });
  for (const y of [y0, (y0 + y1) / 2, y1]) {
    el("line", { x1: L - 4, y1: Y(y), x2: W - R, y2: Y(y), class: "grid" });
    el("text", { x: L - 6, y: Y(y) + 4, class: "tick", "text-anchor": "end" }, si(y));
  }
  for (const x of [x0, Math.round((x0 + x1) / 2), x1]) {
    el("text", { x: X(x), y: H - B + 16, class: "tick", "text-anchor": "middle" }, String(x));
  }
  el("text", { x: (L + W - R) / 2, y: H - 4, class: "tick", "text-anchor": "middle" }, plotData.symbol);
  let path = "";
  let pen = false;
  for (const p of pts) {
    if (!p.valid) { pen = false; continue; }
    path += (pen ? "L" : "M") + X(p.x).toFixed(1) + "," + Y(p.y).toFixed(1);
    pen = true;
  }
  el("path", { d: path, class: "curve" });
  for (const p of pts) if (!p.valid) el("circle", { cx: X(p.x), cy: Y(p.y), r: 2, class: "invalid" });
  el("line", { x1: 0, y1: T, x2: 0, y2: H - B, class: "marker", id: "plot-marker" });
  el("text", { x: 0, y: T + 12, class: "tick marker-label", id: "plot-marker-label" }, "");
  plotData.X = X;
  $("plot").innerHTML = "";
  $("plot").appendChild(svg);
  markPlot();
}
function markPlot() {
  if (!plotData || !plotData.X) return;
  const v = values[plotData.symbol];
  const marker = document.getElementById("plot-marker");
  if (!marker) return;
  const x = plotData.X(v);
  marker.setAttribute("x1", x);
  marker.setAttribute("x2", x);
  const label = document.getElementById("plot-marker-label");
  const right = x > (plotData.X(plotData.points[plotData.points.length - 1].x) + plotData.X(plotData.points[0].x)) / 2;
  label.setAttribute("x", right ? x - 4 : x + 4);
  label.setAttribute("text-anchor", right ? "end" : "start");
  label.textContent = `${plotData.symbol} = ${v}`;
}

// ----------------------------------------------------------------------------- LaTeX, solve, share
async function copyText(text) {
  PG.lastCopied = text;
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch (err) {
    const area = document.createElement("textarea");
    area.value = text;
    document.body.appendChild(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    return ok;
  }
}
async function latex(parts, mode) {
  const r = await rpc("latex", [parts, mode, values]);
  if (!r.ok) {
    setStatus(r.error.text);
    return null;
  }
  return r.text;
}

function wireUp() {
  for (const button of document.querySelectorAll("[data-latex]")) {
    button.addEventListener("click", async () => {
      const text = await latex([button.dataset.latex], "fragment");
      if (text !== null) setStatus((await copyText(text)) ? `LaTeX ${button.dataset.latex} copied` : "copy failed");
    });
  }
  $("slides").addEventListener("click", async () => {
    const text = await latex(["table", "derivation", "totals"], "beamer");
    if (text === null) return;
    PG.lastSlides = text;
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([text], { type: "application/x-tex" }));
    a.download = (fileName || "playground.arch").replace(/\.arch$/, "") + "_slides.tex";
    document.body.appendChild(a);
    a.click();
    a.remove();
  });
  $("share").addEventListener("click", async () => {
    const url = location.href.split("#")[0] + (await encodeState());
    setStatus((await copyText(url)) ? "link copied" : url);
  });
  $("solve-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = $("solve-symbol").value;
    const r = await rpc("solve", [name, $("solve-mode").value, $("solve-target").value, $("solve-metric").value, values]);
    const out = $("solve-out");
    out.textContent = r.ok ? r.text : r.error.text;
    if (r.ok && r.value) {
      const use = document.createElement("button");
      use.type = "button";
      use.textContent = `set ${name} = ${r.value}`;
      use.addEventListener("click", () => {
        const input = $("value-" + name);
        input.value = r.value;
        input.dispatchEvent(new Event("input"));
      });
      out.appendChild(document.createElement("br"));
      out.appendChild(use);
    }
  });
  $("plot-form").addEventListener("submit", (event) => {
    event.preventDefault();
    drawPlot();
  });
  $("plot-symbol").addEventListener("change", () => { setPlotRange(true); drawPlot(); });
  $("plot-metric").addEventListener("change", drawPlot);
  $("convention").addEventListener("change", deriveNow);
  $("examples").addEventListener("change", () => {
    const name = $("examples").value;
    const ex = site.examples.find((e) => e.name === name);
    if (!ex) return;
    openText(ex.text, ex.name, {}, "", true);
  });
}

let loading = false;
function openText(text, name, vals, convention, auto) {
  loading = true;
  fileName = name || null;
  values = { ...vals };
  autoConvention = !!auto;
  $("convention").value = convention || "";
  $("examples").value = site.examples.some((e) => e.name === name && e.text === text) ? name : "";
  editor.setValue(text);
  loading = false;
  if (PG.ready) deriveNow();
}

// ----------------------------------------------------------------------------- start
async function main() {
  site = await (await fetch("site.json")).json();
  $("version").textContent = site.version;
  $("pyodide-version").textContent = site.pyodide;
  defineMode(site.language);
  editor = CodeMirror($("editor"), {
    mode: "symparams", lineNumbers: true, gutters: ["errors", "CodeMirror-linenumbers"], indentUnit: 4,
    viewportMargin: Infinity,
  });
  PG.editor = editor;
  for (const group of ["Examples", "Zoo"]) {
    const og = document.createElement("optgroup");
    og.label = group;
    for (const ex of site.examples.filter((e) => e.group === group)) {
      const opt = document.createElement("option");
      opt.value = ex.name;
      opt.textContent = ex.name;
      og.appendChild(opt);
    }
    $("examples").appendChild(og);
  }
  wireUp();
  const state = location.hash ? await decodeState(location.hash).catch(() => null) : null;
  if (state) {
    openText(state.text, state.name, state.values, state.convention, false);
  } else {
    const ex = site.examples.find((e) => e.name === site.default);
    openText(ex.text, ex.name, {}, "", true);
    const pre = site.prerendered;
    if (pre && pre.name === ex.name && pre.text === ex.text && pre.result && pre.result.ok) {
      autoConvention = false;
      await showDerived(pre.result, ex.text, ++deriveSeq, performance.now());
      PG.prerendered = true;
    }
  }
  editor.on("change", (_, change) => {
    if (loading) return;
    if ($("examples").value && editor.getValue() !== (site.examples.find((e) => e.name === $("examples").value) || {}).text) {
      $("examples").value = "";
    }
    // a paste (or a dropped file) is a whole edit: derived at once; typing waits for a pause
    if (change.origin === "paste" || change.origin === "drop") deriveNow();
    else scheduleDerive();
  });
  const boot = await rpc("boot");
  if (!boot.ok) {
    setStatus(boot.error.text);
    return;
  }
  PG.timing.boot = boot.timing;
  PG.timing.pythonReady = performance.now();
  PG.ready = true;
  PG.deriveNow = deriveNow;
  // the first live derive, unless an edit made while Python started has already asked for one (it is
  // answered as soon as Python is up; asking again would derive the same text twice)
  if (!requested) await deriveNow();
}
main().catch((err) => {
  // e.g. index.html opened as a file: the page needs its files served (symparams serve, or any web server)
  setStatus("could not start: " + err + (location.protocol === "file:" ? " (serve this folder: symparams serve)" : ""));
});
