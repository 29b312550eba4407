"""Every spec and example, written by hand with wandb-workspaces, the way a W&B user would.

One function per file, named after it (``twin_<file stem>``, non-identifier characters as
``_``): ``examples/03-report.yaml`` -> ``twin_03_report``. It takes the entity the build ran
with and returns the objects the file declares, by build output name (``<key>.<kind>``).
``tests/test_fidelity.py`` compares each with what reportgen compiles from the YAML (the
normalised specs, and the raw JSON but for random ids), and fails for a spec or example
without a twin: a new example needs one here.

Filters use the library's own expressions (objects, ``expr.And`` / ``expr.Or``, or the
string language) wherever it keeps them intact; the traps where it does not are tested
one by one, against the JSON the W&B app stores, in ``tests/test_traps.py`` (REPORT.md 5.2).
"""

from __future__ import annotations

from typing import Any, TypeAlias

# wandb_workspaces.workspaces must be imported before the rest of the package (REPORT 5.3).
import wandb_workspaces.workspaces as ws  # isort: skip
import wandb_workspaces.reports.v2 as wr
from wandb_workspaces import expr

Twins: TypeAlias = dict[str, "ws.Workspace | wr.Report"]

PROJECT = "image-classification-leaderboard"


# --- leaderboards: a ranked run set, as a workspace view and as a report ------------------


def leaderboard(
    entity: str,
    key: str,
    title: str,
    *,
    filters: Any,
    workspace_order: list[expr.Ordering],
    report_order: list[wr.OrderBy],
    pinned: list[str],
    ranking: str,
    description: str = "",
    curves: tuple[str, list[str], int] | None = None,
    publish: tuple[str, ...] = ("workspace", "report"),
) -> Twins:
    """A leaderboard by hand: the runs table sorted by the metrics, and the top-N curves.

    ``curves`` is (x, ys, top): one line plot per y drawing the first ``top`` runs of the
    run set's order (``max_runs_to_show``), in a section and in the report's panel grid.
    """

    def plots() -> list[Any]:
        if curves is None:
            return []
        x, ys, top = curves
        return [wr.LinePlot(title=f"{y} · top {top}", x=x, y=[y], max_runs_to_show=top) for y in ys]

    made: Twins = {}
    if "workspace" in publish:
        sections = []
        if curves is not None:
            sections = [
                ws.Section(name=f"Top {curves[2]} training curves", panels=plots(), is_open=True)
            ]
        settings = (
            ws.WorkspaceSettings(x_axis=curves[0], max_runs=curves[2])
            if curves
            else ws.WorkspaceSettings()
        )
        made[f"{key}.workspace"] = ws.Workspace(
            entity=entity,
            project=PROJECT,
            name=title,
            sections=sections,
            settings=settings,
            runset_settings=ws.RunsetSettings(
                filters=filters, order=workspace_order, pinned_columns=pinned
            ),
        )
    if "report" in publish:
        runset = wr.Runset(
            entity=entity,
            project=PROJECT,
            name=title,
            filters=filters,
            order=report_order,
            # reports do not add the run name column by themselves (REPORT 4.4)
            pinned_columns=["run:displayName", *pinned],
        )
        text = [wr.P(description)] if description else []
        made[f"{key}.report"] = wr.Report(
            entity=entity,
            project=PROJECT,
            title=title,
            description=description,
            blocks=[*text, wr.P(ranking), wr.PanelGrid(runsets=[runset], panels=plots())],
        )
    return made


ACCURACY_THEN_LOSS_THEN_NAME: dict[str, Any] = {
    "workspace_order": [
        ws.Ordering(ws.Summary("accuracy"), ascending=False),
        ws.Ordering(ws.Summary("loss"), ascending=True),
        ws.Ordering(ws.Metric("Name"), ascending=True),
    ],
    "report_order": [
        wr.OrderBy(wr.SummaryMetric("accuracy"), ascending=False),
        wr.OrderBy(wr.SummaryMetric("loss"), ascending=True),
        wr.OrderBy(wr.Metric("Name"), ascending=True),
    ],
    "ranking": (
        "Ranked by accuracy (higher is better), then loss (lower is better), "
        "then run name (ascending)."
    ),
}


# --- specs/ ---------------------------------------------------------------------------------


def twin_cifar10(entity: str) -> Twins:
    cifar10 = ws.Config("dataset") == "CIFAR-10"
    common: dict[str, Any] = {
        **ACCURACY_THEN_LOSS_THEN_NAME,
        "description": "Image classifiers on CIFAR-10, ranked by final accuracy.",
        "pinned": [
            "summary:accuracy",
            "summary:loss",
            "config:model_architecture.value",
            "config:learning_rate.value",
        ],
        "curves": ("epoch", ["accuracy", "loss"], 5),
    }
    return {
        **leaderboard(
            entity,
            "cifar10",
            "CIFAR-10 leaderboard",
            filters="Config('dataset') = 'CIFAR-10'",
            **common,
        ),
        **leaderboard(
            entity,
            "cifar10-resnet50",
            "CIFAR-10 leaderboard · ResNet50",
            filters=expr.And(cifar10, ws.Config("model_architecture") == "ResNet50"),
            **common,
        ),
    }


# --- examples/ ------------------------------------------------------------------------------


def twin_01_minimal_workspace(entity: str) -> Twins:
    return {
        "image-classification-overview.workspace": ws.Workspace(
            entity=entity, project=PROJECT, name="Image classification · overview"
        )
    }


def twin_02_leaderboard(entity: str) -> Twins:
    finished = expr.And(ws.Config("dataset") == "CIFAR-100", ws.Metric("State") == "finished")
    common: dict[str, Any] = {
        **ACCURACY_THEN_LOSS_THEN_NAME,
        "description": "Image classifiers on CIFAR-100, best final accuracy first.",
        "pinned": [
            "summary:accuracy",
            "summary:loss",
            "config:model_architecture.value",
            "config:learning_rate.value",
            "config:epochs.value",
        ],
        "curves": ("epoch", ["accuracy", "loss"], 5),
    }
    return {
        **leaderboard(
            entity, "cifar100-leaderboard", "CIFAR-100 leaderboard", filters=finished, **common
        ),
        **leaderboard(
            entity,
            "cifar100-leaderboard-vit",
            "CIFAR-100 leaderboard · ViT",
            filters=expr.And(finished, ws.Config("model_architecture") == "ViT"),
            **common,
        ),
    }


def twin_03_report(entity: str) -> Twins:
    finished_cifar10 = wr.Runset(
        entity=entity,
        project=PROJECT,
        name="Finished CIFAR-10 runs",
        filters="Config('dataset') == 'CIFAR-10' and State == 'finished'",
        order=[
            wr.OrderBy(wr.SummaryMetric("accuracy"), ascending=False),
            wr.OrderBy(wr.SummaryMetric("loss"), ascending=True),
            wr.OrderBy(wr.Metric("Name"), ascending=True),
        ],
        pinned_columns=[
            "run:displayName",
            "summary:accuracy",
            "summary:loss",
            "config:model_architecture.value",
        ],
    )
    code = (
        "import wandb\n"
        'run = wandb.init(project="image-classification-leaderboard",\n'
        '                 config={"dataset": "CIFAR-10", "model_architecture": "ResNet50"})\n'
    )
    return {
        "cifar10-weekly-report.report": wr.Report(
            entity=entity,
            project=PROJECT,
            title="CIFAR-10 · weekly results",
            description="What changed this week, with the curves of the best runs.",
            width="readable",
            blocks=[
                wr.TableOfContents(),
                wr.H1("CIFAR-10 this week"),
                wr.P("Finished runs only, best accuracy first."),
                wr.CalloutBlock(
                    "Runs logged before the data fix are excluded by the filter below."
                ),
                wr.H2("Training curves"),
                wr.PanelGrid(
                    runsets=[finished_cifar10],
                    panels=[
                        wr.LinePlot(
                            title="Accuracy", x="epoch", y=["accuracy"], max_runs_to_show=5
                        ),
                        wr.LinePlot(
                            title="Loss", x="epoch", y=["loss"], max_runs_to_show=5, log_y=True
                        ),
                    ],
                ),
                wr.H2("How to reproduce"),
                wr.CodeBlock(code=code, language="python"),
                wr.UnorderedList(
                    items=[
                        "Same seed for every architecture.",
                        "Learning rate swept over 1e-4 .. 1e-1.",
                    ]
                ),
                wr.HorizontalRule(),
                wr.BlockQuote("All models are wrong; some are useful."),
            ],
        )
    }


def twin_04_matrix(entity: str) -> Twins:
    made: Twins = {}
    for dataset, slug in (("CIFAR-10", "cifar-10"), ("CIFAR-100", "cifar-100")):
        made |= leaderboard(
            entity,
            f"matrix-{slug}-leaderboard",
            f"{dataset} leaderboard",
            filters=f"Config('dataset') == '{dataset}'",
            **ACCURACY_THEN_LOSS_THEN_NAME,
            pinned=[
                "summary:accuracy",
                "summary:loss",
                "config:model_architecture.value",
                "config:learning_rate.value",
            ],
            curves=("epoch", ["accuracy", "loss"], 5),
            publish=("workspace",),
        )
    return made


def twin_05_every_panel(entity: str) -> Twins:
    training = ws.Section(
        name="Training",
        is_open=True,
        layout_settings=ws.SectionLayoutSettings(columns=2, rows=2),
        panels=[
            wr.LinePlot(
                title="Accuracy by architecture (mean and range)",
                y=["accuracy"],
                groupby=wr.Config("model_architecture"),
                groupby_aggfunc="mean",
                groupby_rangefunc="minmax",
                smoothing_type="exponential",
                smoothing_factor=0.6,
            ),
            wr.BarPlot(title="Final loss", metrics=["loss"], orientation="h", max_bars_to_show=10),
            wr.ScalarChart(title="Best accuracy", metric="accuracy", groupby_aggfunc="max"),
            wr.MarkdownPanel(markdown="Curves of the **top 10** runs by accuracy."),
        ],
    )
    hyperparameters = ws.Section(
        name="Hyperparameters",
        is_open=False,
        panels=[
            wr.ScatterPlot(
                title="Learning rate against accuracy",
                x=wr.Config("learning_rate"),
                y=wr.SummaryMetric("accuracy"),
                log_x=True,
                regression=True,
            ),
            wr.ParallelCoordinatesPlot(
                columns=[
                    wr.ParallelCoordinatesPlotColumn(wr.Config("model_architecture")),
                    wr.ParallelCoordinatesPlotColumn(wr.Config("learning_rate")),
                    wr.ParallelCoordinatesPlotColumn(wr.Config("epochs")),
                    wr.ParallelCoordinatesPlotColumn(wr.SummaryMetric("accuracy")),
                ]
            ),
            wr.ParameterImportancePlot(with_respect_to="accuracy"),
            wr.RunComparer(diff_only=True),
        ],
    )
    return {
        "every-panel-workspace.workspace": ws.Workspace(
            entity=entity,
            project=PROJECT,
            name="Every panel kind",
            auto_generate_panels=False,
            settings=ws.WorkspaceSettings(x_axis="epoch", max_runs=10),
            runset_settings=ws.RunsetSettings(
                filters="Config('dataset') == 'CIFAR-10'",
                order=[
                    ws.Ordering(ws.Summary("accuracy"), ascending=False),
                    ws.Ordering(ws.Metric("Name")),
                ],
                pinned_columns=["summary:accuracy", "config:model_architecture.value"],
            ),
            sections=[training, hyperparameters],
        )
    }


def twin_06_report_runset_columns(entity: str) -> Twins:
    cifar10 = wr.Runset(
        entity=entity,
        project=PROJECT,
        name="CIFAR-10",
        filters="Config('dataset') == 'CIFAR-10'",
        groupby=["config.model_architecture"],
        order=[wr.OrderBy(wr.SummaryMetric("accuracy"), ascending=False)],
        pinned_columns=["run:displayName", "summary:accuracy"],
        visible_columns=[
            "summary:loss",
            "config:learning_rate.value",
            "config:epochs.value",
            "run:state",
        ],
        hidden_columns=["run:host", "run:username"],
        column_order=[
            "run:displayName",
            "summary:accuracy",
            "summary:loss",
            "config:learning_rate.value",
        ],
        column_widths={"run:displayName": 240, "summary:accuracy": 120},
        lock_columns=True,
    )
    return {
        "cifar10-runs-table.report": wr.Report(
            entity=entity,
            project=PROJECT,
            title="CIFAR-10 · every run, chosen columns",
            blocks=[
                wr.H2("All CIFAR-10 runs"),
                wr.PanelGrid(
                    hide_run_sets=False,
                    runsets=[cifar10],
                    panels=[
                        wr.ScatterPlot(
                            x=wr.Config("learning_rate"), y=wr.SummaryMetric("accuracy"), log_x=True
                        )
                    ],
                ),
            ],
        )
    }


def twin_07_filters(entity: str) -> Twins:
    cifar10 = ws.Config("dataset") == "CIFAR-10"
    created = ws.Metric("CreatedTimestamp")
    variants: dict[str, Any] = {
        "filters-finished-or-running": ws.Metric("State").isin(["finished", "running"]),
        "filters-baseline-tag": ws.Tags().isin(["baseline"]),
        "filters-last-week": created.within_last(7, "days"),
        "filters-lr-window": expr.And(
            ws.Config("learning_rate") >= 0.0001, ws.Config("learning_rate") <= 0.01
        ),
        "filters-good-or-new": expr.Or(
            expr.And(ws.Summary("accuracy") >= 0.9, ws.Summary("loss") <= 0.3),
            expr.And(created.within_last(2, "days"), ws.Metric("State") == "running"),
        ),
        "filters-not-these-models": ws.Config("model_architecture").notin(["MLP", "LeNet"]),
        "filters-nested-config": expr.And(
            ws.Config("optimizer.name") == "adamw", ws.Config("batch size") >= 128
        ),
    }
    common: dict[str, Any] = {
        "workspace_order": [ws.Ordering(ws.Summary("accuracy"), ascending=False)],
        "report_order": [wr.OrderBy(wr.SummaryMetric("accuracy"), ascending=False)],
        "pinned": ["summary:accuracy"],
        "ranking": "Ranked by accuracy (higher is better).",
    }
    made = leaderboard(
        entity,
        "filters-cookbook-leaderboard",
        "Filters cookbook",
        filters=expr.And(cifar10),
        **common,
    )
    for key, extra in variants.items():
        made |= leaderboard(
            entity, key, f"Filters cookbook · {key}", filters=expr.And(cifar10, extra), **common
        )
    return made


def twin_08_reuse_with_anchors(entity: str) -> Twins:
    def curve(title: str, y: str, **more: Any) -> wr.LinePlot:
        return wr.LinePlot(
            title=title,
            x="epoch",
            y=[y],
            smoothing_type="exponential",
            smoothing_factor=0.6,
            max_runs_to_show=5,
            **more,
        )

    return {
        "anchors-curves-workspace.workspace": ws.Workspace(
            entity=entity,
            project=PROJECT,
            name="Curves, defined once",
            sections=[
                ws.Section(
                    name="Curves",
                    is_open=True,
                    panels=[curve("Accuracy", "accuracy"), curve("Loss", "loss", log_y=True)],
                )
            ],
        )
    }


def twin_09_leaderboard_in_a_report(entity: str) -> Twins:
    """The leaderboard (a workspace view only) and a report that places its runs table and
    curves, and its variant's, between paragraphs: by hand, the same run set and plots."""
    imagenet = "Config('dataset') = 'ImageNet'"  # one condition: the string language
    resnet = expr.And(
        ws.Config("dataset") == "ImageNet", ws.Config("model_architecture") == "ResNet50"
    )
    pinned = ["summary:top1", "summary:loss", "config:model_architecture.value"]
    pinned.append("config:learning_rate.value")
    common: dict[str, Any] = {
        "workspace_order": [
            ws.Ordering(ws.Summary("top1"), ascending=False),
            ws.Ordering(ws.Summary("loss"), ascending=True),
            ws.Ordering(ws.Metric("Name"), ascending=True),
        ],
        "report_order": [],
        "ranking": "",
        "pinned": pinned,
        "curves": ("epoch", ["top1"], 3),
        "publish": ("workspace",),
    }
    boards: dict[str, Any] = {
        "ImageNet leaderboard": imagenet,
        "ImageNet leaderboard · ResNet": resnet,
    }
    made: Twins = {
        **leaderboard(
            entity, "imagenet-leaderboard", "ImageNet leaderboard", filters=imagenet, **common
        ),
        **leaderboard(
            entity,
            "imagenet-leaderboard-resnet",
            "ImageNet leaderboard · ResNet",
            filters=resnet,
            **common,
        ),
    }

    def grid(title: str) -> wr.PanelGrid:
        runset = wr.Runset(
            entity=entity,
            project=PROJECT,
            name=title,
            filters=boards[title],
            order=[
                wr.OrderBy(wr.SummaryMetric("top1"), ascending=False),
                wr.OrderBy(wr.SummaryMetric("loss"), ascending=True),
                wr.OrderBy(wr.Metric("Name"), ascending=True),
            ],
            pinned_columns=["run:displayName", *pinned],
        )
        plot = wr.LinePlot(title="top1 · top 3", x="epoch", y=["top1"], max_runs_to_show=3)
        return wr.PanelGrid(runsets=[runset], panels=[plot])

    made["imagenet-monthly.report"] = wr.Report(
        entity=entity,
        project=PROJECT,
        title="ImageNet · monthly notes",
        blocks=[
            wr.H1("Where we stand"),
            wr.P("Every ImageNet run, ranked as on the leaderboard."),
            grid("ImageNet leaderboard"),
            wr.H2("ResNet only"),
            wr.P("The same ranking, ResNet runs only."),
            grid("ImageNet leaderboard · ResNet"),
        ],
    )
    return made


def twin_10_seed_groups(entity: str) -> Twins:
    # Seed groups are the runs table's own grouping; the curves draw each group's mean with
    # a std band (panels follow the table's grouping).
    plot = wr.LinePlot(
        title="accuracy · top 3 groups",
        x="epoch",
        y=["accuracy"],
        max_runs_to_show=3,
        groupby_aggfunc="mean",
        groupby_rangefunc="stddev",
    )
    return {
        "cifar10-seeds.workspace": ws.Workspace(
            entity=entity,
            project=PROJECT,
            name="CIFAR-10 configurations over seeds",
            sections=[ws.Section(name="Top 3 training curves", panels=[plot], is_open=True)],
            settings=ws.WorkspaceSettings(x_axis="epoch", max_runs=3),
            runset_settings=ws.RunsetSettings(
                filters=expr.And(
                    ws.Config("dataset") == "CIFAR-10", ws.Metric("State") == "finished"
                ),
                order=[
                    ws.Ordering(ws.Summary("accuracy.max"), ascending=False),
                    ws.Ordering(ws.Summary("loss"), ascending=True),
                ],
                groupby=[ws.Config("model_architecture"), ws.Config("learning_rate")],
                pinned_columns=["summary:accuracy.max", "summary:loss", "config:epochs.value"],
            ),
        )
    }
