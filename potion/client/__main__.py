"""``python -m potion.client stubs URL``: print typed stubs of the API at URL."""

from __future__ import annotations

import argparse
import sys

import requests

from .exceptions import APIError
from .stubs import client_stubs


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m potion.client", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    stubs = commands.add_parser("stubs", help="print a .pyi module typing the API's resources")
    stubs.add_argument("url", help="the API's root URL, e.g. http://localhost:5000/api")
    stubs.add_argument("--schema-path", default="/schema", help="the root schema under URL")
    stubs.add_argument("--token", help="a bearer token, if the schema needs one")
    stubs.add_argument("-o", "--output", help="write to this file instead of standard output")
    args = parser.parse_args(argv)
    try:
        text = client_stubs(args.url, args.schema_path, token=args.token, retries=0, timeout=30)
    except (APIError, requests.RequestException, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"error: cannot read the schema of {args.url}: {reason}", file=sys.stderr)
        return 1
    if args.output:
        with open(args.output, "w", encoding="utf-8") as out:
            out.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
