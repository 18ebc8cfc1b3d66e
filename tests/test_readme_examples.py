"""README code blocks run as written (the Spark block is run by tests/test_spark.py)."""

import re
import warnings
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]


def _python_blocks(section: str) -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    heading = re.search(rf"^##\s+{re.escape(section)}\s*$", text, re.M)
    assert heading, f"README has no section {section!r}"
    end = re.search(r"^## ", text[heading.end() :], re.M)
    body = text[heading.end() : heading.end() + (end.start() if end else len(text))]
    return re.findall(r"```python\n(.*?)```", body, re.S)


@pytest.mark.parametrize(
    "section",
    [
        "Using it from Python",
        "Day One value for new signups",
        "Which model?",
        "How sure are we? Intervals",
        "Unit economics: net CLV, CLV:CAC and payback",
        "Subscriptions",
    ],
)
def test_readme_python_blocks_run(section, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    blocks = _python_blocks(section)
    assert blocks
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for block in blocks:
            exec(compile(block, f"README.md ({section})", "exec"), namespace)
    if section == "Which model?":
        assert namespace["comparison"].table["model"].iloc[0] == "Pareto/NBD"
    elif section == "How sure are we? Intervals":
        assert (namespace["coverage"]["difference"].abs() <= 0.03).all()
    elif section == "Subscriptions":  # the README quotes these numbers
        assert namespace["models"].table["holdout_mae"].round(2).tolist() == [2.56, 2.88]
        assert namespace["naive"].errors["mae"].round(2).tolist() == [2.88, 7.12]
        assert namespace["naive"].value["value"].round(2).tolist() == [374.29, 168.50, 205.27]
    elif section == "Using it from Python":
        assert namespace["bg"].params_["r"] > 0 and len(namespace["table"]) == len(namespace["rfm"])
    elif section == "Day One value for new signups":
        assert len(namespace["model"].predict(namespace["new_signups"])) == 5
    else:  # the README quotes these holdout numbers
        check = namespace["check"].round(2)
        assert check["actual_holdout"].tolist() == [19.16, 25.17, 55.97]
        assert check["naive_holdout"].tolist() == [41.31, 60.23, 148.10]
        assert check["model_holdout"].tolist() == [18.98, 22.13, 41.00]
