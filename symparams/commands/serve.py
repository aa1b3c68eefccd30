"""symparams serve: the playground, a static site that runs symparams itself in the browser.

`--build DIR` writes the site and exits; without it the site is built when its sources changed,
served on 127.0.0.1 and opened in a browser. Everything the page loads is copied into the site
at build time (the Pyodide runtime, CodeMirror and KaTeX from web/node_modules; wheels of
symparams, sympy, mpmath and lark), so the page needs no network once built.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

from .. import conventions
from ..errors import MissingDependencyError, UsageError

STAMP = "symparams-site.json"
RUNTIME_WHEELS = ("sympy", "mpmath", "lark")     # pure-Python wheels the engine imports
DEFAULT_EXAMPLE = "seed002_mnist.arch"
VENDOR = {                      # node_modules path -> site path: what the page loads
    "pyodide/pyodide.js": "pyodide/pyodide.js",
    "pyodide/pyodide.asm.js": "pyodide/pyodide.asm.js",
    "pyodide/pyodide.asm.wasm": "pyodide/pyodide.asm.wasm",
    "pyodide/python_stdlib.zip": "pyodide/python_stdlib.zip",
    "pyodide/pyodide-lock.json": "pyodide/pyodide-lock.json",
    "codemirror/lib/codemirror.js": "vendor/codemirror/codemirror.js",
    "codemirror/lib/codemirror.css": "vendor/codemirror/codemirror.css",
    "codemirror/addon/mode/simple.js": "vendor/codemirror/simple.js",
    "katex/dist/katex.min.js": "vendor/katex/katex.min.js",
    "katex/dist/katex.min.css": "vendor/katex/katex.min.css",
    "katex/dist/fonts": "vendor/katex/fonts",
}


def add_parser(sub):
    p = sub.add_parser("serve", help="the playground in the browser (build the static site, serve it)",
                       description="Build the playground (a static site running symparams in the browser "
                                   "with Pyodide) and serve it on 127.0.0.1, opening FILE in it; "
                                   "--build DIR only writes the site to DIR.")
    p.add_argument("file", metavar="FILE", nargs="?", help="architecture file to open in the page")
    p.add_argument("--build", metavar="DIR", help="write the static site to DIR and exit")
    p.add_argument("--dir", metavar="DIR", help="where serve keeps its build (default: web/site in the checkout)")
    p.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default 8000; 0: any free port)")
    p.add_argument("--no-open", action="store_true", help="do not open a browser")
    p.set_defaults(run=run)


def run(args) -> int:
    if args.build:
        if args.file:
            raise UsageError("--build writes the site only; open a file with 'symparams serve FILE'")
        check_target(Path(args.build))          # before npm, pip and node run: a bad target fails at once
        out = build(Path(args.build), log=_log)
        _log(f"site written to {out}")
        return 0
    fragment = ""
    if args.file:
        if Path(args.file).is_dir():        # 'serve site' after 'serve --build site': FILE is one architecture file
            raise UsageError(f"{args.file} is a directory; 'symparams serve FILE' opens one architecture file "
                             f"in the playground", hint=f"to build the site into {args.file}: symparams serve "
                             f"--build {args.file}; to serve the site kept there: symparams serve --dir {args.file}")
        from ..files import read_bounded
        from ..limits import MAX_SOURCE_BYTES
        data = read_bounded(args.file, MAX_SOURCE_BYTES, what="architecture file", error=UsageError)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UsageError(f"cannot read {args.file}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        fragment = share_fragment(text, name=Path(args.file).name)
    site = Path(args.dir) if args.dir else checkout() / "web" / "site"
    if needs_build(site):
        build(site, log=_log)
    serve(site, args.port, fragment, open_browser=not args.no_open)
    return 0


def check_target(dest: Path) -> None:
    """The folder --build writes: refused before any work when it is a file, its parent folder is
    missing or not writable, or it holds something other than a playground build."""
    if dest.exists() and not dest.is_dir():
        raise UsageError(f"--build {dest}: it is a file, not a folder; give a new or empty folder")
    parent = dest.resolve().parent
    if not parent.is_dir():
        raise UsageError(f"--build {dest}: the folder {parent} does not exist; create it first")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"--build {dest}: the folder {parent} is not writable")
    if dest.is_dir() and any(dest.iterdir()) and not (dest / STAMP).exists():
        raise UsageError(f"{dest.resolve()} is not empty and holds no playground build; give an empty or new folder")


def _log(message: str) -> None:
    from ..errors import printable
    print(printable(f"symparams serve: {message}"), file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- sources

def checkout() -> Path:
    """The source checkout this package runs from: the site is built from its web/ folder."""
    root = Path(__file__).resolve().parent.parent.parent
    if not (root / "web" / "package.json").is_file() or not (root / "pyproject.toml").is_file():
        raise UsageError("the playground is built from a source checkout of symparams (its web/ folder); "
                         f"none found at {root}")
    return root


def _sources(root: Path) -> list[Path]:
    files = [root / "pyproject.toml", root / "web" / "package-lock.json", root / "web" / "precompile.mjs",
             root / "web" / "snapshot.mjs"]
    for folder, pattern in (("symparams", "*.py"), ("grammar", "*.lark"), ("web/src", "*"), ("examples", "*.arch")):
        files += sorted(p for p in (root / folder).rglob(pattern) if p.is_file() and "__pycache__" not in p.parts)
    return files


def source_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in _sources(root):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def needs_build(site: Path) -> bool:
    try:
        stamp = json.loads((site / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return True
    return stamp.get("sources") != source_hash(checkout())


# ----------------------------------------------------------------------------- build

def _run(cmd, cwd, what: str) -> None:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-12:]
        raise UsageError(f"{what} failed ({' '.join(map(str, cmd[:4]))} ...):\n  " + "\n  ".join(tail))


def node_modules(root: Path, log=None) -> Path:
    """web/node_modules, installed from the lockfile with `npm ci` when missing."""
    web = root / "web"
    modules = web / "node_modules"
    installed = modules / ".package-lock.json"       # npm's record of what node_modules holds
    if not installed.exists() or installed.stat().st_mtime < (web / "package-lock.json").stat().st_mtime \
            or not all((modules / src).exists() for src in VENDOR):
        npm = shutil.which("npm")
        if npm is None:
            raise MissingDependencyError("npm is needed to build the playground (Debian: apt-get install npm)")
        if log:
            log("npm ci in web/ (Pyodide, CodeMirror, KaTeX)")
        _run([npm, "ci", "--no-audit", "--no-fund"], web, "npm ci")
    return modules


def _installed_version(name: str) -> str | None:
    from importlib import metadata
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def wheels(root: Path, dest: Path, log=None) -> list[str]:
    """A wheel of this checkout, and the pure-Python wheels it runs on, in the same versions as
    the CLI here (so the page computes what the CLI prints); downloads are cached in web/.cache."""
    dest.mkdir(parents=True, exist_ok=True)
    cache = root / "web" / ".cache" / "wheels"
    cache.mkdir(parents=True, exist_ok=True)
    wanted = [f"{n}=={v}" if (v := _installed_version(n)) else n for n in RUNTIME_WHEELS]
    cached = [next(cache.glob(f"{w.split('==')[0]}-{w.split('==')[1]}-*.whl"), None) if "==" in w else None
              for w in wanted]
    if not all(cached):
        if log:
            log("pip download " + " ".join(wanted))
        _run([sys.executable, "-m", "pip", "download", "-q", "--only-binary=:all:", "--no-deps",
              "-d", str(cache), *wanted], root, "pip download")
    names = []
    for w in wanted:
        name = w.split("==")[0]
        found = sorted(cache.glob(f"{name}-{w.split('==')[1]}-*.whl" if "==" in w else f"{name}-*.whl"))
        found = [p for p in found if p.name.endswith("-py3-none-any.whl") or "-none-any" in p.name]
        if not found:
            raise UsageError(f"no pure-Python wheel of {w} was downloaded")
        shutil.copy2(found[-1], dest / found[-1].name)
        names.append(found[-1].name)
    if log:
        log("packing the symparams wheel from this checkout")
    names.append(pure_wheel(root, dest).name)
    return names


def pure_wheel(root: Path, dest: Path) -> Path:
    """symparams as a pure-Python wheel, packed directly from the checkout's sources.

    The site only unpacks it into Pyodide's site-packages (web/precompile.mjs), so no build backend is
    needed: packing the files ourselves works in a fresh venv, where Python 3.11's setuptools 65 has no
    `wheel` package and `pip wheel --no-build-isolation` fails with "invalid command 'bdist_wheel'",
    and it needs no network for an isolated build either."""
    import zipfile

    from .. import __version__

    tag = f"symparams-{__version__}"
    info = f"{tag}.dist-info"
    files: list[tuple[str, bytes]] = []
    for folder, package in ((root / "symparams", "symparams"), (root / "grammar", "symparams/grammar")):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix in (".py", ".lark"):
                files.append((f"{package}/{path.relative_to(folder).as_posix()}", path.read_bytes()))
    requires = "".join(f"Requires-Dist: {name}\n" for name in RUNTIME_WHEELS)
    files.append((f"{info}/METADATA", f"Metadata-Version: 2.1\nName: symparams\nVersion: {__version__}\n"
                                      f"Requires-Python: >=3.10\n{requires}".encode()))
    files.append((f"{info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: symparams serve\nRoot-Is-Purelib: true\n"
                                   b"Tag: py3-none-any\n"))
    record = [f"{name},sha256={_digest(data)},{len(data)}" for name, data in files] + [f"{info}/RECORD,,"]
    files.append((f"{info}/RECORD", ("\n".join(record) + "\n").encode()))
    out = dest / f"{tag}-py3-none-any.whl"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as wheel:
        for name, data in files:
            entry = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))      # reproducible
            entry.external_attr, entry.compress_type = 0o644 << 16, zipfile.ZIP_DEFLATED
            wheel.writestr(entry, data)
    return out


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def precompiled(root: Path, site: Path, wheel_names: list[str], pyodide_version: str, log=None) -> list[str]:
    """The wheels installed and compiled to bytecode by Pyodide itself (web/precompile.mjs, in Node):
    the page imports .pyc files instead of compiling SymPy at every visit. The dependencies' archive
    is cached in web/.cache by wheel names and Pyodide version; the package's is made each build."""
    node = shutil.which("node")
    if node is None:
        raise MissingDependencyError("Node.js is needed to build the playground (Debian: apt-get install nodejs)")
    out = site / "python"
    out.mkdir(parents=True, exist_ok=True)
    deps = sorted(n for n in wheel_names if not n.startswith("symparams-"))
    # the archive's layout is part of the key: an archive cached by an older precompile.mjs is not reused
    layout = hashlib.sha256((root / "web" / "precompile.mjs").read_bytes()).hexdigest()[:8]
    key = hashlib.sha256(json.dumps([deps, pyodide_version, layout]).encode()).hexdigest()[:16]
    cache = root / "web" / ".cache" / "python" / f"deps-{key}.zip"
    if not cache.exists():
        cache.parent.mkdir(parents=True, exist_ok=True)
        if log:
            log("compiling sympy, mpmath and lark to bytecode in Pyodide (once per version)")
        part = cache.with_name(f"{cache.stem}.{os.getpid()}.part")     # two builds at once each write their own
        _run([node, str(root / "web" / "precompile.mjs"), str(part), *[str(site / "wheels" / n) for n in deps]],
             root / "web", "precompiling the dependencies")
        part.replace(cache)
    own = [n for n in wheel_names if n.startswith("symparams-")]
    _run([node, str(root / "web" / "precompile.mjs"), str(out / "symparams.zip"), str(site / "wheels" / own[0])],
         root / "web", "precompiling symparams")
    # named by their contents: a browser's cached copy of an earlier build's archive is never taken for this
    # build's (the memory snapshot holds the zip directories of exactly these bytes)
    names = []
    for path, stem in ((cache, "deps"), (out / "symparams.zip", "symparams")):
        data = path.read_bytes()
        name = f"{stem}-{hashlib.sha256(data).hexdigest()[:16]}.zip"
        (out / name).write_bytes(data)
        names.append(f"python/{name}")
    (out / "symparams.zip").unlink()
    return names


SNAPSHOT_WARMUPS = (DEFAULT_EXAMPLE, "lecture_symbolic.arch")   # every call of the page runs on these first
SNAPSHOT_MOUNT = "/lib/symparams"        # where the archives are in the snapshot's file system (zipimport)
SNAPSHOT_KEEP = 2                         # snapshots kept in web/.cache (about 50 MB each)


def snapshot_key(site: Path, archives: list[str]) -> str:
    """The archives' hash: a snapshot is used with exactly the archives it imported from."""
    digest = hashlib.sha256()
    for name in archives:
        digest.update((site / name).read_bytes())
    return digest.hexdigest()


def snapshot(root: Path, site: Path, archives: list[str], pyodide_version: str, log=None) -> dict | None:
    """A memory snapshot of the page's Python after SymPy and symparams.web are imported (web/snapshot.mjs, in
    Node with the same Pyodide as the page), written into the site; the worker restores it instead of starting
    Python. Cached in web/.cache by the archives, the Pyodide version and the script. None (the page boots
    normally) when it cannot be made: the site works without it, only slower to start."""
    key = snapshot_key(site, archives)
    script = root / "web" / "snapshot.mjs"
    warmups = [root / "examples" / name for name in SNAPSHOT_WARMUPS]
    digest = hashlib.sha256(json.dumps([key, pyodide_version]).encode() + script.read_bytes()
                            + b"".join(p.read_bytes() for p in warmups)).hexdigest()[:16]
    cached = root / "web" / ".cache" / "python" / f"snapshot-{digest}.bin"
    mounts = [(f"{SNAPSHOT_MOUNT}/{Path(name).name}", name) for name in archives]
    if not cached.exists():
        if log:
            log("making the memory snapshot of Python with SymPy and symparams imported (web/snapshot.mjs)")
        cached.parent.mkdir(parents=True, exist_ok=True)
        part = cached.with_name(f"{cached.stem}.{os.getpid()}.part")
        cmd = [shutil.which("node") or "node", str(script), str(part), key,
               *[f"{target}={site / name}" for target, name in mounts], "--", *map(str, warmups)]
        try:
            _run(cmd, root / "web", "making the memory snapshot")
        except UsageError as exc:
            part.unlink(missing_ok=True)
            if log:
                log(f"no memory snapshot, the page will start Python itself: {exc}")
            return None
        part.replace(cached)
        old = sorted(cached.parent.glob("snapshot-*.bin"), key=lambda p: p.stat().st_mtime)[:-SNAPSHOT_KEEP]
        for path in old:
            path.unlink(missing_ok=True)
    data = cached.read_bytes()
    header = _snapshot_header(data)
    if header is None:
        return None
    name = f"python/snapshot-{key[:16]}.bin"
    shutil.copy2(cached, site / name)
    return {"file": name, "key": key, "size": len(data), "build_id": header["build_id"],
            "mounts": [{"archive": name_, "path": target} for target, name_ in mounts]}


SNAPSHOT_MAGIC = 1886286592          # Pyodide 0.29's memory snapshot: its first 32-bit word


def _snapshot_header(data: bytes) -> dict | None:
    """Pyodide's snapshot header (little-endian 32-bit words: magic, offset of the memory, length of its JSON
    part, 0, then the 256-bit build id of the runtime that made it); None when data is not one."""
    import struct
    if len(data) < 48:
        return None
    magic, offset, json_length, _, *build = struct.unpack_from("<12I", data)
    if magic != SNAPSHOT_MAGIC or not 48 + json_length <= offset <= len(data) or (len(data) - offset) % 65536:
        return None
    return {"offset": offset, "build_id": "".join(f"{w:08x}" for w in build)}


def examples(root: Path) -> list[dict]:
    out = []
    for folder, group in ((root / "examples", "Examples"), (root / "examples" / "zoo", "Zoo")):
        for path in sorted(folder.glob("*.arch")):
            out.append({"name": path.name, "group": group, "path": str(path.relative_to(root)),
                        "text": path.read_text(encoding="utf-8")})
    return out


def prerendered(root: Path) -> dict | None:
    """The default example's derive, made at build time by the page's own entry point (symparams.web.call
    with the arguments the page sends: the text, no convention, the file name): the page shows it at
    once, before Pyodide has started, then derives again live. None when it does not derive as is."""
    from ..web import call
    path = root / "examples" / DEFAULT_EXAMPLE
    text = path.read_text(encoding="utf-8")
    result = json.loads(call("derive", json.dumps([text, "", DEFAULT_EXAMPLE])))
    if not result.get("ok"):
        return None
    result.pop("python_ms", None)       # the build machine's time, not the page's
    return {"name": DEFAULT_EXAMPLE, "text": text, "result": result}


def build(dest: Path, *, log=None) -> Path:
    """Write the playground to dest (replacing an earlier build there) and return it."""
    from ..web import language

    root = checkout()
    check_target(dest)
    dest = dest.resolve()
    modules = node_modules(root, log)
    sources = source_hash(root)
    staging = Path(tempfile.mkdtemp(prefix=".site-", dir=dest.parent if dest.parent.exists() else None))
    try:
        shutil.copytree(root / "web" / "src", staging, dirs_exist_ok=True)
        for src, target in VENDOR.items():
            path, out = modules / src, staging / target
            out.parent.mkdir(parents=True, exist_ok=True)
            if path.is_dir():
                shutil.copytree(path, out)
            else:
                shutil.copy2(path, out)
        wheel_names = wheels(root, staging / "wheels", log)
        pyodide_version = json.loads((modules / "pyodide" / "package.json").read_text())["version"]
        archives = precompiled(root, staging, wheel_names, pyodide_version, log)
        memory = snapshot(root, staging, archives, pyodide_version, log)
        from .. import __version__
        site = {"version": __version__, "pyodide": pyodide_version, "wheels": wheel_names, "archives": archives,
                "default": DEFAULT_EXAMPLE, "language": language(), "examples": examples(root),
                "prerendered": prerendered(root), "snapshot": memory}
        (staging / "site.json").write_text(json.dumps(site), encoding="utf-8")
        (staging / STAMP).write_text(json.dumps({"sources": sources, "version": __version__}), encoding="utf-8")
        if dest.exists():
            shutil.rmtree(dest)
        staging.rename(dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return dest


# ----------------------------------------------------------------------------- links and serving

def share_fragment(text: str, *, name: str | None = None, values: dict | None = None,
                   convention: str | None = None) -> str:
    """The URL fragment the page reads: the text deflated and base64url-encoded, slider values,
    convention and file name (the page writes the same form when its state changes)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)           # raw deflate: DecompressionStream('deflate-raw')
    data = packer.compress(text.encode("utf-8")) + packer.flush()
    parts = ["z=" + base64.urlsafe_b64encode(data).decode().rstrip("=")]
    if values:
        parts.append("v=" + ",".join(f"{k}:{v}" for k, v in values.items()))
    if convention and not conventions.is_default(convention):
        parts.append("c=" + convention)
    if name:
        from urllib.parse import quote
        parts.append("n=" + quote(name))
    return "#" + "&".join(parts)


def serve_handler():
    """The request handler: files of the site, with the types Pyodide needs (application/wasm)."""
    import http.server

    class Handler(http.server.SimpleHTTPRequestHandler):
        extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                          ".wasm": "application/wasm", ".js": "text/javascript", ".mjs": "text/javascript",
                          ".json": "application/json", ".whl": "application/zip"}

        def log_message(self, format, *args):      # quiet: one line per request is noise here
            pass

        def send_head(self):
            # a path the file system cannot name (%00 decodes to a NUL byte) is simply not found
            try:
                return super().send_head()
            except (ValueError, OSError):
                self.send_error(404, "File not found")
                return None

    return Handler


def _quiet_server():
    import http.server

    class Server(http.server.ThreadingHTTPServer):
        def handle_error(self, _request, client_address):
            """A request that fails is that request's problem: one line, never a traceback."""
            exc = sys.exc_info()[1]
            _log(f"a request from {client_address[0]} failed: {type(exc).__name__}: {exc}"[:300])
    return Server


def QuietServer(address, handler):
    return _quiet_server()(address, handler)


@contextlib.contextmanager
def background(site: Path, port: int = 0):
    """The site served from a thread on 127.0.0.1 while the block runs; yields its URL."""
    import functools
    import threading

    server = QuietServer(("127.0.0.1", port), functools.partial(serve_handler(), directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def serve(site: Path, port: int, fragment: str = "", *, open_browser: bool = True) -> None:
    import functools
    import webbrowser

    handler = functools.partial(serve_handler(), directory=str(site))
    try:
        server = QuietServer(("127.0.0.1", port), handler)
    except OSError as exc:
        raise UsageError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}") from None
    url = f"http://127.0.0.1:{server.server_address[1]}/{fragment}"
    _log(f"serving {site} at {url.split('#')[0]} (Ctrl-C stops)")
    print(url, flush=True)
    if open_browser:
        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
