"""Backup: the daily export and its verification, run by the ``backup`` function's
schedule (not the hourly ``aggregate``), each under the runner's advisory lock."""

from lectern.core.registry import Context, UpkeepTask

CONTEXT = Context(
    name="backup",
    upkeep=(
        UpkeepTask("backup", "lectern.backup.upkeep:backup_task", schedule="backup"),
        UpkeepTask("backup_verify", "lectern.backup.upkeep:verify_task", schedule="backup"),
    ),
)
