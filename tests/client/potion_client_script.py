"""A script written for potion-client 2.5, in the style of its documentation.

tests/client/test_compat.py runs it against a Potion server with only its imports
changed from ``potion_client`` to ``potion.client``.  Usage: ``script.py API_ROOT_URL``.
"""

import sys

from potion_client import ASC, DESC, Client
from potion_client.auth import HTTPBearerAuth
from potion_client.exceptions import ItemNotFound, MultipleItemsFound
from requests.exceptions import HTTPError

client = Client(sys.argv[1], auth=HTTPBearerAuth("79054025255fb1a26e4bc422aef54eb4"))

# create
darwin = client.Author.first(where={"last_name": "Darwin"})
wallace = client.Author()
wallace.first_name = "Alfred"
wallace.last_name = "Wallace"
wallace.save()
assert wallace.id == 2, wallace.id

# references
malay = client.Book()
malay.title = "The Malay Archipelago"
malay.author = wallace
malay.year_published = 1869
malay.save()
assert malay.author is wallace
assert client.Book(malay.id) is malay
origin = client.Book(1)
assert origin.author is darwin
print(f"{origin.author.first_name} wrote {origin.title}")

for year in range(1870, 1876):
    client.Book(title=f"Contributions, {year}", author=wallace, year_published=year).save()

# where / sort
books = client.Book.instances(where={"author": wallace}, sort={"year_published": DESC})
assert len(books) == 7, len(books)
assert books[0].year_published == 1875
assert [book.year_published for book in books][-2:] == [1870, 1869]
early = client.Book.instances(where={"year_published": {"$lt": 1871}}, sort={"title": ASC})
assert [book.title for book in early] == [
    "Contributions, 1870",
    "On the Origin of Species",
    "The Malay Archipelago",
]

# first
assert client.Book.first(where={"title": {"$startswith": "The"}}) is malay
try:
    client.Book.first(where={"title": "Zoonomia"})
except ItemNotFound:
    print("Zoonomia is not in the library")
else:
    raise AssertionError("Zoonomia was found")
try:
    client.Book.one(where={"author": wallace})
except MultipleItemsFound:
    pass
else:
    raise AssertionError("one() found one of seven")

# pagination
pages = client.Book.instances(per_page=3)
assert len(pages) == 8
assert pages[4].title == "Contributions, 1872"
assert pages[-1].title == "Contributions, 1875"
assert [book.id for book in pages[1:3]] == [2, 3]
assert len(list(pages)) == 8

# update
malay.update(rating=4)
assert client.Book.fetch(malay.id).rating == 4
malay.year_published = 1868
malay.save()
assert client.Book.fetch(malay.id).year_published == 1868

# item routes
assert origin.read_shout() == "ON THE ORIGIN OF SPECIES"
assert origin.update_rating(9) == 9
assert origin.read_rating() == 9
assert client.Book.read_genres() == ["history", "science"]

# relation routes
store = client.BookStore(name="The Corner Shop")
store.save()
store.add_books(origin)
store.add_books(malay)
assert len(store.books()) == 2
assert list(store.books()) == [origin, malay]
assert [book.title for book in wallace.books()][0] == "The Malay Archipelago"

# validation error
try:
    client.Book(title="Too early", author=darwin, year_published=1200).save()
except HTTPError as error:
    assert error.response.status_code == 400
    assert error.response.json()["errors"][0]["path"] == ["year_published"]
    print("rejected: {}".format(error.response.json()["errors"][0]["validationOf"]))
else:
    raise AssertionError("a book of 1200 was accepted")

# delete
doomed = client.Book.first(where={"title": "Contributions, 1875"})
doomed_id = doomed.id
doomed.destroy()
client.Book.first(where={"title": "Contributions, 1874"}).delete()
try:
    client.Book.fetch(doomed_id)
except HTTPError as error:
    assert error.response.status_code == 404
else:
    raise AssertionError("a deleted book was fetched")
assert len(client.Book.instances()) == 6

print("ok")
