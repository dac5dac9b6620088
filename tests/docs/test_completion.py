"""Shell completion: the shipped scripts are current, and bash, zsh and fish really complete."""

import os
import select
import socket
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.shell_completion import CompletionItem, ShellComplete

from netkit.cli import cli, completers
from netkit.cli.completion import SHELLS, SHIPPED_FILES, answer_completion_request
from tests.support import IN_CI, netkit_executable, require_tool, run_netkit

REPO = Path(__file__).resolve().parents[2]


def shell_env() -> dict[str, str]:
    """The installed netkit first on PATH, as it is for a user who installed it."""
    bin_dir = str(Path(netkit_executable()).parent)
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}"}


@pytest.mark.parametrize("shell", SHELLS)
def test_netkit_completion_prints_the_shipped_script(shell: str) -> None:
    result = run_netkit("completion", shell)
    assert result.returncode == 0, result.stderr
    shipped = (REPO / SHIPPED_FILES[shell]).read_text(encoding="utf-8")  # type: ignore[index]
    assert result.stdout == shipped, "run: python scripts/regen-docs.py"


def test_an_unknown_shell_is_a_usage_error() -> None:
    result = run_netkit("completion", "tcsh")
    assert result.returncode == 2
    assert "tcsh" in result.stderr


# ---------------------------------------------------------------------------------------------
# bash: source the shipped file and drive its function the way bash does on Tab

BASH_DRIVER = """
source "$1"
shift
COMP_WORDS=("$@")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMPREPLY=()
_netkit_completion netkit
printf '%s\\n' "${COMPREPLY[@]}"
"""


def bash_complete(*words: str) -> list[str]:
    bash = require_tool("bash")
    result = subprocess.run(
        [bash, "--norc", "--noprofile", "-c", BASH_DRIVER, "bash",
         str(REPO / SHIPPED_FILES["bash"]), "netkit", *words],
        capture_output=True, text=True, timeout=30, env=shell_env(), check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return [line for line in result.stdout.splitlines() if line]


def test_bash_completes_commands() -> None:
    assert {"conns", "conv", "ifaces", "completion"} <= set(bash_complete(""))
    assert set(bash_complete("co")) >= {"conns", "conv", "completion"}
    assert "ifaces" not in bash_complete("co")


def test_bash_completes_options_and_their_values() -> None:
    assert bash_complete("conns", "--li") == ["--listening"]
    assert "listen" in [v.lower() for v in bash_complete("conns", "--state", "LI")]
    assert bash_complete("completion", "") == ["bash", "zsh", "fish"]


def test_bash_completes_the_values_of_every_command() -> None:
    assert {"resolve", "listen", "connect", "bench", "ipc"} <= set(bash_complete(""))
    designs = bash_complete("listen", "tcp", "--mux", "")
    assert designs[:3] == ["auto", "blocking", "thread"] and "poll" in designs
    assert ("kqueue" in designs) == hasattr(select, "kqueue")
    assert ("epoll" in designs) == hasattr(select, "epoll")
    assert bash_complete("bench", "mux", "--mux", "se") == ["select"]
    assert bash_complete("resolve", "-t", "mx") == ["MX"]
    assert bash_complete("resolve", "--socktype", "d") == ["dgram"]
    hosts = bash_complete("listen", "udp", "--host", "")
    assert {"127.0.0.1", "::1", "0.0.0.0", "::"} <= set(hosts)


def test_bash_completes_interface_names() -> None:
    names = socket.if_nameindex()
    assert {name for _, name in names} <= set(bash_complete("ifaces", ""))


def test_bash_registers_the_function_for_netkit() -> None:
    bash = require_tool("bash")
    script = f'source "{REPO / SHIPPED_FILES["bash"]}"; complete -p netkit'
    result = subprocess.run([bash, "--norc", "--noprofile", "-c", script],
                            capture_output=True, text=True, timeout=30, check=False)  # fmt: skip
    assert "-F _netkit_completion netkit" in result.stdout


def test_bash_completion_loads_it_from_the_user_directory(tmp_path: Path) -> None:
    """netkit-completion(1)'s install: bash-completion finds completions/netkit on first Tab."""
    bash = require_tool("bash")
    loader = Path("/usr/share/bash-completion/bash_completion")
    if not loader.exists():
        message = "bash-completion is not installed (scripts/install-test-deps.sh installs it)"
        pytest.fail(message) if IN_CI else pytest.skip(message)
    target = tmp_path / "data" / "bash-completion" / "completions" / "netkit"
    target.parent.mkdir(parents=True)
    target.write_text((REPO / SHIPPED_FILES["bash"]).read_text())
    script = (
        f"source {loader}; "
        # bash-completion 2.12 names it _comp_load, 2.11 __load_completion
        "_comp_load netkit 2>/dev/null || __load_completion netkit; complete -p netkit"
    )
    result = subprocess.run(
        [bash, "--norc", "--noprofile", "-c", script],
        capture_output=True, text=True, timeout=30, check=False,
        env={**shell_env(), "XDG_DATA_HOME": str(tmp_path / "data"), "HOME": str(tmp_path)},
    )  # fmt: skip
    assert "-F _netkit_completion netkit" in result.stdout, result.stderr


# ---------------------------------------------------------------------------------------------
# fish: its own `complete -C` asks the loaded completion for a command line


def fish_complete(line: str) -> list[str]:
    fish = require_tool("fish")
    script = f"source {REPO / SHIPPED_FILES['fish']}; complete -C '{line}'"
    result = subprocess.run(
        [fish, "--no-config", "-c", script],
        capture_output=True, text=True, timeout=30, env=shell_env(), check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return [line.split("\t")[0] for line in result.stdout.splitlines()]


def test_fish_completes_commands_and_options() -> None:
    assert {"conns", "conv", "completion"} <= set(fish_complete("netkit co"))
    assert "--listening" in fish_complete("netkit conns --l")
    assert "lo" in fish_complete("netkit ifaces l") or sys.platform != "linux"


def test_fish_loads_it_from_the_user_directory(tmp_path: Path) -> None:
    """The install in netkit-completion(1): ~/.config/fish/completions/netkit.fish is autoloaded."""
    fish = require_tool("fish")
    target = tmp_path / "config" / "fish" / "completions" / "netkit.fish"
    target.parent.mkdir(parents=True)
    target.write_text((REPO / SHIPPED_FILES["fish"]).read_text())
    result = subprocess.run(
        [fish, "-c", "complete -C 'netkit con'"],
        capture_output=True, text=True, timeout=30, check=False,
        env={**shell_env(), "XDG_CONFIG_HOME": str(tmp_path / "config"),
             "XDG_DATA_HOME": str(tmp_path / "data"), "HOME": str(tmp_path)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert {"conns", "conv"} <= {line.split("\t")[0] for line in result.stdout.splitlines()}


# ---------------------------------------------------------------------------------------------
# zsh: the file parses, and its function turns netkit's answers into compadd/_describe calls

ZSH_DRIVER = """
compdef() { : }
compadd() { print -rl -- "${completions[@]}" }
_describe() { print -rl -- "${completions_with_descriptions[@]}" }
_path_files() { print -r -- "<files>" }
source "$1"
shift
words=("$@")
CURRENT=${#words}
_netkit_completion
"""


def zsh_complete(*words: str) -> list[str]:
    zsh = require_tool("zsh")
    result = subprocess.run(
        [zsh, "-f", "-c", ZSH_DRIVER, "zsh", str(REPO / SHIPPED_FILES["zsh"]), "netkit", *words],
        capture_output=True, text=True, timeout=30, env=shell_env(), check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_zsh_file_parses() -> None:
    zsh = require_tool("zsh")
    result = subprocess.run([zsh, "-n", str(REPO / SHIPPED_FILES["zsh"])],
                            capture_output=True, text=True, timeout=30, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (REPO / SHIPPED_FILES["zsh"]).read_text().startswith("#compdef netkit\n")


# A real interactive zsh on a pseudo-terminal (zsh's own zpty module): compinit loads _netkit
# from fpath, the test types a line and Tab, then reads the line back through `print`.
ZSH_PTY_DRIVER = """
zmodload zsh/zpty
zpty -b z "zsh -f -i"
zpty -w z "PS1='%% '; fpath=($1 \\$fpath); autoload -U compinit; compinit -u -D; print RE''ADY"
zpty -r z out '*READY*'
zpty -r z out '*% *'
zpty -w -n z "$2"$'\\t'
zpty -r z out "*$3*"
zpty -w -n z $'\\x01print -r RESULT: \\n'
zpty -r z out '*RESULT: netkit*'
zpty -r z out
print -r -- "netkit${out%%$'\\r'*}"
zpty -d z
"""


@pytest.mark.parametrize(
    ("typed", "completed"),
    [("netkit conns --listen", "netkit conns --listening"),
     ("netkit completion z", "netkit completion zsh")],
)  # fmt: skip
def test_zsh_completes_on_tab_in_a_terminal(typed: str, completed: str, tmp_path: Path) -> None:
    zsh = require_tool("zsh")
    (tmp_path / "_netkit").write_text((REPO / SHIPPED_FILES["zsh"]).read_text())
    expected_tail = completed.rsplit(" ", 1)[1]
    result = subprocess.run(
        [zsh, "-f", "-c", ZSH_PTY_DRIVER, "zsh", str(tmp_path), typed, expected_tail],
        capture_output=True, text=True, timeout=60, env=shell_env(), check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == completed


def test_zsh_completes_commands_with_descriptions_and_values() -> None:
    commands = zsh_complete("co")
    assert any(line.startswith("conns:Sockets on this host") for line in commands)
    assert any(line.startswith("conv:") for line in commands)
    assert "lo" in zsh_complete("ifaces", "l") or sys.platform != "linux"


# ---------------------------------------------------------------------------------------------
# The value completers other commands wire to their options


def values(completer: completers.Completer, incomplete: str) -> list[str]:
    ctx = click.Context(click.Command("test"))
    return [item.value for item in completer(ctx, click.Option(["--x"]), incomplete)]


def test_mux_offers_only_what_this_platform_has() -> None:
    offered = values(completers.complete_mux, "")
    assert offered[:5] == ["auto", "blocking", "thread", "select", "poll"]
    assert ("epoll" in offered) == hasattr(select, "epoll")
    assert ("kqueue" in offered) == hasattr(select, "kqueue")
    assert values(completers.complete_mux, "e") == (["epoll"] if hasattr(select, "epoll") else [])


def test_record_types_match_without_case() -> None:
    assert values(completers.complete_record_type, "aa") == ["AAAA"]
    assert {"A", "AAAA", "ANY"} == set(values(completers.complete_record_type, "A"))
    assert "SOA" in values(completers.complete_record_type, "")


def test_socktypes() -> None:
    assert values(completers.complete_socktype, "") == ["stream", "dgram", "raw", "any"]


def test_local_addresses_for_host() -> None:
    offered = values(completers.complete_local_address, "")
    assert offered[:4] == ["127.0.0.1", "::1", "0.0.0.0", "::"]
    assert len(offered) == len(set(offered))
    assert values(completers.complete_local_address, "127.") == ["127.0.0.1"]


def test_interfaces_processes_and_pids() -> None:
    assert {n for _, n in socket.if_nameindex()} <= set(values(completers.complete_interface, ""))
    import psutil

    me = psutil.Process().name()
    assert me in values(completers.complete_process_name, me[:3])
    assert str(os.getpid()) in values(completers.complete_pid, str(os.getpid()))


def test_paths_are_left_to_the_shell() -> None:
    ctx = click.Context(click.Command("test"))
    (item,) = completers.complete_path(ctx, click.Option(["--path"]), "/tm")
    assert (item.type, item.value) == ("file", "/tm")


def test_a_failing_completer_gives_no_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(self: ShellComplete, args: list[str], incomplete: str) -> list[CompletionItem]:
        raise RuntimeError("psutil exploded")

    monkeypatch.setattr(ShellComplete, "get_completions", broken)
    monkeypatch.setenv("_NETKIT_COMPLETE", "bash_complete")
    monkeypatch.setenv("COMP_WORDS", "netkit ifaces ")
    monkeypatch.setenv("COMP_CWORD", "2")
    assert answer_completion_request(cli) == 1
    assert capsys.readouterr().err == ""
    monkeypatch.delenv("_NETKIT_COMPLETE")
    assert answer_completion_request(cli) is None


def test_command_modules_leave_psutil_for_later() -> None:
    """`netkit --help` and every Tab import the command modules: psutil must not come along."""
    code = (
        "import sys, netkit.cli.conns, netkit.cli.ifaces, netkit.cli.completers, "
        "netkit.cli.completion; print('psutil' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=30, check=True, cwd=REPO)  # fmt: skip
    assert result.stdout.strip() == "False"


def test_bash_quotes_a_value_with_spaces_so_it_stays_one_argument() -> None:
    """A process named 'nk tab me' completes as 'nk\\ tab\\ me' (bash inserts COMPREPLY as it
    is), which the shell then reads back as the one argument it is."""
    script = (
        "import ctypes, sys; ctypes.CDLL(None).prctl(15, b'nk tab me', 0, 0, 0); "
        "print('ready', flush=True); sys.stdin.read()"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == "ready\n"
        replies = bash_complete("conns", "--process", "nk")
    finally:
        child.communicate(timeout=10)
    assert replies == ["nk\\ tab\\ me"]
    bash = require_tool("bash")
    words = subprocess.run(
        [bash, "--norc", "--noprofile", "-c", f"printf '<%s>' {replies[0]}"],
        capture_output=True, text=True, timeout=10, check=True,
    ).stdout  # fmt: skip
    assert words == "<nk tab me>"
