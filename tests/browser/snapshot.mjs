// The page without its memory snapshot (Debian's Chromium, headless, network closed but for 127.0.0.1):
// node snapshot.mjs BASE_URL -> one JSON object, per case how Python started and what the page derived.
// The site is the real build; each case changes what the browser receives:
//   absent  - the snapshot file answers 404
//   stale   - site.json expects a snapshot made for other archives (another key)
//   failed  - the snapshot file is not a snapshot (1 MB of other bytes)
import { launch, open, ready } from "../../web/browser.mjs";

const [base] = process.argv.slice(2);
const seen = { cases: {}, pageErrors: [] };
const cases = {
  absent: (page) => page.route("**/python/snapshot-*.bin", (route) => route.fulfill({ status: 404, body: "" })),
  stale: (page) => page.route("**/site.json", async (route) => {
    const response = await route.fetch();
    const site = await response.json();
    site.snapshot.key = "0".repeat(64);
    await route.fulfill({ response, json: site });
  }),
  failed: (page) => page.route("**/python/snapshot-*.bin", (route) =>
    route.fulfill({ status: 200, contentType: "application/octet-stream", body: Buffer.alloc(1 << 20, 7) })),
};

const { context, outside, close } = await launch();
try {
  for (const [name, change] of Object.entries(cases)) {
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (err) => errors.push(String(err)));
    await change(page);
    await page.goto(base);
    await ready(page, 180000);
    seen.cases[name] = await page.evaluate(async () => {
      const pg = window.__playground;
      const result = { ...pg.lastResult };
      delete result.python_ms;
      return { boot: pg.timing.boot, total: document.getElementById("total-params").textContent.trim(),
               result, prerendered: (await (await fetch("site.json")).json()).prerendered.result };
    });
    seen.pageErrors.push(...errors);
    await page.close();
  }
} catch (err) {
  seen.failure = String(err.stack || err);
} finally {
  seen.outside = outside;
  await close();
}
console.log(JSON.stringify(seen));
