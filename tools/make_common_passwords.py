"""Generate potion/contrib/auth/data/common-passwords.txt.gz.

The list is generated here from well-known weak-password patterns; it is not
copied from any other project or leak corpus.  The ingredients are written out
below: words people pick (names, pets, sports, seasons, "password" and its
friends), keyboard walks, digit runs and repeats, each with the suffixes people
append (digits, years, a "!").  Every entry is lower case (the validator compares
case-folded passwords) and at least four characters long.

Run from the repository root:  python tools/make_common_passwords.py
"""

from __future__ import annotations

import gzip
import itertools
from pathlib import Path

OUTPUT = (
    Path(__file__).resolve().parent.parent
    / "potion"
    / "contrib"
    / "auth"
    / "data"
    / "common-passwords.txt.gz"
)

WORDS = """
password passwort passe contrasena senha parola wachtwoord haslo salasana
pass passw0rd p@ssword p@ssw0rd pa55word letmein welcome welcome1 hello hi
admin administrator root toor login logon user guest test tester testing demo
default changeme change secret private access master system server manager
super superuser superman batman spiderman ironman hulk thor wolverine
dragon monkey shadow sunshine princess football baseball basketball soccer
hockey golf tennis rugby cricket boxing racing ninja samurai pirate warrior
iloveyou loveyou lovely love lover loving trustno1 trustme whatever nothing
qwerty azerty qwertz abc abcd abcde abcdef secret freedom flower cookie
summer winter spring autumn sunday monday friday weekend holiday
angel angels devil heaven hell jesus christ god blessed faith hope
michael jordan jennifer ashley jessica daniel charlie thomas hunter ranger
buster tigger pepper ginger maggie bailey chelsea liverpool arsenal
chocolate computer internet starwars pokemon matrix killer mustang harley
banana orange apple cherry lemon mango peach strawberry cheese butter
purple silver golden diamond crystal guitar music piano rock metal
andrew joshua matthew robert william david richard joseph charles james
john george edward anthony steven kevin brian jason justin brandon ryan
nicole amanda sarah emily hannah jasmine melissa michelle samantha lauren
stephanie elizabeth victoria natalie rachel rebecca megan amber heather
maria anna sophie olivia emma isabella mia charlotte amelia chloe lucy
alexander alex sam max leo jack harry oliver george lily ella
taylor morgan jordan casey jamie robin chris pat kim lee
mother father mommy daddy family friend friends baby babygirl babyboy
princess1 prince king queen knight lady lord boss chief captain
tiger lion bear wolf eagle falcon hawk shark snake cobra viper panther
dolphin horse pony bunny kitty kitten puppy doggie dog cat fish bird
beauty pretty sweet sweetie sweetheart honey sugar candy cupcake
hottie sexy hot cool awesome amazing perfect happy smile lucky
money cash rich dollar euro bitcoin crypto gold
peace power energy magic mystery dream dreamer star stars moon sun sky
ocean river forest mountain rainbow thunder storm lightning fire ice
snow snowball frozen winter1 summer1
google facebook twitter youtube apple1 microsoft windows linux ubuntu
samsung iphone android nokia sony nintendo playstation xbox gamer
minecraft fortnite roblox zelda mario sonic pikachu naruto goku
london paris berlin madrid rome tokyo newyork chicago boston dallas texas
california florida america canada mexico brazil france germany england
scotland ireland italy spain china india russia japan korea australia
yankees cowboys steelers lakers eagles1 packers patriots broncos raiders
redsox celtics bulls giants jets rangers dodgers warriors
barcelona realmadrid juventus milan bayern manchester united city
ferrari porsche mercedes bmw audi honda toyota nissan ford chevy corvette
camaro jaguar yamaha suzuki kawasaki ducati
beer vodka whiskey party
school college student teacher office work job company business
secret1 mypass mypassword yourpass nopass nopassword password1 passwd
administrator1 adminadmin rootroot useruser testtest guestguest
blink182 linkinpark metallica nirvana beatles eminem
hellokitty spongebob scooby garfield snoopy mickey minnie donald
""".split()

KEYBOARD = """
qwer qwert qwerty qwertyu qwertyui qwertyuiop asdf asdfg asdfgh asdfghj
asdfghjk asdfghjkl zxcv zxcvb zxcvbn zxcvbnm qazwsx qazwsxedc 1qaz2wsx
1qaz2wsx3edc zaq12wsx zaq1zaq1 xsw2zaq1 qweasd qweasdzxc 1q2w3e 1q2w3e4r
1q2w3e4r5t 1q2w3e4r5t6y q1w2e3r4 q1w2e3r4t5 poiuytrewq mnbvcxz lkjhgfdsa
azertyuiop qwertzuiop ytrewq 147258369 159753 741852963 963852741 2wsx3edc
qweqwe asdasd zxczxc qwe123 asd123 zxc123 qwerty123 qwerty1 azerty123
1qazxsw2 qwaszx q2w3e4r5 passpass abcabc abc123 a1b2c3 abcd1234 abcdefg
abcdefgh abcdefghi 1a2b3c aaa111 aa123456 a123456 a12345 1234abcd
""".split()

SUFFIXES = [
    "",
    "1",
    "2",
    "3",
    "7",
    "11",
    "12",
    "13",
    "21",
    "22",
    "23",
    "69",
    "77",
    "88",
    "99",
    "00",
    "01",
    "007",
    "123",
    "321",
    "1234",
    "12345",
    "123456",
    "!",
    "!!",
    "1!",
    "12!",
    "123!",
    "@123",
    "#1",
    "?",
    ".",
    "*",
    "_1",
]
YEARS = [str(year) for year in range(1960, 2031)]

LEET = {"a": "@4", "o": "0", "e": "3", "i": "1!", "s": "$5", "t": "7", "l": "1"}


def leet_variants(word: str) -> set[str]:
    """The word with each single letter class swapped for its look-alikes."""
    variants = set()
    for letter, swaps in LEET.items():
        if letter in word:
            for swap in swaps:
                variants.add(word.replace(letter, swap))
    full = word
    for letter, swaps in LEET.items():
        full = full.replace(letter, swaps[0])
    variants.add(full)
    return variants


def digit_patterns() -> set[str]:
    result = set()
    digits = "0123456789"
    for length in range(4, 13):
        for start in range(10):
            run = "".join(digits[(start + i) % 10] for i in range(length))
            result.add(run)
            result.add(run[::-1])
        for digit in digits:
            result.add(digit * length)
    for a, b in itertools.product(digits, repeat=2):
        for length in (4, 6, 8, 10):
            result.add((a + b) * (length // 2))
    for block in ("123", "1234", "12345", "321", "112233", "0123", "2580", "1357", "2468"):
        result.add(block * 2)
        result.add(block * 3)
    for year in range(1950, 2031):
        result.add(str(year))
        for month in range(1, 13):
            result.add(f"{month:02d}{year}")
            result.add(f"{year}{month:02d}")
    return result


def letter_patterns() -> set[str]:
    result = set()
    for letter in "abcdefghijklmnopqrstuvwxyz":
        for length in range(4, 11):
            result.add(letter * length)
    return result


def generate() -> list[str]:
    bases = set(WORDS) | set(KEYBOARD)
    entries = set()
    for base in bases:
        for suffix in SUFFIXES + YEARS:
            entries.add(base + suffix)
        for prefix in ("1", "123", "my", "ilove"):
            entries.add(prefix + base)
    for word in WORDS:
        variants = {word + word}
        if word.isalpha() and len(word) >= 4:
            variants |= leet_variants(word)
        for variant in variants:
            for suffix in ("", "1", "12", "123", "!", "1!"):
                entries.add(variant + suffix)
    entries |= digit_patterns()
    entries |= letter_patterns()
    return sorted(entry for entry in entries if len(entry) >= 4)


def main() -> None:
    entries = generate()
    data = ("\n".join(entries) + "\n").encode()
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0: the same list gives byte-identical output
    with open(OUTPUT, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
        out.write(data)
    print(f"{len(entries)} entries written to {OUTPUT}")


if __name__ == "__main__":
    main()
