"""The library's tables: authors, books and their genres, members and loans."""

import datetime

from potion.project import db

#: How long a loan lasts unless the librarian says otherwise.
LOAN_DAYS = 21


def today() -> datetime.date:
    return datetime.date.today()


def due_date() -> datetime.date:
    return today() + datetime.timedelta(days=LOAN_DAYS)


class Author(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(120), nullable=False, unique=True)
    born = db.Column(db.Integer)


class Genre(db.Model):
    """A shelf label; a book may have several genres, a genre many books."""

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(60), nullable=False, unique=True)


#: Which book has which genre: deleting a book or a genre takes its rows along.
book_genre = db.Table(
    "book_genre",
    db.Column(
        "book_id", db.Integer, db.ForeignKey("book.id", ondelete="CASCADE"), primary_key=True
    ),
    db.Column(
        "genre_id",
        db.Integer,
        db.ForeignKey("genre.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class Book(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    isbn = db.Column(db.String(17), nullable=False, unique=True)
    title = db.Column(db.String(200), nullable=False)
    author_id = db.Column(db.Integer, db.ForeignKey(Author.id), nullable=False, index=True)
    author = db.relationship(Author, backref=db.backref("books", lazy="dynamic"))
    year = db.Column(db.Integer)
    copies = db.Column(db.Integer, nullable=False, default=1)
    genres = db.relationship(
        Genre, secondary=book_genre, order_by=Genre.name, backref=db.backref("books")
    )


class Member(db.Model):
    """A library card; ``user`` is the login of the member, if they have one."""

    id = db.Column(db.Integer, primary_key=True)
    card = db.Column(db.String(20), nullable=False, unique=True)
    name = db.Column(db.String(120), nullable=False)
    user_id = db.Column(db.Integer, db.ForeignKey("auth_user.id", ondelete="SET NULL"), unique=True)
    user = db.relationship("User")


class Loan(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    book_id = db.Column(db.Integer, db.ForeignKey(Book.id), nullable=False, index=True)
    book = db.relationship(Book)
    member_id = db.Column(db.Integer, db.ForeignKey(Member.id), nullable=False, index=True)
    member = db.relationship(Member, backref=db.backref("loans", lazy="dynamic"))
    lent_on = db.Column(db.Date, nullable=False, default=today)
    due_on = db.Column(db.Date, nullable=False, default=due_date)
    returned_on = db.Column(db.Date)
