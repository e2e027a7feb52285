"""Reports of a check: text for people, JSON for tools (JUnit and SARIF come with deployments)."""
