"""Flask-Potion's backends and extras, under their original import paths."""
