"""box settings / box resource / reauth and the agent side of a launch, without an engine."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from kanibako.app import LaunchOptions
from kanibako.errors import CliError
from kanibako.session.agent import prepare_agent
from kanibako_paths import ensure_initialized, load_paths, read_toml, resolve_project
from kanibako_targets.testing_issuer import TokenIssuer
from tests.state_cli import ok, run, select_vanished_target

CREDS = ".claude/.credentials.json"


def token(expires_at: int) -> str:
    return json.dumps({"claudeAiOauth": {"accessToken": "t", "expiresAt": expires_at}})


@pytest.fixture
def fake_claude(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `claude` on PATH; `claude auth login` writes fresh host credentials."""
    bin_dir = isolated_home / "bin"
    bin_dir.mkdir()
    script = bin_dir / "claude"
    script.write_text(
        "#!/bin/sh\n"
        'if [ "$1 $2" = "auth login" ]; then\n'
        '  mkdir -p "$HOME/.claude"\n'
        '  echo "{\\"claudeAiOauth\\": {\\"expiresAt\\": $(( $(date +%s) + 86400 ))000,'
        ' \\"refreshToken\\": \\"r\\"}}" > "$HOME/.claude/.credentials.json"\n'
        "fi\n"
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return script


@pytest.fixture
def issuer(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TokenIssuer]:
    """Claude's token issuer on loopback: token "t" is the user's account."""
    with TokenIssuer() as running:
        running.issue("t", "account-of-the-user")
        monkeypatch.setenv("KANIBAKO_CLAUDE_ISSUER_URL", running.url)
        yield running


@pytest.fixture
def no_agent_on_host(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A host with no agent, even where Claude Code is installed the usual way.

    Detection looks only at the host environment it is given (PATH, npm's
    prefix, the home): an empty PATH and no npm prefix make "no agent on this
    host" true for the code under test, whatever this machine has in /usr/bin.
    """
    empty = isolated_home / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    for variable in ("NPM_CONFIG_PREFIX", "npm_config_prefix"):
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture
def project(isolated_home: Path) -> Path:
    path = isolated_home / "proj"
    path.mkdir()
    return path


def settings_by_key(project: Path) -> dict[str, dict[str, object]]:
    rows = json.loads(ok("box", "settings", "list", "--json", "-p", str(project)))
    return {row["key"]: row for row in rows}


# -- box settings ----------------------------------------------------------------


def test_settings_list_shows_defaults_effective_values_and_sources(
    fake_claude: Path, project: Path
) -> None:
    table = ok("box", "settings", "list", "-p", str(project))
    assert table.splitlines()[0].split() == [
        "KEY", "DEFAULT", "EFFECTIVE", "SOURCE", "CHOICES", "DESCRIPTION",
    ]  # fmt: skip
    assert "permissive|default" in table
    rows = settings_by_key(project)
    assert rows["model"]["effective"] == "opus" and rows["model"]["source"] == "agent"
    assert rows["access"]["choices"] == ["permissive", "default"]


def test_project_override_beats_agent_state_and_unset_reverts(
    fake_claude: Path, project: Path, isolated_home: Path
) -> None:
    ok("box", "settings", "list", "-p", str(project))  # generates the agent TOML
    agent_toml = isolated_home / ".local/share/kanibako/agents/claude.toml"
    agent_toml.write_text(agent_toml.read_text().replace('model = "opus"', 'model = "sonnet"'))
    assert ok("box", "settings", "get", "model", "-p", str(project)) == "sonnet\n"
    ok("box", "settings", "set", "model", "haiku", "-p", str(project))
    assert ok("box", "settings", "get", "model", "-p", str(project)) == "haiku\n"
    assert settings_by_key(project)["model"]["source"] == "project"
    box = resolve_project(load_paths(), project)
    assert read_toml(box.project_config_file)["target_settings"] == {"model": "haiku"}
    ok("box", "settings", "unset", "model", "-p", str(project))
    assert ok("box", "settings", "get", "model", "-p", str(project)) == "sonnet\n"


def test_constrained_choice_is_enforced_and_nothing_is_written(
    fake_claude: Path, project: Path
) -> None:
    result = run("box", "settings", "set", "access", "yolo", "-p", str(project))
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "kanibako: setting 'access' must be one of permissive, default, not 'yolo'"
    )
    assert not resolve_project(load_paths(), project).initialized
    ok("box", "settings", "set", "access", "default", "-p", str(project))
    assert settings_by_key(project)["access"]["effective"] == "default"


def test_unknown_setting_names_the_known_ones(fake_claude: Path, project: Path) -> None:
    result = run("box", "settings", "get", "colour", "-p", str(project))
    assert result.exit_code == 2
    assert "unknown setting 'colour' (this target's settings: model, access)" in result.stderr


# -- box resource ----------------------------------------------------------------


def test_resource_list_set_and_unset(fake_claude: Path, project: Path) -> None:
    rows = json.loads(ok("box", "resource", "list", "--json", "-p", str(project)))
    plugins = next(r for r in rows if r["resource"] == "plugins/")
    assert (plugins["default"], plugins["effective"], plugins["path"]) == (
        "shared", "shared", "~/.claude/plugins/",
    )  # fmt: skip
    ok("box", "resource", "set", "plugins/", "project", "-p", str(project))
    ok("box", "resource", "set", "settings.json", "shared", "-p", str(project))
    table = ok("box", "resource", "list", "-p", str(project))
    assert "project (override)" in table and "shared (override)" in table
    bad = run("box", "resource", "set", "plugins", "everywhere", "-p", str(project))
    assert bad.exit_code == 2
    assert "scope must be one of shared, seeded, project" in bad.stderr
    ok("box", "resource", "unset", "plugins", "-p", str(project))
    rows = json.loads(ok("box", "resource", "list", "--json", "-p", str(project)))
    assert next(r for r in rows if r["resource"] == "plugins/")["effective"] == "shared"


def test_resource_scopes_are_applied_at_launch(fake_claude: Path, project: Path) -> None:
    paths = load_paths()
    box = ensure_initialized(paths, resolve_project(paths, project))
    plugins_target = "/home/agent/.claude/plugins"
    launch = prepare_agent(paths, box, LaunchOptions(), "start", first_run=True, verbose=False)
    assert plugins_target in {m.target for m in launch.mounts}
    assert (paths.agent_shared_dir("claude") / "plugins").is_dir()
    ok("box", "resource", "set", "plugins", "project", "-p", str(project))
    box = resolve_project(paths, project)
    launch = prepare_agent(paths, box, LaunchOptions(), "start", first_run=False, verbose=False)
    assert plugins_target not in {m.target for m in launch.mounts}


# -- the agent side of a launch ----------------------------------------------


@pytest.mark.usefixtures("issuer")
def test_prepare_agent_forwards_credentials_and_writes_fresher_ones_back(
    fake_claude: Path, project: Path, isolated_home: Path
) -> None:
    (isolated_home / ".claude").mkdir()
    (isolated_home / CREDS).write_text(token(100))
    paths = load_paths()
    box = ensure_initialized(paths, resolve_project(paths, project))
    launch = prepare_agent(paths, box, LaunchOptions(), "start", first_run=True, verbose=False)
    assert launch.target_name == "claude"
    assert launch.argv == ["claude", "--dangerously-skip-permissions", "--model", "opus"]
    assert (box.shell_dir / CREDS).read_text() == token(100)
    (box.shell_dir / CREDS).write_text(token(200))
    launch.finish()
    assert (isolated_home / CREDS).read_text() == token(200)


def test_a_project_set_up_before_its_first_launch_still_starts_fresh(
    fake_claude: Path, project: Path
) -> None:
    ok("box", "settings", "set", "model", "sonnet", "-p", str(project))
    paths = load_paths()
    box = resolve_project(paths, project)
    assert box.initialized  # the state command initialized it
    first = prepare_agent(paths, box, LaunchOptions(), "start", first_run=False, verbose=False)
    assert "--continue" not in first.argv
    assert (box.shell_dir / ".claude").is_dir()  # init_home ran
    first.session_ended(0)  # the agent's first session ended well
    second = prepare_agent(paths, box, LaunchOptions(), "start", first_run=False, verbose=False)
    assert second.argv[:2] == ["claude", "--continue"]
    assert second.argv[-2:] == ["--model", "sonnet"]


def test_a_shared_settings_copy_wins_over_the_hosts_when_seeding(
    fake_claude: Path, project: Path, isolated_home: Path
) -> None:
    (isolated_home / ".claude").mkdir()
    (isolated_home / ".claude/settings.json").write_text('{"from": "host"}')
    paths = load_paths()
    box = ensure_initialized(paths, resolve_project(paths, project))
    prepare_agent(paths, box, LaunchOptions(), "start", first_run=True, verbose=False)
    assert (box.shell_dir / ".claude/settings.json").read_text() == '{"from": "host"}'
    shared = paths.agent_shared_dir("claude")
    shared.mkdir(parents=True, exist_ok=True)
    (shared / "settings.json").write_text('{"from": "shared"}')
    other = isolated_home / "other"
    other.mkdir()
    box = ensure_initialized(paths, resolve_project(paths, other))
    prepare_agent(paths, box, LaunchOptions(), "start", first_run=True, verbose=False)
    assert (box.shell_dir / ".claude/settings.json").read_text() == '{"from": "shared"}'


def test_distinct_auth_forwards_nothing_either_way(
    fake_claude: Path, project: Path, isolated_home: Path
) -> None:
    (isolated_home / ".claude").mkdir()
    (isolated_home / CREDS).write_text(token(100))
    (isolated_home / ".claude.json").write_text('{"oauthAccount": {"email": "me@example.com"}}')
    paths = load_paths()
    box = ensure_initialized(paths, resolve_project(paths, project))
    options = LaunchOptions(distinct_auth=True)
    launch = prepare_agent(paths, box, options, "start", first_run=True, verbose=False)
    assert not (box.shell_dir / CREDS).exists()
    assert not (box.shell_dir / ".claude.json").exists()
    (box.shell_dir / CREDS).write_text(token(300))
    launch.finish()
    assert (isolated_home / CREDS).read_text() == token(100)


@pytest.mark.usefixtures("no_agent_on_host")
def test_a_selected_target_that_is_not_installed_is_a_clear_error(
    isolated_home: Path, project: Path
) -> None:
    ok("config", "target_name", "claude", "-p", str(project))
    paths = load_paths()
    box = resolve_project(paths, project)
    with pytest.raises(CliError, match="Claude Code was not found on this host"):
        prepare_agent(paths, box, LaunchOptions(), "start", first_run=False, verbose=False)
    shell = prepare_agent(paths, box, LaunchOptions(), "shell", first_run=False, verbose=False)
    assert shell.argv == [] and shell.target_name == "claude"


@pytest.mark.usefixtures("no_agent_on_host")
def test_no_agent_detected_means_a_plain_shell(isolated_home: Path, project: Path) -> None:
    paths = load_paths()
    box = ensure_initialized(paths, resolve_project(paths, project))
    launch = prepare_agent(paths, box, LaunchOptions(), "start", first_run=True, verbose=False)
    assert (launch.target_name, launch.argv, launch.mounts) == ("no_agent", [], [])


# -- reauth ------------------------------------------------------------------------


def test_reauth_runs_the_agents_login_when_credentials_are_missing(
    fake_claude: Path, project: Path, isolated_home: Path
) -> None:
    checked = run("reauth", "--check", "-p", str(project))
    assert checked.exit_code == 1
    assert "Claude Code needs a login" in checked.stderr
    out = ok("reauth", "-p", str(project))
    assert "no credentials at" in out and "token valid until" in out
    assert (isolated_home / CREDS).is_file()
    assert "token valid until" in ok("reauth", "--check", "-p", str(project))


@pytest.mark.parametrize("expires", ["Infinity", "9" * 400, '"soon"', "9999999999999"])
def test_reauth_names_an_implausible_expiry_instead_of_a_traceback(
    fake_claude: Path, project: Path, isolated_home: Path, expires: str
) -> None:
    # Before: `expiresAt: Infinity` ended `reauth` in an OverflowError traceback.
    (isolated_home / ".claude").mkdir()
    (isolated_home / CREDS).write_text('{"claudeAiOauth": {"expiresAt": ' + expires + "}}")
    checked = run("reauth", "--check", "-p", str(project))
    assert checked.exit_code == 1
    assert "holds no usable OAuth token: expiresAt is not" in checked.stdout
    assert checked.stderr == "kanibako: Claude Code needs a login (run `kanibako reauth`)\n"


@pytest.mark.usefixtures("issuer")
def test_a_forged_token_left_in_the_box_is_set_aside_and_the_launch_goes_on(
    fake_claude: Path, project: Path, isolated_home: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    (isolated_home / ".claude").mkdir()
    (isolated_home / CREDS).write_text(token(100))
    paths = load_paths()
    box = ensure_initialized(paths, resolve_project(paths, project))
    (box.shell_dir / ".claude").mkdir(parents=True)
    (box.shell_dir / CREDS).write_text(token(9999999999999))
    launch = prepare_agent(paths, box, LaunchOptions(), "start", first_run=True, verbose=False)
    err = capfd.readouterr().err
    assert err.count("\n") == 1 and "set aside as .credentials.json.rejected" in err, err
    assert (box.shell_dir / CREDS).read_text() == token(100)
    launch.finish()
    assert (isolated_home / CREDS).read_text() == token(100)


# -- target selection and templates --------------------------------------------


def test_an_unknown_selected_target_is_a_user_error(isolated_home: Path, project: Path) -> None:
    select_vanished_target(project, "nope")
    result = run("box", "settings", "list", "-p", str(project))
    assert result.exit_code == 2
    assert "unknown target 'nope' (installed: " in result.stderr


def test_no_agent_can_be_selected_even_when_claude_is_installed(
    fake_claude: Path, project: Path
) -> None:
    ok("config", "target_name", "no_agent", "-p", str(project))
    paths = load_paths()
    box = resolve_project(paths, project)
    launch = prepare_agent(paths, box, LaunchOptions(), "start", first_run=False, verbose=False)
    assert (launch.target_name, launch.argv, launch.mounts) == ("no_agent", [], [])


def test_the_agent_configs_template_variant_shapes_the_new_home(
    fake_claude: Path, project: Path, isolated_home: Path
) -> None:
    templates = isolated_home / ".local/share/kanibako/templates"
    (templates / "claude/standard/.claude").mkdir(parents=True)
    (templates / "claude/standard/.claude/CLAUDE.md").write_text("from the claude template\n")
    (templates / "general/minimal").mkdir(parents=True)
    (templates / "general/minimal/marker").write_text("minimal\n")
    paths = load_paths()
    box = ensure_initialized(paths, resolve_project(paths, project))  # as the pipeline does
    prepare_agent(paths, box, LaunchOptions(), "start", first_run=True, verbose=False)
    assert (box.shell_dir / ".claude/CLAUDE.md").read_text() == "from the claude template\n"
    other = isolated_home / "other"
    other.mkdir()
    agent_toml = paths.agents_dir / "claude.toml"
    agent_toml.write_text(agent_toml.read_text().replace('"standard"', '"minimal"'))
    box = ensure_initialized(paths, resolve_project(paths, other))
    prepare_agent(paths, box, LaunchOptions(), "start", first_run=True, verbose=False)
    assert (box.shell_dir / "marker").read_text() == "minimal\n"
    assert not (box.shell_dir / ".claude/CLAUDE.md").exists()
