// The playground in a real browser (Debian's Chromium, headless, network closed but for 127.0.0.1).
// node playground.mjs BASE_URL CASES.json -> prints one JSON object of what the page showed;
// tests/browser/test_playground.py compares it with what the CLI prints.
import fs from "node:fs";
import { derived, launch, open, ready, typeText } from "../../web/browser.mjs";

const [base, casesFile] = process.argv.slice(2);
const cases = JSON.parse(fs.readFileSync(casesFile, "utf-8"));
const seen = { pageErrors: [] };

// the page has finished deriving the editor's current text (not an older one, none scheduled)
async function settled(page) {
  await page.waitForFunction(() => {
    const pg = window.__playground;
    return pg.ready && pg.derivedText === pg.editor.getValue();
  }, null, { timeout: 90000 });
  await page.waitForTimeout(50);
}
const text = (page, selector) => page.$eval(selector, (el) => el.textContent.trim());

const { context, outside, close } = await launch();
try {
  // 1. opened with no file and no fragment: seed 002 with its results
  const t0 = Date.now();
  const { page, errors } = await open(context, base);
  await ready(page);
  seen.bootMs = Date.now() - t0;
  // how Python started (the memory snapshot, or the normal way and why), and the first live derive (of the
  // default example) next to the derive pre-rendered at build time
  seen.boot = await page.evaluate(() => window.__playground.timing.boot);
  seen.firstLiveResult = await page.evaluate(() => window.__playground.lastResult);
  seen.prerendered = await page.evaluate(async () => (await (await fetch("site.json")).json()).prerendered);
  seen.showedPrerendered = await page.evaluate(() => !!window.__playground.prerendered);
  seen.defaultExample = await page.$eval("#examples", (el) => el.value);
  seen.defaultTotal = await text(page, "#total-params");

  // 2. type seed 002 over another example's text
  await page.selectOption("#examples", cases.lectureName);
  await settled(page);
  seen.beforeTyping = await text(page, "#total-params");
  await typeText(page, cases.seed002);
  await settled(page);
  seen.typedText = await page.evaluate(() => window.__playground.editor.getValue());
  seen.typedTotal = await text(page, "#total-params");
  seen.rowCounts = await page.$$eval("#summary td.count", (tds) => tds.map((td) => td.textContent));
  seen.katexFormulas = await page.$$eval("#summary td.formula .katex", (els) => els.length);
  // the table laid out from the numbers call before the formulas came (app.js showNumbers)
  seen.typedNumbers = await page.evaluate(() => window.__playground.numbersShown);

  // 3. an error on line 2: the CLI's message, marked at its line and column
  await page.evaluate((line) => {
    const ed = window.__playground.editor;
    ed.focus();
    ed.setCursor({ line: line - 1, ch: ed.getLine(line - 1).length });
  }, cases.errorLine);
  await page.keyboard.type(cases.errorSuffix);
  await settled(page);
  seen.errorText = await text(page, "#error");
  seen.errorVisible = await page.isVisible("#error");
  seen.errorMarkedLines = await page.evaluate(() => {
    const ed = window.__playground.editor;
    const out = [];
    for (let i = 0; i < ed.lineCount(); i++) {
      const info = ed.lineInfo(i);
      if ((info.bgClass || "").includes("error-line") && info.gutterMarkers && info.gutterMarkers.errors) out.push(i + 1);
    }
    return out;
  });
  seen.errorMark = await page.evaluate(() => {
    const m = window.__playground.editor.getAllMarks().find((x) => x.className === "cm-error-mark");
    if (!m) return null;
    const r = m.find();
    return { line: r.from.line + 1, column: r.from.ch + 1 };
  });
  seen.errorMarkVisible = await page.isVisible(".cm-error-mark");

  // 4. the lecture example: the f slider moved with the keyboard, no re-derive
  await page.selectOption("#examples", cases.lectureName);
  await settled(page);
  seen.lectureTotal = await text(page, "#total-params");
  seen.sliders = await page.$$eval("#sliders input[type=range]", (els) => els.map((e) => e.id));
  seen.katexTotals = await page.$$eval("#totals .katex", (els) => els.length);
  const derivesBefore = await page.evaluate(() => window.__playground.derives);
  const slider = page.locator("#slider-f");
  await slider.focus();
  const start = Number(await slider.inputValue());
  seen.updateMs = [];
  for (let v = start; v < cases.f; v++) {
    const evals = await page.evaluate(() => window.__playground.evaluations);
    await page.keyboard.press("ArrowRight");
    await page.waitForFunction((n) => window.__playground.evaluations > n, evals);
    seen.updateMs.push(await page.evaluate(() => window.__playground.lastUpdateMs));
  }
  await page.waitForFunction((f) => document.querySelector("#value-f").value === String(f), cases.f);
  await page.waitForTimeout(200);
  seen.fValue = await page.$eval("#value-f", (el) => el.value);
  seen.movedTotal = await text(page, "#total-params");
  seen.derivesDuringSlider = (await page.evaluate(() => window.__playground.derives)) - derivesBefore;
  seen.evaluatedWhere = await page.evaluate(() => window.__playground.lastEvaluateWhere);
  // the page's BigInt translation of the compiled counts against Python's own evaluation of them
  seen.pageVsPython = await page.evaluate(async () => {
    const here = evaluateHere();
    const python = await rpc("evaluate", [values]);
    return { same: JSON.stringify([here.rows, here.totals, here.broken]) === JSON.stringify([python.rows, python.totals, python.broken]),
      rows: here.rows.length };
  });

  // 5. solve, plot and LaTeX on the same state
  await page.selectOption("#solve-symbol", "f");
  await page.fill("#solve-target", String(cases.solveBudget));
  await page.click("#solve-form button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#solve-out").textContent.includes("method"));
  seen.solveText = await text(page, "#solve-out");
  seen.plotPoints = await page.$$eval("#plot path.curve", (els) => els.length ? els[0].getAttribute("d").split(/[ML]/).length - 1 : 0);
  await page.click("button[data-latex=totals]");
  await page.waitForFunction(() => window.__playground.lastCopied);
  seen.latexTotals = await page.evaluate(() => window.__playground.lastCopied);
  seen.clipboard = await page.evaluate(() => navigator.clipboard.readText()).catch((e) => "unreadable: " + e);
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#slides")]);
  seen.slidesName = download.suggestedFilename();
  seen.slides = fs.readFileSync(await download.path(), "utf-8");

  // 6. the link shares the exact state
  await page.waitForFunction((f) => location.hash.includes("v=") && location.hash.includes(`f:${f}`), cases.f);
  seen.sharedUrl = page.url();
  const state = await page.evaluate(() => ({ text: window.__playground.editor.getValue() }));
  const second = await open(context, seen.sharedUrl);
  await ready(second.page);
  await settled(second.page);
  seen.shared = {
    sameText: (await second.page.evaluate(() => window.__playground.editor.getValue())) === state.text,
    fValue: await second.page.$eval("#value-f", (el) => el.value),
    total: await text(second.page, "#total-params"),
    example: await second.page.$eval("#examples", (el) => el.value),
  };
  seen.pageErrors = errors.concat(second.errors);
  await second.page.close();

  // 7. values where the network cannot exist: flagged at once, then the real engine's message
  await page.fill("#value-n", String(cases.badN));
  await page.waitForSelector("#broken", { state: "visible" });
  seen.broken = await text(page, "#broken");
  await page.waitForFunction(() => document.querySelector("#error").textContent.startsWith("At these values"), null, { timeout: 60000 });
  seen.checkText = await text(page, "#error");
  await page.close();
} catch (err) {
  seen.failure = String(err.stack || err);
} finally {
  seen.outside = outside;
  await close();
}
console.log(JSON.stringify(seen));
