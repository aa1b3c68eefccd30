// The engine's thread: Pyodide with the wheels the site ships, and symparams.web.call for every request.
// The page never waits on Python: a derive of a large network runs here while the page stays responsive.
//
// Python starts from the site's memory snapshot when there is a valid one (web/snapshot.mjs: SymPy and
// symparams.web already imported; restoring it is about a second where starting Python and importing takes
// several), else the normal way: Pyodide's runtime, the archives unpacked, the imports. The snapshot is not
// used, and Python starts the normal way, when site.json names none or its file is missing (absent), when it was
// made for other archives or another Pyodide build (stale), or when restoring it fails or hangs (failed).
const siteJson = fetch("site.json").then((response) => response.json());     // while Pyodide's script loads
importScripts("pyodide/pyodide.js");

const SNAPSHOT_MAGIC = 1886286592;      // Pyodide's snapshot header: its first 32-bit word
const SNAPSHOT_SECONDS = 30;            // a restore not finished by then is given up

class Stale extends Error {}
class Absent extends Error {}

async function fetched(url) {
  const response = await fetch(url);
  if (!response.ok) throw new (response.status === 404 ? Absent : Error)(`${url}: HTTP ${response.status}`);
  return response.arrayBuffer();
}

// the header is checked before Pyodide sees the file: given memory it cannot create, Pyodide waits forever
// instead of failing
function checkHeader(bytes, expected) {
  if (bytes.byteLength < 48) throw new Error(`${expected.file} is not a Pyodide snapshot (${bytes.byteLength} bytes)`);
  const words = new Uint32Array(bytes, 0, 12);
  const [magic, offset, jsonLength] = words;
  if (magic !== SNAPSHOT_MAGIC || offset < 48 + jsonLength || offset > bytes.byteLength
      || (bytes.byteLength - offset) % 65536 !== 0) {
    throw new Error(`${expected.file} is not a Pyodide snapshot`);
  }
  const build = Array.from(words.subarray(4, 12), (w) => w.toString(16).padStart(8, "0")).join("");
  if (build !== expected.build_id) throw new Stale(`${expected.file} was made by another Pyodide build`);
}

function timeout(promise, seconds, what) {
  return Promise.race([promise, new Promise((_, reject) =>
    setTimeout(() => reject(new Error(`${what} took more than ${seconds} s`)), seconds * 1000))]);
}

async function fromSnapshot(site, indexURL, downloads) {
  const snap = site.snapshot;
  const bytes = await fetched(snap.file);
  checkHeader(bytes, snap);
  const pyodide = await timeout(loadPyodide({ indexURL, _loadSnapshot: new Uint8Array(bytes) }),
                                SNAPSHOT_SECONDS, "restoring the snapshot");
  // the archives back at the paths Python imported them from (its memory holds their zip directories)
  for (const { archive, path } of snap.mounts) {
    pyodide.FS.mkdirTree(path.slice(0, path.lastIndexOf("/")));
    pyodide.FS.writeFile(path, new Uint8Array(await downloads[site.archives.indexOf(archive)]));
  }
  const key = pyodide.runPython("import sys; getattr(sys, '_symparams_snapshot', None)");
  if (key !== snap.key) throw new Stale(`${snap.file} was made for other archives`);
  return pyodide;
}

async function normalBoot(site, indexURL, downloads, booting) {
  const pyodide = await (booting || loadPyodide({ indexURL }));
  if (site.archives) {
    // the same wheels, installed and compiled to bytecode at build time (web/precompile.mjs)
    const purelib = pyodide.runPython("import site; site.getsitepackages()[0]");
    for (const archive of downloads) pyodide.unpackArchive(await archive, "zip", { extractDir: purelib });
  } else {
    // pure-Python wheels, unpacked straight into site-packages (no micropip, no index, no network)
    for (const wheel of downloads) pyodide.unpackArchive(await wheel, "wheel");
  }
  return pyodide;
}

let call = null;
const ready = (async () => {
  const t0 = performance.now();
  const indexURL = new URL("pyodide/", self.location).href;
  const site = await siteJson;
  // without a snapshot, Pyodide's runtime boots while the archives download
  const booting = site.snapshot ? null : loadPyodide({ indexURL });
  const downloads = (site.archives || site.wheels.map((name) => "wheels/" + name)).map(fetched);
  downloads.forEach((d) => d.catch(() => {}));     // a failed download is reported where it is awaited
  let pyodide = null;
  let fallback = site.snapshot ? null : "absent: site.json names no snapshot";
  if (site.snapshot) {
    try {
      pyodide = await fromSnapshot(site, indexURL, downloads);
    } catch (err) {
      const kind = err instanceof Absent ? "absent" : err instanceof Stale ? "stale" : "failed";
      fallback = `${kind}: ${String(err.message || err).slice(0, 300)}`;
    }
  }
  const snapshot = pyodide !== null;
  if (!snapshot) pyodide = await normalBoot(site, indexURL, downloads, booting);
  const t1 = performance.now();
  pyodide.runPython("import symparams.web, sympy");
  call = pyodide.pyimport("symparams.web").call;
  const t2 = performance.now();
  return { runtime: t1 - t0, imports: t2 - t1, snapshot, fallback };
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
