"""The four exports. Each builder writes one workbook to `path` for a user and the parameters `exports.params`
resolved, reports progress, and says what it wrote (`BuildResult`)."""

from exports.builders.common import Builder, BuildResult, NoProgress, Progress
from exports.builders.completeness import build_completeness
from exports.builders.roster import build_roster
from exports.builders.summary import build_summary
from exports.builders.team_detail import build_team_detail
from exports.choices import ExportKind

BUILDERS: dict[str, Builder] = {
    ExportKind.SUMMARY: build_summary,
    ExportKind.TEAM_DETAIL: build_team_detail,
    ExportKind.ROSTER: build_roster,
    ExportKind.COMPLETENESS: build_completeness,
}

__all__ = ["BUILDERS", "BuildResult", "NoProgress", "Progress"]
