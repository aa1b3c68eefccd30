// node web/precompile.mjs OUT.zip WHEEL...: the wheels installed into Pyodide's own Python (here in Node,
// the same runtime the page loads), compiled to bytecode and zipped as one site-packages archive, so the
// page imports SymPy from .pyc files instead of compiling about a thousand modules at every visit.
// Unchecked-hash pycs: valid whatever the file times are after unpacking. The packages' own test
// suites are left out (never imported, a third of SymPy).
import fs from "node:fs";
import { loadPyodide } from "pyodide";

const [out, ...wheels] = process.argv.slice(2);
const pyodide = await loadPyodide();
const purelib = pyodide.runPython("import site; site.getsitepackages()[0]");
const listing = `import os; sorted(os.listdir(${JSON.stringify(purelib)}))`;
const before = new Set(pyodide.runPython(listing).toJs());
for (const wheel of wheels) {
  // an explicit folder: in Node the default is the working directory
  pyodide.unpackArchive(new Uint8Array(fs.readFileSync(wheel)), "wheel", { extractDir: purelib });
}
const added = pyodide.runPython(listing).toJs().filter((name) => !before.has(name));
if (!added.length) throw new Error("the wheels installed nothing");
pyodide.globals.set("added", pyodide.toPy(added));
pyodide.runPython(`
import compileall, os, py_compile, re, site, zipfile
root = site.getsitepackages()[0]
skip = re.compile(r"/(tests|testing|benchmarks)(/|$)")
with zipfile.ZipFile("/tmp/site-packages.zip", "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
    for top in sorted(added):
        path = os.path.join(root, top)
        if os.path.isdir(path) and not compileall.compile_dir(
                path, quiet=1, workers=1, rx=skip, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH):
            raise SystemExit(f"compileall failed in {top}")
        for folder, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not skip.search("/" + d + "/"))
            for name in sorted(files):
                full = os.path.join(folder, name)
                zf.write(full, os.path.relpath(full, root))
        if os.path.isfile(path):
            zf.write(path, top)
`);
fs.writeFileSync(out, pyodide.FS.readFile("/tmp/site-packages.zip"));
