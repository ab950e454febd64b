"""Analysis jobs: researcher scripts run confined against a project extract."""
