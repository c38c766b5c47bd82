"""The published JSON Schemas are the output types' (generated from them, shipped in the package
and in docs/), valid JSON Schemas, and they refuse a broken output."""

from __future__ import annotations

import copy
import json
import re
from importlib.resources import files
from pathlib import Path
from typing import Any, TypedDict

import pytest
from jsonschema import Draft202012Validator

from tests.conftest import replayed
from tests.published import Unpublished, check
from uktrace.analysis.results import fleet_results
from uktrace.model.shapes import recording, run, timeline
from uktrace.model.shapes.derive import checks, json_schema
from uktrace.model.shapes.outputs import OUTPUTS, output

DOCS = Path(__file__).parents[2] / "docs" / "schemas"


@pytest.mark.parametrize("entry", OUTPUTS, ids=lambda entry: entry.name)
def test_the_published_schemas_are_the_types(entry: Any) -> None:
    for directory in (files("uktrace") / "schemas", DOCS):
        published = (directory / entry.file).read_text()
        assert published == entry.text(), f"{directory}/{entry.file} is not its type's schema: run `make schemas`"


@pytest.mark.parametrize("entry", OUTPUTS, ids=lambda entry: entry.name)
def test_each_schema_is_a_json_schema(entry: Any) -> None:
    Draft202012Validator.check_schema(entry.schema())
    Draft202012Validator.check_schema(entry.schema(strict=True))


def _run() -> dict[str, Any]:
    return json.loads(json.dumps(fleet_results(replayed("crash-3"))))


def test_a_run_fits_its_schema() -> None:
    check("run", _run(), "crash-3")


@pytest.mark.parametrize(
    ("broken", "said"),
    [
        (lambda doc: doc["guests"][0]["host"].pop("spawn_ns"), "'spawn_ns' is a required property"),
        (lambda doc: doc["guests"][1].update(lines="many"), "'many' is not of type 'integer'"),
        (lambda doc: doc["guests"][2]["phases"][0].update(start="0.1"), "'0.1' is not valid under any of the given"),
        (lambda doc: doc["guests"][0]["host"].update(spawn_ns=-1), "-1 is less than the minimum of 0"),
        (lambda doc: doc.pop("summary"), "'summary' is a required property"),
        (lambda doc: doc.update(format=2), "1 was expected"),
    ],
)
def test_a_broken_output_fails(broken: Any, said: str) -> None:
    document = _run()
    broken(document)
    with pytest.raises(Unpublished, match=re.escape(said)):
        check("run", document, "broken")
    published = Draft202012Validator(output("run").schema())
    assert not published.is_valid(document)  # the published schema refuses it too


def test_a_field_not_declared_fails_the_tests_not_a_reader() -> None:
    """The published schema is open (a reader ignores what it does not know: a new field is no new
    version); the tests' strict one refuses a field written without being declared in its type."""
    document = _run()
    document["guests"][0]["host"]["vsock_ns"] = 5
    with pytest.raises(Unpublished, match="'vsock_ns' was unexpected"):
        check("run", document, "added")
    assert Draft202012Validator(output("run").schema()).is_valid(document)
    assert Draft202012Validator(output("run").schema()).is_valid(copy.deepcopy(_run()))


def test_a_reader_reads_the_fields_the_types_declare() -> None:
    """The recording reader's and `run_shape`'s field tables are the types' (each field's check is
    declared beside it), not a copy: every host field is read, and guest.json's and a run guest's
    fields but those read apart (`host`) or written for people only (none)."""
    assert set(recording.HOST) == set(recording.Host.__annotations__)
    assert set(recording.GUEST) == set(recording.GuestFile.__annotations__) - {"host"}
    assert set(run.GUEST) == set(run.RunGuest.__annotations__) - {"host"}
    assert set(recording.SESSION) == set(recording.Session.__annotations__) - {"options", "guests"}
    assert checks(recording.Options) == recording.OPTIONS


# the functional form: its annotations are objects, as the shapes' are (this module's are strings)
Edges = TypedDict("Edges", {"at": int})  # noqa: UP013
Twice = TypedDict("Twice", {"ours": Edges, "theirs": timeline.Edges})  # noqa: UP013


def test_two_objects_of_one_name_in_an_output_are_refused() -> None:
    """A `$defs` entry per object name: two types of one name would share an entry, one of them
    described wrongly; the generator says so instead."""
    with pytest.raises(TypeError, match="two objects named Edges"):
        json_schema(Twice, "twice", 1, "a test")
