"""The library's API: /api/author, /api/book, /api/genre, /api/member and /api/loan.

Who may do what (``Meta.permissions``; superusers may do everything):

- anyone reads authors, books and genres; librarians (users with the ``librarian`` role)
  add, change and remove them;
- a member reads only their own card and loans (``user:user``, ``read:member``) and
  returns only their own loans; librarians see and manage every card and loan.
"""

import datetime

from potion import ModelResource, Relation, fields, permissions, signals
from potion.exceptions import BackendConflict
from potion.project import db
from potion.routes import ItemRoute

from .models import Author, Book, Genre, Loan, Member, due_date

LIBRARIAN = "librarian"
LIBRARIANS_ONLY = {"create": LIBRARIAN, "update": LIBRARIAN, "delete": LIBRARIAN}


class AuthorResource(ModelResource):
    """The writers of the library's books."""

    books = Relation("book")

    class Meta:
        model = Author
        natural_key = "name"
        permissions = {"read": "yes", **LIBRARIANS_ONLY}

    class Schema:
        name = fields.String(min_length=1, max_length=120)
        born = fields.Integer(minimum=0, maximum=2100, nullable=True)


class BookResource(ModelResource):
    """The library's books, each with its number of copies."""

    #: /api/book/{id}/genres: list, add ({"$ref": "/api/genre/1"}) and remove genres
    genres = Relation("genre")

    class Meta:
        model = Book
        natural_key = "isbn"
        permissions = {"read": "yes", **LIBRARIANS_ONLY}

    class Schema:
        isbn = fields.String(pattern=r"^[0-9][0-9-]{8,15}[0-9Xx]$")
        title = fields.String(min_length=1, max_length=200)
        author = fields.ToOne("author")
        year = fields.Integer(minimum=1400, maximum=2100, nullable=True)
        copies = fields.Integer(minimum=0, default=1)

    @ItemRoute.GET
    def available(self, book) -> fields.Integer():
        """Copies on the shelf: the copies less the loans not yet returned."""
        return book.copies - _open_loans(book)


class GenreResource(ModelResource):
    """Shelf labels such as "Science fiction": a book may have several."""

    class Meta:
        model = Genre
        natural_key = "name"
        permissions = {"read": "yes", **LIBRARIANS_ONLY}

    class Schema:
        name = fields.String(min_length=1, max_length=60)
        books = fields.ToMany("book", default=[])


class MemberResource(ModelResource):
    """Library cards: a member sees only their own."""

    class Meta:
        model = Member
        natural_key = "card"
        permissions = {"read": ["user:user", LIBRARIAN], **LIBRARIANS_ONLY}

    class Schema:
        card = fields.String(min_length=1, max_length=20)
        name = fields.String(min_length=1, max_length=120)
        user = fields.ToOne("user", nullable=True)


class LoanResource(ModelResource):
    """Books lent to members, and when they are due back."""

    class Meta:
        model = Loan
        permissions = {
            "read": ["read:member", LIBRARIAN],
            **LIBRARIANS_ONLY,
            "return": ["read:member", LIBRARIAN],
        }

    class Schema:
        book = fields.ToOne("book")
        member = fields.ToOne("member")
        lent_on = fields.Date(io="r")
        due_on = fields.Date(default=due_date)
        returned_on = fields.Date(nullable=True, io="r")

    @ItemRoute.POST("/return", rel="return", action="return")
    def return_loan(self, loan) -> fields.Inline("self"):
        """Give the book back: the loan gets today's date as ``returned_on``."""
        if loan.returned_on is not None:
            raise BackendConflict(f"This loan was returned on {loan.returned_on.isoformat()}")
        # "return" was checked on the loan; the write itself is the library's, not an
        # "update" by the member (which only librarians may do)
        with permissions.unchecked():
            self.manager.update(loan, {"returned_on": datetime.date.today()})
        return self.manager.for_output(loan)


def _open_loans(book) -> int:
    with db.session.no_autoflush:  # a loan being created is not counted half-made
        return Loan.query.filter(Loan.book_id == book.id, Loan.returned_on.is_(None)).count()


@signals.before_create.connect_via(LoanResource)
def _a_copy_must_be_on_the_shelf(sender, item, **kwargs):
    """A loan needs a copy on the shelf (this runs inside the write's transaction)."""
    book = item.book
    if book is not None and _open_loans(book) >= book.copies:
        raise BackendConflict(f"No copy of {book.title!r} is on the shelf")
