"""The web side: app factory, API, pages, compatibility routes, templates and static assets."""
