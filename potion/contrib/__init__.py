"""Apps built on Potion's public core API: each is optional and imported only when used."""
