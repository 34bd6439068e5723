"""Domain core: settings, ids, tokens, tenants and API keys, documents and links, and the
ClickHouse and Redis access layer."""
