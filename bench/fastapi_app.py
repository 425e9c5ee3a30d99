"""FastAPI: the benchmark's API as FastAPI's documentation teaches it.

``async def`` path operations, Pydantic v2 models for the body and the
``response_model``, a SQLAlchemy session per request from a dependency with
``yield``, query parameters declared with ``Query``.  Served through the
minimal ASGI caller of ``bench/calls.py``.  Its query language is the plain one
of the reference (``?year_gt=2000&rating_gte=3.0&sort=title``).
"""

# No ``from __future__ import annotations``: FastAPI reads the annotations of the
# endpoints defined inside ``create_app``, which name local objects.

from typing import Annotated, Any, AsyncIterator, Literal

import sqlalchemy as sa
from fastapi import Depends, FastAPI, HTTPException, Query, Response
from pydantic import BaseModel, ConfigDict, Field, computed_field
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from .workload import Workload, _sqlite_pragmas

__all__ = ["create_app", "create_server"]


class Base(DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "author"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))


class Book(Base):
    __tablename__ = "book"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200), unique=True)
    year: Mapped[int]
    rating: Mapped[float]
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("author.id"), index=True)


class Ref(BaseModel):
    ref: str = Field(alias="$ref")


class AuthorRef(BaseModel):
    ref: str = Field(alias="$ref", pattern=r"^/author/\d+$")

    @property
    def author_id(self) -> int:
        return int(self.ref.rsplit("/", 1)[1])


class BookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(max_length=200)
    year: int
    rating: float
    author: AuthorRef


class BookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, max_length=200)
    year: int | None = None
    rating: float | None = None
    author: AuthorRef | None = None


class BookOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int = Field(exclude=True)
    author_id: int = Field(exclude=True)
    title: str
    year: int
    rating: float

    @computed_field(alias="$uri")  # type: ignore[prop-decorator]
    @property
    def uri(self) -> str:
        return f"/book/{self.id}"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def author(self) -> Ref:
        return Ref(**{"$ref": f"/author/{self.author_id}"})


class BookRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int = Field(exclude=True)

    @computed_field(alias="$ref")  # type: ignore[prop-decorator]
    @property
    def ref(self) -> str:
        return f"/book/{self.id}"


def create_app(workload: Workload) -> tuple[FastAPI, sa.Engine]:
    """The FastAPI app serving the benchmark's operations, and its engine."""
    engine = sa.create_engine(workload.url)
    sa.event.listen(engine, "connect", _sqlite_pragmas)
    SessionLocal = sessionmaker(engine)
    app = FastAPI(title="Books")

    async def get_db() -> AsyncIterator[Session]:
        db = SessionLocal()
        try:
            yield db
        finally:
            db.close()

    DB = Annotated[Session, Depends(get_db)]

    def paginate(
        db: Session, query: Any, order: Any, response: Response, page: int, per_page: int
    ) -> list[Any]:
        total = db.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
        response.headers["X-Total-Count"] = str(total)
        page_query = query.order_by(order).limit(per_page).offset((page - 1) * per_page)
        return list(db.scalars(page_query))

    Page = Annotated[int, Query(ge=1)]
    PerPage = Annotated[int, Query(ge=1, le=100)]

    @app.get("/book/{book_id}", response_model=BookOut)
    async def read_book(book_id: int, db: DB) -> Any:
        book = db.get(Book, book_id)
        if book is None:
            raise HTTPException(status_code=404, detail="Book not found")
        return book

    @app.get("/book", response_model=list[BookOut])
    async def list_books(
        db: DB,
        response: Response,
        page: Page = 1,
        per_page: PerPage = 20,
        year_gt: int | None = None,
        rating_gte: float | None = None,
        sort: Literal["id", "title"] = "id",
    ) -> Any:
        query = sa.select(Book)
        if year_gt is not None:
            query = query.where(Book.year > year_gt)
        if rating_gte is not None:
            query = query.where(Book.rating >= rating_gte)
        order = Book.title if sort == "title" else Book.id
        return paginate(db, query, order, response, page, per_page)

    def commit(db: Session) -> None:
        try:
            db.commit()
        except IntegrityError:
            db.rollback()
            raise HTTPException(409, detail="A book with this title already exists") from None

    def author_exists(db: Session, ref: AuthorRef) -> int:
        if db.get(Author, ref.author_id) is None:
            raise HTTPException(status_code=400, detail="The author does not exist")
        return ref.author_id

    @app.post("/book", response_model=BookOut, status_code=201)
    async def create_book(book_in: BookCreate, db: DB) -> Any:
        author_id = author_exists(db, book_in.author)
        book = Book(**book_in.model_dump(exclude={"author"}), author_id=author_id)
        db.add(book)
        commit(db)
        db.refresh(book)
        return book

    @app.patch("/book/{book_id}", response_model=BookOut)
    async def update_book(book_id: int, changes: BookUpdate, db: DB) -> Any:
        book = db.get(Book, book_id)
        if book is None:
            raise HTTPException(status_code=404, detail="Book not found")
        data = changes.model_dump(exclude_unset=True)
        if "author" in data:
            data["author_id"] = author_exists(db, changes.author)  # type: ignore[arg-type]
            del data["author"]
        for key, value in data.items():
            setattr(book, key, value)
        commit(db)
        db.refresh(book)
        return book

    @app.get("/author/{author_id}/books", response_model=list[BookRef])
    async def author_books(
        author_id: int, db: DB, response: Response, page: Page = 1, per_page: PerPage = 20
    ) -> Any:
        query = sa.select(Book).where(Book.author_id == author_id)
        return paginate(db, query, Book.id, response, page, per_page)

    return app, engine


def create_server(workload: Workload) -> Any:
    from .contestants import ASGIServer, count_statements

    app, engine = create_app(workload)
    server = ASGIServer(app, engine.dispose)
    count_statements(engine, server)
    return server
