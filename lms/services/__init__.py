"""Business rules as plain functions; blueprints and CLI commands call these."""
