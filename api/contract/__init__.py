"""The API contract of `/openapi.json` beyond what FastAPI derives from the routes: stable
domain-named operation ids, and every operation's error responses with the codes each carries
(read off the error hierarchy)."""

from api.contract.error_catalog import codes_by_status
from api.contract.openapi import ERROR_TITLES, codes_table, install_openapi_contract
from api.contract.operation_ids import OPERATION_ID_RULE, VERBS, operation_id

__all__ = [
    "ERROR_TITLES",
    "OPERATION_ID_RULE",
    "VERBS",
    "codes_by_status",
    "codes_table",
    "install_openapi_contract",
    "operation_id",
]
