"""The seven cities of Koalicja Miast

Revision ID: 0002_coalition_cities
Revises: 0001_initial_schema
Create Date: 2026-11-27 07:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0002_coalition_cities'
down_revision = '0001_initial_schema'
branch_labels = None
depends_on = None

# Wrocław first: the Strefa Kultury Wrocław office coordinates the coalition.
COALITION_CITIES = [
    ("Wrocław", "wroclaw"),
    ("Gdańsk", "gdansk"),
    ("Katowice", "katowice"),
    ("Lublin", "lublin"),
    ("Łódź", "lodz"),
    ("Poznań", "poznan"),
    ("Szczecin", "szczecin"),
]

city = sa.table(
    "city",
    sa.column("name", sa.String),
    sa.column("slug", sa.String),
    sa.column("coalition", sa.Boolean),
)


def upgrade():
    op.bulk_insert(
        city, [{"name": name, "slug": slug, "coalition": True} for name, slug in COALITION_CITIES]
    )


def downgrade():
    op.execute(city.delete().where(city.c.slug.in_([slug for _, slug in COALITION_CITIES])))
