"""The training tests' goal file and tiny configs, shared by the framework integration tests."""

from train.conftest import goals_file, kit  # noqa: F401
