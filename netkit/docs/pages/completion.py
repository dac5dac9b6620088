"""Hand-written parts of netkit-completion(1)."""

from netkit.docs.pages import Example, Page

PAGE = Page(
    description=(
        "**netkit completion** prints the shell completion script for bash, zsh or fish. "
        "The scripts are click's: on Tab, the shell runs netkit with **_NETKIT_COMPLETE** "
        "set, and netkit answers from its own command definitions, so completion always "
        "matches the installed version. It completes commands, options and their values: "
        "choices, the listener I/O designs that this system has, DNS record types, "
        "socket types, interface names, this host's addresses to listen on, process names "
        "and pids, and file names.",
        "The same scripts ship in the source tree as completions/netkit.bash, "
        "completions/_netkit and completions/netkit.fish.",
        (
            "bash",
            "Needs the bash-completion package. Install for your user with "
            "**netkit completion bash > ~/.local/share/bash-completion/completions/netkit**, "
            "or system-wide into /usr/share/bash-completion/completions/netkit.",
        ),
        (
            "zsh",
            "Write it as **_netkit** into a directory on **$fpath** before **compinit** "
            "runs, for example **netkit completion zsh > ~/.zfunc/_netkit** with "
            "**fpath+=(~/.zfunc)** in ~/.zshrc; or system-wide into "
            "/usr/local/share/zsh/site-functions/_netkit.",
        ),
        ("fish", "**netkit completion fish > ~/.config/fish/completions/netkit.fish**."),
        'For the running shell only: **eval "$(netkit completion bash)"** (or zsh), or '
        "**netkit completion fish | source**.",
    ),
    examples=(
        Example(
            "Install bash completion for yourself:",
            "mkdir -p ~/.local/share/bash-completion/completions\n"
            "netkit completion bash > ~/.local/share/bash-completion/completions/netkit",
        ),
        Example(
            "Try zsh completion in this shell:",
            'autoload -U compinit && compinit\neval "$(netkit completion zsh)"',
        ),
    ),
    see_also=("netkit(1)", "bash(1)", "zshcompsys(1)", "fish(1)"),
)
