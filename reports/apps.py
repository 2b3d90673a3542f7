from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "月报与统计"

    def ready(self) -> None:
        from reports import workflow

        def enqueue_statistics(report_id: int, *, figures: bool = True) -> None:
            from reports.tasks import refresh_figures_for_report

            refresh_figures_for_report.delay(report_id, figures=figures)

        if enqueue_statistics.__qualname__ not in {hook.__qualname__ for hook in workflow.after_review_hooks}:
            workflow.after_review_hooks.append(enqueue_statistics)
