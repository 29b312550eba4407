"""The sandbox's view pages, drawn by preview: the renderer the edge hands to
`Sandbox(renderer=...)` (the sandbox itself imports no other part of reportgen)."""

from __future__ import annotations

from reportgen.sandbox.pages import Renderer, ViewPage


def renderer() -> Renderer:
    """Draws a stored view with `reportgen.preview.page.render_view`."""

    def render(view: ViewPage) -> str:
        from reportgen.preview.page import render_view

        return render_view(
            entity=view.entity,
            project=view.project,
            view_type=view.view_type,
            title=view.title,
            description=view.description,
            spec=view.spec,
            graphql=view.graphql,
        )

    return render
