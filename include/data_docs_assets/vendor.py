"""Rebuild the vendored Data Docs assets from the npm registry, or check them against their manifest.

Great Expectations 1.x Data Docs pages load Bootstrap, jQuery, bootstrap-table, Vega and Font Awesome from
public CDNs. This folder holds the exact files those pages use, taken from the npm packages of the versions
GX's templates name, so the pages work on a server without internet (see walidata.validate.data_docs).

    python include/data_docs_assets/vendor.py           # re-fetch with `npm pack`, rebuild files + assets.json
    python include/data_docs_assets/vendor.py --check   # no network: every file matches assets.json

Where a template names a range (`vega@5`: the CDN serves the newest 5.x), PACKAGES pins the version that was
newest when vendored; `cdn_spec` in the manifest keeps the range as written. A package whose tarball ships no
licence file gets one written from its package.json licence and its own copyright notice, marked as such.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "assets.json"
OWN_FILES = {"vendor.py", "assets.json"}

# (npm name, version, spec as the CDN URL writes it, {file in the package: [CDN URLs that serve it]},
#  {file: sha384 SRI that GX's template pins}). Files are those GX 1.x templates load (render/view/templates).
PACKAGES = [
    ("jquery", "3.7.1", "3.7.1", {"dist/jquery.min.js": ["https://code.jquery.com/jquery-3.7.1.min.js"]}, {}),
    ("popper.js", "1.12.9", "1.12.9", {"dist/umd/popper.min.js": [
        "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js"]},
     {"dist/umd/popper.min.js": "sha384-ApNbgh9B+Y1QKtv3Rn7W3mgPxhU9K/ScQsAP7hUibX39j7fakFPskvXusvfa0b4Q"}),
    ("bootstrap", "4.3.1", "4.3.1", {
        "dist/js/bootstrap.min.js": ["https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js"],
        "dist/css/bootstrap.min.css": ["https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"]},
     {"dist/js/bootstrap.min.js": "sha384-JjSmVgyd0p3pXB1rRibZUAYoIIy6OrQ6VrjIEaFf/nJGzIxFDsf4x0xIM+B07jRM"}),
    ("bootstrap-table", "1.19.1", "1.19.1", {
        "dist/bootstrap-table.min.js": ["https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js"],
        "dist/bootstrap-table.min.css": ["https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css"],
        "dist/extensions/filter-control/bootstrap-table-filter-control.min.js": [
            "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/"
            "bootstrap-table-filter-control.min.js"]}, {}),
    ("bootstrap-table", "1.19.0", "1.19.0", {
        "dist/extensions/filter-control/bootstrap-table-filter-control.css": [
            "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css"],
        "dist/extensions/filter-control/bootstrap-table-filter-control.min.css": [
            "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
            "bootstrap-table-filter-control.min.css"]}, {}),
    ("bootstrap-datepicker", "1.9.0", "1.9.0", {
        "dist/js/bootstrap-datepicker.min.js": [
            "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js"],
        "dist/css/bootstrap-datepicker.min.css": [
            "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css"]}, {}),
    ("@forevolve/bootstrap-dark", "1.1.0", "1.1.0", {"dist/css/bootstrap-prefers-dark.css": [
        "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css"]}, {}),
    ("@fortawesome/fontawesome-free", "6.6.0", "6.6.0", {"css/all.min.css": [
        "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css"]}, {}),
    ("vega", "5.33.1", "5", {"build/vega.min.js": ["https://cdn.jsdelivr.net/npm/vega@5"]}, {}),
    ("vega-lite", "5.23.0", "5", {"build/vega-lite.min.js": ["https://cdn.jsdelivr.net/npm/vega-lite@5"]}, {}),
    ("vega-embed", "6.29.0", "6", {"build/vega-embed.min.js": ["https://cdn.jsdelivr.net/npm/vega-embed@6"]}, {}),
]
LICENCE_NAMES = ("LICENSE", "LICENSE.txt", "LICENSE.md", "LICENCE", "license")
LICENCE_TEXTS = {
    "MIT": ("{notice}\n\nPermission is hereby granted, free of charge, to any person obtaining a copy of this software "
            "and associated documentation files (the \"Software\"), to deal in the Software without restriction, "
            "including without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, "
            "and/or sell copies of the Software, and to permit persons to whom the Software is furnished to do so, "
            "subject to the following conditions:\n\nThe above copyright notice and this permission notice shall be "
            "included in all copies or substantial portions of the Software.\n\nTHE SOFTWARE IS PROVIDED \"AS IS\", "
            "WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF "
            "MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR "
            "COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF "
            "CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR "
            "OTHER DEALINGS IN THE SOFTWARE.\n"),
    "BSD-3-Clause": (
        "{notice}\nAll rights reserved.\n\nRedistribution and use in source and binary forms, with or without "
        "modification, are permitted provided that the following conditions are met:\n\n1. Redistributions of "
        "source code must retain the above copyright notice, this list of conditions and the following "
        "disclaimer.\n\n2. Redistributions in binary form must reproduce the above copyright notice, this list of "
        "conditions and the following disclaimer in the documentation and/or other materials provided with the "
        "distribution.\n\n3. Neither the name of the copyright holder nor the names of its contributors may be "
        "used to endorse or promote products derived from this software without specific prior written "
        "permission.\n\nTHIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS \"AS IS\" AND ANY "
        "EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY "
        "AND FITNESS FOR A PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR "
        "CONTRIBUTORS BE LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES "
        "(INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR SERVICES; LOSS OF USE, DATA, OR "
        "PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, "
        "STRICT LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE OF THIS "
        "SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.\n"),
}
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+?)['"]?\s*\)|@import\s+['"]([^'"]+)['"]""")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def folder(name: str, version: str) -> str:
    """Where a package's files live, relative to this folder: `bootstrap@4.3.1`, `@fortawesome/x@6.6.0`."""
    return f"{name}@{version}"


def npm_pack(name: str, version: str, workdir: Path) -> tuple[dict, bytes]:
    """The registry's dist record (tarball URL, sha512 integrity) and the tarball, checked against it."""
    spec = f"{name}@{version}"
    view = subprocess.run(["npm", "view", spec, "dist", "license", "--json"], check=True, capture_output=True,
                          text=True, timeout=300)
    info = json.loads(view.stdout)
    dist = info["dist"]
    packed = subprocess.run(["npm", "pack", spec, "--json", "--pack-destination", str(workdir)], check=True,
                            capture_output=True, text=True, timeout=600)
    tgz = (workdir / json.loads(packed.stdout)[0]["filename"]).read_bytes()
    algo, _, want = dist["integrity"].partition("-")
    got = base64.b64encode(hashlib.new(algo, tgz).digest()).decode()
    if got != want:
        raise SystemExit(f"{spec}: tarball {algo} {got} is not the registry's {want}")
    return {"tarball": dist["tarball"], "integrity": dist["integrity"], "license": info.get("license")}, tgz


def css_references(css_path: str, text: str) -> list[str]:
    """Package paths a stylesheet loads relatively (its fonts); a remote reference stops the build."""
    out = []
    for m in CSS_URL.finditer(text):
        ref = (m.group(1) or m.group(2)).strip()
        if ref.startswith(("data:", "#")):
            continue
        if re.match(r"^(?:[a-z][a-z0-9+.-]*:|//)", ref, re.I):
            raise SystemExit(f"{css_path} loads a remote resource {ref!r}: vendor it or drop the file")
        ref = ref.split("?")[0].split("#")[0]
        out.append(str(Path(css_path).parent.joinpath(ref)).replace("\\", "/"))
    return sorted({_normalise(p) for p in out})


def _normalise(path: str) -> str:
    parts: list[str] = []
    for part in path.split("/"):
        if part == "..":
            parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/".join(parts)


def _licence(name: str, members: dict[str, bytes], declared: str | None, files: dict[str, bytes]):
    """(licence file name, its bytes, generated?) of a package: its own file, else one written from its
    package.json licence and the copyright notice its own files carry."""
    for cand in LICENCE_NAMES:
        if cand in members:
            return cand, members[cand], False
    pkg = json.loads(members["package.json"])
    author = pkg.get("author")
    author = author.get("name") if isinstance(author, dict) else author
    banner = next((m.group(0).strip() for data in files.values()
                   if (m := re.search(rb"Copyright[^\n*]*", data[:2000]))), None)
    notice = banner.decode() if banner else f"Copyright (c) {author}"
    if declared not in LICENCE_TEXTS:
        raise SystemExit(f"{name}: no licence file and no known licence text for {declared!r}")
    head = (f"[Written by include/data_docs_assets/vendor.py: the npm tarball of {name}@{pkg['version']} ships no "
            f"licence file. Its package.json declares \"license\": \"{declared}\"; the text below is that licence "
            f"with the copyright notice from the package ({author}).]\n\n")
    return "LICENSE", (head + LICENCE_TEXTS[declared].format(notice=notice)).encode(), True


def _members(tgz: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(tgz), mode="r:gz") as tar:
        return {m.name.split("/", 1)[1]: tar.extractfile(m).read() for m in tar.getmembers()
                if m.isfile() and "/" in m.name}


def vendor_package(entry, workdir: Path) -> dict:
    """Fetch one package, write its used files and licence under HERE; return its manifest record."""
    name, version, cdn_spec, wanted, sri = entry
    dist, tgz = npm_pack(name, version, workdir)
    members = _members(tgz)
    paths = set(wanted)
    for p in list(wanted):
        if p.endswith(".css"):
            paths.update(css_references(p, members[p].decode("utf-8", "replace")))
    files = {p: members[p] for p in sorted(paths)}
    for p, want in sri.items():
        algo, _, digest = want.partition("-")
        if base64.b64encode(hashlib.new(algo, files[p]).digest()).decode() != digest:
            raise SystemExit(f"{name}@{version}/{p} is not the file GX's template pins ({want})")
    lic_name, lic_bytes, generated = _licence(name, members, dist["license"], files)
    base = HERE / folder(name, version)
    for p, data in {**files, lic_name: lic_bytes}.items():
        (base / p).parent.mkdir(parents=True, exist_ok=True)
        (base / p).write_bytes(data)
    return {
        "package": name, "version": version, "cdn_spec": cdn_spec, "licence": dist["license"],
        "tarball": dist["tarball"], "integrity": dist["integrity"],
        "licence_file": {"path": f"{folder(name, version)}/{lic_name}", "sha256": sha256(lic_bytes),
                         "written_by_vendor_py": generated},
        "files": [{"path": f"{folder(name, version)}/{p}", "sha256": sha256(d), "bytes": len(d),
                   **({"gx_template_integrity": sri[p]} if p in sri else {})} for p, d in files.items()],
        "cdn_urls": {url: f"{folder(name, version)}/{p}" for p, urls in wanted.items() for url in urls},
    }


def build() -> dict:
    """Clear the vendored folders, fetch every package again, write assets.json."""
    for child in HERE.iterdir():
        if child.name not in OWN_FILES and child.name != "__pycache__":
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        packages = [vendor_package(e, Path(tmp)) for e in PACKAGES]
    urls = {u: p for rec in packages for u, p in rec.pop("cdn_urls").items()}
    manifest = {
        "about": "Files the Great Expectations Data Docs pages load from CDNs, vendored from npm by vendor.py; "
                 "walidata.validate.data_docs copies them into the site and points the pages at them.",
        "packages": packages,
        "urls": dict(sorted(urls.items())),
    }
    MANIFEST.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return manifest


def check(root: Path = HERE) -> list[str]:
    """Problems found comparing the folder at `root` with its assets.json (no network); [] when it matches."""
    manifest = json.loads((root / "assets.json").read_text())
    problems, listed = [], set()
    for rec in manifest["packages"]:
        for f in [*rec["files"], rec["licence_file"]]:
            listed.add(f["path"])
            path = root / f["path"]
            if not path.is_file():
                problems.append(f"missing: {f['path']}")
            elif sha256(path.read_bytes()) != f["sha256"]:
                problems.append(f"sha256 differs: {f['path']}")
    problems += [f"not in assets.json: {u} -> {p}" for u, p in manifest["urls"].items() if p not in listed]
    extra = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} - listed - OWN_FILES
    problems += [f"not in assets.json: {p}" for p in sorted(extra) if "__pycache__" not in p]
    return problems


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="verify the files against assets.json, no network")
    args = ap.parse_args(argv)
    if args.check:
        problems = check()
        for p in problems:
            print(p, file=sys.stderr)
        print("assets.json: " + ("MISMATCH" if problems else "ok"))
        return 1 if problems else 0
    manifest = build()
    total = sum(f["bytes"] for r in manifest["packages"] for f in r["files"])
    print(f"vendored {len(manifest['packages'])} packages, {total} bytes; {len(manifest['urls'])} CDN URLs mapped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
