"""One blueprint per chapter; each package holds views.py (and forms.py where it has forms)."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from blueprints.admin.views import bp as admin_bp
    from blueprints.audit.views import bp as audit_bp
    from blueprints.auth.views import bp as auth_bp
    from blueprints.entities.views import bp as entities_bp
    from blueprints.inspectors.views import bp as inspectors_bp
    from blueprints.main.views import bp as main_bp
    from blueprints.processes.views import bp as processes_bp

    for bp in (auth_bp, main_bp, processes_bp, entities_bp, inspectors_bp, admin_bp, audit_bp):
        app.register_blueprint(bp)
