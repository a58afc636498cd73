"""The architecture holds: no import cycle, a generic core that never imports trade, private implementation modules."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "vctrade"
CORE = ("model", "jsonld", "di", "jose", "verification", "did", "status", "trust")
PUBLIC_MODULES = {"__init__.py", "__main__.py", "errors.py", "cli.py"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in PACKAGE.rglob("*.py")}


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _imports(path: Path, *, module_level: bool) -> set[str]:
    """The vctrade modules ``path`` imports (at module level only, or anywhere), skipping TYPE_CHECKING blocks."""
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and _is_type_checking(node):
                continue
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names if alias.name.startswith("vctrade"))
            elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("vctrade"):
                assert node.level == 0, f"{path}: relative import"
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)  # submodules imported by name
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and module_level:
                continue
            for field in ("body", "orelse", "finalbody", "handlers"):
                children = getattr(node, field, None)
                if isinstance(children, list):
                    visit([c for c in children if isinstance(c, ast.stmt)] +
                          [s for h in children if isinstance(h, ast.ExceptHandler) for s in h.body])

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    return found


def _graph() -> dict[str, set[str]]:
    """module -> modules it imports at import time (a dotted import also runs each enclosing package)."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges: set[str] = set()
        for target in _imports(path, module_level=True):
            parts = target.split(".")
            for depth in range(2, len(parts) + 1):
                prefix = ".".join(parts[:depth])
                # A module inside a package that imports the package's own __init__ is the normal package pattern.
                if prefix in modules and prefix != name and not name.startswith(prefix + "."):
                    edges.add(prefix)
        graph[name] = edges
    return graph


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle in ``graph`` (as the list of its nodes, first repeated last), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = walk(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = walk(node)
            if found:
                return found
    return None


def test_the_import_graph_has_no_cycle() -> None:
    graph = _graph()
    assert len(graph) > 40 and graph["vctrade.verification._pipeline"]  # the walk found the package and its imports
    cycle = _find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_check_finds_cycles() -> None:
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None
    # The old layout's verify <-> verify_jose pair would be caught:
    assert _find_cycle({"vctrade.verify": {"vctrade.verify_jose"}, "vctrade.verify_jose": {"vctrade.verify"}})


def test_the_generic_core_never_imports_trade() -> None:
    """Trade registers with the core; the core asks registries and never names the trade package."""
    offenders = sorted(
        f"{name} imports {target}"
        for name, path in _modules().items()
        if name.split(".")[1:2] and name.split(".")[1] in CORE
        for target in _imports(path, module_level=False)
        if target == "vctrade.trade" or target.startswith("vctrade.trade.")
    )
    assert offenders == []


def test_implementation_modules_are_private() -> None:
    """Every module is private (its name or a parent's starts with '_') except the API, the errors and the CLI."""
    public = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        if relative.name in PUBLIC_MODULES:
            continue
        if not any(part.startswith("_") for part in relative.parts):
            public.append(str(relative))
    assert public == []


def test_every_package_declares_its_api() -> None:
    for path in PACKAGE.rglob("__init__.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        relative = path.relative_to(PACKAGE)
        if any(part.startswith("_") for part in relative.parts[:-1]):
            continue  # a private package (suites, DID methods, trade types) only registers its modules
        names = [t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets if isinstance(t, ast.Name)]
        assert "__all__" in names, f"{relative} has no __all__"


def test_vctrade_ships_py_typed() -> None:
    assert (PACKAGE / "py.typed").is_file()


def _imported_by(code: str, stdin: str = "") -> set[str]:
    """The modules a fresh interpreter has loaded after running ``code`` (its own imports cannot mask any)."""
    out = subprocess.run([sys.executable, "-c", f"{code}\nimport sys; print('\\n'.join(sys.modules))"],
                         input=stdin, capture_output=True, text=True, check=True).stdout
    return set(out.split())


# What neither `import vctrade.cli` nor verifying a did:key eddsa-rdfc-2022 credential may load: the service, the
# network clients, schema explanations, the other suites and DID methods, the registry, policy and plug-in machinery.
NOT_ON_THE_VERIFY_PATH = {
    "fastapi", "uvicorn", "httpx", "httpcore", "anyio", "jsonschema", "cbor2", "yaml", "sqlite3", "tomllib", "rich",
    "typer", "pydantic", "importlib.metadata", "multiprocessing",
    "vctrade.di._suites.ecdsa_sd_2023", "vctrade.di._sd", "vctrade.di._suites.ecdsa_rdfc_2019",
    "vctrade.di._suites.eddsa_jcs_2022", "vctrade.did._methods.web", "vctrade.did._methods.jwk",
    "vctrade.service", "vctrade.status._registry", "vctrade._batch", "vctrade._issuance",
    "pyld", "lxml",  # vctrade/jsonld expands and canonicalizes these credentials itself; pyld is the fallback
}
SMALL = {
    "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
    "type": ["VerifiableCredential", "ExampleCredential"],
    "credentialSubject": {"id": "did:example:acme", "name": "Acme Imports"},
}


def test_the_cli_module_imports_no_library_module() -> None:
    """`import vctrade.cli` (what `vctrade --version` runs) is Typer and vctrade.errors, nothing of the library."""
    loaded = _imported_by("import vctrade.cli")
    assert not (NOT_ON_THE_VERIFY_PATH - {"typer"}) & loaded
    assert {m for m in loaded if m.startswith("vctrade")} == {"vctrade", "vctrade.cli", "vctrade.errors"}
    assert not {"pyld", "cryptography"} & loaded


def test_verifying_a_did_key_credential_imports_only_its_path() -> None:
    """The library verifies a did:key eddsa-rdfc-2022 credential with its suite, did:key and nothing it does not need."""
    from vctrade import Key, sign

    signed = sign(SMALL, Key.generate("Ed25519"))
    assert signed["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    loaded = _imported_by("import json, sys, vctrade\nassert vctrade.verify(json.load(sys.stdin)).verified",
                          json.dumps(signed))
    assert not NOT_ON_THE_VERIFY_PATH & loaded, sorted(NOT_ON_THE_VERIFY_PATH & loaded)
    suites = {m for m in loaded if m.startswith("vctrade.di._suites.")}
    methods = {m for m in loaded if m.startswith("vctrade.did._methods.")}
    assert suites == {"vctrade.di._suites.eddsa_rdfc_2022"} and methods == {"vctrade.did._methods.key"}


def test_the_import_check_sees_what_a_verification_loads() -> None:
    """The checks above would fail: naming ecdsa-sd-2023 loads its suite, a did:web method its module."""
    loaded = _imported_by("import vctrade.di, vctrade.did\nvctrade.di.get_suite('ecdsa-sd-2023')\n"
                          "vctrade.did.network_resolver().methods['web']")
    assert {"vctrade.di._suites.ecdsa_sd_2023", "vctrade.di._sd", "vctrade.did._methods.web"} <= loaded
    assert "vctrade.di._suites.eddsa_rdfc_2022" not in loaded  # only what was named


def test_the_bundled_suite_and_method_tables_match_their_files() -> None:
    """Each suite/method file is in its registry's table, under the name the file registers (the lazy loading's map)."""
    for module, registry, folder in (("vctrade.di._registry", "SUITES", "di/_suites"),
                                     ("vctrade.did._resolver", "DID_METHODS", "did/_methods")):
        code = (f"import json\nfrom {module} import BUNDLED, {registry} as R\n"
                "print(json.dumps({name: [type(R[name]).__module__, BUNDLED.get(name)] for name in R}))")
        registered = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                               check=True).stdout)
        files = {f"vctrade.{folder.replace('/', '.')}.{p.stem}" for p in (PACKAGE / folder).glob("*.py")
                 if p.name != "__init__.py"}
        assert all(found == named for found, named in registered.values()), registered
        assert {found for found, _ in registered.values()} == files


def test_the_default_suites_table_is_what_the_suites_declare() -> None:
    """BUNDLED_DEFAULTS (used before a suite is imported) equals the suites' own ``default_for``."""
    code = ("import json\nfrom vctrade.di import _registry\nlist(_registry.SUITES)\n"
            "print(json.dumps([_registry._DEFAULTS, _registry.BUNDLED_DEFAULTS]))")
    declared, table = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                                check=True).stdout)
    assert declared == table


def test_the_clis_spelled_out_constants_are_the_librarys() -> None:
    """cli.py spells out key types and the default skew so that building the CLI imports no library module."""
    from vctrade import cli
    from vctrade._keys import KEY_TYPES
    from vctrade.verification import DEFAULT_SKEW

    assert cli.KEY_TYPES == KEY_TYPES
    assert cli.DEFAULT_SKEW_SECONDS == DEFAULT_SKEW.total_seconds()


def test_lazily_imported_suites_behave_as_if_registered_at_start() -> None:
    """Registering, replacing and removing work as with a dict filled at start-up, whatever is imported later."""
    code = """
import sys
from vctrade.di import JcsTransform, Cryptosuite, SUITES, default_suite_for, get_suite, register_suite

class Mine(JcsTransform, Cryptosuite):
    name = "eddsa-jcs-2022"
    key_types = frozenset({"Ed25519"})

class MyDefault(JcsTransform, Cryptosuite):
    name = "my-default"
    key_types = frozenset({"Ed25519"})

# Before any bundled suite is imported: a replacement and a default stay, once the bundled modules load.
mine = register_suite(Mine())
register_suite(MyDefault(), default_for=("Ed25519",))
del SUITES["ecdsa-jcs-2019"]
assert "vctrade.di._suites.eddsa_rdfc_2022" not in sys.modules  # replacing or removing a suite imports only it
names = list(SUITES)  # imports every bundled suite
assert get_suite("eddsa-jcs-2022") is mine and default_suite_for("Ed25519").name == "my-default"
assert "ecdsa-jcs-2019" not in names and "ecdsa-jcs-2019" not in SUITES and "eddsa-rdfc-2022" in names
assert default_suite_for("P-256").name == "ecdsa-rdfc-2019"
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
