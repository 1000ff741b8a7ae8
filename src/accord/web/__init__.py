"""The dashboard: static assets and templates over the public REST API."""
