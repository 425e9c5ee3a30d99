"""The admin's inputs: which input a field gets, and how its text becomes JSON and back."""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

from potion import ModelResource, fields
from potion.backends.memory import MemoryManager
from potion.contrib.admin.dispatch import Answer
from potion.contrib.admin.messages import describe, field_errors
from potion.contrib.admin.registry import AdminResource, humanize, plural, singular
from potion.contrib.admin.widgets import OMIT, LocalError, widget_for


def widget(field: Any, creating: bool = True, required: bool = False, **kw: Any) -> Any:
    return widget_for("value", field, creating, required, **kw)


@pytest.mark.parametrize(
    "field, kind, html_type",
    [
        (fields.String(max_length=50), "text", "text"),
        (fields.String(), "textarea", "text"),
        (fields.String(max_length=2000), "textarea", "text"),
        (fields.String(pattern="^x+$"), "text", "text"),
        (fields.String(enum=["a", "b"]), "enum", "text"),
        (fields.Email(), "email", "email"),
        (fields.Uri(), "url", "url"),
        (fields.String(io="w", max_length=50), "password", "password"),
        (fields.Integer(), "integer", "number"),
        (fields.Number(), "number", "number"),
        (fields.Boolean(), "checkbox", "text"),
        (fields.Boolean(nullable=True), "tristate", "text"),
        (fields.Date(), "date", "date"),
        (fields.DateTime(), "datetime", "datetime-local"),
        (fields.DateString(), "date-string", "date"),
        (fields.DateTimeString(), "datetime-string", "datetime-local"),
        (fields.Object(fields.Integer()), "json", "text"),
        (fields.Array(fields.String()), "json", "text"),
    ],
)
def test_the_input_of_each_field_type(field: Any, kind: str, html_type: str) -> None:
    found = widget(field)
    assert found.kind == kind
    assert found.html_type == html_type


def test_references_get_selects() -> None:
    class Thing(ModelResource):
        class Meta:
            manager = MemoryManager

        class Schema:
            name = fields.String()
            parent = fields.ToOne("self", nullable=True)
            children = fields.ToMany("self")

    one = widget_for("parent", Thing.schema.fields["parent"], True, False)
    many = widget_for("children", Thing.schema.fields["children"], True, False)
    assert (one.kind, one.element, one.multiple, one.target) == ("toone", "select", False, Thing)
    assert (many.kind, many.element, many.multiple, many.target) == (
        "tomany",
        "select",
        True,
        Thing,
    )
    form = MultiDict([("parent", "/thing/2"), ("children", "/thing/3"), ("children", "/thing/4")])
    assert one.from_form(form, True) == {"$ref": "/thing/2"}
    assert many.from_form(form, True) == [{"$ref": "/thing/3"}, {"$ref": "/thing/4"}]
    assert one.to_input({"$ref": "/thing/2"}) == "/thing/2"
    assert many.to_input([{"$ref": "/thing/3"}]) == ["/thing/3"]
    assert one.from_form(MultiDict([("parent", "")]), False) is None


def test_text_to_json() -> None:
    number = widget(fields.Integer())
    assert number.from_form(MultiDict({"value": "42"}), True) == 42
    assert number.from_form(MultiDict({"value": "4.5"}), True) == 4.5
    assert number.from_form(MultiDict({"value": "many"}), True) == "many"  # the API says why
    assert number.from_form(MultiDict({"value": ""}), True) is OMIT
    assert number.from_form(MultiDict({"value": " "}), False) is None  # cleared on an edit
    real = widget(fields.Number())
    assert real.from_form(MultiDict({"value": "1e400"}), True) == "1e400"
    assert real.from_form(MultiDict({"value": "2.50"}), True) == 2.5
    check = widget(fields.Boolean())
    assert check.from_form(MultiDict({"value": "true"}), True) is True
    assert check.from_form(MultiDict(), True) is False
    maybe = widget(fields.Boolean(nullable=True))
    assert maybe.from_form(MultiDict({"value": "false"}), True) is False
    assert maybe.from_form(MultiDict({"value": ""}), False) is None
    day = widget(fields.Date())
    assert day.from_form(MultiDict({"value": "1970-01-02"}), True) == {"$date": 86400000}
    assert day.to_input({"$date": 86400000}) == "1970-01-02"
    assert day.from_form(MultiDict({"value": "2.3.1970"}), True) == "2.3.1970"
    moment = widget(fields.DateTime())
    assert moment.from_form(MultiDict({"value": "1970-01-01T00:01"}), True) == {"$date": 60000}
    assert moment.to_input({"$date": 60000}) == "1970-01-01T00:01:00"
    assert moment.display({"$date": 60000}) == "1970-01-01 00:01:00 UTC"
    iso = widget(fields.DateTimeString())
    assert iso.from_form(MultiDict({"value": "2020-05-01T10:00"}), True) == "2020-05-01T10:00:00Z"
    assert iso.to_input("2020-05-01T12:00:00+02:00") == "2020-05-01T10:00:00"
    data = widget(fields.Object(fields.Integer()))
    assert data.from_form(MultiDict({"value": '{"a": 1}'}), True) == {"a": 1}
    assert data.to_input({"a": 1}) == '{\n  "a": 1\n}'
    with pytest.raises(LocalError, match="Enter valid JSON"):
        data.from_form(MultiDict({"value": "{nope"}), True)


def test_empty_text() -> None:
    text = widget(fields.String(max_length=10), required=True)
    assert text.from_form(MultiDict({"value": ""}), True) == ""  # the API names the problem
    optional = widget(fields.String(max_length=10))
    assert optional.from_form(MultiDict({"value": ""}), True) is OMIT  # the default applies
    nullable = widget(fields.String(max_length=10, nullable=True), creating=False)
    assert nullable.from_form(MultiDict({"value": ""}), False) is None
    assert nullable.from_form(MultiDict({"value": "a\r\nb"}), False) == "a\nb"
    password = widget(fields.String(io="w"), creating=False)
    assert password.from_form(MultiDict({"value": ""}), False) is OMIT
    assert password.display("secret") == ""


def test_widget_overrides_and_unknown_widgets() -> None:
    assert widget(fields.String(), override="text").kind == "text"
    with pytest.raises(ValueError, match="Unknown admin widget 'slider'"):
        widget(fields.Integer(), override="slider")


def test_messages_for_validation_errors() -> None:
    assert describe({"validationOf": {"maxLength": 5}}) == "Enter at most 5 characters"
    assert describe({"validationOf": {"minLength": 1}}) == "This field cannot be empty"
    assert describe({"validationOf": {"type": "integer"}}, "x") == "Enter a whole number"
    assert describe({"validationOf": {"type": "integer"}}, None) == "This field is required"
    assert describe({"validationOf": {"format": "email"}}) == "Enter a valid email address"
    assert describe({"validationOf": {"enum": ["a", None]}}) == "Choose one of: a"
    assert describe({"validationOf": {"unique": True}}).startswith("This value is already used")
    assert describe({"message": "Nope"}) == "Nope"
    assert describe({"validationOf": {"referencedBy": "book"}}) == "Items of book still refer to it"
    conflict = Answer(409, {"message": "Still used", "errors": [{"path": [], "x": 1}]}, None)  # type: ignore[arg-type]
    assert field_errors(conflict, ["a"], {}) == ({}, ["Still used"])
    bare = Answer(400, {"message": "Bad Request", "errors": [{"path": []}]}, None)  # type: ignore[arg-type]
    assert field_errors(bare, ["a"], {}) == ({}, ["Bad Request", "This value is not valid"])
    answer = Answer(
        400,
        {
            "message": "Bad",
            "errors": [
                {"path": [], "validationOf": {"required": ["a", "b", "c"]}},
                {"path": ["d"], "validationOf": {"maximum": 3}},
                {"path": ["elsewhere", 0], "validationOf": {"minimum": 1}},
            ],
        },
        None,  # type: ignore[arg-type]
    )
    by_field, summary = field_errors(answer, ["a", "b", "d"], {"b": 1})
    assert by_field == {"a": "This field is required", "d": "Enter a value of at most 3"}
    assert summary == ["Bad", "C is required", "Elsewhere › 0: Enter a value of at least 1"]
    # the summary names fields by their labels
    labels = {"c": "Colour", "elsewhere": "Where"}
    labelled = field_errors(answer, ["a", "b", "d"], {"b": 1}, labels)[1]
    assert labelled[1:] == ["Colour is required", "Where › 0: Enter a value of at least 1"]


def test_admin_options_are_checked() -> None:
    class Gizmo(ModelResource):
        """Gizmos of all kinds.

        More words."""

        class Meta:
            manager = MemoryManager

        class Schema:
            code = fields.String(max_length=10)
            label = fields.String(max_length=40)
            size = fields.Integer()

    entry = AdminResource(Gizmo)
    assert entry.title == "Gizmo" and entry.description == "Gizmos of all kinds."
    assert entry.label_field == "label" and entry.columns == ["label", "code", "size"]
    assert entry.search_fields == ["label"]
    entry = AdminResource(Gizmo, {"columns": ["size"], "label": "code", "search": ["code"]})
    assert (entry.columns, entry.label_field, entry.search_fields) == (["size"], "code", ["code"])
    with pytest.raises(ValueError, match="unknown admin option"):
        AdminResource(Gizmo, {"colums": ["size"]})
    with pytest.raises(ValueError, match="cannot be filtered with icontains"):
        AdminResource(Gizmo, {"search": ["size"]})
    with pytest.raises(ValueError, match="not readable fields"):
        AdminResource(Gizmo, {"columns": ["nope"]})
    assert humanize("due_on") == "Due on"


def test_names_in_words_keep_acronyms() -> None:
    assert humanize("isbn") == "ISBN"
    assert humanize("user_id") == "User ID"
    assert humanize("homepage_url") == "Homepage URL"
    assert humanize("uuid") == "UUID" and humanize("api_key") == "API key"
    assert humanize("ip_address") == "IP address"
    assert humanize("email") == "Email" and humanize("due_on") == "Due on"
    assert humanize("$id") == "ID"


def test_plural_and_singular_titles() -> None:
    assert [plural(w) for w in ("Book", "Category", "Box", "Key", "Loan status")] == [
        "Books",
        "Categories",
        "Boxes",
        "Keys",
        "Loan statuses",
    ]
    assert [singular(w) for w in ("Users", "Categories", "Boxes", "Status", "Authentication")] == [
        "User",
        "Category",
        "Box",
        "Status",
        "Authentication",
    ]


def test_titles_from_the_resource_and_from_options() -> None:
    class Person(ModelResource):
        class Meta:
            manager = MemoryManager
            name = "person"

        class Schema:
            name = fields.String()
            homepage_url = fields.String(title="Web page")

    entry = AdminResource(Person)
    assert (entry.title, entry.title_plural) == ("Person", "Persons")
    assert entry.field_title("homepage_url") == "Web page"
    entry = AdminResource(Person, {"title": "Person", "title_plural": "People"})
    assert (entry.title, entry.title_plural) == ("Person", "People")

    class Users(ModelResource):
        class Meta:
            manager = MemoryManager
            name = "account"
            title = "Users"

        class Schema:
            username = fields.String()

    entry = AdminResource(Users)
    assert (entry.title, entry.title_plural) == ("User", "Users")
