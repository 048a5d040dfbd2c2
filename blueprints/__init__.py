"""One blueprint per chapter; each package holds views.py (and forms.py where it has forms)."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from blueprints.admin.views import bp as admin_bp
    from blueprints.api.admin import bp as api_clients_bp
    from blueprints.api.views import bp as api_bp
    from blueprints.assessment.views import bp as assessment_bp
    from blueprints.audit.views import bp as audit_bp
    from blueprints.auth.views import bp as auth_bp
    from blueprints.calendar.views import bp as calendar_bp
    from blueprints.campaigns import objects as campaign_objects  # noqa: F401  (its routes are on the campaigns bp)
    from blueprints.campaigns.views import bp as campaigns_bp
    from blueprints.collection.views import bp as collection_bp
    from blueprints.conference_plans.views import bp as conference_plans_bp
    from blueprints.conferences.views import bp as conferences_bp
    from blueprints.court.views import bp as court_bp
    from blueprints.credit.views import bp as credit_bp
    from blueprints.daily import categories as _daily_categories  # noqa: F401  (routes on the daily bp)
    from blueprints.daily import tasks as _daily_tasks  # noqa: F401  (routes on the daily bp)
    from blueprints.daily.views import bp as daily_bp
    from blueprints.directories.views import bp as directories_bp
    from blueprints.dossier.views import bp as dossier_bp
    from blueprints.efficiency import actions as _efficiency_actions  # noqa: F401  (routes on efficiency_bp)
    from blueprints.efficiency.views import bp as efficiency_bp
    from blueprints.entities.views import bp as entities_bp
    from blueprints.followups.views import bp as followups_bp
    from blueprints.imports.views import bp as imports_bp
    from blueprints.industry.views import bp as industry_bp
    from blueprints.inspections import bulk  # noqa: F401  (its routes are on the inspections bp; views must not import it back)
    from blueprints.inspections.public import bp as public_results_bp
    from blueprints.inspections.views import bp as inspections_bp
    from blueprints.inspectors.views import bp as inspectors_bp
    from blueprints.items.views import bp as items_bp
    from blueprints.jobs.views import bp as jobs_bp
    from blueprints.joint_items.views import bp as joint_items_bp
    from blueprints.libraries.views import bp as libraries_bp
    from blueprints.main.views import bp as main_bp
    from blueprints.messages.views import bp as messages_bp
    from blueprints.notice.views import bp as notice_bp
    from blueprints.plans.views import bp as plans_bp
    from blueprints.processes.views import bp as processes_bp
    from blueprints.public.views import bp as public_bp
    from blueprints.records.public import bp as public_records_bp
    from blueprints.records.views import bp as record_pdfs_bp
    from blueprints.reports.views import bp as reports_bp
    from blueprints.risk.views import bp as risk_bp
    from blueprints.sanctions import bp as sanctions_bp
    from blueprints.sanctions import catalogue as _sanction_catalogue  # noqa: F401  (routes on sanctions_bp)
    from blueprints.sanctions import lists as _sanction_lists  # noqa: F401  (routes on sanctions_bp)
    from blueprints.sanctions import verify as _sanction_verify  # noqa: F401  (routes on sanctions_bp)
    from blueprints.sanctions.public import bp as public_sanctions_bp
    from blueprints.sandbox.views import bp as sandbox_bp
    from blueprints.statistics.views import bp as statistics_bp
    from blueprints.tasks.public import bp as public_draws_bp
    from blueprints.tasks.views import bp as tasks_bp
    from blueprints.teams.views import bp as teams_bp
    from blueprints.trigger.views import bp as trigger_bp
    from blueprints.unlicensed.views import bp as unlicensed_bp

    # /public/draws: nested so that its endpoints are public.draws.* (no sign-in); a blueprint
    # takes no new children once registered, and create_app runs more than once in tests.
    for child_bp in (public_draws_bp, public_results_bp, public_records_bp, public_sanctions_bp):
        if all(child is not child_bp for child, _ in public_bp._blueprints):
            public_bp.register_blueprint(child_bp)

    for bp in (
        auth_bp, main_bp, processes_bp, entities_bp, dossier_bp, libraries_bp, items_bp, joint_items_bp, directories_bp,
        inspectors_bp, plans_bp, tasks_bp, teams_bp, inspections_bp, record_pdfs_bp, followups_bp, statistics_bp,
        conferences_bp, conference_plans_bp, unlicensed_bp, messages_bp, public_bp, jobs_bp, admin_bp, calendar_bp,
        audit_bp, imports_bp, collection_bp, api_bp, api_clients_bp, credit_bp, risk_bp, court_bp,
        trigger_bp, campaigns_bp, notice_bp, daily_bp, sandbox_bp, sanctions_bp, industry_bp, assessment_bp,
        reports_bp, efficiency_bp,
    ):
        app.register_blueprint(bp)
