"""The GitHub workflows do what README.md says: publish `make book`'s output on
GitHub Pages, and run `make test` (and the Binder check) on every pull request, on
the Python that runtime.txt gives Binder."""

import re

import pytest
import yaml
from booksite import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"


def load(name):
    workflow = yaml.safe_load((WORKFLOWS / name).read_text())
    # YAML 1.1 reads the key `on` as True
    workflow["on"] = workflow.pop(True, workflow.get("on"))
    return workflow


def steps(job):
    return job.get("steps", [])


def runs(job):
    return " && ".join(s["run"].strip() for s in steps(job) if "run" in s)


def uses(job):
    return [s.get("uses", "").split("@")[0] for s in steps(job)]


RUNTIME = re.fullmatch(r"python-(\d+\.\d+)", (ROOT / "runtime.txt").read_text().strip()).group(1)


def test_pages_workflow_builds_with_make_book_and_deploys_the_html():
    wf = load("pages.yml")
    assert "main" in wf["on"]["push"]["branches"]
    assert {"pages": "write", "id-token": "write"}.items() <= wf["permissions"].items()
    build, deploy = wf["jobs"]["build"], wf["jobs"]["deploy"]
    assert "make book" in runs(build)
    # the PDF edition after the HTML book, which it is copied into (the landing page links it)
    assert runs(build).index("make pdf") > runs(build).index("make book")
    upload = next(s for s in steps(build) if "upload-pages-artifact" in s.get("uses", ""))
    assert upload["with"]["path"] == "_build/html"
    assert "actions/deploy-pages" in uses(deploy)
    assert deploy["needs"] == "build"


def test_test_workflow_runs_make_test_and_the_binder_check_on_pull_requests():
    wf = load("test.yml")
    assert "pull_request" in wf["on"]
    assert runs(wf["jobs"]["test"]).strip() == "make test"
    assert "make binder-check" in runs(wf["jobs"]["binder-check"])
    assert "cffconvert --validate" in runs(wf["jobs"]["citation"])


@pytest.mark.parametrize("name", ["pages.yml", "test.yml"])
def test_workflows_use_the_python_of_runtime_txt(name):
    for job in load(name)["jobs"].values():
        container = job.get("container") or ""
        if isinstance(container, dict):
            container = container["image"]
        if container:
            assert container.startswith(f"python:{RUNTIME}-"), container
        for step in steps(job):
            if step.get("uses", "").startswith("actions/setup-python"):
                assert str(step["with"]["python-version"]) == RUNTIME
