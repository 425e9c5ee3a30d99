"""A small Potion API on an embedded SQLite database: authors and their books.

Run it with ``python example/app.py`` and open http://127.0.0.1:5000/api/schema.
"""

from __future__ import annotations

import os

from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from potion import Api, ModelResource, Relation, fields
from potion.routes import ItemRoute

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get(
    "DATABASE_URL", "sqlite:///" + os.path.join(os.path.dirname(__file__), "example.sqlite3")
)
db = SQLAlchemy(app)


class Author(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    first_name = db.Column(db.String(60), nullable=False)
    last_name = db.Column(db.String(60), nullable=False)
    __table_args__ = (db.UniqueConstraint("first_name", "last_name"),)


class Book(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    author_id = db.Column(db.Integer, db.ForeignKey(Author.id), nullable=False)
    author = db.relationship(Author, backref=db.backref("books", lazy="dynamic"))
    title = db.Column(db.String(200), nullable=False, unique=True)
    year_published = db.Column(db.Integer)
    rating = db.Column(db.Integer, default=5)


class AuthorResource(ModelResource):
    books = Relation("book")

    class Meta:
        model = Author
        natural_key = ("first_name", "last_name")


class BookResource(ModelResource):
    class Meta:
        model = Book

    class Schema:
        author = fields.ToOne("author")
        year_published = fields.Integer(minimum=1400, nullable=True)

    @ItemRoute.GET
    def shout(self, book) -> fields.String():
        return book.title.upper()


api = Api(app, prefix="/api", title="Library", description="Authors and their books")
api.add_resource(BookResource)
api.add_resource(AuthorResource)

with app.app_context():
    db.create_all()
    if not db.session.query(Author).count():
        darwin = Author(first_name="Charles", last_name="Darwin")
        db.session.add(darwin)
        db.session.add(Book(title="On the Origin of Species", year_published=1859, author=darwin))
        db.session.commit()

if __name__ == "__main__":
    app.run(port=int(os.environ.get("PORT", "5000")))
