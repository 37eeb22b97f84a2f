"""Dependency audit for CI: pip-audit first, then what PyPI itself says where pip-audit could not ask.

pip-audit asks PyPI's per-release JSON (``/pypi/<name>/<version>/json``) or OSV for known
vulnerabilities. Where neither answers (a registry proxy that serves only the project JSON, as on
our CI machines), every package comes back "could not be audited" and pip-audit still exits 0: a
pass that checked nothing. This script makes that visible and closes most of the gap:

* a vulnerability pip-audit found fails the run (unless listed in IGNORED with the reason);
* for each package pip-audit skipped, the project JSON (``/pypi/<name>/json``) lists the known
  vulnerabilities of the *latest* release: when the installed version is that release, its list
  is authoritative and any entry fails the run; older installed versions are reported as not
  audited, by name, so nobody mistakes silence for safety.

Usage: python .ci/audit_deps.py PIP_AUDIT_JSON  (exit 1 on a finding, 0 otherwise)
"""
from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from importlib import metadata

#: Vulnerability id -> why it does not apply to us (reviewed; keep the list short and dated).
IGNORED: dict[str, str] = {}
PROJECT_JSON = "https://pypi.org/pypi/{name}/json"


def main(report_path: str) -> int:
    report = json.load(open(report_path))
    found, skipped = [], []
    for dep in report.get("dependencies", []):
        if "skip_reason" in dep:
            skipped.append(dep)
            continue
        for vuln in dep.get("vulns", []):
            if vuln["id"] not in IGNORED:
                found.append((dep["name"], dep["version"], vuln["id"], vuln.get("fix_versions", [])))
    audited = len(report.get("dependencies", [])) - len(skipped)
    latest_checked, behind = 0, []
    for dep in skipped:
        if not _installed(dep["name"]):
            continue  # our own editable packages: not on PyPI
        dep["version"] = metadata.version(dep["name"])
        project = _project(dep["name"])
        if project is None:
            behind.append(f"{dep['name']} {dep['version']} (no PyPI record)")
            continue
        latest = project["info"]["version"]
        if latest != dep["version"]:
            behind.append(f"{dep['name']} {dep['version']} (latest {latest})")
            continue
        latest_checked += 1
        for vuln in project.get("vulnerabilities") or []:
            if vuln["id"] not in IGNORED and not vuln.get("withdrawn"):
                found.append((dep["name"], dep["version"], vuln["id"], vuln.get("fixed_in", [])))
    print(f"audit: pip-audit audited {audited} packages; {latest_checked} more checked against "
          f"their latest release's advisories; {len(behind)} not audited; {len(found)} finding(s)")
    if behind:
        print("audit: not audited (older than the latest release, no per-release data reachable): "
              + ", ".join(sorted(behind)))
    for name, version, vuln_id, fixes in found:
        print(f"audit: VULNERABLE {name} {version}: {vuln_id} (fixed in {', '.join(fixes) or '?'})")
    return 1 if found else 0


def _installed(name: str) -> bool:
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return False
    direct = json.loads(dist.read_text("direct_url.json") or "{}")
    return not direct.get("dir_info", {}).get("editable", False)


def _project(name: str) -> dict | None:
    try:
        with urllib.request.urlopen(PROJECT_JSON.format(name=name), timeout=30) as response:
            return json.load(response)
    except (urllib.error.URLError, TimeoutError, ValueError):
        return None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
