// The playground's layout with big models (issue 22): node layout.mjs BASE_URL CASES.json OUTDIR
// loads each case's text, then measures element boxes: no cell's content spills out of its cell,
// no slider label overlaps its slider, every plot tick label lies inside the plot; a screenshot of
// each case goes to OUTDIR. Prints one JSON object per run.
import fs from "node:fs";
import path from "node:path";
import { launch, open, ready } from "../../web/browser.mjs";

const [base, casesFile, outDir] = process.argv.slice(2);
const cases = JSON.parse(fs.readFileSync(casesFile, "utf-8"));
const seen = { pageErrors: [], cases: {} };

async function settled(page) {
  await page.waitForFunction(() => {
    const pg = window.__playground;
    return pg.ready && pg.derivedText === pg.editor.getValue();
  }, null, { timeout: 120000 });
  await page.waitForTimeout(300);
}

const { context, outside, close } = await launch();
try {
  const { page, errors } = await open(context, base);
  await ready(page);
  for (const [name, text] of Object.entries(cases)) {
    await page.evaluate((t) => window.__playground.editor.setValue(t), text);
    await settled(page);
    await page.waitForFunction(() => document.querySelectorAll("#plot svg").length > 0, null, { timeout: 60000 }).catch(() => {});
    await page.waitForTimeout(300);
    seen.cases[name] = await page.evaluate(() => {
      const box = (el) => el.getBoundingClientRect();
      const overlap = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
      const spills = [];
      for (const cell of document.querySelectorAll("#summary td, #summary th, #totals td")) {
        if (cell.scrollWidth > cell.clientWidth + 1) spills.push(`${cell.className}: ${cell.textContent.slice(0, 60)}`);
      }
      const sliderOverlaps = [];
      for (const row of document.querySelectorAll("#sliders .slider")) {
        const [label, range, number] = row.children;
        if (overlap(box(label), box(range)) || overlap(box(range), box(number))) sliderOverlaps.push(label.textContent);
        const math = label.querySelector(".katex") || label;
        if (box(math).right > box(label).right + 1 || box(math).left < box(label).left - 1) sliderOverlaps.push("cut: " + label.textContent);
      }
      const svg = document.querySelector("#plot svg");
      const ticksOutside = [];
      if (svg) {
        const frame = box(svg);
        for (const t of svg.querySelectorAll("text")) {
          const b = box(t);
          if (t.textContent && (b.left < frame.left - 1 || b.right > frame.right + 1)) ticksOutside.push(t.textContent);
        }
      }
      const table = box(document.querySelector("#summary"));
      const right = box(document.querySelector("#right"));
      return {
        rows: document.querySelectorAll("#summary tbody tr").length,
        total: document.querySelector("#total-params")?.textContent.trim(),
        spills, sliderOverlaps, ticksOutside,
        tableInside: table.right <= right.right + 1,
        labels: [...document.querySelectorAll("#summary td.label")].map((td) => td.textContent),
        ticks: svg ? [...svg.querySelectorAll("text.tick")].map((t) => t.textContent) : [],
        constraints: [...document.querySelectorAll("#constraints li")].map((li) => li.textContent),
        legend: document.querySelector("#legend").hidden ? "" : document.querySelector("#legend").textContent,
        sliderTitles: [...document.querySelectorAll("#sliders label")].map((l) => l.title),
      };
    });
    await page.screenshot({ path: path.join(outDir, `${name}.png`), fullPage: true });
  }
  seen.pageErrors = errors;
  await page.close();
} catch (err) {
  seen.failure = String(err.stack || err);
} finally {
  seen.outside = outside;
  await close();
}
console.log(JSON.stringify(seen));
