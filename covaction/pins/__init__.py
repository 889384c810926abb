"""The pin check: workflow and action YAML under GitHub's rules -> references and findings."""
