"""PostgreSQL URIs on the command line and in Python: a password is masked in every form (with "/",
"@" or a space in it, a later "@" not mistaken for the host's, a driver's message repeating it,
click's usage errors), a URI given where a command reads or writes files only is refused up front
in those words, and an upper-case scheme is read as the lower-case one."""

from __future__ import annotations

import pytest
from cli_run import run_cli
from pg_checks import one_line_error

END = "1997-09-30"


WEIRD = "p@ss/wo rd"  # a password with "/", "@" and a space, none of them escaped


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql://ann:a/b@db/shop", "postgresql://ann:***@db/shop"),
        ("postgresql://ann:p@ss/wo rd@db:5432/shop", "postgresql://ann:***@db:5432/shop"),
        ("postgresql:/ann:s3cr3t@db/shop", "postgresql:/ann:***@db/shop"),  # as pathlib shows it
        ("folder 'POSTGRES:/ann:x/y@db/shop' does not exist",
         "folder 'POSTGRES:/ann:***@db/shop' does not exist"),
        ("postgresql://a:b/c@h/d is postgresql://e:f@g/h",
         "postgresql://a:***@h/d is postgresql://e:***@g/h"),
        ("postgresql://a:***@h/d: bad host \"x@y\"", "postgresql://a:***@h/d: bad host \"x@y\""),
        ("postgresql://ann@db/shop", "postgresql://ann@db/shop"),
        # A later "@" in the message or the query string is not the host's (a review of the
        # first version, which masked up to the last "@" of the line).
        ("postgresql://db:5432/shop?user=ann@corp&sslmode=require",
         "postgresql://db:5432/shop?user=ann@corp&sslmode=require"),
        ("postgresql://ann:pw@db/shop (contact admin@example.com)",
         "postgresql://ann:***@db/shop (contact admin@example.com)"),
        ("cannot connect to postgresql://db:5432/shop for user ann@corp.com",
         "cannot connect to postgresql://db:5432/shop for user ann@corp.com"),
    ],
)  # fmt: skip
def test_mask_password_covers_slashes_ats_spaces_and_one_slash(text, expected):
    from clvmodel._postgres_connect import mask_password

    assert mask_password(text) == expected


def test_a_driver_message_repeating_the_password_is_cleaned():
    from clvmodel._postgres_connect import translate_error

    uri = f"postgresql://ann:{WEIRD}@db/shop"
    error = translate_error(
        RuntimeError(f'could not translate host name "wo rd@db" to address ({WEIRD})'),
        uri,
        "connect to",
    )
    for piece in (WEIRD, "wo rd", "p@ss"):
        assert piece not in str(error)


def test_connecting_with_a_password_holding_slash_at_and_space_shows_none_of_it(pg_server):
    import clvmodel as clv

    uri = pg_server.uri_for("clv", WEIRD)
    with pytest.raises(clv.InputError) as caught:
        clv.read_table(uri, table="cdnow")
    for piece in (WEIRD, "wo rd", "ss/wo"):
        assert piece not in str(caught.value)
    assert "127.0.0.1" in str(caught.value)


@pytest.mark.parametrize(
    "command",
    [
        ["fit", "tx.csv", "--observation-end", END, "-o"],
        ["evaluate", "tx.csv", "--calibration-end", END, "-o"],
        ["report", "tx.csv", "--calibration-end", END, "-o"],
        ["subscriptions", "fit", "subs.csv", "-o"],
    ],
)
def test_a_uri_as_the_output_of_a_file_command_is_refused(command, pg_server, tmp_path):
    (tmp_path / "tx.csv").write_text("customer_id,date,amount\n1,1997-01-01,1\n")
    (tmp_path / "subs.csv").write_text("customer_id,start,end\n1,2020-01-01,\n")
    uri = pg_server.uri_for("clv", WEIRD)
    result = run_cli(*command, uri, cwd=tmp_path)
    line = one_line_error(result, "wo rd")
    assert "p@ss" not in result.output
    assert "postgresql://clv:***@127.0.0.1" in line and "writes files only" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["subs.csv", "tx.csv"]


@pytest.mark.parametrize(
    "command",
    [
        ["report", "URI", "--calibration-end", END, "-o", "r.html"],
        ["report", "tx.csv", "--cac-file", "URI", "--segment-column", "s", "--calibration-end",
         END, "-o", "r.html"],
        ["subscriptions", "fit", "URI", "-o", "m.json"],
    ],
)  # fmt: skip
def test_a_uri_as_the_input_of_a_file_command_is_refused_up_front(command, pg_server, tmp_path):
    (tmp_path / "tx.csv").write_text("customer_id,date,amount,s\n1,1997-01-01,1,a\n")
    uri = pg_server.uri_for("clv", WEIRD)
    result = run_cli(*[uri if part == "URI" else part for part in command], cwd=tmp_path)
    line = one_line_error(result, "wo rd")
    assert "reads CSV or Parquet files only" in line and "--table" not in line.split(";")[-1]
    assert "needs exactly one of --table" not in line


@pytest.mark.parametrize(
    "arguments",
    [
        ["score", "m.json", "tx.csv", "-o", "s.csv", "--batch-size", "URI"],  # a bad value
        ["score", "m.json", "tx.csv", "-o", "s.csv", "URI"],  # an extra argument
        ["URI"],  # no such command
    ],
)
def test_click_usage_errors_do_not_show_the_password(arguments, pg_server, tmp_path):
    uri = pg_server.uri_for("clv", WEIRD)
    result = run_cli(*[uri if part == "URI" else part for part in arguments], cwd=tmp_path)
    assert result.exit_code == 2
    assert "wo rd" not in result.output and "p@ss" not in result.output
    assert "postgresql://clv:***@127.0.0.1" in result.output


def test_an_upper_case_scheme_is_read_as_the_lower_case_one(pg_uri, cdnow_table):
    import clvmodel as clv

    upper = "POSTGRESQL://" + pg_uri.split("://", 1)[1]
    frame = clv.read_table(upper, table=cdnow_table)
    assert len(frame) == len(clv.read_table(pg_uri, table=cdnow_table)) > 0
