"""Optional applications built on Potion's public API (auth, admin, ...).

The core never imports anything from here.
"""
