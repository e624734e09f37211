"""scripts/system-packages.sh, which `make test` (and so CI) runs first: on a fresh machine it
installs Debian's chromium, the Chinese fonts and gettext when it can, and otherwise stops at
once with the one command to run. dpkg, id, sudo and apt-get are stand-ins on PATH here, so
the test never installs anything."""

import os
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "system-packages.sh"
NEEDED = ("gettext", "chromium", "fonts-wqy-microhei")


def fake(bin_dir: Path, name: str, body: str) -> None:
    path = bin_dir / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


@pytest.fixture
def machine(tmp_path):
    """A PATH whose dpkg knows the `installed` packages, whose id answers `uid`, whose sudo
    works or not, and whose apt-get only writes down what it was asked."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls"

    def run(*, installed=(), uid=1000, sudo_works=False, env=None):
        known = " ".join(installed)
        fake(bin_dir, "dpkg", f'for p in {known}; do [ "$2" = "$p" ] && exit 0; done; exit 1')
        fake(bin_dir, "id", f"echo {uid}")
        fake(
            bin_dir,
            "sudo",
            'if [ "$1" = "-n" ]; then shift; fi\n'
            + ('[ "$1" = "true" ] && exit 0\nexec "$@"' if sudo_works else "exit 1"),
        )
        fake(bin_dir, "apt-get", f'echo "apt-get $*" >> {calls}')
        environment = {"PATH": f"{bin_dir}:/usr/bin:/bin", **(env or {})}
        result = subprocess.run(
            ["bash", str(SCRIPT)], env=environment, capture_output=True, text=True, timeout=30
        )
        made = calls.read_text().splitlines() if calls.exists() else []
        return result, made

    return run


def test_nothing_is_installed_when_every_package_is_there(machine):
    result, apt_calls = machine(installed=NEEDED)
    assert result.returncode == 0, result.stderr
    assert apt_calls == []


def test_root_installs_only_the_missing_packages(machine):
    result, apt_calls = machine(installed=("gettext",), uid=0)
    assert result.returncode == 0, result.stderr
    assert apt_calls == [
        "apt-get update -qq",
        "apt-get install -y -qq chromium fonts-wqy-microhei",
    ]


def test_a_user_with_passwordless_sudo_installs_through_sudo(machine):
    result, apt_calls = machine(installed=("fonts-wqy-microhei",), sudo_works=True)
    assert result.returncode == 0, result.stderr
    assert apt_calls == ["apt-get update -qq", "apt-get install -y -qq gettext chromium"]


def test_without_root_or_sudo_it_stops_at_once_with_the_command_to_run(machine):
    result, apt_calls = machine(installed=())
    assert result.returncode == 1
    assert "sudo apt-get install -y gettext chromium fonts-wqy-microhei" in result.stderr
    assert apt_calls == []


def test_a_chromium_named_by_sanhua_chromium_stands_in_for_debians(machine, tmp_path):
    browser = tmp_path / "my-chromium"
    fake(browser.parent, browser.name, "exit 0")
    result, apt_calls = machine(
        installed=NEEDED[:1] + NEEDED[2:], env={"SANHUA_CHROMIUM": str(browser)}
    )
    assert result.returncode == 0, result.stderr
    assert apt_calls == []


def test_make_test_runs_the_script_before_the_suite():
    makefile = (SCRIPT.parent.parent / "Makefile").read_text()
    test_rule = next(line for line in makefile.splitlines() if line.startswith("test:"))
    assert "system-packages" in test_rule
    assert os.access(SCRIPT, os.X_OK)
