"""resolve --diagnose's output, driven with the hostile-string corpus in every text field of a
Diagnosis (names from /etc/hosts, nsswitch.conf sources, DNS data, error messages): nothing
raises, no raw control character comes out, the text is shown escaped, JSON is exact."""

import json
from collections.abc import Iterator

import pytest

from netkit.render import tables
from netkit.render.diagnose import render_diagnosis
from netkit.resolve.diagnose import Diagnosis
from netkit.resolve.hostconf import NssSource, NsswitchHosts
from tests.render.factory import hostile
from tests.render.hostile import SHORT_CORPUS, assert_safe


@pytest.fixture(params=["pipe", "terminal"])
def terminal(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[bool]:
    on_terminal = request.param == "terminal"
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    if on_terminal:
        monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "2000")
    tables.stdout_console.cache_clear()
    yield on_terminal
    tables.stdout_console.cache_clear()


def diagnosis(text: str) -> Diagnosis:
    """A Diagnosis with text in every str field (actions map known statuses to text)."""
    source = hostile(NssSource, text, actions={"SUCCESS": text})
    return hostile(Diagnosis, text, nsswitch=hostile(NsswitchHosts, text, sources=[source]))


@pytest.mark.parametrize("text", SHORT_CORPUS)
def test_diagnosis_text_is_shown_escaped(
    text: str, terminal: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    render_diagnosis(diagnosis(text), as_json=False)
    captured = capsys.readouterr()
    assert_safe(captured.out + captured.err, [text], terminal=terminal)


@pytest.mark.parametrize("text", SHORT_CORPUS)
def test_diagnosis_json_is_exact(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    render_diagnosis(diagnosis(text), as_json=True)
    out = capsys.readouterr().out
    assert_safe(out)
    assert json.loads(out)["verdicts"][0]["message"] == text
