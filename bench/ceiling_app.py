"""The ceiling for ``registration_rush.py``: the least a registration could possibly cost.

A bare Flask + SQLAlchemy application with one endpoint that reads the same
JSON body a registration sends, inserts one row and commits. No locks, no
counts, no outbox, no templates, no extensions. Whatever the registration
service does beyond this is what the benchmark's ratio measures.

It uses the service's own connection settings (``registration.database``:
SQLite in WAL mode with ``BEGIN IMMEDIATE`` for writes, pre-ping on
PostgreSQL), so that the ceiling differs from the service only in the work
done per request, not in how it talks to the database.

Run by the benchmark as ``gunicorn 'bench.ceiling_app:create_app()'`` from the
project root, with ``DATABASE_URL`` set; ``create_schema`` makes its table.
"""

from __future__ import annotations

import os
from datetime import datetime

from flask import Flask, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from registration.database import UTCDateTime, configure_engine, engine_options, utcnow


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class CeilingRow(db.Model):
    __tablename__ = "bench_ceiling_row"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    institution: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


def create_app() -> Flask:
    """The application gunicorn serves; ``DATABASE_URL`` names the database."""
    url = os.environ["DATABASE_URL"]
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(url)
    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)

    @app.post("/events/<int:event_id>/rows")
    def insert_row(event_id: int):
        """Insert one row and commit: a registration without any of its rules."""
        body = request.get_json()
        row = CeilingRow(
            event_id=event_id,
            name=body["name"],
            email=body["email"].strip().lower(),
            institution=body["institution"],
            created_at=utcnow(),
        )
        db.session.add(row)
        db.session.flush()
        row_id = row.id  # read before commit, which expires the row
        db.session.commit()
        return jsonify(id=row_id), 201

    @app.get("/")
    def index():
        """Answer the start-up probe."""
        return jsonify(ok=True)

    return app


def create_schema(url: str) -> None:
    """Create the ceiling's table in ``url``'s database (once, before gunicorn starts)."""
    engine = create_engine(url)
    try:
        Base.metadata.create_all(engine)
    finally:
        engine.dispose()
