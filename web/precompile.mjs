// node web/precompile.mjs OUT.zip WHEEL...: the wheels installed into Pyodide's own Python (here in Node,
// the same runtime the page loads), compiled to bytecode and zipped as one site-packages archive, so the
// page imports SymPy from .pyc files instead of compiling about a thousand modules at every visit.
// Each module is in the archive once, as a sourceless module.pyc in its package folder (no .py beside
// it: the archive was 13.5 MB with both). Unchecked-hash pycs: valid whatever the file times are; the entries
// carry no file times either, so the same wheels give the same bytes. The packages' own test
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
import os, py_compile, re, site, zipfile
root = site.getsitepackages()[0]

def add(zf, path, name):
    # entries without file times: the same wheels give the same archive bytes at every build (the site names
    # its archives by their hash, and the memory snapshot is made for exactly those bytes)
    entry = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    entry.external_attr = 0o644 << 16
    with open(path, "rb") as f:
        zf.writestr(entry, f.read(), zipfile.ZIP_DEFLATED, 6)

skip = re.compile(r"/(tests|testing|benchmarks)(/|$)")
with zipfile.ZipFile("/tmp/site-packages.zip", "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
    for top in sorted(added):
        path = os.path.join(root, top)
        for folder, dirs, files in os.walk(path) if os.path.isdir(path) else [(root, [], [top])]:
            dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not skip.search("/" + d + "/"))
            for name in sorted(files):
                full = os.path.join(folder, name)
                rel = os.path.relpath(full, root)
                if name.endswith(".py"):
                    # sourceless: module.pyc where module.py was, the source left out (Python imports a
                    # lone .pyc there); the archive holds each module once, not its source and bytecode
                    py_compile.compile(full, cfile=full + "c", dfile=rel, doraise=True,
                                       invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
                    add(zf, full + "c", rel + "c")
                elif not name.endswith(".pyc"):
                    add(zf, full, rel)
`);
fs.writeFileSync(out, pyodide.FS.readFile("/tmp/site-packages.zip"));
