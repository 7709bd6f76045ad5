"""The `sciplan` command: a thin layer over the stages."""
