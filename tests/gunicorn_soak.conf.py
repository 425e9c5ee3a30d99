"""gunicorn settings of the soak test: the post_fork hook docs/deployment.md shows."""


def post_fork(server, worker):
    app = worker.app.wsgi()  # loaded once in the master (--preload)
    with app.app_context():
        for engine in app.extensions["sqlalchemy"].engines.values():
            engine.dispose(close=False)  # the parent's connections stay the parent's
