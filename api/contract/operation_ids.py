"""Stable, domain-named `operationId`s (`upsertOpportunity`, `listScores`, …): what a client
generated from `/openapi.json` names its functions, so they must not change when a path or a
handler's name does. Keyed by the handler (`module.function`); a handler not listed gets its
function name in camelCase, and tests/api/test_openapi_contract.py refuses any id that does
not start with one of `VERBS` — add the new route here with a domain name."""

from __future__ import annotations

import re
from typing import Final

from fastapi.routing import APIRoute

__all__ = ["OPERATION_ID_RULE", "VERBS", "operation_id"]

VERBS: Final = (
    "list",
    "get",
    "upsert",
    "create",
    "push",
    "update",
    "delete",
    "revoke",
    "run",
    "approve",
    "resolve",
    "unfreeze",
    "upload",
    "tag",
    "download",
    "identify",
    "export",
    "erase",
    "mute",
    "unmute",
    "check",
)
OPERATION_ID_RULE: Final = re.compile(rf"^(?:{'|'.join(VERBS)})(?:[A-Z][a-z0-9]*)+$")

_BY_HANDLER: Final[dict[str, str]] = {
    # scores (the CRM's pull)
    "api.rest.scores.engagement": "getEngagement",
    "api.rest.scores.scores": "listScores",
    "api.rest.scores.timeline": "getTimeline",
    # crm (the CRM's push)
    "api.rest.crm.put_opportunity": "upsertOpportunity",
    "api.rest.crm.put_opportunities": "upsertOpportunities",
    "api.rest.crm.read_opportunity": "getOpportunity",
    "api.rest.crm.post_activities": "pushActivities",
    "api.rest.crm.post_outcomes": "pushOutcomes",
    "api.rest.crm.post_payments": "pushPayments",
    # accounts
    "api.rest.accounts.routes.upsert_account": "upsertAccount",
    "api.rest.accounts.routes.read_account": "getAccount",
    "api.rest.accounts.routes.accounts": "listAccounts",
    "api.rest.accounts.routes.upsert_finance": "upsertAccountFinance",
    "api.rest.accounts.routes.read_finance": "getAccountFinance",
    "api.rest.accounts.routes.unfreeze": "unfreezeAccount",
    "api.rest.accounts.routes.freezes": "listAccountFreezes",
    "api.rest.accounts.health.health": "getAccountHealth",
    "api.rest.accounts.health.health_list": "listAccountHealth",
    "api.rest.accounts.health.actions": "listAccountActions",
    # deal health and forecast
    "api.rest.deal_health.health": "getOpportunityHealth",
    "api.rest.deal_health.forecast_evidence": "getForecastEvidence",
    "api.rest.deal_health.forecast": "listForecast",
    "api.rest.deal_health.stalls": "listStalls",
    "api.rest.deal_health.calibration_report": "getForecastCalibrationReport",
    "api.rest.deal_health.process_health_report": "getProcessHealthReport",
    "api.rest.deal_health.scoring_settings": "getScoringSettings",
    "api.rest.deal_health.put_scoring_settings": "updateScoringSettings",
    # stages
    "api.rest.stages.read_stage_settings": "getStageSettings",
    "api.rest.stages.write_stage_settings": "updateStageSettings",
    "api.rest.stages.add_evidence": "createStageEvidence",
    "api.rest.stages.read_evidence": "listStageEvidence",
    "api.rest.stages.delete_evidence": "deleteStageEvidence",
    # probes
    "api.probes.healthz": "checkLiveness",
    "api.probes.readyz": "checkReadiness",
    # documents and links
    "api.rest.documents.upload_document": "uploadDocument",
    "api.rest.documents.upload_version": "uploadDocumentVersion",
    "api.rest.documents.documents": "listDocuments",
    "api.rest.documents.document": "getDocument",
    "api.rest.documents.tag_pages": "tagDocumentPages",
    "api.rest.documents.analytics": "getDocumentAnalytics",
    "api.rest.links.create": "createLinks",
    "api.rest.links.links": "listLinks",
    "api.rest.links.link": "getLink",
    "api.rest.links.revoke": "revokeLink",
    "api.rest.links.pdf": "downloadLinkPdf",
    "api.rest.identify.identify": "identifyLeak",
    # keys
    "api.rest.keys.create_key": "createApiKey",
    "api.rest.keys.list_keys": "listApiKeys",
    "api.rest.keys.revoke_key": "revokeApiKey",
    # privacy
    "api.rest.people.export_person": "exportPerson",
    "api.rest.people.erase_person": "erasePerson",
    "api.rest.people.read_retention": "getRetentionSettings",
    "api.rest.people.write_retention": "updateRetentionSettings",
    "api.rest.people.read_privacy_notice": "getPrivacySettings",
    "api.rest.people.write_privacy_notice": "updatePrivacySettings",
    "api.rest.people.audit": "listAuditEntries",
    # operations
    "api.rest.jobs.list_jobs": "listJobs",
    "api.rest.jobs.run_job": "runJob",
    "api.rest.calibration.runs": "listCalibrationRuns",
    "api.rest.calibration.approve": "approveCalibrationRun",
    "api.rest.forecast_rules.read_rules": "getForecastRules",
    "api.rest.forecast_rules.write_rules": "updateForecastRules",
    # webhooks
    "api.rest.webhooks.create_webhook": "createWebhook",
    "api.rest.webhooks.list_webhooks": "listWebhooks",
    "api.rest.webhooks.get_webhook": "getWebhook",
    "api.rest.webhooks.delete_webhook": "deleteWebhook",
    "api.rest.webhooks.list_webhook_deliveries": "listWebhookDeliveries",
    # notifications
    "api.rest.notifications.add_channel": "createNotificationChannel",
    "api.rest.notifications.get_channels": "listNotificationChannels",
    "api.rest.notifications.remove_channel": "deleteNotificationChannel",
    "api.rest.notifications.channel_deliveries": "listNotificationDeliveries",
    "api.rest.notifications.add_rule": "createNotificationRule",
    "api.rest.notifications.get_rules": "listNotificationRules",
    "api.rest.notifications.remove_rule": "deleteNotificationRule",
    "api.rest.notification_people.put_preferences": "updateNotificationPreferences",
    "api.rest.notification_people.get_preferences": "getNotificationPreferences",
    "api.rest.notification_people.mute_deal": "muteOpportunity",
    "api.rest.notification_people.unmute_deal": "unmuteOpportunity",
    "api.rest.notification_people.get_mutes": "listMutedOpportunities",
    "api.rest.notification_people.get_todos": "listTodos",
    "api.rest.notification_people.resolve": "resolveTodo",
}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def operation_id(route: APIRoute) -> str:
    """FastAPI's `generate_unique_id_function`: the table's name, else the handler's."""
    handler = f"{route.endpoint.__module__}.{route.endpoint.__name__}"
    return _BY_HANDLER.get(handler) or _camel(route.endpoint.__name__)
