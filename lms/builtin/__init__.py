"""Core features shipped as internal plugins, registered like third-party ones."""
