"""The click commands: createsuperuser (interactive and --noinput), changepassword,
createtoken, clearsessions; through the ``flask`` CLI of the app and as a group."""

from __future__ import annotations

import click
import pytest

from potion.contrib.auth import cli, commands

from . import auth_env
from .auth_env import PASSWORD, bearer

database = auth_env.database
authenv = auth_env.authenv
sqlite_env = auth_env.sqlite_env

GOOD = "a long enough passphrase"


def run(env, *args, input=None, **environment):
    runner = env.app.test_cli_runner(mix_stderr=False) if _mixes() else env.app.test_cli_runner()
    return runner.invoke(args=list(args), input=input, env=environment or None)


def _mixes():
    import inspect

    from click.testing import CliRunner

    return "mix_stderr" in inspect.signature(CliRunner.__init__).parameters


def one_error_line(result):
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 1, (result.output, result.stderr)
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


def test_commands_are_a_list_and_a_group():
    names = {command.name for command in commands}
    assert names == {"createsuperuser", "changepassword", "createtoken", "clearsessions"}
    assert isinstance(cli, click.Group)
    assert set(cli.commands) == names


def test_flask_cli_has_the_commands(sqlite_env):
    result = run(sqlite_env, "--help")
    for name in ("createsuperuser", "changepassword", "createtoken"):
        assert name in result.output
    for name in ("createsuperuser", "changepassword", "createtoken", "clearsessions"):
        assert run(sqlite_env, name, "--help").exit_code == 0


# -- createsuperuser ---------------------------------------------------------------------------


def test_createsuperuser_noinput(authenv):
    result = run(
        authenv,
        "createsuperuser",
        "--username",
        "admin",
        "--email",
        "admin@example.org",
        "--noinput",
        POTION_SUPERUSER_PASSWORD=GOOD,
    )
    assert result.exit_code == 0, result.stderr
    row = authenv.scalar_rows(
        "select username, email, is_staff, is_superuser, is_active from auth_user"
    )
    assert [tuple(bool(v) if i > 1 else v for i, v in enumerate(r)) for r in row] == [
        ("admin", "admin@example.org", True, True, True)
    ]
    authenv.login("admin", GOOD)


def test_createsuperuser_interactive(sqlite_env):
    result = run(
        sqlite_env,
        "createsuperuser",
        input=f"boss\nboss@example.org\n{GOOD}\n{GOOD}\n",
    )
    assert result.exit_code == 0, result.stderr
    sqlite_env.login("boss", GOOD)


def test_createsuperuser_interactive_asks_again_after_a_weak_password(sqlite_env):
    result = run(
        sqlite_env,
        "createsuperuser",
        "--username",
        "boss",
        "--email",
        "",
        input=f"password1\npassword1\n{GOOD}\nmismatch\n{GOOD}\n{GOOD}\n",
    )
    assert result.exit_code == 0, result.stderr
    assert "The password is too common" in result.stderr
    assert "The passwords do not match." in result.stderr
    sqlite_env.login("boss", GOOD)


@pytest.mark.parametrize(
    "args, environment, message",
    [
        (
            ["--noinput"],
            {"POTION_SUPERUSER_PASSWORD": GOOD},
            "--username is required with --noinput",
        ),
        (["--username", "admin", "--noinput"], {}, "Set POTION_SUPERUSER_PASSWORD"),
        (
            ["--username", "admin", "--noinput"],
            {"POTION_SUPERUSER_PASSWORD": "short"},
            "at least 10",
        ),
        (
            ["--username", "admin", "--noinput"],
            {"POTION_SUPERUSER_PASSWORD": "admin12345678"},
            "similar",
        ),
        (
            ["--username", "bad name", "--noinput"],
            {"POTION_SUPERUSER_PASSWORD": GOOD},
            "only letters",
        ),
        (
            ["--username", "x" * 151, "--noinput"],
            {"POTION_SUPERUSER_PASSWORD": GOOD},
            "at most 150",
        ),
        (
            ["--username", "admin", "--email", "nope", "--noinput"],
            {"POTION_SUPERUSER_PASSWORD": GOOD},
            "not an email address",
        ),
        (
            ["--username", "Taken", "--noinput"],
            {"POTION_SUPERUSER_PASSWORD": GOOD},
            "already exists",
        ),
    ],
)
def test_createsuperuser_errors(sqlite_env, args, environment, message):
    sqlite_env.user("taken")
    before = sqlite_env.snapshot()
    result = run(sqlite_env, "createsuperuser", *args, **environment)
    assert message in one_error_line(result)
    assert sqlite_env.snapshot() == before


def test_createsuperuser_interactive_gives_up_after_three_tries(sqlite_env):
    result = run(
        sqlite_env, "createsuperuser", "--username", "boss", "--email", "", input="a\nb\n" * 3
    )
    assert "No acceptable password given" in result.stderr
    assert result.exit_code == 1
    assert sqlite_env.count("auth_user") == 0


# -- changepassword -------------------------------------------------------------------------------


def test_changepassword_ends_sessions_and_tokens(authenv):
    authenv.user("alice")
    token = authenv.token("alice")
    authenv.login("alice")
    result = run(authenv, "changepassword", "ALICE", input=f"{GOOD}\n{GOOD}\n")
    assert result.exit_code == 0, result.stderr
    assert authenv.client.get("/api/user/me").status_code == 401
    assert authenv.new_client().get("/api/user/me", headers=bearer(token)).status_code == 401
    assert authenv.count("auth_session") == 0
    assert authenv.count("auth_token") == 0
    authenv.login("alice", GOOD)


def test_changepassword_errors(sqlite_env):
    sqlite_env.user("alice")
    before = sqlite_env.snapshot()
    assert "No user named 'bob'" in one_error_line(run(sqlite_env, "changepassword", "bob"))
    weak = run(sqlite_env, "changepassword", "alice", input="123\n123\n" * 3)
    assert weak.exit_code == 1
    assert "No acceptable password given" in weak.stderr
    assert run(sqlite_env, "changepassword").exit_code == 2  # USERNAME is required
    assert sqlite_env.snapshot() == before
    sqlite_env.login("alice", PASSWORD)


# -- createtoken ------------------------------------------------------------------------------------


def test_createtoken_prints_a_working_token_once(authenv):
    authenv.user("alice")
    result = run(authenv, "createtoken", "alice", "--expires", "2", "--name", "ci")
    assert result.exit_code == 0, result.stderr
    token = result.stdout.strip()
    assert token.startswith("potion_") and "\n" not in token
    assert "expires" in result.stderr
    me = authenv.new_client().get("/api/user/me", headers=bearer(token))
    assert me.json["username"] == "alice"
    listed = authenv.new_client().get("/api/auth/token", headers=bearer(token)).json
    assert listed[0]["name"] == "ci"
    assert token not in str(authenv.snapshot())


@pytest.mark.parametrize(
    "args, message",
    [
        (["nobody"], "No user named 'nobody'"),
        (["alice", "--expires", "0"], "A token lives between 0 and 366 days"),
        (["alice", "--expires", "-3"], "A token lives between"),
        (["alice", "--expires", "100000"], "A token lives between"),
        (["alice", "--name", "n" * 101], "at most 100 characters"),
        (["inactive"], "inactive"),
    ],
)
def test_createtoken_errors(sqlite_env, args, message):
    sqlite_env.user("alice")
    sqlite_env.user("inactive", is_active=False)
    result = run(sqlite_env, "createtoken", *args)
    assert message in one_error_line(result)
    assert result.stdout == ""
    assert sqlite_env.count("auth_token") == 0


def test_createtoken_bad_expiry_type(sqlite_env):
    sqlite_env.user("alice")
    result = run(sqlite_env, "createtoken", "alice", "--expires", "soon")
    assert result.exit_code == 2
    assert "is not a valid float" in result.stderr
    assert sqlite_env.count("auth_token") == 0


def test_clearsessions(sqlite_env):
    result = run(sqlite_env, "clearsessions")
    assert result.exit_code == 0
    assert result.stdout.strip() == "0 sessions, 0 tokens, 0 attempts deleted."


def test_commands_registered_on_another_click_group(sqlite_env):
    """A manage.py adds the commands to its own group, with the app as its script info."""
    from flask.cli import FlaskGroup

    group = FlaskGroup(create_app=lambda: sqlite_env.app, add_default_commands=False)
    for command in commands:
        group.add_command(command)
    from click.testing import CliRunner

    runner = CliRunner()
    result = runner.invoke(
        group,
        ["createsuperuser", "--username", "ops", "--noinput"],
        env={"POTION_SUPERUSER_PASSWORD": GOOD},
    )
    assert result.exit_code == 0, result.output
    sqlite_env.login("ops", GOOD)
