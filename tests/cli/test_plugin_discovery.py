"""Third-party plug-ins are found however they are installed, and looking for them costs nothing when there are none.

A plug-in here adds the policy section ``[probe]``: a policy that uses it is refused
(exit 2, unknown section) unless the real `vctrade` script found and imported the
plug-in. It is installed as a distribution folder, and inside a zip file (which
only importlib.metadata reads); the quick scan that decides whether to ask
importlib.metadata at all is checked against importlib.metadata itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Callable
from importlib.metadata import distributions
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from vctrade import Key, sign
from vctrade._plugins import BUILTIN_PLUGINS, GROUP, declares_other_plugins

PLUGIN_SOURCE = textwrap.dedent('''
    """The [probe] policy section: one rule that passes and says the plug-in was loaded."""
    from vctrade import Check
    from vctrade.trust import register_policy_sections


    class Probe:
        name = "probe"

        def evaluate(self, subject):
            return [Check("probe", "passed", "probe_loaded", "the probe plug-in is loaded")]


    register_policy_sections(("probe",), lambda data, source: [Probe()])
''')
ENTRY_POINTS = f"[{GROUP}]\nprobe = probe_plugin\n"
CREDENTIAL = {
    "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
    "type": ["VerifiableCredential", "ExampleCredential"],
    "credentialSubject": {"id": "did:example:acme"},
}


def _distribution(entry_points: str) -> dict[str, str]:
    """The files of an installed distribution (dist-info + module) declaring ``entry_points``."""
    return {"probe_plugin.py": PLUGIN_SOURCE,
            "probe_plugin-0.1.dist-info/METADATA": "Metadata-Version: 2.1\nName: probe-plugin\nVersion: 0.1\n",
            "probe_plugin-0.1.dist-info/entry_points.txt": entry_points}


def _in_folder(folder: Path, files: dict[str, str]) -> str:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return str(folder)


def _in_zip(path: Path, files: dict[str, str]) -> str:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return str(path)


@pytest.fixture
def verify_with_probe_policy(tmp_path: Path, run_cli: Callable[..., CompletedProcess[str]]
                             ) -> Callable[[str | None], CompletedProcess[str]]:
    """``vctrade verify --policy`` (a policy with a [probe] section) of a signed credential, with PYTHONPATH."""
    (tmp_path / "signed.json").write_text(json.dumps(sign(CREDENTIAL, Key.generate("Ed25519"))))
    (tmp_path / "policy.toml").write_text('name = "probe policy"\n\n[probe]\n')

    def run(pythonpath: str | None) -> CompletedProcess[str]:
        env = {"PYTHONPATH": pythonpath} if pythonpath else {}
        return run_cli("verify", str(tmp_path / "signed.json"), "--policy", str(tmp_path / "policy.toml"), env=env)

    return run


def test_a_plugin_installed_as_a_folder_is_loaded(tmp_path: Path, verify_with_probe_policy: Callable[
        [str | None], CompletedProcess[str]]) -> None:
    done = verify_with_probe_policy(_in_folder(tmp_path / "site", _distribution(ENTRY_POINTS)))
    assert done.returncode == 0 and "the probe plug-in is loaded" in done.stdout, done.stdout + done.stderr


def test_a_plugin_installed_in_a_zip_file_is_loaded(tmp_path: Path, verify_with_probe_policy: Callable[
        [str | None], CompletedProcess[str]]) -> None:
    done = verify_with_probe_policy(_in_zip(tmp_path / "site.zip", _distribution(ENTRY_POINTS)))
    assert done.returncode == 0 and "the probe plug-in is loaded" in done.stdout, done.stdout + done.stderr


def test_without_the_plugin_its_policy_section_is_refused(tmp_path: Path, verify_with_probe_policy: Callable[
        [str | None], CompletedProcess[str]]) -> None:
    """The check above fails when the plug-in is not found: the same distribution declaring another group."""
    not_a_plugin = _distribution("[console_scripts]\nprobe = probe_plugin:main\n")
    done = verify_with_probe_policy(_in_folder(tmp_path / "site", not_a_plugin))
    assert done.returncode == 2 and "unknown policy section(s): probe" in done.stderr, done.stdout + done.stderr


def test_with_only_built_in_plugins_importlib_metadata_is_not_imported(tmp_path: Path) -> None:
    """vctrade's own entry point (the trade plug-in) beside other groups: the quick scan settles it."""
    site = _in_folder(tmp_path / "site", _distribution(
        f"[console_scripts]\nprobe = probe_plugin:main\n\n[{GROUP}]\ntrade = vctrade.trade\n"))
    code = ("import sys\nsys.path.insert(0, sys.argv[1])\nfrom vctrade._plugins import load_plugins\nload_plugins()\n"
            "print('importlib.metadata' in sys.modules, 'vctrade.trade' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code, site], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "True"], done.stderr


ENTRY_POINT_FILES = [
    "",
    "[console_scripts]\nvctrade = vctrade.cli:app\n",
    f"[console_scripts]\nvctrade = vctrade.cli:app\n\n[{GROUP}]\ntrade = vctrade.trade\n",
    f"[{GROUP}]\n  trade   =   vctrade.trade  \n# other = elsewhere\n",
    f"[{GROUP}]\nprobe = probe_plugin\n",
    f"[{GROUP}]\ntrade = vctrade.trade\nprobe = probe_plugin:register [extra]\n",
    f"  [[{GROUP}]]  \nprobe = probe_plugin\n",
    f"[{GROUP}]\n\n[other]\nprobe = probe_plugin\n",
    f"[other]\n[{GROUP}]\n#probe = probe_plugin\n",
    f"# [{GROUP}]\n[other]\nprobe = probe_plugin\n",
    f"[{GROUP}.extra]\nprobe = probe_plugin\n",
    f"\ufeff[{GROUP}]\nprobe = probe_plugin\n",
]


@pytest.mark.parametrize("text", ENTRY_POINT_FILES)
def test_the_quick_scan_reads_entry_points_as_importlib_metadata_does(tmp_path: Path, text: str) -> None:
    """Never "no other plug-in" where importlib.metadata would find one (and here, exactly its answer)."""
    site = _in_folder(tmp_path, _distribution(text))
    found = [entry for dist in distributions(path=[site]) for entry in dist.entry_points.select(group=GROUP)]
    assert declares_other_plugins(text.encode()) == any(entry.value not in BUILTIN_PLUGINS for entry in found)
