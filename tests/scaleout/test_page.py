"""docs/scaling-out.md shows exactly the configurations the suite runs: it includes every file
of deploy/ (mkdocs' snippets extension, `check_paths` on), and nothing else stands in for one."""

from __future__ import annotations

import re

from .proxies import ROOT

PAGE = ROOT / "docs" / "scaling-out.md"
INCLUDE = re.compile(r'^--8<-- "([^"]+)"$', re.MULTILINE)


def test_the_page_includes_every_deploy_file() -> None:
    included = set(INCLUDE.findall(PAGE.read_text(encoding="utf-8")))
    deployed = {p.relative_to(ROOT).as_posix() for p in (ROOT / "deploy").rglob("*") if p.is_file()}
    assert deployed == {
        "deploy/nginx/ollama.conf",
        "deploy/nginx/ollama-tls.conf",
        "deploy/haproxy/ollama.cfg",
        "deploy/haproxy/ollama-tls.cfg",
    }
    assert deployed <= included
    assert all((ROOT / path).is_file() for path in included)


def test_no_configuration_is_written_out_by_hand() -> None:
    text = PAGE.read_text(encoding="utf-8")
    blocks = re.findall(r"^```(nginx|haproxy)\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    assert blocks
    for _, body in blocks:
        assert INCLUDE.fullmatch(body.strip()), body[:80]


def test_the_suite_runs_each_file() -> None:
    suite = "".join(p.read_text() for p in (ROOT / "tests" / "scaleout").glob("*.py"))
    for name in ("ollama.conf", "ollama-tls.conf", "ollama.cfg", "ollama-tls.cfg"):
        assert f'"{name}"' in suite, name
