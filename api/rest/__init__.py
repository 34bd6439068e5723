"""The authenticated REST API (`/api/v1`), one router per domain; keys and scopes in `auth`."""

__all__: list[str] = []
