"""MkDocs hooks of the documentation site (``hooks:`` in mkdocs.yml).

The pages mark a block that is a file of the reader's project as
```` ```python file=settings.py ```` (tests/docs/samples.py reads that word). The
site's Markdown does not know it, so it becomes the block's title.
"""

from __future__ import annotations

import re
from typing import Any

FILE_FENCE = re.compile(r"^(?P<fence>[ \t]*(?:`{3,}|~{3,})\w+) file=(?P<path>\S+)[ \t]*$", re.M)


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    return FILE_FENCE.sub(r'\g<fence> title="\g<path>"', markdown)
