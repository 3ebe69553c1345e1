"""Koalicja Miast registration service: the application factory."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import text
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from werkzeug.middleware.proxy_fix import ProxyFix

from registration import accessibility, config, data_controller, observability
from registration.config import ConfigurationError
from registration.database import (
    IdConverter,
    configure_engine,
    engine_options,
    render_migration_type,
)
from registration.extensions import babel, csrf, db, limiter, login, mail, migrate, talisman
from registration.i18n import LANGUAGE_COOKIE, select_locale
from registration.json_bodies import RequestJSONProvider
from registration.sessions import PagesOnlySessionInterface

#: Alembic's scripts ship inside the package, beside the templates, static files and catalogues.
MIGRATIONS = Path(__file__).resolve().parent / "migrations"

#: Blueprints whose every answer is for one person's eyes: the organiser back office, and
#: registering (a form with what was typed, manage pages and tickets reached by a secret).
#: A person's own data, reached by a secret link, too; and certificates, which carry a name
#: that retention may remove.
PRIVATE_BLUEPRINTS = frozenset({"backoffice", "registrations", "own_data", "certificates"})
#: ... and single pages elsewhere whose address holds a secret.
PRIVATE_ENDPOINTS = frozenset({"ical.replace_personal_feed"})
#: The only API answers a cache may keep: what every visitor gets alike. Any other API
#: answer (the registration behind a token, the organiser API) is private by default.
PUBLIC_API_ENDPOINTS = frozenset({"api.openapi", "api.list_events", "api.get_event"})

__all__ = ["ConfigurationError", "create_app"]


def create_app(overrides: dict | None = None, *, instance_path: str | None = None) -> Flask:
    """Build the application from the environment, plus ``overrides`` (tests).

    Templates, static files and translations are the package's own (``registration/``),
    so an installed wheel serves the same pages as the checkout.

    :param instance_path: the instance folder; by default ``config.instance_folder()``
    :raise ConfigurationError: the configuration is unusable or the database unreachable
    """
    app = Flask(__name__, instance_path=instance_path or str(config.instance_folder()))
    app.json = RequestJSONProvider(app)
    app.session_interface = PagesOnlySessionInterface()
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(config.load(Path(app.instance_path), overrides))
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        **engine_options(
            app.config["SQLALCHEMY_DATABASE_URI"],
            prepared_statements=app.config.get("DATABASE_PREPARED_STATEMENTS", True),
        ),
        **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
    }
    data_controller.init_app(app)
    accessibility.configure(app)  # ORGANISATION_FILE's [accessibility] table
    register_proxy_fix(app)
    # Before any route is added: each rule takes its converters when it is added.
    app.url_map.converters["int"] = IdConverter
    register_extensions(app)
    observability.init_app(app)  # first: every later hook and view has the request id
    register_blueprints(app)
    register_commands(app)
    register_template_helpers(app)
    register_cache_rules(app)
    check_database(app)
    return app


def register_proxy_fix(app: Flask) -> None:
    hops = app.config["TRUSTED_PROXY_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)


def register_extensions(app: Flask) -> None:
    try:
        db.init_app(app)
        with app.app_context():
            configure_engine(db.engine)
    except (ArgumentError, NoSuchModuleError) as error:
        raise ConfigurationError(f"DATABASE_URL cannot be used: {error}") from None
    import_models()
    migrate.init_app(
        app,
        db,
        directory=str(MIGRATIONS),
        compare_type=True,
        render_as_batch=True,  # SQLite alters tables by copying them.
        render_item=render_migration_type,
    )
    csrf.init_app(app)
    mail.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login.init_app(app)
    login.login_view = "backoffice.login"
    login.login_message = _l("Please sign in to see this page.")
    login.login_message_category = "error"
    login.session_protection = "strong"
    login.id_attribute = "get_session_secret"  # the cookie names a session (accounts.services)
    limiter.init_app(app)
    https = app.config["BASE_URL"].startswith("https://")
    talisman.init_app(
        app,
        force_https=False,  # TLS ends at the reverse proxy; it redirects plain HTTP.
        strict_transport_security=https,
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        content_security_policy={
            "default-src": "'self'",
            "img-src": "'self' data:",
            "form-action": "'self'",
            "frame-ancestors": "'none'",
            "base-uri": "'self'",
        },
        frame_options="DENY",
        # Manage links carry a secret token: never hand it to another site.
        referrer_policy="same-origin",
        permissions_policy={"geolocation": "()", "microphone": "()", "camera": "(self)"},
    )


def import_models() -> None:
    """Make every table known to the metadata (migrations compare against it)."""
    import registration.accounts.models
    import registration.certificates.models
    import registration.events.models
    import registration.notifications.models
    import registration.observability.heartbeat
    import registration.registrations.models
    import registration.registrations.pending_imports  # noqa: F401


def register_blueprints(app: Flask) -> None:
    import registration.api.organiser_events
    import registration.api.organiser_registrations  # noqa: F401  (organiser API routes)
    from registration.api.views import bp as api_bp
    from registration.backoffice import bp as backoffice_bp
    from registration.certificates.views import bp as certificates_bp
    from registration.errors import bp as errors_bp
    from registration.events.views import bp as events_bp
    from registration.ical.views import bp as ical_bp
    from registration.privacy.own_data_views import bp as own_data_bp
    from registration.privacy.views import bp as privacy_bp
    from registration.registrations.views import bp as registrations_bp

    app.register_blueprint(errors_bp)
    app.register_blueprint(events_bp)
    app.register_blueprint(registrations_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(backoffice_bp)
    app.register_blueprint(ical_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(own_data_bp)
    app.register_blueprint(certificates_bp)
    csrf.exempt(api_bp)  # JSON only, and JSON cannot be posted cross-site without CORS.


def register_commands(app: Flask) -> None:
    from flask_migrate.cli import db as db_cli

    from registration.accounts.cli import users_cli
    from registration.backups import backup_command
    from registration.demo.cli import demo_cli
    from registration.events.cli import events_cli
    from registration.notifications.cli import mail_cli
    from registration.privacy.cli import privacy_cli

    app.cli.add_command(demo_cli)
    app.cli.add_command(events_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(privacy_cli)
    app.cli.add_command(users_cli)
    # Flask-Migrate's own group, so that backing up sits beside upgrading: `db backup`.
    db_cli.add_command(backup_command)


def register_template_helpers(app: Flask) -> None:
    from registration import i18n, labels, links, markdown
    from registration.data_controller import data_controller
    from registration.events import programme

    app.jinja_env.globals.update(
        event_type_label=lambda code: labels.label(labels.EVENT_TYPES, code),
        event_types_plural=labels.EVENT_TYPES_PLURAL,
        category_label=lambda code: labels.label(labels.CATEGORIES, code),
        registration_status_label=lambda code: labels.label(labels.REGISTRATION_STATUSES, code),
        event_status_label=lambda code: labels.label(labels.EVENT_STATUSES, code),
        language_label=lambda code: labels.label(labels.LANGUAGES, code),
        role_label=lambda code: labels.label(labels.ROLES, code),
        languages=app.config["LANGUAGES"],
        current_language=i18n.current_language,
        url_for_language=i18n.url_for_language,
        when=i18n.event_period,
        lang_attribute=i18n.lang_attribute,
        day_heading=i18n.day_heading,
        programme_days=programme.days_of,
        data_controller=data_controller,
    )
    app.jinja_env.filters.update(
        paragraphs=i18n.paragraphs,
        markdown=markdown.render,
        local_datetime=i18n.local_datetime,
        local_date=i18n.local_date,
        local_time=i18n.local_time,
        tel=links.tel_uri,
    )

    @app.after_request
    def remember_language(response):
        chosen = request.args.get("lang")
        if chosen in app.config["LANGUAGES"]:
            response.set_cookie(
                LANGUAGE_COOKIE,
                chosen,
                max_age=365 * 24 * 3600,
                samesite="Lax",
                secure=app.config["SESSION_COOKIE_SECURE"],
                httponly=True,
            )
        response.vary.update(("Accept-Language", "Cookie"))
        return response


def register_cache_rules(app: Flask) -> None:
    """``Cache-Control: no-store`` wherever an answer belongs to one person, set here for
    every view (errors included), so that no new view can forget it."""

    @app.after_request
    def keep_private_answers_out_of_caches(response):
        private = (
            request.blueprint in PRIVATE_BLUEPRINTS
            or request.endpoint in PRIVATE_ENDPOINTS
            or (request.blueprint == "api" and request.endpoint not in PUBLIC_API_ENDPOINTS)
        )
        if private:
            # A shared computer's browser or a proxy must keep no copy: a manage page
            # stays readable from the cache after the link is gone, an attendee list
            # after signing out. The ticket too: it changes when the registration does.
            response.headers["Cache-Control"] = "no-store"
        return response


def check_database(app: Flask) -> None:
    """Fail at start-up, in one line, when the database cannot be reached."""
    with app.app_context():
        try:
            with db.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            # No connection may outlive a fork into gunicorn's workers (with --preload).
            db.engine.dispose()
        except OperationalError as error:
            url = db.engine.url.render_as_string(hide_password=True)
            reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
            raise ConfigurationError(f"cannot reach the database {url}: {reason}") from None
