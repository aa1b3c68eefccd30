// node benchmarks/browser.mjs BASE_URL RESNET50_TEXT_FILE -> one JSON object of timings (ms), measured in
// Debian's Chromium (headless, network closed but for 127.0.0.1) on the built playground.
import fs from "node:fs";
import { launch, open, ready } from "../web/browser.mjs";

const [base, resnetFile] = process.argv.slice(2);
const resnet = fs.readFileSync(resnetFile, "utf-8");
const out = { loads: [], slider: {}, rederive: {} };
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const p95 = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(s.length * 0.95))]; };

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
                     pythonReady: t.pythonReady, prerendered: !!(await page.evaluate(() => window.__playground.prerendered)) });
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
  out.outside = outside;
  await close();
}
console.log(JSON.stringify(out));
