// node web/snapshot.mjs OUT KEY FS_PATH=ARCHIVE... [-- WARMUP.arch...]: a memory snapshot of Pyodide (the same
// runtime the page loads, here in Node) with SymPy and symparams.web imported, written to OUT. The page's worker
// restores it instead of starting Python and importing SymPy (seconds) and only writes the archives back at the
// same FS_PATHs.
//
// The archives are imported as zip files on sys.path (zipimport), not unpacked: Python's memory then holds the
// zip directories it read, so after a restore writing the same bytes at the same paths is all the file system
// needs (milliseconds), where unpacking them again took seconds. KEY (the archives' hash) is kept in Python's
// memory as sys._symparams_snapshot: the page uses the snapshot only when it equals the key in site.json.
//
// Before the snapshot every call of the page runs once on each WARMUP file (numbers, derive, evaluate, check, plot,
// solve, latex), so the modules they import lazily are in memory too; then the session and SymPy's cache are
// cleared, so the snapshot holds no network of its own.
import fs from "node:fs";
import { loadPyodide } from "pyodide";

const args = process.argv.slice(2);
const split = args.indexOf("--");
const [out, key, ...mounts] = split < 0 ? args : args.slice(0, split);
const warmups = split < 0 ? [] : args.slice(split + 1);

const pyodide = await loadPyodide({ _makeSnapshot: true });
const paths = [];
for (const mount of mounts) {
  const [target, source] = mount.split("=");
  pyodide.FS.mkdirTree(target.slice(0, target.lastIndexOf("/")));
  pyodide.FS.writeFile(target, new Uint8Array(fs.readFileSync(source)));
  paths.push(target);
}
pyodide.globals.set("paths", pyodide.toPy(paths));
pyodide.globals.set("key", key);
pyodide.globals.set("warmups", pyodide.toPy(warmups.map((file) => [file.split("/").pop(), fs.readFileSync(file, "utf-8")])));
pyodide.runPython(`
def _prepare(paths, key, warmups):
    import gc, json, sys
    sys.path[0:0] = paths
    import sympy
    import symparams.web as web
    for name, text in warmups:
        calls = [("numbers", [text, "", name]), ("derive", [text, "", name]), ("evaluate", [{}]), ("check", [{}]), ("latex", [["table"], "fragment", {}])]
        symbols = json.loads(web.call("derive", json.dumps([text, "", name]))).get("sliders") or []
        if symbols:
            s = symbols[0]["name"]
            calls += [("plot", ["params", s, 1, 8, {}]), ("solve", [s, "at_most", "1000000", "params", {}])]
        for method, call_args in calls:
            result = json.loads(web.call(method, json.dumps(call_args)))
            if not result.get("ok"):
                raise SystemExit(f"warm-up {method} on {name} failed: {result}")
    web.SESSION = web.Session()        # the page starts with no network derived
    sympy.core.cache.clear_cache()
    sys._symparams_snapshot = key
    gc.collect()

_prepare(paths, key, warmups)
del _prepare, paths, key, warmups
`);
fs.writeFileSync(out, pyodide.makeMemorySnapshot());
