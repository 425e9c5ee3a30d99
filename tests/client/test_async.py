"""potion.client.AsyncClient against a served Potion API: the same API, awaited."""

from __future__ import annotations

import asyncio
import datetime

import httpx
import pytest

from potion.client import (
    DESC,
    APIError,
    AsyncClient,
    AsyncPaginatedList,
    AsyncResource,
    ItemNotFound,
    MultipleItemsFound,
    NotLoaded,
    ValidationError,
)


def run(coroutine_function, library, **options):
    """Run ``coroutine_function(client)`` with a fresh AsyncClient of the library."""

    async def main():
        async with AsyncClient(library.url, backoff=0, **options) as client:
            library.wire.clear()
            return await coroutine_function(client)

    return asyncio.run(main())


async def add_books(client, count):
    author = await client.Author(first_name="Alfred", last_name="Wallace").save()
    return [
        await client.Book(title=f"Volume {n:02d}", author=author, year_published=1900 + n).save()
        for n in range(1, count + 1)
    ]


def test_the_schema_is_read_on_entering(library):
    async def main():
        client = AsyncClient(library.url)
        with pytest.raises(AttributeError, match="fetch_schema"):
            client.Book  # noqa: B018
        await client.fetch_schema()
        assert issubclass(client.Book, AsyncResource)
        assert client.BookStore.__name__ == "BookStore"
        await client.aclose()

    asyncio.run(main())
    # the resource schemas are requested together, after the root schema
    assert [hit.path for hit in library.wire.requests][0] == "/api/schema"
    assert len(library.wire.requests) == 5


def test_items(library):
    async def main(client):
        darwin = await client.Author.fetch(1)
        assert darwin.full_name == "Charles Darwin"
        book = await client.Book(title="Descent", author=darwin, year_published=1871).save()
        assert book.uri == "/api/book/2" and book.rating == 5
        assert await client.Book.fetch(2) is book
        await book.update(rating=8)
        assert library.wire.requests[-1].body == {"rating": 8}
        book.year_published = 1872
        await book.save()
        assert (await book.load()).year_published == 1872
        created = await client.Author.create(first_name="Gregor", last_name="Mendel")
        assert created.id == 2
        await book.delete()
        with pytest.raises(ItemNotFound):
            await client.Book.fetch(2)
        return library.count("Book")

    assert run(main, library) == 1


def test_references_are_loaded_explicitly(library):
    async def main(client):
        book = await client.Book.fetch(1)
        author = book.author
        assert author is client.Author(1)
        assert author.id == 1 and author.uri == "/api/author/1"
        with pytest.raises(NotLoaded):
            author.last_name  # noqa: B018
        assert (await author.load()).last_name == "Darwin"
        assert author.last_name == "Darwin"

    run(main, library)


def test_lists_fetch_pages_on_demand(library):
    async def main(client):
        await add_books(client, 11)  # 12 books
        wire = library.wire
        wire.clear()
        books = client.Book.instances(per_page=5)
        assert isinstance(books, AsyncPaginatedList)
        with pytest.raises(TypeError):
            len(books)
        assert wire.requests == []
        assert await books.count() == 12
        assert len(books) == 12
        assert (await books[7]).title == "Volume 07"
        assert [int(q["page"]) for q in wire.hits("GET", "/api/book")] == [1, 2]
        assert [b.title for b in await books[5:7]] == ["Volume 05", "Volume 06"]
        assert (await books[-1]).title == "Volume 11"
        titles = [b.title async for b in books]
        assert len(titles) == 12
        assert [int(q["page"]) for q in wire.hits("GET", "/api/book")] == [1, 2, 3]
        with pytest.raises(IndexError):
            await books[12]
        page = client.Book.instances(page=3, per_page=5)
        assert [b.title async for b in page] == ["Volume 10", "Volume 11"]

    run(main, library)


def test_queries(library):
    async def main(client):
        await add_books(client, 3)
        Book = client.Book
        assert (await Book.first(sort={"year_published": DESC})).title == "Volume 03"
        found = [b.title async for b in Book.instances(where={"year_published": {"$lt": 1903}})]
        assert found == ["On the Origin of Species", "Volume 01", "Volume 02"]
        with pytest.raises(ItemNotFound):
            await Book.first(where={"title": "Missing"})
        with pytest.raises(MultipleItemsFound):
            await Book.one(where={"year_published": {"$gt": 1900}})
        assert (await Book.one(where={"title": "Volume 02"})).year_published == 1902

    run(main, library)


def test_links(library):
    async def main(client):
        book = await client.Book.fetch(1)
        assert await book.read_shout() == "ON THE ORIGIN OF SPECIES"
        assert await client.Book.read_genres() == ["history", "science"]
        assert await book.update_rating(6) == 6
        assert await book.create_rename(title="Origin") is book
        assert book.title == "Origin"
        store = await client.BookStore(name="Corner").save()
        assert await store.add_books(book) is book
        assert [b async for b in store.books()] == [book]
        await store.remove_books(book)
        assert await store.books().count() == 0
        assert await client.Status.create_echo(value=1) == {"value": 1, "note": None}
        schema = await client.Book.described_by()
        assert schema["properties"]["title"]["type"] == "string"

    run(main, library)


def test_dates(library):
    async def main(client):
        added = datetime.datetime(2021, 5, 6, 7, 8, 9, 10000, tzinfo=datetime.UTC)
        book = await client.Book(title="Dated", author=client.Author(1), added_at=added).save()
        assert library.wire.requests[-1].body["added_at"] == {"$date": 1620284889010}
        assert book.added_at == added

    run(main, library)


def test_errors(library):
    async def main(client):
        with pytest.raises(ValidationError) as excinfo:
            await client.Book(title="Early", author=client.Author(1), year_published=1).save()
        assert excinfo.value.paths == [("year_published",)]
        assert excinfo.value.response.status_code == 400
        with pytest.raises(ItemNotFound):
            await client.Book.fetch(99)

    run(main, library)
    assert library.count("Book") == 1


def test_retries(library):
    async def main(client):
        library.wire.fail("/api/book/1", 2)
        assert (await client.Book.fetch(1)).rating == 5
        library.wire.fail("/api/book", 1)
        with pytest.raises(APIError) as excinfo:
            await client.Book(title="Once", author=client.Author(1)).save()
        assert excinfo.value.response.status_code == 503

    run(main, library)
    assert len(library.wire.hits("GET", "/api/book/1")) == 3
    assert len(library.wire.hits("POST", "/api/book")) == 1


def test_session_options_are_httpx_arguments(library):
    async def main(client):
        await client.Book.fetch(1)

    run(main, library, headers={"X-Library-Card": "7"})
    assert library.wire.requests[-1].headers["X-Library-Card"] == "7"


def test_connection_errors_are_retried(library):
    from .test_sync import Hangup

    hangup = Hangup()

    async def main(client):
        client.retries = 2
        with pytest.raises(httpx.TransportError):
            await client.fetch(f"http://127.0.0.1:{hangup.port}/api/book/1")

    try:
        run(main, library)
        assert hangup.connections == 3
    finally:
        hangup.close()
