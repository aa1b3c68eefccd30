// node benchmarks/browser.mjs BASE_URL RESNET50_TEXT_FILE [RUNS] [RUNS_WITHOUT_SNAPSHOT] -> one JSON object of
// timings (ms), measured in Debian's Chromium (headless, network closed but for 127.0.0.1) on the built playground.
import fs from "node:fs";
import { browserCpuSeconds, launch, open, ready } from "../web/browser.mjs";

const [base, resnetFile, runsArg, plainArg] = process.argv.slice(2);
const resnet = fs.readFileSync(resnetFile, "utf-8");
const RUNS = Number(runsArg || 5);
const RUNS_WITHOUT_SNAPSHOT = Number(plainArg || 3);
const outsideAll = [];
const out = { loads: [], firstEdit: { snapshot: [], snapshotWarmCache: [], noSnapshot: [] }, slider: {}, rederive: {} };
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const p95 = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(s.length * 0.95))]; };

// A visit as a user makes it: navigate, and as soon as the page shows its first result, replace the editor's
// text with ResNet-50 (select all, paste); timed to the moment the page shows ResNet-50's table and total. All
// times from the navigation's start (the page's performance.now()). Without the snapshot: its file answers 404.
async function firstEdit({ context, profile }, snapshot) {
  const page = await context.newPage();
  const cpu0 = browserCpuSeconds(profile);
  if (!snapshot) await page.route("**/python/snapshot-*.bin", (route) => route.fulfill({ status: 404, body: "" }));
  await page.goto(base);
  await page.waitForFunction(() => window.__playground && window.__playground.timing.firstResult !== undefined,
                             null, { timeout: 180000 });
  await page.click(".CodeMirror");
  await page.keyboard.press("Control+A");
  const edited = await page.evaluate((text) => {
    const data = new DataTransfer();
    data.setData("text/plain", text);
    document.querySelector(".CodeMirror textarea").dispatchEvent(
      new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
    return performance.now();
  }, resnet);
  await page.waitForFunction((text) => {
    const pg = window.__playground;
    return pg.live && pg.derivedText === text && pg.editor.getValue() === text;
  }, resnet, { timeout: 180000 });
  const r = await page.evaluate(() => {
    const pg = window.__playground;
    const n = pg.numbersShown && pg.numbersShown.text === pg.derivedText ? pg.numbersShown : null;
    return { firstResult: pg.timing.firstResult, shown: pg.lastShown, numbers: n && { at: n.at, rows: n.rows, total: n.total }, boot: pg.timing.boot, pythonReady: pg.timing.pythonReady,
             prerendered: !!pg.prerendered, derive: pg.lastDerive, total: document.getElementById("total-params").textContent.trim(),
             rows: document.querySelectorAll("#summary tbody tr").length };
  });
  const cpu = browserCpuSeconds(profile) - cpu0;     // every Chromium process's CPU time for this visit
  await page.close();
  // the edit shown: ResNet-50's table (every row's shape and count) and its total on screen, from the numbers
  // call when that came first and showed the same total as the formulas' table, else the formulas' table
  const numbers = r.numbers && r.numbers.total === r.total && r.numbers.rows === r.rows ? r.numbers.at : null;
  return { cpu, firstResult: r.firstResult, edit: edited, shown: numbers ?? r.shown, numbersShown: numbers !== null,
           total: r.shown, editToTotal: r.shown - edited, pythonReady: r.pythonReady,
           snapshot: r.boot.snapshot, fallback: r.boot.fallback, runtime: r.boot.runtime, imports: r.boot.imports,
           prerendered: r.prerendered, derive_ms: r.derive.total_ms, python_ms: r.derive.python_ms, resnetTotal: r.total };
}

// each run in a new browser with an empty cache (a first visit), then once more in the same browser (a visit
// with the files and Chromium's compiled WebAssembly cached)
for (let k = 0; k < RUNS; k++) {
  const browser = await launch();
  try {
    out.firstEdit.snapshot.push(await firstEdit(browser, true));
    out.firstEdit.snapshotWarmCache.push(await firstEdit(browser, true));
  } finally {
    outsideAll.push(...browser.outside);
    await browser.close();
  }
}
for (let k = 0; k < RUNS_WITHOUT_SNAPSHOT; k++) {
  const browser = await launch();
  try {
    out.firstEdit.noSnapshot.push(await firstEdit(browser, false));
  } finally {
    outsideAll.push(...browser.outside);
    await browser.close();
  }
}

const { context, outside, close } = await launch();
try {
  // navigation -> first result (Pyodide boot, wheels, imports, first derive, table on screen)
  let page;
  for (let k = 0; k < 3; k++) {
    if (page) await page.close();
    ({ page } = await open(context, base));
    await ready(page);
    const t = await page.evaluate(() => window.__playground.timing);
    out.loads.push({ firstResult: t.firstResult, firstLive: t.firstLive, runtime: t.boot.runtime, imports: t.boot.imports,
                     pythonReady: t.pythonReady, snapshot: t.boot.snapshot, prerendered: !!(await page.evaluate(() => window.__playground.prerendered)) });
  }

  // a slider move -> every count updated on screen (input event to the last cell written)
  async function sliderRun(name, values) {
    const times = [], python = [], apply = [];
    await page.waitForTimeout(2000);     // the check and plot that follow a derive have finished
    for (const v of values) {
      const n = await page.evaluate(() => window.__playground.evaluations);
      await page.$eval(`#slider-${name}`, (el, v) => { el.value = v; el.dispatchEvent(new Event("input")); }, v);
      await page.waitForFunction((n) => window.__playground.evaluations > n, n);
      times.push(await page.evaluate(() => window.__playground.lastUpdateMs));
      python.push(await page.evaluate(() => window.__playground.lastEvaluatePythonMs));
      apply.push(await page.evaluate(() => window.__playground.lastApplyMs));
    }
    return { median: median(times), p95: p95(times), min: Math.min(...times), max: Math.max(...times), n: times.length,
      python_median: median(python), dom_median: median(apply) };
  }
  async function load(text) {
    const before = await page.evaluate(() => window.__playground.derives);
    await page.evaluate((t) => window.__playground.editor.setValue(t), text);
    await page.evaluate(() => window.__playground.deriveNow());
    await page.waitForFunction((n) => window.__playground.derives > n, before);
  }
  // an edit -> derive -> table on screen (the 250 ms typing pause not counted)
  async function rederive(texts) {
    const total = [], python = [];
    for (const t of texts) {
      await load(t);
      const d = await page.evaluate(() => window.__playground.lastDerive);
      total.push(d.total_ms);
      python.push(d.python_ms);
    }
    return { median: median(total), python_median: median(python), n: texts.length };
  }

  const seed = fs.readFileSync(new URL("../examples/seed002_mnist.arch", import.meta.url), "utf-8");
  const lecture = fs.readFileSync(new URL("../examples/lecture_symbolic.arch", import.meta.url), "utf-8");
  out.rederive.seed002 = await rederive([128, 256, 64, 512, 200, 256, 100].map((u) => seed.replace("dense 256", `dense ${u}`)));
  await load(lecture);
  out.slider.lecture_f = await sliderRun("f", Array.from({ length: 40 }, (_, i) => 8 + i));
  out.rederive.resnet50 = await rederive([1000, 10, 100, 1001, 500].map((c) => resnet.replace("let classes = 1000", `let classes = ${c}`)));
  out.slider.resnet50_n = await sliderRun("n", Array.from({ length: 30 }, (_, i) => 200 + 2 * i));
  out.resnetRows = await page.$$eval("#summary tbody tr", (rows) => rows.length);
} finally {
  out.outside = [...outsideAll, ...outside];
  await close();
}
console.log(JSON.stringify(out));
