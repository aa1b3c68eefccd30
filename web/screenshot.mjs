// node web/screenshot.mjs URL OUT.png: the page at URL (a shared-link fragment) once derived and plotted.
import { launch, open, ready } from "./browser.mjs";

const [url, out] = process.argv.slice(2);
const { context, outside, close } = await launch();
try {
  const { page, errors } = await open(context, url);
  await page.setViewportSize({ width: 1400, height: 900 });
  await ready(page);
  await page.waitForSelector("#plot svg path.curve");
  await page.waitForTimeout(300);
  await page.screenshot({ path: out, fullPage: false });
  if (errors.length || outside.length) throw new Error(`page errors ${errors} / outside requests ${outside}`);
} finally {
  await close();
}
