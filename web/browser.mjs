// Debian's Chromium driven by playwright-core, for the browser tests, the benchmark and the screenshot.
// The network is closed except 127.0.0.1: other host names do not resolve, and any request that
// leaves localhost anyway is aborted and recorded (the page must work offline once built).
import { chromium } from "playwright-core";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

export async function launch() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "symparams-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"],
    viewport: { width: 1500, height: 1000 },
    permissions: ["clipboard-read", "clipboard-write"],
  });
  const outside = [];
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === "127.0.0.1" || url.protocol === "data:" || url.protocol === "blob:") return route.continue();
    outside.push(route.request().url());
    return route.abort();
  });
  context.on("request", (request) => {
    const url = new URL(request.url());
    if (!["127.0.0.1"].includes(url.hostname) && !["data:", "blob:"].includes(url.protocol)) outside.push(request.url());
  });
  const close = async () => {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  };
  return { context, outside, close, profile };
}

// CPU seconds (user + system, with the children it has reaped) of every process of the browser started with
// this profile: the browser process (found by its --user-data-dir) and its descendants (Linux /proc only)
export function browserCpuSeconds(profile) {
  const tick = 100;        // USER_HZ, 100 on Linux
  const procs = new Map();
  for (const pid of fs.readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf-8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf-8");
      procs.set(pid, { ppid: fields[1], cpu: [11, 12, 13, 14].reduce((sum, k) => sum + Number(fields[k]), 0), cmdline });
    } catch (err) {
      // the process ended while read
    }
  }
  const roots = [...procs].filter(([, p]) => p.cmdline.includes(`--user-data-dir=${profile}`) && !procs.get(p.ppid)?.cmdline.includes(`--user-data-dir=${profile}`));
  const tree = new Set(roots.map(([pid]) => pid));
  for (let grown = true; grown;) {
    grown = false;
    for (const [pid, p] of procs) if (!tree.has(pid) && tree.has(p.ppid)) { tree.add(pid); grown = true; }
  }
  return [...tree].reduce((sum, pid) => sum + procs.get(pid).cpu, 0) / tick;
}

// a page with the page's own errors collected (an uncaught error in the page fails a test)
export async function open(context, url) {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (err) => errors.push(String(err)));
  page.on("console", (msg) => { if (msg.type() === "error") errors.push(msg.text()); });
  await page.goto(url);
  return { page, errors };
}

// waits until Python is up and the first derive is on screen
export async function ready(page, timeout = 120000) {
  // Python up and the first live derive done (a pre-rendered first view comes before it)
  await page.waitForFunction(() => window.__playground && window.__playground.live && window.__playground.derives > 0,
                             null, { timeout });
}

// replace the editor's text the way a user does: select all, delete, type (key by key; an indented
// text is inserted as a paste, since CodeMirror indents each new line by itself)
export async function typeText(page, text) {
  await page.click(".CodeMirror");
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  if (/\n[ \t]/.test(text)) await page.keyboard.insertText(text);
  else await page.keyboard.type(text);
}

// a derive (of the page's own making) finished after `before` derives
export async function derived(page, before, timeout = 60000) {
  await page.waitForFunction((n) => window.__playground.derives > n, before, { timeout });
}
