"""The settings of the lending library; each can be set from the environment."""

from pathlib import Path

from potion.project import env

BASE_DIR = Path(__file__).resolve().parent

# A demo's key: production sets SECRET_KEY (python manage.py check --deploy says so).
SECRET_KEY = env.str("SECRET_KEY", "potion-insecure-the-lending-library-demo-key")

DEBUG = env.bool("DEBUG", False)

# A SQLite file next to this module unless DATABASE_URL names another database.
SQLALCHEMY_DATABASE_URI = env.database_url(
    "DATABASE_URL", f"sqlite:///{BASE_DIR / 'library.sqlite3'}"
)

TRUSTED_HOSTS = env.list("ALLOWED_HOSTS", None)

POTION_APPS = ["example"]
POTION_API_TITLE = "Lending library"
POTION_MIGRATIONS = BASE_DIR / "migrations"
POTION_ERROR_DETAIL = env.bool("ERROR_DETAIL", True)
POTION_AUTH_REDIS_URL = env.str("REDIS_URL", None)
POTION_PROXIES = env.int("PROXIES", 0)
