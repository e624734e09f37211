"""Party building's panels on other apps' pages, through grid/extensions.py (registered in
PartyConfig.ready())."""


def register() -> None:
    """Nothing yet: the pages come with party/views/."""
