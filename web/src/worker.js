// The engine's thread: Pyodide with the wheels the site ships, and symparams.web.call for every request.
// The page never waits on Python: a derive of a large network runs here while the page stays responsive.
importScripts("pyodide/pyodide.js");

let call = null;
const ready = (async () => {
  const t0 = performance.now();
  const fetched = async (url) => {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    return response.arrayBuffer();
  };
  // Pyodide's runtime boots while site.json and the archives download: the downloads are started
  // before the runtime is awaited, and unpacked once both are there
  const booting = loadPyodide({ indexURL: new URL("pyodide/", self.location).href });
  const site = await (await fetch("site.json")).json();
  const downloads = (site.archives || site.wheels.map((name) => "wheels/" + name)).map(fetched);
  downloads.forEach((d) => d.catch(() => {}));     // a failed download is reported where it is awaited
  const pyodide = await booting;
  const t1 = performance.now();
  if (site.archives) {
    // the same wheels, installed and compiled to bytecode at build time (web/precompile.mjs)
    const purelib = pyodide.runPython("import site; site.getsitepackages()[0]");
    for (const archive of downloads) pyodide.unpackArchive(await archive, "zip", { extractDir: purelib });
  } else {
    // pure-Python wheels, unpacked straight into site-packages (no micropip, no index, no network)
    for (const wheel of downloads) pyodide.unpackArchive(await wheel, "wheel");
  }
  pyodide.runPython("import symparams.web, sympy");
  call = pyodide.pyimport("symparams.web").call;
  const t2 = performance.now();
  return { runtime: t1 - t0, imports: t2 - t1 };
})();

self.onmessage = async (event) => {
  const { id, method, args } = event.data;
  if (method === "boot") {
    try {
      postMessage({ id, result: JSON.stringify({ ok: true, timing: await ready }) });
    } catch (err) {
      postMessage({ id, result: JSON.stringify({ ok: false, error: { kind: "error", text: "could not start Python: " + err } }) });
    }
    return;
  }
  try {
    await ready;
    const t = performance.now();
    const result = call(method, JSON.stringify(args));
    postMessage({ id, result, ms: performance.now() - t });
  } catch (err) {
    // a bug, not a user error: symparams.web turns every SymparamsError into {ok: false}
    postMessage({ id, result: JSON.stringify({ ok: false, error: { kind: "internal error", text: "internal error: " + String(err).slice(-2000) } }) });
  }
};
