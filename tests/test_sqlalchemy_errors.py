"""Database errors become clean API errors on SQLite, PostgreSQL and MariaDB: unique
violations are 409 naming the field, missing references and NOT NULL violations 400,
missing items 404, and nothing is half-written afterwards."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from potion import ModelResource, fields

from . import sqla_env

database = sqla_env.database  # the fixtures this module uses
sqla = sqla_env.sqla


@pytest.fixture
def shop(sqla):
    db = sqla.db

    class Maker(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(40), nullable=False, unique=True)

    class Product(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        sku = db.Column(db.String(20), nullable=False, unique=True)
        colour = db.Column(db.String(20), nullable=False)
        size = db.Column(db.String(5), nullable=False)
        note = db.Column(db.String(40), nullable=False)
        maker_id = db.Column(db.Integer, db.ForeignKey(Maker.id), nullable=True)
        maker = db.relationship(Maker)
        __table_args__ = (sa.UniqueConstraint("colour", "size", name="uq_colour_size"),)

    class MakerResource(ModelResource):
        class Meta:
            model = Maker
            natural_key = "name"

    class ProductResource(ModelResource):
        class Meta:
            model = Product

        class Schema:
            maker = fields.ToOne("maker", nullable=True)
            # declared nullable although the column is NOT NULL: the database decides
            note = fields.String(nullable=True)

    class RawProductResource(ModelResource):
        """Exposes the foreign key column itself, so the database checks it."""

        class Meta:
            model = Product
            name = "raw_product"

        class Schema:
            maker_id = fields.Integer(nullable=True)

    for resource in (MakerResource, ProductResource, RawProductResource):
        sqla.api.add_resource(resource)
    sqla.create_all()
    sqla.add(Maker(name="Acme"))
    sqla.add(Product(sku="A-1", colour="red", size="M", note="", maker_id=1))
    sqla.Product = Product
    sqla.snapshot = lambda: sqla.rows(
        "select id, sku, colour, size, note, maker_id from product order by id"
    )
    return sqla


ORIGINAL = [(1, "A-1", "red", "M", "", 1)]


def test_unique_violation_on_create_is_409_naming_the_field(shop):
    response = shop.post("/product", {"sku": "A-1", "colour": "blue", "size": "S", "note": ""})
    assert response.status_code == 409
    assert response.json["status"] == 409
    assert response.json["errors"] == [{"path": ["sku"], "validationOf": {"unique": True}}]
    assert "sku" in response.json["message"]
    assert shop.snapshot() == ORIGINAL


def test_unique_violation_on_a_named_composite_constraint(shop):
    response = shop.post("/product", {"sku": "B-1", "colour": "red", "size": "M", "note": ""})
    assert response.status_code == 409
    assert response.json["errors"] == [
        {"path": ["colour"], "validationOf": {"unique": True}},
        {"path": ["size"], "validationOf": {"unique": True}},
    ]
    assert shop.snapshot() == ORIGINAL


def test_unique_violation_on_update_is_409_and_changes_nothing(shop):
    shop.add(shop.Product(sku="B-2", colour="blue", size="S", note=""))
    response = shop.patch("/product/2", {"sku": "A-1", "note": "changed"})
    assert response.status_code == 409
    assert response.json["errors"] == [{"path": ["sku"], "validationOf": {"unique": True}}]
    assert shop.snapshot() == ORIGINAL + [(2, "B-2", "blue", "S", "", None)]


def test_unique_violation_on_a_natural_key_resource(shop):
    response = shop.post("/maker", {"name": "Acme"})
    assert response.status_code == 409
    assert response.json["errors"] == [{"path": ["name"], "validationOf": {"unique": True}}]
    assert shop.rows("select name from maker") == [("Acme",)]


def test_not_null_violation_is_400_naming_the_field(shop):
    for body in (
        {"sku": "B-1", "colour": "blue", "size": "S", "note": None},
        {"sku": "B-1", "colour": "blue", "size": "S"},
    ):
        response = shop.post("/product", body)
        assert response.status_code == 400, response.json
        assert response.json["errors"] == [
            {"path": ["note"], "validationOf": {"required": ["note"]}}
        ]
        assert shop.snapshot() == ORIGINAL
    response = shop.patch("/product/1", {"note": None, "colour": "green"})
    assert response.status_code == 400
    assert response.json["errors"][0]["path"] == ["note"]
    assert shop.snapshot() == ORIGINAL


def test_reference_to_a_missing_object_is_400_naming_the_field(shop):
    for maker in (99, {"$ref": "/maker/99"}, "Nobody"):
        response = shop.post(
            "/product", {"sku": "B-1", "colour": "blue", "size": "S", "note": "", "maker": maker}
        )
        assert response.status_code == 400
        (error,) = response.json["errors"]
        assert error["path"] == ["maker"]
        assert error["validationOf"] == {"$ref": "maker"}
    assert shop.snapshot() == ORIGINAL


def test_dangling_foreign_key_refused_by_the_database_is_400_naming_the_field(shop):
    response = shop.post(
        "/raw_product", {"sku": "B-1", "colour": "blue", "size": "S", "note": "", "maker_id": 99}
    )
    assert response.status_code == 400, response.json
    assert response.json["errors"] == [{"path": ["maker_id"], "validationOf": {"$ref": "maker_id"}}]
    assert shop.snapshot() == ORIGINAL
    response = shop.patch("/raw_product/1", {"maker_id": 42})
    assert response.status_code == 400
    assert shop.snapshot() == ORIGINAL


def test_deleting_a_referenced_item_is_409_and_deletes_nothing(shop):
    response = shop.delete("/maker/1")
    assert response.status_code == 409, response.json
    assert response.json["errors"] == [{"path": [], "validationOf": {"referencedBy": "product"}}]
    assert "product" in response.json["message"]
    assert shop.rows("select name from maker") == [("Acme",)]
    assert shop.snapshot() == ORIGINAL


def test_missing_items_are_404(shop):
    for method, url in [
        ("get", "/product/7"),
        ("patch", "/product/7"),
        ("delete", "/product/7"),
        ("get", "/maker/7"),
    ]:
        response = getattr(shop.client, method)(url, json={} if method == "patch" else None)
        assert response.status_code == 404, (method, url)
        assert response.json["item"]["$id"] == 7
    assert shop.get("/product/not-a-number").status_code == 404


def test_errors_are_never_html(shop):
    for response in (
        shop.post("/product", {"sku": "A-1", "colour": "red", "size": "M", "note": ""}),
        shop.get("/product/99"),
        shop.get("/product/1/nothing"),
        shop.client.delete("/product"),
    ):
        assert response.headers["Content-Type"] == "application/json"
        assert response.json["status"] == response.status_code


def test_debug_info_only_in_debug_mode(shop):
    response = shop.post("/product", {"sku": "A-1", "colour": "blue", "size": "S", "note": ""})
    assert "debug_info" not in response.json
    shop.app.debug = True
    response = shop.post("/product", {"sku": "A-1", "colour": "blue", "size": "S", "note": ""})
    assert response.status_code == 409
    assert "statement" in response.json["debug_info"]


def test_the_session_is_usable_after_an_error(shop):
    assert (
        shop.post("/product", {"sku": "A-1", "colour": "blue", "size": "S", "note": ""}).status_code
        == 409
    )
    response = shop.post("/product", {"sku": "C-1", "colour": "blue", "size": "S", "note": ""})
    assert response.status_code == 200
    assert shop.count("product") == 2


def test_a_value_the_database_cannot_store_is_400(shop):
    class Short(shop.db.Model):
        id = shop.db.Column(shop.db.Integer, primary_key=True)
        code = shop.db.Column(shop.db.String(3), nullable=False)

    class ShortResource(ModelResource):
        class Meta:
            model = Short

        class Schema:
            code = fields.String()  # no maxLength: the database has the last word

    shop.api.add_resource(ShortResource)
    with shop.app.app_context():
        shop.db.create_all()
    response = shop.post("/short", {"code": "toolong"})
    if shop.kind == "sqlite":  # SQLite does not enforce lengths
        assert response.status_code == 200
        return
    assert response.status_code == 400, response.json
    assert response.json["errors"] == [{"path": [], "validationOf": {"type": "storable"}}]
    assert shop.count("short") == 0


def test_the_table_that_refuses_a_delete_ignores_cascading_keys() -> None:
    import sqlalchemy as sa

    from potion.backends.sqlalchemy.errors import _referencing_table

    metadata = sa.MetaData()
    book = sa.Table("book", metadata, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "loan",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("book_id", sa.ForeignKey("book.id")),
    )
    sa.Table(
        "book_genre",
        metadata,
        sa.Column("book_id", sa.ForeignKey("book.id", ondelete="CASCADE"), primary_key=True),
    )
    sa.Table("note", metadata, sa.Column("book_id", sa.ForeignKey("book.id", ondelete="SET NULL")))
    assert _referencing_table(book) == "loan"
    sa.Table("review", metadata, sa.Column("book_id", sa.ForeignKey("book.id")))
    assert _referencing_table(book) is None  # two could refuse: which one is not known


def test_a_duplicate_whose_field_is_unknown_reads_as_a_sentence():
    from potion.backends.sqlerrors import error_for_fields

    named = error_for_fields("unique", ["isbn"], {})
    assert (named.status_code, named.message) == (409, "An item with this isbn already exists")
    unnamed = error_for_fields("unique", [], {})
    assert (unnamed.status_code, unnamed.message) == (
        409,
        "An item with one of its unique values already exists",
    )
